/*
 * x509.c: the DER of the certificates the proxy mints (RFC 5280), and
 * the little reading of a CA certificate that minting needs. A leaf:
 * pure functions over the caller's buffers, no keys, no randomness, no
 * files (tls.c brings those), so every byte is unit-tested and fuzzed.
 *
 * Writing goes forward into one buffer. A constructed value is opened
 * with a one-byte length placeholder and closed once its contents are
 * written: only then is the length known, and a length of 128 or more
 * moves the contents up by the one to three bytes its long form needs.
 * Values close innermost first, so a move never shifts the start of a
 * value still open. Overflow is sticky (as in http_out): writes after
 * it do nothing and the encoder returns -1 at the end.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <string.h>

#include "proxy.h"

#define DER_DEPTH	8	/* constructed values open at once */

struct der {
	unsigned char	*p;
	size_t		 len, cap;
	int		 bad;		/* sticky: overflow or too deep */
	size_t		 open[DER_DEPTH];	/* where each open value's
						   contents start */
	int		 depth;
};

static void
der_init(struct der *d, unsigned char *out, size_t cap)
{
	memset(d, 0, sizeof(*d));
	d->p = out;
	d->cap = cap;
}

static void
der_raw(struct der *d, const void *src, size_t n)
{
	if (d->bad || n > d->cap - d->len) {
		d->bad = 1;
		return;
	}
	memcpy(d->p + d->len, src, n);
	d->len += n;
}

static void
der_byte(struct der *d, unsigned char c)
{
	der_raw(d, &c, 1);
}

static void
der_open(struct der *d, unsigned char tag)
{
	unsigned char hdr[2];

	if (d->depth == DER_DEPTH)
		d->bad = 1;
	hdr[0] = tag;
	hdr[1] = 0;
	der_raw(d, hdr, 2);
	if (!d->bad)
		d->open[d->depth++] = d->len;
}

static void
der_close(struct der *d)
{
	size_t start, n, k;

	if (d->bad || d->depth == 0) {
		d->bad = 1;
		return;
	}
	start = d->open[--d->depth];
	n = d->len - start;
	k = n < 0x80 ? 0 : n <= 0xff ? 1 : n <= 0xffff ? 2 : 3;
	if (n > 0xffffff || k > d->cap - d->len) {
		d->bad = 1;
		return;
	}
	if (k > 0) {
		memmove(d->p + start + k, d->p + start, n);
		d->p[start - 1] = (unsigned char)(0x80 | k);
		d->len += k;
		while (k > 0) {
			d->p[start + k - 1] = (unsigned char)n;
			n >>= 8;
			k--;
		}
	} else
		d->p[start - 1] = (unsigned char)n;
}

/* A primitive value: tag, length, n bytes. */
static void
der_prim(struct der *d, unsigned char tag, const void *src, size_t n)
{
	der_open(d, tag);
	der_raw(d, src, n);
	der_close(d);
}

/* A non-negative INTEGER from n big-endian bytes: minimal, with a 00
 * in front when the top bit is set. */
static void
der_uint(struct der *d, const unsigned char *v, size_t n)
{
	while (n > 1 && v[0] == 0) {
		v++;
		n--;
	}
	der_open(d, 0x02);
	if (n == 0 || v[0] & 0x80)
		der_byte(d, 0);
	der_raw(d, v, n);
	der_close(d);
}

static long
der_end(struct der *d)
{
	if (d->bad || d->depth != 0)
		return -1;
	return (long)d->len;
}

/* ---------------------------------------------------------------- parts */

/* Object identifiers and fixed values, whole (tag and length included). */
static const unsigned char alg_rsa_sha256[] = { 0x30, 0x0d, 0x06, 0x09,
    0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 };
static const unsigned char alg_ecdsa_sha256[] = { 0x30, 0x0a, 0x06, 0x08,
    0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
static const unsigned char alg_rsa[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a,
    0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00 };
static const unsigned char oid_ec_pubkey[] = { 0x06, 0x07, 0x2a, 0x86,
    0x48, 0xce, 0x3d, 0x02, 0x01 };
static const unsigned char oid_p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48,
    0xce, 0x3d, 0x03, 0x01, 0x07 };
static const unsigned char oid_p384[] = { 0x06, 0x05, 0x2b, 0x81, 0x04,
    0x00, 0x22 };
static const unsigned char oid_p521[] = { 0x06, 0x05, 0x2b, 0x81, 0x04,
    0x00, 0x23 };
static const unsigned char oid_cn[] = { 0x06, 0x03, 0x55, 0x04, 0x03 };
static const unsigned char oid_basic[] = { 0x06, 0x03, 0x55, 0x1d, 0x13 };
static const unsigned char oid_ku[] = { 0x06, 0x03, 0x55, 0x1d, 0x0f };
static const unsigned char oid_eku[] = { 0x06, 0x03, 0x55, 0x1d, 0x25 };
static const unsigned char oid_san[] = { 0x06, 0x03, 0x55, 0x1d, 0x11 };
static const unsigned char oid_ski[] = { 0x06, 0x03, 0x55, 0x1d, 0x0e };
static const unsigned char oid_aki[] = { 0x06, 0x03, 0x55, 0x1d, 0x23 };
static const unsigned char eku_server[] = { 0x30, 0x0a, 0x06, 0x08, 0x2b,
    0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01 };

static void
der_alg(struct der *d, enum x509_sig sig)
{
	if (sig == X509_SIG_RSA_SHA256)
		der_raw(d, alg_rsa_sha256, sizeof(alg_rsa_sha256));
	else
		der_raw(d, alg_ecdsa_sha256, sizeof(alg_ecdsa_sha256));
}

/* Proleptic Gregorian date of a day count from 1970-01-01 (Howard
 * Hinnant's civil_from_days), valid for the whole int64_t range used. */
static void
civil(int64_t days, int64_t *y, unsigned *m, unsigned *dd)
{
	int64_t z = days + 719468, era, doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*dd = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* UTCTime for 1950-2049, GeneralizedTime otherwise (RFC 5280 4.1.2.5);
 * years outside 0-9999 make the encoding fail. */
static void
der_time(struct der *d, int64_t t)
{
	int64_t days = t / 86400, secs = t % 86400, y;
	unsigned m, dd;
	char s[16];
	int i = 0;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil(days, &y, &m, &dd);
	if (y < 0 || y > 9999) {
		d->bad = 1;
		return;
	}
	if (y < 1950 || y >= 2050) {
		s[i++] = (char)('0' + y / 1000);
		s[i++] = (char)('0' + y / 100 % 10);
	}
	s[i++] = (char)('0' + y / 10 % 10);
	s[i++] = (char)('0' + y % 10);
#define TWO(v) do { s[i++] = (char)('0' + (v) / 10); \
	s[i++] = (char)('0' + (v) % 10); } while (0)
	TWO(m);
	TWO(dd);
	TWO((unsigned)(secs / 3600));
	TWO((unsigned)(secs / 60 % 60));
	TWO((unsigned)(secs % 60));
#undef TWO
	s[i++] = 'Z';
	der_prim(d, i == 13 ? 0x17 : 0x18, s, (size_t)i);
}

/* Name ::= SEQUENCE OF RDN: one CN (UTF8String), or none. */
static void
der_name(struct der *d, const char *cn)
{
	der_open(d, 0x30);
	if (cn != NULL) {
		der_open(d, 0x31);
		der_open(d, 0x30);
		der_raw(d, oid_cn, sizeof(oid_cn));
		der_prim(d, 0x0c, cn, strlen(cn));
		der_close(d);
		der_close(d);
	}
	der_close(d);
}

/* Opens an Extension up to the inside of its extnValue. */
static void
ext_open(struct der *d, const unsigned char *oid, size_t oidlen, int crit)
{
	static const unsigned char critical[] = { 0x01, 0x01, 0xff };

	der_open(d, 0x30);
	der_raw(d, oid, oidlen);
	if (crit)
		der_raw(d, critical, sizeof(critical));
	der_open(d, 0x04);
}

static void
ext_close(struct der *d)
{
	der_close(d);
	der_close(d);
}

/* keyUsage bits, named by their numbers in RFC 5280 4.2.1.3 */
#define KU_DIGITAL_SIGNATURE	0x80
#define KU_KEY_ENCIPHERMENT	0x20
#define KU_KEY_CERT_SIGN	0x04
#define KU_CRL_SIGN		0x02

static void
ext_key_usage(struct der *d, unsigned char bits)
{
	unsigned char unused = 0;

	while (unused < 7 && !(bits & (1u << unused)))
		unused++;
	ext_open(d, oid_ku, sizeof(oid_ku), 1);
	der_open(d, 0x03);
	der_byte(d, unused);
	der_byte(d, bits);
	der_close(d);
	ext_close(d);
}

static void
der_extensions(struct der *d, const struct x509_tbs *t, const char *cn,
    const unsigned char skid[X509_KEYID_LEN])
{
	unsigned char ip[16];
	size_t iplen;
	int kind;

	der_open(d, 0xa3);
	der_open(d, 0x30);

	ext_open(d, oid_basic, sizeof(oid_basic), 1);
	der_open(d, 0x30);
	if (t->ca)
		der_prim(d, 0x01, "\xff", 1);
	der_close(d);
	ext_close(d);

	if (t->ca)
		ext_key_usage(d, KU_KEY_CERT_SIGN | KU_CRL_SIGN);
	else
		ext_key_usage(d, KU_DIGITAL_SIGNATURE |
		    (t->key_encipherment ? KU_KEY_ENCIPHERMENT : 0));

	if (!t->ca) {
		ext_open(d, oid_eku, sizeof(oid_eku), 0);
		der_raw(d, eku_server, sizeof(eku_server));
		ext_close(d);
	}

	if (t->host != NULL) {
		if ((kind = x509_host_kind(t->host, ip, &iplen)) == -1)
			d->bad = 1;
		/* critical when it names the subject alone (RFC 5280
		 * 4.2.1.6) */
		ext_open(d, oid_san, sizeof(oid_san), cn == NULL);
		der_open(d, 0x30);
		if (kind == 1)
			der_prim(d, 0x87, ip, iplen);
		else
			der_prim(d, 0x82, t->host, strlen(t->host));
		der_close(d);
		ext_close(d);
	}

	ext_open(d, oid_ski, sizeof(oid_ski), 0);
	der_prim(d, 0x04, skid, X509_KEYID_LEN);
	ext_close(d);

	ext_open(d, oid_aki, sizeof(oid_aki), 0);
	der_open(d, 0x30);
	if (t->issuer_keyid != NULL)
		der_prim(d, 0x80, t->issuer_keyid, t->issuer_keyid_len);
	else
		der_prim(d, 0x80, skid, X509_KEYID_LEN);
	der_close(d);
	ext_close(d);

	der_close(d);
	der_close(d);
}

/* ------------------------------------------------------------- encoders */

long
x509_spki_ec(int curve, const unsigned char *q, size_t qlen,
    unsigned char *out, size_t size)
{
	struct der d;

	der_init(&d, out, size);
	der_open(&d, 0x30);
	der_open(&d, 0x30);
	der_raw(&d, oid_ec_pubkey, sizeof(oid_ec_pubkey));
	switch (curve) {
	case X509_CURVE_P256:
		der_raw(&d, oid_p256, sizeof(oid_p256));
		break;
	case X509_CURVE_P384:
		der_raw(&d, oid_p384, sizeof(oid_p384));
		break;
	case X509_CURVE_P521:
		der_raw(&d, oid_p521, sizeof(oid_p521));
		break;
	default:
		return -1;
	}
	der_close(&d);
	der_open(&d, 0x03);
	der_byte(&d, 0);
	der_raw(&d, q, qlen);
	der_close(&d);
	der_close(&d);
	return der_end(&d);
}

long
x509_spki_rsa(const unsigned char *n, size_t nlen, const unsigned char *e,
    size_t elen, unsigned char *out, size_t size)
{
	struct der d;

	der_init(&d, out, size);
	der_open(&d, 0x30);
	der_raw(&d, alg_rsa, sizeof(alg_rsa));
	der_open(&d, 0x03);
	der_byte(&d, 0);
	der_open(&d, 0x30);
	der_uint(&d, n, nlen);
	der_uint(&d, e, elen);
	der_close(&d);
	der_close(&d);
	der_close(&d);
	return der_end(&d);
}

long
x509_tbs_encode(const struct x509_tbs *t, unsigned char *out, size_t size)
{
	static const unsigned char v3[] = { 0xa0, 0x03, 0x02, 0x01, 0x02 };
	unsigned char skid[X509_KEYID_LEN];
	const char *cn = t->cn;
	struct der d;
	size_t i;

	if (t->serial_len == 0 || t->serial_len > 20 || t->spki == NULL ||
	    x509_key_id(t->spki, t->spki_len, skid) == -1)
		return -1;
	for (i = 0; i < t->serial_len && t->serial[i] == 0; i++)
		;
	if (i == t->serial_len)
		return -1;	/* a serial must be positive */
	if (cn != NULL && strlen(cn) > X509_CN_MAX)
		cn = NULL;	/* ub-common-name: the SAN alone names it */
	der_init(&d, out, size);
	der_open(&d, 0x30);
	der_raw(&d, v3, sizeof(v3));
	/* the top bit cleared keeps it positive in at most 20 octets */
	der_uint(&d, t->serial, t->serial_len);
	der_alg(&d, t->sig);
	if (t->issuer != NULL)
		der_raw(&d, t->issuer, t->issuer_len);
	else
		der_name(&d, cn);
	der_open(&d, 0x30);
	der_time(&d, t->not_before);
	der_time(&d, t->not_after);
	der_close(&d);
	der_name(&d, cn);
	der_raw(&d, t->spki, t->spki_len);
	der_extensions(&d, t, cn, skid);
	der_close(&d);
	return der_end(&d);
}

long
x509_cert_encode(const unsigned char *tbs, size_t tbslen, enum x509_sig sig,
    const unsigned char *s, size_t slen, unsigned char *out, size_t size)
{
	struct der d;

	der_init(&d, out, size);
	der_open(&d, 0x30);
	der_raw(&d, tbs, tbslen);
	der_alg(&d, sig);
	der_open(&d, 0x03);
	der_byte(&d, 0);
	der_raw(&d, s, slen);
	der_close(&d);
	der_close(&d);
	return der_end(&d);
}

int
x509_host_kind(const char *host, unsigned char ip[16], size_t *iplen)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host), label = 0, i;

	if (n == 0 || n > X509_HOST_MAX)
		return -1;
	if (inet_pton(AF_INET, host, ip) == 1) {
		*iplen = 4;
		return 1;
	}
	if (host[0] == '[' && n >= 2 && host[n - 1] == ']' &&
	    n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
	} else if (n < sizeof(buf))
		memcpy(buf, host, n + 1);
	else
		buf[0] = '\0';
	if (strchr(buf, ':') != NULL && inet_pton(AF_INET6, buf, ip) == 1) {
		*iplen = 16;
		return 1;
	}
	/* letters, digits, '-' and '_' in labels of 1-63; "*." first */
	i = host[0] == '*' && host[1] == '.' ? 2 : 0;
	if (i == 2 && host[2] == '\0')
		return -1;
	for (; i <= n; i++) {
		unsigned char c = (unsigned char)host[i];

		if (c == '.' || c == '\0') {
			if (label == 0 || label > 63 || host[i - 1] == '-')
				return -1;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' ||
		    (c == '-' && label > 0))
			label++;
		else
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- reading */

/* One TLV at *p (left bytes): DER lengths up to three octets, single
 * byte tags. 0, or -1 when it does not fit. */
struct tlv {
	unsigned	 tag;
	const unsigned char *v;		/* contents */
	size_t		 len;
	const unsigned char *start;	/* the whole TLV */
	size_t		 whole;
};

static int
tlv_next(const unsigned char **p, size_t *left, struct tlv *t)
{
	const unsigned char *q = *p;
	size_t n, k, i, hdr = 2;

	if (*left < 2 || (q[0] & 0x1f) == 0x1f)
		return -1;
	t->tag = q[0];
	n = q[1];
	if (n & 0x80) {
		k = n & 0x7f;
		if (k == 0 || k > 3 || *left - 2 < k)
			return -1;
		for (n = 0, i = 0; i < k; i++)
			n = n << 8 | q[2 + i];
		hdr += k;
	}
	if (*left - hdr < n)
		return -1;
	t->start = q;
	t->whole = hdr + n;
	t->v = q + hdr;
	t->len = n;
	*p += hdr + n;
	*left -= hdr + n;
	return 0;
}

static int
tlv_want(const unsigned char **p, size_t *left, unsigned tag, struct tlv *t)
{
	return tlv_next(p, left, t) == -1 || t->tag != tag ? -1 : 0;
}

/* The subjectPublicKey bits of a SubjectPublicKeyInfo's contents. */
static int
spki_bits(const struct tlv *spki, const unsigned char **bits, size_t *len)
{
	const unsigned char *p = spki->v;
	size_t left = spki->len;
	struct tlv t;

	if (tlv_want(&p, &left, 0x30, &t) == -1 ||
	    tlv_want(&p, &left, 0x03, &t) == -1 || t.len < 2 || t.v[0] != 0)
		return -1;
	*bits = t.v + 1;
	*len = t.len - 1;
	return 0;
}

int
x509_key_id(const unsigned char *spki, size_t len,
    unsigned char out[X509_KEYID_LEN])
{
	unsigned char h[32];
	const unsigned char *bits;
	size_t n;
	struct tlv t;

	if (tlv_want(&spki, &len, 0x30, &t) == -1 ||
	    spki_bits(&t, &bits, &n) == -1)
		return -1;
	sha256(bits, n, h);	/* RFC 7093 section 2, method 1 */
	memcpy(out, h, X509_KEYID_LEN);
	return 0;
}

/* The subjectKeyIdentifier and subjectAltName in the extensions [3],
 * if any. */
static int
find_exts(const struct tlv *exts, struct x509_info *info)
{
	static const unsigned char ski[] = { 0x55, 0x1d, 0x0e };
	static const unsigned char san[] = { 0x55, 0x1d, 0x11 };
	const unsigned char *p = exts->v, *q, *e;
	size_t left = exts->len, ql, el;
	struct tlv seq, ext, oid, v, id;

	if (tlv_want(&p, &left, 0x30, &seq) == -1 || left != 0)
		return -1;
	q = seq.v;
	ql = seq.len;
	while (ql > 0) {
		if (tlv_want(&q, &ql, 0x30, &ext) == -1)
			return -1;
		e = ext.v;
		el = ext.len;
		if (tlv_want(&e, &el, 0x06, &oid) == -1 ||
		    tlv_next(&e, &el, &v) == -1 ||
		    (v.tag == 0x01 && tlv_next(&e, &el, &v) == -1) ||
		    v.tag != 0x04)
			return -1;
		if (oid.len == sizeof(ski) && memcmp(oid.v, ski,
		    sizeof(ski)) == 0) {
			e = v.v;
			el = v.len;
			if (tlv_want(&e, &el, 0x04, &id) == -1 || id.len == 0 ||
			    id.len > sizeof(info->ski))
				return -1;
			memcpy(info->ski, id.v, id.len);
			info->ski_len = id.len;
		} else if (oid.len == sizeof(san) && memcmp(oid.v, san,
		    sizeof(san)) == 0) {
			e = v.v;
			el = v.len;
			if (tlv_want(&e, &el, 0x30, &id) == -1 || el != 0)
				return -1;
			info->san = id.v;
			info->san_len = id.len;
		}
	}
	return 0;
}

int
x509_san_has(const struct x509_info *info, const char *host)
{
	const unsigned char *p = info->san;
	size_t left = info->san_len, n = strlen(host), iplen = 0;
	unsigned char ip[16];
	struct tlv t;
	int kind = x509_host_kind(host, ip, &iplen);

	if (kind == -1)
		return 0;
	while (left > 0 && tlv_next(&p, &left, &t) == 0) {
		if (kind == 0 && t.tag == 0x82 && t.len == n &&
		    strncaseeq((const char *)t.v, n, host))
			return 1;
		if (kind == 1 && t.tag == 0x87 && t.len == iplen &&
		    memcmp(t.v, ip, iplen) == 0)
			return 1;
	}
	return 0;
}

int
x509_parse(const unsigned char *der, size_t len, struct x509_info *info)
{
	const unsigned char *p, *bits;
	size_t left, nbits;
	struct tlv cert, tbs, t;

	memset(info, 0, sizeof(*info));
	if (tlv_want(&der, &len, 0x30, &cert) == -1)
		return -1;
	p = cert.v;
	left = cert.len;
	if (tlv_want(&p, &left, 0x30, &tbs) == -1)
		return -1;
	p = tbs.v;
	left = tbs.len;
	if (tlv_next(&p, &left, &t) == -1 ||
	    (t.tag == 0xa0 && tlv_next(&p, &left, &t) == -1) ||
	    t.tag != 0x02 ||				/* serialNumber */
	    tlv_want(&p, &left, 0x30, &t) == -1 ||	/* signature */
	    tlv_want(&p, &left, 0x30, &t) == -1 ||	/* issuer */
	    tlv_want(&p, &left, 0x30, &t) == -1 ||	/* validity */
	    tlv_want(&p, &left, 0x30, &t) == -1)	/* subject */
		return -1;
	info->subject = t.start;
	info->subject_len = t.whole;
	if (tlv_want(&p, &left, 0x30, &t) == -1 ||
	    spki_bits(&t, &bits, &nbits) == -1)
		return -1;
	info->spki = t.start;
	info->spki_len = t.whole;
	while (left > 0) {	/* issuerUniqueID, subjectUniqueID, [3] */
		if (tlv_next(&p, &left, &t) == -1)
			return -1;
		if (t.tag == 0xa3 && find_exts(&t, info) == -1)
			return -1;
	}
	return 0;
}
