/*
 * plugins.c: the static table of plugins (proxy.py's "everything is a
 * plugin", compiled in), the chain --plugins builds from it, their
 * flags, and the built-in plugins: the PAC file (an internal row),
 * proposed_rest_api, redirect_to_custom_server, filter_by_upstream_host,
 * cache_responses, man_in_the_middle, upper_text (the README's example)
 * and error_test (a test fixture). The web server's row has its hooks in
 * web.c.
 *
 * Nothing here knows a connection: hooks read the struct plugin_call the
 * core made and answer through hooks.c. Adding a plugin is its functions
 * and one row of plugin_table[].
 */
#include <sys/stat.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "proxy.h"

/* --------------------------------------------------------------- flags */

/* The flag named name[len] of row p, or NULL. */
static const struct plugin_flag *
row_flag(const struct plugin *p, const char *name, size_t len)
{
	const struct plugin_flag *f;

	for (f = p->opts; f != NULL && f->name != NULL; f++)
		if (strlen(f->name) == len && strncmp(f->name, name, len) == 0)
			return f;
	return NULL;
}

const struct plugin_flag *
plugins_flag_find(const char *name, size_t len)
{
	const struct plugin_flag *f;
	size_t i;

	for (i = 0; i < plugin_table_len; i++)
		if ((f = row_flag(&plugin_table[i], name, len)) != NULL)
			return f;
	return NULL;
}

/* The index in cfg->plugin_args of the last value given for name, or
 * -1. Items are "name=value". */
static long
arg_index(const struct config *cfg, const char *name)
{
	size_t n = strlen(name), i = cfg->plugin_args.n;

	while (i-- > 0)
		if (strncmp(cfg->plugin_args.v[i], name, n) == 0 &&
		    cfg->plugin_args.v[i][n] == '=')
			return (long)i;
	return -1;
}

const char *
plugin_flag(const struct config *cfg, const char *name)
{
	const struct plugin_flag *f;
	long i = arg_index(cfg, name);

	if (i >= 0)
		return cfg->plugin_args.v[i] + strlen(name) + 1;
	f = plugins_flag_find(name, strlen(name));
	return f != NULL ? f->def : NULL;
}

int
plugin_flag_given(const struct config *cfg, const char *name)
{
	return arg_index(cfg, name) >= 0;
}

/* Where a flag was set, for errors: "file:line: key" or "--name". */
static void
flag_where(const struct config *cfg, const char *name, char *out,
    size_t size)
{
	long i = arg_index(cfg, name);

	if (i >= 0 && cfg->plugin_args.from[i] != NULL)
		snprintf(out, size, "%s", cfg->plugin_args.from[i]);
	else
		snprintf(out, size, "--%s", name);
}

int
plugin_flag_long(const struct config *cfg, const char *name, long min,
    long max, long *v, char *why, size_t whysz)
{
	const char *s = plugin_flag(cfg, name);
	char where[PATH_MAX + 64];

	if (s != NULL && parse_long(s, min, max, v) == 0)
		return 0;
	flag_where(cfg, name, where, sizeof(where));
	snprintf(why, whysz, "%s: '%s' is not a number in %ld..%ld", where,
	    s != NULL ? s : "", min, max);
	return -1;
}

/* An error of an init about flag name: "--name: ..." (or its file
 * line); returns -1. */
static int PRINTF(5, 6)
flag_error(const struct config *cfg, const char *name, char *why,
    size_t whysz, const char *fmt, ...)
{
	char where[PATH_MAX + 64], msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	flag_where(cfg, name, where, sizeof(where));
	snprintf(why, whysz, "%s: %s", where, msg);
	return -1;
}

void
plugins_usage(FILE *f)
{
	const struct plugin_flag *o;
	char lhs[64];
	size_t i;

	fprintf(f, "\nplugins, for --plugins (in the order given; proxy.py's "
	    "class names work too):\n");
	for (i = 0; i < plugin_table_len; i++) {
		const struct plugin *p = &plugin_table[i];

		if ((p->flags & PLUGIN_HIDDEN) || p->wanted != NULL)
			continue;
		fprintf(f, "    %s%s%s%s: %s\n", p->name, p->alias ? " (" : "",
		    p->alias ? p->alias : "", p->alias ? ")" : "", p->help);
	}
	fprintf(f, "\nplugin flags (read by the plugin named, when it is "
	    "enabled):\n");
	for (i = 0; i < plugin_table_len; i++) {
		const struct plugin *p = &plugin_table[i];

		if (p->flags & PLUGIN_HIDDEN)
			continue;
		for (o = p->opts; o != NULL && o->name != NULL; o++) {
			snprintf(lhs, sizeof(lhs), "--%s %s", o->name, o->meta);
			fprintf(f, "  %-30s %s: %s", lhs, p->name, o->help);
			if (o->def != NULL || o->shown != NULL)
				fprintf(f, " (default: %s)", o->def != NULL ?
				    o->def : o->shown);
			fputc('\n', f);
		}
	}
}

int
plugins_save(FILE *f, const struct config *cfg)
{
	const char *item, *eq;
	size_t i;
	char name[64];

	for (i = 0; i < cfg->plugin_args.n; i++) {
		item = cfg->plugin_args.v[i];
		if ((eq = strchr(item, '=')) == NULL ||
		    strnbuf(name, sizeof(name), item, (size_t)(eq - item)) == -1 ||
		    arg_index(cfg, name) != (long)i)
			continue;	/* a later value wins */
		if (fprintf(f, "%s = %s\n", name, eq + 1) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------- the chain */

/* "a-b", "A_B" and "A_b" name the same plugin. */
static int
name_eq(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		int x = *a == '-' ? '_' : tolower((unsigned char)*a);
		int y = *b == '-' ? '_' : tolower((unsigned char)*b);

		if (x != y)
			return 0;
	}
	return *a == *b;
}

/* The row --plugins names: its name, or proxy.py's class name with any
 * module prefix ("plugin_examples.", "proxy.plugin."). */
static const struct plugin *
row_lookup(const char *name)
{
	const char *dot = strrchr(name, '.');
	const char *base = dot != NULL ? dot + 1 : name;
	size_t i;

	for (i = 0; i < plugin_table_len; i++) {
		const struct plugin *p = &plugin_table[i];

		if (p->wanted != NULL)
			continue;	/* internal: never named */
		if (name_eq(name, p->name) || (p->alias != NULL &&
		    name_eq(base, p->alias)))
			return p;
	}
	return NULL;
}

static int
chain_add(struct config *cfg, const struct plugin *p, const char *where,
    char *why, size_t whysz)
{
	size_t i;

	for (i = 0; i < cfg->nchain; i++)
		if (cfg->chain[i].p == p) {
			snprintf(why, whysz, "%s: %s is named twice", where,
			    p->name);
			return -1;
		}
	if (cfg->nchain == PLUGINS_MAX) {
		snprintf(why, whysz, "%s: more than %d plugins", where,
		    PLUGINS_MAX);
		return -1;
	}
	cfg->chain[cfg->nchain].p = p;
	cfg->chain[cfg->nchain++].conf = NULL;
	return 0;
}

/* The internal rows cfg wants, those that go first or last. */
static int
chain_internal(struct config *cfg, int last, char *why, size_t whysz)
{
	const struct plugin *p;
	size_t i;

	for (i = 0; i < plugin_table_len; i++) {
		p = &plugin_table[i];
		if (p->wanted != NULL && p->last == last && p->wanted(cfg) &&
		    chain_add(cfg, p, "--plugins", why, whysz) == -1)
			return -1;
	}
	return 0;
}

int
plugins_finish(struct config *cfg, char *why, size_t whysz)
{
	const struct plugin *p;
	const char *where;
	size_t i;

	cfg->nchain = 0;
	if (chain_internal(cfg, 0, why, whysz) == -1)
		return -1;
	for (i = 0; i < cfg->plugins_s.n; i++) {
		where = cfg->plugins_s.from[i] != NULL ?
		    cfg->plugins_s.from[i] : "--plugins";
		if ((p = row_lookup(cfg->plugins_s.v[i])) == NULL) {
			snprintf(why, whysz, "%s: '%s' is not a plugin (see "
			    "--help for the list)", where, cfg->plugins_s.v[i]);
			return -1;
		}
		if (chain_add(cfg, p, where, why, whysz) == -1)
			return -1;
	}
	if (chain_internal(cfg, 1, why, whysz) == -1)
		return -1;
	for (i = 0; i < cfg->nchain; i++) {
		p = cfg->chain[i].p;
		if (p->init != NULL && p->init(cfg, &cfg->chain[i].conf, why,
		    whysz) == -1) {
			/* fini frees what init made before it failed (a fini
			 * takes NULL) */
			cfg->nchain = i + 1;
			return -1;
		}
	}
	return 0;
}

void
plugins_free(struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nchain; i++)
		if (cfg->chain[i].p->fini != NULL)
			cfg->chain[i].p->fini(cfg->chain[i].conf);
	cfg->nchain = 0;
}

/* ------------------------------------------------------------ pac_file */

/*
 * --pac-file, served to origin-form GET and HEAD requests at
 * --pac-file-url-path and /wpad.dat: an internal row, on whenever
 * --pac-file is. The file is read anew per request and streamed; when it
 * cannot be opened (or is an inline script), the start-up copy goes.
 */
static const char pac_ctype[] = "application/x-ns-proxy-autoconfig";

static int
pac_wanted(const struct config *cfg)
{
	return cfg->pac_served != NULL;
}

/* 1 if path[len] (its query left out) is where the PAC file is. */
static int
pac_at(const struct config *cfg, const char *path, size_t len)
{
	const char *q = memchr(path, '?', len);
	size_t n = q != NULL ? (size_t)(q - path) : len;

	return (n == strlen(cfg->pac_file_url_path) &&
	    memcmp(path, cfg->pac_file_url_path, n) == 0) ||
	    (n == 9 && memcmp(path, "/wpad.dat", 9) == 0);
}

static enum plugin_verdict
pac_request(struct plugin_call *pc)
{
	const struct config *cfg = pc->cfg;
	enum plugin_verdict v;
	const char *path;
	struct stat st;
	size_t len;
	int fd = -1;

	if (!pc->local || (pc->method != HTTP_GET &&
	    pc->method != HTTP_HEAD))
		return PLUGIN_PASS;
	path = plugin_path(pc, &len);
	if (!pac_at(cfg, path, len))
		return PLUGIN_PASS;
	if (cfg->pac_served_path != NULL &&
	    (fd = open(cfg->pac_served_path, O_RDONLY | O_CLOEXEC)) != -1 &&
	    fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		v = plugin_answer_file(pc, 200, pac_ctype, fd,
		    (uint64_t)st.st_size);
		pc->answer.cache = "max-age=300";
		return v;
	}
	fd_close(&fd);
	/* configuration memory outlives every answer: it goes as it is,
	 * however large, not through plugin_answer's copy */
	v = plugin_answer_static(pc, 200, pac_ctype, cfg->pac_served,
	    cfg->pac_served_len);
	pc->answer.cache = "max-age=300";
	return v;
}

/* ---------------------------------------------------- proposed_rest_api */

/*
 * proxy.py's ProposedRestApiPlugin: answers for a REST API that does not
 * exist yet, with no upstream connection. api.example.com/v1/users/ is
 * proxy.py's example (its README's body); --mock-dir DIR adds a mocked
 * host per subdirectory DIR/HOST, whose files answer DIR/HOST/PATH (a
 * PATH ending in / or naming a directory: its index.json). A file may
 * start with CGI's head ("Status: 201", "Content-Type: text/csv", an
 * empty line); else it is a 200 typed by its extension. Unknown paths
 * of a mocked host get a 404 in JSON; other hosts are proxied.
 */
#define MOCK_HOSTS_MAX	4096
#define MOCK_HEAD_MAX	1024	/* a file's CGI head */

static const char mock_example_host[] = "api.example.com";
static const char mock_example_path[] = "/v1/users/";
static const char mock_example[] = "{\"count\": 2, \"next\": null, "
    "\"previous\": null, \"results\": [{\"email\": \"you@example.com\", "
    "\"groups\": [], \"url\": \"api.example.com/v1/users/1/\", "
    "\"username\": \"admin\"}, {\"email\": \"someone@example.com\", "
    "\"groups\": [], \"url\": \"api.example.com/v1/users/2/\", "
    "\"username\": \"admin\"}]}";
static const char mock_404[] = "{\"error\": \"not found\"}\n";

struct mock_conf {
	const char	*dir;
	char		**hosts;	/* DIR's subdirectories */
	size_t		 nhosts;
};

struct mock_state {
	char		 ctype[128];	/* a file's Content-Type, kept until
					   the answer's head is written */
};

static const struct {
	const char	*ext;
	const char	*ctype;
} mock_types[] = {
	{ ".json", "application/json" },
	{ ".html", "text/html" },
	{ ".htm", "text/html" },
	{ ".txt", "text/plain" },
	{ ".xml", "application/xml" },
	{ ".csv", "text/csv" },
	{ ".js", "text/javascript" },
	{ ".css", "text/css" },
};

static void
mock_fini(void *conf)
{
	struct mock_conf *mc = conf;
	size_t i;

	if (mc == NULL)
		return;
	for (i = 0; i < mc->nhosts; i++)
		free(mc->hosts[i]);
	free(mc->hosts);
	free(mc);
}

/* The subdirectories of DIR: the hosts it mocks. */
static int
mock_scan(const struct config *cfg, struct mock_conf *mc, char *why,
    size_t whysz)
{
	char path[PATH_MAX];
	struct dirent *e;
	struct stat st;
	char **v;
	DIR *d;

	if ((d = opendir(mc->dir)) == NULL)
		return flag_error(cfg, "mock-dir", why, whysz, "%s: %s",
		    mc->dir, strerror(errno));
	while ((e = readdir(d)) != NULL && mc->nhosts < MOCK_HOSTS_MAX) {
		if (e->d_name[0] == '.' || snprintf(path, sizeof(path),
		    "%s/%s", mc->dir, e->d_name) >= (int)sizeof(path) ||
		    stat(path, &st) == -1 || !S_ISDIR(st.st_mode))
			continue;
		if ((v = realloc(mc->hosts, (mc->nhosts + 1) * sizeof(*v))) ==
		    NULL || (v[mc->nhosts] = strdup(e->d_name)) == NULL) {
			if (v != NULL)
				mc->hosts = v;
			closedir(d);
			return flag_error(cfg, "mock-dir", why, whysz,
			    "out of memory");
		}
		mc->hosts = v;
		mc->nhosts++;
	}
	closedir(d);
	return 0;
}

static int
mock_init(const struct config *cfg, void **conf, char *why, size_t whysz)
{
	struct mock_conf *mc;

	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		return flag_error(cfg, "mock-dir", why, whysz, "out of memory");
	mc->dir = plugin_flag(cfg, "mock-dir");
	if (mc->dir != NULL && mock_scan(cfg, mc, why, whysz) == -1) {
		mock_fini(mc);
		return -1;
	}
	*conf = mc;
	return 0;
}

/* DIR's name for host (names are compared without case), or NULL. */
static const char *
mock_host(const struct mock_conf *mc, const char *host)
{
	size_t i;

	for (i = 0; i < mc->nhosts; i++)
		if (strcasecmp(mc->hosts[i], host) == 0)
			return mc->hosts[i];
	return NULL;
}

/* 1 if path[len] has no "." or ".." segment: it stays inside DIR. */
static int
mock_path_safe(const char *path, size_t len)
{
	size_t i = 0, seg;

	while (i < len) {
		i++;	/* the '/' */
		seg = 0;
		while (i + seg < len && path[i + seg] != '/')
			seg++;
		if ((seg == 1 && path[i] == '.') ||
		    (seg == 2 && path[i] == '.' && path[i + 1] == '.'))
			return 0;
		i += seg;
	}
	return 1;
}

static const char *
mock_type(const char *file)
{
	size_t i, n = strlen(file), k;

	for (i = 0; i < sizeof(mock_types) / sizeof(mock_types[0]); i++) {
		k = strlen(mock_types[i].ext);
		if (n > k && strcasecmp(file + n - k, mock_types[i].ext) == 0)
			return mock_types[i].ctype;
	}
	return "application/octet-stream";
}

/* A file's CGI head, if it has one: *status, st->ctype and its length
 * (0 when none); -1 when it is malformed. */
static long
mock_head(int fd, struct mock_state *st, int *status)
{
	char head[MOCK_HEAD_MAX + 1], *line, *end, *colon;
	ssize_t n = pread(fd, head, MOCK_HEAD_MAX, 0);
	long v;

	if (n <= 0 || (strncasecmp(head, "Status:", 7) != 0 &&
	    strncasecmp(head, "Content-Type:", 13) != 0))
		return 0;
	head[n] = '\0';
	for (line = head; ; line = end + 1) {
		if ((end = strchr(line, '\n')) == NULL)
			return -1;	/* no empty line in the first KiB */
		*end = '\0';
		if (end > line && end[-1] == '\r')
			end[-1] = '\0';
		if (*line == '\0')
			return (long)(end + 1 - head);
		if ((colon = strchr(line, ':')) == NULL)
			return -1;
		*colon++ = '\0';
		colon += strspn(colon, " \t");
		if (strcasecmp(line, "Status") == 0) {
			colon[strspn(colon, "0123456789")] = '\0';
			if (parse_long(colon, 200, 999, &v) == -1)
				return -1;
			*status = (int)v;
		} else if (strcasecmp(line, "Content-Type") == 0)
			strlcpy_p(st->ctype, colon, sizeof(st->ctype));
		else
			return -1;
	}
}

/* Opens DIR/HOST/PATH (its index.json for a directory). */
static int
mock_open(const struct mock_conf *mc, const char *dirhost, const char *path,
    size_t len, char *file, size_t size)
{
	struct stat st;
	int fd, n;

	n = snprintf(file, size, "%s/%s%.*s%s", mc->dir, dirhost, (int)len,
	    path, path[len - 1] == '/' ? "index.json" : "");
	if (n < 0 || (size_t)n >= size ||
	    (fd = open(file, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1) {
		fd_close(&fd);
		return -1;
	}
	if (S_ISREG(st.st_mode))
		return fd;
	fd_close(&fd);
	if (!S_ISDIR(st.st_mode) || (size_t)n + 12 >= size)
		return -1;
	strlcpy_p(file + n, "/index.json", size - (size_t)n);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) != -1 &&
	    (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)))
		fd_close(&fd);
	return fd;
}

/* The mock file for path, or PLUGIN_PASS when there is none. */
static enum plugin_verdict
mock_file(struct plugin_call *pc, const struct mock_conf *mc,
    const char *dirhost, const char *path, size_t len)
{
	struct mock_state *st = pc->state;
	char file[PATH_MAX];
	struct stat sb;
	int fd, status = 200;
	long head;

	if (!mock_path_safe(path, len) ||
	    (fd = mock_open(mc, dirhost, path, len, file, sizeof(file))) == -1)
		return PLUGIN_PASS;
	strlcpy_p(st->ctype, mock_type(file), sizeof(st->ctype));
	if ((head = mock_head(fd, st, &status)) == -1 || fstat(fd, &sb) == -1 ||
	    lseek(fd, (off_t)head, SEEK_SET) == -1) {
		fd_close(&fd);
		return plugin_fail(pc, "%s: a malformed head (Status: and "
		    "Content-Type: lines, then an empty line)", file);
	}
	return plugin_answer_file(pc, status, st->ctype, fd,
	    (uint64_t)sb.st_size - (uint64_t)head);
}

static enum plugin_verdict
mock_request(struct plugin_call *pc)
{
	const struct mock_conf *mc = pc->conf;
	const char *path, *dirhost = NULL, *q;
	enum plugin_verdict v;
	size_t len;
	int example = strcasecmp(pc->host, mock_example_host) == 0;

	if (pc->local || pc->method == HTTP_CONNECT ||
	    (!example && (mc->dir == NULL ||
	    (dirhost = mock_host(mc, pc->host)) == NULL)))
		return PLUGIN_PASS;
	path = plugin_path(pc, &len);
	if ((q = memchr(path, '?', len)) != NULL)
		len = (size_t)(q - path);
	if (len == 0) {
		path = "/";
		len = 1;
	}
	if (dirhost != NULL &&
	    (v = mock_file(pc, mc, dirhost, path, len)) != PLUGIN_PASS)
		return v;
	if (example && len == sizeof(mock_example_path) - 1 &&
	    memcmp(path, mock_example_path, len) == 0)
		return plugin_answer(pc, 200, "application/json", mock_example,
		    sizeof(mock_example) - 1);
	return plugin_answer(pc, 404, "application/json", mock_404,
	    sizeof(mock_404) - 1);
}

static const struct plugin_flag mock_flags[] = {
	{ "mock-dir", "DIR", NULL, "answer DIR/HOST/PATH files for each "
	    "host with a directory in DIR", "none" },
	{ NULL, NULL, NULL, NULL, NULL }
};

/* -------------------------------------------- redirect_to_custom_server */

/*
 * proxy.py's RedirectToCustomServerPlugin: every plain http:// request
 * (not CONNECT, not https://, not intercepted) goes to --redirect-to
 * instead, its path appended to the URL's: by default the proxy's own
 * first listen address and port, where it reaches the proxy's own
 * answers (its web server).
 */
struct redirect_conf {
	char		 base[HOST_MAX + PATH_MAX];	/* "http://h:p/prefix",
							   no final '/' */
};

static int
redirect_default(const struct config *cfg, char *out, size_t size)
{
	char host[HOST_MAX];
	uint16_t port;
	const char *a = cfg->bind.n > 0 ? cfg->bind.v[0] : "127.0.0.1";

	if (parse_hostport(a, strlen(a), host, sizeof(host), &port,
	    (uint16_t)cfg->port) == -1)
		return -1;
	if (strcmp(host, "0.0.0.0") == 0)
		strlcpy_p(host, "127.0.0.1", sizeof(host));
	else if (strcmp(host, "::") == 0)
		strlcpy_p(host, "::1", sizeof(host));
	http_hostport(out, size, "http://", host, port);
	return out[0] == '\0' ? -1 : 0;
}

static int
redirect_init(const struct config *cfg, void **conf, char *why, size_t whysz)
{
	const char *url = plugin_flag(cfg, "redirect-to"), *auth, *slash;
	struct redirect_conf *rc;
	char host[HOST_MAX];
	uint16_t port;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return flag_error(cfg, "redirect-to", why, whysz,
		    "out of memory");
	*conf = rc;
	if (url == NULL)
		return redirect_default(cfg, rc->base, sizeof(rc->base)) == -1 ?
		    flag_error(cfg, "redirect-to", why, whysz, "cannot make "
		    "a URL of the listen address %s", cfg->bind.v[0]) : 0;
	if (strncasecmp(url, "http://", 7) != 0)
		return flag_error(cfg, "redirect-to", why, whysz, "'%s' is "
		    "not an http:// URL", url);
	auth = url + 7;
	slash = auth + strcspn(auth, "/?#");
	if (slash == auth || parse_hostport(auth, (size_t)(slash - auth), host,
	    sizeof(host), &port, 80) == -1 || *slash == '?' || *slash == '#' ||
	    strpbrk(slash, " \t\r\n?#") != NULL)
		return flag_error(cfg, "redirect-to", why, whysz, "'%s' is "
		    "not http://HOST[:PORT][/PATH]", url);
	http_hostport(rc->base, sizeof(rc->base), "http://", host, port);
	strlcpy_p(rc->base + strlen(rc->base), slash,
	    sizeof(rc->base) - strlen(rc->base));
	if (strlen(rc->base) > 0 && rc->base[strlen(rc->base) - 1] == '/')
		rc->base[strlen(rc->base) - 1] = '\0';
	return 0;
}

static enum plugin_verdict
redirect_request(struct plugin_call *pc)
{
	const struct redirect_conf *rc = pc->conf;
	const struct http_span *m = &pc->head->method_s;
	const char *path;
	size_t len, n;
	char *line;
	int r;

	if (pc->local || pc->tls || pc->intercepted ||
	    pc->method == HTTP_CONNECT)
		return PLUGIN_PASS;
	path = plugin_path(pc, &len);
	n = m->len + 1 + strlen(rc->base) + len + 10;
	if ((line = malloc(n)) == NULL)
		return plugin_fail(pc, "out of memory");
	snprintf(line, n, "%.*s %s%.*s HTTP/1.%d", (int)m->len,
	    pc->buf + m->off, rc->base, (int)len, path, pc->head->minor);
	r = plugin_rewrite(pc, line, NULL, 0, NULL, 0);
	free(line);
	return r == 0 ? PLUGIN_PASS : PLUGIN_FAIL;
}

static const struct plugin_flag redirect_flags[] = {
	{ "redirect-to", "URL", NULL, "where plain http:// requests go "
	    "instead (their path appended)", "the proxy's own address and "
	    "port" },
	{ NULL, NULL, NULL, NULL, NULL }
};

/* --------------------------------------------- filter_by_upstream_host */

/*
 * proxy.py's FilterByUpstreamHostPlugin: requests (CONNECTs too) for the
 * hosts of --filter-hosts, or of the lines of --filter-file (read again
 * when a SIGHUP reloads the configuration), are refused before any
 * connection: "418 I'm a tea pot", as proxy.py says it, or
 * --filter-status. Exact names are kept sorted, globs in a list.
 */
#define FILTER_FILE_MAX	(16 << 20)

struct filter_conf {
	char		**exact;	/* lower case, sorted */
	size_t		 nexact;
	char		**globs;
	size_t		 nglobs;
	int		 status;
};

static void
filter_fini(void *conf)
{
	struct filter_conf *fc = conf;
	size_t i;

	if (fc == NULL)
		return;
	for (i = 0; i < fc->nexact; i++)
		free(fc->exact[i]);
	for (i = 0; i < fc->nglobs; i++)
		free(fc->globs[i]);
	free(fc->exact);
	free(fc->globs);
	free(fc);
}

static int
filter_host_ok(const char *s)
{
	if (*s == '\0' || strlen(s) >= HOST_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-._*?:", *s) == NULL)
			return 0;
	return 1;
}

/* Adds one host or glob, lower-cased; 0, or -1 out of memory. */
static int
filter_add(struct filter_conf *fc, const char *s, size_t n)
{
	int glob = memchr(s, '*', n) != NULL || memchr(s, '?', n) != NULL;
	char ***v = glob ? &fc->globs : &fc->exact;
	size_t *nv = glob ? &fc->nglobs : &fc->nexact, i;
	char **grown, *copy;

	if ((copy = strndup(s, n)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		copy[i] = (char)tolower((unsigned char)copy[i]);
	if ((grown = realloc(*v, (*nv + 1) * sizeof(**v))) == NULL) {
		free(copy);
		return -1;
	}
	*v = grown;
	(*v)[(*nv)++] = copy;
	return 0;
}

/* Adds the items of a comma-separated list; 0, or -1 with why. */
static int
filter_csv(const struct config *cfg, struct filter_conf *fc, const char *csv,
    char *why, size_t whysz)
{
	char item[HOST_MAX];
	size_t n;

	while (*csv != '\0') {
		csv += strspn(csv, ", \t");
		n = strcspn(csv, ", \t");
		if (n == 0)
			break;
		if (strnbuf(item, sizeof(item), csv, n) == -1 ||
		    !filter_host_ok(item))
			return flag_error(cfg, "filter-hosts", why, whysz,
			    "'%.*s' is not a host name or glob", (int)n, csv);
		if (filter_add(fc, item, n) == -1)
			return flag_error(cfg, "filter-hosts", why, whysz,
			    "out of memory");
		csv += n;
	}
	return 0;
}

/* The lines of --filter-file: a host or glob each, '#' comments. */
static int
filter_file(const struct config *cfg, struct filter_conf *fc,
    const char *path, char *why, size_t whysz)
{
	char *text, *line, *next, *rest;
	size_t len, n;
	int lineno = 0;

	if ((text = config_slurp(path, FILTER_FILE_MAX, &len)) == NULL)
		return flag_error(cfg, "filter-file", why, whysz, "%s: %s",
		    path, strerror(errno));
	for (line = text; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "#")] = '\0';
		line += strspn(line, " \t\r");
		if ((n = strcspn(line, " \t\r")) == 0)
			continue;
		rest = line + n + strspn(line + n, " \t\r");
		if (*rest == '\0')
			line[n] = '\0';	/* one word: the host */
		if (*rest != '\0' || !filter_host_ok(line)) {
			flag_error(cfg, "filter-file", why, whysz, "%s:%d: '%.*s' "
			    "is not a host name or glob", path, lineno,
			    (int)strcspn(line, "\r"), line);
			free(text);
			return -1;
		}
		if (filter_add(fc, line, n) == -1) {
			free(text);
			return flag_error(cfg, "filter-file", why, whysz,
			    "out of memory");
		}
	}
	free(text);
	return 0;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
filter_init(const struct config *cfg, void **conf, char *why, size_t whysz)
{
	const char *file = plugin_flag(cfg, "filter-file");
	struct filter_conf *fc;
	long status;

	if ((fc = calloc(1, sizeof(*fc))) == NULL)
		return flag_error(cfg, "filter-hosts", why, whysz,
		    "out of memory");
	*conf = fc;
	if (plugin_flag_long(cfg, "filter-status", 400, 599, &status, why,
	    whysz) == -1)
		return -1;
	fc->status = (int)status;
	/* the file replaces the default list; a list given is added */
	if ((file == NULL || plugin_flag_given(cfg, "filter-hosts")) &&
	    filter_csv(cfg, fc, plugin_flag(cfg, "filter-hosts"), why,
	    whysz) == -1)
		return -1;
	if (file != NULL && filter_file(cfg, fc, file, why, whysz) == -1)
		return -1;
	if (fc->nexact > 0)
		qsort(fc->exact, fc->nexact, sizeof(*fc->exact), str_cmp);
	return 0;
}

static int
filter_match(const struct filter_conf *fc, const char *host)
{
	char lower[HOST_MAX], *key = lower;
	size_t i;

	for (i = 0; host[i] != '\0' && i + 1 < sizeof(lower); i++)
		lower[i] = (char)tolower((unsigned char)host[i]);
	lower[i] = '\0';
	if (fc->nexact > 0 && bsearch(&key, fc->exact, fc->nexact,
	    sizeof(*fc->exact), str_cmp) != NULL)
		return 1;
	for (i = 0; i < fc->nglobs; i++)
		if (config_glob_match(fc->globs[i], lower))
			return 1;
	return 0;
}

static enum plugin_verdict
filter_request(struct plugin_call *pc)
{
	const struct filter_conf *fc = pc->conf;

	if (pc->local || !filter_match(fc, pc->host))
		return PLUGIN_PASS;
	return plugin_refuse(pc, fc->status, fc->status == 418 ?
	    "I'm a tea pot" : NULL, "%s is filtered", pc->host);
}

static const struct plugin_flag filter_flags[] = {
	{ "filter-hosts", "LIST", "google.com,www.google.com",
	    "hosts and globs refused (with --filter-file: added to it)",
	    NULL },
	{ "filter-file", "F", NULL, "hosts and globs refused, one a line "
	    "(# comments), read again on SIGHUP", "none" },
	{ "filter-status", "N", "418", "the status they get", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

/* ------------------------------------------------------ cache_responses */

/*
 * proxy.py's CacheResponsesPlugin: each response from upstream (its
 * status line and fields as received, then its body) is written to
 * --cache-dir/HOST-SECONDS.MICROSECONDS.txt as it streams: a write per
 * piece, so no response is ever written whole in one go. A body that
 * was chunked, or that a plugin before this one changed, is kept
 * without Transfer-Encoding and Content-Length: the file reads as a
 * message ended by its end. Only complete responses are kept, and none
 * over --cache-max-bytes; the log names each file kept. With
 * interception these are the decrypted responses.
 */
struct cache_conf {
	char		 dir[PATH_MAX];
	long		 max;
};

struct cache_state {
	int		 open;		/* fd is ours */
	int		 fd;
	int		 expect;	/* the response has a body */
	int		 complete;	/* its last piece was written */
	uint64_t	 written;
	char		 path[PATH_MAX];
};

static int
cache_init(const struct config *cfg, void **conf, char *why, size_t whysz)
{
	const char *dir = plugin_flag(cfg, "cache-dir"), *tmp;
	struct cache_conf *cc;
	char cwd[PATH_MAX];
	struct stat st;

	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return flag_error(cfg, "cache-dir", why, whysz,
		    "out of memory");
	*conf = cc;
	if (plugin_flag_long(cfg, "cache-max-bytes", 0, LONG_MAX, &cc->max,
	    why, whysz) == -1)
		return -1;
	if (dir == NULL)
		dir = (tmp = getenv("TMPDIR")) != NULL && *tmp == '/' ? tmp :
		    "/tmp";
	/* absolute: --daemon changes to / */
	if ((dir[0] != '/' && (getcwd(cwd, sizeof(cwd)) == NULL ||
	    snprintf(cc->dir, sizeof(cc->dir), "%s/%s", cwd, dir) >=
	    (int)sizeof(cc->dir))) || (dir[0] == '/' && strnbuf(cc->dir,
	    sizeof(cc->dir), dir, strlen(dir)) == -1))
		return flag_error(cfg, "cache-dir", why, whysz, "%s: the path "
		    "is too long", dir);
	if (stat(cc->dir, &st) == -1 || !S_ISDIR(st.st_mode) ||
	    access(cc->dir, W_OK | X_OK) == -1)
		return flag_error(cfg, "cache-dir", why, whysz, "%s: not a "
		    "directory this user may write in", cc->dir);
	return 0;
}

/* Ends the file of this exchange: kept (and logged) or removed. */
static void
cache_end(struct cache_state *st, int keep, const char *why)
{
	if (!st->open)
		return;
	fd_close(&st->fd);
	st->open = 0;
	if (keep) {
		log_info("cache_responses: cached response at %s (%llu bytes)",
		    st->path, (unsigned long long)st->written);
		return;
	}
	(void)unlink(st->path);
	log_info("cache_responses: %s not kept: %s", st->path, why);
}

/* Writes n bytes; -1 (the file is removed) when they cannot go. */
static int
cache_write(const struct cache_conf *cc, struct cache_state *st,
    const char *p, size_t n)
{
	ssize_t w;

	if ((uint64_t)n > (uint64_t)cc->max - st->written) {
		cache_end(st, 0, "larger than --cache-max-bytes");
		return -1;
	}
	while (n > 0) {
		if ((w = write(st->fd, p, n)) <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			log_warn("cache_responses: %s", st->path);
			cache_end(st, 0, "a write failed");
			return -1;
		}
		p += w;
		n -= (size_t)w;
		st->written += (uint64_t)w;
	}
	return 0;
}

/* The head as the file keeps it: status line and fields, less the
 * framing fields when the body goes in unframed. */
static int
cache_head(struct plugin_call *pc, const struct cache_conf *cc,
    struct cache_state *st)
{
	const struct http_head *h = pc->head;
	int unframed = (h->flags & HTTP_F_TE) || pc->body_changed;
	const char *eol = memchr(pc->buf, '\r', h->head_len);
	char *out = malloc(h->head_len + 4);
	struct http_out o = { out, 0, h->head_len + 4, 0 };
	size_t i;
	int r;

	if (out == NULL || eol == NULL) {
		free(out);
		cache_end(st, 0, "out of memory");
		return -1;
	}
	http_out_put(&o, pc->buf, (size_t)(eol - pc->buf) + 2);
	for (i = 0; i < h->nfields; i++) {
		const struct http_field *f = &h->fields[i];
		const char *name = pc->buf + f->name.off;

		if (unframed && http_framing_field(name, f->name.len))
			continue;
		http_out_put(&o, name, f->name.len);
		http_out_put(&o, ": ", 2);
		http_out_put(&o, pc->buf + f->value.off, f->value.len);
		http_out_put(&o, "\r\n", 2);
	}
	http_out_put(&o, "\r\n", 2);
	r = o.overflow ? -1 : cache_write(cc, st, out, o.len);
	free(out);
	return r;
}

static enum plugin_verdict
cache_response(struct plugin_call *pc)
{
	const struct cache_conf *cc = pc->conf;
	struct cache_state *st = pc->state;
	const struct http_head *h = pc->head;
	struct timespec ts;

	cache_end(st, 0, "a new response began");
	clock_gettime(CLOCK_REALTIME, &ts);
	if (snprintf(st->path, sizeof(st->path), "%s/%s-%lld.%06ld.txt",
	    cc->dir, pc->host, (long long)ts.tv_sec, ts.tv_nsec / 1000) >=
	    (int)sizeof(st->path))
		return PLUGIN_PASS;
	if ((st->fd = open(st->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		log_warn("cache_responses: %s", st->path);
		return PLUGIN_PASS;	/* not cached; the response goes on */
	}
	st->open = 1;
	st->written = 0;
	st->complete = 0;
	st->expect = h->body != HTTP_BODY_NONE && !(h->body ==
	    HTTP_BODY_LENGTH && h->content_length == 0);
	if (cache_head(pc, cc, st) == -1 || !st->expect)
		return PLUGIN_PASS;
	return plugin_body(pc, PLUGIN_BODY_READ, NULL, 0) == 0 ? PLUGIN_PASS :
	    PLUGIN_FAIL;
}

static enum plugin_verdict
cache_body(struct plugin_call *pc, const char *data, size_t len, int last)
{
	struct cache_state *st = pc->state;

	if (st->open && cache_write(pc->conf, st, data, len) == 0 && last)
		st->complete = 1;
	return PLUGIN_PASS;
}

static void
cache_done(struct plugin_call *pc)
{
	struct cache_state *st = pc->state;

	cache_end(st, !pc->aborted && (st->complete || !st->expect),
	    "the response did not complete");
}

static void
cache_close(struct plugin_call *pc)
{
	cache_end(pc->state, 0, "the connection closed");
}

static const struct plugin_flag cache_flags[] = {
	{ "cache-dir", "DIR", NULL, "where responses are written, a file "
	    "each", "$TMPDIR or /tmp" },
	{ "cache-max-bytes", "N", "16777216", "a larger response is not "
	    "kept", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

/* ---------------------------------------------------- man_in_the_middle */

/*
 * proxy.py's ManInTheMiddlePlugin: every response body from upstream
 * becomes --mitm-body; the core gives it its Content-Length (or chunks
 * it, when a plugin after this one rewrites it). The status and the
 * other fields stay; Content-Encoding goes, the new body being plain.
 */
struct mitm_conf {
	const char	*body;
	size_t		 len;
};

static int
mitm_init(const struct config *cfg, void **conf, char *why, size_t whysz)
{
	struct mitm_conf *mc;

	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		return flag_error(cfg, "mitm-body", why, whysz,
		    "out of memory");
	*conf = mc;
	mc->body = plugin_flag(cfg, "mitm-body");
	mc->len = strlen(mc->body);
	if (mc->len > PLUGIN_OUT_MAX)
		return flag_error(cfg, "mitm-body", why, whysz, "longer than "
		    "%d bytes", PLUGIN_OUT_MAX);
	return 0;
}

static enum plugin_verdict
mitm_response(struct plugin_call *pc)
{
	static const char *const coding[] = { "Content-Encoding" };
	const struct mitm_conf *mc = pc->conf;
	size_t len;

	if (plugin_field(pc, coding[0], &len) != NULL &&
	    plugin_rewrite(pc, NULL, coding, 1, NULL, 0) == -1)
		return PLUGIN_FAIL;
	return plugin_body(pc, PLUGIN_BODY_REPLACE, mc->body, mc->len) == 0 ?
	    PLUGIN_PASS : PLUGIN_FAIL;
}

static const struct plugin_flag mitm_flags[] = {
	{ "mitm-body", "TEXT", "Hello from man in the middle",
	    "what every response body becomes", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

/* ------------------------------------------------ upper_text (README) */

/* PLUGIN EXAMPLE BEGIN: README's "Writing a plugin" shows this part. */
/*
 * upper_text: upper-cases the ASCII letters of response bodies from the
 * hosts of --upper-hosts, and says in the access line how many.
 */
struct upper_conf {
	struct netlist	 hosts;		/* --upper-hosts */
};

struct upper_state {
	uint64_t	 changed;	/* letters upper-cased this exchange */
};

static int
upper_init(const struct config *cfg, void **conf, char *why, size_t whysz)
{
	struct upper_conf *uc = calloc(1, sizeof(*uc));

	*conf = uc;
	if (uc == NULL)
		return flag_error(cfg, "upper-hosts", why, whysz,
		    "out of memory");
	return netlist_add_csv(&uc->hosts, plugin_flag(cfg, "upper-hosts"), 1,
	    why, whysz);
}

static void
upper_fini(void *conf)
{
	struct upper_conf *uc = conf;

	if (uc != NULL)
		netlist_free(&uc->hosts);
	free(uc);
}

/* A response head: rewrite its body when its host is listed. */
static enum plugin_verdict
upper_response(struct plugin_call *pc)
{
	const struct upper_conf *uc = pc->conf;

	if (!netlist_match_host(&uc->hosts, pc->host))
		return PLUGIN_PASS;
	return plugin_body(pc, PLUGIN_BODY_REWRITE, NULL, 0) == 0 ?
	    PLUGIN_PASS : PLUGIN_FAIL;
}

/* A piece of the body: its output is as long as it is. */
static enum plugin_verdict
upper_body(struct plugin_call *pc, const char *data, size_t len, int last)
{
	struct upper_state *st = pc->state;
	char *out = plugin_output(pc, len);
	size_t i;

	(void)last;
	if (out == NULL)
		return PLUGIN_FAIL;
	for (i = 0; i < len; i++) {
		out[i] = data[i];
		if (data[i] >= 'a' && data[i] <= 'z') {
			out[i] = (char)(data[i] - 'a' + 'A');
			st->changed++;
		}
	}
	return PLUGIN_PASS;
}

/* The access line, then the end of the exchange. */
static void
upper_log(struct plugin_call *pc, char *line, size_t size)
{
	const struct upper_state *st = pc->state;
	size_t n = strlen(line);

	if (st->changed > 0)
		snprintf(line + n, size - n, " upper=%llu",
		    (unsigned long long)st->changed);
}

static void
upper_done(struct plugin_call *pc)
{
	((struct upper_state *)pc->state)->changed = 0;
}

static const struct plugin_flag upper_flags[] = {
	{ "upper-hosts", "LIST", "*", "hosts whose response bodies are "
	    "upper-cased", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};
/* PLUGIN EXAMPLE END */

/* ----------------------------------------------------------- error_test */

/*
 * A test fixture, hidden from --help: fails on purpose in the hook
 * --error-test names, so the suite can see a failing hook end its
 * exchange with a 500 or 502 that names the plugin, and no worker die.
 */
static const char *const error_hooks[] = {
	"request", "upstream", "response", "body"
};

static int
error_init(const struct config *cfg, void **conf, char *why, size_t whysz)
{
	const char *v = plugin_flag(cfg, "error-test");
	size_t i;

	for (i = 0; i < sizeof(error_hooks) / sizeof(error_hooks[0]); i++)
		if (strcmp(v, error_hooks[i]) == 0)
			return (*conf = strdup(v)) != NULL ? 0 : flag_error(cfg,
			    "error-test", why, whysz, "out of memory");
	return flag_error(cfg, "error-test", why, whysz, "'%s' is not "
	    "request, upstream, response or body", v);
}

static enum plugin_verdict
error_in(struct plugin_call *pc, const char *hook)
{
	if (strcmp(pc->conf, hook) != 0)
		return PLUGIN_PASS;
	return plugin_fail(pc, "failing on purpose in its %s hook", hook);
}

static enum plugin_verdict
error_request(struct plugin_call *pc)
{
	return pc->local ? PLUGIN_PASS : error_in(pc, "request");
}

static enum plugin_verdict
error_upstream(struct plugin_call *pc)
{
	return error_in(pc, "upstream");
}

static enum plugin_verdict
error_response(struct plugin_call *pc)
{
	if (strcmp(pc->conf, "body") == 0)
		return plugin_body(pc, PLUGIN_BODY_READ, NULL, 0) == 0 ?
		    PLUGIN_PASS : PLUGIN_FAIL;
	return error_in(pc, "response");
}

static enum plugin_verdict
error_body(struct plugin_call *pc, const char *data, size_t len, int last)
{
	(void)data;
	(void)len;
	(void)last;
	return error_in(pc, "body");
}

static const struct plugin_flag error_flags[] = {
	{ "error-test", "HOOK", "request", "the hook that fails", NULL },
	{ NULL, NULL, NULL, NULL, NULL }
};

/* ------------------------------------------------------------ the table */

const struct plugin plugin_table[] = {
	{
		.name = "pac_file",
		.help = "serves --pac-file (internal)",
		.wanted = pac_wanted,
		.request = pac_request,
	},
	{
		.name = "web_server",
		.help = "the web server (internal)",
		.wanted = web_wanted,
		.last = 1,
		.state_size = sizeof(struct web_state),
		.request = web_request,
		.done = web_done,
		.close = web_done,
	},
	{
		.name = "proposed_rest_api",
		.alias = "ProposedRestApiPlugin",
		.help = "mock REST answers with no upstream: proxy.py's "
		    "api.example.com/v1/users/ and --mock-dir's files",
		.opts = mock_flags,
		.init = mock_init,
		.fini = mock_fini,
		.state_size = sizeof(struct mock_state),
		.request = mock_request,
	},
	{
		.name = "redirect_to_custom_server",
		.alias = "RedirectToCustomServerPlugin",
		.help = "sends plain http:// requests to --redirect-to",
		.opts = redirect_flags,
		.init = redirect_init,
		.fini = free,
		.request = redirect_request,
	},
	{
		.name = "filter_by_upstream_host",
		.alias = "FilterByUpstreamHostPlugin",
		.help = "refuses requests for the --filter-hosts and "
		    "--filter-file hosts (418)",
		.opts = filter_flags,
		.init = filter_init,
		.fini = filter_fini,
		.request = filter_request,
	},
	{
		.name = "cache_responses",
		.alias = "CacheResponsesPlugin",
		.help = "writes each response to a file in --cache-dir",
		.opts = cache_flags,
		.init = cache_init,
		.fini = free,
		.state_size = sizeof(struct cache_state),
		.response = cache_response,
		.body = cache_body,
		.done = cache_done,
		.close = cache_close,
	},
	{
		.name = "man_in_the_middle",
		.alias = "ManInTheMiddlePlugin",
		.help = "replaces every response body with --mitm-body",
		.opts = mitm_flags,
		.init = mitm_init,
		.fini = free,
		.response = mitm_response,
	},
	{
		.name = "upper_text",
		.help = "upper-cases the response bodies of --upper-hosts "
		    "(README's example plugin)",
		.opts = upper_flags,
		.init = upper_init,
		.fini = upper_fini,
		.state_size = sizeof(struct upper_state),
		.response = upper_response,
		.body = upper_body,
		.done = upper_done,
		.log = upper_log,
	},
	{
		.name = "error_test",
		.help = "fails in the hook --error-test names (tests)",
		.flags = PLUGIN_HIDDEN,
		.opts = error_flags,
		.init = error_init,
		.fini = free,
		.request = error_request,
		.upstream = error_upstream,
		.response = error_response,
		.body = error_body,
	},
};

const size_t plugin_table_len = sizeof(plugin_table) / sizeof(plugin_table[0]);
