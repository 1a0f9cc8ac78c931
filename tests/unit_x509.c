/* Unit tests for x509.c: the DER of minted certificates against
 * OpenSSL's encodings of the same extensions, a whole TBSCertificate
 * checked by hand with openssl asn1parse, times on both sides of 2050,
 * host names, every short buffer, and reading back. */
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "check.h"

static int
contains(const unsigned char *h, size_t hn, const unsigned char *n, size_t nn)
{
	size_t i;

	for (i = 0; i + nn <= hn; i++)
		if (memcmp(h + i, n, nn) == 0)
			return 1;
	return 0;
}

#define HAS(h, hn, lit) contains((h), (size_t)(hn), \
	(const unsigned char *)(lit), sizeof(lit) - 1)

static unsigned char q[65];		/* an EC point: 04, then 1..64 */
static const unsigned char serial[16] = { 0x81, 2, 3, 4, 5, 6, 7, 8, 9,
    10, 11, 12, 13, 14, 15, 16 };

static void
setup(void)
{
	int i;

	q[0] = 4;
	for (i = 1; i < 65; i++)
		q[i] = (unsigned char)i;
}

static long
leaf(struct x509_tbs *t, unsigned char *spki, const char *host,
    unsigned char *out, size_t size)
{
	long n = x509_spki_ec(X509_CURVE_P256, q, sizeof(q), spki, 128);

	memset(t, 0, sizeof(*t));
	t->serial = serial;
	t->serial_len = sizeof(serial);
	t->sig = X509_SIG_ECDSA_SHA256;
	t->not_before = 1700000000;		/* 2023-11-14 22:13:20 */
	t->not_after = 1700000000 + 397 * 86400;
	t->cn = host;
	t->host = host;
	t->spki = spki;
	t->spki_len = n < 0 ? 0 : (size_t)n;
	return x509_tbs_encode(t, out, size);
}

static void
test_spki(void)
{
	unsigned char out[512], n[256], e[3] = { 1, 0, 1 };
	long len;

	len = x509_spki_ec(X509_CURVE_P256, q, sizeof(q), out, sizeof(out));
	CHECK_EQ(len, 91);
	CHECK(len == 91 && HAS(out, 27, "\x30\x59\x30\x13\x06\x07\x2a\x86"
	    "\x48\xce\x3d\x02\x01\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07\x03"
	    "\x42\x00\x04"));
	CHECK(len == 91 && memcmp(out + 26, q, 65) == 0);
	CHECK_EQ(x509_spki_ec(99, q, sizeof(q), out, sizeof(out)), -1);

	memset(n, 0xc5, sizeof(n));	/* top bit set: a 00 goes first */
	len = x509_spki_rsa(n, sizeof(n), e, sizeof(e), out, sizeof(out));
	CHECK_EQ(len, 294);
	CHECK(HAS(out, 33, "\x30\x82\x01\x22\x30\x0d\x06\x09\x2a\x86\x48\x86"
	    "\xf7\x0d\x01\x01\x01\x05\x00\x03\x82\x01\x0f\x00\x30\x82\x01\x0a"
	    "\x02\x82\x01\x01\x00"));
	CHECK(len == 294 && memcmp(out + 289, "\x02\x03\x01\x00\x01", 5) == 0);
}

/* The whole TBS of a leaf for www.example.com, checked field by field
 * with openssl asn1parse -inform DER -i when it was written. */
static const char tbs_hex[] =
    "3082016ca003020102021100810203040506070809" "0a0b0c0d0e0f10300a06082a"
    "8648ce3d040302301a3118301606035504030c0f7777772e6578616d706c652e636f"
    "6d301e170d3233313131343232313332305a170d3234313231353232313332305a30"
    "1a3118301606035504030c0f7777772e6578616d706c652e636f6d3059301306072a"
    "8648ce3d020106082a8648ce3d03010703420004";

static void
test_tbs(void)
{
	unsigned char out[2048], spki[128], want[256];
	struct x509_tbs t;
	size_t i, hn = strlen(tbs_hex) / 2;
	long n;

	for (i = 0; i < hn; i++)
		want[i] = (unsigned char)(hex_value(tbs_hex[2 * i]) << 4 |
		    hex_value(tbs_hex[2 * i + 1]));
	n = leaf(&t, spki, "www.example.com", out, sizeof(out));
	CHECK(n > 0);
	/* up to the key: version, serial (00 before 81), algorithm,
	 * issuer = subject, UTCTime validity, subject, SPKI */
	CHECK(n > 0 && memcmp(out, want, hn) == 0);
	/* the extensions, each as OpenSSL encodes it */
	CHECK(HAS(out, n, "\x30\x0c\x06\x03\x55\x1d\x13\x01\x01\xff\x04\x02"
	    "\x30\x00"));
	CHECK(HAS(out, n, "\x30\x0e\x06\x03\x55\x1d\x0f\x01\x01\xff\x04\x04"
	    "\x03\x02\x07\x80"));
	CHECK(HAS(out, n, "\x30\x13\x06\x03\x55\x1d\x25\x04\x0c\x30\x0a\x06"
	    "\x08\x2b\x06\x01\x05\x05\x07\x03\x01"));
	CHECK(HAS(out, n, "\x30\x1a\x06\x03\x55\x1d\x11\x04\x13\x30\x11\x82"
	    "\x0f" "www.example.com"));
	CHECK(HAS(out, n, "\x30\x1d\x06\x03\x55\x1d\x0e\x04\x16\x04\x14"));
	CHECK(HAS(out, n, "\x30\x1f\x06\x03\x55\x1d\x23\x04\x18\x30\x16\x80"
	    "\x14"));
	CHECK(!HAS(out, n, "\x01\x01\xff\x04\x04\x03\x02\x01\x06"));

	/* every shorter buffer fails, never writes past its end */
	for (i = 0; i < (size_t)n; i++) {
		unsigned char *b = malloc(i + 1);

		if (b == NULL)
			break;
		if (x509_tbs_encode(&t, b, i) != -1) {
			CHECK(!"a short buffer was accepted");
			free(b);
			break;
		}
		free(b);
	}

	/* RSA leaf: keyEncipherment too */
	t.key_encipherment = 1;
	n = x509_tbs_encode(&t, out, sizeof(out));
	CHECK(HAS(out, n, "\x30\x0e\x06\x03\x55\x1d\x0f\x01\x01\xff\x04\x04"
	    "\x03\x02\x05\xa0"));

	/* a CA: CA:TRUE, keyCertSign + cRLSign, no serverAuth, no SAN */
	t.key_encipherment = 0;
	t.ca = 1;
	t.host = NULL;
	t.cn = "proxy CA";
	n = x509_tbs_encode(&t, out, sizeof(out));
	CHECK(HAS(out, n, "\x30\x0f\x06\x03\x55\x1d\x13\x01\x01\xff\x04\x05"
	    "\x30\x03\x01\x01\xff"));
	CHECK(HAS(out, n, "\x30\x0e\x06\x03\x55\x1d\x0f\x01\x01\xff\x04\x04"
	    "\x03\x02\x01\x06"));
	CHECK(!HAS(out, n, "\x55\x1d\x25"));
	CHECK(!HAS(out, n, "\x55\x1d\x11"));

	/* bad inputs */
	t.serial_len = 0;
	CHECK_EQ(x509_tbs_encode(&t, out, sizeof(out)), -1);
	t.serial = (const unsigned char *)"\0\0";
	t.serial_len = 2;
	CHECK_EQ(x509_tbs_encode(&t, out, sizeof(out)), -1);
	t.serial = serial;
	t.serial_len = 21;
	CHECK_EQ(x509_tbs_encode(&t, out, sizeof(out)), -1);
}

static void
test_san_ip(void)
{
	unsigned char out[2048], spki[128];
	struct x509_tbs t;
	long n;

	n = leaf(&t, spki, "192.0.2.1", out, sizeof(out));
	CHECK(HAS(out, n, "\x30\x06\x87\x04\xc0\x00\x02\x01"));
	CHECK(HAS(out, n, "\x0c\x09" "192.0.2.1"));	/* the CN */
	n = leaf(&t, spki, "2001:db8::1", out, sizeof(out));
	CHECK(HAS(out, n, "\x30\x12\x87\x10\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0"
	    "\0\0\x01"));
	n = leaf(&t, spki, "[::1]", out, sizeof(out));
	CHECK(HAS(out, n, "\x87\x10\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01"));
}

static void
test_long_host(void)
{
	unsigned char out[2048], spki[128];
	char host[80];
	struct x509_tbs t;
	long n;

	/* 70 bytes: no CN (ub-common-name 64), so the SAN is critical and
	 * the subject an empty SEQUENCE */
	memset(host, 'a', 60);
	memcpy(host + 60, ".example1", 10);
	n = leaf(&t, spki, host, out, sizeof(out));
	CHECK(n > 0);
	CHECK(HAS(out, n, "\x06\x03\x55\x1d\x11\x01\x01\xff"));
	CHECK(!HAS(out, n, "\x06\x03\x55\x04\x03"));
	CHECK(HAS(out, n, "\x30\x00\x30\x59"));	/* empty subject, SPKI */
}

static void
test_times(void)
{
	static const struct {
		int64_t		 t;
		const char	*der;
	} v[] = {
		{ 0, "\x17\x0d" "700101000000Z" },
		{ 951782400, "\x17\x0d" "000229000000Z" },	/* leap day */
		{ 2524607999LL, "\x17\x0d" "491231235959Z" },
		{ 2524608000LL, "\x18\x0f" "20500101000000Z" },
		{ 4102444800LL, "\x18\x0f" "21000101000000Z" },
		{ -631152001LL, "\x18\x0f" "19491231235959Z" },
		{ -631152000LL, "\x17\x0d" "500101000000Z" },
		{ 253402300799LL, "\x18\x0f" "99991231235959Z" },
	};
	unsigned char out[2048], spki[128];
	struct x509_tbs t;
	size_t i;
	long n;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		leaf(&t, spki, "a.test", out, sizeof(out));
		t.not_before = v[i].t;
		t.not_after = v[i].t;
		n = x509_tbs_encode(&t, out, sizeof(out));
		if (!CHECK(contains(out, (size_t)n, (const unsigned char *)
		    v[i].der, (size_t)(v[i].der[1] + 2))))
			printf("     time %lld\n", (long long)v[i].t);
	}
	t.not_after = 253402300800LL;	/* year 10000 */
	CHECK_EQ(x509_tbs_encode(&t, out, sizeof(out)), -1);
}

static void
test_host_kind(void)
{
	unsigned char ip[16];
	size_t n;
	char big[300];

	CHECK_EQ(x509_host_kind("example.test", ip, &n), 0);
	CHECK_EQ(x509_host_kind("*.example.test", ip, &n), 0);
	CHECK_EQ(x509_host_kind("a_b.c-d.E9", ip, &n), 0);
	CHECK_EQ(x509_host_kind("127.0.0.1", ip, &n), 1);
	CHECK_EQ(n, 4);
	CHECK_EQ(x509_host_kind("::1", ip, &n), 1);
	CHECK_EQ(n, 16);
	CHECK_EQ(x509_host_kind("[2001:db8::1]", ip, &n), 1);
	CHECK_EQ(x509_host_kind("", ip, &n), -1);
	CHECK_EQ(x509_host_kind("a..b", ip, &n), -1);
	CHECK_EQ(x509_host_kind(".a", ip, &n), -1);
	CHECK_EQ(x509_host_kind("a.", ip, &n), -1);
	CHECK_EQ(x509_host_kind("-a.b", ip, &n), -1);
	CHECK_EQ(x509_host_kind("a-.b", ip, &n), -1);
	CHECK_EQ(x509_host_kind("a b", ip, &n), -1);
	CHECK_EQ(x509_host_kind("a/b", ip, &n), -1);
	CHECK_EQ(x509_host_kind("a\xc3\xa9.b", ip, &n), -1);
	CHECK_EQ(x509_host_kind("*", ip, &n), -1);
	CHECK_EQ(x509_host_kind("*.", ip, &n), -1);
	CHECK_EQ(x509_host_kind("a.*.b", ip, &n), -1);
	CHECK_EQ(x509_host_kind("[::1", ip, &n), -1);
	memset(big, 'a', 63);
	big[63] = '\0';
	CHECK_EQ(x509_host_kind(big, ip, &n), 0);
	big[63] = 'a';
	big[64] = '\0';
	CHECK_EQ(x509_host_kind(big, ip, &n), -1);	/* a 64-byte label */
	memset(big, 'a', 253);
	for (n = 50; n < 253; n += 51)
		big[n] = '.';
	big[253] = '\0';
	CHECK_EQ(x509_host_kind(big, ip, &n), 0);
	big[253] = 'a';
	big[254] = '\0';
	CHECK_EQ(x509_host_kind(big, ip, &n), -1);	/* 254 bytes */
}

static void
test_parse(void)
{
	unsigned char tbs[2048], cert[2300], spki[128], id[X509_KEYID_LEN];
	unsigned char sig[72];
	struct x509_info info;
	struct x509_tbs t;
	long n, m;
	size_t i;

	n = leaf(&t, spki, "back.test", tbs, sizeof(tbs));
	memset(sig, 0x30, sizeof(sig));
	m = x509_cert_encode(tbs, (size_t)n, t.sig, sig, sizeof(sig), cert,
	    sizeof(cert));
	CHECK(m > n);
	CHECK(m > n && memcmp(cert + 4, tbs, (size_t)n) == 0);
	CHECK_EQ(x509_parse(cert, (size_t)m, &info), 0);
	CHECK(HAS(info.subject, info.subject_len, "\x0c\x09" "back.test"));
	CHECK_EQ(info.spki_len, t.spki_len);
	CHECK(info.spki != NULL && memcmp(info.spki, spki, t.spki_len) == 0);
	CHECK_EQ(x509_key_id(spki, t.spki_len, id), 0);
	CHECK_EQ(info.ski_len, X509_KEYID_LEN);
	CHECK_MEM(info.ski, id, X509_KEYID_LEN);
	/* the key id: SHA-256 of the 65-byte point, first 20 bytes */
	{
		unsigned char h[32];

		sha256(q, sizeof(q), h);
		CHECK_MEM(id, h, X509_KEYID_LEN);
	}
	/* the name it was made for, and no other */
	CHECK(info.san != NULL);
	CHECK_EQ(x509_san_has(&info, "back.test"), 1);
	CHECK_EQ(x509_san_has(&info, "BACK.Test"), 1);
	CHECK_EQ(x509_san_has(&info, "back.tes"), 0);
	CHECK_EQ(x509_san_has(&info, "x.back.test"), 0);
	CHECK_EQ(x509_san_has(&info, "bad name"), 0);
	n = leaf(&t, spki, "192.0.2.7", tbs, sizeof(tbs));
	m = x509_cert_encode(tbs, (size_t)n, t.sig, sig, sizeof(sig), cert,
	    sizeof(cert));
	CHECK_EQ(x509_parse(cert, (size_t)m, &info), 0);
	CHECK_EQ(x509_san_has(&info, "192.0.2.7"), 1);
	CHECK_EQ(x509_san_has(&info, "192.0.2.8"), 0);
	CHECK_EQ(x509_san_has(&info, "::ffff:192.0.2.7"), 0);
	n = leaf(&t, spki, "back.test", tbs, sizeof(tbs));
	m = x509_cert_encode(tbs, (size_t)n, t.sig, sig, sizeof(sig), cert,
	    sizeof(cert));
	/* every truncation is refused */
	for (i = 0; i < (size_t)m; i++)
		if (x509_parse(cert, i, &info) != -1) {
			CHECK(!"a truncated certificate parsed");
			break;
		}
	CHECK_EQ(x509_key_id((const unsigned char *)"\x30\x00", 2, id), -1);
}

int
main(void)
{
	setup();
	test_spki();
	test_tbs();
	test_san_ip();
	test_long_host();
	test_times();
	test_host_kind();
	test_parse();
	return check_done("unit_x509");
}
