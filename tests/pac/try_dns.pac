// Defensive template: a failing helper must never break browsing.
function safeResolve(host) {
	try {
		return dnsResolve(host);
	} catch (e) {
		return null;
	}
}

function FindProxyForURL(url, host) {
	try {
		var ip = safeResolve(host);
		if (ip == null)
			throw new Error("unresolvable " + host);
		if (isInNet(ip, "10.0.0.0", "255.0.0.0"))
			return "DIRECT";
		return "PROXY proxy.corp.test:8080";
	} catch (err) {
		if (err.message.indexOf("unresolvable") == 0)
			return "PROXY proxy.corp.test:8080; DIRECT";
		return "DIRECT";
	}
}
