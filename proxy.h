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
#include <stdarg.h>
#include <time.h>

#define PROXY_VERSION "0.1.0"

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
#ifndef HOST_MAX
#define HOST_MAX		256	/* a host name, NUL included */
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
void	 buf_reset(struct buf *);

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
/* Base64 (RFC 4648 with padding). encode returns the length written
 * (NUL added) or -1 if dst is too small; decode returns the byte count
 * or -1 on bad input or a short dst. */
long	 base64_encode(const void *src, size_t n, char *dst, size_t size);
long	 base64_decode(const char *src, size_t n, void *dst, size_t size);
/* Parses a decimal in [min, max]; 0 or -1. */
int	 parse_long(const char *s, long min, long max, long *out);
/* Parses "host:port", "[v6]:port" or a bare host (port = defport);
 * 0 or -1. */
int	 parse_hostport(const char *s, size_t n, char *host, size_t hostsz,
	    uint16_t *port, uint16_t defport);

/* ---------------------------------------------------------------- http.c */

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
#define HTTP_F_WEBSOCKET	0x0020	/* Upgrade: websocket */

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
	uint16_t	 port;		/* from the target, else default */
	struct http_span path;		/* origin-form part; "/" if empty
					   means path.len == 0 */

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
 * A request's body is NONE, LENGTH or CHUNKED (never CLOSE).
 */
int	 http_parse_request(const char *buf, size_t len, size_t max,
	    size_t *scan, struct http_head *h);
/*
 * The same for a response head. req_method is the method of the request
 * it answers (HEAD and 2xx-to-CONNECT have no body); body framing follows
 * RFC 9112 section 6.3 (1xx, 204, 304: NONE; no length: CLOSE).
 * Tolerates what real servers send and is still safe: obs-fold and bare LF
 * stay errors (-502).
 */
int	 http_parse_response(const char *buf, size_t len, size_t max,
	    size_t *scan, enum http_method req_method, struct http_head *h);

/* Finds a field by name (case-insensitive); index or -1. start lets a
 * caller iterate over repeated fields. */
int	 http_find_field(const char *buf, const struct http_head *h,
	    const char *name, size_t start);
/* 1 if the comma-separated list in value contains token (case-insens.). */
int	 http_list_has(const char *value, size_t len, const char *token);
/* 1 if the field name is hop-by-hop by itself (Connection, Keep-Alive,
 * Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade,
 * Proxy-Authorization, Proxy-Authenticate). */
int	 http_is_hop_field(const char *name, size_t len);
/* 1 if name is listed in any Connection field of h. */
int	 http_connection_lists(const char *buf, const struct http_head *h,
	    const char *name, size_t len);

enum http_method http_method_lookup(const char *s, size_t n);
const char *http_method_name(enum http_method);
/* Reason phrase for a status code ("Unknown" if none). */
const char *http_reason(int status);

/*
 * The chunked-coding scanner, resumable across calls and buffers.
 * http_chunked_step() consumes the next piece of buf[0..len): either
 * framing (size line, CRLF after data, trailer section) with *data_len = 0,
 * or a run of chunk data with *data_len = bytes consumed. It returns the
 * bytes consumed (0 only when len is 0 or the body is done), or -1 on a
 * malformed coding (c->error says why): size line over 1024 bytes, no hex
 * digit, size over 2^60, bad extension, bare LF, missing CRLF after data,
 * trailer over 8 KiB or malformed. c->done is set once the last CRLF of
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

#endif /* PROXY_H */
