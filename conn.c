/*
 * conn.c: a connection's life: accept and the access checks, the
 * endpoint operations every byte and close goes through (splice for
 * plain sockets), the idle pool, connecting upstream (Happy Eyeballs),
 * what poll waits for, events, deadlines, and the one close. What the
 * bytes mean is the business of the connection's kind (conn_http.c),
 * reached only through the hooks in c->ops.
 *
 * A connection has two endpoints, each with one input buffer: the
 * client's bytes wait in client.in until they go to the server, the
 * server's in server.in until they go to the client. Heads are parsed in
 * place, rewritten, and put back at the front of the same buffer; bodies
 * are cleared for sending piece by piece (the "fwd" count of each flow)
 * as their framing is checked, so they stream through with constant
 * memory. A side is read only while its buffer has room, and polled for
 * writing only while something cleared waits for it: that is all the
 * backpressure there is.
 */
#ifdef __linux__
#define _GNU_SOURCE	/* accept4 */
#endif
#include <sys/socket.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "proxy.h"


#if defined(__linux__) && defined(SPLICE_F_NONBLOCK)
#define HAVE_SPLICE	1
#else
#define HAVE_SPLICE	0
#endif
/* POLLRDHUP (Linux): the peer's FIN has arrived, so a read that leaves
 * room also found the end, and the read that would return 0 is saved */
#ifndef POLLRDHUP
#define POLLRDHUP	0
#endif

static const char *const state_names[] = {
	[CS_HEAD] = "head", [CS_ROUTE] = "route", [CS_RESOLVE] = "resolve",
	[CS_CONNECT] = "connect", [CS_EXCHANGE] = "exchange",
	[CS_SOCKS] = "socks", [CS_TLS] = "tls", [CS_TUNNEL] = "tunnel",
	[CS_CLOSING] = "closing", [CS_GREETING] = "greeting",
	[CS_PROXYHDR] = "proxy header",
};

/* ------------------------------------------------------- head rewrite */

/* ------------------------------------------------------------ logging */

/* The client's address ("1.2.3.4" or "::1") or port from c->peer. */
static const char *
peer_part(const struct conn *c, int port, char *tmp, size_t size)
{
	const char *colon = strrchr(c->peer, ':');
	size_t n;

	if (colon == NULL)
		return port ? "-" : c->peer;
	if (port)
		return colon + 1;
	n = (size_t)(colon - c->peer);
	if (c->peer[0] == '[' && n >= 2)
		return strnbuf(tmp, size, c->peer + 1, n - 2) == 0 ? tmp : "-";
	return strnbuf(tmp, size, c->peer, n) == 0 ? tmp : "-";
}

/* {url}: what was asked for, as a URL where there is one. */
static const char *
log_url(const struct conn *c, char *tmp, size_t size)
{
	struct http_out o = { tmp, 0, size - 1, 0 };
	int tls = c->intercepted || c->origin_tls;

	if (c->method == HTTP_CONNECT) {
		http_out_hostport(&o, c->host, c->port, 0);
	} else if (c->route == ROUTE_LOCAL || c->host[0] == '\0' ||
	    strcmp(c->host, "-") == 0) {
		http_out_str(&o, c->path[0] != '\0' ? c->path : "-");
	} else {
		http_out_str(&o, tls ? "https://" : "http://");
		http_out_hostport(&o, c->host, c->port, tls ? 443 : 80);
		http_out_str(&o, c->path[0] == '/' ? c->path : "/");
	}
	tmp[o.overflow ? 0 : o.len] = '\0';
	return tmp;
}

/* One field of c's access line: a string of c's, or one made in tmp. */
static const char *
log_value(const struct conn *c, enum log_field f, char *tmp, size_t size)
{
	const struct hop *hop = c->hop;

	switch (f) {
	case LF_CLIENT:
		return c->peer;
	case LF_CLIENT_IP:
	case LF_CLIENT_PORT:
		return peer_part(c, f == LF_CLIENT_PORT, tmp, size);
	case LF_METHOD:
		return c->method_name;
	case LF_HOSTPORT:
		/* a request inside an intercepted CONNECT shows its scheme */
		http_hostport(tmp, size, c->intercepted ? "https://" : "",
		    c->host, c->port);
		return tmp[0] != '\0' ? tmp : "-";
	case LF_HOST:
		return c->host[0] != '\0' ? c->host : "-";
	case LF_PORT:
		snprintf(tmp, size, "%u", c->port);
		return tmp;
	case LF_PATH:
		return c->path[0] != '\0' ? c->path : "-";
	case LF_URL:
		return log_url(c, tmp, size);
	case LF_STATUS:
		snprintf(tmp, size, "%d", c->status);
		return tmp;
	case LF_REASON:
		return c->status != 0 ? http_reason(c->status) : "-";
	case LF_BYTES_IN:
	case LF_BYTES_OUT:
		snprintf(tmp, size, "%llu", (unsigned long long)(f ==
		    LF_BYTES_IN ? c->bytes_in : c->bytes_out));
		return tmp;
	case LF_DURATION_MS:
		snprintf(tmp, size, "%lld", (long long)(c->w->now - c->started));
		return tmp;
	case LF_UPSTREAM:
		/* the internal rows' answers (the web server, the PAC file)
		 * are the proxy's own */
		if (c->pl != NULL && c->pl->answered > 0 &&
		    c->w->cfg->chain[c->pl->answered - 1].p->wanted == NULL) {
			snprintf(tmp, size, "PLUGIN %s",
			    c->w->cfg->chain[c->pl->answered - 1].p->name);
			return tmp;
		}
		if (hop == NULL || hop->kind == HOP_DIRECT)
			return "DIRECT";
		snprintf(tmp, size, "%s %s", hop->kind == HOP_HTTP ? "PROXY" :
		    "SOCKS5", hop->name);
		return tmp;
	case LF_ROUTE:
		return log_route_name(c->route);
	case LF_ABORTED:
		return c->aborted ? " aborted" : "";
	case LF_PID:
		snprintf(tmp, size, "%ld", (long)getpid());
		return tmp;
	default:
		return "";
	}
}

/* The exchange's figures on the board, for /metrics. */
static void
conn_count(const struct conn *c)
{
	int cls = c->status >= 100 && c->status < 600 ? c->status / 100 : 0;
	unsigned r = (unsigned)c->route < ROUTE_MAX ? (unsigned)c->route :
	    ROUTE_NONE;

	COUNT(c->w, requests[r][cls], 1);
	COUNT(c->w, bytes_in, c->bytes_in);
	COUNT(c->w, bytes_out, c->bytes_out);
}

/* Appends what fits of s[n] to line[*len] (cap bytes, a NUL kept): a
 * long access line is cut, never lost. */
static void
line_add(char *line, size_t *len, size_t cap, const char *s, size_t n)
{
	if (n > cap - 1 - *len)
		n = cap - 1 - *len;
	memcpy(line + *len, s, n);
	*len += n;
	line[*len] = '\0';
}

/* The access line (the plugins' log hooks may add to it), then the
 * plugins' done hooks. */
void
conn_log(struct conn *c)
{
	const struct config *cfg = c->w->cfg;
	char line[1536], tmp[HOST_MAX + 160];
	const struct log_part *lp;
	struct plugin_call pc;
	const char *v;
	size_t i, len = 0;
	int plugged;

	if (c->started == 0)
		return;		/* no request, or logged already */
	conn_count(c);
	plugged = c->pl != NULL && conn_plugin_call(c, &pc) == 0;
	if (log_enabled(LOG_LEVEL_INFO)) {
		/* the --log-format template; "-" for what a malformed head
		 * did not tell, so the default's fields stay countable */
		line[0] = '\0';
		for (i = 0; i < cfg->nlog_parts; i++) {
			lp = &cfg->log_parts[i];
			if (lp->field == LF_TEXT) {
				line_add(line, &len, sizeof(line), lp->text,
				    lp->len);
				continue;
			}
			v = log_value(c, lp->field, tmp, sizeof(tmp));
			line_add(line, &len, sizeof(line), v, strlen(v));
		}
		if (plugged)
			plugins_log(cfg, c->pl, &pc, line, sizeof(line));
		log_info("access %s", line);
	}
	c->started = 0;
	if (plugged)
		plugins_notify(c->w->cfg, c->pl, PLUGIN_HOOK_DONE, &pc);
}

/* ------------------------------------------------------------ plugins */

/* The plugins' buffers in a worker, made at their first use: a parsed
 * head and two head buffers for rewrites, the answer (or a body's framed
 * output), and the body stages' two buffers. */
static int
plugin_scratch(struct worker *w, struct plugin_call *pc)
{
	size_t hs = (size_t)w->cfg->max_header_size + PLUGIN_HEAD_SLACK;
	size_t hd = (sizeof(struct http_head) + 15) / 16 * 16;
	size_t need = hd + 2 * hs + PLUGIN_OUT_MAX + 64 + 2 * PLUGIN_OUT_MAX;
	char *p;

	if (w->pscratch == NULL) {
		if ((w->pscratch = malloc(need)) == NULL)
			return -1;
		w->pscratch_size = need;
	}
	p = w->pscratch;
	pc->alt_head = (struct http_head *)(void *)p;
	pc->alt[0] = p + hd;
	pc->alt[1] = p + hd + hs;
	pc->alt_size = hs;
	pc->out = p + hd + 2 * hs;
	pc->out_cap = PLUGIN_OUT_MAX;
	pc->stage = pc->out + PLUGIN_OUT_MAX + 64;
	return 0;
}

int
conn_plugin_call(struct conn *c, struct plugin_call *pc)
{
	const struct config *cfg = c->w->cfg;

	if (c->pl == NULL && (c->pl = plugins_conn_new(cfg)) == NULL)
		return -1;
	memset(pc, 0, offsetof(struct plugin_call, why));
	pc->why[0] = '\0';
	if (plugin_scratch(c->w, pc) == -1)
		return -1;
	pc->cfg = cfg;
	pc->max_head = (size_t)cfg->max_header_size;
	pc->peer = c->peer;
	pc->peer_addr = (const struct sockaddr *)&c->peer_addr.ss;
	pc->worker = c->w;
	pc->method = c->method;
	pc->local = strcmp(c->host, "-") == 0;
	if (!pc->local)
		strlcpy_p(pc->host, c->host, sizeof(pc->host));
	pc->port = c->port;
	pc->intercepted = c->intercepted;
	if (c->intercepted || c->transparent) {
		pc->dest_host = c->intercepted ? c->icpt_host : c->host;
		pc->dest_port = c->intercepted ? c->icpt_port : c->port;
	}
	pc->tls = c->origin_tls || c->intercepted;
	pc->status = c->status;
	pc->bytes_in = c->bytes_in;
	pc->bytes_out = c->bytes_out;
	pc->aborted = c->aborted;
	pc->answer.fd = -1;
	return 0;
}

void
conn_plugin_stop(struct conn *c, struct plugin_call *pc, size_t who,
    enum plugin_verdict v, int status)
{
	const char *name = c->w->cfg->chain[who].p->name;
	int internal = c->w->cfg->chain[who].p->wanted != NULL;
	char why[WHY_MAX + 64];

	fd_close(&pc->answer.fd);	/* an answer not sent here */
	if (v == PLUGIN_DONE && pc->answer.refused) {
		c->pl->answered = (int)who + 1;
		strlcpy_p(c->pl->phrase, pc->answer.phrase,
		    sizeof(c->pl->phrase));
		/* the internal rows' refusals are the proxy's own */
		c->route = internal ? ROUTE_LOCAL : ROUTE_PLUGIN;
		snprintf(why, sizeof(why), internal ? "%s" : "%s (plugin %s)",
		    pc->why, name);
		conn_close(c, pc->answer.status, why);
		return;
	}
	if (v == PLUGIN_DONE)
		snprintf(why, sizeof(why), "plugin %s answered where it may "
		    "only refuse", name);
	else
		snprintf(why, sizeof(why), "plugin %s failed: %s", name,
		    pc->why[0] != '\0' ? pc->why : "no reason given");
	if (c->sent_head) {
		/* too late for an answer: the log says it */
		log_warnx("%s: %s", c->peer, why);
		status = 0;
	}
	conn_close(c, status, why);
}

/* ------------------------------------------------------ endpoints */

/*
 * Every byte and every close of a connection goes through these. They
 * are written for a plain socket; with a TLS engine on the endpoint
 * (ep->tls) each hands over to tls.c, so nothing above them knows which
 * it talks to.
 */

void
ep_init(struct endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	ep->fd = -1;
	ep->pipe[0] = ep->pipe[1] = -1;
}

ssize_t
ep_read(struct endpoint *ep, short revents)
{
	size_t room;
	char *p = buf_wptr(&ep->in, &room);
	ssize_t n;

	if (room == 0 || ep->eof)
		return 0;
	if (ep->tls != NULL)
		return tls_read(ep);
	n = read(ep->fd, p, room);
	if (n > 0) {
		buf_wack(&ep->in, (size_t)n);
		if ((size_t)n == room)
			ep->bulk = 1;
		else if (revents & POLLRDHUP)
			ep->eof = 1;	/* the rest was the FIN: no read for it */
		return n;
	}
	if (n == 0) {
		ep->eof = 1;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	return -1;
}

ssize_t
ep_write(struct endpoint *ep, struct buf *b, size_t n)
{
	size_t len;
	char *p = buf_rptr(b, &len);
	ssize_t w;

	if (n > len)
		n = len;
	if (n == 0)
		return 0;
	if (ep->tls != NULL)
		return tls_write(ep, b, n);
	w = write(ep->fd, p, n);
	if (w > 0) {
		buf_rack(b, (size_t)w);
		return w;
	}
	if (w == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return 0;
	return -1;
}

void
ep_shutdown(struct endpoint *ep)
{
	if (ep->shut || ep->fd == -1)
		return;
	if (ep->tls != NULL)
		tls_shutdown(ep);	/* close_notify; the socket stays */
	else
		(void)shutdown(ep->fd, SHUT_WR);
	ep->shut = 1;
}

void
ep_close(struct endpoint *ep)
{
	tls_close(ep);
	fd_close(&ep->fd);
	ep->eof = ep->shut = 0;
}

short
ep_events(const struct endpoint *ep, short want)
{
	if (ep->tls != NULL)
		return tls_events(ep, want);
	return want;	/* a plain socket needs nothing of its own */
}

size_t
ep_fill(struct endpoint *ep)
{
	if (ep->tls != NULL && ep->fd != -1)
		return tls_fill(ep);
	return 0;	/* a plain socket holds nothing back */
}

/* 1 while a TLS endpoint's handshake is not done. */
static int
ep_handshaking(const struct endpoint *ep)
{
	return ep->tls != NULL && tls_handshaking(ep->tls);
}

int
ep_idle_alive(const struct endpoint *ep)
{
	char b;
	ssize_t n = recv(ep->fd, &b, 1, MSG_PEEK);

	/* closed (0) or sent something unasked (1): dead */
	return n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

void
ep_pipe_close(struct endpoint *ep)
{
	fd_close_pair(ep->pipe);
	ep->piped = 0;
}

/* ------------------------------------------------------------ the pool */

/*
 * Idle server connections, kept as endpoints under a key that says all
 * that makes one reusable (conn->upstream: the hop, host and port, and
 * the credentials of a parent login). The pool keeps its npooled entries
 * at the front of w->pool: the scans cover only connections that exist,
 * and unused entries are never touched, so they cost no memory. The
 * expiry scan runs only when w->pool_next, the nearest expiry, has come.
 * The loop keeps a pooled socket registered for reading (conn_pool_event):
 * a server that closes it is noticed at once, and a connection taken
 * again costs no new registration.
 */
static void
pool_remove(struct worker *w, size_t i)
{
	if (i != --w->npooled)
		w->pool[i] = w->pool[w->npooled];
}

int
conn_pool_take(struct worker *w, const char *key, struct endpoint *ep)
{
	struct pool_entry e;
	size_t i = 0;

	while (i < w->npooled) {
		if (strcmp(w->pool[i].key, key) != 0) {
			i++;
			continue;
		}
		e = w->pool[i];
		pool_remove(w, i);
		/* a server does not drop a connection it kept alive a moment
		 * ago: check only those idle for a while */
		if (e.expires - POOL_IDLE_S * 1000 > w->now - POOL_FRESH_MS ||
		    ep_idle_alive(&e.ep)) {
			ep->fd = e.ep.fd;
			ep->tls = e.ep.tls;
			return 0;
		}
		ep_close(&e.ep);
	}
	return -1;
}

void
conn_pool_put(struct worker *w, const char *key, struct endpoint *ep)
{
	struct pool_entry *victim;
	size_t i;

	if (w->npooled < POOL_SIZE)
		victim = &w->pool[w->npooled++];
	else {
		victim = &w->pool[0];
		for (i = 1; i < POOL_SIZE; i++)
			if (w->pool[i].expires < victim->expires)
				victim = &w->pool[i];
		ep_close(&victim->ep);
	}
	/* the pool owns the connection now; its buffer stays with ep */
	ep_init(&victim->ep);
	victim->ep.fd = ep->fd;
	victim->ep.tls = ep->tls;
	ep->fd = -1;
	ep->tls = NULL;
	ep->eof = ep->shut = 0;
	victim->expires = w->now + POOL_IDLE_S * 1000;
	strlcpy_p(victim->key, key, sizeof(victim->key));
	if (w->pool_next < 0 || victim->expires < w->pool_next)
		w->pool_next = victim->expires;
}

int
conn_pool_holds(const struct worker *w, int fd)
{
	size_t i;

	for (i = 0; i < w->npooled; i++)
		if (w->pool[i].ep.fd == fd)
			return 1;
	return 0;
}

void
conn_pool_event(struct worker *w, int fd)
{
	size_t i;

	for (i = 0; i < w->npooled; i++)
		if (w->pool[i].ep.fd == fd) {
			if (ep_idle_alive(&w->pool[i].ep))
				return;
			ep_close(&w->pool[i].ep);
			pool_remove(w, i);
			return;
		}
}

int64_t
conn_pool_expire(struct worker *w)
{
	int64_t next = -1;
	size_t i = 0;

	while (i < w->npooled) {
		struct pool_entry *e = &w->pool[i];

		if (e->expires <= w->now) {
			ep_close(&e->ep);
			pool_remove(w, i);
			continue;
		}
		if (next == -1 || e->expires - w->now < next)
			next = e->expires - w->now;
		i++;
	}
	w->pool_next = next < 0 ? -1 : w->now + next;
	return next;
}

/* ------------------------------------------------------------ splice */

/*
 * On Linux, bulk bytes (tunnels, and bodies of known length or read to
 * the end) go from socket to socket through a pipe with splice(2) and
 * never enter user space. A direction is spliced while its buffer is
 * empty; framing that must be read (heads, chunks) goes through the
 * buffer as before.
 */
static int
ep_pipe(struct endpoint *ep)
{
#if HAVE_SPLICE
	if (ep->pipe[0] != -1)
		return 0;
	if (pipe2(ep->pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
		ep->pipe[0] = ep->pipe[1] = -1;
		return -1;
	}
	(void)fcntl(ep->pipe[1], F_SETPIPE_SZ, (int)ep->pipesz);
	return 0;
#else
	(void)ep;
	return -1;
#endif
}

/* 1 if bytes read from src go to dst by splice now. */
int
conn_splicing(const struct conn *c, const struct endpoint *src)
{
	const struct flowstate *f = src == &c->client ? &c->req : &c->resp;

	if (!HAVE_SPLICE || c->client.tls != NULL || c->server.tls != NULL ||
	    c->server.fd == -1)
		return 0;
	/* a body the plugins read goes through the buffer */
	if (c->pl != NULL && c->pl->pipe && src == &c->server)
		return 0;
	if (src->piped > 0)
		return 1;
	/* small exchanges stay in the buffer: a pipe costs syscalls that
	 * only bulk transfers pay back */
	if (!src->bulk || src->nopipe || src->pipesz == 0 ||
	    buf_len(&src->in) != 0)
		return 0;
	if (c->state == CS_TUNNEL)
		return 1;
	return c->state == CS_EXCHANGE && !c->discard && f->fwd == 0 &&
	    (f->flow == FLOW_LENGTH || (f->flow == FLOW_CLOSE &&
	    src == &c->server));
}

/*
 * Moves bytes src -> pipe -> dst. limit, when not NULL, caps what is
 * taken from src (a body's remaining length). Returns -1 when dst fails
 * or src fails (*which says: 0 src, 1 dst), else 0.
 */
int
ep_splice(struct endpoint *src, struct endpoint *dst, uint64_t *limit,
    uint64_t *total, int *progress, int *which)
{
#if HAVE_SPLICE
	size_t room, want;
	ssize_t n;

	if (ep_pipe(src) == -1) {
		src->nopipe = 1;	/* out of fds: the buffer serves */
		return 0;
	}
	room = src->pipesz - (src->piped < src->pipesz ? src->piped :
	    src->pipesz);
	want = limit != NULL && *limit < room ? (size_t)*limit : room;
	if (!src->eof && want > 0) {
		n = splice(src->fd, NULL, src->pipe[1], NULL, want,
		    SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (n > 0) {
			src->piped += (size_t)n;
			if (limit != NULL)
				*limit -= (uint64_t)n;
			*progress = 1;
		} else if (n == 0)
			src->eof = 1;
		else if (errno != EAGAIN && errno != EINTR) {
			*which = 0;
			return -1;
		}
	}
	while (src->piped > 0) {
		n = splice(src->pipe[0], NULL, dst->fd, NULL, src->piped,
		    SPLICE_F_NONBLOCK | SPLICE_F_MOVE);
		if (n > 0) {
			src->piped -= (size_t)n;
			*total += (uint64_t)n;
			*progress = 1;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			break;
		*which = 1;
		return -1;
	}
	return 0;
#else
	(void)src; (void)dst; (void)limit; (void)total; (void)progress;
	(void)which;
	return 0;
#endif
}

/* ------------------------------------------------------ connecting */

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

#if defined(SOCK_NONBLOCK) && defined(SOCK_CLOEXEC)
	if ((fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
#else
	if ((fd = socket(family, SOCK_STREAM, 0)) == -1)
		return -1;
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		fd_close(&fd);
		return -1;
	}
#endif
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
attempts_close(struct conn *c, int keep)
{
	size_t i;

	for (i = 0; i < MAX_HE_ATTEMPTS; i++)
		if (c->he_fd[i] != keep)
			fd_close(&c->he_fd[i]);
}

static size_t
attempts_pending(const struct conn *c)
{
	size_t i, n = 0;

	for (i = 0; i < MAX_HE_ATTEMPTS; i++)
		n += c->he_fd[i] != -1;
	return n;
}

/* --send-proxy-protocol: the header that names c's client goes first on
 * a new connection to the hop, ahead of TLS and of any request. The
 * socket has sent nothing yet, so its buffer takes the few bytes whole.
 * 0, or -1 with why when they could not be sent. */
static int
proxyhdr_send(struct conn *c, char *why, size_t whysz)
{
	unsigned char hdr[PROXYPROTO_V1_MAX + 1];
	struct buf out;
	ssize_t w;
	size_t n;

	if (c->local_addr.len == 0) {
		c->local_addr.len = sizeof(c->local_addr.ss);
		if (getsockname(c->client.fd, (struct sockaddr *)
		    &c->local_addr.ss, &c->local_addr.len) == -1) {
			snprintf(why, whysz, "the client's socket: %s",
			    strerror(errno));
			return -1;
		}
	}
	/* 108 bytes hold any header of either version */
	if ((n = proxyproto_build(c->send_pp, (struct sockaddr *)
	    &c->peer_addr.ss, (struct sockaddr *)&c->local_addr.ss, hdr,
	    sizeof(hdr))) == 0) {
		snprintf(why, whysz, "no header of version %d", c->send_pp);
		return -1;
	}
	buf_over(&out, (char *)hdr, sizeof(hdr), n);
	if ((w = ep_write(&c->server, &out, n)) != (ssize_t)n) {
		snprintf(why, whysz, "%s", w == -1 ? strerror(errno) :
		    "the socket took only part of it");
		return -1;
	}
	return 0;
}

static void
connect_won(struct conn *c, int fd)
{
	char why[WHY_MAX], ewhy[128];
	size_t i;

	attempts_close(c, fd);
	for (i = 0; i < MAX_HE_ATTEMPTS; i++)
		c->he_fd[i] = -1;
	c->server.fd = fd;
	if (c->send_pp && proxyhdr_send(c, ewhy, sizeof(ewhy)) == -1) {
		snprintf(why, sizeof(why), "cannot send the PROXY header to "
		    "%s: %s", c->upstream, ewhy);
		c->ops->unreachable(c, 502, why);
		return;
	}
	if (c->hop_tls)
		conn_tls_start(c, c->hop_host, c->hop_port);
	else
		c->ops->connected(c);
}

static void
connect_failed(struct conn *c)
{
	char why[WHY_MAX];

	snprintf(why, sizeof(why), "cannot connect to %s: %s", c->upstream,
	    strerror(c->connect_error ? c->connect_error : ECONNREFUSED));
	c->ops->unreachable(c, 502, why);
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
		sockaddr_from(&c->addrs, c->next_addr++, c->hop_port, &sa);
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
		fd_close(&fd);
	}
	c->he_next = -1;
	return 0;
}

void
conn_connect(struct conn *c)
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

static size_t
connect_pollfds(struct conn *c, struct pollfd *pfd, size_t room)
{
	size_t i, n = 0;

	for (i = 0; i < MAX_HE_ATTEMPTS && n < room; i++) {
		if (c->he_fd[i] == -1)
			continue;
		pfd[n].fd = c->he_fd[i];
		pfd[n].events = POLLOUT;
		pfd[n].revents = 0;
		n++;
	}
	return n;
}

static void
connect_events(struct conn *c, const struct pollfd *pfd, size_t n)
{
	socklen_t len;
	size_t i, k;
	int err;

	for (i = 0; i < n; i++) {
		if (pfd[i].revents == 0)
			continue;
		for (k = 0; k < MAX_HE_ATTEMPTS; k++)
			if (c->he_fd[k] != -1 && c->he_fd[k] == pfd[i].fd)
				break;
		if (k == MAX_HE_ATTEMPTS)
			continue;	/* not an attempt: the client's fd */
		err = 0;
#ifdef __linux__
		/* Linux flags a failed connect with POLLERR: writable alone
		 * means connected, and the getsockopt call is saved */
		if (pfd[i].revents & (POLLERR | POLLHUP))
#endif
		{
			len = sizeof(err);
			if (getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err,
			    &len) == -1)
				err = errno;
		}
		if (err == 0) {
			connect_won(c, pfd[i].fd);
			return;
		}
		c->connect_error = err;
		fd_close(&c->he_fd[k]);
	}
	/* a failure starts the next address at once (RFC 8305 5) */
	if (attempts_pending(c) == 0 && !attempt_next(c) &&
	    attempts_pending(c) == 0)
		connect_failed(c);
}

static int64_t
connect_due(const struct conn *c)
{
	/* he_next is set with each attempt, the last one too: once no
	 * address is left there is nothing to start, and a time in the past
	 * would make the loop spin until the connect ends */
	if (c->next_addr >= c->addrs.n)
		return -1;
	return c->he_next;
}

static void
connect_tick(struct conn *c)
{
	if (c->he_next >= 0 && c->he_next <= c->w->now &&
	    c->next_addr < c->addrs.n)
		(void)attempt_next(c);
}

void
conn_connect_abort(struct conn *c)
{
	attempts_close(c, -1);
}

/* ------------------------------------------------------ TLS upstream */

/* The handshake failed: the hop is unreachable when it is the one that
 * speaks TLS; through a SOCKS5 tunnel or an HTTP parent's CONNECT, the
 * origin is to blame. */
static void
tls_failed(struct conn *c, int status, const char *why)
{
	if (c->hop_tls)
		c->ops->unreachable(c, status, why);
	else
		conn_close(c, status, why);
}

/* The handshake with the hop, as far as the socket allows. */
static void
tls_step(struct conn *c)
{
	char why[WHY_MAX];
	int r = tls_client_handshake(&c->server);

	if (r == 0)
		return;
	if (r == 1) {
		log_debug("%s: TLS to %s is up", c->peer, c->tls_name);
		c->ops->connected(c);
		return;
	}
	snprintf(why, sizeof(why), "TLS to %s: %s", c->tls_name,
	    tls_client_why(c->server.tls));
	tls_failed(c, 502, why);
}

void
conn_tls_start(struct conn *c, const char *name, uint16_t port)
{
	const struct config *cfg = c->w->cfg;
	char why[WHY_MAX], ewhy[WHY_MAX / 2];

	http_hostport(c->tls_name, sizeof(c->tls_name), "", name, port);
	if ((c->server.tls = tls_client_new(cfg->anchors, name,
	    cfg->insecure_upstream, ewhy, sizeof(ewhy))) == NULL) {
		snprintf(why, sizeof(why), "TLS to %s: %s", c->tls_name, ewhy);
		tls_failed(c, 502, why);
		return;
	}
	c->state = CS_TLS;
	c->deadline = c->w->now + cfg->socktimeout * 1000;
	tls_step(c);
}

/* ------------------------------------------------------------ closing */

/* Client connections open in the whole proxy, as the board shows; this
 * worker's alone when it has no board. */
static long
clients_open(const struct worker *w)
{
	long i, n, sum = 0;

	if (w->board == NULL || w->slot == NULL)
		return (long)w->nclients;
	n = w->board->nslots;
	for (i = 0; i < n && i < MAX_SLOTS; i++)
		sum += w->board->slot[i].clients;
	return sum;
}

/* Counts a client in (+1) or out (-1), on the board too. */
static void
clients_count(struct worker *w, int delta)
{
	w->nclients += (size_t)(ptrdiff_t)delta;
	if (w->slot != NULL)
		w->slot->clients = (long)w->nclients;
}

static void
conn_unlink(struct conn *c)
{
	struct worker *w = c->w;

	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	c->next = w->dead;
	c->prev = NULL;
	w->dead = c;
	clients_count(w, -1);
}

static void
server_release(struct conn *c)
{
	if (c->state == CS_RESOLVE || c->state == CS_ROUTE)
		dns_cancel(c->w->dns, c);
	if (c->state == CS_CONNECT)
		conn_connect_abort(c);
	ep_close(&c->server);
	if (c->server.in.data != NULL)
		buf_reset(&c->server.in);
}

void
conn_close(struct conn *c, int status, const char *reason)
{
	if (c->dead)
		return;
	if (status != 0) {
		c->status = status;
		if (status >= 500)
			log_warnx("%s: %d %s", c->peer, status, reason);
		else
			log_info("%s: %d %s", c->peer, status, reason);
	} else if (reason != NULL)
		log_debug("%s: closing in state %s: %s", c->peer,
		    state_names[c->state], reason);
	/* a tunnel ends when a side closes; an exchange that ends here
	 * without an answer of ours did not finish */
	if (status == 0 && c->state != CS_TUNNEL)
		c->aborted = 1;
	server_release(c);
	if (status >= 400 && !c->sent_head && c->client.fd != -1 &&
	    c->ops->answer(c, status, reason) == 0) {
		c->ops->run(c);	/* logged once the answer is out */
		return;
	}
	if (c->client.tls != NULL && c->client.fd != -1 &&
	    c->state != CS_CLOSING && tls_pending(c->client.tls)) {
		/* the answer's last record still waits for the socket,
		 * where a plain write would be in the kernel already: it
		 * goes out first, with close_notify after it */
		conn_log(c);
		c->state = CS_CLOSING;
		c->resp.fwd = 0;
		ep_shutdown(&c->client);
		c->deadline = c->w->now + c->w->cfg->socktimeout * 1000;
		return;
	}
	conn_log(c);
	ep_close(&c->client);
	c->dead = 1;
	conn_unlink(c);
}

void
conn_reap(struct worker *w)
{
	struct conn *c;

	while ((c = w->dead) != NULL) {
		w->dead = c->next;
		buf_free(&c->client.in);
		buf_free(&c->server.in);
		ep_pipe_close(&c->client);
		ep_pipe_close(&c->server);
		free(c->auth_hdr);
		gss_login_free(c->gss);
		free(c->pac_hops);
		free(c->retry_head);
		plugins_conn_free(w->cfg, c->pl);
		if (c->creds != NULL)
			ntlm_wipe(c->creds, sizeof(*c->creds));
		free(c->creds);
		free(c);
	}
}

void
conn_close_all(struct worker *w, const char *why)
{
	struct conn *c, *next;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		c->aborted = 1;
		conn_close(c, 0, why);
	}
}

void
conn_close_idle(struct worker *w)
{
	struct conn *c, *next;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if ((c->state == CS_HEAD && buf_len(&c->client.in) == 0) ||
		    c->state == CS_PROXYHDR)
			conn_close(c, 0, "shutting down");
	}
}

/* -------------------------------------------------------- accepting */

/*
 * Answers a client we will not serve, at accept time: a short response,
 * then what it already sent is read and dropped before the close, so the
 * kernel does not answer its request with a reset that could overtake
 * our response.
 */
static void
refuse(int fd, int tls, int status, const char *why)
{
	char msg[1024], sink[4096];
	struct endpoint ep;
	struct buf out;
	size_t n;

	ep_init(&ep);
	ep.fd = fd;
	if (tls) {
		/* no handshake for a client we will not serve: it sees the
		 * connection close, and the log says why */
		ep_close(&ep);
		return;
	}
	if ((n = http_build_error(status, why, NULL, msg, sizeof(msg))) > 0) {
		buf_over(&out, msg, sizeof(msg), n);
		(void)ep_write(&ep, &out, n);	/* a courtesy */
	}
	ep_shutdown(&ep);
	buf_over(&ep.in, sink, sizeof(sink), 0);
	for (n = 0; n < 16 && ep_read(&ep, 0) > 0; n++)
		buf_reset(&ep.in);
	ep_close(&ep);
}

static void
refuse_busy(int fd, int tls, const char *peer, long nopen)
{
	log_warnx("%s: refused: 503, %ld connections open (--max-clients)",
	    peer, nopen);
	refuse(fd, tls, 503, "too many connections");
}

/* --hostonly: this host's own addresses, read again every 30 s. */
static int
local_address(struct worker *w, const struct sockaddr *sa)
{
	struct ifaddrs *ifa, *i;
	char err[128], ip[INET6_ADDRSTRLEN];

	if (w->local == NULL || w->now - w->local_at > 30000) {
		if (w->local == NULL &&
		    (w->local = calloc(1, sizeof(*w->local))) == NULL)
			return 0;
		if (getifaddrs(&ifa) == 0) {
			w->local->n = 0;
			for (i = ifa; i != NULL; i = i->ifa_next) {
				const struct sockaddr *a = i->ifa_addr;

				if (a == NULL || (a->sa_family != AF_INET &&
				    a->sa_family != AF_INET6))
					continue;
				inet_ntop(a->sa_family, a->sa_family == AF_INET ?
				    (const void *)&((const struct sockaddr_in *)
				    (const void *)a)->sin_addr :
				    (const void *)&((const struct sockaddr_in6 *)
				    (const void *)a)->sin6_addr, ip, sizeof(ip));
				(void)netlist_add(w->local, ip, 0, err,
				    sizeof(err));
			}
			freeifaddrs(ifa);
		}
		w->local_at = w->now;
	}
	return netlist_match_addr(w->local, sa);
}

/* ------------------------------------------------- transparent ports */

#if HAVE_ORIGINAL_DST
#ifndef SO_ORIGINAL_DST
#define SO_ORIGINAL_DST		80	/* <linux/netfilter_ipv4.h> */
#endif
#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST	80	/* <linux/netfilter_ipv6/ip6_tables.h> */
#endif
#endif

int
conn_original_dst(const struct conn *c, struct addr *out, char *why,
    size_t whysz)
{
#if HAVE_ORIGINAL_DST
	int v6 = c->peer_addr.ss.ss_family == AF_INET6;

	/* the NAT table's record of the connection: where the client sent
	 * it before REDIRECT rewrote that to our port */
	memset(out, 0, sizeof(*out));
	out->len = sizeof(out->ss);
	if (getsockopt(c->client.fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
	    v6 ? IP6T_SO_ORIGINAL_DST : SO_ORIGINAL_DST, &out->ss,
	    &out->len) == -1) {
		snprintf(why, whysz, "no original destination (%s): not "
		    "redirected here by the firewall's NAT", strerror(errno));
		return -1;
	}
	return 0;
#else
	(void)c;
	(void)out;
	snprintf(why, whysz, "transparent ports are not supported on this "
	    "system");
	return -1;
#endif
}

/* The address bytes of an IPv4 or IPv6 socket address (4 or 16 in
 * *len) and its port. */
static const unsigned char *
addr_ip(const struct sockaddr *a, size_t *len, uint16_t *port)
{
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)a;

		*len = 4;
		*port = ntohs(s4->sin_port);
		return (const unsigned char *)&s4->sin_addr;
	}
	*len = 16;
	*port = ntohs(((const struct sockaddr_in6 *)(const void *)a)->
	    sin6_port);
	return (const unsigned char *)&((const struct sockaddr_in6 *)
	    (const void *)a)->sin6_addr;
}

int
conn_is_self(struct worker *w, const struct sockaddr *sa)
{
	static const unsigned char zero[16];
	const unsigned char *ip, *lip;
	size_t i, n, ln;
	uint16_t port, lport;

	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return 0;
	ip = addr_ip(sa, &n, &port);
	for (i = 0; i < w->nls; i++) {
		const struct sockaddr *l = (const struct sockaddr *)
		    &w->ls[i].addr.ss;

		if (l->sa_family != sa->sa_family)
			continue;
		lip = addr_ip(l, &ln, &lport);
		if (lport != port)
			continue;
		if (memcmp(lip, ip, n) == 0)
			return 1;
		/* a wildcard listener: any address of this host */
		if (memcmp(lip, zero, ln) == 0 && local_address(w, sa))
			return 1;
	}
	return 0;
}

/* --deny wins, then cntlm's ordered rules (the first that matches
 * decides; none: allowed), then --hostonly, then --allow (empty:
 * everyone). */
static int
client_allowed(struct worker *w, const struct sockaddr *sa)
{
	const struct config *cfg = w->cfg;
	int rule;

	if (netlist_match_addr(&cfg->deny, sa))
		return 0;
	if ((rule = netlist_find_addr(&cfg->acl, sa)) >= 0 &&
	    cfg->acl_deny[rule])
		return 0;
	if (cfg->hostonly && !local_address(w, sa))
		return 0;
	return cfg->allow.n == 0 || netlist_match_addr(&cfg->allow, sa);
}

static void
refuse_forbidden(int fd, int tls, const char *peer)
{
	log_warnx("%s: refused by --allow/--deny/--hostonly (403)", peer);
	refuse(fd, tls, 403, "this address may not use the proxy");
}

static int
accept_fd(int lfd, struct sockaddr_storage *ss, socklen_t *len)
{
	int fd;

#ifdef __linux__
	fd = accept4(lfd, (struct sockaddr *)ss, len,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
	if ((fd = accept(lfd, (struct sockaddr *)ss, len)) != -1 &&
	    (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1))
		fd_close(&fd);
#endif
	return fd;
}

/* A client's request has usually arrived by the time its connection is
 * accepted (with or just after the handshake's last ACK): read it now
 * rather than a poll turn later. A client that has not sent yet costs one
 * read that finds nothing. Not for --tunnel ports, where the server may
 * speak first. */
static void
read_early(struct conn *c)
{
	struct pollfd pfd;

	pfd.fd = c->client.fd;
	pfd.events = POLLIN;
	pfd.revents = POLLIN;
	conn_events(c, &pfd, 1);
}

/* A connection owning the client socket fd, every other descriptor
 * field closed (-1); NULL when memory runs out (fd is left open). */
static struct conn *
conn_new(struct worker *w, int fd)
{
	struct conn *c;
	size_t i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	ep_init(&c->client);
	ep_init(&c->server);
	/* --no-splice, or the pipe each spliced direction may fill */
	c->client.pipesz = c->server.pipesz = w->cfg->no_splice ? 0 :
	    (size_t)w->cfg->pipe_size;
	for (i = 0; i < MAX_HE_ATTEMPTS; i++)
		c->he_fd[i] = -1;
	if (buf_init(&c->client.in, (size_t)w->cfg->client_bufsz) == -1) {
		free(c);
		return NULL;
	}
	c->w = w;
	c->client.fd = fd;
	c->hop = NULL;
	return c;
}

/* The client is in (allowed, counted): its kind of connection takes
 * over. 0, or -1 when c was closed. */
static int
conn_admit(struct conn *c, const struct listener *l)
{
	const struct config *cfg = c->w->cfg;

	if (l->tls && (c->client.tls = tls_server_new(cfg->tls)) == NULL) {
		log_warnx("%s: out of memory (or entropy) for a TLS engine; "
		    "refusing the client", c->peer);
		conn_close(c, 0, NULL);
		return -1;
	}
	c->state = CS_HEAD;
	c->deadline = c->w->now + cfg->idle * 1000;
	/* a handshake gets --socktimeout, however long --idle is */
	if (c->client.tls != NULL && cfg->socktimeout < cfg->idle)
		c->deadline = c->w->now + cfg->socktimeout * 1000;
	c->ops = l->ops;
	if (c->ops->start != NULL)
		c->ops->start(c, l);
	else
		read_early(c);
	return 0;
}

int
conn_accept(struct worker *w, const struct listener *l)
{
	const struct config *cfg = w->cfg;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct conn *c;
	char peer[64];
	long nopen;
	int fd, denied = 0;

	if ((fd = accept_fd(l->fd, &ss, &sslen)) == -1)
		return -1;
	addr_format((struct sockaddr *)&ss, peer, sizeof(peer));
	if (l->proxyproto) {
		/* the client's address comes in the header, and is checked
		 * then; here only the balancer is */
		if (cfg->pp_from.n > 0 &&
		    !netlist_match_addr(&cfg->pp_from, (struct sockaddr *)&ss)) {
			log_warnx("%s: refused: not in --proxy-protocol-from, "
			    "so it may not send a PROXY header; closing", peer);
			fd_close(&fd);
			return 0;
		}
	} else if (!client_allowed(w, (struct sockaddr *)&ss)) {
		/* a kind of another protocol refuses in it (c->denied) */
		if (!l->ops->not_http) {
			refuse_forbidden(fd, l->tls, peer);
			return 0;
		}
		denied = 1;
	}
	if ((nopen = clients_open(w)) >= cfg->max_clients) {
		/* no HTTP answer to a TLS client, nor to another protocol */
		refuse_busy(fd, l->tls || l->ops->not_http, peer, nopen);
		return 0;
	}
	if ((c = conn_new(w, fd)) == NULL) {
		log_warnx("out of memory; refusing a client");
		fd_close(&fd);
		return 0;
	}
#ifndef __linux__
	/* Linux hands accepted sockets the listener's TCP_NODELAY */
	{
		int one = 1;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
	}
#endif
	strlcpy_p(c->peer, peer, sizeof(c->peer));
	memcpy(&c->peer_addr.ss, &ss, sizeof(ss));
	c->peer_addr.len = sslen;
	c->listener = l;
	c->ops = l->ops;
	c->denied = denied;
	c->next = w->conns;
	if (w->conns != NULL)
		w->conns->prev = c;
	w->conns = c;
	clients_count(w, 1);
	conn_changed(c);
	COUNT(w, accepted, 1);
	log_debug("%s: accepted", c->peer);
	if (l->proxyproto) {
		/* a balancer sends it at once: --socktimeout bounds it */
		c->state = CS_PROXYHDR;
		c->deadline = w->now + cfg->socktimeout * 1000;
		return 0;
	}
	(void)conn_admit(c, l);
	return 0;
}

/* ------------------------------------------------- the PROXY protocol */

/*
 * A listener behind a balancer (--proxy-protocol): each connection
 * starts with the balancer's header, which names the client. The header
 * is read exactly, never a byte past it (peeked first, then only its
 * bytes taken), so what follows is read by the connection's own kind as
 * if nothing had come before: a TLS engine, for one, gets its records
 * from the socket whole. Bytes of an unfinished header wait in
 * client.in, so a header sent in pieces never keeps the socket readable.
 * Until the header is in, the connection is no client: it is closed,
 * never served, when the header is bad or late, with a log line.
 */
static void
proxyhdr_fail(struct conn *c, const char *why)
{
	size_t have = buf_len(&c->client.in);

	/* a balancer's TCP health check connects and closes at once */
	if (have == 0 && c->client.eof)
		log_debug("%s: closed before a PROXY header (a TCP health "
		    "check?)", c->peer);
	else
		log_warnx("%s: closing: %s (a --proxy-protocol port serves "
		    "only connections that start with a valid PROXY header)",
		    c->peer, why);
	conn_close(c, 0, NULL);
}

/* The header is in: the client it names is the connection's client. */
static void
proxyhdr_done(struct conn *c, const struct proxyproto *pp)
{
	struct worker *w = c->w;
	char balancer[64];
	int fd;

	strlcpy_p(balancer, c->peer, sizeof(balancer));
	if (!pp->local) {
		memcpy(&c->peer_addr.ss, &pp->src, sizeof(pp->src));
		c->peer_addr.len = pp->src.ss_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
		memcpy(&c->local_addr.ss, &pp->dst, sizeof(pp->dst));
		c->local_addr.len = c->peer_addr.len;
		addr_format((struct sockaddr *)&c->peer_addr.ss, c->peer,
		    sizeof(c->peer));
	}
	log_debug("%s: PROXY v%d header from %s%s", c->peer, pp->version,
	    balancer, pp->local ? " without a client address (LOCAL, "
	    "UNSPEC or UNKNOWN): the balancer's own connection" : "");
	if (!client_allowed(w, (struct sockaddr *)&c->peer_addr.ss)) {
		/* refused as a direct client would be, by its own address:
		 * a kind of another protocol refuses in it (c->denied) */
		if (c->listener->ops->not_http)
			c->denied = 1;
		else {
			fd = c->client.fd;
			c->client.fd = -1;
			conn_close(c, 0, NULL);
			refuse_forbidden(fd, c->listener->tls, c->peer);
			return;
		}
	}
	(void)conn_admit(c, c->listener);
}

/* Reads what there is of the header (and closes c when it is bad). */
static void
proxyhdr_step(struct conn *c)
{
	struct proxyproto pp;
	size_t have = buf_len(&c->client.in), room;
	char *p = buf_wptr(&c->client.in, &room);
	ssize_t n;
	int r;

	if (room > PROXYPROTO_MAX - have)
		room = PROXYPROTO_MAX - have;
	if (room == 0) {
		proxyhdr_fail(c, "no valid PROXY header");
		return;
	}
	n = recv(c->client.fd, p, room, MSG_PEEK);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR))
		return;
	if (n <= 0) {
		c->client.eof = 1;
		proxyhdr_fail(c, n == 0 ? "the balancer closed inside the "
		    "PROXY header" : "read error inside the PROXY header");
		return;
	}
	/* the parser sees the whole header so far: what is kept and what
	 * the peek found, contiguous in client.in */
	r = proxyproto_parse((const unsigned char *)p - have, have +
	    (size_t)n, PROXYPROTO_MAX, &pp);
	if (r < 0) {
		proxyhdr_fail(c, pp.error);
		return;
	}
	/* take exactly the header's bytes (or all, while it is unfinished:
	 * they are all its) */
	if (r > 0)
		n = (ssize_t)((size_t)r - have);
	if (read(c->client.fd, p, (size_t)n) != n) {
		proxyhdr_fail(c, "read error inside the PROXY header");
		return;
	}
	buf_wack(&c->client.in, (size_t)n);
	if (r == 0)
		return;
	buf_reset(&c->client.in);
	proxyhdr_done(c, &pp);
}

/* ------------------------------------------------------------ requests */

/* --ntlm-to-basic: the client's Basic "DOMAIN\user:password" becomes
 * the NTLM login for the parent. */

/* ------------------------------------------------------------- flows */

/* Sends what is cleared of src to dst; counts into *total. -1 on error. */
int
ep_send(struct endpoint *dst, struct buf *src, size_t *fwd,
    uint64_t *total, int *progress)
{
	ssize_t n;

	while (*fwd > 0) {
		if ((n = ep_write(dst, src, *fwd)) < 0)
			return -1;
		if (n == 0)
			break;
		*fwd -= (size_t)n;
		*total += (uint64_t)n;
		*progress = 1;
	}
	return 0;
}

/* ------------------------------------------------------------ polling */

static size_t
pending_to_server(const struct conn *c)
{
	return c->state == CS_TUNNEL ? buf_len(&c->client.in) : c->req.fwd;
}

static size_t
pending_to_client(const struct conn *c)
{
	return c->state == CS_TUNNEL ? buf_len(&c->server.in) : c->resp.fwd;
}

static int
has_room(const struct endpoint *ep)
{
	return !ep->eof && ep->in.data != NULL && buf_len(&ep->in) < ep->in.cap;
}

/* A spliced side is read while its pipe has room and its body wants
 * more. */
static int
splice_wants(const struct conn *c, const struct endpoint *src)
{
	const struct flowstate *f = src == &c->client ? &c->req : &c->resp;

	return !src->eof && src->piped < src->pipesz &&
	    (c->state == CS_TUNNEL || f->flow == FLOW_CLOSE ||
	    (f->flow == FLOW_LENGTH && f->remain > 0));
}

size_t
conn_pollfds(struct conn *c, struct pollfd *pfd, size_t room)
{
	short ce = 0, se = 0;
	size_t n;

	if (room < 2 + MAX_HE_ATTEMPTS)
		return 0;
	if (c->state == CS_CLOSING)
		ce = c->resp.fwd > 0 ? POLLOUT : POLLIN;
	else {
		if (conn_splicing(c, &c->client) ? splice_wants(c, &c->client) :
		    has_room(&c->client))
			ce |= POLLIN | POLLRDHUP;
		if (conn_splicing(c, &c->server) ? c->server.piped > 0 :
		    pending_to_client(c) > 0)
			ce |= POLLOUT;
	}
	if (c->server.fd != -1 && (c->state == CS_EXCHANGE ||
	    c->state == CS_TUNNEL || c->state == CS_SOCKS)) {
		if (conn_splicing(c, &c->server) ? splice_wants(c, &c->server) :
		    has_room(&c->server))
			se |= POLLIN | POLLRDHUP;
		if ((conn_splicing(c, &c->client) ? c->client.piped > 0 :
		    pending_to_server(c) > 0) && !c->server.shut)
			se |= POLLOUT;
	}
	ce = ep_events(&c->client, ce);
	if (c->server.fd != -1)
		se = ep_events(&c->server, se);
	/* only descriptors that wait for something: poll(2) refuses more
	 * entries than RLIMIT_NOFILE, used or not */
	n = 0;
	if (ce) {
		pfd[n].fd = c->client.fd;
		pfd[n].events = ce;
		pfd[n++].revents = 0;
	}
	if (se) {
		pfd[n].fd = c->server.fd;
		pfd[n].events = se;
		pfd[n++].revents = 0;
	}
	if (c->state == CS_CONNECT)
		n += connect_pollfds(c, pfd + n, room - n);
	return n;
}

/* The client's TLS failed: its handshake (or that timed out), or a
 * record it sent later. One line at info, as a refused request gets;
 * the connection closes without an answer (there is no channel for
 * one). */
static void
client_tls_failed(struct conn *c, int handshake, const char *why)
{
	const char *what = handshake ? "TLS handshake with the client" :
	    "TLS from the client";

	if (c->intercepted)
		log_info("%s: %s failed (CONNECT %s:%u): %s", c->peer, what,
		    c->icpt_host, c->icpt_port, why);
	else
		log_info("%s: %s failed: %s", c->peer, what, why);
	conn_close(c, 0, NULL);
}

static int
read_client(struct conn *c, short revents)
{
	enum tls_fault fault;
	ssize_t n;

	if (c->state == CS_CLOSING) {
		/* draining: what the client still sends is discarded */
		buf_reset(&c->client.in);
	}
	if ((n = ep_read(&c->client, revents)) < 0) {
		if (c->client.tls != NULL && (fault =
		    tls_peer_fault(c->client.tls)) != TLS_FAULT_NONE)
			client_tls_failed(c, fault == TLS_FAULT_HANDSHAKE,
			    tls_why(c->client.tls));
		else
			conn_close(c, 0, c->client.tls != NULL ?
			    tls_why(c->client.tls) : "client read error");
		return -1;
	}
	return n > 0 || c->client.eof;
}

static int
read_server(struct conn *c, short revents)
{
	ssize_t n;

	if ((n = ep_read(&c->server, revents)) < 0) {
		c->ops->server_lost(c);
		return -1;
	}
	return n > 0 || c->server.eof;
}

/* Bytes an endpoint holds back (decrypted, not yet in its buffer) move
 * as soon as there is room: the peer will not poll us for them. */
static void
conn_fill(struct conn *c)
{
	int i;

	for (i = 0; i < 8 && !c->dead; i++) {
		size_t n = 0;

		/* also when full: a TLS endpoint sends held-back records */
		if (c->client.in.data != NULL)
			n += ep_fill(&c->client);
		if (c->server.fd != -1 && c->server.in.data != NULL &&
		    c->state != CS_TLS)
			n += ep_fill(&c->server);
		if (n == 0)
			break;
		c->ops->run(c);
	}
}

void
conn_changed(struct conn *c)
{
	if (c->on_changed)
		return;
	c->on_changed = 1;
	c->changed_next = c->w->changed;
	c->w->changed = c;
}

void
conn_events(struct conn *c, const struct pollfd *pfd, size_t n)
{
	short ce = 0, se = 0;
	int active = 0, server_polled = 0;
	int hs = ep_handshaking(&c->client);
	size_t i;

	conn_changed(c);
	if (c->state == CS_PROXYHDR) {
		/* read here, exactly: not into the buffer as bytes are */
		for (i = 0; i < n; i++)
			if (pfd[i].fd == c->client.fd && pfd[i].revents != 0)
				proxyhdr_step(c);
		return;
	}
	for (i = 0; i < n; i++) {
		if (pfd[i].fd == c->client.fd)
			ce = pfd[i].revents;
		else if (pfd[i].fd == c->server.fd) {
			se = pfd[i].revents;
			server_polled = 1;
		}
	}
	if (c->state == CS_CONNECT) {
		connect_events(c, pfd, n);
		if (c->dead)
			return;
	}
	if (c->state == CS_TLS && server_polled) {
		tls_step(c);
		if (c->dead)
			return;
		server_polled = 0;	/* its events were the handshake's */
	}
	if (conn_splicing(c, &c->client) || conn_splicing(c, &c->server))
		active = (ce | se) != 0;	/* conn_run() splices */
	if ((ce & (POLLIN | POLLHUP | POLLERR)) && has_room(&c->client) &&
	    !conn_splicing(c, &c->client)) {
		if ((active = read_client(c, ce)) < 0)
			return;
	} else if (c->state == CS_CLOSING && (ce & (POLLIN | POLLHUP))) {
		if (read_client(c, ce) < 0)
			return;
	}
	if (server_polled && (se & (POLLIN | POLLHUP | POLLERR)) &&
	    has_room(&c->server) && !conn_splicing(c, &c->server)) {
		int r = read_server(c, se);

		if (r < 0)
			return;
		active |= r;
	}
	if (hs) {
		/* no bytes of the handshake extend its --socktimeout */
	} else if (active || (ce & POLLOUT) || (se & POLLOUT)) {
		if (c->state == CS_HEAD)
			c->deadline = c->w->now + c->w->cfg->idle * 1000;
		else if (c->state == CS_EXCHANGE || c->state == CS_TUNNEL)
			c->deadline = c->w->now +
			    c->w->cfg->tunnel_idle * 1000;
	}
	c->ops->run(c);
	conn_fill(c);
	if (hs && !c->dead && c->state == CS_HEAD &&
	    !ep_handshaking(&c->client))
		c->deadline = c->w->now + c->w->cfg->idle * 1000;
}

int64_t
conn_deadline(const struct conn *c)
{
	int64_t he;

	if (c->state != CS_CONNECT || (he = connect_due(c)) < 0)
		return c->deadline;
	return c->deadline < 0 || he < c->deadline ? he : c->deadline;
}

void
conn_timeout(struct conn *c)
{
	conn_changed(c);
	/* the time may be the next Happy Eyeballs attempt's, not c's own */
	if (c->state == CS_CONNECT)
		connect_tick(c);
	if (c->dead || c->deadline < 0 || c->deadline > c->w->now)
		return;
	if (c->state == CS_TLS) {
		char why[WHY_MAX];

		snprintf(why, sizeof(why), "TLS to %s: the handshake did not "
		    "finish in time (does the server speak TLS?)",
		    c->tls_name);
		tls_failed(c, 504, why);
		return;
	}
	if (c->state == CS_HEAD && ep_handshaking(&c->client)) {
		client_tls_failed(c, 1, "the handshake did not finish in time");
		return;
	}
	if (c->state == CS_PROXYHDR) {
		char why[80];

		snprintf(why, sizeof(why), "no complete PROXY header within "
		    "%ld s (--socktimeout)", c->w->cfg->socktimeout);
		proxyhdr_fail(c, why);
		return;
	}
	c->ops->timeout(c);
}
