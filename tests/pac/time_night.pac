function FindProxyForURL(url, host) {
	// 22:00 to 06:00 wraps over midnight
	if (timeRange(22, 0, 6, 0))
		return "PROXY batch.corp.test:8080";
	// lunch, to the second
	if (timeRange(12, 0, 0, 13, 0, 0))
		return "PROXY lunch.corp.test:8080";
	if (timeRange(18, 0, 18, 0))
		return "PROXY six.corp.test:8080";
	return "DIRECT";
}
