function FindProxyForURL(url, host) {
    // IPv6 literals come without brackets
    var v6 = /^[0-9a-f:]+$/i;
    var v4 = /^\d{1,3}(\.\d{1,3}){3}$/;

    if (v6.test(host) && host.indexOf(":") >= 0) {
        if (/^(::1|fe80:|fc|fd)/i.test(host))
            return "DIRECT";
        return "PROXY [2001:db8::8]:8080";
    }
    if (v4.test(host)) {
        if (isInNet(host, "10.0.0.0", "255.0.0.0"))
            return "DIRECT";
        return "PROXY 192.0.2.8:8080";
    }
    return "PROXY gateway.zscaler.test:80";
}
