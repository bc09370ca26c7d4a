/*
 * NAME
 *	benchutil - small helpers shared by the bench programs (see .h)
 */
#include "benchutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TAIL "\n</structuredBody>\n</component>\n</ClinicalDocument>\n"

const char *bench_prog = "bench";

void
bench_die(const char *what, const char *detail)
{
	fprintf(stderr, "%s: %s: %s\n", bench_prog, what, detail);
	exit(2);
}

double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
bench_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

char *
bench_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		bench_die("read", path);
	p = malloc((size_t)n + 1);
	if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n)
		bench_die("read", path);
	p[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return p;
}

void
bench_spit(const char *path, const void *p, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, len, f) != len || fclose(f) != 0)
		bench_die("write", path);
}

char *
bench_path2(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	if (p == NULL || snprintf(p, n, "%s/%s", a, b) < 0)
		bench_die("path", b);
	return p;
}

/* --- the documents ------------------------------------------------------ */

/* The end of the element that starts at s with open tag tag (nesting). */
static const char *
element_end(const char *s, const char *tag)
{
	char open[64], close[64];
	const char *p = s + 1;
	int depth = 1;

	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	while (depth > 0) {
		const char *o = strstr(p, open), *c = strstr(p, close);

		if (c == NULL)
			return NULL;
		if (o != NULL && o < c) {
			depth++;
			p = o + 1;
		} else {
			depth--;
			p = c + strlen(close);
		}
	}
	return p;
}

/*
 * A document of exactly size bytes: the n bytes of head (prologue,
 * header, recordTarget), a structuredBody of the CCD's sections
 * repeated in order, and an XML comment of CCD text (with '-' replaced)
 * filling the rest.
 */
static char *
make_doc(const char *ccd, const char *head, size_t n, size_t size)
{
	const char *body = strstr(ccd, "<structuredBody>");
	const char *sec, *filler = NULL;
	char *d = malloc(size + 1);
	size_t tail = strlen(TAIL);
	static const char open[] = "\n<component>\n<structuredBody>\n";

	if (body == NULL || d == NULL)
		bench_die("CCD", "no structuredBody");
	if (n + sizeof(open) + tail + 16 > size)
		bench_die("CCD", "header larger than the document size");
	memcpy(d, head, n);
	memcpy(d + n, open, sizeof(open) - 1);
	n += sizeof(open) - 1;
	sec = strstr(body, "<component>");
	for (;;) {
		const char *e =
		    sec != NULL ? element_end(sec, "component") : NULL;

		if (e == NULL) { /* past the last section: start over */
			sec = strstr(body, "<component>");
			continue;
		}
		if (n + (size_t)(e - sec) + 1 + tail + 16 > size) {
			filler = sec;
			break;
		}
		memcpy(d + n, sec, (size_t)(e - sec));
		n += (size_t)(e - sec);
		d[n++] = '\n';
		sec = strstr(e, "<component>");
		if (sec != NULL && sec > strstr(body, "</structuredBody>"))
			sec = NULL;
	}
	memcpy(d + n, "<!--", 4);
	n += 4;
	while (n < size - tail - 3) {
		char c = *filler != '\0' ? *filler++ : ' ';

		d[n++] = c == '-' ? '_' : c;
	}
	memcpy(d + n, "-->", 3);
	n += 3;
	memcpy(d + n, TAIL, tail);
	n += tail;
	d[n] = '\0';
	return d;
}

char *
bench_doc(const char *ccd, size_t size)
{
	const char *rt = strstr(ccd, "</recordTarget>");

	if (rt == NULL)
		bench_die("CCD", "no recordTarget");
	rt += strlen("</recordTarget>");
	return make_doc(ccd, ccd, (size_t)(rt - ccd), size);
}

char *
bench_doc_compact(const char *ccd, size_t size)
{
	static const char decl[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
	static const char rt[] =
	    "<recordTarget>\n<patientRole>\n"
	    "<id extension=\"444222222\" root=\"2.16.840.1.113883.4.1\"/>\n"
	    "<patient>\n<name use=\"L\"><given>Eve</given>"
	    "<family>Betterhalf</family></name>\n"
	    "<administrativeGenderCode code=\"F\" "
	    "codeSystem=\"2.16.840.1.113883.5.1\"/>\n"
	    "<birthTime value=\"19750501\"/>\n"
	    "</patient>\n</patientRole>\n</recordTarget>";
	const char *cd = strstr(ccd, "<ClinicalDocument");
	const char *end = cd != NULL ? strstr(cd, "<recordTarget>") : NULL;
	char *head, *doc;
	size_t n;

	if (end == NULL)
		bench_die("CCD", "no ClinicalDocument or recordTarget");
	head = malloc(sizeof(decl) + (size_t)(end - cd) + sizeof(rt));
	if (head == NULL)
		bench_die("CCD", "out of memory");
	memcpy(head, decl, sizeof(decl) - 1);
	n = sizeof(decl) - 1;
	/* The header elements, without their comments. */
	for (const char *p = cd; p < end;) {
		if (strncmp(p, "<!--", 4) == 0) {
			const char *c = strstr(p, "-->");

			p = c != NULL && c < end ? c + 3 : end;
			while (p < end && (*p == ' ' || *p == '\t' ||
					   *p == '\r' || *p == '\n'))
				p++;
			continue;
		}
		head[n++] = *p++;
	}
	memcpy(head + n, rt, sizeof(rt) - 1);
	n += sizeof(rt) - 1;
	doc = make_doc(ccd, head, n, size);
	free(head);
	return doc;
}
