#!/usr/bin/env python3
"""tests/holder.py: many idle connections through the proxy, for the
event-loop cases of tests/e2e_events.sh (python3 standard library only).

It is its own origin for the tunnels: a listener on 127.0.0.1 that
accepts everything and holds it open, so CONNECT tunnels to it stay idle
at both ends. One process, one selector: 2,000 tunnels cost it no
threads.

  holder.py serve PROXYHOST PROXYPORT N URL REQUESTS SECONDS
      open N idle CONNECT tunnels, then make REQUESTS GETs of URL through
      the proxy over 4 keep-alive connections; prints
      "tunnels OPENED served OK of REQUESTS in SECS" (OK counts 200s with
      the whole body). Gives up on the GETs after SECONDS.
  holder.py timeout PROXYHOST PROXYPORT N IDLE
      open N/2 tunnels, then one client connection that sends nothing
      (the probe), then N/2 more tunnels: the probe's deadline falls
      among theirs. Prints "tunnels OPENED probe closed after SECS" when
      the proxy closes the probe (or "probe open after SECS" if it has
      not after IDLE + 10 s).
"""
import selectors
import socket
import sys
import time

SEL = selectors.DefaultSelector()
HELD = []


def origin():
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(4096)
    ls.setblocking(False)
    SEL.register(ls, selectors.EVENT_READ, "listener")
    return ls


def pump(timeout):
    """Accepts what the origin is offered; returns the ready tunnel
    sockets with data."""
    ready = []
    for key, _ in SEL.select(timeout):
        if key.data == "listener":
            while True:
                try:
                    c, _ = key.fileobj.accept()
                except (BlockingIOError, InterruptedError):
                    break
                HELD.append(c)
        else:
            ready.append(key)
    return ready


def open_tunnels(phost, pport, oport, n, deadline):
    """n CONNECTs to our origin, each until its 200; returns how many."""
    req = ("CONNECT 127.0.0.1:%d HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
           % (oport, oport)).encode()
    pending = {}
    opened = 0
    started = 0
    while (started < n or pending) and time.monotonic() < deadline:
        while started < n and len(pending) < 100:
            s = socket.create_connection((phost, pport), timeout=10)
            s.sendall(req)
            s.setblocking(False)
            pending[s] = b""
            SEL.register(s, selectors.EVENT_READ, "tunnel")
            started += 1
        for key in pump(0.2):
            s = key.fileobj
            try:
                d = s.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                d = b""
            buf = pending.get(s, b"") + d
            if not d or b"\r\n\r\n" in buf:
                SEL.unregister(s)
                del pending[s]
                if d and buf.startswith(b"HTTP/1.1 200"):
                    opened += 1
                    HELD.append(s)
                else:
                    s.close()
            else:
                pending[s] = buf
    return opened


def get_all(phost, pport, url, count, limit):
    """count GETs of url through the proxy on 4 keep-alive connections;
    the 200s whose whole body arrived."""
    conns = [socket.create_connection((phost, pport), timeout=limit)
             for _ in range(4)]
    host = url.split("/")[2]
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (url, host)).encode()
    ok = 0
    end = time.monotonic() + limit
    for i in range(count):
        if time.monotonic() > end:
            break
        s = conns[i % 4]
        s.sendall(req)
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = s.recv(65536)
            if not d:
                return ok
            buf += d
        head, body = buf.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        while len(body) < length:
            d = s.recv(65536)
            if not d:
                return ok
            body += d
        if head.startswith(b"HTTP/1.1 200") and len(body) == length:
            ok += 1
    return ok


def cmd_serve(args):
    phost, pport, n = args[0], int(args[1]), int(args[2])
    url, count, limit = args[3], int(args[4]), float(args[5])
    ls = origin()
    opened = open_tunnels(phost, pport, ls.getsockname()[1], n,
                          time.monotonic() + 60)
    t0 = time.monotonic()
    ok = get_all(phost, pport, url, count, limit)
    print("tunnels %d served %d of %d in %.2f" % (opened, ok, count,
                                                 time.monotonic() - t0))
    return 0


def cmd_timeout(args):
    phost, pport, n, idle = args[0], int(args[1]), int(args[2]), \
        float(args[3])
    ls = origin()
    oport = ls.getsockname()[1]
    opened = open_tunnels(phost, pport, oport, n // 2,
                          time.monotonic() + 60)
    probe = socket.create_connection((phost, pport), timeout=10)
    t0 = time.monotonic()
    probe.setblocking(False)
    opened += open_tunnels(phost, pport, oport, n - n // 2,
                           time.monotonic() + 60)
    SEL.register(probe, selectors.EVENT_READ, "probe")
    end = t0 + idle + 10
    while time.monotonic() < end:
        for key in pump(0.2):
            if key.data != "probe":
                continue
            try:
                d = probe.recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                d = b""
            if not d:
                print("tunnels %d probe closed after %.2f"
                      % (opened, time.monotonic() - t0))
                return 0
    print("tunnels %d probe open after %.2f" % (opened,
                                                time.monotonic() - t0))
    return 0


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "serve" and len(sys.argv) == 8:
        return cmd_serve(sys.argv[2:])
    if cmd == "timeout" and len(sys.argv) == 6:
        return cmd_timeout(sys.argv[2:])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
