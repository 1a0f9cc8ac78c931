/*
 * bench/tlsload.c: the benchmark's TLS load client (compiled by
 * bench/bench.sh with cc and OpenSSL's libssl; a bench tool, not part of
 * the proxy). One client for every TLS row, so direct, the blind tunnel
 * and each intercepting proxy are measured by the same code.
 *
 *   tlsload MODE -x PORT [-C HOST:PORT] [-s NAME -a CAFILE] [-u TARGET]
 *           [-t PROCS] [-c CONNS] [-d SECONDS] [-n COUNT] [-k]
 *
 * A connection: TCP to 127.0.0.1:PORT; with -C, "CONNECT HOST:PORT" and
 * its 200; with -s, a TLS handshake with SNI NAME, verifying the chain
 * against CAFILE and the name (no session is ever reused: every
 * handshake is a full one); then "GET TARGET" (default /1k) with Host
 * set, "Connection: close" unless -k.
 *
 *   rate   PROCS processes (default 8), each with CONNS connections at
 *          once (default 1): a connection does one GET, reads the
 *          response to its end and closes; then the next. For SECONDS
 *          (default 5). Prints "<per second> <completed> <errors>
 *          <client CPU ms per connection>".
 *   ka     the same with -k implied: each connection sends GETs one
 *          after the other for SECONDS; prints "<requests/s> <completed>
 *          <errors> <client CPU ms per request>".
 *   first  COUNT connections (default 200) one after the other, one
 *          GET each; NAME may hold one %d, replaced by the connection's
 *          number, so each asks for a name not seen before. Prints
 *          "<median ms> <p90 ms> <completed> <errors>": the time from
 *          connect() to the response's last byte.
 *   hold   COUNT connections (default 1000), opened 50 at a time, each
 *          does one keep-alive GET and then stays open and idle; prints
 *          "ready <open>" and waits for SIGTERM or SIGINT.
 *
 * -v prints to stderr the protocol and cipher of the first handshake.
 * Errors are counted; the first one's reason goes to stderr.
 *
 * Each process runs non-blocking sockets under one poll(), as
 * tunnels.c does, so that the client costs little beside what it
 * measures.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

enum mode { M_RATE, M_KA, M_FIRST, M_HOLD };

/* a connection's steps, in protocol order */
enum cstate {
	S_1_CONNECTING,
	S_2_WAIT_200,		/* CONNECT sent */
	S_3_HANDSHAKE,
	S_4_SEND,		/* the GET */
	S_5_READ,		/* its response */
	S_6_IDLE,		/* hold: done, kept open */
};

struct opts {
	enum mode	 mode;
	int		 port;
	const char	*connect_to;	/* HOST:PORT or NULL */
	const char	*name;		/* TLS SNI / verified name, or NULL */
	const char	*cafile;
	const char	*target;
	int		 threads, conns, count, keepalive, verbose;
	double		 secs;
};

static struct opts o = { M_RATE, 0, NULL, NULL, NULL, "/1k", 8, 1, 1, 0,
	0, 5.0 };
static SSL_CTX *ctx;
static char connect_req[700];

struct cn {
	int		 fd;
	enum cstate	 st;
	SSL		*ssl;
	char		 name[256];	/* this connection's TLS name */
	char		 req[768];
	size_t		 req_len, sent;
	char		 head[4096];	/* the response head (and 200's) */
	size_t		 hlen;
	long		 clen;		/* Content-Length, -1: none */
	long		 body;		/* body bytes read */
	int		 in_head;	/* the response head is not whole */
	double		 t0;
};

struct worker {
	int		 id;
	long		 done, errors;
};

static int err_shown, cipher_shown;
static volatile sig_atomic_t stop;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The first error's reason, once, to stderr; the rest are counted. */
static void
report(const char *what, const struct cn *c)
{
	char ebuf[256] = "";
	unsigned long e = ERR_peek_error();

	if (e != 0)
		ERR_error_string_n(e, ebuf, sizeof(ebuf));
	if (!err_shown) {
		err_shown = 1;
		fprintf(stderr, "tlsload: first error: %s (state %d, %s%s%s)\n",
		    what, (int)c->st, errno ? strerror(errno) : "",
		    ebuf[0] ? "; " : "", ebuf);
	}
	ERR_clear_error();
}

static void
cn_close(struct cn *c)
{
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void
build_request(struct cn *c, const char *host)
{
	int n = snprintf(c->req, sizeof(c->req),
	    "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: bench-tlsload\r\n"
	    "%s\r\n", o.target, host,
	    o.keepalive ? "" : "Connection: close\r\n");

	c->req_len = n > 0 && (size_t)n < sizeof(c->req) ? (size_t)n : 0;
}

/* The Host header: the CONNECT authority, the TLS name, or the absolute
 * target's authority. */
static void
request_host(char *out, size_t size)
{
	const char *p;
	size_t n;

	if (o.connect_to != NULL) {
		snprintf(out, size, "%s", o.connect_to);
		return;
	}
	if (strncmp(o.target, "http://", 7) == 0) {
		p = o.target + 7;
		n = strcspn(p, "/");
		snprintf(out, size, "%.*s", (int)n, p);
		return;
	}
	snprintf(out, size, "127.0.0.1:%d", o.port);
}

/* Opens connection number seq: a non-blocking connect to the port. */
static int
cn_open(struct cn *c, long seq)
{
	struct sockaddr_in sa;
	char host[300];
	int one = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)o.port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->ssl = NULL;
	c->st = S_1_CONNECTING;
	c->sent = c->hlen = 0;
	c->clen = -1;
	c->body = 0;
	c->t0 = now();
	if (o.name != NULL)
		snprintf(c->name, sizeof(c->name), o.name, (int)seq);
	request_host(host, sizeof(host));
	build_request(c, host);
	if ((c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0)) == -1)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

/* The events the connection waits for. */
static short
cn_events(const struct cn *c)
{
	if (c->st == S_1_CONNECTING || (c->st == S_4_SEND &&
	    !(c->ssl != NULL && SSL_want_read(c->ssl))))
		return POLLOUT;
	if (c->ssl != NULL && c->st != S_6_IDLE) {
		/* the engine says which way it is blocked; data may also
		   wait inside it (SSL_pending, handled by the caller) */
		return SSL_want_write(c->ssl) ? POLLOUT : POLLIN;
	}
	return POLLIN;
}

static int
tls_start(struct cn *c)
{
	static const unsigned char alpn[] = "\x08http/1.1";

	if ((c->ssl = SSL_new(ctx)) == NULL ||
	    !SSL_set_fd(c->ssl, c->fd) ||
	    !SSL_set_tlsext_host_name(c->ssl, c->name) ||
	    !SSL_set1_host(c->ssl, c->name) ||
	    SSL_set_alpn_protos(c->ssl, alpn, sizeof(alpn) - 1) != 0)
		return -1;
	c->st = S_3_HANDSHAKE;
	return 0;
}

/* An SSL call's result: 1 done, 0 blocked (retry on poll), -1 failed,
 * 2 the peer closed (reads only). */
static int
ssl_result(struct cn *c, int r)
{
	int e;

	if (r > 0)
		return 1;
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	if (e == SSL_ERROR_ZERO_RETURN)
		return 2;
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		return 2;	/* EOF without close_notify */
	return -1;
}

static ssize_t
cn_read(struct cn *c, char *buf, size_t size, int *how)
{
	ssize_t n;
	int r;

	if (c->ssl == NULL) {
		n = read(c->fd, buf, size);
		if (n > 0)
			*how = 1;
		else if (n == 0)
			*how = 2;
		else
			*how = errno == EAGAIN || errno == EINTR ? 0 : -1;
		return n;
	}
	n = SSL_read(c->ssl, buf, (int)size);
	r = ssl_result(c, (int)n);
	*how = r;
	return r == 1 ? n : 0;
}

/* Parses the response head in c->head: status 200 and the
 * Content-Length. 1 when whole, 0 when more is needed, -1 bad. */
static int
head_parse(struct cn *c, size_t *head_len)
{
	char *end, *p;

	c->head[c->hlen] = '\0';
	if ((end = strstr(c->head, "\r\n\r\n")) == NULL)
		return c->hlen + 1 >= sizeof(c->head) ? -1 : 0;
	*head_len = (size_t)(end + 4 - c->head);
	if (strncmp(c->head, "HTTP/1.", 7) != 0 ||
	    strncmp(c->head + 8, " 200", 4) != 0)
		return -1;
	for (p = c->head; p < end; p++) {
		if ((p == c->head || p[-1] == '\n') &&
		    strncasecmp(p, "content-length:", 15) == 0) {
			c->clen = strtol(p + 15, NULL, 10);
			break;
		}
	}
	return 1;
}

/* The 200 of the CONNECT: nothing may follow it before we speak. */
static int
step_wait_200(struct cn *c)
{
	size_t hl;
	ssize_t n;
	int r;

	n = read(c->fd, c->head + c->hlen, sizeof(c->head) - 1 - c->hlen);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	c->hlen += (size_t)n;
	if ((r = head_parse(c, &hl)) <= 0)
		return r;
	if (hl != c->hlen)
		return -1;
	c->hlen = 0;
	if (o.name != NULL)
		return tls_start(c);
	c->st = S_4_SEND;
	return 0;
}

static void
show_cipher(const struct cn *c)
{
	if (!cipher_shown) {
		cipher_shown = 1;
		fprintf(stderr, "tlsload: %s %s\n", SSL_get_version(c->ssl),
		    SSL_get_cipher_name(c->ssl));
	}
}

/* The response, read until it is complete: 1, 0 more, -1 bad. Without
 * keep-alive it ends at the end of the stream. */
static int
step_read(struct cn *c)
{
	static char buf[65536];
	size_t hl, room, k;
	ssize_t n;
	int how, r;

	for (;;) {
		n = cn_read(c, buf, sizeof(buf), &how);
		if (how == 0 || how == -1)
			return how;
		if (how == 2) {
			if (c->in_head)
				return -1;
			if (c->clen >= 0)
				return c->body == c->clen ? 1 : -1;
			return c->body > 0 ? 1 : -1;
		}
		if (c->in_head) {
			room = sizeof(c->head) - 1 - c->hlen;
			k = (size_t)n < room ? (size_t)n : room;
			memcpy(c->head + c->hlen, buf, k);
			c->hlen += k;
			if ((r = head_parse(c, &hl)) == -1)
				return -1;
			if (r == 0) {
				if (k < (size_t)n)
					return -1;	/* a head too large */
				continue;
			}
			c->in_head = 0;
			c->body = (long)(c->hlen - hl) + (long)((size_t)n - k);
		} else
			c->body += (long)n;
		if (c->clen >= 0 && c->body > c->clen)
			return -1;
		if (o.keepalive && c->clen >= 0 && c->body == c->clen)
			return 1;
	}
}

/*
 * Advances c on its poll events: 1 when its exchange is complete, 0
 * when it waits, -1 when it failed.
 */
static int
cn_step(struct cn *c, short rev)
{
	ssize_t n;
	int err = 0, r;
	socklen_t el = sizeof(err);

	switch (c->st) {
	case S_1_CONNECTING:
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) == -1 ||
		    err != 0) {
			errno = err;
			return -1;
		}
		if (!(rev & (POLLOUT | POLLERR | POLLHUP)))
			return 0;
		if (o.connect_to != NULL) {
			if (write(c->fd, connect_req, strlen(connect_req)) !=
			    (ssize_t)strlen(connect_req))
				return -1;
			c->st = S_2_WAIT_200;
			return 0;
		}
		if (o.name != NULL)
			return tls_start(c) == -1 ? -1 : cn_step(c, 0);
		c->st = S_4_SEND;
		return cn_step(c, POLLOUT);
	case S_2_WAIT_200:
		if ((r = step_wait_200(c)) != 0 || c->st == S_2_WAIT_200)
			return r;
		return cn_step(c, 0);
	case S_3_HANDSHAKE:
		if ((r = ssl_result(c, SSL_connect(c->ssl))) <= 0)
			return r;
		if (r == 2)
			return -1;
		if (o.verbose)
			show_cipher(c);
		c->st = S_4_SEND;
		/* FALLTHROUGH */
	case S_4_SEND:
		if (c->ssl != NULL) {
			/* OpenSSL retries with the same arguments */
			r = ssl_result(c, SSL_write(c->ssl, c->req,
			    (int)c->req_len));
			if (r != 1)
				return r == 2 ? -1 : r;
			c->sent = c->req_len;
		} else {
			n = write(c->fd, c->req + c->sent, c->req_len - c->sent);
			if (n < 0)
				return errno == EAGAIN || errno == EINTR ? 0 : -1;
			c->sent += (size_t)n;
			if (c->sent < c->req_len)
				return 0;
		}
		c->st = S_5_READ;
		c->in_head = 1;
		c->hlen = 0;
		c->body = 0;
		c->clen = -1;
		return 0;
	case S_5_READ:
		return step_read(c);
	case S_6_IDLE:
		return 0;
	}
	return -1;
}

/* Keep-alive: the next request on the same connection, sent at once;
 * 0, or -1 when it failed. */
static int
cn_again(struct cn *c)
{
	c->st = S_4_SEND;
	c->sent = 0;
	c->t0 = now();
	return cn_step(c, POLLOUT) == -1 ? -1 : 0;
}

/* Runs this process's connections until the deadline (rate, ka). */
static void
run_load(struct worker *w)
{
	struct cn *cs = calloc((size_t)o.conns, sizeof(*cs));
	struct pollfd *pfd = calloc((size_t)o.conns, sizeof(*pfd));
	double end = now() + o.secs;
	long seq = (long)w->id * 1000000;
	int i, r;

	if (cs == NULL || pfd == NULL) {
		w->errors++;
		free(cs);
		free(pfd);
		return;
	}
	for (i = 0; i < o.conns; i++)
		if (cn_open(&cs[i], seq++) == -1)
			w->errors++;
	while (now() < end) {
		int pending = 0;

		for (i = 0; i < o.conns; i++) {
			pfd[i].fd = cs[i].fd;
			pfd[i].events = cs[i].fd >= 0 ? cn_events(&cs[i]) : 0;
			pfd[i].revents = 0;
			if (cs[i].ssl != NULL && SSL_pending(cs[i].ssl) > 0)
				pending = 1;
		}
		if (poll(pfd, (nfds_t)o.conns, pending ? 0 : 100) == -1 &&
		    errno != EINTR)
			break;
		for (i = 0; i < o.conns; i++) {
			struct cn *c = &cs[i];

			if (c->fd < 0) {
				if (cn_open(c, seq++) == -1)
					w->errors++;
				continue;
			}
			if (!pfd[i].revents && !(c->ssl != NULL &&
			    SSL_pending(c->ssl) > 0))
				continue;
			errno = 0;
			if ((r = cn_step(c, pfd[i].revents)) == 0)
				continue;
			if (r == 1)
				w->done++;
			if (r == 1 && o.keepalive && cn_again(c) == 0)
				continue;
			if (r != 1 || o.keepalive) {
				report("load", c);
				w->errors++;
			}
			cn_close(c);
			if (w->errors > 100000)
				end = 0;
			else if (cn_open(c, seq++) == -1)
				w->errors++;
		}
	}
	for (i = 0; i < o.conns; i++)
		cn_close(&cs[i]);
	free(cs);
	free(pfd);
}

/* One connection to its end, alone: its time in ms, or -1. */
static double
run_one(long seq)
{
	struct cn c;
	struct pollfd p;
	double deadline;
	int r = 0;

	if (cn_open(&c, seq) == -1)
		return -1;
	deadline = c.t0 + 10;
	while (r == 0 && now() < deadline) {
		p.fd = c.fd;
		p.events = cn_events(&c);
		p.revents = 0;
		if (!(c.ssl != NULL && SSL_pending(c.ssl) > 0) &&
		    poll(&p, 1, 100) <= 0)
			continue;
		errno = 0;
		r = cn_step(&c, p.revents);
	}
	if (r != 1)
		report("first", &c);
	cn_close(&c);
	return r == 1 ? (now() - c.t0) * 1000 : -1;
}

/* The CPU used, user and system, in ms (RUSAGE_SELF or _CHILDREN). */
static double
cpu_ms(int who)
{
	struct rusage ru;

	if (getrusage(who, &ru) == -1)
		return 0;
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int
cmd_first(void)
{
	double *lat = calloc((size_t)o.count, sizeof(*lat));
	long i, n = 0, errors = 0;

	if (lat == NULL)
		return 1;
	for (i = 0; i < o.count && !stop; i++) {
		double ms = run_one(i);

		if (ms < 0)
			errors++;
		else
			lat[n++] = ms;
	}
	if (n == 0) {
		printf("- - 0 %ld\n", errors);
		free(lat);
		return 0;
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	printf("%.3f %.3f %ld %ld\n", n % 2 ? lat[n / 2] :
	    (lat[n / 2 - 1] + lat[n / 2]) / 2, lat[(n * 9) / 10 < n ?
	    (n * 9) / 10 : n - 1], n, errors);
	free(lat);
	return 0;
}

/* One load process: its connections until the deadline; "done errors"
 * on fd. */
static void
load_child(int id, int fd)
{
	struct worker w;
	char line[64];
	int n;

	memset(&w, 0, sizeof(w));
	w.id = id;
	run_load(&w);
	n = snprintf(line, sizeof(line), "%ld %ld\n", w.done, w.errors);
	if (write(fd, line, (size_t)n) != n)
		_exit(1);
	_exit(0);
}

/*
 * rate and ka: o.threads processes (not threads: OpenSSL 3.0's
 * handshakes contend on its locks across threads, which made 8 threads
 * complete fewer handshakes with nginx than a proxy in between let them).
 */
static int
cmd_load(void)
{
	pid_t *pids = calloc((size_t)o.threads, sizeof(*pids));
	int *fds = calloc((size_t)o.threads, sizeof(*fds));
	long done = 0, errors = 0, d, e;
	double t0, t1;
	char line[64];
	ssize_t n;
	int i, p[2];

	if (pids == NULL || fds == NULL)
		return 1;
	fflush(stdout);
	fflush(stderr);
	t0 = now();
	for (i = 0; i < o.threads; i++) {
		if (pipe(p) == -1 || (pids[i] = fork()) == -1) {
			fprintf(stderr, "tlsload: cannot start a process\n");
			return 1;
		}
		if (pids[i] == 0) {
			close(p[0]);
			load_child(i, p[1]);
		}
		close(p[1]);
		fds[i] = p[0];
	}
	for (i = 0; i < o.threads; i++) {
		n = read(fds[i], line, sizeof(line) - 1);
		line[n > 0 ? n : 0] = '\0';
		if (sscanf(line, "%ld %ld", &d, &e) == 2) {
			done += d;
			errors += e;
		} else
			errors++;
		close(fds[i]);
		waitpid(pids[i], NULL, 0);
	}
	t1 = now();
	printf("%.0f %ld %ld %.3f\n", done / (t1 - t0), done, errors,
	    done > 0 ? cpu_ms(RUSAGE_CHILDREN) / done : 0.0);
	free(pids);
	free(fds);
	return 0;
}

/* hold: COUNT connections, each after one keep-alive GET, kept idle. */
static int
cmd_hold(void)
{
	struct cn *cs = calloc((size_t)o.count, sizeof(*cs));
	struct pollfd *pfd = calloc((size_t)o.count, sizeof(*pfd));
	int *at = calloc((size_t)o.count, sizeof(*at));
	int i, m, next = 0, pending = 0, opened = 0, failed = 0;
	double deadline = now() + 120;

	if (cs == NULL || pfd == NULL || at == NULL)
		return 1;
	for (i = 0; i < o.count; i++)
		cs[i].fd = -1;
	while (opened + failed < o.count && now() < deadline && !stop) {
		int ssl_ready = 0;

		while (next < o.count && pending < 50) {
			if (cn_open(&cs[next], next) == -1)
				failed++;
			else
				pending++;
			next++;
		}
		for (i = 0, m = 0; i < next; i++) {
			if (cs[i].fd < 0 || cs[i].st == S_6_IDLE)
				continue;
			pfd[m].fd = cs[i].fd;
			pfd[m].events = cn_events(&cs[i]);
			pfd[m].revents = 0;
			if (cs[i].ssl != NULL && SSL_pending(cs[i].ssl) > 0)
				ssl_ready = 1;
			at[m++] = i;
		}
		if (poll(pfd, (nfds_t)m, ssl_ready ? 0 : 200) == -1 &&
		    errno != EINTR)
			return 1;
		for (i = 0; i < m; i++) {
			struct cn *c = &cs[at[i]];
			int r;

			if (!pfd[i].revents && !(c->ssl != NULL &&
			    SSL_pending(c->ssl) > 0))
				continue;
			errno = 0;
			if ((r = cn_step(c, pfd[i].revents)) == 0)
				continue;
			pending--;
			if (r == 1) {
				c->st = S_6_IDLE;
				opened++;
			} else {
				report("hold", c);
				failed++;
				cn_close(c);
			}
		}
	}
	printf("ready %d\n", opened);
	fflush(stdout);
	while (!stop)
		pause();
	for (i = 0; i < o.count; i++)
		cn_close(&cs[i]);
	free(cs);
	free(pfd);
	free(at);
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: tlsload rate|ka|first|hold -x PORT "
	    "[-C HOST:PORT] [-s NAME -a CAFILE] [-u TARGET] [-t PROCS] "
	    "[-c CONNS] [-d SECONDS] [-n COUNT] [-k] [-v]\n");
	return 2;
}

static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
parse(int argc, char **argv)
{
	int ch;

	if (argc < 2)
		return -1;
	if (strcmp(argv[1], "rate") == 0)
		o.mode = M_RATE;
	else if (strcmp(argv[1], "ka") == 0) {
		o.mode = M_KA;
		o.keepalive = 1;
	} else if (strcmp(argv[1], "first") == 0) {
		o.mode = M_FIRST;
		o.count = 200;
	} else if (strcmp(argv[1], "hold") == 0) {
		o.mode = M_HOLD;
		o.count = 1000;
		o.keepalive = 1;
	} else
		return -1;
	optind = 2;
	while ((ch = getopt(argc, argv, "x:C:s:a:u:t:c:d:n:kv")) != -1) {
		switch (ch) {
		case 'x': o.port = atoi(optarg); break;
		case 'C': o.connect_to = optarg; break;
		case 's': o.name = optarg; break;
		case 'a': o.cafile = optarg; break;
		case 'u': o.target = optarg; break;
		case 't': o.threads = atoi(optarg); break;
		case 'c': o.conns = atoi(optarg); break;
		case 'd': o.secs = atof(optarg); break;
		case 'n': o.count = atoi(optarg); break;
		case 'k': o.keepalive = 1; break;
		case 'v': o.verbose = 1; break;
		default: return -1;
		}
	}
	if (o.port <= 0 || o.port > 65535 || o.threads < 1 ||
	    o.threads > 256 || o.conns < 1 || o.conns > 10000 ||
	    o.count < 1 || o.count > 100000 || o.secs <= 0 ||
	    (o.name != NULL && o.cafile == NULL) || strlen(o.target) > 400 ||
	    (o.connect_to != NULL && strlen(o.connect_to) > 300) ||
	    (o.name != NULL && strlen(o.name) > 200))
		return -1;
	if (o.connect_to != NULL)
		snprintf(connect_req, sizeof(connect_req),
		    "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", o.connect_to,
		    o.connect_to);
	return 0;
}

static int
ctx_make(void)
{
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return -1;
	if (SSL_CTX_load_verify_locations(ctx, o.cafile, NULL) != 1) {
		fprintf(stderr, "tlsload: cannot read %s\n", o.cafile);
		return -1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* every handshake a full one */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	/* a close without close_notify ends the response as a plain EOF
	   would (mitmproxy's way); the length is checked when given */
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
	return 0;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;

	if (parse(argc, argv) == -1)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	raise_nofile();
	if (o.name != NULL && ctx_make() == -1) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	switch (o.mode) {
	case M_FIRST:
		return cmd_first();
	case M_HOLD:
		return cmd_hold();
	default:
		return cmd_load();
	}
}
