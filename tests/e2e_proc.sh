# Processes, signals, limits, memory, daemon; sourced by tests.sh.

CASES="${CASES:-} worker_respawn sigterm_graceful sighup_reopen max_clients max_clients_total
idle_client idle_tunnel daemon mem_get mem_post mem_connect"

t_worker_respawn() {
	EXPECT_WORKER_DEATH=1
	if ! start_proxy resp --num-workers 2; then
		fail worker_respawn "$START_ERR"
		return
	fi
	n=0
	while [ $n -lt 100 ] && [ "$(pgrep -P "$PX" | wc -l)" -lt 2 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	before=$(pgrep -P "$PX" | sort | tr '\n' ' ')
	set -- $before
	if [ $# -lt 2 ]; then
		fail worker_respawn "want 2 worker processes under the master, found: $before"
		return
	fi
	victim=$1
	kill -KILL "$victim"
	n=0
	now=
	while [ $n -lt 200 ]; do
		now=$(pgrep -P "$PX" | sort | tr '\n' ' ')
		case " $now " in
		*" $victim "*) ;;
		*) [ "$(echo $now | wc -w)" -ge $# ] && break ;;
		esac
		sleep 0.05
		n=$((n + 1))
	done
	if ! alive "$PX"; then
		fail worker_respawn "the master died after a worker was killed"
		return
	fi
	if [ "$(echo $now | wc -w)" -lt $# ] || echo " $now " | grep -q " $victim "; then
		fail worker_respawn "no new worker 10 s after kill -9 $victim: before [$before] now [$now]"
		return
	fi
	i=0
	while [ $i -lt 6 ]; do
		fetch "$OURL/size/100"
		if [ "$CODE" != 200 ]; then
			fail worker_respawn "request $i after the respawn: status $CODE"
			return
		fi
		i=$((i + 1))
	done
	pass worker_respawn
}

t_sigterm_graceful() {
	if ! start_proxy term --num-workers 1; then
		fail sigterm_graceful "$START_ERR"
		return
	fi
	pcurl -o "$T/slow.body" -w '%{http_code}' "$OURL/slow/1500" \
	    >"$T/slow.code" 2>"$T/slow.err" &
	cpid=$!
	track $cpid
	n=0
	while [ $n -lt 100 ] && [ "$(origin_stat inflight)" != 1 ]; do
		sleep 0.05
		n=$((n + 1))
	done
	if [ "$(origin_stat inflight)" != 1 ]; then
		fail sigterm_graceful "the slow request never reached the origin"
		kill_bg "$cpid"
		return
	fi
	kill -TERM "$PX"
	wait_pid "$cpid" 15
	code=$(cat "$T/slow.code")
	body=$(cat "$T/slow.body" 2>/dev/null)
	if ! proxy_exited term 15; then
		fail sigterm_graceful "the master did not exit within 15 s of SIGTERM"
		kill -KILL "$PX"
		return
	fi
	rc=$EXIT_RC
	if [ "$code" != 200 ] || [ "$body" != "slow 1500" ]; then
		fail sigterm_graceful "the in-flight request got '$code' '$body' $(head -c 100 "$T/slow.err")"
	elif [ $rc != 0 ]; then
		fail sigterm_graceful "the master exited with $rc after SIGTERM, want 0"
	else
		pass sigterm_graceful
	fi
}

t_sighup_reopen() {
	if ! start_proxy hup --num-workers 2; then
		fail sighup_reopen "$START_ERR"
		return
	fi
	fetch "$OURL/size/1?hup=0"
	mv "$LOG" "$LOG.old"
	kill -HUP "$PX"
	i=0
	ok=0
	while [ $i -lt 50 ]; do
		i=$((i + 1))
		fetch "$OURL/size/1?hup=$i"
		if [ "$CODE" = 200 ] && [ -f "$LOG" ] &&
		    grep -w access "$LOG" | grep -q "hup=$i"; then
			ok=1
			break
		fi
		sleep 0.2
	done
	if ! alive "$PX"; then
		fail sighup_reopen "the master died on SIGHUP"
	elif [ $ok = 0 ]; then
		fail sighup_reopen "no access line in a new $LOG within 10 s of SIGHUP (last status $CODE)"
		tail -n 3 "$LOG.old" | sed 's/^/    | old: /'
	else
		pass sighup_reopen
	fi
}

t_max_clients() {
	if ! start_proxy maxc --max-clients 2 --num-workers 1; then
		fail max_clients "$START_ERR"
		return
	fi
	"$PY" "$C" maxclients "$PH" "$P" 2 "$OURL/size/1" >"$T/maxc" 2>&1
	extra=$(sed -n 's/^extra //p' "$T/maxc")
	after=$(sed -n 's/^after //p' "$T/maxc")
	if [ "$extra" != 503 ]; then
		fail max_clients "a third client with --max-clients 2: '$extra', want 503"
	elif ! grep -qE '(^|[^0-9])503([^0-9]|$)|max-clients' "$LOG"; then
		fail max_clients "no log line about the refused client (503 or max-clients)"
	elif [ "$after" != 200 ]; then
		fail max_clients "after the two idle clients left: '$after', want 200"
	else
		pass max_clients
	fi
}

# --max-clients is the whole proxy's limit, not each worker's
t_max_clients_total() {
	if ! start_proxy maxct --max-clients 2 --num-workers 2; then
		fail max_clients_total "$START_ERR"
		return
	fi
	"$PY" "$C" maxclients "$PH" "$P" 2 "$OURL/size/1" warm >"$T/maxct" 2>&1
	extra=$(sed -n 's/^extra //p' "$T/maxct")
	after=$(sed -n 's/^after //p' "$T/maxct")
	if grep -q '^warm' "$T/maxct"; then
		fail max_clients_total "a held client's first request: $(grep '^warm' "$T/maxct" | head -n 1)"
	elif [ "$extra" != 503 ]; then
		fail max_clients_total "a third client with --max-clients 2 and 2 workers: '$extra', want 503"
	elif ! grep -qE '127\.0\.0\.1:[0-9]+: refused: 503' "$LOG"; then
		fail max_clients_total "the 503 log line does not name the client's address"
		grep 503 "$LOG" | tail -n 2 | sed 's/^/    | /'
	elif [ "$after" != 200 ]; then
		fail max_clients_total "after the two idle clients left: '$after', want 200"
	else
		pass max_clients_total
	fi
}

t_idle_client() {
	if ! start_proxy idlec --idle 1 --num-workers 1; then
		fail idle_client "$START_ERR"
		return
	fi
	"$PY" "$C" idle "$PH" "$P" 8 >"$T/idle" 2>&1
	set -- $(cat "$T/idle")
	if [ "${1:-}" != closed ]; then
		fail idle_client "an idle client with --idle 1 is still open after 8 s"
	else
		# closed, but not at once: between 0.5 s and 5 s
		ms=$(echo "${3:-0}" | awk '{ print int($1 * 1000) }')
		if [ "$ms" -lt 500 ] || [ "$ms" -gt 5000 ]; then
			fail idle_client "closed after $ms ms with --idle 1"
		else
			pass idle_client
		fi
	fi
}

t_idle_tunnel() {
	if ! start_proxy idlet --idle 1 --num-workers 1; then
		fail idle_tunnel "$START_ERR"
		return
	fi
	"$PY" "$C" idle "$PH" "$P" 8 \
	    "CONNECT 127.0.0.1:$E HTTP/1.1\r\nHost: 127.0.0.1:$E\r\n\r\n" \
	    >"$T/idle" 2>&1
	if ! grep -q " 200" "$T/idle"; then
		fail idle_tunnel "no 200 to CONNECT: $(cat "$T/idle")"
	elif ! grep -q '^closed' "$T/idle"; then
		fail idle_tunnel "an idle tunnel with --idle 1 is still open after 8 s"
	else
		pass idle_tunnel
	fi
}

t_daemon() {
	dport=$(freeport)
	pidf=$T/daemon.pid
	t0=$(ms_now)
	if have timeout; then
		timeout 10 "$PROXY_BIN" --daemon --pid-file "$pidf" --port "$dport" \
		    --num-workers 1 --log-file "$T/daemon.log" --log-level debug \
		    >"$T/daemon.out" 2>"$T/daemon.err"
	else
		"$PROXY_BIN" --daemon --pid-file "$pidf" --port "$dport" \
		    --num-workers 1 --log-file "$T/daemon.log" --log-level debug \
		    >"$T/daemon.out" 2>"$T/daemon.err"
	fi
	rc=$?
	dt=$(($(ms_now) - t0))
	if [ $rc != 0 ] || [ $dt -gt 5000 ]; then
		fail daemon "--daemon returned $rc after $dt ms (want 0, at once)"
		evidence "$T/daemon.err" 5
		return
	fi
	wait_file "$pidf" 5
	dpid=$(tr -dc '0-9' <"$pidf" 2>/dev/null)
	if [ -z "$dpid" ] || ! kill -0 "$dpid" 2>/dev/null; then
		fail daemon "pid file '$pidf' has no live pid: '$(head -c 50 "$pidf" 2>/dev/null)'"
		return
	fi
	track "$dpid"
	kids=$(descendants "$dpid" | tr '\n' ' ')
	if ! waitport 127.0.0.1 "$dport" 10; then
		fail daemon "the daemon does not listen on $dport"
		return
	fi
	code=$(curl -q -sS --noproxy '' --max-time 10 -o /dev/null -w '%{http_code}' \
	    -x "http://127.0.0.1:$dport" "$OURL/size/10")
	if [ "$code" != 200 ]; then
		fail daemon "a request through the daemon: status $code"
		return
	fi
	if have timeout; then
		timeout 20 "$PROXY_BIN" --quit --pid-file "$pidf" >"$T/quit.out" 2>&1
	else
		"$PROXY_BIN" --quit --pid-file "$pidf" >"$T/quit.out" 2>&1
	fi
	qrc=$?
	# --quit waits for the instance to exit: allow a second of slack
	n=0
	while [ $n -lt 20 ] && kill -0 "$dpid" 2>/dev/null; do
		sleep 0.05
		n=$((n + 1))
	done
	if [ $qrc != 0 ]; then
		fail daemon "--quit --pid-file exited with $qrc: $(head -c 200 "$T/quit.out")"
	elif kill -0 "$dpid" 2>/dev/null; then
		fail daemon "pid $dpid still alive 1 s after --quit returned (--quit should wait for it)"
	else
		for k in $kids; do
			if kill -0 "$k" 2>/dev/null; then
				fail daemon "worker $k outlived the daemon"
				return
			fi
		done
		pass daemon
	fi
}

# mem_watch CASE PID: samples the summed RSS of the current proxy's
# processes until PID (the transfer) ends (bounded: 240 s); sets RSS_MAX
# (KiB) and RSS_N (samples)
mem_watch() {
	RSS_MAX=0
	RSS_N=0
	n=0
	while alive "$2" && [ $n -lt 960 ]; do
		pids=$(echo "$PX $(descendants "$PX")" | tr -s ' \n' ',,' | sed 's/,$//')
		kb=$(ps -o rss= -p "$pids" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
		[ "$kb" -gt "$RSS_MAX" ] && RSS_MAX=$kb
		RSS_N=$((RSS_N + 1))
		sleep 0.25
		n=$((n + 1))
	done
	wait "$2" 2>/dev/null
}

# mem_case CASE: common start for the 256 MiB cases
mem_case() {
	if [ "$QUICK" = 1 ]; then
		skip "$1" "TESTS_QUICK=1 (256 MiB transfer)"
		return 1
	fi
	if ! start_proxy "$1" --num-workers 1; then
		fail "$1" "$START_ERR"
		return 1
	fi
	[ -n "${BIG_SHA:-}" ] || BIG_SHA=$(sha_pat $BIG)
	return 0
}

mem_verdict() {
	echo "     ($1: peak RSS of the proxy's processes $RSS_MAX KiB over $RSS_N samples)"
	if [ "$2" != "$3" ]; then
		fail "$1" "256 MiB: got '$2', want '$3'"
	elif [ "$RSS_N" -lt 3 ]; then
		fail "$1" "only $RSS_N RSS samples during the transfer (test bug?)"
	elif [ "${PROXY_SANITIZED:-0}" = 1 ] || grep -q __asan_init "$PROXY_BIN" 2>/dev/null; then
		echo "     ($1: sanitizer build, RSS bound not checked)"
		pass "$1"
	elif [ "$RSS_MAX" -gt "$RSS_LIMIT_KB" ]; then
		fail "$1" "peak RSS $RSS_MAX KiB > $RSS_LIMIT_KB KiB while streaming 256 MiB"
	else
		pass "$1"
	fi
}

t_mem_get() {
	mem_case mem_get || return
	# a rate-limited reader: the proxy must stop reading the origin
	pcurl --max-time 200 --limit-rate 64M "$OURL/big/$BIG" 2>"$T/curl.err" |
	    sha256sum >"$T/mem.sha" &
	mpid=$!
	track $mpid
	mem_watch mem_get "$mpid"
	mem_verdict mem_get "$(cut -d' ' -f1 "$T/mem.sha")" "$BIG_SHA"
}

t_mem_post() {
	mem_case mem_post || return
	"$PY" "$ORIGIN" --gen $BIG |
	    pcurl --max-time 200 --limit-rate 64M -H 'Expect:' -X POST -T - \
	    "$OURL/sink" >"$T/mem.out" 2>"$T/curl.err" &
	mpid=$!
	track $mpid
	mem_watch mem_post "$mpid"
	mem_verdict mem_post "$(cat "$T/mem.out")" "$BIG $BIG_SHA"
}

t_mem_connect() {
	mem_case mem_connect || return
	pcurl --max-time 200 --limit-rate 64M -p "$OURL/big/$BIG" \
	    2>"$T/curl.err" | sha256sum >"$T/mem.sha" &
	mpid=$!
	track $mpid
	mem_watch mem_connect "$mpid"
	mem_verdict mem_connect "$(cut -d' ' -f1 "$T/mem.sha")" "$BIG_SHA"
}

# Out of file descriptors (EMFILE): clients beyond the limit are turned
# away, the worker lives on, and it serves again once fds are free.
t_emfile() {
	if ! start_proxy emfile --open-file-limit 48 --num-workers 1; then
		fail emfile "$START_ERR"
		return
	fi
	_w=$(pgrep -P "$PX" | head -n 1)
	"$PY" - "$PH" "$P" "$OURL/size/100" >"$T/emfile" 2>&1 <<'PYEOF'
import socket, sys, time
host, port, url = sys.argv[1], int(sys.argv[2]), sys.argv[3]
held = []
for i in range(80):
    try:
        s = socket.create_connection((host, port), timeout=2)
        held.append(s)
    except OSError:
        break
time.sleep(0.5)
# the proxy has closed the ones it could not take: count those still open
open_ = 0
for s in held:
    s.settimeout(0.2)
    try:
        d = s.recv(1)
        if d == b"":
            continue
    except socket.timeout:
        open_ += 1
        continue
    except OSError:
        continue
print("held", len(held), "open", open_)
for s in held:
    s.close()
time.sleep(0.5)
s = socket.create_connection((host, port), timeout=5)
s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % url).encode())
data = b""
deadline = time.time() + 5
while time.time() < deadline:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print("after", data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else "none")
PYEOF
	_after=$(sed -n 's/^after //p' "$T/emfile")
	_open=$(sed -n 's/^held [0-9]* open //p' "$T/emfile")
	if [ "$_after" != 200 ]; then
		fail emfile "after the flood: '$_after', want 200 ($(cat "$T/emfile"))"
	elif [ -z "$_open" ] || [ "$_open" -ge 80 ]; then
		fail emfile "with --open-file-limit 48, $_open of 80 clients stayed open"
	elif ! grep -q "out of file descriptors" "$LOG"; then
		fail emfile "no log line about running out of file descriptors"
	elif [ -n "$_w" ] && ! alive "$_w"; then
		fail emfile "the worker (pid $_w) died"
	else
		pass emfile
	fi
}
CASES="$CASES emfile nopipe"

# No pipe for splice(2) (pipe2 fails with EMFILE, through tests/nopipe.c
# preloaded): bulk GET, POST and CONNECT transfers fall back to copying
# through the buffers and arrive whole, instead of stalling.
# nopipe_start CASE NAME FLAGS...: proxy NAME with the tests/nopipe.c
# shim, whose every pipe2() fails and is marked in $T/nopipe.mark
nopipe_start() {
	_nc=$1
	_nn=$2
	shift 2
	if ! command -v cc >/dev/null 2>&1; then
		skip "$_nc" "no cc to build tests/nopipe.c"
		return 1
	fi
	if ! cc -shared -fPIC -o "$T/nopipe.so" tests/nopipe.c 2>"$T/nopipe.cc"; then
		fail "$_nc" "tests/nopipe.c does not build: $(head -c 300 "$T/nopipe.cc")"
		return 1
	fi
	rm -f "$T/nopipe.mark"
	case $PROXY_BIN in
	/*) _bin=$PROXY_BIN ;;
	*) _bin=$ROOT/$PROXY_BIN ;;
	esac
	# LD_PRELOAD needs the dynamic linker: a static binary ignores it
	if have readelf && ! readelf -l "$_bin" 2>/dev/null | grep -q interpreter
	then
		skip "$_nc" "a static binary: no LD_PRELOAD shim can refuse its pipes"
		return 1
	fi
	# only the proxy runs with the shim (ASan wants its runtime first in
	# the link order; the shim only adds pipe2)
	cat >"$T/nopipe-proxy" <<EOF
#!/bin/sh
ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}verify_asan_link_order=0 \\
    NOPIPE_MARK="$T/nopipe.mark" LD_PRELOAD="$T/nopipe.so" \\
    exec "$_bin" "\$@"
EOF
	chmod +x "$T/nopipe-proxy"
	_bin=$PROXY_BIN
	PROXY_BIN=$T/nopipe-proxy
	start_proxy "$_nn" --num-workers 1 "$@"
	_rc=$?
	PROXY_BIN=$_bin
	if [ $_rc != 0 ]; then
		fail "$_nc" "$START_ERR"
		return 1
	fi
	return 0
}

# --no-splice: bulk bytes go through the buffers, and no pipe is ever
# asked for (the shim would mark it)
t_no_splice() {
	nopipe_start no_splice nosplice --no-splice || return
	n=16777216
	want=$(sha_pat $n)
	get=$(pcurl --max-time 60 "$OURL/big/$n" 2>"$T/curl.err" | sha256sum | cut -d' ' -f1)
	tun=$(pcurl --max-time 60 -p "$OURL/big/$n" 2>>"$T/curl.err" | sha256sum | cut -d' ' -f1)
	if [ "$get" != "$want" ] || [ "$tun" != "$want" ]; then
		fail no_splice "16 MiB GET / CONNECT with --no-splice: sha $get / $tun, want $want"
	elif [ -e "$T/nopipe.mark" ]; then
		fail no_splice "with --no-splice the proxy still asked for $(wc -c <"$T/nopipe.mark") pipe(s)"
	else
		pass no_splice
	fi
}

t_nopipe() {
	nopipe_start nopipe nopipe || return
	n=67108864
	want=$(sha_pat $n)
	get=$(pcurl --max-time 60 "$OURL/big/$n" 2>"$T/curl.err" | sha256sum | cut -d' ' -f1)
	tun=$(pcurl --max-time 60 -p "$OURL/big/$n" 2>>"$T/curl.err" | sha256sum | cut -d' ' -f1)
	"$PY" "$ORIGIN" --gen $n >"$T/nopipe.body"
	post=$(pcurl --max-time 60 -H 'Expect:' -X POST -T "$T/nopipe.body" \
	    "$OURL/sink" 2>>"$T/curl.err")
	rm -f "$T/nopipe.body"
	if [ ! -s "$T/nopipe.mark" ]; then
		fail nopipe "the shim refused no pipe2(): the splice path was not tried"
	elif [ "$get" != "$want" ]; then
		fail nopipe "GET 64 MiB without pipes: sha $get, want $want ($(head -c 200 "$T/curl.err"))"
	elif [ "$tun" != "$want" ]; then
		fail nopipe "CONNECT 64 MiB without pipes: sha $tun, want $want ($(head -c 200 "$T/curl.err"))"
	elif [ "$post" != "$n $want" ]; then
		fail nopipe "POST 64 MiB without pipes: origin got '$post', want '$n $want'"
	else
		pass nopipe
	fi
}
CASES="$CASES no_splice bind_now"

# ld_text_kib PID: KiB of the dynamic linker's code resident in PID
ld_text_kib() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / { ld = ($2 ~ /x/ && $6 ~ /\/ld[-.]/) }
	    /^Rss:/ && ld { s += $2 } END { print s + 0 }' "/proc/$1/smaps" 2>/dev/null
}

# The build binds every symbol in the master (-z now): workers and
# resolver helpers, once they have served requests, never ran ld.so's
# lazy binder, so none of its code is resident in them.
t_bind_now() {
	if ! start_proxy bindnow --num-workers 1; then
		fail bind_now "$START_ERR"
		return
	fi
	if [ "${PROXY_SANITIZED:-0}" = 1 ]; then
		# ASan's runtime calls into ld.so in the forked processes itself
		skip bind_now "sanitizer build"
		return
	fi
	if [ ! -r "/proc/$PX/smaps" ] || ! grep -q '/ld[-.]' "/proc/$PX/maps"; then
		skip bind_now "no /proc smaps or no dynamic linker mapped (static build)"
		return
	fi
	fetch "$OURL/size/100"
	_c1=$CODE
	# a name too, where the test resolver answers: the helper's getaddrinfo
	_c2=200
	if [ "$DNS_OK" = 1 ]; then
		fetch "http://a.test:$O4/size/100"
		_c2=$CODE
	fi
	if [ "$_c1 $_c2" != "200 200" ]; then
		fail bind_now "requests by address and by name: status $_c1 $_c2"
		return
	fi
	_kids=$(descendants "$PX")
	_bad=
	for _p in $_kids; do
		_k=$(ld_text_kib "$_p")
		[ "${_k:-0}" -gt 0 ] && _bad="$_bad $_p:${_k}KiB"
	done
	if [ -z "$_kids" ]; then
		fail bind_now "no worker under the master"
	elif [ -n "$_bad" ]; then
		fail bind_now "ld.so code resident in forked processes (lazy binding):$_bad"
	else
		pass bind_now
	fi
}
