/*
 * pac.h: proxy auto-config, the interface of pac.c. The lead folds this
 * into proxy.h under the pac.c banner; until then pac.c and its tests
 * include it.
 */
#ifndef PAC_H
#define PAC_H

#include "proxy.h"

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

#endif /* PAC_H */
