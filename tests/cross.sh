#!/bin/sh
# tests/cross.sh ARCH [smoke]: the proxy cross-built for ARCH (mips,
# mipsel, armhf, aarch64) with Debian's cross compilers, static, and its
# unit tests and end-to-end suite run under qemu-user: `make test-cross
# ARCH=mips`. "smoke" runs the unit tests and a short list of cases (for
# .ci/run). Nothing on the host changes: no binfmt; the proxy runs
# through a PROXY_BIN wrapper that calls qemu-ARCH-static, the unit tests
# through TESTS_RUN.
#
# The build happens in a copy of the tree (tests/tmp/cross-ARCH), so the
# native build in the tree stays as it is. TLS: with CROSS_TLS=1 (the
# default for mips) BearSSL is built for the target by bearssl-build.sh
# into tests/tmp/bearssl-ARCH, once; CROSS_TLS=0 builds without.
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
arch=${1:-mips}
mode=${2:-full}

case $arch in
mips)	triple=mips-linux-gnu qemu=mips ;;
mipsel)	triple=mipsel-linux-gnu qemu=mipsel ;;
armhf)	triple=arm-linux-gnueabihf qemu=arm ;;
aarch64) triple=aarch64-linux-gnu qemu=aarch64 ;;
*)	echo "cross: ARCH=$arch: one of mips, mipsel, armhf, aarch64" >&2
	exit 2 ;;
esac
cc=$triple-gcc
qemu_bin=qemu-$qemu-static

# the toolchain and qemu, from Debian, as the suite's other needs are
need=
command -v "$cc" >/dev/null 2>&1 || need="$need gcc-$triple"
command -v "$qemu_bin" >/dev/null 2>&1 || need="$need qemu-user-static"
if [ -n "$need" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "cross: installing$need"
		[ -f /tmp/.proxy-apt-updated ] ||
		    { apt-get update -qq && touch /tmp/.proxy-apt-updated; }
		# shellcheck disable=SC2086 (a list of packages)
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		    --no-install-recommends $need >/dev/null ||
		    { echo "cross: cannot install$need" >&2; exit 1; }
	else
		echo "cross: missing$need (not root: cannot install)" >&2
		exit 1
	fi
fi

b=$ROOT/tests/tmp/cross-$arch
mkdir -p "$b"
# the sources, the suite and its helpers; not the native objects
cp ./*.c ./*.h ./*.sh Makefile proxy.1 "$b/"
rm -rf "$b/tests" "$b/contrib"
mkdir -p "$b/tests"
cp -R tests/*.sh tests/*.py tests/*.c tests/*.h tests/pac "$b/tests/"
[ -d contrib ] && cp -R contrib "$b/"

tls=${CROSS_TLS:-}
[ -z "$tls" ] && { [ "$arch" = mips ] && tls=1 || tls=0; }
set -- CC="$cc" LDFLAGS=-static TLS=0
if [ "$tls" = 1 ]; then
	bs=$ROOT/tests/tmp/bearssl-$arch
	if [ ! -f "$bs/lib/libbearssl.a" ]; then
		echo "cross: building BearSSL for $arch (bearssl-build.sh)"
		CC=$cc sh ./bearssl-build.sh "$bs" >"$b/bearssl.log" 2>&1 || {
			tail -n 5 "$b/bearssl.log" >&2
			echo "cross: BearSSL for $arch failed" >&2
			exit 1
		}
	fi
	set -- CC="$cc" LDFLAGS="-static -L$bs/lib" CPPFLAGS="-I$bs/include" \
	    TLS=1
fi
echo "cross: building for $arch with $cc ($*)"
# glibc warns that a static getaddrinfo needs its shared libraries at run
# time; under qemu-user they are found through QEMU_LD_PREFIX below
if ! (cd "$b" && make -j2 "$@" all unit >build.log 2>&1); then
	tail -n 20 "$b/build.log" >&2
	echo "cross: the $arch build failed" >&2
	exit 1
fi
file "$b/proxy" 2>/dev/null | sed 's/^/cross: /'

cat >"$b/proxy-qemu" <<EOF
#!/bin/sh
QEMU_LD_PREFIX=/usr/$triple exec $qemu_bin "$b/proxy" "\$@"
EOF
chmod +x "$b/proxy-qemu"
"$b/proxy-qemu" --version | sed 's/^/cross: /'

export PROXY_BIN="$b/proxy-qemu" TESTS_RUN="$qemu_bin" \
    QEMU_LD_PREFIX=/usr/$triple PROXY_QEMU=$arch TESTS_UNIT_TIMEOUT=900
# the suite runs the tree's make for the unit tests: the same flags
# (MAKEFLAGS: a space inside a value is escaped with a backslash)
mf=
for a in "$@"; do
	mf="$mf $(printf '%s' "$a" | sed 's/ /\\ /g')"
done
export MAKEFLAGS="${mf# }"
if [ "$mode" = smoke ]; then
	TESTS_QUICK=1 TESTS_ONLY=${CROSS_CASES:-"get_length get_chunked head post_chunked
keepalive_client upstream_pool connect_echo websocket dns_name pac_route
parent_ntlmv2 parent_basic tls_get tlsu_origin icpt_get"} \
	    exec sh "$b/tests.sh"
fi
TESTS_QUICK=1 exec sh "$b/tests.sh"
