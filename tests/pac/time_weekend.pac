function FindProxyForURL(url, host) {
	// SAT..MON wraps over the end of the week
	if (weekdayRange("SAT", "MON", "GMT"))
		return "PROXY weekend.corp.test:8080";
	if (weekdayRange("WED"))
		return "PROXY midweek.corp.test:8080";
	return "DIRECT";
}
