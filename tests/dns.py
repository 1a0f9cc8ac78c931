#!/usr/bin/env python3
"""Test DNS server for tests.sh (Python 3 standard library only).

    dns.py [--host 127.53.53.53] [--port 53] [--log F]

Serves UDP and TCP. It knows only two made-up zones, so a test that asks
it anything never reaches a real nameserver (tests.sh points
/etc/resolv.conf at it inside a private mount namespace):

    hang.*.test / hang.test      never answered (the resolver times out)
    v6.*.test                    AAAA ::1, no A
    A-B-C-D.ip4.test             A A.B.C.D (the address its first label
                                 spells with dashes), no AAAA
    dual*.test                   A 127.0.0.1 and AAAA ::1
    any other *.test             A 127.0.0.1, no AAAA
    NAME.cname.test              CNAME NAME.test, then NAME.test's
                                 records as above (a name whose
                                 canonical name differs)
    *.invalid                    NXDOMAIN
    anything else                REFUSED

Every query is logged as "QTYPE name" to --log, so a test can see that a
lookup is in flight.
"""

import argparse
import socket
import struct
import sys
import threading

QTYPES = {1: "A", 28: "AAAA", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX",
          16: "TXT", 33: "SRV", 65: "HTTPS"}
LOG = None
LOG_LOCK = threading.Lock()


def log(msg):
    if LOG is None:
        return
    with LOG_LOCK:
        LOG.write(msg + "\n")
        LOG.flush()


def parse_question(msg):
    """Returns (id, flags, labels-bytes, name, qtype, qclass, end)."""
    if len(msg) < 12:
        raise ValueError("short")
    qid, flags, qd = struct.unpack("!HHH", msg[:6])
    if qd != 1:
        raise ValueError("qdcount")
    i = 12
    labels = []
    while True:
        if i >= len(msg):
            raise ValueError("truncated name")
        n = msg[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0:
            raise ValueError("compressed question")
        labels.append(msg[i + 1:i + 1 + n])
        i += 1 + n
    if i + 4 > len(msg):
        raise ValueError("truncated question")
    qtype, qclass = struct.unpack("!HH", msg[i:i + 4])
    name = b".".join(labels).decode("ascii", "replace").lower()
    return qid, flags, name, qtype, qclass, i + 4


def encode_name(name):
    """name in DNS wire form, uncompressed."""
    return b"".join(bytes([len(lb)]) + lb
                    for lb in name.encode("ascii").split(b".")) + b"\0"


def answer(msg):
    """The reply to one query, or None to stay silent."""
    try:
        qid, flags, name, qtype, qclass, end = parse_question(msg)
    except ValueError:
        if len(msg) >= 2:
            return msg[:2] + struct.pack("!HHHHH", 0x8001, 0, 0, 0, 0)
        return None
    log("%s %s" % (QTYPES.get(qtype, str(qtype)), name))
    question = msg[12:end]
    rd = flags & 0x0100
    rcode = 0
    answers = []
    first = name.split(".", 1)[0]
    owner = None  # the records' owner: the name asked, else a CNAME's
    if name.endswith(".cname.test") and first != "cname":
        target = first + ".test"
        owner = encode_name(target)
        answers.append((None, 5, owner))
        name = target
    if name.endswith(".invalid") or name == "invalid":
        rcode = 3
    elif name.endswith(".test") or name == "test":
        if first == "hang":
            return None
        want_a = not first == "v6"
        want_aaaa = first == "v6" or first.startswith("dual")
        a = "127.0.0.1"
        if name.endswith(".ip4.test"):
            try:
                socket.inet_pton(socket.AF_INET, first.replace("-", "."))
                a = first.replace("-", ".")
            except OSError:
                pass
        if qclass == 1 and qtype == 1 and want_a:
            answers.append((owner, 1, socket.inet_pton(socket.AF_INET, a)))
        if qclass == 1 and qtype == 28 and want_aaaa:
            answers.append((owner, 28,
                            socket.inet_pton(socket.AF_INET6, "::1")))
    else:
        rcode = 5
    # QR, AA, RD as asked, RA
    rflags = 0x8000 | 0x0400 | rd | 0x0080 | rcode
    out = [struct.pack("!HHHHHH", qid, rflags, 1, len(answers), 0, 0),
           question]
    for own, t, rdata in answers:
        # the name asked is at offset 12: a pointer to it
        out.append(own if own is not None else struct.pack("!H", 0xC00C))
        out.append(struct.pack("!HHIH", t, 1, 60, len(rdata)))
        out.append(rdata)
    return b"".join(out)


def serve_udp(sock):
    while True:
        try:
            msg, peer = sock.recvfrom(4096)
        except InterruptedError:
            continue
        reply = answer(msg)
        if reply is not None:
            try:
                sock.sendto(reply, peer)
            except OSError:
                pass


def recv_exact(sock, n):
    out = b""
    while len(out) < n:
        d = sock.recv(n - len(out))
        if not d:
            return None
        out += d
    return out


def serve_tcp_conn(sock):
    try:
        while True:
            h = recv_exact(sock, 2)
            if h is None:
                break
            msg = recv_exact(sock, struct.unpack("!H", h)[0])
            if msg is None:
                break
            reply = answer(msg)
            if reply is None:
                continue  # stay silent, keep the connection
            sock.sendall(struct.pack("!H", len(reply)) + reply)
    except OSError:
        pass
    finally:
        sock.close()


def serve_tcp(ls):
    while True:
        sock, _ = ls.accept()
        threading.Thread(target=serve_tcp_conn, args=(sock,),
                         daemon=True).start()


def main():
    global LOG
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.53.53.53")
    ap.add_argument("--port", type=int, default=53)
    ap.add_argument("--log")
    a = ap.parse_args()
    if a.log:
        LOG = open(a.log, "a")
    us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    us.bind((a.host, a.port))
    ts = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ts.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ts.bind((a.host, a.port))
    ts.listen(16)
    threading.Thread(target=serve_tcp, args=(ts,), daemon=True).start()
    print("dns.py: serving %s:%d" % (a.host, a.port), flush=True)
    serve_udp(us)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
