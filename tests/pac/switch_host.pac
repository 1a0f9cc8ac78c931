function FindProxyForURL(url, host) {
	var h = host.toLowerCase();
	switch (h) {
	case "localhost":
	case "127.0.0.1":
		return "DIRECT";
	case "www.example.test":
		return "PROXY web.corp.test:8080";
	case "news.test":
	case "shop.test":
		return "PROXY retail.corp.test:8080";
	default:
		break;
	}
	switch (h.substring(h.lastIndexOf(".") + 1)) {
	case "test":
		return "PROXY test.corp.test:8080";
	case "invalid":
		return "DIRECT";
	}
	return "PROXY other.corp.test:8080";
}
