# The built-in web server: --enable-web-server, --disable-http-proxy,
# --static-dir (types, HEAD, ranges, 304s, every way out of the directory
# refused), /metrics through promtool with figures that move across two
# workers, /status (and in headless Chromium, its screenshot kept in the
# run's directory), /healthz, --web-allow and --basic-auth, --log-format;
# sourced by tests.sh.

CASES="${CASES:-} web_off web_static web_range web_conditional
web_traversal web_disable_proxy web_metrics web_metrics_moves
web_metrics_parent web_status web_status_chromium web_healthz web_access
web_log_format web_log_format_bad web_pac"

WEB_DIR=
WEB_OUT=
WEB_SECRET=

# ---------------------------------------------------------------- helpers

# web_tree: the --static-dir (WEB_DIR) and, beside it, a directory that
# must stay out of reach (WEB_OUT, holding the WEB_SECRET marker), once
web_tree() {
	[ -n "$WEB_DIR" ] && return 0
	WEB_DIR=$T/www
	WEB_OUT=$T/web_outside
	WEB_SECRET=top-secret-$$-marker
	mkdir -p "$WEB_DIR/sub" "$WEB_DIR/noindex" "$WEB_OUT"
	echo "$WEB_SECRET" >"$WEB_OUT/secret.txt"
	echo "<!DOCTYPE html><title>home</title><p>home page" >"$WEB_DIR/index.html"
	echo "<p>sub page" >"$WEB_DIR/sub/index.html"
	echo "<p>no index here" >"$WEB_DIR/noindex/page.html"
	echo "body { color: red }" >"$WEB_DIR/style.css"
	echo "console.log(1);" >"$WEB_DIR/app.js"
	echo '{"a": 1}' >"$WEB_DIR/data.json"
	echo "plain text" >"$WEB_DIR/notes.txt"
	printf '\211PNG\r\n\032\n' >"$WEB_DIR/img.png"
	echo "<svg/>" >"$WEB_DIR/pic.SVG"
	printf 'raw' >"$WEB_DIR/blob.xyz"
	: >"$WEB_DIR/empty.txt"
	"$PY" "$ORIGIN" --gen 1000 >"$WEB_DIR/pat.bin"
	"$PY" "$ORIGIN" --gen 3145728 >"$WEB_DIR/big.bin"
	# the ways out: a relative link, an absolute one, a directory link;
	# and a link that stays inside (not followed either)
	ln -s ../web_outside/secret.txt "$WEB_DIR/link_rel.txt"
	ln -s "$WEB_OUT/secret.txt" "$WEB_DIR/link_abs.txt"
	ln -s "$WEB_OUT" "$WEB_DIR/dirlink"
	ln -s index.html "$WEB_DIR/link_in.html"
}

# web_start NAME FLAGS...: start_proxy, its failure failing the case
web_start() {
	if ! start_proxy "$@"; then
		fail "$CASE" "$START_ERR"
		return 1
	fi
	return 0
}

# wfetch PATH [curl args]: a request to the proxy's own port (not through
# it), the path sent as it is; body in $T/wbody, head in $T/whdrs, status
# in CODE
wfetch() {
	_wp=$1
	shift
	rm -f "$T/wbody" "$T/whdrs"
	CODE=$(curl -q -sS --noproxy '*' --max-time 20 --path-as-is \
	    -o "$T/wbody" -D "$T/whdrs" -w '%{http_code}' "$@" \
	    "$PROXY_URL$_wp" 2>"$T/curl.err")
	[ -f "$T/wbody" ] || : >"$T/wbody"
	[ -f "$T/whdrs" ] || : >"$T/whdrs"
}

# whdr NAME: a field of the last wfetch's answer (no CR)
whdr() {
	tr -d '\r' <"$T/whdrs" | sed -n "s/^$1: //Ip" | head -n 1
}

# scrape [QUERY]: /metrics into $T/metrics.txt
scrape() {
	curl -q -sS --noproxy '*' --max-time 10 -o "$T/metrics.txt" \
	    "$PROXY_URL/metrics${1:+?$1}" 2>"$T/curl.err" || : >"$T/metrics.txt"
}

# mval 'NAME{LABELS}': a sample's value from $T/metrics.txt ("missing")
mval() {
	awk -v k="$1" '$1 == k { print $2; f = 1; exit }
	    END { if (!f) print "missing" }' "$T/metrics.txt"
}

DIRECT_2XX='proxy_requests_total{route="direct",class="2xx"}'

# log_pid MARK: the pid of the worker that logged the access line with
# MARK in it (polled briefly: the line follows the answer)
log_pid() {
	_n=0
	while [ $_n -lt 40 ]; do
		_lp=$(grep " info: access .*$1" "$LOG" | head -n 1 |
		    sed -n 's/^[^ ]* \[\([0-9]*\)\] .*/\1/p')
		[ -n "$_lp" ] && { echo "$_lp"; return 0; }
		sleep 0.05
		_n=$((_n + 1))
	done
	echo none
}

# web_refused CASE PATH STATUS: PATH gets STATUS and never the secret
web_refused() {
	wfetch "$2"
	if [ "$CODE" != "$3" ]; then
		WEB_BAD="$WEB_BAD; $2: status $CODE, want $3"
	elif grep -q "$WEB_SECRET" "$T/wbody"; then
		WEB_BAD="$WEB_BAD; $2: the answer holds the secret file"
	fi
}

# ---------------------------------------------------------------- cases

# Without --enable-web-server an origin-form request still gets today's
# 400; with it, the proxy role goes on as before beside the web server.
t_web_off() {
	web_start web_off --num-workers 1 || return
	wfetch /healthz
	_c1=$CODE
	_b1=$(cat "$T/wbody")
	stop_proxy web_off
	web_start web_on --num-workers 1 --enable-web-server || return
	fetch "$OURL/size/100?wo=1"
	_c2=$CODE
	wfetch /healthz
	if [ "$_c1" != 400 ] || ! echo "$_b1" | grep -q "this is a proxy"; then
		fail web_off "without --enable-web-server /healthz got $_c1 '$_b1', want the 400 'this is a proxy'"
	elif [ "$_c2" != 200 ] || [ "$(wc -c <"$T/body")" != 100 ]; then
		fail web_off "with the web server on, a proxied GET got $_c2 and $(wc -c <"$T/body") bytes, want 200 and 100"
	elif [ "$CODE" != 200 ] || [ "$(cat "$T/wbody")" != ok ]; then
		fail web_off "with the web server on, /healthz got $CODE '$(cat "$T/wbody")'"
	else
		pass web_off
	fi
}

# Content types by extension (case-insensitive), HEAD, index.html for /,
# an empty file, and a 3 MiB file streamed whole.
t_web_static() {
	web_tree
	web_start web_st --num-workers 1 --enable-web-server \
	    --static-dir "$WEB_DIR" || return
	_bad=
	for _pt in "/index.html text/html; charset=utf-8" \
	    "/style.css text/css; charset=utf-8" \
	    "/app.js text/javascript; charset=utf-8" \
	    "/data.json application/json" \
	    "/notes.txt text/plain; charset=utf-8" \
	    "/img.png image/png" "/pic.SVG image/svg+xml" \
	    "/blob.xyz application/octet-stream" \
	    "/big.bin application/octet-stream"; do
		_p=${_pt%% *}
		_t=${_pt#* }
		wfetch "$_p"
		[ "$CODE" = 200 ] || _bad="$_bad; $_p: status $CODE"
		[ "$(whdr Content-Type)" = "$_t" ] ||
		    _bad="$_bad; $_p: type '$(whdr Content-Type)', want '$_t'"
		cmp -s "$T/wbody" "$WEB_DIR$_p" ||
		    _bad="$_bad; $_p: the body is not the file's"
	done
	wfetch /
	cmp -s "$T/wbody" "$WEB_DIR/index.html" ||
	    _bad="$_bad; /: not index.html (status $CODE)"
	wfetch /empty.txt
	{ [ "$CODE" = 200 ] && [ ! -s "$T/wbody" ] &&
	    [ "$(whdr Content-Length)" = 0 ]; } ||
	    _bad="$_bad; /empty.txt: status $CODE, $(wc -c <"$T/wbody") bytes"
	# HEAD then GET on one connection: no body may follow the HEAD's head
	raw --send 'HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /notes.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
	    --heads 1 --count 2
	{ [ "$(resp 1 status)" = 200 ] && [ "$(resp 1 len)" = 0 ] &&
	    [ "$(rhdr 1 content-length)" = 3145728 ] &&
	    [ "$(rhdr 1 accept-ranges)" = bytes ] &&
	    [ -n "$(rhdr 1 etag)" ] && [ -n "$(rhdr 1 last-modified)" ] &&
	    [ "$(resp 2 status)" = 200 ] &&
	    [ "$(resp 2 len)" = "$(wc -c <"$WEB_DIR/notes.txt")" ] &&
	    ! grep -q '^extra' "$T/raw"; } ||
	    _bad="$_bad; HEAD /big.bin then GET: $(grep -E '^(resp|extra)' "$T/raw" | tr '\n' ' ')"
	if [ -n "$_bad" ]; then
		fail web_static "${_bad#; }"
	else
		pass web_static
	fi
}

# One byte range (206 with Content-Range), a suffix, an open end, a
# range past the end (416 with bytes */size), several ranges (the whole
# file), If-Range with the current and another ETag, HEAD (no range).
t_web_range() {
	web_tree
	web_start web_rg --num-workers 1 --enable-web-server \
	    --static-dir "$WEB_DIR" || return
	_bad=
	# RANGE|STATUS|CONTENT-RANGE|SKIP|COUNT: the bytes that must come
	for _spec in "100-199|206|bytes 100-199/1000|100|100" \
	    "-50|206|bytes 950-999/1000|950|50" \
	    "990-|206|bytes 990-999/1000|990|10" \
	    "0-0|206|bytes 0-0/1000|0|1" \
	    "900-5000|206|bytes 900-999/1000|900|100" \
	    "2000-|416|bytes */1000|0|0" \
	    "0-1,5-6|200||0|1000"; do
		IFS='|' read -r _r _st _cr _skip _cnt <<EOF
$_spec
EOF
		wfetch /pat.bin -H "Range: bytes=$_r"
		dd if="$WEB_DIR/pat.bin" of="$T/want" bs=1 skip="$_skip" \
		    count="$_cnt" 2>/dev/null
		[ "$CODE" = "$_st" ] ||
		    _bad="$_bad; bytes=$_r: status $CODE, want $_st"
		[ "$(whdr Content-Range)" = "$_cr" ] ||
		    _bad="$_bad; bytes=$_r: Content-Range '$(whdr Content-Range)', want '$_cr'"
		cmp -s "$T/wbody" "$T/want" ||
		    _bad="$_bad; bytes=$_r: $(wc -c <"$T/wbody") bytes, not the $_cnt from $_skip"
	done
	wfetch /pat.bin
	_et=$(whdr ETag)
	wfetch /pat.bin -H "Range: bytes=10-19" -H "If-Range: $_et"
	[ "$CODE" = 206 ] || _bad="$_bad; If-Range with the ETag: $CODE, want 206"
	wfetch /pat.bin -H "Range: bytes=10-19" -H 'If-Range: "other"'
	{ [ "$CODE" = 200 ] && cmp -s "$T/wbody" "$WEB_DIR/pat.bin"; } ||
	    _bad="$_bad; If-Range with another ETag: $CODE, want 200 and the whole file"
	wfetch /pat.bin -I -H "Range: bytes=10-19"
	[ "$CODE" = 200 ] || _bad="$_bad; HEAD with a Range: $CODE, want 200"
	if [ -n "$_bad" ]; then
		fail web_range "${_bad#; }"
	else
		pass web_range
	fi
}

# If-None-Match (strong, weak, *, another tag) and If-Modified-Since
# (the file's date, an older one, a later one) give 304 or 200; the tag
# wins over the date; a changed file has a new tag.
t_web_conditional() {
	web_tree
	cp "$WEB_DIR/notes.txt" "$WEB_DIR/cond.txt"
	web_start web_cd --num-workers 1 --enable-web-server \
	    --static-dir "$WEB_DIR" || return
	wfetch /cond.txt
	_et=$(whdr ETag)
	_lm=$(whdr Last-Modified)
	_bad=
	[ -n "$_et" ] && [ -n "$_lm" ] || _bad="; no ETag or Last-Modified"
	# STATUS|FIELD: the answer to the file's request with FIELD
	for _spec in "304|If-None-Match: $_et" "304|If-None-Match: W/$_et" \
	    "304|If-None-Match: \"x\", $_et" "304|If-None-Match: *" \
	    "200|If-None-Match: \"x\"" "304|If-Modified-Since: $_lm" \
	    "200|If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT" \
	    "304|If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT" \
	    "200|If-Modified-Since: not a date"; do
		_want=${_spec%%|*}
		wfetch /cond.txt -H "${_spec#*|}"
		[ "$CODE" = "$_want" ] ||
		    _bad="$_bad; ${_spec#*|}: $CODE, want $_want"
		if [ "$_want" = 304 ] && [ -s "$T/wbody" ]; then
			_bad="$_bad; ${_spec#*|}: a 304 with a body"
		fi
	done
	wfetch /cond.txt -H 'If-None-Match: "x"' \
	    -H "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"
	[ "$CODE" = 200 ] || _bad="$_bad; If-None-Match should win over If-Modified-Since: $CODE"
	echo "a longer text than before" >"$WEB_DIR/cond.txt"
	wfetch /cond.txt -H "If-None-Match: $_et"
	{ [ "$CODE" = 200 ] && [ "$(whdr ETag)" != "$_et" ] &&
	    cmp -s "$T/wbody" "$WEB_DIR/cond.txt"; } ||
	    _bad="$_bad; the changed file with its old tag: $CODE, ETag '$(whdr ETag)'"
	if [ -n "$_bad" ]; then
		fail web_conditional "${_bad#; }"
	else
		pass web_conditional
	fi
}

# Every way out of --static-dir is refused and never shows the secret:
# "..", percent-encoded dots and slashes, links out (relative, absolute,
# to a directory), a link inside too; a directory has no listing; bad
# escapes are 400s.
t_web_traversal() {
	web_tree
	web_start web_tv --num-workers 1 --enable-web-server \
	    --static-dir "$WEB_DIR" || return
	WEB_BAD=
	# the secret is there, one level up, by a plain path
	[ -s "$WEB_OUT/secret.txt" ] || WEB_BAD="; the test's secret file is missing"
	for _spec in "/../web_outside/secret.txt 403" \
	    "/sub/../../web_outside/secret.txt 403" \
	    "/%2e%2e/web_outside/secret.txt 403" \
	    "/%2E%2E/web_outside/secret.txt 403" \
	    "/.%2e/web_outside/secret.txt 403" \
	    "/..%2fweb_outside%2fsecret.txt 403" \
	    "/sub/..%2f..%2fweb_outside/secret.txt 403" \
	    "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd 403" \
	    "/sub/%2e%2e/%2e%2e/web_outside/secret.txt 403" \
	    "/link_rel.txt 403" "/link_abs.txt 403" \
	    "/dirlink/secret.txt 403" "/dirlink/ 403" "/link_in.html 403" \
	    "/noindex/ 403" "/%00secret 400" "/%zz 400" "/%2 400" \
	    "/nothing/here.txt 404" "/notes.txt/ 404"; do
		web_refused web_traversal "${_spec% *}" "${_spec#* }"
	done
	# a directory listing would name its files
	wfetch /noindex/
	grep -q page.html "$T/wbody" && WEB_BAD="$WEB_BAD; /noindex/ lists its files"
	wfetch /noindex
	[ "$CODE" = 301 ] && [ "$(whdr Location)" = /noindex/ ] ||
	    WEB_BAD="$WEB_BAD; /noindex: $CODE to '$(whdr Location)', want 301 to /noindex/"
	wfetch /sub/
	[ "$CODE" = 200 ] && cmp -s "$T/wbody" "$WEB_DIR/sub/index.html" ||
	    WEB_BAD="$WEB_BAD; /sub/: $CODE, not its index.html"
	wfetch /sub/./index.html
	[ "$CODE" = 200 ] || WEB_BAD="$WEB_BAD; /sub/./index.html: $CODE"
	if [ -n "$WEB_BAD" ]; then
		fail web_traversal "${WEB_BAD#; }"
	else
		pass web_traversal
	fi
}

# --disable-http-proxy: absolute URIs and CONNECT get a 403 that says
# why, the origin never hears of them; the web server answers (it is
# implied).
t_web_disable_proxy() {
	web_start web_np --num-workers 1 --disable-http-proxy || return
	_ob=$(origin_stat requests)
	fetch "$OURL/size/10?np=1"
	_gc=$CODE
	_gb=$(cat "$T/body")
	_cc=$(pcurl -o /dev/null -w '%{http_connect}' -p \
	    "http://127.0.0.1:$O4/size/10" 2>/dev/null)
	_oa=$(origin_stat requests)
	wfetch /healthz
	if [ "$_gc" != 403 ] || ! echo "$_gb" | grep -q -- --disable-http-proxy; then
		fail web_disable_proxy "a proxied GET got $_gc '$_gb', want 403 naming --disable-http-proxy"
	elif [ "$_cc" != 403 ]; then
		fail web_disable_proxy "a CONNECT got '$_cc', want 403"
	elif [ $((_oa - _ob)) != 1 ]; then
		fail web_disable_proxy "the origin saw $((_oa - _ob - 1)) requests from the proxy, want none"
	elif [ "$CODE" != 200 ]; then
		fail web_disable_proxy "/healthz got $CODE: --disable-http-proxy should leave the web server"
	else
		pass web_disable_proxy
	fi
}

# /metrics passes promtool, and its totals are the whole proxy's: direct
# requests spread over both workers are all counted whichever worker
# answers the scrape, and a worker killed and forked again loses none of
# them while the restart is counted.
t_web_metrics() {
	EXPECT_WORKER_DEATH=1
	# --accept shared: both workers race for each client, so both get
	# some (exclusive hands an idle machine's clients to one)
	web_start web_mx --num-workers 2 --enable-web-server --accept shared ||
	    return
	_wt0=$(date +%s)
	scrape
	if have promtool; then
		if ! promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1; then
			fail web_metrics "promtool check metrics: $(head -c 300 "$T/promtool.out")"
			return
		fi
	else
		skip web_metrics_promtool "promtool is missing (Debian's prometheus)"
	fi
	_v0=$(mval "$DIRECT_2XX")
	# requests on new connections until both workers have served some
	_k=0
	_pids=
	while [ $_k -lt 200 ]; do
		_k=$((_k + 1))
		pcurl -o /dev/null "$OURL/size/100?wm=$_k" 2>/dev/null
		if [ $((_k % 10)) = 0 ]; then
			_pids=$(grep ' info: access .*?wm=' "$LOG" |
			    sed -n 's/^[^ ]* \[\([0-9]*\)\] .*/\1/p' | sort -u)
			[ "$(echo "$_pids" | wc -l)" -ge 2 ] && break
		fi
	done
	if [ "$(echo "$_pids" | wc -l)" -lt 2 ]; then
		skip web_metrics "one worker took all $_k connections: the sum over workers is not tested"
		return
	fi
	# scrapes until both workers have answered one: each has all $_k
	_seen=
	_bad=
	_i=0
	while [ $_i -lt 40 ]; do
		_i=$((_i + 1))
		scrape "s=$_i"
		_v=$(mval "$DIRECT_2XX")
		[ "$_v" = $((_v0 + _k)) ] ||
		    _bad="$_bad; scrape $_i: $_v direct 2xx, want $((_v0 + _k))"
		_seen="$_seen
$(log_pid "/metrics?s=$_i ")"
		[ "$(echo "$_seen" | sed '/^$/d' | sort -u | wc -l)" -ge 2 ] && break
	done
	if [ "$(echo "$_seen" | sed '/^$/d' | sort -u | wc -l)" -lt 2 ]; then
		_bad="$_bad; 40 scrapes were all answered by one worker"
	fi
	_out=$(mval proxy_client_sent_bytes_total)
	[ "$_out" != missing ] && [ "$_out" -ge $((_k * 100)) ] ||
	    _bad="$_bad; $_out bytes sent to clients after $_k bodies of 100"
	_st=$(mval process_start_time_seconds)
	[ "$_st" != missing ] && [ "$_st" -ge $((_wt0 - 15)) ] &&
	    [ "$_st" -le $((_wt0 + 2)) ] ||
	    _bad="$_bad; process_start_time_seconds $_st, started near $_wt0"
	[ "$(mval proxy_workers)" = 2 ] ||
	    _bad="$_bad; proxy_workers $(mval proxy_workers), want 2"
	# one worker dies: the master counts the restart, no count is lost
	_victim=$(ps -o pid= --ppid "$PX" 2>/dev/null | head -n 1 | tr -d ' ')
	if [ -z "$_victim" ]; then
		_bad="$_bad; no worker process found under $PX"
	else
		kill -KILL "$_victim"
		_n=0
		while [ $_n -lt 100 ]; do
			scrape "r=$_n"
			[ "$(mval proxy_worker_restarts_total)" = 1 ] &&
			    [ "$(mval proxy_workers)" = 2 ] && break
			sleep 0.05
			_n=$((_n + 1))
		done
		[ "$(mval proxy_worker_restarts_total)" = 1 ] ||
		    _bad="$_bad; after a worker was killed, proxy_worker_restarts_total is $(mval proxy_worker_restarts_total)"
		[ "$(mval "$DIRECT_2XX")" = $((_v0 + _k)) ] ||
		    _bad="$_bad; after the restart $(mval "$DIRECT_2XX") direct 2xx, want $((_v0 + _k)) (a dead worker's counts were lost)"
	fi
	if [ -n "$_bad" ]; then
		fail web_metrics "${_bad#; }"
	else
		pass web_metrics
	fi
}

# Each kind of event moves its own counter by what happened: a 404 of
# the web server, a 502 for a closed port with its connect failure, a
# pooled upstream reused, a DNS cache hit, connections accepted.
t_web_metrics_moves() {
	web_start web_mm --num-workers 1 --enable-web-server || return
	scrape
	_l4=$(mval 'proxy_requests_total{route="local",class="4xx"}')
	_d5=$(mval 'proxy_requests_total{route="direct",class="5xx"}')
	_cf=$(mval proxy_upstream_connect_failures_total)
	_pr=$(mval proxy_pool_reuses_total)
	_dh=$(mval proxy_dns_cache_hits_total)
	_ct=$(mval proxy_connections_total)
	wfetch /no-such-page
	fetch "http://127.0.0.1:$CLOSED/"
	_c502=$CODE
	# two GETs on one client connection: the second takes the pooled one
	pcurl -o /dev/null "$OURL/size/10?mm=1" -o /dev/null "$OURL/size/10?mm=2"
	# a name twice, the upstream closed after each (nothing pooled): the
	# second lookup is the cache's
	pcurl -o /dev/null "http://localhost:$O4/close/10" \
	    -o /dev/null "http://localhost:$O4/close/10"
	scrape
	_bad=
	[ "$_c502" = 502 ] || _bad="; a closed port got $_c502, not 502"
	[ "$(mval 'proxy_requests_total{route="local",class="4xx"}')" = $((_l4 + 1)) ] ||
	    _bad="$_bad; local 4xx $_l4 -> $(mval 'proxy_requests_total{route="local",class="4xx"}') after one 404"
	[ "$(mval 'proxy_requests_total{route="direct",class="5xx"}')" = $((_d5 + 1)) ] ||
	    _bad="$_bad; direct 5xx $_d5 -> $(mval 'proxy_requests_total{route="direct",class="5xx"}') after one 502"
	[ "$(mval proxy_upstream_connect_failures_total)" = $((_cf + 1)) ] ||
	    _bad="$_bad; connect failures $_cf -> $(mval proxy_upstream_connect_failures_total)"
	[ "$(mval proxy_pool_reuses_total)" -ge $((_pr + 1)) ] 2>/dev/null ||
	    _bad="$_bad; pool reuses $_pr -> $(mval proxy_pool_reuses_total)"
	[ "$(mval proxy_dns_cache_hits_total)" -ge $((_dh + 1)) ] 2>/dev/null ||
	    _bad="$_bad; DNS cache hits $_dh -> $(mval proxy_dns_cache_hits_total)"
	# the 404, the 502, two pcurl connections and the last scrape
	[ "$(mval proxy_connections_total)" -ge $((_ct + 5)) ] 2>/dev/null ||
	    _bad="$_bad; connections accepted $_ct -> $(mval proxy_connections_total)"
	[ "$(mval proxy_connections_open)" -ge 1 ] 2>/dev/null ||
	    _bad="$_bad; $(mval proxy_connections_open) connections open during a scrape"
	if [ -n "$_bad" ]; then
		fail web_metrics_moves "${_bad#; }"
	else
		pass web_metrics_moves
	fi
}

# A first parent that is down and a second that wants NTLM: one request
# counts one connect failure, one failover, one NTLM handshake and one
# 2xx by route parent.
t_web_metrics_parent() {
	needs_built NTLM web_metrics_parent || return
	par_ntlm web_par --accept NTLMv2 || { par_stop_all; return; }
	_pp=$PARENT
	PROXY_PASSWORD=$PAR_PW
	export PROXY_PASSWORD
	start_proxy web_mp --num-workers 1 --enable-web-server \
	    --proxy "127.0.0.1:$CLOSED,127.0.0.1:$_pp" \
	    --username "$PAR_DOM\\$PAR_USER" --auth NTLMv2
	_rc=$?
	unset PROXY_PASSWORD
	if [ $_rc != 0 ]; then
		fail web_metrics_parent "$START_ERR"
		par_stop_all
		return
	fi
	fetch "$OURL/size/50?mp=1"
	scrape
	par_stop_all
	_bad=
	[ "$CODE" = 200 ] || _bad="; the request through the parents got $CODE"
	for _kv in proxy_parent_failovers_total=1 \
	    proxy_upstream_connect_failures_total=1 \
	    proxy_ntlm_handshakes_total=1 \
	    'proxy_requests_total{route="parent",class="2xx"}=1' \
	    'proxy_requests_total{route="direct",class="2xx"}=0'; do
		[ "$(mval "${_kv%=*}")" = "${_kv##*=}" ] ||
		    _bad="$_bad; ${_kv%=*} is $(mval "${_kv%=*}"), want ${_kv##*=}"
	done
	if [ -n "$_bad" ]; then
		fail web_metrics_parent "${_bad#; }"
	else
		pass web_metrics_parent
	fi
}

# /status: one HTML page with the figures and a row per worker (both
# pids), no scripts and nothing fetched from elsewhere.
t_web_status() {
	web_start web_sp --num-workers 2 --enable-web-server || return
	fetch "$OURL/size/10?sp=1"
	wfetch /status
	_bad=
	[ "$CODE" = 200 ] || _bad="; status $CODE"
	case $(whdr Content-Type) in
	text/html*) ;;
	*) _bad="$_bad; Content-Type '$(whdr Content-Type)'" ;;
	esac
	for _w in "<!DOCTYPE html>" "<title>proxy status</title>" \
	    "connections open" "Requests by route and status" "Workers" \
	    "<td>direct</td>" "worker restarts" "DNS cache hits" \
	    "NTLM handshakes" "</html>"; do
		grep -qF "$_w" "$T/wbody" || _bad="$_bad; no '$_w'"
	done
	for _w in $(ps -o pid= --ppid "$PX" 2>/dev/null); do
		grep -q "<td>$_w</td>" "$T/wbody" ||
		    _bad="$_bad; no row for worker $_w"
	done
	grep -qiE '<script|src=|href="https?:|@import|url\(' "$T/wbody" &&
	    _bad="$_bad; the page loads scripts or other resources"
	if [ -n "$_bad" ]; then
		fail web_status "${_bad#; }"
	else
		pass web_status
	fi
}

# /status in headless Chromium: it loads, and the screenshot (kept in
# the run's directory, $T/web_status.png) is a PNG with a picture in it.
t_web_status_chromium() {
	_cr=
	for _b in chromium chromium-browser; do
		have "$_b" && { _cr=$_b; break; }
	done
	if [ -z "$_cr" ]; then
		skip web_status_chromium "no chromium (Debian's chromium)"
		return
	fi
	web_start web_sc --num-workers 2 --enable-web-server || return
	fetch "$OURL/size/10?sc=1"
	_png=$T/web_status.png
	rm -rf "$T/chromium-profile" "$_png"
	mkdir -p "$T/chromium-profile"
	timeout 120 "$_cr" --headless --no-sandbox --disable-gpu \
	    --disable-quic --no-first-run --disable-background-networking \
	    --disable-component-update --disable-sync \
	    --user-data-dir="$T/chromium-profile" --window-size=1000,1200 \
	    --screenshot="$_png" "$PROXY_URL/status" \
	    >"$T/chromium.out" 2>"$T/chromium.err"
	_rc=$?
	_chk=$("$PY" - "$_png" <<'PYEOF'
import struct, sys
try:
    d = open(sys.argv[1], "rb").read()
except OSError as e:
    print("no file: %s" % e)
    sys.exit()
if d[:8] != b"\x89PNG\r\n\x1a\n" or d[12:16] != b"IHDR":
    print("not a PNG (%d bytes)" % len(d))
    sys.exit()
w, h = struct.unpack(">II", d[16:24])
print("ok" if w >= 200 and h >= 200 and len(d) > 5000 else
      "a PNG of %dx%d, %d bytes: too small to show the page" % (w, h, len(d)))
PYEOF
)
	if [ "$_chk" != ok ]; then
		fail web_status_chromium "chromium exited $_rc; screenshot: $_chk"
		evidence "$T/chromium.err" 5
	elif ! grep -q ' info: access .* /status ' "$LOG"; then
		fail web_status_chromium "the proxy logged no /status request from chromium"
	else
		echo "     (the screenshot is kept in $_png)"
		pass web_status_chromium
	fi
	rm -rf "$T/chromium-profile"
}

# /healthz: 200 "ok", HEAD; other methods 405 with Allow; a body 400.
t_web_healthz() {
	web_start web_hz --num-workers 1 --enable-web-server || return
	_bad=
	wfetch /healthz
	[ "$CODE" = 200 ] && [ "$(cat "$T/wbody")" = ok ] ||
	    _bad="; GET: $CODE '$(cat "$T/wbody")'"
	raw --send 'HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' \
	    --heads 1 --count 2
	[ "$(resp 1 status)" = 200 ] && [ "$(resp 1 len)" = 0 ] &&
	    [ "$(rhdr 1 content-length)" = 3 ] && [ "$(resp 2 len)" = 3 ] &&
	    ! grep -q '^extra' "$T/raw" ||
	    _bad="$_bad; HEAD then GET: $(grep -E '^(resp|extra)' "$T/raw" | tr '\n' ' ')"
	wfetch /healthz -X POST --data x
	[ "$CODE" = 405 ] && [ "$(whdr Allow)" = "GET, HEAD" ] ||
	    _bad="$_bad; POST: $CODE, Allow '$(whdr Allow)'"
	wfetch /healthz -X GET --data x
	[ "$CODE" = 400 ] || _bad="$_bad; GET with a body: $CODE"
	wfetch '/healthz?probe=1'
	[ "$CODE" = 200 ] || _bad="$_bad; with a query: $CODE"
	if [ -n "$_bad" ]; then
		fail web_healthz "${_bad#; }"
	else
		pass web_healthz
	fi
}

# --web-allow narrows the web server to its addresses (403 for others,
# who still use the proxy); --basic-auth asks with 401 and takes the
# Authorization field; proxy requests still need Proxy-Authorization.
t_web_access() {
	web_start web_wa --num-workers 1 --enable-web-server \
	    --web-allow 127.0.0.2 || return
	_bad=
	wfetch /healthz
	[ "$CODE" = 403 ] && grep -q -- --web-allow "$T/wbody" ||
	    _bad="; /healthz from 127.0.0.1: $CODE, want 403 naming --web-allow"
	wfetch /metrics --interface 127.0.0.2
	[ "$CODE" = 200 ] || _bad="$_bad; /metrics from 127.0.0.2: $CODE"
	fetch "$OURL/size/10?wa=1"
	[ "$CODE" = 200 ] || _bad="$_bad; a proxied GET from 127.0.0.1: $CODE"
	stop_proxy web_wa
	web_start web_ba --num-workers 1 --enable-web-server \
	    --basic-auth webuser:webpass || return
	wfetch /healthz
	[ "$CODE" = 401 ] &&
	    [ "$(whdr WWW-Authenticate)" = 'Basic realm="proxy"' ] ||
	    _bad="$_bad; /healthz without a login: $CODE, WWW-Authenticate '$(whdr WWW-Authenticate)'"
	wfetch /healthz -u webuser:wrong
	[ "$CODE" = 401 ] || _bad="$_bad; a wrong password: $CODE"
	wfetch /healthz -u webuser:webpass
	[ "$CODE" = 200 ] || _bad="$_bad; the right login: $CODE"
	fetch "$OURL/size/10?wa=2"
	[ "$CODE" = 407 ] || _bad="$_bad; a proxied GET without login: $CODE"
	fetch "$OURL/size/10?wa=3" --proxy-user webuser:webpass
	[ "$CODE" = 200 ] || _bad="$_bad; a proxied GET with the login: $CODE"
	if [ -n "$_bad" ]; then
		fail web_access "${_bad#; }"
	else
		pass web_access
	fi
}

# --log-format: fields, braces and proxy.py's names in the access line,
# for a proxied request and a web server answer; without it, the line is
# exactly today's.
t_web_log_format() {
	web_start web_lf --num-workers 1 --enable-web-server --log-format \
	    '{client_ip} {method} {url} {status} {reason} {route} {bytes_out} {upstream} {{x}} {response_code} {server_port}' || return
	fetch "$OURL/size/123?lf=1"
	wfetch '/healthz?lf=2'
	_l1=$(grep ' info: access .*lf=1' "$LOG" | sed 's/.* info: //')
	_l2=$(grep ' info: access .*lf=2' "$LOG" | sed 's/.* info: //')
	_bad=
	echo "$_l1" | grep -qE "^access 127\\.0\\.0\\.1 GET http://127\\.0\\.0\\.1:$O4/size/123\\?lf=1 200 OK direct [0-9]+ DIRECT \\{x\\} 200 $O4\$" ||
	    _bad="; the proxied request's line: '$_l1'"
	echo "$_l2" | grep -qE '^access 127\.0\.0\.1 GET /healthz\?lf=2 200 OK local [0-9]+ DIRECT \{x\} 200 0$' ||
	    _bad="$_bad; the web server's line: '$_l2'"
	stop_proxy web_lf
	web_start web_ld --num-workers 1 || return
	fetch "$OURL/size/5?lf=3"
	pcurl -o /dev/null "http://127.0.0.1:$CLOSED/?lf=4" 2>/dev/null
	_l3=$(grep ' info: access .*lf=3' "$LOG" | sed 's/.* info: //')
	_l4=$(grep ' info: access .*lf=4' "$LOG" | sed 's/.* info: //')
	echo "$_l3" | grep -qE "^access 127\\.0\\.0\\.1:[0-9]+ GET 127\\.0\\.0\\.1:$O4 /size/5\\?lf=3 200 [0-9]+ [0-9]+ [0-9]+ms DIRECT\$" ||
	    _bad="$_bad; the default line: '$_l3'"
	echo "$_l4" | grep -qE "^access 127\\.0\\.0\\.1:[0-9]+ GET 127\\.0\\.0\\.1:$CLOSED /\\?lf=4 502 [0-9]+ [0-9]+ [0-9]+ms DIRECT\$" ||
	    _bad="$_bad; the default line of a 502: '$_l4'"
	if [ -n "$_bad" ]; then
		fail web_log_format "${_bad#; }"
	else
		pass web_log_format
	fi
}

# An unknown field, an unclosed brace: exit 2 naming the flag (or the
# config file's line) and the field.
t_web_log_format_bad() {
	_bad=
	for _f in '{client} {nope}|{nope}' '{client|not closed'; do
		"$PROXY_BIN" --port "$(freeport)" --log-format "${_f%|*}" \
		    >"$T/lfb.out" 2>"$T/lfb.err" &
		_p=$!
		track $_p
		if ! wait_pid $_p 10; then
			kill -KILL $_p 2>/dev/null
			_bad="$_bad; '${_f%|*}': the proxy started"
			continue
		fi
		[ "$WAIT_RC" = 2 ] && grep -q -- '--log-format' "$T/lfb.err" &&
		    grep -qF "${_f#*|}" "$T/lfb.err" ||
		    _bad="$_bad; '${_f%|*}': exit $WAIT_RC, '$(head -c 200 "$T/lfb.err")'"
	done
	printf 'log-format = {status} {bogus_field}\n' >"$T/lfb.conf"
	"$PROXY_BIN" --config "$T/lfb.conf" --port "$(freeport)" \
	    >"$T/lfb.out" 2>"$T/lfb.err" &
	_p=$!
	track $_p
	if ! wait_pid $_p 10; then
		kill -KILL $_p 2>/dev/null
		_bad="$_bad; the config file's bad field: the proxy started"
	elif [ "$WAIT_RC" != 2 ] || ! grep -q 'lfb.conf:1' "$T/lfb.err" ||
	    ! grep -q '{bogus_field}' "$T/lfb.err"; then
		_bad="$_bad; the config file's bad field: exit $WAIT_RC, '$(head -c 200 "$T/lfb.err")'"
	fi
	if [ -n "$_bad" ]; then
		fail web_log_format_bad "${_bad#; }"
	else
		pass web_log_format_bad
	fi
}

# The PAC file keeps its path (and /wpad.dat) beside the web server's
# pages and files.
t_web_pac() {
	web_tree
	printf '%s\n' 'function FindProxyForURL(url, host) { return "DIRECT"; }' >"$T/web.pac"
	web_start web_pc --num-workers 1 --enable-web-server \
	    --static-dir "$WEB_DIR" --pac-file "$T/web.pac" \
	    --pac-file-url-path /proxy.pac || return
	_bad=
	for _p in /proxy.pac /wpad.dat; do
		wfetch "$_p"
		[ "$CODE" = 200 ] && cmp -s "$T/wbody" "$T/web.pac" &&
		    [ "$(whdr Content-Type)" = application/x-ns-proxy-autoconfig ] ||
		    _bad="$_bad; $_p: $CODE, $(wc -c <"$T/wbody") bytes, '$(whdr Content-Type)'"
	done
	wfetch /
	[ "$CODE" = 200 ] && cmp -s "$T/wbody" "$WEB_DIR/index.html" ||
	    _bad="$_bad; /: $CODE, not index.html"
	wfetch /metrics
	[ "$CODE" = 200 ] || _bad="$_bad; /metrics: $CODE"
	if [ -n "$_bad" ]; then
		fail web_pac "${_bad#; }"
	else
		pass web_pac
	fi
}
