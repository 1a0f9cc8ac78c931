// Variadic helpers over the arguments object.
function anyDomain(host) {
	for (var i = 1; i < arguments.length; i++)
		if (dnsDomainIs(host, arguments[i]))
			return true;
	return false;
}

function first() {
	var args = Array.prototype.slice.call(arguments, 0);
	return args.length ? args[0] : "none";
}

function FindProxyForURL(url, host) {
	if (anyDomain(host, ".corp.test", ".lab.test", ".local"))
		return "DIRECT";
	if (anyDomain(host))
		return "PROXY never.corp.test:8080";
	return first("PROXY proxy.corp.test:8080", "ignored") + "; " + first() + "-" + first.length;
}
