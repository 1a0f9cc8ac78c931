function FindProxyForURL(url, host) {
	var n = host.length;
	var a = Math.floor(n / 3), b = Math.ceil(n / 3), c = Math.round(n / 3);
	var d = Math.max(a, b, c) - Math.min(a, b, c);
	var e = Math.pow(2, a % 5) + Math.abs(-n) + parseInt("0x" + n, 16);
	var f = (n / 4).toFixed(2);
	var g = isNaN(parseFloat(host)) ? "nan" : parseFloat(host);
	return "PROXY m" + [a, b, c, d, e, f, g].join("-") + ".corp.test:8080";
}
