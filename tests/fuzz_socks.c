/*
 * fuzz_socks: libFuzzer target for the SOCKS server's parsers. The first
 * byte picks the greeting, the login, a SOCKS5 or a SOCKS4 request; the
 * rest is parsed whole (a copy of exactly its length, so a read past the
 * end is caught) and at every shorter prefix: a prefix of a whole
 * message must ask for more, and no answer may claim more bytes than it
 * was given.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *     tests/fuzz_socks.c socks.c util.c -o /tmp/fuzz_socks
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NEED(c)	do { if (!(c)) abort(); } while (0)

static long
parse(int kind, const uint8_t *src, size_t n)
{
	char user[SOCKS_NAME_MAX + 1], pass[SOCKS_NAME_MAX + 1];
	struct socks_request r;
	const char *why = NULL;
	unsigned offered;
	uint8_t *b = malloc(n > 0 ? n : 1);
	long rc;

	if (b == NULL)
		abort();
	memcpy(b, src, n);
	switch (kind & 3) {
	case 0:
		rc = socks5_parse_greeting(b, n, &offered, &why);
		break;
	case 1:
		rc = socks5_parse_login(b, n, user, pass, &why);
		if (rc > 0)
			NEED(strlen(user) > 0 && strlen(pass) > 0);
		break;
	case 2:
		rc = socks5_parse_request(b, n, &r);
		if (rc > 0)
			NEED(strlen(r.host) > 0 && strlen(r.host) <= 255);
		break;
	default:
		rc = socks4_parse_request(b, n, &r);
		if (rc > 0)
			NEED(strlen(r.host) > 0 && strlen(r.host) <= 255);
		break;
	}
	if (rc < 0)
		NEED(rc == -1 && (kind & 3) < 2 ? why != NULL : 1);
	free(b);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i;
	long whole;

	if (size < 1 || size > 1024)
		return 0;
	whole = parse(data[0], data + 1, size - 1);
	NEED(whole >= -1 && whole <= (long)(size - 1));
	if (whole <= 0)
		return 0;
	for (i = 0; i < (size_t)whole; i++)
		NEED(parse(data[0], data + 1, i) == 0);
	return 0;
}
