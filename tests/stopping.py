#!/usr/bin/env python3
"""Clients for the stop and access-log cases of tests.sh.

    stopping.py hold PHOST PPORT ECHOPORT SECONDS
        opens a CONNECT tunnel to the byte-echo server, checks one echo,
        prints "ready", then waits until the proxy closes the tunnel or
        SECONDS pass; prints "closed" or "timeout"
    stopping.py probe PHOST PPORT URL
        one GET through the proxy: prints "refused" (connection refused),
        "status N" (answered), or "silent WHY" (accepted, then nothing or
        a reset: a client lost in a closing listener's queue)
    stopping.py partial PHOST PPORT URL NBYTES
        GETs URL, reads the head and NBYTES of the body, then closes;
        prints "read N"

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


def main():
    cmds = {"hold": cmd_hold, "probe": cmd_probe, "partial": cmd_partial}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__)
        return 2
    return cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
