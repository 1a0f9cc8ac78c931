# Certificates the proxy mints itself (--gen-ca, --gen-cert, certs.sh,
# make ca-certificates / https-certificates), checked by OpenSSL, Python's
# ssl module and curl; sourced by tests.sh. Every case skips when ./proxy
# is built without TLS, except certs_without.

CASES="${CASES:-} certs_ca certs_leaf certs_ip certs_python certs_proxy_tls
certs_refuse certs_bad_input certs_make certs_without"

# certs_ready CASE: skips CASE (returns 1) unless TLS and openssl are here
certs_ready() {
	if ! tls_built; then
		skip "$1" "./proxy is built without TLS"
		return 1
	fi
	if ! have openssl; then
		skip "$1" "openssl is not installed"
		return 1
	fi
	return 0
}

# certs_run CASE OUT ARGS...: ./proxy ARGS, stdout+stderr in $T/OUT,
# status in GEN_RC
certs_run() {
	_cc=$1
	_co=$2
	shift 2
	"$PROXY_BIN" "$@" >"$T/$_co" 2>&1 </dev/null
	GEN_RC=$?
}

# certs_ca_dir: one CA for the cases, made once in $T/ca
certs_ca_dir() {
	CA=$T/ca
	[ -f "$CA/ca-cert.pem" ] && return 0
	mkdir -p "$CA"
	certs_run certs_ca gen_ca.out --gen-ca "$CA"
	[ "$GEN_RC" = 0 ]
}

# mode FILE: its permission bits, as 600
mode() {
	"$PY" -c 'import os, sys; print("%o" % (os.stat(sys.argv[1]).st_mode & 0o777))' "$1"
}

t_certs_ca() {
	certs_ready certs_ca || return
	if ! certs_ca_dir; then
		fail certs_ca "--gen-ca exited $GEN_RC: $(head -c 300 "$T/gen_ca.out")"
		return
	fi
	for f in ca-key.pem ca-cert.pem ca-signing-key.pem; do
		if [ ! -s "$CA/$f" ]; then
			fail certs_ca "$f was not written"
			return
		fi
	done
	openssl x509 -in "$CA/ca-cert.pem" -noout -text >"$T/ca.txt" 2>&1
	if ! grep -q 'CA:TRUE' "$T/ca.txt" ||
	    ! grep -q 'Certificate Sign' "$T/ca.txt" ||
	    ! grep -q 'Subject Key Identifier' "$T/ca.txt"; then
		fail certs_ca "the CA lacks CA:TRUE, keyCertSign or its SKI:"
		evidence "$T/ca.txt" 30
		return
	fi
	if ! openssl verify -x509_strict -CAfile "$CA/ca-cert.pem" \
	    "$CA/ca-cert.pem" >"$T/ca.verify" 2>&1; then
		fail certs_ca "openssl verify of the CA itself: $(head -c 300 "$T/ca.verify")"
		return
	fi
	for f in ca-key.pem ca-signing-key.pem; do
		if [ "$(mode "$CA/$f")" != 600 ]; then
			fail certs_ca "$f has mode $(mode "$CA/$f"), want 600"
			return
		fi
		if ! openssl pkey -in "$CA/$f" -noout 2>"$T/pkey.err"; then
			fail certs_ca "openssl cannot read $f: $(head -c 200 "$T/pkey.err")"
			return
		fi
	done
	pass certs_ca
}

# certs_leaf_for HOST NAME [flags]: $T/NAME.pem and $T/NAME.key for HOST,
# signed by the test CA
certs_leaf_for() {
	_lh=$1
	_ln=$2
	shift 2
	rm -f "$T/$_ln.pem" "$T/$_ln.key"
	certs_run certs_leaf "$_ln.out" --gen-cert "$_lh" --ca-cert-file \
	    "$CA/ca-cert.pem" --ca-key-file "$CA/ca-key.pem" \
	    --cert-file "$T/$_ln.pem" --key-file "$T/$_ln.key" "$@"
	[ "$GEN_RC" = 0 ]
}

# days CERT: notAfter - notBefore, in days (a fraction)
days() {
	"$PY" - "$1" <<'EOF'
import subprocess, sys
from datetime import datetime
out = subprocess.run(["openssl", "x509", "-in", sys.argv[1], "-noout",
                      "-startdate", "-enddate"], capture_output=True,
                     text=True).stdout.split("\n")
fmt = "%b %d %H:%M:%S %Y GMT"
nb = datetime.strptime(" ".join(out[0].split("=", 1)[1].split()), fmt)
na = datetime.strptime(" ".join(out[1].split("=", 1)[1].split()), fmt)
now = datetime.utcnow()
ok = nb < now < na
print("%.3f %s" % ((na - nb).total_seconds() / 86400, "now-inside" if ok else "now-outside"))
EOF
}

t_certs_leaf() {
	certs_ready certs_leaf || return
	if ! certs_ca_dir; then
		fail certs_leaf "--gen-ca exited $GEN_RC"
		return
	fi
	for kt in ec rsa; do
		if ! certs_leaf_for example.test "leaf_$kt" --key-type $kt; then
			fail certs_leaf "--gen-cert ($kt) exited $GEN_RC: $(head -c 300 "$T/leaf_$kt.out")"
			return
		fi
		if ! openssl verify -x509_strict -CAfile "$CA/ca-cert.pem" \
		    "$T/leaf_$kt.pem" >"$T/leaf.verify" 2>&1; then
			fail certs_leaf "openssl verify -x509_strict ($kt): $(head -c 300 "$T/leaf.verify")"
			return
		fi
		openssl x509 -in "$T/leaf_$kt.pem" -noout -text >"$T/leaf.txt"
		for want in 'DNS:example.test' 'TLS Web Server Authentication' \
		    'CA:FALSE' 'Digital Signature' 'Authority Key Identifier'; do
			if ! grep -q "$want" "$T/leaf.txt"; then
				fail certs_leaf "the $kt leaf lacks '$want':"
				evidence "$T/leaf.txt" 40
				return
			fi
		done
		if [ $kt = rsa ] && ! grep -q 'Key Encipherment' "$T/leaf.txt"
		then
			fail certs_leaf "the RSA leaf lacks keyEncipherment"
			return
		fi
		d=$(days "$T/leaf_$kt.pem")
		if ! "$PY" -c 'import sys; d, w = sys.argv[1].split(); sys.exit(not (float(d) <= 397 and w == "now-inside"))' "$d"; then
			fail certs_leaf "validity '$d': want at most 397 days, now inside"
			return
		fi
		if [ "$(mode "$T/leaf_$kt.key")" != 600 ]; then
			fail certs_leaf "the $kt key has mode $(mode "$T/leaf_$kt.key")"
			return
		fi
	done
	pass certs_leaf
}

t_certs_ip() {
	certs_ready certs_ip || return
	certs_ca_dir || { fail certs_ip "--gen-ca exited $GEN_RC"; return; }
	for h in 192.0.2.7 2001:db8::7; do
		if ! certs_leaf_for "$h" leaf_ip; then
			fail certs_ip "--gen-cert $h exited $GEN_RC: $(head -c 300 "$T/leaf_ip.out")"
			return
		fi
		openssl x509 -in "$T/leaf_ip.pem" -noout -ext subjectAltName \
		    >"$T/ip.txt" 2>&1
		want=$(echo "$h" | sed 's/2001:db8::7/2001:DB8:0:0:0:0:0:7/')
		if ! grep -q "IP Address:$want" "$T/ip.txt"; then
			fail certs_ip "no IP SAN $want: $(tr '\n' ' ' <"$T/ip.txt")"
			return
		fi
		if ! openssl verify -x509_strict -CAfile "$CA/ca-cert.pem" \
		    "$T/leaf_ip.pem" >"$T/leaf.verify" 2>&1; then
			fail certs_ip "openssl verify: $(head -c 300 "$T/leaf.verify")"
			return
		fi
	done
	pass certs_ip
}

# Python's ssl with check_hostname (and, from 3.13, VERIFY_X509_STRICT)
# accepts a server presenting the minted leaf for its name
t_certs_python() {
	certs_ready certs_python || return
	certs_ca_dir || { fail certs_python "--gen-ca exited $GEN_RC"; return; }
	if ! certs_leaf_for www.example.test leaf_py; then
		fail certs_python "--gen-cert exited $GEN_RC"
		return
	fi
	if ! "$PY" - "$CA/ca-cert.pem" "$T/leaf_py.pem" "$T/leaf_py.key" \
	    >"$T/py.out" 2>&1 <<'EOF'
import socket, ssl, sys, threading
ca, cert, key = sys.argv[1:4]
srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
srv.load_cert_chain(cert, key)
ls = socket.socket()
ls.bind(("127.0.0.1", 0))
ls.listen(1)
def serve():
    c, _ = ls.accept()
    try:
        with srv.wrap_socket(c, server_side=True) as s:
            s.sendall(b"hello")
    except Exception:
        pass
t = threading.Thread(target=serve, daemon=True)
t.start()
ctx = ssl.create_default_context(cafile=ca)
if hasattr(ssl, "VERIFY_X509_STRICT"):
    ctx.verify_flags |= ssl.VERIFY_X509_STRICT
assert ctx.check_hostname
with socket.create_connection(ls.getsockname(), timeout=10) as raw:
    with ctx.wrap_socket(raw, server_hostname="www.example.test") as s:
        assert s.recv(5) == b"hello"
# a wrong name is refused
ls2 = ls
t = threading.Thread(target=serve, daemon=True)
t.start()
try:
    with socket.create_connection(ls.getsockname(), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname="other.test") as s:
            s.recv(5)
    print("a wrong name was accepted")
    sys.exit(1)
except ssl.SSLCertVerificationError:
    pass
print("ok")
EOF
	then
		fail certs_python "python ssl: $(tail -n 3 "$T/py.out" | tr '\n' ' ')"
		return
	fi
	pass certs_python
}

# the minted leaf as the proxy's own certificate, trusted through the CA
t_certs_proxy_tls() {
	certs_ready certs_proxy_tls || return
	certs_ca_dir || { fail certs_proxy_tls "--gen-ca exited $GEN_RC"; return; }
	if ! certs_leaf_for 127.0.0.1 leaf_px; then
		fail certs_proxy_tls "--gen-cert exited $GEN_RC"
		return
	fi
	if ! start_proxy certspx --cert-file "$T/leaf_px.pem" --key-file \
	    "$T/leaf_px.key"; then
		fail certs_proxy_tls "$START_ERR"
		return
	fi
	PROXY_URL=https://127.0.0.1:$P
	fetch "$OURL/size/100000" --proxy-cacert "$CA/ca-cert.pem"
	if [ "$CODE" != 200 ] || ! body_is_pattern 100000; then
		fail certs_proxy_tls "curl -x $PROXY_URL --proxy-cacert ca-cert.pem: status $CODE, curl rc $CURL_RC $(head -c 200 "$T/curl.err")"
		return
	fi
	pass certs_proxy_tls
}

t_certs_refuse() {
	certs_ready certs_refuse || return
	certs_ca_dir || { fail certs_refuse "--gen-ca exited $GEN_RC"; return; }
	before=$(cksum <"$CA/ca-key.pem")
	certs_run certs_refuse again.out --gen-ca "$CA"
	if [ "$GEN_RC" != 1 ] || ! grep -q 'exists (--force replaces it)' \
	    "$T/again.out"; then
		fail certs_refuse "--gen-ca over a CA: status $GEN_RC, '$(head -c 200 "$T/again.out")'"
		return
	fi
	if [ "$(cksum <"$CA/ca-key.pem")" != "$before" ]; then
		fail certs_refuse "the CA key changed without --force"
		return
	fi
	certs_leaf_for a.test leaf_rf || { fail certs_refuse "--gen-cert exited $GEN_RC"; return; }
	before=$(cksum <"$T/leaf_rf.key")
	certs_run certs_refuse again.out --gen-cert a.test \
	    --cert-file "$T/leaf_rf.pem" --key-file "$T/leaf_rf.key"
	if [ "$GEN_RC" != 1 ] || [ "$(cksum <"$T/leaf_rf.key")" != "$before" ]
	then
		fail certs_refuse "--gen-cert over a key: status $GEN_RC (want 1), key changed: $(head -c 200 "$T/again.out")"
		return
	fi
	certs_run certs_refuse again.out --gen-cert a.test --force \
	    --cert-file "$T/leaf_rf.pem" --key-file "$T/leaf_rf.key"
	if [ "$GEN_RC" != 0 ] || [ "$(cksum <"$T/leaf_rf.key")" = "$before" ] ||
	    [ "$(mode "$T/leaf_rf.key")" != 600 ]; then
		fail certs_refuse "--force: status $GEN_RC, key replaced? mode $(mode "$T/leaf_rf.key"): $(head -c 200 "$T/again.out")"
		return
	fi
	if ls "$T"/leaf_rf.*.tmp.* >/dev/null 2>&1; then
		fail certs_refuse "a temporary file was left behind"
		return
	fi
	pass certs_refuse
}

# certs_bad CASE WANT ARGS...: exit status 2 and WANT on stderr
certs_bad() {
	_bc=$1
	_bw=$2
	shift 2
	certs_run "$_bc" bad.out "$@"
	if [ "$GEN_RC" != 2 ] || ! grep -q -- "$_bw" "$T/bad.out"; then
		fail "$_bc" "$*: status $GEN_RC (want 2), '$(head -c 200 "$T/bad.out")' does not say '$_bw'"
		return 1
	fi
	return 0
}

t_certs_bad_input() {
	certs_ready certs_bad_input || return
	certs_ca_dir || { fail certs_bad_input "--gen-ca exited $GEN_RC"; return; }
	long=$("$PY" -c 'print(".".join(["a" * 50] * 5))')	# 254 bytes
	o="--cert-file $T/bad.pem --key-file $T/bad.key"
	# shellcheck disable=SC2086 (o is a list of words)
	certs_bad certs_bad_input "--gen-cert: 'a b' is not" \
	    --gen-cert 'a b' $o || return
	# shellcheck disable=SC2086
	certs_bad certs_bad_input "--gen-cert: '$long' is not" \
	    --gen-cert "$long" $o || return
	# shellcheck disable=SC2086
	certs_bad certs_bad_input "--ca-cert-file: $T/nope" --gen-cert a.test \
	    --ca-cert-file "$T/nope" --ca-key-file "$CA/ca-key.pem" $o || return
	# shellcheck disable=SC2086
	certs_bad certs_bad_input "--ca-key-file: .*does not match" \
	    --gen-cert a.test --ca-cert-file "$CA/ca-cert.pem" \
	    --ca-key-file "$CA/ca-signing-key.pem" $o || return
	# shellcheck disable=SC2086
	certs_bad certs_bad_input "--ca-key-file: a CA needs both" \
	    --gen-cert a.test --ca-key-file "$CA/ca-key.pem" $o || return
	# shellcheck disable=SC2086
	certs_bad certs_bad_input "--key-type: 'dsa' is not" \
	    --gen-cert a.test --key-type dsa $o || return
	certs_bad certs_bad_input "--gen-ca: $T/nodir: " --gen-ca "$T/nodir" ||
	    return
	if [ -e "$T/bad.key" ] || [ -e "$T/bad.pem" ]; then
		fail certs_bad_input "a refused --gen-cert wrote a file"
		return
	fi
	pass certs_bad_input
}

# make ca-certificates and https-certificates in a copy of the tree
t_certs_make() {
	certs_ready certs_make || return
	if ! have make; then
		skip certs_make "make is not installed"
		return
	fi
	if [ -n "${PROXY_QEMU:-}" ]; then
		skip certs_make "under qemu-user: make's targets run the tree's ./proxy, a $PROXY_QEMU binary the host cannot run without binfmt"
		return
	fi
	d=$T/tree
	rm -rf "$d"
	mkdir -p "$d"
	# the top-level files, with their times: the built proxy stays built
	for f in "$ROOT"/*; do
		[ -f "$f" ] && cp -p "$f" "$d/"
	done
	rm -f "$d"/ca-*.pem "$d"/https-*.pem
	if ! make -C "$d" https-certificates >"$T/make.out" 2>&1; then
		fail certs_make "make https-certificates (no CA):"
		evidence "$T/make.out"
		return
	fi
	if ! grep -q 'self-signed' "$T/make.out" ||
	    ! openssl verify -CAfile "$d/https-cert.pem" "$d/https-cert.pem" \
	    >/dev/null 2>&1; then
		fail certs_make "https-certificates without a CA is not a verifiable self-signed certificate"
		evidence "$T/make.out"
		return
	fi
	if ! make -C "$d" ca-certificates >>"$T/make.out" 2>&1 ||
	    [ ! -s "$d/ca-signing-key.pem" ]; then
		fail certs_make "make ca-certificates:"
		evidence "$T/make.out"
		return
	fi
	if make -C "$d" https-certificates >>"$T/make.out" 2>&1; then
		fail certs_make "make https-certificates replaced an existing key"
		return
	fi
	if ! make -C "$d" https-certificates FORCE=1 >>"$T/make.out" 2>&1 ||
	    ! openssl verify -x509_strict -CAfile "$d/ca-cert.pem" \
	    "$d/https-cert.pem" >"$T/make.verify" 2>&1; then
		fail certs_make "make https-certificates FORCE=1 with the CA: $(head -c 200 "$T/make.verify")"
		evidence "$T/make.out"
		return
	fi
	if [ "$(mode "$d/https-key.pem")" != 600 ] ||
	    [ "$(mode "$d/ca-key.pem")" != 600 ]; then
		fail certs_make "key modes $(mode "$d/https-key.pem") $(mode "$d/ca-key.pem"), want 600"
		return
	fi
	pass certs_make
}

t_certs_without() {
	if tls_built; then
		skip certs_without "./proxy is built with TLS"
		return
	fi
	certs_bad certs_without "--gen-ca: built without TLS" --gen-ca "$T" ||
	    return
	certs_bad certs_without "--gen-cert: built without TLS" \
	    --gen-cert a.test --key-file "$T/x.key" --cert-file "$T/x.pem" ||
	    return
	pass certs_without
}
