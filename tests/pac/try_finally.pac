var log = [];

function classify(host) {
	try {
		if (host.indexOf("..") >= 0)
			throw "bad host";
		if (dnsDomainIs(host, ".corp.test"))
			return "internal";
		return "external";
	} finally {
		log.push(host);
	}
}

function FindProxyForURL(url, host) {
	var kind;
	try {
		kind = classify(host);
	} catch (e) {
		kind = "error:" + e;
	} finally {
		kind += "/" + log.length;
	}
	if (kind == "internal/1")
		return "DIRECT";
	if (kind == "external/1")
		return "PROXY proxy.corp.test:8080";
	return "PROXY quarantine.corp.test:8080";
}
