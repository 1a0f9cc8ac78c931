/*
 * plugins.c without a connection: a configuration made by options_load
 * as the command line would make it, head rewrites (what they may and
 * may not change, the target they leave), the response hooks' body
 * modes and the body pipeline's output for the client, piece by piece,
 * answers and the fields they may carry, and the internal rows' places
 * in the chain.
 */
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "check.h"

static struct http_head h, alt;
static char altbuf[2][8192], out[PLUGIN_OUT_MAX + 64];
static char stage[2 * PLUGIN_OUT_MAX];

static struct config *
load(const char *plugins, int quiet)
{
	char *argv[] = { "proxy", "--plugins", (char *)plugins, NULL };
	char err[1024];
	struct config *cfg;
	int status;

	if ((cfg = options_load(3, argv, NULL, err, sizeof(err),
	    &status)) == NULL && !quiet)
		printf("options_load: %s\n", err);
	return cfg;
}

/* pc over the head in buf, with the rewrite buffers a worker lends */
static void
call_init(struct plugin_call *pc, const struct config *cfg, const char *buf,
    size_t len, int response)
{
	size_t scan = 0;
	int r;

	memset(pc, 0, sizeof(*pc));
	pc->cfg = cfg;
	pc->alt[0] = altbuf[0];
	pc->alt[1] = altbuf[1];
	pc->alt_size = sizeof(altbuf[0]);
	pc->alt_head = &alt;
	pc->max_head = 65536;
	pc->out = out;
	pc->out_cap = PLUGIN_OUT_MAX;
	pc->answer.fd = -1;
	r = response ? http_parse_response(buf, len, 65536, &scan, HTTP_GET,
	    &h) : http_parse_request(buf, len, 65536, &scan, &h);
	CHECK_EQ(r, (int)len);
	plugins_call_head(pc, buf, &h, response, HTTP_GET);
}

static void
test_rewrite(const struct config *cfg)
{
	static const char req[] = "POST http://a.test/x?y HTTP/1.1\r\n"
	    "Host: a.test\r\nContent-Length: 3\r\nX-Old: 1\r\n\r\n";
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
	    "\r\n";
	static const char local[] = "GET /p HTTP/1.1\r\nHost: x\r\n\r\n";
	const char *path;
	const char *drop[] = { "x-old" }, *add[] = { "X-New: 2" };
	const char *third[] = { "X-Third: 3" };
	const char *cl[] = { "Content-Length" }, *te[] = { "Transfer-Encoding: x" };
	const char *crlf[] = { "X-A: 1\r\nX-B: 2" };
	struct plugin_call pc;
	size_t n;

	call_init(&pc, cfg, req, sizeof(req) - 1, 0);
	pc.plugin = &plugin_table[0];
	CHECK_STR(pc.host, "a.test");
	CHECK_EQ(pc.port, 80);
	CHECK_EQ(pc.local, 0);
	CHECK_EQ(plugin_rewrite(&pc, "POST http://b.test:81/z HTTP/1.1", drop,
	    1, add, 1), 0);
	CHECK_STR(pc.host, "b.test");
	CHECK_EQ(pc.port, 81);
	CHECK(plugin_field(&pc, "X-Old", &n) == NULL);
	CHECK(plugin_field(&pc, "X-New", &n) != NULL && n == 1);
	CHECK(plugin_field(&pc, "Content-Length", &n) != NULL);
	CHECK_EQ(pc.head->content_length, 3);
	/* a second rewrite builds on the first */
	CHECK_EQ(plugin_rewrite(&pc, NULL, NULL, 0, third, 1), 0);
	CHECK_STR(pc.host, "b.test");
	CHECK(plugin_field(&pc, "X-New", &n) != NULL);
	CHECK(plugin_field(&pc, "X-Third", &n) != NULL);
	/* framing fields, line breaks and bad lines are refused */
	CHECK_EQ(plugin_rewrite(&pc, NULL, cl, 1, NULL, 0), -1);
	CHECK(strstr(pc.why, "framing") != NULL);
	CHECK_EQ(plugin_rewrite(&pc, NULL, NULL, 0, te, 1), -1);
	CHECK_EQ(plugin_rewrite(&pc, NULL, NULL, 0, crlf, 1), -1);
	CHECK_EQ(plugin_rewrite(&pc, "GET http://b.test/\r\nX: 1 HTTP/1.1",
	    NULL, 0, NULL, 0), -1);
	CHECK_EQ(plugin_rewrite(&pc, "GET http://b.test/ HTTP/9.1", NULL, 0,
	    NULL, 0), -1);
	CHECK_STR(pc.host, "b.test");	/* a refused rewrite changes nothing */

	/* a response whose new status would drop its body */
	call_init(&pc, cfg, resp, sizeof(resp) - 1, 1);
	CHECK_EQ(plugin_rewrite(&pc, "HTTP/1.1 404 Gone", NULL, 0, NULL, 0), 0);
	CHECK_EQ(pc.head->status, 404);
	CHECK_EQ(plugin_rewrite(&pc, "HTTP/1.1 204 No Content", NULL, 0, NULL,
	    0), -1);

	/* origin-form is a request for the proxy itself */
	call_init(&pc, cfg, local, sizeof(local) - 1, 0);
	CHECK_EQ(pc.local, 1);
	CHECK_STR(pc.host, "");
	path = plugin_path(&pc, &n);
	CHECK(n == 2 && memcmp(path, "/p", 2) == 0);
}

/* man_in_the_middle then upper_text: the body modes the response hooks
 * choose, then each piece through both, chunked for the client */
static void
test_pipeline(const struct config *cfg)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n"
	    "Content-Encoding: gzip\r\n\r\n";
	struct plugin_conn *pl = plugins_conn_new(cfg);
	struct plugin_call pc;
	size_t who, n;
	const char *ce;

	CHECK(pl != NULL);
	if (pl == NULL)
		return;
	CHECK_EQ(cfg->nchain, 2);
	call_init(&pc, cfg, resp, sizeof(resp) - 1, 1);
	CHECK_EQ(plugins_run(cfg, pl, PLUGIN_HOOK_RESPONSE, &pc, &who),
	    PLUGIN_PASS);
	CHECK_EQ(pl->body[0], PLUGIN_BODY_REPLACE);
	CHECK_EQ(pl->body[1], PLUGIN_BODY_REWRITE);
	CHECK(plugin_field(&pc, "Content-Encoding", &n) == NULL);
	pl->out_frame = HTTP_REFRAME_CHUNKED;
	CHECK_EQ(plugins_body(cfg, pl, &pc, "abcde", 5, 0, stage, out,
	    sizeof(out), &n, &who), PLUGIN_PASS);
	CHECK(n == 34 && memcmp(out, "1c\r\nHELLO FROM MAN IN THE MIDDLE\r\n",
	    n) == 0);
	CHECK_EQ(plugins_body(cfg, pl, &pc, "fghij", 5, 1, stage, out,
	    sizeof(out), &n, &who), PLUGIN_PASS);
	CHECK(n == 5 && memcmp(out, "0\r\n\r\n", 5) == 0);
	ce = plugin_flag(cfg, "mitm-body");
	CHECK(ce != NULL && strcmp(ce, "Hello from man in the middle") == 0);
	plugins_conn_free(cfg, pl);
}

/* Answers and their added fields: what the core will send, and what a
 * hook may not add. */
static void
test_answer(const struct config *cfg)
{
	static const char req[] = "GET /x HTTP/1.1\r\nHost: p\r\n\r\n";
	static const char big[] = "0123456789";
	struct plugin_call pc;

	call_init(&pc, cfg, req, sizeof(req) - 1, 0);
	CHECK(pc.local);
	/* a field before any answer */
	CHECK_EQ(plugin_answer_field(&pc, "ETag: \"1\""), -1);
	CHECK_EQ(plugin_answer(&pc, 200, "text/plain", "ok", 2), PLUGIN_DONE);
	CHECK_EQ(plugin_answer_field(&pc, "ETag: \"%d\"", 1), 0);
	CHECK_EQ(plugin_answer_field(&pc, "Location: /a/"), 0);
	CHECK_STR(pc.fields, "ETag: \"1\"\r\nLocation: /a/\r\n");
	/* no line breaks, no framing fields, no empty or bad names; a
	 * refused field leaves the others as they were */
	CHECK_EQ(plugin_answer_field(&pc, "X-A: 1\r\nX-B: 2"), -1);
	CHECK_EQ(plugin_answer_field(&pc, "Content-Length: 9"), -1);
	CHECK_EQ(plugin_answer_field(&pc, "transfer-encoding: chunked"), -1);
	CHECK_EQ(plugin_answer_field(&pc, ": v"), -1);
	CHECK_EQ(plugin_answer_field(&pc, "A B: v"), -1);
	CHECK_EQ(plugin_answer_field(&pc, "NoColon"), -1);
	CHECK_STR(pc.fields, "ETag: \"1\"\r\nLocation: /a/\r\n");
	/* the fields are bounded: the one that does not fit is refused */
	while (plugin_answer_field(&pc, "X-Fill: %0100d", 0) == 0)
		;
	CHECK(pc.answer.fields_len < PLUGIN_FIELDS_MAX);
	CHECK_EQ(pc.answer.fields_len, strlen(pc.fields));
	/* a new answer starts with no fields; static bytes are not copied */
	CHECK_EQ(plugin_answer_static(&pc, 200, NULL, big, sizeof(big) - 1),
	    PLUGIN_DONE);
	CHECK(pc.answer.body == big);
	CHECK_EQ(pc.answer.fields_len, 0);
	/* a 304 or 204 has no body */
	CHECK_EQ(plugin_answer(&pc, 304, NULL, NULL, 0), PLUGIN_DONE);
	CHECK_EQ(plugin_answer_static(&pc, 204, NULL, big, 3), PLUGIN_FAIL);
	/* a refusal takes no fields */
	CHECK_EQ(plugin_refuse(&pc, 403, NULL, "no"), PLUGIN_DONE);
	CHECK_EQ(plugin_answer_field(&pc, "X-A: 1"), -1);
}

/* The internal rows wrap the --plugins ones: the PAC file first, the
 * web server last, so it answers what they leave. */
static void
test_chain_order(void)
{
	char *argv[] = { "proxy", "--plugins", "man_in_the_middle",
	    "--enable-web-server", "--pac-file", "function "
	    "FindProxyForURL(u, h) { return \"DIRECT\"; }", NULL };
	char err[1024];
	struct config *cfg;
	int status;

	cfg = options_load(6, argv, NULL, err, sizeof(err), &status);
	CHECK(cfg != NULL);
	if (cfg == NULL) {
		printf("options_load: %s\n", err);
		return;
	}
	CHECK_EQ(cfg->nchain, 3);
	if (cfg->nchain == 3) {
		CHECK_STR(cfg->chain[0].p->name, "pac_file");
		CHECK_STR(cfg->chain[1].p->name, "man_in_the_middle");
		CHECK_STR(cfg->chain[2].p->name, "web_server");
	}
	options_free(cfg);
}

static void
test_table(void)
{
	size_t i;

	CHECK(plugins_flag_find("mitm-body", 9) != NULL);
	CHECK(plugins_flag_find("mitm-bod", 8) == NULL);
	for (i = 0; i < plugin_table_len; i++) {
		const struct plugin *p = &plugin_table[i];

		/* a body hook needs a response hook to choose a mode */
		CHECK(p->body == NULL || p->response != NULL);
		CHECK(p->name != NULL && p->help != NULL);
	}
}

int
main(void)
{
	struct config *cfg = load("man_in_the_middle,upper_text", 0);

	CHECK(cfg != NULL);
	if (cfg != NULL) {
		test_rewrite(cfg);
		test_pipeline(cfg);
		test_answer(cfg);
		options_free(cfg);
	}
	CHECK(load("nosuch", 1) == NULL);
	test_chain_order();
	test_table();
	return check_done("unit_plugins");
}
