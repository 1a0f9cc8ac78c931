# The workers' event backends (--events) and how new clients reach them
# (--accept); many idle connections; sourced by tests.sh.

CASES="${CASES:-} events_version events_flags events_backends accept_modes
events_idle_many events_timeout_many"

# ev_backends: the backends this build has, from --version
ev_backends() {
	"$PROXY_BIN" --version 2>/dev/null |
	    sed -n 's/^events: //p' | sed 's/ (default)//; s/,//g'
}

# --version names the backend the workers use by default, and the line
# after it every backend --events may choose.
t_events_version() {
	run_cli --version
	_def=$(sed -n 's/^events: \([a-z]*\) (default).*/\1/p' "$T/cli.out")
	case $(uname -s) in
	Linux) _want=epoll ;;
	*BSD|Darwin|DragonFly) _want=kqueue ;;
	*) _want=poll ;;
	esac
	# make EVENTS=poll: poll alone
	[ "$(ev_backends)" = poll ] && _want=poll
	if [ -z "$_def" ]; then
		fail events_version "no 'events: BACKEND (default)' line: $(head -c 300 "$T/cli.out" | tr '\n' '|')"
	elif ! grep -q "^features:.* $_def" "$T/cli.out"; then
		fail events_version "the features line does not name $_def: $(grep '^features' "$T/cli.out")"
	elif ! ev_backends | grep -qw poll; then
		fail events_version "poll is not among the backends: $(ev_backends)"
	elif [ "$_def" != "$_want" ]; then
		fail events_version "default backend $_def on $(uname -s), want $_want"
	else
		pass events_version
	fi
}

# Bad --events and --accept values exit 2 naming the flag; a backend
# the build lacks says which it has.
t_events_flags() {
	_bad=
	for _a in "--events bogus" "--accept bogus" "--events kqueue --accept exclusive"; do
		run_cli $_a
		if [ "$CLI_RC" != 2 ] || ! grep -q -- "${_a%% *}" "$T/cli.err"; then
			_bad="$_bad; '$_a': status $CLI_RC, '$(head -c 200 "$T/cli.err")'"
		fi
	done
	for _b in epoll kqueue; do
		ev_backends | grep -qw $_b && continue
		run_cli --events $_b --listen 256.0.0.1
		if [ "$CLI_RC" != 2 ] || ! grep -q "not in this build (it has" "$T/cli.err"; then
			_bad="$_bad; --events $_b: status $CLI_RC, '$(head -c 200 "$T/cli.err")'"
		fi
	done
	if [ -n "$_bad" ]; then
		fail events_flags "${_bad#; }"
	else
		pass events_flags
	fi
}

# ev_start NAME FLAGS...: start_proxy with exactly these --events (the
# suite's PROXY_EVENTS would add its own after them)
ev_start() {
	_pe=${PROXY_EVENTS:-}
	PROXY_EVENTS=
	start_proxy "$@"
	_rc=$?
	PROXY_EVENTS=$_pe
	return $_rc
}

# ev_exchange CASE: a GET, two GETs on one connection, a CONNECT and a
# 1 MiB download through the current proxy; says what went wrong, or
# nothing
ev_exchange() {
	_w=$(sha_pat 1048576)
	_g=$(pcurl -o /dev/null -w '%{http_code}' "$OURL/size/100" 2>&1)
	_k=$(pcurl -o /dev/null -o /dev/null -w '%{http_code}%{num_connects} ' \
	    "$OURL/size/100" "$OURL/size/200" 2>&1)
	_c=$(pcurl -p -o /dev/null -w '%{http_code}' "$OURL/size/100" 2>&1)
	_s=$(pcurl "$OURL/big/1048576" 2>/dev/null | sha256sum | cut -d' ' -f1)
	[ "$_g" = 200 ] || echo "GET: $_g"
	[ "$_k" = "2001 2000 " ] || echo "two GETs on one connection: '$_k'"
	[ "$_c" = 200 ] || echo "CONNECT: $_c"
	[ "$_s" = "$_w" ] || echo "1 MiB GET: sha $_s"
}

# Every backend of the build serves the same exchanges, and its workers
# say which one they run.
t_events_backends() {
	_bad=
	for _b in $(ev_backends); do
		if ! ev_start "ev_$_b" --events "$_b"; then
			_bad="$_bad; --events $_b: $START_ERR"
			continue
		fi
		_e=$(ev_exchange)
		[ -z "$_e" ] || _bad="$_bad; --events $_b: $_e"
		grep -q "worker 0 started ($_b)" "$LOG" ||
			_bad="$_bad; --events $_b: no 'worker 0 started ($_b)' in the log"
		stop_proxy "ev_$_b"
	done
	if [ -n "$_bad" ]; then
		fail events_backends "${_bad#; }"
	else
		pass events_backends
	fi
}

# Each --accept mode the build and kernel have serves clients over both
# workers; reuseport gives each worker a listening socket of its own.
t_accept_modes() {
	_bad=
	_modes=shared
	ev_backends | grep -qw epoll && _modes="$_modes exclusive"
	[ "$(uname -s)" = Linux ] && _modes="$_modes reuseport"
	for _m in $_modes; do
		if ! ev_start "acc_$_m" --accept "$_m" --num-workers 2; then
			_bad="$_bad; --accept $_m: $START_ERR"
			continue
		fi
		_e=$(ev_exchange)
		[ -z "$_e" ] || _bad="$_bad; --accept $_m: $_e"
		if grep -q "own on" "$LOG"; then
			_bad="$_bad; --accept $_m: $(grep -m1 'own on' "$LOG")"
		fi
		if [ "$_m" = reuseport ] && have ss; then
			_n=$(ss -ltnH "sport = :$P" 2>/dev/null | wc -l)
			[ "$_n" -ge 3 ] ||
				_bad="$_bad; --accept reuseport: $_n listening sockets on port $P, want 3 (the master's and one per worker)"
		fi
		stop_proxy "acc_$_m"
	done
	if [ -n "$_bad" ]; then
		fail accept_modes "${_bad#; }"
	else
		pass accept_modes
	fi
}

EV_IDLE_N=2000

# ev_holder CASE ARGS: tests/holder.py ARGS with room for its
# descriptors; its output in $T/holder.out
ev_holder() {
	_hc=$1
	shift
	sh -c 'ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"' \
	    holder "$PY" "$ROOT/tests/holder.py" "$@" >"$T/holder.out" \
	    2>"$T/holder.err"
}

# ev_fd_room: 0 if this shell may open the descriptors the cases need
ev_fd_room() {
	_h=$(ulimit -Hn)
	[ "$_h" = unlimited ] || [ "$_h" -ge $((EV_IDLE_N * 2 + 200)) ]
}

# With 2,000 idle tunnels open, requests are still served, whole, by
# each backend: 200 GETs within a generous 60 s (a turn that walked every
# connection would pass too; what is checked is that nothing starves,
# stalls or is refused).
t_events_idle_many() {
	if ! ev_fd_room; then
		skip events_idle_many "the hard descriptor limit $(ulimit -Hn) is below $((EV_IDLE_N * 2 + 200))"
		return
	fi
	_bad=
	for _b in $(ev_backends); do
		if ! ev_start "many_$_b" --events "$_b" --max-clients 10000 \
		    --log-level info; then
			_bad="$_bad; --events $_b: $START_ERR"
			continue
		fi
		ev_holder events_idle_many serve "$PH" "$P" $EV_IDLE_N \
		    "$OURL/size/1024" 200 60
		_got=$(cat "$T/holder.out")
		case $_got in
		"tunnels $EV_IDLE_N served 200 of 200 in "*) ;;
		*) _bad="$_bad; --events $_b: '$_got' $(head -c 200 "$T/holder.err"), want $EV_IDLE_N tunnels and 200 of 200 served" ;;
		esac
		stop_proxy "many_$_b"
	done
	if [ -n "$_bad" ]; then
		fail events_idle_many "${_bad#; }"
	else
		pass events_idle_many
	fi
}

# The deadline of one idle client among 2,000 idle tunnels, half of
# whose deadlines come before it and half after, fires on time: --idle 5
# closes it 5 s after it connected, within a second.
t_events_timeout_many() {
	if ! ev_fd_room; then
		skip events_timeout_many "the hard descriptor limit $(ulimit -Hn) is below $((EV_IDLE_N * 2 + 200))"
		return
	fi
	_bad=
	for _b in $(ev_backends); do
		if ! ev_start "tmo_$_b" --events "$_b" --max-clients 10000 \
		    --idle 5 --log-level info; then
			_bad="$_bad; --events $_b: $START_ERR"
			continue
		fi
		ev_holder events_timeout_many timeout "$PH" "$P" $EV_IDLE_N 5
		_got=$(cat "$T/holder.out")
		_s=$(echo "$_got" | sed -n "s/^tunnels $EV_IDLE_N probe closed after \([0-9.]*\)$/\1/p")
		if [ -z "$_s" ]; then
			_bad="$_bad; --events $_b: '$_got' $(head -c 200 "$T/holder.err")"
		elif ! awk -v s="$_s" 'BEGIN { exit !(s >= 4 && s <= 6) }'; then
			_bad="$_bad; --events $_b: the idle client was closed after $_s s, want 5 +- 1"
		fi
		stop_proxy "tmo_$_b"
	done
	if [ -n "$_bad" ]; then
		fail events_timeout_many "${_bad#; }"
	else
		pass events_timeout_many
	fi
}
