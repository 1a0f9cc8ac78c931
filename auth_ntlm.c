/*
 * auth_ntlm.c: NTLM for a client talking to a parent proxy. The digests
 * and DES it needs (MD4, MD5, HMAC-MD5, single-block DES), the LM, NT and
 * NTLMv2 hashes, the challenge responses, and the three NTLMSSP messages.
 *
 * A leaf: no fds, no logging, no malloc. Contracts are in proxy.h.
 */
#include <stdio.h>
#include <string.h>

#include "proxy.h"

/* ---------------------------------------------------------------- wiping */

/*
 * Called through a volatile pointer: the compiler cannot prove the call is
 * memset, so it cannot drop it as a dead store to memory about to die.
 */
static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;

void
ntlm_wipe(void *p, size_t n)
{
	wipe_memset(p, 0, n);
}

#if WITH_NTLM	/* the digests, DES, hashes, responses and messages */
/* ------------------------------------------------------- MD4, MD5 common */

typedef void md_compress_fn(uint32_t h[4], const unsigned char blk[64]);

static uint32_t
rol32(uint32_t x, unsigned n)
{
	return x << n | x >> (32 - n);
}

static void
md_update(uint32_t h[4], uint64_t *len, unsigned char blk[64],
    md_compress_fn *compress, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t used = (size_t)(*len % 64), take;

	if (n == 0)
		return;		/* p may be NULL then */
	*len += n;
	if (used > 0) {
		take = 64 - used < n ? 64 - used : n;
		memcpy(blk + used, s, take);
		s += take;
		n -= take;
		if (used + take < 64)
			return;
		compress(h, blk);
	}
	for (; n >= 64; s += 64, n -= 64)
		compress(h, s);
	if (n > 0)
		memcpy(blk, s, n);
}

/* MD4 and MD5 pad alike: 0x80, zeros, the bit count little-endian. */
static void
md_final(uint32_t h[4], uint64_t len, unsigned char blk[64],
    md_compress_fn *compress, unsigned char out[16])
{
	size_t used = (size_t)(len % 64);
	int i;

	blk[used++] = 0x80;
	if (used > 56) {
		memset(blk + used, 0, 64 - used);
		compress(h, blk);
		used = 0;
	}
	memset(blk + used, 0, 56 - used);
	le64enc(blk + 56, len * 8);
	compress(h, blk);
	for (i = 0; i < 4; i++)
		le32enc(out + 4 * i, h[i]);
}

static void
md_init(uint32_t h[4], uint64_t *len)
{
	h[0] = 0x67452301;
	h[1] = 0xefcdab89;
	h[2] = 0x98badcfe;
	h[3] = 0x10325476;
	*len = 0;
}

/* ------------------------------------------------------------------- MD4 */

/* Message word order and shifts of RFC 1320's three rounds. */
static const unsigned char md4_word[48] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
	0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
	0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15
};
static const unsigned char md4_shift[12] = {
	3, 7, 11, 19, 3, 5, 9, 13, 3, 9, 11, 15
};

static void
md4_compress(uint32_t h[4], const unsigned char blk[64])
{
	uint32_t x[16], a = h[0], b = h[1], c = h[2], d = h[3], f, t;
	int i;

	for (i = 0; i < 16; i++)
		x[i] = le32dec(blk + 4 * i);
	for (i = 0; i < 48; i++) {
		if (i < 16)
			f = (b & c) | (~b & d);
		else if (i < 32)
			f = ((b & c) | (b & d) | (c & d)) + 0x5a827999;
		else
			f = (b ^ c ^ d) + 0x6ed9eba1;
		t = rol32(a + f + x[md4_word[i]],
		    md4_shift[i / 16 * 4 + i % 4]);
		/* rotating the names gives the spec's [abcd] [dabc] ... */
		a = d;
		d = c;
		c = b;
		b = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	ntlm_wipe(x, sizeof(x));
}

void
md4_init(struct md4_ctx *ctx)
{
	md_init(ctx->h, &ctx->len);
}

void
md4_update(struct md4_ctx *ctx, const void *p, size_t n)
{
	md_update(ctx->h, &ctx->len, ctx->blk, md4_compress, p, n);
}

void
md4_final(struct md4_ctx *ctx, unsigned char out[16])
{
	md_final(ctx->h, ctx->len, ctx->blk, md4_compress, out);
	ntlm_wipe(ctx, sizeof(*ctx));
}

void
md4_digest(const void *p, size_t n, unsigned char out[16])
{
	struct md4_ctx ctx;

	md4_init(&ctx);
	md4_update(&ctx, p, n);
	md4_final(&ctx, out);
}

/* ------------------------------------------------------------------- MD5 */

/* floor(abs(sin(i + 1)) * 2^32), RFC 1321 3.4 */
static const uint32_t md5_k[64] = {
	0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee,
	0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
	0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
	0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
	0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa,
	0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
	0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
	0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
	0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
	0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
	0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05,
	0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
	0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039,
	0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
	0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
	0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391
};
static const unsigned char md5_shift[16] = {
	7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21
};

static void
md5_compress(uint32_t h[4], const unsigned char blk[64])
{
	uint32_t x[16], a = h[0], b = h[1], c = h[2], d = h[3], f, t;
	int i, g;

	for (i = 0; i < 16; i++)
		x[i] = le32dec(blk + 4 * i);
	for (i = 0; i < 64; i++) {
		if (i < 16) {
			f = (b & c) | (~b & d);
			g = i;
		} else if (i < 32) {
			f = (b & d) | (c & ~d);
			g = (5 * i + 1) % 16;
		} else if (i < 48) {
			f = b ^ c ^ d;
			g = (3 * i + 5) % 16;
		} else {
			f = c ^ (b | ~d);
			g = (7 * i) % 16;
		}
		t = b + rol32(a + f + md5_k[i] + x[g],
		    md5_shift[i / 16 * 4 + i % 4]);
		a = d;
		d = c;
		c = b;
		b = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	ntlm_wipe(x, sizeof(x));
}

void
md5_init(struct md5_ctx *ctx)
{
	md_init(ctx->h, &ctx->len);
}

void
md5_update(struct md5_ctx *ctx, const void *p, size_t n)
{
	md_update(ctx->h, &ctx->len, ctx->blk, md5_compress, p, n);
}

void
md5_final(struct md5_ctx *ctx, unsigned char out[16])
{
	md_final(ctx->h, ctx->len, ctx->blk, md5_compress, out);
	ntlm_wipe(ctx, sizeof(*ctx));
}

void
md5_digest(const void *p, size_t n, unsigned char out[16])
{
	struct md5_ctx ctx;

	md5_init(&ctx);
	md5_update(&ctx, p, n);
	md5_final(&ctx, out);
}

/* -------------------------------------------------------------- HMAC-MD5 */

void
hmac_md5_init(struct hmac_md5_ctx *ctx, const void *key, size_t klen)
{
	unsigned char k[64];
	int i;

	memset(k, 0, sizeof(k));
	if (klen > sizeof(k))
		md5_digest(key, klen, k);
	else if (klen > 0)
		memcpy(k, key, klen);
	for (i = 0; i < 64; i++)
		k[i] ^= 0x36;
	md5_init(&ctx->inner);
	md5_update(&ctx->inner, k, sizeof(k));
	for (i = 0; i < 64; i++)
		k[i] ^= 0x36 ^ 0x5c;
	md5_init(&ctx->outer);
	md5_update(&ctx->outer, k, sizeof(k));
	ntlm_wipe(k, sizeof(k));
}

void
hmac_md5_update(struct hmac_md5_ctx *ctx, const void *p, size_t n)
{
	md5_update(&ctx->inner, p, n);
}

void
hmac_md5_final(struct hmac_md5_ctx *ctx, unsigned char out[16])
{
	unsigned char ih[16];

	md5_final(&ctx->inner, ih);
	md5_update(&ctx->outer, ih, sizeof(ih));
	md5_final(&ctx->outer, out);
	ntlm_wipe(ih, sizeof(ih));
}

void
hmac_md5(const void *key, size_t klen, const void *msg, size_t n,
    unsigned char out[16])
{
	struct hmac_md5_ctx ctx;

	hmac_md5_init(&ctx, key, klen);
	hmac_md5_update(&ctx, msg, n);
	hmac_md5_final(&ctx, out);
}

/* ------------------------------------------------------------------- DES */

/*
 * FIPS 46-3 tables; bit 1 is the most significant bit of the input.
 * NTLM encrypts a handful of blocks per handshake, so the bit-at-a-time
 * permutations are fast enough and keep the code close to the standard.
 * The S-box lookups are indexed by key-dependent bits (a cache-timing
 * channel): acceptable for a client that hashes locally-held secrets.
 */
static const unsigned char des_ip[64] = {
	58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
	62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
	57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
	61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7
};
static const unsigned char des_fp[64] = {
	40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31,
	38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29,
	36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27,
	34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25
};
static const unsigned char des_e[48] = {
	32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9,
	8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17,
	16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25,
	24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1
};
static const unsigned char des_p[32] = {
	16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
	2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25
};
static const unsigned char des_pc1[56] = {
	57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
	10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
	63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
	14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4
};
static const unsigned char des_pc2[48] = {
	14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
	23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
	41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
	44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32
};
static const unsigned char des_rot[16] = {
	1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1
};
/* Each box as 4 rows of 16: row from the outer bits, column the inner 4. */
static const unsigned char des_sbox[8][64] = {
	{ 14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
	  0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
	  4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
	  15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13 },
	{ 15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
	  3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
	  0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
	  13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9 },
	{ 10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
	  13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
	  13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
	  1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12 },
	{ 7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
	  13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
	  10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
	  3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14 },
	{ 2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
	  14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
	  4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
	  11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3 },
	{ 12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
	  10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
	  9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
	  4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13 },
	{ 4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
	  13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
	  1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
	  6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12 },
	{ 13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
	  1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
	  7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
	  2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11 }
};

/* Output bit i is input bit tab[i] of an inbits-wide value. */
static uint64_t
des_permute(uint64_t in, unsigned inbits, const unsigned char *tab,
    unsigned n)
{
	uint64_t out = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		out = out << 1 | ((in >> (inbits - tab[i])) & 1);
	return out;
}

static uint32_t
rol28(uint32_t x, unsigned n)
{
	return ((x << n) | (x >> (28 - n))) & 0x0fffffff;
}

static void
des_schedule(const unsigned char key[8], uint64_t sub[16])
{
	uint64_t cd = des_permute((uint64_t)be32dec(key) << 32 |
	    be32dec(key + 4), 64, des_pc1, 56);
	uint32_t c = (uint32_t)(cd >> 28), d = (uint32_t)cd & 0x0fffffff;
	int i;

	for (i = 0; i < 16; i++) {
		c = rol28(c, des_rot[i]);
		d = rol28(d, des_rot[i]);
		sub[i] = des_permute((uint64_t)c << 28 | d, 56, des_pc2, 48);
	}
}

static uint32_t
des_f(uint32_t r, uint64_t subkey)
{
	uint64_t x = des_permute(r, 32, des_e, 48) ^ subkey;
	uint32_t s = 0;
	unsigned i, v, row_col;

	for (i = 0; i < 8; i++) {
		v = (unsigned)(x >> (42 - 6 * i)) & 0x3f;
		/* outer bits pick the row, inner four the column */
		row_col = (v & 0x20) | (v & 1) << 4 | ((v >> 1) & 0xf);
		s = s << 4 | des_sbox[i][row_col];
	}
	return (uint32_t)des_permute(s, 32, des_p, 32);
}

void
des_encrypt_block(const unsigned char key[8], const unsigned char in[8],
    unsigned char out[8])
{
	uint64_t sub[16], b;
	uint32_t l, r, t;
	int i;

	des_schedule(key, sub);
	b = des_permute((uint64_t)be32dec(in) << 32 | be32dec(in + 4), 64,
	    des_ip, 64);
	l = (uint32_t)(b >> 32);
	r = (uint32_t)b;
	for (i = 0; i < 16; i++) {
		t = r;
		r = l ^ des_f(r, sub[i]);
		l = t;
	}
	/* the last round does not swap: the output is R16 L16 */
	b = des_permute((uint64_t)r << 32 | l, 64, des_fp, 64);
	be32enc(out, (uint32_t)(b >> 32));
	be32enc(out + 4, (uint32_t)b);
	ntlm_wipe(sub, sizeof(sub));
}

void
des_expand_key(const unsigned char s[7], unsigned char k[8])
{
	int i;

	/* byte i takes key bits 7i..7i+6; the low (parity) bit stays 0 */
	k[0] = s[0];
	for (i = 1; i < 7; i++)
		k[i] = (unsigned char)(s[i - 1] << (8 - i) | s[i] >> i);
	k[7] = (unsigned char)(s[6] << 1);
	for (i = 0; i < 8; i++)
		k[i] &= 0xfe;
}

/* DES under a 7-byte key. */
static void
des7(const unsigned char k7[7], const unsigned char in[8],
    unsigned char out[8])
{
	unsigned char k[8];

	des_expand_key(k7, k);
	des_encrypt_block(k, in, out);
	ntlm_wipe(k, sizeof(k));
}

#endif	/* WITH_NTLM */

/* ----------------------------------------------------- UTF-8 to UTF-16LE */

/* Decodes one code point of s[n] (n > 0); its length or -1. */
static int
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c = s[0], min;
	int len, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return -1;		/* continuation byte, C0, C1, F5+ */
	if ((size_t)len > n)
		return -1;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return len;
}

/* Latin Extended-A: case pairs alternate, upper first, with exceptions. */
static uint32_t
upcase_latin_a(uint32_t c)
{
	if (c == 0x131 || c == 0x138 || c == 0x149 || c == 0x17f)
		return c;		/* dotless i, kra, 'n, long s */
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return (c & 1) ? c : c - 1;
	return (c & 1) ? c - 1 : c;
}

static uint32_t
upcase_greek(uint32_t c)
{
	if (c == 0x3ac)
		return 0x386;
	if (c >= 0x3ad && c <= 0x3af)
		return c - 0x25;
	if (c >= 0x3b1 && c <= 0x3cb && c != 0x3c2)	/* final sigma stays */
		return c - 0x20;
	if (c == 0x3cc)
		return 0x38c;
	if (c == 0x3cd || c == 0x3ce)
		return c - 0x3f;
	return c;
}

/*
 * Windows' upper-case table for the ranges names use (see proxy.h):
 * it maps y-diaeresis but neither sharp s nor micro sign nor final sigma.
 */
static uint32_t
upcase(uint32_t c)
{
	if (c >= 'a' && c <= 'z')
		return c - 0x20;
	if (c < 0xe0)
		return c;
	if (c <= 0xfe)
		return c == 0xf7 ? c : c - 0x20;
	if (c == 0xff)
		return 0x178;
	if (c < 0x180)
		return upcase_latin_a(c);
	if (c >= 0x3ac && c <= 0x3ce)
		return upcase_greek(c);
	if (c >= 0x430 && c <= 0x44f)
		return c - 0x20;
	if (c >= 0x450 && c <= 0x45f)
		return c - 0x50;
	return c;
}

long
ntlm_utf16le(const char *str, size_t n, int upper, unsigned char *out,
    size_t size)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, o = 0, w;
	uint32_t c;
	int len;

	while (i < n) {
		if ((len = utf8_next(s + i, n - i, &c)) < 0)
			return -1;
		i += (size_t)len;
		if (upper)
			c = upcase(c);
		w = c > 0xffff ? 4 : 2;
		if (out != NULL) {
			if (w > size - o)
				return -1;
			if (c > 0xffff) {
				c -= 0x10000;
				le16enc(out + o, (uint16_t)(0xd800 | c >> 10));
				le16enc(out + o + 2,
				    (uint16_t)(0xdc00 | (c & 0x3ff)));
			} else
				le16enc(out + o, (uint16_t)c);
		}
		o += w;
	}
	return (long)o;
}

#if WITH_NTLM
/* ---------------------------------------------------------------- hashes */

static unsigned char
ascii_upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? c - 0x20 : c;
}

void
ntlm_lm_hash(const char *password, unsigned char out[16])
{
	static const unsigned char magic[8] = "KGS!@#$%";
	unsigned char pw[14];
	size_t i;

	memset(pw, 0, sizeof(pw));
	for (i = 0; i < sizeof(pw) && password[i] != '\0'; i++)
		pw[i] = ascii_upper((unsigned char)password[i]);
	des7(pw, magic, out);
	des7(pw + 7, magic, out + 8);
	ntlm_wipe(pw, sizeof(pw));
}

int
ntlm_nt_hash(const char *password, unsigned char out[16])
{
	unsigned char u[2 * NTLM_PASS_MAX];
	size_t n = strlen(password);
	long len;

	if (n > NTLM_PASS_MAX ||
	    (len = ntlm_utf16le(password, n, 0, u, sizeof(u))) < 0)
		return -1;
	md4_digest(u, (size_t)len, out);
	ntlm_wipe(u, sizeof(u));
	return 0;
}

/* HMAC-MD5 update with UTF-16LE(s), upper-cased if asked. */
static int
hmac_utf16(struct hmac_md5_ctx *ctx, const char *s, int upper)
{
	unsigned char u[2 * NTLM_NAME_MAX];
	size_t n = strlen(s);
	long len;

	if (n >= NTLM_NAME_MAX ||
	    (len = ntlm_utf16le(s, n, upper, u, sizeof(u))) < 0)
		return -1;
	hmac_md5_update(ctx, u, (size_t)len);
	return 0;
}

static int
v2_hash(const unsigned char nt[16], const char *user, const char *domain,
    int upper_domain, unsigned char out[16])
{
	struct hmac_md5_ctx ctx;
	int rc = 0;

	hmac_md5_init(&ctx, nt, 16);
	if (hmac_utf16(&ctx, user, 1) == -1 ||
	    hmac_utf16(&ctx, domain, upper_domain) == -1)
		rc = -1;
	hmac_md5_final(&ctx, out);
	if (rc == -1)
		ntlm_wipe(out, 16);
	return rc;
}

int
ntlm_v2_hash(const unsigned char nt[16], const char *user, const char *domain,
    unsigned char out[16])
{
	return v2_hash(nt, user, domain, 0, out);
}

int
ntlm_v2_hash_cntlm(const unsigned char nt[16], const char *user,
    const char *domain, unsigned char out[16])
{
	return v2_hash(nt, user, domain, 1, out);
}

/* ------------------------------------------------------------- responses */

void
ntlm_desl(const unsigned char key[16], const unsigned char data[8],
    unsigned char out[24])
{
	unsigned char k3[7];

	des7(key, data, out);
	des7(key + 7, data, out + 8);
	memset(k3, 0, sizeof(k3));
	k3[0] = key[14];
	k3[1] = key[15];
	des7(k3, data, out + 16);
	ntlm_wipe(k3, sizeof(k3));
}

void
ntlm_ntlm2sr(const unsigned char nt[16], const unsigned char schal[8],
    const unsigned char cchal[8], unsigned char lm[24],
    unsigned char ntresp[24])
{
	struct md5_ctx ctx;
	unsigned char h[16];

	md5_init(&ctx);
	md5_update(&ctx, schal, 8);
	md5_update(&ctx, cchal, 8);
	md5_final(&ctx, h);
	ntlm_desl(nt, h, ntresp);
	memcpy(lm, cchal, 8);
	memset(lm + 8, 0, 16);
}

void
ntlm_lmv2(const unsigned char v2[16], const unsigned char schal[8],
    const unsigned char cchal[8], unsigned char out[24])
{
	struct hmac_md5_ctx ctx;

	hmac_md5_init(&ctx, v2, 16);
	hmac_md5_update(&ctx, schal, 8);
	hmac_md5_update(&ctx, cchal, 8);
	hmac_md5_final(&ctx, out);
	memcpy(out + 16, cchal, 8);
}

long
ntlm_v2_response(const unsigned char v2[16], const unsigned char schal[8],
    const unsigned char cchal[8], uint64_t filetime,
    const unsigned char *tinfo, size_t tlen, unsigned char *out, size_t size)
{
	unsigned char *blob = out + 16;
	size_t blen = 28 + tlen + 4;
	struct hmac_md5_ctx ctx;

	if (size < 16 + 32 || tlen > size - 16 - 32)
		return -1;
	memset(blob, 0, 28);
	blob[0] = 1;			/* RespType */
	blob[1] = 1;			/* HiRespType */
	le64enc(blob + 8, filetime);
	memcpy(blob + 16, cchal, 8);
	if (tlen > 0)
		memcpy(blob + 28, tinfo, tlen);
	memset(blob + 28 + tlen, 0, 4);
	hmac_md5_init(&ctx, v2, 16);
	hmac_md5_update(&ctx, schal, 8);
	hmac_md5_update(&ctx, blob, blen);
	hmac_md5_final(&ctx, out);	/* NTProofStr */
	return (long)(16 + blen);
}
#endif	/* WITH_NTLM */

/* -------------------------------------------------- dialects, user names */

uint64_t
ntlm_filetime(time_t t)
{
	int64_t s = (int64_t)t + INT64_C(11644473600);

	return s < 0 ? 0 : (uint64_t)s * 10000000;
}


static const char *const dialect_names[] = {
	"NTLMv2", "NTLM2SR", "NTLM", "NT", "LM"
};
#define NDIALECTS (sizeof(dialect_names) / sizeof(dialect_names[0]))

/* What each dialect needs. */
static const unsigned dialect_needs[NDIALECTS] = {
	NTLM_HAVE_V2, NTLM_HAVE_NT, NTLM_HAVE_NT | NTLM_HAVE_LM, NTLM_HAVE_NT,
	NTLM_HAVE_LM
};
static const char *const dialect_missing[NDIALECTS] = {
	"NTLMv2 needs PassNTLMv2 or a password",
	"NTLM2SR needs PassNT or a password",
	"NTLM needs PassNT and PassLM, or a password",
	"NT needs PassNT or a password",
	"LM needs PassLM or a password"
};

int
ntlm_dialect_parse(const char *name, enum ntlm_dialect *d)
{
	size_t i;

	for (i = 0; i < NDIALECTS; i++)
		if (strncaseeq(name, strlen(name), dialect_names[i])) {
			*d = (enum ntlm_dialect)i;
			return 0;
		}
	return -1;
}

const char *
ntlm_dialect_name(enum ntlm_dialect d)
{
	return (size_t)d < NDIALECTS ? dialect_names[d] : "unknown";
}

int
ntlm_split_user(const char *name, char *user, size_t usz, char *domain,
    size_t dsz)
{
	const char *bs = strchr(name, '\\'), *at = strrchr(name, '@');
	const char *u, *dom;
	size_t ul, dl;

	if (bs != NULL) {
		dom = name;
		dl = (size_t)(bs - name);
		u = bs + 1;
		ul = strlen(u);
	} else if (at != NULL) {
		u = name;
		ul = (size_t)(at - name);
		dom = at + 1;
		dl = strlen(dom);
	} else
		return strlcpy_p(user, name, usz) < usz && *name ? 0 : -1;
	if (ul == 0 || dl == 0 || strnbuf(user, usz, u, ul) == -1 ||
	    strnbuf(domain, dsz, dom, dl) == -1)
		return -1;
	return 1;
}

int
ntlm_hex16_parse(const char *hex, unsigned char out[16])
{
	unsigned char b[16];
	int i, hi, lo;

	if (strlen(hex) != 32)
		return -1;
	for (i = 0; i < 16; i++) {
		if ((hi = hex_value(hex[2 * i])) < 0 ||
		    (lo = hex_value(hex[2 * i + 1])) < 0) {
			ntlm_wipe(b, sizeof(b));
			return -1;
		}
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	memcpy(out, b, 16);
	ntlm_wipe(b, sizeof(b));
	return 0;
}

/* ----------------------------------------------------------- credentials */

static int
fail_err(const char **err, const char *why)
{
	if (err != NULL)
		*err = why;
	return -1;
}

static int
set_name(char *dst, const char *src, const char *toolong, const char *bad,
    const char **err)
{
	if (src == NULL)
		src = "";
	if (strlcpy_p(dst, src, NTLM_NAME_MAX) >= NTLM_NAME_MAX)
		return fail_err(err, toolong);
	if (ntlm_utf16le(src, strlen(src), 0, NULL, 0) < 0)
		return fail_err(err, bad);
	return 0;
}

int
ntlm_creds_init(struct ntlm_creds *c, const char *user, const char *domain,
    const char *workstation, const char **err)
{
	memset(c, 0, sizeof(*c));
	c->upper_domain = 1;
	if (set_name(c->user, user, "user name too long",
	    "user name is not valid UTF-8", err) == -1 ||
	    set_name(c->domain, domain, "domain too long",
	    "domain is not valid UTF-8", err) == -1 ||
	    set_name(c->workstation, workstation, "workstation name too long",
	    "workstation name is not valid UTF-8", err) == -1)
		return -1;
	return 0;
}

int
ntlm_creds_set_password(struct ntlm_creds *c, const char *password,
    const char **err)
{
	if (strlen(password) > NTLM_PASS_MAX)
		return fail_err(err, "password too long");
#if !WITH_NTLM
	(void)c;	/* Basic keeps the password itself; no hashes */
	return 0;
#else
	if (ntlm_nt_hash(password, c->nt) == -1)
		return fail_err(err, "password is not valid UTF-8");
	ntlm_lm_hash(password, c->lm);
	if (v2_hash(c->nt, c->user, c->domain, c->upper_domain, c->v2) == -1) {
		ntlm_wipe(c->lm, sizeof(c->lm));
		ntlm_wipe(c->nt, sizeof(c->nt));
		return fail_err(err, "user or domain unusable");
	}
	c->have = NTLM_HAVE_LM | NTLM_HAVE_NT | NTLM_HAVE_V2;
	return 0;
#endif
}

int
ntlm_creds_set_hash(struct ntlm_creds *c, unsigned which, const char *hex,
    const char **err)
{
	unsigned char *dst;

	if (which == NTLM_HAVE_LM)
		dst = c->lm;
	else if (which == NTLM_HAVE_NT)
		dst = c->nt;
	else if (which == NTLM_HAVE_V2)
		dst = c->v2;
	else
		return fail_err(err, "unknown hash kind");
	if (ntlm_hex16_parse(hex, dst) == -1)
		return fail_err(err, "a hash is 32 hex digits");
	c->have |= which;
	return 0;
}

const char *
ntlm_creds_check(const struct ntlm_creds *c, enum ntlm_dialect d)
{
	if ((size_t)d >= NDIALECTS)
		return "unknown NTLM dialect";
	if ((c->have & dialect_needs[d]) != dialect_needs[d])
		return dialect_missing[d];
	return NULL;
}

static void
hex16(const unsigned char b[16], char out[33])
{
	static const char digits[] = "0123456789ABCDEF";
	int i;

	for (i = 0; i < 16; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0xf];
	}
	out[32] = '\0';
}

long
ntlm_format_hashes(const struct ntlm_creds *c, char *out, size_t size)
{
	char lm[33], nt[33], v2[33];
	int n;
	unsigned all = NTLM_HAVE_LM | NTLM_HAVE_NT | NTLM_HAVE_V2;

	if ((c->have & all) != all)
		return -1;
	hex16(c->lm, lm);
	hex16(c->nt, nt);
	hex16(c->v2, v2);
	n = snprintf(out, size, "PassLM          %s\n"
	    "PassNT          %s\n"
	    "PassNTLMv2      %s    # Only for user '%s', domain '%s'\n",
	    lm, nt, v2, c->user, c->domain);
	ntlm_wipe(lm, sizeof(lm));
	ntlm_wipe(nt, sizeof(nt));
	ntlm_wipe(v2, sizeof(v2));
	if (n < 0 || (size_t)n >= size) {
		if (size > 0)
			ntlm_wipe(out, size);
		return -1;
	}
	return n;
}

#if WITH_NTLM
/* -------------------------------------------------------------- messages */

static const unsigned char ntlmssp_sig[8] = "NTLMSSP";	/* NUL included */

#define MSV_AV_EOL		0
#define MSV_AV_TIMESTAMP	7

/* The cntlm Type 1 flags of each dialect. */
static const uint32_t dialect_flags[NDIALECTS] = {
	0xa208b205, 0xa208b207, 0xb207, 0xb205, 0xb206
};


/*
 * A message being written: a fixed header, then payload fields appended
 * at pos, each described in the header by a security buffer (Len u16,
 * MaxLen u16, Offset u32). The first error sticks.
 */
struct msgw {
	unsigned char	*out;
	size_t		 size, pos;
	const char	*err;
};

/* Appends n bytes for the field whose security buffer is at hdr; returns
 * where to write them, or NULL after an error. */
static unsigned char *
msg_field(struct msgw *w, size_t hdr, size_t n)
{
	unsigned char *p;

	if (w->err != NULL)
		return NULL;
	if (n > 0xffff) {
		w->err = "NTLM message field over 65535 bytes";
		return NULL;
	}
	if (n > w->size - w->pos || w->pos > UINT32_MAX - n) {
		w->err = "NTLM message does not fit its buffer";
		return NULL;
	}
	le16enc(w->out + hdr, (uint16_t)n);
	le16enc(w->out + hdr + 2, (uint16_t)n);
	le32enc(w->out + hdr + 4, (uint32_t)w->pos);
	p = w->out + w->pos;
	w->pos += n;
	return p;
}

/* Starts a message of type t with a header of hl bytes. */
static int
msg_start(struct msgw *w, unsigned char *out, size_t size, uint32_t t,
    size_t hl)
{
	w->out = out;
	w->size = size;
	w->pos = hl;
	w->err = NULL;
	if (size < hl) {
		w->err = "NTLM message does not fit its buffer";
		return -1;
	}
	memset(out, 0, hl);
	memcpy(out, ntlmssp_sig, sizeof(ntlmssp_sig));
	le32enc(out + 8, t);
	return 0;
}

/* The Version field: the given 8 bytes, or a zero version of NTLM
 * revision 15 (NTLMSSP_REVISION_W2K3), which claims no Windows build. */
static void
put_version(unsigned char *p, const unsigned char *version)
{
	if (version != NULL)
		memcpy(p, version, 8);
	else {
		memset(p, 0, 8);
		p[7] = 0x0f;
	}
}

/* An OEM string field, ASCII upper-cased if asked. */
static void
put_oem(struct msgw *w, size_t hdr, const char *s, int upper)
{
	size_t i, n = s != NULL ? strlen(s) : 0;
	unsigned char *p = msg_field(w, hdr, n);

	for (i = 0; p != NULL && i < n; i++)
		p[i] = upper ? ascii_upper((unsigned char)s[i]) :
		    (unsigned char)s[i];
}

long
ntlm_build_type1(enum ntlm_dialect d, uint32_t flags, const char *domain,
    const char *workstation, unsigned char *out, size_t size)
{
	struct msgw w;
	int hasdom = domain != NULL && *domain != '\0';
	int hasws = workstation != NULL && *workstation != '\0';

	if (flags == 0)
		flags = (size_t)d < NDIALECTS ? dialect_flags[d] : 0;
	flags &= ~(uint32_t)(NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED |
	    NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED);
	if (hasdom)
		flags |= NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED;
	if (hasws)
		flags |= NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED;
	if (msg_start(&w, out, size, 1,
	    flags & NTLMSSP_NEGOTIATE_VERSION ? 40 : 32) == -1)
		return -1;
	le32enc(out + 12, flags);
	if (flags & NTLMSSP_NEGOTIATE_VERSION)
		put_version(out + 32, NULL);
	put_oem(&w, 16, hasdom ? domain : NULL, 1);
	put_oem(&w, 24, hasws ? workstation : NULL, 1);
	return w.err != NULL ? -1 : (long)w.pos;
}

static int
fail_ch(struct ntlm_challenge *ch, const char *why)
{
	ch->error = why;
	return -1;
}

/* Reads the security buffer at hdr; a non-empty one must lie inside
 * msg[len] and after the fixed fields. */
static int
get_field(const unsigned char *msg, size_t len, size_t hdr,
    const unsigned char **p, size_t *n)
{
	size_t l = le16dec(msg + hdr);
	uint32_t off = le32dec(msg + hdr + 4);

	*p = NULL;
	*n = 0;
	if (l == 0)
		return 0;
	if (off < 32 || off > len || l > len - off)
		return -1;
	*p = msg + off;
	*n = l;
	return 0;
}

/* Walks the AV pairs of the target info, picking up MsvAvTimestamp. */
static int
walk_av_pairs(struct ntlm_challenge *ch)
{
	const unsigned char *p = ch->target_info;
	size_t n = ch->target_info_len, i = 0, alen;
	unsigned id;

	for (;;) {
		if (n - i < 4)
			return fail_ch(ch, "NTLM target info: no MsvAvEOL");
		id = le16dec(p + i);
		alen = le16dec(p + i + 2);
		i += 4;
		if (alen > n - i)
			return fail_ch(ch, "NTLM target info: AV pair "
			    "runs past its end");
		if (id == MSV_AV_EOL)
			return alen == 0 ? 0 : fail_ch(ch,
			    "NTLM target info: MsvAvEOL with a value");
		if (id == MSV_AV_TIMESTAMP) {
			if (alen != 8)
				return fail_ch(ch, "NTLM target info: "
				    "MsvAvTimestamp is not 8 bytes");
			ch->has_timestamp = 1;
			ch->timestamp = le64dec(p + i);
		}
		i += alen;
	}
}

int
ntlm_parse_type2(const unsigned char *msg, size_t len,
    struct ntlm_challenge *ch)
{
	memset(ch, 0, sizeof(*ch));
	if (len < 32)
		return fail_ch(ch, "NTLM Type 2 shorter than 32 bytes");
	if (memcmp(msg, ntlmssp_sig, sizeof(ntlmssp_sig)) != 0)
		return fail_ch(ch, "NTLM Type 2 without NTLMSSP signature");
	if (le32dec(msg + 8) != 2)
		return fail_ch(ch, "NTLM message is not a Type 2");
	if (get_field(msg, len, 12, &ch->target_name,
	    &ch->target_name_len) == -1)
		return fail_ch(ch, "NTLM Type 2 target name out of bounds");
	ch->flags = le32dec(msg + 20);
	memcpy(ch->challenge, msg + 24, 8);
	/* older servers end at 32 or 40 bytes, before TargetInfoFields */
	if (len < 48)
		return 0;
	if (get_field(msg, len, 40, &ch->target_info,
	    &ch->target_info_len) == -1)
		return fail_ch(ch, "NTLM Type 2 target info out of bounds");
	if (ch->target_info_len > 0 && walk_av_pairs(ch) == -1)
		return -1;
	return 0;
}

static uint32_t
type3_flags(const struct ntlm_challenge *ch, const struct ntlm_type3_opt *opt)
{
	uint32_t f;

	if (opt != NULL && opt->flags != 0)
		return opt->flags;
	/* no session key is sent; the target type is the server's to say */
	f = ch->flags & ~(uint32_t)(NTLMSSP_NEGOTIATE_KEY_EXCH |
	    NTLMSSP_TARGET_TYPE_DOMAIN | NTLMSSP_TARGET_TYPE_SERVER |
	    NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_NEGOTIATE_OEM);
	return f | (ch->flags & NTLMSSP_NEGOTIATE_UNICODE ?
	    NTLMSSP_NEGOTIATE_UNICODE : NTLMSSP_NEGOTIATE_OEM);
}

/* A name field: UTF-16LE under UNICODE, else its bytes. */
static void
put_name(struct msgw *w, size_t hdr, const char *s, int unicode, int upper)
{
	size_t n = strlen(s);
	long len;
	unsigned char *p;

	if (!unicode) {
		put_oem(w, hdr, s, upper);
		return;
	}
	if ((len = ntlm_utf16le(s, n, upper, NULL, 0)) < 0) {
		if (w->err == NULL)
			w->err = "NTLM name is not valid UTF-8";
		return;
	}
	if ((p = msg_field(w, hdr, (size_t)len)) != NULL)
		ntlm_utf16le(s, n, upper, p, (size_t)len);
}

static void
put_v2_responses(struct msgw *w, const struct ntlm_creds *c,
    const struct ntlm_challenge *ch, const unsigned char cchal[8],
    uint64_t filetime)
{
	uint64_t ts = ch->has_timestamp ? ch->timestamp : filetime;
	size_t n = 48 + ch->target_info_len;
	unsigned char *p;

	/* with a server timestamp, MS-NLMP 3.1.5.2.1 wants no LMv2 */
	if ((p = msg_field(w, 12, 24)) != NULL) {
		if (ch->has_timestamp)
			memset(p, 0, 24);
		else
			ntlm_lmv2(c->v2, ch->challenge, cchal, p);
	}
	if ((p = msg_field(w, 20, n)) != NULL)
		ntlm_v2_response(c->v2, ch->challenge, cchal, ts,
		    ch->target_info, ch->target_info_len, p, n);
}

static void
put_responses(struct msgw *w, const struct ntlm_creds *c,
    enum ntlm_dialect d, const struct ntlm_challenge *ch,
    const unsigned char cchal[8], uint64_t filetime)
{
	unsigned char lm[24], nt[24], *p;
	size_t ntlen = 24;

	memset(lm, 0, sizeof(lm));
	memset(nt, 0, sizeof(nt));
	switch (d) {
	case NTLM_NTLMV2:
		put_v2_responses(w, c, ch, cchal, filetime);
		return;
	case NTLM_NTLM2SR:
		ntlm_ntlm2sr(c->nt, ch->challenge, cchal, lm, nt);
		break;
	case NTLM_NTLM:
		ntlm_desl(c->lm, ch->challenge, lm);
		ntlm_desl(c->nt, ch->challenge, nt);
		break;
	case NTLM_NT:
		ntlm_desl(c->nt, ch->challenge, nt);
		memcpy(lm, nt, sizeof(lm));
		break;
	case NTLM_LM:
		ntlm_desl(c->lm, ch->challenge, lm);
		ntlen = 0;
		break;
	}
	if ((p = msg_field(w, 12, sizeof(lm))) != NULL)
		memcpy(p, lm, sizeof(lm));
	if ((p = msg_field(w, 20, ntlen)) != NULL)
		memcpy(p, nt, ntlen);
}

long
ntlm_build_type3(const struct ntlm_creds *c, enum ntlm_dialect d,
    const struct ntlm_challenge *ch, const unsigned char cchal[8],
    uint64_t filetime, const struct ntlm_type3_opt *opt, unsigned char *out,
    size_t size, const char **err)
{
	struct msgw w;
	uint32_t flags = type3_flags(ch, opt);
	int uni = (flags & NTLMSSP_NEGOTIATE_UNICODE) != 0;
	size_t klen = opt != NULL && opt->session_key != NULL ?
	    opt->session_key_len : 0;
	const char *why;
	unsigned char *p;

	if ((why = ntlm_creds_check(c, d)) != NULL)
		return fail_err(err, why);
	if (msg_start(&w, out, size, 3,
	    flags & NTLMSSP_NEGOTIATE_VERSION ? 72 : 64) == -1)
		return fail_err(err, w.err);
	le32enc(out + 60, flags);
	if (flags & NTLMSSP_NEGOTIATE_VERSION)
		put_version(out + 64, opt != NULL ? opt->version : NULL);
	put_name(&w, 28, c->domain, uni, c->upper_domain);
	put_name(&w, 36, c->user, uni, 0);
	put_name(&w, 44, c->workstation, uni, 0);
	put_responses(&w, c, d, ch, cchal, filetime);
	if ((p = msg_field(&w, 52, klen)) != NULL && klen > 0)
		memcpy(p, opt->session_key, klen);
	if (w.err != NULL)
		return fail_err(err, w.err);
	return (long)w.pos;
}

/* ----------------------------------------------------------- HTTP values */

long
ntlm_http_encode(const char *scheme, const unsigned char *msg, size_t len,
    char *out, size_t size)
{
	size_t sl = strlen(scheme);
	long n;

	if (size < sl + 2)
		return -1;
	memcpy(out, scheme, sl);
	out[sl++] = ' ';
	if ((n = base64_encode(msg, len, out + sl, size - sl)) < 0)
		return -1;
	return n + (long)sl;
}

long
ntlm_http_type1(const char *scheme, enum ntlm_dialect d, uint32_t flags,
    const char *domain, const char *workstation, char *out, size_t size)
{
	unsigned char m[NTLM_MSG_MAX];
	long n;

	if ((n = ntlm_build_type1(d, flags, domain, workstation, m,
	    sizeof(m))) < 0)
		return -1;
	return ntlm_http_encode(scheme, m, (size_t)n, out, size);
}

long
ntlm_http_type3(const char *scheme, const struct ntlm_creds *c,
    enum ntlm_dialect d, const struct ntlm_challenge *ch,
    const unsigned char cchal[8], uint64_t filetime, char *out, size_t size,
    const char **err)
{
	unsigned char m[NTLM_MSG_MAX];
	long n;

	if ((n = ntlm_build_type3(c, d, ch, cchal, filetime, NULL, m,
	    sizeof(m), err)) < 0)
		return -1;
	if ((n = ntlm_http_encode(scheme, m, (size_t)n, out, size)) < 0)
		return fail_err(err, "NTLM header value does not fit");
	return n;
}

static int
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

/*
 * Decodes a base64 token; its '=' padding may be missing (some servers
 * drop it) but, when present, must be right.
 */
static long
b64_decode_lax(const char *s, size_t n, unsigned char *out, size_t size)
{
	char tail[4];
	size_t rem = n % 4;
	long a, b;

	if (n > 0 && s[n - 1] == '=')
		return base64_decode(s, n, out, size);
	if (rem == 1)
		return -1;
	if ((a = base64_decode(s, n - rem, out, size)) < 0 || rem == 0)
		return a;
	memcpy(tail, "====", 4);
	memcpy(tail, s + n - rem, rem);
	if ((b = base64_decode(tail, 4, out + a, size - (size_t)a)) < 0)
		return -1;
	return a + b;
}

int
ntlm_http_challenge(const char *value, size_t n, unsigned char *buf,
    size_t size, struct ntlm_challenge *ch)
{
	size_t i = 4, start, tlen;

	memset(ch, 0, sizeof(*ch));
	if (n < 4 || !strncaseeq(value, 4, "NTLM") ||
	    (n > 4 && !is_ows(value[4])))
		return fail_ch(ch, "not an NTLM challenge");
	while (i < n && is_ows(value[i]))
		i++;
	for (start = i; i < n && is_b64(value[i]); i++)
		;
	tlen = i - start;
	while (i < n && is_ows(value[i]))
		i++;
	if (i != n)
		return fail_ch(ch, "NTLM challenge: junk after the token");
	if (tlen == 0)
		return 0;
	return ntlm_http_token(value + start, tlen, buf, size, ch);
}

int
ntlm_http_token(const char *token, size_t n, unsigned char *buf,
    size_t size, struct ntlm_challenge *ch)
{
	long len;

	memset(ch, 0, sizeof(*ch));
	if ((len = b64_decode_lax(token, n, buf, size)) < 0)
		return fail_ch(ch, "NTLM challenge: bad base64 or too long");
	if (ntlm_parse_type2(buf, (size_t)len, ch) == -1)
		return -1;
	return 1;
}

#else	/* !WITH_NTLM: make NTLM=0; the flags that need these exit 2 */

long
ntlm_http_type1(const char *scheme, enum ntlm_dialect d, uint32_t flags,
    const char *domain, const char *workstation, char *out, size_t size)
{
	(void)scheme;
	(void)d;
	(void)flags;
	(void)domain;
	(void)workstation;
	(void)out;
	(void)size;
	return -1;
}

long
ntlm_http_type3(const char *scheme, const struct ntlm_creds *c,
    enum ntlm_dialect d, const struct ntlm_challenge *ch,
    const unsigned char cchal[8], uint64_t filetime, char *out, size_t size,
    const char **err)
{
	(void)scheme;
	(void)c;
	(void)d;
	(void)ch;
	(void)cchal;
	(void)filetime;
	(void)out;
	(void)size;
	return fail_err(err, "built without NTLM");
}

int
ntlm_http_challenge(const char *value, size_t n, unsigned char *buf,
    size_t size, struct ntlm_challenge *ch)
{
	(void)value;
	(void)n;
	(void)buf;
	(void)size;
	(void)ch;
	return -1;
}

int
ntlm_http_token(const char *token, size_t n, unsigned char *buf,
    size_t size, struct ntlm_challenge *ch)
{
	(void)token;
	(void)n;
	(void)buf;
	(void)size;
	memset(ch, 0, sizeof(*ch));
	ch->error = "built without NTLM";
	return -1;
}

#endif	/* WITH_NTLM */
