# Descriptor hygiene: failed lookups and timeouts close only what they
# own; sourced by tests.sh.

CASES="${CASES:-} lookup_fail_repeat lookup_timeout_repeat lookup_fail_isolation"

# fail_lookups CASE N: N requests for names that do not exist, each on a
# new connection to the current proxy; each must get its 502
fail_lookups() {
	_k=0
	while [ $_k -lt "$2" ]; do
		_k=$((_k + 1))
		fetch "http://nosuch$_k.invalid/"
		if [ "$CODE" != 502 ]; then
			fail "$1" "failed lookup $_k of $2: status $CODE (want 502): $(head -c 150 "$T/curl.err")"
			return 1
		fi
	done
	return 0
}

# origin_ok CASE WHAT: a request to the origin through the current proxy
# gets its 200 after WHAT
origin_ok() {
	fetch "$OURL/size/100"
	[ "$CODE" = 200 ] && return 0
	fail "$1" "a request after $2: status $CODE"
	return 1
}

t_lookup_fail_repeat() {
	need_dns lookup_fail_repeat || return
	if ! start_proxy lookup_repeat --num-workers 1; then
		fail lookup_fail_repeat "$START_ERR"
		return
	fi
	fail_lookups lookup_fail_repeat 3 || return
	origin_ok lookup_fail_repeat "three failed lookups" || return
	pass lookup_fail_repeat
}

# the timeout path closes its attempts too
t_lookup_timeout_repeat() {
	need_dns lookup_timeout_repeat || return
	if ! start_proxy lookup_timeout --num-workers 1 --socktimeout 1; then
		fail lookup_timeout_repeat "$START_ERR"
		return
	fi
	for k in 1 2; do
		fetch "http://hang.test:$O4/" --max-time 10
		if [ "$CODE" != 504 ]; then
			fail lookup_timeout_repeat "timed-out lookup $k: status $CODE (want 504)"
			return
		fi
	done
	fail_lookups lookup_timeout_repeat 2 || return
	origin_ok lookup_timeout_repeat "the timeouts" || return
	pass lookup_timeout_repeat
}

# A keep-alive client with a pooled server connection, failed lookups in
# between, and another client's tunnel: nothing of one reaches the other
t_lookup_fail_isolation() {
	need_dns lookup_fail_isolation || return
	if ! start_proxy lookup_isolation --num-workers 1; then
		fail lookup_fail_isolation "$START_ERR"
		return
	fi
	out=$("$PY" tests/rawclient.py isolation 127.0.0.1 "$P" "$O4" "$E" 2>&1)
	if [ "$out" != ok ]; then
		fail lookup_fail_isolation "$out"
		evidence "$LOG" 8
		return
	fi
	pass lookup_fail_isolation
}
