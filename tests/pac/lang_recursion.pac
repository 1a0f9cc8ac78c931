// Walks up the domain tree recursively.
var zones = { "corp.test": "DIRECT", "partner.test": "PROXY partner.corp.test:8080",
    "test": "PROXY test.corp.test:8080" };

function zoneOf(host) {
	if (zones.hasOwnProperty(host))
		return zones[host];
	var dot = host.indexOf(".");
	if (dot < 0)
		return null;
	return zoneOf(host.substring(dot + 1));
}

function depth(host) {
	return host.indexOf(".") < 0 ? 0 : 1 + depth(host.substring(host.indexOf(".") + 1));
}

function FindProxyForURL(url, host) {
	var z = zoneOf(host);
	if (z == null)
		return "PROXY depth" + depth(host) + ".corp.test:8080";
	return z;
}
