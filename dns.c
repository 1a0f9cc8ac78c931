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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <ifaddrs.h>
#include <stddef.h>
#include <time.h>


#include "proxy.h"

#ifdef SOCK_SEQPACKET
#define DNS_SOCK_TYPE	SOCK_SEQPACKET
#else
#define DNS_SOCK_TYPE	SOCK_DGRAM
#endif

/* Wire format, both ways over the socketpair (native byte order: both
 * ends are the same program on the same machine). */
enum { Q_DNS, Q_PAC, Q_GSS = GSS_ANSWER_TYPE };

struct dns_query {
	uint32_t	 id;
	int		 type;
	char		 host[HOST_MAX];
	char		 url[PAC_URL_MAX];	/* Q_PAC */
};

struct dns_answer {
	uint32_t	 id;
	int		 type;
	struct dns_result res;
	char		 pac[PAC_ANSWER_MAX];	/* FindProxyForURL's answer */
	unsigned	 pac_gen;		/* which PAC file gave it */
	char		 err[256];		/* or why there is none */
};

/* A query in flight, with the hook its asker registered: the answer
 * goes back through it, so dns.c needs to know nothing of its askers. */
struct dns_pending {
	uint32_t	 id;		/* 0: free */
	int		 type;
	dns_done_fn	 done;		/* Q_DNS */
	dns_pac_done_fn	 pac_done;	/* Q_PAC */
	dns_gss_done_fn	 gss_done;	/* Q_GSS */
	void		*arg;		/* NULL: cancelled, answer dropped */
	char		 host[HOST_MAX];
};

/* FindProxyForURL's answers, per host, for a short time. */
struct pac_cache {
	char		 host[HOST_MAX];
	int64_t		 expires;
	char		 answer[PAC_ANSWER_MAX];
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
	struct pac_cache pcache[PAC_CACHE_SIZE];
	unsigned	 pac_gen;	/* newest PAC file answers came from */
};

/* The helper's PAC file: loaded at start and every --proxyreload. */
static struct pac *helper_pac;
static char *helper_pac_src;
static size_t helper_pac_len;
static unsigned helper_pac_gen;	/* counts the files loaded */

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
	ans.type = Q_DNS;
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

/* ------------------------------------------------------------- PAC */

/* dnsResolve() and friends: blocking is harmless here, in a child of the
 * helper. Answers are addresses as text, ';'-separated for the Ex forms. */
static int
pac_resolve(void *arg, const char *host, int family_any, char *out,
    size_t outsz)
{
	struct addrinfo hints, *list, *ai;
	char ip[INET6_ADDRSTRLEN];
	size_t len = 0;

	(void)arg;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family_any ? AF_UNSPEC : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &list) != 0)
		return -1;
	out[0] = '\0';
	for (ai = list; ai != NULL; ai = ai->ai_next) {
		const void *a = ai->ai_family == AF_INET ?
		    (const void *)&((const struct sockaddr_in *)(const void *)
		    ai->ai_addr)->sin_addr :
		    (const void *)&((const struct sockaddr_in6 *)(const void *)
		    ai->ai_addr)->sin6_addr;
		size_t n;

		if (inet_ntop(ai->ai_family, a, ip, sizeof(ip)) == NULL ||
		    strstr(out, ip) != NULL)
			continue;
		n = strlen(ip);
		if (len + n + 2 > outsz)
			break;
		if (len > 0)
			out[len++] = ';';
		memcpy(out + len, ip, n + 1);
		len += n;
		if (!family_any)
			break;
	}
	freeaddrinfo(list);
	return len > 0 ? 0 : -1;
}

static time_t
pac_now(void *arg)
{
	(void)arg;
	return time(NULL);
}

static void
pac_alert(void *arg, const char *msg)
{
	(void)arg;
	log_info("PAC alert: %s", msg);
}

/* myIpAddress(): --pac-client-ip, else this host's first non-loopback
 * IPv4 address, else 127.0.0.1. */
static const char *
pac_my_ip(const struct config *cfg, char *buf, size_t size)
{
	struct ifaddrs *ifa, *i;

	if (cfg->pac_client_ip != NULL)
		return cfg->pac_client_ip;
	strlcpy_p(buf, "127.0.0.1", size);
	if (getifaddrs(&ifa) == -1)
		return buf;
	for (i = ifa; i != NULL; i = i->ifa_next) {
		const struct sockaddr_in *s4 = (const void *)i->ifa_addr;

		if (s4 == NULL || s4->sin_family != AF_INET ||
		    (ntohl(s4->sin_addr.s_addr) >> 24) == 127)
			continue;
		inet_ntop(AF_INET, &s4->sin_addr, buf, (socklen_t)size);
		break;
	}
	freeifaddrs(ifa);
	return buf;
}

struct pac *
dns_pac_load(const struct config *cfg, const char *src, size_t len,
    char *err, size_t errsz)
{
	static char myip[INET6_ADDRSTRLEN];
	struct pac_env env;

	memset(&env, 0, sizeof(env));
	env.resolve = pac_resolve;
	env.now = pac_now;
	env.alert = pac_alert;
	env.my_ip = pac_my_ip(cfg, myip, sizeof(myip));
	return pac_load(src, len, &env, err, errsz);
}

/* Two-label public suffixes under which WPAD must not climb (a small
 * list of the common ones; the rule is "never above the registrable
 * domain"). */
static const char *const two_label_suffixes[] = {
	"co.uk", "org.uk", "ac.uk", "gov.uk", "com.au", "net.au", "org.au",
	"co.nz", "co.jp", "ne.jp", "or.jp", "com.br", "co.za", "com.cn",
	"com.tw", "co.in", "co.kr", "com.mx", "com.tr", "co.il",
};

static int
labels(const char *d)
{
	int n = 1;

	for (; *d != '\0'; d++)
		n += *d == '.';
	return n;
}

/* The least number of labels a WPAD suffix of d may keep. */
static int
registrable_labels(const char *d)
{
	size_t i, n = strlen(d);

	for (i = 0; i < sizeof(two_label_suffixes) /
	    sizeof(two_label_suffixes[0]); i++) {
		size_t sl = strlen(two_label_suffixes[i]);

		if (n > sl && d[n - sl - 1] == '.' &&
		    strcasecmp(d + n - sl, two_label_suffixes[i]) == 0)
			return 3;
	}
	return 2;
}

/* --pac auto: http://wpad.<suffix>/wpad.dat for each suffix of each
 * search domain in resolv.conf, longest first. */
static char *
wpad_find(const struct config *cfg, size_t *len, char *from,
    size_t fromsz, char *err, size_t errsz)
{
	char line[1024], *save, *tok, url[PAC_URL_MAX];
	const char *d;
	FILE *f;
	char *src = NULL;

	if ((f = fopen("/etc/resolv.conf", "r")) == NULL) {
		snprintf(err, errsz, "WPAD: /etc/resolv.conf: %s",
		    strerror(errno));
		return NULL;
	}
	snprintf(err, errsz, "WPAD: no search domain in /etc/resolv.conf");
	while (src == NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "search", 6) != 0 &&
		    strncmp(line, "domain", 6) != 0)
			continue;
		strtok_r(line, " \t\r\n", &save);
		while (src == NULL &&
		    (tok = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
			int keep = registrable_labels(tok);

			for (d = tok; src == NULL && labels(d) >= keep;
			    d = strchr(d, '.') + 1) {
				snprintf(url, sizeof(url),
				    "http://wpad.%s/wpad.dat", d);
				if ((src = fetch_url(cfg, url, len, err,
				    errsz)) != NULL) {
					strlcpy_p(from, url, fromsz);
					log_info("WPAD: found %s", url);
				}
				if (strchr(d, '.') == NULL)
					break;
			}
		}
	}
	fclose(f);
	if (src == NULL && strncmp(err, "WPAD:", 5) != 0) {
		char last[512];

		snprintf(last, sizeof(last), "%s", err);
		snprintf(err, errsz, "WPAD: no wpad.dat found (the last "
		    "candidate: %s)", last);
	}
	return src;
}

char *
dns_pac_fetch(const struct config *cfg, size_t *len, char *from,
    size_t fromsz, char *err, size_t errsz)
{
	char *src;

	err[0] = '\0';
	if (strcmp(cfg->pac, "auto") == 0)
		return wpad_find(cfg, len, from, fromsz, err, errsz);
	strlcpy_p(from, cfg->pac, fromsz);
	if (strncasecmp(cfg->pac, "http://", 7) == 0 ||
	    strncasecmp(cfg->pac, "https://", 8) == 0)
		return fetch_url(cfg, cfg->pac, len, err, errsz);
	if ((src = config_slurp(cfg->pac, 16 << 20, len)) == NULL)
		snprintf(err, errsz, "%s: %s", cfg->pac, strerror(errno));
	return src;
}

/*
 * The PAC file is fetched by a child of the helper, which writes it into
 * a pipe: a server that hangs delays no lookup and no evaluation (until a
 * file arrives, requests fall back to --proxy or DIRECT). The pipe carries
 * 'O' and the script, or 'E' and why there is none.
 */
struct pac_fetch {
	int	 fd;		/* read end, or -1: no fetch under way */
	char	*buf;
	size_t	 len, cap;
};

static void
pac_fetch_child(const struct config *cfg, int fd)
{
	char err[512], from[PAC_URL_MAX], *src;
	size_t len, off;
	ssize_t n;

	if ((src = dns_pac_fetch(cfg, &len, from, sizeof(from), err,
	    sizeof(err))) == NULL) {
		if (write(fd, "E", 1) != 1 ||
		    write(fd, err, strlen(err)) < 0)
			_exit(1);
		_exit(0);
	}
	if (write(fd, "O", 1) != 1 || write(fd, from, strlen(from) + 1) < 0)
		_exit(1);
	for (off = 0; off < len; off += (size_t)n)
		if ((n = write(fd, src + off, len - off)) <= 0)
			_exit(1);
	_exit(0);
}

static void
pac_fetch_start(const struct config *cfg, struct pac_fetch *f)
{
	int pfd[2];

	if (f->fd != -1 || pipe(pfd) == -1)
		return;
	switch (fork()) {
	case -1:
		log_warn("PAC: fork");
		fd_close_pair(pfd);
		return;
	case 0:
		fd_close(&pfd[0]);
		pac_fetch_child(cfg, pfd[1]);
		_exit(0);
	default:
		fd_close(&pfd[1]);
		f->fd = pfd[0];
		f->len = 0;
	}
}

/* The fetched file is whole: compile it, keeping the last good one on
 * any failure. */
static void
pac_fetch_done(const struct config *cfg, struct pac_fetch *f)
{
	const char *from, *src;
	char err[512];
	struct pac *p;
	size_t len;

	if (f->len == 0 || f->buf[0] != 'O') {
		log_warnx("PAC: %.*s%s", f->len > 1 ? (int)(f->len - 1) : 19,
		    f->len > 1 ? f->buf + 1 : "the fetch failed",
		    helper_pac ? "; keeping the last good one" : "");
		return;
	}
	from = f->buf + 1;
	src = from + strlen(from) + 1;
	len = f->len - (size_t)(src - f->buf);
	if (helper_pac_src != NULL && len == helper_pac_len &&
	    memcmp(src, helper_pac_src, len) == 0)
		return;
	if ((p = dns_pac_load(cfg, src, len, err, sizeof(err))) == NULL) {
		log_warnx("PAC from %s: %s%s", from, err, helper_pac ?
		    "; keeping the last good one" : "");
		return;
	}
	log_debug("PAC loaded from %s (%zu bytes)", from, len);
	if (helper_pac != NULL)
		pac_free(helper_pac);
	free(helper_pac_src);
	if ((helper_pac_src = malloc(len)) != NULL)
		memcpy(helper_pac_src, src, len);
	helper_pac = p;
	helper_pac_len = helper_pac_src ? len : 0;
	helper_pac_gen++;
}

/* Reads what the fetching child sends, bounded. */
static void
pac_fetch_read(const struct config *cfg, struct pac_fetch *f)
{
	ssize_t n;
	char *nb;

	if (f->len == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 65536;

		if (cap > (16u << 20) + PAC_URL_MAX + 2 ||
		    (nb = realloc(f->buf, cap + 1)) == NULL) {
			log_warnx("PAC: the file is too large");
			fd_close(&f->fd);
			return;
		}
		f->buf = nb;
		f->cap = cap;
	}
	if ((n = read(f->fd, f->buf + f->len, f->cap - f->len)) > 0) {
		f->len += (size_t)n;
		return;
	}
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	fd_close(&f->fd);
	f->buf[f->len] = '\0';
	pac_fetch_done(cfg, f);
}

static void
helper_pac_eval(int fd, const struct dns_query *q)
{
	struct dns_answer ans;

	memset(&ans, 0, sizeof(ans));
	ans.id = q->id;
	ans.type = Q_PAC;
	ans.pac_gen = helper_pac_gen;
	if (helper_pac == NULL)
		snprintf(ans.err, sizeof(ans.err), "no PAC file could be "
		    "loaded");
	else if (pac_find_proxy(helper_pac, q->url, q->host, ans.pac,
	    sizeof(ans.pac), ans.err, sizeof(ans.err)) == -1 &&
	    ans.err[0] == '\0')
		snprintf(ans.err, sizeof(ans.err), "evaluation failed");
	if (send(fd, &ans, sizeof(ans), 0) == -1) {
		/* the worker is gone; nobody is waiting */
	}
}

static void
helper_answer_error(int fd, const struct dns_query *q)
{
	struct dns_answer ans;

	memset(&ans, 0, sizeof(ans));
	ans.id = q->id;
	ans.type = q->type;
	ans.res.error = EAI_AGAIN;
	snprintf(ans.err, sizeof(ans.err), "cannot fork: %s", strerror(errno));
	(void)send(fd, &ans, sizeof(ans), 0);
}

/* ---------------------------------------------------------- Kerberos */

/* The Kerberos process (gss.c): one, for as long as the helper lives,
 * which asks the KDC one query at a time and keeps --kerberos-password's
 * ticket; it answers the worker on fd itself. -1 when there is none. */
static int
krb_start(const struct config *cfg, int fd)
{
	int sv[2];
	pid_t pid;

	if (!gss_available() || (cfg->auth != AUTH_KERBEROS &&
	    cfg->auth != AUTH_ANY))
		return -1;
	if (socketpair(AF_UNIX, DNS_SOCK_TYPE, 0, sv) == -1) {
		log_warn("Kerberos: socketpair");
		return -1;
	}
	if ((pid = fork()) == -1) {
		log_warn("Kerberos: fork");
		fd_close_pair(sv);
		return -1;
	}
	if (pid == 0) {
		fd_close(&sv[0]);
		gss_helper_main(sv[1], fd, cfg);
		_exit(0);
	}
	fd_close(&sv[1]);
	return sv[0];
}

/* A Kerberos query goes to the Kerberos process, or is answered here
 * when there is none. */
static void
krb_forward(int krb, int fd, const struct dns_query *q)
{
	static struct gss_answer ans;
	struct gss_query gq;

	memset(&gq, 0, sizeof(gq));
	gq.id = q->id;
	gq.canonical = q->url[0] == 'c';
	strlcpy_p(gq.host, q->host, sizeof(gq.host));
	if (krb != -1 && send(krb, &gq, sizeof(gq), 0) == (ssize_t)sizeof(gq))
		return;
	memset(&ans, 0, offsetof(struct gss_answer, blob));
	ans.id = q->id;
	ans.type = Q_GSS;
	snprintf(ans.why, sizeof(ans.why), "%s", gss_available() ?
	    "the Kerberos process is gone" : "built without GSSAPI");
	(void)send(fd, &ans, offsetof(struct gss_answer, blob), 0);
}

static void
helper_main(int fd, const struct config *cfg)
{
	struct sigaction sa;
	struct dns_query q;
	struct pac_fetch f = { -1, NULL, 0, 0 };
	struct pollfd pfd[2];
	int64_t next = 0, wait;
	ssize_t n;
	int krb;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;	/* children reap themselves */
	sigaction(SIGCHLD, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	/* Ctrl-C and SIGQUIT reach the whole process group: the helper
	 * lives as long as its worker, and ends when the worker's end of
	 * the socket closes */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGTERM, &sa, NULL);
	krb = krb_start(cfg, fd);
	for (;;) {
		if (cfg->pac != NULL && now_ms() >= next) {
			pac_fetch_start(cfg, &f);
			next = now_ms() + cfg->proxyreload * 1000;
		}
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = f.fd;
		pfd[1].events = POLLIN;
		wait = cfg->pac == NULL ? -1 : next - now_ms();
		if (poll(pfd, 2, wait < 0 ? (cfg->pac ? 0 : -1) : (int)wait)
		    <= 0)
			continue;
		if (pfd[1].revents)
			pac_fetch_read(cfg, &f);
		if (pfd[0].revents == 0)
			continue;
		n = recv(fd, &q, sizeof(q), 0);
		if (n == 0 || (n == -1 && errno != EINTR && errno != EAGAIN))
			_exit(0);	/* the worker is gone */
		if (n != (ssize_t)sizeof(q))
			continue;
		q.host[HOST_MAX - 1] = '\0';
		q.url[PAC_URL_MAX - 1] = '\0';
		if (q.type == Q_GSS) {
			krb_forward(krb, fd, &q);
			continue;
		}
		switch (fork()) {
		case 0:
			if (q.type == Q_PAC)
				helper_pac_eval(fd, &q);
			else
				helper_resolve(fd, &q);
			_exit(0);
		case -1:
			helper_answer_error(fd, &q);
			break;
		default:
			break;
		}
	}
}

struct dns *
dns_start(const struct config *cfg, const int *close_fds, size_t nclose)
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
		fd_close_pair(sv);
		free(d);
		return NULL;
	}
	if (d->pid == 0) {
		fd_close(&sv[0]);
		for (i = 0; i < nclose; i++) {
			int fd = close_fds[i];

			fd_close(&fd);
		}
		helper_main(sv[1], cfg);
	}
	fd_close(&sv[1]);
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

/* Sends a query to the helper; 0, or -1 when none can be sent. The
 * caller fills in the slot's hook. */
static int
query_send(struct dns *d, int type, const char *host, const char *url,
    const char *key, struct dns_pending **slot)
{
	struct dns_pending *p = NULL;
	struct dns_query q;
	size_t i;

	for (i = 0; i < DNS_MAX_INFLIGHT && p == NULL; i++)
		if (d->pending[i].id == 0)
			p = &d->pending[i];
	if (p == NULL)
		return -1;
	memset(&q, 0, sizeof(q));
	q.id = d->next_id++;
	if (d->next_id == 0)
		d->next_id = 1;
	q.type = type;
	strlcpy_p(q.host, host, sizeof(q.host));
	if (url != NULL)
		strlcpy_p(q.url, url, sizeof(q.url));
	if (send(d->fd, &q, sizeof(q), 0) != (ssize_t)sizeof(q))
		return -1;
	p->id = q.id;
	p->type = type;
	p->done = NULL;
	p->pac_done = NULL;
	p->gss_done = NULL;
	strlcpy_p(p->host, key, sizeof(p->host));
	*slot = p;
	return 0;
}

int
dns_lookup(struct dns *d, const char *host, int64_t now, dns_done_fn done,
    void *arg, struct dns_result *res)
{
	struct dns_pending *p;
	struct dns_cache *ce;

	if (literal(host, res))
		return 1;
	if (d != NULL && (ce = cache_find(d, host, now)) != NULL) {
		*res = ce->res;
		return 2;
	}
	res->error = EAI_AGAIN;
	res->n = 0;
	if (d == NULL || query_send(d, Q_DNS, host, NULL, host, &p) == -1)
		return -1;
	p->done = done;
	p->arg = arg;
	return 0;
}

int
dns_pac_query(struct dns *d, const char *url, const char *host, int64_t now,
    dns_pac_done_fn done, void *arg, char *answer, size_t size)
{
	struct dns_pending *slot;
	size_t i;

	char key[HOST_MAX];
	uint64_t h = 14695981039346656037ULL;
	const char *p;

	if (d == NULL)
		return -1;
	/* an answer may depend on any part of the URL: the key is a 64-bit
	 * FNV-1a hash of all of it, and the host */
	for (p = url; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	snprintf(key, sizeof(key), "%016llx %.200s", (unsigned long long)h,
	    host);
	for (i = 0; i < PAC_CACHE_SIZE; i++)
		if (d->pcache[i].expires > now &&
		    strcmp(d->pcache[i].host, key) == 0) {
			strlcpy_p(answer, d->pcache[i].answer, size);
			return 1;
		}
	if (query_send(d, Q_PAC, host, url, key, &slot) == -1)
		return -1;
	slot->pac_done = done;
	slot->arg = arg;
	return 0;
}

int
dns_gss_query(struct dns *d, const char *host, int canonical,
    dns_gss_done_fn done, void *arg)
{
	struct dns_pending *slot;

	if (d == NULL || query_send(d, Q_GSS, host, canonical ? "c" : "",
	    host, &slot) == -1)
		return -1;
	slot->gss_done = done;
	slot->arg = arg;
	return 0;
}

static void
pac_cache_store(struct dns *d, const char *host, const char *answer,
    int64_t now)
{
	struct pac_cache *victim = &d->pcache[0];
	size_t i;

	for (i = 0; i < PAC_CACHE_SIZE; i++) {
		if (strcmp(d->pcache[i].host, host) == 0) {
			victim = &d->pcache[i];
			break;
		}
		if (d->pcache[i].expires < victim->expires)
			victim = &d->pcache[i];
	}
	strlcpy_p(victim->host, host, sizeof(victim->host));
	strlcpy_p(victim->answer, answer, sizeof(victim->answer));
	victim->expires = now + PAC_CACHE_S * 1000;
}

void
dns_cancel(struct dns *d, const void *arg)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < DNS_MAX_INFLIGHT; i++)
		if (d->pending[i].arg == arg)
			d->pending[i].arg = NULL;	/* answer dropped */
}

/* Caches the answer, frees its slot, then calls the asker's hook: the
 * hook may ask again, and find the slot and the answer there. */
static void
answer_dispatch(struct dns *d, struct dns_pending *p, struct dns_answer *ans,
    int64_t now)
{
	struct dns_pending q = *p;

	if (p->type == Q_PAC) {
		/* a new PAC file: what was cached came from the old one */
		if (ans->pac_gen != d->pac_gen) {
			memset(d->pcache, 0, sizeof(d->pcache));
			d->pac_gen = ans->pac_gen;
		}
		ans->pac[sizeof(ans->pac) - 1] = '\0';
		ans->err[sizeof(ans->err) - 1] = '\0';
		if (ans->err[0] == '\0')
			pac_cache_store(d, p->host, ans->pac, now);
	} else
		cache_store(d, p->host, &ans->res, now);
	p->id = 0;
	p->arg = NULL;
	if (q.arg == NULL)
		return;
	if (q.type == Q_PAC)
		q.pac_done(q.arg, ans->err[0] ? NULL : ans->pac, ans->err);
	else
		q.done(q.arg, &ans->res);
}

/* A Kerberos answer of n bytes: to its asker, the slot freed first. */
static void
gss_dispatch(struct dns *d, struct gss_answer *ans, size_t n)
{
	struct dns_pending *p, q;
	size_t i;

	if (n < offsetof(struct gss_answer, blob) ||
	    ans->len != n - offsetof(struct gss_answer, blob))
		return;
	ans->why[sizeof(ans->why) - 1] = '\0';
	ans->principal[sizeof(ans->principal) - 1] = '\0';
	for (i = 0; i < DNS_MAX_INFLIGHT; i++) {
		p = &d->pending[i];
		if (p->id != ans->id || p->type != Q_GSS)
			continue;
		q = *p;
		p->id = 0;
		p->arg = NULL;
		if (q.arg != NULL)
			q.gss_done(q.arg, ans);
		return;
	}
}

int
dns_read(struct dns *d, int64_t now)
{
	static union {
		struct dns_answer dns;
		struct gss_answer gss;
	} u;
	struct dns_answer *ans = &u.dns;
	ssize_t n;
	size_t i;

	while ((n = recv(d->fd, &u, sizeof(u), 0)) > 0) {
		if ((size_t)n >= offsetof(struct gss_answer, ok) &&
		    u.gss.type == Q_GSS) {
			gss_dispatch(d, &u.gss, (size_t)n);
			continue;
		}
		if (n != (ssize_t)sizeof(*ans) || ans->res.n > MAX_ADDRS)
			continue;
		for (i = 0; i < DNS_MAX_INFLIGHT; i++)
			if (d->pending[i].id == ans->id) {
				answer_dispatch(d, &d->pending[i], ans, now);
				break;
			}
	}
	if (n != 0)
		return 0;
	fd_close(&d->fd);	/* the helper is gone */
	free(d);
	return -1;
}
