#!/usr/bin/env python3
"""Test origin for tests.sh: a threaded raw-socket HTTP/1.1 server.

Its own parser, not http.server, so it can misbehave on purpose. Python 3
standard library only.

    origin.py --port P [--host 127.0.0.1|::1] [--port-file F] [--log F]
    origin.py --port P --echo          raw byte echo (half-close aware)
    origin.py --gen N                  the N pattern bytes to stdout
    origin.py --sha N                  sha256 of those N bytes

Routes (any method; a request body, by Content-Length or chunked, is read
and hashed first, after a 100 Continue when the client expects one):

    /size/N /big/N      N pattern bytes with Content-Length (streamed)
    /chunked/N          the same bytes chunked, chunks of varying sizes;
                        ?trailer=1 adds a trailer field
    /close/N            no length: the body ends with the close
    /status/S           that status (204, 304: no body)
    /stats              JSON: connections, requests, active, inflight
    /echo               the request head as received; X-Body-Length and
                        X-Body-Sha256 describe the request body
    /sink               "LENGTH SHA256\\n" of the request body
    /expect             like /sink; X-Expect says if Expect: 100-continue
                        was received (the 100 was sent before the body)
    /slow/MS            waits MS milliseconds, then answers
    /ws                 WebSocket handshake (101), then raw byte echo
    /early-close        closes after the head without answering
    /stale              answers the first request on a connection; on a
                        later one closes without answering, as a server
                        that drops a kept-alive connection just as a
                        request arrives
    /hop-response       a response carrying hop-by-hop fields
    /                   a small home page (200), for names that stand for
                        real sites (http://google.com/ through a parent)
    /get                httpbin.org's /get: JSON of the query's args, the
                        request's fields and its URL
    /clte               "hello" chunked with Content-Length: 100 beside
                        Transfer-Encoding, as a misconfigured origin sends
                        it; ?cl=100,7 one Content-Length field per value
                        (none if empty), ?te=gzip,chunked the codings (gzip
                        applied; without chunked last the body ends with
                        the close); X-Coded-Sha256 is the sha256 of the
                        body once dechunked (the gzip bytes for gzip)
    HEAD of any of them gives the head without the body.
"""

import argparse
import base64
import gzip
import hashlib
import json
import os
import socket
import ssl
import sys
import threading
import time

from httpkit import BadRequest, Closed, Stream, tls_serve

PERIOD = 251
PATTERN = bytes((i * 7 + 13) & 0xFF for i in range(PERIOD))
BLOCK = PATTERN * 261  # 65511 bytes: whole periods, so blocks concatenate
CHUNK_SIZES = (1, 10, 100, 1000, 10000, 3, 65536, 7, 4096, 333)
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

REASONS = {
    100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created",
    204: "No Content", 206: "Partial Content", 301: "Moved Permanently",
    302: "Found", 304: "Not Modified", 400: "Bad Request",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    411: "Length Required", 413: "Content Too Large",
    418: "I'm a teapot", 500: "Internal Server Error",
    502: "Bad Gateway", 503: "Service Unavailable",
}


def pattern_blocks(n):
    """Yields the first n pattern bytes in blocks."""
    while n > 0:
        k = min(n, len(BLOCK))
        yield BLOCK[:k]
        n -= k


def pattern(n):
    return b"".join(pattern_blocks(n))


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0
        self.active = 0
        self.inflight = 0

    def add(self, **kw):
        with self.lock:
            for k, v in kw.items():
                setattr(self, k, getattr(self, k) + v)

    def json(self):
        with self.lock:
            return json.dumps({
                "connections": self.connections,
                "requests": self.requests,
                "active": self.active,
                "inflight": self.inflight,
            })


STATS = Stats()
LOG = None
LOG_LOCK = threading.Lock()


def log(msg):
    if LOG is None:
        return
    with LOG_LOCK:
        LOG.write(msg + "\n")
        LOG.flush()


class Request:
    def __init__(self, head):
        self.head = head
        lines = head[:-4].split(b"\r\n")
        try:
            line = lines[0].decode("latin-1")
            self.method, self.target, self.version = line.split(" ", 2)
        except ValueError:
            raise BadRequest("bad request line")
        self.headers = []
        for raw in lines[1:]:
            name, sep, value = raw.partition(b":")
            if not sep:
                raise BadRequest("bad header line")
            self.headers.append((name.decode("latin-1").strip(),
                                 value.strip().decode("latin-1")))
        target = self.target
        if target.lower().startswith("http://"):
            rest = target[7:]
            i = rest.find("/")
            target = rest[i:] if i >= 0 else "/"
        self.path, _, self.query = target.partition("?")

    def get(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def get_all(self, name):
        name = name.lower()
        return [v for k, v in self.headers if k.lower() == name]

    def has_token(self, name, token):
        for v in self.get_all(name):
            for t in v.split(","):
                if t.strip().lower() == token:
                    return True
        return False

    def keep_alive(self):
        if self.has_token("connection", "close"):
            return False
        if self.version == "HTTP/1.0":
            return self.has_token("connection", "keep-alive")
        return True

    def chunked(self):
        te = self.get("transfer-encoding")
        return te is not None and te.lower().split(",")[-1].strip() == \
            "chunked"

    def content_length(self):
        v = self.get("content-length")
        if v is None:
            return 0
        try:
            n = int(v)
        except ValueError:
            raise BadRequest("bad content-length")
        if n < 0:
            raise BadRequest("bad content-length")
        return n

    def has_body(self):
        return self.chunked() or self.content_length() > 0


class Conn(Stream):
    def __init__(self, sock, cid):
        Stream.__init__(self, sock)
        self.cid = cid
        self.nreq = 0

    def body(self, req):
        """Yields the request body's bytes (Content-Length or chunked)."""
        if req.chunked():
            while True:
                line = self.read_line()
                size = line.split(b";", 1)[0].strip()
                try:
                    n = int(size, 16)
                except ValueError:
                    raise BadRequest("bad chunk size")
                if n == 0:
                    while self.read_line():
                        pass  # trailer fields
                    return
                yield from self.read_exact(n)
                if self.read_line() != b"":
                    raise BadRequest("no CRLF after chunk data")
        else:
            yield from self.read_exact(req.content_length())

    def send(self, data):
        self.sock.sendall(data)

    def send_head(self, status, headers, close=False):
        lines = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "Other"))]
        for k, v in headers:
            lines.append("%s: %s" % (k, v))
        if close:
            lines.append("Connection: close")
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def respond(self, req, status, body=b"", headers=(), close=False):
        h = list(headers)
        if status not in (204, 304) and not (100 <= status < 200):
            h.append(("Content-Length", str(len(body))))
        self.send_head(status, h, close)
        if req is None or req.method != "HEAD":
            if status not in (204, 304):
                self.send(body)


def serve_ws(c, req):
    key = req.get("sec-websocket-key")
    if not (req.has_token("upgrade", "websocket") and
            req.has_token("connection", "upgrade") and key):
        c.respond(req, 400, b"not a websocket handshake\n", close=True)
        return False
    accept = base64.b64encode(
        hashlib.sha1(key.encode("latin-1") + WS_GUID).digest()).decode()
    c.send_head(101, [("Upgrade", "websocket"), ("Connection", "Upgrade"),
                      ("Sec-WebSocket-Accept", accept)])
    if c.buf:
        c.send(bytes(c.buf))
        c.buf.clear()
    echo_loop(c.sock)
    return False


def echo_loop(sock):
    while True:
        data = sock.recv(262144)
        if not data:
            break
        sock.sendall(data)
    try:
        sock.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def serve_clte(c, req, close, head_only):
    """Content-Length beside Transfer-Encoding; True to keep going."""
    q = dict(p.partition("=")[::2] for p in req.query.split("&") if p)
    te = q.get("te", "chunked")
    codings = [t.strip().lower() for t in te.split(",")]
    data = b"hello"
    if "gzip" in codings:
        data = gzip.compress(data, mtime=0)
    chunked = codings[-1] == "chunked"
    hdrs = [("Content-Length", v) for v in q.get("cl", "100").split(",")
            if v]
    hdrs += [("Transfer-Encoding", te),
             ("X-Coded-Sha256", hashlib.sha256(data).hexdigest())]
    c.send_head(200, hdrs, close or not chunked)
    if not head_only:
        c.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(data), data) if chunked
               else data)
    return chunked and not close


def number(s, default=0):
    try:
        return int(s)
    except ValueError:
        return default


def handle_request(c, req):
    """Serves one request; returns True to keep the connection."""
    keep = req.keep_alive()
    parts = req.path.split("/")
    route = parts[1] if len(parts) > 1 else ""
    arg = parts[2] if len(parts) > 2 else ""
    head_only = req.method == "HEAD"
    log("conn=%d %s %s" % (c.cid, req.method, req.target))

    if route == "early-close" or (route == "stale" and c.nreq > 1):
        return False

    expected = req.has_token("expect", "100-continue")
    if expected and req.has_body():
        c.send(b"HTTP/1.1 100 Continue\r\n\r\n")
    h = hashlib.sha256()
    nbody = 0
    for piece in c.body(req):
        h.update(piece)
        nbody += len(piece)
    bodyinfo = [("X-Body-Length", str(nbody)),
                ("X-Body-Sha256", h.hexdigest())]
    close = not keep

    if route in ("size", "big"):
        n = number(arg)
        c.send_head(200, [("Content-Type", "application/octet-stream"),
                          ("Content-Length", str(n))], close)
        if not head_only:
            for b in pattern_blocks(n):
                c.send(b)
    elif route == "chunked":
        n = number(arg)
        trailer = "trailer=1" in req.query.split("&")
        hdrs = [("Content-Type", "application/octet-stream"),
                ("Transfer-Encoding", "chunked")]
        if trailer:
            hdrs.append(("Trailer", "X-Checksum"))
        c.send_head(200, hdrs, close)
        if not head_only:
            data = pattern(n)
            off, i, out = 0, 0, []
            while off < n:
                k = min(CHUNK_SIZES[i % len(CHUNK_SIZES)], n - off)
                size = "%x" % k if i % 2 else "%X" % k
                ext = ";ext=%d" % i if i % 4 == 3 else ""
                out.append((size + ext + "\r\n").encode())
                out.append(data[off:off + k])
                out.append(b"\r\n")
                off += k
                i += 1
                if len(out) > 64:
                    c.send(b"".join(out))
                    out = []
            out.append(b"0\r\n")
            if trailer:
                out.append(("X-Checksum: %s\r\n" %
                            hashlib.sha256(data).hexdigest()).encode())
            out.append(b"\r\n")
            c.send(b"".join(out))
    elif route == "close":
        n = number(arg)
        c.send_head(200, [("Content-Type", "application/octet-stream")],
                    True)
        if not head_only:
            for b in pattern_blocks(n):
                c.send(b)
        return False
    elif route == "status":
        s = number(arg, 200)
        if s < 200 or s > 999:
            c.respond(req, 400, b"bad status\n", close=True)
            return False
        if s in (204, 304):
            c.respond(req, s, headers=[("ETag", '"x"')], close=close)
        else:
            c.respond(req, s, ("status %d\n" % s).encode(), close=close)
    elif route == "stats":
        c.respond(req, 200, STATS.json().encode() + b"\n",
                  [("Content-Type", "application/json")], close)
    elif route == "echo":
        c.respond(req, 200, req.head,
                  [("Content-Type", "text/plain"),
                   ("X-Request-Method", req.method)] + bodyinfo, close)
    elif route in ("sink", "expect"):
        hdrs = list(bodyinfo)
        if route == "expect":
            hdrs.append(("X-Expect", "seen" if expected else "absent"))
        c.respond(req, 200, ("%d %s\n" % (nbody, h.hexdigest())).encode(),
                  hdrs, close)
    elif route == "slow":
        ms = number(arg, 1000)
        STATS.add(inflight=1)
        try:
            time.sleep(ms / 1000.0)
        finally:
            STATS.add(inflight=-1)
        c.respond(req, 200, ("slow %d\n" % ms).encode(), close=close)
    elif route == "ws":
        return serve_ws(c, req)
    elif route == "stale":
        c.respond(req, 200, b"fresh\n", close=close)
    elif route == "clte":
        return serve_clte(c, req, close, head_only)
    elif route == "hop-response":
        c.respond(req, 200, b"hop\n",
                  [("Connection", "X-Resp-Hop"), ("X-Resp-Hop", "secret"),
                   ("Keep-Alive", "timeout=99"), ("X-Resp-Keep", "1")],
                  close)
    elif req.path == "/":
        c.respond(req, 200, b"origin home\n",
                  [("Content-Type", "text/plain")], close)
    elif route == "get":
        c.respond(req, 200, httpbin_get(req),
                  [("Content-Type", "application/json")], close)
    else:
        c.respond(req, 404, b"no such route\n", close=close)
    return keep


def httpbin_get(req):
    """httpbin.org's /get answer for req, as its JSON is laid out."""
    args = {}
    for kv in req.query.split("&") if req.query else []:
        k, _, v = kv.partition("=")
        args[k] = v
    host = req.get("host") or "localhost"
    return (json.dumps({
        "args": args,
        "headers": dict((k.title(), v) for k, v in req.headers),
        "origin": "127.0.0.1",
        "url": "http://%s%s" % (host, req.target if
                                req.target.startswith("/") else req.path),
    }, indent=2) + "\n").encode()


def serve_conn(sock, cid):
    c = Conn(sock, cid)
    try:
        while True:
            head = c.read_head()
            if head is None:
                break
            STATS.add(requests=1)
            c.nreq += 1
            try:
                req = Request(head)
                if not handle_request(c, req):
                    break
            except BadRequest as e:
                c.respond(None, 400, ("%s\n" % e).encode(), close=True)
                break
    except (Closed, OSError) as e:
        log("conn=%d ended: %s" % (cid, e))
    finally:
        STATS.add(active=-1)
        try:
            sock.close()
        except OSError:
            pass


def serve_echo(sock, cid):
    try:
        echo_loop(sock)
    except OSError:
        pass
    finally:
        STATS.add(active=-1)
        sock.close()


def main():
    global LOG
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int)
    ap.add_argument("--port-file")
    ap.add_argument("--echo", action="store_true")
    ap.add_argument("--log")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"),
                    help="speak TLS with this certificate chain and key")
    ap.add_argument("--gen", type=int)
    ap.add_argument("--sha", type=int)
    a = ap.parse_args()

    if a.gen is not None:
        out = sys.stdout.buffer
        try:
            for b in pattern_blocks(a.gen):
                out.write(b)
            out.flush()
        except BrokenPipeError:
            os._exit(1)
        return
    if a.sha is not None:
        h = hashlib.sha256()
        for b in pattern_blocks(a.sha):
            h.update(b)
        print(h.hexdigest())
        return
    if a.port is None:
        ap.error("--port is required")
    if a.log:
        LOG = open(a.log, "a")

    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if fam == socket.AF_INET6:
        ls.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    ls.bind((a.host, a.port))
    ls.listen(256)
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % ls.getsockname()[1])
        os.rename(tmp, a.port_file)
    ctx = None
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
    serve = serve_echo if a.echo else serve_conn
    cid = 0
    while True:
        try:
            sock, _ = ls.accept()
        except InterruptedError:
            continue
        cid += 1
        STATS.add(connections=1, active=1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=tls_serve if a.tls else serve,
                         args=(sock, cid) if not a.tls else
                         (serve, ctx, sock, cid), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
