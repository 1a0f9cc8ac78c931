/*
 * Proxy auto-config in the style of the original Netscape examples:
 * local hosts direct, a few servers through a special proxy, by
 * protocol otherwise.
 */
function FindProxyForURL(url, host)
{
	if (isPlainHostName(host) ||
	    localHostOrDomainIs(host, "www.netscape.test") ||
	    localHostOrDomainIs(host, "home.netscape.test"))
		return "DIRECT";
	else if (dnsDomainIs(host, ".netscape.test") &&
	    !localHostOrDomainIs(host, "www.netscape.test") &&
	    !localHostOrDomainIs(host, "merchant.netscape.test"))
		return "PROXY w3proxy.netscape.test:8080";
	else if (url.substring(0, 5) == "http:")
		return "PROXY http-proxy.mydomain.test:8080";
	else if (url.substring(0, 4) == "ftp:")
		return "PROXY ftp-proxy.mydomain.test:8080";
	else if (url.substring(0, 7) == "gopher:")
		return "PROXY gopher-proxy.mydomain.test:8080";
	else if (url.substring(0, 6) == "https:" ||
	    url.substring(0, 6) == "snews:")
		return "PROXY security-proxy.mydomain.test:8080";
	else
		return "DIRECT";
}
