#!/usr/bin/env python3
"""Misbehaving TLS peers for the bad-input cases of tests/e2e_tlsbad.sh.

    tlsbad.py client PHOST PPORT KIND [CONNECT-TARGET]
        connects to the proxy (with CONNECT-TARGET: first a CONNECT to
        it, so the bytes go to an intercepting proxy's TLS), sends KIND,
        then waits at most 20 s for the proxy to close; prints
        "port N" (our source port: the proxy's log names it) and
        "closed after S s, N bytes" or "open after 20 s".
        KIND is one of
          garbage        3000 random bytes
          sslv2          an SSLv2 ClientHello (version 0.2)
          truncated      a handshake record that says 512 bytes, 60
                         of them, then our half-close
          midclose       a real ClientHello, some of the server's
                         answer, then close (FIN)
          midreset       the same, then a reset (RST)
          bighello       a handshake record of 16 KiB + 1 byte
          bigrecord      a full handshake, then an application-data
                         record of 18433 bytes (2^14 + 2048 + 1: over
                         what any TLS 1.2 record may be)
          silent         nothing: a close at once (a port probe)

    tlsbad.py server KIND PORTFILE CERT KEY
        an origin on 127.0.0.1 (kernel-chosen port, written to
        PORTFILE) that misbehaves at every connection:
          serverhello-close   reads the ClientHello, sends only the
                              ServerHello its TLS stack makes, closes
          banner              sends a plain-text greeting at once
                              (as an SMTP or FTP server does), reads
                              what comes, closes

Every socket has a timeout, so each command ends on its own.
"""

import os
import random
import socket
import ssl
import sys
import threading
import time

WAIT = 20


def connect(host, port, target):
    s = socket.create_connection((host, int(port)), timeout=10)
    if target:
        s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n"
                   % (target, target)).encode())
        head = b""
        while b"\r\n\r\n" not in head:
            b = s.recv(1)
            if not b:
                raise EOFError("closed before the CONNECT's answer")
            head += b
        if not head.startswith(b"HTTP/1.1 200"):
            raise EOFError("CONNECT: %r" % head[:60])
    return s


def client_ctx():
    # the misbehaving client verifies nothing: what it sends matters
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def hello(sock, sni):
    """A real ClientHello sent; the SSLObject and its two BIOs back."""
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = client_ctx().wrap_bio(inc, out, server_hostname=sni)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    sock.sendall(out.read())
    return obj, inc, out


def handshake(sock, sni):
    """A complete handshake over sock, driven through memory BIOs so
    raw bytes can follow on the same socket."""
    obj, inc, out = hello(sock, sni)
    while True:
        data = sock.recv(65536)
        if not data:
            raise EOFError("closed during the handshake")
        inc.write(data)
        try:
            obj.do_handshake()
            sock.sendall(out.read())
            return obj
        except ssl.SSLWantReadError:
            sock.sendall(out.read())


class NoSend:
    """A socket stand-in that keeps what is sent."""

    def __init__(self):
        self.sent = b""

    def sendall(self, data):
        self.sent += data


def drain(s):
    """Reads until the peer pauses for 0.3 s (or closes)."""
    s.settimeout(0.3)
    try:
        while s.recv(65536):
            pass
    except socket.timeout:
        pass
    s.settimeout(10)


def record(ctype, body):
    return bytes([ctype, 3, 3, len(body) >> 8, len(body) & 0xFF]) + body


def sslv2_hello():
    # SSLv2 CLIENT-HELLO, version 0.2: 3 cipher specs, 16-byte challenge
    specs = bytes.fromhex("010080" "030080" "0700c0")
    body = (b"\x01\x00\x02" + len(specs).to_bytes(2, "big") +
            b"\x00\x00" + (16).to_bytes(2, "big") + specs + os.urandom(16))
    return bytes([0x80 | (len(body) >> 8), len(body) & 0xFF]) + body


def wait_close(s, t0):
    s.settimeout(0.5)
    n = 0
    while time.monotonic() - t0 < WAIT:
        try:
            b = s.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            break
        if not b:
            break
        n += len(b)
    else:
        print("open after %d s, %d bytes" % (WAIT, n))
        return
    print("closed after %.1f s, %d bytes" % (time.monotonic() - t0, n))


def send_kind(s, kind, sni):
    if kind == "garbage":
        # the same bytes every run: BearSSL names bad input by its
        # first bytes (a bad version, or a bad length)
        s.sendall(random.Random(3000).randbytes(3000))
    elif kind == "sslv2":
        s.sendall(sslv2_hello())
    elif kind == "truncated":
        # the first half of a real ClientHello record, then our FIN
        sink = NoSend()
        hello(sink, sni)
        s.sendall(sink.sent[:len(sink.sent) // 2])
        s.shutdown(socket.SHUT_WR)
    elif kind in ("midclose", "midreset"):
        hello(s, sni)
        drain(s)	# the server's first flight, all of it
        if kind == "midreset":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                         b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
        return False
    elif kind == "bighello":
        s.sendall(record(22, b"\x01\x00\x40\x01" + os.urandom(16385 - 4)))
    elif kind == "bigrecord":
        handshake(s, sni)
        s.sendall(record(23, os.urandom(18433)))
    elif kind == "silent":
        s.close()
        return False
    else:
        raise SystemExit("no kind %s" % kind)
    return True


def cmd_client(phost, pport, kind, target=None):
    s = connect(phost, pport, target)
    print("port %d" % s.getsockname()[1], flush=True)
    sni = target.rsplit(":", 1)[0] if target else "localhost"
    t0 = time.monotonic()
    try:
        if not send_kind(s, kind, sni):
            # we closed: the proxy's side of it is in its log
            print("closed after 0.0 s, 0 bytes (by us)")
            return 0
    except (OSError, EOFError, ssl.SSLError) as e:
        print("closed after %.1f s (%s)" % (time.monotonic() - t0, e))
        return 0
    wait_close(s, t0)
    return 0


def split_records(data):
    out = []
    while len(data) >= 5:
        n = 5 + int.from_bytes(data[3:5], "big")
        out.append(data[:n])
        data = data[n:]
    return out


def server_hello_only(flight):
    """The ServerHello alone, in a record of its own, from the first
    flight a TLS stack wrote (which may pack several messages in one
    record)."""
    first = split_records(flight)[0]
    body = first[5:]
    n = 4 + int.from_bytes(body[1:4], "big")
    if body[0] != 2:
        raise ValueError("the first message is not a ServerHello")
    return first[:3] + n.to_bytes(2, "big") + body[:n]


def serve_serverhello_close(sock, ctx):
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_side=True)
    while not out.pending:
        data = sock.recv(65536)
        if not data:
            return
        inc.write(data)
        try:
            obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
    sock.sendall(server_hello_only(out.read()))


def serve_banner(sock, ctx):
    sock.sendall(b"220 mail.example.test ESMTP ready\r\n")
    sock.recv(65536)


def cmd_server(kind, portfile, cert, key):
    serve = {"serverhello-close": serve_serverhello_close,
             "banner": serve_banner}[kind]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % ls.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)

    def one(sock):
        sock.settimeout(10)
        try:
            serve(sock, ctx)
        except (OSError, ssl.SSLError, ValueError) as e:
            print("connection: %s" % e, flush=True)
        sock.close()
    while True:
        sock, _ = ls.accept()
        threading.Thread(target=one, args=(sock,), daemon=True).start()


def main():
    cmds = {"client": cmd_client, "server": cmd_server}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__)
        return 2
    return cmds[sys.argv[1]](*sys.argv[2:]) or 0


if __name__ == "__main__":
    sys.exit(main())
