// Old-browser polyfills, as large generated PAC files carry them.
if (!Array.prototype.indexOf) {
	Array.prototype.indexOf = function (x) {
		for (var i = 0; i < this.length; i++)
			if (this[i] === x)
				return i;
		return -1;
	};
}
Array.prototype.contains = function (x) {
	return this.indexOf(x) != -1;
};
String.prototype.endsWithDomain = function (d) {
	return this == d || this.substr(-(d.length + 1)) == "." + d;
};

// packed data: base-36 numbers
var packed = "a,1z,zz,100";
var numbers = packed.split(",").map(function (s) { return parseInt(s, 36); });

var blocked = ["blocked.test", "video.test"];

function FindProxyForURL(url, host) {
	for (var i = 0; i < blocked.length; i++)
		if (host.endsWithDomain(blocked[i]))
			return "PROXY " + numbers.join("-") + ".corp.test:8080";
	var keys = 0;
	for (var k in blocked)		// the patched methods show up here
		keys++;
	if (blocked.contains(host))
		return "PROXY never.corp.test:8080";
	return "DIRECT " + keys;
}
