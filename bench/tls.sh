# bench/tls.sh: the TLS section of the benchmark (issue 13), sourced by
# bench/bench.sh, which provides launch, stop_pid, rec, med, ratio,
# rss_kib, pss_kib, cpu_ticks, rotate, the tunnels tool ($T), the work
# directory ($W) and the settings (ROUNDS, SECS, BULK_N, ...). POSIX sh.
#
# ./proxy intercepting (its own CA from --gen-ca), squid-openssl with
# ssl-bump and mitmproxy (mitmdump), each with its own CA made here, in
# front of an nginx HTTPS server whose certificate comes from a
# throwaway CA made here too; "direct" is the same client talking TLS to
# nginx itself, "blind" a CONNECT tunnel through ./proxy that it does
# not decrypt (--no-intercept 127.0.0.1). The client is bench/tlsload.c
# (OpenSSL, every handshake a full one); bulk downloads are curl's.
#
# nginx serves HTTPS on two ports: ORIGIN_TLS keeps connections alive,
# ORIGIN_TLSC closes each after its response (keepalive_timeout 0). The
# connection-rate and first-connection figures go through ORIGIN_TLSC,
# so that every proxy does both handshakes for every connection (./proxy
# would otherwise reuse its pooled origin connection, and do one); the
# row "proxy, pooled" is ./proxy through ORIGIN_TLS, for comparison.
#
# Entry points, in the order bench.sh calls them:
#   tls_prepare     decide whether the section runs (TL_ON, TL_WHY), make
#                   the certificates, compile tlsload; sets TL_NGINX, the
#                   HTTPS server block for nginx.conf
#   tls_run         start the peers, measure, stop the peers
#   tls_report      write the section of the report to $W/report.tls

TL_ON=0
TL_WHY=
: >"$W/notes.tls"
tl_note() { printf '%s\n' "$*" >>"$W/notes.tls"; }
TL_NGINX=
TL_D=$W/tls
TL_THREADS=8            # tlsload rate: processes, one connection each
TL_KA_THREADS=2         # tlsload ka: like wrk -t2 -c50
TL_KA_CONNS=25
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	TL_FIRST_N=${BENCH_TLS_FIRST:-50}
else
	TL_FIRST_N=${BENCH_TLS_FIRST:-200}
fi
TL_IDLE_N=${BENCH_TLS_IDLE:-$HOLD_N}
TL_PEERS=${BENCH_TLS_PEERS:-"proxy squid mitmproxy"}
# The load clients (tlsload rate and ka, several processes) run at nice
# 10: 8 client processes at the same priority as nginx's one worker
# starved it (CFS shares the cores per process): direct TLS then ran at
# a third of the blind tunnel's rate through ./proxy, and single-process
# peers (squid, mitmproxy) lose the same way. Lower, the load generator
# takes what the servers leave. The one-process clients (first
# connection, curl, the idle connections) run as usual: their own time
# is in what they measure.
TL_NICE=
command -v nice >/dev/null 2>&1 && TL_NICE="nice -n 10"

# the display name of each TLS peer, and its results' name
tl_label() {
	case $1 in
	tdirect) echo "direct" ;;
	tblind) echo "blind CONNECT" ;;
	tproxy) echo "proxy" ;;
	tpool) echo "proxy, pooled" ;;
	tsquid) echo "squid-openssl" ;;
	tmitm) echo "mitmproxy" ;;
	esac
}

# openssl_ca NAME CN: an EC P-256 CA, $TL_D/NAME.pem and NAME.key
openssl_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -days 3 -subj "/CN=$2" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign \
	    -keyout "$TL_D/$1.key" -out "$TL_D/$1.pem" >>"$W/log/tls-certs.log" 2>&1
}

# the origin's certificate: localhost and *.bench.test (the names the
# first-connection run asks for, which squid and mitmproxy pass on to
# the origin as SNI), signed by the throwaway origin CA
origin_cert() {
	openssl_ca origin-ca "bench origin CA" || return 1
	printf '%s\n' "subjectAltName=DNS:localhost,DNS:*.bench.test,IP:127.0.0.1,IP:::1" \
	    "basicConstraints=CA:FALSE" "keyUsage=digitalSignature" \
	    "extendedKeyUsage=serverAuth" >"$TL_D/origin.ext"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=localhost -keyout "$TL_D/origin.key" \
	    -out "$TL_D/origin.csr" >>"$W/log/tls-certs.log" 2>&1 &&
	openssl x509 -req -in "$TL_D/origin.csr" -CA "$TL_D/origin-ca.pem" \
	    -CAkey "$TL_D/origin-ca.key" -CAcreateserial -days 3 \
	    -extfile "$TL_D/origin.ext" -out "$TL_D/origin.pem" \
	    >>"$W/log/tls-certs.log" 2>&1
}

tls_prepare() {
	if [ "${BENCH_TLS:-1}" = 0 ]; then
		TL_WHY="skipped (BENCH_TLS=0)"
		return
	fi
	if ! "$PROXY" --version 2>/dev/null | grep -q ' tls'; then
		TL_WHY="skipped: ./proxy is built without TLS (make TLS=0, or no libbearssl-dev)"
		return
	fi
	if ! command -v openssl >/dev/null 2>&1; then
		TL_WHY="skipped: no openssl command (Debian's openssl package)"
		return
	fi
	if ! cc -O2 -o "$W/tlsload" "$B/tlsload.c" -lssl -lcrypto \
	    2>"$W/log/tlsload-cc.err"; then
		TL_WHY="skipped: bench/tlsload.c does not build (libssl-dev?): $(head -n 2 "$W/log/tlsload-cc.err" | tr '\n' ' ')"
		return
	fi
	mkdir -p "$TL_D/pca"
	if ! origin_cert; then
		TL_WHY="skipped: openssl could not make the origin's certificates: $(tail -n 2 "$W/log/tls-certs.log" | tr '\n' ' ')"
		return
	fi
	# ./proxy's CA, and the certificate of its TLS listener, its own way
	if ! (cd "$TL_D/pca" && "$PROXY" --gen-ca . &&
	    "$PROXY" --gen-cert localhost --ca-cert-file ca-cert.pem \
	    --ca-key-file ca-key.pem) >>"$W/log/tls-certs.log" 2>&1; then
		TL_WHY="skipped: ./proxy --gen-ca / --gen-cert failed: $(tail -n 2 "$W/log/tls-certs.log" | tr '\n' ' ')"
		return
	fi
	TL_ON=1
	# the peers may try ::1 first for localhost
	_v6=0
	[ -r /proc/net/if_inet6 ] && grep -q '^0*1 ' /proc/net/if_inet6 && _v6=1
	TL_NGINX="$(tl_server "$ORIGIN_TLS" $_v6 "")
	$(tl_server "$ORIGIN_TLSC" $_v6 "keepalive_timeout 0;")"
}

# tl_server PORT V6 EXTRA: an nginx HTTPS server block. TLS 1.2 and 1.3
# (nginx 1.22's default has no 1.3); the client never asks to resume.
tl_server() {
	_l="listen 127.0.0.1:$1 ssl;"
	[ "$2" = 1 ] && _l="$_l listen [::1]:$1 ssl;"
	echo "server { $_l root $W/www; $3
		ssl_certificate $TL_D/origin.pem; ssl_certificate_key $TL_D/origin.key;
		ssl_protocols TLSv1.2 TLSv1.3; }"
}

# ---------------------------------------------------------------- peers

tl_start_proxy() {
	launch tproxy "$PROXY" --port "$PORT_tproxy" \
	    --tls-listen "127.0.0.1:$PORT_tproxy_tls" \
	    --cert-file "$TL_D/pca/https-cert.pem" \
	    --key-file "$TL_D/pca/https-key.pem" \
	    --ca-cert-file "$TL_D/pca/ca-cert.pem" \
	    --ca-key-file "$TL_D/pca/ca-key.pem" \
	    --ca-signing-key-file "$TL_D/pca/ca-signing-key.pem" \
	    --ca-bundle "$TL_D/origin-ca.pem" --no-intercept 127.0.0.1 \
	    --num-workers $WORKERS --log-level warning
	TL_CA_tproxy=$TL_D/pca/ca-cert.pem
}

tl_start_squid() {
	if ! squid -v 2>/dev/null | grep -q -- '--with-openssl'; then
		TL_SKIP="squid is not built with OpenSSL (install squid-openssl)"
		return 1
	fi
	_certgen=
	for _c in /usr/lib/squid/security_file_certgen \
	    /usr/lib/squid/ssl_crtd; do
		[ -x "$_c" ] && _certgen=$_c && break
	done
	if [ -z "$_certgen" ]; then
		TL_SKIP="no security_file_certgen helper"
		return 1
	fi
	openssl_ca squid-ca "bench squid CA" || {
		TL_SKIP="openssl could not make squid's CA"
		return 1
	}
	mkdir -p "$TL_D/squid"
	if ! "$_certgen" -c -s "$TL_D/squid/ssl_db" -M 16MB \
	    >>"$W/log/tsquid.err" 2>&1; then
		TL_SKIP="$_certgen -c failed: $(tail -n 1 "$W/log/tsquid.err")"
		return 1
	fi
	if [ "$(id -u)" = 0 ]; then
		# squid and its helpers run as its cache_effective_user
		chown -R proxy "$TL_D/squid" "$TL_D/squid-ca.key" 2>/dev/null ||
			chmod -R a+rwX "$TL_D/squid"
	fi
	cat >"$W/tsquid.conf" <<EOF
http_port 127.0.0.1:$PORT_tsquid ssl-bump tls-cert=$TL_D/squid-ca.pem tls-key=$TL_D/squid-ca.key generate-host-certificates=on dynamic_cert_mem_cache_size=16MB
sslcrtd_program $_certgen -s $TL_D/squid/ssl_db -M 16MB
sslcrtd_children 8 startup=1 idle=1
acl step1 at_step SslBump1
ssl_bump peek step1
ssl_bump bump all
tls_outgoing_options cafile=$TL_D/origin-ca.pem
workers 1
http_access allow all
cache deny all
access_log none
cache_store_log none
cache_log $TL_D/squid/cache.log
pid_filename $TL_D/squid/squid.pid
coredump_dir $TL_D/squid
max_filedescriptors 8192
pinger_enable off
netdb_filename none
shutdown_lifetime 1 seconds
EOF
	launch tsquid squid -N -f "$W/tsquid.conf"
	TL_CA_tsquid=$TL_D/squid-ca.pem
}

tl_start_mitmproxy() {
	if ! command -v mitmdump >/dev/null 2>&1; then
		TL_SKIP="not installed (Debian's mitmproxy package)"
		return 1
	fi
	# its CA is made in the confdir at its first start
	mkdir -p "$TL_D/mitm"
	launch tmitm mitmdump -q --listen-host 127.0.0.1 \
	    --listen-port "$PORT_tmitm" --set confdir="$TL_D/mitm" \
	    --set ssl_verify_upstream_trusted_ca="$TL_D/origin-ca.pem"
	TL_CA_tmitm=$TL_D/mitm/mitmproxy-ca-cert.pem
}

# tl_check NAME PORT CA: a GET of https://localhost:ORIGIN_TLS/1k through
# it works, trusting only CA
tl_check() {
	if ! "$T" wait "$2" 30; then
		TL_SKIP="did not start listening: $(tail -n 2 "$W/log/$1.err" "$W/log/$1.out" 2>/dev/null | tr '\n' ' ' | cut -c1-300)"
		return 1
	fi
	_i=0
	while [ ! -s "$3" ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	_g=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' \
	    --max-time 10 --cacert "$3" -x "http://127.0.0.1:$2" \
	    "https://localhost:$ORIGIN_TLS/1k" 2>"$W/log/$1.check")
	if [ "$_g" != "200 1024" ]; then
		TL_SKIP="curl --cacert (its CA) -x it https://localhost/1k: '$_g' (wanted '200 1024'): $(head -c 200 "$W/log/$1.check")"
		return 1
	fi
	return 0
}

# ---------------------------------------------------------------- figures

# tl_args NAME PORT: how tlsload reaches nginx's HTTPS PORT through NAME
# (tpool: ./proxy, always to ORIGIN_TLS)
tl_args() {
	case $1 in
	tdirect) echo "-x $2 -s localhost -a $TL_D/origin-ca.pem" ;;
	tblind) echo "-x $PORT_tproxy -C 127.0.0.1:$2 -s localhost -a $TL_D/origin-ca.pem" ;;
	tpool) echo "-x $PORT_tproxy -C localhost:$ORIGIN_TLS -s localhost -a $TL_CA_tproxy" ;;
	*)
		eval "_p=\$PORT_$1 _ca=\$TL_CA_$1"
		echo "-x $_p -C localhost:$2 -s localhost -a $_ca" ;;
	esac
}

# tl_pid NAME: the process whose tree is measured (blind: ./proxy's;
# direct: nginx's, the TLS server's side)
tl_pid() {
	case $1 in
	tdirect) pidof_peer nginx ;;
	tblind | tpool) pidof_peer tproxy ;;
	*) pidof_peer "$1" ;;
	esac
}

# tl_rate NAME: new connections per second, each CONNECT + handshake +
# one 1 KiB GET + close, 8 threads; CPU per connection of the proxy
tl_rate() {
	_pid=$(tl_pid "$1")
	_c0=0
	[ -n "$_pid" ] && _c0=$(cpu_ticks "$_pid")
	_v=
	[ "$ROUND" = 1 ] && _v=-v
	set -- "$1" $($TL_NICE "$W/tlsload" rate $(tl_args "$1" "$ORIGIN_TLSC") -t $TL_THREADS -c 1 \
	    -d "$SECS" $_v 2>>"$W/log/tlsload.$1")
	if [ "${3:-0}" -gt 0 ]; then
		rec "$1" rate "$2"
		rec "$1" rate.client "${5:-0}"
		if [ -n "$_pid" ]; then
			cpu_rec "$1" rate.cpu "$_c0" "$(cpu_ticks "$_pid")" "$3"
		fi
		[ $((${4:-0} * 100)) -gt "$3" ] &&
			tl_note "TLS $(tl_label "$1") connections round $ROUND: $4 errors beside $3 ($(grep 'first error' "$W/log/tlsload.$1" | tail -n 1))"
	else
		tl_note "TLS $(tl_label "$1") connections round $ROUND: none completed (${4:-?} errors; $(grep 'first error' "$W/log/tlsload.$1" | tail -n 1))"
	fi
	printf ' %s %s' "$(tl_label "$1")" "${2:--}"
}

# tl_bulk NAME COUNT: 64 MiB downloads with curl (OpenSSL)
tl_bulk() {
	_bi=0
	_pid=$(tl_pid "$1")
	while [ $_bi -lt "$2" ]; do
		_bi=$((_bi + 1))
		_c0=$(cpu_ticks "$_pid")
		case $1 in
		tdirect)
			_bo=$(curl -s -o /dev/null --max-time 120 \
			    --cacert "$TL_D/origin-ca.pem" -w '%{speed_download} %{size_download} %{http_code}' \
			    --resolve "localhost:$ORIGIN_TLS:127.0.0.1" \
			    "https://localhost:$ORIGIN_TLS/64m") ;;
		tblind)
			_bo=$(curl -s -o /dev/null --max-time 120 \
			    --cacert "$TL_D/origin-ca.pem" -x "http://127.0.0.1:$PORT_tproxy" \
			    --connect-to "localhost:$ORIGIN_TLS:127.0.0.1:$ORIGIN_TLS" \
			    -w '%{speed_download} %{size_download} %{http_code}' \
			    "https://localhost:$ORIGIN_TLS/64m") ;;
		*)
			# mitmproxy can take minutes (a few MB/s)
			eval "_p=\$PORT_$1 _ca=\$TL_CA_$1"
			_bo=$(curl -s -o /dev/null --max-time 400 --cacert "$_ca" \
			    -x "http://127.0.0.1:$_p" \
			    -w '%{speed_download} %{size_download} %{http_code}' \
			    "https://localhost:$ORIGIN_TLS/64m") ;;
		esac
		set -- "$1" "$2" $_bo
		if [ "${4:-0}" = $BULK_BYTES ] && [ "${5:-}" = 200 ]; then
			rec "$1" bulk "$(awk -v s="$3" 'BEGIN { printf "%.1f", s / 1e6 }')"
			cpu_rec "$1" bulk.cpu "$_c0" "$(cpu_ticks "$_pid")" 1
		else
			tl_note "TLS $(tl_label "$1") bulk round $ROUND: got '${3:-} ${4:-} ${5:-}' (speed size status)"
		fi
	done
	printf ' %s %s' "$(tl_label "$1")" "$(med "$1" bulk)"
}

# tl_ka tls|plain: keep-alive 1 KiB GETs through ./proxy's TLS listener
# or its plain one, 2 threads x 25 connections
tl_ka() {
	if [ "$1" = tls ]; then
		set -- tls -x "$PORT_tproxy_tls" -s localhost -a "$TL_D/pca/ca-cert.pem"
	else
		set -- plain -x "$PORT_tproxy"
	fi
	_k=$1
	shift
	_pid=$(pidof_peer tproxy)
	_c0=$(cpu_ticks "$_pid")
	set -- "$_k" $($TL_NICE "$W/tlsload" ka "$@" -u "http://127.0.0.1:$ORIGIN/1k" \
	    -t $TL_KA_THREADS -c $TL_KA_CONNS -d "$SECS" 2>>"$W/log/tlsload.ka")
	if [ "${3:-0}" -gt 0 ]; then
		rec tproxy "ka_$1" "$2"
		cpu_rec tproxy "ka_$1.cpu" "$_c0" "$(cpu_ticks "$_pid")" "$3"
		[ $((${4:-0} * 100)) -gt "$3" ] &&
			tl_note "TLS keep-alive $1 round $ROUND: $4 errors beside $3"
	else
		tl_note "TLS keep-alive $1 round $ROUND: none completed (${4:-?} errors)"
	fi
	printf ' %s %s' "$1" "${2:--}"
}

# tl_first NAME: one connection at a time, each for a name not asked for
# before (a certificate to mint), then as many for one name (cached);
# median ms from connect() to the response's end
tl_first() {
	_fa=$(tl_args "$1" "$ORIGIN_TLSC")
	case $1 in
	tdirect | tblind) _fn=localhost ;;
	*) _fn="r$$-$1-%d.bench.test" ;;
	esac
	# shellcheck disable=SC2086
	set -- "$1" $(echo "$_fa" | sed "s/-s localhost/-s $_fn/")
	_n=$1
	shift
	set -- "$_n" $("$W/tlsload" first "$@" -n "$TL_FIRST_N" 2>>"$W/log/tlsload.$_n")
	[ "${2:--}" != - ] && rec "$_n" first "$2" && rec "$_n" first90 "$3"
	[ "${5:-0}" -gt 0 ] && tl_note "TLS $(tl_label "$_n") first connections: ${5} errors beside ${4:-0}"
	if [ "$_n" != tdirect ]; then
		set -- "$_n" $("$W/tlsload" first $(tl_args "$_n" "$ORIGIN_TLSC") \
		    -n "$TL_FIRST_N" 2>>"$W/log/tlsload.$_n")
		[ "${2:--}" != - ] && rec "$_n" cached "$2"
	fi
	printf ' %s %s/%s' "$(tl_label "$_n")" "$(med "$_n" first)" "$(med "$_n" cached)"
}

# tl_hold NAME: TL_IDLE_N intercepted connections, each after one
# keep-alive GET, held idle; RSS and PSS summed over NAME's processes
tl_hold() {
	_pid=$(tl_pid "$1")
	"$W/tlsload" hold $(tl_args "$1" "$ORIGIN_TLS") -n "$TL_IDLE_N" >"$W/log/thold.$1" \
	    2>&1 &
	_hp=$!
	STARTED="$STARTED $_hp"
	_i=0
	while ! grep -qs '^ready' "$W/log/thold.$1" && [ $_i -lt 1500 ]; do
		kill -0 $_hp 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	sleep 1
	_opened=$(awk '/^ready/ { print $2 }' "$W/log/thold.$1")
	rec "$1" rss_hold "$(rss_kib "$_pid")"
	rec "$1" pss_hold "$(pss_kib "$_pid")"
	rec "$1" hold_open "${_opened:-0}"
	[ "${_opened:-0}" = "$TL_IDLE_N" ] ||
		tl_note "TLS $(tl_label "$1"): only ${_opened:-0} of $TL_IDLE_N idle connections opened ($(grep 'first error' "$W/log/thold.$1" | head -n 1))"
	stop_pid $_hp
	printf ' %s %s/%s' "$(tl_label "$1")" "${_opened:-0}" "$TL_IDLE_N"
	sleep 1
}

tls_run() {
	[ $TL_ON = 1 ] || return 0
	TL_LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
	TL_START=$(date +%s)
	TL_ACTIVE=
	TL_SKIPPED=
	for _n in $TL_PEERS; do
		case $_n in
		proxy) _t=tproxy ;;
		squid) _t=tsquid ;;
		mitmproxy) _t=tmitm ;;
		*) say "bench: TLS peer $_n is unknown: skipped"; continue ;;
		esac
		TL_SKIP=
		if "tl_start_$_n" && eval "tl_check $_t \$PORT_$_t \$TL_CA_$_t"; then
			TL_ACTIVE="$TL_ACTIVE $_t"
		else
			TL_SKIPPED="$TL_SKIPPED $_n"
			tl_note "TLS: $_n skipped: $TL_SKIP"
			say "bench: TLS $_n skipped: $TL_SKIP"
			[ -f "$W/$_t.pid" ] && stop_pid "$(pidof_peer "$_t")"
		fi
	done
	TL_ACTIVE=${TL_ACTIVE# }
	TL_ALL="tdirect"
	case " $TL_ACTIVE " in *" tproxy "*) TL_ALL="$TL_ALL tblind" ;; esac
	TL_ALL="$TL_ALL $TL_ACTIVE"
	TL_RATE=$TL_ALL
	case " $TL_ACTIVE " in *" tproxy "*) TL_RATE="$TL_RATE tpool" ;; esac
	say "bench: TLS: $TL_ALL; load average $TL_LOAD_BEFORE"
	for _n in $TL_ACTIVE; do
		rec "$_n" rss_idle "$(rss_kib "$(pidof_peer "$_n")")"
	done

	ROUND=0
	while [ $ROUND -lt $ROUNDS ]; do
		ROUND=$((ROUND + 1))
		_order=$(rotate $ROUND $TL_ALL)
		printf 'round %d/%d  TLS conns/s:    ' $ROUND $ROUNDS
		for _n in $(rotate $ROUND $TL_RATE); do tl_rate "$_n"; done
		echo
		printf 'round %d/%d  TLS 64 MiB MB/s:' $ROUND $ROUNDS
		for _n in $_order; do
			# mitmproxy keeps whole bodies in memory: one download a run
			case $_n in
			tmitm) [ $ROUND = 1 ] && tl_bulk "$_n" 1 ;;
			*) tl_bulk "$_n" $BULK_N ;;
			esac
		done
		echo
		case " $TL_ACTIVE " in *" tproxy "*)
			printf 'round %d/%d  TLS listener ka:' $ROUND $ROUNDS
			for _k in $(rotate $ROUND plain tls); do tl_ka "$_k"; done
			echo ;;
		esac
	done
	printf 'TLS first connection, ms (new name/cached):'
	for _n in $TL_ALL; do
		[ "$_n" = tblind ] && continue
		tl_first "$_n"
	done
	echo
	printf 'TLS idle connections held:'
	for _n in $TL_ACTIVE; do tl_hold "$_n"; done
	echo
	for _n in $TL_ACTIVE; do
		stop_pid "$(pidof_peer "$_n")"
	done
	TL_ELAPSED=$(( $(date +%s) - TL_START ))
	TL_LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
}

# ---------------------------------------------------------------- report

# tl_proto NAME: the protocol and cipher tlsload saw
tl_proto() {
	sed -n 's/^tlsload: \(TLSv[^ ]*\) \(.*\)/\1 \2/p' "$W/log/tlsload.$1" \
	    2>/dev/null | head -n 1
}

tl_mib() { mib "$1"; }
tl_num() {
	awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else if (v >= 100) printf "%.0f\n", v; else printf "%.2f\n", v }'
}

tls_report() {
	if [ $TL_ON != 1 ]; then
		say "TLS interception: $TL_WHY" >"$W/report.tls"
		return
	fi
	{
	say "TLS interception ($MODE run): $(date -u '+%Y-%m-%d %H:%M UTC'); load average before/after: $TL_LOAD_BEFORE / $TL_LOAD_AFTER; took ${TL_ELAPSED}s"
	say "machine: $(nproc) cores, $CPU; kernel $(uname -r); ${OS:-?}"
	say "versions: $(ver proxy); $(squid -v 2>&1 | head -n 1 | sed 's/.*Version /squid-openssl /'); $(mitmdump --version 2>/dev/null | head -n 1 | sed 's/: / /'); origin $(ver nginx) (1 worker); client bench/tlsload.c with $(openssl version | cut -d' ' -f1-2), curl $(curl -V | head -n 1 | cut -d' ' -f2)"
	say "settings: $ROUNDS alternating round(s), medians; conns/s: $TL_THREADS client processes (nice 10, as the keep-alive ones), each CONNECT + full handshake (no resumption, verifying the proxy's CA and the name) + GET 1 KiB (Connection: close) + close, ${SECS}s, from an origin port that closes every connection (both handshakes every time; 'proxy, pooled': the port that keeps them, ./proxy reuses its origin connection); first connection: $TL_FIRST_N in a row, each for a new name (SNI), the same origin port; 64 MiB x$BULK_N per round with curl --cacert (mitmproxy: 1 in all); ./proxy --num-workers $WORKERS"
	for _n in $TL_ALL; do
		say "  $(tl_label "$_n"): client side $(tl_proto "$_n")"
	done
	echo
	say "CPU ms per connection: the proxy's processes (direct: nginx's), and the client's (tlsload)"
	printf '%-14s %8s %8s %8s %8s %8s %8s %8s %8s %9s\n' "" "new" "CPU ms" "client" "first" "first" "cached" "64 MiB" "RSS" "RSS ${TL_IDLE_N}"
	printf '%-14s %8s %8s %8s %8s %8s %8s %8s %8s %9s\n' "" "conns/s" "per conn" "CPU ms" "ms p50" "ms p90" "ms p50" "MB/s" "idle MiB" "idle MiB"
	for _n in $TL_RATE; do
		_cpu=$(med "$_n" rate.cpu)
		[ "$_cpu" != - ] && _cpu=$(awk -v v="$_cpu" 'BEGIN { printf "%.2f", v / 1000 }')
		printf '%-14s %8s %8s %8s %8s %8s %8s %8s %8s %9s\n' "$(tl_label "$_n")" \
		    "$(tl_num "$(med "$_n" rate)")" "$_cpu" \
		    "$(tl_num "$(med "$_n" rate.client)")" \
		    "$(tl_num "$(med "$_n" first)")" "$(tl_num "$(med "$_n" first90)")" \
		    "$(tl_num "$(med "$_n" cached)")" "$(tl_num "$(med "$_n" bulk)")" \
		    "$(tl_mib "$(med "$_n" rss_idle)")" "$(tl_mib "$(med "$_n" rss_hold)")"
	done
	echo
	say "ratios (conns/s, 64 MiB MB/s): to direct, to squid-openssl"
	for _n in $TL_RATE; do
		[ "$_n" = tdirect ] && continue
		printf '%-14s %9s %9s   %9s %9s\n' "$(tl_label "$_n")" \
		    "$(ratio "$(med "$_n" rate)" "$(med tdirect rate)")" \
		    "$(ratio "$(med "$_n" bulk)" "$(med tdirect bulk)")" \
		    "$(ratio "$(med "$_n" rate)" "$(med tsquid rate)")" \
		    "$(ratio "$(med "$_n" bulk)" "$(med tsquid bulk)")"
	done
	echo
	say "CPU ms per 64 MiB download: the proxy's processes (direct: nginx's)"
	for _n in $TL_ALL; do
		_v=$(med "$_n" bulk.cpu)
		[ "$_v" != - ] && _v=$(awk -v v="$_v" 'BEGIN { printf "%.0f", v / 1000 }')
		printf '  %-14s %s\n' "$(tl_label "$_n")" "$_v"
	done
	echo
	_kp=$(med tproxy ka_plain)
	_kt=$(med tproxy ka_tls)
	say "keep-alive 1 KiB GETs through ./proxy's listeners (tlsload ka, $TL_KA_THREADS processes x $TL_KA_CONNS connections, absolute-form to nginx over plain HTTP):"
	say "  plain listener $(tl_num "$_kp")/s, TLS listener $(tl_num "$_kt")/s, ratio $(ratio "$_kt" "$_kp")"
	say "  ./proxy's CPU per request: plain $(med tproxy ka_plain.cpu) us, TLS $(med tproxy ka_tls.cpu) us"
	echo
	say "PSS with the idle connections open, MiB (shared pages divided):"
	for _n in $TL_ACTIVE; do
		printf '  %-14s %s MiB PSS, %s of %s connections open\n' "$(tl_label "$_n")" \
		    "$(tl_mib "$(med "$_n" pss_hold)")" "$(med "$_n" hold_open)" "$TL_IDLE_N"
	done
	echo
	say "TLS targets for ./proxy (2 cores, loopback)"
	case " $TL_ACTIVE " in
	*" tproxy "*)
		_r=$(ratio "$(med tproxy rate)" "$(med tsquid rate)")
		target proxy "$_r" ">=" 2 "intercepted conns/s >= 2x squid-openssl" "${_r}x ($(tl_num "$(med tproxy rate)") vs $(tl_num "$(med tsquid rate)"))"
		_r=$(ratio "$(med tproxy rate)" "$(med tdirect rate)")
		target proxy "$_r" ">=" 0.4 "intercepted conns/s >= 0.4 of direct" "${_r}x ($(tl_num "$(med tdirect rate)") direct)"
		_f=$(med tproxy first)
		target proxy "$_f" "<" 5 "first connection to a new host < 5 ms median" "$(tl_num "$_f") ms (cached leaf: $(tl_num "$(med tproxy cached)") ms; direct to nginx: $(tl_num "$(med tdirect first)") ms)"
		_r=$(ratio "$(med tproxy bulk)" "$(med tsquid bulk)")
		target proxy "$_r" ">=" 2 "intercepted 64 MiB >= 2x squid-openssl" "${_r}x ($(tl_num "$(med tproxy bulk)") vs $(tl_num "$(med tsquid bulk)") MB/s)"
		_r=$(ratio "$(med tproxy bulk)" "$(med tdirect bulk)")
		target proxy "$_r" ">=" 0.5 "intercepted 64 MiB >= 0.5 of direct" "${_r}x ($(tl_num "$(med tdirect bulk)") MB/s direct)"
		_r=$(ratio "$_kt" "$_kp")
		target proxy "$_r" ">=" 0.6 "TLS listener keep-alive >= 0.6 of the plain listener" "${_r}x"
		_rh=$(med tproxy rss_hold)
		target proxy "$_rh" "<" 102400 "$TL_IDLE_N idle intercepted connections < 100 MiB RSS" "$(tl_mib "$_rh") MiB ($(med tproxy hold_open) open; PSS $(tl_mib "$(med tproxy pss_hold)") MiB)" ;;
	*) say "  ./proxy was not measured" ;;
	esac
	if [ -s "$W/notes.tls" ]; then
		echo
		say "TLS notes:"
		sed 's/^/  /' "$W/notes.tls"
	fi
	} >"$W/report.tls"
}
