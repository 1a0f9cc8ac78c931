/*
 * loop.c: a worker's single-threaded poll() loop. What each descriptor
 * waits for is recomputed from the connections' state every turn; the
 * nearest deadline is the poll timeout. The signal flags and self-pipe
 * live here too, for the master's loop as well as the workers'.
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy.h"

#define ACCEPT_BURST	64	/* accepts per listener per turn */
#define EMFILE_PAUSE_MS	100	/* accept pause when out of fds */

volatile sig_atomic_t sig_term, sig_quit, sig_hup, sig_chld;
static int sig_wfd = -1;	/* the self-pipe's write end */

struct slot {
	struct conn	*c;
	size_t		 first, n;
};

struct pollset {
	struct pollfd	*pfd;
	struct slot	*slots;
	size_t		 cap, n, nslots;
	int		 dns;		/* index of the resolver's fd, or -1 */
	size_t		 ls;		/* index of the first listener */
	int		 accepting;
};

static int
pollset_reserve(struct pollset *ps, size_t need)
{
	struct pollfd *p;
	struct slot *s;
	size_t cap = ps->cap ? ps->cap : 64;

	if (need <= ps->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(ps->pfd, cap * sizeof(*p))) == NULL)
		return -1;
	ps->pfd = p;
	if ((s = realloc(ps->slots, cap * sizeof(*s))) == NULL)
		return -1;
	ps->slots = s;
	ps->cap = cap;
	return 0;
}

static void
pollset_add(struct pollset *ps, int fd, short events)
{
	ps->pfd[ps->n].fd = fd;
	ps->pfd[ps->n].events = events;
	ps->pfd[ps->n].revents = 0;
	ps->n++;
}

static int
reserve_open(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Out of descriptors: use the spare one to accept and drop a client, so
 * the listen queue does not spin poll, then pause accepting briefly. */
static void
accept_emfile(struct worker *w, int lfd)
{
	int fd;

	log_warnx("out of file descriptors; refusing a client");
	if (w->reserve_fd != -1) {
		fd_close(&w->reserve_fd);
		if ((fd = accept(lfd, NULL, NULL)) != -1)
			fd_close(&fd);
		w->reserve_fd = reserve_open();
	}
	w->accept_resume = w->now + EMFILE_PAUSE_MS;
}

static void
accept_clients(struct worker *w, const struct listener *l)
{
	int i;

	for (i = 0; i < ACCEPT_BURST; i++) {
		if (conn_accept(w, l) == 0)
			continue;
		if (errno == EMFILE || errno == ENFILE)
			accept_emfile(w, l->fd);
		else if (errno == ENOBUFS || errno == ENOMEM)
			w->accept_resume = w->now + EMFILE_PAUSE_MS;
		return;
	}
}

static int64_t
min_deadline(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* Fills the pollset; returns the poll timeout in ms (-1: none). */
static int
pollset_build(struct worker *w, struct pollset *ps, int sigfd)
{
	struct conn *c;
	int64_t next = -1, pool_next;
	size_t i, nconns = 0;
	int accepting;

	for (c = w->conns; c != NULL; c = c->next)
		nconns++;
	if (pollset_reserve(ps, 2 + w->nls + nconns * CONN_POLLFDS_MAX) == -1)
		return 100;	/* try again shortly with what we have */
	ps->n = ps->nslots = 0;
	pollset_add(ps, sigfd, POLLIN);
	ps->dns = -1;
	if (w->dns != NULL) {
		ps->dns = (int)ps->n;
		pollset_add(ps, dns_fd(w->dns), POLLIN);
	}
	accepting = !w->quitting && w->accept_resume <= w->now;
	ps->ls = ps->n;
	for (i = 0; i < w->nls && accepting; i++)
		pollset_add(ps, w->ls[i].fd, POLLIN);
	ps->accepting = accepting;
	if (!accepting && !w->quitting)
		next = w->accept_resume;
	for (c = w->conns; c != NULL; c = c->next) {
		struct slot *s = &ps->slots[ps->nslots++];

		s->c = c;
		s->first = ps->n;
		s->n = conn_pollfds(c, ps->pfd + ps->n, ps->cap - ps->n);
		ps->n += s->n;
		next = min_deadline(next, conn_deadline(c));
	}
	if ((pool_next = conn_pool_expire(w)) >= 0)
		next = min_deadline(next, w->now + pool_next);
	if (w->quitting)
		next = min_deadline(next, w->quit_deadline);
	if (next < 0)
		return -1;
	return next <= w->now ? 0 : (int)(next - w->now > 60000 ? 60000 :
	    next - w->now);
}

/* Hands the resolver's answers to those who asked. A helper that has
 * exited is forgotten: lookups fail from then on. */
static void
resolver_read(struct worker *w)
{
	if (dns_read(w->dns, w->now) == 0)
		return;
	w->dns = NULL;
	if (w->quitting || sig_term)
		log_debug("resolver helper exited");
	else
		log_warnx("resolver helper exited");
}

static void
pollset_dispatch(struct worker *w, struct pollset *ps)
{
	size_t i;

	if (ps->dns >= 0 && ps->pfd[ps->dns].revents)
		resolver_read(w);
	for (i = 0; i < w->nls && ps->accepting; i++)
		if (ps->pfd[ps->ls + i].revents & POLLIN)
			accept_clients(w, &w->ls[i]);
	for (i = 0; i < ps->nslots; i++) {
		struct slot *s = &ps->slots[i];
		size_t j;

		if (s->c->dead)
			continue;
		for (j = 0; j < s->n; j++)
			if (ps->pfd[s->first + j].revents) {
				conn_events(s->c, ps->pfd + s->first, s->n);
				break;
			}
	}
}

static void
check_deadlines(struct worker *w)
{
	struct conn *c, *next;
	int64_t t;

	for (c = w->conns; c != NULL; c = next) {
		next = c->next;
		if (!c->dead && (t = conn_deadline(c)) >= 0 && t <= w->now)
			conn_timeout(c);
	}
}

static void
worker_quit(struct worker *w)
{
	size_t i;

	w->quitting = 1;
	w->quit_deadline = w->now + GRACE_S * 1000;
	for (i = 0; i < w->nls; i++)
		fd_close(&w->ls[i].fd);
	conn_close_idle(w);
	conn_reap(w);
}

/* Cuts what is still open, each exchange logged as aborted, and ends. */
static void
worker_exit(struct worker *w, const char *why)
{
	conn_close_all(w, why);
	conn_reap(w);
	_exit(0);
}

/* Whole cache lines, so that no two workers write into one */
typedef char board_slot_fits[sizeof(struct board_slot) % 64 == 0 &&
    offsetof(struct board, slot) % 64 == 0 ? 1 : -1];

unsigned long
board_requests(const struct board_slot *s)
{
	unsigned long sum = 0;
	size_t r, k;

	for (r = 0; r < ROUTE_MAX; r++)
		for (k = 0; k < STATUS_CLASSES; k++)
			sum += s->n.requests[r][k];
	return sum;
}

void
worker_main(const struct config *cfg, struct listener *ls, size_t nls,
    int id, struct board *board, int slot)
{
	static struct worker w;
	static struct board_slot alone;	/* no board: counts of our own */
	struct pollset ps = { NULL, NULL, 0, 0, 0, -1, 0, 0 };
	int close_fds[MAX_LISTENERS];
	int sigfd, timeout;
	size_t i;

	if (signals_init(&sigfd) == -1)
		fatal("worker %d: pipe", id);
	/* Ctrl-C reaches every process of the terminal's group: the master
	 * alone decides what it means (SIGTERM to us, then SIGQUIT) */
	signal(SIGINT, SIG_IGN);
	w.cfg = cfg;
	w.ls = ls;
	w.nls = nls;
	w.now = now_ms();
	w.reserve_fd = reserve_open();
	w.slot = &alone;
	if (board != NULL && slot >= 0 && slot < MAX_SLOTS) {
		w.board = board;
		w.slot = &board->slot[slot];
		w.slot->clients = 0;
	}
	/* the slot's counts go on from its last worker's; /status shows
	 * what this one adds */
	w.slot->base = board_requests(w.slot);
	for (i = 0; i < nls; i++)
		close_fds[i] = ls[i].fd;
	if ((w.dns = dns_start(cfg, close_fds, nls)) == NULL)
		log_warn("worker %d: no resolver helper", id);
	if ((w.pool = calloc(POOL_SIZE, sizeof(*w.pool))) == NULL)
		fatal("worker %d: calloc", id);
	log_debug("worker %d started", id);
	for (;;) {
		w.now = now_ms();
		if (sig_term && !w.quitting)
			worker_quit(&w);
		if (sig_hup) {
			sig_hup = 0;
			if (log_reopen() == -1)
				log_warn("cannot reopen the log file");
		}
		if (sig_quit || (w.quitting && w.now >= w.quit_deadline))
			worker_exit(&w, sig_quit ? "the proxy was told to stop "
			    "at once" : "the shutdown grace period ended");
		if (w.quitting && w.conns == NULL)
			_exit(0);
		timeout = pollset_build(&w, &ps, sigfd);
		if (poll(ps.pfd, (nfds_t)ps.n, timeout) == -1 &&
		    errno != EINTR) {
			/* never spin on an error: wait a little, then retry */
			log_warn("poll");
			(void)poll(NULL, 0, 100);
			continue;
		}
		w.now = now_ms();
		if (ps.pfd[0].revents)
			signals_drain(sigfd);
		pollset_dispatch(&w, &ps);
		check_deadlines(&w);
		conn_reap(&w);
	}
}

/* ---------------------------------------------------------- signals */

/* Used by the master as well as the workers: a handler only counts or
 * sets a flag and wakes the loop through the self-pipe; the loop does
 * the work. */
static void
on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGTERM || sig == SIGINT)
		sig_term = sig_term < 2 ? sig_term + 1 : 2;
	else if (sig == SIGQUIT)
		sig_quit = 1;
	else if (sig == SIGHUP)
		sig_hup = 1;
	else if (sig == SIGCHLD)
		sig_chld = 1;
	if (sig_wfd != -1 && write(sig_wfd, &c, 1) == -1) {
		/* the pipe is full: a wakeup is already pending */
	}
	errno = saved;
}

int
signals_init(int *rfd)
{
	static int pfd[2] = { -1, -1 };
	struct sigaction sa;
	int i;

	fd_close_pair(pfd);
	if (pipe(pfd) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		fcntl(pfd[i], F_SETFL, fcntl(pfd[i], F_GETFL) | O_NONBLOCK);
		fcntl(pfd[i], F_SETFD, FD_CLOEXEC);
	}
	sig_wfd = pfd[1];
	*rfd = pfd[0];
	sig_term = sig_quit = sig_hup = sig_chld = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	return 0;
}

void
signals_drain(int rfd)
{
	char tmp[64];

	while (read(rfd, tmp, sizeof(tmp)) > 0)
		;
}
