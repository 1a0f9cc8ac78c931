/* Written without a single semicolon, as several published templates are */
var proxy_yes = "PROXY proxy.corp.test:8080"
var proxy_no = "DIRECT"

var bypass = [
  "*.corp.test",
  "*.outlook.test"
]

function matches(host, list) {
  for (var i = 0; i < list.length; i++)
    if (shExpMatch(host, list[i]))
      return true
  return false
}

function FindProxyForURL(url, host) {
  var h = host.toLowerCase()
  var n = 0
  n++
  ++n
  if (matches(h, bypass))
    return proxy_no
  else if (n == 2 && isPlainHostName(h))
    return proxy_no
  var result = proxy_yes
  return result
}
