// Rewrites names into proxy names.
function FindProxyForURL(url, host) {
	var name = host.replace(/\.test$/, "").replace(/\./g, "-");
	var upper = name.replace(/(^|-)([a-z])/g, function (all, sep, ch) {
		return sep + ch.toUpperCase();
	});
	var swapped = "first.second".replace(/(\w+)\.(\w+)/, "$2.$1");
	var path = url.replace(/^[a-z]+:\/\/[^\/]+/, "");
	if (path.length > 1)
		return "PROXY " + upper + "." + swapped + ".corp.test:" + path.length;
	return "PROXY " + upper + ".corp.test:80";
}
