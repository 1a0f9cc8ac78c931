// Failover chains, with a different primary per destination so that
// load spreads over both proxies.
var PRIMARY = "PROXY proxy-a.corp.test:3128";
var SECONDARY = "PROXY proxy-b.corp.test:3128";

function FindProxyForURL(url, host)
{
    host = host.toLowerCase();

    if (isPlainHostName(host) || dnsDomainIs(host, ".corp.test"))
        return "DIRECT";

    // IP literals in RFC 1918 space
    if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) {
        if (isInNet(host, "10.0.0.0", "255.0.0.0"))
            return "DIRECT";
        return PRIMARY + "; " + SECONDARY;
    }

    // spread by the first letter of the host name
    var c = host.charAt(0);
    if (c >= "a" && c <= "m")
        return PRIMARY + "; " + SECONDARY + "; DIRECT";
    return SECONDARY + "; " + PRIMARY + "; DIRECT";
}
