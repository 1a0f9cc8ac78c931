// Sloppy code: loop counters without var, globals created in functions.
proxies = new Array();
proxies[0] = "PROXY a.corp.test:8080";
proxies[1] = "PROXY b.corp.test:8080";

function pick(host) {
	total = 0;
	for (i = 0; i < host.length; i++)
		total += host.charCodeAt(i);
	chosen = proxies[total % 2];
	return chosen;
}

function FindProxyForURL(url, host) {
	var p = pick(host);
	if (typeof chosen != "string" || i != host.length)
		return "PROXY broken.corp.test:8080";
	return p;
}
