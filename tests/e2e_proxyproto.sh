# The PROXY protocol: ports behind a balancer (--proxy-protocol,
# --proxy-protocol-listen, --proxy-protocol-from) and the header sent to
# parents (--send-proxy-protocol); sourced by tests.sh. The balancer is
# played by a raw client (pp.py) that sends headers naming addresses of
# its choosing, so the cases see the proxy use the address in the
# header, not the socket's; and by curl --haproxy-protocol.

CASES="${CASES:-} pp_header pp_bad pp_from pp_listen pp_tls pp_send pp_socks
pp_flags"

PP_PY=

# pp.py (python3 standard library):
#   send HOST PORT HEADER REQUEST [SRC] [WAIT]: connects (from SRC when
#       not "-"), sends HEADER then REQUEST (backslash escapes; "v2:SRC"
#       as HEADER builds a v2 TCP4/TCP6 header naming SRC:4660), reads
#       to EOF; prints "status N <access line word>", "closed" (EOF
#       without a byte) or "reset"; with WAIT, also "after MS"
#   tls HOST PORT HEADER REQUEST: HEADER in the clear, then TLS (no
#       verification), REQUEST in it; prints "status N"
#   socks HOST PORT HEADER THOST TPORT PATH: HEADER, then a SOCKS5
#       CONNECT (no login) to THOST:TPORT and a GET PATH through it;
#       prints "reply N" (the SOCKS5 reply code), then "status N"
pp_init() {
	PP_PY=$T/pp.py
	[ -f "$PP_PY" ] && return 0
	cat >"$PP_PY" <<'PYEOF'
import codecs, socket, ssl, struct, sys, time

SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def unesc(s):
    return codecs.escape_decode(s.encode("latin-1"))[0]


def header(h):
    if not h.startswith("v2:"):
        return unesc(h)
    src = h[3:]
    if ":" in src:
        a = socket.inet_pton(socket.AF_INET6, src)
        b = socket.inet_pton(socket.AF_INET6, "::1")
        return SIG + b"\x21\x21" + struct.pack("!H", 36) + a + b + \
            struct.pack("!HH", 4660, 80)
    a = socket.inet_pton(socket.AF_INET, src)
    b = socket.inet_pton(socket.AF_INET, "127.0.0.1")
    return SIG + b"\x21\x11" + struct.pack("!H", 12) + a + b + \
        struct.pack("!HH", 4660, 80)


def connect(host, port, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(15)
    if src and src != "-":
        s.bind((src, 0))
    s.connect((host, int(port)))
    return s


def report(out, err, t0, wait):
    if out.startswith(b"HTTP/1."):
        line = out.split(b"\r\n", 1)[0].decode("latin-1")
        msg = "status %s" % line.split(" ")[1]
    elif out:
        msg = "bytes %d" % len(out)
    else:
        msg = "reset" if err else "closed"
    if wait:
        msg += " after %d" % int((time.monotonic() - t0) * 1000)
    print(msg)


def send(a):
    s = connect(a[0], a[1], a[4] if len(a) > 4 else "-")
    wait = len(a) > 5
    t0 = time.monotonic()
    out, err = b"", None
    try:
        s.sendall(header(a[2]) + unesc(a[3]))
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except OSError as e:
        err = e
    report(out, err, t0, wait)


def tls(a):
    s = connect(a[0], a[1], "-")
    s.sendall(header(a[2]))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    t = ctx.wrap_socket(s)
    t.sendall(unesc(a[3]))
    out = b""
    try:
        while True:
            d = t.recv(65536)
            if not d:
                break
            out += d
    except (OSError, ssl.SSLError):
        pass
    report(out, None, 0, False)


def socks(a):
    s = connect(a[0], a[1], "-")
    s.sendall(header(a[2]) + b"\x05\x01\x00")
    if s.recv(2) != b"\x05\x00":
        print("no method")
        return
    s.sendall(b"\x05\x01\x00\x01" + socket.inet_aton(a[3]) +
              struct.pack("!H", int(a[4])))
    rep = b""
    while len(rep) < 10:
        d = s.recv(10 - len(rep))
        if not d:
            break
        rep += d
    print("reply %d" % (rep[1] if len(rep) > 1 else -1))
    if len(rep) < 10 or rep[1] != 0:
        return
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
               % a[5]).encode())
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    report(out, None, 0, False)


{"send": send, "tls": tls, "socks": socks}[sys.argv[1]](sys.argv[2:])
PYEOF
}

# pp_req PATH: a request for the harness origin, as a proxy client sends it
pp_req() {
	printf 'GET http://127.0.0.1:%s%s HTTP/1.1\\r\\nHost: 127.0.0.1:%s\\r\\nConnection: close\\r\\n\\r\\n' \
	    "$O4" "$1" "$O4"
}

# pp_send HEADER [SRC] [WAIT]: pp.py send to the current proxy
pp_send() {
	_pph=$1
	shift
	"$PY" "$PP_PY" send "$PH" "$P" "$_pph" "$(pp_req /status/200)" "$@" 2>&1 |
	    tail -n 1
}

t_pp_header() {
	pp_init
	if ! start_proxy pph --proxy-protocol --proxy-protocol-from 127.0.0.1,127.0.0.7 \
	    --deny 10.0.0.66,2001:db8::66; then
		fail pp_header "$START_ERR"
		return
	fi
	r1=$("$PY" "$PP_PY" send "$PH" "$P" \
	    'PROXY TCP4 10.0.0.5 127.0.0.1 5555 3128\r\n' "$(pp_req /status/201)")
	r2=$("$PY" "$PP_PY" send "$PH" "$P" v2:2001:db8::5 "$(pp_req /status/202)")
	# LOCAL (a health check): the balancer's own connection
	r3=$("$PY" "$PP_PY" send "$PH" "$P" \
	    '\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00' "$(pp_req /status/203)")
	r4=$("$PY" "$PP_PY" send "$PH" "$P" v2:10.0.0.66 "$(pp_req /status/200)")
	r5=$("$PY" "$PP_PY" send "$PH" "$P" \
	    'PROXY TCP6 2001:db8::66 ::1 5555 3128\r\n' "$(pp_req /status/200)")
	# curl as the balancer: its own address, in a v1 header
	c6=$(curl -q -sS --noproxy '' --max-time 10 --haproxy-protocol \
	    --interface 127.0.0.7 -x "$PROXY_URL" -o /dev/null -w '%{http_code}' \
	    "$OURL/status/204" 2>"$T/curl.err")
	if [ "$r1" != "status 201" ] || [ "$r2" != "status 202" ] ||
	    [ "$r3" != "status 203" ]; then
		fail pp_header "v1 '$r1', v2 '$r2', v2 LOCAL '$r3': want 201, 202, 203"
		evidence "$LOG" 8
	elif ! grep -q ' access 10\.0\.0\.5:5555 GET .* 201 ' "$LOG" ||
	    ! grep -q ' access \[2001:db8::5\]:4660 GET .* 202 ' "$LOG" ||
	    ! grep -q ' access 127\.0\.0\.1:[0-9]* GET .* 203 ' "$LOG"; then
		fail pp_header "the access lines do not name the clients of the headers"
		evidence "$LOG" 8
	elif [ "$r4" != "status 403" ] || [ "$r5" != "status 403" ]; then
		fail pp_header "--deny of the addresses the headers name: '$r4', '$r5', want 403"
	elif ! grep -q '10\.0\.0\.66:4660: refused by --allow/--deny' "$LOG" ||
	    ! grep -q '\[2001:db8::66\]:5555: refused by --allow/--deny' "$LOG"; then
		fail pp_header "no log lines for the refused clients"
		evidence "$LOG" 5
	elif [ "$c6" != 204 ] || ! grep -q ' access 127\.0\.0\.7:[0-9]* GET .* 204 ' "$LOG"; then
		fail pp_header "curl --haproxy-protocol from 127.0.0.7: status $c6: $(head -c 200 "$T/curl.err")"
		evidence "$LOG" 5
	else
		pass pp_header
	fi
}

t_pp_bad() {
	pp_init
	if ! start_proxy ppb --proxy-protocol --proxy-protocol-from 127.0.0.1 \
	    --socktimeout 2; then
		fail pp_bad "$START_ERR"
		return
	fi
	# a good client in flight all along: curl as a balancer, a slow answer
	curl -q -sS --noproxy '' --max-time 20 --haproxy-protocol \
	    -x "$PROXY_URL" -o /dev/null -w '%{http_code}' "$OURL/slow/2500" \
	    >"$T/pp-good.out" 2>&1 &
	good=$!
	sig='\r\n\r\n\x00\r\nQUIT\n'
	long=$(printf 'PROXY UNKNOWN %0100d' 0)
	bad=
	n0=$(grep -c 'closing: ' "$LOG")
	for h in "$(pp_req /status/200)" "$long" \
	    "${sig}\\x21\\x11\\xff\\xff" "${sig}\\x21\\x41\\x00\\x0c" \
	    'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n' "${sig}\\x31\\x11\\x00\\x0c"; do
		r=$("$PY" "$PP_PY" send "$PH" "$P" "$h" "")
		case $r in
		closed|reset) ;;
		*) bad="$bad [$h: $r]" ;;
		esac
	done
	n1=$(grep -c 'closing: ' "$LOG")
	# the header begun, then nothing: closed at --socktimeout
	r=$("$PY" "$PP_PY" send "$PH" "$P" 'PROXY TCP4 10.0.0' "" - wait)
	ms=${r##* }
	wait_pid "$good" 20
	gc=$(cat "$T/pp-good.out")
	c2=$(curl -q -sS --noproxy '' --max-time 10 --haproxy-protocol \
	    -x "$PROXY_URL" -o /dev/null -w '%{http_code}' "$OURL/status/200" \
	    2>&1)
	if [ -n "$bad" ]; then
		fail pp_bad "bad headers not closed:$bad"
	elif [ $((n1 - n0)) -lt 6 ]; then
		fail pp_bad "$((n1 - n0)) log lines for 6 closed connections"
		evidence "$LOG" 8
	elif ! grep -q 'closing: v1: no CRLF within 107 bytes' "$LOG" ||
	    ! grep -q 'closing: v2: the length runs past' "$LOG" ||
	    ! grep -q 'closing: v2: the family is not' "$LOG" ||
	    ! grep -q 'closing: not a PROXY protocol header' "$LOG"; then
		fail pp_bad "the log lines do not say why"
		evidence "$LOG" 8
	else
		case $r in
		"closed after "*|"reset after "*) ;;
		*) ms=0 ;;
		esac
		if [ "$ms" -lt 1500 ] || [ "$ms" -gt 6000 ]; then
			fail pp_bad "a stalled header: '$r', want closed after about 2 s (--socktimeout 2)"
		elif ! grep -q 'no complete PROXY header within 2 s' "$LOG"; then
			fail pp_bad "no log line for the stalled header"
			evidence "$LOG" 5
		elif [ "$gc" != 200 ] || [ "$c2" != 200 ]; then
			fail pp_bad "good clients beside the bad ones: '$gc' (during), '$c2' (after), want 200"
		else
			pass pp_bad
		fi
	fi
}

t_pp_from() {
	pp_init
	if ! start_proxy ppf --proxy-protocol --proxy-protocol-from 127.0.0.1,127.0.0.4; then
		fail pp_from "$START_ERR"
		return
	fi
	r1=$(pp_send 'PROXY TCP4 10.0.0.5 127.0.0.1 5555 3128\r\n' 127.0.0.3)
	r2=$(pp_send 'PROXY TCP4 10.0.0.6 127.0.0.1 5555 3128\r\n' 127.0.0.4)
	if [ "$r1" != closed ] && [ "$r1" != reset ]; then
		fail pp_from "a header from 127.0.0.3 (not in --proxy-protocol-from): '$r1', want the connection closed"
	elif ! grep -q '127\.0\.0\.3:[0-9]*: refused: not in --proxy-protocol-from' "$LOG"; then
		fail pp_from "no log line for the forged header"
		evidence "$LOG" 5
	elif grep -q ' access 10\.0\.0\.5:' "$LOG"; then
		fail pp_from "the forged header's address was used"
	elif [ "$r2" != "status 200" ] || ! grep -q ' access 10\.0\.0\.6:5555 ' "$LOG"; then
		fail pp_from "a header from 127.0.0.4 (listed): '$r2'"
		evidence "$LOG" 5
	else
		pass pp_from
	fi
}

t_pp_listen() {
	pp_init
	p2=$(freeport)
	if ! start_proxy ppl --proxy-protocol-listen "127.0.0.1:$p2"; then
		fail pp_listen "$START_ERR"
		return
	fi
	c1=$(pcurl -o /dev/null -w '%{http_code}' "$OURL/status/200" 2>&1)
	c2=$(curl -q -sS --noproxy '' --max-time 10 -x "http://127.0.0.1:$p2" \
	    -o /dev/null -w '%{http_code}' "$OURL/status/200" 2>/dev/null)
	r3=$("$PY" "$PP_PY" send 127.0.0.1 "$p2" \
	    'PROXY TCP4 10.0.0.8 127.0.0.1 5555 3128\r\n' "$(pp_req /status/200)")
	if [ "$c1" != 200 ]; then
		fail pp_listen "the plain port: status $c1"
	elif [ "$c2" = 200 ]; then
		fail pp_listen "the --proxy-protocol-listen port served a client without a header"
	elif [ "$r3" != "status 200" ] || ! grep -q ' access 10\.0\.0\.8:5555 ' "$LOG"; then
		fail pp_listen "a header on the --proxy-protocol-listen port: '$r3'"
		evidence "$LOG" 5
	else
		pass pp_listen
	fi
}

# TLS behind the header: the header is read to its last byte and no
# further, so the handshake that follows is the TLS engine's whole; and
# to an https:// parent, the header goes ahead of the handshake
t_pp_tls() {
	tls_ready pp_tls || return
	pp_init
	if ! tls_proxy pptb ec --proxy-protocol --proxy-protocol-from 127.0.0.1; then
		fail pp_tls "$START_ERR"
		return
	fi
	bp=$P
	blog=$LOG
	r1=$("$PY" "$PP_PY" tls 127.0.0.1 "$bp" \
	    'PROXY TCP4 10.0.0.9 127.0.0.1 5555 3128\r\n' "$(pp_req /status/200)")
	if ! start_proxy ppta --proxy "https://127.0.0.1:$bp" \
	    --insecure-upstream --send-proxy-protocol 2; then
		fail pp_tls "$START_ERR"
		return
	fi
	c2=$(curl -q -sS --noproxy '' --max-time 10 --interface 127.0.0.10 \
	    -x "$PROXY_URL" -o /dev/null -w '%{http_code}' "$OURL/status/200" \
	    2>"$T/curl.err")
	if [ "$r1" != "status 200" ] || ! grep -q ' access 10\.0\.0\.9:5555 ' "$blog"; then
		fail pp_tls "a v1 header, then TLS: '$r1'"
		evidence "$blog" 5
	elif [ "$c2" != 200 ] || ! grep -q ' access 127\.0\.0\.10:[0-9]* GET ' "$blog"; then
		fail pp_tls "--send-proxy-protocol 2 to an https:// parent: status $c2; the parent's log does not name 127.0.0.10"
		evidence "$blog" 5
	else
		pass pp_tls
	fi
}

# The header to parents: the parent (a proxy with --proxy-protocol)
# logs the client the first proxy saw; a parent connection carries one
# client's requests, and is reused for that client
t_pp_send() {
	for v in 1 2; do
		if ! start_proxy "ppsb$v" --proxy-protocol \
		    --proxy-protocol-from 127.0.0.1; then
			fail pp_send "$START_ERR"
			return
		fi
		bp=$P
		blog=$LOG
		if ! start_proxy "ppsa$v" --num-workers 1 --proxy "127.0.0.1:$bp" \
		    --send-proxy-protocol "$v"; then
			fail pp_send "$START_ERR"
			return
		fi
		codes=
		for src in 127.0.0.5 127.0.0.6 127.0.0.5; do
			codes="$codes $(curl -q -sS --noproxy '' --max-time 10 \
			    --interface "$src" -x "$PROXY_URL" -o /dev/null \
			    -w '%{http_code}' "$OURL/status/200" 2>&1)"
		done
		got=$(grep ' access ' "$blog" | awk '{ sub(/:[0-9]+$/, "", $5); print $5 }' |
		    tr '\n' ' ')
		nacc=$(grep -c 'PROXY v[12] header from' "$blog")
		if [ "$codes" != " 200 200 200" ]; then
			fail pp_send "v$v: statuses$codes, want 200 each"
			evidence "$LOG" 5
			return
		elif [ "$got" != "127.0.0.5 127.0.0.6 127.0.0.5 " ]; then
			fail pp_send "v$v: the parent logged clients '$got', want 127.0.0.5 127.0.0.6 127.0.0.5"
			evidence "$blog" 6
			return
		elif [ "$nacc" != 2 ]; then
			fail pp_send "v$v: the parent accepted $nacc connections for three requests of two clients, want 2 (one each, reused)"
			evidence "$blog" 8
			return
		fi
		stop_proxy "ppsa$v"
		stop_proxy "ppsb$v"
	done
	pass pp_send
}

# A SOCKS port behind the balancer: the header names the client, and a
# client --deny refuses gets SOCKS5's "not allowed by ruleset" (2)
t_pp_socks() {
	pp_init
	if ! "$PROXY_BIN" --help 2>&1 | grep -q -- --socks5-listen; then
		skip pp_socks "this build has no --socks5-listen"
		return
	fi
	sp=$(freeport)
	if ! start_proxy pps --proxy-protocol --proxy-protocol-from 127.0.0.1 \
	    --socks5-listen "127.0.0.1:$sp" --deny 10.0.0.66; then
		fail pp_socks "$START_ERR"
		return
	fi
	r1=$("$PY" "$PP_PY" socks 127.0.0.1 "$sp" \
	    'PROXY TCP4 10.0.0.5 127.0.0.1 5555 1080\r\n' 127.0.0.1 "$O4" \
	    /status/200 | tr '\n' ' ')
	r2=$("$PY" "$PP_PY" socks 127.0.0.1 "$sp" v2:10.0.0.66 127.0.0.1 "$O4" \
	    /status/200 | tr '\n' ' ')
	if [ "$r1" != "reply 0 status 200 " ]; then
		fail pp_socks "SOCKS5 after a v1 header: '$r1'"
		evidence "$LOG" 5
	elif ! grep -q ' access 10\.0\.0\.5:5555 ' "$LOG"; then
		fail pp_socks "the access line does not name the header's client"
		evidence "$LOG" 5
	elif [ "$r2" != "reply 2 " ]; then
		fail pp_socks "a denied client named by a v2 header: '$r2', want reply 2 (not allowed by ruleset)"
		evidence "$LOG" 5
	else
		pass pp_socks
	fi
}

# Bad values of the new flags: exit status 2 and a message naming the
# flag (they exit before binding anything)
t_pp_flags() {
	bad=
	for a in "--send-proxy-protocol 3" "--proxy-protocol-from 10.0.0.0/99" \
	    "--proxy-protocol-listen 127.0.0.1" "--transparent-listen 0" \
	    "--transparent-listen a:b"; do
		flag=${a%% *}
		# shellcheck disable=SC2086
		timeout 10 "$PROXY_BIN" $a --log-file /dev/null \
		    >"$T/ppf.out" 2>&1
		rc=$?
		grep -q -- "$flag: " "$T/ppf.out" && [ $rc = 2 ] ||
		    bad="$bad [$a: status $rc, '$(head -c 120 "$T/ppf.out")']"
	done
	if [ -n "$bad" ]; then
		fail pp_flags "bad values not refused with status 2 naming the flag:$bad"
	else
		pass pp_flags
	fi
}
