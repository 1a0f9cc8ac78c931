# TLS to the proxy itself (--cert-file, --key-file, --tls-listen), and
# from the proxy to origins and parents (tlsu_*: https:// URIs,
# --proxy https://, --ca-bundle, --insecure-upstream); sourced by
# tests.sh. Every case skips when ./proxy is built without
# TLS, except tls_without, which checks what such a build says.

CASES="${CASES:-} tls_get tls_keepalive tls_connect tls_post tls_ec
tls_listen_both tls_bad_key tls_bad_files tls_plain_client tls_stall
tls_without tlsu_origin tlsu_verify tlsu_insecure tlsu_parent
tlsu_wss tlsu_via_parent tlsu_magic tlsu_pac tlsu_without tlsu_aes_first"

# tls_built: ./proxy has TLS (its --version lists the feature)
tls_built() {
	"$PROXY_BIN" --version 2>/dev/null | grep -q '^features:.* tls'
}

# tls_certs: a throwaway RSA and EC P-256 key with self-signed
# certificates for 127.0.0.1, made once: $T/tls_rsa.{pem,key},
# $T/tls_ec.{pem,key}. Returns 1 with TLS_SKIP set when it cannot.
tls_certs() {
	[ -f "$T/tls_ec.pem" ] && return 0
	if ! have openssl; then
		TLS_SKIP="openssl is not installed"
		return 1
	fi
	if ! openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 -days 2 \
	    -keyout "$T/tls_rsa.key" -out "$T/tls_rsa.pem" \
	    >"$T/tls_openssl.log" 2>&1 ||
	    ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	    -days 2 -keyout "$T/tls_ec.key" -out "$T/tls_ec.pem" \
	    >>"$T/tls_openssl.log" 2>&1; then
		TLS_SKIP="cannot make a certificate: $(tail -n 1 "$T/tls_openssl.log")"
		rm -f "$T/tls_ec.pem"
		return 1
	fi
	return 0
}

# tls_ready CASE: skips CASE (returns 1) when TLS cannot be tested here
tls_ready() {
	if ! tls_built; then
		skip "$1" "./proxy is built without TLS"
		return 1
	fi
	if ! tls_certs; then
		skip "$1" "$TLS_SKIP"
		return 1
	fi
	return 0
}

# tls_proxy NAME KIND [flags]: a proxy whose every port speaks TLS with
# the KIND (rsa or ec) certificate; PROXY_URL becomes https://, and
# TLS_CA the certificate for curl's --proxy-cacert
tls_proxy() {
	_tn=$1
	_tk=$2
	shift 2
	TLS_CA=$T/tls_$_tk.pem
	start_proxy "$_tn" --cert-file "$TLS_CA" --key-file "$T/tls_$_tk.key" \
	    "$@" || return 1
	PROXY_URL=https://127.0.0.1:$P
	return 0
}

# tls_fetch URL [curl args]: fetch through the TLS proxy
tls_fetch() {
	fetch "$@" --proxy-cacert "$TLS_CA"
}

t_tls_get() {
	tls_ready tls_get || return
	if ! tls_proxy tlsget rsa; then
		fail tls_get "$START_ERR"
		return
	fi
	for n in 0 1 16383 16384 16385 65537 1048576 3000001; do
		tls_fetch "$OURL/size/$n"
		if [ "$CODE" != 200 ] || ! body_is_pattern "$n"; then
			fail tls_get "/size/$n over TLS: status $CODE, $(wc -c <"$T/body") bytes (want $n), curl rc $CURL_RC $(head -c 200 "$T/curl.err")"
			return
		fi
	done
	# chunked, and a body read to the server's close (HTTP/1.0): the
	# last record must leave before the proxy closes
	for q in chunked/2000000 close/2000000; do
		tls_fetch "$OURL/$q" --http1.0
		if [ "$CODE" != 200 ] || ! body_is_pattern 2000000; then
			fail tls_get "/$q over TLS, HTTP/1.0: status $CODE, $(wc -c <"$T/body") bytes, curl rc $CURL_RC $(head -c 200 "$T/curl.err")"
			return
		fi
	done
	pass tls_get
}

t_tls_keepalive() {
	tls_ready tls_keepalive || return
	if ! tls_proxy tlska rsa; then
		fail tls_keepalive "$START_ERR"
		return
	fi
	before=$(grep -c ': accepted' "$LOG")	# start_proxy's port probe
	out=$(pcurl --proxy-cacert "$TLS_CA" -o /dev/null -o /dev/null \
	    -w '%{http_code} %{num_connects}\n' "$OURL/size/100000" \
	    "$OURL/size/200000" 2>"$T/curl.err")
	accepted=$(($(grep -c ': accepted' "$LOG") - before))
	if [ "$(echo "$out" | tr '\n' ' ')" != "200 1 200 0 " ]; then
		fail tls_keepalive "two URLs in one curl: '$(echo "$out" | tr '\n' ' ')', want '200 1 200 0': $(head -c 200 "$T/curl.err")"
	elif [ "$accepted" != 1 ]; then
		fail tls_keepalive "the proxy accepted $accepted connections, want 1"
	else
		pass tls_keepalive
	fi
}

# CONNECT inside TLS: curl -p opens a tunnel through the https:// proxy
t_tls_connect() {
	tls_ready tls_connect || return
	if ! tls_proxy tlscon rsa; then
		fail tls_connect "$START_ERR"
		return
	fi
	tls_fetch "$OURL/size/1500000" -p
	if [ "$CODE" != 200 ] || ! body_is_pattern 1500000; then
		fail tls_connect "curl -p through TLS: status $CODE, $(wc -c <"$T/body") bytes, curl rc $CURL_RC $(head -c 200 "$T/curl.err")"
	elif ! grep -q 'access .* CONNECT 127.0.0.1:' "$LOG"; then
		fail tls_connect "no CONNECT in the access log"
	else
		pass tls_connect
	fi
}

t_tls_post() {
	tls_ready tls_post || return
	if ! tls_proxy tlspost ec; then
		fail tls_post "$START_ERR"
		return
	fi
	head -c 2500000 /dev/urandom >"$T/post.bin"
	want="2500000 $(sha_file "$T/post.bin")"
	got=$(pcurl --proxy-cacert "$TLS_CA" --data-binary "@$T/post.bin" \
	    -H 'Expect:' "$OURL/sink" 2>"$T/curl.err")
	got2=$(pcurl --proxy-cacert "$TLS_CA" -H 'Transfer-Encoding: chunked' \
	    -H 'Expect:' --data-binary "@$T/post.bin" "$OURL/sink" \
	    2>>"$T/curl.err")
	if [ "$got" != "$want" ]; then
		fail tls_post "POST over TLS: origin got '$got', want '$want': $(head -c 200 "$T/curl.err")"
	elif [ "$got2" != "$want" ]; then
		fail tls_post "chunked POST over TLS: origin got '$got2', want '$want'"
	else
		pass tls_post
	fi
}

# an EC P-256 key: ECDHE-ECDSA suites; both AEADs; TLS 1.2 only
t_tls_ec() {
	tls_ready tls_ec || return
	if ! tls_proxy tlsec ec; then
		fail tls_ec "$START_ERR"
		return
	fi
	for ciph in ECDHE-ECDSA-AES128-GCM-SHA256 ECDHE-ECDSA-CHACHA20-POLY1305; do
		tls_fetch "$OURL/size/300000" --proxy-ciphers "$ciph"
		if [ "$CODE" != 200 ] || ! body_is_pattern 300000; then
			fail tls_ec "EC key, $ciph: status $CODE, curl rc $CURL_RC $(head -c 200 "$T/curl.err")"
			return
		fi
	done
	# a CBC suite is not offered
	tls_fetch "$OURL/size/10" --proxy-ciphers ECDHE-ECDSA-AES128-SHA
	cbc=$CODE
	# nor TLS 1.3, which BearSSL does not have: 1.2 is all there is
	openssl s_client -connect "127.0.0.1:$P" -tls1_3 </dev/null \
	    >"$T/tls13.out" 2>&1
	tls13=$?
	if [ "$cbc" = 200 ]; then
		fail tls_ec "a CBC suite was accepted"
	elif [ $tls13 = 0 ]; then
		fail tls_ec "openssl s_client -tls1_3 connected"
	else
		pass tls_ec
	fi
}

# --tls-listen: a TLS port beside the plain one
t_tls_listen_both() {
	tls_ready tls_listen_both || return
	tp=$(freeport)
	if ! start_proxy tlsboth --cert-file "$T/tls_rsa.pem" --key-file \
	    "$T/tls_rsa.key" --tls-listen "127.0.0.1:$tp"; then
		fail tls_listen_both "$START_ERR"
		return
	fi
	fetch "$OURL/size/5000"
	plain=$CODE
	if ! waitport 127.0.0.1 "$tp" 10; then
		fail tls_listen_both "nothing listens on --tls-listen 127.0.0.1:$tp"
		return
	fi
	PROXY_URL=https://127.0.0.1:$tp
	TLS_CA=$T/tls_rsa.pem
	tls_fetch "$OURL/size/5000"
	if [ "$plain" != 200 ]; then
		fail tls_listen_both "plain port: status $plain"
	elif [ "$CODE" != 200 ] || ! body_is_pattern 5000; then
		fail tls_listen_both "TLS port: status $CODE, curl rc $CURL_RC $(head -c 200 "$T/curl.err")"
	elif ! grep -q "listening on 127.0.0.1:$tp (TLS)" "$LOG"; then
		fail tls_listen_both "the log does not say the TLS port"
	else
		pass tls_listen_both
	fi
}

# tls_refused CASE WHAT WANT FLAGS: the proxy exits 2 at once, saying WANT
tls_refused() {
	_tc=$1
	_tw=$2
	_twant=$3
	shift 3
	"$PROXY_BIN" --port "$(freeport)" "$@" >"$T/tls_ref.out" \
	    2>"$T/tls_ref.err" </dev/null &
	_tp=$!
	track $_tp
	if ! wait_pid "$_tp" 10; then
		kill -KILL "$_tp" 2>/dev/null
		fail "$_tc" "$_tw: the proxy did not exit"
		return 1
	fi
	if [ "$WAIT_RC" != 2 ]; then
		fail "$_tc" "$_tw: exit status $WAIT_RC, want 2: $(head -c 200 "$T/tls_ref.err")"
		return 1
	fi
	if ! grep -q -- "$_twant" "$T/tls_ref.err"; then
		fail "$_tc" "$_tw: stderr '$(head -c 200 "$T/tls_ref.err")' does not say '$_twant'"
		return 1
	fi
	return 0
}

t_tls_bad_key() {
	tls_ready tls_bad_key || return
	if [ ! -f "$T/tls_other.key" ] && ! openssl genrsa -out \
	    "$T/tls_other.key" 2048 >"$T/tls_openssl.log" 2>&1; then
		skip tls_bad_key "cannot make a key: $(tail -n 1 "$T/tls_openssl.log")"
		return
	fi
	tls_refused tls_bad_key "another RSA key" \
	    "^proxy: --key-file: .*does not match" \
	    --cert-file "$T/tls_rsa.pem" --key-file "$T/tls_other.key" || return
	tls_refused tls_bad_key "an EC key for an RSA certificate" \
	    "^proxy: --key-file: .*does not match" \
	    --cert-file "$T/tls_rsa.pem" --key-file "$T/tls_ec.key" || return
	pass tls_bad_key
}

t_tls_bad_files() {
	tls_ready tls_bad_files || return
	head -c 3000 /dev/urandom >"$T/tls_garbage"
	printf -- '-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n' >"$T/tls_badpem"
	tls_refused tls_bad_files "a garbage certificate file" \
	    "^proxy: --cert-file: .*malformed" \
	    --cert-file "$T/tls_garbage" --key-file "$T/tls_rsa.key" || return
	tls_refused tls_bad_files "a broken PEM certificate" \
	    "^proxy: --cert-file: .*malformed" \
	    --cert-file "$T/tls_badpem" --key-file "$T/tls_rsa.key" || return
	tls_refused tls_bad_files "a key as the certificate" \
	    "^proxy: --cert-file: .*no certificate" \
	    --cert-file "$T/tls_rsa.key" --key-file "$T/tls_rsa.key" || return
	tls_refused tls_bad_files "a garbage key file" \
	    "^proxy: --key-file: .*not a private key" \
	    --cert-file "$T/tls_rsa.pem" --key-file "$T/tls_garbage" || return
	tls_refused tls_bad_files "a certificate as the key" \
	    "^proxy: --key-file: .*no private key" \
	    --cert-file "$T/tls_rsa.pem" --key-file "$T/tls_rsa.pem" || return
	tls_refused tls_bad_files "a missing file" \
	    "^proxy: --cert-file: .*No such file" \
	    --cert-file "$T/tls_nothere" --key-file "$T/tls_rsa.key" || return
	tls_refused tls_bad_files "--cert-file alone" \
	    "^proxy: --cert-file: .*needs both" \
	    --cert-file "$T/tls_rsa.pem" || return
	# DER and PKCS#1 forms load
	if openssl x509 -in "$T/tls_rsa.pem" -outform DER -out "$T/tls_rsa.der" \
	    2>/dev/null && openssl rsa -in "$T/tls_rsa.key" -traditional \
	    -outform DER -out "$T/tls_rsa1.der" 2>/dev/null; then
		if ! start_proxy tlsder2 --cert-file "$T/tls_rsa.der" \
		    --key-file "$T/tls_rsa1.der"; then
			fail tls_bad_files "DER certificate and PKCS#1 DER key: $START_ERR"
			return
		fi
		PROXY_URL=https://127.0.0.1:$P
		TLS_CA=$T/tls_rsa.pem
		tls_fetch "$OURL/size/1000"
		if [ "$CODE" != 200 ]; then
			fail tls_bad_files "DER files: status $CODE, curl rc $CURL_RC $(head -c 200 "$T/curl.err")"
			return
		fi
	fi
	pass tls_bad_files
}

# plain HTTP sent to a TLS port: that connection closes, others go on
t_tls_plain_client() {
	tls_ready tls_plain_client || return
	if ! tls_proxy tlsplain rsa --num-workers 1; then
		fail tls_plain_client "$START_ERR"
		return
	fi
	"$PY" - 127.0.0.1 "$P" "$OURL/size/10" >"$T/tls_plain.out" 2>&1 <<'EOF'
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % sys.argv[3]).encode())
t0 = time.time()
got = b""
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
except ConnectionResetError:
    pass
except socket.timeout:
    print("not closed in 10 s")
    sys.exit(1)
print("closed after %.1f s, %d bytes, http %s" % (time.time() - t0,
      len(got), got.startswith(b"HTTP/")))
EOF
	rc=$?
	tls_fetch "$OURL/size/70000"
	if [ $rc != 0 ]; then
		fail tls_plain_client "$(cat "$T/tls_plain.out")"
	elif grep -q 'http True' "$T/tls_plain.out"; then
		fail tls_plain_client "a plain HTTP answer came from the TLS port"
	elif [ "$CODE" != 200 ] || ! body_is_pattern 70000; then
		fail tls_plain_client "the next TLS client: status $CODE, curl rc $CURL_RC"
	else
		pass tls_plain_client
	fi
}

# a client that opens a connection, sends half a ClientHello and stalls:
# closed within --socktimeout (not --idle), others unaffected meanwhile
t_tls_stall() {
	tls_ready tls_stall || return
	if ! tls_proxy tlsstall rsa --num-workers 1 --socktimeout 2 --idle 60; then
		fail tls_stall "$START_ERR"
		return
	fi
	"$PY" - 127.0.0.1 "$P" >"$T/tls_stall.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
s.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
t0 = time.time()
try:
    while s.recv(4096):
        pass
    print("closed after %.1f s" % (time.time() - t0))
except socket.timeout:
    print("not closed in 20 s")
EOF
	spid=$!
	track $spid
	tls_fetch "$OURL/size/100000"
	during=$CODE
	wait_pid "$spid" 25
	secs=$(sed -n 's/^closed after \([0-9]*\)\..*/\1/p' "$T/tls_stall.out")
	if [ "$during" != 200 ]; then
		fail tls_stall "another client while one stalls: status $during"
	elif [ -z "$secs" ]; then
		fail tls_stall "$(cat "$T/tls_stall.out")"
	elif [ "$secs" -gt 4 ]; then
		fail tls_stall "closed after $secs s, want about 2 (--socktimeout)"
	elif ! grep -q 'handshake did not finish in time' "$LOG"; then
		fail tls_stall "the log does not say why"
	else
		pass tls_stall
	fi
}

# a build without TLS refuses the flags
t_tls_without() {
	if tls_built; then
		skip tls_without "./proxy is built with TLS"
		return
	fi
	tls_refused tls_without "--cert-file" "built without TLS" \
	    --cert-file /dev/null --key-file /dev/null || return
	tls_refused tls_without "--tls-listen" "built without TLS" \
	    --tls-listen 127.0.0.1:1 || return
	pass tls_without
}

# ------------------------------------------------- TLS to the next hop

# tlsu_certs: a throwaway test CA and certificates it signs, made once:
# $T/tlsu_ca.pem; $T/tlsu_good.pem (localhost), $T/tlsu_other.pem
# (other.test), $T/tlsu_expired.pem (localhost, ended yesterday), all
# with the key $T/tlsu.key. Returns 1 with TLS_SKIP set when it cannot.
tlsu_certs() {
	[ -f "$T/tlsu_expired.pem" ] && return 0
	if ! have openssl; then
		TLS_SKIP="openssl is not installed"
		return 1
	fi
	_tu=$T/tlsu
	if ! { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -subj /CN=proxy-test-CA -days 3 \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign \
	    -keyout "${_tu}_ca.key" -out "${_tu}_ca.pem" &&
	    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=localhost -keyout "$_tu.key" -out "$_tu.csr" &&
	    printf 'subjectAltName=DNS:localhost\n' >"$_tu.ext" &&
	    printf 'subjectAltName=DNS:other.test\n' >"${_tu}_other.ext" &&
	    openssl x509 -req -in "$_tu.csr" -CA "${_tu}_ca.pem" \
	    -CAkey "${_tu}_ca.key" -CAcreateserial -days 2 \
	    -extfile "$_tu.ext" -out "${_tu}_good.pem" &&
	    openssl x509 -req -in "$_tu.csr" -CA "${_tu}_ca.pem" \
	    -CAkey "${_tu}_ca.key" -CAcreateserial -days 2 \
	    -extfile "${_tu}_other.ext" -out "${_tu}_other.pem" &&
	    openssl x509 -req -in "$_tu.csr" -CA "${_tu}_ca.pem" \
	    -CAkey "${_tu}_ca.key" -CAcreateserial -days -1 \
	    -extfile "$_tu.ext" -out "${_tu}_expired.pem"; } \
	    >"$T/tlsu_openssl.log" 2>&1; then
		TLS_SKIP="cannot make the test CA: $(tail -n 1 "$T/tlsu_openssl.log")"
		rm -f "${_tu}_expired.pem"
		return 1
	fi
	return 0
}

tlsu_ready() {
	if ! tls_built; then
		skip "$1" "./proxy is built without TLS"
		return 1
	fi
	if ! tlsu_certs; then
		skip "$1" "$TLS_SKIP"
		return 1
	fi
	return 0
}

# tlsu_origin_start NAME CERT: origin.py speaking TLS with CERT; its port
# in OPORT (stopped with the case's other helpers by tlsu_stop_all)
TLSU_PIDS=
tlsu_origin_start() {
	start_origin "$1" 127.0.0.1 --tls "$2" "$T/tlsu.key" || return 1
	TLSU_PIDS="$TLSU_PIDS $BGPID"
}

tlsu_stop_all() {
	for _tp in $TLSU_PIDS; do
		kill_bg "$_tp"
	done
	TLSU_PIDS=
}

# tlsu_get PORT PATH [curl args]: an absolute-form GET
# https://localhost:PORT/PATH to the current proxy (curl sends the
# request-target as given; it is not a CONNECT)
tlsu_get() {
	_gp=$1
	_gpath=$2
	shift 2
	fetch --request-target "https://localhost:$_gp$_gpath" \
	    "http://localhost:$_gp/" "$@"
}

# absolute-form https:// GETs with --ca-bundle: bodies by length and
# chunked, three requests on one client connection riding one TLS
# connection to the origin (its /stats says so), and a raw client
t_tlsu_origin() {
	tlsu_ready tlsu_origin || return
	tlsu_origin_start tlsu_o "$T/tlsu_good.pem" || {
		fail tlsu_origin "the TLS origin did not start"; return; }
	_op=$OPORT
	if ! start_proxy tlsu_o --num-workers 1 --ca-bundle "$T/tlsu_ca.pem"; then
		fail tlsu_origin "$START_ERR"
		tlsu_stop_all
		return
	fi
	_u=https://localhost:$_op
	rm -f "$T/tlsu_b1" "$T/tlsu_b2" "$T/tlsu_st"
	pcurl --request-target "$_u/size/100000" "http://localhost:$_op/" \
	    -o "$T/tlsu_b1" --next -x "$PROXY_URL" --noproxy '' \
	    --request-target "$_u/chunked/70000" "http://localhost:$_op/" \
	    -o "$T/tlsu_b2" --next -x "$PROXY_URL" --noproxy '' \
	    --request-target "$_u/stats" "http://localhost:$_op/" \
	    -o "$T/tlsu_st" 2>"$T/curl.err"
	_rc=$?
	if [ $_rc != 0 ] || [ "$(sha_file "$T/tlsu_b1")" != "$(sha_pat 100000)" ] ||
	    [ "$(sha_file "$T/tlsu_b2")" != "$(sha_pat 70000)" ]; then
		fail tlsu_origin "GET $_u/size/100000 and /chunked/70000 through the proxy: curl rc $_rc, $(wc -c <"$T/tlsu_b1" 2>/dev/null) and $(wc -c <"$T/tlsu_b2" 2>/dev/null) bytes or not the pattern: $(head -c 200 "$T/tlsu_b1" 2>/dev/null) $(head -c 200 "$T/curl.err")"
	elif ! grep -q '"connections": 2,' "$T/tlsu_st" ||
	    ! grep -q '"requests": 3,' "$T/tlsu_st"; then
		# (the first connection is start_origin's probe of the port)
		fail tlsu_origin "three requests on one client connection: the origin saw $(cat "$T/tlsu_st"); want 2 connections (the port probe and ours), 3 requests (keep-alive over TLS)"
	elif ! grep -q "TLS to localhost:$_op is up" "$LOG"; then
		fail tlsu_origin "no 'TLS to localhost:$_op is up' in the debug log"
	else
		raw --send "GET $_u/size/5000 HTTP/1.1\r\nHost: localhost:$_op\r\n\r\nGET $_u/size/7 HTTP/1.1\r\nHost: localhost:$_op\r\nConnection: close\r\n\r\n" --count 2
		if [ "$(resp 1 status)" != 200 ] || [ "$(resp 1 len)" != 5000 ] ||
		    [ "$(resp 2 status)" != 200 ] || [ "$(resp 2 len)" != 7 ]; then
			fail tlsu_origin "a raw client's two absolute-form https:// GETs: $(head -c 300 "$T/raw")"
		else
			pass tlsu_origin
		fi
	fi
	stop_proxy tlsu_o
	tlsu_stop_all
}

# tlsu_expect_502 CASE PORT WANT: GET https://localhost:PORT/ gives a 502
# whose body and log line say WANT
tlsu_expect_502() {
	tlsu_get "$2" /size/10
	if [ "$CODE" != 502 ] || ! grep -q -- "$3" "$T/body"; then
		fail "$1" "https://localhost:$2/: status $CODE, body '$(head -c 200 "$T/body")'; want 502 saying '$3'"
		return 1
	fi
	if ! grep -q "502 TLS to localhost:$2: .*$3" "$LOG"; then
		fail "$1" "the log has no 502 line saying '$3': $(grep -c 502 "$LOG") lines with 502"
		return 1
	fi
	return 0
}

# a small HTTP server that answers anything with a 400, as a plain
# server on a port expected to speak TLS does; its port in OPORT
tlsu_plain_start() {
	rm -f "$T/tlsu_plain.port"
	bg tlsu_plain "$PY" -c '
import socket, sys
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(8)
open(sys.argv[1] + ".tmp", "w").write("%d\n" % ls.getsockname()[1])
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    s, _ = ls.accept()
    s.settimeout(5)
    try:
        s.recv(4096)
        s.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    except OSError:
        pass
    s.close()
' "$T/tlsu_plain.port"
	TLSU_PIDS="$TLSU_PIDS $BGPID"
	wait_file "$T/tlsu_plain.port" 10 || return 1
	OPORT=$(cat "$T/tlsu_plain.port")
	waitport 127.0.0.1 "$OPORT" 10
}

# verification failures reach the client as 502s that say why
t_tlsu_verify() {
	tlsu_ready tlsu_verify || return
	tlsu_origin_start tlsu_vg "$T/tlsu_good.pem" && _pg=$OPORT &&
	    tlsu_origin_start tlsu_vo "$T/tlsu_other.pem" && _po=$OPORT &&
	    tlsu_origin_start tlsu_ve "$T/tlsu_expired.pem" && _pe=$OPORT &&
	    tlsu_plain_start && _pp=$OPORT || {
		fail tlsu_verify "a test server did not start"; tlsu_stop_all; return; }
	if ! start_proxy tlsu_vs --num-workers 1; then
		fail tlsu_verify "$START_ERR"
		tlsu_stop_all
		return
	fi
	# the system's bundle does not know the test CA
	if tlsu_expect_502 tlsu_verify "$_pg" "unknown CA"; then
		stop_proxy tlsu_vs
		if ! start_proxy tlsu_v --num-workers 1 \
		    --ca-bundle "$T/tlsu_ca.pem"; then
			fail tlsu_verify "$START_ERR"
		elif tlsu_expect_502 tlsu_verify "$_po" "certificate name mismatch" &&
		    tlsu_expect_502 tlsu_verify "$_pe" "expired" &&
		    tlsu_expect_502 tlsu_verify "$_pp" "does not speak TLS"; then
			fetch --request-target "https://127.0.0.1:$_pg/size/10" \
			    "http://127.0.0.1:$_pg/"
			if [ "$CODE" != 502 ] || ! grep -q "IP address" "$T/body"; then
				fail tlsu_verify "https://127.0.0.1:$_pg/ (an address literal): status $CODE, '$(head -c 200 "$T/body")'; want a 502 saying an IP address cannot be verified"
			else
				pass tlsu_verify
			fi
		fi
		stop_proxy tlsu_v
	else
		stop_proxy tlsu_vs
	fi
	tlsu_stop_all
}

# --insecure-upstream: the bad certificates pass, with a warning at start
t_tlsu_insecure() {
	tlsu_ready tlsu_insecure || return
	tlsu_origin_start tlsu_io "$T/tlsu_other.pem" && _po=$OPORT &&
	    tlsu_origin_start tlsu_ie "$T/tlsu_expired.pem" && _pe=$OPORT || {
		fail tlsu_insecure "a test server did not start"; tlsu_stop_all; return; }
	if ! start_proxy tlsu_i --num-workers 1 --insecure-upstream; then
		fail tlsu_insecure "$START_ERR"
		tlsu_stop_all
		return
	fi
	_bad=
	for _ip in $_po $_pe; do
		tlsu_get "$_ip" /size/3000
		if [ "$CODE" != 200 ] || ! body_is_pattern 3000; then
			_bad="$_bad; https://localhost:$_ip/size/3000: status $CODE, $(head -c 150 "$T/body")"
		fi
	done
	if [ -n "$_bad" ]; then
		fail tlsu_insecure "with --insecure-upstream${_bad}"
	elif ! grep -q "warning: --insecure-upstream: .*not verified" "$LOG"; then
		fail tlsu_insecure "no start-up warning about --insecure-upstream in the log"
	else
		pass tlsu_insecure
	fi
	stop_proxy tlsu_i
	tlsu_stop_all
}

# On x86 with AES-NI and PCLMUL the proxy's client engine offers AES-GCM
# before ChaCha20 (BearSSL's own list is the other way round; its GCM is
# the cheaper one there); without them, ChaCha20 first. openssl s_server
# takes the client's order and names the suite on its -www page.
t_tlsu_aes_first() {
	tlsu_ready tlsu_aes_first || return
	case $(uname -m) in
	x86_64 | i?86) ;;
	*) skip tlsu_aes_first "the order is checked on x86 only"; return ;;
	esac
	_want=CHACHA20-POLY1305
	grep -qw aes /proc/cpuinfo && grep -qw pclmulqdq /proc/cpuinfo &&
		_want=AES128-GCM-SHA256
	_sp=$(freeport)
	bg tlsu_s openssl s_server -accept "127.0.0.1:$_sp" -www \
	    -cert "$T/tlsu_good.pem" -key "$T/tlsu.key"
	TLSU_PIDS="$TLSU_PIDS $BGPID"
	if ! waitport 127.0.0.1 "$_sp"; then
		fail tlsu_aes_first "openssl s_server did not start: $(head -c 200 "$T/tlsu_s.err")"
		tlsu_stop_all
		return
	fi
	if ! start_proxy tlsu_a --num-workers 1 --ca-bundle "$T/tlsu_ca.pem"; then
		fail tlsu_aes_first "$START_ERR"
		tlsu_stop_all
		return
	fi
	tlsu_get "$_sp" /
	_got=$(sed -n 's/.*Cipher is \([A-Z0-9-]*\).*/\1/p' "$T/body" | head -n 1)
	case $_got in
	*-"$_want") pass tlsu_aes_first ;;
	*) fail tlsu_aes_first "https://localhost:$_sp/ from openssl s_server: status $CODE, suite '$_got', want ECDHE-*-$_want: $(head -c 200 "$T/body")" ;;
	esac
	stop_proxy tlsu_a
	tlsu_stop_all
}

# --proxy https://localhost:PP: the test parent behind TLS, with an NTLMv2
# login: two GETs and a CONNECT, all on one pooled TLS connection
t_tlsu_parent() {
	tlsu_ready tlsu_parent || return
	par_ntlm par_tlsu --tls "$T/tlsu_good.pem" "$T/tlsu.key" || {
		par_stop_all; return; }
	_pp=$PARENT
	par_proxy px_tlsu "$PAR_PW" --num-workers 1 \
	    --proxy "https://localhost:$_pp" --ca-bundle "$T/tlsu_ca.pem" \
	    --username "$PAR_DOM\\$PAR_USER" --auth NTLMv2 || {
		par_stop_all; return; }
	_bad=
	for _n in 1000 2000; do
		fetch "$OURL/size/$_n" --max-time 10
		if [ "$CODE" != 200 ] || ! body_is_pattern "$_n"; then
			_bad="GET $OURL/size/$_n through the TLS parent: status $CODE, $(head -c 200 "$T/body")"
			break
		fi
	done
	if [ -z "$_bad" ]; then
		fetch "$OURL/size/3000" --max-time 10 -p
		if [ "$CODE" != 200 ] || ! body_is_pattern 3000; then
			_bad="CONNECT through the TLS parent: status $CODE, $(head -c 200 "$T/body") $(head -c 200 "$T/curl.err")"
		fi
	fi
	_js=$(curl -q -s --noproxy '' --max-time 5 --proxy-cacert "$T/tlsu_ca.pem" \
	    -x "https://localhost:$_pp" http://parent.stats/)
	if [ -n "$_bad" ]; then
		fail tlsu_parent "$_bad"
		par_evidence par_tlsu
	elif ! printf '%s' "$_js" | grep -q '"connections": 1,' ||
	    ! printf '%s' "$_js" | grep -q '"requests": 3,' ||
	    ! printf '%s' "$_js" | grep -q '"logins": 1,'; then
		fail tlsu_parent "two GETs and a CONNECT: the parent saw $_js; want connections=1 requests=3 logins=1 (one TLS connection kept alive, reused from the pool)"
	elif ! grep -q "TLS to localhost:$_pp is up" "$LOG"; then
		fail tlsu_parent "no 'TLS to localhost:$_pp is up' in the debug log"
	else
		pass tlsu_parent
	fi
	stop_proxy px_tlsu
	par_stop_all
}

# absolute-form https:// and wss:// through a plain HTTP parent (the
# test parent, with a Basic login): the proxy sends CONNECT to the
# parent and speaks TLS to the origin inside its tunnel. Bodies by
# length and chunked, three requests on one client connection over one
# tunnel (the origin's /stats, the parent's one CONNECT), a WebSocket;
# an origin with a wrong name and a parent that cannot reach the origin
# give 502s that say why; a PAC file's PROXY answer goes the same way
t_tlsu_via_parent() {
	tlsu_ready tlsu_via_parent || return
	par_start par_tvp --auth basic --user "$PAR_USER" --domain "$PAR_DOM" \
	    --password "$PAR_PW" || { par_stop_all; return; }
	_pp=$PARENT
	tlsu_origin_start tlsu_vp_o "$T/tlsu_good.pem" && _op=$OPORT &&
	    tlsu_origin_start tlsu_vp_x "$T/tlsu_other.pem" && _ox=$OPORT || {
		fail tlsu_via_parent "a TLS origin did not start"
		par_stop_all; tlsu_stop_all; return; }
	par_proxy tlsu_vp "$PAR_PW" --num-workers 1 --proxy "127.0.0.1:$_pp" \
	    --username "$PAR_DOM\\$PAR_USER" --auth BASIC \
	    --ca-bundle "$T/tlsu_ca.pem" || { par_stop_all; tlsu_stop_all; return; }
	_u=https://localhost:$_op
	rm -f "$T/tvp_b1" "$T/tvp_b2" "$T/tvp_st"
	pcurl --request-target "$_u/size/1000000" "http://localhost:$_op/" \
	    -o "$T/tvp_b1" --next -x "$PROXY_URL" --noproxy '' \
	    --request-target "$_u/chunked/700000" "http://localhost:$_op/" \
	    -o "$T/tvp_b2" --next -x "$PROXY_URL" --noproxy '' \
	    --request-target "$_u/stats" "http://localhost:$_op/" \
	    -o "$T/tvp_st" 2>"$T/curl.err"
	_rc=$?
	par_stats "$_pp"
	_bad=
	if [ $_rc != 0 ] || [ "$(sha_file "$T/tvp_b1")" != "$(sha_pat 1000000)" ] ||
	    [ "$(sha_file "$T/tvp_b2")" != "$(sha_pat 700000)" ]; then
		_bad="GET $_u/size/1000000 and /chunked/700000 through the parent: curl rc $_rc, $(wc -c <"$T/tvp_b1" 2>/dev/null) and $(wc -c <"$T/tvp_b2" 2>/dev/null) bytes: $(head -c 200 "$T/tvp_b1" 2>/dev/null) $(head -c 200 "$T/curl.err")"
	elif ! grep -q '"connections": 2,' "$T/tvp_st" ||
	    ! grep -q '"requests": 3,' "$T/tvp_st"; then
		_bad="three requests on one client connection: the origin saw $(cat "$T/tvp_st"); want 2 connections (the port probe and the tunnel), 3 requests"
	elif [ "$PS_requests" != 1 ] || [ "$PS_logins" != 1 ]; then
		_bad="the parent saw $(par_summary); want one request (our CONNECT) with one Basic login"
	elif ! grep -q "access .* GET localhost:$_op /chunked/700000 200 .* PROXY 127.0.0.1:$_pp" "$LOG"; then
		_bad="no access line 'GET localhost:$_op /chunked/700000 200 ... PROXY 127.0.0.1:$_pp': $(grep access "$LOG" | tail -n 1)"
	fi
	if [ -z "$_bad" ]; then
		raw --send "GET wss://localhost:$_op/ws HTTP/1.1\r\nHost: localhost:$_op\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" \
		    --count 1
		[ "$(resp 1 status)" = 101 ] ||
		    _bad="GET wss://localhost:$_op/ws through the parent: status '$(resp 1 status)', want 101: $(head -c 300 "$T/raw")"
	fi
	_closed=$(freeport)
	if [ -z "$_bad" ]; then
		tlsu_get "$_ox" /size/10
		if [ "$CODE" != 502 ] || ! grep -q "certificate name mismatch" "$T/body"; then
			_bad="an origin with another name through the parent: status $CODE, '$(head -c 200 "$T/body")'; want a 502 saying certificate name mismatch"
		else
			tlsu_get "$_closed" /size/10
			grep -q "parent proxy 127.0.0.1:$_pp refused CONNECT localhost:$_closed: 502 " "$T/body" ||
			    _bad="a closed port behind the parent: status $CODE, '$(head -c 200 "$T/body")'; want a 502 naming the parent's 502"
		fi
	fi
	stop_proxy tlsu_vp
	if [ -z "$_bad" ]; then
		printf 'function FindProxyForURL(url, host) {\n  if (url.substring(0, 6) == "https:") return "PROXY 127.0.0.1:%s";\n  return "DIRECT";\n}\n' \
		    "$_pp" >"$T/tvp.pac"
		par_proxy tlsu_vp "$PAR_PW" --num-workers 1 --pac "$T/tvp.pac" \
		    --username "$PAR_DOM\\$PAR_USER" --auth BASIC \
		    --ca-bundle "$T/tlsu_ca.pem" || { par_stop_all; tlsu_stop_all; return; }
		tlsu_get "$_op" /size/5000
		if [ "$CODE" != 200 ] || ! body_is_pattern 5000; then
			_bad="with a PAC file answering PROXY for https:// URLs: status $CODE, $(head -c 200 "$T/body")"
		elif ! grep -q "access .* GET localhost:$_op /size/5000 200 .* PROXY 127.0.0.1:$_pp" "$LOG"; then
			_bad="the PAC route: no access line 'GET localhost:$_op /size/5000 200 ... PROXY 127.0.0.1:$_pp': $(grep access "$LOG" | tail -n 1)"
		fi
		stop_proxy tlsu_vp
	fi
	# no login for a parent that wants one: its 407 is named
	if [ -z "$_bad" ]; then
		start_proxy tlsu_vp --num-workers 1 --proxy "127.0.0.1:$_pp" \
		    --auth NONE --ca-bundle "$T/tlsu_ca.pem" || _bad="$START_ERR"
		[ -z "$_bad" ] && tlsu_get "$_op" /size/10
		stop_proxy tlsu_vp
		if [ -z "$_bad" ] && { [ "$CODE" != 502 ] ||
		    ! grep -q "refused CONNECT localhost:$_op: 407 .*it wants a login" "$T/body"; }; then
			_bad="--auth NONE to a parent that wants a login: status $CODE, '$(head -c 200 "$T/body")'; want a 502 naming its 407"
		fi
	fi
	if [ -n "$_bad" ]; then
		fail tlsu_via_parent "$_bad"
		par_evidence par_tvp
	else
		pass tlsu_via_parent
	fi
	par_stop_all
	tlsu_stop_all
}

# tlsu_run_magic OUT URL PROXY [flags]: ./proxy --magic URL --proxy PROXY,
# bounded, its output in $T/OUT, its exit status in MAGIC_RC
tlsu_run_magic() {
	_mo=$1
	_mu=$2
	_mp=$3
	shift 3
	PROXY_PASSWORD=$PAR_PW
	export PROXY_PASSWORD
	par_bounded 30 "$PROXY_BIN" --magic "$_mu" --proxy "$_mp" \
	    --username "$PAR_DOM\\$PAR_USER" "$@" >"$T/$_mo" 2>&1 </dev/null
	MAGIC_RC=$?
	unset PROXY_PASSWORD
}

# --magic against an https:// parent (the test NTLM parent behind TLS,
# verified with --ca-bundle), and --magic with an https:// URL (asked
# with CONNECT host:port, as a browser would) through a plain parent;
# an https:// parent the bundle does not trust: exit 1 saying why
t_tlsu_magic() {
	tlsu_ready tlsu_magic || return
	tls_certs || { skip tlsu_magic "$TLS_SKIP"; return; }	# tls_ec.pem: a bundle without the test CA
	par_ntlm par_tmg --tls "$T/tlsu_good.pem" "$T/tlsu.key" || {
		par_stop_all; return; }
	_tp=$PARENT
	par_ntlm par_tmg2 || { par_stop_all; return; }
	_pp=$PARENT
	tlsu_run_magic tmg1.out "$OURL/size/10" "https://localhost:$_tp" \
	    --ca-bundle "$T/tlsu_ca.pem"
	_rc1=$MAGIC_RC
	tlsu_run_magic tmg2.out "https://localhost:$O4/" "127.0.0.1:$_pp"
	_rc2=$MAGIC_RC
	par_stats "$_pp"
	tlsu_run_magic tmg3.out "$OURL/size/10" "https://localhost:$_tp" \
	    --ca-bundle "$T/tls_ec.pem"
	_rc3=$MAGIC_RC
	if [ $_rc1 != 0 ] || ! grep -qE '^NTLMv2 .*200' "$T/tmg1.out"; then
		fail tlsu_magic "--magic through --proxy https://localhost:$_tp: exit $_rc1: $(head -c 300 "$T/tmg1.out")"
	elif [ $_rc2 != 0 ] || ! grep -qE '^NTLMv2 .*200' "$T/tmg2.out"; then
		fail tlsu_magic "--magic https://localhost:$O4/ through a plain parent: exit $_rc2: $(head -c 300 "$T/tmg2.out")"
	elif [ "$PS_requests" != 1 ] || [ "$PS_logins" != 1 ]; then
		fail tlsu_magic "--magic https://: the parent saw $(par_summary); want one login and one request (the CONNECT)"
	elif [ $_rc3 != 1 ] || ! grep -q "TLS to localhost:$_tp: unknown CA" "$T/tmg3.out"; then
		fail tlsu_magic "--magic through an https:// parent the bundle does not know: exit $_rc3, '$(head -c 300 "$T/tmg3.out")'; want 1 and 'unknown CA'"
	else
		pass tlsu_magic
	fi
	par_stop_all
}

# --pac https://...: the PAC file fetched over TLS (here from our own
# proxy's TLS port, which serves it), verified with --ca-bundle; with a
# bundle that does not know the server, --pac-test says why
t_tlsu_pac() {
	tlsu_ready tlsu_pac || return
	tls_certs || { skip tlsu_pac "$TLS_SKIP"; return; }	# tls_ec.pem: a bundle without the test CA
	if ! start_proxy tlsu_pacs --num-workers 1 --cert-file "$T/tlsu_good.pem" \
	    --key-file "$T/tlsu.key" --pac-file \
	    'function FindProxyForURL(url, host) { return "PROXY fetched.test:3128"; }'; then
		fail tlsu_pac "$START_ERR"
		return
	fi
	_u=https://localhost:$P/
	timeout 20 "$PROXY_BIN" --pac "$_u" --ca-bundle "$T/tlsu_ca.pem" \
	    --pac-test http://example.test/ >"$T/tpac1.out" 2>&1 </dev/null
	_rc1=$?
	timeout 20 "$PROXY_BIN" --pac "$_u" --ca-bundle "$T/tls_ec.pem" \
	    --pac-test http://example.test/ >"$T/tpac2.out" 2>&1 </dev/null
	_rc2=$?
	if [ $_rc1 != 0 ] || [ "$(cat "$T/tpac1.out")" != "PROXY fetched.test:3128" ]; then
		fail tlsu_pac "--pac $_u --pac-test: exit $_rc1, '$(head -c 300 "$T/tpac1.out")'"
	elif [ $_rc2 != 1 ] || ! grep -q "$_u: TLS to localhost:$P: unknown CA" "$T/tpac2.out"; then
		fail tlsu_pac "--pac $_u with a bundle that does not know it: exit $_rc2, '$(head -c 300 "$T/tpac2.out")'; want 1 and 'unknown CA'"
	else
		pass tlsu_pac
	fi
	stop_proxy tlsu_pacs
}

# an absolute-form wss:// WebSocket handshake goes to the origin over
# TLS, and the 101 turns the connection into a tunnel through the engine
t_tlsu_wss() {
	tlsu_ready tlsu_wss || return
	tlsu_origin_start tlsu_w "$T/tlsu_good.pem" || {
		fail tlsu_wss "the TLS origin did not start"; return; }
	_op=$OPORT
	if ! start_proxy tlsu_ws --num-workers 1 --ca-bundle "$T/tlsu_ca.pem"; then
		fail tlsu_wss "$START_ERR"
		tlsu_stop_all
		return
	fi
	raw --send "GET wss://localhost:$_op/ws HTTP/1.1\r\nHost: localhost:$_op\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n" \
	    --count 1
	if [ "$(resp 1 status)" != 101 ]; then
		fail tlsu_wss "GET wss://localhost:$_op/ws: status '$(resp 1 status)', want 101: $(head -c 300 "$T/raw")"
	else
		pass tlsu_wss
	fi
	stop_proxy tlsu_ws
	tlsu_stop_all
}

# built without TLS: the flags exit 2 and https:// URIs get a 400
t_tlsu_without() {
	if tls_built; then
		skip tlsu_without "./proxy is built with TLS"
		return
	fi
	tls_refused tlsu_without "--ca-bundle" "built without TLS" \
	    --ca-bundle /dev/null || return
	tls_refused tlsu_without "--insecure-upstream" "built without TLS" \
	    --insecure-upstream || return
	tls_refused tlsu_without "--proxy https://" "built without TLS" \
	    --proxy https://127.0.0.1:1 || return
	tls_refused tlsu_without "--ca-cert-dir" "built without TLS" \
	    --ca-cert-dir "$T/tlsu_w_certs" || return
	if ! start_proxy tlsu_w; then
		fail tlsu_without "$START_ERR"
		return
	fi
	fetch --request-target "https://localhost:$O4/size/10" \
	    "http://localhost:$O4/"
	timeout 10 "$PROXY_BIN" --pac "https://localhost:$O4/x.pac" \
	    --pac-test http://example.test/ >"$T/tlsu_w.pac" 2>&1 </dev/null
	_prc=$?
	if [ "$CODE" != 400 ] || ! grep -q "built without TLS" "$T/body"; then
		fail tlsu_without "GET https:// without TLS: status $CODE, '$(head -c 200 "$T/body")'; want a 400 saying built without TLS"
	elif [ $_prc != 1 ] || ! grep -q "built without TLS" "$T/tlsu_w.pac"; then
		fail tlsu_without "--pac https://... --pac-test without TLS: exit $_prc, '$(head -c 200 "$T/tlsu_w.pac")'; want 1 and built without TLS"
	else
		pass tlsu_without
	fi
	stop_proxy tlsu_w
}
