// Short names (one or two labels) are internal; everything else goes
// through the proxy unless it resolves into the office network.
function FindProxyForURL(url, host) {
	var levels = dnsDomainLevels(host);
	if (levels == 0)
		return "DIRECT";
	if (levels == 1 && !dnsDomainIs(host, ".test"))
		return "DIRECT";
	if (isResolvable(host)) {
		var ip = dnsResolve(host);
		if (isInNet(ip, "10.0.0.0", "255.0.0.0") ||
		    isInNet(ip, "172.16.0.0", "255.240.0.0"))
			return "DIRECT";
		return "PROXY proxy.corp.test:8080";
	}
	return "PROXY proxy.corp.test:8080; DIRECT";
}
