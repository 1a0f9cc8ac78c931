/*
 * util.c: buffers, byte order, bounded strings, time, base64.
 * A leaf: no fds, no logging.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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
buf_prepend(struct buf *b, const void *p, size_t n, size_t limit)
{
	size_t len = buf_len(b);

	if (n <= b->rpos) {
		b->rpos -= n;
		memcpy(b->data + b->rpos, p, n);
		return 0;
	}
	if (len + n > limit)
		return -1;
	if (len + n > b->cap && buf_grow(b, len + n) == -1)
		return -1;
	memmove(b->data + n, b->data + b->rpos, len);
	memcpy(b->data, p, n);
	b->rpos = 0;
	b->wpos = len + n;
	return 0;
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
		for (i = 0; i < n; i++)
			if (s[i] == ':') {
				if (colon != NULL)	/* bare IPv6: no port */
					return strnbuf(host, hostsz, s, n) == 0 &&
					    (*port = defport, 1) ? 0 : -1;
				colon = s + i;
			}
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
