# Negotiate to the parent: NTLM inside Negotiate against the test parent
# (tests/ntlm_parent.py --offer negotiate: raw NTLMSSP in Negotiate,
# verified by its own NTLM code), the switch from NTLM when the parent
# offers only Negotiate, the scheme remembered per parent, --magic, and
# bad input (garbage base64, an SPNEGO reject, a 64 KiB token, a parent
# that answers every Type 3 with a new challenge); sourced by tests.sh
# after e2e_parent.sh, whose par_* helpers it uses.

CASES="${CASES:-} negotiate_only negotiate_and_ntlm negotiate_one_field
negotiate_reconnect negotiate_dialects negotiate_wrong_password
negotiate_multiuser negotiate_magic negotiate_bad_garbage
negotiate_bad_reject negotiate_bad_huge negotiate_bad_loop"

# neg_stats PORT: par_stats, and the schemes of the logins as PS_schemes
# ("Negotiate:1"), PS_wrong_scheme (Type 1 messages in a scheme the
# parent did not offer)
neg_stats() {
	PS_schemes=
	PS_wrong_scheme=
	par_stats "$1"
}

neg_summary() {
	echo "$(par_summary) schemes=[$PS_schemes] wrong_scheme=$PS_wrong_scheme"
}

# neg_proxy NAME PARENT-PORT [flags]: a one-worker proxy logging in as
# Corp\alice with the right password
neg_proxy() {
	_nn=$1
	_np=$2
	shift 2
	par_proxy "$_nn" "$PAR_PW" --num-workers 1 --proxy "127.0.0.1:$_np" \
	    --username "$PAR_DOM\\$PAR_USER" "$@"
}

# A parent that offers only Negotiate: the proxy's first Type 1 (as NTLM)
# gets a bare "Negotiate", the Type 1 goes again inside Negotiate on the
# same connection, and the login then serves five clients in turn (one
# parent connection, one handshake), a POST of 2 MiB and a CONNECT; a
# new parent connection starts with Negotiate at once (remembered).
t_negotiate_only() {
	needs_built NTLM negotiate_only || return
	par_ntlm par_no --offer negotiate || return
	_pp=$PARENT
	neg_proxy px_no "$_pp" --auth NTLMv2 || return
	_bad=
	for _i in 1 2 3 4 5; do
		fetch "$OURL/size/1000" --max-time 10
		if [ "$CODE" != 200 ] || ! par_body_is 1000; then
			_bad="request $_i: status $CODE: $(head -c 200 "$T/body" | tr '\n' ' ')"
			break
		fi
	done
	neg_stats "$_pp"
	_s1=$(neg_summary)
	_k1=$PS_connections
	par_bodies
	head -c 2097152 "$PAR_BIG" >"$T/neg_2m.bin"
	fetch "$OURL/sink" --max-time 20 --data-binary "@$T/neg_2m.bin" \
	    -H 'Content-Type: application/octet-stream'
	_post="$CODE $(cat "$T/body")"
	_want_post="200 2097152 $(sha_pat 2097152)"
	fetch "$OURL/size/100000" --max-time 10 -p
	_tc=$CODE
	_tok=0
	par_body_is 100000 && _tok=1
	# the tunnel took the pooled connection with it: a new one now
	fetch "$OURL/size/10" --max-time 10
	_gc=$CODE
	neg_stats "$_pp"
	if [ -n "$_bad" ]; then
		fail negotiate_only "$_bad; parent: $(neg_summary)"
		par_evidence par_no
	elif [ "$PS_ok" != 1 ] || [ "$_k1" != 1 ] ||
	    ! echo "$_s1" | grep -q 'handshakes=1 logins=1 failures=0' ||
	    ! echo "$_s1" | grep -q 'schemes=\[Negotiate:1\] wrong_scheme=1'; then
		fail negotiate_only "5 GETs: the parent saw $_s1; want connections=1 handshakes=1 logins=1 failures=0 schemes=[Negotiate:1] wrong_scheme=1"
		par_evidence par_no
	elif [ "$_post" != "$_want_post" ]; then
		fail negotiate_only "POST of 2 MiB: got '$_post', want '$_want_post'"
		par_evidence par_no
	elif [ "$_tc" != 200 ] || [ $_tok != 1 ]; then
		fail negotiate_only "CONNECT through the parent: status $_tc, curl rc $CURL_RC"
		par_evidence par_no
	elif [ "$_gc" != 200 ] || [ "$PS_wrong_scheme" != 1 ] ||
	    [ "$PS_failures" != 0 ] || [ "$PS_schemes" != "Negotiate:$PS_logins" ]; then
		fail negotiate_only "after the CONNECT, a GET on a new parent connection: status $_gc; the parent saw $(neg_summary); want wrong_scheme still 1 (the scheme remembered), every login in Negotiate"
		par_evidence par_no
	elif ! grep -q 'logged in with NTLM inside Negotiate' "$LOG"; then
		fail negotiate_only "the log does not say the login went inside Negotiate"
		evidence "$LOG" 8
	else
		pass negotiate_only
	fi
	par_stop_all
}

# Negotiate and NTLM both offered (two fields): NTLM as before, no
# switch; then one field "Negotiate, NTLM" read the same way
neg_both() {
	_v=$1
	shift
	par_ntlm "par_$_v" "$@" || return
	_pp=$PARENT
	neg_proxy "px_$_v" "$_pp" --auth NTLMv2 || return
	fetch "$OURL/size/1000" --max-time 10
	_c1=$CODE
	fetch "$OURL/size/1000" --max-time 10 -p
	_c2=$CODE
	neg_stats "$_pp"
	if [ "$_c1" != 200 ] || [ "$_c2" != 200 ]; then
		fail "$_v" "GET and CONNECT: status $_c1 and $_c2; parent: $(neg_summary)"
		par_evidence "par_$_v"
	elif [ "$PS_schemes" != "NTLM:1" ] || [ "$PS_wrong_scheme" != 0 ] ||
	    [ "$PS_failures" != 0 ] || [ "$PS_requests" != 2 ]; then
		fail "$_v" "the parent saw $(neg_summary); want one login in NTLM (the CONNECT rides on it), none in a scheme not offered"
		par_evidence "par_$_v"
	else
		pass "$_v"
	fi
	par_stop_all
}
t_negotiate_and_ntlm() {
	needs_built NTLM negotiate_and_ntlm || return
	neg_both negotiate_and_ntlm --offer negotiate,ntlm
}
t_negotiate_one_field() {
	needs_built NTLM negotiate_one_field || return
	neg_both negotiate_one_field --offer negotiate,ntlm --offer-one-field
}

# The parent closes the connection after its bare 407: the Type 1 goes
# again inside Negotiate on a new connection
t_negotiate_reconnect() {
	needs_built NTLM negotiate_reconnect || return
	par_ntlm par_nr --offer negotiate --close-bare-407 || return
	_pp=$PARENT
	neg_proxy px_nr "$_pp" --auth NTLMv2 || return
	fetch "$OURL/size/1000" --max-time 10
	_c1=$CODE
	neg_stats "$_pp"
	if [ "$_c1" != 200 ] || ! par_body_is 1000; then
		fail negotiate_reconnect "GET: status $_c1: $(head -c 200 "$T/body" | tr '\n' ' '); parent: $(neg_summary)"
		par_evidence par_nr
	elif [ "$PS_connections" != 2 ] || [ "$PS_schemes" != Negotiate:1 ] ||
	    [ "$PS_wrong_scheme" != 1 ]; then
		fail negotiate_reconnect "the parent saw $(neg_summary); want connections=2 (the first closed after its 407), schemes=[Negotiate:1]"
		par_evidence par_nr
	else
		pass negotiate_reconnect
	fi
	par_stop_all
}

# Every --auth dialect inside Negotiate, each against a parent that
# accepts only it
t_negotiate_dialects() {
	needs_built NTLM negotiate_dialects || return
	_bad=
	for _d in NTLMv2 NTLM2SR NTLM NT LM; do
		par_ntlm "par_nd$_d" --offer negotiate --accept "$_d" || return
		_pp=$PARENT
		neg_proxy "px_nd$_d" "$_pp" --auth "$_d" || return
		fetch "$OURL/size/1000" --max-time 10
		neg_stats "$_pp"
		if [ "$CODE" != 200 ] || [ "$PS_dialects" != "$_d:1" ] ||
		    [ "$PS_schemes" != Negotiate:1 ]; then
			_bad="$_bad $_d (status $CODE, $(neg_summary))"
		fi
		stop_proxy "px_nd$_d"
		par_stop_all
	done
	if [ -n "$_bad" ]; then
		fail negotiate_dialects "dialects that did not log in inside Negotiate:$_bad"
	else
		pass negotiate_dialects
	fi
}

# A wrong password inside Negotiate: 502 that says so, one failed login,
# and the back-off keeps the next request away from the parent
t_negotiate_wrong_password() {
	needs_built NTLM negotiate_wrong_password || return
	par_refused negotiate_wrong_password NTLMv2 --auth ntlm \
	    --offer negotiate
	if grep -q 'refused the NTLMv2 inside Negotiate credentials' \
	    "$T/px_negotiate_wrong_password.log"; then
		pass negotiate_wrong_password_says
	else
		fail negotiate_wrong_password_says "no log line 'refused the NTLMv2 inside Negotiate credentials'"
		evidence "$T/px_negotiate_wrong_password.log" 5
	fi
	par_stop_all
}

# --ntlm-to-basic: each client's own credentials go inside Negotiate
t_negotiate_multiuser() {
	needs_built NTLM negotiate_multiuser || return
	par_ntlm par_nm --offer negotiate || return
	_pp=$PARENT
	if ! start_proxy px_nm --num-workers 1 --proxy "127.0.0.1:$_pp" \
	    --ntlm-to-basic --auth NTLMv2; then
		fail negotiate_multiuser "$START_ERR"
		return
	fi
	fetch "$OURL/size/1000" --max-time 10 \
	    -U "$PAR_DOM\\$PAR_USER:$PAR_PW"
	_c1=$CODE
	neg_stats "$_pp"
	if [ "$_c1" != 200 ] || [ "$PS_schemes" != Negotiate:1 ] ||
	    [ "$PS_last_user" != "$PAR_USER" ]; then
		fail negotiate_multiuser "GET with the client's Basic login: status $_c1; parent: $(neg_summary) last_user=$PS_last_user"
		par_evidence par_nm
	else
		pass negotiate_multiuser
	fi
	par_stop_all
}

# --magic against a parent that offers only Negotiate
t_negotiate_magic() {
	needs_built NTLM negotiate_magic || return
	par_ntlm par_nmg --offer negotiate || return
	_pp=$PARENT
	par_run_magic "$_pp"
	_out=$T/par_magic.out
	if [ "$MAGIC_RC" != 0 ]; then
		fail negotiate_magic "--magic exited with $MAGIC_RC against a parent that offers only Negotiate"
		evidence "$_out" 12
		evidence "$T/par_magic.err" 5
	elif ! grep -qE '^NTLMv2 +200 OK \(NTLM inside Negotiate\)' "$_out"; then
		fail negotiate_magic "no 'NTLMv2 200 OK (NTLM inside Negotiate)' line"
		evidence "$_out" 12
	elif ! grep -q 'only inside Negotiate' "$_out"; then
		fail negotiate_magic "--magic does not say the parent wants NTLM inside Negotiate"
		evidence "$_out" 12
	else
		pass negotiate_magic
	fi
	par_stop_all
}

# neg_bad CASE MODE WANT [proxy flags]: a parent answering the Type 1
# inside Negotiate with --negotiate-bad MODE: the client gets a 502
# whose body matches WANT (grep -E), the worker lives on
neg_bad() {
	_v=$1
	_mode=$2
	_want=$3
	shift 3
	par_ntlm "par_$_v" --offer negotiate --negotiate-bad "$_mode" || return
	_pp=$PARENT
	neg_proxy "px_$_v" "$_pp" --auth NTLMv2 "$@" || return
	fetch "$OURL/size/10" --max-time 15
	_c1=$CODE
	cp "$T/body" "$T/neg_bad.body"
	neg_stats "$_pp"
	if [ "$_c1" != 502 ]; then
		fail "$_v" "status $_c1, want 502; parent: $(neg_summary)"
		evidence "$T/neg_bad.body" 3
		par_evidence "par_$_v"
	elif ! grep -qE "$_want" "$T/neg_bad.body"; then
		fail "$_v" "the 502 does not say '$_want': $(head -c 300 "$T/neg_bad.body" | tr '\n' ' ')"
		par_evidence "par_$_v"
	elif [ "$_mode" = loop ] && [ "$PS_handshakes" != 2 ]; then
		fail "$_v" "a parent answering every Type 3 with a new challenge: $PS_handshakes rounds, want 2; $(neg_summary)"
		par_evidence "par_$_v"
	elif ! alive "$PX"; then
		fail "$_v" "the proxy died"
	else
		pass "$_v"
	fi
	par_stop_all
}
t_negotiate_bad_garbage() {
	needs_built NTLM negotiate_bad_garbage || return
	neg_bad negotiate_bad_garbage garbage 'no usable challenge: NTLM challenge: bad base64'
}
t_negotiate_bad_reject() {
	needs_built NTLM negotiate_bad_reject || return
	neg_bad negotiate_bad_reject reject 'in Negotiate with no usable challenge'
}
t_negotiate_bad_huge() {
	needs_built NTLM negotiate_bad_huge || return
	# the default head limit refuses the 407 itself; a larger one lets
	# the 64 KiB token through to the NTLM decoder, which refuses it
	neg_bad negotiate_bad_huge huge 'response head|too large|too long'
	neg_bad negotiate_bad_huge_decoded huge 'bad base64 or too long' \
	    --max-header-size 131072
}
t_negotiate_bad_loop() {
	needs_built NTLM negotiate_bad_loop || return
	neg_bad negotiate_bad_loop loop 'refused the NTLMv2 inside Negotiate credentials'
}
