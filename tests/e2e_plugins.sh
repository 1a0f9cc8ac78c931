# Plugins (--plugins, plugins.c): proxy.py's README examples of its five
# plugins as written there (names that stand for real sites reach
# tests/origin.py as a parent, which answers any host), their flags,
# ordering both ways, two rewriting plugins on one chunked body, the
# files cache_responses writes, failing hooks (the hidden error_test
# plugin), plugins on intercepted HTTPS and through parents (NTLM, PAC),
# plugin flags in --help, config files and --save, and the README's
# example plugin being the code that is built. Sourced by tests.sh.

CASES="${CASES:-} plug_rest_api plug_mock_dir plug_redirect plug_filter
plug_filter_file_hup plug_cache plug_mitm plug_order plug_two_rewriters
plug_fail plug_intercept plug_parent plug_flags plug_readme_example"

PLUG_USERS='{"count": 2, "next": null, "previous": null, "results": [{"email": "you@example.com", "groups": [], "url": "api.example.com/v1/users/1/", "username": "admin"}, {"email": "someone@example.com", "groups": [], "url": "api.example.com/v1/users/2/", "username": "admin"}]}'
PLUG_MITM='Hello from man in the middle'

# plug_start CASE NAME [flags]: start_proxy, or a failure of CASE
plug_start() {
	_pc=$1
	shift
	if ! start_proxy "$@"; then
		fail "$_pc" "$START_ERR"
		return 1
	fi
	return 0
}

# plug_log PATTERN [SECONDS]: waits (bounded) for an extended regular
# expression in the current proxy's log; the line in PLUG_LINE
plug_log() {
	_pn=0
	while [ $_pn -lt $((${2:-3} * 20)) ]; do
		PLUG_LINE=$(grep -E -- "$1" "$LOG" 2>/dev/null | tail -n 1)
		[ -n "$PLUG_LINE" ] && return 0
		sleep 0.05
		_pn=$((_pn + 1))
	done
	return 1
}

# plug_verbose URL [curl args]: curl -v through the current proxy, as the
# README runs it; the "< " lines in $T/pv.head, the body in $T/pv.body
plug_verbose() {
	_pu=$1
	shift
	curl -q -v -sS --noproxy '' --max-time 30 -x "$PROXY_URL" "$@" "$_pu" \
	    >"$T/pv.body" 2>"$T/pv.err"
	PV_RC=$?
	tr -d '\r' <"$T/pv.err" | sed -n 's/^< //p' >"$T/pv.head"
}

# plug_upper N: sha256 of the first N pattern bytes, letters upper-cased
plug_upper() {
	"$PY" -c '
import hashlib, sys
n = int(sys.argv[1])
p = bytes((i * 7 + 13) & 0xFF for i in range(251))
d = (p * (n // 251 + 1))[:n]
print(hashlib.sha256(bytes(b - 32 if 97 <= b <= 122 else b
                           for b in d)).hexdigest())' "$1"
}

# ---------------------------------------------------------------- examples

# README: proxy --plugins plugin_examples.ProposedRestApiPlugin, then
# curl -x localhost:8899 http://api.example.com/v1/users/ prints the
# example JSON; no upstream connection (the log says the plugin
# answered); other paths of the host get a 404 in JSON, other hosts are
# proxied
t_plug_rest_api() {
	plug_start plug_rest_api plug_rest \
	    --plugins plugin_examples.ProposedRestApiPlugin || return
	_got=$(curl -q -sS --noproxy '' --max-time 10 -x "localhost:$P" \
	    http://api.example.com/v1/users/ 2>&1)
	if [ "$_got" != "$PLUG_USERS" ]; then
		fail plug_rest_api "curl -x localhost:$P http://api.example.com/v1/users/ printed '$(echo "$_got" | head -c 300)'"
		return
	fi
	if ! plug_log ' access .* GET api\.example\.com:80 /v1/users/ 200 .* PLUGIN proposed_rest_api$'; then
		fail plug_rest_api "no access line saying the plugin answered: $(grep ' access ' "$LOG" | tail -n 1)"
		return
	fi
	fetch http://api.example.com/v1/groups/
	if [ "$CODE" != 404 ] || ! grep -q '"error"' "$T/body" ||
	    ! grep -qi '^content-type: application/json' "$T/hdrs"; then
		fail plug_rest_api "an unknown path: status $CODE, '$(head -c 100 "$T/body")'; want a 404 in JSON"
		return
	fi
	fetch "$OURL/size/123"
	if [ "$CODE" != 200 ] || [ "$(sha_file "$T/body")" != "$(sha_pat 123)" ]; then
		fail plug_rest_api "another host: status $CODE, $(wc -c <"$T/body") bytes; want it proxied"
		return
	fi
	pass plug_rest_api
}

# --mock-dir: files of DIR/HOST/PATH with a CGI head or a type by their
# extension, index.json for a directory, HEAD, a large file streamed,
# two answers on one kept-alive connection, no way out of DIR
t_plug_mock_dir() {
	_md=$T/mock
	rm -rf "$_md"
	mkdir -p "$_md/mock.test/v1/items" "$_md/mock.test/secret" "$_md/other"
	printf '[1, 2, 3]\n' >"$_md/mock.test/v1/items/index.json"
	printf 'Status: 201\r\nContent-Type: text/csv\r\n\r\na,b\n1,2\n' \
	    >"$_md/mock.test/made"
	"$PY" "$ORIGIN" --gen 1048576 >"$_md/mock.test/big.bin"
	printf 'secret\n' >"$_md/other/key"
	plug_start plug_mock_dir plug_mock --plugins proposed_rest_api \
	    --mock-dir "$_md" || return
	_bad=
	raw --send "GET http://mock.test/v1/items/ HTTP/1.1\r\nHost: mock.test\r\n\r\nGET http://MOCK.test/made?x=1 HTTP/1.1\r\nHost: mock.test\r\n\r\n" \
	    --count 2
	[ "$(resp 1 status)" = 200 ] && [ "$(resp 1 len)" = 10 ] &&
	    [ "$(rhdr 1 content-type)" = application/json ] ||
	    _bad="$_bad; /v1/items/: $(grep '^resp 1' "$T/raw") $(rhdr 1 content-type)"
	[ "$(resp 2 status)" = 201 ] && [ "$(rhdr 2 content-type)" = text/csv ] &&
	    [ "$(resp 2 len)" = 8 ] ||
	    _bad="$_bad; /made on the same connection: $(grep '^resp 2' "$T/raw") $(rhdr 2 content-type)"
	fetch http://mock.test/big.bin
	[ "$CODE" = 200 ] && [ "$(sha_file "$T/body")" = "$(sha_pat 1048576)" ] ||
	    _bad="$_bad; /big.bin: status $CODE, $(wc -c <"$T/body") bytes"
	fetch -I http://mock.test/big.bin
	grep -qi '^content-length: 1048576' "$T/hdrs" ||
	    _bad="$_bad; HEAD /big.bin: $(tr '\r\n' '  ' <"$T/hdrs")"
	for _u in /v1/none /secret/ /../other/key /v1/../../other/key; do
		fetch --path-as-is "http://mock.test$_u"
		if [ "$CODE" != 404 ] || grep -q secret "$T/body"; then
			_bad="$_bad; $_u: status $CODE, '$(head -c 80 "$T/body")' (want a 404)"
		fi
	done
	if [ -n "$_bad" ]; then
		fail plug_mock_dir "${_bad#; }"
		return
	fi
	pass plug_mock_dir
}

# README: proxy --enable-web-server --plugins
# plugin_examples.RedirectToCustomServerPlugin; curl -v -x localhost:8899
# http://google.com gets the proxy's own answer to GET / (its web
# server's 404; without a web server, its 400), and the log shows the
# proxy request and the request it made to itself. --redirect-to sends
# them elsewhere.
t_plug_redirect() {
	_ws=
	"$PROXY_BIN" --help 2>&1 | grep -q -- '--enable-web-server' &&
	    _ws=--enable-web-server
	plug_start plug_redirect plug_redir $_ws \
	    --plugins plugin_examples.RedirectToCustomServerPlugin || return
	plug_verbose http://google.com
	_st=$(head -n 1 "$T/pv.head")
	_want="HTTP/1.1 400 Bad Request"
	[ -n "$_ws" ] && _want="HTTP/1.1 404 Not Found"
	if [ "$_st" != "$_want" ]; then
		fail plug_redirect "curl -v -x localhost:$P http://google.com: '$_st' (want the proxy's own '$_want')"
		return
	fi
	if ! plug_log " access .* GET 127\.0\.0\.1:$P / (400|404) .*DIRECT" ||
	    ! plug_log ' access .* GET - / (400|404) '; then
		fail plug_redirect "the log lacks the proxy request to 127.0.0.1:$P or the request the proxy got from itself: $(grep ' access ' "$LOG" | tail -n 2 | tr '\n' ';')"
		return
	fi
	stop_proxy plug_redir
	plug_start plug_redirect plug_redir2 --plugins redirect_to_custom_server \
	    --redirect-to "http://127.0.0.1:$O4/" || return
	fetch "http://google.com/size/77?q=1"
	if [ "$CODE" != 200 ] || [ "$(sha_file "$T/body")" != "$(sha_pat 77)" ]; then
		fail plug_redirect "--redirect-to http://127.0.0.1:$O4/: http://google.com/size/77 got $CODE, $(wc -c <"$T/body") bytes"
		return
	fi
	pass plug_redirect
}

# README: proxy --plugins plugin_examples.FilterByUpstreamHostPlugin;
# curl -v -x localhost:8899 http://google.com gets "418 I'm a tea pot";
# www.google.com and a CONNECT too; other hosts pass; --filter-hosts
# globs and --filter-status
t_plug_filter() {
	plug_start plug_filter plug_filt \
	    --plugins plugin_examples.FilterByUpstreamHostPlugin || return
	plug_verbose http://google.com
	if [ "$(head -n 1 "$T/pv.head")" != "HTTP/1.1 418 I'm a tea pot" ]; then
		fail plug_filter "curl -v -x localhost:$P http://google.com: '$(head -n 1 "$T/pv.head")'"
		return
	fi
	_s0=$(origin_stat requests)
	fetch http://www.google.com/x
	_c1=$CODE
	fetch -p https://google.com/
	_c2=$(grep -o 'CONNECT tunnel failed, response [0-9]*' "$T/curl.err")
	fetch "$OURL/size/5"
	if [ "$_c1" != 418 ] || [ "$_c2" != "CONNECT tunnel failed, response 418" ] ||
	    [ "$CODE" != 200 ]; then
		fail plug_filter "www.google.com: $_c1, CONNECT google.com:443: '$_c2', $OURL: $CODE (want 418, 418, 200)"
		return
	fi
	stop_proxy plug_filt
	plug_start plug_filter plug_filt2 --plugins filter_by_upstream_host \
	    --filter-hosts '*.blocked.test, 127.0.0.?' --filter-status 451 || return
	fetch http://a.b.blocked.test/
	_c1=$CODE
	fetch "$OURL/size/5"
	if [ "$_c1" != 451 ] || [ "$CODE" != 451 ] ||
	    ! grep -q 'is filtered' "$T/body"; then
		fail plug_filter "--filter-hosts globs, --filter-status 451: got $_c1 and $CODE, '$(head -c 100 "$T/body")'"
		return
	fi
	pass plug_filter
}

# --filter-file: one host a line; a SIGHUP reads it again
t_plug_filter_file_hup() {
	printf '# test list\n127.0.0.1\n\n' >"$T/filter.txt"
	plug_start plug_filter_file_hup plug_ff --plugins filter_by_upstream_host \
	    --filter-file "$T/filter.txt" || return
	fetch "$OURL/size/5"
	_c1=$CODE
	fetch http://google.com/
	if [ "$_c1" != 418 ] || [ "$CODE" = 418 ]; then
		fail plug_filter_file_hup "the file lists 127.0.0.1 only: $OURL got $_c1, google.com $CODE"
		return
	fi
	printf 'localhost  # now this one\n' >"$T/filter.txt"
	kill -HUP "$PX"
	_i=0
	while [ $_i -lt 100 ]; do
		fetch "$OURL/size/5"
		[ "$CODE" = 200 ] && break
		sleep 0.1
		_i=$((_i + 1))
	done
	_c1=$CODE
	fetch "http://localhost:$O4/size/5"
	if [ "$_c1" != 200 ] || [ "$CODE" != 418 ]; then
		fail plug_filter_file_hup "after SIGHUP with localhost in the file: $OURL got $_c1, localhost $CODE (want 200, 418)"
		return
	fi
	printf 'bad host name\n' >"$T/filter-bad.txt"
	"$PROXY_BIN" --pac-test x --plugins filter_by_upstream_host \
	    --filter-file "$T/filter-bad.txt" >"$T/ff.out" 2>&1
	if [ $? != 2 ] || ! grep -q 'filter-bad.txt:1:' "$T/ff.out"; then
		fail plug_filter_file_hup "a bad line: want exit 2 naming file:line, got: $(head -c 200 "$T/ff.out")"
		return
	fi
	pass plug_filter_file_hup
}

# cache_file: the path the proxy logged last
cache_file() {
	sed -n 's/.*cache_responses: cached response at \(.*\) ([0-9]* bytes)$/\1/p' \
	    "$LOG" | tail -n 1
}

# README: proxy --plugins plugin_examples.CacheResponsesPlugin; curl -v
# -x localhost:8899 http://httpbin.org/get; the log names the file,
# which holds the status line, the fields and the body (the temp dir by
# default). Then: a chunked body is kept unchunked, a body over
# --cache-max-bytes is not kept.
t_plug_cache() {
	mkdir -p "$T/cachetmp"
	rm -f "$T/cachetmp"/*
	TMPDIR=$T/cachetmp
	export TMPDIR
	plug_start plug_cache plug_cache --proxy "127.0.0.1:$O4" \
	    --plugins plugin_examples.CacheResponsesPlugin
	_rc=$?
	unset TMPDIR
	[ $_rc = 0 ] || return
	plug_verbose http://httpbin.org/get
	if [ "$(head -n 1 "$T/pv.head")" != "HTTP/1.1 200 OK" ] ||
	    ! grep -q '"url": "http://httpbin.org/get"' "$T/pv.body"; then
		fail plug_cache "curl -v -x localhost:$P http://httpbin.org/get: '$(head -n 1 "$T/pv.head")' $(head -c 200 "$T/pv.body")"
		return
	fi
	plug_log 'cached response at '
	_f=$(cache_file)
	case $_f in
	"$T/cachetmp/httpbin.org-"*.txt) ;;
	*)
		fail plug_cache "the log names no file in \$TMPDIR: '$PLUG_LINE'"
		return
		;;
	esac
	# the file: the origin's head (what curl got less the proxy's Via),
	# then the body curl got
	"$PY" - "$_f" "$T/pv.head" "$T/pv.body" >"$T/cache.cmp" 2>&1 <<'PYEOF'
import sys
data = open(sys.argv[1], "rb").read()
head, sep, body = data.partition(b"\r\n\r\n")
got = [l for l in open(sys.argv[2], "rb").read().split(b"\n")
       if l and not l.lower().startswith(b"via:")]
want = head.split(b"\r\n")
if not sep or want != got:
    print("head %r != %r" % (want, got))
elif body != open(sys.argv[3], "rb").read():
    print("body differs: %d bytes in the file" % len(body))
else:
    print("same")
PYEOF
	if [ "$(cat "$T/cache.cmp")" != same ]; then
		fail plug_cache "$_f: $(head -c 300 "$T/cache.cmp")"
		return
	fi
	stop_proxy plug_cache
	mkdir -p "$T/cache2"
	rm -f "$T/cache2"/*
	plug_start plug_cache plug_cache2 --plugins cache_responses \
	    --cache-dir "$T/cache2" --cache-max-bytes 100000 || return
	fetch "$OURL/chunked/50000"
	plug_log 'cached response at '
	_f=$(cache_file)
	"$PY" -c '
import hashlib, sys
d = open(sys.argv[1], "rb").read()
h, _, b = d.partition(b"\r\n\r\n")
print("te" if b"transfer-encoding" in h.lower() else
      hashlib.sha256(b).hexdigest())' "$_f" >"$T/cache.sha" 2>&1
	if [ "$CODE" != 200 ] || [ "$(cat "$T/cache.sha")" != "$(sha_pat 50000)" ]; then
		fail plug_cache "a chunked body: status $CODE, the file '$_f' gave '$(cat "$T/cache.sha")'; want the body unchunked, no Transfer-Encoding"
		return
	fi
	fetch "$OURL/size/200000"
	if [ "$CODE" != 200 ] || [ "$(sha_file "$T/body")" != "$(sha_pat 200000)" ] ||
	    ! plug_log 'not kept: larger than --cache-max-bytes' ||
	    [ "$(ls "$T/cache2" | wc -l)" != 1 ]; then
		fail plug_cache "over --cache-max-bytes: status $CODE, $(ls "$T/cache2" | wc -l) files; want the response whole and no file kept"
		return
	fi
	pass plug_cache
}

# README: proxy --plugins plugin_examples.ManInTheMiddlePlugin; curl -v
# -x localhost:8899 http://google.com gets "200 OK", Content-Length: 28
# and "Hello from man in the middle"; a chunked body too, to HTTP/1.0
# and HTTP/1.1 clients on a kept-alive connection; --mitm-body
t_plug_mitm() {
	plug_start plug_mitm plug_mitm --proxy "127.0.0.1:$O4" \
	    --plugins plugin_examples.ManInTheMiddlePlugin || return
	plug_verbose http://google.com
	if [ "$(head -n 1 "$T/pv.head")" != "HTTP/1.1 200 OK" ] ||
	    ! grep -qx 'Content-Length: 28' "$T/pv.head" ||
	    [ "$(cat "$T/pv.body")" != "$PLUG_MITM" ]; then
		fail plug_mitm "curl -v -x localhost:$P http://google.com: $(tr '\n' ' ' <"$T/pv.head") '$(head -c 100 "$T/pv.body")'"
		return
	fi
	raw --send "GET $OURL/chunked/100000 HTTP/1.1\r\nHost: x\r\n\r\nGET $OURL/size/3000 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" \
	    --count 2
	_sha=$(printf '%s' "$PLUG_MITM" | sha256sum | cut -d' ' -f1)
	if [ "$(resp 1 framing)" != length ] || [ "$(resp 1 sha)" != "$_sha" ] ||
	    [ "$(resp 2 framing)" != length ] || [ "$(resp 2 sha)" != "$_sha" ]; then
		fail plug_mitm "a chunked body, then HTTP/1.0 on the same connection: $(grep '^resp' "$T/raw" | tr '\n' ';')"
		return
	fi
	stop_proxy plug_mitm
	plug_start plug_mitm plug_mitm2 --plugins man_in_the_middle \
	    --mitm-body 'patched!' || return
	fetch "$OURL/close/5000"
	if [ "$CODE" != 200 ] || [ "$(cat "$T/body")" != 'patched!' ]; then
		fail plug_mitm "--mitm-body 'patched!' on a body ended by the close: $CODE '$(head -c 80 "$T/body")'"
		return
	fi
	pass plug_mitm
}

# ---------------------------------------------------------------- order

# README's "Plugin Ordering": filter before redirect drops google.com;
# redirect before filter sends it to the proxy's own server
t_plug_order() {
	plug_start plug_order plug_ord1 --plugins \
	    plugin_examples.FilterByUpstreamHostPlugin,plugin_examples.RedirectToCustomServerPlugin ||
	    return
	fetch http://google.com/
	_c1=$CODE
	stop_proxy plug_ord1
	plug_start plug_order plug_ord2 --plugins \
	    plugin_examples.RedirectToCustomServerPlugin,plugin_examples.FilterByUpstreamHostPlugin ||
	    return
	fetch http://google.com/
	if [ "$_c1" != 418 ] || [ "$CODE" = 418 ] ||
	    ! plug_log " access .* GET 127\.0\.0\.1:$P / [0-9]+ "; then
		fail plug_order "filter,redirect: $_c1 (want 418); redirect,filter: $CODE and $(grep ' access ' "$LOG" | tail -n 1) (want the proxy's own answer)"
		return
	fi
	pass plug_order
}

# man_in_the_middle then upper_text, and the other way, on one chunked
# body: each sees what the one before made of it; the framing follows
# (chunked after a rewrite, a Content-Length after a replacement); a
# rewrite alone across chunk boundaries, of a length-framed body, and to
# an HTTP/1.0 client (ended by the close)
t_plug_two_rewriters() {
	plug_start plug_two_rewriters plug_rw1 \
	    --plugins man_in_the_middle,upper_text || return
	fetch "$OURL/chunked/100000"
	_b1=$(cat "$T/body")
	_t1=$(grep -ci '^transfer-encoding: chunked' "$T/hdrs")
	stop_proxy plug_rw1
	plug_start plug_two_rewriters plug_rw2 \
	    --plugins upper_text,man_in_the_middle || return
	fetch "$OURL/chunked/100000"
	if [ "$_b1" != "HELLO FROM MAN IN THE MIDDLE" ] || [ "$_t1" != 1 ] ||
	    [ "$(cat "$T/body")" != "$PLUG_MITM" ] ||
	    ! grep -qi '^content-length: 28' "$T/hdrs"; then
		fail plug_two_rewriters "man_in_the_middle,upper_text: '$_b1' (chunked: $_t1); upper_text,man_in_the_middle: '$(cat "$T/body")' $(tr '\r\n' '  ' <"$T/hdrs")"
		return
	fi
	stop_proxy plug_rw2
	plug_start plug_two_rewriters plug_rw3 --plugins upper_text \
	    --upper-hosts '127.0.0.1' || return
	_want=$(plug_upper 3000000)
	fetch "$OURL/chunked/3000000"
	_s1=$(sha_file "$T/body")
	fetch "$OURL/size/3000000"
	_s2=$(sha_file "$T/body")
	_t2=$(grep -ci '^transfer-encoding: chunked' "$T/hdrs")
	raw --send "GET $OURL/chunked/70000 HTTP/1.0\r\n\r\n" --timeout 20
	if [ "$_s1" != "$_want" ] || [ "$_s2" != "$_want" ] || [ "$_t2" != 1 ] ||
	    [ "$(resp 1 framing)" != close ] ||
	    [ "$(resp 1 sha)" != "$(plug_upper 70000)" ]; then
		fail plug_two_rewriters "upper_text: chunked ${_s1%"${_s1#????????}"}, by length ${_s2%"${_s2#????????}"} (chunked: $_t2), want ${_want%"${_want#????????}"}; HTTP/1.0: $(grep '^resp 1' "$T/raw")"
		return
	fi
	if ! plug_log ' access .*/size/3000000 200 .* upper=[0-9]+$'; then
		fail plug_two_rewriters "no upper=N in the access line (the log hook)"
		return
	fi
	pass plug_two_rewriters
}

# ---------------------------------------------------------------- failures

# a failing hook ends its exchange with a 500 (request side) or 502
# (response side) naming the plugin, or, once the head is out, cuts the
# body and says why in the log; the worker goes on serving
t_plug_fail() {
	_bad=
	for _h in request upstream response body; do
		plug_start plug_fail "plug_fail_$_h" --num-workers 1 \
		    --plugins error_test --error-test "$_h" || return
		_r0=$(origin_stat requests)
		fetch "$OURL/size/200000"
		_r1=$(origin_stat requests)
		case $_h in
		request|upstream)
			[ "$CODE" = 500 ] && grep -q 'plugin error_test failed' "$T/body" &&
			    [ "$_r1" = $((_r0 + 1)) ] ||
			    _bad="$_bad; $_h: $CODE '$(head -c 100 "$T/body")', the origin saw $((_r1 - _r0 - 1)) requests (want 500 naming error_test, none)" ;;
		response)
			[ "$CODE" = 502 ] && grep -q 'plugin error_test failed' "$T/body" ||
			    _bad="$_bad; $_h: $CODE '$(head -c 100 "$T/body")' (want 502 naming error_test)" ;;
		body)
			[ "$CURL_RC" != 0 ] && [ "$(wc -c <"$T/body")" -lt 200000 ] &&
			    plug_log 'warning: .*plugin error_test failed: failing on purpose in its body hook' ||
			    _bad="$_bad; $_h: curl rc $CURL_RC, $(wc -c <"$T/body") bytes, log '$PLUG_LINE' (want a cut body and a warning)" ;;
		esac
		# the one worker still answers (the proxy's own 400 to a
		# request for itself, which error_test lets pass)
		curl -q -s -o /dev/null -w '%{http_code}' --max-time 10 \
		    "http://127.0.0.1:$P/" >"$T/pf.code" 2>/dev/null
		[ "$(cat "$T/pf.code")" = 400 ] ||
		    _bad="$_bad; $_h: the worker then answered '$(cat "$T/pf.code")' (want its 400)"
		stop_proxy "plug_fail_$_h"
		check_crashes "plug_fail_$_h" 1
	done
	if [ -n "$_bad" ]; then
		fail plug_fail "${_bad#; }"
		return
	fi
	pass plug_fail
}

# ---------------------------------------------------------------- routes

# on intercepted HTTPS: the request hook answers inside the decrypted
# CONNECT with no origin at all; cache_responses keeps the decrypted
# response, man_in_the_middle after it replaces what the client gets
t_plug_intercept() {
	icpt_ready plug_intercept || return
	mkdir -p "$T/cache3"
	rm -f "$T/cache3"/*
	icpt_start plug_intercept "$T/tlsu_good.pem" --plugins \
	    proposed_rest_api,cache_responses,man_in_the_middle \
	    --cache-dir "$T/cache3" || return
	_got=$(pcurl --cacert "$T/ca/ca-cert.pem" \
	    https://api.example.com/v1/users/ 2>&1)
	fetch --cacert "$T/ca/ca-cert.pem" "https://localhost:$OPORT/size/4000"
	_f=$(cache_file)
	"$PY" -c '
import hashlib, sys
d = open(sys.argv[1], "rb").read()
print(hashlib.sha256(d.partition(b"\r\n\r\n")[2]).hexdigest())' "$_f" \
	    >"$T/cache3.sha" 2>&1
	if [ "$_got" != "$PLUG_USERS" ]; then
		fail plug_intercept "https://api.example.com/v1/users/ through interception: '$(echo "$_got" | head -c 200)'"
	elif [ "$CODE" != 200 ] || [ "$(cat "$T/body")" != "$PLUG_MITM" ]; then
		fail plug_intercept "https://localhost:$OPORT/size/4000: $CODE '$(head -c 100 "$T/body")' (want the man in the middle)"
	elif [ "$(cat "$T/cache3.sha")" != "$(sha_pat 4000)" ]; then
		fail plug_intercept "the cached file '$_f' does not hold the decrypted body: $(head -c 100 "$T/cache3.sha")"
	elif ! plug_log ' access .* GET https://localhost:[0-9]+ /size/4000 200 '; then
		fail plug_intercept "no access line for the intercepted request"
	else
		pass plug_intercept
	fi
	tlsu_stop_all
}

# through an NTLM parent and through a PAC file's PROXY: the same hooks
# (a rewrite and a cache file of the original body)
t_plug_parent() {
	needs_built NTLM plug_parent && needs_built PAC plug_parent || return
	par_ntlm plug_par || return
	mkdir -p "$T/cache4"
	rm -f "$T/cache4"/*
	if ! par_proxy plug_par "$PAR_PW" --proxy "127.0.0.1:$PARENT" \
	    --username "$PAR_DOM\\$PAR_USER" --plugins \
	    cache_responses,upper_text --cache-dir "$T/cache4"; then
		par_stop_all
		return
	fi
	fetch "$OURL/chunked/20000"
	_s1=$(sha_file "$T/body")
	par_stats "$PARENT"
	_logins=$PS_logins
	stop_proxy plug_par
	printf 'function FindProxyForURL(url, host) { return "PROXY 127.0.0.1:%s"; }\n' \
	    "$O4" >"$T/plug.pac"
	plug_start plug_parent plug_pac --pac "$T/plug.pac" \
	    --plugins man_in_the_middle || { par_stop_all; return; }
	fetch http://google.com/
	par_stop_all
	if [ "$_s1" != "$(plug_upper 20000)" ] || [ "${_logins:-0}" -lt 1 ]; then
		fail plug_parent "through the NTLM parent: ${_s1%"${_s1#????????}"} (want the upper-cased body), parent logins '$_logins'"
	elif [ "$(ls "$T/cache4" | wc -l)" != 1 ]; then
		fail plug_parent "no cache file for the request through the NTLM parent"
	elif [ "$CODE" != 200 ] || [ "$(cat "$T/body")" != "$PLUG_MITM" ] ||
	    ! plug_log " access .* GET google\.com:80 / 200 .*PROXY 127\.0\.0\.1:$O4"; then
		fail plug_parent "through the PAC file's PROXY: $CODE '$(head -c 80 "$T/body")' $(grep ' access ' "$LOG" | tail -n 1)"
	else
		pass plug_parent
	fi
}

# ---------------------------------------------------------------- flags

# the plugins and their flags in --help; proxy.py's names; a config
# file's plugin keys, and --save writing them back; errors exit 2 naming
# the flag
t_plug_flags() {
	"$PROXY_BIN" --help >"$T/plug.help" 2>&1
	_bad=
	for _f in plugins mock-dir redirect-to filter-hosts filter-file \
	    filter-status cache-dir cache-max-bytes mitm-body upper-hosts; do
		grep -q -- "^  --$_f " "$T/plug.help" || _bad="$_bad; --$_f is not in --help"
	done
	grep -q 'error-test\|error_test' "$T/plug.help" &&
	    _bad="$_bad; the test fixture error_test shows in --help"
	for _n in proposed_rest_api ProposedRestApiPlugin \
	    plugin_examples.ProposedRestApiPlugin proxy.plugin.ProposedRestApiPlugin \
	    proposed-rest-api; do
		: >"$T/pn.conf"
		"$PROXY_BIN" --config "$T/pn.conf" --plugins "$_n" --save \
		    >"$T/pn.out" 2>&1
		[ $? = 0 ] && grep -qx "plugins = $_n" "$T/pn.conf" ||
		    _bad="$_bad; --plugins $_n: $(head -c 100 "$T/pn.out")"
	done
	for _args in "--plugins nosuch|--plugins: 'nosuch' is not a plugin" \
	    "--plugins man_in_the_middle,man_in_the_middle|named twice" \
	    "--plugins filter_by_upstream_host --filter-status 99|--filter-status: '99'" \
	    "--plugins cache_responses --cache-dir /nonexistent/x|--cache-dir: /nonexistent/x" \
	    "--plugins redirect_to_custom_server --redirect-to ftp://x/|--redirect-to: 'ftp://x/'" \
	    "--mitm-body|--mitm-body needs a value"; do
		# (--pac-test: a configuration that loads exits at once)
		# shellcheck disable=SC2086
		"$PROXY_BIN" --pac-test x ${_args%%|*} >"$T/pe.out" 2>&1
		_rc=$?
		if [ $_rc != 2 ] || ! grep -qF -- "${_args#*|}" "$T/pe.out"; then
			_bad="$_bad; ${_args%%|*}: exit $_rc, '$(head -c 150 "$T/pe.out")' (want 2 and '${_args#*|}')"
		fi
	done
	printf 'plugins = man_in_the_middle\nmitm-body = from the file\n' \
	    >"$T/plug.conf"
	plug_start plug_flags plug_conf --config "$T/plug.conf" || return
	fetch "$OURL/size/10"
	[ "$(cat "$T/body")" = "from the file" ] ||
	    _bad="$_bad; mitm-body in a config file: got '$(head -c 80 "$T/body")'"
	stop_proxy plug_conf
	printf 'plugins = man_in_the_middle\nmitm-body = one\n' >"$T/plug2.conf"
	"$PROXY_BIN" --config "$T/plug2.conf" --mitm-body two --filter-status 403 \
	    --save >"$T/psave.out" 2>&1
	grep -qx 'mitm-body = two' "$T/plug2.conf" &&
	    grep -qx 'filter-status = 403' "$T/plug2.conf" &&
	    grep -qx 'plugins = man_in_the_middle' "$T/plug2.conf" &&
	    [ "$(grep -c '^mitm-body' "$T/plug2.conf")" = 1 ] ||
	    _bad="$_bad; --save: $(tr '\n' ';' <"$T/plug2.conf")"
	printf 'mitm-body = x\nfilter-status = nine\n' >"$T/plug3.conf"
	"$PROXY_BIN" --pac-test x --config "$T/plug3.conf" \
	    --plugins filter_by_upstream_host >"$T/pe.out" 2>&1
	[ $? = 2 ] && grep -q "plug3.conf:2: filter-status: 'nine'" "$T/pe.out" ||
	    _bad="$_bad; a bad plugin key in a file: $(head -c 200 "$T/pe.out")"
	if [ -n "$_bad" ]; then
		fail plug_flags "${_bad#; }"
		return
	fi
	pass plug_flags
}

# README's example plugin is the code plugins.c builds
t_plug_readme_example() {
	sed -n '/PLUGIN EXAMPLE BEGIN/,/PLUGIN EXAMPLE END/p' plugins.c |
	    sed '1d;$d' >"$T/ex.c"
	sed -n '/^### Writing a plugin/,$p' README.md |
	    awk '/^```c$/ { on = 1; next } /^```$/ { if (on) exit } on' \
	    >"$T/ex.md.c"
	if [ ! -s "$T/ex.c" ] || ! cmp -s "$T/ex.c" "$T/ex.md.c"; then
		fail plug_readme_example "README's example (### Writing a plugin) differs from plugins.c between the PLUGIN EXAMPLE markers: $(diff "$T/ex.c" "$T/ex.md.c" | head -n 4 | tr '\n' ' ')"
		return
	fi
	pass plug_readme_example
}
