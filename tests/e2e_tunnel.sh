# CONNECT tunnels, TLS through them, WebSocket, IPv6 and names; sourced
# by tests.sh.

CASES="${CASES:-} connect_echo connect_ports connect_refused connect_http
connect_tls websocket ws_absolute wss_absolute ws_aiohttp ipv6_listen
ipv6_origin listen_repeat dns_name
dns_v6_name dns_dual_fallback dns_happy_eyeballs err_nxdomain
dns_nonblocking dns_concurrent dns_hang_error"

t_connect_echo() {
	needs_shared || return
	"$PY" "$C" tunnel "$PH" "$P" "127.0.0.1:$E" 1000000 >"$T/tun" 2>&1
	if ! grep -q '^status 200' "$T/tun"; then
		fail connect_echo "CONNECT to the echo server: $(head -n 2 "$T/tun" | tr '\n' ' ')"
	elif ! grep -q 'match yes eof yes' "$T/tun"; then
		fail connect_echo "1 MB sent, half-closed: $(tail -n 1 "$T/tun")"
	else
		pass connect_echo
	fi
}

t_connect_ports() {
	if ! start_proxy cp1 --connect-ports 443,8443; then
		fail connect_ports "$START_ERR"
		return
	fi
	"$PY" "$C" tunnel "$PH" "$P" "127.0.0.1:$E" 1000 >"$T/tun" 2>&1
	st1=$(sed -n 's/^status //p' "$T/tun")
	grep -qE '(^|[^0-9])403([^0-9]|$)' "$LOG"
	logged=$?
	if ! start_proxy cp2 --connect-ports "443,$E"; then
		fail connect_ports "$START_ERR"
		return
	fi
	"$PY" "$C" tunnel "$PH" "$P" "127.0.0.1:$E" 1000 >"$T/tun2" 2>&1
	if [ "$st1" != 403 ]; then
		fail connect_ports "CONNECT to port $E with --connect-ports 443,8443: status '$st1', want 403"
	elif [ $logged != 0 ]; then
		fail connect_ports "no log line with 403"
	elif ! grep -q 'match yes eof yes' "$T/tun2"; then
		fail connect_ports "CONNECT to an allowed port ($E in the list): $(tr '\n' ' ' <"$T/tun2")"
	else
		pass connect_ports
	fi
}

t_connect_refused() {
	needs_shared || return
	"$PY" "$C" tunnel "$PH" "$P" "127.0.0.1:$CLOSED" 10 >"$T/tun" 2>&1
	st=$(sed -n 's/^status //p' "$T/tun")
	if [ "$st" != 502 ]; then
		fail connect_refused "CONNECT to a closed port: status '$st', want 502"
		evidence "$T/tun"
	else
		pass connect_refused
	fi
}

t_connect_http() {
	needs_shared || return
	fetch "$OURL/chunked/300000" -p
	if [ "$CODE" != 200 ] || ! body_is_pattern 300000; then
		fail connect_http "curl --proxytunnel GET: status $CODE, $(wc -c <"$T/body") bytes"
		evidence "$T/curl.err" 5
	else
		pass connect_http
	fi
}

t_connect_tls() {
	if ! have openssl; then
		skip connect_tls "openssl is not installed"
		return
	fi
	needs_shared || return
	if [ ! -f "$T/tls.crt" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost \
		    -days 1 -keyout "$T/tls.key" -out "$T/tls.crt" \
		    >"$T/openssl.log" 2>&1 || {
			skip connect_tls "cannot make a certificate: $(tail -n 1 "$T/openssl.log")"
			return
		}
	fi
	sp=$(freeport)
	bg s_server openssl s_server -accept "127.0.0.1:$sp" -cert "$T/tls.crt" \
	    -key "$T/tls.key" -www -quiet
	spid=$BGPID
	if ! waitport 127.0.0.1 "$sp" 10; then
		skip connect_tls "openssl s_server did not start: $(tail -n 1 "$T/s_server.err")"
		kill_bg "$spid"
		return
	fi
	# by name when /etc/hosts has localhost (never a DNS query)
	th=127.0.0.1
	grep -qE '^[[:space:]]*127\.0\.0\.1[[:space:]].*\blocalhost\b' /etc/hosts && th=localhost
	fetch "https://$th:$sp/" -k
	if [ "$CODE" != 200 ] || ! grep -qi 's_server' "$T/body"; then
		fail connect_tls "curl -k https://$th:$sp/ through the proxy: status $CODE, curl rc $CURL_RC: $(head -c 200 "$T/curl.err")"
	else
		pass connect_tls
	fi
	kill_bg "$spid"
}

t_websocket() {
	needs_shared || return
	"$PY" "$C" ws "$PH" "$P" "$OURL/ws" >"$T/ws" 2>&1
	if ! grep -q '^ws ok' "$T/ws"; then
		fail websocket "$(head -c 400 "$T/ws")"
	else
		pass websocket
	fi
}

# access_has WANT: waits (bounded) for an access line that holds WANT
access_has() {
	_n=0
	while ! grep ' access ' "$LOG" | grep -qF -- "$1"; do
		_n=$((_n + 1))
		[ $_n -ge 40 ] && return 1
		sleep 0.05
	done
	return 0
}

# A ws:// URI in absolute form, as aiohttp sends it to an HTTP proxy: the
# handshake is HTTP, so it goes like http:// and becomes a tunnel.
t_ws_absolute() {
	needs_shared || return
	"$PY" "$C" ws "$PH" "$P" "ws://127.0.0.1:$O4/ws" >"$T/ws" 2>&1
	if ! grep -q '^ws ok' "$T/ws"; then
		fail ws_absolute "GET ws://127.0.0.1:$O4/ws: $(head -c 400 "$T/ws")"
	elif ! access_has " GET 127.0.0.1:$O4 /ws 101 "; then
		fail ws_absolute "no access line 'GET 127.0.0.1:$O4 /ws 101'"
		grep ' access ' "$LOG" | tail -n 2 | sed 's/^/    | /'
	else
		pass ws_absolute
	fi
}

# wss:// needs TLS to the server: the 400 says to CONNECT, and the access
# line names the host (port 443 when the URI has none).
t_wss_absolute() {
	needs_shared || return
	_bad=
	for _u in "127.0.0.1:$O4" wss-only.test; do
		raw --send "GET wss://$_u/ws HTTP/1.1\r\nHost: $_u\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" \
		    --count 1 --save "$T/raw"
		_hp=$_u
		case $_u in *:*) ;; *) _hp=$_u:443 ;; esac
		if tls_built; then
			# fetched over TLS now (tlsu_wss): an address literal
			# cannot be verified, the other name does not resolve
			if [ "$(resp 1 status)" != 502 ]; then
				_bad="GET wss://$_u/ws (built with TLS): status '$(resp 1 status)', want 502"
			elif ! access_has " GET $_hp /ws 502 "; then
				_bad="GET wss://$_u/ws: no access line 'GET $_hp /ws 502': $(grep ' access ' "$LOG" | tail -n 1)"
			fi
		elif [ "$(resp 1 status)" != 400 ]; then
			_bad="GET wss://$_u/ws: status '$(resp 1 status)', want 400"
		elif ! grep -q 'CONNECT' "$T/raw.1" ||
		    ! grep -q 'wss://' "$T/raw.1"; then
			_bad="GET wss://$_u/ws: the 400 does not say to use CONNECT for wss://: $(head -c 200 "$T/raw.1")"
		elif ! access_has " GET $_hp /ws 400 "; then
			_bad="GET wss://$_u/ws: no access line 'GET $_hp /ws 400': $(grep ' access ' "$LOG" | tail -n 1)"
		fi
		[ -n "$_bad" ] && break
	done
	if [ -n "$_bad" ]; then
		fail wss_absolute "$_bad"
		evidence "$T/raw" 8
	else
		pass wss_absolute
	fi
}

# aiohttp's ws_connect through the proxy: a real client's handshake and
# frames (the origin echoes the bytes, which aiohttp reads as frames).
t_ws_aiohttp() {
	_aio=
	for _py in "$PY" python3 /usr/bin/python3; do
		if "$_py" -c 'import aiohttp' 2>/dev/null; then
			_aio=$_py
			break
		fi
	done
	if [ -z "$_aio" ]; then
		skip ws_aiohttp "python3-aiohttp is not installed (tests/deps.sh installs it as root)"
		return
	fi
	needs_shared || return
	cat >"$T/aio_ws.py" <<'PYEOF'
import asyncio, sys
import aiohttp


async def talk(proxy, url):
    async with aiohttp.ClientSession() as s:
        async with s.ws_connect(url, proxy=proxy) as ws:
            for msg in ("hello", "x" * 70000):
                await ws.send_str(msg)
                got = await ws.receive()
                if got.type != aiohttp.WSMsgType.TEXT or got.data != msg:
                    return "text of %d chars came back as %s %r" % (
                        len(msg), got.type, str(got.data)[:60])
            await ws.send_bytes(b"\x00\x01\xff")
            got = await ws.receive()
            if got.data != b"\x00\x01\xff":
                return "binary came back as %s %r" % (got.type, got.data)
    return None


try:
    why = asyncio.run(asyncio.wait_for(talk(sys.argv[1], sys.argv[2]), 20))
except Exception as e:
    why = "%s: %s" % (type(e).__name__, e)
print("aiohttp %s" % (why or "ok"))
PYEOF
	"$_aio" "$T/aio_ws.py" "$PROXY_URL" "ws://127.0.0.1:$O4/ws" \
	    >"$T/aio" 2>&1
	if ! grep -q '^aiohttp ok' "$T/aio"; then
		fail ws_aiohttp "aiohttp $("$_aio" -c 'import aiohttp; print(aiohttp.__version__)') ws_connect through the proxy: $(tail -n 3 "$T/aio" | tr '\n' ' ')"
	elif ! access_has " GET 127.0.0.1:$O4 /ws 101 "; then
		fail ws_aiohttp "no access line 'GET 127.0.0.1:$O4 /ws 101'"
	else
		pass ws_aiohttp
	fi
}

t_ipv6_listen() {
	if [ -z "$O6" ]; then
		skip ipv6_listen "no IPv6 loopback"
		return
	fi
	if ! start_proxy v6l --hostname ::1; then
		fail ipv6_listen "$START_ERR"
		return
	fi
	fetch "$OURL/size/1000"
	if [ "$CODE" != 200 ] || ! body_is_pattern 1000; then
		fail ipv6_listen "curl -x http://[::1]:$P: status $CODE, curl rc $CURL_RC"
	elif waitport 127.0.0.1 "$P" 0.3; then
		fail ipv6_listen "--hostname ::1 also listens on 127.0.0.1:$P"
	else
		pass ipv6_listen
	fi
}

t_ipv6_origin() {
	if [ -z "$O6" ]; then
		skip ipv6_origin "no IPv6 loopback"
		return
	fi
	needs_shared || return
	fetch "http://[::1]:$O6/size/1000"
	if [ "$CODE" != 200 ] || ! body_is_pattern 1000; then
		fail ipv6_origin "http://[::1]:$O6/size/1000: status $CODE"
		evidence "$T/body" 3
		return
	fi
	fetch "http://[::1]:$O6/echo"
	if ! grep -qi "^Host: \[::1\]:$O6" "$T/body"; then
		fail ipv6_origin "origin did not see 'Host: [::1]:$O6'"
		evidence "$T/body"
	else
		pass ipv6_origin
	fi
}

t_listen_repeat() {
	if [ -z "$O6" ]; then
		skip listen_repeat "no IPv6 loopback"
		return
	fi
	if ! start_proxy two --hostname 127.0.0.1 --hostname ::1; then
		fail listen_repeat "$START_ERR"
		return
	fi
	c4=$(curl -q -sS --noproxy '' --max-time 10 -o /dev/null -w '%{http_code}' \
	    -x "http://127.0.0.1:$P" "$OURL/size/1")
	c6=$(curl -q -sS --noproxy '' --max-time 10 -o /dev/null -w '%{http_code}' \
	    -x "http://[::1]:$P" "$OURL/size/1")
	if [ "$c4" != 200 ] || [ "$c6" != 200 ]; then
		fail listen_repeat "two --hostname flags: 127.0.0.1 gave '$c4', ::1 gave '$c6'"
	elif ! grep -q "listening on 127.0.0.1:$P" "$LOG" ||
	    ! grep -qE "listening on \[?::1\]?:$P" "$LOG"; then
		fail listen_repeat "the log does not list both listeners"
		grep 'listening' "$LOG" | sed 's/^/    | /'
	else
		pass listen_repeat
	fi
}

# names resolve only through tests/dns.py inside our mount namespace
need_dns() {
	[ "$DNS_OK" = 1 ] && return 0
	skip "$1" "$DNS_NOTE"
	return 1
}

t_dns_name() {
	need_dns dns_name || return
	needs_shared || return
	fetch "http://a.test:$O4/echo"
	if [ "$CODE" != 200 ] || ! grep -qi "^Host: a.test:$O4" "$T/body"; then
		fail dns_name "http://a.test:$O4/echo: status $CODE"
		evidence "$T/body" 5
	else
		pass dns_name
	fi
}

t_dns_v6_name() {
	need_dns dns_v6_name || return
	if [ -z "$O6" ]; then
		skip dns_v6_name "no IPv6 loopback"
		return
	fi
	needs_shared || return
	fetch "http://v6.name.test:$O6/size/1000"
	if [ "$CODE" != 200 ] || ! body_is_pattern 1000; then
		fail dns_v6_name "http://v6.name.test:$O6 (AAAA ::1 only): status $CODE: $(head -c 200 "$T/body")"
	else
		pass dns_v6_name
	fi
}

t_dns_dual_fallback() {
	need_dns dns_dual_fallback || return
	needs_shared || return
	# AAAA ::1 where nothing listens on that port, A 127.0.0.1 where
	# the origin does: the refused IPv6 attempt must fall back
	t0=$(ms_now)
	fetch "http://dual.test:$O4/size/1000"
	dt=$(($(ms_now) - t0))
	if [ "$CODE" != 200 ] || ! body_is_pattern 1000; then
		fail dns_dual_fallback "http://dual.test:$O4: status $CODE: $(head -c 200 "$T/body")"
	elif [ $dt -gt 3000 ]; then
		fail dns_dual_fallback "took $dt ms to fall back from a refused ::1"
	else
		pass dns_dual_fallback
	fi
}

t_dns_happy_eyeballs() {
	need_dns dns_happy_eyeballs || return
	if [ -z "$O6" ]; then
		skip dns_happy_eyeballs "no IPv6 loopback"
		return
	fi
	# [::1]:O4 drops SYNs (full accept queue); 127.0.0.1:O4 is the origin
	bg bh6 "$PY" "$C" blackhole ::1 "$O4" 60
	bhpid=$BGPID
	n=0
	while [ $n -lt 100 ] && [ ! -s "$T/bh6.out" ]; do
		sleep 0.05
		n=$((n + 1))
	done
	if ! grep -q ready "$T/bh6.out"; then
		skip dns_happy_eyeballs "cannot make a SYN-dropping listener on [::1]:$O4: $(cat "$T/bh6.out" "$T/bh6.err" | tail -n 1)"
		kill_bg "$bhpid"
		return
	fi
	if ! start_proxy he --socktimeout 10 --num-workers 1; then
		fail dns_happy_eyeballs "$START_ERR"
		kill_bg "$bhpid"
		return
	fi
	t0=$(ms_now)
	fetch "http://dual-he.test:$O4/size/1000"
	dt=$(($(ms_now) - t0))
	kill_bg "$bhpid"
	if [ "$CODE" != 200 ] || ! body_is_pattern 1000; then
		fail dns_happy_eyeballs "status $CODE after $dt ms: $(head -c 200 "$T/body")"
	elif [ $dt -gt 3000 ]; then
		fail dns_happy_eyeballs "took $dt ms with a silent ::1: no Happy Eyeballs fallback (want ~250 ms, socktimeout 10 s)"
	else
		echo "     (fell back to IPv4 in $dt ms)"
		pass dns_happy_eyeballs
	fi
}

t_err_nxdomain() {
	need_dns err_nxdomain || return
	needs_shared || return
	proxy_error err_nxdomain 502 "http://nosuch.invalid/" \
	    'nosuch\.invalid|resolv|not found|unknown|name|dns'
}

# hang_lookup: one worker; starts a request for hang.test (never
# answered) and waits until the test DNS has seen it
hang_lookup() {
	if ! start_proxy hang --num-workers 1; then
		fail "$1" "$START_ERR"
		return 1
	fi
	from=$(log_size "$T/dns.log")
	curl -q -s --noproxy '' --max-time 30 -x "$PROXY_URL" -o "$T/hang.body" \
	    -w '%{http_code} %{time_total}' "http://hang.test:$O4/" \
	    >"$T/hang.out" 2>&1 &
	HANG_PID=$!
	track $HANG_PID
	n=0
	while [ $n -lt 100 ] && ! log_since "$T/dns.log" "$from" | grep -q 'hang.test'; do
		sleep 0.05
		n=$((n + 1))
	done
	if ! log_since "$T/dns.log" "$from" | grep -q 'hang.test'; then
		fail "$1" "the proxy never asked the DNS server for hang.test"
		kill_bg "$HANG_PID"
		return 1
	fi
	return 0
}

t_dns_nonblocking() {
	need_dns dns_nonblocking || return
	hang_lookup dns_nonblocking || return
	t0=$(ms_now)
	fetch "$OURL/size/10" --max-time 10
	dt=$(($(ms_now) - t0))
	if [ "$CODE" != 200 ]; then
		fail dns_nonblocking "a literal-address request during a hung lookup: status $CODE after $dt ms"
	elif [ $dt -gt 2000 ]; then
		fail dns_nonblocking "a literal-address request during a hung lookup took $dt ms (worker blocked?)"
	else
		pass dns_nonblocking
	fi
	kill_bg "$HANG_PID"
}

t_dns_concurrent() {
	need_dns dns_concurrent || return
	hang_lookup dns_concurrent || return
	t0=$(ms_now)
	fetch "http://b.test:$O4/size/10" --max-time 10
	dt=$(($(ms_now) - t0))
	if [ "$CODE" != 200 ]; then
		fail dns_concurrent "http://b.test during a hung lookup: status $CODE after $dt ms"
	elif [ $dt -gt 2000 ]; then
		fail dns_concurrent "http://b.test took $dt ms while hang.test was pending: lookups are serialised behind the hung one"
	else
		pass dns_concurrent
	fi
	kill_bg "$HANG_PID"
}

t_dns_hang_error() {
	need_dns dns_hang_error || return
	hang_lookup dns_hang_error || return
	# resolv.conf says timeout:2 attempts:1, so getaddrinfo gives up
	# after a few seconds; the client must then get an error, not hang
	if ! wait_pid "$HANG_PID" 25; then
		fail dns_hang_error "no answer 25 s after a lookup that timed out"
		kill_bg "$HANG_PID"
		return
	fi
	set -- $(cat "$T/hang.out")
	case ${1:-} in
	502|504) pass dns_hang_error ;;
	*) fail dns_hang_error "a timed-out lookup gave '$*', want 502 or 504" ;;
	esac
}
