/*
 * config.c: address and host lists in Px's forms (--allow, --deny,
 * --noproxy). A leaf: parsing and matching over caller data.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static int
range_parse(struct netlist_entry *e, const char *item, char *err,
    size_t errsz)
{
	char a[INET6_ADDRSTRLEN + 8], *sep;
	int v4, v4b;
	long bits;

	if (strlen(item) >= sizeof(a) * 2 - 1) {
		snprintf(err, errsz, "'%s' is too long", item);
		return -1;
	}
	snprintf(a, sizeof(a), "%s", item);
	if ((sep = strchr(a, '/')) != NULL) {
		*sep++ = '\0';
		if (addr_parse(a, e->lo, &v4) == -1 ||
		    parse_long(sep, 0, v4 ? 32 : 128, &bits) == -1) {
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
		    addr_parse(b, e->hi, &v4b) == -1 || v4 != v4b ||
		    memcmp(e->lo, e->hi, 16) > 0) {
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
netlist_match_addr(const struct netlist *l, const struct sockaddr *sa)
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
		return 0;
	for (i = 0; i < l->n; i++)
		if (in_range(&l->v[i], a))
			return 1;
	return 0;
}

/* Case-insensitive glob: '*' any run (dots included), '?' one byte. */
static int
glob_match(const char *p, const char *s)
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
		if (e->is_host ? glob_match(e->host, host) :
		    literal && in_range(e, a))
			return 1;
	}
	return 0;
}
