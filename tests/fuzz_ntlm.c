/*
 * fuzz_ntlm: libFuzzer target for the NTLM Type 2 parser and the
 * Proxy-Authenticate challenge parsers (NTLM's, and http_auth_next's
 * split of a value into challenges, with NTLM inside Negotiate). A challenge that parses is also
 * answered with a Type 3 in every dialect, so the AV-pair copy and the
 * field length checks of the builder see hostile target info too.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz_ntlm.c \
 *     auth_ntlm.c http.c util.c -o /tmp/fuzz_ntlm
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

static struct ntlm_creds creds;
static int ready;

static void
answer(const struct ntlm_challenge *ch)
{
	static const unsigned char cchal[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static unsigned char m3[NTLM_MSG_MAX];
	static char hv[2 * NTLM_MSG_MAX];
	const char *err;
	int d;
	long n;

	for (d = NTLM_NTLMV2; d <= NTLM_LM; d++) {
		n = ntlm_build_type3(&creds, (enum ntlm_dialect)d, ch, cchal,
		    ntlm_filetime(1700000000), NULL, m3, sizeof(m3), &err);
		if (n >= 0 && (n < 64 || (size_t)n > sizeof(m3)))
			abort();
		if (n < 0 && err == NULL)
			abort();
	}
	n = ntlm_http_type3("Negotiate", &creds, NTLM_NTLMV2, ch, cchal, 0,
	    hv, sizeof(hv), &err);
	if (n >= 0 && strncmp(hv, "Negotiate ", 10) != 0)
		abort();
}

static void
check_challenge(const struct ntlm_challenge *ch, const unsigned char *m,
    size_t len)
{
	if (ch->target_name != NULL && (ch->target_name < m ||
	    ch->target_name + ch->target_name_len > m + len))
		abort();
	if (ch->target_info != NULL && (ch->target_info < m ||
	    ch->target_info + ch->target_info_len > m + len))
		abort();
}

/* The bytes as a whole Proxy-Authenticate value: every challenge of it
 * (spans inside the value, making progress), and the token of an NTLM
 * or Negotiate one decoded as a Type 2, as upstream.c does. */
static void
challenges(const char *v, size_t n)
{
	static unsigned char buf[65536];
	struct http_challenge hc;
	struct ntlm_challenge ch;
	size_t pos = 0, last;
	int rc;

	for (;;) {
		last = pos;
		if ((rc = http_auth_next(v, n, &pos, &hc)) != 1)
			break;
		if (pos <= last || pos > n || hc.scheme < v ||
		    hc.scheme + hc.scheme_len > v + n || hc.scheme_len == 0 ||
		    (hc.token != NULL && (hc.token < v ||
		    hc.token + hc.token_len > v + n)) ||
		    (hc.params != NULL && (hc.params < v ||
		    hc.params + hc.params_len > v + n)))
			abort();
		if (hc.token == NULL)
			continue;
		if (ntlm_http_token(hc.token, hc.token_len, buf, sizeof(buf),
		    &ch) == 1) {
			check_challenge(&ch, buf, sizeof(buf));
			answer(&ch);
		} else if (ch.error == NULL)
			abort();
	}
	if (rc == 0 && pos != n)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char buf[65536];
	struct ntlm_challenge ch;
	unsigned char *copy;
	const char *err;
	int rc;

	if (!ready) {
		ntlm_creds_init(&creds, "jdoe", "Corp", "ws1", &err);
		ntlm_creds_set_password(&creds, "S3cret!", &err);
		ready = 1;
	}

	/* the binary Type 2, in an exact-size heap copy for ASan */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	if (ntlm_parse_type2(copy, size, &ch) == 0) {
		check_challenge(&ch, copy, size);
		answer(&ch);
	} else if (ch.error == NULL)
		abort();
	free(copy);

	/* the same bytes as a Proxy-Authenticate value */
	rc = ntlm_http_challenge((const char *)data, size, buf, sizeof(buf),
	    &ch);
	if (rc == 1) {
		check_challenge(&ch, buf, sizeof(buf));
		answer(&ch);
	} else if (rc == -1 && ch.error == NULL)
		abort();
	else if (rc == 0 && (size < 4 ||
	    !strncaseeq((const char *)data, 4, "NTLM")))
		abort();
	challenges((const char *)data, size);
	return 0;
}
