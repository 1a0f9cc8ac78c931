/*
 * Unit tests for proxyproto.c (the PROXY protocol, versions 1 and 2)
 * and sni.c (the server name of a ClientHello): known answers from the
 * specification's forms, every input fed whole and in every prefix (the
 * parsers are called again as bytes come, so a prefix must say "more"
 * until the header is whole, and a bad input must fail no later than
 * the byte that makes it bad), bad inputs, and the builder's output read
 * back.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "check.h"

static const unsigned char sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* "ip:port" of a parsed address. */
static const char *
fmt(const struct sockaddr_storage *ss)
{
	static char out[2][80];
	static int k;

	k ^= 1;
	addr_format((const struct sockaddr *)ss, out[k], sizeof(out[k]));
	return out[k];
}

/*
 * Parses b[n] whole (extra bytes after the header included), then every
 * prefix on a copy of exactly that many bytes (so a read past the end is
 * a fault under the sanitizers): a prefix shorter than the header says
 * 0 (more), a longer one gives the header. For a bad input (want -1),
 * every prefix says 0 or -1, and -1 comes no later than fail_at bytes.
 */
static int
feed(const void *b, size_t n, size_t max, int want, size_t fail_at,
    struct proxyproto *pp)
{
	size_t k;
	int r = proxyproto_parse(b, n, max, pp), ok = 1, first = -1;

	for (k = 0; k <= n; k++) {
		unsigned char *copy = malloc(k ? k : 1);
		struct proxyproto q;
		int rk;

		memcpy(copy, b, k);
		rk = proxyproto_parse(copy, k, max, &q);
		free(copy);
		if (want > 0 && (size_t)want > k && rk != 0)
			ok = 0;
		if (want > 0 && (size_t)want <= k && rk != want)
			ok = 0;
		if (want < 0 && rk > 0)
			ok = 0;
		if (want < 0 && rk < 0 && first < 0)
			first = (int)k;
	}
	CHECK(ok);
	if (want < 0) {
		CHECK(first >= 0 && (size_t)first <= fail_at);
		CHECK(pp->error != NULL);
	}
	return r;
}

static void
test_v1(void)
{
	static const char t4[] =
	    "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n";
	static const char t6[] = "PROXY TCP6 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	/* the specification's worst case: 107 bytes exactly */
	static const char worst[] = "PROXY UNKNOWN "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	struct proxyproto pp;
	char line[200];

	CHECK_EQ(feed(t4, strlen(t4), 1024, 47, 0, &pp), 47);
	CHECK_EQ(pp.version, 1);
	CHECK_EQ(pp.local, 0);
	CHECK_STR(fmt(&pp.src), "192.168.0.1:56324");
	CHECK_STR(fmt(&pp.dst), "192.168.0.11:443");

	CHECK_EQ(feed(t6, strlen(t6), 1024, (int)strlen(t6), 0, &pp),
	    (long long)strlen(t6));
	CHECK_STR(fmt(&pp.src), "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");

	CHECK_EQ(strlen(worst), 107);
	CHECK_EQ(feed(worst, 107, 1024, 107, 0, &pp), 107);
	CHECK_EQ(pp.local, 1);
	CHECK_EQ(feed("PROXY UNKNOWN\r\n", 15, 1024, 15, 0, &pp), 15);
	CHECK_EQ(pp.local, 1);
	CHECK_EQ(feed("PROXY TCP4 1.2.3.4 5.6.7.8 0 00080\r\n", 36, 1024, 36,
	    0, &pp), 36);
	CHECK_STR(fmt(&pp.dst), "5.6.7.8:80");

	/* no CRLF within 107 bytes: more is asked for up to 106, then no */
	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	CHECK_EQ(proxyproto_parse((unsigned char *)line, 106, 1024, &pp), 0);
	CHECK_EQ(feed(line, 150, 1024, -1, 107, &pp), -1);
	/* a CR as byte 107 leaves no room for its LF */
	line[106] = '\r';
	line[107] = '\n';
	CHECK_EQ(feed(line, 108, 1024, -1, 107, &pp), -1);

	CHECK_EQ(feed("GET / HTTP/1.1\r\n\r\n", 18, 1024, -1, 1, &pp), -1);
	CHECK_EQ(feed("PROXY\r\n", 7, 1024, -1, 6, &pp), -1);
	CHECK_EQ(feed("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", 31, 1024, -1, 31,
	    &pp), -1);
	CHECK_EQ(feed("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rx", 32, 1024, -1, 32,
	    &pp), -1);
	CHECK_EQ(feed("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", 33, 1024, -1,
	    33, &pp), -1);
	CHECK_EQ(feed("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", 33, 1024, -1,
	    33, &pp), -1);
	CHECK_EQ(feed("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", 34, 1024, -1,
	    34, &pp), -1);
	CHECK_EQ(feed("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", 30, 1024, -1, 30,
	    &pp), -1);
	CHECK_EQ(feed("PROXY TCP4 ::1 ::1 1 2\r\n", 24, 1024, -1, 24, &pp),
	    -1);
	CHECK_EQ(feed("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n", 32, 1024, -1, 32,
	    &pp), -1);
	CHECK_EQ(feed("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", 36, 1024, -1,
	    36, &pp), -1);
	CHECK_EQ(feed("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", 33, 1024, -1,
	    33, &pp), -1);
	CHECK_EQ(feed("PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n", 33, 1024, -1,
	    33, &pp), -1);
	CHECK_EQ(feed("PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n", 32, 1024, -1, 32,
	    &pp), -1);
	CHECK_EQ(feed("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", 32, 1024, -1, 32,
	    &pp), -1);
	CHECK_EQ(feed("PROXY UNKNOWNX\r\n", 16, 1024, -1, 16, &pp), -1);
	CHECK_EQ(feed("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n", 33, 1024, -1,
	    19, &pp), -1);
}

/* A v2 header: ver_cmd, fam, then body[blen] (its length field says
 * blen unless len_field is not -1). */
static size_t
v2(unsigned char *out, int ver_cmd, int fam, const unsigned char *body,
    size_t blen, long len_field)
{
	memcpy(out, sig, 12);
	out[12] = (unsigned char)ver_cmd;
	out[13] = (unsigned char)fam;
	be16enc(out + 14, (uint16_t)(len_field >= 0 ? len_field : (long)blen));
	if (blen > 0)
		memcpy(out + 16, body, blen);
	return 16 + blen;
}

static void
test_v2(void)
{
	static const unsigned char in4[12] = { 127, 0, 0, 2, 127, 0, 0, 1,
	    0x12, 0x34, 0x00, 0x50 };
	unsigned char in6[36 + 8], b[2048], unix_[216];
	struct proxyproto pp;
	size_t n;

	n = v2(b, 0x21, 0x11, in4, 12, -1);
	memcpy(b + n, "GET", 3);
	CHECK_EQ(feed(b, n + 3, 1024, 28, 0, &pp), 28);
	CHECK_EQ(pp.version, 2);
	CHECK_EQ(pp.local, 0);
	CHECK_STR(fmt(&pp.src), "127.0.0.2:4660");
	CHECK_STR(fmt(&pp.dst), "127.0.0.1:80");

	/* TCP6 with two TLVs: ALPN "h2" and a NOOP of length 0 */
	memset(in6, 0, sizeof(in6));
	in6[15] = 1;			/* ::1 */
	in6[16] = 0x20;
	in6[17] = 0x01;
	in6[18] = 0x0d;
	in6[19] = 0xb8;
	in6[31] = 5;			/* 2001:db8::5 */
	be16enc(in6 + 32, 1);
	be16enc(in6 + 34, 443);
	memcpy(in6 + 36, "\x01\x00\x02h2\x04\x00\x00", 8);
	n = v2(b, 0x21, 0x21, in6, sizeof(in6), -1);
	CHECK_EQ(feed(b, n, 1024, (int)n, 0, &pp), (long long)n);
	CHECK_STR(fmt(&pp.src), "[::1]:1");
	CHECK_STR(fmt(&pp.dst), "[2001:db8::5]:443");

	/* LOCAL (a health check): any family, the block discarded */
	n = v2(b, 0x20, 0x00, NULL, 0, -1);
	CHECK_EQ(feed(b, n, 1024, 16, 0, &pp), 16);
	CHECK_EQ(pp.local, 1);
	n = v2(b, 0x20, 0x11, in4, 12, -1);
	CHECK_EQ(feed(b, n, 1024, 28, 0, &pp), 28);
	CHECK_EQ(pp.local, 1);
	n = v2(b, 0x20, 0x77, in4, 3, -1);
	CHECK_EQ(feed(b, n, 1024, 19, 0, &pp), 19);
	CHECK_EQ(pp.local, 1);
	/* PROXY with UNSPEC, and UNIX: no address to use */
	n = v2(b, 0x21, 0x00, NULL, 0, -1);
	CHECK_EQ(feed(b, n, 1024, 16, 0, &pp), 16);
	CHECK_EQ(pp.local, 1);
	memset(unix_, 'u', sizeof(unix_));
	n = v2(b, 0x21, 0x31, unix_, sizeof(unix_), -1);
	CHECK_EQ(feed(b, n, 1024, (int)n, 0, &pp), (long long)n);
	CHECK_EQ(pp.local, 1);

	/* bad: an unknown family, UDP, a length past the buffer, a body
	 * too short for the family, a TLV past the end, version, command,
	 * signature */
	n = v2(b, 0x21, 0x41, in4, 12, -1);
	CHECK_EQ(feed(b, n, 1024, -1, 16, &pp), -1);
	n = v2(b, 0x21, 0x12, in4, 12, -1);
	CHECK_EQ(feed(b, n, 1024, -1, 16, &pp), -1);
	n = v2(b, 0x21, 0x11, in4, 12, 0xffff);
	CHECK_EQ(feed(b, n, 1024, -1, 16, &pp), -1);
	n = v2(b, 0x21, 0x11, in4, 12, 1024 - 16 + 1);
	CHECK_EQ(feed(b, n, 1024, -1, 16, &pp), -1);
	CHECK_EQ(proxyproto_parse(b, n, 4096, &pp), -1);	/* capped at 1024 */
	CHECK_EQ(feed(b, n, 100000, -1, 16, &pp), -1);
	n = v2(b, 0x21, 0x11, in4, 8, -1);
	CHECK_EQ(feed(b, n, 1024, -1, 16, &pp), -1);
	n = v2(b, 0x21, 0x21, in6, 20, -1);
	CHECK_EQ(feed(b, n, 1024, -1, 16, &pp), -1);
	memcpy(in6 + 36, "\x01\x00\x09h2\x04\x00\x00", 8);
	n = v2(b, 0x21, 0x21, in6, sizeof(in6), -1);
	CHECK_EQ(feed(b, n, 1024, -1, n, &pp), -1);
	memcpy(in6 + 36, "\x01\x00\x02h2\x04\x00\x00", 8);
	n = v2(b, 0x21, 0x21, in6, sizeof(in6) - 1, -1);
	CHECK_EQ(feed(b, n, 1024, -1, n, &pp), -1);
	n = v2(b, 0x11, 0x11, in4, 12, -1);
	CHECK_EQ(feed(b, n, 1024, -1, 13, &pp), -1);
	n = v2(b, 0x22, 0x11, in4, 12, -1);
	CHECK_EQ(feed(b, n, 1024, -1, 13, &pp), -1);
	n = v2(b, 0x21, 0x11, in4, 12, -1);
	b[7] = 'X';
	CHECK_EQ(feed(b, n, 1024, -1, 8, &pp), -1);
	CHECK_EQ(feed("\r\n\r\n\0\r\nQUIT\n", 12, 1024, 16, 0, &pp), 0);
}

static void
sa4(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in s4;

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = htons(port);
	inet_pton(AF_INET, ip, &s4.sin_addr);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &s4, sizeof(s4));
}

static void
sa6(struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	struct sockaddr_in6 s6;

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(port);
	inet_pton(AF_INET6, ip, &s6.sin6_addr);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &s6, sizeof(s6));
}

static void
test_build(void)
{
	static const unsigned char want2[28] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49,
		0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c, 10, 0, 0, 7, 192, 168,
		1, 1, 0xd4, 0x31, 0x0c, 0x38
	};
	struct sockaddr_storage s, d, u;
	struct proxyproto pp;
	unsigned char out[128];
	size_t n;
	int v;

	sa4(&s, "10.0.0.7", 54321);
	sa4(&d, "192.168.1.1", 3128);
	n = proxyproto_build(1, (struct sockaddr *)&s, (struct sockaddr *)&d,
	    out, sizeof(out));
	out[n] = '\0';
	CHECK_STR((char *)out, "PROXY TCP4 10.0.0.7 192.168.1.1 54321 3128\r\n");
	n = proxyproto_build(2, (struct sockaddr *)&s, (struct sockaddr *)&d,
	    out, sizeof(out));
	CHECK_EQ(n, 28);
	CHECK_MEM(out, want2, 28);
	CHECK_EQ(proxyproto_build(2, (struct sockaddr *)&s,
	    (struct sockaddr *)&d, out, 27), 0);
	CHECK_EQ(proxyproto_build(1, (struct sockaddr *)&s,
	    (struct sockaddr *)&d, out, 20), 0);
	CHECK_EQ(proxyproto_build(3, (struct sockaddr *)&s,
	    (struct sockaddr *)&d, out, sizeof(out)), 0);

	/* a mixed pair goes as IPv6, the IPv4 one mapped; read back */
	sa6(&d, "2001:db8::1", 8080);
	for (v = 1; v <= 2; v++) {
		n = proxyproto_build(v, (struct sockaddr *)&s,
		    (struct sockaddr *)&d, out, sizeof(out));
		CHECK(n > 0);
		CHECK_EQ(proxyproto_parse(out, n, 1024, &pp), (long long)n);
		CHECK_STR(fmt(&pp.src), "[::ffff:10.0.0.7]:54321");
		CHECK_STR(fmt(&pp.dst), "[2001:db8::1]:8080");
	}
	/* IPv6 both ways, the longest v1 line */
	sa6(&s, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535);
	sa6(&d, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	n = proxyproto_build(1, (struct sockaddr *)&s, (struct sockaddr *)&d,
	    out, PROXYPROTO_V1_MAX + 1);
	CHECK_EQ(n, 104);
	CHECK_EQ(proxyproto_parse(out, n, 1024, &pp), 104);
	CHECK_STR(fmt(&pp.src),
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535");
	/* an unknown source: UNKNOWN, UNSPEC */
	memset(&u, 0, sizeof(u));
	u.ss_family = AF_UNIX;
	n = proxyproto_build(1, (struct sockaddr *)&u, (struct sockaddr *)&d,
	    out, sizeof(out));
	out[n] = '\0';
	CHECK_STR((char *)out, "PROXY UNKNOWN\r\n");
	n = proxyproto_build(2, (struct sockaddr *)&u, (struct sockaddr *)&d,
	    out, sizeof(out));
	CHECK_EQ(n, 16);
	CHECK_EQ(out[13], 0x00);
	CHECK_EQ(proxyproto_parse(out, n, 1024, &pp), 16);
	CHECK_EQ(pp.local, 1);
}

/* ------------------------------------------------------------- SNI */

/* A ClientHello for www.example.org from Python's ssl module (OpenSSL
 * 3), as it went on the wire: 517 bytes, one record. */
static const unsigned char hello[] = {
	0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0xba, 0x73, 0x0e, 0x25, 0x0f,
	0x04, 0xe5, 0x8b, 0xe5, 0x1a, 0xd5, 0x7e, 0x00, 0x44, 0x21, 0x3a, 0x54, 0x9d, 0x7e, 0x38, 0x12,
	0x0f, 0xd0, 0x83, 0x5c, 0xd9, 0xab, 0xdc, 0x86, 0x61, 0x08, 0x38, 0x20, 0x1b, 0xba, 0x67, 0x7a,
	0xc8, 0x20, 0x86, 0xc9, 0x33, 0x07, 0x25, 0xf7, 0x35, 0xfb, 0x63, 0xae, 0xf9, 0x5a, 0x26, 0x68,
	0x9d, 0xfb, 0x42, 0xcc, 0x84, 0x57, 0x67, 0x15, 0x02, 0x4e, 0xa7, 0x2d, 0x00, 0x24, 0x13, 0x02,
	0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0xc0, 0x2b, 0xc0, 0x2f, 0xcc, 0xa9, 0xcc, 0xa8,
	0xc0, 0x24, 0xc0, 0x28, 0xc0, 0x23, 0xc0, 0x27, 0x00, 0x9f, 0x00, 0x9e, 0x00, 0x6b, 0x00, 0x67,
	0x00, 0xff, 0x01, 0x00, 0x01, 0x8f, 0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, 0x77,
	0x77, 0x77, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x00, 0x0b,
	0x00, 0x04, 0x03, 0x00, 0x01, 0x02, 0x00, 0x0a, 0x00, 0x16, 0x00, 0x14, 0x00, 0x1d, 0x00, 0x17,
	0x00, 0x1e, 0x00, 0x19, 0x00, 0x18, 0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04,
	0x00, 0x23, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0d, 0x00, 0x2a,
	0x00, 0x28, 0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09, 0x08, 0x0a,
	0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01, 0x05, 0x01, 0x06, 0x01, 0x03, 0x03,
	0x03, 0x01, 0x03, 0x02, 0x04, 0x02, 0x05, 0x02, 0x06, 0x02, 0x00, 0x2b, 0x00, 0x05, 0x04, 0x03,
	0x04, 0x03, 0x03, 0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00,
	0x1d, 0x00, 0x20, 0xe7, 0xf7, 0xec, 0x41, 0xca, 0xbb, 0x25, 0x8a, 0x1f, 0xf4, 0xed, 0xea, 0x2f,
	0xa9, 0xe9, 0xd2, 0x70, 0x19, 0x41, 0xba, 0xb4, 0x96, 0xcd, 0x30, 0x4d, 0x9f, 0x0d, 0xb3, 0xc3,
	0x33, 0x10, 0x18, 0x00, 0x15, 0x00, 0xde, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00,
};

/* A minimal ClientHello with the given extensions block. */
static size_t
mk_hello(unsigned char *out, const unsigned char *ext, size_t elen)
{
	size_t n = 0, body;

	out[n++] = 0x16;
	out[n++] = 0x03;
	out[n++] = 0x01;
	n += 2;				/* record length */
	out[n++] = 0x01;
	n += 3;				/* handshake length */
	out[n++] = 0x03;
	out[n++] = 0x03;
	memset(out + n, 0xaa, 32);	/* random */
	n += 32;
	out[n++] = 0;			/* session id */
	out[n++] = 0;
	out[n++] = 2;
	out[n++] = 0x13;
	out[n++] = 0x01;		/* one suite */
	out[n++] = 1;
	out[n++] = 0;			/* null compression */
	if (ext != NULL) {
		be16enc(out + n, (uint16_t)elen);
		n += 2;
		memcpy(out + n, ext, elen);
		n += elen;
	}
	be16enc(out + 3, (uint16_t)(n - 5));
	body = n - 9;
	out[6] = (unsigned char)(body >> 16);
	be16enc(out + 7, (uint16_t)body);
	return n;
}

static void
test_sni(void)
{
	/* supported_versions, then server_name "a.example" */
	static const unsigned char ext[] = {
		0x00, 0x2b, 0x00, 0x03, 0x02, 0x03, 0x04,
		0x00, 0x00, 0x00, 0x0e, 0x00, 0x0c, 0x00, 0x00, 0x09,
		'a', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e'
	};
	unsigned char b[600];
	char name[HOST_MAX];
	size_t n, k;
	int ok = 1;

	CHECK_EQ(sni_parse(hello, sizeof(hello), name, sizeof(name)), 1);
	CHECK_STR(name, "www.example.org");
	for (k = 0; k < sizeof(hello); k++) {
		unsigned char *copy = malloc(k ? k : 1);

		memcpy(copy, hello, k);
		if (sni_parse(copy, k, name, sizeof(name)) != 0)
			ok = 0;
		free(copy);
	}
	CHECK(ok);

	n = mk_hello(b, ext, sizeof(ext));
	CHECK_EQ(sni_parse(b, n, name, sizeof(name)), 1);
	CHECK_STR(name, "a.example");
	/* too small a buffer for the name: none */
	CHECK_EQ(sni_parse(b, n, name, 9), 1);
	CHECK_STR(name, "");
	/* a name that is no host name: none, never into a log as it is */
	memcpy(b + n - 9, "a example", 9);
	CHECK_EQ(sni_parse(b, n, name, sizeof(name)), 1);
	CHECK_STR(name, "");
	/* no extensions at all; the SNI's lengths past the hello */
	n = mk_hello(b, NULL, 0);
	CHECK_EQ(sni_parse(b, n, name, sizeof(name)), 1);
	CHECK_STR(name, "");
	n = mk_hello(b, ext, sizeof(ext));
	b[n - 12] = 0x40;	/* the host_name's length */
	CHECK_EQ(sni_parse(b, n, name, sizeof(name)), 1);
	CHECK_STR(name, "");

	/* not a ClientHello: decided at the first byte that shows it */
	CHECK_EQ(sni_parse((const unsigned char *)"GET /", 5, name,
	    sizeof(name)), -1);
	CHECK_EQ(sni_parse((const unsigned char *)"\x16\x02", 2, name,
	    sizeof(name)), -1);
	CHECK_EQ(sni_parse((const unsigned char *)"\x16\x03\x01\x00\x10\x02",
	    6, name, sizeof(name)), -1);
	CHECK_EQ(sni_parse((const unsigned char *)"\x16\x03\x01\x00\x02", 5,
	    name, sizeof(name)), -1);
	CHECK_EQ(sni_parse((const unsigned char *)"\x16\x03\x01\xff\xff", 5,
	    name, sizeof(name)), -1);
	CHECK_EQ(sni_parse((const unsigned char *)"", 0, name, sizeof(name)),
	    0);
}

int
main(void)
{
	test_v1();
	test_v2();
	test_build();
	test_sni();
	return check_done("unit_proxyproto");
}
