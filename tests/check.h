/*
 * Tiny assertion kit for the unit tests: each CHECK prints one line on
 * failure and is counted; check_done() prints "name: N passed, N failed"
 * and gives the exit status. tests.sh adds the counts to its own.
 */
#ifndef CHECK_H
#define CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond) check_one((cond) != 0, #cond, __FILE__, __LINE__)
#define CHECK_EQ(a, b) check_eq((long long)(a), (long long)(b), #a " == " #b, __FILE__, __LINE__)
#define CHECK_STR(a, b) check_str((a), (b), #a, __FILE__, __LINE__)
#define CHECK_MEM(a, b, n) check_one(memcmp((a), (b), (n)) == 0, #a " == " #b, __FILE__, __LINE__)

static inline int
check_one(int ok, const char *what, const char *file, int line)
{
	if (ok)
		check_passed++;
	else {
		check_failed++;
		printf("FAIL %s:%d: %s\n", file, line, what);
	}
	return ok;
}

static inline int
check_eq(long long a, long long b, const char *what, const char *file, int line)
{
	if (a != b)
		printf("     got %lld, want %lld\n", a, b);
	return check_one(a == b, what, file, line);
}

static inline int
check_str(const char *a, const char *b, const char *what, const char *file,
    int line)
{
	int ok = a != NULL && b != NULL && strcmp(a, b) == 0;

	if (!ok)
		printf("     got \"%s\", want \"%s\"\n", a ? a : "(null)",
		    b ? b : "(null)");
	return check_one(ok, what, file, line);
}

static inline int
check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed != 0;
}

#endif
