"""httpkit: what the test servers (origin.py, ntlm_parent.py) share: a
socket with a read buffer that reads HTTP heads, lines and bodies."""


class BadRequest(Exception):
    pass


class Closed(Exception):
    pass


class Stream:
    """A socket with a read buffer."""

    def __init__(self, sock):
        self.sock, self.buf = sock, bytearray()

    def fill(self):
        data = self.sock.recv(262144)
        if not data:
            return False
        self.buf += data
        return True

    def read_head(self):
        """The next head, CRLFCRLF included; None at a clean EOF."""
        scanned = 0
        while True:
            i = self.buf.find(b"\r\n\r\n", max(0, scanned - 3))
            if i >= 0:
                head = bytes(self.buf[:i + 4])
                del self.buf[:i + 4]
                return head
            scanned = len(self.buf)
            if scanned > (1 << 20):
                raise BadRequest("head too large")
            if not self.fill():
                if self.buf:
                    raise Closed("eof inside a head")
                return None

    def read_line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return line
            if len(self.buf) > 65536:
                raise BadRequest("line too long")
            if not self.fill():
                raise Closed("eof inside a chunked body")

    def read_exact(self, n):
        """Yields exactly n bytes in pieces."""
        while n > 0:
            if self.buf:
                k = min(n, len(self.buf))
                piece = bytes(self.buf[:k])
                del self.buf[:k]
            else:
                piece = self.sock.recv(min(n, 262144))
                if not piece:
                    raise Closed("eof inside a body")
                k = len(piece)
            n -= k
            yield piece


def tls_serve(serve, ctx, sock, cid):
    """--tls: the handshake in the connection's thread, then as usual."""
    import ssl
    try:
        sock = ctx.wrap_socket(sock, server_side=True)
    except (ssl.SSLError, OSError):
        sock.close()
        return
    serve(sock, cid)
