//////////////////////////////////////////////////////////////////////
// wpad.dat for EXAMPLE Corp
// Served from http://wpad.corp.test/wpad.dat
// Changes must be approved by the network team.
//////////////////////////////////////////////////////////////////////

var PROXY_MAIN  = "PROXY proxy.corp.test:8080";
var PROXY_BACK  = "PROXY proxy-backup.corp.test:8080";
var PROXY_LAB   = "PROXY lab-proxy.corp.test:3128";
var DEFAULT     = PROXY_MAIN + "; " + PROXY_BACK;

var hostIP = dnsResolve("nls.corp.test");   // network location server

function isLocalNet(ip) {
    return isInNet(ip, "10.0.0.0", "255.0.0.0")
        || isInNet(ip, "172.16.0.0", "255.240.0.0")
        || isInNet(ip, "192.168.0.0", "255.255.0.0");
}

function FindProxyForURL(url, host)
{
    var lhost = host.toLowerCase();

    // 1. we are outside the corporate network: no proxy
    if (hostIP == null || !isInNet(myIpAddress(), "10.0.0.0", "255.0.0.0"))
        return "DIRECT";

    // 2. local names
    if (isPlainHostName(lhost) || lhost == "127.0.0.1" || lhost == "localhost")
        return "DIRECT";

    // 3. corporate domains, except the public web site
    if (dnsDomainIs(lhost, ".corp.test") && lhost != "www.corp.test")
        return "DIRECT";

    // 4. the lab network has its own proxy
    if (shExpMatch(lhost, "*.lab.test") || shExpMatch(lhost, "lab.*"))
        return PROXY_LAB + "; DIRECT";

    // 5. addresses
    if (/^[0-9.]+$/.test(lhost)) {
        if (isLocalNet(lhost))
            return "DIRECT";
        return DEFAULT;
    }

    // 6. services that break behind the proxy
    if (shExpMatch(url, "*://*.outlook.test/*") ||
        shExpMatch(lhost, "*teams*") ||
        localHostOrDomainIs(lhost, "update.vendor.test"))
        return "DIRECT";

    // 7. streaming goes through the backup proxy first
    if (dnsDomainIs(lhost, "cdn.test") || shExpMatch(lhost, "video.*"))
        return PROXY_BACK + "; " + PROXY_MAIN;

    return DEFAULT;
}
