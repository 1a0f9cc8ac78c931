// Microsoft 365 optimised connectivity PAC, generated (trimmed)
// Send Optimize endpoints direct, the rest to the proxy

function FindProxyForURL(url, host)
{
    var direct = "DIRECT"
    var proxyServer = "PROXY 10.0.0.8:8080"

    host = host.toLowerCase()

    var directlist = [
        "outlook.test",
        "*.outlook.test",
        "teams.live.test",
        "*.teams.live.test",
        "*.sharepoint.test",
        "*-my.sharepoint.test"
    ]

    for (var i = 0; i < directlist.length; i++)
    {
        if (shExpMatch(host, directlist[i]))
        {
            return direct
        }
    }

    if(isPlainHostName(host)
        || shExpMatch(host, "*.corp.test"))
    {
        return direct
    }

    return proxyServer
}
