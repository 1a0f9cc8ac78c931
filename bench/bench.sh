#!/bin/sh
# bench/bench.sh: the benchmark behind `make bench` (see bench/README).
#
# Measures ./proxy side by side with its real peers (tinyproxy, squid,
# privoxy, cntlm) and with no proxy at all (direct to the origin), on this
# machine, in one run: every peer is started here on its own loopback port
# with a config file written here, in front of one nginx origin. Rounds
# alternate between the peers; every figure is the median over the rounds,
# printed with its ratio to tinyproxy and to direct, and the issue's
# targets are marked PASS or MISS. The report also goes to
# bench/last-results.txt.
#
# Environment:
#   BENCH_QUICK=1     a very short run for development (1 round, 2 s each)
#   BENCH_ROUNDS=N    rounds (default 3; quick 1)
#   BENCH_SECONDS=S   length of each wrk / tunnel run (default 5; quick 2)
#   BENCH_PEERS=LIST  which proxies (default: proxy tinyproxy squid privoxy
#                     cntlm); direct is always measured
#   BENCH_RELAY=0     skip the relay row (haproxy, TCP mode, splice)
#   BENCH_SCALE=0     skip the idle-connection scaling rows
#   BENCH_IDLE=N      idle tunnels / clients / active clients there (10000)
#   BENCH_PROXY=F     measure the binary F as ./proxy (a before/after pair)
#   BENCH_PROXY_FLAGS="..."  more flags for ./proxy (--accept shared ...)
#   BENCH_TUNNELS=N   idle tunnels held open for the RSS figure (1000)
#   BENCH_NTLM=0      skip the NTLM-parent comparison
#   BENCH_STRACE=0    skip the system-call counts (strace)
#   BENCH_KEEP=1      keep the work directory (configs, logs, raw output)
#   BENCH_OUT=F       where the report is written (bench/last-results.txt)
#   BENCH_TLS=0       skip the TLS interception section (bench/tls.sh)
#   BENCH_TLS_ONLY=1  only the TLS section; its part of the report file
#                     is replaced, the rest of the file kept
#   BENCH_TLS_PEERS=LIST  TLS peers (default: proxy squid mitmproxy);
#                     direct and the blind tunnel are always measured
#   BENCH_TLS_FIRST=N first connections to new hosts (200; quick 50)
#   BENCH_TLS_IDLE=N  idle intercepted connections held (BENCH_TUNNELS)
#
# Loopback only. As root it installs the Debian packages it needs when
# they are missing (one apt-get update, then apt-get install); otherwise it
# says what is missing and skips that peer.

set -u
umask 022
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
LC_ALL=C
export PATH LC_ALL
# a proxy from the environment must not leak into curl or ./proxy
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY all_proxy ALL_PROXY \
    no_proxy NO_PROXY 2>/dev/null

ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/bench
PROXY=${BENCH_PROXY:-$ROOT/proxy}

# the idle-connection rows hold tens of thousands of sockets: every
# process started here gets the most descriptors it may have
ulimit -n "$(ulimit -Hn)" 2>/dev/null
NOFILE=$(ulimit -n)
[ "$NOFILE" = unlimited ] && NOFILE=1048576

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	ROUNDS=${BENCH_ROUNDS:-1}
	SECS=${BENCH_SECONDS:-2}
	BULK_N=1
	HOLD_N=${BENCH_TUNNELS:-200}
	MODE="quick"
else
	ROUNDS=${BENCH_ROUNDS:-3}
	SECS=${BENCH_SECONDS:-5}
	BULK_N=5
	HOLD_N=${BENCH_TUNNELS:-1000}
	MODE="full"
fi
PEERS=${BENCH_PEERS:-"proxy tinyproxy squid privoxy cntlm"}
IDLE_N=${BENCH_IDLE:-10000}
PROXY_FLAGS=${BENCH_PROXY_FLAGS:-}
MAIN=1          # the plain-proxy figures; BENCH_TLS_ONLY=1: the TLS ones only
[ "${BENCH_TLS_ONLY:-0}" = 1 ] && MAIN=0 && PEERS=
OUT=${BENCH_OUT:-$B/last-results.txt}
CONNS=50        # wrk connections
THREADS=2       # wrk threads
TUN_CONC=8      # tunnels opened at once by the tunnel-rate client
WORKERS=2       # ./proxy --num-workers
BULK_BYTES=67108864
NTLM_USER=alice
NTLM_DOMAIN=CORP
NTLM_PASS=Bench-Pass-1

START_TIME=$(date +%s)
say() { printf '%s\n' "$*"; }

W=$(mktemp -d "${TMPDIR:-/tmp}/proxy-bench.XXXXXX") || exit 1
# nginx's worker and squid run as other users: they must reach files in it
chmod 711 "$W"
mkdir -p "$W/res" "$W/log"
: >"$W/notes"
note() { printf '%s\n' "$*" >>"$W/notes"; }

STARTED=

# ---------------------------------------------------------------- processes

# descendants PID...: the pids and all their descendants
descendants() (
	for _p in "$@"; do
		echo "$_p"
		descendants $(pgrep -P "$_p" 2>/dev/null)
	done
)

# stop_pid PID: SIGTERM, wait up to 5 s; if it is still there, SIGKILL it
# and what it started
stop_pid() {
	_sp=$1
	kill -0 "$_sp" 2>/dev/null || { wait "$_sp" 2>/dev/null; return 0; }
	_tree=$(descendants "$_sp")
	kill -TERM "$_sp" 2>/dev/null
	_i=0
	while kill -0 "$_sp" 2>/dev/null && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	if kill -0 "$_sp" 2>/dev/null; then
		for _p in $_tree; do
			kill -KILL "$_p" 2>/dev/null
		done
	fi
	wait "$_sp" 2>/dev/null
	return 0
}

cleanup() {
	trap - EXIT INT TERM
	for _pid in $STARTED; do
		# only a child of ours: the pid of one that ended long ago may
		# belong to any process by now
		[ "$(ps -o ppid= -p "$_pid" 2>/dev/null | tr -d ' ')" = "$$" ] ||
			continue
		stop_pid "$_pid"
	done
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		say "bench: work directory kept: $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'say "bench: interrupted"; exit 130' INT TERM

# launch NAME CMD...: start CMD in the background, its pid in $W/NAME.pid
launch() {
	_ln=$1
	shift
	"$@" >"$W/log/$_ln.out" 2>"$W/log/$_ln.err" </dev/null &
	echo $! >"$W/$_ln.pid"
	STARTED="$STARTED $!"
}

pidof_peer() { cat "$W/$1.pid" 2>/dev/null; }

# ---------------------------------------------------------------- packages

# the packages, as command:package
need_pairs="wrk:wrk nginx:nginx-light curl:curl cc:gcc pgrep:procps
python3:python3 tinyproxy:tinyproxy squid:squid privoxy:privoxy cntlm:cntlm
musl-gcc:musl-tools strace:strace microsocks:microsocks haproxy:haproxy"

[ $MAIN = 0 ] && need_pairs="nginx:nginx-light curl:curl cc:gcc pgrep:procps"
if [ "${BENCH_TLS:-1}" != 0 ]; then
	# the TLS section: squid built with OpenSSL (ssl-bump), mitmproxy,
	# the openssl command and libssl for bench/tlsload.c
	need_pairs="$(echo "$need_pairs" | sed 's/squid:squid/squid:squid-openssl/')
openssl:openssl mitmdump:mitmproxy"
	case $need_pairs in *squid:*) ;; *) need_pairs="$need_pairs squid:squid-openssl" ;; esac
fi

missing_pkgs() {
	_m=
	for _pair in $need_pairs; do
		command -v "${_pair%%:*}" >/dev/null 2>&1 || _m="$_m ${_pair#*:}"
	done
	if [ "${BENCH_TLS:-1}" != 0 ]; then
		[ -f /usr/include/openssl/ssl.h ] || _m="$_m libssl-dev"
		# squid (GnuTLS) in place of squid-openssl: replaced
		command -v squid >/dev/null 2>&1 &&
		    ! squid -v 2>/dev/null | grep -q -- --with-openssl &&
		    _m="$_m squid-openssl"
	fi
	echo "$_m"
}

MISSING=$(missing_pkgs)
if [ -n "$MISSING" ]; then
	say "bench: missing packages:$MISSING"
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		export DEBIAN_FRONTEND=noninteractive
		say "bench: installing them (apt-get update; apt-get install)"
		apt-get update -qq >"$W/log/apt.log" 2>&1
		if ! apt-get install -y -qq --no-install-recommends $MISSING \
		    >>"$W/log/apt.log" 2>&1; then
			# one at a time; nginx-light is gone from newer Debian
			for _p in $MISSING; do
				apt-get install -y -qq --no-install-recommends "$_p" \
				    >>"$W/log/apt.log" 2>&1 && continue
				[ "$_p" = nginx-light ] && apt-get install -y -qq \
				    --no-install-recommends nginx >>"$W/log/apt.log" 2>&1 &&
				    continue
				say "bench: could not install $_p"
			done
		fi
		MISSING=$(missing_pkgs)
		[ -n "$MISSING" ] && say "bench: still missing:$MISSING"
	else
		say "bench: not root (or no apt-get): cannot install them"
	fi
fi
for _c in wrk nginx curl cc pgrep; do
	[ $MAIN = 0 ] && [ $_c = wrk ] && continue
	if ! command -v "$_c" >/dev/null 2>&1; then
		say "bench: $_c is missing: it is needed for every figure; giving up"
		exit 1
	fi
done
if [ ! -x "$PROXY" ]; then
	say "bench: $PROXY is missing: run make first"
	exit 1
fi

# measure a copy: a rebuild in the tree during the run changes nothing
cp "$PROXY" "$W/proxy" || exit 1
PROXY=$W/proxy

if ! cc -O2 -o "$W/tunnels" "$B/tunnels.c" 2>"$W/log/cc.err"; then
	say "bench: bench/tunnels.c does not compile: $(head -n 3 "$W/log/cc.err")"
	exit 1
fi
T=$W/tunnels

# fresh ports, all chosen at once so they differ
set -- $("$T" ports 22)
ORIGIN=$1 PORT_proxy=$2 PORT_tinyproxy=$3 PORT_squid=$4 PORT_privoxy=$5
PORT_cntlm=$6 PORT_parent=$7 PORT_parent_open=$8 PORT_proxy_ntlm=$9
shift 9
PORT_cntlm_ntlm=$1 PORT_unused=$2 PORT_proxy_socks=$3 PORT_microsocks=$4
ORIGIN_TLS=$5 PORT_tproxy=$6 PORT_tproxy_tls=$7 PORT_tsquid=$8 PORT_tmitm=$9
shift 9
ORIGIN_TLSC=$1 PORT_relay=$2 PORT_proxy_scale=$3
PORT_proxy_plug=$4
PORT_direct=$ORIGIN
PORT_parent_alone=$PORT_parent_open

# ---------------------------------------------------------------- origin

mkdir -p "$W/www" "$W/nginx-tmp"
head -c 1024 /dev/urandom >"$W/www/1k"
head -c 102400 /dev/urandom >"$W/www/100k"
head -c $BULK_BYTES /dev/urandom >"$W/www/64m"
. "$B/tls.sh"
tls_prepare	# certificates, and the HTTPS server block ($TL_NGINX)
cat >"$W/nginx.conf" <<EOF
daemon off;
worker_processes 1;
worker_rlimit_nofile $NOFILE;
pid $W/nginx.pid;
error_log $W/log/nginx-error.log;
events { worker_connections $((NOFILE - 64)); multi_accept on; }
http {
	access_log off;
	client_body_temp_path $W/nginx-tmp;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 1000000;
	keepalive_timeout 120s;
	client_header_timeout 300s;
	types { }
	default_type application/octet-stream;
	server { listen 127.0.0.1:$ORIGIN backlog=4096; root $W/www; }
	$TL_NGINX
}
EOF
NGINX=$(command -v nginx)
launch nginx "$NGINX" -p "$W" -e "$W/log/nginx-error.log" -c "$W/nginx.conf"
if ! "$T" wait "$ORIGIN" 10; then
	say "bench: nginx did not start: $(tail -n 3 "$W/log/nginx.err" "$W/log/nginx-error.log" 2>/dev/null)"
	exit 1
fi
URL1K=http://127.0.0.1:$ORIGIN/1k
URLBULK=http://127.0.0.1:$ORIGIN/64m

# ---------------------------------------------------------------- peers

# Each start_NAME writes NAME's config into $W and launches it on
# $PORT_NAME, in the foreground, logging as little as it can.

start_proxy() {
	# its SOCKS5 port too: the same workers, for the SOCKS5 figure
	launch proxy "$PROXY" --port "$PORT_proxy" --num-workers $WORKERS \
	    --log-level warning --socks5-listen "127.0.0.1:$PORT_proxy_socks" \
	    $PROXY_FLAGS
}

# The relay: haproxy in TCP mode, splicing, in front of the same nginx:
# what a user-space relay that parses nothing does on these cores. Two
# threads, as ./proxy has two workers. Measured like direct.
start_relay() {
	cat >"$W/haproxy.cfg" <<EOF
global
	nbthread $WORKERS
	maxconn $(( (NOFILE - 200) * 2 / 5 ))
defaults
	mode tcp
	timeout connect 5s
	timeout client 300s
	timeout server 300s
	option splice-request
	option splice-response
	option splice-auto
frontend relay
	bind 127.0.0.1:$PORT_relay
	default_backend origin
backend origin
	server nginx 127.0.0.1:$ORIGIN
EOF
	launch relay haproxy -db -f "$W/haproxy.cfg"
}

# ./proxy with two plugins (a request hook on every request, a body
# replaced on every response), for the keep-alive figure beside ./proxy
# alone; the 1 KiB body comes back as the 28 bytes of man_in_the_middle
PLUGINS_BENCH=filter_by_upstream_host,man_in_the_middle
start_proxy_plug() {
	launch proxy_plug "$PROXY" --port "$PORT_proxy_plug" \
	    --num-workers $WORKERS --log-level warning --plugins "$PLUGINS_BENCH"
}

start_tinyproxy() {
	# 1.11 runs a thread per client; no worker setting
	cat >"$W/tinyproxy.conf" <<EOF
Port $PORT_tinyproxy
Listen 127.0.0.1
Timeout 600
MaxClients 2048
LogFile "$W/log/tinyproxy.log"
LogLevel Warning
PidFile "$W/tinyproxy.pid.own"
EOF
	launch tinyproxy tinyproxy -d -c "$W/tinyproxy.conf"
}

start_squid() {
	# -N (foreground) runs one process: SMP workers need the daemon mode
	mkdir -p "$W/squid"
	if [ "$(id -u)" = 0 ]; then
		# squid drops root for its cache_effective_user (proxy)
		chown proxy "$W/squid" 2>/dev/null || chmod 777 "$W/squid"
	fi
	cat >"$W/squid.conf" <<EOF
http_port 127.0.0.1:$PORT_squid
workers 1
http_access allow all
cache deny all
access_log none
cache_store_log none
cache_log $W/squid/cache.log
pid_filename $W/squid/squid.pid
coredump_dir $W/squid
max_filedescriptors 4096
pinger_enable off
netdb_filename none
shutdown_lifetime 1 seconds
EOF
	launch squid squid -N -f "$W/squid.conf"
}

start_privoxy() {
	# no actionsfile, no filterfile: nothing to match, the fastest setup
	mkdir -p "$W/privoxy"
	cat >"$W/privoxy.conf" <<EOF
confdir $W/privoxy
logdir $W/privoxy
logfile privoxy.log
listen-address 127.0.0.1:$PORT_privoxy
enable-remote-toggle 0
enable-remote-http-toggle 0
enable-edit-actions 0
keep-alive-timeout 60
socket-timeout 300
connection-sharing 1
max-client-connections 2048
tolerate-pipelining 1
EOF
	launch privoxy privoxy --no-daemon "$W/privoxy.conf"
}

start_cntlm() {
	# direct mode: NoProxy * sends everything straight to the origin (cntlm
	# insists on a parent; this one is never contacted)
	cat >"$W/cntlm.conf" <<EOF
Username bench
Domain bench
Password bench
Proxy 127.0.0.1:$PORT_unused
NoProxy *
Listen 127.0.0.1:$PORT_cntlm
EOF
	launch cntlm cntlm -f -c "$W/cntlm.conf"
}

# check_peer NAME PORT: it listens, and a GET and a CONNECT through it work
check_peer() {
	_cn=$1
	_cp=$2
	if ! "$T" wait "$_cp" 15; then
		SKIP_REASON="did not start listening: $(tail -n 2 "$W/log/$_cn.err" "$W/log/$_cn.out" 2>/dev/null | tr '\n' ' ' | cut -c1-300)"
		return 1
	fi
	_g=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' --max-time 10 \
	    -x "http://127.0.0.1:$_cp" "$URL1K")
	_t=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' --max-time 10 \
	    -p -x "http://127.0.0.1:$_cp" "$URL1K")
	if [ "$_g" != "200 1024" ] || [ "$_t" != "200 1024" ]; then
		SKIP_REASON="GET through it: '$_g', CONNECT: '$_t' (wanted '200 1024')"
		return 1
	fi
	return 0
}

has_cmd() {
	case $1 in
	proxy) [ -x "$PROXY" ] ;;
	*) command -v "$1" >/dev/null 2>&1 ;;
	esac
}

ACTIVE=
SKIPPED=
for _n in $PEERS; do
	if ! has_cmd "$_n"; then
		SKIPPED="$SKIPPED $_n"
		note "$_n: skipped: not installed"
		say "bench: $_n is not installed: skipped"
		continue
	fi
	"start_$_n"
	eval "_port=\$PORT_$_n"
	SKIP_REASON=
	if check_peer "$_n" "$_port"; then
		ACTIVE="$ACTIVE $_n"
	else
		SKIPPED="$SKIPPED $_n"
		note "$_n: skipped: $SKIP_REASON"
		say "bench: $_n skipped: $SKIP_REASON"
		stop_pid "$(pidof_peer "$_n")"
	fi
done
ACTIVE=${ACTIVE# }

# ./proxy with plugins: keep-alive rounds only, beside ./proxy
PLUG=
if echo " $ACTIVE " | grep -q ' proxy '; then
	start_proxy_plug
	_g=
	"$T" wait "$PORT_proxy_plug" 15 &&
	    _g=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' \
	    --max-time 10 -x "http://127.0.0.1:$PORT_proxy_plug" "$URL1K")
	if [ "$_g" = "200 28" ]; then
		PLUG=proxy_plug
	else
		note "proxy_plug: skipped: a GET through it gave '$_g' (wanted '200 28')"
		stop_pid "$(pidof_peer proxy_plug)"
	fi
fi

# the relay row, beside direct
RELAY=
if [ $MAIN = 0 ]; then
	:
elif [ "${BENCH_RELAY:-1}" = 0 ]; then
	note "relay: skipped (BENCH_RELAY=0)"
elif ! command -v haproxy >/dev/null 2>&1; then
	note "relay: skipped: haproxy (Debian's haproxy) is not installed"
else
	start_relay
	_g=
	"$T" wait "$PORT_relay" 15 &&
	    _g=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' \
	    --max-time 10 "http://127.0.0.1:$PORT_relay/1k")
	if [ "$_g" = "200 1024" ]; then
		RELAY=relay
	else
		note "relay: skipped: haproxy did not relay a GET ('$_g'): $(tail -n 2 "$W/log/relay.err" | tr '\n' ' ' | cut -c1-200)"
		stop_pid "$(pidof_peer relay)"
	fi
fi

# ---------------------------------------------------------------- figures

# rec NAME KEY VALUE: one sample
rec() { echo "$3" >>"$W/res/$1.$2"; }

# med NAME KEY: the median of the samples, or -
med() {
	if [ ! -s "$W/res/$1.$2" ]; then
		echo -
		return
	fi
	sort -g "$W/res/$1.$2" | awk '{ v[NR] = $1 }
	    END { if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2;
	          printf "%.6g\n", m }'
}

# rss_kib PID / pss_kib PID: summed over PID and its descendants
rss_kib() {
	_pids=$(descendants "$1" | tr '\n' ',' | sed 's/,$//')
	[ -n "$_pids" ] || { echo 0; return; }
	ps -o rss= -p "$_pids" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}
pss_kib() {
	_s=0
	for _p in $(descendants "$1"); do
		_v=$(awk '/^Pss:/ { print $2; exit }' "/proc/$_p/smaps_rollup" 2>/dev/null)
		_s=$((_s + ${_v:-0}))
	done
	echo $_s
}
nprocs() { descendants "$1" | wc -l | tr -d ' '; }

# cpu_ticks PID: user+system clock ticks of PID and its descendants (all
# their threads, the ones that ended included)
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
cpu_ticks() {
	for _p in $(descendants "$1"); do
		sed 's/.*) //' "/proc/$_p/stat" 2>/dev/null
	done | awk '{ s += $12 + $13 } END { print s + 0 }'
}
# cpu_rec NAME KEY TICKS0 TICKS1 COUNT: microseconds of CPU per unit
cpu_rec() {
	[ "${5:-0}" -gt 0 ] || return 0
	rec "$1" "$2" "$(awk -v a="$3" -v b="$4" -v n="$5" -v hz="$CLK_TCK" \
	    'BEGIN { printf "%.1f", (b - a) * 1e6 / hz / n }')"
}

# wrk_parse FILE: "rps p50_ms p99_ms requests non2xx connect+timeout_errors"
wrk_parse() {
	awk 'function ms(v) {
		if (v ~ /us$/) return v / 1000
		if (v ~ /ms$/) return v + 0
		if (v ~ /[0-9]s$/) return v * 1000
		if (v ~ /m$/) return v * 60000
		return v + 0
	}
	/^Requests\/sec:/ { rps = $2 }
	/^ +50% / { p50 = ms($2) }
	/^ +99% / { p99 = ms($2) }
	/ requests in / { req = $1 }
	/Non-2xx or 3xx/ { non = $NF }
	/Socket errors:/ { gsub(",", ""); err = $4 + $10 }
	END { printf "%s %s %s %s %d %d\n", rps + 0, p50 + 0, p99 + 0, req + 0, non, err }' "$1"
}

# wrk_run NAME PORT close(0|1) TAG: one wrk run through NAME (direct:
# origin-form straight to nginx); records rps and latency under TAG
wrk_run() {
	_wn=$1
	_wd=0
	[ "$_wn" = direct ] && _wd=1
	[ "$_wn" = relay ] && _wd=1
	_wf=$W/log/wrk.$_wn.$4.$ROUND
	BENCH_ORIGIN=127.0.0.1:$ORIGIN BENCH_DIRECT=$_wd BENCH_CLOSE=$3 \
	    wrk -t$THREADS -c${WRK_CONNS:-$CONNS} -d${WRK_SECS:-$SECS}s \
	    ${WRK_TIMEOUT:+--timeout $WRK_TIMEOUT} --latency \
	    -s "$B/absolute.lua" "http://127.0.0.1:$2/" >"$_wf" 2>&1 &
	_wpid=$!
	_peak=0
	_mpid=
	_c0=0
	[ "$_wn" != direct ] && _mpid=$(pidof_peer "$_wn") && _c0=$(cpu_ticks "$_mpid")
	while kill -0 $_wpid 2>/dev/null; do
		if [ -n "$_mpid" ] && [ "$4" = ka ]; then
			_r=$(rss_kib "$_mpid")
			[ "$_r" -gt "$_peak" ] && _peak=$_r
		fi
		sleep 0.5
	done
	wait $_wpid
	_c1=0
	[ -n "$_mpid" ] && _c1=$(cpu_ticks "$_mpid")
	set -- $(wrk_parse "$_wf") "$@"
	# $1 rps $2 p50 $3 p99 $4 requests $5 non2xx $6 errors
	if [ "$4" -eq 0 ]; then
		note "$_wn $TAGTXT: wrk completed no request ($(tail -n 1 "$_wf"))"
		return
	fi
	rec "$_wn" "$TAG.rps" "$1"
	rec "$_wn" "$TAG.p50" "$2"
	rec "$_wn" "$TAG.p99" "$3"
	rec "$_wn" "$TAG.errors" "$(($5 + $6))"
	[ -n "$_mpid" ] && [ "$_peak" -gt 0 ] && rec "$_wn" rss_load "$_peak"
	[ -n "$_mpid" ] && cpu_rec "$_wn" "$TAG.cpu" "$_c0" "$_c1" "$4"
	if [ $(($5 * 100)) -gt "$4" ] || [ $(($6 * 100)) -gt "$4" ]; then
		note "$_wn $TAGTXT round $ROUND: $5 non-2xx responses and $6 connect/timeout errors in $4 requests"
	fi
	printf ' %s %.0f' "$_wn" "$1"
}

# bulk_run NAME PORT http|connect
bulk_run() {
	_bi=0
	while [ $_bi -lt $BULK_N ]; do
		_bi=$((_bi + 1))
		if [ "$1" = direct ] || [ "$1" = relay ]; then
			_bo=$(curl -s -o /dev/null --max-time 60 \
			    -w '%{speed_download} %{size_download} %{http_code}' \
			    "http://127.0.0.1:$2/64m")
		elif [ "$3" = connect ]; then
			_bo=$(curl -s -o /dev/null --max-time 60 -p -x "http://127.0.0.1:$2" \
			    -w '%{speed_download} %{size_download} %{http_code}' "$URLBULK")
		else
			_bo=$(curl -s -o /dev/null --max-time 60 -x "http://127.0.0.1:$2" \
			    -w '%{speed_download} %{size_download} %{http_code}' "$URLBULK")
		fi
		set -- "$1" "$2" "$3" $_bo
		if [ "${5:-0}" = $BULK_BYTES ] && [ "${6:-}" = 200 ]; then
			rec "$1" "bulk_$3" "$(awk -v s="$4" 'BEGIN { printf "%.1f", s / 1e6 }')"
		else
			note "$1 bulk $3 round $ROUND: got '${4:-} ${5:-} ${6:-}' (speed size status)"
		fi
		set -- "$1" "$2" "$3"
	done
	printf ' %s %s' "$1" "$(tail -n 1 "$W/res/$1.bulk_$3" 2>/dev/null || echo -)"
}

# tunnel_run NAME PORT: new CONNECT tunnels per second (direct: new
# connections straight to nginx, the GET only; relay: the same through
# the relay)
tunnel_run() {
	_tp=$2
	_to=$ORIGIN
	_c0=0
	_c1=0
	_mpid=
	[ "$1" = direct ] && _tp=0
	[ "$1" = relay ] && _tp=0 && _to=$2
	[ "$1" != direct ] && _mpid=$(pidof_peer "$1") && _c0=$(cpu_ticks "$_mpid")
	set -- "$1" "$2" $("$T" rate "$_tp" "$_to" "$SECS" $TUN_CONC /1k)
	[ -n "$_mpid" ] && _c1=$(cpu_ticks "$_mpid")
	if [ "${4:-0}" -gt 0 ]; then
		rec "$1" tunnels "$3"
		[ -n "$_mpid" ] && cpu_rec "$1" tunnels.cpu "$_c0" "$_c1" "$4"
		[ $((${5:-0} * 100)) -gt "$4" ] &&
			note "$1 tunnels round $ROUND: $5 errors beside $4 tunnels"
	else
		note "$1 tunnels round $ROUND: no tunnel completed (${5:-?} errors)"
	fi
	printf ' %s %s' "$1" "${3:--}"
}

# socks_run NAME PORT PID: new SOCKS5 tunnels per second through a SOCKS5
# port (./proxy's, or microsocks'), each carrying the same GET as a
# CONNECT tunnel; recorded under NAME as socks5 (and socks5.cpu)
socks_run() {
	_c0=$(cpu_ticks "$3")
	set -- "$1" "$2" "$3" $("$T" rate "$2" "$ORIGIN" "$SECS" $TUN_CONC /1k socks5)
	_c1=$(cpu_ticks "$3")
	if [ "${5:-0}" -gt 0 ]; then
		rec "$1" socks5 "$4"
		cpu_rec "$1" socks5.cpu "$_c0" "$_c1" "$5"
		[ $((${6:-0} * 100)) -gt "$5" ] &&
			note "$1 SOCKS5 tunnels round $ROUND: $6 errors beside $5 tunnels"
	else
		note "$1 SOCKS5 tunnels round $ROUND: none completed (${6:-?} errors)"
	fi
	printf ' %s %s' "$1" "${4:--}"
}

# rotate N WORDS...: the words, starting at the Nth (1-based, cyclic)
rotate() {
	_rn=$1
	shift
	_k=$(( (_rn - 1) % $# ))
	_i=0
	_head=
	_tail=
	for _w in "$@"; do
		if [ $_i -lt $_k ]; then _tail="$_tail $_w"; else _head="$_head $_w"; fi
		_i=$((_i + 1))
	done
	echo $_head $_tail
}

port_of() { eval "echo \$PORT_$1"; }

[ $MAIN = 1 ] && say "bench: $MODE run: $ROUNDS round(s) of ${SECS}s; wrk -t$THREADS -c$CONNS; peers: direct $RELAY $ACTIVE${SKIPPED:+ (skipped:$SKIPPED)}"
say "bench: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# the small board: the static musl build for size (SMALL=1 TLS=0), built
# from the tree in a copy, with one worker as a router runs it: RSS of all
# its processes idle (after a GET and a CONNECT), then with 100 idle
# tunnels open
STATIC_RSS=- STATIC_PSS=- STATIC_RSS100=- STATIC_OPEN=0
if [ $MAIN = 0 ]; then
	:
elif command -v musl-gcc >/dev/null 2>&1; then
	mkdir -p "$W/static"
	cp "$ROOT"/*.c "$ROOT"/*.h "$ROOT"/*.sh "$ROOT"/Makefile "$W/static/" \
	    2>/dev/null
	if make -s -C "$W/static" CC=musl-gcc LDFLAGS=-static SMALL=1 TLS=0 \
	    proxy >"$W/log/static.out" 2>&1; then
		set -- $("$T" ports 1)
		launch static "$W/static/proxy" --port "$1" \
		    --num-workers 1 --log-level warning
		if "$T" wait "$1" 10; then
			curl -s -o /dev/null -x "http://127.0.0.1:$1" \
			    "http://localhost:$ORIGIN/1k"
			curl -s -o /dev/null -p -x "http://127.0.0.1:$1" \
			    "http://127.0.0.1:$ORIGIN/1k"
			STATIC_RSS=$(rss_kib "$(pidof_peer static)")
			STATIC_PSS=$(pss_kib "$(pidof_peer static)")
			"$T" hold "$1" "$ORIGIN" 100 >"$W/log/hold.static" 2>&1 &
			_hp=$!
			STARTED="$STARTED $_hp"
			_i=0
			while ! grep -qs '^ready' "$W/log/hold.static" &&
			    [ $_i -lt 200 ]; do
				kill -0 $_hp 2>/dev/null || break
				sleep 0.1
				_i=$((_i + 1))
			done
			sleep 1
			STATIC_OPEN=$(awk '/^ready/ { print $2 }' "$W/log/hold.static")
			STATIC_RSS100=$(rss_kib "$(pidof_peer static)")
			stop_pid $_hp
		fi
		stop_pid "$(pidof_peer static)"
	else
		say "bench: the static musl build failed: $(tail -n 2 "$W/log/static.out")"
	fi
else
	say "bench: no musl-gcc (musl-tools): the static build's RSS is not measured"
fi

# SOCKS5: ./proxy's SOCKS5 port beside microsocks, the small C SOCKS5
# server; each checked with one curl --socks5 first
SOCKS_PEERS=
if echo " $ACTIVE " | grep -q ' proxy '; then
	PID_proxy_socks=$(pidof_peer proxy)
	SOCKS_PEERS=proxy_socks
	if command -v microsocks >/dev/null 2>&1; then
		launch microsocks microsocks -i 127.0.0.1 -p "$PORT_microsocks"
		PID_microsocks=$(pidof_peer microsocks)
		"$T" wait "$PORT_microsocks" 10 && SOCKS_PEERS="$SOCKS_PEERS microsocks"
	else
		note "microsocks: skipped: not installed"
	fi
	for _n in $SOCKS_PEERS; do
		_g=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' \
		    --max-time 10 --socks5 "127.0.0.1:$(port_of "$_n")" "$URL1K")
		if [ "$_g" != "200 1024" ]; then
			note "$_n: SOCKS5 skipped: GET through it: '$_g'"
			SOCKS_PEERS=$(echo "$SOCKS_PEERS" | tr ' ' '\n' | grep -vx "$_n" | tr '\n' ' ')
		fi
	done
fi

# idle RSS: after start-up and the two checking requests, before any load
for _n in $ACTIVE; do
	_pid=$(pidof_peer "$_n")
	rec "$_n" rss_idle "$(rss_kib "$_pid")"
	rec "$_n" pss_idle "$(pss_kib "$_pid")"
	rec "$_n" nproc_idle "$(nprocs "$_pid")"
done

ROUND=0
while [ $MAIN = 1 ] && [ $ROUND -lt $ROUNDS ]; do
	ROUND=$((ROUND + 1))
	ORDER=$(rotate $ROUND direct $RELAY $ACTIVE)
	TAG=ka TAGTXT="keep-alive"
	printf 'round %d/%d  keep-alive rps: ' $ROUND $ROUNDS
	for _n in $(rotate $ROUND direct $RELAY $ACTIVE $PLUG); do
		wrk_run "$_n" "$(port_of "$_n")" 0 ka
	done
	echo
	TAG=close TAGTXT="new connection per request"
	printf 'round %d/%d  new-conn rps:   ' $ROUND $ROUNDS
	for _n in $ORDER; do wrk_run "$_n" "$(port_of "$_n")" 1 close; done
	echo
	printf 'round %d/%d  bulk HTTP MB/s: ' $ROUND $ROUNDS
	for _n in $ORDER; do bulk_run "$_n" "$(port_of "$_n")" http; done
	echo
	printf 'round %d/%d  bulk CONNECT:   ' $ROUND $ROUNDS
	for _n in $ORDER; do bulk_run "$_n" "$(port_of "$_n")" connect; done
	echo
	printf 'round %d/%d  tunnels/s:      ' $ROUND $ROUNDS
	for _n in $ORDER; do tunnel_run "$_n" "$(port_of "$_n")"; done
	echo
	if [ -n "$SOCKS_PEERS" ]; then
		printf 'round %d/%d  SOCKS5 tunnels/s:' $ROUND $ROUNDS
		for _n in $(rotate $ROUND $SOCKS_PEERS); do
			eval "_sp=\$PID_$_n"
			socks_run "$_n" "$(port_of "$_n")" "$_sp"
		done
		echo
	fi
done

# ---------------------------------------------------------------- idle tunnels

[ $MAIN = 1 ] && printf 'idle tunnels held (%d): ' "$HOLD_N"
for _n in $ACTIVE; do
	_pid=$(pidof_peer "$_n")
	"$T" hold "$(port_of "$_n")" "$ORIGIN" "$HOLD_N" >"$W/log/hold.$_n" 2>&1 &
	_hp=$!
	STARTED="$STARTED $_hp"
	_i=0
	while ! grep -qs '^ready' "$W/log/hold.$_n" && [ $_i -lt 700 ]; do
		kill -0 $_hp 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	sleep 1
	_opened=$(awk '/^ready/ { print $2 }' "$W/log/hold.$_n")
	rec "$_n" rss_tunnels "$(rss_kib "$_pid")"
	rec "$_n" pss_tunnels "$(pss_kib "$_pid")"
	rec "$_n" tunnels_open "${_opened:-0}"
	[ "${_opened:-0}" = "$HOLD_N" ] ||
		note "$_n: only ${_opened:-0} of $HOLD_N idle tunnels opened"
	stop_pid $_hp
	printf ' %s %s/%s' "$_n" "${_opened:-0}" "$HOLD_N"
	sleep 1
done
[ $MAIN = 1 ] && echo

# ---------------------------------------------------------------- idle scaling

# scale_hold MODE N: tunnels.c MODE through the scaling instance (hold:
# N idle CONNECT tunnels; idle: N idle keep-alive clients, each after one
# GET); sets HOLD_PID, and HOLD_OPEN once all are open (or gave up)
scale_hold() {
	"$T" "$1" "$PORT_proxy_scale" "$ORIGIN" "$2" >"$W/log/scale.$1" 2>&1 &
	HOLD_PID=$!
	STARTED="$STARTED $HOLD_PID"
	_i=0
	while ! grep -qs '^ready' "$W/log/scale.$1" && [ $_i -lt 900 ]; do
		kill -0 $HOLD_PID 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	sleep 1
	HOLD_OPEN=$(awk '/^ready/ { print $2 }' "$W/log/scale.$1")
	HOLD_OPEN=${HOLD_OPEN:-0}
	[ "$HOLD_OPEN" = "$2" ] ||
		note "scaling: only $HOLD_OPEN of $2 opened ($1): $(tail -n 1 "$W/log/scale.$1")"
}

# scale_release: the holder closes its connections; the proxy's close
# of the other side follows within the second it is given
scale_release() {
	stop_pid "$HOLD_PID"
	sleep 2
}

# ./proxy alone, in an instance of its own with room for the clients
# (--max-clients, --backlog): keep-alive 1 KiB req/s with no idle
# connection (before and after the rest: the median of the two), with
# IDLE_N idle tunnels held, with IDLE_N idle keep-alive clients; RSS of
# its processes with the idle tunnels; then IDLE_N clients all active
# at once (wrk -c IDLE_N, 10 s timeout), its p99 and errors.
SCALE_DONE=0
if [ "${BENCH_SCALE:-1}" = 0 ]; then
	note "scaling rows: skipped (BENCH_SCALE=0)"
elif ! echo " $ACTIVE " | grep -q ' proxy '; then
	note "scaling rows: skipped: ./proxy was not measured"
else
	if [ "$NOFILE" -lt $((IDLE_N + 1000)) ]; then
		note "scaling rows: the descriptor limit ($NOFILE, ulimit -Hn) holds $((NOFILE - 1000)) idle connections, not $IDLE_N"
		IDLE_N=$((NOFILE - 1000))
	fi
	launch proxy_scale "$PROXY" --port "$PORT_proxy_scale" \
	    --num-workers $WORKERS --log-level warning \
	    --max-clients $((IDLE_N * 2 + 100)) --backlog 4096 $PROXY_FLAGS
	SKIP_REASON=
	if check_peer proxy_scale "$PORT_proxy_scale"; then
		SCALE_DONE=1
		_scp=$(pidof_peer proxy_scale)
		# nothing idle before, between and after the two holds (a
		# median of three that brackets them: the machine's load moves
		# during the run); one hold of each, so that the TIME_WAITs of
		# the connections closed do not use up the loopback ports
		ROUND=1
		printf 'idle scaling (%d) rps:' "$IDLE_N"
		TAG=sc0 TAGTXT="keep-alive, nothing idle"
		wrk_run proxy_scale "$PORT_proxy_scale" 0 sc0
		scale_hold hold "$IDLE_N"
		rec proxy_scale tun_open "$HOLD_OPEN"
		rec proxy_scale rss_idle_tun "$(rss_kib "$_scp")"
		rec proxy_scale pss_idle_tun "$(pss_kib "$_scp")"
		TAG=sctun TAGTXT="keep-alive, $IDLE_N idle tunnels"
		wrk_run proxy_scale "$PORT_proxy_scale" 0 sctun
		scale_release
		ROUND=2
		TAG=sc0 TAGTXT="keep-alive, nothing idle"
		wrk_run proxy_scale "$PORT_proxy_scale" 0 sc0
		scale_hold idle "$IDLE_N"
		rec proxy_scale ka_open "$HOLD_OPEN"
		TAG=scidle TAGTXT="keep-alive, $IDLE_N idle keep-alive clients"
		wrk_run proxy_scale "$PORT_proxy_scale" 0 scidle
		scale_release
		ROUND=3
		TAG=sc0 TAGTXT="keep-alive, nothing idle"
		wrk_run proxy_scale "$PORT_proxy_scale" 0 sc0
		echo
		printf 'idle scaling: %d active clients:' "$IDLE_N"
		# all connect at once: long enough for the burst to settle
		_cs=$((SECS * 3 > 10 ? SECS * 3 : 10))
		TAG=c10k TAGTXT="$IDLE_N active keep-alive clients"
		WRK_CONNS=$IDLE_N WRK_SECS=$_cs WRK_TIMEOUT=10s \
		    wrk_run proxy_scale "$PORT_proxy_scale" 0 c10k
		WRK_CONNS=$IDLE_N WRK_SECS=$_cs WRK_TIMEOUT=10s \
		    wrk_run direct "$ORIGIN" 0 c10k
		echo
	else
		note "scaling rows: the instance did not start: $SKIP_REASON"
	fi
	stop_pid "$(pidof_peer proxy_scale)"
fi

# ---------------------------------------------------------------- system calls

# syscalls_run NAME PORT: strace -c -f on all of NAME's processes (threads
# included) during two short extra runs, 2 s of keep-alive (wrk) and 2 s
# of new tunnels; records system calls per request and per tunnel. Apart
# from the timed runs: strace slows what it traces, but not the count of
# calls each request takes.
syscalls_run() {
	_pids=
	for _p in $(descendants "$(pidof_peer "$1")"); do
		_pids="$_pids -p $_p"
	done
	for _what in ka tunnel; do
		_sf=$W/log/strace.$1.$_what
		strace -c -f -q -o "$_sf" $_pids 2>/dev/null &
		_sp=$!
		sleep 1	# attached by then
		if [ $_what = ka ]; then
			BENCH_ORIGIN=127.0.0.1:$ORIGIN BENCH_DIRECT=0 BENCH_CLOSE=0 \
			    wrk -t1 -c10 -d2s -s "$B/absolute.lua" \
			    "http://127.0.0.1:$2/" >"$_sf.out" 2>&1
			_done=$(wrk_parse "$_sf.out" | cut -d' ' -f4)
		else
			_done=$("$T" rate "$2" "$ORIGIN" 2 $TUN_CONC /1k | cut -d' ' -f2)
		fi
		kill -INT $_sp 2>/dev/null
		wait $_sp 2>/dev/null
		# the total line: "100.00 SECONDS USECS/CALL CALLS [ERRORS] total"
		_calls=$(awk '$NF == "total" { print $4 }' "$_sf")
		if [ "${_done:-0}" -gt 0 ] && [ -n "$_calls" ]; then
			rec "$1" "sys.$_what" "$(awk -v c="$_calls" -v n="$_done" \
			    'BEGIN { printf "%.1f", c / n }')"
		else
			note "$1: no system call count for $_what (${_done:-0} done)"
		fi
	done
	printf ' %s %s/%s' "$1" "$(med "$1" sys.ka)" "$(med "$1" sys.tunnel)"
}

SYSCALLS_DONE=0
if [ $MAIN = 0 ]; then
	:
elif [ "${BENCH_STRACE:-1}" = 0 ]; then
	note "system calls: not counted (BENCH_STRACE=0)"
elif ! command -v strace >/dev/null 2>&1; then
	note "system calls: not counted: no strace (Debian's strace package)"
else
	SYSCALLS_DONE=1
	printf 'system calls per request/tunnel:'
	for _n in $ACTIVE; do syscalls_run "$_n" "$(port_of "$_n")"; done
	echo
fi

# ---------------------------------------------------------------- NTLM parent

NTLM_DONE=0
PARENT_PY=$ROOT/tests/ntlm_parent.py
if [ $MAIN = 0 ]; then
	:
elif [ "${BENCH_NTLM:-1}" = 0 ]; then
	note "NTLM: skipped (BENCH_NTLM=0)"
elif [ ! -f "$PARENT_PY" ] || ! command -v python3 >/dev/null 2>&1; then
	note "NTLM: skipped: tests/ntlm_parent.py or python3 is missing"
else
	launch parent python3 "$PARENT_PY" --host 127.0.0.1 --port "$PORT_parent" \
	    --auth ntlm --user "$NTLM_USER" --domain "$NTLM_DOMAIN" \
	    --password "$NTLM_PASS"
	launch parent_alone python3 "$PARENT_PY" --host 127.0.0.1 \
	    --port "$PORT_parent_open" --auth none
	NPEERS=
	if "$T" wait "$PORT_parent" 15 && "$T" wait "$PORT_parent_open" 15; then
		PROXY_PASSWORD=$NTLM_PASS
		export PROXY_PASSWORD
		launch proxy_ntlm "$PROXY" --port "$PORT_proxy_ntlm" \
		    --num-workers $WORKERS --log-level warning \
		    --proxy "127.0.0.1:$PORT_parent" \
		    --username "$NTLM_DOMAIN\\$NTLM_USER" --auth NTLMv2
		unset PROXY_PASSWORD
		if has_cmd cntlm; then
			cat >"$W/cntlm_ntlm.conf" <<EOF
Username $NTLM_USER
Domain $NTLM_DOMAIN
Password $NTLM_PASS
Auth NTLMv2
Proxy 127.0.0.1:$PORT_parent
Listen 127.0.0.1:$PORT_cntlm_ntlm
EOF
			launch cntlm_ntlm cntlm -f -c "$W/cntlm_ntlm.conf"
		fi
		for _n in proxy_ntlm cntlm_ntlm parent_alone; do
			[ -f "$W/$_n.pid" ] || continue
			SKIP_REASON=
			if check_peer "$_n" "$(port_of "$_n")"; then
				NPEERS="$NPEERS $_n"
			else
				note "NTLM: $_n skipped: $SKIP_REASON"
			fi
		done
	else
		note "NTLM: the test parent did not start: $(tail -n 2 "$W/log/parent.err" | tr '\n' ' ')"
	fi
	if [ -n "$NPEERS" ]; then
		NTLM_DONE=1
		TAG=ntlm TAGTXT="through the NTLM parent"
		ROUND=0
		while [ $ROUND -lt $ROUNDS ]; do
			ROUND=$((ROUND + 1))
			printf 'round %d/%d  NTLM parent rps:' $ROUND $ROUNDS
			for _n in $(rotate $ROUND $NPEERS); do
				wrk_run "$_n" "$(port_of "$_n")" 0 ntlm
			done
			echo
		done
	fi
	for _n in proxy_ntlm cntlm_ntlm parent_alone parent; do
		[ -f "$W/$_n.pid" ] && stop_pid "$(pidof_peer "$_n")"
	done
fi

# ---------------------------------------------------------------- /metrics

# The built-in web server's /metrics asked straight on the proxy's port
# (keep-alive, wrk -t$THREADS -c$CONNS), once per round; its target is
# 5,000 requests/s.
WEB_DONE=0
PORT_proxy_web=$("$T" ports 1)
[ $MAIN = 1 ] && launch proxy_web "$PROXY" --port "$PORT_proxy_web" --num-workers $WORKERS \
    --log-level warning --enable-web-server
if [ $MAIN = 0 ]; then
	:
elif "$T" wait "$PORT_proxy_web" 10; then
	ROUND=0
	while [ $ROUND -lt $ROUNDS ]; do
		ROUND=$((ROUND + 1))
		_wf=$W/log/wrk.proxy_web.metrics.$ROUND
		wrk -t$THREADS -c$CONNS -d${SECS}s --latency \
		    "http://127.0.0.1:$PORT_proxy_web/metrics" >"$_wf" 2>&1
		set -- $(wrk_parse "$_wf")
		if [ "$4" -gt 0 ] && [ "$5" -eq 0 ] && [ "$6" -eq 0 ]; then
			rec proxy_web metrics.rps "$1"
			WEB_DONE=1
		else
			note "/metrics: $4 requests, $5 not 2xx, $6 errors"
		fi
		printf 'round %d/%d  /metrics rps: %s\n' $ROUND $ROUNDS "$1"
	done
else
	note "/metrics: ./proxy --enable-web-server did not start"
fi
stop_pid "$(pidof_peer proxy_web)"

# ---------------------------------------------------------------- TLS

tls_run

# ---------------------------------------------------------------- report

ELAPSED=$(( $(date +%s) - START_TIME ))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# fig NAME KEY: the median formatted for the table
mib() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.1f\n", k / 1024 }'; }
ratio() { # ratio A B: A/B as "1.23", or -
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f\n", a / b }'
}

COLS="ka.rps ka.p50 ka.p99 close.rps close.p50 close.p99 bulk_http bulk_connect tunnels rss_idle rss_load rss_tunnels"
# values NAME: the row of medians (RSS in MiB)
values() {
	for _k in $COLS; do
		_v=$(med "$1" "$_k")
		case $_k in
		rss_*) mib "$_v" ;;
		*.p50 | *.p99) awk -v v="$_v" 'BEGIN { if (v == "-") print "-"; else printf "%.2f\n", v }' ;;
		*) awk -v v="$_v" 'BEGIN { if (v == "-") print "-"; else if (v >= 100) printf "%.0f\n", v; else printf "%.1f\n", v }' ;;
		esac
	done | tr '\n' ' '
}
ratios() { # ratios NAME REF
	for _k in $COLS; do
		case $2:$_k in direct:rss_*) echo - ; continue ;; esac
		ratio "$(med "$1" "$_k")" "$(med "$2" "$_k")"
	done | tr '\n' ' '
}
fmt2() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.2f\n", v }'; }
fmt0() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.0f\n", v }'; }
row() { printf '%-10s %8s %7s %7s %9s %7s %7s %9s %9s %9s %8s %8s %9s\n' "$@"; }
# row_of NAME VALUE...: NAME's row; direct has no RSS (the last three)
row_of() {
	_rn=$1
	shift
	case $_rn in direct|relay) set -- "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8" "$9" - - - ;; esac
	row "$_rn" "$@"
}
header() {
	row "" "keep-" "p50" "p99" "new-conn" "p50" "p99" "bulk" "bulk" "new" "RSS" "RSS" "RSS"
	row "$1" "alive/s" "ms" "ms" "req/s" "ms" "ms" "HTTP MB/s" "CONN MB/s" "tunnels/s" "idle MiB" "load MiB" "${HOLD_N}tun MiB"
}

# target NAME VALUE OP LIMIT TEXT: PASS/MISS line
target() {
	if [ "$2" = - ] || [ "$4" = - ]; then
		printf '  n/a   %s (not measured)\n' "$5"
		return
	fi
	if awk -v a="$2" -v b="$4" -v op="$3" 'BEGIN { exit !((op == ">=" && a >= b) || (op == ">" && a > b) || (op == "<" && a < b)) }'; then
		printf '  PASS  %s: %s\n' "$5" "$6"
	else
		printf '  MISS  %s: %s\n' "$5" "$6"
	fi
}

CPU=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
OS=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
ver() {
	case $1 in
	tinyproxy) tinyproxy -v 2>&1 | head -n 1 ;;
	squid) squid -v 2>&1 | head -n 1 | sed 's/.*Version /squid /' ;;
	privoxy) privoxy --version 2>&1 | head -n 1 | sed 's/ (.*//; s/ version//' ;;
	cntlm) dpkg-query -W -f 'cntlm ${Version}' cntlm 2>/dev/null || echo cntlm ;;
	nginx) nginx -v 2>&1 | sed 's/.*version: //; s/\// /' ;;
	wrk) wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }' ;;
	proxy)
		_h=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)
		[ -n "${BENCH_PROXY:-}" ] && _h="$BENCH_PROXY"
		echo "$("$PROXY" --version 2>&1 | head -n 1) ($("$PROXY" --version 2>&1 | sed -n 's/^events: \([a-z]*\).*/\1/p' | grep . || echo poll))${_h:+ (tree at $_h)}" ;;
	relay) haproxy -v 2>&1 | head -n 1 | awk '{ print "haproxy", $3 }' ;;
	esac
}

{
	say "proxy benchmark ($MODE run): $(date -u '+%Y-%m-%d %H:%M UTC')"
	say "machine: $(nproc) cores, $CPU; kernel $(uname -r); ${OS:-?}"
	say "versions: $(ver proxy); $(ver tinyproxy); $(ver squid); $(ver privoxy); $(ver cntlm); relay $(ver relay); origin $(ver nginx) (1 worker); client $(ver wrk)"
	say "settings: $ROUNDS alternating round(s), medians; wrk -t$THREADS -c$CONNS -d${SECS}s, 1 KiB responses; bulk 64 MiB x$BULK_N per round (curl); tunnels: $TUN_CONC at once for ${SECS}s; ./proxy --num-workers $WORKERS${PROXY_FLAGS:+ $PROXY_FLAGS}; descriptors $NOFILE"
	say "load average before/after: $LOAD_BEFORE / $LOAD_AFTER; took ${ELAPSED}s"
	echo
	header proxy
	for _n in direct $RELAY $ACTIVE $PLUG; do
		row_of "$_n" $(values "$_n")
	done
	[ -n "$PLUG" ] && say "(proxy_plug: ./proxy --plugins $PLUGINS_BENCH, keep-alive only)"
	if echo " $ACTIVE " | grep -q ' tinyproxy '; then
		echo
		say "ratio to tinyproxy (throughput: higher is better; latency and RSS: lower is better)"
		for _n in direct $RELAY $ACTIVE; do
			[ "$_n" = tinyproxy ] && continue
			row_of "$_n" $(ratios "$_n" tinyproxy)
		done
	fi
	echo
	say "ratio to direct (no proxy: nginx straight from the client)"
	for _n in $RELAY $ACTIVE; do
		row "$_n" $(ratios "$_n" direct)
	done
	if [ -n "$RELAY" ]; then
		echo
		say "ratio to the relay (haproxy, TCP mode, splice: what a relay that"
		say "parses nothing does on these cores; its bulk figure is the same"
		say "download for both bulk columns, its tunnels/s new connections/s)"
		printf '%-10s %8s %9s %9s %9s %9s\n' "" "keep-" "new-conn" "bulk" "bulk" "new"
		printf '%-10s %8s %9s %9s %9s %9s\n' "" "alive/s" "req/s" "HTTP" "CONNECT" "tunnels/s"
		for _n in direct $ACTIVE; do
			printf '%-10s %8s %9s %9s %9s %9s\n' "$_n" \
			    "$(ratio "$(med "$_n" ka.rps)" "$(med relay ka.rps)")" \
			    "$(ratio "$(med "$_n" close.rps)" "$(med relay close.rps)")" \
			    "$(ratio "$(med "$_n" bulk_http)" "$(med relay bulk_http)")" \
			    "$(ratio "$(med "$_n" bulk_connect)" "$(med relay bulk_connect)")" \
			    "$(ratio "$(med "$_n" tunnels)" "$(med relay tunnels)")"
		done
	fi

	if [ $SCALE_DONE = 1 ]; then
		echo
		say "idle connections and many clients: ./proxy alone ($WORKERS workers,"
		say "--max-clients $((IDLE_N * 2 + 100)), --backlog 4096), keep-alive 1 KiB, wrk -t$THREADS"
		printf '%-40s %8s %8s %8s %7s %7s %7s\n' "" "req/s" "p50 ms" "p99 ms" "errors" "/ none" "CPU us"
		_s0=$(med proxy_scale sc0.rps)
		for _k in sc0 sctun scidle c10k direct; do
			_n=proxy_scale
			case $_k in
			sc0) _l="nothing idle (-c$CONNS)" ;;
			sctun) _l="$(med proxy_scale tun_open) idle tunnels held (-c$CONNS)" ;;
			scidle) _l="$(med proxy_scale ka_open) idle keep-alive clients (-c$CONNS)" ;;
			c10k) _l="$IDLE_N clients all active (-c$IDLE_N)" ;;
			direct) _l="  the same, nginx alone (direct)"; _n=direct; _k=c10k ;;
			esac
			printf '%-40s %8s %8s %8s %7s %7s %7s\n' "$_l" \
			    "$(fmt0 "$(med $_n $_k.rps)")" \
			    "$(fmt2 "$(med $_n $_k.p50)")" \
			    "$(fmt2 "$(med $_n $_k.p99)")" \
			    "$(fmt0 "$(med $_n $_k.errors)")" \
			    "$([ $_n = direct ] && echo - || ratio "$(med $_n $_k.rps)" "$_s0")" \
			    "$(med $_n $_k.cpu)"
		done
		say "(CPU us: the proxy's CPU time per request, all its processes; less"
		say " noisy than the rates on shared cores)"
		say "RSS with $(med proxy_scale tun_open) idle tunnels: $(mib "$(med proxy_scale rss_idle_tun)") MiB in all processes (PSS $(mib "$(med proxy_scale pss_idle_tun)") MiB)"
	fi

	echo
	say "CPU time the proxy spent (user+system over all its processes), in"
	say "microseconds per request / per tunnel; less noisy than the rates"
	printf '%-10s %10s %10s %10s   %s\n' "" "keep-alive" "new-conn" "tunnel" "ratio to tinyproxy"
	for _n in $ACTIVE $PLUG; do
		printf '%-10s %10s %10s %10s   %s %s %s\n' "$_n" "$(med "$_n" ka.cpu)" \
		    "$(med "$_n" close.cpu)" "$(med "$_n" tunnels.cpu)" \
		    "$(ratio "$(med "$_n" ka.cpu)" "$(med tinyproxy ka.cpu)")" \
		    "$(ratio "$(med "$_n" close.cpu)" "$(med tinyproxy close.cpu)")" \
		    "$(ratio "$(med "$_n" tunnels.cpu)" "$(med tinyproxy tunnels.cpu)")"
	done

	if [ $SYSCALLS_DONE = 1 ]; then
		echo
		say "system calls per keep-alive request / per tunnel, over all the"
		say "proxy's processes (strace -c -f during short extra runs)"
		printf '%-10s %10s %10s   %s\n' "" "keep-alive" "tunnel" "ratio to tinyproxy"
		for _n in $ACTIVE; do
			printf '%-10s %10s %10s   %s %s\n' "$_n" "$(med "$_n" sys.ka)" \
			    "$(med "$_n" sys.tunnel)" \
			    "$(ratio "$(med "$_n" sys.ka)" "$(med tinyproxy sys.ka)")" \
			    "$(ratio "$(med "$_n" sys.tunnel)" "$(med tinyproxy sys.tunnel)")"
		done
	fi

	echo
	say "memory, KiB, summed over the proxy's processes: RSS counts every"
	say "shared library page in every process; PSS divides shared pages"
	say "among the processes that map them (/proc/PID/smaps_rollup)"
	printf '%-10s %6s %9s %9s %11s   %s\n' "" "procs" "RSS idle" "PSS idle" \
	    "PSS ${HOLD_N}tun" "PSS ratio to tinyproxy (idle, ${HOLD_N}tun)"
	for _n in $ACTIVE; do
		printf '%-10s %6s %9s %9s %11s   %s %s\n' "$_n" \
		    "$(med "$_n" nproc_idle)" "$(med "$_n" rss_idle)" \
		    "$(med "$_n" pss_idle)" "$(med "$_n" pss_tunnels)" \
		    "$(ratio "$(med "$_n" pss_idle)" "$(med tinyproxy pss_idle)")" \
		    "$(ratio "$(med "$_n" pss_tunnels)" "$(med tinyproxy pss_tunnels)")"
	done
	if [ "$STATIC_RSS" != - ]; then
		printf '%-10s %6s %9s %9s %11s   %s\n' "static" "-" \
		    "$STATIC_RSS" "$STATIC_PSS" "-" \
		    "(./proxy built static with musl, SMALL=1 TLS=0, 1 worker, idle; RSS with 100 idle tunnels: $STATIC_RSS100 KiB)"
	fi

	echo
	say "targets for ./proxy (2 cores, loopback)"
	if echo " $ACTIVE " | grep -q ' proxy '; then
		P_KA=$(med proxy ka.rps)
		T_KA=$(med tinyproxy ka.rps)
		S_KA=$(med squid ka.rps)
		D_KA=$(med direct ka.rps)
		target proxy "$(ratio "$P_KA" "$T_KA")" ">=" 2 \
		    "keep-alive 1 KiB req/s >= 2x tinyproxy" "$(ratio "$P_KA" "$T_KA")x"
		target proxy "$P_KA" ">" "$S_KA" \
		    "keep-alive 1 KiB req/s ahead of squid" "$(fmt0 "$P_KA") vs $(fmt0 "$S_KA")"
		target proxy "$(ratio "$P_KA" "$D_KA")" ">=" 0.4 \
		    "keep-alive 1 KiB req/s >= 40% of direct" "$(ratio "$P_KA" "$D_KA")x"
		_r=$(ratio "$(med proxy_plug ka.rps)" "$P_KA")
		target proxy "$_r" ">=" 0.85 \
		    "keep-alive with --plugins $PLUGINS_BENCH >= 85% of without" \
		    "${_r}x ($(fmt0 "$(med proxy_plug ka.rps)") vs $(fmt0 "$P_KA") req/s)"
		_r=$(ratio "$(med proxy bulk_connect)" "$(med direct bulk_connect)")
		target proxy "$_r" ">=" 0.9 "bulk through CONNECT >= 90% of direct" "${_r}x"
		_r=$(ratio "$(med proxy bulk_http)" "$(med direct bulk_http)")
		target proxy "$_r" ">=" 0.9 "bulk plain HTTP >= 90% of direct" "${_r}x"
		_r=$(ratio "$(med proxy tunnels)" "$(med tinyproxy tunnels)")
		target proxy "$_r" ">=" 2 "new tunnels/s >= 2x tinyproxy" "${_r}x"
		_ri=$(med proxy rss_idle)
		_pw=$(awk -v v="$_ri" -v w=$WORKERS 'BEGIN { if (v == "-") print "-"; else printf "%.0f", v / w }')
		target proxy "$_pw" "<" 1024 "RSS idle < 1 MiB per worker (glibc, dynamic)" \
		    "$_pw KiB per worker ($_ri KiB in $(med proxy nproc_idle) processes for $WORKERS workers; PSS $(med proxy pss_idle) KiB)"
		target proxy "$STATIC_RSS" "<" 1024 "small board: 1 worker idle < 1 MiB RSS in all (musl, static)" \
		    "$STATIC_RSS KiB in all processes (PSS $STATIC_PSS KiB)"
		target proxy "$STATIC_RSS100" "<" 4096 "small board: 100 idle tunnels < 4 MiB RSS in all (musl, static)" \
		    "$STATIC_RSS100 KiB, $STATIC_OPEN tunnels open; kernel pipes: none while idle, up to 2 x --splice-pipe-size per busy spliced tunnel"
		_rt=$(med proxy rss_tunnels)
		target proxy "$_rt" "<" 40960 "$HOLD_N open idle tunnels < 40 MiB total" \
		    "$(mib "$_rt") MiB (PSS $(mib "$(med proxy pss_tunnels)") MiB; $(med proxy tunnels_open) tunnels open)"
		if [ $NTLM_DONE = 1 ]; then
			_r=$(ratio "$(med proxy_ntlm ntlm.rps)" "$(med cntlm_ntlm ntlm.rps)")
			target proxy "$_r" ">=" 2 "NTLM through a parent >= 2x cntlm req/s" "${_r}x"
		else
			say "  n/a   NTLM through a parent >= 2x cntlm req/s (not measured)"
		fi
		say "  (issue 15: against the relay, and with idle connections)"
		_r=$(ratio "$P_KA" "$(med relay ka.rps)")
		target proxy "$_r" ">=" 0.9 "keep-alive 1 KiB req/s >= 0.9x the relay's" "${_r}x"
		_r=$(ratio "$(med proxy tunnels)" "$(med relay tunnels)")
		target proxy "$_r" ">=" 1 "new tunnels/s >= 1.0x the relay's new connections/s" "${_r}x"
		_r=$(ratio "$(med proxy bulk_http)" "$(med relay bulk_http)")
		target proxy "$_r" ">=" 1 "bulk plain HTTP >= 1.0x the relay's" "${_r}x"
		_r=$(ratio "$(med proxy bulk_connect)" "$(med relay bulk_connect)")
		target proxy "$_r" ">=" 1 "bulk through CONNECT >= 1.0x the relay's" "${_r}x"
		_s0=$(med proxy_scale sc0.rps)
		_r=$(ratio "$(med proxy_scale sctun.rps)" "$_s0")
		target proxy "$_r" ">=" 0.85 "keep-alive with $IDLE_N idle tunnels >= 0.85x with none" \
		    "${_r}x ($(fmt0 "$(med proxy_scale sctun.rps)") vs $(fmt0 "$_s0") req/s; $(med proxy_scale tun_open) open)"
		_r=$(ratio "$(med proxy_scale scidle.rps)" "$_s0")
		target proxy "$_r" ">=" 0.85 "keep-alive with $IDLE_N idle keep-alive clients >= 0.85x with none" \
		    "${_r}x ($(fmt0 "$(med proxy_scale scidle.rps)") vs $(fmt0 "$_s0") req/s; $(med proxy_scale ka_open) open)"
		_e=$(med proxy_scale c10k.errors)
		_ok=-
		[ "$_e" != - ] && [ "$(med proxy_scale c10k.rps)" != - ] && _ok=$_e
		target proxy "$_ok" "<" 1 "$IDLE_N concurrent active clients served without errors" \
		    "$(fmt0 "$(med proxy_scale c10k.rps)") req/s, p99 $(fmt2 "$(med proxy_scale c10k.p99)") ms, $_e errors"
		_rt=$(med proxy_scale rss_idle_tun)
		target proxy "$_rt" "<" 204800 "$IDLE_N idle tunnels < 200 MiB RSS in all processes" \
		    "$(mib "$_rt") MiB ($(med proxy_scale tun_open) open; $(awk -v r="$_rt" -v n="$(med proxy_scale tun_open)" 'BEGIN { if (r == "-" || n == "-" || n == 0) print "-"; else printf "%.1f", r / n }') KiB per tunnel)"
	else
		say "  ./proxy was not measured"
	fi

	echo
	say "NTLM parent (tests/ntlm_parent.py, NTLMv2, keep-alive, wrk -c$CONNS, 1 KiB)"
	if [ $NTLM_DONE = 1 ]; then
		printf '%-30s %9s %7s %7s %12s %12s\n' "" "req/s" "p50 ms" "p99 ms" "/ cntlm" "/ parent"
		for _n in proxy_ntlm cntlm_ntlm parent_alone; do
			case $_n in
			proxy_ntlm) _l="proxy -> NTLM parent" ;;
			cntlm_ntlm) _l="cntlm -> NTLM parent" ;;
			parent_alone) _l="parent alone (no login)" ;;
			esac
			_v=$(med "$_n" ntlm.rps)
			printf '%-30s %9s %7s %7s %12s %12s\n' "$_l" \
			    "$(awk -v v="$_v" 'BEGIN { if (v == "-") print "-"; else printf "%.0f", v }')" \
			    "$(fmt2 "$(med "$_n" ntlm.p50)")" "$(fmt2 "$(med "$_n" ntlm.p99)")" \
			    "$(ratio "$_v" "$(med cntlm_ntlm ntlm.rps)")" \
			    "$(ratio "$_v" "$(med parent_alone ntlm.rps)")"
		done
		say "(the parent is a threaded Python proxy: 'parent alone' is the most it"
		say " serves with no proxy in front; a ratio near 1.0 there means the"
		say " parent, not the proxy in front, is the limit)"
	else
		say "  not measured"
	fi

	echo
	say "SOCKS5 (new tunnels/s, the same 1 KiB GET in each; $TUN_CONC at once)"
	if [ -n "$SOCKS_PEERS" ]; then
		printf '%-30s %11s %11s %13s\n' "" "tunnels/s" "CPU us/tun" "/ microsocks"
		for _n in proxy_socks microsocks; do
			case $_n in
			proxy_socks) _l="proxy, SOCKS5 port" ;;
			microsocks) _l="microsocks" ;;
			esac
			printf '%-30s %11s %11s %13s\n' "$_l" \
			    "$(fmt0 "$(med "$_n" socks5)")" "$(med "$_n" socks5.cpu)" \
			    "$(ratio "$(med "$_n" socks5)" "$(med microsocks socks5)")"
		done
		printf '%-30s %11s %11s\n' "proxy, CONNECT (same run)" \
		    "$(fmt0 "$(med proxy tunnels)")" "$(med proxy tunnels.cpu)"
		_r=$(ratio "$(med proxy_socks socks5)" "$(med proxy tunnels)")
		target proxy "$_r" ">=" 0.9 "SOCKS5 tunnels/s >= 0.9x CONNECT tunnels/s" "${_r}x"
		_r=$(ratio "$(med proxy_socks socks5)" "$(med microsocks socks5)")
		target proxy "$_r" ">=" 2 "SOCKS5 tunnels/s >= 2x microsocks" "${_r}x"
		say "  (microsocks runs a thread per client: on a loaded machine its"
		say "   threads get more of the cores than 2 workers; CPU per tunnel"
		say "   compares the work: $(ratio "$(med proxy_socks socks5.cpu)" "$(med microsocks socks5.cpu)")x microsocks)"
	else
		say "  not measured"
	fi

	echo
	say "Built-in web server: /metrics straight to the proxy's port (keep-alive, wrk -c$CONNS)"
	if [ $WEB_DONE = 1 ]; then
		_v=$(med proxy_web metrics.rps)
		target proxy_web "$_v" ">=" 5000 "/metrics >= 5000 req/s" \
		    "$(awk -v v="$_v" 'BEGIN { printf "%.0f req/s", v }')"
	else
		say "  not measured"
	fi

	if [ -s "$W/notes" ]; then
		echo
		say "notes:"
		sed 's/^/  /' "$W/notes"
	fi
} >"$W/report"

# the TLS section last; alone (BENCH_TLS_ONLY=1), it replaces the TLS
# section of the last report and keeps the rest
tls_report
if [ $MAIN = 1 ]; then
	{ echo; cat "$W/report.tls"; } >>"$W/report"
else
	{
		if [ -f "$OUT" ]; then
			awk '/^TLS interception/ { exit } { print }' "$OUT"
		fi
		cat "$W/report.tls"
	} >"$W/report"
fi

echo
cat "$W/report"
if cp "$W/report" "$OUT" 2>/dev/null; then
	say "bench: report written to ${OUT#$ROOT/}"
fi
exit 0
