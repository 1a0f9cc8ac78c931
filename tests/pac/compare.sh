#!/bin/sh
# Runs the corpus expectations through pacparser (Debian's
# python3-pacparser), an independent PAC implementation, and reports
# where it agrees. Skips, saying so, when pacparser or namespaces are not
# available.
#
# pacparser resolves names for real. So that it sees the same table as
# pac_run and no query can leave the machine, it runs in new network and
# mount namespaces (unshare -n -m: no interface but a down loopback) with
# the table bind-mounted on /etc/hosts. Nothing on the host changes.
#
# pacparser reads the system clock: with libfaketime (Debian's faketime)
# preloaded, the clock follows the .expect file's "#time" lines and the
# time zone is UTC, as for pac_run; without it time_* files are skipped.
# Not compared: files whose .expect starts with a "#nocompare-file" line,
# and any line after a "#nocompare" line (known differences, see README;
# pacparser's date helpers, for one, have no wrap-around).
#
# usage: tests/pac/compare.sh [FILE.pac ...]
# Prints "N passed, N failed" (passed = pacparser agrees); exits non-zero
# if pacparser disagrees with any compared line.

dir=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3

if ! [ -x "$py" ] || ! "$py" -c 'import pacparser' 2>/dev/null; then
	echo "compare.sh: pacparser is not installed" \
	    "(apt-get install python3-pacparser): skipped"
	exit 0
fi
if ! unshare -n -m true 2>/dev/null; then
	echo "compare.sh: cannot make namespaces (unshare -n -m needs root):" \
	    "skipped"
	exit 0
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
# /etc/hosts wants "address name"
awk '!/^#/ && NF == 2 { print $2, $1 }' "$dir/hosts" > "$tmp/hosts"
cat > "$tmp/compare.py" <<'EOF'
import glob, os, sys, time
import pacparser

DEFAULT_TIME = 1710498600
faked = os.environ.get("COMPARE_FAKETIME") == "1"

def set_clock(epoch):
    # libfaketime, preloaded, reads this on every clock call
    os.environ["FAKETIME"] = time.strftime("%Y-%m-%d %H:%M:%S",
                                           time.gmtime(epoch))

def run(pac, expect, stats):
    pacparser.init()
    pacparser.enable_microsoft_extensions()
    # pacparser 1.3.6 calls only FindProxyForURL; newer ones prefer
    # FindProxyForURLEx, as this interpreter does
    src = open(pac, encoding="utf-8", errors="replace").read()
    src += ("\nif (typeof FindProxyForURLEx == 'function')"
            " FindProxyForURL = FindProxyForURLEx;\n")
    try:
        pacparser.parse_pac_string(src)
    except Exception as e:
        print("FAIL %s: pacparser cannot load it: %s" % (pac, e))
        stats[1] += 1
        pacparser.cleanup()
        return
    skip = False
    set_clock(DEFAULT_TIME)
    for n, line in enumerate(open(expect), 1):
        line = line.rstrip("\r\n")
        if line.startswith("#time "):
            set_clock(int(line[6:]))
            continue
        if line == "#nocompare":
            skip = True
            continue
        if not line or line.startswith("#"):
            continue
        if skip:
            skip = False
            stats[2] += 1
            continue
        url, host, ip, want = line.split("\t", 3)
        pacparser.setmyip("127.0.0.1" if ip == "-" else ip)
        try:
            got = pacparser.find_proxy(url, host)
        except Exception as e:
            got = "ERROR"
        if got is None:
            got = "ERROR"
        if got == want:
            stats[0] += 1
        else:
            stats[1] += 1
            print("FAIL %s:%d: %s %s: pacparser \"%s\", corpus \"%s\"" %
                  (expect, n, url, host, got, want))
    pacparser.cleanup()

stats = [0, 0, 0]
files = sys.argv[2:] or sorted(glob.glob(os.path.join(sys.argv[1], "*.pac")))
compared = skipped = 0
for pac in files:
    expect = pac[:-4] + ".expect"
    first = open(expect).readline()
    if (os.path.basename(pac).startswith("time_") and not faked) or \
       first.startswith("#nocompare-file"):
        skipped += 1
        continue
    compared += 1
    run(pac, expect, stats)
print("compare.sh: %d files compared, %d skipped, %d lines skipped as "
      "known differences" % (compared, skipped, stats[2]))
print("%d passed, %d failed" % (stats[0], stats[1]))
sys.exit(1 if stats[1] else 0)
EOF
# With libfaketime (Debian's faketime) the clock is set per line, so the
# time_* files are compared too; without it they are skipped.
ft=
for f in /usr/lib/*/faketime/libfaketime.so.1 /usr/lib/faketime/libfaketime.so.1; do
	[ -f "$f" ] && ft=$f && break
done
if [ -z "$ft" ]; then
	echo "compare.sh: no libfaketime (apt-get install faketime):" \
	    "time_* files skipped"
fi
# pacparser prints its own complaints on stderr; keep them
TZ=UTC0 FAKETIME_NO_CACHE=1 COMPARE_FAKETIME=${ft:+1} \
    unshare -n -m sh -c '
	mount --bind "$1" /etc/hosts || exit 1
	shift
	if [ -n "$1" ]; then
		LD_PRELOAD=$1 FAKETIME="2024-03-15 10:30:00"
		export LD_PRELOAD FAKETIME
	fi
	shift
	exec "$@"' sh "$tmp/hosts" "$ft" "$py" "$tmp/compare.py" "$dir" "$@"
