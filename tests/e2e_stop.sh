# Stopping and the access log's account of what was cut; sourced by
# tests.sh.

CASES="${CASES:-} access_error_bytes access_aborted stop_refuses_new
stop_deadline_logged ctrl_c"

STOP_PY=$ROOT/tests/rawclient.py

# access_of LOGFILE REGEX: "STATUS IN OUT MARK" of the last access line
# matching REGEX (MARK: aborted or -)
access_of() {
	grep " access .*$2" "$1" 2>/dev/null | tail -n 1 | awk '{
		for (i = 1; i <= NF; i++) if ($i == "access") break
		print $(i + 5), $(i + 6), $(i + 7), ($NF == "aborted" ? "aborted" : "-")
	}'
}

# wait_access LOGFILE REGEX: polls (bounded) until such a line is there
wait_access() {
	_n=0
	while [ $_n -lt 100 ] && [ -z "$(access_of "$1" "$2")" ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
	[ -n "$(access_of "$1" "$2")" ]
}

# our own error page: the access line counts the bytes the client got
t_access_error_bytes() {
	need_dns access_error_bytes || return
	needs_shared || return
	got=$(pcurl -o /dev/null -w '%{http_code} %{size_header} %{size_download}' \
	    "http://errbytes.invalid/" 2>/dev/null)
	set -- $got
	if [ "$1" != 502 ]; then
		fail access_error_bytes "status $1, want 502"
		return
	fi
	want=$(($2 + $3))
	wait_access "$LOG" 'errbytes\.invalid' || {
		fail access_error_bytes "no access line for the 502"
		return
	}
	set -- $(access_of "$LOG" 'errbytes\.invalid')
	if [ "$1" != 502 ] || [ "$3" != "$want" ]; then
		fail access_error_bytes "access line: status $1, $3 bytes to the client; the client got $want"
	elif [ "$4" != - ]; then
		fail access_error_bytes "a delivered error page is marked $4"
	else
		pass access_error_bytes
	fi
}

# a client that leaves mid-download is logged as aborted, with what it
# got; a whole download is not
t_access_aborted() {
	needs_shared || return
	out=$("$PY" "$STOP_PY" partial 127.0.0.1 "$P" "$OURL/size/50000001" 200000)
	wait_access "$LOG" '/size/50000001 ' || {
		fail access_aborted "no access line for the cut download ($out)"
		return
	}
	set -- $(access_of "$LOG" '/size/50000001 ')
	if [ "$1" != 200 ] || [ "$4" != aborted ]; then
		fail access_aborted "the cut download is logged '$*', want 200 ... aborted"
	elif [ "$3" -lt 200000 ] || [ "$3" -ge 50000001 ]; then
		fail access_aborted "bytes to the client: $3 (the client read ${out#read } and left)"
	else
		fetch "$OURL/size/1003"
		wait_access "$LOG" '/size/1003 '
		set -- $(access_of "$LOG" '/size/1003 ')
		if [ "$CODE" != 200 ] || [ "$4" != - ]; then
			fail access_aborted "a whole download is logged '$*'"
		else
			pass access_aborted
		fi
	fi
}

# holding CASE NAME FLAGS...: starts proxy NAME with FLAGS and holds a
# tunnel through it; fails CASE and returns 1 if either does not happen
holding() {
	_hc=$1
	_hn=$2
	shift 2
	if ! start_proxy "$_hn" "$@"; then
		fail "$_hc" "$START_ERR"
		return 1
	fi
	hold_tunnel "$_hn.hold" && return 0
	fail "$_hc" "no tunnel: $(cat "$T/$_hn.hold")"
	return 1
}

# stopped_at_once CASE NAME SIG TARGET: a second SIG to TARGET (a pid,
# or -pgid) stops proxy NAME within 3 s
stopped_at_once() {
	kill "-$3" "$4"
	proxy_exited "$2" 3 && return 0
	fail "$1" "still running 3 s after a second SIG$3"
	kill -KILL "$4" 2>/dev/null
	return 1
}

# hold_tunnel NAME: a CONNECT tunnel through the current proxy, held open
# (up to 30 s) by a background client; sets HOLD_PID, output in $T/NAME
hold_tunnel() {
	"$PY" "$STOP_PY" hold 127.0.0.1 "$P" "$E" 30 >"$T/$1" 2>&1 &
	HOLD_PID=$!
	track $HOLD_PID
	_n=0
	while [ $_n -lt 100 ] && ! grep -q ready "$T/$1"; do
		sleep 0.05
		_n=$((_n + 1))
	done
	grep -q ready "$T/$1"
}


# While in-flight work drains, new clients are refused, never accepted
# and left to a reset; a second SIGTERM stops at once, logging the cut
t_stop_refuses_new() {
	holding stop_refuses_new stopnew --num-workers 2 || return
	kill -TERM "$PX"
	n=0
	while [ $n -lt 100 ] && ! grep -q 'stopping' "$LOG"; do
		sleep 0.05
		n=$((n + 1))
	done
	bad=
	for k in 1 2 3 4 5; do
		r=$("$PY" "$STOP_PY" probe 127.0.0.1 "$P" "$OURL/size/10")
		case $r in
		refused|"status 200") ;;
		*) bad="$bad [probe $k: $r]" ;;
		esac
		sleep 0.1
	done
	if [ -n "$bad" ]; then
		fail stop_refuses_new "clients during the drain:$bad"
		kill -TERM "$PX"
		return
	fi
	if ! alive "$PX"; then
		fail stop_refuses_new "the proxy did not wait for the open tunnel"
		return
	fi
	stopped_at_once stop_refuses_new stopnew TERM "$PX" || return
	set -- $(access_of "$LOG" 'CONNECT ')
	if [ "$EXIT_RC" != 0 ]; then
		fail stop_refuses_new "exit status $EXIT_RC after the second SIGTERM"
	elif [ "${4:-}" != aborted ]; then
		fail stop_refuses_new "the cut tunnel is logged '$*', want ... aborted"
	else
		pass stop_refuses_new
	fi
}

# an exchange cut by the end of the grace period is logged
t_stop_deadline_logged() {
	holding stop_deadline_logged stopdl --num-workers 1 || return
	kill -TERM "$PX"
	if ! proxy_exited stopdl 20; then
		fail stop_deadline_logged "still running 20 s after SIGTERM"
		return
	fi
	set -- $(access_of "$LOG" 'CONNECT ')
	if [ "${4:-}" != aborted ]; then
		fail stop_deadline_logged "the tunnel cut at the deadline is logged '$*', want ... aborted"
	elif ! grep -q 'grace period ended' "$LOG"; then
		fail stop_deadline_logged "no log line says the grace period ended"
	else
		pass stop_deadline_logged
	fi
}

# Ctrl-C reaches the whole process group: the first is a quiet graceful
# stop, the second stops at once
t_ctrl_c() {
	if ! have setsid; then
		skip ctrl_c "no setsid(1)"
		return
	fi
	SPAWN_SETSID=1
	holding ctrl_c ctrlc --num-workers 2
	_held=$?
	SPAWN_SETSID=0
	[ $_held = 0 ] || return
	from=$(log_size "$LOG")
	kill -INT "-$PX"
	sleep 0.5
	if ! alive "$PX"; then
		fail ctrl_c "the first Ctrl-C did not wait for the open tunnel"
		return
	fi
	stopped_at_once ctrl_c ctrlc INT "-$PX" || return
	warn=$(log_since "$LOG" "$from" | grep -E 'warning|error' | head -n 2)
	set -- $(access_of "$LOG" 'CONNECT ')
	if [ "$EXIT_RC" != 0 ]; then
		fail ctrl_c "exit status $EXIT_RC"
	elif [ -n "$warn" ]; then
		fail ctrl_c "Ctrl-C logged: $warn"
	elif [ "${4:-}" != aborted ]; then
		fail ctrl_c "the tunnel cut by the second Ctrl-C is logged '$*'"
	elif [ -n "$(ps -e -o pgid= -o stat= | awk -v g="$PX" '$1 == g && $2 !~ /^Z/')" ]; then
		fail ctrl_c "processes of the group outlived the master"
	else
		pass ctrl_c
	fi
}
