# Bad TLS input (issue 13, "Bad input"): misbehaving clients on the
# proxy's TLS port and inside an intercepted CONNECT, and misbehaving
# TLS origins, from tests/tlsbad.py and openssl-made certificates. Each
# must close only its own connection, at once (not by a timeout), with
# one log line that says why (a 502 that says why where the client can
# have an HTTP answer), while another client of the same single worker
# goes on. The 255-byte and bad-character SNIs (icpt_bad_sni), a stalled
# handshake (tls_stall) and plain HTTP to a TLS port (tls_plain_client)
# are tested beside the features; sourced by tests.sh. Every case
# skips when ./proxy is built without TLS.

CASES="${CASES:-} tlsbad_listener tlsbad_intercept tlsbad_origin_chain
tlsbad_origin_hs"

# what tlsbad.py's clients send, and what the log line must say for
# each (a grep pattern), a line each
TLSBAD_HS="TLS handshake with the client failed"
TLSBAD_KINDS="garbage:$TLSBAD_HS.*not TLS
sslv2:$TLSBAD_HS.*: not TLS
truncated:$TLSBAD_HS.*: the client closed the connection during the handshake
midclose:$TLSBAD_HS.*: the client closed the connection during the handshake
midreset:$TLSBAD_HS.*: Connection reset by peer
bighello:$TLSBAD_HS.*: a record of a bad length
bigrecord:TLS from the client failed.*: a record of a bad length"

# tlsbad_lines PORT: the log's lines above debug about the client whose
# source port is PORT, the access log's aside
tlsbad_lines() {
	grep -v ' debug: ' "$LOG" | grep -v ' access ' | grep "127.0.0.1:$1: "
}

# tlsbad_bg_start [curl args]: a slow download (4 MB at 1 MB/s) through
# the current proxy, the client that must not notice; tlsbad_bg_check
# CASE then waits for it and fails CASE unless it came whole
tlsbad_bg_start() {
	rm -f "$T/tlsbad_bg.body"
	bg tlsbad_bg curl -q -sS --noproxy '' --max-time 40 -x "$PROXY_URL" \
	    --limit-rate 1M -o "$T/tlsbad_bg.body" -w '%{http_code}' "$@" \
	    "$OURL/size/4000000"
	TLSBAD_BG=$BGPID
}

tlsbad_bg_check() {
	if ! wait_pid "$TLSBAD_BG" 45; then
		kill_bg "$TLSBAD_BG"
		fail "$1" "the concurrent download did not end"
		return 1
	fi
	if [ "$(cat "$T/tlsbad_bg.out")" != 200 ] ||
	    [ "$(sha_file "$T/tlsbad_bg.body")" != "$(sha_pat 4000000)" ]; then
		fail "$1" "a download running meanwhile: status '$(cat "$T/tlsbad_bg.out")', $(wc -c <"$T/tlsbad_bg.body" 2>/dev/null) bytes (want 200, 4000000 bytes of the pattern): $(head -c 200 "$T/tlsbad_bg.err")"
		return 1
	fi
	return 0
}

# tlsbad_clients CASE [CONNECT-TARGET]: every kind of bad client against
# the current proxy ($P); each closed at once (well inside --socktimeout
# 10), and one log line for it that says why. Returns 1 after a fail.
tlsbad_clients() {
	_bc=$1
	_bt=${2:-}
	printf '%s\n' "$TLSBAD_KINDS" >"$T/tlsbad_kinds"
	while IFS=: read -r _kind _want; do
		timeout 40 "$PY" tests/tlsbad.py client 127.0.0.1 "$P" "$_kind" \
		    $_bt >"$T/tlsbad_$_kind.out" 2>&1 </dev/null
		_port=$(sed -n 's/^port //p' "$T/tlsbad_$_kind.out")
		_secs=$(sed -n 's/^closed after \([0-9]*\)\..*/\1/p' \
		    "$T/tlsbad_$_kind.out")
		if [ -z "$_port" ] || [ -z "$_secs" ]; then
			fail "$_bc" "$_kind: $(head -c 300 "$T/tlsbad_$_kind.out")"
			return 1
		fi
		if [ "$_secs" -ge 3 ]; then
			fail "$_bc" "$_kind: closed after $_secs s; want at once (--socktimeout is 10)"
			return 1
		fi
		# the line may follow the close by a moment
		_n=0
		while [ $_n -lt 40 ] && [ -z "$(tlsbad_lines "$_port")" ]; do
			sleep 0.05
			_n=$((_n + 1))
		done
		_lines=$(tlsbad_lines "$_port")
		if [ "$(echo "$_lines" | grep -c .)" != 1 ]; then
			fail "$_bc" "$_kind: $(echo "$_lines" | grep -c .) log lines above debug for 127.0.0.1:$_port, want 1: $(echo "$_lines" | tr '\n' ';' | cut -c1-300)"
			return 1
		fi
		if ! echo "$_lines" | grep -q "$_want"; then
			fail "$_bc" "$_kind: the log line does not say '$_want': $_lines"
			return 1
		fi
	done <"$T/tlsbad_kinds"
	# a connection closed before its first byte (a port probe, a
	# health check) is not bad input: nothing above debug
	timeout 40 "$PY" tests/tlsbad.py client 127.0.0.1 "$P" silent $_bt \
	    >"$T/tlsbad_silent.out" 2>&1 </dev/null
	_port=$(sed -n 's/^port //p' "$T/tlsbad_silent.out")
	_n=0
	while [ $_n -lt 40 ] && ! grep -q "127.0.0.1:$_port: .*clos" "$LOG"; do
		sleep 0.05
		_n=$((_n + 1))
	done
	if [ -z "$_port" ] || [ -n "$(tlsbad_lines "$_port")" ]; then
		fail "$_bc" "a client that closed before its first byte: $(head -c 100 "$T/tlsbad_silent.out") $(tlsbad_lines "${_port:-none}" | tr '\n' ';' | cut -c1-300)"
		return 1
	fi
	return 0
}

# the proxy's own TLS port: garbage, an SSLv2 ClientHello, a truncated
# record, a client that closes or resets mid-handshake, a 16 KiB + 1
# handshake record, and an over-long record after the handshake
t_tlsbad_listener() {
	tls_ready tlsbad_listener || return
	if ! tls_proxy tlsbad_l rsa --num-workers 1 --socktimeout 10; then
		fail tlsbad_listener "$START_ERR"
		return
	fi
	tlsbad_bg_start --proxy-cacert "$TLS_CA"
	tlsbad_clients tlsbad_listener || { kill_bg "$TLSBAD_BG"; return; }
	tlsbad_bg_check tlsbad_listener || return
	tls_fetch "$OURL/size/70000"
	if [ "$CODE" != 200 ] || ! body_is_pattern 70000; then
		fail tlsbad_listener "a client after the bad ones: status $CODE, curl rc $CURL_RC $(head -c 200 "$T/curl.err")"
	else
		pass tlsbad_listener
	fi
}

# the same inside an intercepted CONNECT, whose 200 went out: the log
# line names the CONNECT
t_tlsbad_intercept() {
	icpt_ready tlsbad_intercept || return
	icpt_start tlsbad_intercept "$T/tlsu_good.pem" --socktimeout 10 ||
	    return
	_op=$OPORT
	tlsbad_bg_start
	tlsbad_clients tlsbad_intercept "localhost:$_op" || {
		kill_bg "$TLSBAD_BG"; stop_proxy tlsbad_intercept
		tlsu_stop_all; return; }
	tlsbad_bg_check tlsbad_intercept
	_bgok=$?
	fetch "https://localhost:$_op/size/5000" --cacert "$T/ca/ca-cert.pem"
	if [ $_bgok != 0 ]; then
		:
	elif [ "$CODE" != 200 ] || ! body_is_pattern 5000; then
		fail tlsbad_intercept "an intercepted client after the bad ones: status $CODE, curl rc $CURL_RC $(head -c 200 "$T/curl.err")"
	elif ! grep -q "failed (CONNECT localhost:$_op)" "$LOG"; then
		fail tlsbad_intercept "the log lines do not name the CONNECT"
	else
		pass tlsbad_intercept
	fi
	stop_proxy tlsbad_intercept
	tlsu_stop_all
}

# tlsbad_chain N NAME: a chain of N certificates in $T/NAME.pem, the
# leaf (localhost) first and its self-signed root last, every one
# signed with the key $T/NAME.key; the root alone in $T/NAME_root.pem
tlsbad_chain() {
	_cn=$1
	_cname=$2
	_cf=$T/$2
	_ca=basicConstraints=critical,CA:TRUE
	_ku=keyUsage=critical,keyCertSign
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj "/CN=$2 root" -days 3 -addext "$_ca" -addext "$_ku" \
	    -keyout "$_cf.key" -out "${_cf}_0.pem" >"$T/tlsbad_ossl.log" 2>&1 ||
	    return 1
	_i=1
	while [ $_i -lt "$_cn" ]; do
		if [ $_i = $((_cn - 1)) ]; then
			set -- -subj /CN=localhost -addext \
			    subjectAltName=DNS:localhost -addext \
			    basicConstraints=CA:FALSE
		else
			set -- -subj "/CN=$_cname $_i" -addext "$_ca" \
			    -addext "$_ku"
		fi
		openssl req -x509 -key "$_cf.key" -days 2 \
		    -CA "${_cf}_$((_i - 1)).pem" -CAkey "$_cf.key" "$@" \
		    -out "${_cf}_$_i.pem" >>"$T/tlsbad_ossl.log" 2>&1 || return 1
		_i=$((_i + 1))
	done
	: >"$_cf.pem"
	while [ $_i -gt 0 ]; do
		_i=$((_i - 1))
		cat "${_cf}_$_i.pem" >>"$_cf.pem"
	done
	mv "${_cf}_0.pem" "${_cf}_root.pem"
	rm -f "${_cf}"_[0-9]*.pem
	[ "$(grep -c 'BEGIN CERTIFICATE' "$_cf.pem")" = "$_cn" ]
}

# tlsbad_bigcert NAMES NAME: $T/NAME.pem for localhost from the test CA
# (key $T/tlsu.key) with NAMES more subjectAltNames to make it big; its
# DER size in BIGCERT_LEN
tlsbad_bigcert() {
	"$PY" -c 'import sys; print("subjectAltName=DNS:localhost," + ",".join(
	    "DNS:host%05d.example.test" % i for i in range(int(sys.argv[1]))))' \
	    "$1" >"$T/$2.ext"
	openssl x509 -req -in "$T/tlsu.csr" -CA "$T/tlsu_ca.pem" \
	    -CAkey "$T/tlsu_ca.key" -CAcreateserial -days 2 \
	    -extfile "$T/$2.ext" -out "$T/$2.pem" >"$T/tlsbad_ossl.log" 2>&1 ||
	    return 1
	BIGCERT_LEN=$(openssl x509 -in "$T/$2.pem" -outform DER | wc -c)
}

# tlsbad_origin_try CASE PORT STATUS WANT: an absolute-form GET
# https://localhost:PORT/ and the same inside an intercepted CONNECT,
# each answered at once with STATUS; for a 502 the body and one log
# line say WANT. Returns 1 after a fail.
tlsbad_origin_try() {
	for _how in absolute intercepted; do
		_from=$(log_size "$LOG")
		_t0=$(ms_now)
		if [ $_how = absolute ]; then
			tlsu_get "$2" /size/10
		else
			fetch "https://localhost:$2/size/10" \
			    --cacert "$T/ca/ca-cert.pem"
		fi
		_dt=$(($(ms_now) - _t0))
		if [ "$CODE" != "$3" ]; then
			fail "$1" "$_how GET https://localhost:$2/: status $CODE, '$(head -c 200 "$T/body")' $(head -c 200 "$T/curl.err"); want $3${4:+ saying '$4'}"
			return 1
		fi
		if [ $_dt -gt 3000 ]; then
			fail "$1" "$_how GET https://localhost:$2/: the answer took $_dt ms; want it at once (--socktimeout is 10)"
			return 1
		fi
		[ "$3" = 502 ] || continue
		if ! grep -q -- "$4" "$T/body"; then
			fail "$1" "$_how GET https://localhost:$2/: the 502 says '$(head -c 200 "$T/body")', want '$4'"
			return 1
		fi
		_n=$(log_since "$LOG" "$_from" | grep -v ' debug: ' |
		    grep -v ' access ' | grep -c .)
		if [ "$_n" != 1 ] || ! log_since "$LOG" "$_from" |
		    grep -q "502 TLS to localhost:$2: .*$4"; then
			fail "$1" "$_how GET https://localhost:$2/: $_n log lines above debug (want 1, a 502 saying '$4'): $(log_since "$LOG" "$_from" | grep -v ' debug: ' | tr '\n' ';' | cut -c1-300)"
			return 1
		fi
	done
	return 0
}

# origins whose certificates are out of bounds: a chain of 50 (refused;
# one of 10, TLS_PEER_CHAIN_MAX, passes) and a certificate over 64 KiB
# (refused; one of 60 KiB passes), before any of their signatures costs
# the worker time
t_tlsbad_origin_chain() {
	icpt_ready tlsbad_origin_chain || return
	if ! tlsbad_chain 50 tlsbad_c50 || ! tlsbad_chain 10 tlsbad_c10; then
		fail tlsbad_origin_chain "openssl could not make the chains: $(tail -n 2 "$T/tlsbad_ossl.log")"
		return
	fi
	if ! tlsbad_bigcert 3000 tlsbad_big; then
		fail tlsbad_origin_chain "openssl could not make the big certificate: $(tail -n 2 "$T/tlsbad_ossl.log")"
		return
	fi
	_bigl=$BIGCERT_LEN
	tlsbad_bigcert 2450 tlsbad_60k
	_l60=$BIGCERT_LEN
	if [ "$_bigl" -le 65536 ] || [ "$_l60" -gt 65536 ] ||
	    [ "$_l60" -lt 57344 ]; then
		fail tlsbad_origin_chain "test bug: certificates of $_bigl and $_l60 bytes; want over 64 KiB and 56-64 KiB"
		return
	fi
	cat "$T/tlsu_ca.pem" "$T/tlsbad_c50_root.pem" "$T/tlsbad_c10_root.pem" \
	    >"$T/tlsbad_bundle.pem"
	start_origin tlsbad_o50 127.0.0.1 --tls "$T/tlsbad_c50.pem" \
	    "$T/tlsbad_c50.key" && TLSU_PIDS="$TLSU_PIDS $BGPID" &&
	    _p50=$OPORT &&
	    start_origin tlsbad_o10 127.0.0.1 --tls "$T/tlsbad_c10.pem" \
	    "$T/tlsbad_c10.key" && TLSU_PIDS="$TLSU_PIDS $BGPID" &&
	    _p10=$OPORT &&
	    tlsu_origin_start tlsbad_obig "$T/tlsbad_big.pem" && _pbig=$OPORT &&
	    tlsu_origin_start tlsbad_o60 "$T/tlsbad_60k.pem" && _p60=$OPORT || {
		fail tlsbad_origin_chain "a TLS origin did not start"
		tlsu_stop_all; return; }
	if ! start_proxy tlsbad_oc --num-workers 1 --socktimeout 10 \
	    --ca-bundle "$T/tlsbad_bundle.pem" \
	    --ca-cert-file "$T/ca/ca-cert.pem" --ca-key-file "$T/ca/ca-key.pem"
	then
		fail tlsbad_origin_chain "$START_ERR"
		tlsu_stop_all
		return
	fi
	tlsbad_bg_start
	if tlsbad_origin_try tlsbad_origin_chain "$_p50" 502 \
	    "a chain of more than 20 certificates" &&
	    tlsbad_origin_try tlsbad_origin_chain "$_p10" 200 &&
	    tlsbad_origin_try tlsbad_origin_chain "$_pbig" 502 \
	    "a certificate of $_bigl bytes (more than 65536)" &&
	    tlsbad_origin_try tlsbad_origin_chain "$_p60" 200; then
		tlsbad_bg_check tlsbad_origin_chain &&
		    pass tlsbad_origin_chain
	else
		kill_bg "$TLSBAD_BG"
	fi
	stop_proxy tlsbad_oc
	tlsu_stop_all
}

# origins that break the handshake: one that closes right after its
# ServerHello, one that greets in plain text (as an SMTP server does)
t_tlsbad_origin_hs() {
	icpt_ready tlsbad_origin_hs || return
	for _k in serverhello-close banner; do
		rm -f "$T/tlsbad_$_k.port"
		bg "tlsbad_$_k" "$PY" tests/tlsbad.py server "$_k" \
		    "$T/tlsbad_$_k.port" "$T/tlsu_good.pem" "$T/tlsu.key"
		TLSU_PIDS="$TLSU_PIDS $BGPID"
		if ! wait_file "$T/tlsbad_$_k.port" 10; then
			fail tlsbad_origin_hs "tlsbad.py server $_k did not start: $(head -c 200 "$T/tlsbad_$_k.err")"
			tlsu_stop_all
			return
		fi
	done
	_psh=$(cat "$T/tlsbad_serverhello-close.port")
	_pban=$(cat "$T/tlsbad_banner.port")
	if ! start_proxy tlsbad_oh --num-workers 1 --socktimeout 10 \
	    --ca-bundle "$T/tlsu_ca.pem" \
	    --ca-cert-file "$T/ca/ca-cert.pem" --ca-key-file "$T/ca/ca-key.pem"
	then
		fail tlsbad_origin_hs "$START_ERR"
		tlsu_stop_all
		return
	fi
	tlsbad_bg_start
	if tlsbad_origin_try tlsbad_origin_hs "$_psh" 502 \
	    "the server closed the connection during the handshake" &&
	    tlsbad_origin_try tlsbad_origin_hs "$_pban" 502 \
	    "does not speak TLS"; then
		if grep -q . "$T/tlsbad_serverhello-close.out"; then
			fail tlsbad_origin_hs "test bug: the ServerHello-only server said $(head -c 200 "$T/tlsbad_serverhello-close.out")"
			kill_bg "$TLSBAD_BG"
		else
			tlsbad_bg_check tlsbad_origin_hs &&
			    pass tlsbad_origin_hs
		fi
	else
		kill_bg "$TLSBAD_BG"
	fi
	stop_proxy tlsbad_oh
	tlsu_stop_all
}
