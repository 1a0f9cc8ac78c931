// Everything is used before it is defined.
var result = classify("git.corp.test");

function FindProxyForURL(url, host) {
	if (result != "internal")
		return "PROXY broken.corp.test:8080";
	var kind = classify(host);
	return proxyFor(kind);

	function proxyFor(k) {
		if (k == "internal")
			return "DIRECT";
		if (typeof later == "undefined" && typeof laterFn == "function")
			return "PROXY " + laterFn() + ".corp.test:8080";
		return "PROXY unexpected.corp.test:8080";
	}
}

function classify(h) {
	if (dnsDomainIs(h, ".corp.test"))
		return "internal";
	return "external";
}

function laterFn() { return "hoisted"; }
var later = "set at load";
