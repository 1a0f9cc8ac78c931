#!/usr/bin/env python3
"""Test parent proxy for tests.sh: a threaded HTTP/1.1 forward proxy that
demands a login per connection (NTLM or Basic) and verifies it on its own.

Python 3 standard library only. The NTLM arithmetic (MD4, DES, DESL,
LMOWFv1, NTOWFv1/v2, NTLMv2, LMv2, NTLMv1, NTLM2 session response) is
written out here from MS-NLMP and RFC 1320, independently of the proxy's C
code, and checked against the MS-NLMP 4.2 and RFC 1320 vectors by
--self-test (hashlib's md4 is absent under OpenSSL 3, and there is no DES
in the standard library).

    ntlm_parent.py --port P [--host 127.0.0.1] [--port-file F] [--log F]
                   [--auth ntlm|basic|none] [--user U] [--domain D]
                   [--password P|--password-env VAR] [--no-target-info]
                   [--short-type2 32|40]
                   [--accept NTLMv2,NTLM2SR,NTLM,NT,LM]
                   [--empty-407] [--drop-reused]
                   [--offer ntlm|negotiate|negotiate,ntlm|...]
                   [--offer-one-field] [--close-bare-407]
                   [--negotiate-bad garbage|reject|huge|loop]
                   [--kerberos [--mutual good|bad|none]
                    [--kerberos-reject]]
    ntlm_parent.py --self-test       the crypto against published vectors
    ntlm_parent.py --hash PASSWORD|--hash-env VAR [--user U --domain D]
                   LM, NT (MD4 of UTF-16LE) and NTOWFv2 hashes, hex

As a proxy it forwards absolute-form requests (any method; bodies by
Content-Length or chunked, streamed; HEAD; 1xx passed on) and CONNECT
tunnels, with HTTP/1.1 keep-alive towards its client. NTLM authenticates
a connection: a Type 1 gets 407 with a Type 2 (target info with
MsvAvTimestamp; --no-target-info: the TargetInfo fields empty and the flag
clear; --short-type2 N: an old server's bare 32- or 40-byte Type 2), the
Type 3 is verified (user and domain compared without case; NTLMv2 against
NTOWFv2 made with the domain exactly as the Type 3 names it, which is how
cntlm's upper-cased PassNTLMv2 works), and the connection then stays
logged in. A wrong Type 3 gets 407 again and is logged. Basic is checked
on every request (user "U", or "D\\U" when --domain D is given). The
dialect a Type 3 used is detected:

    NTLMv2   NT response longer than 24 bytes (LMv2 checked when sent)
    NTLM2SR  24-byte NT, LM = client challenge + 16 zero bytes, ESS flag
    NTLM     24-byte NT and a different 24-byte LM (NTLMv1, LM checked)
    NT       24-byte NT, LM empty or a copy of the NT response
    LM       no NT response, 24-byte LM

--accept restricts the dialects that log in (others get 407, logged).

--offer lists the schemes a bare 407 offers, in order, one
Proxy-Authenticate field each (--offer-one-field: all in one field,
"Negotiate, NTLM"): "NTLM", or "Negotiate", which carries the same NTLM
messages raw inside it (NTLMSSP, as Windows sends when Kerberos is not
available; no SPNEGO wrapping), verified by the same code. A Type 1 in a
scheme not offered is answered like a request without credentials
(counted in "wrong_scheme"); the Type 2 goes back in the scheme of the
Type 1, and the Type 3 must come in it too. --close-bare-407 closes
the connection after a 407 that carries no challenge. --negotiate-bad answers a
Type 1 inside Negotiate with bad input instead: "garbage" (a token that
is not base64), "reject" (an SPNEGO negState reject), "huge" (a 64 KiB
token), "loop" (every Type 3 gets a new challenge, forever).

--kerberos also accepts Kerberos inside Negotiate (SPNEGO, or a raw
Kerberos token), through the system's GSSAPI (python3-gssapi; the
acceptor's keys come from KRB5_KTNAME, the realm from KRB5_CONFIG): a
token that is not NTLMSSP is handed to gss_accept_sec_context, and a
connection whose context completes is logged in (scheme "Kerberos" in
"schemes", the client's principal in last_user). The first answer after
it carries the acceptor's mutual-authentication token in
"Proxy-Authenticate: Negotiate ..." (--mutual bad: one byte changed;
none: no token). --kerberos-reject answers every Kerberos token with a
407 and an SPNEGO reject instead.

--drop-reused: once a connection has forwarded a request, the next
request on it is not answered: the connection closes, as a parent does
when its idle timeout strikes just as a request arrives (counted as
"dropped").

A 407 carries a short HTML body with its Content-Length; answering a HEAD
it has the Content-Length and no body, as RFC 9110 wants (and squid
does). --empty-407 sends every 407 with Content-Length: 0 instead.

The absolute URL http://parent.stats/ is answered by the parent itself,
without a login and without counting, with JSON:
    connections  client connections that sent a request other than this
    requests     requests forwarded (CONNECT included)
    handshakes   NTLM Type 1 messages answered with a challenge (Basic:
                 first successful login on a connection)
    logins       Type 3 (or Basic) logins that passed
    failures     logins that failed (wrong credentials, bad messages)
    probes       requests without credentials answered with 407
    proxy_auth_seen  requests that carried Proxy-Authorization
    last_dialect the dialect of the last Type 3 ("NTLMv2", ...)
    dialects     {dialect: count} over all Type 3 messages
    last_user, last_domain, last_workstation, last_failure, type1_flags
    schemes      {scheme: count} over the Type 3 logins that passed
    last_scheme  the scheme of the last Type 1 ("NTLM", "Negotiate")
    wrong_scheme Type 1 messages in a scheme not offered
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import socket
import ssl
import struct
import sys
import threading
import time

import httpkit
from httpkit import BadRequest, Closed, tls_serve

# ---------------------------------------------------------------- MD4

def _rol(x, n):
    x &= 0xFFFFFFFF
    return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF


def md4(data):
    """RFC 1320 MD4."""
    msg = bytearray(data)
    bitlen = (8 * len(data)) & 0xFFFFFFFFFFFFFFFF
    msg.append(0x80)
    while len(msg) % 64 != 56:
        msg.append(0)
    msg += struct.pack("<Q", bitlen)
    a, b, c, d = 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476
    for off in range(0, len(msg), 64):
        x = struct.unpack("<16I", bytes(msg[off:off + 64]))
        aa, bb, cc, dd = a, b, c, d

        def f(x_, y, z):
            return (x_ & y) | (~x_ & z)

        def g(x_, y, z):
            return (x_ & y) | (x_ & z) | (y & z)

        def h(x_, y, z):
            return x_ ^ y ^ z
        for i in (0, 4, 8, 12):
            a = _rol(a + f(b, c, d) + x[i], 3)
            d = _rol(d + f(a, b, c) + x[i + 1], 7)
            c = _rol(c + f(d, a, b) + x[i + 2], 11)
            b = _rol(b + f(c, d, a) + x[i + 3], 19)
        for i in (0, 1, 2, 3):
            a = _rol(a + g(b, c, d) + x[i] + 0x5A827999, 3)
            d = _rol(d + g(a, b, c) + x[i + 4] + 0x5A827999, 5)
            c = _rol(c + g(d, a, b) + x[i + 8] + 0x5A827999, 9)
            b = _rol(b + g(c, d, a) + x[i + 12] + 0x5A827999, 13)
        for i in (0, 2, 1, 3):
            a = _rol(a + h(b, c, d) + x[i] + 0x6ED9EBA1, 3)
            d = _rol(d + h(a, b, c) + x[i + 8] + 0x6ED9EBA1, 9)
            c = _rol(c + h(d, a, b) + x[i + 4] + 0x6ED9EBA1, 11)
            b = _rol(b + h(c, d, a) + x[i + 12] + 0x6ED9EBA1, 15)
        a = (a + aa) & 0xFFFFFFFF
        b = (b + bb) & 0xFFFFFFFF
        c = (c + cc) & 0xFFFFFFFF
        d = (d + dd) & 0xFFFFFFFF
    return struct.pack("<4I", a, b, c, d)

# ---------------------------------------------------------------- DES (FIPS 46-3)

_PC1 = (57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
        10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
        63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
        14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4)
_PC2 = (14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
        23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
        41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
        44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32)
_SHIFTS = (1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1)
_IP = (58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
       62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
       57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
       61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7)
_FP = (40, 8, 48, 16, 56, 24, 64, 32, 39, 7, 47, 15, 55, 23, 63, 31,
       38, 6, 46, 14, 54, 22, 62, 30, 37, 5, 45, 13, 53, 21, 61, 29,
       36, 4, 44, 12, 52, 20, 60, 28, 35, 3, 43, 11, 51, 19, 59, 27,
       34, 2, 42, 10, 50, 18, 58, 26, 33, 1, 41, 9, 49, 17, 57, 25)
_E = (32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9, 8, 9, 10, 11, 12, 13,
      12, 13, 14, 15, 16, 17, 16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25,
      24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1)
_P = (16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
      2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25)
_S = (
    (14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
     0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
     4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
     15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13),
    (15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
     3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
     0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
     13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9),
    (10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
     13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
     13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
     1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12),
    (7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
     13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
     10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
     3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14),
    (2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
     14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
     4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
     11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3),
    (12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
     10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
     9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
     4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13),
    (4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
     13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
     1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
     6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12),
    (13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
     1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
     7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
     2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11),
)


def _permute(v, table, nbits):
    """Bit permutation; bit 1 is the most significant of nbits."""
    out = 0
    for pos in table:
        out = (out << 1) | ((v >> (nbits - pos)) & 1)
    return out


def des_encrypt(key8, block8):
    """DES-ECB of one 8-byte block with an 8-byte key (parity ignored)."""
    k = _permute(int.from_bytes(key8, "big"), _PC1, 64)
    c, d = k >> 28, k & 0xFFFFFFF
    subkeys = []
    for s in _SHIFTS:
        c = ((c << s) | (c >> (28 - s))) & 0xFFFFFFF
        d = ((d << s) | (d >> (28 - s))) & 0xFFFFFFF
        subkeys.append(_permute((c << 28) | d, _PC2, 56))
    v = _permute(int.from_bytes(block8, "big"), _IP, 64)
    left, right = v >> 32, v & 0xFFFFFFFF
    for sk in subkeys:
        x = _permute(right, _E, 32) ^ sk
        f = 0
        for i in range(8):
            six = (x >> (42 - 6 * i)) & 0x3F
            row = ((six >> 4) & 2) | (six & 1)
            col = (six >> 1) & 0xF
            f = (f << 4) | _S[i][row * 16 + col]
        left, right = right, left ^ _permute(f, _P, 32)
    v = (right << 32) | left
    return _permute(v, _FP, 64).to_bytes(8, "big")


def des7(key7, block8):
    """DES with a 7-byte key spread over 8 bytes (parity bits zero)."""
    s = key7
    k = bytes((
        s[0] & 0xFE,
        ((s[0] << 7) | (s[1] >> 1)) & 0xFE,
        ((s[1] << 6) | (s[2] >> 2)) & 0xFE,
        ((s[2] << 5) | (s[3] >> 3)) & 0xFE,
        ((s[3] << 4) | (s[4] >> 4)) & 0xFE,
        ((s[4] << 3) | (s[5] >> 5)) & 0xFE,
        ((s[5] << 2) | (s[6] >> 6)) & 0xFE,
        (s[6] << 1) & 0xFE,
    ))
    return des_encrypt(k, block8)

# ---------------------------------------------------------------- NTLM (MS-NLMP 3.3)

def hmac_md5(key, data):
    return hmac.new(key, data, hashlib.md5).digest()


def lmowf1(password):
    """LMOWFv1: upper-cased OEM password, NUL-padded/truncated to 14."""
    pw = password.upper().encode("latin-1", "replace")[:14].ljust(14, b"\0")
    return des7(pw[:7], b"KGS!@#$%") + des7(pw[7:], b"KGS!@#$%")


def ntowf1(password):
    """NTOWFv1: MD4 of the UTF-16LE password."""
    return md4(password.encode("utf-16-le"))


def ntowf2(nt_hash, user, domain):
    """NTOWFv2 (spec: only the user is upper-cased)."""
    return hmac_md5(nt_hash, (user.upper() + domain).encode("utf-16-le"))


def desl(k16, d8):
    k = k16 + b"\0" * 5
    return des7(k[0:7], d8) + des7(k[7:14], d8) + des7(k[14:21], d8)


def filetime(t=None):
    t = time.time() if t is None else t
    return int((t + 11644473600) * 10000000)


def av_pairs(data):
    """[(id, value)] up to MsvAvEOL; raises ValueError when malformed."""
    out, pos = [], 0
    while True:
        if pos + 4 > len(data):
            raise ValueError("AV list without MsvAvEOL")
        avid, avlen = struct.unpack_from("<HH", data, pos)
        pos += 4
        if avid == 0:
            return out
        if pos + avlen > len(data):
            raise ValueError("AV pair overruns the list")
        out.append((avid, data[pos:pos + avlen]))
        pos += avlen

# NegotiateFlags
F_UNICODE = 0x00000001
F_OEM = 0x00000002
F_REQUEST_TARGET = 0x00000004
F_LM_KEY = 0x00000080
F_NTLM = 0x00000200
F_ALWAYS_SIGN = 0x00008000
F_TARGET_TYPE_DOMAIN = 0x00010000
F_ESS = 0x00080000
F_TARGET_INFO = 0x00800000
F_VERSION = 0x02000000
F_128 = 0x20000000
F_56 = 0x80000000

SIG = b"NTLMSSP\0"


def parse_type1(msg):
    if len(msg) < 16 or msg[:8] != SIG or \
            struct.unpack_from("<I", msg, 8)[0] != 1:
        raise ValueError("not an NTLM Type 1")
    return struct.unpack_from("<I", msg, 12)[0]


def build_type2(t1flags, challenge, target_info=True, domain="PARENTDOM",
                server="PARENTSRV", short=0):
    unicode = bool(t1flags & F_UNICODE)
    flags = F_NTLM | F_ALWAYS_SIGN | F_TARGET_TYPE_DOMAIN | F_REQUEST_TARGET
    flags |= F_UNICODE if unicode else F_OEM
    flags |= t1flags & (F_ESS | F_128 | F_56)
    if flags & F_ESS:
        flags &= ~F_LM_KEY

    def s(x):
        return x.encode("utf-16-le") if unicode else x.upper().encode("ascii")
    tname = s(domain)
    if short:
        # an old server's bare 32- or 40-byte Type 2: no target name, no
        # TargetInfo fields, no Version
        flags &= ~F_REQUEST_TARGET
        return (SIG + struct.pack("<IHHII", 2, 0, 0, short, flags) +
                challenge + b"\0" * 8)[:short]
    if not target_info:
        # TargetInfoFields present but empty, the flag clear (MS-NLMP
        # 2.2.1.2: offset where the TargetInfo would be)
        hdr = 56
        flags |= F_VERSION
        end = hdr + len(tname)
        return SIG + struct.pack("<IHHII", 2, len(tname), len(tname), hdr,
                                 flags) + challenge + b"\0" * 8 + \
            struct.pack("<HHI", 0, 0, end) + \
            bytes((10, 0)) + struct.pack("<H", 19041) + b"\0\0\0\x0f" + tname
    flags |= F_TARGET_INFO
    dns_dom = "parent.test"
    ti = b""
    for avid, val in ((2, domain.encode("utf-16-le")),
                      (1, server.encode("utf-16-le")),
                      (4, dns_dom.encode("utf-16-le")),
                      (3, ("%s.%s" % (server.lower(), dns_dom)
                           ).encode("utf-16-le")),
                      (7, struct.pack("<Q", filetime()))):
        ti += struct.pack("<HH", avid, len(val)) + val
    ti += struct.pack("<HH", 0, 0)
    hdr = 56
    flags |= F_VERSION
    out = bytearray()
    out += SIG
    out += struct.pack("<I", 2)
    out += struct.pack("<HHI", len(tname), len(tname), hdr)
    out += struct.pack("<I", flags)
    out += challenge
    out += b"\0" * 8
    out += struct.pack("<HHI", len(ti), len(ti), hdr + len(tname))
    out += bytes((10, 0)) + struct.pack("<H", 19041) + b"\0\0\0\x0f"
    out += tname + ti
    return bytes(out)


def _field(msg, off):
    ln, _, at = struct.unpack_from("<HHI", msg, off)
    if ln and at + ln > len(msg):
        raise ValueError("field at %d overruns the message" % off)
    return msg[at:at + ln]


def parse_type3(msg):
    if len(msg) < 64 or msg[:8] != SIG or \
            struct.unpack_from("<I", msg, 8)[0] != 3:
        raise ValueError("not an NTLM Type 3 (%d bytes)" % len(msg))
    flags = struct.unpack_from("<I", msg, 60)[0]
    t = {"lm": _field(msg, 12), "nt": _field(msg, 20), "flags": flags}
    enc = "utf-16-le" if flags & F_UNICODE else "latin-1"
    for name, off in (("domain", 28), ("user", 36), ("workstation", 44)):
        raw = _field(msg, off)
        try:
            t[name] = raw.decode(enc)
        except UnicodeDecodeError:
            raise ValueError("%s is not %s" % (name, enc))
    return t


def detect_dialect(t):
    lm, nt = t["lm"], t["nt"]
    if len(nt) > 24:
        return "NTLMv2"
    if len(nt) == 24:
        if len(lm) == 24 and lm[8:] == b"\0" * 16 and t["flags"] & F_ESS:
            return "NTLM2SR"
        if len(lm) == 0 or lm == nt:
            return "NT"
        if len(lm) == 24:
            return "NTLM"
        return "bad(lm %d bytes)" % len(lm)
    if len(nt) == 0 and len(lm) == 24:
        return "LM"
    return "bad(nt %d lm %d bytes)" % (len(nt), len(lm))


class Creds:
    def __init__(self, user, domain, password):
        self.user, self.domain, self.password = user, domain, password
        self.nt = ntowf1(password)
        self.lm = lmowf1(password)


def verify_type3(creds, challenge, t, type2_ti):
    """Returns (dialect, error-or-None, notes)."""
    d = detect_dialect(t)
    notes = []
    if t["user"].upper() != creds.user.upper():
        return d, "user %r is not %r" % (t["user"], creds.user), notes
    if t["domain"].upper() != creds.domain.upper():
        return d, "domain %r is not %r" % (t["domain"], creds.domain), notes
    lm, nt = t["lm"], t["nt"]
    if d == "NTLMv2":
        proof, blob = nt[:16], nt[16:]
        if len(blob) < 28 or blob[:2] != b"\x01\x01":
            return d, "NTLMv2 blob without the 01 01 header", notes
        cchal = blob[16:24]
        try:
            avs = av_pairs(blob[28:])
        except ValueError as e:
            return d, "NTLMv2 blob: %s" % e, notes
        # the hash the client must have used: the domain as it sent it
        k = ntowf2(creds.nt, t["user"], t["domain"])
        if not hmac.compare_digest(hmac_md5(k, challenge + blob)[:16],
                                   proof):
            spec = ntowf2(creds.nt, t["user"], creds.domain)
            if hmac.compare_digest(hmac_md5(spec, challenge + blob), proof):
                return d, ("NTProofStr made with domain %r but the Type 3 "
                           "names %r" % (creds.domain, t["domain"])), notes
            return d, "NTProofStr does not match (wrong password?)", notes
        if len(lm) == 24 and lm != b"\0" * 24:
            want = hmac_md5(k, challenge + lm[16:24]) + lm[16:24]
            if lm != want:
                return d, "LMv2 response does not match", notes
            notes.append("LMv2 ok")
        else:
            notes.append("no LMv2 (%d bytes)" % len(lm))
        if type2_ti:
            sent = dict(type2_ti)
            got = dict(avs)
            missing = [i for i in sent if i != 7 and got.get(i) != sent[i]]
            if missing:
                notes.append("blob lacks the challenge's AV ids %s" % missing)
        notes.append("blob time %s" % struct.unpack_from("<Q", blob, 8)[0])
        return d, None, notes
    if d == "NTLM2SR":
        want = desl(creds.nt, hashlib.md5(challenge + lm[:8]).digest()[:8])
        return d, None if nt == want else \
            "NTLM2 session response does not match", notes
    if d == "NT":
        return d, None if nt == desl(creds.nt, challenge) else \
            "NT response does not match", notes
    if d == "NTLM":
        if nt != desl(creds.nt, challenge):
            return d, "NT response does not match", notes
        if lm != desl(creds.lm, challenge):
            return d, "LM response does not match", notes
        return d, None, notes
    if d == "LM":
        return d, None if lm == desl(creds.lm, challenge) else \
            "LM response does not match", notes
    return d, "cannot tell the dialect", notes

# ---------------------------------------------------------------- self test

def self_test():
    fails = []

    def check(name, got, want):
        if got.hex() != want:
            fails.append("%s: got %s want %s" % (name, got.hex(), want))
    for msg, want in ((b"", "31d6cfe0d16ae931b73c59d7e0c089c0"),
                      (b"a", "bde52cb31de33e46245e05fbdbd6fb24"),
                      (b"abc", "a448017aaf21d8525fc10ae87aa6729d"),
                      (b"message digest", "d9130a8164549fe818874806e1c7014b"),
                      (b"abcdefghijklmnopqrstuvwxyz",
                       "d79e1c308aa5bbcdeea8ed63df412da9"),
                      (b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       b"0123456789", "043f8582f241db351ce627e153e7f0e4"),
                      (b"1234567890" * 8, "e33b4ddc9c38f2199c3e7b164fcc0536")):
        check("md4 %r" % msg[:10], md4(msg), want)
    # FIPS 81 / classic DES vector
    check("des", des_encrypt(bytes.fromhex("133457799bbcdff1"),
                             bytes.fromhex("0123456789abcdef")),
          "85e813540f0ab405")
    sc = bytes.fromhex("0123456789abcdef")
    cc = b"\xaa" * 8
    c = Creds("User", "Domain", "Password")
    check("LMOWFv1", c.lm, "e52cac67419a9a224a3b108f3fa6cb6d")
    check("NTOWFv1", c.nt, "a4f49c406510bdcab6824ee7c30fd852")
    check("NTLMv1", desl(c.nt, sc),
          "67c43011f30298a2ad35ece64f16331c44bdbed927841f94")
    check("LMv1", desl(c.lm, sc),
          "98def7b87f88aa5dafe2df779688a172def11c7d5ccdef13")
    check("NTLM2SR", desl(c.nt, hashlib.md5(sc + cc).digest()[:8]),
          "7537f803ae367128ca458204bde7caf81e97ed2683267232")
    k = ntowf2(c.nt, "User", "Domain")
    check("NTOWFv2", k, "0c868a403bfd7a93a3001ef22ef02e3f")
    temp = bytes.fromhex(
        "01010000000000000000000000000000aaaaaaaaaaaaaaaa0000000002000c0044"
        "006f006d00610069006e0001000c00530065007200760065007200000000000000"
        "0000")
    check("NTProofStr", hmac_md5(k, sc + temp),
          "68cd0ab851e51c96aabc927bebef6a1c")
    check("LMv2", hmac_md5(k, sc + cc) + cc,
          "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa")
    # cntlm's PassNTLMv2 (user and domain upper-cased), tech notes 3.6
    check("cntlm PassNTLMv2", ntowf2(c.nt, "User", "DOMAIN"),
          "f38efea48ada6afaa95ae44669e5634b")
    check("NT of P\u00e4ssword", ntowf1("P\u00e4ssword"),
          "60da32612d814e31b59f18c43e1ce783")
    # the published 4.2.2/4.2.3/4.2.4 AUTHENTICATE messages verify
    for name, hexmsg, want in (
        ("4.2.2", "4e544c4d5353500003000000180018006c00000018001800840000000c"
         "000c00480000000800080054000000100010005c000000100010009c00000035"
         "8280e20501280a0000000f44006f006d00610069006e00550073006500720043"
         "004f004d005000550054004500520098def7b87f88aa5dafe2df779688a172de"
         "f11c7d5ccdef1367c43011f30298a2ad35ece64f16331c44bdbed927841f9451"
         "8822b1b3f350c8958682ecbb3e3cb7", "NTLM"),
        ("4.2.3", "4e544c4d5353500003000000180018006c00000018001800840000000c"
         "000c00480000000800080054000000100010005c000000000000009c00000035"
         "8208820501280a0000000f44006f006d00610069006e00550073006500720043"
         "004f004d0050005500540045005200aaaaaaaaaaaaaaaa000000000000000000"
         "000000000000007537f803ae367128ca458204bde7caf81e97ed2683267232",
         "NTLM2SR"),
        ("4.2.4", "4e544c4d5353500003000000180018006c00000054005400840000000c"
         "000c00480000000800080054000000100010005c00000010001000d800000035"
         "8288e20501280a0000000f44006f006d00610069006e00550073006500720043"
         "004f004d005000550054004500520086c35097ac9cec102554764a57cccc19aa"
         "aaaaaaaaaaaaaa68cd0ab851e51c96aabc927bebef6a1c010100000000000000"
         "00000000000000aaaaaaaaaaaaaaaa0000000002000c0044006f006d00610069"
         "006e0001000c005300650072007600650072000000000000000000c5dad2544f"
         "c9799094ce1ce90bc9d03e", "NTLMv2")):
        t = parse_type3(bytes.fromhex(hexmsg))
        d, err, _ = verify_type3(c, sc, t, None)
        if d != want or err:
            fails.append("MS-NLMP %s message: %s %s" % (name, d, err))
        bad = Creds("User", "Domain", "Passwore")
        d, err, _ = verify_type3(bad, sc, t, None)
        if err is None:
            fails.append("MS-NLMP %s accepted a wrong password" % name)
    for f in fails:
        print("FAIL " + f)
    print("self-test: %d failed" % len(fails))
    return 1 if fails else 0

# ---------------------------------------------------------------- proxy

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.v = {"connections": 0, "requests": 0, "handshakes": 0,
                  "logins": 0, "failures": 0, "probes": 0,
                  "proxy_auth_seen": 0, "dropped": 0,
                  "last_dialect": None, "dialects": {}, "last_user": None,
                  "last_domain": None, "last_workstation": None,
                  "last_failure": None, "type1_flags": None,
                  "schemes": {}, "last_scheme": None, "wrong_scheme": 0,
                  "ap_reqs": 0}

    def add(self, **kw):
        with self.lock:
            for k, n in kw.items():
                self.v[k] += n

    def set(self, **kw):
        with self.lock:
            self.v.update(kw)

    def dialect(self, d):
        with self.lock:
            self.v["last_dialect"] = d
            self.v["dialects"][d] = self.v["dialects"].get(d, 0) + 1

    def scheme(self, s):
        with self.lock:
            self.v["schemes"][s] = self.v["schemes"].get(s, 0) + 1

    def json(self):
        with self.lock:
            return json.dumps(self.v, sort_keys=True)


STATS = Stats()
LOG = None
LOG_LOCK = threading.Lock()
OPTS = None
CREDS = None
HOP = {"connection", "proxy-connection", "keep-alive", "te", "trailer",
       "upgrade", "proxy-authorization", "proxy-authenticate"}


def log(msg):
    if LOG is None:
        return
    with LOG_LOCK:
        LOG.write("%.3f %s\n" % (time.time(), msg))
        LOG.flush()


class Stream(httpkit.Stream):
    """A socket with a read buffer, and the body of a message as it is
    on the wire."""

    def body_raw(self, framing, length):
        """Yields the body's bytes as they are on the wire (chunked
        framing kept)."""
        if framing == "chunked":
            while True:
                line = self.read_line()
                yield line + b"\r\n"
                try:
                    n = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise BadRequest("bad chunk size %r" % line[:40])
                if n == 0:
                    while True:
                        t = self.read_line()
                        yield t + b"\r\n"
                        if not t:
                            return
                yield from self.read_exact(n)
                if self.read_line() != b"":
                    raise BadRequest("no CRLF after chunk data")
                yield b"\r\n"
        elif framing == "length":
            yield from self.read_exact(length)
        elif framing == "close":
            while True:
                if self.buf:
                    d = bytes(self.buf)
                    self.buf.clear()
                else:
                    d = self.sock.recv(262144)
                if not d:
                    return
                yield d


class Head:
    def __init__(self, raw, request=True):
        lines = raw[:-4].split(b"\r\n")
        first = lines[0].decode("latin-1")
        parts = first.split(" ", 2)
        if len(parts) < 2 or (request and len(parts) != 3):
            raise BadRequest("bad start line %r" % first[:80])
        self.first = parts
        self.headers = []
        for ln in lines[1:]:
            k, sep, v = ln.decode("latin-1").partition(":")
            if not sep:
                raise BadRequest("bad header line %r" % ln[:80])
            self.headers.append((k.strip(), v.strip()))

    def get(self, name):
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def tokens(self, name):
        out = set()
        for k, v in self.headers:
            if k.lower() == name:
                out |= {t.strip().lower() for t in v.split(",")}
        return out

    def framing(self):
        te = self.get("transfer-encoding")
        if te is not None and te.lower().split(",")[-1].strip() == "chunked":
            return "chunked", 0
        cl = self.get("content-length")
        if cl is not None:
            try:
                return "length", int(cl)
            except ValueError:
                raise BadRequest("bad content-length")
        return None, 0


def send_resp(st, status, reason, headers=(), body=b"", head_only=False,
              close=False):
    h = ["HTTP/1.1 %d %s" % (status, reason)]
    h += ["%s: %s" % kv for kv in headers]
    h.append("Content-Length: %d" % len(body))
    if close:
        h.append("Connection: close")
    data = ("\r\n".join(h) + "\r\n\r\n").encode("latin-1")
    if not head_only:
        data += body
    st.sock.sendall(data)


def split_target(target, default_port):
    """host, port from host:port or [v6]:port."""
    if target.startswith("["):
        i = target.find("]")
        host = target[1:i]
        rest = target[i + 1:]
        port = int(rest[1:]) if rest.startswith(":") else default_port
    else:
        host, sep, p = target.rpartition(":")
        if not sep:
            host, p = target, str(default_port)
        port = int(p)
    return host, port


class ClientConn:
    def __init__(self, sock, cid):
        self.st = Stream(sock)
        self.cid = cid
        self.authed = False
        self.challenge = None
        self.scheme = None
        self.type2_ti = None
        self.basic_logged_in = False
        self.close_after = False
        self.extra = []     # fields for the next answer (mutual auth)

    # -- auth

    def auth(self, req, method):
        """True when the request may pass; else a 407 was sent."""
        mode = OPTS.auth
        if mode == "none":
            return True
        pa = req.get("proxy-authorization") or ""
        scheme, _, token = pa.strip().partition(" ")
        scheme = scheme.lower()
        token = token.strip()
        head_only = method == "HEAD"
        if mode == "basic":
            ok = False
            if scheme == "basic":
                try:
                    u, _, p = base64.b64decode(token, validate=True).decode(
                        "utf-8").partition(":")
                except ValueError:
                    u, p = None, None
                # "user", or "DOMAIN\\user" as Windows-backed parents take
                # it when a domain is configured
                d, sep, u1 = (u or "").rpartition("\\")
                ok = p == CREDS.password and u1 == CREDS.user and (
                    not sep or (CREDS.domain and
                                d.upper() == CREDS.domain.upper()))
                if ok:
                    STATS.set(last_user=u1, last_domain=d)
            if ok:
                if not self.basic_logged_in:
                    STATS.add(handshakes=1)
                    self.basic_logged_in = True
                STATS.add(logins=1)
                return True
            if pa:
                STATS.add(failures=1)
                STATS.set(last_failure="wrong Basic credentials %r" % pa)
                log("conn=%d FAILURE Basic: got %r" % (self.cid, pa))
            else:
                STATS.add(probes=1)
            self.send_407(head_only, [("Proxy-Authenticate",
                                       'Basic realm="parent"')])
            return False
        # NTLM, or NTLM inside Negotiate
        msg = None
        sname = {"ntlm": "NTLM", "negotiate": "Negotiate"}.get(scheme)
        if sname is not None and sname not in OPTS.offer and token:
            STATS.add(wrong_scheme=1)
            log("conn=%d %s not offered: 407" % (self.cid, sname))
            self.send_bare_407(head_only)
            return False
        if scheme in ("ntlm", "negotiate") and token:
            try:
                msg = base64.b64decode(token, validate=True)
            except ValueError:
                msg = b""
        if msg is not None and len(msg) >= 12 and msg[:8] == SIG:
            mtype = struct.unpack_from("<I", msg, 8)[0]
        else:
            mtype = None
        if sname == "Negotiate" and msg and mtype is None and OPTS.kerberos:
            return self.kerberos(msg, head_only)
        if self.authed and mtype != 1:
            return True
        if mtype == 1:
            self.authed = False
            try:
                f1 = parse_type1(msg)
            except ValueError as e:
                return self.fail(head_only, str(e))
            STATS.set(last_scheme=sname)
            if sname == "Negotiate" and OPTS.negotiate_bad and \
                    OPTS.negotiate_bad != "loop":
                return self.bad_negotiate(head_only)
            self.challenge = os.urandom(8)
            t2 = build_type2(f1, self.challenge, not OPTS.no_target_info,
                             short=OPTS.short_type2)
            self.type2_ti = None
            if not OPTS.no_target_info and not OPTS.short_type2:
                ti = _field(t2, 40)
                self.type2_ti = av_pairs(ti)
            STATS.add(handshakes=1)
            STATS.set(type1_flags="0x%08x" % f1)
            log("conn=%d Type 1 flags 0x%08x -> %d-byte Type 2 flags "
                "0x%08x %s" % (self.cid, f1, len(t2),
                               struct.unpack_from("<I", t2, 20)[0],
                               "with target info" if self.type2_ti
                               else "without target info"))
            self.scheme = sname
            self.send_407(head_only, [("Proxy-Authenticate", sname + " " +
                                       base64.b64encode(t2).decode())])
            return False
        if mtype == 3:
            if self.challenge is None:
                return self.fail(head_only, "Type 3 without a challenge on "
                                 "this connection")
            if sname != self.scheme:
                return self.fail(head_only, "Type 3 in %s after a Type 1 "
                                 "in %s" % (sname, self.scheme))
            if OPTS.negotiate_bad == "loop" and sname == "Negotiate":
                # never satisfied: a new challenge for every Type 3
                self.challenge = os.urandom(8)
                t2 = build_type2(0xa2088207, self.challenge, False)
                STATS.add(handshakes=1)
                log("conn=%d Type 3 answered with a new challenge "
                    "(--negotiate-bad loop)" % self.cid)
                self.send_407(head_only, [("Proxy-Authenticate",
                                           "Negotiate " +
                                           base64.b64encode(t2).decode())])
                return False
            chal, self.challenge = self.challenge, None
            try:
                t = parse_type3(msg)
            except ValueError as e:
                return self.fail(head_only, str(e))
            d, err, notes = verify_type3(CREDS, chal, t, self.type2_ti)
            STATS.dialect(d)
            STATS.set(last_user=t["user"], last_domain=t["domain"],
                      last_workstation=t["workstation"])
            if err is None and d not in OPTS.accept:
                err = "dialect %s is not accepted here" % d
            if err is not None:
                return self.fail(head_only, "%s: %s (user %r domain %r)" % (
                    d, err, t["user"], t["domain"]))
            self.authed = True
            STATS.add(logins=1)
            STATS.scheme(sname)
            log("conn=%d LOGIN %s user %r domain %r workstation %r flags "
                "0x%08x; %s" % (self.cid, d, t["user"], t["domain"],
                                t["workstation"], t["flags"],
                                "; ".join(notes)))
            return True
        if pa:
            return self.fail(head_only, "unusable Proxy-Authorization %r" %
                             pa[:60])
        STATS.add(probes=1)
        self.send_bare_407(head_only)
        return False

    def send_bare_407(self, head_only):
        """The 407 without a challenge; --close-bare-407 closes after."""
        self.close_after = OPTS.close_bare_407
        self.send_407(head_only, self.offers(), close=self.close_after)

    def kerberos(self, msg, head_only):
        """A Kerberos (SPNEGO) token inside Negotiate: True when the
        connection is logged in by it; else a 407 was sent."""
        import gssapi
        STATS.set(last_scheme="Kerberos")
        STATS.add(ap_reqs=1)
        if OPTS.kerberos_reject:
            STATS.add(failures=1)
            log("conn=%d Kerberos token rejected (--kerberos-reject)" %
                self.cid)
            self.send_407(head_only, [("Proxy-Authenticate",
                                       "Negotiate oQcwBaADCgEC")] +
                          [("Proxy-Authenticate", s) for s in OPTS.offer
                           if s != "Negotiate"])
            return False
        try:
            ctx = gssapi.SecurityContext(usage="accept")
            out = ctx.step(msg)
        except gssapi.exceptions.GSSError as e:
            return self.fail(head_only, "Kerberos: %s" % e)
        if not ctx.complete:
            return self.fail(head_only, "Kerberos: the context wants "
                             "another round")
        user = str(ctx.initiator_name)
        self.authed = True
        STATS.add(logins=1)
        STATS.scheme("Kerberos")
        STATS.set(last_user=user)
        log("conn=%d LOGIN Kerberos %s, %d-byte mutual token" % (
            self.cid, user, len(out or b"")))
        if out and OPTS.mutual != "none":
            if OPTS.mutual == "bad":
                out = out[:-1] + bytes([out[-1] ^ 1])
            self.extra = [("Proxy-Authenticate", "Negotiate " +
                           base64.b64encode(out).decode())]
        return True

    def take_extra(self):
        e, self.extra = self.extra, []
        return ["%s: %s" % kv for kv in e]

    def offers(self):
        """The Proxy-Authenticate fields of a bare 407, per --offer."""
        if OPTS.offer_one_field:
            return [("Proxy-Authenticate", ", ".join(OPTS.offer))]
        return [("Proxy-Authenticate", s) for s in OPTS.offer]

    def bad_negotiate(self, head_only):
        """--negotiate-bad: a Type 1 inside Negotiate gets bad input."""
        bad = OPTS.negotiate_bad
        if bad == "garbage":
            tok = "AAAAA"       # 5 characters: no base64 can end so
        elif bad == "reject":
            tok = "oQcwBaADCgEC"        # NegTokenResp negState reject
        else:
            tok = base64.b64encode(os.urandom(49152)).decode()  # 64 KiB
        STATS.add(handshakes=1)
        log("conn=%d Type 1 in Negotiate answered with %s (%d bytes)" % (
            self.cid, bad, len(tok)))
        self.send_407(head_only, [("Proxy-Authenticate", "Negotiate " +
                                   tok)])
        return False

    def fail(self, head_only, why):
        STATS.add(failures=1)
        STATS.set(last_failure=why)
        log("conn=%d FAILURE %s" % (self.cid, why))
        self.send_407(head_only, self.offers())
        return False

    def send_407(self, head_only, hdrs, close=False):
        body = b"" if OPTS.empty_407 else \
            b"<html><body>407 Proxy Authentication Required</body></html>\n"
        log("conn=%d -> 407 Content-Length: %d, %s" % (
            self.cid, len(body), "no body (answering a HEAD)" if head_only
            else "with the body"))
        send_resp(self.st, 407, "Proxy Authentication Required",
                  list(hdrs) + [("Content-Type", "text/html")] +
                  ([] if close else [("Proxy-Connection", "keep-alive")]),
                  body, head_only=head_only, close=close)

    # -- forwarding

    def drain_body(self, req):
        framing, n = req.framing()
        if framing:
            for _ in self.st.body_raw(framing, n):
                pass

    def serve(self):
        counted = False
        forwarded = 0
        while True:
            raw = self.st.read_head()
            if raw is None:
                return
            req = Head(raw)
            method, target, version = req.first
            keep = "close" not in req.tokens("connection") and \
                "close" not in req.tokens("proxy-connection") and \
                version == "HTTP/1.1"
            log("conn=%d %s %s auth=%s" % (
                self.cid, method, target,
                (req.get("proxy-authorization") or "-")[:12]))
            if target.lower().rstrip("/") == "http://parent.stats":
                self.drain_body(req)
                send_resp(self.st, 200, "OK",
                          [("Content-Type", "application/json")],
                          STATS.json().encode() + b"\n",
                          head_only=method == "HEAD", close=not keep)
                if not keep:
                    return
                continue
            if OPTS.drop_reused and forwarded > 0:
                STATS.add(dropped=1)
                log("conn=%d dropped unanswered (--drop-reused)" % self.cid)
                return
            if not counted:
                STATS.add(connections=1)
                counted = True
            if req.get("proxy-authorization") is not None:
                STATS.add(proxy_auth_seen=1)
            if not self.auth(req, method):
                self.drain_body(req)
                if not keep or self.close_after:
                    return
                continue
            STATS.add(requests=1)
            if method == "CONNECT":
                self.tunnel(target)
                return
            if not self.forward(req, method, target):
                return
            forwarded += 1
            if not keep:
                return

    def tunnel(self, target):
        try:
            host, port = split_target(target, 443)
            up = socket.create_connection((host, port), timeout=10)
        except (OSError, ValueError) as e:
            send_resp(self.st, 502, "Bad Gateway", body=(
                "parent: cannot connect to %s: %s\n" % (target, e)).encode(),
                close=True)
            return
        up.settimeout(None)
        self.st.sock.sendall(("\r\n".join(
            ["HTTP/1.1 200 Connection established"] + self.take_extra()) +
            "\r\n\r\n").encode("latin-1"))
        if self.st.buf:
            up.sendall(bytes(self.st.buf))
            self.st.buf.clear()

        def pipe(a, b):
            try:
                while True:
                    d = a.recv(262144)
                    if not d:
                        break
                    b.sendall(d)
            except OSError:
                pass
            try:
                b.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        t = threading.Thread(target=pipe, args=(up, self.st.sock),
                             daemon=True)
        t.start()
        pipe(self.st.sock, up)
        t.join()
        up.close()

    def forward(self, req, method, target):
        """Forwards one absolute-form request; True to keep going."""
        if not target.lower().startswith("http://"):
            self.drain_body(req)
            send_resp(self.st, 400, "Bad Request",
                      body=b"parent: absolute-form http:// only\n")
            return True
        rest = target[7:]
        i = rest.find("/")
        hostport, path = (rest[:i], rest[i:]) if i >= 0 else (rest, "/")
        try:
            host, port = split_target(hostport, 80)
            up = socket.create_connection((host, port), timeout=10)
        except (OSError, ValueError) as e:
            self.drain_body(req)
            send_resp(self.st, 502, "Bad Gateway", body=(
                "parent: cannot connect to %s: %s\n" % (hostport, e)).encode())
            return True
        up.settimeout(60)
        framing, n = req.framing()
        conn_tokens = req.tokens("connection")
        lines = ["%s %s HTTP/1.1" % (method, path)]
        for k, v in req.headers:
            kl = k.lower()
            if kl in HOP or kl in conn_tokens:
                continue
            lines.append("%s: %s" % (k, v))
        lines.append("Connection: close")
        up.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        err = []

        def send_body():
            try:
                if framing:
                    for piece in self.st.body_raw(framing, n):
                        up.sendall(piece)
            except (OSError, Closed, BadRequest) as e:
                err.append(e)
        t = threading.Thread(target=send_body, daemon=True)
        t.start()
        ust = Stream(up)
        keep = True
        try:
            while True:
                raw = ust.read_head()
                if raw is None:
                    raise Closed("origin closed without answering")
                resp = Head(raw, request=False)
                status = int(resp.first[1])
                out = [raw.split(b"\r\n", 1)[0].decode("latin-1")]
                for k, v in resp.headers:
                    if k.lower() in HOP or k.lower() in resp.tokens(
                            "connection"):
                        continue
                    out.append("%s: %s" % (k, v))
                if 100 <= status < 200:
                    self.st.sock.sendall(("\r\n".join(out) + "\r\n\r\n"
                                          ).encode("latin-1"))
                    continue
                out += self.take_extra()
                rf, rn = resp.framing()
                if method == "HEAD" or status in (204, 304):
                    rf = None
                elif rf is None:
                    rf = "close"
                    keep = False
                    out.append("Connection: close")
                self.st.sock.sendall(("\r\n".join(out) + "\r\n\r\n"
                                      ).encode("latin-1"))
                if rf:
                    for piece in ust.body_raw(rf, rn):
                        self.st.sock.sendall(piece)
                break
        finally:
            t.join(60)
            up.close()
        if err:
            raise Closed("request body: %s" % err[0])
        return keep


def serve_conn(sock, cid):
    c = ClientConn(sock, cid)
    try:
        c.serve()
    except (Closed, OSError, BadRequest) as e:
        log("conn=%d ended: %s" % (cid, e))
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    global LOG, OPTS, CREDS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int)
    ap.add_argument("--port-file")
    ap.add_argument("--log")
    ap.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"),
                    help="speak TLS with this certificate chain and key")
    ap.add_argument("--auth", choices=("ntlm", "basic", "none"),
                    default="ntlm")
    ap.add_argument("--user", default="")
    ap.add_argument("--domain", default="")
    ap.add_argument("--password", default="")
    ap.add_argument("--password-env", metavar="VAR",
                    help="the password from $VAR, as UTF-8")
    ap.add_argument("--no-target-info", action="store_true")
    ap.add_argument("--short-type2", type=int, choices=(32, 40), default=0)
    ap.add_argument("--accept", default="NTLMv2,NTLM2SR,NTLM,NT,LM")
    ap.add_argument("--empty-407", action="store_true")
    ap.add_argument("--drop-reused", action="store_true")
    ap.add_argument("--offer", default="NTLM",
                    help="schemes a bare 407 offers: ntlm, negotiate, "
                    "or both in order (comma-separated)")
    ap.add_argument("--offer-one-field", action="store_true")
    ap.add_argument("--close-bare-407", action="store_true")
    ap.add_argument("--kerberos", action="store_true")
    ap.add_argument("--mutual", choices=("good", "bad", "none"),
                    default="good")
    ap.add_argument("--kerberos-reject", action="store_true")
    ap.add_argument("--negotiate-bad",
                    choices=("garbage", "reject", "huge", "loop"))
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--hash")
    ap.add_argument("--hash-env", metavar="VAR")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    if a.hash_env is not None:
        a.hash = os.environb[a.hash_env.encode()].decode("utf-8")
    if a.password_env is not None:
        a.password = os.environb[a.password_env.encode()].decode("utf-8")
    if a.hash is not None:
        c = Creds(a.user, a.domain, a.hash)
        print("LM %s" % c.lm.hex().upper())
        print("NT %s" % c.nt.hex().upper())
        print("NTLMv2 %s" % ntowf2(c.nt, a.user, a.domain).hex().upper())
        return 0
    if a.port is None:
        ap.error("--port is required")
    a.accept = set(x.strip() for x in a.accept.split(",") if x.strip())
    names = {"ntlm": "NTLM", "negotiate": "Negotiate"}
    try:
        a.offer = [names[x.strip().lower()] for x in a.offer.split(",")]
    except KeyError:
        ap.error("--offer: ntlm and negotiate only")
    OPTS = a
    CREDS = Creds(a.user, a.domain, a.password)
    if a.log:
        LOG = open(a.log, "a")
    fam = socket.AF_INET6 if ":" in a.host else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.host, a.port))
    ls.listen(256)
    port = ls.getsockname()[1]
    log("parent on %s:%d auth=%s user=%r domain=%r accept=%s%s" % (
        a.host, port, a.auth, a.user, a.domain, ",".join(sorted(a.accept)),
        " no-target-info" if a.no_target_info else ""))
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, a.port_file)
    ctx = None
    if a.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls[0], a.tls[1])
    cid = 0
    while True:
        try:
            sock, _ = ls.accept()
        except InterruptedError:
            continue
        cid += 1
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=tls_serve if a.tls else serve_conn,
                         args=(sock, cid) if not a.tls else
                         (serve_conn, ctx, sock, cid), daemon=True).start()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        pass
