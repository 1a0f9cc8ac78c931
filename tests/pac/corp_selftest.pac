// A self-testing file in the style of helper test suites: each check
// must hold, and the result names the first one that does not.
function check(name, cond) {
	if (!cond)
		throw "failed: " + name;
}

function FindProxyForURL(url, host) {
	try {
		check("plain", isPlainHostName("host1") && !isPlainHostName("host1.x"));
		check("domain", dnsDomainIs("www.manugarg.test", ".manugarg.test"));
		check("levels", dnsDomainLevels("a.b.c") == 2);
		check("lhodi", localHostOrDomainIs("host1", "host1.manugarg.test"));
		check("shexp", shExpMatch("http://x/test'o'rama", "*'o'*"));
		check("innet", isInNet("10.10.100.112", "10.10.0.0", "255.255.0.0"));
		check("resolve", dnsResolve("localhost") == "127.0.0.1");
		check("resolvable", !isResolvable("no.such.host.invalid"));
		check("quotes", url.indexOf("'") < 0 || url.indexOf("'o'") > 0);
		check("https", url.substring(0, 6) != "https:" || host != "fail.test");
	} catch (e) {
		return "PROXY " + e.substring(8) + ".fail:1";
	}
	if (url.indexOf("'") >= 0)
		return "PROXY URLHasQuotes:1";
	if (url.substring(0, 6) == "https:")
		return "PROXY secureUrl:1";
	if (isInNet(myIpAddress(), "10.10.0.0", "255.255.0.0"))
		return "PROXY 10.10.0.0:1";
	return "END-OF-SCRIPT";
}
