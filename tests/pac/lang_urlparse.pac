// Decides by the parts of the URL.
function parseUrl(url) {
	var m = url.match(/^([a-z][a-z0-9+.-]*):\/\/(?:([^@\/]*)@)?(\[[^\]]+\]|[^:\/?#]*)(?::(\d+))?([^?#]*)(\?[^#]*)?/i);
	if (!m)
		return null;
	return {
		scheme: m[1].toLowerCase(),
		user: m[2] || "",
		host: m[3],
		port: m[4] ? parseInt(m[4], 10) : (m[1].toLowerCase() == "https" ? 443 : 80),
		path: m[5] || "/",
		query: m[6] || ""
	};
}

function FindProxyForURL(url, host) {
	var u = parseUrl(url);
	if (u === null)
		return "DIRECT";
	if (u.port != 80 && u.port != 443)
		return "PROXY odd-ports.corp.test:8080";
	if (u.user != "")
		return "PROXY auth.corp.test:8080";
	if (u.path.indexOf("/api/") == 0 && u.query.indexOf("debug=1") >= 0)
		return "PROXY debug.corp.test:8080";
	if (u.path.split("/").length > 4)
		return "PROXY deep.corp.test:8080";
	return "PROXY " + u.scheme + ".corp.test:" + u.port;
}
