#!/bin/sh
# certs.sh: certificates through ./proxy itself (no openssl needed, on a
# router too), for the Makefile's targets of the same names (proxy.py's):
#
#   sh certs.sh ca-certificates     ca-key.pem, ca-cert.pem and
#                                   ca-signing-key.pem in DIR
#   sh certs.sh https-certificates  https-key.pem and https-cert.pem in
#                                   DIR for $HTTPS_HOST (default
#                                   localhost), signed by DIR's CA when
#                                   ca-cert.pem and ca-key.pem are
#                                   there, else self-signed
#
# DIR is $CERTS_DIR, default the directory of this script. Existing keys
# are kept (exit 1) unless FORCE=1. PROXY is the binary (default ./proxy
# beside this script). KEY_TYPE=rsa makes RSA-2048 keys (default ec).
set -u
here=$(cd "$(dirname "$0")" && pwd) || exit 2
PROXY=${PROXY:-$here/proxy}
dir=${CERTS_DIR:-$here}
host=${HTTPS_HOST:-localhost}
set --  "${1:-}" --key-type "${KEY_TYPE:-ec}"
[ "${FORCE:-0}" = 1 ] && set -- "$@" --force

if [ ! -x "$PROXY" ]; then
	echo "certs.sh: $PROXY is not built (run make)" >&2
	exit 2
fi

case $1 in
ca-certificates)
	shift
	exec "$PROXY" --gen-ca "$dir" "$@"
	;;
https-certificates)
	shift
	if [ -f "$dir/ca-cert.pem" ] && [ -f "$dir/ca-key.pem" ]; then
		set -- "$@" --ca-cert-file "$dir/ca-cert.pem" \
		    --ca-key-file "$dir/ca-key.pem"
	fi
	exec "$PROXY" --gen-cert "$host" --key-file "$dir/https-key.pem" \
	    --cert-file "$dir/https-cert.pem" "$@"
	;;
*)
	echo "usage: sh certs.sh ca-certificates|https-certificates" >&2
	exit 2
	;;
esac
