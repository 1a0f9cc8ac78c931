#!/usr/bin/env python3
"""Failed lookups must not close another client's descriptor.

    fdleak.py PROXY_HOST PROXY_PORT ORIGIN_PORT ECHO_PORT

Against a proxy with ONE worker, in this order (the order that made a
stale close of descriptor 0 hand client A's pooled server connection to
client B's tunnel):

  1. client A connects and stays connected;
  2. a request for a name that does not exist gets its 502;
  3. A fetches /size/10 from the origin with keep-alive (its server
     connection goes to the idle pool);
  4. a second failed lookup gets its 502;
  5. client B opens a CONNECT tunnel to the byte-echo server;
  6. A sends a second request carrying a secret Authorization field;
  7. B sends its own bytes and must get back exactly those, never A's;
  8. A must get its own 200 with the right body; a third failed lookup
     gets its 502.

Prints "ok" and exits 0, or prints "FAIL why" and exits 1. Every socket
has a timeout, so it always ends.
"""

import socket
import sys
import time

SECRET = b"Authorization: Basic c2VjcmV0LW9mLWE="


def connect(host, port):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect((host, port))
    return s


def read_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def response(s):
    """(status, body) of one Content-Length response; body read whole."""
    head, rest = read_head(s)
    if not head:
        return None, b""
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for ln in lines[1:]:
        name, _, value = ln.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, rest


def failed_lookup(host, port, n):
    s = connect(host, port)
    try:
        s.sendall(b"GET http://nosuch%d.invalid/ HTTP/1.1\r\n"
                  b"Host: nosuch%d.invalid\r\n\r\n" % (n, n))
        status, _ = response(s)
    except OSError as e:
        return "failed lookup %d: %s" % (n, e)
    finally:
        s.close()
    if status != 502:
        return "failed lookup %d: status %s (want 502)" % (n, status)
    return None


def origin_get(s, oport, extra=b""):
    s.sendall(b"GET http://127.0.0.1:%d/size/10 HTTP/1.1\r\n"
              b"Host: 127.0.0.1:%d\r\n%s\r\n" % (oport, oport, extra))
    return response(s)


def check(host, port, oport, eport):
    a = connect(host, port)
    why = failed_lookup(host, port, 1)
    if why:
        return why
    status, body = origin_get(a, oport)
    if status != 200 or len(body) != 10:
        return "A's first request: status %s, %d bytes" % (status, len(body))
    why = failed_lookup(host, port, 2)
    if why:
        return why
    b = connect(host, port)
    b.sendall(b"CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
              % (eport, eport))
    head, early = read_head(b)
    if not head.startswith(b"HTTP/1.1 200"):
        return "B's CONNECT: %r" % head[:80]
    try:
        status, body = origin_get(a, oport, SECRET + b"\r\n")
    except OSError as e:
        status, body = None, str(e).encode()
    b.sendall(b"bytes of B")
    got = early
    deadline = time.time() + 2
    b.settimeout(0.3)
    while time.time() < deadline:
        try:
            chunk = b.recv(65536)
        except socket.timeout:
            if len(got) >= len(b"bytes of B"):
                break
            continue
        if not chunk:
            break
        got += chunk
    if b"secret" in got or b"c2VjcmV0" in got or b"GET " in got:
        return "A's request reached B's tunnel: %r" % got[:200]
    if got != b"bytes of B":
        return "B's tunnel echoed %r (want b'bytes of B')" % got[:200]
    if status != 200 or len(body) != 10:
        return "A's second request: status %s, %r" % (status, body[:80])
    why = failed_lookup(host, port, 3)
    if why:
        return why
    a.close()
    b.close()
    return None


def main():
    host, port, oport, eport = sys.argv[1], *map(int, sys.argv[2:5])
    try:
        why = check(host, port, oport, eport)
    except OSError as e:
        why = "socket error: %s" % e
    if why:
        print("FAIL " + why)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
