/*
 * fuzz_x509: libFuzzer target for x509_parse, the reader of the CA
 * certificate --ca-cert-file names and of the leaves --ca-cert-dir
 * keeps, x509_san_has and x509_key_id. What it finds must lie inside
 * the input.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz_x509.c \
 *     x509.c util.c -o /tmp/fuzz_x509
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

static int
inside(const unsigned char *p, size_t n, const uint8_t *d, size_t len)
{
	return p >= d && n <= len && (size_t)(p - d) <= len - n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct x509_info info;
	unsigned char id[X509_KEYID_LEN];

	if (x509_parse(data, size, &info) == 0) {
		if (!inside(info.subject, info.subject_len, data, size) ||
		    !inside(info.spki, info.spki_len, data, size) ||
		    info.ski_len > sizeof(info.ski) ||
		    (info.san != NULL && !inside(info.san, info.san_len, data,
		    size)))
			abort();
		(void)x509_san_has(&info, "www.example.com");
		(void)x509_san_has(&info, "192.0.2.1");
		if (x509_key_id(info.spki, info.spki_len, id) != 0)
			abort();
	}
	(void)x509_key_id(data, size, id);
	return 0;
}
