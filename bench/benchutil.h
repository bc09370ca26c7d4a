/*
 * NAME
 *	benchutil - small helpers shared by the bench programs
 * SUMMARY
 *	Fatal errors, a monotonic clock, whole-file reads and writes, path
 *	joins, and the C-CDA-like documents of exact sizes the outbound and
 *	inbound benches carry. Bench code only: every failure exits.
 */
#ifndef BENCHUTIL_H
#define BENCHUTIL_H

#include <stddef.h>

/* The name die() prints first ("outbench", ...); set by main(). */
extern const char *bench_prog;

/* Print "<prog>: what: detail" and exit 2. */
__attribute__((noreturn)) void bench_die(const char *what, const char *detail);
/* CLOCK_MONOTONIC in seconds. */
double bench_now(void);
/* CLOCK_REALTIME in seconds (comparable with file times). */
double bench_wall(void);
/* The whole file, NUL-terminated; its length in *len. */
char *bench_slurp(const char *path, size_t *len);
void bench_spit(const char *path, const void *p, size_t len);
/* "a/b", malloc'ed. */
char *bench_path2(const char *a, const char *b);

/*
 * A C-CDA-like document of exactly size bytes made from the CCD text
 * ccd: its prologue, header and recordTarget, a structuredBody of its
 * sections repeated in order, and an XML comment of CCD text (with '-'
 * replaced) filling the rest. Well-formed XML.
 */
char *bench_doc(const char *ccd, size_t size);
/*
 * The same with a short header (the CCD's header elements without its
 * comments, and a recordTarget of the patient's id and name only), for
 * documents of 2 KB and more.
 */
char *bench_doc_compact(const char *ccd, size_t size);

#endif
