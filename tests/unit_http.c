/*
 * unit_http: the head parser and the chunked scanner. Every message is
 * fed whole, byte by byte (len growing with one scan variable) and split
 * at every offset; all three must agree. Inputs are copied to buffers of
 * their exact size so that AddressSanitizer sees any read past the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "check.h"

enum kind { REQ, RESP };

#define BIG	65536	/* max for cases that do not test the limit */

/* ------------------------------------------------------ head feeding */

static int
parse_n(enum kind k, const char *src, size_t n, size_t max, size_t *scan,
    enum http_method m, struct http_head *h)
{
	char *b = malloc(n > 0 ? n : 1);
	int r;

	if (b == NULL)
		abort();
	memcpy(b, src, n);
	if (k == REQ)
		r = http_parse_request(b, n, max, scan, h);
	else
		r = http_parse_response(b, n, max, scan, m, h);
	free(b);
	return r;
}

static int
span_eq(struct http_span a, struct http_span b)
{
	return a.off == b.off && a.len == b.len;
}

static int
heads_equal(int r, const struct http_head *a, const struct http_head *b)
{
	size_t i;

	if (r < 0)
		return a->error != NULL && b->error != NULL &&
		    strcmp(a->error, b->error) == 0;
	if (r == 0)
		return 1;
	if (a->method != b->method || !span_eq(a->method_s, b->method_s) ||
	    !span_eq(a->target, b->target) || a->form != b->form ||
	    a->minor != b->minor || a->status != b->status ||
	    !span_eq(a->reason, b->reason) || !span_eq(a->scheme, b->scheme) ||
	    !span_eq(a->host, b->host) || a->port != b->port ||
	    !span_eq(a->path, b->path) || a->nfields != b->nfields ||
	    !span_eq(a->host_field, b->host_field) || a->body != b->body ||
	    a->content_length != b->content_length || a->flags != b->flags ||
	    a->head_len != b->head_len || a->error != b->error)
		return 0;
	for (i = 0; i < a->nfields; i++)
		if (!span_eq(a->fields[i].name, b->fields[i].name) ||
		    !span_eq(a->fields[i].value, b->fields[i].value))
			return 0;
	return 1;
}

static struct http_head h2;	/* the other ways' result; big, so static */

/*
 * Parses text whole, byte by byte and split at every offset; checks that
 * the three agree and returns the whole result with h filled in.
 */
static int
feed_head(enum kind k, const char *text, size_t n, size_t max,
    enum http_method m, struct http_head *h)
{
	size_t scan = 0, i;
	int r, r2, ok;

	r = parse_n(k, text, n, max, &scan, m, h);

	for (ok = 1, scan = 0, r2 = 0, i = 1; i <= n && r2 == 0; i++)
		r2 = parse_n(k, text, i, max, &scan, m, &h2);
	if (!(ok = r2 == r && heads_equal(r, h, &h2)))
		printf("     byte by byte: %d, whole: %d: %.*s\n", r2, r,
		    (int)(n < 60 ? n : 60), text);
	CHECK(ok);

	for (ok = 1, i = 0; i <= n && ok; i++) {
		scan = 0;
		if ((r2 = parse_n(k, text, i, max, &scan, m, &h2)) == 0)
			r2 = parse_n(k, text, n, max, &scan, m, &h2);
		if (!(ok = r2 == r && heads_equal(r, h, &h2)))
			printf("     split at %zu: %d, whole: %d: %.*s\n", i,
			    r2, r, (int)(n < 60 ? n : 60), text);
	}
	CHECK(ok);
	return r;
}

static struct http_head h;

static int
req(const char *text)
{
	return feed_head(REQ, text, strlen(text), BIG, HTTP_GET, &h);
}

static int
req_max(const char *text, size_t max)
{
	return feed_head(REQ, text, strlen(text), max, HTTP_GET, &h);
}

static int
resp(const char *text, enum http_method m)
{
	return feed_head(RESP, text, strlen(text), BIG, m, &h);
}

/* The head length of a valid text: up to and including CRLFCRLF. */
static int
head_len(const char *text)
{
	const char *e = strstr(text, "\r\n\r\n");

	return e == NULL ? -1 : (int)(e - text) + 4;
}

/* buf is the text given to the last req()/resp() */
static int
is(const char *buf, struct http_span s, const char *want)
{
	int ok = s.len == strlen(want) && memcmp(buf + s.off, want, s.len) == 0;

	if (!ok)
		printf("     span \"%.*s\", want \"%s\"\n", (int)s.len,
		    buf + s.off, want);
	return ok;
}

/* -------------------------------------------------- request cases */

struct rcase {
	const char	*text;
	int		 want;	/* 1: valid (head_len), 0: more, < 0: error */
};

static void
run_cases(enum kind k, const struct rcase *c, size_t n, enum http_method m)
{
	size_t i;
	int r, want;

	for (i = 0; i < n; i++) {
		r = k == REQ ? req(c[i].text) : resp(c[i].text, m);
		want = c[i].want == 1 ? head_len(c[i].text) : c[i].want;
		if (r != want)
			printf("     case %zu: \"%s\" (%s)\n", i, c[i].text,
			    r < 0 && h.error ? h.error : "");
		CHECK_EQ(r, want);
	}
}

static const struct rcase req_good[] = {
	{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1 },
	{ "GET / HTTP/1.0\r\n\r\n", 1 },
	{ "get / HTTP/1.1\r\nHost: a\r\n\r\n", 1 },
	{ "GET /a{b}|c%20\"^`[] HTTP/1.1\r\nHost: a\r\n\r\n", 1 },
	{ "GET /?x=1&y=:@!$'()*+,;= HTTP/1.1\r\nHost: a\r\n\r\n", 1 },
	{ "GET http://a.b-c_d~e.example:65535/p HTTP/1.1\r\nHost: a\r\n\r\n",
	  1 },
	{ "GET http://1.2.3.4 HTTP/1.1\r\nHost: a\r\n\r\n", 1 },
	{ "GET http://[::ffff:1.2.3.4]/ HTTP/1.1\r\nHost: a\r\n\r\n", 1 },
	{ "GET svn+ssh.x-y://h/ HTTP/1.1\r\nHost: a\r\n\r\n", 1 },
	{ "CONNECT h:1 HTTP/1.1\r\nHost: h:1\r\n\r\n", 1 },
	{ "GET / HTTP/1.1\r\nHost:\r\n\r\n", 1 },
	{ "GET / HTTP/1.1\r\nHost: \t \r\n\r\n", 1 },
	{ "GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", 1 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n", 1 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: \x80\xff\t\"(),/\r\n\r\n", 1 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n!#$%&'*+-.^_`|~09azAZ: v\r\n\r\n", 1 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\r\nbody", 1 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\n\r\n", 1 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked"
	  "\r\n\r\n", 1 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;q=\"a,b\""
	  " ; l=9, chunked\r\n\r\n", 1 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;q=\"a\\\",\","
	  " chunked\r\n\r\n", 1 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,x-gzip,,chunked,"
	  "\r\n\r\n", 1 },
};

static const struct rcase req_bad[] = {
	/* line ends and bytes */
	{ "GET / HTTP/1.1\nHost: a\n\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\n", -400 },
	{ "\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\rX\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[0m\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\n Host: a\r\n\r\n", -400 },
	/* request line */
	{ " GET / HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", -400 },
	{ "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET /\tHTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET / x HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET /\r\nHost: a\r\n\r\n", -400 },
	{ "GET\r\nHost: a\r\n\r\n", -400 },
	{ "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "\r\n\r\n", -400 },
	{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", -505 },
	{ "GET / HTTP/1.2\r\nHost: a\r\n\r\n", -505 },
	{ "GET / HTTP/0.9\r\nHost: a\r\n\r\n", -505 },
	{ "GET / HTTP/3.1\r\nHost: a\r\n\r\n", -505 },
	{ "GET / HTTP/1.x\r\nHost: a\r\n\r\n", -400 },
	{ "GET / http/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET / HTTP/11.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET / HTTP/1.10\r\nHost: a\r\n\r\n", -400 },
	{ "GET / HTTP/1\r\nHost: a\r\n\r\n", -400 },
	{ "GET / HTTPS/1.1\r\nHost: a\r\n\r\n", -400 },
	/* request-target */
	{ "GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET /a#f HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET a HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET h:80 HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET [::1]:80 HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET * HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "OPTIONS ** HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://u@h/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://u:p@h/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http:// HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://:80/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http:/h/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http:h HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET 1ttp://h/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET ://h/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET ht_tp://h/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://h:0/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://h:65536/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://h:000080/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://h:/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://h:8a/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://h:-1/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://h%41/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://h!/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://h,i/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://[::1/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://[]/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://[12]/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://[g::1]/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://[::1%25eth0]/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://[::1]x/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "GET http://::1/ HTTP/1.1\r\nHost: a\r\n\r\n", -400 },
	{ "CONNECT h HTTP/1.1\r\nHost: h\r\n\r\n", -400 },
	{ "CONNECT h: HTTP/1.1\r\nHost: h\r\n\r\n", -400 },
	{ "CONNECT :443 HTTP/1.1\r\nHost: h\r\n\r\n", -400 },
	{ "CONNECT / HTTP/1.1\r\nHost: h\r\n\r\n", -400 },
	{ "CONNECT * HTTP/1.1\r\nHost: h\r\n\r\n", -400 },
	{ "CONNECT http://h:443 HTTP/1.1\r\nHost: h\r\n\r\n", -400 },
	{ "CONNECT http://h:443/ HTTP/1.1\r\nHost: h\r\n\r\n", -400 },
	{ "CONNECT [::1] HTTP/1.1\r\nHost: h\r\n\r\n", -400 },
	{ "CONNECT u@h:443 HTTP/1.1\r\nHost: h\r\n\r\n", -400 },
	{ "CONNECT h:443/x HTTP/1.1\r\nHost: h\r\n\r\n", -400 },
	/* fields */
	{ "GET / HTTP/1.1\r\nHost : a\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX v\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX\"y: v\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nX(y): v\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\x80: v\r\n\r\n", -400 },
	/* Host */
	{ "GET / HTTP/1.1\r\n\r\n", -400 },
	{ "GET http://h/ HTTP/1.1\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", -400 },
	{ "GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a,b\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a:99999\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a:\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", -400 },
	{ "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", -400 },
	/* Transfer-Encoding */
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	  "Content-Length: 5\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", -400 },
	{ "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip"
	  "\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	  "Transfer-Encoding: gzip\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked"
	  "\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, foo, "
	  "chunked\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
	  -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;\r\n\r\n",
	  -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;q, chunked"
	  "\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip;q=\"a, "
	  "chunked\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\""
	  "\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked x"
	  "\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo\r\n\r\n",
	  -501 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo, chunked"
	  "\r\n\r\n", -501 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
	  -501 },
	/* Content-Length */
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1.0\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ,5\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	  "Content-Length: 6\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	  "Content-Length: 5x\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4611686018427387905"
	  "\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616"
	  "\r\n\r\n", -400 },
	{ "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999"
	  "999999999\r\n\r\n", -400 },
	/* incomplete */
	{ "", 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n", 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n\r", 0 },
	{ "GET / HTTP/1.1\r\nHost: a\r", 0 },
	{ "GET / HTTP/2.0\r\nHost: a\r\n", 0 },
};

/* Every refusal of a request names the rule it applied, so that the
 * client's 400 says what to fix. */
static void
test_bad_names_rule(void)
{
	size_t i;
	int r, all = 1;

	for (i = 0; i < sizeof(req_bad) / sizeof(req_bad[0]); i++) {
		if ((r = req(req_bad[i].text)) >= 0)
			continue;
		if (h.error == NULL || strstr(h.error, "(RFC ") == NULL) {
			printf("     %d \"%s\" names no rule: %s\n", r,
			    req_bad[i].text, h.error ? h.error : "(none)");
			all = 0;
		}
	}
	CHECK(all);
}

static void
test_request_lines(void)
{
	const char *t;

	t = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.method, HTTP_GET);
	CHECK(is(t, h.method_s, "GET"));
	CHECK(is(t, h.target, "/"));
	CHECK_EQ(h.form, HTTP_FORM_ORIGIN);
	CHECK(is(t, h.path, "/"));
	CHECK_EQ(h.scheme.len, 0);
	CHECK_EQ(h.host.len, 0);
	CHECK_EQ(h.port, 0);
	CHECK_EQ(h.minor, 1);
	CHECK_EQ(h.status, 0);
	CHECK_EQ(h.nfields, 1);
	CHECK(is(t, h.fields[0].name, "Host"));
	CHECK(is(t, h.fields[0].value, "a"));
	CHECK(is(t, h.host_field, "a"));
	CHECK_EQ(h.flags, HTTP_F_HAS_HOST);
	CHECK_EQ(h.body, HTTP_BODY_NONE);
	CHECK_EQ(h.content_length, 0);
	CHECK_EQ(h.head_len, strlen(t));
	CHECK(h.error == NULL);

	t = "GET / HTTP/1.0\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.minor, 0);
	CHECK_EQ(h.nfields, 0);
	CHECK_EQ(h.flags, 0);

	t = "PROPFIND /x HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.method, HTTP_OTHER);
	CHECK(is(t, h.method_s, "PROPFIND"));
	t = "get / HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.method, HTTP_OTHER);

	t = "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.method, HTTP_OPTIONS);
	CHECK_EQ(h.form, HTTP_FORM_ASTERISK);
	CHECK(is(t, h.target, "*"));
	CHECK_EQ(h.path.len, 0);

	t = "OPTIONS / HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.form, HTTP_FORM_ORIGIN);

	t = "GET /a/b?c=d&e HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK(is(t, h.path, "/a/b?c=d&e"));
}

static void
test_absolute(void)
{
	const char *t;

	t = "GET http://example.com:8080/x?y HTTP/1.1\r\nHost: e\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.form, HTTP_FORM_ABSOLUTE);
	CHECK(is(t, h.target, "http://example.com:8080/x?y"));
	CHECK(is(t, h.scheme, "http"));
	CHECK(is(t, h.host, "example.com"));
	CHECK_EQ(h.port, 8080);
	CHECK(is(t, h.path, "/x?y"));

	t = "GET HTTP://Example.COM HTTP/1.1\r\nHost: e\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK(is(t, h.scheme, "HTTP"));
	CHECK(is(t, h.host, "Example.COM"));
	CHECK_EQ(h.port, 80);
	CHECK_EQ(h.path.len, 0);

	t = "GET hTTpS://h/ HTTP/1.1\r\nHost: e\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.port, 443);
	CHECK(is(t, h.path, "/"));

	t = "GET https://h:8443 HTTP/1.1\r\nHost: e\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.port, 8443);

	t = "GET ftp://h/f HTTP/1.1\r\nHost: e\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK(is(t, h.scheme, "ftp"));
	CHECK_EQ(h.port, 0);
	CHECK(is(t, h.path, "/f"));

	/* WebSocket URIs have their HTTP twins' ports (RFC 6455 3) */
	t = "GET ws://h/chat HTTP/1.1\r\nHost: h\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK(is(t, h.scheme, "ws"));
	CHECK_EQ(h.port, 80);
	CHECK(is(t, h.path, "/chat"));
	t = "GET WSS://h HTTP/1.1\r\nHost: h\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.port, 443);
	t = "GET ws://h:8080/ HTTP/1.1\r\nHost: h\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.port, 8080);
	t = "GET wsx://h/ HTTP/1.1\r\nHost: h\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.port, 0);
	t = "GET w://h/ HTTP/1.1\r\nHost: h\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.port, 0);

	t = "GET http://h?q=1 HTTP/1.1\r\nHost: e\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK(is(t, h.host, "h"));
	CHECK(is(t, h.path, "?q=1"));

	t = "GET http://[::1]:8080/ HTTP/1.1\r\nHost: e\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK(is(t, h.host, "::1"));
	CHECK_EQ(h.port, 8080);
	CHECK(is(t, h.path, "/"));

	t = "GET http://[2001:DB8::a]/ HTTP/1.1\r\nHost: e\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK(is(t, h.host, "2001:DB8::a"));
	CHECK_EQ(h.port, 80);

	t = "GET http://10.0.0.1:1/ HTTP/1.1\r\nHost: e\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK(is(t, h.host, "10.0.0.1"));
	CHECK_EQ(h.port, 1);

	t = "GET http://h:65535 HTTP/1.1\r\nHost: e\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.port, 65535);
}

static void
test_host_limits(void)
{
	char t[700];
	size_t n;

	/* HOST_MAX counts the NUL: a host of HOST_MAX - 1 bytes fits */
	n = (size_t)snprintf(t, sizeof(t), "GET http://%0*d/ HTTP/1.1\r\n"
	    "Host: e\r\n\r\n", HOST_MAX - 1, 0);
	CHECK_EQ(req(t), (int)n);
	CHECK_EQ(h.host.len, HOST_MAX - 1);
	snprintf(t, sizeof(t), "GET http://%0*d/ HTTP/1.1\r\nHost: e\r\n\r\n",
	    HOST_MAX, 0);
	CHECK_EQ(req(t), -400);
	snprintf(t, sizeof(t), "CONNECT %0*d:1 HTTP/1.1\r\nHost: e\r\n\r\n",
	    HOST_MAX, 0);
	CHECK_EQ(req(t), -400);
}

static void
test_connect(void)
{
	const char *t;

	t = "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.method, HTTP_CONNECT);
	CHECK_EQ(h.form, HTTP_FORM_AUTHORITY);
	CHECK(is(t, h.host, "example.com"));
	CHECK_EQ(h.port, 443);
	CHECK_EQ(h.scheme.len, 0);
	CHECK_EQ(h.path.len, 0);
	CHECK(is(t, h.host_field, "example.com:443"));

	t = "CONNECT [2001:db8::1]:8443 HTTP/1.1\r\nHost: [2001:db8::1]:8443"
	    "\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK(is(t, h.host, "2001:db8::1"));
	CHECK_EQ(h.port, 8443);

	t = "CONNECT 127.0.0.1:22 HTTP/1.0\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK(is(t, h.host, "127.0.0.1"));
	CHECK_EQ(h.port, 22);
}

static void
test_nul(void)
{
	static const char q[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
	static const char q2[] = "GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n";
	static const char q3[] = "\0";
	static const char s[] = "HTTP/1.1 200 OK\r\nX: \0\r\n\r\n";

	CHECK_EQ(feed_head(REQ, q, sizeof(q) - 1, BIG, HTTP_GET, &h), -400);
	CHECK_EQ(feed_head(REQ, q2, sizeof(q2) - 1, BIG, HTTP_GET, &h), -400);
	CHECK_EQ(feed_head(REQ, q3, sizeof(q3) - 1, BIG, HTTP_GET, &h), -400);
	CHECK_EQ(feed_head(RESP, s, sizeof(s) - 1, BIG, HTTP_GET, &h), -502);
}

static void
test_fields(void)
{
	const char *t;

	t = "GET / HTTP/1.1\r\nHost:a\r\nX:  \t v a l \t \r\nY:\r\nZ: \t\r\n"
	    "W: \x80\xff\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.nfields, 5);
	CHECK(is(t, h.fields[0].value, "a"));
	CHECK(is(t, h.fields[1].name, "X"));
	CHECK(is(t, h.fields[1].value, "v a l"));
	CHECK(is(t, h.fields[2].value, ""));
	CHECK(is(t, h.fields[3].value, ""));
	CHECK(is(t, h.fields[4].value, "\x80\xff"));

	CHECK_EQ(http_find_field(t, &h, "x", 0), 1);
	CHECK_EQ(http_find_field(t, &h, "HOST", 0), 0);
	CHECK_EQ(http_find_field(t, &h, "host", 1), -1);
	CHECK_EQ(http_find_field(t, &h, "W", 2), 4);
	CHECK_EQ(http_find_field(t, &h, "W", 5), -1);
	CHECK_EQ(http_find_field(t, &h, "Q", 0), -1);
	CHECK_EQ(http_find_field(t, &h, "", 0), -1);

	t = "GET / HTTP/1.1\r\nHost: a\r\nSet: 1\r\nOther: x\r\nset: 2\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(http_find_field(t, &h, "Set", 0), 1);
	CHECK_EQ(http_find_field(t, &h, "Set", 2), 3);
	CHECK_EQ(http_find_field(t, &h, "Set", 4), -1);

	t = "GET / HTTP/1.1\r\nHost:\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK(h.flags & HTTP_F_HAS_HOST);
	CHECK_EQ(h.host_field.len, 0);
	CHECK_EQ(h.host_field.off, 21);

	t = "GET / HTTP/1.1\r\nHOST: [::1]:8080\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK(is(t, h.host_field, "[::1]:8080"));
}

/* A head with n fields besides Host, within a buffer of size sz. */
static size_t
many_fields(char *t, size_t sz, int n)
{
	size_t len;
	int i;

	len = (size_t)snprintf(t, sz, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(t + len, sz - len, "X%d: %d\r\n", i, i);
	len += (size_t)snprintf(t + len, sz - len, "\r\n");
	return len;
}

static void
test_limits(void)
{
	static char t[HTTP_MAX_FIELDS * 32];
	const char *s;
	size_t n;

	n = many_fields(t, sizeof(t), HTTP_MAX_FIELDS - 1);
	CHECK_EQ(req(t), (int)n);
	CHECK_EQ(h.nfields, HTTP_MAX_FIELDS);
	CHECK(is(t, h.fields[HTTP_MAX_FIELDS - 1].value, "126"));
	n = many_fields(t, sizeof(t), HTTP_MAX_FIELDS);
	CHECK_EQ(req(t), -431);

	s = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	n = strlen(s);
	CHECK_EQ(req_max(s, n), (int)n);
	CHECK_EQ(req_max(s, n - 1), -431);
	CHECK_EQ(req_max(s, 5), -431);
	CHECK_EQ(req_max(s, 0), -431);
	CHECK_EQ(req_max("GET / HTTP/1.1\r\nHost: a\r\n", 10), -431);
	CHECK_EQ(req_max("GET / HTTP/1.1\r\nHost: a\r\n", 24), -431);
	CHECK_EQ(req_max("GET / HTTP/1.1\r\nHost: a\r\n", 25), -431);
	CHECK_EQ(req_max("GET / HTTP/1.1\r\nHost: a\r\n", 26), 0);
	CHECK_EQ(req_max("GET / HTTP/1.1\r\nHost: a\r\n", 27), 0);
	/* a bad byte inside the limit still says what it is */
	CHECK_EQ(req_max("GET / HTTP/1.1\r\nHo\x01st: a\r\n", 20), -400);
	CHECK_EQ(req_max("GET / HTTP/1.1\r\nHost: a\x01\r\n", 20), -431);
	/* a body after the head does not count */
	s = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n"
	    "0123456789";
	CHECK_EQ(req_max(s, 48), 48);
	CHECK_EQ(h.content_length, 10);
	CHECK_EQ(req_max(s, (size_t)-1), 48);
}

static void
test_framing(void)
{
	const char *t;

	t = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
	CHECK_EQ(req(t), head_len(t));
	CHECK_EQ(h.body, HTTP_BODY_LENGTH);
	CHECK_EQ(h.content_length, 5);

	t = "POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_NONE);
	CHECK_EQ(h.content_length, 0);

	t = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 ,\t5,5\r\n"
	    "content-length: 5\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_LENGTH);
	CHECK_EQ(h.content_length, 5);

	t = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0005\r\n"
	    "Content-Length: 5\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.content_length, 5);

	t = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4611686018427387904"
	    "\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_LENGTH);
	CHECK(h.content_length == (uint64_t)1 << 62);

	t = "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: "
	    "0000000000000000000000000000000000000000000000000007\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.content_length, 7);

	t = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_CHUNKED);
	CHECK_EQ(h.content_length, 0);

	t = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: CHUNKED\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_CHUNKED);

	t = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
	    "Transfer-Encoding: deflate, chunked\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_CHUNKED);

	t = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_NONE);
}

static void
test_flags(void)
{
	const char *t;

	t = "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.flags, HTTP_F_HAS_HOST | HTTP_F_CLOSE);

	t = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.flags, HTTP_F_KEEPALIVE);

	t = "GET / HTTP/1.0\r\nProxy-Connection: keep-alive\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.flags, HTTP_F_KEEPALIVE);

	t = "GET / HTTP/1.1\r\nHost: a\r\nProxy-Connection: close\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK(h.flags & HTTP_F_CLOSE);

	t = "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
	    "Upgrade: WebSocket\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.flags, HTTP_F_HAS_HOST | HTTP_F_KEEPALIVE | HTTP_F_UPGRADE |
	    HTTP_F_WEBSOCKET);
	CHECK(http_connection_lists(t, &h, "upgrade", 7));
	CHECK(http_connection_lists(t, &h, "Keep-Alive", 10));
	CHECK(!http_connection_lists(t, &h, "Upgrade", 6));
	CHECK(!http_connection_lists(t, &h, "close", 5));

	t = "GET / HTTP/1.1\r\nUpgrade: h2c, websocket/13\r\nHost: a\r\n"
	    "Connection: x\r\nConnection: UPGRADE\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.flags, HTTP_F_HAS_HOST | HTTP_F_UPGRADE);
	CHECK(http_connection_lists(t, &h, "x", 1));
	CHECK(http_connection_lists(t, &h, "upgrade", 7));

	/* Connection: upgrade alone is not an upgrade */
	t = "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.flags, HTTP_F_HAS_HOST);

	t = "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.flags, HTTP_F_HAS_HOST | HTTP_F_WEBSOCKET);

	t = "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n"
	    "Content-Length: 1\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.flags, HTTP_F_HAS_HOST | HTTP_F_EXPECT100);

	t = "PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-continued\r\n\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.flags, HTTP_F_HAS_HOST);

	t = "GET / HTTP/1.1\r\nHost: a\r\nConnection: closed, keep-alive2\r\n"
	    "\r\n";
	CHECK_EQ(req(t), (int)strlen(t));
	CHECK_EQ(h.flags, HTTP_F_HAS_HOST);
	CHECK(!http_connection_lists(t, &h, "close", 5));
}

/* -------------------------------------------------- response cases */

static const struct rcase resp_bad[] = {
	{ "HTTP/2.0 200 OK\r\n\r\n", -502 },
	{ "HTTP/1.2 200 OK\r\n\r\n", -502 },
	{ "HTTP/1.1 20 OK\r\n\r\n", -502 },
	{ "HTTP/1.1 2000 OK\r\n\r\n", -502 },
	{ "HTTP/1.1 099 x\r\n\r\n", -502 },
	{ "HTTP/1.1 20x x\r\n\r\n", -502 },
	{ "HTTP/1.1  200 OK\r\n\r\n", -502 },
	{ "HTTP/1.1 200OK\r\n\r\n", -502 },
	{ "HTTP/1.1\t200 OK\r\n\r\n", -502 },
	{ "HTTP/1.1 200 OK \x01\r\n\r\n", -502 },
	{ "HTTP/1.1\r\n\r\n", -502 },
	{ "ICY 200 OK\r\n\r\n", -502 },
	{ "http/1.1 200 OK\r\n\r\n", -502 },
	{ "\r\n\r\n", -502 },
	{ "HTTP/1.1 200 OK\nServer: x\n\n", -502 },
	{ "HTTP/1.1 200 OK\r\nServer: x\r\n y\r\n\r\n", -502 },
	{ "HTTP/1.1 200 OK\r\nServer : x\r\n\r\n", -502 },
	{ "HTTP/1.1 200 OK\r\nX\r\n\r\n", -502 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", -502 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\n", -502 },
	{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	  -502 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
	  -502 },
	{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked;\r\n\r\n", -502 },
	{ "HTTP/1.1 200 OK\r\n", 0 },
	{ "HTTP/1.1 200 OK\r\nA: b\r\n\r", 0 },
};

static void
test_responses(void)
{
	const char *t;

	t = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	CHECK_EQ(resp(t, HTTP_GET), head_len(t));
	CHECK_EQ(h.status, 200);
	CHECK_EQ(h.minor, 1);
	CHECK(is(t, h.reason, "OK"));
	CHECK_EQ(h.body, HTTP_BODY_LENGTH);
	CHECK_EQ(h.content_length, 5);
	CHECK_EQ(h.nfields, 1);
	CHECK_EQ(h.method, HTTP_OTHER);
	CHECK_EQ(h.target.len, 0);

	t = "HTTP/1.0 404 Not Found \t\x80\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.status, 404);
	CHECK_EQ(h.minor, 0);
	CHECK(is(t, h.reason, "Not Found \t\x80"));
	CHECK_EQ(h.body, HTTP_BODY_CLOSE);

	t = "HTTP/1.1 200\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.status, 200);
	CHECK_EQ(h.reason.len, 0);
	CHECK_EQ(h.body, HTTP_BODY_CLOSE);
	t = "HTTP/1.1 200 \r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.reason.len, 0);
	CHECK_EQ(h.reason.off, 13);
	t = "HTTP/1.1 999 Odd\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.status, 999);

	t = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_NONE);
	CHECK_EQ(h.content_length, 0);

	t = "HTTP/1.1 200 OK\r\nContent-Length: 7, 7\r\nContent-Length: 7\r\n"
	    "\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_LENGTH);
	CHECK_EQ(h.content_length, 7);
}

/* No body by status or method, whatever the fields say. */
static void
test_responses_bodiless(void)
{
	const char *t;

	t = "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_NONE);
	CHECK_EQ(h.content_length, 0);
	t = "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_NONE);
	t = "HTTP/1.1 100 Continue\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_POST), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_NONE);
	CHECK_EQ(h.status, 100);
	t = "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
	    "Upgrade: websocket\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_NONE);
	CHECK_EQ(h.flags, HTTP_F_UPGRADE | HTTP_F_WEBSOCKET);
	t = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_HEAD), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_NONE);
	t = "HTTP/1.1 200 Connection established\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_CONNECT), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_NONE);
	t = "HTTP/1.1 407 Proxy Auth\r\nContent-Length: 10\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_CONNECT), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_LENGTH);
	CHECK_EQ(h.content_length, 10);
	t = "HTTP/1.1 407 Proxy Auth\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_CONNECT), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_CLOSE);
}

/* Transfer-Encoding wins over Content-Length (RFC 9112 6.3); request-only
 * fields are not acted on in a response. */
static void
test_responses_framing(void)
{
	const char *t;

	t = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_CHUNKED);
	CHECK_EQ(h.content_length, 0);
	t = "HTTP/1.1 200 OK\r\nContent-Length: x\r\nTransfer-Encoding: "
	    "chunked\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_CHUNKED);
	t = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_CLOSE);
	t = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_CLOSE);
	t = "HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_CHUNKED);
	t = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.body, HTTP_BODY_CHUNKED);
	CHECK_EQ(h.flags, HTTP_F_CLOSE | HTTP_F_TE);

	/* request-only fields are not acted on in a response */
	t = "HTTP/1.1 200 OK\r\nHost: a\r\nHost: b\r\nProxy-Connection: close"
	    "\r\nExpect: 100-continue\r\nConnection: keep-alive\r\n\r\n";
	CHECK_EQ(resp(t, HTTP_GET), (int)strlen(t));
	CHECK_EQ(h.flags, HTTP_F_KEEPALIVE);
	CHECK_EQ(h.host_field.len, 0);
	CHECK_EQ(h.nfields, 5);
}

/*
 * Every way Content-Length and Transfer-Encoding meet, in both
 * directions: the body kind, and the flags that tell a forwarder what to
 * drop (RFC 9112 6.1-6.3). A request is refused; a response is framed by
 * its Transfer-Encoding, its Content-Length is flagged for removal, and
 * codings besides chunked are flagged as data the body still carries.
 */
struct fcase {
	enum kind	 k;
	enum http_method m;	/* for responses: the request's method */
	const char	*text;
	int		 want;	/* 1: valid, else the error */
	enum http_body	 body;
	unsigned	 flags;
};

#define TE	HTTP_F_TE
#define CLTE	(HTTP_F_TE | HTTP_F_CL_TE)
#define CODED	HTTP_F_TE_CODED
#define HH	HTTP_F_HAS_HOST

static const struct fcase fcases[] = {
	/* responses */
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", 1, HTTP_BODY_CHUNKED, CLTE },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	  "Content-Length: 100\r\n\r\n", 1, HTTP_BODY_CHUNKED, CLTE },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
	  "Content-Length: 7\r\nTransfer-Encoding: chunked\r\n\r\n", 1,
	  HTTP_BODY_CHUNKED, CLTE },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", 1, HTTP_BODY_CHUNKED, CLTE },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nContent-Length: x\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", 1, HTTP_BODY_CHUNKED, CLTE },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", 1, HTTP_BODY_CHUNKED, CLTE },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
	  "\r\n", 1, HTTP_BODY_CHUNKED, TE },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked"
	  "\r\nContent-Length: 100\r\n\r\n", 1, HTTP_BODY_CHUNKED,
	  CLTE | CODED },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", 1, HTTP_BODY_CHUNKED,
	  TE | CODED },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n"
	  "Content-Length: 100\r\n\r\n", 1, HTTP_BODY_CLOSE, CLTE | CODED },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip"
	  "\r\n\r\n", 1, HTTP_BODY_CLOSE, TE | CODED },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n\r\n",
	  1, HTTP_BODY_CLOSE, TE | CODED },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding:\r\n\r\n",
	  1, HTTP_BODY_CLOSE, TE | CODED },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: ,chunked,\r\n"
	  "\r\n", 1, HTTP_BODY_CHUNKED, TE },
	{ RESP, HTTP_HEAD, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", 1, HTTP_BODY_NONE, CLTE },
	{ RESP, HTTP_GET, "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", 1, HTTP_BODY_NONE, CLTE },
	{ RESP, HTTP_GET, "HTTP/1.0 200 OK\r\nContent-Length: 100\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", 1, HTTP_BODY_CHUNKED,
	  CLTE | HTTP_F_CLOSE },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 1,
	  HTTP_BODY_LENGTH, 0 },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
	  "Content-Length: 7\r\n\r\n", -502, HTTP_BODY_NONE, 0 },
	{ RESP, HTTP_GET, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n"
	  "Transfer-Encoding: chunked, chunked\r\n\r\n", -502, HTTP_BODY_NONE,
	  0 },
	/* requests */
	{ REQ, HTTP_GET, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	  "Transfer-Encoding: chunked\r\n\r\n", -400, HTTP_BODY_NONE, 0 },
	{ REQ, HTTP_GET, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	  "chunked\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", -400,
	  HTTP_BODY_NONE, 0 },
	{ REQ, HTTP_GET, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	  "Content-Length: 6\r\n\r\n", -400, HTTP_BODY_NONE, 0 },
	{ REQ, HTTP_GET, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	  "gzip\r\n\r\n", -400, HTTP_BODY_NONE, 0 },
	{ REQ, HTTP_GET, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n"
	  "Content-Length: 5\r\n\r\n", -400, HTTP_BODY_NONE, 0 },
	{ REQ, HTTP_GET, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	  "chunked\r\n\r\n", 1, HTTP_BODY_CHUNKED, HH | TE },
	{ REQ, HTTP_GET, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
	  "gzip, chunked\r\n\r\n", 1, HTTP_BODY_CHUNKED, HH | TE | CODED },
	{ REQ, HTTP_GET, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	  "Content-Length: 5\r\n\r\n", 1, HTTP_BODY_LENGTH, HH },
};

static void
test_te_cl(void)
{
	const struct fcase *c;
	size_t i;
	int r, want;

	for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++) {
		c = &fcases[i];
		r = c->k == REQ ? req(c->text) : resp(c->text, c->m);
		want = c->want == 1 ? head_len(c->text) : c->want;
		if (r != want || (r > 0 && (h.body != c->body ||
		    h.flags != c->flags)))
			printf("     case %zu: %d body %d flags %#x: \"%s\" "
			    "(%s)\n", i, r, h.body, h.flags, c->text,
			    r < 0 && h.error ? h.error : "");
		CHECK_EQ(r, want);
		if (r > 0) {
			CHECK_EQ(h.body, c->body);
			CHECK_EQ(h.flags, c->flags);
		}
	}
	/* a refusal names the rule it applied */
	CHECK_EQ(req("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), -400);
	CHECK(h.error != NULL && strstr(h.error, "RFC 9112 6.3") != NULL);
}

#undef TE
#undef CLTE
#undef CODED
#undef HH

static void
test_response_limits(void)
{
	static char t[HTTP_MAX_FIELDS * 32];
	size_t n;
	int i;

	n = (size_t)snprintf(t, sizeof(t), "HTTP/1.1 200 OK\r\n");
	for (i = 0; i <= HTTP_MAX_FIELDS; i++)
		n += (size_t)snprintf(t + n, sizeof(t) - n, "X: %d\r\n", i);
	snprintf(t + n, sizeof(t) - n, "\r\n");
	CHECK_EQ(resp(t, HTTP_GET), -502);
	CHECK_EQ(feed_head(RESP, "HTTP/1.1 200 OK\r\n\r\n", 19, 18, HTTP_GET,
	    &h), -502);
	CHECK_EQ(feed_head(RESP, "HTTP/1.1 200 OK\r\n\r\n", 19, 19, HTTP_GET,
	    &h), 19);
}

/* ----------------------------------------------------------- tables */

static void
test_tables(void)
{
	static const int codes[] = {
		100, 101, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302,
		303, 304, 305, 306, 307, 308, 400, 401, 402, 403, 404, 405,
		406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417,
		418, 421, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504,
		505, 511
	};
	size_t i;
	int all = 1;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(http_reason(codes[i]), "Unknown") == 0) {
			printf("     no reason for %d\n", codes[i]);
			all = 0;
		}
	CHECK(all);
	CHECK_STR(http_reason(200), "OK");
	CHECK_STR(http_reason(407), "Proxy Authentication Required");
	CHECK_STR(http_reason(431), "Request Header Fields Too Large");
	CHECK_STR(http_reason(511), "Network Authentication Required");
	CHECK_STR(http_reason(100), "Continue");
	CHECK_STR(http_reason(0), "Unknown");
	CHECK_STR(http_reason(299), "Unknown");
	CHECK_STR(http_reason(-1), "Unknown");
	CHECK_STR(http_reason(1000), "Unknown");

	CHECK_EQ(http_method_lookup("GET", 3), HTTP_GET);
	CHECK_EQ(http_method_lookup("HEAD", 4), HTTP_HEAD);
	CHECK_EQ(http_method_lookup("POST", 4), HTTP_POST);
	CHECK_EQ(http_method_lookup("PUT", 3), HTTP_PUT);
	CHECK_EQ(http_method_lookup("DELETE", 6), HTTP_DELETE);
	CHECK_EQ(http_method_lookup("CONNECT", 7), HTTP_CONNECT);
	CHECK_EQ(http_method_lookup("OPTIONS", 7), HTTP_OPTIONS);
	CHECK_EQ(http_method_lookup("TRACE", 5), HTTP_TRACE);
	CHECK_EQ(http_method_lookup("PATCH", 5), HTTP_PATCH);
	CHECK_EQ(http_method_lookup("GETX", 3), HTTP_GET);
	CHECK_EQ(http_method_lookup("GET", 2), HTTP_OTHER);
	CHECK_EQ(http_method_lookup("get", 3), HTTP_OTHER);
	CHECK_EQ(http_method_lookup("", 0), HTTP_OTHER);
	CHECK_STR(http_method_name(HTTP_GET), "GET");
	CHECK_STR(http_method_name(HTTP_CONNECT), "CONNECT");
	CHECK_STR(http_method_name(HTTP_PATCH), "PATCH");
	CHECK_STR(http_method_name(HTTP_OTHER), "");
	CHECK_STR(http_method_name((enum http_method)99), "");
	for (i = HTTP_GET; i <= HTTP_PATCH; i++)
		CHECK_EQ(http_method_lookup(http_method_name(i),
		    strlen(http_method_name(i))), i);

	CHECK(http_is_hop_field("Connection", 10));
	CHECK(http_is_hop_field("keep-alive", 10));
	CHECK(http_is_hop_field("PROXY-CONNECTION", 16));
	CHECK(http_is_hop_field("te", 2));
	CHECK(http_is_hop_field("Trailer", 7));
	CHECK(http_is_hop_field("Transfer-Encoding", 17));
	CHECK(http_is_hop_field("Upgrade", 7));
	CHECK(http_is_hop_field("Proxy-Authorization", 19));
	CHECK(http_is_hop_field("Proxy-Authenticate", 18));
	CHECK(http_is_hop_field("Connectionx", 10));
	CHECK(!http_is_hop_field("Connectionx", 11));
	CHECK(!http_is_hop_field("Host", 4));
	CHECK(!http_is_hop_field("Trailers", 8));
	CHECK(!http_is_hop_field("T", 1));
	CHECK(!http_is_hop_field("", 0));
	CHECK(!http_is_hop_field("Content-Length", 14));
}

static void
test_list_has(void)
{
	const char *v = "a, Keep-Alive ,\tUpgrade\t,, \"x,close\" , b;q=1";

	CHECK(http_list_has(v, strlen(v), "keep-alive"));
	CHECK(http_list_has(v, strlen(v), "upgrade"));
	CHECK(http_list_has(v, strlen(v), "A"));
	CHECK(!http_list_has(v, strlen(v), "close"));
	CHECK(!http_list_has(v, strlen(v), "b"));
	CHECK(!http_list_has(v, strlen(v), ""));
	CHECK(!http_list_has(v, strlen(v), "keep"));
	CHECK(http_list_has("close", 5, "close"));
	CHECK(!http_list_has("close", 4, "close"));
	CHECK(!http_list_has("closed", 6, "close"));
	CHECK(!http_list_has("", 0, "close"));
	CHECK(!http_list_has(",,", 2, "close"));
	CHECK(http_list_has(",close,", 7, "close"));
	CHECK(http_list_has(" close ", 7, "CLOSE"));
}

/* The challenges of v as "scheme[token]{params};...", or "ERR" after the
 * ones read when the rest is malformed. */
static const char *
challenges(const char *v)
{
	static char out[512];
	struct http_challenge c;
	size_t pos = 0, len = 0;
	int r;

	out[0] = '\0';
	while ((r = http_auth_next(v, strlen(v), &pos, &c)) == 1)
		len += (size_t)snprintf(out + len, sizeof(out) - len,
		    "%.*s[%.*s]{%.*s};", (int)c.scheme_len, c.scheme,
		    (int)c.token_len, c.token ? c.token : "",
		    (int)c.params_len, c.params ? c.params : "");
	if (r == -1)
		snprintf(out + len, sizeof(out) - len, "ERR");
	return out;
}

static void
test_auth_challenges(void)
{
	CHECK_STR(challenges("Negotiate"), "Negotiate[]{};");
	CHECK_STR(challenges("Negotiate, NTLM"), "Negotiate[]{};NTLM[]{};");
	CHECK_STR(challenges(" NTLM TlRMTVNTUAAC== ,Negotiate  "),
	    "NTLM[TlRMTVNTUAAC==]{};Negotiate[]{};");
	CHECK_STR(challenges("Basic realm=\"a, b\", charset=\"UTF-8\", "
	    "Negotiate oQcwBaADCgEC"),
	    "Basic[]{realm=\"a, b\", charset=\"UTF-8\"};"
	    "Negotiate[oQcwBaADCgEC]{};");
	CHECK_STR(challenges("Basic realm=x,NTLM"), "Basic[]{realm=x};NTLM[]{};");
	CHECK_STR(challenges("Digest realm=\"r\\\"q\", nonce = \"n\""),
	    "Digest[]{realm=\"r\\\"q\", nonce = \"n\"};");
	CHECK_STR(challenges(""), "");
	CHECK_STR(challenges(" , ,"), "");
	/* malformed: no scheme, junk after a token68, an open quote */
	CHECK_STR(challenges("=abc"), "ERR");
	CHECK_STR(challenges("NTLM abc def"), "ERR");
	CHECK_STR(challenges("NTLM abc, Basic realm=\"x"), "NTLM[abc]{};ERR");
	CHECK_STR(challenges("Negotiate a=b=c"), "ERR");
	CHECK_STR(challenges("Negotiate\001"), "ERR");
}

/* ---------------------------------------------------------- chunked */

#define OUT_MAX	32768

struct cres {
	int		 err;		/* -1 if the scanner failed */
	const char	*error;
	size_t		 consumed;	/* bytes consumed in all */
	size_t		 done_at;	/* consumed when done was first seen */
	int		 done;
	int		 sane;		/* every step kept the contract */
	size_t		 outlen;
	char		 out[OUT_MAX];
};

static struct cres cr1, cr2;

/* Feeds buf[0..n) as one piece to c; copies data runs to r->out. */
static void
chunked_piece(struct http_chunked *c, const char *src, size_t n,
    struct cres *r)
{
	char *b = malloc(n > 0 ? n : 1);
	size_t pos = 0, dl;
	long s;

	if (b == NULL)
		abort();
	memcpy(b, src, n);
	while (r->err == 0) {
		s = http_chunked_step(c, b + pos, n - pos, &dl);
		if (s < 0) {
			r->err = -1;
			r->error = c->error;
			break;
		}
		if ((size_t)s > n - pos || (dl != 0 && dl != (size_t)s) ||
		    (s == 0 && pos < n && !c->done) || (r->done && s != 0))
			r->sane = 0;
		if (dl > 0 && r->outlen + dl <= OUT_MAX) {
			memcpy(r->out + r->outlen, b + pos, dl);
			r->outlen += dl;
		}
		pos += (size_t)s;
		r->consumed += (size_t)s;
		if (c->done && !r->done) {
			r->done = 1;
			r->done_at = r->consumed;
		}
		if (s == 0)
			break;
	}
	free(b);
}

/* Feeds text as pieces: split at cut, or one byte at a time if cut is 0. */
static void
chunked_feed(const char *text, size_t n, size_t cut, int bytewise,
    struct cres *r)
{
	struct http_chunked c;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->sane = 1;
	http_chunked_init(&c);
	if (bytewise)
		for (i = 0; i < n; i++)
			chunked_piece(&c, text + i, 1, r);
	else {
		chunked_piece(&c, text, cut, r);
		chunked_piece(&c, text + cut, n - cut, r);
	}
}

static int
cres_equal(const struct cres *a, const struct cres *b)
{
	if (a->err != b->err || a->sane != b->sane || a->done != b->done)
		return 0;
	if (a->err != 0)
		return strcmp(a->error, b->error) == 0;
	return a->consumed == b->consumed && a->done_at == b->done_at &&
	    a->outlen == b->outlen && memcmp(a->out, b->out, a->outlen) == 0;
}

/* Runs text all three ways; cr1 keeps the whole result. */
static void
chunked_all(const char *text, size_t n)
{
	size_t i;
	int ok;

	chunked_feed(text, n, n, 0, &cr1);
	CHECK(cr1.sane);
	chunked_feed(text, n, 0, 1, &cr2);
	CHECK(cres_equal(&cr1, &cr2));
	for (ok = 1, i = 0; i <= n && ok; i++) {
		chunked_feed(text, n, i, 0, &cr2);
		if (!(ok = cres_equal(&cr1, &cr2)))
			printf("     chunked split at %zu differs\n", i);
	}
	CHECK(ok);
}

/* A valid body: body_len bytes of framing (maybe followed by more). */
static void
chunked_good(const char *text, size_t n, size_t body_len,
    const char *payload, size_t plen)
{
	chunked_all(text, n);
	if (cr1.err)
		printf("     \"%.40s\": %s\n", text, cr1.error);
	CHECK_EQ(cr1.err, 0);
	CHECK_EQ(cr1.done, 1);
	CHECK_EQ(cr1.done_at, body_len);
	CHECK_EQ(cr1.consumed, body_len);
	CHECK_EQ(cr1.outlen, plen);
	CHECK(cr1.outlen == plen && memcmp(cr1.out, payload, plen) == 0);
}

static void
chunked_bad(const char *text)
{
	chunked_all(text, strlen(text));
	if (cr1.err != -1)
		printf("     accepted: \"%s\"\n", text);
	CHECK_EQ(cr1.err, -1);
	CHECK(cr1.error != NULL);
}

#define GOOD(t, p) chunked_good((t), strlen(t), strlen(t), (p), strlen(p))

static void
test_chunked_good(void)
{
	static char big[12000], pay[10000];
	size_t n, i;
	const char *t;

	GOOD("5\r\nhello\r\n0\r\n\r\n", "hello");
	GOOD("0\r\n\r\n", "");
	GOOD("000\r\n\r\n", "");
	GOOD("0005\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world");
	GOOD("a\r\n0123456789\r\nA\r\nabcdefghij\r\n0\r\n\r\n",
	    "0123456789abcdefghij");
	GOOD("5;ext\r\nhello\r\n0;a=b;c=\"q\\\"x;\\\\\"\r\n\r\n", "hello");
	GOOD("5 ; a = b ;c\t;\td=\"\"\r\nhello\r\n0\r\n\r\n", "hello");
	GOOD("5;a=\"\x80\t \"\r\nhello\r\n0\r\n\r\n", "hello");
	GOOD("1;a=\"x\";b=y;c\r\n!\r\n0\r\n\r\n", "!");
	GOOD("5;a;b=c\r\nhello\r\n0\r\n\r\n", "hello");
	GOOD("5\r\nhello\r\n0\r\nX-Trailer: v\r\nY:\r\nZ: a b\t\x80\r\n\r\n",
	    "hello");
	GOOD("3\r\n\r\n\r\r\n0;x\r\nA: b\r\n\r\n", "\r\n\r");

	t = "5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n\r\n";
	chunked_good(t, strlen(t), 15, "hello", 5);

	t = "1\r\n\0\r\n0\r\n\r\n";
	chunked_good(t, 11, 11, "\0", 1);

	/* a body bigger than one piece, with many chunks */
	for (i = 0; i < sizeof(pay); i++)
		pay[i] = (char)('a' + i % 26);
	n = 0;
	for (i = 0; i < sizeof(pay); i += 1000)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%x\r\n%.1000s"
		    "\r\n", 1000, pay + i);
	n += (size_t)snprintf(big + n, sizeof(big) - n, "0\r\n\r\n");
	chunked_good(big, n, n, pay, sizeof(pay));

	/* the size line limit counts its CRLF */
	memset(big, '0', 1022);
	memcpy(big + 1021, "1\r\nx\r\n0\r\n\r\n", 11);
	chunked_good(big, 1032, 1032, "x", 1);

	/* the trailer section limit counts the final CRLF */
	memcpy(big, "0\r\nX: ", 6);
	memset(big + 6, 'v', 8192 - 6);
	memcpy(big + 8192 - 1, "\r\n\r\n", 4);
	chunked_good(big, 8195, 8195, "", 0);
}

static void
test_chunked_bad(void)
{
	chunked_bad("\r\n");
	chunked_bad("x\r\n");
	chunked_bad("-5\r\nhello\r\n0\r\n\r\n");
	chunked_bad("+5\r\nhello\r\n0\r\n\r\n");
	chunked_bad(";a\r\n");
	chunked_bad(" 5\r\nhello\r\n0\r\n\r\n");
	chunked_bad("0x5\r\nhello\r\n0\r\n\r\n");
	chunked_bad("1000000000000000\r\n");
	chunked_bad("FFFFFFFFFFFFFFFFFFFF\r\n");
	chunked_bad("10000000000000000000000000000000000\r\n");
	chunked_bad("5\r\nhelloX\r\n0\r\n\r\n");
	chunked_bad("5\r\nhello\rX0\r\n\r\n");
	chunked_bad("5\r\nhello\n0\r\n\r\n");
	chunked_bad("5\r\nhello\r\r\n0\r\n\r\n");
	chunked_bad("5\nhello\r\n0\r\n\r\n");
	chunked_bad("5\r\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5\rhello\r\n0\r\n\r\n");
	chunked_bad("5 \r\nhello\r\n0\r\n\r\n");
	chunked_bad("5\t\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5 x\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;;a\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;a=\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;a =\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;a \r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;a=b \r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;a b\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;a=b c\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;a=b=c\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;a=\"x\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;a=\"x\"y\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;a=\"\\\x01\"\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;(a)\r\nhello\r\n0\r\n\r\n");
	chunked_bad("5;a\n\r\nhello\r\n0\r\n\r\n");
	chunked_bad("0\r\nX : v\r\n\r\n");
	chunked_bad("0\r\n: v\r\n\r\n");
	chunked_bad("0\r\nX\r\n\r\n");
	chunked_bad("0\r\nX: v\r\n folded\r\n\r\n");
	chunked_bad("0\r\nX: v\r\n\tfolded\r\n\r\n");
	chunked_bad("0\r\nX: \x01\r\n\r\n");
	chunked_bad("0\r\nX: \x7f\r\n\r\n");
	chunked_bad("0\r\nX: v\n\r\n");
	chunked_bad("0\r\nX: v\rY\r\n\r\n");
	chunked_bad("0\r\n\n");
	chunked_bad("0\r\n\rX");
	chunked_bad("0\n\r\n");
	chunked_bad("0\r\n\r\r");
}

/* The limits: 2^60 - 1 is the largest size; a size line of 1025 bytes
 * and a trailer section of 8193 bytes are too long. */
static void
test_chunked_limits(void)
{
	static char big[9000];
	struct http_chunked c;
	size_t dl;
	long r;


	http_chunked_init(&c);
	r = http_chunked_step(&c, "fffffffffffffff\r\n", 17, &dl);
	CHECK_EQ(r, 17);
	CHECK_EQ(dl, 0);
	CHECK(c.remain == ((uint64_t)1 << 60) - 1);
	r = http_chunked_step(&c, "abc", 3, &dl);
	CHECK_EQ(r, 3);
	CHECK_EQ(dl, 3);
	CHECK_EQ(c.done, 0);

	/* a size line of 1025 bytes with its CRLF */
	memset(big, '0', 1023);
	memcpy(big + 1022, "1\r\nx\r\n0\r\n\r\n", 11);
	big[1033] = '\0';
	chunked_bad(big);
	memset(big, '0', 1200);
	big[1200] = '\0';
	chunked_bad(big);
	memcpy(big, "5;a=", 4);
	memset(big + 4, 'b', 1100);
	big[1104] = '\0';
	chunked_bad(big);

	/* a trailer section of 8193 bytes */
	memcpy(big, "0\r\nX: ", 6);
	memset(big + 6, 'v', 8193 - 6);
	memcpy(big + 8193 - 1, "\r\n\r\n", 5);
	chunked_bad(big);
	memcpy(big, "0\r\n", 3);
	memset(big + 3, 'v', 8500);
	big[8503] = '\0';
	chunked_bad(big);
}

/* Errors are sticky; done stays done. */
static void
test_chunked_sticky(void)
{
	struct http_chunked c;
	size_t dl;

	http_chunked_init(&c);
	CHECK_EQ(http_chunked_step(&c, "x", 1, &dl), -1);
	CHECK_EQ(http_chunked_step(&c, "0\r\n\r\n", 5, &dl), -1);
	http_chunked_init(&c);
	CHECK_EQ(http_chunked_step(&c, "0\r\n\r\n", 5, &dl), 5);
	CHECK_EQ(c.done, 1);
	CHECK_EQ(http_chunked_step(&c, "0\r\n\r\n", 5, &dl), 0);
	CHECK_EQ(dl, 0);
	http_chunked_init(&c);
	CHECK_EQ(http_chunked_step(&c, "", 0, &dl), 0);
	CHECK_EQ(c.done, 0);
}

/* Framing bytes come back apart from data, a piece at a time. */
static void
test_chunked_steps(void)
{
	const char *t = "3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n";
	struct http_chunked c;
	size_t dl;

	http_chunked_init(&c);
	CHECK_EQ(http_chunked_step(&c, t, strlen(t), &dl), 7);
	CHECK_EQ(dl, 0);
	CHECK_EQ(http_chunked_step(&c, t + 7, strlen(t) - 7, &dl), 3);
	CHECK_EQ(dl, 3);
	CHECK_EQ(http_chunked_step(&c, t + 10, strlen(t) - 10, &dl), 13);
	CHECK_EQ(dl, 0);
	CHECK_EQ(c.done, 1);
	CHECK(c.error == NULL);

	http_chunked_init(&c);
	CHECK_EQ(http_chunked_step(&c, t, 9, &dl), 7);
	CHECK_EQ(http_chunked_step(&c, t + 7, 2, &dl), 2);
	CHECK_EQ(dl, 2);
	CHECK_EQ(c.remain, 1);
	CHECK_EQ(http_chunked_step(&c, t + 9, 1, &dl), 1);
	CHECK_EQ(dl, 1);
	CHECK_EQ(c.remain, 0);
}

/* --------------------------------------------------------------- main */

/* The proxy's own answers all come from one builder. */
static void
test_answer(void)
{
	struct http_answer a;
	char out[512];
	size_t n;

	memset(&a, 0, sizeof(a));
	a.status = 407;
	a.length = 12;
	a.close = 1;
	a.authenticate = "Basic realm=\"proxy\"";
	a.via = "1.1 h (proxy/0)";
	n = http_build_answer(&a, out, sizeof(out));
	out[n] = '\0';
	CHECK_STR(out, "HTTP/1.1 407 Proxy Authentication Required\r\n"
	    "Content-Type: text/plain\r\nContent-Length: 12\r\n"
	    "Proxy-Authenticate: Basic realm=\"proxy\"\r\n"
	    "Via: 1.1 h (proxy/0)\r\nConnection: close\r\n\r\n");
	memset(&a, 0, sizeof(a));
	a.status = 200;
	a.ctype = "application/x-ns-proxy-autoconfig";
	a.length = 5000000000ULL;
	a.cache = "max-age=300";
	a.keepalive10 = 1;
	n = http_build_answer(&a, out, sizeof(out));
	out[n] = '\0';
	CHECK_STR(out, "HTTP/1.1 200 OK\r\n"
	    "Content-Type: application/x-ns-proxy-autoconfig\r\n"
	    "Content-Length: 5000000000\r\nCache-Control: max-age=300\r\n"
	    "Connection: keep-alive\r\n\r\n");
	/* too small: nothing, never a cut head */
	CHECK_EQ(http_build_answer(&a, out, 40), 0);
	/* no body, so no Content-Length (RFC 9110 8.6), and a Content-Type
	 * only if given; the added fields as they are */
	memset(&a, 0, sizeof(a));
	a.status = 304;
	a.length = 99;
	a.fields = "ETag: \"1\"\r\n";
	n = http_build_answer(&a, out, sizeof(out));
	out[n] = '\0';
	CHECK_STR(out, "HTTP/1.1 304 Not Modified\r\nETag: \"1\"\r\n\r\n");
	a.status = 204;
	a.ctype = "text/html";
	a.fields = NULL;
	n = http_build_answer(&a, out, sizeof(out));
	out[n] = '\0';
	CHECK_STR(out, "HTTP/1.1 204 No Content\r\nContent-Type: text/html\r\n"
	    "\r\n");
	CHECK(http_token("X-Fill", 6));
	CHECK(!http_token("X Fill", 6));
	CHECK(!http_token("", 0));
}

static void
test_keepalive(void)
{
	static const struct { const char *head; int keep; } t[] = {
		{ "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", 0 },
		{ "GET / HTTP/1.0\r\n\r\n", 0 },
		{ "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 1 },
		{ "GET / HTTP/1.1\r\nHost: a\r\nConnection: x, close\r\n\r\n", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		CHECK(req(t[i].head) > 0);
		CHECK_EQ(http_keepalive(&h), t[i].keep);
	}
}

/* ------------------------------------------------------------ dates */

/* RFC 9110 5.6.7's three forms of one instant, Unix time 784111777, and
 * the IMF-fixdate written back. */
static void
test_dates(void)
{
	static const char *const good[] = {
		"Sun, 06 Nov 1994 08:49:37 GMT",
		"Sunday, 06-Nov-94 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994",
	};
	static const char *const bad[] = {
		"", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 00 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 GMTx", "1994-11-06T08:49:37Z",
		"Sun Nov  6 08:49:37 1994 ", "Sun", "Su,", ",", "Sunday,",
	};
	char out[30];
	int64_t t;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		t = 0;
		CHECK_EQ(http_date_parse(good[i], strlen(good[i]), &t), 0);
		CHECK_EQ(t, 784111777);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(http_date_parse(bad[i], strlen(bad[i]), &t), -1);
	http_date_format(784111777, out);
	CHECK_STR(out, "Sun, 06 Nov 1994 08:49:37 GMT");
	http_date_format(0, out);
	CHECK_STR(out, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_date_format(951782400, out);	/* a leap day */
	CHECK_STR(out, "Tue, 29 Feb 2000 00:00:00 GMT");
	http_date_format(4102444799LL, out);
	CHECK_STR(out, "Thu, 31 Dec 2099 23:59:59 GMT");
	/* every day of four years and a bit goes round the parser */
	for (t = 946684800; t < 946684800 + 1500 * 86400LL; t += 86400 + 7) {
		int64_t back = 0;

		http_date_format(t, out);
		CHECK_EQ(http_date_parse(out, strlen(out), &back), 0);
		CHECK_EQ(back, t);
	}
	/* an answer the server has not asked for: the 401 and 405 fields */
	{
		char buf[1024];
		size_t n = http_build_error(401, "log in", NULL, buf,
		    sizeof(buf) - 1);

		buf[n] = '\0';
		CHECK(strstr(buf, "\r\nWWW-Authenticate: Basic realm=\""
		    "proxy\"\r\n") != NULL);
		n = http_build_error(405, "GET only", NULL, buf,
		    sizeof(buf) - 1);
		buf[n] = '\0';
		CHECK(strstr(buf, "\r\nAllow: GET, HEAD\r\n") != NULL);
	}
}

int
main(void)
{
	test_request_lines();
	test_absolute();
	test_answer();
	test_keepalive();
	test_host_limits();
	test_connect();
	test_fields();
	test_nul();
	test_limits();
	test_framing();
	test_flags();
	run_cases(REQ, req_good, sizeof(req_good) / sizeof(req_good[0]),
	    HTTP_GET);
	run_cases(REQ, req_bad, sizeof(req_bad) / sizeof(req_bad[0]),
	    HTTP_GET);
	test_bad_names_rule();
	test_responses();
	test_responses_bodiless();
	test_responses_framing();
	test_te_cl();
	test_response_limits();
	run_cases(RESP, resp_bad, sizeof(resp_bad) / sizeof(resp_bad[0]),
	    HTTP_GET);
	test_tables();
	test_list_has();
	test_auth_challenges();
	test_chunked_good();
	test_chunked_bad();
	test_chunked_limits();
	test_chunked_sticky();
	test_chunked_steps();
	test_dates();
	return check_done("unit_http");
}
