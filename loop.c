/*
 * loop.c: a worker's single-threaded event loop. A connection's
 * descriptors are registered with the event backend (events.c) for what
 * they wait for, and told again only when that changes; its deadline
 * sits in a heap ordered by time, whose top is the wait's timeout. A
 * turn runs only the connections that have an event, whose deadline has
 * come, or that changed (conn_changed): its cost follows the active
 * connections, not the open ones. The signal flags and self-pipe live
 * here too, for the master's loop as well as the workers'.
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
#define WAIT_MAX_MS	60000	/* the longest wait, deadline or not */

volatile sig_atomic_t sig_term, sig_quit, sig_hup, sig_chld;
static int sig_wfd = -1;	/* the self-pipe's write end */

/* What a registered descriptor is: its tag with the backend. */
enum {
	TAG_SIGNAL = 1,	/* the self-pipe; owner: the worker */
	TAG_DNS,	/* the resolver helper; owner: the worker */
	TAG_LISTENER,	/* owner: its struct listener */
	TAG_POOL,	/* an idle server connection; owner: the worker */
	TAG_CONN	/* owner: its struct conn */
};

/* A worker's loop: what is not per connection. */
struct loop {
	struct worker	*w;
	int		 sigfd;
	unsigned	 lflags;	/* the listeners' events_set flags */
	int		 armed;		/* the listeners are registered */
	struct event	*out;		/* what the backend found ready */
	size_t		 ocap;
	/* this turn's: what had events */
	int		 signalled, dns_ready;
	unsigned char	 lready[MAX_LISTENERS];
	struct conn	*ready;
};

static int
reserve_open(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* ------------------------------------------------------------ timers */

/*
 * A binary min-heap of the connections that have a deadline, by
 * c->timer_at (conn_deadline() as the last sync read it). Each knows its
 * place (c->timer), so a changed deadline moves in log n, and a turn
 * touches only the entries whose time has come.
 */
static void
heap_put(struct worker *w, size_t i, struct conn *c)
{
	w->timers[i] = c;
	c->timer = i + 1;
}

static void
heap_up(struct worker *w, size_t i)
{
	struct conn *c = w->timers[i];

	while (i > 0) {
		size_t up = (i - 1) / 2;

		if (w->timers[up]->timer_at <= c->timer_at)
			break;
		heap_put(w, i, w->timers[up]);
		i = up;
	}
	heap_put(w, i, c);
}

static void
heap_down(struct worker *w, size_t i)
{
	struct conn *c = w->timers[i];

	for (;;) {
		size_t k = 2 * i + 1;

		if (k >= w->ntimers)
			break;
		if (k + 1 < w->ntimers &&
		    w->timers[k + 1]->timer_at < w->timers[k]->timer_at)
			k++;
		if (c->timer_at <= w->timers[k]->timer_at)
			break;
		heap_put(w, i, w->timers[k]);
		i = k;
	}
	heap_put(w, i, c);
}

static void
timer_del(struct worker *w, struct conn *c)
{
	struct conn *last;
	size_t i;

	if (c->timer == 0)
		return;
	i = c->timer - 1;
	c->timer = 0;
	last = w->timers[--w->ntimers];
	if (last == c)
		return;
	heap_put(w, i, last);
	heap_up(w, i);
	heap_down(w, last->timer - 1);
}

/* Files c under deadline at (-1: none); -1 when memory runs out. */
static int
timer_set(struct worker *w, struct conn *c, int64_t at)
{
	if (at < 0) {
		timer_del(w, c);
		return 0;
	}
	if (c->timer != 0) {
		int64_t was = c->timer_at;

		c->timer_at = at;
		if (at < was)
			heap_up(w, c->timer - 1);
		else if (at > was)
			heap_down(w, c->timer - 1);
		return 0;
	}
	if (w->ntimers == w->timers_cap) {
		size_t cap = w->timers_cap ? w->timers_cap * 2 : 64;
		struct conn **t = realloc(w->timers, cap * sizeof(*t));

		if (t == NULL)
			return -1;
		w->timers = t;
		w->timers_cap = cap;
	}
	c->timer_at = at;
	heap_put(w, w->ntimers++, c);
	heap_up(w, w->ntimers - 1);
	return 0;
}

/* --------------------------------------------------------- interest */

/* fd is no longer c's to wait on: a pooled connection stays registered
 * for the pool, waiting for its server to speak or close (for reading as
 * it was, usually: then only its owner changes, and the next client to
 * take it from the pool finds it registered as it needs); anything else
 * leaves the set. */
static void
fd_release(struct worker *w, int fd)
{
	short want = 0;

	(void)events_owner(w->ev, fd, NULL, &want);
	if (conn_pool_holds(w, fd) && events_set(w->ev, fd,
	    (short)((want & ~POLLOUT) | POLLIN), w, TAG_POOL, 0) == 0)
		return;
	(void)events_set(w->ev, fd, 0, NULL, 0, 0);
}

/* c is closed: its deadline and what is still registered in its name
 * go (its sockets are closed, so usually nothing is). */
static void
conn_unsync(struct worker *w, struct conn *c)
{
	size_t i;

	timer_del(w, c);
	for (i = 0; i < c->nreg; i++)
		if (events_owner(w->ev, c->reg[i].fd, NULL, NULL) == c)
			fd_release(w, c->reg[i].fd);
	c->nreg = 0;
}

/* Registers what c waits for now (conn_pollfds) where it differs from
 * what is registered, and files its deadline. */
static void
conn_sync(struct worker *w, struct conn *c)
{
	struct pollfd pfd[CONN_POLLFDS_MAX];
	size_t i, j, n;
	short want;

	if (c->dead) {
		conn_unsync(w, c);
		return;
	}
	n = conn_pollfds(c, pfd, CONN_POLLFDS_MAX);
	for (i = 0; i < c->nreg; i++) {
		for (j = 0; j < n && pfd[j].fd != c->reg[i].fd; j++)
			;
		if (j == n && events_owner(w->ev, c->reg[i].fd, NULL, NULL) ==
		    c)
			fd_release(w, c->reg[i].fd);
	}
	c->nreg = 0;
	for (j = 0; j < n; j++) {
		if ((events_owner(w->ev, pfd[j].fd, NULL, &want) != c ||
		    want != pfd[j].events) && events_set(w->ev, pfd[j].fd,
		    pfd[j].events, c, TAG_CONN, 0) == -1) {
			log_warn("%s: cannot wait for a socket", c->peer);
			conn_close(c, 0, "the event backend refused a socket");
			conn_changed(c);	/* closing, or closed */
			return;
		}
		c->reg[c->nreg].fd = pfd[j].fd;
		c->reg[c->nreg].want = pfd[j].events;
		c->reg[c->nreg++].revents = 0;
	}
	if (timer_set(w, c, conn_deadline(c)) == -1) {
		log_warnx("%s: out of memory for a deadline", c->peer);
		conn_close(c, 0, "out of memory");
		conn_changed(c);
	}
}

/* Reads again what each changed connection waits for. */
static void
changed_sync(struct worker *w)
{
	struct conn *c;

	while ((c = w->changed) != NULL) {
		w->changed = c->changed_next;
		c->on_changed = 0;
		conn_sync(w, c);
	}
}

/* The listeners are registered while the worker accepts. */
static void
listeners_arm(struct loop *lp, int on)
{
	struct worker *w = lp->w;
	size_t i;

	for (i = 0; i < w->nls; i++)
		if (w->ls[i].fd != -1 && events_set(w->ev, w->ls[i].fd,
		    on ? POLLIN : 0, &w->ls[i], TAG_LISTENER,
		    lp->lflags | EVENTS_SHARED) == -1) {
			log_warn("cannot wait for new clients on %s",
			    w->ls[i].name);
			w->accept_resume = w->now + EMFILE_PAUSE_MS;
		}
	lp->armed = on;
}

/* ------------------------------------------------------------ accept */

/* Out of descriptors: use the spare one to accept and drop a client, so
 * the listen queue does not spin the loop, then pause accepting
 * briefly. */
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

/* ---------------------------------------------------------- dispatch */

/* Hands the resolver's answers to those who asked. A helper that has
 * exited is forgotten: lookups fail from then on. */
static void
resolver_read(struct worker *w)
{
	if (w->dns == NULL || dns_read(w->dns, w->now) == 0)
		return;
	w->dns = NULL;
	if (w->quitting || sig_term)
		log_debug("resolver helper exited");
	else
		log_warnx("resolver helper exited");
}

/* An event on one of c's descriptors: noted on its registration, and c
 * queued to run once every event of the turn is sorted. */
static void
conn_note(struct loop *lp, struct conn *c, int fd, short revents)
{
	size_t i;

	for (i = 0; i < c->nreg; i++)
		if (c->reg[i].fd == fd)
			c->reg[i].revents |= revents;
	if (!c->on_ready) {
		c->on_ready = 1;
		c->ready_next = lp->ready;
		lp->ready = c;
	}
}

/* Runs c with its events, as conn_pollfds() ordered its descriptors.
 * One whose registration has gone since the wait (closed by the
 * resolver's answer for c) has no event left. */
static void
conn_run_events(struct worker *w, struct conn *c)
{
	struct pollfd pfd[CONN_POLLFDS_MAX];
	size_t i, n = 0;
	int any = 0;

	for (i = 0; i < c->nreg; i++) {
		if (events_owner(w->ev, c->reg[i].fd, NULL, NULL) == c) {
			pfd[n].fd = c->reg[i].fd;
			pfd[n].events = c->reg[i].want;
			pfd[n].revents = c->reg[i].revents;
			any |= pfd[n++].revents != 0;
		}
		c->reg[i].revents = 0;
	}
	if (any && !c->dead)
		conn_events(c, pfd, n);
}

/* Sorts what the backend found ready, then handles it: the resolver's
 * answers, new clients, the connections with events. */
static void
dispatch(struct loop *lp, int n)
{
	struct worker *w = lp->w;
	struct conn *c;
	size_t i;
	int k, tag;
	void *owner;

	lp->signalled = lp->dns_ready = 0;
	memset(lp->lready, 0, sizeof(lp->lready));
	for (k = 0; k < n; k++) {
		if ((owner = events_owner(w->ev, lp->out[k].fd, &tag, NULL)) ==
		    NULL)
			continue;
		switch (tag) {
		case TAG_SIGNAL:
			lp->signalled = 1;
			break;
		case TAG_DNS:
			lp->dns_ready = 1;
			break;
		case TAG_LISTENER:
			lp->lready[(struct listener *)owner - w->ls] = 1;
			break;
		case TAG_POOL:
			conn_pool_event(w, lp->out[k].fd);
			break;
		case TAG_CONN:
			conn_note(lp, owner, lp->out[k].fd, lp->out[k].revents);
			break;
		}
	}
	if (lp->signalled)
		signals_drain(lp->sigfd);
	if (lp->dns_ready)
		resolver_read(w);
	for (i = 0; i < w->nls && lp->armed; i++)
		if (lp->lready[i])
			accept_clients(w, &w->ls[i]);
	while ((c = lp->ready) != NULL) {
		lp->ready = c->ready_next;
		c->on_ready = 0;
		conn_run_events(w, c);
	}
}

/* The connections whose deadline has come; the heap keeps the rest. */
static void
timers_run(struct worker *w)
{
	struct conn *c;

	while (w->ntimers > 0 && (c = w->timers[0])->timer_at <= w->now) {
		timer_del(w, c);
		if (!c->dead)
			conn_timeout(c);	/* files it again, changed */
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

/* The wait's timeout in ms (-1: none): the nearest of the heap's top,
 * the pool's expiry, the accept pause and the shutdown grace. */
static int
wait_timeout(const struct loop *lp)
{
	const struct worker *w = lp->w;
	int64_t next = w->ntimers > 0 ? w->timers[0]->timer_at : -1;

	next = min_deadline(next, w->pool_next);
	if (!lp->armed && !w->quitting)
		next = min_deadline(next, w->accept_resume);
	if (w->quitting)
		next = min_deadline(next, w->quit_deadline);
	if (next < 0)
		return -1;
	return next <= w->now ? 0 : (int)(next - w->now > WAIT_MAX_MS ?
	    WAIT_MAX_MS : next - w->now);
}

/* The end of a turn: connections closed during it leave the heap and
 * the backend's table, then are freed. */
static void
turn_end(struct worker *w)
{
	struct conn *c;

	changed_sync(w);
	for (c = w->dead; c != NULL; c = c->next)
		conn_unsync(w, c);
	conn_reap(w);
	events_settle(w->ev);
}

/* ---------------------------------------------------------- the worker */

static void
worker_quit(struct loop *lp)
{
	struct worker *w = lp->w;
	size_t i;

	w->quitting = 1;
	w->quit_deadline = w->now + GRACE_S * 1000;
	/* the master and the other workers hold the same sockets: their
	 * registration would outlive our close */
	listeners_arm(lp, 0);
	for (i = 0; i < w->nls; i++)
		fd_close(&w->ls[i].fd);
	conn_close_idle(w);
	turn_end(w);
}

/* Cuts what is still open, each exchange logged as aborted, and ends. */
static void
worker_exit(struct worker *w, const char *why)
{
	conn_close_all(w, why);
	conn_reap(w);
	_exit(0);
}

static void
forget_fd(void *ev, int fd)
{
	events_forget(ev, fd);
}

/* The backend --events asks for; poll() if it cannot be had. */
static struct events *
loop_events(const struct config *cfg, int id)
{
	struct events *ev;

	if ((ev = events_open((enum events_kind)cfg->events)) != NULL)
		return ev;
	log_warn("worker %d: --events %s", id,
	    events_name((enum events_kind)cfg->events));
	if ((ev = events_open(EVENTS_POLL)) == NULL)
		fatal("worker %d: no event backend", id);
	return ev;
}

/* Registers what the worker waits on besides its connections. */
static void
loop_start(struct loop *lp, int id)
{
	struct worker *w = lp->w;

	w->ev = loop_events(w->cfg, id);
	fd_close_hook(forget_fd, w->ev);
	/* reuseport: the shared sockets beside the worker's own, too */
	lp->lflags = w->cfg->accept_mode != ACCEPT_SHARED &&
	    events_kind(w->ev) == EVENTS_EPOLL ? EVENTS_EXCLUSIVE : 0;
	if (events_set(w->ev, lp->sigfd, POLLIN, w, TAG_SIGNAL, 0) == -1)
		fatal("worker %d: cannot wait for signals", id);
	if (w->dns != NULL && events_set(w->ev, dns_fd(w->dns), POLLIN, w,
	    TAG_DNS, 0) == -1)
		fatal("worker %d: cannot wait for the resolver", id);
}

/* Waits for the next events: the backend's answer, in lp->out. */
static int
loop_wait(struct loop *lp)
{
	struct worker *w = lp->w;
	size_t need = events_count(w->ev) + 1;
	int n;

	if (need > lp->ocap) {
		size_t cap = lp->ocap ? lp->ocap : 64;
		struct event *o;

		while (cap < need)
			cap *= 2;
		if ((o = realloc(lp->out, cap * sizeof(*o))) != NULL) {
			lp->out = o;
			lp->ocap = cap;
		}
	}
	if ((n = events_wait(w->ev, lp->out, lp->ocap,
	    wait_timeout(lp))) == -1) {
		/* never spin on an error: wait a little, then retry */
		log_warn("%s", events_name(events_kind(w->ev)));
		(void)poll(NULL, 0, 100);
		return 0;
	}
	return n;
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
	struct loop lp;
	int close_fds[MAX_LISTENERS];
	size_t i;
	int n;

	memset(&lp, 0, sizeof(lp));
	lp.w = &w;
	if (signals_init(&lp.sigfd) == -1)
		fatal("worker %d: pipe", id);
	/* Ctrl-C reaches every process of the terminal's group: the master
	 * alone decides what it means (SIGTERM to us, then SIGQUIT) */
	signal(SIGINT, SIG_IGN);
	w.cfg = cfg;
	w.ls = ls;
	w.nls = nls;
	w.now = now_ms();
	w.pool_next = -1;
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
	/* after the resolver helper is forked: it must not share the
	 * backend */
	loop_start(&lp, id);
	log_debug("worker %d started (%s)", id,
	    events_name(events_kind(w.ev)));
	for (;;) {
		w.now = now_ms();
		if (sig_term && !w.quitting)
			worker_quit(&lp);
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
		if (lp.armed != (!w.quitting && w.accept_resume <= w.now))
			listeners_arm(&lp, !lp.armed);
		n = loop_wait(&lp);
		w.now = now_ms();
		dispatch(&lp, n);
		changed_sync(&w);
		timers_run(&w);
		if (w.pool_next >= 0 && w.pool_next <= w.now)
			(void)conn_pool_expire(&w);
		turn_end(&w);
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
