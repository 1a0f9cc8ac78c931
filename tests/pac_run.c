/*
 * pac_run: runs a PAC file against its .expect file, or prints one
 * result.
 *
 *	pac_run [-H hosts] [-t epoch] FILE.pac FILE.expect
 *	pac_run [-H hosts] [-t epoch] --print FILE.pac URL HOST [CLIENT_IP]
 *
 * Each .expect line is URL<TAB>HOST<TAB>CLIENT_IP<TAB>EXPECTED, where
 * CLIENT_IP is what myIpAddress() returns ("-": 127.0.0.1) and EXPECTED
 * is the exact string FindProxyForURL returns, or ERROR when the
 * evaluation must fail. '#' starts a comment line; "#time EPOCH" sets the
 * clock for the lines after it. The resolver answers from the hosts
 * table (default: "hosts" beside the PAC file; see tests/pac/README);
 * names not in it fail. The clock defaults to 1710498600
 * (Fri 2024-03-15 10:30:00) and the time zone is UTC.
 *
 * Prints "N passed, N failed" and exits non-zero on any failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "proxy.h"

#define DEFAULT_TIME	1710498600

struct host {
	char	name[256];
	char	addr[64];
};

static struct host *hosts;
static size_t nhosts;
static time_t clock_now = DEFAULT_TIME;

static time_t
fixed_now(void *arg)
{
	(void)arg;
	return clock_now;
}

static int
is_v4(const char *a)
{
	return strchr(a, ':') == NULL;
}

/* Family 0: the first IPv4 address listed; 1: all, in file order. */
static int
table_resolve(void *arg, const char *host, int any, char *out, size_t outsz)
{
	size_t i, n = 0, len;

	(void)arg;
	out[0] = '\0';
	for (i = 0; i < nhosts; i++) {
		if (strcasecmp(hosts[i].name, host) != 0)
			continue;
		if (!any) {
			if (!is_v4(hosts[i].addr))
				continue;
			if (strlen(hosts[i].addr) >= outsz)
				return -1;
			strcpy(out, hosts[i].addr);
			return 0;
		}
		len = strlen(hosts[i].addr);
		if (n + len + 2 > outsz)
			return -1;
		if (n > 0)
			out[n++] = ';';
		memcpy(out + n, hosts[i].addr, len + 1);
		n += len;
	}
	return n > 0 ? 0 : -1;
}

static void
print_alert(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "ALERT: %s\n", msg);
}

static int
load_hosts(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512], name[256], addr[64];

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' ||
		    sscanf(line, "%255s %63s", name, addr) != 2)
			continue;
		if ((nhosts & (nhosts - 1)) == 0 || nhosts == 0) {
			struct host *nh = realloc(hosts,
			    (nhosts ? nhosts * 2 : 16) * sizeof(*nh));

			if (nh == NULL) {
				fclose(f);
				return -1;
			}
			hosts = nh;
		}
		strcpy(hosts[nhosts].name, name);
		strcpy(hosts[nhosts].addr, addr);
		nhosts++;
	}
	fclose(f);
	return 0;
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL, *nb;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((nb = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		if ((r = fread(buf + n, 1, cap - n, f)) == 0)
			break;
		n += r;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void
default_hosts(const char *pacpath, char *out, size_t sz)
{
	const char *slash = strrchr(pacpath, '/');

	if (slash == NULL)
		snprintf(out, sz, "hosts");
	else
		snprintf(out, sz, "%.*s/hosts", (int)(slash - pacpath),
		    pacpath);
}

static struct pac *
load_pac(const char *path)
{
	struct pac_env env;
	struct pac *P;
	char err[256], *src;
	size_t len;

	if ((src = read_file(path, &len)) == NULL) {
		fprintf(stderr, "pac_run: cannot read %s\n", path);
		return NULL;
	}
	memset(&env, 0, sizeof(env));
	env.resolve = table_resolve;
	env.now = fixed_now;
	env.alert = print_alert;
	P = pac_load(src, len, &env, err, sizeof(err));
	free(src);
	if (P == NULL)
		fprintf(stderr, "pac_run: %s: %s\n", path, err);
	return P;
}

static int
eval_one(struct pac *P, const char *url, const char *host, const char *ip,
    char *out, size_t outsz)
{
	char err[256];

	pac_set_my_ip(P, ip == NULL || strcmp(ip, "-") == 0 ? "127.0.0.1" : ip,
	    NULL);
	if (pac_find_proxy(P, url, host, out, outsz, err, sizeof(err)) != 0) {
		snprintf(out, outsz, "ERROR (%s)", err);
		return -1;
	}
	return 0;
}

static int
run_expect(struct pac *P, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096], out[1024], *field[4], *p;
	int lineno = 0, passed = 0, failed = 0, i, r;

	if (f == NULL) {
		fprintf(stderr, "pac_run: cannot read %s\n", path);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "#time ", 6) == 0) {
			clock_now = (time_t)strtoll(line + 6, NULL, 10);
			continue;
		}
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (i = 0, p = line; i < 4; i++) {
			field[i] = p;
			if (i < 3) {
				if ((p = strchr(p, '\t')) == NULL)
					break;
				*p++ = '\0';
			}
		}
		if (i < 4) {
			fprintf(stderr, "%s:%d: need 4 tab-separated fields\n",
			    path, lineno);
			failed++;
			continue;
		}
		r = eval_one(P, field[0], field[1], field[2], out, sizeof(out));
		if (strcmp(field[3], "ERROR") == 0 ? r != 0 :
		    r == 0 && strcmp(out, field[3]) == 0)
			passed++;
		else {
			failed++;
			printf("FAIL %s:%d: %s %s -> \"%s\", want \"%s\"\n",
			    path, lineno, field[0], field[1], out, field[3]);
		}
	}
	fclose(f);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: pac_run [-H hosts] [-t epoch] FILE.pac "
	    "FILE.expect\n"
	    "       pac_run [-H hosts] [-t epoch] --print FILE.pac URL HOST "
	    "[CLIENT_IP]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct pac *P;
	const char *hostsfile = NULL;
	char hbuf[1024], out[1024];
	int print = 0, i = 1, r;

	setenv("TZ", "UTC0", 1);
	tzset();
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-H") == 0 && i + 1 < argc)
			hostsfile = argv[++i];
		else if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			clock_now = (time_t)strtoll(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--print") == 0)
			print = 1;
		else
			usage();
	}
	if (argc - i < 2 || (print && argc - i < 3) ||
	    (!print && argc - i != 2))
		usage();
	if (hostsfile == NULL) {
		default_hosts(argv[i], hbuf, sizeof(hbuf));
		hostsfile = hbuf;
	}
	if (load_hosts(hostsfile) != 0)
		fprintf(stderr, "pac_run: no hosts table %s: nothing "
		    "resolves\n", hostsfile);
	if ((P = load_pac(argv[i])) == NULL) {
		if (!print)
			printf("0 passed, 1 failed\n");
		return 1;
	}
	if (print) {
		r = eval_one(P, argv[i + 1], argv[i + 2],
		    argc - i > 3 ? argv[i + 3] : NULL, out, sizeof(out));
		printf("%s\n", out);
		pac_free(P);
		return r != 0;
	}
	r = run_expect(P, argv[i + 1]);
	pac_free(P);
	free(hosts);
	return r;
}
