/* Unit tests for config.c: address and host lists in Px's forms. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "proxy.h"
#include "check.h"

static struct netlist list;

static int
match(const char *addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1)
		s4->sin_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1)
		s6->sin6_family = AF_INET6;
	else
		return -1;
	return netlist_match_addr(&list, (struct sockaddr *)&ss);
}

static int
set(const char *csv, int hosts)
{
	char err[256];

	netlist_free(&list);
	return netlist_add_csv(&list, csv, hosts, err, sizeof(err));
}

static void
test_forms(void)
{
	CHECK_EQ(set("127.0.0.1", 0), 0);
	CHECK_EQ(match("127.0.0.1"), 1);
	CHECK_EQ(match("127.0.0.2"), 0);
	CHECK_EQ(match("::ffff:127.0.0.1"), 1);	/* v4 client on a v6 socket */

	CHECK_EQ(set("192.168.0.*", 0), 0);
	CHECK_EQ(match("192.168.0.0"), 1);
	CHECK_EQ(match("192.168.0.255"), 1);
	CHECK_EQ(match("192.168.1.1"), 0);

	CHECK_EQ(set("10.0.*.*", 0), 0);
	CHECK_EQ(match("10.0.200.3"), 1);
	CHECK_EQ(match("10.1.0.0"), 0);

	CHECK_EQ(set("192.168.0.1-192.168.0.20", 0), 0);
	CHECK_EQ(match("192.168.0.1"), 1);
	CHECK_EQ(match("192.168.0.20"), 1);
	CHECK_EQ(match("192.168.0.21"), 0);
	CHECK_EQ(match("192.168.0.0"), 0);

	CHECK_EQ(set("172.16.0.0/12", 0), 0);
	CHECK_EQ(match("172.31.255.255"), 1);
	CHECK_EQ(match("172.32.0.0"), 0);
	CHECK_EQ(set("0.0.0.0/0", 0), 0);
	CHECK_EQ(match("8.8.8.8"), 1);
	CHECK_EQ(match("::1"), 0);

	CHECK_EQ(set("::1, fe80::/10", 0), 0);
	CHECK_EQ(match("::1"), 1);
	CHECK_EQ(match("fe80::1"), 1);
	CHECK_EQ(match("febf:ffff::1"), 1);
	CHECK_EQ(match("fec0::1"), 0);
	CHECK_EQ(match("127.0.0.1"), 0);

	CHECK_EQ(set("2001:db8::1-2001:db8::ff", 0), 0);
	CHECK_EQ(match("2001:db8::80"), 1);
	CHECK_EQ(match("2001:db8::100"), 0);

	CHECK_EQ(set("*", 0), 0);
	CHECK_EQ(match("1.2.3.4"), 1);
	CHECK_EQ(match("2001:db8::1"), 1);

	/* cntlm's forms: short networks and dotted masks */
	CHECK_EQ(set("0/0", 0), 0);
	CHECK_EQ(match("192.0.2.1"), 1);
	CHECK_EQ(set("10/8", 0), 0);
	CHECK_EQ(match("10.200.1.1"), 1);
	CHECK_EQ(match("11.0.0.1"), 0);
	CHECK_EQ(set("192.168.1.0/255.255.255.0", 0), 0);
	CHECK_EQ(match("192.168.1.77"), 1);
	CHECK_EQ(match("192.168.2.1"), 0);
	CHECK_EQ(set("10.0.0.0/255.0.255.0", 0), -1);	/* not contiguous */

	CHECK_EQ(set("127.0.0.2;127.0.0.3 127.0.0.4", 0), 0);
	CHECK_EQ(list.n, 3);
	CHECK_EQ(match("127.0.0.4"), 1);
}

static void
test_bad(void)
{
	CHECK_EQ(set("300.1.1.1", 0), -1);
	CHECK_EQ(set("10.0.0.0/33", 0), -1);
	CHECK_EQ(set("::/129", 0), -1);
	CHECK_EQ(set("10.0.0.9-10.0.0.1", 0), -1);
	CHECK_EQ(set("10.0.0.1-::1", 0), -1);
	CHECK_EQ(set("1.2.*", 0), -1);
	CHECK_EQ(set("example.com", 0), -1);	/* no hosts in --allow */
	CHECK_EQ(set("bad host!", 1), -1);
}

static void
test_hosts(void)
{
	CHECK_EQ(set("*.corp, intranet, 10.0.0.0/8, host?.lan", 1), 0);
	CHECK_EQ(netlist_match_host(&list, "www.corp"), 1);
	CHECK_EQ(netlist_match_host(&list, "a.b.CORP"), 1);
	CHECK_EQ(netlist_match_host(&list, "corp.example"), 0);
	CHECK_EQ(netlist_match_host(&list, "intranet"), 1);
	CHECK_EQ(netlist_match_host(&list, "intranet.example"), 0);
	CHECK_EQ(netlist_match_host(&list, "10.1.2.3"), 1);
	CHECK_EQ(netlist_match_host(&list, "11.1.2.3"), 0);
	CHECK_EQ(netlist_match_host(&list, "host1.lan"), 1);
	CHECK_EQ(netlist_match_host(&list, "host12.lan"), 0);
	/* a name with a dash is a name, not a range */
	CHECK_EQ(set("intranet-server, my-host.corp", 1), 0);
	CHECK_EQ(netlist_match_host(&list, "intranet-server"), 1);
	CHECK_EQ(netlist_match_host(&list, "MY-HOST.corp"), 1);
	CHECK_EQ(set("intranet-server", 0), -1);	/* no hosts in --allow */
	CHECK_EQ(set("*", 1), 0);
	CHECK_EQ(netlist_match_host(&list, "anything.example"), 1);
}

int
main(void)
{
	test_forms();
	test_bad();
	test_hosts();
	return check_done("unit_config");
}
