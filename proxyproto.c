/*
 * proxyproto.c: the PROXY protocol (haproxy's proxy-protocol.txt,
 * versions 1 and 2), the header a balancer puts in front of a
 * connection to say whose it is, read and written.
 * A leaf: pure functions over the caller's bytes. Nothing here
 * allocates, touches an fd or logs; what is wrong is said in pp->error.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "proxy.h"

/* Version 2 starts with these twelve bytes; version 1 with "PROXY ". */
static const unsigned char v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};
static const char v1_sig[] = "PROXY ";

#define V2_HEAD		16	/* signature, ver_cmd, fam, len */
#define V2_LOCAL	0x0
#define V2_PROXY	0x1
/* the family and transport byte, and the address block each needs */
#define V2_UNSPEC	0x00
#define V2_TCP4		0x11
#define V2_TCP6		0x21
#define V2_UNIX		0x31
#define V2_INET_LEN	12	/* two IPv4 addresses, two ports */
#define V2_INET6_LEN	36
#define V2_UNIX_LEN	216	/* two 108-byte paths */

/* ---------------------------------------------------------- addresses */

/* The one place a wire address becomes a socket address. */
static void
sa_set(struct sockaddr_storage *ss, int family, const unsigned char *ip,
    uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 s6;

		memset(&s6, 0, sizeof(s6));
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons(port);
		memcpy(&s6.sin6_addr, ip, 16);
		memcpy(ss, &s6, sizeof(s6));
	} else {
		struct sockaddr_in s4;

		memset(&s4, 0, sizeof(s4));
		s4.sin_family = AF_INET;
		s4.sin_port = htons(port);
		memcpy(&s4.sin_addr, ip, 4);
		memcpy(ss, &s4, sizeof(s4));
	}
}

/* The address of sa as 16 bytes (an IPv4 one mapped) and its port; its
 * family, or -1 when it is neither IPv4 nor IPv6. */
static int
sa_get(const struct sockaddr *sa, unsigned char ip[16], uint16_t *port)
{
	if (sa != NULL && sa->sa_family == AF_INET) {
		struct sockaddr_in s4;

		memcpy(&s4, sa, sizeof(s4));
		memset(ip, 0, 10);
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &s4.sin_addr, 4);
		*port = ntohs(s4.sin_port);
		return AF_INET;
	}
	if (sa != NULL && sa->sa_family == AF_INET6) {
		struct sockaddr_in6 s6;

		memcpy(&s6, sa, sizeof(s6));
		memcpy(ip, &s6.sin6_addr, 16);
		*port = ntohs(s6.sin6_port);
		return AF_INET6;
	}
	return -1;
}

/* ---------------------------------------------------------- version 1 */

/* An address of the family in its text form (what inet_pton reads). */
static int
v1_addr(const char *s, size_t n, int family, unsigned char *ip)
{
	char text[INET6_ADDRSTRLEN];

	if (strnbuf(text, sizeof(text), s, n) == -1)
		return -1;
	return inet_pton(family, text, ip) == 1 ? 0 : -1;
}

/*
 * "PROXY TCP4 src dst sport dport\r\n" (or TCP6), or "PROXY UNKNOWN"
 * and anything up to the CRLF: one line of at most 107 bytes, printable
 * US-ASCII, single spaces between the words. line[n] is the line
 * without its CRLF.
 */
static int
v1_line(const char *line, size_t n, struct proxyproto *pp)
{
	const char *w[6];
	size_t wl[6], k = 0, i, start = 0;
	unsigned char src[16], dst[16];
	uint16_t sport, dport;
	int family;

	for (i = 0; i <= n && k < 6; i++) {
		if (i < n && line[i] != ' ')
			continue;
		w[k] = line + start;
		wl[k++] = i - start;
		start = i + 1;
	}
	/* w[0] is "PROXY" (the caller matched it) */
	if (k >= 2 && wl[1] == 7 && memcmp(w[1], "UNKNOWN", 7) == 0) {
		pp->local = 1;	/* whatever follows is ignored */
		return 0;
	}
	if (k < 2 || wl[1] != 4 || (memcmp(w[1], "TCP4", 4) != 0 &&
	    memcmp(w[1], "TCP6", 4) != 0)) {
		pp->error = "v1: the protocol is not TCP4, TCP6 or UNKNOWN";
		return -1;
	}
	family = w[1][3] == '4' ? AF_INET : AF_INET6;
	if (k != 6 || start != n + 1) {
		pp->error = "v1: not 'PROXY TCPn SRC DST SPORT DPORT' with "
		    "single spaces";
		return -1;
	}
	for (i = 2; i < 6; i++)
		if (wl[i] == 0) {
			pp->error = "v1: not 'PROXY TCPn SRC DST SPORT DPORT' "
			    "with single spaces";
			return -1;
		}
	if (v1_addr(w[2], wl[2], family, src) == -1 ||
	    v1_addr(w[3], wl[3], family, dst) == -1) {
		pp->error = "v1: an address is not one of the family named";
		return -1;
	}
	if (http_port_parse(w[4], wl[4], 1, &sport) == -1 ||
	    http_port_parse(w[5], wl[5], 1, &dport) == -1) {
		pp->error = "v1: a port is not a number in 0..65535";
		return -1;
	}
	sa_set(&pp->src, family, src, sport);
	sa_set(&pp->dst, family, dst, dport);
	return 0;
}

static int
v1_parse(const unsigned char *buf, size_t len, size_t max,
    struct proxyproto *pp)
{
	size_t limit = max < PROXYPROTO_V1_MAX ? max : PROXYPROTO_V1_MAX;
	size_t i;

	pp->version = 1;
	/* each byte is judged as it comes: the error is found as early as
	 * the bytes allow, and the scan never passes the limit */
	for (i = 0; i < len && i < limit; i++) {
		if (i < sizeof(v1_sig) - 1) {
			if (buf[i] != (unsigned char)v1_sig[i]) {
				pp->error = "not a PROXY protocol header";
				return -1;
			}
			continue;
		}
		if (buf[i] == '\r') {
			if (i + 1 >= limit) {
				pp->error = "v1: no CRLF within 107 bytes";
				return -1;	/* no room left for the LF */
			}
			if (i + 1 == len)
				return 0;	/* the LF may follow */
			if (buf[i + 1] != '\n') {
				pp->error = "v1: a CR not followed by LF";
				return -1;
			}
			if (v1_line((const char *)buf, i, pp) == -1)
				return -1;
			return (int)(i + 2);
		}
		if (buf[i] < 0x20 || buf[i] > 0x7e) {
			pp->error = "v1: a byte that is not printable US-ASCII";
			return -1;
		}
	}
	if (i >= limit) {
		pp->error = "v1: no CRLF within 107 bytes";
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- version 2 */

/* The TLVs after the address block must each fit: a header whose inner
 * lengths disagree with its outer one is not trusted for its addresses
 * either. Their meaning is not used. */
static int
v2_tlvs(const unsigned char *p, size_t n, struct proxyproto *pp)
{
	while (n > 0) {
		size_t l;

		if (n < 3 || (l = be16dec(p + 1)) > n - 3) {
			pp->error = "v2: a TLV runs past the header";
			return -1;
		}
		p += 3 + l;
		n -= 3 + l;
	}
	return 0;
}

static int
v2_parse(const unsigned char *buf, size_t len, size_t max,
    struct proxyproto *pp)
{
	size_t body, total, need, i;
	int cmd;

	pp->version = 2;
	for (i = 0; i < len && i < sizeof(v2_sig); i++)
		if (buf[i] != v2_sig[i]) {
			pp->error = "not a PROXY protocol header";
			return -1;
		}
	if (len > 12 && (buf[12] >> 4) != 2) {
		pp->error = "v2: the version is not 2";
		return -1;
	}
	if (len > 12 && (cmd = buf[12] & 0x0f) != V2_LOCAL &&
	    cmd != V2_PROXY) {
		pp->error = "v2: the command is neither LOCAL nor PROXY";
		return -1;
	}
	if (len < V2_HEAD)
		return 0;
	cmd = buf[12] & 0x0f;
	body = be16dec(buf + 14);
	total = V2_HEAD + body;
	if (total > max) {
		pp->error = "v2: the length runs past the longest header taken";
		return -1;
	}
	if (cmd == V2_LOCAL) {
		/* the balancer's own connection (a health check): the block
		 * is discarded, family and all; the connection's own
		 * addresses stand */
		if (len < total)
			return 0;
		pp->local = 1;
		return (int)total;
	}
	need = 0;
	switch (buf[13]) {
	case V2_UNSPEC:
		break;
	case V2_TCP4:
		need = V2_INET_LEN;
		break;
	case V2_TCP6:
		need = V2_INET6_LEN;
		break;
	case V2_UNIX:
		need = V2_UNIX_LEN;
		break;
	default:
		pp->error = "v2: the family is not TCP over IPv4 or IPv6, "
		    "UNIX or UNSPEC";
		return -1;
	}
	if (body < need) {
		pp->error = "v2: the length is too short for the addresses";
		return -1;
	}
	if (len < total)
		return 0;
	if (v2_tlvs(buf + V2_HEAD + need, body - need, pp) == -1)
		return -1;
	/* UNSPEC and UNIX: no address to use; the connection's own
	 * stands */
	if (buf[13] != V2_TCP4 && buf[13] != V2_TCP6) {
		pp->local = 1;
		return (int)total;
	}
	if (buf[13] == V2_TCP4) {
		sa_set(&pp->src, AF_INET, buf + 16, be16dec(buf + 24));
		sa_set(&pp->dst, AF_INET, buf + 20, be16dec(buf + 26));
	} else {
		sa_set(&pp->src, AF_INET6, buf + 16, be16dec(buf + 48));
		sa_set(&pp->dst, AF_INET6, buf + 32, be16dec(buf + 50));
	}
	return (int)total;
}

/* ---------------------------------------------------------- interface */

int
proxyproto_parse(const unsigned char *buf, size_t len, size_t max,
    struct proxyproto *pp)
{
	memset(pp, 0, sizeof(*pp));
	if (max > PROXYPROTO_MAX)
		max = PROXYPROTO_MAX;
	if (len == 0)
		return 0;
	if (buf[0] == v2_sig[0])
		return v2_parse(buf, len, max, pp);
	return v1_parse(buf, len, max, pp);
}

static size_t
v1_build(int family, const unsigned char *src, uint16_t sport,
    const unsigned char *dst, uint16_t dport, unsigned char *out,
    size_t cap)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int n;

	if (family == AF_UNSPEC)
		n = snprintf((char *)out, cap, "PROXY UNKNOWN\r\n");
	else {
		/* an IPv4 pair is written as IPv4 */
		int v4 = family == AF_INET;

		if (inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? src + 12 : src, a,
		    sizeof(a)) == NULL || inet_ntop(v4 ? AF_INET : AF_INET6,
		    v4 ? dst + 12 : dst, b, sizeof(b)) == NULL)
			return 0;
		n = snprintf((char *)out, cap, "PROXY TCP%c %s %s %u %u\r\n",
		    v4 ? '4' : '6', a, b, sport, dport);
	}
	return n < 0 || (size_t)n >= cap ? 0 : (size_t)n;
}

static size_t
v2_build(int family, const unsigned char *src, uint16_t sport,
    const unsigned char *dst, uint16_t dport, unsigned char *out,
    size_t cap)
{
	size_t alen = family == AF_INET ? V2_INET_LEN : family == AF_INET6 ?
	    V2_INET6_LEN : 0;

	if (cap < V2_HEAD + alen)
		return 0;
	memcpy(out, v2_sig, sizeof(v2_sig));
	out[12] = 0x20 | V2_PROXY;
	out[13] = family == AF_INET ? V2_TCP4 : family == AF_INET6 ? V2_TCP6 :
	    V2_UNSPEC;
	be16enc(out + 14, (uint16_t)alen);
	if (family == AF_INET) {
		memcpy(out + 16, src + 12, 4);
		memcpy(out + 20, dst + 12, 4);
		be16enc(out + 24, sport);
		be16enc(out + 26, dport);
	} else if (family == AF_INET6) {
		memcpy(out + 16, src, 16);
		memcpy(out + 32, dst, 16);
		be16enc(out + 48, sport);
		be16enc(out + 50, dport);
	}
	return V2_HEAD + alen;
}

size_t
proxyproto_build(int version, const struct sockaddr *src,
    const struct sockaddr *dst, unsigned char *out, size_t cap)
{
	unsigned char s[16], d[16];
	uint16_t sport = 0, dport = 0;
	int fs = sa_get(src, s, &sport), fd = sa_get(dst, d, &dport);
	int family;

	/* one family for both: a pair of IPv4 addresses stays IPv4, a
	 * mixed pair goes as IPv6 with the IPv4 one mapped (sa_get maps
	 * it already), an unknown source as UNKNOWN / UNSPEC */
	if (fs == -1 || fd == -1)
		family = AF_UNSPEC;
	else if (fs == AF_INET && fd == AF_INET)
		family = AF_INET;
	else
		family = AF_INET6;
	if (version == 1)
		return v1_build(family, s, sport, d, dport, out, cap);
	if (version == 2)
		return v2_build(family, s, sport, d, dport, out, cap);
	return 0;
}
