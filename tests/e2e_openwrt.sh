# The OpenWrt package (contrib/openwrt) without an OpenWrt SDK; sourced by
# tests.sh. Stubs stand in for /lib/functions.sh (a tiny UCI parser:
# config_load, config_get, config_get_bool, config_list_foreach,
# config_foreach), for procd's shell API (each call is recorded in a
# file) and for /etc/rc.common; the init script runs under them against
# UCI files the cases write, and the settings file and command line it
# makes are checked, then run with the real proxy.

CASES="${CASES:-} owrt_shell owrt_makefile owrt_default owrt_default_runs
owrt_parent owrt_disabled owrt_bad_values owrt_reload"

OW_SRC=contrib/openwrt
OW_INIT=$OW_SRC/files/proxy.init
OW_UCI=$OW_SRC/files/fwdproxy.config

# ow_stubs: writes the stand-ins under $T/owrt (once)
ow_stubs() {
	OW=$T/owrt
	export OW
	[ -f "$OW/rc.common" ] && return 0
	mkdir -p "$OW/bin" "$OW/config" "$OW/var"
	cat >"$OW/functions.sh" <<'EOF'
# stand-in for OpenWrt's /lib/functions.sh: a tiny UCI parser. Files are
# read from $UCI_DIR. Values are stored as OpenWrt does: CONFIG_s_o (a
# list: its items joined by spaces), CONFIG_s_o_ITEMn, CONFIG_s_o_LENGTH,
# CONFIG_s_TYPE, CONFIG_SECTIONS.
uci_unquote() {
	case $1 in
	\'*\') v=${1#\'}; v=${v%\'} ;;
	\"*\") v=${1#\"}; v=${v%\"} ;;
	*) v=$1 ;;
	esac
}

config_load() {
	# as OpenWrt's uci_load: lists start empty again (options stay)
	for _v in ${CONFIG_LIST_STATE:-}; do
		eval "CONFIG_$_v= CONFIG_${_v}_LENGTH="
	done
	CONFIG_LIST_STATE=
	CONFIG_SECTIONS=
	_ucn=0
	_sec=
	[ -f "$UCI_DIR/$1" ] || return 1
	while IFS= read -r _line || [ -n "$_line" ]; do
		# leading blanks
		_line=${_line#"${_line%%[! 	]*}"}
		case $_line in ''|'#'*) continue ;; esac
		_kw=${_line%%[ 	]*}
		_rest=${_line#"$_kw"}
		_rest=${_rest#"${_rest%%[! 	]*}"}
		_rest=${_rest%"${_rest##*[! 	]}"}
		case $_kw in
		config)
			_type=${_rest%%[ 	]*}
			_name=${_rest#"$_type"}
			_name=${_name#"${_name%%[! 	]*}"}
			if [ -z "$_name" ]; then
				_ucn=$((_ucn + 1))
				_sec=cfg$_ucn
			else
				uci_unquote "$_name"
				_sec=$v
			fi
			uci_unquote "$_type"
			eval "CONFIG_${_sec}_TYPE=\$v"
			CONFIG_SECTIONS="$CONFIG_SECTIONS $_sec"
			;;
		option|list)
			_key=${_rest%%[ 	]*}
			_val=${_rest#"$_key"}
			_val=${_val#"${_val%%[! 	]*}"}
			uci_unquote "$_val"
			if [ "$_kw" = option ]; then
				eval "CONFIG_${_sec}_${_key}=\$v"
			else
				eval "_n=\${CONFIG_${_sec}_${_key}_LENGTH:-0}"
				[ "$_n" = 0 ] && CONFIG_LIST_STATE="$CONFIG_LIST_STATE ${_sec}_$_key"
				_n=$((_n + 1))
				eval "CONFIG_${_sec}_${_key}_LENGTH=\$_n"
				eval "CONFIG_${_sec}_${_key}_ITEM$_n=\$v"
				eval "CONFIG_${_sec}_${_key}=\"\${CONFIG_${_sec}_${_key}:+\$CONFIG_${_sec}_${_key} }\$v\""
			fi
			;;
		*) echo "uci stub: bad line: $_line" >&2; return 1 ;;
		esac
	done <"$UCI_DIR/$1"
	return 0
}

config_get() {
	eval "$1=\${CONFIG_$2_$3:-\${4:-}}"
}

config_get_bool() {
	eval "_b=\${CONFIG_$2_$3:-\${4:-}}"
	case $_b in
	1|on|true|yes|enabled) _b=1 ;;
	0|off|false|no|disabled) _b=0 ;;
	*) _b=${4:-0} ;;
	esac
	eval "$1=\$_b"
}

config_list_foreach() {
	_ls=$1 _lo=$2 _lf=$3
	shift 3
	eval "_ln=\${CONFIG_${_ls}_${_lo}_LENGTH:-0}"
	_li=1
	while [ "$_li" -le "$_ln" ]; do
		eval "_lv=\$CONFIG_${_ls}_${_lo}_ITEM$_li"
		"$_lf" "$_lv" "$@"
		_li=$((_li + 1))
	done
}

config_foreach() {
	_ff=$1 _ft=$2
	shift 2
	for _fs in $CONFIG_SECTIONS; do
		eval "_fty=\$CONFIG_${_fs}_TYPE"
		[ -z "$_ft" ] || [ "$_fty" = "$_ft" ] || continue
		"$_ff" "$_fs" "$@"
	done
}
EOF
	cat >"$OW/procd.sh" <<'EOF'
# stand-in for /lib/functions/procd.sh: every call is a line of $PROCD_LOG;
# the command's arguments also go to $PROCD_LOG.cmd, one a line.
# procd_running: $PROCD_RUNNING names a file holding the pid of the
# instance, which procd_send_signal signals for real (SIGHUP).
procd_open_service() { echo "open_service $*" >>"$PROCD_LOG"; }
procd_close_service() { echo "close_service" >>"$PROCD_LOG"; }
procd_open_instance() { echo "open_instance $*" >>"$PROCD_LOG"; }
procd_close_instance() { echo "close_instance" >>"$PROCD_LOG"; }
procd_set_param() {
	echo "set_param $*" >>"$PROCD_LOG"
	if [ "$1" = command ]; then
		shift
		: >"$PROCD_LOG.cmd"
		for _a in "$@"; do
			printf '%s\n' "$_a" >>"$PROCD_LOG.cmd"
		done
	fi
}
procd_append_param() { echo "append_param $*" >>"$PROCD_LOG"; }
procd_add_reload_trigger() { echo "reload_trigger $*" >>"$PROCD_LOG"; }
procd_add_interface_trigger() { echo "interface_trigger $*" >>"$PROCD_LOG"; }
procd_running() { [ -s "${PROCD_RUNNING:-/nonexistent}" ]; }
procd_send_signal() {
	echo "send_signal $*" >>"$PROCD_LOG"
	if procd_running; then
		kill -HUP "$(cat "$PROCD_RUNNING")"
	fi
}
EOF
	cat >"$OW/rc.common" <<'EOF'
# stand-in for /etc/rc.common (procd part): sh rc.common INIT ACTION.
# $RC_CONF replaces the init script's CONF (the settings file it writes).
. "$OW/functions.sh"
. "$OW/procd.sh"
. "$1"
[ -z "${RC_CONF:-}" ] || CONF=$RC_CONF
start() {
	procd_open_service "$NAME"
	start_service
	_rc=$?
	procd_close_service
	return $_rc
}
reload() {
	reload_service
}
case $2 in
start) start ;;
reload) reload ;;
triggers) service_triggers ;;
*) echo "rc.common stub: unknown action $2" >&2; exit 1 ;;
esac
EOF
	# logger(1), as OpenWrt's: the cases read what the script logged
	cat >"$OW/bin/logger" <<'EOF'
#!/bin/sh
echo "logger $*" >>"$OW/logger.log"
EOF
	chmod +x "$OW/bin/logger"
}

# ow_run NAME ACTION: runs the init script's ACTION with the UCI file
# $OW/config/NAME.uci; fresh records in $OW/NAME.*: .procd (procd calls),
# .procd.cmd (the command's arguments), .conf (the settings file),
# .logger, .err. Sets OW_RC.
ow_run() {
	ow_stubs
	_on=$1
	mkdir -p "$OW/uci.$_on"
	cp "$OW/config/$_on.uci" "$OW/uci.$_on/fwdproxy"
	: >"$OW/$_on.procd"
	rm -f "$OW/$_on.procd.cmd"
	: >"$OW/logger.log"
	[ "$2" = reload ] || rm -f "$OW/$_on.conf"
	UCI_DIR="$OW/uci.$_on" PROCD_LOG="$OW/$_on.procd" \
	    PROCD_RUNNING="${OW_RUNNING:-}" RC_CONF="$OW/$_on.conf" \
	    PATH="$OW/bin:$PATH" sh "$OW/rc.common" "$ROOT/$OW_INIT" "$2" \
	    >"$OW/$_on.out" 2>"$OW/$_on.err"
	OW_RC=$?
	cp "$OW/logger.log" "$OW/$_on.logger"
}

# ow_user: the user the UCI files name: nobody as root (chown works),
# else ourselves
ow_user() {
	if [ "$(id -u)" = 0 ]; then
		echo nobody
	else
		id -un
	fi
}

# ow_default NAME PORT: the package's default UCI file, at PORT
ow_default() {
	ow_stubs
	sed -e "s/option port '3128'/option port '$2'/" \
	    -e "s/option user 'nobody'/option user '$(ow_user)'/" \
	    "$OW_UCI" >"$OW/config/$1.uci"
}

# ow_has NAME 'key = value': a line of the settings file
ow_has() {
	grep -qxF "$2" "$OW/$1.conf"
}

# ow_start NAME: runs the recorded command with $PROXY_BIN in place of
# /usr/bin/fwdproxy, as procd would (output in $T/NAME.err); sets OWPID
ow_start() {
	_osn=$1
	set --
	while IFS= read -r _a; do
		if [ $# = 0 ]; then
			set -- "$PROXY_BIN"
		else
			set -- "$@" "$_a"
		fi
	done <"$OW/$_osn.procd.cmd"
	"$@" >"$T/$_osn.out" 2>"$T/$_osn.err" &
	OWPID=$!
	track $OWPID
}

ow_stop() {
	kill -TERM "$1" 2>/dev/null
	wait_gone "$1" 15 || kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

t_owrt_shell() {
	bad=
	for f in "$OW_INIT" tests/e2e_openwrt.sh; do
		sh -n "$f" 2>"$T/owrt_sh.err" || bad="$bad $f: $(head -c 200 "$T/owrt_sh.err")"
	done
	if [ -n "$bad" ]; then
		fail owrt_shell "sh -n:$bad"
		return
	fi
	if ! have shellcheck; then
		skip owrt_shell "sh -n is clean; shellcheck is not installed"
		return
	fi
	# the init script as OpenWrt's ash runs it; this file as tests.sh
	# sources it (its globals and helpers come from there)
	if ! shellcheck -s sh "$OW_INIT" >"$T/owrt_sc.out" 2>&1 ||
	    ! shellcheck -s sh -e SC2034,SC2154,SC2016 tests/e2e_openwrt.sh \
	    >>"$T/owrt_sc.out" 2>&1; then
		fail owrt_shell "shellcheck has warnings"
		evidence "$T/owrt_sc.out" 20
		return
	fi
	pass owrt_shell
}

t_owrt_makefile() {
	mk=$OW_SRC/Makefile
	miss=
	for want in 'PKG_NAME:=fwdproxy' 'PKG_SOURCE_PROTO:=git' \
	    'PKG_SOURCE_URL:=' 'PKG_SOURCE_VERSION:=v$(PKG_VERSION)' \
	    'PKG_MIRROR_HASH:=' 'PKG_MAINTAINER:=' 'PKG_LICENSE:=ISC' \
	    'PKG_LICENSE_FILES:=LICENSE' 'SECTION:=net' 'CATEGORY:=Network' \
	    'SUBMENU:=Web Servers/Proxies' 'URL:=' \
	    'define Package/fwdproxy/conffiles' '/etc/config/fwdproxy' \
	    '$(INSTALL_BIN) ./files/proxy.init $(1)/etc/init.d/fwdproxy' \
	    '$(INSTALL_CONF) ./files/fwdproxy.config $(1)/etc/config/fwdproxy' \
	    '$(INSTALL_BIN) $(PKG_BUILD_DIR)/proxy $(1)/usr/bin/fwdproxy' \
	    '$(eval $(call BuildPackage,fwdproxy))'; do
		grep -qF -- "$want" "$mk" || miss="$miss [$want]"
	done
	want_v=$(sed -n 's/^#define PROXY_VERSION[ 	]*"\(.*\)"/\1/p' proxy.h)
	grep -qx "PKG_VERSION:=$want_v" "$mk" || miss="$miss [PKG_VERSION:=$want_v as proxy.h]"
	grep -qE '/man|proxy\.1' "$mk" && miss="$miss [a man page is installed]"
	grep -q 'PROG=/usr/bin/fwdproxy' "$OW_INIT" || miss="$miss [init PROG is not /usr/bin/fwdproxy]"
	grep -q '^NAME=fwdproxy$' "$OW_INIT" || miss="$miss [init NAME is not fwdproxy]"
	# recipe lines must start with a tab
	grep -n '^ \+\$(' "$mk" >"$T/owrt_mk.out" && miss="$miss [recipe lines indented with spaces]"
	if [ -n "$miss" ]; then
		fail owrt_makefile "contrib/openwrt/Makefile:$miss"
		return
	fi
	pass owrt_makefile
}

t_owrt_default() {
	ow_default owrt_default 3128
	ow_run owrt_default start
	d=$OW/owrt_default
	if [ "$OW_RC" != 0 ]; then
		fail owrt_default "start exited $OW_RC"
		evidence "$d.err" 5
		return
	fi
	miss=
	for l in 'gateway = yes' 'port = 3128' 'allow = 127.0.0.0/8' \
	    'allow = ::1' 'allow = 10.0.0.0/8' 'allow = 172.16.0.0/12' \
	    'allow = 192.168.0.0/16' 'allow = fd00::/8' 'allow = fe80::/10' \
	    'num-workers = 1' 'log-level = info' 'max-clients = 256'; do
		ow_has owrt_default "$l" || miss="$miss [$l]"
	done
	grep -q '^hostname\|^proxy\|^pass' "$d.conf" && miss="$miss [a listen, proxy or pass line]"
	# files/proxy.conf shows what the default writes: it must not go stale
	grep -v '^#' "$OW_SRC/files/proxy.conf" >"$d.ref"
	cmp -s "$d.ref" "$d.conf" ||
	    miss="$miss [contrib/openwrt/files/proxy.conf is not what the init script writes from the default UCI file]"
	n=$(grep -c '^open_instance' "$d.procd")
	[ "$n" = 1 ] || miss="$miss [$n instances, want 1]"
	printf '/usr/bin/fwdproxy\n--config\n%s\n' "$d.conf" >"$d.want"
	cmp -s "$d.want" "$d.procd.cmd" || miss="$miss [command: $(tr '\n' ' ' <"$d.procd.cmd")]"
	for p in "set_param user $(ow_user)" 'set_param respawn 3600 5 5' \
	    'set_param stdout 1' 'set_param stderr 1'; do
		grep -qxF "$p" "$d.procd" || miss="$miss [$p]"
	done
	perm=$(stat -c %a "$d.conf")
	[ "$perm" = 600 ] || miss="$miss [settings file mode $perm]"
	ow_run owrt_default triggers
	grep -qx 'reload_trigger fwdproxy' "$d.procd" || miss="$miss [no reload trigger for fwdproxy]"
	grep -q '^interface_trigger' "$d.procd" && miss="$miss [an interface trigger with no interface option]"
	# "option interface 'lan'": started again when the LAN comes up
	sed "s/^config proxy 'main'/&\\
	option interface 'lan'/" "$OW/config/owrt_default.uci" \
	    >"$OW/config/owrt_iface.uci"
	ow_run owrt_iface triggers
	grep -qx 'interface_trigger interface.\*.up lan /etc/init.d/fwdproxy reload' \
	    "$OW/owrt_iface.procd" ||
	    miss="$miss [no interface trigger for lan: $(tr '\n' ' ' <"$OW/owrt_iface.procd")]"
	if [ -n "$miss" ]; then
		fail owrt_default "$miss"
		evidence "$d.conf" 20
		return
	fi
	pass owrt_default
}

t_owrt_default_runs() {
	# --gateway binds every address: only where nothing but loopback is
	if [ "${PROXY_TESTS_NET:-}" != own ]; then
		skip owrt_default_runs "not in a network namespace of our own (not root): --gateway would listen beyond loopback"
		return
	fi
	port=$(freeport)
	ow_default owrt_default_runs "$port"
	ow_run owrt_default_runs start
	if [ "$OW_RC" != 0 ] || [ ! -s "$OW/owrt_default_runs.procd.cmd" ]; then
		fail owrt_default_runs "start exited $OW_RC, no command"
		return
	fi
	ow_start owrt_default_runs
	if ! waitport 127.0.0.1 "$port" 10; then
		fail owrt_default_runs "the default settings do not listen on 127.0.0.1:$port"
		evidence "$T/owrt_default_runs.err" 5
		ow_stop "$OWPID"
		return
	fi
	code=$(curl -s -o /dev/null -w '%{http_code}' -m 10 \
	    -x "http://127.0.0.1:$port" "$OURL/size/10")
	v6=ok
	if [ -n "$O6" ]; then
		c6=$(curl -s -o /dev/null -w '%{http_code}' -m 10 \
		    -x "http://[::1]:$port" "$OURL/size/10")
		[ "$c6" = 200 ] || v6="a request from ::1 got $c6, want 200"
	fi
	ow_stop "$OWPID"
	if [ "$code" != 200 ]; then
		fail owrt_default_runs "a request from 127.0.0.1 got $code, want 200 (allowed)"
		evidence "$T/owrt_default_runs.err" 5
	elif [ "$v6" != ok ]; then
		fail owrt_default_runs "$v6"
	else
		pass owrt_default_runs
	fi
}

t_owrt_parent() {
	needs_built NTLM owrt_parent || return
	ow_stubs
	port=$(freeport)
	dead=$(freeport)
	cat >"$OW/config/owrt_parent.uci" <<EOF
# a corporate parent with NTLMv2 (hashes of "pass", user jdoe, CORP)
config proxy 'main'
	option enabled 'yes'
	list listen '127.0.0.1'
	option port '$port'
	list allow '127.0.0.1'
	list deny '10.1.2.3'
	list proxy '127.0.0.1:$dead'
	list proxy "127.0.0.2:$dead"
	list noproxy '127.0.0.1'
	list noproxy '*.intranet'
	option auth 'NTLMv2'
	option username 'jdoe'
	option domain 'CORP'
	option workstation 'router'
	option pass_ntlmv2 '0123456789ABCDEF0123456789abcdef'
	option pass_nt '11111111111111111111111111111111'
	option pass_lm '22222222222222222222222222222222'
	option pac ''
	option num_workers '2'
	option log_level 'debug'
	option user '$(ow_user)'

config proxy 'second'
	option port '1'
EOF
	ow_run owrt_parent start
	d=$OW/owrt_parent
	if [ "$OW_RC" != 0 ]; then
		fail owrt_parent "start exited $OW_RC"
		evidence "$d.err" 5
		return
	fi
	miss=
	for l in 'hostname = 127.0.0.1' "port = $port" 'allow = 127.0.0.1' \
	    'deny = 10.1.2.3' "proxy = 127.0.0.1:$dead" \
	    "proxy = 127.0.0.2:$dead" 'noproxy = 127.0.0.1' \
	    'noproxy = *.intranet' 'auth = NTLMv2' 'username = jdoe' \
	    'domain = CORP' 'workstation = router' \
	    'pass-ntlmv2 = 0123456789ABCDEF0123456789abcdef' \
	    'pass-nt = 11111111111111111111111111111111' \
	    'pass-lm = 22222222222222222222222222222222' 'num-workers = 2' \
	    'log-level = debug'; do
		ow_has owrt_parent "$l" || miss="$miss [$l]"
	done
	grep -q '^gateway\|^pac\|^port = 1$' "$d.conf" && miss="$miss [gateway, empty pac or the second section]"
	grep -q 'ignoring section .second' "$d.logger" || miss="$miss [second section not reported]"
	# the hashes stay off the command line (ps shows it to everyone)
	grep -qi '0123456789ABCDEF' "$d.procd" "$d.procd.cmd" && miss="$miss [a hash on the command line]"
	if [ -n "$miss" ]; then
		fail owrt_parent "$miss"
		evidence "$d.conf" 25
		return
	fi
	ow_start owrt_parent
	if ! waitport 127.0.0.1 "$port" 10; then
		fail owrt_parent "the proxy does not listen on 127.0.0.1:$port"
		evidence "$T/owrt_parent.err" 5
		ow_stop "$OWPID"
		return
	fi
	# noproxy 127.0.0.1: direct to the origin; anything else: the
	# parents, both dead: 502
	direct=$(curl -s -o /dev/null -w '%{http_code}' -m 10 \
	    -x "http://127.0.0.1:$port" "$OURL/size/10")
	parent=$(curl -s -o /dev/null -w '%{http_code}' -m 20 \
	    -x "http://127.0.0.1:$port" "http://example.test/")
	ow_stop "$OWPID"
	if [ "$direct" != 200 ] || [ "$parent" != 502 ]; then
		fail owrt_parent "noproxy host got $direct (want 200), other host $parent (want 502: dead parents)"
		evidence "$T/owrt_parent.err" 8
		return
	fi
	pass owrt_parent
}

t_owrt_disabled() {
	ow_stubs
	miss=
	for e in 0 no off false; do
		ow_default owrt_disabled 3128
		sed -i "s/option enabled '1'/option enabled '$e'/" \
		    "$OW/config/owrt_disabled.uci"
		ow_run owrt_disabled start
		if [ "$OW_RC" != 0 ]; then
			miss="$miss [enabled $e: start exited $OW_RC]"
		elif grep -q 'open_instance' "$OW/owrt_disabled.procd"; then
			miss="$miss [enabled $e: an instance]"
		elif [ -e "$OW/owrt_disabled.conf" ]; then
			miss="$miss [enabled $e: a settings file]"
		fi
	done
	# no proxy section at all: nothing either
	printf "config other 'x'\n\toption enabled '1'\n" >"$OW/config/owrt_disabled.uci"
	ow_run owrt_disabled start
	grep -q 'open_instance' "$OW/owrt_disabled.procd" && miss="$miss [no proxy section: an instance]"
	if [ -n "$miss" ]; then
		fail owrt_disabled "$miss"
		return
	fi
	pass owrt_disabled
}

t_owrt_bad_values() {
	ow_stubs
	miss=
	for spec in "port|abc|port 'abc'" "port|70000|port '70000'" \
	    "num_workers|many|num_workers 'many'" \
	    "max_clients|-1|max_clients '-1'" \
	    "log_level|loud|log_level 'loud'" "auth|KERBEROS|auth 'KERBEROS'" \
	    "pass_ntlmv2|0123|pass_ntlmv2" "pass_nt|zz|pass_nt" \
	    "password|secret|password: store the hashes"; do
		opt=${spec%%|*}
		rest=${spec#*|}
		val=${rest%%|*}
		why=${rest#*|}
		if [ "$opt" = pass_nt ]; then
			val=zz000000000000000000000000000000
		fi
		ow_default owrt_bad_values 3128
		printf "\toption %s '%s'\n" "$opt" "$val" >>"$OW/config/owrt_bad_values.uci"
		ow_run owrt_bad_values start
		b=$OW/owrt_bad_values
		if [ "$OW_RC" = 0 ]; then
			miss="$miss [$opt $val: start exited 0]"
		elif grep -q 'open_instance' "$b.procd"; then
			miss="$miss [$opt $val: an instance started]"
		elif ! grep -qF "$why" "$b.logger"; then
			miss="$miss [$opt $val: the log does not say \"$why\": $(head -c 200 "$b.logger")]"
		elif [ -e "$b.conf" ]; then
			miss="$miss [$opt $val: a settings file]"
		fi
	done
	# a value with a line break (UCI allows one in quotes) would add a
	# key of its own to the settings file: refused
	nl='
'
	got=$(sh -c '. "$OW/functions.sh"; . "$OW/procd.sh"; . "$1"
	    FWD_TMP=$2; fwd_put username "$3"; echo "$FWD_ERR"' sh \
	    "$ROOT/$OW_INIT" "$T/owrt_nl.conf" "jdoe${nl}pac = http://evil/")
	case $got in
	*"username has a line break"*)
		grep -q evil "$T/owrt_nl.conf" 2>/dev/null &&
		    miss="$miss [the line break reached the file]" ;;
	*) miss="$miss [a line break in username is not refused: $got]" ;;
	esac
	# and the proxy itself, should a bad value get through: exit 2
	# naming the key
	printf 'port = abc\n' >"$T/owrt_bad.conf"
	"$PROXY_BIN" --config "$T/owrt_bad.conf" >"$T/owrt_bad.out" 2>"$T/owrt_bad.err"
	rc=$?
	{ [ $rc = 2 ] && grep -q 'port' "$T/owrt_bad.err"; } ||
	    miss="$miss [proxy with port = abc: exit $rc, $(head -c 200 "$T/owrt_bad.err")]"
	if [ -n "$miss" ]; then
		fail owrt_bad_values "$miss"
		return
	fi
	pass owrt_bad_values
}

t_owrt_reload() {
	ow_stubs
	p1=$(freeport)
	p2=$(freeport)
	u=$OW/config/owrt_reload.uci
	mk_uci() {
		cat >"$u" <<EOF
config proxy
	list listen '127.0.0.1'
	option port '$1'
	option user '$(ow_user)'
	option log_level '$2'
EOF
	}
	mk_uci "$p1" info
	ow_run owrt_reload start
	d=$OW/owrt_reload
	if [ "$OW_RC" != 0 ] || [ ! -s "$d.procd.cmd" ]; then
		fail owrt_reload "start exited $OW_RC (anonymous section, enabled by default)"
		evidence "$d.err" 5
		return
	fi
	ow_start owrt_reload
	if ! waitport 127.0.0.1 "$p1" 10; then
		fail owrt_reload "not listening on $p1"
		evidence "$T/owrt_reload.err" 5
		ow_stop "$OWPID"
		return
	fi
	echo "$OWPID" >"$OW/owrt_reload.pid"
	# uci set port=p2; uci commit -> reload: new file, SIGHUP
	mk_uci "$p2" info
	OW_RUNNING=$OW/owrt_reload.pid ow_run owrt_reload reload
	miss=
	grep -qx 'send_signal fwdproxy' "$d.procd" || miss="$miss [no procd_send_signal]"
	ow_has owrt_reload "port = $p2" || miss="$miss [file not rewritten]"
	if ! waitport 127.0.0.1 "$p2" 10; then
		miss="$miss [not listening on $p2 after the reload]"
	fi
	alive "$OWPID" || miss="$miss [the proxy died]"
	# a bad value on reload: the running file and proxy stay
	mk_uci "$p1" loud
	OW_RUNNING=$OW/owrt_reload.pid ow_run owrt_reload reload
	[ "$OW_RC" != 0 ] || miss="$miss [bad reload exited 0]"
	grep -q 'send_signal\|open_service' "$d.procd" && miss="$miss [bad reload touched procd]"
	grep -q 'keeping the running instance' "$d.logger" || miss="$miss [bad reload not logged]"
	ow_has owrt_reload "port = $p2" || miss="$miss [bad reload changed the file]"
	alive "$OWPID" || miss="$miss [the proxy died after the bad reload]"
	ow_stop "$OWPID"
	if [ -n "$miss" ]; then
		fail owrt_reload "$miss"
		evidence "$T/owrt_reload.err" 8
		return
	fi
	pass owrt_reload
}
