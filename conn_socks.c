/*
 * conn_socks.c: the SOCKS kind of connection (--socks5-listen): a SOCKS5
 * client's greeting, its RFC 1929 login and its request, or a SOCKS4 or
 * SOCKS4a request (the first byte tells which), on one port. The target
 * is then reached exactly as an HTTP CONNECT's is (conn_http_tunnel: PAC,
 * --noproxy, the parents and their logins, failover, --connect-ports), so
 * this file only speaks SOCKS to the client: the replies on the way in,
 * the success reply when the tunnel stands (tunnel_up), and a refusal
 * with the RFC 1928 code that says why (answer).
 *
 * The handshake is in CS_GREETING, bounded by one --socktimeout from
 * accept that no byte extends. Our short replies wait in server.in (not
 * in use before a server is) and are sent before the client's next
 * message is read.
 */
#include <sys/socket.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "proxy.h"

#define REFUSAL_LINGER_MS	2000	/* drain a client after a refusal */
#define LOGIN_OK		0	/* RFC 1929 status */
#define LOGIN_FAILED		1

/* The kind refuses at once, with the reply to send (a method, login or
 * request refusal per c->sk_phase) and the status the log shows. */
static void
socks_refuse(struct conn *c, int reply, int status, const char *why)
{
	c->sk_reply = reply;
	conn_close(c, status, why);
}

/* Queues bytes for the client; -1 when c was closed. */
static int
socks_say(struct conn *c, const unsigned char *msg, size_t n)
{
	if ((c->server.in.data == NULL && buf_init(&c->server.in,
	    (size_t)c->w->cfg->server_bufsz) == -1) ||
	    buf_put(&c->server.in, msg, n) == -1) {
		conn_close(c, 0, "out of memory for a SOCKS reply");
		return -1;
	}
	c->resp.fwd += n;
	return 0;
}

/* Consumes a message of n bytes from the client's buffer. */
static void
socks_took(struct conn *c, size_t n)
{
	buf_rack(&c->client.in, n);
	c->bytes_in += n;
}

/* The method for what the greeting offers: a login when --socks5-users
 * or --socks5-auth name any, else none; a denied client gets whatever
 * it offers (it is refused at its request, with the ruleset's code). */
static int
method_pick(const struct conn *c, unsigned offered)
{
	int login = c->w->cfg->nsocks_users > 0;

	if (c->denied)
		return offered & SOCKS5_OFFERS_NONE ? SOCKS5_METHOD_NONE :
		    offered & SOCKS5_OFFERS_LOGIN ? SOCKS5_METHOD_LOGIN :
		    SOCKS5_METHOD_REFUSED;
	if (login)
		return offered & SOCKS5_OFFERS_LOGIN ? SOCKS5_METHOD_LOGIN :
		    SOCKS5_METHOD_REFUSED;
	return offered & SOCKS5_OFFERS_NONE ? SOCKS5_METHOD_NONE :
	    SOCKS5_METHOD_REFUSED;
}

static long
hello5(struct conn *c, const unsigned char *p, size_t len)
{
	unsigned char out[2];
	const char *why = NULL;
	unsigned offered;
	long n;
	int m;

	if ((n = socks5_parse_greeting(p, len, &offered, &why)) == 0)
		return 0;
	if (n < 0) {
		conn_close(c, 400, why);
		return -1;
	}
	if ((m = method_pick(c, offered)) == SOCKS5_METHOD_REFUSED) {
		socks_took(c, (size_t)n);
		socks_refuse(c, SOCKS5_METHOD_REFUSED, c->w->cfg->nsocks_users ?
		    407 : 400, c->w->cfg->nsocks_users ? "the SOCKS5 client "
		    "offers no username/password login (RFC 1929), which "
		    "--socks5-auth/--socks5-users ask for" : "the SOCKS5 client "
		    "offers no acceptable method (this port takes no login)");
		return -1;
	}
	socks_took(c, (size_t)n);
	out[0] = 5;
	out[1] = (unsigned char)m;
	if (socks_say(c, out, 2) == -1)
		return -1;
	c->sk_phase = m == SOCKS5_METHOD_LOGIN ? SKI_LOGIN : SKI_REQUEST;
	return n;
}

static long
login(struct conn *c, const unsigned char *p, size_t len)
{
	static const unsigned char ok[2] = { 1, LOGIN_OK };
	const struct config *cfg = c->w->cfg;
	char user[SOCKS_NAME_MAX + 1], pass[SOCKS_NAME_MAX + 1];
	const char *why = NULL;
	int good;
	long n;

	if ((n = socks5_parse_login(p, len, user, pass, &why)) == 0)
		return 0;
	if (n < 0) {
		socks_refuse(c, LOGIN_FAILED, 400, why);
		return -1;
	}
	socks_took(c, (size_t)n);
	/* a denied client is refused at its request, whatever it says */
	good = c->denied || user_check(cfg->socks_users,
	    cfg->nsocks_users, user, pass);
	ntlm_wipe(pass, sizeof(pass));
	if (!good) {
		socks_refuse(c, LOGIN_FAILED, 407, "wrong SOCKS5 user name or "
		    "password");
		return -1;
	}
	if (socks_say(c, ok, sizeof(ok)) == -1)
		return -1;
	c->sk_phase = SKI_REQUEST;
	return n;
}

/* A whole request: refused here, or on its way as a CONNECT. */
static void
request_go(struct conn *c, const struct socks_request *r)
{
	int v5 = r->version == 5;

	strlcpy_p(c->host, r->host, sizeof(c->host));
	c->port = r->port;
	if (r->cmd != SOCKS_CMD_CONNECT) {
		socks_refuse(c, v5 ? SOCKS5_CMD_UNSUPPORTED : SOCKS4_REJECTED,
		    501, r->cmd == 2 ? "SOCKS BIND is not supported (only "
		    "CONNECT)" : r->cmd == 3 ? "SOCKS5 UDP ASSOCIATE is not "
		    "supported (only CONNECT)" : "an unknown SOCKS command "
		    "(only CONNECT is supported)");
		return;
	}
	if (c->denied) {
		socks_refuse(c, v5 ? SOCKS5_NOT_ALLOWED : SOCKS4_REJECTED, 403,
		    "refused by --allow/--deny/--hostonly");
		return;
	}
	if (!v5 && c->w->cfg->nsocks_users > 0) {
		socks_refuse(c, SOCKS4_REJECTED, 407, "SOCKS4 carries no "
		    "password, and --socks5-auth/--socks5-users ask for a "
		    "login: use SOCKS5");
		return;
	}
	c->sk_phase = SKI_ROUTED;
	log_debug("%s: %s CONNECT %s:%u", c->peer, c->method_name, c->host,
	    c->port);
	conn_http_tunnel(c, v5 ? "SOCKS5" : "SOCKS4", r->host, r->port);
}

static long
request(struct conn *c, const unsigned char *p, size_t len)
{
	struct socks_request r;
	long n = c->sk_version == 5 ? socks5_parse_request(p, len, &r) :
	    socks4_parse_request(p, len, &r);

	if (n == 0)
		return 0;
	if (n < 0) {
		socks_refuse(c, r.code, 400, r.error);
		return -1;
	}
	socks_took(c, (size_t)n);
	request_go(c, &r);
	return n;
}

/* The first byte says which SOCKS it is; -1 when it is none. */
static int
version_note(struct conn *c, unsigned char first)
{
	char why[96];

	c->started = c->w->now;
	if (first == 5 || first == 4) {
		c->sk_version = first;
		strlcpy_p(c->method_name, first == 5 ? "SOCKS5" : "SOCKS4",
		    sizeof(c->method_name));
		c->sk_phase = first == 5 ? SKI_HELLO : SKI_REQUEST;
		return 0;
	}
	strlcpy_p(c->method_name, "-", sizeof(c->method_name));
	snprintf(why, sizeof(why), "not SOCKS: the first byte is 0x%02x%s",
	    first, first >= 'A' && first <= 'Z' ? " (HTTP on the SOCKS "
	    "port?)" : "");
	conn_close(c, 400, why);
	return -1;
}

/* One step of the handshake: 1 when a message was taken. */
static int
socks_step(struct conn *c)
{
	const unsigned char *p;
	int progress = 0;
	size_t len;
	long n;

	if (c->resp.fwd > 0) {
		/* our last reply goes before the next message is read */
		if (ep_send(&c->client, &c->server.in, &c->resp.fwd,
		    &c->bytes_out, &progress) == -1) {
			conn_close(c, 0, "the SOCKS client went away");
			return 0;
		}
		if (c->resp.fwd > 0)
			return 0;
	}
	p = (const unsigned char *)buf_rptr(&c->client.in, &len);
	if (len == 0) {
		if (c->client.eof)
			conn_close(c, c->started ? 400 : 0, c->started ?
			    "the SOCKS client closed inside the handshake" :
			    "client closed");
		return 0;
	}
	if (c->sk_version == 0 && version_note(c, p[0]) == -1)
		return 0;
	switch (c->sk_phase) {
	case SKI_HELLO:
		n = hello5(c, p, len);
		break;
	case SKI_LOGIN:
		n = login(c, p, len);
		break;
	case SKI_REQUEST:
		n = request(c, p, len);
		break;
	default:
		return 0;
	}
	if (n == 0 && c->client.eof)
		conn_close(c, 400, "the SOCKS client closed inside a message "
		    "of the handshake");
	return n > 0;
}

static void
socks_run(struct conn *c)
{
	int i;

	if (c->state != CS_GREETING) {
		conn_http_ops.run(c);
		return;
	}
	/* a step that took a message runs again: its reply goes out, and
	 * the next message (a client need not wait for replies) is read */
	for (i = 0; i < 8 && !c->dead && c->state == CS_GREETING; i++)
		if (!socks_step(c))
			break;
}

/* Accepted: the handshake has --socktimeout, whatever --idle is. Its
 * greeting has usually come with the handshake's last ACK: read it now
 * rather than a poll turn later. */
static void
socks_start(struct conn *c, const struct listener *l)
{
	struct pollfd pfd;

	(void)l;
	c->state = CS_GREETING;
	c->sk_phase = SKI_HELLO;
	c->sk_reply = -1;
	c->deadline = c->w->now + c->w->cfg->socktimeout * 1000;
	pfd.fd = c->client.fd;
	pfd.events = POLLIN;
	pfd.revents = POLLIN;
	conn_events(c, &pfd, 1);
}

static void
socks_timeout(struct conn *c)
{
	if (c->state == CS_GREETING)
		conn_close(c, c->started ? 408 : 0, "the SOCKS handshake did "
		    "not finish within --socktimeout");
	else
		conn_http_ops.timeout(c);
}

/*
 * The code for a CONNECT that failed after routing, from what upstream
 * reported: its status (403: a rule; 504: a timeout), and where it
 * stood: the lookup of the target or the connect to it (by errno). A
 * parent that cannot be reached, or refuses otherwise, is a general
 * failure: what it could not do is not known.
 */
static int
socks5_code_for(const struct conn *c, int status)
{
	int direct = c->hop == NULL || c->hop->kind == HOP_DIRECT;

	if (status == 403 || status == 407)
		return SOCKS5_NOT_ALLOWED;
	if (status == 504)
		return SOCKS5_TTL_EXPIRED;
	switch (c->state) {
	case CS_RESOLVE:
		return direct ? SOCKS5_HOST_UNREACHABLE : SOCKS5_FAILURE;
	case CS_CONNECT:
		if (!direct)
			return SOCKS5_FAILURE;
		switch (c->connect_error) {
		case 0:
		case ECONNREFUSED:
			return SOCKS5_REFUSED;
		case ENETUNREACH:
			return SOCKS5_NET_UNREACHABLE;
		case EHOSTUNREACH:
			return SOCKS5_HOST_UNREACHABLE;
		case ETIMEDOUT:
			return SOCKS5_TTL_EXPIRED;
		default:
			return SOCKS5_FAILURE;
		}
	default:
		/* a parent's other refusals (502 covers our own failures
		 * with it too, a refused login among them) */
		return SOCKS5_FAILURE;
	}
}

/* The refusal's bytes for c's phase into out; their length, or 0 when
 * the client is owed none (it never finished a message). */
static size_t
refusal(const struct conn *c, int status, unsigned char out[22])
{
	int code = c->sk_reply;

	if (c->sk_phase == SKI_ROUTED && code < 0)
		code = c->sk_version == 5 ? socks5_code_for(c, status) :
		    SOCKS4_REJECTED;
	if (code < 0)
		return 0;
	switch (c->sk_phase) {
	case SKI_HELLO:
		out[0] = 5;
		out[1] = (unsigned char)code;
		return 2;
	case SKI_LOGIN:
		out[0] = 1;
		out[1] = (unsigned char)code;
		return 2;
	default:
		return c->sk_version == 5 ? socks5_reply(code, NULL, out) :
		    socks4_reply(code, out);
	}
}

/* Closing with an error: the refusal goes out first, then the close
 * (CS_CLOSING, as an HTTP error answer). */
static int
socks_answer(struct conn *c, int status, const char *why)
{
	unsigned char out[22];
	size_t n = refusal(c, status, out);

	(void)why;
	if (n == 0)
		return -1;
	if (c->sk_version == 5 && c->sk_phase == SKI_ROUTED)
		log_debug("%s: SOCKS5 reply %d (%s)", c->peer, out[1],
		    socks5_code_name(out[1]));
	if (c->server.in.data == NULL && buf_init(&c->server.in,
	    (size_t)c->w->cfg->server_bufsz) == -1)
		return -1;
	buf_reset(&c->server.in);
	(void)buf_put(&c->server.in, out, n);
	c->resp.fwd = n;
	c->sent_head = 1;
	c->state = CS_CLOSING;
	c->deadline = c->w->now + REFUSAL_LINGER_MS;
	return 0;
}

/* The tunnel stands: the success reply, with the address we reach the
 * next hop from, goes ahead of anything the server has sent. */
static void
socks_tunnel_up(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned char out[22];
	size_t n;

	if (getsockname(c->server.fd, (struct sockaddr *)&ss, &sl) == -1)
		ss.ss_family = AF_UNSPEC;
	n = c->sk_version == 5 ? socks5_reply(SOCKS5_SUCCEEDED,
	    (struct sockaddr *)&ss, out) : socks4_reply(SOCKS4_GRANTED, out);
	c->sent_head = 1;
	if (buf_prepend(&c->server.in, out, n, c->server.in.cap + n) == -1)
		conn_close(c, 0, "out of memory for the SOCKS reply");
}

static void
socks_connected(struct conn *c)
{
	conn_http_ops.connected(c);
}

static void
socks_server_lost(struct conn *c)
{
	conn_http_ops.server_lost(c);
}

const struct conn_ops conn_socks_ops = {
	socks_start, socks_run, socks_timeout, socks_answer, socks_connected,
	upstream_fail, socks_server_lost, socks_tunnel_up, 1
};
