/*
 * fetch.c: a small blocking HTTP client, for the places where blocking
 * is harmless: --magic and --pac-test run before any worker, and the PAC
 * file is fetched in a child of the resolver helper. Plain blocking
 * sockets with timeouts are the simple and right tool there; a worker
 * never calls these. Over TLS (https:// URLs and parents) the socket
 * is non-blocking under tls.c's engine, and poll() waits for what the
 * engine asks, with the same timeout.
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
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

#define FETCH_BUF	16384	/* a TLS connection's plaintext buffer */

struct fetch_conn {
	struct endpoint	 ep;		/* ep.tls NULL: plain */
	int		 timeout_ms;
};

/* Waits until the socket can do what events asks; -1 on a timeout
 * (errno ETIMEDOUT) or an error. */
static int
sock_wait(struct fetch_conn *fc, short events)
{
	struct pollfd pfd = { fc->ep.fd, events, 0 };
	int r;

	while ((r = poll(&pfd, 1, fc->timeout_ms)) == -1 && errno == EINTR)
		continue;
	if (r == 0)
		errno = ETIMEDOUT;
	return r > 0 ? 0 : -1;
}

/* The TLS handshake over the connected socket; 0 or -1 with err. */
static int
handshake(struct fetch_conn *fc, const struct config *cfg, const char *host,
    uint16_t port, char *err, size_t errsz)
{
	char why[WHY_MAX];
	int r;

	if ((fc->ep.tls = tls_client_new(cfg->anchors, host,
	    cfg->insecure_upstream, why, sizeof(why))) == NULL) {
		snprintf(err, errsz, "TLS to %s:%u: %s", host, port, why);
		return -1;
	}
	if (buf_init(&fc->ep.in, FETCH_BUF) == -1 ||
	    fcntl(fc->ep.fd, F_SETFL, fcntl(fc->ep.fd, F_GETFL) | O_NONBLOCK)
	    == -1) {
		snprintf(err, errsz, "TLS to %s:%u: %s", host, port,
		    strerror(errno));
		return -1;
	}
	while ((r = tls_client_handshake(&fc->ep)) == 0)
		if (sock_wait(fc, tls_events(&fc->ep, 0)) == -1) {
			snprintf(err, errsz, "TLS to %s:%u: the handshake did "
			    "not finish in time", host, port);
			return -1;
		}
	if (r == -1) {
		snprintf(err, errsz, "TLS to %s:%u: %s", host, port,
		    tls_client_why(fc->ep.tls));
		return -1;
	}
	return 0;
}

struct fetch_conn *
fetch_open(const struct config *cfg, const char *host, uint16_t port,
    int tls, char *err, size_t errsz)
{
	struct fetch_conn *fc;

	if (tls && !tls_available()) {
		snprintf(err, errsz, "TLS to %s:%u: built without TLS", host,
		    port);
		return NULL;
	}
	if ((fc = calloc(1, sizeof(*fc))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	fc->ep.fd = -1;		/* as ep_init() leaves it */
	fc->ep.pipe[0] = fc->ep.pipe[1] = -1;
	fc->timeout_ms = cfg->socktimeout > 86400 ? 86400000 :
	    (int)cfg->socktimeout * 1000;
	if ((fc->ep.fd = fetch_dial(host, port, cfg->socktimeout)) == -1) {
		snprintf(err, errsz, "cannot connect to %s:%u", host, port);
		fetch_close(fc);
		return NULL;
	}
	if (tls && handshake(fc, cfg, host, port, err, errsz) == -1) {
		fetch_close(fc);
		return NULL;
	}
	return fc;
}

int
fetch_write(struct fetch_conn *fc, char *data, size_t n)
{
	struct buf b;
	ssize_t k;

	if (fc->ep.tls == NULL)
		return write(fc->ep.fd, data, n) == (ssize_t)n ? 0 : -1;
	buf_over(&b, data, n, n);
	while (buf_len(&b) > 0)
		if ((k = tls_write(&fc->ep, &b, buf_len(&b))) == -1 ||
		    (k == 0 && sock_wait(fc, tls_events(&fc->ep, POLLOUT)) ==
		    -1))
			return -1;
	/* the last record too, before anyone waits for the answer */
	while (tls_pending(fc->ep.tls)) {
		(void)tls_fill(&fc->ep);
		if (tls_pending(fc->ep.tls) &&
		    sock_wait(fc, tls_events(&fc->ep, 0)) == -1)
			return -1;
	}
	return 0;
}

ssize_t
fetch_read(struct fetch_conn *fc, void *dst, size_t n)
{
	size_t len;
	char *p;

	if (fc->ep.tls == NULL)
		return read(fc->ep.fd, dst, n);
	for (;;) {
		if ((p = buf_rptr(&fc->ep.in, &len)) != NULL && len > 0) {
			len = len < n ? len : n;
			memcpy(dst, p, len);
			buf_rack(&fc->ep.in, len);
			return (ssize_t)len;
		}
		if (fc->ep.eof)
			return 0;
		if (tls_read(&fc->ep) == -1)
			return -1;
		if (buf_len(&fc->ep.in) == 0 && !fc->ep.eof &&
		    sock_wait(fc, tls_events(&fc->ep, POLLIN)) == -1)
			return -1;
	}
}

void
fetch_close(struct fetch_conn *fc)
{
	if (fc == NULL)
		return;
	tls_close(&fc->ep);
	fd_close(&fc->ep.fd);
	buf_free(&fc->ep.in);
	free(fc);
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

/* Reads fc until EOF, at most max bytes (one more is kept for a NUL);
 * NULL with err filled on an error or a timeout. */
static char *
read_all(struct fetch_conn *fc, size_t max, size_t *len, char *err,
    size_t errsz)
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
		if ((r = fetch_read(fc, buf + n, cap - n)) == 0)
			break;
		if (r < 0) {
			snprintf(err, errsz, "%s", errno == EAGAIN ||
			    errno == EWOULDBLOCK || errno == ETIMEDOUT ?
			    "timed out" : fc->ep.tls != NULL && errno == EPROTO ?
			    tls_why(fc->ep.tls) : strerror(errno));
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
fetch_url(const struct config *cfg, const char *url, size_t *len, char *err,
    size_t errsz)
{
	static struct http_head h;
	char host[HOST_MAX], req[HOST_MAX * 2 + 512], why[WHY_MAX], *buf;
	const char *auth, *path;
	struct fetch_conn *fc;
	size_t n, scan = 0;
	uint16_t port;
	long body;
	int tls, r;

	if (strncasecmp(url, "http://", 7) == 0)
		tls = 0;
	else if (strncasecmp(url, "https://", 8) == 0)
		tls = 1;
	else {
		snprintf(err, errsz, "%s: only http:// and https:// URLs can "
		    "be fetched", url);
		return NULL;
	}
	auth = url + (tls ? 8 : 7);
	path = auth + strcspn(auth, "/?#");
	if (parse_hostport(auth, (size_t)(path - auth), host, sizeof(host),
	    &port, tls ? 443 : 80) == -1) {
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
	if ((fc = fetch_open(cfg, host, port, tls, why, sizeof(why))) ==
	    NULL) {
		snprintf(err, errsz, "%s: %s", url, why);
		return NULL;
	}
	why[0] = '\0';
	if (fetch_write(fc, req, (size_t)r) == -1 ||
	    (buf = read_all(fc, 16 << 20, &n, why, sizeof(why))) == NULL) {
		snprintf(err, errsz, "%s: %s", url, why[0] ? why :
		    "write failed");
		fetch_close(fc);
		return NULL;
	}
	fetch_close(fc);
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
