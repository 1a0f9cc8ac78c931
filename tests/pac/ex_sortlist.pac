// Picks a proxy by the best address a host has.
function FindProxyForURLEx(url, host) {
	var list = dnsResolveEx(host);
	if (list == "")
		return "DIRECT";
	var sorted = sortIpAddressList(list);
	if (sorted === false)
		return "PROXY broken.corp.test:8080";
	var first = sorted.split(";")[0];
	if (isInNetEx(first, "203.0.113.0/24"))
		return "PROXY cdn.corp.test:8080";
	if (isInNetEx(first, "2001:db8::/48"))
		return "PROXY v6.corp.test:8080";
	return "PROXY " + first.replace(/\./g, "-") + ".corp.test:8080";
}
