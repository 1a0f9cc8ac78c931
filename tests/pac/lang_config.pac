// A configuration object in the file, rules evaluated in order.
var config = {
	version: 3,
	defaultProxy: "PROXY proxy.corp.test:8080",
	rules: [
		{ type: "domain", value: ".corp.test", action: "DIRECT" },
		{ type: "host", value: "partner.test", action: "PROXY partner.corp.test:3128" },
		{ type: "net", value: ["198.51.100.0", "255.255.255.0"], action: "PROXY partner.corp.test:3128" },
		{ type: "glob", value: "*.cdn.test", action: "DIRECT" },
		{ type: "regex", value: "^(shop|news)\\.test$", action: "PROXY retail.corp.test:8080" }
	]
};

function matchRule(rule, host) {
	switch (rule.type) {
	case "domain": return dnsDomainIs(host, rule.value);
	case "host": return host == rule.value;
	case "net": return isInNet(host, rule.value[0], rule.value[1]);
	case "glob": return shExpMatch(host, rule.value);
	case "regex": return new RegExp(rule.value).test(host);
	}
	return false;
}

function FindProxyForURL(url, host) {
	if (config.version < 3)
		return "DIRECT";
	for (var i = 0; i < config.rules.length; i++)
		if (matchRule(config.rules[i], host))
			return config.rules[i].action;
	return config.defaultProxy + "; DIRECT";
}
