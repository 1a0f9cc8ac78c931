# Message framing when Content-Length and Transfer-Encoding meet (RFC
# 9112 6.1-6.3): responses that carry both, transfer-codings besides
# chunked, requests the rule refuses; to HTTP/1.1 and HTTP/1.0 clients,
# direct and through an NTLM parent. Sourced by tests.sh.

CASES="${CASES:-} clte_keepalive clte_http10 clte_parent te_coded_response
te_coded_request bad_te_not_chunked bad_te_two_cl bad_te_http10"

HELLO_SHA=2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824

# clte_check WHAT: the 1st response in $T/raw is "hello" by chunked framing
# with no Content-Length, the 2nd (same connection) the 10 pattern bytes;
# sets CLTE_BAD to what is wrong
clte_check() {
	CLTE_BAD=
	if [ "$(resp 1 status)" != 200 ]; then
		CLTE_BAD="$1: status '$(resp 1 status)', want 200"
	elif [ -n "$(rhdr 1 content-length)" ]; then
		CLTE_BAD="$1: the client got Content-Length: $(rhdr 1 content-length) beside Transfer-Encoding: $(rhdr 1 transfer-encoding) (RFC 9112 6.3: it must be removed)"
	elif [ "$(resp 1 framing)" != chunked ] ||
	    [ "$(resp 1 sha)" != "$HELLO_SHA" ]; then
		CLTE_BAD="$1: want the 5 bytes 'hello' by chunked framing, got framing=$(resp 1 framing) len=$(resp 1 len)"
	elif [ "$(resp 2 status)" != 200 ] ||
	    [ "$(resp 2 sha)" != "$(sha_pat 10)" ]; then
		CLTE_BAD="$1: the next request on the same connection: status '$(resp 2 status)' len=$(resp 2 len) (want 200, 10 bytes)"
	elif grep -q '^extra' "$T/raw"; then
		CLTE_BAD="$1: bytes after the responses: the framing lied"
	fi
}

# clte_get QUERY: GET /clte?QUERY, then GET /size/10 on the same client
# connection, over HTTP/1.1
clte_get() {
	raw --send "GET $OURL/clte$1 HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\n\r\n" \
	    --pause 0.2 \
	    --send "GET $OURL/size/10${2:-} HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nConnection: close\r\n\r\n" \
	    --count 2
}

# origin_conn PATH: the origin's connection number for the request PATH
origin_conn() {
	sed -n "s|^conn=\([0-9]*\) GET $1\$|\1|p" "$T/origin4.log" | tail -n 1
}

# Transfer-Encoding wins, Content-Length goes; the client connection stays
# usable, the server connection (whose framing is in doubt) is not reused.
t_clte_keepalive() {
	if ! start_proxy clte --num-workers 1; then
		fail clte_keepalive "$START_ERR"
		return
	fi
	k=0
	for q in "?cl=100" "?cl=100,7" "?cl=x" "?cl=0"; do
		k=$((k + 1))
		clte_get "$q&k=$k" "?k=$k"
		clte_check "/clte$q"
		c1=$(origin_conn "/clte$q&k=$k")
		c2=$(origin_conn "/size/10?k=$k")
		if [ -n "$CLTE_BAD" ]; then
			fail clte_keepalive "$CLTE_BAD"
			evidence "$T/raw" 12
			return
		elif [ -z "$c1" ] || [ "$c1" = "$c2" ]; then
			fail clte_keepalive "/clte$q: the next request went on the origin connection ('$c1' '$c2') that sent Content-Length with Transfer-Encoding"
			return
		fi
	done
	pass clte_keepalive
}

# The dechunking path: an HTTP/1.0 client gets the 5 bytes, ended by the
# close, and no Content-Length that promises 100.
t_clte_http10() {
	needs_shared || return
	for ka in "" "Connection: keep-alive\r\n"; do
		raw --send "GET $OURL/clte HTTP/1.0\r\n$ka\r\n" --timeout 10
		if [ "$(resp 1 status)" != 200 ]; then
			fail clte_http10 "HTTP/1.0 ${ka:+keep-alive }client: status '$(resp 1 status)' (a Content-Length: 100 with 5 bytes leaves it waiting)"
			evidence "$T/raw" 10
			return
		elif [ -n "$(rhdr 1 content-length)" ] ||
		    [ -n "$(rhdr 1 transfer-encoding)" ]; then
			fail clte_http10 "HTTP/1.0 client got Content-Length: '$(rhdr 1 content-length)' Transfer-Encoding: '$(rhdr 1 transfer-encoding)', want neither"
			evidence "$T/raw" 10
			return
		elif [ "$(resp 1 framing)" != close ] ||
		    [ "$(resp 1 sha)" != "$HELLO_SHA" ] ||
		    ! grep -q '^end eof' "$T/raw"; then
			fail clte_http10 "HTTP/1.0 client: want 'hello' ended by the close"
			evidence "$T/raw" 10
			return
		fi
	done
	pass clte_http10
}

# Through an NTLM parent that passes the origin's two fields on as they
# are: the same for both kinds of client.
t_clte_parent() {
	par_ntlm par_clte --accept NTLMv2 || return
	_pp=$PARENT
	par_proxy px_clte "$PAR_PW" --num-workers 1 --proxy "127.0.0.1:$_pp" \
	    --username "$PAR_DOM\\$PAR_USER" --auth NTLMv2 || {
		par_stop_all
		return
	}
	clte_get "?cl=100"
	clte_check "/clte via the NTLM parent"
	par_stats "$_pp"
	if [ -n "$CLTE_BAD" ]; then
		fail clte_parent "$CLTE_BAD"
		evidence "$T/raw" 12
		par_evidence par_clte
	elif [ "$PS_connections" != 2 ] || [ "$PS_failures" != 0 ]; then
		fail clte_parent "the parent saw $(par_summary); want connections=2 (the one that answered with both fields is not reused) failures=0"
		par_evidence par_clte
	else
		raw --send "GET $OURL/clte HTTP/1.0\r\n\r\n" --timeout 10
		if [ "$(resp 1 sha)" != "$HELLO_SHA" ] ||
		    [ -n "$(rhdr 1 content-length)" ]; then
			fail clte_parent "HTTP/1.0 client via the parent: want 'hello' and no Content-Length"
			evidence "$T/raw" 10
		else
			pass clte_parent
		fi
	fi
	par_stop_all
}

# Transfer-codings besides chunked are data the proxy does not decode: an
# HTTP/1.1 client is told them, an HTTP/1.0 client cannot be (502).
t_te_coded_response() {
	needs_shared || return
	_bad=
	clte_get "?te=gzip,chunked"
	if [ "$(rhdr 1 transfer-encoding)" != "gzip,chunked" ] ||
	    [ -n "$(rhdr 1 content-length)" ]; then
		_bad="TE gzip,chunked: the client got Transfer-Encoding: '$(rhdr 1 transfer-encoding)' Content-Length: '$(rhdr 1 content-length)', want 'gzip,chunked' and none"
	elif [ "$(resp 1 sha)" != "$(rhdr 1 x-coded-sha256)" ] ||
	    [ "$(resp 2 sha)" != "$(sha_pat 10)" ]; then
		_bad="TE gzip,chunked: the gzip bytes or the next response on the connection are wrong"
	fi
	if [ -z "$_bad" ]; then
		raw --send "GET $OURL/clte?te=gzip HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\n\r\n" \
		    --timeout 10
		if [ "$(rhdr 1 transfer-encoding)" != gzip ] ||
		    [ -n "$(rhdr 1 content-length)" ] ||
		    [ "$(resp 1 framing)" != close ] ||
		    [ "$(resp 1 sha)" != "$(rhdr 1 x-coded-sha256)" ]; then
			_bad="TE gzip (ends with the close): want Transfer-Encoding: gzip, no Content-Length, the gzip bytes until the close"
		fi
	fi
	if [ -z "$_bad" ]; then
		raw --send "GET $OURL/clte?te=gzip,chunked HTTP/1.0\r\n\r\n" \
		    --timeout 10 --save "$T/raw"
		if [ "$(resp 1 status)" != 502 ] ||
		    ! grep -q 'HTTP/1.0' "$T/raw.1"; then
			_bad="TE gzip,chunked to an HTTP/1.0 client: status '$(resp 1 status)', want 502 that says why"
		fi
	fi
	if [ -n "$_bad" ]; then
		fail te_coded_response "$_bad"
		evidence "$T/raw" 12
	else
		pass te_coded_response
	fi
}

# A request's codings reach the origin as the client sent them; its body
# arrives whole.
t_te_coded_request() {
	needs_shared || return
	raw --send "POST $OURL/echo HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n" \
	    --count 1 --save "$T/raw"
	if [ "$(resp 1 status)" != 200 ] ||
	    [ "$(rhdr 1 x-body-length)" != 5 ]; then
		fail te_coded_request "status '$(resp 1 status)', origin read '$(rhdr 1 x-body-length)' body bytes (want 200, 5)"
		evidence "$T/raw" 10
	elif ! grep -qi '^Transfer-Encoding: gzip, chunked' "$T/raw.1" ||
	    grep -qi '^Content-Length' "$T/raw.1"; then
		fail te_coded_request "the origin did not get 'Transfer-Encoding: gzip, chunked' (and no Content-Length): the gzip coding was lost"
		evidence "$T/raw.1" 10
	else
		pass te_coded_request
	fi
}

# bad_rule CASE RULE ARGS...: bad_request, and the answer names RULE
bad_rule() {
	BAD_RULE=$2
	_bc=$1
	shift 2
	bad_request "$_bc" 400 "$@"
	BAD_RULE=
}

t_bad_te_not_chunked() {
	bad_rule bad_te_not_chunked "chunked must be the final" \
	    --send "POST $OURL/sink HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nTransfer-Encoding: gzip\r\n\r\nhello"
}

t_bad_te_two_cl() {
	bad_rule bad_te_two_cl "RFC 9112 6.3" \
	    --send "POST $OURL/sink HTTP/1.1\r\nHost: 127.0.0.1:$O4\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n0\r\n\r\n"
}

t_bad_te_http10() {
	bad_rule bad_te_http10 "HTTP/1.0" \
	    --send "POST $OURL/sink HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
}
