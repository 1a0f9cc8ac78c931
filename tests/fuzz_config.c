/*
 * Fuzz target for the small parsers of config.c and util.c: list items
 * (--allow, --noproxy), config file lines, host:port, base64, and the
 * config value transforms. Each must refuse or accept, never read or
 * write out of bounds; matching must agree with what was accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

static struct netlist list;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[1024], section[64] = "", err[256], host[HOST_MAX], out[512];
	char *key, *value;
	enum config_xform xf;
	int spaced;
	uint16_t port;
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;

	memcpy(s, data, n);
	s[n] = '\0';

	netlist_free(&list);
	if (netlist_add_csv(&list, s, 1, err, sizeof(err)) == 0) {
		(void)netlist_match_host(&list, "www.example.test");
		(void)netlist_match_host(&list, "10.1.2.3");
		(void)netlist_match_host(&list, "::1");
	}
	if (parse_hostport(s, n, host, sizeof(host), &port, 80) == 0 &&
	    (strlen(host) >= sizeof(host) || port == 0))
		abort();
	(void)base64_decode(s, n, out, sizeof(out));
	if (config_parse_line(s, section, sizeof(section), &key, &value,
	    &spaced) == 0 && key != NULL) {
		(void)config_alias(section[0] ? section : NULL, key, spaced,
		    &xf);
		(void)config_xform_value(xf, value, out, sizeof(out));
		(void)config_xform_value(XF_SPACE_PORT, value, out, sizeof(out));
		(void)config_xform_value(XF_LISTEN, value, out, sizeof(out));
	}
	return 0;
}
