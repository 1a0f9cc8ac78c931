/*
 * upstream.c: reaching the next hop: route choice (PAC answers,
 * --noproxy, parents and their failover), a pooled connection or a
 * lookup and conn_connect(), and the parent handshakes (NTLM, SOCKS5),
 * --magic.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "proxy.h"

static void resolved(void *, const struct dns_result *);
static enum auth_scheme first_scheme(struct conn *);
static int krb_ready(struct conn *);
static unsigned auth_offers(const char *, const struct http_head *,
    const char *, const char **, size_t *);
static const char *offers_list(unsigned, char *, size_t);








/* ------------------------------------------------------------ routing */

static int64_t *
down_slot(struct worker *w, const char *name, int create)
{
	size_t i, n = sizeof(w->down) / sizeof(w->down[0]), oldest = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(w->down[i].name, name) == 0)
			return &w->down[i].until;
		if (w->down[i].until < w->down[oldest].until)
			oldest = i;
	}
	if (!create)
		return NULL;
	strlcpy_p(w->down[oldest].name, name, sizeof(w->down[oldest].name));
	return &w->down[oldest].until;
}

static int
hop_down(struct worker *w, const struct hop *h)
{
	int64_t *until = down_slot(w, h->name, 0);

	return until != NULL && *until > w->now;
}

/* The first hop not tried yet for this request and not marked down; when
 * all that are left are down, the first of those anyway. */
static int
hop_pick(struct conn *c)
{
	int i, fallback = -1;

	for (i = 0; i < (int)c->nhops && i < 32; i++) {
		if (c->tried & (1u << i))
			continue;
		if (c->hops[i].kind == HOP_DIRECT || !hop_down(c->w, &c->hops[i]))
			return i;
		if (fallback == -1)
			fallback = i;
	}
	return fallback;
}

/* The pool key: what makes a connection reusable for c's request. A
 * TLS connection (to the hop, or to the origin through a SOCKS5 hop or
 * a parent's tunnel) is never taken for a plain one, nor the other way
 * round. POOL_KEY_MAX holds the longest key, so none is ever cut. */
static void
hop_key(struct conn *c, const char *prefix, const char *host, uint16_t port)
{
	size_t n;

	http_hostport(c->upstream, sizeof(c->upstream), prefix, host, port);
	n = strlen(c->upstream);
	if (c->hop_tls || c->origin_tls)
		snprintf(c->upstream + n, sizeof(c->upstream) - n, " (TLS)");
}

/*
 * --send-proxy-protocol: a parent connection starts with a header that
 * names one client, so it may carry only that client's requests later:
 * the pool key names the client's address. Its port in the header is the
 * one of the client connection that opened it; a later connection of
 * the same client (another port) may reuse it, so the parent sees the
 * right address on every request, if not always the right port.
 */
static void
key_client(struct conn *c)
{
	char peer[64];
	size_t n = strlen(c->upstream);
	char *colon;

	if (!c->send_pp)
		return;
	addr_format((const struct sockaddr *)&c->peer_addr.ss, peer,
	    sizeof(peer));
	if ((colon = strrchr(peer, ':')) != NULL)
		*colon = '\0';
	snprintf(c->upstream + n, sizeof(c->upstream) - n, " for %s", peer);
}

int
conn_via_parent(const struct conn *c)
{
	return c->hop != NULL && c->hop->kind == HOP_HTTP && !c->origin_tls;
}

int
conn_parent_tunnel(const struct conn *c)
{
	return c->hop != NULL && c->hop->kind == HOP_HTTP && c->origin_tls;
}

/* The hops a request may take, before any is tried: what the PAC file
 * said (set by the caller), else the parents unless --noproxy names the
 * host. An empty list means the origin. */
static void
hops_choose(struct conn *c)
{
	const struct config *cfg = c->w->cfg;

	if (c->hops != NULL && c->hops != cfg->parents)
		return;		/* the PAC file's answer */
	if (cfg->nparents == 0 || netlist_match_host(&cfg->noproxy, c->host)) {
		c->hops = NULL;
		c->nhops = 0;
	} else {
		c->hops = cfg->parents;
		c->nhops = cfg->nparents;
	}
}

/* The key of a connection to an HTTP parent: "parent host:port", its
 * login's user when the client logged in (--ntlm-to-basic), and for a
 * tunnel through it the origin too (" to host:port (TLS)"), as that
 * connection is then bound to its origin. */
static void
parent_key(struct conn *c)
{
	char prefix[POOL_KEY_MAX];
	size_t n;

	if (c->creds != NULL) {
		/* a login belongs to one user and password: so does its
		 * pooled connection (the key holds part of the NT hash, so a
		 * wrong password never rides on someone's good login) */
		const unsigned char *nt = c->creds->nt;

		snprintf(prefix, sizeof(prefix), "parent %s\\%s#%02x%02x%02x"
		    "%02x%02x%02x%02x%02x@", c->creds->domain, c->creds->user,
		    nt[0], nt[1], nt[2], nt[3], nt[4], nt[5], nt[6], nt[7]);
	} else
		snprintf(prefix, sizeof(prefix), "parent ");
	if (!conn_parent_tunnel(c)) {
		hop_key(c, prefix, c->hop->host, c->hop->port);
		return;
	}
	n = strlen(prefix);
	snprintf(prefix + n, sizeof(prefix) - n, "%s to ", c->hop->name);
	hop_key(c, prefix, c->host, c->port);
}

int
upstream_route(struct conn *c)
{
	int i;

	if (c->tried == 0)
		hops_choose(c);
	if (c->nhops == 0) {
		if (c->tried != 0)
			return -1;
		c->tried = 1;
		c->hop = NULL;
	} else {
		if ((i = hop_pick(c)) == -1)
			return -1;
		c->tried |= 1u << i;
		c->hop = &c->hops[i];
	}
	c->route = c->hops != NULL && c->hops == c->pac_hops ? ROUTE_PAC :
	    c->hop == NULL || c->hop->kind == HOP_DIRECT ? ROUTE_DIRECT :
	    ROUTE_PARENT;
	/* TLS at TCP connect: to an https:// origin reached directly, or
	 * to an https:// parent (through a SOCKS5 hop, TLS to the origin
	 * goes once the tunnel stands) */
	c->hop_tls = c->hop == NULL || c->hop->kind == HOP_DIRECT ?
	    c->origin_tls : c->hop->kind == HOP_HTTP && c->hop->tls;
	c->send_pp = c->hop != NULL && c->hop->kind == HOP_HTTP ?
	    (int)c->w->cfg->send_proxy_protocol : 0;
	if (c->hop == NULL || c->hop->kind == HOP_DIRECT) {
		/* a transparent client's checked Host: reached at the
		 * address it was sent to, not wherever the name leads now */
		strlcpy_p(c->hop_host, c->dial_orig ? c->orig_host : c->host,
		    sizeof(c->hop_host));
		c->hop_port = c->port;
		hop_key(c, "", c->host, c->port);
		return 0;
	}
	strlcpy_p(c->hop_host, c->hop->host, sizeof(c->hop_host));
	c->hop_port = c->hop->port;
	if (c->hop->kind == HOP_SOCKS5) {
		/* a SOCKS5 connection is bound to its destination */
		char prefix[HOST_MAX + 32];

		snprintf(prefix, sizeof(prefix), "socks5 %s to ", c->hop->name);
		hop_key(c, prefix, c->host, c->port);
	} else
		parent_key(c);
	key_client(c);
	return 0;
}

/* The plugins' upstream hooks, before c connects to its hop: one may
 * refuse, or send c straight to another host and port (its request
 * then goes as to the origin); -1 when c was closed. */
static int
upstream_plugins(struct conn *c)
{
	struct plugin_call pc;
	enum plugin_verdict v;
	size_t who;

	if (conn_plugin_call(c, &pc) == -1) {
		conn_close(c, 500, "out of memory for the plugins");
		return -1;
	}
	pc.hop = c->hop != NULL && c->hop->kind != HOP_DIRECT ? c->hop->name :
	    NULL;
	if ((v = plugins_run(c->w->cfg, c->pl, PLUGIN_HOOK_UPSTREAM, &pc,
	    &who)) != PLUGIN_PASS) {
		conn_plugin_stop(c, &pc, who, v, 500);
		return -1;
	}
	if (pc.connect_host[0] == '\0')
		return 0;
	log_debug("%s: plugin: connecting to %s port %u instead of %s",
	    c->peer, pc.connect_host, pc.connect_port ? pc.connect_port :
	    c->port, c->hop_host);
	c->hop = NULL;
	c->route = ROUTE_DIRECT;
	c->hop_tls = c->origin_tls;
	strlcpy_p(c->hop_host, pc.connect_host, sizeof(c->hop_host));
	c->hop_port = pc.connect_port ? pc.connect_port : c->port;
	hop_key(c, "", c->hop_host, c->hop_port);
	return 0;
}

void
upstream_start(struct conn *c)
{
	int r;

	if (c->pl != NULL && upstream_plugins(c) == -1)
		return;
	c->ptunnel = PTUNNEL_NONE;
	if (conn_parent_tunnel(c) && c->hop->tls) {
		/* TLS to the origin inside TLS to the parent: an endpoint
		 * has one engine */
		char why[WHY_MAX];

		snprintf(why, sizeof(why), "TLS to %s:%u through the https:// "
		    "parent %s (TLS inside TLS) is not supported: %s",
		    c->host, c->port, c->hop->name, c->intercepted ? "name the "
		    "host in --no-intercept" : "use CONNECT host:443 and TLS "
		    "through the tunnel");
		conn_close(c, 502, why);
		return;
	}
	if ((c->method != HTTP_CONNECT || conn_via_parent(c)) && !c->fresh) {
		if (conn_pool_take(c->w, c->upstream, &c->server) == 0) {
			COUNT(c->w, pool_reuses, 1);
			c->server_reused = 1;
			c->ops->connected(c);
			return;
		}
	}
	c->server_reused = 0;
	/* a login to the parent, for our own CONNECT (TLS to the origin)
	 * as for a request sent through it */
	if ((conn_via_parent(c) || conn_parent_tunnel(c)) &&
	    upstream_auth_probes(c->w->cfg)) {
		if (!c->auth_switched)
			c->auth_scheme = first_scheme(c);
		if (c->auth_scheme == SCHEME_KERBEROS && krb_ready(c) == 0)
			return;		/* the Kerberos process answers */
		if (c->dead)
			return;
	}
	c->state = CS_RESOLVE;
	c->deadline = c->w->now + c->w->cfg->socktimeout * 1000;
	r = dns_lookup(c->w->dns, c->hop_host, c->w->now, resolved, c,
	    &c->addrs);
	if (r == 2)
		COUNT(c->w, dns_hits, 1);
	if (r >= 1)
		resolved(c, &c->addrs);
	else if (r == -1)
		conn_close(c, 502, "the resolver is busy or gone");
}

void
upstream_fail(struct conn *c, int status, const char *why)
{
	int parent = c->hop != NULL && c->hop->kind != HOP_DIRECT;

	if (c->state == CS_RESOLVE)
		dns_cancel(c->w->dns, c);
	conn_connect_abort(c);
	ep_close(&c->server);
	COUNT(c->w, connect_failures, 1);
	if (parent)
		*down_slot(c->w, c->hop->name, 1) = c->w->now +
		    PARENT_DOWN_S * 1000;
	if (upstream_route(c) == -1) {
		conn_close(c, status, why);
		return;
	}
	if (parent)
		COUNT(c->w, failovers, 1);
	log_warnx("%s; trying %s", why, c->hop == NULL ||
	    c->hop->kind == HOP_DIRECT ? "directly" : c->hop->name);
	upstream_start(c);
}



/* The hop's addresses are known: connect to them. c's lookup hook, and
 * called at once for an answer dns_lookup already had. */
static void
resolved(void *arg, const struct dns_result *res)
{
	struct conn *c = arg;
	char why[WHY_MAX];

	if (c->dead)
		return;
	conn_changed(c);
	if (res->error != 0) {
		snprintf(why, sizeof(why), "cannot resolve %s: %s",
		    c->hop_host, dns_strerror(res->error));
		upstream_fail(c, 502, why);
		return;
	}
	if (&c->addrs != res)
		c->addrs = *res;
	conn_connect(c);
}






/* ---------------------------------------------------------- NTLM login */

/* The client challenge: eight bytes from the system's generator. */
static void
random_bytes(unsigned char *out, size_t n)
{
	static uint64_t mix;
	size_t i;
	int fd;

	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) != -1) {
		ssize_t r = read(fd, out, n);

		fd_close(&fd);
		if (r == (ssize_t)n)
			return;
	}
	/* no /dev/urandom: a weak but varying fallback */
	mix += (uint64_t)now_ms() * 6364136223846793005ULL +
	    (uint64_t)getpid();
	for (i = 0; i < n; i++) {
		mix = mix * 6364136223846793005ULL + 1442695040888963407ULL;
		out[i] = (unsigned char)(mix >> 56);
	}
}

/* The credentials for c's parent login: the client's own with
 * --ntlm-to-basic, else the configured ones. */
static const struct ntlm_creds *
parent_creds(const struct conn *c)
{
	return c->creds != NULL ? c->creds : &c->w->cfg->creds;
}

/* The Proxy-Authorization scheme of each enum auth_scheme. */
static const char *const scheme_names[] = {
	"NTLM", "Negotiate", "Negotiate", "Basic"
};

#define OFFER(s)	(1u << (s))

/* The parent's remembered scheme slot; created (taking the oldest
 * slot round-robin) only when asked. */
static enum auth_scheme *
scheme_slot(struct worker *w, const char *name, int create)
{
	size_t i, n = sizeof(w->schemes) / sizeof(w->schemes[0]);

	for (i = 0; i < n; i++)
		if (strcmp(w->schemes[i].name, name) == 0)
			return &w->schemes[i].scheme;
	if (!create)
		return NULL;
	i = w->scheme_next++ % n;
	strlcpy_p(w->schemes[i].name, name, sizeof(w->schemes[i].name));
	return &w->schemes[i].scheme;
}

void
upstream_auth_worked(struct conn *c)
{
	static const char *const said[] = { "NTLM", "NTLM inside Negotiate",
	    "Kerberos (Negotiate)", "Basic" };
	enum auth_scheme *s;

	if (c->hop == NULL)
		return;
	s = scheme_slot(c->w, c->hop->name, 0);
	if (s == NULL || *s != c->auth_scheme || c->auth_switched)
		log_info("parent %s: logged in with %s", c->hop->name,
		    said[c->auth_scheme]);
	if (s == NULL)
		s = scheme_slot(c->w, c->hop->name, 1);
	*s = c->auth_scheme;
}

const char *
upstream_auth_name(const struct conn *c, char *buf, size_t size)
{
	const struct config *cfg = c->w->cfg;

	if (cfg->auth == AUTH_BASIC || c->auth_scheme == SCHEME_BASIC)
		snprintf(buf, size, "Basic");
	else if (c->auth_scheme == SCHEME_KERBEROS)
		snprintf(buf, size, "Kerberos (Negotiate)");
	else if (cfg->auth == AUTH_KERBEROS)
		snprintf(buf, size, "Kerberos");
	else
		snprintf(buf, size, "%s%s", ntlm_dialect_name(cfg->dialect),
		    c->auth_scheme == SCHEME_NEGOTIATE_NTLM ?
		    " inside Negotiate" : "");
	return buf;
}

/* ------------------------------------------------------ Kerberos login */

int
upstream_auth_probes(const struct config *cfg)
{
	return cfg->auth == AUTH_NTLM || cfg->auth == AUTH_KERBEROS ||
	    cfg->auth == AUTH_ANY;
}

static int
krb_resting(const struct worker *w)
{
	return w->krb_down > w->now;
}

/* The scheme a new connection to c's parent starts with: Kerberos for
 * --auth NEGOTIATE; else what logged in to it before; else, for ANY,
 * Kerberos unless it failed a moment ago; else NTLM. */
static enum auth_scheme
first_scheme(struct conn *c)
{
	const struct config *cfg = c->w->cfg;
	enum auth_scheme *known = scheme_slot(c->w, c->hop->name, 0);

	if (cfg->auth == AUTH_KERBEROS)
		return SCHEME_KERBEROS;
	if (known != NULL && (*known != SCHEME_KERBEROS ||
	    !krb_resting(c->w)))
		return *known;
	if (cfg->auth == AUTH_ANY && gss_available() && !krb_resting(c->w))
		return SCHEME_KERBEROS;
	/* ANY in a build without NTLM: Basic is all that is left */
	return WITH_NTLM || cfg->auth != AUTH_ANY ? SCHEME_NTLM : SCHEME_BASIC;
}

/* The worker's Kerberos credential slot for host (create: the oldest
 * one when it has none). */
static int
krb_slot(struct worker *w, const char *host, int create)
{
	size_t i, n = sizeof(w->krb) / sizeof(w->krb[0]), old = 0;

	for (i = 0; i < n; i++) {
		if (strcmp(w->krb[i].host, host) == 0)
			return (int)i;
		if (w->krb[i].until < w->krb[old].until)
			old = i;
	}
	if (!create)
		return -1;
	gss_cred_free(w->krb[old].cred);
	w->krb[old].cred = NULL;
	strlcpy_p(w->krb[old].host, host, sizeof(w->krb[old].host));
	return (int)old;
}

/* Kerberos cannot be had: --auth NEGOTIATE tells the client; ANY rests
 * Kerberos (for good after a refused password) and goes on with NTLM.
 * 1 when c goes on, 0 when it was closed. */
static int
krb_unavailable(struct conn *c, const char *why, int permanent)
{
	struct worker *w = c->w;
	char msg[WHY_MAX];

	if (!krb_resting(w) || strcmp(w->krb_why, why) != 0)
		log_warnx("Kerberos for %s: %s%s", c->hop->name, why,
		    w->cfg->auth == AUTH_ANY ? "; using NTLM meanwhile" : "");
	w->krb_down = permanent ? INT64_MAX : w->now + GSS_DOWN_S * 1000;
	strlcpy_p(w->krb_why, why, sizeof(w->krb_why));
	if (w->cfg->auth == AUTH_ANY) {
		c->auth_scheme = first_scheme(c);
		return 1;
	}
	snprintf(msg, sizeof(msg), "no Kerberos login to the parent %s: %s",
	    c->hop->name, why);
	conn_close(c, 502, msg);
	return 0;
}

/* The Kerberos process answered c's query: keep the credential for the
 * host, and go on. */
static void
krb_answered(void *arg, const struct gss_answer *ans)
{
	struct conn *c = arg;
	struct worker *w = c->w;
	char why[WHY_MAX];
	int64_t life;
	int i;

	c->krb_wait = 0;
	if (c->dead)
		return;
	if (!ans->ok) {
		if (krb_unavailable(c, ans->why, ans->permanent))
			upstream_start(c);
		return;
	}
	i = krb_slot(w, c->hop_host, 1);
	if ((w->krb[i].cred = gss_cred_import(ans, why, sizeof(why))) ==
	    NULL) {
		w->krb[i].until = 0;
		if (krb_unavailable(c, why, 0))
			upstream_start(c);
		return;
	}
	/* asked again before the service ticket ends: a quarter of its
	 * life early, a minute at most */
	life = ans->lifetime * 1000;
	w->krb[i].until = w->now + life - (life / 4 < 60000 ? life / 4 :
	    60000);
	log_debug("Kerberos: a ticket for %s, good for %lld s",
	    ans->principal, (long long)ans->lifetime);
	upstream_start(c);
}

/* 1 when the worker holds a fresh credential for c's parent; else the
 * Kerberos process is asked (0) or Kerberos is out (1 with another
 * scheme, or 0 with c closed). */
static int
krb_ready(struct conn *c)
{
	struct worker *w = c->w;
	int i = krb_slot(w, c->hop_host, 0);

	if (i >= 0 && w->krb[i].cred != NULL && w->krb[i].until > w->now)
		return 1;
	if (krb_resting(w))
		return krb_unavailable(c, w->krb_why, w->krb_down ==
		    INT64_MAX);
	if (dns_gss_query(w->dns, c->hop_host, w->cfg->negotiate_canonical,
	    krb_answered, c) == -1)
		return krb_unavailable(c, "the resolver helper is busy or "
		    "gone", 0);
	c->krb_wait = 1;
	c->state = CS_RESOLVE;
	c->deadline = w->now + GSS_WAIT_S * 1000;
	return 0;
}

void
upstream_krb_timeout(struct conn *c)
{
	char why[128];

	dns_cancel(c->w->dns, c);
	c->krb_wait = 0;
	snprintf(why, sizeof(why), "the KDC did not answer within %d s",
	    GSS_WAIT_S);
	if (krb_unavailable(c, why, 0))
		upstream_start(c);
}

/* The Proxy-Authorization value of a new Kerberos login (malloc'd, its
 * context in c->gss), or NULL, logged. */
static char *
krb_token(struct conn *c)
{
	struct worker *w = c->w;
	size_t cap = (size_t)w->cfg->max_header_size;
	int i = krb_slot(w, c->hop_host, 0);
	char why[WHY_MAX], *out;

	if (i < 0 || w->krb[i].cred == NULL) {
		log_warnx("%s: no Kerberos credential for %s", c->peer,
		    c->hop->name);
		return NULL;
	}
	if ((out = malloc(cap)) == NULL)
		return NULL;
	gss_login_free(c->gss);
	if (gss_login_start(w->krb[i].cred, &c->gss, out, cap, why,
	    sizeof(why)) == -1) {
		log_warnx("%s: Kerberos for %s: %s", c->peer, c->hop->name,
		    why);
		free(out);
		return NULL;
	}
	return out;
}

/* The first token of scheme want in field name ("Proxy-Authenticate"
 * or "Proxy-Authentication-Info") of h, or NULL. */
static const char *
auth_token_in(const char *buf, const struct http_head *h, const char *name,
    const char *want, size_t *len)
{
	struct http_challenge hc;
	size_t pos;
	int i = -1;

	while ((i = http_find_field(buf, h, name, (size_t)(i + 1))) >= 0) {
		const struct http_span *v = &h->fields[i].value;

		pos = 0;
		while (http_auth_next(buf + v->off, v->len, &pos, &hc) == 1)
			if (hc.token != NULL && strncaseeq(hc.scheme,
			    hc.scheme_len, want)) {
				*len = hc.token_len;
				return hc.token;
			}
	}
	return NULL;
}

int
upstream_krb_check(struct conn *c, const char *buf, const struct http_head *h,
    char *why, size_t whysz)
{
	const char *tok;
	size_t len = 0;
	int r = 0;

	if (c->auth_scheme != SCHEME_KERBEROS || c->gss == NULL)
		return 0;
	/* squid answers in Proxy-Authentication-Info, others in
	 * Proxy-Authenticate */
	if ((tok = auth_token_in(buf, h, "Proxy-Authenticate", "Negotiate",
	    &len)) == NULL)
		tok = auth_token_in(buf, h, "Proxy-Authentication-Info",
		    "Negotiate", &len);
	if (tok != NULL)
		r = gss_login_finish(c->gss, tok, len, why, whysz);
	log_debug("%s: Kerberos login to %s: mutual authentication %s",
	    c->peer, c->hop->name, tok == NULL ? "not offered" : r == 0 ?
	    "checked" : "FAILED");
	gss_login_free(c->gss);
	c->gss = NULL;
	return r;
}

const char *
upstream_basic_for(const struct conn *c)
{
	const struct config *cfg = c->w->cfg;
	enum auth_scheme *known;

	if (!conn_via_parent(c) && c->ptunnel != PTUNNEL_ASKED)
		return NULL;
	if (cfg->auth == AUTH_BASIC)
		return cfg->basic;
	if (cfg->auth != AUTH_ANY || cfg->basic[0] == '\0')
		return NULL;
	known = scheme_slot(c->w, c->hop->name, 0);
	return (known != NULL && *known == SCHEME_BASIC) ||
	    c->auth_scheme == SCHEME_BASIC ? cfg->basic : NULL;
}

/* The parent answered our Kerberos token with a 407: --auth NEGOTIATE
 * gives up (-1); ANY goes on with what it offers (1). */
static int
krb_refused(struct conn *c, const char *buf, const struct http_head *h,
    char *why, size_t whysz)
{
	const struct config *cfg = c->w->cfg;
	unsigned offers;
	const char *tok;
	size_t toklen;
	char list[64];

	gss_login_free(c->gss);
	c->gss = NULL;
	offers = auth_offers(buf, h, "Negotiate", &tok, &toklen);
	if (cfg->auth == AUTH_KERBEROS || c->auth_switched) {
		snprintf(why, whysz, "the parent %s refused the Kerberos login "
		    "for %s (it offers %s)", c->hop->name, c->hop_host,
		    offers_list(offers, list, sizeof(list)));
		return -1;
	}
	c->auth_scheme = offers & OFFER(SCHEME_NEGOTIATE_NTLM) ?
	    SCHEME_NEGOTIATE_NTLM : offers & OFFER(SCHEME_NTLM) ?
	    SCHEME_NTLM : SCHEME_BASIC;
	if (c->auth_scheme == SCHEME_BASIC && (!(offers & OFFER(SCHEME_BASIC))
	    || cfg->basic[0] == '\0')) {
		snprintf(why, whysz, "the parent %s refused Kerberos and "
		    "offers %s: nothing else to log in with", c->hop->name,
		    offers_list(offers, list, sizeof(list)));
		return -1;
	}
	log_info("%s: parent %s did not take Kerberos (it offers %s): "
	    "going on with %s", c->peer, c->hop->name, offers_list(offers,
	    list, sizeof(list)), c->auth_scheme == SCHEME_NEGOTIATE_NTLM ?
	    "NTLM inside Negotiate" : scheme_names[c->auth_scheme]);
	c->auth_switched = 1;
	return 1;
}

size_t
upstream_ntlm_probe(struct conn *c, char *dst, size_t cap)
{
	const struct config *cfg = c->w->cfg;
	struct http_out o = { dst, 0, cap, 0 };
	char t1[512], *tok = t1;

	if (c->auth_scheme == SCHEME_KERBEROS)
		tok = krb_token(c);
	else if (ntlm_http_type1(scheme_names[c->auth_scheme], cfg->dialect,
	    0, parent_creds(c)->domain, parent_creds(c)->workstation, t1,
	    sizeof(t1)) < 0)
		return 0;
	if (tok == NULL)
		return 0;
	/* a request without a body; HEAD for anything but CONNECT, so a
	 * parent that wants no login forwards nothing harmful */
	if (c->method == HTTP_CONNECT || conn_parent_tunnel(c)) {
		http_out_str(&o, "CONNECT ");
		http_out_hostport(&o, c->host, c->port, 0);
	} else {
		http_out_str(&o, "HEAD http://");
		http_out_hostport(&o, c->host, c->port, 0);
		http_out_str(&o, c->path[0] == '/' ? c->path : "/");
	}
	http_out_str(&o, " HTTP/1.1\r\nHost: ");
	http_out_hostport(&o, c->host, c->port, 0);
	http_out_str(&o, "\r\nProxy-Authorization: ");
	http_out_str(&o, tok);
	http_out_str(&o, "\r\nProxy-Connection: keep-alive\r\n\r\n");
	if (tok != t1)
		free(tok);
	if (o.overflow)
		log_warnx("%s: the login to %s does not fit in a request head "
		    "under --max-header-size", c->peer, c->hop->name);
	return o.overflow ? 0 : o.len;
}

/*
 * The schemes the parent's 407 offers (OFFER bits) and the token of the
 * first challenge in scheme name want that carries one (*tok NULL: none).
 * Every Proxy-Authenticate field is read, each may hold several
 * challenges; a malformed one ends its field.
 */
static unsigned
auth_offers(const char *buf, const struct http_head *h, const char *want,
    const char **tok, size_t *toklen)
{
	struct http_challenge hc;
	unsigned offers = 0;
	size_t s, pos;
	int i = -1;

	*tok = NULL;
	*toklen = 0;
	while ((i = http_find_field(buf, h, "Proxy-Authenticate",
	    (size_t)(i + 1))) >= 0) {
		const struct http_span *v = &h->fields[i].value;

		pos = 0;
		while (http_auth_next(buf + v->off, v->len, &pos, &hc) == 1) {
			for (s = 0; s < sizeof(scheme_names) /
			    sizeof(scheme_names[0]); s++)
				if (strncaseeq(hc.scheme, hc.scheme_len,
				    scheme_names[s]))
					offers |= OFFER(s);
			if (*tok == NULL && hc.token != NULL &&
			    strncaseeq(hc.scheme, hc.scheme_len, want)) {
				*tok = hc.token;
				*toklen = hc.token_len;
			}
		}
	}
	/* Negotiate carries either NTLM or Kerberos: one offer is both */
	if (offers & OFFER(SCHEME_NEGOTIATE_NTLM))
		offers |= OFFER(SCHEME_KERBEROS);
	return offers;
}

/* "NTLM, Negotiate": the schemes in offers, for messages. */
static const char *
offers_list(unsigned offers, char *buf, size_t size)
{
	static const enum auth_scheme shown[] = { SCHEME_NTLM,
	    SCHEME_NEGOTIATE_NTLM, SCHEME_BASIC };
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if ((offers & OFFER(shown[i])) && len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
			    len ? ", " : "", scheme_names[shown[i]]);
	return len ? buf : "no scheme we know";
}

/*
 * Finds the NTLM challenge in a 407 for the scheme *scheme and writes
 * the Type 3 header value to out: 0; or, when the parent offers NTLM
 * only in the other scheme and may_switch, 1 with *scheme switched; -1
 * with why filled when it cannot.
 */
static int
ntlm_type3_from(const struct config *cfg, const struct ntlm_creds *creds,
    enum auth_scheme *scheme, int may_switch, const char *buf,
    const struct http_head *h, const char *parent, char *out, size_t outsz,
    char *why, size_t whysz)
{
	unsigned char t2[NTLM_MSG_MAX], cchal[8];
	enum auth_scheme other = *scheme == SCHEME_NTLM ?
	    SCHEME_NEGOTIATE_NTLM : SCHEME_NTLM;
	const char *name = scheme_names[*scheme], *tok, *err = NULL;
	struct ntlm_challenge ch;
	unsigned offers;
	size_t toklen;
	char list[64];

	offers = auth_offers(buf, h, name, &tok, &toklen);
	if (tok == NULL) {
		if (may_switch && !(offers & OFFER(*scheme)) &&
		    (offers & OFFER(other))) {
			*scheme = other;
			return 1;
		}
		snprintf(why, whysz, "parent %s sent no NTLM challenge in %s "
		    "(it offers %s)", parent, name, offers_list(offers, list,
		    sizeof(list)));
		return -1;
	}
	if (ntlm_http_token(tok, toklen, t2, sizeof(t2), &ch) != 1) {
		snprintf(why, whysz, "parent %s answered the NTLM Type 1 in %s "
		    "with no usable challenge: %s", parent, name, ch.error ?
		    ch.error : "malformed");
		return -1;
	}
	random_bytes(cchal, sizeof(cchal));
	if (ntlm_http_type3(name, creds, cfg->dialect, &ch, cchal,
	    ntlm_filetime(time(NULL)), out, outsz, &err) < 0) {
		snprintf(why, whysz, "cannot answer the NTLM challenge: %s",
		    err ? err : "message too large");
		return -1;
	}
	return 0;
}

int
upstream_ntlm_answer(struct conn *c, const char *buf,
    const struct http_head *h, char *why, size_t whysz)
{
	const struct config *cfg = c->w->cfg;
	char t3[NTLM_MSG_MAX * 2];
	enum auth_scheme was = c->auth_scheme;
	const char *tok;
	size_t toklen;
	int r;

	if (c->auth_scheme == SCHEME_KERBEROS)
		return krb_refused(c, buf, h, why, whysz);
	if ((r = ntlm_type3_from(cfg, parent_creds(c), &c->auth_scheme,
	    !c->auth_switched, buf, h, c->hop->name, t3, sizeof(t3), why,
	    whysz)) == -1) {
		/* ANY: a parent that offers Basic alone gets it */
		if (cfg->auth != AUTH_ANY || cfg->basic[0] == '\0' ||
		    !(auth_offers(buf, h, "Basic", &tok, &toklen) &
		    OFFER(SCHEME_BASIC)))
			return -1;
		log_info("%s: parent %s offers Basic and no NTLM: going on "
		    "with Basic", c->peer, c->hop->name);
		c->auth_scheme = SCHEME_BASIC;
		c->auth_switched = 1;
		return 1;
	}
	if (r == 1) {
		log_info("%s: parent %s offers no %s: the NTLM login goes "
		    "again %s", c->peer, c->hop->name, scheme_names[was],
		    c->auth_scheme == SCHEME_NTLM ? "as NTLM" :
		    "inside Negotiate");
		c->auth_switched = 1;
		return 1;
	}
	if ((c->auth_hdr = strdup(t3)) == NULL) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- magic */

/* --magic runs before any worker, where blocking is harmless: it talks
 * to the parent through fetch.c's blocking connections (TLS to an
 * https:// parent). An http:// URL is asked for with GET, an https://
 * one with CONNECT host:port, as a browser would. */

/* What --magic asks the parent for. */
struct magic_req {
	int		 connect;	/* CONNECT target, else GET target */
	const char	*target;	/* the URL, or host:port */
	const char	*host;		/* the Host field */
};

static int
magic_send(struct fetch_conn *fc, const struct magic_req *q,
    const char *auth)
{
	char req[NTLM_MSG_MAX * 3];
	int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: %s\r\n"
	    "Proxy-Authorization: %s\r\nProxy-Connection: keep-alive\r\n"
	    "\r\n", q->connect ? "CONNECT" : "GET", q->target, q->host, auth);

	if (n < 0 || (size_t)n >= sizeof(req))
		return -1;
	return fetch_write(fc, req, (size_t)n);
}

/* Reads a response head into buf and drops a body of known length. */
static int
magic_response(struct fetch_conn *fc, const struct magic_req *q, char *buf,
    size_t cap, struct http_head *h)
{
	size_t len = 0, scan = 0;
	uint64_t left;
	ssize_t n;
	int r = 0;

	while (r == 0 && len < cap) {
		if ((n = fetch_read(fc, buf + len, cap - len)) <= 0)
			return -1;
		len += (size_t)n;
		r = http_parse_response(buf, len, cap, &scan, q->connect ?
		    HTTP_CONNECT : HTTP_GET, h);
	}
	if (r <= 0)
		return -1;
	left = h->body == HTTP_BODY_LENGTH ? h->content_length : 0;
	left -= left < len - (size_t)r ? left : len - (size_t)r;
	while (left > 0) {
		char tmp[4096];

		if ((n = fetch_read(fc, tmp, left < sizeof(tmp) ? left :
		    sizeof(tmp))) <= 0)
			break;
		left -= (uint64_t)n;
	}
	return h->status;
}

/*
 * One dialect: Type 1, challenge, Type 3; the final status, -1, or -2
 * when the parent cannot be reached at all. The Type 1 goes as NTLM,
 * and again inside Negotiate (on a new connection) when the parent
 * offers only that; *scheme says which worked.
 */
static int
magic_try(struct config *cfg, const struct magic_req *q,
    enum auth_scheme *scheme, char *why, size_t whysz)
{
	const struct hop *p = &cfg->parents[0];
	static char buf[65536];
	static struct http_head h;
	char t1[512], t3[NTLM_MSG_MAX * 2];
	struct fetch_conn *fc;
	int r, round, status = -1;

	*scheme = SCHEME_NTLM;
	for (round = 0; round < 2; round++) {
		if ((fc = fetch_open(cfg, p->host, p->port, p->tls, why,
		    whysz)) == NULL)
			return -2;	/* no dialect can do better */
		status = -1;
		r = -1;
		if (ntlm_http_type1(scheme_names[*scheme], cfg->dialect, 0,
		    cfg->creds.domain, cfg->creds.workstation, t1,
		    sizeof(t1)) < 0 ||
		    magic_send(fc, q, t1) == -1 ||
		    (status = magic_response(fc, q, buf, sizeof(buf), &h)) ==
		    -1)
			snprintf(why, whysz, "no answer to the NTLM "
			    "negotiation");
		else if (status != 407)
			snprintf(why, whysz, "the parent asked for no login");
		else if ((r = ntlm_type3_from(cfg, &cfg->creds, scheme,
		    round == 0, buf, &h, p->name, t3, sizeof(t3), why,
		    whysz)) == 0) {
			if (magic_send(fc, q, t3) == -1 ||
			    (status = magic_response(fc, q, buf, sizeof(buf),
			    &h)) == -1)
				snprintf(why, whysz, "no answer to the "
				    "credentials");
			else
				snprintf(why, whysz, "%d %s%s", status,
				    http_reason(status), *scheme ==
				    SCHEME_NEGOTIATE_NTLM ? " (NTLM inside "
				    "Negotiate)" : "");
		} else
			status = -1;
		fetch_close(fc);
		if (r != 1)
			break;
	}
	return status;
}

static void
magic_hex(const char *label, const unsigned char h[16])
{
	int i;

	fputs(label, stdout);
	for (i = 0; i < 16; i++)
		printf("%02X", h[i]);
	if (label[0] != ' ')
		putchar('\n');
}

static void
magic_print(const struct config *cfg, enum ntlm_dialect d)
{
	static const struct { enum ntlm_dialect d; unsigned have; } need[] = {
		{ NTLM_NTLMV2, NTLM_HAVE_V2 },
		{ NTLM_NTLM2SR, NTLM_HAVE_NT },
		{ NTLM_NTLM, NTLM_HAVE_NT | NTLM_HAVE_LM },
		{ NTLM_NT, NTLM_HAVE_NT },
		{ NTLM_LM, NTLM_HAVE_LM },
	};
	const char *name = ntlm_dialect_name(d);
	unsigned have = 0;
	size_t i;

	for (i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (need[i].d == d)
			have = need[i].have;
	printf("\nConfig lines for %s (cntlm.conf keys, or flags):\n"
	    "Auth            %s\n", name, name);
	if (have & NTLM_HAVE_LM)
		magic_hex("PassLM          ", cfg->creds.lm);
	if (have & NTLM_HAVE_NT)
		magic_hex("PassNT          ", cfg->creds.nt);
	if (have & NTLM_HAVE_V2)
		magic_hex("PassNTLMv2      ", cfg->creds.v2);
	printf("--auth %s", name);
	if (have & NTLM_HAVE_LM)
		magic_hex(" --pass-lm ", cfg->creds.lm);
	if (have & NTLM_HAVE_NT)
		magic_hex(" --pass-nt ", cfg->creds.nt);
	if (have & NTLM_HAVE_V2)
		magic_hex(" --pass-ntlmv2 ", cfg->creds.v2);
	putchar('\n');
}

int
upstream_magic(const struct config *cfgp)
{
	/* cntlm 0.94's order: strongest first */
	static const enum ntlm_dialect order[] = { NTLM_NTLMV2, NTLM_NTLM,
	    NTLM_LM, NTLM_NT, NTLM_NTLM2SR };
	static struct config cfg;
	char host[HOST_MAX], hp[HOST_MAX + 8], why[WHY_MAX];
	const char *u = cfgp->magic, *auth;
	enum auth_scheme scheme;
	struct magic_req q;
	uint16_t port;
	size_t i, n;
	int status, tls;

	cfg = *cfgp;
	if (cfg.nparents == 0 || cfg.username == NULL ||
	    (cfg.creds.have & (NTLM_HAVE_LM | NTLM_HAVE_NT | NTLM_HAVE_V2)) !=
	    (NTLM_HAVE_LM | NTLM_HAVE_NT | NTLM_HAVE_V2)) {
		fprintf(stderr, "proxy: --magic needs --proxy, --username and "
		    "a password\n");
		return 2;
	}
	tls = strncasecmp(u, "https://", 8) == 0;
	auth = u + (tls ? 8 : 7);
	if ((!tls && strncasecmp(u, "http://", 7) != 0) ||
	    (n = strcspn(auth, "/?#")) == 0 || n >= sizeof(hp) ||
	    parse_hostport(auth, n, host, sizeof(host), &port, tls ? 443 :
	    80) == -1) {
		fprintf(stderr, "proxy: --magic: '%s' is not an http:// or "
		    "https:// URL\n", u);
		return 2;
	}
	if (tls) {
		http_hostport(hp, sizeof(hp), "", host, port);
		q.connect = 1;
		q.target = hp;
		q.host = hp;
	} else {
		memcpy(hp, auth, n);
		hp[n] = '\0';
		q.connect = 0;
		q.target = u;
		q.host = hp;
	}
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		cfg.dialect = order[i];
		if ((status = magic_try(&cfg, &q, &scheme, why,
		    sizeof(why))) == -2) {
			fprintf(stderr, "proxy: --magic: %s\n", why);
			return 1;
		}
		printf("%-8s %s\n", ntlm_dialect_name(order[i]), why);
		fflush(stdout);
		if (status > 0 && status != 407) {
			magic_print(&cfg, order[i]);
			if (scheme == SCHEME_NEGOTIATE_NTLM)
				printf("\nThe parent offers NTLM only inside "
				    "Negotiate: the proxy sends it so by "
				    "itself.\n");
			return 0;
		}
	}
	printf("\nNo dialect worked: check the user name, domain and "
	    "password.\n");
	return 1;
}

/* --------------------------------------------------------------- SOCKS5 */

/* RFC 1928 section 6 replies. */
static const char *const socks_errors[] = {
	"succeeded", "general SOCKS server failure",
	"connection not allowed by ruleset", "network unreachable",
	"host unreachable", "connection refused", "TTL expired",
	"command not supported", "address type not supported",
};

size_t
upstream_socks_greeting(const struct conn *c, unsigned char *out)
{
	out[0] = 5;
	if (c->hop->login != NULL) {
		out[1] = 2;
		out[2] = 0;	/* no authentication */
		out[3] = 2;	/* user/password, RFC 1929 */
		return 4;
	}
	out[1] = 1;
	out[2] = 0;
	return 3;
}

/* RFC 1929: version 1, user and password of up to 255 bytes each. */
static size_t
socks_login(const struct conn *c, unsigned char *out)
{
	const char *l = c->hop->login, *colon = strchr(l, ':');
	size_t ul = (size_t)(colon - l), pl = strlen(colon + 1);

	if (ul > 255 || pl > 255)
		return 0;
	out[0] = 1;
	out[1] = (unsigned char)ul;
	memcpy(out + 2, l, ul);
	out[2 + ul] = (unsigned char)pl;
	memcpy(out + 3 + ul, colon + 1, pl);
	return 3 + ul + pl;
}

/* CONNECT with the name, so the SOCKS server resolves it (or the
 * address, when the request named one). */
static size_t
socks_connect(const struct conn *c, unsigned char *out)
{
	unsigned char a[16];
	size_t n, hl = strlen(c->host);

	out[0] = 5;
	out[1] = 1;
	out[2] = 0;
	if (inet_pton(AF_INET, c->host, a) == 1) {
		out[3] = 1;
		memcpy(out + 4, a, 4);
		n = 8;
	} else if (inet_pton(AF_INET6, c->host, a) == 1) {
		out[3] = 4;
		memcpy(out + 4, a, 16);
		n = 20;
	} else {
		if (hl > 255)
			return 0;
		out[3] = 3;
		out[4] = (unsigned char)hl;
		memcpy(out + 5, c->host, hl);
		n = 5 + hl;
	}
	be16enc(out + n, c->port);
	return n + 2;
}

long
upstream_socks_reply(struct conn *c, const unsigned char *in, size_t len,
    unsigned char *out, size_t *outlen, char *why, size_t whysz)
{
	size_t need;

	*outlen = 0;
	switch (c->socks) {
	case SOCKS_GREETING:
		if (len < 2)
			return 0;
		if (in[0] != 5 || (in[1] != 0 && (in[1] != 2 ||
		    c->hop->login == NULL))) {
			snprintf(why, whysz, "SOCKS5 server %s accepts none of "
			    "our login methods", c->hop->name);
			return -1;
		}
		if (in[1] == 2) {
			c->socks = SOCKS_LOGIN;
			*outlen = socks_login(c, out);
		} else {
			c->socks = SOCKS_CONNECT;
			*outlen = socks_connect(c, out);
		}
		return *outlen == 0 ? (snprintf(why, whysz, "name or login "
		    "too long for SOCKS5"), -1) : 2;
	case SOCKS_LOGIN:
		if (len < 2)
			return 0;
		if (in[1] != 0) {
			snprintf(why, whysz, "SOCKS5 server %s refused the "
			    "login", c->hop->name);
			return -1;
		}
		c->socks = SOCKS_CONNECT;
		*outlen = socks_connect(c, out);
		return *outlen == 0 ? (snprintf(why, whysz, "name too long for "
		    "SOCKS5"), -1) : 2;
	case SOCKS_CONNECT:
		if (len < 5)
			return 0;
		if (in[0] != 5 || in[1] != 0) {
			snprintf(why, whysz, "SOCKS5 server %s: %s", c->hop->name,
			    in[0] != 5 ? "bad reply" : in[1] < 9 ?
			    socks_errors[in[1]] : "unknown error");
			return -1;
		}
		need = in[3] == 1 ? 10 : in[3] == 4 ? 22 : in[3] == 3 ?
		    7 + (size_t)in[4] : 0;
		if (need == 0) {
			snprintf(why, whysz, "SOCKS5 server %s: bad address "
			    "type", c->hop->name);
			return -1;
		}
		if (len < need)
			return 0;
		c->socks = SOCKS_DONE;
		return (long)need;
	default:
		return 0;
	}
}

/* --------------------------------------------- the SOCKS5 handshake */

/* Our SOCKS5 messages go ahead of the client's bytes, as the NTLM
 * negotiation does. */
static int
socks_send(struct conn *c, const unsigned char *msg, size_t n)
{
	if (buf_prepend(&c->client.in, msg, n, (size_t)(c->w->cfg->
	    max_header_size + c->w->cfg->client_bufsz)) == -1) {
		conn_close(c, 500, "out of memory");
		return -1;
	}
	c->req.fwd = n;
	return 0;
}

void
upstream_socks_begin(struct conn *c)
{
	unsigned char msg[4];

	c->socks = SOCKS_GREETING;
	c->req.flow = FLOW_HEAD;
	if (socks_send(c, msg, upstream_socks_greeting(c, msg)) == -1)
		return;
	c->state = CS_SOCKS;
	c->ops->run(c);
}

int
upstream_socks_step(struct conn *c)
{
	unsigned char out[600];
	char why[WHY_MAX];
	size_t len, outlen;
	char *p;
	long n;
	int progress = 0;

	if (ep_send(&c->server, &c->client.in, &c->req.fwd, &c->bytes_in,
	    &progress) == -1) {
		upstream_fail(c, 502, "the SOCKS5 server closed the connection");
		return 0;
	}
	if (c->req.fwd > 0)
		return progress;
	p = buf_rptr(&c->server.in, &len);
	if ((n = upstream_socks_reply(c, (unsigned char *)p, len, out, &outlen,
	    why, sizeof(why))) < 0) {
		upstream_fail(c, 502, why);
		return 0;
	}
	if (n == 0) {
		if (c->server.eof)
			upstream_fail(c, 502, "the SOCKS5 server closed the "
			    "connection");
		return progress;
	}
	buf_rack(&c->server.in, (size_t)n);
	if (outlen > 0)
		return socks_send(c, out, outlen) == 0;
	if (c->socks == SOCKS_DONE) {
		c->bytes_in = c->head_len;
		if (c->origin_tls)
			conn_tls_start(c, c->host, c->port);
		else
			c->ops->connected(c);
	}
	return 1;
}

