# Negotiate to the parent: NTLM inside Negotiate against the test parent
# (tests/ntlm_parent.py --offer negotiate: raw NTLMSSP in Negotiate,
# verified by its own NTLM code), the switch from NTLM when the parent
# offers only Negotiate, the scheme remembered per parent, --magic, and
# bad input (garbage base64, an SPNEGO reject, a 64 KiB token, a parent
# that answers every Type 3 with a new challenge). Then Kerberos (make
# GSSAPI=1; skipped with the reason otherwise): a throwaway MIT realm
# (krb5kdc on a loopback port, KRB5_CONFIG and KRB5_KDC_PROFILE pointing
# at files in the temp dir), squid with negotiate_kerberos_auth as the
# real parent, and the test parent's --kerberos mode (python3-gssapi) for
# what squid does not do (mutual authentication tokens, rejects,
# counting AP-REQs). Through squid also a token over 12 KiB (SPAKE
# authentication indicators) and TLS interception (e2e_intercept.sh's
# icpt_ready). Sourced by tests.sh; uses e2e_parent.sh's par_*.

CASES="${CASES:-} negotiate_only negotiate_and_ntlm negotiate_one_field
negotiate_reconnect negotiate_dialects negotiate_wrong_password
negotiate_multiuser negotiate_magic negotiate_bad_garbage
negotiate_bad_reject negotiate_bad_huge negotiate_bad_loop
gssapi_probe_missing krb_squid krb_pool krb_mutual_bad krb_no_ticket
krb_password krb_wrong_password krb_renew krb_token_limit
krb_negotiate_canonical krb_big_token krb_intercept krb_reject krb_loop any_kerberos
any_no_ticket any_reject any_ntlm_only any_basic_only any_kdc_dead
krb_kdc_dead krb_flags"

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

# ---------------------------------------------------------------- Kerberos

REALM=TEST.REALM
KRB_STATE=
KD=
KRB_PW='Krb-S3cret!'
SPY=/usr/bin/python3	# the system's python3, where python3-gssapi is

# krb_conf FILE PORT [TIMEOUT-MS]: a krb5.conf for the test realm with
# its KDC on PORT; no DNS (the test resolver knows no SRV or PTR
# records), TCP first, KDC timeouts of TIMEOUT-MS (default 1000); SPAKE
# pre-authentication on (for carol, see krb_kdc_conf)
krb_conf() {
	{
		echo "[libdefaults]"
		echo "	default_realm = $REALM"
		echo "	spake_preauth_groups = edwards25519"
		echo "	dns_lookup_realm = false"
		echo "	dns_lookup_kdc = false"
		echo "	rdns = false"
		echo "	dns_canonicalize_hostname = false"
		echo "	ignore_acceptor_hostname = true"
		echo "	udp_preference_limit = 1"
		echo "	kdc_timeout = ${3:-1000}"
		echo "	max_retries = 2"
		echo "[realms]"
		echo "	$REALM = {"
		echo "		kdc = 127.0.0.1:$2"
		echo "	}"
		echo "[domain_realm]"
		echo "	.test = $REALM"
	} >"$1"
}

# krb_kdc_conf FILE PORT: the KDC's profile (KRB5_KDC_PROFILE). A login
# with SPAKE pre-authentication (only carol requires it) gets KRB_BIG
# long authentication indicators, which the KDC copies into the TGT and
# every service ticket as authorization data: a user in hundreds of
# groups, whose Negotiate token is over 12 KiB
KRB_BIG=64
krb_kdc_conf() {
	{
		echo "[kdcdefaults]"
		echo "	kdc_ports = $2"
		echo "	kdc_tcp_ports = $2"
		echo "[realms]"
		echo "	$REALM = {"
		echo "		database_name = $KD/principal"
		echo "		key_stash_file = $KD/stash"
		echo "		acl_file = $KD/kadm5.acl"
		echo "		max_life = 10m"
		echo "		max_renewable_life = 1h"
		_i=0
		while [ $_i -lt $KRB_BIG ]; do
			_i=$((_i + 1))
			printf '\t\tspake_preauth_indicator = group-%03d-S-1-5-21-1004336348-1177238915-682003330-%06d-%s\n' \
			    $_i $_i "$(printf '%0100d' $_i)"
		done
		echo "	}"
		echo "[logging]"
		echo "	kdc = FILE:$KD/kdc.log"
	} >"$1"
}

# krb_setup: the realm, once per run; 1 with KRB_STATE saying why not
krb_setup() {
	[ -n "$KRB_STATE" ] && { [ "$KRB_STATE" = ok ]; return; }
	if ! "$PROXY_BIN" --version | grep -q '^features:.* gssapi'; then
		KRB_STATE="built without GSSAPI (make GSSAPI=1; Debian: libkrb5-dev)"
		return 1
	fi
	if [ "$DNS_OK" != 1 ]; then
		KRB_STATE="parent.test must resolve: $DNS_NOTE"
		return 1
	fi
	for _k in krb5kdc kdb5_util kadmin.local kinit; do
		if ! have "$_k"; then
			KRB_STATE="no $_k (Debian: krb5-kdc krb5-admin-server krb5-user)"
			return 1
		fi
	done
	KD=$T/krb
	mkdir -p "$KD"
	KP=$(freeport)
	KRB_DEAD=$(freeport)
	krb_conf "$KD/krb5.conf" "$KP"
	# a site's krb5.conf may wait long for a KDC: the proxy bounds it
	krb_conf "$KD/krb5-dead.conf" "$KRB_DEAD" 30000
	krb_kdc_conf "$KD/kdc.conf" "$KP"
	KRB5_CONFIG=$KD/krb5.conf
	KRB5_KDC_PROFILE=$KD/kdc.conf
	export KRB5_CONFIG KRB5_KDC_PROFILE
	{
		kdb5_util create -s -r "$REALM" -P "master-$$" &&
		kadmin.local -q "addprinc -pw $KRB_PW alice" &&
		kadmin.local -q "addprinc -pw $KRB_PW -maxlife \"20 seconds\" bob" &&
		kadmin.local -q "addprinc -pw $KRB_PW +requires_preauth carol" &&
		kadmin.local -q "addprinc -randkey HTTP/parent.test" &&
		kadmin.local -q "ktadd -k $KD/http.keytab HTTP/parent.test"
	} >"$KD/setup.log" 2>&1
	_rc=$?
	if [ $_rc = 0 ]; then
		bg krb_kdc krb5kdc -n -P "$KD/kdc.pid"
		if ! waitport 127.0.0.1 "$KP" 10; then
			_rc=1
			echo "krb5kdc did not listen: $(tail -n 2 "$T/krb_kdc.err")" >>"$KD/setup.log"
		fi
	fi
	if [ $_rc = 0 ]; then
		echo "$KRB_PW" | KRB5CCNAME=FILE:$KD/cc kinit alice \
		    >>"$KD/setup.log" 2>&1 || _rc=1
	fi
	unset KRB5_CONFIG KRB5_KDC_PROFILE
	if [ $_rc != 0 ]; then
		KRB_STATE="the test realm could not be made: $(tail -n 2 "$KD/setup.log" | tr '\n' ' ')"
		return 1
	fi
	# squid runs its helpers as the user proxy: the keytab and the way
	# to it must be readable by it (a throwaway key of a test realm)
	chmod 711 "$T"
	chmod 755 "$KD"
	chmod 644 "$KD/http.keytab" "$KD/krb5.conf"
	KRB_STATE=ok
	return 0
}

# krb_need CASE: 0 when the realm stands, else the case skips
krb_need() {
	krb_setup && return 0
	skip "$1" "$KRB_STATE"
	return 1
}

# krb_proxy NAME CCACHE PASSWORD [flags]: start_proxy with the test
# realm's KRB5_CONFIG (KRB_CONF: another one), KRB5CCNAME=CCACHE and
# PROXY_PASSWORD, exported around the call
krb_proxy() {
	_kn=$1
	KRB5CCNAME=$2
	PROXY_PASSWORD=$3
	KRB5_CONFIG=${KRB_CONF:-$KD/krb5.conf}
	shift 3
	export KRB5CCNAME PROXY_PASSWORD KRB5_CONFIG
	start_proxy "$_kn" "$@"
	_krc=$?
	unset KRB5CCNAME PROXY_PASSWORD KRB5_CONFIG
	if [ $_krc != 0 ]; then
		fail "$CASE" "$START_ERR"
		return 1
	fi
	return 0
}

# krb_squid: squid with negotiate_kerberos_auth on port SQ (once per
# run); 1 with SQ_WHY when there is none
SQ=
SQ_WHY=
krb_squid() {
	[ -n "$SQ" ] && return 0
	[ -n "$SQ_WHY" ] && return 1
	_sq=$(command -v squid || echo /usr/sbin/squid)
	_helper=/usr/lib/squid/negotiate_kerberos_auth
	if [ ! -x "$_sq" ] || [ ! -x "$_helper" ]; then
		SQ_WHY="no squid with negotiate_kerberos_auth (Debian: squid)"
		return 1
	fi
	_p=$(freeport)
	mkdir -p "$KD/squid"
	chmod 777 "$KD/squid"
	{
		echo "http_port 127.0.0.1:$_p"
		echo "visible_hostname squid.parent.test"
		echo "pid_filename $KD/squid/squid.pid"
		echo "cache_log $KD/squid/cache.log"
		echo "access_log stdio:$KD/squid/access.log squid"
		# the size of each request as squid read it (head and body)
		echo "logformat sizes %>st %un %rm %ru %>Hs"
		echo "access_log stdio:$KD/squid/sizes.log sizes"
		echo "cache deny all"
		echo "cache_mem 8 MB"
		echo "coredump_dir $KD/squid"
		echo "shutdown_lifetime 1 seconds"
		echo "auth_param negotiate program /usr/bin/env KRB5_CONFIG=$KD/krb5.conf KRB5_KTNAME=$KD/http.keytab $_helper -s HTTP/parent.test@$REALM"
		echo "auth_param negotiate children 3 startup=1"
		echo "auth_param negotiate keep_alive on"
		echo "acl authed proxy_auth REQUIRED"
		echo "http_access allow authed"
		echo "http_access deny all"
	} >"$KD/squid.conf"
	bg squid "$_sq" -N -f "$KD/squid.conf"
	if ! waitport 127.0.0.1 "$_p" 20; then
		SQ_WHY="squid did not start: $(tail -n 3 "$KD/squid/cache.log" "$T/squid.err" 2>/dev/null | tr '\n' ' ')"
		return 1
	fi
	SQ=$_p
	return 0
}

# krb_par NAME [flags]: the test parent in --kerberos mode (the system
# python3, with python3-gssapi); 1 when it cannot run (the case skips)
krb_par() {
	_kpn=$1
	shift
	if ! "$SPY" -c 'import gssapi' 2>/dev/null; then
		skip "$CASE" "no python3-gssapi for the test parent's Kerberos mode"
		return 1
	fi
	KRB5_CONFIG=$KD/krb5.conf
	KRB5_KTNAME=$KD/http.keytab
	export KRB5_CONFIG KRB5_KTNAME
	_opy=$PY
	PY=$SPY
	par_start "$_kpn" --auth ntlm --user "$PAR_USER" --domain "$PAR_DOM" \
	    --password "$PAR_PW" --kerberos "$@"
	_kprc=$?
	PY=$_opy
	unset KRB5_CONFIG KRB5_KTNAME
	return $_kprc
}

# krb_as_reqs USER: the KDC's AS_REQ lines for USER so far (issued or
# refused)
krb_as_reqs() {
	grep -c "AS_REQ.*$1@$REALM for krbtgt" "$KD/kdc.log" 2>/dev/null
}

t_gssapi_probe_missing() {
	_out=$(CC=false sh "$ROOT/gss-probe.sh" 1 2>&1)
	_rc=$?
	if [ $_rc = 0 ]; then
		fail gssapi_probe_missing "gss-probe.sh 1 with a compiler that cannot build the probe exited 0"
	elif ! echo "$_out" | grep -q 'libkrb5-dev'; then
		fail gssapi_probe_missing "the failure does not name the package: $_out"
	else
		pass gssapi_probe_missing
	fi
}

# --auth NEGOTIATE against squid: GET, POST 2 MiB, CONNECT, as alice
t_krb_squid() {
	krb_need krb_squid || return
	if ! krb_squid; then
		skip krb_squid "$SQ_WHY"
		return
	fi
	krb_proxy px_ks "FILE:$KD/cc" "" --num-workers 1 \
	    --proxy "parent.test:$SQ" --auth NEGOTIATE || return
	fetch "$OURL/size/1000" --max-time 15
	_g=$CODE
	_gok=0
	par_body_is 1000 && _gok=1
	par_bodies
	head -c 2097152 "$PAR_BIG" >"$T/neg_2m.bin"
	fetch "$OURL/sink" --max-time 20 --data-binary "@$T/neg_2m.bin" \
	    -H 'Content-Type: application/octet-stream'
	_post="$CODE $(cat "$T/body")"
	_want_post="200 2097152 $(sha_pat 2097152)"
	fetch "$OURL/size/100000" --max-time 15 -p
	_tc=$CODE
	_tok=0
	par_body_is 100000 && _tok=1
	if [ "$_g" != 200 ] || [ $_gok != 1 ]; then
		fail krb_squid "GET through squid with Kerberos: status $_g: $(head -c 200 "$T/body" | tr '\n' ' ')"
		evidence "$LOG" 8
		evidence "$KD/squid/cache.log" 5
	elif [ "$_post" != "$_want_post" ]; then
		fail krb_squid "POST of 2 MiB: got '$_post', want '$_want_post'"
	elif [ "$_tc" != 200 ] || [ $_tok != 1 ]; then
		fail krb_squid "CONNECT through squid: status $_tc, curl rc $CURL_RC"
		evidence "$LOG" 5
	elif [ "$(grep -c "alice@$REALM" "$KD/squid/access.log")" -lt 3 ]; then
		fail krb_squid "squid's access log does not show alice@$REALM for the 3 requests"
		evidence "$KD/squid/access.log" 5
	elif ! grep -q 'logged in with Kerberos (Negotiate)' "$LOG"; then
		fail krb_squid "the log does not say the login was Kerberos"
	else
		pass krb_squid
	fi
}

# five clients one after another share one parent connection and one
# AP-REQ; the parent's mutual-authentication token is checked
t_krb_pool() {
	krb_need krb_pool || return
	krb_par par_kp --offer negotiate || return
	_pp=$PARENT
	krb_proxy px_kp "FILE:$KD/cc" "" --num-workers 1 \
	    --proxy "parent.test:$_pp" --auth KERBEROS || return
	_bad=
	for _i in 1 2 3 4 5; do
		fetch "$OURL/size/1000" --max-time 15
		if [ "$CODE" != 200 ] || ! par_body_is 1000; then
			_bad="request $_i: status $CODE"
			break
		fi
	done
	neg_stats "$_pp"
	if [ -n "$_bad" ]; then
		fail krb_pool "$_bad; parent: $(neg_summary)"
		par_evidence par_kp
	elif [ "$PS_ap_reqs" != 1 ] || [ "$PS_connections" != 1 ] ||
	    [ "$PS_requests" != 6 ] || [ "$PS_last_user" != "alice@$REALM" ]; then
		fail krb_pool "5 GETs: the parent saw ap_reqs=$PS_ap_reqs connections=$PS_connections requests=$PS_requests user=$PS_last_user; want 1, 1, 6 (the login's HEAD and the 5), alice@$REALM"
		par_evidence par_kp
	elif ! grep -q 'mutual authentication checked' "$LOG"; then
		fail krb_pool "the parent's mutual-authentication token was not checked (log)"
		evidence "$LOG" 6
	else
		pass krb_pool
	fi
	par_stop_all
}

# a mutual-authentication token that does not verify: 502, not the page
t_krb_mutual_bad() {
	krb_need krb_mutual_bad || return
	krb_par par_km --offer negotiate --mutual bad || return
	krb_proxy px_km "FILE:$KD/cc" "" --num-workers 1 \
	    --proxy "parent.test:$PARENT" --auth NEGOTIATE || return
	fetch "$OURL/size/1000" --max-time 15
	if [ "$CODE" != 502 ] ||
	    ! grep -q 'mutual authentication failed' "$T/body"; then
		fail krb_mutual_bad "a forged mutual-authentication token: status $CODE: $(head -c 200 "$T/body" | tr '\n' ' ')"
		evidence "$LOG" 5
	else
		pass krb_mutual_bad
	fi
	par_stop_all
}

# no ticket and no --kerberos-password: a 502 that says to run kinit
t_krb_no_ticket() {
	krb_need krb_no_ticket || return
	krb_par par_kn --offer negotiate || return
	krb_proxy px_kn "FILE:$KD/none" "" --num-workers 1 \
	    --proxy "parent.test:$PARENT" --auth NEGOTIATE || return
	fetch "$OURL/size/10" --max-time 15
	if [ "$CODE" != 502 ] || ! grep -q 'kinit' "$T/body"; then
		fail krb_no_ticket "status $CODE, want 502 saying to run kinit: $(head -c 200 "$T/body" | tr '\n' ' ')"
	else
		pass krb_no_ticket
	fi
	par_stop_all
}

# --kerberos-password, no ticket before: the proxy gets its own (in
# memory: no cache file appears), through squid
t_krb_password() {
	krb_need krb_password || return
	if ! krb_squid; then
		skip krb_password "$SQ_WHY"
		return
	fi
	_n0=$(krb_as_reqs alice)
	krb_proxy px_kpw "FILE:$KD/pw-none" "$KRB_PW" --num-workers 1 \
	    --proxy "parent.test:$SQ" --auth NEGOTIATE --username alice \
	    --kerberos-password || return
	fetch "$OURL/size/1000" --max-time 15
	_c=$CODE
	fetch "$OURL/size/1000" --max-time 15 -p
	_n=$(($(krb_as_reqs alice) - _n0))
	if [ "$_c" != 200 ] || [ "$CODE" != 200 ]; then
		fail krb_password "GET and CONNECT with --kerberos-password: status $_c and $CODE: $(head -c 200 "$T/body" | tr '\n' ' ')"
		evidence "$LOG" 6
	elif [ "$_n" -lt 1 ] || [ "$_n" -gt 2 ]; then
		# MIT may try once without pre-authentication first
		fail krb_password "the KDC saw $_n AS-REQs for alice, want one login"
	elif [ -e "$KD/pw-none" ]; then
		fail krb_password "the ticket went to a cache file ($KD/pw-none), not to memory"
	elif [ "$(grep -c "a ticket for alice@$REALM from the password" "$LOG")" != 1 ]; then
		fail krb_password "the log does not say once that the ticket came from the password"
	else
		pass krb_password
	fi
}

# a wrong password: reported once, clearly, and never sent again
t_krb_wrong_password() {
	krb_need krb_wrong_password || return
	krb_par par_kw --offer negotiate || return
	_n0=$(krb_as_reqs alice)
	krb_proxy px_kw "FILE:$KD/pw-none" 'Wr0ng!pw' --num-workers 1 \
	    --proxy "parent.test:$PARENT" --auth NEGOTIATE --username alice \
	    --kerberos-password || return
	fetch "$OURL/size/10" --max-time 15
	_c1=$CODE
	cp "$T/body" "$T/kw.body"
	fetch "$OURL/size/10" --max-time 15
	_c2=$CODE
	fetch "$OURL/size/10" --max-time 15
	_n=$(($(krb_as_reqs alice) - _n0))
	_said=$(grep -c 'warning: Kerberos for .*: the KDC refused the password' "$LOG")
	if [ "$_c1" != 502 ] || [ "$_c2" != 502 ] || [ "$CODE" != 502 ]; then
		fail krb_wrong_password "statuses $_c1 $_c2 $CODE, want 502 each"
	elif ! grep -q 'refused the password of alice' "$T/kw.body"; then
		fail krb_wrong_password "the 502 does not say the KDC refused the password: $(head -c 200 "$T/kw.body" | tr '\n' ' ')"
	elif [ "$_n" -gt 2 ]; then
		fail krb_wrong_password "three requests sent $_n AS-REQs for alice to the KDC, want one login attempt"
	elif [ "$_said" != 1 ]; then
		fail krb_wrong_password "the refusal is logged as a warning $_said times, want once"
		evidence "$LOG" 6
	else
		pass krb_wrong_password
	fi
	par_stop_all
}

# bob's tickets live 20 s: after they expire, a new connection gets a
# new ticket from the password
t_krb_renew() {
	krb_need krb_renew || return
	krb_par par_kr --offer negotiate || return
	_pp=$PARENT
	krb_proxy px_kr "FILE:$KD/pw-none" "$KRB_PW" --num-workers 1 \
	    --proxy "parent.test:$_pp" --auth NEGOTIATE --username bob \
	    --kerberos-password || return
	fetch "$OURL/size/100" --max-time 15 -p
	_c1=$CODE
	sleep 22
	fetch "$OURL/size/100" --max-time 15 -p
	_c2=$CODE
	neg_stats "$_pp"
	_tk=$(grep -c "a ticket for bob@$REALM from the password" "$LOG")
	if [ "$_c1" != 200 ] || [ "$_c2" != 200 ]; then
		fail krb_renew "CONNECT before and after the ticket expired: $_c1 and $_c2"
		evidence "$LOG" 6
	elif [ "$_tk" != 2 ] || [ "$PS_ap_reqs" != 2 ]; then
		fail krb_renew "tickets from the password: $_tk, AP-REQs at the parent: $PS_ap_reqs; want 2 and 2"
		evidence "$LOG" 6
	else
		pass krb_renew
	fi
	par_stop_all
}

# a token larger than --max-header-size allows: a 502, and the log says
# which limit
t_krb_token_limit() {
	krb_need krb_token_limit || return
	krb_par par_kt --offer negotiate || return
	krb_proxy px_kt "FILE:$KD/cc" "" --num-workers 1 \
	    --proxy "parent.test:$PARENT" --auth NEGOTIATE \
	    --max-header-size 1024 || return
	fetch "$OURL/size/10" --max-time 15
	if [ "$CODE" != 502 ] || ! grep -q 'max-header-size' "$LOG"; then
		fail krb_token_limit "status $CODE; want 502 and a log line naming --max-header-size"
		evidence "$LOG" 4
	else
		pass krb_token_limit
	fi
	par_stop_all
}

# --negotiate-canonical: HTTP@ the DNS name. The parent is configured as
# parent.cname.test, which the test DNS answers with a CNAME to
# parent.test (getaddrinfo's AI_CANONNAME). Without the flag the proxy
# asks for HTTP@parent.cname.test, which the KDC does not know: a 502
# naming it; with the flag, HTTP@parent.test: the login works.
t_krb_negotiate_canonical() {
	krb_need krb_negotiate_canonical || return
	if [ "$(getent ahosts parent.cname.test | awk 'NR == 1 { print $3 }')" != parent.test ]; then
		fail krb_negotiate_canonical "the test DNS does not give parent.cname.test the canonical name parent.test: $(getent ahosts parent.cname.test | head -n 1)"
		return
	fi
	krb_par par_kc --offer negotiate || return
	_pp=$PARENT
	krb_proxy px_kc0 "FILE:$KD/cc" "" --num-workers 1 \
	    --proxy "parent.cname.test:$_pp" --auth NEGOTIATE || return
	_log0=$LOG
	fetch "$OURL/size/10" --max-time 15
	_c0=$CODE
	cp "$T/body" "$T/kc0.body"
	stop_proxy px_kc0
	krb_proxy px_kc "FILE:$KD/cc" "" --num-workers 1 \
	    --proxy "parent.cname.test:$_pp" --auth NEGOTIATE \
	    --negotiate-canonical || return
	fetch "$OURL/size/10" --max-time 15
	_c1=$CODE
	neg_stats "$_pp"
	if [ "$_c0" != 502 ] ||
	    ! grep -q 'no Kerberos service ticket for HTTP@parent.cname.test: .*not found' "$T/kc0.body"; then
		fail krb_negotiate_canonical "without the flag: status $_c0, want 502 naming HTTP@parent.cname.test and the KDC's reason (not found): $(head -c 300 "$T/kc0.body" | tr '\n' ' ')"
		evidence "$_log0" 4
	elif ! grep -q 'Kerberos for parent.cname.test.*HTTP@parent.cname.test' "$_log0"; then
		fail krb_negotiate_canonical "without the flag: the log does not say which service name failed"
		evidence "$_log0" 4
	elif [ "$_c1" != 200 ] || ! par_body_is 10; then
		fail krb_negotiate_canonical "with --negotiate-canonical: status $_c1: $(head -c 200 "$T/body" | tr '\n' ' ')"
		evidence "$LOG" 4
	elif [ "$PS_ap_reqs" != 1 ] ||
	    ! grep -q "a ticket for HTTP/parent.test@$REALM" "$LOG"; then
		fail krb_negotiate_canonical "with --negotiate-canonical: the parent saw $PS_ap_reqs AP-REQs (want 1); the log's ticket: $(grep 'a ticket for' "$LOG" | head -n 1)"
		evidence "$LOG" 4
	else
		pass krb_negotiate_canonical
	fi
	par_stop_all
}

# a large token (carol's tickets carry the KRB_BIG indicators: a
# Proxy-Authorization over 12 KiB) through squid, under the default
# --max-header-size: GET and CONNECT, squid verified carol, and squid's
# own count of the login request (a HEAD: head only) is over 12288 bytes
t_krb_big_token() {
	krb_need krb_big_token || return
	if ! krb_squid; then
		skip krb_big_token "$SQ_WHY"
		return
	fi
	if ! echo "$KRB_PW" | KRB5_CONFIG=$KD/krb5.conf \
	    KRB5CCNAME=FILE:$KD/cc-big kinit carol >"$T/kb.kinit" 2>&1; then
		fail krb_big_token "kinit carol (SPAKE): $(tail -n 2 "$T/kb.kinit" | tr '\n' ' ')"
		return
	fi
	krb_proxy px_kb "FILE:$KD/cc-big" "" --num-workers 1 \
	    --proxy "parent.test:$SQ" --auth NEGOTIATE || return
	fetch "$OURL/size/1000" --max-time 15
	_g=$CODE
	_gok=0
	par_body_is 1000 && _gok=1
	fetch "$OURL/size/1000" --max-time 15 -p
	_tc=$CODE
	# squid's largest request from carol
	_max=$(awk -v u="carol@$REALM" '$2 == u && $1 > m { m = $1 } END { print m + 0 }' \
	    "$KD/squid/sizes.log")
	if [ "$_g" != 200 ] || [ $_gok != 1 ] || [ "$_tc" != 200 ]; then
		fail krb_big_token "GET and CONNECT with a large token: status $_g and $_tc: $(head -c 200 "$T/body" | tr '\n' ' ')"
		evidence "$LOG" 6
		evidence "$KD/squid/cache.log" 5
	elif [ "$_max" -le 12288 ]; then
		fail krb_big_token "squid's largest request from carol@$REALM was $_max bytes, want over 12288 (the token is not large)"
		evidence "$KD/squid/sizes.log" 6
	elif ! grep -q 'logged in with Kerberos (Negotiate)' "$LOG"; then
		fail krb_big_token "the log does not say the login was Kerberos"
	else
		pass krb_big_token
	fi
}

# TLS interception behind squid (e2e_intercept.sh's CA and origin):
# the decrypted requests go to the https origin through the proxy's own
# CONNECT, which logs in to squid with Kerberos; two URLs on one client
# connection ride one CONNECT. Without a ticket the client gets a 502
# (inside the intercepted TLS) that says to run kinit.
t_krb_intercept() {
	krb_need krb_intercept || return
	icpt_ready krb_intercept || return
	if ! krb_squid; then
		skip krb_intercept "$SQ_WHY"
		return
	fi
	if ! tlsu_origin_start krb_ic_o "$T/tlsu_good.pem"; then
		fail krb_intercept "the TLS origin did not start"
		return
	fi
	# the flags are words, split where they are used
	_icf="--ca-bundle $T/tlsu_ca.pem --ca-cert-file $T/ca/ca-cert.pem --ca-key-file $T/ca/ca-key.pem"
	# shellcheck disable=SC2086
	krb_proxy px_kic "FILE:$KD/cc" "" --num-workers 1 \
	    --proxy "parent.test:$SQ" --auth NEGOTIATE $_icf ||
	    { tlsu_stop_all; return; }
	_u=https://localhost:$OPORT
	_n0=$(grep -c "alice@$REALM CONNECT localhost:$OPORT 200" "$KD/squid/sizes.log")
	rm -f "$T/kic_b1" "$T/kic_b2"
	pcurl --cacert "$T/ca/ca-cert.pem" "$_u/size/1500000" -o "$T/kic_b1" \
	    "$_u/chunked/700000" -o "$T/kic_b2" 2>"$T/curl.err"
	_rc=$?
	stop_proxy px_kic
	# squid logs a CONNECT when its tunnel ends (with the proxy)
	_i=0
	while _n=$(($(grep -c "alice@$REALM CONNECT localhost:$OPORT 200" "$KD/squid/sizes.log") - _n0)) &&
	    [ "$_n" = 0 ] && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	# shellcheck disable=SC2086
	krb_proxy px_kic0 "FILE:$KD/none" "" --num-workers 1 \
	    --proxy "parent.test:$SQ" --auth NEGOTIATE $_icf ||
	    { tlsu_stop_all; return; }
	fetch "$_u/size/10" --cacert "$T/ca/ca-cert.pem"
	if [ $_rc != 0 ] ||
	    [ "$(sha_file "$T/kic_b1")" != "$(sha_pat 1500000)" ] ||
	    [ "$(sha_file "$T/kic_b2")" != "$(sha_pat 700000)" ]; then
		fail krb_intercept "intercepted, through squid with Kerberos: rc $_rc, $(wc -c <"$T/kic_b1" 2>/dev/null) and $(wc -c <"$T/kic_b2" 2>/dev/null) bytes: $(head -c 300 "$T/curl.err")"
		evidence "$T/px_kic.log" 8
		evidence "$KD/squid/cache.log" 5
	elif ! grep -q "minted a certificate for localhost" "$T/px_kic.log"; then
		fail krb_intercept "no leaf was minted: the CONNECT was not intercepted"
	elif [ "$_n" != 1 ]; then
		fail krb_intercept "squid logged $_n CONNECTs to localhost:$OPORT by alice@$REALM, want 1 (two URLs on one client connection)"
		evidence "$KD/squid/sizes.log" 5
	elif ! grep -q 'logged in with Kerberos (Negotiate)' "$T/px_kic.log"; then
		fail krb_intercept "the log does not say the login was Kerberos"
		evidence "$T/px_kic.log" 6
	elif [ "$CODE" != 502 ] || ! grep -q kinit "$T/body"; then
		fail krb_intercept "intercepted with no ticket: status $CODE, want a 502 saying to run kinit: $(head -c 200 "$T/body" | tr '\n' ' ')"
	else
		pass krb_intercept
	fi
	tlsu_stop_all
}

# an SPNEGO reject of the Kerberos token, --auth NEGOTIATE: 502 after
# one round
t_krb_reject() {
	krb_need krb_reject || return
	krb_par par_kj --offer negotiate --kerberos-reject || return
	_pp=$PARENT
	krb_proxy px_kj "FILE:$KD/cc" "" --num-workers 1 \
	    --proxy "parent.test:$_pp" --auth NEGOTIATE || return
	fetch "$OURL/size/10" --max-time 15
	neg_stats "$_pp"
	if [ "$CODE" != 502 ] || ! grep -q 'refused the Kerberos login' "$T/body" ||
	    [ "$PS_ap_reqs" != 1 ]; then
		fail krb_reject "status $CODE, $PS_ap_reqs AP-REQs: $(head -c 200 "$T/body" | tr '\n' ' ')"
	else
		pass krb_reject
	fi
	par_stop_all
}

# a parent that answers 407 forever (Kerberos rejected, NTLM inside
# Negotiate answered with a new challenge each time): --auth ANY gives
# up after Kerberos and one NTLM round, with a 502
t_krb_loop() {
	krb_need krb_loop || return
	krb_par par_kl --offer negotiate --kerberos-reject \
	    --negotiate-bad loop || return
	_pp=$PARENT
	krb_proxy px_kl "FILE:$KD/cc" "$PAR_PW" --num-workers 1 \
	    --proxy "parent.test:$_pp" --auth ANY \
	    --username "$PAR_DOM\\$PAR_USER" || return
	fetch "$OURL/size/10" --max-time 15
	neg_stats "$_pp"
	if [ "$CODE" != 502 ] || [ "$PS_handshakes" != 2 ] ||
	    [ "$PS_ap_reqs" != 1 ]; then
		fail krb_loop "status $CODE, AP-REQs $PS_ap_reqs, NTLM rounds $PS_handshakes; want 502, 1, 2"
		evidence "$LOG" 6
	else
		pass krb_loop
	fi
	par_stop_all
}

# any_case CASE CCACHE WANT-SCHEMES LOG-RE [parent flags]: --auth ANY
# against the test parent; the logins land in WANT-SCHEMES (the
# parent's schemes=...), and the log matches LOG-RE (which and why). In
# a build without GSSAPI (ANY_PLAIN=1) the same without Kerberos: no
# realm, the test parent without --kerberos
any_case() {
	_ac=$1
	_acc=$2
	_want=$3
	_re=$4
	shift 4
	if [ "${ANY_PLAIN:-0}" = 1 ]; then
		par_ntlm "par_$_ac" "$@" || return
		_pp=$PARENT
		neg_proxy "px_$_ac" "$_pp" --auth ANY || return
	else
		krb_par "par_$_ac" "$@" || return
		_pp=$PARENT
		krb_proxy "px_$_ac" "$_acc" "$PAR_PW" --num-workers 1 \
		    --proxy "parent.test:$_pp" --auth ANY \
		    --username "$PAR_DOM\\$PAR_USER" || return
	fi
	fetch "$OURL/size/1000" --max-time 20
	_c1=$CODE
	fetch "$OURL/size/1000" --max-time 20 -p
	_c2=$CODE
	neg_stats "$_pp"
	if [ "$_c1" != 200 ] || [ "$_c2" != 200 ]; then
		fail "$_ac" "--auth ANY: GET $_c1, CONNECT $_c2; parent: $(neg_summary)"
		par_evidence "par_$_ac"
	elif [ "$PS_schemes" != "$_want" ]; then
		fail "$_ac" "--auth ANY: the parent saw logins [$PS_schemes], want [$_want]"
		par_evidence "par_$_ac"
	elif ! grep -Eq "$_re" "$LOG"; then
		fail "$_ac" "the log does not say which scheme and why ('$_re')"
		evidence "$LOG" 8
	else
		pass "$_ac"
	fi
	par_stop_all
}
t_any_kerberos() {
	krb_need any_kerberos || return
	any_case any_kerberos "FILE:$KD/cc" Kerberos:1 \
	    'logged in with Kerberos' --offer negotiate,ntlm
}
# any_plain: 0 in a build without GSSAPI, where the ANY cases run
# without Kerberos (ANY_PLAIN=1); else 1 (the realm is needed)
any_plain() {
	ANY_PLAIN=0
	"$PROXY_BIN" --version | grep -q '^features:.* gssapi' && return 1
	ANY_PLAIN=1
	return 0
}
t_any_no_ticket() {
	needs_built NTLM any_no_ticket || return
	if any_plain; then
		any_case any_no_ticket - Negotiate:1 \
		    'offers no NTLM: the NTLM login goes again inside Negotiate' \
		    --offer negotiate
		return
	fi
	krb_need any_no_ticket || return
	any_case any_no_ticket "FILE:$KD/none" Negotiate:1 \
	    'no Kerberos ticket.*using NTLM' --offer negotiate
}
t_any_reject() {
	krb_need any_reject || return
	any_case any_reject "FILE:$KD/cc" Negotiate:1 \
	    'did not take Kerberos.*going on with NTLM inside Negotiate' \
	    --offer negotiate,ntlm --kerberos-reject
}
t_any_ntlm_only() {
	needs_built NTLM any_ntlm_only || return
	if any_plain; then
		any_case any_ntlm_only - NTLM:1 'logged in with NTLM' \
		    --offer ntlm
		return
	fi
	krb_need any_ntlm_only || return
	any_case any_ntlm_only "FILE:$KD/cc" NTLM:1 \
	    'did not take Kerberos \(it offers NTLM\): going on with NTLM' \
	    --offer ntlm
}

# a parent that offers Basic alone: --auth ANY sends Basic, on every
# request
t_any_basic_only() {
	any_plain || krb_need any_basic_only || return
	par_start par_ab --auth basic --user "$PAR_USER" --domain "$PAR_DOM" \
	    --password "$PAR_PW" || return
	_pp=$PARENT
	if [ $ANY_PLAIN = 1 ]; then
		neg_proxy px_ab "$_pp" --auth ANY || return
	else
		krb_proxy px_ab "FILE:$KD/cc" "$PAR_PW" --num-workers 1 \
		    --proxy "parent.test:$_pp" --auth ANY \
		    --username "$PAR_DOM\\$PAR_USER" || return
	fi
	fetch "$OURL/size/1000" --max-time 20
	_c1=$CODE
	fetch "$OURL/size/1000" --max-time 20
	_c2=$CODE
	neg_stats "$_pp"
	if [ "$_c1" != 200 ] || [ "$_c2" != 200 ]; then
		fail any_basic_only "--auth ANY to a Basic parent: $_c1 $_c2; parent: $(neg_summary)"
		par_evidence par_ab
	elif [ "$PS_logins" != 2 ] || [ "$PS_failures" -gt 1 ]; then
		# one failure: the Kerberos probe, which a Basic parent
		# counts as wrong credentials
		fail any_basic_only "the parent saw $(neg_summary); want 2 Basic logins, at most the first probe failed"
		par_evidence par_ab
	elif ! grep -Eq 'going on with Basic|logged in with Basic' "$LOG"; then
		fail any_basic_only "the log does not say Basic was chosen"
		evidence "$LOG" 6
	else
		pass any_basic_only
	fi
	par_stop_all
}

# krb_blackhole: a KDC address whose listener never answers (its
# accept queue full), the pid in BH
krb_blackhole() {
	bg krb_bh "$PY" "$C" blackhole 127.0.0.1 "$KRB_DEAD" 60
	BH=$BGPID
	_n=0
	while [ $_n -lt 100 ] && [ ! -s "$T/krb_bh.out" ]; do
		sleep 0.05
		_n=$((_n + 1))
	done
}

# a KDC that never answers: --auth ANY goes on with NTLM inside
# Negotiate after GSS_WAIT_S (5 s), and later requests do not wait again
t_any_kdc_dead() {
	krb_need any_kdc_dead || return
	krb_blackhole
	krb_par par_ad --offer negotiate || { kill_bg "$BH"; return; }
	_pp=$PARENT
	KRB_CONF=$KD/krb5-dead.conf
	krb_proxy px_ad "FILE:$KD/pw-none" "$PAR_PW" --num-workers 1 \
	    --proxy "parent.test:$_pp" --auth ANY --kerberos-password \
	    --username "$PAR_USER@$REALM" --domain "$PAR_DOM"
	_r=$?
	KRB_CONF=
	[ $_r = 0 ] || { kill_bg "$BH"; return; }
	_t0=$(ms_now)
	fetch "$OURL/size/100" --max-time 30
	_c1=$CODE
	_dt=$(($(ms_now) - _t0))
	_t0=$(ms_now)
	fetch "$OURL/size/100" --max-time 30 -p
	_c2=$CODE
	_dt2=$(($(ms_now) - _t0))
	if [ "$_c1" != 200 ] || [ "$_c2" != 200 ]; then
		fail any_kdc_dead "with a KDC that never answers: $_c1 and $_c2"
		evidence "$LOG" 6
	elif [ "$_dt" -gt 9000 ] || [ "$_dt2" -gt 3000 ]; then
		fail any_kdc_dead "the first request took $_dt ms (bound: 5 s and the login), the next $_dt2 ms (want no new wait)"
	elif ! grep -q 'did not answer within 5 s; using NTLM' "$LOG"; then
		fail any_kdc_dead "the log does not say the KDC did not answer"
		evidence "$LOG" 6
	else
		pass any_kdc_dead
	fi
	kill_bg "$BH"
	par_stop_all
}

# the same with --auth NEGOTIATE: a 502 within the bound
t_krb_kdc_dead() {
	krb_need krb_kdc_dead || return
	krb_blackhole
	krb_par par_kd --offer negotiate || { kill_bg "$BH"; return; }
	KRB_CONF=$KD/krb5-dead.conf
	krb_proxy px_kd "FILE:$KD/pw-none" "$KRB_PW" --num-workers 1 \
	    --proxy "parent.test:$PARENT" --auth NEGOTIATE \
	    --kerberos-password --username alice
	_r=$?
	KRB_CONF=
	[ $_r = 0 ] || { kill_bg "$BH"; return; }
	_t0=$(ms_now)
	fetch "$OURL/size/100" --max-time 30
	_dt=$(($(ms_now) - _t0))
	if [ "$CODE" != 502 ] || [ "$_dt" -gt 9000 ] ||
	    ! grep -q 'KDC did not answer' "$T/body"; then
		fail krb_kdc_dead "status $CODE after $_dt ms: $(head -c 200 "$T/body" | tr '\n' ' ')"
	else
		pass krb_kdc_dead
	fi
	kill_bg "$BH"
	par_stop_all
}

# flags that do not go together are refused at start-up (exit 2, the
# message naming them); in a build without GSSAPI, --auth NEGOTIATE
# says so and names the package
t_krb_flags() {
	_bad=
	_kp=$(freeport)
	if ! "$PROXY_BIN" --version | grep -q '^features:.* gssapi'; then
		PROXY_PASSWORD=x timeout 10 "$PROXY_BIN" --proxy 127.0.0.1:9 \
		    --auth NEGOTIATE --port "$_kp" >/dev/null 2>"$T/kf.err" \
		    </dev/null
		_rc=$?
		grep -q 'built without GSSAPI.*libkrb5-dev' "$T/kf.err" &&
		    [ $_rc = 2 ] ||
		    _bad="[--auth NEGOTIATE in a build without GSSAPI: exit $_rc $(head -c 150 "$T/kf.err")]"
	fi
	for _f in "--auth NEGOTIATE --ntlm-to-basic:ntlm-to-basic" \
	    "--auth ANY --ntlm-to-basic:ntlm-to-basic" \
	    "--auth NEGOTIATE --kerberos-password:--kerberos-password" \
	    "--auth NTLM --username u --kerberos-password:--kerberos-password" \
	    "--auth SPNEGO --username u:--auth"; do
		# shellcheck disable=SC2086 (the flags are words)
		PROXY_PASSWORD=x timeout 10 "$PROXY_BIN" --proxy 127.0.0.1:9 \
		    ${_f%%:*} --port "$_kp" >/dev/null 2>"$T/kf.err" </dev/null
		_rc=$?
		[ $_rc = 2 ] && grep -q -- "${_f#*:}" "$T/kf.err" ||
		    _bad="$_bad [${_f%%:*}: exit $_rc $(head -c 100 "$T/kf.err")]"
	done
	if [ -n "$_bad" ]; then
		fail krb_flags "not refused with exit 2:$_bad"
	else
		pass krb_flags
	fi
}
