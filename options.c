/*
 * options.c: the command line and config files. One table of options
 * gives the flags, the keys of config files, --help and --save; the
 * *_finish checks turn what was given into the derived settings the
 * workers read.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "proxy.h"

#ifndef CERT_DIR_DEFAULT
#define CERT_DIR_DEFAULT	"~/.proxy/certs"	/* --ca-cert-dir */
#endif

enum opt_type {
	OPT_BOOL,	/* no value; --x=yes|no in files */
	OPT_LONG,	/* decimal in [min, max] */
	OPT_STR,
	OPT_LIST,	/* repeatable, one item each time */
	OPT_CSV,	/* repeatable, comma-separated items */
	OPT_LEVEL,	/* a log level name */
	OPT_HELP,
	OPT_VERSION,
	OPT_DEBUG
};

struct option {
	const char	*name;
	const char	*alias;
	enum opt_type	 type;
	size_t		 off;
	long		 min, max;
	const char	*meta;
	const char	*def;
	const char	*help;
};

#define OFF(f) offsetof(struct config, f)

static const struct option options[] = {
	{ "hostname", "listen", OPT_LIST, OFF(listen), 0, 0, "ADDR",
	    "127.0.0.1", "address to listen on, ADDR or ADDR:PORT (repeatable)" },
	{ "port", NULL, OPT_LONG, OFF(port), 1, 65535, "N", "3128",
	    "port to listen on" },
	{ "tunnel", NULL, OPT_LIST, OFF(tunnel_s), 0, 0,
	    "[ADDR:]LPORT:HOST:RPORT", "none", "join each client of LPORT to "
	    "HOST:RPORT, through the parent (repeatable)" },
	{ "socks5-listen", NULL, OPT_LIST, OFF(socks5_listen), 0, 0,
	    "[ADDR:]PORT", "none", "a SOCKS5 (and SOCKS4) port in front of "
	    "the same routing; a bare PORT is on 127.0.0.1, or on every "
	    "interface with --gateway (repeatable)" },
	{ "socks5-auth", NULL, OPT_LIST, OFF(socks5_auth), 0, 0, "USER:PASS",
	    "none", "SOCKS5 clients must log in (RFC 1929) (repeatable)" },
	{ "socks5-users", NULL, OPT_STR, OFF(socks5_users_file), 0, 0, "F",
	    "none", "SOCKS5 logins: lines of user:pass or user:{SHA256}hex" },
	{ "user", NULL, OPT_STR, OFF(user), 0, 0, "NAME", "none",
	    "run as NAME once the ports are bound (when started as root)" },
	{ "gateway", NULL, OPT_BOOL, OFF(gateway), 0, 1, NULL, "off",
	    "listen on all interfaces (0.0.0.0 and ::)" },
	{ "hostonly", NULL, OPT_BOOL, OFF(hostonly), 0, 1, NULL, "off",
	    "listen on all interfaces, allow only this host's addresses" },
	{ "allow", NULL, OPT_CSV, OFF(allow_s), 0, 0, "LIST", "everyone",
	    "client addresses allowed (1.2.3.4, 10.0.*.*, a-b, CIDR, IPv6)" },
	{ "deny", NULL, OPT_CSV, OFF(deny_s), 0, 0, "LIST", "none",
	    "client addresses refused; wins over --allow" },
	{ "basic-auth", NULL, OPT_LIST, OFF(basic_auth), 0, 0, "USER:PASS",
	    "none", "clients must log in with Basic (repeatable)" },
	{ "basic-auth-file", NULL, OPT_STR, OFF(basic_auth_file), 0, 0, "F",
	    "none", "lines of user:pass or user:{SHA256}hex" },
	{ "backlog", NULL, OPT_LONG, OFF(backlog), 1, 65535, "N", "128",
	    "listen(2) backlog" },
	{ "num-workers", "workers", OPT_LONG, OFF(workers), 0, 256, "N",
	    "0", "worker processes (0: one per online CPU)" },
	{ "daemon", NULL, OPT_BOOL, OFF(daemon), 0, 1, NULL, "off",
	    "detach and run in the background" },
	{ "pid-file", NULL, OPT_STR, OFF(pid_file), 0, 0, "F", "none",
	    "write the master's pid to F" },
	{ "quit", NULL, OPT_BOOL, OFF(quit), 0, 1, NULL, "off",
	    "stop the instance named by --pid-file and exit" },
	{ "open-file-limit", NULL, OPT_LONG, OFF(open_file_limit), 0,
	    1048576, "N", "0", "RLIMIT_NOFILE (0: raise to the hard limit)" },
	{ "events", NULL, OPT_STR, OFF(events_s), 0, 0,
	    "auto|epoll|kqueue|poll", "auto", "the workers' event backend "
	    "(auto: epoll on Linux, kqueue on the BSDs and macOS, else poll)" },
	{ "accept", NULL, OPT_STR, OFF(accept_s), 0, 0,
	    "auto|shared|exclusive|reuseport", "auto", "how new clients "
	    "reach the workers: one listener all wait on, the same waking "
	    "one worker (epoll), or a listener per worker (Linux)" },
	{ "useragent", NULL, OPT_STR, OFF(useragent), 0, 0, "S", "unchanged",
	    "replace the User-Agent of requests" },
	{ "disable-headers", NULL, OPT_CSV, OFF(disable_headers), 0, 0,
	    "LIST", "none", "request header names to remove" },
	{ "add-header", NULL, OPT_LIST, OFF(add_headers), 0, 0,
	    "'Name: value'", "none", "add or replace a request header "
	    "(repeatable)" },
	{ "disable-via", NULL, OPT_BOOL, OFF(disable_via), 0, 1, NULL, "off",
	    "do not add a Via header" },
	{ "no-splice", NULL, OPT_BOOL, OFF(no_splice), 0, 1, NULL, "off",
	    "relay bulk bytes through the buffers, never splice(2) (Linux)" },
	{ "splice-pipe-size", NULL, OPT_LONG, OFF(pipe_size), 4096, 1048576,
	    "N", "262144", "kernel pipe per spliced direction (Linux): up to "
	    "2 N bytes of kernel memory per busy connection" },
	{ "connect-ports", NULL, OPT_CSV, OFF(connect_ports), 0, 0, "LIST",
	    "any", "ports CONNECT may reach" },
	{ "max-header-size", NULL, OPT_LONG, OFF(max_header_size), 1024,
	    1048576, "N", "65536", "largest request or response head" },
	{ "idle", NULL, OPT_LONG, OFF(idle), 1, 86400, "S", "30",
	    "idle timeout waiting for a request (tunnels: 300 unless set)" },
	{ "socktimeout", NULL, OPT_LONG, OFF(socktimeout), 1, 3600, "S", "5",
	    "timeout for connecting upstream" },
	{ "max-clients", NULL, OPT_LONG, OFF(max_clients), 1, 1000000, "N",
	    "1024", "client connections in the whole proxy (beyond: 503)" },
	{ "client-recvbuf-size", NULL, OPT_LONG, OFF(client_bufsz), 1024,
	    16777216, "N", "16384", "buffer for bytes from a client" },
	{ "server-recvbuf-size", NULL, OPT_LONG, OFF(server_bufsz), 1024,
	    16777216, "N", "16384", "buffer for bytes from a server" },
	{ "proxy", "server", OPT_CSV, OFF(proxy), 0, 0, "HOST:PORT,...",
	    "none", "parent proxies, tried in order (else $http_proxy)" },
	{ "noproxy", NULL, OPT_CSV, OFF(noproxy_s), 0, 0, "LIST", "none",
	    "hosts and addresses reached directly (*.corp, 10.0.0.0/8, ...)" },
	{ "auth", NULL, OPT_STR, OFF(auth_s), 0, 0,
	    "NTLMv2|NTLM2SR|NTLM|NT|LM|BASIC|NEGOTIATE|ANY|NONE",
	    "NTLMv2 with --username, else NONE", "how to log in to the parent "
	    "(NEGOTIATE, also KERBEROS: Kerberos from the ticket; ANY: what "
	    "the parent offers)" },
	{ "username", NULL, OPT_STR, OFF(username), 0, 0, "[DOMAIN\\]USER",
	    "none", "user for the parent (also USER@DOMAIN)" },
	{ "domain", NULL, OPT_STR, OFF(domain), 0, 0, "D", "none",
	    "NTLM domain" },
	{ "workstation", NULL, OPT_STR, OFF(workstation), 0, 0, "W",
	    "host name", "NTLM workstation" },
	{ "password", NULL, OPT_STR, OFF(password), 0, 0, "P", "none",
	    "the password (visible to other users: prefer PROXY_PASSWORD, "
	    "--password-prompt or the --pass-* hashes)" },
	{ "password-prompt", NULL, OPT_BOOL, OFF(password_prompt), 0, 1, NULL,
	    "off", "read the password from the terminal" },
	{ "pass-lm", NULL, OPT_STR, OFF(pass_lm), 0, 0, "HEX", "none",
	    "stored LM hash (from --hashes)" },
	{ "pass-nt", NULL, OPT_STR, OFF(pass_nt), 0, 0, "HEX", "none",
	    "stored NT hash (from --hashes)" },
	{ "pass-ntlmv2", NULL, OPT_STR, OFF(pass_ntlmv2), 0, 0, "HEX", "none",
	    "stored NTLMv2 hash (from --hashes)" },
	{ "hashes", NULL, OPT_BOOL, OFF(hashes), 0, 1, NULL, NULL,
	    "print PassLM, PassNT and PassNTLMv2 for the credentials and exit" },
	{ "magic", NULL, OPT_STR, OFF(magic), 0, 0, "URL", NULL,
	    "find the NTLM dialect the parent accepts, print config lines" },
	{ "ntlm-to-basic", NULL, OPT_BOOL, OFF(ntlm_to_basic), 0, 1, NULL,
	    "off", "clients log in with Basic DOMAIN\\user:password, used "
	    "for the parent's NTLM" },
	{ "negotiate-canonical", NULL, OPT_BOOL, OFF(negotiate_canonical), 0,
	    1, NULL, "off", "Kerberos for HTTP@ the parent's DNS name, not "
	    "the name given" },
	{ "kerberos-password", NULL, OPT_BOOL, OFF(kerberos_password), 0, 1,
	    NULL, "off", "without a ticket, get one for --username with the "
	    "password (kept in memory, renewed)" },
	{ "pac", NULL, OPT_STR, OFF(pac), 0, 0, "FILE|URL|auto", "none",
	    "route each request by this PAC file (auto: find it by WPAD)" },
	{ "proxyreload", NULL, OPT_LONG, OFF(proxyreload), 1, 86400, "S",
	    "60", "fetch the --pac file again this often" },
	{ "pac-test", NULL, OPT_STR, OFF(pac_test), 0, 0, "URL", NULL,
	    "print the --pac file's answer for URL and exit" },
	{ "pac-client-ip", NULL, OPT_STR, OFF(pac_client_ip), 0, 0, "IP",
	    "this host's", "what myIpAddress() returns" },
	{ "pac-file", NULL, OPT_STR, OFF(pac_file), 0, 0, "FILE|SCRIPT",
	    "none", "serve this PAC file (or script text) to browsers" },
	{ "pac-file-url-path", NULL, OPT_STR, OFF(pac_file_url_path), 0, 0,
	    "PATH", "/", "where the PAC file is served (also /wpad.dat)" },
	{ "plugins", NULL, OPT_CSV, OFF(plugins_s), 0, 0, "LIST", "none",
	    "plugins to run, in this order (listed below; proxy.py's class "
	    "names work too)" },
	{ "enable-web-server", NULL, OPT_BOOL, OFF(web_server), 0, 1, NULL,
	    "off", "answer requests for the proxy's own port (GET /path): "
	    "/metrics, /status, /healthz and the --static-dir files" },
	{ "disable-http-proxy", NULL, OPT_BOOL, OFF(no_proxy_role), 0, 1,
	    NULL, "off", "refuse proxy requests (absolute URIs, CONNECT), "
	    "leaving the web server (implies --enable-web-server)" },
	{ "static-dir", NULL, OPT_STR, OFF(static_dir), 0, 0, "DIR", "none",
	    "the web server serves the files under DIR" },
	{ "web-allow", NULL, OPT_CSV, OFF(web_allow_s), 0, 0, "LIST",
	    "all that --allow lets in", "client addresses that may use the "
	    "web server (forms of --allow)" },
	{ "log-format", NULL, OPT_STR, OFF(log_format), 0, 0, "TEMPLATE",
	    "{client} {method} {hostport} {path} {status} {bytes_in} "
	    "{bytes_out} {duration_ms}ms {upstream}{aborted}",
	    "the access line after \"access \": {field}s and text" },
	{ "cert-file", NULL, OPT_STR, OFF(cert_file), 0, 0, "F", "none",
	    "certificate chain (PEM, or one DER certificate) that clients "
	    "see; with --key-file every proxy port speaks TLS, unless "
	    "--tls-listen names the TLS ones" },
	{ "key-file", NULL, OPT_STR, OFF(key_file), 0, 0, "F", "none",
	    "private key of --cert-file (RSA or EC; PEM or DER, PKCS#1, SEC1 "
	    "or PKCS#8 unencrypted)" },
	{ "tls-listen", NULL, OPT_LIST, OFF(tls_listen), 0, 0, "ADDR:PORT",
	    "none", "a TLS proxy port beside the plain ones (repeatable; "
	    "needs --cert-file and --key-file)" },
	{ "transparent-listen", NULL, OPT_LIST, OFF(transparent_listen), 0, 0,
	    "[ADDR:]PORT", "none", "a transparent port (Linux): connections "
	    "the firewall redirects to it (REDIRECT) go on to where they were "
	    "going, HTTP by its Host, anything else as a tunnel; a bare PORT "
	    "listens on 0.0.0.0 (repeatable)" },
	{ "transparent-trust-host", NULL, OPT_BOOL,
	    OFF(transparent_trust_host), 0, 1, NULL, "off", "on transparent "
	    "ports, go where an HTTP request's Host says without checking "
	    "that it resolves to the address the client connected to" },
	{ "proxy-protocol", NULL, OPT_BOOL, OFF(proxy_protocol), 0, 1, NULL,
	    "off", "behind a balancer: every proxy and --tunnel port expects a "
	    "PROXY protocol header (v1 or v2) and takes the client's address "
	    "from it" },
	{ "proxy-protocol-listen", NULL, OPT_LIST, OFF(pp_listen), 0, 0,
	    "ADDR:PORT", "none", "a proxy port that expects the PROXY "
	    "protocol, beside the others (repeatable)" },
	{ "proxy-protocol-from", NULL, OPT_CSV, OFF(pp_from_s), 0, 0, "LIST",
	    "any", "balancer addresses that may send a PROXY header; "
	    "connections from others are closed" },
	{ "send-proxy-protocol", NULL, OPT_LONG, OFF(send_proxy_protocol), 0,
	    2, "1|2", "off", "start each new connection to an HTTP parent "
	    "with a PROXY protocol header of this version naming the client" },
	{ "ca-bundle", NULL, OPT_STR, OFF(ca_bundle), 0, 0, "F",
	    CA_BUNDLE_DEFAULT, "trusted CA certificates (PEM) for TLS to "
	    "https:// parents and origins" },
	{ "insecure-upstream", NULL, OPT_BOOL, OFF(insecure_upstream), 0, 1,
	    NULL, "off", "do not verify the certificates of https:// "
	    "parents and origins (warns at start)" },
	{ "ca-cert-file", NULL, OPT_STR, OFF(ca_cert_file), 0, 0, "F", "none",
	    "CA certificate (PEM) that signs the certificates --gen-cert "
	    "makes; when the proxy runs, TLS interception of CONNECT with "
	    "certificates it signs" },
	{ "ca-key-file", NULL, OPT_STR, OFF(ca_key_file), 0, 0, "F", "none",
	    "private key of --ca-cert-file" },
	{ "ca-signing-key-file", NULL, OPT_STR, OFF(ca_signing_key_file), 0,
	    0, "F", "a new EC key at each start",
	    "with --ca-cert-file: the EC key every intercepted host's "
	    "certificate gets (as --gen-ca's ca-signing-key.pem)" },
	{ "ca-cert-dir", NULL, OPT_STR, OFF(ca_cert_dir), 0, 0, "DIR|none",
	    CERT_DIR_DEFAULT, "with --ca-cert-file: where the minted "
	    "certificates are kept, to be reused by every worker and after a "
	    "restart (made 0700; none: in memory only)" },
	{ "intercept", NULL, OPT_CSV, OFF(intercept_s), 0, 0, "LIST", "all",
	    "with --ca-cert-file: intercept only CONNECTs to these hosts "
	    "(*.example.com, 10.0.0.0/8, ...)" },
	{ "no-intercept", NULL, OPT_CSV, OFF(no_intercept_s), 0, 0, "LIST",
	    "none", "with --ca-cert-file: CONNECTs to these hosts stay blind "
	    "tunnels" },
	{ "gen-ca", NULL, OPT_STR, OFF(gen_ca), 0, 0, "DIR", NULL,
	    "write a new CA to DIR/ca-key.pem, DIR/ca-cert.pem and a key for "
	    "the certificates it signs to DIR/ca-signing-key.pem, and exit" },
	{ "gen-cert", NULL, OPT_STR, OFF(gen_cert), 0, 0, "HOST", NULL,
	    "write a key and certificate for HOST (a name or an IP) to "
	    "--key-file and --cert-file (https-key.pem, https-cert.pem), "
	    "signed by --ca-cert-file or else self-signed, and exit" },
	{ "key-type", NULL, OPT_STR, OFF(key_type), 0, 0, "ec|rsa", "ec",
	    "the keys --gen-ca and --gen-cert make: EC P-256 or RSA-2048" },
	{ "force", NULL, OPT_BOOL, OFF(force), 0, 1, NULL, "off",
	    "let --gen-ca and --gen-cert replace existing files" },
	{ "log-level", NULL, OPT_LEVEL, OFF(log_level), 0, 0,
	    "debug|info|warning|error", "info", "least severe level logged" },
	{ "debug", NULL, OPT_DEBUG, 0, 0, 0, NULL, "off",
	    "same as --log-level debug" },
	{ "log-file", NULL, OPT_STR, OFF(log_file), 0, 0, "F|syslog",
	    "stderr", "where logs go" },
	{ "config", NULL, OPT_STR, OFF(config_file), 0, 0, "F", "none",
	    "read settings from F: px.ini or cntlm.conf keys, or flag names; "
	    "flags given here win" },
	{ "save", NULL, OPT_BOOL, OFF(save), 0, 1, NULL, NULL,
	    "write the effective settings to the --config file and exit "
	    "(hashes, never a password)" },
	{ "version", NULL, OPT_VERSION, 0, 0, 0, NULL, NULL,
	    "print the version and compiled-in features" },
	{ "help", NULL, OPT_HELP, 0, 0, 0, NULL, NULL, "this text" },
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

/* struct config keeps one origin per option */
typedef char str_from_fits[sizeof(((struct config *)0)->str_from) /
    sizeof(char *) >= NOPTIONS ? 1 : -1];

/*
 * One run of options_load(), on its stack: the configuration being
 * built, what the steps of loading hand on to each other, and the
 * caller's buffer for why loading failed.
 */
struct loader {
	struct config	*cfg;
	/* "file:line: key" while a file's setting is applied, NULL for
	   the command line: kept with each value to name it in errors */
	const char	*from;
	/* which options the config file set, so the command line can
	   replace a list rather than add to it */
	unsigned char	 from_file[NOPTIONS];
	/* why loading failed: "file:line: key: why" or "--flag: why" */
	char		*err;
	size_t		 errsz;
};

/* Says why loading failed, in the caller's buffer; returns -1. */
static int PRINTF(2, 3)
load_error(struct loader *ld, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ld->err, ld->errsz, fmt, ap);
	va_end(ap);
	return -1;
}

/* cfg is zeroed already (calloc or static): clearing it again would
 * only make its pages resident, in the master and in every process
 * forked from it. */
static void
config_defaults(struct config *cfg)
{
	cfg->port = 3128;
	cfg->backlog = 128;
	cfg->idle = 30;
	cfg->tunnel_idle = 0;
	cfg->socktimeout = 5;
	cfg->max_header_size = 65536;
	cfg->max_clients = 1024;
	cfg->proxyreload = 60;
	cfg->pac_file_url_path = "/";
	cfg->client_bufsz = 16384;
	cfg->server_bufsz = 16384;
	cfg->pipe_size = 262144;
	cfg->log_level = LOG_LEVEL_INFO;
}

static void
usage(FILE *f)
{
	size_t i;
	char lhs[64];

	fprintf(f, "usage: proxy [--flag value | --flag=value] ...\n\n");
	for (i = 0; i < NOPTIONS; i++) {
		const struct option *o = &options[i];

		snprintf(lhs, sizeof(lhs), "--%s%s%s", o->name,
		    o->meta ? " " : "", o->meta ? o->meta : "");
		fprintf(f, "  %-30s %s", lhs, o->help);
		if (o->def != NULL)
			fprintf(f, " (default: %s)", o->def);
		if (o->alias != NULL)
			fprintf(f, "; also --%s", o->alias);
		fputc('\n', f);
	}
	plugins_usage(f);
}

static void
version(void)
{
	static const enum events_kind kinds[] = { EVENTS_EPOLL,
	    EVENTS_KQUEUE, EVENTS_POLL };
	size_t i;

	printf("proxy %s\nfeatures:", PROXY_VERSION);
#ifdef __linux__
	printf(" linux");
#endif
	printf(" ipv6 %s%s%s%s%s\n", events_name(events_default()),
	    tls_available() ? " tls" : "", WITH_PAC ? " pac" : "",
	    WITH_NTLM ? " ntlm" : "", gss_available() ? " gssapi" : "");
	printf("events: %s (default)", events_name(events_default()));
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i] != events_default() && events_available(kinds[i]))
			printf(", %s", events_name(kinds[i]));
	printf("\n");
}

static const struct option *
option_find(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++)
		if ((strlen(options[i].name) == len &&
		    strncmp(options[i].name, name, len) == 0) ||
		    (options[i].alias != NULL &&
		    strlen(options[i].alias) == len &&
		    strncmp(options[i].alias, name, len) == 0))
			return &options[i];
	return NULL;
}

/* Where a string option was set: its file line, else the flag. */
static const char *
str_from(const struct config *cfg, size_t off, const char *flag)
{
	size_t i;

	for (i = 0; i < NOPTIONS; i++)
		if (options[i].off == off && options[i].type == OPT_STR)
			return cfg->str_from[i] != NULL ? cfg->str_from[i] :
			    flag;
	return flag;
}

/* Where a list item came from: its file line, else the flag. */
static const char *
item_from(const struct strlist *l, size_t i, const char *flag)
{
	return l->from[i] != NULL ? l->from[i] : flag;
}

/* Why a value was refused, for the caller to say where it was given;
 * returns -1. */
static int
value_error(char *why, size_t whysz, const char *val, const char *reason)
{
	snprintf(why, whysz, "'%s' %s", val, reason);
	return -1;
}

/* Hands an allocation to the configuration; -1 (and it is freed) when
 * out of memory. */
static int
cfg_keep(struct config *cfg, void *p)
{
	void **owned;

	if ((owned = realloc(cfg->owned, (cfg->nowned + 1) *
	    sizeof(*owned))) == NULL) {
		free(p);
		return -1;
	}
	cfg->owned = owned;
	cfg->owned[cfg->nowned++] = p;
	return 0;
}

/* A string the configuration keeps; freed with it (options_free). NULL
 * when out of memory. */
static char *
cfg_strndup(struct config *cfg, const char *s, size_t n)
{
	char *copy = strndup(s, n);

	return copy != NULL && cfg_keep(cfg, copy) == 0 ? copy : NULL;
}

/* Wipes a secret string if the configuration owns it: one that points
 * into argv (blanked already) or into another configuration is not
 * ours to touch. */
static void
wipe_owned(const struct config *cfg, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < cfg->nowned; i++)
		if (cfg->owned[i] == s) {
			ntlm_wipe(cfg->owned[i], strlen(s));
			return;
		}
}

/* Passwords and hashes do not outlive the configuration in freed
 * memory, where a later allocation, or a core dump, would find them. */
static void
secrets_wipe(struct config *cfg)
{
	size_t i;

	wipe_owned(cfg, cfg->password);
	wipe_owned(cfg, cfg->pass_lm);
	wipe_owned(cfg, cfg->pass_nt);
	wipe_owned(cfg, cfg->pass_ntlmv2);
	for (i = 0; i < cfg->basic_auth.n; i++)
		wipe_owned(cfg, cfg->basic_auth.v[i]);
	for (i = 0; i < cfg->socks5_auth.n; i++)
		wipe_owned(cfg, cfg->socks5_auth.v[i]);
	for (i = 0; i < cfg->proxy.n; i++)	/* socks5://user:pass@ */
		wipe_owned(cfg, cfg->proxy.v[i]);
	for (i = 0; i < cfg->nparents; i++)
		wipe_owned(cfg, cfg->parents[i].login);
	if (cfg->users != NULL)
		ntlm_wipe(cfg->users, cfg->nusers * sizeof(*cfg->users));
	if (cfg->socks_users != NULL)
		ntlm_wipe(cfg->socks_users, cfg->nsocks_users *
		    sizeof(*cfg->socks_users));
}

void
options_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	secrets_wipe(cfg);
	for (i = 0; i < cfg->nowned; i++)
		free(cfg->owned[i]);
	free(cfg->owned);
	free(cfg->users);
	free(cfg->socks_users);
	netlist_free(&cfg->allow);
	netlist_free(&cfg->deny);
	netlist_free(&cfg->acl);
	netlist_free(&cfg->noproxy);
	netlist_free(&cfg->pp_from);
	netlist_free(&cfg->intercept);
	netlist_free(&cfg->no_intercept);
	plugins_free(cfg);
	netlist_free(&cfg->web_allow);
	tls_mint_free(cfg->mint);
	tls_server_free(cfg->tls);
	tls_anchors_free(cfg->anchors);
	/* the credentials, the Basic header, the parents' logins */
	ntlm_wipe(cfg, sizeof(*cfg));
	free(cfg);
}

static int
list_add(const struct loader *ld, struct strlist *l, const char *v,
    char *why, size_t whysz)
{
	if (l->n == MAX_LIST_ITEMS)
		return value_error(why, whysz, v, "is one item too many");
	l->from[l->n] = ld->from;
	l->v[l->n++] = v;
	return 0;
}

static int
csv_add(const struct loader *ld, struct strlist *l, const char *v,
    char *why, size_t whysz)
{
	const char *p = v, *comma;
	char *item;
	size_t n;

	for (;;) {
		comma = strchr(p, ',');
		n = comma ? (size_t)(comma - p) : strlen(p);
		while (n > 0 && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n > 0) {
			if ((item = cfg_strndup(ld->cfg, p, n)) == NULL)
				return value_error(why, whysz, v,
				    "ran out of memory");
			if (list_add(ld, l, item, why, whysz) == -1)
				return -1;
		}
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* A plugin's flag (declared in its row of plugins.c): kept as
 * "name=value" for the plugin's init to read. */
static int
plugin_flag_set(const struct loader *ld, const struct plugin_flag *pf,
    const char *val, char *why, size_t whysz)
{
	size_t n = strlen(pf->name) + strlen(val) + 2;
	char *item = malloc(n);

	if (item == NULL || cfg_keep(ld->cfg, item) == -1)
		return value_error(why, whysz, val, "ran out of memory");
	snprintf(item, n, "%s=%s", pf->name, val);
	return list_add(ld, &ld->cfg->plugin_args, item, why, whysz);
}

/* Px writes times as "20.0": a duration in seconds may have a fraction,
 * rounded up. */
static int
parse_seconds(const struct option *o, const char *val, long *v)
{
	char *end;
	double d;

	if (o->meta == NULL || strcmp(o->meta, "S") != 0)
		return -1;
	errno = 0;
	d = strtod(val, &end);
	if (errno != 0 || end == val || *end != '\0' || !(d >= o->min) ||
	    !(d <= o->max))
		return -1;
	*v = (long)d + ((double)(long)d < d);
	return 0;
}

static int
parse_bool(const char *v)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return 1;
		if (strcasecmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

/* Applies one option; val is NULL for a flag given without a value.
 * Returns 0, -1 with why filled on a bad value, or 1 when the program is
 * done (--help). */
static int
option_set(const struct loader *ld, const struct option *o, const char *val,
    char *why, size_t whysz)
{
	struct config *cfg = ld->cfg;
	char *field = (char *)cfg + o->off;
	long v;
	int b;

	switch (o->type) {
	case OPT_BOOL:
		if (val == NULL)
			b = 1;
		else if ((b = parse_bool(val)) == -1)
			return value_error(why, whysz, val, "is not yes or no");
		*(int *)(void *)field = b;
		return 0;
	case OPT_LONG:
		if (parse_long(val, o->min, o->max, &v) == -1 &&
		    parse_seconds(o, val, &v) == -1) {
			char range[80];

			snprintf(range, sizeof(range), "is not a number in "
			    "%ld..%ld", o->min, o->max);
			return value_error(why, whysz, val, range);
		}
		*(long *)(void *)field = v;
		return 0;
	case OPT_STR:
		*(const char **)(void *)field = val;
		cfg->str_from[o - options] = ld->from;
		return 0;
	case OPT_LIST:
		return list_add(ld, (struct strlist *)(void *)field, val, why,
		    whysz);
	case OPT_CSV:
		return csv_add(ld, (struct strlist *)(void *)field, val, why,
		    whysz);
	case OPT_LEVEL:
		if ((b = log_level_lookup(val)) == -1)
			return value_error(why, whysz, val,
			    "is not one of debug, info, warning, error");
		cfg->log_level = b;
		return 0;
	case OPT_DEBUG:
		cfg->log_level = LOG_LEVEL_DEBUG;
		return 0;
	case OPT_HELP:
		usage(stdout);
		return 1;
	case OPT_VERSION:
		version();
		return 1;
	}
	return -1;
}

static int
takes_value(const struct option *o)
{
	return o->type != OPT_BOOL && o->type != OPT_HELP &&
	    o->type != OPT_VERSION && o->type != OPT_DEBUG;
}

static int
parse_args(struct loader *ld, int argc, char *argv[])
{
	const struct plugin_flag *pf;
	const struct option *o;
	const char *arg, *eq, *val;
	char why[512];
	int i, rc;

	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (strncmp(arg, "--", 2) != 0)
			return load_error(ld, "unexpected argument '%s' "
			    "(flags start with --; see --help)", arg);
		arg += 2;
		eq = strchr(arg, '=');
		if ((o = option_find(arg, eq ? (size_t)(eq - arg) :
		    strlen(arg))) == NULL) {
			if ((pf = plugins_flag_find(arg, eq ? (size_t)(eq -
			    arg) : strlen(arg))) == NULL)
				return load_error(ld, "unknown flag '%s' "
				    "(see --help)", argv[i]);
			if (eq == NULL && i + 1 == argc)
				return load_error(ld, "--%s needs a value",
				    pf->name);
			if (plugin_flag_set(ld, pf, eq ? eq + 1 : argv[++i],
			    why, sizeof(why)) == -1)
				return load_error(ld, "--%s: %s", pf->name, why);
			continue;
		}
		val = eq ? eq + 1 : NULL;
		if (val == NULL && takes_value(o)) {
			if (i + 1 == argc)
				return load_error(ld, "--%s needs a value",
				    o->name);
			val = argv[++i];
		} else if (val != NULL && !takes_value(o) &&
		    o->type != OPT_BOOL)
			return load_error(ld, "--%s takes no value", o->name);
		if (ld->from_file[o - options] && (o->type == OPT_LIST ||
		    o->type == OPT_CSV)) {
			/* the command line replaces a list from the file */
			((struct strlist *)(void *)((char *)ld->cfg +
			    o->off))->n = 0;
			ld->from_file[o - options] = 0;
		}
		if ((rc = option_set(ld, o, val, why, sizeof(why))) == -1)
			return load_error(ld, "--%s: %s", o->name, why);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static int
access_list(struct loader *ld, struct netlist *l, const struct strlist *items,
    const char *flag)
{
	char err[256];
	size_t i;

	for (i = 0; i < items->n; i++)
		if (netlist_add(l, items->v[i], 0, err, sizeof(err)) == -1)
			return load_error(ld, "%s: %s", item_from(items, i,
			    flag), err);
	return 0;
}

/* "user:pass" or "user:{SHA256}" and 64 hex digits or 44 base64. */
static int
user_parse(struct client_user *u, const char *line, const char **why)
{
	const char *colon = strchr(line, ':'), *pw;
	unsigned char raw[33];
	size_t n;
	int i;

	if (colon == NULL || colon == line ||
	    (size_t)(colon - line) >= sizeof(u->name)) {
		*why = "is not user:password";
		return -1;
	}
	memcpy(u->name, line, (size_t)(colon - line));
	u->name[colon - line] = '\0';
	pw = colon + 1;
	if (strncmp(pw, "{SHA256}", 8) != 0) {
		sha256(pw, strlen(pw), u->hash);
		return 0;
	}
	pw += 8;
	n = strlen(pw);
	if (n == 64) {
		for (i = 0; i < 32; i++) {
			int hi = hex_value(pw[i * 2]), lo = hex_value(pw[i * 2 + 1]);

			if (hi < 0 || lo < 0)
				break;
			u->hash[i] = (unsigned char)(hi << 4 | lo);
		}
		if (i == 32)
			return 0;
	} else if (base64_decode(pw, n, raw, sizeof(raw)) == 32) {
		memcpy(u->hash, raw, 32);
		return 0;
	}
	*why = "has a {SHA256} that is neither 64 hex digits nor base64";
	return -1;
}

/* Adds a login to the list *v of *n (the Basic or the SOCKS5 ones). */
static int
user_add(struct loader *ld, struct client_user **v, size_t *n,
    const char *line, const char *where)
{
	struct client_user *u;
	const char *why;

	if ((u = realloc(*v, (*n + 1) * sizeof(*u))) == NULL)
		return load_error(ld, "%s: out of memory", where);
	*v = u;
	if (user_parse(&u[*n], line, &why) == -1)
		return load_error(ld, "%s: '%.*s...' %s", where,
		    (int)strcspn(line, ":"), line, why);
	(*n)++;
	return 0;
}

static int
users_file(struct loader *ld, const char *path, const char *flag,
    struct client_user **v, size_t *n)
{
	char line[1024], where[PATH_MAX + 32];
	FILE *f;
	int lineno = 0, rc = 0;

	if ((f = fopen(path, "r")) == NULL)
		return load_error(ld, "%s: %s: %s", flag, path,
		    strerror(errno));
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		rc = user_add(ld, v, n, line, where);
	}
	fclose(f);
	return rc;
}

/* "[ADDR:]LPORT:HOST:RPORT", ADDR and HOST as "[v6]" when IPv6. */
static int
tunnel_parse(struct tunnel *t, const char *s)
{
	const char *p = s + strlen(s), *colon[3];
	int k = 0, depth = 0;
	char lport[8];
	long v;

	while (p > s && k < 3) {	/* the last three colons outside [] */
		p--;
		if (*p == ']')
			depth++;
		else if (*p == '[')
			depth--;
		else if (*p == ':' && depth == 0)
			colon[k++] = p;
	}
	if (k < 2)
		return -1;
	/* colon[0] before RPORT, colon[1] before HOST, colon[2] before LPORT */
	if (parse_hostport(colon[1] + 1, (size_t)(s + strlen(s) - colon[1] - 1),
	    t->host, sizeof(t->host), &t->port, 0) == -1 || t->port == 0)
		return -1;
	p = k == 3 ? colon[2] + 1 : s;
	if ((size_t)(colon[1] - p) >= sizeof(lport))
		return -1;
	memcpy(lport, p, (size_t)(colon[1] - p));
	lport[colon[1] - p] = '\0';
	if (parse_long(lport, 1, 65535, &v) == -1)
		return -1;
	snprintf(t->bind, sizeof(t->bind), "%.*s:%ld", k == 3 ?
	    (int)(colon[2] - s) : 9, k == 3 ? s : "127.0.0.1", v);
	return 0;
}

/* --pac-file is a file name when such a file exists, else the script. */
/* path made absolute against the current directory (kept with cfg), so
 * it still names the file after --daemon's chdir("/"); NULL if it
 * cannot be. */
static const char *
path_absolute(struct config *cfg, const char *path)
{
	char cwd[PATH_MAX], *abs;
	size_t n;

	if (path[0] == '/')
		return path;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return NULL;
	n = strlen(cwd) + strlen(path) + 2;
	if ((abs = malloc(n)) == NULL)
		return NULL;
	snprintf(abs, n, "%s/%s", cwd, path);
	return cfg_keep(cfg, abs) == 0 ? abs : NULL;
}

static int
serving_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	const char *v = cfg->pac_file;
	struct stat st;

	if (cfg->pac_file_url_path[0] != '/')
		return load_error(ld, "--pac-file-url-path: '%s' does not "
		    "start with /", cfg->pac_file_url_path);
	if (v == NULL)
		return 0;
	if (stat(v, &st) == 0) {
		if ((cfg->pac_served = config_slurp(v, 16 << 20,
		    &cfg->pac_served_len)) == NULL ||
		    cfg_keep(cfg, cfg->pac_served) == -1)
			return load_error(ld, "--pac-file: %s: %s", v,
			    strerror(errno));
		cfg->pac_served_path = path_absolute(cfg, v);
		return 0;
	}
	if (strstr(v, "FindProxyForURL") == NULL)
		return load_error(ld, "--pac-file: '%s' is neither a file nor "
		    "a script with FindProxyForURL", v);
	cfg->pac_served = (char *)v;
	cfg->pac_served_len = strlen(v);
	return 0;
}

static void config_warn(struct config *, const char *, ...) PRINTF(2, 3);

/* The web server's flags, and --log-format compiled once. */
static int
web_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	const char *v = cfg->static_dir;
	char why[1024];
	struct stat st;
	long n;

	if ((n = log_format_parse(cfg->log_format != NULL ? cfg->log_format :
	    log_format_default, cfg->log_parts, LOG_FORMAT_PARTS, why,
	    sizeof(why))) < 0)
		return load_error(ld, "%s: %s", str_from(cfg, OFF(log_format),
		    "--log-format"), why);
	cfg->nlog_parts = (size_t)n;
	if (cfg->no_proxy_role)
		cfg->web_server = 1;
	if (access_list(ld, &cfg->web_allow, &cfg->web_allow_s,
	    "--web-allow") == -1)
		return -1;
	if (!cfg->web_server && (v != NULL || cfg->web_allow_s.n > 0))
		config_warn(cfg, "%s without --enable-web-server does nothing",
		    v != NULL ? "--static-dir" : "--web-allow");
	if (v == NULL)
		return 0;
	if (stat(v, &st) == -1)
		return load_error(ld, "%s: %s: %s", str_from(cfg,
		    OFF(static_dir), "--static-dir"), v, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return load_error(ld, "%s: %s is not a directory",
		    str_from(cfg, OFF(static_dir), "--static-dir"), v);
	if ((cfg->static_dir = path_absolute(cfg, v)) == NULL)
		return load_error(ld, "--static-dir: %s: cannot make the path "
		    "absolute", v);
	return 0;
}

/* --cert-file, --key-file, --tls-listen: the chain and key are loaded
 * here, in the master, once per configuration. */
static int
tls_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	const char *flag = cfg->cert_file != NULL ? "--cert-file" :
	    cfg->key_file != NULL ? "--key-file" : "--tls-listen";
	char why[PATH_MAX + 256], host[HOST_MAX];
	uint16_t port;
	size_t i;
	int bad_key;

	if (cfg->gen_ca != NULL || cfg->gen_cert != NULL)
		return 0;	/* the files are what they write */
	if (cfg->cert_file == NULL && cfg->key_file == NULL &&
	    cfg->tls_listen.n == 0)
		return 0;
	if (!tls_available())
		return load_error(ld, "%s: built without TLS (rebuild with "
		    "BearSSL: Debian's libbearssl-dev)", str_from(cfg,
		    flag[2] == 'c' ? OFF(cert_file) : OFF(key_file), flag));
	if (cfg->cert_file == NULL || cfg->key_file == NULL)
		return load_error(ld, "%s: TLS needs both --cert-file and "
		    "--key-file", flag);
	for (i = 0; i < cfg->tls_listen.n; i++) {
		const char *a = cfg->tls_listen.v[i];

		if (parse_hostport(a, strlen(a), host, sizeof(host), &port,
		    0) == -1 || port == 0)
			return load_error(ld, "%s: '%s' is not ADDR:PORT",
			    item_from(&cfg->tls_listen, i, "--tls-listen"), a);
	}
	if ((cfg->tls = tls_server_load(cfg->cert_file, cfg->key_file, why,
	    sizeof(why), &bad_key)) == NULL)
		return load_error(ld, "%s: %s", bad_key ? str_from(cfg,
		    OFF(key_file), "--key-file") : str_from(cfg,
		    OFF(cert_file), "--cert-file"), why);
	cfg->tls_all = cfg->tls_listen.n == 0;
	return 0;
}

static void config_warn(struct config *, const char *, ...) PRINTF(2, 3);

/* A private key others may read is a key others may have: said at
 * start, as ssh says it (which refuses such a key; a proxy that will
 * not start is worse than one that warns). */
static void
key_private_check(struct config *cfg, const char *path, const char *from)
{
	struct stat st;

	if (path == NULL || stat(path, &st) == -1 ||
	    (st.st_mode & (S_IRWXG | S_IRWXO)) == 0)
		return;
	config_warn(cfg, "%s: the private key %s is accessible to group or "
	    "others (mode %04o): whoever reads it can pose as any site to "
	    "the clients that trust the CA; chmod 600 it", from, path,
	    (unsigned)(st.st_mode & 07777));
}

/* --ca-cert-dir: "~/" is $HOME's (else the password file's), a
 * relative name is made absolute (--daemon goes to /). A directory
 * that cannot serve stops the start when the flag names it; the
 * default one only gets a warning (a daemon may have no home). */
static int
cert_dir_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	const char *d = cfg->ca_cert_dir != NULL ? cfg->ca_cert_dir :
	    CERT_DIR_DEFAULT, *home = getenv("HOME"), *abs;
	char path[PATH_MAX], why[PATH_MAX + 256];
	struct passwd *pw;
	int n;

	if (strcmp(d, "none") == 0)
		return 0;
	if (d[0] == '~' && (d[1] == '/' || d[1] == '\0')) {
		if ((home == NULL || home[0] == '\0') &&
		    (pw = getpwuid(geteuid())) != NULL)
			home = pw->pw_dir;
		n = home == NULL || home[0] == '\0' ? -1 :
		    snprintf(path, sizeof(path), "%s%s", home, d + 1);
	} else
		n = snprintf(path, sizeof(path), "%s", d);
	if (n < 0 || (size_t)n >= sizeof(path) ||
	    (abs = path_absolute(cfg, path)) == NULL)
		snprintf(why, sizeof(why), "%s: %s", d, n < 0 ? "no home "
		    "directory for ~" : "the name is too long");
	else if (tls_mint_dir(cfg->mint, abs, why, sizeof(why)) == 0)
		return 0;
	if (cfg->ca_cert_dir != NULL)
		return load_error(ld, "%s: %s", str_from(cfg, OFF(ca_cert_dir),
		    "--ca-cert-dir"), why);
	config_warn(cfg, "--ca-cert-dir (default %s): %s; minted "
	    "certificates are kept in memory only", CERT_DIR_DEFAULT, why);
	return 0;
}

/* --ca-cert-file and --ca-key-file turn interception on: the CA is
 * loaded and one EC key made for every leaf. */
static int
intercept_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	char why[PATH_MAX + 256];
	struct tls_key *key;
	struct tls_ca *ca;
	size_t i;
	int bad_key;

	for (i = 0; i < cfg->intercept_s.n; i++)
		if (netlist_add(&cfg->intercept, cfg->intercept_s.v[i], 1, why,
		    sizeof(why)) == -1)
			return load_error(ld, "%s: %s", item_from(
			    &cfg->intercept_s, i, "--intercept"), why);
	for (i = 0; i < cfg->no_intercept_s.n; i++)
		if (netlist_add(&cfg->no_intercept, cfg->no_intercept_s.v[i],
		    1, why, sizeof(why)) == -1)
			return load_error(ld, "%s: %s", item_from(
			    &cfg->no_intercept_s, i, "--no-intercept"), why);
	if (cfg->ca_cert_dir != NULL && !tls_available())
		return load_error(ld, "%s: built without TLS (rebuild with "
		    "BearSSL: Debian's libbearssl-dev)", str_from(cfg,
		    OFF(ca_cert_dir), "--ca-cert-dir"));
	if (cfg->gen_ca != NULL || cfg->gen_cert != NULL ||
	    (cfg->ca_cert_file == NULL && cfg->ca_key_file == NULL))
		return 0;
	if (!tls_available())
		return load_error(ld, "%s: built without TLS (rebuild with "
		    "BearSSL: Debian's libbearssl-dev)", str_from(cfg,
		    OFF(ca_cert_file), "--ca-cert-file"));
	if (cfg->ca_cert_file == NULL || cfg->ca_key_file == NULL)
		return load_error(ld, "%s: a CA needs both --ca-cert-file and "
		    "--ca-key-file", cfg->ca_cert_file ? str_from(cfg,
		    OFF(ca_cert_file), "--ca-cert-file") : str_from(cfg,
		    OFF(ca_key_file), "--ca-key-file"));
	if ((ca = tls_ca_load(cfg->ca_cert_file, cfg->ca_key_file, why,
	    sizeof(why), &bad_key)) == NULL)
		return load_error(ld, "%s: %s", bad_key ? str_from(cfg,
		    OFF(ca_key_file), "--ca-key-file") : str_from(cfg,
		    OFF(ca_cert_file), "--ca-cert-file"), why);
	key_private_check(cfg, cfg->ca_key_file, str_from(cfg,
	    OFF(ca_key_file), "--ca-key-file"));
	key_private_check(cfg, cfg->ca_signing_key_file, str_from(cfg,
	    OFF(ca_signing_key_file), "--ca-signing-key-file"));
	if (cfg->ca_signing_key_file != NULL ? (key = tls_key_load(
	    cfg->ca_signing_key_file, why, sizeof(why))) == NULL :
	    (key = tls_key_new(0, why, sizeof(why))) == NULL) {
		tls_ca_free(ca);
		return load_error(ld, "%s: %s", cfg->ca_signing_key_file ?
		    str_from(cfg, OFF(ca_signing_key_file),
		    "--ca-signing-key-file") : "--ca-cert-file", why);
	}
	if ((cfg->mint = tls_mint_new(ca, key, why, sizeof(why))) == NULL) {
		tls_key_free(key);
		tls_ca_free(ca);
		return load_error(ld, "--ca-cert-file: %s", why);
	}
	return cert_dir_finish(ld);
}

/* cntlm's Allow and Deny lines, in their order. */
static int
acl_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	char err[256];
	size_t i;

	for (i = 0; i < cfg->acl_s.n; i++) {
		const char *r = cfg->acl_s.v[i];

		cfg->acl_deny[cfg->acl.n] = r[0] == '-';
		if (netlist_add(&cfg->acl, r + 1, 0, err, sizeof(err)) == -1)
			return load_error(ld, "%s: %s", item_from(&cfg->acl_s,
			    i, r[0] == '-' ? "Deny" : "Allow"), err);
	}
	return 0;
}

/* A --socks5-listen item as it is bound: a bare PORT (cntlm's -O and
 * SOCKS5Proxy) on loopback, or with --gateway or --hostonly on every
 * interface (0.0.0.0 and ::); ADDR:PORT as it is. */
static int
socks_bind_add(struct loader *ld, const char *item, const char *from)
{
	struct config *cfg = ld->cfg;
	char host[HOST_MAX], spec[2][32];
	const char *add[2] = { item, NULL };
	uint16_t port;
	size_t i;
	long v;

	if (parse_long(item, 1, 65535, &v) == 0) {
		snprintf(spec[0], sizeof(spec[0]), cfg->gateway ||
		    cfg->hostonly ? "0.0.0.0:%ld" : "127.0.0.1:%ld", v);
		snprintf(spec[1], sizeof(spec[1]), "[::]:%ld", v);
		add[0] = spec[0];
		add[1] = cfg->gateway || cfg->hostonly ? spec[1] : NULL;
	} else if (parse_hostport(item, strlen(item), host, sizeof(host),
	    &port, 0) == -1 || port == 0)
		return load_error(ld, "%s: '%s' is not [ADDR:]PORT", from,
		    item);
	for (i = 0; i < 2 && add[i] != NULL; i++) {
		char *kept;

		if (cfg->socks5_bind.n == MAX_LIST_ITEMS)
			return load_error(ld, "%s: too many SOCKS ports", from);
		if ((kept = cfg_strndup(cfg, add[i], strlen(add[i]))) == NULL)
			return load_error(ld, "out of memory");
		cfg->socks5_bind.from[cfg->socks5_bind.n] = from;
		cfg->socks5_bind.v[cfg->socks5_bind.n++] = kept;
	}
	return 0;
}

/* --socks5-listen, --socks5-auth, --socks5-users (cntlm's SOCKS5Proxy
 * and SOCKS5Users). */
static int
socks_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	size_t i;

	for (i = 0; i < cfg->socks5_listen.n; i++)
		if (socks_bind_add(ld, cfg->socks5_listen.v[i],
		    item_from(&cfg->socks5_listen, i, "--socks5-listen")) == -1)
			return -1;
	for (i = 0; i < cfg->socks5_auth.n; i++)
		if (user_add(ld, &cfg->socks_users, &cfg->nsocks_users,
		    cfg->socks5_auth.v[i], item_from(&cfg->socks5_auth, i,
		    "--socks5-auth")) == -1)
			return -1;
	if (cfg->socks5_users_file != NULL &&
	    users_file(ld, cfg->socks5_users_file, str_from(cfg,
	    OFF(socks5_users_file), "--socks5-users"), &cfg->socks_users,
	    &cfg->nsocks_users) == -1)
		return -1;
	return 0;
}

/* --gateway and --hostonly (as in Px and cntlm) listen on every
 * interface, at the port of each --listen address (or --port). */
static int
bind_all(struct config *cfg)
{
	char host[HOST_MAX], *spec;
	uint16_t ports[MAX_LIST_ITEMS], p;
	size_t i, j, np = 0;

	for (i = 0; i < cfg->listen.n; i++) {
		const char *a = cfg->listen.v[i];

		if (parse_hostport(a, strlen(a), host, sizeof(host), &p,
		    (uint16_t)cfg->port) == -1)
			continue;	/* bind_one() will name it */
		for (j = 0; j < np && ports[j] != p; j++)
			;
		if (j == np)
			ports[np++] = p;
	}
	if (np == 0)
		ports[np++] = (uint16_t)cfg->port;
	cfg->bind.n = 0;
	for (i = 0; i < np && cfg->bind.n + 2 <= MAX_LIST_ITEMS; i++) {
		snprintf(host, sizeof(host), "0.0.0.0:%u", ports[i]);
		if ((spec = cfg_strndup(cfg, host, strlen(host))) == NULL)
			return -1;
		cfg->bind.from[cfg->bind.n] = NULL;
		cfg->bind.v[cfg->bind.n++] = spec;
		snprintf(host, sizeof(host), "[::]:%u", ports[i]);
		if ((spec = cfg_strndup(cfg, host, strlen(host))) == NULL)
			return -1;
		cfg->bind.from[cfg->bind.n] = NULL;
		cfg->bind.v[cfg->bind.n++] = spec;
	}
	return 0;
}

static int
access_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	size_t i;

	if (access_list(ld, &cfg->allow, &cfg->allow_s, "--allow") == -1 ||
	    access_list(ld, &cfg->deny, &cfg->deny_s, "--deny") == -1)
		return -1;
	for (i = 0; i < cfg->basic_auth.n; i++)
		if (user_add(ld, &cfg->users, &cfg->nusers,
		    cfg->basic_auth.v[i], item_from(&cfg->basic_auth, i,
		    "--basic-auth")) == -1)
			return -1;
	if (cfg->basic_auth_file != NULL &&
	    users_file(ld, cfg->basic_auth_file, "--basic-auth-file",
	    &cfg->users, &cfg->nusers) == -1)
		return -1;
	if (socks_finish(ld) == -1)
		return -1;
	if (cfg->tunnel_s.n > 0 && ((cfg->tunnels = calloc(cfg->tunnel_s.n,
	    sizeof(*cfg->tunnels))) == NULL || cfg_keep(cfg, cfg->tunnels)
	    == -1))
		return load_error(ld, "out of memory");
	for (i = 0; i < cfg->tunnel_s.n; i++)
		if (tunnel_parse(&cfg->tunnels[cfg->ntunnels++],
		    cfg->tunnel_s.v[i]) == -1)
			return load_error(ld, "%s: '%s' is not "
			    "[ADDR:]LPORT:HOST:RPORT", item_from(&cfg->tunnel_s,
			    i, "--tunnel"), cfg->tunnel_s.v[i]);
	if (acl_finish(ld) == -1)
		return -1;
	cfg->bind = cfg->listen;
	if (cfg->gateway || cfg->hostonly)
		return bind_all(cfg) == -1 ? load_error(ld, "out of memory") :
		    0;
	if (cfg->bind.n == 0)
		cfg->bind.v[cfg->bind.n++] = "127.0.0.1";
	return 0;
}

/* A warning while loading: on stderr now, in the log once it is open.
 * On a reload the master logs them (stderr is no place to look then). */
static void PRINTF(2, 3)
config_warn(struct config *cfg, const char *fmt, ...)
{
	size_t used = strlen(cfg->warnings);
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cfg->warnings + used, sizeof(cfg->warnings) - used,
	    fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(cfg->warnings) - used) {
		cfg->warnings[used] = '\0';	/* no half line */
		return;
	}
	if (!cfg->reloading)
		fprintf(stderr, "proxy: warning: %s\n", cfg->warnings + used);
	if (used + (size_t)n + 1 < sizeof(cfg->warnings))
		strcat(cfg->warnings, "\n");
}

/* The warnings of config_warn, to the log that is now open. */
void
options_warnings_log(const struct config *cfg, const char *prefix)
{
	const char *p = cfg->warnings, *nl;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		log_warnx("%s%.*s", prefix, nl != NULL ? (int)(nl - p) :
		    (int)strlen(p), p);
		p = nl != NULL ? nl + 1 : p + strlen(p);
	}
}

/* The parent named by $http_proxy: "http://[user:pass@]host:port[/]". */
static const char *
env_proxy(char *buf, size_t size)
{
	const char *names[] = { "http_proxy", "HTTP_PROXY", "https_proxy",
	    "HTTPS_PROXY" };
	const char *v = NULL, *at;
	size_t i, n;

	for (i = 0; i < 4 && (v == NULL || *v == '\0'); i++)
		v = getenv(names[i]);
	if (v == NULL || *v == '\0')
		return NULL;
	if (strncasecmp(v, "http://", 7) == 0)
		v += 7;
	if ((at = strrchr(v, '@')) != NULL)
		v = at + 1;
	n = strcspn(v, "/");
	if (n >= size)
		return NULL;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return buf;
}

/* A parent that is this proxy itself would loop. */
static int
is_self(const struct config *cfg, const struct hop *p)
{
	static const char *const local[] = { "localhost", "127.0.0.1", "::1",
	    "0.0.0.0", "::" };
	char host[HOST_MAX];
	uint16_t port;
	size_t i;

	for (i = 0; i < cfg->bind.n; i++) {
		const char *l = cfg->bind.v[i];

		if (parse_hostport(l, strlen(l), host, sizeof(host), &port,
		    (uint16_t)cfg->port) == 0 && port == p->port &&
		    strcasecmp(host, p->host) == 0)
			return 1;
	}
	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (p->port == cfg->port && strcasecmp(p->host, local[i]) == 0)
			return 1;
	return 0;
}

static int
parent_add(struct loader *ld, const char *item, const char *flag)
{
	struct config *cfg = ld->cfg;
	struct hop *p = &cfg->parents[cfg->nparents];

	if (cfg->nparents == MAX_PARENTS)
		return load_error(ld, "%s: more than %d parents", flag,
		    MAX_PARENTS);
	p->kind = HOP_HTTP;
	p->tls = 0;
	if (strncasecmp(item, "http://", 7) == 0)
		item += 7;
	else if (strncasecmp(item, "https://", 8) == 0) {
		if (!tls_available())
			return load_error(ld, "%s: '%s': built without TLS "
			    "(rebuild with BearSSL: Debian's libbearssl-dev)",
			    flag, item);
		p->tls = 1;
		item += 8;
	}
	else if (strncasecmp(item, "socks5://", 9) == 0) {
		const char *at = strrchr(item + 9, '@');

		p->kind = HOP_SOCKS5;
		item += 9;
		if (at != NULL) {
			if ((p->login = cfg_strndup(cfg, item, (size_t)(at -
			    item))) == NULL || strchr(p->login, ':') == NULL)
				return load_error(ld, "%s: '%s': the login "
				    "is not user:password", flag, item);
			item = at + 1;
		}
	}
	if (parse_hostport(item, strcspn(item, "/"), p->host, sizeof(p->host),
	    &p->port, 0) == -1 || p->port == 0)
		return load_error(ld, "%s: '%s' is not HOST:PORT", flag, item);
	snprintf(p->name, sizeof(p->name), strchr(p->host, ':') ?
	    "[%s]:%u" : "%s:%u", p->host, p->port);
	cfg->nparents++;
	return 0;
}

/* --ca-bundle, --insecure-upstream: the trust anchors for TLS to
 * parents and origins, loaded here, in the master. The system's bundle
 * may be missing (a small system): then only a warning, and every
 * verified TLS connection fails with a 502 saying so. */
static int
upstream_tls_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	const char *path = cfg->ca_bundle != NULL ? cfg->ca_bundle :
	    CA_BUNDLE_DEFAULT;
	char why[PATH_MAX + 256];
	size_t skipped;

	if (!tls_available()) {
		if (cfg->ca_bundle != NULL || cfg->insecure_upstream)
			return load_error(ld, "%s: built without TLS (rebuild "
			    "with BearSSL: Debian's libbearssl-dev)",
			    cfg->ca_bundle != NULL ? str_from(cfg,
			    OFF(ca_bundle), "--ca-bundle") :
			    "--insecure-upstream");
		return 0;
	}
	if (cfg->insecure_upstream)
		config_warn(cfg, "--insecure-upstream: the certificates of "
		    "https:// parents and origins are not verified; anyone "
		    "on the way can read and change that traffic");
	why[0] = '\0';
	if ((cfg->anchors = tls_anchors_load(path, &skipped, why,
	    sizeof(why))) == NULL) {
		if (cfg->ca_bundle != NULL)
			return load_error(ld, "%s: %s", str_from(cfg,
			    OFF(ca_bundle), "--ca-bundle"), why);
		if (!cfg->insecure_upstream)
			config_warn(cfg, "no trust anchors (%s): TLS to "
			    "https:// parents and origins will fail; see "
			    "--ca-bundle", why);
		return 0;
	}
	if (skipped > 0)
		config_warn(cfg, "%s: skipped %zu certificates BearSSL cannot "
		    "read", path, skipped);
	return 0;
}

static int
parents_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	char err[256], buf[HOST_MAX + 8];
	const char *env;
	size_t i;

	for (i = 0; i < cfg->proxy.n; i++)
		if (parent_add(ld, cfg->proxy.v[i], item_from(&cfg->proxy, i,
		    "--proxy")) == -1)
			return -1;
	for (i = 0; i < cfg->noproxy_s.n; i++)
		if (netlist_add(&cfg->noproxy, cfg->noproxy_s.v[i], 1, err,
		    sizeof(err)) == -1)
			return load_error(ld, "%s: %s", item_from(
			    &cfg->noproxy_s, i, "--noproxy"), err);
	if (cfg->proxy.n > 0 || cfg->noproxy_s.n > 0 ||
	    (env = env_proxy(buf, sizeof(buf))) == NULL)
		return 0;
	if (parent_add(ld, env, "$http_proxy") == -1)
		return -1;
	if (is_self(cfg, &cfg->parents[0])) {
		config_warn(cfg, "ignoring $http_proxy %s: it is this "
		    "proxy's own address", cfg->parents[0].name);
		cfg->nparents = 0;
		return 0;
	}
	if ((env = getenv("no_proxy")) != NULL ||
	    (env = getenv("NO_PROXY")) != NULL)
		(void)netlist_add_csv(&cfg->noproxy, env, 1, err, sizeof(err));
	return 0;
}

/* A build without NTLM (make NTLM=0) refuses what needs it, naming the
 * flag, rather than logging in some other way. */
static int
ntlm_built(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	const char *flag = NULL;

	if (WITH_NTLM)
		return 0;
	if (cfg->ntlm_to_basic)
		flag = "--ntlm-to-basic";
	else if (cfg->magic != NULL)
		flag = "--magic";
	else if (cfg->hashes)
		flag = "--hashes";
	else if (cfg->pass_lm || cfg->pass_nt || cfg->pass_ntlmv2)
		flag = cfg->pass_lm ? str_from(cfg, OFF(pass_lm), "--pass-lm") :
		    cfg->pass_nt ? str_from(cfg, OFF(pass_nt), "--pass-nt") :
		    str_from(cfg, OFF(pass_ntlmv2), "--pass-ntlmv2");
	else if (cfg->auth == AUTH_NTLM)
		return load_error(ld, "%s %s: built without NTLM (this build "
		    "logs in to parents with --auth BASIC only)",
		    cfg->auth_s ? str_from(cfg, OFF(auth_s), "--auth") :
		    "--username", cfg->auth_s ? cfg->auth_s : "(NTLM by "
		    "default)");
	return flag ? load_error(ld, "%s: built without NTLM", flag) : 0;
}

/* The same for the PAC interpreter (make PAC=0); serving a PAC file
 * needs no interpreter and stays. */
static int
pac_built(struct loader *ld)
{
	struct config *cfg = ld->cfg;

	if (WITH_PAC || (cfg->pac == NULL && cfg->pac_test == NULL &&
	    cfg->pac_client_ip == NULL))
		return 0;
	return load_error(ld, "%s: built without PAC", cfg->pac ?
	    str_from(cfg, OFF(pac), "--pac") : cfg->pac_test ? "--pac-test" :
	    str_from(cfg, OFF(pac_client_ip), "--pac-client-ip"));
}

/* The same for Kerberos (make GSSAPI=1). --auth ANY works without it
 * (NTLM inside Negotiate, NTLM, Basic); --ntlm-to-basic's clients bring
 * passwords for NTLM, not tickets. */
static int
gss_built(struct loader *ld)
{
	struct config *cfg = ld->cfg;

	if (cfg->ntlm_to_basic && (cfg->auth == AUTH_KERBEROS ||
	    cfg->auth == AUTH_ANY))
		return load_error(ld, "--ntlm-to-basic: the clients' own "
		    "logins go to the parent as NTLM only (not with --auth "
		    "%s)", cfg->auth_s);
	if (cfg->kerberos_password && cfg->username == NULL)
		return load_error(ld, "--kerberos-password needs --username "
		    "(USER@REALM, or USER and the default realm)");
	if (cfg->kerberos_password && cfg->auth != AUTH_KERBEROS &&
	    cfg->auth != AUTH_ANY)
		return load_error(ld, "--kerberos-password needs --auth "
		    "NEGOTIATE or ANY");
	if (gss_available() || (cfg->auth != AUTH_KERBEROS &&
	    !cfg->kerberos_password && !cfg->negotiate_canonical))
		return 0;
	return load_error(ld, "%s: built without GSSAPI (rebuild with make "
	    "GSSAPI=1; Debian: libkrb5-dev)", cfg->auth == AUTH_KERBEROS ?
	    "--auth NEGOTIATE" : cfg->kerberos_password ?
	    "--kerberos-password" : "--negotiate-canonical");
}

static int
auth_parse(struct loader *ld)
{
	struct config *cfg = ld->cfg;

	if (cfg->auth_s == NULL) {
		cfg->auth = cfg->username || cfg->ntlm_to_basic ? AUTH_NTLM :
		    AUTH_NONE;
		cfg->dialect = NTLM_NTLMV2;
	} else if (strcasecmp(cfg->auth_s, "NONE") == 0)
		cfg->auth = AUTH_NONE;
	else if (strcasecmp(cfg->auth_s, "BASIC") == 0)
		cfg->auth = AUTH_BASIC;
	else if (strcasecmp(cfg->auth_s, "NEGOTIATE") == 0 ||
	    strcasecmp(cfg->auth_s, "KERBEROS") == 0)
		cfg->auth = AUTH_KERBEROS;
	else if (strcasecmp(cfg->auth_s, "ANY") == 0) {
		cfg->auth = AUTH_ANY;
		cfg->dialect = NTLM_NTLMV2;
	} else if (ntlm_dialect_parse(cfg->auth_s, &cfg->dialect) == 0)
		cfg->auth = AUTH_NTLM;
	else
		return load_error(ld, "%s: '%s' is not one of NTLMv2, "
		    "NTLM2SR, NTLM, NT, LM, BASIC, NEGOTIATE, KERBEROS, ANY, "
		    "NONE", str_from(cfg, OFF(auth_s), "--auth"), cfg->auth_s);
	/* Kerberos takes the user from the ticket */
	if (cfg->auth != AUTH_NONE && cfg->auth != AUTH_KERBEROS &&
	    cfg->auth != AUTH_ANY && cfg->username == NULL &&
	    !cfg->ntlm_to_basic)
		return load_error(ld, "--auth %s needs --username",
		    cfg->auth_s ? cfg->auth_s : "");
	if (gss_built(ld) == -1)
		return -1;
	return cfg->auth == AUTH_ANY ? 0 : ntlm_built(ld);
}

/* Reads a line from the terminal without echo. */
static int
password_prompt(char *out, size_t size)
{
	struct termios old, quiet;
	ssize_t n;
	int fd, echo_off;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	echo_off = tcgetattr(fd, &old) == 0;
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	if (write(fd, "Password: ", 10) != 10) {
		/* the prompt is a courtesy; the read decides */
	}
	n = read(fd, out, size - 1);
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) != 1) {
		/* as above */
	}
	fd_close(&fd);
	if (n <= 0)
		return -1;
	out[n] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static int
creds_error(struct loader *ld, const char *what, const char *err)
{
	return load_error(ld, "%s: %s", what, err);
}

static int
hashes_set(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	const struct { const char *hex, *flag; unsigned which; } h[] = {
		{ cfg->pass_lm, "--pass-lm", NTLM_HAVE_LM },
		{ cfg->pass_nt, "--pass-nt", NTLM_HAVE_NT },
		{ cfg->pass_ntlmv2, "--pass-ntlmv2", NTLM_HAVE_V2 },
	};
	const char *err;
	size_t i;

	for (i = 0; i < 3; i++)
		if (h[i].hex != NULL && ntlm_creds_set_hash(&cfg->creds,
		    h[i].which, h[i].hex, &err) == -1)
			return creds_error(ld, h[i].flag, err);
	return 0;
}

static int
basic_set(struct loader *ld, const char *password)
{
	struct config *cfg = ld->cfg;
	char plain[NTLM_NAME_MAX * 2];
	int n;
	long r;

	n = snprintf(plain, sizeof(plain), "%s:%s", cfg->username, password);
	if (n < 0 || (size_t)n >= sizeof(plain))
		return creds_error(ld, "--auth BASIC",
		    "user and password too long");
	memcpy(cfg->basic, "Basic ", 6);
	r = base64_encode(plain, (size_t)n, cfg->basic + 6,
	    sizeof(cfg->basic) - 6);
	ntlm_wipe(plain, sizeof(plain));
	return r < 0 ? creds_error(ld, "--auth BASIC", "too long") : 0;
}

/* Where the password comes from, strongest first. */
static const char *
password_find(struct config *cfg, char *buf, size_t size, int need)
{
	const char *env = getenv("PROXY_PASSWORD");

	if (env != NULL)
		return env;
	if (cfg->password != NULL) {
		if (cfg->password_in_file)
			config_warn(cfg, "%s: a password in plain text; --save "
			    "writes its hashes instead",
			    str_from(cfg, OFF(password), "the config file"));
		else
			config_warn(cfg, "a password on the command line can "
			    "be read by other users; prefer PROXY_PASSWORD, "
			    "--password-prompt or the --pass-* hashes");
		return cfg->password;
	}
	if ((cfg->password_prompt || need) && !cfg->reloading &&
	    password_prompt(buf, size) == 0)
		return buf;
	return NULL;
}

/* The password, from where password_find() finds it, into the
 * credentials; pw[size] holds one typed at the terminal. */
static int
password_set(struct loader *ld, char *pw, size_t size, int hashes)
{
	struct config *cfg = ld->cfg;
	const char *password, *err;

	password = hashes && !cfg->hashes && !cfg->kerberos_password ? NULL :
	    password_find(cfg, pw, size, cfg->hashes || cfg->kerberos_password ||
	    (!hashes && cfg->auth != AUTH_NONE && cfg->auth != AUTH_KERBEROS &&
	    cfg->auth != AUTH_ANY && !cfg->ntlm_to_basic));
	if (password == NULL)
		return 0;
	if (cfg->kerberos_password &&
	    strlcpy_p(cfg->krb_pass, password, sizeof(cfg->krb_pass)) >=
	    sizeof(cfg->krb_pass))
		return creds_error(ld, "password", "too long");
	if (cfg->auth == AUTH_ANY && !WITH_NTLM)
		return basic_set(ld, password);
	if (ntlm_creds_set_password(&cfg->creds, password, &err) == -1)
		return creds_error(ld, "password", err);
	if ((cfg->auth == AUTH_BASIC || cfg->auth == AUTH_ANY) &&
	    basic_set(ld, password) == -1)
		return -1;
	return 0;
}

static int
credentials_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	char user[NTLM_NAME_MAX], domain[NTLM_NAME_MAX] = "";
	char ws[NTLM_NAME_MAX], pw[NTLM_PASS_MAX + 2];
	const char *err;
	int hashes = cfg->pass_lm || cfg->pass_nt || cfg->pass_ntlmv2, rc;

	if (auth_parse(ld) == -1)
		return -1;
	if (cfg->username == NULL)
		return 0;
	if (ntlm_split_user(cfg->username, user, sizeof(user), domain,
	    sizeof(domain)) == -1)
		return creds_error(ld, "--username", "not USER, "
		    "DOMAIN\\USER or USER@DOMAIN");
	if (cfg->domain != NULL)
		snprintf(domain, sizeof(domain), "%s", cfg->domain);
	if (cfg->workstation != NULL)
		snprintf(ws, sizeof(ws), "%s", cfg->workstation);
	else if (gethostname(ws, sizeof(ws)) == -1)
		snprintf(ws, sizeof(ws), "proxy");
	ws[sizeof(ws) - 1] = '\0';
	if (ntlm_creds_init(&cfg->creds, user, domain, ws, &err) == -1)
		return creds_error(ld, "--username", err);
	/* Kerberos's user: USER@REALM as given, else USER in the default
	 * realm (an NTLM domain is not a realm: CORP is often
	 * CORP.EXAMPLE.COM) */
	snprintf(cfg->krb_user, sizeof(cfg->krb_user), "%s",
	    strchr(cfg->username, '@') ? cfg->username : user);
	rc = password_set(ld, pw, sizeof(pw), hashes);
	ntlm_wipe(pw, sizeof(pw));	/* on every path: typed in, maybe */
	if (rc == -1 || hashes_set(ld) == -1)
		return -1;
	if (cfg->auth == AUTH_BASIC && cfg->basic[0] == '\0')
		return creds_error(ld, "--auth BASIC", "needs a "
		    "password (PROXY_PASSWORD, --password-prompt)");
	if (cfg->auth == AUTH_NTLM && !cfg->ntlm_to_basic && !cfg->hashes &&
	    (err = ntlm_creds_check(&cfg->creds, cfg->dialect)) != NULL)
		return creds_error(ld, "--username", err);
	if (cfg->kerberos_password && cfg->krb_pass[0] == '\0' &&
	    !cfg->reloading)
		return creds_error(ld, "--kerberos-password", "needs a "
		    "password (PROXY_PASSWORD, --password-prompt)");
	return 0;
}

/* --hashes: cntlm -H's three lines. */
int
options_hashes(const struct config *cfg, char *err, size_t errsz)
{
	char out[512];

	if (cfg->username == NULL) {
		snprintf(err, errsz, "--hashes needs --username");
		return 2;
	}
	if (ntlm_format_hashes(&cfg->creds, out, sizeof(out)) < 0) {
		snprintf(err, errsz, "--hashes needs a password "
		    "(PROXY_PASSWORD or the terminal)");
		return 2;
	}
	fputs(out, stdout);
	ntlm_wipe(out, sizeof(out));
	return 0;
}

/* A password given as a flag is copied and blanked in argv, so ps and
 * /proc/PID/cmdline do not show it. */
static void
argv_hide_password(struct config *cfg, int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc; i++) {
		char *v = NULL;

		if (strncmp(argv[i], "--password=", 11) == 0)
			v = argv[i] + 11;
		else if (strcmp(argv[i], "--password") == 0 && i + 1 < argc)
			v = argv[++i];
		if (v == NULL || *v == '\0')
			continue;
		if ((cfg->password = cfg_strndup(cfg, v, strlen(v))) == NULL)
			cfg->password = "";
		memset(v, '*', strlen(v));
	}
}

/* --events and --accept: what this build and kernel have. */
static int
events_finish(struct loader *ld)
{
	static const char *const modes[] = { [ACCEPT_SHARED] = "shared",
	    [ACCEPT_EXCLUSIVE] = "exclusive", [ACCEPT_REUSEPORT] = "reuseport" };
	struct config *cfg = ld->cfg;
	const char *e = cfg->events_s != NULL ? cfg->events_s : "auto";
	const char *a = cfg->accept_s != NULL ? cfg->accept_s : "auto";
	enum events_kind k;
	size_t i;

	if (events_parse(e, &k) == -1)
		return load_error(ld, "%s: '%s' is not auto, epoll, kqueue or "
		    "poll", str_from(cfg, OFF(events_s), "--events"), e);
	if (!events_available(k))
		return load_error(ld, "%s: %s is not in this build (it has %s"
		    "%s)", str_from(cfg, OFF(events_s), "--events"), e,
		    events_available(EVENTS_EPOLL) ? "epoll, " :
		    events_available(EVENTS_KQUEUE) ? "kqueue, " : "", "poll");
	cfg->events = k == EVENTS_AUTO ? events_default() : k;
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(a, modes[i]) == 0)
			break;
	if (i == sizeof(modes) / sizeof(modes[0]) && strcmp(a, "auto") != 0)
		return load_error(ld, "%s: '%s' is not auto, shared, exclusive "
		    "or reuseport", str_from(cfg, OFF(accept_s), "--accept"), a);
	if (i == sizeof(modes) / sizeof(modes[0]))
		i = cfg->events == EVENTS_EPOLL ? ACCEPT_EXCLUSIVE :
		    ACCEPT_SHARED;
	if (i == ACCEPT_EXCLUSIVE && cfg->events != EVENTS_EPOLL)
		return load_error(ld, "%s: exclusive needs --events epoll",
		    str_from(cfg, OFF(accept_s), "--accept"));
#ifndef __linux__
	if (i == ACCEPT_REUSEPORT)
		return load_error(ld, "%s: reuseport needs Linux, where the "
		    "kernel spreads clients over the sockets", str_from(cfg,
		    OFF(accept_s), "--accept"));
#endif
	cfg->accept_mode = (int)i;
	return 0;
}

/* A bare PORT of --transparent-listen is every IPv4 address: REDIRECT
 * hands a connection to the address of the interface it came in on. */
static int
transparent_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	char host[HOST_MAX], spec[HOST_MAX + 16], *copy;
	const char *a, *from;
	uint16_t port;
	size_t i;
	long v;

	for (i = 0; i < cfg->transparent_listen.n; i++) {
		a = cfg->transparent_listen.v[i];
		from = item_from(&cfg->transparent_listen, i,
		    "--transparent-listen");
		if (!HAVE_ORIGINAL_DST)
			return load_error(ld, "%s: transparent ports are not "
			    "supported on this system (they need Linux's "
			    "SO_ORIGINAL_DST)", from);
		if (parse_long(a, 1, 65535, &v) == 0)
			snprintf(spec, sizeof(spec), "0.0.0.0:%ld", v);
		else if (parse_hostport(a, strlen(a), host, sizeof(host),
		    &port, 0) == -1 || port == 0)
			return load_error(ld, "%s: '%s' is not [ADDR:]PORT",
			    from, a);
		else
			snprintf(spec, sizeof(spec), "%s", a);
		if ((copy = cfg_strndup(cfg, spec, strlen(spec))) == NULL)
			return load_error(ld, "out of memory");
		cfg->transparent_bind.from[cfg->transparent_bind.n] = from;
		cfg->transparent_bind.v[cfg->transparent_bind.n++] = copy;
	}
	if (cfg->transparent_listen.n > 0 && (cfg->nusers > 0 ||
	    cfg->ntlm_to_basic))
		config_warn(cfg, "--transparent-listen: its clients do not "
		    "know a proxy is there and cannot log in to it; "
		    "--basic-auth does not apply to them (--allow does)");
	return 0;
}

/* --proxy-protocol, --proxy-protocol-listen, --proxy-protocol-from. */
static int
proxyproto_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	char host[HOST_MAX], err[256];
	uint16_t port;
	size_t i;

	for (i = 0; i < cfg->pp_listen.n; i++) {
		const char *a = cfg->pp_listen.v[i];

		if (parse_hostport(a, strlen(a), host, sizeof(host), &port,
		    0) == -1 || port == 0)
			return load_error(ld, "%s: '%s' is not ADDR:PORT",
			    item_from(&cfg->pp_listen, i,
			    "--proxy-protocol-listen"), a);
	}
	for (i = 0; i < cfg->pp_from_s.n; i++)
		if (netlist_add(&cfg->pp_from, cfg->pp_from_s.v[i], 0, err,
		    sizeof(err)) == -1)
			return load_error(ld, "%s: %s", item_from(
			    &cfg->pp_from_s, i, "--proxy-protocol-from"), err);
	if (!cfg->proxy_protocol && cfg->pp_listen.n == 0) {
		if (cfg->pp_from_s.n > 0)
			config_warn(cfg, "--proxy-protocol-from: no port "
			    "expects the PROXY protocol (--proxy-protocol, "
			    "--proxy-protocol-listen)");
	} else if (cfg->pp_from_s.n == 0)
		config_warn(cfg, "--proxy-protocol: whoever reaches its ports "
		    "may name any client address (for --allow, --deny and the "
		    "logs); list the balancers in --proxy-protocol-from");
	return 0;
}

static int
config_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	char host[HOST_MAX];
	size_t i;
	long v;

	for (i = 0; i < cfg->connect_ports.n; i++) {
		if (parse_long(cfg->connect_ports.v[i], 1, 65535, &v) == -1)
			return load_error(ld, "%s: '%s' is not a port",
			    item_from(&cfg->connect_ports, i,
			    "--connect-ports"), cfg->connect_ports.v[i]);
		cfg->ports[cfg->nports++] = (uint16_t)v;
	}
	for (i = 0; i < cfg->add_headers.n; i++) {
		const char *h = cfg->add_headers.v[i], *c = strchr(h, ':');

		if (c == NULL || c == h || strpbrk(h, "\r\n") != NULL)
			return load_error(ld, "%s: '%s' is not 'Name: value'",
			    item_from(&cfg->add_headers, i, "--add-header"), h);
	}
	if (pac_built(ld) == -1 ||
	    access_finish(ld) == -1 || serving_finish(ld) == -1 ||
	    web_finish(ld) == -1 ||
	    parents_finish(ld) == -1 || credentials_finish(ld) == -1 ||
	    tls_finish(ld) == -1 || upstream_tls_finish(ld) == -1 ||
	    intercept_finish(ld) == -1 || transparent_finish(ld) == -1 ||
	    proxyproto_finish(ld) == -1 || events_finish(ld) == -1 ||
	    plugins_finish(cfg, ld->err, ld->errsz) == -1)
		return -1;
	cfg->nworkers = cfg->workers;
	if (cfg->nworkers == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		cfg->nworkers = n > 0 ? (n > 64 ? 64 : n) : 1;
	}
	if (cfg->tunnel_idle == 0)
		cfg->tunnel_idle = cfg->idle == 30 ? 300 : cfg->idle;
	if (gethostname(host, sizeof(host)) == -1)
		strlcpy_p(host, "proxy", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(cfg->via, sizeof(cfg->via), "1.1 %.64s (proxy/%s)", host,
	    PROXY_VERSION);
	return 0;
}

/* A relative path would break once the daemon changes to "/". */
static const char *
absolute_path(struct config *cfg, const char *p)
{
	char cwd[PATH_MAX], buf[PATH_MAX * 2];
	const char *abs;

	if (p == NULL || p[0] == '/' || strcmp(p, "syslog") == 0 ||
	    strcmp(p, "-") == 0 || getcwd(cwd, sizeof(cwd)) == NULL)
		return p;
	snprintf(buf, sizeof(buf), "%s/%s", cwd, p);
	return (abs = cfg_strndup(cfg, buf, strlen(buf))) ? abs : p;
}

/*
 * On a reload, a password the file does not give is the running one:
 * the one given as a flag was blanked in argv at start-up (asterisks are
 * what is left there), and one the file no longer has is kept. A copy:
 * the running configuration is freed once this one replaces it.
 */
static int
password_keep(struct loader *ld, const struct config *prev)
{
	struct config *cfg = ld->cfg;

	if (str_from(cfg, OFF(password), NULL) != NULL)
		return 0;	/* the file's */
	cfg->password = NULL;
	if (prev->password != NULL && (cfg->password = cfg_strndup(cfg,
	    prev->password, strlen(prev->password))) == NULL)
		return load_error(ld, "out of memory");
	return 0;
}

/* ---------------------------------------------------------- config files */

/* Options that make no sense in a file. */
static int
file_forbidden(const struct option *o)
{
	return o->type == OPT_HELP || o->type == OPT_VERSION ||
	    o->off == OFF(config_file) || o->off == OFF(save) ||
	    o->off == OFF(quit) || o->off == OFF(hashes) ||
	    o->off == OFF(magic) || o->off == OFF(gen_ca) ||
	    o->off == OFF(gen_cert) || o->off == OFF(force);
}

/* A plugin's flag in a file: its line is kept to name it in errors. */
static int
file_set_plugin(struct loader *ld, const struct plugin_flag *pf,
    const char *where, const char *key, const char *value, char *why,
    size_t whysz)
{
	char from[PATH_MAX + 96];
	int rc;

	if (*value == '\0')
		return 0;	/* as Px's empty keys: not set */
	snprintf(from, sizeof(from), "%s: %s", where, key);
	if ((ld->from = cfg_strndup(ld->cfg, from, strlen(from))) == NULL) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	rc = plugin_flag_set(ld, pf, value, why, whysz);
	ld->from = NULL;
	return rc;
}

static int
file_set(void *arg, const char *where, const char *section, const char *key,
    const char *value, int spaced, char *why, size_t whysz)
{
	struct loader *ld = arg;
	struct config *cfg = ld->cfg;
	const struct plugin_flag *pf;
	const struct option *o;
	enum config_xform xf;
	const char *flag, *v;
	char tmp[HOST_MAX * 2], name[64], from[PATH_MAX + 96];
	char *copy;
	size_t i;
	int rc;

	if ((flag = config_alias(section, key, spaced, &xf)) == NULL) {
		for (i = 0; key[i] != '\0' && i + 1 < sizeof(name); i++)
			name[i] = key[i] == '_' ? '-' :
			    (char)tolower((unsigned char)key[i]);
		name[i] = '\0';
		flag = name;
	}
	if (xf == XF_IGNORE)
		return 0;
	if ((o = option_find(flag, strlen(flag))) == NULL || file_forbidden(o)) {
		if (o == NULL && (pf = plugins_flag_find(flag, strlen(flag))) !=
		    NULL)
			return file_set_plugin(ld, pf, where, key, value, why,
			    whysz);
		snprintf(why, whysz, "unknown key (see proxy --help for the "
		    "names)");
		return -1;
	}
	/* Px's files leave keys empty to mean "not set" */
	if (*value == '\0')
		return 0;
	if ((v = config_xform_value(xf, value, tmp, sizeof(tmp))) == NULL)
		return 0;
	snprintf(from, sizeof(from), "%s: %s", where, key);
	if ((copy = cfg_strndup(cfg, v, strlen(v))) == NULL ||
	    (ld->from = cfg_strndup(cfg, from, strlen(from))) == NULL) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	if (xf == XF_ACL) {
		/* one ordered rule: '+' allows, '-' denies */
		snprintf(tmp, sizeof(tmp), "%c%s", o->off == OFF(deny_s) ? '-' :
		    '+', copy);
		copy = cfg_strndup(cfg, tmp, strlen(tmp));
		rc = copy == NULL ? value_error(why, whysz, v,
		    "ran out of memory") : list_add(ld, &cfg->acl_s, copy, why,
		    whysz);
	} else
		rc = option_set(ld, o, o->type == OPT_DEBUG &&
		    parse_bool(copy) == 0 ? NULL : copy, why, whysz);
	ld->from = NULL;
	if (rc == -1)
		return -1;
	if (o->off == OFF(password))
		cfg->password_in_file = 1;
	ld->from_file[o - options] = 1;
	return 0;
}

/* The --config value, looked for before the other flags are parsed. */
static const char *
config_path(int argc, char *argv[])
{
	const char *path = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--config=", 9) == 0)
			path = argv[i] + 9;
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			path = argv[++i];
	}
	return path;
}

static int
save_line(FILE *f, const char *name, const char *value)
{
	return fprintf(f, "%s = %s\n", name, value) < 0 ? -1 : 0;
}

static int
save_hash(FILE *f, const char *name, const unsigned char h[16])
{
	char hex[33];
	int i;

	for (i = 0; i < 16; i++)
		snprintf(hex + i * 2, 3, "%02X", h[i]);
	return save_line(f, name, hex);
}

/* A client login as user:{SHA256}, never its password. */
static int
save_user(FILE *f, const char *name, const char *line)
{
	struct client_user u;
	const char *why;
	char v[NTLM_NAME_MAX + 80];
	size_t n;
	int i;

	if (user_parse(&u, line, &why) == -1)
		return 0;
	n = (size_t)snprintf(v, sizeof(v), "%s:{SHA256}", u.name);
	for (i = 0; i < 32 && n + 3 <= sizeof(v); i++)
		n += (size_t)snprintf(v + n, sizeof(v) - n, "%02x", u.hash[i]);
	return save_line(f, name, v);
}

/* Secrets are written as the hashes they give, never as a password. */
static int
save_option(FILE *f, const struct config *cfg, const struct config *def,
    const struct option *o)
{
	const char *field = (const char *)cfg + o->off;
	const char *dfield = (const char *)def + o->off;
	char num[32];
	size_t i;

	if (file_forbidden(o) || o->off == OFF(password) ||
	    o->off == OFF(password_prompt) || o->off == OFF(pass_lm) ||
	    o->off == OFF(pass_nt) || o->off == OFF(pass_ntlmv2) ||
	    o->off == OFF(daemon) || o->off == OFF(pid_file) ||
	    o->type == OPT_DEBUG)
		return 0;
	switch (o->type) {
	case OPT_BOOL:
		return *(const int *)(const void *)field ?
		    save_line(f, o->name, "yes") : 0;
	case OPT_LONG:
		if (*(const long *)(const void *)field ==
		    *(const long *)(const void *)dfield)
			return 0;
		snprintf(num, sizeof(num), "%ld",
		    *(const long *)(const void *)field);
		return save_line(f, o->name, num);
	case OPT_STR: {
		const char *v = *(const char *const *)(const void *)field;
		const char *d = *(const char *const *)(const void *)dfield;

		return v == NULL || (d != NULL && strcmp(v, d) == 0) ? 0 :
		    save_line(f, o->name, v);
	}
	case OPT_LIST:
	case OPT_CSV: {
		const struct strlist *l = (const void *)field;

		for (i = 0; i < l->n; i++)
			if ((o->off == OFF(basic_auth) ||
			    o->off == OFF(socks5_auth) ?
			    save_user(f, o->name, l->v[i]) :
			    save_line(f, o->name, l->v[i])) == -1)
				return -1;
		return 0;
	}
	case OPT_LEVEL:
		return cfg->log_level == LOG_LEVEL_INFO ? 0 :
		    save_line(f, o->name, log_level_name(cfg->log_level));
	default:
		return 0;
	}
}

static int
save_all(FILE *f, const struct config *cfg)
{
	static struct config def;
	size_t i;

	config_defaults(&def);
	if (fprintf(f, "# proxy settings, written by proxy --save\n") < 0)
		return -1;
	for (i = 0; i < NOPTIONS; i++)
		if (save_option(f, cfg, &def, &options[i]) == -1)
			return -1;
	if (plugins_save(f, cfg) == -1)
		return -1;
	/* cntlm's ordered rules keep their own layout */
	for (i = 0; i < cfg->acl_s.n; i++)
		if (fprintf(f, "%s %s\n", cfg->acl_s.v[i][0] == '-' ? "Deny" :
		    "Allow", cfg->acl_s.v[i] + 1) < 0)
			return -1;
	if ((cfg->creds.have & NTLM_HAVE_LM && save_hash(f, "pass-lm",
	    cfg->creds.lm) == -1) || (cfg->creds.have & NTLM_HAVE_NT &&
	    save_hash(f, "pass-nt", cfg->creds.nt) == -1) ||
	    (cfg->creds.have & NTLM_HAVE_V2 && save_hash(f, "pass-ntlmv2",
	    cfg->creds.v2) == -1))
		return -1;
	return 0;
}

/* --save: a new file beside the old one, then rename(2), so a crash
 * leaves the old file or the new one, never half of either. */
int
options_save(const struct config *cfg, char *err, size_t errsz)
{
	char tmp[PATH_MAX];
	FILE *f;
	int fd;

	if (cfg->config_file == NULL) {
		snprintf(err, errsz, "--save needs --config F");
		return 2;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", cfg->config_file,
	    (long)getpid()) >= (int)sizeof(tmp) ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600))
	    == -1 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errsz, "--save: %s: %s", tmp, strerror(errno));
		return 1;
	}
	if (save_all(f, cfg) == -1 || fflush(f) == EOF || fsync(fd) == -1 ||
	    fclose(f) == EOF || rename(tmp, cfg->config_file) == -1) {
		snprintf(err, errsz, "--save: %s: %s", cfg->config_file,
		    strerror(errno));
		unlink(tmp);
		return 1;
	}
	printf("proxy: saved the settings to %s\n", cfg->config_file);
	return 0;
}

/* Defaults, then the --config file, then the flags; see proxy.h. */
struct config *
options_load(int argc, char *argv[], const struct config *prev, char *err,
    size_t errsz, int *status)
{
	struct loader ld;
	struct config *cfg;
	const char *path;
	int rc;

	*status = 2;
	if ((cfg = calloc(1, sizeof(*cfg))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	memset(&ld, 0, sizeof(ld));
	ld.cfg = cfg;
	ld.err = err;
	ld.errsz = errsz;
	config_defaults(cfg);
	cfg->reloading = prev != NULL;
	if ((path = config_path(argc, argv)) != NULL &&
	    config_read(path, file_set, &ld, err, errsz) == -1)
		goto fail;
	if ((rc = parse_args(&ld, argc, argv)) != 0) {
		if (rc == 1)
			*status = 0;
		goto fail;
	}
	if (prev == NULL)
		argv_hide_password(cfg, argc, argv);
	else if (password_keep(&ld, prev) == -1)
		goto fail;
	if (config_finish(&ld) == -1)
		goto fail;
	if (prev != NULL && cfg->creds.have == 0 &&
	    strcmp(cfg->creds.user, prev->creds.user) == 0)
		cfg->creds = prev->creds;
	if (prev != NULL && cfg->krb_pass[0] == '\0' &&
	    strcmp(cfg->krb_user, prev->krb_user) == 0)
		memcpy(cfg->krb_pass, prev->krb_pass, sizeof(cfg->krb_pass));
	cfg->config_file = absolute_path(cfg, cfg->config_file);
	cfg->pid_file = absolute_path(cfg, cfg->pid_file);
	cfg->log_file = absolute_path(cfg, cfg->log_file);
	return cfg;
fail:
	options_free(cfg);
	return NULL;
}

/* --pac-test URL: FindProxyForURL's answer, as pactester prints it. */
int
options_pac_test(const struct config *cfg, char *err, size_t errsz)
{
	char why[1024], from[PAC_URL_MAX], host[HOST_MAX], out[PAC_ANSWER_MAX];
	const char *u = cfg->pac_test, *h;
	struct pac *p;
	size_t len, n;
	char *src;

	if (cfg->pac == NULL) {
		snprintf(err, errsz, "--pac-test needs --pac");
		return 2;
	}
	if ((h = strstr(u, "://")) == NULL || (n = strcspn(h + 3, ":/?#")) == 0
	    || n >= sizeof(host)) {
		snprintf(err, errsz, "--pac-test: '%s' is not a URL", u);
		return 2;
	}
	memcpy(host, h + 3, n);
	host[n] = '\0';
	if (host[0] == '[') {		/* [v6]: the host without brackets */
		n = strcspn(h + 4, "]");
		memmove(host, h + 4, n);
		host[n] = '\0';
	}
	if ((src = dns_pac_fetch(cfg, &len, from, sizeof(from), why,
	    sizeof(why))) == NULL ||
	    (p = dns_pac_load(cfg, src, len, why, sizeof(why))) == NULL) {
		snprintf(err, errsz, "--pac: %s", why);
		free(src);
		return 1;
	}
	if (pac_find_proxy(p, u, host, out, sizeof(out), why,
	    sizeof(why)) == -1) {
		snprintf(err, errsz, "--pac-test: %s", why);
		pac_free(p);
		free(src);
		return 1;
	}
	printf("%s\n", out);
	pac_free(p);
	free(src);
	return 0;
}


/* ------------------------------------------------------------- minting */

/* --key-type, and the build: 0, or 2 with err. */
static int
gen_check(const struct config *cfg, const char *flag, int *rsa, char *err,
    size_t errsz)
{
	const char *t = cfg->key_type != NULL ? cfg->key_type : "ec";

	if (!tls_available()) {
		snprintf(err, errsz, "%s: built without TLS (rebuild with "
		    "BearSSL: Debian's libbearssl-dev)", flag);
		return 2;
	}
	if (strcmp(t, "ec") != 0 && strcmp(t, "rsa") != 0) {
		snprintf(err, errsz, "%s: '%s' is not ec or rsa", str_from(cfg,
		    OFF(key_type), "--key-type"), t);
		return 2;
	}
	*rsa = t[0] == 'r';
	return 0;
}

/* Refuses, before anything is made, to replace a file without --force. */
static int
gen_exists(const struct config *cfg, const char *flag, const char *path,
    char *err, size_t errsz)
{
	struct stat st;

	if (cfg->force || lstat(path, &st) == -1)
		return 0;
	snprintf(err, errsz, "%s: %s exists (--force replaces it)", flag,
	    path);
	return 1;
}

/* --gen-ca DIR: a CA key and certificate, and the key its leaves get. */
int
options_gen_ca(const struct config *cfg, char *err, size_t errsz)
{
	static const char *const names[3] = { "ca-key.pem", "ca-cert.pem",
	    "ca-signing-key.pem" };
	char path[3][PATH_MAX], why[PATH_MAX + 256], cn[X509_CN_MAX + 1];
	char host[HOST_MAX] = "";
	struct tls_key *key = NULL, *signing = NULL;
	unsigned char *der = NULL;
	struct stat st;
	size_t len, i;
	int rsa, rc;

	if ((rc = gen_check(cfg, "--gen-ca", &rsa, err, errsz)) != 0)
		return rc;
	if (stat(cfg->gen_ca, &st) == -1) {
		snprintf(err, errsz, "--gen-ca: %s: %s", cfg->gen_ca,
		    strerror(errno));
		return 2;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errsz, "--gen-ca: %s: not a directory",
		    cfg->gen_ca);
		return 2;
	}
	for (i = 0; i < 3; i++) {
		if (snprintf(path[i], sizeof(path[i]), "%s/%s", cfg->gen_ca,
		    names[i]) >= (int)sizeof(path[i])) {
			snprintf(err, errsz, "--gen-ca: %s: too long",
			    cfg->gen_ca);
			return 2;
		}
		if ((rc = gen_exists(cfg, "--gen-ca", path[i], err, errsz))
		    != 0)
			return rc;
	}
	(void)gethostname(host, sizeof(host) - 1);
	snprintf(cn, sizeof(cn), "proxy CA%s%s", host[0] ? " on " : "",
	    host);
	rc = 1;
	if ((key = tls_key_new(rsa, why, sizeof(why))) == NULL ||
	    (signing = tls_key_new(rsa, why, sizeof(why))) == NULL ||
	    tls_mint_ca(key, cn, (int64_t)time(NULL), &der, &len, why,
	    sizeof(why)) == -1)
		snprintf(err, errsz, "--gen-ca: %s", why);
	else if (tls_key_save(key, path[0], cfg->force, why,
	    sizeof(why)) == -1 || tls_cert_save(der, len, path[1],
	    cfg->force, why, sizeof(why)) == -1 || tls_key_save(signing,
	    path[2], cfg->force, why, sizeof(why)) == -1)
		snprintf(err, errsz, "--gen-ca: %s", why);
	else {
		for (i = 0; i < 3; i++)
			printf("proxy: wrote %s\n", path[i]);
		rc = 0;
	}
	free(der);
	tls_key_free(key);
	tls_key_free(signing);
	return rc;
}

/* --gen-cert HOST: a key and a leaf for HOST, signed by the CA if one is
 * given. */
int
options_gen_cert(const struct config *cfg, char *err, size_t errsz)
{
	const char *kpath = cfg->key_file ? cfg->key_file : "https-key.pem";
	const char *cpath = cfg->cert_file ? cfg->cert_file : "https-cert.pem";
	char why[PATH_MAX + 256];
	struct tls_ca *ca = NULL;
	struct tls_key *key = NULL;
	unsigned char *der = NULL, ip[16];
	size_t len;
	int rsa, rc, bad_key;

	if ((rc = gen_check(cfg, "--gen-cert", &rsa, err, errsz)) != 0)
		return rc;
	if (x509_host_kind(cfg->gen_cert, ip, &len) == -1) {
		snprintf(err, errsz, "--gen-cert: '%s' is not a host name (at "
		    "most %d letters, digits, '-', '_' and dots) nor an IP "
		    "address", cfg->gen_cert, X509_HOST_MAX);
		return 2;
	}
	if ((cfg->ca_cert_file == NULL) != (cfg->ca_key_file == NULL)) {
		snprintf(err, errsz, "%s: a CA needs both --ca-cert-file and "
		    "--ca-key-file", cfg->ca_cert_file ? "--ca-cert-file" :
		    "--ca-key-file");
		return 2;
	}
	if ((rc = gen_exists(cfg, "--gen-cert", kpath, err, errsz)) != 0 ||
	    (rc = gen_exists(cfg, "--gen-cert", cpath, err, errsz)) != 0)
		return rc;
	if (cfg->ca_cert_file != NULL && (ca = tls_ca_load(cfg->ca_cert_file,
	    cfg->ca_key_file, why, sizeof(why), &bad_key)) == NULL) {
		snprintf(err, errsz, "%s: %s", bad_key ? "--ca-key-file" :
		    "--ca-cert-file", why);
		return 2;
	}
	rc = 1;
	if ((key = tls_key_new(rsa, why, sizeof(why))) == NULL ||
	    tls_mint_leaf(ca, key, cfg->gen_cert, (int64_t)time(NULL), &der,
	    &len, why, sizeof(why)) == -1 ||
	    tls_key_save(key, kpath, cfg->force, why, sizeof(why)) == -1 ||
	    tls_cert_save(der, len, cpath, cfg->force, why, sizeof(why)) == -1)
		snprintf(err, errsz, "--gen-cert: %s", why);
	else {
		printf("proxy: wrote %s\nproxy: wrote %s (%s, %s)\n", kpath,
		    cpath, cfg->gen_cert, ca ? "signed by the CA" :
		    "self-signed");
		rc = 0;
	}
	free(der);
	tls_key_free(key);
	tls_ca_free(ca);
	return rc;
}
