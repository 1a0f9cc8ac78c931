# Many instances behind a balancer; sourced by tests.sh. haproxy (TCP
# mode, TCP health checks that send a PROXY header, send-proxy to one
# instance and send-proxy-v2 to the other) in front of two proxies with
# --proxy-protocol; 200 clients through haproxy while one instance is
# killed with SIGKILL midway. Every request must either succeed, served
# and logged by exactly one instance, or have failed while it was in
# flight on the killed one; and the instances' --deny must see the
# clients' own addresses, not haproxy's. Skipped without haproxy.

CASES="${CASES:-} balancer"

# lb.py (python3 standard library):
#   drive HOST PORT ORIGIN N CONC MS KILLAT PIDS OUT: N requests for
#       ORIGIN/slow/MS?id=I through the proxy at HOST:PORT, CONC at a
#       time, each on a connection of its own; once request KILLAT has
#       been sent, SIGKILL to each of PIDS (comma-separated). Writes
#       "req I STATUS T0 T1 PORT WHY" per request (PORT: the client's
#       own, which haproxy's log names), "kill T" when the signal went
#       and "dead T" once every pid was gone, to OUT (monotonic seconds).
#   check OUT N HALOG ALOG BLOG: reads OUT, haproxy's log (which server
#       each client port went to) and the instances' logs (A: the
#       killed one); prints "ok ..." or "FAIL why" lines
lb_init() {
	LB_PY=$T/lb.py
	[ -f "$LB_PY" ] && return 0
	cat >"$LB_PY" <<'PYEOF'
import os, re, signal, socket, sys, threading, time


def one(i, a, out, lock):
    host, port, origin, ms = a[0], int(a[1]), a[2], int(a[5])
    t0 = time.monotonic()
    status, why, cport = 0, "-", 0
    try:
        s = socket.create_connection((host, port), timeout=20)
        cport = s.getsockname()[1]
        req = ("GET %s/slow/%d?id=%d HTTP/1.1\r\nHost: %s\r\n"
               "Connection: close\r\n\r\n" %
               (origin, ms, i, origin.split("//", 1)[1]))
        s.sendall(req.encode())
        data = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
        s.close()
        if data.startswith(b"HTTP/1.1 ") and data.endswith(
                b"slow %d\n" % ms):
            status = int(data[9:12])
        else:
            why = "answer:%r" % data[:40]
    except OSError as e:
        why = type(e).__name__
    t1 = time.monotonic()
    with lock:
        out.append("req %d %d %.4f %.4f %d %s" % (i, status, t0, t1,
                   cport, why.replace(" ", "_")))


def gone(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def drive(a):
    n, conc, killat = int(a[3]), int(a[4]), int(a[6])
    pids = [int(p) for p in a[7].split(",") if p]
    out, lock, threads = [], threading.Lock(), []
    sem = threading.Semaphore(conc)

    def run(i):
        try:
            one(i, a, out, lock)
        finally:
            sem.release()

    def killer():
        # while requests go on: some are in flight on the instance
        time.sleep(0.15)
        for p in pids:
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        with lock:
            out.append("kill %.4f" % time.monotonic())
        limit = time.monotonic() + 5
        while time.monotonic() < limit and not all(map(gone, pids)):
            time.sleep(0.001)
        with lock:
            out.append("dead %.4f" % time.monotonic())
    for i in range(n):
        sem.acquire()
        t = threading.Thread(target=run, args=(i,))
        t.start()
        threads.append(t)
        if i == killat:
            t = threading.Thread(target=killer)
            t.start()
            threads.append(t)
    for t in threads:
        t.join(30)
    with open(a[8], "w") as f:
        f.write("\n".join(out) + "\n")


def ids(path, pat):
    got = {}
    with open(path, errors="replace") as f:
        for line in f:
            m = pat.search(line)
            if m:
                got.setdefault(int(m.group(1)), []).append(line)
    return got


def check(a):
    reqs, kill, dead = {}, None, None
    for line in open(a[0]):
        w = line.split()
        if w[0] == "kill":
            kill = float(w[1])
        elif w[0] == "dead":
            dead = float(w[1])
        elif w[0] == "req":
            reqs[int(w[1])] = (int(w[2]), float(w[3]), float(w[4]),
                               int(w[5]), w[6])
    # haproxy's tcplog: "127.0.0.1:PORT [date] fe proxies/SERVER ..."
    server = {}
    for line in open(a[2], errors="replace"):
        m = re.search(r"127\.0\.0\.1:(\d+) \[[^]]*\] fe proxies/(\w+) ",
                      line)
        if m:
            server[int(m.group(1))] = m.group(2)
    started = re.compile(r": GET \S+ /slow/\d+\?id=(\d+)$")
    done = re.compile(r" access \S+ GET \S+ /slow/\d+\?id=(\d+) 200 ")
    a_done, b_done = ids(a[3], done), ids(a[4], done)
    b_start = ids(a[4], started)
    bad, failed, served_a, served_b, after = [], [], 0, 0, 0
    if kill is None or dead is None:
        print("FAIL the driver did not kill the instance")
        return
    for i, (st, t0, t1, cport, why) in sorted(reqs.items()):
        na, nb = len(a_done.get(i, [])), len(b_done.get(i, []))
        via = server.get(cport, "?")
        if t0 > dead:
            after += 1
        if st == 200:
            if na + nb != 1:
                bad.append("id %d succeeded but is logged as served %d "
                           "times (A %d, B %d)" % (i, na + nb, na, nb))
            elif via != ("a" if na else "b"):
                bad.append("id %d was served by %s, haproxy says %s" %
                           (i, "A" if na else "B", via))
            served_a += na
            served_b += nb
            continue
        failed.append(i)
        if t0 > dead:
            bad.append("id %d failed (%s) though sent after the killed "
                       "instance was gone" % (i, why))
        elif t1 < kill:
            bad.append("id %d failed (%s) before the kill" % (i, why))
        elif via != "a":
            bad.append("id %d failed (%s), haproxy sent it to %s, not to "
                       "the killed instance" % (i, why, via))
        elif na or nb or i in b_start:
            bad.append("id %d failed (%s) but was served" % (i, why))
    if len(reqs) != int(a[1]):
        bad.append("%d results for %s requests" % (len(reqs), a[1]))
    if served_a == 0 or served_b == 0:
        bad.append("served by A %d, by B %d: both must serve" %
                   (served_a, served_b))
    if after == 0:
        bad.append("no request was sent after the kill")
    for b in bad[:8]:
        print("FAIL " + b)
    if not bad:
        print("ok %d succeeded (A %d before its kill, B %d), %d failed "
              "in flight on A (ids %s), %d sent after it was gone" %
              (served_a + served_b, served_a, served_b, len(failed),
               " ".join(map(str, failed)) or "none", after))


{"drive": drive, "check": check}[sys.argv[1]](sys.argv[2:])
PYEOF
}

# lb_curl SRC: a request through haproxy from SRC; prints the status
lb_curl() {
	curl -q -sS --noproxy '' --max-time 10 --interface "$1" \
	    -x "http://127.0.0.1:$LB_PORT" -o /dev/null -w '%{http_code}' \
	    "$OURL/status/200" 2>>"$T/lb-curl.err"
}

t_balancer() {
	HAPROXY=$(command -v haproxy 2>/dev/null || echo /usr/sbin/haproxy)
	if [ ! -x "$HAPROXY" ]; then
		skip balancer "haproxy is not installed (Debian's haproxy)"
		return
	fi
	lb_init
	for n in a b; do
		if ! start_proxy "lb$n" --proxy-protocol --proxy-protocol-from \
		    127.0.0.1 --deny 127.0.0.2; then
			fail balancer "$START_ERR"
			return
		fi
	done
	use_proxy lba
	pa=$P
	pida=$PX
	use_proxy lbb
	pb=$P
	LB_PORT=$(freeport)
	cat >"$T/haproxy.cfg" <<EOF
global
	maxconn 512
	log stdout format raw local0
defaults
	mode tcp
	log global
	option tcplog
	timeout connect 2s
	timeout client 30s
	timeout server 30s
	retries 3
	option redispatch
frontend fe
	bind 127.0.0.1:$LB_PORT
	default_backend proxies
backend proxies
	balance roundrobin
	server a 127.0.0.1:$pa send-proxy check check-send-proxy inter 300ms fall 1 rise 2
	server b 127.0.0.1:$pb send-proxy-v2 check check-send-proxy inter 300ms fall 1 rise 2
EOF
	bg haproxy "$HAPROXY" -db -f "$T/haproxy.cfg"
	hpid=$BGPID
	if ! waitport 127.0.0.1 "$LB_PORT" 10; then
		fail balancer "haproxy did not start: $(tail -n 3 "$T/haproxy.err" | tr '\n' ' ')"
		kill_bg "$hpid"
		return
	fi
	# the ACL sees the client behind haproxy: 127.0.0.2 is denied,
	# 127.0.0.3 is not (haproxy itself connects from 127.0.0.1)
	acl=
	# (round robin: each client's two requests go to both instances)
	for src in 127.0.0.2 127.0.0.3 127.0.0.3 127.0.0.2; do
		acl="$acl $(lb_curl "$src")"
	done
	# 200 clients, 20 at a time, each answer 300 ms; A is killed
	# (master and workers at once) after request 100 is sent
	kids=$(descendants "$pida" | tr '\n' ',')
	"$PY" "$LB_PY" drive 127.0.0.1 "$LB_PORT" "$OURL" 200 20 300 100 \
	    "$pida,$kids" "$T/lb.out" >"$T/lb-drive.err" 2>&1 &
	dpid=$!
	if ! wait_pid "$dpid" 60; then
		kill "$dpid" 2>/dev/null
		fail balancer "the driver did not finish within 60 s"
		kill_bg "$hpid"
		return
	fi
	proxy_exited lba 5
	after=$(lb_curl 127.0.0.3)
	kill_bg "$hpid"
	"$PY" "$LB_PY" check "$T/lb.out" 200 "$T/haproxy.out" "$T/lba.log" \
	    "$T/lbb.log" >"$T/lb-check.out" 2>&1
	if [ "$acl" != " 403 200 200 403" ]; then
		fail balancer "through haproxy with --deny 127.0.0.2: from 127.0.0.2, .3, .3, .2: statuses$acl, want 403 200 200 403"
		evidence "$T/lba.log" 5
	elif ! grep -q ' access 127\.0\.0\.3:' "$T/lba.log" ||
	    ! grep -q ' access 127\.0\.0\.3:' "$T/lbb.log" ||
	    ! grep -q '127\.0\.0\.2:[0-9]*: refused by --allow/--deny' "$T/lba.log" ||
	    ! grep -q '127\.0\.0\.2:[0-9]*: refused by --allow/--deny' "$T/lbb.log"; then
		fail balancer "the instances' logs do not both name the clients 127.0.0.2 and 127.0.0.3"
		evidence "$T/lbb.log" 5
	elif ! grep -q '^ok ' "$T/lb-check.out"; then
		fail balancer "$(head -n 1 "$T/lb-check.out")"
		sed -n '2,8p' "$T/lb-check.out" | sed 's/^/    | /'
		evidence "$T/lb-drive.err" 3
	elif [ "$after" != 200 ]; then
		fail balancer "after the kill, through haproxy: status $after"
	else
		echo "     ($(cat "$T/lb-check.out"))"
		pass balancer
	fi
}
