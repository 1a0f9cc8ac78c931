function FindProxyForURL(url, host) {
	var https = url.substring(0, 6) == "https:";
	return isPlainHostName(host) ? "DIRECT"
	    : dnsDomainIs(host, ".corp.test") ? (https ? "DIRECT" : "PROXY internal.corp.test:8080")
	    : shExpMatch(host, "*.partner.test") ? "PROXY partner.corp.test:8080"
	    : https ? "PROXY ssl.corp.test:8443"
	    : "PROXY web.corp.test:8080";
}
