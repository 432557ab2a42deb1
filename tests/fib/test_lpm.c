/* Unit tests of the FIB's dataplane LPM structures (lpm4, lpm6, fib_lpm):
 * differential tests against a plain binary trie on the real Internet
 * table (../shared/data/prefixes.txt.gz) and on random tables, before and
 * after insert/delete/replace churn, single and batched lookups; edge
 * cases and errors; memory reuse; lookups on reader threads racing with
 * continuous updates (every answer must be one that was valid at some
 * moment); and batched FIB lookups against single ones.
 *
 * Sizes: millions of lookups per family in a normal build; under
 * AddressSanitizer a tenth of that. LPM_TEST_SCALE (a percentage) scales
 * both; USNET_PREFIXES names another table file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <urcu-qsbr.h>

#include "core/util.h"
#include "fib/fib.h"
#include "fib/fib_fwd.h"
#include "fib/fib_batch.h"
#include "fib/lpm4.h"
#include "fib/lpm6.h"

#ifdef __SANITIZE_ADDRESS__
#define DEFAULT_SCALE 10u
#else
#define DEFAULT_SCALE 100u
#endif

/* ---- helpers ---- */

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned scale_pct(void)
{
	const char *s = getenv("LPM_TEST_SCALE");

	return s && atoi(s) > 0 ? (unsigned)atoi(s) : DEFAULT_SCALE;
}

static size_t scaled(size_t n)
{
	size_t m = n * scale_pct() / 100;

	return m ? m : 1;
}

struct pfx {
	uint8_t a[16];
	uint8_t len;
	bool live;
	uint32_t value;
};

/* a with the bits past len replaced by random ones (an address inside). */
static void addr_inside(const uint8_t *p, unsigned len, unsigned bytes,
			uint8_t *a)
{
	for (unsigned b = 0; b < bytes; b++) {
		unsigned keep_bits = len >= 8 * b + 8 ? 8 : len > 8 * b ?
				     len - 8 * b : 0;
		uint8_t keep = (uint8_t)(0xff00u >> keep_bits);

		a[b] = (uint8_t)((p[b] & keep) | ((uint8_t)rnd() & ~keep));
	}
}

static void mask_bytes(uint8_t *a, unsigned len, unsigned bytes)
{
	for (unsigned b = 0; b < bytes; b++) {
		unsigned keep_bits = len >= 8 * b + 8 ? 8 : len > 8 * b ?
				     len - 8 * b : 0;

		a[b] &= (uint8_t)(0xff00u >> keep_bits);
	}
}

static bool covers(const uint8_t *p, unsigned len, const uint8_t *a)
{
	for (unsigned b = 0; 8 * b < len; b++) {
		unsigned bits = len - 8 * b >= 8 ? 8 : len - 8 * b;
		uint8_t m = (uint8_t)(0xff00u >> bits);

		if ((p[b] & m) != (a[b] & m))
			return false;
	}
	return true;
}

/* ---- reference: a plain binary trie, one bit per level ---- */

struct ref {
	uint32_t (*n)[3];   /* child[0], child[1] (0 = none), value */
	size_t nn, cap;
};

static void ref_init(struct ref *r)
{
	r->cap = 1024;
	r->n = calloc(r->cap, sizeof(*r->n));
	assert_non_null(r->n);
	r->nn = 1;   /* the root */
}

static void ref_fini(struct ref *r)
{
	free(r->n);
	memset(r, 0, sizeof(*r));
}

static unsigned bit_at(const uint8_t *a, unsigned i)
{
	return a[i >> 3] >> (7 - (i & 7)) & 1u;
}

/* value 0 removes. */
static void ref_set(struct ref *r, const uint8_t *p, unsigned len,
		    uint32_t value)
{
	uint32_t cur = 0;

	for (unsigned i = 0; i < len; i++) {
		unsigned b = bit_at(p, i);

		if (!r->n[cur][b]) {
			if (r->nn == r->cap) {
				r->cap *= 2;
				r->n = realloc(r->n, r->cap * sizeof(*r->n));
				assert_non_null(r->n);
			}
			memset(r->n[r->nn], 0, sizeof(r->n[0]));
			r->n[cur][b] = (uint32_t)r->nn++;
		}
		cur = r->n[cur][b];
	}
	r->n[cur][2] = value;
}

static uint32_t ref_lookup(const struct ref *r, const uint8_t *a,
			   unsigned bits)
{
	uint32_t cur = 0, best = r->n[0][2];

	for (unsigned i = 0; i < bits; i++) {
		cur = r->n[cur][bit_at(a, i)];
		if (!cur)
			break;
		if (r->n[cur][2])
			best = r->n[cur][2];
	}
	return best;
}

/* ---- one family's table under test, LPM and reference side by side ---- */

struct tab {
	int family;
	unsigned bytes;
	struct lpm4 *v4;
	struct lpm6 *v6;
	struct ref ref;
	struct pfx *p;
	size_t np;
};

static void tab_init(struct tab *t, int family)
{
	memset(t, 0, sizeof(*t));
	t->family = family;
	t->bytes = family == AF_INET ? 4 : 16;
	if (family == AF_INET)
		t->v4 = lpm4_new();
	else
		t->v6 = lpm6_new();
	assert_true(t->v4 || t->v6);
	ref_init(&t->ref);
}

static void tab_fini(struct tab *t)
{
	lpm4_free(t->v4);
	lpm6_free(t->v6);
	ref_fini(&t->ref);
	free(t->p);
}

static uint32_t u32_of(const uint8_t *a)
{
	uint32_t x;

	memcpy(&x, a, 4);
	return x;
}

static int tab_lpm_add(struct tab *t, const uint8_t *p, unsigned len,
		       uint32_t v)
{
	return t->v4 ? lpm4_add(t->v4, u32_of(p), len, v)
		     : lpm6_add(t->v6, p, len, v);
}

static int tab_lpm_del(struct tab *t, const uint8_t *p, unsigned len)
{
	return t->v4 ? lpm4_del(t->v4, u32_of(p), len)
		     : lpm6_del(t->v6, p, len);
}

static bool tab_lpm_get(struct tab *t, const uint8_t *p, unsigned len,
			uint32_t *v)
{
	return t->v4 ? lpm4_get(t->v4, u32_of(p), len, v)
		     : lpm6_get(t->v6, p, len, v);
}

static uint32_t tab_lookup(const struct tab *t, const uint8_t *a)
{
	return t->v4 ? lpm4_lookup(t->v4, u32_of(a)) : lpm6_lookup(t->v6, a);
}

static void tab_batch(const struct tab *t, const void *a, size_t stride,
		      unsigned n, uint32_t *v)
{
	if (t->v4)
		lpm4_lookup_batch(t->v4, a, stride, n, v);
	else
		lpm6_lookup_batch(t->v6, a, stride, n, v);
}

static void tab_stats(const struct tab *t, struct lpm_stats *st)
{
	if (t->v4)
		lpm4_stats(t->v4, st);
	else
		lpm6_stats(t->v6, st);
}

/* Set prefix i live with value v in both (add or replace). */
static void tab_put(struct tab *t, size_t i, uint32_t v)
{
	struct pfx *x = &t->p[i];
	int rc = tab_lpm_add(t, x->a, x->len, v);

	if (rc != 0)
		fail_msg("add of prefix %zu /%u value %u: %d", i, x->len, v, rc);
	ref_set(&t->ref, x->a, x->len, v);
	x->live = true;
	x->value = v;
}

static void tab_remove(struct tab *t, size_t i)
{
	struct pfx *x = &t->p[i];
	int rc = tab_lpm_del(t, x->a, x->len);

	if (rc != 0)
		fail_msg("delete of prefix %zu /%u: %d", i, x->len, rc);
	ref_set(&t->ref, x->a, x->len, 0);
	x->live = false;
	/* A second delete must say it is gone. */
	assert_int_equal(tab_lpm_del(t, x->a, x->len), -ENOENT);
}

static void tab_push(struct tab *t, const uint8_t *a, unsigned len)
{
	if ((t->np & 1023) == 0) {
		t->p = realloc(t->p, (t->np + 1024) * sizeof(*t->p));
		assert_non_null(t->p);
	}
	memset(&t->p[t->np], 0, sizeof(t->p[0]));
	memcpy(t->p[t->np].a, a, t->bytes);
	mask_bytes(t->p[t->np].a, len, t->bytes);
	t->p[t->np].len = (uint8_t)len;
	t->np++;
}

/* tab_push() unless the prefix is already listed; false then. */
static bool tab_push_new(struct tab *t, const uint8_t *a, unsigned len)
{
	uint8_t m[16] = { 0 };

	memcpy(m, a, t->bytes);
	mask_bytes(m, len, t->bytes);
	for (size_t i = 0; i < t->np; i++)
		if (t->p[i].len == len && !memcmp(t->p[i].a, m, t->bytes))
			return false;
	tab_push(t, m, len);
	return true;
}


/* ---- the real table ---- */

static const char *prefix_file(void)
{
	const char *env = getenv("USNET_PREFIXES");
	static const char *const paths[] = {
		"../shared/data/prefixes.txt.gz",
		"/work/shared/data/prefixes.txt.gz",
	};

	if (env)
		return env;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (access(paths[i], R_OK) == 0)
			return paths[i];
	return NULL;
}

/* Fill t with the real table's prefixes of t's family (not yet added).
 * False when the file is not there. */
static bool load_real(struct tab *t)
{
	const char *path = prefix_file();
	char cmd[512], line[128], *slash, *end;
	uint8_t a[16];
	long len;
	FILE *f;

	if (!path || access(path, R_OK) != 0)
		return false;
	snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", path);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		slash = strchr(line, '/');
		if (!slash)
			continue;
		*slash = '\0';
		len = strtol(slash + 1, &end, 10);
		if (*end || len < 0 || len > 8 * (long)t->bytes ||
		    inet_pton(t->family, line, a) != 1)
			continue;
		tab_push(t, a, (unsigned)len);
	}
	assert_int_equal(pclose(f), 0);
	return true;
}

/* ---- checks ---- */

/* An address: inside a random live prefix (in_table) or uniform. */
static bool sample_addr(const struct tab *t, bool in_table, uint8_t *a)
{
	if (in_table) {
		for (int tries = 0; tries < 64; tries++) {
			const struct pfx *x = &t->p[rnd() % t->np];

			if (x->live) {
				addr_inside(x->a, x->len, t->bytes, a);
				return true;
			}
		}
	}
	addr_inside(a, 0, t->bytes, a);
	return false;
}

#define CHECK_BATCH 200u   /* not a multiple of the internal group size */

/* n lookups of each kind (in-table, uniform), single and batched (with a
 * packed array and with union pkt_addr's stride), against the reference. */
static void tab_check(const struct tab *t, size_t n, const char *phase)
{
	uint8_t a[CHECK_BATCH][16];
	union pkt_addr u[CHECK_BATCH];
	uint32_t want[CHECK_BATCH], got[CHECK_BATCH], got_u[CHECK_BATCH];
	size_t done = 0, hits = 0;

	while (done < 2 * n) {
		unsigned m = CHECK_BATCH - (unsigned)(rnd() % 7);

		for (unsigned i = 0; i < m; i++) {
			sample_addr(t, done < n, a[i]);
			memset(&u[i], 0, sizeof(u[i]));
			memcpy(&u[i], a[i], t->bytes);
			want[i] = ref_lookup(&t->ref, a[i], 8 * t->bytes);
		}
		if (t->v4) {
			uint32_t packed[CHECK_BATCH];

			for (unsigned i = 0; i < m; i++)
				packed[i] = u32_of(a[i]);
			tab_batch(t, packed, sizeof(packed[0]), m, got);
		} else {
			tab_batch(t, a, sizeof(a[0]), m, got);
		}
		tab_batch(t, u, sizeof(u[0]), m, got_u);
		for (unsigned i = 0; i < m; i++) {
			uint32_t single = tab_lookup(t, a[i]);
			char s[INET6_ADDRSTRLEN];

			if (single != want[i] || got[i] != want[i] ||
			    got_u[i] != want[i]) {
				inet_ntop(t->family, a[i], s, sizeof(s));
				fail_msg("%s: %s: lookup %u, batch %u/%u, "
					 "reference %u", phase, s, single,
					 got[i], got_u[i], want[i]);
			}
			hits += want[i] != 0;
		}
		done += m;
	}
	/* The sample must have exercised real matches. */
	assert_true(hits > done / 4);
}

/* Every live prefix reads back its value. */
static void tab_check_get(struct tab *t)
{
	uint32_t v;

	for (size_t i = 0; i < t->np; i++) {
		bool have = tab_lpm_get(t, t->p[i].a, t->p[i].len, &v);

		if (have != t->p[i].live || (have && v != t->p[i].value))
			fail_msg("get of prefix %zu: have %d (want %d) value "
				 "%u (want %u)", i, have, t->p[i].live,
				 have ? v : 0, t->p[i].value);
	}
}

/* Delete about a quarter, replace the value of a tenth, re-add half of the
 * deleted ones with new values. */
static void tab_churn(struct tab *t, uint32_t *next_value)
{
	size_t deleted = 0;

	for (size_t i = 0; i < t->np; i++) {
		uint64_t r = rnd() % 100;

		if (!t->p[i].live)
			continue;
		if (r < 25) {
			tab_remove(t, i);
			deleted++;
		} else if (r < 35) {
			tab_put(t, i, (*next_value)++ % LPM_VALUE_MAX + 1);
		}
	}
	for (size_t i = 0; i < t->np; i++)
		if (!t->p[i].live && rnd() % 2)
			tab_put(t, i, (*next_value)++ % LPM_VALUE_MAX + 1);
	assert_true(deleted > 0);
}

static void tab_remove_all(struct tab *t)
{
	struct lpm_stats st;
	uint8_t a[16];

	for (size_t i = 0; i < t->np; i++)
		if (t->p[i].live)
			tab_remove(t, i);
	tab_stats(t, &st);
	assert_int_equal(st.prefixes, 0);
	assert_int_equal(st.nodes, 0);
	assert_int_equal(st.leaves, 0);
	for (int i = 0; i < 1000; i++) {
		sample_addr(t, false, a);
		assert_int_equal(tab_lookup(t, a), 0);
	}
}

/* ---- real table ---- */

static void real_table(int family)
{
	struct tab t;
	struct lpm_stats st;
	uint32_t next_value;
	size_t n = scaled(1000000);

	tab_init(&t, family);
	if (!load_real(&t)) {
		tab_fini(&t);
		skip();
	}
	assert_true(t.np > (family == AF_INET ? 500000u : 100000u));
	for (size_t i = 0; i < t.np; i++)
		tab_put(&t, i, (uint32_t)(i + 1));
	next_value = (uint32_t)t.np + 1;
	tab_stats(&t, &st);
	assert_int_equal(st.prefixes, t.np);
	print_message("  %s: %zu prefixes, %zu nodes, %zu leaves, %zu KiB "
		      "of nodes; %zu + %zu lookups per check\n",
		      family == AF_INET ? "IPv4" : "IPv6", t.np, st.nodes,
		      st.leaves, st.node_bytes >> 10, n, n);
	tab_check(&t, n, "full table");
	tab_check_get(&t);
	tab_churn(&t, &next_value);
	tab_check(&t, n, "after churn");
	tab_check_get(&t);
	tab_churn(&t, &next_value);
	tab_check(&t, n / 2, "after second churn");
	tab_remove_all(&t);
	tab_fini(&t);
}

static void test_real_v4(void **state)
{
	(void)state;
	real_table(AF_INET);
}

static void test_real_v6(void **state)
{
	(void)state;
	real_table(AF_INET6);
}

/* ---- random tables ---- */

/* A prefix length: every length, biased to the ones at the edges of the
 * direct array and of nodes. Very short ones rewrite millions of direct
 * entries each, so only a few of those. */
static unsigned rand_len(unsigned bits)
{
	static const uint8_t v4[] = { 8, 9, 15, 16, 17, 20, 23, 24, 24, 25,
				      28, 31, 32, 32 };
	static const uint8_t v6[] = { 16, 17, 23, 24, 25, 29, 32, 40, 44, 48,
				      48, 56, 63, 64, 65, 96, 127, 128 };
	unsigned len;

	if (rnd() % 4 == 0)
		len = (unsigned)(rnd() % (bits + 1));
	else
		len = bits == 32 ? v4[rnd() % sizeof(v4)]
				 : v6[rnd() % sizeof(v6)];
	if (len < 8 && rnd() % 16)
		len += 8;
	return len;
}

/* Prefixes clustered in a few regions so they nest and share nodes. */
static void rand_prefix(const struct tab *t, uint8_t *a, unsigned *len)
{
	static const uint8_t hubs[4][16] = {
		{ 10, 1, 2, 3 }, { 192, 168, 0, 0 }, { 0x20, 0x01, 0x0d, 0xb8 },
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};
	unsigned hub_bits = (unsigned)(rnd() % (8 * t->bytes));

	addr_inside(hubs[rnd() % 4], hub_bits, t->bytes, a);
	if (rnd() % 3 == 0)
		addr_inside(a, 0, t->bytes, a);
	*len = rand_len(8 * t->bytes);
	mask_bytes(a, *len, t->bytes);
}

static void random_tables(int family)
{
	uint32_t next_value = 1;
	size_t first_pool = 0;

	for (unsigned round = 0; round < (scale_pct() >= 100 ? 6u : 3u);
	     round++) {
		struct tab t;
		struct lpm_stats st;
		uint8_t a[16];
		unsigned len;
		size_t np = 200 + (size_t)(rnd() % 3000);

		tab_init(&t, family);
		for (size_t i = 0; i < np; i++) {
			rand_prefix(&t, a, &len);
			tab_push_new(&t, a, len);
		}
		for (size_t i = 0; i < t.np; i++)
			tab_put(&t, i, next_value++ % LPM_VALUE_MAX + 1);
		tab_check(&t, scaled(50000), "random table");
		tab_check_get(&t);
		for (unsigned c = 0; c < 4; c++) {
			tab_churn(&t, &next_value);
			tab_check(&t, scaled(20000), "random table churn");
		}
		tab_check_get(&t);
		/* Memory comes back: the pools do not keep growing when the
		 * same table is rebuilt. */
		for (unsigned rebuild = 0; rebuild < 3; rebuild++) {
			tab_remove_all(&t);
			for (size_t i = 0; i < t.np; i++)
				if (rnd() % 2 || rebuild == 2)
					tab_put(&t, i, next_value++ %
						       LPM_VALUE_MAX + 1);
			tab_stats(&t, &st);
			if (round == 0 && rebuild == 0)
				first_pool = st.pool_bytes;
		}
		tab_check(&t, scaled(20000), "random table rebuilt");
		if (round == 0) {
			tab_stats(&t, &st);
			assert_true(st.pool_bytes <= 2 * first_pool + 65536);
		}
		tab_fini(&t);
	}
}

static void test_random_v4(void **state)
{
	(void)state;
	rng = 11;
	random_tables(AF_INET);
}

static void test_random_v6(void **state)
{
	(void)state;
	rng = 12;
	random_tables(AF_INET6);
}

/* ---- edge cases and errors ---- */

static uint32_t ip4(const char *s)
{
	uint32_t a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static void test_edges_v4(void **state)
{
	struct lpm4 *t = lpm4_new();
	struct lpm_stats st;
	uint32_t v = 0;

	(void)state;
	assert_non_null(t);
	assert_int_equal(lpm4_lookup(t, ip4("1.2.3.4")), 0);
	assert_int_equal(lpm4_add(t, ip4("10.0.0.0"), 33, 1), -EINVAL);
	assert_int_equal(lpm4_add(t, ip4("10.0.0.0"), 8, 0), -EINVAL);
	assert_int_equal(lpm4_add(t, ip4("10.0.0.0"), 8, LPM_VALUE_MAX + 1),
			 -EINVAL);
	assert_int_equal(lpm4_del(t, ip4("10.0.0.0"), 8), -ENOENT);
	assert_int_equal(lpm4_del(t, ip4("10.0.0.0"), 40), -EINVAL);
	/* Default route, a host route, the largest value. */
	assert_int_equal(lpm4_add(t, 0, 0, 7), 0);
	assert_int_equal(lpm4_lookup(t, ip4("203.0.113.9")), 7);
	assert_int_equal(lpm4_add(t, ip4("203.0.113.9"), 32, LPM_VALUE_MAX), 0);
	assert_int_equal(lpm4_lookup(t, ip4("203.0.113.9")), LPM_VALUE_MAX);
	assert_int_equal(lpm4_lookup(t, ip4("203.0.113.8")), 7);
	assert_int_equal(lpm4_lookup(t, ip4("203.0.113.10")), 7);
	/* Host bits are ignored; get sees the masked prefix. */
	assert_int_equal(lpm4_add(t, ip4("10.1.2.3"), 16, 3), 0);
	assert_true(lpm4_get(t, ip4("10.1.0.0"), 16, &v));
	assert_int_equal(v, 3);
	assert_false(lpm4_get(t, ip4("10.1.0.0"), 17, &v));
	assert_int_equal(lpm4_lookup(t, ip4("10.1.255.255")), 3);
	assert_int_equal(lpm4_lookup(t, ip4("10.2.0.0")), 7);
	/* Re-adding replaces the value; same value is a no-op. */
	assert_int_equal(lpm4_add(t, ip4("10.1.0.0"), 16, 4), 0);
	assert_int_equal(lpm4_add(t, ip4("10.1.0.0"), 16, 4), 0);
	assert_int_equal(lpm4_lookup(t, ip4("10.1.0.1")), 4);
	/* A /17 inside the /16; deleting it falls back to the /16. */
	assert_int_equal(lpm4_add(t, ip4("10.1.128.0"), 17, 5), 0);
	assert_int_equal(lpm4_lookup(t, ip4("10.1.127.255")), 4);
	assert_int_equal(lpm4_lookup(t, ip4("10.1.128.0")), 5);
	lpm4_stats(t, &st);
	assert_int_equal(st.prefixes, 4);
	assert_true(st.nodes >= 1);   /* the host route needs one */
	assert_int_equal(lpm4_del(t, ip4("10.1.128.0"), 17), 0);
	assert_int_equal(lpm4_lookup(t, ip4("10.1.128.0")), 4);
	/* The /16 goes: its range falls back to the default route. */
	assert_int_equal(lpm4_del(t, ip4("10.1.0.0"), 16), 0);
	assert_int_equal(lpm4_lookup(t, ip4("10.1.128.0")), 7);
	/* The default goes: only the host route is left. */
	assert_int_equal(lpm4_del(t, 0, 0), 0);
	assert_int_equal(lpm4_lookup(t, ip4("10.1.128.0")), 0);
	assert_int_equal(lpm4_lookup(t, ip4("203.0.113.9")), LPM_VALUE_MAX);
	assert_int_equal(lpm4_del(t, ip4("203.0.113.9"), 32), 0);
	lpm4_stats(t, &st);
	assert_int_equal(st.prefixes, 0);
	assert_int_equal(st.nodes, 0);
	lpm4_reclaim(t);
	lpm4_free(t);
	lpm4_free(NULL);
}

static void test_edges_v6(void **state)
{
	struct lpm6 *t = lpm6_new();
	uint8_t p[16], a[16];
	uint32_t v = 0;

	(void)state;
	assert_non_null(t);
	inet_pton(AF_INET6, "2001:db8::", p);
	assert_int_equal(lpm6_add(t, p, 129, 1), -EINVAL);
	assert_int_equal(lpm6_add(t, p, 32, 1), 0);
	inet_pton(AF_INET6, "2001:db8:ffff::1", a);
	assert_int_equal(lpm6_lookup(t, a), 1);
	/* /128 at the last byte level, and /127 beside it. */
	assert_int_equal(lpm6_add(t, a, 128, 2), 0);
	assert_int_equal(lpm6_lookup(t, a), 2);
	a[15] ^= 1;
	assert_int_equal(lpm6_lookup(t, a), 1);
	assert_int_equal(lpm6_add(t, a, 127, 3), 0);
	assert_int_equal(lpm6_lookup(t, a), 3);
	a[15] ^= 1;
	assert_int_equal(lpm6_lookup(t, a), 2);
	assert_int_equal(lpm6_del(t, a, 128), 0);
	assert_int_equal(lpm6_lookup(t, a), 3);
	assert_true(lpm6_get(t, a, 127, &v));
	assert_int_equal(v, 3);
	/* ::/0 under everything. */
	memset(p, 0, sizeof(p));
	assert_int_equal(lpm6_add(t, p, 0, 9), 0);
	memset(a, 0xfe, sizeof(a));
	assert_int_equal(lpm6_lookup(t, a), 9);
	assert_int_equal(lpm6_del(t, p, 0), 0);
	assert_int_equal(lpm6_lookup(t, a), 0);
	lpm6_free(t);
}

/* Single and batched lookup agree on a, and give want. */
static void expect6(const struct lpm6 *t, const char *addr, uint32_t want)
{
	uint8_t a[2][16];
	uint32_t v[2] = { 0, 0 };

	assert_int_equal(inet_pton(AF_INET6, addr, a[0]), 1);
	memcpy(a[1], a[0], 16);
	lpm6_lookup_batch(t, a, 16, 2, v);
	assert_int_equal(lpm6_lookup(t, a[0]), want);
	assert_int_equal(v[0], want);
	assert_int_equal(v[1], want);
}

static size_t cached6(const struct lpm6 *t)
{
	struct lpm_stats st;

	lpm6_stats(t, &st);
	return st.cached;
}

/* The /48 cache holds exactly the stored /48s with nothing longer inside,
 * follows their values, and grows with their number. */
static void test_cache_v6(void **state)
{
	struct lpm6 *t = lpm6_new();
	uint8_t p[16];
	size_t n = 20000;

	(void)state;
	assert_non_null(t);
	assert_int_equal(cached6(t), 0);
	inet_pton(AF_INET6, "2001:db8::", p);
	assert_int_equal(lpm6_add(t, p, 32, 1), 0);
	inet_pton(AF_INET6, "2001:db8:1::", p);
	assert_int_equal(lpm6_add(t, p, 48, 5), 0);
	assert_int_equal(cached6(t), 1);
	expect6(t, "2001:db8:1:ffff::1", 5);
	expect6(t, "2001:db8:2::1", 1);
	/* Something longer inside: out of the cache, the trie answers. */
	inet_pton(AF_INET6, "2001:db8:1:ff00::", p);
	assert_int_equal(lpm6_add(t, p, 56, 6), 0);
	assert_int_equal(cached6(t), 0);
	expect6(t, "2001:db8:1:ff12::1", 6);
	expect6(t, "2001:db8:1:fe00::1", 5);
	assert_int_equal(lpm6_del(t, p, 56), 0);
	assert_int_equal(cached6(t), 1);
	expect6(t, "2001:db8:1:ff12::1", 5);
	/* A new value, a shorter prefix over it, then the /48 gone. */
	inet_pton(AF_INET6, "2001:db8:1::", p);
	assert_int_equal(lpm6_add(t, p, 48, 7), 0);
	expect6(t, "2001:db8:1:ff12::1", 7);
	inet_pton(AF_INET6, "2001::", p);
	assert_int_equal(lpm6_add(t, p, 16, 8), 0);
	expect6(t, "2001:db8:1:ff12::1", 7);
	assert_int_equal(cached6(t), 1);
	inet_pton(AF_INET6, "2001:db8:1::", p);
	assert_int_equal(lpm6_del(t, p, 48), 0);
	assert_int_equal(cached6(t), 0);
	expect6(t, "2001:db8:1:ff12::1", 1);
	/* Many /48s: the cache grows; nearly all fit (a full bucket leaves
	 * one out, never a wrong answer). */
	for (size_t i = 0; i < n; i++) {
		memset(p, 0, sizeof(p));
		p[0] = 0x2a;
		p[1] = (uint8_t)(i >> 16);
		p[2] = (uint8_t)(i >> 8);
		p[3] = (uint8_t)i;
		p[4] = (uint8_t)(i * 7);
		p[5] = (uint8_t)(i * 13);
		assert_int_equal(lpm6_add(t, p, 48, (uint32_t)(100 + i)), 0);
	}
	assert_true(cached6(t) >= n * 95 / 100);
	expect6(t, "2a00:3039:8fe5::1", 100 + 12345);
	for (size_t i = 0; i < n; i++) {
		p[1] = (uint8_t)(i >> 16);
		p[2] = (uint8_t)(i >> 8);
		p[3] = (uint8_t)i;
		p[4] = (uint8_t)(i * 7);
		p[5] = (uint8_t)(i * 13);
		assert_int_equal(lpm6_del(t, p, 48), 0);
	}
	assert_int_equal(cached6(t), 0);
	lpm6_free(t);
}

/* ---- lookups racing with updates ---- */


#define RACE_PROBES 16u
#define RACE_ALLOWED 256u

struct race_probe {
	uint8_t a[16];
	uint32_t ok[RACE_ALLOWED];   /* valid answers */
	unsigned nok;
};

struct race {
	int family;
	unsigned bytes;
	struct tab *t;
	struct race_probe probe[RACE_PROBES];
	volatile bool stop;
	unsigned long lookups[2], bad[2];
	char why[2][200];
};

static bool probe_ok(const struct race_probe *p, uint32_t v)
{
	for (unsigned k = 0; k < p->nok; k++)
		if (p->ok[k] == v)
			return true;
	return false;
}

static void race_note(struct race *r, unsigned id, const struct race_probe *p,
		      uint32_t got, const char *how)
{
	char s[INET6_ADDRSTRLEN];

	if (r->bad[id]++)
		return;
	inet_ntop(r->family, p->a, s, sizeof(s));
	snprintf(r->why[id], sizeof(r->why[id]), "%s lookup of %s gave %u, "
		 "not one of its %u valid answers", how, s, got, p->nok);
}

struct race_arg {
	struct race *r;
	unsigned id;
};

static void *race_reader(void *arg)
{
	struct race_arg *ra = arg;
	struct race *r = ra->r;
	uint8_t a[RACE_PROBES][16];
	uint32_t got[RACE_PROBES];

	for (unsigned i = 0; i < RACE_PROBES; i++)
		memcpy(a[i], r->probe[i].a, 16);
	rcu_register_thread();
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		for (unsigned i = 0; i < RACE_PROBES; i++) {
			uint32_t v = tab_lookup(r->t, a[i]);

			if (!probe_ok(&r->probe[i], v))
				race_note(r, ra->id, &r->probe[i], v, "single");
		}
		tab_batch(r->t, a, sizeof(a[0]), RACE_PROBES, got);
		for (unsigned i = 0; i < RACE_PROBES; i++)
			if (!probe_ok(&r->probe[i], got[i]))
				race_note(r, ra->id, &r->probe[i], got[i],
					  "batched");
		r->lookups[ra->id] += 2 * RACE_PROBES;
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

/* Churn prefixes i have two values: 1000 + 2i and 1001 + 2i. */
static uint32_t churn_value(size_t i, unsigned which)
{
	return 1000u + 2u * (uint32_t)i + which;
}

/* The set of answers that can be right for a probe while the churn
 * prefixes come and go: the longest permanent prefix covering it, and
 * both values of any churn prefix covering it that is longer. */
static void race_allowed(struct race *r, size_t nperm, struct race_probe *p)
{
	const struct tab *t = r->t;
	int best = -1;

	p->nok = 0;
	for (size_t i = 0; i < nperm; i++)
		if (covers(t->p[i].a, t->p[i].len, p->a) &&
		    (best < 0 || t->p[i].len > t->p[best].len))
			best = (int)i;
	p->ok[p->nok++] = best < 0 ? 0 : t->p[best].value;
	for (size_t i = nperm; i < t->np; i++)
		if (covers(t->p[i].a, t->p[i].len, p->a) &&
		    (best < 0 || t->p[i].len > t->p[best].len)) {
			assert_true(p->nok + 2 <= RACE_ALLOWED);
			p->ok[p->nok++] = churn_value(i - nperm, 0);
			p->ok[p->nok++] = churn_value(i - nperm, 1);
		}
}

/* Readers: one per CPU beside the writer's, one or two. */
static unsigned race_readers(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN) > 2 ? 2 : 1;
}

/* Churn prefixes focused on the probes: each is a probe's address cut to
 * a random length (so chains of nested prefixes cover every probe and
 * every update lands on some probe's path), one in eight a random prefix
 * inside base (changes sharing nodes with the probes' ones). */
static void race_churn_prefixes(struct tab *t, const struct race_probe *probe,
				const struct pfx *base, size_t want)
{
	uint8_t a[16];

	for (unsigned tries = 0; t->np < want; tries++) {
		unsigned bits = 8 * t->bytes;
		unsigned len = (unsigned)(rnd() % (bits + 1));

		assert_true(tries < 1000 * want);
		if (rnd() % 8 == 0) {
			addr_inside(base->a, base->len, t->bytes, a);
			len = base->len + (unsigned)(rnd() % (bits + 1 -
							      base->len));
		} else {
			memcpy(a, probe[rnd() % RACE_PROBES].a, t->bytes);
		}
		/* Short prefixes rewrite up to millions of direct entries
		 * each: a few /8../11, nothing shorter (the random-table
		 * tests cover those). */
		if (len < 8 || (len < 12 && rnd() % 32))
			len = 12 + (unsigned)(rnd() % (bits - 11));
		tab_push_new(t, a, len);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void race_run(int family)
{
	static const char *const perm4[] = {
		"10.0.0.0/8", "10.1.2.200/32", "10.77.0.0/16", "10.1.3.0/28",
		"172.16.0.0/12",
	};
	static const char *const perm6[] = {
		"2001:db8::/32", "2001:db8:1:2::c8/128", "2001:db8:77::/48",
		"2001:db8:1:3::/60", "2400::/12",
	};
	const char *const *perm = family == AF_INET ? perm4 : perm6;
	struct race r;
	struct tab t;
	struct race_arg ra[2];
	pthread_t th[2];
	uint8_t a[16];
	unsigned nperm = 5, nchurn = 400, nread = race_readers();
	unsigned long ops = 0, target = scale_pct() >= 100 ? 200000 : 20000;
	double end;

	memset(&r, 0, sizeof(r));
	tab_init(&t, family);
	r.family = family;
	r.bytes = t.bytes;
	r.t = &t;
	for (unsigned i = 0; i < nperm; i++) {
		char buf[64];
		char *slash;

		snprintf(buf, sizeof(buf), "%s", perm[i]);
		slash = strchr(buf, '/');
		*slash = '\0';
		assert_int_equal(inet_pton(family, buf, a), 1);
		tab_push(&t, a, (unsigned)atoi(slash + 1));
		tab_put(&t, i, 1 + i);
	}
	/* Probes: two under the permanent host route, two under the /28
	 * (/60), the rest inside the wide permanent prefixes. */
	for (unsigned i = 0; i < RACE_PROBES; i++) {
		static const uint8_t where[] = { 1, 1, 3, 3, 0, 0, 0, 0, 0, 0,
						 2, 2, 2, 4, 4, 4 };
		const struct pfx *x = &t.p[where[i]];

		addr_inside(x->a, x->len, t.bytes, r.probe[i].a);
	}
	race_churn_prefixes(&t, r.probe, &t.p[0], nperm + nchurn);
	for (unsigned i = 0; i < RACE_PROBES; i++)
		race_allowed(&r, nperm, &r.probe[i]);
	for (unsigned k = 0; k < nread; k++) {
		ra[k].r = &r;
		ra[k].id = k;
		assert_int_equal(pthread_create(&th[k], NULL, race_reader,
						&ra[k]), 0);
	}
	/* A fixed number of updates (not a time window: no timed asserts),
	 * then wait, bounded, until every reader has looked up a while. */
	while (ops < target) {
		for (unsigned k = 0; k < 200; k++, ops++) {
			size_t i = nperm + (size_t)(rnd() % (t.np - nperm));
			struct pfx *x = &t.p[i];

			if (!x->live)
				tab_put(&t, i, churn_value(i - nperm, 0));
			else if (rnd() % 3 == 0)
				tab_put(&t, i, churn_value(i - nperm,
							   x->value & 1 ? 0 : 1));
			else
				tab_remove(&t, i);
		}
	}
	end = now_s() + 30.0;
	for (unsigned k = 0; k < nread; k++)
		while (__atomic_load_n(&r.lookups[k], __ATOMIC_RELAXED) < 1000 &&
		       now_s() < end)
			usleep(1000);
	__atomic_store_n(&r.stop, true, __ATOMIC_RELEASE);
	for (unsigned k = 0; k < nread; k++)
		pthread_join(th[k], NULL);
	print_message("  %s: %lu updates, %lu + %lu lookups on %u readers\n",
		      family == AF_INET ? "IPv4" : "IPv6", ops, r.lookups[0],
		      r.lookups[1], nread);
	for (unsigned k = 0; k < nread; k++) {
		if (r.bad[k])
			fail_msg("reader %u: %lu of %lu answers wrong; first: "
				 "%s", k, r.bad[k], r.lookups[k], r.why[k]);
		assert_true(r.lookups[k] > 0);
	}
	assert_true(ops >= target);
	/* Still exact after all that. */
	tab_check(&t, scaled(20000), "after the race");
	tab_fini(&t);
}

static void test_race_v4(void **state)
{
	(void)state;
	rng = 21;
	race_run(AF_INET);
}

static void test_race_v6(void **state)
{
	(void)state;
	rng = 22;
	race_run(AF_INET6);
}

/* ---- through the FIB: route churn, id reuse, batched lookups ---- */

static struct fib_route mk_route(int family, const uint8_t *p, unsigned len,
				 uint32_t ifindex, uint32_t metric)
{
	struct fib_route r;

	memset(&r, 0, sizeof(r));
	r.family = (uint8_t)family;
	memcpy(&r.prefix, p, family == AF_INET ? 4 : 16);
	r.plen = (uint8_t)len;
	r.type = FIB_UNICAST;
	r.proto = FIB_PROTO_STATIC;
	r.table = FIB_TABLE_MAIN;
	r.metric = metric;
	r.nnh = 1;
	r.nh[0].ifindex = ifindex;
	r.nh[0].weight = 1;
	return r;
}

struct fib_race {
	int family;
	struct race_probe probe[RACE_PROBES];
	volatile bool stop;
	unsigned long lookups, bad;
	char why[200];
};

/* A FIB answer is right when its route covers the probe, the chosen
 * nexthop belongs to the answer's forwarding object (a unicast one), and
 * the device is a valid answer. (Route and object are published one after
 * the other, so a lookup racing a change may pair the new route with the
 * old object: both are answers of that prefix, and the datapath uses the
 * object alone.) */
static bool fib_answer_ok(const struct fib_race *fr, unsigned i, bool found,
			  const struct fib_result *res)
{
	const struct race_probe *p = &fr->probe[i];
	union pkt_addr a;

	if (!found)
		return probe_ok(p, 0);
	memset(&a, 0, sizeof(a));
	memcpy(&a, p->a, fr->family == AF_INET ? 4 : 16);
	return fib_result_route(res) && res->nh && res->fwd &&
	       res->fwd->type == FIB_UNICAST && res->nh >= res->fwd->nh &&
	       res->nh < res->fwd->nh + res->fwd->nnh &&
	       fib_prefix_match(fr->family, &fib_result_route(res)->prefix,
				fib_result_route(res)->plen, &a) &&
	       probe_ok(p, res->nh->ifindex);
}

static void *fib_race_reader(void *arg)
{
	struct fib_race *fr = arg;
	union pkt_addr a[RACE_PROBES];
	struct fib_result res[RACE_PROBES], one;
	uint32_t hash[RACE_PROBES];
	bool found[RACE_PROBES];

	memset(a, 0, sizeof(a));
	for (unsigned i = 0; i < RACE_PROBES; i++) {
		memcpy(&a[i], fr->probe[i].a, 16);
		hash[i] = (uint32_t)(i * 0x9e3779b9u);
	}
	rcu_register_thread();
	while (!__atomic_load_n(&fr->stop, __ATOMIC_ACQUIRE)) {
		for (unsigned i = 0; i < RACE_PROBES; i++) {
			bool f = fib_table_lookup(FIB_TABLE_MAIN, fr->family,
						  &a[i], hash[i], &one);

			if (!fib_answer_ok(fr, i, f, &one) && !fr->bad++)
				snprintf(fr->why, sizeof(fr->why), "single "
					 "lookup of probe %u wrong", i);
		}
		fib_table_lookup_batch(FIB_TABLE_MAIN, fr->family, a, hash,
				       RACE_PROBES, res, found);
		for (unsigned i = 0; i < RACE_PROBES; i++)
			if (!fib_answer_ok(fr, i, found[i], &res[i]) &&
			    !fr->bad++)
				snprintf(fr->why, sizeof(fr->why), "batched "
					 "lookup of probe %u wrong", i);
		fr->lookups += 2 * RACE_PROBES;
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

/* Routes come and go (add, replace with another device, append a second
 * route with a worse metric, delete) on many prefixes, so route lists are
 * replaced under the readers and prefix ids are recycled. */
static void fib_race_run(int family)
{
	static struct fib_race fr;
	struct tab t;   /* only its prefix list and values are used */
	struct fib_route r;
	pthread_t th;
	uint8_t a[16];
	unsigned bytes = family == AF_INET ? 4 : 16, n = 600;
	char err[256];
	double end;
	unsigned long ops = 0;

	memset(&fr, 0, sizeof(fr));
	fr.family = family;
	tab_init(&t, family);
	/* A permanent covering prefix (device 1), then churn prefixes. */
	memset(a, 0, sizeof(a));
	a[0] = family == AF_INET ? 10 : 0x20;
	tab_push(&t, a, 8);
	t.p[0].value = 1;
	t.p[0].live = true;
	r = mk_route(family, t.p[0].a, 8, 1, 0);
	assert_int_equal(fib_route_add(&r, FIB_F_EXCL, err), 0);
	for (unsigned i = 0; i < RACE_PROBES; i++)
		addr_inside(t.p[0].a, 8, bytes, fr.probe[i].a);
	race_churn_prefixes(&t, fr.probe, &t.p[0], n);
	/* Only prefixes inside the /8: shorter ones would cover it. */
	for (size_t i = 1; i < t.np; i++)
		if (t.p[i].len <= 8) {
			addr_inside(t.p[0].a, 8, bytes, t.p[i].a);
			t.p[i].len = (uint8_t)(8 * bytes);
		}
	for (unsigned i = 0; i < RACE_PROBES; i++)
		/* churn_value() doubles as the device index. */
		race_allowed(&(struct race){ .t = &t }, 1, &fr.probe[i]);
	assert_int_equal(pthread_create(&th, NULL, fib_race_reader, &fr), 0);
	end = now_s() + (scale_pct() >= 100 ? 3.0 : 1.5);
	while (now_s() < end) {
		size_t i = 1 + (size_t)(rnd() % (t.np - 1));
		struct pfx *x = &t.p[i];
		uint32_t dev0 = churn_value(i - 1, 0), dev1 = dev0 + 1;

		r = mk_route(family, x->a, x->len, dev0, 10);
		if (!x->live) {
			assert_int_equal(fib_route_add(&r, FIB_F_EXCL, err), 0);
			x->live = true;
			x->value = dev0;
		} else if (rnd() % 2) {
			/* Replace the first route: the other device. */
			x->value = x->value == dev0 ? dev1 : dev0;
			r.nh[0].ifindex = x->value;
			assert_int_equal(fib_route_add(&r, FIB_F_REPLACE, err),
					 0);
			/* A worse-metric alias changes the list, not the
			 * answer. */
			r = mk_route(family, x->a, x->len, x->value, 20);
			if (fib_route_add(&r, FIB_F_APPEND, err) != 0)
				assert_int_equal(fib_route_del(&r, err), 0);
		} else {
			r.nh[0].ifindex = 0;
			r.metric = 0;
			while (fib_route_del(&r, err) == 0)
				;
			x->live = false;
		}
		ops++;
	}
	__atomic_store_n(&fr.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	print_message("  %s: %lu route changes, %lu lookups\n",
		      family == AF_INET ? "IPv4" : "IPv6", ops, fr.lookups);
	if (fr.bad)
		fail_msg("%lu of %lu answers wrong; first: %s", fr.bad,
			 fr.lookups, fr.why);
	assert_true(fr.lookups > 0);
	assert_true(ops > 1000);
	tab_fini(&t);
}

static void test_fib_race_v4(void **state)
{
	(void)state;
	rng = 31;
	fib_race_run(AF_INET);
}

static void test_fib_race_v6(void **state)
{
	(void)state;
	rng = 32;
	fib_race_run(AF_INET6);
}

/* Batched FIB lookups give exactly what single ones give: ECMP routes,
 * route types, misses, another table, hash or no hash. */
static void fib_batch_family(int family)
{
	unsigned bytes = family == AF_INET ? 4 : 16, n = 20000, m = 300;
	union pkt_addr *dst = calloc(m, sizeof(*dst));
	struct fib_result *res = calloc(m, sizeof(*res)), one;
	bool *found = calloc(m, sizeof(*found));
	uint32_t *hash = calloc(m, sizeof(*hash));
	struct tab t;
	struct fib_route r;
	uint8_t a[16];
	char err[256];
	size_t hits = 0;

	assert_true(dst && res && found && hash);
	tab_init(&t, family);
	for (unsigned i = 0; i < n; i++) {
		unsigned len;

		rand_prefix(&t, a, &len);
		if (!tab_push_new(&t, a, len))
			continue;
		r = mk_route(family, t.p[t.np - 1].a, len, 1 + i % 50, 0);
		if (i % 7 == 0) {
			r.nnh = 3;
			for (unsigned k = 0; k < 3; k++)
				r.nh[k] = (struct fib_nh){ .ifindex = 100 + k,
							   .weight = 1 + k };
		}
		if (i % 11 == 0) {
			r.type = FIB_BLACKHOLE;
			r.nnh = 0;
		}
		assert_int_equal(fib_route_add(&r, FIB_F_EXCL, err), 0);
		t.p[t.np - 1].live = true;
	}
	for (unsigned round = 0; round < 200; round++) {
		for (unsigned i = 0; i < m; i++) {
			sample_addr(&t, rnd() % 4 != 0, a);
			memset(&dst[i], 0, sizeof(dst[i]));
			memcpy(&dst[i], a, bytes);
			hash[i] = (uint32_t)rnd();
		}
		fib_table_lookup_batch(FIB_TABLE_MAIN, family, dst,
				       round % 2 ? hash : NULL, m, res, found);
		for (unsigned i = 0; i < m; i++) {
			bool f = fib_table_lookup(FIB_TABLE_MAIN, family,
						  &dst[i],
						  round % 2 ? hash[i] : 0, &one);

			assert_int_equal(f, found[i]);
			if (!f)
				continue;
			hits++;
			assert_ptr_equal(fib_result_route(&one), fib_result_route(&res[i]));
			assert_ptr_equal(one.nh, res[i].nh);
			assert_int_equal(one.table, res[i].table);
		}
	}
	assert_true(hits > 200 * m / 2);
	/* A table that does not exist, a bad family: nothing found. */
	memset(found, 1, m * sizeof(*found));
	fib_table_lookup_batch(4242, family, dst, NULL, m, res, found);
	for (unsigned i = 0; i < m; i++)
		assert_false(found[i]);
	memset(found, 1, m * sizeof(*found));
	fib_table_lookup_batch(FIB_TABLE_MAIN, 99, dst, NULL, m, res, found);
	for (unsigned i = 0; i < m; i++)
		assert_false(found[i]);
	tab_fini(&t);
	free(dst);
	free(res);
	free(found);
	free(hash);
}

static void test_fib_batch(void **state)
{
	(void)state;
	rng = 41;
	fib_batch_family(AF_INET);
	fib_batch_family(AF_INET6);
}

static int fib_setup(void **state)
{
	(void)state;
	return fib_init();
}

static int fib_teardown(void **state)
{
	(void)state;
	fib_fini();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_edges_v4),
		cmocka_unit_test(test_edges_v6),
		cmocka_unit_test(test_cache_v6),
		cmocka_unit_test(test_random_v4),
		cmocka_unit_test(test_random_v6),
		cmocka_unit_test(test_real_v4),
		cmocka_unit_test(test_real_v6),
		cmocka_unit_test(test_race_v4),
		cmocka_unit_test(test_race_v6),
		cmocka_unit_test_setup_teardown(test_fib_race_v4, fib_setup,
						fib_teardown),
		cmocka_unit_test_setup_teardown(test_fib_race_v6, fib_setup,
						fib_teardown),
		cmocka_unit_test_setup_teardown(test_fib_batch, fib_setup,
						fib_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
