// In the style of large "antizapret" files: the domain list is packed
// into strings at load time and unpacked with regular expressions.
var packed = {
  "test": "blockedsite10badplace00000torrents00000",
  "invalid": "evilcorp00000"
};
var width = 13;
var special = "ZZ";

function unpack(zone, s) {
  var out = {};
  var chunks = s.match(new RegExp(".{" + width + "}", "g"));
  for (var i = 0; i < chunks.length; i++) {
    var name = chunks[i].replace(/0+$/, "");
    out[name + "." + zone] = 1;
  }
  return out;
}

var blocked = {};
for (var zone in packed) {
  var part = unpack(zone, packed[zone]);
  for (var k in part)
    blocked[k] = part[k];
}

var stats = "2024-03-15".replace(/(\d+)-(\d+)-(\d+)/, "$3.$2.$1");

function FindProxyForURL(url, host) {
  var h = host.replace(/^www\./, "");
  if (blocked[h] === 1)
    return "HTTPS az.corp.test:443; PROXY az.corp.test:8080; DIRECT";
  if (h.indexOf(special) >= 0)
    return "PROXY " + stats + ".corp.test:80";
  return "DIRECT";
}
