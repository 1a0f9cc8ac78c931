/*
 * util.c: buffers, byte order, bounded strings, time, base64, address
 * formatting, and the two descriptor helpers every file closes through.
 * A leaf: no logging, no I/O.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "proxy.h"

int
buf_init(struct buf *b, size_t cap)
{
	b->rpos = b->wpos = 0;
	b->cap = 0;
	if ((b->data = malloc(cap)) == NULL)
		return -1;
	b->cap = cap;
	return 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->rpos = b->wpos = b->cap = 0;
}

int
buf_grow(struct buf *b, size_t cap)
{
	char *p;

	if (cap <= b->cap)
		return 0;
	if ((p = realloc(b->data, cap)) == NULL)
		return -1;
	b->data = p;
	b->cap = cap;
	return 0;
}

char *
buf_rptr(struct buf *b, size_t *len)
{
	*len = b->wpos - b->rpos;
	return b->data + b->rpos;
}

void
buf_rack(struct buf *b, size_t n)
{
	b->rpos += n;
	if (b->rpos >= b->wpos)
		b->rpos = b->wpos = 0;
}

char *
buf_wptr(struct buf *b, size_t *room)
{
	if (b->rpos > 0 && b->wpos == b->cap) {
		memmove(b->data, b->data + b->rpos, b->wpos - b->rpos);
		b->wpos -= b->rpos;
		b->rpos = 0;
	}
	*room = b->cap - b->wpos;
	return b->data + b->wpos;
}

void
buf_wack(struct buf *b, size_t n)
{
	b->wpos += n;
}

size_t
buf_len(const struct buf *b)
{
	return b->wpos - b->rpos;
}

void
buf_reset(struct buf *b)
{
	b->rpos = b->wpos = 0;
}

void
buf_over(struct buf *b, char *mem, size_t cap, size_t len)
{
	b->data = mem;
	b->cap = cap;
	b->rpos = 0;
	b->wpos = len;
}

int
buf_put(struct buf *b, const void *p, size_t n)
{
	size_t room;
	char *w = buf_wptr(b, &room);

	if (n > room) {
		/* compact even when some room is left at the end */
		if (b->cap - buf_len(b) < n)
			return -1;
		memmove(b->data, b->data + b->rpos, buf_len(b));
		b->wpos -= b->rpos;
		b->rpos = 0;
		w = b->data + b->wpos;
	}
	memcpy(w, p, n);
	b->wpos += n;
	return 0;
}

int
buf_replace(struct buf *b, size_t off, size_t old, const void *p, size_t n,
    size_t limit)
{
	size_t len = buf_len(b), now = len - old + n;

	/* at the front, with room before it: nothing moves */
	if (off == 0 && n <= b->rpos + old) {
		b->rpos += old - n;
		if (n > 0)
			memcpy(b->data + b->rpos, p, n);
		if (b->rpos == b->wpos)
			b->rpos = b->wpos = 0;
		return 0;
	}
	if (n > old) {
		if (now > limit)
			return -1;
		if (now > b->cap - b->rpos) {
			if (now > b->cap && buf_grow(b, now) == -1)
				return -1;
			memmove(b->data, b->data + b->rpos, len);
			b->rpos = 0;
			b->wpos = len;
		}
	}
	memmove(b->data + b->rpos + off + n, b->data + b->rpos + off + old,
	    len - off - old);
	if (n > 0)
		memcpy(b->data + b->rpos + off, p, n);
	b->wpos = b->rpos + now;
	return 0;
}

int
buf_prepend(struct buf *b, const void *p, size_t n, size_t limit)
{
	return buf_replace(b, 0, 0, p, n, limit);
}

uint16_t
le16dec(const void *pp)
{
	const unsigned char *p = pp;

	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t
le32dec(const void *pp)
{
	const unsigned char *p = pp;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

uint64_t
le64dec(const void *pp)
{
	const unsigned char *p = pp;

	return (uint64_t)le32dec(p) | (uint64_t)le32dec(p + 4) << 32;
}

void
le16enc(void *pp, uint16_t v)
{
	unsigned char *p = pp;

	p[0] = v & 0xff;
	p[1] = v >> 8;
}

void
le32enc(void *pp, uint32_t v)
{
	unsigned char *p = pp;

	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

void
le64enc(void *pp, uint64_t v)
{
	unsigned char *p = pp;

	le32enc(p, (uint32_t)v);
	le32enc(p + 4, (uint32_t)(v >> 32));
}

uint16_t
be16dec(const void *pp)
{
	const unsigned char *p = pp;

	return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t
be32dec(const void *pp)
{
	const unsigned char *p = pp;

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

void
be16enc(void *pp, uint16_t v)
{
	unsigned char *p = pp;

	p[0] = v >> 8;
	p[1] = v & 0xff;
}

void
be32enc(void *pp, uint32_t v)
{
	unsigned char *p = pp;

	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

size_t
strlcpy_p(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (size > 0) {
		size_t c = n < size - 1 ? n : size - 1;

		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int
strnbuf(char *dst, size_t size, const char *src, size_t n)
{
	if (n >= size)
		return -1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int
strncaseeq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
ct_equal(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

long
base64_encode(const void *srcp, size_t n, char *dst, size_t size)
{
	const unsigned char *s = srcp;
	size_t i, o = 0;

	if (n > (SIZE_MAX - 1) / 4 * 3 - 3 || (n + 2) / 3 * 4 + 1 > size)
		return -1;
	for (i = 0; i + 2 < n; i += 3) {
		dst[o++] = b64[s[i] >> 2];
		dst[o++] = b64[(s[i] & 3) << 4 | s[i + 1] >> 4];
		dst[o++] = b64[(s[i + 1] & 15) << 2 | s[i + 2] >> 6];
		dst[o++] = b64[s[i + 2] & 63];
	}
	if (i < n) {
		dst[o++] = b64[s[i] >> 2];
		if (i + 1 < n) {
			dst[o++] = b64[(s[i] & 3) << 4 | s[i + 1] >> 4];
			dst[o++] = b64[(s[i + 1] & 15) << 2];
		} else {
			dst[o++] = b64[(s[i] & 3) << 4];
			dst[o++] = '=';
		}
		dst[o++] = '=';
	}
	dst[o] = '\0';
	return (long)o;
}

int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long
base64_decode(const char *src, size_t n, void *dstp, size_t size)
{
	unsigned char *dst = dstp;
	uint32_t acc = 0;
	size_t i, o = 0, pad = 0;
	int bits = 0, v;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (src[i] == '=') {
			if (i < n - 2 || (i == n - 2 && src[n - 1] != '='))
				return -1;
			pad++;
			continue;
		}
		if (pad || (v = b64val((unsigned char)src[i])) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= size)
				return -1;
			dst[o++] = (acc >> bits) & 0xff;
		}
	}
	return (long)o;
}

int
parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
parse_hostport(const char *s, size_t n, char *host, size_t hostsz,
    uint16_t *port, uint16_t defport)
{
	const char *colon = NULL, *h = s;
	size_t hlen = n, i;
	long p = defport;

	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL)
			return -1;
		h = s + 1;
		hlen = (size_t)(rb - s) - 1;
		if ((size_t)(rb - s) + 1 < n) {
			if (rb[1] != ':')
				return -1;
			colon = rb + 1;
		}
	} else {
		colon = memchr(s, ':', n);
		/* two colons: a bare IPv6 address, which has no port */
		if (colon != NULL && memchr(colon + 1, ':',
		    n - (size_t)(colon + 1 - s)) != NULL)
			colon = NULL;
		if (colon != NULL)
			hlen = (size_t)(colon - s);
	}
	if (colon != NULL) {
		size_t plen = n - (size_t)(colon + 1 - s);

		if (plen == 0 || plen > 5)
			return -1;
		p = 0;
		for (i = 0; i < plen; i++) {
			if (colon[1 + i] < '0' || colon[1 + i] > '9')
				return -1;
			p = p * 10 + (colon[1 + i] - '0');
		}
		if (p < 1 || p > 65535)
			return -1;
	}
	if (hlen == 0 || strnbuf(host, hostsz, h, hlen) == -1)
		return -1;
	*port = (uint16_t)p;
	return 0;
}

/* SHA-256 (FIPS 180-4), for stored client passwords. */
static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR32(x, n)	((x) >> (n) | (x) << (32 - (n)))

static void
sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k, t1, t2;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = be32dec(p + i * 4);
	for (i = 16; i < 64; i++) {
		uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^
		    (w[i - 15] >> 3);
		uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^
		    (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; k = h[7];
	for (i = 0; i < 64; i++) {
		t1 = k + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) +
		    ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
		t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) +
		    ((a & b) ^ (a & c) ^ (b & c));
		k = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

void
sha256(const void *data, size_t n, unsigned char out[32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	const unsigned char *p = data;
	unsigned char tail[128];
	size_t left = n, t;
	int i;

	for (; left >= 64; left -= 64, p += 64)
		sha256_block(h, p);
	memset(tail, 0, sizeof(tail));
	memcpy(tail, p, left);
	tail[left] = 0x80;
	t = left < 56 ? 64 : 128;
	be32enc(tail + t - 8, (uint32_t)((uint64_t)n >> 29));
	be32enc(tail + t - 4, (uint32_t)(n << 3));
	sha256_block(h, tail);
	if (t == 128)
		sha256_block(h, tail + 64);
	for (i = 0; i < 8; i++)
		be32enc(out + i * 4, h[i]);
}

/* ------------------------------------------------------- descriptors */

/* A worker's event loop must hear of every close of a descriptor it may
 * have registered, or a number the kernel hands out again would keep
 * the old registration's owner. Every close goes through fd_close(). */
static void (*close_hook)(void *, int);
static void *close_hook_arg;

void
fd_close_hook(void (*fn)(void *, int), void *arg)
{
	close_hook = fn;
	close_hook_arg = arg;
}

void
fd_close(int *fd)
{
	if (*fd == -1)
		return;
	if (close_hook != NULL)
		close_hook(close_hook_arg, *fd);
#ifdef PROXY_DEBUG
	/* 0, 1 and 2 are never ours to close (fd_std_open): closing one
	 * hands the next socket a standard descriptor, and the stale owner
	 * of a number closes it under its new one */
	assert(*fd > 2);
#endif
	(void)close(*fd);
	*fd = -1;
}

void
fd_close_pair(int fd[2])
{
	fd_close(&fd[0]);
	fd_close(&fd[1]);
}

int
fd_std_open(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		int nfd;

		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* the lowest free number is fd itself */
		if ((nfd = open("/dev/null", O_RDWR)) == -1)
			return -1;
		if (nfd != fd) {
			(void)close(nfd);
			errno = EBADF;
			return -1;
		}
	}
	return 0;
}

void
addr_format(const struct sockaddr *sa, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		snprintf(out, size, "[%s]:%u", ip, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		snprintf(out, size, "%s:%u", ip, ntohs(s4->sin_port));
	} else
		snprintf(out, size, "?");
}
