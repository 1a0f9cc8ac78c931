/*
 * socks.c: the messages of a SOCKS server: the SOCKS5 greeting, login
 * (RFC 1929) and request (RFC 1928), SOCKS4 and SOCKS4a CONNECT, and the
 * replies. Pure: bytes in, "used n / need more / malformed" out, as the
 * HTTP parser; no fds, no logging. conn_socks.c drives them.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "proxy.h"

static const char *const code_names[] = {
	[SOCKS5_SUCCEEDED] = "succeeded",
	[SOCKS5_FAILURE] = "general SOCKS server failure",
	[SOCKS5_NOT_ALLOWED] = "connection not allowed by ruleset",
	[SOCKS5_NET_UNREACHABLE] = "network unreachable",
	[SOCKS5_HOST_UNREACHABLE] = "host unreachable",
	[SOCKS5_REFUSED] = "connection refused",
	[SOCKS5_TTL_EXPIRED] = "TTL expired",
	[SOCKS5_CMD_UNSUPPORTED] = "command not supported",
	[SOCKS5_ATYP_UNSUPPORTED] = "address type not supported",
};

const char *
socks5_code_name(int code)
{
	if (code < 0 || (size_t)code >= sizeof(code_names) /
	    sizeof(code_names[0]))
		return "unknown error";
	return code_names[code];
}

long
socks5_parse_greeting(const unsigned char *p, size_t len, unsigned *offered,
    const char **error)
{
	size_t i, n;

	*offered = 0;
	if (len < 1)
		return 0;
	if (p[0] != 5) {
		*error = "not a SOCKS5 greeting";
		return -1;
	}
	if (len < 2 || len < 2 + (size_t)p[1])
		return 0;
	n = p[1];
	for (i = 0; i < n; i++) {
		if (p[2 + i] == SOCKS5_METHOD_NONE)
			*offered |= SOCKS5_OFFERS_NONE;
		else if (p[2 + i] == SOCKS5_METHOD_LOGIN)
			*offered |= SOCKS5_OFFERS_LOGIN;
	}
	return (long)(2 + n);
}

/* One length-prefixed field of 1-255 bytes at p[*off] into out, as a
 * string: 1 done, 0 more needed, -1 malformed (empty or with a NUL). */
static int
counted(const unsigned char *p, size_t len, size_t *off, char *out)
{
	size_t n;

	if (len < *off + 1)
		return 0;
	n = p[*off];
	if (n == 0)
		return -1;
	if (len < *off + 1 + n)
		return 0;
	if (memchr(p + *off + 1, '\0', n) != NULL)
		return -1;
	memcpy(out, p + *off + 1, n);
	out[n] = '\0';
	*off += 1 + n;
	return 1;
}

long
socks5_parse_login(const unsigned char *p, size_t len,
    char user[SOCKS_NAME_MAX + 1], char pass[SOCKS_NAME_MAX + 1],
    const char **error)
{
	size_t off = 1;
	int r;

	if (len < 1)
		return 0;
	if (p[0] != 1) {
		*error = "not an RFC 1929 login (version is not 1): a request "
		    "before the login ended?";
		return -1;
	}
	if ((r = counted(p, len, &off, user)) == 1)
		r = counted(p, len, &off, pass);
	if (r == -1)
		*error = "an empty user name or password, or one with a NUL, "
		    "in the RFC 1929 login";
	return r == 1 ? (long)off : r;
}

/* A name a client may ask for: letters, digits, '.', '-' and '_', or an
 * IPv6 literal (which some clients send as a name). */
static int
name_ok(const char *s)
{
	unsigned char a[16];
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' ||
		    ch == '_'))
			return inet_pton(AF_INET6, s, a) == 1;
	}
	return 1;
}

static long
request_bad(struct socks_request *r, int code, const char *why)
{
	r->code = code;
	r->error = why;
	return -1;
}

long
socks5_parse_request(const unsigned char *p, size_t len,
    struct socks_request *r)
{
	size_t alen;
	int af;

	memset(r, 0, sizeof(*r));
	r->version = 5;
	if (len < 4)
		return len >= 1 && p[0] != 5 ? request_bad(r, SOCKS5_FAILURE,
		    "not a SOCKS5 request (version is not 5)") : 0;
	if (p[0] != 5)
		return request_bad(r, SOCKS5_FAILURE, "not a SOCKS5 request "
		    "(version is not 5)");
	r->cmd = p[1];
	switch (p[3]) {
	case 1:
		alen = 4;
		af = AF_INET;
		break;
	case 4:
		alen = 16;
		af = AF_INET6;
		break;
	case 3:
		if (len < 5)
			return 0;
		if (p[4] == 0)
			return request_bad(r, SOCKS5_FAILURE, "an empty domain "
			    "name in the SOCKS5 request");
		alen = 1 + (size_t)p[4];
		af = AF_UNSPEC;
		break;
	default:
		return request_bad(r, SOCKS5_ATYP_UNSUPPORTED, "an unknown "
		    "address type in the SOCKS5 request");
	}
	if (len < 4 + alen + 2)
		return 0;
	if (af == AF_UNSPEC) {
		memcpy(r->host, p + 5, alen - 1);
		r->host[alen - 1] = '\0';
		if (memchr(p + 5, '\0', alen - 1) != NULL || !name_ok(r->host))
			return request_bad(r, SOCKS5_FAILURE, "the SOCKS5 "
			    "request's domain name is not a host name");
	} else
		(void)inet_ntop(af, p + 4, r->host, sizeof(r->host));
	r->port = be16dec(p + 4 + alen);
	return (long)(4 + alen + 2);
}

/* A NUL-terminated field of at most SOCKS_NAME_MAX bytes at p[*off]:
 * 1 done (out filled when not NULL), 0 more needed, -1 too long. */
static int
nul_field(const unsigned char *p, size_t len, size_t *off, char *out)
{
	const unsigned char *z;
	size_t avail = len - *off;

	if (avail > SOCKS_NAME_MAX + 1)
		avail = SOCKS_NAME_MAX + 1;
	if ((z = memchr(p + *off, '\0', avail)) == NULL)
		return avail == SOCKS_NAME_MAX + 1 ? -1 : 0;
	if (out != NULL)
		memcpy(out, p + *off, (size_t)(z - (p + *off)) + 1);
	*off += (size_t)(z - (p + *off)) + 1;
	return 1;
}

long
socks4_parse_request(const unsigned char *p, size_t len,
    struct socks_request *r)
{
	size_t off = 8;
	int rc;

	memset(r, 0, sizeof(*r));
	r->version = 4;
	if (len >= 1 && p[0] != 4)
		return request_bad(r, SOCKS4_REJECTED, "not a SOCKS4 request");
	if (len < 8)
		return 0;
	r->cmd = p[1];
	r->port = be16dec(p + 2);
	if ((rc = nul_field(p, len, &off, NULL)) != 1)
		return rc == 0 ? 0 : request_bad(r, SOCKS4_REJECTED,
		    "the SOCKS4 user id is over 255 bytes");
	/* SOCKS4a: 0.0.0.x, x not 0, says a name follows */
	if (p[4] == 0 && p[5] == 0 && p[6] == 0 && p[7] != 0) {
		if ((rc = nul_field(p, len, &off, r->host)) != 1)
			return rc == 0 ? 0 : request_bad(r, SOCKS4_REJECTED,
			    "the SOCKS4a host name is over 255 bytes");
		if (r->host[0] == '\0' || !name_ok(r->host))
			return request_bad(r, SOCKS4_REJECTED, "the SOCKS4a "
			    "host name is empty or not a host name");
	} else
		(void)inet_ntop(AF_INET, p + 4, r->host, sizeof(r->host));
	return (long)off;
}

size_t
socks5_reply(int code, const struct sockaddr *bound, unsigned char out[22])
{
	out[0] = 5;
	out[1] = (unsigned char)code;
	out[2] = 0;
	if (bound != NULL && bound->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)bound;

		out[3] = 4;
		memcpy(out + 4, &s6->sin6_addr, 16);
		memcpy(out + 20, &s6->sin6_port, 2);	/* network order */
		return 22;
	}
	out[3] = 1;
	if (bound != NULL && bound->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)bound;

		memcpy(out + 4, &s4->sin_addr, 4);
		memcpy(out + 8, &s4->sin_port, 2);
	} else
		memset(out + 4, 0, 6);
	return 10;
}

size_t
socks4_reply(int code, unsigned char out[8])
{
	memset(out, 0, 8);
	out[1] = (unsigned char)code;
	return 8;
}
