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
#include <signal.h>
#include <time.h>

#define PROXY_VERSION "0.1.0"

#include "auth_ntlm.h"

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
#ifndef MAX_PARENTS
#define MAX_PARENTS		8	/* --proxy entries */
#endif
#ifndef PARENT_DOWN_S
#define PARENT_DOWN_S		30	/* a failed parent is skipped this long */
#endif
#ifndef AUTH_BACKOFF_S
#define AUTH_BACKOFF_S		60	/* after the parent refuses credentials */
#endif
#ifndef HOST_MAX
#define HOST_MAX		256	/* a host name, NUL included */
#endif
#ifndef WHY_MAX
#define WHY_MAX			(HOST_MAX * 4)	/* an error reason */
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
/* SHA-256 of n bytes. */
void	 sha256(const void *, size_t n, unsigned char out[32]);
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
#define HTTP_F_WEBSOCKET	0x0020	/* Upgrade lists websocket (test it
					   with HTTP_F_UPGRADE) */

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
					   http, 443 for https; 0 for other
					   schemes and origin form */
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
/* 1 if the comma-separated list in value contains token (case-insens.). */
int	 http_list_has(const char *value, size_t len, const char *token);
/* 1 if the field name is hop-by-hop by itself (Connection, Keep-Alive,
 * Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade,
 * Proxy-Authorization, Proxy-Authenticate). */
int	 http_is_hop_field(const char *name, size_t len);
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

/* ----------------------------------------------------------------- log.c */

enum { LOG_LEVEL_ERROR, LOG_LEVEL_WARNING, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

#define PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Logs to path: NULL or "-" for stderr, "syslog", else a file opened for
 * appending; -1 (errno set) if the file cannot be opened. */
int	 log_init(const char *path, int level);
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
void	 fatal(const char *, ...) PRINTF(1, 2) __attribute__((noreturn));
void	 fatalx(const char *, ...) PRINTF(1, 2) __attribute__((noreturn));

/* -------------------------------------------------------------- config.c */

/* One entry of an address or host list: an address range (IPv4 kept as
 * IPv4-mapped IPv6) or a host glob. */
struct netlist_entry {
	unsigned char	 lo[16], hi[16];
	int		 is_host;
	int		 any;		/* "*" */
	char		 host[HOST_MAX];
};

struct netlist {
	struct netlist_entry v[MAX_LIST_ITEMS];
	size_t		 n;
};

/*
 * Adds one item in Px's forms: 127.0.0.1, 192.168.0.*, 10.0.*.*,
 * 192.168.0.1-192.168.0.255, 192.168.0.0/24, ::1, fe80::/10, "*", and,
 * when hosts is set, host globs such as *.local or intranet. Returns 0, or
 * -1 with the reason in err.
 */
int	 netlist_add(struct netlist *, const char *item, int hosts,
	    char *err, size_t errsz);
/* The same for a list separated by commas, semicolons or blanks. */
int	 netlist_add_csv(struct netlist *, const char *csv, int hosts,
	    char *err, size_t errsz);
/* 1 if the address is in one of the ranges. */
int	 netlist_match_addr(const struct netlist *, const struct sockaddr *);
/* 1 if host (a name or an address literal) matches an entry; names
 * match globs case-insensitively, literals match ranges. */
int	 netlist_match_host(const struct netlist *, const char *host);

/* How a px.ini or cntlm.conf value becomes a flag's value. */
enum config_xform {
	XF_NONE,
	XF_IGNORE,	/* a key with no meaning here */
	XF_NEGATE,	/* px.ini foreground = 1: not --daemon */
	XF_PX_LOG,	/* px.ini log = 0..4: info or debug */
	XF_SPACE_PORT,	/* cntlm "Proxy host port" */
	XF_LISTEN	/* cntlm "Listen 3128": a port on loopback */
};

/* Called for each "key value" of a file, section lower-cased or NULL;
 * returns 0, or -1 with why filled. */
typedef int (*config_set_fn)(void *arg, const char *section,
    const char *key, const char *value, char *why, size_t whysz);

/*
 * Reads a config file: "[section]" lines, "key = value", "key: value"
 * and cntlm's "Key value", '#' and ';' comments, values optionally in
 * double quotes. Returns 0, or -1 with "file:line: key: why" in err.
 */
int	 config_read(const char *path, config_set_fn, void *arg, char *err,
	    size_t errsz);
/* The flag a px.ini or cntlm.conf key stands for (NULL: none; a key
 * that is a flag name needs none), with the transform of its value. */
const char *config_alias(const char *section, const char *key,
	    enum config_xform *);
/* The flag value for a file value; NULL when the key is to be ignored. */
const char *config_xform_value(enum config_xform, const char *value,
	    char *out, size_t size);

/* -------------------------------------------------------------- proxy.c */

/* A socket address with its length. */
struct addr {
	socklen_t		len;
	struct sockaddr_storage	ss;
};

struct strlist {
	const char	*v[MAX_LIST_ITEMS];
	size_t		 n;
};

/* A client allowed in by --basic-auth: the password's SHA-256 only. */
struct client_user {
	char		 name[NTLM_NAME_MAX];
	unsigned char	 hash[32];
};

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
};

enum auth_kind {
	AUTH_NONE,	/* the client's Proxy-Authorization passes through */
	AUTH_BASIC,
	AUTH_NTLM	/* with cfg->dialect */
};

/* --tunnel [ADDR:]LPORT:HOST:RPORT: every client of LPORT is joined to
 * HOST:RPORT (through the parent, when there is one). */
struct tunnel {
	char		 bind[HOST_MAX + 8];	/* "ADDR:LPORT" */
	char		 host[HOST_MAX];
	uint16_t	 port;
};

/* Everything the command line and config file set; read-only once the
 * workers run. */
struct config {
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
	/* http */
	const char	*useragent;
	struct strlist	 disable_headers;
	struct strlist	 add_headers;
	int		 disable_via;
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
	struct strlist	 tunnel_s;	/* --tunnel, as given */
	const char	*user;		/* --user: drop root to it */
	/* serving */
	const char	*pac_file;	/* --pac-file: a file, or the script */
	const char	*pac_file_url_path;
	/* logs */
	int		 log_level;
	const char	*log_file;
	/* config */
	const char	*config_file;
	int		 save;
	int		 reloading;	/* SIGHUP: prompt for nothing */
	/* derived at start-up */
	struct strlist	 bind;		/* addresses to listen on */
	long		 nworkers;
	struct netlist	 allow, deny;
	struct client_user *users;
	size_t		 nusers;
	struct hop	 parents[MAX_PARENTS];
	size_t		 nparents;
	struct tunnel	 tunnels[MAX_LIST_ITEMS];
	size_t		 ntunnels;
	struct netlist	 noproxy;
	char		*pac_served;	/* --pac-file's script */
	size_t		 pac_served_len;
	enum auth_kind	 auth;
	enum ntlm_dialect dialect;
	struct ntlm_creds creds;
	char		 basic[NTLM_NAME_MAX * 2 + 16];	/* "Basic ..." */
	uint16_t	 ports[MAX_LIST_ITEMS];	/* --connect-ports */
	size_t		 nports;
	char		 via[128];	/* "1.1 hostname (proxy/x.y)" */
};

struct listener {
	int		 fd;
	struct addr	 addr;
	char		 name[80];	/* "127.0.0.1:3128" */
	int		 tunnel;	/* index in cfg->tunnels, or -1 */
};


/*
 * The embedding entry point: runs the proxy as its command line would and
 * returns the process exit status (0, 1 on a runtime failure, 2 on a bad
 * flag).
 */
int	 proxy_main(int argc, char *argv[]);
/* Formats an address as "1.2.3.4:80" or "[::1]:80". */
void	 addr_format(const struct sockaddr *, char *, size_t);

/* ---------------------------------------------------------------- loop.c */

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
	struct {
		char	 name[HOST_MAX + 8];
		int64_t	 until;
	}		 down[MAX_PARENTS * 2];	/* hops that failed lately */
	int64_t		 auth_backoff;	/* the parent refused us: wait */
	struct netlist	*local;		/* --hostonly: our own addresses */
	int64_t		 local_at;	/* when they were read */
	int64_t		 now;		/* ms, updated each turn */
};

/* Runs one worker's loop until it is told to quit; never returns. */
void	 worker_main(const struct config *, struct listener *, size_t nls,
	    int id) __attribute__((noreturn));
/* Signal state for the worker loop and the master. */
extern volatile sig_atomic_t sig_term, sig_hup, sig_chld;
/* Installs the signal handlers (flags above plus a self-pipe write);
 * *rfd is the pipe's read end to poll. Called again in each child. */
int	 signals_init(int *rfd);
void	 signals_drain(int rfd);

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
struct dns *dns_start(const int *close_fds, size_t nclose);
/* The descriptor to poll for answers. */
int	 dns_fd(const struct dns *);
/*
 * Looks host up for owner. Returns 1 with *res filled (an address literal
 * or a cached answer), 0 when the query went to the helper (the answer
 * comes to conn_resolved() through dns_read()), or -1 with *res->error
 * set when no query could be sent.
 */
int	 dns_lookup(struct dns *, const char *host, struct conn *owner,
	    struct dns_result *res);
/* Forgets owner's pending query (the connection is going away). */
void	 dns_cancel(struct dns *, struct conn *owner);
/* Reads the helper's answers, caching them and handing each to its
 * connection. */
void	 dns_read(struct worker *);
const char *dns_strerror(int error);

/* ---------------------------------------------------------------- conn.c */

/* One side of a connection. tls is NULL for a plain socket; the TLS work
 * puts an engine here, and endpoint I/O goes through it. */
struct endpoint {
	int		 fd;
	void		*tls;
	struct buf	 in;		/* bytes read from this side */
	unsigned	 eof:1;		/* read returned 0 */
	unsigned	 shut:1;	/* we shut down writing to it */
};

enum conn_state {
	CS_HEAD,	/* reading a request head from the client */
	CS_RESOLVE,	/* waiting for the resolver */
	CS_CONNECT,	/* connecting upstream */
	CS_EXCHANGE,	/* request out, response back */
	CS_SOCKS,	/* SOCKS5 handshake with the hop */
	CS_TUNNEL,	/* CONNECT or Upgrade: bytes both ways */
	CS_CLOSING	/* sending our own answer, then closing */
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

/* Where a parent's login stands on this connection. */
enum auth_phase {
	AUTH_IDLE,	/* nothing pending, or not needed */
	AUTH_NEGOTIATE,	/* Type 1 sent, waiting for the challenge */
	AUTH_AUTHENTICATE,	/* credentials sent with the request */
	AUTH_DONE	/* the parent accepted this connection */
};

struct conn {
	struct conn	*next, *prev;
	struct worker	*w;
	enum conn_state	 state;
	struct endpoint	 client, server;
	char		 peer[64];	/* client address:port */
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
	uint64_t	 bytes_in, bytes_out;
	int64_t		 started;
	size_t		 head_len;	/* the client's head, as sent */
	struct flowstate req, resp;

	/* the next hop: NULL for the origin, else one of hops[nhops] (the
	   parents, or what the PAC file said) */
	const struct hop *hop;
	const struct hop *hops;
	size_t		 nhops;
	unsigned	 tried;		/* hops tried for this request */
	char		 hop_host[HOST_MAX];
	uint16_t	 hop_port;
	enum auth_phase	 auth_phase;
	char		*auth_hdr;	/* Proxy-Authorization for the next
					   request on this hop, or NULL */
	int		 discard;	/* the response is ours, not the
					   client's: read and drop it */
	int		 silent;	/* --tunnel: no HTTP with the client */
	enum socks_phase socks;
	struct ntlm_creds *creds;	/* --ntlm-to-basic: the client's */

	/* upstream connection */
	char		 upstream[HOST_MAX + 2 * NTLM_NAME_MAX + 32];	/* pool key */
	struct dns_result addrs;
	size_t		 next_addr;
	int		 he_fd[MAX_HE_ATTEMPTS];
	int64_t		 he_next;	/* start another attempt then */
	int		 connect_error;	/* errno of the last attempt */
	int		 server_reused;
};

/* The credentials for c's parent login: the client's own with
 * --ntlm-to-basic, else the configured ones. */
const struct ntlm_creds *conn_creds(const struct conn *);
/* Accepts one client on a listener; 0 or -1 when nothing was accepted. */
int	 conn_accept(struct worker *, const struct listener *);
/* Adds the descriptors c waits on to pfd; returns how many. */
size_t	 conn_pollfds(struct conn *, struct pollfd *, size_t room);
/* Handles poll results for c's descriptors (in conn_pollfds order). */
void	 conn_events(struct conn *, const struct pollfd *, size_t n);
/* Called when c's deadline has passed. */
void	 conn_timeout(struct conn *);
/* The resolver answered c's query. */
void	 conn_resolved(struct conn *, const struct dns_result *);
/* Closes c now: logs once, frees its buffers at the end of the turn. */
void	 conn_close(struct conn *, int status, const char *reason);
/* Frees the connections closed during this turn. */
void	 conn_reap(struct worker *);
/* SIGTERM: closes connections that are idle between requests. */
void	 conn_close_idle(struct worker *);

/* ------------------------------------------------------------ upstream.c */

struct pool_entry {
	int		 fd;
	int64_t		 expires;
	char		 key[HOST_MAX + 2 * NTLM_NAME_MAX + 32];
};

/*
 * Chooses the next hop for c's request from its candidates (the PAC
 * file's answer, else the parents unless --noproxy names the host, else
 * the origin): one not yet tried for it, a hop marked down only when all
 * others are. Fills c->hop, c->hop_host, c->hop_port and the pool key;
 * -1 when every candidate has been tried.
 */
int	 upstream_route(struct conn *);
/* 1 if c's request goes through an HTTP parent. */
int	 conn_via_parent(const struct conn *);
/* Reaches the chosen hop: a pooled connection, else a lookup and a
 * connect; conn_connected() follows. */
void	 upstream_start(struct conn *);
/* The hop failed before answering: a parent is marked down and the next
 * one tried; with none left, the client gets status and why. */
void	 upstream_fail(struct conn *, int status, const char *why);
/* --magic: tries each NTLM dialect against the parent and prints the
 * config lines for the first one that works. Blocking; returns the exit
 * status. */
int	 upstream_magic(const struct config *);
/* Writes the bodiless request that carries the NTLM Type 1 for c's
 * request; its length, or 0 if it does not fit. */
size_t	 upstream_ntlm_probe(const struct conn *, char *dst, size_t cap);
/* Reads the parent's 407 (h, over buf) and sets c->auth_hdr to the
 * Type 3; -1 with why filled when it cannot. */
int	 upstream_ntlm_answer(struct conn *, const char *buf,
	    const struct http_head *h, char *why, size_t whysz);
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
/* Starts connecting c to the addresses in c->addrs (Happy Eyeballs). */
void	 upstream_connect(struct conn *);
/* Number of descriptors upstream_connect_pollfds() may add. */
size_t	 upstream_connect_pollfds(struct conn *, struct pollfd *, size_t);
/* Poll results for the connect attempts; on success c->server.fd is set
 * and conn_connected() is called, on failure conn_close(). */
void	 upstream_connect_events(struct conn *, const struct pollfd *, size_t);
/* Starts the next attempt when its delay is due. */
void	 upstream_connect_tick(struct conn *);
void	 upstream_connect_abort(struct conn *);
/* Takes an idle connection for key from the pool; fd or -1. */
int	 pool_take(struct worker *, const char *key);
/* Keeps fd for reuse; closes it if the pool is full. */
void	 pool_put(struct worker *, const char *key, int fd);
/* Closes expired idle connections; returns ms to the next expiry or -1. */
int64_t	 pool_expire(struct worker *);
/* The connection to the server is up. */
void	 conn_connected(struct conn *);


#endif /* PROXY_H */
