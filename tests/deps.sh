#!/bin/sh
# Installs the Debian packages the end-to-end tests use, if missing.
# As root: one `apt-get update`, then one `apt-get install -y`. Otherwise,
# or when apt fails, it says what is missing; tests.sh then skips the
# cases that need it (it checks each command itself). Always exits 0
# unless python3 or curl, which every case needs, are still missing.

# command -> Debian package
need="curl:curl python3:python3 nginx:nginx-light pgrep:procps ps:procps
openssl:openssl unshare:util-linux mount:mount timeout:coreutils
cntlm:cntlm microsocks:microsocks pactester:libpacparser-dev
pactester:python3-pacparser faketime:faketime ip:iproute2
bearssl.h:libbearssl-dev shellcheck:shellcheck testssl:testssl.sh
chromium:chromium certutil:libnss3-tools promtool:prometheus nft:nftables
haproxy:haproxy wget:wget git:git dpkg-scanpackages:dpkg-dev fcgiwrap:fcgiwrap
gssapi.h:libkrb5-dev krb5kdc:krb5-kdc kadmin.local:krb5-admin-server
kinit:krb5-user squid:squid"
# (bearssl.h: a header, not a command: the TLS build, make TLS=1, and the
# TLS cases need it; a build made before it was installed has no TLS and
# those cases skip; shellcheck: owrt_shell lints the OpenWrt init script;
# testssl, chromium and certutil: the real TLS clients of e2e_tlsclients.sh;
# chromium also loads /status and promtool checks /metrics: e2e_web.sh;
# wget, git, dpkg-scanpackages (a flat apt repository) and fcgiwrap
# (git's smart HTTP behind nginx): the real clients of e2e_clients.sh;
# gssapi.h: a header, for make GSSAPI=1; krb5kdc, kadmin.local, kinit and
# squid (with negotiate_kerberos_auth): the test realm and the Kerberos
# parent of e2e_negotiate.sh)
# python module -> Debian package (for the system python3: the cases that
# need one look for it there too)
need_py="aiohttp:python3-aiohttp requests:python3-requests socks:python3-socks
gssapi:python3-gssapi"

missing_pkgs=
missing_cmds=
for pair in $need; do
	cmd=${pair%%:*}
	pkg=${pair#*:}
	if [ "$cmd" = bearssl.h ]; then
		[ -f /usr/include/bearssl.h ] && continue
	elif [ "$cmd" = gssapi.h ]; then
		[ -f /usr/include/gssapi/gssapi.h ] && continue
	elif [ "$cmd" = nginx ] && { [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1; }; then
		continue
	elif [ "$cmd" = fcgiwrap ] && [ -x /usr/sbin/fcgiwrap ]; then
		continue
	elif command -v "$cmd" >/dev/null 2>&1; then
		continue
	fi
	missing_cmds="$missing_cmds $cmd"
	case " $missing_pkgs " in
	*" $pkg "*) ;;
	*) missing_pkgs="$missing_pkgs $pkg" ;;
	esac
done

for pair in $need_py; do
	mod=${pair%%:*}
	pkg=${pair#*:}
	for py in python3 /usr/bin/python3; do
		"$py" -c "import $mod" >/dev/null 2>&1 && continue 2
	done
	missing_cmds="$missing_cmds python3:$mod"
	missing_pkgs="$missing_pkgs $pkg"
done

if [ -z "$missing_pkgs" ]; then
	echo "deps: all present"
	exit 0
fi

echo "deps: missing commands:$missing_cmds (packages:$missing_pkgs)"
if [ "$(id -u)" != 0 ]; then
	echo "deps: not root, cannot install; cases needing them will skip"
elif ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: no apt-get; cases needing them will skip"
else
	export DEBIAN_FRONTEND=noninteractive
	if apt-get update -qq >/dev/null 2>&1 &&
	    apt-get install -y -qq --no-install-recommends $missing_pkgs \
	    >/dev/null 2>&1; then
		echo "deps: installed:$missing_pkgs"
	else
		# one package may be unknown (nginx-light is gone from newer
		# Debian): try them one at a time, nginx as a fallback
		for p in $missing_pkgs; do
			apt-get install -y -qq --no-install-recommends "$p" \
			    >/dev/null 2>&1 && continue
			if [ "$p" = nginx-light ] && apt-get install -y -qq \
			    --no-install-recommends nginx >/dev/null 2>&1; then
				continue
			fi
			echo "deps: could not install $p"
		done
	fi
fi

rc=0
for c in curl python3; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "deps: $c is still missing: the end-to-end cases cannot run"
		rc=1
	fi
done
exit $rc
