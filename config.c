/*
 * config.c: address and host lists in Px's forms (--allow, --deny,
 * --noproxy), and the reader of config files in Px's px.ini and cntlm's
 * cntlm.conf layouts. Parsing and matching only: what a key means is the
 * flag table's business in options.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <unistd.h>

#include "proxy.h"

/* An IPv4 address is kept as IPv4-mapped IPv6, so one comparison serves
 * both families and a v4 client on a v6 socket matches v4 entries. */
static void
map_v4(unsigned char out[16], const unsigned char v4[4])
{
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, v4, 4);
}

static int
addr_parse(const char *s, unsigned char out[16], int *v4)
{
	unsigned char a[16];

	if (inet_pton(AF_INET, s, a) == 1) {
		map_v4(out, a);
		*v4 = 1;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*v4 = 0;
		return 0;
	}
	return -1;
}

/* Sets the low (128 - bits) bits of lo to 0 and of hi to 1. */
static void
prefix_range(unsigned char lo[16], unsigned char hi[16], int bits)
{
	int i;

	memcpy(hi, lo, 16);
	for (i = 0; i < 16; i++) {
		int keep = bits - i * 8;
		unsigned char mask = keep >= 8 ? 0xff : keep <= 0 ? 0 :
		    (unsigned char)(0xff << (8 - keep));

		lo[i] &= mask;
		hi[i] |= (unsigned char)~mask;
	}
}

/* "10.0.*.*" and "192.168.0.*": each * is a whole octet. */
static int
wild_v4(const char *s, unsigned char lo[16], unsigned char hi[16])
{
	unsigned char a[4], b[4];
	const char *p = s;
	int i;

	for (i = 0; i < 4; i++) {
		if (*p == '*') {
			a[i] = 0;
			b[i] = 255;
			p++;
		} else {
			long v = 0;
			int digits = 0;

			while (isdigit((unsigned char)*p) && digits < 4) {
				v = v * 10 + (*p++ - '0');
				digits++;
			}
			if (digits == 0 || digits > 3 || v > 255)
				return -1;
			a[i] = b[i] = (unsigned char)v;
		}
		if (i < 3 && *p++ != '.')
			return -1;
	}
	if (*p != '\0')
		return -1;
	map_v4(lo, a);
	map_v4(hi, b);
	return 0;
}

/* Host patterns: letters, digits, '-', '.', '_' and the wildcards '*'
 * and '?'. */
static int
host_pattern_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("-._*?", *s) == NULL)
			return 0;
	return 1;
}

/* cntlm writes "0/0" and "10/8": an IPv4 network with its trailing
 * zero octets left out. */
static void
v4_pad(char *a, size_t size)
{
	size_t dots = 0, n = strlen(a);
	const char *p;

	if (strchr(a, ':') != NULL || n == 0 ||
	    strspn(a, "0123456789.") != n)
		return;
	for (p = a; *p != '\0'; p++)
		dots += *p == '.';
	while (dots++ < 3 && n + 2 < size) {
		memcpy(a + n, ".0", 3);
		n += 2;
	}
}

/* A dotted IPv4 netmask ("255.255.255.0") as a prefix length, or -1. */
static long
mask_bits(const char *m)
{
	unsigned char b[4];
	uint32_t v;
	long bits = 0;

	if (strchr(m, '.') == NULL || inet_pton(AF_INET, m, b) != 1)
		return -1;
	v = be32dec(b);
	while (v & 0x80000000u) {
		bits++;
		v <<= 1;
	}
	return v == 0 ? bits : -1;	/* the ones must come first */
}

static int
range_parse(struct netlist_entry *e, const char *item, char *err,
    size_t errsz)
{
	char a[INET6_ADDRSTRLEN + 8], *sep;
	int v4, v4b;
	long bits;

	if (strlen(item) >= sizeof(a))
		return 1;	/* too long for an address form */
	memcpy(a, item, strlen(item) + 1);
	if ((sep = strchr(a, '/')) != NULL) {
		char m[INET6_ADDRSTRLEN + 8];

		*sep++ = '\0';
		memcpy(m, sep, strlen(sep) + 1);	/* padding a grows it */
		v4_pad(a, sizeof(a));
		if (addr_parse(a, e->lo, &v4) == -1 ||
		    ((bits = mask_bits(m)) < 0 &&
		    parse_long(m, 0, v4 ? 32 : 128, &bits) == -1) ||
		    (!v4 && strchr(m, '.') != NULL)) {
			snprintf(err, errsz, "'%s' is not an address/prefix",
			    item);
			return -1;
		}
		prefix_range(e->lo, e->hi, (int)bits + (v4 ? 96 : 0));
		return 0;
	}
	if ((sep = strchr(a, '-')) != NULL && strchr(item, '*') == NULL) {
		char b[INET6_ADDRSTRLEN + 8];

		*sep++ = '\0';
		snprintf(b, sizeof(b), "%s", sep);
		if (addr_parse(a, e->lo, &v4) == -1 ||
		    addr_parse(b, e->hi, &v4b) == -1)
			return 1;	/* a host name with a dash */
		if (v4 != v4b || memcmp(e->lo, e->hi, 16) > 0) {
			snprintf(err, errsz, "'%s' is not an address range",
			    item);
			return -1;
		}
		return 0;
	}
	if (addr_parse(a, e->lo, &v4) == 0) {
		memcpy(e->hi, e->lo, 16);
		return 0;
	}
	if (strchr(a, '*') != NULL && wild_v4(a, e->lo, e->hi) == 0)
		return 0;
	return 1;	/* not an address form */
}

int
netlist_add(struct netlist *l, const char *item, int hosts, char *err,
    size_t errsz)
{
	struct netlist_entry *e;
	int r;

	if (l->n == MAX_LIST_ITEMS) {
		snprintf(err, errsz, "more than %d entries", MAX_LIST_ITEMS);
		return -1;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;

		if (cap > MAX_LIST_ITEMS)
			cap = MAX_LIST_ITEMS;
		if ((e = realloc(l->v, cap * sizeof(*e))) == NULL) {
			snprintf(err, errsz, "out of memory");
			return -1;
		}
		l->v = e;
		l->cap = cap;
	}
	e = &l->v[l->n];
	memset(e, 0, sizeof(*e));
	if (strcmp(item, "*") == 0) {
		memset(e->lo, 0, 16);
		memset(e->hi, 0xff, 16);
		e->any = 1;
		l->n++;
		return 0;
	}
	if ((r = range_parse(e, item, err, errsz)) == -1)
		return -1;
	if (r == 0) {
		l->n++;
		return 0;
	}
	if (!hosts || !host_pattern_ok(item) ||
	    strlen(item) >= sizeof(e->host)) {
		snprintf(err, errsz, "'%s' is not an address, range, CIDR "
		    "block or wildcard%s", item, hosts ? " or host pattern" : "");
		return -1;
	}
	e->is_host = 1;
	snprintf(e->host, sizeof(e->host), "%s", item);
	l->n++;
	return 0;
}

void
netlist_free(struct netlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int
netlist_add_csv(struct netlist *l, const char *csv, int hosts, char *err,
    size_t errsz)
{
	char item[HOST_MAX];
	const char *p = csv, *end;
	size_t n;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',' || *p == ';')
			p++;
		if (*p == '\0')
			return 0;
		end = p + strcspn(p, ",; \t");
		n = (size_t)(end - p);
		if (n >= sizeof(item)) {
			snprintf(err, errsz, "an entry is too long");
			return -1;
		}
		memcpy(item, p, n);
		item[n] = '\0';
		if (netlist_add(l, item, hosts, err, errsz) == -1)
			return -1;
		p = end;
	}
}

static int
in_range(const struct netlist_entry *e, const unsigned char a[16])
{
	return !e->is_host && memcmp(a, e->lo, 16) >= 0 &&
	    memcmp(a, e->hi, 16) <= 0;
}

int
netlist_find_addr(const struct netlist *l, const struct sockaddr *sa)
{
	unsigned char a[16];
	size_t i;

	if (sa->sa_family == AF_INET)
		map_v4(a, (const unsigned char *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr);
	else if (sa->sa_family == AF_INET6)
		memcpy(a, &((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr, 16);
	else
		return -1;
	for (i = 0; i < l->n; i++)
		if (in_range(&l->v[i], a))
			return (int)i;
	return -1;
}

int
netlist_match_addr(const struct netlist *l, const struct sockaddr *sa)
{
	return netlist_find_addr(l, sa) >= 0;
}

/* Case-insensitive glob: '*' any run (dots included), '?' one byte. */
int
config_glob_match(const char *p, const char *s)
{
	const char *star = NULL, *retry = NULL;

	while (*s != '\0') {
		if (*p == '*') {
			star = ++p;
			retry = s;
		} else if (*p == '?' ||
		    tolower((unsigned char)*p) == tolower((unsigned char)*s)) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star;
			s = ++retry;
		} else
			return 0;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

int
netlist_match_host(const struct netlist *l, const char *host)
{
	unsigned char a[16];
	size_t i;
	int v4, literal = addr_parse(host, a, &v4) == 0;

	for (i = 0; i < l->n; i++) {
		const struct netlist_entry *e = &l->v[i];

		if (e->any)
			return 1;
		if (e->is_host ? config_glob_match(e->host, host) :
		    literal && in_range(e, a))
			return 1;
	}
	return 0;
}

/* ------------------------------------------------------- config files */

/*
 * Keys of px.ini and cntlm.conf that are not our flag names, and what they
 * become. Every long flag is a key as well; those need no entry.
 */
static const struct config_alias {
	const char	*section;	/* px.ini section, or NULL: any */
	const char	*key;
	const char	*flag;
	enum config_xform xform;
	int		 cntlm;		/* only for cntlm's "Key value" lines */
} aliases[] = {
	/* px.ini */
	{ "proxy", "server", "proxy", XF_NONE, 0 },
	{ "proxy", "listen", "hostname", XF_NONE, 0 },
	{ "settings", "workers", "num-workers", XF_NONE, 0 },
	/* Px runs in the foreground on POSIX whatever this says */
	{ "settings", "foreground", NULL, XF_IGNORE, 0 },
	{ "settings", "log", "log-level", XF_PX_LOG, 0 },
	{ "settings", "threads", NULL, XF_IGNORE, 0 },
	/* cntlm.conf */
	{ NULL, "proxy", "proxy", XF_SPACE_PORT, 0 },
	{ NULL, "listen", "hostname", XF_LISTEN, 0 },
	{ NULL, "header", "add-header", XF_NONE, 0 },
	{ NULL, "passlm", "pass-lm", XF_NONE, 0 },
	{ NULL, "passnt", "pass-nt", XF_NONE, 0 },
	{ NULL, "passntlmv2", "pass-ntlmv2", XF_NONE, 0 },
	{ NULL, "ntlmtobasic", "ntlm-to-basic", XF_NONE, 0 },
	/* cntlm's -O [ADDR:]PORT and -R USER:PASS (its code reads
	   SOCKS5Users, its manual says SOCKS5User: both are read) */
	{ NULL, "socks5proxy", "socks5-listen", XF_NONE, 0 },
	{ NULL, "socks5users", "socks5-auth", XF_NONE, 0 },
	{ NULL, "socks5user", "socks5-auth", XF_NONE, 0 },
	/* cntlm's rules apply in order, the first match deciding */
	{ NULL, "allow", "allow", XF_ACL, 1 },
	{ NULL, "deny", "deny", XF_ACL, 1 },
};

static void
key_normalize(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < size; i++)
		out[i] = in[i] == '_' ? '-' : (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

const char *
config_alias(const char *section, const char *key, int spaced,
    enum config_xform *xf)
{
	char k[64];
	size_t i;

	key_normalize(key, k, sizeof(k));
	for (i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
		const struct config_alias *a = &aliases[i];

		if (strcmp(a->key, k) != 0)
			continue;
		if (a->section != NULL && (section == NULL ||
		    strcmp(a->section, section) != 0))
			continue;
		if (a->cntlm && (!spaced || section != NULL))
			continue;
		*xf = a->xform;
		return a->flag;
	}
	*xf = XF_NONE;
	return NULL;
}

/* Applies a transform; out is a value for the flag, or NULL to drop. */
const char *
config_xform_value(enum config_xform xf, const char *v, char *out,
    size_t size)
{
	switch (xf) {
	case XF_NONE:
	case XF_ACL:
		return v;
	case XF_IGNORE:
		return NULL;
	case XF_NEGATE:
		snprintf(out, size, "%s", strcmp(v, "0") == 0 ||
		    strcasecmp(v, "no") == 0 || strcasecmp(v, "false") == 0 ?
		    "yes" : "no");
		return out;
	case XF_PX_LOG:	/* Px: 0 is quiet, 1-4 say where debug goes */
		return strcmp(v, "0") == 0 ? "info" : "debug";
	case XF_SPACE_PORT: {	/* cntlm allows "host port" */
		size_t n = strcspn(v, " \t");

		if (v[n] == '\0' || n + 1 >= size)
			return v;
		snprintf(out, size, "%.*s:%s", (int)n, v,
		    v + n + strspn(v + n, " \t"));
		return out;
	}
	case XF_LISTEN:		/* cntlm's "Listen 3128" is a port */
		if (strspn(v, "0123456789") == strlen(v)) {
			snprintf(out, size, "127.0.0.1:%s", v);
			return out;
		}
		return v;
	}
	return v;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

int
config_parse_line(char *line, char *section, size_t secsz, char **key,
    char **value, int *spaced)
{
	char *p = trim(line), *k;

	*key = NULL;
	if (*p == '\0' || *p == '#' || *p == ';')
		return 0;
	if (*p == '[') {
		char *end = strchr(p, ']');

		if (end == NULL || end[1] != '\0')
			return -1;
		*end = '\0';
		key_normalize(trim(p + 1), section, secsz);
		return 0;
	}
	k = p;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == '-')
		p++;
	if (p == k)
		return -1;
	if (*p != '\0' && *p != '=' && *p != ':' && *p != ' ' && *p != '\t')
		return -1;
	*spaced = 0;
	if (*p == '=' || *p == ':') {
		*p++ = '\0';
	} else if (*p != '\0') {
		*p++ = '\0';
		p = trim(p);
		if (*p == '=' || *p == ':')
			p++;
		else
			*spaced = 1;
	}
	p = trim(p);
	if (p[0] == '"' && strlen(p) >= 2 && p[strlen(p) - 1] == '"') {
		p[strlen(p) - 1] = '\0';
		p++;
	}
	*key = k;
	*value = p;
	return 0;
}

int
config_read(const char *path, config_set_fn set, void *arg, char *err,
    size_t errsz)
{
	char line[4096], section[64] = "", why[256], *key, *value;
	char where[PATH_MAX + 16];
	FILE *f;
	int lineno = 0, rc = 0, spaced;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		snprintf(where, sizeof(where), "%s:%d", path, ++lineno);
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errsz, "%s:%d: line too long", path,
			    lineno);
			rc = -1;
		} else if (config_parse_line(line, section, sizeof(section),
		    &key, &value, &spaced) == -1) {
			snprintf(err, errsz, "%s:%d: not 'key = value', "
			    "'Key value' or '[section]'", path, lineno);
			rc = -1;
		} else if (key != NULL && set(arg, where, section[0] ?
		    section : NULL, key, value, spaced, why, sizeof(why)) == -1) {
			snprintf(err, errsz, "%s:%d: %s: %s", path, lineno, key,
			    why);
			rc = -1;
		}
	}
	fclose(f);
	return rc;
}

/* Reads a whole file, bounded; NULL with errno set on failure. */
char *
config_slurp(const char *path, size_t max, size_t *len)
{
	char *data = NULL, *p;
	size_t cap = 0, n = 0;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap ? cap * 2 : 8192;
			if ((p = realloc(data, cap + 1)) == NULL)
				goto fail;
			data = p;
		}
		if ((r = read(fd, data + n, cap - n)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	fd_close(&fd);
	data[n] = '\0';
	*len = n;
	return data;
fail:
	fd_close(&fd);
	free(data);
	return NULL;
}

int
user_check(const struct client_user *v, size_t n, const char *user,
    const char *pass)
{
	unsigned char hash[32];
	size_t i;
	int ok = 0;

	sha256(pass, strlen(pass), hash);
	for (i = 0; i < n; i++)
		ok |= (strcmp(v[i].name, user) == 0) &
		    ct_equal(v[i].hash, hash, 32);
	ntlm_wipe(hash, sizeof(hash));
	return ok;
}
