function FindProxyForURL(url, host) {
    var lhost = host.toLowerCase();
    var privateIP = /^(0|10|127|192\.168|172\.1[6789]|172\.2[0-9]|172\.3[01]|169\.254|192\.88\.99)\.[0-9.]+$/;
    var resolved_ip = dnsResolve(lhost);

    // Bypass for apps that pin certificates
    var bypass = /^(.*\.)?(partner\.test|bank\.test|pinned-app\.test)$/i;
    if (bypass.test(lhost))
        return "DIRECT";

    if (isPlainHostName(lhost) || privateIP.test(resolved_ip))
        return "DIRECT";

    // Zscaler App Profile: tunnel the web, leave the rest alone
    if (/^https?:/.test(url) == false)
        return "DIRECT";

    if (/^(www\.)?shop\.test$/.test(lhost))
        return "PROXY 127.0.0.1:9000";

    return "PROXY gateway.zscaler.test:80; PROXY gateway2.zscaler.test:80; DIRECT";
}
