// Domains stored as a trie of labels, most significant first.
var tree = {
	"test": {
		"blocked": { "$": 1 },
		"video": { "cdn": { "$": 1 } },
		"example": { "www": { "$": 1 }, "api": { "v2": { "$": 1 } } }
	}
};

function lookup(host) {
	var labels = host.split(".").reverse();
	var node = tree;
	for (var i = 0; i < labels.length; i++) {
		if (!(labels[i] in node) || typeof node[labels[i]] !== "object")
			return false;
		node = node[labels[i]];
		if (node["$"] === 1)
			return true;
	}
	return false;
}

function FindProxyForURL(url, host) {
	return lookup(host) ? "PROXY 127.0.0.1:3128" : "DIRECT";
}
