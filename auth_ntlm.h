/*
 * auth_ntlm.h: declarations of auth_ntlm.c, to be folded into proxy.h
 * under the auth_ntlm.c banner.
 *
 * A leaf: no fds, no logging, no malloc. Every output goes to a caller
 * buffer; every length and offset read from the wire is bounds-checked;
 * wire integers go through le16dec()/le32enc() and friends.
 */
#ifndef AUTH_NTLM_H
#define AUTH_NTLM_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* ------------------------------------------------------------ auth_ntlm.c */

/*
 * Primitives. MD4 (RFC 1320) and MD5 (RFC 1321) stream: init, any number
 * of updates, final (which wipes the context). The one-shot forms hash a
 * single buffer. Output is always 16 bytes.
 */
#define NTLM_DIGEST_LEN	16

struct md4_ctx {
	uint32_t	 h[4];
	uint64_t	 len;		/* bytes hashed so far */
	unsigned char	 blk[64];
};

struct md5_ctx {
	uint32_t	 h[4];
	uint64_t	 len;
	unsigned char	 blk[64];
};

void	 md4_init(struct md4_ctx *);
void	 md4_update(struct md4_ctx *, const void *, size_t);
void	 md4_final(struct md4_ctx *, unsigned char out[16]);
void	 md4_digest(const void *, size_t, unsigned char out[16]);
void	 md5_init(struct md5_ctx *);
void	 md5_update(struct md5_ctx *, const void *, size_t);
void	 md5_final(struct md5_ctx *, unsigned char out[16]);
void	 md5_digest(const void *, size_t, unsigned char out[16]);

/* HMAC-MD5 (RFC 2104); keys longer than 64 bytes are hashed first. */
struct hmac_md5_ctx {
	struct md5_ctx	 inner, outer;
};

void	 hmac_md5_init(struct hmac_md5_ctx *, const void *key, size_t klen);
void	 hmac_md5_update(struct hmac_md5_ctx *, const void *, size_t);
void	 hmac_md5_final(struct hmac_md5_ctx *, unsigned char out[16]);
void	 hmac_md5(const void *key, size_t klen, const void *msg, size_t n,
	    unsigned char out[16]);

/*
 * DES (FIPS 46-3), encryption of one 8-byte block (ECB) with an 8-byte
 * key whose parity bits (the low bit of each byte) are ignored.
 * des_expand_key() spreads a 56-bit key given as 7 bytes over 8 bytes,
 * 7 bits per byte, as NTLM does; parity bits are left 0.
 */
void	 des_expand_key(const unsigned char k7[7], unsigned char k8[8]);
void	 des_encrypt_block(const unsigned char key[8],
	    const unsigned char in[8], unsigned char out[8]);

/* memset() that the compiler may not drop: for secrets going out of use. */
void	 ntlm_wipe(void *, size_t);

/*
 * UTF-8 to UTF-16LE. Strict: overlong forms, surrogate code points,
 * values over U+10FFFF and truncated sequences are errors; code points
 * over U+FFFF become surrogate pairs. With upper set, code points are
 * upper-cased as Windows does (its "Upper Case Mapping Table") for the
 * ranges that user and domain names use in practice: ASCII, Latin-1,
 * Latin Extended-A, basic Greek and basic Cyrillic (U+0430-U+045F).
 * Other letters are left as they are: a user or domain name with, say,
 * Armenian or full-width letters gets an NTLMv2 hash that Windows would
 * compute differently. Returns the bytes written to out[size] or -1.
 */
long	 ntlm_utf16le(const char *s, size_t n, int upper, unsigned char *out,
	    size_t size);

/*
 * Password hashes; each writes 16 bytes.
 *
 * ntlm_lm_hash: LMOWFv1. As cntlm does: the password's bytes, ASCII
 * letters upper-cased, other bytes (UTF-8) as they are, cut at 14 bytes,
 * then DES("KGS!@#$%") under each 7-byte half. A Windows client would use
 * its OEM code page, so for a non-ASCII password the LM hash (obsolete
 * anyway) matches cntlm's, not Windows'.
 *
 * ntlm_nt_hash: NTOWFv1 = MD4(UTF-16LE(password)); -1 if the password is
 * not valid UTF-8 or is over NTLM_PASS_MAX bytes. Unlike cntlm (which
 * widens each byte), a non-ASCII password hashes as Windows hashes it.
 *
 * ntlm_v2_hash: NTOWFv2 of MS-NLMP 3.3.2 = HMAC-MD5(nt, UTF-16LE(
 * UPPER(user) || domain)), the domain as given. ntlm_v2_hash_cntlm is
 * cntlm's PassNTLMv2: the domain is upper-cased too. Both return -1 on
 * invalid UTF-8 or names over NTLM_NAME_MAX.
 *
 * The proxy uses the cntlm form for PassNTLMv2 and for the hash it derives
 * from a password (struct ntlm_creds, upper_domain = 1), so that --hashes
 * prints what cntlm -H prints and a PassNTLMv2 copied from a cntlm.conf
 * works; to agree with the parent it then sends the upper-cased domain in
 * the Type 3 message, which is the string the parent hashes.
 */
#define NTLM_PASS_MAX	256	/* password bytes (UTF-8) */
#define NTLM_NAME_MAX	256	/* user, domain, workstation: bytes incl. NUL */

void	 ntlm_lm_hash(const char *password, unsigned char out[16]);
int	 ntlm_nt_hash(const char *password, unsigned char out[16]);
int	 ntlm_v2_hash(const unsigned char nt[16], const char *user,
	    const char *domain, unsigned char out[16]);
int	 ntlm_v2_hash_cntlm(const unsigned char nt[16], const char *user,
	    const char *domain, unsigned char out[16]);

/*
 * Challenge responses (MS-NLMP 3.3.1, 3.3.2).
 * ntlm_desl: DESL(K, D) = DES(K[0..6], D) || DES(K[7..13], D) ||
 * DES(K[14..15] || Z(5), D); it is the NTLMv1 response given the NT hash
 * and the LM response given the LM hash.
 * ntlm_ntlm2sr: NTLM2 session response; lm gets cchal || Z(16) and nt gets
 * DESL(nt hash, MD5(schal || cchal)[0..7]).
 * ntlm_lmv2: HMAC-MD5(v2, schal || cchal) || cchal (24 bytes).
 * ntlm_v2_response: NTProofStr || blob, where the blob is 01 01 Z(6),
 * filetime (LE), cchal, Z(4), the AV pairs tinfo[tlen] as the server sent
 * them, Z(4). Returns the length (48 + tlen) or -1 if out is too small.
 */
void	 ntlm_desl(const unsigned char key[16], const unsigned char data[8],
	    unsigned char out[24]);
void	 ntlm_ntlm2sr(const unsigned char nt[16], const unsigned char schal[8],
	    const unsigned char cchal[8], unsigned char lm[24],
	    unsigned char ntresp[24]);
void	 ntlm_lmv2(const unsigned char v2[16], const unsigned char schal[8],
	    const unsigned char cchal[8], unsigned char out[24]);
long	 ntlm_v2_response(const unsigned char v2[16],
	    const unsigned char schal[8], const unsigned char cchal[8],
	    uint64_t filetime, const unsigned char *tinfo, size_t tlen,
	    unsigned char *out, size_t size);
/* Seconds since 1970 as a FILETIME (100 ns units since 1601); 0 before. */
uint64_t ntlm_filetime(time_t);

/*
 * Dialects, strongest first; names as cntlm's "Auth" keyword spells them.
 * NT sends the NTLMv1 NT response in both response fields, which is what
 * Windows sends at LmCompatibilityLevel 2 ("send NTLM response only"):
 * servers that insist on a non-empty LM field accept it, and no LM hash is
 * needed. (cntlm's NT mode sends an all-zero NT response by a bug.)
 * LM sends the LM response and an empty NT field.
 */
enum ntlm_dialect {
	NTLM_NTLMV2,	/* NTLMv2 + LMv2 responses; needs PassNTLMv2 */
	NTLM_NTLM2SR,	/* NTLM2 session response; needs PassNT */
	NTLM_NTLM,	/* NTLMv1 NT + LM responses; needs PassNT, PassLM */
	NTLM_NT,	/* NTLMv1 NT response only; needs PassNT */
	NTLM_LM		/* LM response only; needs PassLM */
};

/* Case-insensitive; 0 and *d set, or -1 for an unknown name. */
int	 ntlm_dialect_parse(const char *name, enum ntlm_dialect *d);
const char *ntlm_dialect_name(enum ntlm_dialect);

/*
 * Splits "DOMAIN\user" (at the first backslash) or "user@domain" (at the
 * last '@') into user[usz] and domain[dsz]. Returns 1 if a domain part
 * was found, 0 if name has none (user = name, domain untouched), -1 if a
 * part is empty or does not fit.
 */
int	 ntlm_split_user(const char *name, char *user, size_t usz,
	    char *domain, size_t dsz);

/* Parses exactly 32 hex digits (either case) into 16 bytes; 0 or -1. */
int	 ntlm_hex16_parse(const char *hex, unsigned char out[16]);

/*
 * What the configuration supplies. The password itself is never kept:
 * ntlm_creds_set_password() derives the three hashes from it. user and
 * domain are kept as given; upper_domain (set by ntlm_creds_init) selects
 * cntlm's PassNTLMv2 form and, with it, the upper-cased domain in Type 3
 * messages. Clear it before setting the password or PassNTLMv2 to get
 * MS-NLMP's form (the domain hashed and sent as given). Wipe the struct
 * with ntlm_wipe() when done with it.
 */
#define NTLM_HAVE_LM	0x1
#define NTLM_HAVE_NT	0x2
#define NTLM_HAVE_V2	0x4

struct ntlm_creds {
	char		 user[NTLM_NAME_MAX];
	char		 domain[NTLM_NAME_MAX];
	char		 workstation[NTLM_NAME_MAX];
	unsigned char	 lm[16], nt[16], v2[16];
	unsigned	 have;		/* NTLM_HAVE_* */
	int		 upper_domain;
};

/* Zeroes c and copies the names (NULL = ""); -1 (*err set) if too long. */
int	 ntlm_creds_init(struct ntlm_creds *c, const char *user,
	    const char *domain, const char *workstation, const char **err);
/* Derives all three hashes; -1 (*err set) on invalid UTF-8 or length. */
int	 ntlm_creds_set_password(struct ntlm_creds *c, const char *password,
	    const char **err);
/* Sets one stored hash (which = NTLM_HAVE_*) from 32 hex digits. */
int	 ntlm_creds_set_hash(struct ntlm_creds *c, unsigned which,
	    const char *hex, const char **err);
/* NULL if c holds the hashes dialect d needs, else why not. */
const char *ntlm_creds_check(const struct ntlm_creds *c, enum ntlm_dialect d);

/*
 * cntlm -H output, byte for byte: three lines, each ending in '\n', the
 * keyword padded to 16 columns, upper-case hex, and on the PassNTLMv2 line
 * four spaces and "# Only for user '<user>', domain '<domain>'" with the
 * names as given. Needs all three hashes. Returns the length written
 * (NUL added) or -1 if out[size] is too small or a hash is missing.
 */
long	 ntlm_format_hashes(const struct ntlm_creds *c, char *out,
	    size_t size);

/* NegotiateFlags (MS-NLMP 2.2.2.5) that this file acts on. */
#define NTLMSSP_NEGOTIATE_UNICODE		0x00000001
#define NTLMSSP_NEGOTIATE_OEM			0x00000002
#define NTLMSSP_REQUEST_TARGET			0x00000004
#define NTLMSSP_NEGOTIATE_NTLM			0x00000200
#define NTLMSSP_NEGOTIATE_OEM_DOMAIN_SUPPLIED	0x00001000
#define NTLMSSP_NEGOTIATE_OEM_WORKSTATION_SUPPLIED 0x00002000
#define NTLMSSP_NEGOTIATE_ALWAYS_SIGN		0x00008000
#define NTLMSSP_TARGET_TYPE_DOMAIN		0x00010000
#define NTLMSSP_TARGET_TYPE_SERVER		0x00020000
#define NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY 0x00080000
#define NTLMSSP_NEGOTIATE_TARGET_INFO		0x00800000
#define NTLMSSP_NEGOTIATE_VERSION		0x02000000
#define NTLMSSP_NEGOTIATE_KEY_EXCH		0x40000000

/* Largest message the HTTP helpers below handle (binary, before base64). */
#define NTLM_MSG_MAX	8192

/*
 * Type 1 (NEGOTIATE). flags 0 means the dialect's cntlm default
 * (NTLMv2 0xa208b205, NTLM2SR 0xa208b207, NTLM 0xb207, NT 0xb205,
 * LM 0xb206); anything else is sent as given (cntlm's "Flags"), except
 * that the OEM_*_SUPPLIED bits always say whether domain and workstation
 * (NULL or "" to leave out) are sent; they go in OEM, ASCII upper-cased.
 * With NEGOTIATE_VERSION an 8-byte Version field (zero version, NTLM
 * revision 15) precedes the payload, as the layout then requires.
 * Returns the message length or -1 if out[size] is too small.
 */
long	 ntlm_build_type1(enum ntlm_dialect d, uint32_t flags,
	    const char *domain, const char *workstation, unsigned char *out,
	    size_t size);

/*
 * A parsed Type 2 (CHALLENGE). target_name and target_info point into the
 * message buffer, which must outlive the struct's use.
 */
struct ntlm_challenge {
	uint32_t		 flags;
	unsigned char		 challenge[8];
	const unsigned char	*target_name;	/* as sent; NULL if none */
	size_t			 target_name_len;
	const unsigned char	*target_info;	/* AV pairs; NULL if none */
	size_t			 target_info_len;
	int			 has_timestamp;	/* MsvAvTimestamp present */
	uint64_t		 timestamp;	/* its FILETIME */
	const char		*error;		/* why parsing failed */
};

/*
 * Parses msg[len]: signature, type 2, the target name and target info
 * buffers (length and offset within the message; a zero length is not
 * checked further), flags, challenge; then walks the AV pairs, which must
 * each fit and end with MsvAvEOL, and picks up MsvAvTimestamp (which must
 * be 8 bytes). A message shorter than 48 bytes (old servers) has no
 * target info. Returns 0, or -1 with ch->error set.
 */
int	 ntlm_parse_type2(const unsigned char *msg, size_t len,
	    struct ntlm_challenge *ch);

/*
 * Optional Type 3 settings, mainly so that the MS-NLMP examples can be
 * reproduced exactly; pass NULL for the proxy's normal message.
 * flags: 0 = derived from the challenge (see ntlm_build_type3).
 * version: 8 bytes, or NULL for the zero version.
 * session_key: EncryptedRandomSessionKey bytes to send, or NULL for none
 * (HTTP authentication needs no session key).
 */
struct ntlm_type3_opt {
	uint32_t		 flags;
	const unsigned char	*version;
	const unsigned char	*session_key;
	size_t			 session_key_len;
};

/*
 * Type 3 (AUTHENTICATE) answering ch with the responses of dialect d
 * computed from c's hashes, cchal (8 random bytes from the caller) and
 * filetime (ntlm_filetime(time(NULL)); the challenge's MsvAvTimestamp
 * wins when present).
 * NTLMv2 works without target info (empty AV list in the blob); when the
 * challenge carries MsvAvTimestamp the LM field is Z(24), as MS-NLMP
 * 3.1.5.2.1 asks, else LMv2. No MIC is sent.
 * Flags: the challenge's, less KEY_EXCH (no session key is sent) and the
 * TARGET_TYPE bits, with exactly one of UNICODE and OEM: UNICODE when the
 * server offered it. Domain, user and workstation go in UTF-16LE under
 * UNICODE, else as their bytes (right for ASCII only); the domain is
 * upper-cased when c->upper_domain is set. Header: 64 bytes, or 72 with a
 * Version field when the flags have NEGOTIATE_VERSION; payload order
 * domain, user, workstation, LM, NT, session key (as MS-NLMP's examples
 * and cntlm). Returns the length, or -1 with *err set (missing hash,
 * invalid UTF-8, field over 65535 bytes, out[size] too small).
 */
long	 ntlm_build_type3(const struct ntlm_creds *c, enum ntlm_dialect d,
	    const struct ntlm_challenge *ch, const unsigned char cchal[8],
	    uint64_t filetime, const struct ntlm_type3_opt *opt,
	    unsigned char *out, size_t size, const char **err);

/*
 * HTTP wrapping (Proxy-Authorization / Proxy-Authenticate values).
 * ntlm_http_encode writes "NTLM " and the base64 of msg[len] to out[size]
 * (NUL added); returns the string length or -1 if it does not fit.
 * ntlm_http_type1 and ntlm_http_type3 build the message and encode it in
 * one go (messages up to NTLM_MSG_MAX bytes), with the arguments and
 * errors of the builders.
 */
long	 ntlm_http_encode(const unsigned char *msg, size_t len, char *out,
	    size_t size);
long	 ntlm_http_type1(enum ntlm_dialect d, uint32_t flags,
	    const char *domain, const char *workstation, char *out,
	    size_t size);
long	 ntlm_http_type3(const struct ntlm_creds *c, enum ntlm_dialect d,
	    const struct ntlm_challenge *ch, const unsigned char cchal[8],
	    uint64_t filetime, char *out, size_t size, const char **err);

/*
 * Parses one challenge value[n] of a Proxy-Authenticate field: the scheme
 * "NTLM" (any case), then optionally whitespace and a base64 token (with
 * or without its '=' padding), then optional whitespace. The token is
 * decoded into buf[size] and parsed as a Type 2 into ch, which then points
 * into buf. Returns 1 when a challenge was parsed, 0 for a bare "NTLM"
 * (the parent offers NTLM and awaits a Type 1), -1 with ch->error set
 * when value is not NTLM, the base64 is bad, buf is too small or the
 * Type 2 is malformed.
 */
int	 ntlm_http_challenge(const char *value, size_t n, unsigned char *buf,
	    size_t size, struct ntlm_challenge *ch);

/*
 * The util.c helpers, last: proxy.h includes this file for struct config,
 * so our types must be complete whichever of the two is included first.
 */
#include "proxy.h"

#endif /* AUTH_NTLM_H */
