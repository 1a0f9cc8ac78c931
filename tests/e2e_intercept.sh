# TLS interception of CONNECT (--ca-cert-file, --ca-key-file,
# --intercept, --no-intercept): a CA from ./proxy --gen-ca, an HTTPS
# origin whose certificate comes from the openssl-made test CA of
# e2e_tls.sh (tlsu_*), and real clients (curl, openssl s_client,
# Python's ssl) that trust only our CA; sourced by tests.sh. Every case
# skips when ./proxy is built without TLS.

CASES="${CASES:-} icpt_get icpt_leaf icpt_blind icpt_bad_origin
icpt_bad_sni icpt_relay icpt_parent icpt_parent_ntlm icpt_early icpt_signing_key"

# icpt_ready CASE: TLS, openssl, the test CA and our CA ($T/ca), or a skip
icpt_ready() {
	tlsu_ready "$1" || return 1
	if ! certs_ca_dir; then
		fail "$1" "--gen-ca exited $GEN_RC: $(head -c 300 "$T/gen_ca.out")"
		return 1
	fi
	return 0
}

# icpt_start CASE CERT [flags]: an origin with CERT (port in OPORT) and
# an intercepting proxy in front of it, trusting the test CA
icpt_start() {
	_ic=$1
	_icert=$2
	shift 2
	if ! tlsu_origin_start "${_ic}_o" "$_icert"; then
		fail "$_ic" "the TLS origin did not start"
		return 1
	fi
	if ! start_proxy "$_ic" --num-workers 1 --ca-bundle "$T/tlsu_ca.pem" \
	    --ca-cert-file "$T/ca/ca-cert.pem" --ca-key-file "$T/ca/ca-key.pem" \
	    "$@"; then
		fail "$_ic" "$START_ERR"
		tlsu_stop_all
		return 1
	fi
	return 0
}

# bodies by length (3 MiB) and chunked (2 MiB), and /stats, on one client
# connection (keep-alive inside the intercepted TLS, one TLS connection
# to the origin); the access log shows https://; a second client
# connection takes the cached leaf ("minted" once)
t_icpt_get() {
	icpt_ready icpt_get || return
	icpt_start icpt_get "$T/tlsu_good.pem" || return
	_u=https://localhost:$OPORT
	rm -f "$T/icpt_b1" "$T/icpt_b2" "$T/icpt_st"
	pcurl --cacert "$T/ca/ca-cert.pem" "$_u/size/3000000" -o "$T/icpt_b1" \
	    "$_u/chunked/2000000" -o "$T/icpt_b2" "$_u/stats" -o "$T/icpt_st" \
	    2>"$T/curl.err"
	_rc=$?
	if [ $_rc != 0 ] ||
	    [ "$(sha_file "$T/icpt_b1")" != "$(sha_pat 3000000)" ] ||
	    [ "$(sha_file "$T/icpt_b2")" != "$(sha_pat 2000000)" ]; then
		fail icpt_get "curl -x ... --cacert ca-cert.pem $_u/size/3000000 and /chunked/2000000: rc $_rc, $(wc -c <"$T/icpt_b1" 2>/dev/null) and $(wc -c <"$T/icpt_b2" 2>/dev/null) bytes: $(head -c 300 "$T/curl.err")"
	elif ! grep -q '"connections": 2,' "$T/icpt_st" ||
	    ! grep -q '"requests": 3,' "$T/icpt_st"; then
		fail icpt_get "three requests on one intercepted connection: the origin saw $(cat "$T/icpt_st"); want 2 connections (the port probe and ours), 3 requests"
	elif ! grep -q "access .* CONNECT localhost:$OPORT - 200" "$LOG" ||
	    ! grep -q "access .* GET https://localhost:$OPORT /size/3000000 200" "$LOG" ||
	    ! grep -q "access .* GET https://localhost:$OPORT /chunked/2000000 200" "$LOG"; then
		fail icpt_get "the access log lacks the CONNECT or the https:// GETs: $(grep access "$LOG" | head -n 4 | tr '\n' ';')"
	else
		fetch "$_u/size/10" --cacert "$T/ca/ca-cert.pem"
		_n=$(grep -c "minted a certificate for localhost" "$LOG")
		if [ "$CODE" != 200 ] || [ "$(wc -c <"$T/body")" != 10 ]; then
			fail icpt_get "a second connection: status $CODE: $(head -c 200 "$T/curl.err")"
		elif [ "$_n" != 1 ]; then
			fail icpt_get "'minted a certificate for localhost' logged $_n times for two connections; want 1 (the cache)"
		else
			pass icpt_get
		fi
	fi
	stop_proxy icpt_get
	tlsu_stop_all
}

# the leaf the client sees: openssl verify with our CA accepts it, for
# the name asked (SNI), and Python's ssl (check_hostname) speaks through
# it, with ALPN http/1.1
t_icpt_leaf() {
	icpt_ready icpt_leaf || return
	icpt_start icpt_leaf "$T/tlsu_good.pem" || return
	echo | openssl s_client -proxy "127.0.0.1:$P" -connect "localhost:$OPORT" \
	    -servername localhost -showcerts >"$T/icpt_sc.out" 2>&1
	awk '/BEGIN CERT/ { n++ } n == 1 { print } /END CERT/ { if (n == 1) exit }' \
	    "$T/icpt_sc.out" >"$T/icpt_leaf.pem"
	"$PY" tests/rawclient.py mitm-get "$P" "$OPORT" "$T/ca/ca-cert.pem" \
	    /size/1234 >"$T/icpt_py.out" 2>&1
	if ! openssl verify -CAfile "$T/ca/ca-cert.pem" "$T/icpt_leaf.pem" \
	    >"$T/icpt_verify" 2>&1; then
		fail icpt_leaf "openssl verify -CAfile ca-cert.pem of the leaf s_client saw: $(head -c 300 "$T/icpt_verify")"
	elif ! openssl x509 -in "$T/icpt_leaf.pem" -noout -ext subjectAltName \
	    2>/dev/null | grep -q 'DNS:localhost'; then
		fail icpt_leaf "the leaf does not name localhost"
	elif ! grep -q '^alpn http/1.1$' "$T/icpt_py.out" ||
	    ! grep -q '^status HTTP/1.1 200' "$T/icpt_py.out" ||
	    ! grep -q '^body 1234$' "$T/icpt_py.out"; then
		fail icpt_leaf "Python's ssl through the interception: $(head -c 300 "$T/icpt_py.out")"
	else
		pass icpt_leaf
	fi
	stop_proxy icpt_leaf
	tlsu_stop_all
}

# --no-intercept localhost: a blind tunnel, the origin's own certificate
t_icpt_blind() {
	icpt_ready icpt_blind || return
	icpt_start icpt_blind "$T/tlsu_good.pem" --no-intercept 'localhost,*.test' ||
	    return
	_u=https://localhost:$OPORT
	fetch "$_u/size/10" --cacert "$T/ca/ca-cert.pem"
	_c1=$CODE
	fetch "$_u/size/10" --cacert "$T/tlsu_ca.pem"
	if [ "$_c1" = 200 ]; then
		fail icpt_blind "with --no-intercept localhost, our CA was accepted for the origin"
	elif [ "$CODE" != 200 ] || [ "$(wc -c <"$T/body")" != 10 ]; then
		fail icpt_blind "with --no-intercept localhost and the origin's CA: status $CODE: $(head -c 200 "$T/curl.err")"
	elif grep -q minted "$LOG"; then
		fail icpt_blind "a certificate was minted for a --no-intercept host"
	else
		pass icpt_blind
	fi
	stop_proxy icpt_blind
	tlsu_stop_all
}

# an origin whose certificate names another host: the client gets a 502
# that says why, inside its TLS session, and the log has it
t_icpt_bad_origin() {
	icpt_ready icpt_bad_origin || return
	icpt_start icpt_bad_origin "$T/tlsu_other.pem" || return
	fetch "https://localhost:$OPORT/size/10" --cacert "$T/ca/ca-cert.pem"
	if [ "$CODE" != 502 ] || ! grep -q "certificate name mismatch" "$T/body"; then
		fail icpt_bad_origin "status $CODE, body '$(head -c 200 "$T/body")'; want a 502 saying 'certificate name mismatch': $(head -c 200 "$T/curl.err")"
	elif ! grep -q "502 TLS to localhost:$OPORT: certificate name mismatch" "$LOG"; then
		fail icpt_bad_origin "no 502 line in the log"
	else
		pass icpt_bad_origin
	fi
	stop_proxy icpt_bad_origin
	tlsu_stop_all
}

# a ClientHello naming no host name (a '!', or 255 bytes): no leaf, the
# connection closed, a log line; the worker goes on
t_icpt_bad_sni() {
	icpt_ready icpt_bad_sni || return
	icpt_start icpt_bad_sni "$T/tlsu_good.pem" || return
	_long=$("$PY" -c 'print(".".join(["a" * 63] * 4))')	# 255 bytes
	echo | openssl s_client -proxy "127.0.0.1:$P" \
	    -connect "localhost:$OPORT" -servername 'bad!name' \
	    >"$T/icpt_sni1" 2>&1
	echo | openssl s_client -proxy "127.0.0.1:$P" \
	    -connect "localhost:$OPORT" -servername "$_long" \
	    >"$T/icpt_sni2" 2>&1
	fetch "https://localhost:$OPORT/size/10" --cacert "$T/ca/ca-cert.pem"
	if ! grep -q "asked for 'bad!name', not a host name" "$LOG" ||
	    ! grep -q "asked for 'aaa.*', not a host name" "$LOG"; then
		fail icpt_bad_sni "no log line for the bad names: $(grep -i interception "$LOG" | head -n 3 | tr '\n' ';')"
	elif grep -q "minted a certificate for a*\.a" "$LOG" ||
	    grep -q "minted a certificate for bad" "$LOG"; then
		fail icpt_bad_sni "a certificate was minted for a bad name"
	elif [ "$CODE" != 200 ]; then
		fail icpt_bad_sni "a good request after the bad ones: status $CODE"
	else
		pass icpt_bad_sni
	fi
	stop_proxy icpt_bad_sni
	tlsu_stop_all
}

# a decrypted stream that is not HTTP/1.x is relayed as bytes to the
# origin over TLS (a TLS echo server here), both ways
t_icpt_relay() {
	icpt_ready icpt_relay || return
	if ! start_origin icpt_relay_o 127.0.0.1 --echo --tls \
	    "$T/tlsu_good.pem" "$T/tlsu.key"; then
		fail icpt_relay "the TLS echo origin did not start"
		return
	fi
	TLSU_PIDS="$TLSU_PIDS $BGPID"
	if ! start_proxy icpt_relay --num-workers 1 --ca-bundle "$T/tlsu_ca.pem" \
	    --ca-cert-file "$T/ca/ca-cert.pem" --ca-key-file "$T/ca/ca-key.pem"; then
		fail icpt_relay "$START_ERR"
		tlsu_stop_all
		return
	fi
	"$PY" tests/rawclient.py mitm-relay "$P" "$OPORT" "$T/ca/ca-cert.pem" \
	    >"$T/icpt_relay.out" 2>&1
	if ! grep -q '^echo same$' "$T/icpt_relay.out"; then
		fail icpt_relay "bytes that are not HTTP through the interception to a TLS echo: $(head -c 300 "$T/icpt_relay.out")"
	elif ! grep -q "not HTTP inside the intercepted TLS" "$LOG"; then
		fail icpt_relay "no debug line about the relay"
	else
		pass icpt_relay
	fi
	stop_proxy icpt_relay
	tlsu_stop_all
}

# through a plain HTTP parent (here another ./proxy): the CONNECT is
# decrypted, our leaf is what the client sees, and each decrypted
# request reaches the origin over TLS inside a CONNECT the proxy sends
# to the parent; bodies by length and chunked, three requests on one
# client connection ride one tunnel (the origin's /stats); a parent
# that refuses the CONNECT (403 by --connect-ports) gets the client a
# 502 naming it
t_icpt_parent() {
	icpt_ready icpt_parent || return
	if ! start_proxy icpt_parent_p --num-workers 1; then
		fail icpt_parent "$START_ERR"
		return
	fi
	_pp=$P
	if ! start_proxy icpt_parent_r --num-workers 1 --connect-ports 1; then
		fail icpt_parent "$START_ERR"
		stop_proxy icpt_parent_p
		return
	fi
	_pr=$P
	icpt_start icpt_parent "$T/tlsu_good.pem" --proxy "127.0.0.1:$_pp" || {
		stop_proxy icpt_parent_r; stop_proxy icpt_parent_p; return; }
	_u=https://localhost:$OPORT
	rm -f "$T/icpt_pb1" "$T/icpt_pb2" "$T/icpt_pst"
	pcurl --cacert "$T/ca/ca-cert.pem" "$_u/size/3000000" -o "$T/icpt_pb1" \
	    "$_u/chunked/2000000" -o "$T/icpt_pb2" "$_u/stats" -o "$T/icpt_pst" \
	    2>"$T/curl.err"
	_rc=$?
	_plog=$T/icpt_parent_p.log
	if [ $_rc != 0 ] ||
	    [ "$(sha_file "$T/icpt_pb1")" != "$(sha_pat 3000000)" ] ||
	    [ "$(sha_file "$T/icpt_pb2")" != "$(sha_pat 2000000)" ]; then
		fail icpt_parent "through the parent, our CA: rc $_rc, $(wc -c <"$T/icpt_pb1" 2>/dev/null) and $(wc -c <"$T/icpt_pb2" 2>/dev/null) bytes: $(head -c 300 "$T/curl.err")"
		evidence "$LOG" 8
	elif ! grep -q "minted a certificate for localhost" "$LOG"; then
		fail icpt_parent "no leaf was minted: the CONNECT was not intercepted"
	elif ! grep -q '"connections": 2,' "$T/icpt_pst" ||
	    ! grep -q '"requests": 3,' "$T/icpt_pst"; then
		fail icpt_parent "three requests on one client connection: the origin saw $(cat "$T/icpt_pst"); want 2 connections (the port probe and the tunnel), 3 requests"
	elif ! grep -q "access .* GET https://localhost:$OPORT /chunked/2000000 200 .* PROXY 127.0.0.1:$_pp" "$LOG"; then
		fail icpt_parent "the access log lacks 'GET https://localhost:$OPORT /chunked/2000000 200 ... PROXY 127.0.0.1:$_pp': $(grep access "$LOG" | tail -n 2 | tr '\n' ';')"
	elif [ "$(grep -c ": CONNECT localhost:$OPORT -\$" "$_plog")" != 1 ]; then
		fail icpt_parent "the parent's log should have one CONNECT localhost:$OPORT: $(grep CONNECT "$_plog" | tr '\n' ';')"
	else
		stop_proxy icpt_parent
		icpt_start icpt_parent "$T/tlsu_good.pem" --proxy "127.0.0.1:$_pr" ||
		    { stop_proxy icpt_parent_r; stop_proxy icpt_parent_p; return; }
		fetch "https://localhost:$OPORT/size/10" --cacert "$T/ca/ca-cert.pem"
		if [ "$CODE" != 502 ] ||
		    ! grep -q "parent proxy 127.0.0.1:$_pr refused CONNECT localhost:$OPORT: 403 Forbidden" "$T/body"; then
			fail icpt_parent "a parent that refuses the CONNECT: status $CODE, '$(head -c 200 "$T/body")'; want a 502 naming the parent's 403"
		else
			pass icpt_parent
		fi
	fi
	stop_proxy icpt_parent
	stop_proxy icpt_parent_r
	stop_proxy icpt_parent_p
	tlsu_stop_all
}

# through the test NTLM parent (tests/ntlm_parent.py): the CONNECT the
# proxy sends logs in with NTLMv2 first; two URLs on one client
# connection take one login, one CONNECT; a wrong password gets the
# client a 502 that says the parent refused the credentials
t_icpt_parent_ntlm() {
	icpt_ready icpt_parent_ntlm || return
	par_ntlm par_icpt || { par_stop_all; return; }
	_pp=$PARENT
	if ! tlsu_origin_start icpt_pn_o "$T/tlsu_good.pem"; then
		fail icpt_parent_ntlm "the TLS origin did not start"
		par_stop_all
		return
	fi
	par_proxy icpt_pn "$PAR_PW" --num-workers 1 --proxy "127.0.0.1:$_pp" \
	    --username "$PAR_DOM\\$PAR_USER" --auth NTLMv2 \
	    --ca-bundle "$T/tlsu_ca.pem" --ca-cert-file "$T/ca/ca-cert.pem" \
	    --ca-key-file "$T/ca/ca-key.pem" || { par_stop_all; tlsu_stop_all; return; }
	_u=https://localhost:$OPORT
	rm -f "$T/icpt_nb1" "$T/icpt_nb2"
	pcurl --cacert "$T/ca/ca-cert.pem" "$_u/size/1500000" -o "$T/icpt_nb1" \
	    "$_u/chunked/700000" -o "$T/icpt_nb2" 2>"$T/curl.err"
	_rc=$?
	par_stats "$_pp"
	if [ $_rc != 0 ] ||
	    [ "$(sha_file "$T/icpt_nb1")" != "$(sha_pat 1500000)" ] ||
	    [ "$(sha_file "$T/icpt_nb2")" != "$(sha_pat 700000)" ]; then
		fail icpt_parent_ntlm "through the NTLM parent: rc $_rc, $(wc -c <"$T/icpt_nb1" 2>/dev/null) and $(wc -c <"$T/icpt_nb2" 2>/dev/null) bytes: $(head -c 300 "$T/curl.err")"
		par_evidence par_icpt
	elif [ "$PS_logins" != 1 ] || [ "$PS_requests" != 1 ] ||
	    [ "$PS_failures" != 0 ] || [ "$PS_last_dialect" != NTLMv2 ]; then
		fail icpt_parent_ntlm "the parent saw $(par_summary); want one NTLMv2 login and one request (the CONNECT)"
	elif ! grep -q "minted a certificate for localhost" "$LOG"; then
		fail icpt_parent_ntlm "no leaf was minted: the CONNECT was not intercepted"
	else
		stop_proxy icpt_pn
		par_proxy icpt_pn 'wrong-password' --num-workers 1 \
		    --proxy "127.0.0.1:$_pp" --username "$PAR_DOM\\$PAR_USER" \
		    --auth NTLMv2 --ca-bundle "$T/tlsu_ca.pem" \
		    --ca-cert-file "$T/ca/ca-cert.pem" \
		    --ca-key-file "$T/ca/ca-key.pem" || { par_stop_all; tlsu_stop_all; return; }
		fetch "$_u/size/10" --cacert "$T/ca/ca-cert.pem"
		if [ "$CODE" != 502 ] ||
		    ! grep -q "parent proxy 127.0.0.1:$_pp refused the NTLMv2 credentials" "$T/body"; then
			fail icpt_parent_ntlm "a wrong password: status $CODE, '$(head -c 200 "$T/body")'; want a 502 saying the parent refused the credentials"
		else
			pass icpt_parent_ntlm
		fi
	fi
	stop_proxy icpt_pn
	par_stop_all
	tlsu_stop_all
}

# a client that sends its ClientHello in the same packet as the
# CONNECT, before the 200 (rawclient.py early-connect): intercepted
# (our CA), a blind tunnel (--no-intercept: the origin's CA), and both
# again through a plain parent
t_icpt_early() {
	icpt_ready icpt_early || return
	if ! start_proxy icpt_early_p --num-workers 1; then
		fail icpt_early "$START_ERR"
		return
	fi
	_pp=$P
	if ! tlsu_origin_start icpt_early_o "$T/tlsu_good.pem"; then
		fail icpt_early "the TLS origin did not start"
		stop_proxy icpt_early_p
		return
	fi
	_want="body 300000 $(sha_pat 300000)"
	_bad=
	for _way in intercept blind parent-intercept parent-blind; do
		case $_way in
		intercept) set -- ; _ca=$T/ca/ca-cert.pem ;;
		blind) set -- --no-intercept localhost; _ca=$T/tlsu_ca.pem ;;
		parent-intercept) set -- --proxy "127.0.0.1:$_pp"
			_ca=$T/ca/ca-cert.pem ;;
		parent-blind) set -- --proxy "127.0.0.1:$_pp" --no-intercept \
			localhost; _ca=$T/tlsu_ca.pem ;;
		esac
		if ! start_proxy icpt_early --num-workers 1 --ca-bundle \
		    "$T/tlsu_ca.pem" --ca-cert-file "$T/ca/ca-cert.pem" \
		    --ca-key-file "$T/ca/ca-key.pem" "$@"; then
			_bad="$_way: $START_ERR"
			break
		fi
		"$PY" tests/rawclient.py early-connect "$P" "$OPORT" "$_ca" \
		    /size/300000 >"$T/icpt_early.out" 2>&1
		stop_proxy icpt_early
		if ! grep -q '^connect HTTP/1.1 200' "$T/icpt_early.out" ||
		    ! grep -q '^status HTTP/1.1 200' "$T/icpt_early.out" ||
		    ! grep -q "^$_want\$" "$T/icpt_early.out"; then
			_bad="$_way: $(head -c 400 "$T/icpt_early.out" | tr '\n' ';')"
			break
		fi
		case $_way in
		*intercept)
			if ! grep -q "bytes of TLS came with the CONNECT" "$LOG"; then
				_bad="$_way: the ClientHello did not come with the CONNECT (no debug line): the case tests nothing"
				break
			fi ;;
		esac
	done
	if [ -n "$_bad" ]; then
		fail icpt_early "$_bad"
	else
		pass icpt_early
	fi
	stop_proxy icpt_early_p
	tlsu_stop_all
}

# --ca-signing-key-file: the leaf carries that key (its public half is
# the one openssl derives from the file); an RSA key is refused at start
t_icpt_signing_key() {
	icpt_ready icpt_signing_key || return
	icpt_start icpt_signing_key "$T/tlsu_good.pem" \
	    --ca-signing-key-file "$T/ca/ca-signing-key.pem" || return
	echo | openssl s_client -proxy "127.0.0.1:$P" -connect "localhost:$OPORT" \
	    -servername localhost -showcerts >"$T/icpt_sk.out" 2>&1
	awk '/BEGIN CERT/ { n++ } n == 1 { print } /END CERT/ { if (n == 1) exit }' \
	    "$T/icpt_sk.out" >"$T/icpt_sk.pem"
	_want=$(openssl pkey -in "$T/ca/ca-signing-key.pem" -pubout 2>/dev/null)
	_got=$(openssl x509 -in "$T/icpt_sk.pem" -noout -pubkey 2>/dev/null)
	stop_proxy icpt_signing_key
	openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:1024 \
	    -out "$T/icpt_rsa.key" >/dev/null 2>&1
	timeout 10 "$PROXY_BIN" --port "$(freeport)" --ca-cert-file "$T/ca/ca-cert.pem" \
	    --ca-key-file "$T/ca/ca-key.pem" \
	    --ca-signing-key-file "$T/icpt_rsa.key" >"$T/icpt_sk.err" 2>&1 </dev/null
	_rc=$?
	if [ -z "$_want" ] || [ "$_want" != "$_got" ]; then
		fail icpt_signing_key "the leaf's public key is not the one of --ca-signing-key-file: $(head -c 200 "$T/icpt_sk.out")"
	elif [ $_rc != 2 ] || ! grep -q -- "--ca-signing-key-file: .*not an EC key" "$T/icpt_sk.err"; then
		fail icpt_signing_key "an RSA --ca-signing-key-file: exit $_rc, $(head -c 200 "$T/icpt_sk.err"); want 2 and 'not an EC key'"
	else
		pass icpt_signing_key
	fi
	tlsu_stop_all
}
