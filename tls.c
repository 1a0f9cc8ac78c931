/*
 * tls.c: TLS, the only file that includes <bearssl.h>. Loads the
 * proxy's certificate chain and key (in the master, once), and puts a
 * BearSSL server engine on a client endpoint, driven from the worker's
 * poll loop through the engine's four buffers (sendrec, recvrec,
 * sendapp, recvapp) and never through br_sslio, which blocks.
 *
 * One rule keeps memory and backpressure as they are for plain sockets:
 * the engine holds at most one record each way. Plaintext is taken from
 * the caller only while the engine can make a record of it (SENDAPP,
 * which BearSSL never offers while a record still waits to go out), and
 * records are read from the socket only while the engine asks for one
 * (RECVREC, which it stops asking while decrypted bytes wait for room in
 * ep->in).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxy.h"
#include "tls_config.h"

#ifndef HAVE_BEARSSL

int
tls_available(void)
{
	return 0;
}

struct tls_server *
tls_server_load(const char *cert_file, const char *key_file, char *why,
    size_t whysz, int *bad_key)
{
	(void)cert_file; (void)key_file;
	*bad_key = 0;
	snprintf(why, whysz, "built without TLS");
	return NULL;
}

void
tls_server_free(struct tls_server *s)
{
	(void)s;
}

struct tls *
tls_server_new(const struct tls_server *s)
{
	(void)s;
	return NULL;
}

/* No engine is ever made, so none of these is reached. */
int
tls_preload(struct tls *t, const void *data, size_t len)
{
	(void)t; (void)data; (void)len;
	return -1;
}

ssize_t
tls_read(struct endpoint *ep)
{
	(void)ep;
	errno = EINVAL;
	return -1;
}

ssize_t
tls_write(struct endpoint *ep, struct buf *b, size_t n)
{
	(void)ep; (void)b; (void)n;
	errno = EINVAL;
	return -1;
}

void
tls_shutdown(struct endpoint *ep)
{
	(void)ep;
}

void
tls_close(struct endpoint *ep)
{
	ep->tls = NULL;
}

short
tls_events(const struct endpoint *ep, short want)
{
	(void)ep;
	return want;
}

size_t
tls_fill(struct endpoint *ep)
{
	(void)ep;
	return 0;
}

int
tls_pending(const struct tls *t)
{
	(void)t;
	return 0;
}

int
tls_handshaking(const struct tls *t)
{
	(void)t;
	return 0;
}

const char *
tls_why(const struct tls *t)
{
	(void)t;
	return "TLS: built without it";
}

enum tls_fault
tls_peer_fault(const struct tls *t)
{
	(void)t;
	return TLS_FAULT_NONE;
}

#else /* HAVE_BEARSSL */

#include <bearssl.h>

#define FILE_MAX	(1 << 20)	/* the largest cert or key file */
#define CHAIN_MAX	16		/* certificates in a chain */

struct tls_server {
	br_x509_certificate chain[CHAIN_MAX];
	size_t		 chain_len;
	int		 key_type;	/* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	br_rsa_private_key rsa;
	br_ec_private_key ec;
	unsigned char	*key_bytes;	/* what rsa or ec point into */
};

struct tls {
	/* a server's or a client's engine: both begin with the engine
	   context, which the shared code below uses (sc.eng) */
	union {
		br_ssl_engine_context eng;
		br_ssl_server_context s;
		br_ssl_client_context c;
	}		 sc;
	int		 sock_eof;	/* the socket read 0 */
	int		 sock_errno;	/* the socket failed: its errno */
	int		 ready;		/* the handshake is done */
	int		 heard;		/* the peer sent a byte */
	char		 why[WHY_MAX];	/* why our side gave up on the peer
					   (the mint policy, the chain
					   guard), or "" */
	unsigned char	*pre;		/* tls_preload's bytes, read before
					   the socket's */
	size_t		 pre_off, pre_len;
	unsigned char	 iobuf[BR_SSL_BUFSIZE_BIDI];
};

/* The fields every engine of ours starts with, before BearSSL's init. */
static void
tls_init(struct tls *t)
{
	t->sock_eof = t->sock_errno = t->ready = t->heard = 0;
	t->why[0] = '\0';
	t->pre = NULL;
	t->pre_off = t->pre_len = 0;
}

/* TLS 1.2, forward secret, AEAD only: for an RSA and for an EC key */
static const uint16_t suites_rsa[] = {
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};
static const uint16_t suites_ec[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
};

int
tls_available(void)
{
	return 1;
}

/* ------------------------------------------------------------ loading */

/* One PEM object: its name and decoded bytes. */
struct pem_obj {
	char		 name[128];	/* as br_pem_decoder keeps it */
	unsigned char	*data;
	size_t		 len;
};

struct pem_list {
	struct pem_obj	*v;
	size_t		 n;
	int		 oom;
};

static void
pem_list_free(struct pem_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].data != NULL)
			memset(l->v[i].data, 0, l->v[i].len);
		free(l->v[i].data);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* br_pem_decoder's sink: appends to the last object. */
static void
pem_append(void *ctx, const void *data, size_t len)
{
	struct pem_list *l = ctx;
	struct pem_obj *o = &l->v[l->n - 1];
	unsigned char *p;

	if (l->oom)
		return;
	if ((p = realloc(o->data, o->len + len)) == NULL) {
		l->oom = 1;
		return;
	}
	memcpy(p + o->len, data, len);
	o->data = p;
	o->len += len;
}

/* Decodes every PEM object in buf; -1 when the PEM is malformed or
 * memory runs out. */
static int
pem_decode(const unsigned char *buf, size_t len, struct pem_list *l)
{
	br_pem_decoder_context pc;
	int inobj = 0, extra_nl = 1;
	struct pem_obj *v;

	br_pem_decoder_init(&pc);
	while (len > 0) {
		size_t n = br_pem_decoder_push(&pc, buf, len);

		buf += n;
		len -= n;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) ==
			    NULL)
				return -1;
			l->v = v;
			memset(&v[l->n], 0, sizeof(v[l->n]));
			snprintf(v[l->n].name, sizeof(v[l->n].name), "%s",
			    br_pem_decoder_name(&pc));
			l->n++;
			br_pem_decoder_setdest(&pc, pem_append, l);
			inobj = 1;
			break;
		case BR_PEM_END_OBJ:
			inobj = 0;
			break;
		case BR_PEM_ERROR:
			return -1;
		}
		/* a file without a final newline ends its last line here */
		if (len == 0 && extra_nl) {
			extra_nl = 0;
			buf = (const unsigned char *)"\n";
			len = 1;
		}
	}
	return inobj || l->oom ? -1 : 0;
}

static int
is_pem(const unsigned char *buf, size_t len)
{
	static const char tag[] = "-----BEGIN ";
	size_t i;

	for (i = 0; i + sizeof(tag) - 1 <= len; i++)
		if (memcmp(buf + i, tag, sizeof(tag) - 1) == 0)
			return 1;
	return 0;
}

static unsigned char *
file_read(const char *path, size_t *len, char *why, size_t whysz)
{
	unsigned char *buf;
	FILE *f;
	size_t n;

	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(why, whysz, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(FILE_MAX)) == NULL) {
		fclose(f);
		snprintf(why, whysz, "%s: out of memory", path);
		return NULL;
	}
	n = fread(buf, 1, FILE_MAX, f);
	if (ferror(f) || n == FILE_MAX) {
		snprintf(why, whysz, "%s: %s", path, ferror(f) ?
		    strerror(errno) : "larger than 1 MiB");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	if (n == 0) {
		snprintf(why, whysz, "%s: the file is empty", path);
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/* The first certificate's public key, copied: what the key must match. */
struct pubkey {
	int		 type;
	unsigned char	 n[1024], e[8], q[160];
	size_t		 nlen, elen, qlen;
	int		 curve;
};

static int
cert_add(struct tls_server *s, const unsigned char *der, size_t len,
    struct pubkey *pk, const char *path, char *why, size_t whysz)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *k;
	unsigned char *copy;

	if (s->chain_len == CHAIN_MAX) {
		snprintf(why, whysz, "%s: more than %d certificates", path,
		    CHAIN_MAX);
		return -1;
	}
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, der, len);
	if ((k = br_x509_decoder_get_pkey(&dc)) == NULL) {
		snprintf(why, whysz, "%s: certificate %zu is malformed "
		    "(BearSSL X.509 error %d)", path, s->chain_len + 1,
		    br_x509_decoder_last_error(&dc));
		return -1;
	}
	if (s->chain_len == 0) {
		pk->type = k->key_type;
		if (k->key_type == BR_KEYTYPE_RSA &&
		    k->key.rsa.nlen <= sizeof(pk->n) &&
		    k->key.rsa.elen <= sizeof(pk->e)) {
			memcpy(pk->n, k->key.rsa.n, k->key.rsa.nlen);
			pk->nlen = k->key.rsa.nlen;
			memcpy(pk->e, k->key.rsa.e, k->key.rsa.elen);
			pk->elen = k->key.rsa.elen;
		} else if (k->key_type == BR_KEYTYPE_EC &&
		    k->key.ec.qlen <= sizeof(pk->q)) {
			memcpy(pk->q, k->key.ec.q, k->key.ec.qlen);
			pk->qlen = k->key.ec.qlen;
			pk->curve = k->key.ec.curve;
		} else {
			snprintf(why, whysz, "%s: the certificate's key is of "
			    "a kind or size not supported", path);
			return -1;
		}
	}
	if ((copy = malloc(len)) == NULL) {
		snprintf(why, whysz, "%s: out of memory", path);
		return -1;
	}
	memcpy(copy, der, len);
	s->chain[s->chain_len].data = copy;
	s->chain[s->chain_len].data_len = len;
	s->chain_len++;
	return 0;
}

static int
chain_load(struct tls_server *s, const char *path, struct pubkey *pk,
    char *why, size_t whysz)
{
	struct pem_list l = { NULL, 0, 0 };
	unsigned char *buf;
	size_t len, i;
	int rc = 0;

	if ((buf = file_read(path, &len, why, whysz)) == NULL)
		return -1;
	if (!is_pem(buf, len))
		rc = cert_add(s, buf, len, pk, path, why, whysz);
	else if (pem_decode(buf, len, &l) == -1) {
		snprintf(why, whysz, "%s: malformed PEM", path);
		rc = -1;
	} else
		for (i = 0; i < l.n && rc == 0; i++)
			if (strcmp(l.v[i].name, "CERTIFICATE") == 0 ||
			    strcmp(l.v[i].name, "X509 CERTIFICATE") == 0)
				rc = cert_add(s, l.v[i].data, l.v[i].len, pk,
				    path, why, whysz);
	if (rc == 0 && s->chain_len == 0) {
		snprintf(why, whysz, "%s: no certificate in it", path);
		rc = -1;
	}
	pem_list_free(&l);
	free(buf);
	return rc;
}

/* Copies the decoded key out of the decoder into s->key_bytes. */
static int
key_keep(struct tls_server *s, const br_skey_decoder_context *kc)
{
	const br_rsa_private_key *r;
	const br_ec_private_key *e;
	unsigned char *p;

	s->key_type = br_skey_decoder_key_type(kc);
	if (s->key_type == BR_KEYTYPE_RSA) {
		r = br_skey_decoder_get_rsa(kc);
		if ((p = malloc(r->plen + r->qlen + r->dplen + r->dqlen +
		    r->iqlen)) == NULL)
			return -1;
		s->key_bytes = p;
		s->rsa.n_bitlen = r->n_bitlen;
#define KEEP(f) do { memcpy(p, r->f, r->f##len); s->rsa.f = p; \
	s->rsa.f##len = r->f##len; p += r->f##len; } while (0)
		KEEP(p);
		KEEP(q);
		KEEP(dp);
		KEEP(dq);
		KEEP(iq);
#undef KEEP
		return 0;
	}
	e = br_skey_decoder_get_ec(kc);
	if ((p = malloc(e->xlen)) == NULL)
		return -1;
	memcpy(p, e->x, e->xlen);
	s->key_bytes = p;
	s->ec.curve = e->curve;
	s->ec.x = p;
	s->ec.xlen = e->xlen;
	return 0;
}

static int
key_decode(struct tls_server *s, const unsigned char *der, size_t len,
    const char *path, char *why, size_t whysz)
{
	br_skey_decoder_context kc;
	int err;

	br_skey_decoder_init(&kc);
	br_skey_decoder_push(&kc, der, len);
	if ((err = br_skey_decoder_last_error(&kc)) != 0) {
		snprintf(why, whysz, "%s: not a private key BearSSL can read "
		    "(RSA or EC; PKCS#1, SEC1 or unencrypted PKCS#8; "
		    "error %d)", path, err);
		return -1;
	}
	if (key_keep(s, &kc) == -1) {
		snprintf(why, whysz, "%s: out of memory", path);
		return -1;
	}
	return 0;
}

static int
key_load(struct tls_server *s, const char *path, char *why, size_t whysz)
{
	struct pem_list l = { NULL, 0, 0 };
	unsigned char *buf;
	size_t len, i;
	int rc = -1;

	if ((buf = file_read(path, &len, why, whysz)) == NULL)
		return -1;
	if (!is_pem(buf, len))
		rc = key_decode(s, buf, len, path, why, whysz);
	else if (pem_decode(buf, len, &l) == -1)
		snprintf(why, whysz, "%s: malformed PEM", path);
	else {
		for (i = 0; i < l.n; i++) {
			const char *n = l.v[i].name;

			if (strcmp(n, "ENCRYPTED PRIVATE KEY") == 0) {
				snprintf(why, whysz, "%s: the key is "
				    "encrypted (not supported: decrypt it "
				    "with openssl pkey)", path);
				break;
			}
			if (strcmp(n, "RSA PRIVATE KEY") == 0 ||
			    strcmp(n, "EC PRIVATE KEY") == 0 ||
			    strcmp(n, "PRIVATE KEY") == 0) {
				rc = key_decode(s, l.v[i].data, l.v[i].len,
				    path, why, whysz);
				break;
			}
		}
		if (i == l.n)
			snprintf(why, whysz, "%s: no private key in it", path);
	}
	pem_list_free(&l);
	memset(buf, 0, len);
	free(buf);
	return rc;
}

/* 1 when s's key is the one whose public half is pk. */
static int
key_matches(const struct tls_server *s, const struct pubkey *pk)
{
	if (s->key_type != pk->type)
		return 0;
	if (s->key_type == BR_KEYTYPE_RSA) {
		/* BearSSL 0.6 cannot recompute e from every key (its
		 * compute_pubexp fails on OpenSSL's): sign with the key,
		 * verify with the certificate's n and e */
		static const unsigned char hash[32] = "proxy: does this key match?";
		unsigned char sig[512], out[32];
		br_rsa_public_key pub;
		size_t slen = (s->rsa.n_bitlen + 7) / 8;

		if (slen > sizeof(sig) || !br_rsa_pkcs1_sign_get_default()(
		    BR_HASH_OID_SHA256, hash, sizeof(hash), &s->rsa, sig))
			return 0;
		pub.n = (unsigned char *)(uintptr_t)pk->n;
		pub.nlen = pk->nlen;
		pub.e = (unsigned char *)(uintptr_t)pk->e;
		pub.elen = pk->elen;
		return br_rsa_pkcs1_vrfy_get_default()(sig, slen,
		    BR_HASH_OID_SHA256, sizeof(out), &pub, out) &&
		    memcmp(out, hash, sizeof(out)) == 0;
	} else {
		unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
		br_ec_public_key pub;
		size_t qlen;

		if (s->ec.curve != pk->curve || (qlen =
		    br_ec_compute_pub(br_ec_get_default(), &pub, q, &s->ec))
		    == 0)
			return 0;
		return qlen == pk->qlen && memcmp(q, pk->q, qlen) == 0;
	}
}

struct tls_server *
tls_server_load(const char *cert_file, const char *key_file, char *why,
    size_t whysz, int *bad_key)
{
	struct tls_server *s;
	struct pubkey pk;

	*bad_key = 0;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	memset(&pk, 0, sizeof(pk));
	if (chain_load(s, cert_file, &pk, why, whysz) == -1)
		goto fail;
	*bad_key = 1;
	if (key_load(s, key_file, why, whysz) == -1)
		goto fail;
	if (!key_matches(s, &pk)) {
		snprintf(why, whysz, "%s: the key does not match the "
		    "certificate in %s", key_file, cert_file);
		goto fail;
	}
	return s;
fail:
	tls_server_free(s);
	return NULL;
}

void
tls_server_free(struct tls_server *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->chain_len; i++)
		free(s->chain[i].data);
	if (s->key_bytes != NULL) {
		memset(s->key_bytes, 0, s->key_type == BR_KEYTYPE_RSA ?
		    s->rsa.plen + s->rsa.qlen + s->rsa.dplen + s->rsa.dqlen +
		    s->rsa.iqlen : s->ec.xlen);
		free(s->key_bytes);
	}
	memset(s, 0, sizeof(*s));
	free(s);
}

/* ------------------------------------------------------------ engines */

/* What every server engine of ours offers: TLS 1.2, ECDHE, SHA-2 (and
 * SHA-1 for the peer's signatures), AES-GCM and ChaCha20-Poly1305; the
 * suites and the key come after. */
static br_ssl_engine_context *
server_engine_init(br_ssl_server_context *sc)
{
	br_ssl_engine_context *eng = &sc->eng;

	br_ssl_server_zero(sc);
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_default_ec(eng);
	br_ssl_engine_set_hash(eng, br_sha1_ID, &br_sha1_vtable);
	br_ssl_engine_set_hash(eng, br_sha224_ID, &br_sha224_vtable);
	br_ssl_engine_set_hash(eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_hash(eng, br_sha384_ID, &br_sha384_vtable);
	br_ssl_engine_set_hash(eng, br_sha512_ID, &br_sha512_vtable);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_default_aes_gcm(eng);
	br_ssl_engine_set_default_chapol(eng);
	return eng;
}

struct tls *
tls_server_new(const struct tls_server *s)
{
	br_ssl_engine_context *eng;
	struct tls *t;

	if ((t = malloc(sizeof(*t))) == NULL)
		return NULL;
	tls_init(t);
	eng = server_engine_init(&t->sc.s);
	if (s->key_type == BR_KEYTYPE_RSA) {
		br_ssl_engine_set_suites(eng, suites_rsa,
		    sizeof(suites_rsa) / sizeof(suites_rsa[0]));
		br_ssl_server_set_single_rsa(&t->sc.s, s->chain, s->chain_len,
		    &s->rsa, BR_KEYTYPE_SIGN, br_rsa_private_get_default(),
		    br_rsa_pkcs1_sign_get_default());
	} else {
		br_ssl_engine_set_suites(eng, suites_ec,
		    sizeof(suites_ec) / sizeof(suites_ec[0]));
		br_ssl_server_set_single_ec(&t->sc.s, s->chain, s->chain_len,
		    &s->ec, BR_KEYTYPE_SIGN, BR_KEYTYPE_EC, br_ec_get_default(),
		    br_ecdsa_sign_asn1_get_default());
	}
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);
	br_ssl_engine_set_buffer(eng, t->iobuf, sizeof(t->iobuf), 1);
	if (!br_ssl_server_reset(&t->sc.s)) {
		free(t);
		return NULL;
	}
	return t;
}

static unsigned
state(const struct tls *t)
{
	return br_ssl_engine_current_state(&t->sc.eng);
}

static int
blocked(void)
{
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Feeds preloaded bytes to the engine as it takes them; 1 if it took
 * some. */
static int
pump_pre(struct tls *t)
{
	br_ssl_engine_context *eng = &t->sc.eng;
	unsigned char *p;
	size_t len, k;

	if (t->pre_off >= t->pre_len ||
	    (p = br_ssl_engine_recvrec_buf(eng, &len)) == NULL || len == 0)
		return 0;
	k = t->pre_len - t->pre_off < len ? t->pre_len - t->pre_off : len;
	memcpy(p, t->pre + t->pre_off, k);
	t->heard = 1;
	br_ssl_engine_recvrec_ack(eng, k);
	if ((t->pre_off += k) == t->pre_len) {
		free(t->pre);
		t->pre = NULL;
		t->pre_off = t->pre_len = 0;
	}
	return 1;
}

/*
 * Moves records between the engine and the socket until neither can go
 * on: out first, then in when may_read. Preloaded bytes go in first,
 * whatever may_read says: they are the peer's handshake, which no
 * caller's buffer waits for. 0, or -1 when the socket failed
 * (t->sock_errno).
 */
static int
pump(struct tls *t, int fd, int may_read)
{
	br_ssl_engine_context *eng = &t->sc.eng;
	unsigned char *p;
	unsigned st;
	size_t len;
	ssize_t n;

	for (;;) {
		st = state(t);
		if (st & BR_SSL_CLOSED)
			return 0;
		if (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))
			t->ready = 1;
		if (st & BR_SSL_SENDREC) {
			p = br_ssl_engine_sendrec_buf(eng, &len);
			if ((n = write(fd, p, len)) > 0) {
				br_ssl_engine_sendrec_ack(eng, (size_t)n);
				continue;
			}
			if (n == -1 && !blocked()) {
				t->sock_errno = errno;
				return -1;
			}
		}
		if ((st & BR_SSL_RECVREC) && pump_pre(t))
			continue;
		if (may_read && !t->sock_eof && (st & BR_SSL_RECVREC)) {
			p = br_ssl_engine_recvrec_buf(eng, &len);
			if ((n = read(fd, p, len)) > 0) {
				t->heard = 1;
				br_ssl_engine_recvrec_ack(eng, (size_t)n);
				continue;
			}
			if (n == 0)
				t->sock_eof = 1;
			else if (!blocked()) {
				t->sock_errno = errno;
				return -1;
			}
		}
		return 0;
	}
}

/* Decrypted bytes into ep->in, as room allows; how many. */
static size_t
take_app(struct endpoint *ep)
{
	br_ssl_engine_context *eng = &ep->tls->sc.eng;
	size_t room, len, k, moved = 0;
	unsigned char *p;
	char *dst;

	while ((dst = buf_wptr(&ep->in, &room)) != NULL && room > 0 &&
	    (p = br_ssl_engine_recvapp_buf(eng, &len)) != NULL) {
		k = len < room ? len : room;
		memcpy(dst, p, k);
		br_ssl_engine_recvapp_ack(eng, k);
		buf_wack(&ep->in, k);
		moved += k;
	}
	return moved;
}

/* After the plaintext is taken: the end of the stream, when it is. 1 if
 * it found the end (ep->eof set), -1 on an engine failure, else 0. */
static int
check_end(struct endpoint *ep)
{
	struct tls *t = ep->tls;
	unsigned st = state(t);

	if (st & BR_SSL_RECVAPP)
		return 0;	/* plaintext still waits for room */
	if (st & BR_SSL_CLOSED) {
		if (br_ssl_engine_last_error(&t->sc.eng) != BR_ERR_OK) {
			errno = EPROTO;
			return -1;
		}
		ep->eof = 1;	/* close_notify */
		return 1;
	}
	if (t->sock_eof && !t->ready && t->heard) {
		/* a handshake cut short is a failure, not an end of
		 * stream (a connection closed before its first byte, a
		 * port probe, is only that) */
		errno = EPROTO;
		return -1;
	}
	if (t->sock_eof) {
		/* the peer closed without close_notify: the end of what
		 * it sends, as for a plain socket */
		ep->eof = 1;
		return 1;
	}
	return 0;
}

ssize_t
tls_read(struct endpoint *ep)
{
	struct tls *t = ep->tls;
	size_t n;

	if (ep->eof)
		return 0;
	if (pump(t, ep->fd, 1) == -1) {
		errno = t->sock_errno;
		return -1;
	}
	if ((n = take_app(ep)) > 0)
		return (ssize_t)n;
	return check_end(ep) == -1 ? -1 : 0;
}

ssize_t
tls_write(struct endpoint *ep, struct buf *b, size_t n)
{
	struct tls *t = ep->tls;
	br_ssl_engine_context *eng = &t->sc.eng;
	size_t total = 0, len, room, k;
	unsigned char *p;
	const char *src;

	if (pump(t, ep->fd, 0) == -1) {
		errno = t->sock_errno;
		return -1;
	}
	while (total < n && (src = buf_rptr(b, &len)) != NULL && len > 0 &&
	    (p = br_ssl_engine_sendapp_buf(eng, &room)) != NULL) {
		k = n - total;
		k = k < len ? k : len;
		k = k < room ? k : room;
		memcpy(p, src, k);
		br_ssl_engine_sendapp_ack(eng, k);
		buf_rack(b, k);
		total += k;
		if (k == room && pump(t, ep->fd, 0) == -1)
			break;	/* a full record went, or waits */
	}
	if (total > 0) {
		br_ssl_engine_flush(eng, 0);
		(void)pump(t, ep->fd, 0);	/* a failure shows next time */
		return (ssize_t)total;
	}
	if (t->sock_errno != 0) {
		errno = t->sock_errno;
		return -1;
	}
	if (state(t) & BR_SSL_CLOSED) {
		errno = EPIPE;
		return -1;
	}
	return 0;
}

void
tls_shutdown(struct endpoint *ep)
{
	br_ssl_engine_close(&ep->tls->sc.eng);
	(void)pump(ep->tls, ep->fd, 0);
}

void
tls_close(struct endpoint *ep)
{
	struct tls *t = ep->tls;

	if (t == NULL)
		return;
	if (ep->fd != -1 && !ep->shut && t->sock_errno == 0) {
		br_ssl_engine_close(&t->sc.eng);	/* a courtesy */
		(void)pump(t, ep->fd, 0);
	}
	free(t->pre);
	free(t);
	ep->tls = NULL;
}

int
tls_preload(struct tls *t, const void *data, size_t len)
{
	unsigned char *p;

	if (len == 0)
		return 0;
	if ((p = realloc(t->pre, t->pre_len + len)) == NULL)
		return -1;
	memcpy(p + t->pre_len, data, len);
	t->pre = p;
	t->pre_len += len;
	return 0;
}

short
tls_events(const struct endpoint *ep, short want)
{
	const struct tls *t = ep->tls;
	unsigned st = state(t);
	short ev = 0;

	if (st & BR_SSL_CLOSED)
		return want;	/* the next read or write says so */
	if (st & BR_SSL_SENDREC)
		ev |= POLLOUT;
	/* records in: while the caller wants bytes, and always during the
	 * handshake (which no caller's data waits for) */
	if ((st & BR_SSL_RECVREC) && !t->sock_eof && !ep->eof &&
	    ((want & POLLIN) || !t->ready))
		ev |= POLLIN;
	if ((st & BR_SSL_SENDAPP) && (want & POLLOUT))
		ev |= POLLOUT;
	/* decrypted bytes wait and the caller has room now (it made room
	 * outside a poll turn): wake at once, and conn_fill moves them */
	if ((st & BR_SSL_RECVAPP) && (want & POLLIN))
		ev |= POLLOUT;
	/* preloaded bytes wait for the engine: no socket event will say
	 * so, wake at once (ep_fill feeds them) */
	if ((st & BR_SSL_RECVREC) && t->pre_off < t->pre_len)
		ev |= POLLOUT;
	return ev;
}

size_t
tls_fill(struct endpoint *ep)
{
	struct tls *t = ep->tls;
	size_t n;

	if (pump(t, ep->fd, 0) == -1 || ep->eof)
		return 0;	/* the next read or write reports it */
	if ((n = take_app(ep)) > 0)
		return n;
	return check_end(ep) == 1;
}

int
tls_pending(const struct tls *t)
{
	return t->sock_errno == 0 && (state(t) & BR_SSL_SENDREC) != 0;
}

int
tls_handshaking(const struct tls *t)
{
	return !t->ready && !(state(t) & BR_SSL_CLOSED);
}

enum tls_fault
tls_peer_fault(const struct tls *t)
{
	if (!t->ready)	/* whatever ended a handshake it began */
		return t->heard ? TLS_FAULT_HANDSHAKE : TLS_FAULT_NONE;
	return t->sock_errno == 0 && (t->why[0] != '\0' ||
	    br_ssl_engine_last_error(&t->sc.eng) != BR_ERR_OK) ?
	    TLS_FAULT_RECORD : TLS_FAULT_NONE;
}

/* The name of a TLS alert (RFC 5246 7.2), or NULL. */
static const char *
alert_name(int alert)
{
	static const struct {
		int		 alert;
		const char	*name;
	} names[] = {
		{ 0, "close_notify" }, { 10, "unexpected_message" },
		{ 20, "bad_record_mac" }, { 22, "record_overflow" },
		{ 40, "handshake_failure" }, { 42, "bad_certificate" },
		{ 43, "unsupported_certificate" },
		{ 44, "certificate_revoked" }, { 45, "certificate_expired" },
		{ 46, "certificate_unknown" }, { 47, "illegal_parameter" },
		{ 48, "unknown_ca" }, { 50, "decode_error" },
		{ 51, "decrypt_error" }, { 70, "protocol_version" },
		{ 71, "insufficient_security" }, { 80, "internal_error" },
		{ 90, "user_canceled" }, { 112, "unrecognized_name" },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].alert == alert)
			return names[i].name;
	return NULL;
}

const char *
tls_why(const struct tls *t)
{
	static const struct {
		int		 err;
		const char	*why;
	} names[] = {
		{ BR_ERR_UNSUPPORTED_VERSION, "not TLS 1.2 (or not TLS)" },
		{ BR_ERR_BAD_VERSION, "not TLS 1.2 (or not TLS)" },
		{ BR_ERR_BAD_LENGTH, "a record of a bad length (not TLS?)" },
		{ BR_ERR_TOO_LARGE, "a record too large" },
		{ BR_ERR_BAD_MAC, "a record failed its MAC" },
		{ BR_ERR_UNKNOWN_TYPE, "a record of an unknown type (not "
		    "TLS?)" },
		{ BR_ERR_BAD_CIPHER_SUITE, "no cipher suite in common" },
		{ BR_ERR_BAD_HANDSHAKE, "a malformed handshake" },
		{ BR_ERR_OVERSIZED_ID, "a malformed handshake (a session ID "
		    "too long)" },
		{ BR_ERR_BAD_FRAGLEN, "a malformed handshake (a bad fragment "
		    "length)" },
		{ BR_ERR_BAD_SNI, "a malformed server name (SNI)" },
		{ BR_ERR_BAD_SECRENEG, "a malformed handshake (secure "
		    "renegotiation)" },
		{ BR_ERR_EXTRA_EXTENSION, "a malformed handshake (an "
		    "extension not asked for)" },
		{ BR_ERR_LIMIT_EXCEEDED, "a handshake over BearSSL's limits" },
		{ BR_ERR_BAD_COMPRESSION, "no compression method in common" },
		{ BR_ERR_BAD_FINISHED, "the handshake's Finished does not "
		    "verify" },
		{ BR_ERR_BAD_CCS, "a malformed ChangeCipherSpec" },
		{ BR_ERR_BAD_ALERT, "a malformed alert" },
		{ BR_ERR_UNEXPECTED, "an unexpected message" },
	};
	static char buf[128];
	int err = br_ssl_engine_last_error(&t->sc.eng), alert;
	const char *name;
	size_t i;

	if (t->why[0] != '\0')
		return t->why;
	if (t->sock_errno != 0)
		return strerror(t->sock_errno);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].why;
	if (err == BR_ERR_OK && t->sock_eof && !t->ready)
		return "the client closed the connection during the handshake";
	if (err >= BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT) {
		alert = err - BR_ERR_RECV_FATAL_ALERT;
		name = alert_name(alert);
		/* what a client says when it does not trust our CA (an
		 * interception CA not imported, most often) */
		snprintf(buf, sizeof(buf), "the client sent alert %d%s%s%s%s",
		    alert, name != NULL ? " " : "", name != NULL ? name : "",
		    alert == 42 || alert == 46 || alert == 48 ?
		    ": it does not trust our certificate" : "",
		    alert == 48 ? " (is the CA imported?)" : "");
	} else if (err >= BR_ERR_SEND_FATAL_ALERT) {
		alert = err - BR_ERR_SEND_FATAL_ALERT;
		name = alert_name(alert);
		snprintf(buf, sizeof(buf), "we sent alert %d%s%s", alert,
		    name != NULL ? " " : "", name != NULL ? name : "");
	} else
		snprintf(buf, sizeof(buf), "TLS error %d", err);
	return buf;
}

#endif /* HAVE_BEARSSL */
/* ------------------------------------------------------------ clients */

/*
 * TLS towards the next hop (issue 13 part 3): trust anchors from a PEM
 * bundle, loaded once in the master, and client engines on server
 * endpoints, driven by the same pump, tls_read and tls_write as the
 * server engines above. BearSSL's minimal X.509 engine checks the chain
 * and the name (and the validity dates, against time(): 0.6 has no time
 * callback); --insecure-upstream puts a class in its place that checks
 * nothing and only takes the server's public key.
 */

#ifndef HAVE_BEARSSL

struct tls_anchors *
tls_anchors_load(const char *path, size_t *skipped, char *why, size_t whysz)
{
	(void)path;
	*skipped = 0;
	snprintf(why, whysz, "built without TLS");
	return NULL;
}

size_t
tls_anchors_count(const struct tls_anchors *a)
{
	(void)a;
	return 0;
}

void
tls_anchors_free(struct tls_anchors *a)
{
	(void)a;
}

struct tls *
tls_client_new(const struct tls_anchors *a, const char *host, int insecure,
    char *why, size_t whysz)
{
	(void)a; (void)host; (void)insecure;
	snprintf(why, whysz, "built without TLS");
	return NULL;
}

int
tls_client_handshake(struct endpoint *ep)
{
	(void)ep;
	return -1;
}

const char *
tls_client_why(const struct tls *t)
{
	(void)t;
	return "built without TLS";
}

#else /* HAVE_BEARSSL */

#include <arpa/inet.h>
#include <stddef.h>

struct tls_anchors {
	br_x509_trust_anchor *v;
	size_t		 n;
};

/* A client engine: the shared struct tls first (what ep->tls points
 * to, and what tls_close frees), then its certificate checker: the
 * guard, which bounds the chain, in front of the minimal engine or of
 * the lax class. */
struct tls_client {
	struct tls	 t;
	const br_x509_class *guard;	/* the guard's vtable */
	const br_x509_class **inner;	/* &xc.vtable or &lax */
	int		 guard_certs;	/* certificates in the chain so far */
	int		 guard_over;	/* a limit was passed: inner is left */
	br_x509_minimal_context xc;	/* verifying */
	const br_x509_class *lax;	/* --insecure-upstream: its vtable */
	br_x509_decoder_context dc;	/* ... and its key reader */
	int		 first;		/* the first certificate comes */
	int		 certs;		/* certificates seen */
};

/* A growing byte string: a DN as br_x509_decoder hands it over. */
struct bytes {
	unsigned char	*p;
	size_t		 len;
	int		 oom;
};

static void
bytes_append(void *ctx, const void *data, size_t len)
{
	struct bytes *b = ctx;
	unsigned char *p;

	if (b->oom)
		return;
	if ((p = realloc(b->p, b->len + len)) == NULL) {
		b->oom = 1;
		return;
	}
	memcpy(p + b->len, data, len);
	b->p = p;
	b->len += len;
}

static unsigned char *
memdup(const void *src, size_t len)
{
	unsigned char *p = malloc(len ? len : 1);

	if (p != NULL)
		memcpy(p, src, len);
	return p;
}

/* One certificate into a trust anchor; 0, 1 when it is not usable
 * (skipped), -1 when memory runs out. */
static int
anchor_add(struct tls_anchors *a, const unsigned char *der, size_t len)
{
	br_x509_decoder_context dc;
	struct bytes dn = { NULL, 0, 0 };
	const br_x509_pkey *k;
	br_x509_trust_anchor *ta, *v;

	br_x509_decoder_init(&dc, bytes_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	if ((k = br_x509_decoder_get_pkey(&dc)) == NULL || dn.oom) {
		free(dn.p);
		return dn.oom ? -1 : 1;
	}
	if ((v = realloc(a->v, (a->n + 1) * sizeof(*v))) == NULL) {
		free(dn.p);
		return -1;
	}
	a->v = v;
	ta = &v[a->n];
	memset(ta, 0, sizeof(*ta));
	ta->dn.data = dn.p;
	ta->dn.len = dn.len;
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = k->key_type;
	if (k->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = memdup(k->key.rsa.n, k->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = k->key.rsa.nlen;
		ta->pkey.key.rsa.e = memdup(k->key.rsa.e, k->key.rsa.elen);
		ta->pkey.key.rsa.elen = k->key.rsa.elen;
		a->n++;
		return ta->pkey.key.rsa.n == NULL || ta->pkey.key.rsa.e ==
		    NULL ? -1 : 0;
	}
	ta->pkey.key.ec.curve = k->key.ec.curve;
	ta->pkey.key.ec.q = memdup(k->key.ec.q, k->key.ec.qlen);
	ta->pkey.key.ec.qlen = k->key.ec.qlen;
	a->n++;
	return ta->pkey.key.ec.q == NULL ? -1 : 0;
}

struct tls_anchors *
tls_anchors_load(const char *path, size_t *skipped, char *why, size_t whysz)
{
	struct pem_list l = { NULL, 0, 0 };
	struct tls_anchors *a;
	unsigned char *buf;
	size_t len, i;
	int r = 0;

	*skipped = 0;
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	if ((buf = file_read(path, &len, why, whysz)) == NULL) {
		free(a);
		return NULL;
	}
	if (!is_pem(buf, len))
		r = anchor_add(a, buf, len);	/* one DER certificate */
	else if (pem_decode(buf, len, &l) == -1) {
		snprintf(why, whysz, "%s: malformed PEM", path);
		r = -1;
	} else
		for (i = 0; i < l.n && r != -1; i++) {
			if (strcmp(l.v[i].name, "CERTIFICATE") != 0 &&
			    strcmp(l.v[i].name, "X509 CERTIFICATE") != 0 &&
			    strcmp(l.v[i].name, "TRUSTED CERTIFICATE") != 0)
				continue;
			if ((r = anchor_add(a, l.v[i].data, l.v[i].len)) == 1)
				(*skipped)++;
		}
	pem_list_free(&l);
	free(buf);
	if (r == -1 && why[0] == '\0')
		snprintf(why, whysz, "%s: out of memory", path);
	if (r != -1 && a->n == 0) {
		snprintf(why, whysz, "%s: no certificate BearSSL can read in "
		    "it", path);
		r = -1;
	}
	if (r == -1) {
		tls_anchors_free(a);
		return NULL;
	}
	return a;
}

size_t
tls_anchors_count(const struct tls_anchors *a)
{
	return a != NULL ? a->n : 0;
}

void
tls_anchors_free(struct tls_anchors *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++) {
		br_x509_trust_anchor *ta = &a->v[i];

		free(ta->dn.data);
		if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
			free(ta->pkey.key.rsa.n);
			free(ta->pkey.key.rsa.e);
		} else
			free(ta->pkey.key.ec.q);
	}
	free(a->v);
	free(a);
}

/* --insecure-upstream's X.509 class: every chain is accepted, and the
 * first certificate's public key is what the handshake uses. */
static struct tls_client *
lax_client(const br_x509_class **ctx)
{
	return (struct tls_client *)(void *)((char *)ctx -
	    offsetof(struct tls_client, lax));
}

static void
lax_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct tls_client *tc = lax_client(ctx);

	(void)server_name;
	br_x509_decoder_init(&tc->dc, NULL, NULL);
	tc->certs = 0;
}

static void
lax_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct tls_client *tc = lax_client(ctx);

	(void)length;
	tc->first = tc->certs++ == 0;
}

static void
lax_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct tls_client *tc = lax_client(ctx);

	if (tc->first)
		br_x509_decoder_push(&tc->dc, buf, len);
}

static void
lax_end_cert(const br_x509_class **ctx)
{
	lax_client(ctx)->first = 0;
}

static unsigned
lax_end_chain(const br_x509_class **ctx)
{
	struct tls_client *tc = lax_client(ctx);

	if (tc->certs == 0)
		return BR_ERR_X509_EMPTY_CHAIN;
	if (br_x509_decoder_get_pkey(&tc->dc) == NULL) {
		int err = br_x509_decoder_last_error(&tc->dc);

		return err != 0 ? (unsigned)err : BR_ERR_X509_TRUNCATED;
	}
	return 0;
}

static const br_x509_pkey *
lax_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct tls_client *tc = lax_client((const br_x509_class **)
	    (uintptr_t)ctx);

	if (usages != NULL)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return br_x509_decoder_get_pkey(&tc->dc);
}

static const br_x509_class lax_vtable = {
	sizeof(struct tls_client),
	lax_start_chain,
	lax_start_cert,
	lax_append,
	lax_end_cert,
	lax_end_chain,
	lax_get_pkey
};

/*
 * The guard: a server's chain of more than TLS_PEER_CHAIN_MAX
 * certificates, or one certificate over TLS_PEER_CERT_MAX bytes, is
 * refused before the checker spends a signature verification on the
 * excess (BearSSL streams the chain, so memory is not the concern; a
 * worker's time is). Everything else goes to the inner checker.
 */
static struct tls_client *
guard_client(const br_x509_class *const *ctx)
{
	return (struct tls_client *)(void *)((char *)(uintptr_t)ctx -
	    offsetof(struct tls_client, guard));
}

static void
guard_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct tls_client *tc = guard_client(ctx);

	tc->guard_certs = 0;
	tc->guard_over = 0;
	(*tc->inner)->start_chain(tc->inner, server_name);
}

static void
guard_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct tls_client *tc = guard_client(ctx);

	if (tc->guard_over)
		return;
	if (++tc->guard_certs > TLS_PEER_CHAIN_MAX) {
		snprintf(tc->t.why, sizeof(tc->t.why), "the server sent a "
		    "chain of more than %d certificates", TLS_PEER_CHAIN_MAX);
		tc->guard_over = 1;
	} else if (length > TLS_PEER_CERT_MAX) {
		snprintf(tc->t.why, sizeof(tc->t.why), "the server sent a "
		    "certificate of %lu bytes (more than %d)",
		    (unsigned long)length, TLS_PEER_CERT_MAX);
		tc->guard_over = 1;
	} else
		(*tc->inner)->start_cert(tc->inner, length);
}

static void
guard_append(const br_x509_class **ctx, const unsigned char *buf,
    size_t len)
{
	struct tls_client *tc = guard_client(ctx);

	if (!tc->guard_over)
		(*tc->inner)->append(tc->inner, buf, len);
}

static void
guard_end_cert(const br_x509_class **ctx)
{
	struct tls_client *tc = guard_client(ctx);

	if (!tc->guard_over)
		(*tc->inner)->end_cert(tc->inner);
}

static unsigned
guard_end_chain(const br_x509_class **ctx)
{
	struct tls_client *tc = guard_client(ctx);

	if (tc->guard_over)
		return BR_ERR_X509_LIMIT_EXCEEDED;
	return (*tc->inner)->end_chain(tc->inner);
}

static const br_x509_pkey *
guard_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct tls_client *tc = guard_client(ctx);

	return (*tc->inner)->get_pkey(
	    (const br_x509_class *const *)tc->inner, usages);
}

static const br_x509_class guard_vtable = {
	sizeof(struct tls_client),
	guard_start_chain,
	guard_start_cert,
	guard_append,
	guard_end_cert,
	guard_end_chain,
	guard_get_pkey
};

/* 1 if host is an IPv4 or IPv6 address literal. */
static int
ip_literal(const char *host)
{
	unsigned char a[16];

	return inet_pton(AF_INET, host, a) == 1 ||
	    inet_pton(AF_INET6, host, a) == 1;
}

/*
 * BearSSL's full client list (br_ssl_client_init_full) offers
 * ChaCha20-Poly1305 first, the faster AEAD on a CPU without AES
 * instructions. With them (AES-NI and PCLMUL, or POWER8) its AES-GCM
 * costs several times less per byte (perf, an intercepted 64 MiB
 * download: the origin's ChaCha20 took 57 % of the worker, the
 * client's AES-GCM 7 %), and servers mostly take the client's order:
 * then the same suites go with AES-GCM first.
 */
static const uint16_t suites_client_aes_first[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	BR_TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDH_RSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA,
	BR_TLS_ECDH_RSA_WITH_AES_256_CBC_SHA,
	BR_TLS_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_RSA_WITH_AES_256_CBC_SHA256,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA,
	BR_TLS_RSA_WITH_AES_256_CBC_SHA,
	BR_TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA,
	BR_TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	BR_TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA,
	BR_TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA,
	BR_TLS_RSA_WITH_3DES_EDE_CBC_SHA,
};

/* 1 when this CPU has the instructions BearSSL's fast AES-GCM uses. */
static int
aes_gcm_fast(void)
{
	return (br_aes_x86ni_ctr_get_vtable() != NULL &&
	    br_ghash_pclmul_get() != 0) ||
	    (br_aes_pwr8_ctr_get_vtable() != NULL && br_ghash_pwr8_get() != 0);
}

struct tls *
tls_client_new(const struct tls_anchors *a, const char *host, int insecure,
    char *why, size_t whysz)
{
	static const char *alpn[] = { "http/1.1" };
	struct tls_client *tc;
	br_ssl_engine_context *eng;
	int ip = ip_literal(host);

	if (!insecure && ip) {
		/* BearSSL matches no iPAddress names: a certificate for an
		 * address cannot be checked */
		snprintf(why, whysz, "a certificate for an IP address cannot "
		    "be verified here; use the host name, or "
		    "--insecure-upstream");
		return NULL;
	}
	if (!insecure && tls_anchors_count(a) == 0) {
		snprintf(why, whysz, "no trust anchors (--ca-bundle) to "
		    "verify the certificate with");
		return NULL;
	}
	if ((tc = malloc(sizeof(*tc))) == NULL) {
		snprintf(why, whysz, "out of memory for a TLS engine");
		return NULL;
	}
	tls_init(&tc->t);
	tc->first = tc->certs = 0;
	br_ssl_client_init_full(&tc->t.sc.c, &tc->xc, insecure ? NULL : a->v,
	    insecure ? 0 : a->n);
	eng = &tc->t.sc.eng;
	/* TLS 1.2 only, as the server engines (BearSSL's full list of
	   suites, for old parents; AES-GCM first where it is fast) */
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	if (aes_gcm_fast())
		br_ssl_engine_set_suites(eng, suites_client_aes_first,
		    sizeof(suites_client_aes_first) /
		    sizeof(suites_client_aes_first[0]));
	tc->lax = &lax_vtable;
	tc->inner = insecure ? &tc->lax : &tc->xc.vtable;
	tc->guard = &guard_vtable;
	br_ssl_engine_set_x509(eng, &tc->guard);
	br_ssl_engine_set_protocol_names(eng, alpn, 1);
	br_ssl_engine_set_buffer(eng, tc->t.iobuf, sizeof(tc->t.iobuf), 1);
	if (!br_ssl_client_reset(&tc->t.sc.c, ip ? NULL : host, 0)) {
		snprintf(why, whysz, "cannot start a TLS engine (%s)",
		    br_ssl_engine_last_error(eng) == BR_ERR_BAD_PARAM ?
		    "a host name too long" : "no entropy");
		free(tc);
		return NULL;
	}
	return &tc->t;
}

int
tls_client_handshake(struct endpoint *ep)
{
	struct tls *t = ep->tls;

	if (pump(t, ep->fd, 1) == -1 || (state(t) & BR_SSL_CLOSED))
		return -1;
	if (t->ready)
		return 1;
	return t->sock_eof ? -1 : 0;
}

const char *
tls_client_why(const struct tls *t)
{
	static const struct {
		int		 err;
		const char	*why;
	} names[] = {
		{ BR_ERR_X509_BAD_SERVER_NAME, "certificate name mismatch" },
		{ BR_ERR_X509_NOT_TRUSTED, "unknown CA (no trust anchor in "
		    "--ca-bundle for the certificate chain)" },
		{ BR_ERR_X509_EXPIRED, "the certificate has expired or is "
		    "not yet valid" },
		{ BR_ERR_X509_TIME_UNKNOWN, "no time to check the "
		    "certificate's dates against" },
		{ BR_ERR_X509_BAD_SIGNATURE, "a certificate signature does "
		    "not verify" },
		{ BR_ERR_X509_DN_MISMATCH, "the certificate chain is not in "
		    "order (issuer and subject do not match)" },
		{ BR_ERR_X509_CRITICAL_EXTENSION, "a certificate has a "
		    "critical extension BearSSL does not know" },
		{ BR_ERR_X509_NOT_CA, "an intermediate certificate is not a "
		    "CA" },
		{ BR_ERR_X509_FORBIDDEN_KEY_USAGE, "the certificate's key "
		    "usage forbids this" },
		{ BR_ERR_X509_WEAK_PUBLIC_KEY, "the certificate's key is too "
		    "weak" },
		{ BR_ERR_X509_EMPTY_CHAIN, "the server sent no certificate" },
		{ BR_ERR_X509_UNSUPPORTED, "the certificate uses an "
		    "algorithm BearSSL does not support" },
		{ BR_ERR_UNSUPPORTED_VERSION, "the server does not speak TLS "
		    "1.2 (or not TLS)" },
		{ BR_ERR_BAD_VERSION, "the server does not speak TLS" },
		{ BR_ERR_BAD_LENGTH, "the server does not speak TLS" },
		{ BR_ERR_TOO_LARGE, "the server does not speak TLS" },
		{ BR_ERR_BAD_CIPHER_SUITE, "no cipher suite in common" },
		{ BR_ERR_BAD_HANDSHAKE, "a malformed handshake" },
		{ BR_ERR_UNEXPECTED, "an unexpected message" },
		{ BR_ERR_RECV_FATAL_ALERT + 70, "the server wants another "
		    "TLS version (only TLS 1.2 is spoken here)" },
		{ BR_ERR_RECV_FATAL_ALERT + 40, "the server refused the "
		    "handshake (no common cipher suite or version?)" },
		{ BR_ERR_RECV_FATAL_ALERT + 112, "the server does not know "
		    "this name (SNI)" },
	};
	static char buf[80];
	int err = br_ssl_engine_last_error(&t->sc.eng);
	size_t i;

	if (t->why[0] != '\0')
		return t->why;
	if (t->sock_errno != 0)
		return strerror(t->sock_errno);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].why;
	if (err == BR_ERR_OK && t->sock_eof)
		return "the server closed the connection during the handshake "
		    "(does it speak TLS?)";
	if (err >= BR_ERR_SEND_FATAL_ALERT)
		snprintf(buf, sizeof(buf), "we sent TLS alert %d",
		    err - BR_ERR_SEND_FATAL_ALERT);
	else if (err >= BR_ERR_RECV_FATAL_ALERT)
		snprintf(buf, sizeof(buf), "the server sent TLS alert %d",
		    err - BR_ERR_RECV_FATAL_ALERT);
	else if (err >= BR_ERR_X509_OK)
		snprintf(buf, sizeof(buf), "the certificate is rejected "
		    "(BearSSL X.509 error %d)", err);
	else
		snprintf(buf, sizeof(buf), "TLS error %d", err);
	return buf;
}

#endif /* HAVE_BEARSSL */

/* ============================================================= minting
 *
 * Keys and certificates the proxy makes itself: --gen-ca, --gen-cert
 * and, later, interception's leaf per host. x509.c writes the DER;
 * this part brings the randomness, the keys, the signatures and the
 * files. Minting is in memory (DER bytes out) so interception can call
 * it per host; only tls_key_save and tls_cert_save touch the disk.
 */

#define MINT_CERT_MAX	8192	/* a minted certificate's DER */
#define MINT_RSA_BITS	2048
#define MINT_SIG_MAX	512	/* RSA-4096 CA */

#ifndef HAVE_BEARSSL

struct tls_key *
tls_key_new(int rsa, char *why, size_t whysz)
{
	(void)rsa;
	snprintf(why, whysz, "built without TLS");
	return NULL;
}

void
tls_key_free(struct tls_key *k)
{
	(void)k;
}

struct tls_key *
tls_key_load(const char *path, char *why, size_t whysz)
{
	(void)path;
	snprintf(why, whysz, "built without TLS");
	return NULL;
}

int
tls_key_save(const struct tls_key *k, const char *path, int force,
    char *why, size_t whysz)
{
	(void)k; (void)path; (void)force;
	snprintf(why, whysz, "built without TLS");
	return -1;
}

struct tls_ca *
tls_ca_load(const char *cert_file, const char *key_file, char *why,
    size_t whysz, int *bad_key)
{
	(void)cert_file; (void)key_file;
	*bad_key = 0;
	snprintf(why, whysz, "built without TLS");
	return NULL;
}

void
tls_ca_free(struct tls_ca *ca)
{
	(void)ca;
}

int
tls_mint_ca(const struct tls_key *k, const char *cn, int64_t now,
    unsigned char **der, size_t *len, char *why, size_t whysz)
{
	(void)k; (void)cn; (void)now; (void)der; (void)len;
	snprintf(why, whysz, "built without TLS");
	return -1;
}

int
tls_mint_leaf(const struct tls_ca *ca, const struct tls_key *k,
    const char *host, int64_t now, unsigned char **der, size_t *len,
    char *why, size_t whysz)
{
	(void)ca; (void)k; (void)host; (void)now; (void)der; (void)len;
	snprintf(why, whysz, "built without TLS");
	return -1;
}

int
tls_cert_save(const unsigned char *der, size_t len, const char *path,
    int force, char *why, size_t whysz)
{
	(void)der; (void)len; (void)path; (void)force;
	snprintf(why, whysz, "built without TLS");
	return -1;
}

#else /* HAVE_BEARSSL */

#include <sys/stat.h>
#include <fcntl.h>
#include <limits.h>

struct tls_key {
	int		 type;		/* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	br_rsa_private_key rsa;
	br_rsa_public_key rsa_pub;
	br_ec_private_key ec;
	br_ec_public_key ec_pub;
	unsigned char	 priv[BR_RSA_KBUF_PRIV_SIZE(MINT_RSA_BITS)];
	unsigned char	 pub[BR_RSA_KBUF_PUB_SIZE(MINT_RSA_BITS)];
};

/* A CA: its certificate and key (a tls_server holds both, checked to
 * match), and what a leaf copies from it. */
struct tls_ca {
	struct tls_server *s;
	struct x509_info info;		/* points into s->chain[0] */
	unsigned char	 keyid[64];	/* the leaves' AKI: the CA's SKI */
	size_t		 keyid_len;
};

/* An HMAC-DRBG seeded by BearSSL's system seeder and by /dev/urandom
 * (either suffices; both when they can). 0 or -1. */
static int
rng_seed(br_hmac_drbg_context *rng)
{
	br_prng_seeder seeder;
	unsigned char b[32];
	size_t got = 0;
	ssize_t n;
	int ok = 0, fd;

	br_hmac_drbg_init(rng, &br_sha256_vtable, NULL, 0);
	if ((seeder = br_prng_seeder_system(NULL)) != NULL &&
	    seeder(&rng->vtable))
		ok = 1;
	if ((fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)) != -1) {
		while (got < sizeof(b) && ((n = read(fd, b + got,
		    sizeof(b) - got)) > 0 || (n == -1 && errno == EINTR)))
			if (n > 0)
				got += (size_t)n;
		close(fd);
		if (got == sizeof(b)) {
			br_hmac_drbg_update(rng, b, sizeof(b));
			ok = 1;
		}
		memset(b, 0, sizeof(b));
	}
	return ok ? 0 : -1;
}

struct tls_key *
tls_key_new(int rsa, char *why, size_t whysz)
{
	br_hmac_drbg_context rng;
	struct tls_key *k;
	int ok;

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	if (rng_seed(&rng) == -1) {
		snprintf(why, whysz, "no source of randomness");
		free(k);
		return NULL;
	}
	if (rsa) {
		k->type = BR_KEYTYPE_RSA;
		ok = br_rsa_keygen_get_default()(&rng.vtable, &k->rsa,
		    k->priv, &k->rsa_pub, k->pub, MINT_RSA_BITS, 65537);
	} else {
		k->type = BR_KEYTYPE_EC;
		ok = br_ec_keygen(&rng.vtable, br_ec_get_default(), &k->ec,
		    k->priv, BR_EC_secp256r1) != 0 &&
		    br_ec_compute_pub(br_ec_get_default(), &k->ec_pub, k->pub,
		    &k->ec) != 0;
	}
	memset(&rng, 0, sizeof(rng));
	if (!ok) {
		snprintf(why, whysz, "%s key generation failed",
		    rsa ? "RSA" : "EC");
		tls_key_free(k);
		return NULL;
	}
	return k;
}

void
tls_key_free(struct tls_key *k)
{
	if (k == NULL)
		return;
	memset(k, 0, sizeof(*k));
	free(k);
}

/* The key's SubjectPublicKeyInfo into out[size]; its length or -1. */
struct tls_key *
tls_key_load(const char *path, char *why, size_t whysz)
{
	struct tls_server *s;
	struct tls_key *k = NULL;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	if (key_load(s, path, why, whysz) == -1)
		goto done;
	if (s->key_type != BR_KEYTYPE_EC || s->ec.xlen > sizeof(k->priv)) {
		snprintf(why, whysz, "%s: not an EC key (the leaves' key must "
		    "be EC, as --gen-ca --key-type ec makes)", path);
		goto done;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		snprintf(why, whysz, "out of memory");
		goto done;
	}
	k->type = BR_KEYTYPE_EC;
	memcpy(k->priv, s->ec.x, s->ec.xlen);
	k->ec.curve = s->ec.curve;
	k->ec.x = k->priv;
	k->ec.xlen = s->ec.xlen;
	if (br_ec_compute_pub(br_ec_get_default(), &k->ec_pub, k->pub,
	    &k->ec) == 0) {
		snprintf(why, whysz, "%s: an EC key on a curve not supported",
		    path);
		tls_key_free(k);
		k = NULL;
	}
done:
	tls_server_free(s);
	return k;
}

static long
key_spki(const struct tls_key *k, unsigned char *out, size_t size)
{
	if (k->type == BR_KEYTYPE_RSA)
		return x509_spki_rsa(k->rsa_pub.n, k->rsa_pub.nlen,
		    k->rsa_pub.e, k->rsa_pub.elen, out, size);
	return x509_spki_ec(k->ec_pub.curve, k->ec_pub.q, k->ec_pub.qlen,
	    out, size);
}

/* How file_write_new writes. */
#define FW_REPLACE	0x1	/* rename over an existing path */
#define FW_CACHE	0x2	/* a cache's file: no fsync (a torn one is
				   found out and made again), and the
				   temporary file of a dead process that had
				   our pid is removed first */

/*
 * Writes data to path through a temporary file beside it (same
 * directory, so rename and link stay on one filesystem; its name has
 * our pid, so processes sharing the directory never write the same
 * one) with mode: renamed over path with FW_REPLACE, else linked to
 * it, which fails when path exists and never replaces it. A reader
 * sees the old file or the whole new one, never a part. 0 or -1 with
 * why.
 */
static int
file_write_new(const char *path, const void *data, size_t len, mode_t mode,
    int how, char *why, size_t whysz)
{
	char tmp[PATH_MAX];
	const char *p = data;
	size_t done = 0;
	ssize_t n;
	int fd, rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		snprintf(why, whysz, "%s: the name is too long", path);
		return -1;
	}
	if (how & FW_CACHE)
		(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode)) == -1) {
		snprintf(why, whysz, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	while (done < len)
		if ((n = write(fd, p + done, len - done)) > 0)
			done += (size_t)n;
		else if (n == -1 && errno != EINTR)
			break;
	if (done < len || fchmod(fd, mode) == -1 ||
	    (!(how & FW_CACHE) && fsync(fd) == -1)) {
		snprintf(why, whysz, "%s: %s", tmp, strerror(errno));
		close(fd);
		goto out;
	}
	if (close(fd) == -1) {
		snprintf(why, whysz, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (how & FW_REPLACE) {
		if (rename(tmp, path) == -1)
			snprintf(why, whysz, "%s: %s", path, strerror(errno));
		else
			rc = 0;
	} else if (link(tmp, path) == -1)
		snprintf(why, whysz, "%s: %s", path, errno == EEXIST ?
		    "exists (--force replaces it)" : strerror(errno));
	else
		rc = 0;
out:
	unlink(tmp);
	return rc;
}

/* PEM of der under banner, written as file_write_new does. */
static int
pem_write(const char *path, const unsigned char *der, size_t len,
    const char *banner, mode_t mode, int how, char *why, size_t whysz)
{
	size_t n = br_pem_encode(NULL, der, len, banner, BR_PEM_LINE64);
	char *pem;
	int rc;

	if ((pem = malloc(n + 1)) == NULL) {
		snprintf(why, whysz, "%s: out of memory", path);
		return -1;
	}
	n = br_pem_encode(pem, der, len, banner, BR_PEM_LINE64);
	rc = file_write_new(path, pem, n, mode, how, why, whysz);
	memset(pem, 0, n);
	free(pem);
	return rc;
}

int
tls_key_save(const struct tls_key *k, const char *path, int force,
    char *why, size_t whysz)
{
	unsigned char der[2048], d[MINT_RSA_BITS / 8];
	size_t n, dlen;
	int rc;

	if (k->type == BR_KEYTYPE_RSA) {
		/* PKCS#8 needs d, which BearSSL's key leaves out */
		dlen = br_rsa_compute_privexp_get_default()(d, &k->rsa, 65537);
		n = dlen == 0 || br_encode_rsa_pkcs8_der(NULL, &k->rsa,
		    &k->rsa_pub, d, dlen) > sizeof(der) ? 0 :
		    br_encode_rsa_pkcs8_der(der, &k->rsa, &k->rsa_pub, d, dlen);
	} else
		n = br_encode_ec_pkcs8_der(NULL, &k->ec, &k->ec_pub) >
		    sizeof(der) ? 0 :
		    br_encode_ec_pkcs8_der(der, &k->ec, &k->ec_pub);
	if (n == 0) {
		snprintf(why, whysz, "%s: the key cannot be encoded", path);
		rc = -1;
	} else
		rc = pem_write(path, der, n, BR_ENCODE_PEM_PKCS8, 0600,
		    force ? FW_REPLACE : 0, why, whysz);
	memset(der, 0, sizeof(der));
	memset(d, 0, sizeof(d));
	return rc;
}

int
tls_cert_save(const unsigned char *der, size_t len, const char *path,
    int force, char *why, size_t whysz)
{
	return pem_write(path, der, len, "CERTIFICATE", 0644,
	    force ? FW_REPLACE : 0, why, whysz);
}

struct tls_ca *
tls_ca_load(const char *cert_file, const char *key_file, char *why,
    size_t whysz, int *bad_key)
{
	br_x509_decoder_context dc;
	const br_x509_certificate *c;
	struct tls_ca *ca;

	if ((ca = calloc(1, sizeof(*ca))) == NULL) {
		*bad_key = 0;
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	if ((ca->s = tls_server_load(cert_file, key_file, why, whysz,
	    bad_key)) == NULL)
		goto fail;
	*bad_key = 0;
	c = &ca->s->chain[0];
	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, c->data, c->data_len);
	if (!br_x509_decoder_isCA(&dc)) {
		snprintf(why, whysz, "%s: not a CA certificate (it lacks "
		    "basicConstraints CA:TRUE)", cert_file);
		goto fail;
	}
	if (x509_parse(c->data, c->data_len, &ca->info) == -1) {
		snprintf(why, whysz, "%s: a certificate this reader cannot "
		    "follow", cert_file);
		goto fail;
	}
	if (ca->info.ski_len > 0) {
		memcpy(ca->keyid, ca->info.ski, ca->info.ski_len);
		ca->keyid_len = ca->info.ski_len;
	} else if (x509_key_id(ca->info.spki, ca->info.spki_len, ca->keyid)
	    == 0)
		ca->keyid_len = X509_KEYID_LEN;
	else {
		snprintf(why, whysz, "%s: a public key this reader cannot "
		    "follow", cert_file);
		goto fail;
	}
	return ca;
fail:
	tls_ca_free(ca);
	return NULL;
}

void
tls_ca_free(struct tls_ca *ca)
{
	if (ca == NULL)
		return;
	tls_server_free(ca->s);
	free(ca);
}

/* The SHA-256 signature of tbs by an RSA or EC key into sig
 * (MINT_SIG_MAX bytes); its length, 0 on failure. */
static size_t
sign_tbs(int type, const br_rsa_private_key *rsa, const br_ec_private_key *ec,
    const unsigned char *tbs, size_t len, unsigned char *sig)
{
	unsigned char h[32];
	size_t slen;

	sha256(tbs, len, h);
	if (type == BR_KEYTYPE_RSA) {
		slen = (rsa->n_bitlen + 7) / 8;
		return slen <= MINT_SIG_MAX && br_rsa_pkcs1_sign_get_default()(
		    BR_HASH_OID_SHA256, h, sizeof(h), rsa, sig) ? slen : 0;
	}
	return br_ecdsa_sign_asn1_get_default()(br_ec_get_default(),
	    &br_sha256_vtable, h, ec, sig);
}

/* Encodes t, signs it with the given key, and hands the Certificate's
 * DER to the caller (malloc'd). 0 or -1 with why. */
static int
mint(struct x509_tbs *t, int type, const br_rsa_private_key *rsa,
    const br_ec_private_key *ec, unsigned char **der, size_t *len,
    char *why, size_t whysz)
{
	unsigned char serial[16], sig[MINT_SIG_MAX], *tbs, *out = NULL;
	br_hmac_drbg_context rng;
	size_t slen;
	long n, m;

	if (rng_seed(&rng) == -1) {
		snprintf(why, whysz, "no source of randomness");
		return -1;
	}
	/* 128 random bits; x509.c keeps them positive */
	br_hmac_drbg_generate(&rng, serial, sizeof(serial));
	memset(&rng, 0, sizeof(rng));
	serial[sizeof(serial) - 1] |= 1;	/* never zero */
	t->serial = serial;
	t->serial_len = sizeof(serial);
	t->sig = type == BR_KEYTYPE_RSA ? X509_SIG_RSA_SHA256 :
	    X509_SIG_ECDSA_SHA256;
	if ((tbs = malloc(2 * MINT_CERT_MAX)) == NULL) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	if ((n = x509_tbs_encode(t, tbs, MINT_CERT_MAX)) == -1)
		snprintf(why, whysz, "the certificate cannot be encoded");
	else if ((slen = sign_tbs(type, rsa, ec, tbs, (size_t)n, sig)) == 0)
		snprintf(why, whysz, "signing the certificate failed");
	else if ((m = x509_cert_encode(tbs, (size_t)n, t->sig, sig, slen,
	    tbs + MINT_CERT_MAX, MINT_CERT_MAX)) == -1)
		snprintf(why, whysz, "the certificate cannot be encoded");
	else if ((out = malloc((size_t)m)) == NULL)
		snprintf(why, whysz, "out of memory");
	else {
		memcpy(out, tbs + MINT_CERT_MAX, (size_t)m);
		*der = out;
		*len = (size_t)m;
	}
	free(tbs);
	return out == NULL ? -1 : 0;
}

int
tls_mint_ca(const struct tls_key *k, const char *cn, int64_t now,
    unsigned char **der, size_t *len, char *why, size_t whysz)
{
	unsigned char spki[600];
	struct x509_tbs t;
	long n;

	memset(&t, 0, sizeof(t));
	if ((n = key_spki(k, spki, sizeof(spki))) == -1) {
		snprintf(why, whysz, "the key cannot be encoded");
		return -1;
	}
	t.spki = spki;
	t.spki_len = (size_t)n;
	t.cn = cn;
	t.ca = 1;
	t.not_before = now - TLS_MINT_BACKDATE;
	t.not_after = t.not_before + TLS_MINT_CA_DAYS * (int64_t)86400;
	return mint(&t, k->type, &k->rsa, &k->ec, der, len, why, whysz);
}

int
tls_mint_leaf(const struct tls_ca *ca, const struct tls_key *k,
    const char *host, int64_t now, unsigned char **der, size_t *len,
    char *why, size_t whysz)
{
	unsigned char spki[600], ip[16];
	struct x509_tbs t;
	size_t iplen;
	long n;

	memset(&t, 0, sizeof(t));
	if (x509_host_kind(host, ip, &iplen) == -1) {
		snprintf(why, whysz, "'%s' is not a host name or IP address",
		    host);
		return -1;
	}
	if ((n = key_spki(k, spki, sizeof(spki))) == -1) {
		snprintf(why, whysz, "the key cannot be encoded");
		return -1;
	}
	t.spki = spki;
	t.spki_len = (size_t)n;
	t.cn = host;
	t.host = host;
	t.key_encipherment = k->type == BR_KEYTYPE_RSA;
	t.not_before = now - TLS_MINT_BACKDATE;
	t.not_after = t.not_before + TLS_MINT_LEAF_DAYS * (int64_t)86400;
	if (ca == NULL)
		return mint(&t, k->type, &k->rsa, &k->ec, der, len, why,
		    whysz);
	t.issuer = ca->info.subject;
	t.issuer_len = ca->info.subject_len;
	t.issuer_keyid = ca->keyid;
	t.issuer_keyid_len = ca->keyid_len;
	return mint(&t, ca->s->key_type, &ca->s->rsa, &ca->s->ec, der, len,
	    why, whysz);
}

#endif /* HAVE_BEARSSL */

/* ------------------------------------------------------- interception
 *
 * The server engine an intercepted CONNECT gets: its certificate is
 * minted at the handshake for the name the ClientHello asks for (SNI,
 * else the CONNECT host), signed by --ca-cert-file, with the one key
 * all leaves share (struct tls_mint, read-only in the config). Minted
 * leaves are kept in a small LRU by host, one per worker (struct
 * tls_certs, in struct worker), and as files in --ca-cert-dir, which
 * the workers and other instances share: a worker that does not have
 * a host's leaf in memory looks there once, and takes the file only
 * when it is still right (the current CA's, the current key's, for
 * that name, not about to expire), else mints and replaces it.
 */

#define MINT_CACHE	256	/* leaves kept, per worker */
#define LEAF_FILE_MAX	(64 * 1024)	/* a leaf's file, at most */
#define LEAF_SPARE_S	(30 * 86400)	/* re-minted this long before its
					   end */
#define LEAF_NAME_MAX	200	/* the host's part of a file name */

#ifndef HAVE_BEARSSL

struct tls_mint *
tls_mint_new(struct tls_ca *ca, struct tls_key *key, char *why,
    size_t whysz)
{
	(void)ca; (void)key;
	snprintf(why, whysz, "built without TLS");
	return NULL;
}

void
tls_mint_free(struct tls_mint *m)
{
	(void)m;
}

int
tls_mint_dir(struct tls_mint *m, const char *dir, char *why, size_t whysz)
{
	(void)m; (void)dir;
	snprintf(why, whysz, "built without TLS");
	return -1;
}

struct tls_certs *
tls_certs_new(void)
{
	return NULL;
}

void
tls_certs_free(struct tls_certs *cc)
{
	(void)cc;
}

struct tls *
tls_mitm_new(const struct tls_mint *m, struct tls_certs *cc,
    const char *host)
{
	(void)m; (void)cc; (void)host;
	return NULL;
}

#else /* HAVE_BEARSSL */

#include <stddef.h>
#include <time.h>

struct mint_entry {
	char		 host[X509_HOST_MAX + 1];
	unsigned char	*der;
	size_t		 len;
	uint64_t	 used;		/* m->clock at the last use; 0: free */
};

struct tls_mint {
	struct tls_ca	*ca;
	struct tls_key	*key;		/* every leaf's (EC) */
	char		*dir;		/* --ca-cert-dir; NULL: memory only */
	struct tls_anchors *ca_anchor;	/* the CA: a leaf from a file must
					   chain to it */
	unsigned char	 spki[160];	/* the leaves' public key: a leaf
					   from a file must carry it */
	size_t		 spki_len;
};

struct tls_certs {
	uint64_t	 clock;
	int		 dir_off;	/* writing there failed: memory only
					   from then on (said once) */
	struct mint_entry e[MINT_CACHE];
};

/* A server engine whose policy mints; struct tls first, so tls_close
 * frees it whole. */
struct tls_mitm {
	struct tls	 t;
	const br_ssl_server_policy_class *vtable;	/* ours */
	br_ssl_server_policy_ec_context *base;	/* the engine's own, which
					   signs with the leaves' key */
	const struct tls_mint *m;
	struct tls_certs *cc;
	br_x509_certificate chain[2];	/* the leaf, the CA */
	unsigned char	 leaf[MINT_CERT_MAX];
	char		 host[X509_HOST_MAX + 1];	/* without SNI */
};

struct tls_mint *
tls_mint_new(struct tls_ca *ca, struct tls_key *key, char *why,
    size_t whysz)
{
	struct tls_mint *m;

	if (key->type != BR_KEYTYPE_EC) {
		snprintf(why, whysz, "the leaves' key must be an EC key");
		return NULL;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	m->ca = ca;
	m->key = key;
	return m;
}

void
tls_mint_free(struct tls_mint *m)
{
	if (m == NULL)
		return;
	tls_ca_free(m->ca);
	tls_key_free(m->key);
	free(m->dir);
	tls_anchors_free(m->ca_anchor);
	free(m);
}

/* Makes dir and the directories above it that are missing, 0700 (as
 * ssh makes ~/.ssh); 0 or -1 with why. */
static int
dir_make(const char *dir, char *why, size_t whysz)
{
	char p[PATH_MAX];
	size_t i;

	if (strnbuf(p, sizeof(p), dir, strlen(dir)) == -1) {
		snprintf(why, whysz, "%s: the name is too long", dir);
		return -1;
	}
	for (i = 1; p[i] != '\0'; i++)
		if (p[i] == '/') {
			p[i] = '\0';
			(void)mkdir(p, 0700);	/* the last one says */
			p[i] = '/';
		}
	if (mkdir(p, 0700) == -1 && errno != EEXIST) {
		snprintf(why, whysz, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int
tls_mint_dir(struct tls_mint *m, const char *dir, char *why, size_t whysz)
{
	const br_x509_certificate *c = &m->ca->s->chain[0];
	struct stat st;
	long n;

	if (dir_make(dir, why, whysz) == -1)
		return -1;
	if (stat(dir, &st) == -1) {
		snprintf(why, whysz, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whysz, "%s: not a directory", dir);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(why, whysz, "%s: accessible to group or others (mode "
		    "%04o), so others could read or plant certificates there; "
		    "chmod 700 it", dir, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	if (access(dir, W_OK | X_OK) == -1) {
		snprintf(why, whysz, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if ((n = key_spki(m->key, m->spki, sizeof(m->spki))) == -1 ||
	    (m->ca_anchor = calloc(1, sizeof(*m->ca_anchor))) == NULL ||
	    anchor_add(m->ca_anchor, c->data, c->data_len) != 0 ||
	    (m->dir = strdup(dir)) == NULL) {
		snprintf(why, whysz, "out of memory");
		tls_anchors_free(m->ca_anchor);
		m->ca_anchor = NULL;
		return -1;
	}
	m->spki_len = (size_t)n;
	return 0;
}

struct tls_certs *
tls_certs_new(void)
{
	return calloc(1, sizeof(struct tls_certs));
}

void
tls_certs_free(struct tls_certs *cc)
{
	size_t i;

	if (cc == NULL)
		return;
	for (i = 0; i < MINT_CACHE; i++)
		free(cc->e[i].der);
	free(cc);
}

/* The file of host's leaf in --ca-cert-dir: the name made safe (what
 * is not a letter, digit, '-', '.' or '_' becomes '_'; no '/', and
 * never "." or "..") and cut, then a hash of the name as sent, so two
 * names never share a file. 0, or -1 when it does not fit. */
static int
leaf_path(const struct tls_mint *m, const char *host, char *out,
    size_t size)
{
	char name[LEAF_NAME_MAX + 1];
	unsigned char h[32];
	size_t i;
	int n;

	for (i = 0; host[i] != '\0' && i < LEAF_NAME_MAX; i++) {
		char c = host[i];

		name[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' ? c : '_';
	}
	name[i] = '\0';
	sha256(host, strlen(host), h);
	n = snprintf(out, size, "%s/%s-%02x%02x%02x%02x%02x%02x%02x%02x.pem",
	    m->dir, name, h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* A leaf file's bytes: a regular file of at most LEAF_FILE_MAX bytes.
 * NULL with why, or with why "" when there is none. */
static unsigned char *
leaf_read(const char *path, size_t *len, char *why, size_t whysz)
{
	unsigned char *buf = NULL;
	struct stat st;
	size_t n = 0;
	ssize_t r;
	int fd;

	why[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC))
	    == -1) {
		if (errno != ENOENT)
			snprintf(why, whysz, "%s", strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size > LEAF_FILE_MAX) {
		snprintf(why, whysz, "not a regular file of at most %d KiB",
		    LEAF_FILE_MAX / 1024);
		goto fail;
	}
	if ((buf = malloc(LEAF_FILE_MAX + 1)) == NULL) {
		snprintf(why, whysz, "out of memory");
		goto fail;
	}
	/* bounded even if the file grows while it is read */
	while (n <= LEAF_FILE_MAX && ((r = read(fd, buf + n,
	    LEAF_FILE_MAX + 1 - n)) > 0 || (r == -1 && errno == EINTR)))
		if (r > 0)
			n += (size_t)r;
	if (n > LEAF_FILE_MAX || r == -1) {
		snprintf(why, whysz, "%s", n > LEAF_FILE_MAX ? "larger than 64 "
		    "KiB" : strerror(errno));
		goto fail;
	}
	fd_close(&fd);
	*len = n;
	return buf;
fail:
	free(buf);
	fd_close(&fd);
	return NULL;
}

/* Whether a leaf from a file serves host now: for that name, with the
 * leaves' key, signed by the CA and valid for LEAF_SPARE_S more. NULL,
 * or why not. */
static const char *
leaf_check(const struct tls_mint *m, const char *host,
    const unsigned char *der, size_t len)
{
	br_x509_minimal_context xc;
	struct x509_info info;
	time_t t = time(NULL) + LEAF_SPARE_S;
	unsigned err;

	if (x509_parse(der, len, &info) == -1)
		return "not a certificate";
	if (info.spki_len != m->spki_len ||
	    memcmp(info.spki, m->spki, m->spki_len) != 0)
		return "made for another key (each start makes a new one "
		    "unless --ca-signing-key-file names it)";
	if (!x509_san_has(&info, host))
		return "made for another name";
	br_x509_minimal_init_full(&xc, m->ca_anchor->v, m->ca_anchor->n);
	br_x509_minimal_set_time(&xc, (uint32_t)(t / 86400 + 719528),
	    (uint32_t)(t % 86400));
	xc.vtable->start_chain(&xc.vtable, NULL);
	xc.vtable->start_cert(&xc.vtable, (uint32_t)len);
	xc.vtable->append(&xc.vtable, der, len);
	xc.vtable->end_cert(&xc.vtable);
	err = xc.vtable->end_chain(&xc.vtable);
	if (err == BR_ERR_X509_EXPIRED)
		return "it expires within 30 days";
	if (err != 0)	/* end_chain's success, not BR_ERR_X509_OK */
		return "not signed by the current --ca-cert-file";
	return NULL;
}

/* host's leaf from its file in --ca-cert-dir, checked; NULL when there
 * is none that serves (a bad one is replaced next). That is routine (a
 * new leaf key at each start, a new CA, a leaf near its end) and the
 * connection's own line stays its only one: why goes to the debug log. */
static unsigned char *
leaf_load(const struct tls_mint *m, const char *host, const char *path,
    size_t *len)
{
	struct pem_list l = { NULL, 0, 0 };
	unsigned char *buf, *der = NULL;
	const char *bad = NULL;
	char why[256];
	size_t n;

	if ((buf = leaf_read(path, &n, why, sizeof(why))) == NULL) {
		if (why[0] != '\0')
			log_debug("interception: %s: %s; minting another",
			    path, why);
		return NULL;
	}
	if (!is_pem(buf, n) || pem_decode(buf, n, &l) == -1 || l.n == 0 ||
	    strcmp(l.v[0].name, "CERTIFICATE") != 0 ||
	    l.v[0].len > MINT_CERT_MAX)
		bad = "not one PEM certificate";
	else if ((bad = leaf_check(m, host, l.v[0].data, l.v[0].len)) == NULL)
	{
		der = l.v[0].data;
		*len = l.v[0].len;
		l.v[0].data = NULL;	/* ours now */
	}
	if (bad != NULL)
		log_debug("interception: %s: %s; minting another", path, bad);
	pem_list_free(&l);
	free(buf);
	return der;
}

/* Writes host's new leaf to its file (whole, or not at all: a reader
 * in another process never sees a part). */
static void
leaf_save(struct tls_certs *cc, const char *path, const unsigned char *der,
    size_t len)
{
	char why[PATH_MAX + 64];

	if (pem_write(path, der, len, "CERTIFICATE", 0644, FW_REPLACE |
	    FW_CACHE, why, sizeof(why)) == -1) {
		log_warnx("interception: --ca-cert-dir: %s; this worker keeps "
		    "its certificates in memory only from now on", why);
		cc->dir_off = 1;
	}
}

/* The leaf for host, from the cache or its file, or minted into both;
 * NULL on failure, with why. */
static const struct mint_entry *
mint_get(const struct tls_mint *m, struct tls_certs *cc, const char *host,
    char *why, size_t whysz)
{
	struct mint_entry *e, *victim = &cc->e[0];
	char ewhy[256], path[PATH_MAX];
	unsigned char *der = NULL;
	size_t i, len;
	int file;

	for (i = 0; i < MINT_CACHE; i++) {
		e = &cc->e[i];
		if (e->used != 0 && strcmp(e->host, host) == 0) {
			e->used = ++cc->clock;
			return e;
		}
		if (e->used < victim->used)
			victim = e;
	}
	file = m->dir != NULL && !cc->dir_off &&
	    leaf_path(m, host, path, sizeof(path)) == 0;
	if (file && (der = leaf_load(m, host, path, &len)) != NULL)
		log_debug("interception: the certificate for %s from %s", host,
		    path);
	else if (tls_mint_leaf(m->ca, m->key, host, (int64_t)time(NULL), &der,
	    &len, ewhy, sizeof(ewhy)) == -1) {
		snprintf(why, whysz, "interception: no certificate for %s: %s",
		    host, ewhy);
		return NULL;
	} else {
		log_debug("interception: minted a certificate for %s", host);
		if (file)
			leaf_save(cc, path, der, len);
	}
	if (len > MINT_CERT_MAX) {
		snprintf(why, whysz, "interception: no certificate for %s: "
		    "it would be over %d bytes", host, MINT_CERT_MAX);
		free(der);
		return NULL;
	}
	free(victim->der);
	strlcpy_p(victim->host, host, sizeof(victim->host));
	victim->der = der;
	victim->len = len;
	victim->used = ++cc->clock;
	return victim;
}

static struct tls_mitm *
mitm_of(const br_ssl_server_policy_class **pctx)
{
	return (struct tls_mitm *)(void *)((char *)(void *)pctx -
	    offsetof(struct tls_mitm, vtable));
}

/* The name as the log may show it: printable ASCII, the rest as '?'. */
static void
name_printable(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < size; i++)
		out[i] = in[i] > 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
}

static int
mitm_choose(const br_ssl_server_policy_class **pctx,
    const br_ssl_server_context *cc, br_ssl_server_choices *choices)
{
	struct tls_mitm *tm = mitm_of(pctx);
	const char *name = br_ssl_engine_get_server_name(&cc->eng);
	const struct mint_entry *e;
	unsigned char ip[16];
	char shown[X509_HOST_MAX + 8];
	size_t iplen;

	if (name[0] == '\0')
		name = tm->host;
	if (strlen(name) > X509_HOST_MAX ||
	    x509_host_kind(name, ip, &iplen) == -1) {
		/* the connection's one log line says it (tls_why) */
		name_printable(name, shown, sizeof(shown));
		snprintf(tm->t.why, sizeof(tm->t.why), "interception: the "
		    "client asked for '%s%s', not a host name: no certificate",
		    shown, strlen(name) > strlen(shown) ? "..." : "");
		return 0;
	}
	if ((e = mint_get(tm->m, tm->cc, name, tm->t.why,
	    sizeof(tm->t.why))) == NULL)
		return 0;
	memcpy(tm->leaf, e->der, e->len);
	tm->chain[0].data = tm->leaf;
	tm->chain[0].data_len = e->len;
	tm->chain[1] = tm->m->ca->s->chain[0];
	tm->base->chain = tm->chain;
	tm->base->chain_len = 2;
	return tm->base->vtable->choose(&tm->base->vtable, cc, choices);
}

static uint32_t
mitm_do_keyx(const br_ssl_server_policy_class **pctx, unsigned char *data,
    size_t *len)
{
	struct tls_mitm *tm = mitm_of(pctx);

	return tm->base->vtable->do_keyx(&tm->base->vtable, data, len);
}

static size_t
mitm_do_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id,
    unsigned char *data, size_t hv_len, size_t len)
{
	struct tls_mitm *tm = mitm_of(pctx);

	return tm->base->vtable->do_sign(&tm->base->vtable, algo_id, data,
	    hv_len, len);
}

static const br_ssl_server_policy_class mitm_vtable = {
	sizeof(struct tls_mitm), mitm_choose, mitm_do_keyx, mitm_do_sign
};

struct tls *
tls_mitm_new(const struct tls_mint *m, struct tls_certs *cc,
    const char *host)
{
	static const char *alpn[] = { "http/1.1" };
	br_ssl_engine_context *eng;
	struct tls_mitm *tm;

	if ((tm = malloc(sizeof(*tm))) == NULL)
		return NULL;
	tls_init(&tm->t);
	tm->m = m;
	tm->cc = cc;
	strlcpy_p(tm->host, host, sizeof(tm->host));
	eng = server_engine_init(&tm->t.sc.s);
	br_ssl_engine_set_suites(eng, suites_ec,
	    sizeof(suites_ec) / sizeof(suites_ec[0]));
	/* the engine's own EC policy signs; ours puts the chain in first */
	br_ssl_server_set_single_ec(&tm->t.sc.s, NULL, 0, &m->key->ec,
	    BR_KEYTYPE_SIGN, BR_KEYTYPE_EC, br_ec_get_default(),
	    br_ecdsa_sign_asn1_get_default());
	tm->base = &tm->t.sc.s.chain_handler.single_ec;
	tm->vtable = &mitm_vtable;
	br_ssl_server_set_policy(&tm->t.sc.s, &tm->vtable);
	br_ssl_engine_set_protocol_names(eng, alpn, 1);
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);
	br_ssl_engine_set_buffer(eng, tm->t.iobuf, sizeof(tm->t.iobuf), 1);
	if (!br_ssl_server_reset(&tm->t.sc.s)) {
		free(tm);
		return NULL;
	}
	return &tm->t;
}

#endif /* HAVE_BEARSSL */
