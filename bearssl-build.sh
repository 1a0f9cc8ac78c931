#!/bin/sh
# bearssl-build.sh DIR: builds BearSSL for any $CC (a cross compiler
# too) from Debian's source package, into DIR/include and DIR/lib, for a
# TLS build of the proxy on a target Debian has no libbearssl-dev for:
#
#   CC=mips-linux-gnu-gcc sh bearssl-build.sh /tmp/bearssl-mips
#   make CC=mips-linux-gnu-gcc LDFLAGS="-static -L/tmp/bearssl-mips/lib" \
#       CPPFLAGS=-I/tmp/bearssl-mips/include TLS=1
#
# The source is fetched at build time with apt-get source under an apt
# configuration of its own in DIR (the host's sources and lists are not
# touched; needs Debian's apt and xz), or taken from $BEARSSL_SRC, an
# unpacked BearSSL tree. Nothing of it is committed to the project.
set -eu
dir=${1:?usage: CC=... sh bearssl-build.sh DIR}
CC=${CC:-cc}
CFLAGS=${CFLAGS:--Os}
AR=${AR:-$(echo "$CC" | sed -n 's/gcc$/ar/p')}
[ -n "$AR" ] && command -v "$AR" >/dev/null 2>&1 || AR=ar
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

fetch() {
	a=$dir/apt
	mkdir -p "$a/parts" "$a/lists/partial" "$a/cache/archives/partial" \
	    "$dir/src"
	printf '%s\n' 'Types: deb-src' 'URIs: http://deb.debian.org/debian' \
	    'Suites: bookworm' 'Components: main' \
	    'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg' \
	    >"$a/parts/bearssl-src.sources"
	printf '%s\n' 'Dir::Etc::SourceList "/dev/null";' \
	    "Dir::Etc::SourceParts \"$a/parts\";" \
	    "Dir::State::Lists \"$a/lists\";" "Dir::Cache \"$a/cache\";" \
	    >"$a/apt.conf"
	APT_CONFIG=$a/apt.conf apt-get update -qq
	(cd "$dir/src" && APT_CONFIG=$a/apt.conf apt-get source -qq \
	    --download-only bearssl)
	tarball=$(ls "$dir"/src/bearssl_*.orig.tar.* | head -n 1)
	(cd "$dir/src" && tar xf "$tarball")
}

if [ -z "${BEARSSL_SRC:-}" ]; then
	BEARSSL_SRC=$(ls -d "$dir"/src/bearssl-*/ 2>/dev/null | head -n 1)
	if [ -z "$BEARSSL_SRC" ]; then
		fetch
		BEARSSL_SRC=$(ls -d "$dir"/src/bearssl-*/ | head -n 1)
	fi
fi
[ -f "$BEARSSL_SRC/inc/bearssl.h" ] || {
	echo "bearssl-build.sh: no BearSSL source in $BEARSSL_SRC" >&2
	exit 1
}

# BearSSL's own Makefile wants its build tools for the host; the library
# is plain C99 with no configuration step, so each file is compiled here
mkdir -p "$dir/obj" "$dir/lib" "$dir/include"
rm -f "$dir"/obj/*.o
for c in "$BEARSSL_SRC"/src/*/*.c; do
	o=$dir/obj/$(basename "$(dirname "$c")")_$(basename "$c" .c).o
	# shellcheck disable=SC2086 (CFLAGS is a list of words)
	$CC $CFLAGS -I"$BEARSSL_SRC/inc" -I"$BEARSSL_SRC/src" -c -o "$o" "$c"
done
rm -f "$dir/lib/libbearssl.a"
"$AR" rcs "$dir/lib/libbearssl.a" "$dir"/obj/*.o
cp "$BEARSSL_SRC"/inc/*.h "$dir/include/"
echo "bearssl-build.sh: $dir/lib/libbearssl.a and $dir/include for $CC"
