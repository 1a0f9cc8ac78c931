#!/bin/sh
# tests.sh: the proxy's test suite, in POSIX sh (dash-compatible).
#
#   sh tests.sh                          everything
#   TESTS_ONLY="get_length head" sh tests.sh   only those cases
#   PROXY_BIN=./proxy-asan sh tests.sh   another build of the proxy
#   TESTS_QUICK=1 sh tests.sh            without the 256 MiB cases
#   TESTS_RSS_LIMIT_KB=16384             the memory cases' RSS bound
#   TESTS_KEEP=1                         keep the temp dir (logs) at exit
#   TESTS_RUN="qemu-mips-static"          runs the unit test binaries
#                                        through it (a cross build:
#                                        tests/cross.sh sets it, and
#                                        PROXY_BIN to a qemu wrapper)
#   PROXY_EVENTS=poll                    every proxy with --events poll
#   TESTS_STDIO=open|closed              the proxies' stdin, stdout and
#                                        stderr (default closed, open
#                                        under the sanitizers)
#
# Order: tests/deps.sh installs missing Debian packages; then, as root,
# the suite re-runs itself inside private mount and network namespaces
# (unshare -m -n: only loopback exists, so nothing the suite starts can
# reach or listen beyond it) whose /etc/resolv.conf points at
# tests/dns.py on 127.53.53.53, so no lookup ever reaches a real
# nameserver (without that, cases that need names skip); then `make unit` and each tests/unit_* binary; then the
# end-to-end cases in tests/e2e_*.sh, one shell function per case, each
# against ./proxy on free loopback ports in front of tests/origin.py,
# nginx and openssl s_server. Ends with "N passed, N failed, N skipped"
# and exits non-zero if anything failed.

set -u
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY \
    no_proxy NO_PROXY CURL_HOME 2>/dev/null
cd "$(dirname "$0")" || exit 2
ROOT=$(pwd)
PROXY_BIN=${PROXY_BIN:-./proxy}
QUICK=${TESTS_QUICK:-0}
# (any white space between the names)
ONLY=$(echo ${TESTS_ONLY:-})
RUN=${TESTS_RUN:-}
RSS_LIMIT_KB=${TESTS_RSS_LIMIT_KB:-16384}
BIG=268435456	# 256 MiB
if [ "${PROXY_SANITIZED:-0}" = 1 ]; then
	STDIO=${TESTS_STDIO:-open}
else
	STDIO=${TESTS_STDIO:-closed}
fi

# ---------------------------------------------------------------- stages

NS_NOTE="PROXY_TESTS_STAGE=plain was given"
if [ -z "${PROXY_TESTS_STAGE:-}" ]; then
	# apt needs the real resolver: install before entering the namespace
	sh tests/deps.sh
	PROXY_TESTS_STAGE=plain
	export PROXY_TESTS_STAGE
	if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1 &&
	    unshare -m --propagation private true 2>/dev/null; then
		PROXY_TESTS_STAGE=ns
		# a network namespace of our own too, when we may: nothing but
		# loopback exists there, so even --gateway binds only loopback
		if command -v ip >/dev/null 2>&1 &&
		    unshare -m -n --propagation private sh -c \
		    'ip link set lo up' 2>/dev/null; then
			PROXY_TESTS_NET=own
			export PROXY_TESTS_NET
			exec unshare -m -n --propagation private /bin/sh \
			    "$ROOT/tests.sh" "$@"
		fi
		exec unshare -m --propagation private /bin/sh "$ROOT/tests.sh" "$@"
	fi
	NS_NOTE="not root or unshare -m does not work here"
fi

if [ "${PROXY_TESTS_NET:-}" = own ] && ! ip link set lo up 2>/dev/null; then
	echo "tests: cannot bring up loopback in the test network namespace"
	echo "0 passed, 1 failed"
	exit 1
fi

if ! command -v python3 >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1
then
	echo "tests: python3 and curl are needed and missing"
	echo "0 passed, 1 failed"
	exit 1
fi
# the real interpreter, not a version manager's shim: pids stay exact
PY=$(python3 -c 'import sys; print(sys.executable)')

T=$(mktemp -d "${TMPDIR:-/tmp}/proxy-tests.XXXXXX") || exit 2
# a home of the suite's own: what the proxy keeps under ~ (the minted
# certificates of --ca-cert-dir's default) never lands in the real one
HOME=$T/home
mkdir -p "$HOME" && chmod 700 "$HOME"
export HOME
C=$T/client.py
ORIGIN=$ROOT/tests/origin.py

# ---------------------------------------------------------------- verdicts

PASSED=0
FAILED=0
SKIPPED=0
FAILS=
VERDICTS=0

pass() {
	PASSED=$((PASSED + 1))
	VERDICTS=$((VERDICTS + 1))
	echo "ok   $1"
}

# BUILT_WITHOUT: the features this ./proxy was built without (make
# PAC=0 NTLM=0): a case that fails only because it needs one of them is
# skipped, with the proxy's own "built without ..." as the reason
BUILT_WITHOUT=
fail() {
	for _f in $BUILT_WITHOUT; do
		case $2 in
		*"built without $_f"*)
			skip "$1" "needs $_f: $2"
			return 0 ;;
		esac
	done
	FAILED=$((FAILED + 1))
	VERDICTS=$((VERDICTS + 1))
	FAILS="$FAILS $1"
	echo "FAIL $1: $2"
}

# needs_built FEATURE CASE...: 0 when ./proxy has FEATURE (PAC, NTLM);
# else skips the cases named and returns 1
needs_built() {
	_nf=$1
	shift
	case " $BUILT_WITHOUT " in
	*" $_nf "*)
		for _nc in "$@"; do
			skip "$_nc" "built without $_nf (make $_nf=0)"
		done
		return 1 ;;
	esac
	return 0
}

skip() {
	SKIPPED=$((SKIPPED + 1))
	VERDICTS=$((VERDICTS + 1))
	echo "skip $1: $2"
}

# evidence FILE [N]: the last N lines of FILE, indented, after a FAIL
evidence() {
	[ -s "$1" ] || { echo "    | ($1 is empty or missing)"; return 0; }
	tail -n "${2:-15}" "$1" | cut -c1-300 | sed 's/^/    | /'
}

# ---------------------------------------------------------------- processes

PIDS=
RUNNING=
DNS_OK=0
NS_MOUNTED=0

track() {
	PIDS="$PIDS $1:$(pid_start "$1")"
}

# pid_start PID: when PID started (/proc/PID/stat's starttime), or
# nothing. The cleanup kills a tracked pid only while it is still the
# process that was tracked: a pid of a helper that ended long ago may
# belong to any process by then (pids wrap around in a long run), and
# must not be killed.
pid_start() {
	[ -r "/proc/$1/stat" ] || return 0
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

# tracked_live: the tracked pids that are still the processes tracked
tracked_live() {
	for _tp in $PIDS; do
		_ts=${_tp#*:}
		_tp=${_tp%%:*}
		if [ -d /proc/self ]; then
			[ -n "$_ts" ] && [ "$(pid_start "$_tp")" = "$_ts" ] ||
			    continue
		fi
		echo "$_tp"
	done
}

# alive PID: running and not a zombie
alive() {
	_st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $_st in
	Z*|"") return 1 ;;
	esac
	return 0
}

# descendants PID: every process below PID
descendants() {
	ps -e -o pid= -o ppid= 2>/dev/null | awk -v root="$1" '
	{ par[$1] = $2; pid[NR] = $1 }
	END {
		found[root] = 1; more = 1
		while (more) {
			more = 0
			for (i in pid) {
				p = pid[i]
				if (!(p in found) && (par[p] in found)) {
					found[p] = 1; more = 1; print p
				}
			}
		}
	}'
}

# wait_gone PID SECONDS: polls until PID has exited (or is a zombie)
wait_gone() {
	_n=0
	_lim=$(($2 * 20))
	while alive "$1"; do
		_n=$((_n + 1))
		[ $_n -ge $_lim ] && return 1
		sleep 0.05
	done
	return 0
}

cleanup() {
	trap - EXIT INT TERM
	_all=
	_live=$(tracked_live)
	for _p in $_live; do
		_all="$_all $_p $(descendants "$_p" | tr '\n' ' ')"
	done
	for _p in $_live; do
		kill -TERM "$_p" 2>/dev/null
	done
	_n=0
	while [ $_n -lt 50 ]; do
		_left=0
		for _p in $_all; do
			alive "$_p" && _left=1
		done
		[ $_left = 0 ] && break
		sleep 0.1
		_n=$((_n + 1))
	done
	for _p in $_all; do
		alive "$_p" && kill -KILL "$_p" 2>/dev/null
	done
	[ $NS_MOUNTED = 1 ] && umount /etc/resolv.conf 2>/dev/null
	if [ "${TESTS_KEEP:-0}" = 1 ]; then echo "tests: kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# bg NAME CMD...: starts CMD in the background, output in $T/NAME.*
bg() {
	bgname=$1
	shift
	"$@" >"$T/$bgname.out" 2>"$T/$bgname.err" &
	BGPID=$!
	track $BGPID
}

# kill_bg PID: stops a helper started with bg (bounded), reaps it
kill_bg() {
	kill -TERM "$1" 2>/dev/null
	wait_gone "$1" 5 || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# wait_pid PID SECONDS: waits for a child of ours (bounded); sets WAIT_RC
wait_pid() {
	WAIT_RC=
	wait_gone "$1" "$2" || return 1
	wait "$1"
	WAIT_RC=$?
	return 0
}

freeport() {
	"$PY" "$C" freeport "${1:-127.0.0.1}"
}

waitport() {
	"$PY" "$C" waitport "$1" "$2" "${3:-10}"
}

wait_file() {
	_n=0
	while [ ! -s "$1" ]; do
		_n=$((_n + 1))
		[ $_n -ge $((${2:-10} * 20)) ] && return 1
		sleep 0.05
	done
	return 0
}

ms_now() {
	date +%s%3N 2>/dev/null | grep -E '^[0-9]+$' ||
	    "$PY" -c 'import time; print(int(time.time() * 1000))'
}

sha_file() {
	sha256sum "$1" | cut -d' ' -f1
}

sha_pat() {
	"$PY" "$ORIGIN" --sha "$1"
}

urlhost() {
	case $1 in
	*:*) echo "[$1]" ;;
	*) echo "$1" ;;
	esac
}

# ---------------------------------------------------------------- proxies

# spawn_proxy NAME ARGS: starts $PROXY_BIN ARGS in the background (its pid
# in $!), output in $T/NAME.out and $T/NAME.err. With TESTS_STDIO=closed,
# the default except for sanitizer builds (whose reports need stderr), it
# starts with stdin, stdout and stderr closed, as some init systems start
# daemons: the whole suite then runs against a proxy that must open them
# itself, so no client's socket can ever get descriptor 0, 1 or 2.
spawn_proxy() {
	_spn=$1
	shift
	# PROXY_EVENTS=poll (or epoll, kqueue): every proxy of the suite
	# runs on that event backend (CI runs the suite with poll too)
	if [ -n "${PROXY_EVENTS:-}" ]; then
		set -- "$@" --events "$PROXY_EVENTS"
	fi
	# SPAWN_SETSID=1: in a process group of its own (pgid = its pid), as
	# a terminal's foreground job is, so a case can "press Ctrl-C"
	_spb=$PROXY_BIN
	if [ "${SPAWN_SETSID:-0}" = 1 ]; then
		set -- "$PROXY_BIN" "$@"
		_spb=setsid
	fi
	if [ "$STDIO" = closed ]; then
		: >"$T/$_spn.out"
		echo "(started with stdin, stdout and stderr closed)" >"$T/$_spn.err"
		"$_spb" "$@" <&- >&- 2>&- &
	else
		"$_spb" "$@" >"$T/$_spn.out" 2>"$T/$_spn.err" &
	fi
}

# start_proxy NAME [flags...]: starts $PROXY_BIN on a free port with
# --port P --log-file $T/NAME.log --log-level debug (and --num-workers 2
# unless given) and waits for the port. Sets P, PX (pid), PH (host),
# LOG, PROXY_URL and PID_NAME/PORT_NAME. Returns 1 with START_ERR set if
# the proxy does not come up. With EQ=1 the harness's flags use --name=value.
start_proxy() {
	_name=$1
	shift
	PH=127.0.0.1
	_hasnw=0
	_prev=
	for _a in "$@"; do
		case $_prev in
		--hostname|--listen) [ "$PH" = 127.0.0.1 ] && PH=$_a ;;
		esac
		case $_a in
		--hostname=*|--listen=*) PH=${a#*=} ;;
		--num-workers|--num-workers=*|--workers|--workers=*) _hasnw=1 ;;
		esac
		_prev=$_a
	done
	P=$(freeport "$PH")
	LOG=$T/$_name.log
	if [ "${EQ:-0}" = 1 ]; then
		set -- --port="$P" --log-file="$LOG" --log-level=debug "$@"
		[ $_hasnw = 1 ] || set -- --num-workers=2 "$@"
	else
		set -- --port "$P" --log-file "$LOG" --log-level debug "$@"
		[ $_hasnw = 1 ] || set -- --num-workers 2 "$@"
	fi
	echo "$PROXY_BIN $*" >"$T/$_name.cmd"
	spawn_proxy "$_name" "$@"
	PX=$!
	track $PX
	RUNNING="$RUNNING $_name"
	eval "PID_$_name=$PX PORT_$_name=$P HOST_$_name=$PH"
	PROXY_URL=http://$(urlhost "$PH"):$P
	if ! "$PY" "$C" waitport "$PH" "$P" 10 "$PX"; then
		if alive "$PX"; then
			START_ERR="proxy $_name not listening on $PH:$P after 10 s"
		else
			wait "$PX"
			_st=$?
			# a flag refused (status 2) with stderr closed: ask
			# again for the message, which names the flag
			if [ $_st = 2 ] && [ "$STDIO" = closed ]; then
				timeout 10 "$PROXY_BIN" "$@" </dev/null \
				    >/dev/null 2>"$T/$_name.err"
			fi
			START_ERR="proxy $_name exited with status $_st at start-up: $(head -c 300 "$T/$_name.err" | tr '\n' ' ')"
		fi
		echo "    | $(cat "$T/$_name.cmd")"
		evidence "$T/$_name.err" 5
		evidence "$LOG" 5
		return 1
	fi
	return 0
}

# use_proxy NAME: makes NAME's port and pid current
use_proxy() {
	eval "P=\$PORT_$1 PX=\$PID_$1 PH=\$HOST_$1"
	LOG=$T/$1.log
	PROXY_URL=http://$(urlhost "$PH"):$P
}

# forget_proxy NAME: the case stopped NAME itself; the harness leaves it
forget_proxy() {
	RUNNING=$(echo "$RUNNING" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
	eval "PID_$1="
}

# proxy_exited NAME SECONDS: NAME (stopped by the case) is gone within
# SECONDS; sets EXIT_RC to its status
proxy_exited() {
	eval "_xp=\$PID_$1"
	wait_gone "$_xp" "$2" || return 1
	wait "$_xp"
	EXIT_RC=$?
	forget_proxy "$1"
	return 0
}

# stop_proxy NAME: SIGTERM, a bounded wait, then SIGKILL and a failure.
# Sets STOP_RC to the exit status. Also fails if workers outlive it.
stop_proxy() {
	_name=$1
	eval "_spid=\${PID_$_name:-}"
	[ -n "$_spid" ] || return 0
	forget_proxy "$_name"
	_kids=$(descendants "$_spid" | tr '\n' ' ')
	STOP_RC=
	kill -TERM "$_spid" 2>/dev/null
	if ! wait_gone "$_spid" 15; then
		kill -KILL "$_spid" $_kids 2>/dev/null
		wait "$_spid" 2>/dev/null
		fail "${CASE}_stop" "proxy $_name did not exit within 15 s of SIGTERM"
		return 1
	fi
	wait "$_spid"
	STOP_RC=$?
	for _k in $_kids; do
		if ! wait_gone "$_k" 5; then
			kill -KILL $_kids 2>/dev/null
			fail "${CASE}_stop" "proxy $_name exited but its child $_k did not"
			return 1
		fi
	done
	return 0
}

# a proxy's crashes show as worker deaths in its log or sanitizer reports
check_crashes() {
	_name=$1
	_from=$2
	[ "${EXPECT_WORKER_DEATH:-0}" = 1 ] && return 0
	_bad=$(tail -n +"$_from" "$T/$_name.log" 2>/dev/null |
	    grep -E 'worker.*(killed by|exited with)' | head -n 3)
	if [ -n "$_bad" ]; then
		fail "${CASE}_worker_died" "proxy $_name: $(echo "$_bad" | head -n 1)"
		echo "$_bad" | sed 's/^/    | /'
	fi
	_bad=$(tail -n +"${3:-1}" "$T/$_name.err" 2>/dev/null | grep -E -A4 \
	    'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' |
	    grep -vE '^(--|=+)$' | head -n 6)
	if [ -n "$_bad" ]; then
		fail "${CASE}_sanitizer" "proxy $_name: $(echo "$_bad" | head -n 1)"
		echo "$_bad" | sed 's/^/    | /'
	fi
}

# pcurl ARGS: curl through the current proxy
pcurl() {
	curl -q -sS --noproxy '' --max-time 30 -x "$PROXY_URL" "$@"
}

# fetch URL [curl args]: body in $T/body, head in $T/hdrs, status in CODE
fetch() {
	rm -f "$T/body" "$T/hdrs"
	CODE=$(pcurl -o "$T/body" -D "$T/hdrs" -w '%{http_code}' "$@" \
	    2>"$T/curl.err")
	CURL_RC=$?
	[ -f "$T/body" ] || : >"$T/body"
}

# raw ARGS: client.py http against the current proxy, output in $T/raw
raw() {
	"$PY" "$C" http "$PH" "$P" "$@" >"$T/raw" 2>&1
}

# resp K FIELD: a field of the K-th response in $T/raw (status, len, ...)
resp() {
	awk -v k="$1" -v f="$2=" '$1 == "resp" && $2 == k {
		for (i = 3; i <= NF; i++)
			if (index($i, f) == 1) { print substr($i, length(f) + 1); exit }
	}' "$T/raw"
}

# rhdr K NAME: a header of the K-th response in $T/raw
rhdr() {
	sed -n "s/^hdr $1 $2: //p" "$T/raw" | head -n 1
}

# origin_stat KEY...: counters from one /stats of the IPv4 origin (that
# /stats is itself one connection and one request)
origin_stat() {
	_js=$(curl -q -s --noproxy '*' --max-time 5 "http://127.0.0.1:$O4/stats")
	_out=
	for _k in "$@"; do
		_out="$_out $(echo "$_js" | sed -n "s/.*\"$_k\": \([0-9]*\).*/\1/p")"
	done
	echo $_out
}

# log_lines_since FILE N: lines after the first N-1
log_since() {
	tail -n +"$2" "$1" 2>/dev/null
}

log_size() {
	if [ -f "$1" ]; then
		echo $(($(wc -l <"$1") + 1))
	else
		echo 1
	fi
}

have() {
	command -v "$1" >/dev/null 2>&1
}

# ---------------------------------------------------------------- client

# The raw-socket client the cases drive (python3 standard library):
# freeport, waitport, http (send bytes, parse the responses), ws, tunnel,
# maxclients, idle, blackhole. Written to $T at start.
write_client() {
	cat >"$C" <<'PYEOF'
import base64, codecs, hashlib, os, select, socket, sys, threading, time

PERIOD = 251
PATTERN = bytes((i * 7 + 13) & 0xFF for i in range(PERIOD))
BLOCK = PATTERN * 261


def pattern_blocks(n):
    while n > 0:
        k = min(n, len(BLOCK))
        yield BLOCK[:k]
        n -= k


def unesc(s):
    return codecs.escape_decode(s.encode("latin-1"))[0]


def fam(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def connect(host, port, timeout=10):
    s = socket.socket(fam(host), socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host.strip("[]"), int(port)))
    return s


def cmd_freeport(args):
    host = args[0] if args else "127.0.0.1"
    s = socket.socket(fam(host), socket.SOCK_STREAM)
    s.bind((host, 0))
    print(s.getsockname()[1])


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        try:
            os.kill(pid, 0)
            return True
        except OSError:
            return False


def cmd_waitport(args):
    """waitport HOST PORT [SECONDS [PID]]: polls connect until it works;
    gives up early when PID has exited."""
    host, port = args[0], int(args[1])
    limit = time.monotonic() + (float(args[2]) if len(args) > 2 else 10)
    pid = int(args[3]) if len(args) > 3 else None
    while time.monotonic() < limit:
        if pid is not None and not pid_alive(pid):
            return 1
        try:
            connect(host, port, 0.5).close()
            return 0
        except OSError:
            time.sleep(0.05)
    return 1


class Incomplete(Exception):
    pass


def dechunk(data, pos):
    """(body, end, trailers) of the chunked body at data[pos:]."""
    out = []
    while True:
        i = data.find(b"\r\n", pos)
        if i < 0:
            raise Incomplete()
        line = data[pos:i]
        size = int(line.split(b";", 1)[0].strip() or b"x", 16)
        pos = i + 2
        if size == 0:
            trailers = []
            while True:
                i = data.find(b"\r\n", pos)
                if i < 0:
                    raise Incomplete()
                line = data[pos:i]
                pos = i + 2
                if not line:
                    return b"".join(out), pos, trailers
                trailers.append(line)
        if len(data) < pos + size + 2:
            raise Incomplete()
        out.append(data[pos:pos + size])
        if data[pos + size:pos + size + 2] != b"\r\n":
            raise ValueError("no CRLF after chunk")
        pos += size + 2


def parse_stream(data, eof, heads):
    """Parses the responses in data; returns (list, consumed)."""
    out, pos, nfinal = [], 0, 0
    while pos < len(data):
        i = data.find(b"\r\n\r\n", pos)
        if i < 0:
            break
        lines = data[pos:i].split(b"\r\n")
        first = lines[0].decode("latin-1")
        parts = first.split(" ", 2)
        try:
            status = int(parts[1])
        except (IndexError, ValueError):
            out.append({"bad": first})
            return out, len(data)
        hdrs = []
        for ln in lines[1:]:
            k, _, v = ln.decode("latin-1").partition(":")
            hdrs.append((k.strip().lower(), v.strip()))
        hd = dict(hdrs)
        start = i + 4
        r = {"status": status, "version": parts[0], "headers": hdrs,
             "trailers": []}
        if 100 <= status < 200 and status != 101:
            r["framing"], r["body"] = "interim", b""
            out.append(r)
            pos = start
            continue
        nfinal += 1
        if status == 101:
            r["framing"], r["body"] = "upgrade", data[start:]
            out.append(r)
            return out, len(data)
        if nfinal in heads or status in (204, 304):
            r["framing"], r["body"], end = "none", b"", start
        elif "chunked" in hd.get("transfer-encoding", "").lower():
            try:
                r["body"], end, r["trailers"] = dechunk(data, start)
            except Incomplete:
                break
            except ValueError as e:
                out.append({"bad": "chunked: %s" % e})
                return out, len(data)
            r["framing"] = "chunked"
        elif "content-length" in hd:
            n = int(hd["content-length"])
            if len(data) - start < n:
                break
            r["framing"], r["body"], end = "length", data[start:start + n], \
                start + n
        else:
            if not eof:
                break
            r["framing"], r["body"], end = "close", data[start:], len(data)
        out.append(r)
        pos = end
    return out, pos


class Reader(threading.Thread):
    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock, self.data, self.eof, self.err = sock, bytearray(), False, None
        self.cond = threading.Condition()

    def run(self):
        try:
            while True:
                d = self.sock.recv(262144)
                with self.cond:
                    if not d:
                        self.eof = True
                    else:
                        self.data += d
                    self.cond.notify_all()
                if not d:
                    return
        except OSError as e:
            with self.cond:
                self.err, self.eof = str(e), True
                self.cond.notify_all()

    def wait(self, pred, deadline):
        with self.cond:
            while not pred() and not self.eof:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(min(left, 0.2))
            return pred()


def cmd_http(args):
    """http HOST PORT [--send S|--send-pattern N|--send-file F|--wait-100|
    --pause S|--shut]... [--count N] [--heads 1,2] [--linger S]
    [--timeout S] [--save PREFIX]"""
    host, port = args[0], args[1]
    steps, count, heads, linger, timeout, save = [], None, set(), 0.0, 10.0, None
    i = 2
    while i < len(args):
        a = args[i]
        if a in ("--wait-100", "--shut"):
            steps.append((a, None))
            i += 1
            continue
        v = args[i + 1]
        i += 2
        if a in ("--send", "--send-pattern", "--send-file", "--pause"):
            steps.append((a, v))
        elif a == "--count":
            count = int(v)
        elif a == "--heads":
            heads = set(int(x) for x in v.split(",") if x)
        elif a == "--linger":
            linger = float(v)
        elif a == "--timeout":
            timeout = float(v)
        elif a == "--save":
            save = v
        else:
            print("usage: bad option %s" % a)
            return 2
    t0 = time.monotonic()
    deadline = t0 + timeout
    try:
        s = connect(host, port, timeout)
    except OSError as e:
        print("connect-error %s" % e)
        return 2
    s.settimeout(None)
    rd = Reader(s)
    rd.start()
    note = []
    try:
        for kind, v in steps:
            if kind == "--send":
                s.sendall(unesc(v))
            elif kind == "--send-pattern":
                for b in pattern_blocks(int(v)):
                    s.sendall(b)
            elif kind == "--send-file":
                with open(v, "rb") as f:
                    while True:
                        b = f.read(65536)
                        if not b:
                            break
                        s.sendall(b)
            elif kind == "--pause":
                time.sleep(float(v))
            elif kind == "--shut":
                s.shutdown(socket.SHUT_WR)
            elif kind == "--wait-100":
                def got100():
                    r, _ = parse_stream(bytes(rd.data), False, set())
                    return any(x.get("status") == 100 or
                               (x.get("status", 0) >= 200) for x in r)
                ok = rd.wait(got100, deadline)
                note.append("wait-100 %s %.3f" % (
                    "ok" if ok else "timeout", time.monotonic() - t0))
    except OSError as e:
        note.append("send-error %s" % e)

    def enough():
        if count is None:
            return False
        r, _ = parse_stream(bytes(rd.data), False, heads)
        return sum(1 for x in r if x.get("framing") != "interim") >= count
    rd.wait(enough, deadline)
    if linger > 0 and not rd.eof:
        rd.wait(lambda: False, min(deadline, time.monotonic() + linger))
    with rd.cond:
        data, eof = bytes(rd.data), rd.eof
    resps, used = parse_stream(data, eof, heads)
    for n in note:
        print(n)
    k = 0
    for r in resps:
        k += 1
        if "bad" in r:
            print("resp %d bad %s" % (k, r["bad"]))
            continue
        body = r["body"]
        print("resp %d status=%d version=%s framing=%s len=%d sha=%s" % (
            k, r["status"], r["version"], r["framing"], len(body),
            hashlib.sha256(body).hexdigest()))
        for hk, hv in r["headers"]:
            print("hdr %d %s: %s" % (k, hk, hv))
        for t in r["trailers"]:
            print("trailer %d %s" % (k, t.decode("latin-1")))
        if save:
            with open("%s.%d" % (save, k), "wb") as f:
                f.write(body)
    if used < len(data):
        print("extra %d" % (len(data) - used))
    print("end %s %.3f%s" % ("eof" if eof else ("timeout" if time.monotonic()
          >= deadline else "open"), time.monotonic() - t0,
          " error=%s" % rd.err if rd.err else ""))
    s.close()
    return 0


def read_head(s, deadline):
    buf = b""
    while b"\r\n\r\n" not in buf:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        d = s.recv(65536)
        if not d:
            raise EOFError("eof before the response head (got %r)" % buf[:200])
        buf += d
    i = buf.index(b"\r\n\r\n") + 4
    return buf[:i], buf[i:]


def cmd_ws(args):
    """ws PHOST PPORT URL: WebSocket handshake through the proxy, then an
    echo both ways."""
    phost, pport, url = args[0], args[1], args[2]
    hostport = url.split("/")[2]
    key = base64.b64encode(os.urandom(16)).decode()
    deadline = time.monotonic() + 10
    s = connect(phost, pport)
    s.sendall(("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (url, hostport, key)
               ).encode())
    try:
        head, rest = read_head(s, deadline)
    except (OSError, EOFError) as e:
        print("ws fail: %s" % e)
        return 1
    first = head.split(b"\r\n")[0].decode("latin-1")
    want = base64.b64encode(hashlib.sha1(
        key.encode() + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
    if " 101 " not in first + " ":
        print("ws fail: status line %r" % first)
        return 1
    if b"sec-websocket-accept: " + want.lower() not in head.lower():
        print("ws fail: bad or missing Sec-WebSocket-Accept in %r" % head)
        return 1
    got = bytearray(rest)
    sent = b""
    for size in (1, 100, 5000, 70000):
        msg = os.urandom(size)
        sent += msg
        s.sendall(msg)
        while len(got) < len(sent):
            s.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                d = s.recv(65536)
            except OSError as e:
                print("ws fail: %s after %d of %d echoed bytes" % (
                    e, len(got), len(sent)))
                return 1
            if not d:
                print("ws fail: eof after %d of %d echoed bytes" % (
                    len(got), len(sent)))
                return 1
            got += d
    if bytes(got) != sent:
        print("ws fail: echoed bytes differ")
        return 1
    s.shutdown(socket.SHUT_WR)
    s.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        tail = s.recv(100)
    except OSError as e:
        print("ws fail: no close after half-close: %s" % e)
        return 1
    if tail:
        print("ws fail: unexpected bytes after echo %r" % tail)
        return 1
    print("ws ok %d bytes" % len(sent))
    return 0


def cmd_tunnel(args):
    """tunnel PHOST PPORT TARGET SIZE [TIMEOUT]: CONNECT, send SIZE pattern
    bytes, half-close, read the echo until EOF."""
    phost, pport, target, size = args[0], args[1], args[2], int(args[3])
    timeout = float(args[4]) if len(args) > 4 else 20
    deadline = time.monotonic() + timeout
    s = connect(phost, pport)
    s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)
               ).encode())
    try:
        head, rest = read_head(s, deadline)
    except (OSError, EOFError) as e:
        print("status none (%s)" % e)
        return 1
    first = head.split(b"\r\n")[0].decode("latin-1")
    print("status %s" % (first.split(" ") + ["?"])[1])
    if " 200" not in first:
        print("head %r" % head)
        return 0
    err = []

    def send():
        try:
            for b in pattern_blocks(size):
                s.sendall(b)
            s.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(str(e))
    t = threading.Thread(target=send, daemon=True)
    t.start()
    h = hashlib.sha256()
    h.update(rest)
    n = len(rest)
    eof = False
    while time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            d = s.recv(262144)
        except socket.timeout:
            break
        except OSError as e:
            err.append(str(e))
            break
        if not d:
            eof = True
            break
        h.update(d)
        n += len(d)
    t.join(1)
    want = hashlib.sha256()
    for b in pattern_blocks(size):
        want.update(b)
    print("sent %d recv %d match %s eof %s%s" % (
        size, n, "yes" if want.digest() == h.digest() else "no",
        "yes" if eof else "no", " error " + ";".join(err) if err else ""))
    return 0


def cmd_maxclients(args):
    """maxclients PHOST PPORT N URL [warm]: hold N idle connections, then
    ask once more; then free them and ask again. With "warm" each held
    connection first gets one keep-alive answer, so it is surely counted
    whichever worker took it."""
    phost, pport, n, url = args[0], args[1], int(args[2]), args[3]
    hostport = url.split("/")[2]
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" %
           (url, hostport)).encode()
    # the held connections are ahead of the next one in the accept queue
    held = [connect(phost, pport) for _ in range(n)]
    for s in held if args[4:] == ["warm"] else []:
        s.sendall(req.replace(b"Connection: close", b"X-Warm: 1"))
        head, _ = read_head(s, time.monotonic() + 10)
        if b" 200 " not in head.split(b"\r\n")[0] + b" ":
            print("warm %r" % head[:60])

    def ask():
        try:
            s = connect(phost, pport)
            s.sendall(req)
            head, _ = read_head(s, time.monotonic() + 10)
            s.close()
            return head.split(b"\r\n")[0].decode("latin-1").split(" ")[1]
        except (OSError, EOFError, IndexError) as e:
            return "none(%s)" % e
    print("extra %s" % ask())
    for s in held:
        s.close()
    limit = time.monotonic() + 10
    st = ask()
    while st != "200" and time.monotonic() < limit:
        time.sleep(0.1)
        st = ask()
    print("after %s" % st)
    return 0


def cmd_idle(args):
    """idle HOST PORT MAX [SEND]: time until the peer closes."""
    host, port, mx = args[0], args[1], float(args[2])
    s = connect(host, port)
    t0 = time.monotonic()
    if len(args) > 3:
        s.sendall(unesc(args[3]))
    got = b""
    while True:
        left = t0 + mx - time.monotonic()
        if left <= 0:
            print("open after %.3f got %r" % (mx, got[:80]))
            return 0
        r, _, _ = select.select([s], [], [], left)
        if not r:
            continue
        try:
            d = s.recv(65536)
        except OSError:
            d = b""
        if not d:
            print("closed after %.3f got %r" % (time.monotonic() - t0,
                                                got[:80]))
            return 0
        got += d


def cmd_blackhole(args):
    """blackhole HOST PORT SECONDS: a listener whose accept queue is full, so
    the kernel drops further SYNs; prints ready or failed."""
    host, port, secs = args[0], int(args[1]), float(args[2])
    ls = socket.socket(fam(host), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam(host) == socket.AF_INET6:
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    ls.bind((host, port))
    ls.listen(0)
    fillers = []
    for _ in range(4):
        c = socket.socket(fam(host), socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect((host, port))
        except BlockingIOError:
            pass
        fillers.append(c)
    time.sleep(0.2)
    probe = socket.socket(fam(host), socket.SOCK_STREAM)
    probe.settimeout(0.7)
    try:
        probe.connect((host, port))
        print("failed: a connect still succeeds", flush=True)
        return 1
    except socket.timeout:
        print("ready", flush=True)
    except OSError as e:
        print("failed: %s" % e, flush=True)
        return 1
    probe.close()
    time.sleep(secs)
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    f = globals().get("cmd_" + cmd)
    if f is None:
        print("client.py: no command %s" % cmd)
        return 2
    return f(args) or 0


if __name__ == "__main__":
    sys.exit(main())
PYEOF
}

# ---------------------------------------------------------------- setup

write_client

# a DNS server only for made-up names, inside our own mount namespace
setup_dns() {
	if [ "$PROXY_TESTS_STAGE" != ns ]; then
		DNS_NOTE="no private mount namespace ($NS_NOTE): name-based cases skip"
		return
	fi
	for last in 53 54 55 56 57 58; do
		DNS_ADDR=127.53.53.$last
		bg dns "$PY" "$ROOT/tests/dns.py" --host "$DNS_ADDR" --port 53 \
		    --log "$T/dns.log"
		DNS_PID=$BGPID
		n=0
		while [ $n -lt 200 ] && alive "$DNS_PID" &&
		    ! grep -q serving "$T/dns.out" 2>/dev/null; do
			sleep 0.05
			n=$((n + 1))
		done
		grep -q serving "$T/dns.out" 2>/dev/null && break
		kill_bg "$DNS_PID"
		DNS_PID=
	done
	if [ -z "$DNS_PID" ]; then
		DNS_NOTE="tests/dns.py could not bind 127.53.53.x:53: $(tail -n 1 "$T/dns.err")"
		return
	fi
	printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$DNS_ADDR" \
	    >"$T/resolv.conf"
	if ! mount --bind "$T/resolv.conf" /etc/resolv.conf 2>"$T/mount.err"
	then
		DNS_NOTE="cannot bind-mount /etc/resolv.conf: $(cat "$T/mount.err")"
		return
	fi
	NS_MOUNTED=1
	if ! grep -q "^nameserver $DNS_ADDR" /etc/resolv.conf ||
	    [ "$(getent hosts probe.test | cut -d' ' -f1)" != 127.0.0.1 ]; then
		DNS_NOTE="the test resolver does not answer (getent hosts probe.test)"
		return
	fi
	DNS_OK=1
	DNS_NOTE="test DNS on $DNS_ADDR"
}

# start_origin NAME HOST [args]: tests/origin.py on a kernel-chosen port,
# which it puts in OPORT (not run in $(...): the pid must be tracked here)
start_origin() {
	OPORT=
	oname=$1
	ohost=$2
	shift 2
	rm -f "$T/$oname.port"
	bg "$oname" "$PY" "$ORIGIN" --host "$ohost" --port 0 \
	    --port-file "$T/$oname.port" --log "$T/$oname.log" "$@"
	if ! wait_file "$T/$oname.port" 10 ||
	    ! waitport "$ohost" "$(cat "$T/$oname.port")" 10; then
		echo "tests: origin $oname on $ohost did not start"
		evidence "$T/$oname.err" 5
		return 1
	fi
	OPORT=$(cat "$T/$oname.port")
}

setup_nginx() {
	NG=
	NGINX=$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)
	if [ ! -x "$NGINX" ]; then
		NGINX_NOTE="nginx is not installed"
		return
	fi
	mkdir -p "$T/www" "$T/nginx-tmp"
	"$PY" "$ORIGIN" --gen 1024 >"$T/www/1k.bin"
	"$PY" "$ORIGIN" --gen 1048576 >"$T/www/1m.bin"
	NG=$(freeport)
	cat >"$T/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/nginx-error.log;
events { worker_connections 256; }
http {
	log_format t '\$connection \$connection_requests "\$request" \$status \$body_bytes_sent';
	access_log $T/nginx-access.log t;
	client_body_temp_path $T/nginx-tmp;
	keepalive_requests 10000;
	keepalive_timeout 60s;
	types { application/octet-stream bin; }
	server { listen 127.0.0.1:$NG; root $T/www; }
}
EOF
	bg nginx "$NGINX" -p "$T" -e "$T/nginx-error.log" -c "$T/nginx.conf"
	NGINX_PID=$BGPID
	if ! waitport 127.0.0.1 "$NG" 10; then
		NGINX_NOTE="nginx did not start: $(tail -n 2 "$T/nginx.err" "$T/nginx-error.log" 2>/dev/null | tr '\n' ' ')"
		NG=
		return
	fi
	NGINX_NOTE=
}

# ---------------------------------------------------------------- unit tests

run_units() {
	if [ ! -f Makefile ]; then
		skip unit "no Makefile yet"
		return
	fi
	if ! make unit >"$T/make-unit.log" 2>&1; then
		if grep -q "No rule to make target .unit" "$T/make-unit.log"; then
			skip unit "the Makefile has no unit target"
		else
			fail unit_build "make unit failed"
			evidence "$T/make-unit.log" 20
		fi
		return
	fi
	found=0
	for u in tests/unit_*; do
		case $u in
		*.c|*.h|*.o|*.d|*.dSYM) continue ;;
		esac
		[ -f "$u" ] && [ -x "$u" ] || continue
		found=1
		un=${u#tests/}
		if have timeout; then
			timeout "${TESTS_UNIT_TIMEOUT:-120}" $RUN "./$u" >"$T/$un.out" 2>&1
		else
			$RUN "./$u" >"$T/$un.out" 2>&1
		fi
		rc=$?
		last=$(tail -n 1 "$T/$un.out")
		counts=$(echo "$last" | sed -n \
		    's/^unit_[A-Za-z0-9_]*: \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1 \2/p')
		grep '^FAIL' "$T/$un.out" | head -n 20 | sed "s/^/    $un: /"
		if [ $rc -ge 124 ]; then
			FAILED=$((FAILED + 1))
			FAILS="$FAILS $un"
			echo "FAIL $un: crashed or timed out (status $rc)"
			evidence "$T/$un.out" 10
		elif [ $rc = 0 ] && echo "$last" | grep -q '^unit_[A-Za-z0-9_]*: skipped: '; then
			skip "$un" "${last#*: skipped: }"
		elif [ -z "$counts" ]; then
			FAILED=$((FAILED + 1))
			FAILS="$FAILS $un"
			echo "FAIL $un: no 'N passed, M failed' last line (status $rc)"
			evidence "$T/$un.out" 10
		else
			set -- $counts
			PASSED=$((PASSED + $1))
			FAILED=$((FAILED + $2))
			[ "$2" -gt 0 ] && FAILS="$FAILS $un"
			if [ $rc -ne 0 ] && [ "$2" = 0 ]; then
				FAILED=$((FAILED + 1))
				FAILS="$FAILS $un"
				echo "FAIL $un: exit status $rc but no failure reported"
			fi
			echo "unit $last"
		fi
	done
	[ $found = 1 ] || skip unit "make unit built no tests/unit_* binary"
}

# ---------------------------------------------------------------- runner

# run_case NAME: runs t_NAME, then stops what it left running and looks
# for crashes in the shared proxy's log
run_case() {
	CASE=$1
	if [ -n "$ONLY" ]; then
		case " $ONLY " in
		*" $1 "*) ;;
		*) return 0 ;;
		esac
	fi
	_before=$VERDICTS
	_shared_from=$(log_size "$T/shared.log")
	_shared_err=$(log_size "$T/shared.err")
	EXPECT_WORKER_DEATH=0
	_t0=$(ms_now)
	"t_$1"
	[ $VERDICTS -gt $_before ] || fail "$1" "the case gave no verdict (test bug)"
	for _r in $RUNNING; do
		[ "$_r" = shared ] && continue
		# after the stop: sanitizers report leaks at exit
		stop_proxy "$_r"
		check_crashes "$_r" 1
	done
	if [ -n "${PID_shared:-}" ]; then
		check_crashes shared "$_shared_from" "$_shared_err"
	fi
	_dt=$(($(ms_now) - _t0))
	[ $_dt -gt 5000 ] && echo "     ($1 took $((_dt / 1000)) s)"
	return 0
}

# shared: one proxy with default flags for cases that need nothing
# special; restarted (and the previous case blamed) if it died
use_shared() {
	if [ -n "${PID_shared:-}" ] && alive "$PID_shared"; then
		use_proxy shared
		return 0
	fi
	if [ -n "${PID_shared:-}" ]; then
		fail "${LAST_SHARED_CASE:-?}_shared_died" "the shared proxy died during or after case ${LAST_SHARED_CASE:-?}"
		evidence "$T/shared.err" 5
		wait "$PID_shared" 2>/dev/null
		PID_shared=
		mv "$T/shared.log" "$T/shared.log.dead.$$" 2>/dev/null
	fi
	start_proxy shared || return 1
	LAST_SHARED_CASE=$CASE
	return 0
}

needs_shared() {
	LAST_SHARED_CASE=$CASE
	use_shared && return 0
	fail "$CASE" "$START_ERR"
	return 1
}

# ---------------------------------------------------------------- main

echo "tests: temp dir $T"
_features=$("$PROXY_BIN" --version 2>/dev/null | sed -n 's/^features://p')
for _f in pac ntlm; do
	case " $_features " in
	*" $_f "*) ;;
	*) BUILT_WITHOUT="$BUILT_WITHOUT $(echo $_f | tr a-z A-Z)" ;;
	esac
done
[ -n "$BUILT_WITHOUT" ] && echo "tests: built without$BUILT_WITHOUT: the cases that need it skip"
run_units

# harness: origins, DNS, nginx
setup_dns
echo "tests: $DNS_NOTE"
start_origin origin4 127.0.0.1 || fail harness "origin on 127.0.0.1 did not start"
O4=$OPORT
O6=
if "$PY" -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
	start_origin origin6 ::1
	O6=$OPORT
fi
[ -n "$O6" ] || echo "tests: no IPv6 loopback: IPv6 cases skip"
start_origin echo 127.0.0.1 --echo
E=$OPORT
CLOSED=$(freeport)
setup_nginx
[ -n "$NG" ] && echo "tests: nginx on 127.0.0.1:$NG" || echo "tests: $NGINX_NOTE: nginx cases skip"
OURL=http://127.0.0.1:$O4

if [ ! -x "$PROXY_BIN" ]; then
	fail proxy_binary "$PROXY_BIN is missing or not executable (run make)"
elif [ -z "$O4" ]; then
	:
else
	for f in tests/e2e_*.sh; do
		. "./$f"
	done
	for c in $CASES; do
		run_case "$c"
	done
	if [ -n "${PID_shared:-}" ]; then
		CASE=shared
		stop_proxy shared
		check_crashes shared "$(log_size "$T/shared.log")" "${_shared_err:-1}"
	fi
fi

# the unit tests and every case are done: a summary line for CI
echo
if [ -n "$FAILS" ]; then
	echo "failed:$FAILS"
fi
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ $FAILED -eq 0 ] && exit 0
exit 1
