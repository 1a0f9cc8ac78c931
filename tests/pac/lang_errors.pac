// A file with bugs that only some requests reach: those evaluations fail
// and the caller falls back, the others work.
var table = { "news.test": "PROXY news.corp.test:8080" };

function FindProxyForURL(url, host) {
	if (host == "undefined-call.test")
		return notDefinedAnywhere(host);
	if (host == "null-prop.test")
		return table.missing.proxy;
	if (host == "number.test")
		return 8080;
	if (host == "nothing.test")
		return;
	if (host == "throws.test")
		throw "explicit failure";
	if (host == "loop.test")
		while (true) {}
	if (host == "recurse.test")
		return FindProxyForURL(url, host);
	if (host == "bad-regex.test")
		return new RegExp("(unclosed").test(host) ? "x" : "y";
	return table[host] || "DIRECT";
}
