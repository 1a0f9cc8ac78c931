# proxy: POSIX make. The user's CC, CFLAGS, CPPFLAGS, LDFLAGS, DESTDIR and
# PREFIX win: they are appended last. A cross build needs only CC=...
#
# No .POSIX line: with it, POSIX makes (GNU make, bmake) define their
# default CFLAGS = -O1, which, appended last as the user's CFLAGS are,
# overrode OPT and built every binary at -O1. Without it CFLAGS is empty
# unless the user sets it (on the command line or in the environment).
.SUFFIXES:
.SUFFIXES: .c .o

CC = cc
PREFIX = /usr/local
OPT = -O2
WARN = -Wall -Wextra
# 64-bit time_t and file offsets on 32-bit glibc targets (a no-op on
# 64-bit ones and on musl, where they already are): nothing may break in
# 2038
STD = -std=c99 -D_POSIX_C_SOURCE=200809L -D_FILE_OFFSET_BITS=64 -D_TIME_BITS=64
SANITIZE = 0
SAN_0 =
SAN_1 = -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -DPROXY_DEBUG
# DEBUG=1: the assertions of PROXY_DEBUG (a close of fd 0-2, ...) without
# the sanitizers
DEBUG = 0
DBG_0 =
DBG_1 = -g -DPROXY_DEBUG
# TLS: with BearSSL when it is found (auto), TLS=1 requires it, TLS=0
# builds without. tls-probe.sh decides on each make, by compiling and
# linking a probe with the user's CC and flags (never running it), and
# writes the decision to tls_config.h (included by tls.c alone) and
# tls.lib (what the link adds), so this file needs no $(shell) nor
# include: GNU make and bmake read it alike.
TLS = auto
# Features left out at build time (the flags of a left-out feature then
# exit 2 with "built without ..."): PAC=0 leaves out the PAC interpreter
# (--pac; serving a PAC file stays), NTLM=0 the NTLM login to parents
# (Basic stays). features.stamp records the choice, so that changing it
# rebuilds everything.
PAC = 1
NTLM = 1
# GSSAPI=1: Kerberos (Negotiate) logins to parents through the system's
# MIT GSSAPI (Debian: libkrb5-dev); gss-probe.sh checks for it and writes
# gss.cflags and gss.lib. Off by default: it is a dependency.
GSSAPI = 0
FEATURES = -DWITH_PAC=$(PAC) -DWITH_NTLM=$(NTLM) -DWITH_GSSAPI=$(GSSAPI)
# EVENTS: the workers' event backend. auto builds epoll (Linux) or kqueue
# (the BSDs, macOS) beside poll(), and --events chooses at run time;
# EVENTS=poll builds poll() alone.
EVENTS = auto
EVT_auto =
EVT_poll = -DEVENTS_POLL_ONLY
FUZZCC = clang
FUZZ_SECONDS = 60

# Bind every symbol at start-up, in the master: forked workers and
# helpers then never enter ld.so's lazy binder, which would otherwise make
# each of them touch ld.so and the libraries' symbol tables (about 0.5 MiB
# of RSS per process). Linkers without -z (macOS): make BINDNOW=
BINDNOW = -Wl,-z,now

# SMALL=1: built for size (routers): -Os, no unwind tables, unused
# functions dropped at link time, link-time optimisation, stripped. With
# CC=musl-gcc LDFLAGS=-static this is the size README states.
SMALL = 0
SMALL_C_0 =
SMALL_C_1 = -Os -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables -flto
SMALL_L_0 =
SMALL_L_1 = -Os -flto -Wl,--gc-sections -s

XCFLAGS = $(STD) $(OPT) $(SMALL_C_$(SMALL)) $(WARN) $(FEATURES) $(EVT_$(EVENTS)) $(SAN_$(SANITIZE)) $(DBG_$(DEBUG)) -I. $(CPPFLAGS) $(CFLAGS)
XLDFLAGS = $(SAN_$(SANITIZE)) $(SMALL_L_$(SMALL)) $(BINDNOW) $(LDFLAGS)
LIBS = `cat tls.lib` `cat gss.lib`

LEAVES = util.o http.o config.o auth_ntlm.o pac.o x509.o socks.o proxyproto.o sni.o
OBJS = $(LEAVES) log.o hooks.o tls.o fetch.o dns.o upstream.o conn.o conn_http.o conn_socks.o web.o events.o loop.o options.o proxy.o plugins.o gss.o
FUZZ_SRC = util.c http.c config.c auth_ntlm.c pac.c x509.c socks.c proxyproto.c sni.c

all: proxy

proxy: main.o libproxy.a tls.lib gss.lib
	$(CC) $(XLDFLAGS) -o $@ main.o libproxy.a $(LIBS)

libproxy.a: $(OBJS)
	rm -f $@
	ar rc $@ $(OBJS)

.c.o:
	$(CC) $(XCFLAGS) -c -o $@ $<

$(OBJS) main.o: proxy.h Makefile features.stamp

# always asked again; touched only when the choice changes
features.stamp: FORCE
	@f='PAC=$(PAC) NTLM=$(NTLM) GSSAPI=$(GSSAPI)'; \
	case "$$f" in *[!01A-Z=\ ]*|*=\ *|*=) \
		echo "features: $$f: each is 0 or 1" >&2; exit 1 ;; esac; \
	[ -f $@ ] && [ "$$(cat $@)" = "$$f" ] || echo "$$f" >$@
tls.o: tls_config.h
# events.stamp records EVENTS, so that changing it rebuilds events.o
events.o: events.stamp
events.stamp: FORCE
	@[ -f $@ ] && [ "$$(cat $@)" = '$(EVENTS)' ] || echo '$(EVENTS)' >$@

# gss.c alone sees the GSSAPI headers' flags
gss.o: gss.c gss.lib
	$(CC) $(XCFLAGS) `cat gss.cflags` -c -o $@ gss.c

# always asked again: GSSAPI or CC may differ from the last make
gss.lib: FORCE
	@CC='$(CC)' CFLAGS='$(XCFLAGS)' LDFLAGS='$(XLDFLAGS)' sh ./gss-probe.sh '$(GSSAPI)'

# always asked again: TLS or CC may differ from the last make
tls_config.h: FORCE
	@CC='$(CC)' CFLAGS='$(XCFLAGS)' LDFLAGS='$(XLDFLAGS)' sh ./tls-probe.sh '$(TLS)'
tls.lib: tls_config.h
FORCE:

unit: libproxy.a tls.lib gss.lib
	$(CC) $(XCFLAGS) $(XLDFLAGS) -o tests/pac_run tests/pac_run.c libproxy.a $(LIBS)
	@for t in tests/unit_*.c; do \
		[ -f "$$t" ] || continue; \
		echo "$(CC) -o $${t%.c} $$t libproxy.a"; \
		$(CC) $(XCFLAGS) $(XLDFLAGS) -o "$${t%.c}" "$$t" libproxy.a $(LIBS) || exit 1; \
	done

test: all unit
	PROXY_SANITIZED=$(SANITIZE) sh tests.sh

# Cross builds tested under qemu-user (tests/cross.sh: Debian's
# gcc-<triple> and qemu-user-static, installed when missing; no binfmt):
# make test-cross ARCH=mips|mipsel|armhf|aarch64
ARCH = mips
test-cross:
	sh tests/cross.sh $(ARCH)

fuzz:
	@mkdir -p fuzz-out
	@for t in tests/fuzz_*.c; do \
		n=$$(basename "$${t%.c}"); \
		echo "$(FUZZCC) -o fuzz-out/$$n $$t"; \
		$(FUZZCC) -g -O1 -fsanitize=fuzzer,address,undefined -I. -o "fuzz-out/$$n" "$$t" $(FUZZ_SRC) || exit 1; \
	done

fuzz-run: fuzz
	@for f in fuzz-out/fuzz_*; do \
		[ -x "$$f" ] || continue; \
		mkdir -p "$$f.corpus"; \
		echo "running $$f for $(FUZZ_SECONDS) s"; \
		"$$f" -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 "$$f.corpus" || exit 1; \
	done

bench: all
	sh bench/bench.sh

# proxy.py's targets: a local CA, and the proxy's own certificate (see
# certs.sh: HTTPS_HOST=name, FORCE=1 to replace existing keys)
ca-certificates: all
	sh ./certs.sh ca-certificates

https-certificates: all
	sh ./certs.sh https-certificates

install: all
	mkdir -p $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	cp proxy $(DESTDIR)$(PREFIX)/bin/proxy
	chmod 755 $(DESTDIR)$(PREFIX)/bin/proxy
	cp proxy.1 $(DESTDIR)$(PREFIX)/share/man/man1/proxy.1
	chmod 644 $(DESTDIR)$(PREFIX)/share/man/man1/proxy.1

clean:
	rm -f proxy main.o libproxy.a $(OBJS) tls_config.h tls.lib gss.cflags gss.lib features.stamp events.stamp tests/unit_api tests/unit_config tests/unit_http tests/unit_ntlm tests/unit_pac tests/unit_util tests/unit_x509 tests/unit_socks tests/unit_proxyproto tests/pac_run
	rm -rf fuzz-out

.PHONY: FORCE all unit test test-cross fuzz fuzz-run bench install clean ca-certificates https-certificates
