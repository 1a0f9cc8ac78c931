/*
 * gss.c: Kerberos (SPNEGO, RFC 4559 "Negotiate") logins to the parent
 * through the system's GSSAPI (MIT krb5: make GSSAPI=1). The only file
 * that includes GSSAPI headers; see proxy.h for how the work is split
 * between the Kerberos process (gss_helper_main: whatever may wait for
 * the KDC) and the worker (tokens from a credential that already holds
 * the service ticket).
 */
#include <sys/socket.h>
#include <errno.h>
#include <netdb.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proxy.h"

#if WITH_GSSAPI

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_krb5.h>

/* SPNEGO (1.3.6.1.5.5.2) for the tokens on the wire; Kerberos V5
 * (1.2.840.113554.1.2.2) for the helper's ticket fetch */
static gss_OID_desc spnego_oid = { 6, (void *)"\x2b\x06\x01\x05\x05\x02" };
static gss_OID_desc krb5_oid = { 9,
	(void *)"\x2a\x86\x48\x86\xf7\x12\x01\x02\x02" };

/* krb5 error codes (com_err table of krb5) that say the password or
 * the account is wrong: asking again would only lock the account */
#define KRB_PREAUTH_FAILED	(-1765328360L)
#define KRB_BAD_INTEGRITY	(-1765328353L)
#define KRB_CLIENT_UNKNOWN	(-1765328378L)
#define KRB_CLIENT_REVOKED	(-1765328366L)

struct gss_cred {
	gss_cred_id_t	 cred;
	gss_name_t	 target;
};

struct gss_login {
	gss_ctx_id_t	 ctx;
	gss_name_t	 target;	/* a copy: the credential may go */
};

int
gss_available(void)
{
	return 1;
}

/* GSSAPI's words for an error: the mechanism's (Kerberos's "Cannot
 * contact any KDC", "Preauthentication failed"), which say more, else
 * GSSAPI's own. */
static void
gss_text(OM_uint32 major, OM_uint32 minor, char *out, size_t size)
{
	OM_uint32 m, more = 0;
	gss_buffer_desc b;
	size_t len = 0;
	int kind;

	out[0] = '\0';
	for (kind = minor != 0; kind >= 0 && len == 0; kind--) {
		more = 0;
		do {
			if (GSS_ERROR(gss_display_status(&m, kind ? minor :
			    major, kind ? GSS_C_MECH_CODE : GSS_C_GSS_CODE,
			    GSS_C_NO_OID, &more, &b)))
				break;
			if (len < size)
				len += (size_t)snprintf(out + len, size - len,
				    "%s%.*s", len ? ": " : "", (int)b.length,
				    (const char *)b.value);
			gss_release_buffer(&m, &b);
		} while (more != 0);
	}
}

/* ------------------------------------------------ the Kerberos process */

struct krb_state {
	const struct config *cfg;
	gss_cred_id_t	 pw;		/* --kerberos-password: our TGT */
	time_t		 pw_end;
	OM_uint32	 pw_life;
	char		 pw_fail[256];	/* the KDC refused the password */
};

/* The mechanisms a credential is for: Kerberos, and SPNEGO over it. */
static gss_OID_set_desc *
mechs(void)
{
	static gss_OID_desc m[2];
	static gss_OID_set_desc set = { 2, m };

	m[0] = krb5_oid;
	m[1] = spnego_oid;
	return &set;
}

/* What kinit left in KRB5CCNAME's cache, or the default one. */
static int
cred_from_cache(gss_cred_id_t *cred, OM_uint32 *life, char *why, size_t wsz)
{
	const char *cc = getenv("KRB5CCNAME");
	OM_uint32 major, minor;
	char txt[200];

	major = gss_acquire_cred(&minor, GSS_C_NO_NAME, GSS_C_INDEFINITE,
	    mechs(), GSS_C_INITIATE, cred, NULL, life);
	if (!GSS_ERROR(major) && *life > 0)
		return 0;
	if (!GSS_ERROR(major))
		gss_release_cred(&minor, cred);
	gss_text(major, minor, txt, sizeof(txt));
	snprintf(why, wsz, "no Kerberos ticket in %s%.60s (run kinit, or use "
	    "--kerberos-password): %.100s", cc ? "KRB5CCNAME " : "the "
	    "default credential cache", cc ? cc : "", GSS_ERROR(major) ? txt :
	    "expired");
	return -1;
}

/* The principal a credential is for, for the log. */
static void
cred_principal(gss_cred_id_t cred, char *out, size_t size)
{
	gss_buffer_desc disp;
	gss_name_t name;
	OM_uint32 minor;

	snprintf(out, size, "?");
	if (GSS_ERROR(gss_inquire_cred(&minor, cred, &name, NULL, NULL,
	    NULL)))
		return;
	if (!GSS_ERROR(gss_display_name(&minor, name, &disp, NULL))) {
		snprintf(out, size, "%.*s", (int)disp.length,
		    (const char *)disp.value);
		gss_release_buffer(&minor, &disp);
	}
	gss_release_name(&minor, &name);
}

/*
 * The TGT from the password goes into a memory cache of this process
 * (never a file), from which the Kerberos and SPNEGO credential is then
 * taken: asked for Kerberos alone, the KDC's verdict on the password
 * comes back as Kerberos's own error code.
 */
static OM_uint32
password_tgt(gss_name_t user, gss_buffer_t pw, gss_cred_id_t *cred,
    OM_uint32 *life, OM_uint32 *minor)
{
	static gss_key_value_element_desc el = { "ccache",
	    "MEMORY:proxy-kerberos-password" };
	static gss_key_value_set_desc store = { 1, &el };
	gss_OID_set_desc k5 = { 1, &krb5_oid };
	gss_cred_id_t tgt;
	OM_uint32 major, m;

	major = gss_acquire_cred_with_password(minor, user, pw,
	    GSS_C_INDEFINITE, &k5, GSS_C_INITIATE, &tgt, NULL, NULL);
	if (GSS_ERROR(major))
		return major;
	major = gss_store_cred_into(minor, tgt, GSS_C_INITIATE, &krb5_oid, 1,
	    0, &store, NULL, NULL);
	gss_release_cred(&m, &tgt);
	if (GSS_ERROR(major))
		return major;
	return gss_acquire_cred_from(minor, user, GSS_C_INDEFINITE, mechs(),
	    GSS_C_INITIATE, &store, cred, NULL, life);
}

/* --kerberos-password: a TGT of our own, in memory, got again when a
 * quarter of its life is left; a refused password is said once and
 * never sent again. */
static int
cred_from_password(struct krb_state *st, gss_cred_id_t *cred, char *why,
    size_t wsz, int *permanent)
{
	const struct config *cfg = st->cfg;
	gss_buffer_desc nb, pb;
	gss_name_t user;
	OM_uint32 major, minor, m, life = 0;
	time_t now = time(NULL);
	char txt[200], who[128];
	long code;

	if (st->pw_fail[0] != '\0') {
		snprintf(why, wsz, "%s", st->pw_fail);
		*permanent = 1;
		return -1;
	}
	if (st->pw != GSS_C_NO_CREDENTIAL && st->pw_end - now > 30 &&
	    st->pw_end - now > (time_t)st->pw_life / 4) {
		*cred = st->pw;
		return 0;
	}
	nb.value = (void *)cfg->krb_user;
	nb.length = strlen(cfg->krb_user);
	if (GSS_ERROR(gss_import_name(&minor, &nb, GSS_C_NT_USER_NAME,
	    &user))) {
		snprintf(why, wsz, "'%s' is not a Kerberos user name",
		    cfg->krb_user);
		*permanent = 1;
		return -1;
	}
	pb.value = (void *)cfg->krb_pass;
	pb.length = strlen(cfg->krb_pass);
	if (st->pw != GSS_C_NO_CREDENTIAL)
		gss_release_cred(&minor, &st->pw);
	major = password_tgt(user, &pb, cred, &life, &minor);
	gss_release_name(&m, &user);
	if (GSS_ERROR(major)) {
		gss_text(major, minor, txt, sizeof(txt));
		code = (long)(int32_t)minor;
		if (code == KRB_PREAUTH_FAILED || code == KRB_BAD_INTEGRITY ||
		    code == KRB_CLIENT_UNKNOWN || code == KRB_CLIENT_REVOKED) {
			snprintf(st->pw_fail, sizeof(st->pw_fail), "the KDC "
			    "refused the password of %.60s (%.80s); not "
			    "trying again until the proxy is reloaded",
			    cfg->krb_user, txt);
			snprintf(why, wsz, "%s", st->pw_fail);
			*permanent = 1;
		} else
			snprintf(why, wsz, "no ticket for %.60s from the "
			    "password: %.120s", cfg->krb_user, txt);
		return -1;
	}
	st->pw = *cred;
	st->pw_life = life;
	st->pw_end = now + (time_t)life;
	cred_principal(*cred, who, sizeof(who));
	log_info("Kerberos: a ticket for %s from the password, good for "
	    "%u s", who, (unsigned)life);
	return 0;
}

/* The host name for HTTP@: as configured, or its DNS name. */
static void
service_host(const struct gss_query *q, char *out, size_t size)
{
	struct addrinfo hints, *ai = NULL;

	snprintf(out, size, "%s", q->host);
	if (!q->canonical)
		return;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(q->host, NULL, &hints, &ai) == 0 && ai != NULL &&
	    ai->ai_canonname != NULL)
		snprintf(out, size, "%s", ai->ai_canonname);
	if (ai != NULL)
		freeaddrinfo(ai);
}

/* The service ticket for HTTP@host into cred's cache, by a Kerberos
 * login thrown away at once; its principal name into ans. */
static int
service_ticket(gss_cred_id_t cred, const char *host, struct gss_answer *ans)
{
	gss_buffer_desc nb, out = GSS_C_EMPTY_BUFFER, disp;
	gss_ctx_id_t ctx = GSS_C_NO_CONTEXT;
	gss_name_t name, target = GSS_C_NO_NAME;
	OM_uint32 major, minor, m, life = 0;
	char svc[HOST_MAX + 8], txt[200];

	snprintf(svc, sizeof(svc), "HTTP@%s", host);
	nb.value = svc;
	nb.length = strlen(svc);
	if (GSS_ERROR(gss_import_name(&minor, &nb,
	    GSS_C_NT_HOSTBASED_SERVICE, &name))) {
		snprintf(ans->why, sizeof(ans->why), "'%.200s' is not a "
		    "service name", svc);
		return -1;
	}
	major = gss_init_sec_context(&minor, cred, &ctx, name, &krb5_oid, 0,
	    0, GSS_C_NO_CHANNEL_BINDINGS, GSS_C_NO_BUFFER, NULL, &out, NULL,
	    &life);
	/* minor keeps the KDC's reason ("Server not found in Kerberos
	 * database") for the message */
	gss_release_name(&m, &name);
	gss_release_buffer(&m, &out);
	if (major == GSS_S_COMPLETE)
		major = gss_inquire_context(&minor, ctx, NULL, &target, NULL,
		    NULL, NULL, NULL, NULL);
	if (GSS_ERROR(major) || major != GSS_S_COMPLETE) {
		gss_text(major, minor, txt, sizeof(txt));
		snprintf(ans->why, sizeof(ans->why), "no Kerberos service "
		    "ticket for %.80s: %.120s", svc, txt);
		gss_delete_sec_context(&m, &ctx, NULL);
		return -1;
	}
	gss_delete_sec_context(&minor, &ctx, NULL);
	if (GSS_ERROR(gss_display_name(&minor, target, &disp, NULL))) {
		gss_release_name(&minor, &target);
		snprintf(ans->why, sizeof(ans->why), "no name for %.200s",
		    svc);
		return -1;
	}
	snprintf(ans->principal, sizeof(ans->principal), "%.*s",
	    (int)disp.length, (const char *)disp.value);
	gss_release_buffer(&minor, &disp);
	gss_release_name(&minor, &target);
	ans->lifetime = life;
	return 0;
}

static void
helper_answer(struct krb_state *st, const struct gss_query *q,
    struct gss_answer *ans)
{
	gss_cred_id_t cred = GSS_C_NO_CREDENTIAL;
	gss_buffer_desc blob;
	OM_uint32 minor, life = 0;
	char host[HOST_MAX], cwhy[256];
	int own = 1;

	memset(ans, 0, offsetof(struct gss_answer, blob));
	ans->id = q->id;
	ans->type = GSS_ANSWER_TYPE;
	if (cred_from_cache(&cred, &life, cwhy, sizeof(cwhy)) == -1) {
		if (!st->cfg->kerberos_password) {
			snprintf(ans->why, sizeof(ans->why), "%s", cwhy);
			return;
		}
		if (cred_from_password(st, &cred, ans->why, sizeof(ans->why),
		    &ans->permanent) == -1)
			return;
		own = 0;	/* st->pw, kept */
	}
	service_host(q, host, sizeof(host));
	if (service_ticket(cred, host, ans) == 0) {
		if (GSS_ERROR(gss_export_cred(&minor, cred, &blob)))
			snprintf(ans->why, sizeof(ans->why), "cannot export "
			    "the Kerberos credential");
		else if (blob.length > sizeof(ans->blob)) {
			snprintf(ans->why, sizeof(ans->why), "the Kerberos "
			    "credential is too large (%zu bytes)",
			    (size_t)blob.length);
			gss_release_buffer(&minor, &blob);
		} else {
			memcpy(ans->blob, blob.value, blob.length);
			ans->len = blob.length;
			ans->ok = 1;
			gss_release_buffer(&minor, &blob);
		}
	}
	if (own)
		gss_release_cred(&minor, &cred);
}

void
gss_helper_main(int qfd, int afd, const struct config *cfg)
{
	static struct gss_answer ans;
	struct krb_state st;
	struct gss_query q;
	ssize_t n;

	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	st.pw = GSS_C_NO_CREDENTIAL;
	for (;;) {
		n = recv(qfd, &q, sizeof(q), 0);
		if (n == 0 || (n == -1 && errno != EINTR))
			return;
		if (n != (ssize_t)sizeof(q))
			continue;
		q.host[sizeof(q.host) - 1] = '\0';
		helper_answer(&st, &q, &ans);
		if (send(afd, &ans, offsetof(struct gss_answer, blob) +
		    ans.len, 0) == -1 && errno != EINTR) {
			/* the worker is gone; its helper ends us */
		}
	}
}

/* ------------------------------------------------------- the worker */

struct gss_cred *
gss_cred_import(const struct gss_answer *ans, char *why, size_t whysz)
{
	struct gss_cred *gc;
	gss_buffer_desc b;
	OM_uint32 major, minor;
	char txt[200];

	if ((gc = calloc(1, sizeof(*gc))) == NULL) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	b.value = (void *)ans->blob;
	b.length = ans->len;
	major = gss_import_cred(&minor, &b, &gc->cred);
	if (!GSS_ERROR(major)) {
		b.value = (void *)ans->principal;
		b.length = strnlen(ans->principal, sizeof(ans->principal));
		major = gss_import_name(&minor, &b,
		    (gss_OID)GSS_KRB5_NT_PRINCIPAL_NAME, &gc->target);
		if (GSS_ERROR(major))
			gss_release_cred(&minor, &gc->cred);
	}
	if (GSS_ERROR(major)) {
		gss_text(major, minor, txt, sizeof(txt));
		snprintf(why, whysz, "cannot take the Kerberos credential: %s",
		    txt);
		free(gc);
		return NULL;
	}
	return gc;
}

void
gss_cred_free(struct gss_cred *gc)
{
	OM_uint32 minor;

	if (gc == NULL)
		return;
	gss_release_cred(&minor, &gc->cred);
	gss_release_name(&minor, &gc->target);
	free(gc);
}

int
gss_login_start(struct gss_cred *gc, struct gss_login **login, char *out,
    size_t outsz, char *why, size_t whysz)
{
	gss_buffer_desc tok = GSS_C_EMPTY_BUFFER;
	struct gss_login *l;
	OM_uint32 major, minor;
	char txt[200];
	long n;

	*login = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	l->ctx = GSS_C_NO_CONTEXT;
	l->target = GSS_C_NO_NAME;
	if (GSS_ERROR(gss_duplicate_name(&minor, gc->target, &l->target))) {
		snprintf(why, whysz, "out of memory");
		gss_login_free(l);
		return -1;
	}
	major = gss_init_sec_context(&minor, gc->cred, &l->ctx, gc->target,
	    &spnego_oid, GSS_C_MUTUAL_FLAG, 0, GSS_C_NO_CHANNEL_BINDINGS,
	    GSS_C_NO_BUFFER, NULL, &tok, NULL, NULL);
	if (GSS_ERROR(major)) {
		gss_text(major, minor, txt, sizeof(txt));
		snprintf(why, whysz, "no Kerberos token: %s", txt);
		gss_login_free(l);
		return -1;
	}
	if (outsz < 11 || (n = base64_encode(tok.value, tok.length, out + 10,
	    outsz - 10)) < 0) {
		snprintf(why, whysz, "the Kerberos token (%zu bytes) does not "
		    "fit in a header under --max-header-size",
		    (size_t)tok.length);
		gss_release_buffer(&minor, &tok);
		gss_login_free(l);
		return -1;
	}
	memcpy(out, "Negotiate ", 10);
	gss_release_buffer(&minor, &tok);
	*login = l;
	return 0;
}

int
gss_login_finish(struct gss_login *l, const char *tok, size_t toklen,
    char *why, size_t whysz)
{
	gss_buffer_desc in, out = GSS_C_EMPTY_BUFFER;
	OM_uint32 major, minor, m;
	unsigned char *bin;
	char txt[200];
	long n;

	if ((bin = malloc(toklen / 4 * 3 + 3)) == NULL) {
		snprintf(why, whysz, "out of memory");
		return -1;
	}
	if ((n = base64_decode(tok, toklen, bin, toklen / 4 * 3 + 3)) < 0) {
		free(bin);
		snprintf(why, whysz, "the parent's Negotiate token is not "
		    "base64");
		return -1;
	}
	in.value = bin;
	in.length = (size_t)n;
	major = gss_init_sec_context(&minor, GSS_C_NO_CREDENTIAL, &l->ctx,
	    l->target, &spnego_oid, GSS_C_MUTUAL_FLAG, 0,
	    GSS_C_NO_CHANNEL_BINDINGS, &in, NULL, &out, NULL, NULL);
	free(bin);
	gss_release_buffer(&m, &out);	/* minor keeps the reason */
	if (major == GSS_S_COMPLETE)
		return 0;
	gss_text(major, minor, txt, sizeof(txt));
	snprintf(why, whysz, "the parent's mutual authentication failed: %s",
	    GSS_ERROR(major) ? txt : "it wants another round");
	return -1;
}

void
gss_login_free(struct gss_login *l)
{
	OM_uint32 minor;

	if (l == NULL)
		return;
	if (l->ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&minor, &l->ctx, NULL);
	if (l->target != GSS_C_NO_NAME)
		gss_release_name(&minor, &l->target);
	free(l);
}

#else	/* !WITH_GSSAPI: make GSSAPI=0 (the default) */

int
gss_available(void)
{
	return 0;
}

void
gss_helper_main(int qfd, int afd, const struct config *cfg)
{
	(void)qfd;
	(void)afd;
	(void)cfg;
}

struct gss_cred *
gss_cred_import(const struct gss_answer *ans, char *why, size_t whysz)
{
	(void)ans;
	snprintf(why, whysz, "built without GSSAPI");
	return NULL;
}

void
gss_cred_free(struct gss_cred *gc)
{
	(void)gc;
}

int
gss_login_start(struct gss_cred *gc, struct gss_login **login, char *out,
    size_t outsz, char *why, size_t whysz)
{
	(void)gc;
	(void)out;
	(void)outsz;
	*login = NULL;
	snprintf(why, whysz, "built without GSSAPI");
	return -1;
}

int
gss_login_finish(struct gss_login *l, const char *tok, size_t toklen,
    char *why, size_t whysz)
{
	(void)l;
	(void)tok;
	(void)toklen;
	snprintf(why, whysz, "built without GSSAPI");
	return -1;
}

void
gss_login_free(struct gss_login *l)
{
	(void)l;
}

#endif	/* WITH_GSSAPI */
