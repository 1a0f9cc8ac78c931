// IPv6-aware configuration using Microsoft's extensions. Browsers that
// know FindProxyForURLEx call it; the others get FindProxyForURL.
function FindProxyForURL(url, host) {
	return "PROXY legacy.corp.test:8080";
}

function FindProxyForURLEx(url, host) {
	var me = myIpAddressEx();
	if (isInNetEx(host, "2001:db8::/32") || isInNetEx(host, "10.0.0.0/8"))
		return "DIRECT";
	if (me.indexOf(":") >= 0 && isInNetEx(me.split(";")[0], "fd00::/8"))
		return "PROXY [fd00::8]:8080; DIRECT";
	if (isResolvableEx(host)) {
		var addrs = sortIpAddressList(dnsResolveEx(host));
		if (addrs.indexOf(":") >= 0)
			return "PROXY v6proxy.corp.test:8080";
		return "PROXY v4proxy.corp.test:8080";
	}
	return "PROXY v4proxy.corp.test:8080; DIRECT";
}
