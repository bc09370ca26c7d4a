/*
 * NAME
 *	syncfloor - what one durable commit costs on this disk, for make bench
 * SUMMARY
 *	syncfloor DIR [N]
 *	Prints "one_ms=A spool_ms=B": A is the median time of the cheapest
 *	durable write there is (4 KiB overwritten in place, then
 *	fdatasync); B is the median of the sequence dxgw runs per batch
 *	(a new 10 KiB file, syncfs, then a 4 KiB append to a log and its
 *	fdatasync). No server can answer a single client with a durable
 *	commit faster than its own time plus A, so A bounds the ratio
 *	against a server that stores nothing; make bench prints that bound.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return v[n / 2];
}

int
main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[2]) : 200;
	char path[4096], blk[10240];
	double *t;
	int log, rc = 1;

	if (argc < 2 || n < 1 || n > 100000) {
		fprintf(stderr, "usage: syncfloor DIR [N]\n");
		return 2;
	}
	t = calloc((size_t)n, sizeof(*t));
	memset(blk, 'x', sizeof(blk));
	snprintf(path, sizeof(path), "%s/syncfloor.log", argv[1]);
	log = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (t == NULL || log < 0 || pwrite(log, blk, 4096, 0) != 4096 ||
	    fdatasync(log) != 0) {
		perror("syncfloor");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		double t0 = now_ms();

		if (pwrite(log, blk, 4096, 0) != 4096 || fdatasync(log) != 0)
			goto out;
		t[i] = now_ms() - t0;
	}
	printf("one_ms=%.3f ", median(t, n));
	for (int i = 0; i < n; i++) {
		double t0 = now_ms();
		int fd;

		snprintf(path, sizeof(path), "%s/syncfloor.%d", argv[1], i);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0 ||
		    write(fd, blk, sizeof(blk)) != (ssize_t)sizeof(blk) ||
		    close(fd) != 0 || syncfs(log) != 0 ||
		    pwrite(log, blk, 4096, (off_t)(i + 1) * 4096) != 4096 ||
		    fdatasync(log) != 0)
			goto out;
		t[i] = now_ms() - t0;
	}
	printf("spool_ms=%.3f\n", median(t, n));
	rc = 0;
out:
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/syncfloor.%d", argv[1], i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/syncfloor.log", argv[1]);
	unlink(path);
	if (log >= 0)
		close(log);
	free(t);
	return rc;
}
