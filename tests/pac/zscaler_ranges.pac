// Zscaler GRE tunnel template, customised
function FindProxyForURL(url, host)
{
	/* Don't send non-FQDN or private IP auths to us */
	if (isPlainHostName(host) ||
	    isInNet(host, "10.0.0.0", "255.0.0.0") ||
	    isInNet(host, "172.16.0.0", "255.240.0.0") ||
	    isInNet(host, "192.168.0.0", "255.255.0.0") ||
	    isInNet(host, "127.0.0.0", "255.255.255.0"))
		return "DIRECT";

	/* Internal domains */
	var internal = new Array("corp.test", "lab.test", "outlook.test");
	for (var i = 0; i < internal.length; i++) {
		if (dnsDomainIs(host, "." + internal[i]) || host == internal[i])
			return "DIRECT";
	}

	/* Kerberos and update servers over the tunnel */
	if (shExpMatch(host, "kdc*.corp.test") ||
	    shExpMatch(url, "http://*.update.test/*"))
		return "DIRECT";

	return "PROXY 185.46.212.88:80; PROXY 185.46.212.89:80; DIRECT";
}
