/*
 * Unit tests for zipw, read back with libzip (an independent reader):
 * stored and deflated entries, directory entries, modes, name rules.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "buf.h"
#include "zipw.h"

/* Open the archive in b with libzip. */
static zip_t *
open_mem(const struct gw_buf *b, zip_source_t **src)
{
	zip_error_t ze;
	zip_t *za;

	zip_error_init(&ze);
	*src = zip_source_buffer_create(b->data, b->len, 0, &ze);
	za = *src != NULL
		 ? zip_open_from_source(*src, ZIP_RDONLY | ZIP_CHECKCONS, &ze)
		 : NULL;
	zip_error_fini(&ze);
	return za;
}

static char *
read_entry(zip_t *za, const char *name, zip_uint64_t *len)
{
	zip_stat_t st;
	zip_file_t *f;
	char *p;

	if (zip_stat(za, name, 0, &st) != 0)
		return NULL;
	p = malloc(st.size + 1);
	f = zip_fopen(za, name, 0);
	if (p == NULL || f == NULL ||
	    zip_fread(f, p, st.size) != (zip_int64_t)st.size) {
		free(p);
		p = NULL;
	}
	if (f != NULL)
		zip_fclose(f);
	*len = st.size;
	return p;
}

GW_TEST(zipw_roundtrip_with_libzip)
{
	static const char random[] = "\x8f\x01\xfe\x33\x7a\x00\x91";
	struct gw_zipw *z = NULL;
	zip_source_t *src = NULL;
	char *xml = malloc(50000), *got;
	struct gw_buf b;
	zip_uint64_t len = 0;
	zip_uint32_t attr = 0;
	zip_uint8_t os = 0;
	zip_stat_t st;
	struct gw_err e;
	zip_t *za;

	REQUIRE(xml != NULL);
	for (size_t i = 0; i < 50000; i++)
		xml[i] = "<section>text</section>\n"[i % 24];
	gw_buf_init(&b, 1 << 20);
	gw_buf_puts(&b, "prefix"); /* the archive may follow other bytes */
	REQUIRE(gw_zipw_new(&b, 1, &z, &e) == 0);
	CHECK_INT(gw_zipw_dir(z, "IHE_XDM", &e), GW_ERROR); /* no '/' */
	REQUIRE(gw_zipw_dir(z, "IHE_XDM/", &e) == 0);
	REQUIRE(gw_zipw_file(z, "IHE_XDM/DOC.XML", xml, 50000, true, &e) == 0);
	REQUIRE(gw_zipw_file(z, "RAND.BIN", random, sizeof(random) - 1, true,
			     &e) == 0);
	REQUIRE(gw_zipw_file(z, "EMPTY.TXT", "", 0, false, &e) == 0);
	REQUIRE(gw_zipw_finish(z, &e) == 0);
	gw_zipw_free(z);

	{
		struct gw_buf arch = {
		    .data = b.data + 6, .len = b.len - 6, .max = b.len};

		za = open_mem(&arch, &src);
	}
	REQUIRE(za != NULL);
	CHECK_INT(zip_get_num_entries(za, 0), 4);
	CHECK_STR(zip_get_name(za, 0, 0), "IHE_XDM/");
	CHECK_STR(zip_get_name(za, 1, 0), "IHE_XDM/DOC.XML");
	/* Deflated (XML shrinks), stored (random bytes do not). */
	REQUIRE(zip_stat_index(za, 1, 0, &st) == 0);
	CHECK_INT(st.comp_method, ZIP_CM_DEFLATE);
	CHECK(st.comp_size < 50000 / 5);
	REQUIRE(zip_stat_index(za, 2, 0, &st) == 0);
	CHECK_INT(st.comp_method, ZIP_CM_STORE);
	got = read_entry(za, "IHE_XDM/DOC.XML", &len);
	CHECK(got != NULL && len == 50000 && memcmp(got, xml, 50000) == 0);
	free(got);
	got = read_entry(za, "RAND.BIN", &len);
	CHECK(got != NULL && len == 7 && memcmp(got, random, 7) == 0);
	free(got);
	/* Unix modes: a regular rw-r--r-- file. */
	REQUIRE(zip_file_get_external_attributes(za, 1, 0, &os, &attr) == 0);
	CHECK_INT(os, ZIP_OPSYS_UNIX);
	CHECK_INT(attr >> 16, 0100644);
	zip_close(za);
	free(xml);
	gw_buf_dispose(&b);
}

GW_TEST(zipw_respects_the_buffer_limit)
{
	struct gw_zipw *z = NULL;
	char big[4096];
	struct gw_buf b;
	struct gw_err e;

	memset(big, 'x', sizeof(big));
	gw_buf_init(&b, 1000);
	REQUIRE(gw_zipw_new(&b, 1, &z, &e) == 0);
	CHECK_INT(gw_zipw_file(z, "BIG.BIN", big, sizeof(big), false, &e),
		  GW_ELIMIT);
	CHECK_INT(b.len, 0);
	gw_zipw_free(z);
	gw_buf_dispose(&b);
}
