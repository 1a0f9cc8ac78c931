# The SOCKS listener (--socks5-listen): curl's four SOCKS modes, PySocks,
# IPv6, the routing a CONNECT gets (NTLM parent, PAC, --noproxy,
# failover, --connect-ports, --allow/--deny), the RFC 1928 reply codes,
# RFC 1929 logins, cntlm.conf's keys, and bad input (truncated messages
# at every byte, stalls, odd greetings and names); sourced by tests.sh.

CASES="${CASES:-} socks_curl socks_ipv6 socks_pysocks socks_ntlm_parent
socks_pac_noproxy socks_failover socks_connect_ports socks_acl socks_codes
socks_codes_dns socks_auth socks_cntlm_conf socks_greetings socks_names
socks_truncated socks_early_request"

SK_PY=$ROOT/tests/socksclient.py
SK_HOST=127.0.0.1	# the name clients ask for, set by sk_names

# ---------------------------------------------------------------- helpers

# sk_start NAME [flags]: start_proxy NAME with a SOCKS port on
# 127.0.0.1:SK_PORT too (--socktimeout 2 unless given); fails the case when
# either does not come up
sk_start() {
	_skn=$1
	shift
	SK_PORT=$(freeport)
	case " $* " in
	*" --socktimeout "*) ;;
	*) set -- --socktimeout 2 "$@" ;;
	esac
	if ! start_proxy "$_skn" --socks5-listen "127.0.0.1:$SK_PORT" "$@"; then
		fail "$CASE" "$START_ERR"
		return 1
	fi
	if ! waitport 127.0.0.1 "$SK_PORT" 10; then
		fail "$CASE" "the SOCKS port 127.0.0.1:$SK_PORT is not listening"
		evidence "$LOG" 5
		return 1
	fi
	return 0
}

# sk ARGS: socksclient.py against the current SOCKS port, output in $T/sk
sk() {
	_cmd=$1
	shift
	"$PY" "$SK_PY" "$_cmd" 127.0.0.1 "$SK_PORT" "$@" >"$T/sk" 2>&1
}

# sk_reply: the reply code socksclient.py connect printed, or its
# "noreply ..." line
sk_reply() {
	sed -n 's/^reply //p; s/^\(noreply .*\)/\1/p; s/^\(error .*\)/\1/p' \
	    "$T/sk" | head -n 1
}

# sk_http_ok N: socksclient.py's GET of /size/N came back whole
sk_http_ok() {
	grep -q "^http 200 $1 $(sha_pat "$1")" "$T/sk"
}

# sk_names: SK_HOST is a name the proxy resolves to 127.0.0.1 (the
# test DNS's probe.test, else localhost from /etc/hosts), so the
# clients send a domain name; 127.0.0.1 when there is none
sk_names() {
	SK_HOST=127.0.0.1
	if [ "$DNS_OK" = 1 ]; then
		SK_HOST=probe.test
	elif grep -qE '^[[:space:]]*127\.0\.0\.1[[:space:]].*\blocalhost\b' /etc/hosts; then
		SK_HOST=localhost
	fi
}

# sk_curl MODE URL [curl args]: curl through the SOCKS port; status in
# CODE, body in $T/body
sk_curl() {
	_mode=$1
	_url=$2
	shift 2
	rm -f "$T/body"
	CODE=$(curl -q -sS --max-time 15 --"$_mode" "127.0.0.1:$SK_PORT" \
	    -o "$T/body" -w '%{http_code}' "$@" "$_url" 2>"$T/curl.err")
	CURL_RC=$?
	[ -f "$T/body" ] || : >"$T/body"
}

# sk_body_is N: $T/body is the origin's first N pattern bytes
sk_body_is() {
	[ "$(wc -c <"$T/body")" -eq "$1" ] &&
	    [ "$(sha_file "$T/body")" = "$(sha_pat "$1")" ]
}

# sk_talk_is WANT-REST WANT-EOF: socksclient.py talk's rest and eof lines
sk_talk_is() {
	grep -qx "rest $1" "$T/sk" && grep -qx "eof $2" "$T/sk"
}

# ---------------------------------------------------------------- cases

t_socks_curl() {
	sk_start skc || return
	sk_names
	bad=
	for m in socks5-hostname socks5 socks4a socks4; do
		h=$SK_HOST
		case $m in socks5|socks4) h=127.0.0.1 ;; esac
		sk_curl "$m" "http://$h:$O4/size/300000"
		if [ "$CODE" != 200 ] || ! sk_body_is 300000; then
			bad="$bad; --$m http://$h:$O4/: status $CODE, $(wc -c <"$T/body") bytes, $(head -c 150 "$T/curl.err")"
		fi
	done
	# what curl sent, in the access log: names for the -hostname and
	# 4a modes, and each version's method
	for w in " SOCKS5 $SK_HOST:$O4 - 200 " " SOCKS4 $SK_HOST:$O4 - 200 " \
	    " SOCKS5 127.0.0.1:$O4 - 200 " " SOCKS4 127.0.0.1:$O4 - 200 "; do
		access_has "$w" || bad="$bad; no access line with '$w'"
	done
	if [ -n "$bad" ]; then
		fail socks_curl "${bad#; }"
		grep ' access ' "$LOG" | tail -n 4 | sed 's/^/    | /'
	else
		pass socks_curl
	fi
}

t_socks_ipv6() {
	if [ -z "$O6" ]; then
		skip socks_ipv6 "no IPv6 loopback"
		return
	fi
	S6=$(freeport ::1)
	sk_start sk6 --socks5-listen "[::1]:$S6" || return
	bad=
	sk_curl socks5 "http://[::1]:$O6/size/1000"
	[ "$CODE" = 200 ] && sk_body_is 1000 ||
	    bad="$bad; curl --socks5 http://[::1]:$O6/: $CODE $(head -c 150 "$T/curl.err")"
	sk connect 5 ::1 "$O6"
	[ "$(sk_reply)" = 0 ] && sk_http_ok 1000 ||
	    bad="$bad; SOCKS5 ATYP 4 to ::1: $(tr '\n' ' ' <"$T/sk")"
	access_has " SOCKS5 [::1]:$O6 - 200 " ||
	    bad="$bad; no access line for [::1]:$O6"
	# the listener on ::1 (ADDR:PORT with an IPv6 address)
	rm -f "$T/body"
	c=$(curl -q -sS --max-time 15 --socks5 "[::1]:$S6" -o "$T/body" \
	    -w '%{http_code}' "http://127.0.0.1:$O4/size/1000" 2>"$T/curl.err")
	[ "$c" = 200 ] && sk_body_is 1000 ||
	    bad="$bad; through --socks5-listen [::1]:$S6: $c $(head -c 150 "$T/curl.err")"
	if [ -n "$bad" ]; then
		fail socks_ipv6 "${bad#; }"
	else
		pass socks_ipv6
	fi
}

t_socks_pysocks() {
	_sp=
	for _py in "$PY" python3 /usr/bin/python3; do
		if "$_py" -c 'import socks' 2>/dev/null; then
			_sp=$_py
			break
		fi
	done
	if [ -z "$_sp" ]; then
		skip socks_pysocks "PySocks (python3-socks) is not installed (tests/deps.sh installs it as root)"
		return
	fi
	sk_start skpy || return
	sk_names
	cat >"$T/pysocks.py" <<'PYEOF'
import hashlib, sys
import socks

host, port, target, tport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
user = sys.argv[5] if len(sys.argv) > 6 else None
pw = sys.argv[6] if len(sys.argv) > 6 else None
kinds = [("socks5", socks.SOCKS5, True), ("socks5-ip", socks.SOCKS5, False)]
if user is None:
    kinds += [("socks4a", socks.SOCKS4, True), ("socks4", socks.SOCKS4, False)]
for name, kind, rdns in kinds:
    s = socks.socksocket()
    s.set_proxy(kind, host, port, rdns=rdns, username=user, password=pw)
    s.settimeout(10)
    try:
        s.connect((target if rdns else "127.0.0.1", tport))
        s.sendall(b"GET /size/200000 HTTP/1.0\r\nHost: x\r\n\r\n")
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
        head, _, body = data.partition(b"\r\n\r\n")
        print(name, head.split(b" ")[1].decode(), len(body),
              hashlib.sha256(body).hexdigest())
    except Exception as e:
        print(name, "error", type(e).__name__, e)
    s.close()
PYEOF
	"$_sp" "$T/pysocks.py" 127.0.0.1 "$SK_PORT" "$SK_HOST" "$O4" >"$T/pysocks.out" 2>&1
	want="200 200000 $(sha_pat 200000)"
	bad=
	for k in socks5 socks5-ip socks4a socks4; do
		grep -qx "$k $want" "$T/pysocks.out" || bad="$bad $k"
	done
	# and with a login (RFC 1929)
	sk_start skpy2 --socks5-auth 'pyuser:py pass' || return
	"$_sp" "$T/pysocks.py" 127.0.0.1 "$SK_PORT" "$SK_HOST" "$O4" pyuser 'py pass' \
	    >"$T/pysocks2.out" 2>&1
	for k in socks5 socks5-ip; do
		grep -qx "$k $want" "$T/pysocks2.out" || bad="$bad $k-login"
	done
	if [ -n "$bad" ]; then
		fail socks_pysocks "PySocks failed:$bad"
		sed 's/^/    | /' "$T/pysocks.out" "$T/pysocks2.out"
	else
		pass socks_pysocks
	fi
}

# The target through a parent that wants NTLM (tests/ntlm_parent.py):
# the SOCKS client knows nothing of it.
t_socks_ntlm_parent() {
	needs_built NTLM socks_ntlm_parent || return
	par_ntlm skpar || { par_stop_all; return; }
	SK_PORT=$(freeport)
	if ! par_proxy skntlm "$PAR_PW" --socks5-listen "127.0.0.1:$SK_PORT" \
	    --proxy "127.0.0.1:$PARENT" --username "$PAR_DOM\\$PAR_USER" \
	    --num-workers 1 || ! waitport 127.0.0.1 "$SK_PORT" 10; then
		par_stop_all
		return
	fi
	sk_names
	bad=
	for m in socks5-hostname socks4a; do
		sk_curl "$m" "http://$SK_HOST:$O4/size/1000000"
		[ "$CODE" = 200 ] && sk_body_is 1000000 ||
		    bad="$bad; --$m: status $CODE, $(wc -c <"$T/body") bytes, $(head -c 150 "$T/curl.err")"
	done
	par_stats "$PARENT"
	[ "${PS_logins:-0}" -ge 1 ] 2>/dev/null && [ "${PS_failures:-1}" = 0 ] ||
	    bad="$bad; the parent saw $(par_summary)"
	grep -q "CONNECT $SK_HOST:$O4" "$T/skpar.log" ||
	    bad="$bad; the parent's log has no CONNECT $SK_HOST:$O4"
	access_has " SOCKS5 $SK_HOST:$O4 - 200 " && grep ' access ' "$LOG" |
	    grep -q "PROXY 127.0.0.1:$PARENT" ||
	    bad="$bad; no access line SOCKS5 ... PROXY 127.0.0.1:$PARENT"
	if [ -n "$bad" ]; then
		fail socks_ntlm_parent "${bad#; }"
		par_evidence skpar
	else
		pass socks_ntlm_parent
	fi
	par_stop_all
}

# A PAC file sends one host through a parent and the rest DIRECT; with
# --proxy at a dead parent, --noproxy names what goes direct.
t_socks_pac_noproxy() {
	needs_built PAC socks_pac_noproxy || return
	par_start skpacpar --auth none || { par_stop_all; return; }
	sk_names
	cat >"$T/sk.pac" <<EOF
function FindProxyForURL(url, host) {
	if (host == "127.0.0.1") return "PROXY 127.0.0.1:$PARENT";
	return "DIRECT";
}
EOF
	sk_start skpac --pac "$T/sk.pac" || { par_stop_all; return; }
	bad=
	sk connect 5 127.0.0.1 "$O4"
	[ "$(sk_reply)" = 0 ] && sk_http_ok 1000 ||
	    bad="$bad; PAC PROXY: $(tr '\n' ' ' <"$T/sk")"
	grep -q "CONNECT 127.0.0.1:$O4" "$T/skpacpar.log" ||
	    bad="$bad; the PAC's parent saw no CONNECT 127.0.0.1:$O4"
	if [ "$SK_HOST" != 127.0.0.1 ]; then
		sk connect 5h "$SK_HOST" "$O4"
		[ "$(sk_reply)" = 0 ] && sk_http_ok 1000 ||
		    bad="$bad; PAC DIRECT for $SK_HOST: $(tr '\n' ' ' <"$T/sk")"
		grep -q "CONNECT $SK_HOST:" "$T/skpacpar.log" &&
		    bad="$bad; $SK_HOST went to the parent, not DIRECT"
	fi
	par_stop_all
	sk_start sknp --proxy "127.0.0.1:$CLOSED" --noproxy 127.0.0.1 || return
	sk connect 5 127.0.0.1 "$O4"
	[ "$(sk_reply)" = 0 ] && sk_http_ok 1000 ||
	    bad="$bad; --noproxy 127.0.0.1: $(tr '\n' ' ' <"$T/sk")"
	if [ "$SK_HOST" != 127.0.0.1 ]; then
		# not in --noproxy: the dead parent, our failure (X'01')
		sk connect 5h "$SK_HOST" "$O4"
		[ "$(sk_reply)" = 1 ] ||
		    bad="$bad; through a dead parent: '$(sk_reply)', want reply 1"
	fi
	if [ -n "$bad" ]; then
		fail socks_pac_noproxy "${bad#; }"
		evidence "$LOG" 6
	else
		pass socks_pac_noproxy
	fi
}

t_socks_failover() {
	par_start skfo --auth none || { par_stop_all; return; }
	sk_start skfo1 --proxy "127.0.0.1:$CLOSED,127.0.0.1:$PARENT" ||
	    { par_stop_all; return; }
	sk connect 4 127.0.0.1 "$O4"
	if [ "$(sk_reply)" != 90 ] || ! sk_http_ok 1000; then
		fail socks_failover "first parent dead, second alive: $(tr '\n' ' ' <"$T/sk")"
		evidence "$LOG" 6
	elif ! grep -q "CONNECT 127.0.0.1:$O4" "$T/skfo.log"; then
		fail socks_failover "the second parent saw no CONNECT"
	elif ! grep -q "trying 127.0.0.1:$PARENT" "$LOG"; then
		fail socks_failover "no log line of the failover to 127.0.0.1:$PARENT"
	else
		pass socks_failover
	fi
	par_stop_all
}

t_socks_connect_ports() {
	sk_start skcp --connect-ports 443 || return
	bad=
	sk connect 5 127.0.0.1 "$O4"
	[ "$(sk_reply)" = 2 ] || bad="$bad; SOCKS5: '$(sk_reply)', want reply 2"
	sk connect 4 127.0.0.1 "$O4"
	[ "$(sk_reply)" = 91 ] || bad="$bad; SOCKS4: '$(sk_reply)', want 91"
	grep -q "403 CONNECT to this port is not allowed" "$LOG" ||
	    bad="$bad; no 403 log line"
	sk_start skcp2 --connect-ports "443,$O4" || return
	sk connect 5 127.0.0.1 "$O4"
	[ "$(sk_reply)" = 0 ] && sk_http_ok 1000 ||
	    bad="$bad; an allowed port: $(tr '\n' ' ' <"$T/sk")"
	if [ -n "$bad" ]; then
		fail socks_connect_ports "${bad#; }"
	else
		pass socks_connect_ports
	fi
}

# --deny: the SOCKS client is told in SOCKS (X'02'), the HTTP port still
# answers 403 at accept.
t_socks_acl() {
	sk_start skacl --deny 127.0.0.1 || return
	bad=
	sk connect 5 127.0.0.1 "$O4"
	[ "$(sk_reply)" = 2 ] || bad="$bad; SOCKS5: '$(sk_reply)', want reply 2"
	sk connect 4 127.0.0.1 "$O4"
	[ "$(sk_reply)" = 91 ] || bad="$bad; SOCKS4: '$(sk_reply)', want 91"
	# a denied client's login is never checked: it gets X'02' all the same
	sk connect 5 127.0.0.1 "$O4" nobody nothing
	[ "$(sk_reply)" = 2 ] || bad="$bad; SOCKS5 with a login: '$(sk_reply)'"
	grep -q "403 refused by --allow/--deny/--hostonly" "$LOG" ||
	    bad="$bad; no log line of the refusal"
	fetch "$OURL/size/10"
	[ "$CODE" = 403 ] || bad="$bad; the HTTP port answered $CODE, want 403"
	if [ -n "$bad" ]; then
		fail socks_acl "${bad#; }"
		evidence "$LOG" 5
	else
		pass socks_acl
	fi
}

t_socks_codes() {
	sk_start skcodes || return
	bad=
	sk connect 5 127.0.0.1 "$CLOSED"
	[ "$(sk_reply)" = 5 ] || bad="$bad; closed port: '$(sk_reply)', want 5 (refused)"
	sk connect 4 127.0.0.1 "$CLOSED"
	[ "$(sk_reply)" = 91 ] || bad="$bad; SOCKS4 closed port: '$(sk_reply)', want 91"
	# BIND and UDP ASSOCIATE: X'07', then the close
	sk talk send:050100 read:2 send:05020001010203040015
	sk_talk_is 05070001000000000000 yes || bad="$bad; BIND: $(tr '\n' ' ' <"$T/sk")"
	sk talk send:050100 read:2 send:05030001000000000000
	sk_talk_is 05070001000000000000 yes || bad="$bad; UDP ASSOCIATE: $(tr '\n' ' ' <"$T/sk")"
	sk talk send:040200150102030400
	sk_talk_is 005b000000000000 yes || bad="$bad; SOCKS4 BIND: $(tr '\n' ' ' <"$T/sk")"
	# an unknown address type: X'08' as soon as its byte is in
	sk talk send:050100 read:2 send:05010009
	sk_talk_is 05080001000000000000 yes || bad="$bad; ATYP 9: $(tr '\n' ' ' <"$T/sk")"
	grep -q "501 SOCKS BIND is not supported" "$LOG" ||
	    bad="$bad; no log line for BIND"
	grep -q "400 an unknown address type" "$LOG" ||
	    bad="$bad; no log line for the address type"
	if [ -n "$bad" ]; then
		fail socks_codes "${bad#; }"
		evidence "$LOG" 6
	else
		pass socks_codes
	fi
}

# Names: NXDOMAIN is "host unreachable" (X'04'), a lookup that does not
# end within --socktimeout is "TTL expired" (X'06').
t_socks_codes_dns() {
	if [ "$DNS_OK" != 1 ]; then
		skip socks_codes_dns "no test DNS ($DNS_NOTE)"
		return
	fi
	sk_start skdns --socktimeout 1 || return
	bad=
	sk connect 5h nothing.invalid "$O4"
	[ "$(sk_reply)" = 4 ] || bad="$bad; NXDOMAIN: '$(sk_reply)', want 4"
	t0=$(ms_now)
	sk connect 5h hang.test "$O4"
	dt=$(($(ms_now) - t0))
	[ "$(sk_reply)" = 6 ] || bad="$bad; a lookup that hangs: '$(sk_reply)', want 6"
	[ "$dt" -lt 4000 ] || bad="$bad; the hanging lookup was answered after $dt ms (--socktimeout 1)"
	sk connect 4a nothing.invalid "$O4"
	[ "$(sk_reply)" = 91 ] || bad="$bad; SOCKS4a NXDOMAIN: '$(sk_reply)', want 91"
	if [ -n "$bad" ]; then
		fail socks_codes_dns "${bad#; }"
		evidence "$LOG" 6
	else
		pass socks_codes_dns
	fi
}

t_socks_auth() {
	h=$(printf '%s' 'pw 2' | sha256sum | cut -d' ' -f1)
	printf 'alice:pw1\n# a comment\nbob:{SHA256}%s\n' "$h" >"$T/sk.users"
	sk_start skauth --socks5-users "$T/sk.users" || return
	bad=
	rm -f "$T/body"
	c=$(curl -q -sS --max-time 15 -x "socks5h://alice:pw1@127.0.0.1:$SK_PORT" \
	    -o "$T/body" -w '%{http_code}' "http://127.0.0.1:$O4/size/5000" \
	    2>"$T/curl.err")
	[ "$c" = 200 ] && sk_body_is 5000 ||
	    bad="$bad; curl with alice:pw1: $c $(head -c 150 "$T/curl.err")"
	sk connect 5 127.0.0.1 "$O4" bob 'pw 2'
	[ "$(sk_reply)" = 0 ] && sk_http_ok 1000 ||
	    bad="$bad; bob ({SHA256} line): $(tr '\n' ' ' <"$T/sk")"
	# a wrong password: status X'01', then the close
	sk talk send:050102 read:2 send:0105616c69636503787878
	grep -qx 'recv 0502' "$T/sk" && sk_talk_is 0101 yes ||
	    bad="$bad; wrong password: $(tr '\n' ' ' <"$T/sk")"
	grep -q "407 wrong SOCKS5 user name or password" "$LOG" ||
	    bad="$bad; no log line of the wrong password"
	# no login offered: no acceptable method (X'FF')
	sk talk send:050100
	sk_talk_is 05ff yes || bad="$bad; no login offered: $(tr '\n' ' ' <"$T/sk")"
	# SOCKS4 has no password
	sk connect 4 127.0.0.1 "$O4"
	[ "$(sk_reply)" = 91 ] || bad="$bad; SOCKS4 with logins required: '$(sk_reply)'"
	if [ -n "$bad" ]; then
		fail socks_auth "${bad#; }"
		evidence "$LOG" 6
	else
		pass socks_auth
	fi
}

# cntlm.conf's SOCKS5Proxy (a bare port: loopback) and SOCKS5Users (and
# the SOCKS5User its manual names); --save keeps hashes, not passwords.
t_socks_cntlm_conf() {
	SK_PORT=$(freeport)
	cat >"$T/skcntlm.conf" <<EOF
# cntlm.conf
SOCKS5Proxy	$SK_PORT
SOCKS5Users	dave:pass-d
SOCKS5User	erin:pass-e
EOF
	if ! start_proxy skcn --config "$T/skcntlm.conf" ||
	    ! waitport 127.0.0.1 "$SK_PORT" 10; then
		fail socks_cntlm_conf "${START_ERR:-the SOCKS port $SK_PORT is not listening}"
		return
	fi
	bad=
	sk connect 5 127.0.0.1 "$O4" dave pass-d
	[ "$(sk_reply)" = 0 ] && sk_http_ok 1000 ||
	    bad="$bad; dave: $(tr '\n' ' ' <"$T/sk")"
	sk connect 5 127.0.0.1 "$O4" erin pass-e
	[ "$(sk_reply)" = 0 ] || bad="$bad; erin: $(tr '\n' ' ' <"$T/sk")"
	sk connect 5 127.0.0.1 "$O4" dave wrong
	grep -q '^noreply login 0101' "$T/sk" || bad="$bad; a wrong password: $(tr '\n' ' ' <"$T/sk")"
	cp "$T/skcntlm.conf" "$T/sksave.conf"
	"$PROXY_BIN" --config "$T/sksave.conf" --save >"$T/sksave.out" 2>&1 ||
	    bad="$bad; --save: $(cat "$T/sksave.out")"
	grep -q "^socks5-listen = $SK_PORT\$" "$T/sksave.conf" &&
	    grep -q '^socks5-auth = dave:{SHA256}' "$T/sksave.conf" ||
	    bad="$bad; --save wrote: $(tr '\n' ' ' <"$T/sksave.conf")"
	grep -q 'pass-d' "$T/sksave.conf" && bad="$bad; --save wrote a password"
	"$PROXY_BIN" --socks5-listen 'nonsense:port' --port 1 --save \
	    --config "$T/sksave.conf" >"$T/skbad.out" 2>&1
	rc=$?
	[ $rc = 2 ] && grep -q -- "--socks5-listen: 'nonsense:port' is not \[ADDR:\]PORT" "$T/skbad.out" ||
	    bad="$bad; a bad --socks5-listen: exit $rc, $(head -c 200 "$T/skbad.out")"
	if [ -n "$bad" ]; then
		fail socks_cntlm_conf "${bad#; }"
		evidence "$LOG" 5
	else
		pass socks_cntlm_conf
	fi
}

t_socks_greetings() {
	sk_start skgr || return
	bad=
	# no methods: no acceptable method, then the close
	sk talk send:0500
	sk_talk_is 05ff yes || bad="$bad; NMETHODS 0: $(tr '\n' ' ' <"$T/sk")"
	# 255 methods, X'00' last: a valid greeting
	m=$(awk 'BEGIN { for (i = 0; i < 254; i++) printf "80"; printf "00" }')
	sk talk "send:05ff$m" read:2 shut
	grep -qx 'recv 0500' "$T/sk" || bad="$bad; 255 methods: $(tr '\n' ' ' <"$T/sk")"
	# not SOCKS at all (HTTP on the SOCKS port): closed, logged
	sk talk send:474554202f20485454502f312e310d0a0d0a
	sk_talk_is "" yes || bad="$bad; HTTP on the SOCKS port: $(tr '\n' ' ' <"$T/sk")"
	grep -q "400 not SOCKS: the first byte is 0x47" "$LOG" ||
	    bad="$bad; no log line for HTTP on the SOCKS port"
	if [ -n "$bad" ]; then
		fail socks_greetings "${bad#; }"
	else
		pass socks_greetings
	fi
}

t_socks_names() {
	sk_start sknm || return
	bad=
	# an empty name: X'01', then the close
	sk talk send:050100 read:2 send:050100030000"$(printf '%04x' "$O4")"
	sk_talk_is 05010001000000000000 yes || bad="$bad; empty name: $(tr '\n' ' ' <"$T/sk")"
	# a name with a byte no host name has
	sk talk send:050100 read:2 send:05010003036125620050
	sk_talk_is 05010001000000000000 yes || bad="$bad; name 'a%b': $(tr '\n' ' ' <"$T/sk")"
	if [ "$DNS_OK" = 1 ]; then
		# 255 bytes (labels of 63) under .invalid: looked up, NXDOMAIN
		n=$(awk 'BEGIN { l = ""; for (i = 0; i < 63; i++) l = l "a";
		    s = l "." l "." l "." substr(l, 1, 55) ".invalid"; printf "%s", s }')
		hx=$(printf '%s' "$n" | od -An -v -tx1 | tr -d ' \n')
		sk talk send:050100 read:2 "send:05010003ff${hx}0050"
		grep -q '^rest 0504' "$T/sk" || bad="$bad; a 255-byte name: $(head -c 200 "$T/sk")"
	fi
	grep -q "400 an empty domain name" "$LOG" || bad="$bad; no log line for the empty name"
	if [ -n "$bad" ]; then
		fail socks_names "${bad#; }"
		evidence "$LOG" 5
	else
		pass socks_names
	fi
}

# Every prefix of each handshake, stalled and half-closed: each
# connection closes within --socktimeout (2 s) with a log line, and a
# client beside them is served meanwhile.
t_socks_truncated() {
	sk_start sktr || return
	p=$(printf '%04x' "$O4")
	bad=
	"$PY" "$SK_PY" prefixes 127.0.0.1 "$SK_PORT" stall 8 050100 \
	    "050100017f000001$p" >"$T/sktr1" 2>&1 &
	bgp=$!
	"$PY" "$SK_PY" prefixes 127.0.0.1 "$SK_PORT" stall 8 050100 \
	    "05010003096c6f63616c686f7374$p" >"$T/sktr2" 2>&1 &
	bgp2=$!
	"$PY" "$SK_PY" prefixes 127.0.0.1 "$SK_PORT" stall 8 \
	    "0401${p}0000000175736572006c6f63616c686f737400" >"$T/sktr3" 2>&1 &
	bgp3=$!
	# the others are served meanwhile
	sk connect 5 127.0.0.1 "$O4"
	[ "$(sk_reply)" = 0 ] && sk_http_ok 1000 ||
	    bad="$bad; a client beside the stalled ones: $(tr '\n' ' ' <"$T/sk")"
	wait_pid "$bgp" 20
	wait_pid "$bgp2" 20
	wait_pid "$bgp3" 20
	for f in "$T/sktr1" "$T/sktr2" "$T/sktr3"; do
		s=$(sed -n 's/^closed [0-9]* of [0-9]* within \([0-9.]*\) s$/\1/p' "$f")
		if [ -z "$s" ]; then
			bad="$bad; stalled prefixes: $(head -c 200 "$f")"
		elif ! awk -v s="$s" 'BEGIN { exit !(s < 3.5) }'; then
			bad="$bad; a stalled prefix was closed after $s s (--socktimeout 2)"
		fi
	done
	n=$(grep -c "the SOCKS handshake did not finish within --socktimeout" "$LOG")
	# 13 + 19 + 23 stalled prefixes, the empty ones logged too (debug)
	[ "$n" -ge 55 ] || bad="$bad; $n log lines of handshakes that did not finish, want 55"
	sk prefixes close 5 050100 "050100017f000001$p"
	grep -q '^closed 13 of 13 within [0-2]\.' "$T/sk" ||
	    bad="$bad; half-closed prefixes: $(head -c 200 "$T/sk")"
	grep -q "400 the SOCKS client closed inside" "$LOG" ||
	    bad="$bad; no log line for a half-closed prefix"
	# a login sequence, on a port that wants one
	sk_start sktr2 --socks5-auth u:p || return
	sk prefixes stall 8 050102 0101750170 "050100017f000001$p"
	grep -q '^closed 18 of 18 within [0-3]\.' "$T/sk" ||
	    bad="$bad; stalled login prefixes: $(head -c 200 "$T/sk")"
	if [ -n "$bad" ]; then
		fail socks_truncated "${bad#; }"
		evidence "$LOG" 5
	else
		pass socks_truncated
	fi
}

# The request comes before the login it was asked for: the login's
# refusal (X'01'), the close, a log line.
t_socks_early_request() {
	sk_start sker --socks5-auth u:p || return
	sk talk "send:050102050100017f000001$(printf '%04x' "$O4")"
	if ! sk_talk_is 05020101 yes; then
		fail socks_early_request "$(tr '\n' ' ' <"$T/sk")"
	elif ! grep -q "400 not an RFC 1929 login" "$LOG"; then
		fail socks_early_request "no log line"
		evidence "$LOG" 4
	else
		pass socks_early_request
	fi
}
