// switch (true) as a rule table
function FindProxyForURL(url, host) {
	var proxy;
	switch (true) {
		case isPlainHostName(host):
		case dnsDomainIs(host, ".corp.test"):
			proxy = "DIRECT";
			break;
		case shExpMatch(url, "https://*"):
			proxy = "PROXY secure.corp.test:443";
			break;
		case /^\d+(\.\d+){3}$/.test(host):
			proxy = isInNet(host, "10.0.0.0", "255.0.0.0") ?
			    "DIRECT" : "PROXY ip.corp.test:8080";
			break;
		default:
			proxy = "PROXY web.corp.test:8080";
	}
	return proxy;
}
