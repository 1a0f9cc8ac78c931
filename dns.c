/*
 * dns.c: name lookups that never block a worker.
 *
 * Each worker has a resolver helper process joined to it by a datagram
 * socketpair. The helper forks a short-lived child per query, which calls
 * getaddrinfo and sends the answer back on the same socket, so one name
 * that takes the resolver's full timeout delays nobody else. Answers are
 * cached in the worker. A sequenced-packet socket keeps each answer
 * whole and tells the helper when the worker is gone (EOF).
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy.h"

#ifdef SOCK_SEQPACKET
#define DNS_SOCK_TYPE	SOCK_SEQPACKET
#else
#define DNS_SOCK_TYPE	SOCK_DGRAM
#endif

/* Wire format, both ways over the socketpair (native byte order: both
 * ends are the same program on the same machine). */
struct dns_query {
	uint32_t	 id;
	char		 host[HOST_MAX];
};

struct dns_answer {
	uint32_t	 id;
	struct dns_result res;
};

struct dns_pending {
	uint32_t	 id;		/* 0: free */
	struct conn	*owner;
	char		 host[HOST_MAX];
};

struct dns_cache {
	char		 host[HOST_MAX];
	int64_t		 expires;
	struct dns_result res;
};

struct dns {
	int		 fd;
	pid_t		 pid;
	uint32_t	 next_id;
	struct dns_pending pending[DNS_MAX_INFLIGHT];
	struct dns_cache cache[DNS_CACHE_SIZE];
};

static void
answer_fill(struct dns_result *res, const struct addrinfo *list)
{
	const struct addrinfo *ai;
	size_t i;

	res->n = 0;
	for (ai = list; ai != NULL && res->n < MAX_ADDRS; ai = ai->ai_next) {
		const void *a;
		size_t alen;

		if (ai->ai_family == AF_INET) {
			a = &((const struct sockaddr_in *)(const void *)
			    ai->ai_addr)->sin_addr;
			alen = 4;
		} else if (ai->ai_family == AF_INET6) {
			a = &((const struct sockaddr_in6 *)(const void *)
			    ai->ai_addr)->sin6_addr;
			alen = 16;
		} else
			continue;
		for (i = 0; i < res->n; i++)	/* one entry per address */
			if (res->addrs[i].family == ai->ai_family &&
			    memcmp(res->addrs[i].a, a, alen) == 0)
				break;
		if (i < res->n)
			continue;
		res->addrs[res->n].family = ai->ai_family;
		memset(res->addrs[res->n].a, 0, 16);
		memcpy(res->addrs[res->n].a, a, alen);
		res->n++;
	}
}

static void
helper_resolve(int fd, const struct dns_query *q)
{
	struct addrinfo hints, *list = NULL;
	struct dns_answer ans;

	memset(&hints, 0, sizeof(hints));
	memset(&ans, 0, sizeof(ans));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	ans.id = q->id;
	ans.res.error = getaddrinfo(q->host, NULL, &hints, &list);
	if (ans.res.error == 0) {
		answer_fill(&ans.res, list);
		freeaddrinfo(list);
		if (ans.res.n == 0)
			ans.res.error = EAI_NONAME;
	}
	if (send(fd, &ans, sizeof(ans), 0) == -1) {
		/* the worker is gone; nobody is waiting */
	}
}

static void
helper_main(int fd)
{
	struct sigaction sa;
	struct dns_query q;
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;	/* children reap themselves */
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	for (;;) {
		n = recv(fd, &q, sizeof(q), 0);
		if (n == 0 || (n == -1 && errno != EINTR))
			_exit(0);	/* the worker is gone */
		if (n != (ssize_t)sizeof(q))
			continue;
		q.host[HOST_MAX - 1] = '\0';
		switch (fork()) {
		case 0:
			helper_resolve(fd, &q);
			_exit(0);
		case -1: {
			struct dns_answer ans;

			memset(&ans, 0, sizeof(ans));
			ans.id = q.id;
			ans.res.error = EAI_AGAIN;
			(void)send(fd, &ans, sizeof(ans), 0);
			break;
		}
		default:
			break;
		}
	}
}

struct dns *
dns_start(const int *close_fds, size_t nclose)
{
	struct dns *d;
	int sv[2];
	size_t i;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if (socketpair(AF_UNIX, DNS_SOCK_TYPE, 0, sv) == -1) {
		free(d);
		return NULL;
	}
	if ((d->pid = fork()) == -1) {
		close(sv[0]);
		close(sv[1]);
		free(d);
		return NULL;
	}
	if (d->pid == 0) {
		close(sv[0]);
		for (i = 0; i < nclose; i++)
			close(close_fds[i]);
		helper_main(sv[1]);
	}
	close(sv[1]);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	d->fd = sv[0];
	d->next_id = 1;
	return d;
}

int
dns_fd(const struct dns *d)
{
	return d->fd;
}

const char *
dns_strerror(int error)
{
	if (error == EAI_NONAME)
		return "name not found";
	if (error == EAI_AGAIN)
		return "name lookup failed temporarily";
	return gai_strerror(error);
}

static int
literal(const char *host, struct dns_result *res)
{
	memset(res, 0, sizeof(*res));
	if (inet_pton(AF_INET, host, res->addrs[0].a) == 1)
		res->addrs[0].family = AF_INET;
	else if (inet_pton(AF_INET6, host, res->addrs[0].a) == 1)
		res->addrs[0].family = AF_INET6;
	else
		return 0;
	res->n = 1;
	return 1;
}

static struct dns_cache *
cache_find(struct dns *d, const char *host, int64_t now)
{
	size_t i;

	for (i = 0; i < DNS_CACHE_SIZE; i++)
		if (d->cache[i].expires > now &&
		    strcmp(d->cache[i].host, host) == 0)
			return &d->cache[i];
	return NULL;
}

static void
cache_store(struct dns *d, const char *host, const struct dns_result *res,
    int64_t now)
{
	struct dns_cache *victim = &d->cache[0];
	size_t i;

	if (res->error != 0 && res->error != EAI_NONAME)
		return;		/* a temporary failure is not an answer */
	for (i = 0; i < DNS_CACHE_SIZE; i++) {
		if (strcmp(d->cache[i].host, host) == 0) {
			victim = &d->cache[i];
			break;
		}
		if (d->cache[i].expires < victim->expires)
			victim = &d->cache[i];
	}
	strlcpy_p(victim->host, host, sizeof(victim->host));
	victim->res = *res;
	victim->expires = now + (res->error ? DNS_NEG_TTL_S : DNS_TTL_S) *
	    1000;
}

int
dns_lookup(struct dns *d, const char *host, struct conn *owner,
    struct dns_result *res)
{
	struct dns_cache *ce;
	struct dns_pending *p = NULL;
	struct dns_query q;
	size_t i;

	if (literal(host, res))
		return 1;
	if (d != NULL && (ce = cache_find(d, host, owner->w->now)) != NULL) {
		*res = ce->res;
		return 1;
	}
	res->error = EAI_AGAIN;
	res->n = 0;
	if (d == NULL)
		return -1;
	for (i = 0; i < DNS_MAX_INFLIGHT && p == NULL; i++)
		if (d->pending[i].id == 0)
			p = &d->pending[i];
	if (p == NULL)
		return -1;
	memset(&q, 0, sizeof(q));
	q.id = d->next_id++;
	if (d->next_id == 0)
		d->next_id = 1;
	strlcpy_p(q.host, host, sizeof(q.host));
	if (send(d->fd, &q, sizeof(q), 0) != (ssize_t)sizeof(q))
		return -1;
	p->id = q.id;
	p->owner = owner;
	strlcpy_p(p->host, host, sizeof(p->host));
	return 0;
}

void
dns_cancel(struct dns *d, struct conn *owner)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < DNS_MAX_INFLIGHT; i++)
		if (d->pending[i].owner == owner) {
			d->pending[i].owner = NULL;	/* answer dropped */
		}
}

void
dns_read(struct worker *w)
{
	struct dns *d = w->dns;
	struct dns_answer ans;
	ssize_t n;
	size_t i;

	while ((n = recv(d->fd, &ans, sizeof(ans), 0)) == (ssize_t)sizeof(ans)) {
		if (ans.res.n > MAX_ADDRS)
			continue;
		for (i = 0; i < DNS_MAX_INFLIGHT; i++) {
			struct dns_pending *p = &d->pending[i];
			struct conn *owner = p->owner;

			if (p->id != ans.id)
				continue;
			cache_store(d, p->host, &ans.res, w->now);
			p->id = 0;
			p->owner = NULL;
			if (owner != NULL && !owner->dead)
				conn_resolved(owner, &ans.res);
			break;
		}
	}
	if (n == 0) {
		log_warnx("resolver helper exited");
		close(d->fd);
		w->dns = NULL;
		free(d);
	}
}
