/*
 * NAME
 *	harness - tiny unit-test runner
 * SUMMARY
 *	GW_TEST(name) { ... } defines a test that registers itself; the
 *	runner (harness.c) runs every test, or those whose names contain
 *	argv[1], prints RUN/PASS/FAIL and ends with "N passed, N failed".
 *	CHECK* record a failure and go on; REQUIRE* stop the test.
 */
#ifndef GW_HARNESS_H
#define GW_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

typedef void (*gw_test_fn)(void);

void gw_test_register(const char *name, gw_test_fn fn);
void gw_test_fail(const char *file, int line, const char *what);
bool gw_test_failed(void);
/* Directory of the shared corpus (../shared/corpus from the repo root). */
const char *gw_test_corpus(void);
/* A fresh temporary directory for this test (removed at exit). */
const char *gw_test_tmpdir(void);
/* Read a whole file; NULL if it cannot be read. Caller frees. */
char *gw_test_slurp(const char *path, size_t *len);

#define GW_TEST(name)                                                          \
	static void test_##name(void);                                         \
	__attribute__((constructor)) static void reg_##name(void)              \
	{                                                                      \
		gw_test_register(#name, test_##name);                          \
	}                                                                      \
	static void test_##name(void)

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			gw_test_fail(__FILE__, __LINE__, #c);                  \
	} while (0)
#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c)) {                                                    \
			gw_test_fail(__FILE__, __LINE__, #c);                  \
			return;                                                \
		}                                                              \
	} while (0)
#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                               \
		if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0) {         \
			char m_[512];                                          \
			snprintf(m_, sizeof(m_),                               \
				 "%s == %s (\"%s\" vs \"%s\")", #a, #b,        \
				 a_ ? a_ : "(null)", b_ ? b_ : "(null)");      \
			gw_test_fail(__FILE__, __LINE__, m_);                  \
		}                                                              \
	} while (0)
#define CHECK_INT(a, b)                                                        \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);            \
		if (a_ != b_) {                                                \
			char m_[256];                                          \
			snprintf(m_, sizeof(m_), "%s == %s (%lld vs %lld)",    \
				 #a, #b, a_, b_);                              \
			gw_test_fail(__FILE__, __LINE__, m_);                  \
		}                                                              \
	} while (0)

#endif
