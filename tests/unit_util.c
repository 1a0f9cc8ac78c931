/* Unit tests for util.c: SHA-256, base64, buffers, host:port parsing,
 * the descriptor helpers. */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy.h"
#include "check.h"

static const char *
hex(const unsigned char *p, size_t n)
{
	static char out[129];
	size_t i;

	for (i = 0; i < n && i < 64; i++)
		snprintf(out + i * 2, 3, "%02x", p[i]);
	return out;
}

static void
test_sha256(void)
{
	unsigned char d[32];
	char *mil;

	sha256("", 0, d);
	CHECK_STR(hex(d, 32), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256("abc", 3, d);
	CHECK_STR(hex(d, 32), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, d);
	CHECK_STR(hex(d, 32), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	if ((mil = malloc(1000000)) != NULL) {
		memset(mil, 'a', 1000000);
		sha256(mil, 1000000, d);
		CHECK_STR(hex(d, 32), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
		free(mil);
	}
}

static void
test_base64(void)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob",
	    "fooba", "foobar" };
	static const char *const enc[] = { "", "Zg==", "Zm8=", "Zm9v",
	    "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	char out[32], back[32];
	size_t i;
	long n;

	for (i = 0; i < 7; i++) {
		CHECK_EQ(base64_encode(plain[i], strlen(plain[i]), out,
		    sizeof(out)), (long)strlen(enc[i]));
		CHECK_STR(out, enc[i]);
		n = base64_decode(enc[i], strlen(enc[i]), back, sizeof(back));
		CHECK_EQ(n, (long)strlen(plain[i]));
		CHECK(n >= 0 && memcmp(back, plain[i], (size_t)n) == 0);
	}
	CHECK_EQ(base64_decode("Zm9", 3, back, sizeof(back)), -1);
	CHECK_EQ(base64_decode("Zm=v", 4, back, sizeof(back)), -1);
	CHECK_EQ(base64_decode("Zm9v", 4, back, 2), -1);
	CHECK_EQ(base64_encode("foobar", 6, out, 8), -1);
}

static void
test_buf(void)
{
	struct buf b;
	size_t len, room;
	char *p;

	CHECK_EQ(buf_init(&b, 8), 0);
	CHECK_EQ(buf_put(&b, "abcdef", 6), 0);
	CHECK_EQ(buf_put(&b, "xyz", 3), -1);	/* does not fit: nothing written */
	CHECK_EQ(buf_len(&b), 6);
	buf_rack(&b, 4);
	CHECK_EQ(buf_put(&b, "xyz", 3), 0);	/* compacts */
	p = buf_rptr(&b, &len);
	CHECK_EQ(len, 5);
	CHECK(memcmp(p, "efxyz", 5) == 0);
	CHECK_EQ(buf_prepend(&b, "12", 2, 64), 0);
	p = buf_rptr(&b, &len);
	CHECK(len == 7 && memcmp(p, "12efxyz", 7) == 0);
	CHECK_EQ(buf_prepend(&b, "3456", 4, 64), 0);	/* grows */
	p = buf_rptr(&b, &len);
	CHECK(len == 11 && memcmp(p, "345612efxyz", 11) == 0);
	CHECK_EQ(buf_prepend(&b, "x", 1, 11), -1);	/* over the limit */
	buf_rack(&b, 11);
	CHECK_EQ(buf_len(&b), 0);
	(void)buf_wptr(&b, &room);
	CHECK_EQ(room, b.cap);
	buf_free(&b);
}

/* buf_replace: bytes in the middle replaced by fewer, as many, more
 * (moving what follows, growing), at the front, and nothing changed when
 * the limit is in the way. */
static void
test_buf_replace(void)
{
	struct buf b;
	size_t len;
	char *p;

	CHECK_EQ(buf_init(&b, 16), 0);
	CHECK_EQ(buf_put(&b, "HEADbodyrest", 12), 0);
	buf_rack(&b, 1);				/* "EADbodyrest" */
	CHECK_EQ(buf_replace(&b, 3, 4, "BO", 2, 64), 0);
	p = buf_rptr(&b, &len);
	CHECK(len == 9 && memcmp(p, "EADBOrest", 9) == 0);
	CHECK_EQ(buf_replace(&b, 3, 2, "xy", 2, 64), 0);
	p = buf_rptr(&b, &len);
	CHECK(len == 9 && memcmp(p, "EADxyrest", 9) == 0);
	CHECK_EQ(buf_replace(&b, 3, 2, "0123456789", 10, 64), 0);	/* grows */
	p = buf_rptr(&b, &len);
	CHECK(len == 17 && memcmp(p, "EAD0123456789rest", 17) == 0);
	CHECK(b.cap >= 17);
	CHECK_EQ(buf_replace(&b, 3, 0, "toolong", 7, 20), -1);
	p = buf_rptr(&b, &len);
	CHECK(len == 17 && memcmp(p, "EAD0123456789rest", 17) == 0);
	CHECK_EQ(buf_replace(&b, 13, 4, NULL, 0, 0), 0);	/* the end */
	p = buf_rptr(&b, &len);
	CHECK(len == 13 && memcmp(p, "EAD0123456789", 13) == 0);
	CHECK_EQ(buf_replace(&b, 0, 3, "h", 1, 64), 0);	/* the front */
	p = buf_rptr(&b, &len);
	CHECK(len == 11 && memcmp(p, "h0123456789", 11) == 0);
	CHECK_EQ(buf_replace(&b, 0, 11, NULL, 0, 0), 0);	/* all of it */
	CHECK_EQ(buf_len(&b), 0);
	CHECK_EQ(b.rpos, 0);
	buf_free(&b);
}

static void
test_hostport(void)
{
	char host[64];
	uint16_t port;

	CHECK_EQ(parse_hostport("example.org:8080", 16, host, sizeof(host),
	    &port, 80), 0);
	CHECK_STR(host, "example.org");
	CHECK_EQ(port, 8080);
	CHECK_EQ(parse_hostport("example.org", 11, host, sizeof(host), &port,
	    80), 0);
	CHECK_EQ(port, 80);
	CHECK_EQ(parse_hostport("[::1]:443", 9, host, sizeof(host), &port,
	    80), 0);
	CHECK_STR(host, "::1");
	CHECK_EQ(port, 443);
	CHECK_EQ(parse_hostport("::1", 3, host, sizeof(host), &port, 3128), 0);
	CHECK_STR(host, "::1");
	CHECK_EQ(port, 3128);
	CHECK_EQ(parse_hostport("h:0", 3, host, sizeof(host), &port, 80), -1);
	CHECK_EQ(parse_hostport("h:65536", 7, host, sizeof(host), &port, 80),
	    -1);
	CHECK_EQ(parse_hostport("h:8x", 4, host, sizeof(host), &port, 80), -1);
	CHECK_EQ(parse_hostport(":80", 3, host, sizeof(host), &port, 80), -1);
	CHECK_EQ(parse_hostport("[::1", 4, host, sizeof(host), &port, 80), -1);
}

static void
test_fd_close(void)
{
	int fd, pair[2], was;

	fd = open("/dev/null", O_RDONLY);
	CHECK(fd > 2);
	was = fd;
	fd_close(&fd);
	CHECK_EQ(fd, -1);
	CHECK(fcntl(was, F_GETFD) == -1 && errno == EBADF);
	fd_close(&fd);		/* closed already: nothing happens */
	CHECK_EQ(fd, -1);
	CHECK(pipe(pair) == 0);
	fd_close_pair(pair);
	CHECK(pair[0] == -1 && pair[1] == -1);
}

/* In a child: the status it exited with, or 128 + the signal. */
static int
child_status(pid_t pid)
{
	int st;

	if (pid == -1 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

static int
is_devnull(int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat("/dev/null", &b) == 0 &&
	    a.st_rdev == b.st_rdev && S_ISCHR(a.st_mode);
}

static void
test_fd_std_open(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		close(0);
		close(2);
		_exit(fd_std_open() == 0 && is_devnull(0) && is_devnull(2) ?
		    0 : 1);
	}
	CHECK_EQ(child_status(pid), 0);
}

/* Debug builds stop at a close of 0, 1 or 2: the stray close that once
 * handed a client's socket another client's descriptor number. */
static void
test_fd_close_std_asserts(void)
{
#ifdef PROXY_DEBUG
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		pid_t pid = fork();

		if (pid == 0) {
			int devnull = open("/dev/null", O_WRONLY), n = fd;

			dup2(devnull, 2);	/* the assertion's message */
			fd_close(&n);
			_exit(0);
		}
		CHECK_EQ(child_status(pid), 128 + SIGABRT);
	}
#endif
}

/* --log-format: fields, text and doubled braces; unknown fields and an
 * open brace refused with their name; the default's parts. */
static void
test_log_format(void)
{
	struct log_part p[LOG_FORMAT_PARTS];
	char why[2048];
	long n;

	n = log_format_parse("{client} - {{x}} {response_code}ms", p,
	    LOG_FORMAT_PARTS, why, sizeof(why));
	CHECK_EQ(n, 6);
	if (n == 6) {
		CHECK_EQ(p[0].field, LF_CLIENT);
		CHECK_EQ(p[1].field, LF_TEXT);
		CHECK(p[1].len == 4 && memcmp(p[1].text, " - {", 4) == 0);
		CHECK(p[2].field == LF_TEXT && p[2].len == 2 &&
		    memcmp(p[2].text, "x}", 2) == 0);
		CHECK(p[3].field == LF_TEXT && p[3].len == 1);
		CHECK_EQ(p[4].field, LF_STATUS);	/* proxy.py's name */
		CHECK(p[5].field == LF_TEXT && p[5].len == 2);
	}
	CHECK_EQ(log_format_parse("", p, LOG_FORMAT_PARTS, why,
	    sizeof(why)), 0);
	CHECK_EQ(log_format_parse("{status} {bogus}", p, LOG_FORMAT_PARTS,
	    why, sizeof(why)), -1);
	CHECK(strstr(why, "{bogus}") != NULL && strstr(why, "{url}") != NULL);
	CHECK_EQ(log_format_parse("{status", p, LOG_FORMAT_PARTS, why,
	    sizeof(why)), -1);
	CHECK(strstr(why, "column 1") != NULL);
	CHECK_EQ(log_format_parse("{a}{b}", p, 1, why, sizeof(why)), -1);
	n = log_format_parse(log_format_default, p, LOG_FORMAT_PARTS, why,
	    sizeof(why));
	CHECK_EQ(n, 18);	/* 10 fields, 8 texts */
	CHECK_STR(log_route_name(ROUTE_PAC), "pac");
	CHECK_STR(log_route_name(ROUTE_MAX), "none");
}

int
main(void)
{
	test_sha256();
	test_base64();
	test_buf();
	test_buf_replace();
	test_hostport();
	test_fd_close();
	test_fd_std_open();
	test_fd_close_std_asserts();
	test_log_format();
	return check_done("unit_util");
}
