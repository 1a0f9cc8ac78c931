/*
 * proxy.c: the program and its master process: listeners, the pre-forked
 * workers and their supervision, reload, and the daemon's chores. The
 * command line and config files are options.c's.
 */
#define _DEFAULT_SOURCE		/* setgroups(2), not in POSIX */
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <grp.h>
#include <pwd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy.h"

#if defined(__linux__) && defined(SO_REUSEPORT)
#define HAVE_REUSEPORT	1
#else
#define HAVE_REUSEPORT	0
#endif

/* reuseport: the socket joins a group of sockets on the same address
 * among which the kernel spreads new clients (--accept reuseport). */
static int
listener_open(struct listener *l, const struct addrinfo *ai, long backlog,
    int reuseport)
{
	int fd, one = 1;

	if ((fd = socket(ai->ai_family, ai->ai_socktype, 0)) == -1)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
#if HAVE_REUSEPORT
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one,
	    sizeof(one)) == -1) {
		fd_close(&fd);
		return -1;
	}
#else
	(void)reuseport;
#endif
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, (int)backlog) == -1 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		int saved = errno;

		fd_close(&fd);
		errno = saved;
		return -1;
	}
	l->fd = fd;
	l->addr.len = ai->ai_addrlen;
	memcpy(&l->addr.ss, ai->ai_addr, ai->ai_addrlen);
	addr_format(ai->ai_addr, l->name, sizeof(l->name));
	return 0;
}

/* An already open listener for the same address is taken over (SIGHUP
 * keeps the sockets); the others are bound anew. */
static int
listener_take(struct listener *l, const struct addrinfo *ai,
    struct listener *old, size_t nold)
{
	char name[80];
	size_t i;

	addr_format(ai->ai_addr, name, sizeof(name));
	for (i = 0; i < nold; i++)
		if (old[i].fd != -1 && strcmp(old[i].name, name) == 0) {
			*l = old[i];
			old[i].fd = -1;
			return 0;
		}
	return -1;
}

/* Closes new listeners that are not among the old ones. */
static void
listeners_drop(struct listener *nl, size_t n, const struct listener *old,
    size_t nold)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < nold; j++)
			if (old[j].fd == nl[i].fd)
				break;
		if (j == nold)
			fd_close(&nl[i].fd);
	}
}

/* Listeners being opened: the new table, the old one whose sockets are
 * taken over (SIGHUP), and the caller's buffer for why binding failed. */
struct bindset {
	struct listener	*ls;
	size_t		 n;
	struct listener	*old;
	size_t		 nold;
	char		*err;
	size_t		 errsz;
};

/* Binds one "ADDR[:PORT]" (each address it resolves to); 0, -2 on a bad
 * address, -1 when binding fails, with why in b->err. */
static int
bind_one(const struct config *cfg, const char *a, const char *from,
    int tunnel, int tls, struct bindset *b)
{
	struct listener *ls = b->ls;
	struct addrinfo hints, *res, *ai;
	char host[HOST_MAX], port[8];
	uint16_t p;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if (parse_hostport(a, strlen(a), host, sizeof(host), &p,
	    (uint16_t)cfg->port) == -1) {
		snprintf(b->err, b->errsz, "%s: '%s' is not an address", from,
		    a);
		return -2;
	}
	snprintf(port, sizeof(port), "%u", p);
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(b->err, b->errsz, "%s: '%s': %s", from, a,
		    gai_strerror(rc));
		return -2;
	}
	for (ai = res; ai != NULL && b->n < MAX_LISTENERS; ai = ai->ai_next) {
		ls[b->n].tunnel = tunnel;
		if (listener_take(&ls[b->n], ai, b->old, b->nold) == 0 ||
		    listener_open(&ls[b->n], ai, cfg->backlog,
		    cfg->accept_mode == ACCEPT_REUSEPORT) == 0) {
			ls[b->n].tunnel = tunnel;
			ls[b->n].tls = tls;
			ls[b->n].proxyproto = cfg->proxy_protocol;
			ls[b->n].ops = tunnel >= 0 ? &conn_tunnel_ops :
			    &conn_http_ops;
			b->n++;
			continue;
		}
		/* --gateway on a host without IPv6 */
		if ((errno == EAFNOSUPPORT || errno == EADDRNOTAVAIL) &&
		    cfg->bind.n > 1)
			continue;
		addr_format(ai->ai_addr, host, sizeof(host));
		snprintf(b->err, b->errsz, "cannot listen on %s: %s", host,
		    strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return 0;
}

/* Binds a (as bind_one), as listeners of the kind ops, expecting the
 * PROXY protocol or not. */
static int
bind_as(const struct config *cfg, const char *a, const char *from,
    const struct conn_ops *ops, int proxyproto, struct bindset *b)
{
	size_t first = b->n;
	int rc = bind_one(cfg, a, from, -1, 0, b);

	for (; first < b->n; first++) {
		b->ls[first].ops = ops;
		b->ls[first].proxyproto = proxyproto;
	}
	return rc;
}

/* Binds every listen and tunnel address; the count, or -2 on a bad
 * address, -1 when binding fails, with why in err[errsz]. */
static ssize_t
listeners_open(const struct config *cfg, struct listener *ls,
    struct listener *old, size_t nold, char *err, size_t errsz)
{
	struct bindset b = { ls, 0, old, nold, err, errsz };
	size_t i;
	int rc = 0;

	for (i = 0; i < cfg->bind.n && rc == 0; i++)
		rc = bind_one(cfg, cfg->bind.v[i], cfg->bind.from[i] != NULL ?
		    cfg->bind.from[i] : "--hostname", -1, cfg->tls_all, &b);
	for (i = 0; i < cfg->tls_listen.n && rc == 0; i++)
		rc = bind_one(cfg, cfg->tls_listen.v[i],
		    cfg->tls_listen.from[i] != NULL ? cfg->tls_listen.from[i] :
		    "--tls-listen", -1, 1, &b);
	for (i = 0; i < cfg->ntunnels && rc == 0; i++)
		rc = bind_one(cfg, cfg->tunnels[i].bind, "--tunnel", (int)i, 0,
		    &b);
	for (i = 0; i < cfg->socks5_bind.n && rc == 0; i++)
		rc = bind_as(cfg, cfg->socks5_bind.v[i], cfg->socks5_bind.from[i]
		    != NULL ? cfg->socks5_bind.from[i] : "--socks5-listen",
		    &conn_socks_ops, cfg->proxy_protocol, &b);
	for (i = 0; i < cfg->pp_listen.n && rc == 0; i++)
		rc = bind_as(cfg, cfg->pp_listen.v[i], cfg->pp_listen.from[i] !=
		    NULL ? cfg->pp_listen.from[i] : "--proxy-protocol-listen",
		    &conn_http_ops, 1, &b);
	/* a transparent port's client is whoever the kernel says: never a
	 * balancer's header */
	for (i = 0; i < cfg->transparent_bind.n && rc == 0; i++)
		rc = bind_as(cfg, cfg->transparent_bind.v[i],
		    cfg->transparent_bind.from[i] != NULL ?
		    cfg->transparent_bind.from[i] : "--transparent-listen",
		    &conn_transparent_ops, 0, &b);
	if (rc == 0)
		return (ssize_t)b.n;
	listeners_drop(ls, b.n, old, nold);
	return rc;
}

static void
raise_fd_limit(const struct config *cfg)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (cfg->open_file_limit > 0) {
		rl.rlim_cur = (rlim_t)cfg->open_file_limit;
		if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
			rl.rlim_max = rl.rlim_cur;
	} else if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 65536)
		rl.rlim_cur = 65536;
	else
		rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("cannot set the open file limit to %lu",
		    (unsigned long)rl.rlim_cur);
}

static int
pid_file_write(const char *path)
{
	char tmp[PATH_MAX], line[32];
	int fd, n;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1)
		return -1;
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (write(fd, line, (size_t)n) != n || close(fd) == -1) {
		unlink(tmp);
		return -1;
	}
	return rename(tmp, path);
}

static pid_t
pid_file_read(const char *path)
{
	char line[32];
	ssize_t n;
	long v;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, line, sizeof(line) - 1);
	fd_close(&fd);
	if (n <= 0)
		return -1;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (parse_long(line, 2, INT_MAX, &v) == -1)
		return -1;
	return (pid_t)v;
}

/* --quit: SIGTERM to the running instance, then wait for it to go. */
static int
quit_running(const struct config *cfg)
{
	pid_t pid;
	int i;

	if (cfg->pid_file == NULL) {
		fprintf(stderr, "proxy: --quit needs --pid-file\n");
		return 2;
	}
	if ((pid = pid_file_read(cfg->pid_file)) == -1) {
		fprintf(stderr, "proxy: --quit: no pid in %s\n", cfg->pid_file);
		return 1;
	}
	if (kill(pid, SIGTERM) == -1) {
		fprintf(stderr, "proxy: --quit: pid %ld: %s\n", (long)pid,
		    strerror(errno));
		return 1;
	}
	for (i = 0; i < (GRACE_S + 5) * 20; i++) {
		struct timespec ts = { 0, 50 * 1000000L };

		if (kill(pid, 0) == -1 && errno == ESRCH) {
			printf("proxy: stopped pid %ld\n", (long)pid);
			return 0;
		}
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "proxy: --quit: pid %ld is still running\n",
	    (long)pid);
	return 1;
}

/* Forks; the parent waits until the child has written the pid file, so
 * "proxy --daemon" returns only once the instance is ready. */
static void
daemonize(const char *pid_file, const char *log_file)
{
	int pfd[2], devnull;
	char c = 0;
	pid_t pid;

	if (pipe(pfd) == -1)
		fatal("pipe");
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		fd_close(&pfd[1]);
		_exit(read(pfd[0], &c, 1) == 1 && c == 1 ? 0 : 1);
	}
	fd_close(&pfd[0]);
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir /");
	if ((devnull = open("/dev/null", O_RDWR)) != -1) {
		dup2(devnull, 0);
		dup2(devnull, 1);
		/* what is still said on stderr later (a sanitizer's
		 * report) goes to the log file, if there is one */
		if (log_file == NULL || strcmp(log_file, "syslog") == 0 ||
		    freopen(log_file, "a", stderr) == NULL)
			dup2(devnull, 2);
		if (devnull > 2)
			fd_close(&devnull);
	}
	if (pid_file != NULL && pid_file_write(pid_file) == -1)
		fatal("cannot write %s", pid_file);
	c = 1;
	if (write(pfd[1], &c, 1) != 1)
		log_warn("daemon start-up pipe");
	fd_close(&pfd[1]);
}


struct child {
	pid_t	 pid;
	int64_t	 started;
	int64_t	 respawn_at;	/* 0: running or not due */
	int	 failures;	/* quick deaths in a row */
	int	 retiring;	/* from before a reload: not restarted */
	int	 slot;		/* its place on the board, or -1 */
};

/* The master's state: the configuration in force, its listeners, and the
 * workers, with those of an older configuration still finishing. */
struct master {
	const struct config *cfg;
	const struct config *first;
	struct listener	 ls[MAX_LISTENERS];
	size_t		 nls;
	struct child	*kids;
	size_t		 nkids;
	int		 argc;
	char		**argv;
	int		 rfd;
	struct board	*board;		/* shared with the workers */
};

/* The board, mapped shared before any worker is forked; NULL (each
 * worker then counts its own clients alone) if that fails. */
static struct board *
board_map(void)
{
	void *p;

#ifdef MAP_ANONYMOUS
	p = mmap(NULL, sizeof(struct board), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
#else
	int fd = open("/dev/zero", O_RDWR | O_CLOEXEC);

	p = fd == -1 ? MAP_FAILED : mmap(NULL, sizeof(struct board),
	    PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	fd_close(&fd);
#endif
	if (p == MAP_FAILED) {
		log_warn("mmap: --max-clients counts per worker");
		return NULL;
	}
	return p;
}

/* A slot no worker of the table holds: the lowest, so the board's used
 * part stays as small as the number of workers. */
static int
board_slot_free(const struct master *m)
{
	int slot;
	size_t i;

	for (slot = 0; slot < MAX_SLOTS; slot++) {
		for (i = 0; i < m->nkids; i++)
			if (m->kids[i].slot == slot)
				break;
		if (i == m->nkids)
			return slot;
	}
	return -1;
}

/*
 * --accept reuseport, in a new worker: beside each shared listener a
 * socket of its own on the same address, so the kernel hands each new
 * client to one worker. The shared sockets stay, registered too: the
 * kernel gives them their share, and they hold the port while workers
 * come and go. Where no socket of its own can be had (a port below 1024
 * after --user; a listener taken over from before a reload without
 * SO_REUSEPORT) the shared one serves alone. Returns the listeners'
 * count, own ones appended to ls (MAX_LISTENERS at most).
 */
static size_t
listeners_own(const struct config *cfg, struct listener *ls, size_t nls)
{
	struct addrinfo ai;
	size_t i, n = nls;

	for (i = 0; i < nls && n < MAX_LISTENERS; i++) {
		memset(&ai, 0, sizeof(ai));
		ai.ai_family = ls[i].addr.ss.ss_family;
		ai.ai_socktype = SOCK_STREAM;
		ai.ai_addr = (struct sockaddr *)&ls[i].addr.ss;
		ai.ai_addrlen = ls[i].addr.len;
		ls[n] = ls[i];
		if (listener_open(&ls[n], &ai, cfg->backlog, 1) == 0)
			n++;
		else
			log_warn("no listening socket of the worker's own on "
			    "%s; sharing the master's", ls[i].name);
	}
	return n;
}

static pid_t
worker_spawn(struct master *m, struct child *k, int id)
{
	pid_t pid;

	if (m->board != NULL && k->slot == -1 &&
	    (k->slot = board_slot_free(m)) >= 0 &&
	    k->slot >= m->board->nslots)
		m->board->nslots = k->slot + 1;
	if (m->board != NULL && k->slot >= 0)
		m->board->slot[k->slot].clients = 0;
	if ((pid = fork()) == 0) {
		size_t nls = m->nls;

		/* the master's self-pipe, m->rfd among it, is closed by
		 * signals_init() in worker_main(): closing it here as well
		 * would close its number twice, the second time under
		 * whatever got it in between */
		if (m->cfg->accept_mode == ACCEPT_REUSEPORT)
			nls = listeners_own(m->cfg, m->ls, m->nls);
		worker_main(m->cfg, m->ls, nls, id, m->board, k->slot);
	}
	if (pid == -1)
		log_warn("fork worker %d", id);
	else if (m->board != NULL && k->slot >= 0) {
		/* for /status: who holds the slot, since when */
		m->board->slot[k->slot].pid = (long)pid;
		m->board->slot[k->slot].started = (int64_t)time(NULL);
		m->board->slot[k->slot].retiring = 0;
	}
	return pid;
}

/* A worker has exited: 1 when it is to be forked again. */
static int
worker_died(struct child *k, size_t i, pid_t pid, int status, int64_t now)
{
	k->pid = 0;
	if (sig_term || k->retiring)
		return 0;
	if (WIFSIGNALED(status))
		log_warnx("worker %zu (pid %ld) killed by signal %d; "
		    "restarting", i, (long)pid, WTERMSIG(status));
	else
		log_warnx("worker %zu (pid %ld) exited with %d; restarting",
		    i, (long)pid, WEXITSTATUS(status));
	/* back off when a worker dies right after start */
	k->failures = now - k->started < 1000 ? k->failures + 1 : 0;
	k->respawn_at = now + (k->failures ? (100L << (k->failures > 6 ? 6 :
	    k->failures)) : 0);
	return 1;
}

/* Its clients are gone with it; /metrics counts a restart. */
static void
worker_gone(struct master *m, struct child *k, size_t i, pid_t pid,
    int status, int64_t now)
{
	int again = worker_died(k, i, pid, status, now);

	if (m->board == NULL)
		return;
	m->board->restarts += (unsigned long)again;
	if (k->slot >= 0) {
		m->board->slot[k->slot].clients = 0;
		m->board->slot[k->slot].pid = 0;
	}
}

static void
workers_reap(struct master *m, int64_t now)
{
	pid_t pid;
	int status;
	size_t i, j;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		for (i = 0; i < m->nkids; i++)
			if (m->kids[i].pid == pid)
				worker_gone(m, &m->kids[i], i, pid, status,
				    now);
	/* retired workers that are gone leave the table */
	for (i = j = 0; i < m->nkids; i++)
		if (!(m->kids[i].retiring && m->kids[i].pid == 0))
			m->kids[j++] = m->kids[i];
	m->nkids = j;
}

/* Starts the workers that are due; returns ms until the next is due. */
static int64_t
workers_respawn(struct master *m, int64_t now)
{
	int64_t next = -1;
	size_t i;
	int id = 0;

	for (i = 0; i < m->nkids; i++) {
		struct child *k = &m->kids[i];

		if (k->retiring)
			continue;
		if (k->pid == 0 && k->respawn_at <= now) {
			k->pid = worker_spawn(m, k, id);
			k->started = now;
			k->respawn_at = 0;
			if (k->pid == -1) {
				k->pid = 0;
				k->respawn_at = now + 1000;
			}
		}
		if (k->pid == 0 && (next == -1 || k->respawn_at - now < next))
			next = k->respawn_at - now;
		id++;
	}
	return next;
}

static void
workers_signal(struct master *m, int sig, int retiring_too)
{
	size_t i;

	for (i = 0; i < m->nkids; i++)
		if (m->kids[i].pid > 0 && (retiring_too || !m->kids[i].retiring))
			kill(m->kids[i].pid, sig);
}

static size_t
workers_alive(const struct master *m)
{
	size_t i, alive = 0;

	for (i = 0; i < m->nkids; i++)
		alive += m->kids[i].pid > 0;
	return alive;
}

/*
 * SIGTERM or SIGINT: the listeners close first, so new clients are
 * refused rather than queued and then reset, and the workers finish
 * in-flight requests within the grace period. A second SIGTERM or
 * SIGINT (Ctrl-C again), or SIGQUIT, stops them at once: they log what
 * they cut and exit. Only a worker that outlives that is killed.
 */
static void
workers_stop(struct master *m)
{
	int64_t deadline = now_ms() + (GRACE_S + 2) * 1000;
	struct pollfd pfd = { m->rfd, POLLIN, 0 };
	int phase = 0;	/* 1: told to stop at once, 2: killed */
	size_t i;

	for (i = 0; i < m->nls; i++)
		fd_close(&m->ls[i].fd);
	workers_signal(m, SIGTERM, 1);
	while (workers_alive(m) > 0) {
		int64_t left = deadline - now_ms();

		if (phase == 0 && (sig_term > 1 || sig_quit)) {
			log_info("stopping at once");
			left = 0;
		}
		if (left <= 0 && phase < 2) {
			if (phase == 0 && !(sig_term > 1 || sig_quit))
				log_warnx("workers still running after the "
				    "grace period; stopping them at once");
			else if (phase == 1)
				log_warnx("workers still running; killing "
				    "them");
			workers_signal(m, phase == 0 ? SIGQUIT : SIGKILL, 1);
			phase++;
			deadline = now_ms() + 3000;
			left = deadline - now_ms();
		}
		(void)poll(&pfd, 1, left > 0 ? (int)(left > 200 ? 200 : left) :
		    200);
		signals_drain(m->rfd);
		workers_reap(m, now_ms());
	}
}

static int
workers_add(struct master *m, size_t n)
{
	struct child *k;
	size_t i;

	if ((k = realloc(m->kids, (m->nkids + n) * sizeof(*k))) == NULL)
		return -1;
	memset(k + m->nkids, 0, n * sizeof(*k));
	for (i = m->nkids; i < m->nkids + n; i++)
		k[i].slot = -1;
	m->kids = k;
	m->nkids += n;
	return 0;
}

/* Loads the configuration again; why it is refused, and its warnings,
 * go to the log, where an operator looks after a reload. */
static struct config *
reload_config(struct master *m)
{
	char err[PATH_MAX + 512];
	struct config *cfg;
	int status;

	if ((cfg = options_load(m->argc, m->argv, m->cfg, err, sizeof(err),
	    &status)) == NULL) {
		log_error("reload: %s", err);
		return NULL;
	}
	options_warnings_log(cfg, "reload: ");
	return cfg;
}

/*
 * SIGHUP: read the configuration again. If it is good, new workers start
 * with it on the same listening sockets (a changed address is bound
 * anew) and the old ones finish what they have and exit; if not, the
 * running configuration stays.
 */
static void
master_reload(struct master *m)
{
	static struct listener nls[MAX_LISTENERS];
	char err[PATH_MAX + 512];
	struct config *cfg;
	ssize_t n;
	size_t i;

	if ((cfg = reload_config(m)) == NULL) {
		log_error("keeping the running configuration");
		return;
	}
	if ((n = listeners_open(cfg, nls, m->ls, m->nls, err,
	    sizeof(err))) < 0) {
		log_error("reload: %s", err);
		log_error("cannot listen as the new configuration asks; "
		    "keeping the running one");
		options_free(cfg);
		return;
	}
	if (workers_add(m, (size_t)cfg->nworkers) == -1) {
		log_error("out of memory; keeping the running configuration");
		listeners_drop(nls, (size_t)n, m->ls, m->nls);
		options_free(cfg);
		return;
	}
	for (i = 0; i < m->nls; i++)
		if (m->ls[i].fd != -1)
			fd_close(&m->ls[i].fd);
	for (i = 0; i < m->nkids - (size_t)cfg->nworkers; i++)
		if (m->kids[i].pid > 0 && !m->kids[i].retiring) {
			m->kids[i].retiring = 1;
			if (m->board != NULL && m->kids[i].slot >= 0)
				m->board->slot[m->kids[i].slot].retiring = 1;
			kill(m->kids[i].pid, SIGTERM);
		}
	memcpy(m->ls, nls, (size_t)n * sizeof(nls[0]));
	m->nls = (size_t)n;
	/* the old workers have their own copies; the first configuration
	 * belongs to proxy_main */
	if (m->cfg != m->first)
		options_free((struct config *)m->cfg);
	m->cfg = cfg;
	log_set_level(cfg->log_level);
	for (i = 0; i < m->nls; i++)
		log_info("listening on %s%s", m->ls[i].name,
		    m->ls[i].tls ? " (TLS)" : "");
	log_info("configuration reloaded: %ld worker%s", cfg->nworkers,
	    cfg->nworkers == 1 ? "" : "s");
}

static int
master_run(const struct config *cfg, struct listener *ls, size_t nls,
    int argc, char *argv[])
{
	static struct master m;
	struct pollfd pfd;
	size_t i;

	m.cfg = m.first = cfg;
	memcpy(m.ls, ls, nls * sizeof(*ls));
	m.nls = nls;
	m.argc = argc;
	m.argv = argv;
	if (signals_init(&m.rfd) == -1)
		fatal("pipe");
	if ((m.board = board_map()) != NULL)
		m.board->start_time = (int64_t)time(NULL);
	if (workers_add(&m, (size_t)cfg->nworkers) == -1)
		fatal("calloc");
	for (i = 0; i < nls; i++)
		log_info("listening on %s%s", ls[i].name,
		    ls[i].tls ? " (TLS)" : "");
	log_info("proxy %s started with %ld worker%s", PROXY_VERSION,
	    cfg->nworkers, cfg->nworkers == 1 ? "" : "s");
	pfd.fd = m.rfd;
	pfd.events = POLLIN;
	for (;;) {
		int64_t now = now_ms(), wait;

		workers_reap(&m, now);
		if (sig_term || sig_quit)
			break;
		if (sig_hup) {
			sig_hup = 0;
			if (log_reopen() == -1)
				log_warn("cannot reopen the log file");
			workers_signal(&m, SIGHUP, 1);
			master_reload(&m);
		}
		wait = workers_respawn(&m, now);
		if (poll(&pfd, 1, (int)wait) > 0)
			signals_drain(m.rfd);
	}
	log_info("stopping");
	workers_stop(&m);
	free(m.kids);
	if (m.cfg->pid_file != NULL)
		unlink(m.cfg->pid_file);
	log_info("stopped");
	return 0;
}
/* --user: the ports are bound; give up root for good. */
static int
drop_root(const char *name)
{
	struct passwd *pw;

	if (geteuid() != 0) {
		log_warnx("--user %s: not running as root; ignored", name);
		return 0;
	}
	if ((pw = getpwnam(name)) == NULL) {
		log_error("--user: no user named %s", name);
		return -1;
	}
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		log_warn("--user %s", name);
		return -1;
	}
	if (setuid(0) != -1) {		/* must not be able to come back */
		log_error("--user %s: root could be regained", name);
		return -1;
	}
	log_info("running as %s (uid %ld)", name, (long)pw->pw_uid);
	return 0;
}

/* Only the top level speaks: the loaders return what went wrong. */
static int
startup_error(int status, const char *err)
{
	if (status != 0)
		fprintf(stderr, "proxy: %s\n", err);
	return status;
}

int
proxy_main(int argc, char *argv[])
{
	static struct listener ls[MAX_LISTENERS];
	static struct config *cfg;	/* static: for the program's life */
	char err[PATH_MAX + 512] = "";
	ssize_t nls;
	int status;

	/* started with 0, 1 or 2 closed (by an init system, or "<&-"), the
	 * first sockets would get those numbers, where any stray close or
	 * write meant for a standard stream would hit a client */
	if (fd_std_open() == -1)
		return 1;
	options_free(cfg);
	if ((cfg = options_load(argc, argv, NULL, err, sizeof(err),
	    &status)) == NULL)
		return startup_error(status, err);
	if (cfg->hashes)
		return startup_error(options_hashes(cfg, err, sizeof(err)), err);
	if (cfg->gen_ca != NULL)
		return startup_error(options_gen_ca(cfg, err, sizeof(err)), err);
	if (cfg->gen_cert != NULL)
		return startup_error(options_gen_cert(cfg, err, sizeof(err)),
		    err);
	if (cfg->magic != NULL)
		return upstream_magic(cfg);
	if (cfg->pac_test != NULL)
		return startup_error(options_pac_test(cfg, err, sizeof(err)),
		    err);
	if (cfg->save)
		return startup_error(options_save(cfg, err, sizeof(err)), err);
	if (cfg->quit)
		return quit_running(cfg);
	if (log_init(cfg->log_file, cfg->log_level) == -1) {
		fprintf(stderr, "proxy: --log-file: %s: %s\n", cfg->log_file,
		    strerror(errno));
		return 2;
	}
	options_warnings_log(cfg, "");
	raise_fd_limit(cfg);
	if ((nls = listeners_open(cfg, ls, NULL, 0, err, sizeof(err))) < 0)
		return startup_error((int)-nls, err);
	if (cfg->daemon)
		daemonize(cfg->pid_file, cfg->log_file);
	else if (cfg->pid_file != NULL && pid_file_write(cfg->pid_file) == -1) {
		log_warn("cannot write %s", cfg->pid_file);
		return 1;
	}
	if (cfg->user != NULL && drop_root(cfg->user) == -1)
		return 1;
	return master_run(cfg, ls, (size_t)nls, argc, argv);
}
