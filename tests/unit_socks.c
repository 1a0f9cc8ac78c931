/* Unit tests for socks.c: the SOCKS5 greeting, login and request, SOCKS4
 * and SOCKS4a, the replies; every message fed whole and at every cut
 * (each prefix must ask for more, never read past its end). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "check.h"

enum kind { GREETING, LOGIN, REQ5, REQ4 };

/* Parses msg[n] copied to exactly n bytes (a read past the end is then
 * a sanitizer error). */
static long
parse(enum kind k, const unsigned char *msg, size_t n,
    struct socks_request *r, unsigned *offered, const char **why)
{
	unsigned char *b = malloc(n > 0 ? n : 1);
	char user[SOCKS_NAME_MAX + 1], pass[SOCKS_NAME_MAX + 1];
	long rc = -2;

	if (b == NULL)
		return -2;
	memcpy(b, msg, n);
	switch (k) {
	case GREETING:
		rc = socks5_parse_greeting(b, n, offered, why);
		break;
	case LOGIN:
		rc = socks5_parse_login(b, n, user, pass, why);
		if (rc > 0)
			*why = strcmp(user, "alice") == 0 &&
			    strcmp(pass, "pw") == 0 ? "ok" : "bad";
		break;
	case REQ5:
		rc = socks5_parse_request(b, n, r);
		break;
	case REQ4:
		rc = socks4_parse_request(b, n, r);
		break;
	}
	free(b);
	return rc;
}

/* A whole message: each strict prefix asks for more; the whole one's
 * results are left in *r and *why. */
static void
whole_into(enum kind k, const unsigned char *msg, size_t n, long want,
    struct socks_request *r, const char **why)
{
	unsigned offered;
	size_t i;

	for (i = 0; i < n; i++)
		if (!CHECK_EQ(parse(k, msg, i, r, &offered, why), 0))
			printf("     (kind %d, prefix of %zu of %zu bytes)\n",
			    (int)k, i, n);
	CHECK_EQ(parse(k, msg, n, r, &offered, why), want);
}

#define whole(k, msg, n, want)	whole_into(k, msg, n, want, &r, &why)

static void
test_greeting(void)
{
	static const unsigned char g1[] = { 5, 1, 0 };
	static const unsigned char g2[] = { 5, 2, 0, 2 };
	static const unsigned char g0[] = { 5, 0 };
	static const unsigned char gx[] = { 5, 1, 0x80 };
	unsigned char g255[257];
	struct socks_request r;
	const char *why = NULL;
	unsigned offered;

	whole(GREETING, g1, sizeof(g1), 3);
	(void)parse(GREETING, g1, sizeof(g1), &r, &offered, &why);
	CHECK_EQ(offered, SOCKS5_OFFERS_NONE);
	whole(GREETING, g2, sizeof(g2), 4);
	(void)parse(GREETING, g2, sizeof(g2), &r, &offered, &why);
	CHECK_EQ(offered, SOCKS5_OFFERS_NONE | SOCKS5_OFFERS_LOGIN);
	/* no methods: a whole greeting that offers nothing */
	whole(GREETING, g0, sizeof(g0), 2);
	(void)parse(GREETING, g0, sizeof(g0), &r, &offered, &why);
	CHECK_EQ(offered, 0);
	(void)parse(GREETING, gx, sizeof(gx), &r, &offered, &why);
	CHECK_EQ(offered, 0);
	/* 255 methods: valid, all read */
	g255[0] = 5;
	g255[1] = 255;
	memset(g255 + 2, 0x80, 255);
	g255[256] = 2;
	whole(GREETING, g255, sizeof(g255), 257);
	(void)parse(GREETING, g255, sizeof(g255), &r, &offered, &why);
	CHECK_EQ(offered, SOCKS5_OFFERS_LOGIN);
	CHECK_EQ(parse(GREETING, (const unsigned char *)"\x04\x01", 2, &r,
	    &offered, &why), -1);
}

static void
test_login(void)
{
	static const unsigned char l1[] = { 1, 5, 'a', 'l', 'i', 'c', 'e', 2,
	    'p', 'w' };
	static const unsigned char empty[] = { 1, 0, 2, 'p', 'w' };
	static const unsigned char nul[] = { 1, 1, 0, 2, 'p', 'w' };
	static const unsigned char req[] = { 5, 1, 0, 1, 127, 0, 0, 1, 0, 80 };
	struct socks_request r;
	const char *why = NULL;
	unsigned offered;

	whole(LOGIN, l1, sizeof(l1), (long)sizeof(l1));
	CHECK_STR(why, "ok");
	CHECK_EQ(parse(LOGIN, empty, sizeof(empty), &r, &offered, &why), -1);
	CHECK_EQ(parse(LOGIN, nul, sizeof(nul), &r, &offered, &why), -1);
	/* a request where the login belongs */
	CHECK_EQ(parse(LOGIN, req, sizeof(req), &r, &offered, &why), -1);
	CHECK(why != NULL && strstr(why, "RFC 1929") != NULL);
}

static void
test_request5(void)
{
	static const unsigned char v4[] = { 5, 1, 0, 1, 127, 0, 0, 1, 0x1f,
	    0x90 };
	static const unsigned char v6[] = { 5, 1, 0, 4, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 80 };
	static const unsigned char name[] = { 5, 1, 0, 3, 9, 'l', 'o', 'c',
	    'a', 'l', 'h', 'o', 's', 't', 1, 0xbb };
	static const unsigned char bind[] = { 5, 2, 0, 1, 1, 2, 3, 4, 0, 21 };
	static const unsigned char empty[] = { 5, 1, 0, 3, 0, 0, 80 };
	static const unsigned char badname[] = { 5, 1, 0, 3, 3, 'a', '/',
	    'b', 0, 80 };
	static const unsigned char nul[] = { 5, 1, 0, 3, 3, 'a', 0, 'b', 0,
	    80 };
	static const unsigned char atyp[] = { 5, 1, 0, 8 };
	static const unsigned char v6name[] = { 5, 1, 0, 3, 3, ':', ':', '1',
	    0, 80 };
	unsigned char big[4 + 1 + 255 + 2];
	struct socks_request r;
	const char *why = NULL;
	unsigned offered;

	whole(REQ5, v4, sizeof(v4), 10);
	CHECK_STR(r.host, "127.0.0.1");
	CHECK_EQ(r.port, 8080);
	CHECK_EQ(r.cmd, SOCKS_CMD_CONNECT);
	whole(REQ5, v6, sizeof(v6), 22);
	CHECK_STR(r.host, "::1");
	CHECK_EQ(r.port, 80);
	whole(REQ5, name, sizeof(name), (long)sizeof(name));
	CHECK_STR(r.host, "localhost");
	CHECK_EQ(r.port, 443);
	whole(REQ5, bind, sizeof(bind), 10);
	CHECK_EQ(r.cmd, 2);
	whole(REQ5, v6name, sizeof(v6name), (long)sizeof(v6name));
	CHECK_STR(r.host, "::1");
	CHECK_EQ(parse(REQ5, empty, sizeof(empty), &r, &offered, &why), -1);
	CHECK_EQ(r.code, SOCKS5_FAILURE);
	CHECK_EQ(parse(REQ5, badname, sizeof(badname), &r, &offered, &why),
	    -1);
	CHECK_EQ(parse(REQ5, nul, sizeof(nul), &r, &offered, &why), -1);
	/* an unknown address type is known at its byte */
	CHECK_EQ(parse(REQ5, atyp, 3, &r, &offered, &why), 0);
	CHECK_EQ(parse(REQ5, atyp, sizeof(atyp), &r, &offered, &why), -1);
	CHECK_EQ(r.code, SOCKS5_ATYP_UNSUPPORTED);
	CHECK_EQ(parse(REQ5, (const unsigned char *)"\x04", 1, &r, &offered,
	    &why), -1);
	/* a 255-byte name is whole */
	big[0] = 5;
	big[1] = 1;
	big[2] = 0;
	big[3] = 3;
	big[4] = 255;
	memset(big + 5, 'a', 255);
	big[5 + 63] = big[5 + 127] = big[5 + 191] = '.';
	big[260] = 0;
	big[261] = 80;
	whole(REQ5, big, sizeof(big), (long)sizeof(big));
	CHECK_EQ(strlen(r.host), 255);
}

static void
test_request4(void)
{
	static const unsigned char v4[] = { 4, 1, 0, 80, 127, 0, 0, 1, 'u',
	    0 };
	static const unsigned char v4a[] = { 4, 1, 1, 187, 0, 0, 0, 9, 0, 'e',
	    'x', '.', 't', 'e', 's', 't', 0 };
	static const unsigned char bind[] = { 4, 2, 0, 21, 1, 2, 3, 4, 0 };
	static const unsigned char empty4a[] = { 4, 1, 0, 80, 0, 0, 0, 1, 0,
	    0 };
	unsigned char longid[8 + 300];
	struct socks_request r;
	const char *why = NULL;
	unsigned offered;

	whole(REQ4, v4, sizeof(v4), (long)sizeof(v4));
	CHECK_STR(r.host, "127.0.0.1");
	CHECK_EQ(r.port, 80);
	whole(REQ4, v4a, sizeof(v4a), (long)sizeof(v4a));
	CHECK_STR(r.host, "ex.test");
	CHECK_EQ(r.port, 443);
	whole(REQ4, bind, sizeof(bind), (long)sizeof(bind));
	CHECK_EQ(r.cmd, 2);
	CHECK_EQ(parse(REQ4, empty4a, sizeof(empty4a), &r, &offered, &why),
	    -1);
	memcpy(longid, v4, 8);
	memset(longid + 8, 'u', 300);
	CHECK_EQ(parse(REQ4, longid, 8 + 255, &r, &offered, &why), 0);
	CHECK_EQ(parse(REQ4, longid, 8 + 256, &r, &offered, &why), -1);
	CHECK_EQ(r.code, SOCKS4_REJECTED);
}

static void
test_replies(void)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	unsigned char out[22];

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = htons(1080);
	s4.sin_addr.s_addr = htonl(0x7f000001);
	CHECK_EQ(socks5_reply(SOCKS5_SUCCEEDED, (struct sockaddr *)&s4, out),
	    10);
	CHECK_MEM(out, "\x05\x00\x00\x01\x7f\x00\x00\x01\x04\x38", 10);
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(80);
	s6.sin6_addr.s6_addr[15] = 1;
	CHECK_EQ(socks5_reply(SOCKS5_REFUSED, (struct sockaddr *)&s6, out), 22);
	CHECK_MEM(out, "\x05\x05\x00\x04", 4);
	CHECK_EQ(out[19], 1);
	CHECK_EQ(out[21], 80);
	CHECK_EQ(socks5_reply(SOCKS5_ATYP_UNSUPPORTED, NULL, out), 10);
	CHECK_MEM(out, "\x05\x08\x00\x01\x00\x00\x00\x00\x00\x00", 10);
	CHECK_EQ(socks4_reply(SOCKS4_GRANTED, out), 8);
	CHECK_MEM(out, "\x00\x5a\x00\x00\x00\x00\x00\x00", 8);
	CHECK_STR(socks5_code_name(SOCKS5_TTL_EXPIRED), "TTL expired");
	CHECK_STR(socks5_code_name(99), "unknown error");
}

int
main(void)
{
	test_greeting();
	test_login();
	test_request5();
	test_request4();
	test_replies();
	return check_done("unit_socks");
}
