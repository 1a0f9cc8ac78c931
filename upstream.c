/*
 * upstream.c: reaching the next hop. Connecting with Happy Eyeballs
 * (RFC 8305) and the worker's pool of idle upstream connections. Route
 * choice and parent handshakes come here too.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "proxy.h"

static void
sockaddr_from(const struct dns_result *r, size_t i, uint16_t port,
    struct addr *out)
{
	memset(out, 0, sizeof(*out));
	if (r->addrs[i].family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, r->addrs[i].a, 16);
		out->len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		memcpy(&s4->sin_addr, r->addrs[i].a, 4);
		out->len = sizeof(*s4);
	}
}

/* RFC 8305 section 4: alternate address families, starting with the
 * family getaddrinfo preferred. */
static void
interleave(struct dns_result *r)
{
	struct dns_result out;
	size_t i, a = 0, b = 0;
	int first;

	if (r->n < 3)
		return;
	first = r->addrs[0].family;
	out = *r;
	out.n = 0;
	while (out.n < r->n) {
		int want = out.n % 2 == 0 ? first : -first;

		for (i = want == first ? a : b; i < r->n; i++)
			if ((r->addrs[i].family == first) == (want == first))
				break;
		if (i == r->n) {	/* one family ran out: take the other */
			want = -want;
			for (i = want == first ? a : b; i < r->n; i++)
				if ((r->addrs[i].family == first) ==
				    (want == first))
					break;
		}
		out.addrs[out.n++] = r->addrs[i];
		if (want == first)
			a = i + 1;
		else
			b = i + 1;
	}
	*r = out;
}

static int
socket_nonblock(int family)
{
	int fd, one = 1;

	if ((fd = socket(family, SOCK_STREAM, 0)) == -1)
		return -1;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		close(fd);
		return -1;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
attempts_close(struct conn *c, int keep)
{
	size_t i;

	for (i = 0; i < MAX_HE_ATTEMPTS; i++)
		if (c->he_fd[i] != -1 && c->he_fd[i] != keep) {
			close(c->he_fd[i]);
			c->he_fd[i] = -1;
		}
}

static size_t
attempts_pending(const struct conn *c)
{
	size_t i, n = 0;

	for (i = 0; i < MAX_HE_ATTEMPTS; i++)
		n += c->he_fd[i] != -1;
	return n;
}

static void
connect_won(struct conn *c, int fd)
{
	size_t i;

	attempts_close(c, fd);
	for (i = 0; i < MAX_HE_ATTEMPTS; i++)
		c->he_fd[i] = -1;
	c->server.fd = fd;
	conn_connected(c);
}

static void
connect_failed(struct conn *c)
{
	char why[WHY_MAX];

	if (c->connect_error == ETIMEDOUT) {
		snprintf(why, sizeof(why), "connecting to %s timed out",
		    c->upstream);
		conn_close(c, 504, why);
		return;
	}
	snprintf(why, sizeof(why), "cannot connect to %s: %s", c->upstream,
	    strerror(c->connect_error ? c->connect_error : ECONNREFUSED));
	conn_close(c, 502, why);
}

/* Starts attempts until one is in progress or the addresses run out;
 * returns 1 if the connection was made at once. */
static int
attempt_next(struct conn *c)
{
	struct addr sa;
	size_t slot;
	int fd;

	for (slot = 0; slot < MAX_HE_ATTEMPTS; slot++)
		if (c->he_fd[slot] == -1)
			break;
	while (slot < MAX_HE_ATTEMPTS && c->next_addr < c->addrs.n) {
		sockaddr_from(&c->addrs, c->next_addr++, c->port, &sa);
		if ((fd = socket_nonblock(sa.ss.ss_family)) == -1) {
			c->connect_error = errno;
			continue;
		}
		if (connect(fd, (struct sockaddr *)&sa.ss, sa.len) == 0) {
			connect_won(c, fd);
			return 1;
		}
		if (errno == EINPROGRESS) {
			c->he_fd[slot] = fd;
			c->he_next = c->w->now + HE_DELAY_MS;
			return 0;
		}
		c->connect_error = errno;
		close(fd);
	}
	c->he_next = -1;
	return 0;
}

void
upstream_connect(struct conn *c)
{
	size_t i;

	for (i = 0; i < MAX_HE_ATTEMPTS; i++)
		c->he_fd[i] = -1;
	c->state = CS_CONNECT;
	c->next_addr = 0;
	c->connect_error = 0;
	c->deadline = c->w->now + c->w->cfg->socktimeout * 1000;
	interleave(&c->addrs);
	if (attempt_next(c))
		return;
	if (attempts_pending(c) == 0)
		connect_failed(c);
}

size_t
upstream_connect_pollfds(struct conn *c, struct pollfd *pfd, size_t room)
{
	size_t i, n = 0;

	for (i = 0; i < MAX_HE_ATTEMPTS && n < room; i++) {
		pfd[n].fd = c->he_fd[i];
		pfd[n].events = POLLOUT;
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

void
upstream_connect_events(struct conn *c, const struct pollfd *pfd, size_t n)
{
	socklen_t len;
	size_t i;
	int err;

	for (i = 0; i < n && i < MAX_HE_ATTEMPTS; i++) {
		if (pfd[i].fd == -1 || pfd[i].revents == 0 ||
		    c->he_fd[i] != pfd[i].fd)
			continue;
		len = sizeof(err);
		if (getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err, &len)
		    == -1)
			err = errno;
		if (err == 0) {
			connect_won(c, pfd[i].fd);
			return;
		}
		c->connect_error = err;
		close(c->he_fd[i]);
		c->he_fd[i] = -1;
	}
	/* a failure starts the next address at once (RFC 8305 5) */
	if (attempts_pending(c) == 0 && !attempt_next(c) &&
	    attempts_pending(c) == 0)
		connect_failed(c);
}

void
upstream_connect_tick(struct conn *c)
{
	if (c->he_next >= 0 && c->he_next <= c->w->now &&
	    c->next_addr < c->addrs.n)
		(void)attempt_next(c);
}

void
upstream_connect_abort(struct conn *c)
{
	attempts_close(c, -1);
}

/* An idle server that has closed, or sent something unasked, is dead. */
static int
pool_alive(int fd)
{
	char b;
	ssize_t n = recv(fd, &b, 1, MSG_PEEK);

	return n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

int
pool_take(struct worker *w, const char *key)
{
	size_t i;
	int fd;

	for (i = 0; i < POOL_SIZE; i++) {
		struct pool_entry *e = &w->pool[i];

		if (e->fd == -1 || strcmp(e->key, key) != 0)
			continue;
		fd = e->fd;
		e->fd = -1;
		if (pool_alive(fd))
			return fd;
		close(fd);
	}
	return -1;
}

void
pool_put(struct worker *w, const char *key, int fd)
{
	struct pool_entry *victim = NULL;
	size_t i;

	for (i = 0; i < POOL_SIZE; i++) {
		struct pool_entry *e = &w->pool[i];

		if (e->fd == -1) {
			victim = e;
			break;
		}
		if (victim == NULL || e->expires < victim->expires)
			victim = e;
	}
	if (victim->fd != -1)
		close(victim->fd);
	victim->fd = fd;
	victim->expires = w->now + POOL_IDLE_S * 1000;
	strlcpy_p(victim->key, key, sizeof(victim->key));
}

int64_t
pool_expire(struct worker *w)
{
	int64_t next = -1;
	size_t i;

	for (i = 0; i < POOL_SIZE; i++) {
		struct pool_entry *e = &w->pool[i];

		if (e->fd == -1)
			continue;
		if (e->expires <= w->now) {
			close(e->fd);
			e->fd = -1;
		} else if (next == -1 || e->expires - w->now < next)
			next = e->expires - w->now;
	}
	return next;
}
