/*
 * fuzz_proxyproto: libFuzzer target for the PROXY protocol parser and
 * builder (proxyproto.c) and the ClientHello reader (sni.c). The first
 * byte picks the parser (even: PROXY, odd: SNI) and, for PROXY, the
 * length bound; the rest is the input. Each input is parsed whole and in
 * every prefix (as bytes come off a socket), each prefix in a copy of
 * exactly its bytes: the answers must agree (a prefix of a header says
 * "more", an input that failed early fails whole), addresses must be of
 * a known family, and a header built from them must read back the same.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *     tests/fuzz_proxyproto.c proxyproto.c sni.c util.c -o /tmp/fuzz_pp
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NEED(c)	do { if (!(c)) abort(); } while (0)
#define INPUT_MAX	2048

static unsigned char *
copy(const uint8_t *src, size_t n)
{
	unsigned char *b = malloc(n > 0 ? n : 1);

	NEED(b != NULL);
	memcpy(b, src, n);
	return b;
}

static int
same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	char x[80], y[80];

	addr_format((const struct sockaddr *)a, x, sizeof(x));
	addr_format((const struct sockaddr *)b, y, sizeof(y));
	return strcmp(x, y) == 0;
}

static void
fuzz_pp(const uint8_t *d, size_t n, size_t max)
{
	struct proxyproto pp, q;
	unsigned char out[128];
	size_t k, len;
	int r, rk, v;

	r = proxyproto_parse(d, n, max, &pp);
	NEED(r < 0 || (size_t)r <= n);
	NEED(r >= 0 || pp.error != NULL);
	NEED(r <= 0 || (size_t)r <= (max < PROXYPROTO_MAX ? max :
	    PROXYPROTO_MAX) || (pp.version == 1 && r <= PROXYPROTO_V1_MAX));
	for (k = 0; k < n; k++) {
		unsigned char *b = copy(d, k);

		rk = proxyproto_parse(b, k, max, &q);
		free(b);
		if (r > 0)
			NEED((size_t)r > k ? rk == 0 : rk == r);
		if (r == 0)
			NEED(rk == 0);
		if (rk < 0)
			NEED(r < 0);
	}
	if (r <= 0 || pp.local)
		return;
	NEED(pp.version == 1 || pp.version == 2);
	NEED(pp.src.ss_family == AF_INET || pp.src.ss_family == AF_INET6);
	NEED(pp.dst.ss_family == pp.src.ss_family);
	for (v = 1; v <= 2; v++) {
		len = proxyproto_build(v, (struct sockaddr *)&pp.src,
		    (struct sockaddr *)&pp.dst, out, sizeof(out));
		NEED(len > 0 && len <= PROXYPROTO_V1_MAX);
		NEED(proxyproto_parse(out, len, PROXYPROTO_MAX, &q) ==
		    (int)len);
		NEED(!q.local && same_addr(&q.src, &pp.src) &&
		    same_addr(&q.dst, &pp.dst));
	}
}

static void
fuzz_sni(const uint8_t *d, size_t n)
{
	char name[HOST_MAX], pname[HOST_MAX];
	size_t k, i;
	int r, rk;

	r = sni_parse(d, n, name, sizeof(name));
	NEED(r >= -1 && r <= 1);
	if (r == 1) {
		NEED(strlen(name) < sizeof(name));
		for (i = 0; name[i] != '\0'; i++)
			NEED(name[i] > ' ' && name[i] < 0x7f);
	}
	for (k = 0; k < n; k++) {
		unsigned char *b = copy(d, k);

		rk = sni_parse(b, k, pname, sizeof(pname));
		free(b);
		if (rk < 0)
			NEED(r < 0);
		if (rk == 1)
			NEED(r == 1 && strcmp(name, pname) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > INPUT_MAX)
		return 0;
	if (data[0] & 1)
		fuzz_sni(data + 1, size - 1);
	else
		fuzz_pp(data + 1, size - 1, (size_t)data[0] * 8);
	return 0;
}
