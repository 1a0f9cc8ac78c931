/*
 * fetch.c: a small blocking HTTP client, for the places where blocking
 * is harmless: --magic and --pac-test run before any worker, and the PAC
 * file is fetched in a child of the resolver helper. Plain blocking
 * sockets with timeouts are the simple and right tool there; a worker
 * never calls these.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "proxy.h"

int
fetch_dial(const char *host, uint16_t port, long timeout_s)
{
	struct addrinfo hints, *res, *ai;
	struct timeval tv = { timeout_s, 0 };
	char ports[8];
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ports, sizeof(ports), "%u", port);
	if (getaddrinfo(host, ports, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		fd_close(&fd);
	}
	freeaddrinfo(res);
	return fd;
}

/* Undoes a chunked coding in place; the decoded length, or -1. */
static long
dechunk(char *body, size_t len)
{
	struct http_chunked ch;
	size_t in = 0, out = 0, dl;
	long n;

	http_chunked_init(&ch);
	while (!ch.done && in < len) {
		if ((n = http_chunked_step(&ch, body + in, len - in, &dl)) <= 0)
			return -1;
		if (dl > 0)
			memmove(body + out, body + in, dl);
		out += dl;
		in += (size_t)n;
	}
	return ch.done ? (long)out : -1;
}

/* Reads fd until EOF, at most max bytes (one more is kept for a NUL);
 * NULL with err filled on an error or a timeout. */
static char *
read_all(int fd, size_t max, size_t *len, char *err, size_t errsz)
{
	char *buf = NULL, *p;
	size_t cap = 0, n = 0;
	ssize_t r;

	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				snprintf(err, errsz, "larger than %zu bytes",
				    max);
				goto fail;
			}
			cap = cap ? cap * 2 : 16384;
			if ((p = realloc(buf, cap + 1)) == NULL) {
				snprintf(err, errsz, "out of memory");
				goto fail;
			}
			buf = p;
		}
		if ((r = read(fd, buf + n, cap - n)) == 0)
			break;
		if (r < 0) {
			snprintf(err, errsz, "%s", errno == EAGAIN ||
			    errno == EWOULDBLOCK ? "timed out" : strerror(errno));
			goto fail;
		}
		n += (size_t)r;
	}
	*len = n;
	return buf;
fail:
	free(buf);
	return NULL;
}

char *
fetch_url(const char *url, long timeout_s, size_t *len, char *err,
    size_t errsz)
{
	static struct http_head h;
	char host[HOST_MAX], req[HOST_MAX * 2 + 512], *buf;
	const char *auth, *path;
	size_t n, scan = 0;
	uint16_t port;
	long body;
	int fd, r;

	if (strncasecmp(url, "http://", 7) != 0) {
		snprintf(err, errsz, "%s: only http:// URLs can be fetched",
		    url);
		return NULL;
	}
	auth = url + 7;
	path = auth + strcspn(auth, "/?#");
	if (parse_hostport(auth, (size_t)(path - auth), host, sizeof(host),
	    &port, 80) == -1) {
		snprintf(err, errsz, "%s: bad host", url);
		return NULL;
	}
	r = snprintf(req, sizeof(req), "GET %s%.*s HTTP/1.0\r\nHost: %.*s\r\n"
	    "User-Agent: proxy/%s\r\n\r\n", *path == '/' ? "" : "/",
	    (int)strcspn(path, "#"), path, (int)(path - auth), auth,
	    PROXY_VERSION);
	if (r < 0 || (size_t)r >= sizeof(req)) {
		snprintf(err, errsz, "%s: URL too long", url);
		return NULL;
	}
	if ((fd = fetch_dial(host, port, timeout_s)) == -1) {
		snprintf(err, errsz, "%s: cannot connect", url);
		return NULL;
	}
	err[0] = '\0';
	if (write(fd, req, (size_t)r) != r ||
	    (buf = read_all(fd, 16 << 20, &n, err, errsz)) == NULL) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err[0] ? err : "write failed");
		snprintf(err, errsz, "%s: %s", url, why);
		fd_close(&fd);
		return NULL;
	}
	fd_close(&fd);
	r = http_parse_response(buf, n, n > 65536 ? 65536 : n, &scan, HTTP_GET,
	    &h);
	if (r <= 0 || h.status != 200) {
		snprintf(err, errsz, "%s: %s%d", url, r <= 0 ?
		    "bad response" : "status ", r <= 0 ? 0 : h.status);
		free(buf);
		return NULL;
	}
	body = (long)(n - (size_t)r);
	memmove(buf, buf + r, (size_t)body);
	if (h.body == HTTP_BODY_CHUNKED && (body = dechunk(buf,
	    (size_t)body)) < 0) {
		snprintf(err, errsz, "%s: bad chunked body", url);
		free(buf);
		return NULL;
	}
	if (h.body == HTTP_BODY_LENGTH && (uint64_t)body > h.content_length)
		body = (long)h.content_length;
	buf[body] = '\0';
	*len = (size_t)body;
	return buf;
}
