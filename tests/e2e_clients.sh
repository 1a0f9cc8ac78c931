# Real client programs through ./proxy, as users run them: wget, git,
# apt, Python's requests and aiohttp, and headless Chromium, each
# against nginx on loopback (a server of its own here, cli_nginx: plain
# and TLS, redirects, git's smart protocol through fcgiwrap, a flat apt
# repository) and tests/origin.py. HTTPS goes through CONNECT to nginx
# with a certificate from the test CA of e2e_tls.sh (tlsu_certs; the
# proxy needs no TLS of its own for that). Sourced by tests.sh; every
# case is bounded by timeout and skips, saying why, when its client is
# not installed (tests/deps.sh installs them as root).

CASES="${CASES:-} cli_wget cli_wget_https cli_git_dumb cli_git_smart
cli_git_https cli_apt cli_apt_pipeline cli_requests cli_aiohttp
cli_chromium cli_chromium_pac cli_chromium_https"

# --------------------------------------------------------------- nginx

# The files cli_nginx serves, under $T/cli_www:
#   cli/small.txt   a line with a token (CLI_TOKEN)
#   cli/big.bin     8 MiB of random bytes
#   cli/moved       a 302 to cli/small.txt (an nginx rule, no file)
#   git/repo.git    a bare repository (packed, then a loose commit),
#                   ready for dumb HTTP (update-server-info); the same
#                   repository as smart/repo.git through git-http-backend
#   apt/            a flat apt repository (cli_apt_repo makes it)
#   chr/            Chromium's page and its subresources (cli_chr_page)
CLI_STATE=
CLI_NOTE=
CN=
CNS=
CLI_SMART=0
CLI_SMART_NOTE=

# cli_nginx CASE: starts the clients' nginx once (it stays up until the
# suite's end, stopped by pid with the other helpers); sets CN (plain
# port), CNS (TLS port, empty without openssl) and CLI_SMART. Skips
# CASE and returns 1 when nginx cannot run here.
cli_nginx() {
	[ "$CLI_STATE" = up ] && return 0
	if [ "$CLI_STATE" = failed ] || [ -z "$NG" ]; then
		[ -z "$NG" ] && CLI_NOTE=$NGINX_NOTE
		CLI_STATE=failed
		skip "$1" "$CLI_NOTE"
		return 1
	fi
	mkdir -p "$T/cli_www/cli" "$T/cli_www/git" "$T/cli_www/apt" \
	    "$T/cli_www/chr"
	CLI_TOKEN="proxy-test-cli-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
	echo "$CLI_TOKEN" >"$T/cli_www/cli/small.txt"
	head -c 8388608 /dev/urandom >"$T/cli_www/cli/big.bin"
	# TLS on a second port, when openssl can make the test CA: a
	# certificate for localhost and www.some.test (Chromium's name)
	_tls=
	CNS=
	if tlsu_certs; then
		printf 'subjectAltName=DNS:localhost,DNS:www.some.test\n' \
		    >"$T/cli_tls.ext"
		if openssl x509 -req -in "$T/tlsu.csr" -CA "$T/tlsu_ca.pem" \
		    -CAkey "$T/tlsu_ca.key" -CAcreateserial -days 2 \
		    -extfile "$T/cli_tls.ext" -out "$T/cli_tls.pem" \
		    >"$T/cli_tls_ossl.log" 2>&1; then
			CNS=$(freeport)
			_tls="listen 127.0.0.1:$CNS ssl;
		ssl_certificate $T/cli_tls.pem;
		ssl_certificate_key $T/tlsu.key;"
		else
			TLS_SKIP="openssl x509 -req: $(tail -n 1 "$T/cli_tls_ossl.log")"
		fi
	fi
	cli_fcgiwrap
	_smart=
	if [ $CLI_SMART = 1 ]; then
		_smart="location ~ ^/smart(/.*)\$ {
			fastcgi_pass unix:$T/cli_fcgi.sock;
			fastcgi_param SCRIPT_FILENAME $CLI_BACKEND;
			fastcgi_param GIT_PROJECT_ROOT $T/cli_www/git;
			fastcgi_param GIT_HTTP_EXPORT_ALL 1;
			fastcgi_param GIT_CONFIG_NOSYSTEM 1;
			fastcgi_param HOME $T/cli_home;
			fastcgi_param GIT_PROTOCOL \$http_git_protocol;
			fastcgi_param PATH_INFO \$1;
			fastcgi_param QUERY_STRING \$query_string;
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param CONTENT_TYPE \$content_type;
			fastcgi_param CONTENT_LENGTH \$content_length;
			fastcgi_param REMOTE_ADDR \$remote_addr;
			fastcgi_param SERVER_PROTOCOL \$server_protocol;
		}"
	fi
	CN=$(freeport)
	cat >"$T/cli_nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $T/cli_nginx.pid;
error_log $T/cli_nginx-error.log;
events { worker_connections 512; }
http {
	log_format t '\$connection \$connection_requests "\$request" \$status \$body_bytes_sent "\$http_range" \$server_port';
	access_log $T/cli_nginx-access.log t;
	client_body_temp_path $T/nginx-tmp;
	fastcgi_temp_path $T/nginx-tmp;
	client_max_body_size 64m;
	keepalive_requests 10000;
	# as most web servers: pages, styles and scripts gzipped, and so
	# chunked (their length is not known before); "any": whatever Via says
	gzip on;
	gzip_min_length 1;
	gzip_proxied any;
	gzip_types text/css text/javascript;
	types {
		text/html html;
		text/css css;
		text/javascript js;
		image/png png;
		text/plain txt;
		application/vnd.debian.binary-package deb;
		application/octet-stream bin;
	}
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:$CN;
		$_tls
		root $T/cli_www;
		location = /cli/moved { return 302 /cli/small.txt; }
		# the apt repository again, from a server that closes each
		# connection after its second request, as busy mirrors do
		location /apt-close/ {
			alias $T/cli_www/apt/;
			keepalive_requests 2;
		}
		$_smart
	}
}
EOF
	bg cli_nginx "$NGINX" -p "$T" -e "$T/cli_nginx-error.log" \
	    -c "$T/cli_nginx.conf"
	if ! waitport 127.0.0.1 "$CN" 10 ||
	    { [ -n "$CNS" ] && ! waitport 127.0.0.1 "$CNS" 10; }; then
		CLI_NOTE="the clients' nginx did not start: $(tail -n 2 "$T/cli_nginx.err" "$T/cli_nginx-error.log" 2>/dev/null | tr '\n' ' ')"
		CLI_STATE=failed
		kill_bg "$BGPID"
		fail "$1" "$CLI_NOTE"
		return 1
	fi
	CLI_STATE=up
	return 0
}

# cli_fcgiwrap: fcgiwrap on a unix socket, for git-http-backend; sets
# CLI_SMART=1, or CLI_SMART_NOTE saying what is missing
cli_fcgiwrap() {
	CLI_SMART=0
	CLI_BACKEND=
	for _b in "$(git --exec-path 2>/dev/null)/git-http-backend" \
	    /usr/lib/git-core/git-http-backend; do
		[ -x "$_b" ] && CLI_BACKEND=$_b && break
	done
	_fw=$(command -v fcgiwrap 2>/dev/null || echo /usr/sbin/fcgiwrap)
	if [ -z "$CLI_BACKEND" ]; then
		CLI_SMART_NOTE="git-http-backend is not installed (Debian package git)"
		return
	fi
	if [ ! -x "$_fw" ]; then
		CLI_SMART_NOTE="fcgiwrap is not installed (Debian package fcgiwrap)"
		return
	fi
	bg cli_fcgiwrap "$_fw" -c 2 -s "unix:$T/cli_fcgi.sock"
	_n=0
	while [ ! -S "$T/cli_fcgi.sock" ] && [ $_n -lt 200 ] && alive "$BGPID"
	do
		sleep 0.05
		_n=$((_n + 1))
	done
	if [ ! -S "$T/cli_fcgi.sock" ]; then
		CLI_SMART_NOTE="fcgiwrap did not make its socket: $(tail -n 2 "$T/cli_fcgiwrap.err" | tr '\n' ' ')"
		kill_bg "$BGPID"
		return
	fi
	CLI_SMART=1
}

# cli_mark: remembers where the current proxy's log ends now, so
# cli_access sees only this case's lines
cli_mark() {
	CLI_FROM=$(log_size "$LOG")
}

# cli_access PATTERN: the access lines since cli_mark matching the
# extended regular expression PATTERN (after "access PEER ")
cli_access() {
	log_since "$LOG" "$CLI_FROM" | grep ' access ' |
	    sed 's/.* access [^ ]* //' | grep -E "$1"
}

# cli_has WHAT PATTERN: fails the case (returns 1) naming WHAT when no
# access line since cli_mark matches PATTERN
cli_has() {
	cli_access "$2" >/dev/null && return 0
	fail "$CASE" "$1: no access line like '$2' in the proxy's log; it has: $(log_since "$LOG" "$CLI_FROM" | grep ' access ' | sed 's/.* access [^ ]* //' | tail -n 6 | tr '\n' ';' | cut -c1-600)"
	return 1
}

# cli_same CASE WHAT FILE1 FILE2: fails CASE unless the files are equal
cli_same() {
	cmp -s "$3" "$4" && return 0
	fail "$1" "$2: $(wc -c <"$3" 2>/dev/null || echo no) bytes, sha256 $(sha256sum "$3" 2>/dev/null | cut -c1-16), want $(wc -c <"$4") bytes, sha256 $(sha256sum "$4" | cut -c1-16)"
	return 1
}

# ---------------------------------------------------------------- wget

# cli_wget_run NAME ARGS...: wget (no wgetrc, one try, 60 s at most) with
# ARGS; its messages in $T/NAME.wget, its exit status in WGET_RC
cli_wget_run() {
	_wn=$1
	shift
	timeout 60 wget --no-config --tries=1 --timeout=20 -nv "$@" \
	    >"$T/$_wn.wget" 2>&1 </dev/null
	WGET_RC=$?
}

# wget through the shared proxy: a GET with http_proxy in the
# environment; an 8 MiB file with -e use_proxy=on -e http_proxy=...; a
# 404 (wget's exit status 8); a 302 it follows; --continue of a partial
# file (a Range request, 206)
t_cli_wget() {
	if ! have wget; then
		skip cli_wget "wget is not installed (Debian package wget)"
		return
	fi
	cli_nginx cli_wget || return
	needs_shared || return
	cli_mark
	_u=http://127.0.0.1:$CN/cli
	_d=$T/cli_wget
	rm -rf "$_d"
	mkdir -p "$_d"
	cli_wget_run cli_wget_env -O "$_d/small.txt" "$_u/small.txt" \
	    -e use_proxy=on -e "http_proxy=$PROXY_URL"
	# (the environment's http_proxy alone, as most users set it)
	env http_proxy="$PROXY_URL" timeout 60 wget --no-config --tries=1 \
	    --timeout=20 -nv -O "$_d/small2.txt" "$_u/small.txt" \
	    >"$T/cli_wget_env2.wget" 2>&1 </dev/null
	_rc2=$?
	if [ $WGET_RC != 0 ] || [ $_rc2 != 0 ] ||
	    ! grep -qx "$CLI_TOKEN" "$_d/small.txt" ||
	    ! grep -qx "$CLI_TOKEN" "$_d/small2.txt"; then
		fail cli_wget "GET small.txt: wget exited $WGET_RC (-e http_proxy) and $_rc2 (env http_proxy)"
		evidence "$T/cli_wget_env.wget" 4
		evidence "$T/cli_wget_env2.wget" 4
		return
	fi
	if [ "$(cli_access "^GET 127.0.0.1:$CN /cli/small.txt 200 " | wc -l)" -lt 2 ]; then
		fail cli_wget "the two GETs of small.txt are not both in the proxy's access log: $(cli_access . | tail -n 3 | tr '\n' ';')"
		return
	fi
	cli_wget_run cli_wget_big -e use_proxy=on -e "http_proxy=$PROXY_URL" \
	    -O "$_d/big.bin" "$_u/big.bin"
	if [ $WGET_RC != 0 ]; then
		fail cli_wget "GET big.bin: wget exited $WGET_RC"
		evidence "$T/cli_wget_big.wget" 4
		return
	fi
	cli_same cli_wget "big.bin through the proxy" "$_d/big.bin" \
	    "$T/cli_www/cli/big.bin" || return
	cli_wget_run cli_wget_404 -e use_proxy=on -e "http_proxy=$PROXY_URL" \
	    -O "$_d/none" "$_u/no-such-file"
	if [ $WGET_RC != 8 ] || ! grep -q '404' "$T/cli_wget_404.wget"; then
		fail cli_wget "GET of a missing file: wget exited $WGET_RC (want 8, the server's error response) saying '$(tail -n 2 "$T/cli_wget_404.wget" | tr '\n' ' ')'"
		return
	fi
	cli_has "the 404" "^GET 127.0.0.1:$CN /cli/no-such-file 404 " || return
	cli_wget_run cli_wget_302 -e use_proxy=on -e "http_proxy=$PROXY_URL" \
	    -O "$_d/moved" "$_u/moved"
	if [ $WGET_RC != 0 ] || ! grep -qx "$CLI_TOKEN" "$_d/moved"; then
		fail cli_wget "GET of a 302 to small.txt: wget exited $WGET_RC, got '$(head -c 100 "$_d/moved")'"
		evidence "$T/cli_wget_302.wget" 4
		return
	fi
	cli_has "the 302" "^GET 127.0.0.1:$CN /cli/moved 302 " || return
	# --continue: wget asks for the rest (Range: bytes=3000000-) and
	# appends the 206's body
	mkdir -p "$_d/cont"
	head -c 3000000 "$T/cli_www/cli/big.bin" >"$_d/cont/big.bin"
	cli_wget_run cli_wget_cont -e use_proxy=on -e "http_proxy=$PROXY_URL" \
	    --continue -P "$_d/cont" "$_u/big.bin"
	if [ $WGET_RC != 0 ]; then
		fail cli_wget "wget --continue exited $WGET_RC"
		evidence "$T/cli_wget_cont.wget" 4
		return
	fi
	cli_same cli_wget "big.bin resumed by wget --continue" \
	    "$_d/cont/big.bin" "$T/cli_www/cli/big.bin" || return
	cli_has "the resumed GET" \
	    "^GET 127.0.0.1:$CN /cli/big.bin 206 " || return
	if ! grep -q '"GET /cli/big.bin HTTP/1.1" 206 5388608 "bytes=3000000-"' \
	    "$T/cli_nginx-access.log"; then
		fail cli_wget "nginx did not see the Range request: $(grep big.bin "$T/cli_nginx-access.log" | tail -n 2 | tr '\n' ';')"
		return
	fi
	pass cli_wget
}

# wget to nginx over TLS through CONNECT, trusting the test CA
# (--ca-certificate): the 8 MiB file whole, and the proxy logged the
# tunnel
t_cli_wget_https() {
	if ! have wget; then
		skip cli_wget_https "wget is not installed (Debian package wget)"
		return
	fi
	cli_nginx cli_wget_https || return
	if [ -z "$CNS" ]; then
		skip cli_wget_https "no TLS server: $TLS_SKIP"
		return
	fi
	needs_shared || return
	cli_mark
	rm -f "$T/cli_wget_s.bin"
	cli_wget_run cli_wget_s -e use_proxy=on -e "https_proxy=$PROXY_URL" \
	    --ca-certificate="$T/tlsu_ca.pem" -O "$T/cli_wget_s.bin" \
	    "https://localhost:$CNS/cli/big.bin"
	if [ $WGET_RC != 0 ]; then
		fail cli_wget_https "wget https://localhost:$CNS/cli/big.bin through the proxy exited $WGET_RC"
		evidence "$T/cli_wget_s.wget" 4
		return
	fi
	cli_same cli_wget_https "big.bin over TLS through CONNECT" \
	    "$T/cli_wget_s.bin" "$T/cli_www/cli/big.bin" || return
	cli_has "the CONNECT" "^CONNECT localhost:$CNS " || return
	pass cli_wget_https
}

# ----------------------------------------------------------------- git

# cli_git ARGS: git with no user or system configuration (HOME in $T),
# never prompting, 120 s at most
cli_git() {
	env HOME="$T/cli_home" GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 \
	    timeout 120 git -c user.name=proxy-test \
	    -c user.email=proxy-test@example.invalid -c init.defaultBranch=main \
	    -c protocol.version=2 "$@" </dev/null
}

# cli_git_repo: once, a source work tree $T/cli_git_src (text, binary
# files and a subdirectory over four commits) and its bare copy
# $T/cli_www/git/repo.git: the first three commits packed, the fourth
# pushed as loose objects, then update-server-info for dumb HTTP.
# Returns 1 with CLI_GIT_ERR set when git fails.
cli_git_repo() {
	[ -f "$T/cli_www/git/repo.git/info/refs" ] && return 0
	_s=$T/cli_git_src
	mkdir -p "$T/cli_home"
	rm -rf "$_s" "$T/cli_www/git/repo.git"
	{
		cli_git init -q "$_s" &&
		mkdir -p "$_s/bin" "$_s/sub/dir" &&
		echo "$CLI_TOKEN" >"$_s/README" &&
		head -c 200000 /dev/urandom >"$_s/bin/data.bin" &&
		echo one >"$_s/sub/dir/file.txt" &&
		cli_git -C "$_s" add -A && cli_git -C "$_s" commit -q -m one &&
		seq 1 20000 >"$_s/sub/numbers.txt" &&
		echo two >>"$_s/sub/dir/file.txt" &&
		cli_git -C "$_s" add -A && cli_git -C "$_s" commit -q -m two &&
		head -c 100000 /dev/urandom >>"$_s/bin/data.bin" &&
		cli_git -C "$_s" commit -q -a -m three &&
		cli_git clone -q --bare "$_s" "$T/cli_www/git/repo.git" &&
		cli_git -C "$T/cli_www/git/repo.git" repack -q -a -d &&
		head -c 300000 /dev/urandom >"$_s/bin/more.bin" &&
		cli_git -C "$_s" add -A && cli_git -C "$_s" commit -q -m four &&
		cli_git -C "$_s" push -q "$T/cli_www/git/repo.git" main &&
		cli_git -C "$T/cli_www/git/repo.git" update-server-info
	} >"$T/cli_git_repo.log" 2>&1 && return 0
	CLI_GIT_ERR="making the test repository: $(tail -n 2 "$T/cli_git_repo.log" | tr '\n' ' ')"
	rm -rf "$T/cli_www/git/repo.git"
	return 1
}

# cli_git_ready CASE: git, nginx and the repository, or a skip (or a
# failure when git cannot make the repository)
cli_git_ready() {
	if ! have git; then
		skip "$1" "git is not installed (Debian package git)"
		return 1
	fi
	cli_nginx "$1" || return 1
	if ! cli_git_repo; then
		fail "$1" "$CLI_GIT_ERR"
		return 1
	fi
	return 0
}

# cli_git_clone CASE URL [env...]: git clone URL through the shared
# proxy (http.proxy) into $T/CASE.clone; checks the clone is the source:
# the same HEAD, every object sound (fsck) and the same files
cli_git_clone() {
	_gc=$1
	_gu=$2
	shift 2
	rm -rf "$T/$_gc.clone"
	env "$@" HOME="$T/cli_home" GIT_CONFIG_NOSYSTEM=1 \
	    GIT_TERMINAL_PROMPT=0 timeout 120 git -c "http.proxy=$PROXY_URL" \
	    -c protocol.version=2 clone -q "$_gu" "$T/$_gc.clone" \
	    >"$T/$_gc.git" 2>&1 </dev/null
	_grc=$?
	if [ $_grc != 0 ]; then
		fail "$_gc" "git clone $_gu through the proxy exited $_grc"
		evidence "$T/$_gc.git" 6
		return 1
	fi
	_want=$(cli_git -C "$T/cli_git_src" rev-parse HEAD)
	_got=$(cli_git -C "$T/$_gc.clone" rev-parse HEAD 2>&1)
	if [ "$_got" != "$_want" ]; then
		fail "$_gc" "the clone's HEAD is '$_got', the source's $_want"
		return 1
	fi
	if ! cli_git -C "$T/$_gc.clone" fsck --full --strict \
	    >"$T/$_gc.fsck" 2>&1; then
		fail "$_gc" "git fsck of the clone failed"
		evidence "$T/$_gc.fsck" 4
		return 1
	fi
	if ! diff -r -x .git "$T/cli_git_src" "$T/$_gc.clone" \
	    >"$T/$_gc.diff" 2>&1; then
		fail "$_gc" "the cloned tree differs from the source"
		evidence "$T/$_gc.diff" 4
		return 1
	fi
	return 0
}

# git clone over "dumb" HTTP (nginx serving the bare repository's
# files: info/refs, a pack and loose objects) through the proxy
t_cli_git_dumb() {
	cli_git_ready cli_git_dumb || return
	needs_shared || return
	cli_mark
	cli_git_clone cli_git_dumb "http://127.0.0.1:$CN/git/repo.git" || return
	cli_has "the refs" "^GET 127.0.0.1:$CN /git/repo.git/info/refs[? ].* 200 " ||
	    return
	cli_has "the pack" \
	    "^GET 127.0.0.1:$CN /git/repo.git/objects/pack/pack-[0-9a-f]+\\.pack 200 " ||
	    return
	cli_has "a loose object" \
	    "^GET 127.0.0.1:$CN /git/repo.git/objects/[0-9a-f]{2}/[0-9a-f]{38} 200 " ||
	    return
	pass cli_git_dumb
}

# git clone over the smart protocol (version 2: POSTs to
# git-upload-pack; git-http-backend behind nginx through fcgiwrap), then
# a push of a 3 MB commit (its pack goes chunked) through the proxy
t_cli_git_smart() {
	cli_git_ready cli_git_smart || return
	if [ $CLI_SMART != 1 ]; then
		skip cli_git_smart "$CLI_SMART_NOTE"
		return
	fi
	needs_shared || return
	cli_mark
	cli_git_clone cli_git_smart "http://127.0.0.1:$CN/smart/repo.git" ||
	    return
	cli_has "the advertisement" \
	    "^GET 127.0.0.1:$CN /smart/repo.git/info/refs\\?service=git-upload-pack 200 " ||
	    return
	if [ "$(cli_access "^POST 127.0.0.1:$CN /smart/repo.git/git-upload-pack 200 " | wc -l)" -lt 2 ]; then
		fail cli_git_smart "want two or more 'POST .../git-upload-pack 200' (ls-refs, fetch) in the access log: $(cli_access . | tail -n 4 | tr '\n' ';')"
		return
	fi
	cli_git_push || return
	pass cli_git_smart
}

# cli_git_push: from the smart clone, a commit of 3 MB of random bytes
# pushed through the proxy to a copy of the repository that accepts
# pushes (http.receivepack): a pack over git's 1 MiB http.postBuffer, so
# git sends it chunked. The copy then has the commit, whole (fsck).
cli_git_push() {
	_pr=$T/cli_www/git/push.git
	rm -rf "$_pr"
	cp -R "$T/cli_www/git/repo.git" "$_pr" &&
	    cli_git -C "$_pr" config http.receivepack true || {
		fail cli_git_smart "cannot copy the repository for the push"
		return 1
	}
	_pc=$T/cli_git_smart.clone
	head -c 3000000 /dev/urandom >"$_pc/pushed.bin"
	cli_git -C "$_pc" add pushed.bin >/dev/null 2>&1 &&
	    cli_git -C "$_pc" commit -q -m pushed >/dev/null 2>&1
	_want=$(cli_git -C "$_pc" rev-parse HEAD)
	cli_git -C "$_pc" -c "http.proxy=$PROXY_URL" push -q \
	    "http://127.0.0.1:$CN/smart/push.git" HEAD:main \
	    >"$T/cli_git_push.git" 2>&1
	_grc=$?
	if [ $_grc != 0 ]; then
		fail cli_git_smart "git push of 3 MB through the proxy exited $_grc"
		evidence "$T/cli_git_push.git" 6
		return 1
	fi
	_got=$(cli_git -C "$_pr" rev-parse main 2>&1)
	if [ "$_got" != "$_want" ] ||
	    ! cli_git -C "$_pr" fsck --full --strict >"$T/cli_git_push.fsck" 2>&1
	then
		fail cli_git_smart "after the push the repository's main is '$_got', want $_want (or its fsck failed)"
		evidence "$T/cli_git_push.fsck" 4
		return 1
	fi
	cli_has "the pushed pack" \
	    "^POST 127.0.0.1:$CN /smart/push.git/git-receive-pack 200 " ||
	    return 1
	return 0
}

# git clone over HTTPS through CONNECT (GIT_SSL_CAINFO: the test CA);
# the smart protocol when fcgiwrap is there, else dumb
t_cli_git_https() {
	cli_git_ready cli_git_https || return
	if [ -z "$CNS" ]; then
		skip cli_git_https "no TLS server: $TLS_SKIP"
		return
	fi
	needs_shared || return
	cli_mark
	_gp=git
	[ $CLI_SMART = 1 ] && _gp=smart
	cli_git_clone cli_git_https "https://localhost:$CNS/$_gp/repo.git" \
	    GIT_SSL_CAINFO="$T/tlsu_ca.pem" || return
	cli_has "the CONNECT" "^CONNECT localhost:$CNS " || return
	pass cli_git_https
}


# ----------------------------------------------------------------- apt

# cli_apt_repo: once, a flat apt repository in $T/cli_www/apt: four
# small packages proxy-test-{a,b,c,d} (300 kB of random data each, made
# with dpkg-deb), Packages and Packages.gz (dpkg-scanpackages, or
# apt-ftparchive), and an unsigned Release listing them. Returns 1 with
# CLI_APT_ERR set when it cannot.
cli_apt_repo() {
	_ar=$T/cli_www/apt
	[ -f "$_ar/Release" ] && return 0
	if ! have dpkg-deb; then
		CLI_APT_ERR="dpkg-deb is not installed (Debian package dpkg)"
		return 1
	fi
	if have dpkg-scanpackages; then
		_scan="dpkg-scanpackages -m . /dev/null"
	elif have apt-ftparchive; then
		_scan="apt-ftparchive packages ."
	else
		CLI_APT_ERR="neither dpkg-scanpackages (Debian package dpkg-dev) nor apt-ftparchive (apt-utils) is installed"
		return 1
	fi
	for _an in a b c d; do
		_ad=$T/cli_debs/proxy-test-$_an
		rm -rf "$_ad"
		mkdir -p "$_ad/DEBIAN" "$_ad/usr/share/proxy-test-$_an"
		head -c 300000 /dev/urandom >"$_ad/usr/share/proxy-test-$_an/data"
		printf '%s\n' "Package: proxy-test-$_an" "Version: 1.0" \
		    "Architecture: all" \
		    "Maintainer: proxy tests <proxy-test@example.invalid>" \
		    "Description: a package for the proxy's apt test" \
		    >"$_ad/DEBIAN/control"
		if ! dpkg-deb --root-owner-group -Zgzip -b "$_ad" \
		    "$_ar/proxy-test-${_an}_1.0_all.deb" \
		    >"$T/cli_dpkg.log" 2>&1; then
			CLI_APT_ERR="dpkg-deb -b: $(tail -n 2 "$T/cli_dpkg.log" | tr '\n' ' ')"
			return 1
		fi
	done
	if ! (cd "$_ar" && $_scan >Packages 2>"$T/cli_scan.log" &&
	    gzip -9 -k -f Packages) || ! grep -q '^Package: proxy-test-d' "$_ar/Packages"
	then
		CLI_APT_ERR="$_scan: $(tail -n 2 "$T/cli_scan.log" | tr '\n' ' ')"
		return 1
	fi
	{
		echo "Origin: proxy-test"
		echo "Label: proxy-test"
		echo "Suite: proxy-test"
		echo "Codename: proxy-test"
		echo "Date: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')"
		echo "SHA256:"
		for _af in Packages Packages.gz; do
			echo " $(sha_file "$_ar/$_af") $(wc -c <"$_ar/$_af") $_af"
		done
	} >"$_ar/Release.new" && mv "$_ar/Release.new" "$_ar/Release"
}

# cli_apt_conf NAME [DIR]: a throwaway apt configuration in $T/NAME (for
# APT_CONFIG): its own sources list (the flat repository at /DIR/,
# default apt, trusted=yes),
# state, cache, log and an empty parts directory, so neither the host's
# configuration nor its package lists are read or touched
cli_apt_conf() {
	_ac=$T/$1
	rm -rf "$_ac"
	mkdir -p "$_ac/empty" "$_ac/state/lists/partial" \
	    "$_ac/cache/archives/partial" "$_ac/log" "$_ac/dl"
	: >"$_ac/status"
	echo "deb [trusted=yes] http://127.0.0.1:$CN/${2:-apt}/ ./" \
	    >"$_ac/sources.list"
	cat >"$_ac/apt.conf" <<EOF
Dir::Etc::main "/dev/null";
Dir::Etc::Parts "$_ac/empty";
Dir::Etc::SourceList "$_ac/sources.list";
Dir::Etc::SourceParts "$_ac/empty";
Dir::Etc::Preferences "$_ac/empty/preferences";
Dir::Etc::PreferencesParts "$_ac/empty";
Dir::Etc::Trusted "$_ac/empty/trusted.gpg";
Dir::Etc::TrustedParts "$_ac/empty";
Dir::State "$_ac/state";
Dir::State::status "$_ac/status";
Dir::Cache "$_ac/cache";
Dir::Log "$_ac/log";
APT::Sandbox::User "root";
Acquire::Languages "none";
Acquire::Retries "0";
Acquire::http::Timeout "20";
Debug::pkgAcquire "false";
EOF
}

# cli_apt_get NAME ARGS: apt-get with the configuration of cli_apt_conf,
# through the current proxy (-o Acquire::http::Proxy), in $T/NAME/dl, 120
# s at most; its output added to $T/NAME.apt, its status in APT_RC
cli_apt_get() {
	_an=$1
	shift
	(cd "$T/$_an/dl" && APT_CONFIG="$T/$_an/apt.conf" timeout 120 \
	    apt-get -o "Acquire::http::Proxy=$PROXY_URL" "$@" </dev/null) \
	    >>"$T/$_an.apt" 2>&1
	APT_RC=$?
}

# cli_apt_ready CASE: apt-get, nginx and the repository, or a skip
cli_apt_ready() {
	if ! have apt-get; then
		skip "$1" "apt-get is not installed (Debian package apt)"
		return 1
	fi
	cli_nginx "$1" || return 1
	if ! cli_apt_repo; then
		skip "$1" "$CLI_APT_ERR"
		return 1
	fi
	return 0
}

# cli_apt_update CASE: apt-get update through the shared proxy, which
# must fetch the Release and Packages files
cli_apt_update() {
	cli_apt_conf "$1" "${2:-apt}"
	: >"$T/$1.apt"
	cli_apt_get "$1" update
	if [ $APT_RC != 0 ] || grep -q '^[EW]: ' "$T/$1.apt"; then
		fail "$1" "apt-get update through the proxy exited $APT_RC"
		evidence "$T/$1.apt" 6
		return 1
	fi
	cli_has "the Release file" \
	    "^GET 127.0.0.1:$CN /${2:-apt}/(\\./)?Release 200 " &&
	    cli_has "the Packages file" \
	    "^GET 127.0.0.1:$CN /${2:-apt}/(\\./)?Packages(\\.gz)? 200 "
}

# apt-get update, then apt-get download of one package, through the
# proxy: the .deb arrives whole (apt checks its SHA256 from Packages;
# we compare the bytes too); a second update gets 304s
t_cli_apt() {
	cli_apt_ready cli_apt || return
	needs_shared || return
	cli_mark
	cli_apt_update cli_apt || return
	cli_apt_get cli_apt download proxy-test-a
	_deb=proxy-test-a_1.0_all.deb
	if [ $APT_RC != 0 ]; then
		fail cli_apt "apt-get download proxy-test-a exited $APT_RC"
		evidence "$T/cli_apt.apt" 6
		return
	fi
	cli_same cli_apt "the downloaded $_deb" "$T/cli_apt/dl/$_deb" \
	    "$T/cli_www/apt/$_deb" || return
	cli_has "the .deb" "^GET 127.0.0.1:$CN /apt/(\\./)?$_deb 200 " || return
	# again: apt asks If-Modified-Since, nginx answers 304 (no body),
	# and apt keeps its lists ("Hit")
	cli_mark
	cli_apt_get cli_apt update
	if [ $APT_RC != 0 ] || ! grep -q '^Hit:.* Release' "$T/cli_apt.apt"; then
		fail cli_apt "a second apt-get update exited $APT_RC without a 'Hit: ... Release'"
		evidence "$T/cli_apt.apt" 4
		return
	fi
	cli_has "the second update's 304" \
	    "^GET 127.0.0.1:$CN /apt/(\\./)?Release 304 " || return
	pass cli_apt
}

# cli_apt_pipe DIR: in a new apt configuration for /DIR/, apt-get update
# and then one apt-get download of four packages with pipelining on,
# through the shared proxy; checks what t_cli_apt_pipeline says
cli_apt_pipe() {
	_ap=cli_apt_pipeline
	cli_mark
	cli_apt_update $_ap "$1" || return 1
	cli_apt_get $_ap -o Acquire::http::Pipeline-Depth=4 \
	    -o Debug::Acquire::http=true \
	    download proxy-test-a proxy-test-b proxy-test-c proxy-test-d
	if [ $APT_RC != 0 ]; then
		fail $_ap "/$1/: apt-get download of four packages exited $APT_RC"
		grep -v '^ \|^[A-Z][-A-Za-z]*: ' "$T/$_ap.apt" |
		    tail -n 6 | sed 's/^/    | /'
		return 1
	fi
	for _an in a b c d; do
		_deb=proxy-test-${_an}_1.0_all.deb
		cli_same $_ap "/$1/: the downloaded $_deb" \
		    "$T/$_ap/dl/$_deb" "$T/cli_www/apt/$_deb" || return 1
		cli_has "/$1/: $_deb" "^GET 127.0.0.1:$CN /$1/(\\./)?$_deb 200 " ||
		    return 1
	done
	# apt's debug log: the "GET ..." lines it wrote, and the answers
	# it read ("Answer for: ..."): pipelining had two or more requests
	# written and not yet answered (apt sends the first alone, to
	# learn that the server keeps connections alive)
	_most=$(awk '/^GET .*\.deb HTTP\/1\.1\r?$/ { if (++n > most) most = n }
	    /^Answer for: .*\.deb$/ { n-- } END { print most + 0 }' \
	    "$T/$_ap.apt")
	if [ "$_most" -lt 2 ]; then
		fail $_ap "/$1/: apt did not pipeline: at most $_most request(s) in flight"
		return 1
	fi
	return 0
}

# apt's HTTP pipelining (Acquire::http::Pipeline-Depth): four packages
# in one apt-get download, their requests written back to back on one
# connection (apt's own debug log shows them sent before the answers);
# every .deb arrives whole, each answered 200 by the proxy. Twice: from
# a server that keeps its connections, and from one that closes each
# after two requests, so the proxy must carry the pipelined rest over a
# new server connection
t_cli_apt_pipeline() {
	cli_apt_ready cli_apt_pipeline || return
	needs_shared || return
	cli_apt_pipe apt || return
	_closes=$(grep -c '"GET /apt-close/' "$T/cli_nginx-access.log")
	cli_apt_pipe apt-close || return
	_conns=$(grep '"GET /apt-close/.*\.deb ' "$T/cli_nginx-access.log" |
	    cut -d' ' -f1 | sort -u | wc -l)
	if [ "$_conns" -lt 2 ]; then
		fail cli_apt_pipeline "nginx served the four .deb files of /apt-close/ on $_conns connection(s): keepalive_requests 2 did not close ($_closes requests before)"
		return
	fi
	pass cli_apt_pipeline
}

# -------------------------------------------------------------- Python

# cli_py MODULE: a python3 that imports MODULE (the system's, where
# Debian's python3-requests and python3-aiohttp are), in CLI_PY, or 1
cli_py() {
	CLI_PY=
	for _py in "$PY" python3 /usr/bin/python3; do
		"$_py" -c "import $1" 2>/dev/null && CLI_PY=$_py && return 0
	done
	return 1
}

# cli_pyclients: the Python client script, $T/cli_clients.py LIB PROXY
# PLAIN_BASE TLS_BASE ORIGIN CA SHA: runs each check through the proxy
# and prints "ok NAME" or "bad NAME: why" (60 s at most in all)
cli_pyclients() {
	cat >"$T/cli_clients.py" <<'PYEOF'
import asyncio, hashlib, os, ssl, sys

lib, proxy, plain, tls, origin, ca, big_sha = sys.argv[1:8]
TIMEOUT = 30


def check(name, ok, why=""):
    print(("ok %s" % name) if ok else ("bad %s: %s" % (name, why)))


def sha(b):
    return hashlib.sha256(b).hexdigest()


def run_requests():
    import requests
    prox = {"http": proxy, "https": proxy}
    with requests.Session() as s:
        # keep-alive: three GETs on one session
        bodies = [s.get(plain + "/cli/small.txt", proxies=prox,
                        timeout=TIMEOUT) for _ in range(3)]
        check("get", all(r.status_code == 200 and r.text.startswith(
            "proxy-test-cli-") for r in bodies),
            [(r.status_code, r.text[:40]) for r in bodies])
        if tls != "-":
            r = s.get(tls + "/cli/big.bin", proxies=prox, verify=ca,
                      timeout=TIMEOUT)
            check("https", r.status_code == 200 and sha(r.content) == big_sha,
                  "%d, %d bytes" % (r.status_code, len(r.content)))
        # streamed: read in pieces, never whole
        for name, url, want in (
                ("stream", plain + "/cli/big.bin", big_sha),
                ("stream_chunked", origin + "/chunked/3000000", None)):
            h, n, pieces = hashlib.sha256(), 0, 0
            with s.get(url, proxies=prox, stream=True, timeout=TIMEOUT) as r:
                for piece in r.iter_content(65536):
                    h.update(piece)
                    n += len(piece)
                    pieces += 1
            if want is None:
                import subprocess
                want = subprocess.run(
                    [sys.executable, os.environ["CLI_ORIGIN"], "--sha",
                     "3000000"], capture_output=True, text=True).stdout.strip()
            check(name, r.status_code == 200 and h.hexdigest() == want and
                  pieces > 10, "%d, %d bytes in %d pieces" % (
                      r.status_code, n, pieces))
        # a generator body: requests sends it chunked
        parts = [os.urandom(k) for k in (1, 1000, 70000, 5, 300000)]
        r = s.post(origin + "/echo", data=iter(parts), proxies=prox,
                   timeout=TIMEOUT)
        body = b"".join(parts)
        head = r.text.lower()
        check("post_chunked", r.status_code == 200 and
              "transfer-encoding: chunked" in head and
              r.headers.get("X-Body-Length") == str(len(body)) and
              r.headers.get("X-Body-Sha256") == sha(body),
              "%d, X-Body-Length %s of %d, head %r" % (
                  r.status_code, r.headers.get("X-Body-Length"), len(body),
                  r.text[:300]))


async def run_aiohttp():
    import aiohttp
    t = aiohttp.ClientTimeout(total=TIMEOUT)
    async with aiohttp.ClientSession(timeout=t) as s:
        async with s.get(plain + "/cli/big.bin", proxy=proxy) as r:
            b = await r.read()
            check("get", r.status == 200 and sha(b) == big_sha,
                  "%d, %d bytes" % (r.status, len(b)))
        if tls != "-":
            ctx = ssl.create_default_context(cafile=ca)
            async with s.get(tls + "/cli/big.bin", proxy=proxy,
                             ssl=ctx) as r:
                b = await r.read()
                check("https", r.status == 200 and sha(b) == big_sha,
                      "%d, %d bytes" % (r.status, len(b)))
        async with s.get(plain + "/cli/small.txt", proxy=proxy) as r:
            b = await r.read()
            check("get_small", r.status == 200 and
                  b.startswith(b"proxy-test-cli-"), "%d %r" % (r.status, b[:40]))

        # 30 at once (the connector opens up to its limit of 100
        # connections, then reuses them), big and small mixed
        async def one(i):
            path, want = (("/cli/big.bin", big_sha) if i % 5 == 0 else
                          ("/cli/small.txt", None))
            async with s.get(plain + path, proxy=proxy) as r:
                b = await r.read()
                return r.status == 200 and (
                    sha(b) == want if want else b.startswith(b"proxy-test-cli-"))
        got = await asyncio.gather(*(one(i) for i in range(30)),
                                   return_exceptions=True)
        check("parallel", all(g is True for g in got),
              [g for g in got if g is not True][:3])


try:
    if lib == "requests":
        run_requests()
    else:
        asyncio.run(asyncio.wait_for(run_aiohttp(), 2 * TIMEOUT))
except Exception as e:
    print("bad exception: %r" % e)
PYEOF
}

# cli_python CASE LIB CHECKS: LIB's checks through the shared proxy;
# passes CASE when the script printed "ok" for each of CHECKS
cli_python() {
	_pc=$1
	_plib=$2
	_pwant=$3
	if ! cli_py "$_plib"; then
		skip "$_pc" "python3-$_plib is not installed (tests/deps.sh installs it as root)"
		return
	fi
	cli_nginx "$_pc" || return
	needs_shared || return
	cli_mark
	cli_pyclients
	_tls=-
	[ -n "$CNS" ] && _tls=https://localhost:$CNS
	CLI_ORIGIN=$ORIGIN timeout 90 "$CLI_PY" "$T/cli_clients.py" "$_plib" \
	    "$PROXY_URL" "http://127.0.0.1:$CN" "$_tls" "$OURL" \
	    "$T/tlsu_ca.pem" "$(sha_file "$T/cli_www/cli/big.bin")" \
	    >"$T/$_pc.out" 2>&1
	_prc=$?
	[ -n "$CNS" ] || _pwant=$(echo "$_pwant" | sed 's/ https//')
	_pgot=$(sed -n 's/^ok //p' "$T/$_pc.out" | tr '\n' ' ')
	if [ $_prc != 0 ] || grep -q '^bad' "$T/$_pc.out" ||
	    [ "$_pgot" != "$_pwant " ]; then
		fail "$_pc" "$_plib through the proxy (exit $_prc): passed '$_pgot', want '$_pwant'"
		grep -v '^ok' "$T/$_pc.out" | tail -n 6 | cut -c1-400 |
		    sed 's/^/    | /'
		return
	fi
	if [ -n "$CNS" ]; then
		cli_has "the CONNECT" "^CONNECT localhost:$CNS " || return
	fi
	cli_has "the GET" "^GET 127.0.0.1:$CN /cli/big.bin 200 " || return
	pass "$_pc"
}

# requests: three GETs on one session (keep-alive), HTTPS through
# CONNECT with verify=the test CA, two streamed downloads (a length and
# a chunked body), and a POST whose generator body goes chunked
t_cli_requests() {
	cli_python cli_requests requests \
	    "get https stream stream_chunked post_chunked" || return
}

# aiohttp: a plain GET of 8 MiB, the same over HTTPS through CONNECT,
# a small GET on the same session, then 30 GETs at once
t_cli_aiohttp() {
	cli_python cli_aiohttp aiohttp "get https get_small parallel"
}

# ------------------------------------------------------------ Chromium

CLI_CHR_IMAGES="i01 i02 i03 i04 i05 i06 i07 i08 i09 i10 i11 i12"

# cli_chr_ready CASE: Chromium, nginx and the test DNS (Chromium sends
# no loopback name to a proxy, so the page is on www.some.test, which
# the proxy resolves to 127.0.0.1; and Chromium's own background
# requests to real names must fail at the test DNS, never leave the
# machine), or a skip
cli_chr_ready() {
	CHROMIUM=
	for _c in chromium chromium-browser; do
		have $_c && CHROMIUM=$_c && break
	done
	if [ -z "$CHROMIUM" ]; then
		skip "$1" "chromium is not installed (Debian package chromium)"
		return 1
	fi
	if [ "$DNS_OK" != 1 ]; then
		skip "$1" "$DNS_NOTE"
		return 1
	fi
	cli_nginx "$1" || return 1
	cli_chr_page
}

# cli_chr_page: once, $T/cli_www/chr/index.html with a stylesheet, a
# script and twelve 64x64 PNGs (about 12 kB each: enough subresources
# for Chromium to open parallel connections and reuse them), and two
# images from hosts whose lookup fails: nosuch.invalid (NXDOMAIN) and
# hang.test (the test DNS never answers: the proxy's 502 comes after
# the resolver's 2 s, which holds the load event back). The script
# fetches six more names that do not exist (bad1.invalid ...) and, at
# the load event, writes what arrived into p#r: "images N/12 css ok|no
# js ok lookups N/6 answered, N network errors".
cli_chr_page() {
	_cw=$T/cli_www/chr
	[ -f "$_cw/index.html" ] && return 0
	CHR_TOKEN="proxy-test-chr-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
	"$PY" - "$_cw" $CLI_CHR_IMAGES <<'PYEOF'
import os, struct, sys, zlib
d = sys.argv[1]
for name in sys.argv[2:]:
    raw = b"".join(b"\0" + os.urandom(64 * 3) for _ in range(64))
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff))
    png = (b"\x89PNG\r\n\x1a\n" +
           chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0)) +
           chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with open(os.path.join(d, name + ".png"), "wb") as f:
        f.write(png)
PYEOF
	echo '#t { color: rgb(1, 2, 3); }' >"$_cw/style.css"
	cat >"$_cw/app.js" <<'JSEOF'
// Six requests to hosts whose lookup fails, started before the images:
// each must come back as the proxy's answer (a response, opaque here),
// never as a network error (a connection closed under the browser)
var lookups = { answered: 0, errors: 0, total: 6 };
(function () {
	var i;
	for (i = 1; i <= lookups.total; i++)
		fetch(location.protocol + "//bad" + i + ".invalid/x", { mode: "no-cors",
		    cache: "no-store" }).then(function () {
			lookups.answered++;
		}, function () {
			lookups.errors++;
		});
})();
// and one more every 100 ms until the load event (the hang.test image
// holds it back about 2 s), as a browser's background requests keep
// failing while pages load: each must be answered too
var more = { answered: 0, errors: 0, sent: 0 };
var moreTimer = setInterval(function () {
	more.sent++;
	fetch(location.protocol + "//more" + more.sent + ".invalid/x", { mode: "no-cors",
	    cache: "no-store" }).then(function () {
		more.answered++;
	}, function () {
		more.errors++;
	});
}, 100);
window.addEventListener("load", function () {
	clearInterval(moreTimer);
	var imgs = document.querySelectorAll("img.sub"), ok = 0, i;
	for (i = 0; i < imgs.length; i++)
		if (imgs[i].complete && imgs[i].naturalWidth === 64)
			ok++;
	var css = getComputedStyle(document.getElementById("t")).color ===
	    "rgb(1, 2, 3)";
	document.getElementById("r").textContent = "images " + ok + "/" +
	    imgs.length + " css " + (css ? "ok" : "no") + " js ok lookups " +
	    lookups.answered + "/" + lookups.total + " answered, " +
	    (lookups.errors + more.errors) + " network errors; more " +
	    more.answered + "/" + more.sent;
});
JSEOF
	{
		printf '<!DOCTYPE html>\n<html><head><title>proxy test</title>\n'
		printf '<link rel="stylesheet" href="style.css">\n'
		printf '<script src="app.js"></script>\n</head><body>\n'
		printf '<p id="t">%s</p>\n<p id="r">not loaded</p>\n' "$CHR_TOKEN"
		for _i in $CLI_CHR_IMAGES; do
			printf '<img class="sub" src="%s.png">\n' "$_i"
		done
		printf '<img src="http://nosuch.invalid/x.png">\n'
		printf '<img src="http://hang.test/x.png">\n'
		printf '</body></html>\n'
	} >"$_cw/index.html"
}

# cli_chromium NAME [flags...]: headless Chromium (HOME $T/NAME_home,
# where an NSS database may be, a new profile in $T, 90 s at most) dumps the DOM of the flags' page into $T/NAME.dom;
# its stderr in $T/NAME.err, its status in CHROMIUM_RC
cli_chromium() {
	_chn=$1
	shift
	rm -rf "$T/${_chn}_profile"
	mkdir -p "$T/${_chn}_home"
	timeout 90 env HOME="$T/${_chn}_home" "$CHROMIUM" --headless \
	    --no-sandbox --disable-gpu --disable-quic --no-first-run \
	    --disable-component-update --disable-sync \
	    --disable-dev-shm-usage --user-data-dir="$T/${_chn}_profile" \
	    "$@" >"$T/$_chn.dom" 2>"$T/$_chn.err" </dev/null
	CHROMIUM_RC=$?
}

# cli_chr_dom CASE NAME [WANT]: fails CASE (returns 1) unless
# $T/NAME.dom has the page's token and its script's result starting
# with WANT (default: "images 12/12 css ok js ok lookups 6/6 answered,
# 0 network errors; more ")
cli_chr_dom() {
	_cw=${3:-images 12/12 css ok js ok lookups 6/6 answered, 0 network errors; more }
	if ! grep -q "$CHR_TOKEN" "$T/$2.dom" ||
	    ! grep -q -F "<p id=\"r\">$_cw" "$T/$2.dom"
	then
		fail "$1" "chromium exited $CHROMIUM_RC; the DOM has '$(grep -o '<p id="r">[^<]*' "$T/$2.dom" | head -n 1)', want the token and '$_cw...' ($(wc -c <"$T/$2.dom") bytes)"
		grep -v -i 'dbus\|fontconfig' "$T/$2.err" | tail -n 5 |
		    cut -c1-300 | sed 's/^/    | /'
		return 1
	fi
	return 0
}

# cli_chr_subs CASE: fails CASE (returns 1) unless the access log since
# cli_mark has the page and each of its subresources answered 200
cli_chr_subs() {
	_h="www.some.test:$CN"
	for _s in index.html style.css app.js $(for _i in $CLI_CHR_IMAGES; do
	    echo "$_i.png"; done); do
		cli_has "chromium's GET of $_s" "^GET $_h /chr/$_s 200 " ||
		    return 1
	done
	return 0
}

# cli_curl_loop OUT SECONDS: while $T/cli_chr.busy exists (at most
# SECONDS, at most 100 rounds), curl fetches nginx's 1m.bin three times
# on one kept-alive connection through the shared proxy, appending
# "STATUS SHA256" to OUT for each fetch
cli_curl_loop() {
	_end=$(($(date +%s) + $2))
	_k=0
	: >"$1"
	_lu=http://127.0.0.1:$NG/1m.bin
	while [ -f "$T/cli_chr.busy" ] && [ $_k -lt 100 ] &&
	    [ "$(date +%s)" -lt $_end ]; do
		_k=$((_k + 1))
		rm -f "$T/cli_loop.1" "$T/cli_loop.2" "$T/cli_loop.3"
		curl -q -sS --noproxy '' --max-time 20 -x "$PROXY_URL" \
		    -w '%{http_code}\n' -o "$T/cli_loop.1" "$_lu" \
		    -o "$T/cli_loop.2" "$_lu" -o "$T/cli_loop.3" "$_lu" \
		    >"$T/cli_loop.codes" 2>/dev/null
		for _j in 1 2 3; do
			echo "$(sed -n "${_j}p" "$T/cli_loop.codes") $(sha_file "$T/cli_loop.$_j" 2>/dev/null)"
		done >>"$1"
	done
}

# Chromium through the shared proxy, background networking left on
# (its own requests to real names fail at the test DNS: 502s, as they
# fail all the time behind real proxies), with a page of fourteen
# subresources, two of them on hosts whose lookup fails. The page and
# its script arrive whole, every subresource is answered 200 on
# parallel, reused connections, the failed lookups are answered 502 or
# 504, and another client (curl, fetching 1 MiB over and over) is
# served whole during and after
t_cli_chromium() {
	cli_chr_ready cli_chromium || return
	needs_shared || return
	cli_mark
	_want="200 $(sha_file "$T/www/1m.bin")"
	: >"$T/cli_chr.busy"
	cli_curl_loop "$T/cli_chr_loop.out" 100 &
	_lp=$!
	track $_lp
	cli_chromium cli_chr --proxy-server="$PROXY_URL" \
	    --dump-dom "http://www.some.test:$CN/chr/index.html"
	rm -f "$T/cli_chr.busy"
	wait_pid $_lp 30 || kill_bg $_lp
	cli_chr_dom cli_chromium cli_chr || return
	cli_chr_subs cli_chromium || return
	for _bh in nosuch.invalid:80 hang.test:80; do
		cli_has "the image on $_bh, whose lookup fails" \
		    "^GET $_bh /x.png 50[24] " || return
	done
	# keep-alive and parallel: the page's requests came on two or
	# more client connections, one of which carried two or more
	_conns=$(log_since "$LOG" "$CLI_FROM" | grep " access [^ ]* GET www.some.test:$CN /chr/" |
	    sed 's/.* access \([^ ]*\) .*/\1/' | sort | uniq -c)
	if [ "$(echo "$_conns" | wc -l)" -lt 2 ] ||
	    ! echo "$_conns" | awk '$1 >= 2 { f = 1 } END { exit !f }'; then
		fail cli_chromium "want the page's 15 requests on 2 or more connections, one reused; got (requests, peer): $(echo "$_conns" | tr '\n' ';')"
		return
	fi
	_bad=$(grep -v -x -c "$_want" "$T/cli_chr_loop.out")
	_n=$(wc -l <"$T/cli_chr_loop.out")
	fetch "http://127.0.0.1:$NG/1m.bin"
	if [ "$_n" -lt 1 ] || [ "$_bad" != 0 ]; then
		fail cli_chromium "curl beside Chromium: $_bad of $_n fetches of 1m.bin were not '200 <its sha256>': $(grep -v -x "$_want" "$T/cli_chr_loop.out" | head -n 3 | tr '\n' ';')"
		return
	fi
	if [ "$CODE" != 200 ] || ! cmp -s "$T/body" "$T/www/1m.bin"; then
		fail cli_chromium "curl after Chromium: status $CODE, $(wc -c <"$T/body") bytes"
		return
	fi
	# Chromium's own requests (not the page's): the background ones
	_bgn=$(cli_access '.' | grep -v -c -E "^[A-Z]+ (www.some.test:$CN|nosuch.invalid:80|hang.test:80|(bad|more)[0-9]+.invalid:80|127.0.0.1:$NG) ")
	_bgf=$(cli_access '.' | grep -v -E "^[A-Z]+ (www.some.test:$CN|nosuch.invalid:80|hang.test:80|(bad|more)[0-9]+.invalid:80|127.0.0.1:$NG) " |
	    grep -c -E '^[^ ]+ [^ ]+ [^ ]+ 50[0-9] ')
	echo "     (cli_chromium: $_n curl fetches beside it; $_bgn background requests of Chromium's own, $_bgf answered 5xx)"
	pass cli_chromium
}

# Chromium with --proxy-pac-url pointing at the PAC file the proxy
# serves itself (--pac-file), whose FindProxyForURL names that proxy:
# Chromium fetches the PAC file, then the page and its subresources
# through the proxy
t_cli_chromium_pac() {
	cli_chr_ready cli_chromium_pac || return
	_pf=$T/cli_chr.pac
	echo 'function FindProxyForURL(url, host) { return "DIRECT"; }' >"$_pf"
	if ! start_proxy cli_chr_pac --pac-file "$_pf" \
	    --pac-file-url-path /proxy.pac; then
		fail cli_chromium_pac "$START_ERR"
		return
	fi
	# the proxy's port is known only now; it serves the file as it is
	# at each request. Every URL goes to the proxy (never DIRECT: no
	# request of Chromium's may leave the machine)
	printf 'function FindProxyForURL(url, host) {\n\treturn "PROXY 127.0.0.1:%s";\n}\n' \
	    "$P" >"$_pf.new" && mv "$_pf.new" "$_pf"
	cli_mark
	cli_chromium cli_chrpac --disable-background-networking \
	    --proxy-pac-url="http://127.0.0.1:$P/proxy.pac" \
	    --dump-dom "http://www.some.test:$CN/chr/index.html"
	cli_chr_dom cli_chromium_pac cli_chrpac || return
	cli_chr_subs cli_chromium_pac || return
	if ! log_since "$LOG" "$CLI_FROM" | grep -q '/proxy\.pac'; then
		fail cli_chromium_pac "the proxy's log does not show Chromium fetching /proxy.pac: $(log_since "$LOG" "$CLI_FROM" | grep -v debug | head -n 3 | tr '\n' ';')"
		return
	fi
	pass cli_chromium_pac
}

# Chromium to nginx over TLS through CONNECT (no interception: the test
# CA in its NSS database), the same page: its subresources come through
# parallel tunnels, and each failed lookup (now CONNECT bad1.invalid:443
# and so on, which Chromium reports to the page as a network error) is
# answered 502 by the proxy
t_cli_chromium_https() {
	cli_chr_ready cli_chromium_https || return
	if [ -z "$CNS" ]; then
		skip cli_chromium_https "no TLS server: $TLS_SKIP"
		return
	fi
	if ! have certutil; then
		skip cli_chromium_https "certutil is not installed (Debian package libnss3-tools)"
		return
	fi
	if ! tlsc_nss "$T/cli_chrs_home" "$T/tlsu_ca.pem"; then
		fail cli_chromium_https "certutil: $(tail -n 2 "$T/certutil.log")"
		return
	fi
	needs_shared || return
	cli_mark
	_ngs=$(grep -c " $CNS\$" "$T/cli_nginx-access.log")
	cli_chromium cli_chrs --disable-background-networking \
	    --proxy-server="$PROXY_URL" \
	    --dump-dom "https://www.some.test:$CNS/chr/index.html"
	cli_chr_dom cli_chromium_https cli_chrs \
	    "images 12/12 css ok js ok lookups 0/6 answered, " || return
	for _s in index.html style.css app.js $(for _i in $CLI_CHR_IMAGES; do
	    echo "$_i.png"; done); do
		if ! tail -n +"$((_ngs + 1))" "$T/cli_nginx-access.log" |
		    grep -q "\"GET /chr/$_s HTTP/1.1\" 200 .* $CNS\$"; then
			fail cli_chromium_https "nginx's TLS port did not serve /chr/$_s"
			return
		fi
	done
	_tun=$(cli_access "^CONNECT www.some.test:$CNS - 200 " | wc -l)
	if [ "$_tun" -lt 2 ]; then
		fail cli_chromium_https "want 2 or more tunnels to www.some.test:$CNS (the page's parallel connections), the access log has $_tun"
		return
	fi
	for _bh in bad1.invalid:443 bad6.invalid:443 hang.test:443; do
		cli_has "the CONNECT to $_bh, whose lookup fails" \
		    "^CONNECT $_bh - 502 " || return
	done
	pass cli_chromium_https
}
