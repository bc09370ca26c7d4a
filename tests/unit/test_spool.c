/* Unit tests for spool: write/finish/SHA-1, discard, tmp debris, limits. */
#include "harness.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "spool.h"

static char *
join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *p = malloc(la + lb + 2);

	memcpy(p, a, la);
	p[la] = '/';
	memcpy(p + la + 1, b, lb + 1);
	return p;
}

GW_TEST(spool_sha1_abc)
{
	struct gw_spool *sp = NULL;
	struct gw_spool_file *f = NULL;
	struct gw_err e;
	char *data = NULL;
	size_t len = 0;

	REQUIRE(gw_spool_new(gw_test_tmpdir(), &sp, &e) == 0);
	REQUIRE(gw_spool_file_new(sp, &f, &e) == 0);
	CHECK_INT(gw_spool_file_write(f, "a", 1, &e), 0);
	CHECK_INT(gw_spool_file_write(f, "bc", 2, &e), 0);
	CHECK_STR(gw_spool_file_sha1(f), "");
	CHECK_INT(gw_spool_file_finish(f, &e), 0);
	CHECK_INT(gw_spool_file_size(f), 3);
	CHECK_STR(gw_spool_file_sha1(f),
		  "a9993e364706816aba3e25717850c26c9cd0d89d");
	CHECK(strncmp(gw_spool_file_relpath(f), "tmp/", 4) == 0);
	CHECK_INT(
	    gw_spool_file_read(gw_spool_file_path(f), 100, &data, &len, &e), 0);
	CHECK_INT(len, 3);
	CHECK_STR(data, "abc");
	/* Finished files take no more data. */
	CHECK(gw_spool_file_write(f, "x", 1, &e) < 0);
	CHECK(gw_spool_file_finish(f, &e) < 0);
	free(data);
	gw_spool_file_discard(f);
	gw_spool_free(sp);
}

GW_TEST(spool_sha1_empty_and_large)
{
	struct gw_spool *sp = NULL;
	struct gw_spool_file *f = NULL;
	struct gw_err e;
	char *big = malloc(1000000);

	REQUIRE(gw_spool_new(gw_test_tmpdir(), &sp, &e) == 0);
	REQUIRE(gw_spool_file_new(sp, &f, &e) == 0);
	CHECK_INT(gw_spool_file_finish(f, &e), 0);
	CHECK_STR(gw_spool_file_sha1(f),
		  "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	gw_spool_file_discard(f);

	/* SHA-1 of one million 'a' (FIPS 180 test vector). */
	memset(big, 'a', 1000000);
	REQUIRE(gw_spool_file_new(sp, &f, &e) == 0);
	CHECK_INT(gw_spool_file_write(f, big, 1000000, &e), 0);
	CHECK_INT(gw_spool_file_finish(f, &e), 0);
	CHECK_INT(gw_spool_file_size(f), 1000000);
	CHECK_STR(gw_spool_file_sha1(f),
		  "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	gw_spool_file_discard(f);
	free(big);
	gw_spool_free(sp);
}

GW_TEST(spool_discard_removes_file)
{
	struct gw_spool *sp = NULL;
	struct gw_spool_file *f = NULL, *g = NULL;
	struct gw_err e;
	char *path;

	REQUIRE(gw_spool_new(gw_test_tmpdir(), &sp, &e) == 0);
	REQUIRE(gw_spool_file_new(sp, &f, &e) == 0);
	CHECK_INT(gw_spool_file_write(f, "hello", 5, &e), 0);
	CHECK_INT(gw_spool_file_finish(f, &e), 0);
	path = strdup(gw_spool_file_path(f));
	CHECK(access(path, F_OK) == 0);
	gw_spool_file_discard(f);
	CHECK(access(path, F_OK) != 0 && errno == ENOENT);
	free(path);

	/* Discarding an unfinished file closes and removes it as well. */
	REQUIRE(gw_spool_file_new(sp, &g, &e) == 0);
	CHECK_INT(gw_spool_file_write(g, "x", 1, &e), 0);
	path = strdup(gw_spool_file_path(g));
	gw_spool_file_discard(g);
	CHECK(access(path, F_OK) != 0);
	free(path);
	gw_spool_file_discard(NULL);
	gw_spool_free(sp);
}

GW_TEST(spool_tmp_debris_removed_at_open)
{
	char dir[320];
	struct gw_spool *sp = NULL;
	struct gw_err e;
	char *tmp, *doc, *debris, *kept;
	struct stat st;
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s/a/b/spool", gw_test_tmpdir());
	REQUIRE(gw_spool_new(dir, &sp, &e) == 0);
	tmp = join(dir, "tmp");
	doc = join(dir, "doc");
	CHECK(stat(tmp, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(stat(doc, &st) == 0 && (st.st_mode & 0777) == 0700);
	CHECK(gw_spool_dir(sp)[0] == '/');
	gw_spool_free(sp);

	debris = join(tmp, "half-written");
	kept = join(doc, "adopted");
	fp = fopen(debris, "w");
	REQUIRE(fp != NULL);
	fputs("partial", fp);
	fclose(fp);
	fp = fopen(kept, "w");
	REQUIRE(fp != NULL);
	fclose(fp);

	REQUIRE(gw_spool_new(dir, &sp, &e) == 0);
	CHECK(access(debris, F_OK) != 0);
	CHECK(access(kept, F_OK) == 0);
	gw_spool_free(sp);
	free(tmp);
	free(doc);
	free(debris);
	free(kept);
}

GW_TEST(spool_file_mode_and_read_limits)
{
	struct gw_spool *sp = NULL;
	struct gw_spool_file *f = NULL;
	struct gw_err e;
	struct stat st;
	char *data = NULL;
	size_t len = 0;

	REQUIRE(gw_spool_new(gw_test_tmpdir(), &sp, &e) == 0);
	REQUIRE(gw_spool_file_new(sp, &f, &e) == 0);
	CHECK_INT(gw_spool_file_write(f, "0123456789", 10, &e), 0);
	CHECK_INT(gw_spool_file_finish(f, &e), 0);
	CHECK(stat(gw_spool_file_path(f), &st) == 0 &&
	      (st.st_mode & 0777) == 0600);
	CHECK_INT(gw_spool_file_read(gw_spool_file_path(f), 9, &data, &len, &e),
		  GW_ELIMIT);
	CHECK(data == NULL);
	CHECK_INT(
	    gw_spool_file_read(gw_spool_file_path(f), 10, &data, &len, &e), 0);
	CHECK_INT(len, 10);
	free(data);
	data = NULL;
	CHECK_INT(gw_spool_file_read("/nonexistent/dxgw", 10, &data, &len, &e),
		  GW_ENOTFOUND);
	gw_spool_file_discard(f);
	gw_spool_free(sp);
}

GW_TEST(spool_adopt_and_unadopt)
{
	struct gw_spool *sp = NULL;
	struct gw_spool_file *f = NULL;
	struct gw_err e;
	char *doc_path;

	REQUIRE(gw_spool_new(gw_test_tmpdir(), &sp, &e) == 0);
	REQUIRE(gw_spool_file_new(sp, &f, &e) == 0);
	/* Unfinished files cannot be adopted. */
	CHECK(gw_spool_file_adopt(f, &e) < 0);
	CHECK_INT(gw_spool_file_finish(f, &e), 0);
	CHECK_INT(gw_spool_file_adopt(f, &e), 0);
	CHECK(strncmp(gw_spool_file_relpath(f), "doc/", 4) == 0);
	CHECK(access(gw_spool_file_path(f), F_OK) == 0);
	CHECK_INT(gw_spool_sync(sp, &e), 0);
	CHECK_INT(gw_spool_file_unadopt(f, &e), 0);
	CHECK(strncmp(gw_spool_file_relpath(f), "tmp/", 4) == 0);
	CHECK_INT(gw_spool_file_adopt(f, &e), 0);
	doc_path = strdup(gw_spool_file_path(f));
	/* An adopted file belongs to the store: discard keeps it. */
	gw_spool_file_discard(f);
	CHECK(access(doc_path, F_OK) == 0);
	free(doc_path);
	gw_spool_free(sp);
}
