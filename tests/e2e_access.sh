# Access control (--allow, --deny, --hostonly, --gateway, --listen),
# client login (--basic-auth, --basic-auth-file), config files (Px's
# px.ini, cntlm's cntlm.conf, flag names), --save, SIGHUP reload,
# --daemon/--quit, --user, syslog, --tunnel; sourced by tests.sh.

CASES="${CASES:-} acl_default_listen acl_listen_addrs acl_gateway
acl_refused_answer acl_allow_ip acl_allow_wildcard acl_allow_range
acl_allow_cidr acl_allow_ipv6 acl_deny_ipv6 acl_deny_wins acl_deny_forms
acl_list_errors acl_hostonly auth_basic_get auth_basic_connect
auth_basic_file auth_basic_parent config_pxini config_pxini_stock
config_pxini_gateway config_cntlm config_cntlm_gateway config_cntlm_acl
config_flag_keys config_all_flag_keys config_unknown_key
config_bad_value save_roundtrip save_no_plain_basic reload_hup
reload_bad_config reload_listen daemon_config user_drop log_syslog
tunnel_direct tunnel_parent tunnel_parent_ntlm contrib_files"

ACC_PY=
ACC_BG=
ACC_O2=
ACC_USER=alice
ACC_DOM=Corp
ACC_PW='S3cret#pw'

# ---------------------------------------------------------------- helpers

# acc_init: writes $T/acc.py once (python3 standard library):
#   probe SRC HOST PORT [SEND] [TIMEOUT]  connect from SRC ("-": any),
#       send SEND (nothing when empty), read to EOF; prints status, clen
#       (Content-Length), blen (body bytes), body (its first line), end
#   pipe HOST PORT SIZE   plain TCP: SIZE pattern bytes out, half-close,
#       the echo back; prints "sent N recv M match yes|no eof yes|no"
#   slowget PHOST PPORT URL RATE OUT   GET through the proxy, read at RATE
#       bytes/s; writes OUT.head at the head, then OUT "status S len N sha H"
#   syslogd SOCK OUT      a datagram listener at SOCK, one line per message
#   bindable HOST PORT    exit 0 when HOST:PORT can be bound
acc_init() {
	ACC_PY=$T/acc.py
	[ -f "$ACC_PY" ] && return 0
	cat >"$ACC_PY" <<'PYEOF'
import codecs, hashlib, os, socket, sys, time

PERIOD = 251
PATTERN = bytes((i * 7 + 13) & 0xFF for i in range(PERIOD))
BLOCK = PATTERN * 261


def fam(h):
    return socket.AF_INET6 if ":" in h else socket.AF_INET


def blocks(n):
    while n > 0:
        k = min(n, len(BLOCK))
        yield BLOCK[:k]
        n -= k


def probe(a):
    src, host, port = a[0], a[1], int(a[2])
    send = a[3] if len(a) > 3 else ""
    timeout = float(a[4]) if len(a) > 4 else 5
    s = socket.socket(fam(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        if src != "-":
            s.bind((src, 0))
        s.connect((host, port))
    except OSError as e:
        print("connect-error %s" % e)
        return 0
    if send:
        s.sendall(codecs.escape_decode(send.encode("latin-1"))[0])
    data, end = b"", "eof"
    while True:
        try:
            d = s.recv(65536)
        except socket.timeout:
            end = "timeout"
            break
        except OSError as e:
            end = "error %s" % e
            break
        if not d:
            break
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    clen = "none"
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        if k.strip().lower() == "content-length":
            clen = v.strip()
    print("status %s" % (parts[1] if len(parts) > 1 else "none"))
    print("clen %s" % clen)
    print("blen %d" % len(body))
    print("body %s" % body.decode("latin-1").split("\n")[0])
    print("end %s" % end)
    return 0


def pipe(a):
    host, port, size = a[0], int(a[1]), int(a[2])
    s = socket.socket(fam(host), socket.SOCK_STREAM)
    s.settimeout(10)
    try:
        s.connect((host, port))
    except OSError as e:
        print("connect-error %s" % e)
        return 0
    import threading

    def send():
        try:
            for b in blocks(size):
                s.sendall(b)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
    t = threading.Thread(target=send, daemon=True)
    t.start()
    h, n, eof = hashlib.sha256(), 0, False
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            d = s.recv(262144)
        except OSError:
            break
        if not d:
            eof = True
            break
        h.update(d)
        n += len(d)
    w = hashlib.sha256()
    for b in blocks(size):
        w.update(b)
    print("sent %d recv %d match %s eof %s" % (
        size, n, "yes" if w.digest() == h.digest() else "no",
        "yes" if eof else "no"))
    return 0


def slowget(a):
    phost, pport, url, rate, out = a[0], int(a[1]), a[2], float(a[3]), a[4]
    hostport = url.split("/")[2]
    s = socket.socket(fam(phost), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    s.settimeout(30)
    res = "status none len 0 sha none"
    try:
        s.connect((phost, pport))
        s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n"
                   % (url, hostport)).encode())
        data = b""
        while b"\r\n\r\n" not in data:
            d = s.recv(16384)
            if not d:
                raise EOFError("eof before the head")
            data += d
        head, _, body = data.partition(b"\r\n\r\n")
        st = head.split(b"\r\n")[0].split(b" ")[1].decode()
        open(out + ".head", "w").write(st + "\n")
        h, n, t0 = hashlib.sha256(), 0, time.monotonic()
        h.update(body)
        n += len(body)
        while True:
            ahead = n / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
            d = s.recv(8192)
            if not d:
                break
            h.update(d)
            n += len(d)
        res = "status %s len %d sha %s" % (st, n, h.hexdigest())
    except (OSError, EOFError, IndexError) as e:
        res = "status none len 0 sha none error %s" % e
    with open(out + ".tmp", "w") as f:
        f.write(res + "\n")
    os.rename(out + ".tmp", out)
    return 0


def syslogd(a):
    sock, out = a[0], a[1]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(sock)
    f = open(out, "ab", 0)
    print("ready", flush=True)
    while True:
        d = s.recv(65536)
        f.write(d.rstrip(b"\0\n") + b"\n")


def bindable(a):
    s = socket.socket(fam(a[0]), socket.SOCK_STREAM)
    try:
        s.bind((a[0], int(a[1])))
    except OSError:
        return 1
    return 0


sys.exit(globals()[sys.argv[1]](sys.argv[2:]) or 0)
PYEOF
}

# acc_cleanup: stops the helpers a case started with acc_bg
acc_cleanup() {
	for _ab in $ACC_BG; do
		kill_bg "$_ab"
	done
	ACC_BG=
}

acc_bg() {
	bg "$@"
	ACC_BG="$ACC_BG $BGPID"
}

# acc_launch NAME HOST PORT [flags...]: the proxy with exactly these
# flags (then --log-file $T/NAME.log --log-level debug, unless
# ACC_NOLOG=1), stopped after the case like start_proxy's; waits until
# HOST:PORT accepts. Sets P, PH, PX, LOG, PROXY_URL.
acc_launch() {
	_an=$1
	PH=$2
	P=$3
	shift 3
	LOG=$T/$_an.log
	[ "${ACC_NOLOG:-0}" = 1 ] || set -- "$@" --log-file "$LOG" --log-level debug
	echo "$PROXY_BIN $*" >"$T/$_an.cmd"
	spawn_proxy "$_an" "$@"
	PX=$!
	track $PX
	RUNNING="$RUNNING $_an"
	eval "PID_$_an=$PX PORT_$_an=$P HOST_$_an=$PH"
	PROXY_URL=http://$(urlhost "$PH"):$P
	if ! "$PY" "$C" waitport "$PH" "$P" 10 "$PX"; then
		if alive "$PX"; then
			START_ERR="proxy $_an not listening on $PH:$P after 10 s"
		else
			wait "$PX"
			START_ERR="proxy $_an exited with status $? at start-up: $(head -c 300 "$T/$_an.err" | tr '\n' ' ')"
		fi
		if [ "${ACC_QUIET:-0}" != 1 ]; then
			echo "    | $(cat "$T/$_an.cmd")"
			evidence "$T/$_an.err" 5
			evidence "$LOG" 5
		fi
		return 1
	fi
	return 0
}

# acc_pw_launch: acc_launch with PROXY_PASSWORD=$ACC_PW in the proxy's
# environment
acc_pw_launch() {
	PROXY_PASSWORD=$ACC_PW
	export PROXY_PASSWORD
	acc_launch "$@"
	_apr=$?
	unset PROXY_PASSWORD
	return $_apr
}

# acc_code SRC URL [curl args]: the status of URL through the current
# proxy, from source address SRC ("-": any)
acc_code() {
	_src=$1
	shift
	if [ "$_src" = - ]; then
		pcurl -o "$T/acc.body" -w '%{http_code}' "$@" 2>"$T/acc.curlerr"
	else
		pcurl --interface "$_src" -o "$T/acc.body" -w '%{http_code}' "$@" \
		    2>"$T/acc.curlerr"
	fi
}

# acc_probe SRC [HOST PORT]: connects from SRC to the current proxy
# without sending a byte; PROBE_STATUS, PROBE_BODY, PROBE_CLEN,
# PROBE_BLEN, PROBE_END (connect-error: PROBE_STATUS=refused)
acc_probe() {
	"$PY" "$ACC_PY" probe "$1" "${2:-$PH}" "${3:-$P}" "" 5 >"$T/acc.probe" 2>&1
	if grep -q '^connect-error' "$T/acc.probe"; then
		PROBE_STATUS=refused
	else
		PROBE_STATUS=$(sed -n 's/^status //p' "$T/acc.probe")
	fi
	PROBE_BODY=$(sed -n 's/^body //p' "$T/acc.probe")
	PROBE_CLEN=$(sed -n 's/^clen //p' "$T/acc.probe")
	PROBE_BLEN=$(sed -n 's/^blen //p' "$T/acc.probe")
	PROBE_END=$(sed -n 's/^end //p' "$T/acc.probe")
}

# acc_refused SRC: true when a client from SRC gets the 403 at once
acc_refused() {
	acc_probe "$1"
	[ "$PROBE_STATUS" = 403 ] &&
	    echo "$PROBE_BODY" | grep -q 'may not use the proxy'
}

# acc_expect CASE SRC WANT: WANT is 200 (a GET from SRC through the
# proxy works) or 403 (SRC is refused on accept, before sending a byte);
# ACC_BAD collects the mismatches
acc_expect() {
	if [ "$3" = 200 ]; then
		_c=$(acc_code "$2" "$OURL/size/100")
		[ "$_c" = 200 ] || ACC_BAD="$ACC_BAD; from $2: status $_c (want 200) $(head -c 100 "$T/acc.body")"
	else
		if ! acc_refused "$2"; then
			ACC_BAD="$ACC_BAD; from $2: '$PROBE_STATUS' '$PROBE_BODY' (want 403 at once, before the client sends a byte)"
		elif ! grep -q "^.*$2:[0-9]*: refused by --allow/--deny/--hostonly" "$LOG"; then
			ACC_BAD="$ACC_BAD; from $2: no 'refused by --allow/--deny/--hostonly' log line"
		fi
	fi
}

# acc_verdict CASE: pass, or fail with ACC_BAD
acc_verdict() {
	if [ -n "$ACC_BAD" ]; then
		fail "$1" "$(echo "$ACC_BAD" | sed 's/^; //')"
		evidence "$LOG" 5
	else
		pass "$1"
	fi
}

# acc_access_case CASE SRC:WANT... -- FLAGS: a proxy with FLAGS, and what
# each source address must get
acc_access_case() {
	_case=$1
	shift
	_want=
	while [ "$1" != -- ]; do
		_want="$_want $1"
		shift
	done
	shift
	acc_init
	if ! start_proxy "$_case" --num-workers 1 "$@"; then
		fail "$_case" "$START_ERR"
		return
	fi
	ACC_BAD=
	for _w in $_want; do
		acc_expect "$_case" "${_w%:*}" "${_w##*:}"
	done
	[ -z "$ACC_BAD" ] || ACC_BAD="with $*$ACC_BAD"
	acc_verdict "$_case"
}

# acc_origin2: a second origin on 127.0.0.2 (for --noproxy), once
acc_origin2() {
	[ -n "$ACC_O2" ] && return 0
	start_origin acc_origin2 127.0.0.2 || return 1
	ACC_O2=$OPORT
}

# acc_parent NAME [ntlm_parent.py flags]: tests/ntlm_parent.py on a free
# port (ACC_PP), stopped by acc_cleanup
acc_parent() {
	_pn=$1
	shift
	ACC_PP=
	rm -f "$T/$_pn.port"
	acc_bg "$_pn" "$PY" "$ROOT/tests/ntlm_parent.py" --port 0 \
	    --port-file "$T/$_pn.port" --log "$T/$_pn.log" "$@"
	if ! wait_file "$T/$_pn.port" 10 ||
	    ! waitport 127.0.0.1 "$(cat "$T/$_pn.port")" 10; then
		fail "$CASE" "the test parent $_pn did not start: $(tail -n 1 "$T/$_pn.err")"
		return 1
	fi
	ACC_PP=$(cat "$T/$_pn.port")
}

# acc_ntlm_parent NAME: a parent that wants NTLM from Corp\alice
acc_ntlm_parent() {
	acc_parent "$1" --auth ntlm --user "$ACC_USER" --domain "$ACC_DOM" \
	    --password "$ACC_PW"
}

# acc_pstat PORT KEY: one counter of the test parent's /stats
acc_pstat() {
	curl -q -s --noproxy '' --max-time 5 -x "http://127.0.0.1:$1" \
	    http://parent.stats/ | "$PY" -c '
import json, sys
try:
    print(json.load(sys.stdin).get(sys.argv[1]))
except ValueError:
    print("none")' "$2"
}

# acc_hashes: PassLM, PassNT, PassNTLMv2 of Corp\alice from --hashes
acc_hashes() {
	PROXY_PASSWORD=$ACC_PW "$PROXY_BIN" --hashes --username "$ACC_USER" \
	    --domain "$ACC_DOM" >"$T/acc.hashes" 2>&1
	H_LM=$(awk '$1 == "PassLM" { print $2 }' "$T/acc.hashes")
	H_NT=$(awk '$1 == "PassNT" { print $2 }' "$T/acc.hashes")
	H_V2=$(awk '$1 == "PassNTLMv2" { print $2 }' "$T/acc.hashes")
	[ -n "$H_LM" ] && [ -n "$H_NT" ] && [ -n "$H_V2" ]
}

# acc_local4 / acc_local6: a non-loopback address of this host, or empty
acc_local4() {
	ip -o -4 addr show scope global 2>/dev/null |
	    awk '{ sub(/\/.*/, "", $4); print $4; exit }'
}

acc_local6() {
	ip -o -6 addr show scope global 2>/dev/null |
	    awk '{ sub(/\/.*/, "", $4); print $4; exit }'
}

# acc_listen_inode PORT: inodes of the listening TCP sockets on PORT
acc_listen_inode() {
	_hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
	    awk -v p=":$_hex" '$4 == "0A" && substr($2, length($2) - 4) == p { print $10 }' |
	    sort | tr '\n' ' '
}

# acc_run NAME ARGS: the proxy with ARGS in the foreground, bounded;
# output in $T/NAME.out/err, status in RUN_RC
acc_run() {
	_rn=$1
	shift
	if have timeout; then
		timeout 10 "$PROXY_BIN" "$@" >"$T/$_rn.out" 2>"$T/$_rn.err"
	else
		"$PROXY_BIN" "$@" >"$T/$_rn.out" 2>"$T/$_rn.err"
	fi
	RUN_RC=$?
}

# acc_echo_has NAME: the origin's /echo (in $T/acc.body) shows header NAME
acc_echo_has() {
	grep -qi "^$1" "$T/acc.body"
}

# ---------------------------------------------------------------- listening

t_acl_default_listen() {
	acc_init
	if ! start_proxy acl_default_listen --num-workers 1; then
		fail acl_default_listen "$START_ERR"
		return
	fi
	ACC_BAD=
	c=$(acc_code - "$OURL/size/10")
	[ "$c" = 200 ] || ACC_BAD="$ACC_BAD; 127.0.0.1:$P: status $c"
	for a in 127.0.0.2 ::1 $(acc_local4) $(acc_local6); do
		acc_probe - "$a" "$P"
		[ "$PROBE_STATUS" = refused ] ||
		    ACC_BAD="$ACC_BAD; without --hostname it also accepts on $a:$P (want 127.0.0.1 only)"
	done
	if grep 'listening on' "$LOG" | grep -qv "listening on 127.0.0.1:$P\$"; then
		ACC_BAD="$ACC_BAD; log: $(grep 'listening on' "$LOG" | tr '\n' ' ')"
	fi
	acc_verdict acl_default_listen
}

# several addresses at once: ADDR:PORT, [v6]:PORT and ADDR with --port
t_acl_listen_addrs() {
	acc_init
	p1=$(freeport)
	p2=$(freeport)
	p3=$(freeport)
	v6=
	[ -n "$O6" ] && v6="--listen [::1]:$p2"
	if ! acc_launch acl_listen_addrs 127.0.0.3 "$p1" --num-workers 1 \
	    --listen "127.0.0.3:$p1" $v6 --hostname 127.0.0.4 --port "$p3"; then
		fail acl_listen_addrs "$START_ERR"
		return
	fi
	ACC_BAD=
	for u in "127.0.0.3:$p1" "127.0.0.4:$p3" ${v6:+"[::1]:$p2"}; do
		c=$(curl -q -sS --noproxy '' --max-time 10 -o /dev/null \
		    -w '%{http_code}' -x "http://$u" "$OURL/size/10" 2>&1)
		[ "$c" = 200 ] || ACC_BAD="$ACC_BAD; through $u: $c"
	done
	for u in "127.0.0.1 $p1" "127.0.0.3 $p3" "127.0.0.1 $p3"; do
		acc_probe - $u
		[ "$PROBE_STATUS" = refused ] ||
		    ACC_BAD="$ACC_BAD; also accepts on $u (not a --listen address)"
	done
	acc_verdict acl_listen_addrs
	[ -n "$O6" ] || echo "     (acl_listen_addrs: no IPv6 loopback, [::1] not tried)"
}

t_acl_gateway() {
	acc_init
	if ! start_proxy acl_gateway --num-workers 1 --gateway; then
		fail acl_gateway "$START_ERR"
		return
	fi
	ACC_BAD=
	for a in 127.0.0.1 127.0.0.2 $(acc_local4) ${O6:+::1} $(acc_local6); do
		c=$(curl -q -sS --noproxy '' --max-time 10 -o /dev/null \
		    -w '%{http_code}' -x "http://$(urlhost "$a"):$P" \
		    "$OURL/size/10" 2>&1)
		[ "$c" = 200 ] || ACC_BAD="$ACC_BAD; --gateway, through $a:$P: $c"
	done
	grep -q "listening on 0.0.0.0:$P" "$LOG" ||
	    ACC_BAD="$ACC_BAD; the log does not say 'listening on 0.0.0.0:$P'"
	acc_verdict acl_gateway
}

# ---------------------------------------------------------------- allow/deny

# the refusal: a 403 before the client sent anything, complete, and a
# log line; a client that did send its request gets the same, cleanly
t_acl_refused_answer() {
	acc_init
	if ! start_proxy acl_refused_answer --num-workers 1 --allow 127.0.0.2; then
		fail acl_refused_answer "$START_ERR"
		return
	fi
	acc_probe 127.0.0.3
	fetch "$OURL/size/10" --interface 127.0.0.3
	if [ "$PROBE_STATUS" != 403 ]; then
		fail acl_refused_answer "a client from 127.0.0.3 (not in --allow 127.0.0.2) that sent nothing: status '$PROBE_STATUS', end '$PROBE_END' (want a 403 at once)"
	elif ! echo "$PROBE_BODY" | grep -q 'may not use the proxy'; then
		fail acl_refused_answer "the 403 body does not say the address may not use the proxy: '$PROBE_BODY'"
	elif ! grep -q '127\.0\.0\.3:[0-9]*: refused by --allow/--deny/--hostonly' "$LOG"; then
		fail acl_refused_answer "no log line '127.0.0.3:PORT: refused by --allow/--deny/--hostonly'"
		evidence "$LOG" 5
	elif [ "$PROBE_CLEN" != "$PROBE_BLEN" ]; then
		fail acl_refused_answer "the 403 says Content-Length: $PROBE_CLEN but its body is $PROBE_BLEN bytes ('$PROBE_BODY\\n'), then the connection closes: clients report a truncated response"
	elif [ "$CODE" != 403 ] || [ "$CURL_RC" != 0 ]; then
		fail acl_refused_answer "curl GET from 127.0.0.3: status $CODE, curl rc $CURL_RC: $(head -c 200 "$T/curl.err") (want a clean 403)"
	else
		pass acl_refused_answer
	fi
}

t_acl_allow_ip() {
	acc_access_case acl_allow_ip 127.0.0.2:200 127.0.0.5:200 \
	    127.0.0.3:403 127.0.0.1:403 -- --allow 127.0.0.2,127.0.0.5
}

t_acl_allow_wildcard() {
	acc_access_case acl_allow_wildcard 127.0.2.9:200 127.0.2.200:200 \
	    127.9.5.1:200 127.0.3.9:403 127.0.0.1:403 -- \
	    --allow '127.0.2.*' --allow '127.*.5.*'
}

t_acl_allow_range() {
	acc_access_case acl_allow_range 127.0.0.10:200 127.0.0.15:200 \
	    127.0.0.20:200 127.0.0.9:403 127.0.0.21:403 -- \
	    --allow 127.0.0.10-127.0.0.20
}

# CIDR, and Px's "192.168.0.1/24" form (host bits set)
t_acl_allow_cidr() {
	acc_access_case acl_allow_cidr 127.0.4.1:200 127.0.4.254:200 \
	    127.0.6.1:200 127.0.0.7:200 127.0.5.1:403 127.0.0.8:403 -- \
	    --allow 127.0.4.0/24,127.0.6.77/24,127.0.0.7/32
}

# acc_v6_case CASE FLAGS...: a proxy on 127.0.0.1 and ::1; WANT4 and
# WANT6 (200 or 403) for a client over IPv4 and over IPv6
acc_v6_case() {
	_case=$1
	_w4=$2
	_w6=$3
	shift 3
	if ! start_proxy "$_case" --num-workers 1 --hostname 127.0.0.1 \
	    --hostname ::1 "$@"; then
		ACC_BAD="$ACC_BAD; $START_ERR"
		return
	fi
	for _f in 4:127.0.0.1:$_w4 6:::1:$_w6; do
		_fam=${_f%%:*}
		_rest=${_f#?:}
		_a=${_rest%:*}
		_w=${_rest##*:}
		if [ "$_w" = 200 ]; then
			_c=$(curl -q -sS --noproxy '' --max-time 10 -o /dev/null \
			    -w '%{http_code}' -x "http://$(urlhost "$_a"):$P" \
			    "$OURL/size/10" 2>&1)
			[ "$_c" = 200 ] || ACC_BAD="$ACC_BAD; $*: IPv$_fam client ($_a): $_c, want 200"
		else
			acc_probe - "$_a" "$P"
			[ "$PROBE_STATUS" = 403 ] || ACC_BAD="$ACC_BAD; $*: IPv$_fam client ($_a): '$PROBE_STATUS', want 403"
		fi
	done
	stop_proxy "$_case"
}

t_acl_allow_ipv6() {
	if [ -z "$O6" ]; then
		skip acl_allow_ipv6 "no IPv6 loopback"
		return
	fi
	acc_init
	ACC_BAD=
	acc_v6_case acl_allow_ipv6 403 200 --allow ::1
	acc_v6_case acl_allow_ipv6 403 200 --allow ::1/128
	acc_v6_case acl_allow_ipv6 200 403 --allow fe80::/10,127.0.0.1
	acc_v6_case acl_allow_ipv6 403 200 --allow ::0-::ff
	acc_verdict acl_allow_ipv6
}

t_acl_deny_ipv6() {
	if [ -z "$O6" ]; then
		skip acl_deny_ipv6 "no IPv6 loopback"
		return
	fi
	acc_init
	ACC_BAD=
	acc_v6_case acl_deny_ipv6 200 403 --deny ::1
	acc_v6_case acl_deny_ipv6 200 403 --deny ::/96,::1/128 --allow '*'
	acc_v6_case acl_deny_ipv6 403 200 --deny 127.0.0.1
	acc_verdict acl_deny_ipv6
}

# --deny wins over --allow, whatever the order
t_acl_deny_wins() {
	acc_access_case acl_deny_wins 127.0.0.2:200 127.0.0.3:403 \
	    127.0.0.4:403 -- --deny 127.0.0.3 --allow 127.0.0.0/8 \
	    --deny 127.0.0.4 --allow 127.0.0.4
}

t_acl_deny_forms() {
	acc_access_case acl_deny_forms 127.0.7.3:403 127.0.8.1:403 \
	    127.0.8.5:403 127.0.9.200:403 127.0.0.11:403 127.0.8.6:200 \
	    127.0.0.12:200 -- --deny '127.0.7.*' \
	    --deny 127.0.8.1-127.0.8.5,127.0.9.0/24 --deny 127.0.0.11
}

t_acl_list_errors() {
	bad=
	for spec in "allow 300.1.1.1" "deny 127.0.0.1/33" "allow ::1/129" \
	    "allow 10.0.0.9-10.0.0.1" "deny 127.0.0.*.*" "allow not-an-address" \
	    "allow 10.0.0.1-::1"; do
		acc_run acl_list_errors "--${spec% *}" "${spec#* }" \
		    --port "$(freeport)"
		if [ "$RUN_RC" != 2 ]; then
			bad="$bad; --$spec: status $RUN_RC (want 2)"
		elif ! grep -q -- "--${spec% *}" "$T/acl_list_errors.err"; then
			bad="$bad; --$spec: the message does not name --${spec% *}: $(head -c 150 "$T/acl_list_errors.err")"
		fi
	done
	if [ -n "$bad" ]; then
		fail acl_list_errors "$(echo "$bad" | sed 's/^; //')"
	else
		pass acl_list_errors
	fi
}

t_acl_hostonly() {
	acc_init
	if ! start_proxy acl_hostonly --num-workers 1 --hostonly; then
		fail acl_hostonly "$START_ERR"
		return
	fi
	ACC_BAD=
	acc_expect acl_hostonly 127.0.0.1 200
	l4=$(acc_local4)
	[ -n "$l4" ] && acc_expect acl_hostonly "$l4" 200
	# 127.0.0.2 is routed to lo but is no interface's address
	acc_expect acl_hostonly 127.0.0.2 403
	if [ -n "$O6" ]; then
		c=$(curl -q -sS --noproxy '' --max-time 10 -o /dev/null \
		    -w '%{http_code}' -x "http://[::1]:$P" "$OURL/size/10" 2>&1)
		[ "$c" = 200 ] || ACC_BAD="$ACC_BAD; --hostonly, a client on ::1: $c"
	fi
	grep -q "listening on 0.0.0.0:$P" "$LOG" ||
	    ACC_BAD="$ACC_BAD; --hostonly does not listen on 0.0.0.0:$P"
	if [ -n "$O6" ] && ! grep -q "listening on \[::\]:$P" "$LOG"; then
		ACC_BAD="$ACC_BAD; --hostonly does not listen on [::]:$P"
	fi
	acc_verdict acl_hostonly
	echo "     (acl_hostonly: the 30 s refresh of the address list is not exercised)"
}

# ---------------------------------------------------------------- client login

t_auth_basic_get() {
	acc_init
	if ! start_proxy auth_basic_get --num-workers 1 \
	    --basic-auth alice:s3cret --basic-auth 'bob:pa:ss w'; then
		fail auth_basic_get "$START_ERR"
		return
	fi
	ACC_BAD=
	for cred in "" "-U alice:wrong" "-U alice:s3cre" "-U mallory:s3cret" \
	    "-U bob:pa" "--proxy-user alice:"; do
		rm -f "$T/hdrs"
		c=$(pcurl $cred -D "$T/hdrs" -o "$T/acc.body" -w '%{http_code}' \
		    "$OURL/echo" 2>/dev/null)
		if [ "$c" != 407 ]; then
			ACC_BAD="$ACC_BAD; GET with '${cred:-no credentials}': $c (want 407)"
		elif ! grep -qi '^Proxy-Authenticate: Basic realm="proxy"' "$T/hdrs"; then
			ACC_BAD="$ACC_BAD; the 407 for '${cred:-no credentials}' has no 'Proxy-Authenticate: Basic realm=\"proxy\"': $(grep -i authenticate "$T/hdrs" | tr -d '\r')"
		fi
	done
	grep -q ' 407 ' "$LOG" || ACC_BAD="$ACC_BAD; no log line with 407"
	c=$(pcurl -U alice:s3cret -o "$T/acc.body" -w '%{http_code}' \
	    "$OURL/echo" 2>/dev/null)
	if [ "$c" != 200 ]; then
		ACC_BAD="$ACC_BAD; GET as alice:s3cret: $c"
	elif acc_echo_has Proxy-Authorization; then
		ACC_BAD="$ACC_BAD; Proxy-Authorization reached the origin: $(grep -i '^Proxy-Authorization' "$T/acc.body")"
	fi
	c=$(pcurl -U 'bob:pa:ss w' -o "$T/acc.body" -w '%{http_code}' \
	    "$OURL/size/1000" 2>/dev/null)
	[ "$c" = 200 ] && [ "$(wc -c <"$T/acc.body")" = 1000 ] ||
	    ACC_BAD="$ACC_BAD; GET as bob with 'pa:ss w' (colon and space): $c"
	acc_verdict auth_basic_get
}

t_auth_basic_connect() {
	acc_init
	if ! start_proxy auth_basic_connect --num-workers 1 \
	    --basic-auth alice:s3cret; then
		fail auth_basic_connect "$START_ERR"
		return
	fi
	ACC_BAD=
	good=$(printf 'alice:s3cret' | base64)
	bad=$(printf 'alice:nope' | base64)
	for a in "" "Proxy-Authorization: Basic $bad\r\n" \
	    "Proxy-Authorization: Digest username=alice\r\n"; do
		raw --send "CONNECT 127.0.0.1:$O4 HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\n$a\r\n" \
		    --count 1 --timeout 5
		st=$(resp 1 status)
		h=$(rhdr 1 proxy-authenticate)
		if [ "$st" != 407 ]; then
			ACC_BAD="$ACC_BAD; CONNECT with '${a:-no credentials}': status '$st' (want 407)"
		elif [ "$h" != 'Basic realm="proxy"' ]; then
			ACC_BAD="$ACC_BAD; the 407 to CONNECT: Proxy-Authenticate '$h'"
		fi
	done
	raw --send "CONNECT 127.0.0.1:$O4 HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nProxy-Authorization: Basic $good\r\n\r\nGET /echo HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nConnection: close\r\n\r\n" \
	    --count 2 --heads 1 --timeout 5 --save "$T/acc.tun"
	if [ "$(resp 1 status)" != 200 ] || [ "$(resp 2 status)" != 200 ]; then
		ACC_BAD="$ACC_BAD; CONNECT as alice then GET in the tunnel: $(grep '^resp' "$T/raw" | tr '\n' ' ')"
	elif grep -qi '^Proxy-Authorization' "$T/acc.tun.2"; then
		ACC_BAD="$ACC_BAD; Proxy-Authorization went into the tunnel"
	fi
	fetch "$OURL/size/100000" -p -U alice:s3cret
	[ "$CODE" = 200 ] && [ "$(wc -c <"$T/body")" = 100000 ] &&
	    [ "$(sha_file "$T/body")" = "$(sha_pat 100000)" ] ||
	    ACC_BAD="$ACC_BAD; curl -p -U alice:s3cret: status $CODE, $(wc -c <"$T/body") bytes"
	# a failed CONNECT shows in %{http_connect}, not %{http_code}
	c=$(pcurl -p -U alice:wrong -o /dev/null -w '%{http_connect}' \
	    "$OURL/size/10" 2>/dev/null)
	[ "$c" = 407 ] || ACC_BAD="$ACC_BAD; curl -p -U alice:wrong: CONNECT answered $c (want 407)"
	acc_verdict auth_basic_connect
}

t_auth_basic_file() {
	acc_init
	hex=$(printf 'h3x-pw' | sha256sum | cut -d' ' -f1)
	b64=$(printf 'b64-pw' | "$PY" -c 'import base64, hashlib, sys; print(base64.b64encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).decode())')
	cat >"$T/acc.users" <<EOF
# users of the proxy
plain:pl41n

hexuser:{SHA256}$hex
b64user:{SHA256}$b64
EOF
	if ! start_proxy auth_basic_file --num-workers 1 \
	    --basic-auth-file "$T/acc.users"; then
		fail auth_basic_file "$START_ERR"
		return
	fi
	ACC_BAD=
	for ok in plain:pl41n hexuser:h3x-pw b64user:b64-pw; do
		c=$(pcurl -U "$ok" -o "$T/acc.body" -w '%{http_code}' \
		    "$OURL/echo" 2>/dev/null)
		if [ "$c" != 200 ]; then
			ACC_BAD="$ACC_BAD; $ok: $c (want 200)"
		elif acc_echo_has Proxy-Authorization; then
			ACC_BAD="$ACC_BAD; $ok: Proxy-Authorization reached the origin"
		fi
		c=$(pcurl -p -U "$ok" -o /dev/null -w '%{http_code}' \
		    "$OURL/size/10" 2>/dev/null)
		[ "$c" = 200 ] || ACC_BAD="$ACC_BAD; CONNECT as $ok: $c (want 200)"
	done
	for no in plain:wrong hexuser:$hex "hexuser:{SHA256}$hex" b64user:wrong \
	    nobody:pl41n; do
		c=$(pcurl -U "$no" -o /dev/null -w '%{http_code}' \
		    "$OURL/echo" 2>/dev/null)
		[ "$c" = 407 ] || ACC_BAD="$ACC_BAD; $no: $c (want 407)"
	done
	acc_verdict auth_basic_file
}

# the client's login is for this proxy: with a parent (that asks for
# none), its Proxy-Authorization goes no further, for GET nor CONNECT
acc_auth_basic_parent() {
	acc_init
	acc_parent acc_bppar --auth none || return
	if ! start_proxy auth_basic_parent --num-workers 1 \
	    --basic-auth alice:s3cret --proxy "127.0.0.1:$ACC_PP"; then
		fail auth_basic_parent "$START_ERR"
		return
	fi
	ACC_BAD=
	c=$(acc_code - "$OURL/echo" -U alice:s3cret)
	if [ "$c" != 200 ]; then
		ACC_BAD="$ACC_BAD; GET via the parent as alice: $c"
	elif acc_echo_has Proxy-Authorization; then
		ACC_BAD="$ACC_BAD; Proxy-Authorization reached the origin"
	fi
	c=$(acc_code - "$OURL/size/10" -p -U alice:s3cret)
	[ "$c" = 200 ] || ACC_BAD="$ACC_BAD; CONNECT via the parent as alice: $c"
	c=$(acc_code - "$OURL/size/10")
	[ "$c" = 407 ] || ACC_BAD="$ACC_BAD; GET without login: $c (want 407 from this proxy)"
	r=$(acc_pstat "$ACC_PP" requests)
	seen=$(acc_pstat "$ACC_PP" proxy_auth_seen)
	[ "$r" = 2 ] && [ "$seen" = 0 ] ||
	    ACC_BAD="$ACC_BAD; the parent saw requests=$r (want 2), Proxy-Authorization on $seen (want 0)"
	acc_verdict auth_basic_parent
}
t_auth_basic_parent() { acc_auth_basic_parent; acc_cleanup; }

# ---------------------------------------------------------------- config files

# Px's px.ini layout with every [proxy] and [settings] key filled in; the
# parent (server) checks the NTLM login of username = Corp\alice
acc_config_pxini() {
	acc_init
	acc_origin2 || { fail config_pxini "no origin on 127.0.0.2"; return; }
	acc_ntlm_parent acc_pxpar || return
	pp=$(freeport)
	cat >"$T/px.ini" <<EOF
[proxy]

; NTLM server(s) to connect through. IP:port, hostname:port
server = 127.0.0.1:$ACC_PP

; IP interface to listen on - default: 127.0.0.1
listen = 127.0.0.1

; Port to run this proxy on - default: 3128
port = $pp

; Allow remote machines to use proxy. 0 or 1, default: 0
gateway = 0

; Allow only local interfaces to use proxy. 0 or 1, default: 0
hostonly = 0

; Allow connection from specific subnets. Comma separated, default: *.*.*.*
allow = 127.0.0.1, 127.0.0.3

; Direct connect to specific subnets like a regular proxy. Comma separated
noproxy = 127.0.0.2

; Override or send User-Agent header on client's behalf
useragent = PxTest/1.0

; Authentication to use when SSPI is unavailable. Format is domain\\username
username = $ACC_DOM\\$ACC_USER

; Force instead of discovering upstream proxy type
auth = NTLM

[settings]

; Number of parallel workers (processes). Valid integer, default: 2
workers = 1

; Number of parallel threads per worker (process). Valid integer, default: 5
threads = 5

; Idle timeout in seconds for HTTP connect sessions. Valid integer, default: 30
idle = 30

; Timeout in seconds for connections before giving up. Valid float, default: 20
socktimeout = 20

; Time interval in seconds before refreshing proxy info. Valid int, default: 60
proxyreload = 60

; Run in foreground when frozen or with pythonw.exe. 0 or 1, default: 0
foreground = 1

; Enable debug logging. default: 0
log = 0
EOF
	if ! acc_pw_launch config_pxini 127.0.0.1 "$pp" --config "$T/px.ini"; then
		fail config_pxini "$START_ERR"
		return
	fi
	ACC_BAD=
	c=$(acc_code - "$OURL/echo")
	if [ "$c" != 200 ]; then
		ACC_BAD="$ACC_BAD; GET via the px.ini proxy (server = the parent): $c $(head -c 200 "$T/acc.body")"
	elif ! grep -q '^User-Agent: PxTest/1.0' "$T/acc.body"; then
		ACC_BAD="$ACC_BAD; useragent = PxTest/1.0 not applied: $(grep -i '^User-Agent' "$T/acc.body")"
	fi
	logins=$(acc_pstat "$ACC_PP" logins)
	user=$(acc_pstat "$ACC_PP" last_user)
	dom=$(acc_pstat "$ACC_PP" last_domain)
	reqs=$(acc_pstat "$ACC_PP" requests)
	if [ "$logins" = None ] || [ "$logins" = none ] || [ "$logins" -lt 1 ] 2>/dev/null ||
	    [ "$user" != "$ACC_USER" ]; then
		ACC_BAD="$ACC_BAD; server/username/auth: the parent saw logins=$logins user=$user domain=$dom"
	fi
	echo "$dom" | grep -qix "$ACC_DOM" ||
	    ACC_BAD="$ACC_BAD; the parent saw domain '$dom', want $ACC_DOM"
	c=$(acc_code - "http://127.0.0.2:$ACC_O2/size/10")
	reqs2=$(acc_pstat "$ACC_PP" requests)
	if [ "$c" != 200 ]; then
		ACC_BAD="$ACC_BAD; noproxy = 127.0.0.2: a GET to it: $c"
	elif [ "$reqs2" != "$reqs" ] ||
	    ! grep " access .* 127.0.0.2:$ACC_O2 " "$LOG" | tail -n 1 | grep -q 'DIRECT$'; then
		ACC_BAD="$ACC_BAD; noproxy = 127.0.0.2 went through the parent (requests $reqs -> $reqs2)"
	fi
	acc_expect config_pxini 127.0.0.3 200
	acc_expect config_pxini 127.0.0.2 403
	n=$(pgrep -P "$PX" | wc -l)
	[ "$n" = 1 ] || ACC_BAD="$ACC_BAD; workers = 1: $n worker processes"
	acc_verdict config_pxini
}
t_config_pxini() {
	needs_built NTLM config_pxini || return
	acc_config_pxini
	acc_cleanup
}

# Px's own px.ini, as Px ships it (its comments, its empty values,
# socktimeout = 20.0, threads), with only the port and foreground = 1
# changed: Px users bring it as it is
t_config_pxini_stock() {
	acc_init
	pp=$(freeport)
	cat >"$T/px-stock.ini" <<EOF
[proxy]

; NTLM server(s) to connect through. IP:port, hostname:port
;   Multiple proxies can be specified comma separated. Px will iterate through
;   and use the one that works
server =

; PAC file to use to connect
;   Use in place of --server if PAC file should be loaded from a URL or local
;   file. Relative paths will be relative to the Px script or binary
pac =

; PAC file encoding
;   Specify in case default 'utf-8' encoding does not work
; pac_encoding =

; IP interface to listen on - default: 127.0.0.1
listen = 127.0.0.1

; Port to run this proxy on - default: 3128
port = $pp

; Allow remote machines to use proxy. 0 or 1, default: 0
;   Overrides 'listen' and binds to all interfaces
gateway = 0

; Allow only local interfaces to use proxy. 0 or 1, default: 0
hostonly = 0

; Allow connection from specific subnets. Comma separated, default: *.*.*.*
allow = *.*.*.*

; Direct connect to specific subnets like a regular proxy. Comma separated
noproxy =

; Override or send User-Agent header on client's behalf
useragent =

; Authentication to use when SSPI is unavailable. Format is domain\\username
username =

; Force instead of discovering upstream proxy type
auth =

[settings]

; Number of parallel workers (processes). Valid integer, default: 2
workers = 2

; Number of parallel threads per worker (process). Valid integer, default: 5
threads = 5

; Idle timeout in seconds for HTTP connect sessions. Valid integer, default: 30
idle = 30

; Timeout in seconds for connections before giving up. Valid float, default: 20
socktimeout = 20.0

; Time interval in seconds before refreshing proxy info. Valid int, default: 60
proxyreload = 60

; Run in foreground when frozen or with pythonw.exe. 0 or 1, default: 0
foreground = 1

; Enable debug logging. default: 0
log = 0
EOF
	# what the proxy refuses in it, line by line: each refused line is
	# commented out (for the diagnosis only) and the start tried again
	cp "$T/px-stock.ini" "$T/px-stock.try"
	refused=
	k=0
	while [ $k -lt 10 ]; do
		k=$((k + 1))
		ACC_QUIET=1 acc_launch config_pxini_stock 127.0.0.1 "$pp" \
		    --config "$T/px-stock.try" && break
		msg=$(head -n 1 "$T/config_pxini_stock.err")
		ln=$(echo "$msg" | sed -n 's/^proxy: [^ ]*px-stock.try:\([0-9]*\): .*/\1/p')
		if [ -z "$ln" ]; then
			# "proxy: --KEY: why": the line that sets KEY
			key=$(echo "$msg" | sed -n 's/^proxy: --\([a-z-]*\): .*/\1/p')
			[ -n "$key" ] && ln=$(grep -n "^$key[[:space:]]*=" "$T/px-stock.try" |
			    head -n 1 | cut -d: -f1)
		fi
		if [ -z "$ln" ]; then
			refused="$refused; $msg"
			break
		fi
		refused="$refused; line $ln '$(sed -n "${ln}p" "$T/px-stock.try")': $(echo "$msg" | sed 's/^proxy: //')"
		sed -i "${ln}s/^/; /" "$T/px-stock.try"
		stop_proxy config_pxini_stock
	done
	ACC_BAD=
	[ -z "$refused" ] ||
	    ACC_BAD="Px's stock px.ini does not start the proxy$refused"
	if [ -n "${PID_config_pxini_stock:-}" ]; then
		[ -z "$refused" ] || ACC_BAD="$ACC_BAD; with those lines commented out"
		c=$(acc_code - "$OURL/echo" -A 'StockAgent/1')
		if [ "$c" != 200 ]; then
			ACC_BAD="$ACC_BAD; GET through the stock px.ini proxy: $c"
		elif ! grep -q '^User-Agent: StockAgent/1' "$T/acc.body"; then
			ACC_BAD="$ACC_BAD; 'useragent =' (empty: no override in Px) replaced the client's User-Agent by '$(grep -i '^User-Agent' "$T/acc.body" | tr -d '\r')'"
		fi
		grep -qi 'PAC' "$LOG" &&
		    ACC_BAD="$ACC_BAD; 'pac =' (empty: no PAC in Px) made the proxy look for a PAC file: $(grep -i 'PAC' "$LOG" | head -n 2 | sed 's/.*\] //' | tr '\n' ' ')"
	fi
	if [ -n "$ACC_BAD" ]; then
		fail config_pxini_stock "$(echo "$ACC_BAD" | sed 's/^; //')"
	else
		pass config_pxini_stock
	fi
}

# Px: "gateway = 1" and "hostonly = 1" bind all interfaces, overriding
# the "listen = 127.0.0.1" that Px's px.ini always carries
t_config_pxini_gateway() {
	acc_init
	ACC_BAD=
	for opt in gateway hostonly; do
		pp=$(freeport)
		printf '[proxy]\nlisten = 127.0.0.1\nport = %s\ngateway = %s\nhostonly = %s\n[settings]\nworkers = 1\n' \
		    "$pp" "$([ $opt = gateway ] && echo 1 || echo 0)" \
		    "$([ $opt = hostonly ] && echo 1 || echo 0)" >"$T/px-$opt.ini"
		if ! acc_launch "config_pxini_$opt" 127.0.0.1 "$pp" --config "$T/px-$opt.ini"; then
			ACC_BAD="$ACC_BAD; $opt = 1: $START_ERR"
			continue
		fi
		for a in 127.0.0.2 $(acc_local4); do
			acc_probe - "$a" "$pp"
			[ "$PROBE_STATUS" != refused ] ||
			    ACC_BAD="$ACC_BAD; px.ini with 'listen = 127.0.0.1' and '$opt = 1': $a:$pp refuses connections (listening: $(grep 'listening on' "$LOG" | sed 's/.*listening on //' | tr '\n' ' '))"
		done
		stop_proxy "config_pxini_$opt"
	done
	acc_verdict config_pxini_gateway
}

# cntlm.conf as cntlm documents it: tabs, comments, credentials as
# hashes, two Proxy lines (host:port and "host port"), NoProxy, Listen as
# a bare port, Auth, Header, Workstation, Tunnel; the parent checks the
# NTLMv2 login
acc_config_cntlm() {
	acc_init
	acc_origin2 || { fail config_cntlm "no origin on 127.0.0.2"; return; }
	if ! acc_hashes; then
		fail config_cntlm "proxy --hashes: $(head -c 200 "$T/acc.hashes")"
		return
	fi
	acc_ntlm_parent acc_cnpar || return
	lp=$(freeport)
	lp2=$(freeport 127.0.0.2)
	tp=$(freeport)
	cat >"$T/cntlm.conf" <<EOF
#
# Cntlm Authentication Proxy Configuration
#
# NOTE: Use plaintext password only at your own risk
# Use hashes instead.
#
Username	$ACC_USER
Domain		$ACC_DOM
PassLM          $H_LM
PassNT          $H_NT
### Only for user '$ACC_USER', domain '$ACC_DOM'
PassNTLMv2      $H_V2

# Specify the netbios hostname cntlm will send to the parent
# proxies. Normally the value is auto-guessed.
#
Workstation	ACCWS

# List of parent proxies to use. More proxies can be defined
# one per line in format <proxy_ip>:<proxy_port>
#
Proxy		127.0.0.1:$CLOSED
Proxy		127.0.0.1 $ACC_PP

# List addresses you do not want to pass to parent proxies
# * and ? wildcards can be used
#
NoProxy		localhost, 127.0.0.2, 10.*, 192.168.*

# Specify the port cntlm will listen on
# You can bind cntlm to specific interface by specifying
# the appropriate IP address also in format <local_ip>:<local_port>
#
Listen		$lp
Listen		127.0.0.2:$lp2

Auth		NTLMv2

# Headers which should be replaced if present in the request
#
Header		User-Agent: Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)
Header		X-Cntlm: yes

# Tunnels mapping local port to a machine behind the proxy.
#
Tunnel		$tp:127.0.0.1:$O4
EOF
	if ! acc_launch config_cntlm 127.0.0.1 "$lp" --config "$T/cntlm.conf" \
	    --num-workers 1; then
		fail config_cntlm "$START_ERR"
		return
	fi
	ACC_BAD=
	c=$(acc_code - "$OURL/echo")
	if [ "$c" != 200 ]; then
		ACC_BAD="$ACC_BAD; GET via the cntlm.conf proxy: $c $(head -c 200 "$T/acc.body")"
	else
		grep -q '^User-Agent: Mozilla/4.0 (compatible; MSIE 5.5; Windows 98)' "$T/acc.body" ||
		    ACC_BAD="$ACC_BAD; Header User-Agent not applied: $(grep -i '^User-Agent' "$T/acc.body")"
		grep -q '^X-Cntlm: yes' "$T/acc.body" ||
		    ACC_BAD="$ACC_BAD; Header X-Cntlm: yes did not arrive"
	fi
	logins=$(acc_pstat "$ACC_PP" logins)
	ws=$(acc_pstat "$ACC_PP" last_workstation)
	dia=$(acc_pstat "$ACC_PP" last_dialect)
	user=$(acc_pstat "$ACC_PP" last_user)
	fails=$(acc_pstat "$ACC_PP" failures)
	[ "$user" = "$ACC_USER" ] && [ "$dia" = NTLMv2 ] && [ "$ws" = ACCWS ] &&
	    [ "$fails" = 0 ] ||
	    ACC_BAD="$ACC_BAD; the parent saw logins=$logins user=$user dialect=$dia workstation=$ws failures=$fails (want $ACC_USER NTLMv2 ACCWS 0)"
	c=$(curl -q -sS --noproxy '' --max-time 10 -o /dev/null -w '%{http_code}' \
	    -x "http://127.0.0.2:$lp2" "$OURL/size/10" 2>&1)
	[ "$c" = 200 ] || ACC_BAD="$ACC_BAD; Listen 127.0.0.2:$lp2: $c"
	reqs=$(acc_pstat "$ACC_PP" requests)
	c=$(acc_code - "http://127.0.0.2:$ACC_O2/size/10")
	reqs2=$(acc_pstat "$ACC_PP" requests)
	[ "$c" = 200 ] && [ "$reqs" = "$reqs2" ] ||
	    ACC_BAD="$ACC_BAD; NoProxy 127.0.0.2: status $c, parent requests $reqs -> $reqs2"
	c=$(curl -q -sS --noproxy '*' --max-time 10 -o "$T/acc.body" \
	    -w '%{http_code}' "http://127.0.0.1:$tp/size/5000" 2>&1)
	reqs3=$(acc_pstat "$ACC_PP" requests)
	if [ "$c" != 200 ] || [ "$(sha_file "$T/acc.body")" != "$(sha_pat 5000)" ]; then
		ACC_BAD="$ACC_BAD; Tunnel $tp:127.0.0.1:$O4: $c"
	elif [ "$reqs3" != $((reqs2 + 1)) ] ||
	    ! grep -q "CONNECT 127.0.0.1:$O4" "$T/acc_cnpar.log"; then
		ACC_BAD="$ACC_BAD; the Tunnel did not CONNECT through the parent (requests $reqs2 -> $reqs3)"
	fi
	acc_verdict config_cntlm
}
t_config_cntlm() { acc_config_cntlm; acc_cleanup; }

# cntlm: "Gateway yes" makes the ports given without an address (Listen
# 3128) listen on all interfaces
t_config_cntlm_gateway() {
	acc_init
	lp=$(freeport)
	printf '# cntlm.conf\nListen\t\t%s\nGateway\t\tyes\n' "$lp" >"$T/cntlm-gw.conf"
	if ! acc_launch config_cntlm_gateway 127.0.0.1 "$lp" \
	    --config "$T/cntlm-gw.conf" --num-workers 1; then
		fail config_cntlm_gateway "$START_ERR"
		return
	fi
	ACC_BAD=
	for a in 127.0.0.2 $(acc_local4); do
		acc_probe - "$a" "$lp"
		[ "$PROBE_STATUS" != refused ] ||
		    ACC_BAD="$ACC_BAD; 'Listen $lp' with 'Gateway yes': $a:$lp refuses connections (listening: $(grep 'listening on' "$LOG" | sed 's/.*listening on //' | tr '\n' ' '))"
	done
	acc_verdict config_cntlm_gateway
}

# cntlm's ACL as cntlm.conf shows it: "Allow 127.0.0.1" then "Deny 0/0";
# cntlm applies the first rule that matches, so 127.0.0.1 is let in and
# everyone else is refused
t_config_cntlm_acl() {
	acc_init
	lp=$(freeport)
	printf '# cntlm.conf\nListen\t\t%s\nGateway\t\tyes\n\n# Useful in Gateway mode to allow/restrict certain IPs\nAllow\t\t127.0.0.1\nDeny\t\t0/0\n' \
	    "$lp" >"$T/cntlm-acl.conf"
	if ! acc_launch config_cntlm_acl 127.0.0.1 "$lp" \
	    --config "$T/cntlm-acl.conf" --num-workers 1; then
		fail config_cntlm_acl "cntlm's 'Allow 127.0.0.1' + 'Deny 0/0': $START_ERR"
		return
	fi
	ACC_BAD=
	acc_expect config_cntlm_acl 127.0.0.1 200
	acc_expect config_cntlm_acl 127.0.0.2 403
	acc_verdict config_cntlm_acl
}

# every long flag is a key; the command line wins over the file
t_config_flag_keys() {
	acc_init
	pp=$(freeport)
	cat >"$T/flags.conf" <<EOF
# flag names as keys
hostname = 127.0.0.1:$pp
num-workers = 1
add-header = X-One: 1
add-header = X-Two: 2
disable-via = yes
useragent = FromFile/1
deny = 127.0.0.2
disable_headers = X-Drop-Me
max-header-size: 8192
EOF
	if ! acc_launch config_flag_keys 127.0.0.1 "$pp" --config "$T/flags.conf" \
	    --useragent FromCli/2 --deny 127.0.0.3; then
		fail config_flag_keys "$START_ERR"
		return
	fi
	ACC_BAD=
	c=$(acc_code - "$OURL/echo" -H 'X-Drop-Me: 1')
	if [ "$c" != 200 ]; then
		ACC_BAD="$ACC_BAD; GET: $c"
	else
		for h in 'X-One: 1' 'X-Two: 2' 'User-Agent: FromCli/2'; do
			grep -q "^$h" "$T/acc.body" || ACC_BAD="$ACC_BAD; the origin did not get '$h'"
		done
		acc_echo_has Via && ACC_BAD="$ACC_BAD; disable-via = yes: Via was added"
		acc_echo_has X-Drop-Me && ACC_BAD="$ACC_BAD; disable_headers = X-Drop-Me: it was forwarded"
		grep -q 'FromFile' "$T/acc.body" && ACC_BAD="$ACC_BAD; the file's useragent won over --useragent"
	fi
	c=$(acc_code - "$OURL/size/10" -H "X-Big: $("$PY" -c 'print("x" * 9000)')")
	[ "$c" = 431 ] || ACC_BAD="$ACC_BAD; max-header-size: 8192 (a 9 kB header): $c, want 431"
	n=$(pgrep -P "$PX" | wc -l)
	[ "$n" = 1 ] || ACC_BAD="$ACC_BAD; num-workers = 1: $n workers"
	# --deny on the command line replaces the file's list
	acc_expect config_flag_keys 127.0.0.3 403
	acc_expect config_flag_keys 127.0.0.2 200
	acc_verdict config_flag_keys
}

# every long flag of --help (and its aliases) is a config-file key: a
# file setting it may be refused for its value, never as unknown (the
# one-shot actions are left out: help, version, config, save, quit,
# hashes, magic, pac-test, gen-ca, gen-cert, and force, which only they
# read and no file should turn on for them)
t_config_all_flag_keys() {
	"$PROXY_BIN" --help >"$T/acc.help" 2>&1
	flags=$(grep -oE -- '^ *--[a-z][a-z0-9-]*|also --[a-z][a-z0-9-]*' "$T/acc.help" |
	    sed 's/^also //; s/^ *--//' | sort -u)
	if [ "$(echo "$flags" | wc -w)" -lt 20 ]; then
		fail config_all_flag_keys "cannot read the flags from --help: $(head -c 200 "$T/acc.help")"
		return
	fi
	bad=
	for f in $flags; do
		case $f in
		help|version|config|save|quit|hashes|magic|pac-test) continue ;;
		gen-ca|gen-cert|force) continue ;;
		esac
		printf '# one flag name as a key\n%s = zz-x\n' "$f" >"$T/acc-key.conf"
		acc_run config_all_flag_keys --config "$T/acc-key.conf" --save
		grep -qi 'unknown key' "$T/config_all_flag_keys.err" &&
		    bad="$bad $f"
	done
	if [ -n "$bad" ]; then
		fail config_all_flag_keys "flags that are unknown as config-file keys:$bad"
	else
		pass config_all_flag_keys
	fi
}

# acc_conf_error CASE LAYOUT-TEXT LINE KEY: the file must stop the proxy
# with status 2 and "file:LINE: KEY"; ACC_BAD collects what did not
acc_conf_error() {
	_f=$T/$1.conf
	printf "$2" >"$_f"
	acc_run "$1" --config "$_f" --port "$(freeport)" --num-workers 1
	if [ "$RUN_RC" != 2 ]; then
		ACC_BAD="$ACC_BAD; [$(printf "$2" | sed -n "${3}p")] exit status $RUN_RC (want 2): $(head -c 150 "$T/$1.err" | tr '\n' ' ')"
	elif ! grep -q "$_f:$3: $4" "$T/$1.err"; then
		ACC_BAD="$ACC_BAD; [$(printf "$2" | sed -n "${3}p")] the message does not name '$_f:$3: $4': $(head -c 150 "$T/$1.err" | tr '\n' ' ')"
	fi
}

t_config_unknown_key() {
	ACC_BAD=
	acc_conf_error config_unknown_key '[proxy]\nport = 3128\nbogus = 1\n' 3 bogus
	acc_conf_error config_unknown_key '[settings]\n; comment\nthreadz = 5\n' 3 threadz
	acc_conf_error config_unknown_key '# cntlm.conf\nUsername\tbob\nISAScannerSize\t1024\n' 3 ISAScannerSize
	acc_conf_error config_unknown_key 'num-workers = 1\nno-such-flag = yes\n' 2 no-such-flag
	acc_conf_error config_unknown_key 'port = 3128\nconfig = /etc/other.conf\n' 2 config
	if [ -n "$ACC_BAD" ]; then
		fail config_unknown_key "$(echo "$ACC_BAD" | sed 's/^; //')"
	else
		pass config_unknown_key
	fi
}

t_config_bad_value() {
	ACC_BAD=
	acc_conf_error config_bad_value '[settings]\nworkers = many\n' 2 workers
	acc_conf_error config_bad_value '[proxy]\n\ngateway = perhaps\n' 3 gateway
	acc_conf_error config_bad_value '[proxy]\nallow = 300.1.1.1\n' 2 allow
	acc_conf_error config_bad_value '[proxy]\nauth = NTLMv9\n' 2 auth
	acc_conf_error config_bad_value '# cntlm\nAllow\t\t10.0.0.0/40\n' 2 Allow
	acc_conf_error config_bad_value '# cntlm\nProxy\t\tjusthost\n' 2 Proxy
	acc_conf_error config_bad_value '# cntlm\nHeader\t\tNoColonHere\n' 2 Header
	acc_conf_error config_bad_value '# cntlm\nTunnel\t\tgarbage\n' 2 Tunnel
	acc_conf_error config_bad_value 'port = 99999\n' 1 port
	if [ -n "$ACC_BAD" ]; then
		fail config_bad_value "$(echo "$ACC_BAD" | sed 's/^; //')"
	else
		pass config_bad_value
	fi
}

# ---------------------------------------------------------------- --save

# a cntlm.conf with a quoted Password, saved with a flag: hashes and flag
# names only; the saved file gives the same proxy (the parent checks the
# login made from the saved hashes); saving again changes nothing
acc_save_roundtrip() {
	acc_init
	if ! acc_hashes; then
		fail save_roundtrip "proxy --hashes: $(head -c 200 "$T/acc.hashes")"
		return
	fi
	acc_ntlm_parent acc_svpar || return
	lp=$(freeport)
	cat >"$T/save.conf" <<EOF
# cntlm.conf
Username	$ACC_USER
Domain		$ACC_DOM
# special characters: in double quotes
Password	"$ACC_PW"
Proxy		127.0.0.1:$ACC_PP
Listen		$lp
Header		X-Saved: yes
EOF
	acc_run save_roundtrip --config "$T/save.conf" --save \
	    --useragent Saved/1.0 --num-workers 1
	if [ "$RUN_RC" != 0 ]; then
		fail save_roundtrip "proxy --config F --save: status $RUN_RC: $(head -c 200 "$T/save_roundtrip.err")"
		return
	fi
	ACC_BAD=
	grep -qF "$ACC_PW" "$T/save.conf" && ACC_BAD="$ACC_BAD; the password is in the saved file"
	grep -qiE '^[[:space:]]*password([[:space:]]|=)' "$T/save.conf" &&
	    ACC_BAD="$ACC_BAD; the saved file has a password line"
	for kv in "pass-lm = $H_LM" "pass-nt = $H_NT" "pass-ntlmv2 = $H_V2" \
	    "useragent = Saved/1.0" "add-header = X-Saved: yes" \
	    "proxy = 127.0.0.1:$ACC_PP" "username = $ACC_USER" "num-workers = 1"; do
		grep -qx "$kv" "$T/save.conf" || ACC_BAD="$ACC_BAD; no line '$kv'"
	done
	"$PROXY_BIN" --help >"$T/acc.help" 2>&1
	for k in $(grep -v '^[[:space:]]*#' "$T/save.conf" | grep -v '^[[:space:]]*$' |
	    sed 's/[[:space:]]*=.*//' | sort -u); do
		grep -q -- "--$k\\b" "$T/acc.help" ||
		    ACC_BAD="$ACC_BAD; saved key '$k' is no flag name"
	done
	if grep -v '^[[:space:]]*#' "$T/save.conf" | grep -v '^[[:space:]]*$' |
	    grep -qv '^[a-z0-9-]* = '; then
		ACC_BAD="$ACC_BAD; lines that are not 'name = value': $(grep -v '^[[:space:]]*#' "$T/save.conf" | grep -v '^[a-z0-9-]* = ' | head -n 2 | tr '\n' ' ')"
	fi
	cp "$T/save.conf" "$T/save.conf.1"
	acc_run save_roundtrip2 --config "$T/save.conf" --save
	[ "$RUN_RC" = 0 ] && cmp -s "$T/save.conf" "$T/save.conf.1" ||
	    ACC_BAD="$ACC_BAD; saving the saved file again: status $RUN_RC, $(diff "$T/save.conf.1" "$T/save.conf" | grep '^[<>]' | head -n 4 | tr '\n' ' ')"
	if [ -n "$ACC_BAD" ]; then
		fail save_roundtrip "$(echo "$ACC_BAD" | sed 's/^; //')"
		evidence "$T/save.conf" 20
		return
	fi
	if ! acc_launch save_roundtrip 127.0.0.1 "$lp" --config "$T/save.conf"; then
		fail save_roundtrip "the saved file: $START_ERR"
		return
	fi
	c=$(acc_code - "$OURL/echo")
	if [ "$c" != 200 ]; then
		ACC_BAD="$ACC_BAD; from the saved file: GET $c $(head -c 150 "$T/acc.body")"
	else
		grep -q '^X-Saved: yes' "$T/acc.body" || ACC_BAD="$ACC_BAD; from the saved file: no X-Saved header"
		grep -q '^User-Agent: Saved/1.0' "$T/acc.body" || ACC_BAD="$ACC_BAD; from the saved file: User-Agent not Saved/1.0"
	fi
	[ "$(acc_pstat "$ACC_PP" last_user)" = "$ACC_USER" ] &&
	    [ "$(acc_pstat "$ACC_PP" failures)" = 0 ] ||
	    ACC_BAD="$ACC_BAD; the parent did not accept the login from the saved hashes: logins=$(acc_pstat "$ACC_PP" logins) failures=$(acc_pstat "$ACC_PP" failures) $(acc_pstat "$ACC_PP" last_failure)"
	acc_verdict save_roundtrip
}
t_save_roundtrip() { acc_save_roundtrip; acc_cleanup; }

# --basic-auth passwords are passwords too: --save writes their hash
t_save_no_plain_basic() {
	acc_init
	pp=$(freeport)
	printf 'port = %s\nnum-workers = 1\n' "$pp" >"$T/save-basic.conf"
	acc_run save_no_plain_basic --config "$T/save-basic.conf" --save \
	    --basic-auth 'bob:hunter2'
	if [ "$RUN_RC" != 0 ]; then
		fail save_no_plain_basic "--save: status $RUN_RC: $(head -c 200 "$T/save_no_plain_basic.err")"
		return
	fi
	if grep -q 'hunter2' "$T/save-basic.conf"; then
		fail save_no_plain_basic "--save wrote the --basic-auth password in plain: $(grep hunter2 "$T/save-basic.conf")"
		return
	fi
	if ! acc_launch save_no_plain_basic 127.0.0.1 "$pp" --config "$T/save-basic.conf"; then
		fail save_no_plain_basic "the saved file: $START_ERR"
		return
	fi
	c1=$(acc_code - "$OURL/size/10" -U bob:hunter2)
	c2=$(acc_code - "$OURL/size/10" -U bob:hunter3)
	if [ "$c1" != 200 ] || [ "$c2" != 407 ]; then
		fail save_no_plain_basic "from the saved file: bob:hunter2 got $c1 (want 200), bob:hunter3 got $c2 (want 407)"
	else
		pass save_no_plain_basic
	fi
}

# ---------------------------------------------------------------- SIGHUP

# a slow download runs across the reload and completes; the port keeps
# answering (same listening socket); new requests get the new add-header;
# the old worker leaves once its download is done
acc_reload_hup() {
	acc_init
	pp=$(freeport)
	printf 'hostname = 127.0.0.1:%s\nnum-workers = 1\nadd-header = X-Gen: one\n' \
	    "$pp" >"$T/reload.conf"
	if ! acc_launch reload_hup 127.0.0.1 "$pp" --config "$T/reload.conf"; then
		fail reload_hup "$START_ERR"
		return
	fi
	c=$(acc_code - "$OURL/echo")
	if [ "$c" != 200 ] || ! grep -q '^X-Gen: one' "$T/acc.body"; then
		fail reload_hup "before the reload: status $c, X-Gen '$(sed -n 's/^X-Gen: //p' "$T/acc.body")'"
		return
	fi
	ino0=$(acc_listen_inode "$pp")
	old=$(pgrep -P "$PX" | sort | tr '\n' ' ')
	size=24000000
	rm -f "$T/slow.res" "$T/slow.res.head"
	acc_bg slowget "$PY" "$ACC_PY" slowget 127.0.0.1 "$pp" \
	    "$OURL/big/$size" 6000000 "$T/slow.res"
	spid=$BGPID
	if ! wait_file "$T/slow.res.head" 10; then
		fail reload_hup "the slow download got no response head"
		return
	fi
	printf 'hostname = 127.0.0.1:%s\nnum-workers = 1\nadd-header = X-Gen: two\n' \
	    "$pp" >"$T/reload.conf"
	from=$(log_size "$LOG")
	kill -HUP "$PX"
	ACC_BAD=
	codes=
	i=0
	got=
	while [ $i -lt 60 ]; do
		i=$((i + 1))
		c=$(acc_code - "$OURL/echo")
		codes="$codes $c"
		[ "$c" = 200 ] || ACC_BAD="$ACC_BAD; request $i during the reload: $c $(cat "$T/acc.curlerr")"
		got=$(sed -n 's/^X-Gen: //p' "$T/acc.body" | tr -d '\r')
		[ "$got" = two ] && break
		sleep 0.05
	done
	[ "$got" = two ] || ACC_BAD="$ACC_BAD; after SIGHUP new requests still get X-Gen '$got' (want two)"
	# from then on every new client gets the new settings, while the old
	# worker still streams the download
	i=0
	while [ "$got" = two ] && [ $i -lt 10 ]; do
		i=$((i + 1))
		c=$(acc_code - "$OURL/echo")
		g=$(sed -n 's/^X-Gen: //p' "$T/acc.body" | tr -d '\r')
		[ "$c" = 200 ] && [ "$g" = two ] ||
		    ACC_BAD="$ACC_BAD; request $i after the first reloaded answer: status $c, X-Gen '$g' (an old worker still accepts?)"
	done
	log_since "$LOG" "$from" | grep -q 'reloaded' ||
	    ACC_BAD="$ACC_BAD; no 'reloaded' line in the log"
	if [ -s "$T/slow.res" ]; then
		echo "     (reload_hup: the download ended before the reload was checked: not a proof of graceful replacement)"
		ACC_BAD="$ACC_BAD; test: the slow download ($size bytes at 6 MB/s) finished before the reload took effect"
	fi
	now=$(pgrep -P "$PX" | sort | tr '\n' ' ')
	if ! wait_pid "$spid" 20; then
		ACC_BAD="$ACC_BAD; the download started before SIGHUP did not finish within 20 s"
	else
		want="status 200 len $size sha $(sha_pat $size)"
		res=$(cat "$T/slow.res" 2>/dev/null)
		[ "$res" = "$want" ] || ACC_BAD="$ACC_BAD; the download across the reload: '$res', want '$want'"
	fi
	n=0
	left=
	while [ $n -lt 100 ]; do
		left=
		for o in $old; do
			alive "$o" && left="$left $o"
		done
		[ -z "$left" ] && break
		sleep 0.05
		n=$((n + 1))
	done
	[ -z "$left" ] || ACC_BAD="$ACC_BAD; old worker(s)$left still running 5 s after their download ended"
	newer=
	for k in $now; do
		case " $old " in *" $k "*) ;; *) newer="$newer $k" ;; esac
	done
	[ -n "$newer" ] || ACC_BAD="$ACC_BAD; no new worker after SIGHUP (before: $old, after: $now)"
	ino1=$(acc_listen_inode "$pp")
	[ -n "$ino0" ] || echo "     (reload_hup: no /proc/net/tcp inode for port $pp: the socket identity is not compared)"
	if [ -n "$ino0" ] && [ "$ino0" != "$ino1" ]; then
		ACC_BAD="$ACC_BAD; the listening socket changed across the reload (inode $ino0-> $ino1)"
	fi
	alive "$PX" || ACC_BAD="$ACC_BAD; the master died"
	acc_verdict reload_hup
}
t_reload_hup() { acc_reload_hup; acc_cleanup; }

t_reload_bad_config() {
	acc_init
	pp=$(freeport)
	printf 'hostname = 127.0.0.1:%s\nnum-workers = 1\nadd-header = X-Gen: one\n' \
	    "$pp" >"$T/reload-bad.conf"
	if ! acc_launch reload_bad_config 127.0.0.1 "$pp" --config "$T/reload-bad.conf"; then
		fail reload_bad_config "$START_ERR"
		return
	fi
	ACC_BAD=
	printf 'hostname = 127.0.0.1:%s\nnum-workers = 1\nadd-header = X-Gen: two\nworkerz = 3\n' \
	    "$pp" >"$T/reload-bad.conf"
	from=$(log_size "$LOG")
	kill -HUP "$PX"
	n=0
	while [ $n -lt 100 ] && ! log_since "$LOG" "$from" | grep -q 'keeping the running configuration'; do
		sleep 0.05
		n=$((n + 1))
	done
	if ! log_since "$LOG" "$from" | grep -q 'keeping the running configuration'; then
		ACC_BAD="$ACC_BAD; no 'keeping the running configuration' in the log 5 s after SIGHUP with a bad file"
	fi
	log_since "$LOG" "$from" | grep 'reload:' | grep -q "reload-bad.conf:4: workerz" ||
	    ACC_BAD="$ACC_BAD; no 'reload:' log line naming reload-bad.conf:4: workerz: $(log_since "$LOG" "$from" | grep -i reload | head -n 2 | tr '\n' ' ')"
	c=$(acc_code - "$OURL/echo")
	g=$(sed -n 's/^X-Gen: //p' "$T/acc.body" | tr -d '\r')
	[ "$c" = 200 ] && [ "$g" = one ] ||
	    ACC_BAD="$ACC_BAD; after the refused reload: status $c, X-Gen '$g' (want 200, one)"
	alive "$PX" || ACC_BAD="$ACC_BAD; the master died on a bad reload"
	# the file fixed: the next SIGHUP takes it
	printf 'hostname = 127.0.0.1:%s\nnum-workers = 1\nadd-header = X-Gen: three\n' \
	    "$pp" >"$T/reload-bad.conf"
	kill -HUP "$PX"
	n=0
	while [ $n -lt 50 ]; do
		acc_code - "$OURL/echo" >/dev/null
		g=$(sed -n 's/^X-Gen: //p' "$T/acc.body" | tr -d '\r')
		[ "$g" = three ] && break
		sleep 0.1
		n=$((n + 1))
	done
	[ "$g" = three ] || ACC_BAD="$ACC_BAD; the corrected file was not taken on the next SIGHUP (X-Gen '$g')"
	acc_verdict reload_bad_config
}

# a changed listen address is bound anew on SIGHUP, the old one released
t_reload_listen() {
	acc_init
	p1=$(freeport)
	p2=$(freeport)
	printf 'hostname = 127.0.0.1:%s\nnum-workers = 1\n' "$p1" >"$T/reload-l.conf"
	if ! acc_launch reload_listen 127.0.0.1 "$p1" --config "$T/reload-l.conf"; then
		fail reload_listen "$START_ERR"
		return
	fi
	printf 'hostname = 127.0.0.1:%s\nnum-workers = 1\n' "$p2" >"$T/reload-l.conf"
	kill -HUP "$PX"
	ACC_BAD=
	if ! waitport 127.0.0.1 "$p2" 5; then
		ACC_BAD="$ACC_BAD; nothing listens on the new address 127.0.0.1:$p2 5 s after SIGHUP"
	else
		c=$(curl -q -sS --noproxy '' --max-time 10 -o /dev/null -w '%{http_code}' \
		    -x "http://127.0.0.1:$p2" "$OURL/size/10" 2>&1)
		[ "$c" = 200 ] || ACC_BAD="$ACC_BAD; through the new address: $c"
	fi
	n=0
	while [ $n -lt 50 ]; do
		acc_probe - 127.0.0.1 "$p1"
		[ "$PROBE_STATUS" = refused ] && break
		sleep 0.1
		n=$((n + 1))
	done
	[ "$PROBE_STATUS" = refused ] ||
	    ACC_BAD="$ACC_BAD; the old address 127.0.0.1:$p1 still accepts 5 s after it left the file"
	acc_verdict reload_listen
}

# ---------------------------------------------------------------- service

# --daemon, --pid-file and the log from the config file; --quit finds
# the instance through the same file
t_daemon_config() {
	acc_init
	dp=$(freeport)
	pidf=$T/acc-daemon.pid
	cat >"$T/daemon.conf" <<EOF
port = $dp
num-workers = 1
daemon = yes
pid-file = $pidf
log-file = $T/acc-daemon.log
EOF
	acc_run daemon_config --config "$T/daemon.conf"
	if [ "$RUN_RC" != 0 ]; then
		fail daemon_config "--config with daemon = yes: status $RUN_RC: $(head -c 200 "$T/daemon_config.err")"
		return
	fi
	wait_file "$pidf" 5
	dpid=$(tr -dc '0-9' <"$pidf" 2>/dev/null)
	if [ -z "$dpid" ] || ! kill -0 "$dpid" 2>/dev/null; then
		fail daemon_config "pid file $pidf has no live pid: '$(head -c 40 "$pidf" 2>/dev/null)'"
		return
	fi
	track "$dpid"
	kids=$(descendants "$dpid" | tr '\n' ' ')
	c=$(curl -q -sS --noproxy '' --max-time 10 -o /dev/null -w '%{http_code}' \
	    -x "http://127.0.0.1:$dp" "$OURL/size/10" 2>&1)
	acc_run daemon_config_quit --config "$T/daemon.conf" --quit
	qrc=$RUN_RC
	n=0
	while [ $n -lt 20 ] && kill -0 "$dpid" 2>/dev/null; do
		sleep 0.05
		n=$((n + 1))
	done
	ACC_BAD=
	[ "$c" = 200 ] || ACC_BAD="$ACC_BAD; a request through the daemon: $c"
	grep -q 'access .* 200 ' "$T/acc-daemon.log" 2>/dev/null ||
	    ACC_BAD="$ACC_BAD; no access line in the daemon's log-file"
	[ "$qrc" = 0 ] || ACC_BAD="$ACC_BAD; --config F --quit: status $qrc: $(head -c 150 "$T/daemon_config_quit.err" "$T/daemon_config_quit.out")"
	kill -0 "$dpid" 2>/dev/null && ACC_BAD="$ACC_BAD; pid $dpid alive after --quit returned"
	for k in $kids; do
		kill -0 "$k" 2>/dev/null && ACC_BAD="$ACC_BAD; worker $k outlived the daemon"
	done
	[ -e "$pidf" ] && ACC_BAD="$ACC_BAD; the pid file is still there after --quit"
	acc_run daemon_config_quit2 --config "$T/daemon.conf" --quit
	[ "$RUN_RC" != 0 ] || ACC_BAD="$ACC_BAD; --quit with no instance running: status 0"
	acc_verdict daemon_config
}

# as root: bind a port below 1024, then run as nobody
t_user_drop() {
	if [ "$(id -u)" != 0 ]; then
		skip user_drop "not root"
		return
	fi
	if ! getent passwd nobody >/dev/null 2>&1; then
		skip user_drop "no user nobody"
		return
	fi
	acc_init
	lp=
	for p in 81 82 83 84 85 86 87 88 89 90; do
		if "$PY" "$ACC_PY" bindable 127.0.0.1 "$p"; then
			lp=$p
			break
		fi
	done
	if [ -z "$lp" ]; then
		skip user_drop "no free port in 81..90"
		return
	fi
	if ! acc_launch user_drop 127.0.0.1 "$lp" --hostname "127.0.0.1:$lp" \
	    --num-workers 2 --user nobody; then
		fail user_drop "$START_ERR"
		return
	fi
	ACC_BAD=
	n=0
	while [ $n -lt 100 ] && [ "$(pgrep -P "$PX" | wc -l)" -lt 2 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	kids=$(descendants "$PX" | tr '\n' ' ')
	[ -n "$kids" ] || ACC_BAD="$ACC_BAD; no worker processes"
	for k in $PX $kids; do
		u=$(ps -o user= -p "$k" 2>/dev/null | tr -d ' ')
		[ -z "$u" ] || [ "$u" = nobody ] ||
		    ACC_BAD="$ACC_BAD; process $k runs as '$u' (want nobody)"
	done
	c=$(acc_code - "$OURL/size/1000")
	[ "$c" = 200 ] || ACC_BAD="$ACC_BAD; a request on port $lp: $c"
	grep -q 'running as nobody' "$LOG" || ACC_BAD="$ACC_BAD; the log does not say 'running as nobody'"
	# SIGHUP keeps the port below 1024 and the workers' user
	from=$(log_size "$LOG")
	kill -HUP "$PX"
	n=0
	while [ $n -lt 100 ] && ! log_since "$LOG" "$from" | grep -q 'reloaded'; do
		sleep 0.05
		n=$((n + 1))
	done
	log_since "$LOG" "$from" | grep -q 'reloaded' ||
	    ACC_BAD="$ACC_BAD; no 'reloaded' after SIGHUP as nobody: $(log_since "$LOG" "$from" | grep -iE 'error|warn' | head -n 2 | tr '\n' ' ')"
	c=$(acc_code - "$OURL/size/1000")
	[ "$c" = 200 ] || ACC_BAD="$ACC_BAD; a request on port $lp after SIGHUP: $c"
	for k in $PX $(descendants "$PX"); do
		u=$(ps -o user= -p "$k" 2>/dev/null | tr -d ' ')
		[ -z "$u" ] || [ "$u" = nobody ] ||
		    ACC_BAD="$ACC_BAD; after SIGHUP process $k runs as '$u'"
	done
	acc_verdict user_drop
}

# --log-file syslog: the lines reach syslog(3). Without a syslog daemon,
# a private /dev with /dev/log pointing at our own listener (in a mount
# namespace of the proxy's own) catches them.
t_log_syslog() { acc_log_syslog; acc_cleanup; }

acc_log_syslog() {
	acc_init
	pp=$(freeport)
	mode=
	if [ -S /dev/log ]; then
		mode=system
	elif [ "$(id -u)" = 0 ] && have unshare &&
	    unshare -m --propagation private true 2>/dev/null; then
		mode=private
	fi
	if [ "$mode" = private ]; then
		rm -f "$T/acc-syslog.sock" "$T/acc-syslog.txt"
		mkdir -p "$T/acc-devorig"
		acc_bg acc_syslogd "$PY" "$ACC_PY" syslogd "$T/acc-syslog.sock" \
		    "$T/acc-syslog.txt"
		wait_file "$T/acc_syslogd.out" 5
		cat >"$T/acc-syslog.sh" <<EOF
mount --bind /dev "$T/acc-devorig" && mount -t tmpfs none /dev &&
touch /dev/null && mount --bind "$T/acc-devorig/null" /dev/null &&
ln -s "$T/acc-syslog.sock" /dev/log || exit 97
exec "\$@"
EOF
		LOG=$T/log_syslog.log
		echo "unshare ... $PROXY_BIN --port $pp --num-workers 1 --log-file syslog" >"$T/log_syslog.cmd"
		unshare -m --propagation private /bin/sh "$T/acc-syslog.sh" \
		    "$PROXY_BIN" --port "$pp" --num-workers 1 --log-file syslog \
		    >"$T/log_syslog.out" 2>"$T/log_syslog.err" &
		PX=$!
		track $PX
		RUNNING="$RUNNING log_syslog"
		eval "PID_log_syslog=$PX PORT_log_syslog=$pp HOST_log_syslog=127.0.0.1"
		P=$pp PH=127.0.0.1 PROXY_URL=http://127.0.0.1:$pp
		if ! "$PY" "$C" waitport 127.0.0.1 "$pp" 10 "$PX"; then
			wait "$PX" 2>/dev/null
			if [ $? = 97 ]; then
				skip log_syslog "cannot make a private /dev/log: $(head -c 150 "$T/log_syslog.err")"
			else
				fail log_syslog "--log-file syslog: the proxy did not start: $(head -c 200 "$T/log_syslog.err")"
			fi
			return
		fi
	elif ! ACC_NOLOG=1 acc_launch log_syslog 127.0.0.1 "$pp" --port "$pp" \
	    --num-workers 1 --log-file syslog; then
		fail log_syslog "$START_ERR"
		return
	fi
	c=$(acc_code - "$OURL/size/10?syslog=1")
	if [ "$c" != 200 ]; then
		fail log_syslog "a request with --log-file syslog: $c"
		return
	fi
	if [ "$mode" = private ]; then
		n=0
		while [ $n -lt 40 ] && ! grep -q 'syslog=1' "$T/acc-syslog.txt" 2>/dev/null; do
			sleep 0.05
			n=$((n + 1))
		done
		if ! grep -q "listening on 127.0.0.1:$pp" "$T/acc-syslog.txt" 2>/dev/null; then
			fail log_syslog "no 'listening on' message reached /dev/log"
			evidence "$T/acc-syslog.txt" 5
		elif ! grep 'syslog=1' "$T/acc-syslog.txt" | grep -q '^<[0-9]*>.*proxy.*access '; then
			fail log_syslog "the access line did not reach /dev/log as a syslog message from proxy"
			evidence "$T/acc-syslog.txt" 5
		elif [ -s "$T/log_syslog.err" ]; then
			fail log_syslog "with --log-file syslog, lines still went to stderr: $(head -n 2 "$T/log_syslog.err")"
		else
			pass log_syslog
		fi
		stop_proxy log_syslog
	elif [ "$mode" = system ]; then
		pass log_syslog
		skip log_syslog_content "a system syslog daemon owns /dev/log: the message content is not read back"
	else
		pass log_syslog
		skip log_syslog_content "no syslog daemon and no private mount namespace: only start-up and serving checked"
	fi
}

# ---------------------------------------------------------------- --tunnel

t_tunnel_direct() {
	acc_init
	t1=$(freeport)
	t2=$(freeport 127.0.0.2)
	if ! start_proxy tunnel_direct --num-workers 1 \
	    --tunnel "$t1:127.0.0.1:$O4" --tunnel "127.0.0.2:$t2:127.0.0.1:$E"; then
		fail tunnel_direct "$START_ERR"
		return
	fi
	ACC_BAD=
	if ! waitport 127.0.0.1 "$t1" 5; then
		ACC_BAD="$ACC_BAD; nothing listens on the tunnel port 127.0.0.1:$t1"
	else
		c=$(curl -q -sS --noproxy '*' --max-time 10 -o "$T/acc.body" \
		    -w '%{http_code}' "http://127.0.0.1:$t1/size/300000" 2>&1)
		[ "$c" = 200 ] && [ "$(sha_file "$T/acc.body")" = "$(sha_pat 300000)" ] ||
		    ACC_BAD="$ACC_BAD; GET through --tunnel $t1:127.0.0.1:$O4: $c, $(wc -c <"$T/acc.body") bytes"
		grep -q " access .*127.0.0.1:$O4 .* 200 .*DIRECT" "$LOG" ||
		    ACC_BAD="$ACC_BAD; no access line for the tunnel"
	fi
	"$PY" "$ACC_PY" pipe 127.0.0.2 "$t2" 1000000 >"$T/acc.pipe" 2>&1
	grep -q 'match yes eof yes' "$T/acc.pipe" ||
	    ACC_BAD="$ACC_BAD; --tunnel 127.0.0.2:$t2:127.0.0.1:$E (echo, 1 MB, half-close): $(cat "$T/acc.pipe")"
	acc_probe - 127.0.0.1 "$t2"
	[ "$PROBE_STATUS" = refused ] ||
	    ACC_BAD="$ACC_BAD; the tunnel bound to 127.0.0.2 also accepts on 127.0.0.1:$t2"
	c=$(acc_code - "$OURL/size/10")
	[ "$c" = 200 ] || ACC_BAD="$ACC_BAD; the proxy port beside the tunnels: $c"
	acc_verdict tunnel_direct
}

# through a parent: a second ./proxy, whose log shows the CONNECT
t_tunnel_parent() {
	acc_init
	if ! start_proxy tunnel_parent_up --num-workers 1; then
		fail tunnel_parent "$START_ERR"
		return
	fi
	up=$P
	uplog=$LOG
	t1=$(freeport)
	if ! start_proxy tunnel_parent --num-workers 1 --proxy "127.0.0.1:$up" \
	    --tunnel "$t1:127.0.0.1:$O4"; then
		fail tunnel_parent "$START_ERR"
		return
	fi
	ACC_BAD=
	waitport 127.0.0.1 "$t1" 5 || ACC_BAD="$ACC_BAD; nothing listens on $t1"
	c=$(curl -q -sS --noproxy '*' --max-time 10 -o "$T/acc.body" \
	    -w '%{http_code}' "http://127.0.0.1:$t1/size/200000" 2>&1)
	[ "$c" = 200 ] && [ "$(sha_file "$T/acc.body")" = "$(sha_pat 200000)" ] ||
	    ACC_BAD="$ACC_BAD; GET through the tunnel: $c"
	grep -q "CONNECT 127.0.0.1:$O4" "$uplog" ||
	    ACC_BAD="$ACC_BAD; the parent's log shows no CONNECT 127.0.0.1:$O4"
	grep -q " access .*127.0.0.1:$O4 .*PROXY 127.0.0.1:$up" "$LOG" ||
	    ACC_BAD="$ACC_BAD; the access line does not name the parent: $(grep ' access ' "$LOG" | tail -n 1)"
	acc_verdict tunnel_parent
}

# through a parent that wants NTLM: the tunnel's CONNECT carries the login
acc_tunnel_parent_ntlm() {
	acc_init
	acc_ntlm_parent acc_tnpar || return
	pp=$(freeport)
	t1=$(freeport)
	if ! acc_pw_launch tunnel_parent_ntlm 127.0.0.1 "$pp" --port "$pp" \
	    --num-workers 1 --proxy "127.0.0.1:$ACC_PP" \
	    --username "$ACC_DOM\\$ACC_USER" --tunnel "$t1:127.0.0.1:$O4"; then
		fail tunnel_parent_ntlm "$START_ERR"
		return
	fi
	ACC_BAD=
	c=$(curl -q -sS --noproxy '*' --max-time 10 -o "$T/acc.body" \
	    -w '%{http_code}' "http://127.0.0.1:$t1/size/100000" 2>&1)
	[ "$c" = 200 ] && [ "$(sha_file "$T/acc.body")" = "$(sha_pat 100000)" ] ||
	    ACC_BAD="$ACC_BAD; GET through the tunnel: $c"
	l=$(acc_pstat "$ACC_PP" logins)
	f=$(acc_pstat "$ACC_PP" failures)
	[ "$l" != None ] && [ "$l" -ge 1 ] 2>/dev/null && [ "$f" = 0 ] ||
	    ACC_BAD="$ACC_BAD; the parent saw logins=$l failures=$f"
	grep -q "CONNECT 127.0.0.1:$O4" "$T/acc_tnpar.log" ||
	    ACC_BAD="$ACC_BAD; the parent's log has no CONNECT 127.0.0.1:$O4"
	acc_verdict tunnel_parent_ntlm
}
t_tunnel_parent_ntlm() {
	needs_built NTLM tunnel_parent_ntlm || return
	acc_tunnel_parent_ntlm
	acc_cleanup
}

# ---------------------------------------------------------------- contrib

# the systemd unit and the OpenWrt files exist, name only flags this
# binary has, and the OpenWrt default settings file parses
t_contrib_files() {
	ACC_BAD=
	unit=$ROOT/contrib/proxy.service
	init=$ROOT/contrib/openwrt/files/proxy.init
	conf=$ROOT/contrib/openwrt/files/proxy.conf
	for f in "$unit" "$init" "$conf"; do
		[ -f "$f" ] || ACC_BAD="$ACC_BAD; ${f#$ROOT/} is missing"
	done
	if [ -n "$ACC_BAD" ]; then
		fail contrib_files "$(echo "$ACC_BAD" | sed 's/^; //')"
		return
	fi
	"$PROXY_BIN" --help >"$T/acc.help" 2>&1
	for fl in $(grep -hv '^[[:space:]]*#' "$unit" "$init" |
	    grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
		grep -q -- "$fl\\b" "$T/acc.help" || ACC_BAD="$ACC_BAD; contrib uses $fl, which --help does not list"
	done
	grep -q '^ExecReload=.*HUP' "$unit" || ACC_BAD="$ACC_BAD; the unit's ExecReload does not send SIGHUP"
	grep -q '^ExecStart=.*--daemon' "$unit" && grep -q '^Type=forking' "$unit" ||
	    ACC_BAD="$ACC_BAD; the unit is not Type=forking with --daemon"
	grep -q 'USE_PROCD=1' "$init" && grep -q 'procd_open_instance' "$init" ||
	    ACC_BAD="$ACC_BAD; the OpenWrt init script is not a procd script"
	cp "$conf" "$T/openwrt.conf"
	acc_run contrib_files --config "$T/openwrt.conf" --save
	[ "$RUN_RC" = 0 ] ||
	    ACC_BAD="$ACC_BAD; contrib/openwrt/files/proxy.conf does not parse: status $RUN_RC: $(head -c 150 "$T/contrib_files.err")"
	if [ -n "$ACC_BAD" ]; then
		fail contrib_files "$(echo "$ACC_BAD" | sed 's/^; //')"
	else
		pass contrib_files
	fi
}
