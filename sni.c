/*
 * sni.c: the server name in a TLS ClientHello (RFC 8446 4.1.2, RFC 6066
 * section 3), read without taking part in the handshake: a transparent
 * port relays TLS untouched and only logs the name the client asked for.
 * A leaf: a pure function over the caller's bytes.
 */
#include <string.h>

#include "proxy.h"

#define TLS_HANDSHAKE		22	/* record content type */
#define TLS_CLIENT_HELLO	1	/* handshake type */
#define TLS_EXT_SNI		0	/* server_name */
#define SNI_HOST_NAME		0	/* name_type host_name */
#define RECORD_MAX		(16384 + 2048)	/* a TLSCiphertext's bound */

/* A cursor over the bytes of the hello that are at hand: every read is
 * checked against what is left, and one that does not fit empties it. */
struct cur {
	const unsigned char *p;
	size_t		 n;
	int		 short_;	/* a field ran past the bytes */
};

static const unsigned char *
take(struct cur *c, size_t k)
{
	const unsigned char *p = c->p;

	if (c->short_ || k > c->n) {
		c->short_ = 1;
		c->n = 0;
		return NULL;
	}
	c->p += k;
	c->n -= k;
	return p;
}

static size_t
take_len(struct cur *c, size_t width)
{
	const unsigned char *p = take(c, width);

	if (p == NULL)
		return 0;
	return width == 1 ? p[0] : width == 2 ? be16dec(p) :
	    (size_t)p[0] << 16 | (size_t)be16dec(p + 1);
}

/* A sub-cursor over the next k bytes (as many as there are). */
static struct cur
sub(struct cur *c, size_t k)
{
	struct cur s;

	s.p = c->p;
	s.n = k < c->n ? k : c->n;
	s.short_ = 0;
	(void)take(c, s.n);
	return s;
}

/* Copies a host name (letters, digits, '-', '_', '.'; at most namesz-1
 * bytes) into name; anything else leaves name empty: it goes into a log
 * line as a field. */
static void
name_copy(const unsigned char *p, size_t n, char *name, size_t namesz)
{
	size_t i;

	name[0] = '\0';
	if (n == 0 || n >= namesz)
		return;
	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' &&
		    p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '-' || p[i] == '_' || p[i] == '.'))
			return;
	memcpy(name, p, n);
	name[n] = '\0';
}

/* The server_name extension's first host_name. */
static void
sni_ext(struct cur *e, char *name, size_t namesz)
{
	struct cur list = sub(e, take_len(e, 2));

	while (list.n > 0 && !list.short_) {
		size_t type = take_len(&list, 1), n = take_len(&list, 2);
		const unsigned char *p = take(&list, n);

		if (p != NULL && type == SNI_HOST_NAME) {
			name_copy(p, n, name, namesz);
			return;
		}
	}
}

int
sni_parse(const unsigned char *buf, size_t len, char *name, size_t namesz)
{
	struct cur c, hs, hello, exts;
	size_t rlen;

	if (namesz == 0)
		return -1;
	name[0] = '\0';
	/* the record header, judged byte by byte as it comes */
	if ((len > 0 && buf[0] != TLS_HANDSHAKE) || (len > 1 && buf[1] != 3) ||
	    (len > 2 && buf[2] > 4))
		return -1;
	if (len < 5)
		return 0;
	rlen = be16dec(buf + 3);
	if (rlen < 4 || rlen > RECORD_MAX || (len > 5 && buf[5] !=
	    TLS_CLIENT_HELLO))
		return -1;
	if (len < 5 + rlen)
		return 0;
	/* the first record only: a hello split over records (rare, and
	 * only for very large ones) is read as far as this one goes */
	c.p = buf + 5;
	c.n = rlen;
	c.short_ = 0;
	(void)take(&c, 1);
	hs = sub(&c, take_len(&c, 3));
	hello = hs;
	(void)take(&hello, 2 + 32);		/* version, random */
	(void)take(&hello, take_len(&hello, 1));	/* session id */
	(void)take(&hello, take_len(&hello, 2));	/* cipher suites */
	(void)take(&hello, take_len(&hello, 1));	/* compression */
	if (hello.short_ || hello.n < 2)
		return 1;			/* no extensions */
	exts = sub(&hello, take_len(&hello, 2));
	while (exts.n > 0 && !exts.short_) {
		size_t type = take_len(&exts, 2);
		struct cur e = sub(&exts, take_len(&exts, 2));

		if (type == TLS_EXT_SNI && !exts.short_) {
			sni_ext(&e, name, namesz);
			break;
		}
	}
	return 1;
}
