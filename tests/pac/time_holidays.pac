// Seasonal rules
function FindProxyForURL(url, host) {
	if (dateRange(24, "DEC", 26, "DEC"))
		return "PROXY xmas.corp.test:8080";
	if (dateRange("DEC", "JAN"))		// wraps over the new year
		return "PROXY winter.corp.test:8080";
	if (dateRange(29, "FEB", 29, "FEB"))
		return "PROXY leap.corp.test:8080";
	if (dateRange(2025))
		return "PROXY y2025.corp.test:8080";
	if (dateRange(1, 15))			// first half of any month
		return "PROXY early.corp.test:8080";
	return "DIRECT";
}
