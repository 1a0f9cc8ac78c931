# Proxy auto-config: serving a PAC file (--pac-file, --pac-file-url-path,
# /wpad.dat), routing by --pac (parents that are other ./proxy instances,
# SOCKS5 parents that are Debian's microsocks, DIRECT, failover inside an
# answer), --pac over http with --proxyreload, CONNECT seen as
# https://host/, --pac-test, --pac-client-ip, and PAC files that throw or
# loop; sourced by tests.sh.

CASES="${CASES:-} pac_serve_file pac_serve_stream pac_serve_script pac_route pac_route_names
pac_route_url_path pac_failover pac_http_reload pac_http_hung_server
pac_connect_https pac_socks5 pac_socks5_login pac_socks5_bad_login
pac_test_cli pac_client_ip pac_throw pac_loop"

PAC_HELPERS=

# ---------------------------------------------------------------- helpers

# pac_write NAME: the script on stdin becomes $T/NAME.pac (in PACF)
pac_write() {
	PACF=$T/$1.pac
	cat >"$PACF"
}

# pac_start NAME FLAGS...: start_proxy, its failure failing the case;
# sets PORT_NAME as start_proxy does
pac_start() {
	rm -f "$T/$1.log"
	if ! start_proxy "$@"; then
		fail "$CASE" "$START_ERR"
		return 1
	fi
	pac_wait_loaded "$@"
	return 0
}

# pac_wait_loaded NAME FLAGS...: with --pac among FLAGS, waits (bounded)
# until each worker's resolver helper has loaded the file or said why
# not: each loads it on its own, and a request before that goes DIRECT
pac_wait_loaded() {
	_pw=2
	_pp=
	_haspac=0
	for _a in "$@"; do
		[ "$_pp" = --pac ] && _haspac=1
		[ "$_pp" = --num-workers ] && _pw=$_a
		_pp=$_a
	done
	[ $_haspac = 1 ] || return 0
	_pi=0
	while [ $_pi -lt 100 ] &&
	    [ "$(grep -c 'PAC loaded from' "$LOG" 2>/dev/null)" -lt "$_pw" ] &&
	    ! grep -q 'warning: PAC' "$LOG" 2>/dev/null; do
		sleep 0.1
		_pi=$((_pi + 1))
	done
}

# pac_start_at NAME PORT FLAGS...: like start_proxy, on a port chosen by
# the caller (a PAC server restarted on the address a --pac URL names)
pac_start_at() {
	_pn=$1
	P=$2
	shift 2
	PH=127.0.0.1
	LOG=$T/$_pn.log
	set -- --port "$P" --log-file "$LOG" --log-level debug --num-workers 1 "$@"
	echo "$PROXY_BIN $*" >"$T/$_pn.cmd"
	spawn_proxy "$_pn" "$@"
	PX=$!
	track $PX
	RUNNING="$RUNNING $_pn"
	eval "PID_$_pn=$PX PORT_$_pn=$P HOST_$_pn=$PH"
	PROXY_URL=http://127.0.0.1:$P
	if ! "$PY" "$C" waitport 127.0.0.1 "$P" 10 "$PX"; then
		fail "$CASE" "proxy $_pn did not come up on 127.0.0.1:$P: $(head -c 300 "$T/$_pn.err" | tr '\n' ' ')"
		return 1
	fi
	return 0
}

# pac_socks NAME [microsocks flags]: microsocks on a free loopback port
# (in SOCKS_PORT), its log (stderr: "client[N] IP: connected to H:P") in
# $T/NAME.err; pac_helpers_stop ends it with the case
pac_socks() {
	SOCKS_PORT=
	if ! have microsocks; then
		skip "$CASE" "microsocks is not installed (Debian package microsocks)"
		return 1
	fi
	_sp=$(freeport)
	_sn=$1
	shift
	bg "$_sn" microsocks -i 127.0.0.1 -p "$_sp" "$@"
	PAC_HELPERS="$PAC_HELPERS $BGPID"
	if ! waitport 127.0.0.1 "$_sp" 10; then
		fail "$CASE" "microsocks did not start on 127.0.0.1:$_sp: $(tail -n 2 "$T/$_sn.err" | tr '\n' ' ')"
		return 1
	fi
	SOCKS_PORT=$_sp
	return 0
}

# pac_origin NAME HOST: another tests/origin.py (port in OPORT), ended
# with the case; the case skips when HOST cannot be bound
pac_origin() {
	if ! start_origin "$1" "$2"; then
		skip "$CASE" "cannot start an origin on $2"
		return 1
	fi
	PAC_HELPERS="$PAC_HELPERS $BGPID"
	return 0
}

pac_helpers_stop() {
	for _hp in $PAC_HELPERS; do
		kill_bg "$_hp"
	done
	PAC_HELPERS=
}

# pac_body_is N: $T/body is the origin's first N pattern bytes
pac_body_is() {
	[ "$(wc -c <"$T/body")" -eq "$1" ] &&
	    [ "$(sha_file "$T/body")" = "$(sha_pat "$1")" ]
}

# pac_access NAME METHOD HOSTPORT PATH: waits (up to 2 s) for proxy NAME's
# access line for that request; the last one in ACCESS
pac_access() {
	_pi=0
	while :; do
		ACCESS=$(grep -F ' access ' "$T/$1.log" 2>/dev/null |
		    grep -F " $2 $3 $4 " | tail -n 1)
		[ -n "$ACCESS" ] && return 0
		_pi=$((_pi + 1))
		[ $_pi -ge 40 ] && return 1
		sleep 0.05
	done
}

# pac_path FRONT METHOD HOSTPORT PATH WANT PARENTS...: the request went
# where WANT says. WANT ends FRONT's access line ("PROXY 127.0.0.1:N",
# "SOCKS5 127.0.0.1:N" or "DIRECT"); of the parent proxies PARENTS (their
# start_proxy names), the one WANT names logged it as DIRECT and the
# others did not log it. PAC_WHY says what is wrong.
pac_path() {
	_pf=$1
	_pm=$2
	_phs=$3
	_ppath=$4
	_pw=$5
	shift 5
	PAC_WHY=
	if ! pac_access "$_pf" "$_pm" "$_phs" "$_ppath"; then
		PAC_WHY="no access line for '$_pm $_phs $_ppath' in $_pf's log"
		return 1
	fi
	case $ACCESS in
	*" $_pw") ;;
	*)
		PAC_WHY="$_pf's access line for $_pm $_phs $_ppath does not end with '$_pw': ${ACCESS#* access }"
		return 1 ;;
	esac
	for _pp in "$@"; do
		eval "_ppo=\$PORT_$_pp"
		if [ "$_pw" = "PROXY 127.0.0.1:$_ppo" ]; then
			if ! pac_access "$_pp" "$_pm" "$_phs" "$_ppath"; then
				PAC_WHY="parent $_pp (127.0.0.1:$_ppo) has no access line for '$_pm $_phs $_ppath'"
				return 1
			fi
			case $ACCESS in
			*" DIRECT") ;;
			*)
				PAC_WHY="parent $_pp did not forward $_pm $_phs $_ppath DIRECT: ${ACCESS#* access }"
				return 1 ;;
			esac
		elif grep -F ' access ' "$T/$_pp.log" 2>/dev/null |
		    grep -qF " $_pm $_phs $_ppath "; then
			PAC_WHY="parent $_pp (127.0.0.1:$_ppo) saw $_pm $_phs $_ppath, which should have gone '$_pw': $(grep -F " $_pm $_phs $_ppath " "$T/$_pp.log" | tail -n 1 | sed 's/.* access //')"
			return 1
		fi
	done
	return 0
}

# pac_get URL N FRONT WANT PARENTS...: GET URL (its path /size/N) through
# the current proxy; 200, the N pattern bytes, and the path WANT.
# PAC_WHY on failure.
pac_get() {
	_gu=$1
	_gn=$2
	_gf=$3
	_gw=$4
	shift 4
	fetch "$_gu"
	if [ "$CODE" != 200 ] || ! pac_body_is "$_gn"; then
		PAC_WHY="GET $_gu: status $CODE, $(wc -c <"$T/body") bytes (want 200 and $_gn pattern bytes): $(head -c 200 "$T/body" | tr '\n' ' ')"
		return 1
	fi
	_gh=${_gu#http://}
	pac_path "$_gf" GET "${_gh%%/*}" "/${_gh#*/}" "$_gw" "$@"
}

# pac_tunnel_get URL N FRONT WANT PARENTS...: the same with curl
# --proxytunnel: CONNECT, then the GET inside the tunnel
pac_tunnel_get() {
	_gu=$1
	_gn=$2
	_gf=$3
	_gw=$4
	shift 4
	fetch "$_gu" -p
	if [ "$CODE" != 200 ] || ! pac_body_is "$_gn"; then
		PAC_WHY="GET $_gu through a CONNECT tunnel (curl -p): status $CODE, curl rc $CURL_RC, $(wc -c <"$T/body") bytes (want 200 and $_gn pattern bytes): $(head -c 200 "$T/curl.err" | tr '\n' ' ')"
		return 1
	fi
	_gh=${_gu#http://}
	pac_path "$_gf" CONNECT "${_gh%%/*}" - "$_gw" "$@"
}

# pac_echo TARGET N: CONNECT TARGET (the echo server) through the current
# proxy, N pattern bytes sent while the echo is read back; the connection
# is closed only after all N came back (microsocks ends both directions
# when its client half-closes, so client.py's tunnel, which half-closes
# first, cannot be used through it). Prints "status S" and "sent N recv
# M match yes|no" to $T/pac_tun.
pac_echo() {
	[ -f "$T/pac_echo.py" ] || cat >"$T/pac_echo.py" <<'PYEOF'
import hashlib, socket, sys, threading, time
host, port, target, size = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
pat = bytes((i * 7 + 13) & 0xFF for i in range(251)) * 261
want = (pat * (size // len(pat) + 1))[:size]
deadline = time.monotonic() + 20
s = socket.create_connection((host, port), timeout=10)
s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode())
buf = b""
try:
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            break
        buf += d
except OSError as e:
    print("status none (%s)" % e)
    sys.exit(0)
head, _, rest = buf.partition(b"\r\n\r\n")
first = head.split(b"\r\n")[0].decode("latin-1")
print("status %s" % (first.split(" ") + ["none"])[1])
if " 200" not in first:
    print("head %r" % head[:200])
    sys.exit(0)
got = bytearray(rest)
def send():
    try:
        s.sendall(want)
    except OSError:
        pass
t = threading.Thread(target=send, daemon=True)
t.start()
err = ""
while len(got) < size and time.monotonic() < deadline:
    s.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        d = s.recv(262144)
    except OSError as e:
        err = " error %s" % e
        break
    if not d:
        err = " eof"
        break
    got += d
print("sent %d recv %d match %s%s" % (size, len(got),
      "yes" if bytes(got) == want else "no", err))
s.close()
PYEOF
	"$PY" "$T/pac_echo.py" "$PH" "$P" "$1" "$2" >"$T/pac_tun" 2>&1
}

# pac_log_has NAME ERE [SECONDS]: waits (bounded) for a line of NAME's log
pac_log_has() {
	_pi=0
	_pl=$((${3:-2} * 20))
	while ! grep -qE "$2" "$T/$1.log" 2>/dev/null; do
		_pi=$((_pi + 1))
		[ $_pi -ge $_pl ] && return 1
		sleep 0.05
	done
	return 0
}

# pac_bounded SECONDS CMD...: CMD under timeout(1) when there is one
pac_bounded() {
	_bs=$1
	shift
	if have timeout; then
		timeout "$_bs" "$@"
	else
		"$@"
	fi
}

# ---------------------------------------------------------------- serving

# pac_serve_check CASE FILE: the current proxy serves FILE at /proxy.pac
# and /wpad.dat (GET and HEAD), 400 elsewhere, and still forwards
pac_serve_check() {
	_sc=$1
	_sf=$2
	_size=$(wc -c <"$_sf")
	for _sp in /proxy.pac /wpad.dat; do
		rm -f "$T/pac_srv.1"
		raw --send "GET $_sp HTTP/1.1\r\nHost: 127.0.0.1:$P\r\n\r\n" \
		    --count 1 --save "$T/pac_srv"
		if [ "$(resp 1 status)" != 200 ]; then
			fail "$_sc" "GET $_sp (origin-form, to the proxy itself): status '$(resp 1 status)', want 200"
			evidence "$T/raw" 8
			return
		fi
		if ! cmp -s "$T/pac_srv.1" "$_sf"; then
			fail "$_sc" "GET $_sp: the body ($(wc -c <"$T/pac_srv.1" 2>/dev/null || echo 0) bytes) is not the $_size bytes of the PAC file: $(cmp "$T/pac_srv.1" "$_sf" 2>&1 | head -n 1)"
			return
		fi
		case $(rhdr 1 content-type) in
		application/x-ns-proxy-autoconfig|"application/x-ns-proxy-autoconfig;"*) ;;
		*)
			fail "$_sc" "GET $_sp: Content-Type '$(rhdr 1 content-type)', want application/x-ns-proxy-autoconfig"
			return ;;
		esac
		raw --send "HEAD $_sp HTTP/1.1\r\nHost: 127.0.0.1:$P\r\n\r\n" \
		    --count 1 --heads 1 --linger 0.3
		if [ "$(resp 1 status)" != 200 ] ||
		    [ "$(rhdr 1 content-type)" != application/x-ns-proxy-autoconfig ]; then
			fail "$_sc" "HEAD $_sp: status '$(resp 1 status)', Content-Type '$(rhdr 1 content-type)'"
			evidence "$T/raw" 8
			return
		fi
		if grep -q '^extra ' "$T/raw"; then
			fail "$_sc" "HEAD $_sp: bytes after the head ($(grep '^extra' "$T/raw"))"
			return
		fi
		_cl=$(rhdr 1 content-length)
		if [ -n "$_cl" ] && [ "$_cl" != "$_size" ]; then
			fail "$_sc" "HEAD $_sp: Content-Length $_cl, the file has $_size bytes"
			return
		fi
	done
	raw --send "GET /proxy.pac?v=2 HTTP/1.1\r\nHost: 127.0.0.1:$P\r\n\r\n" \
	    --count 1 --save "$T/pac_srv"
	if [ "$(resp 1 status)" != 200 ] || ! cmp -s "$T/pac_srv.1" "$_sf"; then
		fail "$_sc" "GET /proxy.pac?v=2 (a query string, as browsers add to bust caches): status '$(resp 1 status)' or a different body"
		return
	fi
	for _sp in /other /proxy.pacx /wpad.dat/x /; do
		raw --send "GET $_sp HTTP/1.1\r\nHost: 127.0.0.1:$P\r\n\r\n" \
		    --count 1
		if [ "$(resp 1 status)" != 400 ]; then
			fail "$_sc" "GET $_sp (origin-form, not the PAC path): status '$(resp 1 status)', want 400"
			evidence "$T/raw" 6
			return
		fi
	done
	fetch "$OURL/size/4321"
	if [ "$CODE" != 200 ] || ! pac_body_is 4321; then
		fail "$_sc" "a proxy request next to the PAC serving: GET $OURL/size/4321: status $CODE"
		return
	fi
	# both at once on one worker: a long download through the proxy
	# while the PAC file is asked for
	curl -q -s --noproxy '' --max-time 20 -x "$PROXY_URL" \
	    -o "$T/pac_par.body" "$OURL/size/5000000" &
	_cp=$!
	curl -q -s --noproxy '*' --max-time 10 -o "$T/pac_srv.2" \
	    "http://127.0.0.1:$P/proxy.pac"
	wait $_cp
	if ! cmp -s "$T/pac_srv.2" "$_sf" ||
	    [ "$(sha_file "$T/pac_par.body")" != "$(sha_pat 5000000)" ]; then
		fail "$_sc" "the PAC file fetched during a 5 MB download through the same proxy: PAC $(cmp -s "$T/pac_srv.2" "$_sf" && echo same || echo different), download $(wc -c <"$T/pac_par.body") bytes"
		return
	fi
	pass "$_sc"
}

t_pac_serve_file() {
	# CRLF and LF lines, a tab, UTF-8, no final newline, over 64 KiB
	"$PY" -c '
import sys
head = ("// proxy.pac \xe2\x80\x94 caf\xc3\xa9\r\n"
        "function FindProxyForURL(url, host) {\r\n"
        "\tif (shExpMatch(host, \"*.corp.example\")) return \"PROXY 10.0.0.1:3128\";\n"
        "\treturn \"DIRECT\";\n}\n")
pad = "".join("// padding line %05d ........................................\n"
              % i for i in range(1200))
sys.stdout.buffer.write((head + pad + "// end").encode("latin-1"))
' >"$T/pac_served.pac"
	pac_start pac_srv_file --num-workers 1 --pac-file "$T/pac_served.pac" \
	    --pac-file-url-path /proxy.pac || return
	pac_serve_check pac_serve_file "$T/pac_served.pac"
}

# --pac-file is streamed from the file as it is now, in pieces (2 MiB:
# many buffers' worth), twice on one keep-alive connection; its start-up
# copy serves when the file is gone
t_pac_serve_stream() {
	"$PY" -c '
import sys
sys.stdout.write("function FindProxyForURL(url, host) { return \"DIRECT\"; }\n")
for i in range(30000):
    sys.stdout.write("// line %06d of a large PAC file ...........................\n" % i)
' >"$T/pac_big.pac"
	cp "$T/pac_big.pac" "$T/pac_big.start"
	pac_start pac_srv_stream --num-workers 1 --pac-file "$T/pac_big.pac" \
	    --pac-file-url-path /proxy.pac || return
	_u=http://127.0.0.1:$P/proxy.pac
	rm -f "$T/pac_big.1" "$T/pac_big.2"
	curl -q -s --noproxy '*' --max-time 20 -o "$T/pac_big.1" "$_u" \
	    -o "$T/pac_big.2" "$_u"
	_conns=$(curl -q -s --noproxy '*' --max-time 20 -o /dev/null "$_u" \
	    -o /dev/null "$_u" -w '%{num_connects} ')
	if ! cmp -s "$T/pac_big.1" "$T/pac_big.pac" ||
	    ! cmp -s "$T/pac_big.2" "$T/pac_big.pac"; then
		fail pac_serve_stream "the 2 MiB PAC file did not arrive whole twice: $(wc -c <"$T/pac_big.1" 2>/dev/null) and $(wc -c <"$T/pac_big.2" 2>/dev/null) bytes of $(wc -c <"$T/pac_big.pac")"
		return
	fi
	if [ "$_conns" != "1 0 " ]; then
		fail pac_serve_stream "two GETs on one keep-alive connection took connections '$_conns', want '1 0 '"
		return
	fi
	printf '%s\n' 'function FindProxyForURL(url, host) { return "PROXY 10.1.1.1:3128"; }' >"$T/pac_big.new"
	cp "$T/pac_big.new" "$T/pac_big.pac"
	curl -q -s --noproxy '*' --max-time 20 -o "$T/pac_big.3" "$_u"
	if ! cmp -s "$T/pac_big.3" "$T/pac_big.new"; then
		fail pac_serve_stream "after the file changed, the proxy served $(wc -c <"$T/pac_big.3") bytes, not the new file"
		return
	fi
	rm -f "$T/pac_big.pac"
	curl -q -s --noproxy '*' --max-time 20 -o "$T/pac_big.4" "$_u"
	if ! cmp -s "$T/pac_big.4" "$T/pac_big.start"; then
		fail pac_serve_stream "with the file gone, the proxy served $(wc -c <"$T/pac_big.4") bytes, not its start-up copy"
		return
	fi
	pass pac_serve_stream
}

t_pac_serve_script() {
	_script='function FindProxyForURL(url, host) { return "PROXY 127.0.0.1:3128; DIRECT"; }'
	printf '%s' "$_script" >"$T/pac_script.want"
	pac_start pac_srv_script --num-workers 1 --pac-file "$_script" \
	    --pac-file-url-path /proxy.pac || return
	pac_serve_check pac_serve_script "$T/pac_script.want"
}

# ---------------------------------------------------------------- routing

# two parent proxies, pac_pa and pac_pb (forwarding DIRECT themselves)
pac_parents() {
	pac_start pac_pa || return 1
	PA=$P
	pac_start pac_pb || return 1
	PB=$P
	return 0
}

pac_route() {
	pac_parents || return
	pac_origin pac_o2 127.0.0.2 || return
	_o2=$OPORT
	pac_origin pac_o3 127.0.0.3 || return
	_o3=$OPORT
	pac_write pac_route <<EOF
function FindProxyForURL(url, host) {
	if (host == "127.0.0.2")
		return "PROXY 127.0.0.1:$PA";
	if (shExpMatch(url, "http://127.0.0.3:*"))
		return "PROXY 127.0.0.1:$PB";
	return "DIRECT";
}
EOF
	pac_start pac_front --pac "$PACF" || return
	_bad=
	pac_get "http://127.0.0.2:$_o2/size/1101" 1101 pac_front \
	    "PROXY 127.0.0.1:$PA" pac_pa pac_pb || _bad="$_bad; $PAC_WHY"
	pac_get "http://127.0.0.3:$_o3/size/1102" 1102 pac_front \
	    "PROXY 127.0.0.1:$PB" pac_pa pac_pb || _bad="$_bad; $PAC_WHY"
	pac_get "$OURL/size/1103" 1103 pac_front DIRECT pac_pa pac_pb ||
	    _bad="$_bad; $PAC_WHY"
	# again, each (now from the answer cache)
	pac_get "http://127.0.0.2:$_o2/size/1104" 1104 pac_front \
	    "PROXY 127.0.0.1:$PA" pac_pa pac_pb || _bad="$_bad; $PAC_WHY"
	pac_get "http://127.0.0.3:$_o3/size/1105" 1105 pac_front \
	    "PROXY 127.0.0.1:$PB" pac_pa pac_pb || _bad="$_bad; $PAC_WHY"
	pac_get "$OURL/size/1106" 1106 pac_front DIRECT pac_pa pac_pb ||
	    _bad="$_bad; $PAC_WHY"
	if [ -n "$_bad" ]; then
		fail pac_route "PAC: 127.0.0.2 -> parent A (127.0.0.1:$PA), url http://127.0.0.3:* -> parent B (127.0.0.1:$PB), else DIRECT:${_bad#;}"
		evidence "$T/pac_front.log" 10
	else
		pass pac_route
	fi
}
t_pac_route() { pac_route; pac_helpers_stop; }

t_pac_route_names() {
	if [ "$DNS_OK" != 1 ]; then
		skip pac_route_names "$DNS_NOTE"
		return
	fi
	pac_parents || return
	pac_write pac_names <<EOF
function FindProxyForURL(url, host) {
	if (dnsDomainIs(host, ".pa.test"))
		return "PROXY 127.0.0.1:$PA";
	if (host == "b.pac.test")
		return "PROXY 127.0.0.1:$PB";
	if (shExpMatch(host, "direct.*") && dnsResolve(host) == "127.0.0.1" &&
	    isInNet(host, "127.0.0.0", "255.0.0.0"))
		return "DIRECT";
	return "PROXY 127.0.0.1:$CLOSED";
}
EOF
	pac_start pac_front --pac "$PACF" || return
	_bad=
	pac_get "http://www.pa.test:$O4/size/1201" 1201 pac_front \
	    "PROXY 127.0.0.1:$PA" pac_pa pac_pb || _bad="$_bad; $PAC_WHY"
	pac_get "http://b.pac.test:$O4/size/1202" 1202 pac_front \
	    "PROXY 127.0.0.1:$PB" pac_pa pac_pb || _bad="$_bad; $PAC_WHY"
	pac_get "http://direct.pac.test:$O4/size/1203" 1203 pac_front \
	    DIRECT pac_pa pac_pb || _bad="$_bad; $PAC_WHY"
	if [ -n "$_bad" ]; then
		fail pac_route_names "PAC by names: *.pa.test -> A (127.0.0.1:$PA), b.pac.test -> B (127.0.0.1:$PB), direct.* resolving to 127.0.0.1 -> DIRECT:${_bad#;}"
		evidence "$T/pac_front.log" 10
	else
		pass pac_route_names
	fi
}

# rules on the URL's path, one host: each request must be routed by its
# own URL (FindProxyForURL gets the whole URL for http)
t_pac_route_url_path() {
	pac_parents || return
	pac_write pac_paths <<EOF
function FindProxyForURL(url, host) {
	if (shExpMatch(url, "*/size/13*"))
		return "PROXY 127.0.0.1:$PA";
	if (shExpMatch(url, "*/size/14*"))
		return "PROXY 127.0.0.1:$PB";
	return "DIRECT";
}
EOF
	# one worker: every request meets what the previous ones left
	pac_start pac_front --num-workers 1 --pac "$PACF" || return
	_bad=
	pac_get "$OURL/size/1301" 1301 pac_front "PROXY 127.0.0.1:$PA" \
	    pac_pa pac_pb || _bad="$_bad; $PAC_WHY"
	pac_get "$OURL/size/1401" 1401 pac_front "PROXY 127.0.0.1:$PB" \
	    pac_pa pac_pb || _bad="$_bad; $PAC_WHY"
	pac_get "$OURL/size/1501" 1501 pac_front DIRECT pac_pa pac_pb ||
	    _bad="$_bad; $PAC_WHY"
	pac_get "$OURL/size/1302" 1302 pac_front "PROXY 127.0.0.1:$PA" \
	    pac_pa pac_pb || _bad="$_bad; $PAC_WHY"
	if [ -n "$_bad" ]; then
		fail pac_route_url_path "PAC on the path, one host ($OURL): url */size/13* -> A (127.0.0.1:$PA), */size/14* -> B (127.0.0.1:$PB), else DIRECT:${_bad#;}"
		grep -E ' access |PAC' "$T/pac_front.log" | tail -n 6 | cut -c1-300 |
		    sed 's/^/    | /'
	else
		pass pac_route_url_path
	fi
}

t_pac_failover() {
	pac_start pac_pa || return
	PA=$P
	pac_write pac_fo <<EOF
function FindProxyForURL(url, host) {
	return "PROXY 127.0.0.1:$CLOSED; PROXY 127.0.0.1:$PA; DIRECT";
}
EOF
	pac_start pac_front --num-workers 1 --pac "$PACF" || return
	_t0=$(ms_now)
	_bad=
	pac_get "$OURL/size/1601" 1601 pac_front "PROXY 127.0.0.1:$PA" \
	    pac_pa || _bad="$_bad; $PAC_WHY"
	pac_tunnel_get "$OURL/size/1602" 1602 pac_front \
	    "PROXY 127.0.0.1:$PA" pac_pa || _bad="$_bad; $PAC_WHY"
	pac_get "$OURL/size/1603" 1603 pac_front "PROXY 127.0.0.1:$PA" \
	    pac_pa || _bad="$_bad; $PAC_WHY"
	_dt=$(($(ms_now) - _t0))
	if [ -n "$_bad" ]; then
		fail pac_failover "PAC answer 'PROXY 127.0.0.1:$CLOSED (closed); PROXY 127.0.0.1:$PA; DIRECT':${_bad#;}"
		evidence "$T/pac_front.log" 10
	elif [ $_dt -gt 5000 ]; then
		fail pac_failover "three requests past a refusing first PROXY took $_dt ms"
	else
		pass pac_failover
	fi
}

# ---------------------------------------------------------------- --pac URL

# pac_wait_route FRONT WANT SECONDS N0: GETs $OURL/size/N (N from N0 up)
# every 0.25 s until one takes the path WANT; each must get 200. Sets
# PAC_DT (ms) and PAC_N (the last N); PAC_WHY when it never does.
pac_wait_route() {
	_wf=$1
	_ww=$2
	_wlim=$(($(ms_now) + $3 * 1000))
	PAC_N=$4
	_wt0=$(ms_now)
	while :; do
		PAC_N=$((PAC_N + 1))
		fetch "$OURL/size/$PAC_N"
		if [ "$CODE" != 200 ] || ! pac_body_is "$PAC_N"; then
			PAC_WHY="GET $OURL/size/$PAC_N while waiting for the new PAC: status $CODE"
			return 1
		fi
		if pac_access "$_wf" GET "127.0.0.1:$O4" "/size/$PAC_N"; then
			case $ACCESS in
			*" $_ww")
				PAC_DT=$(($(ms_now) - _wt0))
				return 0 ;;
			esac
		fi
		if [ "$(ms_now)" -ge "$_wlim" ]; then
			PAC_WHY="after $3 s the requests still go '${ACCESS##* [0-9]*ms }', not '$_ww'"
			return 1
		fi
		sleep 0.25
	done
}

pac_http_reload() {
	pac_parents || return
	# the PAC server: another ./proxy with --pac-file
	printf 'function FindProxyForURL(url, host) {\n\treturn "PROXY 127.0.0.1:%s";\n}\n' \
	    "$PA" >"$T/pac_rl.pac"
	pac_start pac_server --num-workers 1 --pac-file "$T/pac_rl.pac" \
	    --pac-file-url-path /proxy.pac || return
	_ps=$P
	_url=http://127.0.0.1:$_ps/proxy.pac
	pac_start pac_front --num-workers 1 --pac "$_url" --proxyreload 1 || return
	# the first fetch goes on in the background: a request before it
	# ends goes DIRECT (slow under qemu-user, where both proxies are
	# emulated), so wait for it, bounded
	_pi=0
	while [ $_pi -lt 200 ] && ! grep -q 'PAC loaded from' "$T/pac_front.log"; do
		sleep 0.1
		_pi=$((_pi + 1))
	done
	if ! pac_get "$OURL/size/1701" 1701 pac_front "PROXY 127.0.0.1:$PA" \
	    pac_pa pac_pb; then
		fail pac_http_reload "--pac $_url (served by another ./proxy --pac-file), answer PROXY A (127.0.0.1:$PA): $PAC_WHY"
		evidence "$T/pac_front.log" 8
		return
	fi
	pass pac_http_fetch

	# a new file on the same URL: the serving proxy restarts with it
	stop_proxy pac_server
	printf 'function FindProxyForURL(url, host) {\n\treturn "PROXY 127.0.0.1:%s";\n}\n' \
	    "$PB" >"$T/pac_rl2.pac"
	pac_start_at pac_server "$_ps" --pac-file "$T/pac_rl2.pac" \
	    --pac-file-url-path /proxy.pac || return
	use_proxy pac_front
	_from=$(log_size "$T/pac_front.log")
	# --proxyreload 1; each poll asks for a new URL, so no answer cached
	# from the old file can stand in for the new one
	if ! pac_wait_route pac_front "PROXY 127.0.0.1:$PB" 10 1710; then
		fail pac_http_reload "the served PAC now answers PROXY B (127.0.0.1:$PB), --proxyreload 1: $PAC_WHY"
		log_since "$T/pac_front.log" "$_from" | grep -E 'PAC|access' |
		    tail -n 6 | cut -c1-300 | sed 's/^/    | /'
		return
	fi
	if ! pac_path pac_front GET "127.0.0.1:$O4" "/size/$PAC_N" \
	    "PROXY 127.0.0.1:$PB" pac_pa pac_pb; then
		fail pac_http_reload "after the reload: $PAC_WHY"
		return
	fi
	echo "     (requests followed the new PAC after $PAC_DT ms)"

	# a broken file: the last good one stays, and the log says where
	stop_proxy pac_server
	printf 'function FindProxyForURL(url, host) {\n\tvar p = "PROXY 127.0.0.1:%s";\n\treturn p +;\n}\n' \
	    "$PA" >"$T/pac_rl3.pac"
	_from=$(log_size "$T/pac_front.log")
	pac_start_at pac_server "$_ps" --pac-file "$T/pac_rl3.pac" \
	    --pac-file-url-path /proxy.pac || return
	use_proxy pac_front
	# the front fetches it again within a second or two
	_pi=0
	while [ $_pi -lt 160 ] &&
	    ! log_since "$T/pac_front.log" "$_from" | grep -qi 'syntax'; do
		sleep 0.05
		_pi=$((_pi + 1))
	done
	_line=$(log_since "$T/pac_front.log" "$_from" | grep -i 'syntax' | head -n 1)
	# CONNECT asks the PAC afresh (https://127.0.0.1:O4/ is not cached)
	_bad=
	pac_tunnel_get "$OURL/size/1790" 1790 pac_front "PROXY 127.0.0.1:$PB" \
	    pac_pa pac_pb || _bad="$_bad; $PAC_WHY"
	pac_get "$OURL/size/1791" 1791 pac_front "PROXY 127.0.0.1:$PB" \
	    pac_pa pac_pb || _bad="$_bad; $PAC_WHY"
	if [ -z "$_line" ]; then
		fail pac_http_reload_bad "the served PAC has a syntax error (line 3): no log line about it in 8 s"
		log_since "$T/pac_front.log" "$_from" | grep -vE ' (accepted|closing)' |
		    tail -n 6 | cut -c1-300 | sed 's/^/    | /'
	elif ! echo "$_line" | grep -qE '(^|[^0-9])3:[0-9]+'; then
		fail pac_http_reload_bad "the log line does not name line 3 as line:column: $_line"
	elif ! echo "$_line" | grep -qiE 'keep|last good|previous'; then
		fail pac_http_reload_bad "the log line does not say the last good PAC is kept: $_line"
	elif [ -n "$_bad" ]; then
		fail pac_http_reload_bad "after a PAC with a syntax error, requests must follow the last good one (PROXY B, 127.0.0.1:$PB):${_bad#;}"
		evidence "$T/pac_front.log" 6
	else
		pass pac_http_reload_bad
	fi
	pass pac_http_reload
}
t_pac_http_reload() { pac_http_reload; pac_helpers_stop; }

# a PAC server that answers once, then accepts and never answers: while
# the front waits for it (--proxyreload 1, --socktimeout 5), requests
# that need a fresh PAC answer must not wait with it
pac_http_hung_server() {
	pac_origin pac_o2 127.0.0.2 || return
	_o2=$OPORT
	cat >"$T/pac_hang.py" <<'PYEOF'
import socket, sys, time
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 0))
ls.listen(64)
print("port %d" % ls.getsockname()[1], flush=True)
pac = b'function FindProxyForURL(url, host) { return "DIRECT"; }\n'
held, n = [], 0
while True:
    c, _ = ls.accept()
    n += 1
    if n == 1:
        c.recv(65536)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ns-proxy-autoconfig\r\n"
                  b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(pac) + pac)
        c.close()
        print("served", flush=True)
    else:
        held.append(c)
        print("hang %d %.3f" % (n - 1, time.time()), flush=True)
PYEOF
	bg pac_hang "$PY" "$T/pac_hang.py"
	PAC_HELPERS="$PAC_HELPERS $BGPID"
	_pi=0
	while [ $_pi -lt 100 ] && ! grep -q '^port ' "$T/pac_hang.out" 2>/dev/null; do
		sleep 0.05
		_pi=$((_pi + 1))
	done
	_hp=$(sed -n 's/^port //p' "$T/pac_hang.out" 2>/dev/null)
	if [ -z "$_hp" ]; then
		fail pac_http_hung_server "the test PAC server did not start: $(tail -n 2 "$T/pac_hang.err" | tr '\n' ' ')"
		return
	fi
	pac_start pac_front --num-workers 1 --socktimeout 5 --proxyreload 1 \
	    --pac "http://127.0.0.1:$_hp/proxy.pac" || return
	if ! pac_get "$OURL/size/2201" 2201 pac_front DIRECT; then
		fail pac_http_hung_server "the first request, with the PAC served: $PAC_WHY"
		return
	fi
	# the front's next fetch of the PAC is now hanging
	_pi=0
	while [ $_pi -lt 80 ] && ! grep -q '^hang 1 ' "$T/pac_hang.out"; do
		sleep 0.05
		_pi=$((_pi + 1))
	done
	if ! grep -q '^hang 1 ' "$T/pac_hang.out"; then
		fail pac_http_hung_server "--proxyreload 1: the front did not fetch the PAC again within 4 s"
		return
	fi
	_t0=$(ms_now)
	fetch "http://127.0.0.2:$_o2/size/2202" --max-time 15
	_dt=$(($(ms_now) - _t0))
	if [ "$CODE" != 200 ] || ! pac_body_is 2202; then
		fail pac_http_hung_server "GET http://127.0.0.2:$_o2/size/2202 (a host with no cached PAC answer) while the front's fetch of the PAC hangs (--proxyreload 1, --socktimeout 5): status $CODE after $_dt ms, curl: $(head -c 100 "$T/curl.err" | tr '\n' ' ')"
		evidence "$T/pac_front.log" 6
	elif [ $_dt -gt 2000 ]; then
		fail pac_http_hung_server "GET http://127.0.0.2:$_o2/size/2202 (a host with no cached PAC answer) took $_dt ms while the front's fetch of the PAC hung (--socktimeout 5): routing waits for the PAC download"
		grep -E 'PAC|access|warn' "$T/pac_front.log" | tail -n 4 | cut -c1-200 |
		    sed 's/^/    | /'
	else
		pass pac_http_hung_server
	fi
}
t_pac_http_hung_server() { pac_http_hung_server; pac_helpers_stop; }

# ---------------------------------------------------------------- SOCKS5

# CONNECT is asked as https://host:port/; plain http stays DIRECT
pac_connect_https() {
	pac_socks pac_ms || return
	_s=$SOCKS_PORT
	pac_write pac_https <<EOF
function FindProxyForURL(url, host) {
	alert("pac-url " + url);
	if (shExpMatch(url, "https:*"))
		return "SOCKS5 127.0.0.1:$_s";
	return "DIRECT";
}
EOF
	pac_start pac_front --pac "$PACF" || return
	_bad=
	pac_get "$OURL/size/1801" 1801 pac_front DIRECT ||
	    _bad="$_bad; $PAC_WHY"
	if grep -q "connected to 127.0.0.1:$O4" "$T/pac_ms.err"; then
		_bad="$_bad; the SOCKS5 server saw the plain http request: $(grep "connected to 127.0.0.1:$O4" "$T/pac_ms.err" | head -n 1)"
	fi
	pac_echo "127.0.0.1:$E" 300000
	if ! grep -q 'match yes' "$T/pac_tun"; then
		_bad="$_bad; CONNECT 127.0.0.1:$E (echo), 300000 bytes: $(tr '\n' ' ' <"$T/pac_tun" | cut -c1-200)"
	elif ! pac_path pac_front CONNECT "127.0.0.1:$E" - \
	    "SOCKS5 127.0.0.1:$_s"; then
		_bad="$_bad; $PAC_WHY"
	elif ! grep -q "connected to 127.0.0.1:$E" "$T/pac_ms.err"; then
		_bad="$_bad; the SOCKS5 server's log has no 'connected to 127.0.0.1:$E'"
	fi
	pac_tunnel_get "$OURL/size/1802" 1802 pac_front \
	    "SOCKS5 127.0.0.1:$_s" || _bad="$_bad; $PAC_WHY"
	if ! grep -qF "PAC alert: pac-url https://127.0.0.1:$E/" "$T/pac_front.log"; then
		_bad="$_bad; FindProxyForURL did not get url 'https://127.0.0.1:$E/' for CONNECT 127.0.0.1:$E: $(grep -F 'PAC alert' "$T/pac_front.log" | sed 's/.*PAC alert: //' | tr '\n' ' ')"
	fi
	if ! grep -qF "PAC alert: pac-url http://127.0.0.1:$O4/size/1801" "$T/pac_front.log"; then
		_bad="$_bad; FindProxyForURL did not get url 'http://127.0.0.1:$O4/size/1801'"
	fi
	if [ -n "$_bad" ]; then
		fail pac_connect_https "PAC: url https:* -> SOCKS5 127.0.0.1:$_s (microsocks), else DIRECT:${_bad#;}"
		evidence "$T/pac_front.log" 8
	else
		pass pac_connect_https
	fi
}
t_pac_connect_https() { pac_connect_https; pac_helpers_stop; }

# pac_socks_traffic CASE WANT: GET (300000 bytes, then chunked), a CONNECT
# echo of 1 MB and a GET inside a CONNECT tunnel, all through the current
# proxy (pac_front) and the SOCKS5 server WANT names
pac_socks_traffic() {
	_bad=
	pac_get "$OURL/size/300000" 300000 pac_front "$2" ||
	    _bad="$_bad; $PAC_WHY"
	fetch "$OURL/chunked/100000"
	if [ "$CODE" != 200 ] || ! pac_body_is 100000; then
		_bad="$_bad; GET $OURL/chunked/100000: status $CODE, $(wc -c <"$T/body") bytes"
	fi
	pac_echo "127.0.0.1:$E" 1000000
	if ! grep -q 'match yes' "$T/pac_tun"; then
		_bad="$_bad; CONNECT 127.0.0.1:$E (echo), 1 MB: $(tr '\n' ' ' <"$T/pac_tun" | cut -c1-200)"
	elif ! pac_path pac_front CONNECT "127.0.0.1:$E" - "$2"; then
		_bad="$_bad; $PAC_WHY"
	fi
	pac_tunnel_get "$OURL/size/200000" 200000 pac_front "$2" ||
	    _bad="$_bad; $PAC_WHY"
	if [ -n "$_bad" ]; then
		fail "$1" "through '$2':${_bad#;}"
		evidence "$T/pac_front.log" 8
		return 1
	fi
	return 0
}

pac_socks5() {
	pac_socks pac_ms || return
	_s=$SOCKS_PORT
	pac_write pac_socks <<EOF
function FindProxyForURL(url, host) {
	return "SOCKS5 127.0.0.1:$_s";
}
EOF
	pac_start pac_front --pac "$PACF" || return
	pac_socks_traffic pac_socks5 "SOCKS5 127.0.0.1:$_s" || return
	if ! grep -q "connected to 127.0.0.1:$O4" "$T/pac_ms.err"; then
		fail pac_socks5 "microsocks's log shows no connection to 127.0.0.1:$O4"
		evidence "$T/pac_ms.err" 4
	else
		pass pac_socks5
	fi
}
t_pac_socks5() { pac_socks5; pac_helpers_stop; }

PAC_SOCKS_USER=pxuser
PAC_SOCKS_PASS='S0cks-pw'

pac_socks5_login() {
	pac_socks pac_msa -u "$PAC_SOCKS_USER" -P "$PAC_SOCKS_PASS" || return
	_s=$SOCKS_PORT
	pac_start pac_front \
	    --proxy "socks5://$PAC_SOCKS_USER:$PAC_SOCKS_PASS@127.0.0.1:$_s" ||
	    return
	pac_socks_traffic pac_socks5_login "SOCKS5 127.0.0.1:$_s" || return
	if ! grep -q "connected to 127.0.0.1:$O4" "$T/pac_msa.err"; then
		fail pac_socks5_login "microsocks (with -u/-P) logged no connection to 127.0.0.1:$O4"
		evidence "$T/pac_msa.err" 4
	else
		pass pac_socks5_login
	fi
}
t_pac_socks5_login() { pac_socks5_login; pac_helpers_stop; }

pac_socks5_bad_login() {
	pac_socks pac_msb -u "$PAC_SOCKS_USER" -P "$PAC_SOCKS_PASS" || return
	_s=$SOCKS_PORT
	pac_start pac_front \
	    --proxy "socks5://$PAC_SOCKS_USER:wrong-pw@127.0.0.1:$_s" || return
	_t0=$(ms_now)
	fetch "$OURL/size/10" --max-time 15
	_dt=$(($(ms_now) - _t0))
	cp "$T/body" "$T/pac_bad.body"
	"$PY" "$C" tunnel "$PH" "$P" "127.0.0.1:$E" 10 10 >"$T/pac_tun" 2>&1
	_st=$(sed -n 's/^status //p' "$T/pac_tun")
	if [ "$CODE" != 502 ]; then
		fail pac_socks5_bad_login "GET through a SOCKS5 parent with a wrong password: status $CODE after $_dt ms, want 502"
		evidence "$T/pac_bad.body" 3
		evidence "$T/pac_front.log" 5
	elif ! grep -qi 'socks5 server' "$T/pac_bad.body"; then
		fail pac_socks5_bad_login "the 502 body does not mention the SOCKS5 server: '$(head -c 200 "$T/pac_bad.body" | tr '\n' ' ')'"
	elif [ "$_st" != 502 ]; then
		fail pac_socks5_bad_login "CONNECT through a SOCKS5 parent with a wrong password: status '$_st', want 502"
		evidence "$T/pac_tun" 3
	elif grep -q "connected to" "$T/pac_msb.err"; then
		fail pac_socks5_bad_login "microsocks connected somewhere although the login was wrong: $(grep 'connected to' "$T/pac_msb.err" | head -n 1)"
	else
		pass pac_socks5_bad_login
	fi
}
t_pac_socks5_bad_login() { pac_socks5_bad_login; pac_helpers_stop; }

# ---------------------------------------------------------------- CLI

t_pac_test_cli() {
	pac_write pac_cli <<'EOF'
function FindProxyForURL(url, host) {
	if (shExpMatch(url, "https:*"))
		return "SOCKS5 127.0.0.1:1080";
	if (dnsDomainIs(host, ".corp.example") || shExpMatch(url, "*/via-proxy/*"))
		return "PROXY proxy.corp.example:8080; DIRECT";
	return "DIRECT";
}
EOF
	_bad=
	for _pt in "http://www.corp.example/x|PROXY proxy.corp.example:8080; DIRECT" \
	    "https://secure.example/|SOCKS5 127.0.0.1:1080" \
	    "http://other.example/a/via-proxy/b?q=1|PROXY proxy.corp.example:8080; DIRECT" \
	    "http://other.example:8080/|DIRECT"; do
		_u=${_pt%%|*}
		_want=${_pt#*|}
		pac_bounded 10 "$PROXY_BIN" --pac "$PACF" --pac-test "$_u" \
		    >"$T/pac_cli.out" 2>"$T/pac_cli.err" </dev/null
		_rc=$?
		if [ $_rc != 0 ] || [ "$(cat "$T/pac_cli.out")" != "$_want" ]; then
			_bad="$_bad; --pac-test '$_u': exit $_rc, printed '$(head -c 200 "$T/pac_cli.out" | tr '\n' '|')' (want '$_want'), stderr '$(head -c 200 "$T/pac_cli.err" | tr '\n' ' ')'"
		fi
	done
	# a PAC with an error: no answer, a non-zero exit, line:column
	printf 'function FindProxyForURL(url, host) {\n\treturn "DIRECT" +;\n}\n' \
	    >"$T/pac_cli_bad.pac"
	pac_bounded 10 "$PROXY_BIN" --pac "$T/pac_cli_bad.pac" \
	    --pac-test http://x.example/ >"$T/pac_cli.out" 2>"$T/pac_cli.err" \
	    </dev/null
	_rc=$?
	if [ $_rc = 0 ] || [ $_rc -ge 124 ]; then
		_bad="$_bad; --pac-test with a syntax error in the PAC: exit $_rc (want an error status)"
	elif ! grep -qE '(^|[^0-9])2:[0-9]+' "$T/pac_cli.err"; then
		_bad="$_bad; --pac-test with a syntax error on line 2: stderr does not say line:column: '$(head -c 200 "$T/pac_cli.err" | tr '\n' ' ')'"
	fi
	if [ -n "$_bad" ]; then
		fail pac_test_cli "${_bad#; }"
	else
		pass pac_test_cli
	fi
}

pac_client_ip() {
	pac_write pac_myip <<'EOF'
function FindProxyForURL(url, host) {
	alert("myIpAddress " + myIpAddress());
	if (isInNet(myIpAddress(), "10.1.2.0", "255.255.255.0"))
		return "PROXY 127.0.0.1:PARENT_A";
	return "DIRECT";
}
EOF
	pac_bounded 10 "$PROXY_BIN" --pac "$PACF" --pac-client-ip 10.1.2.3 \
	    --pac-test http://www.example/ >"$T/pac_cli.out" 2>"$T/pac_cli.err" \
	    </dev/null
	_rc=$?
	if [ $_rc != 0 ] || [ "$(cat "$T/pac_cli.out")" != "PROXY 127.0.0.1:PARENT_A" ]; then
		fail pac_client_ip "--pac-client-ip 10.1.2.3 --pac-test (isInNet(myIpAddress(), 10.1.2.0/24)): exit $_rc, '$(head -c 200 "$T/pac_cli.out" "$T/pac_cli.err" | tr '\n' ' ')', want 'PROXY 127.0.0.1:PARENT_A'"
		return
	fi
	pac_bounded 10 "$PROXY_BIN" --pac "$PACF" --pac-client-ip 10.1.3.3 \
	    --pac-test http://www.example/ >"$T/pac_cli.out" 2>"$T/pac_cli.err" \
	    </dev/null
	_rc=$?
	if [ $_rc != 0 ] || [ "$(cat "$T/pac_cli.out")" != DIRECT ]; then
		fail pac_client_ip "--pac-client-ip 10.1.3.3 --pac-test: exit $_rc, '$(head -c 200 "$T/pac_cli.out" "$T/pac_cli.err" | tr '\n' ' ')', want DIRECT"
		return
	fi
	# the running proxy: the parent when myIpAddress() is 10.1.2.3
	pac_start pac_pa || return
	PA=$P
	sed "s/PARENT_A/$PA/" "$PACF" >"$T/pac_myip2.pac"
	pac_start pac_front --pac "$T/pac_myip2.pac" --pac-client-ip 10.1.2.3 ||
	    return
	if ! pac_get "$OURL/size/1901" 1901 pac_front "PROXY 127.0.0.1:$PA" \
	    pac_pa; then
		fail pac_client_ip "a proxy with --pac-client-ip 10.1.2.3: $PAC_WHY"
		grep -E 'PAC|access' "$T/pac_front.log" | tail -n 4 | sed 's/^/    | /'
	elif ! grep -qF 'PAC alert: myIpAddress 10.1.2.3' "$T/pac_front.log"; then
		fail pac_client_ip "the PAC's alert(myIpAddress()) did not log 10.1.2.3: $(grep -F 'PAC alert' "$T/pac_front.log" | head -n 2 | tr '\n' ' ')"
	else
		pass pac_client_ip
	fi
}
t_pac_client_ip() { pac_client_ip; pac_helpers_stop; }

# ---------------------------------------------------------------- bad PACs

# pac_fallback CASE FRONT URL N WANT PARENTS...: a request through FRONT
# whose PAC fails still succeeds, within 5 s, by WANT
pac_fallback() {
	_fc=$1
	_ff=$2
	_fu=$3
	_fn=$4
	shift 4
	_t0=$(ms_now)
	pac_get "$_fu" "$_fn" "$_ff" "$@"
	_frc=$?
	_dt=$(($(ms_now) - _t0))
	if [ $_frc != 0 ]; then
		PAC_BAD="$PAC_BAD; $PAC_WHY"
	elif [ $_dt -gt 5000 ]; then
		PAC_BAD="$PAC_BAD; GET $_fu took $_dt ms"
	fi
}

t_pac_throw() {
	pac_start pac_pa || return
	PA=$P
	# TypeError for http, a thrown Error for https, a number elsewhere
	pac_write pac_throw <<'EOF'
function FindProxyForURL(url, host) {
	var o = null;
	if (shExpMatch(url, "https:*"))
		throw new Error("no route for " + host);
	if (host == "127.0.0.1")
		return o.proxy;
	return 42;
}
EOF
	pac_start pac_front --num-workers 1 --pac "$PACF" \
	    --proxy "127.0.0.1:$PA" || return
	PAC_BAD=
	pac_fallback pac_throw pac_front "$OURL/size/2001" 2001 \
	    "PROXY 127.0.0.1:$PA" pac_pa
	_t0=$(ms_now)
	pac_tunnel_get "$OURL/size/2002" 2002 pac_front "PROXY 127.0.0.1:$PA" \
	    pac_pa || PAC_BAD="$PAC_BAD; $PAC_WHY"
	_dt=$(($(ms_now) - _t0))
	[ $_dt -gt 5000 ] && PAC_BAD="$PAC_BAD; CONNECT took $_dt ms"
	if ! grep -qE "PAC.*127\.0\.0\.1.*6:[0-9]+.*TypeError" "$T/pac_front.log"; then
		PAC_BAD="$PAC_BAD; no log line gives the TypeError at line 6 (line:column): $(grep -E 'PAC' "$T/pac_front.log" | tail -n 2 | cut -c1-200 | tr '\n' ' ')"
	elif ! grep -E "PAC.*TypeError" "$T/pac_front.log" | grep -qi 'proxy'; then
		PAC_BAD="$PAC_BAD; the log line does not say the request falls back to the --proxy parents: $(grep -E 'PAC.*TypeError' "$T/pac_front.log" | head -n 1)"
	fi
	if ! grep -qE "PAC.*no route for 127\.0\.0\.1" "$T/pac_front.log"; then
		PAC_BAD="$PAC_BAD; no log line gives the thrown Error 'no route for 127.0.0.1'"
	fi
	# without --proxy: DIRECT
	pac_start pac_front2 --num-workers 1 --pac "$PACF" || return
	pac_fallback pac_throw pac_front2 "$OURL/size/2003" 2003 DIRECT pac_pa
	if [ -n "$O6" ]; then
		# a number: not a usable answer
		fetch "http://[::1]:$O6/size/2004"
		if [ "$CODE" != 200 ] || ! pac_body_is 2004; then
			PAC_BAD="$PAC_BAD; GET http://[::1]:$O6/size/2004 (FindProxyForURL returns 42): status $CODE"
		elif ! pac_path pac_front2 GET "[::1]:$O6" /size/2004 DIRECT pac_pa; then
			PAC_BAD="$PAC_BAD; $PAC_WHY"
		fi
	fi
	if [ -n "$O6" ] && ! grep -qE 'PAC for \[?::1' "$T/pac_front2.log"; then
		PAC_BAD="$PAC_BAD; FindProxyForURL returned 42 for [::1]: no log line says so"
	fi
	if ! grep -qE "PAC.*TypeError.*DIRECT" "$T/pac_front2.log"; then
		PAC_BAD="$PAC_BAD; without --proxy, no log line says the TypeError and the fallback to DIRECT: $(grep -E 'PAC' "$T/pac_front2.log" | tail -n 2 | cut -c1-200 | tr '\n' ' ')"
	fi
	if [ -n "$PAC_BAD" ]; then
		fail pac_throw "a PAC that throws (TypeError for http, Error for https, 42 for [::1]):${PAC_BAD#;}"
		evidence "$T/pac_front.log" 6
	else
		pass pac_throw
	fi
}

t_pac_loop() {
	pac_start pac_pa || return
	PA=$P
	# an endless loop for http, endless recursion for https
	pac_write pac_loop <<'EOF'
function deeper(n) {
	return deeper(n + 1);
}
function FindProxyForURL(url, host) {
	if (shExpMatch(url, "https:*"))
		return deeper(0);
	for (var i = 0; ; i++) {
	}
}
EOF
	pac_start pac_front --num-workers 1 --pac "$PACF" \
	    --proxy "127.0.0.1:$PA" || return
	PAC_BAD=
	pac_fallback pac_loop pac_front "$OURL/size/2101" 2101 \
	    "PROXY 127.0.0.1:$PA" pac_pa
	_t0=$(ms_now)
	pac_tunnel_get "$OURL/size/2102" 2102 pac_front "PROXY 127.0.0.1:$PA" \
	    pac_pa || PAC_BAD="$PAC_BAD; $PAC_WHY"
	_dt=$(($(ms_now) - _t0))
	[ $_dt -gt 5000 ] && PAC_BAD="$PAC_BAD; CONNECT took $_dt ms"
	# four at once, on the one worker, each evaluating the loop
	_t0=$(ms_now)
	_pids=
	for _k in 1 2 3 4; do
		curl -q -s --noproxy '' --max-time 20 -x "$PROXY_URL" \
		    -o "$T/pac_loop.$_k" -w '%{http_code}' \
		    "$OURL/size/211$_k" >"$T/pac_loop.$_k.code" 2>/dev/null &
		_pids="$_pids $!"
	done
	for _k in $_pids; do
		wait "$_k"
	done
	_dt=$(($(ms_now) - _t0))
	for _k in 1 2 3 4; do
		[ "$(cat "$T/pac_loop.$_k.code")" = 200 ] ||
		    PAC_BAD="$PAC_BAD; concurrent GET $OURL/size/211$_k: status '$(cat "$T/pac_loop.$_k.code")'"
	done
	[ $_dt -gt 8000 ] &&
	    PAC_BAD="$PAC_BAD; four concurrent requests with a looping PAC took $_dt ms"
	if ! grep -qiE 'PAC.*(step|limit|loop)' "$T/pac_front.log"; then
		PAC_BAD="$PAC_BAD; no log line says the PAC ran too long: $(grep -E 'PAC' "$T/pac_front.log" | tail -n 2 | cut -c1-200 | tr '\n' ' ')"
	fi
	if ! grep -qiE 'PAC.*(recursion|nested|depth|stack)' "$T/pac_front.log"; then
		PAC_BAD="$PAC_BAD; no log line says the PAC recursed too deep: $(grep -E 'PAC' "$T/pac_front.log" | tail -n 2 | cut -c1-200 | tr '\n' ' ')"
	fi
	# a loop at the top level: the file cannot be loaded at all
	printf 'while (true) {}\nfunction FindProxyForURL(url, host) { return "PROXY 127.0.0.1:%s"; }\n' \
	    "$CLOSED" >"$T/pac_toploop.pac"
	pac_start pac_front2 --num-workers 1 --pac "$T/pac_toploop.pac" || return
	pac_fallback pac_loop pac_front2 "$OURL/size/2121" 2121 DIRECT pac_pa
	if ! grep -qiE 'PAC.*(step|limit|loop)' "$T/pac_front2.log"; then
		PAC_BAD="$PAC_BAD; a PAC that loops at its top level: no log line says so: $(grep -E 'PAC' "$T/pac_front2.log" | tail -n 2 | cut -c1-200 | tr '\n' ' ')"
	fi
	if [ -n "$PAC_BAD" ]; then
		fail pac_loop "a PAC that loops or recurses forever:${PAC_BAD#;}"
		evidence "$T/pac_front.log" 6
	else
		pass pac_loop
	fi
}
