/*
 * events.c: the event backends of a worker's loop behind one interface:
 * epoll on Linux, kqueue on the BSDs and macOS, poll() everywhere and
 * on request (--events poll, make EVENTS=poll). All are level-triggered
 * and speak poll(2)'s bits, so the loop and conn.c see one behaviour.
 *
 * A descriptor is registered once with what it waits for and changed
 * only when that changes: a turn costs what the ready descriptors cost,
 * not what the open ones do (poll() itself aside, which hands the
 * kernel the whole set every call, as it always did). Each descriptor
 * carries its owner and a tag the loop gives it, kept here in a table
 * by descriptor number: the kernel is told descriptor numbers only, so
 * a registration changing hands (a pooled server connection taken by
 * another client) costs no system call.
 */
#ifdef __linux__
#define _GNU_SOURCE	/* POLLRDHUP */
#endif
#if defined(__APPLE__)
#define _DARWIN_C_SOURCE	/* sys/event.h's types */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy.h"

#if !defined(EVENTS_POLL_ONLY) && defined(__linux__)
#define HAVE_EPOLL	1
#include <sys/epoll.h>
#else
#define HAVE_EPOLL	0
#endif
#if !defined(EVENTS_POLL_ONLY) && (defined(__APPLE__) || \
    defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || \
    defined(__DragonFly__))
#define HAVE_KQUEUE	1
#include <sys/event.h>
#include <sys/time.h>
#else
#define HAVE_KQUEUE	0
#endif
#ifndef POLLRDHUP
#define POLLRDHUP	0
#endif

/* What the table knows of one descriptor. */
struct evfd {
	void		*owner;
	short		 want;		/* registered; 0: not registered */
	unsigned char	 tag;
	unsigned char	 flags;
	unsigned char	 always;	/* epoll: a regular file, which
					   epoll refuses and which is always
					   ready: in always[] */
	unsigned char	 idle;		/* epoll: reported while want is 0:
					   in idle[] */
	short		 kwant;		/* epoll: what the kernel has; it may
					   outlive want (see epoll_set) */
	int		 pidx;		/* poll: its index in pfd, else -1 */
};

struct events {
	enum events_kind kind;
	int		 fd;		/* epoll or kqueue; -1 for poll */
	struct evfd	*tab;		/* by descriptor number */
	size_t		 ntab;
	size_t		 nset;		/* descriptors registered */
	struct pollfd	*pfd;		/* poll: the registered set */
	size_t		 pcap;
#if HAVE_EPOLL
	struct epoll_event *eout;
	int		*always;	/* descriptors reported every turn */
	size_t		 nalways, always_cap;
	int		*idle;		/* reported, but wanted by no one */
	size_t		 nidle, idle_cap;
#endif
#if HAVE_KQUEUE
	struct kevent	*kout;
#endif
	size_t		 ocap;		/* room in eout / kout */
};

static const char *const kind_names[] = {
	[EVENTS_AUTO] = "auto", [EVENTS_POLL] = "poll",
	[EVENTS_EPOLL] = "epoll", [EVENTS_KQUEUE] = "kqueue",
};

const char *
events_name(enum events_kind k)
{
	return (size_t)k < sizeof(kind_names) / sizeof(kind_names[0]) ?
	    kind_names[k] : "?";
}

int
events_parse(const char *name, enum events_kind *k)
{
	size_t i;

	for (i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]); i++)
		if (strcmp(name, kind_names[i]) == 0) {
			*k = (enum events_kind)i;
			return 0;
		}
	return -1;
}

int
events_available(enum events_kind k)
{
	switch (k) {
	case EVENTS_AUTO:
	case EVENTS_POLL:
		return 1;
	case EVENTS_EPOLL:
		return HAVE_EPOLL;
	case EVENTS_KQUEUE:
		return HAVE_KQUEUE;
	}
	return 0;
}

enum events_kind
events_default(void)
{
	if (HAVE_EPOLL)
		return EVENTS_EPOLL;
	if (HAVE_KQUEUE)
		return EVENTS_KQUEUE;
	return EVENTS_POLL;
}

/* ------------------------------------------------------------ the table */

/* The entry of fd, the table grown to hold it; NULL when memory runs
 * out. */
static struct evfd *
tab_slot(struct events *ev, int fd)
{
	struct evfd *t;
	size_t n, i;

	if (fd < 0)
		return NULL;
	if ((size_t)fd < ev->ntab)
		return &ev->tab[fd];
	n = ev->ntab ? ev->ntab : 64;
	while (n <= (size_t)fd)
		n *= 2;
	if ((t = realloc(ev->tab, n * sizeof(*t))) == NULL)
		return NULL;
	for (i = ev->ntab; i < n; i++) {
		memset(&t[i], 0, sizeof(t[i]));
		t[i].pidx = -1;
	}
	ev->tab = t;
	ev->ntab = n;
	return &t[fd];
}

static void always_drop(struct events *, int);

static void
tab_clear(struct events *ev, struct evfd *e)
{
	if (e->want != 0)
		ev->nset--;
	if (e->always)
		always_drop(ev, (int)(e - ev->tab));
	e->owner = NULL;
	e->want = 0;
	e->tag = 0;
	e->flags = 0;
	e->always = 0;
}

#if HAVE_EPOLL
/* Appends fd to a list of descriptors (always[], idle[]); -1 when memory
 * runs out. */
static int
fdlist_add(int **v, size_t *n, size_t *cap, int fd)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		int *p = realloc(*v, c * sizeof(*p));

		if (p == NULL)
			return -1;
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = fd;
	return 0;
}
#endif

/* --------------------------------------------------------------- poll */

static int
poll_set(struct events *ev, int fd, struct evfd *e, short want)
{
	struct pollfd *p;
	size_t cap;

	if (want == 0) {
		size_t last;

		if (e->pidx < 0)
			return 0;
		last = ev->nset - 1;	/* the entry counts until cleared */
		if ((size_t)e->pidx != last) {
			ev->pfd[e->pidx] = ev->pfd[last];
			ev->tab[ev->pfd[last].fd].pidx = e->pidx;
		}
		e->pidx = -1;
		return 0;
	}
	if (e->pidx >= 0) {
		ev->pfd[e->pidx].events = want;
		return 0;
	}
	if (ev->nset >= ev->pcap) {
		cap = ev->pcap ? ev->pcap * 2 : 64;
		if ((p = realloc(ev->pfd, cap * sizeof(*p))) == NULL)
			return -1;
		ev->pfd = p;
		ev->pcap = cap;
	}
	e->pidx = (int)ev->nset;
	ev->pfd[ev->nset].fd = fd;
	ev->pfd[ev->nset].events = want;
	ev->pfd[ev->nset].revents = 0;
	return 0;
}

static int
poll_wait(struct events *ev, struct event *out, size_t max, int timeout)
{
	size_t i, n = 0;
	int r;

	if ((r = poll(ev->pfd, (nfds_t)ev->nset, timeout)) <= 0)
		return r == -1 && errno != EINTR ? -1 : 0;
	for (i = 0; i < ev->nset && n < max; i++)
		if (ev->pfd[i].revents != 0) {
			out[n].fd = ev->pfd[i].fd;
			out[n++].revents = ev->pfd[i].revents;
		}
	return (int)n;
}

/* -------------------------------------------------------------- epoll */

#if HAVE_EPOLL
static uint32_t
to_epoll(short want)
{
	return (want & POLLIN ? EPOLLIN : 0) | (want & POLLOUT ? EPOLLOUT : 0) |
	    (want & POLLRDHUP ? EPOLLRDHUP : 0);
}

static short
from_epoll(uint32_t e)
{
	return (short)((e & EPOLLIN ? POLLIN : 0) | (e & EPOLLOUT ? POLLOUT : 0) |
	    (e & EPOLLRDHUP ? POLLRDHUP : 0) | (e & EPOLLERR ? POLLERR : 0) |
	    (e & EPOLLHUP ? POLLHUP : 0));
}

/* epoll refuses regular files (EPERM), which poll() reports always
 * ready: such a descriptor (a file served as an answer's body) is kept
 * aside and reported ready every turn. */
static int
always_add(struct events *ev, int fd, struct evfd *e)
{
	if (fdlist_add(&ev->always, &ev->nalways, &ev->always_cap, fd) == -1)
		return -1;
	e->always = 1;
	return 0;
}

/*
 * A descriptor that stops waiting (want 0) stays in the kernel as it
 * was, unless another process shares it (EVENTS_SHARED): most are
 * closed soon after (a tunnel's server side at its end, before the
 * client's close), and the close drops them in the kernel for nothing,
 * where a delete would be a system call; one that waits again for the
 * same costs none either (backpressure). If the kernel reports it while
 * nobody wants it, it is not handed over, and events_settle() deletes
 * it at the end of the turn unless it was closed by then.
 */
static int
epoll_set(struct events *ev, int fd, struct evfd *e, short want,
    unsigned flags)
{
	struct epoll_event ee;
	int op;

	if (e->always)
		return 0;	/* want is all it needs; tab_clear drops it */
	if (want == e->kwant || (want == 0 && !(flags & EVENTS_SHARED)))
		return 0;
	memset(&ee, 0, sizeof(ee));
	ee.data.fd = fd;
	ee.events = to_epoll(want);
#ifdef EPOLLEXCLUSIVE
	if (flags & EVENTS_EXCLUSIVE)
		ee.events |= EPOLLEXCLUSIVE;
#endif
	op = want == 0 ? EPOLL_CTL_DEL : e->kwant != 0 ? EPOLL_CTL_MOD :
	    EPOLL_CTL_ADD;
	if (epoll_ctl(ev->fd, op, fd, &ee) == 0 ||
	    /* the table and the kernel disagree only when a descriptor
	     * shared with another process was closed here unannounced:
	     * trust the kernel */
	    op == EPOLL_CTL_DEL ||
	    (op == EPOLL_CTL_MOD && errno == ENOENT &&
	    epoll_ctl(ev->fd, EPOLL_CTL_ADD, fd, &ee) == 0) ||
	    (op == EPOLL_CTL_ADD && errno == EEXIST &&
	    epoll_ctl(ev->fd, EPOLL_CTL_MOD, fd, &ee) == 0)) {
		e->kwant = want;
		return 0;
	}
	if (op == EPOLL_CTL_ADD && errno == EPERM)
		return always_add(ev, fd, e);
#ifdef EPOLLEXCLUSIVE
	if (op == EPOLL_CTL_ADD && errno == EINVAL &&
	    (flags & EVENTS_EXCLUSIVE)) {
		/* a kernel before 4.5: every worker wakes, as with poll */
		ee.events &= ~(uint32_t)EPOLLEXCLUSIVE;
		if (epoll_ctl(ev->fd, EPOLL_CTL_ADD, fd, &ee) == -1)
			return -1;
		e->kwant = want;
		return 0;
	}
#endif
	return -1;
}

/* A registration reported while nobody wants it, kept for
 * events_settle(); not handed to the caller. */
static void
epoll_idle(struct events *ev, int fd)
{
	struct evfd *e = &ev->tab[fd];

	if (e->idle)
		return;
	/* not registered as far as the table knows (a descriptor shared
	 * with another process, closed here unannounced), or no room to
	 * remember it: delete it now */
	if (e->kwant == 0 ||
	    fdlist_add(&ev->idle, &ev->nidle, &ev->idle_cap, fd) == -1) {
		(void)epoll_ctl(ev->fd, EPOLL_CTL_DEL, fd, NULL);
		e->kwant = 0;
		return;
	}
	e->idle = 1;
}

static int
epoll_wait_for(struct events *ev, struct event *out, size_t max,
    int timeout)
{
	size_t k;
	int i, n;

	if (max > ev->ocap) {
		struct epoll_event *p = realloc(ev->eout, max * sizeof(*p));

		if (p != NULL) {
			ev->eout = p;
			ev->ocap = max;
		}
	}
	if (ev->ocap == 0)
		return -1;
	if (max > ev->ocap)
		max = ev->ocap;
	n = epoll_wait(ev->fd, ev->eout, (int)max, ev->nalways ? 0 : timeout);
	if (n < 0)
		return errno != EINTR ? -1 : 0;
	for (i = k = 0; i < n; i++) {
		int fd = ev->eout[i].data.fd;

		if (fd < 0 || (size_t)fd >= ev->ntab || ev->tab[fd].want == 0) {
			if (fd >= 0 && (size_t)fd < ev->ntab)
				epoll_idle(ev, fd);
			else
				(void)epoll_ctl(ev->fd, EPOLL_CTL_DEL, fd, NULL);
			continue;
		}
		out[k].fd = fd;
		out[k++].revents = from_epoll(ev->eout[i].events);
	}
	n = (int)k;
	for (k = 0; k < ev->nalways && (size_t)n < max; k++) {
		out[n].fd = ev->always[k];
		out[n++].revents = (short)(ev->tab[ev->always[k]].want &
		    (POLLIN | POLLOUT));
	}
	return n;
}
#endif

static void
always_drop(struct events *ev, int fd)
{
#if HAVE_EPOLL
	size_t k;

	for (k = 0; k < ev->nalways; k++)
		if (ev->always[k] == fd) {
			ev->always[k] = ev->always[--ev->nalways];
			return;
		}
#else
	(void)ev;
	(void)fd;
#endif
}

/* ------------------------------------------------------------- kqueue */

#if HAVE_KQUEUE
/* Read and write are two filters: each is added or deleted as want
 * changes. */
static int
kqueue_set(struct events *ev, int fd, struct evfd *e, short want)
{
	struct kevent kc[2];
	int n = 0, in = (want & POLLIN) != 0, out = (want & POLLOUT) != 0;
	int was_in = (e->want & POLLIN) != 0, was_out = (e->want & POLLOUT) != 0;

	if (in != was_in)
		EV_SET(&kc[n++], (uintptr_t)fd, EVFILT_READ,
		    in ? EV_ADD : EV_DELETE, 0, 0, 0);
	if (out != was_out)
		EV_SET(&kc[n++], (uintptr_t)fd, EVFILT_WRITE,
		    out ? EV_ADD : EV_DELETE, 0, 0, 0);
	if (n == 0 || kevent(ev->fd, kc, n, NULL, 0, NULL) == 0)
		return 0;
	/* a delete of what a close already dropped is no error */
	return want == 0 || errno == ENOENT ? 0 : -1;
}

static int
kqueue_wait(struct events *ev, struct event *out, size_t max, int timeout)
{
	struct timespec ts, *tp = NULL;
	int i, n;

	if (max > ev->ocap) {
		struct kevent *p = realloc(ev->kout, max * sizeof(*p));

		if (p != NULL) {
			ev->kout = p;
			ev->ocap = max;
		}
	}
	if (ev->ocap == 0)
		return -1;
	if (timeout >= 0) {
		ts.tv_sec = timeout / 1000;
		ts.tv_nsec = (long)(timeout % 1000) * 1000000L;
		tp = &ts;
	}
	n = kevent(ev->fd, NULL, 0, ev->kout, (int)(max < ev->ocap ? max :
	    ev->ocap), tp);
	if (n <= 0)
		return n == -1 && errno != EINTR ? -1 : 0;
	for (i = 0; i < n; i++) {
		const struct kevent *k = &ev->kout[i];

		out[i].fd = (int)k->ident;
		out[i].revents = k->filter == EVFILT_WRITE ? POLLOUT : POLLIN;
		if (k->flags & EV_EOF)
			out[i].revents |= k->filter == EVFILT_WRITE ? POLLHUP :
			    POLLRDHUP;
		if (k->flags & EV_ERROR)
			out[i].revents |= POLLERR;
	}
	return n;
}
#endif

/* ---------------------------------------------------------- interface */

struct events *
events_open(enum events_kind kind)
{
	struct events *ev;

	if (kind == EVENTS_AUTO)
		kind = events_default();
	if (!events_available(kind)) {
		errno = ENOSYS;
		return NULL;
	}
	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return NULL;
	ev->kind = kind;
	ev->fd = -1;
#if HAVE_EPOLL
	if (kind == EVENTS_EPOLL && (ev->fd = epoll_create1(EPOLL_CLOEXEC)) ==
	    -1) {
		free(ev);
		return NULL;
	}
#endif
#if HAVE_KQUEUE
	if (kind == EVENTS_KQUEUE) {
		if ((ev->fd = kqueue()) == -1) {
			free(ev);
			return NULL;
		}
		(void)fcntl(ev->fd, F_SETFD, FD_CLOEXEC);
	}
#endif
	return ev;
}

enum events_kind
events_kind(const struct events *ev)
{
	return ev->kind;
}

int
events_set(struct events *ev, int fd, short want, void *owner, int tag,
    unsigned flags)
{
	struct evfd *e;
	int r = 0;

	if (want == 0 && ((size_t)fd >= ev->ntab || fd < 0))
		return 0;
	if ((e = tab_slot(ev, fd)) == NULL)
		return -1;
	if (want != e->want) {
		switch (ev->kind) {
#if HAVE_EPOLL
		case EVENTS_EPOLL:
			r = epoll_set(ev, fd, e, want, flags);
			break;
#endif
#if HAVE_KQUEUE
		case EVENTS_KQUEUE:
			r = kqueue_set(ev, fd, e, want);
			break;
#endif
		default:
			r = poll_set(ev, fd, e, want);
			break;
		}
	}
	if (r == -1)
		return -1;
	if (want == 0) {
		tab_clear(ev, e);
		return 0;
	}
	if (e->want == 0)
		ev->nset++;
	e->want = want;
	e->owner = owner;
	e->tag = (unsigned char)tag;
	e->flags = (unsigned char)flags;
	return 0;
}

void
events_forget(struct events *ev, int fd)
{
	struct evfd *e;

	if (fd < 0 || (size_t)fd >= ev->ntab)
		return;
	e = &ev->tab[fd];
	e->kwant = 0;	/* the close drops it in the kernel */
	if (e->want == 0)
		return;
	if (ev->kind == EVENTS_POLL)
		(void)poll_set(ev, fd, e, 0);
	tab_clear(ev, e);
}

void
events_settle(struct events *ev)
{
#if HAVE_EPOLL
	size_t k;

	for (k = 0; k < ev->nidle; k++) {
		struct evfd *e = &ev->tab[ev->idle[k]];

		e->idle = 0;
		/* wanted again, or closed (the kernel dropped it): nothing;
		 * else it would be reported every turn */
		if (e->want == 0 && e->kwant != 0) {
			(void)epoll_ctl(ev->fd, EPOLL_CTL_DEL, ev->idle[k], NULL);
			e->kwant = 0;
		}
	}
	ev->nidle = 0;
#else
	(void)ev;
#endif
}

void *
events_owner(const struct events *ev, int fd, int *tag, short *want)
{
	const struct evfd *e;

	if (fd < 0 || (size_t)fd >= ev->ntab || (e = &ev->tab[fd])->want == 0)
		return NULL;
	if (tag != NULL)
		*tag = e->tag;
	if (want != NULL)
		*want = e->want;
	return e->owner;
}

size_t
events_count(const struct events *ev)
{
	return ev->nset;
}

int
events_wait(struct events *ev, struct event *out, size_t max, int timeout)
{
	if (max == 0)
		return 0;
	if (max > INT_MAX)
		max = INT_MAX;
	switch (ev->kind) {
#if HAVE_EPOLL
	case EVENTS_EPOLL:
		return epoll_wait_for(ev, out, max, timeout);
#endif
#if HAVE_KQUEUE
	case EVENTS_KQUEUE:
		return kqueue_wait(ev, out, max, timeout);
#endif
	default:
		return poll_wait(ev, out, max, timeout);
	}
}
