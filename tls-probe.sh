#!/bin/sh
# tls-probe.sh MODE: decides whether ./proxy is built with BearSSL, for
# the Makefile. MODE is auto (use it when found), 1 (required) or 0 (off).
# Found means: a program that includes <bearssl.h> and calls into it
# compiles and links with the user's $CC, $CFLAGS and $LDFLAGS. It is
# never run, so a cross build decides by its own toolchain.
#
# Writes tls_config.h (HAVE_BEARSSL or not) and tls.lib (what to link),
# each only when it changes, so a build that decides the same again
# rebuilds nothing; says the decision in one line.
mode=${1:-auto}
CC=${CC:-cc}
tmp=${TMPDIR:-/tmp}/proxy-tls-probe.$$
trap 'rm -f "$tmp.c" "$tmp.out"' EXIT INT TERM

have=0
case $mode in
0) why="TLS=0" ;;
1|auto)
	cat >"$tmp.c" <<'PROBE'
#include <bearssl.h>
int main(void) { br_ssl_server_context sc; br_ssl_server_zero(&sc); return 0; }
PROBE
	# shellcheck disable=SC2086 (the flags are lists of words)
	if $CC $CFLAGS -o "$tmp.out" "$tmp.c" $LDFLAGS -lbearssl \
	    >/dev/null 2>&1; then
		have=1
	elif [ "$mode" = 1 ]; then
		echo "tls: TLS=1 but BearSSL was not found: <bearssl.h> and" \
		    "-lbearssl must compile and link with $CC (Debian:" \
		    "apt-get install libbearssl-dev)" >&2
		exit 1
	else
		why="BearSSL not found (Debian: libbearssl-dev)"
	fi
	;;
*)
	echo "tls: TLS=$mode: use TLS=0, TLS=1 or leave it unset" >&2
	exit 1
	;;
esac

if [ $have = 1 ]; then
	h='#define HAVE_BEARSSL 1'
	l=-lbearssl
	echo "tls: building with TLS (BearSSL)"
else
	h='/* built without TLS */'
	l=
	echo "tls: building without TLS: $why"
fi
# only a change touches the files
[ -f tls_config.h ] && [ "$(cat tls_config.h)" = "$h" ] ||
    echo "$h" >tls_config.h
[ -f tls.lib ] && [ "$(cat tls.lib)" = "$l" ] || echo "$l" >tls.lib
exit 0
