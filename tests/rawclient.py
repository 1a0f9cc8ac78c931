#!/usr/bin/env python3
"""Raw-socket clients for cases of tests.sh (stops, the access log,
descriptor isolation).

    rawclient.py hold PHOST PPORT ECHOPORT SECONDS
        opens a CONNECT tunnel to the byte-echo server, checks one echo,
        prints "ready", then waits until the proxy closes the tunnel or
        SECONDS pass; prints "closed" or "timeout"
    rawclient.py probe PHOST PPORT URL
        one GET through the proxy: prints "refused" (connection refused),
        "status N" (answered), or "silent WHY" (accepted, then nothing or
        a reset: a client lost in a closing listener's queue)
    rawclient.py partial PHOST PPORT URL NBYTES
        GETs URL, reads the head and NBYTES of the body, then closes;
        prints "read N"

    rawclient.py isolation PHOST PPORT ORIGINPORT ECHOPORT
        against a proxy with ONE worker: client A keeps a keep-alive
        connection (its server connection pooled), failed lookups come
        between, client B opens a tunnel to the echo server; nothing of
        A's request may reach B (the fd 0 bug); prints "ok" or "FAIL why"

    rawclient.py early-connect PPORT ORIGINPORT CAFILE PATH
        CONNECT localhost:ORIGINPORT with the TLS ClientHello in the same
        send (before the 200), then GET PATH inside TLS verified with
        CAFILE; prints "connect <status line>", "status <status line>"
        and "body <length> <sha256>"

Every socket has a timeout, so each command ends on its own.
"""

import socket
import sys
import time


def connect(host, port, timeout=5):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, int(port)))
    return s


def read_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            raise EOFError("closed after %d bytes" % len(data))
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def get_request(url):
    hostport = url.split("/")[2]
    return ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (url, hostport)).encode()


SECRET = b"Authorization: Basic c2VjcmV0LW9mLWE="


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


def cmd_isolation(phost, pport, oport, eport):
    try:
        why = check(phost, int(pport), int(oport), int(eport))
    except (OSError, EOFError) as e:
        why = "socket error: %s" % e
    print("FAIL " + why if why else "ok")
    return 1 if why else 0


def cmd_hold(phost, pport, eport, seconds):
    s = connect(phost, pport)
    s.sendall(b"CONNECT 127.0.0.1:%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
              % eport.encode())
    head, rest = read_head(s)
    if not head.startswith(b"HTTP/1.1 200"):
        print("refused %r" % head[:60])
        return 1
    s.sendall(b"ping")
    while len(rest) < 4:
        rest += s.recv(100)
    print("ready", flush=True)
    s.settimeout(0.2)
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        try:
            if not s.recv(100):
                print("closed", flush=True)
                return 0
        except socket.timeout:
            continue
        except OSError:
            print("closed", flush=True)
            return 0
    print("timeout", flush=True)
    return 0


def cmd_probe(phost, pport, url):
    try:
        s = connect(phost, pport, timeout=3)
    except ConnectionRefusedError:
        print("refused")
        return 0
    except OSError as e:
        print("silent connect: %s" % e)
        return 0
    try:
        s.sendall(get_request(url))
        head, _ = read_head(s)
        print("status %s" % head.split(b" ")[1].decode())
    except (OSError, EOFError, IndexError) as e:
        print("silent %s" % e)
    s.close()
    return 0


def cmd_partial(phost, pport, url, nbytes):
    s = connect(phost, pport)
    s.sendall(get_request(url))
    _, got = read_head(s)
    n = len(got)
    while n < int(nbytes):
        chunk = s.recv(min(65536, int(nbytes) - n))
        if not chunk:
            break
        n += len(chunk)
    s.close()
    print("read %d" % n)
    return 0


def mitm_connect(pport, oport, ca, alpn=None):
    """A CONNECT to localhost:oport through the proxy, then TLS inside
    it verified against the CA file ca (the proxy's, when it
    intercepts)."""
    import ssl
    s = connect("127.0.0.1", pport, timeout=10)
    s.sendall(("CONNECT localhost:%s HTTP/1.1\r\nHost: localhost:%s\r\n\r\n"
               % (oport, oport)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    ctx = ssl.create_default_context(cafile=ca)
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx.wrap_socket(s, server_hostname="localhost")


def read_all(t, want=None):
    data = b""
    while want is None or len(data) < want:
        b = t.recv(65536)
        if not b:
            break
        data += b
    return data


def cmd_mitm_get(pport, oport, ca, path):
    """One GET of path through an intercepted CONNECT: the ALPN chosen,
    the status line and the body's length."""
    t = mitm_connect(pport, oport, ca, ["h2", "http/1.1"])
    t.sendall(b"GET %s HTTP/1.1\r\nHost: localhost\r\n"
              b"Connection: close\r\n\r\n" % path.encode())
    data = read_all(t)
    print("alpn", t.selected_alpn_protocol())
    print("status", data.split(b"\r\n", 1)[0].decode())
    print("body", len(data.split(b"\r\n\r\n", 1)[1]))
    return 0


def cmd_mitm_relay(pport, oport, ca):
    """Bytes that are not HTTP through an intercepted CONNECT to a TLS
    echo server: they come back the same."""
    t = mitm_connect(pport, oport, ca)
    out = b"\x00\x01 not http\r\n\r\n" + bytes(range(256)) * 400
    t.sendall(out)
    got = read_all(t, len(out))
    print("echo", "same" if got == out else
          "differs (%d of %d bytes)" % (len(got), len(out)))
    return 0


def cmd_early_connect(pport, oport, ca, path):
    """A CONNECT to localhost:oport with the TLS ClientHello in the same
    send, before the proxy's 200 (a "pipelined" CONNECT, as some clients
    do), then one GET of path inside the TLS session verified against
    the CA file ca: prints the CONNECT's status line, "status" and the
    body's length and SHA-256."""
    import hashlib
    import ssl
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["http/1.1"])
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(inc, out, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = out.read()
    s = connect("127.0.0.1", pport, timeout=10)
    s.sendall(("CONNECT localhost:%s HTTP/1.1\r\nHost: localhost:%s\r\n"
               "\r\n" % (oport, oport)).encode() + hello)
    head, rest = read_head(s)
    print("connect", head.split(b"\r\n", 1)[0].decode())
    inc.write(rest)

    def turn(op):
        """Runs op on the TLS object, moving records to and from s."""
        while True:
            wait = False
            try:
                r = op()
            except ssl.SSLWantReadError:
                wait = True
            data = out.read()
            if data:
                s.sendall(data)
            if not wait:
                return r
            chunk = s.recv(65536)
            if not chunk:
                inc.write_eof()
                try:
                    return op()
                except ssl.SSLError:
                    return b""
            inc.write(chunk)

    turn(tls.do_handshake)
    turn(lambda: tls.write(b"GET %s HTTP/1.1\r\nHost: localhost\r\n"
                           b"Connection: close\r\n\r\n" % path.encode()))
    data = b""
    while True:
        try:
            chunk = turn(lambda: tls.read(65536))
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
            break
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    print("status", head.split(b"\r\n", 1)[0].decode())
    print("body", len(body), hashlib.sha256(body).hexdigest())
    return 0


def main():
    cmds = {"hold": cmd_hold, "probe": cmd_probe, "partial": cmd_partial,
            "isolation": cmd_isolation, "mitm-get": cmd_mitm_get,
            "mitm-relay": cmd_mitm_relay, "early-connect": cmd_early_connect}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__)
        return 2
    return cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
