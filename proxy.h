/*
 * proxy: a small pre-forked poll() HTTP/1.1 forward and credential proxy.
 *
 * The one shared header: types, compile-time limits, and every cross-file
 * declaration grouped under its file's banner with its contract.
 */
#ifndef PROXY_H
#define PROXY_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdarg.h>
#include <signal.h>
#include <time.h>

#define PROXY_VERSION "0.1.0"

/* Features the Makefile may leave out (make PAC=0 NTLM=0); in by
 * default, also for builds that do not go through it. */
#ifndef WITH_PAC
#define WITH_PAC	1
#endif
#ifndef WITH_NTLM
#define WITH_NTLM	1
#endif
/* Kerberos to parents through the system's GSSAPI: out by default (it is
 * a dependency), in with make GSSAPI=1 */
#ifndef WITH_GSSAPI
#define WITH_GSSAPI	0
#endif


/* Attributes only where the compiler has them; other compilers see
 * nothing. */
#if defined(__GNUC__) || defined(__clang__)
#define PRINTF(f, a)	__attribute__((__format__(__printf__, f, a)))
#define NORETURN	__attribute__((__noreturn__))
#else
#define PRINTF(f, a)
#define NORETURN
#endif

/* Compile-time limits; each may be overridden with -D. */
#ifndef HTTP_MAX_FIELDS
#define HTTP_MAX_FIELDS		128	/* header fields in one head */
#endif
#ifndef MAX_LISTENERS
#define MAX_LISTENERS		16	/* --listen addresses x ports */
#endif
#ifndef MAX_LIST_ITEMS
#define MAX_LIST_ITEMS		64	/* entries in one flag list */
#endif
#ifndef MAX_HE_ATTEMPTS
#define MAX_HE_ATTEMPTS		4	/* concurrent Happy Eyeballs connects */
#endif
#ifndef MAX_ADDRS
#define MAX_ADDRS		8	/* addresses kept from one lookup */
#endif
#ifndef HE_DELAY_MS
#define HE_DELAY_MS		250	/* RFC 8305 connection attempt delay */
#endif
#ifndef POOL_SIZE
#define POOL_SIZE		64	/* idle upstream connections per worker */
#endif
#ifndef POOL_IDLE_S
#define POOL_IDLE_S		15	/* idle upstream expiry */
#endif
#ifndef POOL_FRESH_MS
#define POOL_FRESH_MS		1000	/* reused unchecked within this */
#endif
#ifndef DNS_CACHE_SIZE
#define DNS_CACHE_SIZE		256	/* cached lookups per worker */
#endif
#ifndef DNS_TTL_S
#define DNS_TTL_S		60	/* positive cache lifetime */
#endif
#ifndef DNS_NEG_TTL_S
#define DNS_NEG_TTL_S		5	/* negative cache lifetime */
#endif
#ifndef DNS_MAX_INFLIGHT
#define DNS_MAX_INFLIGHT	32	/* concurrent lookups per worker */
#endif
#ifndef GRACE_S
#define GRACE_S			10	/* in-flight grace on SIGTERM */
#endif
#ifndef MAX_PARENTS
#define MAX_PARENTS		8	/* --proxy entries */
#endif
#ifndef PARENT_DOWN_S
#define PARENT_DOWN_S		30	/* a failed parent is skipped this long */
#endif
#ifndef AUTH_BACKOFF_S
#define AUTH_BACKOFF_S		60	/* after the parent refuses credentials */
#endif
#ifndef PAC_URL_MAX
#define PAC_URL_MAX		2048	/* URL handed to FindProxyForURL */
#endif
#ifndef PAC_ANSWER_MAX
#define PAC_ANSWER_MAX		1024	/* its answer */
#endif
#ifndef PAC_CACHE_SIZE
#define PAC_CACHE_SIZE		128	/* cached answers per worker */
#endif
#ifndef PAC_CACHE_S
#define PAC_CACHE_S		10	/* their lifetime */
#endif
#ifndef HOST_MAX
#define HOST_MAX		256	/* a host name, NUL included */
#endif
#ifndef WHY_MAX
#define WHY_MAX			(HOST_MAX * 6)	/* an error reason (a pool key fits) */
#endif
#ifndef TLS_PEER_CHAIN_MAX	/* certificates a server may send us */
#define TLS_PEER_CHAIN_MAX	20
#endif
#ifndef TLS_PEER_CERT_MAX	/* bytes of one certificate it sends */
#define TLS_PEER_CERT_MAX	65536
#endif
#ifndef CA_BUNDLE_DEFAULT	/* trust anchors for TLS upstream */
#define CA_BUNDLE_DEFAULT	"/etc/ssl/certs/ca-certificates.crt"
#endif

/* ---------------------------------------------------------------- util.c */

/*
 * A fixed byte buffer: readable bytes are data[rpos..wpos), free room is
 * data[wpos..cap). Used only through these helpers, so a plain socket and
 * a TLS engine fill and drain it the same way.
 */
struct buf {
	char	*data;
	size_t	 rpos, wpos, cap;
};

/* Allocates cap bytes; 0 on success, -1 (errno ENOMEM) on failure. */
int	 buf_init(struct buf *, size_t cap);
void	 buf_free(struct buf *);
/* Grows to at least cap bytes (never shrinks); 0 or -1 on ENOMEM. */
int	 buf_grow(struct buf *, size_t cap);
/* Readable bytes and their start; buf_rack() consumes n of them. */
char	*buf_rptr(struct buf *, size_t *len);
void	 buf_rack(struct buf *, size_t n);
/* Free room after the data (moving the data to the front if that makes
 * more room); buf_wack() commits n bytes written there. */
char	*buf_wptr(struct buf *, size_t *room);
void	 buf_wack(struct buf *, size_t n);
size_t	 buf_len(const struct buf *);
/* Appends n bytes; -1 if they do not fit (nothing is written then). */
int	 buf_put(struct buf *, const void *, size_t n);
/* Inserts n bytes before the readable data, moving and growing as needed
 * (never past limit bytes in all); -1 if it cannot. */
int	 buf_prepend(struct buf *, const void *, size_t n, size_t limit);
/* Replaces the old readable bytes at off with n bytes of p (NULL when n
 * is 0), the bytes after them kept, moving and growing as needed (never
 * past limit bytes in all); -1 if it cannot (nothing changed then). */
int	 buf_replace(struct buf *, size_t off, size_t old, const void *p,
	    size_t n, size_t limit);
void	 buf_reset(struct buf *);
/* A buffer over the caller's memory (cap bytes, the first len readable),
 * for a moment's use: never buf_free()d, never grown. */
void	 buf_over(struct buf *, char *mem, size_t cap, size_t len);

uint16_t le16dec(const void *);
uint32_t le32dec(const void *);
uint64_t le64dec(const void *);
void	 le16enc(void *, uint16_t);
void	 le32enc(void *, uint32_t);
void	 le64enc(void *, uint64_t);
uint16_t be16dec(const void *);
uint32_t be32dec(const void *);
void	 be16enc(void *, uint16_t);
void	 be32enc(void *, uint32_t);

/* Copies at most size-1 bytes and NUL-terminates; returns strlen(src). */
size_t	 strlcpy_p(char *dst, const char *src, size_t size);
/* Copies n bytes of src into dst[size] as a string; -1 if it does not fit. */
int	 strnbuf(char *dst, size_t size, const char *src, size_t n);
/* Case-insensitive equality of a counted string with a C string. */
int	 strncaseeq(const char *s, size_t n, const char *lit);
/* Monotonic milliseconds. */
int64_t	 now_ms(void);
/* 1 when a and b (n bytes each) are equal; time does not depend on data. */
int	 ct_equal(const void *a, const void *b, size_t n);
/* The value of a hexadecimal digit, or -1. */
int	 hex_value(int c);
/* Base64 (RFC 4648 with padding). encode returns the length written
 * (NUL added) or -1 if dst is too small; decode returns the byte count
 * or -1 on bad input or a short dst. */
long	 base64_encode(const void *src, size_t n, char *dst, size_t size);
long	 base64_decode(const char *src, size_t n, void *dst, size_t size);
/* SHA-256 of n bytes. */
void	 sha256(const void *, size_t n, unsigned char out[32]);
/* Parses a decimal in [min, max]; 0 or -1. */
int	 parse_long(const char *s, long min, long max, long *out);
/*
 * Closes *fd unless it is -1, and sets it to -1: every descriptor field
 * starts at -1 where its struct is made and is closed only through these,
 * so no stale number is ever closed twice. Built with PROXY_DEBUG
 * (DEBUG=1, SANITIZE=1), closing 0, 1 or 2 is an assertion failure.
 */
void	 fd_close(int *fd);
/* fn(arg, fd) is called with each descriptor fd_close() closes, just
 * before (a worker's loop forgets its registration); NULL: none. */
void	 fd_close_hook(void (*fn)(void *, int), void *arg);
void	 fd_close_pair(int fd[2]);
/* Opens /dev/null on whichever of 0, 1 and 2 is closed, so no socket can
 * ever get a standard descriptor's number; 0 or -1. */
int	 fd_std_open(void);
/* Parses "host:port", "[v6]:port" or a bare host (port = defport);
 * 0 or -1. */
int	 parse_hostport(const char *s, size_t n, char *host, size_t hostsz,
	    uint16_t *port, uint16_t defport);
/* Formats an address as "1.2.3.4:80" or "[::1]:80". */
void	 addr_format(const struct sockaddr *, char *, size_t);

/* ---------------------------------------------------------------- http.c */

/* A port of 1 to 5 decimal digits, in 1..65535 (0..65535 with zero_ok);
 * 0 or -1. */
int	 http_port_parse(const char *p, size_t n, int zero_ok, uint16_t *port);

/*
 * The HTTP/1.1 head parser. Pure: it reads the caller's bytes and reports
 * offsets into them; it never allocates, touches an fd or logs.
 *
 * Strict RFC 9112: CRLF line ends only (bare LF or bare CR: error), no
 * obs-fold, no NUL or other control bytes except HTAB in values, tokens
 * for method and field names, one SP between request-line parts, version
 * "HTTP/1.0" or "HTTP/1.1" only (others: 505), no whitespace before the
 * colon, Content-Length with Transfer-Encoding, differing Content-Lengths
 * or a bad Content-Length value: error; Transfer-Encoding whose last
 * coding is not "chunked" in a request: error (501 for unknown codings).
 * In a response Transfer-Encoding wins over any Content-Length (flagged
 * HTTP_F_CL_TE, for the builders to drop). h->error names the rule.
 */

enum http_method {
	HTTP_OTHER = 0,
	HTTP_GET, HTTP_HEAD, HTTP_POST, HTTP_PUT, HTTP_DELETE,
	HTTP_CONNECT, HTTP_OPTIONS, HTTP_TRACE, HTTP_PATCH
};

enum http_form {
	HTTP_FORM_ORIGIN,	/* /path?q */
	HTTP_FORM_ABSOLUTE,	/* http://host:port/path */
	HTTP_FORM_AUTHORITY,	/* host:port (CONNECT only) */
	HTTP_FORM_ASTERISK	/* * (OPTIONS only) */
};

enum http_body {
	HTTP_BODY_NONE,		/* no body */
	HTTP_BODY_LENGTH,	/* content_length bytes */
	HTTP_BODY_CHUNKED,	/* chunked coding */
	HTTP_BODY_CLOSE		/* until the connection closes (responses) */
};

/* A span of the caller's buffer: bytes [off, off + len). */
struct http_span {
	uint32_t	off, len;
};

struct http_field {
	struct http_span name, value;	/* value without surrounding OWS */
};

/* Flags in struct http_head.flags, from Connection and other fields. */
#define HTTP_F_CLOSE		0x0001	/* Connection: close */
#define HTTP_F_KEEPALIVE	0x0002	/* Connection: keep-alive */
#define HTTP_F_UPGRADE		0x0004	/* Connection: upgrade + Upgrade */
#define HTTP_F_EXPECT100	0x0008	/* Expect: 100-continue */
#define HTTP_F_HAS_HOST		0x0010	/* a Host field was present */
#define HTTP_F_WEBSOCKET	0x0020	/* Upgrade lists websocket (test it
					   with HTTP_F_UPGRADE) */
#define HTTP_F_TE		0x0040	/* Transfer-Encoding is present: it,
					   not Content-Length, frames the
					   body (RFC 9112 6.3) */
#define HTTP_F_CL_TE		0x0080	/* Content-Length beside it: refused
					   in a request; in a response the
					   length is ignored, and the sender
					   is not trusted to frame the next
					   message on that connection */
#define HTTP_F_TE_CODED		0x0100	/* codings besides one final
					   chunked (gzip, ...): the body is
					   still coded once dechunked */

struct http_head {
	/* request line, or status line for responses */
	enum http_method method;
	struct http_span method_s;	/* the method token as sent */
	struct http_span target;	/* request-target as sent */
	enum http_form	 form;
	int		 minor;		/* 0 or 1 (HTTP/1.x) */
	int		 status;	/* responses: 100..999 */
	struct http_span reason;	/* responses */

	/* request-target, split (absolute and authority forms) */
	struct http_span scheme;	/* "http", empty if none */
	struct http_span host;		/* without [] for IPv6 literals */
	uint16_t	 port;		/* from the target, else 80 for
					   http and ws, 443 for https and
					   wss; 0 for other schemes and
					   origin form */
	struct http_span path;		/* origin-form part as sent; empty
					   (meaning "/") or starting with
					   "?" when the URI has no path:
					   send "/" before it */

	/* header section */
	size_t		 nfields;
	struct http_field fields[HTTP_MAX_FIELDS];
	struct http_span host_field;	/* value of Host, if any */

	/* framing, derived */
	enum http_body	 body;
	uint64_t	 content_length;
	unsigned	 flags;		/* HTTP_F_* */
	size_t		 head_len;	/* bytes up to and including CRLFCRLF */
	const char	*error;		/* why parsing failed, for logs */
};

/*
 * Parses a request head at buf[0..len). *scan must be 0 on the first call
 * for a message and is carried between calls so that bytes already checked
 * are not scanned again. max is the largest allowed head.
 * Returns the head length (> 0) with h filled in, 0 if more bytes are
 * needed, or a negative HTTP status on error: -400 malformed, -431 head
 * over max or more than HTTP_MAX_FIELDS fields, -501 unknown
 * transfer-coding, -505 unsupported version; h->error says why.
 * A request's body is NONE, LENGTH or CHUNKED (never CLOSE). A *scan
 * greater than len restarts the scan. status is 0. content_length is 0
 * unless body is LENGTH: a Content-Length of 0 gives body NONE.
 */
int	 http_parse_request(const char *buf, size_t len, size_t max,
	    size_t *scan, struct http_head *h);
/*
 * The same for a response head. req_method is the method of the request
 * it answers (HEAD and 2xx-to-CONNECT have no body); body framing follows
 * RFC 9112 section 6.3 (1xx, 204, 304: NONE; no length: CLOSE).
 * Tolerates what real servers send and is still safe: obs-fold and bare LF
 * stay errors. Every error is -502, a head over max or too many fields
 * included.
 */
int	 http_parse_response(const char *buf, size_t len, size_t max,
	    size_t *scan, enum http_method req_method, struct http_head *h);

/* Finds a field by name (case-insensitive); index or -1. start lets a
 * caller iterate over repeated fields. */
int	 http_find_field(const char *buf, const struct http_head *h,
	    const char *name, size_t start);
/*
 * One challenge of a WWW- or Proxy-Authenticate value (RFC 9110 11.6.1):
 * the scheme, and either its token68 (NTLM's and Negotiate's base64) or
 * its auth-params as sent (Basic's realm="..."); spans into the value.
 */
struct http_challenge {
	const char	*scheme;
	size_t		 scheme_len;
	const char	*token;		/* token68, or NULL */
	size_t		 token_len;
	const char	*params;	/* auth-params, or NULL */
	size_t		 params_len;
};
/*
 * Reads the next challenge of value[n] from *pos (0 at first), so that a
 * field "Negotiate, NTLM" or one challenge per field read alike: 1 with
 * ch filled and *pos past it, 0 at the end, -1 when the value is
 * malformed from there on.
 */
int	 http_auth_next(const char *value, size_t n, size_t *pos,
	    struct http_challenge *ch);
/* 1 if the comma-separated list in value contains token (case-insens.). */
int	 http_list_has(const char *value, size_t len, const char *token);
/* 1 if the field name is hop-by-hop by itself (Connection, Keep-Alive,
 * Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade,
 * Proxy-Authorization, Proxy-Authenticate). */
int	 http_is_hop_field(const char *name, size_t len);
/* 1 if s[n] is a token (RFC 9110 5.6.2): a field name, a method. */
int	 http_token(const char *s, size_t n);
/* 1 if the field frames a body (Content-Length, Transfer-Encoding). */
int	 http_framing_field(const char *name, size_t len);
/* Decodes "field: Basic ..." (Proxy-Authorization, or Authorization for
 * the web server) into plain[size]: the user, then *pass points at the
 * password after it; 0, or -1 when there is none or it is malformed. */
int	 http_basic_decode(const char *buf, const struct http_head *h,
	    const char *field, char *plain, size_t size, char **pass);
/* 1 if name is listed in any Connection field of h (Proxy-Connection is
 * not read: it is hop-by-hop itself). */
int	 http_connection_lists(const char *buf, const struct http_head *h,
	    const char *name, size_t len);

enum http_method http_method_lookup(const char *s, size_t n);
/* The method's name; "" for HTTP_OTHER, whose name is in method_s. */
const char *http_method_name(enum http_method);
/* Reason phrase for a status code ("Unknown" if none). */
const char *http_reason(int status);

/*
 * The chunked-coding scanner, resumable across calls and buffers.
 * http_chunked_step() consumes the next piece of buf[0..len): either
 * framing (size line, CRLF after data, trailer section) with *data_len = 0,
 * or a run of chunk data with *data_len = bytes consumed. It returns the
 * bytes consumed (0 only when len is 0 or the body is done), or -1 on a
 * malformed coding (c->error says why): size line over 1024 bytes (its
 * CRLF included), no hex digit, size of 2^60 or more, bad extension, bare
 * LF, missing CRLF after data, trailer section over 8 KiB (its final CRLF
 * included) or malformed. c->done is set once the last CRLF of
 * the trailer section has been consumed.
 */
struct http_chunked {
	int		 state;
	uint64_t	 remain;	/* data bytes left in this chunk */
	uint32_t	 linelen;	/* bytes in the current line */
	uint32_t	 trailer;	/* trailer bytes so far */
	int		 done;
	const char	*error;
};

void	 http_chunked_init(struct http_chunked *);
long	 http_chunked_step(struct http_chunked *, const char *buf, size_t len,
	    size_t *data_len);

/*
 * Head builders, for the hop after this one. An output cursor over a
 * caller buffer; once something does not fit, overflow stays set and
 * nothing more is written.
 */
struct http_out {
	char		*p;
	size_t		 len, cap;
	int		 overflow;
};

void	 http_out_put(struct http_out *, const char *, size_t);
void	 http_out_str(struct http_out *, const char *);
/* host, in brackets when it is IPv6, and ":port" unless it is defport. */
void	 http_out_hostport(struct http_out *, const char *host,
	    uint16_t port, uint16_t defport);

/* prefix, then host:port as above, into dst[size] ("" if too long). */
void	 http_hostport(char *dst, size_t size, const char *prefix,
	    const char *host, uint16_t port);

/* How a head changes on its way. */
struct http_rewrite {
	const char	*host;		/* the target; IPv6 without [] */
	uint16_t	 port;
	int		 absolute;	/* absolute-form target (to a parent) */
	uint16_t	 default_port;	/* the scheme's, left out of Host
					   (0: 80) */
	int		 upgrade;	/* keep a WebSocket Upgrade */
	int		 keep_proxy_auth;	/* Proxy-Authorization and
					   -Authenticate pass through */
	const char *const *drop;	/* more request field names to drop */
	size_t		 ndrop;
	const char *const *add;		/* "Name: value" request fields,
					   replacing fields of that name */
	size_t		 nadd;
	const char	*useragent;	/* replaces User-Agent, or NULL */
	const char	*via;		/* a Via value to add, or NULL */
	const char	*proxy_auth;	/* Proxy-Authorization to add, or NULL */
	int		 keep_te;	/* response: the body goes on in the
					   transfer-codings it came in, so
					   its Transfer-Encoding goes too */
	int		 close;		/* response: Connection: close */
	int		 keepalive10;	/* response: Connection: keep-alive
					   (for an HTTP/1.0 client) */
	int		 reframe;	/* response: HTTP_REFRAME_*: plugins
					   changed the body */
	uint64_t	 length;	/* its Content-Length (LENGTH) */
};

/* How a response body changed by plugins is framed for the client: the
 * received Content-Length and Transfer-Encoding go, and this says what
 * comes instead. */
enum {
	HTTP_REFRAME_NONE,	/* as received */
	HTTP_REFRAME_LENGTH,	/* Content-Length: rw->length */
	HTTP_REFRAME_CHUNKED,	/* Transfer-Encoding: chunked */
	HTTP_REFRAME_CLOSE	/* no length: the close ends it */
};

/*
 * Writes the request h (parsed over buf) as it goes to the next hop: an
 * HTTP/1.1 request line with the target in the form rw asks for, a Host
 * field matching the target, every end-to-end field (hop-by-hop fields,
 * those named by Connection, and those rw drops or replaces are left
 * out), the received Transfer-Encoding values joined in one field for a
 * chunked body, then rw's fields. Content-Length never goes with
 * Transfer-Encoding (RFC 9112 6.3), in either builder. Returns its
 * length, or 0 if dst[cap] is too small.
 */
size_t	 http_build_request(const char *buf, const struct http_head *h,
	    const struct http_rewrite *, char *dst, size_t cap);
/* One of the proxy's own answers (errors, the PAC file, later the web
 * server and plugins): every one is built by http_build_answer. */
struct http_answer {
	int		 status;
	const char	*ctype;		/* Content-Type; NULL: text/plain */
	uint64_t	 length;	/* Content-Length of the body */
	int		 close;		/* Connection: close */
	int		 keepalive10;	/* an HTTP/1.0 client kept alive */
	const char	*cache;		/* Cache-Control value, or NULL */
	const char	*authenticate;	/* Proxy-Authenticate, or NULL */
	const char	*via;		/* Via value, or NULL */
	const char	*phrase;	/* reason phrase; NULL: the standard */
	const char	*fields;	/* more fields, each line ending in
					   CRLF (ETag, Content-Range, ...),
					   or NULL */
};
/* The answer's head ("HTTP/1.1 status reason", the fields above, the
 * empty line) into dst[cap]; its length, or 0 if it does not fit. A 1xx,
 * 204 or 304 has no Content-Length (and a Content-Type only if given):
 * it has no body. */
size_t	 http_build_answer(const struct http_answer *, char *dst, size_t cap);
/* A whole error answer: the head (Connection: close, Via if not NULL, a
 * Basic challenge for 407 and 401, Allow: GET, HEAD for 405) and "status reason: why\n"; its length, or 0
 * if it does not fit. */
size_t	 http_build_error(int status, const char *why, const char *via,
	    char *dst, size_t cap);
/* The same with the reason phrase given (NULL: the standard one), in the
 * status line and the body. */
size_t	 http_build_error_as(int status, const char *phrase, const char *why,
	    const char *via, char *dst, size_t cap);
/* An HTTP-date (RFC 9110 5.6.7: IMF-fixdate, and the obsolete RFC 850
 * and asctime forms a recipient must read) as Unix seconds in *t; 0, or
 * -1 when s[n] is none of them. */
int	 http_date_parse(const char *s, size_t n, int64_t *t);
/* Unix seconds as an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT", in
 * out (30 bytes with the NUL). */
void	 http_date_format(int64_t t, char out[30]);
/* 1 if the connection stays open after the message with head h:
 * HTTP/1.1 unless "Connection: close", 1.0 only with "keep-alive". */
int	 http_keepalive(const struct http_head *h);
/* The same for a response: "HTTP/1.1 status reason", end-to-end fields,
 * Transfer-Encoding as received when rw->keep_te (with rw->reframe, the
 * framing it says instead of the received one), Upgrade for a 101, Via,
 * and Connection as rw says. */
size_t	 http_build_response(const char *buf, const struct http_head *h,
	    const struct http_rewrite *, char *dst, size_t cap);

/* --------------------------------------------------------------- socks.c */

/*
 * What a SOCKS server reads (the RFC 1928 greeting and request, the RFC
 * 1929 login, a SOCKS4 or SOCKS4a CONNECT) and the replies it writes.
 * Pure, as http.c: each parser reads p[len] and returns the bytes of one
 * whole message (> 0), 0 while more are needed, or -1 when it is
 * malformed, with the reason; it never reads past len.
 */
enum socks5_code {		/* RFC 1928 section 6 */
	SOCKS5_SUCCEEDED,
	SOCKS5_FAILURE,		/* general SOCKS server failure */
	SOCKS5_NOT_ALLOWED,	/* connection not allowed by ruleset */
	SOCKS5_NET_UNREACHABLE,
	SOCKS5_HOST_UNREACHABLE,
	SOCKS5_REFUSED,		/* connection refused */
	SOCKS5_TTL_EXPIRED,
	SOCKS5_CMD_UNSUPPORTED,
	SOCKS5_ATYP_UNSUPPORTED
};
#define SOCKS4_GRANTED		90
#define SOCKS4_REJECTED		91	/* rejected or failed */
#define SOCKS_CMD_CONNECT	1	/* 2 BIND, 3 UDP ASSOCIATE */
/* Authentication methods a SOCKS5 greeting offers (bits of *offered). */
#define SOCKS5_OFFERS_NONE	0x1	/* X'00' no authentication */
#define SOCKS5_OFFERS_LOGIN	0x2	/* X'02' username/password */
#define SOCKS5_METHOD_NONE	0x00
#define SOCKS5_METHOD_LOGIN	0x02
#define SOCKS5_METHOD_REFUSED	0xff	/* no acceptable methods */
#define SOCKS_NAME_MAX		255	/* a domain, user or password */

/* A client's request. */
struct socks_request {
	int		 version;	/* 4 or 5 */
	int		 cmd;		/* SOCKS_CMD_CONNECT, or another */
	char		 host[SOCKS_NAME_MAX + 1];	/* a name, or an
					   address literal (IPv6 without []) */
	uint16_t	 port;
	int		 code;		/* malformed: the reply it gets */
	const char	*error;		/* malformed: why */
};

/* VER 5, NMETHODS, METHODS: *offered gets SOCKS5_OFFERS_* (0 when no
 * method we know is among them, NMETHODS 0 included). */
long	 socks5_parse_greeting(const unsigned char *p, size_t len,
	    unsigned *offered, const char **error);
/* RFC 1929: VER 1, ULEN, UNAME, PLEN, PASSWD (each 1-255 bytes, no NUL)
 * into user and pass as strings. */
long	 socks5_parse_login(const unsigned char *p, size_t len,
	    char user[SOCKS_NAME_MAX + 1], char pass[SOCKS_NAME_MAX + 1],
	    const char **error);
/* VER 5, CMD, RSV, ATYP (1 IPv4, 3 a name of 1-255 bytes: letters,
 * digits, '.', '-' and '_', or an address literal; 4 IPv6), DST.ADDR,
 * DST.PORT. Malformed: r->code is SOCKS5_ATYP_UNSUPPORTED for another
 * ATYP (known as soon as it arrives), else SOCKS5_FAILURE. */
long	 socks5_parse_request(const unsigned char *p, size_t len,
	    struct socks_request *r);
/* VN 4, CD, DSTPORT, DSTIP, USERID, NUL; with DSTIP 0.0.0.x (x not 0),
 * SOCKS4a's name and NUL after it. USERID and the name: at most 255
 * bytes. Malformed: r->code is SOCKS4_REJECTED. */
long	 socks4_parse_request(const unsigned char *p, size_t len,
	    struct socks_request *r);
/* The SOCKS5 reply: VER 5, code, RSV, and the bound address (IPv4 or
 * IPv6; NULL or another family: 0.0.0.0:0); its length (10 or 22). */
size_t	 socks5_reply(int code, const struct sockaddr *bound,
	    unsigned char out[22]);
/* The SOCKS4 reply: VN 0, code, and a port and address clients ignore;
 * 8 bytes. */
size_t	 socks4_reply(int code, unsigned char out[8]);
/* The RFC's words for a SOCKS5 reply code ("connection refused"). */
const char *socks5_code_name(int code);

/* ----------------------------------------------------------------- log.c */

enum { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };


/* Logs to path: NULL or "-" for stderr, "syslog", else a file opened for
 * appending; -1 (errno set) if the file cannot be opened. */
int	 log_init(const char *path, int level);
/* Where a request's answer came from: /metrics counts requests by it,
 * --log-format's {route} names it. */
enum route {
	ROUTE_NONE,	/* none was chosen: refused, or failed before */
	ROUTE_DIRECT,	/* the origin itself */
	ROUTE_PARENT,	/* a --proxy parent (HTTP or SOCKS5) */
	ROUTE_PAC,	/* a hop the --pac file's answer named */
	ROUTE_LOCAL,	/* the proxy's own answer: PAC file, web server */
	ROUTE_PLUGIN,	/* a plugin's answer */
	ROUTE_MAX
};
/* Status classes counted: 1xx to 5xx, and [0] for no status (the
 * exchange ended before any answer). */
#define STATUS_CLASSES	6

/*
 * The access line (--log-format): a template of "{name}" fields and
 * text ("{{" and "}}" for braces), compiled once into parts that point
 * into it. The names are log_field_names[]'s; proxy.py's access-log
 * names (request_method, server_host, response_code, ...) are taken as
 * aliases.
 */
enum log_field {
	LF_TEXT = -1,	/* a part that is text, not a field */
	LF_CLIENT,	/* "1.2.3.4:5678" */
	LF_CLIENT_IP, LF_CLIENT_PORT,
	LF_METHOD,
	LF_HOSTPORT,	/* "host:port", "https://host:port" intercepted,
			   "-" for none */
	LF_HOST, LF_PORT,
	LF_PATH,	/* the request-target's path and query (cut) */
	LF_URL,		/* scheme://host[:port]/path, host:port for
			   CONNECT, the path for the proxy's own answers */
	LF_STATUS, LF_REASON,
	LF_BYTES_IN, LF_BYTES_OUT,
	LF_DURATION_MS,
	LF_UPSTREAM,	/* "DIRECT", "PROXY host:port", "SOCKS5 host:port" */
	LF_ROUTE,	/* none, direct, parent, pac, local, plugin */
	LF_ABORTED,	/* " aborted" or "" */
	LF_PID,		/* the worker's */
	LF_MAX
};
#ifndef LOG_FORMAT_PARTS
#define LOG_FORMAT_PARTS	64	/* fields and texts in a template */
#endif
struct log_part {
	enum log_field	 field;
	const char	*text;		/* LF_TEXT: len bytes of the template */
	size_t		 len;
};
/* Today's access line: "{client} {method} {hostport} {path} {status}
 * {bytes_in} {bytes_out} {duration_ms}ms {upstream}{aborted}", after
 * "access ". */
extern const char log_format_default[];
/* Compiles tmpl into parts[max]; their count, or -1 with why filled (an
 * unknown field or an unclosed brace, named). */
long	 log_format_parse(const char *tmpl, struct log_part *parts,
	    size_t max, char *why, size_t whysz);
/* The name of a route, as /metrics and {route} give it. */
const char *log_route_name(enum route);

/* Reopens the log file after rotation (SIGHUP); -1 on failure. */
int	 log_reopen(void);
int	 log_enabled(int level);
void	 log_set_level(int level);
int	 log_level_lookup(const char *);
const char *log_level_name(int);
/* log_warn appends strerror(errno); none of them changes errno. */
void	 log_warn(const char *, ...) PRINTF(1, 2);
void	 log_warnx(const char *, ...) PRINTF(1, 2);
void	 log_error(const char *, ...) PRINTF(1, 2);
void	 log_info(const char *, ...) PRINTF(1, 2);
void	 log_debug(const char *, ...) PRINTF(1, 2);
/* Start-up only: log and exit(1). */
void	 fatal(const char *, ...) PRINTF(1, 2) NORETURN;
void	 fatalx(const char *, ...) PRINTF(1, 2) NORETURN;

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
 * ntlm_http_encode writes the scheme ("NTLM", or "Negotiate": raw NTLMSSP
 * inside Negotiate, as Windows sends it when Kerberos is unavailable), a
 * space and the base64 of msg[len] to out[size] (NUL added); returns the
 * string length or -1 if it does not fit. ntlm_http_type1 and
 * ntlm_http_type3 build the message and encode it in one go (messages up
 * to NTLM_MSG_MAX bytes), with the arguments and errors of the builders.
 */
long	 ntlm_http_encode(const char *scheme, const unsigned char *msg,
	    size_t len, char *out, size_t size);
long	 ntlm_http_type1(const char *scheme, enum ntlm_dialect d,
	    uint32_t flags, const char *domain, const char *workstation,
	    char *out, size_t size);
long	 ntlm_http_type3(const char *scheme, const struct ntlm_creds *c,
	    enum ntlm_dialect d, const struct ntlm_challenge *ch,
	    const unsigned char cchal[8], uint64_t filetime, char *out,
	    size_t size, const char **err);

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
/* The same for a challenge's token[n] alone (the base64 after "NTLM " or
 * "Negotiate "): 1, or -1 with ch->error set. */
int	 ntlm_http_token(const char *token, size_t n, unsigned char *buf,
	    size_t size, struct ntlm_challenge *ch);

/* -------------------------------------------------------------- config.c */

/* One entry of an address or host list: an address range (IPv4 kept as
 * IPv4-mapped IPv6) or a host glob. */
struct netlist_entry {
	unsigned char	 lo[16], hi[16];
	int		 is_host;
	int		 any;		/* "*" */
	char		 host[HOST_MAX];
};

/* Entries are allocated as they are added (at most MAX_LIST_ITEMS): a
 * zeroed netlist is empty, and netlist_free() empties it again. */
struct netlist {
	struct netlist_entry *v;
	size_t		 n, cap;
};

/*
 * Adds one item in Px's forms: 127.0.0.1, 192.168.0.*, 10.0.*.*,
 * 192.168.0.1-192.168.0.255, 192.168.0.0/24, ::1, fe80::/10, "*", and,
 * when hosts is set, host globs such as *.local or intranet. Returns 0, or
 * -1 with the reason in err.
 */
int	 netlist_add(struct netlist *, const char *item, int hosts,
	    char *err, size_t errsz);
void	 netlist_free(struct netlist *);
/* The same for a list separated by commas, semicolons or blanks. */
int	 netlist_add_csv(struct netlist *, const char *csv, int hosts,
	    char *err, size_t errsz);
/* The first entry whose range holds the address, or -1. */
int	 netlist_find_addr(const struct netlist *, const struct sockaddr *);
/* 1 if the address is in one of the ranges. */
int	 netlist_match_addr(const struct netlist *, const struct sockaddr *);
/* 1 if host (a name or an address literal) matches an entry; names
 * match globs case-insensitively, literals match ranges. */
int	 netlist_match_host(const struct netlist *, const char *host);
/* 1 if host matches pattern: '*' any run, '?' one character, letters
 * without case (the host globs of --noproxy and the plugins). */
int	 config_glob_match(const char *pattern, const char *host);

/* How a px.ini or cntlm.conf value becomes a flag's value. */
enum config_xform {
	XF_NONE,
	XF_IGNORE,	/* a key with no meaning here */
	XF_NEGATE,	/* px.ini foreground = 1: not --daemon */
	XF_PX_LOG,	/* px.ini log = 0..4: info or debug */
	XF_SPACE_PORT,	/* cntlm "Proxy host port" */
	XF_LISTEN,	/* cntlm "Listen 3128": a port on loopback */
	XF_ACL		/* cntlm Allow/Deny: one ordered rule */
};

/* Called for each setting of a file, section lower-cased or NULL,
 * spaced set for cntlm's "Key value" form; returns 0, or -1 with why
 * filled. */
typedef int (*config_set_fn)(void *arg, const char *where,
    const char *section, const char *key, const char *value, int spaced,
    char *why, size_t whysz);

/*
 * Reads a config file: "[section]" lines, "key = value", "key: value"
 * and cntlm's "Key value", '#' and ';' comments, values optionally in
 * double quotes. Returns 0, or -1 with "file:line: key: why" in err.
 */
int	 config_read(const char *path, config_set_fn, void *arg, char *err,
	    size_t errsz);
/* One line of a config file, in place: "[section]" (section set, *key
 * NULL), "key = value", "key: value", "Key value", or a comment or blank
 * line (*key NULL). 0, or -1 when the line is none of these. */
int	 config_parse_line(char *line, char *section, size_t secsz,
	    char **key, char **value, int *spaced);
/* The flag a px.ini or cntlm.conf key stands for (NULL: none; a key
 * that is a flag name needs none), with the transform of its value. */
const char *config_alias(const char *section, const char *key,
	    int spaced, enum config_xform *);
/* Reads a whole file of at most max bytes (NUL added); NULL with errno
 * set on failure. */
char	*config_slurp(const char *path, size_t max, size_t *len);
/* The flag value for a file value; NULL when the key is to be ignored. */
const char *config_xform_value(enum config_xform, const char *value,
	    char *out, size_t size);

/* ------------------------------------------------------------ plugins.c */

/*
 * Plugins: behaviours compiled in, a row each in the static table of
 * plugins.c, enabled and ordered by --plugins a,b,c (proxy.py's class
 * names work too). A row is a struct of optional hooks; the core calls
 * each hook of the enabled plugins in --plugins order, handing it a
 * struct plugin_call. Hooks run in the worker: they never block (no
 * network, no waiting, no unbounded reads or writes; opening a local
 * file and bounded reads or writes are fine) and never call into conn.c:
 * they read the call, write their answer or edits into it, and return a
 * verdict. README's "Writing a plugin" is the guide.
 */
#ifndef PLUGINS_MAX
#define PLUGINS_MAX		16	/* plugins enabled at once */
#endif
#ifndef PLUGIN_PIECE_MAX
#define PLUGIN_PIECE_MAX	16384	/* body bytes a body hook gets at
					   once; it may write twice that */
#endif
#define PLUGIN_OUT_MAX		(2 * PLUGIN_PIECE_MAX)
#ifndef PLUGIN_FIELDS_MAX
#define PLUGIN_FIELDS_MAX	2048	/* an answer's added fields */
#endif

enum plugin_verdict {
	PLUGIN_PASS,	/* go on: the next plugin, then the core */
	PLUGIN_DONE,	/* answered or refused (request, upstream), or
			   "the plugins after me do not see this" (response):
			   the chain ends here */
	PLUGIN_FAIL	/* the plugin failed (plugin_fail says why): the
			   exchange ends with a 500 (request side) or 502
			   (response side) that names the plugin */
};

/* How a plugin takes a response's body; chosen in its response hook
 * with plugin_body(). Each plugin sees what the plugins before it made
 * of the body; the core frames what the last one makes for the client:
 * an unchanged body keeps its framing, a replaced one gets its new
 * Content-Length, a rewritten one goes chunked (close-delimited to an
 * HTTP/1.0 client). */
enum plugin_body {
	PLUGIN_BODY_NONE,	/* not seen (the default) */
	PLUGIN_BODY_READ,	/* each piece seen, passed on unchanged */
	PLUGIN_BODY_REWRITE,	/* each piece replaced by what the body hook
				   writes (plugin_output) */
	PLUGIN_BODY_REPLACE	/* the whole body replaced by fixed bytes */
};

/* What a request hook answers with (plugin_answer, plugin_answer_file,
 * plugin_refuse); the core sends it. */
struct plugin_answer {
	int		 status;
	int		 refused;	/* an error page; the connection closes */
	char		 phrase[64];	/* reason phrase; "": the standard one */
	const char	*ctype;		/* Content-Type (static or conf) */
	const char	*cache;		/* Cache-Control; NULL: no-cache */
	const char	*body;		/* in the core's buffer */
	size_t		 len;
	int		 fd;		/* or a file streamed, -1: none */
	uint64_t	 fd_len;
	size_t		 fields_len;	/* bytes of plugin_call.fields */
};

struct plugin;

/*
 * One hook call. The core fills the request's description; a hook reads
 * it, keeps what it needs in its state, and writes through the
 * plugin_* functions below.
 */
struct plugin_call {
	const struct config *cfg;	/* the configuration (read-only) */
	const struct plugin *plugin;	/* the plugin called */
	const void	*conf;		/* what its init made (or NULL) */
	void		*state;		/* its per-connection state: state_size
					   bytes, zeroed at the connection's
					   first request, freed by the core
					   after the close hook */
	/* the request (every hook but close) */
	const char	*peer;		/* client "address:port" */
	const struct sockaddr *peer_addr;	/* the same (after a PROXY
					   protocol header: the client's) */
	const struct worker *worker;	/* the worker: its figures (the web
					   server's /metrics and /status) */
	enum http_method method;	/* HTTP_OTHER: see head->method_s */
	char		 host[HOST_MAX];	/* the target; "" for a request
					   to the proxy itself */
	uint16_t	 port;
	int		 local;		/* origin-form, to the proxy itself
					   (PAC file, web server): not proxied,
					   and no proxy login asked */
	int		 tls;		/* https:// or intercepted */
	int		 intercepted;	/* inside a decrypted CONNECT */
	const char	*dest_host;	/* where origin-form heads go: the
					   intercepted CONNECT's host, or a
					   transparent port's destination;
					   NULL: to the proxy itself */
	uint16_t	 dest_port;
	/* request and response hooks: the head, as the plugins before this
	 * one left it (parsed: see http.c's helpers) */
	const char	*buf;
	const struct http_head *head;
	int		 response;	/* head is a response's */
	enum http_method req_method;	/* response: what it answers */
	/* response, done, log: the status sent (0: none yet) */
	int		 status;
	/* upstream hook: the next hop ("host:port" of the parent, NULL:
	 * the origin); set connect_host (and connect_port) to connect there
	 * directly instead */
	const char	*hop;
	char		 connect_host[HOST_MAX];
	uint16_t	 connect_port;
	/* done, log: the exchange */
	uint64_t	 bytes_in, bytes_out;
	int		 aborted;	/* ended before its answer did */
	int		 body_changed;	/* a plugin before this one rewrote
					   or replaced the body */
	/* results (and why, at the end) */
	struct plugin_answer answer;
	/* the core's: buffers the plugin_* functions write into */
	char		*alt[2];	/* head rewrites, alternately */
	size_t		 alt_size;
	struct http_head *alt_head;
	size_t		 max_head;
	char		*out;		/* answer body, or body hook output */
	size_t		 out_len, out_cap;
	char		*stage;		/* the body stages' buffers */
	int		 rewritten;	/* the head was rewritten */
	enum plugin_body body_mode;	/* response: what plugin_body chose */
	const char	*replace;	/* PLUGIN_BODY_REPLACE bytes */
	size_t		 replace_len;
	/* last, so that a new call clears the rest and only their first
	 * bytes */
	char		 why[WHY_MAX];	/* plugin_fail, plugin_refuse */
	char		 fields[PLUGIN_FIELDS_MAX];	/* the answer's added
					   fields (plugin_answer_field), each
					   line ending in CRLF */
};

/* A flag of a plugin, declared in its row: --help, config files and
 * --save know it as they know the core's. Its value is a string the
 * plugin's init reads with plugin_flag*(). */
struct plugin_flag {
	const char	*name;		/* "mock-dir" */
	const char	*meta;		/* "DIR" */
	const char	*def;		/* the default, shown and used; NULL:
					   none, or one init works out */
	const char	*help;
	const char	*shown;		/* with def NULL: the default init works
					   out, as --help says it (or NULL) */
};

#define PLUGIN_HIDDEN	0x1	/* not in --help (test fixtures) */

struct plugin {
	const char	*name;		/* "filter_by_upstream_host" */
	const char	*alias;		/* proxy.py's "FilterByUpstreamHostPlugin"
					   or NULL */
	const char	*help;		/* one line */
	unsigned	 flags;		/* PLUGIN_HIDDEN */
	const struct plugin_flag *opts;	/* its flags, ended by a NULL name */
	/* an internal row: enabled by its own setting (this says 1),
	 * before the --plugins ones (after them with last set: the web
	 * server answers what they leave); never named in --plugins */
	int		(*wanted)(const struct config *);
	int		 last;
	/* start-up, in the master, once per configuration (a reload runs it
	 * again): reads the flags, makes *conf (freed by fini); 0, or -1
	 * with why ("--flag: ...") */
	int		(*init)(const struct config *, void **conf, char *why,
			    size_t whysz);
	void		(*fini)(void *conf);
	size_t		 state_size;	/* per-connection state */
	/* a request's head is parsed, before routing: read or rewrite it
	 * (plugin_rewrite: method, URL, headers; a new URL is another
	 * upstream), answer or refuse it. CONNECTs too. */
	enum plugin_verdict (*request)(struct plugin_call *);
	/* the next hop is chosen, before connecting (again on a failover):
	 * change the target (connect_host) or refuse (plugin_refuse) */
	enum plugin_verdict (*upstream)(struct plugin_call *);
	/* a final response head from upstream (not 1xx, not a CONNECT's):
	 * read or rewrite it, choose how to take its body (plugin_body) */
	enum plugin_verdict (*response)(struct plugin_call *);
	/* a piece of the body (len <= PLUGIN_PIECE_MAX, decoded from its
	 * framing), in the mode plugin_body chose; last is 1 once, at the
	 * end (len may be 0 then) */
	enum plugin_verdict (*body)(struct plugin_call *, const char *data,
	    size_t len, int last);
	/* the exchange is over, however it ended (after the access line) */
	void		(*done)(struct plugin_call *);
	/* the client connection closes: release what the state holds */
	void		(*close)(struct plugin_call *);
	/* the access-log line (when info is logged): append to or change
	 * line[size] */
	void		(*log)(struct plugin_call *, char *line, size_t size);
};

/* An enabled plugin in the configuration's chain. */
struct plugin_use {
	const struct plugin *p;
	void		*conf;
};

/* A connection's plugin side: made at its first request while plugins
 * are enabled; freed with it. */
struct plugin_conn {
	void		*state[PLUGINS_MAX];
	unsigned char	 body[PLUGINS_MAX];	/* enum plugin_body, this
						   response */
	const char	*replace[PLUGINS_MAX];
	size_t		 replace_len[PLUGINS_MAX];
	unsigned char	 emitted[PLUGINS_MAX];	/* REPLACE bytes sent on */
	int		 answered;	/* 1 + the chain index of the plugin that
					   answered this request; 0: none */
	char		 phrase[64];	/* its refusal's reason phrase */
	int		 pipe;		/* this response's body goes through
					   the body hooks */
	int		 head_only;	/* what is cleared for sending is the
					   response head alone: the first
					   piece goes after it, one write */
	int		 out_frame;	/* how it goes to the client (the
					   HTTP_REFRAME_* of http.c) */
};

/* The plugin table (plugins.c) and its size. */
extern const struct plugin plugin_table[];
extern const size_t plugin_table_len;

/* Builds cfg's chain from --plugins (and the internal rows it wants) and
 * runs each init; 0, or -1 with why ("--plugins: ..." or the plugin's
 * "--flag: ..."). plugins_free() runs the finis. */
int	 plugins_finish(struct config *, char *why, size_t whysz);
void	 plugins_free(struct config *);
/* The flag a command-line or config-file name is, if a plugin's. */
const struct plugin_flag *plugins_flag_find(const char *name, size_t len);
/* --help's plugin part; --save's plugin flags (the effective value of
 * each flag given); -1 on a write error. */
void	 plugins_usage(FILE *);
int	 plugins_save(FILE *, const struct config *);
/* A flag's value: the last one given, else its default; NULL if none.
 * given is 1 when it was set (command line or file). */
const char *plugin_flag(const struct config *, const char *name);
int	 plugin_flag_given(const struct config *, const char *name);
/* A flag's value as a number in [min, max]; 0, or -1 with why. */
int	 plugin_flag_long(const struct config *, const char *name, long min,
	    long max, long *v, char *why, size_t whysz);

/* For hooks. Each returns what the hook then returns, or -1/NULL when
 * it cannot (the hook should then return PLUGIN_FAIL: why is set). */
/* Answers the request (copied: at most PLUGIN_OUT_MAX bytes). */
enum plugin_verdict plugin_answer(struct plugin_call *, int status,
	    const char *ctype, const void *body, size_t len);
/* Answers with len bytes that are not copied: they must stay as they
 * are until the exchange's done hook (static data, the configuration,
 * what the plugin's state holds), and may be of any size. */
enum plugin_verdict plugin_answer_static(struct plugin_call *, int status,
	    const char *ctype, const void *body, size_t len);
/* Adds a field to the answer just made ("ETag: \"%s\"", "Location: %s"):
 * after plugin_answer*, not for a refusal; no line break, and not
 * Content-Length or Transfer-Encoding (the core frames the body). 0, or
 * -1 with why (the hook should then fail). */
int	 plugin_answer_field(struct plugin_call *, const char *fmt, ...)
	    PRINTF(2, 3);
/* Answers with len bytes of the open file fd (the core owns fd). */
enum plugin_verdict plugin_answer_file(struct plugin_call *, int status,
	    const char *ctype, int fd, uint64_t len);
/* Refuses the request with an error page "status phrase: why" (phrase
 * NULL: the standard one); the connection closes after it. */
enum plugin_verdict plugin_refuse(struct plugin_call *, int status,
	    const char *phrase, const char *fmt, ...) PRINTF(4, 5);
/* Says why the plugin failed; returns PLUGIN_FAIL. */
enum plugin_verdict plugin_fail(struct plugin_call *, const char *fmt, ...)
	    PRINTF(2, 3);
/*
 * Rewrites the head the hook was handed: its first line replaced by
 * line (NULL: kept; a request line's target may be a new absolute URL),
 * the fields named in drop removed, the "Name: value" fields of add
 * appended. The result is read again as strictly as a client's head,
 * and pc->buf, head, host and port describe it from then on. Framing
 * fields (Content-Length, Transfer-Encoding) are the core's: 0, or -1
 * (why set) for those, a head that does not parse or fit, or a new
 * first line that changes the body's framing.
 */
int	 plugin_rewrite(struct plugin_call *, const char *line,
	    const char *const *drop, size_t ndrop, const char *const *add,
	    size_t nadd);
/* The request's path and query as sent ("/" when empty); *len set. */
const char *plugin_path(const struct plugin_call *, size_t *len);
/* A field's value (the first of that name) and its length, or NULL. */
const char *plugin_field(const struct plugin_call *, const char *name,
	    size_t *len);
/* Response hook: how this plugin takes the body; for REPLACE, the len
 * bytes (at most PLUGIN_OUT_MAX) that become it, which must stay valid
 * until the response ends (the plugin's conf or state). 0 or -1. */
int	 plugin_body(struct plugin_call *, enum plugin_body mode,
	    const char *bytes, size_t len);
/* Body hook (REWRITE): room for n more output bytes of this piece, which
 * the caller fills; NULL when the piece's output would pass
 * PLUGIN_OUT_MAX. */
char	*plugin_output(struct plugin_call *, size_t n);

/* The core's side (conn_http.c, upstream.c, conn.c). */
enum plugin_hook {
	PLUGIN_HOOK_REQUEST, PLUGIN_HOOK_UPSTREAM, PLUGIN_HOOK_RESPONSE,
	PLUGIN_HOOK_DONE, PLUGIN_HOOK_CLOSE
};
/* Calls hook `which` of each enabled plugin in order, with pc (whose
 * plugin, conf and state it sets for each), until one returns DONE or
 * FAIL: that verdict, with *who its chain index; PASS when none did. */
enum plugin_verdict plugins_run(const struct config *, struct plugin_conn *,
	    enum plugin_hook which, struct plugin_call *pc, size_t *who);
/* The done or close hooks of every enabled plugin, in order. */
void	 plugins_notify(const struct config *, struct plugin_conn *,
	    enum plugin_hook which, struct plugin_call *pc);
/* Points pc at a head (buf, h): a request's (its target becomes host,
 * port, local and tls), or a response's to a req_method request. */
void	 plugins_call_head(struct plugin_call *, const char *buf,
	    const struct http_head *h, int response,
	    enum http_method req_method);
/* The log hooks on line[size], in order. */
void	 plugins_log(const struct config *, struct plugin_conn *,
	    struct plugin_call *, char *line, size_t size);
/* One piece of a response body through the body hooks in order (their
 * modes in pl): the last one's output, framed as pl->out_frame asks,
 * into out[cap] (cap >= PLUGIN_OUT_MAX + 32), its length in *n. scratch
 * holds 2 * PLUGIN_OUT_MAX bytes. PASS, or FAIL with *who. */
enum plugin_verdict plugins_body(const struct config *, struct plugin_conn *,
	    struct plugin_call *, const char *data, size_t len, int last,
	    char *scratch, char *out, size_t cap, size_t *n, size_t *who);
/* A connection's plugin side with each plugin's zeroed state; NULL when
 * out of memory. plugins_conn_free() calls the close hooks first. */
struct plugin_conn *plugins_conn_new(const struct config *);
void	 plugins_conn_free(const struct config *, struct plugin_conn *);

/* ------------------------------------------------------------ options.c */

struct strlist {
	const char	*v[MAX_LIST_ITEMS];
	const char	*from[MAX_LIST_ITEMS];	/* "file:line: key", or NULL
						   for the command line */
	size_t		 n;
};

/* A client allowed in by --basic-auth: the password's SHA-256 only. */
struct client_user {
	char		 name[NTLM_NAME_MAX];
	unsigned char	 hash[32];
};
/* config.c: 1 when user and pass are one of the logins v[n]
 * (--basic-auth, the SOCKS5 ones); the passwords' hashes are compared
 * in constant time. */
int	 user_check(const struct client_user *v, size_t n, const char *user,
	    const char *pass);

/* A next hop for a request: the origin itself, an HTTP parent proxy,
 * or a SOCKS5 server. */
enum hop_kind {
	HOP_DIRECT,
	HOP_HTTP,
	HOP_SOCKS5
};

struct hop {
	enum hop_kind	 kind;
	char		 host[HOST_MAX];
	uint16_t	 port;
	char		 name[HOST_MAX + 8];	/* "host:port" */
	const char	*login;		/* SOCKS5 "user:pass", or NULL */
	int		 tls;		/* HOP_HTTP over TLS (https://) */
};

enum auth_kind {
	AUTH_NONE,	/* the client's Proxy-Authorization passes through */
	AUTH_BASIC,
	AUTH_NTLM,	/* with cfg->dialect */
	AUTH_KERBEROS,	/* Kerberos (SPNEGO) from a ticket (GSSAPI) */
	AUTH_ANY	/* Kerberos if offered and a ticket exists, else NTLM
			   inside Negotiate, else NTLM, else Basic */
};

/* How a parent login is carried: the scheme of Proxy-Authorization and
 * what is inside it. */
enum auth_scheme {
	SCHEME_NTLM,		/* "NTLM <NTLMSSP>" */
	SCHEME_NEGOTIATE_NTLM,	/* "Negotiate <NTLMSSP>": NTLM inside
				   Negotiate, as Windows falls back to */
	SCHEME_KERBEROS,	/* "Negotiate <SPNEGO>" (make GSSAPI=1) */
	SCHEME_BASIC
};

/* --tunnel [ADDR:]LPORT:HOST:RPORT: every client of LPORT is joined to
 * HOST:RPORT (through the parent, when there is one). */
struct tunnel {
	char		 bind[HOST_MAX + 8];	/* "ADDR:LPORT" */
	char		 host[HOST_MAX];
	uint16_t	 port;
};

struct tls_server;	/* tls.c */
struct gss_cred;	/* gss.c */
struct gss_login;

/* Everything the command line and config file set; read-only once the
 * workers run. */
struct config {
	/* start-up warnings, one a line: said on stderr as found, and
	   logged again once the log is open (stderr may be closed) */
	char		 warnings[1024];
	/* listen */
	struct strlist	 listen;
	long		 port;
	long		 backlog;
	/* processes */
	long		 workers;
	int		 daemon;
	const char	*pid_file;
	int		 quit;
	long		 open_file_limit;
	const char	*events_s;	/* --events, as given */
	int		 events;	/* enum events_kind */
	const char	*accept_s;	/* --accept, as given */
	int		 accept_mode;	/* enum accept_mode */
	/* http */
	const char	*useragent;
	struct strlist	 disable_headers;
	struct strlist	 add_headers;
	int		 disable_via;
	int		 no_splice;	/* --no-splice */
	long		 pipe_size;	/* --splice-pipe-size */
	struct strlist	 connect_ports;
	long		 max_header_size;
	long		 idle;		/* request head idle, s */
	long		 tunnel_idle;	/* tunnels and waiting for a response */
	long		 socktimeout;
	long		 max_clients;
	long		 client_bufsz;
	long		 server_bufsz;
	/* access */
	int		 gateway;
	int		 hostonly;
	struct strlist	 allow_s, deny_s;
	struct strlist	 basic_auth;	/* USER:PASS */
	const char	*basic_auth_file;
	/* parents */
	struct strlist	 proxy;		/* --proxy, as given */
	struct strlist	 noproxy_s;	/* --noproxy, as given */
	const char	*auth_s;
	const char	*username;
	const char	*domain;
	const char	*workstation;
	const char	*password;	/* --password (discouraged) */
	int		 password_prompt;
	const char	*pass_lm, *pass_nt, *pass_ntlmv2;
	int		 hashes;
	const char	*magic;
	int		 ntlm_to_basic;
	int		 negotiate_canonical;	/* HTTP@ the DNS name */
	int		 kerberos_password;	/* a TGT from the password */
	struct strlist	 tunnel_s;	/* --tunnel, as given */
	struct strlist	 socks5_listen;	/* --socks5-listen, as given */
	struct strlist	 socks5_auth;	/* --socks5-auth USER:PASS */
	const char	*socks5_users_file;	/* --socks5-users */
	const char	*user;		/* --user: drop root to it */
	/* serving */
	const char	*pac_file;	/* --pac-file: a file, or the script */
	const char	*pac_file_url_path;
	/* the web server */
	int		 web_server;	/* --enable-web-server */
	int		 no_proxy_role;	/* --disable-http-proxy */
	const char	*static_dir;	/* --static-dir (absolute once
					   loaded); NULL: no files */
	struct strlist	 web_allow_s;	/* --web-allow, as given */
	const char	*log_format;	/* --log-format; NULL: default */
	/* TLS to the proxy */
	const char	*cert_file;	/* --cert-file: chain, PEM or DER */
	const char	*key_file;	/* --key-file */
	struct strlist	 tls_listen;	/* --tls-listen ADDR:PORT */
	/* ways in: transparent ports, the PROXY protocol */
	struct strlist	 transparent_listen;	/* as given */
	int		 transparent_trust_host;
	int		 proxy_protocol;	/* every listener expects it */
	struct strlist	 pp_listen;	/* --proxy-protocol-listen */
	struct strlist	 pp_from_s;	/* --proxy-protocol-from, as given */
	long		 send_proxy_protocol;	/* to parents: 0, 1 or 2 */
	/* TLS to parents and origins */
	const char	*ca_bundle;	/* --ca-bundle; NULL: the system's */
	int		 insecure_upstream;	/* verify no certificate */
	/* minting (one-shot; interception will use the CA files too) */
	const char	*ca_cert_file;	/* --ca-cert-file: signs leaves */
	const char	*ca_key_file;	/* --ca-key-file: its key */
	const char	*ca_signing_key_file;	/* --ca-signing-key-file */
	const char	*ca_cert_dir;	/* --ca-cert-dir; NULL: the default */
	struct strlist	 intercept_s;	/* --intercept, as given */
	struct strlist	 no_intercept_s;	/* --no-intercept, as given */
	const char	*gen_ca;	/* --gen-ca DIR */
	const char	*gen_cert;	/* --gen-cert HOST */
	const char	*key_type;	/* --key-type ec|rsa, new keys */
	int		 force;		/* --force: replace existing files */
	/* PAC routing */
	const char	*pac;		/* file, http:// URL, or auto */
	long		 proxyreload;
	const char	*pac_test;
	const char	*pac_client_ip;
	/* plugins */
	struct strlist	 plugins_s;	/* --plugins, as given */
	struct strlist	 plugin_args;	/* "name=value" of plugin flags, in
					   the order given */
	/* logs */
	int		 log_level;
	const char	*log_file;
	/* config */
	const char	*config_file;
	int		 save;
	int		 reloading;	/* SIGHUP: prompt for nothing */
	int		 password_in_file;
	struct strlist	 acl_s;		/* cntlm's ordered "+allow"/"-deny" */
	const char	*str_from[96];	/* where string options were set */
	void		**owned;	/* allocations freed with it */
	size_t		 nowned;
	/* derived at start-up */
	struct strlist	 bind;		/* addresses to listen on */
	long		 nworkers;
	struct netlist	 allow, deny;
	struct netlist	 acl;		/* cntlm's rules, first match wins */
	unsigned char	 acl_deny[MAX_LIST_ITEMS];
	struct client_user *users;
	size_t		 nusers;
	struct client_user *socks_users;	/* SOCKS5 logins (RFC 1929) */
	size_t		 nsocks_users;
	struct strlist	 socks5_bind;	/* --socks5-listen as bound */
	struct hop	 parents[MAX_PARENTS];
	size_t		 nparents;
	struct tunnel	*tunnels;	/* ntunnels of them */
	size_t		 ntunnels;
	struct netlist	 noproxy;
	struct strlist	 transparent_bind;	/* ADDR:PORT of each */
	struct netlist	 pp_from;	/* balancers that may send it */
	char		*pac_served;	/* --pac-file's script */
	size_t		 pac_served_len;
	const char	*pac_served_path;	/* the file it came from, read
						   anew per request; NULL:
						   an inline script */
	enum auth_kind	 auth;
	enum ntlm_dialect dialect;
	struct ntlm_creds creds;
	char		 basic[NTLM_NAME_MAX * 2 + 16];	/* "Basic ..." */
	char		 krb_pass[NTLM_PASS_MAX + 1];	/* --kerberos-password:
							   the password */
	char		 krb_user[NTLM_NAME_MAX * 2];	/* user@REALM for it */
	uint16_t	 ports[MAX_LIST_ITEMS];	/* --connect-ports */
	size_t		 nports;
	char		 via[128];	/* "1.1 hostname (proxy/x.y)" */
	struct tls_server *tls;		/* --cert-file and --key-file,
					   loaded; NULL: no TLS listener */
	int		 tls_all;	/* every proxy listener speaks TLS
					   (no --tls-listen) */
	struct tls_anchors *anchors;	/* --ca-bundle, loaded; NULL: none
					   (built without TLS, or none
					   readable) */
	struct netlist	 web_allow;	/* --web-allow; empty: everyone
					   --allow lets in */
	struct log_part	 log_parts[LOG_FORMAT_PARTS];	/* the access
					   line, compiled */
	size_t		 nlog_parts;
	struct tls_mint	*mint;		/* --ca-cert-file: interception on */
	struct netlist	 intercept;	/* --intercept: only these */
	struct netlist	 no_intercept;	/* --no-intercept: never these */
	struct plugin_use chain[PLUGINS_MAX];	/* enabled plugins, in order */
	size_t		 nchain;
};

/*
 * Builds a configuration: defaults, then the --config file, then the
 * flags. prev is the running configuration on a reload: then nothing is
 * prompted for, nothing is said on stderr, and credentials the new one
 * lacks are kept. Returns NULL with *status set: 0 after --help or
 * --version (printed on stdout), 2 on a bad setting, with why in
 * err[errsz] ("file:line: key: why" or "--flag: why"; PATH_MAX + 512
 * holds any). Only warnings are said here: on stderr at start-up, and
 * kept in cfg->warnings for options_warnings_log().
 */
struct config *options_load(int argc, char *argv[],
	    const struct config *prev, char *err, size_t errsz, int *status);
/* Frees a configuration of options_load() with all it owns, its
 * passwords and hashes wiped first; NULL is ignored. */
void	 options_free(struct config *);
/* Logs the warnings of options_load(), each after prefix, now that the
 * log is open (stderr may be closed, or a terminal long gone). */
void	 options_warnings_log(const struct config *, const char *prefix);
/* --hashes, --save and --pac-test: do it, printing the result on stdout;
 * each returns the exit status: 0, or 1 when it failed and 2 when a flag
 * it needs is missing, with why in err[errsz]. */
int	 options_hashes(const struct config *, char *err, size_t errsz);
int	 options_save(const struct config *, char *err, size_t errsz);
int	 options_pac_test(const struct config *, char *err, size_t errsz);
/* --gen-ca DIR and --gen-cert HOST, the same way: files written, a line
 * each on stdout; 1 when writing failed (an existing file without
 * --force), 2 on a bad flag or a build without TLS. */
int	 options_gen_ca(const struct config *, char *err, size_t errsz);
int	 options_gen_cert(const struct config *, char *err, size_t errsz);

/* -------------------------------------------------------------- proxy.c */

/* A socket address with its length. */
struct addr {
	socklen_t		len;
	struct sockaddr_storage	ss;
};

struct listener {
	int		 fd;
	struct addr	 addr;
	char		 name[80];	/* "127.0.0.1:3128" */
	int		 tunnel;	/* index in cfg->tunnels, or -1 */
	int		 tls;		/* its clients speak TLS to us */
	const struct conn_ops *ops;	/* what its connections are */
	int		 proxyproto;	/* a PROXY protocol header comes
					   first (a balancer's) */
};


/*
 * The embedding entry point: runs the proxy as its command line would and
 * returns the process exit status (0, 1 on a runtime failure, 2 on a bad
 * flag).
 */
int	 proxy_main(int argc, char *argv[]);

/* -------------------------------------------------------------- events.c */

/* How new clients reach the workers (--accept). */
enum accept_mode {
	ACCEPT_SHARED,		/* one listener, every worker waits on it */
	ACCEPT_EXCLUSIVE,	/* the same, one worker woken (epoll) */
	ACCEPT_REUSEPORT	/* a listener of its own per worker, the
				   kernel spreading clients (Linux) */
};

/*
 * The event backend of a worker's loop: epoll (Linux), kqueue (BSDs,
 * macOS) or poll(), level-triggered, in poll(2)'s bits (POLLIN, POLLOUT,
 * POLLRDHUP where it exists; POLLERR and POLLHUP come unasked). A
 * descriptor is registered with what it waits for, an owner and a tag
 * (both the caller's), and told the kernel again only when what it
 * waits for changes. make EVENTS=poll builds poll() alone.
 */
enum events_kind { EVENTS_AUTO, EVENTS_POLL, EVENTS_EPOLL, EVENTS_KQUEUE };
#define EVENTS_EXCLUSIVE	1	/* events_set: wake one waiting
					   process, not all (a shared
					   listener; epoll only) */
#define EVENTS_SHARED		2	/* events_set: other processes hold
					   the same socket (a listener): a
					   close here does not unregister
					   it, so want 0 does at once */
struct events;
/* One ready descriptor. */
struct event {
	int		 fd;
	short		 revents;
};
/* "poll", "epoll", "kqueue" or "auto". */
const char *events_name(enum events_kind);
/* The kind a name means: 0, or -1 for no such name. */
int	 events_parse(const char *name, enum events_kind *);
/* 1 if this build has the backend (auto and poll: always). */
int	 events_available(enum events_kind);
/* What auto means here: epoll, else kqueue, else poll. */
enum events_kind events_default(void);
/* A new backend (auto: the default); NULL with errno (ENOSYS: not in
 * this build). */
struct events *events_open(enum events_kind);
enum events_kind events_kind(const struct events *);
/* fd waits for want from now on (0: nothing; it leaves the set), with
 * owner and tag (0-255) for events_owner(); a system call only when
 * want differs from what is registered (and, for want 0, not until
 * events_settle() finds the kernel still reporting it, unless
 * EVENTS_SHARED). 0, or -1 (errno) when the kernel or memory refused:
 * the registration is as it was. */
int	 events_set(struct events *, int fd, short want, void *owner, int tag,
	    unsigned flags);
/* fd is being closed: its registration is dropped here, with no system
 * call (closing drops it in the kernel, unless another process holds
 * the same socket: unregister those with events_set(fd, 0) first). */
void	 events_forget(struct events *, int fd);
/* fd's owner (tag and want too when not NULL); NULL if not registered. */
void	*events_owner(const struct events *, int fd, int *tag, short *want);
/* How many descriptors are registered. */
size_t	 events_count(const struct events *);
/* The end of a turn: what the kernel reported for descriptors nobody
 * waits on any more, and that are still open, is unregistered. */
void	 events_settle(struct events *);
/* Waits up to timeout ms (-1: no limit) and fills out[0 .. max) with
 * the ready descriptors: how many (0 on a timeout or a signal), -1 on
 * an error. */
int	 events_wait(struct events *, struct event *out, size_t max,
	    int timeout);

/* ---------------------------------------------------------------- loop.c */

#ifndef MAX_SLOTS
#define MAX_SLOTS		512	/* workers at once: twice the most
					   --num-workers, for a reload's
					   overlap */
#endif

/*
 * A worker's counters for /metrics. Each only grows and is written by
 * its worker alone, one aligned word each, so no lock is needed (on a
 * 32-bit machine one wraps at 2^32, which Prometheus takes as a reset).
 * A slot keeps its counts when its worker dies and another takes it
 * over, so their sums over the board never go down.
 */
struct board_counts {
	volatile unsigned long accepted;	/* client connections */
	volatile unsigned long requests[ROUTE_MAX][STATUS_CLASSES];
	volatile unsigned long bytes_in;	/* from clients, as logged */
	volatile unsigned long bytes_out;	/* to clients */
	volatile unsigned long connect_failures;	/* a hop not reached */
	volatile unsigned long failovers;	/* a parent failed: the next */
	volatile unsigned long ntlm_handshakes;	/* NTLM logins started */
	volatile unsigned long pool_reuses;	/* idle upstreams taken */
	volatile unsigned long dns_hits;	/* lookups the cache answered */
};

/* One worker's figures on the board; whole cache lines each, so workers
 * writing their own never contend. */
struct board_slot {
	volatile int64_t started;	/* the master: Unix time of the fork */
	volatile long	 clients;	/* client connections open */
	volatile long	 pid;		/* the master: its worker, 0: none */
	volatile long	 retiring;	/* the master: it is from before a
					   reload, finishing its clients */
	volatile unsigned long base;	/* the worker: requests the slot had
					   counted before it started */
	struct board_counts n;
	char		 pad[64 - (sizeof(int64_t) + 4 * sizeof(long) +
			     sizeof(struct board_counts)) % 64];
};

/*
 * The only state workers share: memory the master maps before forking.
 * Each slot is written only by its worker (the master zeroes a dead
 * worker's clients, and writes pid, retiring and started) and read by
 * all; every figure is one aligned word, so there are no locks.
 */
struct board {
	volatile int64_t start_time;	/* the master: Unix time it started
					   (written before any fork) */
	volatile long	 nslots;	/* slots [0, nslots) may be in use */
	volatile unsigned long restarts;	/* the master: workers
					   forked again after dying */
	char		 pad[64 - sizeof(int64_t) - 2 * sizeof(long)];
	struct board_slot slot[MAX_SLOTS];
};

/* Adds v to a counter of the worker's own slot (a worker always has
 * one: on the board, or its own when the board could not be mapped). */
#define COUNT(w, field, v)	((w)->slot->n.field += (unsigned long)(v))

/* A worker's state; one per process, nothing shared. */
struct worker {
	const struct config *cfg;
	struct listener	*ls;
	size_t		 nls;
	struct conn	*conns;		/* all live connections */
	struct conn	*dead;		/* closed this turn, freed at its end */
	size_t		 nclients;
	int		 reserve_fd;	/* spare fd for EMFILE */
	int64_t		 accept_resume;	/* accept paused until then */
	int		 quitting;
	int64_t		 quit_deadline;
	struct dns	*dns;
	struct pool_entry *pool;	/* idle upstream connections */
	size_t		 npooled;	/* in use: pool[0 .. npooled) */
	struct {
		char	 name[HOST_MAX + 8];
		int64_t	 until;
	}		 down[MAX_PARENTS * 2];	/* hops that failed lately */
	int64_t		 auth_backoff;	/* the parent refused us: wait */
	struct {
		char	 name[HOST_MAX + 8];
		enum auth_scheme scheme;
	}		 schemes[MAX_PARENTS * 2];	/* what logged in to
							   each parent */
	size_t		 scheme_next;	/* the slot a new parent takes */
	struct {
		char	 host[HOST_MAX];
		struct gss_cred *cred;	/* Kerberos for HTTP@host */
		int64_t	 until;		/* ask the helper again then */
	}		 krb[MAX_PARENTS];
	int64_t		 krb_down;	/* no Kerberos until then */
	char		 krb_why[256];	/* why not */
	struct netlist	*local;		/* --hostonly: our own addresses */
	int64_t		 local_at;	/* when they were read */
	int64_t		 now;		/* ms, updated each turn */
	struct board	*board;		/* shared; NULL: this worker alone */
	struct board_slot *slot;	/* ours on it, or one of our own */
	/* one head is parsed at a time in a worker: the parse results, and
	   the buffer rewritten heads are built in (conn.c) */
	struct http_head head;
	char		*scratch;
	size_t		 scratch_size;
	struct tls_certs *certs;	/* interception's minted leaves;
					   made at the first use */
	char		*pscratch;	/* the plugins' buffers (conn.c),
					   made at their first use */
	size_t		 pscratch_size;
	/* the loop's (loop.c): the event backend, the connections whose
	   wants or deadline may have changed this turn (conn_changed), the
	   heap of connection deadlines, the pool's nearest expiry */
	struct events	*ev;
	struct conn	*changed;
	struct conn	**timers;
	size_t		 ntimers, timers_cap;
	int64_t		 pool_next;	/* ms; -1: the pool is empty */
};

/* The requests a slot has counted, all routes and statuses. */
unsigned long board_requests(const struct board_slot *);
/* Runs one worker's loop until it is told to quit; never returns. slot
 * is its place on the board (-1 or a NULL board: none). */
void	 worker_main(const struct config *, struct listener *, size_t nls,
	    int id, struct board *, int slot) NORETURN;
/* Signal state for the worker loop and the master: sig_term counts
 * SIGTERM and SIGINT (to 2), sig_quit is SIGQUIT, "stop at once". */
extern volatile sig_atomic_t sig_term, sig_quit, sig_hup, sig_chld;
/* Installs the signal handlers (flags above plus a self-pipe write);
 * *rfd is the pipe's read end to poll. Called again in each child. */
int	 signals_init(int *rfd);
/* Empties the self-pipe once poll has found it readable. */
void	 signals_drain(int rfd);

/* ----------------------------------------------------------------- pac.c */

#ifndef PAC_MEM_MAX
#define PAC_MEM_MAX	(8 * 1024 * 1024)	/* arena cap per PAC context */
#endif
#ifndef PAC_STEPS_MAX
#define PAC_STEPS_MAX	1000000		/* interpreter steps per evaluation */
#endif
#ifndef PAC_DEPTH_MAX
#define PAC_DEPTH_MAX	200		/* nested JavaScript calls */
#endif
#ifndef PAC_DNS_MAX
#define PAC_DNS_MAX	32		/* distinct lookups per evaluation */
#endif
#ifndef PAC_RESULT_MAX
#define PAC_RESULT_MAX	16		/* directives kept from one result */
#endif

/*
 * What the interpreter needs from its caller. Every member may be zero:
 * no resolver (every lookup fails), the system clock, no alert output,
 * myIpAddress() "127.0.0.1", the default limits.
 *
 * resolve() looks host up. With family_any 0 it writes one IPv4 address
 * as a dotted quad (dnsResolve, isInNet); with family_any 1 it writes
 * every address, IPv6 and IPv4, separated by ';' (dnsResolveEx). It
 * returns 0, or -1 if the name does not resolve or the text does not fit
 * in outsz. It may block: pac_find_proxy is meant to run where blocking
 * is harmless (the resolver helper process). Literal IPv4 addresses are
 * answered without calling it, and each evaluation makes at most
 * PAC_DNS_MAX distinct lookups (later ones fail).
 *
 * now() gives the time the date and time helpers see; it is read once at
 * the start of each evaluation. Local time is the process's time zone
 * (localtime_r()).
 *
 * alert() receives what alert() and console.log() print, one message per
 * call, NUL-terminated.
 */
struct pac_env {
	int		(*resolve)(void *arg, const char *host, int family_any,
			    char *out, size_t outsz);
	void		 *resolve_arg;
	time_t		(*now)(void *arg);
	void		 *now_arg;
	void		(*alert)(void *arg, const char *msg);
	void		 *alert_arg;
	const char	 *my_ip;	/* myIpAddress(); NULL: "127.0.0.1" */
	const char	 *my_ip_ex;	/* myIpAddressEx(); NULL: my_ip */
	size_t		  mem_max;	/* arena bytes; 0: PAC_MEM_MAX */
	unsigned long	  steps_max;	/* 0: PAC_STEPS_MAX */
	int		  depth_max;	/* 0: PAC_DEPTH_MAX */
};

struct pac;

/*
 * Compiles a PAC file and runs its top-level statements (which may call
 * the resolver). env is copied. Returns the context, or NULL with a
 * message in err: "line:col: SyntaxError: ..." for a parse error,
 * "line:col: TypeError: ..." and the like for an error while running
 * the top level, or a missing FindProxyForURL. All memory the context
 * ever uses is capped by env->mem_max, and every run (load and each
 * evaluation) by env->steps_max steps and env->depth_max nested calls.
 * For sizing: a table in an object literal costs about 200 bytes an
 * entry, so the default 8 MiB holds a generated 1.3 MB file of 35,000
 * domains; ordinary files need well under 1 MiB.
 */
struct pac	*pac_load(const char *src, size_t len,
		    const struct pac_env *env, char *err, size_t errsz);

/*
 * Calls FindProxyForURLEx(url, host) if the file defines it, else
 * FindProxyForURL(url, host), and copies the string it returns to out.
 * Returns 0, or -1 with a message in err ("line:col: ReferenceError: x is
 * not defined", "step limit exceeded", "out of memory", a result that is
 * not a string of printable ASCII (tabs and line breaks allowed) or does
 * not fit in outsz): the caller falls back.
 * Every evaluation starts from the state pac_load left: what one call
 * writes to globals is undone before the next. A context is used by one
 * thread at a time, and the callbacks must not call back into it. The
 * worst case needs about 512 KiB of C stack.
 */
int		 pac_find_proxy(struct pac *, const char *url, const char *host,
		    char *out, size_t outsz, char *err, size_t errsz);

/* Sets what myIpAddress() and myIpAddressEx() return (ip_ex NULL: ip);
 * 0, or -1 if a value is too long. */
int		 pac_set_my_ip(struct pac *, const char *ip, const char *ip_ex);

/* Frees the context and all its memory; NULL is allowed. */
void		 pac_free(struct pac *);

/* One directive of a FindProxyForURL result. */
enum pac_type {
	PAC_DIRECT,
	PAC_PROXY,	/* PROXY: an HTTP proxy */
	PAC_HTTP,	/* HTTP: the same */
	PAC_HTTPS,	/* HTTPS: an HTTP proxy reached over TLS */
	PAC_SOCKS,	/* SOCKS: SOCKS version 4 or 5, caller's choice */
	PAC_SOCKS4,
	PAC_SOCKS5
};

struct pac_proxy {
	enum pac_type	 type;
	char		 host[HOST_MAX];	/* IPv6 without brackets */
	uint16_t	 port;
};

/*
 * Parses "PROXY h:p; SOCKS5 h:p; DIRECT" (types in any case, whitespace
 * around tokens, empty items and a trailing ';' tolerated; a missing port
 * defaults to 80 for PROXY and HTTP, 443 for HTTPS, 1080 for SOCKS).
 * Stores up to max directives in out and returns how many it stored, or
 * -1 if any item is malformed or there is none.
 */
int		 pac_parse_result(const char *s, struct pac_proxy *out,
		    size_t max);

/* The name of a type as it is written in a result ("PROXY"). */
const char	*pac_type_name(enum pac_type);

/* --------------------------------------------------------------- fetch.c */

/*
 * A small blocking HTTP client, only for the places that may block
 * (--magic and --pac-test before any worker runs, the resolver helper's
 * PAC fetch); never called in a worker.
 */

/* A blocking connect with timeouts (timeout_s for connect, each read and
 * each write); the fd or -1. */
int	 fetch_dial(const char *host, uint16_t port, long timeout_s);
/* A blocking connection to host:port (timeouts: cfg->socktimeout),
 * plain or, with tls, TLS verified as a worker verifies origins
 * (cfg->anchors, --insecure-upstream); NULL with err ("cannot connect
 * to host:port", "TLS to host:port: why"). */
struct fetch_conn;
struct fetch_conn *fetch_open(const struct config *cfg, const char *host,
	    uint16_t port, int tls, char *err, size_t errsz);
/* Writes all n bytes (and over TLS sends them out); 0 or -1. */
int	 fetch_write(struct fetch_conn *, char *data, size_t n);
/* Reads up to n bytes: how many, 0 at the end, -1 on an error or a
 * timeout (errno set). */
ssize_t	 fetch_read(struct fetch_conn *, void *dst, size_t n);
void	 fetch_close(struct fetch_conn *);
/* GETs an http:// or https:// URL (at most 16 MiB) with cfg's timeout
 * and trust anchors: the body, NUL added, with its length in *len, or
 * NULL with err filled ("URL: why"). */
char	*fetch_url(const struct config *cfg, const char *url, size_t *len,
	    char *err, size_t errsz);

/* ----------------------------------------------------------------- dns.c */

struct dns_result {
	int		 error;		/* 0, or an EAI_* code */
	size_t		 n;
	struct {
		int		family;	/* AF_INET or AF_INET6 */
		unsigned char	a[16];
	}		 addrs[MAX_ADDRS];
};

/*
 * Starts the worker's resolver helper: a process that answers each query
 * with getaddrinfo in a child of its own, so one slow name never delays
 * another. close_fds are closed in the helper. NULL on failure.
 */
struct dns *dns_start(const struct config *, const int *close_fds,
	    size_t nclose);
/* The descriptor to poll for answers. */
int	 dns_fd(const struct dns *);
/*
 * The completion hook an asker registers with a query that goes to the
 * helper: dns_read() calls it once with the answer, unless dns_cancel()
 * came first. A lookup's hook gets the result (res->error set when there
 * is none); a PAC query's gets FindProxyForURL's answer, or NULL and why
 * not. arg is the asker's own, and names its queries for dns_cancel().
 * This is how an answer comes back up: dns.c calls nothing above it.
 * The hook runs outside the asker's own events: a connection's hook
 * calls conn_changed() first, or the loop would not see what it now
 * waits for.
 */
typedef void (*dns_done_fn)(void *arg, const struct dns_result *res);
typedef void (*dns_pac_done_fn)(void *arg, const char *answer,
    const char *why);
/*
 * Looks host up. Returns 1 with *res filled for an address literal, 2
 * for an answer cached and still fresh at now, 0 when the query went to the
 * helper (its answer comes to done(arg, ...) through dns_read()), or -1
 * with res->error set when no query could be sent.
 */
int	 dns_lookup(struct dns *, const char *host, int64_t now,
	    dns_done_fn done, void *arg, struct dns_result *res);
/*
 * FindProxyForURL(url, host), evaluated in the resolver helper (where
 * dnsResolve may block). Returns 1 with the answer in answer[size]
 * (cached per URL for PAC_CACHE_S), 0 when it went to the helper (its
 * answer comes to done(arg, ...)), -1 when no query could be sent.
 */
int	 dns_pac_query(struct dns *, const char *url, const char *host,
	    int64_t now, dns_pac_done_fn done, void *arg, char *answer,
	    size_t size);
/* Reads the --pac source (a file, an http:// URL, or "auto" for WPAD);
 * the script, or NULL with err filled; from names where it came from. */
char	*dns_pac_fetch(const struct config *, size_t *len, char *from,
	    size_t fromsz, char *err, size_t errsz);
/* Compiles a PAC script with the helpers' environment (dnsResolve by
 * getaddrinfo, myIpAddress from --pac-client-ip or the host). */
struct pac *dns_pac_load(const struct config *, const char *src,
	    size_t len, char *err, size_t errsz);
/* Forgets arg's pending queries (the asker is going away or has stopped
 * waiting): their answers are still cached, their hooks never called. */
void	 dns_cancel(struct dns *, const void *arg);
/*
 * Kerberos for a parent (make GSSAPI=1): the resolver helper hands the
 * query to its Kerberos process (gss.c), where talking to the KDC may
 * block; the answer (a credential holding the service ticket for
 * HTTP@host, or why there is none) comes to done(arg, ans) through
 * dns_read(). 0 when asked, -1 when it cannot be (arg never called).
 * canonical: HTTP@ the host's DNS name (--negotiate-canonical).
 */
struct gss_answer;
typedef void (*dns_gss_done_fn)(void *arg, const struct gss_answer *ans);
int	 dns_gss_query(struct dns *, const char *host, int canonical,
	    dns_gss_done_fn done, void *arg);
/*
 * Reads the helper's answers, caching them (now dates them) and calling
 * each one's hook. 0, or -1 when the helper has exited: the struct dns is
 * freed then, and the caller forgets it.
 */
int	 dns_read(struct dns *, int64_t now);
const char *dns_strerror(int error);

/* ---------------------------------------------------------------- conn.c */

/* A TLS engine of tls.c; opaque to every other file. */
struct tls;

/* One side of a connection. tls is NULL for a plain socket; the TLS work
 * puts an engine here, and the ep_* operations go through it. */
struct endpoint {
	int		 fd;
	struct tls	*tls;
	struct buf	 in;		/* bytes read from this side */
	unsigned	 eof:1;		/* read returned 0 */
	unsigned	 shut:1;	/* we shut down writing to it */
	int		 pipe[2];	/* splice(2): its bytes, kernel side */
	size_t		 piped;		/* bytes in that pipe */
	size_t		 pipesz;	/* the pipe's size; 0: never splice */
	unsigned	 bulk:1;	/* a read filled the buffer: splice */
	unsigned	 nopipe:1;	/* no pipe could be made: copy */
};

enum conn_state {
	CS_HEAD,	/* reading a request head from the client */
	CS_ROUTE,	/* waiting for the PAC file's answer */
	CS_RESOLVE,	/* waiting for the resolver */
	CS_CONNECT,	/* connecting upstream */
	CS_EXCHANGE,	/* request out, response back */
	CS_SOCKS,	/* SOCKS5 handshake with the hop */
	CS_TLS,		/* TLS handshake with the hop, or with the origin
			   through a SOCKS5 tunnel */
	CS_TUNNEL,	/* CONNECT or Upgrade: bytes both ways */
	CS_CLOSING,	/* sending our own answer, then closing */
	CS_GREETING,	/* a SOCKS client's greeting, login and request
			   (conn_socks.c) */
	CS_PROXYHDR	/* reading a balancer's PROXY protocol header */
};

/* Progress of one direction of an exchange. */
enum flow {
	FLOW_HEAD,	/* waiting for a head */
	FLOW_LENGTH,	/* body by Content-Length */
	FLOW_CHUNKED,	/* chunked body relayed as it is */
	FLOW_DECHUNK,	/* chunked body relayed as plain bytes */
	FLOW_CLOSE,	/* body until EOF */
	FLOW_DONE
};

struct flowstate {
	enum flow	 flow;
	uint64_t	 remain;	/* FLOW_LENGTH bytes left */
	size_t		 fwd;		/* bytes at the buffer's front
					   cleared to send */
	struct http_chunked chunk;
	size_t		 scan;		/* head parser resume offset */
};

/* Where a SOCKS5 handshake stands. */
enum socks_phase {
	SOCKS_GREETING,	/* methods sent */
	SOCKS_LOGIN,	/* RFC 1929 user and password sent */
	SOCKS_CONNECT,	/* CONNECT sent */
	SOCKS_DONE
};

/* TLS to the origin through an HTTP parent: our own CONNECT to the
 * parent goes first, then the TLS handshake inside its tunnel. */
enum ptunnel_phase {
	PTUNNEL_NONE,	/* not needed, or not asked yet */
	PTUNNEL_ASKED,	/* our CONNECT sent; the parent's answer awaited */
	PTUNNEL_UP	/* the parent's tunnel stands: TLS goes on it */
};

/* Where a SOCKS client's side stands (conn_socks.c), in protocol
 * order. */
enum socks_phase_in {
	SKI_HELLO,	/* its first bytes: the SOCKS5 greeting or SOCKS4 */
	SKI_LOGIN,	/* RFC 1929 user and password */
	SKI_REQUEST,	/* CONNECT (or BIND, UDP ASSOCIATE) */
	SKI_ROUTED	/* the request goes as a CONNECT would */
};

/* Where a parent's login stands on this connection. */
enum auth_phase {
	AUTH_IDLE,	/* nothing pending, or not needed */
	AUTH_NEGOTIATE,	/* Type 1 sent, waiting for the challenge */
	AUTH_SWITCH,	/* the parent wants another scheme: the Type 1
			   again in it once this answer is read */
	AUTH_AUTHENTICATE,	/* credentials sent with the request */
	AUTH_DONE	/* the parent accepted this connection */
};

/*
 * What a kind of connection does (HTTP, --tunnel; later SOCKS, TLS
 * interception): conn.c calls these and nothing above it by name, and
 * upstream.c reports through connected and unreachable.
 */
struct conn_ops {
	/* just accepted and allowed; NULL: read the request at once */
	void	(*start)(struct conn *, const struct listener *);
	/* after I/O, or when c may go on: make what progress it can */
	void	(*run)(struct conn *);
	/* c's deadline has passed */
	void	(*timeout)(struct conn *);
	/* c is closing with an error status and nothing was sent yet: 0
	 * when an answer goes out first (c then closes by itself), -1 */
	int	(*answer)(struct conn *, int status, const char *why);
	/* the server connection is up (c->server.fd) */
	void	(*connected)(struct conn *);
	/* the next hop could not be reached: status and why */
	void	(*unreachable)(struct conn *, int status, const char *why);
	/* reading from the server failed (a reset) */
	void	(*server_lost)(struct conn *);
	/* the tunnel to the target stands, where a CONNECT's 200 would go
	 * out: NULL for the HTTP 200 (nothing for a --tunnel client) */
	void	(*tunnel_up)(struct conn *);
	/* its clients speak another protocol than HTTP: no HTTP refusal
	 * is written to them at accept, and one that --allow/--deny
	 * refuses is accepted with c->denied set, for the kind to refuse
	 * in its own protocol */
	int	 not_http;
};

/* A pool key: "parent DOMAIN\\user#hash@host:port to host:port (TLS)
 * for CLIENT-IP" (--send-proxy-protocol) at its longest. */
#define POOL_KEY_MAX	(2 * HOST_MAX + 2 * NTLM_NAME_MAX + 128)

/* An idle server connection in a worker's pool. */
struct pool_entry {
	struct endpoint	 ep;
	int64_t		 expires;
	char		 key[POOL_KEY_MAX];
};

struct conn {
	struct conn	*next, *prev;
	struct worker	*w;
	const struct conn_ops *ops;
	enum conn_state	 state;
	struct endpoint	 client, server;
	char		 peer[64];	/* client address:port */
	const struct listener *listener;	/* where it was accepted */
	struct addr	 peer_addr;	/* the client (a balancer's PROXY
					   header may name it) */
	struct addr	 local_addr;	/* where it connected (len 0: ask
					   the socket) */
	int		 send_pp;	/* a new connection to the hop starts
					   with a PROXY header of this
					   version (--send-proxy-protocol) */
	int		 transparent;	/* a --transparent-listen client: 1
					   until its first bytes say what
					   it is, 2 after */
	struct addr	 orig;		/* there: the original destination */
	char		 orig_host[64];	/* its address as text */
	uint16_t	 orig_port;
	const char	*orig_loop;	/* why orig is no place to go (the
					   proxy itself), or NULL */
	int		 host_check;	/* looking up Host to check it */
	int		 dial_orig;	/* a direct hop dials orig_host, the
					   address the client meant */
	int64_t		 deadline;	/* ms */
	int		 dead;

	/* the current request */
	enum http_method method;
	char		 method_name[16];
	int		 minor;
	char		 host[HOST_MAX];
	uint16_t	 port;
	char		 path[128];	/* for the log, truncated */
	int		 client_keepalive;
	int		 server_keepalive;
	int		 upgrade;	/* WebSocket requested */
	int		 status;	/* sent to the client */
	int		 sent_head;	/* a response head went out */
	uint64_t	 bytes_in, bytes_out;	/* as sent, each way */
	int64_t		 started;
	int		 aborted;	/* ended before its answer did */
	enum route	 route;		/* where its answer came from */
	size_t		 head_len;	/* the client's head, as sent */
	struct flowstate req, resp;

	/* the next hop: NULL for the origin, else one of hops[nhops] (the
	   parents, or what the PAC file said) */
	const struct hop *hop;
	const struct hop *hops;
	size_t		 nhops;
	struct hop	*pac_hops;	/* the PAC answer's hops, owned */
	unsigned	 tried;		/* hops tried for this request */
	char		 hop_host[HOST_MAX];
	uint16_t	 hop_port;
	enum auth_phase	 auth_phase;
	enum auth_scheme auth_scheme;	/* of the login under way */
	int		 auth_switched;	/* the parent made us change it */
	int		 krb_wait;	/* CS_RESOLVE: waiting for Kerberos */
	struct gss_login *gss;		/* the Kerberos login under way */
	char		*auth_hdr;	/* Proxy-Authorization for the next
					   request on this hop, or NULL */
	int		 discard;	/* the response is ours, not the
					   client's: read and drop it */
	int		 silent;	/* --tunnel: no HTTP with the client */
	enum socks_phase socks;
	int		 origin_tls;	/* the request's scheme is https: or
					   wss: (TLS to the origin) */
	char		 tls_name[HOST_MAX + 8];	/* "host:port" of the
					   TLS peer, for errors */
	int		 intercepted;	/* CONNECT decrypted: requests are
					   for https://icpt_host:icpt_port */
	char		 icpt_host[HOST_MAX];
	uint16_t	 icpt_port;
	int		 icpt_first;	/* no request decrypted yet: bytes
					   that are not HTTP are relayed */
	int		 hop_tls;	/* TLS to the hop as soon as TCP is
					   up (an https parent, or the
					   origin itself) */
	enum ptunnel_phase ptunnel;	/* TLS to the origin inside a
					   CONNECT through an HTTP parent */
	struct ntlm_creds *creds;	/* --ntlm-to-basic: the client's */

	/* upstream connection */
	char		 upstream[POOL_KEY_MAX];	/* pool key */
	struct dns_result addrs;
	size_t		 next_addr;
	int		 he_fd[MAX_HE_ATTEMPTS];
	int64_t		 he_next;	/* start another attempt then */
	int		 connect_error;	/* errno of the last attempt */
	int		 server_reused;
	int		 fresh;		/* take no pooled connection */
	char		*retry_head;	/* the client's head, kept while a
					   request that may go again waits on
					   a reused connection */
	size_t		 retry_len;	/* 0: nothing kept */
	size_t		 retry_cap;
	struct plugin_conn *pl;		/* NULL while no plugin is enabled */

	/* the loop's (loop.c): what c's descriptors are registered for
	   (as conn_pollfds() last said) with this turn's events, its
	   place in the deadline heap, its links on the turn's lists */
	struct conn_reg {
		int	 fd;
		short	 want;
		short	 revents;
	}		 reg[2 + MAX_HE_ATTEMPTS];	/* CONN_POLLFDS_MAX */
	unsigned char	 nreg;
	unsigned char	 on_changed, on_ready;
	struct conn	*changed_next, *ready_next;
	size_t		 timer;		/* 1 + its index in w->timers; 0:
					   no deadline */
	int64_t		 timer_at;	/* its deadline in the heap */
	/* a kind that refuses in its own protocol (ops->not_http) */
	int		 denied;	/* --allow/--deny refuse this client */
	/* a SOCKS client (conn_socks.c) */
	enum socks_phase_in sk_phase;
	unsigned char	 sk_version;	/* 4 or 5; 0 before the first byte */
	int		 sk_reply;	/* the refusal to send (a SOCKS5 or
					   SOCKS4 code, or the method or
					   login refusal); -1: none */
};

/*
 * The endpoint operations: every byte and every close of a connection
 * goes through them, whether a socket or a TLS engine is underneath.
 */
/* All descriptors closed (-1), no engine, no buffer. */
void	 ep_init(struct endpoint *);
/* Reads into ep->in: bytes read, 0 at EOF (ep->eof set) or when nothing
 * is there, -1 on an error (errno set). revents are poll's for ep->fd. */
ssize_t	 ep_read(struct endpoint *, short revents);
/* Writes up to n bytes from the front of b: bytes written, 0 when the
 * peer cannot take more now, -1 on an error. */
ssize_t	 ep_write(struct endpoint *, struct buf *b, size_t n);
/* Ends writing, once (a socket: SHUT_WR; TLS: close_notify). */
void	 ep_shutdown(struct endpoint *);
/* Closes it (the fd goes to -1); its buffer stays. */
void	 ep_close(struct endpoint *);
/* What poll must wait for: want (what the caller's data needs) plus what
 * the endpoint needs to make progress by itself (a TLS handshake or a
 * half-sent record asks for POLLOUT with no data of the caller's). */
short	 ep_events(const struct endpoint *, short want);
/* Moves bytes the endpoint already holds (decrypted, not yet handed
 * over) into ep->in as room allows, so they are not stranded until the
 * peer speaks again, and sends what it holds back for the socket (TLS
 * records); nonzero when it moved bytes or found the end (ep->eof). A
 * plain socket holds none. */
size_t	 ep_fill(struct endpoint *);
/* An idle endpoint whose peer has neither closed nor sent: reusable. */
int	 ep_idle_alive(const struct endpoint *);
/* Closes its splice pipe; bytes still in it are dropped. */
void	 ep_pipe_close(struct endpoint *);
/* The pool of idle server connections, by key (conn->upstream). take
 * moves one into ep (0) or finds none (-1); put moves ep's connection
 * into the pool (its buffer stays with ep; a full pool closes its oldest
 * entry); expire closes those idle too long and returns ms to the next
 * expiry, or -1. put and expire keep w->pool_next, the nearest expiry
 * (or earlier), for the loop. */
int	 conn_pool_take(struct worker *, const char *key, struct endpoint *);
void	 conn_pool_put(struct worker *, const char *key, struct endpoint *);
int64_t	 conn_pool_expire(struct worker *);
/* Accepts one client on a listener; 0 or -1 when nothing was accepted. */
int	 conn_accept(struct worker *, const struct listener *);
/* Adds the descriptors c waits on to pfd; returns how many. */
size_t	 conn_pollfds(struct conn *, struct pollfd *, size_t room);
/* Handles poll results for c's descriptors (in conn_pollfds order). */
void	 conn_events(struct conn *, const struct pollfd *, size_t n);
/* The most descriptors conn_pollfds() adds for one connection: its two
 * endpoints and its Happy Eyeballs attempts. */
#define CONN_POLLFDS_MAX	(2 + MAX_HE_ATTEMPTS)
/* When c next has something to do without any event: the nearest of its
 * deadline and, while it connects, its next Happy Eyeballs attempt;
 * -1 for never. */
int64_t	 conn_deadline(const struct conn *);
/* Called once conn_deadline(c) has come: starts the attempt that is
 * due, or handles c's deadline (a timeout: an answer, a retry, or a
 * close). */
void	 conn_timeout(struct conn *);
/* Closes c now: logs once, frees its buffers at the end of the turn. */
void	 conn_close(struct conn *, int status, const char *reason);
/* Frees the connections closed during this turn. */
void	 conn_reap(struct worker *);
/* SIGTERM: closes connections that are idle between requests. */
void	 conn_close_idle(struct worker *);
/* Closes every connection, logging those in an exchange as aborted. */
void	 conn_close_all(struct worker *, const char *why);
/* c's wants or deadline may have changed outside conn_events() and
 * conn_timeout() (a resolver's answer): the loop reads them again
 * before it next waits. Those two and conn_accept() call it. */
void	 conn_changed(struct conn *);
/* 1 if the pool holds the connection on fd. */
int	 conn_pool_holds(const struct worker *, int fd);
/* fd, pooled, has an event: an idle server connection that speaks or
 * closes is dead, and is closed here. */
void	 conn_pool_event(struct worker *, int fd);
/* Starts connecting c to the addresses in c->addrs (RFC 8305 Happy
 * Eyeballs: families interleaved, the next attempt 250 ms after the last
 * unless it failed sooner); c->ops->connected or ->unreachable follows. */
void	 conn_connect(struct conn *);
/* Closes the connect attempts still under way. */
void	 conn_connect_abort(struct conn *);
/*
 * Transparent ports: the address a connection redirected by the
 * firewall was meant for (Linux: SO_ORIGINAL_DST and
 * IP6T_SO_ORIGINAL_DST, NAT by iptables or nftables REDIRECT); 0, or -1
 * with why. Built where HAVE_ORIGINAL_DST is 1 only.
 */
#if defined(__linux__)
#define HAVE_ORIGINAL_DST	1
#else
#define HAVE_ORIGINAL_DST	0
#endif
int	 conn_original_dst(const struct conn *, struct addr *out, char *why,
	    size_t whysz);
/* 1 if sa (address and port) is one of the worker's own listening
 * sockets: a connection there through the proxy would loop. */
int	 conn_is_self(struct worker *, const struct sockaddr *sa);
/* The TCP connection to name:port is up on c->server: a TLS client
 * engine goes on it (CS_TLS), and c->ops->connected follows the
 * handshake; a failure goes to c->ops->unreachable (502 "TLS to
 * name:port: why") when the hop itself speaks TLS (c->hop_tls), else to
 * the client. conn_connect() calls it when c->hop_tls is set. */
void	 conn_tls_start(struct conn *, const char *name, uint16_t port);
/* Writes the *fwd bytes cleared at the front of src to dst, counting
 * them in *total; -1 when dst fails. *progress is set if any moved. */
int	 ep_send(struct endpoint *dst, struct buf *src, size_t *fwd,
	    uint64_t *total, int *progress);
/* 1 if bytes read from src go to the other side by splice(2) now. */
int	 conn_splicing(const struct conn *, const struct endpoint *src);
/* Moves bytes src -> pipe -> dst (plain sockets, Linux); limit, if not
 * NULL, caps what is taken from src. -1 when a side fails (*which: 0
 * src, 1 dst), else 0. */
int	 ep_splice(struct endpoint *src, struct endpoint *dst,
	    uint64_t *limit, uint64_t *total, int *progress, int *which);
/* The access-log line of c's exchange, once; then the plugins' done
 * hooks. */
void	 conn_log(struct conn *);
/* Room a head may grow by in a plugin's rewrite. */
#define PLUGIN_HEAD_SLACK	8192
/* A plugin call describing c's request (its plugin side made at the
 * first call); -1 when out of memory. */
int	 conn_plugin_call(struct conn *, struct plugin_call *);
/* The plugin at chain index who ended the chain with v: a refusal goes
 * to the client as its status, a failure (or an answer where only a
 * refusal may end it) as status naming the plugin, or only to the log
 * once a response head has gone. c is closed. */
void	 conn_plugin_stop(struct conn *, struct plugin_call *, size_t who,
	    enum plugin_verdict v, int status);

/* ------------------------------------------------------------ upstream.c */

/*
 * Chooses the next hop for c's request from its candidates (the PAC
 * file's answer, else the parents unless --noproxy names the host, else
 * the origin): one not yet tried for it, a hop marked down only when all
 * others are. Fills c->hop, c->hop_host, c->hop_port and the pool key;
 * -1 when every candidate has been tried.
 */
int	 upstream_route(struct conn *);
/* 1 if c's request goes to an HTTP parent, in absolute form. */
int	 conn_via_parent(const struct conn *);
/* 1 if c's request goes to its origin over TLS through a tunnel that a
 * CONNECT opens in an HTTP parent (an https:// or wss:// URI, or an
 * intercepted request, behind a plain --proxy or a PAC PROXY). */
int	 conn_parent_tunnel(const struct conn *);
/* Reaches the chosen hop: a pooled connection, else a lookup and a
 * conn_connect(); c->ops->connected or ->unreachable follows. */
void	 upstream_start(struct conn *);
/* The hop failed before answering: a parent is marked down and the next
 * one tried; with none left, the client gets status and why. */
void	 upstream_fail(struct conn *, int status, const char *why);
/* --magic: tries each NTLM dialect against the parent and prints the
 * config lines for the first one that works. Blocking; returns the exit
 * status. */
int	 upstream_magic(const struct config *);
/* Writes the bodiless request that carries the NTLM Type 1 for c's
 * request, in the scheme c->auth_scheme (set here from what logged in to
 * this parent before, unless the parent just made us switch); its
 * length, or 0 if it does not fit. */
size_t	 upstream_ntlm_probe(struct conn *, char *dst, size_t cap);
/* Reads the parent's 407 (h, over buf): 0 with c->auth_hdr set to the
 * Type 3; 1 when the parent offers NTLM only in the other scheme (NTLM
 * or Negotiate), c->auth_scheme switched to it, once per request, so
 * the Type 1 goes again; -1 with why filled when it cannot. */
int	 upstream_ntlm_answer(struct conn *, const char *buf,
	    const struct http_head *h, char *why, size_t whysz);
/* 1 when the login to a parent starts with a bodiless request that
 * carries the first message (NTLM, Kerberos, ANY). */
int	 upstream_auth_probes(const struct config *);
/* The Kerberos process did not answer in time (c->krb_wait, CS_RESOLVE):
 * ANY goes on without Kerberos, NEGOTIATE gives the client a 502. */
void	 upstream_krb_timeout(struct conn *);
/* The parent's final answer h to a Kerberos login: its mutual
 * authentication token checked when it sent one (0), -1 with why. */
int	 upstream_krb_check(struct conn *, const char *buf,
	    const struct http_head *h, char *why, size_t whysz);
/* The Basic value every request to c's parent carries (--auth BASIC, or
 * ANY with a parent that offers only Basic), or NULL. */
const char *upstream_basic_for(const struct conn *);
/* The parent accepted c's login: later connections to it start with
 * the same scheme. */
void	 upstream_auth_worked(struct conn *);
/* What c's login to its parent is, for messages: "NTLMv2", "NTLMv2
 * inside Negotiate", "Basic", ... */
const char *upstream_auth_name(const struct conn *, char *buf, size_t size);
/* c reached a SOCKS5 hop: sends the greeting and enters CS_SOCKS. */
void	 upstream_socks_begin(struct conn *);
/* In CS_SOCKS: sends what is due and reads the server's replies; when
 * the tunnel stands, c->ops->connected goes on as if connected directly.
 * 1 if it made progress. */
int	 upstream_socks_step(struct conn *);
/* The SOCKS5 greeting for c's hop into out (at most 4 bytes). */
size_t	 upstream_socks_greeting(const struct conn *, unsigned char *out);
/*
 * Reads the SOCKS5 server's reply in[len] for c's phase: the bytes it
 * used (> 0), 0 if more are needed, -1 with why filled on a refusal. The
 * next message, if any, goes to out (at least 600 bytes) and *outlen.
 * c->socks is SOCKS_DONE once the tunnel stands.
 */
long	 upstream_socks_reply(struct conn *, const unsigned char *in,
	    size_t len, unsigned char *out, size_t *outlen, char *why,
	    size_t whysz);

/* ---------------------------------------------------------------- x509.c */

/*
 * The DER of minted certificates (RFC 5280) and the reading of a CA
 * certificate that minting needs. Pure: no keys, no randomness, no
 * files. Each encoder writes into out[size] and returns the length, or
 * -1 when it does not fit or an input is bad.
 */
#define X509_KEYID_LEN	20	/* subject and authority key identifiers */
#define X509_CN_MAX	64	/* ub-common-name: longer hosts get no CN */
#define X509_HOST_MAX	253	/* a DNS name */

/* Curves, by their TLS (and BearSSL) numbers. */
#define X509_CURVE_P256	23
#define X509_CURVE_P384	24
#define X509_CURVE_P521	25

/* The signature algorithm, which follows the issuer's key. */
enum x509_sig {
	X509_SIG_RSA_SHA256,	/* sha256WithRSAEncryption, PKCS#1 v1.5 */
	X509_SIG_ECDSA_SHA256	/* ecdsa-with-SHA256 */
};

/* What a TBSCertificate says. Always v3, with basicConstraints and
 * keyUsage (critical), extKeyUsage serverAuth (leaves), subjectAltName
 * (when host is set), subjectKeyIdentifier and authorityKeyIdentifier. */
struct x509_tbs {
	const unsigned char *serial;	/* big-endian, 1-20 bytes, not 0
					   (a 00 goes in front of a top bit) */
	size_t		 serial_len;
	enum x509_sig	 sig;
	const unsigned char *issuer;	/* the issuer's subject Name, DER
					   whole; NULL: self-issued (the
					   subject's own) */
	size_t		 issuer_len;
	const unsigned char *issuer_keyid; /* the AKI; NULL: this key's own
					   identifier (self-signed) */
	size_t		 issuer_keyid_len;
	int64_t		 not_before, not_after;	/* Unix seconds: UTCTime
					   for 1950-2049, else Generalized */
	const char	*cn;		/* subject CN; NULL or longer than
					   X509_CN_MAX: an empty subject */
	const char	*host;		/* the one subjectAltName: a DNS
					   name or an IP literal; NULL: none */
	const unsigned char *spki;	/* SubjectPublicKeyInfo, DER whole */
	size_t		 spki_len;
	int		 ca;		/* CA:TRUE, keyCertSign and cRLSign;
					   else digitalSignature and
					   serverAuth */
	int		 key_encipherment; /* a leaf's RSA key: keyUsage
					   keyEncipherment too */
};

/* SubjectPublicKeyInfo of an EC point q (uncompressed) on curve, or of an
 * RSA key (n and e big-endian, leading zeros allowed). */
long	 x509_spki_ec(int curve, const unsigned char *q, size_t qlen,
	    unsigned char *out, size_t size);
long	 x509_spki_rsa(const unsigned char *n, size_t nlen,
	    const unsigned char *e, size_t elen, unsigned char *out,
	    size_t size);
long	 x509_tbs_encode(const struct x509_tbs *, unsigned char *out,
	    size_t size);
/* The Certificate: tbs, the algorithm again and the signature s (for
 * ECDSA the DER SEQUENCE { r, s }). */
long	 x509_cert_encode(const unsigned char *tbs, size_t tbslen,
	    enum x509_sig, const unsigned char *s, size_t slen,
	    unsigned char *out, size_t size);
/* The key identifier of a SubjectPublicKeyInfo: the first 20 bytes of
 * the SHA-256 of its subjectPublicKey bits (RFC 7093 method 1); 0 or -1
 * when spki is malformed. */
int	 x509_key_id(const unsigned char *spki, size_t len,
	    unsigned char out[X509_KEYID_LEN]);
/* What a certificate may name: 1 for an IPv4 or IPv6 literal ("[v6]"
 * too; its bytes in ip, 4 or 16 in *iplen), 0 for a DNS name (labels of
 * 1-63 letters, digits, '-' inside and '_', at most X509_HOST_MAX
 * bytes, "*." allowed first), -1 for anything else. */
int	 x509_host_kind(const char *host, unsigned char ip[16],
	    size_t *iplen);
/* The parts of a certificate (DER) an issuer needs: pointers into der. */
struct x509_info {
	const unsigned char *subject;	/* Name, DER whole */
	size_t		 subject_len;
	const unsigned char *spki;	/* SubjectPublicKeyInfo, DER whole */
	size_t		 spki_len;
	unsigned char	 ski[64];	/* subjectKeyIdentifier, if any */
	size_t		 ski_len;	/* 0: it has none */
	const unsigned char *san;	/* subjectAltName's GeneralNames,
					   contents only; NULL: none */
	size_t		 san_len;
};
/* 0, or -1 when der is not a certificate this reader follows. */
int	 x509_parse(const unsigned char *der, size_t len,
	    struct x509_info *);
/* 1 when the subjectAltName names host: a dNSName equal to it (case
 * aside; no wildcard matching) or an iPAddress with its bytes. */
int	 x509_san_has(const struct x509_info *, const char *host);

/* ---------------------------------------------------------- proxyproto.c */

/*
 * The PROXY protocol (haproxy's proxy-protocol.txt): the header a
 * balancer sends ahead of a connection's bytes to say whose it is.
 * Version 1 is a line of text, version 2 a binary block. Pure: bytes in,
 * addresses out; no fd, no log.
 */
#define PROXYPROTO_V1_MAX	107	/* a v1 line, its CRLF included */
#ifndef PROXYPROTO_MAX
#define PROXYPROTO_MAX		1024	/* the longest header taken: v2 with
					   its TLVs */
#endif

struct proxyproto {
	int		 version;	/* 1 or 2 */
	int		 local;		/* no client address in it (v2 LOCAL,
					   a balancer's health check; v2
					   UNSPEC or UNIX; v1 UNKNOWN): the
					   connection's own addresses stand */
	struct sockaddr_storage src;	/* unless local: the client */
	struct sockaddr_storage dst;	/* and the address it connected to */
	const char	*error;		/* why parsing failed, for logs */
};

/*
 * Parses the header at buf[0..len); max (at most PROXYPROTO_MAX) bounds
 * a v2 header's length. Returns the header's length (> 0) with pp filled,
 * 0 if more bytes are needed, or -1 with pp->error set. The verdict comes
 * as early as the bytes allow: a first byte that begins neither version,
 * a v1 line with a byte that is not printable US-ASCII or no CRLF within
 * 107 bytes, a v2 length past max, a version, command or family it does
 * not know fail before the rest arrives. Strict: v1 "PROXY TCP4|TCP6 SRC
 * DST SPORT DPORT" with single spaces and addresses inet_pton reads, or
 * "PROXY UNKNOWN ..."; v2 with an address block its family needs and
 * TLVs that fit (their meaning is not used).
 */
int	 proxyproto_parse(const unsigned char *buf, size_t len, size_t max,
	    struct proxyproto *pp);
/*
 * The header of version (1 or 2) that announces a connection from src to
 * dst into out[cap]: TCP4 when both are IPv4, TCP6 when one is IPv6 (an
 * IPv4 address then mapped), UNKNOWN (v2: UNSPEC) when src or dst is
 * neither. Its length, or 0 if it does not fit (108 bytes hold any).
 */
size_t	 proxyproto_build(int version, const struct sockaddr *src,
	    const struct sockaddr *dst, unsigned char *out, size_t cap);

/* ----------------------------------------------------------------- sni.c */

/*
 * The server name a TLS ClientHello asks for, read from the first
 * record at buf[0..len) without any part in the handshake. Returns 1
 * when the record is a ClientHello, with its host_name in name[namesz]
 * ("" when it names none, or names something that is not letters,
 * digits, '-', '_' and '.'), 0 if more bytes are needed, -1 when the
 * bytes are not a TLS handshake record starting a ClientHello. Pure.
 */
int	 sni_parse(const unsigned char *buf, size_t len, char *name,
	    size_t namesz);

/* -------------------------------------------------------- tls.c: minting */

/*
 * Keys and certificates the proxy makes itself (--gen-ca, --gen-cert,
 * and interception's leaf per host). Built without BearSSL every one
 * fails with "built without TLS". Errors go to why[whysz].
 */
#define TLS_MINT_BACKDATE	86400	/* notBefore: a day back, for skew */
#define TLS_MINT_LEAF_DAYS	397	/* a leaf's whole validity */
#define TLS_MINT_CA_DAYS	3652	/* a CA's: ten years */

/* A private key with its public half. */
struct tls_key;
/* A CA certificate with its private key, for signing leaves. */
struct tls_ca;

/* A new key: EC P-256, or RSA-2048 (e = 65537) when rsa; from an
 * HMAC-DRBG seeded by the system and /dev/urandom. NULL on failure. */
struct tls_key *tls_key_new(int rsa, char *why, size_t whysz);
void	 tls_key_free(struct tls_key *);
/* An EC private key from a PEM or DER file (PKCS#8 or SEC1), for the
 * leaves interception mints (--ca-signing-key-file). NULL with why. */
struct tls_key *tls_key_load(const char *path, char *why, size_t whysz);
/* Writes the key as PEM PKCS#8 ("PRIVATE KEY"), mode 0600, through a
 * temporary file in the same directory; an existing path is replaced
 * only when force. 0 or -1. */
int	 tls_key_save(const struct tls_key *, const char *path, int force,
	    char *why, size_t whysz);
/* The same for a certificate (PEM "CERTIFICATE", mode 0644). */
int	 tls_cert_save(const unsigned char *der, size_t len,
	    const char *path, int force, char *why, size_t whysz);
/* Loads a CA (certificate with basicConstraints CA:TRUE, and its key,
 * checked to match) as tls_server_load does; *bad_key as there. */
struct tls_ca *tls_ca_load(const char *cert_file, const char *key_file,
	    char *why, size_t whysz, int *bad_key);
void	 tls_ca_free(struct tls_ca *);
/* A self-signed CA certificate for key k, subject CN cn, valid from a
 * day before now (Unix seconds) for TLS_MINT_CA_DAYS. The DER is
 * malloc'd into *der and *len; 0 or -1. */
int	 tls_mint_ca(const struct tls_key *k, const char *cn, int64_t now,
	    unsigned char **der, size_t *len, char *why, size_t whysz);
/* A leaf for host (a DNS name, or an IP literal: an IP SAN) with key k's
 * public half, signed by ca (NULL: self-signed with k), valid from a day
 * before now for TLS_MINT_LEAF_DAYS, random 128-bit serial. In memory
 * as tls_mint_ca; costs one signature (an EC or RSA-2048 CA: well under
 * a millisecond to a few), so interception may call it per host. */
int	 tls_mint_leaf(const struct tls_ca *ca, const struct tls_key *k,
	    const char *host, int64_t now, unsigned char **der, size_t *len,
	    char *why, size_t whysz);

/* ----------------------------------------------------------------- tls.c */

/*
 * The only file that knows BearSSL. Built without it (tls_available()
 * is 0), every function here is a stub: loading fails with "built
 * without TLS" and no engine is ever made.
 */
/* A certificate chain and its private key, loaded once in the master
 * and read-only after: every TLS listener's engines use it. */
struct tls_server;
/* 1 when built with BearSSL. */
int	 tls_available(void);
/*
 * Loads cert_file (a chain: PEM with one or more CERTIFICATE blocks, or
 * one DER certificate) and key_file (RSA or EC; PEM or DER; PKCS#1, SEC1
 * or unencrypted PKCS#8) and checks that the key is the first
 * certificate's. NULL on failure, with why ("FILE: reason") in
 * why[whysz] and *bad_key 1 when the key file is to blame, 0 when the
 * certificate file is.
 */
struct tls_server *tls_server_load(const char *cert_file,
	    const char *key_file, char *why, size_t whysz, int *bad_key);
void	 tls_server_free(struct tls_server *);
/* A server engine for one client, TLS 1.2 with ECDHE and AES-GCM or
 * ChaCha20-Poly1305; NULL when memory runs out (or no entropy). About
 * 37 KiB, freed by tls_close(). */
struct tls *tls_server_new(const struct tls_server *);
/*
 * The endpoint operations for an endpoint with an engine (ep->tls); conn.c's
 * ep_* call them and have the same contracts (proxy.h, conn.c). Records
 * go between the engine and ep->fd inside them; plaintext goes to and
 * from ep->in and the caller's buffer. At most one record of output is
 * held back: ep_write takes plaintext only while the last record is out.
 */
ssize_t	 tls_read(struct endpoint *);
ssize_t	 tls_write(struct endpoint *, struct buf *b, size_t n);
/* Bytes the peer sent before the engine was put on its endpoint (a
 * ClientHello right behind a CONNECT, not waiting for the 200): the
 * engine takes them before anything from the socket. 0, or -1 when
 * memory runs out. */
int	 tls_preload(struct tls *, const void *data, size_t len);
/* Sends close_notify (and as much as the socket takes now). */
void	 tls_shutdown(struct endpoint *);
/* Sends close_notify if not sent, as far as the socket takes it without
 * waiting, and frees the engine (ep->tls = NULL); the fd stays open. */
void	 tls_close(struct endpoint *);
short	 tls_events(const struct endpoint *, short want);
/* Sends held-back records, then moves held-back plaintext into ep->in as
 * room allows; nonzero when it moved bytes or found the end (ep->eof). */
size_t	 tls_fill(struct endpoint *);
/* 1 while records wait for the socket (the answer is not all out). */
int	 tls_pending(const struct tls *);
/* 1 until the handshake is done (and not failed). */
int	 tls_handshaking(const struct tls *);
/* Why the engine failed, for the log ("a record failed its MAC", "the
 * client sent alert 48 unknown_ca: ...", a minting policy's refusal). */
const char *tls_why(const struct tls *);
/* After a failed read: whether the peer is to blame, worth a line in
 * the log: a handshake it began and did not finish (a bad record, an
 * alert, a refusal, a close or reset halfway), or a bad record after
 * the handshake; NONE for a socket error after it, or a connection
 * closed before its first byte (a port probe). */
enum tls_fault {
	TLS_FAULT_NONE,
	TLS_FAULT_HANDSHAKE,
	TLS_FAULT_RECORD
};
enum tls_fault tls_peer_fault(const struct tls *);

/* TLS towards parents and origins. Trust anchors (--ca-bundle), loaded
 * once in the master and read-only after. */
struct tls_anchors;
/* Loads the certificates of a PEM bundle (or one DER certificate) as
 * trust anchors; those BearSSL cannot read are skipped and counted in
 * *skipped. NULL with why ("FILE: reason") when none is usable. */
struct tls_anchors *tls_anchors_load(const char *path, size_t *skipped,
	    char *why, size_t whysz);
size_t	 tls_anchors_count(const struct tls_anchors *);
void	 tls_anchors_free(struct tls_anchors *);
/*
 * A client engine towards host (SNI and the certificate's name; no SNI
 * for an address literal): TLS 1.2, ALPN http/1.1, the chain verified
 * against a, or nothing verified when insecure; either way a chain of
 * more than TLS_PEER_CHAIN_MAX certificates, or one certificate over
 * TLS_PEER_CERT_MAX bytes, fails the handshake. NULL with why when it
 * cannot be made (memory, no anchors, an address literal to verify).
 * Put on a connected endpoint (ep->tls) and freed by tls_close().
 */
struct tls *tls_client_new(const struct tls_anchors *a, const char *host,
	    int insecure, char *why, size_t whysz);
/* Moves the client handshake on as far as the socket allows: 1 done, 0
 * not yet (ep_events says what to wait for), -1 failed. */
int	 tls_client_handshake(struct endpoint *);
/* Why a client engine failed, for the client and the log ("certificate
 * name mismatch", "unknown CA (...)", "the server does not speak TLS"). */
const char *tls_client_why(const struct tls *);

/* Interception (--ca-cert-file): the CA and the key every minted leaf
 * gets, read-only once made. Takes ca and key (an EC key) and frees
 * them with itself. NULL with why. */
struct tls_mint;
struct tls_mint *tls_mint_new(struct tls_ca *ca, struct tls_key *key,
	    char *why, size_t whysz);
void	 tls_mint_free(struct tls_mint *);
/* Keeps minted leaves as files in dir too (--ca-cert-dir), one a host,
 * shared by the workers and by other instances: dir (and what is
 * missing above it) is made 0700; one that group or others may use is
 * refused. A leaf is taken from its file only when it is for that name,
 * carries the leaves' key, is signed by the CA and has 30 days left;
 * else a new one is minted and replaces it (through a temporary file
 * and a rename). Files over 64 KiB are not read. 0, or -1 with why
 * (then memory only). */
int	 tls_mint_dir(struct tls_mint *, const char *dir, char *why,
	    size_t whysz);
/* A worker's cache of minted leaves: an LRU of 256 by host. NULL when
 * out of memory (or built without TLS). */
struct tls_certs;
struct tls_certs *tls_certs_new(void);
void	 tls_certs_free(struct tls_certs *);
/* A server engine for an intercepted CONNECT: at the ClientHello it
 * takes from cc (or mints into it, logging "minted" at debug) a leaf for
 * the SNI name, else for host; a name that is not a host name
 * (x509_host_kind) gets none, and the handshake fails (tls_why says
 * why). TLS 1.2, ECDHE-ECDSA, ALPN http/1.1 only. Freed by tls_close(); m and cc must
 * outlive it. */
struct tls *tls_mitm_new(const struct tls_mint *m, struct tls_certs *cc,
	    const char *host);

/* ----------------------------------------------------------------- gss.c */

/*
 * Kerberos (SPNEGO) logins to the parent: the only file that includes
 * GSSAPI. Built without it (make GSSAPI=0, the default) every function
 * fails with "built without GSSAPI".
 *
 * What may talk to the KDC (a TGT from --kerberos-password, the service
 * ticket) runs in the Kerberos process of each worker's resolver helper,
 * one request at a time: gss_helper_main. It answers with the credential
 * exported (gss_export_cred: the cache's name, or a memory cache's
 * tickets), which the worker imports; the worker's own GSSAPI calls then
 * find the service ticket there and need no KDC: the token of each new
 * parent connection and the check of the parent's mutual-authentication
 * token are local and quick.
 */
#ifndef GSS_BLOB_MAX
#define GSS_BLOB_MAX	65536	/* an exported credential */
#endif
#ifndef GSS_WAIT_S
#define GSS_WAIT_S	5	/* the longest a login waits for the KDC */
#endif
#ifndef GSS_DOWN_S
#define GSS_DOWN_S	30	/* then Kerberos rests for this long */
#endif

#define GSS_ANSWER_TYPE	2	/* struct gss_answer's type: after
					   dns.c's DNS and PAC answers */

/* What the resolver helper hands its Kerberos process. */
struct gss_query {
	uint32_t	 id;
	int		 canonical;	/* --negotiate-canonical */
	char		 host[HOST_MAX];
};

/* The Kerberos process's answer to dns_gss_query() (sent with only the
 * blob's used bytes). */
struct gss_answer {
	uint32_t	 id;		/* as struct dns_answer starts */
	int		 type;
	int		 ok;		/* 1: a credential; 0: why */
	int		 permanent;	/* asking again will not help (a
					   wrong password) */
	int64_t		 lifetime;	/* s the credential stays good */
	char		 why[256];
	char		 principal[HOST_MAX + 64];	/* HTTP/host@REALM */
	size_t		 len;
	unsigned char	 blob[GSS_BLOB_MAX];
};

/* 1 when built with GSSAPI. */
int	 gss_available(void);
/* The Kerberos process: reads queries (struct dns_query) from qfd and
 * sends each answer on afd, the worker's socket; returns when qfd ends. */
void	 gss_helper_main(int qfd, int afd, const struct config *);
/* The worker's copy of an answer's credential; NULL with why. */
struct gss_cred *gss_cred_import(const struct gss_answer *, char *why,
	    size_t whysz);
void	 gss_cred_free(struct gss_cred *);
/* A new login with cred: the Proxy-Authorization value ("Negotiate "
 * and the SPNEGO token, asking for mutual authentication) into out, the
 * context into *login; -1 with why (out too small: the token is larger
 * than --max-header-size allows). */
int	 gss_login_start(struct gss_cred *, struct gss_login **login,
	    char *out, size_t outsz, char *why, size_t whysz);
/* The parent's token (base64 of a "Negotiate" challenge in its final
 * answer) checked against the login: 0, or -1 with why. */
int	 gss_login_finish(struct gss_login *, const char *tok, size_t toklen,
	    char *why, size_t whysz);
void	 gss_login_free(struct gss_login *);

/* ----------------------------------------------------------- conn_http.c */

/* The HTTP kind of connection (a proxy port) and the --tunnel kind; each
 * listener gets one (proxy.c). */
extern const struct conn_ops conn_http_ops;
extern const struct conn_ops conn_tunnel_ops;
/* --transparent-listen: HTTP by its Host, anything else a tunnel to the
 * original destination. */
extern const struct conn_ops conn_transparent_ops;
/*
 * A client of another kind asked, in its own protocol, for a tunnel to
 * host:port: it goes exactly as a CONNECT would (PAC, --noproxy, the
 * parents and their logins, failover), after the --connect-ports check
 * (403). method names it in the access log. The client gets no HTTP:
 * its kind's ops->tunnel_up and ->answer speak to it.
 */
void	 conn_http_tunnel(struct conn *, const char *method,
	    const char *host, uint16_t port);

/* ---------------------------------------------------------- conn_socks.c */

/* The SOCKS kind of connection (--socks5-listen): SOCKS5 (RFC 1928,
 * with the RFC 1929 login) and SOCKS4/4a CONNECT, on one port. */
extern const struct conn_ops conn_socks_ops;

/* ----------------------------------------------------------------- web.c */

/*
 * The built-in web server (--enable-web-server), the last internal row
 * of the plugin table: its request hook answers the origin-form
 * requests to the proxy's own port the plugins left, /metrics
 * (Prometheus text format, the board summed), /status (an HTML page of
 * the same), /healthz, and the files of --static-dir. Access follows
 * --basic-auth (the Authorization field) and --web-allow.
 */
struct web_state {
	char		*page;		/* a page rendered, until done */
};
int	 web_wanted(const struct config *);
enum plugin_verdict web_request(struct plugin_call *);
void	 web_done(struct plugin_call *);

#endif /* PROXY_H */
