/*
 * bench/tunnels.c: the benchmark's own small client (compiled by
 * bench/bench.sh with cc; not part of the proxy).
 *
 *   tunnels ports N
 *       print N free loopback TCP ports, one a line
 *   tunnels wait PORT SECONDS
 *       exit 0 as soon as 127.0.0.1:PORT accepts a connection, 1 after
 *       SECONDS without
 *   tunnels rate PROXYPORT ORIGINPORT SECONDS CONCURRENCY PATH
 *       new CONNECT tunnels per second: CONCURRENCY connections at once,
 *       each: connect to the proxy, "CONNECT 127.0.0.1:ORIGINPORT", wait
 *       for the 200, send one "GET PATH" (Connection: close), read the
 *       response to its end, close; then the next. PROXYPORT 0 means no
 *       proxy (straight to the origin: the GET only). Prints
 *       "<tunnels/s> <completed> <errors>".
 *   tunnels rate PROXYPORT ORIGINPORT SECONDS CONCURRENCY PATH socks5
 *       the same through a SOCKS5 server, as curl --socks5 talks to one:
 *       the greeting (no authentication), its answer, the CONNECT to
 *       127.0.0.1:ORIGINPORT, its reply (succeeded), then the GET.
 *   tunnels hold PROXYPORT ORIGINPORT N
 *       open N CONNECT tunnels to the origin (each waits for its 200) and
 *       keep them open and idle; print "ready <opened>" once done, then
 *       wait for SIGTERM or SIGINT, and exit.
 *   tunnels idle PROXYPORT ORIGINPORT N
 *       the same with N keep-alive client connections: each sends one
 *       "GET http://127.0.0.1:ORIGINPORT/1k" and reads the response
 *       (Content-Length) to its end, then stays open and idle, as a
 *       browser's spare connections do.
 *
 * Single-threaded, non-blocking, one poll() over all connections, so the
 * client costs as little CPU as possible on a machine it shares with the
 * proxy under test.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static struct sockaddr_in loopback(int port)
{
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

/* a non-blocking socket connecting to 127.0.0.1:port, or -1 */
static int start_connect(int port)
{
	struct sockaddr_in sa = loopback(port);
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 &&
	    errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cmd_ports(int n)
{
	int fds[256], i;
	if (n < 1 || n > 256)
		return 2;
	for (i = 0; i < n; i++) {
		struct sockaddr_in sa = loopback(0);
		socklen_t len = sizeof sa;
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sa, len) < 0 ||
		    getsockname(fds[i], (struct sockaddr *)&sa, &len) < 0) {
			perror("ports");
			return 1;
		}
		printf("%d\n", ntohs(sa.sin_port));
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

static int cmd_wait(int port, double secs)
{
	double end = now() + secs;
	struct timespec gap = { 0, 50 * 1000 * 1000 };
	do {
		struct sockaddr_in sa = loopback(port);
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd >= 0 &&
		    connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
			close(fd);
			return 0;
		}
		if (fd >= 0)
			close(fd);
		nanosleep(&gap, NULL);
	} while (now() < end);
	return 1;
}

enum state { CONNECTING, WAIT_200, WAIT_METHOD, WAIT_SOCKS, WAIT_BODY,
    WAIT_KA, IDLE };

struct slot {
	int fd;
	enum state st;
	size_t got;     /* bytes of the current response head/body */
	char head[512]; /* start of the current response */
	size_t hlen;
};

static char connect_req[256], get_req[512], ka_req[512];
static unsigned char socks_req[10];
static int proxyport, originport, socks5;
static int hold_ka;	/* hold: keep-alive clients, not tunnels */

static int slot_open(struct slot *s)
{
	s->fd = start_connect(proxyport ? proxyport : originport);
	s->st = CONNECTING;
	s->got = s->hlen = 0;
	return s->fd < 0 ? -1 : 0;
}

static void slot_close(struct slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* write all of msg[len] to a fresh, empty socket (a few hundred bytes
   always fit) */
static int send_bytes(int fd, const void *msg, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, (const char *)msg + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

static int send_all(int fd, const char *msg)
{
	return send_bytes(fd, msg, strlen(msg));
}

/* SOCKS5 (RFC 1928): the greeting's answer (2 bytes: version 5, no
   authentication), then the CONNECT's reply (version 5, succeeded, and
   an IPv4 or IPv6 bound address); bytes come in any pieces. 0 = more,
   1 = this step is done, -1 = error. */
static int socks_step(struct slot *s, const char *buf, size_t r)
{
	size_t need;

	if (r == 0 || r > sizeof s->head - s->hlen)
		return -1;
	memcpy(s->head + s->hlen, buf, r);
	s->hlen += r;
	if (s->st == WAIT_METHOD) {
		if (s->hlen < 2)
			return 0;
		if (s->hlen != 2 || s->head[0] != 5 || s->head[1] != 0)
			return -1;
		return 1;
	}
	if (s->hlen < 5)
		return 0;
	need = s->head[3] == 1 ? 10 : s->head[3] == 4 ? 22 : 0;
	if (need == 0 || s->head[0] != 5 || s->head[1] != 0 || s->hlen > need)
		return -1;
	return s->hlen == need;
}

/* a keep-alive response arriving: 1 once its body (Content-Length) is
   whole and nothing follows, 0 for more, -1 on anything else. While the
   head is read, got counts every byte read; after it, got is one more
   than the body bytes still to come. */
static int ka_step(struct slot *s, const char *buf, size_t r)
{
	char *end, *cl;
	size_t head, body, room = sizeof s->head - 1 - s->hlen;

	if (r == 0)
		return -1;
	if (s->st == WAIT_KA) {
		memcpy(s->head + s->hlen, buf, r < room ? r : room);
		s->hlen += r < room ? r : room;
		s->head[s->hlen] = 0;
		s->got += r;
		if ((end = strstr(s->head, "\r\n\r\n")) == NULL)
			return s->hlen < sizeof s->head - 1 ? 0 : -1;
		if (strncmp(s->head, "HTTP/1.1 200", 12) != 0 ||
		    (cl = strstr(s->head, "Content-Length: ")) == NULL)
			return -1;
		head = (size_t)(end + 4 - s->head);
		body = (size_t)strtoul(cl + 16, NULL, 10);
		if (s->got - head > body)
			return -1;
		s->got = body - (s->got - head) + 1;
		s->st = WAIT_BODY;	/* of this keep-alive response */
	} else {
		if (r > s->got - 1)
			return -1;
		s->got -= r;
	}
	if (s->got > 1)
		return 0;
	s->st = IDLE;
	return 1;
}

/* the socket is writable or readable: advance. 1 = tunnel done (ok),
   0 = keep going, -1 = error */
static int slot_step(struct slot *s, short rev, int hold)
{
	char buf[65536];
	ssize_t r;

	if (s->st == CONNECTING) {
		int err = 0;
		socklen_t el = sizeof err;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err)
			return -1;
		if (!(rev & (POLLOUT | POLLERR | POLLHUP)))
			return 0;
		if (hold && hold_ka) {
			if (send_all(s->fd, ka_req) < 0)
				return -1;
			s->st = WAIT_KA;
			return 0;
		}
		if (proxyport && socks5) {
			if (send_bytes(s->fd, "\5\1\0", 3) < 0)
				return -1;
			s->st = WAIT_METHOD;
			return 0;
		}
		if (send_all(s->fd, proxyport ? connect_req : get_req) < 0)
			return -1;
		s->st = proxyport ? WAIT_200 : WAIT_BODY;
		return 0;
	}
	if (s->st == IDLE)
		return (rev & (POLLHUP | POLLERR | POLLIN)) ? -1 : 0;
	r = read(s->fd, buf, sizeof buf);
	if (r < 0)
		return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
	if (s->st == WAIT_KA || (s->st == WAIT_BODY && hold && hold_ka))
		return ka_step(s, buf, (size_t)r);
	if (s->st == WAIT_METHOD || s->st == WAIT_SOCKS) {
		int rc = socks_step(s, buf, (size_t)r);
		if (rc <= 0)
			return rc;
		s->hlen = 0;
		if (s->st == WAIT_METHOD) {
			if (send_bytes(s->fd, socks_req, sizeof socks_req) < 0)
				return -1;
			s->st = WAIT_SOCKS;
			return 0;
		}
		if (send_all(s->fd, get_req) < 0)
			return -1;
		s->st = WAIT_BODY;
		s->got = 0;
		return 0;
	}
	if (s->st == WAIT_200) {
		char *end;
		size_t room;
		if (r == 0)
			return -1;
		room = sizeof s->head - 1 - s->hlen;
		if ((size_t)r > room)
			return -1;
		memcpy(s->head + s->hlen, buf, (size_t)r);
		s->hlen += (size_t)r;
		s->head[s->hlen] = 0;
		end = strstr(s->head, "\r\n\r\n");
		if (!end)
			return 0;
		if (strncmp(s->head, "HTTP/1.", 7) != 0 ||
		    strncmp(s->head + 8, " 200", 4) != 0)
			return -1;
		if (end + 4 != s->head + s->hlen)
			return -1; /* bytes after the 200: not expected */
		if (hold) {
			s->st = IDLE;
			return 1;
		}
		if (send_all(s->fd, get_req) < 0)
			return -1;
		s->st = WAIT_BODY;
		s->got = s->hlen = 0;
		return 0;
	}
	/* WAIT_BODY: read to EOF (the origin closes: Connection: close) */
	if (r == 0) {
		s->head[s->hlen] = 0;
		if (s->got < 1024 || strncmp(s->head, "HTTP/1.1 200", 12) != 0)
			return -1;
		return 1;
	}
	if (s->hlen < 32) {
		size_t take = (size_t)r < 32 - s->hlen ? (size_t)r : 32 - s->hlen;
		memcpy(s->head + s->hlen, buf, take);
		s->hlen += take;
	}
	s->got += (size_t)r;
	return 0;
}

static void build_requests(const char *path)
{
	snprintf(connect_req, sizeof connect_req,
	    "CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n",
	    originport, originport);
	/* SOCKS5 CONNECT 127.0.0.1:originport (ATYP 1) */
	memcpy(socks_req, "\5\1\0\1\177\0\0\1", 8);
	socks_req[8] = (unsigned char)(originport >> 8);
	socks_req[9] = (unsigned char)originport;
	snprintf(get_req, sizeof get_req,
	    "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUser-Agent: bench-tunnels\r\n"
	    "Connection: close\r\n\r\n", path, originport);
	snprintf(ka_req, sizeof ka_req,
	    "GET http://127.0.0.1:%d/1k HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
	    "User-Agent: bench-tunnels\r\n\r\n", originport, originport);
}

static int cmd_rate(double secs, int conc, const char *path)
{
	struct slot *slots = calloc((size_t)conc, sizeof *slots);
	struct pollfd *pfd = calloc((size_t)conc, sizeof *pfd);
	long done = 0, errors = 0;
	double start, end;
	int i;

	if (!slots || !pfd)
		return 1;
	build_requests(path);
	start = now();
	end = start + secs;
	for (i = 0; i < conc; i++)
		if (slot_open(&slots[i]) < 0)
			errors++;
	while (now() < end) {
		for (i = 0; i < conc; i++) {
			pfd[i].fd = slots[i].fd;
			pfd[i].events = slots[i].st == CONNECTING ? POLLOUT : POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, (nfds_t)conc, 100) < 0 && errno != EINTR)
			return 1;
		for (i = 0; i < conc; i++) {
			int rc;
			if (slots[i].fd < 0) {
				if (slot_open(&slots[i]) < 0)
					errors++;
				continue;
			}
			if (!pfd[i].revents)
				continue;
			rc = slot_step(&slots[i], pfd[i].revents, 0);
			if (rc == 0)
				continue;
			if (rc > 0)
				done++;
			else
				errors++;
			slot_close(&slots[i]);
			if (errors > 100000)
				break;
			if (slot_open(&slots[i]) < 0)
				errors++;
		}
	}
	end = now();
	printf("%.0f %ld %ld\n", done / (end - start), done, errors);
	return 0;
}

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_hold(int n)
{
	struct slot *slots = calloc((size_t)n, sizeof *slots);
	struct pollfd *pfd = calloc((size_t)n + 1, sizeof *pfd);
	int i, opened = 0, pending = 0, failed = 0, next = 0, batch = 50;
	double deadline = now() + 60;
	struct sigaction sa;

	if (!slots || !pfd)
		return 1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	build_requests("/");
	for (i = 0; i < n; i++)
		slots[i].fd = -1;
	/* open them `batch` at a time until all are open or failed */
	while ((opened + failed < n) && now() < deadline && !stop) {
		int m = 0;
		while (next < n && pending < batch) {
			if (slot_open(&slots[next]) < 0)
				failed++;
			else
				pending++;
			next++;
		}
		for (i = 0; i < next; i++) {
			if (slots[i].fd < 0 || slots[i].st == IDLE)
				continue;
			pfd[m].fd = slots[i].fd;
			pfd[m].events = slots[i].st == CONNECTING ? POLLOUT : POLLIN;
			pfd[m].revents = 0;
			m++;
		}
		if (poll(pfd, (nfds_t)m, 200) < 0 && errno != EINTR)
			return 1;
		m = 0;
		for (i = 0; i < next; i++) {
			int rc;
			if (slots[i].fd < 0 || slots[i].st == IDLE)
				continue;
			rc = slot_step(&slots[i], pfd[m].revents, 1);
			m++;
			if (rc > 0) {
				opened++;
				pending--;
			} else if (rc < 0) {
				failed++;
				pending--;
				slot_close(&slots[i]);
			}
		}
	}
	printf("ready %d\n", opened);
	fflush(stdout);
	/* hold until a signal */
	while (!stop)
		sleep(1); /* a signal interrupts it */
	for (i = 0; i < n; i++)
		slot_close(&slots[i]);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if (argc == 3 && strcmp(argv[1], "ports") == 0)
		return cmd_ports(atoi(argv[2]));
	if (argc == 4 && strcmp(argv[1], "wait") == 0)
		return cmd_wait(atoi(argv[2]), atof(argv[3]));
	if ((argc == 7 || (argc == 8 && strcmp(argv[7], "socks5") == 0)) &&
	    strcmp(argv[1], "rate") == 0) {
		socks5 = argc == 8;
		proxyport = atoi(argv[2]);
		originport = atoi(argv[3]);
		return cmd_rate(atof(argv[4]), atoi(argv[5]) > 0 ? atoi(argv[5]) : 1,
		    argv[6]);
	}
	if (argc == 5 && (strcmp(argv[1], "hold") == 0 ||
	    strcmp(argv[1], "idle") == 0)) {
		hold_ka = argv[1][0] == 'i';
		proxyport = atoi(argv[2]);
		originport = atoi(argv[3]);
		return cmd_hold(atoi(argv[4]) > 0 ? atoi(argv[4]) : 1);
	}
	fprintf(stderr, "usage: tunnels ports N | wait PORT SECONDS |"
	    " rate PROXYPORT ORIGINPORT SECONDS CONCURRENCY PATH [socks5] |"
	    " hold|idle PROXYPORT ORIGINPORT N\n");
	return 2;
}
