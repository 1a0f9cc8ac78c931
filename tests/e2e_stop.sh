# Stopping and the access log's account of what was cut; sourced by
# tests.sh.

CASES="${CASES:-} access_error_bytes access_aborted stop_refuses_new
stop_deadline_logged ctrl_c"

SP=$ROOT/tests/stopping.py

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
	out=$("$PY" "$SP" partial 127.0.0.1 "$P" "$OURL/size/50000001" 200000)
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

# hold_tunnel NAME: a CONNECT tunnel through the current proxy, held open
# (up to 30 s) by a background client; sets HOLD_PID, output in $T/NAME
hold_tunnel() {
	"$PY" "$SP" hold 127.0.0.1 "$P" "$E" 30 >"$T/$1" 2>&1 &
	HOLD_PID=$!
	track $HOLD_PID
	_n=0
	while [ $_n -lt 100 ] && ! grep -q ready "$T/$1"; do
		sleep 0.05
		_n=$((_n + 1))
	done
	grep -q ready "$T/$1"
}

# exited NAME SECONDS: the proxy NAME is gone within SECONDS; sets RC
exited() {
	eval "_xp=\$PID_$1"
	wait_gone "$_xp" "$2" || return 1
	wait "$_xp"
	RC=$?
	eval "PID_$1="
	RUNNING=$(echo "$RUNNING" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
	return 0
}

# While in-flight work drains, new clients are refused, never accepted
# and left to a reset; a second SIGTERM stops at once, logging the cut
t_stop_refuses_new() {
	if ! start_proxy stopnew --num-workers 2; then
		fail stop_refuses_new "$START_ERR"
		return
	fi
	hold_tunnel stopnew.hold || {
		fail stop_refuses_new "no tunnel: $(cat "$T/stopnew.hold")"
		return
	}
	kill -TERM "$PX"
	n=0
	while [ $n -lt 100 ] && ! grep -q 'stopping' "$LOG"; do
		sleep 0.05
		n=$((n + 1))
	done
	bad=
	for k in 1 2 3 4 5; do
		r=$("$PY" "$SP" probe 127.0.0.1 "$P" "$OURL/size/10")
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
	kill -TERM "$PX"
	if ! exited stopnew 3; then
		fail stop_refuses_new "still running 3 s after a second SIGTERM"
		return
	fi
	set -- $(access_of "$LOG" 'CONNECT ')
	if [ "$RC" != 0 ]; then
		fail stop_refuses_new "exit status $RC after the second SIGTERM"
	elif [ "${4:-}" != aborted ]; then
		fail stop_refuses_new "the cut tunnel is logged '$*', want ... aborted"
	else
		pass stop_refuses_new
	fi
}

# an exchange cut by the end of the grace period is logged
t_stop_deadline_logged() {
	if ! start_proxy stopdl --num-workers 1; then
		fail stop_deadline_logged "$START_ERR"
		return
	fi
	hold_tunnel stopdl.hold || {
		fail stop_deadline_logged "no tunnel: $(cat "$T/stopdl.hold")"
		return
	}
	kill -TERM "$PX"
	if ! exited stopdl 20; then
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
	if ! SPAWN_SETSID=1 start_proxy ctrlc --num-workers 2; then
		fail ctrl_c "$START_ERR"
		return
	fi
	fetch "$OURL/size/10"
	hold_tunnel ctrlc.hold || {
		fail ctrl_c "no tunnel: $(cat "$T/ctrlc.hold")"
		return
	}
	from=$(log_size "$LOG")
	kill -INT "-$PX"
	sleep 0.5
	if ! alive "$PX"; then
		fail ctrl_c "the first Ctrl-C did not wait for the open tunnel"
		return
	fi
	kill -INT "-$PX"
	if ! exited ctrlc 3; then
		fail ctrl_c "still running 3 s after the second Ctrl-C"
		kill -KILL "-$PX" 2>/dev/null
		return
	fi
	warn=$(log_since "$LOG" "$from" | grep -E 'warning|error' | head -n 2)
	set -- $(access_of "$LOG" 'CONNECT ')
	if [ "$RC" != 0 ]; then
		fail ctrl_c "exit status $RC"
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
