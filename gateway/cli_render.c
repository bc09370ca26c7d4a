/*
 * NAME
 *	cli_render - dxgw render: a C-CDA as a page a person can read
 * SUMMARY
 *	dxgw render FILE [-o OUT]
 * DESCRIPTION
 *	Reads FILE (a C-CDA, "-" for standard input), renders it with
 *	dxgw's own stylesheet (render.h) and writes the XHTML page to
 *	standard output or to OUT. Exit status 0 when written, 1 when FILE
 *	is not a ClinicalDocument, not well-formed, too large or cannot be
 *	read or OUT cannot be written (with the reason on stderr), 2 for
 *	usage.
 * SECURITY
 *	FILE is untrusted: read with a bound (GW_CDA_MAX_LEN) and parsed
 *	by cda's hardened parser. OUT holds patient data: created 0600 and
 *	written to a temporary name first, so a failed run never leaves a
 *	half page under OUT. No config, store or key is touched.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cda.h"
#include "render.h"

#define OUT_MAX (256u << 20) /* a page is a few times the narrative */

static void
usage(FILE *f)
{
	fprintf(f, "usage: dxgw render FILE [-o OUT]\n"
		   "  Render a C-CDA document (FILE, or - for standard input) "
		   "as XHTML\n"
		   "  that runs and fetches nothing; to standard output or "
		   "OUT.\n");
}

/* Read fd whole, at most max bytes; GW_ELIMIT beyond. */
static int
read_all(int fd, size_t max, struct gw_buf *b)
{
	char chunk[65536];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return GW_ERROR;
		if (n == 0)
			return 0;
		if (b->len + (size_t)n > max ||
		    gw_buf_append(b, chunk, (size_t)n) < 0)
			return GW_ELIMIT;
	}
}

/* OUT via OUT.tmp.<pid> and rename: whole or not at all. */
static int
write_file(const char *path, const struct gw_buf *b)
{
	char tmp[4096];
	int fd, rc = 1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		fprintf(stderr, "dxgw render: %s: name too long\n", path);
		return 1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "dxgw render: %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	if (gw_buf_write_fd(fd, b->data, b->len) != 0 || fsync(fd) != 0) {
		fprintf(stderr, "dxgw render: %s: %s\n", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "dxgw render: %s: %s\n", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int
gw_cli_render(int argc, char **argv)
{
	static const struct option lo[] = {
	    {"output", required_argument, 0, 'o'},
	    {"help", no_argument, 0, 'h'},
	    {0, 0, 0, 0}};
	const char *in = NULL, *outp = NULL;
	struct gw_buf src, page;
	struct gw_err err;
	int c, fd = -1, rc = 2;

	gw_buf_init(&src, (size_t)GW_CDA_MAX_LEN + 1);
	gw_buf_init(&page, OUT_MAX);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			outp = optarg;
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		goto out;
	}
	in = argv[optind];
	rc = 1;
	fd = strcmp(in, "-") == 0 ? STDIN_FILENO
				  : open(in, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "dxgw render: %s: %s\n", in, strerror(errno));
		goto out;
	}
	if ((c = read_all(fd, GW_CDA_MAX_LEN, &src)) < 0) {
		fprintf(stderr, "dxgw render: %s: %s\n", in,
			c == GW_ELIMIT ? "larger than the C-CDA limit"
				       : strerror(errno));
		goto out;
	}
	if (gw_render_cda(src.data, src.len, GW_RENDER_DOCUMENT, NULL, &page,
			  &err) < 0) {
		fprintf(stderr, "dxgw render: %s: %s\n", in, err.msg);
		goto out;
	}
	if (outp != NULL) {
		rc = write_file(outp, &page);
	} else if (gw_buf_write_fd(STDOUT_FILENO, page.data, page.len) != 0) {
		fprintf(stderr, "dxgw render: standard output: %s\n",
			strerror(errno));
	} else {
		rc = 0;
	}
out:
	if (fd > STDIN_FILENO)
		close(fd);
	gw_buf_dispose(&src);
	gw_buf_dispose(&page);
	return rc;
}
