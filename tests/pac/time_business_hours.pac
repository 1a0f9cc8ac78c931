// Office hours go through the office proxy, the rest through the
// cheaper night proxy.
function FindProxyForURL(url, host) {
	if (isPlainHostName(host))
		return "DIRECT";
	if (weekdayRange("MON", "FRI") && timeRange(8, 17))
		return "PROXY office.corp.test:8080";
	return "PROXY night.corp.test:8080";
}
