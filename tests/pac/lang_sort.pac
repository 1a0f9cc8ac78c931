// Proxies with weights; the best two by weight, ties by name.
var pool = [
	{ name: "p-c.corp.test:8080", weight: 5 },
	{ name: "p-a.corp.test:8080", weight: 9 },
	{ name: "p-b.corp.test:8080", weight: 9 },
	{ name: "p-d.corp.test:8080", weight: 1 }
];

function FindProxyForURL(url, host) {
	var list = pool.slice(0);
	if (dnsDomainIs(host, ".cdn.test"))
		list = list.filter(function (p) { return p.weight < 9; });
	list.sort(function (x, y) {
		if (x.weight != y.weight)
			return y.weight - x.weight;
		return x.name < y.name ? -1 : x.name > y.name ? 1 : 0;
	});
	var names = [];
	for (var i = 0; i < list.length && i < 2; i++)
		names.push("PROXY " + list[i].name);
	var words = host.split(".").sort().reverse();
	return names.join("; ") + "; PROXY " + words[0] + ".corp.test:1";
}
