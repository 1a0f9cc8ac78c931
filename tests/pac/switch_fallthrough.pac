// Tiers accumulate by falling through
function tierFor(host) {
	if (dnsDomainIs(host, ".corp.test")) return 0;
	if (dnsDomainIs(host, ".partner.test") || host == "partner.test") return 1;
	if (dnsDomainIs(host, ".test")) return 2;
	return 3;
}

function FindProxyForURL(url, host) {
	var chain = [];
	switch (tierFor(host)) {
	case 3:
		chain.push("PROXY untrusted.corp.test:8080");
	case 2:
		chain.push("PROXY web.corp.test:8080");
	case 1:
		chain.push("PROXY partner.corp.test:8080");
		break;
	case 0:
		chain.push("DIRECT");
	}
	return chain.join("; ");
}
