var rules = [
	[/^(?:www\.)?(news|shop)\.test$/i, "PROXY $1.corp.test:8080"],
	[/^([a-z]+)-(\d+)\.cdn\.test$/, "PROXY cdn$2.corp.test:8080"],
	[/^(.)(.)\2\1\.test$/, "PROXY palindrome.corp.test:8080"],
	[/^a+?b.*?c$/, "PROXY lazy.corp.test:8080"],
	[/^(?!www\.)[^.]+\.example\.test$/, "PROXY not-www.corp.test:8080"],
	[/\b(internal|private)\b/, "DIRECT"]
];

function FindProxyForURL(url, host) {
	for (var i = 0; i < rules.length; i++) {
		var m = rules[i][0].exec(host);
		if (m)
			return host.replace(rules[i][0], rules[i][1]).indexOf("PROXY") == 0 ?
			    rules[i][1].replace(/\$(\d)/g, function (all, n) {
				return m[n].toLowerCase();
			    }) : rules[i][1];
	}
	return "PROXY default.corp.test:8080";
}
