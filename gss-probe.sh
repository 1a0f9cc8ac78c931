#!/bin/sh
# gss-probe.sh MODE: decides whether ./proxy is built with Kerberos
# (GSSAPI), for the Makefile. MODE is 0 (off, the default) or 1
# (required). Found means: a program that includes <gssapi/gssapi.h> and
# <gssapi/gssapi_ext.h> and calls gss_export_cred (MIT krb5 1.10 or later)
# compiles and links with the user's $CC, $CFLAGS and $LDFLAGS, plus what
# krb5-config (or pkg-config krb5-gssapi) says when there is one, else
# -lgssapi_krb5. It is never run, so a cross build decides by its own
# toolchain.
#
# Writes gss.cflags (for gss.c alone) and gss.lib (what to link), each
# only when it changes; says the decision in one line.
mode=${1:-0}
CC=${CC:-cc}
tmp=${TMPDIR:-/tmp}/proxy-gss-probe.$$
trap 'rm -f "$tmp.c" "$tmp.out"' EXIT INT TERM

c=
l=
case $mode in
0)
	echo "gssapi: building without Kerberos (make GSSAPI=1 adds it)"
	;;
1)
	if command -v krb5-config >/dev/null 2>&1; then
		c=$(krb5-config --cflags gssapi)
		l=$(krb5-config --libs gssapi)
	elif pkg-config --exists krb5-gssapi 2>/dev/null; then
		c=$(pkg-config --cflags krb5-gssapi)
		l=$(pkg-config --libs krb5-gssapi)
	else
		l=-lgssapi_krb5
	fi
	cat >"$tmp.c" <<'PROBE'
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>
int main(void) { OM_uint32 m; gss_buffer_desc b;
	return (int)gss_export_cred(&m, GSS_C_NO_CREDENTIAL, &b); }
PROBE
	# shellcheck disable=SC2086 (the flags are lists of words)
	if ! $CC $CFLAGS $c -o "$tmp.out" "$tmp.c" $LDFLAGS $l \
	    >/dev/null 2>&1; then
		echo "gssapi: GSSAPI=1 but MIT Kerberos was not found:" \
		    "<gssapi/gssapi.h> and -lgssapi_krb5 must compile and" \
		    "link with $CC (Debian: apt-get install libkrb5-dev)" >&2
		exit 1
	fi
	echo "gssapi: building with Kerberos (GSSAPI)"
	;;
*)
	echo "gssapi: GSSAPI=$mode: use GSSAPI=0 or GSSAPI=1" >&2
	exit 1
	;;
esac
# only a change touches the files
[ -f gss.cflags ] && [ "$(cat gss.cflags)" = "$c" ] || echo "$c" >gss.cflags
[ -f gss.lib ] && [ "$(cat gss.lib)" = "$l" ] || echo "$l" >gss.lib
exit 0
