# Transparent ports (--transparent-listen); sourced by tests.sh. As root,
# inside the suite's own network namespace, the cases build a small
# network: a client namespace whose default route is this one (the
# router), an origin namespace with nginx on 10.77.2.2 (HTTP, HTTPS with a
# test CA) and fd77:2::2, and an nftables rule here that REDIRECTs the
# client's TCP ports 80, 443 and 2525 to the proxy's transparent port.
# The router does not forward: the client reaches the origin only
# through the proxy. Skipped, with the reason, when not root, outside a
# network namespace of the suite's own (the host's firewall is never
# touched), or without nft, ip netns, nginx or openssl. The namespaces
# live on a tmpfs over /run/netns in the suite's private mount namespace
# and go with it.

CASES="${CASES:-} transparent_http transparent_https transparent_host
transparent_loop transparent_other transparent_parent transparent_acl"

TP_STATE=	# "": not set up yet; "ok"; else why the cases skip
TP_C=pxtest-client
TP_O=pxtest-origin
TP_PORT=	# the transparent port
TP_ORIGIN_PID=
TP_BANNER_PID=

# tp_run NAME CMD...: runs CMD, output to $T/tp-NAME.err; a failure
# becomes TP_STATE's reason
tp_run() {
	_tpn=$1
	shift
	"$@" >"$T/tp-$_tpn.err" 2>&1 && return 0
	TP_STATE="$_tpn failed: $* : $(head -c 200 "$T/tp-$_tpn.err" | tr '\n' ' ')"
	return 1
}

# tp_ns NAME ADDR4 ADDR6 PEERADDR4 PEERADDR6 DEV: a namespace joined to
# this one by a veth pair, its default routes through us
tp_ns() {
	tp_run "netns-$1" ip netns add "$1" &&
	tp_run "veth-$1" ip link add "$6" type veth peer name "$6p" &&
	tp_run "move-$1" ip link set "$6p" netns "$1" &&
	tp_run "addr-$1" ip addr add "$4/24" dev "$6" &&
	tp_run "addr6-$1" ip -6 addr add "$5/64" dev "$6" nodad &&
	tp_run "up-$1" ip link set "$6" up &&
	tp_run "lo-$1" ip -n "$1" link set lo up &&
	tp_run "paddr-$1" ip -n "$1" addr add "$2/24" dev "$6p" &&
	tp_run "paddr6-$1" ip -n "$1" -6 addr add "$3/64" dev "$6p" nodad &&
	tp_run "pup-$1" ip -n "$1" link set "$6p" up &&
	tp_run "route-$1" ip -n "$1" route add default via "$4" &&
	tp_run "route6-$1" ip -n "$1" -6 route add default via "$5"
}

# tp_certs: a test CA and origin.test's certificate signed by it
tp_certs() {
	_d=$T/tp-certs
	mkdir -p "$_d"
	printf 'subjectAltName=DNS:origin.test\n' >"$_d/san.ext"
	tp_run ca openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$_d/ca.key" -out "$_d/ca.pem" -subj /CN=tp-test-ca \
	    -days 2 &&
	tp_run csr openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -keyout "$_d/origin.key" -out "$_d/origin.csr" \
	    -subj /CN=origin.test &&
	tp_run sign openssl x509 -req -in "$_d/origin.csr" -CA "$_d/ca.pem" \
	    -CAkey "$_d/ca.key" -CAcreateserial -out "$_d/origin.pem" -days 2 \
	    -extfile "$_d/san.ext"
}

# tp_origin: nginx in the origin namespace, and a server that speaks
# first (an SMTP-like banner) on 2525
tp_origin() {
	mkdir -p "$T/tp-www" "$T/tp-nginx-tmp"
	"$PY" "$ORIGIN" --gen 100000 >"$T/tp-www/100k.bin"
	echo "origin in its namespace" >"$T/tp-www/index.html"
	cat >"$T/tp-nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $T/tp-nginx.pid;
error_log $T/tp-nginx-error.log;
events { worker_connections 64; }
http {
	access_log $T/tp-nginx-access.log;
	client_body_temp_path $T/tp-nginx-tmp;
	types { application/octet-stream bin; text/html html; }
	server {
		listen 10.77.2.2:80;
		listen [fd77:2::2]:80;
		listen 10.77.2.2:443 ssl;
		ssl_certificate $T/tp-certs/origin.pem;
		ssl_certificate_key $T/tp-certs/origin.key;
		root $T/tp-www;
	}
}
EOF
	bg tp-nginx ip netns exec "$TP_O" "$NGINX" -p "$T" \
	    -e "$T/tp-nginx-error.log" -c "$T/tp-nginx.conf"
	TP_ORIGIN_PID=$BGPID
	bg tp-banner ip netns exec "$TP_O" "$PY" "$T/tp.py" banner 10.77.2.2 2525
	TP_BANNER_PID=$BGPID
	if ! ip netns exec "$TP_O" "$PY" "$C" waitport 10.77.2.2 443 10 ||
	    ! ip netns exec "$TP_O" "$PY" "$C" waitport 10.77.2.2 2525 10; then
		TP_STATE="the origin namespace's servers did not start: $(tail -n 2 "$T/tp-nginx.err" "$T/tp-nginx-error.log" "$T/tp-banner.err" 2>/dev/null | tr '\n' ' ')"
		return 1
	fi
}

# tp.py: the raw clients and the banner server (python3 standard library)
#   send HOST PORT BYTES [WAIT]: connects, sends BYTES (escapes allowed),
#       reads until EOF or WAIT seconds; prints "got N <first line>" or
#       "closed 0", "refused"
#   banner HOST PORT: a server that says "220 banner first" and closes
tp_py() {
	cat >"$T/tp.py" <<'PYEOF'
import codecs, socket, sys, threading


def send(a):
    host, port, data = a[0], int(a[1]), a[2]
    wait = float(a[3]) if len(a) > 3 else 10
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(wait)
    try:
        s.connect((host, port))
    except OSError as e:
        print("refused %s" % e)
        return
    out = b""
    try:
        if data:
            s.sendall(codecs.escape_decode(data.encode("latin-1"))[0])
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except OSError as e:
        if not out:
            print("error %s" % e)
            return
    if not out:
        print("closed 0")
    else:
        print("got %d %s" % (len(out),
              out.split(b"\r\n", 1)[0].decode("latin-1")))


def banner(a):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a[0], int(a[1])))
    ls.listen(16)

    def serve(c):
        try:
            c.settimeout(10)
            c.sendall(b"220 banner first\r\n")
        except OSError:
            pass
        c.close()
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


{"send": send, "banner": banner}[sys.argv[1]](sys.argv[2:])
PYEOF
}

# tp_setup: the namespaces, nftables and the origin, once; 0 when the
# cases can run, else 1 with the reason in TP_STATE
tp_setup() {
	[ -n "$TP_STATE" ] && { [ "$TP_STATE" = ok ]; return; }
	TP_STATE=
	if [ "$(id -u)" != 0 ]; then
		TP_STATE="not root"
	elif [ "${PROXY_TESTS_NET:-}" != own ]; then
		TP_STATE="the suite has no network namespace of its own (it would change this host's network)"
	elif ! have nft; then
		TP_STATE="nft is not installed (Debian's nftables)"
	elif ! have openssl; then
		TP_STATE="openssl is not installed"
	elif [ ! -x "$NGINX" ]; then
		TP_STATE="nginx is not installed"
	elif ! "$PROXY_BIN" --help 2>&1 | grep -q -- --transparent-listen; then
		TP_STATE="this build has no --transparent-listen"
	fi
	[ -z "$TP_STATE" ] || return 1
	# ip netns keeps its namespaces as files under /run/netns: a tmpfs
	# of this mount namespace's own takes them, so nothing is left on
	# the host when the suite ends
	mkdir -p /run/netns 2>/dev/null
	tp_run netns-dir mount -t tmpfs proxytest-netns /run/netns || return 1
	tp_py
	tp_ns "$TP_C" 10.77.1.2 fd77:1::2 10.77.1.1 fd77:1::1 tpc &&
	tp_ns "$TP_O" 10.77.2.2 fd77:2::2 10.77.2.1 fd77:2::1 tpo &&
	tp_certs || return 1
	TP_PORT=$(freeport 0.0.0.0)
	cat >"$T/tp.nft" <<EOF
table inet proxytest {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "tpc" tcp dport { 80, 443, 2525 } fib daddr type != local redirect to :$TP_PORT
	}
}
EOF
	tp_run nft nft -f "$T/tp.nft" || return 1
	tp_origin || return 1
	TP_STATE=ok
	return 0
}

# tp_proxy NAME [flags]: the proxy with the transparent port (IPv4 and
# IPv6) beside its own
tp_proxy() {
	_tpn=$1
	shift
	start_proxy "$_tpn" --transparent-listen "$TP_PORT" \
	    --transparent-listen "[::]:$TP_PORT" "$@"
}

# tp_curl ARGS: curl in the client namespace (status in TP_CODE, body in
# $T/tp-body)
tp_curl() {
	rm -f "$T/tp-body"
	TP_CODE=$(ip netns exec "$TP_C" curl -q -sS --noproxy '*' --max-time 15 \
	    -o "$T/tp-body" -w '%{http_code}' "$@" 2>"$T/tp-curl.err")
	[ -f "$T/tp-body" ] || : >"$T/tp-body"
}

# tp_send HOST PORT BYTES [WAIT]: tp.py send from the client namespace
tp_send() {
	ip netns exec "$TP_C" "$PY" "$T/tp.py" send "$@" 2>&1
}

# tp_access WANT: an access line of $LOG holds WANT (bounded wait)
tp_access() {
	_n=0
	while ! grep ' access ' "$LOG" | grep -qF -- "$1"; do
		_n=$((_n + 1))
		[ $_n -ge 40 ] && return 1
		sleep 0.05
	done
}

t_transparent_http() {
	tp_setup || { skip transparent_http "$TP_STATE"; return; }
	tp_proxy tph || { fail transparent_http "$START_ERR"; return; }
	tp_curl http://10.77.2.2/100k.bin
	c4=$TP_CODE
	sum4=$(sha_file "$T/tp-body")
	tp_curl -g 'http://[fd77:2::2]/index.html'
	c6=$TP_CODE
	b6=$(cat "$T/tp-body")
	# a name in Host that resolves to the address connected to
	tp_curl -H 'Host: 10-77-2-2.ip4.test' http://10.77.2.2/index.html
	cn=$TP_CODE
	if [ "$c4" != 200 ] || [ "$sum4" != "$(sha_file "$T/tp-www/100k.bin")" ]; then
		fail transparent_http "GET http://10.77.2.2/100k.bin from the client namespace: status $c4: $(head -c 200 "$T/tp-curl.err")"
		evidence "$LOG" 8
	elif [ "$c6" != 200 ] || [ "$b6" != "origin in its namespace" ]; then
		fail transparent_http "GET over IPv6: status $c6, body '$(head -c 80 "$T/tp-body")': $(head -c 200 "$T/tp-curl.err")"
		evidence "$LOG" 8
	elif [ "$cn" != 200 ]; then
		fail transparent_http "Host 10-77-2-2.ip4.test (resolves to 10.77.2.2): status $cn, $(head -c 200 "$T/tp-body")"
	elif ! tp_access "10.77.2.2:80 /100k.bin 200" ||
	    ! tp_access "[fd77:2::2]:80 /index.html 200" ||
	    ! tp_access "GET 10-77-2-2.ip4.test:80 /index.html 200"; then
		fail transparent_http "no access lines naming the origins"
		evidence "$LOG" 8
	elif ! grep ' access 10.77.1.2:' "$LOG" | grep -q 'DIRECT'; then
		fail transparent_http "the access lines do not name the client 10.77.1.2"
		evidence "$LOG" 5
	else
		pass transparent_http
	fi
}

t_transparent_https() {
	tp_setup || { skip transparent_https "$TP_STATE"; return; }
	tp_proxy tps || { fail transparent_https "$START_ERR"; return; }
	# curl verifies origin.test's certificate against the test CA: the
	# bytes reached the origin untouched
	tp_curl --cacert "$T/tp-certs/ca.pem" --resolve origin.test:443:10.77.2.2 \
	    https://origin.test/100k.bin
	if [ "$TP_CODE" != 200 ] ||
	    [ "$(sha_file "$T/tp-body")" != "$(sha_file "$T/tp-www/100k.bin")" ]; then
		fail transparent_https "https://origin.test/ (at 10.77.2.2) from the client namespace: status $TP_CODE: $(head -c 300 "$T/tp-curl.err")"
		evidence "$LOG" 8
	elif ! tp_access "TLS 10.77.2.2:443 origin.test 200"; then
		fail transparent_https "no access line 'TLS 10.77.2.2:443 origin.test' (the SNI)"
		evidence "$LOG" 5
	else
		pass transparent_https
	fi
}

t_transparent_host() {
	tp_setup || { skip transparent_host "$TP_STATE"; return; }
	tp_proxy tpho || { fail transparent_host "$START_ERR"; return; }
	# other.test resolves to 127.0.0.1, not to where the client went
	tp_curl -H 'Host: other.test' http://10.77.2.2/index.html
	c1=$TP_CODE
	b1=$(cat "$T/tp-body")
	tp_curl -H 'Host: 10.77.2.2:8080' http://10.77.2.2/index.html
	c2=$TP_CODE
	stop_proxy tpho
	# trusted, Host decides: the harness origin on 127.0.0.1
	tp_proxy tpht --transparent-trust-host ||
	    { fail transparent_host "$START_ERR"; return; }
	tp_curl -H "Host: 127.0.0.1:$O4" http://10.77.2.2/status/203
	c3=$TP_CODE
	if [ "$c1" != 403 ] || ! echo "$b1" | grep -q 'does not resolve to 10.77.2.2'; then
		fail transparent_host "Host other.test to 10.77.2.2: status $c1, '$(echo "$b1" | head -c 200)', want 403 saying why"
	elif [ "$c2" != 403 ]; then
		fail transparent_host "Host naming port 8080 on a connection to port 80: status $c2, want 403"
	elif [ "$c3" != 203 ]; then
		fail transparent_host "--transparent-trust-host, Host 127.0.0.1:$O4: status $c3, want the origin's 203"
		evidence "$LOG" 5
	else
		pass transparent_host
	fi
}

t_transparent_loop() {
	tp_setup || { skip transparent_loop "$TP_STATE"; return; }
	tp_proxy tpl --gateway || { fail transparent_loop "$START_ERR"; return; }
	# straight to the transparent port: not redirected, no destination
	# but the proxy itself
	tp_curl "http://10.77.1.1:$TP_PORT/"
	c1=$TP_CODE
	b1=$(cat "$T/tp-body")
	r2=$(tp_send 10.77.1.1 "$TP_PORT" 'not http\x00\x01' 5)
	# redirected to the transparent port from the proxy's own port
	tp_run loop-rule nft add rule inet proxytest pre iifname tpc tcp dport \
	    "$P" redirect to ":$TP_PORT"
	tp_curl "http://10.77.1.1:$P/"
	c3=$TP_CODE
	# the table as the other cases know it
	nft delete table inet proxytest >/dev/null 2>&1
	tp_run nft-again nft -f "$T/tp.nft"
	if [ "$c1" != 508 ] || ! echo "$b1" | grep -q 'the proxy itself'; then
		fail transparent_loop "straight to the transparent port: status $c1, '$(echo "$b1" | head -c 200)', want 508 saying why"
	elif [ "$r2" != "closed 0" ]; then
		fail transparent_loop "bytes that are not HTTP straight to the transparent port: '$r2', want the connection closed"
	elif ! grep -q 'transparent: its original destination is the proxy itself.*closing' "$LOG"; then
		fail transparent_loop "no log line for the closed loop"
		evidence "$LOG" 5
	elif [ "$c3" != 508 ]; then
		fail transparent_loop "redirected from the proxy's own port $P: status $c3, want 508"
		evidence "$LOG" 5
	elif ! grep -q ': 508 its original destination is the proxy itself' "$LOG"; then
		fail transparent_loop "no log line for the 508 of a redirected loop"
		evidence "$LOG" 5
	else
		pass transparent_loop
	fi
}

t_transparent_other() {
	tp_setup || { skip transparent_other "$TP_STATE"; return; }
	tp_proxy tpo || { fail transparent_other "$START_ERR"; return; }
	# bytes that are not HTTP go to the origin as they are: nginx
	# answers them itself
	r1=$(tp_send 10.77.2.2 80 '\x01\x02 not http\r\n\r\n' 10)
	# a server that speaks first: the tunnel opens once the client has
	# been silent a while (3 s)
	t0=$(ms_now)
	r2=$(tp_send 10.77.2.2 2525 '' 10)
	dt=$(($(ms_now) - t0))
	case $r1 in
	"got "*" HTTP/1.1 400 Bad Request") ok1=1 ;;
	*) ok1=0 ;;
	esac
	if [ $ok1 != 1 ]; then
		fail transparent_other "bytes that are not HTTP to 10.77.2.2:80: '$r1', want nginx's own 400"
		evidence "$LOG" 5
	elif ! tp_access "TUNNEL 10.77.2.2:80 - 200"; then
		fail transparent_other "no access line for the tunnel to 10.77.2.2:80"
		evidence "$LOG" 5
	elif [ "$r2" != "got 18 220 banner first" ]; then
		fail transparent_other "a server that speaks first (2525): '$r2' after $dt ms"
		evidence "$LOG" 5
	else
		pass transparent_other
	fi
}

t_transparent_parent() {
	tp_setup || { skip transparent_parent "$TP_STATE"; return; }
	start_proxy tpparent || { fail transparent_parent "$START_ERR"; return; }
	plog=$LOG
	pp=$P
	tp_proxy tpp --proxy "127.0.0.1:$pp" ||
	    { fail transparent_parent "$START_ERR"; return; }
	tp_curl http://10.77.2.2/index.html
	c1=$TP_CODE
	tp_curl --cacert "$T/tp-certs/ca.pem" --resolve origin.test:443:10.77.2.2 \
	    https://origin.test/index.html
	c2=$TP_CODE
	if [ "$c1" != 200 ] || [ "$c2" != 200 ]; then
		fail transparent_parent "through a parent: HTTP $c1, HTTPS $c2: $(head -c 200 "$T/tp-curl.err")"
		evidence "$LOG" 8
	elif ! grep ' access ' "$plog" | grep -q 'GET 10.77.2.2:80 /index.html 200' ||
	    ! grep ' access ' "$plog" | grep -q 'CONNECT 10.77.2.2:443 - 200'; then
		fail transparent_parent "the parent's log does not show the request and the CONNECT"
		evidence "$plog" 5
	elif ! tp_access "TLS 10.77.2.2:443 origin.test 200 " ||
	    ! grep ' access .*TLS 10.77.2.2:443' "$LOG" | grep -q "PROXY 127.0.0.1:$pp"; then
		fail transparent_parent "the transparent proxy's log does not show the TLS tunnel through the parent"
		evidence "$LOG" 5
	else
		pass transparent_parent
	fi
}

t_transparent_acl() {
	tp_setup || { skip transparent_acl "$TP_STATE"; return; }
	tp_proxy tpa --deny 10.77.1.2 || { fail transparent_acl "$START_ERR"; return; }
	tp_curl http://10.77.2.2/index.html
	if [ "$TP_CODE" != 403 ]; then
		fail transparent_acl "--deny 10.77.1.2: status $TP_CODE, want 403"
	elif ! grep -q '10.77.1.2:[0-9]*: refused by --allow/--deny' "$LOG"; then
		fail transparent_acl "no log line for the refused client"
		evidence "$LOG" 5
	else
		pass transparent_acl
	fi
}
