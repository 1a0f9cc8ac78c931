/*
 * The embedding API: a program links libproxy.a, parses and rewrites
 * heads with the same functions the proxy uses, and runs the proxy's
 * command line through proxy_main().
 */
#include <string.h>

#include "proxy.h"
#include "check.h"

static struct http_head h;
static char out[4096];

static int
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void
test_request_rewrite(void)
{
	static const char req[] =
	    "POST http://example.test:8080/a?b=1 HTTP/1.1\r\n"
	    "Host: wrong.test\r\n"
	    "Connection: keep-alive, X-Hop\r\n"
	    "X-Hop: 1\r\n"
	    "Proxy-Authorization: Basic Zm9vOmJhcg==\r\n"
	    "User-Agent: curl/8\r\n"
	    "X-Secret: s\r\n"
	    "X-Replace: old\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "\r\n";
	const char *drop[] = { "X-Secret" }, *add[] = { "X-Replace: new" };
	struct http_rewrite rw;
	size_t scan = 0, n;

	CHECK_EQ(http_parse_request(req, sizeof(req) - 1, 65536, &scan, &h),
	    (int)sizeof(req) - 1);
	CHECK_EQ(h.method, HTTP_POST);
	CHECK_EQ(h.body, HTTP_BODY_CHUNKED);
	CHECK_EQ(h.port, 8080);
	memset(&rw, 0, sizeof(rw));
	rw.host = "example.test";
	rw.port = 8080;
	rw.drop = drop;
	rw.ndrop = 1;
	rw.add = add;
	rw.nadd = 1;
	rw.useragent = "embedded/1";
	rw.via = "1.1 test";
	n = http_build_request(req, &h, &rw, out, sizeof(out));
	CHECK(n > 0);
	out[n] = '\0';
	CHECK(starts(out, "POST /a?b=1 HTTP/1.1\r\nHost: example.test:8080\r\n"));
	CHECK(strstr(out, "X-Hop") == NULL);
	CHECK(strstr(out, "Connection:") == NULL);
	CHECK(strstr(out, "Proxy-Authorization") == NULL);
	CHECK(strstr(out, "X-Secret") == NULL);
	CHECK(strstr(out, "X-Replace: old") == NULL);
	CHECK(strstr(out, "\r\nX-Replace: new\r\n") != NULL);
	CHECK(strstr(out, "\r\nUser-Agent: embedded/1\r\n") != NULL);
	CHECK(strstr(out, "curl/8") == NULL);
	CHECK(strstr(out, "\r\nVia: 1.1 test\r\n") != NULL);
	CHECK(strstr(out, "\r\nTransfer-Encoding: chunked\r\n") != NULL);
	CHECK(n >= 4 && memcmp(out + n - 4, "\r\n\r\n", 4) == 0);

	/* to a parent: absolute form, and our own login */
	rw.absolute = 1;
	rw.proxy_auth = "NTLM TlRMTVNTUAABAAAA";
	n = http_build_request(req, &h, &rw, out, sizeof(out));
	out[n] = '\0';
	CHECK(starts(out, "POST http://example.test:8080/a?b=1 HTTP/1.1\r\n"));
	CHECK(strstr(out, "\r\nProxy-Authorization: NTLM TlRMTVNTUAABAAAA\r\n")
	    != NULL);
	CHECK_EQ(http_build_request(req, &h, &rw, out, 20), 0);	/* too small */
}

static void
test_response_rewrite(void)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 5\r\n"
	    "Keep-Alive: timeout=5\r\n"
	    "Connection: keep-alive\r\n"
	    "Proxy-Authenticate: Basic realm=x\r\n"
	    "\r\nhello";
	struct http_rewrite rw;
	size_t scan = 0, n;
	int r;

	r = http_parse_response(resp, sizeof(resp) - 1, 65536, &scan,
	    HTTP_GET, &h);
	CHECK_EQ(r, (int)sizeof(resp) - 1 - 5);
	CHECK_EQ(h.body, HTTP_BODY_LENGTH);
	CHECK_EQ(h.content_length, 5);
	memset(&rw, 0, sizeof(rw));
	rw.close = 1;
	n = http_build_response(resp, &h, &rw, out, sizeof(out));
	out[n] = '\0';
	CHECK_STR(out, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
	    "Connection: close\r\n\r\n");
	rw.close = 0;
	rw.keep_proxy_auth = 1;
	n = http_build_response(resp, &h, &rw, out, sizeof(out));
	out[n] = '\0';
	CHECK(strstr(out, "Proxy-Authenticate: Basic realm=x\r\n") != NULL);
}

/* Transfer-Encoding frames the body, so a Content-Length beside it never
 * goes on (RFC 9112 6.3); codings besides chunked go on with the body
 * that still carries them, or not at all when it is dechunked. */
static void
test_framing_rewrite(void)
{
	static const char resp[] =
	    "HTTP/1.1 200 OK\r\n"
	    "Content-Length: 100\r\n"
	    "Transfer-Encoding: gzip\r\n"
	    "X-A: 1\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "\r\n";
	static const char req[] =
	    "POST http://h/ HTTP/1.1\r\n"
	    "Host: h\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n"
	    "\r\n";
	struct http_rewrite rw;
	size_t scan = 0, n;

	CHECK_EQ(http_parse_response(resp, sizeof(resp) - 1, 65536, &scan,
	    HTTP_GET, &h), (int)sizeof(resp) - 1);
	CHECK_EQ(h.body, HTTP_BODY_CHUNKED);
	memset(&rw, 0, sizeof(rw));
	rw.keep_te = 1;
	n = http_build_response(resp, &h, &rw, out, sizeof(out));
	out[n] = '\0';
	CHECK_STR(out, "HTTP/1.1 200 OK\r\nX-A: 1\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n");
	/* dechunked for an HTTP/1.0 client: neither field */
	rw.keep_te = 0;
	rw.close = 1;
	n = http_build_response(resp, &h, &rw, out, sizeof(out));
	out[n] = '\0';
	CHECK_STR(out, "HTTP/1.1 200 OK\r\nX-A: 1\r\nConnection: close\r\n"
	    "\r\n");

	scan = 0;
	CHECK_EQ(http_parse_request(req, sizeof(req) - 1, 65536, &scan, &h),
	    (int)sizeof(req) - 1);
	memset(&rw, 0, sizeof(rw));
	rw.host = "h";
	rw.port = 80;
	n = http_build_request(req, &h, &rw, out, sizeof(out));
	out[n] = '\0';
	CHECK_STR(out, "POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: gzip, chunked\r\n\r\n");
}

static void
test_main(void)
{
	char *version[] = { "proxy", "--version", NULL };
	char *bad[] = { "proxy", "--port", "99999", NULL };
	char *unknown[] = { "proxy", "--no-such-flag", NULL };

	CHECK_EQ(proxy_main(2, version), 0);
	CHECK_EQ(proxy_main(3, bad), 2);
	CHECK_EQ(proxy_main(2, unknown), 2);
}

int
main(void)
{
	test_request_rewrite();
	test_response_rewrite();
	test_framing_rewrite();
	test_main();
	return check_done("unit_api");
}
