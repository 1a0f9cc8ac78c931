# Parent proxies: NTLM, Basic and no login to a parent (the test parent
# tests/ntlm_parent.py, which checks every NTLM dialect on its own),
# failover, --noproxy, $http_proxy, back-off after refused credentials,
# --password hiding, --hashes against cntlm -H, --magic; sourced by
# tests.sh.

CASES="${CASES:-} parent_selftest parent_ntlmv2 parent_ntlm2sr parent_ntlm
parent_nt parent_lm parent_basic parent_none parent_noauth parent_open_parent
parent_407_body parent_no_target_info parent_failover parent_noproxy
parent_wrong_password parent_password_hidden parent_hashes_cntlm
parent_hash_nonascii parent_pass_hashes parent_magic parent_env_proxy
parent_env_self parent_retry_reused"

PAR_PY=$ROOT/tests/ntlm_parent.py
PAR_USER=alice
PAR_DOM=Corp
PAR_PW='S3cret!pw'
PAR_PIDS=
PAR_BIG=
PAR_MID=

# ---------------------------------------------------------------- helpers

# par_start NAME [ntlm_parent.py flags]: a test parent on a kernel-chosen
# loopback port, its port in PARENT; par_stop_all ends it with the case
par_start() {
	_pn=$1
	shift
	PARENT=
	rm -f "$T/$_pn.port"
	bg "$_pn" "$PY" "$PAR_PY" --port 0 --port-file "$T/$_pn.port" \
	    --log "$T/$_pn.log" "$@"
	PAR_PIDS="$PAR_PIDS $BGPID"
	if ! wait_file "$T/$_pn.port" 10 ||
	    ! waitport 127.0.0.1 "$(cat "$T/$_pn.port")" 10; then
		fail "$CASE" "the test parent $_pn did not start: $(tail -n 1 "$T/$_pn.err")"
		return 1
	fi
	PARENT=$(cat "$T/$_pn.port")
	return 0
}

# par_ntlm NAME [flags]: a parent that wants NTLM from Corp\alice
par_ntlm() {
	_pn=$1
	shift
	par_start "$_pn" --auth ntlm --user "$PAR_USER" --domain "$PAR_DOM" \
	    --password "$PAR_PW" "$@"
}

par_stop_all() {
	for _pp in $PAR_PIDS; do
		kill_bg "$_pp"
	done
	PAR_PIDS=
}

# par_proxy NAME PASSWORD [flags]: start_proxy with PROXY_PASSWORD in its
# environment (exported around the call: a prefix assignment to a shell
# function does not reliably reach the programs it starts)
par_proxy() {
	_xn=$1
	PROXY_PASSWORD=$2
	shift 2
	export PROXY_PASSWORD
	start_proxy "$_xn" "$@"
	_xrc=$?
	unset PROXY_PASSWORD
	if [ $_xrc != 0 ]; then
		fail "$CASE" "$START_ERR"
		return 1
	fi
	return 0
}

# par_start_at NAME PORT [flags]: like start_proxy, on a port chosen by
# the caller (for a $http_proxy that names the proxy's own address)
par_start_at() {
	_xn=$1
	P=$2
	shift 2
	PH=127.0.0.1
	LOG=$T/$_xn.log
	set -- --port "$P" --log-file "$LOG" --log-level debug "$@"
	echo "$PROXY_BIN $*" >"$T/$_xn.cmd"
	spawn_proxy "$_xn" "$@"
	PX=$!
	track $PX
	RUNNING="$RUNNING $_xn"
	eval "PID_$_xn=$PX PORT_$_xn=$P HOST_$_xn=$PH"
	PROXY_URL=http://127.0.0.1:$P
	if ! "$PY" "$C" waitport 127.0.0.1 "$P" 10 "$PX"; then
		START_ERR="proxy $_xn did not come up on 127.0.0.1:$P: $(head -c 300 "$T/$_xn.err" | tr '\n' ' ')"
		return 1
	fi
	return 0
}

# par_stats PORT: the parent's counters as PS_connections, PS_requests,
# PS_handshakes, PS_logins, PS_failures, PS_probes, PS_proxy_auth_seen,
# PS_last_dialect, PS_dialects, PS_last_failure, PS_last_domain, ...
par_stats() {
	PS_ok=0
	PS_connections= PS_requests= PS_handshakes= PS_logins= PS_failures=
	PS_probes= PS_proxy_auth_seen= PS_last_dialect= PS_dialects=
	PS_last_failure= PS_last_domain= PS_last_user=
	_js=$(curl -q -s --noproxy '' --max-time 5 -x "http://127.0.0.1:$1" \
	    http://parent.stats/)
	eval "$(printf '%s' "$_js" | "$PY" -c '
import json, shlex, sys
try:
    d = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
for k, v in d.items():
    if isinstance(v, dict):
        v = ",".join("%s:%s" % kv for kv in sorted(v.items()))
    print("PS_%s=%s" % (k, shlex.quote("" if v is None else str(v))))
print("PS_ok=1")')"
}

par_summary() {
	echo "connections=$PS_connections requests=$PS_requests handshakes=$PS_handshakes logins=$PS_logins failures=$PS_failures probes=$PS_probes dialects=[$PS_dialects] last_failure='$PS_last_failure'"
}

# par_body_is N: $T/body is the origin's first N pattern bytes
par_body_is() {
	[ "$(wc -c <"$T/body")" -eq "$1" ] &&
	    [ "$(sha_file "$T/body")" = "$(sha_pat "$1")" ]
}

# par_evidence PARENT-NAME: the tails of the parent's and the proxy's logs
par_evidence() {
	echo "    parent log:"
	evidence "$T/$1.log" 8
	echo "    proxy log:"
	evidence "$LOG" 8
}

par_bodies() {
	if [ -z "$PAR_BIG" ]; then
		PAR_BIG=$T/par_10m.bin
		"$PY" "$ORIGIN" --gen 10485760 >"$PAR_BIG"
		PAR_BIG_SHA=$(sha_pat 10485760)
		PAR_MID=$T/par_1m.bin
		"$PY" "$ORIGIN" --gen 1048576 >"$PAR_MID"
		PAR_MID_SHA=$(sha_pat 1048576)
	fi
}

# par_access_tail WANT: waits (bounded) for the proxy's last access line
# to end with WANT; ACCESS is that line
par_access_tail() {
	_n=0
	while :; do
		ACCESS=$(grep ' access ' "$LOG" 2>/dev/null | tail -n 1)
		case $ACCESS in
		*"$1") return 0 ;;
		esac
		_n=$((_n + 1))
		[ $_n -ge 40 ] && return 1
		sleep 0.05
	done
}

# ---------------------------------------------------------------- cases

t_parent_selftest() {
	if "$PY" "$PAR_PY" --self-test >"$T/par_selftest.out" 2>&1; then
		pass parent_selftest
	else
		fail parent_selftest "tests/ntlm_parent.py's MD4/DES/NTLM arithmetic does not reproduce the RFC 1320 / MS-NLMP 4.2 vectors (test bug)"
		evidence "$T/par_selftest.out" 10
	fi
}

# par_mode MODE: a parent that accepts only MODE (NTLM dialects), Basic
# or nothing, and a one-worker proxy with --auth MODE in front of it:
# keep-alive reuse of the logged-in parent connection, GET and HEAD, POST
# of 10 MiB (length) and 1 MiB (chunked), CONNECT
par_mode() {
	_m=$1
	_c=$CASE
	_pn=par_$_c
	case $_m in
	BASIC) par_start "$_pn" --auth basic --user "$PAR_USER" \
	    --domain "$PAR_DOM" --password "$PAR_PW" || return ;;
	NONE) par_start "$_pn" --auth none || return ;;
	*) par_ntlm "$_pn" --accept "$_m" || return ;;
	esac
	_pp=$PARENT
	par_proxy "px_$_c" "$PAR_PW" --num-workers 1 --proxy "127.0.0.1:$_pp" \
	    --username "$PAR_DOM\\$PAR_USER" --auth "$_m" || return
	_hs=1
	[ "$_m" = NONE ] && _hs=0

	# keep-alive: five requests one after another, each from a new
	# client connection, share one parent connection and one login
	_bad=
	for _i in 1 2 3 4 5; do
		fetch "$OURL/size/1000" --max-time 10
		if [ "$CODE" != 200 ] || ! par_body_is 1000; then
			_bad="request $_i: status $CODE, $(wc -c <"$T/body") bytes, curl rc $CURL_RC $(head -c 150 "$T/body" | tr '\n' ' ')"
			break
		fi
	done
	par_stats "$_pp"
	if [ -n "$_bad" ]; then
		fail "${_c}_keepalive" "GET through --auth $_m to the parent: $_bad; parent: $(par_summary)"
		par_evidence "$_pn"
	elif [ "$PS_requests" != 5 ] || [ "$PS_handshakes" != $_hs ] ||
	    [ "$PS_connections" != 1 ] || [ "$PS_failures" != 0 ]; then
		fail "${_c}_keepalive" "5 sequential GETs, --num-workers 1: the parent saw $(par_summary); want requests=5 handshakes=$_hs connections=1 failures=0"
		par_evidence "$_pn"
	elif [ "$_m" = NONE ] && [ "$PS_proxy_auth_seen" != 0 ]; then
		fail "${_c}_keepalive" "--auth NONE sent Proxy-Authorization to the parent ($PS_proxy_auth_seen requests)"
	elif [ "$_m" != NONE ] && [ "$_m" != BASIC ] &&
	    [ "$PS_last_dialect" != "$_m" ]; then
		fail "${_c}_keepalive" "--auth $_m: the parent saw a $PS_last_dialect Type 3"
	else
		pass "${_c}_keepalive"
	fi

	# GET with a chunked response, and HEAD
	fetch "$OURL/chunked/300000" --max-time 10
	_gc="$CODE, $(wc -c <"$T/body") bytes"
	_gok=0
	par_body_is 300000 && _gok=1
	_hc=$(pcurl -I --max-time 10 -o /dev/null -w '%{http_code}' \
	    "$OURL/size/5000" \
	    2>"$T/curl.err")
	if [ "$_gc" != "200, 300000 bytes" ] || [ $_gok != 1 ]; then
		fail "${_c}_get" "GET $OURL/chunked/300000: status $_gc$([ $_gok = 1 ] || echo ', not the pattern')"
		par_evidence "$_pn"
	elif [ "$_hc" != 200 ]; then
		fail "${_c}_get" "HEAD $OURL/size/5000: status $_hc"
		par_evidence "$_pn"
	else
		pass "${_c}_get"
	fi

	# POST 10 MiB by Content-Length and 1 MiB chunked; the origin's /sink
	# answers "LENGTH SHA256"
	par_bodies
	fetch "$OURL/sink" --max-time 20 --data-binary "@$PAR_BIG" \
	    -H 'Content-Type: application/octet-stream'
	_p1="$CODE $(cat "$T/body")"
	fetch "$OURL/sink" --max-time 20 --data-binary "@$PAR_MID" \
	    -H 'Transfer-Encoding: chunked' \
	    -H 'Content-Type: application/octet-stream'
	_p2="$CODE $(cat "$T/body")"
	if [ "$_p1" != "200 10485760 $PAR_BIG_SHA" ]; then
		fail "${_c}_post" "POST of 10 MiB to /sink: got '$_p1', want '200 10485760 $PAR_BIG_SHA'"
		par_evidence "$_pn"
	elif [ "$_p2" != "200 1048576 $PAR_MID_SHA" ]; then
		fail "${_c}_post" "chunked POST of 1 MiB to /sink: got '$_p2', want '200 1048576 $PAR_MID_SHA'"
		par_evidence "$_pn"
	else
		pass "${_c}_post"
	fi

	# CONNECT through the parent, a request through the tunnel
	par_stats "$_pp"
	_r0=$PS_requests
	fetch "$OURL/size/100000" --max-time 10 -p
	_tc=$CODE
	_tok=0
	par_body_is 100000 && _tok=1
	par_stats "$_pp"
	if [ "$_tc" != 200 ] || [ $_tok != 1 ]; then
		fail "${_c}_connect" "curl -p (CONNECT 127.0.0.1:$O4 through the parent): status $_tc, curl rc $CURL_RC: $(head -c 200 "$T/curl.err")"
		par_evidence "$_pn"
	elif [ "$PS_requests" != $((_r0 + 1)) ]; then
		fail "${_c}_connect" "the parent's request count went $_r0 -> $PS_requests for one CONNECT"
	elif [ "$PS_failures" != 0 ]; then
		fail "${_c}_connect" "the parent counted failed logins: $(par_summary)"
		par_evidence "$_pn"
	elif [ "$_m" != NONE ] && [ "$_m" != BASIC ] &&
	    [ "$PS_dialects" != "$_m:$PS_logins" ]; then
		fail "${_c}_connect" "--auth $_m: the parent saw Type 3 dialects [$PS_dialects] for $PS_logins logins"
	else
		pass "${_c}_connect"
	fi
}

t_parent_ntlmv2() { par_mode NTLMv2; par_stop_all; }
t_parent_ntlm2sr() { par_mode NTLM2SR; par_stop_all; }
t_parent_ntlm() { par_mode NTLM; par_stop_all; }
t_parent_nt() { par_mode NT; par_stop_all; }
t_parent_lm() { par_mode LM; par_stop_all; }
t_parent_basic() { par_mode BASIC; par_stop_all; }
t_parent_none() { par_mode NONE; par_stop_all; }

# no --username, no --auth: a parent that asks for no login
par_noauth() {
	par_start par_na --auth none || return
	_pp=$PARENT
	if ! start_proxy px_na --num-workers 1 --proxy "127.0.0.1:$_pp"; then
		fail parent_noauth "$START_ERR"
		return
	fi
	fetch "$OURL/size/1000" --max-time 10
	_gc=$CODE
	_gok=0
	par_body_is 1000 && _gok=1
	fetch "$OURL/size/2000" --max-time 10 -p
	_tc=$CODE
	par_stats "$_pp"
	if [ "$_gc" != 200 ] || [ $_gok != 1 ]; then
		fail parent_noauth "GET through a parent without login: status $_gc"
		par_evidence par_na
	elif [ "$_tc" != 200 ] || ! par_body_is 2000; then
		fail parent_noauth "CONNECT through a parent without login: status $_tc"
		par_evidence par_na
	elif [ "$PS_requests" != 2 ] || [ "$PS_proxy_auth_seen" != 0 ]; then
		fail parent_noauth "the parent saw requests=$PS_requests (want 2), Proxy-Authorization on $PS_proxy_auth_seen (want 0)"
	elif ! par_access_tail "PROXY 127.0.0.1:$_pp"; then
		fail parent_noauth "the access log does not end with 'PROXY 127.0.0.1:$_pp': $ACCESS"
	else
		pass parent_noauth
	fi
}
t_parent_noauth() { par_noauth; par_stop_all; }

# A 407 with a body, as squid and IIS send it (the test parent's default):
# to the HEAD that carries the proxy's Type 1 it has Content-Length and no
# body (RFC 9110 9.3.2); to a CONNECT it has the body. Then 407s with
# Content-Length: 0.
par_407_body() {
	par_407_case parent_407_body
	par_407_case parent_407_empty --empty-407
}

par_407_case() {
	_v=$1
	shift
	par_ntlm par_407 --accept NTLMv2 "$@" || return
	_pp=$PARENT
	par_proxy px_407 "$PAR_PW" --num-workers 1 --proxy "127.0.0.1:$_pp" \
	    --username "$PAR_DOM\\$PAR_USER" || return
	fetch "$OURL/size/1000" --max-time 4
	par_stats "$_pp"
	if [ "$CODE" != 200 ] || ! par_body_is 1000; then
		fail "${_v}_get" "GET via an NTLM parent that answers the proxy's HEAD + Type 1 with $(sed -n 's/.*-> 407 //p' "$T/par_407.log" | head -n 1) (a response to HEAD has no body, RFC 9110 9.3.2): status $CODE, curl rc $CURL_RC, $(grep -c ' Type 1 ' "$T/par_407.log") Type 1, parent: $(par_summary)"
		par_evidence par_407
	else
		pass "${_v}_get"
	fi
	fetch "$OURL/size/1000" -p --max-time 4
	if [ "$CODE" != 200 ] || ! par_body_is 1000; then
		fail "${_v}_connect" "CONNECT via an NTLM parent whose 407 to it says $(sed -n 's/.*-> 407 //p' "$T/par_407.log" | tail -n 1): status $CODE, curl rc $CURL_RC"
		par_evidence par_407
	else
		pass "${_v}_connect"
	fi
	stop_proxy px_407
	par_stop_all
}
t_parent_407_body() { par_407_body; par_stop_all; }

# --username (NTLM) in front of a parent that asks for no login: the
# proxy's Type 1 probe (a HEAD, or the CONNECT) is simply answered; the
# client's request must still get through (upstream.c: "a parent that
# wants no login forwards nothing harmful")
par_open_parent() {
	par_start par_open --auth none || return
	_pp=$PARENT
	par_proxy px_open "$PAR_PW" --num-workers 1 --proxy "127.0.0.1:$_pp" \
	    --username "$PAR_DOM\\$PAR_USER" || return
	fetch "$OURL/size/1000" --max-time 4
	if [ "$CODE" != 200 ] || ! par_body_is 1000; then
		par_stats "$_pp"
		fail parent_open_parent_get "GET with --username via a parent that needs no login (it answers the HEAD probe 200 with Content-Length: 1000 and no body): status $CODE, curl rc $CURL_RC; parent: $(par_summary)"
		par_evidence par_open
	else
		pass parent_open_parent_get
	fi
	_from=$(log_size "$T/origin4.log")
	fetch "$OURL/size/1000" -p --max-time 4
	if [ "$CODE" != 200 ] || ! par_body_is 1000; then
		fail parent_open_parent_connect "CONNECT with --username via a parent that needs no login (it answers the CONNECT probe with 200 Connection established): status $CODE, curl rc $CURL_RC: $(head -c 150 "$T/curl.err" | tr '\n' ' ')"
		par_evidence par_open
		echo "    origin log:"
		log_since "$T/origin4.log" "$_from" | tail -n 3 | sed 's/^/    | /'
	else
		pass parent_open_parent_connect
	fi
}
t_parent_open_parent() { par_open_parent; par_stop_all; }

# par_nti VERDICT PARENT-FLAGS: a parent whose Type 2 has no TargetInfo;
# the proxy's default dialect (NTLMv2: no --auth) must still log in
par_nti() {
	_v=$1
	shift
	par_ntlm "par_$_v" "$@" --accept NTLMv2 || return
	_pp=$PARENT
	par_proxy "px_$_v" "$PAR_PW" --num-workers 1 \
	    --proxy "127.0.0.1:$_pp" --username "$PAR_DOM\\$PAR_USER" || return
	fetch "$OURL/size/1000" --max-time 10
	par_stats "$_pp"
	_t2=$(sed -n 's/.*-> \([0-9]*-byte Type 2 flags [0-9a-fx]*\).*/\1/p' \
	    "$T/par_$_v.log" | head -n 1)
	if [ "$CODE" != 200 ] || ! par_body_is 1000; then
		fail "$_v" "GET via a parent whose $_t2 has no TargetInfo ($*): status $CODE: $(head -c 200 "$T/body" | tr '\n' ' '); parent: $(par_summary)"
		par_evidence "par_$_v"
	elif [ "$PS_last_dialect" != NTLMv2 ] || [ "$PS_logins" != 1 ]; then
		fail "$_v" "want one NTLMv2 login (the default dialect); parent: $(par_summary)"
	else
		pass "$_v"
	fi
	stop_proxy "px_$_v"
}

par_no_target_info() {
	par_nti parent_no_target_info --no-target-info
	par_nti parent_no_target_info_40 --short-type2 40
	par_nti parent_no_target_info_32 --short-type2 32
}
t_parent_no_target_info() { par_no_target_info; par_stop_all; }

# a dead parent (a closed port) first in --proxy, the live one second
par_failover() {
	par_ntlm par_fo --accept NTLMv2 || return
	_pp=$PARENT
	par_proxy px_fo "$PAR_PW" --num-workers 1 \
	    --proxy "127.0.0.1:$CLOSED,127.0.0.1:$_pp" \
	    --username "$PAR_DOM\\$PAR_USER" || return
	fetch "$OURL/size/1000" --max-time 10
	_c1=$CODE
	_ok1=0
	par_body_is 1000 && _ok1=1
	par_access_tail "PROXY 127.0.0.1:$_pp"
	_a1=$ACCESS
	fetch "$OURL/size/1000" --max-time 10
	_c2=$CODE
	par_stats "$_pp"
	if [ "$_c1" != 200 ] || [ $_ok1 != 1 ]; then
		fail parent_failover "--proxy 127.0.0.1:$CLOSED (closed),127.0.0.1:$_pp: status $_c1: $(head -c 200 "$T/body" | tr '\n' ' ')"
		par_evidence par_fo
	elif [ "$_c2" != 200 ]; then
		fail parent_failover "the second request after the failover: status $_c2"
		par_evidence par_fo
	else
		case $_a1 in
		*"PROXY 127.0.0.1:$_pp")
			if [ "$PS_requests" != 2 ]; then
				fail parent_failover "the live parent saw $PS_requests requests, want 2"
			else
				pass parent_failover
			fi ;;
		*) fail parent_failover "the access line does not end with 'PROXY 127.0.0.1:$_pp': $_a1" ;;
		esac
	fi
}
t_parent_failover() { par_failover; par_stop_all; }

# --noproxy 127.0.0.1: the origin on 127.0.0.1 directly; one on
# 127.0.0.2 (not listed) through the parent
par_noproxy() {
	par_ntlm par_np --accept NTLMv2 || return
	_pp=$PARENT
	_o2=
	if start_origin par_o2 127.0.0.2; then
		_o2=$OPORT
		PAR_PIDS="$PAR_PIDS $BGPID"
	fi
	par_proxy px_np "$PAR_PW" --num-workers 1 --proxy "127.0.0.1:$_pp" \
	    --noproxy 127.0.0.1 --username "$PAR_DOM\\$PAR_USER" || return
	fetch "$OURL/size/1000" --max-time 10
	_c1=$CODE
	_ok1=0
	par_body_is 1000 && _ok1=1
	par_access_tail "DIRECT"
	_a1=$ACCESS
	par_stats "$_pp"
	_r1=$PS_requests
	_k1=$PS_connections
	if [ "$_c1" != 200 ] || [ $_ok1 != 1 ]; then
		fail parent_noproxy "GET $OURL/size/1000 with --noproxy 127.0.0.1: status $_c1"
		par_evidence par_np
		return
	elif [ "$_r1" != 0 ] || [ "$_k1" != 0 ]; then
		fail parent_noproxy "with --noproxy 127.0.0.1 the parent still saw $_r1 requests on $_k1 connections for 127.0.0.1"
		par_evidence par_np
		return
	fi
	case $_a1 in
	*" DIRECT") ;;
	*) fail parent_noproxy "the access line does not end with DIRECT: $_a1"
	   return ;;
	esac
	if [ -z "$_o2" ]; then
		skip parent_noproxy_control "cannot start an origin on 127.0.0.2"
		pass parent_noproxy
		return
	fi
	fetch "http://127.0.0.2:$_o2/size/1000" --max-time 10
	_c2=$CODE
	par_stats "$_pp"
	if [ "$_c2" != 200 ] || ! par_body_is 1000; then
		fail parent_noproxy "GET http://127.0.0.2:$_o2/size/1000 (not in --noproxy): status $_c2"
		par_evidence par_np
	elif [ "$PS_requests" != 1 ]; then
		fail parent_noproxy "127.0.0.2 is not in --noproxy, but the parent saw $PS_requests requests (want 1)"
	elif ! par_access_tail "PROXY 127.0.0.1:$_pp"; then
		fail parent_noproxy "the access line for 127.0.0.2 does not end with 'PROXY 127.0.0.1:$_pp': $ACCESS"
	else
		pass parent_noproxy
	fi
}
t_parent_noproxy() { par_noproxy; par_stop_all; }

# par_refused NAME AUTH PARENT-FLAGS...: a wrong password gets a 502 that
# says why, and the next request does not reach the parent (back-off)
par_refused() {
	_v=$1
	_a=$2
	shift 2
	par_start "par_$_v" "$@" --user "$PAR_USER" --domain "$PAR_DOM" \
	    --password "$PAR_PW" || return
	_pp=$PARENT
	par_proxy "px_$_v" 'Wr0ng!pw' --num-workers 1 \
	    --proxy "127.0.0.1:$_pp" --username "$PAR_DOM\\$PAR_USER" \
	    --auth "$_a" || return
	fetch "$OURL/size/10" --max-time 10
	_c1=$CODE
	cp "$T/body" "$T/par_refused.body"
	par_stats "$_pp"
	_f1=$PS_failures
	_h1=$PS_handshakes
	_k1=$PS_connections
	_s1=$(par_summary)
	fetch "$OURL/size/10" --max-time 10
	_c2=$CODE
	par_stats "$_pp"
	if [ "$_c1" != 502 ]; then
		fail "$_v" "--auth $_a with a wrong password: status $_c1, want 502; parent: $_s1"
		evidence "$T/par_refused.body" 3
		par_evidence "par_$_v"
	elif ! grep -qi 'refused' "$T/par_refused.body" ||
	    ! grep -qi 'credential' "$T/par_refused.body"; then
		fail "$_v" "the 502 body does not say the parent refused the credentials: '$(head -c 200 "$T/par_refused.body" | tr '\n' ' ')'"
	elif [ "$_f1" != 1 ]; then
		fail "$_v" "one request with a wrong password made $_f1 failed logins at the parent (want exactly 1: retries lock accounts)"
	elif [ "$_c2" = 200 ]; then
		fail "$_v" "the request right after the refusal got 200"
	elif [ "$PS_failures" != "$_f1" ] || [ "$PS_handshakes" != "$_h1" ] ||
	    [ "$PS_connections" != "$_k1" ]; then
		fail "$_v" "the request right after the refusal reached the parent (status $_c2): before $_s1; after $(par_summary)"
		par_evidence "par_$_v"
	elif ! grep -qi 'refused' "$LOG"; then
		fail "$_v" "no log line says the parent refused the credentials"
	else
		pass "$_v"
	fi
	stop_proxy "px_$_v"
}

t_parent_wrong_password() {
	par_refused parent_wrong_password NTLMv2 --auth ntlm
	par_refused parent_wrong_password_basic BASIC --auth basic
	par_stop_all
}

# --password on the command line works and is not visible in ps or
# /proc/PID/cmdline of the master or of a worker
par_password_hidden() {
	_secret='Hid3-me-Now-42'
	par_start par_pw --auth ntlm --user "$PAR_USER" --domain "$PAR_DOM" \
	    --password "$_secret" --accept NTLMv2 || return
	_pp=$PARENT
	if ! start_proxy px_pw --num-workers 1 --proxy "127.0.0.1:$_pp" \
	    --username "$PAR_DOM\\$PAR_USER" --password "$_secret"; then
		fail parent_password_hidden "$START_ERR"
		return
	fi
	fetch "$OURL/size/1000" --max-time 10
	_seen=
	for _p in $PX $(descendants "$PX"); do
		if ps -o args= -p "$_p" 2>/dev/null | grep -qF "$_secret"; then
			_seen="$_seen ps($_p)"
		fi
		if [ -r "/proc/$_p/cmdline" ] &&
		    tr '\0' ' ' <"/proc/$_p/cmdline" | grep -qF "$_secret"; then
			_seen="$_seen /proc/$_p/cmdline"
		fi
	done
	if [ -n "$_seen" ]; then
		fail parent_password_hidden "the --password value is visible in:$_seen ($(ps -o args= -p "$PX" | cut -c1-200))"
	elif [ "$CODE" != 200 ] || ! par_body_is 1000; then
		fail parent_password_hidden "the login with the --password value failed: status $CODE"
		par_evidence par_pw
	elif ! grep -qi 'warn' "$T/px_pw.err" "$LOG" 2>/dev/null; then
		fail parent_password_hidden "no warning that a password on the command line is visible to others"
	else
		pass parent_password_hidden
	fi
}
t_parent_password_hidden() {
	if [ -n "${PROXY_QEMU:-}" ]; then
		skip parent_password_hidden "under qemu-user: /proc/PID/cmdline shows qemu's own argv, which the proxy cannot overwrite"
		return
	fi
	par_password_hidden
	par_stop_all
}

# par_bounded SECONDS CMD...: CMD with timeout(1) when there is one
par_bounded() {
	_secs=$1
	shift
	if have timeout; then
		timeout "$_secs" "$@"
	else
		"$@"
	fi
}

# par_hash_line FILE NAME: the hex after NAME in --hashes / cntlm -H output
par_hash_line() {
	awk -v k="$2" '$1 == k { print $2; exit }' "$1"
}

# par_hash_cmp USERNAME-FLAG USER DOMAIN PASSWORD: --hashes against
# cntlm -H (whose output PAR_COMPL says is complemented or not)
par_hash_cmp() {
	PROXY_PASSWORD=$4
	export PROXY_PASSWORD
	par_bounded 10 "$PROXY_BIN" --hashes --username "$1" \
	    >"$T/par_h.out" 2>"$T/par_h.err" </dev/null
	unset PROXY_PASSWORD
	par_bounded 10 cntlm -c /dev/null -H -u "$2" -d "$3" -p "$4" \
	    >"$T/par_c.out" 2>"$T/par_c.err" </dev/null
	for _k in PassLM PassNT PassNTLMv2; do
		_mine=$(par_hash_line "$T/par_h.out" $_k)
		_theirs=$(par_hash_line "$T/par_c.out" $_k)
		[ "$PAR_COMPL" = 1 ] && _theirs=$(echo "$_theirs" |
		    tr '0123456789ABCDEFabcdef' 'FEDCBA9876543210543210')
		if [ -z "$_mine" ] || [ "$_mine" != "$_theirs" ]; then
			PAR_HBAD="$PAR_HBAD; $_k for --username '$1' password '$4': proxy '$_mine', cntlm '$_theirs'"
		fi
	done
	PAR_HN=$((PAR_HN + 1))
}

t_parent_hashes_cntlm() {
	needs_built NTLM parent_hashes_cntlm || return
	if ! have cntlm; then
		skip parent_hashes_cntlm "cntlm is not installed (Debian package cntlm)"
		return
	fi
	# which way round this cntlm prints: 0.92.3 complements every byte
	par_bounded 10 cntlm -c /dev/null -H -u User -d Domain -p Password \
	    >"$T/par_c.out" 2>&1 </dev/null
	case $(par_hash_line "$T/par_c.out" PassNT) in
	A4F49C406510BDCAB6824EE7C30FD852) PAR_COMPL=0 ;;
	5B0B63BF9AEF4235497DB1183CF027AD) PAR_COMPL=1 ;;
	*)
		skip parent_hashes_cntlm "cntlm -H gives neither the MS-NLMP NT hash of 'Password' nor its complement: $(tr '\n' ' ' <"$T/par_c.out")"
		return ;;
	esac
	PAR_HBAD=
	PAR_HN=0
	par_hash_cmp 'Domain\User' User Domain Password
	par_hash_cmp 'alice@corp.example' alice corp.example 'Secret 123:@\x'
	par_hash_cmp 'Bob' Bob '' 'averyveryverylongpassword!!'
	par_hash_cmp 'EXAMPLE\j.doe' j.doe EXAMPLE 'exactly14chars'
	par_hash_cmp 'dom\Admin' Admin dom 'short'
	par_hash_cmp 'WORKGROUP\u' u WORKGROUP '0123456789abcdefghij~!$%^&*()'
	if [ -n "$PAR_HBAD" ]; then
		fail parent_hashes_cntlm "--hashes differs from cntlm -H$([ $PAR_COMPL = 1 ] && echo ' (its bytes complemented back)'):${PAR_HBAD#;}"
	else
		echo "     (cntlm -H: $PAR_HN inputs; PassLM, PassNT and PassNTLMv2 equal$([ $PAR_COMPL = 1 ] && echo ' once its complemented bytes are undone'))"
		pass parent_hashes_cntlm
	fi
}

# a non-ASCII password: the NT hash is MD4 of its UTF-16LE form (here
# from tests/ntlm_parent.py's own MD4), and the parent accepts the login
par_hash_nonascii() {
	_bad=
	for _pw in "$(printf 'P\303\244ssword')" \
	    "$(printf 'p\342\202\254ss\360\235\204\236\303\237')"; do
		PROXY_PASSWORD=$_pw
		export PROXY_PASSWORD
		par_bounded 10 "$PROXY_BIN" --hashes --username 'Domain\User' \
		    >"$T/par_h.out" \
		    2>"$T/par_h.err" </dev/null
		unset PROXY_PASSWORD
		_mine=$(par_hash_line "$T/par_h.out" PassNT)
		_want=$(PAR_PWX=$_pw "$PY" "$PAR_PY" --hash-env PAR_PWX |
		    awk '$1 == "NT" { print $2 }')
		if [ -z "$_want" ] || [ "$_mine" != "$_want" ]; then
			_bad="$_bad; password '$_pw' (UTF-8 $(printf '%s' "$_pw" | od -An -tx1 | tr -d ' \n')): PassNT '$_mine', MD4(UTF-16LE) '$_want'"
		fi
	done
	if [ -n "$_bad" ]; then
		fail parent_hash_nonascii "NT hash of a non-ASCII password:${_bad#;}"
	else
		pass parent_hash_nonascii
	fi
	PAR_PWX=$(printf 'P\303\244ssw\303\266rd\342\202\254')
	export PAR_PWX
	par_start par_na8 --auth ntlm --user "$PAR_USER" --domain "$PAR_DOM" \
	    --password-env PAR_PWX || { unset PAR_PWX; return; }
	unset PAR_PWX
	_pp=$PARENT
	par_proxy px_na8 "$(printf 'P\303\244ssw\303\266rd\342\202\254')" \
	    --num-workers 1 --proxy "127.0.0.1:$_pp" \
	    --username "$PAR_DOM\\$PAR_USER" || return
	fetch "$OURL/size/1000" --max-time 10
	par_stats "$_pp"
	if [ "$CODE" != 200 ] || ! par_body_is 1000; then
		fail parent_hash_nonascii_login "NTLMv2 login with a non-ASCII password: status $CODE; parent: $(par_summary)"
		par_evidence par_na8
	else
		pass parent_hash_nonascii_login
	fi
}
t_parent_hash_nonascii() {
	needs_built NTLM parent_hash_nonascii || return
	par_hash_nonascii
	par_stop_all
}

# --pass-lm/--pass-nt/--pass-ntlmv2 from --hashes, without a password,
# log in with the dialects they serve
par_pass_hashes() {
	PROXY_PASSWORD=$PAR_PW
	export PROXY_PASSWORD
	par_bounded 10 "$PROXY_BIN" --hashes --username "$PAR_DOM\\$PAR_USER" \
	    >"$T/par_h.out" 2>"$T/par_h.err" </dev/null
	unset PROXY_PASSWORD
	_lm=$(par_hash_line "$T/par_h.out" PassLM)
	_nt=$(par_hash_line "$T/par_h.out" PassNT)
	_v2=$(par_hash_line "$T/par_h.out" PassNTLMv2)
	if [ -z "$_lm" ] || [ -z "$_nt" ] || [ -z "$_v2" ]; then
		fail parent_pass_hashes "--hashes printed no hashes: $(head -c 200 "$T/par_h.out" "$T/par_h.err" | tr '\n' ' ')"
		return
	fi
	_bad=
	for _d in NTLMv2 NTLM2SR NTLM NT LM; do
		case $_d in
		NTLMv2) set -- --pass-ntlmv2 "$_v2" ;;
		NTLM) set -- --pass-lm "$_lm" --pass-nt "$_nt" ;;
		LM) set -- --pass-lm "$_lm" ;;
		*) set -- --pass-nt "$_nt" ;;
		esac
		par_ntlm "par_ph_$_d" --accept "$_d" || return
		_pp=$PARENT
		if ! start_proxy "px_ph_$_d" --num-workers 1 \
		    --proxy "127.0.0.1:$_pp" --username "$PAR_DOM\\$PAR_USER" \
		    --auth "$_d" "$@"; then
			_bad="$_bad; --auth $_d $*: $START_ERR"
			continue
		fi
		fetch "$OURL/size/1000" --max-time 10
		par_stats "$_pp"
		if [ "$CODE" != 200 ] || ! par_body_is 1000 ||
		    [ "$PS_last_dialect" != "$_d" ]; then
			_bad="$_bad; --auth $_d $*: status $CODE, parent: $(par_summary)"
		fi
		stop_proxy "px_ph_$_d"
	done
	if [ -n "$_bad" ]; then
		fail parent_pass_hashes "login with stored hashes and no password:${_bad#;}"
	else
		pass parent_pass_hashes
	fi
}
t_parent_pass_hashes() { par_pass_hashes; par_stop_all; }

# par_run_magic PORT: ./proxy --magic against the parent, bounded
par_run_magic() {
	PROXY_PASSWORD=$PAR_PW
	export PROXY_PASSWORD
	par_bounded 30 "$PROXY_BIN" --magic "$OURL/size/10" --proxy "127.0.0.1:$1" \
	    --username "$PAR_DOM\\$PAR_USER" >"$T/par_magic.out" \
	    2>"$T/par_magic.err" </dev/null
	MAGIC_RC=$?
	unset PROXY_PASSWORD
}

par_magic() {
	par_ntlm par_mg || return
	_pp=$PARENT
	par_run_magic "$_pp"
	PROXY_PASSWORD=$PAR_PW
	export PROXY_PASSWORD
	"$PROXY_BIN" --hashes --username "$PAR_DOM\\$PAR_USER" \
	    >"$T/par_h.out" 2>&1 </dev/null
	unset PROXY_PASSWORD
	_v2=$(par_hash_line "$T/par_h.out" PassNTLMv2)
	_nt=$(par_hash_line "$T/par_h.out" PassNT)
	_out=$T/par_magic.out
	if [ "$MAGIC_RC" != 0 ]; then
		fail parent_magic "--magic exited with $MAGIC_RC against a parent that accepts every dialect"
		evidence "$_out" 12
		evidence "$T/par_magic.err" 5
	elif ! grep -qE '^NTLMv2 .*200' "$_out"; then
		fail parent_magic "no 'NTLMv2 ... 200' line"
		evidence "$_out" 12
	elif ! grep -qE '^Auth +NTLMv2$' "$_out" ||
	    [ "$(par_hash_line "$_out" PassNTLMv2)" != "$_v2" ]; then
		fail parent_magic "no 'Auth NTLMv2' and 'PassNTLMv2 $_v2' config lines"
		evidence "$_out" 12
	elif ! tail -n 1 "$_out" | grep -q -- "--auth NTLMv2 .*--pass-ntlmv2 $_v2"; then
		fail parent_magic "the output does not end with the flags line '--auth NTLMv2 --pass-ntlmv2 $_v2': $(tail -n 1 "$_out")"
	else
		pass parent_magic
	fi
	par_stop_all

	# a parent that accepts only NTLM2SR, which --magic tries last: a
	# line for each dialect, each one seen and refused by the parent
	par_ntlm par_mg2 --accept NTLM2SR || return
	_pp=$PARENT
	par_run_magic "$_pp"
	par_stats "$_pp"
	_out=$T/par_magic.out
	_miss=
	for _d in NTLMv2 NTLM LM NT; do
		grep -qE "^$_d +.*407" "$_out" || _miss="$_miss $_d"
	done
	if [ "$MAGIC_RC" != 0 ] || ! grep -qE '^NTLM2SR +.*200' "$_out"; then
		fail parent_magic_order "against a parent that accepts only NTLM2SR: exit $MAGIC_RC, no 'NTLM2SR ... 200' line"
		evidence "$_out" 14
	elif [ -n "$_miss" ]; then
		fail parent_magic_order "no refused (407) line for:$_miss"
		evidence "$_out" 14
	elif [ "$PS_dialects" != "LM:1,NT:1,NTLM:1,NTLM2SR:1,NTLMv2:1" ] ||
	    [ "$PS_failures" != 4 ]; then
		fail parent_magic_order "the parent saw Type 3 dialects [$PS_dialects] with $PS_failures failures, want one of each and 4 failures"
		par_evidence par_mg2
	elif ! grep -qE '^Auth +NTLM2SR$' "$_out" ||
	    [ "$(par_hash_line "$_out" PassNT)" != "$_nt" ] ||
	    grep -q '^PassNTLMv2' "$_out"; then
		fail parent_magic_order "want config lines 'Auth NTLM2SR' and 'PassNT $_nt' only"
		evidence "$_out" 8
	else
		pass parent_magic_order
	fi
}
t_parent_magic() {
	needs_built NTLM parent_magic parent_magic_order || return
	par_magic
	par_stop_all
}

# $http_proxy names the parent when there is no --proxy
par_env_proxy() {
	par_ntlm par_env --accept NTLMv2 || return
	_pp=$PARENT
	http_proxy=http://127.0.0.1:$_pp/
	export http_proxy
	par_proxy px_env "$PAR_PW" --num-workers 1 \
	    --username "$PAR_DOM\\$PAR_USER"
	_rc=$?
	unset http_proxy
	[ $_rc = 0 ] || return
	fetch "$OURL/size/1000" --max-time 10
	par_stats "$_pp"
	if [ "$CODE" != 200 ] || ! par_body_is 1000; then
		fail parent_env_proxy "http_proxy=http://127.0.0.1:$_pp/, no --proxy: status $CODE"
		par_evidence par_env
	elif [ "$PS_requests" != 1 ]; then
		fail parent_env_proxy "http_proxy=http://127.0.0.1:$_pp/, no --proxy: the parent saw $PS_requests requests, want 1"
	elif ! par_access_tail "PROXY 127.0.0.1:$_pp"; then
		fail parent_env_proxy "the access line does not end with 'PROXY 127.0.0.1:$_pp': $ACCESS"
	else
		pass parent_env_proxy
	fi
}
t_parent_env_proxy() { par_env_proxy; par_stop_all; }

# $http_proxy naming the proxy itself is ignored, with a warning
t_parent_env_self() {
	_myp=$(freeport)
	http_proxy=http://127.0.0.1:$_myp
	export http_proxy
	par_start_at px_self "$_myp" --num-workers 1
	_rc=$?
	unset http_proxy
	if [ $_rc != 0 ]; then
		fail parent_env_self "$START_ERR"
		return
	fi
	fetch "$OURL/size/1000" --max-time 10
	if [ "$CODE" != 200 ] || ! par_body_is 1000; then
		fail parent_env_self "http_proxy=http://127.0.0.1:$_myp (the proxy's own address): status $CODE"
		evidence "$LOG" 5
	elif ! grep -i 'http_proxy' "$T/px_self.err" "$LOG" | grep -qi 'warn'; then
		fail parent_env_self "no warning naming http_proxy in stderr or the log: $(head -c 200 "$T/px_self.err" | tr '\n' ' ')"
	elif ! par_access_tail DIRECT; then
		fail parent_env_self "the access line does not end with DIRECT: $ACCESS"
	else
		pass parent_env_self
	fi
}

# --ntlm-to-basic: each client logs in to us with Basic DOMAIN\user:pass,
# and that login becomes the parent's NTLM one; no Basic: our own 407;
# a wrong password: the parent refuses it, the client hears why
par_ntlm_to_basic() {
	par_ntlm par_n2b --accept NTLMv2 || return
	_pp=$PARENT
	if ! start_proxy px_n2b --num-workers 1 --proxy "127.0.0.1:$_pp" \
	    --ntlm-to-basic; then
		fail parent_ntlm_to_basic "$START_ERR"
		return
	fi
	fetch "$OURL/size/1000" --max-time 10
	_none=$CODE
	_hdr=$(grep -i '^Proxy-Authenticate:' "$T/hdrs" 2>/dev/null | tr -d '\r')
	fetch "$OURL/size/1000" --max-time 10 \
	    --proxy-user "$PAR_DOM\\$PAR_USER:$PAR_PW"
	_good=$CODE
	_body_ok=0
	par_body_is 1000 && _body_ok=1
	par_stats "$_pp"
	fetch "$OURL/size/1000" --max-time 10 \
	    --proxy-user "$PAR_DOM\\$PAR_USER:not-the-password"
	_bad=$CODE
	if [ "$_none" != 407 ] || [ "$_hdr" != 'Proxy-Authenticate: Basic realm="proxy"' ]; then
		fail parent_ntlm_to_basic "no Basic login: status $_none ($_hdr), want 407 with Proxy-Authenticate: Basic realm=\"proxy\""
	elif [ "$_good" != 200 ] || [ $_body_ok != 1 ]; then
		fail parent_ntlm_to_basic "Basic '$PAR_DOM\\$PAR_USER:...': status $_good, want 200 and 1000 bytes"
		par_evidence par_n2b
	elif [ "$PS_last_dialect" != NTLMv2 ] || [ "${PS_logins:-0}" -lt 1 ]; then
		fail parent_ntlm_to_basic "the parent saw no NTLMv2 login: $(par_summary)"
	elif [ "$_bad" != 502 ]; then
		fail parent_ntlm_to_basic "a wrong Basic password: status $_bad, want 502 (the parent refused it)"
	else
		pass parent_ntlm_to_basic
	fi
}
t_parent_ntlm_to_basic() { par_ntlm_to_basic; par_stop_all; }
CASES="$CASES parent_ntlm_to_basic"

# An NTLM parent that drops a pooled, logged-in connection just as the
# next request arrives (--drop-reused): the GET goes again on a new
# connection, which logs in afresh, and the client sees two 200s.
par_retry_reused() {
	par_ntlm par_rr --accept NTLMv2 --drop-reused || return
	_pp=$PARENT
	par_proxy px_rr "$PAR_PW" --num-workers 1 --proxy "127.0.0.1:$_pp" \
	    --username "$PAR_DOM\\$PAR_USER" --auth NTLMv2 || return
	from=$(log_size "$LOG")
	_codes=$(pcurl --max-time 20 -o "$T/rr1" -o "$T/body" \
	    -w '%{http_code} ' "$OURL/size/100" "$OURL/size/2000" 2>"$T/curl.err")
	par_stats "$_pp"
	if [ "$_codes" != "200 200 " ] || ! par_body_is 2000; then
		fail parent_retry_reused "two GETs through a parent that drops reused connections: statuses '$_codes', want '200 200 ' with the body"
		par_evidence par_rr
	elif [ "$PS_dropped" != 1 ] || [ "$PS_handshakes" != 2 ] ||
	    [ "$PS_requests" != 2 ]; then
		fail parent_retry_reused "want 1 dropped request, 2 handshakes and 2 forwarded requests at the parent: dropped=$PS_dropped $(par_summary)"
		par_evidence par_rr
	elif ! log_since "$LOG" "$from" | grep -q "closed a reused connection before answering; sending the request again"; then
		fail parent_retry_reused "no retry in the proxy's log"
		par_evidence par_rr
	else
		pass parent_retry_reused
	fi
}
t_parent_retry_reused() { par_retry_reused; par_stop_all; }
