// Loop shapes: do/while, while with break and continue, labels.
var groups = [
	["news.test", "shop.test"],
	["skip-me", "partner.test", "api.partner.test"],
	["cdn.test"]
];

function FindProxyForURL(url, host) {
	var g = -1, n = 0;
	search:
	for (var i = 0; i < groups.length; i++) {
		var j = 0;
		while (true) {
			if (j >= groups[i].length)
				break;
			if (groups[i][j] == "skip-me") {
				j++;
				continue;
			}
			if (groups[i][j] == host) {
				g = i;
				break search;
			}
			j++;
		}
	}
	do {
		n++;
	} while (n < 3 && g >= 0);
	if (g < 0)
		return "DIRECT";
	return "PROXY group" + g + "-" + n + ".corp.test:8080";
}
