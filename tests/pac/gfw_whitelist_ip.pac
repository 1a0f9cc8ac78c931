// "Whitelist" mode: addresses inside the listed networks go direct,
// everything else through the proxy. Networks are [start, size] pairs
// of 32-bit numbers, sorted, searched by bisection.
var proxy = "SOCKS5 127.0.0.1:1080";
var nets = [
	[167772160, 16777216],		// 10.0.0.0/8
	[2886729728, 1048576],		// 172.16.0.0/12
	[3221225984, 256],		// 192.0.2.0/24
	[3232235520, 65536],		// 192.168.0.0/16
	[3325256704, 256]		// 198.51.100.0/24
];

function ip2num(ip) {
	var p = ip.split(".");
	return ((+p[0] << 24) >>> 0) + (+p[1] << 16) + (+p[2] << 8) + (+p[3]);
}

function inNets(n) {
	var lo = 0, hi = nets.length - 1;
	while (lo <= hi) {
		var mid = (lo + hi) >> 1;
		if (n < nets[mid][0])
			hi = mid - 1;
		else if (n >= nets[mid][0] + nets[mid][1])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

function FindProxyForURL(url, host) {
	var ip = /^\d+\.\d+\.\d+\.\d+$/.test(host) ? host : dnsResolve(host);
	if (!ip)
		return proxy;
	return inNets(ip2num(ip)) ? "DIRECT" : proxy;
}
