/*
 * conn_http.c: the HTTP exchange on a connection: the request head, its
 * checks, routing, sending and the retry, the client's login, the
 * response head, body flows, tunnels (CONNECT, WebSocket, --tunnel), the
 * proxy's own answers, and the parent's NTLM login steps. It reaches
 * bytes only through the endpoint operations of conn.c, and conn.c
 * reaches it only through the hooks of conn_http_ops and
 * conn_tunnel_ops, which proxy.c gives the listeners.
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
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "proxy.h"

#define CLOSING_LINGER_MS	2000	/* drain a client after an error */
#define HEAD_SLACK		8192	/* room for headers we add */

static void conn_run(struct conn *);
static void conn_connected(struct conn *);
static void request_route(struct conn *);
static void flow_start(struct flowstate *, enum http_body, uint64_t);
static void conn_pac_answered(void *, const char *, const char *);
static int transparent_target(struct conn *, const char *,
    const struct http_head *, const char **);
static void transparent_host_check(struct conn *);
static int auth_negotiate(struct conn *);

/*
 * The schemes an absolute-form request may have. A ws:// handshake is an
 * HTTP/1.1 request until the 101 (RFC 6455 4.1), so it goes as http://
 * does, and wss:// as https://: over TLS to the origin (upstream.c puts
 * it on, conn.c drives it; nothing here sees it).
 */
static const struct {
	const char	*name;
	int		 tls;
} schemes[] = {
	{ "http", 0 },
	{ "ws", 0 },
	{ "https", 1 },
	{ "wss", 1 }
};

/* ------------------------------------------------------- head rewrite */

/* With --auth NONE a parent's login is the client's business: its
 * Proxy-Authorization and the parent's Proxy-Authenticate pass through
 * (unless the client logs in to us). */
static void
rewrite_for(const struct conn *c, struct http_rewrite *rw)
{
	const struct config *cfg = c->w->cfg;

	memset(rw, 0, sizeof(*rw));
	rw->host = c->host;
	rw->port = c->port;
	rw->absolute = conn_via_parent(c);
	rw->default_port = c->origin_tls ? 443 : 80;
	rw->upgrade = c->upgrade;
	rw->keep_proxy_auth = conn_via_parent(c) && cfg->auth == AUTH_NONE &&
	    cfg->nusers == 0 && !cfg->ntlm_to_basic;
	rw->drop = cfg->disable_headers.v;
	rw->ndrop = cfg->disable_headers.n;
	rw->add = cfg->add_headers.v;
	rw->nadd = cfg->add_headers.n;
	rw->useragent = cfg->useragent;
	rw->via = cfg->disable_via ? NULL : cfg->via;
	if (c->auth_hdr != NULL)
		rw->proxy_auth = c->auth_hdr;
	else
		rw->proxy_auth = upstream_basic_for(c);
	rw->close = !c->client_keepalive;
	rw->keepalive10 = c->client_keepalive && c->minor == 0;
}

static int
scratch_ensure(struct worker *w)
{
	size_t need = (size_t)w->cfg->max_header_size + HEAD_SLACK;

	if (w->scratch_size >= need)
		return 0;
	free(w->scratch);
	if ((w->scratch = malloc(need)) == NULL) {
		w->scratch_size = 0;
		return -1;
	}
	w->scratch_size = need;
	return 0;
}

/* Replaces the head of hlen bytes at the front of b with n new bytes. */
static int
head_replace(struct buf *b, size_t hlen, const char *nhead, size_t n,
    size_t limit)
{
	buf_rack(b, hlen);
	return buf_prepend(b, nhead, n, limit);
}

/* Puts our own answer in server.in and lets CS_CLOSING send it. */
static int
conn_answer(struct conn *c, int status, const char *reason)
{
	size_t n;

	if (c->server.in.data == NULL &&
	    buf_init(&c->server.in, (size_t)c->w->cfg->server_bufsz) == -1)
		return -1;
	/* a plugin's refusal may have its own reason phrase */
	if ((n = http_build_error_as(status, c->pl != NULL &&
	    c->pl->phrase[0] != '\0' ? c->pl->phrase : NULL, reason,
	    c->w->cfg->via, c->server.in.data, c->server.in.cap)) == 0)
		return -1;
	c->server.in.rpos = 0;
	c->server.in.wpos = n;
	c->resp.fwd = n;
	c->sent_head = 1;
	c->state = CS_CLOSING;
	c->deadline = c->w->now + CLOSING_LINGER_MS;
	return 0;
}

/* A client that speaks no HTTP wants a tunnel to host:port: a CONNECT
 * from the start, whose answers are its kind's business. A path the
 * kind set stays for the log (a transparent TLS client's server name). */
static void
tunnel_begin(struct conn *c, const char *method, const char *host,
    uint16_t port)
{
	c->silent = 1;
	c->method = HTTP_CONNECT;
	strlcpy_p(c->method_name, method, sizeof(c->method_name));
	strlcpy_p(c->host, host, sizeof(c->host));
	c->port = port;
	if (c->path[0] == '\0')
		strlcpy_p(c->path, "-", sizeof(c->path));
	if (c->started == 0)
		c->started = c->w->now;
	c->head_len = 0;
}

/* A --tunnel client speaks no HTTP: it is a CONNECT from the start. */
static void
tunnel_start(struct conn *c, const struct tunnel *t)
{
	c->sent_head = 1;	/* no HTTP answer can reach this client */
	tunnel_begin(c, "TUNNEL", t->host, t->port);
	request_route(c);
}

static void
request_reset(struct conn *c)
{
	memset(&c->req, 0, sizeof(c->req));
	memset(&c->resp, 0, sizeof(c->resp));
	c->status = 0;
	c->sent_head = 0;
	c->bytes_in = c->bytes_out = 0;
	c->upgrade = 0;
	c->server_reused = 0;
	c->server_keepalive = 0;
	c->hop = NULL;
	c->started = 0;
	c->aborted = 0;
	c->route = ROUTE_NONE;
	c->path[0] = '\0';
	c->auth_phase = AUTH_IDLE;
	c->auth_switched = 0;
	c->auth_scheme = SCHEME_NTLM;
	c->krb_wait = 0;
	gss_login_free(c->gss);
	c->gss = NULL;
	free(c->pac_hops);
	c->pac_hops = NULL;
	c->socks = SOCKS_GREETING;
	c->discard = 0;
	free(c->auth_hdr);
	c->auth_hdr = NULL;
	c->fresh = 0;
	c->retry_len = 0;
	c->host_check = 0;
	c->dial_orig = 0;
	if (c->pl != NULL) {
		c->pl->answered = 0;
		c->pl->phrase[0] = '\0';
		c->pl->pipe = 0;
	}
}

static int
port_allowed(const struct config *cfg, uint16_t port)
{
	size_t i;

	if (cfg->nports == 0)
		return 1;
	for (i = 0; i < cfg->nports; i++)
		if (cfg->ports[i] == port)
			return 1;
	return 0;
}

/* The method and path of the head, for the exchange and its log. */
static void
request_describe(struct conn *c, const char *buf, const struct http_head *h)
{
	size_t n;

	c->method = h->method;
	n = h->method_s.len < sizeof(c->method_name) - 1 ? h->method_s.len :
	    sizeof(c->method_name) - 1;
	memcpy(c->method_name, buf + h->method_s.off, n);
	c->method_name[n] = '\0';
	if (h->form == HTTP_FORM_AUTHORITY)
		strlcpy_p(c->path, "-", sizeof(c->path));
	else {
		const struct http_span *sp = h->form == HTTP_FORM_ABSOLUTE ?
		    &h->path : &h->target;

		n = sp->len < sizeof(c->path) - 1 ? sp->len :
		    sizeof(c->path) - 1;
		memcpy(c->path, buf + sp->off, n);
		c->path[n] = '\0';
		if (n == 0)
			strlcpy_p(c->path, "/", sizeof(c->path));
	}
}

static void
request_note(struct conn *c, const char *buf, const struct http_head *h)
{
	request_describe(c, buf, h);
	c->minor = h->minor;
	c->started = c->w->now;
	c->bytes_in = h->head_len;
	c->client_keepalive = http_keepalive(h);
}

static int
client_ntlm_creds(struct conn *c, const char *user, const char *pass)
{
	const struct config *cfg = c->w->cfg;
	char u[NTLM_NAME_MAX], d[NTLM_NAME_MAX];
	const char *err;

	snprintf(d, sizeof(d), "%s", cfg->creds.domain);
	if (ntlm_split_user(user, u, sizeof(u), d, sizeof(d)) == -1)
		return -1;
	if (c->creds == NULL && (c->creds = malloc(sizeof(*c->creds))) == NULL)
		return -1;
	if (ntlm_creds_init(c->creds, u, d, cfg->creds.workstation[0] ?
	    cfg->creds.workstation : "proxy", &err) == -1 ||
	    ntlm_creds_set_password(c->creds, pass, &err) == -1) {
		free(c->creds);
		c->creds = NULL;
		return -1;
	}
	return 0;
}

static int
client_login(struct conn *c, const char *buf, const struct http_head *h,
    const char **why)
{
	const struct config *cfg = c->w->cfg;
	char plain[2 * NTLM_NAME_MAX + NTLM_PASS_MAX], *pass;
	int ok = 0;

	if (cfg->nusers == 0 && !cfg->ntlm_to_basic)
		return 0;
	if (http_basic_decode(buf, h, "Proxy-Authorization", plain,
	    sizeof(plain), &pass) == -1) {
		*why = "log in to the proxy with Basic authentication";
		return 407;
	}
	if (cfg->ntlm_to_basic)
		ok = client_ntlm_creds(c, plain, pass) == 0;
	else
		ok = user_check(cfg->users, cfg->nusers, plain, pass);
	ntlm_wipe(plain, sizeof(plain));
	if (!ok) {
		*why = "wrong user name or password";
		return 407;
	}
	return 0;
}

/* Puts the head of our own answer a (body of a->length bytes) in
 * server.in, with room for room bytes of body after it, and lets the
 * exchange finish as if a server had sent it; -1 when c was closed. */
static int
local_head(struct conn *c, struct http_answer *a, size_t room)
{
	const struct config *cfg = c->w->cfg;
	char hd[2048];
	size_t n;

	if (a->cache == NULL)
		a->cache = "max-age=300";
	a->close = !c->client_keepalive;
	a->keepalive10 = c->client_keepalive && c->minor == 0;
	if ((n = http_build_answer(a, hd, sizeof(hd))) == 0) {
		conn_close(c, 500, "the answer's head is too large");
		return -1;
	}
	if ((c->server.in.data == NULL && buf_init(&c->server.in,
	    (size_t)cfg->server_bufsz) == -1) ||
	    buf_grow(&c->server.in, n + room) == -1) {
		conn_close(c, 500, "out of memory");
		return -1;
	}
	buf_reset(&c->server.in);
	(void)buf_put(&c->server.in, hd, n);
	buf_rack(&c->client.in, c->head_len);
	c->status = a->status;
	c->sent_head = 1;
	c->route = ROUTE_LOCAL;
	c->req.flow = FLOW_DONE;
	c->resp.flow = FLOW_DONE;
	c->resp.fwd = n;
	c->server_keepalive = 0;
	c->state = CS_EXCHANGE;
	return 0;
}

/* The proxy's own answer (a plugin's, the web server's, the PAC file's)
 * to the request at the front of client.in, a bodiless one (what
 * follows its head is the next request): the head a, then a->length
 * bytes of body (none for a HEAD). The exchange then finishes as if a
 * server had answered it. */
static int
local_reply(struct conn *c, struct http_answer *a, const char *body,
    int head_only)
{
	size_t len = (size_t)a->length;

	if (local_head(c, a, head_only ? 0 : len) == -1)
		return -1;
	if (!head_only) {
		(void)buf_put(&c->server.in, body, len);
		c->resp.fwd += len;
	}
	return 0;
}

/* The file stands where a server would: an endpoint to read from, as
 * the client takes its bytes (spliced when large). */
static int
local_reply_fd(struct conn *c, struct http_answer *a, int fd, int head_only)
{
	if (local_head(c, a, 0) == -1) {
		fd_close(&fd);
		return -1;
	}
	if (head_only || a->length == 0) {
		fd_close(&fd);
		return 0;
	}
	c->server.fd = fd;
	c->server.eof = 0;
	flow_start(&c->resp, HTTP_BODY_LENGTH, a->length);
	return 0;
}

/* Why a scheme is refused (NULL: forwarded); *tls set for the TLS
 * ones. */
static const char *
scheme_refusal(const char *name, size_t len, int *tls)
{
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (!strncaseeq(name, len, schemes[i].name))
			continue;
		*tls = schemes[i].tls;
		if (schemes[i].tls && !tls_available())
			return "https:// and wss:// URIs are not fetched: "
			    "built without TLS; use CONNECT host:443 and TLS "
			    "through the tunnel";
		return NULL;
	}
	return "only http://, https://, ws:// and wss:// URIs are "
	    "forwarded; use CONNECT host:port for other protocols";
}

/* Checks what may be proxied; an error status (with *why) or 0. The
 * host is noted first, so that the access line of a refusal names it. */
static int
request_check(struct conn *c, const char *buf, const struct http_head *h,
    const char **why)
{
	if (c->transparent)
		return transparent_target(c, buf, h, why);
	if (c->intercepted && h->form == HTTP_FORM_ORIGIN &&
	    h->method != HTTP_CONNECT) {
		/* inside an intercepted CONNECT: its host is the authority */
		strlcpy_p(c->host, c->icpt_host, sizeof(c->host));
		c->port = c->icpt_port;
		c->origin_tls = 1;
		return 0;
	}
	if (h->form == HTTP_FORM_ORIGIN || h->form == HTTP_FORM_ASTERISK) {
		/* for the proxy itself, and no plugin answered it */
		strlcpy_p(c->host, "-", sizeof(c->host));
		c->port = 0;
		*why = "this is a proxy: send an absolute URI "
		    "(GET http://host/path) or CONNECT host:port (RFC 9112 "
		    "3.2.2)";
		return 400;
	}
	if (strnbuf(c->host, sizeof(c->host), buf + h->host.off,
	    h->host.len) == -1) {
		*why = "the host name in the request-target is too long";
		return 400;
	}
	c->port = h->port;
	c->origin_tls = 0;
	if (c->w->cfg->no_proxy_role) {
		*why = "this is a web server, not a proxy "
		    "(--disable-http-proxy): send origin-form requests "
		    "(GET /path)";
		return 403;
	}
	if (h->form == HTTP_FORM_ABSOLUTE && (*why = scheme_refusal(buf +
	    h->scheme.off, h->scheme.len, &c->origin_tls)) != NULL)
		return 400;
	if (h->method == HTTP_CONNECT && !port_allowed(c->w->cfg, c->port)) {
		*why = "CONNECT to this port is not allowed (--connect-ports)";
		return 403;
	}
	return 0;
}

static void
flow_start(struct flowstate *f, enum http_body body, uint64_t length)
{
	switch (body) {
	case HTTP_BODY_NONE:
		f->flow = FLOW_DONE;
		break;
	case HTTP_BODY_LENGTH:
		f->flow = length > 0 ? FLOW_LENGTH : FLOW_DONE;
		f->remain = length;
		break;
	case HTTP_BODY_CHUNKED:
		f->flow = FLOW_CHUNKED;
		http_chunked_init(&f->chunk);
		break;
	case HTTP_BODY_CLOSE:
		f->flow = FLOW_CLOSE;
		break;
	}
}

void
conn_http_tunnel(struct conn *c, const char *method, const char *host,
    uint16_t port)
{
	tunnel_begin(c, method, host, port);
	if (!port_allowed(c->w->cfg, port)) {
		conn_close(c, 403, "CONNECT to this port is not allowed "
		    "(--connect-ports)");
		return;
	}
	request_route(c);
}

/* Goes on with the hops chosen for c. */
static void
route_go(struct conn *c)
{
	const struct config *cfg = c->w->cfg;

	if (upstream_route(c) == -1) {
		conn_close(c, 502, "no parent proxy left to try");
		return;
	}
	if ((conn_via_parent(c) || conn_parent_tunnel(c)) &&
	    cfg->auth != AUTH_NONE && c->w->auth_backoff > c->w->now) {
		conn_close(c, 502, "the parent proxy refused our credentials "
		    "a moment ago; not trying again yet");
		return;
	}
	upstream_start(c);
}

/* The URL FindProxyForURL sees: https://host/ for CONNECT, as browsers
 * pass it. */
static void
pac_url(const struct conn *c, char *url, size_t size)
{
	struct http_out o = { url, 0, size - 1, 0 };
	int tls = c->method == HTTP_CONNECT || c->origin_tls;

	http_out_str(&o, tls ? "https://" : "http://");
	http_out_hostport(&o, c->host, c->port, tls ? 443 : 80);
	http_out_str(&o, c->method == HTTP_CONNECT || c->path[0] != '/' ?
	    "/" : c->path);
	url[o.overflow ? 0 : o.len] = '\0';
}

/* Sends c toward its next hop: asks the PAC file first, when there is
 * one. */
static void
request_route(struct conn *c)
{
	char url[PAC_URL_MAX], answer[PAC_ANSWER_MAX];
	int r;

	c->tried = 0;
	c->hops = NULL;
	c->nhops = 0;
	if (c->w->cfg->pac == NULL) {
		route_go(c);
		return;
	}
	pac_url(c, url, sizeof(url));
	r = dns_pac_query(c->w->dns, url, c->host, c->w->now,
	    conn_pac_answered, c, answer, sizeof(answer));
	if (r == 1)
		conn_pac_answered(c, answer, NULL);
	else if (r == -1)
		conn_pac_answered(c, NULL, "the resolver helper is busy");
	else {
		c->state = CS_ROUTE;
		c->deadline = c->w->now + c->w->cfg->socktimeout * 1000;
	}
}

static enum hop_kind
pac_kind(enum pac_type t, int *ok, int *tls)
{
	*ok = 1;
	*tls = 0;
	switch (t) {
	case PAC_DIRECT:
		return HOP_DIRECT;
	case PAC_PROXY:
	case PAC_HTTP:
		return HOP_HTTP;
	case PAC_HTTPS:
		*ok = tls_available();	/* else skipped, as SOCKS4 */
		*tls = 1;
		return HOP_HTTP;
	case PAC_SOCKS:
	case PAC_SOCKS5:
		return HOP_SOCKS5;
	default:
		*ok = 0;	/* SOCKS4 */
		return HOP_DIRECT;
	}
}

/* The PAC file answered c's route query: answer, or NULL and why. The
 * resolver calls it as the hook request_route registered. */
static void
conn_pac_answered(void *arg, const char *answer, const char *why)
{
	struct conn *c = arg;
	struct pac_proxy pp[PAC_RESULT_MAX];
	int i, n = answer ? pac_parse_result(answer, pp, PAC_RESULT_MAX) : -1;
	size_t k = 0;
	int ok;

	if (c->dead)
		return;
	conn_changed(c);
	if (n > 0 && (c->pac_hops = calloc((size_t)n, sizeof(*c->pac_hops)))
	    != NULL)
		for (i = 0; i < n; i++) {
			struct hop *h = &c->pac_hops[k];

			h->kind = pac_kind(pp[i].type, &ok, &h->tls);
			if (!ok) {
				log_debug("PAC: skipping %s %s", pac_type_name(
				    pp[i].type), pp[i].host);
				continue;
			}
			strlcpy_p(h->host, pp[i].host, sizeof(h->host));
			h->port = pp[i].port;
			http_hostport(h->name, sizeof(h->name), "", h->host,
			    h->port);
			k++;
		}
	if (k == 0) {
		log_warnx("%s: PAC for %s: %s; using %s", c->peer, c->host,
		    answer == NULL ? why : "no usable answer",
		    c->w->cfg->nparents ? "the --proxy parents" : "DIRECT");
		free(c->pac_hops);
		c->pac_hops = NULL;
	} else {
		c->hops = c->pac_hops;
		c->nhops = k;
	}
	route_go(c);
}

/* The first https:// parent of the --proxy parents (not a PAC file's
 * answer, which comes later) that may carry host's requests, or NULL:
 * TLS to the origin cannot go inside TLS to a parent. */
static const struct hop *
parent_https(const struct config *cfg, const char *host)
{
	size_t i;

	if (netlist_match_host(&cfg->noproxy, host))
		return NULL;
	for (i = 0; i < cfg->nparents; i++)
		if (cfg->parents[i].kind == HOP_HTTP && cfg->parents[i].tls)
			return &cfg->parents[i];
	return NULL;
}

/* Whether a CONNECT to c->host is decrypted: --ca-cert-file, and
 * --intercept / --no-intercept; never on a connection already
 * intercepted or on our own TLS port (TLS in TLS). */
static int
intercept_wanted(const struct conn *c)
{
	const struct config *cfg = c->w->cfg;
	const struct hop *p;

	if (cfg->mint == NULL || c->intercepted || c->client.tls != NULL ||
	    c->silent)
		return 0;
	if (netlist_match_host(&cfg->no_intercept, c->host))
		return 0;
	if ((p = parent_https(cfg, c->host)) != NULL) {
		log_debug("%s: CONNECT %s goes through the https:// parent %s: "
		    "not intercepted (TLS inside TLS is not supported)",
		    c->peer, c->host, p->name);
		return 0;
	}
	return cfg->intercept.n == 0 ||
	    netlist_match_host(&cfg->intercept, c->host);
}

/*
 * An intercepted CONNECT: the 200 goes at once (the socket has sent
 * nothing else, so its buffer takes it whole), then a TLS server engine
 * with a minted certificate goes on the client endpoint, and the
 * connection reads request heads again, for https://host:port. The
 * origin is reached per request, as for an https:// URI (upstream.c,
 * pooled between requests). A client that sent its ClientHello right
 * behind the CONNECT (not waiting for the 200) has it in client.in: the
 * engine is handed those bytes before the socket's.
 */
static void
intercept_open(struct conn *c)
{
	char established[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	const size_t n = sizeof(established) - 1;
	struct buf out;
	size_t early;
	char *p;

	buf_rack(&c->client.in, c->head_len);
	/* through the endpoint, before any engine is on it */
	buf_over(&out, established, sizeof(established), n);
	if (ep_write(&c->client, &out, n) != (ssize_t)n) {
		conn_close(c, 0, "cannot send the 200 to an intercepted "
		    "CONNECT");
		return;
	}
	c->status = 200;
	c->bytes_out = n;
	c->route = ROUTE_LOCAL;		/* the 200 is ours */
	conn_log(c);
	if ((c->w->certs == NULL && (c->w->certs = tls_certs_new()) == NULL) ||
	    (c->client.tls = tls_mitm_new(c->w->cfg->mint, c->w->certs,
	    c->host)) == NULL) {
		conn_close(c, 0, "out of memory for a TLS engine");
		return;
	}
	p = buf_rptr(&c->client.in, &early);
	if (early > 0) {
		if (tls_preload(c->client.tls, p, early) == -1) {
			conn_close(c, 0, "out of memory for a TLS engine");
			return;
		}
		log_debug("%s: %zu bytes of TLS came with the CONNECT", c->peer,
		    early);
		buf_reset(&c->client.in);
	}
	strlcpy_p(c->icpt_host, c->host, sizeof(c->icpt_host));
	c->icpt_port = c->port;
	c->intercepted = 1;
	c->icpt_first = 1;
	request_reset(c);
	c->state = CS_HEAD;
	c->deadline = c->w->now + c->w->cfg->socktimeout * 1000;
	if (early > 0)
		(void)ep_fill(&c->client);	/* the engine answers them */
}

/* What an intercepted client sent first is not HTTP/1.x: it is relayed
 * as bytes to the origin over TLS, a tunnel inside the two sessions (as
 * a --tunnel is: no HTTP answer reaches the client). */
static void
intercept_relay(struct conn *c)
{
	c->icpt_first = 0;
	request_reset(c);
	c->silent = 1;
	c->sent_head = 1;
	c->method = HTTP_CONNECT;
	strlcpy_p(c->method_name, "TUNNEL", sizeof(c->method_name));
	strlcpy_p(c->host, c->icpt_host, sizeof(c->host));
	c->port = c->icpt_port;
	c->origin_tls = 1;
	strlcpy_p(c->path, "-", sizeof(c->path));
	c->started = c->w->now;
	c->head_len = 0;
	c->client_keepalive = 0;
	log_debug("%s: not HTTP inside the intercepted TLS: relaying bytes "
	    "to %s:%u over TLS", c->peer, c->host, c->port);
	request_route(c);
}

/* A plugin answered c's request (pc->answer): it goes as the proxy's
 * own answers do; -1 when c was closed. */
static int
plugin_answered(struct conn *c, struct plugin_call *pc, size_t who,
    const struct http_head *h)
{
	struct plugin_answer *pa = &pc->answer;
	struct http_answer a;
	char why[WHY_MAX];
	int fd, r;

	c->pl->answered = (int)who + 1;
	if (c->method == HTTP_CONNECT && pc->answer.status < 300) {
		fd_close(&pc->answer.fd);
		snprintf(why, sizeof(why), "plugin %s answered a CONNECT with "
		    "%d: tunnels are the core's", c->w->cfg->chain[who].p->name,
		    pc->answer.status);
		conn_close(c, 500, why);
		return -1;
	}
	/* what follows the head is not read: a body would be taken for
	 * the next request */
	if (h->body != HTTP_BODY_NONE)
		c->client_keepalive = 0;
	memset(&a, 0, sizeof(a));
	a.status = pa->status;
	a.ctype = pa->ctype;
	a.cache = pa->cache != NULL ? pa->cache : "no-cache";
	a.phrase = pa->phrase[0] != '\0' ? pa->phrase : NULL;
	a.fields = pa->fields_len > 0 ? pc->fields : NULL;
	if (pa->fd != -1) {
		a.length = pa->fd_len;
		fd = pa->fd;
		pa->fd = -1;
		r = local_reply_fd(c, &a, fd, c->method == HTTP_HEAD);
	} else {
		a.length = pa->len;
		r = local_reply(c, &a, pa->body, c->method == HTTP_HEAD);
	}
	/* the internal rows (the PAC file) are the proxy's own answers */
	if (r == 0 && c->w->cfg->chain[who].p->wanted == NULL)
		c->route = ROUTE_PLUGIN;
	return r;
}

/*
 * The request hooks on c's head (*buf, *h, at the front of client.in):
 * 1 to go on with it; 3 to go on with the head a plugin rewrote, which
 * has taken its place (*buf, *h point at it); 2 when a plugin answered;
 * 0 when c was closed.
 */
static int
request_plugins(struct conn *c, char **buf, const struct http_head **h)
{
	const struct config *cfg = c->w->cfg;
	struct plugin_call pc;
	enum plugin_verdict v;
	size_t who, len;

	if (conn_plugin_call(c, &pc) == -1) {
		conn_close(c, 500, "out of memory for the plugins");
		return 0;
	}
	plugins_call_head(&pc, *buf, *h, 0, HTTP_OTHER);
	v = plugins_run(cfg, c->pl, PLUGIN_HOOK_REQUEST, &pc, &who);
	if (v == PLUGIN_DONE && !pc.answer.refused)
		return plugin_answered(c, &pc, who, *h) == 0 ? 2 : 0;
	if (v != PLUGIN_PASS) {
		conn_plugin_stop(c, &pc, who, v, 500);
		return 0;
	}
	if (!pc.rewritten)
		return 1;
	if (head_replace(&c->client.in, (*h)->head_len, pc.buf,
	    pc.head->head_len, (size_t)(cfg->max_header_size +
	    cfg->client_bufsz) + PLUGIN_HEAD_SLACK) == -1) {
		conn_close(c, 500, "out of memory for a rewritten request head");
		return 0;
	}
	c->w->head = *pc.head;
	*buf = buf_rptr(&c->client.in, &len);
	*h = &c->w->head;
	c->head_len = c->w->head.head_len;
	request_describe(c, *buf, *h);
	return 3;
}

/*
 * A complete head is at the front of client.in. It stays there, as the
 * client sent it, until the connection to the next hop is ready; only then
 * is it rewritten for that hop (request_send), so a failed hop can be
 * replaced by another with the request intact.
 */
static int
request_start(struct conn *c, char *buf, const struct http_head *h)
{
	const char *why = NULL;
	int status, local, recheck, r;

	request_note(c, buf, h);
	c->head_len = h->head_len;
	c->icpt_first = 0;
	/* origin-form, for the proxy itself: no proxy login (a browser
	 * fetching the PAC file has none to give); the plugins answer it */
	local = !c->intercepted && !c->transparent &&
	    (h->form == HTTP_FORM_ORIGIN || h->form == HTTP_FORM_ASTERISK);
	if (local) {
		strlcpy_p(c->host, "-", sizeof(c->host));
		c->port = 0;
	} else {
		status = request_check(c, buf, h, &why);
		if (status == 0 && c->transparent && c->orig_loop != NULL) {
			status = 508;
			why = c->orig_loop;
		}
		/* a transparent client does not know we are here: no login */
		if (status != 0 || (!c->intercepted && !c->transparent &&
		    (status = client_login(c, buf, h, &why)) != 0))
			goto refused;
	}
	recheck = local;
	if (c->w->cfg->nchain > 0) {
		if ((r = request_plugins(c, &buf, &h)) == 0 || r == 2)
			return r == 2;
		recheck |= r == 3;	/* rewritten: its target is new */
	}
	if (recheck && (status = request_check(c, buf, h, &why)) != 0)
		goto refused;
	if (c->method == HTTP_CONNECT && intercept_wanted(c)) {
		intercept_open(c);
		return 1;
	}
	c->upgrade = (h->flags & HTTP_F_UPGRADE) &&
	    (h->flags & HTTP_F_WEBSOCKET);
	log_debug("%s: %s %s:%u %s", c->peer, c->method_name, c->host,
	    c->port, c->path);
	if (c->transparent)
		transparent_host_check(c);
	else
		request_route(c);
	return 1;
refused:
	conn_close(c, status, why);
	return 0;
}

/* A --tunnel through a parent: our own CONNECT goes ahead of the
 * client's bytes. */
static int
tunnel_send(struct conn *c)
{
	static const char method[] = "CONNECT";
	const struct config *cfg = c->w->cfg;
	struct http_rewrite rw;
	size_t n;

	memset(&c->w->head, 0, sizeof(c->w->head));
	c->w->head.method = HTTP_CONNECT;
	c->w->head.method_s.len = sizeof(method) - 1;
	c->w->head.form = HTTP_FORM_AUTHORITY;
	rewrite_for(c, &rw);
	if (scratch_ensure(c->w) == -1 || (n = http_build_request(method,
	    &c->w->head, &rw, c->w->scratch, c->w->scratch_size)) == 0 ||
	    buf_prepend(&c->client.in, c->w->scratch, n,
	    (size_t)(cfg->max_header_size + cfg->client_bufsz)) == -1) {
		conn_close(c, 500, "out of memory");
		return -1;
	}
	free(c->auth_hdr);
	c->auth_hdr = NULL;
	c->req.fwd = n;
	c->req.flow = FLOW_DONE;
	return 0;
}

/*
 * A server may close a kept-alive connection just as a request leaves on
 * it, and the request then finds it gone before any answer. Browsers and
 * curl send such a request again on a new connection (RFC 9112 9.3.1),
 * and so do we, once, when sending it twice is harmless: an idempotent
 * method and no body. So the client's head is kept until the answer
 * starts.
 */
static void
retry_keep(struct conn *c, const char *p)
{
	char *keep;

	c->retry_len = 0;
	if (!c->server_reused || c->w->head.body != HTTP_BODY_NONE)
		return;
	switch (c->method) {
	case HTTP_GET: case HTTP_HEAD: case HTTP_OPTIONS: case HTTP_TRACE:
	case HTTP_PUT: case HTTP_DELETE:
		break;
	default:
		return;
	}
	/* one allocation serves the connection's requests */
	if (c->head_len > c->retry_cap) {
		if ((keep = realloc(c->retry_head, c->head_len)) == NULL)
			return;
		c->retry_head = keep;
		c->retry_cap = c->head_len;
	}
	memcpy(c->retry_head, p, c->head_len);
	c->retry_len = c->head_len;
}

/* The reused server went away before answering: 1 if the request goes
 * again on a new connection, 0 if it cannot. */
static int
request_retry(struct conn *c)
{
	size_t limit = (size_t)(c->w->cfg->max_header_size +
	    c->w->cfg->client_bufsz);

	if (c->retry_len == 0 || c->sent_head || c->resp.fwd > 0 ||
	    (c->server.in.data != NULL && buf_len(&c->server.in) > 0))
		return 0;
	/* what is still unsent of the rewritten head goes; the client's
	 * own head comes back in front of what it sent after it */
	buf_rack(&c->client.in, c->req.fwd);
	if (buf_prepend(&c->client.in, c->retry_head, c->retry_len, limit)
	    == -1)
		return 0;
	log_info("%s: %s closed a reused connection before answering; "
	    "sending the request again on a new one", c->peer, c->upstream);
	c->retry_len = 0;
	ep_close(&c->server);
	buf_reset(&c->server.in);
	memset(&c->req, 0, sizeof(c->req));
	memset(&c->resp, 0, sizeof(c->resp));
	c->server_keepalive = 0;
	c->auth_phase = AUTH_IDLE;
	c->bytes_in = c->head_len;
	c->fresh = 1;
	upstream_start(c);
	return 1;
}

/* Rewrites the head at the front of client.in for the server and clears
 * it for sending; the body follows as its framing is checked. */
static int
request_send(struct conn *c)
{
	const struct config *cfg = c->w->cfg;
	struct http_rewrite rw;
	size_t len, scan = 0, n;
	char *p = buf_rptr(&c->client.in, &len);

	if (c->silent || c->ptunnel == PTUNNEL_ASKED)
		return tunnel_send(c);
	if (http_parse_request(p, len, (size_t)cfg->max_header_size, &scan,
	    &c->w->head) != (int)c->head_len) {
		conn_close(c, 500, "the request head changed under us");
		return -1;
	}
	retry_keep(c, p);
	rewrite_for(c, &rw);
	if (scratch_ensure(c->w) == -1 ||
	    (n = http_build_request(p, &c->w->head, &rw, c->w->scratch,
	    c->w->scratch_size)) == 0 ||
	    head_replace(&c->client.in, c->w->head.head_len, c->w->scratch, n,
	    (size_t)(cfg->max_header_size + cfg->client_bufsz)) == -1) {
		conn_close(c, 500, "out of memory for the request head");
		return -1;
	}
	free(c->auth_hdr);
	c->auth_hdr = NULL;
	c->req.fwd = n;
	flow_start(&c->req, c->w->head.body, c->w->head.content_length);
	return 0;
}

/* Grows a buffer that holds an incomplete head, up to the head limit. */
static int
head_grow(struct buf *b, size_t limit)
{
	size_t cap = b->cap * 2;

	if (buf_len(b) < b->cap || b->cap >= limit)
		return 0;
	return buf_grow(b, cap < limit ? cap : limit);
}

static int
request_head(struct conn *c)
{
	const struct config *cfg = c->w->cfg;
	size_t len;
	char *p = buf_rptr(&c->client.in, &len);
	int r;

	/* RFC 9112 2.2: an empty line before a request is ignored (some
	 * clients send CRLF after a body) */
	while (len >= 2 && p[0] == '\r' && p[1] == '\n' && c->req.scan == 0) {
		buf_rack(&c->client.in, 2);
		p = buf_rptr(&c->client.in, &len);
	}
	if (len == 0) {
		if (c->client.eof)
			conn_close(c, 0, "client closed");
		return 0;
	}
	r = http_parse_request(p, len, (size_t)cfg->max_header_size,
	    &c->req.scan, &c->w->head);
	if (r > 0)
		return request_start(c, p, &c->w->head);
	if (r < 0 && c->icpt_first) {
		intercept_relay(c);
		return 0;
	}
	if (r < 0) {
		c->started = c->w->now;
		strlcpy_p(c->method_name, "-", sizeof(c->method_name));
		/* not the previous request's host on this connection */
		c->host[0] = '\0';
		c->port = 0;
		conn_close(c, -r, c->w->head.error ? c->w->head.error :
		    "bad request");
		return 0;
	}
	if (c->client.eof)
		conn_close(c, 0, "client closed inside a request head");
	else if (head_grow(&c->client.in, (size_t)cfg->max_header_size) == -1)
		conn_close(c, 500, "out of memory for a request head");
	return 0;
}

/* The way to the server stands: the client's CONNECT head goes, and
 * bytes flow both ways after our 200 (none for a --tunnel client). */
static void
tunnel_open(struct conn *c)
{
	static const char established[] =
	    "HTTP/1.1 200 Connection established\r\n\r\n";

	buf_rack(&c->client.in, c->head_len);
	c->req.fwd = 0;
	c->req.flow = FLOW_DONE;
	if (c->ops->tunnel_up != NULL)
		c->ops->tunnel_up(c);	/* the client's own protocol */
	else if (!c->silent)
		(void)buf_put(&c->server.in, established,
		    sizeof(established) - 1);
	c->status = 200;
	c->sent_head = 1;
	c->state = CS_TUNNEL;
}

/*
 * TLS to the origin through an HTTP parent: a CONNECT of our own goes to
 * the parent ahead of the client's request (which waits at the front of
 * client.in), with the parent's login (Basic in it, or the NTLM
 * negotiation first); on the parent's 2xx the TLS client engine goes on
 * the connection, and conn_connected() comes again once the handshake is
 * done, for the request in origin form as if the origin were direct.
 */
static int
ptunnel_ask(struct conn *c)
{
	c->ptunnel = PTUNNEL_ASKED;
	if (upstream_auth_probes(c->w->cfg))
		return auth_negotiate(c);
	if (tunnel_send(c) == -1)
		return -1;
	c->req.flow = FLOW_HEAD;	/* the client's head is not sent yet */
	return 0;
}

/* The parent answered our CONNECT (its head h at the front of
 * server.in): TLS to the origin on a 2xx, else a 502 that says why. 1,
 * or 0 when c was closed. */
static int
ptunnel_answer(struct conn *c, const struct http_head *h)
{
	char why[WHY_MAX];

	if (h->status / 100 != 2) {
		snprintf(why, sizeof(why), "the parent proxy %s refused CONNECT "
		    "%s:%u: %d %s%s", c->hop->name, c->host, c->port, h->status,
		    http_reason(h->status), h->status == 407 ? " (it wants a "
		    "login: --auth, --username)" : "");
		conn_close(c, 502, why);
		return 0;
	}
	buf_rack(&c->server.in, h->head_len);
	if (buf_len(&c->server.in) > 0) {
		snprintf(why, sizeof(why), "the parent proxy %s sent bytes "
		    "after its %d to CONNECT %s:%u", c->hop->name, h->status,
		    c->host, c->port);
		conn_close(c, 502, why);
		return 0;
	}
	c->ptunnel = PTUNNEL_UP;
	c->bytes_in = c->head_len;
	memset(&c->resp, 0, sizeof(c->resp));
	log_debug("%s: the parent %s opened a tunnel to %s:%u", c->peer,
	    c->hop->name, c->host, c->port);
	conn_tls_start(c, c->host, c->port);
	return 1;
}

/* A new parent connection logs in first: a bodiless request with the
 * NTLM Type 1 goes ahead of the client's request, which waits at the
 * front of client.in until the parent's challenge is answered. */
static int
auth_negotiate(struct conn *c)
{
	const struct config *cfg = c->w->cfg;
	size_t n;

	if (c->auth_scheme == SCHEME_BASIC) {
		/* ANY, with a parent that offers Basic alone: no probe */
		c->auth_phase = AUTH_AUTHENTICATE;
		return request_send(c);
	}
	if (scratch_ensure(c->w) == -1 ||
	    (n = upstream_ntlm_probe(c, c->w->scratch, c->w->scratch_size))
	    == 0 ||
	    buf_prepend(&c->client.in, c->w->scratch, n,
	    (size_t)(cfg->max_header_size + cfg->client_bufsz)) == -1) {
		conn_close(c, 502, "cannot build the login to the parent "
		    "(the log says why)");
		return -1;
	}
	c->req.fwd = n;
	c->req.flow = FLOW_HEAD;	/* the real head is not sent yet */
	c->auth_phase = AUTH_NEGOTIATE;
	COUNT(c->w, ntlm_handshakes, 1);
	return 0;
}

/* The parent answered the Type 1: prepare the Type 3 (or nothing, when
 * the parent wants no login), and drop this response. */
static int
auth_challenge(struct conn *c, char *buf, const struct http_head *h)
{
	char why[WHY_MAX];

	if (h->status != 407 && upstream_krb_check(c, buf, h, why,
	    sizeof(why)) == -1) {
		conn_close(c, 502, why);
		return 0;
	}
	if (h->status != 407 && c->auth_scheme == SCHEME_KERBEROS)
		upstream_auth_worked(c);
	if (c->ptunnel == PTUNNEL_ASKED) {
		/* the negotiation was our CONNECT: 2xx, no login wanted (or
		 * Kerberos took it); anything but a challenge is the
		 * parent's last word */
		if (h->status != 407) {
			c->auth_phase = AUTH_DONE;
			return ptunnel_answer(c, h);
		}
	} else if (c->method == HTTP_CONNECT && h->status / 100 == 2) {
		/* no login wanted (or Kerberos took it): the negotiation
		 * was the CONNECT itself */
		buf_rack(&c->server.in, h->head_len);
		c->auth_phase = AUTH_DONE;
		tunnel_open(c);
		return 1;
	}
	if (h->status == 407) {
		switch (upstream_ntlm_answer(c, buf, h, why, sizeof(why))) {
		case -1:
			conn_close(c, 502, why);
			return 0;
		case 1:
			c->auth_phase = AUTH_SWITCH;
			break;
		default:
			c->auth_phase = AUTH_AUTHENTICATE;
		}
	} else
		c->auth_phase = AUTH_DONE;
	c->server_keepalive = http_keepalive(h);
	flow_start(&c->resp, h->body, h->content_length);
	buf_rack(&c->server.in, h->head_len);
	c->resp.scan = 0;
	c->discard = 1;
	return 1;
}

/* The parent offers NTLM only in the other scheme (auth_challenge): its
 * dropped answer is read, so the Type 1 goes again in that scheme, on
 * this connection if the parent keeps it, else on a new one. */
static int
auth_switch(struct conn *c)
{
	if (c->server_keepalive && !c->server.eof) {
		c->resp.flow = FLOW_HEAD;
		return auth_negotiate(c);
	}
	ep_close(&c->server);
	buf_reset(&c->server.in);
	memset(&c->req, 0, sizeof(c->req));
	memset(&c->resp, 0, sizeof(c->resp));
	c->server_keepalive = 0;
	c->auth_phase = AUTH_IDLE;
	c->fresh = 1;
	upstream_start(c);
	return -1;
}

/* The parent's dropped answer is read: send the real request. */
static int
auth_continue(struct conn *c)
{
	c->discard = 0;
	if (c->auth_phase == AUTH_SWITCH)
		return auth_switch(c);
	if (!c->server_keepalive || c->server.eof) {
		conn_close(c, 502, "the parent closed the connection during "
		    "the NTLM login");
		return -1;
	}
	if (request_send(c) == -1)
		return -1;
	c->resp.flow = FLOW_HEAD;
	return 0;
}

/* 407 to our credentials: tell the client, and keep away from the
 * parent for a while so the account is not locked. */
static void
auth_refused(struct conn *c)
{
	const struct config *cfg = c->w->cfg;
	char why[WHY_MAX], name[64];

	c->w->auth_backoff = c->w->now + AUTH_BACKOFF_S * 1000;
	snprintf(why, sizeof(why), "the parent proxy %s refused the %s "
	    "credentials of %s%s%s; not trying again for %d s",
	    c->hop->name, upstream_auth_name(c, name, sizeof(name)),
	    cfg->creds.domain,
	    cfg->creds.domain[0] ? "\\" : "", cfg->creds.user,
	    AUTH_BACKOFF_S);
	conn_close(c, 502, why);
}

static void
conn_connected(struct conn *c)
{
	const struct config *cfg = c->w->cfg;

	if (c->server.in.data == NULL &&
	    buf_init(&c->server.in, (size_t)cfg->server_bufsz) == -1) {
		conn_close(c, 500, "out of memory for the server buffer");
		return;
	}
	buf_reset(&c->server.in);
	c->deadline = c->w->now + cfg->tunnel_idle * 1000;
	if (c->hop != NULL && c->hop->kind == HOP_SOCKS5 && !c->server_reused &&
	    c->socks != SOCKS_DONE) {
		upstream_socks_begin(c);
		return;
	}
	if (conn_parent_tunnel(c) && !c->server_reused &&
	    c->ptunnel == PTUNNEL_NONE) {
		if (ptunnel_ask(c) == -1)
			return;
		c->state = CS_EXCHANGE;
		c->resp.flow = FLOW_HEAD;
	} else if (conn_via_parent(c) && upstream_auth_probes(cfg) &&
	    !c->server_reused) {
		if (auth_negotiate(c) == -1)
			return;
		c->state = CS_EXCHANGE;
		c->resp.flow = FLOW_HEAD;
	} else if (c->method == HTTP_CONNECT && !conn_via_parent(c)) {
		tunnel_open(c);
	} else {
		if (request_send(c) == -1)
			return;
		c->state = CS_EXCHANGE;
		c->resp.flow = FLOW_HEAD;
	}
	conn_run(c);
}

/* Clears more body bytes of an LENGTH or CHUNKED flow for sending;
 * -1 on a malformed chunked coding. */
static int
flow_clear(struct flowstate *f, struct buf *b)
{
	size_t len, dl;
	char *p = buf_rptr(b, &len);
	long n;

	while (f->fwd < len && (f->flow == FLOW_LENGTH ||
	    f->flow == FLOW_CHUNKED)) {
		if (f->flow == FLOW_LENGTH) {
			uint64_t k = len - f->fwd;

			if (k > f->remain)
				k = f->remain;
			f->fwd += (size_t)k;
			if ((f->remain -= k) == 0)
				f->flow = FLOW_DONE;
			continue;
		}
		n = http_chunked_step(&f->chunk, p + f->fwd, len - f->fwd, &dl);
		if (n < 0)
			return -1;
		f->fwd += (size_t)n;
		if (f->chunk.done)
			f->flow = FLOW_DONE;
		else if (n == 0)
			break;
	}
	return 0;
}

/* FLOW_DECHUNK: framing at the front of the buffer is dropped, data is
 * cleared; only at the front, so framing never goes out. */
static int
flow_dechunk(struct flowstate *f, struct buf *b)
{
	size_t len, dl;
	char *p;
	long n;

	while (f->flow == FLOW_DECHUNK && f->fwd == 0) {
		p = buf_rptr(b, &len);
		if (len == 0)
			break;
		if ((n = http_chunked_step(&f->chunk, p, len, &dl)) < 0)
			return -1;
		if (dl > 0)
			f->fwd = (size_t)n;
		else
			buf_rack(b, (size_t)n);
		if (f->chunk.done)
			f->flow = FLOW_DONE;
		if (n == 0)
			break;
	}
	return 0;
}

/*
 * The response body through the plugins' body hooks (c->pl->pipe): a
 * piece at a time is decoded at the front of server.in, and the hooks'
 * output, framed for the client, takes its place there, cleared for
 * sending. The next piece waits until that is out, so a connection
 * holds at most one piece's output beside its buffer; the first goes
 * right after the response head, so that both leave in one write. -1 on
 * a malformed chunked body; c is closed when a plugin fails.
 */
static int
body_pipe(struct conn *c)
{
	const struct config *cfg = c->w->cfg;
	struct flowstate *f = &c->resp;
	struct plugin_call pc;
	size_t len, take, dl, n, who, off;
	char *p, *out;
	int last;
	long k;

	while ((f->fwd == 0 || c->pl->head_only) && f->flow != FLOW_DONE) {
		/* the raw body follows what is cleared for sending */
		off = f->fwd;
		p = buf_rptr(&c->server.in, &len) + off;
		len -= off;
		take = len < PLUGIN_PIECE_MAX ? len : PLUGIN_PIECE_MAX;
		if (f->flow == FLOW_LENGTH) {
			if (take > f->remain)
				take = (size_t)f->remain;
			if (take == 0)
				return 0;
			f->remain -= take;
			last = f->remain == 0;
			dl = take;
		} else if (f->flow == FLOW_CLOSE) {
			last = c->server.eof && take == len;
			if (take == 0 && !last)
				return 0;
			dl = take;
		} else {	/* CHUNKED, DECHUNK: framing is dropped here */
			if (take == 0)
				return 0;
			if ((k = http_chunked_step(&f->chunk, p, take, &dl)) < 0)
				return -1;
			take = (size_t)k;
			last = f->chunk.done;
			if (take == 0)
				return 0;
			if (dl == 0 && !last) {
				(void)buf_replace(&c->server.in, off, take,
				    NULL, 0, 0);
				continue;
			}
		}
		if (conn_plugin_call(c, &pc) == -1) {
			conn_close(c, 0, "out of memory for the plugins");
			return 0;
		}
		out = pc.out;
		if (plugins_body(cfg, c->pl, &pc, p, dl, last, pc.stage, out,
		    PLUGIN_OUT_MAX + 64, &n, &who) == PLUGIN_FAIL) {
			conn_plugin_stop(c, &pc, who, PLUGIN_FAIL, 502);
			return 0;
		}
		if (buf_replace(&c->server.in, off, take, out, n,
		    (size_t)(cfg->max_header_size + cfg->server_bufsz) +
		    PLUGIN_OUT_MAX + 64) == -1) {
			conn_close(c, 0, "out of memory for a body the plugins "
			    "rewrote");
			return 0;
		}
		f->fwd = off + n;
		c->pl->head_only = 0;
		if (last)
			f->flow = FLOW_DONE;
	}
	return 0;
}

/*
 * How the body goes through the body hooks the plugins chose, and how
 * the client gets it: unchanged, with its framing (a chunked one is
 * chunked anew); replaced, with its new Content-Length; rewritten,
 * chunked (to an HTTP/1.0 client: ended by the close).
 */
static void
body_plan(struct conn *c, struct http_rewrite *rw, int coded)
{
	struct plugin_conn *pl = c->pl;
	int changer = -1, seen = 0;
	size_t i;

	pl->pipe = 0;
	if (c->resp.flow == FLOW_DONE || c->resp.flow == FLOW_HEAD)
		return;		/* no body */
	for (i = 0; i < c->w->cfg->nchain; i++) {
		seen |= pl->body[i] != PLUGIN_BODY_NONE;
		if (pl->body[i] == PLUGIN_BODY_REWRITE ||
		    pl->body[i] == PLUGIN_BODY_REPLACE)
			changer = (int)i;
	}
	if (!seen)
		return;
	if (coded) {
		/* gzip (or another coding) stays in it once dechunked */
		log_debug("%s: the body has a transfer-coding besides chunked: "
		    "the plugins do not see it", c->peer);
		return;
	}
	pl->pipe = 1;
	pl->head_only = 1;
	pl->out_frame = c->resp.flow == FLOW_CHUNKED ? HTTP_REFRAME_CHUNKED :
	    HTTP_REFRAME_NONE;
	if (changer < 0)
		return;
	if (pl->body[changer] == PLUGIN_BODY_REPLACE) {
		rw->reframe = HTTP_REFRAME_LENGTH;
		rw->length = pl->replace_len[changer];
		pl->out_frame = HTTP_REFRAME_NONE;
	} else if (c->minor == 1) {
		rw->reframe = HTTP_REFRAME_CHUNKED;
		pl->out_frame = HTTP_REFRAME_CHUNKED;
	} else {
		rw->reframe = HTTP_REFRAME_CLOSE;
		pl->out_frame = HTTP_REFRAME_NONE;
		c->client_keepalive = 0;
		rw->close = 1;
		rw->keepalive10 = 0;
	}
}

/* The response hooks on the server's head (*buf, *h): a plugin may have
 * rewritten it (*buf and *h then point at the new one) and chosen how
 * the body goes through it, which says how the client gets it (rw); -1
 * when c was closed. */
static int
response_plugins(struct conn *c, const char **buf,
    const struct http_head **h, struct http_rewrite *rw)
{
	struct plugin_call pc;
	enum plugin_verdict v;
	size_t who;

	if (conn_plugin_call(c, &pc) == -1) {
		conn_close(c, 502, "out of memory for the plugins");
		return -1;
	}
	plugins_call_head(&pc, *buf, *h, 1, c->method);
	pc.status = (*h)->status;
	v = plugins_run(c->w->cfg, c->pl, PLUGIN_HOOK_RESPONSE, &pc, &who);
	if (v == PLUGIN_FAIL) {
		conn_plugin_stop(c, &pc, who, v, 502);
		return -1;
	}
	fd_close(&pc.answer.fd);	/* answers are for requests */
	*buf = pc.buf;
	*h = pc.head;
	c->status = pc.head->status;
	body_plan(c, rw, (pc.head->flags & HTTP_F_TE_CODED) != 0);
	return 0;
}

static int
response_frame(struct conn *c)
{
	struct flowstate *f = &c->resp;

	if (c->pl != NULL && c->pl->pipe)
		return body_pipe(c);
	if (f->flow == FLOW_CLOSE) {
		f->fwd = buf_len(&c->server.in);
		if (c->server.eof)
			f->flow = FLOW_DONE;
		return 0;
	}
	if (f->flow == FLOW_DECHUNK)
		return flow_dechunk(f, &c->server.in);
	return flow_clear(f, &c->server.in);
}

/* The parent answered our CONNECT with a refusal: its status is kept
 * where a client of another kind is told why (403 a rule, 504 a
 * timeout, else 502); a --tunnel client only sees the close. */
static void
tunnel_refused(struct conn *c, const char *buf, const struct http_head *h)
{
	char why[WHY_MAX];

	snprintf(why, sizeof(why), "the parent %s refused the tunnel: %d "
	    "%.*s", c->hop != NULL ? c->hop->name : "", h->status,
	    (int)(h->reason.len < 200 ? h->reason.len : 200),
	    buf + h->reason.off);
	if (c->sent_head)
		conn_close(c, 0, why);
	else
		conn_close(c, h->status == 403 || h->status == 504 ?
		    h->status : 502, why);
}

static int
response_start(struct conn *c, char *buf, const struct http_head *h)
{
	const struct config *cfg = c->w->cfg;
	const char *head = buf;
	struct http_rewrite rw;
	enum flow flow;
	size_t n, hlen;

	if (c->auth_phase == AUTH_NEGOTIATE)
		return auth_challenge(c, buf, h);
	if ((conn_via_parent(c) || c->ptunnel == PTUNNEL_ASKED) &&
	    h->status == 407 && (c->auth_phase == AUTH_AUTHENTICATE ||
	    upstream_basic_for(c) != NULL)) {
		auth_refused(c);
		return 0;
	}
	if (c->auth_phase == AUTH_AUTHENTICATE) {
		c->auth_phase = AUTH_DONE;
		upstream_auth_worked(c);
	}
	if (c->ptunnel == PTUNNEL_ASKED)
		return ptunnel_answer(c, h);
	if (h->status == 101 && !c->upgrade) {
		conn_close(c, 502, "the server switched protocols unasked");
		return 0;
	}
	if (h->status >= 200 || h->status == 101) {
		c->status = h->status;
		c->server_keepalive = http_keepalive(h);
	}
	flow_start(&c->resp, h->body, h->content_length);
	if (h->status < 200)
		c->resp.flow = FLOW_HEAD;	/* interim: another head follows */
	flow = c->resp.flow;
	if (flow == FLOW_CHUNKED && c->minor == 0)
		flow = c->resp.flow = FLOW_DECHUNK;
	if (flow == FLOW_CLOSE || flow == FLOW_DECHUNK) {
		c->client_keepalive = 0;	/* only EOF can end it */
		c->server_keepalive = 0;
	}
	/* a server that sent two lengths may mean the other one: what it
	 * sends next on this connection cannot be trusted to start where
	 * we think this body ends (RFC 9112 6.3 rule 3) */
	if (h->flags & HTTP_F_CL_TE)
		c->server_keepalive = 0;
	if (c->silent) {
		/* the parent's answer to our CONNECT is not the client's */
		if (h->status / 100 != 2) {
			tunnel_refused(c, buf, h);
			return 0;
		}
		buf_rack(&c->server.in, h->head_len);
		if (c->ops->tunnel_up != NULL)
			c->ops->tunnel_up(c);
		c->state = CS_TUNNEL;
		return 1;
	}
	/* a gzip (or other) transfer-coding stays in the body once it is
	 * dechunked, and an HTTP/1.0 client has no field to be told of it
	 * in (RFC 9112 6.1) */
	if ((h->flags & HTTP_F_TE_CODED) && c->minor == 0 &&
	    flow != FLOW_DONE && flow != FLOW_HEAD) {
		conn_close(c, 502, "the server sent a transfer-coding other "
		    "than chunked, which an HTTP/1.0 client cannot be given "
		    "(RFC 9112 6.1)");
		return 0;
	}
	rewrite_for(c, &rw);
	rw.keep_te = flow == FLOW_CHUNKED || flow == FLOW_CLOSE;
	hlen = h->head_len;
	if (c->pl != NULL && h->status >= 200 && h->status != 101 &&
	    c->method != HTTP_CONNECT &&
	    response_plugins(c, &head, &h, &rw) == -1)
		return 0;
	if (scratch_ensure(c->w) == -1 ||
	    (n = http_build_response(head, h, &rw, c->w->scratch,
	    c->w->scratch_size)) == 0 ||
	    head_replace(&c->server.in, hlen, c->w->scratch, n,
	    (size_t)(cfg->max_header_size + cfg->server_bufsz)) == -1) {
		conn_close(c, 502, "response head too large to rewrite");
		return 0;
	}
	c->resp.fwd = n;
	c->resp.scan = 0;
	c->sent_head = 1;
	if (h->status == 101 || (c->method == HTTP_CONNECT &&
	    h->status / 100 == 2))
		c->state = CS_TUNNEL;
	return 1;
}

static int
response_head(struct conn *c)
{
	const struct config *cfg = c->w->cfg;
	char why[WHY_MAX];
	size_t len;
	char *p = buf_rptr(&c->server.in, &len);
	int r;

	if (c->resp.fwd > 0 || len == 0) {
		if (len == 0 && c->server.eof && !request_retry(c))
			conn_close(c, 502, c->server_reused ?
			    "the server closed a reused connection without "
			    "answering" : "the server closed the connection "
			    "without answering");
		return 0;
	}
	/* our CONNECT to the parent; the NTLM negotiation asked with HEAD
	 * (or CONNECT) */
	r = http_parse_response(p, len, (size_t)cfg->max_header_size,
	    &c->resp.scan, c->ptunnel == PTUNNEL_ASKED ? HTTP_CONNECT :
	    c->auth_phase == AUTH_NEGOTIATE && c->method != HTTP_CONNECT ?
	    HTTP_HEAD : c->method, &c->w->head);
	if (r > 0)
		return response_start(c, p, &c->w->head);
	if (r < 0) {
		snprintf(why, sizeof(why), "bad response from %s: %s",
		    c->upstream, c->w->head.error ? c->w->head.error :
		    "malformed");
		conn_close(c, 502, why);
	} else if (c->server.eof)
		conn_close(c, 502, "the server closed the connection inside "
		    "the response head");
	else if (head_grow(&c->server.in, (size_t)cfg->max_header_size) == -1)
		conn_close(c, 502, "out of memory for a response head");
	return 0;
}

/* The exchange is over: log, keep or drop the server, and go on with the
 * next request on this connection or close it. */
static void
exchange_finish(struct conn *c, int complete)
{
	struct worker *w = c->w;

	conn_log(c);
	if (complete && c->server_keepalive && !c->server.eof &&
	    buf_len(&c->server.in) == 0)
		conn_pool_put(w, c->upstream, &c->server);
	ep_close(&c->server);
	buf_reset(&c->server.in);
	if (c->server.piped > 0 || c->client.piped > 0) {
		ep_pipe_close(&c->server);
		ep_pipe_close(&c->client);
	}
	if (!complete || !c->client_keepalive || c->client.eof) {
		conn_close(c, 0, NULL);
		return;
	}
	request_reset(c);
	c->state = CS_HEAD;
	c->deadline = w->now + w->cfg->idle * 1000;
}

/* The spliced parts of an exchange: a request body of known length, a
 * response body of known length or read to the end. 0, or -1 when c was
 * closed. */
static int
exchange_splice(struct conn *c, int *progress)
{
	int which = 0;

	if (conn_splicing(c, &c->client)) {
		if (ep_splice(&c->client, &c->server, &c->req.remain,
		    &c->bytes_in, progress, &which) == -1) {
			conn_close(c, which ? 502 : 0, which ? "the server "
			    "closed the connection while the request was being "
			    "sent" : "client read error");
			return -1;
		}
		if (c->req.flow == FLOW_LENGTH && c->req.remain == 0)
			c->req.flow = FLOW_DONE;
	}
	if (conn_splicing(c, &c->server)) {
		if (ep_splice(&c->server, &c->client, c->resp.flow ==
		    FLOW_LENGTH ? &c->resp.remain : NULL, &c->bytes_out,
		    progress, &which) == -1) {
			conn_close(c, 0, which ? "the client went away" :
			    "server read error");
			return -1;
		}
		if ((c->resp.flow == FLOW_LENGTH && c->resp.remain == 0) ||
		    (c->resp.flow == FLOW_CLOSE && c->server.eof))
			c->resp.flow = FLOW_DONE;
	}
	return 0;
}

/* The scanner's reason, with the rule it applied. */
static void
request_body_refused(struct conn *c)
{
	char why[WHY_MAX];

	snprintf(why, sizeof(why), "the chunked request body is malformed: "
	    "%s (RFC 9112 7.1)", c->req.chunk.error ? c->req.chunk.error :
	    "bad coding");
	conn_close(c, 400, why);
}

static int
exchange_step(struct conn *c)
{
	int progress = 0;

	if (exchange_splice(c, &progress) == -1)
		return 0;

	if (c->req.flow != FLOW_DONE && flow_clear(&c->req, &c->client.in)
	    == -1) {
		request_body_refused(c);
		return 0;
	}
	if (ep_send(&c->server, &c->client.in, &c->req.fwd, &c->bytes_in,
	    &progress) == -1) {
		if (!request_retry(c))
			conn_close(c, 502, "the server closed the connection "
			    "while the request was being sent");
		return 0;
	}
	if (c->resp.flow == FLOW_HEAD) {
		progress |= response_head(c);
		if (c->dead || c->state != CS_EXCHANGE)
			return 1;
	}
	if (response_frame(c) == -1) {
		conn_close(c, 502, c->resp.chunk.error ? c->resp.chunk.error :
		    "bad chunked response body");
		return 0;
	}
	if (c->dead)
		return 0;	/* a plugin failed */
	if (c->discard) {
		if (c->resp.fwd > 0)
			progress = 1;
		buf_rack(&c->server.in, c->resp.fwd);
		c->resp.fwd = 0;
		if (c->resp.flow == FLOW_DONE)
			return auth_continue(c) == 0;
	}
	if (ep_send(&c->client, &c->server.in, &c->resp.fwd, &c->bytes_out,
	    &progress) == -1) {
		conn_close(c, 0, "the client went away");
		return 0;
	}
	if (c->resp.flow == FLOW_DONE && c->resp.fwd == 0 &&
	    c->server.piped == 0) {
		exchange_finish(c, c->req.flow == FLOW_DONE &&
		    c->req.fwd == 0 && c->client.piped == 0);
		return 1;
	}
	if (!progress && c->server.eof && c->resp.flow != FLOW_HEAD &&
	    c->resp.flow != FLOW_DONE && c->resp.fwd == 0 &&
	    c->server.piped == 0) {
		conn_close(c, 0, "the server closed inside the response body");
		return 0;
	}
	if (!progress && c->client.eof && c->req.flow != FLOW_DONE &&
	    c->req.fwd == 0 && c->client.piped == 0) {
		conn_close(c, 0, "the client closed inside the request body");
		return 0;
	}
	return progress;
}

/* One direction of a tunnel; -1 when c was closed. */
static int
tunnel_move(struct conn *c, struct endpoint *src, struct endpoint *dst,
    uint64_t *total, int *progress)
{
	size_t fwd = buf_len(&src->in);
	int which = 0;

	if (fwd == 0 && conn_splicing(c, src)) {
		if (ep_splice(src, dst, NULL, total, progress, &which) == -1) {
			conn_close(c, 0, "tunnel: a side went away");
			return -1;
		}
	} else if (ep_send(dst, &src->in, &fwd, total, progress) == -1) {
		conn_close(c, 0, "tunnel: a side went away");
		return -1;
	}
	/* this side is done: tell the other one, unless the other way is
	 * done too, when the close that follows says it */
	if (src->eof && buf_len(&src->in) == 0 && src->piped == 0 &&
	    !dst->shut) {
		if (!src->shut)
			ep_shutdown(dst);
		dst->shut = 1;
	}
	return 0;
}

/* Forwards bytes both ways and passes each side's EOF on as a shutdown
 * of the other side's writing. */
static int
tunnel_step(struct conn *c)
{
	int progress = 0;

	if (tunnel_move(c, &c->client, &c->server, &c->bytes_in, &progress)
	    == -1 || tunnel_move(c, &c->server, &c->client, &c->bytes_out,
	    &progress) == -1)
		return 0;
	if (c->client.shut && c->server.shut)
		conn_close(c, 0, NULL);
	return progress;
}

/* Sends our answer, then shuts down writing and drains what the client
 * still sends, so the answer is not lost to a reset. */
static void
closing_step(struct conn *c)
{
	int progress = 0;

	if (ep_send(&c->client, &c->server.in, &c->resp.fwd, &c->bytes_out,
	    &progress) == -1) {
		conn_close(c, 0, NULL);
		return;
	}
	if (c->resp.fwd > 0)
		return;
	conn_log(c);		/* the answer is out, and its bytes counted */
	ep_shutdown(&c->client);
	buf_reset(&c->client.in);
	if (c->client.eof)
		conn_close(c, 0, NULL);
}

static void
conn_run(struct conn *c)
{
	int i, progress = 1;

	for (i = 0; i < 64 && progress && !c->dead; i++) {
		switch (c->state) {
		case CS_HEAD:
			progress = request_head(c);
			break;
		case CS_EXCHANGE:
			progress = exchange_step(c);
			break;
		case CS_TUNNEL:
			progress = tunnel_step(c);
			break;
		case CS_SOCKS:
			progress = upstream_socks_step(c);
			break;
		case CS_CLOSING:
			closing_step(c);
			progress = 0;
			break;
		default:
			progress = 0;
			break;
		}
	}
}

/* c's deadline has passed: what that means depends on where it is. */
static void
http_timeout(struct conn *c)
{
	char why[WHY_MAX];

	if (c->state == CS_RESOLVE && c->host_check) {
		dns_cancel(c->w->dns, c);
		snprintf(why, sizeof(why), "looking up the Host %s to check it "
		    "timed out", c->host);
		conn_close(c, 504, why);
		return;
	}
	switch (c->state) {
	case CS_HEAD:
		if (buf_len(&c->client.in) == 0)
			conn_close(c, 0, "idle");
		else
			conn_close(c, 408, "the request head did not arrive "
			    "in time");
		break;
	case CS_ROUTE:
		dns_cancel(c->w->dns, c);
		conn_pac_answered(c, NULL, "the PAC evaluation timed out");
		break;
	case CS_RESOLVE:
		if (c->krb_wait) {
			upstream_krb_timeout(c);
			break;
		}
		snprintf(why, sizeof(why), "looking up %s timed out",
		    c->hop_host);
		upstream_fail(c, 504, why);
		break;
	case CS_CONNECT:
		snprintf(why, sizeof(why), "connecting to %s timed out",
		    c->upstream);
		upstream_fail(c, 504, why);
		break;
	case CS_EXCHANGE:
		snprintf(why, sizeof(why), "%s did not answer in time",
		    c->upstream);
		conn_close(c, 504, why);
		break;
	default:
		conn_close(c, 0, "idle timeout");
		break;
	}
}

/* c was accepted on a --tunnel port: a CONNECT from the start. */
static void
tunnel_listener_start(struct conn *c, const struct listener *l)
{
	tunnel_start(c, &c->w->cfg->tunnels[l->tunnel]);
}

/* Reading from the server failed: an idempotent request that found a
 * reused connection gone goes again (request_retry), else the client
 * learns why. */
static void
http_server_lost(struct conn *c)
{
	if (request_retry(c))
		return;		/* c goes on elsewhere */
	if (!c->sent_head)
		conn_close(c, 502, c->server_reused ?
		    "the server reset a reused connection" :
		    "the server reset the connection");
	else
		conn_close(c, 0, "server read error");
}

/* Closing with an error before any answer: ours goes out first. */
static int
http_answer(struct conn *c, int status, const char *why)
{
	return conn_answer(c, status, why);
}

/* ---------------------------------------------------- transparent ports */

/*
 * A --transparent-listen client was sent here by the firewall (REDIRECT)
 * and thinks it talks to its server. Its first bytes say what it is: an
 * HTTP request goes where its Host says (checked against the address the
 * client connected to, unless --transparent-trust-host), through the
 * same routing as any request; anything else (TLS, whose ClientHello
 * names the server for the log, or bytes of another protocol) is a
 * tunnel to that address. A connection whose destination is the proxy
 * itself would loop: refused, 508 for HTTP.
 */
#define TRANSPARENT_WAIT_MS	3000	/* a client silent this long: the
					   server speaks first (a tunnel) */

static void
transparent_listener_start(struct conn *c, const struct listener *l)
{
	char why[WHY_MAX], hp[80];

	(void)l;
	c->transparent = 1;
	if (conn_original_dst(c, &c->orig, why, sizeof(why)) == -1) {
		log_debug("%s: %s", c->peer, why);
		c->orig_loop = "the connection was not redirected to this "
		    "transparent port by the firewall: it has no other "
		    "destination than the proxy itself";
	} else {
		addr_format((struct sockaddr *)&c->orig.ss, hp, sizeof(hp));
		if (parse_hostport(hp, strlen(hp), c->orig_host,
		    sizeof(c->orig_host), &c->orig_port, 0) == -1)
			c->orig_loop = "its original destination is no "
			    "address";
		else if (conn_is_self(c->w, (struct sockaddr *)&c->orig.ss))
			c->orig_loop = "its original destination is the "
			    "proxy itself (not redirected, or redirected to "
			    "a port of the proxy's own)";
		/* the address the client connected to, for a PROXY header
		 * to a parent */
		c->local_addr = c->orig;
	}
	c->deadline = c->w->now + TRANSPARENT_WAIT_MS;
}

/* The first bytes are not HTTP: a tunnel to the original destination. */
static void
transparent_tunnel(struct conn *c, int tls, const char *sni)
{
	if (c->orig_loop != NULL) {
		log_warnx("%s: transparent: %s; closing", c->peer,
		    c->orig_loop);
		conn_close(c, 0, NULL);
		return;
	}
	c->transparent = 2;
	log_debug("%s: transparent: %s to %s:%u%s%s", c->peer, tls ?
	    "TLS" : "bytes that are not HTTP", c->orig_host, c->orig_port,
	    sni[0] != '\0' ? ", SNI " : "", sni);
	c->sent_head = 1;	/* no HTTP answer can reach this client */
	/* the server name goes where the access line has the path */
	strlcpy_p(c->path, sni, sizeof(c->path));
	conn_http_tunnel(c, tls ? "TLS" : "TUNNEL", c->orig_host,
	    c->orig_port);
}

/*
 * What the first bytes are. 1: an HTTP request (the HTTP exchange takes
 * it), 0: not known yet, -1: it went on as a tunnel, or was closed. With
 * force (the wait is over), bytes that are not the start of an HTTP
 * head go as a tunnel without waiting for more.
 */
static int
transparent_sniff(struct conn *c, int force)
{
	size_t max = (size_t)c->w->cfg->max_header_size, len;
	char *p = buf_rptr(&c->client.in, &len), sni[HOST_MAX];
	int r;

	if (len > 0 || force) {
		r = len == 0 ? -1 : http_parse_request(p, len, max,
		    &c->req.scan, &c->w->head);
		if (r > 0) {
			c->transparent = 2;
			c->req.scan = 0;	/* request_head parses it */
			return 1;
		}
		if (r == 0 && !c->client.eof) {
			if (force)
				return 0;
			if (head_grow(&c->client.in, max) == -1) {
				conn_close(c, 500, "out of memory for a request "
				    "head");
				return -1;
			}
			return 0;
		}
		r = len == 0 ? -1 : sni_parse((const unsigned char *)p, len,
		    sni, sizeof(sni));
		if (r == 0 && !force && !c->client.eof &&
		    len < c->client.in.cap)
			return 0;	/* the rest of the ClientHello */
		c->req.scan = 0;
		transparent_tunnel(c, r == 1, r == 1 ? sni : "");
		return -1;
	}
	if (c->client.eof)
		conn_close(c, 0, "client closed");
	return c->client.eof ? -1 : 0;
}

static void
transparent_run(struct conn *c)
{
	if (c->transparent == 1 && c->state == CS_HEAD &&
	    transparent_sniff(c, 0) <= 0)
		return;
	conn_run(c);
}

static void
transparent_timeout(struct conn *c)
{
	/* silent, or not HTTP and no more coming: a tunnel; a slow HTTP
	 * head: 408 as anywhere */
	if (c->transparent == 1 && c->state == CS_HEAD &&
	    transparent_sniff(c, 1) != 0)
		return;
	http_timeout(c);
}

/* The request's target on a transparent port: its Host (missing, as
 * from an HTTP/1.0 client: the original destination), at the port the
 * client connected to. */
static int
transparent_target(struct conn *c, const char *buf,
    const struct http_head *h, const char **why)
{
	int trust = c->w->cfg->transparent_trust_host;
	uint16_t port;

	c->origin_tls = 0;
	if (h->form != HTTP_FORM_ORIGIN) {
		*why = "a transparent port takes origin-form requests (GET "
		    "/path with a Host header); configure the proxy's own "
		    "port in a client instead";
		return 400;
	}
	if (!(h->flags & HTTP_F_HAS_HOST) || h->host_field.len == 0) {
		strlcpy_p(c->host, c->orig_host, sizeof(c->host));
		c->port = c->orig_port;
		return 0;
	}
	if (parse_hostport(buf + h->host_field.off, h->host_field.len,
	    c->host, sizeof(c->host), &port, trust ? 80 : c->orig_port) == -1 ||
	    c->host[0] == '\0' || port == 0) {
		*why = "the Host header is not host[:port]";
		return 400;
	}
	c->port = port;
	if (!trust && c->orig_loop == NULL && port != c->orig_port) {
		*why = "the Host header names another port than the one the "
		    "connection was for (--transparent-trust-host goes by Host "
		    "alone)";
		return 403;
	}
	return 0;
}

/* The lookup of a transparent request's Host is in: it must name the
 * address the client connected to. c's lookup hook. */
static void
transparent_host_checked(void *arg, const struct dns_result *res)
{
	struct conn *c = arg;
	char why[WHY_MAX], ip[64];
	size_t i;

	if (c->dead)
		return;
	conn_changed(c);
	c->host_check = 0;
	if (res->error != 0) {
		snprintf(why, sizeof(why), "cannot resolve the Host %s to check "
		    "it: %s", c->host, dns_strerror(res->error));
		conn_close(c, 502, why);
		return;
	}
	for (i = 0; i < res->n; i++) {
		if (inet_ntop(res->addrs[i].family, res->addrs[i].a, ip,
		    sizeof(ip)) != NULL && strcmp(ip, c->orig_host) == 0) {
			c->dial_orig = 1;
			request_route(c);
			return;
		}
	}
	snprintf(why, sizeof(why), "the Host %s does not resolve to %s, the "
	    "address the client connected to (--transparent-trust-host goes "
	    "by Host alone)", c->host, c->orig_host);
	conn_close(c, 403, why);
}

/* Checks a transparent request's Host (unless --transparent-trust-host),
 * then routes it. */
static void
transparent_host_check(struct conn *c)
{
	struct dns_result res;
	int r;

	if (c->w->cfg->transparent_trust_host) {
		request_route(c);
		return;
	}
	c->host_check = 1;
	c->state = CS_RESOLVE;
	c->deadline = c->w->now + c->w->cfg->socktimeout * 1000;
	r = dns_lookup(c->w->dns, c->host, c->w->now, transparent_host_checked,
	    c, &res);
	if (r == 1)
		transparent_host_checked(c, &res);
	else if (r == -1)
		conn_close(c, 502, "the resolver is busy or gone");
}

const struct conn_ops conn_transparent_ops = {
	transparent_listener_start, transparent_run, transparent_timeout,
	http_answer, conn_connected, upstream_fail, http_server_lost, NULL, 0
};

const struct conn_ops conn_http_ops = {
	NULL, conn_run, http_timeout, http_answer, conn_connected,
	upstream_fail, http_server_lost, NULL, 0
};

const struct conn_ops conn_tunnel_ops = {
	tunnel_listener_start, conn_run, http_timeout, http_answer,
	conn_connected, upstream_fail, http_server_lost, NULL, 0
};
