# TLS interception of CONNECT (--ca-cert-file, --ca-key-file,
# --intercept, --no-intercept): a CA from ./proxy --gen-ca, an HTTPS
# origin whose certificate comes from the openssl-made test CA of
# e2e_tls.sh (tlsu_*), and real clients (curl, openssl s_client,
# Python's ssl) that trust only our CA; sourced by tests.sh. Every case
# skips when ./proxy is built without TLS.

CASES="${CASES:-} icpt_get icpt_leaf icpt_blind icpt_bad_origin
icpt_bad_sni icpt_relay icpt_parent icpt_parent_ntlm icpt_early icpt_cert_dir icpt_cert_dir_mode
icpt_cert_dir_race icpt_key_mode icpt_signing_key"

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
# origin over TLS (a TLS echo server here), both ways; directly, and
# through a plain parent's CONNECT
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
	_pout=
	if start_proxy icpt_relay_p --num-workers 1; then
		_pp=$P
		if start_proxy icpt_relay2 --num-workers 1 --ca-bundle \
		    "$T/tlsu_ca.pem" --ca-cert-file "$T/ca/ca-cert.pem" \
		    --ca-key-file "$T/ca/ca-key.pem" --proxy "127.0.0.1:$_pp"; then
			"$PY" tests/rawclient.py mitm-relay "$P" "$OPORT" \
			    "$T/ca/ca-cert.pem" >"$T/icpt_relay2.out" 2>&1
			_pout=$(cat "$T/icpt_relay2.out")
			stop_proxy icpt_relay2
		fi
		stop_proxy icpt_relay_p
	fi
	if ! grep -q '^echo same$' "$T/icpt_relay.out"; then
		fail icpt_relay "bytes that are not HTTP through the interception to a TLS echo: $(head -c 300 "$T/icpt_relay.out")"
	elif ! grep -q "not HTTP inside the intercepted TLS" "$T/icpt_relay.log"; then
		fail icpt_relay "no debug line about the relay"
	elif [ "$_pout" != "echo same" ]; then
		fail icpt_relay "the same through a plain parent: '$(printf '%s' "$_pout" | head -c 300)'"
	elif ! grep -q ": CONNECT localhost:$OPORT -\$" "$T/icpt_relay_p.log"; then
		fail icpt_relay "the relay did not go through the parent (no CONNECT in its log)"
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

# icd_serial CASE-LOG NAME: the serial of the leaf the current proxy
# shows for NAME (SNI) on a CONNECT to localhost:$OPORT, in SERIAL
icd_serial() {
	SERIAL=$(echo | timeout 10 openssl s_client -proxy "127.0.0.1:$P" \
	    -connect "localhost:$OPORT" -servername "$1" 2>/dev/null |
	    openssl x509 -noout -serial 2>/dev/null)
}

# icd_start NAME DIR [flags]: an intercepting proxy with --ca-cert-dir
# DIR and the leaves' key from --ca-signing-key-file (without it each
# start has a new key, and no file from before would serve)
icd_start() {
	_in=$1
	_id=$2
	shift 2
	start_proxy "$_in" --num-workers 1 --ca-bundle "$T/tlsu_ca.pem" \
	    --ca-cert-file "$T/ca/ca-cert.pem" --ca-key-file "$T/ca/ca-key.pem" \
	    --ca-signing-key-file "$T/ca/ca-signing-key.pem" \
	    --ca-cert-dir "$_id" "$@"
}

# icd_craft DAYS OUT: a leaf for localhost with the leaves' key, signed
# by our CA with openssl, valid DAYS, serial 0x1234
icd_craft() {
	openssl req -new -key "$T/ca/ca-signing-key.pem" -subj /CN=localhost \
	    -out "$T/icd.csr" >/dev/null 2>&1 &&
	    printf 'subjectAltName=DNS:localhost\n' >"$T/icd.ext" &&
	    openssl x509 -req -in "$T/icd.csr" -CA "$T/ca/ca-cert.pem" \
	    -CAkey "$T/ca/ca-key.pem" -set_serial 0x1234 -days "$1" \
	    -extfile "$T/icd.ext" -out "$2" >/dev/null 2>&1
}

# --ca-cert-dir: the directory is made 0700 with the leaf in it; after
# a restart the same leaf (serial) comes from its file; a corrupt file,
# one over 64 KiB, one that expires within 30 days and one of another
# CA are each replaced by a new leaf; a valid one made elsewhere (by
# openssl, with our CA and key) is taken as it is
t_icpt_cert_dir() {
	icpt_ready icpt_cert_dir || return
	if ! tlsu_origin_start icpt_cd_o "$T/tlsu_good.pem"; then
		fail icpt_cert_dir "the TLS origin did not start"
		return
	fi
	_d=$T/icd/sub/certs
	rm -rf "$T/icd"
	_bad=
	icd_start icpt_cd "$_d" || _bad="$START_ERR"
	[ -z "$_bad" ] && icd_serial localhost && _s1=$SERIAL
	_f=$(ls "$_d" 2>/dev/null | grep '^localhost-.*\.pem$')
	if [ -n "$_bad" ]; then
		:
	elif [ -z "$_s1" ] || [ -z "$_f" ]; then
		_bad="no leaf ('$_s1') or no file in $_d: $(ls -la "$_d" 2>&1 | tr '\n' ';')"
	elif [ "$(mode "$_d")" != 700 ] || [ "$(mode "$T/icd/sub")" != 700 ]; then
		_bad="$_d is mode $(mode "$_d") (its parent $(mode "$T/icd/sub")), want 700"
	elif ! openssl verify -CAfile "$T/ca/ca-cert.pem" "$_d/$_f" >/dev/null 2>&1; then
		_bad="openssl verify of $_f with our CA failed"
	fi
	stop_proxy icpt_cd
	# a restart: the file serves
	if [ -z "$_bad" ]; then
		icd_start icpt_cd "$_d" || _bad="$START_ERR"
		[ -z "$_bad" ] && icd_serial localhost
		stop_proxy icpt_cd
		if [ -z "$_bad" ] && [ "$SERIAL" != "$_s1" ]; then
			_bad="after a restart the leaf is $SERIAL, not $_s1 from the file"
		elif [ -z "$_bad" ] && ! grep -q "the certificate for localhost from $_d/$_f" "$LOG"; then
			_bad="no debug line saying the leaf came from $_d/$_f"
		fi
	fi
	# files that must not serve: each replaced by a new leaf
	head -c 70000 /dev/zero | tr '\0' 'A' >"$T/icd_big"
	icd_craft 10 "$T/icd_soon.pem" && icd_craft 100 "$T/icd_good.pem" ||
	    _bad="${_bad:-openssl could not make the test leaves}"
	for _case in corrupt big soon; do
		[ -z "$_bad" ] || break
		case $_case in
		corrupt) printf -- '-----BEGIN CERTIFICATE-----\nnot base64\n' >"$_d/$_f"
			_why="not one PEM certificate" ;;
		big) cp "$T/icd_big" "$_d/$_f"; _why="at most 64 KiB" ;;
		soon) cp "$T/icd_soon.pem" "$_d/$_f"; _why="expires within 30 days" ;;
		esac
		icd_start icpt_cd "$_d" || { _bad="$START_ERR"; break; }
		icd_serial localhost
		stop_proxy icpt_cd
		if [ -z "$SERIAL" ] || [ "$SERIAL" = "$_s1" ] ||
		    [ "$SERIAL" = serial=1234 ]; then
			_bad="$_case file: the leaf is '$SERIAL', want a new one"
		elif ! grep -q "$_f: .*$_why; minting another" "$LOG"; then
			_bad="$_case file: no log line saying '$_why'"
		elif ! openssl verify -CAfile "$T/ca/ca-cert.pem" "$_d/$_f" >/dev/null 2>&1; then
			_bad="$_case file: not replaced by a good leaf"
		fi
	done
	# a good leaf made elsewhere serves as it is
	if [ -z "$_bad" ]; then
		cp "$T/icd_good.pem" "$_d/$_f"
		icd_start icpt_cd "$_d" || _bad="$START_ERR"
		[ -z "$_bad" ] && icd_serial localhost
		stop_proxy icpt_cd
		[ -z "$_bad" ] && [ "$SERIAL" != serial=1234 ] &&
		    _bad="a valid leaf of our CA and key with 100 days left was not taken: $SERIAL"
	fi
	# another CA: its leaves, not the old CA's
	if [ -z "$_bad" ]; then
		mkdir -p "$T/icd_ca2"
		"$PROXY_BIN" --gen-ca "$T/icd_ca2" >/dev/null 2>&1
		start_proxy icpt_cd --num-workers 1 --ca-cert-file \
		    "$T/icd_ca2/ca-cert.pem" --ca-key-file "$T/icd_ca2/ca-key.pem" \
		    --ca-signing-key-file "$T/ca/ca-signing-key.pem" \
		    --ca-cert-dir "$_d" || _bad="$START_ERR"
		[ -z "$_bad" ] && icd_serial localhost
		stop_proxy icpt_cd
		if [ -z "$_bad" ] && ! grep -q "$_f: not signed by the current --ca-cert-file; minting another" "$LOG"; then
			_bad="another CA: no log line saying the file's leaf is not the current CA's"
		elif [ -z "$_bad" ] && ! openssl verify -CAfile "$T/icd_ca2/ca-cert.pem" "$_d/$_f" >/dev/null 2>&1; then
			_bad="another CA: the file was not replaced by a leaf of the new CA"
		fi
	fi
	if [ -n "$_bad" ]; then
		fail icpt_cert_dir "$_bad"
		evidence "$LOG" 6
	else
		pass icpt_cert_dir
	fi
	tlsu_stop_all
}

# --ca-cert-dir that group or others may use: refused (exit 2) when the
# flag names it, a warning and memory only when it is the default
# (~/.proxy/certs); "none" writes nothing
t_icpt_cert_dir_mode() {
	icpt_ready icpt_cert_dir_mode || return
	mkdir -p "$T/icdm/open"
	chmod 755 "$T/icdm/open"
	timeout 10 "$PROXY_BIN" --port "$(freeport)" --ca-cert-file "$T/ca/ca-cert.pem" \
	    --ca-key-file "$T/ca/ca-key.pem" --ca-cert-dir "$T/icdm/open" \
	    >"$T/icdm.out" 2>&1 </dev/null
	_rc=$?
	mkdir -p "$T/icdm/home/.proxy/certs"
	chmod 755 "$T/icdm/home/.proxy/certs"
	_oh=$HOME
	HOME=$T/icdm/home
	start_proxy icpt_cdm --num-workers 1 --ca-cert-file "$T/ca/ca-cert.pem" \
	    --ca-key-file "$T/ca/ca-key.pem"
	_st=$?
	HOME=$_oh
	if [ $_rc != 2 ] || ! grep -q -- "--ca-cert-dir: $T/icdm/open: accessible to group or others (mode 0755)" "$T/icdm.out"; then
		fail icpt_cert_dir_mode "an explicit --ca-cert-dir of mode 755: exit $_rc, '$(head -c 300 "$T/icdm.out")'; want 2 and 'accessible to group or others'"
	elif [ $_st != 0 ]; then
		fail icpt_cert_dir_mode "with the default ~/.proxy/certs of mode 755 the proxy did not start: $START_ERR"
	elif ! grep -q "warning: --ca-cert-dir (default ~/.proxy/certs): $T/icdm/home/.proxy/certs: accessible to group or others.*memory only" "$LOG"; then
		fail icpt_cert_dir_mode "no warning about the default directory's mode: $(grep warning "$LOG" | head -n 2)"
	else
		pass icpt_cert_dir_mode
	fi
	stop_proxy icpt_cdm
}

# two workers and many clients at once asking for the same few names:
# every handshake succeeds, each name has one whole file that verifies,
# and no temporary file is left
t_icpt_cert_dir_race() {
	icpt_ready icpt_cert_dir_race || return
	if ! tlsu_origin_start icpt_cr_o "$T/tlsu_good.pem"; then
		fail icpt_cert_dir_race "the TLS origin did not start"
		return
	fi
	_d=$T/icdr
	rm -rf "$_d"
	if ! start_proxy icpt_cr --num-workers 2 --ca-cert-file "$T/ca/ca-cert.pem" \
	    --ca-key-file "$T/ca/ca-key.pem" --ca-cert-dir "$_d"; then
		fail icpt_cert_dir_race "$START_ERR"
		tlsu_stop_all
		return
	fi
	_pids=
	_i=0
	while [ $_i -lt 24 ]; do
		( echo | timeout 10 openssl s_client -proxy "127.0.0.1:$P" \
		    -connect "localhost:$OPORT" -servername "race$((_i % 4)).test" \
		    -CAfile "$T/ca/ca-cert.pem" -verify_return_error \
		    -verify_hostname "race$((_i % 4)).test" \
		    >"$T/icdr.$_i" 2>&1 ) &
		_pids="$_pids $!"
		_i=$((_i + 1))
	done
	for _p in $_pids; do
		wait "$_p"
	done
	stop_proxy icpt_cr
	_bad=
	_i=0
	while [ $_i -lt 24 ]; do
		grep -q 'Verify return code: 0 (ok)' "$T/icdr.$_i" ||
		    _bad="client $_i: $(grep -i -m 2 'verify\|error' "$T/icdr.$_i" | tr '\n' ';')"
		_i=$((_i + 1))
	done
	_n=$(ls -A "$_d" | wc -l)
	_tmp=$(ls -A "$_d" | grep -v '^race[0-3]\.test-[0-9a-f]*\.pem$')
	if [ -n "$_bad" ]; then
		fail icpt_cert_dir_race "$_bad"
	elif [ "$_n" != 4 ] || [ -n "$_tmp" ]; then
		fail icpt_cert_dir_race "want 4 files, one a name, and nothing else: $(ls -A "$_d" | tr '\n' ' ')"
	else
		for _f in "$_d"/*.pem; do
			if ! openssl verify -CAfile "$T/ca/ca-cert.pem" "$_f" >/dev/null 2>&1; then
				_bad="$_f does not verify"
				break
			fi
		done
		if [ -n "$_bad" ]; then
			fail icpt_cert_dir_race "$_bad"
		else
			pass icpt_cert_dir_race
		fi
	fi
	tlsu_stop_all
}

# a CA key that group or others may read: a warning at start, as ssh
# gives (none when it is 0600)
t_icpt_key_mode() {
	icpt_ready icpt_key_mode || return
	cp "$T/ca/ca-key.pem" "$T/ikm-key.pem"
	chmod 600 "$T/ikm-key.pem"
	start_proxy icpt_km --num-workers 1 --ca-cert-file "$T/ca/ca-cert.pem" \
	    --ca-key-file "$T/ikm-key.pem" --ca-cert-dir none ||
	    { fail icpt_key_mode "$START_ERR"; return; }
	stop_proxy icpt_km
	_quiet=$LOG
	chmod 640 "$T/ikm-key.pem"
	start_proxy icpt_km2 --num-workers 1 --ca-cert-file "$T/ca/ca-cert.pem" \
	    --ca-key-file "$T/ikm-key.pem" --ca-cert-dir none ||
	    { fail icpt_key_mode "$START_ERR"; return; }
	stop_proxy icpt_km2
	if grep -q "private key" "$_quiet"; then
		fail icpt_key_mode "a warning for a key of mode 600: $(grep 'private key' "$_quiet")"
	elif ! grep -q "warning: --ca-key-file: the private key $T/ikm-key.pem is accessible to group or others (mode 0640)" "$LOG"; then
		fail icpt_key_mode "no start-up warning for a CA key of mode 640: $(grep warning "$LOG" | head -n 2)"
	else
		pass icpt_key_mode
	fi
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
