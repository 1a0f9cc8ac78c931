var __PROXY__ = "PROXY 127.0.0.1:6152; DIRECT";

var rules = {
    "proxy": {
        "blocked.test": 1,
        "twitter.test": 1,
        "youtube.test": 1
    },
    "direct": {
        "cn.test": 1,
        "baidu.test": 1
    }
};

function domainSuffixes(host) {
    var parts = host.split("."), out = [];
    while (parts.length > 1) {
        out.push(parts.join("."));
        parts.shift();
    }
    return out;
}

function FindProxyForURL(url, host) {
    if (isPlainHostName(host) || host === "127.0.0.1" || host === "localhost")
        return "DIRECT";
    var s = domainSuffixes(host.toLowerCase());
    for (var i = 0; i < s.length; i++) {
        if (Object.prototype.hasOwnProperty.call(rules.direct, s[i]))
            return "DIRECT";
        if (Object.prototype.hasOwnProperty.call(rules.proxy, s[i]))
            return __PROXY__;
    }
    return "DIRECT";
}
