function FindProxyForURL(url, host) {
	url = url.toLowerCase();
	host = host.toLowerCase();
	var resolved_ip = dnsResolve(host);
	var proxy_zen = "PROXY zen.zscaler.test:80; PROXY zen2.zscaler.test:80; DIRECT";

	if (resolved_ip == null)
		return "DIRECT";
	if (shExpMatch(resolved_ip, "198.51.100.*"))
		return "DIRECT";
	if (isInNet(resolved_ip, "203.0.113.0", "255.255.255.0") &&
	    shExpMatch(url, "*.mp4*"))
		return "DIRECT";
	if (shExpMatch(url, "*/zscaler-bypass/*"))
		return "DIRECT";
	return proxy_zen;
}
