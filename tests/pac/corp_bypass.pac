function FindProxyForURL(url, host) {
  // Bypass list maintained by the service desk (ticket SD-4711)
  if (shExpMatch(host, "*.corp.test") ||
      shExpMatch(host, "corp.test") ||
      shExpMatch(host, "127.*") ||
      shExpMatch(host, "10.*") ||
      shExpMatch(host, "192.168.*") ||
      shExpMatch(host, "*.local") ||
      shExpMatch(host, "localhost") ||
      shExpMatch(url, "http://update.vendor.test/*") ||
      shExpMatch(url, "*://*.windowsupdate.test/*") ||
      shExpMatch(host, "time?.example.test") ||
      shExpMatch(host, "*cdn*.test"))
    return "DIRECT";

  if (shExpMatch(url, "https://*") && shExpMatch(host, "*.bank.test"))
    return "DIRECT";

  if (shExpMatch(url, "*.exe") || shExpMatch(url, "*.msi") ||
      shExpMatch(url, "*/download/*"))
    return "PROXY scanproxy.corp.test:8080";

  return "PROXY proxy.corp.test:8080";
}
