/*
 * fuzz_pac: libFuzzer target for the PAC interpreter. The input is a PAC
 * file; it is loaded with a small memory cap and step budget and, if it
 * loads, evaluated twice (the second run checks that the first one's
 * writes were undone cleanly), and the result string is parsed.
 *
 *	clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *	    tests/fuzz_pac.c pac.c util.c -o /tmp/fuzz_pac
 *	/tmp/fuzz_pac -dict=tests/pac/fuzz_pac.dict CORPUS_DIR tests/pac
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Deterministic: names with an even length resolve, others fail. */
static int
fz_resolve(void *arg, const char *host, int any, char *out, size_t outsz)
{
	size_t n = strlen(host);

	(void)arg;
	if (n % 2 != 0)
		return -1;
	snprintf(out, outsz, any ? "2001:db8::%zx;10.0.%zu.1" : "10.0.%zu.1",
	    n % 256, n % 256);
	return 0;
}

static time_t
fz_now(void *arg)
{
	(void)arg;
	return 1710498600;
}

static void
fz_alert(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pac_env env;
	struct pac_proxy px[4];
	struct pac *P;
	char out[512], err[256];

	memset(&env, 0, sizeof(env));
	env.resolve = fz_resolve;
	env.now = fz_now;
	env.alert = fz_alert;
	env.mem_max = 1 << 20;
	env.steps_max = 20000;
	env.depth_max = 64;
	P = pac_load((const char *)data, size, &env, err, sizeof(err));
	if (P == NULL)
		return 0;
	if (pac_find_proxy(P, "http://www.example.com/path?q=1",
	    "www.example.com", out, sizeof(out), err, sizeof(err)) == 0)
		(void)pac_parse_result(out, px, 4);
	pac_set_my_ip(P, "10.1.2.3", "fe80::1;10.1.2.3");
	(void)pac_find_proxy(P, "https://[2001:db8::1]:8443/",
	    "2001:db8::1", out, sizeof(out), err, sizeof(err));
	pac_free(P);
	return 0;
}
