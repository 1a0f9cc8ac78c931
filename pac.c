/*
 * pac.c: proxy auto-config. A small interpreter for the JavaScript that
 * PAC files are written in (lexer, parser to an AST, tree-walking
 * evaluator, backtracking regular expressions, the built-in objects PAC
 * files use) and the PAC helper library.
 *
 * A leaf: no fds, no logging, no blocking calls of its own. DNS goes
 * through the resolver callback in struct pac_env, time through its
 * clock callback.
 *
 * Safety. Every byte comes from one arena per context, capped at
 * env->mem_max. What pac_load builds (the AST, the globals) stays; an
 * evaluation allocates above a mark that is released when it ends, and
 * its first write to an object made at load time saves that object, so
 * it is restored afterwards: every evaluation starts from the state
 * pac_load left, and nothing made at load time can point into released
 * memory. Steps, nested calls and C recursion are counted. Running out
 * of any of them or of memory is fatal for the run: die() longjmp()s
 * back to pac_load or pac_find_proxy, which report it. Everything the
 * run allocated is in the arena, so nothing leaks on that path.
 * JavaScript exceptions are plain return codes, so try/catch cannot
 * swallow a fatal error.
 *
 * Strings are byte strings (UTF-8 in, UTF-8 out): length and indexes
 * count bytes, which is what PAC files see for ASCII host names and URLs.
 *
 * The C stack: evaluation recurses once per nested expression or
 * statement, capped by CDEPTH_MAX frames and env->depth_max calls; the
 * worst case needs about 512 KiB of stack (more under sanitizers).
 *
 * Sections, in order: types; limits and fatal errors; arena; strings;
 * values; objects (with the undo log); lexer; parser; numbers (no libm);
 * conversions; interpreter core and statements; regular expressions;
 * built-ins (strings, regexps, arrays, objects, numbers and Math, URI
 * coding, dates); PAC helpers; the tables that install the built-ins;
 * the API; result strings.
 */
#include <arpa/inet.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy.h"

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

#if WITH_PAC


#define CHUNK_SIZE	(64 * 1024)	/* arena growth step */
#define NEST_MAX	300	/* syntactic nesting the parser accepts */
#define CDEPTH_MAX	2500	/* nested exec()/eval() frames */
#define STR_MAX		(1u << 28)	/* longest string */
#define ARR_MAX		(1u << 24)	/* longest array */
#define ARR_GAP		65536	/* farthest write past an array's end */
#define RX_PROG_MAX	20000	/* instructions in one compiled regex */
#define RX_REP_MAX	1000	/* largest {n,m} bound */
#define RX_NEST_MAX	60	/* nested groups in one regex */
#define ERR_MAX		256	/* fatal message */
#define DNS_OUT_MAX	1024	/* one resolver answer */
#define ALIGNED(n)	(((n) + 7) & ~(size_t)7)

/* ---------------------------------------------------------------- types */

struct pac;
struct node;
struct rx;

enum vtype { V_UNDEF, V_NULL, V_BOOL, V_NUM, V_STR, V_OBJ };

/* AST node types. */
enum ntype {
	/* expressions */
	N_NUM, N_STR, N_TEMPLATE, N_REGEX, N_IDENT, N_THIS, N_NULL, N_TRUE,
	N_FALSE, N_HOLE, N_ARRAY, N_OBJECT, N_PROP, N_FUNC, N_MEMBER, N_INDEX,
	N_CALL, N_NEW, N_UNARY, N_PREINC, N_POSTINC, N_CHAIN, N_LINK,
	N_LOGIC, N_COND, N_ASSIGN, N_SEQ,
	/* statements */
	N_VAR, N_VARDECL, N_EXPR, N_IF, N_BLOCK, N_FOR, N_FORIN, N_FOROF,
	N_WHILE, N_DOWHILE, N_RETURN, N_BREAK, N_CONTINUE, N_THROW, N_TRY,
	N_SWITCH, N_CASE, N_EMPTY, N_FUNCDECL, N_LABEL, N_HOIST
};

/* What a function node knows beyond its body. */
struct fninfo {
	struct str	*name;
	struct node	*params;	/* N_IDENT list */
	int		 nparams;
	struct node	*body;		/* statements, or one expression */
	struct node	*vars;		/* N_IDENT list: var names to hoist */
	struct node	*funcs;		/* N_HOIST list: declarations */
	int		 uses_args;	/* mentions "arguments" */
	int		 arrow;
	int		 expr_body;	/* arrow with an expression body */
	int		 decl;		/* a declaration, not an expression */
};

/*
 * One node. Lists (statements, arguments, elements, chain links) go
 * through next; a, b, c, d are the children a type documents where it
 * is built.
 */
struct node {
	enum ntype	 type;
	int		 op;		/* token of the operator */
	uint32_t	 line, col;
	struct node	*a, *b, *c, *d, *next;
	struct str	*label;		/* loops: their label */
	union {
		double		 num;
		struct str	*s;
		struct fninfo	*fn;
		struct rx	*rx;
	} v;
};

/* Immutable once made; hash is filled in lazily (the same value every
 * time, so doing it to a load-time string during an evaluation is
 * harmless). */
struct str {
	uint32_t	 len;
	uint32_t	 hash;
	char		 s[];		/* len bytes and a NUL */
};

struct val {
	enum vtype	 t;
	union {
		int		 b;
		double		 n;
		struct str	*s;
		struct obj	*o;
	} u;
};

struct prop {
	struct str	*key;		/* NULL once deleted */
	struct val	 v;
	int		 hidden;	/* built-ins: not enumerable */
};

enum okind {
	O_OBJECT, O_ARRAY, O_FUNC, O_NATIVE, O_REGEXP, O_DATE, O_ERROR, O_SCOPE
};

/* A call of a native function. */
struct call {
	struct val	 this;
	struct val	*argv;
	int		 argc;
	int		 magic;		/* from the builtin table */
	int		 construct;	/* called with new */
	const struct node *site;
};

typedef int (*native_fn)(struct pac *, struct call *, struct val *);

/*
 * Objects, arrays, functions and scopes. Named properties are an array
 * in insertion order with a hash index once there are more than a few;
 * arrays keep their elements apart in items. A scope is an object whose
 * proto is the enclosing scope.
 */
struct obj {
	enum okind	 kind;
	int		 gen;		/* 0: made at load, 1: by a call */
	uint32_t	 epoch;		/* evaluation that last saved it */
	struct obj	*proto;
	struct prop	*props;
	uint32_t	 nprops, pcap, ndel;
	uint32_t	*index;		/* props index + 1, 0 empty; or NULL */
	uint32_t	 hcap;
	struct val	*items;		/* O_ARRAY */
	uint32_t	 len, cap;
	union {
		struct {
			struct node	*fn;	/* N_FUNC */
			struct obj	*env;
			struct val	 this;	/* arrows: the this they saw */
		} f;
		struct {
			native_fn	 fn;
			int		 magic;
			const char	*name;
		} n;
		struct {
			struct rx	*rx;
			double		 last;	/* lastIndex */
		} r;
		double		 time;		/* O_DATE: ms since 1970, NaN */
	} u;
};

/* The saved state of a load-time object an evaluation wrote to. */
struct undo {
	struct undo	*prev;
	struct obj	*o;
	struct obj	 saved;
	struct prop	*props;
	struct val	*items;
	uint32_t	*index;
};

struct chunk {
	struct chunk	*prev;
	size_t		 size, used;
};
#define CHUNK_HDR	((sizeof(struct chunk) + 15) & ~(size_t)15)

struct mark {
	struct chunk	*c;
	size_t		 used, total;
};

/* Names the interpreter itself looks up. */
enum atom {
	A_LENGTH, A_PROTOTYPE, A_CONSTRUCTOR, A_NAME, A_MESSAGE, A_INDEX,
	A_INPUT, A_LASTINDEX, A_SOURCE, A_GLOBAL, A_IGNORECASE, A_MULTILINE,
	A_FLAGS, A_ARGUMENTS, A_UNDEFINED, A_NULL, A_TRUE, A_FALSE, A_EMPTY,
	A_OBJECT, A_FUNCTION, A_STRING, A_NUMBER, A_BOOLEAN, A_NAN,
	A_INFINITY, A_FINDPROXY, A_FINDPROXYEX, A_COMMA, A_OF, A_CALLEE,
	A_COUNT
};

static const char *const atom_names[A_COUNT] = {
	"length", "prototype", "constructor", "name", "message", "index",
	"input", "lastIndex", "source", "global", "ignoreCase", "multiline",
	"flags", "arguments", "undefined", "null", "true", "false", "",
	"object", "function", "string", "number", "boolean", "NaN",
	"Infinity", "FindProxyForURL", "FindProxyForURLEx", ",", "of",
	"callee"
};

enum errtype { E_ERROR, E_TYPE, E_RANGE, E_SYNTAX, E_REFERENCE, E_URI,
	E_COUNT };
static const char *const err_names[E_COUNT] = {
	"Error", "TypeError", "RangeError", "SyntaxError", "ReferenceError",
	"URIError"
};

/* A lookup made during this evaluation. */
struct dnsent {
	struct dnsent	*next;
	struct str	*host;
	int		 any, ok;
	struct str	*addr;
};

struct pac {
	/* memory */
	struct chunk	*chunk;
	size_t		 total, mem_max;
	struct mark	 base;		/* the arena as pac_load left it */
	int		 gen;		/* 0 loading, 1 evaluating */
	uint32_t	 epoch;
	struct undo	*undo;

	/* limits and fatal errors */
	jmp_buf		*jb;
	char		 err[ERR_MAX];
	unsigned long	 steps, steps_max;
	int		 calls, calls_max, cdepth;
	int		 strdepth;	/* nested obj_to_str() */
	const struct node *at;		/* node being run, for messages */

	/* interpreter state */
	struct obj	*global, *scope;
	struct val	 this, ret, exc;
	uint32_t	 exc_line, exc_col;
	struct str	*label;		/* target of break/continue */

	/* atoms */
	struct str	**atoms;
	uint32_t	 natoms, acap;
	struct str	*a[A_COUNT];

	/* prototypes of the built-in kinds */
	struct obj	*p_object, *p_function, *p_array, *p_string,
			*p_number, *p_boolean, *p_regexp, *p_date;
	struct obj	*p_error[E_COUNT];

	/* environment */
	struct pac_env	 env;
	char		 myip[64], myipex[512];
	struct dnsent	*dns;
	int		 ndns;
	time_t		 now;
	uint64_t	 rng;
};

static const struct val undef = { V_UNDEF, { 0 } };

/* ---------------------------------------------- limits and fatal errors */

static void	die(struct pac *, const char *, ...) NORETURN PRINTF(2, 3);

/* Formats "line:col: message" for the node being run and leaves the run. */
static void
die(struct pac *P, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	P->err[0] = '\0';
	if (P->at != NULL)
		n = snprintf(P->err, sizeof(P->err), "%u:%u: ",
		    (unsigned)P->at->line, (unsigned)P->at->col);
	if (n < 0 || (size_t)n >= sizeof(P->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(P->err + n, sizeof(P->err) - (size_t)n, fmt, ap);
	va_end(ap);
	longjmp(*P->jb, 1);
}

/* Counts n steps of work against the run's budget. */
static void
charge(struct pac *P, unsigned long n)
{
	P->steps += n;
	if (P->steps > P->steps_max)
		die(P, "step limit exceeded (%lu steps)", P->steps_max);
}

/* Work over n bytes (comparing, scanning) costs steps too: a loop over
 * megabyte strings must run into the step limit, not for minutes. */
static void
charge_bytes(struct pac *P, size_t n)
{
	if (n >= 256)
		charge(P, n / 256);
}

/* ---------------------------------------------------------------- arena */

/* Zeroed, 8-aligned memory that lives until the arena is released. */
static void *
arena_alloc(struct pac *P, size_t n)
{
	struct chunk *c = P->chunk;
	char *p;

	if (n > P->mem_max)
		die(P, "out of memory (limit %zu bytes)", P->mem_max);
	n = ALIGNED(n);
	if (c == NULL || c->size - c->used < n) {
		/* a big block gets a chunk of its own */
		size_t size = n > CHUNK_SIZE / 4 ? n : CHUNK_SIZE;

		if (size + CHUNK_HDR > P->mem_max - P->total ||
		    (c = malloc(CHUNK_HDR + size)) == NULL)
			die(P, "out of memory (limit %zu bytes)",
			    P->mem_max);
		c->prev = P->chunk;
		c->size = size;
		c->used = 0;
		P->chunk = c;
		P->total += CHUNK_HDR + size;
	}
	p = (char *)c + CHUNK_HDR + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

/* n elements of size sz, checking the product. */
static void *
arena_nalloc(struct pac *P, size_t n, size_t sz)
{
	if (sz != 0 && n > P->mem_max / sz)
		die(P, "out of memory (limit %zu bytes)", P->mem_max);
	return arena_alloc(P, n * sz);
}

static void *
arena_dup(struct pac *P, const void *src, size_t n)
{
	void *p = arena_alloc(P, n);

	if (n > 0)
		memcpy(p, src, n);
	return p;
}

static struct mark
arena_mark(struct pac *P)
{
	struct mark m;

	m.c = P->chunk;
	m.used = P->chunk != NULL ? P->chunk->used : 0;
	m.total = P->total;
	return m;
}

/* Frees everything allocated since m. */
static void
arena_release(struct pac *P, struct mark m)
{
	struct chunk *c;

	while (P->chunk != m.c) {
		c = P->chunk;
		P->chunk = c->prev;
		free(c);
	}
	if (P->chunk != NULL)
		P->chunk->used = m.used;
	P->total = m.total;
}

/* -------------------------------------------------------------- strings */

static struct str *
str_alloc(struct pac *P, size_t n)
{
	struct str *s;

	if (n >= STR_MAX)
		die(P, "out of memory (string of %zu bytes)", n);
	s = arena_alloc(P, sizeof(*s) + n + 1);
	s->len = (uint32_t)n;
	return s;
}

static struct str *
str_new(struct pac *P, const char *p, size_t n)
{
	struct str *s = str_alloc(P, n);

	if (n > 0)
		memcpy(s->s, p, n);
	return s;
}

static struct str *
str_c(struct pac *P, const char *p)
{
	return str_new(P, p, strlen(p));
}

static uint32_t
str_hash(struct str *s)
{
	uint32_t h = 2166136261u, i;

	if (s->hash != 0)
		return s->hash;
	for (i = 0; i < s->len; i++)
		h = (h ^ (unsigned char)s->s[i]) * 16777619u;
	if (h == 0)
		h = 1;
	s->hash = h;
	return h;
}

static int
str_same(const struct str *a, const struct str *b)
{
	return a == b ||
	    (a->len == b->len && memcmp(a->s, b->s, a->len) == 0);
}

static int
str_is(const struct str *a, const char *lit)
{
	size_t n = strlen(lit);

	return a->len == n && memcmp(a->s, lit, n) == 0;
}

static struct str *
str_cat(struct pac *P, const struct str *a, const struct str *b)
{
	struct str *s;

	if (b->len == 0)
		return (struct str *)a;
	if (a->len == 0)
		return (struct str *)b;
	s = str_alloc(P, (size_t)a->len + b->len);
	memcpy(s->s, a->s, a->len);
	memcpy(s->s + a->len, b->s, b->len);
	return s;
}

/*
 * Atoms: names from the source and the built-ins, one copy each. Only
 * made while loading; during an evaluation intern() hands back a fresh
 * string, which compares equal all the same.
 */
static struct str *
intern(struct pac *P, const char *p, size_t n)
{
	uint32_t h = 2166136261u, i, mask;
	struct str *s, **na;
	size_t k;

	if (P->gen != 0)
		return str_new(P, p, n);
	for (k = 0; k < n; k++)
		h = (h ^ (unsigned char)p[k]) * 16777619u;
	if (h == 0)
		h = 1;
	if (P->natoms * 2 >= P->acap) {
		uint32_t ncap = P->acap ? P->acap * 2 : 256;

		na = arena_nalloc(P, ncap, sizeof(*na));
		for (i = 0; i < P->acap; i++) {
			if ((s = P->atoms[i]) == NULL)
				continue;
			mask = ncap - 1;
			for (k = s->hash & mask; na[k] != NULL;
			    k = (k + 1) & mask)
				;
			na[k] = s;
		}
		P->atoms = na;
		P->acap = ncap;
	}
	mask = P->acap - 1;
	for (k = h & mask; (s = P->atoms[k]) != NULL; k = (k + 1) & mask)
		if (s->hash == h && s->len == n && memcmp(s->s, p, n) == 0)
			return s;
	s = str_new(P, p, n);
	s->hash = h;
	P->atoms[k] = s;
	P->natoms++;
	return s;
}

static struct str *
intern_c(struct pac *P, const char *p)
{
	return intern(P, p, strlen(p));
}

/* -------------------------------------------------------------- values */

static struct val
v_num(double n)
{
	struct val v;

	v.t = V_NUM;
	v.u.n = n;
	return v;
}

static struct val
v_bool(int b)
{
	struct val v;

	v.t = V_BOOL;
	v.u.b = b != 0;
	return v;
}

static struct val
v_str(struct str *s)
{
	struct val v;

	v.t = V_STR;
	v.u.s = s;
	return v;
}

static struct val
v_obj(struct obj *o)
{
	struct val v;

	v.t = V_OBJ;
	v.u.o = o;
	return v;
}

static struct val
v_null(void)
{
	struct val v;

	v.t = V_NULL;
	v.u.o = NULL;
	return v;
}

static int
is_kind(const struct val *v, enum okind k)
{
	return v->t == V_OBJ && v->u.o->kind == k;
}

static int
is_callable(const struct val *v)
{
	return v->t == V_OBJ &&
	    (v->u.o->kind == O_FUNC || v->u.o->kind == O_NATIVE);
}

/* ------------------------------------------------------------- objects */

static struct obj *
obj_new(struct pac *P, enum okind kind, struct obj *proto)
{
	struct obj *o = arena_alloc(P, sizeof(*o));

	o->kind = kind;
	o->gen = P->gen;
	o->proto = proto;
	return o;
}

/*
 * Called before every change to an object. The first change an
 * evaluation makes to a load-time object saves the object whole, to be
 * put back by undo_all() when the evaluation ends.
 */
static void
obj_touch(struct pac *P, struct obj *o)
{
	struct undo *u;

	if (o->gen == P->gen || o->epoch == P->epoch)
		return;
	u = arena_alloc(P, sizeof(*u));
	u->o = o;
	u->saved = *o;
	u->props = arena_dup(P, o->props, o->nprops * sizeof(*o->props));
	u->items = arena_dup(P, o->items, o->len * sizeof(*o->items));
	u->index = arena_dup(P, o->index, o->hcap * sizeof(*o->index));
	u->prev = P->undo;
	P->undo = u;
	o->epoch = P->epoch;
}

static void
undo_all(struct pac *P)
{
	struct undo *u;
	struct obj *o;

	for (u = P->undo; u != NULL; u = u->prev) {
		o = u->o;
		*o = u->saved;
		if (o->nprops > 0)
			memcpy(o->props, u->props,
			    o->nprops * sizeof(*o->props));
		if (o->len > 0)
			memcpy(o->items, u->items, o->len * sizeof(*o->items));
		if (o->hcap > 0)
			memcpy(o->index, u->index, o->hcap * sizeof(*o->index));
	}
	P->undo = NULL;
}

static struct prop *
prop_find(struct obj *o, struct str *k)
{
	struct prop *p;
	uint32_t i, mask, ix, h;

	if (o->index == NULL) {
		for (i = 0; i < o->nprops; i++) {
			p = &o->props[i];
			if (p->key != NULL && str_same(p->key, k))
				return p;
		}
		return NULL;
	}
	h = str_hash(k);
	mask = o->hcap - 1;
	for (i = h & mask;; i = (i + 1) & mask) {
		if ((ix = o->index[i]) == 0)
			return NULL;
		p = &o->props[ix - 1];
		if (p->key != NULL && (p->key == k ||
		    (str_hash(p->key) == h && str_same(p->key, k))))
			return p;
	}
}

static void
index_put(struct obj *o, uint32_t ix)
{
	uint32_t i, mask = o->hcap - 1;

	for (i = str_hash(o->props[ix].key) & mask; o->index[i] != 0;
	    i = (i + 1) & mask)
		;
	o->index[i] = ix + 1;
}

static void
index_build(struct pac *P, struct obj *o)
{
	uint32_t hcap = 32, i;

	while (hcap < 2 * (o->nprops + 1))
		hcap *= 2;
	o->index = arena_nalloc(P, hcap, sizeof(*o->index));
	o->hcap = hcap;
	for (i = 0; i < o->nprops; i++)
		if (o->props[i].key != NULL)
			index_put(o, i);
}

/* Adds a property the caller knows is absent (after obj_touch()). */
static void
prop_add(struct pac *P, struct obj *o, struct str *k, const struct val *v,
    int hidden)
{
	struct prop *np;
	uint32_t i, n = 0;

	if (o->nprops == o->pcap) {
		uint32_t live = o->nprops - o->ndel;
		uint32_t ncap = live < 4 ? 8 : live * 2;

		np = arena_nalloc(P, ncap, sizeof(*np));
		for (i = 0; i < o->nprops; i++)
			if (o->props[i].key != NULL)
				np[n++] = o->props[i];
		o->props = np;
		o->nprops = n;
		o->pcap = ncap;
		o->ndel = 0;
		if (o->index != NULL)
			index_build(P, o);
	}
	np = &o->props[o->nprops++];
	np->key = k;
	np->v = *v;
	np->hidden = hidden;
	if (o->index != NULL && o->nprops * 2 <= o->hcap)
		index_put(o, o->nprops - 1);
	else if (o->index != NULL || o->nprops > 8)
		index_build(P, o);
}

static struct val *
obj_own(struct obj *o, struct str *k)
{
	struct prop *p = prop_find(o, k);

	return p != NULL ? &p->v : NULL;
}

static void
obj_put(struct pac *P, struct obj *o, struct str *k, const struct val *v)
{
	struct prop *p;

	obj_touch(P, o);
	if ((p = prop_find(o, k)) != NULL)
		p->v = *v;
	else
		prop_add(P, o, k, v, 0);
}

static void
obj_hide(struct pac *P, struct obj *o, struct str *k, const struct val *v)
{
	struct prop *p;

	obj_touch(P, o);
	if ((p = prop_find(o, k)) != NULL)
		p->v = *v;
	else
		prop_add(P, o, k, v, 1);
}

static int
obj_del(struct pac *P, struct obj *o, struct str *k)
{
	struct prop *p;

	if ((p = prop_find(o, k)) == NULL)
		return 0;
	obj_touch(P, o);	/* saves, but does not move, the props */
	p->key = NULL;
	p->v = undef;
	o->ndel++;
	return 1;
}

/* Looks k up along the proto chain. */
static struct val *
obj_lookup(struct obj *o, struct str *k)
{
	struct val *v;

	for (; o != NULL; o = o->proto)
		if ((v = obj_own(o, k)) != NULL)
			return v;
	return NULL;
}

static struct obj *
arr_new(struct pac *P, uint32_t cap)
{
	struct obj *a = obj_new(P, O_ARRAY, P->p_array);

	if (cap > 0) {
		a->items = arena_nalloc(P, cap, sizeof(*a->items));
		a->cap = cap;
	}
	return a;
}

static void
arr_reserve(struct pac *P, struct obj *a, uint32_t n)
{
	struct val *ni;
	uint32_t ncap;

	if (n <= a->cap)
		return;
	if (n > ARR_MAX)
		die(P, "out of memory (array of %u elements)", (unsigned)n);
	ncap = a->cap < 4 ? 8 : a->cap;
	while (ncap < n)
		ncap *= 2;
	ni = arena_nalloc(P, ncap, sizeof(*ni));
	if (a->len > 0)
		memcpy(ni, a->items, a->len * sizeof(*ni));
	a->items = ni;
	a->cap = ncap;
}

static void
arr_setlen(struct pac *P, struct obj *a, uint32_t n)
{
	uint32_t i;

	obj_touch(P, a);
	arr_reserve(P, a, n);
	for (i = a->len; i < n; i++)
		a->items[i] = undef;
	a->len = n;
}

static void
arr_set(struct pac *P, struct obj *a, uint32_t i, const struct val *v)
{
	if (i >= a->len)
		arr_setlen(P, a, i + 1);
	else
		obj_touch(P, a);
	a->items[i] = *v;
}

static void
arr_push(struct pac *P, struct obj *a, const struct val *v)
{
	arr_set(P, a, a->len, v);
}

/* --------------------------------------------------------------- lexer */

enum tok {
	T_EOF, T_NUM, T_STR, T_TEMPLATE, T_REGEX, T_IDENT,
	/* keywords, in kw_names[] order */
	T_BREAK, T_CASE, T_CATCH, T_CONST, T_CONTINUE, T_DEBUGGER, T_DEFAULT,
	T_DELETE, T_DO, T_ELSE, T_FALSE, T_FINALLY, T_FOR, T_FUNCTION, T_IF,
	T_IN, T_INSTANCEOF, T_LET, T_NEW, T_NULL, T_RETURN, T_SWITCH, T_THIS,
	T_THROW, T_TRUE, T_TRY, T_TYPEOF, T_VAR, T_VOID, T_WHILE, T_WITH,
	/* punctuators */
	T_LBRACE, T_RBRACE, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_DOT,
	T_ELLIPSIS, T_SEMI, T_COMMA, T_LT, T_GT, T_LE, T_GE, T_EQ, T_NE,
	T_SEQ, T_SNE, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT,
	T_STARSTAR, T_INC, T_DEC, T_SHL, T_SHR, T_USHR, T_AMP, T_BAR,
	T_CARET, T_NOT, T_TILDE, T_AND, T_OR, T_NULLISH, T_QUESTION,
	T_COLON, T_ARROW,
	/* assignments; compound ones in the order of assign_base[] */
	T_ASSIGN, T_PLUSEQ, T_MINUSEQ, T_STAREQ, T_SLASHEQ, T_PERCENTEQ,
	T_STARSTAREQ, T_SHLEQ, T_SHREQ, T_USHREQ, T_AMPEQ, T_BAREQ,
	T_CARETEQ
};

static const char *const kw_names[] = {
	"break", "case", "catch", "const", "continue", "debugger", "default",
	"delete", "do", "else", "false", "finally", "for", "function", "if",
	"in", "instanceof", "let", "new", "null", "return", "switch", "this",
	"throw", "true", "try", "typeof", "var", "void", "while", "with"
};

/* The operator a compound assignment applies, T_PLUSEQ onwards. */
static const enum tok assign_base[] = {
	T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT, T_STARSTAR, T_SHL,
	T_SHR, T_USHR, T_AMP, T_BAR, T_CARET
};

/* Longest first, so that the first match is the longest one. */
static const struct punct {
	const char	*s;
	enum tok	 t;
} puncts[] = {
	{ ">>>=", T_USHREQ }, { "...", T_ELLIPSIS }, { "===", T_SEQ },
	{ "!==", T_SNE }, { ">>>", T_USHR }, { "<<=", T_SHLEQ },
	{ ">>=", T_SHREQ }, { "**=", T_STARSTAREQ }, { "=>", T_ARROW },
	{ "==", T_EQ }, { "!=", T_NE }, { "<=", T_LE }, { ">=", T_GE },
	{ "&&", T_AND }, { "||", T_OR }, { "??", T_NULLISH },
	{ "++", T_INC }, { "--", T_DEC }, { "+=", T_PLUSEQ },
	{ "-=", T_MINUSEQ }, { "*=", T_STAREQ }, { "%=", T_PERCENTEQ },
	{ "&=", T_AMPEQ }, { "|=", T_BAREQ }, { "^=", T_CARETEQ },
	{ "<<", T_SHL }, { ">>", T_SHR }, { "**", T_STARSTAR },
	{ "/=", T_SLASHEQ }, { "{", T_LBRACE }, { "}", T_RBRACE },
	{ "(", T_LPAREN }, { ")", T_RPAREN }, { "[", T_LBRACK },
	{ "]", T_RBRACK }, { ".", T_DOT }, { ";", T_SEMI }, { ",", T_COMMA },
	{ "<", T_LT }, { ">", T_GT }, { "+", T_PLUS }, { "-", T_MINUS },
	{ "*", T_STAR }, { "/", T_SLASH }, { "%", T_PERCENT }, { "&", T_AMP },
	{ "|", T_BAR }, { "^", T_CARET }, { "!", T_NOT }, { "~", T_TILDE },
	{ "?", T_QUESTION }, { ":", T_COLON }, { "=", T_ASSIGN }
};

struct token {
	enum tok	 t;
	int		 nl;		/* a line break precedes it */
	uint32_t	 line, col;
	size_t		 start, end;	/* its bytes in the source */
	double		 num;
	struct str	*s;		/* name, keyword, string value */
	struct rx	*rx;
};

/* The lexer's and the parser's state: they are one pass. */
struct parser {
	struct pac	*P;
	const char	*src;
	size_t		 pos, end;
	uint32_t	 line;
	size_t		 bol;		/* offset where the line starts */
	enum tok	 last;		/* previous token, for '/' */
	int		 last_ctrl;	/* it was the ')' of if/for/while */
	unsigned char	 parens[256];	/* per open '(': after if/for/while */
	unsigned	 nparens;
	struct token	 tok;
	struct node	*fn;		/* innermost function, for hoisting */
	int		 depth;
	int		 loops;		/* enclosing loops in this function */
	int		 breaks;	/* enclosing loops and switches */
	int		 no_in;		/* 'in' is not an operator (for-init) */
};

static struct rx *rx_compile(struct pac *, const char *, size_t, const char *,
		    size_t, const char **);
static size_t	 num_fmt(double, char *, size_t);

static void	perr_at(struct parser *, uint32_t, uint32_t, const char *, ...)
		    NORETURN PRINTF(4, 5);

static void
perr_at(struct parser *ps, uint32_t line, uint32_t col, const char *fmt, ...)
{
	struct pac *P = ps->P;
	va_list ap;
	int n;

	n = snprintf(P->err, sizeof(P->err), "%u:%u: SyntaxError: ",
	    (unsigned)line, (unsigned)col);
	if (n < 0 || (size_t)n >= sizeof(P->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(P->err + n, sizeof(P->err) - (size_t)n, fmt, ap);
	va_end(ap);
	longjmp(*P->jb, 1);
}

#define perr(ps, ...)	perr_at((ps), (ps)->tok.line, (ps)->tok.col, \
			    __VA_ARGS__)
#define lerr(ps, at, ...) perr_at((ps), (ps)->line, \
			    (uint32_t)((at) - (ps)->bol + 1), __VA_ARGS__)

static int
is_idstart(int c)
{
	return is_alpha(c) || c == '_' || c == '$';
}

static int
is_idpart(int c)
{
	return is_idstart(c) || is_digit(c);
}

/* UTF-8 for a code point (lone surrogates too); bytes written, <= 4. */
static size_t
utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18 & 0x07));
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Steps over the line break at ps->pos (CR LF counts once). */
static void
newline(struct parser *ps)
{
	if (ps->src[ps->pos] == '\r' && ps->pos + 1 < ps->end &&
	    ps->src[ps->pos + 1] == '\n')
		ps->pos++;
	ps->pos++;
	ps->line++;
	ps->bol = ps->pos;
}

/* 1 if U+2028 or U+2029 (line breaks in JavaScript) starts at i. */
static int
is_lsps(const struct parser *ps, size_t i)
{
	const unsigned char *s = (const unsigned char *)ps->src;

	return i + 2 < ps->end && s[i] == 0xe2 && s[i + 1] == 0x80 &&
	    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9);
}

/* Skips white space and comments; 1 if a line break was among them. */
static int
lex_space(struct parser *ps)
{
	const unsigned char *s = (const unsigned char *)ps->src;
	size_t start;
	uint32_t line, col;
	int nl = 0;

	while (ps->pos < ps->end) {
		unsigned char c = s[ps->pos];
		unsigned char d = ps->pos + 1 < ps->end ? s[ps->pos + 1] : 0;

		if (c == '\n' || c == '\r') {
			newline(ps);
			nl = 1;
		} else if (c == ' ' || c == '\t' || c == '\v' || c == '\f')
			ps->pos++;
		else if (c == 0xc2 && d == 0xa0)	/* no-break space */
			ps->pos += 2;
		else if (c == 0xef && d == 0xbb && ps->pos + 2 < ps->end &&
		    s[ps->pos + 2] == 0xbf)		/* byte order mark */
			ps->pos += 3;
		else if (is_lsps(ps, ps->pos)) {
			ps->pos += 3;
			ps->line++;
			ps->bol = ps->pos;
			nl = 1;
		} else if (c == '/' && d == '/') {
			while (ps->pos < ps->end && s[ps->pos] != '\n' &&
			    s[ps->pos] != '\r')
				ps->pos++;
		} else if (c == '/' && d == '*') {
			start = ps->pos;
			line = ps->line;
			col = (uint32_t)(start - ps->bol + 1);
			ps->pos += 2;
			for (;;) {
				if (ps->pos + 1 >= ps->end)
					perr_at(ps, line, col,
					    "unterminated comment");
				if (s[ps->pos] == '*' && s[ps->pos + 1] == '/')
					break;
				if (s[ps->pos] == '\n' || s[ps->pos] == '\r') {
					newline(ps);
					nl = 1;
				} else
					ps->pos++;
			}
			ps->pos += 2;
		} else
			break;
	}
	return nl;
}

static uint32_t
hex_run(const char *s, size_t *i, size_t end, int ndigits, int *ok)
{
	uint32_t v = 0;
	int k, h;

	*ok = 0;
	for (k = 0; k < ndigits; k++) {
		if (*i >= end || (h = hex_value((unsigned char)s[*i])) < 0)
			return 0;
		v = v * 16 + (uint32_t)h;
		(*i)++;
	}
	*ok = 1;
	return v;
}

/* \uXXXX (a surrogate pair making one code point) or \u{X...}, *i just
 * past the 'u'. */
static uint32_t
decode_u(struct parser *ps, size_t *i, size_t b, const struct token *at)
{
	const char *s = ps->src;
	uint32_t cp = 0, lo;
	int ok = 0;

	if (*i < b && s[*i] == '{') {
		(*i)++;
		while (*i < b && cp <= 0x10ffff &&
		    hex_value((unsigned char)s[*i]) >= 0) {
			cp = cp * 16 + (uint32_t)hex_value((unsigned char)s[(*i)++]);
			ok = 1;
		}
		if (!ok || cp > 0x10ffff || *i >= b || s[*i] != '}')
			perr_at(ps, at->line, at->col, "bad \\u escape");
		(*i)++;
		return cp;
	}
	cp = hex_run(s, i, b, 4, &ok);
	if (!ok)
		perr_at(ps, at->line, at->col, "bad \\u escape");
	if (cp >= 0xd800 && cp < 0xdc00 && *i + 5 < b && s[*i] == '\\' &&
	    s[*i + 1] == 'u') {
		size_t j = *i + 2;

		lo = hex_run(s, &j, b, 4, &ok);
		if (ok && lo >= 0xdc00 && lo < 0xe000) {
			cp = 0x10000 + (lo - 0xdc00) + ((cp - 0xd800) << 10);
			*i = j;
		}
	}
	return cp;
}

/* Legacy octal \0 .. \377, c its first digit, *i past it. */
static uint32_t
decode_octal(const char *s, size_t *i, size_t b, int c)
{
	uint32_t cp = (uint32_t)(c - '0');

	if (*i < b && s[*i] >= '0' && s[*i] <= '7') {
		cp = cp * 8 + (uint32_t)(s[(*i)++] - '0');
		if (c <= '3' && *i < b && s[*i] >= '0' && s[*i] <= '7')
			cp = cp * 8 + (uint32_t)(s[(*i)++] - '0');
	}
	return cp;
}

/*
 * Decodes the escapes of a string literal or template part at
 * src[a..b) into a new string. Escapes never make text longer, so b - a
 * bytes are enough.
 */
static struct str *
decode(struct parser *ps, size_t a, size_t b, const struct token *at)
{
	const char *s = ps->src;
	struct str *out = str_alloc(ps->P, b - a);
	char *o = out->s;
	size_t i = a, n = 0;
	uint32_t cp;
	int ok, c;

	while (i < b) {
		c = (unsigned char)s[i++];
		if (c != '\\') {
			o[n++] = (char)c;
			continue;
		}
		if (i >= b)
			break;
		c = (unsigned char)s[i++];
		switch (c) {
		case 'n': o[n++] = '\n'; break;
		case 't': o[n++] = '\t'; break;
		case 'r': o[n++] = '\r'; break;
		case 'b': o[n++] = '\b'; break;
		case 'f': o[n++] = '\f'; break;
		case 'v': o[n++] = '\v'; break;
		case '\r':
			if (i < b && s[i] == '\n')
				i++;
			break;
		case '\n':
			break;
		case 'x':
			cp = hex_run(s, &i, b, 2, &ok);
			if (!ok)
				perr_at(ps, at->line, at->col,
				    "bad \\x escape");
			n += utf8_put(o + n, cp);
			break;
		case 'u':
			n += utf8_put(o + n, decode_u(ps, &i, b, at));
			break;
		default:
			if (c >= '0' && c <= '7') {
				cp = decode_octal(s, &i, b, c);
				n += utf8_put(o + n, cp);
			} else if (c == 0xe2 && i + 1 < b &&
			    (unsigned char)s[i] == 0x80 &&
			    ((unsigned char)s[i + 1] == 0xa8 ||
			    (unsigned char)s[i + 1] == 0xa9))
				i += 2;	/* escaped LS/PS: continuation */
			else
				o[n++] = (char)c;
		}
	}
	o[n] = '\0';
	out->len = (uint32_t)n;
	/* short ones ("DIRECT") are worth sharing; long ones (the domain
	 * names of a large table) would only grow the atom table */
	if (n < 16)
		return intern(ps->P, out->s, n);
	return out;
}

static void
lex_number(struct parser *ps)
{
	const char *s = ps->src;
	size_t st = ps->pos, i = ps->pos, n;
	char buf[64], *p;
	double v = 0;
	int radix = 0, d;

	if (s[i] == '0' && i + 1 < ps->end) {
		switch (s[i + 1] | 0x20) {
		case 'x': radix = 16; break;
		case 'o': radix = 8; break;
		case 'b': radix = 2; break;
		}
	}
	if (radix != 0) {
		i += 2;
		if (i >= ps->end || (d = hex_value((unsigned char)s[i])) < 0 ||
		    d >= radix)
			lerr(ps, st, "bad number");
		while (i < ps->end && (d = hex_value((unsigned char)s[i])) >= 0 &&
		    d < radix) {
			v = v * radix + d;
			i++;
		}
	} else {
		if (s[i] == '0' && i + 1 < ps->end && is_digit(s[i + 1])) {
			/* legacy octal, unless a digit says otherwise */
			size_t j = i + 1;

			while (j < ps->end && s[j] >= '0' && s[j] <= '7')
				j++;
			if (j >= ps->end || !is_digit(s[j])) {
				for (i++; i < j; i++)
					v = v * 8 + (s[i] - '0');
				goto done;
			}
		}
		while (i < ps->end && is_digit(s[i]))
			i++;
		if (i < ps->end && s[i] == '.') {
			i++;
			while (i < ps->end && is_digit(s[i]))
				i++;
		}
		if (i < ps->end && (s[i] | 0x20) == 'e') {
			i++;
			if (i < ps->end && (s[i] == '+' || s[i] == '-'))
				i++;
			if (i >= ps->end || !is_digit(s[i]))
				lerr(ps, st, "bad number");
			while (i < ps->end && is_digit(s[i]))
				i++;
		}
		n = i - st;
		p = n < sizeof(buf) ? buf : arena_alloc(ps->P, n + 1);
		memcpy(p, s + st, n);
		p[n] = '\0';
		v = strtod(p, NULL);
	}
done:
	if (i < ps->end && is_idpart((unsigned char)s[i]))
		lerr(ps, i, "identifier directly after number");
	ps->tok.t = T_NUM;
	ps->tok.num = v;
	ps->pos = i;
}

static void
lex_string(struct parser *ps)
{
	const char *s = ps->src;
	char q = s[ps->pos];
	size_t i = ps->pos + 1;

	while (i < ps->end && s[i] != q) {
		if (s[i] == '\n' || s[i] == '\r')
			lerr(ps, ps->tok.start, "unterminated string");
		if (s[i] == '\\' && i + 1 < ps->end) {
			i++;
			if (s[i] == '\n' || s[i] == '\r') {
				ps->pos = i;
				newline(ps);	/* line continuation */
				i = ps->pos;
				continue;
			}
		}
		i++;
	}
	if (i >= ps->end)
		perr_at(ps, ps->tok.line, ps->tok.col, "unterminated string");
	ps->tok.t = T_STR;
	ps->tok.s = decode(ps, ps->tok.start + 1, i, &ps->tok);
	ps->pos = i + 1;
}

/*
 * The index of the '}' closing a template substitution that starts at
 * i, or 0 if there is none. Strings inside are skipped; nested
 * templates are not supported.
 */
static size_t
tpl_close(const char *s, size_t i, size_t end)
{
	int depth = 1;
	char q;

	for (; i < end; i++) {
		switch (s[i]) {
		case '{':
			depth++;
			break;
		case '}':
			if (--depth == 0)
				return i;
			break;
		case '`':
			return 0;
		case '\'':
		case '"':
			q = s[i];
			for (i++; i < end && s[i] != q; i++)
				if (s[i] == '\\')
					i++;
			if (i >= end)
				return 0;
			break;
		}
	}
	return 0;
}

/* Counts the line break at i, if there is one (CR LF counts at LF). */
static void
count_nl(struct parser *ps, size_t i)
{
	if (ps->src[i] == '\n' || (ps->src[i] == '\r' &&
	    (i + 1 >= ps->end || ps->src[i + 1] != '\n'))) {
		ps->line++;
		ps->bol = i + 1;
	}
}

static void
lex_template(struct parser *ps)
{
	const char *s = ps->src;
	size_t i = ps->pos + 1, j;

	for (;;) {
		if (i >= ps->end)
			perr_at(ps, ps->tok.line, ps->tok.col,
			    "unterminated template literal");
		if (s[i] == '`')
			break;
		if (s[i] == '$' && i + 1 < ps->end && s[i + 1] == '{') {
			if ((j = tpl_close(s, i + 2, ps->end)) == 0)
				perr_at(ps, ps->tok.line, ps->tok.col,
				    "unterminated template substitution");
			for (; i < j; i++)
				count_nl(ps, i);
		} else if (s[i] == '\\' && i + 1 < ps->end)
			count_nl(ps, ++i);
		else
			count_nl(ps, i);
		i++;
	}
	ps->tok.t = T_TEMPLATE;
	ps->pos = i + 1;
}

static void
lex_regex(struct parser *ps)
{
	const char *s = ps->src, *err = NULL;
	size_t i = ps->pos + 1, j;
	int in_class = 0;

	for (;; i++) {
		if (i >= ps->end || s[i] == '\n' || s[i] == '\r')
			perr_at(ps, ps->tok.line, ps->tok.col,
			    "unterminated regular expression");
		if (s[i] == '\\') {
			if (i + 1 < ps->end && s[i + 1] != '\n' &&
			    s[i + 1] != '\r')
				i++;
		} else if (s[i] == '[')
			in_class = 1;
		else if (s[i] == ']')
			in_class = 0;
		else if (s[i] == '/' && !in_class)
			break;
	}
	for (j = i + 1; j < ps->end && is_idpart((unsigned char)s[j]); j++)
		;
	ps->tok.rx = rx_compile(ps->P, s + ps->pos + 1, i - ps->pos - 1,
	    s + i + 1, j - i - 1, &err);
	if (ps->tok.rx == NULL)
		perr_at(ps, ps->tok.line, ps->tok.col,
		    "invalid regular expression: %s", err);
	ps->tok.t = T_REGEX;
	ps->pos = j;
}

/* After these a '/' divides; elsewhere it starts a regex. */
static int
ends_operand(enum tok t)
{
	switch (t) {
	case T_NUM: case T_STR: case T_TEMPLATE: case T_REGEX: case T_IDENT:
	case T_RPAREN: case T_RBRACK: case T_RBRACE: case T_THIS:
	case T_NULL: case T_TRUE: case T_FALSE: case T_INC: case T_DEC:
		return 1;
	default:
		return 0;
	}
}

static void
next(struct parser *ps)
{
	const unsigned char *s = (const unsigned char *)ps->src;
	struct token *t = &ps->tok;
	size_t i, k, n;
	int c;

	t->nl = lex_space(ps);
	t->line = ps->line;
	t->col = (uint32_t)(ps->pos - ps->bol + 1);
	t->start = ps->pos;
	t->s = NULL;
	if (ps->pos >= ps->end) {
		t->t = T_EOF;
		goto out;
	}
	c = s[ps->pos];
	if (is_idstart(c)) {
		for (i = ps->pos; i < ps->end && is_idpart(s[i]); i++)
			;
		n = i - ps->pos;
		t->t = T_IDENT;
		t->s = intern(ps->P, ps->src + ps->pos, n);
		for (k = 0; k < sizeof(kw_names) / sizeof(kw_names[0]); k++)
			if (str_is(t->s, kw_names[k])) {
				t->t = (enum tok)(T_BREAK + k);
				break;
			}
		ps->pos = i;
	} else if (is_digit(c) || (c == '.' && ps->pos + 1 < ps->end &&
	    is_digit(s[ps->pos + 1])))
		lex_number(ps);
	else if (c == '"' || c == '\'')
		lex_string(ps);
	else if (c == '`')
		lex_template(ps);
	else if (c == '/' && (!ends_operand(ps->last) || ps->last_ctrl))
		lex_regex(ps);
	else {
		for (k = 0; k < sizeof(puncts) / sizeof(puncts[0]); k++) {
			n = strlen(puncts[k].s);
			if (ps->pos + n <= ps->end &&
			    memcmp(ps->src + ps->pos, puncts[k].s, n) == 0)
				break;
		}
		if (k == sizeof(puncts) / sizeof(puncts[0])) {
			if (c >= 0x20 && c < 0x7f)
				lerr(ps, ps->pos, "unexpected character '%c'",
				    c);
			lerr(ps, ps->pos, "unexpected byte 0x%02x", c);
		}
		t->t = puncts[k].t;
		ps->pos += strlen(puncts[k].s);
	}
out:
	t->end = ps->pos;
	/* a '/' after the ')' of if (...) starts a regex, not a division */
	ps->last_ctrl = 0;
	if (t->t == T_LPAREN) {
		if (ps->nparens < sizeof(ps->parens))
			ps->parens[ps->nparens] = ps->last == T_IF ||
			    ps->last == T_WHILE || ps->last == T_FOR ||
			    ps->last == T_WITH;
		ps->nparens++;
	} else if (t->t == T_RPAREN && ps->nparens > 0) {
		ps->nparens--;
		if (ps->nparens < sizeof(ps->parens))
			ps->last_ctrl = ps->parens[ps->nparens];
	}
	ps->last = t->t;
}

/* ---------------------------------------------------------------- parser */

static const char *
describe(struct parser *ps, char *buf, size_t sz)
{
	size_t n;

	switch (ps->tok.t) {
	case T_EOF:
		return "end of input";
	case T_STR:
		return "string";
	case T_TEMPLATE:
		return "template literal";
	case T_REGEX:
		return "regular expression";
	case T_NUM:
		return "number";
	default:
		n = ps->tok.end - ps->tok.start;
		if (n > 32)
			n = 32;
		snprintf(buf, sz, "'%.*s'", (int)n, ps->src + ps->tok.start);
		return buf;
	}
}

static void unexpected(struct parser *) NORETURN;

static void
unexpected(struct parser *ps)
{
	char buf[48];

	perr(ps, "unexpected %s", describe(ps, buf, sizeof(buf)));
}

static int
take(struct parser *ps, enum tok t)
{
	if (ps->tok.t != t)
		return 0;
	next(ps);
	return 1;
}

static void
expect(struct parser *ps, enum tok t, const char *what)
{
	char buf[48];

	if (ps->tok.t != t)
		perr(ps, "expected %s but found %s", what,
		    describe(ps, buf, sizeof(buf)));
	next(ps);
}

static void
nest(struct parser *ps)
{
	if (++ps->depth > NEST_MAX)
		perr(ps, "nesting too deep");
}

static struct node *
mk(struct parser *ps, enum ntype type, const struct token *at)
{
	struct node *n = arena_alloc(ps->P, sizeof(*n));

	n->type = type;
	n->line = at->line;
	n->col = at->col;
	return n;
}

static int
ends_statement(struct parser *ps)
{
	return ps->tok.t == T_SEMI || ps->tok.t == T_RBRACE ||
	    ps->tok.t == T_EOF || ps->tok.nl;
}

/* A ';', or one automatic semicolon insertion allows. */
static void
semi(struct parser *ps)
{
	char buf[48];

	if (take(ps, T_SEMI))
		return;
	if (!ends_statement(ps))
		perr(ps, "expected ';' before %s",
		    describe(ps, buf, sizeof(buf)));
}

static void
check_lvalue(struct parser *ps, const struct node *n)
{
	if (n->type != N_IDENT && n->type != N_MEMBER && n->type != N_INDEX)
		perr_at(ps, n->line, n->col, "invalid assignment target");
}

static void
hoist_var(struct parser *ps, struct str *name, const struct token *at)
{
	struct fninfo *fi = ps->fn->v.fn;
	struct node *v = mk(ps, N_IDENT, at);

	v->v.s = name;
	v->next = fi->vars;
	fi->vars = v;
}

static struct node *parse_statement(struct parser *);
static struct node *parse_assign(struct parser *);
static struct node *parse_expr(struct parser *);
static struct node *parse_unary(struct parser *);

/* Statements up to (not including) end, or a case label in a switch. */
static struct node *
parse_stmts(struct parser *ps, int in_switch)
{
	struct node *head = NULL, **tail = &head;

	for (;;) {
		if (ps->tok.t == T_RBRACE)
			break;
		if (in_switch && (ps->tok.t == T_CASE ||
		    ps->tok.t == T_DEFAULT))
			break;
		if (ps->tok.t == T_EOF) {
			if (ps->fn->line == 0)	/* the program */
				break;
			perr(ps, "expected '}' before end of input");
		}
		*tail = parse_statement(ps);
		tail = &(*tail)->next;
	}
	return head;
}

static struct node *
parse_block(struct parser *ps)
{
	struct node *n = mk(ps, N_BLOCK, &ps->tok);

	expect(ps, T_LBRACE, "'{'");
	n->a = parse_stmts(ps, 0);
	expect(ps, T_RBRACE, "'}'");
	return n;
}

/* The body of the function node fn, from '{' to '}'. */
static void
parse_fbody(struct parser *ps, struct node *fn)
{
	struct node *sfn = ps->fn;
	int loops = ps->loops, breaks = ps->breaks, no_in = ps->no_in;

	ps->fn = fn;
	ps->loops = ps->breaks = ps->no_in = 0;
	expect(ps, T_LBRACE, "'{'");
	fn->v.fn->body = parse_stmts(ps, 0);
	if (ps->tok.t != T_RBRACE)
		unexpected(ps);
	/* the '}' of a function expression ends an operand */
	next(ps);
	ps->fn = sfn;
	ps->loops = loops;
	ps->breaks = breaks;
	ps->no_in = no_in;
}

/* "(a, b, c)" into fi->params. */
static void
parse_params(struct parser *ps, struct fninfo *fi)
{
	struct node **tail = &fi->params;

	expect(ps, T_LPAREN, "'('");
	while (ps->tok.t != T_RPAREN) {
		if (ps->tok.t != T_IDENT)
			perr(ps, "expected a parameter name");
		*tail = mk(ps, N_IDENT, &ps->tok);
		(*tail)->v.s = ps->tok.s;
		tail = &(*tail)->next;
		fi->nparams++;
		next(ps);
		if (ps->tok.t != T_RPAREN)
			expect(ps, T_COMMA, "',' or ')'");
	}
	next(ps);
}

static struct node *
parse_function(struct parser *ps, int decl)
{
	struct token at = ps->tok;
	struct node *n = mk(ps, N_FUNC, &at);
	struct fninfo *fi = arena_alloc(ps->P, sizeof(*fi));

	n->v.fn = fi;
	fi->decl = decl;
	next(ps);
	if (ps->tok.t == T_IDENT) {
		fi->name = ps->tok.s;
		next(ps);
	} else if (decl)
		perr(ps, "expected a function name");
	parse_params(ps, fi);
	parse_fbody(ps, n);
	return n;
}

/* An arrow function; params is NULL, an identifier or a comma list. */
static struct node *
parse_arrow(struct parser *ps, struct node *params, const struct token *at)
{
	struct node *n = mk(ps, N_FUNC, at), *p, *sfn;
	struct fninfo *fi = arena_alloc(ps->P, sizeof(*fi));

	n->v.fn = fi;
	fi->arrow = 1;
	next(ps);		/* => */
	if (params != NULL && params->type == N_SEQ)
		params = params->a;
	for (p = params; p != NULL; p = p->next) {
		if (p->type != N_IDENT)
			perr_at(ps, p->line, p->col,
			    "invalid arrow function parameter");
		fi->nparams++;
	}
	fi->params = params;
	if (ps->tok.t == T_LBRACE) {
		parse_fbody(ps, n);
		return n;
	}
	sfn = ps->fn;
	ps->fn = n;
	fi->body = parse_assign(ps);
	fi->expr_body = 1;
	ps->fn = sfn;
	return n;
}

static struct node *
parse_funcdecl(struct parser *ps)
{
	struct fninfo *fi = ps->fn->v.fn;
	struct token at = ps->tok;
	struct node *f = parse_function(ps, 1), *h, *n, **tail;

	/* declarations run in source order, so the last one wins */
	h = mk(ps, N_HOIST, &at);
	h->a = f;
	for (tail = &fi->funcs; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = h;
	n = mk(ps, N_FUNCDECL, &at);
	n->a = f;
	return n;
}

static struct node *
parse_var(struct parser *ps)
{
	struct node *n = mk(ps, N_VAR, &ps->tok), *d, **tail = &n->a;

	n->op = ps->tok.t;
	next(ps);
	do {
		if (ps->tok.t != T_IDENT)
			perr(ps, "expected a variable name");
		d = mk(ps, N_VARDECL, &ps->tok);
		d->v.s = ps->tok.s;
		hoist_var(ps, d->v.s, &ps->tok);
		next(ps);
		if (take(ps, T_ASSIGN))
			d->a = parse_assign(ps);
		*tail = d;
		tail = &d->next;
	} while (take(ps, T_COMMA));
	return n;
}

static struct node *
parse_paren_expr(struct parser *ps)
{
	struct node *e;

	expect(ps, T_LPAREN, "'('");
	e = parse_expr(ps);
	expect(ps, T_RPAREN, "')'");
	return e;
}

/* if / else if chains are built in a loop: long chains are common. */
static struct node *
parse_if(struct parser *ps)
{
	struct node *first = NULL, **link = &first, *n;

	for (;;) {
		n = mk(ps, N_IF, &ps->tok);
		next(ps);
		n->a = parse_paren_expr(ps);
		n->b = parse_statement(ps);
		*link = n;
		if (!take(ps, T_ELSE))
			break;
		if (ps->tok.t != T_IF) {
			n->c = parse_statement(ps);
			break;
		}
		link = &n->c;
	}
	return first;
}

static struct node *
parse_loop_body(struct parser *ps)
{
	struct node *n;

	ps->loops++;
	ps->breaks++;
	n = parse_statement(ps);
	ps->loops--;
	ps->breaks--;
	return n;
}

static int
is_of(struct parser *ps)
{
	return ps->tok.t == T_IDENT && ps->tok.s == ps->P->a[A_OF];
}

static struct node *
parse_for(struct parser *ps)
{
	struct token at = ps->tok;
	struct node *n, *init = NULL, *target = NULL, *e;

	next(ps);
	expect(ps, T_LPAREN, "'('");
	if (ps->tok.t == T_VAR || ps->tok.t == T_LET || ps->tok.t == T_CONST) {
		ps->no_in = 1;
		init = parse_var(ps);
		ps->no_in = 0;
		if (init->a->next == NULL && init->a->a == NULL &&
		    (ps->tok.t == T_IN || is_of(ps)))
			target = init;
	} else if (ps->tok.t != T_SEMI) {
		ps->no_in = 1;
		e = parse_expr(ps);
		ps->no_in = 0;
		if (ps->tok.t == T_IN || is_of(ps)) {
			check_lvalue(ps, e);
			target = e;
		} else {
			init = mk(ps, N_EXPR, &at);
			init->a = e;
		}
	}
	if (target != NULL) {
		n = mk(ps, ps->tok.t == T_IN ? N_FORIN : N_FOROF, &at);
		next(ps);
		n->a = target;
		n->b = n->type == N_FORIN ? parse_expr(ps) : parse_assign(ps);
		expect(ps, T_RPAREN, "')'");
		n->d = parse_loop_body(ps);
		return n;
	}
	n = mk(ps, N_FOR, &at);
	n->a = init;
	expect(ps, T_SEMI, "';'");
	if (ps->tok.t != T_SEMI)
		n->b = parse_expr(ps);
	expect(ps, T_SEMI, "';'");
	if (ps->tok.t != T_RPAREN)
		n->c = parse_expr(ps);
	expect(ps, T_RPAREN, "')'");
	n->d = parse_loop_body(ps);
	return n;
}

static struct node *
parse_try(struct parser *ps)
{
	struct node *n = mk(ps, N_TRY, &ps->tok);

	next(ps);
	n->a = parse_block(ps);
	if (take(ps, T_CATCH)) {
		if (take(ps, T_LPAREN)) {
			if (ps->tok.t != T_IDENT)
				perr(ps, "expected a name");
			n->v.s = ps->tok.s;
			next(ps);
			expect(ps, T_RPAREN, "')'");
		}
		n->b = parse_block(ps);
	}
	if (take(ps, T_FINALLY))
		n->c = parse_block(ps);
	if (n->b == NULL && n->c == NULL)
		perr(ps, "expected 'catch' or 'finally'");
	return n;
}

static struct node *
parse_switch(struct parser *ps)
{
	struct node *n = mk(ps, N_SWITCH, &ps->tok), *c, **tail = &n->b;
	int has_default = 0;

	next(ps);
	n->a = parse_paren_expr(ps);
	expect(ps, T_LBRACE, "'{'");
	ps->breaks++;
	while (!take(ps, T_RBRACE)) {
		c = mk(ps, N_CASE, &ps->tok);
		if (take(ps, T_CASE))
			c->a = parse_expr(ps);
		else if (ps->tok.t == T_DEFAULT) {
			if (has_default++)
				perr(ps, "more than one default");
			next(ps);
		} else
			unexpected(ps);
		expect(ps, T_COLON, "':'");
		c->b = parse_stmts(ps, 1);
		*tail = c;
		tail = &c->next;
	}
	ps->breaks--;
	return n;
}

static struct node *
parse_jump(struct parser *ps)
{
	int brk = ps->tok.t == T_BREAK;
	struct node *n = mk(ps, brk ? N_BREAK : N_CONTINUE, &ps->tok);

	next(ps);
	if (ps->tok.t == T_IDENT && !ps->tok.nl) {
		n->v.s = ps->tok.s;
		next(ps);
	} else if (brk ? ps->breaks == 0 : ps->loops == 0)
		perr_at(ps, n->line, n->col, "'%s' outside of a loop",
		    brk ? "break" : "continue");
	semi(ps);
	return n;
}

static int
is_loop(const struct node *n)
{
	return n->type == N_FOR || n->type == N_FORIN || n->type == N_FOROF ||
	    n->type == N_WHILE || n->type == N_DOWHILE;
}

static struct node *
parse_exprstmt(struct parser *ps)
{
	struct token at = ps->tok;
	struct node *e = parse_expr(ps), *n, *body;

	if (e->type == N_IDENT && ps->tok.t == T_COLON) {
		next(ps);
		body = parse_statement(ps);
		if (is_loop(body) && body->label == NULL) {
			body->label = e->v.s;
			return body;
		}
		n = mk(ps, N_LABEL, &at);
		n->v.s = e->v.s;
		n->a = body;
		return n;
	}
	n = mk(ps, N_EXPR, &at);
	n->a = e;
	semi(ps);
	return n;
}

static struct node *
parse_statement(struct parser *ps)
{
	struct token at = ps->tok;
	struct node *n;

	nest(ps);
	switch (ps->tok.t) {
	case T_LBRACE:
		n = parse_block(ps);
		break;
	case T_VAR:
	case T_LET:
	case T_CONST:
		n = parse_var(ps);
		semi(ps);
		break;
	case T_FUNCTION:
		n = parse_funcdecl(ps);
		break;
	case T_IF:
		n = parse_if(ps);
		break;
	case T_FOR:
		n = parse_for(ps);
		break;
	case T_WHILE:
		n = mk(ps, N_WHILE, &at);
		next(ps);
		n->a = parse_paren_expr(ps);
		n->d = parse_loop_body(ps);
		break;
	case T_DO:
		n = mk(ps, N_DOWHILE, &at);
		next(ps);
		n->d = parse_loop_body(ps);
		expect(ps, T_WHILE, "'while'");
		n->a = parse_paren_expr(ps);
		take(ps, T_SEMI);
		break;
	case T_RETURN:
		if (ps->fn->line == 0)
			perr(ps, "'return' outside of a function");
		n = mk(ps, N_RETURN, &at);
		next(ps);
		if (!ends_statement(ps))
			n->a = parse_expr(ps);
		semi(ps);
		break;
	case T_BREAK:
	case T_CONTINUE:
		n = parse_jump(ps);
		break;
	case T_THROW:
		n = mk(ps, N_THROW, &at);
		next(ps);
		if (ps->tok.nl)
			perr(ps, "line break after 'throw'");
		n->a = parse_expr(ps);
		semi(ps);
		break;
	case T_TRY:
		n = parse_try(ps);
		break;
	case T_SWITCH:
		n = parse_switch(ps);
		break;
	case T_SEMI:
		n = mk(ps, N_EMPTY, &at);
		next(ps);
		break;
	case T_DEBUGGER:
		n = mk(ps, N_EMPTY, &at);
		next(ps);
		semi(ps);
		break;
	case T_WITH:
		perr(ps, "'with' is not supported");
	default:
		n = parse_exprstmt(ps);
		break;
	}
	ps->depth--;
	return n;
}

/* ----------------------------------------------------- parser: expressions */

static int
binprec(struct parser *ps, enum tok t)
{
	switch (t) {
	case T_OR: case T_NULLISH:
		return 1;
	case T_AND:
		return 2;
	case T_BAR:
		return 3;
	case T_CARET:
		return 4;
	case T_AMP:
		return 5;
	case T_EQ: case T_NE: case T_SEQ: case T_SNE:
		return 6;
	case T_LT: case T_GT: case T_LE: case T_GE: case T_INSTANCEOF:
		return 7;
	case T_IN:
		return ps->no_in ? 0 : 7;
	case T_SHL: case T_SHR: case T_USHR:
		return 8;
	case T_PLUS: case T_MINUS:
		return 9;
	case T_STAR: case T_SLASH: case T_PERCENT:
		return 10;
	case T_STARSTAR:
		return 11;
	default:
		return 0;
	}
}

/* Any name after '.', keywords included. */
static struct str *
prop_name(struct parser *ps)
{
	struct str *s;

	if (ps->tok.t != T_IDENT &&
	    (ps->tok.t < T_BREAK || ps->tok.t > T_WITH))
		perr(ps, "expected a property name");
	s = ps->tok.s;
	next(ps);
	return s;
}

static struct node *
parse_args(struct parser *ps, int *argc)
{
	struct node *head = NULL, **tail = &head;
	int no_in = ps->no_in;

	ps->no_in = 0;
	expect(ps, T_LPAREN, "'('");
	*argc = 0;
	while (ps->tok.t != T_RPAREN) {
		*tail = parse_assign(ps);
		tail = &(*tail)->next;
		(*argc)++;
		if (ps->tok.t != T_RPAREN)
			expect(ps, T_COMMA, "',' or ')'");
	}
	next(ps);
	ps->no_in = no_in;
	return head;
}

static struct node *
parse_template(struct parser *ps)
{
	struct parser sub;
	struct token t = ps->tok;
	struct node *n = mk(ps, N_TEMPLATE, &t), **tail = &n->a, *e;
	const char *s = ps->src;
	size_t i = t.start + 1, end = t.end - 1, seg = i, j, k;

	while (i < end) {
		if (s[i] == '\\') {
			i += 2;
			continue;
		}
		if (s[i] != '$' || i + 1 >= end || s[i + 1] != '{') {
			i++;
			continue;
		}
		e = mk(ps, N_STR, &t);
		e->v.s = decode(ps, seg, i, &t);
		*tail = e;
		tail = &e->next;
		j = tpl_close(s, i + 2, end);
		/* parse the substitution with a lexer limited to it */
		sub = *ps;
		sub.line = t.line;
		sub.bol = t.start - (t.col - 1);
		for (k = t.start; k < i + 2; k++)
			count_nl(&sub, k);
		sub.pos = i + 2;
		sub.end = j;
		sub.last = T_LPAREN;
		next(&sub);
		e = parse_expr(&sub);
		if (sub.tok.t != T_EOF)
			unexpected(&sub);
		*tail = e;
		tail = &e->next;
		i = j + 1;
		seg = i;
	}
	e = mk(ps, N_STR, &t);
	e->v.s = decode(ps, seg, end, &t);
	*tail = e;
	next(ps);
	return n;
}

static struct node *
parse_array(struct parser *ps)
{
	struct node *n = mk(ps, N_ARRAY, &ps->tok), **tail = &n->a;
	int no_in = ps->no_in;

	ps->no_in = 0;
	next(ps);
	while (ps->tok.t != T_RBRACK) {
		if (ps->tok.t == T_COMMA) {
			*tail = mk(ps, N_HOLE, &ps->tok);
			tail = &(*tail)->next;
			next(ps);
			continue;
		}
		*tail = parse_assign(ps);
		tail = &(*tail)->next;
		if (ps->tok.t != T_RBRACK)
			expect(ps, T_COMMA, "',' or ']'");
	}
	next(ps);
	ps->no_in = no_in;
	return n;
}

static struct node *
parse_object(struct parser *ps)
{
	struct node *n = mk(ps, N_OBJECT, &ps->tok), **tail = &n->a, *p, *f;
	struct fninfo *fi;
	struct token at;
	char buf[32];
	int no_in = ps->no_in, ident;

	ps->no_in = 0;
	next(ps);
	while (ps->tok.t != T_RBRACE) {
		at = ps->tok;
		p = mk(ps, N_PROP, &at);
		ident = ps->tok.t == T_IDENT;
		if (ps->tok.t == T_STR)
			p->v.s = ps->tok.s;
		else if (ps->tok.t == T_NUM)
			p->v.s = intern(ps->P, buf,
			    num_fmt(ps->tok.num, buf, sizeof(buf)));
		else if (ident || (ps->tok.t >= T_BREAK && ps->tok.t <= T_WITH))
			p->v.s = ps->tok.s;
		else
			perr(ps, "expected a property name");
		next(ps);
		if (take(ps, T_COLON))
			p->a = parse_assign(ps);
		else if (ps->tok.t == T_LPAREN) {
			/* method shorthand: name() { ... } */
			f = mk(ps, N_FUNC, &at);
			fi = arena_alloc(ps->P, sizeof(*fi));
			f->v.fn = fi;
			parse_params(ps, fi);
			parse_fbody(ps, f);
			p->a = f;
		} else if (ident && (ps->tok.t == T_COMMA ||
		    ps->tok.t == T_RBRACE)) {
			p->a = mk(ps, N_IDENT, &at);
			p->a->v.s = p->v.s;
		} else
			expect(ps, T_COLON, "':'");
		*tail = p;
		tail = &p->next;
		if (ps->tok.t != T_RBRACE)
			expect(ps, T_COMMA, "',' or '}'");
	}
	next(ps);
	ps->no_in = no_in;
	return n;
}

static struct node *
parse_primary(struct parser *ps)
{
	struct token at = ps->tok;
	struct node *n;
	int no_in;

	switch (ps->tok.t) {
	case T_NUM:
		n = mk(ps, N_NUM, &at);
		n->v.num = ps->tok.num;
		break;
	case T_STR:
		n = mk(ps, N_STR, &at);
		n->v.s = ps->tok.s;
		break;
	case T_TEMPLATE:
		return parse_template(ps);
	case T_REGEX:
		n = mk(ps, N_REGEX, &at);
		n->v.rx = ps->tok.rx;
		break;
	case T_IDENT:
		n = mk(ps, N_IDENT, &at);
		n->v.s = ps->tok.s;
		if (n->v.s == ps->P->a[A_ARGUMENTS])
			ps->fn->v.fn->uses_args = 1;
		break;
	case T_THIS:
		n = mk(ps, N_THIS, &at);
		break;
	case T_NULL:
		n = mk(ps, N_NULL, &at);
		break;
	case T_TRUE:
		n = mk(ps, N_TRUE, &at);
		break;
	case T_FALSE:
		n = mk(ps, N_FALSE, &at);
		break;
	case T_FUNCTION:
		return parse_function(ps, 0);
	case T_LBRACK:
		return parse_array(ps);
	case T_LBRACE:
		return parse_object(ps);
	case T_LPAREN:
		next(ps);
		if (ps->tok.t == T_RPAREN) {
			next(ps);
			if (ps->tok.t != T_ARROW)
				unexpected(ps);
			return parse_arrow(ps, NULL, &at);
		}
		no_in = ps->no_in;
		ps->no_in = 0;
		n = parse_expr(ps);
		expect(ps, T_RPAREN, "')'");
		ps->no_in = no_in;
		if (ps->tok.t == T_ARROW && !ps->tok.nl)
			return parse_arrow(ps, n, &at);
		return n;
	default:
		unexpected(ps);
	}
	next(ps);
	return n;
}

static struct node *
parse_member_tail(struct parser *ps, struct node *n, int calls)
{
	struct node *m;
	int no_in;

	for (;;) {
		struct token at = ps->tok;

		if (take(ps, T_DOT)) {
			m = mk(ps, N_MEMBER, &at);
			m->a = n;
			m->v.s = prop_name(ps);
		} else if (take(ps, T_LBRACK)) {
			m = mk(ps, N_INDEX, &at);
			m->a = n;
			no_in = ps->no_in;
			ps->no_in = 0;
			m->b = parse_expr(ps);
			ps->no_in = no_in;
			expect(ps, T_RBRACK, "']'");
		} else if (calls && ps->tok.t == T_LPAREN) {
			m = mk(ps, N_CALL, &at);
			m->a = n;
			m->b = parse_args(ps, &m->op);
		} else if (ps->tok.t == T_TEMPLATE)
			perr(ps, "tagged templates are not supported");
		else
			return n;
		n = m;
	}
}

static struct node *
parse_new(struct parser *ps)
{
	struct node *n = mk(ps, N_NEW, &ps->tok);

	nest(ps);
	next(ps);
	if (ps->tok.t == T_NEW)
		n->a = parse_new(ps);
	else
		n->a = parse_member_tail(ps, parse_primary(ps), 0);
	if (ps->tok.t == T_LPAREN)
		n->b = parse_args(ps, &n->op);
	ps->depth--;
	return n;
}

static struct node *
parse_postfix(struct parser *ps)
{
	struct node *n, *p;

	if (ps->tok.t == T_NEW)
		n = parse_member_tail(ps, parse_new(ps), 1);
	else
		n = parse_member_tail(ps, parse_primary(ps), 1);
	if ((ps->tok.t == T_INC || ps->tok.t == T_DEC) && !ps->tok.nl) {
		check_lvalue(ps, n);
		p = mk(ps, N_POSTINC, &ps->tok);
		p->op = ps->tok.t;
		p->a = n;
		next(ps);
		return p;
	}
	return n;
}

static struct node *
parse_unary(struct parser *ps)
{
	struct token at = ps->tok;
	struct node *n, *a;

	switch (ps->tok.t) {
	case T_NOT: case T_MINUS: case T_PLUS: case T_TILDE: case T_TYPEOF:
	case T_VOID: case T_DELETE: case T_INC: case T_DEC:
		break;
	default:
		return parse_postfix(ps);
	}
	next(ps);
	nest(ps);
	a = parse_unary(ps);
	ps->depth--;
	if (at.t == T_INC || at.t == T_DEC) {
		check_lvalue(ps, a);
		n = mk(ps, N_PREINC, &at);
	} else if (at.t == T_MINUS && a->type == N_NUM) {
		a->v.num = -a->v.num;
		return a;
	} else
		n = mk(ps, N_UNARY, &at);
	n->op = at.t;
	n->a = a;
	return n;
}

/*
 * Binary operators by precedence climbing. Runs of operators of one
 * precedence become one N_CHAIN (or N_LOGIC for && || ??) whose links
 * are evaluated in a loop: generated PAC files have chains of thousands
 * of || that must not become thousands of nested C calls.
 */
static struct node *
parse_binary(struct parser *ps, int minprec)
{
	struct node *left = parse_unary(ps), *chain = NULL, *link;
	struct node **tail = NULL;
	int prec, cprec = 0;
	enum tok op;

	for (;;) {
		struct token at = ps->tok;

		op = ps->tok.t;
		prec = binprec(ps, op);
		if (prec == 0 || prec < minprec)
			break;
		next(ps);
		link = mk(ps, N_LINK, &at);
		link->op = op;
		link->a = parse_binary(ps, op == T_STARSTAR ? prec : prec + 1);
		if (chain != NULL && prec == cprec) {
			*tail = link;
			tail = &link->next;
			continue;
		}
		chain = mk(ps, prec <= 2 ? N_LOGIC : N_CHAIN, &at);
		chain->a = left;
		chain->b = link;
		tail = &link->next;
		cprec = prec;
		left = chain;
	}
	return left;
}

static struct node *
parse_cond(struct parser *ps)
{
	struct node *c = parse_binary(ps, 1), *n;
	int no_in;

	if (ps->tok.t != T_QUESTION)
		return c;
	n = mk(ps, N_COND, &ps->tok);
	next(ps);
	n->a = c;
	no_in = ps->no_in;
	ps->no_in = 0;
	n->b = parse_assign(ps);
	ps->no_in = no_in;
	expect(ps, T_COLON, "':'");
	n->c = parse_assign(ps);
	return n;
}

static struct node *
parse_assign(struct parser *ps)
{
	struct node *left, *n;
	struct token at;

	nest(ps);
	left = parse_cond(ps);
	if (left->type == N_IDENT && ps->tok.t == T_ARROW && !ps->tok.nl) {
		at.line = left->line;
		at.col = left->col;
		n = parse_arrow(ps, left, &at);
		ps->depth--;
		return n;
	}
	if (ps->tok.t >= T_ASSIGN && ps->tok.t <= T_CARETEQ) {
		check_lvalue(ps, left);
		n = mk(ps, N_ASSIGN, &ps->tok);
		n->op = ps->tok.t;
		next(ps);
		n->a = left;
		n->b = parse_assign(ps);
		left = n;
	}
	ps->depth--;
	return left;
}

static struct node *
parse_expr(struct parser *ps)
{
	struct node *e = parse_assign(ps), *n, *tail;

	if (ps->tok.t != T_COMMA)
		return e;
	n = mk(ps, N_SEQ, &ps->tok);
	n->a = tail = e;
	while (take(ps, T_COMMA)) {
		tail->next = parse_assign(ps);
		tail = tail->next;
	}
	return n;
}

/* The program is a function node with line 0, so that 'return' knows. */
static struct node *
parse_program(struct pac *P, const char *src, size_t len)
{
	struct parser ps;
	struct token at;
	struct node *prog;

	memset(&ps, 0, sizeof(ps));
	memset(&at, 0, sizeof(at));
	ps.P = P;
	ps.src = src;
	ps.end = len;
	ps.line = 1;
	ps.last = T_LPAREN;
	prog = mk(&ps, N_FUNC, &at);
	prog->v.fn = arena_alloc(P, sizeof(struct fninfo));
	ps.fn = prog;
	next(&ps);
	prog->v.fn->body = parse_stmts(&ps, 0);
	if (ps.tok.t != T_EOF)
		unexpected(&ps);
	return prog;
}

/* ------------------------------------------------------------ numbers */

/*
 * Number helpers without libm: floor, modulo, powers, logarithms and
 * square roots are written out so that the binary links with libc
 * alone. Conversions to integers check the range first (casting an
 * out-of-range double is undefined behaviour in C).
 */
#define TWO52	4503599627370496.0
#define TWO32	4294967296.0
#define LN2	0.693147180559945309417232121458

static double
dfloor(double d)
{
	double t;

	if (!(d > -TWO52 && d < TWO52))
		return d;	/* integral already, or NaN, or infinite */
	t = (double)(long long)d;
	return t > d ? t - 1 : t;
}

static double
dtrunc(double d)
{
	return d < 0 ? -dfloor(-d) : dfloor(d);
}

static double
dabs(double d)
{
	return d < 0 ? -d : d;
}

/* ToUint32: modulo 2^32, exact for every finite double. */
static uint32_t
to_u32d(double d)
{
	if (!isfinite(d))
		return 0;
	d = dtrunc(d);
	d -= dfloor(d / TWO32) * TWO32;
	if (d < 0 || d >= TWO32)
		return 0;
	return (uint32_t)d;
}

static int32_t
u32_to_i32(uint32_t u)
{
	return u < 0x80000000u ? (int32_t)u : -(int32_t)(~u) - 1;
}

static int32_t
to_i32d(double d)
{
	return u32_to_i32(to_u32d(d));
}

/* IEEE division, with the zero cases spelled out. */
static double
ddiv(double x, double y)
{
	if (y == 0) {
		if (x == 0 || isnan(x))
			return NAN;
		return (signbit(x) != 0) != (signbit(y) != 0) ?
		    -INFINITY : INFINITY;
	}
	return x / y;
}

/* JavaScript %: the sign of the dividend, exact (like fmod()). */
static double
dmod(double x, double y)
{
	double r, t, ay = dabs(y);

	if (isnan(x) || isnan(y) || isinf(x) || y == 0)
		return NAN;
	if (isinf(y) || dabs(x) < ay || x == 0)
		return x;
	r = dabs(x);
	t = ay;
	while (t <= r / 2)
		t *= 2;
	/* each subtraction is exact: t <= r < 2t */
	for (; t >= ay; t /= 2)
		if (r >= t)
			r -= t;
	return x < 0 ? -r : r;
}

static double
dlog(double x)
{
	double m = x, s, s2, term, sum = 0;
	int e = 0, k;

	if (isnan(x) || x < 0)
		return NAN;
	if (x == 0)
		return -INFINITY;
	if (isinf(x))
		return x;
	while (m >= 2) {
		m /= 2;
		e++;
	}
	while (m < 1) {
		m *= 2;
		e--;
	}
	/* log(m) = 2 atanh((m - 1) / (m + 1)) */
	s = (m - 1) / (m + 1);
	s2 = s * s;
	term = s;
	for (k = 1; k < 60; k += 2) {
		sum += term / k;
		term *= s2;
	}
	return e * LN2 + 2 * sum;
}

static double
dexp(double y)
{
	double k, r, term, sum;
	int i;

	if (isnan(y))
		return y;
	if (y > 709.8)
		return INFINITY;
	if (y < -745.2)
		return 0;
	k = dfloor(y / LN2 + 0.5);
	r = y - k * LN2;
	sum = 1;
	term = 1;
	for (i = 1; i < 30; i++) {
		term *= r / i;
		sum += term;
	}
	for (; k > 0; k--)
		sum *= 2;
	for (; k < 0; k++)
		sum /= 2;
	return sum;
}

static double
dsqrt(double x)
{
	double m = x, g, scale = 1;
	int i;

	if (isnan(x) || x < 0)
		return NAN;
	if (x == 0 || isinf(x))
		return x;
	while (m >= 4) {
		m /= 4;
		scale *= 2;
	}
	while (m < 1) {
		m *= 4;
		scale /= 2;
	}
	g = 1.5;
	for (i = 0; i < 8; i++)
		g = (g + m / g) / 2;
	return g * scale;
}

static double
dpow(double x, double y)
{
	double r = 1, b = x, n;

	if (isnan(y))
		return NAN;
	if (y == 0)
		return 1;
	if (isnan(x))
		return NAN;
	if (isinf(y)) {
		if (dabs(x) == 1)
			return NAN;
		return (dabs(x) > 1) == (y > 0) ? INFINITY : 0;
	}
	if (dfloor(y) == y && dabs(y) < 4294967296.0) {
		for (n = dabs(y); n >= 1; n = dfloor(n / 2)) {
			if (dmod(n, 2) == 1)
				r *= b;
			b *= b;
		}
		return y < 0 ? ddiv(1, r) : r;
	}
	if (x < 0)
		return NAN;
	if (x == 0)
		return y > 0 ? 0 : INFINITY;
	if (isinf(x))
		return y > 0 ? INFINITY : 0;
	return dexp(y * dlog(x));
}

/* ---------------------------------------------------------- conversions */

/* Number to string as JavaScript's Number.prototype.toString() does:
 * the shortest digits that read back as the same double. */
static size_t
num_fmt(double d, char *buf, size_t sz)
{
	char tmp[40], dig[24] = "0";
	int prec, k = 0, n, i;
	size_t o = 0;
	const char *p;

	if (isnan(d))
		return strlcpy_p(buf, "NaN", sz);
	if (d == 0)
		return strlcpy_p(buf, "0", sz);
	if (isinf(d))
		return strlcpy_p(buf, d < 0 ? "-Infinity" : "Infinity", sz);
	if (d > -1e15 && d < 1e15 && d == (double)(long long)d) {
		n = snprintf(buf, sz, "%lld", (long long)d);
		return n < 0 ? 0 : (size_t)n;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	p = tmp;
	if (*p == '-') {
		buf[o++] = '-';
		p++;
	}
	for (; *p != 'e' && *p != '\0'; p++)
		if (is_digit((unsigned char)*p) && k < (int)sizeof(dig) - 1)
			dig[k++] = *p;
	if (k == 0)		/* cannot happen for a finite d != 0 */
		k = 1;
	while (k > 1 && dig[k - 1] == '0')
		k--;
	n = (*p == 'e' ? atoi(p + 1) : 0) + 1;	/* value = 0.dig * 10^n */
	if (k <= n && n <= 21) {
		for (i = 0; i < k; i++)
			buf[o++] = dig[i];
		for (; i < n; i++)
			buf[o++] = '0';
	} else if (0 < n && n <= 21) {
		for (i = 0; i < k; i++) {
			if (i == n)
				buf[o++] = '.';
			buf[o++] = dig[i];
		}
	} else if (-6 < n && n <= 0) {
		buf[o++] = '0';
		buf[o++] = '.';
		for (i = 0; i < -n; i++)
			buf[o++] = '0';
		for (i = 0; i < k; i++)
			buf[o++] = dig[i];
	} else {
		buf[o++] = dig[0];
		if (k > 1) {
			buf[o++] = '.';
			for (i = 1; i < k; i++)
				buf[o++] = dig[i];
		}
		o += (size_t)snprintf(buf + o, sz - o, "e%c%d",
		    n - 1 < 0 ? '-' : '+', n - 1 < 0 ? 1 - n : n - 1);
		return o;
	}
	buf[o] = '\0';
	return o;
}

static int
is_jsspace(const char *p, const char *e, size_t *w)
{
	const unsigned char *u = (const unsigned char *)p;

	*w = 1;
	if (*u == ' ' || (*u >= '\t' && *u <= '\r'))
		return 1;
	if (e - p >= 2 && u[0] == 0xc2 && u[1] == 0xa0) {
		*w = 2;
		return 1;
	}
	if (e - p >= 3 && ((u[0] == 0xef && u[1] == 0xbb && u[2] == 0xbf) ||
	    (u[0] == 0xe2 && u[1] == 0x80 && (u[2] == 0xa8 || u[2] == 0xa9)))) {
		*w = 3;
		return 1;
	}
	return 0;
}

/* Trims JavaScript white space from both ends of p[0..*n). */
static const char *
js_trim(const char *p, size_t *n, int left, int right)
{
	const char *e = p + *n;
	size_t w;

	while (left && p < e && is_jsspace(p, e, &w))
		p += w;
	while (right && p < e) {
		unsigned char c = (unsigned char)e[-1];

		if (c == ' ' || (c >= '\t' && c <= '\r'))
			e--;
		else if (e - p >= 2 && c == 0xa0 &&
		    (unsigned char)e[-2] == 0xc2)
			e -= 2;
		else if (e - p >= 3 && is_jsspace(e - 3, e, &w) && w == 3)
			e -= 3;
		else
			break;
	}
	*n = (size_t)(e - p);
	return p;
}

/* ToNumber of a string. */
static double
str_to_num(const struct str *s)
{
	size_t n = s->len, i = 0;
	const char *p = js_trim(s->s, &n, 1, 1);
	double v = 0, sign = 1;
	int radix = 0, d, digits = 0;

	if (n == 0)
		return 0;
	if (n > 2 && p[0] == '0') {
		switch (p[1] | 0x20) {
		case 'x': radix = 16; break;
		case 'o': radix = 8; break;
		case 'b': radix = 2; break;
		}
	}
	if (radix != 0) {
		for (i = 2; i < n; i++) {
			if ((d = hex_value((unsigned char)p[i])) < 0 || d >= radix)
				return NAN;
			v = v * radix + d;
		}
		return v;
	}
	if (p[0] == '+' || p[0] == '-') {
		sign = p[0] == '-' ? -1 : 1;
		i = 1;
	}
	if (n - i == 8 && memcmp(p + i, "Infinity", 8) == 0)
		return sign * INFINITY;
	for (; i < n && is_digit(p[i]); i++)
		digits++;
	if (i < n && p[i] == '.')
		for (i++; i < n && is_digit(p[i]); i++)
			digits++;
	if (digits == 0)
		return NAN;
	if (i < n && (p[i] | 0x20) == 'e') {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= n || !is_digit(p[i]))
			return NAN;
		while (i < n && is_digit(p[i]))
			i++;
	}
	if (i != n)
		return NAN;
	/* the literal is well-formed and followed by space or NUL, where
	 * strtod() stops */
	return strtod(p, NULL);
}

static struct str *obj_to_str(struct pac *, struct obj *);

static struct str *
num_str(struct pac *P, double d)
{
	char buf[40];

	return str_new(P, buf, num_fmt(d, buf, sizeof(buf)));
}

static struct str *
to_str(struct pac *P, const struct val *v)
{
	switch (v->t) {
	case V_UNDEF:
		return P->a[A_UNDEFINED];
	case V_NULL:
		return P->a[A_NULL];
	case V_BOOL:
		return v->u.b ? P->a[A_TRUE] : P->a[A_FALSE];
	case V_NUM:
		return num_str(P, v->u.n);
	case V_STR:
		return v->u.s;
	case V_OBJ:
		return obj_to_str(P, v->u.o);
	}
	return P->a[A_EMPTY];
}

static double
to_num(struct pac *P, const struct val *v)
{
	switch (v->t) {
	case V_UNDEF:
		return NAN;
	case V_NULL:
		return 0;
	case V_BOOL:
		return v->u.b;
	case V_NUM:
		return v->u.n;
	case V_STR:
		charge_bytes(P, v->u.s->len);
		return str_to_num(v->u.s);
	case V_OBJ:
		if (v->u.o->kind == O_DATE)
			return v->u.o->u.time;
		return str_to_num(obj_to_str(P, v->u.o));
	}
	return NAN;
}

static int
to_bool(const struct val *v)
{
	switch (v->t) {
	case V_UNDEF:
	case V_NULL:
		return 0;
	case V_BOOL:
		return v->u.b;
	case V_NUM:
		return !(v->u.n == 0 || isnan(v->u.n));
	case V_STR:
		return v->u.s->len != 0;
	case V_OBJ:
		return 1;
	}
	return 0;
}

/* ToIntegerOrInfinity */
static double
to_int(struct pac *P, const struct val *v)
{
	double d = to_num(P, v);

	return isnan(d) ? 0 : dtrunc(d);
}

/* A relative index (negative counts from len) clamped to [0, len]. */
static uint32_t
rel_index(double d, uint32_t len)
{
	if (d < 0)
		d = d + len < 0 ? 0 : d + len;
	return d > len ? len : (uint32_t)d;
}

/* An index clamped to [0, len]. */
static uint32_t
clamp_index(double d, uint32_t len)
{
	if (d < 0)
		return 0;
	return d > len ? len : (uint32_t)d;
}

/* Objects become primitives natively (no user valueOf/toString): dates
 * become their time with hint_num, strings otherwise. */
static struct val
to_prim(struct pac *P, const struct val *v, int hint_num)
{
	if (v->t != V_OBJ)
		return *v;
	if (v->u.o->kind == O_DATE && hint_num)
		return v_num(v->u.o->u.time);
	return v_str(obj_to_str(P, v->u.o));
}

/* The index a key names if it is a canonical array index. */
static int
key_index(const struct val *k, uint32_t *idx)
{
	const struct str *s;
	uint32_t v = 0, i;

	if (k->t == V_NUM) {
		if (k->u.n >= 0 && k->u.n < 4294967295.0 &&
		    k->u.n == dfloor(k->u.n)) {
			*idx = (uint32_t)k->u.n;
			return 1;
		}
		return 0;
	}
	if (k->t != V_STR)
		return 0;
	s = k->u.s;
	if (s->len == 0 || s->len > 10 || (s->s[0] == '0' && s->len > 1))
		return 0;
	for (i = 0; i < s->len; i++) {
		if (!is_digit(s->s[i]))
			return 0;
		if (v > 429496729u || (v == 429496729u && s->s[i] > '4'))
			return 0;
		v = v * 10 + (uint32_t)(s->s[i] - '0');
	}
	*idx = v;
	return 1;
}

static int
strict_eq(struct pac *P, const struct val *a, const struct val *b)
{
	if (a->t != b->t)
		return 0;
	if (a->t == V_STR && a->u.s != b->u.s && a->u.s->len == b->u.s->len)
		charge_bytes(P, a->u.s->len);
	switch (a->t) {
	case V_UNDEF:
	case V_NULL:
		return 1;
	case V_BOOL:
		return a->u.b == b->u.b;
	case V_NUM:
		return a->u.n == b->u.n;
	case V_STR:
		return str_same(a->u.s, b->u.s);
	case V_OBJ:
		return a->u.o == b->u.o;
	}
	return 0;
}

static int
loose_eq(struct pac *P, struct val a, struct val b)
{
	for (;;) {
		if (a.t == b.t)
			return strict_eq(P, &a, &b);
		if (a.t <= V_NULL || b.t <= V_NULL)
			return a.t <= V_NULL && b.t <= V_NULL;
		if (a.t == V_NUM && b.t == V_STR)
			return a.u.n == to_num(P, &b);
		if (a.t == V_STR && b.t == V_NUM)
			return to_num(P, &a) == b.u.n;
		if (a.t == V_BOOL)
			a = v_num(a.u.b);
		else if (b.t == V_BOOL)
			b = v_num(b.u.b);
		else if (a.t == V_OBJ)
			a = to_prim(P, &a, 0);
		else if (b.t == V_OBJ)
			b = to_prim(P, &b, 0);
		else
			return 0;
	}
}

static int
str_cmp(const struct str *a, const struct str *b)
{
	uint32_t n = a->len < b->len ? a->len : b->len;
	int c = n > 0 ? memcmp(a->s, b->s, n) : 0;

	if (c != 0)
		return c < 0 ? -1 : 1;
	return a->len < b->len ? -1 : a->len > b->len;
}

/* a < b: 1 or 0, or -1 when a NaN makes it undefined. */
static int
less_than(struct pac *P, const struct val *a, const struct val *b)
{
	struct val x = to_prim(P, a, 1), y = to_prim(P, b, 1);
	double dx, dy;

	if (x.t == V_STR && y.t == V_STR) {
		charge_bytes(P, x.u.s->len < y.u.s->len ? x.u.s->len :
		    y.u.s->len);
		return str_cmp(x.u.s, y.u.s) < 0;
	}
	dx = to_num(P, &x);
	dy = to_num(P, &y);
	if (isnan(dx) || isnan(dy))
		return -1;
	return dx < dy;
}

/* ------------------------------------------------------ interpreter core */

enum { C_NORMAL, C_BREAK, C_CONTINUE, C_RETURN, C_THROW };

static int eval(struct pac *, struct node *, struct val *);
static int exec(struct pac *, struct node *);
static int call_value(struct pac *, const struct val *, const struct val *,
		    struct val *, int, struct val *, const struct node *);

static void
enter(struct pac *P, const struct node *n)
{
	P->at = n;
	charge(P, 1);
	if (++P->cdepth > CDEPTH_MAX)
		die(P, "nesting too deep");
}

static int
throw_val(struct pac *P, const struct node *site, const struct val *v)
{
	if (site == NULL)
		site = P->at;
	P->exc = *v;
	P->exc_line = site != NULL ? site->line : 0;
	P->exc_col = site != NULL ? site->col : 0;
	return -1;
}

static struct obj *
err_new(struct pac *P, enum errtype t, struct str *msg)
{
	struct obj *o = obj_new(P, O_ERROR, P->p_error[t]);
	struct val m = v_str(msg);

	prop_add(P, o, P->a[A_MESSAGE], &m, 1);
	return o;
}

static int	throw_err(struct pac *, const struct node *, enum errtype,
		    const char *, ...) PRINTF(4, 5);

static int
throw_err(struct pac *P, const struct node *site, enum errtype t,
    const char *fmt, ...)
{
	char msg[200];
	va_list ap;
	struct val v;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v = v_obj(err_new(P, t, str_c(P, msg)));
	return throw_val(P, site, &v);
}

/* A short printable form of a string for messages. */
static const char *
cstr_short(const struct str *s, char *buf, size_t sz)
{
	size_t i, n = s->len < sz - 4 ? s->len : sz - 4;

	for (i = 0; i < n; i++)
		buf[i] = (s->s[i] >= 0x20 && s->s[i] < 0x7f) ? s->s[i] : '?';
	if (n < s->len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

static struct prop *
scope_find(struct pac *P, struct str *name, struct obj **owner)
{
	struct obj *s;
	struct prop *p;

	for (s = P->scope; s != NULL; s = s->proto)
		if ((p = prop_find(s, name)) != NULL) {
			if (owner != NULL)
				*owner = s;
			return p;
		}
	return NULL;
}

static int
var_get(struct pac *P, const struct node *n, struct val *out)
{
	struct prop *p = scope_find(P, n->v.s, NULL);
	char buf[64];

	if (p == NULL)
		return throw_err(P, n, E_REFERENCE, "%s is not defined",
		    cstr_short(n->v.s, buf, sizeof(buf)));
	*out = p->v;
	return 0;
}

/* Assigns to the nearest binding, or makes an implicit global. */
static void
var_put(struct pac *P, struct str *name, const struct val *v)
{
	struct obj *owner;
	struct prop *p = scope_find(P, name, &owner);

	if (p == NULL) {
		obj_put(P, P->global, name, v);
		return;
	}
	obj_touch(P, owner);
	p->v = *v;
}

static struct str *
key_str(struct pac *P, const struct val *k)
{
	return to_str(P, k);
}

static struct val
func_prototype(struct pac *P, struct obj *f)
{
	struct val *v = obj_own(f, P->a[A_PROTOTYPE]), pv, fv;
	struct obj *proto;

	if (v != NULL)
		return *v;
	proto = obj_new(P, O_OBJECT, P->p_object);
	fv = v_obj(f);
	prop_add(P, proto, P->a[A_CONSTRUCTOR], &fv, 1);
	pv = v_obj(proto);
	obj_hide(P, f, P->a[A_PROTOTYPE], &pv);
	return pv;
}

static struct str *rx_flags(struct pac *, const struct rx *);
static struct str *rx_source(const struct rx *);

/* Properties computed from an object's kind; 1 if k was one. */
static int
special_get(struct pac *P, struct obj *o, struct str *k, struct val *out)
{
	switch (o->kind) {
	case O_ARRAY:
		if (str_same(k, P->a[A_LENGTH])) {
			*out = v_num(o->len);
			return 1;
		}
		return 0;
	case O_FUNC:
		if (str_same(k, P->a[A_LENGTH])) {
			*out = v_num(o->u.f.fn->v.fn->nparams);
			return 1;
		}
		if (str_same(k, P->a[A_NAME]) && obj_own(o, k) == NULL) {
			*out = v_str(o->u.f.fn->v.fn->name != NULL ?
			    o->u.f.fn->v.fn->name : P->a[A_EMPTY]);
			return 1;
		}
		if (str_same(k, P->a[A_PROTOTYPE]) && !o->u.f.fn->v.fn->arrow) {
			*out = func_prototype(P, o);
			return 1;
		}
		return 0;
	case O_NATIVE:
		if (str_same(k, P->a[A_NAME]) && obj_own(o, k) == NULL) {
			*out = v_str(str_c(P, o->u.n.name));
			return 1;
		}
		return 0;
	case O_REGEXP:
		if (str_same(k, P->a[A_LASTINDEX]))
			*out = v_num(o->u.r.last);
		else if (str_same(k, P->a[A_SOURCE]))
			*out = v_str(rx_source(o->u.r.rx));
		else if (str_same(k, P->a[A_FLAGS]))
			*out = v_str(rx_flags(P, o->u.r.rx));
		else if (str_same(k, P->a[A_GLOBAL]) ||
		    str_same(k, P->a[A_IGNORECASE]) ||
		    str_same(k, P->a[A_MULTILINE])) {
			struct str *f = rx_flags(P, o->u.r.rx);
			char c = str_same(k, P->a[A_GLOBAL]) ? 'g' :
			    str_same(k, P->a[A_IGNORECASE]) ? 'i' : 'm';

			*out = v_bool(memchr(f->s, c, f->len) != NULL);
		} else
			return 0;
		return 1;
	default:
		return 0;
	}
}

static int
get_prop(struct pac *P, const struct val *base, const struct val *key,
    struct val *out, const struct node *site)
{
	struct obj *o, *proto;
	struct str *k, *s;
	struct val *v;
	uint32_t idx;
	char buf[64];

	*out = undef;
	switch (base->t) {
	case V_UNDEF:
	case V_NULL:
		return throw_err(P, site, E_TYPE,
		    "cannot read property '%s' of %s",
		    cstr_short(key_str(P, key), buf, sizeof(buf)),
		    base->t == V_NULL ? "null" : "undefined");
	case V_STR:
		s = base->u.s;
		if (key_index(key, &idx)) {
			*out = idx < s->len ? v_str(str_new(P, s->s + idx, 1)) :
			    undef;
			return 0;
		}
		k = key_str(P, key);
		if (str_same(k, P->a[A_LENGTH])) {
			*out = v_num(s->len);
			return 0;
		}
		proto = P->p_string;
		break;
	case V_NUM:
		k = key_str(P, key);
		proto = P->p_number;
		break;
	case V_BOOL:
		k = key_str(P, key);
		proto = P->p_boolean;
		break;
	case V_OBJ:
		o = base->u.o;
		if (o->kind == O_ARRAY && key_index(key, &idx) &&
		    idx < o->len) {
			*out = o->items[idx];
			return 0;
		}
		k = key_str(P, key);
		if (special_get(P, o, k, out))
			return 0;
		v = obj_lookup(o, k);
		*out = v != NULL ? *v : undef;
		return 0;
	default:
		return 0;
	}
	v = obj_lookup(proto, k);
	*out = v != NULL ? *v : undef;
	return 0;
}

static int
set_prop(struct pac *P, const struct val *base, const struct val *key,
    const struct val *v, const struct node *site)
{
	struct obj *o;
	struct str *k;
	uint32_t idx;
	double d;
	char buf[64];

	if (base->t == V_UNDEF || base->t == V_NULL)
		return throw_err(P, site, E_TYPE,
		    "cannot set property '%s' of %s",
		    cstr_short(key_str(P, key), buf, sizeof(buf)),
		    base->t == V_NULL ? "null" : "undefined");
	if (base->t != V_OBJ)
		return 0;	/* primitives: ignored, as sloppy mode does */
	o = base->u.o;
	if (o->kind == O_ARRAY) {
		if (key_index(key, &idx) && idx < o->len + ARR_GAP) {
			arr_set(P, o, idx, v);
			return 0;
		}
		k = key_str(P, key);
		if (str_same(k, P->a[A_LENGTH])) {
			d = to_num(P, v);
			if (!(d >= 0 && d <= ARR_MAX) || d != dfloor(d))
				return throw_err(P, site, E_RANGE,
				    "invalid array length");
			if ((uint32_t)d < o->len) {
				obj_touch(P, o);
				o->len = (uint32_t)d;
			} else
				arr_setlen(P, o, (uint32_t)d);
			return 0;
		}
	} else {
		k = key_str(P, key);
		if (o->kind == O_REGEXP && str_same(k, P->a[A_LASTINDEX])) {
			obj_touch(P, o);
			o->u.r.last = to_num(P, v);
			return 0;
		}
	}
	obj_put(P, o, k, v);
	return 0;
}

/* The in operator and hasOwnProperty (own = 1). */
static int
has_prop(struct pac *P, struct obj *o, const struct val *key, int own)
{
	struct str *k;
	uint32_t idx;
	struct val dummy;

	if (o->kind == O_ARRAY && key_index(key, &idx) && idx < o->len)
		return 1;
	k = key_str(P, key);
	if ((o->kind == O_ARRAY || o->kind == O_FUNC || o->kind == O_REGEXP) &&
	    special_get(P, o, k, &dummy))
		return 1;
	return own ? obj_own(o, k) != NULL : obj_lookup(o, k) != NULL;
}

static struct val
make_closure(struct pac *P, struct node *fn)
{
	struct obj *f = obj_new(P, O_FUNC, P->p_function);

	f->u.f.fn = fn;
	f->u.f.env = P->scope;
	f->u.f.this = P->this;
	return v_obj(f);
}

/* Declares a function's var names and function declarations in scope. */
static void
hoist(struct pac *P, struct obj *scope, struct fninfo *fi)
{
	struct node *v, *h;
	struct val fv;

	for (v = fi->vars; v != NULL; v = v->next)
		if (prop_find(scope, v->v.s) == NULL) {
			obj_touch(P, scope);
			prop_add(P, scope, v->v.s, &undef, 0);
		}
	for (h = fi->funcs; h != NULL; h = h->next) {
		fv = make_closure(P, h->a);
		obj_put(P, scope, h->a->v.fn->name, &fv);
	}
}

static int exec_list(struct pac *, struct node *);

static int
call_closure(struct pac *P, struct obj *f, const struct val *thisv,
    struct val *argv, int argc, struct val *out)
{
	struct fninfo *fi = f->u.f.fn->v.fn;
	struct obj *scope, *saved_scope = P->scope, *args;
	struct val saved_this = P->this, v;
	struct node *p;
	int i, c;

	if (++P->calls > P->calls_max)
		die(P, "too much recursion (%d nested calls)", P->calls_max);
	scope = obj_new(P, O_SCOPE, f->u.f.env);
	for (i = 0, p = fi->params; p != NULL; p = p->next, i++)
		obj_put(P, scope, p->v.s, i < argc ? &argv[i] : &undef);
	if (fi->uses_args && !fi->arrow) {
		args = arr_new(P, (uint32_t)argc);
		for (i = 0; i < argc; i++)
			args->items[i] = argv[i];
		args->len = (uint32_t)argc;
		v = v_obj(args);
		obj_put(P, scope, P->a[A_ARGUMENTS], &v);
	}
	if (fi->name != NULL && !fi->decl &&
	    prop_find(scope, fi->name) == NULL) {
		v = v_obj(f);
		prop_add(P, scope, fi->name, &v, 0);
	}
	P->scope = scope;
	P->this = fi->arrow ? f->u.f.this : *thisv;
	hoist(P, scope, fi);
	if (fi->expr_body) {
		c = eval(P, fi->body, &v) != 0 ? C_THROW : C_RETURN;
		P->ret = v;
	} else
		c = exec_list(P, fi->body);
	P->scope = saved_scope;
	P->this = saved_this;
	P->calls--;
	if (c == C_THROW)
		return -1;
	*out = c == C_RETURN ? P->ret : undef;
	return 0;
}

static int
call_value(struct pac *P, const struct val *fn, const struct val *thisv,
    struct val *argv, int argc, struct val *out, const struct node *site)
{
	struct obj *f;
	struct call c;

	if (!is_callable(fn))
		return throw_err(P, site, E_TYPE, "not a function");
	f = fn->u.o;
	if (f->kind == O_FUNC)
		return call_closure(P, f, thisv, argv, argc, out);
	c.this = *thisv;
	c.argv = argv;
	c.argc = argc;
	c.magic = f->u.n.magic;
	c.construct = 0;
	c.site = site;
	*out = undef;
	return f->u.n.fn(P, &c, out);
}

/* What to call a callee in a message. */
static const char *
callee_name(const struct node *n, char *buf, size_t sz)
{
	if (n->type == N_IDENT || n->type == N_MEMBER)
		return cstr_short(n->v.s, buf, sz);
	return "expression";
}

static int
eval_args(struct pac *P, struct node *a, int argc, struct val **argv)
{
	int i;

	*argv = argc > 0 ? arena_nalloc(P, (size_t)argc, sizeof(**argv)) : NULL;
	for (i = 0; a != NULL; a = a->next, i++)
		if (eval(P, a, &(*argv)[i]) != 0)
			return -1;
	return 0;
}

static int
eval_call(struct pac *P, struct node *n, struct val *out)
{
	struct node *callee = n->a;
	struct val fn, thisv = undef, key, *argv;
	char buf[64];

	if (callee->type == N_MEMBER || callee->type == N_INDEX) {
		if (eval(P, callee->a, &thisv) != 0)
			return -1;
		if (callee->type == N_MEMBER)
			key = v_str(callee->v.s);
		else if (eval(P, callee->b, &key) != 0)
			return -1;
		if (get_prop(P, &thisv, &key, &fn, callee) != 0)
			return -1;
	} else if (eval(P, callee, &fn) != 0)
		return -1;
	if (eval_args(P, n->b, n->op, &argv) != 0)
		return -1;
	if (!is_callable(&fn))
		return throw_err(P, n, E_TYPE, "%s is not a function",
		    callee_name(callee, buf, sizeof(buf)));
	P->at = n;
	return call_value(P, &fn, &thisv, argv, n->op, out, n);
}

static int
eval_new(struct pac *P, struct node *n, struct val *out)
{
	struct val fn, *argv, thisv, r;
	struct obj *f, *o;
	struct call c;
	char buf[64];

	if (eval(P, n->a, &fn) != 0 || eval_args(P, n->b, n->op, &argv) != 0)
		return -1;
	if (!is_callable(&fn) || (fn.u.o->kind == O_FUNC &&
	    fn.u.o->u.f.fn->v.fn->arrow))
		return throw_err(P, n, E_TYPE, "%s is not a constructor",
		    callee_name(n->a, buf, sizeof(buf)));
	f = fn.u.o;
	if (f->kind == O_NATIVE) {
		c.this = undef;
		c.argv = argv;
		c.argc = n->op;
		c.magic = f->u.n.magic;
		c.construct = 1;
		c.site = n;
		*out = undef;
		return f->u.n.fn(P, &c, out);
	}
	r = func_prototype(P, f);
	o = obj_new(P, O_OBJECT, r.t == V_OBJ ? r.u.o : P->p_object);
	thisv = v_obj(o);
	if (call_closure(P, f, &thisv, argv, n->op, &r) != 0)
		return -1;
	*out = r.t == V_OBJ ? r : thisv;
	return 0;
}

static int
instance_of(struct pac *P, const struct val *a, const struct val *b,
    const struct node *site)
{
	struct val proto, key;
	struct obj *o;

	if (!is_callable(b))
		return throw_err(P, site, E_TYPE,
		    "right-hand side of instanceof is not callable");
	if (a->t != V_OBJ)
		return 0;
	key = v_str(P->a[A_PROTOTYPE]);
	if (get_prop(P, b, &key, &proto, site) != 0)
		return -1;
	if (proto.t != V_OBJ)
		return 0;
	for (o = a->u.o->proto; o != NULL; o = o->proto)
		if (o == proto.u.o)
			return 1;
	return 0;
}

/* One binary operator; a and b are copies, so out may alias them. */
static int
binop(struct pac *P, int op, struct val a, struct val b, struct val *out,
    const struct node *site)
{
	struct val x, y;
	uint32_t s;
	int32_t i;
	int r;
	char buf[64];

	switch (op) {
	case T_PLUS:
		x = to_prim(P, &a, 0);
		y = to_prim(P, &b, 0);
		if (x.t == V_STR || y.t == V_STR)
			*out = v_str(str_cat(P, to_str(P, &x), to_str(P, &y)));
		else
			*out = v_num(to_num(P, &x) + to_num(P, &y));
		return 0;
	case T_MINUS:
		*out = v_num(to_num(P, &a) - to_num(P, &b));
		return 0;
	case T_STAR:
		*out = v_num(to_num(P, &a) * to_num(P, &b));
		return 0;
	case T_SLASH:
		*out = v_num(ddiv(to_num(P, &a), to_num(P, &b)));
		return 0;
	case T_PERCENT:
		*out = v_num(dmod(to_num(P, &a), to_num(P, &b)));
		return 0;
	case T_STARSTAR:
		*out = v_num(dpow(to_num(P, &a), to_num(P, &b)));
		return 0;
	case T_LT:
		*out = v_bool(less_than(P, &a, &b) == 1);
		return 0;
	case T_GT:
		*out = v_bool(less_than(P, &b, &a) == 1);
		return 0;
	case T_LE:
		*out = v_bool(less_than(P, &b, &a) == 0);
		return 0;
	case T_GE:
		*out = v_bool(less_than(P, &a, &b) == 0);
		return 0;
	case T_EQ:
		*out = v_bool(loose_eq(P, a, b));
		return 0;
	case T_NE:
		*out = v_bool(!loose_eq(P, a, b));
		return 0;
	case T_SEQ:
		*out = v_bool(strict_eq(P, &a, &b));
		return 0;
	case T_SNE:
		*out = v_bool(!strict_eq(P, &a, &b));
		return 0;
	case T_AMP:
		*out = v_num(u32_to_i32(to_u32d(to_num(P, &a)) &
		    to_u32d(to_num(P, &b))));
		return 0;
	case T_BAR:
		*out = v_num(u32_to_i32(to_u32d(to_num(P, &a)) |
		    to_u32d(to_num(P, &b))));
		return 0;
	case T_CARET:
		*out = v_num(u32_to_i32(to_u32d(to_num(P, &a)) ^
		    to_u32d(to_num(P, &b))));
		return 0;
	case T_SHL:
		s = to_u32d(to_num(P, &b)) & 31;
		*out = v_num(u32_to_i32(to_u32d(to_num(P, &a)) << s));
		return 0;
	case T_SHR:
		s = to_u32d(to_num(P, &b)) & 31;
		i = to_i32d(to_num(P, &a));
		/* arithmetic shift without shifting a negative value */
		*out = v_num(i >= 0 ? i >> s : ~(~i >> s));
		return 0;
	case T_USHR:
		s = to_u32d(to_num(P, &b)) & 31;
		*out = v_num(to_u32d(to_num(P, &a)) >> s);
		return 0;
	case T_INSTANCEOF:
		if ((r = instance_of(P, &a, &b, site)) < 0)
			return -1;
		*out = v_bool(r);
		return 0;
	case T_IN:
		if (b.t != V_OBJ)
			return throw_err(P, site, E_TYPE,
			    "cannot use 'in' to search for '%s' in a %s",
			    cstr_short(key_str(P, &a), buf, sizeof(buf)),
			    b.t == V_STR ? "string" : "non-object");
		*out = v_bool(has_prop(P, b.u.o, &a, 0));
		return 0;
	}
	return throw_err(P, site, E_SYNTAX, "unknown operator");
}

/* An assignable place: a variable or an object's property. */
struct ref {
	struct node	*n;
	struct val	 base, key;
};

static int
ref_eval(struct pac *P, struct node *n, struct ref *r)
{
	r->n = n;
	r->base = r->key = undef;
	switch (n->type) {
	case N_IDENT:
		return 0;
	case N_MEMBER:
		r->key = v_str(n->v.s);
		return eval(P, n->a, &r->base);
	case N_INDEX:
		if (eval(P, n->a, &r->base) != 0)
			return -1;
		return eval(P, n->b, &r->key);
	default:
		return throw_err(P, n, E_SYNTAX, "invalid assignment target");
	}
}

static int
ref_get(struct pac *P, struct ref *r, struct val *out)
{
	if (r->n->type == N_IDENT)
		return var_get(P, r->n, out);
	return get_prop(P, &r->base, &r->key, out, r->n);
}

static int
ref_put(struct pac *P, struct ref *r, const struct val *v)
{
	if (r->n->type == N_IDENT) {
		var_put(P, r->n->v.s, v);
		return 0;
	}
	return set_prop(P, &r->base, &r->key, v, r->n);
}

static struct str *
type_of(struct pac *P, const struct val *v)
{
	switch (v->t) {
	case V_UNDEF:
		return P->a[A_UNDEFINED];
	case V_NULL:
		return P->a[A_OBJECT];
	case V_BOOL:
		return P->a[A_BOOLEAN];
	case V_NUM:
		return P->a[A_NUMBER];
	case V_STR:
		return P->a[A_STRING];
	case V_OBJ:
		return is_callable(v) ? P->a[A_FUNCTION] : P->a[A_OBJECT];
	}
	return P->a[A_UNDEFINED];
}

static int
eval_delete(struct pac *P, struct node *a, struct val *out)
{
	struct ref r;
	uint32_t idx;

	*out = v_bool(1);
	if (a->type == N_IDENT) {
		*out = v_bool(0);
		return 0;
	}
	if (a->type != N_MEMBER && a->type != N_INDEX)
		return eval(P, a, &r.base);
	if (ref_eval(P, a, &r) != 0)
		return -1;
	if (r.base.t == V_UNDEF || r.base.t == V_NULL)
		return throw_err(P, a, E_TYPE, "cannot delete a property of %s",
		    r.base.t == V_NULL ? "null" : "undefined");
	if (r.base.t != V_OBJ)
		return 0;
	if (r.base.u.o->kind == O_ARRAY && key_index(&r.key, &idx)) {
		if (idx < r.base.u.o->len)
			arr_set(P, r.base.u.o, idx, &undef);
		return 0;
	}
	obj_del(P, r.base.u.o, key_str(P, &r.key));
	return 0;
}

static int
eval_unary(struct pac *P, struct node *n, struct val *out)
{
	struct prop *p;
	struct val v;

	if (n->op == T_TYPEOF && n->a->type == N_IDENT) {
		/* typeof an undeclared name is "undefined", not an error */
		p = scope_find(P, n->a->v.s, NULL);
		*out = v_str(type_of(P, p != NULL ? &p->v : &undef));
		return 0;
	}
	if (n->op == T_DELETE)
		return eval_delete(P, n->a, out);
	if (eval(P, n->a, &v) != 0)
		return -1;
	switch (n->op) {
	case T_TYPEOF:
		*out = v_str(type_of(P, &v));
		break;
	case T_NOT:
		*out = v_bool(!to_bool(&v));
		break;
	case T_MINUS:
		*out = v_num(-to_num(P, &v));
		break;
	case T_PLUS:
		*out = v_num(to_num(P, &v));
		break;
	case T_TILDE:
		*out = v_num(u32_to_i32(~to_u32d(to_num(P, &v))));
		break;
	default:		/* void */
		*out = undef;
		break;
	}
	return 0;
}

static int
eval_incdec(struct pac *P, struct node *n, struct val *out)
{
	struct ref r;
	struct val old, nv;
	double d;

	if (ref_eval(P, n->a, &r) != 0 || ref_get(P, &r, &old) != 0)
		return -1;
	d = to_num(P, &old);
	nv = v_num(n->op == T_INC ? d + 1 : d - 1);
	if (ref_put(P, &r, &nv) != 0)
		return -1;
	*out = n->type == N_PREINC ? nv : v_num(d);
	return 0;
}

static int
eval_assign(struct pac *P, struct node *n, struct val *out)
{
	struct ref r;
	struct val old, rhs;

	if (ref_eval(P, n->a, &r) != 0)
		return -1;
	if (n->op == T_ASSIGN) {
		if (eval(P, n->b, out) != 0)
			return -1;
	} else if (ref_get(P, &r, &old) != 0 || eval(P, n->b, &rhs) != 0 ||
	    binop(P, assign_base[n->op - T_PLUSEQ], old, rhs, out, n) != 0)
		return -1;
	return ref_put(P, &r, out);
}

static int
eval_logic(struct pac *P, struct node *n, struct val *out)
{
	struct node *l;

	if (eval(P, n->a, out) != 0)
		return -1;
	for (l = n->b; l != NULL; l = l->next) {
		if ((l->op == T_OR && to_bool(out)) ||
		    (l->op == T_AND && !to_bool(out)) ||
		    (l->op == T_NULLISH && out->t != V_UNDEF &&
		    out->t != V_NULL)) {
			charge(P, 1);
			continue;
		}
		if (eval(P, l->a, out) != 0)
			return -1;
	}
	return 0;
}

static int
eval_object(struct pac *P, struct node *n, struct val *out)
{
	struct obj *o = obj_new(P, O_OBJECT, P->p_object);
	struct node *p;
	struct val v;
	uint32_t k = 0;

	/* sized once: large literals are the big tables of PAC files */
	for (p = n->a; p != NULL; p = p->next)
		k++;
	if (k > 0) {
		o->props = arena_nalloc(P, k, sizeof(*o->props));
		o->pcap = k;
	}
	if (k > 8) {
		o->hcap = 32;
		while (o->hcap < 2 * (k + 1))
			o->hcap *= 2;
		o->index = arena_nalloc(P, o->hcap, sizeof(*o->index));
	}
	for (p = n->a; p != NULL; p = p->next) {
		if (eval(P, p->a, &v) != 0)
			return -1;
		obj_put(P, o, p->v.s, &v);
	}
	*out = v_obj(o);
	return 0;
}

static int
eval_array(struct pac *P, struct node *n, struct val *out)
{
	struct obj *a;
	struct node *e;
	struct val v;
	uint32_t k = 0;

	for (e = n->a; e != NULL; e = e->next)
		k++;
	a = arr_new(P, k);
	for (e = n->a; e != NULL; e = e->next) {
		v = undef;
		if (e->type != N_HOLE && eval(P, e, &v) != 0)
			return -1;
		arr_push(P, a, &v);
	}
	*out = v_obj(a);
	return 0;
}

static int
eval1(struct pac *P, struct node *n, struct val *out)
{
	struct node *e;
	struct val v, key;
	struct obj *o;

	switch (n->type) {
	case N_NUM:
		*out = v_num(n->v.num);
		return 0;
	case N_STR:
		*out = v_str(n->v.s);
		return 0;
	case N_TEMPLATE:
		*out = v_str(P->a[A_EMPTY]);
		for (e = n->a; e != NULL; e = e->next) {
			if (eval(P, e, &v) != 0)
				return -1;
			*out = v_str(str_cat(P, out->u.s, to_str(P, &v)));
		}
		return 0;
	case N_REGEX:
		o = obj_new(P, O_REGEXP, P->p_regexp);
		o->u.r.rx = n->v.rx;
		*out = v_obj(o);
		return 0;
	case N_IDENT:
		return var_get(P, n, out);
	case N_THIS:
		*out = P->this.t == V_UNDEF ? v_obj(P->global) : P->this;
		return 0;
	case N_NULL:
		*out = v_null();
		return 0;
	case N_TRUE:
	case N_FALSE:
		*out = v_bool(n->type == N_TRUE);
		return 0;
	case N_HOLE:
		*out = undef;
		return 0;
	case N_ARRAY:
		return eval_array(P, n, out);
	case N_OBJECT:
		return eval_object(P, n, out);
	case N_FUNC:
		*out = make_closure(P, n);
		return 0;
	case N_MEMBER:
		if (eval(P, n->a, &v) != 0)
			return -1;
		key = v_str(n->v.s);
		return get_prop(P, &v, &key, out, n);
	case N_INDEX:
		if (eval(P, n->a, &v) != 0 || eval(P, n->b, &key) != 0)
			return -1;
		return get_prop(P, &v, &key, out, n);
	case N_CALL:
		return eval_call(P, n, out);
	case N_NEW:
		return eval_new(P, n, out);
	case N_UNARY:
		return eval_unary(P, n, out);
	case N_PREINC:
	case N_POSTINC:
		return eval_incdec(P, n, out);
	case N_CHAIN:
		if (eval(P, n->a, out) != 0)
			return -1;
		for (e = n->b; e != NULL; e = e->next)
			if (eval(P, e->a, &v) != 0 ||
			    binop(P, e->op, *out, v, out, e) != 0)
				return -1;
		return 0;
	case N_LOGIC:
		return eval_logic(P, n, out);
	case N_COND:
		if (eval(P, n->a, &v) != 0)
			return -1;
		return eval(P, to_bool(&v) ? n->b : n->c, out);
	case N_ASSIGN:
		return eval_assign(P, n, out);
	case N_SEQ:
		for (e = n->a; e != NULL; e = e->next)
			if (eval(P, e, out) != 0)
				return -1;
		return 0;
	default:
		return throw_err(P, n, E_SYNTAX, "not an expression");
	}
}

static int
eval(struct pac *P, struct node *n, struct val *out)
{
	int r;

	enter(P, n);
	r = eval1(P, n, out);
	P->cdepth--;
	return r;
}

/* ------------------------------------------------- interpreter: statements */

/* After a loop body ran with completion *c: 1 to leave the loop (with
 * *c what the loop completes with), 0 to go round again. */
static int
loop_ctl(struct pac *P, const struct node *loop, int *c)
{
	int brk;

	if (*c == C_NORMAL)
		return 0;
	if ((*c == C_BREAK || *c == C_CONTINUE) && (P->label == NULL ||
	    (loop->label != NULL && str_same(P->label, loop->label)))) {
		brk = *c == C_BREAK;
		P->label = NULL;
		*c = C_NORMAL;
		return brk;
	}
	return 1;
}

static int
exec_list(struct pac *P, struct node *n)
{
	int c;

	for (; n != NULL; n = n->next)
		if ((c = exec(P, n)) != C_NORMAL)
			return c;
	return C_NORMAL;
}

static int
exec_var(struct pac *P, struct node *n)
{
	struct node *d;
	struct val v;

	for (d = n->a; d != NULL; d = d->next) {
		if (d->a != NULL) {
			if (eval(P, d->a, &v) != 0)
				return C_THROW;
		} else if (n->op == T_LET)
			v = undef;	/* a let without value starts over */
		else
			continue;
		var_put(P, d->v.s, &v);
	}
	return C_NORMAL;
}

static int
exec_if(struct pac *P, struct node *n)
{
	struct val v;

	while (n != NULL && n->type == N_IF) {
		P->at = n;
		if (eval(P, n->a, &v) != 0)
			return C_THROW;
		if (to_bool(&v))
			return exec(P, n->b);
		n = n->c;
	}
	return n != NULL ? exec(P, n) : C_NORMAL;
}

static int
exec_for(struct pac *P, struct node *n)
{
	struct val v;
	int c;

	if (n->a != NULL && (c = exec(P, n->a)) != C_NORMAL)
		return c;
	for (;;) {
		if (n->b != NULL) {
			if (eval(P, n->b, &v) != 0)
				return C_THROW;
			if (!to_bool(&v))
				return C_NORMAL;
		}
		c = exec(P, n->d);
		if (loop_ctl(P, n, &c))
			return c;
		if (n->c != NULL && eval(P, n->c, &v) != 0)
			return C_THROW;
	}
}

static int
exec_while(struct pac *P, struct node *n)
{
	struct val v;
	int c;

	for (;;) {
		if (n->type == N_WHILE) {
			if (eval(P, n->a, &v) != 0)
				return C_THROW;
			if (!to_bool(&v))
				return C_NORMAL;
		}
		c = exec(P, n->d);
		if (loop_ctl(P, n, &c))
			return c;
		if (n->type == N_DOWHILE) {
			if (eval(P, n->a, &v) != 0)
				return C_THROW;
			if (!to_bool(&v))
				return C_NORMAL;
		}
	}
}

/* The keys for-in visits: indexes, then enumerable names along the
 * proto chain, each once. */
static struct str **
forin_keys(struct pac *P, const struct val *v, uint32_t *np)
{
	struct str **keys;
	struct obj *o, *base = NULL, *q;
	uint32_t n = 0, max = 0, i;
	struct prop *p;

	*np = 0;
	if (v->t == V_STR)
		max = v->u.s->len;
	else if (v->t == V_OBJ) {
		base = v->u.o;
		if (base->kind == O_ARRAY)
			max = base->len;
		for (o = base; o != NULL; o = o->proto)
			max += o->nprops;
	} else
		return NULL;
	keys = arena_nalloc(P, max, sizeof(*keys));
	if (v->t == V_STR || v->u.o->kind == O_ARRAY)
		for (i = 0; i < (v->t == V_STR ? v->u.s->len : v->u.o->len);
		    i++)
			keys[n++] = num_str(P, i);
	if (v->t == V_OBJ) {
		for (o = base; o != NULL; o = o->proto) {
			charge(P, o->nprops / 16);
			for (i = 0; i < o->nprops; i++) {
				p = &o->props[i];
				if (p->key == NULL || p->hidden)
					continue;
				for (q = base; q != o; q = q->proto)
					if (prop_find(q, p->key) != NULL)
						break;
				if (q == o)
					keys[n++] = p->key;
			}
		}
	}
	*np = n;
	return keys;
}

/* Assigns the loop value to a for-in/for-of target. */
static int
loop_assign(struct pac *P, struct node *target, const struct val *v)
{
	struct ref r;

	if (target->type == N_VAR) {
		var_put(P, target->a->v.s, v);
		return 0;
	}
	if (ref_eval(P, target, &r) != 0)
		return -1;
	return ref_put(P, &r, v);
}

static int
exec_forin(struct pac *P, struct node *n)
{
	struct str **keys;
	struct val v, k;
	uint32_t nk, i;
	int c;

	if (eval(P, n->b, &v) != 0)
		return C_THROW;
	keys = forin_keys(P, &v, &nk);
	for (i = 0; i < nk; i++) {
		k = v_str(keys[i]);
		if (loop_assign(P, n->a, &k) != 0)
			return C_THROW;
		c = exec(P, n->d);
		if (loop_ctl(P, n, &c))
			return c;
	}
	return C_NORMAL;
}

static int
exec_forof(struct pac *P, struct node *n)
{
	struct val v, e;
	uint32_t i;
	int c;

	if (eval(P, n->b, &v) != 0)
		return C_THROW;
	if (v.t != V_STR && !is_kind(&v, O_ARRAY)) {
		throw_err(P, n->b, E_TYPE, "value is not iterable");
		return C_THROW;
	}
	for (i = 0;; i++) {
		if (v.t == V_STR) {
			if (i >= v.u.s->len)
				break;
			e = v_str(str_new(P, v.u.s->s + i, 1));
		} else {
			if (i >= v.u.o->len)
				break;
			e = v.u.o->items[i];
		}
		if (loop_assign(P, n->a, &e) != 0)
			return C_THROW;
		c = exec(P, n->d);
		if (loop_ctl(P, n, &c))
			return c;
	}
	return C_NORMAL;
}

static int
exec_switch(struct pac *P, struct node *n)
{
	struct node *cs, *match = NULL, *dflt = NULL;
	struct val d, v;
	int c = C_NORMAL;

	if (eval(P, n->a, &d) != 0)
		return C_THROW;
	for (cs = n->b; cs != NULL; cs = cs->next) {
		if (cs->a == NULL) {
			dflt = cs;
			continue;
		}
		if (eval(P, cs->a, &v) != 0)
			return C_THROW;
		if (strict_eq(P, &d, &v)) {
			match = cs;
			break;
		}
	}
	if (match == NULL)
		match = dflt;
	for (cs = match; cs != NULL; cs = cs->next)
		if ((c = exec_list(P, cs->b)) != C_NORMAL)
			break;
	if (c == C_BREAK && P->label == NULL)
		c = C_NORMAL;
	return c;
}

static int
exec_try(struct pac *P, struct node *n)
{
	struct obj *cs, *saved;
	struct val ret, exc;
	struct str *label;
	uint32_t line, col;
	int c, c2;

	c = exec(P, n->a);
	if (c == C_THROW && n->b != NULL) {
		cs = obj_new(P, O_SCOPE, P->scope);
		if (n->v.s != NULL)
			prop_add(P, cs, n->v.s, &P->exc, 0);
		saved = P->scope;
		P->scope = cs;
		c = exec(P, n->b);
		P->scope = saved;
	}
	if (n->c != NULL) {
		ret = P->ret;
		exc = P->exc;
		label = P->label;
		line = P->exc_line;
		col = P->exc_col;
		if ((c2 = exec(P, n->c)) != C_NORMAL)
			return c2;
		P->ret = ret;
		P->exc = exc;
		P->label = label;
		P->exc_line = line;
		P->exc_col = col;
	}
	return c;
}

static int
exec1(struct pac *P, struct node *n)
{
	struct val v;
	int c;

	switch (n->type) {
	case N_EMPTY:
	case N_FUNCDECL:
		return C_NORMAL;
	case N_EXPR:
		return eval(P, n->a, &v) != 0 ? C_THROW : C_NORMAL;
	case N_VAR:
		return exec_var(P, n);
	case N_IF:
		return exec_if(P, n);
	case N_BLOCK:
		return exec_list(P, n->a);
	case N_FOR:
		return exec_for(P, n);
	case N_FORIN:
		return exec_forin(P, n);
	case N_FOROF:
		return exec_forof(P, n);
	case N_WHILE:
	case N_DOWHILE:
		return exec_while(P, n);
	case N_RETURN:
		/* not straight into P->ret: calls inside would clobber it */
		v = undef;
		if (n->a != NULL && eval(P, n->a, &v) != 0)
			return C_THROW;
		P->ret = v;
		return C_RETURN;
	case N_BREAK:
	case N_CONTINUE:
		P->label = n->v.s;
		return n->type == N_BREAK ? C_BREAK : C_CONTINUE;
	case N_THROW:
		if (eval(P, n->a, &v) != 0)
			return C_THROW;
		throw_val(P, n, &v);
		return C_THROW;
	case N_TRY:
		return exec_try(P, n);
	case N_SWITCH:
		return exec_switch(P, n);
	case N_LABEL:
		c = exec(P, n->a);
		if (c == C_BREAK && P->label != NULL &&
		    str_same(P->label, n->v.s)) {
			P->label = NULL;
			c = C_NORMAL;
		}
		return c;
	default:
		return eval(P, n, &v) != 0 ? C_THROW : C_NORMAL;
	}
}

static int
exec(struct pac *P, struct node *n)
{
	int c;

	enter(P, n);
	c = exec1(P, n);
	P->cdepth--;
	return c;
}

/* --------------------------------------------------- regular expressions */

/*
 * JavaScript regular expressions (not POSIX ones): classes, \d \w \s \b,
 * anchors, groups, non-capturing groups, lookahead, backreferences,
 * alternation, greedy and lazy quantifiers, flags g i m s y. A pattern
 * is parsed to a small tree, compiled to a program, and run by a
 * backtracking machine whose alternatives live on an explicit stack in
 * the arena. Every instruction is a step, so a pathological pattern
 * runs into the step limit instead of hanging.
 */

enum rxop {
	RX_CHAR, RX_ANY, RX_ANYNL, RX_CLASS, RX_SPLIT, RX_JMP, RX_SAVE,
	RX_CLEAR, RX_CHECK, RX_BOL, RX_EOL, RX_WORDB, RX_NWORDB, RX_BACKREF,
	RX_LOOK, RX_NLOOK, RX_LOOKEND, RX_MATCH
};

#define RXF_G	0x01
#define RXF_I	0x02
#define RXF_M	0x04
#define RXF_S	0x08
#define RXF_Y	0x10
#define RXF_U	0x20

struct rxinst {
	uint8_t		 op;
	uint8_t		 fold;		/* RX_CHAR: compare lower-cased */
	int32_t		 x, y;		/* targets, slot, class, group */
};

struct rx {
	struct rxinst	*prog;
	int		 nprog;
	uint8_t		(*cls)[32];	/* byte sets */
	int		 ngroups;	/* capturing groups */
	int		 nslots;	/* 2 per group (and 0), loop marks */
	int		 flags;
	int		 anchored;	/* only matches at the start */
	struct str	*source;
};

enum rntype {
	RN_CHAR, RN_ANY, RN_CLASS, RN_CAT, RN_ALT, RN_REP, RN_GROUP,
	RN_NCGROUP, RN_BOL, RN_EOL, RN_WORDB, RN_NWORDB, RN_BACKREF,
	RN_LOOK, RN_NLOOK
};

struct rnode {
	enum rntype	 type;
	int		 c;		/* byte, class, group number */
	int		 min, max;	/* RN_REP; max -1: no bound */
	int		 greedy;
	struct rnode	*a;		/* child, or first of a list */
	struct rnode	*next;		/* next in a CAT or ALT list */
};

struct rxc {
	struct pac	*P;
	const char	*p, *end;
	int		 flags;
	struct rxinst	*code;
	int		 n, cap;
	uint8_t		(*cls)[32];
	int		 ncls, clscap;
	int		 ngroups, totgroups, nmarks, depth;
	const char	*err;
};

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int
is_word(int c)
{
	return is_idpart(c) && c != '$';
}

static struct rnode *
rnode(struct rxc *c, enum rntype t)
{
	struct rnode *n = arena_alloc(c->P, sizeof(*n));

	n->type = t;
	return n;
}

static void
set_add(uint8_t *set, int lo, int hi)
{
	int i;

	for (i = lo; i <= hi; i++)
		set[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static int
set_has(const uint8_t *set, int c)
{
	return (set[c >> 3] >> (c & 7)) & 1;
}

/* \d \w \s and their complements, into set. */
static void
set_escape(uint8_t *set, int e)
{
	uint8_t t[32];
	int i;

	memset(t, 0, sizeof(t));
	switch (e | 0x20) {
	case 'd':
		set_add(t, '0', '9');
		break;
	case 'w':
		set_add(t, '0', '9');
		set_add(t, 'A', 'Z');
		set_add(t, 'a', 'z');
		set_add(t, '_', '_');
		break;
	case 's':
		set_add(t, '\t', '\r');
		set_add(t, ' ', ' ');
		break;
	}
	for (i = 0; i < 32; i++)
		set[i] |= (e >= 'a') ? t[i] : (uint8_t)~t[i];
}

static struct rnode *
rx_class_node(struct rxc *c, const uint8_t *set)
{
	struct rnode *n;
	int i;

	if (c->ncls == c->clscap) {
		int ncap = c->clscap ? c->clscap * 2 : 8;
		uint8_t (*nc)[32] = arena_nalloc(c->P, (size_t)ncap, 32);

		if (c->ncls > 0)
			memcpy(nc, c->cls, (size_t)c->ncls * 32);
		c->cls = nc;
		c->clscap = ncap;
	}
	memcpy(c->cls[c->ncls], set, 32);
	if (c->flags & RXF_I)
		for (i = 'a'; i <= 'z'; i++)
			if (set_has(set, i) || set_has(set, i - 32)) {
				set_add(c->cls[c->ncls], i, i);
				set_add(c->cls[c->ncls], i - 32, i - 32);
			}
	n = rnode(c, RN_CLASS);
	n->c = c->ncls++;
	return n;
}

static struct rnode *
rx_err(struct rxc *c, const char *msg)
{
	if (c->err == NULL)
		c->err = msg;
	return NULL;
}

static struct rnode *
rx_char(struct rxc *c, int ch)
{
	struct rnode *n = rnode(c, RN_CHAR);

	n->c = ch & 0xff;
	return n;
}

/* A code point as its UTF-8 bytes in sequence. */
static struct rnode *
rx_codepoint(struct rxc *c, uint32_t cp)
{
	struct rnode *cat, **tail;
	char b[4];
	size_t n, i;

	if (cp < 0x80)
		return rx_char(c, (int)cp);
	n = utf8_put(b, cp);
	cat = rnode(c, RN_CAT);
	tail = &cat->a;
	for (i = 0; i < n; i++) {
		*tail = rx_char(c, (unsigned char)b[i]);
		tail = &(*tail)->next;
	}
	return cat;
}

/* Reads a {n}, {n,} or {n,m} at p; 1 if there is one. */
static int
rx_braces(const char *p, const char *end, int *min, int *max,
    const char **after)
{
	long a = 0, b;

	if (p >= end || *p != '{' || ++p >= end || !is_digit(*p))
		return 0;
	while (p < end && is_digit(*p)) {
		a = a * 10 + (*p++ - '0');
		if (a > 100000)
			a = 100000;
	}
	b = a;
	if (p < end && *p == ',') {
		p++;
		b = -1;
		if (p < end && is_digit(*p)) {
			b = 0;
			while (p < end && is_digit(*p)) {
				b = b * 10 + (*p++ - '0');
				if (b > 100000)
					b = 100000;
			}
		}
	}
	if (p >= end || *p != '}')
		return 0;
	*min = (int)a;
	*max = (int)b;
	*after = p + 1;
	return 1;
}

/* \uXXXX in a pattern, c->p just past the 'u'; as rx_escape(). */
static int
rx_escape_u(struct rxc *c, uint8_t *set, struct rnode **node)
{
	char b[4];
	size_t n, i;
	int v = 0, k, h;

	for (k = 0; k < 4; k++) {
		if (c->p + k >= c->end ||
		    (h = hex_value((unsigned char)c->p[k])) < 0)
			return 'u';
		v = v * 16 + h;
	}
	c->p += 4;
	if (v < 0x80)
		return v;
	if (set == NULL) {
		*node = rx_codepoint(c, (uint32_t)v);
		return -2;
	}
	n = utf8_put(b, (uint32_t)v);
	for (i = 0; i < n; i++)
		set_add(set, (unsigned char)b[i], (unsigned char)b[i]);
	return -1;
}

/* \1 .. \999 as a back-reference when there is such a group, else a
 * legacy octal escape (or the digit 8 or 9); as rx_escape(). */
static int
rx_escape_digit(struct rxc *c, uint8_t *set, struct rnode **node, int e)
{
	size_t i = 0;
	uint32_t cp;
	int v;

	if (set == NULL && e != '0') {
		const char *q = c->p;

		v = e - '0';
		while (q < c->end && is_digit(*q) && v < 1000)
			v = v * 10 + (*q++ - '0');
		if (v <= c->totgroups) {
			c->p = q;
			*node = rnode(c, RN_BACKREF);
			(*node)->c = v;
			return -2;
		}
	}
	if (e >= '8')
		return e;
	cp = decode_octal(c->p, &i, (size_t)(c->end - c->p), e);
	c->p += i;
	return (int)cp;
}

/*
 * One escape after a backslash. In a class (set != NULL) a class escape
 * adds to set and -1 is returned; elsewhere the byte value is returned,
 * or -2 with *node set for escapes that are nodes of their own.
 */
static int
rx_escape(struct rxc *c, uint8_t *set, struct rnode **node)
{
	int e, v;

	if (c->p >= c->end) {
		rx_err(c, "\\ at end of pattern");
		return -3;
	}
	e = (unsigned char)*c->p++;
	switch (e) {
	case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
		if (set != NULL) {
			set_escape(set, e);
			return -1;
		} else {
			uint8_t t[32];

			memset(t, 0, sizeof(t));
			set_escape(t, e);
			*node = rx_class_node(c, t);
			return -2;
		}
	case 'b':
		if (set != NULL)
			return '\b';
		*node = rnode(c, RN_WORDB);
		return -2;
	case 'B':
		if (set != NULL)
			return 'B';
		*node = rnode(c, RN_NWORDB);
		return -2;
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'v': return '\v';
	case 'f': return '\f';
	case 'c':
		if (c->p < c->end && is_alpha((unsigned char)*c->p))
			return *c->p++ & 31;
		c->p--;
		return '\\';
	case 'x':
		if (c->end - c->p >= 2 && hex_value((unsigned char)c->p[0]) >= 0 &&
		    hex_value((unsigned char)c->p[1]) >= 0) {
			v = hex_value((unsigned char)c->p[0]) * 16 +
			    hex_value((unsigned char)c->p[1]);
			c->p += 2;
			if (v >= 0x80 && set == NULL) {
				*node = rx_codepoint(c, (uint32_t)v);
				return -2;
			}
			return v;
		}
		return 'x';
	case 'u':
		return rx_escape_u(c, set, node);
	default:
		break;
	}
	if (e >= '0' && e <= '9')
		return rx_escape_digit(c, set, node, e);
	return e;	/* identity escape */
}

static struct rnode *
rx_class(struct rxc *c)
{
	uint8_t set[32];
	int neg = 0, lo, hi, i;

	memset(set, 0, sizeof(set));
	if (c->p < c->end && *c->p == '^') {
		neg = 1;
		c->p++;
	}
	while (c->p < c->end && *c->p != ']') {
		lo = (unsigned char)*c->p++;
		if (lo == '\\' && (lo = rx_escape(c, set, NULL)) == -3)
			return NULL;
		if (c->p + 1 < c->end && *c->p == '-' && c->p[1] != ']' &&
		    lo >= 0) {
			c->p++;
			hi = (unsigned char)*c->p++;
			if (hi == '\\' && (hi = rx_escape(c, set, NULL)) == -3)
				return NULL;
			if (hi < 0) {
				set_add(set, lo, lo);
				set_add(set, '-', '-');
				continue;
			}
			if (hi < lo)
				return rx_err(c, "range out of order in class");
			set_add(set, lo, hi);
		} else if (lo >= 0)
			set_add(set, lo, lo);
	}
	if (c->p >= c->end)
		return rx_err(c, "missing ]");
	c->p++;
	if (c->flags & RXF_I)
		for (i = 'a'; i <= 'z'; i++)
			if (set_has(set, i) || set_has(set, i - 32)) {
				set_add(set, i, i);
				set_add(set, i - 32, i - 32);
			}
	if (neg)
		for (i = 0; i < 32; i++)
			set[i] = (uint8_t)~set[i];
	return rx_class_node(c, set);
}

static struct rnode *rx_disj(struct rxc *);

static struct rnode *
rx_group(struct rxc *c)
{
	struct rnode *n, *inner;
	enum rntype t = RN_GROUP;
	int g = 0;

	if (++c->depth > RX_NEST_MAX)
		return rx_err(c, "too deeply nested");
	if (c->p < c->end && *c->p == '?') {
		if (c->p + 1 >= c->end)
			return rx_err(c, "invalid group");
		switch (c->p[1]) {
		case ':': t = RN_NCGROUP; break;
		case '=': t = RN_LOOK; break;
		case '!': t = RN_NLOOK; break;
		case '<':
			if (c->p + 2 < c->end &&
			    (c->p[2] == '=' || c->p[2] == '!'))
				return rx_err(c, "lookbehind is not supported");
			/* a named group captures like any other */
			while (c->p < c->end && *c->p != '>')
				c->p++;
			if (c->p >= c->end)
				return rx_err(c, "invalid group name");
			c->p--;
			break;
		default:
			return rx_err(c, "invalid group");
		}
		c->p += 2;
	}
	if (t == RN_GROUP)
		g = ++c->ngroups;
	if ((inner = rx_disj(c)) == NULL)
		return NULL;
	if (c->p >= c->end || *c->p != ')')
		return rx_err(c, "missing )");
	c->p++;
	c->depth--;
	n = rnode(c, t);
	n->c = g;
	n->a = inner;
	return n;
}

static struct rnode *
rx_atom(struct rxc *c)
{
	struct rnode *n = NULL;
	int ch = (unsigned char)*c->p++, v, mn, mx;
	const char *after;

	switch (ch) {
	case '^':
		return rnode(c, RN_BOL);
	case '$':
		return rnode(c, RN_EOL);
	case '.':
		return rnode(c, RN_ANY);
	case '(':
		return rx_group(c);
	case '[':
		return rx_class(c);
	case '*':
	case '+':
	case '?':
		return rx_err(c, "nothing to repeat");
	case '{':
		if (rx_braces(c->p - 1, c->end, &mn, &mx, &after))
			return rx_err(c, "nothing to repeat");
		return rx_char(c, ch);
	case '\\':
		if ((v = rx_escape(c, NULL, &n)) == -3)
			return NULL;
		return v == -2 ? n : rx_char(c, v);
	default:
		return rx_char(c, ch);
	}
}

static struct rnode *
rx_term(struct rxc *c)
{
	struct rnode *atom = rx_atom(c), *rep;
	int min, max;
	const char *after;

	if (atom == NULL || c->p >= c->end)
		return atom;
	switch (*c->p) {
	case '*': min = 0; max = -1; after = c->p + 1; break;
	case '+': min = 1; max = -1; after = c->p + 1; break;
	case '?': min = 0; max = 1; after = c->p + 1; break;
	case '{':
		if (rx_braces(c->p, c->end, &min, &max, &after))
			break;
		/* FALLTHROUGH */
	default:
		return atom;
	}
	switch (atom->type) {
	case RN_BOL: case RN_EOL: case RN_WORDB: case RN_NWORDB:
		return rx_err(c, "nothing to repeat");
	default:
		break;
	}
	if (min > RX_REP_MAX || max > RX_REP_MAX)
		return rx_err(c, "repeat count too large");
	if (max != -1 && max < min)
		return rx_err(c, "numbers out of order in {} quantifier");
	c->p = after;
	rep = rnode(c, RN_REP);
	rep->a = atom;
	rep->min = min;
	rep->max = max;
	rep->greedy = 1;
	if (c->p < c->end && *c->p == '?') {
		rep->greedy = 0;
		c->p++;
	}
	return rep;
}

static struct rnode *
rx_alt(struct rxc *c)
{
	struct rnode *cat = rnode(c, RN_CAT), **tail = &cat->a;

	while (c->p < c->end && *c->p != '|' && *c->p != ')') {
		if ((*tail = rx_term(c)) == NULL)
			return NULL;
		tail = &(*tail)->next;
	}
	return cat;
}

static struct rnode *
rx_disj(struct rxc *c)
{
	struct rnode *first = rx_alt(c), *alt, *tail;

	if (first == NULL || c->p >= c->end || *c->p != '|')
		return first;
	alt = rnode(c, RN_ALT);
	alt->a = tail = first;
	while (c->p < c->end && *c->p == '|') {
		c->p++;
		if ((tail->next = rx_alt(c)) == NULL)
			return NULL;
		tail = tail->next;
	}
	return alt;
}

/* Capturing groups in the whole pattern, for \N before group N. */
static int
rx_count_groups(const char *p, const char *end)
{
	int n = 0, in_class = 0;

	for (; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '[')
			in_class = 1;
		else if (*p == ']')
			in_class = 0;
		else if (*p == '(' && !in_class && (p + 1 >= end ||
		    p[1] != '?' || (p + 2 < end && p[2] == '<' &&
		    p + 3 < end && p[3] != '=' && p[3] != '!')))
			n++;
	}
	return n;
}

static int
rx_nullable(const struct rnode *n)
{
	const struct rnode *k;

	switch (n->type) {
	case RN_CHAR:
	case RN_ANY:
	case RN_CLASS:
		return 0;
	case RN_CAT:
		for (k = n->a; k != NULL; k = k->next)
			if (!rx_nullable(k))
				return 0;
		return 1;
	case RN_ALT:
		for (k = n->a; k != NULL; k = k->next)
			if (rx_nullable(k))
				return 1;
		return 0;
	case RN_REP:
		return n->min == 0 || rx_nullable(n->a);
	case RN_GROUP:
	case RN_NCGROUP:
		return rx_nullable(n->a);
	default:
		return 1;
	}
}

static int
rx_emit(struct rxc *c, enum rxop op, int x, int y)
{
	if (c->n >= RX_PROG_MAX) {
		rx_err(c, "pattern too large");
		return -1;
	}
	if (c->n == c->cap) {
		int ncap = c->cap ? c->cap * 2 : 64;
		struct rxinst *nc;

		nc = arena_nalloc(c->P, (size_t)ncap, sizeof(*nc));
		if (c->n > 0)
			memcpy(nc, c->code, (size_t)c->n * sizeof(*nc));
		c->code = nc;
		c->cap = ncap;
	}
	c->code[c->n].op = (uint8_t)op;
	c->code[c->n].fold = 0;
	c->code[c->n].x = x;
	c->code[c->n].y = y;
	return c->n++;
}

static int rx_gen(struct rxc *, const struct rnode *);

/* The capturing groups inside n: *lo..*hi, or *lo > *hi if none. */
static void
rx_groups(const struct rnode *n, int *lo, int *hi)
{
	const struct rnode *k;

	if (n->type == RN_GROUP) {
		if (n->c < *lo)
			*lo = n->c;
		if (n->c > *hi)
			*hi = n->c;
	}
	if (n->type == RN_CAT || n->type == RN_ALT) {
		for (k = n->a; k != NULL; k = k->next)
			rx_groups(k, lo, hi);
	} else if (n->a != NULL)
		rx_groups(n->a, lo, hi);
}

/*
 * One iteration of a quantified atom, as ECMAScript's RepeatMatcher
 * runs it: the groups inside start out undefined again, and an optional
 * iteration (mark >= 0) that matched nothing fails.
 */
static int
rx_gen_iter(struct rxc *c, const struct rnode *a, int glo, int ghi, int mark)
{
	if (glo <= ghi && rx_emit(c, RX_CLEAR, 2 * glo, 2 * ghi + 2) < 0)
		return -1;
	if (mark >= 0 && rx_emit(c, RX_SAVE, mark, 0) < 0)
		return -1;
	if (rx_gen(c, a) < 0)
		return -1;
	if (mark >= 0 && rx_emit(c, RX_CHECK, mark, 0) < 0)
		return -1;
	return 0;
}

static int
rx_gen_rep(struct rxc *c, const struct rnode *n)
{
	int i, s, prev = -1, nxt, mark = -1, glo = INT32_MAX, ghi = 0;

	rx_groups(n->a, &glo, &ghi);
	for (i = 0; i < n->min; i++)
		if (rx_gen_iter(c, n->a, glo, ghi, -1) < 0)
			return -1;
	if (rx_nullable(n->a))
		mark = 2 * (c->ngroups + 1) + c->nmarks++;
	if (n->max == -1) {
		/* L1: SPLIT L2, L3  L2: iteration  JMP L1  L3: */
		if ((s = rx_emit(c, RX_SPLIT, 0, 0)) < 0 ||
		    rx_gen_iter(c, n->a, glo, ghi, mark) < 0 ||
		    rx_emit(c, RX_JMP, s, 0) < 0)
			return -1;
		c->code[s].x = n->greedy ? s + 1 : c->n;
		c->code[s].y = n->greedy ? c->n : s + 1;
		return 0;
	}
	/* a{min,max}: max - min nested optional iterations */
	for (i = n->min; i < n->max; i++) {
		if ((s = rx_emit(c, RX_SPLIT, 0, prev)) < 0 ||
		    rx_gen_iter(c, n->a, glo, ghi, mark) < 0)
			return -1;
		prev = s;
	}
	for (s = prev; s != -1; s = nxt) {
		nxt = c->code[s].y;
		c->code[s].x = n->greedy ? s + 1 : c->n;
		c->code[s].y = n->greedy ? c->n : s + 1;
	}
	return 0;
}

static int
rx_gen(struct rxc *c, const struct rnode *n)
{
	const struct rnode *k;
	int s, j, prev = -1, nxt;

	charge(c->P, 1);
	switch (n->type) {
	case RN_CHAR:
		if ((s = rx_emit(c, RX_CHAR, n->c, 0)) < 0)
			return -1;
		if ((c->flags & RXF_I) && is_alpha(n->c)) {
			c->code[s].x = lower(n->c);
			c->code[s].fold = 1;
		}
		return 0;
	case RN_ANY:
		return rx_emit(c, (c->flags & RXF_S) ? RX_ANYNL : RX_ANY, 0, 0);
	case RN_CLASS:
		return rx_emit(c, RX_CLASS, n->c, 0);
	case RN_CAT:
		for (k = n->a; k != NULL; k = k->next)
			if (rx_gen(c, k) < 0)
				return -1;
		return 0;
	case RN_ALT:
		for (k = n->a; k->next != NULL; k = k->next) {
			if ((s = rx_emit(c, RX_SPLIT, 0, 0)) < 0)
				return -1;
			c->code[s].x = s + 1;
			if (rx_gen(c, k) < 0 ||
			    (j = rx_emit(c, RX_JMP, prev, 0)) < 0)
				return -1;
			prev = j;
			c->code[s].y = c->n;
		}
		if (rx_gen(c, k) < 0)
			return -1;
		for (j = prev; j != -1; j = nxt) {
			nxt = c->code[j].x;
			c->code[j].x = c->n;
		}
		return 0;
	case RN_REP:
		return rx_gen_rep(c, n);
	case RN_GROUP:
		if (rx_emit(c, RX_SAVE, 2 * n->c, 0) < 0 || rx_gen(c, n->a) < 0)
			return -1;
		return rx_emit(c, RX_SAVE, 2 * n->c + 1, 0);
	case RN_NCGROUP:
		return rx_gen(c, n->a);
	case RN_BOL:
		return rx_emit(c, RX_BOL, 0, 0);
	case RN_EOL:
		return rx_emit(c, RX_EOL, 0, 0);
	case RN_WORDB:
		return rx_emit(c, RX_WORDB, 0, 0);
	case RN_NWORDB:
		return rx_emit(c, RX_NWORDB, 0, 0);
	case RN_BACKREF:
		return rx_emit(c, RX_BACKREF, n->c, 0);
	case RN_LOOK:
	case RN_NLOOK:
		if ((s = rx_emit(c, n->type == RN_LOOK ? RX_LOOK : RX_NLOOK,
		    0, 0)) < 0 || rx_gen(c, n->a) < 0 ||
		    rx_emit(c, RX_LOOKEND, 0, 0) < 0)
			return -1;
		c->code[s].x = c->n;
		return 0;
	}
	return -1;
}

/* Compiles pattern pat with flags; NULL and *err on a bad pattern. */
static struct rx *
rx_compile(struct pac *P, const char *pat, size_t plen, const char *flags,
    size_t flen, const char **err)
{
	static const char fl[] = "gimsyu";
	struct rxc c;
	struct rnode *root;
	struct rx *rx;
	const char *f;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.P = P;
	c.p = pat;
	c.end = pat + plen;
	for (i = 0; i < flen; i++) {
		if ((f = memchr(fl, flags[i], sizeof(fl) - 1)) == NULL ||
		    (c.flags & (1 << (f - fl)))) {
			*err = "invalid flags";
			return NULL;
		}
		c.flags |= 1 << (f - fl);
	}
	charge(P, 1 + plen / 8);
	c.totgroups = rx_count_groups(pat, pat + plen);
	if ((root = rx_disj(&c)) == NULL)
		goto bad;
	if (c.p < c.end) {
		c.err = "unmatched )";
		goto bad;
	}
	if (rx_emit(&c, RX_SAVE, 0, 0) < 0 || rx_gen(&c, root) < 0 ||
	    rx_emit(&c, RX_SAVE, 1, 0) < 0 || rx_emit(&c, RX_MATCH, 0, 0) < 0)
		goto bad;
	rx = arena_alloc(P, sizeof(*rx));
	rx->prog = c.code;
	rx->nprog = c.n;
	rx->cls = c.cls;
	rx->ngroups = c.ngroups;
	rx->nslots = 2 * (c.ngroups + 1) + c.nmarks;
	rx->flags = c.flags;
	rx->anchored = !(c.flags & RXF_M) && c.code[1].op == RX_BOL;
	rx->source = plen > 0 ? str_new(P, pat, plen) : str_c(P, "(?:)");
	return rx;
bad:
	*err = c.err != NULL ? c.err : "invalid pattern";
	return NULL;
}

static struct str *
rx_source(const struct rx *rx)
{
	return rx->source;
}

static struct str *
rx_flags(struct pac *P, const struct rx *rx)
{
	static const char fl[] = "gimsyu";
	char buf[8];
	size_t i, n = 0;

	for (i = 0; i < sizeof(fl) - 1; i++)
		if (rx->flags & (1 << i))
			buf[n++] = fl[i];
	return str_new(P, buf, n);
}

/* A backtrack entry: resume at pc with sp, or (pc < 0) put sp back into
 * slot -pc - 1. */
struct rxbt {
	int32_t		 pc, sp;
};

struct rxvm {
	struct pac	*P;
	const struct rx	*rx;
	const unsigned char *s;
	int		 len;
	int		*slots;
	struct rxbt	*st;
	uint32_t	 n, cap;
};

static void
bt_push(struct rxvm *m, int32_t pc, int32_t sp)
{
	struct rxbt *ns;

	if (m->n == m->cap) {
		uint32_t ncap = m->cap ? m->cap * 2 : 64;

		ns = arena_nalloc(m->P, ncap, sizeof(*ns));
		if (m->n > 0)
			memcpy(ns, m->st, m->n * sizeof(*ns));
		m->st = ns;
		m->cap = ncap;
	}
	m->st[m->n].pc = pc;
	m->st[m->n].sp = sp;
	m->n++;
}

/* Pops entries down to mark, putting saved slots back. */
static void
bt_unwind(struct rxvm *m, uint32_t mark)
{
	while (m->n > mark) {
		m->n--;
		if (m->st[m->n].pc < 0)
			m->slots[-m->st[m->n].pc - 1] = m->st[m->n].sp;
	}
}

/* 1 if the n bytes at sp repeat those at st (a backreference). */
static int
rx_same(struct rxvm *m, int st, int n, int sp)
{
	const unsigned char *s = m->s;
	int k;

	if (n > m->len - sp)
		return 0;
	charge(m->P, (unsigned long)n / 16);
	for (k = 0; k < n; k++)
		if (s[st + k] != s[sp + k] && (!(m->rx->flags & RXF_I) ||
		    lower(s[st + k]) != lower(s[sp + k])))
			return 0;
	return 1;
}

/* 1 if the byte at sp matches in (RX_CHAR, RX_ANY, RX_ANYNL, RX_CLASS). */
static int
rx_byte(const struct rxvm *m, const struct rxinst *in, int sp)
{
	const unsigned char *s = m->s;

	if (sp >= m->len)
		return 0;
	switch (in->op) {
	case RX_CHAR:
		return s[sp] == in->x || (in->fold && lower(s[sp]) == in->x);
	case RX_ANY:
		return s[sp] != '\n' && s[sp] != '\r';
	case RX_CLASS:
		return set_has(m->rx->cls[in->x], s[sp]);
	default:	/* RX_ANYNL */
		return 1;
	}
}

/* 1 if the zero-width assertion in (RX_BOL, RX_EOL, RX_WORDB,
 * RX_NWORDB) holds at sp. */
static int
rx_assert(const struct rxvm *m, const struct rxinst *in, int sp)
{
	const unsigned char *s = m->s;
	int multi = (m->rx->flags & RXF_M) != 0, a, b;

	switch (in->op) {
	case RX_BOL:
		return sp == 0 || (multi && (s[sp - 1] == '\n' ||
		    s[sp - 1] == '\r'));
	case RX_EOL:
		return sp == m->len || (multi && (s[sp] == '\n' ||
		    s[sp] == '\r'));
	default:
		a = sp > 0 && is_word(s[sp - 1]);
		b = sp < m->len && is_word(s[sp]);
		return (a != b) == (in->op == RX_WORDB);
	}
}

/* Pops entries above base, putting saved slots back, down to the newest
 * resume point: 1 with *pc and *sp set from it, 0 when none is left. */
static int
rx_backtrack(struct rxvm *m, uint32_t base, int *pc, int *sp)
{
	while (m->n > base) {
		m->n--;
		if (m->st[m->n].pc >= 0) {
			*pc = m->st[m->n].pc;
			*sp = m->st[m->n].sp;
			return 1;
		}
		m->slots[-m->st[m->n].pc - 1] = m->st[m->n].sp;
	}
	return 0;
}

static int rx_run(struct rxvm *, int, int);

/* A lookahead (RX_LOOK) or negative one (RX_NLOOK) at sp: 1 if the
 * match goes on after it. Every slot is saved first, so backtracking
 * past here restores what the lookahead set. */
static int
rx_look(struct rxvm *m, const struct rxinst *in, int pc, int sp)
{
	uint32_t mark;
	int k, found;

	for (k = 0; k < m->rx->nslots; k++)
		bt_push(m, -k - 1, m->slots[k]);
	mark = m->n;
	found = rx_run(m, pc + 1, sp);
	if (in->op == RX_LOOK) {
		if (found)
			m->n = mark;
		return found;
	}
	if (found)
		bt_unwind(m, mark);
	return !found;
}

/* Runs the program from pc at sp; 1 on a match (slots set), else 0. */
static int
rx_run(struct rxvm *m, int pc, int sp)
{
	const struct rxinst *in;
	uint32_t base = m->n;
	int k, st, en;

	for (;;) {
		charge(m->P, 1);
		in = &m->rx->prog[pc];
		switch (in->op) {
		case RX_CHAR:
		case RX_ANY:
		case RX_ANYNL:
		case RX_CLASS:
			if (!rx_byte(m, in, sp))
				goto fail;
			pc++;
			sp++;
			continue;
		case RX_BOL:
		case RX_EOL:
		case RX_WORDB:
		case RX_NWORDB:
			if (!rx_assert(m, in, sp))
				goto fail;
			pc++;
			continue;
		case RX_SPLIT:
			bt_push(m, in->y, sp);
			pc = in->x;
			continue;
		case RX_JMP:
			pc = in->x;
			continue;
		case RX_SAVE:
			bt_push(m, -in->x - 1, m->slots[in->x]);
			m->slots[in->x] = sp;
			pc++;
			continue;
		case RX_CLEAR:
			/* slots [x, y) back to undefined, undoably */
			for (k = in->x; k < in->y; k++)
				if (m->slots[k] != -1) {
					bt_push(m, -k - 1, m->slots[k]);
					m->slots[k] = -1;
				}
			pc++;
			continue;
		case RX_CHECK:
			if (m->slots[in->x] == sp)
				goto fail;
			pc++;
			continue;
		case RX_BACKREF:
			st = m->slots[2 * in->x];
			en = m->slots[2 * in->x + 1];
			if (st >= 0 && en >= st) {
				if (!rx_same(m, st, en - st, sp))
					goto fail;
				sp += en - st;
			}
			pc++;
			continue;
		case RX_LOOK:
		case RX_NLOOK:
			if (!rx_look(m, in, pc, sp))
				goto fail;
			pc = in->x;
			continue;
		case RX_LOOKEND:
		case RX_MATCH:
			return 1;
		}
fail:
		if (!rx_backtrack(m, base, &pc, &sp))
			return 0;
	}
}

/*
 * Finds the first match in s at or after start (only at start when
 * sticky): 1 with slots[0..nslots) filled (-1 for groups that did not
 * take part), else 0.
 */
static int
rx_exec(struct pac *P, const struct rx *rx, const struct str *s,
    uint32_t start, int *slots)
{
	struct rxvm m;
	const char *p;
	uint32_t i;
	int k;

	memset(&m, 0, sizeof(m));
	m.P = P;
	m.rx = rx;
	m.s = (const unsigned char *)s->s;
	m.len = (int)s->len;
	m.slots = slots;
	for (i = start; i <= s->len; i++) {
		/* skip to the first byte the pattern must begin with */
		if (rx->prog[1].op == RX_CHAR && !rx->prog[1].fold &&
		    !(rx->flags & RXF_Y)) {
			if (i >= s->len || (p = memchr(s->s + i, rx->prog[1].x,
			    s->len - i)) == NULL)
				return 0;
			i = (uint32_t)(p - s->s);
		}
		for (k = 0; k < rx->nslots; k++)
			slots[k] = -1;
		m.n = 0;
		if (rx_run(&m, 0, (int)i))
			return 1;
		if (rx->anchored || (rx->flags & RXF_Y))
			break;
	}
	return 0;
}

/* ------------------------------------------------------- built-in: helpers */

/* A growing byte buffer in the arena, for building strings. */
struct sbuf {
	struct pac	*P;
	char		*p;
	size_t		 n, cap;
};

static void
sb_put(struct sbuf *b, const char *s, size_t n)
{
	char *np;
	size_t ncap;

	if (n == 0)
		return;
	if (n >= STR_MAX - b->n)
		die(b->P, "out of memory (string too long)");
	if (b->n + n > b->cap) {
		ncap = b->cap < 64 ? 64 : b->cap * 2;
		while (ncap < b->n + n)
			ncap *= 2;
		np = arena_alloc(b->P, ncap);
		if (b->n > 0)
			memcpy(np, b->p, b->n);
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void
sb_str(struct sbuf *b, const struct str *s)
{
	sb_put(b, s->s, s->len);
}

static void
sb_c(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static struct str *
sb_done(struct sbuf *b)
{
	return str_new(b->P, b->p, b->n);
}

static void
sb_init(struct sbuf *b, struct pac *P)
{
	memset(b, 0, sizeof(*b));
	b->P = P;
}

static struct val
arg(const struct call *c, int i)
{
	return i < c->argc ? c->argv[i] : undef;
}

static struct str *
arg_str(struct pac *P, const struct call *c, int i)
{
	struct val v = arg(c, i);

	return to_str(P, &v);
}

static double
arg_num(struct pac *P, const struct call *c, int i)
{
	struct val v = arg(c, i);

	return to_num(P, &v);
}

static double
arg_int(struct pac *P, const struct call *c, int i)
{
	struct val v = arg(c, i);

	return to_int(P, &v);
}

static int
arg_is(const struct call *c, int i, enum vtype t)
{
	return i < c->argc && c->argv[i].t == t;
}

static struct str *
substr(struct pac *P, const struct str *s, uint32_t from, uint32_t to)
{
	if (from >= to)
		return P->a[A_EMPTY];
	if (from == 0 && to == s->len)
		return (struct str *)s;
	return str_new(P, s->s + from, to - from);
}

static struct str *arr_join(struct pac *, struct obj *, struct str *);
static struct str *date_string(struct pac *, double, int);

static struct str *
error_string(struct pac *P, struct obj *o)
{
	struct val *n = obj_lookup(o, P->a[A_NAME]);
	struct val *m = obj_lookup(o, P->a[A_MESSAGE]);
	struct str *ns = n != NULL ? to_str(P, n) : str_c(P, "Error");
	struct str *ms = m != NULL ? to_str(P, m) : P->a[A_EMPTY];

	if (ms->len == 0)
		return ns;
	if (ns->len == 0)
		return ms;
	return str_cat(P, str_cat(P, ns, str_c(P, ": ")), ms);
}

static struct str *
obj_to_str1(struct pac *P, struct obj *o)
{
	struct sbuf b;
	struct str *name;

	switch (o->kind) {
	case O_ARRAY:
		return arr_join(P, o, P->a[A_COMMA]);
	case O_FUNC:
	case O_NATIVE:
		sb_init(&b, P);
		sb_c(&b, "function ");
		if (o->kind == O_NATIVE)
			sb_c(&b, o->u.n.name);
		else if ((name = o->u.f.fn->v.fn->name) != NULL)
			sb_str(&b, name);
		sb_c(&b, o->kind == O_NATIVE ? "() { [native code] }" :
		    "() { [code] }");
		return sb_done(&b);
	case O_REGEXP:
		sb_init(&b, P);
		sb_c(&b, "/");
		sb_str(&b, rx_source(o->u.r.rx));
		sb_c(&b, "/");
		sb_str(&b, rx_flags(P, o->u.r.rx));
		return sb_done(&b);
	case O_DATE:
		return date_string(P, o->u.time, 0);
	case O_ERROR:
		return error_string(P, o);
	default:
		return str_c(P, "[object Object]");
	}
}

/* An object as a string. Arrays holding themselves, or errors named by
 * arrays holding them, would recurse forever: below a few levels an
 * object is "", as engines make it for cycles. */
static struct str *
obj_to_str(struct pac *P, struct obj *o)
{
	struct str *s;

	if (P->strdepth >= 8)
		return P->a[A_EMPTY];
	P->strdepth++;
	s = obj_to_str1(P, o);
	P->strdepth--;
	return s;
}

/* Array.prototype.join */
static struct str *
arr_join(struct pac *P, struct obj *a, struct str *sep)
{
	struct sbuf b;
	struct val *v;
	uint32_t i;

	sb_init(&b, P);
	for (i = 0; i < a->len; i++) {
		charge(P, 1);
		if (i > 0)
			sb_str(&b, sep);
		v = &a->items[i];
		if (v->t == V_UNDEF || v->t == V_NULL)
			continue;
		sb_str(&b, to_str(P, v));
	}
	return sb_done(&b);
}

/* Finds needle in hay at or after from; index or -1. */
static long
str_find(struct pac *P, const struct str *hay, const struct str *needle,
    uint32_t from)
{
	const char *p;
	uint32_t i, last;

	if (needle->len == 0)
		return from <= hay->len ? (long)from : (long)hay->len;
	if (needle->len > hay->len)
		return -1;
	last = hay->len - needle->len;
	for (i = from; i <= last; i++) {
		p = memchr(hay->s + i, needle->s[0], last - i + 1);
		if (p == NULL)
			return -1;
		i = (uint32_t)(p - hay->s);
		charge(P, 1 + needle->len / 64);
		if (memcmp(p, needle->s, needle->len) == 0)
			return (long)i;
	}
	return -1;
}

/* The last needle starting at or before from; index or -1. */
static long
str_rfind(struct pac *P, const struct str *hay, const struct str *needle,
    uint32_t from)
{
	uint32_t i;

	if (needle->len > hay->len)
		return -1;
	i = hay->len - needle->len;
	if (from < i)
		i = from;
	for (;; i--) {
		charge(P, 1 + needle->len / 64);
		if (memcmp(hay->s + i, needle->s, needle->len) == 0)
			return (long)i;
		if (i == 0)
			return -1;
	}
}

static struct obj *
this_obj(struct pac *P, struct call *c, enum okind kind, const char *what)
{
	if (c->this.t == V_OBJ && c->this.u.o->kind == kind)
		return c->this.u.o;
	throw_err(P, c->site, E_TYPE, "%s called on a value that is not %s",
	    what, kind == O_ARRAY ? "an array" : kind == O_REGEXP ?
	    "a RegExp" : kind == O_DATE ? "a Date" : "an object");
	return NULL;
}

static struct str *
this_str(struct pac *P, struct call *c)
{
	if (c->this.t == V_UNDEF || c->this.t == V_NULL) {
		throw_err(P, c->site, E_TYPE,
		    "string method called on null or undefined");
		return NULL;
	}
	return to_str(P, &c->this);
}

static struct obj *
native_obj(struct pac *P, const char *name, native_fn fn, int magic)
{
	struct obj *f = obj_new(P, O_NATIVE, P->p_function);

	f->u.n.fn = fn;
	f->u.n.magic = magic;
	f->u.n.name = name;
	return f;
}

/* ------------------------------------------------------- built-in: regexp */

static struct obj *
regexp_new(struct pac *P, struct rx *rx)
{
	struct obj *o = obj_new(P, O_REGEXP, P->p_regexp);

	o->u.r.rx = rx;
	return o;
}

/* new RegExp(pattern, flags); a SyntaxError for a bad pattern. */
static int
regexp_make(struct pac *P, const struct val *pat, const struct val *flags,
    const struct node *site, struct obj **out)
{
	struct str *p, *f;
	struct rx *rx;
	const char *err = NULL;
	char buf[64];

	if (is_kind(pat, O_REGEXP)) {
		if (flags->t == V_UNDEF) {
			*out = regexp_new(P, pat->u.o->u.r.rx);
			return 0;
		}
		p = rx_source(pat->u.o->u.r.rx);
		if (str_is(p, "(?:)"))
			p = P->a[A_EMPTY];
	} else
		p = pat->t == V_UNDEF ? P->a[A_EMPTY] : to_str(P, pat);
	f = flags->t == V_UNDEF ? P->a[A_EMPTY] : to_str(P, flags);
	if ((rx = rx_compile(P, p->s, p->len, f->s, f->len, &err)) == NULL)
		return throw_err(P, site, E_SYNTAX,
		    "invalid regular expression /%s/: %s",
		    cstr_short(p, buf, sizeof(buf)), err);
	*out = regexp_new(P, rx);
	return 0;
}

static int
b_regexp(struct pac *P, struct call *c, struct val *out)
{
	struct val p = arg(c, 0), f = arg(c, 1);
	struct obj *o = NULL;

	if (!c->construct && is_kind(&p, O_REGEXP) && f.t == V_UNDEF) {
		*out = p;
		return 0;
	}
	if (regexp_make(P, &p, &f, c->site, &o) != 0)
		return -1;
	*out = v_obj(o);
	return 0;
}

static int *
rx_slots(struct pac *P, const struct rx *rx)
{
	return arena_nalloc(P, (size_t)rx->nslots, sizeof(int));
}

/* The array exec() and match() return for one match. */
static struct val
match_array(struct pac *P, const struct rx *rx, struct str *s, const int *sl)
{
	struct obj *a = arr_new(P, (uint32_t)rx->ngroups + 1);
	struct val v;
	int g;

	for (g = 0; g <= rx->ngroups; g++) {
		v = sl[2 * g] >= 0 && sl[2 * g + 1] >= 0 ?
		    v_str(substr(P, s, (uint32_t)sl[2 * g],
		    (uint32_t)sl[2 * g + 1])) : undef;
		arr_push(P, a, &v);
	}
	v = v_num(sl[0]);
	obj_put(P, a, P->a[A_INDEX], &v);
	v = v_str(s);
	obj_put(P, a, P->a[A_INPUT], &v);
	return v_obj(a);
}

/* exec() with lastIndex handling; 1 match (slots set), 0 none. */
static int
regexp_exec(struct pac *P, struct obj *re, struct str *s, int *sl)
{
	const struct rx *rx = re->u.r.rx;
	int uses_last = rx->flags & (RXF_G | RXF_Y);
	double start = 0;

	if (uses_last) {
		start = dtrunc(re->u.r.last);
		if (isnan(start) || start < 0)
			start = 0;
		if (start > s->len) {
			obj_touch(P, re);
			re->u.r.last = 0;
			return 0;
		}
	}
	if (!rx_exec(P, rx, s, (uint32_t)start, sl)) {
		if (uses_last) {
			obj_touch(P, re);
			re->u.r.last = 0;
		}
		return 0;
	}
	if (uses_last) {
		obj_touch(P, re);
		re->u.r.last = sl[1];
	}
	return 1;
}

static int
b_rx_exec(struct pac *P, struct call *c, struct val *out)
{
	struct obj *re = this_obj(P, c, O_REGEXP, "RegExp.prototype.exec");
	struct str *s;
	int *sl;

	if (re == NULL)
		return -1;
	s = arg_str(P, c, 0);
	sl = rx_slots(P, re->u.r.rx);
	if (c->magic)		/* test() */
		*out = v_bool(regexp_exec(P, re, s, sl));
	else if (regexp_exec(P, re, s, sl))
		*out = match_array(P, re->u.r.rx, s, sl);
	else
		*out = v_null();
	return 0;
}

static int
b_rx_tostring(struct pac *P, struct call *c, struct val *out)
{
	struct obj *re = this_obj(P, c, O_REGEXP, "RegExp.prototype.toString");

	if (re == NULL)
		return -1;
	*out = v_str(obj_to_str(P, re));
	return 0;
}

/* --------------------------------------------------- built-in: strings */

static int
b_s_charat(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = this_str(P, c);
	double i;

	if (s == NULL)
		return -1;
	i = arg_int(P, c, 0);
	if (c->magic) {		/* charCodeAt */
		*out = i >= 0 && i < s->len ?
		    v_num((unsigned char)s->s[(uint32_t)i]) : v_num(NAN);
		return 0;
	}
	*out = v_str(i >= 0 && i < s->len ?
	    str_new(P, s->s + (uint32_t)i, 1) : P->a[A_EMPTY]);
	return 0;
}

enum { F_INDEXOF, F_LASTINDEXOF, F_INCLUDES, F_STARTSWITH, F_ENDSWITH };

static int
b_s_find(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = this_str(P, c), *n;
	double d;
	uint32_t pos;
	long r;

	if (s == NULL)
		return -1;
	n = arg_str(P, c, 0);
	switch (c->magic) {
	case F_INDEXOF:
	case F_INCLUDES:
		pos = clamp_index(arg_int(P, c, 1), s->len);
		r = str_find(P, s, n, pos);
		*out = c->magic == F_INDEXOF ? v_num((double)r) :
		    v_bool(r >= 0);
		return 0;
	case F_LASTINDEXOF:
		d = arg_num(P, c, 1);
		pos = isnan(d) ? s->len : clamp_index(dtrunc(d), s->len);
		*out = v_num((double)str_rfind(P, s, n, pos));
		return 0;
	case F_STARTSWITH:
		charge_bytes(P, n->len);
		pos = clamp_index(arg_int(P, c, 1), s->len);
		*out = v_bool(n->len <= s->len - pos &&
		    memcmp(s->s + pos, n->s, n->len) == 0);
		return 0;
	default:		/* endsWith */
		charge_bytes(P, n->len);
		pos = arg_is(c, 1, V_UNDEF) || c->argc < 2 ? s->len :
		    clamp_index(arg_int(P, c, 1), s->len);
		*out = v_bool(n->len <= pos &&
		    memcmp(s->s + pos - n->len, n->s, n->len) == 0);
		return 0;
	}
}

enum { F_SUBSTRING, F_SUBSTR, F_SLICE };

static int
b_s_sub(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = this_str(P, c);
	uint32_t a, b;
	double len;

	if (s == NULL)
		return -1;
	switch (c->magic) {
	case F_SUBSTRING:
		a = clamp_index(arg_int(P, c, 0), s->len);
		b = arg_is(c, 1, V_UNDEF) || c->argc < 2 ? s->len :
		    clamp_index(arg_int(P, c, 1), s->len);
		if (a > b) {
			uint32_t t = a;

			a = b;
			b = t;
		}
		break;
	case F_SUBSTR:
		a = rel_index(arg_int(P, c, 0), s->len);
		len = arg_is(c, 1, V_UNDEF) || c->argc < 2 ? s->len :
		    arg_int(P, c, 1);
		b = len <= 0 ? a : clamp_index(a + len, s->len);
		break;
	default:
		a = rel_index(arg_int(P, c, 0), s->len);
		b = arg_is(c, 1, V_UNDEF) || c->argc < 2 ? s->len :
		    rel_index(arg_int(P, c, 1), s->len);
		break;
	}
	*out = v_str(substr(P, s, a, b));
	return 0;
}

static int
b_s_case(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = this_str(P, c), *r;
	uint32_t i;
	char ch;

	if (s == NULL)
		return -1;
	charge(P, s->len / 64);
	r = str_new(P, s->s, s->len);
	for (i = 0; i < r->len; i++) {
		ch = r->s[i];
		if (c->magic && ch >= 'a' && ch <= 'z')
			r->s[i] = (char)(ch - 32);
		else if (!c->magic && ch >= 'A' && ch <= 'Z')
			r->s[i] = (char)(ch + 32);
	}
	*out = v_str(r);
	return 0;
}

static int
b_s_trim(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = this_str(P, c);
	const char *p;
	size_t n;

	if (s == NULL)
		return -1;
	n = s->len;
	charge_bytes(P, n);
	p = js_trim(s->s, &n, c->magic != 2, c->magic != 1);
	*out = v_str(substr(P, s, (uint32_t)(p - s->s),
	    (uint32_t)(p - s->s + n)));
	return 0;
}

static int
b_s_concat(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = this_str(P, c);
	struct sbuf b;
	int i;

	if (s == NULL)
		return -1;
	sb_init(&b, P);
	sb_str(&b, s);
	for (i = 0; i < c->argc; i++)
		sb_str(&b, to_str(P, &c->argv[i]));
	*out = v_str(sb_done(&b));
	return 0;
}

static int
b_s_repeat(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = this_str(P, c);
	struct sbuf b;
	double n;

	if (s == NULL)
		return -1;
	n = arg_int(P, c, 0);
	if (n < 0 || isinf(n))
		return throw_err(P, c->site, E_RANGE, "invalid count value");
	if (s->len > 0 && n * s->len >= STR_MAX)
		die(P, "out of memory (string too long)");
	sb_init(&b, P);
	for (; n >= 1 && s->len > 0; n--) {
		charge(P, 1 + s->len / 64);
		sb_str(&b, s);
	}
	*out = v_str(sb_done(&b));
	return 0;
}

static int
b_s_pad(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = this_str(P, c), *fill;
	struct sbuf b;
	double target;
	size_t need, k;

	if (s == NULL)
		return -1;
	target = arg_int(P, c, 0);
	fill = arg_is(c, 1, V_UNDEF) || c->argc < 2 ? str_c(P, " ") :
	    arg_str(P, c, 1);
	if (target <= s->len || fill->len == 0) {
		*out = v_str(s);
		return 0;
	}
	if (target >= STR_MAX)
		die(P, "out of memory (string too long)");
	need = (size_t)target - s->len;
	sb_init(&b, P);
	if (!c->magic)
		sb_str(&b, s);
	for (k = 0; k < need; k += fill->len) {
		charge(P, 1);
		sb_put(&b, fill->s,
		    need - k < fill->len ? need - k : fill->len);
	}
	if (c->magic)
		sb_str(&b, s);
	*out = v_str(sb_done(&b));
	return 0;
}

static int
b_s_tostring(struct pac *P, struct call *c, struct val *out)
{
	if (c->this.t != V_STR)
		return throw_err(P, c->site, E_TYPE,
		    "String.prototype.toString called on a non-string");
	*out = c->this;
	return 0;
}

static int
b_s_localecompare(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = this_str(P, c);

	if (s == NULL)
		return -1;
	charge_bytes(P, s->len);
	*out = v_num(str_cmp(s, arg_str(P, c, 0)));
	return 0;
}

static int
b_s_fromcharcode(struct pac *P, struct call *c, struct val *out)
{
	struct sbuf b;
	char u[4];
	int i;

	sb_init(&b, P);
	for (i = 0; i < c->argc; i++)
		sb_put(&b, u, utf8_put(u, to_u32d(to_num(P, &c->argv[i])) &
		    0xffff));
	*out = v_str(sb_done(&b));
	return 0;
}

/* Coerces a pattern argument: a RegExp as it is, else a new one. */
static int
as_regexp(struct pac *P, struct call *c, int i, struct obj **re)
{
	struct val p = arg(c, i), f = undef;

	if (is_kind(&p, O_REGEXP)) {
		*re = p.u.o;
		return 0;
	}
	return regexp_make(P, &p, &f, c->site, re);
}

static int
b_s_match(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = this_str(P, c);
	struct obj *re = NULL, *a;
	struct val v;
	uint32_t pos = 0;
	int *sl;

	if (s == NULL || as_regexp(P, c, 0, &re) != 0 || re == NULL)
		return -1;
	sl = rx_slots(P, re->u.r.rx);
	if (!(re->u.r.rx->flags & RXF_G)) {
		*out = regexp_exec(P, re, s, sl) ?
		    match_array(P, re->u.r.rx, s, sl) : v_null();
		return 0;
	}
	a = arr_new(P, 0);
	while (pos <= s->len && rx_exec(P, re->u.r.rx, s, pos, sl)) {
		v = v_str(substr(P, s, (uint32_t)sl[0], (uint32_t)sl[1]));
		arr_push(P, a, &v);
		pos = (uint32_t)sl[1] + (sl[1] == sl[0]);
	}
	obj_touch(P, re);
	re->u.r.last = 0;
	*out = a->len > 0 ? v_obj(a) : v_null();
	return 0;
}

static int
b_s_search(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = this_str(P, c);
	struct obj *re = NULL;
	int *sl;

	if (s == NULL || as_regexp(P, c, 0, &re) != 0 || re == NULL)
		return -1;
	sl = rx_slots(P, re->u.r.rx);
	*out = v_num(rx_exec(P, re->u.r.rx, s, 0, sl) ? sl[0] : -1);
	return 0;
}

/* Appends a replacement: a function's result or a $-template. */
static int
put_replacement(struct pac *P, struct call *c, struct sbuf *b,
    struct str *s, const int *sl, int ngroups)
{
	struct val rep = arg(c, 1), r, *argv;
	struct str *t;
	uint32_t i, ms = (uint32_t)sl[0], me = (uint32_t)sl[1];
	int g, k, n;

	if (is_callable(&rep)) {
		argv = arena_nalloc(P, (size_t)ngroups + 3, sizeof(*argv));
		for (g = 0; g <= ngroups; g++)
			argv[g] = sl[2 * g] >= 0 && sl[2 * g + 1] >= 0 ?
			    v_str(substr(P, s, (uint32_t)sl[2 * g],
			    (uint32_t)sl[2 * g + 1])) : undef;
		argv[ngroups + 1] = v_num(ms);
		argv[ngroups + 2] = v_str(s);
		if (call_value(P, &rep, &undef, argv, ngroups + 3, &r,
		    c->site) != 0)
			return -1;
		sb_str(b, to_str(P, &r));
		return 0;
	}
	t = to_str(P, &rep);
	for (i = 0; i < t->len; i++) {
		char ch = t->s[i], d = i + 1 < t->len ? t->s[i + 1] : '\0';

		if (ch != '$' || d == '\0') {
			sb_put(b, &ch, 1);
			continue;
		}
		if (d == '$')
			sb_put(b, "$", 1);
		else if (d == '&')
			sb_put(b, s->s + ms, me - ms);
		else if (d == '`')
			sb_put(b, s->s, ms);
		else if (d == '\'')
			sb_put(b, s->s + me, s->len - me);
		else if (is_digit(d)) {
			n = d - '0';
			k = 1;
			if (i + 2 < t->len && is_digit(t->s[i + 2]) &&
			    n * 10 + (t->s[i + 2] - '0') <= ngroups) {
				n = n * 10 + (t->s[i + 2] - '0');
				k = 2;
			}
			if (n < 1 || n > ngroups) {
				sb_put(b, "$", 1);
				continue;
			}
			if (sl[2 * n] >= 0 && sl[2 * n + 1] >= 0)
				sb_put(b, s->s + sl[2 * n],
				    (size_t)(sl[2 * n + 1] - sl[2 * n]));
			i += (uint32_t)k;
			continue;
		} else {
			sb_put(b, "$", 1);
			continue;
		}
		i++;
	}
	return 0;
}

/* replace() and replaceAll() (magic 1). */
static int
b_s_replace(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = this_str(P, c), *pat;
	struct val p = arg(c, 0);
	struct obj *re;
	struct sbuf b;
	uint32_t last = 0, pos = 0;
	int sl2[2], *sl, global;
	long at;

	if (s == NULL)
		return -1;
	sb_init(&b, P);
	if (!is_kind(&p, O_REGEXP)) {
		pat = to_str(P, &p);
		while (pos <= s->len && (at = str_find(P, s, pat, pos)) >= 0) {
			sl2[0] = (int)at;
			sl2[1] = (int)(at + pat->len);
			sb_put(&b, s->s + last, (size_t)at - last);
			if (put_replacement(P, c, &b, s, sl2, 0) != 0)
				return -1;
			last = (uint32_t)sl2[1];
			pos = last + (pat->len == 0);
			if (!c->magic)
				break;
		}
		sb_put(&b, s->s + last, s->len - last);
		*out = v_str(sb_done(&b));
		return 0;
	}
	re = p.u.o;
	global = re->u.r.rx->flags & RXF_G;
	sl = rx_slots(P, re->u.r.rx);
	for (;;) {
		if (global) {
			if (pos > s->len || !rx_exec(P, re->u.r.rx, s, pos, sl))
				break;
		} else if (!regexp_exec(P, re, s, sl))
			break;
		sb_put(&b, s->s + last, (size_t)sl[0] - last);
		if (put_replacement(P, c, &b, s, sl, re->u.r.rx->ngroups) != 0)
			return -1;
		last = (uint32_t)sl[1];
		pos = last + (sl[1] == sl[0]);
		if (!global)
			break;
	}
	if (global) {
		obj_touch(P, re);
		re->u.r.last = 0;
	}
	sb_put(&b, s->s + last, s->len - last);
	*out = v_str(sb_done(&b));
	return 0;
}

static int
b_s_split(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = this_str(P, c), *sep;
	struct val sv = arg(c, 0), v;
	struct obj *a, *re;
	const struct rx *rx;
	uint32_t lim, p = 0, q, i, e;
	int *sl, g;
	long at;

	if (s == NULL)
		return -1;
	lim = arg_is(c, 1, V_UNDEF) || c->argc < 2 ? 0xffffffffu :
	    to_u32d(arg_num(P, c, 1));
	a = arr_new(P, 0);
	*out = v_obj(a);
	if (lim == 0)
		return 0;
	if (sv.t == V_UNDEF) {
		v = v_str(s);
		arr_push(P, a, &v);
		return 0;
	}
	if (!is_kind(&sv, O_REGEXP)) {
		sep = to_str(P, &sv);
		if (sep->len == 0) {
			for (i = 0; i < s->len && a->len < lim; i++) {
				v = v_str(str_new(P, s->s + i, 1));
				arr_push(P, a, &v);
			}
			return 0;
		}
		while ((at = str_find(P, s, sep, p)) >= 0 && a->len < lim) {
			v = v_str(substr(P, s, p, (uint32_t)at));
			arr_push(P, a, &v);
			p = (uint32_t)at + sep->len;
		}
		if (a->len < lim) {
			v = v_str(substr(P, s, p, s->len));
			arr_push(P, a, &v);
		}
		return 0;
	}
	/* a regex separator: try a sticky match at each position */
	re = sv.u.o;
	rx = re->u.r.rx;
	{
		struct rx sticky = *rx;

		sticky.flags |= RXF_Y;
		sticky.anchored = 0;
		sl = rx_slots(P, rx);
		if (s->len == 0) {
			if (!rx_exec(P, &sticky, s, 0, sl)) {
				v = v_str(s);
				arr_push(P, a, &v);
			}
			return 0;
		}
		for (q = p; q < s->len;) {
			if (!rx_exec(P, &sticky, s, q, sl) ||
			    (e = (uint32_t)sl[1]) == p) {
				q++;
				continue;
			}
			v = v_str(substr(P, s, p, q));
			arr_push(P, a, &v);
			if (a->len >= lim)
				return 0;
			for (g = 1; g <= rx->ngroups; g++) {
				v = sl[2 * g] >= 0 && sl[2 * g + 1] >= 0 ?
				    v_str(substr(P, s, (uint32_t)sl[2 * g],
				    (uint32_t)sl[2 * g + 1])) : undef;
				arr_push(P, a, &v);
				if (a->len >= lim)
					return 0;
			}
			p = q = e;
		}
	}
	v = v_str(substr(P, s, p, s->len));
	arr_push(P, a, &v);
	return 0;
}

static int
b_string(struct pac *P, struct call *c, struct val *out)
{
	*out = v_str(c->argc > 0 ? to_str(P, &c->argv[0]) : P->a[A_EMPTY]);
	return 0;
}

/* ---------------------------------------------------- built-in: arrays */

static int
b_a_push(struct pac *P, struct call *c, struct val *out)
{
	struct obj *a = this_obj(P, c, O_ARRAY, "push");
	int i;

	if (a == NULL)
		return -1;
	for (i = 0; i < c->argc; i++)
		arr_push(P, a, &c->argv[i]);
	*out = v_num(a->len);
	return 0;
}

static int
b_a_pop(struct pac *P, struct call *c, struct val *out)
{
	struct obj *a = this_obj(P, c, O_ARRAY, "pop");

	if (a == NULL)
		return -1;
	if (a->len == 0)
		return 0;
	obj_touch(P, a);
	*out = a->items[--a->len];
	return 0;
}

static int
b_a_shift(struct pac *P, struct call *c, struct val *out)
{
	struct obj *a = this_obj(P, c, O_ARRAY, "shift");

	if (a == NULL)
		return -1;
	if (a->len == 0)
		return 0;
	obj_touch(P, a);
	charge(P, a->len / 64);
	*out = a->items[0];
	memmove(a->items, a->items + 1, (a->len - 1) * sizeof(*a->items));
	a->len--;
	return 0;
}

static int
b_a_unshift(struct pac *P, struct call *c, struct val *out)
{
	struct obj *a = this_obj(P, c, O_ARRAY, "unshift");
	uint32_t n;
	int i;

	if (a == NULL)
		return -1;
	n = a->len;
	arr_setlen(P, a, n + (uint32_t)c->argc);
	charge(P, n / 64);
	if (c->argc > 0) {
		memmove(a->items + c->argc, a->items, n * sizeof(*a->items));
		for (i = 0; i < c->argc; i++)
			a->items[i] = c->argv[i];
	}
	*out = v_num(a->len);
	return 0;
}

static int
b_a_join(struct pac *P, struct call *c, struct val *out)
{
	struct obj *a = this_obj(P, c, O_ARRAY, "join");
	struct str *sep;

	if (a == NULL)
		return -1;
	sep = c->magic || arg_is(c, 0, V_UNDEF) || c->argc < 1 ?
	    P->a[A_COMMA] : arg_str(P, c, 0);
	*out = v_str(arr_join(P, a, sep));
	return 0;
}

/* indexOf, lastIndexOf (magic 1), includes (magic 2) */
static int
b_a_indexof(struct pac *P, struct call *c, struct val *out)
{
	struct obj *a = this_obj(P, c, O_ARRAY, "indexOf");
	struct val x = arg(c, 0);
	double d;
	uint32_t i;

	if (a == NULL)
		return -1;
	if (c->magic == 1) {
		d = c->argc > 1 ? arg_int(P, c, 1) : (double)a->len - 1;
		if (d < 0)
			d += a->len;
		if (d < 0 || a->len == 0) {
			*out = v_num(-1);
			return 0;
		}
		for (i = d >= a->len ? a->len - 1 : (uint32_t)d;; i--) {
			charge(P, 1);
			if (strict_eq(P, &a->items[i], &x)) {
				*out = v_num(i);
				return 0;
			}
			if (i == 0)
				break;
		}
		*out = v_num(-1);
		return 0;
	}
	for (i = rel_index(arg_int(P, c, 1), a->len); i < a->len; i++) {
		charge(P, 1);
		if (strict_eq(P, &a->items[i], &x) || (c->magic == 2 &&
		    x.t == V_NUM && isnan(x.u.n) && a->items[i].t == V_NUM &&
		    isnan(a->items[i].u.n))) {
			*out = c->magic == 2 ? v_bool(1) : v_num(i);
			return 0;
		}
	}
	*out = c->magic == 2 ? v_bool(0) : v_num(-1);
	return 0;
}

static int
b_a_reverse(struct pac *P, struct call *c, struct val *out)
{
	struct obj *a = this_obj(P, c, O_ARRAY, "reverse");
	struct val t;
	uint32_t i;

	if (a == NULL)
		return -1;
	obj_touch(P, a);
	charge(P, a->len / 32);
	for (i = 0; i < a->len / 2; i++) {
		t = a->items[i];
		a->items[i] = a->items[a->len - 1 - i];
		a->items[a->len - 1 - i] = t;
	}
	*out = c->this;
	return 0;
}

static int
b_a_slice(struct pac *P, struct call *c, struct val *out)
{
	struct obj *a = this_obj(P, c, O_ARRAY, "slice"), *r;
	uint32_t from, to;

	if (a == NULL)
		return -1;
	from = rel_index(arg_int(P, c, 0), a->len);
	to = arg_is(c, 1, V_UNDEF) || c->argc < 2 ? a->len :
	    rel_index(arg_int(P, c, 1), a->len);
	r = arr_new(P, to > from ? to - from : 0);
	charge(P, (to > from ? to - from : 0) / 32);
	for (; from < to; from++)
		arr_push(P, r, &a->items[from]);
	*out = v_obj(r);
	return 0;
}

static int
b_a_splice(struct pac *P, struct call *c, struct val *out)
{
	struct obj *a = this_obj(P, c, O_ARRAY, "splice"), *r;
	uint32_t start, del, ins, len, i;
	double d;

	if (a == NULL)
		return -1;
	len = a->len;
	start = rel_index(arg_int(P, c, 0), len);
	if (c->argc < 2)
		del = c->argc == 0 ? 0 : len - start;
	else {
		d = arg_int(P, c, 1);
		del = d < 0 ? 0 : d > len - start ? len - start : (uint32_t)d;
	}
	ins = c->argc > 2 ? (uint32_t)c->argc - 2 : 0;
	r = arr_new(P, del);
	for (i = 0; i < del; i++)
		arr_push(P, r, &a->items[start + i]);
	charge(P, len / 32);
	if (ins > del)
		arr_setlen(P, a, len + ins - del);
	else
		obj_touch(P, a);
	if (len - start - del > 0)
		memmove(a->items + start + ins, a->items + start + del,
		    (len - start - del) * sizeof(*a->items));
	for (i = 0; i < ins; i++)
		a->items[start + i] = c->argv[2 + i];
	a->len = len + ins - del;
	*out = v_obj(r);
	return 0;
}

static int
b_a_concat(struct pac *P, struct call *c, struct val *out)
{
	struct obj *a = this_obj(P, c, O_ARRAY, "concat"), *r, *x;
	uint32_t i;
	int k;

	if (a == NULL)
		return -1;
	r = arr_new(P, a->len);
	for (k = -1; k < c->argc; k++) {
		x = k < 0 ? a : is_kind(&c->argv[k], O_ARRAY) ?
		    c->argv[k].u.o : NULL;
		if (x == NULL) {
			arr_push(P, r, &c->argv[k]);
			continue;
		}
		charge(P, x->len / 32);
		for (i = 0; i < x->len; i++)
			arr_push(P, r, &x->items[i]);
	}
	*out = v_obj(r);
	return 0;
}

/* The sort order: -1, 0 or 1, or -2 if the comparator threw. */
static int
sort_cmp(struct pac *P, struct call *c, const struct val *x,
    const struct val *y)
{
	struct val cmp = arg(c, 0), argv[2], r;
	double d;

	charge(P, 1);
	if (x->t == V_UNDEF || y->t == V_UNDEF)
		return (x->t == V_UNDEF) - (y->t == V_UNDEF);
	if (cmp.t == V_UNDEF) {
		struct str *a = to_str(P, x), *b = to_str(P, y);

		charge_bytes(P, a->len < b->len ? a->len : b->len);
		return str_cmp(a, b);
	}
	argv[0] = *x;
	argv[1] = *y;
	if (call_value(P, &cmp, &undef, argv, 2, &r, c->site) != 0)
		return -2;
	d = to_num(P, &r);
	return d < 0 ? -1 : d > 0 ? 1 : 0;
}

/* A stable merge sort, bottom up, through a scratch array. */
static int
b_a_sort(struct pac *P, struct call *c, struct val *out)
{
	struct obj *a = this_obj(P, c, O_ARRAY, "sort");
	struct val *src, *dst, *t;
	uint32_t n, w, lo, mid, hi, i, j, k;
	int r;

	if (a == NULL)
		return -1;
	if (c->argc > 0 && c->argv[0].t != V_UNDEF && !is_callable(&c->argv[0]))
		return throw_err(P, c->site, E_TYPE,
		    "the comparison function must be a function");
	n = a->len;
	src = arena_dup(P, a->items, n * sizeof(*src));
	dst = arena_nalloc(P, n, sizeof(*dst));
	for (w = 1; w < n; w *= 2) {
		for (lo = 0; lo < n; lo += 2 * w) {
			mid = lo + w < n ? lo + w : n;
			hi = lo + 2 * w < n ? lo + 2 * w : n;
			for (i = lo, j = mid, k = lo; k < hi; k++) {
				if (i < mid && j < hi) {
					if ((r = sort_cmp(P, c, &src[j],
					    &src[i])) == -2)
						return -1;
					dst[k] = r < 0 ? src[j++] : src[i++];
				} else
					dst[k] = i < mid ? src[i++] : src[j++];
			}
		}
		t = src;
		src = dst;
		dst = t;
	}
	obj_touch(P, a);
	if (n > 0 && a->len >= n)
		memcpy(a->items, src, n * sizeof(*src));
	*out = c->this;
	return 0;
}

enum { IT_FOREACH, IT_MAP, IT_FILTER, IT_SOME, IT_EVERY, IT_FIND,
	IT_FINDINDEX };

static int
b_a_iter(struct pac *P, struct call *c, struct val *out)
{
	struct obj *a = this_obj(P, c, O_ARRAY, "array method"), *r = NULL;
	struct val fn = arg(c, 0), th = arg(c, 1), argv[3], v;
	uint32_t i;
	int t;

	if (a == NULL)
		return -1;
	if (!is_callable(&fn))
		return throw_err(P, c->site, E_TYPE,
		    "callback is not a function");
	if (c->magic == IT_MAP || c->magic == IT_FILTER)
		r = arr_new(P, 0);
	for (i = 0; i < a->len; i++) {
		argv[0] = a->items[i];
		argv[1] = v_num(i);
		argv[2] = c->this;
		if (call_value(P, &fn, &th, argv, 3, &v, c->site) != 0)
			return -1;
		t = to_bool(&v);
		switch (c->magic) {
		case IT_MAP:
			arr_set(P, r, i, &v);
			break;
		case IT_FILTER:
			if (t)
				arr_push(P, r, &argv[0]);
			break;
		case IT_SOME:
			if (t) {
				*out = v_bool(1);
				return 0;
			}
			break;
		case IT_EVERY:
			if (!t) {
				*out = v_bool(0);
				return 0;
			}
			break;
		case IT_FIND:
		case IT_FINDINDEX:
			if (t) {
				*out = c->magic == IT_FIND ? argv[0] : v_num(i);
				return 0;
			}
			break;
		}
	}
	switch (c->magic) {
	case IT_MAP:
	case IT_FILTER:
		*out = v_obj(r);
		break;
	case IT_SOME:
	case IT_EVERY:
		*out = v_bool(c->magic == IT_EVERY);
		break;
	case IT_FINDINDEX:
		*out = v_num(-1);
		break;
	default:
		*out = undef;
	}
	return 0;
}

static int
b_a_reduce(struct pac *P, struct call *c, struct val *out)
{
	struct obj *a = this_obj(P, c, O_ARRAY, "reduce");
	struct val fn = arg(c, 0), acc, argv[4];
	uint32_t i = 0;

	if (a == NULL)
		return -1;
	if (!is_callable(&fn))
		return throw_err(P, c->site, E_TYPE,
		    "callback is not a function");
	if (c->argc > 1)
		acc = c->argv[1];
	else if (a->len == 0)
		return throw_err(P, c->site, E_TYPE,
		    "reduce of empty array with no initial value");
	else
		acc = a->items[i++];
	for (; i < a->len; i++) {
		argv[0] = acc;
		argv[1] = a->items[i];
		argv[2] = v_num(i);
		argv[3] = c->this;
		if (call_value(P, &fn, &undef, argv, 4, &acc, c->site) != 0)
			return -1;
	}
	*out = acc;
	return 0;
}

static int
b_array(struct pac *P, struct call *c, struct val *out)
{
	struct obj *a;
	double d;
	int i;

	if (c->argc == 1 && c->argv[0].t == V_NUM) {
		d = c->argv[0].u.n;
		if (!(d >= 0 && d <= ARR_MAX) || d != dfloor(d))
			return throw_err(P, c->site, E_RANGE,
			    "invalid array length");
		a = arr_new(P, 0);
		arr_setlen(P, a, (uint32_t)d);
	} else {
		a = arr_new(P, (uint32_t)c->argc);
		for (i = 0; i < c->argc; i++)
			arr_push(P, a, &c->argv[i]);
	}
	*out = v_obj(a);
	return 0;
}

static int
b_isarray(struct pac *P, struct call *c, struct val *out)
{
	struct val v = arg(c, 0);

	(void)P;
	*out = v_bool(is_kind(&v, O_ARRAY));
	return 0;
}

/* --------------------------------------------------- built-in: objects */

static int
b_object(struct pac *P, struct call *c, struct val *out)
{
	if (c->argc > 0 && c->argv[0].t == V_OBJ)
		*out = c->argv[0];
	else
		*out = v_obj(obj_new(P, O_OBJECT, P->p_object));
	return 0;
}

static int
b_o_hasown(struct pac *P, struct call *c, struct val *out)
{
	struct val k = arg(c, 0);
	uint32_t idx;

	switch (c->this.t) {
	case V_OBJ:
		*out = v_bool(has_prop(P, c->this.u.o, &k, 1));
		return 0;
	case V_STR:
		*out = v_bool((key_index(&k, &idx) && idx < c->this.u.s->len) ||
		    str_same(key_str(P, &k), P->a[A_LENGTH]));
		return 0;
	case V_UNDEF:
	case V_NULL:
		return throw_err(P, c->site, E_TYPE,
		    "hasOwnProperty called on null or undefined");
	default:
		*out = v_bool(0);
		return 0;
	}
}

static int
b_o_tostring(struct pac *P, struct call *c, struct val *out)
{
	static const char *const kinds[] = {
		"Object", "Array", "Function", "Function", "RegExp", "Date",
		"Error", "Object"
	};
	const char *k;
	char buf[32];

	switch (c->this.t) {
	case V_UNDEF: k = "Undefined"; break;
	case V_NULL: k = "Null"; break;
	case V_BOOL: k = "Boolean"; break;
	case V_NUM: k = "Number"; break;
	case V_STR: k = "String"; break;
	default: k = kinds[c->this.u.o->kind]; break;
	}
	snprintf(buf, sizeof(buf), "[object %s]", k);
	*out = v_str(str_c(P, buf));
	return 0;
}

static int
b_o_valueof(struct pac *P, struct call *c, struct val *out)
{
	(void)P;
	*out = c->this;
	return 0;
}

static int
b_o_keys(struct pac *P, struct call *c, struct val *out)
{
	struct val o = arg(c, 0), k;
	struct obj *a = arr_new(P, 0);
	struct prop *p;
	uint32_t i;

	*out = v_obj(a);
	if (o.t != V_OBJ)
		return 0;
	if (o.u.o->kind == O_ARRAY)
		for (i = 0; i < o.u.o->len; i++) {
			k = v_str(num_str(P, i));
			arr_push(P, a, &k);
		}
	for (i = 0; i < o.u.o->nprops; i++) {
		p = &o.u.o->props[i];
		if (p->key != NULL && !p->hidden) {
			k = v_str(p->key);
			arr_push(P, a, &k);
		}
	}
	return 0;
}

static int
b_o_create(struct pac *P, struct call *c, struct val *out)
{
	struct val p = arg(c, 0);

	if (p.t != V_OBJ && p.t != V_NULL)
		return throw_err(P, c->site, E_TYPE,
		    "object prototype may only be an object or null");
	*out = v_obj(obj_new(P, O_OBJECT, p.t == V_OBJ ? p.u.o : NULL));
	return 0;
}

static int
b_f_call(struct pac *P, struct call *c, struct val *out)
{
	struct val th = arg(c, 0), *argv = NULL;
	struct obj *a;
	int argc = 0;

	if (!is_callable(&c->this))
		return throw_err(P, c->site, E_TYPE, "not a function");
	if (c->magic == 0) {		/* call */
		argc = c->argc > 0 ? c->argc - 1 : 0;
		argv = argc > 0 ? c->argv + 1 : NULL;
	} else if (c->argc > 1 && c->argv[1].t != V_UNDEF &&
	    c->argv[1].t != V_NULL) {	/* apply */
		if (!is_kind(&c->argv[1], O_ARRAY))
			return throw_err(P, c->site, E_TYPE,
			    "apply: arguments must be an array");
		a = c->argv[1].u.o;
		argc = (int)a->len;
		argv = arena_dup(P, a->items, a->len * sizeof(*argv));
	}
	return call_value(P, &c->this, &th, argv, argc, out, c->site);
}

static int
b_f_tostring(struct pac *P, struct call *c, struct val *out)
{
	if (!is_callable(&c->this))
		return throw_err(P, c->site, E_TYPE, "not a function");
	*out = v_str(obj_to_str(P, c->this.u.o));
	return 0;
}

static int
b_error(struct pac *P, struct call *c, struct val *out)
{
	struct str *m = c->argc > 0 && c->argv[0].t != V_UNDEF ?
	    arg_str(P, c, 0) : P->a[A_EMPTY];

	*out = v_obj(err_new(P, (enum errtype)c->magic, m));
	return 0;
}

static int
b_e_tostring(struct pac *P, struct call *c, struct val *out)
{
	if (c->this.t != V_OBJ)
		return throw_err(P, c->site, E_TYPE, "not an object");
	*out = v_str(error_string(P, c->this.u.o));
	return 0;
}

/* ------------------------------------------- built-in: numbers and Math */

static int
b_number(struct pac *P, struct call *c, struct val *out)
{
	*out = v_num(c->argc > 0 ? to_num(P, &c->argv[0]) : 0);
	return 0;
}

static int
b_boolean(struct pac *P, struct call *c, struct val *out)
{
	(void)P;
	*out = v_bool(c->argc > 0 && to_bool(&c->argv[0]));
	return 0;
}

static int
b_b_tostring(struct pac *P, struct call *c, struct val *out)
{
	if (c->this.t != V_BOOL)
		return throw_err(P, c->site, E_TYPE, "not a boolean");
	*out = c->magic ? c->this : v_str(to_str(P, &c->this));
	return 0;
}

static int
b_n_tostring(struct pac *P, struct call *c, struct val *out)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char buf[1200];
	double x, ip, fp, radix = 10;
	size_t n = 0, i;
	int k;

	if (c->this.t != V_NUM)
		return throw_err(P, c->site, E_TYPE, "not a number");
	x = c->this.u.n;
	if (c->magic) {		/* valueOf */
		*out = c->this;
		return 0;
	}
	if (c->argc > 0 && c->argv[0].t != V_UNDEF)
		radix = arg_int(P, c, 0);
	if (radix < 2 || radix > 36)
		return throw_err(P, c->site, E_RANGE, "radix out of range");
	if (radix == 10 || !isfinite(x)) {
		*out = v_str(num_str(P, x));
		return 0;
	}
	if (x < 0)
		buf[n++] = '-';
	ip = dfloor(dabs(x));
	fp = dabs(x) - ip;
	i = n;
	do {
		buf[n++] = digits[(int)dmod(ip, radix)];
		ip = dfloor(ip / radix);
	} while (ip >= 1 && n < 1100);
	for (k = 0; (size_t)k < (n - i) / 2; k++) {
		char t = buf[i + (size_t)k];

		buf[i + (size_t)k] = buf[n - 1 - (size_t)k];
		buf[n - 1 - (size_t)k] = t;
	}
	if (fp > 0) {
		buf[n++] = '.';
		for (k = 0; k < 20 && fp > 0; k++) {
			fp *= radix;
			buf[n++] = digits[(int)dfloor(fp)];
			fp -= dfloor(fp);
		}
	}
	*out = v_str(str_new(P, buf, n));
	return 0;
}

static int
b_n_tofixed(struct pac *P, struct call *c, struct val *out)
{
	char buf[160];
	double x, d;

	if (c->this.t != V_NUM)
		return throw_err(P, c->site, E_TYPE, "not a number");
	x = c->this.u.n;
	d = arg_int(P, c, 0);
	if (d < 0 || d > 100)
		return throw_err(P, c->site, E_RANGE, "digits out of range");
	if (!isfinite(x) || dabs(x) >= 1e21) {
		*out = v_str(num_str(P, x));
		return 0;
	}
	snprintf(buf, sizeof(buf), "%.*f", (int)d, x);
	*out = v_str(str_c(P, buf));
	return 0;
}

static int
b_parseint(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = arg_str(P, c, 0);
	size_t n = s->len, i = 0;
	const char *p = js_trim(s->s, &n, 1, 0);
	double v = 0, sign = 1;
	int32_t radix = to_i32d(arg_num(P, c, 1));
	int d, any = 0;

	charge_bytes(P, n);
	if (n > 0 && (p[0] == '+' || p[0] == '-')) {
		sign = p[0] == '-' ? -1 : 1;
		i = 1;
	}
	if (radix == 0 || radix == 16) {
		if (n - i >= 2 && p[i] == '0' && (p[i + 1] | 0x20) == 'x') {
			i += 2;
			radix = 16;
		} else if (radix == 0)
			radix = 10;
	}
	if (radix < 2 || radix > 36) {
		*out = v_num(NAN);
		return 0;
	}
	for (; i < n; i++) {
		int ch = (unsigned char)p[i];

		if (is_digit(ch))
			d = ch - '0';
		else if (is_alpha(ch))
			d = lower(ch) - 'a' + 10;
		else
			break;
		if (d >= radix)
			break;
		v = v * radix + d;
		any = 1;
	}
	*out = v_num(any ? sign * v : NAN);
	return 0;
}

static int
b_parsefloat(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = arg_str(P, c, 0), *t;
	size_t n = s->len, i = 0, j, digits = 0;
	const char *p = js_trim(s->s, &n, 1, 0);
	double sign = 1;

	if (n > 0 && (p[0] == '+' || p[0] == '-')) {
		sign = p[0] == '-' ? -1 : 1;
		i = 1;
	}
	if (n - i >= 8 && memcmp(p + i, "Infinity", 8) == 0) {
		*out = v_num(sign * INFINITY);
		return 0;
	}
	for (j = i; j < n && is_digit(p[j]); j++)
		digits++;
	if (j < n && p[j] == '.')
		for (j++; j < n && is_digit(p[j]); j++)
			digits++;
	if (digits == 0) {
		*out = v_num(NAN);
		return 0;
	}
	if (j < n && (p[j] | 0x20) == 'e') {
		size_t e = j + 1;

		if (e < n && (p[e] == '+' || p[e] == '-'))
			e++;
		if (e < n && is_digit(p[e])) {
			while (e < n && is_digit(p[e]))
				e++;
			j = e;
		}
	}
	t = str_new(P, p, j);	/* NUL-terminated for strtod() */
	*out = v_num(strtod(t->s, NULL));
	return 0;
}

static int
b_isnan(struct pac *P, struct call *c, struct val *out)
{
	double d = arg_num(P, c, 0);

	*out = v_bool(c->magic ? isfinite(d) : isnan(d));
	return 0;
}

enum { M_ABS, M_FLOOR, M_CEIL, M_ROUND, M_TRUNC, M_SIGN, M_SQRT, M_LOG,
	M_EXP, M_POW, M_MAX, M_MIN, M_RANDOM };

static int
b_math(struct pac *P, struct call *c, struct val *out)
{
	double x = arg_num(P, c, 0), r, y;
	uint64_t z;
	int i;

	switch (c->magic) {
	case M_ABS: r = dabs(x); break;
	case M_FLOOR: r = dfloor(x); break;
	case M_CEIL: r = -dfloor(-x); break;
	case M_ROUND:
		r = dfloor(x);
		if (x - r >= 0.5)
			r += 1;
		break;
	case M_TRUNC: r = dtrunc(x); break;
	case M_SIGN: r = isnan(x) ? x : x > 0 ? 1 : x < 0 ? -1 : x; break;
	case M_SQRT: r = dsqrt(x); break;
	case M_LOG: r = dlog(x); break;
	case M_EXP: r = dexp(x); break;
	case M_POW: r = dpow(x, arg_num(P, c, 1)); break;
	case M_MAX:
	case M_MIN:
		r = c->magic == M_MAX ? -INFINITY : INFINITY;
		for (i = 0; i < c->argc; i++) {
			y = to_num(P, &c->argv[i]);
			if (isnan(y) || isnan(r))
				r = NAN;
			else if (c->magic == M_MAX ? y > r : y < r)
				r = y;
		}
		break;
	default:	/* random: xorshift64*, good enough to spread load */
		P->rng ^= P->rng >> 12;
		P->rng ^= P->rng << 25;
		P->rng ^= P->rng >> 27;
		z = P->rng * 2685821657736338717ull;
		r = (double)(z >> 11) / 9007199254740992.0;
		break;
	}
	*out = v_num(r);
	return 0;
}

/* ------------------------------------------------ built-in: URI coding */

enum { U_ENCODE_COMPONENT, U_ENCODE, U_DECODE_COMPONENT, U_DECODE,
	U_ESCAPE, U_UNESCAPE };

static int
uri_keep(int ch, int magic)
{
	if (is_alpha(ch) || is_digit(ch))
		return 1;
	if (magic == U_ESCAPE)
		return strchr("@*_+-./", ch) != NULL;
	if (strchr("-_.!~*'()", ch) != NULL)
		return 1;
	return magic == U_ENCODE && strchr(";/?:@&=+$,#", ch) != NULL;
}

static int
b_uri(struct pac *P, struct call *c, struct val *out)
{
	static const char hex[] = "0123456789ABCDEF";
	struct str *s = arg_str(P, c, 0);
	struct sbuf b;
	uint32_t i, cp;
	char e[3], u[4];
	int hi, lo, ok;
	size_t k;

	sb_init(&b, P);
	charge(P, s->len / 16);
	for (i = 0; i < s->len; i++) {
		unsigned char ch = (unsigned char)s->s[i];

		if (c->magic <= U_ENCODE || c->magic == U_ESCAPE) {
			if (ch != '\0' && uri_keep(ch, c->magic))
				sb_put(&b, (char *)&ch, 1);
			else {
				e[0] = '%';
				e[1] = hex[ch >> 4];
				e[2] = hex[ch & 15];
				sb_put(&b, e, 3);
			}
			continue;
		}
		if (ch != '%') {
			sb_put(&b, (char *)&ch, 1);
			continue;
		}
		if (c->magic == U_UNESCAPE && i + 5 < s->len &&
		    s->s[i + 1] == 'u') {
			k = i + 2;
			cp = hex_run(s->s, &k, s->len, 4, &ok);
			if (ok) {
				sb_put(&b, u, utf8_put(u, cp));
				i += 5;
				continue;
			}
		}
		if (i + 2 >= s->len ||
		    (hi = hex_value((unsigned char)s->s[i + 1])) < 0 ||
		    (lo = hex_value((unsigned char)s->s[i + 2])) < 0) {
			if (c->magic == U_UNESCAPE) {
				sb_put(&b, "%", 1);
				continue;
			}
			return throw_err(P, c->site, E_URI, "URI malformed");
		}
		ch = (unsigned char)(hi * 16 + lo);
		if (c->magic == U_DECODE && strchr(";/?:@&=+$,#", ch) != NULL &&
		    ch != '\0')
			sb_put(&b, s->s + i, 3);
		else
			sb_put(&b, (char *)&ch, 1);
		i += 2;
	}
	*out = v_str(sb_done(&b));
	return 0;
}

static int
b_console(struct pac *P, struct call *c, struct val *out);

/* ------------------------------------------------------ built-in: dates */

/*
 * Dates are milliseconds since 1970 as doubles, as in JavaScript. The
 * calendar arithmetic is done here (civil_days, civil_from); only the
 * local time zone's offset comes from localtime_r().
 */

/* Fields of a date; ms_fields()/fields_ms() convert in "field space",
 * where local times are treated as if they were UTC. */
struct tmf {
	double		 y, mon, d, h, mi, s, ms;
	int		 wday;
};

static const char *const wday_names[] = {
	"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"
};
static const char *const mon_names[] = {
	"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT",
	"NOV", "DEC"
};

/* Days from 1970-01-01 to y-m-d (m 1..12); H. Hinnant's algorithm. */
static long long
civil_days(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static void
civil_from(long long z, long long *y, unsigned *m, unsigned *d)
{
	long long era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long long)yoe + era * 400 + (*m <= 2);
}

/* JavaScript's TimeClip. */
static double
time_clip(double t)
{
	if (!isfinite(t) || dabs(t) > 8.64e15)
		return NAN;
	return dtrunc(t) + 0;
}

/* MakeDate(MakeDay(y, mon, d), MakeTime(h, mi, s, ms)); NaN if a field
 * is not finite. */
static double
fields_ms(const struct tmf *f)
{
	double ym, mn, days;

	if (!isfinite(f->y) || !isfinite(f->mon) || !isfinite(f->d) ||
	    !isfinite(f->h) || !isfinite(f->mi) || !isfinite(f->s) ||
	    !isfinite(f->ms))
		return NAN;
	ym = dtrunc(f->y) + dfloor(dtrunc(f->mon) / 12);
	mn = dmod(dtrunc(f->mon), 12);
	if (mn < 0)
		mn += 12;
	if (ym < -400000 || ym > 400000)
		return NAN;
	days = (double)civil_days((long long)ym, (unsigned)mn + 1, 1) +
	    dtrunc(f->d) - 1;
	return days * 86400000.0 + dtrunc(f->h) * 3600000.0 +
	    dtrunc(f->mi) * 60000.0 + dtrunc(f->s) * 1000.0 + dtrunc(f->ms);
}

static void
ms_fields(double t, struct tmf *f)
{
	double days, rem;
	long long y;
	unsigned m, d;

	if (!isfinite(t) || dabs(t) > 8.64e15 + 8.64e7 * 2) {
		f->y = f->mon = f->d = f->h = f->mi = f->s = f->ms = NAN;
		f->wday = 0;
		return;
	}
	days = dfloor(t / 86400000.0);
	rem = t - days * 86400000.0;
	civil_from((long long)days, &y, &m, &d);
	f->y = (double)y;
	f->mon = m - 1;
	f->d = d;
	f->h = dfloor(rem / 3600000.0);
	f->mi = dfloor(dmod(rem, 3600000.0) / 60000.0);
	f->s = dfloor(dmod(rem, 60000.0) / 1000.0);
	f->ms = dmod(rem, 1000.0);
	f->wday = (int)dmod(days + 4, 7);
	if (f->wday < 0)
		f->wday += 7;
}

/* Local time minus UTC at the UTC time t, in ms. */
static double
local_offset(double t)
{
	struct tm tm;
	time_t tt;
	double secs = dfloor(t / 1000), local;

	if (!(secs > -8.64e12 && secs < 8.64e12))
		return 0;
	if (sizeof(time_t) < 8 && (secs < -2147483648.0 || secs > 2147483647.0))
		return 0;
	tt = (time_t)secs;
	if (localtime_r(&tt, &tm) == NULL)
		return 0;
	local = (double)civil_days(tm.tm_year + 1900LL,
	    (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) * 86400.0 +
	    tm.tm_hour * 3600.0 + tm.tm_min * 60.0 + tm.tm_sec;
	return (local - secs) * 1000;
}

static double
local_to_utc(double lt)
{
	double t;

	if (isnan(lt))
		return lt;
	t = lt - local_offset(lt);
	return lt - local_offset(t);
}

/* The fields of time t, local or UTC. */
static void
date_fields(double t, int utc, struct tmf *f)
{
	ms_fields(isnan(t) || utc ? t : t + local_offset(t), f);
}

static double
now_ms_js(struct pac *P)
{
	return (double)P->now * 1000.0;
}

static struct str *
date_string(struct pac *P, double t, int form)
{
	static const char *const days[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char *const mons[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	struct tmf f;
	char buf[96];
	double off;
	int o;

	if (isnan(t))
		return str_c(P, "Invalid Date");
	off = form == 0 ? local_offset(t) : 0;
	ms_fields(t + off, &f);
	o = (int)(off / 60000);
	switch (form) {
	case 1:		/* toUTCString */
		snprintf(buf, sizeof(buf),
		    "%s, %02d %s %04.0f %02d:%02d:%02d GMT",
		    days[f.wday], (int)f.d, mons[(int)f.mon], f.y, (int)f.h,
		    (int)f.mi, (int)f.s);
		break;
	case 2:		/* toISOString */
		snprintf(buf, sizeof(buf),
		    "%04.0f-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    f.y, (int)f.mon + 1, (int)f.d, (int)f.h, (int)f.mi,
		    (int)f.s, (int)f.ms);
		break;
	default:
		snprintf(buf, sizeof(buf),
		    "%s %s %02d %04.0f %02d:%02d:%02d GMT%c%02d%02d",
		    days[f.wday], mons[(int)f.mon], (int)f.d, f.y, (int)f.h,
		    (int)f.mi, (int)f.s, o < 0 ? '-' : '+',
		    (o < 0 ? -o : o) / 60, (o < 0 ? -o : o) % 60);
		break;
	}
	return str_c(P, buf);
}

/* Date.parse for the ISO forms ("2024-03-15", "2024-03-15T10:30:00Z",
 * with an optional ".sss" and offset; also '/' between date parts).
 * Date-only forms are UTC, date-time forms without an offset local. */
static double
date_parse(const struct str *s)
{
	const char *p = s->s, *e = s->s + s->len;
	double v[7] = { 0, 1, 1, 0, 0, 0, 0 };
	struct tmf f;
	int i, n, sign, utc = 1, off = 0;

	for (i = 0; i < 7 && p < e; i++) {
		if (i > 0) {
			static const char seps[] = "--T::.";
			char sep = seps[i - 1];

			if (*p != sep && !(i < 3 && *p == '/') &&
			    !(i == 3 && *p == ' '))
				break;
			p++;
			if (i == 3)
				utc = 0;
		}
		for (n = 0, v[i] = 0; p < e && is_digit(*p) && n < 9; n++)
			v[i] = v[i] * 10 + (*p++ - '0');
		if (n == 0)
			return NAN;
	}
	if (p < e && (*p == 'Z' || *p == 'z')) {
		utc = 1;
		p++;
	} else if (p < e && (*p == '+' || *p == '-') && e - p >= 6) {
		sign = *p == '-' ? -1 : 1;
		if (!is_digit(p[1]) || !is_digit(p[2]) || p[3] != ':' ||
		    !is_digit(p[4]) || !is_digit(p[5]))
			return NAN;
		off = sign * (((p[1] - '0') * 10 + (p[2] - '0')) * 60 +
		    (p[4] - '0') * 10 + (p[5] - '0'));
		utc = 1;
		p += 6;
	}
	if (p != e || i < 1)
		return NAN;
	f.y = v[0];
	f.mon = v[1] - 1;
	f.d = v[2];
	f.h = v[3];
	f.mi = v[4];
	f.s = v[5];
	f.ms = v[6];
	return time_clip(utc ? fields_ms(&f) - off * 60000.0 :
	    local_to_utc(fields_ms(&f)));
}

static struct obj *
date_new(struct pac *P, double t)
{
	struct obj *o = obj_new(P, O_DATE, P->p_date);

	o->u.time = time_clip(t);
	return o;
}

/* Date(...) fields from arguments: y, m[, d, h, mi, s, ms] */
static double
date_from_args(struct pac *P, struct call *c, int utc)
{
	struct tmf f;
	double *fp[7];
	int i;

	fp[0] = &f.y;
	fp[1] = &f.mon;
	fp[2] = &f.d;
	fp[3] = &f.h;
	fp[4] = &f.mi;
	fp[5] = &f.s;
	fp[6] = &f.ms;
	f.y = f.h = f.mi = f.s = f.ms = 0;
	f.mon = 0;
	f.d = 1;
	for (i = 0; i < 7 && i < c->argc; i++)
		*fp[i] = to_num(P, &c->argv[i]);
	if (isfinite(f.y) && dtrunc(f.y) >= 0 && dtrunc(f.y) <= 99)
		f.y = 1900 + dtrunc(f.y);
	return utc ? fields_ms(&f) : local_to_utc(fields_ms(&f));
}

static int
b_date(struct pac *P, struct call *c, struct val *out)
{
	struct val v;
	double t;

	if (!c->construct) {
		*out = v_str(date_string(P, now_ms_js(P), 0));
		return 0;
	}
	if (c->argc == 0)
		t = now_ms_js(P);
	else if (c->argc == 1) {
		v = c->argv[0];
		if (is_kind(&v, O_DATE))
			t = v.u.o->u.time;
		else {
			v = to_prim(P, &v, 0);
			t = v.t == V_STR ? date_parse(v.u.s) : to_num(P, &v);
		}
	} else
		t = date_from_args(P, c, 0);
	*out = v_obj(date_new(P, t));
	return 0;
}

/* Date.now (0), Date.UTC (1), Date.parse (2) */
static int
b_date_static(struct pac *P, struct call *c, struct val *out)
{
	switch (c->magic) {
	case 0:
		*out = v_num(now_ms_js(P));
		break;
	case 1:
		*out = v_num(time_clip(date_from_args(P, c, 1)));
		break;
	default:
		*out = v_num(date_parse(arg_str(P, c, 0)));
		break;
	}
	return 0;
}

#define DATE_UTC	0x100
enum { DF_YEAR, DF_MONTH, DF_DATE, DF_HOURS, DF_MINUTES, DF_SECONDS, DF_MS,
	DF_DAY, DF_TIME, DF_OFFSET, DF_YEAR2 };

static int
b_date_get(struct pac *P, struct call *c, struct val *out)
{
	struct obj *d = this_obj(P, c, O_DATE, "Date method");
	struct tmf f;
	double t, r;

	if (d == NULL)
		return -1;
	t = d->u.time;
	if (isnan(t)) {
		*out = v_num(NAN);
		return 0;
	}
	date_fields(t, c->magic & DATE_UTC, &f);
	switch (c->magic & 0xff) {
	case DF_YEAR: r = f.y; break;
	case DF_YEAR2: r = f.y - 1900; break;
	case DF_MONTH: r = f.mon; break;
	case DF_DATE: r = f.d; break;
	case DF_HOURS: r = f.h; break;
	case DF_MINUTES: r = f.mi; break;
	case DF_SECONDS: r = f.s; break;
	case DF_MS: r = f.ms; break;
	case DF_DAY: r = f.wday; break;
	case DF_OFFSET: r = -local_offset(t) / 60000; break;
	default: r = t; break;
	}
	*out = v_num(r);
	return 0;
}

/* setFullYear(y[, m[, d]]), setMonth(m[, d]), setDate(d),
 * setHours(h[, mi[, s[, ms]]]), ... and setTime(t). */
static int
b_date_set(struct pac *P, struct call *c, struct val *out)
{
	static const int nargs[] = { 3, 2, 1, 4, 3, 2, 1 };
	struct obj *d = this_obj(P, c, O_DATE, "Date method");
	struct tmf f;
	double *fp[7], t;
	int field = c->magic & 0xff, utc = c->magic & DATE_UTC, i;

	if (d == NULL)
		return -1;
	if (field == DF_TIME)
		t = time_clip(arg_num(P, c, 0));
	else {
		t = d->u.time;
		if (isnan(t)) {
			if (field != DF_YEAR) {
				*out = v_num(NAN);
				return 0;
			}
			t = 0;
		}
		date_fields(t, utc, &f);
		fp[0] = &f.y;
		fp[1] = &f.mon;
		fp[2] = &f.d;
		fp[3] = &f.h;
		fp[4] = &f.mi;
		fp[5] = &f.s;
		fp[6] = &f.ms;
		for (i = 0; i < nargs[field] &&
		    i < (c->argc ? c->argc : 1); i++)
			*fp[field + i] = arg_num(P, c, i);
		t = fields_ms(&f);
		t = time_clip(utc ? t : local_to_utc(t));
	}
	obj_touch(P, d);
	d->u.time = t;
	*out = v_num(t);
	return 0;
}

static int
b_date_str(struct pac *P, struct call *c, struct val *out)
{
	struct obj *d = this_obj(P, c, O_DATE, "Date method");

	if (d == NULL)
		return -1;
	if (c->magic == 2 && isnan(d->u.time))
		return throw_err(P, c->site, E_RANGE, "invalid time value");
	*out = v_str(date_string(P, d->u.time, c->magic));
	return 0;
}

/* ---------------------------------------------------------- PAC helpers */

/*
 * The standard helpers, with the semantics of the reference JavaScript
 * (Mozilla's ascii_pac_utils.js, which Chromium copies) and Microsoft's
 * IPv6 extensions as Chromium implements them. Written in C: they are
 * called on every evaluation, and the date helpers need no Date setters
 * this way.
 */

/* dnsResolve / dnsResolveEx through the caller's resolver, with a
 * per-evaluation cache and a cap on distinct lookups. */
static struct str *
resolve(struct pac *P, struct str *host, int any)
{
	struct dnsent *e;
	char out[DNS_OUT_MAX];
	struct in_addr a4;
	int ok;

	if (host->len == 0 || host->len >= HOST_MAX ||
	    memchr(host->s, '\0', host->len) != NULL)
		return NULL;
	if (!any && inet_pton(AF_INET, host->s, &a4) == 1)
		return host;
	for (e = P->dns; e != NULL; e = e->next)
		if (e->any == any && str_same(e->host, host))
			return e->ok ? e->addr : NULL;
	if (P->env.resolve == NULL || P->ndns >= PAC_DNS_MAX)
		return NULL;
	P->ndns++;
	charge(P, 100);
	memset(out, 0, sizeof(out));
	ok = P->env.resolve(P->env.resolve_arg, host->s, any, out,
	    sizeof(out)) == 0;
	out[sizeof(out) - 1] = '\0';
	if (ok && !any)
		ok = inet_pton(AF_INET, out, &a4) == 1;
	e = arena_alloc(P, sizeof(*e));
	e->host = host;
	e->any = any;
	e->ok = ok;
	e->addr = ok ? str_c(P, out) : NULL;
	e->next = P->dns;
	P->dns = e;
	return e->addr;
}

/* A string as isInNet's /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/
 * takes it: 1 (address in *a), 0 not that shape, -1 a part over 255. */
static int
dotted_quad(const struct str *s, uint32_t *a)
{
	uint32_t i = 0, v, part, r = 0;
	int big = 0, n;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= s->len || s->s[i] != '.')
				return 0;
			i++;
		}
		for (n = 0, v = 0; i < s->len && is_digit(s->s[i]) && n < 4;
		    n++)
			v = v * 10 + (uint32_t)(s->s[i++] - '0');
		if (n < 1 || n > 3)
			return 0;
		if (v > 255)
			big = 1;
		r = r << 8 | (v & 0xff);
	}
	if (i != s->len)
		return 0;
	*a = r;
	return big ? -1 : 1;
}

static int
b_isplainhostname(struct pac *P, struct call *c, struct val *out)
{
	struct str *h = arg_str(P, c, 0);

	charge_bytes(P, h->len);
	*out = v_bool(memchr(h->s, '.', h->len) == NULL &&
	    memchr(h->s, ':', h->len) == NULL);
	return 0;
}

static int
b_dnsdomainis(struct pac *P, struct call *c, struct val *out)
{
	struct str *h = arg_str(P, c, 0), *d = arg_str(P, c, 1);

	charge_bytes(P, d->len);
	*out = v_bool(h->len >= d->len &&
	    memcmp(h->s + h->len - d->len, d->s, d->len) == 0);
	return 0;
}

static int
b_localhostordomainis(struct pac *P, struct call *c, struct val *out)
{
	struct str *h = arg_str(P, c, 0), *hd = arg_str(P, c, 1);

	charge_bytes(P, h->len);
	*out = v_bool(str_same(h, hd) || (hd->len > h->len &&
	    memcmp(hd->s, h->s, h->len) == 0 && hd->s[h->len] == '.'));
	return 0;
}

static int
b_dnsdomainlevels(struct pac *P, struct call *c, struct val *out)
{
	struct str *h = arg_str(P, c, 0);
	uint32_t i, n = 0;

	charge_bytes(P, h->len);
	for (i = 0; i < h->len; i++)
		n += h->s[i] == '.';
	*out = v_num(n);
	return 0;
}

static int
b_dnsresolve(struct pac *P, struct call *c, struct val *out)
{
	struct str *r;

	if (!arg_is(c, 0, V_STR)) {
		*out = c->magic ? v_bool(0) : v_null();
		return 0;
	}
	r = resolve(P, c->argv[0].u.s, 0);
	if (c->magic)		/* isResolvable */
		*out = v_bool(r != NULL);
	else
		*out = r != NULL ? v_str(r) : v_null();
	return 0;
}

static int
b_dnsresolveex(struct pac *P, struct call *c, struct val *out)
{
	struct str *r;

	if (!arg_is(c, 0, V_STR)) {
		*out = c->magic ? v_bool(0) : v_null();
		return 0;
	}
	r = resolve(P, c->argv[0].u.s, 1);
	if (c->magic)		/* isResolvableEx */
		*out = v_bool(r != NULL && r->len > 0);
	else
		*out = v_str(r != NULL ? r : P->a[A_EMPTY]);
	return 0;
}

static int
b_isinnet(struct pac *P, struct call *c, struct val *out)
{
	struct str *ip, *r;
	uint32_t a, pat, mask;

	/* the pattern and mask are checked first: no lookup for nothing */
	*out = v_bool(0);
	if (!arg_is(c, 0, V_STR) || dotted_quad(arg_str(P, c, 1), &pat) != 1 ||
	    dotted_quad(arg_str(P, c, 2), &mask) != 1)
		return 0;
	ip = c->argv[0].u.s;
	switch (dotted_quad(ip, &a)) {
	case 0:
		if ((r = resolve(P, ip, 0)) == NULL || dotted_quad(r, &a) != 1)
			return 0;
		break;
	case -1:
		return 0;
	}
	*out = v_bool((a & mask) == (pat & mask));
	return 0;
}

static int
b_myipaddress(struct pac *P, struct call *c, struct val *out)
{
	*out = v_str(str_c(P, c->magic ? P->myipex : P->myip));
	return 0;
}

static int
b_getclientversion(struct pac *P, struct call *c, struct val *out)
{
	(void)c;
	*out = v_str(str_c(P, "1.0"));
	return 0;
}

static int
b_convert_addr(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = arg_str(P, c, 0);
	uint32_t r = 0, i = 0, part;
	struct val v;
	double d;

	/* (bytes[0] & 0xff) << 24 | ... over split('.') */
	for (part = 0; part < 4; part++) {
		uint32_t j = i;

		while (j < s->len && s->s[j] != '.')
			j++;
		if (i > s->len)
			d = NAN;
		else {
			v = v_str(substr(P, s, i, j));
			d = to_num(P, &v);
		}
		r = r << 8 | (to_u32d(d) & 0xff);
		i = j + 1;
	}
	*out = v_num(u32_to_i32(r));
	return 0;
}

/* Parses an IPv4 or IPv6 literal into 16 bytes; its family or 0. The
 * prefix form of isInNetEx also takes "3ffe:8311:ffff" (fewer groups,
 * no "::"), as Microsoft's own examples write it. */
static int
parse_ip(const struct str *s, unsigned char *b, int prefix)
{
	char buf[64];
	uint32_t i, colons = 0;

	if (s->len == 0 || s->len >= sizeof(buf) - 3 ||
	    memchr(s->s, '\0', s->len) != NULL)
		return 0;
	memset(b, 0, 16);
	if (inet_pton(AF_INET, s->s, b) == 1)
		return 4;
	if (inet_pton(AF_INET6, s->s, b) == 1)
		return 6;
	if (!prefix || strstr(s->s, "::") != NULL)
		return 0;
	for (i = 0; i < s->len; i++)
		colons += s->s[i] == ':';
	if (colons == 0 || colons >= 7)
		return 0;
	memcpy(buf, s->s, s->len);
	memcpy(buf + s->len, "::", 3);
	return inet_pton(AF_INET6, buf, b) == 1 ? 6 : 0;
}

static int
b_isinnetex(struct pac *P, struct call *c, struct val *out)
{
	unsigned char a[16], p[16];
	struct str *ip, *pre, *addr;
	const char *slash;
	int fa, fp, i;
	long bits;
	uint32_t k;

	if (!arg_is(c, 0, V_STR) || !arg_is(c, 1, V_STR)) {
		*out = v_null();
		return 0;
	}
	*out = v_bool(0);
	ip = c->argv[0].u.s;
	pre = c->argv[1].u.s;
	if ((slash = memchr(pre->s, '/', pre->len)) == NULL)
		return 0;
	addr = substr(P, pre, 0, (uint32_t)(slash - pre->s));
	k = (uint32_t)(slash - pre->s) + 1;
	if (k >= pre->len || pre->len - k > 3)
		return 0;
	for (bits = 0; k < pre->len; k++) {
		if (!is_digit(pre->s[k]))
			return 0;
		bits = bits * 10 + (pre->s[k] - '0');
	}
	if ((fa = parse_ip(ip, a, 0)) == 0 ||
	    (fp = parse_ip(addr, p, 1)) == 0 ||
	    fa != fp || bits > (fa == 4 ? 32 : 128))
		return 0;
	for (i = 0; bits > 0; i++, bits -= 8) {
		unsigned m = bits >= 8 ? 0xff : (0xff00u >> bits) & 0xff;

		if ((a[i] & m) != (p[i] & m))
			return 0;
	}
	*out = v_bool(1);
	return 0;
}

/* sortIpAddressList: IPv6 first, then IPv4, each ascending; stable;
 * spelling kept; false for an empty list or any bad address. */
static int
b_sortipaddresslist(struct pac *P, struct call *c, struct val *out)
{
	struct item {
		struct str	*s;
		unsigned char	 b[16];
		int		 fam;
	} *it, t;
	struct str *list, *s;
	struct sbuf sb;
	uint32_t i, j, n = 0, max = 1, start;
	size_t len;
	const char *p;

	if (!arg_is(c, 0, V_STR)) {
		*out = v_null();
		return 0;
	}
	*out = v_bool(0);
	list = c->argv[0].u.s;
	for (i = 0; i < list->len; i++)
		max += list->s[i] == ';';
	it = arena_nalloc(P, max, sizeof(*it));
	for (start = 0; start <= list->len; start = i + 1) {
		for (i = start; i < list->len && list->s[i] != ';'; i++)
			;
		len = i - start;
		p = js_trim(list->s + start, &len, 1, 1);
		if (len == 0)
			continue;
		s = str_new(P, p, len);
		if ((it[n].fam = parse_ip(s, it[n].b, 0)) == 0)
			return 0;
		it[n++].s = s;
	}
	if (n == 0)
		return 0;
	charge(P, n * n / 64);
	/* insertion sort: stable, and lists are short */
	for (i = 1; i < n; i++) {
		t = it[i];
		for (j = i; j > 0; j--) {
			int cmp = it[j - 1].fam != t.fam ?
			    (it[j - 1].fam == 4 ? 1 : -1) :
			    memcmp(it[j - 1].b, t.b, t.fam == 4 ? 4 : 16);

			if (cmp <= 0)
				break;
			it[j] = it[j - 1];
		}
		it[j] = t;
	}
	sb_init(&sb, P);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_put(&sb, ";", 1);
		sb_str(&sb, it[i].s);
	}
	*out = v_str(sb_done(&sb));
	return 0;
}

/* shExpMatch without regex metacharacters: * and ? over bytes, neither
 * crossing a line break (as the regex's '.' would not). */
static int
glob_match(struct pac *P, const struct str *s, const struct str *p)
{
	uint32_t si = 0, pi = 0, star = UINT32_MAX, mark = 0, k = 0;

	while (si < s->len) {
		if ((++k & 63) == 0)
			charge(P, 1);
		if (pi < p->len && p->s[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < p->len &&
		    (p->s[pi] == '?' || p->s[pi] == s->s[si])) {
			si++;
			pi++;
		} else if (star != UINT32_MAX) {
			pi = star + 1;
			si = ++mark;
		} else
			return 0;
	}
	while (pi < p->len && p->s[pi] == '*')
		pi++;
	return pi == p->len;
}

static int
b_shexpmatch(struct pac *P, struct call *c, struct val *out)
{
	struct str *s = arg_str(P, c, 0), *p = arg_str(P, c, 1);
	struct sbuf b;
	struct rx *rx;
	const char *err = NULL;
	uint32_t i;
	char buf[64];

	charge_bytes(P, (size_t)s->len + p->len);
	if (strcspn(p->s, "[](){}+|^$\\") >= p->len &&
	    memchr(s->s, '\n', s->len) == NULL &&
	    memchr(s->s, '\r', s->len) == NULL) {
		*out = v_bool(glob_match(P, s, p));
		return 0;
	}
	/* what the reference does: . -> \.  * -> .*  ? -> .  and ^...$,
	 * every other regex metacharacter passing through */
	sb_init(&b, P);
	sb_put(&b, "^", 1);
	for (i = 0; i < p->len; i++) {
		if (p->s[i] == '.')
			sb_put(&b, "\\.", 2);
		else if (p->s[i] == '*')
			sb_put(&b, ".*", 2);
		else if (p->s[i] == '?')
			sb_put(&b, ".", 1);
		else
			sb_put(&b, p->s + i, 1);
	}
	sb_put(&b, "$", 1);
	if ((rx = rx_compile(P, b.p, b.n, "", 0, &err)) == NULL)
		return throw_err(P, c->site, E_SYNTAX,
		    "shExpMatch: invalid pattern %s: %s",
		    cstr_short(p, buf, sizeof(buf)), err);
	*out = v_bool(rx_exec(P, rx, s, 0, rx_slots(P, rx)));
	return 0;
}

/* Both current times, in field space. */
static void
now_fields(struct pac *P, struct tmf *local, struct tmf *utc)
{
	double t = now_ms_js(P);

	date_fields(t, 0, local);
	date_fields(t, 1, utc);
}

/* 1 if the last argument is "GMT" (which it then drops). */
static int
strip_gmt(struct pac *P, struct call *c, int *argc)
{
	struct val g;

	g = v_str(str_c(P, "GMT"));
	if (*argc > 0 && loose_eq(P, c->argv[*argc - 1], g)) {
		(*argc)--;
		return 1;
	}
	return 0;
}

static int
name_index(const struct val *v, const char *const *names, int n)
{
	int i;

	if (v->t != V_STR)
		return -1;
	for (i = 0; i < n; i++)
		if (str_is(v->u.s, names[i]))
			return i;
	return -1;
}

static int
b_weekdayrange(struct pac *P, struct call *c, struct val *out)
{
	struct tmf lt, ut;
	struct val a0 = arg(c, 0), a1 = arg(c, 1);
	int argc = c->argc, gmt, wday, wd1, wd2;

	*out = v_bool(0);
	if (argc < 1)
		return 0;
	gmt = strip_gmt(P, c, &argc);
	now_fields(P, &lt, &ut);
	wday = gmt ? ut.wday : lt.wday;
	wd1 = name_index(&a0, wday_names, 7);
	wd2 = argc == 2 ? name_index(&a1, wday_names, 7) : wd1;
	if (wd1 < 0 || wd2 < 0)
		return 0;
	*out = v_bool(wd1 <= wd2 ? wd1 <= wday && wday <= wd2 :
	    wd2 >= wday || wday >= wd1);
	return 0;
}

/* A Date setter in field space: set the field, then normalise. */
static void
tmf_set(struct tmf *f, double *field, double v)
{
	*field = v;
	ms_fields(fields_ms(f), f);
}

static int
range_result(const struct tmf *d1, const struct tmf *d2, const struct tmf *d)
{
	double t1 = fields_ms(d1), t2 = fields_ms(d2), t = fields_ms(d);

	return t1 <= t2 ? t1 <= t && t <= t2 : t2 >= t || t >= t1;
}

/* parseInt(x) as the reference dateRange() applies it. */
static double
parse_int10(struct pac *P, const struct val *v)
{
	struct call c;
	struct val out, argv[1];

	memset(&c, 0, sizeof(c));
	argv[0] = *v;
	c.argv = argv;
	c.argc = 1;
	b_parseint(P, &c, &out);
	return out.u.n;
}

static int
b_daterange(struct pac *P, struct call *c, struct val *out)
{
	struct tmf lt, ut, d1, d2, *date;
	int argc = c->argc, gmt, i, adjust = 0;
	double tmp;

	*out = v_bool(0);
	if (argc < 1)
		return 0;
	gmt = strip_gmt(P, c, &argc);
	now_fields(P, &lt, &ut);
	date = gmt ? &ut : &lt;
	if (argc == 1) {
		tmp = parse_int10(P, &c->argv[0]);
		if (isnan(tmp))
			*out = v_bool(date->mon ==
			    name_index(&c->argv[0], mon_names, 12));
		else if (tmp < 32)
			*out = v_bool(date->d == tmp);
		else
			*out = v_bool(date->y == tmp);
		return 0;
	}
	memset(&d1, 0, sizeof(d1));
	d1.y = lt.y;
	d1.d = 1;
	ms_fields(fields_ms(&d1), &d1);
	d2 = d1;
	d2.mon = 11;
	d2.d = 31;
	d2.h = 23;
	d2.mi = 59;
	d2.s = 59;
	ms_fields(fields_ms(&d2), &d2);
	for (i = 0; i < argc; i++) {
		struct tmf *d = i < argc / 2 ? &d1 : &d2;

		tmp = parse_int10(P, &c->argv[i]);
		if (isnan(tmp))
			tmf_set(d, &d->mon,
			    name_index(&c->argv[i], mon_names, 12));
		else if (tmp < 32) {
			if (d == &d1)
				adjust = argc <= 2;
			tmf_set(d, &d->d, tmp);
		} else
			tmf_set(d, &d->y, tmp);
	}
	if (adjust) {
		tmf_set(&d1, &d1.mon, lt.mon);
		tmf_set(&d2, &d2.mon, lt.mon);
	}
	*out = v_bool(range_result(&d1, &d2, date));
	return 0;
}

static int
b_timerange(struct pac *P, struct call *c, struct val *out)
{
	struct tmf lt, ut, d1, d2;
	struct val hour;
	int argc = c->argc, gmt, mid;

	*out = v_bool(0);
	if (argc < 1)
		return 0;
	gmt = strip_gmt(P, c, &argc);
	now_fields(P, &lt, &ut);
	hour = v_num(gmt ? ut.h : lt.h);
	d1 = d2 = lt;
	switch (argc) {
	case 1:
		*out = v_bool(loose_eq(P, hour, c->argv[0]));
		return 0;
	case 2:
		*out = v_bool(less_than(P, &hour, &c->argv[0]) == 0 &&
		    less_than(P, &c->argv[1], &hour) == 0);
		return 0;
	case 6:
		tmf_set(&d1, &d1.s, to_num(P, &c->argv[2]));
		tmf_set(&d2, &d2.s, to_num(P, &c->argv[5]));
		/* FALLTHROUGH */
	case 4:
		mid = argc >> 1;
		tmf_set(&d1, &d1.h, to_num(P, &c->argv[0]));
		tmf_set(&d1, &d1.mi, to_num(P, &c->argv[1]));
		tmf_set(&d2, &d2.h, to_num(P, &c->argv[mid]));
		tmf_set(&d2, &d2.mi, to_num(P, &c->argv[mid + 1]));
		if (mid == 2)
			tmf_set(&d2, &d2.s, 59);
		break;
	default:
		hour = v_str(str_c(P, "timeRange: bad number of arguments"));
		return throw_val(P, c->site, &hour);
	}
	*out = v_bool(range_result(&d1, &d2, gmt ? &ut : &lt));
	return 0;
}

/* alert() and console.log(): the arguments joined by spaces. */
static int
b_alert(struct pac *P, struct call *c, struct val *out)
{
	struct sbuf b;
	struct str *s;
	int i;

	(void)out;
	if (P->env.alert == NULL)
		return 0;
	sb_init(&b, P);
	for (i = 0; i < c->argc || (i == 0 && c->magic == 0); i++) {
		if (i > 0)
			sb_put(&b, " ", 1);
		sb_str(&b, i < c->argc ? to_str(P, &c->argv[i]) :
		    P->a[A_UNDEFINED]);
	}
	s = sb_done(&b);
	P->env.alert(P->env.alert_arg, s->s);
	return 0;
}

static int
b_console(struct pac *P, struct call *c, struct val *out)
{
	c->magic = 1;
	return b_alert(P, c, out);
}

/* ------------------------------------------------ built-in: the tables */

struct builtin {
	const char	*name;
	native_fn	 fn;
	int		 magic;
};

static const struct builtin global_fns[] = {
	{ "isPlainHostName", b_isplainhostname, 0 },
	{ "dnsDomainIs", b_dnsdomainis, 0 },
	{ "localHostOrDomainIs", b_localhostordomainis, 0 },
	{ "isResolvable", b_dnsresolve, 1 },
	{ "isInNet", b_isinnet, 0 },
	{ "dnsResolve", b_dnsresolve, 0 },
	{ "myIpAddress", b_myipaddress, 0 },
	{ "dnsDomainLevels", b_dnsdomainlevels, 0 },
	{ "shExpMatch", b_shexpmatch, 0 },
	{ "weekdayRange", b_weekdayrange, 0 },
	{ "dateRange", b_daterange, 0 },
	{ "timeRange", b_timerange, 0 },
	{ "alert", b_alert, 0 },
	{ "isResolvableEx", b_dnsresolveex, 1 },
	{ "dnsResolveEx", b_dnsresolveex, 0 },
	{ "myIpAddressEx", b_myipaddress, 1 },
	{ "isInNetEx", b_isinnetex, 0 },
	{ "sortIpAddressList", b_sortipaddresslist, 0 },
	{ "getClientVersion", b_getclientversion, 0 },
	{ "convert_addr", b_convert_addr, 0 },
	{ "parseInt", b_parseint, 0 },
	{ "parseFloat", b_parsefloat, 0 },
	{ "isNaN", b_isnan, 0 },
	{ "isFinite", b_isnan, 1 },
	{ "encodeURIComponent", b_uri, U_ENCODE_COMPONENT },
	{ "encodeURI", b_uri, U_ENCODE },
	{ "decodeURIComponent", b_uri, U_DECODE_COMPONENT },
	{ "decodeURI", b_uri, U_DECODE },
	{ "escape", b_uri, U_ESCAPE },
	{ "unescape", b_uri, U_UNESCAPE },
	{ NULL, NULL, 0 }
};

static const struct builtin string_methods[] = {
	{ "charAt", b_s_charat, 0 },
	{ "charCodeAt", b_s_charat, 1 },
	{ "indexOf", b_s_find, F_INDEXOF },
	{ "lastIndexOf", b_s_find, F_LASTINDEXOF },
	{ "includes", b_s_find, F_INCLUDES },
	{ "startsWith", b_s_find, F_STARTSWITH },
	{ "endsWith", b_s_find, F_ENDSWITH },
	{ "substring", b_s_sub, F_SUBSTRING },
	{ "substr", b_s_sub, F_SUBSTR },
	{ "slice", b_s_sub, F_SLICE },
	{ "toLowerCase", b_s_case, 0 },
	{ "toUpperCase", b_s_case, 1 },
	{ "toLocaleLowerCase", b_s_case, 0 },
	{ "toLocaleUpperCase", b_s_case, 1 },
	{ "trim", b_s_trim, 0 },
	{ "trimStart", b_s_trim, 1 },
	{ "trimLeft", b_s_trim, 1 },
	{ "trimEnd", b_s_trim, 2 },
	{ "trimRight", b_s_trim, 2 },
	{ "concat", b_s_concat, 0 },
	{ "repeat", b_s_repeat, 0 },
	{ "padEnd", b_s_pad, 0 },
	{ "padStart", b_s_pad, 1 },
	{ "split", b_s_split, 0 },
	{ "replace", b_s_replace, 0 },
	{ "replaceAll", b_s_replace, 1 },
	{ "match", b_s_match, 0 },
	{ "search", b_s_search, 0 },
	{ "localeCompare", b_s_localecompare, 0 },
	{ "toString", b_s_tostring, 0 },
	{ "valueOf", b_s_tostring, 0 },
	{ NULL, NULL, 0 }
};

static const struct builtin array_methods[] = {
	{ "push", b_a_push, 0 },
	{ "pop", b_a_pop, 0 },
	{ "shift", b_a_shift, 0 },
	{ "unshift", b_a_unshift, 0 },
	{ "join", b_a_join, 0 },
	{ "toString", b_a_join, 1 },
	{ "indexOf", b_a_indexof, 0 },
	{ "lastIndexOf", b_a_indexof, 1 },
	{ "includes", b_a_indexof, 2 },
	{ "reverse", b_a_reverse, 0 },
	{ "slice", b_a_slice, 0 },
	{ "splice", b_a_splice, 0 },
	{ "concat", b_a_concat, 0 },
	{ "sort", b_a_sort, 0 },
	{ "forEach", b_a_iter, IT_FOREACH },
	{ "map", b_a_iter, IT_MAP },
	{ "filter", b_a_iter, IT_FILTER },
	{ "some", b_a_iter, IT_SOME },
	{ "every", b_a_iter, IT_EVERY },
	{ "find", b_a_iter, IT_FIND },
	{ "findIndex", b_a_iter, IT_FINDINDEX },
	{ "reduce", b_a_reduce, 0 },
	{ NULL, NULL, 0 }
};

static const struct builtin object_methods[] = {
	{ "hasOwnProperty", b_o_hasown, 0 },
	{ "toString", b_o_tostring, 0 },
	{ "toLocaleString", b_o_tostring, 0 },
	{ "valueOf", b_o_valueof, 0 },
	{ NULL, NULL, 0 }
};

static const struct builtin function_methods[] = {
	{ "call", b_f_call, 0 },
	{ "apply", b_f_call, 1 },
	{ "toString", b_f_tostring, 0 },
	{ NULL, NULL, 0 }
};

static const struct builtin regexp_methods[] = {
	{ "exec", b_rx_exec, 0 },
	{ "test", b_rx_exec, 1 },
	{ "toString", b_rx_tostring, 0 },
	{ NULL, NULL, 0 }
};

static const struct builtin number_methods[] = {
	{ "toString", b_n_tostring, 0 },
	{ "toLocaleString", b_n_tostring, 0 },
	{ "valueOf", b_n_tostring, 1 },
	{ "toFixed", b_n_tofixed, 0 },
	{ NULL, NULL, 0 }
};

static const struct builtin boolean_methods[] = {
	{ "toString", b_b_tostring, 0 },
	{ "valueOf", b_b_tostring, 1 },
	{ NULL, NULL, 0 }
};

static const struct builtin math_fns[] = {
	{ "abs", b_math, M_ABS }, { "floor", b_math, M_FLOOR },
	{ "ceil", b_math, M_CEIL }, { "round", b_math, M_ROUND },
	{ "trunc", b_math, M_TRUNC }, { "sign", b_math, M_SIGN },
	{ "sqrt", b_math, M_SQRT }, { "log", b_math, M_LOG },
	{ "exp", b_math, M_EXP }, { "pow", b_math, M_POW },
	{ "max", b_math, M_MAX }, { "min", b_math, M_MIN },
	{ "random", b_math, M_RANDOM },
	{ NULL, NULL, 0 }
};

static const struct builtin date_methods[] = {
	{ "getTime", b_date_get, DF_TIME },
	{ "valueOf", b_date_get, DF_TIME },
	{ "getFullYear", b_date_get, DF_YEAR },
	{ "getYear", b_date_get, DF_YEAR2 },
	{ "getMonth", b_date_get, DF_MONTH },
	{ "getDate", b_date_get, DF_DATE },
	{ "getDay", b_date_get, DF_DAY },
	{ "getHours", b_date_get, DF_HOURS },
	{ "getMinutes", b_date_get, DF_MINUTES },
	{ "getSeconds", b_date_get, DF_SECONDS },
	{ "getMilliseconds", b_date_get, DF_MS },
	{ "getTimezoneOffset", b_date_get, DF_OFFSET },
	{ "getUTCFullYear", b_date_get, DF_YEAR | DATE_UTC },
	{ "getUTCMonth", b_date_get, DF_MONTH | DATE_UTC },
	{ "getUTCDate", b_date_get, DF_DATE | DATE_UTC },
	{ "getUTCDay", b_date_get, DF_DAY | DATE_UTC },
	{ "getUTCHours", b_date_get, DF_HOURS | DATE_UTC },
	{ "getUTCMinutes", b_date_get, DF_MINUTES | DATE_UTC },
	{ "getUTCSeconds", b_date_get, DF_SECONDS | DATE_UTC },
	{ "getUTCMilliseconds", b_date_get, DF_MS | DATE_UTC },
	{ "setTime", b_date_set, DF_TIME },
	{ "setFullYear", b_date_set, DF_YEAR },
	{ "setMonth", b_date_set, DF_MONTH },
	{ "setDate", b_date_set, DF_DATE },
	{ "setHours", b_date_set, DF_HOURS },
	{ "setMinutes", b_date_set, DF_MINUTES },
	{ "setSeconds", b_date_set, DF_SECONDS },
	{ "setMilliseconds", b_date_set, DF_MS },
	{ "setUTCFullYear", b_date_set, DF_YEAR | DATE_UTC },
	{ "setUTCMonth", b_date_set, DF_MONTH | DATE_UTC },
	{ "setUTCDate", b_date_set, DF_DATE | DATE_UTC },
	{ "setUTCHours", b_date_set, DF_HOURS | DATE_UTC },
	{ "setUTCMinutes", b_date_set, DF_MINUTES | DATE_UTC },
	{ "setUTCSeconds", b_date_set, DF_SECONDS | DATE_UTC },
	{ "setUTCMilliseconds", b_date_set, DF_MS | DATE_UTC },
	{ "toString", b_date_str, 0 },
	{ "toLocaleString", b_date_str, 0 },
	{ "toDateString", b_date_str, 0 },
	{ "toTimeString", b_date_str, 0 },
	{ "toUTCString", b_date_str, 1 },
	{ "toGMTString", b_date_str, 1 },
	{ "toISOString", b_date_str, 2 },
	{ "toJSON", b_date_str, 2 },
	{ NULL, NULL, 0 }
};

static const struct builtin console_fns[] = {
	{ "log", b_console, 0 }, { "info", b_console, 0 },
	{ "warn", b_console, 0 }, { "error", b_console, 0 },
	{ "debug", b_console, 0 },
	{ NULL, NULL, 0 }
};

/* Code from strings (Function, eval) is not supported. */
static int
b_nofunction(struct pac *P, struct call *c, struct val *out)
{
	(void)out;
	return throw_err(P, c->site, E_TYPE,
	    "code from strings is not supported");
}

static struct obj *
def_native(struct pac *P, struct obj *o, const char *name, native_fn fn,
    int magic)
{
	struct obj *f = native_obj(P, name, fn, magic);
	struct val v = v_obj(f);

	obj_hide(P, o, intern_c(P, name), &v);
	return f;
}

static void
def_natives(struct pac *P, struct obj *o, const struct builtin *b)
{
	for (; b->name != NULL; b++)
		def_native(P, o, b->name, b->fn, b->magic);
}

static void
def_value(struct pac *P, struct obj *o, const char *name, struct val v)
{
	obj_hide(P, o, intern_c(P, name), &v);
}

/* A global constructor with its prototype object. */
static struct obj *
def_ctor(struct pac *P, const char *name, native_fn fn, int magic,
    struct obj *proto)
{
	struct obj *f = def_native(P, P->global, name, fn, magic);

	def_value(P, f, "prototype", v_obj(proto));
	def_value(P, proto, "constructor", v_obj(f));
	return f;
}

static struct obj *
proto_new(struct pac *P, const struct builtin *methods)
{
	struct obj *o = obj_new(P, O_OBJECT, P->p_object);

	if (methods != NULL)
		def_natives(P, o, methods);
	return o;
}

static void
init_globals(struct pac *P)
{
	struct obj *o, *f;
	int i;

	for (i = 0; i < A_COUNT; i++)
		P->a[i] = intern_c(P, atom_names[i]);
	P->p_object = obj_new(P, O_OBJECT, NULL);
	P->p_function = obj_new(P, O_OBJECT, P->p_object);
	P->global = obj_new(P, O_OBJECT, NULL);
	def_natives(P, P->p_object, object_methods);
	def_natives(P, P->p_function, function_methods);
	P->p_array = proto_new(P, array_methods);
	P->p_string = proto_new(P, string_methods);
	P->p_number = proto_new(P, number_methods);
	P->p_boolean = proto_new(P, boolean_methods);
	P->p_regexp = proto_new(P, regexp_methods);
	P->p_date = proto_new(P, date_methods);
	for (i = 0; i < E_COUNT; i++) {
		P->p_error[i] = obj_new(P, O_OBJECT,
		    i == E_ERROR ? P->p_object : P->p_error[E_ERROR]);
		def_value(P, P->p_error[i], "name",
		    v_str(intern_c(P, err_names[i])));
		def_value(P, P->p_error[i], "message", v_str(P->a[A_EMPTY]));
		def_ctor(P, err_names[i], b_error, i, P->p_error[i]);
	}
	def_native(P, P->p_error[E_ERROR], "toString", b_e_tostring, 0);

	def_natives(P, P->global, global_fns);
	f = def_ctor(P, "Object", b_object, 0, P->p_object);
	def_native(P, f, "keys", b_o_keys, 0);
	def_native(P, f, "create", b_o_create, 0);
	def_ctor(P, "Function", b_nofunction, 0, P->p_function);
	f = def_ctor(P, "Array", b_array, 0, P->p_array);
	def_native(P, f, "isArray", b_isarray, 0);
	f = def_ctor(P, "String", b_string, 0, P->p_string);
	def_native(P, f, "fromCharCode", b_s_fromcharcode, 0);
	def_ctor(P, "Number", b_number, 0, P->p_number);
	def_ctor(P, "Boolean", b_boolean, 0, P->p_boolean);
	def_ctor(P, "RegExp", b_regexp, 0, P->p_regexp);
	f = def_ctor(P, "Date", b_date, 0, P->p_date);
	def_native(P, f, "now", b_date_static, 0);
	def_native(P, f, "UTC", b_date_static, 1);
	def_native(P, f, "parse", b_date_static, 2);

	o = obj_new(P, O_OBJECT, P->p_object);
	def_natives(P, o, math_fns);
	def_value(P, o, "PI", v_num(3.141592653589793));
	def_value(P, o, "E", v_num(2.718281828459045));
	def_value(P, o, "LN2", v_num(0.6931471805599453));
	def_value(P, o, "LN10", v_num(2.302585092994046));
	def_value(P, o, "SQRT2", v_num(1.4142135623730951));
	def_value(P, P->global, "Math", v_obj(o));
	o = obj_new(P, O_OBJECT, P->p_object);
	def_natives(P, o, console_fns);
	def_value(P, P->global, "console", v_obj(o));
	def_value(P, P->global, "NaN", v_num(NAN));
	def_value(P, P->global, "Infinity", v_num(INFINITY));
	def_value(P, P->global, "undefined", undef);
	def_value(P, P->global, "globalThis", v_obj(P->global));
}

/* ------------------------------------------------------------ the API */

static void
begin_run(struct pac *P, int gen)
{
	P->gen = gen;
	if (++P->epoch == 0)	/* 0 marks objects no run has saved */
		P->epoch = 1;
	P->steps = 0;
	P->calls = 0;
	P->cdepth = 0;
	P->strdepth = 0;
	P->undo = NULL;
	P->at = NULL;
	P->scope = P->global;
	P->this = undef;
	P->label = NULL;
	P->dns = NULL;
	P->ndns = 0;
	P->now = P->env.now != NULL ? P->env.now(P->env.now_arg) : time(NULL);
}

static void
set_err(char *err, size_t errsz, const char *msg)
{
	if (err != NULL && errsz > 0)
		strlcpy_p(err, msg, errsz);
}

/* "line:col: Name: message" for the exception a run ended with. */
static void
exc_message(struct pac *P)
{
	struct val *v = &P->exc;
	struct str *s;
	char buf[ERR_MAX - 32];
	int n;

	if (v->t == V_OBJ && v->u.o->kind == O_ERROR)
		s = error_string(P, v->u.o);
	else
		s = str_cat(P, str_c(P, "uncaught exception: "), to_str(P, v));
	cstr_short(s, buf, sizeof(buf));
	if (P->exc_line > 0)
		n = snprintf(P->err, sizeof(P->err), "%u:%u: %s",
		    (unsigned)P->exc_line, (unsigned)P->exc_col, buf);
	else
		n = snprintf(P->err, sizeof(P->err), "%s", buf);
	(void)n;
}

static struct val *
entry_point(struct pac *P)
{
	struct val *v = obj_own(P->global, P->a[A_FINDPROXYEX]);

	if (v == NULL || !is_callable(v))
		v = obj_own(P->global, P->a[A_FINDPROXY]);
	return v != NULL && is_callable(v) ? v : NULL;
}

static int
load(struct pac *P, const char *src, size_t len)
{
	struct node *prog;

	init_globals(P);
	P->scope = P->global;
	prog = parse_program(P, src, len);
	hoist(P, P->global, prog->v.fn);
	if (exec_list(P, prog->v.fn->body) == C_THROW) {
		exc_message(P);
		return -1;
	}
	if (entry_point(P) == NULL) {
		strlcpy_p(P->err, "FindProxyForURL is not defined",
		    sizeof(P->err));
		return -1;
	}
	return 0;
}

/* Runs the load with fatal errors caught; 0 or -1 (P->err says why). */
static int
load_guarded(struct pac *P, const char *src, size_t len)
{
	jmp_buf jb;

	P->jb = &jb;
	if (setjmp(jb) != 0)
		return -1;
	begin_run(P, 0);
	return load(P, src, len);
}

struct pac *
pac_load(const char *src, size_t len, const struct pac_env *env, char *err,
    size_t errsz)
{
	struct pac *P;

	if ((P = calloc(1, sizeof(*P))) == NULL) {
		set_err(err, errsz, "out of memory");
		return NULL;
	}
	if (env != NULL)
		P->env = *env;
	P->mem_max = P->env.mem_max ? P->env.mem_max : PAC_MEM_MAX;
	P->steps_max = P->env.steps_max ? P->env.steps_max : PAC_STEPS_MAX;
	P->calls_max = P->env.depth_max > 0 ? P->env.depth_max : PAC_DEPTH_MAX;
	if (pac_set_my_ip(P, P->env.my_ip != NULL ? P->env.my_ip :
	    "127.0.0.1", P->env.my_ip_ex) != 0) {
		set_err(err, errsz, "my_ip too long");
		free(P);
		return NULL;
	}
	P->rng = 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL);
	if (load_guarded(P, src, len) != 0) {
		set_err(err, errsz, P->err);
		pac_free(P);
		return NULL;
	}
	P->base = arena_mark(P);
	P->gen = 1;
	P->jb = NULL;
	return P;
}

/* Copies a result out if it is a string of printable ASCII. */
static int
copy_result(struct pac *P, const struct val *r, char *out, size_t outsz)
{
	uint32_t i;
	char c;

	if (r->t != V_STR) {
		snprintf(P->err, sizeof(P->err),
		    "FindProxyForURL returned %s, not a string",
		    r->t == V_UNDEF ? "undefined" : r->t == V_NULL ? "null" :
		    type_of(P, r)->s);
		return -1;
	}
	for (i = 0; i < r->u.s->len; i++) {
		c = r->u.s->s[i];
		if ((c < 0x20 || c > 0x7e) && c != '\t' && c != '\n' &&
		    c != '\r') {
			strlcpy_p(P->err, "FindProxyForURL returned a string "
			    "that is not printable ASCII", sizeof(P->err));
			return -1;
		}
	}
	if (r->u.s->len >= outsz) {
		strlcpy_p(P->err, "FindProxyForURL returned a string too long",
		    sizeof(P->err));
		return -1;
	}
	memcpy(out, r->u.s->s, r->u.s->len + 1);
	return 0;
}

static int
find_proxy(struct pac *P, const char *url, const char *host, char *out,
    size_t outsz)
{
	struct val *fn = entry_point(P), argv[2], r;

	if (fn == NULL) {
		strlcpy_p(P->err, "FindProxyForURL is not defined",
		    sizeof(P->err));
		return -1;
	}
	argv[0] = v_str(str_c(P, url));
	argv[1] = v_str(str_c(P, host));
	if (call_value(P, fn, &undef, argv, 2, &r, NULL) != 0) {
		exc_message(P);
		return -1;
	}
	return copy_result(P, &r, out, outsz);
}

int
pac_find_proxy(struct pac *P, const char *url, const char *host, char *out,
    size_t outsz, char *err, size_t errsz)
{
	jmp_buf jb;
	volatile int rc = -1;

	if (outsz > 0)
		out[0] = '\0';
	set_err(err, errsz, "");
	P->err[0] = '\0';
	begin_run(P, 1);
	P->jb = &jb;
	if (setjmp(jb) == 0)
		rc = find_proxy(P, url, host, out, outsz);
	if (rc != 0) {
		if (outsz > 0)
			out[0] = '\0';
		set_err(err, errsz, P->err);
	}
	/* put back what this run changed, then drop what it made */
	undo_all(P);
	arena_release(P, P->base);
	P->jb = NULL;
	return rc;
}

int
pac_set_my_ip(struct pac *P, const char *ip, const char *ip_ex)
{
	if (ip_ex == NULL)
		ip_ex = ip;
	if (ip == NULL || strlen(ip) >= sizeof(P->myip) ||
	    strlen(ip_ex) >= sizeof(P->myipex))
		return -1;
	strlcpy_p(P->myip, ip, sizeof(P->myip));
	strlcpy_p(P->myipex, ip_ex, sizeof(P->myipex));
	return 0;
}

void
pac_free(struct pac *P)
{
	struct mark none;

	if (P == NULL)
		return;
	memset(&none, 0, sizeof(none));
	arena_release(P, none);
	free(P);
}


#else	/* !WITH_PAC: the interpreter left out (make PAC=0) */

struct pac *
pac_load(const char *src, size_t len, const struct pac_env *env, char *err,
    size_t errsz)
{
	(void)src;
	(void)len;
	(void)env;
	snprintf(err, errsz, "built without PAC");
	return NULL;
}

int
pac_find_proxy(struct pac *P, const char *url, const char *host, char *out,
    size_t outsz, char *err, size_t errsz)
{
	(void)P;
	(void)url;
	(void)host;
	(void)out;
	(void)outsz;
	snprintf(err, errsz, "built without PAC");
	return -1;
}

int
pac_set_my_ip(struct pac *P, const char *ip, const char *ip_ex)
{
	(void)P;
	(void)ip;
	(void)ip_ex;
	return -1;
}

void
pac_free(struct pac *P)
{
	(void)P;
}

#endif	/* WITH_PAC */

/* ----------------------------------------------------- result strings */

static const struct {
	const char	*name;
	enum pac_type	 type;
	uint16_t	 port;
} pac_types[] = {
	{ "DIRECT", PAC_DIRECT, 0 },
	{ "PROXY", PAC_PROXY, 80 },
	{ "HTTP", PAC_HTTP, 80 },
	{ "HTTPS", PAC_HTTPS, 443 },
	{ "SOCKS", PAC_SOCKS, 1080 },
	{ "SOCKS4", PAC_SOCKS4, 1080 },
	{ "SOCKS5", PAC_SOCKS5, 1080 }
};

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
host_ok(const char *h)
{
	for (; *h != '\0'; h++)
		if (!is_alpha((unsigned char)*h) && !is_digit(*h) &&
		    strchr(".-_:", *h) == NULL)
			return 0;
	return 1;
}

/* One "TYPE host:port" item of p[0..n): 1 stored, 0 empty, -1 bad. */
static int
parse_directive(const char *p, size_t n, struct pac_proxy *px)
{
	size_t i, w, k;
	uint16_t defport;

	while (n > 0 && is_blank((unsigned char)*p)) {
		p++;
		n--;
	}
	while (n > 0 && is_blank((unsigned char)p[n - 1]))
		n--;
	if (n == 0)
		return 0;
	for (w = 0; w < n && !is_blank((unsigned char)p[w]); w++)
		;
	for (i = w; i < n && is_blank((unsigned char)p[i]); i++)
		;
	for (k = 0; k < sizeof(pac_types) / sizeof(pac_types[0]); k++)
		if (strncaseeq(p, w, pac_types[k].name))
			break;
	if (k == sizeof(pac_types) / sizeof(pac_types[0]))
		return -1;
	memset(px, 0, sizeof(*px));
	px->type = pac_types[k].type;
	defport = pac_types[k].port;
	if (px->type == PAC_DIRECT)
		return i == n ? 1 : -1;
	if (i == n)
		return -1;
	for (k = i; k < n; k++)
		if (is_blank((unsigned char)p[k]))
			return -1;
	if (parse_hostport(p + i, n - i, px->host, sizeof(px->host),
	    &px->port, defport) != 0 || !host_ok(px->host))
		return -1;
	return 1;
}

int
pac_parse_result(const char *s, struct pac_proxy *out, size_t max)
{
	struct pac_proxy px;
	const char *e;
	size_t stored = 0, seen = 0;
	int r;

	for (;;) {
		e = strchr(s, ';');
		if (e == NULL)
			e = s + strlen(s);
		if ((r = parse_directive(s, (size_t)(e - s), &px)) < 0)
			return -1;
		if (r > 0) {
			seen++;
			if (stored < max)
				out[stored++] = px;
		}
		if (*e == '\0')
			break;
		s = e + 1;
	}
	return seen > 0 && stored > 0 ? (int)stored : -1;
}

const char *
pac_type_name(enum pac_type t)
{
	size_t k;

	for (k = 0; k < sizeof(pac_types) / sizeof(pac_types[0]); k++)
		if (pac_types[k].type == t)
			return pac_types[k].name;
	return "DIRECT";
}
