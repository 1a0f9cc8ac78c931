// Chooses by the client's own addresses (myIpAddressEx lists them all).
function FindProxyForURLEx(url, host) {
	var mine = myIpAddressEx().split(";");
	for (var i = 0; i < mine.length; i++) {
		if (isInNetEx(mine[i], "2001:db8:100::/40"))
			return "PROXY [2001:db8:100::8]:3128";
		if (isInNetEx(mine[i], "10.10.0.0/16"))
			return "PROXY 10.10.0.8:3128";
	}
	return "DIRECT";
}
