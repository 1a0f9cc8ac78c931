// Site-dependent proxy selection: the client's own address decides
// which office proxy to use. Generated from the IPAM export.
var sites = [
	["10.10.0.0",  "255.255.0.0",   "PROXY proxy-ber.corp.test:8080"],
	["10.20.0.0",  "255.255.0.0",   "PROXY proxy-lon.corp.test:8080"],
	["10.30.0.0",  "255.254.0.0",   "PROXY proxy-nyc.corp.test:8080"],
	["192.168.0.0","255.255.0.0",   "DIRECT"]
];

function siteProxy() {
	var me = myIpAddress();
	for (var i = 0; i < sites.length; i++) {
		if (isInNet(me, sites[i][0], sites[i][1]))
			return sites[i][2];
	}
	return "PROXY proxy-default.corp.test:8080";
}

function FindProxyForURL(url, host) {
	if (dnsDomainIs(host, ".corp.test") || isPlainHostName(host))
		return "DIRECT";
	var p = siteProxy();
	if (p == "DIRECT")
		return p;
	return p + "; PROXY proxy-default.corp.test:8080";
}
