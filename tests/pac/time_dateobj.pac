// Uses Date directly instead of the helpers.
function FindProxyForURL(url, host) {
	var now = new Date();
	var h = now.getHours(), d = now.getDay();
	var days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
	if (d == 0 || d == 6)
		return "PROXY weekend.corp.test:8080";
	if (h >= 9 && h < 17)
		return "PROXY " + days[d] + "-day.corp.test:8080";
	var month = now.getMonth() + 1;
	return "PROXY m" + (month < 10 ? "0" : "") + month + ".corp.test:8080";
}
