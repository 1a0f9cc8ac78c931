/*
 * web.c: the built-in web server (--enable-web-server), a row of the
 * plugin table like any plugin: its request hook takes the origin-form
 * requests to the proxy's own port ("GET /path HTTP/1.1") that the
 * plugins before it left: /metrics (the Prometheus text format),
 * /status (one HTML page of the same figures and the workers),
 * /healthz, and the files under --static-dir. It answers through
 * hooks.c as every plugin does, and knows no connection.
 *
 * The figures are the board's (loop.c): counters each worker adds to in
 * its own slot of the memory the master mapped before forking, summed
 * here, so whichever worker answers, the totals are the whole proxy's.
 *
 * Files are found by walking the decoded path one component at a time
 * with openat(O_NOFOLLOW) from the directory itself: ".." is refused
 * before any lookup, and no symbolic link is followed, so no name can
 * lead out of the directory, and none can be swapped for a link between
 * a check and the open. The file then streams through the exchange as a
 * server's body would (plugin_answer_file): never read whole into
 * memory.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "proxy.h"

#define WEB_PATH_MAX	1024	/* a decoded path */
#define WEB_DEPTH_MAX	32	/* directories in a path */
#define METRICS_CAP	16384	/* the /metrics page, at most */
#define STATUS_CAP	8192	/* the /status page, less its workers */
#define STATUS_ROW	320	/* one worker's row */
#define INDEX_FILE	"index.html"

/* Content types by file name extension (lower case). */
static const struct {
	const char	*ext;
	const char	*type;
} ctypes[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "json", "application/json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "md", "text/markdown; charset=utf-8" },
	{ "csv", "text/csv; charset=utf-8" },
	{ "xml", "application/xml" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "webp", "image/webp" },
	{ "avif", "image/avif" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "pdf", "application/pdf" },
	{ "wasm", "application/wasm" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "otf", "font/otf" },
	{ "mp3", "audio/mpeg" },
	{ "ogg", "audio/ogg" },
	{ "mp4", "video/mp4" },
	{ "webm", "video/webm" },
	{ "zip", "application/zip" },
	{ "gz", "application/gzip" },
	{ "tar", "application/x-tar" },
	{ "pac", "application/x-ns-proxy-autoconfig" },
	{ "dat", "application/x-ns-proxy-autoconfig" },	/* wpad.dat */
	{ "pem", "application/x-pem-file" },
	{ "crt", "application/x-x509-ca-cert" },
	{ "der", "application/x-x509-ca-cert" },
};
#define DEFAULT_CTYPE	"application/octet-stream"

/* The counters of struct board_counts that are one figure each: their
 * /metrics name and help, and their /status label. */
static const struct counter {
	const char	*name;
	const char	*help;
	const char	*label;
	size_t		 off;
	int		 bytes;		/* shown as a size on /status */
} counters[] = {
	{ "proxy_connections_total", "Client connections accepted.",
	    "connections accepted", offsetof(struct board_counts, accepted),
	    0 },
	{ "proxy_client_received_bytes_total", "Bytes received from "
	    "clients: request heads and bodies, tunnels (counted as each "
	    "exchange ends).", "received from clients",
	    offsetof(struct board_counts, bytes_in), 1 },
	{ "proxy_client_sent_bytes_total", "Bytes sent to clients "
	    "(counted as each exchange ends).", "sent to clients",
	    offsetof(struct board_counts, bytes_out), 1 },
	{ "proxy_upstream_connect_failures_total", "Next hops (origins, "
	    "parents) not reached: lookups, connects, TLS and SOCKS5 "
	    "handshakes that failed.", "upstream connect failures",
	    offsetof(struct board_counts, connect_failures), 0 },
	{ "proxy_parent_failovers_total", "Requests moved on to another hop "
	    "after a parent proxy failed.", "parent failovers",
	    offsetof(struct board_counts, failovers), 0 },
	{ "proxy_ntlm_handshakes_total", "NTLM logins to a parent proxy "
	    "started.", "NTLM handshakes",
	    offsetof(struct board_counts, ntlm_handshakes), 0 },
	{ "proxy_pool_reuses_total", "Requests sent on an idle upstream "
	    "connection from the pool.", "pooled connections reused",
	    offsetof(struct board_counts, pool_reuses), 0 },
	{ "proxy_dns_cache_hits_total", "Lookups answered from a worker's "
	    "DNS cache.", "DNS cache hits",
	    offsetof(struct board_counts, dns_hits), 0 },
};
#define NCOUNTERS	(sizeof(counters) / sizeof(counters[0]))
/* Places in counters[] that /status shows on its cards. */
enum { C_ACCEPTED, C_BYTES_IN, C_BYTES_OUT, C_CONNECT_FAILURES };

static const char *const class_names[STATUS_CLASSES] = {
	"none", "1xx", "2xx", "3xx", "4xx", "5xx"
};

/* The board summed: the whole proxy's figures. */
struct sums {
	unsigned long long c[NCOUNTERS];
	unsigned long long req[ROUTE_MAX][STATUS_CLASSES];
	unsigned long long requests;	/* all of req */
	long		 open;		/* client connections now */
	long		 workers;	/* running */
	unsigned long	 restarts;
	int64_t		 start;		/* Unix time, 0: unknown */
};

/* ------------------------------------------------------------ output */

static void PRINTF(2, 3)
out_fmt(struct http_out *o, const char *fmt, ...)
{
	size_t room = o->cap - o->len;
	va_list ap;
	int n;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		o->overflow = 1;
		return;
	}
	o->len += (size_t)n;
}

/* The slots of the board that have been used, or the worker's own. */
static const struct board_slot *
slots(const struct worker *w, long *n)
{
	if (w->board == NULL) {
		*n = 1;
		return w->slot;
	}
	*n = w->board->nslots;
	if (*n < 0 || *n > MAX_SLOTS)
		*n = MAX_SLOTS;
	return w->board->slot;
}

static unsigned long
counter_of(const struct board_slot *s, size_t i)
{
	return *(const volatile unsigned long *)(const void *)
	    ((const char *)&s->n + counters[i].off);
}

static void
sums_take(const struct worker *w, struct sums *t)
{
	const struct board_slot *s;
	long i, n;
	size_t k, r, q;

	memset(t, 0, sizeof(*t));
	s = slots(w, &n);
	for (i = 0; i < n; i++) {
		for (k = 0; k < NCOUNTERS; k++)
			t->c[k] += counter_of(&s[i], k);
		for (r = 0; r < ROUTE_MAX; r++)
			for (q = 0; q < STATUS_CLASSES; q++)
				t->req[r][q] += s[i].n.requests[r][q];
		t->open += s[i].clients;
		t->workers += w->board == NULL || s[i].pid != 0;
	}
	for (r = 0; r < ROUTE_MAX; r++)
		for (q = 0; q < STATUS_CLASSES; q++)
			t->requests += t->req[r][q];
	if (w->board != NULL) {
		t->restarts = w->board->restarts;
		t->start = w->board->start_time;
	}
}

/* ----------------------------------------------------------- /metrics */

static void
metric_head(struct http_out *o, const char *name, const char *type,
    const char *help)
{
	out_fmt(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
metrics_render(const struct worker *w, struct http_out *o)
{
	struct sums t;
	size_t k, r, q;

	sums_take(w, &t);
	metric_head(o, "proxy_connections_open", "gauge",
	    "Client connections open now.");
	out_fmt(o, "proxy_connections_open %ld\n", t.open);
	for (k = 0; k < NCOUNTERS; k++) {
		metric_head(o, counters[k].name, "counter", counters[k].help);
		out_fmt(o, "%s %llu\n", counters[k].name, t.c[k]);
	}
	metric_head(o, "proxy_requests_total", "counter", "Exchanges ended, "
	    "by route (none: refused before one was chosen; local: the "
	    "proxy's own answer, such as the web server's or an intercepted "
	    "CONNECT's 200) and status class (none: ended before any "
	    "answer).");
	for (r = 0; r < ROUTE_MAX; r++)
		for (q = 0; q < STATUS_CLASSES; q++)
			out_fmt(o, "proxy_requests_total{route=\"%s\","
			    "class=\"%s\"} %llu\n", log_route_name(
			    (enum route)r), class_names[q], t.req[r][q]);
	metric_head(o, "proxy_workers", "gauge", "Worker processes running.");
	out_fmt(o, "proxy_workers %ld\n", t.workers);
	metric_head(o, "proxy_worker_restarts_total", "counter",
	    "Workers forked again after one died.");
	out_fmt(o, "proxy_worker_restarts_total %lu\n", t.restarts);
	if (t.start != 0) {
		metric_head(o, "process_start_time_seconds", "gauge",
		    "Start time of the proxy since the Unix epoch in seconds.");
		out_fmt(o, "process_start_time_seconds %lld\n",
		    (long long)t.start);
	}
	metric_head(o, "proxy_build_info", "gauge",
	    "The proxy's version and compiled-in features.");
	out_fmt(o, "proxy_build_info{version=\"%s\",tls=\"%s\"} 1\n",
	    PROXY_VERSION, tls_available() ? "yes" : "no");
}

/* ------------------------------------------------------------ /status */

static void
out_size(struct http_out *o, unsigned long long n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		out_fmt(o, "%llu B", n);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	out_fmt(o, "%.1f %s", v, units[u]);
}

static void
out_span(struct http_out *o, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s >= 86400)
		out_fmt(o, "%lld d %lld h", (long long)(s / 86400),
		    (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		out_fmt(o, "%lld h %lld min", (long long)(s / 3600),
		    (long long)(s % 3600 / 60));
	else if (s >= 60)
		out_fmt(o, "%lld min %lld s", (long long)(s / 60),
		    (long long)(s % 60));
	else
		out_fmt(o, "%lld s", (long long)s);
}

static const char status_style[] =
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;"
	"margin:1.5em auto;max-width:54em;padding:0 1em;color:#1d2433;"
	"background:#f6f7f9}"
	"h1{font-size:1.5em;margin:0}h2{font-size:1.1em;margin:1.6em 0 .5em}"
	".sub{color:#5c6370;margin:.2em 0 1.2em}"
	".cards{display:flex;flex-wrap:wrap;gap:.7em}"
	".card{flex:1 1 9em;background:#fff;border:1px solid #d8dbe2;"
	"border-radius:8px;padding:.6em .9em}"
	".card b{display:block;font-size:1.55em;font-variant-numeric:"
	"tabular-nums}.card span{color:#5c6370;font-size:.85em}"
	".bad b{color:#b3261e}"
	"table{border-collapse:collapse;width:100%;background:#fff;"
	"font-variant-numeric:tabular-nums}"
	"th,td{border:1px solid #d8dbe2;padding:.3em .6em;text-align:right}"
	"th:first-child,td:first-child{text-align:left}"
	"th{background:#eceef2;font-weight:600}"
	"tr.sum td{font-weight:600}.me{color:#1a7f37}"
	"td.l,th.l{text-align:left}";

static void
status_card(struct http_out *o, const char *label, unsigned long long v,
    int bytes, int bad)
{
	out_fmt(o, "<div class=\"card%s\"><b>", bad && v > 0 ? " bad" : "");
	if (bytes)
		out_size(o, v);
	else
		out_fmt(o, "%llu", v);
	out_fmt(o, "</b><span>%s</span></div>\n", label);
}

static void
status_requests(struct http_out *o, const struct sums *t)
{
	unsigned long long col[STATUS_CLASSES] = { 0 }, row;
	size_t r, q;

	out_fmt(o, "<h2>Requests by route and status</h2>\n<table><tr>"
	    "<th>route</th>");
	for (q = 1; q <= STATUS_CLASSES; q++)
		out_fmt(o, "<th>%s</th>", class_names[q % STATUS_CLASSES]);
	out_fmt(o, "<th>all</th></tr>\n");
	for (r = 0; r < ROUTE_MAX; r++) {
		out_fmt(o, "<tr><td>%s</td>", log_route_name((enum route)r));
		for (q = 1, row = 0; q <= STATUS_CLASSES; q++) {
			row += t->req[r][q % STATUS_CLASSES];
			col[q % STATUS_CLASSES] += t->req[r][q % STATUS_CLASSES];
			out_fmt(o, "<td>%llu</td>", t->req[r][q %
			    STATUS_CLASSES]);
		}
		out_fmt(o, "<td>%llu</td></tr>\n", row);
	}
	out_fmt(o, "<tr class=\"sum\"><td>all</td>");
	for (q = 1; q <= STATUS_CLASSES; q++)
		out_fmt(o, "<td>%llu</td>", col[q % STATUS_CLASSES]);
	out_fmt(o, "<td>%llu</td></tr>\n</table>\n", t->requests);
}

static void
status_counters(struct http_out *o, const struct sums *t)
{
	size_t k;

	out_fmt(o, "<h2>Traffic and upstream</h2>\n<table>\n");
	for (k = 0; k < NCOUNTERS; k++) {
		out_fmt(o, "<tr><td>%s</td><td>", counters[k].label);
		if (counters[k].bytes)
			out_size(o, t->c[k]);
		else
			out_fmt(o, "%llu", t->c[k]);
		out_fmt(o, "</td></tr>\n");
	}
	out_fmt(o, "<tr><td>worker restarts</td><td>%lu</td></tr>\n"
	    "</table>\n", t->restarts);
}

static void
status_workers(const struct worker *w, struct http_out *o, int64_t now)
{
	const struct board_slot *s;
	long i, n, self = (long)getpid();

	out_fmt(o, "<h2>Workers</h2>\n<table><tr><th>slot</th><th>pid</th>"
	    "<th class=\"l\">state</th><th>up</th><th>clients</th>"
	    "<th>requests</th>"
	    "</tr>\n");
	s = slots(w, &n);
	for (i = 0; i < n; i++) {
		long pid = w->board != NULL ? s[i].pid : self;

		if (pid == 0)
			continue;
		out_fmt(o, "<tr><td>%ld</td><td>%ld</td><td class=\"l\">%s%s"
		    "</td><td>",
		    i, pid, s[i].retiring ? "finishing (reloaded)" :
		    "serving", pid == self ? " <span class=\"me\">&#9679; "
		    "this page</span>" : "");
		if (s[i].started != 0)
			out_span(o, now - s[i].started);
		else
			out_fmt(o, "-");
		out_fmt(o, "</td><td>%ld</td><td>%lu</td></tr>\n",
		    s[i].clients, board_requests(&s[i]) - s[i].base);
	}
	out_fmt(o, "</table>\n");
}

static void
status_render(const struct worker *w, struct http_out *o)
{
	int64_t now = (int64_t)time(NULL);
	unsigned long long errors = 0;
	struct sums t;
	size_t r;

	sums_take(w, &t);
	for (r = 0; r < ROUTE_MAX; r++)
		errors += t.req[r][5];
	out_fmt(o, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<meta http-equiv=\"refresh\" content=\"10\">\n"
	    "<title>proxy status</title>\n<style>%s</style></head>\n"
	    "<body>\n<h1>proxy %s</h1>\n<p class=\"sub\">", status_style,
	    PROXY_VERSION);
	if (t.start != 0) {
		out_fmt(o, "up ");
		out_span(o, now - t.start);
		out_fmt(o, " &middot; ");
	}
	out_fmt(o, "%ld worker%s &middot; %lu restart%s &middot; this page "
	    "refreshes every 10 s</p>\n<div class=\"cards\">\n", t.workers,
	    t.workers == 1 ? "" : "s", t.restarts, t.restarts == 1 ? "" : "s");
	status_card(o, "connections open", (unsigned long long)t.open, 0, 0);
	status_card(o, "requests", t.requests, 0, 0);
	status_card(o, "5xx answers", errors, 0, 1);
	status_card(o, "received", t.c[C_BYTES_IN], 1, 0);
	status_card(o, "sent", t.c[C_BYTES_OUT], 1, 0);
	status_card(o, "connect failures", t.c[C_CONNECT_FAILURES], 0, 1);
	out_fmt(o, "</div>\n");
	status_requests(o, &t);
	status_counters(o, &t);
	status_workers(w, o, now);
	out_fmt(o, "<p class=\"sub\">The same figures for Prometheus: "
	    "<a href=\"/metrics\">/metrics</a>.</p>\n</body></html>\n");
}

/* A page made in memory: rendered into a buffer of cap bytes that the
 * connection's state keeps until the exchange is done, and sent. */
static enum plugin_verdict
page_send(struct plugin_call *pc, const char *ctype, size_t cap,
    void (*render)(const struct worker *, struct http_out *))
{
	struct web_state *st = pc->state;
	enum plugin_verdict v;
	struct http_out o;

	free(st->page);
	if ((st->page = malloc(cap)) == NULL)
		return plugin_refuse(pc, 500, NULL, "out of memory for the "
		    "page");
	o.p = st->page;
	o.len = 0;
	o.cap = cap;
	o.overflow = 0;
	render(pc->worker, &o);
	if (o.overflow)
		return plugin_refuse(pc, 500, NULL, "the page outgrew its "
		    "buffer");
	v = plugin_answer_static(pc, 200, ctype, st->page, o.len);
	pc->answer.cache = "no-store";
	return v;
}

/* ------------------------------------------------------- static files */

/* The content type of a file name, by its extension. */
static const char *
ctype_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t i;

	if (dot == NULL || strchr(dot, '/') != NULL)
		return DEFAULT_CTYPE;
	for (i = 0; i < sizeof(ctypes) / sizeof(ctypes[0]); i++)
		if (strcasecmp(dot + 1, ctypes[i].ext) == 0)
			return ctypes[i].type;
	return DEFAULT_CTYPE;
}

/* The path of an origin-form target t[n], up to any query, percent-
 * decoded into out[size]; NULL, or why not (a bad escape, a NUL, a path
 * too long). */
static const char *
path_decode(const char *t, size_t n, char *out, size_t size)
{
	size_t i, k = 0;
	int hi, lo;

	for (i = 0; i < n && t[i] != '?'; i++) {
		char ch = t[i];

		if (ch == '%') {
			if (i + 2 >= n || (hi = hex_value(t[i + 1])) < 0 ||
			    (lo = hex_value(t[i + 2])) < 0)
				return "a '%' in the path is not followed by "
				    "two hex digits";
			ch = (char)(hi << 4 | lo);
			if (ch == '\0')
				return "the path has an encoded NUL (%00)";
			i += 2;
		}
		if (k + 1 >= size)
			return "the path is too long";
		out[k++] = ch;
	}
	out[k] = '\0';
	return NULL;
}

/* Opens component name (no link followed) in the directory dfd; the fd,
 * or -1 with the answer's status and why. */
static int
open_beneath(int dfd, const char *name, int dir, int *status,
    const char **why)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK | (dir ? O_DIRECTORY : 0));
	struct stat st;

	if (fd != -1)
		return fd;
	switch (errno) {
	case ELOOP:
	case EMLINK:	/* FreeBSD's errno for O_NOFOLLOW on a link */
		*status = 403;
		*why = "symbolic links are not followed";
		break;
	case ENOTDIR:
		/* Linux's errno for O_DIRECTORY on a link to a directory */
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode)) {
			*status = 403;
			*why = "symbolic links are not followed";
			break;
		}
		/* FALLTHROUGH */
	case ENOENT:
	case ENAMETOOLONG:
		*status = 404;
		*why = "no such file";
		break;
	case EACCES:
	case EPERM:
		*status = 403;
		*why = "the file may not be read";
		break;
	default:
		*status = 500;
		*why = "the file cannot be opened";
		log_warn("--static-dir: %s", name);
		break;
	}
	return -1;
}

/*
 * Walks path (decoded, starting with '/') from the --static-dir: every
 * directory opened beneath the last with O_NOFOLLOW, ".." refused, "."
 * and empty components skipped. Returns the open file or directory, or
 * -1 with status and why; *base points at the last component's name.
 */
static int
static_open(const char *root, char *path, int *status, const char **why,
    const char **base)
{
	char *p = path, *next;
	int dfd, fd, depth = 0;

	if ((dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		log_warn("--static-dir: %s", root);
		*status = 500;
		*why = "the --static-dir directory cannot be opened";
		return -1;
	}
	*base = "";
	for (;;) {
		while (*p == '/')
			p++;
		if ((next = strchr(p, '/')) != NULL)
			*next = '\0';
		if (strcmp(p, "..") == 0) {
			*status = 403;
			*why = "'..' in a path is refused";
			fd_close(&dfd);
			return -1;
		}
		if (*p == '\0' || strcmp(p, ".") == 0) {
			if (next == NULL)
				return dfd;	/* the directory itself */
			p = next + 1;
			continue;
		}
		if (++depth > WEB_DEPTH_MAX) {
			*status = 404;
			*why = "the path is too deep";
			fd_close(&dfd);
			return -1;
		}
		fd = open_beneath(dfd, p, next != NULL, status, why);
		fd_close(&dfd);
		if (fd == -1 || next == NULL) {
			*base = p;
			return fd;
		}
		dfd = fd;
		p = next + 1;
	}
}

/* 1 if the list of entity-tags v[n] (If-None-Match, If-Range) has etag:
 * weak comparison (W/ ignored) unless strong. */
static int
etag_listed(const char *v, size_t n, const char *etag, int strong)
{
	size_t i = 0, start, len = strlen(etag);
	int weak;

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		if (i == n)
			break;
		if (v[i] == '*' && !strong)
			return 1;
		weak = n - i > 2 && v[i] == 'W' && v[i + 1] == '/';
		if (weak)
			i += 2;
		start = i;
		if (i < n && v[i] == '"')
			for (i++; i < n && v[i] != '"'; i++)
				;
		if (i < n)
			i++;	/* the closing quote */
		if (i - start == len && memcmp(v + start, etag, len) == 0 &&
		    !(strong && weak))
			return 1;
		while (i < n && v[i] != ',')
			i++;
	}
	return 0;
}

/* 1 when the client's copy is current: If-None-Match, else
 * If-Modified-Since (RFC 9110 13.2.2). */
static int
not_modified(const struct plugin_call *pc, const char *etag, int64_t mtime)
{
	const char *v;
	int64_t since;
	size_t n;

	if ((v = plugin_field(pc, "If-None-Match", &n)) != NULL)
		return etag_listed(v, n, etag, 0);
	if ((v = plugin_field(pc, "If-Modified-Since", &n)) != NULL &&
	    http_date_parse(v, n, &since) == 0)
		return mtime <= since;
	return 0;
}

/* A decimal of at most 18 digits at v[*i] (advancing it); -1 if none. */
static int
range_num(const char *v, size_t n, size_t *i, uint64_t *out)
{
	size_t start = *i;

	*out = 0;
	while (*i < n && v[*i] >= '0' && v[*i] <= '9') {
		if (*i - start == 18)
			return -1;
		*out = *out * 10 + (uint64_t)(v[*i] - '0');
		(*i)++;
	}
	return *i > start ? 0 : -1;
}

/*
 * One byte range, "bytes=a-b", "bytes=a-" or "bytes=-n", against a file
 * of size bytes: 1 with [*from, *to] set, -1 when it cannot be
 * satisfied, 0 when the field is to be ignored (another unit, several
 * ranges, malformed: the whole file is sent, as RFC 9110 14.2 allows).
 */
static int
range_parse(const char *v, size_t n, uint64_t size, uint64_t *from,
    uint64_t *to)
{
	size_t i = 6;
	uint64_t a, b;

	if (n < 7 || strncasecmp(v, "bytes=", 6) != 0 ||
	    memchr(v, ',', n) != NULL)
		return 0;
	while (i < n && (v[i] == ' ' || v[i] == '\t'))
		i++;
	if (i < n && v[i] == '-') {
		i++;
		if (range_num(v, n, &i, &b) == -1 || i != n)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		*from = b >= size ? 0 : size - b;
		*to = size - 1;
		return 1;
	}
	if (range_num(v, n, &i, &a) == -1 || i == n || v[i++] != '-')
		return 0;
	b = UINT64_MAX;
	if (i < n && range_num(v, n, &i, &b) == -1)
		return 0;
	if (i != n || b < a)
		return 0;
	if (a >= size)
		return -1;
	*from = a;
	*to = b >= size ? size - 1 : b;
	return 1;
}

/* Range applies unless If-Range names another version of the file. */
static int
range_wanted(const struct plugin_call *pc, const char *etag,
    const char *lastmod)
{
	const char *v;
	size_t n;

	if (pc->method != HTTP_GET || plugin_field(pc, "Range", &n) == NULL)
		return 0;
	if ((v = plugin_field(pc, "If-Range", &n)) == NULL)
		return 1;
	if (n > 0 && (v[0] == '"' || v[0] == 'W'))
		return etag_listed(v, n, etag, 1);
	return n == strlen(lastmod) && memcmp(v, lastmod, n) == 0;
}

/* The fields that name the file's version, for a cache to revalidate. */
static int
validators(struct plugin_call *pc, const char *etag, const char *lastmod)
{
	return plugin_answer_field(pc, "ETag: %s", etag) == -1 ||
	    plugin_answer_field(pc, "Last-Modified: %s", lastmod) == -1 ?
	    -1 : 0;
}

/* The answer for a Range the file cannot satisfy (RFC 9110 15.5.17). */
static enum plugin_verdict
range_refused(struct plugin_call *pc, uint64_t size)
{
	if (plugin_answer(pc, 416, NULL, NULL, 0) != PLUGIN_DONE ||
	    plugin_answer_field(pc, "Content-Range: bytes */%llu",
	    (unsigned long long)size) == -1)
		return PLUGIN_FAIL;
	return PLUGIN_DONE;
}

/* Sends the open regular file fd (stat st): whole, a range, or 304. */
static enum plugin_verdict
file_send(struct plugin_call *pc, int fd, const struct stat *st,
    const char *name)
{
	char etag[48], lastmod[30];
	uint64_t size = (uint64_t)st->st_size, from = 0, to = 0;
	const char *ctype = ctype_of(name), *v;
	size_t len;
	int r = 0;

	snprintf(etag, sizeof(etag), "\"%llx-%llx\"",
	    (unsigned long long)st->st_mtime, (unsigned long long)size);
	http_date_format((int64_t)st->st_mtime, lastmod);
	if (not_modified(pc, etag, (int64_t)st->st_mtime)) {
		fd_close(&fd);
		if (plugin_answer(pc, 304, ctype, NULL, 0) != PLUGIN_DONE ||
		    validators(pc, etag, lastmod) == -1)
			return PLUGIN_FAIL;
		pc->answer.cache = "no-cache";
		return PLUGIN_DONE;
	}
	if (range_wanted(pc, etag, lastmod) &&
	    (v = plugin_field(pc, "Range", &len)) != NULL &&
	    (r = range_parse(v, len, size, &from, &to)) == -1) {
		fd_close(&fd);
		return range_refused(pc, size);
	}
	if (r == 1 && lseek(fd, (off_t)from, SEEK_SET) == -1) {
		fd_close(&fd);
		return plugin_refuse(pc, 500, NULL, "cannot seek in the file");
	}
	if (plugin_answer_file(pc, r == 1 ? 206 : 200, ctype, fd,
	    r == 1 ? to - from + 1 : size) != PLUGIN_DONE)
		return PLUGIN_FAIL;
	pc->answer.cache = "no-cache";
	if ((r == 1 ? plugin_answer_field(pc, "Content-Range: bytes "
	    "%llu-%llu/%llu", (unsigned long long)from,
	    (unsigned long long)to, (unsigned long long)size) :
	    plugin_answer_field(pc, "Accept-Ranges: bytes")) == -1 ||
	    validators(pc, etag, lastmod) == -1)
		return PLUGIN_FAIL;
	return PLUGIN_DONE;
}

/* The length of the target's path, before any query. */
static size_t
target_path_len(const struct plugin_call *pc)
{
	const char *t = pc->buf + pc->head->target.off;
	const char *q = memchr(t, '?', pc->head->target.len);

	return q != NULL ? (size_t)(q - t) : pc->head->target.len;
}

/* A directory named without its final '/': relative links in its
 * index.html would go to its parent, so the client is sent to it. */
static enum plugin_verdict
dir_redirect(struct plugin_call *pc)
{
	const struct http_span *tg = &pc->head->target;
	const char *t = pc->buf + tg->off;
	size_t plen = target_path_len(pc);
	static const char body[] = "Moved to the directory's address, "
	    "with its final '/'.\n";

	if (tg->len > WEB_PATH_MAX)
		return plugin_refuse(pc, 404, NULL, "no such file");
	/* the target as the client sent it: encoded, no CR or LF */
	if (plugin_answer_static(pc, 301, NULL, body, sizeof(body) - 1) !=
	    PLUGIN_DONE || plugin_answer_field(pc, "Location: %.*s/%.*s",
	    (int)plen, t, (int)(tg->len - plen), t + plen) == -1)
		return PLUGIN_FAIL;
	return PLUGIN_DONE;
}

/* The index.html of the open directory dfd (closed here), or a
 * refusal. */
static int
index_open(struct plugin_call *pc, int dfd, struct stat *st)
{
	const char *why = NULL;
	int status = 0, fd = open_beneath(dfd, INDEX_FILE, 0, &status, &why);

	fd_close(&dfd);
	if (fd == -1 || fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		fd_close(&fd);
		(void)plugin_refuse(pc, 403, NULL, "directory listings are "
		    "not served (no index.html)");
		return -1;
	}
	return fd;
}

static enum plugin_verdict
static_serve(struct plugin_call *pc, char *path)
{
	const char *why = NULL, *base;
	int status = 0, fd;
	size_t plen = target_path_len(pc);
	struct stat st;

	if ((fd = static_open(pc->cfg->static_dir, path, &status, &why,
	    &base)) == -1)
		return plugin_refuse(pc, status, NULL, "%s", why);
	if (fstat(fd, &st) == -1) {
		fd_close(&fd);
		return plugin_refuse(pc, 500, NULL, "cannot stat the file");
	}
	if (S_ISDIR(st.st_mode)) {
		if (plen > 0 && pc->buf[pc->head->target.off + plen - 1] !=
		    '/') {
			fd_close(&fd);
			return dir_redirect(pc);
		}
		if ((fd = index_open(pc, fd, &st)) == -1)
			return PLUGIN_DONE;
		base = INDEX_FILE;
	}
	if (!S_ISREG(st.st_mode)) {
		fd_close(&fd);
		return plugin_refuse(pc, 403, NULL, "not a regular file");
	}
	return file_send(pc, fd, &st, base);
}

/* -------------------------------------------------------------- entry */

/* The figures and pages of the server itself; PLUGIN_PASS when path is
 * none of them. */
static enum plugin_verdict
builtin_serve(struct plugin_call *pc, const char *path)
{
	const struct worker *w = pc->worker;
	enum plugin_verdict v;
	long n;

	if (strcmp(path, "/metrics") == 0)
		return page_send(pc, "text/plain; version=0.0.4; "
		    "charset=utf-8", METRICS_CAP, metrics_render);
	if (strcmp(path, "/status") == 0) {
		(void)slots(w, &n);
		return page_send(pc, "text/html; charset=utf-8",
		    STATUS_CAP + (size_t)n * STATUS_ROW, status_render);
	}
	if (strcmp(path, "/healthz") != 0)
		return PLUGIN_PASS;
	/* a worker that stops serves its last clients only */
	v = w->quitting ? plugin_answer_static(pc, 503, NULL, "stopping\n", 9) :
	    plugin_answer_static(pc, 200, NULL, "ok\n", 3);
	pc->answer.cache = "no-store";
	return v;
}

/* 1 when the request carries, in the field named, Basic credentials of
 * a --basic-auth user. */
static int
web_login(const struct plugin_call *pc, const char *field)
{
	const struct config *cfg = pc->cfg;
	char plain[2 * NTLM_NAME_MAX + NTLM_PASS_MAX], *pass;
	int ok;

	if (http_basic_decode(pc->buf, pc->head, field, plain, sizeof(plain),
	    &pass) == -1)
		return 0;
	ok = user_check(cfg->users, cfg->nusers, plain, pass);
	ntlm_wipe(plain, sizeof(plain));
	return ok;
}

/* Who may ask: --web-allow, then --basic-auth (Authorization, as a
 * browser sends it to a server; Proxy-Authorization too). 0, or the
 * refusal's status with why. */
static int
web_access(const struct plugin_call *pc, const char **why)
{
	const struct config *cfg = pc->cfg;

	if (cfg->web_allow.n > 0 && (pc->peer_addr == NULL ||
	    !netlist_match_addr(&cfg->web_allow, pc->peer_addr))) {
		*why = "this address may not use the web server (--web-allow)";
		return 403;
	}
	if (cfg->nusers > 0 && !web_login(pc, "Authorization") &&
	    !web_login(pc, "Proxy-Authorization")) {
		*why = "log in with Basic authentication";
		return 401;
	}
	return 0;
}

int
web_wanted(const struct config *cfg)
{
	return cfg->web_server;
}

enum plugin_verdict
web_request(struct plugin_call *pc)
{
	const struct http_head *h = pc->head;
	char path[WEB_PATH_MAX];
	const char *why = NULL;
	enum plugin_verdict v;
	int status;

	if (!pc->local || h->form != HTTP_FORM_ORIGIN)
		return PLUGIN_PASS;
	if ((status = web_access(pc, &why)) != 0)
		return plugin_refuse(pc, status, NULL, "%s", why);
	if (h->method != HTTP_GET && h->method != HTTP_HEAD)
		return plugin_refuse(pc, 405, NULL, "the web server answers "
		    "GET and HEAD");
	if (h->body != HTTP_BODY_NONE)
		return plugin_refuse(pc, 400, NULL, "a GET or HEAD to the web "
		    "server has no body");
	if ((why = path_decode(pc->buf + h->target.off, h->target.len, path,
	    sizeof(path))) != NULL)
		return plugin_refuse(pc, 400, NULL, "%s", why);
	if ((v = builtin_serve(pc, path)) != PLUGIN_PASS)
		return v;
	if (pc->cfg->static_dir == NULL)
		return plugin_refuse(pc, 404, NULL, "no such page (the web "
		    "server has /metrics, /status and /healthz; files need "
		    "--static-dir)");
	return static_serve(pc, path);
}

void
web_done(struct plugin_call *pc)
{
	struct web_state *st = pc->state;

	free(st->page);
	st->page = NULL;
}
