# Real TLS clients and scanners against the proxy (issue 13, "Tests"):
# testssl.sh against the TLS port; headless Chromium through the
# intercepting proxy (our CA in its NSS database, no
# --ignore-certificate-errors) and through the TLS port; Python's
# requests and aiohttp through the interception. Sourced by tests.sh;
# every case skips when ./proxy is built without TLS or the client is
# not installed (tests/deps.sh installs them as root).

CASES="${CASES:-} tlsc_testssl tlsc_chromium_icpt tlsc_chromium_listener
tlsc_python_libs"

# testssl.sh on the TLS port, restricted to what the issue asks
# (protocols, ciphers per protocol, vulnerabilities; no DNS, loopback
# only): no vulnerability, nothing below TLS 1.2, and only ECDHE with
# AES-GCM or ChaCha20-Poly1305
t_tlsc_testssl() {
	tls_ready tlsc_testssl || return
	_ts=
	for _c in testssl testssl.sh; do
		have $_c && _ts=$_c && break
	done
	if [ -z "$_ts" ]; then
		skip tlsc_testssl "testssl.sh is not installed (Debian package testssl.sh)"
		return
	fi
	if ! tls_proxy tlsc_ts rsa --num-workers 1; then
		fail tlsc_testssl "$START_ERR"
		return
	fi
	rm -f "$T/testssl.json"
	# -p protocols, -E the suites of each protocol, -U every
	# vulnerability check; about a minute on two cores
	timeout 240 "$_ts" --quiet --color 0 --warnings off --nodns none \
	    --ip 127.0.0.1 --connect-timeout 10 --openssl-timeout 10 \
	    -p -E -U --jsonfile "$T/testssl.json" "127.0.0.1:$P" \
	    >"$T/testssl.out" 2>&1 </dev/null
	_rc=$?
	if [ ! -s "$T/testssl.json" ]; then
		fail tlsc_testssl "$_ts exited $_rc without its JSON findings:"
		evidence "$T/testssl.out" 10
		return
	fi
	"$PY" - "$T/testssl.json" >"$T/testssl.verdict" 2>&1 <<'EOF'
import json, re, sys
found = json.load(open(sys.argv[1]))
by_id = {f["id"]: f for f in found}
bad = []
for proto in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
    f = by_id.get(proto)
    if f is None or not f["finding"].startswith("not offered"):
        bad.append("%s: %s" % (proto, f and f["finding"]))
if by_id.get("TLS1_2", {}).get("finding") != "offered":
    bad.append("TLS1_2: %s" % by_id.get("TLS1_2", {}).get("finding"))
# the checks -U runs, each of which must have run and found nothing
for vid in ("heartbleed", "CCS", "ticketbleed", "ROBOT",
            "secure_client_renego", "CRIME_TLS", "BREACH", "POODLE_SSL",
            "fallback_SCSV", "SWEET32", "FREAK", "DROWN", "LOGJAM", "BEAST",
            "LUCKY13", "RC4"):
    if vid not in by_id:
        bad.append("no finding for %s (the check did not run?)" % vid)
for f in found:
    sev = f["severity"]
    if sev in ("LOW", "MEDIUM", "HIGH", "CRITICAL"):
        bad.append("%s %s: %s" % (sev, f["id"], f["finding"]))
    elif sev == "WARN" and f["id"] != "engine_problem":
        # a scan problem: a check that did not finish (GOST engines
        # in the local openssl are the scanner's own matter)
        bad.append("WARN %s: %s" % (f["id"], f["finding"]))
suites = [f for f in found if f["id"].startswith("cipher-")]
good = re.compile(r"^TLS 1\.2 +x[0-9a-f]+ +ECDHE-(RSA|ECDSA)-"
                  r"(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305) ")
for f in suites:
    if not good.match(f["finding"]):
        bad.append("a weak or unexpected suite offered: %s" % f["finding"])
if not suites:
    bad.append("no suite found at all (did -E run?)")
print("\n".join(bad) if bad else "clean, %d suites" % len(suites))
EOF
	if ! grep -q '^clean' "$T/testssl.verdict"; then
		fail tlsc_testssl "$_ts found:"
		evidence "$T/testssl.verdict" 15
	else
		pass tlsc_testssl
	fi
}

# ------------------------------------------------------------ Chromium

# tlsc_chromium_ready CASE: Chromium, certutil, nginx and the test DNS
# (Chromium never sends loopback names to a proxy: the origin needs a
# name the proxy resolves), or a skip
tlsc_chromium_ready() {
	icpt_ready "$1" || return 1
	CHROMIUM=
	for _c in chromium chromium-browser; do
		have $_c && CHROMIUM=$_c && break
	done
	if [ -z "$CHROMIUM" ]; then
		skip "$1" "chromium is not installed (Debian package chromium)"
		return 1
	fi
	if ! have certutil; then
		skip "$1" "certutil is not installed (Debian package libnss3-tools)"
		return 1
	fi
	if [ -z "$NG" ]; then
		skip "$1" "$NGINX_NOTE"
		return 1
	fi
	if [ "$DNS_OK" != 1 ]; then
		skip "$1" "$DNS_NOTE"
		return 1
	fi
	return 0
}

# tlsc_nss HOME CERT...: a new NSS database in HOME/.pki/nssdb (where
# Chromium looks) trusting each CERT as a CA for TLS servers
tlsc_nss() {
	_nh=$1
	shift
	rm -rf "$_nh"
	mkdir -p "$_nh/.pki/nssdb"
	certutil -N -d "sql:$_nh/.pki/nssdb" --empty-password \
	    >"$T/certutil.log" 2>&1 || return 1
	_ni=0
	for _nc in "$@"; do
		_ni=$((_ni + 1))
		certutil -d "sql:$_nh/.pki/nssdb" -A -t C,, -n "proxy-test-$_ni" \
		    -i "$_nc" >>"$T/certutil.log" 2>&1 || return 1
	done
	return 0
}

# tlsc_chromium NAME PROXY URL: headless Chromium with HOME=$T/NAME_home
# (its NSS database) fetches URL through PROXY and prints the page's DOM
# into $T/NAME.dom (60 s at most); its stderr in $T/NAME.err
tlsc_chromium() {
	timeout 60 env HOME="$T/$1_home" "$CHROMIUM" --headless --no-sandbox \
	    --disable-gpu --disable-quic --no-first-run \
	    --disable-background-networking --disable-component-update \
	    --disable-sync --disable-dev-shm-usage \
	    --user-data-dir="$T/$1_profile" --proxy-server="$2" \
	    --dump-dom "$3" >"$T/$1.dom" 2>"$T/$1.err" </dev/null
	CHROMIUM_RC=$?
}

# tlsc_page NAME: a page for Chromium in nginx's root, with a token of
# its own; sets PAGE_TOKEN
tlsc_page() {
	PAGE_TOKEN="proxy-test-$1-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
	printf '<!DOCTYPE html>\n<html><head><title>t</title></head><body><p id="t">%s</p></body></html>\n' \
	    "$PAGE_TOKEN" >"$T/$2"
}

# tlsc_nginx_tls: nginx over TLS on a free port with a certificate for
# www.some.test from the openssl-made test CA ($T/tlsu_ca.pem), serving
# $T/ngs_www; its port in NGS
tlsc_nginx_tls() {
	mkdir -p "$T/ngs_www"
	printf 'subjectAltName=DNS:www.some.test\n' >"$T/ngs.ext"
	if ! openssl x509 -req -in "$T/tlsu.csr" -CA "$T/tlsu_ca.pem" \
	    -CAkey "$T/tlsu_ca.key" -CAcreateserial -days 2 \
	    -extfile "$T/ngs.ext" -out "$T/ngs.pem" >"$T/ngs_ossl.log" 2>&1
	then
		return 1
	fi
	NGS=$(freeport)
	cat >"$T/ngs.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $T/ngs.pid;
error_log $T/ngs-error.log;
events { worker_connections 64; }
http {
	access_log $T/ngs-access.log;
	client_body_temp_path $T/nginx-tmp;
	types { text/html html; }
	server {
		listen 127.0.0.1:$NGS ssl;
		ssl_certificate $T/ngs.pem;
		ssl_certificate_key $T/tlsu.key;
		root $T/ngs_www;
	}
}
EOF
	bg ngs "$NGINX" -p "$T" -e "$T/ngs-error.log" -c "$T/ngs.conf"
	TLSU_PIDS="$TLSU_PIDS $BGPID"
	waitport 127.0.0.1 "$NGS" 10
}

# Chromium through the intercepting proxy to nginx over TLS: it trusts
# only our CA (in its NSS database), gets the page, and the proxy's
# access log has the decrypted request
t_tlsc_chromium_icpt() {
	tlsc_chromium_ready tlsc_chromium_icpt || return
	if ! tlsc_nginx_tls; then
		fail tlsc_chromium_icpt "nginx over TLS did not start: $(tail -n 2 "$T/ngs_ossl.log" "$T/ngs-error.log" 2>/dev/null | tr '\n' ' ')"
		tlsu_stop_all
		return
	fi
	tlsc_page icpt ngs_www/chromium.html
	if ! tlsc_nss "$T/chr_icpt_home" "$T/ca/ca-cert.pem"; then
		fail tlsc_chromium_icpt "certutil: $(tail -n 2 "$T/certutil.log")"
		tlsu_stop_all
		return
	fi
	if ! start_proxy tlsc_chr_i --ca-bundle "$T/tlsu_ca.pem" \
	    --ca-cert-file "$T/ca/ca-cert.pem" --ca-key-file "$T/ca/ca-key.pem"
	then
		fail tlsc_chromium_icpt "$START_ERR"
		tlsu_stop_all
		return
	fi
	_url=https://www.some.test:$NGS/chromium.html
	tlsc_chromium chr_icpt "http://127.0.0.1:$P" "$_url"
	if ! grep -q "$PAGE_TOKEN" "$T/chr_icpt.dom"; then
		fail tlsc_chromium_icpt "chromium --dump-dom $_url through the intercepting proxy: exit $CHROMIUM_RC, no page token in '$(head -c 200 "$T/chr_icpt.dom")'"
		evidence "$T/chr_icpt.err" 8
		grep 'www.some.test' "$LOG" | tail -n 5 | sed 's/^/    | /'
	elif ! grep -q "access .* GET https://www.some.test:$NGS /chromium.html 200" "$LOG"; then
		fail tlsc_chromium_icpt "the page came, but the access log has no decrypted 'GET https://www.some.test:$NGS /chromium.html 200': $(grep access "$LOG" | tail -n 3 | tr '\n' ';')"
	elif ! grep -q "minted a certificate for www.some.test" "$LOG"; then
		fail tlsc_chromium_icpt "no certificate was minted for www.some.test"
	elif ! grep -q '"GET /chromium.html HTTP/1.1" 200' "$T/ngs-access.log"; then
		fail tlsc_chromium_icpt "nginx did not log the GET: $(tail -n 2 "$T/ngs-access.log" 2>/dev/null)"
	else
		pass tlsc_chromium_icpt
	fi
	stop_proxy tlsc_chr_i
	tlsu_stop_all
}

# Chromium with --proxy-server=https://127.0.0.1:P: the proxy's own
# certificate (made by --gen-cert, signed by our CA, trusted in NSS)
# protects the hop to the proxy; an http:// page comes through it
t_tlsc_chromium_listener() {
	tlsc_chromium_ready tlsc_chromium_listener || return
	rm -f "$T/chr_l.pem" "$T/chr_l.key"
	if ! "$PROXY_BIN" --gen-cert 127.0.0.1 --ca-cert-file "$T/ca/ca-cert.pem" \
	    --ca-key-file "$T/ca/ca-key.pem" --cert-file "$T/chr_l.pem" \
	    --key-file "$T/chr_l.key" >"$T/chr_l_gen.out" 2>&1 </dev/null; then
		fail tlsc_chromium_listener "--gen-cert 127.0.0.1: $(head -c 200 "$T/chr_l_gen.out")"
		return
	fi
	tlsc_page listener www/chromium.html
	if ! tlsc_nss "$T/chr_l_home" "$T/ca/ca-cert.pem"; then
		fail tlsc_chromium_listener "certutil: $(tail -n 2 "$T/certutil.log")"
		return
	fi
	if ! start_proxy tlsc_chr_l --cert-file "$T/chr_l.pem" \
	    --key-file "$T/chr_l.key"; then
		fail tlsc_chromium_listener "$START_ERR"
		return
	fi
	_url=http://www.some.test:$NG/chromium.html
	tlsc_chromium chr_l "https://127.0.0.1:$P" "$_url"
	if ! grep -q "$PAGE_TOKEN" "$T/chr_l.dom"; then
		fail tlsc_chromium_listener "chromium --proxy-server=https://127.0.0.1:$P --dump-dom $_url: exit $CHROMIUM_RC, no page token in '$(head -c 200 "$T/chr_l.dom")'"
		evidence "$T/chr_l.err" 8
		grep -v ' debug: ' "$LOG" | tail -n 5 | sed 's/^/    | /'
	elif ! grep -q "access .* GET www.some.test:$NG /chromium.html 200" "$LOG"; then
		fail tlsc_chromium_listener "the page came, but not through the proxy's TLS port: $(grep access "$LOG" | tail -n 3 | tr '\n' ';')"
	else
		pass tlsc_chromium_listener
	fi
}

# ------------------------------------------------- Python's HTTP libraries

# requests and aiohttp (each if installed) through the intercepting
# proxy, trusting only our CA: a 200 with the whole body, and the
# decrypted requests in the access log
t_tlsc_python_libs() {
	icpt_ready tlsc_python_libs || return
	_req=
	_aio=
	for _py in "$PY" python3 /usr/bin/python3; do
		[ -z "$_req" ] && "$_py" -c 'import requests' 2>/dev/null &&
		    _req=$_py
		[ -z "$_aio" ] && "$_py" -c 'import aiohttp' 2>/dev/null &&
		    _aio=$_py
	done
	if [ -z "$_req" ] && [ -z "$_aio" ]; then
		skip tlsc_python_libs "neither python3-requests nor python3-aiohttp is installed (tests/deps.sh installs them as root)"
		return
	fi
	icpt_start tlsc_python_libs "$T/tlsu_good.pem" || return
	_u=https://localhost:$OPORT
	cat >"$T/pylibs.py" <<'PYEOF'
import asyncio, hashlib, ssl, sys

lib, proxy, url, ca = sys.argv[1:5]


def report(status, body):
    print("%s %s %d %s" % (lib, status, len(body),
                           hashlib.sha256(body).hexdigest()))


if lib == "requests":
    import requests
    r = requests.get(url, proxies={"https": proxy}, verify=ca, timeout=20)
    report(r.status_code, r.content)
else:
    import aiohttp

    async def get():
        ctx = ssl.create_default_context(cafile=ca)
        async with aiohttp.ClientSession() as s:
            async with s.get(url, proxy=proxy, ssl=ctx) as r:
                report(r.status, await r.read())
    asyncio.run(asyncio.wait_for(get(), 20))
PYEOF
	_bad=
	_ran=
	for _lib in requests aiohttp; do
		if [ $_lib = requests ]; then _py=$_req; else _py=$_aio; fi
		[ -n "$_py" ] || continue
		_ran="$_ran $_lib"
		"$_py" "$T/pylibs.py" $_lib "$PROXY_URL" "$_u/size/300000" \
		    "$T/ca/ca-cert.pem" >"$T/pylibs_$_lib.out" 2>&1
		if [ "$(cat "$T/pylibs_$_lib.out")" != "$_lib 200 300000 $(sha_pat 300000)" ]; then
			_bad="$_bad; $_lib: $(tail -n 2 "$T/pylibs_$_lib.out" | tr '\n' ' ' | cut -c1-300)"
		fi
	done
	_n=$(grep -c "access .* GET https://localhost:$OPORT /size/300000 200" "$LOG")
	if [ -n "$_bad" ]; then
		fail tlsc_python_libs "through the intercepting proxy${_bad}"
	elif [ "$_n" != "$(echo $_ran | wc -w)" ]; then
		fail tlsc_python_libs "$_n decrypted GETs in the access log for$_ran"
	else
		pass tlsc_python_libs
	fi
	stop_proxy tlsc_python_libs
	tlsu_stop_all
}
