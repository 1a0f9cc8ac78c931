function FindProxyForURL(url, host) {
	var h = host.toLowerCase();
	var first = h.substring(0, h.indexOf("."));
	var tld = h.slice(h.lastIndexOf(".") + 1);
	var second = h.substr(h.indexOf(".") + 1, 4);

	if (h.charAt(0) == "-" || h.length > 60)
		return "PROXY weird.corp.test:8080";
	if (first == "www" && tld == "test")
		return "PROXY www-" + second + ".corp.test:8080";
	if (h.indexOf("corp") != -1 && h.lastIndexOf("corp") == h.indexOf("corp"))
		return "DIRECT";
	if (h.split(".").length - 1 != dnsDomainLevels(h))
		return "PROXY broken.corp.test:8080";
	return "PROXY " + tld.toUpperCase() + "-" + first.length + ".corp.test:8080";
}
