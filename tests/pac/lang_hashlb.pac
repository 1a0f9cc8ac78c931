// Spreads hosts over proxies by a hash of the host name, so that one
// host always uses the same proxy (cookies, sessions).
var proxies = ["PROXY p0.corp.test:8080", "PROXY p1.corp.test:8080",
    "PROXY p2.corp.test:8080"];

function hash(s) {
	var h = 0;
	for (var i = 0; i < s.length; i++) {
		h = ((h << 5) - h) + s.charCodeAt(i);
		h = h & h;	// to 32 bits
	}
	return Math.abs(h);
}

function FindProxyForURL(url, host) {
	if (isPlainHostName(host))
		return "DIRECT";
	var n = hash(host.toLowerCase()) % proxies.length;
	return proxies[n] + "; " + proxies[(n + 1) % proxies.length];
}
