// Feature detection, as files meant for many browsers do it.
function hasEx() {
	return typeof dnsResolveEx == "function" && typeof isInNetEx == "function";
}

function FindProxyForURL(url, host) {
	var parts = [];
	parts.push(typeof host);
	parts.push(typeof nonexistentHelper);
	parts.push(typeof alert);
	parts.push(typeof {}.x);
	parts.push(typeof [] == "object" ? "array-is-object" : "?");
	parts.push(typeof null);
	parts.push(hasEx() ? "ex" : "noex");
	return "PROXY " + parts.join(".") + ":1";
}
