# Plain HTTP forwarding, headers, request errors, access log; sourced by
# tests.sh.

CASES="${CASES:-} get_length get_chunked get_close head status_no_body
status_passthrough methods post_length post_chunked expect_100
expect_100_raw keepalive_client upstream_pool pipelining http10_client
hop_by_hop_request hop_by_hop_response via via_disabled disable_headers
add_header useragent host_rewrite origin_form bad_cl_te bad_two_cl
bad_chunk_size bad_obs_fold bad_bare_cr bad_nul head_too_big
head_default_limit err_refused err_early_close err_connect_timeout
access_log access_bad_head nginx_keepalive nginx_bulk retry_reused"

# body_is_pattern N: $T/body holds the first N pattern bytes
body_is_pattern() {
	[ "$(wc -c <"$T/body")" -eq "$1" ] &&
	    [ "$(sha_file "$T/body")" = "$(sha_pat "$1")" ]
}

t_get_length() {
	needs_shared || return
	for n in 0 1 1024 65535 65536 65537 1048576 5000001; do
		fetch "$OURL/size/$n"
		if [ "$CODE" != 200 ] || ! body_is_pattern "$n"; then
			fail get_length "/size/$n: status $CODE, $(wc -c <"$T/body") bytes (want $n), curl rc $CURL_RC $(head -c 200 "$T/curl.err")"
			return
		fi
	done
	pass get_length
}

t_get_chunked() {
	needs_shared || return
	for q in 0 1 100000 "3000000?trailer=1" "70000?trailer=1"; do
		n=${q%%\?*}
		fetch "$OURL/chunked/$q"
		if [ "$CODE" != 200 ] || ! body_is_pattern "$n"; then
			fail get_chunked "/chunked/$q: status $CODE, $(wc -c <"$T/body") bytes (want $n), curl rc $CURL_RC $(head -c 200 "$T/curl.err")"
			return
		fi
	done
	pass get_chunked
}

t_get_close() {
	needs_shared || return
	for n in 0 100000 2000000; do
		fetch "$OURL/close/$n"
		if [ "$CODE" != 200 ] || ! body_is_pattern "$n"; then
			fail get_close "/close/$n: status $CODE, $(wc -c <"$T/body") bytes (want $n), curl rc $CURL_RC $(head -c 200 "$T/curl.err")"
			return
		fi
	done
	pass get_close
}

t_head() {
	needs_shared || return
	raw --send "HEAD $OURL/size/1024 HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\n\r\nHEAD $OURL/chunked/100 HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\n\r\nGET $OURL/size/10 HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nConnection: close\r\n\r\n" \
	    --heads 1,2 --count 3
	if [ "$(resp 1 status)" != 200 ] || [ "$(rhdr 1 content-length)" != 1024 ]; then
		fail head "HEAD /size/1024: want 200 with Content-Length: 1024"
		evidence "$T/raw"
	elif [ "$(resp 2 status)" != 200 ]; then
		fail head "HEAD /chunked/100: want 200"
		evidence "$T/raw"
	elif [ "$(resp 3 status)" != 200 ] || [ "$(resp 3 sha)" != "$(sha_pat 10)" ] ||
	    grep -q '^extra' "$T/raw"; then
		fail head "the GET after two HEADs on one connection is wrong (a HEAD response carried a body?)"
		evidence "$T/raw"
	else
		pass head
	fi
}

t_status_no_body() {
	needs_shared || return
	raw --send "GET $OURL/status/204 HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\n\r\nGET $OURL/status/304 HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\n\r\nGET $OURL/size/5 HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nConnection: close\r\n\r\n" \
	    --count 3
	if [ "$(resp 1 status)" != 204 ] || [ "$(resp 2 status)" != 304 ] ||
	    [ "$(resp 3 status)" != 200 ] || [ "$(resp 3 sha)" != "$(sha_pat 5)" ] ||
	    grep -q '^extra' "$T/raw"; then
		fail status_no_body "want 204, 304 (no bodies), then 200 with 5 bytes on one connection"
		evidence "$T/raw"
	else
		pass status_no_body
	fi
}

t_status_passthrough() {
	needs_shared || return
	for s in 404 418 500 503 201; do
		fetch "$OURL/status/$s"
		if [ "$CODE" != "$s" ] || [ "$(cat "$T/body")" != "status $s" ]; then
			fail status_passthrough "/status/$s: got $CODE body '$(head -c 100 "$T/body")'"
			return
		fi
	done
	pass status_passthrough
}

t_methods() {
	needs_shared || return
	for m in GET POST PUT DELETE PATCH OPTIONS PROPFIND; do
		fetch "$OURL/echo" -X "$m"
		if [ "$CODE" != 200 ] ||
		    ! head -n 1 "$T/body" | grep -q "^$m /echo HTTP/1.1"; then
			fail methods "$m: status $CODE, origin saw '$(head -n 1 "$T/body")'"
			return
		fi
	done
	pass methods
}

t_post_length() {
	needs_shared || return
	head -c 300000 /dev/urandom >"$T/post.bin"
	want="300000 $(sha_file "$T/post.bin")"
	got=$(pcurl --data-binary "@$T/post.bin" -H 'Expect:' "$OURL/sink")
	got2=$(pcurl -X PUT --data-binary "@$T/post.bin" -H 'Expect:' "$OURL/sink")
	if [ "$got" != "$want" ]; then
		fail post_length "POST: origin got '$got', want '$want'"
	elif [ "$got2" != "$want" ]; then
		fail post_length "PUT: origin got '$got2', want '$want'"
	else
		pass post_length
	fi
}

t_post_chunked() {
	needs_shared || return
	head -c 500000 /dev/urandom >"$T/post.bin"
	want="500000 $(sha_file "$T/post.bin")"
	got=$(pcurl -H 'Transfer-Encoding: chunked' -H 'Expect:' \
	    --data-binary "@$T/post.bin" "$OURL/sink")
	# also an empty chunked body
	got0=$(pcurl -H 'Transfer-Encoding: chunked' -H 'Expect:' \
	    --data-binary '' "$OURL/sink")
	if [ "$got" != "$want" ]; then
		fail post_chunked "origin got '$got', want '$want'"
	elif [ "$got0" != "0 $(sha_pat 0)" ]; then
		fail post_chunked "empty chunked body: origin got '$got0'"
	else
		pass post_chunked
	fi
}

t_expect_100() {
	needs_shared || return
	head -c 2000000 /dev/urandom >"$T/post.bin"
	want="2000000 $(sha_file "$T/post.bin")"
	# curl waits 10 s for the 100 before sending the body anyway: a lost
	# 100 Continue shows as a slow request
	t0=$(ms_now)
	got=$(pcurl -H 'Expect: 100-continue' --expect100-timeout 10 \
	    --data-binary "@$T/post.bin" "$OURL/expect")
	dt=$(($(ms_now) - t0))
	if [ "$got" != "$want" ]; then
		fail expect_100 "origin got '$got', want '$want'"
	elif [ $dt -gt 5000 ]; then
		fail expect_100 "took $dt ms: no 100 Continue reached curl (it waited for its 10 s timeout)"
	else
		pass expect_100
	fi
}

t_expect_100_raw() {
	needs_shared || return
	raw --send "POST $OURL/expect HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nContent-Length: 100000\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n" \
	    --wait-100 --send-pattern 100000 --count 1 --timeout 15
	if ! grep -q '^wait-100 ok' "$T/raw" || [ "$(resp 1 status)" != 100 ]; then
		fail expect_100_raw "no 100 Continue before the body was sent"
		evidence "$T/raw"
	elif [ "$(resp 2 status)" != 200 ] || [ "$(rhdr 2 x-body-length)" != 100000 ]; then
		fail expect_100_raw "final response not 200 with the 100000-byte body received"
		evidence "$T/raw"
	else
		pass expect_100_raw
	fi
}

t_keepalive_client() {
	needs_shared || return
	rm -f "$T/ka1" "$T/ka2" "$T/ka3"
	pcurl -v -o "$T/ka1" "$OURL/size/1000" -o "$T/ka2" "$OURL/chunked/2000" \
	    -o "$T/ka3" "$OURL/close/3000" -o /dev/null "$OURL/size/4" \
	    2>"$T/curl.err"
	reuse=$(grep -ci 're-using existing connection' "$T/curl.err")
	if [ "$(sha_file "$T/ka1")" != "$(sha_pat 1000)" ] ||
	    [ "$(sha_file "$T/ka2")" != "$(sha_pat 2000)" ] ||
	    [ "$(sha_file "$T/ka3")" != "$(sha_pat 3000)" ]; then
		fail keepalive_client "a body differs on a reused connection"
		evidence "$T/curl.err"
	elif [ "$reuse" -lt 2 ]; then
		fail keepalive_client "curl reused the client connection $reuse times, want at least 2 of the first 3 URLs"
		grep -iE 'connected|re-using|closing|left intact' "$T/curl.err" | sed 's/^/    | /'
	else
		pass keepalive_client
	fi
}

t_upstream_pool() {
	if ! start_proxy pool --num-workers 1; then
		fail upstream_pool "$START_ERR"
		return
	fi
	set -- $(origin_stat connections requests)
	c0=$1
	r0=$2
	i=0
	while [ $i -lt 6 ]; do
		fetch "$OURL/size/100"
		[ "$CODE" = 200 ] || { fail upstream_pool "request $i: status $CODE"; return; }
		i=$((i + 1))
	done
	set -- $(origin_stat connections requests)
	c1=$1
	r1=$2
	# each /stats is one more connection and request of its own
	conns=$((c1 - c0 - 1))
	reqs=$((r1 - r0 - 1))
	if [ $reqs -ne 6 ]; then
		fail upstream_pool "origin counted $reqs requests, want 6 (test bug?)"
	elif [ $conns -ge $reqs ]; then
		fail upstream_pool "6 requests from 6 client connections used $conns upstream connections: no upstream reuse"
	else
		pass upstream_pool
	fi
}

t_pipelining() {
	needs_shared || return
	h="Host: 127.0.0.1:$O4\r\n"
	raw --send "GET $OURL/size/100 HTTP/1.1\r\n$h\r\nGET $OURL/chunked/20000 HTTP/1.1\r\n$h\r\nPOST $OURL/sink HTTP/1.1\r\n${h}Content-Length: 5\r\n\r\nhelloGET $OURL/size/300 HTTP/1.1\r\n${h}Connection: close\r\n\r\n" \
	    --count 4 --timeout 15
	if [ "$(resp 1 sha)" != "$(sha_pat 100)" ] ||
	    [ "$(resp 2 sha)" != "$(sha_pat 20000)" ] ||
	    [ "$(rhdr 3 x-body-length)" != 5 ] ||
	    [ "$(resp 4 sha)" != "$(sha_pat 300)" ]; then
		fail pipelining "4 pipelined requests in one write: responses missing, wrong or out of order"
		evidence "$T/raw" 30
	else
		pass pipelining
	fi
}

t_http10_client() {
	needs_shared || return
	raw --send "GET $OURL/chunked/5000 HTTP/1.0\r\nHost: 127.0.0.1:$O4\r\n\r\n" \
	    --timeout 10
	if [ "$(resp 1 status)" != 200 ]; then
		fail http10_client "no 200 for an HTTP/1.0 request"
		evidence "$T/raw"
	elif [ "$(resp 1 framing)" = chunked ]; then
		fail http10_client "chunked coding sent to an HTTP/1.0 client"
		evidence "$T/raw"
	elif [ "$(resp 1 sha)" != "$(sha_pat 5000)" ]; then
		fail http10_client "body differs (framing $(resp 1 framing), $(resp 1 len) bytes)"
		evidence "$T/raw"
	elif ! grep -q '^end eof' "$T/raw"; then
		fail http10_client "the proxy did not close the HTTP/1.0 connection"
		evidence "$T/raw"
	else
		pass http10_client
	fi
}

# what the origin saw: the /echo body in $T/raw.1 or $T/body
saw() {
	grep -qi "^$1" "${2:-$T/body}"
}

t_hop_by_hop_request() {
	needs_shared || return
	raw --send "GET $OURL/echo HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nConnection: X-Foo, close\r\nX-Foo: 1\r\nKeep-Alive: 300\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-T\r\nUpgrade: h2c\r\nProxy-Authorization: Basic eDp5\r\nX-Keep: yes\r\n\r\n" \
	    --count 1 --save "$T/raw"
	if [ "$(resp 1 status)" != 200 ]; then
		fail hop_by_hop_request "status $(resp 1 status)"
		evidence "$T/raw"
		return
	fi
	leaked=
	for h in X-Foo: Keep-Alive: Proxy-Connection: TE: Trailer: Upgrade: \
	    Proxy-Authorization:; do
		saw "$h" "$T/raw.1" && leaked="$leaked $h"
	done
	grep -i '^Connection:' "$T/raw.1" | grep -qi 'x-foo' &&
	    leaked="$leaked Connection:X-Foo"
	if [ -n "$leaked" ]; then
		fail hop_by_hop_request "the origin saw hop-by-hop fields:$leaked"
		evidence "$T/raw.1"
	elif ! saw 'X-Keep: yes' "$T/raw.1"; then
		fail hop_by_hop_request "an end-to-end field (X-Keep) was dropped"
		evidence "$T/raw.1"
	else
		pass hop_by_hop_request
	fi
}

t_hop_by_hop_response() {
	needs_shared || return
	fetch "$OURL/hop-response"
	if [ "$CODE" != 200 ]; then
		fail hop_by_hop_response "status $CODE"
	elif grep -qi '^X-Resp-Hop:' "$T/hdrs" || grep -qi 'timeout=99' "$T/hdrs"; then
		fail hop_by_hop_response "the client saw the origin's hop-by-hop fields"
		evidence "$T/hdrs"
	elif ! grep -qi '^X-Resp-Keep: 1' "$T/hdrs"; then
		fail hop_by_hop_response "an end-to-end response field was dropped"
		evidence "$T/hdrs"
	else
		pass hop_by_hop_response
	fi
}

t_via() {
	needs_shared || return
	fetch "$OURL/echo"
	if [ "$CODE" != 200 ] || ! saw 'Via: 1\.1 '; then
		fail via "no 'Via: 1.1 ...' reached the origin (status $CODE)"
		evidence "$T/body"
	else
		pass via
	fi
}

t_via_disabled() {
	if ! start_proxy novia --disable-via; then
		fail via_disabled "$START_ERR"
		return
	fi
	fetch "$OURL/echo"
	if [ "$CODE" != 200 ] || saw 'Via:'; then
		fail via_disabled "status $CODE; Via present with --disable-via?"
		evidence "$T/body"
	else
		pass via_disabled
	fi
}

t_disable_headers() {
	if ! start_proxy dish --disable-headers X-Secret,referer; then
		fail disable_headers "$START_ERR"
		return
	fi
	fetch "$OURL/echo" -H 'X-Secret: s' -H 'Referer: http://r.example/' \
	    -H 'X-Other: o'
	if [ "$CODE" != 200 ]; then
		fail disable_headers "status $CODE"
	elif saw 'X-Secret:' || saw 'Referer:'; then
		fail disable_headers "a disabled header reached the origin"
		evidence "$T/body"
	elif ! saw 'X-Other: o'; then
		fail disable_headers "X-Other was dropped too"
		evidence "$T/body"
	else
		pass disable_headers
	fi
}

t_add_header() {
	if ! start_proxy addh --add-header 'X-Added: one' \
	    --add-header 'X-Replaced: new'; then
		fail add_header "$START_ERR"
		return
	fi
	fetch "$OURL/echo" -H 'X-Replaced: old'
	if [ "$CODE" != 200 ]; then
		fail add_header "status $CODE"
	elif ! saw 'X-Added: one'; then
		fail add_header "X-Added: one missing at the origin"
		evidence "$T/body"
	elif [ "$(grep -ci '^X-Replaced:' "$T/body")" != 1 ] || ! saw 'X-Replaced: new'; then
		fail add_header "want exactly one 'X-Replaced: new' at the origin"
		evidence "$T/body"
	else
		pass add_header
	fi
}

t_useragent() {
	if ! start_proxy ua --useragent 'TestAgent/9.9 (x)'; then
		fail useragent "$START_ERR"
		return
	fi
	fetch "$OURL/echo" -A 'curl-original/1'
	if [ "$CODE" != 200 ]; then
		fail useragent "status $CODE"
	elif [ "$(grep -ci '^User-Agent:' "$T/body")" != 1 ] ||
	    ! grep -q '^User-Agent: TestAgent/9.9 (x)' "$T/body"; then
		fail useragent "want exactly 'User-Agent: TestAgent/9.9 (x)' at the origin"
		evidence "$T/body"
	else
		pass useragent
	fi
}

t_host_rewrite() {
	needs_shared || return
	raw --send "GET $OURL/echo?q=1 HTTP/1.1\r\nHost: evil.example:81\r\nConnection: close\r\n\r\n" \
	    --count 1 --save "$T/raw"
	if [ "$(resp 1 status)" != 200 ]; then
		fail host_rewrite "status $(resp 1 status)"
		evidence "$T/raw"
	elif ! head -n 1 "$T/raw.1" | grep -q "^GET /echo?q=1 HTTP/1.1"; then
		fail host_rewrite "origin's request line is not origin-form: $(head -n 1 "$T/raw.1")"
	elif [ "$(grep -ci '^Host:' "$T/raw.1")" != 1 ] ||
	    ! grep -qi "^Host: 127.0.0.1:$O4" "$T/raw.1"; then
		fail host_rewrite "origin did not see exactly 'Host: 127.0.0.1:$O4'"
		evidence "$T/raw.1"
	else
		pass host_rewrite
	fi
}

# bad_request CASE WANT ARGS...: sends a raw request through the shared
# proxy; wants status WANT and a log line with it (and, when BAD_RULE is
# set, an answer that names it)
bad_request() {
	bcase=$1
	bwant=$2
	shift 2
	needs_shared || return
	from=$(log_size "$LOG")
	r0=$(origin_stat requests)
	raw "$@" --count 1 --timeout 10 --save "$T/raw"
	st=$(resp 1 status)
	# the one /stats below is the only new request the origin may see
	fwd=$(($(origin_stat requests) - r0 - 1))
	n=0
	while [ $n -lt 40 ] && ! log_since "$LOG" "$from" | grep -qE "(^|[^0-9])$bwant([^0-9]|\$)"; do
		sleep 0.05
		n=$((n + 1))
	done
	if [ "$st" != "$bwant" ]; then
		fail "$bcase" "status '$st', want $bwant"
		evidence "$T/raw" 8
	elif ! log_since "$LOG" "$from" | grep -qE "(^|[^0-9])$bwant([^0-9]|\$)"; then
		fail "$bcase" "no log line with $bwant"
		log_since "$LOG" "$from" | tail -n 5 | sed 's/^/    | /'
	elif [ "$bcase" != bad_chunk_size ] && [ "$fwd" -gt 0 ]; then
		fail "$bcase" "answered $bwant but the request also reached the origin"
	elif [ -n "${BAD_RULE:-}" ] && ! grep -qF -- "$BAD_RULE" "$T/raw.1"; then
		fail "$bcase" "the $bwant does not name the rule ('$BAD_RULE'): $(head -c 200 "$T/raw.1")"
	else
		pass "$bcase"
	fi
}

t_origin_form() {
	needs_shared || return
	bad_request origin_form 400 \
	    --send "GET / HTTP/1.1\r\nHost: 127.0.0.1:$P\r\n\r\n"
}

t_bad_cl_te() {
	BAD_RULE="RFC 9112 6.3"
	bad_request bad_cl_te 400 \
	    --send "POST $OURL/sink HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
	BAD_RULE=
}

t_bad_two_cl() {
	bad_request bad_two_cl 400 \
	    --send "POST $OURL/sink HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
}

t_bad_chunk_size() {
	# (the head may have gone upstream before the bad chunk arrived)
	bad_request bad_chunk_size 400 \
	    --send "POST $OURL/sink HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
}

t_bad_obs_fold() {
	bad_request bad_obs_fold 400 \
	    --send "GET $OURL/echo HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nX-A: 1\r\n  folded\r\n\r\n"
}

t_bad_bare_cr() {
	bad_request bad_bare_cr 400 \
	    --send "GET $OURL/echo HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nX-A: a\rb\r\n\r\n"
}

t_bad_nul() {
	bad_request bad_nul 400 \
	    --send "GET $OURL/echo HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nX-A: a\x00b\r\n\r\n"
}

t_head_too_big() {
	if ! start_proxy small --max-header-size 4096; then
		fail head_too_big "$START_ERR"
		return
	fi
	big=$("$PY" -c 'print("a" * 5000)')
	raw --send "GET $OURL/echo HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nX-Big: $big\r\n\r\n" \
	    --count 1
	st=$(resp 1 status)
	raw --send "GET $OURL/echo HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nX-Small: $("$PY" -c 'print("a" * 2000)')\r\nConnection: close\r\n\r\n" \
	    --count 1
	st2=$(resp 1 status)
	if [ "$st" != 431 ]; then
		fail head_too_big "a 5000-byte head with --max-header-size 4096: status '$st', want 431"
	elif [ "$st2" != 200 ]; then
		fail head_too_big "a 2000-byte head with --max-header-size 4096: status '$st2', want 200"
	elif ! grep -qE '(^|[^0-9])431([^0-9]|$)' "$LOG"; then
		fail head_too_big "no log line with 431"
	else
		pass head_too_big
	fi
}

t_head_default_limit() {
	needs_shared || return
	big=$("$PY" -c 'print("b" * 70000)')
	raw --send "GET $OURL/echo HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nX-Big: $big\r\n\r\n" \
	    --count 1
	st=$(resp 1 status)
	mid=$("$PY" -c 'print("c" * 30000)')
	raw --send "GET $OURL/echo HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nX-Mid: $mid\r\nConnection: close\r\n\r\n" \
	    --count 1
	st2=$(resp 1 status)
	if [ "$st" != 431 ]; then
		fail head_default_limit "a 70000-byte head (default limit 65536): status '$st', want 431"
	elif [ "$st2" != 200 ]; then
		fail head_default_limit "a 30000-byte head (default limit 65536): status '$st2', want 200"
	else
		pass head_default_limit
	fi
}

# proxy_error CASE WANT URL [body-regex]: a proxy-made error with a cause
proxy_error() {
	ecase=$1
	ewant=$2
	eurl=$3
	ere=${4:-.}
	from=$(log_size "$LOG")
	fetch "$eurl"
	n=0
	while [ $n -lt 40 ] && ! log_since "$LOG" "$from" | grep -qE "(^|[^0-9])$ewant([^0-9]|\$)"; do
		sleep 0.05
		n=$((n + 1))
	done
	if [ "$CODE" != "$ewant" ]; then
		fail "$ecase" "$eurl: status $CODE, want $ewant"
		evidence "$T/body" 5
	elif ! grep -qiE "$ere" "$T/body"; then
		fail "$ecase" "the $ewant body does not give the cause (/$ere/): '$(head -c 200 "$T/body" | tr '\n' ' ')'"
	elif ! log_since "$LOG" "$from" | grep -qE "(^|[^0-9])$ewant([^0-9]|\$)"; then
		fail "$ecase" "no log line with $ewant"
		log_since "$LOG" "$from" | tail -n 5 | sed 's/^/    | /'
	else
		pass "$ecase"
	fi
}

t_err_refused() {
	if [ -n "${PROXY_QEMU:-}" ]; then
		skip err_refused "under qemu-user: qemu passes the host's errno through SO_ERROR (111), which the $PROXY_QEMU C library does not know as ECONNREFUSED"
		return
	fi
	needs_shared || return
	proxy_error err_refused 502 "http://127.0.0.1:$CLOSED/x" 'refused'
}

t_err_early_close() {
	needs_shared || return
	proxy_error err_early_close 502 "$OURL/early-close" '.'
}

t_err_connect_timeout() {
	bh=$(freeport)
	bg blackhole "$PY" "$C" blackhole 127.0.0.1 "$bh" 60
	bhpid=$BGPID
	n=0
	while [ $n -lt 100 ] && [ ! -s "$T/blackhole.out" ]; do
		sleep 0.05
		n=$((n + 1))
	done
	if ! grep -q ready "$T/blackhole.out"; then
		skip err_connect_timeout "cannot make a SYN-dropping listener on loopback: $(cat "$T/blackhole.out")"
		kill_bg "$bhpid"
		return
	fi
	if ! start_proxy cto --socktimeout 1; then
		fail err_connect_timeout "$START_ERR"
		kill_bg "$bhpid"
		return
	fi
	t0=$(ms_now)
	c0=$(cpu_ticks $(pgrep -P "$PX"))
	proxy_error err_connect_timeout 504 "http://127.0.0.1:$bh/" '.'
	c1=$(cpu_ticks $(pgrep -P "$PX"))
	dt=$(($(ms_now) - t0))
	echo "     (504 after $dt ms with --socktimeout 1)"
	# waiting on a connect that makes no progress costs no CPU: the
	# loop must not spin once the last address's attempt is under way
	hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
	if [ -z "$c0" ] || [ -z "$c1" ]; then
		skip connect_wait_idle "no /proc/PID/stat for the workers"
	elif [ $(((c1 - c0) * 1000 / hz)) -gt 250 ]; then
		fail connect_wait_idle "the workers used $(((c1 - c0) * 1000 / hz)) ms of CPU in a $dt ms wait for a connect"
	else
		pass connect_wait_idle
	fi
	kill_bg "$bhpid"
}

# cpu_ticks PID...: user plus system clock ticks of those processes
cpu_ticks() {
	_t=0
	for _p in "$@"; do
		[ -r "/proc/$_p/stat" ] || return
		set -- $(sed 's/.*) //' "/proc/$_p/stat")
		_t=$((_t + ${12} + ${13}))
	done
	echo "$_t"
}

t_access_log() {
	if ! start_proxy acc --num-workers 2; then
		fail access_log "$START_ERR"
		return
	fi
	fetch "$OURL/size/123?al=1"
	fetch "$OURL/status/404?al=2"
	n=0
	while [ $n -lt 40 ] && ! grep -q 'al=2' "$LOG"; do
		sleep 0.05
		n=$((n + 1))
	done
	line=$(grep -w access "$LOG" | grep 'size/123?al=1')
	cnt=$(grep -w access "$LOG" | grep -c 'size/123?al=1')
	why=
	[ "$cnt" = 1 ] || why="$cnt access lines for one request"
	for f in GET "127.0.0.1:$O4" "/size/123" " 200"; do
		echo "$line" | grep -q -- "$f" || why="$why; no '$f'"
	done
	# the client's address:port, besides the upstream's host:port
	echo "$line" | grep -oE '127\.0\.0\.1:[0-9]+' | grep -qv ":$O4\$" ||
	    why="$why; no client address:port"
	grep -w access "$LOG" | grep 'status/404?al=2' | grep -q ' 404' ||
	    why="$why; no access line with 404 for /status/404"
	if [ -n "$why" ]; then
		fail access_log "${why#; }"
		grep -w access "$LOG" | tail -n 3 | sed 's/^/    | /'
	else
		pass access_log
	fi
}

# A malformed head after a good request on one connection: its 400 names
# the rule, and its access line does not borrow the previous request's
# host (what the head did not tell is "-").
t_access_bad_head() {
	needs_shared || return
	raw --send "GET $OURL/size/1?abh=1 HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\n\r\n" \
	    --pause 0.2 \
	    --send "GET $OURL/size/2?abh=2 HTTP/1.1\r\nHost: a\r\nX: a\nb\r\n\r\n" \
	    --count 2 --save "$T/raw"
	peer=$(grep ' access .*size/1?abh=1 ' "$LOG" | tail -n 1 |
	    sed 's/.* access \([^ ]*\) .*/\1/')
	n=0
	while [ $n -lt 40 ] && ! grep -q " access $peer .* 400 " "$LOG"; do
		sleep 0.05
		n=$((n + 1))
	done
	line=$(grep " access $peer .* 400 " "$LOG" | tail -n 1)
	if [ "$(resp 1 status)" != 200 ] || [ "$(resp 2 status)" != 400 ]; then
		fail access_bad_head "want 200 then 400 on one connection"
		evidence "$T/raw" 8
	elif ! grep -q 'RFC 9112' "$T/raw.2"; then
		fail access_bad_head "the 400 does not name the rule: $(head -c 200 "$T/raw.2")"
	elif ! echo "$line" | grep -q " access $peer - - - 400 "; then
		fail access_bad_head "want 'access $peer - - - 400', got: $line"
	else
		pass access_bad_head
	fi
}

t_nginx_keepalive() {
	if [ -z "$NG" ]; then
		skip nginx_keepalive "$NGINX_NOTE"
		return
	fi
	if ! start_proxy ngka --num-workers 1; then
		fail nginx_keepalive "$START_ERR"
		return
	fi
	from=$(log_size "$T/nginx-access.log")
	i=0
	while [ $i -lt 8 ]; do
		fetch "http://127.0.0.1:$NG/1k.bin?ka=$i"
		if [ "$CODE" != 200 ] || ! cmp -s "$T/body" "$T/www/1k.bin"; then
			fail nginx_keepalive "request $i to nginx: status $CODE or body differs"
			return
		fi
		i=$((i + 1))
	done
	conns=$(log_since "$T/nginx-access.log" "$from" | grep 'ka=' |
	    cut -d' ' -f1 | sort -u | wc -l)
	if [ "$conns" -ge 8 ]; then
		fail nginx_keepalive "8 requests used $conns connections to nginx: no upstream keep-alive"
		log_since "$T/nginx-access.log" "$from" | sed 's/^/    | /'
	else
		pass nginx_keepalive
	fi
}

t_nginx_bulk() {
	if [ -z "$NG" ]; then
		skip nginx_bulk "$NGINX_NOTE"
		return
	fi
	needs_shared || return
	rm -f "$T/ng1" "$T/ng2"
	pcurl -o "$T/ng1" "http://127.0.0.1:$NG/1m.bin" \
	    -o "$T/ng2" "http://127.0.0.1:$NG/1m.bin?2" 2>"$T/curl.err"
	etag=$(curl -q -sS --noproxy '*' -I "http://127.0.0.1:$NG/1k.bin" |
	    sed -n 's/^[Ee][Tt]ag: *\(.*\)\r$/\1/p')
	h="Host: 127.0.0.1:$NG\r\n"
	raw --send "GET http://127.0.0.1:$NG/1k.bin HTTP/1.1\r\n${h}If-None-Match: $etag\r\n\r\nHEAD http://127.0.0.1:$NG/1m.bin HTTP/1.1\r\n$h\r\nGET http://127.0.0.1:$NG/1k.bin HTTP/1.1\r\n${h}Connection: close\r\n\r\n" \
	    --heads 2 --count 3
	if ! cmp -s "$T/ng1" "$T/www/1m.bin" || ! cmp -s "$T/ng2" "$T/www/1m.bin"; then
		fail nginx_bulk "1 MiB from nginx differs"
		evidence "$T/curl.err" 5
	elif [ "$(resp 1 status)" != 304 ] || [ "$(resp 2 status)" != 200 ] ||
	    [ "$(rhdr 2 content-length)" != 1048576 ] ||
	    [ "$(resp 3 sha)" != "$(sha_file "$T/www/1k.bin")" ] ||
	    grep -q '^extra' "$T/raw"; then
		fail nginx_bulk "304, HEAD, GET on one connection to nginx went wrong (etag $etag)"
		evidence "$T/raw" 30
	else
		pass nginx_bulk
	fi
}

# A kept-alive server connection that the server drops just as the next
# request arrives (/stale): an idempotent request without a body goes
# again, once, on a new connection and the client never sees the race; a
# POST with a body is not sent twice: the client gets the 502.
t_retry_reused() {
	needs_shared || return
	h="Host: 127.0.0.1:$O4\r\n"
	from=$(log_size "$LOG")
	raw --send "GET $OURL/size/10 HTTP/1.1\r\n$h\r\nGET $OURL/stale HTTP/1.1\r\n$h\r\nHEAD $OURL/stale HTTP/1.1\r\n${h}Connection: close\r\n\r\n" \
	    --heads 3 --count 3 --timeout 15
	if [ "$(resp 1 status)" != 200 ] || [ "$(resp 2 status)" != 200 ] ||
	    [ "$(resp 3 status)" != 200 ]; then
		fail retry_reused "GET and HEAD on a reused connection the server dropped: statuses $(resp 1 status) $(resp 2 status) $(resp 3 status), want 200 200 200"
		evidence "$T/raw" 20
		return
	fi
	n=$(log_since "$LOG" "$from" | grep -c "closed a reused connection before answering; sending the request again")
	if [ "$n" -ne 2 ]; then
		fail retry_reused "want 2 retries in the log, found $n"
		log_since "$LOG" "$from" | tail -n 8 | sed 's/^/    | /'
		return
	fi
	from=$(log_size "$LOG")
	raw --send "GET $OURL/size/10 HTTP/1.1\r\n$h\r\nPOST $OURL/stale HTTP/1.1\r\n${h}Content-Length: 5\r\nConnection: close\r\n\r\nhello" \
	    --count 2 --timeout 15
	if [ "$(resp 1 status)" != 200 ] || [ "$(resp 2 status)" != 502 ]; then
		fail retry_reused "POST with a body on a dropped reused connection: statuses $(resp 1 status) $(resp 2 status), want 200 502"
		evidence "$T/raw" 20
	elif log_since "$LOG" "$from" | grep -q "sending the request again"; then
		fail retry_reused "a POST with a body was sent again"
	else
		pass retry_reused
	fi
}

# The request is read at accept time when it is already there; a client
# that sends nothing yet, or only part of its head, must be served just
# the same once the rest arrives.
t_late_request() {
	needs_shared || return
	h="Host: 127.0.0.1:$O4\r\nConnection: close\r\n\r\n"
	raw --pause 0.3 --send "GET $OURL/size/10 HTTP/1.1\r\n$h" --count 1
	s1=$(resp 1 status) l1=$(resp 1 len)
	raw --send "GET $OURL/size/10 HT" --pause 0.2 --send "TP/1.1\r\n$h" --count 1
	s2=$(resp 1 status) l2=$(resp 1 len)
	# the tunnelled response is the body of the CONNECT's, to the EOF
	rm -f "$T/late.1"
	raw --send "CONNECT 127.0.0.1:$O4 HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\n" \
	    --pause 0.2 --send "\r\nGET /size/10 HTTP/1.1\r\n$h" --count 1 \
	    --save "$T/late"
	s3="$(resp 1 status) $(head -n 1 "$T/late.1" 2>/dev/null | tr -d '\r')"
	if [ "$s1 $l1" != "200 10" ]; then
		fail late_request "request sent 0.3 s after connecting: status $s1, $l1 bytes"
	elif [ "$s2 $l2" != "200 10" ]; then
		fail late_request "head split across a pause: status $s2, $l2 bytes"
	elif [ "$s3" != "200 HTTP/1.1 200 OK" ]; then
		fail late_request "CONNECT head split across a pause: got '$s3'"
		evidence "$T/raw" 10
	else
		pass late_request
	fi
}
CASES="$CASES late_request"
