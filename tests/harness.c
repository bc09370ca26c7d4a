/*
 * NAME
 *	harness - runner for GW_TEST tests
 */
#include "harness.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TESTS 2048

static struct {
	const char *name;
	gw_test_fn fn;
} tests[MAX_TESTS];
static int ntests;
static int cur_failed;
static char tmproot[256];
static char tmpdir[320];
static int tmpseq;

void
gw_test_register(const char *name, gw_test_fn fn)
{
	if (ntests < MAX_TESTS) {
		tests[ntests].name = name;
		tests[ntests].fn = fn;
		ntests++;
	}
}

void
gw_test_fail(const char *file, int line, const char *what)
{
	cur_failed = 1;
	printf("    %s:%d: check failed: %s\n", file, line, what);
	fflush(stdout);
}

bool
gw_test_failed(void)
{
	return cur_failed != 0;
}

const char *
gw_test_corpus(void)
{
	const char *e = getenv("GW_CORPUS");

	return e != NULL ? e : "../shared/corpus";
}

const char *
gw_test_tmpdir(void)
{
	if (tmproot[0] == '\0') {
		snprintf(tmproot, sizeof(tmproot), "/tmp/dxgw-test.XXXXXX");
		if (mkdtemp(tmproot) == NULL) {
			perror("mkdtemp");
			exit(2);
		}
	}
	snprintf(tmpdir, sizeof(tmpdir), "%s/t%d", tmproot, ++tmpseq);
	if (mkdir(tmpdir, 0700) != 0) {
		perror("mkdir");
		exit(2);
	}
	return tmpdir;
}

char *
gw_test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t n = 0, cap = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 65536) {
			cap = cap ? cap * 2 : 131072;
			p = realloc(p, cap + 1);
			if (p == NULL)
				abort();
		}
		r = fread(p + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	p[n] = '\0';
	if (len != NULL)
		*len = n;
	return p;
}

static void
rmtree(const char *path)
{
	char sub[1024];
	struct dirent *de;
	DIR *d = opendir(path);

	if (d == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		rmtree(sub);
	}
	closedir(d);
	rmdir(path);
}

int
main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 0; i < ntests; i++) {
		if (argc > 1 && strstr(tests[i].name, argv[1]) == NULL)
			continue;
		cur_failed = 0;
		printf("RUN  %s\n", tests[i].name);
		tests[i].fn();
		if (cur_failed) {
			printf("FAIL %s\n", tests[i].name);
			failed++;
		} else {
			printf("PASS %s\n", tests[i].name);
			passed++;
		}
	}
	if (tmproot[0] != '\0' && getenv("GW_KEEP_TMP") == NULL)
		rmtree(tmproot);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
