// Module pattern: private state behind an immediately invoked function.
var Router = (function () {
	var table = {};
	var order = [];

	function add(suffix, proxy) {
		table[suffix] = proxy;
		order.push(suffix);
	}

	function route(host) {
		for (var i = 0; i < order.length; i++) {
			var s = order[i];
			if (host == s.substring(1) || dnsDomainIs(host, s))
				return table[s];
		}
		return null;
	}

	add(".corp.test", "DIRECT");
	add(".partner.test", "PROXY partner.corp.test:8080");
	return { route: route, size: function () { return order.length; } };
})();

var makeCounter = function () {
	var n = 0;
	return function () { return ++n; };
};

function FindProxyForURL(url, host) {
	var c = makeCounter();
	c(); c();
	var r = Router.route(host);
	if (r !== null)
		return r;
	return "PROXY p" + c() + "-" + Router.size() + ".corp.test:8080";
}
