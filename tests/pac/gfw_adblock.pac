/*
 * Adblock-Plus style rules (as in gfwlist), compiled to regular
 * expressions at load time.
 */
var proxy = "PROXY 127.0.0.1:8118";

var rules = [
    "||blocked.test",
    "|http://plain.example.test/",
    ".video.test",
    "/^https?:\\/\\/[^\\/]+\\.tube\\.test/",
    "@@||direct.blocked.test",
    "@@|https://safe.video.test",
    "news.test/world/"
];

function ruleToRegExp(rule) {
    if (rule.charAt(0) == "/" && rule.charAt(rule.length - 1) == "/")
        return new RegExp(rule.substring(1, rule.length - 1));
    var re = rule.replace(/([\\+|{}\[\]()^$.#?])/g, "\\$1");
    re = re.replace(/\*/g, ".*");
    if (rule.substr(0, 2) == "||")
        re = "^[\\w\\-]+:\\/+(?!\\/)(?:[^\\/]+\\.)?" + re.substring(4);
    else if (rule.charAt(0) == "|")
        re = "^" + re.substring(2);
    return new RegExp(re);
}

var blackList = [], whiteList = [];
for (var i = 0; i < rules.length; i++) {
    var r = rules[i];
    if (r.indexOf("@@") == 0)
        whiteList.push(ruleToRegExp(r.substring(2)));
    else
        blackList.push(ruleToRegExp(r));
}

function testList(list, url) {
    for (var i = 0; i < list.length; i++)
        if (list[i].test(url))
            return true;
    return false;
}

function FindProxyForURL(url, host) {
    if (testList(whiteList, url))
        return "DIRECT";
    if (testList(blackList, url))
        return proxy;
    return "DIRECT";
}
