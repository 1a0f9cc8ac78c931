// Address ranges as 32-bit numbers, with the usual bit tricks.
function toNum(ip) {
	var o = ip.split(".");
	if (o.length != 4)
		return -1;
	return ((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | (o[3] << 0)) >>> 0;
}

function cidr(ip, base, bits) {
	var mask = bits == 0 ? 0 : (~0 << (32 - bits)) >>> 0;
	return ((toNum(ip) & mask) >>> 0) == ((toNum(base) & mask) >>> 0);
}

function FindProxyForURL(url, host) {
	var ip = dnsResolve(host);
	if (ip == null)
		return "PROXY unresolved.corp.test:8080";
	if (cidr(ip, "10.0.0.0", 8) || cidr(ip, "172.16.0.0", 12))
		return "DIRECT";
	if (cidr(ip, "192.0.2.0", 25))
		return "PROXY low.corp.test:8080";
	if (cidr(ip, "192.0.2.128", 25))
		return "PROXY high.corp.test:8080";
	return "PROXY " + (toNum(ip) % 7) + ".corp.test:8080";
}
