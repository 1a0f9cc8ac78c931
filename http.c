/*
 * http.c: the HTTP/1.1 head parser, the chunked-coding scanner and the
 * protocol tables (methods, reason phrases, hop-by-hop fields).
 * A leaf: pure functions over the caller's bytes. Nothing here allocates,
 * touches an fd or logs; results are offsets into the caller's buffer.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "proxy.h"

#define CL_MAX		((uint64_t)1 << 62)	/* largest Content-Length */
#define CHUNK_LIMIT	((uint64_t)1 << 60)	/* chunk sizes stay below */
#define CHUNK_LINE_MAX	1024			/* size line, CRLF included */
#define TRAILER_MAX	8192			/* trailer section */

/* ------------------------------------------------------------- tables */

static const char *const methods[] = {
	[HTTP_OTHER] = "",
	[HTTP_GET] = "GET",
	[HTTP_HEAD] = "HEAD",
	[HTTP_POST] = "POST",
	[HTTP_PUT] = "PUT",
	[HTTP_DELETE] = "DELETE",
	[HTTP_CONNECT] = "CONNECT",
	[HTTP_OPTIONS] = "OPTIONS",
	[HTTP_TRACE] = "TRACE",
	[HTTP_PATCH] = "PATCH"
};
#define NMETHODS	(sizeof(methods) / sizeof(methods[0]))

/* RFC 9110 section 15 names, sorted by code for the binary search. */
static const struct {
	int		 code;
	const char	*text;
} reasons[] = {
	{ 100, "Continue" },
	{ 101, "Switching Protocols" },
	{ 102, "Processing" },
	{ 103, "Early Hints" },
	{ 200, "OK" },
	{ 201, "Created" },
	{ 202, "Accepted" },
	{ 203, "Non-Authoritative Information" },
	{ 204, "No Content" },
	{ 205, "Reset Content" },
	{ 206, "Partial Content" },
	{ 207, "Multi-Status" },
	{ 300, "Multiple Choices" },
	{ 301, "Moved Permanently" },
	{ 302, "Found" },
	{ 303, "See Other" },
	{ 304, "Not Modified" },
	{ 305, "Use Proxy" },
	{ 306, "Unused" },
	{ 307, "Temporary Redirect" },
	{ 308, "Permanent Redirect" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 402, "Payment Required" },
	{ 403, "Forbidden" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 406, "Not Acceptable" },
	{ 407, "Proxy Authentication Required" },
	{ 408, "Request Timeout" },
	{ 409, "Conflict" },
	{ 410, "Gone" },
	{ 411, "Length Required" },
	{ 412, "Precondition Failed" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 415, "Unsupported Media Type" },
	{ 416, "Range Not Satisfiable" },
	{ 417, "Expectation Failed" },
	{ 418, "I'm a teapot" },
	{ 421, "Misdirected Request" },
	{ 422, "Unprocessable Content" },
	{ 425, "Too Early" },
	{ 426, "Upgrade Required" },
	{ 428, "Precondition Required" },
	{ 429, "Too Many Requests" },
	{ 431, "Request Header Fields Too Large" },
	{ 451, "Unavailable For Legal Reasons" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
	{ 511, "Network Authentication Required" }
};

static const char *const hop_fields[] = {
	"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer",
	"Transfer-Encoding", "Upgrade", "Proxy-Authorization",
	"Proxy-Authenticate"
};

/* Fields the parser itself acts on. */
enum fid {
	FID_OTHER, FID_CONTENT_LENGTH, FID_TRANSFER_ENCODING, FID_HOST,
	FID_CONNECTION, FID_PROXY_CONNECTION, FID_UPGRADE, FID_EXPECT
};

static const struct {
	const char	*name;
	enum fid	 id;
} known_fields[] = {
	{ "Content-Length", FID_CONTENT_LENGTH },
	{ "Transfer-Encoding", FID_TRANSFER_ENCODING },
	{ "Host", FID_HOST },
	{ "Connection", FID_CONNECTION },
	{ "Proxy-Connection", FID_PROXY_CONNECTION },
	{ "Upgrade", FID_UPGRADE },
	{ "Expect", FID_EXPECT }
};

/* Schemes whose default port a request-target may leave out: WebSocket
 * URIs have their HTTP twins' (RFC 6455 3). */
static const struct {
	const char	*name;
	uint16_t	 port;
} schemes[] = {
	{ "http", 80 },
	{ "https", 443 },
	{ "ws", 80 },
	{ "wss", 443 }
};

/* Codings a request may carry before "chunked" (RFC 9110 18.7). */
static const char *const codings[] = {
	"chunked", "gzip", "deflate", "compress", "x-gzip", "x-compress"
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

enum http_method
http_method_lookup(const char *s, size_t n)
{
	size_t i;

	/* methods are case-sensitive (RFC 9110 9.1) */
	for (i = 1; i < NMETHODS; i++)
		if (strlen(methods[i]) == n && memcmp(methods[i], s, n) == 0)
			return (enum http_method)i;
	return HTTP_OTHER;
}

const char *
http_method_name(enum http_method m)
{
	/* "" for HTTP_OTHER: its name is only in the head's method_s */
	if ((size_t)m >= NMETHODS)
		return "";
	return methods[m];
}

const char *
http_reason(int status)
{
	size_t lo = 0, hi = NELEM(reasons), mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (reasons[mid].code == status)
			return reasons[mid].text;
		if (reasons[mid].code < status)
			lo = mid + 1;
		else
			hi = mid;
	}
	return "Unknown";
}

int
http_is_hop_field(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NELEM(hop_fields); i++)
		if (strncaseeq(name, len, hop_fields[i]))
			return 1;
	return 0;
}

int
http_framing_field(const char *name, size_t len)
{
	return strncaseeq(name, len, "Content-Length") ||
	    strncaseeq(name, len, "Transfer-Encoding");
}

int
http_basic_decode(const char *buf, const struct http_head *h,
    const char *field, char *plain, size_t size, char **pass)
{
	const struct http_span *v;
	long n;
	int i;

	if ((i = http_find_field(buf, h, field, 0)) < 0)
		return -1;
	v = &h->fields[i].value;
	if (v->len < 6 || !strncaseeq(buf + v->off, 6, "Basic "))
		return -1;
	if ((n = base64_decode(buf + v->off + 6, v->len - 6, plain,
	    size - 1)) < 0)
		return -1;
	plain[n] = '\0';
	if ((*pass = strchr(plain, ':')) == NULL || strlen(plain) != (size_t)n)
		return -1;
	*(*pass)++ = '\0';
	return 0;
}

static enum fid
field_id(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NELEM(known_fields); i++)
		if (strncaseeq(name, len, known_fields[i].name))
			return known_fields[i].id;
	return FID_OTHER;
}

/* ------------------------------------------------- character classes */

/* ASCII by hand: <ctype.h> answers by locale, the wire does not. */
static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
hex_val(unsigned char c)
{
	if (is_digit(c))
		return c - '0';
	return (c | 0x20) - 'a' + 10;
}

/* tchar, RFC 9110 5.6.2 */
static int
is_tchar(unsigned char c)
{
	return is_alpha(c) || is_digit(c) ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

int
http_token(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && is_tchar((unsigned char)s[i]); i++)
		;
	return n > 0 && i == n;
}

static int
is_ws(int c)
{
	return c == ' ' || c == '\t';
}

/* Bytes a field value may hold: VCHAR, SP, HTAB, obs-text. */
static int
is_fvchar(unsigned char c)
{
	return (c >= 0x20 && c != 0x7f) || c == '\t';
}

/*
 * A request-target byte: VCHAR, less '#' since a fragment is never sent
 * (RFC 9112 3.2). Characters RFC 3986 would want escaped are let through
 * because clients send them and they cannot end the target early.
 */
static int
is_target_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '#';
}

/*
 * A reg-name or IPv4 byte. RFC 3986 also allows sub-delims and
 * %-escapes, which no DNS name has and which only serve to confuse a
 * log line, a cache key or a parent proxy.
 */
static int
is_host_char(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '.' ||
	    c == '_' || c == '~';
}

static int
is_v6_char(unsigned char c)
{
	return is_hex(c) || c == ':' || c == '.';
}

/* ---------------------------------------------------------- helpers */

static struct http_span
span(size_t off, size_t len)
{
	struct http_span s;

	/* the head is at most INT_MAX bytes, so offsets fit */
	s.off = (uint32_t)off;
	s.len = (uint32_t)len;
	return s;
}

static int
fail(struct http_head *h, int code, const char *why)
{
	h->error = why;
	return code;
}

/*
 * The next element of a comma-separated list (RFC 9110 5.6.1) from
 * v[*pos..n), OWS trimmed; a comma inside a quoted string does not split.
 * Empty elements are returned (len 0) for the caller to skip or refuse.
 * Returns 0 once the list is exhausted; *pos starts at 0.
 */
static int
list_next(const char *v, size_t n, size_t *pos, size_t *off, size_t *len)
{
	size_t i, s;
	int quoted = 0;

	if (*pos > n)
		return 0;
	for (i = s = *pos; i < n; i++) {
		if (quoted) {
			if (v[i] == '\\' && i + 1 < n)
				i++;
			else if (v[i] == '"')
				quoted = 0;
		} else if (v[i] == '"')
			quoted = 1;
		else if (v[i] == ',')
			break;
	}
	*pos = i + 1;
	while (s < i && is_ws(v[s]))
		s++;
	while (i > s && is_ws(v[i - 1]))
		i--;
	*off = s;
	*len = i - s;
	return 1;
}

/* ASCII case-insensitive equality of two n-byte strings */
static int
caseeq(const char *a, const char *b, size_t n)
{
	unsigned char x, y;
	size_t i;

	for (i = 0; i < n; i++) {
		x = (unsigned char)a[i];
		y = (unsigned char)b[i];
		if (x >= 'A' && x <= 'Z')
			x |= 0x20;
		if (y >= 'A' && y <= 'Z')
			y |= 0x20;
		if (x != y)
			return 0;
	}
	return 1;
}

static int
list_has(const char *v, size_t n, const char *tok, size_t toklen)
{
	size_t pos = 0, off, len;

	while (list_next(v, n, &pos, &off, &len))
		if (len == toklen && len > 0 && caseeq(v + off, tok, len))
			return 1;
	return 0;
}

/* ----------------------------------------------------- the head scan */

/*
 * Finds the CRLFCRLF that ends a head in buf[0..len), resuming near
 * *scan, and refuses on sight what no valid head holds: control bytes
 * other than HTAB, a bare CR or LF, a line starting with whitespace
 * (obs-fold). Only the first max bytes are looked at, so the verdict does
 * not depend on how the bytes arrived. Returns the head length, 0 for
 * more, -400 or -431.
 */
static int
head_scan(const char *buf, size_t len, size_t max, size_t *scan,
    struct http_head *h)
{
	size_t i, lim;
	unsigned char c, prev;

	if (max > INT_MAX)
		max = INT_MAX;
	lim = len < max ? len : max;
	/*
	 * Every test below looks back at bytes still in buf, so nothing
	 * before *scan needs a second look, not even for a CRLFCRLF split
	 * across calls: its last LF is always new.
	 */
	for (i = *scan <= len ? *scan : 0; i < lim; i++) {
		c = (unsigned char)buf[i];
		prev = i > 0 ? (unsigned char)buf[i - 1] : 0;
		if (c == '\n') {
			if (prev != '\r')
				return fail(h, -400, "a line ends in a bare "
				    "LF, not CRLF (RFC 9112 2.2)");
			if (i >= 3 && buf[i - 2] == '\n') {
				*scan = i + 1;
				return (int)(i + 1);
			}
			continue;
		}
		if (prev == '\r')
			return fail(h, -400, "a bare CR, not followed by LF "
			    "(RFC 9112 2.2)");
		if (prev == '\n' && is_ws(c))
			return fail(h, -400, "a field line folded onto the "
			    "next: obs-fold (RFC 9112 5.2)");
		if (c != '\r' && !is_fvchar(c))
			return fail(h, -400, "a control byte in the head: "
			    "only HTAB may be there (RFC 9110 5.5)");
	}
	*scan = i;
	if (len >= max)
		return fail(h, -431, "head too large");
	return 0;
}

/* The CR ending the line at pos; the scan made sure there is one. */
static size_t
line_end(const char *buf, size_t pos, size_t head_len)
{
	const char *cr = memchr(buf + pos, '\r', head_len - pos);

	return (size_t)(cr - buf);
}

static void
head_reset(struct http_head *h, size_t head_len)
{
	/* fields[] is left alone: only fields[0..nfields) are defined */
	h->method = HTTP_OTHER;
	h->method_s = h->target = h->reason = span(0, 0);
	h->form = HTTP_FORM_ORIGIN;
	h->minor = 0;
	h->status = 0;
	h->scheme = h->host = h->path = h->host_field = span(0, 0);
	h->port = 0;
	h->nfields = 0;
	h->body = HTTP_BODY_NONE;
	h->content_length = 0;
	h->flags = 0;
	h->head_len = head_len;
	h->error = NULL;
}

/* ------------------------------------------------ start-line pieces */

/* "HTTP/1.0" or "HTTP/1.1": 0; other digits: -505; anything else: -400. */
static int
parse_version(const char *p, size_t n, int *minor)
{
	if (n != 8 || memcmp(p, "HTTP/", 5) != 0 ||
	    !is_digit((unsigned char)p[5]) || p[6] != '.' ||
	    !is_digit((unsigned char)p[7]))
		return -400;
	if (p[5] != '1' || (p[7] != '0' && p[7] != '1'))
		return -505;
	*minor = p[7] - '0';
	return 0;
}

int
http_port_parse(const char *p, size_t n, int zero_ok, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)p[i]))
			return -1;
		v = v * 10 + (unsigned long)(p[i] - '0');
	}
	if ((v == 0 && !zero_ok) || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/*
 * host [":" port] at buf[off..off+n). host is a name, an IPv4 address or
 * a bracketed IPv6 literal (the span leaves the brackets out). *port is
 * 0 when absent. 0 or -1.
 */
static int
parse_hostport_span(const char *buf, size_t off, size_t n,
    struct http_span *host, uint16_t *port)
{
	const char *p = buf + off;
	size_t i, hs, he;

	if (n > 0 && p[0] == '[') {
		for (i = 1; i < n && p[i] != ']'; i++)
			if (!is_v6_char((unsigned char)p[i]))
				return -1;
		if (i == n || memchr(p + 1, ':', i - 1) == NULL)
			return -1;
		hs = 1;
		he = i++;
	} else {
		for (i = 0; i < n && is_host_char((unsigned char)p[i]); i++)
			;
		hs = 0;
		he = i;
	}
	if (he == hs || he - hs >= HOST_MAX)
		return -1;
	*host = span(off + hs, he - hs);
	*port = 0;
	if (i == n)
		return 0;
	if (p[i] != ':')
		return -1;
	return http_port_parse(p + i + 1, n - i - 1, 0, port);
}

/* scheme "://" authority [path-abempty] ["?" query] */
static int
parse_absolute(const char *buf, struct http_head *h)
{
	size_t off = h->target.off, n = h->target.len, i, a, e, k;
	const char *p = buf + off;

	for (i = 0; i < n; i++)
		if (!is_alpha((unsigned char)p[i]) && (i == 0 ||
		    (!is_digit((unsigned char)p[i]) && p[i] != '+' &&
		    p[i] != '-' && p[i] != '.')))
			break;
	if (i == 0 || n - i < 3 || memcmp(p + i, "://", 3) != 0)
		return fail(h, -400, "the request-target is not a path, an "
		    "absolute URI, host:port or * (RFC 9112 3.2)");
	h->scheme = span(off, i);
	a = i + 3;
	for (e = a; e < n && p[e] != '/' && p[e] != '?'; e++)
		if (p[e] == '@')
			return fail(h, -400, "user@ in the request-target "
			    "is refused (RFC 9110 4.2.4)");
	if (parse_hostport_span(buf, off + a, e - a, &h->host, &h->port) == -1)
		return fail(h, -400, "the host in the request-target is not "
		    "a name, IPv4 or [IPv6] with an optional port 1-65535 "
		    "(RFC 3986 3.2)");
	for (k = 0; h->port == 0 && k < NELEM(schemes); k++)
		if (strncaseeq(p, i, schemes[k].name))
			h->port = schemes[k].port;
	/* empty means "/"; it may start with "?" ("http://h?q") */
	h->path = span(off + e, n - e);
	return 0;
}

static int
parse_target(const char *buf, struct http_head *h)
{
	const char *t = buf + h->target.off;
	size_t n = h->target.len, i;

	for (i = 0; i < n; i++)
		if (!is_target_char((unsigned char)t[i]))
			return fail(h, -400, "a space, control byte, "
			    "non-ASCII byte or # in the request-target "
			    "(RFC 9112 3.2)");
	if (h->method == HTTP_CONNECT) {
		h->form = HTTP_FORM_AUTHORITY;
		if (parse_hostport_span(buf, h->target.off, n, &h->host,
		    &h->port) == -1 || h->port == 0)
			return fail(h, -400, "CONNECT needs host:port "
			    "(RFC 9110 9.3.6)");
		return 0;
	}
	if (t[0] == '/') {
		h->form = HTTP_FORM_ORIGIN;
		h->path = h->target;
		return 0;
	}
	if (n == 1 && t[0] == '*') {
		h->form = HTTP_FORM_ASTERISK;
		if (h->method != HTTP_OPTIONS)
			return fail(h, -400, "\"*\" is a request-target for "
			    "OPTIONS only (RFC 9112 3.2.4)");
		return 0;
	}
	h->form = HTTP_FORM_ABSOLUTE;
	return parse_absolute(buf, h);
}

/* method SP request-target SP HTTP-version, in buf[0..eol) */
static int
parse_request_line(const char *buf, size_t eol, struct http_head *h)
{
	size_t i, t;
	int r;

	for (i = 0; i < eol && is_tchar((unsigned char)buf[i]); i++)
		;
	if (i == 0 || i == eol || buf[i] != ' ')
		return fail(h, -400, "the method is not a token followed by "
		    "one space (RFC 9112 3.1)");
	h->method_s = span(0, i);
	h->method = http_method_lookup(buf, i);
	for (t = ++i; i < eol && buf[i] != ' '; i++)
		;
	if (i == t || i == eol)
		return fail(h, -400, "the request line is not method SP "
		    "request-target SP version (RFC 9112 3)");
	h->target = span(t, i - t);
	i++;
	if ((r = parse_version(buf + i, eol - i, &h->minor)) != 0)
		return fail(h, r, r == -505 ? "only HTTP/1.0 and HTTP/1.1 "
		    "are spoken here (RFC 9112 2.3)" :
		    "the version is not HTTP/1.x in capitals with one digit "
		    "each (RFC 9112 2.3)");
	return parse_target(buf, h);
}

/* HTTP-version SP 3DIGIT [SP reason], in buf[0..eol) */
static int
parse_status_line(const char *buf, size_t eol, struct http_head *h)
{
	const unsigned char *p = (const unsigned char *)buf;

	if (eol < 12 || parse_version(buf, 8, &h->minor) != 0 ||
	    p[8] != ' ' || p[9] < '1' || p[9] > '9' || !is_digit(p[10]) ||
	    !is_digit(p[11]))
		return fail(h, -502, "bad status line");
	/* the SP before an empty reason is often left out; that is safe */
	if (eol > 12 && p[12] != ' ')
		return fail(h, -502, "bad status line");
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	h->reason = eol > 12 ? span(13, eol - 13) : span(12, 0);
	return 0;
}

/* -------------------------------------------------- header fields */

/* What the framing and flags are derived from, gathered field by field. */
struct frame {
	uint64_t	 cl;		/* the Content-Length value */
	int		 ncl;		/* Content-Length values seen */
	int		 cl_bad;	/* malformed or differing values */
	int		 te;		/* Transfer-Encoding fields seen */
	int		 ncodings;	/* codings in them */
	int		 te_syntax;	/* a malformed coding */
	int		 te_misplaced;	/* a coding after chunked */
	int		 te_unknown;	/* a coding we do not know */
	int		 te_chunked;	/* the last coding so far is chunked */
	int		 nhost;
	int		 conn_upgrade;	/* Connection lists "upgrade" */
	int		 upgrade;	/* an Upgrade field is present */
};

/* 1*DIGIT up to CL_MAX; -1 if not */
static int
parse_cl_value(const char *p, size_t n, uint64_t *v)
{
	size_t i;
	unsigned d;

	if (n == 0)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)p[i]))
			return -1;
		d = (unsigned)(p[i] - '0');
		if (*v > (CL_MAX - d) / 10)
			return -1;
		*v = *v * 10 + d;
	}
	return 0;
}

/* Identical values in one list or several fields collapse (RFC 9110 8.6). */
static void
note_content_length(const char *v, size_t n, struct frame *f)
{
	size_t pos = 0, off, len;
	uint64_t cl;

	while (list_next(v, n, &pos, &off, &len)) {
		if (parse_cl_value(v + off, len, &cl) == -1 ||
		    (f->ncl > 0 && cl != f->cl)) {
			f->cl_bad = 1;
			return;
		}
		f->cl = cl;
		f->ncl++;
	}
}

/* quoted-string at p[0..n) with p[0] == '"'; its length or 0 if bad */
static size_t
quoted_len(const char *p, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++) {
		if (p[i] == '"')
			return i + 1;
		if (p[i] == '\\')
			i++;
	}
	return 0;
}

static size_t
token_len(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && is_tchar((unsigned char)p[i]); i++)
		;
	return i;
}

static size_t
skip_ows(const char *p, size_t i, size_t n)
{
	while (i < n && is_ws(p[i]))
		i++;
	return i;
}

/*
 * transfer-coding = token *( OWS ";" OWS token "=" ( token /
 * quoted-string ) ) in p[0..n); the length of the leading token, or 0 if
 * the element is malformed.
 */
static size_t
coding_name(const char *p, size_t n)
{
	size_t name, i, v;

	name = i = token_len(p, n);
	while (i < n && name > 0) {
		i = skip_ows(p, i, n);
		if (i == n || p[i++] != ';')
			return 0;
		i = skip_ows(p, i, n);
		v = token_len(p + i, n - i);
		i += v;
		if (v == 0 || i == n || p[i++] != '=')
			return 0;
		if (i < n && p[i] == '"')
			v = quoted_len(p + i, n - i);
		else
			v = token_len(p + i, n - i);
		if (v == 0)
			return 0;
		i += v;
	}
	return name;
}

/* Transfer-Encoding lists, taken in order across fields. */
static void
note_transfer_encoding(const char *v, size_t n, struct frame *f)
{
	size_t pos = 0, off, len, name, i;

	f->te++;
	while (list_next(v, n, &pos, &off, &len)) {
		if (len == 0)
			continue;
		f->ncodings++;
		if ((name = coding_name(v + off, len)) == 0) {
			f->te_syntax = 1;
			continue;
		}
		if (f->te_chunked)
			f->te_misplaced = 1;
		f->te_chunked = strncaseeq(v + off, name, "chunked");
		for (i = 0; i < NELEM(codings); i++)
			if (strncaseeq(v + off, name, codings[i]))
				break;
		if (i == NELEM(codings))
			f->te_unknown = 1;
	}
}

static void
note_connection(const char *v, size_t n, struct http_head *h,
    struct frame *f)
{
	if (list_has(v, n, "close", 5))
		h->flags |= HTTP_F_CLOSE;
	if (list_has(v, n, "keep-alive", 10))
		h->flags |= HTTP_F_KEEPALIVE;
	if (list_has(v, n, "upgrade", 7))
		f->conn_upgrade = 1;
}

static int
note_host(const char *buf, struct http_field *fl, struct http_head *h,
    struct frame *f)
{
	struct http_span host;
	uint16_t port;

	if (++f->nhost > 1)
		return fail(h, -400, "more than one Host field "
		    "(RFC 9112 3.2)");
	/* empty is valid: a target without authority (RFC 9112 3.2) */
	if (fl->value.len > 0 && parse_hostport_span(buf, fl->value.off,
	    fl->value.len, &host, &port) == -1)
		return fail(h, -400, "the Host field is not host[:port] "
		    "(RFC 9112 3.2)");
	h->flags |= HTTP_F_HAS_HOST;
	h->host_field = fl->value;
	return 0;
}

/* Acts on the fields the parser knows; responses skip the request ones. */
static int
note_field(const char *buf, struct http_field *fl, int response,
    struct http_head *h, struct frame *f)
{
	const char *v = buf + fl->value.off;
	size_t n = fl->value.len;

	switch (field_id(buf + fl->name.off, fl->name.len)) {
	case FID_CONTENT_LENGTH:
		note_content_length(v, n, f);
		break;
	case FID_TRANSFER_ENCODING:
		note_transfer_encoding(v, n, f);
		break;
	case FID_HOST:
		if (!response)
			return note_host(buf, fl, h, f);
		break;
	case FID_PROXY_CONNECTION:
		/* old clients send it to proxies instead of Connection */
		if (!response)
			note_connection(v, n, h, f);
		break;
	case FID_CONNECTION:
		note_connection(v, n, h, f);
		break;
	case FID_UPGRADE:
		f->upgrade = 1;
		if (list_has(v, n, "websocket", 9))
			h->flags |= HTTP_F_WEBSOCKET;
		break;
	case FID_EXPECT:
		if (!response && list_has(v, n, "100-continue", 12))
			h->flags |= HTTP_F_EXPECT100;
		break;
	case FID_OTHER:
		break;
	}
	return 0;
}

/*
 * What a forwarder needs beside the body kind: a Content-Length beside
 * Transfer-Encoding is to be dropped, and codings other than one final
 * chunked stay in the body after dechunking.
 */
static void
te_flags(struct http_head *h, const struct frame *f)
{
	if (f->te == 0)
		return;
	h->flags |= HTTP_F_TE;
	if (f->ncl > 0 || f->cl_bad)
		h->flags |= HTTP_F_CL_TE;
	if (f->ncodings != 1 || !f->te_chunked)
		h->flags |= HTTP_F_TE_CODED;
}

/* field-name ":" OWS field-value OWS, in buf[pos..eol) */
static int
parse_field(const char *buf, size_t pos, size_t eol, struct http_field *fl)
{
	size_t i, e;

	for (i = pos; i < eol && is_tchar((unsigned char)buf[i]); i++)
		;
	/* whitespace before the colon is refused (RFC 9112 5.1) */
	if (i == pos || i == eol || buf[i] != ':')
		return -1;
	fl->name = span(pos, i - pos);
	for (i++; i < eol && is_ws(buf[i]); i++)
		;
	for (e = eol; e > i && is_ws(buf[e - 1]); e--)
		;
	fl->value = span(i, e - i);
	return 0;
}

/* The field lines from pos up to the empty line. */
static int
parse_fields(const char *buf, size_t pos, int response, struct http_head *h,
    struct frame *f)
{
	struct http_field *fl;
	size_t eol;
	int r;

	while ((eol = line_end(buf, pos, h->head_len)) > pos) {
		if (h->nfields == HTTP_MAX_FIELDS)
			return fail(h, -431, "too many header fields");
		fl = &h->fields[h->nfields];
		if (parse_field(buf, pos, eol, fl) == -1)
			return fail(h, -400, "a field line is not "
			    "name \":\" value, or has whitespace before the "
			    "colon (RFC 9112 5.1)");
		if ((r = note_field(buf, fl, response, h, f)) < 0)
			return r;
		h->nfields++;
		pos = eol + 2;
	}
	if (f->conn_upgrade && f->upgrade)
		h->flags |= HTTP_F_UPGRADE;
	te_flags(h, f);
	return 0;
}

/* ------------------------------------------------------------ framing */

/*
 * RFC 9112 6.1-6.3 for a request. A Content-Length of 0 gives body NONE,
 * so that a caller only relays for LENGTH and CHUNKED.
 */
static int
request_framing(struct http_head *h, const struct frame *f)
{
	static const char not_last[] = "chunked must be the final "
	    "transfer-coding of a request, once (RFC 9112 6.3)";

	if (h->minor == 1 && f->nhost == 0)
		return fail(h, -400, "an HTTP/1.1 request without Host "
		    "(RFC 9112 3.2)");
	if (f->te > 0) {
		/* a server or the next hop may take either length: the
		 * gap between them is where requests are smuggled */
		if (f->ncl > 0 || f->cl_bad)
			return fail(h, -400, "Content-Length with "
			    "Transfer-Encoding is refused (RFC 9112 6.3: the "
			    "two could frame the body two ways)");
		if (h->minor == 0)
			return fail(h, -400, "Transfer-Encoding in an "
			    "HTTP/1.0 request (RFC 9112 6.1)");
		/* without chunked once and last the length is unknown
		 * (RFC 9112 6.3 rule 4); a coding not understood is 501
		 * (RFC 9112 6.1) */
		if (f->te_syntax)
			return fail(h, -400, "Transfer-Encoding is not a list "
			    "of transfer-codings (RFC 9112 6.1)");
		if (f->te_misplaced)
			return fail(h, -400, not_last);
		if (f->te_unknown)
			return fail(h, -501, "a transfer-coding this proxy "
			    "does not know (RFC 9112 6.1)");
		if (!f->te_chunked)
			return fail(h, -400, not_last);
		h->body = HTTP_BODY_CHUNKED;
		return 0;
	}
	if (f->cl_bad)
		return fail(h, -400, "Content-Length is not one decimal "
		    "number, or its values differ (RFC 9110 8.6)");
	if (f->ncl > 0 && f->cl > 0) {
		h->body = HTTP_BODY_LENGTH;
		h->content_length = f->cl;
	}
	return 0;
}

/* RFC 9112 6.3 for a response; Content-Length 0 gives NONE here too. */
static int
response_framing(enum http_method req_method, struct http_head *h,
    const struct frame *f)
{
	/* an HTTP/1.0 message with Transfer-Encoding must not be reused */
	if (f->te > 0 && h->minor == 0) {
		h->flags |= HTTP_F_CLOSE;
		h->flags &= ~(unsigned)HTTP_F_KEEPALIVE;
	}
	if (req_method == HTTP_HEAD || h->status < 200 || h->status == 204 ||
	    h->status == 304 ||
	    (req_method == HTTP_CONNECT && h->status / 100 == 2))
		return 0;
	if (f->te > 0) {
		/* Content-Length is ignored then (rule 3). chunked twice is
		 * forbidden (RFC 9112 7) and seen only in smuggling tries */
		if (f->te_syntax || (f->te_misplaced && f->te_chunked))
			return fail(h, -502, "bad Transfer-Encoding");
		h->body = f->te_chunked ? HTTP_BODY_CHUNKED : HTTP_BODY_CLOSE;
		return 0;
	}
	if (f->cl_bad)
		return fail(h, -502, "bad Content-Length");
	if (f->ncl == 0)
		h->body = HTTP_BODY_CLOSE;
	else if (f->cl > 0) {
		h->body = HTTP_BODY_LENGTH;
		h->content_length = f->cl;
	}
	return 0;
}

/* ----------------------------------------------------------- the API */

/* see proxy.h */
int
http_parse_request(const char *buf, size_t len, size_t max, size_t *scan,
    struct http_head *h)
{
	struct frame f;
	size_t eol;
	int r;

	if ((r = head_scan(buf, len, max, scan, h)) <= 0)
		return r;
	head_reset(h, (size_t)r);
	memset(&f, 0, sizeof(f));
	eol = line_end(buf, 0, h->head_len);
	if ((r = parse_request_line(buf, eol, h)) < 0 ||
	    (r = parse_fields(buf, eol + 2, 0, h, &f)) < 0 ||
	    (r = request_framing(h, &f)) < 0)
		return r;
	return (int)h->head_len;
}

/* see proxy.h */
int
http_parse_response(const char *buf, size_t len, size_t max, size_t *scan,
    enum http_method req_method, struct http_head *h)
{
	struct frame f;
	size_t eol;
	int r;

	if ((r = head_scan(buf, len, max, scan, h)) == 0)
		return 0;
	if (r < 0)
		return -502;
	head_reset(h, (size_t)r);
	memset(&f, 0, sizeof(f));
	eol = line_end(buf, 0, h->head_len);
	if (parse_status_line(buf, eol, h) < 0 ||
	    parse_fields(buf, eol + 2, 1, h, &f) < 0 ||
	    response_framing(req_method, h, &f) < 0)
		return -502;
	return (int)h->head_len;
}

/* see proxy.h */
int
http_find_field(const char *buf, const struct http_head *h,
    const char *name, size_t start)
{
	size_t i;

	for (i = start; i < h->nfields; i++)
		if (strncaseeq(buf + h->fields[i].name.off,
		    h->fields[i].name.len, name))
			return (int)i;
	return -1;
}

/* see proxy.h */
int
http_list_has(const char *value, size_t len, const char *token)
{
	return list_has(value, len, token, strlen(token));
}

/* see proxy.h */
int
http_connection_lists(const char *buf, const struct http_head *h,
    const char *name, size_t len)
{
	const struct http_field *fl;
	size_t i;

	for (i = 0; i < h->nfields; i++) {
		fl = &h->fields[i];
		if (strncaseeq(buf + fl->name.off, fl->name.len,
		    "Connection") &&
		    list_has(buf + fl->value.off, fl->value.len, name, len))
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------------ chunked */

/*
 * Scanner states, in the order the coding sends them (RFC 9112 7.1):
 * chunk-size [ chunk-ext ] CRLF chunk-data CRLF ... last-chunk
 * trailer-section CRLF. A *_WS state follows BWS and, unlike its plain
 * twin, does not accept the CR: BWS only comes before ";" or "=".
 */
enum chunk_state {
	CH_SIZE0,		/* first hex digit of a size */
	CH_SIZE,		/* more hex digits, ";", BWS or CR */
	CH_SIZE_WS,		/* BWS after the size */
	CH_EXT_NAME0,		/* after ";": BWS or the name's first byte */
	CH_EXT_NAME,		/* in the name */
	CH_EXT_NAME_WS,		/* BWS after the name */
	CH_EXT_VAL0,		/* after "=": BWS, a token or a '"' */
	CH_EXT_TOKEN,		/* in a token value */
	CH_EXT_QUOTED,		/* in a quoted value */
	CH_EXT_ESCAPE,		/* after a backslash in it */
	CH_EXT_END,		/* after a value: ";", BWS or CR */
	CH_EXT_END_WS,		/* BWS after a value */
	CH_SIZE_LF,		/* CR of the size line seen */
	CH_DATA,		/* remain bytes of data */
	CH_DATA_CR,		/* CRLF after the data */
	CH_DATA_LF,
	CH_TR_LINE,		/* a trailer field or the final CRLF */
	CH_TR_NAME,		/* in a trailer field name */
	CH_TR_VALUE,		/* after the colon */
	CH_TR_LF,		/* CR ending a trailer field seen */
	CH_END_LF,		/* CR of the final CRLF seen */
	CH_DONE,
	CH_ERROR
};

/* see proxy.h */
void
http_chunked_init(struct http_chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->state = CH_SIZE0;
}

static int
chunk_fail(struct http_chunked *c, const char *why)
{
	c->state = CH_ERROR;
	c->error = why;
	return -1;
}

static int
chunk_digit(struct http_chunked *c, unsigned char ch)
{
	/* checked before the shift, which would otherwise overflow */
	if (c->remain >= CHUNK_LIMIT >> 4)
		return chunk_fail(c, "chunk size too large");
	c->remain = c->remain << 4 | (uint64_t)hex_val(ch);
	c->state = CH_SIZE;
	return 0;
}

/* The CR ending the size line, after the size or an extension. */
static int
chunk_cr(struct http_chunked *c, unsigned char ch, const char *why)
{
	if (ch == '\r')
		c->state = CH_SIZE_LF;
	else if (ch == '\n')
		return chunk_fail(c, "bare LF in chunk size line");
	else
		return chunk_fail(c, why);
	return 0;
}

/* The size digits and what may follow them, up to the extensions. */
static int
chunk_size_byte(struct http_chunked *c, unsigned char ch)
{
	switch (c->state) {
	case CH_SIZE0:
		if (!is_hex(ch))
			return chunk_fail(c, "no hex digit in chunk size");
		return chunk_digit(c, ch);
	case CH_SIZE:
		if (is_hex(ch))
			return chunk_digit(c, ch);
		if (ch == ';')
			c->state = CH_EXT_NAME0;
		else if (is_ws(ch))
			c->state = CH_SIZE_WS;
		else
			return chunk_cr(c, ch, "bad chunk size");
		return 0;
	case CH_SIZE_WS:
		if (ch == ';')
			c->state = CH_EXT_NAME0;
		else if (!is_ws(ch))
			return chunk_fail(c, "bad chunk size");
		return 0;
	}
	return chunk_fail(c, "bad chunk state");
}

/* chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS value ] ), skipped. */
static int
chunk_ext_byte(struct http_chunked *c, unsigned char ch)
{
	static const char bad[] = "bad chunk extension";

	switch (c->state) {
	case CH_EXT_NAME0:
		if (is_tchar(ch))
			c->state = CH_EXT_NAME;
		else if (!is_ws(ch))
			return chunk_fail(c, bad);
		return 0;
	case CH_EXT_NAME:
		if (is_tchar(ch))
			return 0;
		if (ch == '=')
			c->state = CH_EXT_VAL0;
		else if (ch == ';')
			c->state = CH_EXT_NAME0;
		else if (is_ws(ch))
			c->state = CH_EXT_NAME_WS;
		else
			return chunk_cr(c, ch, bad);
		return 0;
	case CH_EXT_NAME_WS:
	case CH_EXT_END_WS:
		if (ch == ';')
			c->state = CH_EXT_NAME0;
		else if (ch == '=' && c->state == CH_EXT_NAME_WS)
			c->state = CH_EXT_VAL0;
		else if (!is_ws(ch))
			return chunk_fail(c, bad);
		return 0;
	case CH_EXT_VAL0:
		if (is_tchar(ch))
			c->state = CH_EXT_TOKEN;
		else if (ch == '"')
			c->state = CH_EXT_QUOTED;
		else if (!is_ws(ch))
			return chunk_fail(c, bad);
		return 0;
	}
	return chunk_fail(c, "bad chunk state");
}

/* A token or quoted-string extension value and what follows it. */
static int
chunk_val_byte(struct http_chunked *c, unsigned char ch)
{
	static const char bad[] = "bad chunk extension";

	switch (c->state) {
	case CH_EXT_TOKEN:
	case CH_EXT_END:
		if (c->state == CH_EXT_TOKEN && is_tchar(ch))
			return 0;
		if (ch == ';')
			c->state = CH_EXT_NAME0;
		else if (is_ws(ch))
			c->state = CH_EXT_END_WS;
		else
			return chunk_cr(c, ch, bad);
		return 0;
	case CH_EXT_QUOTED:
		if (ch == '"')
			c->state = CH_EXT_END;
		else if (ch == '\\')
			c->state = CH_EXT_ESCAPE;
		else if (!is_fvchar(ch))
			return chunk_fail(c, bad);
		return 0;
	case CH_EXT_ESCAPE:
		if (!is_fvchar(ch))
			return chunk_fail(c, bad);
		c->state = CH_EXT_QUOTED;
		return 0;
	}
	return chunk_fail(c, "bad chunk state");
}

/* The LF of the size line, then the CRLF after the data. */
static int
chunk_crlf_byte(struct http_chunked *c, unsigned char ch)
{
	switch (c->state) {
	case CH_SIZE_LF:
		if (ch != '\n')
			return chunk_fail(c, "bare CR in chunk size line");
		c->linelen = 0;
		c->state = c->remain > 0 ? CH_DATA : CH_TR_LINE;
		return 0;
	case CH_DATA_CR:
		if (ch != '\r')
			return chunk_fail(c, "no CRLF after chunk data");
		c->state = CH_DATA_LF;
		return 0;
	case CH_DATA_LF:
		if (ch != '\n')
			return chunk_fail(c, "no CRLF after chunk data");
		c->state = CH_SIZE0;
		return 0;
	}
	return chunk_fail(c, "bad chunk state");
}

/* trailer-section CRLF: field lines as in a head, skipped. */
static int
chunk_trailer_byte(struct http_chunked *c, unsigned char ch)
{
	static const char bad[] = "bad trailer field";

	if (++c->trailer > TRAILER_MAX)
		return chunk_fail(c, "trailer section too large");
	switch (c->state) {
	case CH_TR_LINE:
		if (ch == '\r')
			c->state = CH_END_LF;
		else if (is_tchar(ch))
			c->state = CH_TR_NAME;
		else
			return chunk_fail(c, bad);
		return 0;
	case CH_TR_NAME:
		if (ch == ':')
			c->state = CH_TR_VALUE;
		else if (!is_tchar(ch))
			return chunk_fail(c, bad);
		return 0;
	case CH_TR_VALUE:
		if (ch == '\r')
			c->state = CH_TR_LF;
		else if (!is_fvchar(ch))
			return chunk_fail(c, bad);
		return 0;
	case CH_TR_LF:
	case CH_END_LF:
		if (ch != '\n')
			return chunk_fail(c, "bare CR in trailer section");
		c->done = c->state == CH_END_LF;
		c->state = c->done ? CH_DONE : CH_TR_LINE;
		return 0;
	}
	return chunk_fail(c, "bad chunk state");
}

static int
chunk_byte(struct http_chunked *c, unsigned char ch)
{
	/* the size line's states are the first ones in the enum */
	if (c->state <= CH_SIZE_LF && ++c->linelen > CHUNK_LINE_MAX)
		return chunk_fail(c, "chunk size line too long");
	switch (c->state) {
	case CH_SIZE0:
	case CH_SIZE:
	case CH_SIZE_WS:
		return chunk_size_byte(c, ch);
	case CH_EXT_NAME0:
	case CH_EXT_NAME:
	case CH_EXT_NAME_WS:
	case CH_EXT_VAL0:
	case CH_EXT_END_WS:
		return chunk_ext_byte(c, ch);
	case CH_EXT_TOKEN:
	case CH_EXT_QUOTED:
	case CH_EXT_ESCAPE:
	case CH_EXT_END:
		return chunk_val_byte(c, ch);
	case CH_SIZE_LF:
	case CH_DATA_CR:
	case CH_DATA_LF:
		return chunk_crlf_byte(c, ch);
	case CH_TR_LINE:
	case CH_TR_NAME:
	case CH_TR_VALUE:
	case CH_TR_LF:
	case CH_END_LF:
		return chunk_trailer_byte(c, ch);
	}
	return chunk_fail(c, "bad chunk state");
}

/* see proxy.h */
long
http_chunked_step(struct http_chunked *c, const char *buf, size_t len,
    size_t *data_len)
{
	size_t i, n;

	*data_len = 0;
	if (c->state == CH_ERROR)
		return -1;
	if (c->done || len == 0)
		return 0;
	if (c->state == CH_DATA) {
		n = c->remain < len ? (size_t)c->remain : len;
		if (n > LONG_MAX)
			n = LONG_MAX;
		c->remain -= n;
		if (c->remain == 0)
			c->state = CH_DATA_CR;
		*data_len = n;
		return (long)n;
	}
	for (i = 0; i < len && c->state != CH_DATA && !c->done; i++)
		if (chunk_byte(c, (unsigned char)buf[i]) == -1)
			return -1;
	return (long)i;
}

/* ---------------------------------------------------------- head builders */

void
http_out_put(struct http_out *o, const char *s, size_t n)
{
	if (o->overflow || n > o->cap - o->len) {
		o->overflow = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

void
http_out_str(struct http_out *o, const char *s)
{
	http_out_put(o, s, strlen(s));
}

static void
out_span(struct http_out *o, const char *buf, struct http_span sp)
{
	http_out_put(o, buf + sp.off, sp.len);
}

static void
out_field(struct http_out *o, const char *name, const char *value)
{
	http_out_str(o, name);
	http_out_put(o, ": ", 2);
	http_out_str(o, value);
	http_out_put(o, "\r\n", 2);
}

void
http_out_hostport(struct http_out *o, const char *host, uint16_t port,
    uint16_t defport)
{
	char num[8];

	if (strchr(host, ':') != NULL) {
		http_out_put(o, "[", 1);
		http_out_str(o, host);
		http_out_put(o, "]", 1);
	} else
		http_out_str(o, host);
	if (port != defport) {
		snprintf(num, sizeof(num), ":%u", port);
		http_out_str(o, num);
	}
}

void
http_hostport(char *dst, size_t size, const char *prefix, const char *host,
    uint16_t port)
{
	struct http_out o = { dst, 0, size - 1, 0 };

	http_out_str(&o, prefix);
	http_out_hostport(&o, host, port, 0);
	dst[o.overflow ? 0 : o.len] = '\0';
}

/* 1 if name is in v[n]; with colon, v holds "Name: value" fields. */
static int
name_listed(const char *const *v, size_t n, const char *name, size_t len,
    int colon)
{
	size_t i, vl;

	for (i = 0; i < n; i++) {
		const char *c = colon ? strchr(v[i], ':') : NULL;

		vl = c != NULL ? (size_t)(c - v[i]) : strlen(v[i]);
		if (vl == len && strncasecmp(v[i], name, len) == 0)
			return 1;
	}
	return 0;
}

static int
proxy_auth_field(const char *name, size_t len)
{
	return strncaseeq(name, len, "Proxy-Authorization") ||
	    strncaseeq(name, len, "Proxy-Authenticate");
}

/* Fields no hop may pass on, and those this hop was asked to drop. */
static int
field_dropped(const char *buf, const struct http_head *h,
    const struct http_field *f, const struct http_rewrite *rw, int request)
{
	const char *name = buf + f->name.off;
	size_t len = f->name.len;

	if (http_is_hop_field(name, len) &&
	    !(rw->keep_proxy_auth && proxy_auth_field(name, len)))
		return 1;
	if (http_connection_lists(buf, h, name, len))
		return 1;
	/* Transfer-Encoding frames the body: a Content-Length beside it
	 * would tell the next hop another length (RFC 9112 6.3) */
	if ((h->flags & HTTP_F_TE) && strncaseeq(name, len, "Content-Length"))
		return 1;
	if (!request)	/* a body plugins changed is framed anew */
		return rw->reframe != HTTP_REFRAME_NONE &&
		    strncaseeq(name, len, "Content-Length");
	return strncaseeq(name, len, "Host") ||
	    name_listed(rw->drop, rw->ndrop, name, len, 0) ||
	    name_listed(rw->add, rw->nadd, name, len, 1) ||
	    (rw->useragent != NULL && strncaseeq(name, len, "User-Agent"));
}

static void
out_fields(struct http_out *o, const char *buf, const struct http_head *h,
    const struct http_rewrite *rw, int request)
{
	size_t i;

	for (i = 0; i < h->nfields; i++) {
		const struct http_field *f = &h->fields[i];

		if (field_dropped(buf, h, f, rw, request))
			continue;
		out_span(o, buf, f->name);
		http_out_put(o, ": ", 2);
		out_span(o, buf, f->value);
		http_out_put(o, "\r\n", 2);
	}
}

/* Origin-form to a server, absolute-form to a parent, authority-form for
 * CONNECT. */
static void
out_target(struct http_out *o, const char *buf, const struct http_head *h,
    const struct http_rewrite *rw)
{
	if (h->method == HTTP_CONNECT) {
		http_out_hostport(o, rw->host, rw->port, 0);
		return;
	}
	if (rw->absolute) {
		http_out_str(o, "http://");
		http_out_hostport(o, rw->host, rw->port, 80);
	}
	if (h->path.len == 0 || buf[h->path.off] != '/')
		http_out_put(o, "/", 1);
	out_span(o, buf, h->path);
}

/* The received Transfer-Encoding values in one field, in order: the body
 * goes on in every coding its sender applied, not only chunked. */
static void
out_te(struct http_out *o, const char *buf, const struct http_head *h)
{
	int i = -1, n = 0;

	http_out_str(o, "Transfer-Encoding: ");
	while ((i = http_find_field(buf, h, "Transfer-Encoding",
	    (size_t)(i + 1))) >= 0) {
		if (n++ > 0)
			http_out_put(o, ", ", 2);
		out_span(o, buf, h->fields[i].value);
	}
	http_out_put(o, "\r\n", 2);
}

static void
out_upgrade(struct http_out *o, const char *buf, const struct http_head *h)
{
	int i = http_find_field(buf, h, "Upgrade", 0);

	http_out_str(o, "Connection: Upgrade\r\nUpgrade: ");
	if (i >= 0)
		out_span(o, buf, h->fields[i].value);
	http_out_put(o, "\r\n", 2);
}

size_t
http_build_request(const char *buf, const struct http_head *h,
    const struct http_rewrite *rw, char *dst, size_t cap)
{
	struct http_out o = { dst, 0, cap, 0 };
	size_t i;

	out_span(&o, buf, h->method_s);
	http_out_put(&o, " ", 1);
	out_target(&o, buf, h, rw);
	http_out_str(&o, " HTTP/1.1\r\nHost: ");
	http_out_hostport(&o, rw->host, rw->port,
	    h->method == HTTP_CONNECT ? 0 : rw->default_port ?
	    rw->default_port : 80);
	http_out_put(&o, "\r\n", 2);
	out_fields(&o, buf, h, rw, 1);
	if (h->body == HTTP_BODY_CHUNKED)
		out_te(&o, buf, h);
	if (rw->upgrade)
		out_upgrade(&o, buf, h);
	for (i = 0; i < rw->nadd; i++) {
		http_out_str(&o, rw->add[i]);
		http_out_put(&o, "\r\n", 2);
	}
	if (rw->useragent != NULL)
		out_field(&o, "User-Agent", rw->useragent);
	if (rw->via != NULL)
		out_field(&o, "Via", rw->via);
	if (rw->proxy_auth != NULL)
		out_field(&o, "Proxy-Authorization", rw->proxy_auth);
	http_out_put(&o, "\r\n", 2);
	return o.overflow ? 0 : o.len;
}

size_t
http_build_response(const char *buf, const struct http_head *h,
    const struct http_rewrite *rw, char *dst, size_t cap)
{
	struct http_out o = { dst, 0, cap, 0 };
	char line[32];

	snprintf(line, sizeof(line), "HTTP/1.1 %d ", h->status);
	http_out_str(&o, line);
	out_span(&o, buf, h->reason);
	http_out_put(&o, "\r\n", 2);
	out_fields(&o, buf, h, rw, 0);
	if (rw->reframe == HTTP_REFRAME_LENGTH) {
		snprintf(line, sizeof(line), "%llu",
		    (unsigned long long)rw->length);
		out_field(&o, "Content-Length", line);
	} else if (rw->reframe == HTTP_REFRAME_CHUNKED)
		http_out_str(&o, "Transfer-Encoding: chunked\r\n");
	else if (rw->reframe == HTTP_REFRAME_NONE && rw->keep_te &&
	    (h->flags & HTTP_F_TE))
		out_te(&o, buf, h);
	if (h->status == 101)
		out_upgrade(&o, buf, h);
	if (rw->via != NULL)
		out_field(&o, "Via", rw->via);
	if (h->status >= 200 && rw->close)
		http_out_str(&o, "Connection: close\r\n");
	else if (h->status >= 200 && rw->keepalive10)
		http_out_str(&o, "Connection: keep-alive\r\n");
	http_out_put(&o, "\r\n", 2);
	return o.overflow ? 0 : o.len;
}

size_t
http_build_answer(const struct http_answer *a, char *dst, size_t cap)
{
	struct http_out o = { dst, 0, cap, 0 };
	int bodiless = a->status < 200 || a->status == 204 ||
	    a->status == 304;
	char line[64];

	snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", a->status,
	    a->phrase != NULL ? a->phrase : http_reason(a->status));
	http_out_str(&o, line);
	if (!bodiless || a->ctype != NULL)
		out_field(&o, "Content-Type", a->ctype != NULL ? a->ctype :
		    "text/plain");
	/* none on a 1xx or 204 (RFC 9110 8.6), and a 304's would have to
	 * be its 200's length */
	if (!bodiless) {
		snprintf(line, sizeof(line), "%llu",
		    (unsigned long long)a->length);
		out_field(&o, "Content-Length", line);
	}
	if (a->cache != NULL)
		out_field(&o, "Cache-Control", a->cache);
	if (a->authenticate != NULL)
		out_field(&o, "Proxy-Authenticate", a->authenticate);
	if (a->via != NULL)
		out_field(&o, "Via", a->via);
	if (a->fields != NULL)
		http_out_str(&o, a->fields);
	if (a->close)
		http_out_str(&o, "Connection: close\r\n");
	else if (a->keepalive10)
		http_out_str(&o, "Connection: keep-alive\r\n");
	http_out_put(&o, "\r\n", 2);
	return o.overflow ? 0 : o.len;
}

/* The short text/plain page that says why: "status reason: why\n". */
static size_t
error_body(int status, const char *phrase, const char *why, char *dst,
    size_t cap)
{
	int n = snprintf(dst, cap, "%d %s: %s\n", status, phrase,
	    why != NULL ? why : phrase);

	if (n < 0)
		return 0;
	return (size_t)n < cap ? (size_t)n : cap - 1;	/* cut, not lost */
}

size_t
http_build_error(int status, const char *why, const char *via, char *dst,
    size_t cap)
{
	return http_build_error_as(status, NULL, why, via, dst, cap);
}

size_t
http_build_error_as(int status, const char *phrase, const char *why,
    const char *via, char *dst, size_t cap)
{
	struct http_answer a;
	char body[512];
	size_t hl;

	memset(&a, 0, sizeof(a));
	a.status = status;
	a.phrase = phrase;
	a.length = error_body(status, phrase != NULL ? phrase :
	    http_reason(status), why, body, sizeof(body));
	a.close = 1;
	a.via = via;
	if (status == 407)
		a.authenticate = "Basic realm=\"proxy\"";
	else if (status == 401)
		a.fields = "WWW-Authenticate: Basic realm=\"proxy\"\r\n";
	else if (status == 405)
		a.fields = "Allow: GET, HEAD\r\n";
	if ((hl = http_build_answer(&a, dst, cap)) == 0 ||
	    cap - hl < (size_t)a.length)
		return 0;
	memcpy(dst + hl, body, (size_t)a.length);
	return hl + (size_t)a.length;
}

/* ------------------------------------------------------------ dates */

static const char *const wdays[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
    "Fri", "Sat" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* Days since 1970-01-01 of a date of the proleptic Gregorian calendar
 * (m 1-12): the civil-from-days inverse, with no gmtime or timegm. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
http_date_format(int64_t t, char out[30])
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t secs = t - days * 86400, z = days + 719468, era, doe, yoe, y;
	int64_t doy, mp, d, m;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999) {	/* out of the format's range */
		y = y < 0 ? 0 : 9999;
		m = y == 0 ? 1 : 12;
		d = y == 0 ? 1 : 31;
		secs = y == 0 ? 0 : 86399;
		days = days_from_civil(y, (int)m, (int)d);
	}
	snprintf(out, 30, "%s, %02d %s %04d %02d:%02d:%02d GMT",
	    wdays[((days % 7) + 11) % 7], (int)d, months[m - 1], (int)y,
	    (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
}

/* Reads n digits at *p (advancing it) into *v; -1 if they are not. */
static int
date_num(const char **p, const char *end, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++, (*p)++) {
		if (*p >= end || !is_digit((unsigned char)**p))
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

/* Matches the literal lit at *p (advancing it); -1 if it is not there. */
static int
date_lit(const char **p, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if (*p > end || (size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
		return -1;
	*p += n;
	return 0;
}

static int
date_month(const char **p, const char *end, int *m)
{
	int i;

	for (i = 0; i < 12; i++)
		if (date_lit(p, end, months[i]) == 0) {
			*m = i + 1;
			return 0;
		}
	return -1;
}

/* "hh:mm:ss" into seconds of the day. */
static int
date_clock(const char **p, const char *end, int *secs)
{
	int h, mi, sec;

	if (date_num(p, end, 2, &h) == -1 || date_lit(p, end, ":") == -1 ||
	    date_num(p, end, 2, &mi) == -1 || date_lit(p, end, ":") == -1 ||
	    date_num(p, end, 2, &sec) == -1 || h > 23 || mi > 59 || sec > 60)
		return -1;
	*secs = h * 3600 + mi * 60 + sec;
	return 0;
}

int
http_date_parse(const char *s, size_t n, int64_t *t)
{
	const char *p = s, *end = s + n, *comma = memchr(s, ',', n);
	int d, m, y, secs;

	if (n < 4)	/* every form starts with a day name and a blank */
		return -1;
	if (comma != NULL && comma - s == 3) {
		/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
		p += 4;
		if (date_lit(&p, end, " ") == -1 ||
		    date_num(&p, end, 2, &d) == -1 ||
		    date_lit(&p, end, " ") == -1 ||
		    date_month(&p, end, &m) == -1 ||
		    date_lit(&p, end, " ") == -1 ||
		    date_num(&p, end, 4, &y) == -1)
			return -1;
	} else if (comma != NULL) {
		/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"; a two-digit
		 * year more than 50 years ahead is in the past (RFC 9110) */
		p = comma + 1;
		if (date_lit(&p, end, " ") == -1 ||
		    date_num(&p, end, 2, &d) == -1 ||
		    date_lit(&p, end, "-") == -1 ||
		    date_month(&p, end, &m) == -1 ||
		    date_lit(&p, end, "-") == -1 ||
		    date_num(&p, end, 2, &y) == -1)
			return -1;
		y += y < 70 ? 2000 : 1900;
	} else {
		/* asctime: "Sun Nov  6 08:49:37 1994" */
		p += 3;
		if (date_lit(&p, end, " ") == -1 ||
		    date_month(&p, end, &m) == -1 ||
		    date_lit(&p, end, " ") == -1)
			return -1;
		if (p < end && *p == ' ')
			p++;
		if (date_num(&p, end, p + 1 < end && is_digit(
		    (unsigned char)p[1]) ? 2 : 1, &d) == -1 ||
		    date_lit(&p, end, " ") == -1 ||
		    date_clock(&p, end, &secs) == -1 ||
		    date_lit(&p, end, " ") == -1 ||
		    date_num(&p, end, 4, &y) == -1 || p != end)
			return -1;
		goto done;
	}
	if (date_lit(&p, end, " ") == -1 || date_clock(&p, end, &secs) == -1 ||
	    date_lit(&p, end, " GMT") == -1 || p != end)
		return -1;
done:
	if (d < 1 || d > 31)
		return -1;
	*t = days_from_civil(y, m, d) * 86400 + secs;
	return 0;
}

int
http_keepalive(const struct http_head *h)
{
	/* HTTP/1.1 stays open unless told to close; 1.0 closes unless told
	 * to stay (RFC 9112 9.3) */
	return h->minor == 1 ? !(h->flags & HTTP_F_CLOSE) :
	    (h->flags & HTTP_F_KEEPALIVE) != 0;
}

/* ------------------------------------------------- auth challenges */

/* token68 characters, RFC 9110 11.2 (the '=' padding apart) */
static int
is_token68(unsigned char c)
{
	return is_alpha(c) || is_digit(c) || (c != '\0' &&
	    strchr("-._~+/", c) != NULL);
}

/* The end of a quoted-string that starts at v[i] ('"'), or 0 if it does
 * not close. */
static size_t
quoted_end(const char *v, size_t n, size_t i)
{
	for (i++; i < n; i++) {
		if (v[i] == '\\' && i + 1 < n)
			i++;
		else if (v[i] == '"')
			return i + 1;
	}
	return 0;
}

/* One auth-param at v[i]: token BWS "=" BWS ( token / quoted-string );
 * its end, or 0 when there is none. */
static size_t
auth_param_end(const char *v, size_t n, size_t i)
{
	size_t s = i;

	while (i < n && is_tchar((unsigned char)v[i]))
		i++;
	if (i == s)
		return 0;
	while (i < n && is_ws(v[i]))
		i++;
	if (i == n || v[i] != '=')
		return 0;
	for (i++; i < n && is_ws(v[i]); i++)
		;
	if (i < n && v[i] == '"')
		return quoted_end(v, n, i);
	for (s = i; i < n && is_tchar((unsigned char)v[i]); i++)
		;
	return i > s ? i : 0;
}

/* The end of a token68 at v[i] followed only by OWS up to a ',' or the
 * end (else 0: what follows is auth-params). */
static size_t
token68_end(const char *v, size_t n, size_t i)
{
	size_t s = i, e;

	while (i < n && is_token68((unsigned char)v[i]))
		i++;
	while (i < n && v[i] == '=')
		i++;
	if (i == s)
		return 0;
	for (e = i; e < n && is_ws(v[e]); e++)
		;
	return e == n || v[e] == ',' ? i : 0;
}

/* see proxy.h */
int
http_auth_next(const char *v, size_t n, size_t *pos,
    struct http_challenge *ch)
{
	size_t i = *pos, e, k;

	memset(ch, 0, sizeof(*ch));
	while (i < n && (is_ws(v[i]) || v[i] == ','))
		i++;
	if (i == n) {
		*pos = n;
		return 0;
	}
	ch->scheme = v + i;
	while (i < n && is_tchar((unsigned char)v[i]))
		i++;
	ch->scheme_len = (size_t)(v + i - ch->scheme);
	if (ch->scheme_len == 0 || (i < n && !is_ws(v[i]) && v[i] != ','))
		return -1;
	while (i < n && is_ws(v[i]))
		i++;
	if (i < n && v[i] != ',' && (e = token68_end(v, n, i)) != 0) {
		ch->token = v + i;
		ch->token_len = e - i;
		i = e;
	} else if (i < n && v[i] != ',') {
		/* auth-params: up to a ',' that is followed by something
		 * other than another auth-param (the next challenge) */
		ch->params = v + i;
		for (;;) {
			if ((e = auth_param_end(v, n, i)) == 0)
				return -1;
			ch->params_len = e - (size_t)(ch->params - v);
			for (i = e; i < n && is_ws(v[i]); i++)
				;
			if (i == n)
				break;
			if (v[i] != ',')
				return -1;
			for (k = i; k < n && (is_ws(v[k]) || v[k] == ','); k++)
				;
			if (k == n || auth_param_end(v, n, k) == 0)
				break;
			i = k;
		}
	}
	while (i < n && is_ws(v[i]))
		i++;
	if (i < n && v[i] != ',')
		return -1;
	*pos = i;
	return 1;
}
