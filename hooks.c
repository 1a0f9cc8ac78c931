/*
 * hooks.c: the plugin mechanism the core and the plugins meet in. The
 * core (conn_http.c, upstream.c, conn.c) describes a request in a struct
 * plugin_call and runs the configuration's chain through the calls
 * here, in --plugins order; the hooks read it and write their verdicts
 * through the plugin_* functions below: an answer, a refusal, a
 * rewritten head, a body taken or replaced.
 *
 * Nothing here knows a connection or the table of plugins (plugins.c):
 * it sees the chain the configuration holds, so every plugin, the
 * built-in ones and the web server's (web.c) alike, calls down into it
 * and nothing here calls them by name.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy.h"

#define STATE_ALIGN	16	/* each plugin's state block starts here */

/* ------------------------------------------------------- calling hooks */

typedef enum plugin_verdict (*verdict_fn)(struct plugin_call *);

static verdict_fn
verdict_hook(const struct plugin *p, enum plugin_hook which)
{
	switch (which) {
	case PLUGIN_HOOK_REQUEST:
		return p->request;
	case PLUGIN_HOOK_UPSTREAM:
		return p->upstream;
	case PLUGIN_HOOK_RESPONSE:
		return p->response;
	default:
		return NULL;
	}
}

/* pc speaks for the i-th plugin of the chain. */
static void
call_for(const struct config *cfg, const struct plugin_conn *pl,
    struct plugin_call *pc, size_t i)
{
	pc->plugin = cfg->chain[i].p;
	pc->conf = cfg->chain[i].conf;
	pc->state = pl->state[i];
}

enum plugin_verdict
plugins_run(const struct config *cfg, struct plugin_conn *pl,
    enum plugin_hook which, struct plugin_call *pc, size_t *who)
{
	enum plugin_verdict v;
	verdict_fn fn;
	size_t i;

	if (which == PLUGIN_HOOK_RESPONSE)
		memset(pl->body, PLUGIN_BODY_NONE, sizeof(pl->body));
	for (i = 0; i < cfg->nchain; i++) {
		if ((fn = verdict_hook(cfg->chain[i].p, which)) == NULL)
			continue;
		call_for(cfg, pl, pc, i);
		pc->body_mode = PLUGIN_BODY_NONE;
		pc->replace = NULL;
		pc->replace_len = 0;
		v = fn(pc);
		if (which == PLUGIN_HOOK_RESPONSE && v != PLUGIN_FAIL) {
			pl->body[i] = (unsigned char)pc->body_mode;
			pl->replace[i] = pc->replace;
			pl->replace_len[i] = pc->replace_len;
			pl->emitted[i] = 0;
			pc->body_changed |= pc->body_mode == PLUGIN_BODY_REWRITE ||
			    pc->body_mode == PLUGIN_BODY_REPLACE;
		}
		if (v != PLUGIN_PASS) {
			*who = i;
			return v;
		}
	}
	return PLUGIN_PASS;
}

void
plugins_notify(const struct config *cfg, struct plugin_conn *pl,
    enum plugin_hook which, struct plugin_call *pc)
{
	size_t i;

	for (i = 0; i < cfg->nchain; i++) {
		const struct plugin *p = cfg->chain[i].p;
		void (*fn)(struct plugin_call *) = which == PLUGIN_HOOK_DONE ?
		    p->done : which == PLUGIN_HOOK_CLOSE ? p->close : NULL;

		if (fn == NULL)
			continue;
		call_for(cfg, pl, pc, i);
		fn(pc);
	}
}

void
plugins_log(const struct config *cfg, struct plugin_conn *pl,
    struct plugin_call *pc, char *line, size_t size)
{
	size_t i;

	for (i = 0; i < cfg->nchain; i++) {
		if (cfg->chain[i].p->log == NULL)
			continue;
		call_for(cfg, pl, pc, i);
		cfg->chain[i].p->log(pc, line, size);
		line[size - 1] = '\0';	/* whatever the hook did */
	}
}

/* The last stage's output for the client: as it is, or as one chunk
 * (and the last-chunk at the end). */
static size_t
frame(const char *data, size_t len, int last, int chunked, char *out,
    size_t cap)
{
	size_t n = 0;

	if (!chunked) {
		if (len > 0)
			memcpy(out, data, len);
		return len;
	}
	if (len > 0) {
		n = (size_t)snprintf(out, cap, "%zx\r\n", len);
		memcpy(out + n, data, len);
		memcpy(out + n + len, "\r\n", 2);
		n += len + 2;
	}
	if (last) {
		memcpy(out + n, "0\r\n\r\n", 5);
		n += 5;
	}
	return n;
}

/*
 * Each stage gets what the stages before it made of the piece: a READ
 * stage sees it and passes it on, a REWRITE stage's output replaces it
 * (two buffers in turn), a REPLACE stage puts its bytes in once and
 * swallows everything after. Every stage is called once per piece, so
 * no output is ever larger than PLUGIN_OUT_MAX.
 */
enum plugin_verdict
plugins_body(const struct config *cfg, struct plugin_conn *pl,
    struct plugin_call *pc, const char *data, size_t len, int last,
    char *scratch, char *out, size_t cap, size_t *n, size_t *who)
{
	char *bufs[2] = { scratch, scratch + PLUGIN_OUT_MAX };
	const char *in = data;
	size_t i, inlen = len;
	int k = 0;

	for (i = 0; i < cfg->nchain; i++) {
		const struct plugin *p = cfg->chain[i].p;

		switch (pl->body[i]) {
		case PLUGIN_BODY_READ:
		case PLUGIN_BODY_REWRITE:
			call_for(cfg, pl, pc, i);
			pc->out = bufs[k];
			pc->out_len = 0;
			pc->out_cap = PLUGIN_OUT_MAX;
			if (p->body(pc, in, inlen, last) == PLUGIN_FAIL) {
				*who = i;
				return PLUGIN_FAIL;
			}
			if (pl->body[i] == PLUGIN_BODY_REWRITE) {
				in = bufs[k];
				inlen = pc->out_len;
				k ^= 1;
			}
			break;
		case PLUGIN_BODY_REPLACE:
			in = pl->emitted[i] ? NULL : pl->replace[i];
			inlen = pl->emitted[i] ? 0 : pl->replace_len[i];
			pl->emitted[i] = 1;
			break;
		default:
			break;
		}
	}
	*n = frame(in, inlen, last, pl->out_frame == HTTP_REFRAME_CHUNKED,
	    out, cap);
	return PLUGIN_PASS;
}

static size_t
state_offset(size_t size)
{
	return (size + STATE_ALIGN - 1) / STATE_ALIGN * STATE_ALIGN;
}

/* One allocation: the struct, then each plugin's state block. */
struct plugin_conn *
plugins_conn_new(const struct config *cfg)
{
	struct plugin_conn *pl;
	size_t i, total = state_offset(sizeof(*pl)), at;
	char *base;

	for (i = 0; i < cfg->nchain; i++)
		total += state_offset(cfg->chain[i].p->state_size);
	if ((base = calloc(1, total)) == NULL)
		return NULL;
	pl = (struct plugin_conn *)(void *)base;
	at = state_offset(sizeof(*pl));
	for (i = 0; i < cfg->nchain; i++) {
		if (cfg->chain[i].p->state_size == 0)
			continue;
		pl->state[i] = base + at;
		at += state_offset(cfg->chain[i].p->state_size);
	}
	return pl;
}

void
plugins_conn_free(const struct config *cfg, struct plugin_conn *pl)
{
	struct plugin_call pc;

	if (pl == NULL)
		return;
	memset(&pc, 0, sizeof(pc));
	pc.cfg = cfg;
	plugins_notify(cfg, pl, PLUGIN_HOOK_CLOSE, &pc);
	free(pl);
}

/* The target a request head names, for pc->host and pc->port: its
 * authority; for origin-form, the destination the core gave (inside an
 * intercepted CONNECT, on a transparent port), else none (a request to
 * the proxy itself). */
static void
call_describe(struct plugin_call *pc)
{
	const struct http_head *h = pc->head;
	const char *s = pc->buf + h->scheme.off;

	pc->method = h->method;
	pc->host[0] = '\0';
	pc->port = 0;
	pc->local = 0;
	if (h->form == HTTP_FORM_ABSOLUTE || h->form == HTTP_FORM_AUTHORITY) {
		if (strnbuf(pc->host, sizeof(pc->host), pc->buf + h->host.off,
		    h->host.len) == -1)
			pc->host[0] = '\0';
		pc->port = h->port;
		pc->tls = h->form == HTTP_FORM_ABSOLUTE &&
		    (strncaseeq(s, h->scheme.len, "https") ||
		    strncaseeq(s, h->scheme.len, "wss"));
	} else if (pc->dest_host != NULL) {
		strlcpy_p(pc->host, pc->dest_host, sizeof(pc->host));
		pc->port = pc->dest_port;
		pc->tls = pc->intercepted;
	} else
		pc->local = 1;
}

void
plugins_call_head(struct plugin_call *pc, const char *buf,
    const struct http_head *h, int response, enum http_method req_method)
{
	pc->buf = buf;
	pc->head = h;
	pc->response = response;
	pc->req_method = req_method;
	if (!response)
		call_describe(pc);
}

/* ------------------------------------------------- what hooks call */

enum plugin_verdict
plugin_fail(struct plugin_call *pc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pc->why, sizeof(pc->why), fmt, ap);
	va_end(ap);
	return PLUGIN_FAIL;
}

/* The same for the functions that return -1. */
static int PRINTF(2, 3)
call_error(struct plugin_call *pc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pc->why, sizeof(pc->why), fmt, ap);
	va_end(ap);
	return -1;
}

/* A field a plugin adds, "Name: value": a token before the colon, no
 * line break, not one that frames the body (the core's); 0, or -1 with
 * why. */
static int
field_check(struct plugin_call *pc, const char *field)
{
	size_t n = strcspn(field, ":");

	if (field[n] != ':' || n == 0 || !http_token(field, n) ||
	    strpbrk(field, "\r\n") != NULL)
		return call_error(pc, "adding '%s': not 'Name: value'", field);
	if (http_framing_field(field, n))
		return call_error(pc, "adding %s: framing fields are the "
		    "core's", field);
	return 0;
}

static void
answer_init(struct plugin_call *pc, int status, const char *ctype)
{
	memset(&pc->answer, 0, sizeof(pc->answer));
	pc->answer.status = status;
	pc->answer.ctype = ctype;
	pc->answer.fd = -1;
}

/* An answer the core can send as it is; 0, or -1 with why. */
static int
answer_check(struct plugin_call *pc, int status, const char *ctype,
    uint64_t len)
{
	if (status < 200 || status > 999)
		return call_error(pc, "answered with status %d", status);
	if ((status == 204 || status == 304) && len > 0)
		return call_error(pc, "answered %d with a body", status);
	if (ctype != NULL && strpbrk(ctype, "\r\n") != NULL)
		return call_error(pc, "a Content-Type with a line break");
	return 0;
}

enum plugin_verdict
plugin_answer(struct plugin_call *pc, int status, const char *ctype,
    const void *body, size_t len)
{
	if (answer_check(pc, status, ctype, len) == -1)
		return PLUGIN_FAIL;
	if (len > pc->out_cap)
		return plugin_fail(pc, "an answer of %zu bytes is over %d: "
		    "stream it from a file (plugin_answer_file)", len,
		    PLUGIN_OUT_MAX);
	answer_init(pc, status, ctype);
	if (len > 0)
		memcpy(pc->out, body, len);
	pc->answer.body = pc->out;
	pc->answer.len = len;
	return PLUGIN_DONE;
}

enum plugin_verdict
plugin_answer_static(struct plugin_call *pc, int status, const char *ctype,
    const void *body, size_t len)
{
	if (answer_check(pc, status, ctype, len) == -1)
		return PLUGIN_FAIL;
	answer_init(pc, status, ctype);
	pc->answer.body = body;
	pc->answer.len = len;
	return PLUGIN_DONE;
}

int
plugin_answer_field(struct plugin_call *pc, const char *fmt, ...)
{
	struct plugin_answer *a = &pc->answer;
	char *at = pc->fields + a->fields_len;
	size_t room = sizeof(pc->fields) - a->fields_len;
	va_list ap;
	int n;

	if (a->status == 0 || a->refused)
		return call_error(pc, "a field added before an answer");
	va_start(ap, fmt);
	n = vsnprintf(at, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n + 2 >= room) {
		*at = '\0';
		return call_error(pc, "the answer's fields are over %zu bytes",
		    sizeof(pc->fields) - 1);
	}
	if (field_check(pc, at) == -1) {
		*at = '\0';
		return -1;
	}
	memcpy(at + n, "\r\n", 3);
	a->fields_len += (size_t)n + 2;
	return 0;
}

enum plugin_verdict
plugin_answer_file(struct plugin_call *pc, int status, const char *ctype,
    int fd, uint64_t len)
{
	if (answer_check(pc, status, ctype, len) == -1) {
		fd_close(&fd);
		return PLUGIN_FAIL;
	}
	answer_init(pc, status, ctype);
	pc->answer.fd = fd;
	pc->answer.fd_len = len;
	return PLUGIN_DONE;
}

enum plugin_verdict
plugin_refuse(struct plugin_call *pc, int status, const char *phrase,
    const char *fmt, ...)
{
	va_list ap;

	if (status < 400 || status > 599)
		return plugin_fail(pc, "refused with status %d", status);
	answer_init(pc, status, "text/plain");
	pc->answer.refused = 1;
	if (phrase != NULL && strpbrk(phrase, "\r\n") == NULL)
		strlcpy_p(pc->answer.phrase, phrase, sizeof(pc->answer.phrase));
	va_start(ap, fmt);
	vsnprintf(pc->why, sizeof(pc->why), fmt, ap);
	va_end(ap);
	return PLUGIN_DONE;
}

const char *
plugin_path(const struct plugin_call *pc, size_t *len)
{
	const struct http_head *h = pc->head;
	const struct http_span *sp = h->form == HTTP_FORM_ABSOLUTE ? &h->path :
	    &h->target;

	if (h->form == HTTP_FORM_AUTHORITY || sp->len == 0 ||
	    pc->buf[sp->off] != '/') {
		*len = 1;
		return "/";
	}
	*len = sp->len;
	return pc->buf + sp->off;
}

const char *
plugin_field(const struct plugin_call *pc, const char *name, size_t *len)
{
	int i = http_find_field(pc->buf, pc->head, name, 0);

	if (i < 0)
		return NULL;
	*len = pc->head->fields[i].value.len;
	return pc->buf + pc->head->fields[i].value.off;
}


static int
name_in(const char *const *v, size_t n, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strncaseeq(name, len, v[i]))
			return 1;
	return 0;
}

/* Checks what a rewrite adds; 0, or -1 with why. */
static int
rewrite_check(struct plugin_call *pc, const char *line,
    const char *const *drop, size_t ndrop, const char *const *add,
    size_t nadd)
{
	size_t i;

	if (line != NULL && strpbrk(line, "\r\n") != NULL)
		return call_error(pc, "a first line with a line break");
	for (i = 0; i < ndrop; i++)
		if (http_framing_field(drop[i], strlen(drop[i])))
			return call_error(pc, "dropping %s: framing fields "
			    "are the core's", drop[i]);
	for (i = 0; i < nadd; i++)
		if (field_check(pc, add[i]) == -1)
			return -1;
	return 0;
}

int
plugin_rewrite(struct plugin_call *pc, const char *line,
    const char *const *drop, size_t ndrop, const char *const *add,
    size_t nadd)
{
	const struct http_head *h = pc->head;
	char *dst = pc->buf == pc->alt[0] ? pc->alt[1] : pc->alt[0];
	struct http_out o = { dst, 0, pc->alt_size, 0 };
	enum http_body body = h->body;
	uint64_t length = h->content_length;
	const char *eol;
	size_t i, scan = 0;
	int r;

	if (rewrite_check(pc, line, drop, ndrop, add, nadd) == -1)
		return -1;
	eol = memchr(pc->buf, '\r', h->head_len);
	if (line != NULL)
		http_out_str(&o, line);
	else
		http_out_put(&o, pc->buf, eol != NULL ?
		    (size_t)(eol - pc->buf) : 0);
	http_out_put(&o, "\r\n", 2);
	for (i = 0; i < h->nfields; i++) {
		const struct http_field *f = &h->fields[i];

		if (name_in(drop, ndrop, pc->buf + f->name.off, f->name.len))
			continue;
		http_out_put(&o, pc->buf + f->name.off, f->name.len);
		http_out_put(&o, ": ", 2);
		http_out_put(&o, pc->buf + f->value.off, f->value.len);
		http_out_put(&o, "\r\n", 2);
	}
	for (i = 0; i < nadd; i++) {
		http_out_str(&o, add[i]);
		http_out_put(&o, "\r\n", 2);
	}
	http_out_put(&o, "\r\n", 2);
	if (o.overflow)
		return call_error(pc, "the rewritten head is over %zu bytes",
		    pc->alt_size);
	r = pc->response ? http_parse_response(dst, o.len, pc->max_head,
	    &scan, pc->req_method, pc->alt_head) : http_parse_request(dst,
	    o.len, pc->max_head, &scan, pc->alt_head);
	if (r != (int)o.len)
		return call_error(pc, "the rewritten head is malformed: %s",
		    pc->alt_head->error != NULL ? pc->alt_head->error :
		    "incomplete");
	if (pc->alt_head->body != body ||
	    pc->alt_head->content_length != length)
		return call_error(pc, "the rewritten first line changes how "
		    "the body is framed");
	pc->buf = dst;
	pc->head = pc->alt_head;
	pc->rewritten = 1;
	if (!pc->response)
		call_describe(pc);
	return 0;
}

int
plugin_body(struct plugin_call *pc, enum plugin_body mode, const char *bytes,
    size_t len)
{
	if ((mode == PLUGIN_BODY_READ || mode == PLUGIN_BODY_REWRITE) &&
	    pc->plugin->body == NULL)
		return call_error(pc, "reads the body without a body hook");
	if (mode == PLUGIN_BODY_REPLACE && len > PLUGIN_OUT_MAX)
		return call_error(pc, "a replacement body of %zu bytes is "
		    "over %d", len, PLUGIN_OUT_MAX);
	pc->body_mode = mode;
	pc->replace = mode == PLUGIN_BODY_REPLACE ? bytes : NULL;
	pc->replace_len = mode == PLUGIN_BODY_REPLACE ? len : 0;
	return 0;
}

char *
plugin_output(struct plugin_call *pc, size_t n)
{
	char *p;

	if (n > pc->out_cap - pc->out_len) {
		plugin_fail(pc, "a piece's output is over %d bytes",
		    PLUGIN_OUT_MAX);
		return NULL;
	}
	p = pc->out + pc->out_len;
	pc->out_len += n;
	return p;
}

