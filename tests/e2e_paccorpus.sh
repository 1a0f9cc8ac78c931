# The PAC corpus: tests/pac/*.pac with their expected answers, run by
# tests/pac_run (our interpreter, with a fixed DNS table and clock), and
# compared with pacparser (Debian's, an independent implementation) when
# it is installed.

CASES="${CASES:-} pac_corpus pac_pactester"

t_pac_corpus() {
	if [ ! -x tests/pac_run ]; then
		fail pac_corpus "tests/pac_run was not built (make unit)"
		return
	fi
	_files=0 _bad=
	for _pac in tests/pac/*.pac; do
		_exp=${_pac%.pac}.expect
		[ -f "$_exp" ] || continue
		_files=$((_files + 1))
		if ! $RUN tests/pac_run "$_pac" "$_exp" >"$T/pac_run.out" 2>&1; then
			_bad="$_bad $(basename "$_pac"): $(grep -v 'passed' "$T/pac_run.out" | head -n 2 | tr '\n' ' ')"
		fi
	done
	if [ "$_files" -lt 50 ]; then
		fail pac_corpus "only $_files PAC files with expectations (want 50 or more)"
	elif [ -n "$_bad" ]; then
		fail pac_corpus "$_bad"
	else
		pass pac_corpus
	fi
}

t_pac_pactester() {
	sh tests/pac/compare.sh >"$T/pac_compare.out" 2>&1
	_rc=$?
	if grep -q 'skipped' "$T/pac_compare.out" &&
	    ! grep -q 'passed' "$T/pac_compare.out"; then
		skip pac_pactester "$(head -n 1 "$T/pac_compare.out")"
	elif [ $_rc -ne 0 ]; then
		fail pac_pactester "pacparser disagrees: $(grep -iE 'FAIL|differ' "$T/pac_compare.out" | head -n 3 | tr '\n' ' ')"
	else
		pass pac_pactester
		echo "     pacparser agrees: $(tail -n 1 "$T/pac_compare.out" |
		    sed 's/ passed, .*//') lines"
	fi
}

# --pac auto: WPAD. The search domain a.corp.test gives the candidates
# wpad.a.corp.test, then wpad.corp.test, never wpad.test (above the
# registrable domain); the first that serves /wpad.dat is used. With a
# domain that has no WPAD host (corp.invalid), every candidate is asked,
# none above the registrable domain, and the proxy says it found none.
CASES="$CASES pac_wpad"

wpad_search() {
	cat "$T/resolv.conf.orig" >"$T/resolv.conf"	# same inode: the
	printf 'search %s\n' "$1" >>"$T/resolv.conf"	# bind mount sees it
}

t_pac_wpad() {
	if [ "$DNS_OK" != 1 ]; then
		skip pac_wpad "needs the test DNS ($DNS_NOTE)"
		return
	fi
	if ! "$PY" -c 'import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 80))' 2>/dev/null; then
		skip pac_wpad "cannot listen on 127.0.0.1:80 for the WPAD server"
		return
	fi
	mkdir -p "$T/wpad"
	printf 'function FindProxyForURL(url, host) { return "PROXY 127.0.0.7:3128"; }\n' \
	    >"$T/wpad/wpad.dat"
	bg wpad_http "$PY" -m http.server 80 --bind 127.0.0.1 --directory "$T/wpad"
	_wp=$BGPID
	if ! waitport 127.0.0.1 80 10; then
		fail pac_wpad "the WPAD web server did not start: $(tail -n 1 "$T/wpad_http.err")"
		kill_bg "$_wp"
		return
	fi
	cp "$T/resolv.conf" "$T/resolv.conf.orig"
	_from=$(wc -c <"$T/dns.log")
	wpad_search a.corp.test
	_found=$(timeout 30 "$PROXY_BIN" --pac auto --socktimeout 3 \
	    --pac-test http://www.example.test/ 2>"$T/wpad1.err")
	wpad_search b.corp.invalid
	timeout 30 "$PROXY_BIN" --pac auto --socktimeout 3 \
	    --pac-test http://www.example.test/ >/dev/null 2>"$T/wpad2.err"
	_none_rc=$?
	cat "$T/resolv.conf.orig" >"$T/resolv.conf"
	kill_bg "$_wp"
	tail -c +"$((_from + 1))" "$T/dns.log" >"$T/wpad.dns"
	if [ "$_found" != "PROXY 127.0.0.7:3128" ]; then
		fail pac_wpad "with search a.corp.test: '$_found', want the answer of http://wpad.a.corp.test/wpad.dat ($(tail -n 2 "$T/wpad1.err" | tr '\n' ' '))"
	elif ! grep -q 'WPAD: found http://wpad.a.corp.test/wpad.dat' "$T/wpad1.err"; then
		fail pac_wpad "the WPAD file found is not logged: $(tail -n 2 "$T/wpad1.err" | tr '\n' ' ')"
	elif [ "$_none_rc" = 0 ] || ! grep -q 'WPAD' "$T/wpad2.err"; then
		fail pac_wpad "with no WPAD host: exit $_none_rc, $(tail -n 1 "$T/wpad2.err")"
	elif ! grep -q 'wpad.b.corp.invalid' "$T/wpad.dns" ||
	    ! grep -q 'wpad.corp.invalid' "$T/wpad.dns"; then
		fail pac_wpad "not every candidate was asked: $(grep -o 'wpad[^ ]*' "$T/wpad.dns" | sort -u | tr '\n' ' ')"
	elif grep -qE 'wpad\.(invalid|test)$' "$T/wpad.dns"; then
		fail pac_wpad "a WPAD name above the registrable domain was asked: $(grep -oE 'wpad\.(invalid|test)$' "$T/wpad.dns" | head -n 1)"
	else
		pass pac_wpad
	fi
}
