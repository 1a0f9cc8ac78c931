// Endpoint categories keyed by service
var services = {
	exchange: ["outlook.test", "*.outlook.test"],
	sharepoint: ["*.sharepoint.test"],
	teams: ["*.teams.test", "teams.test"]
};
var directServices = { exchange: 1, teams: 1 };

function serviceOf(host) {
	for (var name in services) {
		var list = services[name];
		for (var j in list) {
			if (shExpMatch(host, list[j]))
				return name;
		}
	}
	return null;
}

function FindProxyForURL(url, host) {
	var s = serviceOf(host.toLowerCase());
	if (s && directServices.hasOwnProperty(s))
		return "DIRECT";
	if (s)
		return "PROXY " + s + "-proxy.corp.test:8080";
	return "PROXY proxy.corp.test:8080";
}
