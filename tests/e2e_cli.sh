# Command line and start-up cases; sourced by tests.sh.

CASES="${CASES:-} cli_help cli_version cli_unknown_flag cli_bad_values
cli_missing_value cli_equals_form cli_aliases cli_default_port startup_log
flags_misc build_flags build_features man_page"

ALL_FLAGS="hostname listen port num-workers workers daemon pid-file quit
log-level debug log-file disable-via disable-headers add-header useragent
connect-ports max-header-size socktimeout idle max-clients
client-recvbuf-size server-recvbuf-size open-file-limit backlog ca-bundle
insecure-upstream version help"

# run_cli ARGS: the proxy with ARGS, bounded; output in $T/cli.out/err
run_cli() {
	if have timeout; then
		timeout 10 "$PROXY_BIN" "$@" >"$T/cli.out" 2>"$T/cli.err"
	else
		"$PROXY_BIN" "$@" >"$T/cli.out" 2>"$T/cli.err"
	fi
	CLI_RC=$?
}

t_cli_help() {
	run_cli --help
	if [ $CLI_RC != 0 ]; then
		fail cli_help "--help exited with $CLI_RC, want 0"
		evidence "$T/cli.err" 5
		return
	fi
	missing=
	for f in $ALL_FLAGS; do
		grep -q -- "--$f\\b" "$T/cli.out" || missing="$missing --$f"
	done
	for d in 3128 65536 127.0.0.1; do
		grep -q "$d" "$T/cli.out" || missing="$missing default:$d"
	done
	if [ -n "$missing" ]; then
		fail cli_help "--help does not list:$missing"
		evidence "$T/cli.out" 10
		return
	fi
	pass cli_help
}

t_cli_version() {
	run_cli --version
	want=$(sed -n 's/^#define PROXY_VERSION[ 	]*"\(.*\)"/\1/p' proxy.h)
	if [ $CLI_RC != 0 ]; then
		fail cli_version "--version exited with $CLI_RC, want 0"
	elif ! grep -qE '[0-9]+\.[0-9]+' "$T/cli.out"; then
		fail cli_version "no version number on stdout: $(head -c 200 "$T/cli.out")"
	elif [ -n "$want" ] && ! grep -qF "$want" "$T/cli.out"; then
		fail cli_version "stdout does not show PROXY_VERSION $want: $(head -c 200 "$T/cli.out")"
	else
		pass cli_version
	fi
}

t_cli_unknown_flag() {
	run_cli --no-such-flag 1
	if [ $CLI_RC != 2 ]; then
		fail cli_unknown_flag "exit status $CLI_RC, want 2"
	elif ! grep -q 'no-such-flag' "$T/cli.err"; then
		fail cli_unknown_flag "stderr does not name the flag: $(head -c 200 "$T/cli.err")"
	else
		pass cli_unknown_flag
	fi
}

t_cli_bad_values() {
	bad=
	for spec in "port abc" "port 70000" "port=0x" "num-workers many" \
	    "log-level loud" "log-level=verbose" "max-header-size -5" \
	    "socktimeout soon" "idle x" "max-clients 0x10" "backlog -1" \
	    "client-recvbuf-size big" "connect-ports 80,http"; do
		case $spec in
		*=*) set -- "--$spec"; flag=${spec%%=*} ;;
		*) set -- "--${spec% *}" "${spec#* }"; flag=${spec% *} ;;
		esac
		run_cli "$@" --port "$(freeport)"
		if [ $CLI_RC != 2 ]; then
			bad="$bad [$*: status $CLI_RC]"
		elif ! grep -q -- "$flag" "$T/cli.err"; then
			bad="$bad [$*: stderr does not name $flag: $(head -c 100 "$T/cli.err" | tr '\n' ' ')]"
		fi
	done
	if [ -n "$bad" ]; then
		fail cli_bad_values "want status 2 and the flag named on stderr:$bad"
	else
		pass cli_bad_values
	fi
}

t_cli_missing_value() {
	run_cli --port
	if [ $CLI_RC != 2 ]; then
		fail cli_missing_value "'--port' with no value: status $CLI_RC, want 2"
	elif ! grep -q port "$T/cli.err"; then
		fail cli_missing_value "stderr does not name --port: $(head -c 200 "$T/cli.err")"
	else
		pass cli_missing_value
	fi
}

t_cli_equals_form() {
	EQ=1
	start_proxy eq --num-workers=1 --disable-via=yes --add-header='X-Eq: 1'
	rc=$?
	EQ=0
	if [ $rc != 0 ]; then
		fail cli_equals_form "$START_ERR"
		return
	fi
	fetch "$OURL/echo"
	if [ "$CODE" != 200 ]; then
		fail cli_equals_form "GET through a proxy started with --name=value flags: status $CODE"
	elif ! grep -qi '^X-Eq: 1' "$T/body"; then
		fail cli_equals_form "--add-header='X-Eq: 1' not applied"
		evidence "$T/body"
	elif grep -qi '^Via:' "$T/body"; then
		fail cli_equals_form "--disable-via=yes not applied"
	else
		pass cli_equals_form
	fi
}

t_cli_aliases() {
	if ! start_proxy alias --listen 127.0.0.1 --workers 1; then
		fail cli_aliases "$START_ERR"
		return
	fi
	fetch "$OURL/size/10"
	n=$(descendants "$PX" | wc -l)
	if [ "$CODE" != 200 ]; then
		fail cli_aliases "GET via --listen/--workers proxy: status $CODE"
	elif ! grep -qE '(with|started) 1 worker|1 worker|workers?[:= ]+1\b' "$LOG"; then
		fail cli_aliases "the log does not say 1 worker"
		evidence "$LOG" 5
	else
		pass cli_aliases
	fi
}

t_cli_default_port() {
	if waitport 127.0.0.1 3128 0.2; then
		skip cli_default_port "something already listens on 127.0.0.1:3128"
		return
	fi
	"$PROXY_BIN" --num-workers 1 --log-file "$T/defport.log" \
	    >"$T/defport.out" 2>"$T/defport.err" &
	dp=$!
	track $dp
	if ! "$PY" "$C" waitport 127.0.0.1 3128 10 "$dp"; then
		if grep -qi 'in use' "$T/defport.err" "$T/defport.log" 2>/dev/null; then
			skip cli_default_port "127.0.0.1:3128 was taken meanwhile"
		else
			fail cli_default_port "no listener on 127.0.0.1:3128 with no --port"
			evidence "$T/defport.err" 5
		fi
	else
		code=$(curl -q -sS --noproxy '' --max-time 10 -o /dev/null \
		    -w '%{http_code}' -x http://127.0.0.1:3128 "$OURL/size/1")
		if [ "$code" = 200 ]; then
			pass cli_default_port
		else
			fail cli_default_port "GET through 127.0.0.1:3128: status $code"
		fi
	fi
	kill -TERM "$dp" 2>/dev/null
	wait_gone "$dp" 15 || kill -KILL "$dp" 2>/dev/null
	wait "$dp" 2>/dev/null
}

t_startup_log() {
	if ! start_proxy startlog --num-workers 2; then
		fail startup_log "$START_ERR"
		return
	fi
	n=0
	while [ $n -lt 40 ] && ! grep -q "listening on" "$LOG" 2>/dev/null; do
		sleep 0.05
		n=$((n + 1))
	done
	if ! grep -q "listening on 127.0.0.1:$P" "$LOG"; then
		fail startup_log "no 'listening on 127.0.0.1:$P' in the log"
		evidence "$LOG" 5
	elif ! grep -qE '(with|started) 2 workers|2 workers|workers?[:= ]+2\b' "$LOG"; then
		fail startup_log "the log does not say 2 workers"
		evidence "$LOG" 5
	else
		pass startup_log
	fi
}

t_flags_misc() {
	if ! start_proxy misc --client-recvbuf-size 4096 \
	    --server-recvbuf-size 4096 --open-file-limit 256 --backlog 8 \
	    --debug --socktimeout 3 --idle 20 --max-clients 50; then
		fail flags_misc "$START_ERR"
		return
	fi
	fetch "$OURL/size/1048576"
	want=$(sha_pat 1048576)
	"$PY" "$ORIGIN" --gen 1048576 >"$T/up.bin"
	up=$(pcurl --data-binary "@$T/up.bin" -H 'Expect:' "$OURL/sink")
	if [ "$CODE" != 200 ] || [ "$(sha_file "$T/body")" != "$want" ]; then
		fail flags_misc "1 MiB GET with 4 KiB buffers: status $CODE, $(wc -c <"$T/body") bytes, sha differs or wrong"
	elif [ "$up" != "1048576 $want" ]; then
		fail flags_misc "1 MiB POST with 4 KiB buffers: origin got '$up'"
	else
		pass flags_misc
	fi
}

# last_opt LINE: the last -O flag of a compile line (the one that counts)
last_opt() {
	echo "$1" | tr ' ' '\n' | grep -E '^-O' | tail -n 1
}

# The default build is optimised as intended (-O2: make's POSIX default
# CFLAGS=-O1 once came last and won), and the user's CFLAGS still win,
# from the command line or the environment
t_build_flags() {
	if ! have make; then
		skip build_flags "no make"
		return
	fi
	def=$(cd "$ROOT" && env -u CFLAGS make -n -B main.o 2>&1 | grep -- ' -c ')
	cmd=$(cd "$ROOT" && make -n -B main.o CFLAGS=-O0 2>&1 | grep -- ' -c ')
	env=$(cd "$ROOT" && CFLAGS=-Os make -n -B main.o 2>&1 | grep -- ' -c ')
	if [ "$(last_opt "$def")" != -O2 ]; then
		fail build_flags "the default build compiles with $(last_opt "$def"): $def"
	elif [ "$(last_opt "$cmd")" != -O0 ]; then
		fail build_flags "make CFLAGS=-O0 compiles with $(last_opt "$cmd"): $cmd"
	elif [ "$(last_opt "$env")" != -Os ]; then
		fail build_flags "CFLAGS=-Os in the environment compiles with $(last_opt "$env"): $env"
	else
		pass build_flags
	fi
}

# make PAC=0 NTLM=0 TLS=0 (in a copy of the tree): --version lists only
# what is in, the left-out features' flags exit 2 naming the flag and the
# feature, Basic to a parent still works, and the binary is smaller
t_build_features() {
	if ! have make || ! have cc; then
		skip build_features "no make or cc"
		return
	fi
	_bf=$T/build-features
	rm -rf "$_bf"
	mkdir -p "$_bf"
	cp "$ROOT"/*.c "$ROOT"/*.h "$ROOT"/*.sh "$ROOT/Makefile" "$_bf/"
	if ! (cd "$_bf" && env -u MAKEFLAGS make -j2 PAC=0 NTLM=0 TLS=0 \
	    >build.log 2>&1); then
		fail build_features "make PAC=0 NTLM=0 TLS=0 failed: $(tail -n 3 "$_bf/build.log" | tr '\n' ' ')"
		return
	fi
	_bad=
	_feat=$("$_bf/proxy" --version | sed -n 's/^features://p')
	case " $_feat " in
	*" pac "*|*" ntlm "*|*" tls "*) _bad="$_bad; --version lists '$_feat'" ;;
	esac
	for _args in "--pac /dev/null|--pac: built without PAC" \
	    "--pac-test http://a/|--pac-test: built without PAC" \
	    "--username u --auth NTLMv2|--auth NTLMv2: built without NTLM" \
	    "--username u|--username (NTLM by default): built without NTLM" \
	    "--hashes --username u|--hashes: built without NTLM" \
	    "--magic http://a/ --username u|--magic: built without NTLM"; do
		_msg=$(PROXY_PASSWORD=pw "$_bf/proxy" ${_args%%|*} --port "$(freeport)" 2>&1 </dev/null)
		_rc=$?
		case "$_rc:$_msg" in
		"2:"*"${_args#*|}"*) ;;
		*) _bad="$_bad; '${_args%%|*}': exit $_rc, '$_msg'" ;;
		esac
	done
	# Basic to a parent, through the reduced build
	if par_start bf_parent --auth basic --user alice --password pw; then
		_sv=$PROXY_BIN
		PROXY_BIN=$_bf/proxy
		if PROXY_PASSWORD=pw start_proxy bf --proxy "127.0.0.1:$PARENT" \
		    --auth BASIC --username alice; then
			_code=$(curl -s -o /dev/null -w '%{http_code}' \
			    -x "$PROXY_URL" "$OURL/size/10")
			[ "$_code" = 200 ] ||
			    _bad="$_bad; GET through a Basic parent: $_code"
		else
			_bad="$_bad; $START_ERR"
		fi
		PROXY_BIN=$_sv
		par_stop_all
	else
		return
	fi
	_full=$(wc -c <"$PROXY_BIN")
	_small=$(wc -c <"$_bf/proxy")
	# (the tree's own build is the full one unless it is reduced too)
	# (and under qemu-user PROXY_BIN is a wrapper script)
	[ -n "$BUILT_WITHOUT" ] || [ -n "${PROXY_QEMU:-}" ] ||
	    [ "$_small" -lt "$_full" ] ||
	    _bad="$_bad; not smaller: $_small >= $_full bytes"
	if [ -n "$_bad" ]; then
		fail build_features "${_bad#; }"
	else
		pass build_features
	fi
}

# proxy.1 documents every flag of --help with its default, and nothing
# else; groff renders it without a warning; make install puts it in place
t_man_page() {
	"$PROXY_BIN" --help >"$T/help.txt" 2>&1
	out=$("$PY" tests/mancheck.py "$T/help.txt" proxy.1)
	if [ "$out" != ok ]; then
		fail man_page "proxy.1 and --help differ: $(echo "$out" | head -n 3 | tr '\n' ';')"
		return
	fi
	if have groff; then
		warn=$(groff -man -Tutf8 -ww -z proxy.1 2>&1 | head -n 2)
		if [ -n "$warn" ]; then
			fail man_page "groff: $warn"
			return
		fi
	fi
	rm -rf "$T/inst"
	if ! make -s install DESTDIR="$T/inst" PREFIX=/usr >"$T/inst.log" 2>&1; then
		fail man_page "make install failed: $(tail -n 2 "$T/inst.log" | tr '\n' ' ')"
	elif ! cmp -s "$T/inst/usr/share/man/man1/proxy.1" proxy.1 ||
	    [ ! -x "$T/inst/usr/bin/proxy" ]; then
		fail man_page "make install DESTDIR=... did not install bin/proxy and share/man/man1/proxy.1"
	else
		pass man_page
	fi
}
