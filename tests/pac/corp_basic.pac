// Example Corp proxy configuration
// Maintainer: network team. Last change: 2023-11-02

function FindProxyForURL(url, host) {
    // plain host names and the local domain go direct
    if (isPlainHostName(host) ||
        dnsDomainIs(host, ".corp.test") ||
        localHostOrDomainIs(host, "intranet"))
        return "DIRECT";

    // private address space
    if (isInNet(host, "10.0.0.0", "255.0.0.0") ||
        isInNet(host, "172.16.0.0", "255.240.0.0") ||
        isInNet(host, "192.168.0.0", "255.255.0.0") ||
        isInNet(host, "127.0.0.0", "255.0.0.0"))
        return "DIRECT";

    // partners are reached through the partner proxy
    if (shExpMatch(host, "*.partner.test") || host == "partner.test")
        return "PROXY partnerproxy.corp.test:3128";

    if (url.substring(0, 4) == "ftp:")
        return "PROXY ftpproxy.corp.test:2121";

    return "PROXY proxy1.corp.test:8080; PROXY proxy2.corp.test:8080; DIRECT";
}
