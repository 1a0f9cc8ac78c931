/*
 * fuzz_http: libFuzzer target for the head parser and the chunked
 * scanner. The first byte picks request, response or chunked, the piece
 * size and the request method a response answers; the second the head
 * limit; the third the cut offset. The rest is fed whole, in two pieces
 * split at the chosen offset, and in pieces growing by a few bytes; the
 * ways must agree and every span must lie inside the head. A request's
 * Basic credentials are decoded too.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *     tests/fuzz_http.c http.c util.c -o /tmp/fuzz_http
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NEED(c)	do { if (!(c)) abort(); } while (0)

/* ------------------------------------------------------------ heads */

static struct http_head h1, h2;

static int
parse(int resp, const char *b, size_t n, size_t max, size_t *scan,
    enum http_method m, struct http_head *h)
{
	if (resp)
		return http_parse_response(b, n, max, scan, m, h);
	return http_parse_request(b, n, max, scan, h);
}

/* A copy of exactly n bytes, so a read past the end is caught. */
static char *
copy(const char *src, size_t n)
{
	char *b = malloc(n > 0 ? n : 1);

	NEED(b != NULL);
	memcpy(b, src, n);
	return b;
}

static void
span_in(struct http_span s, size_t len)
{
	NEED(s.off <= len && s.len <= len - s.off);
}

/* What a successful parse promises about h. */
static void
check_head(int resp, int r, size_t len, size_t max,
    const struct http_head *h)
{
	size_t i;

	NEED(r <= 0 || (size_t)r == h->head_len);
	if (r <= 0)
		return;
	NEED(h->head_len <= len && h->head_len <= max && h->head_len >= 4);
	NEED(h->error == NULL);
	NEED(h->nfields <= HTTP_MAX_FIELDS);
	span_in(h->method_s, len);
	span_in(h->target, len);
	span_in(h->reason, len);
	span_in(h->scheme, len);
	span_in(h->host, len);
	span_in(h->path, len);
	span_in(h->host_field, len);
	for (i = 0; i < h->nfields; i++) {
		span_in(h->fields[i].name, len);
		span_in(h->fields[i].value, len);
		NEED(h->fields[i].name.len > 0);
	}
	NEED(h->minor == 0 || h->minor == 1);
	NEED(h->host.len < HOST_MAX);
	if (resp)
		NEED(h->status >= 100 && h->status <= 999);
	else
		NEED(h->body != HTTP_BODY_CLOSE && h->status == 0);
	NEED((h->body == HTTP_BODY_LENGTH) == (h->content_length > 0));
	NEED(h->content_length <= (uint64_t)1 << 62);
}

static int
span_eq(struct http_span a, struct http_span b)
{
	return a.off == b.off && a.len == b.len;
}

static void
same_head(int r, const struct http_head *a, const struct http_head *b)
{
	size_t i;

	if (r < 0) {
		NEED(a->error != NULL && b->error != NULL &&
		    strcmp(a->error, b->error) == 0);
		return;
	}
	if (r == 0)
		return;
	NEED(a->method == b->method && span_eq(a->method_s, b->method_s));
	NEED(span_eq(a->target, b->target) && a->form == b->form);
	NEED(a->minor == b->minor && a->status == b->status);
	NEED(span_eq(a->reason, b->reason) && span_eq(a->scheme, b->scheme));
	NEED(span_eq(a->host, b->host) && a->port == b->port);
	NEED(span_eq(a->path, b->path) && a->nfields == b->nfields);
	NEED(span_eq(a->host_field, b->host_field) && a->body == b->body);
	NEED(a->content_length == b->content_length && a->flags == b->flags);
	NEED(a->head_len == b->head_len);
	for (i = 0; i < a->nfields; i++)
		NEED(span_eq(a->fields[i].name, b->fields[i].name) &&
		    span_eq(a->fields[i].value, b->fields[i].value));
}

/* A request's Basic credentials (the web server's login): decoded
 * inside the buffer given, the user and the password each ended there. */
static void
check_basic(const char *buf, const struct http_head *h)
{
	char plain[64], *pass;

	if (http_basic_decode(buf, h, "Authorization", plain, sizeof(plain),
	    &pass) == -1)
		return;
	NEED(pass > plain && pass < plain + sizeof(plain));
	NEED(memchr(pass, '\0', (size_t)(plain + sizeof(plain) - pass)) !=
	    NULL);
	NEED(strlen(plain) < (size_t)(pass - plain));
}

static void
fuzz_head(int resp, const char *data, size_t size, size_t max,
    enum http_method m, size_t cut, size_t stride)
{
	size_t scan = 0, i;
	char *b;
	int r, r2;

	r = parse(resp, data, size, max, &scan, m, &h1);
	check_head(resp, r, size, max, &h1);
	NEED(!resp || r == 0 || r == -502 || r > 0);
	if (!resp && r > 0)
		check_basic(data, &h1);

	/* two pieces: the first in a buffer of its own size */
	scan = 0;
	b = copy(data, cut);
	r2 = parse(resp, b, cut, max, &scan, m, &h2);
	free(b);
	NEED(scan <= cut);
	if (r2 == 0)
		r2 = parse(resp, data, size, max, &scan, m, &h2);
	NEED(r2 == r);
	same_head(r, &h1, &h2);

	/* growing pieces with one scan variable */
	scan = 0;
	r2 = 0;
	for (i = stride; r2 == 0; i += stride) {
		if (i > size)
			i = size;
		r2 = parse(resp, data, i, max, &scan, m, &h2);
		if (i == size)
			break;
	}
	NEED(r2 == r);
	same_head(r, &h1, &h2);
}

/* ---------------------------------------------------------- chunked */

struct cres {
	int		 err;
	const char	*error;
	size_t		 consumed, data, done_at;
	int		 done;
};

static void
chunked_piece(struct http_chunked *c, const char *src, size_t n,
    struct cres *r)
{
	char *b = copy(src, n);
	size_t pos = 0, dl;
	long s;

	while (r->err == 0) {
		s = http_chunked_step(c, b + pos, n - pos, &dl);
		if (s < 0) {
			NEED(c->error != NULL);
			r->err = -1;
			r->error = c->error;
			break;
		}
		NEED((size_t)s <= n - pos);
		NEED(dl == 0 || dl == (size_t)s);
		NEED(s > 0 || pos == n || c->done);
		NEED(!r->done || s == 0);
		pos += (size_t)s;
		r->consumed += (size_t)s;
		r->data += dl;
		if (c->done && !r->done) {
			r->done = 1;
			r->done_at = r->consumed;
		}
		if (s == 0)
			break;
	}
	free(b);
}

static void
chunked_run(const char *data, size_t size, const size_t *cuts,
    size_t ncuts, struct cres *r)
{
	struct http_chunked c;
	size_t i, from = 0;

	memset(r, 0, sizeof(*r));
	http_chunked_init(&c);
	for (i = 0; i <= ncuts; i++) {
		size_t to = i < ncuts ? cuts[i] : size;

		chunked_piece(&c, data + from, to - from, r);
		from = to;
	}
}

static void
fuzz_chunked(const char *data, size_t size, size_t cut)
{
	struct cres a, b;
	size_t cuts[2];

	chunked_run(data, size, NULL, 0, &a);
	NEED(a.data <= a.consumed);
	cuts[0] = cut;
	chunked_run(data, size, cuts, 1, &b);
	NEED(a.err == b.err && a.done == b.done);
	if (a.err != 0) {
		NEED(strcmp(a.error, b.error) == 0);
		return;
	}
	NEED(a.consumed == b.consumed && a.data == b.data);
	NEED(a.done_at == b.done_at);
	if (a.done)
		NEED(a.done_at == a.consumed);
	else
		NEED(a.consumed == size);
	cuts[0] = cut / 2;
	cuts[1] = cut;
	chunked_run(data, size, cuts, 2, &b);
	NEED(a.err == b.err && a.consumed == b.consumed && a.data == b.data);
}

/* ------------------------------------------------------------- dates */

/* An HTTP-date that parses writes back as an IMF-fixdate of the same
 * instant. */
static void
fuzz_date(const char *src, size_t n)
{
	char *b = copy(src, n), out[30];
	int64_t t, back;

	if (http_date_parse(b, n, &t) == 0) {
		http_date_format(t, out);
		NEED(http_date_parse(out, strlen(out), &back) == 0);
		NEED(back == t);
	}
	free(b);
}

/* ------------------------------------------------------------- entry */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 3;
	size_t n, cut, max;
	enum http_method m;
	unsigned mode;

	if (size < 3)
		return 0;
	n = size - 3;
	mode = data[0] % 3;
	cut = n > 0 ? data[2] * n / 255 : 0;
	/* a small limit now and then, so the limit paths are reached */
	max = data[1] < 64 ? (size_t)data[1] * 8 : (size_t)-1;
	m = (enum http_method)(data[0] / 21 % 10);
	switch (mode) {
	case 0:
		fuzz_head(0, p, n, max, m, cut, 1 + data[0] / 3 % 7);
		break;
	case 1:
		fuzz_head(1, p, n, max, m, cut, 1 + data[0] / 3 % 7);
		break;
	default:
		fuzz_chunked(p, n, cut);
		fuzz_date(p, n < 64 ? n : 64);
		break;
	}
	return 0;
}
