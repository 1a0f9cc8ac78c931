/*
 * unit_ntlm: known-answer tests for auth_ntlm.c (RFC 1320, RFC 1321,
 * RFC 2202, FIPS 46 DES, MS-NLMP 4.2, cntlm -H), the Type 2 parser on good
 * and malformed input, and a Type 1 -> Type 2 -> Type 3 round trip.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "check.h"

#if WITH_NTLM

/* ------------------------------------------------------------- helpers */

static size_t
unhex(const char *h, unsigned char *out)
{
	size_t i, n = strlen(h) / 2;
	unsigned v;

	for (i = 0; i < n; i++) {
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			abort();
		out[i] = (unsigned char)v;
	}
	return n;
}

static char hexbuf[4][2048];

static const char *
tohex(const unsigned char *b, size_t n)
{
	static int k;
	char *s = hexbuf[k++ % 4];
	size_t i;

	if (n > 1000)
		n = 1000;
	for (i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	s[2 * n] = '\0';
	return s;
}

#define CHECK_HEX(b, n, want) \
	check_str(tohex((b), (n)), (want), #b, __FILE__, __LINE__)

/* RC4, only to recompute MS-NLMP's EncryptedRandomSessionKey values. */
static void
rc4(const unsigned char *key, size_t klen, const unsigned char *in,
    unsigned char *out, size_t n)
{
	unsigned char s[256], t;
	unsigned i, j = 0, k;

	for (i = 0; i < 256; i++)
		s[i] = (unsigned char)i;
	for (i = 0; i < 256; i++) {
		j = (j + s[i] + key[i % klen]) & 0xff;
		t = s[i];
		s[i] = s[j];
		s[j] = t;
	}
	for (i = j = k = 0; k < n; k++) {
		i = (i + 1) & 0xff;
		j = (j + s[i]) & 0xff;
		t = s[i];
		s[i] = s[j];
		s[j] = t;
		out[k] = in[k] ^ s[(s[i] + s[j]) & 0xff];
	}
}

/* Reads a Type 3 security buffer; NULL if it lies outside msg[len]. */
static const unsigned char *
field(const unsigned char *msg, size_t len, size_t hdr, size_t *n)
{
	size_t l = le16dec(msg + hdr), off = le32dec(msg + hdr + 4);

	*n = l;
	if (le16dec(msg + hdr + 2) != l || off > len || l > len - off)
		return NULL;
	return msg + off;
}

/* MS-NLMP 4.2.1 */
static const unsigned char schal[8] = {
	0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef
};
static const unsigned char cchal[8] = {
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa
};
static const unsigned char version[8] = {
	0x05, 0x01, 0x28, 0x0a, 0x00, 0x00, 0x00, 0x0f
};
static unsigned char random_key[16];

/* MS-NLMP 4.2.3.2 CHALLENGE, 68 bytes */
static const char chal423[] =
    "4e544c4d53535000020000000c000c003800000033820a820123456789abcdef"
    "00000000000000000000000000000000060070170000000f5300650072007600"
    "65007200";
/* MS-NLMP 4.2.4.3 CHALLENGE, 104 bytes (TargetNameLen 3 is an erratum) */
static const char chal424[] =
    "4e544c4d535350000200000003000c003800000033828ae20123456789abcdef"
    "00000000000000002400240044000000060070170000000f5300650072007600"
    "650072000200"
    "0c0044006f006d00610069006e0001000c005300650072007600650072000000"
    "0000";
/* MS-NLMP 4.2.2.3 CHALLENGE as published: TargetName beyond the end */
static const char chal422[] =
    "4e544c4d53535000020000000c000c0038000000338202e20123456789abcdef"
    "060070170000000f530065007200760065007200";

/* ------------------------------------------------------------ digests */

static const char *const digest_in[] = {
	"", "a", "abc", "message digest", "abcdefghijklmnopqrstuvwxyz",
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	("1234567890123456789012345678901234567890"
	"1234567890123456789012345678901234567890")
};
static const char *const md4_out[] = {	/* RFC 1320 A.5 */
	"31d6cfe0d16ae931b73c59d7e0c089c0", "bde52cb31de33e46245e05fbdbd6fb24",
	"a448017aaf21d8525fc10ae87aa6729d", "d9130a8164549fe818874806e1c7014b",
	"d79e1c308aa5bbcdeea8ed63df412da9", "043f8582f241db351ce627e153e7f0e4",
	"e33b4ddc9c38f2199c3e7b164fcc0536"
};
static const char *const md5_out[] = {	/* RFC 1321 A.5 */
	"d41d8cd98f00b204e9800998ecf8427e", "0cc175b9c0f1b6a831c399e269772661",
	"900150983cd24fb0d6963f7d28e17f72", "f96b697d7cb7938d525a2f31aaf161d0",
	"c3fcd3d76192e4007dfb496cca67e13b", "d174ab98d277d9f5a5611c2c9f419d9f",
	"57edf4a22be3c955ac49da2e2107b67a"
};

/* Every input whole, byte by byte, and split at every offset. */
static void
test_md4_md5(void)
{
	unsigned char h[16];
	struct md4_ctx c4;
	struct md5_ctx c5;
	size_t i, j, n, split;
	int ok4, ok5;

	for (i = 0; i < sizeof(digest_in) / sizeof(digest_in[0]); i++) {
		n = strlen(digest_in[i]);
		md4_digest(digest_in[i], n, h);
		CHECK_HEX(h, 16, md4_out[i]);
		md5_digest(digest_in[i], n, h);
		CHECK_HEX(h, 16, md5_out[i]);
		md4_init(&c4);
		md5_init(&c5);
		for (j = 0; j < n; j++) {
			md4_update(&c4, digest_in[i] + j, 1);
			md5_update(&c5, digest_in[i] + j, 1);
		}
		md4_final(&c4, h);
		CHECK_HEX(h, 16, md4_out[i]);
		md5_final(&c5, h);
		CHECK_HEX(h, 16, md5_out[i]);
		ok4 = ok5 = 1;
		for (split = 0; split <= n; split++) {
			md4_init(&c4);
			md4_update(&c4, digest_in[i], split);
			md4_update(&c4, NULL, 0);
			md4_update(&c4, digest_in[i] + split, n - split);
			md4_final(&c4, h);
			ok4 &= strcmp(tohex(h, 16), md4_out[i]) == 0;
			md5_init(&c5);
			md5_update(&c5, digest_in[i], split);
			md5_update(&c5, digest_in[i] + split, n - split);
			md5_final(&c5, h);
			ok5 &= strcmp(tohex(h, 16), md5_out[i]) == 0;
		}
		CHECK(ok4);
		CHECK(ok5);
	}
}

/* Padding boundaries: lengths 55, 56, 63, 64, 65 and a long input. */
static void
test_md_lengths(void)
{
	unsigned char buf[1000], h[16];

	static const struct {
		size_t n;
		const char *md4, *md5;
	} v[] = {		/* "a" x n, from OpenSSL */
		{ 55, "c889c81dd86c4d2e025778944ea02881",
		  "ef1772b6dff9a122358552954ad0df65" },
		{ 56, "d5f9a9e9257077a5f08b0b92f348b0ad",
		  "3b0c8ac703f828b04c6c197006d17218" },
		{ 63, "7ea3da77432d44c323671097d1348fc8",
		  "b06521f39153d618550606be297466d5" },
		{ 64, "52f5076fabd22680234a3fa9f9dc5732",
		  "014842d480b571495a4a0363793f7367" },
		{ 65, "330e377bf231f3cacfecc2c182fe7e5b",
		  "c743a45e0d2e6a95cb859adae0248435" },
		{ 1000, "5f1bf26a8067c9159b91f1440f7c9e8a",
		  "cabe45dcc9ae5b66ba86600cca6b8ba8" },
	};
	size_t i;

	memset(buf, 'a', sizeof(buf));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		md4_digest(buf, v[i].n, h);
		CHECK_HEX(h, 16, v[i].md4);
		md5_digest(buf, v[i].n, h);
		CHECK_HEX(h, 16, v[i].md5);
	}
}

static void
test_hmac_md5(void)
{
	static const struct {
		const char *key, *data, *mac;
	} v[] = {		/* RFC 2202 section 2 (hex key and data) */
		{ "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
		  "9294727a3638bb1c13f48ef8158bfc9d" },
		{ "4a656665", "7768617420646f2079612077616e7420666f72"
		  "206e6f7468696e673f", "750c783e6ab0b503eaa86e310a5db738" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "dddddddddddddddddddd"
		  "dddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
		  "dddddddddddddddddddddddd",
		  "56be34521d144c88dbb8c733f0e8b3f6" },
		{ "0102030405060708090a0b0c0d0e0f10111213141516171819",
		  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
		  "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
		  "697eaf0aca3a3aea3a75164746ffaa79" },
		{ "0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c",
		  "546573742057697468205472756e636174696f6e",
		  "56461ef2342edc00f9bab995690efd4c" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "54657374205573696e67204c6172676572205468616e20426c6f636b"
		  "2d53697a65204b6579202d2048617368204b6579204669727374",
		  "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "54657374205573696e67204c6172676572205468616e20426c6f636b"
		  "2d53697a65204b657920616e64204c6172676572205468616e204f6e"
		  "6520426c6f636b2d53697a652044617461",
		  "6f630fad67cda0ee1fb1f562db3aa53e" },
	};
	unsigned char key[100], data[100], mac[16];
	struct hmac_md5_ctx ctx;
	size_t i, j, kl, dl;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		kl = unhex(v[i].key, key);
		dl = unhex(v[i].data, data);
		hmac_md5(key, kl, data, dl, mac);
		CHECK_HEX(mac, 16, v[i].mac);
		hmac_md5_init(&ctx, key, kl);
		for (j = 0; j < dl; j++)
			hmac_md5_update(&ctx, data + j, 1);
		hmac_md5_final(&ctx, mac);
		CHECK_HEX(mac, 16, v[i].mac);
	}
}

/* ---------------------------------------------------------------- DES */

static void
test_des(void)
{
	static const char *const v[][3] = {	/* key, plain, cipher */
		{ "133457799bbcdff1", "0123456789abcdef", "85e813540f0ab405" },
		{ "0000000000000000", "0000000000000000", "8ca64de9c1b123a7" },
		{ "ffffffffffffffff", "ffffffffffffffff", "7359b2163e4edc58" },
		{ "0123456789abcdef", "4e6f772069732074", "3fa40e8a984d4815" },
		{ "fedcba9876543210", "0123456789abcdef", "ed39d950fa74bcc4" },
		/* the first key with other parity bits */
		{ "123456789abcdef0", "0123456789abcdef", "85e813540f0ab405" },
	};
	unsigned char key[8], in[8], out[8], key2[8];
	unsigned char k7[7] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	size_t i;

	for (i = 0; i < 6; i++) {
		unhex(v[i][0], key);
		unhex(v[i][1], in);
		des_encrypt_block(key, in, out);
		CHECK_HEX(out, 8, v[i][2]);
	}
	/* a key and the same key with every parity bit flipped agree */
	unhex(v[5][0], key);
	unhex(v[5][1], in);
	des_encrypt_block(key, in, out);
	for (i = 0; i < 8; i++)
		key2[i] = key[i] ^ 1;
	des_encrypt_block(key2, in, key);
	CHECK_MEM(out, key, 8);

	des_expand_key(k7, key);
	CHECK_HEX(key, 8, "fefefefefefefefe");
	unhex("00010203040506", k7);
	des_expand_key(k7, key);
	CHECK_HEX(key, 8, "000040403020140c");
}

/* ------------------------------------------------------------- UTF-16 */

static void
test_utf16(void)
{
	unsigned char out[64];
	static const char *const bad[] = {
		"\x80", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf",
		"\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x8f\xbf\xbf",
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xe2\x82",
		"a\xc3", "\xc3\x28", "\xf0\x9d\x84"
	};
	size_t i;

	CHECK_EQ(ntlm_utf16le("Ab", 2, 0, out, sizeof(out)), 4);
	CHECK_HEX(out, 4, "41006200");
	/* U+00E4, U+20AC, U+1D11E (a surrogate pair), U+007F */
	CHECK_EQ(ntlm_utf16le("\xc3\xa4\xe2\x82\xac\xf0\x9d\x84\x9e\x7f", 10,
	    0, out, sizeof(out)), 10);
	CHECK_HEX(out, 10, "e400ac2034d81edd7f00");
	CHECK_EQ(ntlm_utf16le("\xf4\x8f\xbf\xbf", 4, 0, out, sizeof(out)), 4);
	CHECK_HEX(out, 4, "ffdbffdf");
	CHECK_EQ(ntlm_utf16le("\xef\xbf\xbf", 3, 0, out, sizeof(out)), 2);
	CHECK_HEX(out, 2, "ffff");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(ntlm_utf16le(bad[i], strlen(bad[i]), 0, out,
		    sizeof(out)), -1);
	/* counting only, and too small a buffer */
	CHECK_EQ(ntlm_utf16le("\xf0\x9d\x84\x9ex", 5, 0, NULL, 0), 6);
	CHECK_EQ(ntlm_utf16le("abc", 3, 0, out, 5), -1);
	CHECK_EQ(ntlm_utf16le("\xf0\x9d\x84\x9e", 4, 0, out, 3), -1);
	CHECK_EQ(ntlm_utf16le("", 0, 0, out, 0), 0);

	/* upper-casing: ASCII, Latin-1 (not sharp s, micro, division) */
	CHECK_EQ(ntlm_utf16le("az{`@", 5, 1, out, sizeof(out)), 10);
	CHECK_HEX(out, 10, "41005a007b0060004000");
	CHECK_EQ(ntlm_utf16le("\xc3\xa0\xc3\xbe\xc3\xbf\xc3\x9f\xc2\xb5"
	    "\xc3\xb7\xc3\x80", 14, 1, out, sizeof(out)), 14);
	CHECK_HEX(out, 14, "c000de007801df00b500f700c000");
	/* Latin Extended-A: a-ogonek, dotless i, l-stroke, z-caron, long s */
	CHECK_EQ(ntlm_utf16le("\xc4\x85\xc4\xb1\xc5\x82\xc5\xbe\xc5\xbf", 10,
	    1, out, sizeof(out)), 10);
	CHECK_HEX(out, 10, "0401310141017d017f01");
	/* Greek: alpha-tonos, sigma, final sigma, omega-tonos */
	CHECK_EQ(ntlm_utf16le("\xce\xac\xcf\x83\xcf\x82\xcf\x8e", 8, 1, out,
	    sizeof(out)), 8);
	CHECK_HEX(out, 8, "8603a303c2038f03");
	/* Greek: epsilon-tonos, omicron-tonos, upsilon-tonos */
	CHECK_EQ(ntlm_utf16le("\xce\xad\xcf\x8c\xcf\x8d", 6, 1, out,
	    sizeof(out)), 6);
	CHECK_HEX(out, 6, "88038c038e03");
	/* Cyrillic: zhe, io; Armenian ayb is left alone */
	CHECK_EQ(ntlm_utf16le("\xd0\xb6\xd1\x91\xd5\xa1", 6, 1, out,
	    sizeof(out)), 6);
	CHECK_HEX(out, 6, "160401046105");
}

/* ------------------------------------------------------------- hashes */

/* MS-NLMP 4.2.2: NTLMv1 and every intermediate value the spec lists. */
static void
test_nlmp_v1(void)
{
	unsigned char lm[16], nt[16], sbk[16], kx[16], r[24], ek[16], k7[7];
	static const unsigned char bd[6] = {
		0xbd, 0xbd, 0xbd, 0xbd, 0xbd, 0xbd
	};
	unsigned char k8[8];

	ntlm_lm_hash("Password", lm);
	CHECK_HEX(lm, 16, "e52cac67419a9a224a3b108f3fa6cb6d");
	CHECK_EQ(ntlm_nt_hash("Password", nt), 0);
	CHECK_HEX(nt, 16, "a4f49c406510bdcab6824ee7c30fd852");
	md4_digest(nt, 16, sbk);
	CHECK_HEX(sbk, 16, "d87262b0cde4b1cb7499becccdf10784");
	ntlm_desl(nt, schal, r);
	CHECK_HEX(r, 24, "67c43011f30298a2ad35ece64f16331c44bdbed927841f94");
	ntlm_desl(lm, schal, r);
	CHECK_HEX(r, 24, "98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13");
	rc4(sbk, 16, random_key, ek, 16);
	CHECK_HEX(ek, 16, "518822b1b3f350c8958682ecbb3e3cb7");

	/* KXKEY with NEGOTIATE_LM_KEY: DES of LmResp[0..7] under LMOWF */
	des_expand_key(lm, k8);
	des_encrypt_block(k8, r, kx);
	k7[0] = lm[7];
	memcpy(k7 + 1, bd, 6);
	des_expand_key(k7, k8);
	des_encrypt_block(k8, r, kx + 8);
	CHECK_HEX(kx, 16, "b09e379f7fbecb1eaf0afdcb0383c8a0");
	rc4(kx, 16, random_key, ek, 16);
	CHECK_HEX(ek, 16, "4cd7bb57d697ef9b549f02b8f9b37864");
	/* with REQUEST_NON_NT_SESSION_KEY */
	memcpy(kx, lm, 8);
	memset(kx + 8, 0, 8);
	CHECK_HEX(kx, 16, "e52cac67419a9a220000000000000000");
	rc4(kx, 16, random_key, ek, 16);
	CHECK_HEX(ek, 16, "7452ca55c225a1ca04b48fae32cf56fc");

	/* lower case gives the same LM hash; past 14 bytes is cut */
	ntlm_lm_hash("password", r);
	CHECK_MEM(r, lm, 16);
	ntlm_lm_hash("Password123456789", r);
	ntlm_lm_hash("PASSWORD123456", lm);
	CHECK_MEM(r, lm, 16);
	ntlm_lm_hash("", r);
	CHECK_HEX(r, 16, "aad3b435b51404eeaad3b435b51404ee");
}

/* MS-NLMP 4.2.3: NTLMv1 with client challenge (NTLM2 session response). */
static void
test_nlmp_ntlm2sr(void)
{
	unsigned char nt[16], sbk[16], lmr[24], ntr[24], kx[16];
	struct hmac_md5_ctx ctx;

	ntlm_nt_hash("Password", nt);
	md4_digest(nt, 16, sbk);
	CHECK_HEX(sbk, 16, "d87262b0cde4b1cb7499becccdf10784");
	ntlm_ntlm2sr(nt, schal, cchal, lmr, ntr);
	CHECK_HEX(lmr, 24, "aaaaaaaaaaaaaaaa00000000000000000000000000000000");
	CHECK_HEX(ntr, 24, "7537f803ae367128ca458204bde7caf81e97ed2683267232");
	hmac_md5_init(&ctx, sbk, 16);
	hmac_md5_update(&ctx, schal, 8);
	hmac_md5_update(&ctx, lmr, 8);
	hmac_md5_final(&ctx, kx);
	CHECK_HEX(kx, 16, "eb93429a8bd952f8b89c55b87f475edc");
}

/* MS-NLMP 4.2.4: NTLMv2. */
static void
test_nlmp_v2(void)
{
	unsigned char nt[16], v2[16], resp[200], lmr[24], sbk[16], ek[16];
	unsigned char ti[64];
	size_t tl;

	tl = unhex("02000c0044006f006d00610069006e0001000c00530065007200"
	    "76006500720000000000", ti);
	ntlm_nt_hash("Password", nt);
	CHECK_EQ(ntlm_v2_hash(nt, "User", "Domain", v2), 0);
	CHECK_HEX(v2, 16, "0c868a403bfd7a93a3001ef22ef02e3f");
	CHECK_EQ(ntlm_v2_response(v2, schal, cchal, 0, ti, tl, resp,
	    sizeof(resp)), 16 + 28 + 36 + 4);
	CHECK_HEX(resp, 16, "68cd0ab851e51c96aabc927bebef6a1c");
	CHECK_HEX(resp + 16, 68, "0101000000000000000000000000000"
	    "0aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e000100"
	    "0c005300650072007600650072000000000000000000");
	ntlm_lmv2(v2, schal, cchal, lmr);
	CHECK_HEX(lmr, 24, "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa");
	hmac_md5(v2, 16, resp, 16, sbk);
	CHECK_HEX(sbk, 16, "8de40ccadbc14a82f15cb0ad0de95ca3");
	rc4(sbk, 16, random_key, ek, 16);
	CHECK_HEX(ek, 16, "c5dad2544fc9799094ce1ce90bc9d03e");

	/* no target info: the blob is 28 + 4 bytes */
	CHECK_EQ(ntlm_v2_response(v2, schal, cchal, 0, NULL, 0, resp,
	    sizeof(resp)), 48);
	CHECK_HEX(resp + 16, 32, "0101000000000000000000000000000"
	    "0aaaaaaaaaaaaaaaa0000000000000000");
	CHECK_EQ(ntlm_v2_response(v2, schal, cchal, 0, ti, tl, resp, 83), -1);
	CHECK_EQ(ntlm_v2_response(v2, schal, cchal, 0, ti, tl, resp, 84), 84);
	CHECK_EQ(ntlm_v2_response(v2, schal, cchal, 0, NULL, 0, resp, 47), -1);

	CHECK_EQ(ntlm_filetime(0), UINT64_C(116444736000000000));
	CHECK_EQ(ntlm_filetime(1700000000),
	    UINT64_C(133444736000000000));
	/* after 2038 (2040-01-01): time_t is 64 bits on every target the
	 * Makefile builds, 32-bit glibc ones included (_TIME_BITS=64) */
	CHECK_EQ(sizeof(time_t), 8);
	CHECK_EQ(ntlm_filetime((time_t)INT64_C(2208988800)),
	    UINT64_C(138534624000000000));
}

/* cntlm -H vectors (tech-notes.md 3.6, anchors.md 2.3). */
static void
test_cntlm_hashes(void)
{
	struct ntlm_creds c;
	char out[512];
	const char *err = NULL;
	unsigned char v2[16];

	CHECK_EQ(ntlm_creds_init(&c, "User", "Domain", NULL, &err), 0);
	CHECK_EQ(ntlm_creds_set_password(&c, "Password", &err), 0);
	CHECK_EQ(ntlm_format_hashes(&c, out, sizeof(out)), 190);
	CHECK_STR(out,
	    "PassLM          E52CAC67419A9A224A3B108F3FA6CB6D\n"
	    "PassNT          A4F49C406510BDCAB6824EE7C30FD852\n"
	    "PassNTLMv2      F38EFEA48ADA6AFAA95AE44669E5634B    "
	    "# Only for user 'User', domain 'Domain'\n");
	/* cntlm form differs from NTOWFv2 by the domain's case only */
	CHECK_EQ(ntlm_v2_hash_cntlm(c.nt, "user", "domain", v2), 0);
	CHECK_HEX(v2, 16, "f38efea48ada6afaa95ae44669e5634b");
	CHECK_EQ(ntlm_v2_hash(c.nt, "User", "DOMAIN", v2), 0);
	CHECK_HEX(v2, 16, "f38efea48ada6afaa95ae44669e5634b");
	CHECK_EQ(ntlm_format_hashes(&c, out, 190), -1);
	CHECK_EQ(ntlm_format_hashes(&c, out, 191), 190);

	ntlm_creds_init(&c, "testuser", "corp-uk", "", &err);
	ntlm_creds_set_password(&c, "password", &err);
	ntlm_format_hashes(&c, out, sizeof(out));
	CHECK_STR(out,
	    "PassLM          E52CAC67419A9A224A3B108F3FA6CB6D\n"
	    "PassNT          8846F7EAEE8FB117AD06BDD830B7586C\n"
	    "PassNTLMv2      E097C611EA19C676CD79309A3A2F59A3    "
	    "# Only for user 'testuser', domain 'corp-uk'\n");
	ntlm_v2_hash(c.nt, "testuser", "corp-uk", v2);
	CHECK_HEX(v2, 16, "b3ec5326a7b3ed5977a59db999fc7092");

	/*
	 * Non-ASCII: user "Üser", password "Pässword". LM matches cntlm
	 * (bytes, ASCII upper-casing); NT and NTLMv2 are the correct UTF-16
	 * values, not cntlm's byte-widened 325E1F83... and 31091208...
	 */
	ntlm_creds_init(&c, "\xc3\x9cser", "Domain", "", &err);
	CHECK_EQ(ntlm_creds_set_password(&c, "P\xc3\xa4ssword", &err), 0);
	CHECK_HEX(c.lm, 16, "a6c024ef91d590b202657a8d8ef025e2");
	CHECK_HEX(c.nt, 16, "60da32612d814e31b59f18c43e1ce783");
	CHECK(strcmp(tohex(c.nt, 16), "325e1f833d8faffc69f9084b6a7da144"));
	CHECK_HEX(c.v2, 16, "5cbc30ae262c9b9189ed6217374f6940");
	CHECK(strcmp(tohex(c.v2, 16), "31091208c9314dceaffc27ea8945ca16"));
	ntlm_v2_hash(c.nt, "\xc3\xbcser", "Domain", v2);	/* upper(ü) */
	CHECK_HEX(v2, 16, "c4e4bc3042fa9a6f52fed73198310d32");
	/* a surrogate pair in the password */
	CHECK_EQ(ntlm_nt_hash("p\xc3\xa4\xf0\x9d\x84\x9e\xc3\x9f", v2), 0);
	CHECK_HEX(v2, 16, "6a9f2cd5c95a1965c913bdf9da774d3b");

	/* names that cannot be hashed */
	CHECK_EQ(ntlm_v2_hash(c.nt, "\xc3\x28", "Domain", v2), -1);
	CHECK_EQ(ntlm_v2_hash_cntlm(c.nt, "User", "\xff", v2), -1);
	memset(out, 'u', 256);
	out[256] = '\0';
	CHECK_EQ(ntlm_v2_hash(c.nt, out, "Domain", v2), -1);
	out[255] = '\0';
	CHECK_EQ(ntlm_v2_hash(c.nt, out, "Domain", v2), 0);

	/* MS-NLMP form when upper_domain is cleared before the password */
	ntlm_creds_init(&c, "User", "Domain", "", &err);
	c.upper_domain = 0;
	ntlm_creds_set_password(&c, "Password", &err);
	CHECK_HEX(c.v2, 16, "0c868a403bfd7a93a3001ef22ef02e3f");

	/* errors */
	ntlm_creds_init(&c, "User", "Domain", "", &err);
	err = NULL;
	CHECK_EQ(ntlm_creds_set_password(&c, "P\xe4ssword", &err), -1);
	CHECK_STR(err, "password is not valid UTF-8");
	CHECK_EQ(c.have, 0);
	CHECK_EQ(ntlm_format_hashes(&c, out, sizeof(out)), -1);
	CHECK_EQ(ntlm_creds_init(&c, "\xc3", "Domain", "", &err), -1);
	CHECK_STR(err, "user name is not valid UTF-8");
	memset(out, 'x', 300);
	out[300] = '\0';
	CHECK_EQ(ntlm_creds_init(&c, "u", out, "", &err), -1);
	CHECK_STR(err, "domain too long");
	out[255] = '\0';
	CHECK_EQ(ntlm_creds_init(&c, "u", out, "", &err), 0);
	out[256] = '\0';
	out[255] = 'x';
	CHECK_EQ(ntlm_creds_init(&c, "u", out, "", &err), -1);
	memset(out, 'p', 300);
	out[257] = '\0';
	CHECK_EQ(ntlm_creds_set_password(&c, out, &err), -1);
	CHECK_STR(err, "password too long");
	out[256] = '\0';
	CHECK_EQ(ntlm_creds_set_password(&c, out, &err), 0);
	ntlm_wipe(&c, sizeof(c));
	CHECK_EQ(c.have, 0);
	CHECK_EQ(c.nt[0] | c.nt[15] | c.user[0], 0);
}

static void
test_creds_misc(void)
{
	struct ntlm_creds c;
	enum ntlm_dialect d;
	char user[16], dom[16];
	const char *err = NULL;
	unsigned char h[16];

	CHECK(ntlm_dialect_parse("ntlmv2", &d) == 0 && d == NTLM_NTLMV2);
	CHECK(ntlm_dialect_parse("NTLM2SR", &d) == 0 && d == NTLM_NTLM2SR);
	CHECK(ntlm_dialect_parse("Ntlm", &d) == 0 && d == NTLM_NTLM);
	CHECK(ntlm_dialect_parse("nt", &d) == 0 && d == NTLM_NT);
	CHECK(ntlm_dialect_parse("LM", &d) == 0 && d == NTLM_LM);
	CHECK_EQ(ntlm_dialect_parse("NTLMv", &d), -1);
	CHECK_EQ(ntlm_dialect_parse("", &d), -1);
	CHECK_EQ(ntlm_dialect_parse("NTLMv2 ", &d), -1);
	CHECK_STR(ntlm_dialect_name(NTLM_NTLM2SR), "NTLM2SR");
	CHECK_STR(ntlm_dialect_name((enum ntlm_dialect)9), "unknown");

	strcpy(dom, "keep");
	CHECK_EQ(ntlm_split_user("CORP\\jdoe", user, sizeof(user), dom,
	    sizeof(dom)), 1);
	CHECK_STR(user, "jdoe");
	CHECK_STR(dom, "CORP");
	CHECK_EQ(ntlm_split_user("jdoe@corp.example", user, sizeof(user), dom,
	    sizeof(dom)), 1);
	CHECK_STR(user, "jdoe");
	CHECK_STR(dom, "corp.example");
	CHECK_EQ(ntlm_split_user("a@b@c", user, sizeof(user), dom,
	    sizeof(dom)), 1);
	CHECK_STR(user, "a@b");
	CHECK_STR(dom, "c");
	strcpy(dom, "keep");
	CHECK_EQ(ntlm_split_user("jdoe", user, sizeof(user), dom,
	    sizeof(dom)), 0);
	CHECK_STR(user, "jdoe");
	CHECK_STR(dom, "keep");
	CHECK_EQ(ntlm_split_user("\\jdoe", user, sizeof(user), dom,
	    sizeof(dom)), -1);
	CHECK_EQ(ntlm_split_user("jdoe@", user, sizeof(user), dom,
	    sizeof(dom)), -1);
	CHECK_EQ(ntlm_split_user("", user, sizeof(user), dom, sizeof(dom)),
	    -1);
	CHECK_EQ(ntlm_split_user("D\\averyveryverylongname", user,
	    sizeof(user), dom, sizeof(dom)), -1);

	CHECK_EQ(ntlm_hex16_parse("a4f49c406510bdcab6824ee7c30fd852", h), 0);
	CHECK_HEX(h, 16, "a4f49c406510bdcab6824ee7c30fd852");
	CHECK_EQ(ntlm_hex16_parse("A4F49C406510BDCAB6824EE7C30FD852", h), 0);
	CHECK_HEX(h, 16, "a4f49c406510bdcab6824ee7c30fd852");
	CHECK_EQ(ntlm_hex16_parse("A4F49C406510BDCAB6824EE7C30FD85", h), -1);
	CHECK_EQ(ntlm_hex16_parse("A4F49C406510BDCAB6824EE7C30FD8520", h),
	    -1);
	CHECK_EQ(ntlm_hex16_parse("A4F49C406510BDCAB6824EE7C30FD85G", h), -1);
	CHECK_EQ(ntlm_hex16_parse(" 4F49C406510BDCAB6824EE7C30FD852", h), -1);

	ntlm_creds_init(&c, "u", "d", "w", &err);
	CHECK_STR(ntlm_creds_check(&c, NTLM_NTLMV2),
	    "NTLMv2 needs PassNTLMv2 or a password");
	CHECK_EQ(ntlm_creds_set_hash(&c, NTLM_HAVE_NT,
	    "A4F49C406510BDCAB6824EE7C30FD852", &err), 0);
	CHECK(ntlm_creds_check(&c, NTLM_NT) == NULL);
	CHECK(ntlm_creds_check(&c, NTLM_NTLM2SR) == NULL);
	CHECK(ntlm_creds_check(&c, NTLM_NTLM) != NULL);
	CHECK(ntlm_creds_check(&c, NTLM_LM) != NULL);
	CHECK(ntlm_creds_check(&c, NTLM_NTLMV2) != NULL);
	CHECK(ntlm_creds_check(&c, (enum ntlm_dialect)7) != NULL);
	CHECK_EQ(ntlm_creds_set_hash(&c, NTLM_HAVE_LM, "xyz", &err), -1);
	CHECK_STR(err, "a hash is 32 hex digits");
	CHECK_EQ(ntlm_creds_set_hash(&c, 8, "A4F49C406510BDCAB6824EE7C30FD852",
	    &err), -1);
	CHECK_EQ(ntlm_creds_set_hash(&c, NTLM_HAVE_LM,
	    "E52CAC67419A9A224A3B108F3FA6CB6D", &err), 0);
	CHECK(ntlm_creds_check(&c, NTLM_NTLM) == NULL);
	CHECK_EQ(c.have, NTLM_HAVE_NT | NTLM_HAVE_LM);
	CHECK_EQ(ntlm_creds_set_hash(&c, NTLM_HAVE_V2,
	    "f38efea48ada6afaa95ae44669e5634b", &err), 0);
	CHECK(ntlm_creds_check(&c, NTLM_NTLMV2) == NULL);
	CHECK_HEX(c.v2, 16, "f38efea48ada6afaa95ae44669e5634b");
}

/* ------------------------------------------------------------- Type 2 */

static void
test_type2_spec(void)
{
	unsigned char m[200];
	struct ntlm_challenge ch;
	size_t n;

	n = unhex(chal423, m);
	CHECK_EQ(n, 68);
	CHECK_EQ(ntlm_parse_type2(m, n, &ch), 0);
	CHECK_EQ(ch.flags, 0x820a8233);
	CHECK_MEM(ch.challenge, schal, 8);
	CHECK(ch.target_name == m + 56);
	CHECK_EQ(ch.target_name_len, 12);
	CHECK(ch.target_info == NULL);
	CHECK_EQ(ch.target_info_len, 0);
	CHECK_EQ(ch.has_timestamp, 0);

	n = unhex(chal424, m);
	CHECK_EQ(n, 104);
	CHECK_EQ(ntlm_parse_type2(m, n, &ch), 0);
	CHECK_EQ(ch.flags, 0xe28a8233);
	CHECK(ch.target_info == m + 68);
	CHECK_EQ(ch.target_info_len, 36);
	CHECK_EQ(ch.target_name_len, 3);
	CHECK_EQ(ch.has_timestamp, 0);

	n = unhex(chal422, m);
	CHECK_EQ(ntlm_parse_type2(m, n, &ch), -1);
	CHECK_STR(ch.error, "NTLM Type 2 target name out of bounds");
}

/* Builds a Type 2 with the given target info; returns its length. */
static size_t
make_type2(unsigned char *m, uint32_t flags, const unsigned char *ti,
    size_t tl)
{
	memset(m, 0, 56);
	memcpy(m, "NTLMSSP", 8);
	le32enc(m + 8, 2);
	le16enc(m + 12, 6);
	le16enc(m + 14, 6);
	le32enc(m + 16, 56);
	memcpy(m + 56, "D\0O\0M\0", 6);
	le32enc(m + 20, flags);
	memcpy(m + 24, schal, 8);
	le16enc(m + 40, (uint16_t)tl);
	le16enc(m + 42, (uint16_t)tl);
	le32enc(m + 44, 62);
	if (tl > 0)
		memcpy(m + 62, ti, tl);
	return 62 + tl;
}

/* AV pairs: NbDomainName "DOM", NbComputerName "SRV", Timestamp, EOL */
static size_t
make_av(unsigned char *p, int with_ts)
{
	size_t n = 0;

	le16enc(p + n, 2);
	le16enc(p + n + 2, 6);
	memcpy(p + n + 4, "D\0O\0M\0", 6);
	n += 10;
	le16enc(p + n, 1);
	le16enc(p + n + 2, 6);
	memcpy(p + n + 4, "S\0R\0V\0", 6);
	n += 10;
	if (with_ts) {
		le16enc(p + n, 7);
		le16enc(p + n + 2, 8);
		le64enc(p + n + 4, UINT64_C(0x01d9abcdef012345));
		n += 12;
	}
	le32enc(p + n, 0);
	return n + 4;
}

static int
parses(const unsigned char *m, size_t n, const char *want_err)
{
	struct ntlm_challenge ch;
	int rc = ntlm_parse_type2(m, n, &ch);

	if (want_err == NULL)
		return rc == 0 && ch.error == NULL;
	if (rc != -1 || ch.error == NULL) {
		printf("     parsed, want \"%s\"\n", want_err);
		return 0;
	}
	if (strcmp(ch.error, want_err) != 0) {
		printf("     error \"%s\", want \"%s\"\n", ch.error, want_err);
		return 0;
	}
	return 1;
}

/* The Type 2 the malformed ones are made from: with target info and a
 * timestamp; its length, *al the target info's. */
static size_t
t2_sample(unsigned char *m, size_t *al)
{
	unsigned char av[64];

	*al = make_av(av, 1);
	return make_type2(m, 0xe28a8235, av, *al);
}

static void
test_type2_malformed(void)
{
	unsigned char m[300], t[300];
	struct ntlm_challenge ch;
	size_t n, al, i;
	int ok;

	n = t2_sample(m, &al);
	CHECK_EQ(ntlm_parse_type2(m, n, &ch), 0);
	CHECK_EQ(ch.has_timestamp, 1);
	CHECK_EQ(ch.timestamp, UINT64_C(0x01d9abcdef012345));
	CHECK_EQ(ch.target_info_len, al);

	/* every truncation fails cleanly (or parses an old short form) */
	ok = 1;
	for (i = 0; i < n; i++) {
		memcpy(t, m, i);
		if (i < 32)
			ok &= parses(t, i, "NTLM Type 2 shorter than 32 bytes");
		else if (i < 48)
			ok &= parses(t, i, "NTLM Type 2 target name "
			    "out of bounds") || i >= 62;
		else if (i < 62)
			ok &= parses(t, i, "NTLM Type 2 target name "
			    "out of bounds") || parses(t, i, "NTLM Type 2 "
			    "target info out of bounds");
		else
			ok &= parses(t, i, "NTLM Type 2 target info "
			    "out of bounds");
	}
	CHECK(ok);
	/* 32..47 bytes with the target name inside: old servers */
	memcpy(t, m, 40);
	le32enc(t + 16, 32);
	le16enc(t + 12, 8);
	CHECK(parses(t, 40, NULL));
	CHECK(parses(t, 47, NULL));
	CHECK(parses(t, 32, "NTLM Type 2 target name out of bounds"));

	memcpy(t, m, n);
	t[0] = 'X';
	CHECK(parses(t, n, "NTLM Type 2 without NTLMSSP signature"));
	memcpy(t, m, n);
	t[7] = 'P';
	CHECK(parses(t, n, "NTLM Type 2 without NTLMSSP signature"));
	memcpy(t, m, n);
	le32enc(t + 8, 3);
	CHECK(parses(t, n, "NTLM message is not a Type 2"));
	le32enc(t + 8, 0x102);
	CHECK(parses(t, n, "NTLM message is not a Type 2"));
}

/* Offsets and lengths out of bounds, overflowing, into the header; and
 * AV pairs that lie. */
static void
test_type2_bounds(void)
{
	unsigned char m[300], t[300];
	size_t n, al;

	n = t2_sample(m, &al);
	memcpy(t, m, n);
	le32enc(t + 16, 0xffffffff);
	CHECK(parses(t, n, "NTLM Type 2 target name out of bounds"));
	le32enc(t + 16, (uint32_t)n - 5);
	CHECK(parses(t, n, "NTLM Type 2 target name out of bounds"));
	le32enc(t + 16, (uint32_t)n - 6);
	CHECK(parses(t, n, NULL));
	le32enc(t + 16, 8);
	CHECK(parses(t, n, "NTLM Type 2 target name out of bounds"));
	le16enc(t + 12, 0);		/* empty: the offset is not used */
	le32enc(t + 16, 0xffffffff);
	CHECK(parses(t, n, NULL));
	memcpy(t, m, n);
	le16enc(t + 40, 0xffff);
	CHECK(parses(t, n, "NTLM Type 2 target info out of bounds"));
	memcpy(t, m, n);
	le32enc(t + 44, 0xfffffff0);
	CHECK(parses(t, n, "NTLM Type 2 target info out of bounds"));
	le32enc(t + 44, 0x80000000);
	CHECK(parses(t, n, "NTLM Type 2 target info out of bounds"));

	/* AV pairs */
	memcpy(t, m, n);
	le16enc(t + 62 + 2, 200);	/* first pair's length too long */
	CHECK(parses(t, n, "NTLM target info: AV pair runs past its end"));
	memcpy(t, m, n);
	le16enc(t + 62 + 2, 0xffff);
	CHECK(parses(t, n, "NTLM target info: AV pair runs past its end"));
	memcpy(t, m, n);		/* drop the EOL */
	le16enc(t + 40, (uint16_t)(al - 4));
	CHECK(parses(t, n - 4, "NTLM target info: no MsvAvEOL"));
	le16enc(t + 40, (uint16_t)(al - 2));
	CHECK(parses(t, n - 2, "NTLM target info: no MsvAvEOL"));
	memcpy(t, m, n);		/* EOL with a value */
	le16enc(t + 62 + al - 2, 1);
	CHECK(parses(t, n, "NTLM target info: AV pair runs past its end"));
	le16enc(t + 40, (uint16_t)(al + 1));
	t[n] = 0;
	CHECK(parses(t, n + 1, "NTLM target info: MsvAvEOL with a value"));
	memcpy(t, m, n);		/* timestamp of 7 bytes */
	le16enc(t + 62 + 20 + 2, 7);
	CHECK(parses(t, n, "NTLM target info: MsvAvTimestamp is not 8 bytes"));
	/* bytes after the EOL are ignored */
	memcpy(t, m, n);
	t[n] = 0x55;
	le16enc(t + 40, (uint16_t)(al + 1));
	CHECK(parses(t, n + 1, NULL));
	/* a lone EOL */
	n = make_type2(m, 0, (const unsigned char *)"\0\0\0\0", 4);
	CHECK(parses(m, n, NULL));
}

/* ------------------------------------------------------------- Type 1 */

static void
test_type1(void)
{
	unsigned char m[128];
	long n;
	size_t l;
	const unsigned char *p;

	n = ntlm_build_type1(NTLM_NTLMV2, 0, "corp", "ws-1", m, sizeof(m));
	CHECK_EQ(n, 48);
	CHECK_MEM(m, "NTLMSSP\0\1\0\0\0", 12);
	CHECK_EQ(le32dec(m + 12), 0xa208b205);
	CHECK_HEX(m + 32, 8, "000000000000000f");
	p = field(m, (size_t)n, 16, &l);
	CHECK(p != NULL && l == 4 && memcmp(p, "CORP", 4) == 0);
	CHECK_EQ(le32dec(m + 20), 40);
	p = field(m, (size_t)n, 24, &l);
	CHECK(p != NULL && l == 4 && memcmp(p, "WS-1", 4) == 0);

	n = ntlm_build_type1(NTLM_NTLM2SR, 0, "", NULL, m, sizeof(m));
	CHECK_EQ(n, 40);
	CHECK_EQ(le32dec(m + 12), 0xa2088207);
	CHECK_EQ(le16dec(m + 16), 0);
	CHECK_EQ(le16dec(m + 24), 0);
	CHECK_EQ(le32dec(m + 20), 40);
	CHECK_EQ(le32dec(m + 28), 40);

	n = ntlm_build_type1(NTLM_NTLM, 0, "D", "W", m, sizeof(m));
	CHECK_EQ(n, 34);		/* no VERSION: 32-byte header */
	CHECK_EQ(le32dec(m + 12), 0xb207);
	CHECK_MEM(m + 32, "DW", 2);
	n = ntlm_build_type1(NTLM_NT, 0, NULL, "w", m, sizeof(m));
	CHECK_EQ(le32dec(m + 12), 0xa205);
	CHECK_EQ(n, 33);
	n = ntlm_build_type1(NTLM_LM, 0, "d", NULL, m, sizeof(m));
	CHECK_EQ(le32dec(m + 12), 0x9206);
	/* cntlm's Flags override */
	n = ntlm_build_type1(NTLM_NTLMV2, 0x88207, NULL, NULL, m, sizeof(m));
	CHECK_EQ(n, 32);
	CHECK_EQ(le32dec(m + 12), 0x88207);

	CHECK_EQ(ntlm_build_type1(NTLM_NTLMV2, 0, "corp", "ws-1", m, 47), -1);
	CHECK_EQ(ntlm_build_type1(NTLM_NTLMV2, 0, NULL, NULL, m, 39), -1);
	CHECK_EQ(ntlm_build_type1(NTLM_NTLMV2, 0, NULL, NULL, m, 40), 40);
}

/* ------------------------------------------------------------- Type 3 */

static void
spec_creds(struct ntlm_creds *c)
{
	const char *err;

	ntlm_creds_init(c, "User", "Domain", "COMPUTER", &err);
	c->upper_domain = 0;		/* MS-NLMP hashes "Domain" as given */
	ntlm_creds_set_password(c, "Password", &err);
}

/* The AUTHENTICATE messages of MS-NLMP 4.2.2.3, 4.2.3.3, 4.2.4.3. */
static void
test_type3_spec(void)
{
	static const char want422[] =
	    "4e544c4d5353500003000000180018006c00000018001800840000000c000c00"
	    "480000000800080054000000100010005c000000100010009c000000358280e2"
	    "0501280a0000000f44006f006d00610069006e00550073006500720043004f00"
	    "4d0050005500540045005200"
	    "98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13"
	    "67c43011f30298a2ad35ece64f16331c44bdbed927841f94"
	    "518822b1b3f350c8958682ecbb3e3cb7";
	static const char want423[] =
	    "4e544c4d5353500003000000180018006c00000018001800840000000c000c00"
	    "480000000800080054000000100010005c000000000000009c00000035820882"
	    "0501280a0000000f44006f006d00610069006e00550073006500720043004f00"
	    "4d0050005500540045005200"
	    "aaaaaaaaaaaaaaaa00000000000000000000000000000000"
	    "7537f803ae367128ca458204bde7caf81e97ed2683267232";
	static const char want424[] =
	    "4e544c4d5353500003000000180018006c00000054005400840000000c000c00"
	    "480000000800080054000000100010005c00000010001000d8000000358288e2"
	    "0501280a0000000f44006f006d00610069006e00550073006500720043004f00"
	    "4d0050005500540045005200"
	    "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"
	    "68cd0ab851e51c96aabc927bebef6a1c0101000000000000000000000000000"
	    "0aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069006e0001000c"
	    "005300650072007600650072000000000000000000"
	    "c5dad2544fc9799094ce1ce90bc9d03e";
	struct ntlm_creds c;
	struct ntlm_challenge ch;
	struct ntlm_type3_opt opt;
	unsigned char m2[200], m3[400], want[400], sbk[16], ek[16];
	unsigned char proof[16];
	const char *err = NULL;
	size_t n2, nw;
	long n;

	spec_creds(&c);
	n2 = unhex(chal423, m2);
	CHECK_EQ(ntlm_parse_type2(m2, n2, &ch), 0);

	/* 4.2.2: NTLMv1 (the published CHALLENGE is broken; same nonce) */
	md4_digest(c.nt, 16, sbk);
	rc4(sbk, 16, random_key, ek, 16);
	memset(&opt, 0, sizeof(opt));
	opt.flags = 0xe2808235;
	opt.version = version;
	opt.session_key = ek;
	opt.session_key_len = 16;
	n = ntlm_build_type3(&c, NTLM_NTLM, &ch, cchal, 0, &opt, m3,
	    sizeof(m3), &err);
	nw = unhex(want422, want);
	CHECK_EQ(n, 172);
	CHECK(n == (long)nw && memcmp(m3, want, nw) == 0);

	/* 4.2.3: NTLM2 session response, no session key */
	opt.flags = 0x82088235;
	opt.session_key = NULL;
	n = ntlm_build_type3(&c, NTLM_NTLM2SR, &ch, cchal, 0, &opt, m3,
	    sizeof(m3), &err);
	nw = unhex(want423, want);
	CHECK_EQ(n, 156);
	CHECK(n == (long)nw && memcmp(m3, want, nw) == 0);

	/* 4.2.4: NTLMv2, Time = 0, session key from SessionBaseKey */
	n2 = unhex(chal424, m2);
	CHECK_EQ(ntlm_parse_type2(m2, n2, &ch), 0);
	ntlm_v2_response(c.v2, schal, cchal, 0, ch.target_info,
	    ch.target_info_len, m3, sizeof(m3));
	memcpy(proof, m3, 16);
	hmac_md5(c.v2, 16, proof, 16, sbk);
	rc4(sbk, 16, random_key, ek, 16);
	opt.flags = 0xe2888235;
	opt.session_key = ek;
	n = ntlm_build_type3(&c, NTLM_NTLMV2, &ch, cchal, 0, &opt, m3,
	    sizeof(m3), &err);
	nw = unhex(want424, want);
	CHECK_EQ(n, 232);
	CHECK(n == (long)nw && memcmp(m3, want, nw) == 0);
	if (n == (long)nw && memcmp(m3, want, nw) != 0)
		printf("     got %s\n", tohex(m3, (size_t)n));

	/* too small by one byte, at every point of the layout */
	for (nw = 0; nw < 232; nw += 7)
		CHECK_EQ(ntlm_build_type3(&c, NTLM_NTLMV2, &ch, cchal, 0, &opt,
		    m3, nw, &err), -1);
	CHECK_EQ(ntlm_build_type3(&c, NTLM_NTLMV2, &ch, cchal, 0, &opt, m3,
	    231, &err), -1);
	CHECK_STR(err, "NTLM message does not fit its buffer");
	CHECK_EQ(ntlm_build_type3(&c, NTLM_NTLMV2, &ch, cchal, 0, &opt, m3,
	    232, &err), 232);
}

/* What a parent does with a Type 3: recompute and compare the NTLMv2
 * proof, using the user and domain as they appear in the message. */
static int
server_verifies_v2(const unsigned char *m3, size_t n,
    const unsigned char nt[16], const unsigned char *sch)
{
	const unsigned char *u, *dom, *ntr;
	size_t ul, dl, nl, i;
	char user[64], domain[64];
	unsigned char v2[16], proof[16];

	if ((u = field(m3, n, 36, &ul)) == NULL || ul / 2 >= sizeof(user) ||
	    (dom = field(m3, n, 28, &dl)) == NULL ||
	    dl / 2 >= sizeof(domain) || (ntr = field(m3, n, 20, &nl)) == NULL ||
	    nl < 48)
		return 0;
	for (i = 0; i < ul / 2; i++)	/* ASCII names in this test */
		user[i] = (char)u[2 * i];
	user[i] = '\0';
	for (i = 0; i < dl / 2; i++)
		domain[i] = (char)dom[2 * i];
	domain[i] = '\0';
	if (ntlm_v2_hash(nt, user, domain, v2) == -1)
		return 0;
	{
		struct hmac_md5_ctx ctx;

		hmac_md5_init(&ctx, v2, 16);
		hmac_md5_update(&ctx, sch, 8);
		hmac_md5_update(&ctx, ntr + 16, nl - 16);
		hmac_md5_final(&ctx, proof);
	}
	return memcmp(proof, ntr, 16) == 0;
}

static int
field_is(const unsigned char *m, size_t n, size_t hdr, const void *want,
    size_t wl)
{
	size_t l;
	const unsigned char *p = field(m, n, hdr, &l);

	return p != NULL && l == wl && (wl == 0 || memcmp(p, want, wl) == 0);
}

static const unsigned char rt_cchal[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* The client of the round trips: jdoe in Corp on ws1, its NT hash. */
static void
rt_creds(struct ntlm_creds *c, unsigned char nt[16])
{
	const char *err = NULL;

	CHECK_EQ(ntlm_creds_init(c, "jdoe", "Corp", "ws1", &err), 0);
	CHECK_EQ(ntlm_creds_set_password(c, "S3cret!", &err), 0);
	ntlm_nt_hash("S3cret!", nt);
}

/* Type 1 as the proxy sends it, the parent's Type 2 with a timestamp,
 * and the Type 3 field by field. */
static void
test_round_trip(void)
{
	struct ntlm_creds c;
	struct ntlm_challenge ch;
	unsigned char m1[64], m2[200], m3[600], av[64], exp[24], nt[16];
	const unsigned char *p;
	const char *err = NULL;
	size_t n2, al, l;
	long n1, n3;
	uint64_t now = ntlm_filetime(1700000000);

	rt_creds(&c, nt);
	n1 = ntlm_build_type1(NTLM_NTLMV2, 0, c.domain, c.workstation, m1,
	    sizeof(m1));
	CHECK_EQ(n1, 40 + 4 + 3);
	CHECK(field_is(m1, (size_t)n1, 16, "CORP", 4));
	CHECK(field_is(m1, (size_t)n1, 24, "WS1", 3));

	al = make_av(av, 1);
	n2 = make_type2(m2, le32dec(m1 + 12) | 0x00810000 | 0x40000000, av,
	    al);
	CHECK_EQ(ntlm_parse_type2(m2, n2, &ch), 0);

	n3 = ntlm_build_type3(&c, NTLM_NTLMV2, &ch, rt_cchal, now, NULL, m3,
	    sizeof(m3), &err);
	CHECK(n3 > 0);
	CHECK_MEM(m3, "NTLMSSP\0\3\0\0\0", 12);
	CHECK_EQ(le32dec(m3 + 60), 0xa288b205);	/* no KEY_EXCH, TARGET_TYPE */
	CHECK_EQ(le32dec(m3 + 28 + 4), 72);		/* Version present */
	CHECK_HEX(m3 + 64, 8, "000000000000000f");
	CHECK(field_is(m3, (size_t)n3, 28, "C\0O\0R\0P\0", 8));
	CHECK(field_is(m3, (size_t)n3, 36, "j\0d\0o\0e\0", 8));
	CHECK(field_is(m3, (size_t)n3, 44, "w\0s\0" "1\0", 6));
	memset(exp, 0, 24);
	CHECK(field_is(m3, (size_t)n3, 12, exp, 24));	/* timestamp: Z(24) */
	CHECK(field_is(m3, (size_t)n3, 52, NULL, 0));
	CHECK_EQ(le32dec(m3 + 56), (uint32_t)n3);	/* key at the end */
	p = field(m3, (size_t)n3, 20, &l);
	CHECK(p != NULL && l == 48 + al);
	if (p != NULL && l == 48 + al) {
		CHECK_HEX(p + 16, 8, "0101000000000000");
		CHECK_EQ(le64dec(p + 24), UINT64_C(0x01d9abcdef012345));
		CHECK_MEM(p + 32, rt_cchal, 8);
		CHECK_MEM(p + 44, av, al);
		CHECK_EQ(le32dec(p + 44 + al), 0);
	}
	CHECK(server_verifies_v2(m3, (size_t)n3, nt, schal));
	/* payload order: domain, user, workstation, LM, NT */
	CHECK(le32dec(m3 + 32) < le32dec(m3 + 40) &&
	    le32dec(m3 + 40) < le32dec(m3 + 48) &&
	    le32dec(m3 + 48) < le32dec(m3 + 16) &&
	    le32dec(m3 + 16) < le32dec(m3 + 24));
	ntlm_wipe(&c, sizeof(c));
}

/* NTLMv2 without a timestamp (the caller's time, and LMv2), without
 * target info at all, and from a 32-byte Type 2. */
static void
test_round_trip_plain(void)
{
	struct ntlm_creds c;
	struct ntlm_challenge ch;
	unsigned char m2[200], m3[600], av[64], exp[24], nt[16];
	const unsigned char *p;
	const char *err = NULL;
	size_t n2, al, l;
	long n3;
	uint64_t now = ntlm_filetime(1700000000);

	rt_creds(&c, nt);
	al = make_av(av, 0);
	n2 = make_type2(m2, 0x00808201, av, al);
	CHECK_EQ(ntlm_parse_type2(m2, n2, &ch), 0);
	n3 = ntlm_build_type3(&c, NTLM_NTLMV2, &ch, rt_cchal, now, NULL, m3,
	    sizeof(m3), &err);
	CHECK_EQ(n3, 64 + 8 + 8 + 6 + 24 + 48 + (long)al);
	p = field(m3, (size_t)n3, 20, &l);
	CHECK(p != NULL && le64dec(p + 24) == now);
	ntlm_lmv2(c.v2, schal, rt_cchal, exp);
	CHECK(field_is(m3, (size_t)n3, 12, exp, 24));
	CHECK(server_verifies_v2(m3, (size_t)n3, nt, schal));

	n2 = make_type2(m2, 0x00008201, NULL, 0);
	CHECK_EQ(ntlm_parse_type2(m2, n2, &ch), 0);
	n3 = ntlm_build_type3(&c, NTLM_NTLMV2, &ch, rt_cchal, now, NULL, m3,
	    sizeof(m3), &err);
	p = field(m3, (size_t)n3, 20, &l);
	CHECK(p != NULL && l == 48);
	CHECK(server_verifies_v2(m3, (size_t)n3, nt, schal));
	CHECK_EQ(ntlm_parse_type2(m2, 32, &ch), -1);	/* name at 56 */
	le16enc(m2 + 12, 0);
	CHECK_EQ(ntlm_parse_type2(m2, 32, &ch), 0);
	CHECK(ntlm_build_type3(&c, NTLM_NTLMV2, &ch, rt_cchal, now, NULL, m3,
	    sizeof(m3), &err) > 0);
	ntlm_wipe(&c, sizeof(c));
}

/* The NTLMv1 family: NT in both fields, LM alone, NTLM, NTLM2SR; and OEM
 * names when the parent does not offer Unicode. */
static void
test_round_trip_v1(void)
{
	struct ntlm_creds c;
	struct ntlm_challenge ch;
	unsigned char m2[200], m3[600], exp[24], nt[16];
	const char *err = NULL;
	size_t n2;
	long n3;
	uint64_t now = ntlm_filetime(1700000000);

	rt_creds(&c, nt);
	n2 = make_type2(m2, 0x00008201, NULL, 0);
	ntlm_parse_type2(m2, n2, &ch);
	n3 = ntlm_build_type3(&c, NTLM_NT, &ch, rt_cchal, now, NULL, m3,
	    sizeof(m3), &err);
	ntlm_desl(nt, schal, exp);
	CHECK(field_is(m3, (size_t)n3, 12, exp, 24));
	CHECK(field_is(m3, (size_t)n3, 20, exp, 24));
	CHECK_EQ(n3, 64 + 8 + 8 + 6 + 48);	/* no VERSION: 64 bytes */
	n3 = ntlm_build_type3(&c, NTLM_LM, &ch, rt_cchal, now, NULL, m3,
	    sizeof(m3), &err);
	ntlm_desl(c.lm, schal, exp);
	CHECK(field_is(m3, (size_t)n3, 12, exp, 24));
	CHECK(field_is(m3, (size_t)n3, 20, NULL, 0));
	n3 = ntlm_build_type3(&c, NTLM_NTLM, &ch, rt_cchal, now, NULL, m3,
	    sizeof(m3), &err);
	CHECK(field_is(m3, (size_t)n3, 12, exp, 24));
	ntlm_desl(nt, schal, exp);
	CHECK(field_is(m3, (size_t)n3, 20, exp, 24));
	n3 = ntlm_build_type3(&c, NTLM_NTLM2SR, &ch, rt_cchal, now, NULL, m3,
	    sizeof(m3), &err);
	memset(exp, 0, 24);
	memcpy(exp, rt_cchal, 8);
	CHECK(field_is(m3, (size_t)n3, 12, exp, 24));

	n2 = make_type2(m2, 0x00008202, NULL, 0);
	ntlm_parse_type2(m2, n2, &ch);
	n3 = ntlm_build_type3(&c, NTLM_NT, &ch, rt_cchal, now, NULL, m3,
	    sizeof(m3), &err);
	CHECK_EQ(le32dec(m3 + 60), 0x8202);
	CHECK(field_is(m3, (size_t)n3, 28, "CORP", 4));
	CHECK(field_is(m3, (size_t)n3, 36, "jdoe", 4));
	CHECK(field_is(m3, (size_t)n3, 44, "ws1", 3));
	ntlm_wipe(&c, sizeof(c));
}

/* A hash the dialect needs is missing; a target info so long the NT
 * response would pass 65535 bytes. */
static void
test_type3_refusals(void)
{
	static unsigned char big[70000];
	struct ntlm_creds c;
	struct ntlm_challenge ch;
	unsigned char m2[200], m3[600];
	const char *err = NULL;
	uint64_t now = ntlm_filetime(1700000000);

	ntlm_parse_type2(m2, make_type2(m2, 0x00008202, NULL, 0), &ch);
	ntlm_creds_init(&c, "jdoe", "Corp", "ws1", &err);
	ntlm_creds_set_hash(&c, NTLM_HAVE_NT,
	    "A4F49C406510BDCAB6824EE7C30FD852", &err);
	CHECK_EQ(ntlm_build_type3(&c, NTLM_NTLMV2, &ch, rt_cchal, now, NULL, m3,
	    sizeof(m3), &err), -1);
	CHECK_STR(err, "NTLMv2 needs PassNTLMv2 or a password");
	CHECK_EQ(ntlm_build_type3(&c, NTLM_LM, &ch, rt_cchal, now, NULL, m3,
	    sizeof(m3), &err), -1);

	memset(&ch, 0, sizeof(ch));
	ch.flags = NTLMSSP_NEGOTIATE_UNICODE;
	ch.target_info = big;
	ch.target_info_len = 65535;
	ntlm_creds_init(&c, "jdoe", "Corp", "ws1", &err);
	ntlm_creds_set_password(&c, "x", &err);
	CHECK_EQ(ntlm_build_type3(&c, NTLM_NTLMV2, &ch, rt_cchal, now, NULL,
	    big, sizeof(big), &err), -1);
	CHECK_STR(err, "NTLM message field over 65535 bytes");
	ntlm_wipe(&c, sizeof(c));
}

/* --------------------------------------------------------------- HTTP */

/* Type 1 as a header value, and the encoder's bounds */
static void
test_http_type1(void)
{
	unsigned char m2[1];
	char hv[128];
	long n;

	n = ntlm_http_type1("NTLM", NTLM_NTLMV2, 0, NULL, NULL, hv,
	    sizeof(hv));
	CHECK_EQ(n, 5 + 56);
	CHECK_STR(hv, "NTLM TlRMTVNTUAABAAAABYIIogAAAAAoAAAAAAAAACgAAAAAAAAA"
	    "AAAADw==");
	n = ntlm_http_type1("NTLM", NTLM_NTLM, 0, NULL, NULL, hv, sizeof(hv));
	CHECK_STR(hv, "NTLM TlRMTVNTUAABAAAAB4IAAAAAAAAgAAAAAAAAACAAAAA=");
	CHECK_EQ(ntlm_http_type1("NTLM", NTLM_NTLM, 0, NULL, NULL, hv, 49), -1);
	CHECK_EQ(ntlm_http_type1("NTLM", NTLM_NTLM, 0, NULL, NULL, hv, 50), 49);
	CHECK_EQ(ntlm_http_encode("NTLM", m2, 0, hv, 4), -1);
	CHECK_EQ(ntlm_http_encode("NTLM", m2, 0, hv, 6), 5);
	CHECK_STR(hv, "NTLM ");
}

/* The challenge in a Proxy-Authenticate value: base64, case, white
 * space, and what is not one */
static void
test_http_challenge(void)
{
	unsigned char m2[200], buf[200];
	char hv[1024], v[600];
	struct ntlm_challenge ch;
	size_t n2;
	long b;

	n2 = unhex(chal424, m2);
	memcpy(v, "NTLM ", 5);
	b = base64_encode(m2, n2, v + 5, sizeof(v) - 5);
	CHECK_EQ(ntlm_http_challenge(v, (size_t)b + 5, buf, sizeof(buf), &ch),
	    1);
	CHECK(ch.target_info == buf + 68 && ch.target_info_len == 36);
	CHECK_MEM(ch.challenge, schal, 8);
	CHECK_EQ(ntlm_http_challenge(v, (size_t)b + 5, buf, 103, &ch), -1);
	CHECK_STR(ch.error, "NTLM challenge: bad base64 or too long");
	CHECK_EQ(ntlm_http_challenge(v, (size_t)b + 5, buf, 104, &ch), 1);

	/* 104 bytes: base64 ends in one '=', and works without it */
	CHECK(v[b + 5 - 1] == '=' && v[b + 5 - 2] != '=');
	CHECK_EQ(ntlm_http_challenge(v, (size_t)b + 4, buf, sizeof(buf), &ch),
	    1);
	CHECK(ch.target_info == buf + 68 && ch.target_info_len == 36);
	v[b + 5] = '=';
	CHECK_EQ(ntlm_http_challenge(v, (size_t)b + 6, buf, sizeof(buf), &ch),
	    -1);
	/* case and whitespace */
	memcpy(v, "nTlM\t", 5);
	CHECK_EQ(ntlm_http_challenge(v, (size_t)b + 5, buf, sizeof(buf), &ch),
	    1);
	snprintf(hv, sizeof(hv), "NTLM   %.*s \t", (int)b, v + 5);
	CHECK_EQ(ntlm_http_challenge(hv, strlen(hv), buf, sizeof(buf), &ch),
	    1);

	CHECK_EQ(ntlm_http_challenge("NTLM", 4, buf, sizeof(buf), &ch), 0);
	CHECK_EQ(ntlm_http_challenge("ntlm  ", 6, buf, sizeof(buf), &ch), 0);
	CHECK_EQ(ntlm_http_challenge("NTLMx", 5, buf, sizeof(buf), &ch), -1);
	CHECK_STR(ch.error, "not an NTLM challenge");
	CHECK_EQ(ntlm_http_challenge("NTL", 3, buf, sizeof(buf), &ch), -1);
	CHECK_EQ(ntlm_http_challenge("Negotiate TlRM", 14, buf, sizeof(buf),
	    &ch), -1);
	CHECK_EQ(ntlm_http_challenge("NTLM TlRM TlRM", 14, buf, sizeof(buf),
	    &ch), -1);
	CHECK_STR(ch.error, "NTLM challenge: junk after the token");
	CHECK_EQ(ntlm_http_challenge("NTLM TlRM,", 10, buf, sizeof(buf),
	    &ch), -1);
	CHECK_EQ(ntlm_http_challenge("NTLM T", 6, buf, sizeof(buf), &ch), -1);
	CHECK_EQ(ntlm_http_challenge("NTLM T===", 9, buf, sizeof(buf), &ch),
	    -1);
	CHECK_EQ(ntlm_http_challenge("NTLM TQ=", 8, buf, sizeof(buf), &ch),
	    -1);
	CHECK_EQ(ntlm_http_challenge("NTLM T=Q=", 9, buf, sizeof(buf), &ch),
	    -1);
	CHECK_EQ(ntlm_http_challenge("NTLM TlRMTQ==", 13, buf, sizeof(buf),
	    &ch), -1);
	CHECK_STR(ch.error, "NTLM Type 2 shorter than 32 bytes");
}

/* Type 3 as a header value, as NTLM and inside Negotiate, and a bare
 * token as http_auth_next hands it over */
static void
test_http_type3(void)
{
	unsigned char m2[200], buf[200], m3[600];
	char hv[1024], v[600];
	struct ntlm_challenge ch;
	struct ntlm_creds c;
	const char *err;
	size_t n2;
	long n, b;

	n2 = unhex(chal424, m2);
	/* Type 3 as a header value decodes back to the message */
	spec_creds(&c);
	CHECK_EQ(ntlm_parse_type2(m2, n2, &ch), 0);
	n = ntlm_http_type3("NTLM", &c, NTLM_NTLMV2, &ch, cchal, 0, hv,
	    sizeof(hv), &err);
	CHECK(n > 5 && strncmp(hv, "NTLM ", 5) == 0);
	b = base64_decode(hv + 5, (size_t)n - 5, m3, sizeof(m3));
	CHECK_EQ(b, 64 + 8 + 12 + 8 + 16 + 24 + 84);
	CHECK(server_verifies_v2(m3, (size_t)b, c.nt, schal));
	CHECK_EQ(ntlm_http_type3("NTLM", &c, NTLM_NTLMV2, &ch, cchal, 0, hv,
	    100, &err), -1);
	CHECK_STR(err, "NTLM header value does not fit");

	/* the same messages inside Negotiate: only the scheme differs */
	n = ntlm_http_type1("Negotiate", NTLM_NTLM, 0, NULL, NULL, hv,
	    sizeof(hv));
	CHECK_EQ(n, 10 + 44);
	CHECK_STR(hv, "Negotiate TlRMTVNTUAABAAAAB4IAAAAAAAAgAAAAAAAAACAAAAA=");
	CHECK_EQ(ntlm_http_type1("Negotiate", NTLM_NTLM, 0, NULL, NULL, hv,
	    54), -1);
	n = ntlm_http_type3("Negotiate", &c, NTLM_NTLMV2, &ch, cchal, 0, hv,
	    sizeof(hv), &err);
	CHECK(n > 10 && strncmp(hv, "Negotiate ", 10) == 0);
	b = base64_decode(hv + 10, (size_t)n - 10, m3, sizeof(m3));
	CHECK(server_verifies_v2(m3, (size_t)b, c.nt, schal));
	/* a challenge's token alone, as http_auth_next splits it */
	b = base64_encode(m2, n2, v, sizeof(v));
	CHECK_EQ(ntlm_http_token(v, (size_t)b, buf, sizeof(buf), &ch), 1);
	CHECK_MEM(ch.challenge, schal, 8);
	CHECK_EQ(ntlm_http_token(v, (size_t)b - 1, buf, sizeof(buf), &ch), 1);
	CHECK_EQ(ntlm_http_token("%%%%", 4, buf, sizeof(buf), &ch), -1);
	CHECK_STR(ch.error, "NTLM challenge: bad base64 or too long");
	/* an SPNEGO reject (negState reject) is no Type 2 */
	CHECK_EQ(ntlm_http_token("oQcwBaADCgEC", 12, buf, sizeof(buf), &ch),
	    -1);
	CHECK(ch.error != NULL);
}

int
main(void)
{
	memset(random_key, 0x55, sizeof(random_key));
	test_md4_md5();
	test_md_lengths();
	test_hmac_md5();
	test_des();
	test_utf16();
	test_nlmp_v1();
	test_nlmp_ntlm2sr();
	test_nlmp_v2();
	test_cntlm_hashes();
	test_creds_misc();
	test_type2_spec();
	test_type2_malformed();
	test_type2_bounds();
	test_type1();
	test_type3_spec();
	test_round_trip();
	test_round_trip_plain();
	test_round_trip_v1();
	test_type3_refusals();
	test_http_type1();
	test_http_challenge();
	test_http_type3();
	return check_done("unit_ntlm");
}

#else	/* make NTLM=0 */

int
main(void)
{
	puts("unit_ntlm: skipped: built without NTLM");
	return 0;
}

#endif
