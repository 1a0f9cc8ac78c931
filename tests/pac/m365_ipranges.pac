// Send traffic for Microsoft 365 IP ranges direct when the destination is
// given as an address, and for named endpoints when they resolve into them.
var ranges = [
	["198.51.100.0", "255.255.255.0"],
	["203.0.113.0", "255.255.255.128"],
	["192.0.2.64", "255.255.255.192"]
];

function inRanges(ip) {
	for (var i = 0; i < ranges.length; i++)
		if (isInNet(ip, ranges[i][0], ranges[i][1]))
			return true;
	return false;
}

function FindProxyForURL(url, host) {
	if (/^\d+\.\d+\.\d+\.\d+$/.test(host))
		return inRanges(host) ? "DIRECT" : "PROXY proxy.corp.test:8080";
	if (dnsDomainIs(host, ".outlook.test") || dnsDomainIs(host, ".cdn.test")) {
		var ip = dnsResolve(host);
		if (ip != null && inRanges(ip))
			return "DIRECT";
	}
	return "PROXY proxy.corp.test:8080";
}
