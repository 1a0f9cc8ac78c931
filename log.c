/*
 * log.c: leveled logging to stderr, a file, or syslog.
 * Each line is one write(2) on an O_APPEND descriptor, so the master and
 * all workers can share one file without tearing lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "proxy.h"

static int	 log_fd = 2;
static int	 log_syslog;
static int	 log_lvl = LOG_LEVEL_INFO;
static const char *log_path;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARNING] = "warning",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static const int level_prio[] = {
	[LOG_LEVEL_ERROR] = LOG_ERR,
	[LOG_LEVEL_WARNING] = LOG_WARNING,
	[LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

int
log_level_lookup(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	if (strcmp(s, "warn") == 0)
		return LOG_LEVEL_WARNING;
	return -1;
}

const char *
log_level_name(int level)
{
	return level_names[level];
}

static int
log_open_file(const char *path)
{
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int
log_init(const char *path, int level)
{
	int fd;

	log_lvl = level;
	log_path = path;
	if (path == NULL || strcmp(path, "-") == 0) {
		log_fd = 2;
		return 0;
	}
	if (strcmp(path, "syslog") == 0) {
		openlog("proxy", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_syslog = 1;
		return 0;
	}
	if ((fd = log_open_file(path)) == -1)
		return -1;
	log_fd = fd;
	return 0;
}

int
log_reopen(void)
{
	int fd;

	if (log_syslog || log_fd == 2 || log_path == NULL)
		return 0;
	if ((fd = log_open_file(log_path)) == -1)
		return -1;
	if (dup2(fd, log_fd) == -1) {
		fd_close(&fd);
		return -1;
	}
	fd_close(&fd);
	return 0;
}

void
log_set_level(int level)
{
	log_lvl = level;
}

int
log_enabled(int level)
{
	return level <= log_lvl;
}

/* Writes a line in one write(2); a short write on a log is not retried. */
static void
log_emit(int level, const char *fmt, va_list ap, const char *suffix)
{
	char line[2048];
	struct timespec ts;
	struct tm tm;
	int n, m;

	if (log_syslog) {
		n = vsnprintf(line, sizeof(line), fmt, ap);
		if (n < 0)
			return;
		syslog(level_prio[level], "%s%s", line, suffix ? suffix : "");
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ [%ld] %s: ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, (long)getpid(),
	    level_names[level]);
	if (n < 0)
		return;
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n >= sizeof(line) - 64)
		n = (int)sizeof(line) - 64;
	if (suffix != NULL)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s", suffix);
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(log_fd, line, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}

#define LOG_BODY(level, suffix) do {				\
	int saved = errno;					\
	va_list ap;						\
	if (!log_enabled(level))				\
		return;						\
	va_start(ap, fmt);					\
	log_emit(level, fmt, ap, suffix);			\
	va_end(ap);						\
	errno = saved;						\
} while (0)

void
log_warn(const char *fmt, ...)
{
	char suffix[160];

	snprintf(suffix, sizeof(suffix), ": %s", strerror(errno));
	LOG_BODY(LOG_LEVEL_WARNING, suffix);
}

void
log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_WARNING, NULL);
}

void
log_error(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_ERROR, NULL);
}

void
log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_INFO, NULL);
}

void
log_debug(const char *fmt, ...)
{
	LOG_BODY(LOG_LEVEL_DEBUG, NULL);
}

void
fatal(const char *fmt, ...)
{
	char suffix[160];
	va_list ap;

	snprintf(suffix, sizeof(suffix), ": %s", strerror(errno));
	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, fmt, ap, suffix);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}

/* ------------------------------------------------------- access line */

const char log_format_default[] = "{client} {method} {hostport} {path} "
    "{status} {bytes_in} {bytes_out} {duration_ms}ms {upstream}{aborted}";

/* The field names, proxy.py's access-log names among them. */
static const struct {
	const char	*name;
	enum log_field	 field;
} log_fields[] = {
	{ "client", LF_CLIENT },
	{ "client_ip", LF_CLIENT_IP },
	{ "client_port", LF_CLIENT_PORT },
	{ "method", LF_METHOD },
	{ "hostport", LF_HOSTPORT },
	{ "host", LF_HOST },
	{ "port", LF_PORT },
	{ "path", LF_PATH },
	{ "url", LF_URL },
	{ "status", LF_STATUS },
	{ "reason", LF_REASON },
	{ "bytes_in", LF_BYTES_IN },
	{ "bytes_out", LF_BYTES_OUT },
	{ "duration_ms", LF_DURATION_MS },
	{ "upstream", LF_UPSTREAM },
	{ "route", LF_ROUTE },
	{ "aborted", LF_ABORTED },
	{ "pid", LF_PID },
	{ "request_method", LF_METHOD },
	{ "server_host", LF_HOST },
	{ "server_port", LF_PORT },
	{ "request_path", LF_PATH },
	{ "response_code", LF_STATUS },
	{ "response_reason", LF_REASON },
	{ "response_bytes", LF_BYTES_OUT },
	{ "connection_time_ms", LF_DURATION_MS },
};
#define NLOG_FIELDS	(sizeof(log_fields) / sizeof(log_fields[0]))

static const char *const route_names[ROUTE_MAX] = {
	[ROUTE_NONE] = "none", [ROUTE_DIRECT] = "direct",
	[ROUTE_PARENT] = "parent", [ROUTE_PAC] = "pac",
	[ROUTE_LOCAL] = "local", [ROUTE_PLUGIN] = "plugin",
};

const char *
log_route_name(enum route r)
{
	return (unsigned)r < ROUTE_MAX ? route_names[r] : "none";
}

/* Adds a part; -1 when there are too many. */
static int
part_add(struct log_part *parts, size_t max, size_t *n, enum log_field f,
    const char *text, size_t len)
{
	if (f == LF_TEXT && len == 0)
		return 0;
	if (*n == max)
		return -1;
	parts[*n].field = f;
	parts[*n].text = text;
	parts[*n].len = len;
	(*n)++;
	return 0;
}

/* Why a name is not a field, with the names that are. */
static void
unknown_field(const char *name, size_t len, char *why, size_t whysz)
{
	size_t i, used;

	snprintf(why, whysz, "unknown field {%.*s}; the fields are",
	    (int)(len > 64 ? 64 : len), name);
	for (i = 0; i < NLOG_FIELDS; i++) {
		used = strlen(why);
		snprintf(why + used, whysz - used, "%s {%s}", i ? "," : "",
		    log_fields[i].name);
	}
}

long
log_format_parse(const char *tmpl, struct log_part *parts, size_t max,
    char *why, size_t whysz)
{
	const char *p = tmpl, *text = tmpl, *close;
	size_t n = 0, i, len;

	while (*p != '\0') {
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			/* a doubled brace is one brace of text */
			if (part_add(parts, max, &n, LF_TEXT, text,
			    (size_t)(p - text) + 1) == -1)
				goto full;
			p += 2;
			text = p;
			continue;
		}
		if (*p != '{') {
			p++;
			continue;
		}
		if ((close = strchr(p, '}')) == NULL) {
			snprintf(why, whysz, "'{' at column %zu is not closed "
			    "(write {{ for a brace)", (size_t)(p - tmpl) + 1);
			return -1;
		}
		len = (size_t)(close - p - 1);
		for (i = 0; i < NLOG_FIELDS; i++)
			if (strlen(log_fields[i].name) == len &&
			    strncmp(log_fields[i].name, p + 1, len) == 0)
				break;
		if (i == NLOG_FIELDS) {
			unknown_field(p + 1, len, why, whysz);
			return -1;
		}
		if (part_add(parts, max, &n, LF_TEXT, text,
		    (size_t)(p - text)) == -1 ||
		    part_add(parts, max, &n, log_fields[i].field, NULL, 0) == -1)
			goto full;
		p = close + 1;
		text = p;
	}
	if (part_add(parts, max, &n, LF_TEXT, text, (size_t)(p - text)) == -1)
		goto full;
	return (long)n;
full:
	snprintf(why, whysz, "more than %d fields and texts", (int)max);
	return -1;
}
