#!/usr/bin/env python3
"""A byte-level SOCKS client for the SOCKS cases of tests.sh (Python 3
standard library only). Every socket has a timeout, so each command ends
on its own.

    socksclient.py talk HOST PORT STEP...
        one connection; each STEP is "send:HEX" (bytes out), "read:N"
        (N bytes in, printed as "recv HEX"), "get:HOST:PORT:PATH" (an
        HTTP/1.0 GET through the tunnel; prints "http STATUS LEN SHA256"),
        "shut" (half-close) or "stall:S"; then reads to EOF (at most 5 s)
        and prints "rest HEX" and "eof yes|no"
    socksclient.py connect HOST PORT VERSION TARGET TPORT [USER PASS]
        a whole handshake, VERSION 5h (a name), 5 (an address: TARGET is
        an IPv4 or IPv6 literal), 4 or 4a; prints "reply N" with the
        reply code (or "noreply WHY"), then on success GETs /size/1000
        and prints "http STATUS LEN SHA256"
    socksclient.py prefixes HOST PORT MODE TIMEOUT HEX...
        for every prefix of the HEX messages sent one after another
        (each message's replies are read before the next goes, as a
        client would), from the empty one to all but the last byte: one
        connection each, all at once, that sends its prefix and then
        closes its writing (MODE close) or sends nothing more (MODE
        stall); prints "closed N of M within S s" with the slowest close,
        or the prefixes still open after TIMEOUT seconds
"""

import hashlib
import socket
import sys
import time


def connect(host, port, timeout=10):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host.strip("[]"), int(port)))
    return s


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        d = s.recv(n - len(data))
        if not d:
            break
        data += d
    return data


def read_rest(s, limit=5.0):
    s.settimeout(limit)
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return data, True
            data += d
    except socket.timeout:
        return data, False
    except OSError:
        return data, True


def http_get(s, host, port, path):
    s.sendall(("GET %s HTTP/1.0\r\nHost: %s:%s\r\n\r\n" % (path, host, port))
              .encode())
    data, _ = read_rest(s, 10)
    head, _, body = data.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        status = 0
    return "http %d %d %s" % (status, len(body),
                              hashlib.sha256(body).hexdigest())


def cmd_talk(a):
    s = connect(a[0], a[1])
    for step in a[2:]:
        kind, _, arg = step.partition(":")
        if kind == "send":
            s.sendall(bytes.fromhex(arg))
        elif kind == "read":
            print("recv " + recv_exact(s, int(arg)).hex())
        elif kind == "get":
            h, p, path = arg.split(":", 2)
            print(http_get(s, h, p, path))
        elif kind == "shut":
            s.shutdown(socket.SHUT_WR)
        elif kind == "stall":
            time.sleep(float(arg))
        sys.stdout.flush()
    rest, eof = read_rest(s)
    print("rest " + rest.hex())
    print("eof " + ("yes" if eof else "no"))
    return 0


def request5(target, port, name):
    b = bytes([5, 1, 0])
    if name:
        t = target.encode()
        b += bytes([3, len(t)]) + t
    elif ":" in target:
        b += bytes([4]) + socket.inet_pton(socket.AF_INET6, target)
    else:
        b += bytes([1]) + socket.inet_aton(target)
    return b + int(port).to_bytes(2, "big")


def request4(target, port, name):
    b = bytes([4, 1]) + int(port).to_bytes(2, "big")
    if name:
        return b + bytes([0, 0, 0, 1]) + b"test\0" + target.encode() + b"\0"
    return b + socket.inet_aton(target) + b"test\0"


def cmd_connect(a):
    host, port, ver, target, tport = a[:5]
    user = a[5] if len(a) > 6 else None
    pw = a[6] if len(a) > 6 else None
    s = connect(host, port)
    if ver.startswith("5"):
        s.sendall(bytes([5, 1, 2 if user else 0]))
        sel = recv_exact(s, 2)
        if len(sel) < 2 or sel[1] == 0xff:
            print("noreply method %s" % sel.hex())
            return 0
        if sel[1] == 2:
            u, p = user.encode(), pw.encode()
            s.sendall(bytes([1, len(u)]) + u + bytes([len(p)]) + p)
            st = recv_exact(s, 2)
            if len(st) < 2 or st[1] != 0:
                print("noreply login %s" % st.hex())
                return 0
        s.sendall(request5(target, tport, ver == "5h"))
        r = recv_exact(s, 4)
        if len(r) < 4:
            print("noreply closed after %s" % r.hex())
            return 0
        alen = {1: 4, 4: 16}.get(r[3], 0)
        if r[3] == 3:
            alen = 1 + recv_exact(s, 1)[0]
        recv_exact(s, alen + 2)
        print("reply %d" % r[1])
        ok = r[1] == 0
    else:
        s.sendall(request4(target, tport, ver == "4a"))
        r = recv_exact(s, 8)
        if len(r) < 8:
            print("noreply closed after %s" % r.hex())
            return 0
        print("reply %d" % r[1])
        ok = r[1] == 90
    sys.stdout.flush()
    if ok:
        print(http_get(s, target, tport, "/size/1000"))
    return 0


def cmd_prefixes(a):
    import select
    host, port, mode, timeout = a[0], a[1], a[2], float(a[3])
    msgs = [bytes.fromhex(h) for h in a[4:]]
    whole = b"".join(msgs)
    # where each message starts: a connection holding a prefix past a
    # message's end reads the replies to it before sending on
    conns = []
    for n in range(len(whole)):
        s = connect(host, port)
        s.setblocking(True)
        sent, done = 0, 0
        for m in msgs:
            take = min(len(m), n - sent)
            if take <= 0:
                break
            s.sendall(m[:take])
            sent += take
            if take < len(m):
                break
            # a whole message: its reply comes first (it may be all a
            # refusal says); read what is there without waiting long
            s.settimeout(0.5)
            try:
                s.recv(64)
            except OSError:
                pass
            done += 1
        if mode == "close":
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        conns.append((n, s, time.monotonic()))
    left = {s.fileno(): (n, s, t0) for n, s, t0 in conns}
    slowest = 0.0
    deadline = time.monotonic() + timeout
    while left and time.monotonic() < deadline:
        r, _, _ = select.select(list(left), [], [], 0.1)
        for fd in r:
            n, s, t0 = left[fd]
            try:
                d = s.recv(65536)
            except OSError:
                d = b""
            if d:
                continue
            slowest = max(slowest, time.monotonic() - t0)
            del left[fd]
            s.close()
    if left:
        print("open after %.1f s: prefixes %s" % (
            timeout, ",".join(str(v[0]) for v in sorted(left.values(),
                                                         key=lambda v: v[0]))))
        return 0
    print("closed %d of %d within %.1f s" % (len(conns), len(conns), slowest))
    return 0


def main():
    cmds = {"talk": cmd_talk, "connect": cmd_connect,
            "prefixes": cmd_prefixes}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__)
        return 2
    try:
        return cmds[sys.argv[1]](sys.argv[2:])
    except OSError as e:
        print("error %s" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
