#!/usr/bin/env python3
"""mancheck.py HELP_FILE MAN_FILE: proxy.1 is in step with --help.

Every flag of --help has an entry in the OPTIONS section of proxy.1 with
the same default, and every entry there is a flag of --help. Prints one
line per difference and exits 1, or prints "ok"."""

import re
import sys


def help_flags(text):
    """{flag: default or None} from proxy --help."""
    flags = {}
    for line in text.split("\n"):
        m = re.match(r"^  (--[a-z0-9-]+)\b(.*)$", line)
        if not m:
            continue
        d = re.search(r" \(default: (.*)\)(; also --[a-z-]+)?$", m.group(2))
        flags[m.group(1)] = d.group(1) if d else None
    return flags


def man_flags(text):
    """{flag: default or None} from the .TP entries of OPTIONS."""
    sect = text.split(".SH OPTIONS", 1)[1].split("\n.SH ", 1)[0]
    flags = {}
    for entry in sect.split(".TP\n")[1:]:
        head, _, body = entry.partition("\n")
        m = re.match(r'^\.BI? "?((?:\\-){2}[a-z0-9\\-]+)', head)
        if not m:
            continue
        flag = m.group(1).replace("\\-", "-")
        d = re.search(r" Default: (.*)\.$", body.replace("\n", " ").strip())
        flags[flag] = d.group(1).replace("\\-", "-").replace("\\e", "\\") \
            if d else None
    return flags


def main():
    helped = help_flags(open(sys.argv[1]).read())
    manned = man_flags(open(sys.argv[2]).read())
    bad = []
    for f, d in helped.items():
        if f not in manned:
            bad.append("%s is in --help but not in proxy.1" % f)
        elif manned[f] != d:
            bad.append("%s: default '%s' in --help, '%s' in proxy.1" %
                       (f, d, manned[f]))
    for f in manned:
        if f not in helped:
            bad.append("%s is in proxy.1 but not in --help" % f)
    for b in bad:
        print(b)
    if not bad:
        print("ok")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
