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
