function FindProxyForURL(url, host)
{
	var lurl = url.toLowerCase();
	var scheme = lurl.substring(0, lurl.indexOf(":"));

	if (scheme == "http" || scheme == "https") {
		if (dnsDomainIs(host, ".corp.test"))
			return "DIRECT";
		if (scheme == "https")
			return "PROXY sslproxy.corp.test:443";
		return "PROXY webproxy.corp.test:80";
	}
	if (scheme == "ftp")
		return "PROXY ftpproxy.corp.test:21";
	if (scheme == "ws" || scheme == "wss")
		return "PROXY webproxy.corp.test:80; DIRECT";
	return "DIRECT";
}
