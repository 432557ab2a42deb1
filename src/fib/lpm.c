/* LPM engine shared by lpm4 and lpm6: a leaf-compressed multibit trie with
 * incremental, RCU-published updates.
 *
 * Design note.
 *
 * Layout. The first two key bytes index a direct array of 2^16 leaves
 * (256 KiB). A leaf with LPM_EXT names a node for the next key byte. A node
 * stands for 256 entries but stores one leaf per run of equal entries: its
 * 40-byte header (256-bit run-start vector, run counts per 64-bit word,
 * index of its first leaf) sits in a header array, its leaves contiguous
 * in a leaf array. A lookup step reads a header word and then one leaf.
 * Headers of the whole Internet table take about 1 MiB and stay cached;
 * leaves (4 bytes per run, a few MiB) are the one far access of a lookup,
 * where DIR-24-8 reads a 64 MiB first level. IPv4 reaches any /32 in at
 * most two nodes, IPv6 a /48 in four.
 *
 * Leaves carry the depth (prefix length) that set them, so an update needs
 * no other structure than the exact-prefix hash ("rules", for values and
 * for the next shorter prefix on delete): adding P/len turns every entry in
 * P's range with depth <= len into (value, len); deleting turns those with
 * depth == len into the next shorter covering prefix's leaf. Only P's range
 * is touched; nodes whose 256 entries become equal collapse into their
 * parent's entry.
 *
 * Publishing. An update runs in two phases. Phase 1 computes the new state
 * without touching anything readers see: a node whose run layout changes
 * is rebuilt into a fresh node; a node whose layout stays keeps its block
 * and gets a list of single-word stores. Allocation failures end phase 1
 * with nothing changed. Phase 2 performs the stores (32-bit, release
 * order; a fresh node is complete before the word pointing to it) and
 * retires replaced nodes. Every address's answer therefore goes from old to
 * new in one store. Retired nodes wait in limbo for a grace period
 * (synchronize_rcu, batched) before their lines are reused.
 *
 * Memory. Headers and leaves live in two pools reserved as address space
 * at creation (they never move, so readers need no reload) and committed
 * 2 MiB at a time with transparent huge pages. Free headers and free leaf
 * blocks (by length, 1..256) sit in intrusive lists. */
#include "fib/lpm.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <urcu-qsbr.h>

#define LPM_DIR_SIZE (1u << LPM_DIR_BITS)
#define LPM_HDR_MAX (1u << 24)           /* 640 MiB of address space */
#define LPM_LEAF_MAX (1u << 28)          /* 1 GiB of address space */
#define LPM_HUGE (2u << 20)              /* commit unit, THP size */
#define LPM_LIMBO_MIN (1u << 12)         /* retired nodes before a sync */
#define LPM_DEPTH_SHIFT 23
#define LPM_NONE UINT32_MAX
#define LPM_MAX_BITS 128u

struct lpm_u32v {
	uint32_t *v;
	size_t n, cap;
};

struct lpm_act {
	uint32_t *slot;
	uint32_t word;
};

/* A region of fixed-size units: address space reserved up front, made
 * usable 2 MiB at a time, handed out by a bump pointer. */
struct lpm_pool {
	uint8_t *map;
	size_t map_len;
	uint8_t *base;
	size_t unit;
	size_t reserved, used;   /* units */
	size_t committed;        /* bytes usable, a multiple of LPM_HUGE */
};

/* Exact prefixes: open addressing, linear probing, backward-shift delete,
 * load <= 5/8. A slot is kw key words (the prefix's bytes as big-endian
 * 32-bit words: 1 for IPv4, 4 for IPv6) then one meta word: used bit 31,
 * prefix length in bits 23..30, value in bits 0..22 (0 = free slot). */
struct lpm_rules {
	uint32_t *slot;
	size_t cap, n;
	unsigned kw;
	uint32_t per_len[LPM_MAX_BITS + 1];
};

struct lpm_ctl {
	struct lpm_pool hpool, lpool;
	size_t nodes, leaves;            /* live */
	uint32_t free_hdr;               /* intrusive list of headers */
	uint32_t free_leaf[257];         /* intrusive, by block length */
	struct lpm_u32v limbo;           /* retired nodes, before a grace period */
	struct lpm_rules rules;
	/* The update in progress (phase 1 output). */
	struct lpm_act *act;
	size_t nact, capact;
	struct lpm_u32v fresh, retire;
};

/* What an update does to the leaves in the prefix's range. */
struct lpm_op {
	const uint8_t *key;   /* prefix, bits past len cleared */
	unsigned len;
	bool del;
	uint32_t leaf;        /* what a hit leaf becomes */
};

/* ---- small helpers ---- */

static uint32_t leaf_make(uint32_t value, unsigned depth)
{
	return value | (uint32_t)depth << LPM_DEPTH_SHIFT;
}

static unsigned leaf_depth(uint32_t e)
{
	return (e >> LPM_DEPTH_SHIFT) & 0xffu;
}

static bool leaf_hit(const struct lpm_op *op, uint32_t e)
{
	return op->del ? leaf_depth(e) == op->len : leaf_depth(e) <= op->len;
}

static struct lpm_hdr *hdr_at(const struct lpm *t, uint32_t ext)
{
	return &t->hdr[ext & ~LPM_EXT];
}

static unsigned hdr_runs(const struct lpm_hdr *h)
{
	return (unsigned)(__builtin_popcountll(h->vec[0]) +
			  __builtin_popcountll(h->vec[1]) +
			  __builtin_popcountll(h->vec[2]) +
			  __builtin_popcountll(h->vec[3]));
}

static int u32v_push(struct lpm_u32v *a, uint32_t x)
{
	uint32_t *nv;
	size_t cap;

	if (a->n == a->cap) {
		cap = a->cap ? a->cap * 2 : 64;
		nv = realloc(a->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		a->v = nv;
		a->cap = cap;
	}
	a->v[a->n++] = x;
	return 0;
}

static int u32v_reserve(struct lpm_u32v *a, size_t more)
{
	uint32_t *nv;
	size_t cap = a->cap ? a->cap : 64;

	while (cap < a->n + more)
		cap *= 2;
	if (cap == a->cap)
		return 0;
	nv = realloc(a->v, cap * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	a->v = nv;
	a->cap = cap;
	return 0;
}

/* The key bytes as host-order words, most significant first. */
static void key_load(const uint8_t *k, unsigned nbytes, uint32_t *w)
{
	for (unsigned i = 0; i < nbytes / 4; i++) {
		uint32_t x;

		memcpy(&x, k + 4 * i, sizeof(x));
		w[i] = be32toh(x);
	}
}

/* out = the first len bits of k, the rest zero. */
static void key_mask(const uint8_t *k, unsigned nbytes, unsigned len,
		     uint8_t *out)
{
	for (unsigned i = 0; i < nbytes; i++) {
		unsigned bits = len > 8 * i ? len - 8 * i : 0;

		out[i] = bits >= 8 ? k[i] :
			 (uint8_t)(k[i] & (0xff00u >> bits));
	}
}

/* ---- pools ---- */

static int pool_init(struct lpm_pool *p, size_t unit, size_t units)
{
	uintptr_t a;

	p->unit = unit;
	p->reserved = units;
	p->map_len = (units * unit + LPM_HUGE - 1) / LPM_HUGE * LPM_HUGE +
		     LPM_HUGE;
	p->map = mmap(NULL, p->map_len, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p->map == MAP_FAILED) {
		p->map = NULL;
		return -ENOMEM;
	}
	a = ((uintptr_t)p->map + LPM_HUGE - 1) & ~(uintptr_t)(LPM_HUGE - 1);
	p->base = (uint8_t *)a;
	return 0;
}

static void pool_fini(struct lpm_pool *p)
{
	if (p->map)
		munmap(p->map, p->map_len);
	p->map = NULL;
}

/* Index of n fresh units from the bump pointer, or LPM_NONE. */
static uint32_t pool_take(struct lpm_pool *p, size_t n)
{
	uint8_t *at;
	uint32_t idx;

	if (p->used + n > p->reserved)
		return LPM_NONE;
	while ((p->used + n) * p->unit > p->committed) {
		at = p->base + p->committed;
		if (mprotect(at, LPM_HUGE, PROT_READ | PROT_WRITE) != 0)
			return LPM_NONE;
		madvise(at, LPM_HUGE, MADV_HUGEPAGE);
		p->committed += LPM_HUGE;
	}
	idx = (uint32_t)p->used;
	p->used += n;
	return idx;
}

static uint32_t list_pop(uint32_t *head, const void *at_head)
{
	uint32_t i = *head;

	memcpy(head, at_head, sizeof(*head));
	return i;
}

static void leaf_free(struct lpm *t, uint32_t first, unsigned n)
{
	struct lpm_ctl *c = t->ctl;

	memcpy(&t->leaf[first], &c->free_leaf[n], sizeof(uint32_t));
	c->free_leaf[n] = first;
}

static void hdr_free(struct lpm *t, uint32_t hi)
{
	struct lpm_ctl *c = t->ctl;

	memcpy(&t->hdr[hi], &c->free_hdr, sizeof(uint32_t));
	c->free_hdr = hi;
}

/* A node of n runs: header index, with h->base set; LPM_NONE when out of
 * memory. */
static uint32_t node_alloc(struct lpm *t, unsigned n)
{
	struct lpm_ctl *c = t->ctl;
	uint32_t hi, first;

	if (c->free_hdr != LPM_NONE)
		hi = list_pop(&c->free_hdr, &t->hdr[c->free_hdr]);
	else if ((hi = pool_take(&c->hpool, 1)) == LPM_NONE)
		return LPM_NONE;
	if (c->free_leaf[n] != LPM_NONE)
		first = list_pop(&c->free_leaf[n], &t->leaf[c->free_leaf[n]]);
	else if ((first = pool_take(&c->lpool, n)) == LPM_NONE) {
		hdr_free(t, hi);
		return LPM_NONE;
	}
	t->hdr[hi].base = first - 1;
	c->nodes++;
	c->leaves += n;
	return hi;
}

/* Free a node no reader can reach any more (no longer counted live). */
static void node_free(struct lpm *t, uint32_t hi)
{
	leaf_free(t, t->hdr[hi].base + 1, hdr_runs(&t->hdr[hi]));
	hdr_free(t, hi);
}

/* A live node leaves the count (retired or rolled back). */
static void node_uncount(struct lpm *t, uint32_t hi)
{
	t->ctl->nodes--;
	t->ctl->leaves -= hdr_runs(&t->hdr[hi]);
}

void lpm_reclaim(struct lpm *t)
{
	struct lpm_ctl *c = t->ctl;

	if (!c->limbo.n)
		return;
	synchronize_rcu();
	for (size_t i = 0; i < c->limbo.n; i++)
		node_free(t, c->limbo.v[i]);
	c->limbo.n = 0;
}

/* ---- exact-prefix rules ---- */

static unsigned meta_len(uint32_t m)
{
	return (m >> LPM_DEPTH_SHIFT) & 0xffu;
}

static size_t rules_stride(const struct lpm_rules *r)
{
	return r->kw + 1;
}

static uint32_t *rules_at(const struct lpm_rules *r, size_t i)
{
	return &r->slot[i * rules_stride(r)];
}

static size_t rules_home(const struct lpm_rules *r, const uint32_t *key,
			 unsigned len)
{
	uint64_t h = len * 0x9e3779b97f4a7c15ull;

	for (unsigned i = 0; i < r->kw; i++)
		h = (h ^ key[i]) * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 29;
	h *= 0xd6e8feb86659fd93ull;
	h ^= h >> 32;
	return (size_t)(((unsigned __int128)h * r->cap) >> 64);
}

static size_t rules_next(const struct lpm_rules *r, size_t i)
{
	return i + 1 == r->cap ? 0 : i + 1;
}

/* Slot of key/len, or SIZE_MAX. */
static size_t rules_find(const struct lpm_rules *r, const uint32_t *key,
			 unsigned len)
{
	const uint32_t *s;
	size_t i;

	if (!r->cap)
		return SIZE_MAX;
	for (i = rules_home(r, key, len);; i = rules_next(r, i)) {
		s = rules_at(r, i);
		if (!s[r->kw])
			return SIZE_MAX;
		if (meta_len(s[r->kw]) == len &&
		    !memcmp(s, key, r->kw * sizeof(*key)))
			return i;
	}
}

static void rules_put(struct lpm_rules *r, const uint32_t *key, unsigned len,
		      uint32_t value)
{
	size_t i = rules_home(r, key, len);
	uint32_t *s;

	while (rules_at(r, i)[r->kw])
		i = rules_next(r, i);
	s = rules_at(r, i);
	memcpy(s, key, r->kw * sizeof(*key));
	s[r->kw] = 1u << 31 | leaf_make(value, len);
	r->n++;
	r->per_len[len]++;
}

static uint32_t rules_value(const struct lpm_rules *r, size_t i)
{
	return rules_at(r, i)[r->kw] & LPM_VALUE_MAX;
}

/* Make room for one more rule. */
static int rules_reserve(struct lpm_rules *r)
{
	struct lpm_rules nr = *r;
	const uint32_t *s;

	if ((r->n + 1) * 8 <= r->cap * 5)
		return 0;
	nr.cap = r->cap < 64 ? 64 : r->cap + r->cap / 2;
	nr.slot = calloc(nr.cap, rules_stride(r) * sizeof(*nr.slot));
	if (!nr.slot)
		return -ENOMEM;
	nr.n = 0;
	memset(nr.per_len, 0, sizeof(nr.per_len));
	for (size_t i = 0; i < r->cap; i++) {
		s = rules_at(r, i);
		if (s[r->kw])
			rules_put(&nr, s, meta_len(s[r->kw]),
				  s[r->kw] & LPM_VALUE_MAX);
	}
	free(r->slot);
	*r = nr;
	return 0;
}

static void rules_remove(struct lpm_rules *r, size_t i)
{
	size_t j = i, home;
	uint32_t *s = rules_at(r, i);
	bool stay;

	r->per_len[meta_len(s[r->kw])]--;
	r->n--;
	s[r->kw] = 0;
	for (;;) {
		j = rules_next(r, j);
		s = rules_at(r, j);
		if (!s[r->kw])
			return;
		home = rules_home(r, s, meta_len(s[r->kw]));
		stay = i <= j ? i < home && home <= j : i < home || home <= j;
		if (stay)
			continue;
		memcpy(rules_at(r, i), s, rules_stride(r) * sizeof(*s));
		s[r->kw] = 0;
		i = j;
	}
}

/* ---- phase 1: compute an update ---- */

static int act_push(struct lpm_ctl *c, uint32_t *slot, uint32_t word)
{
	struct lpm_act *na;
	size_t cap;

	if (c->nact == c->capact) {
		cap = c->capact ? c->capact * 2 : 256;
		na = realloc(c->act, cap * sizeof(*na));
		if (!na)
			return -ENOMEM;
		c->act = na;
		c->capact = cap;
	}
	c->act[c->nact].slot = slot;
	c->act[c->nact].word = word;
	c->nact++;
	return 0;
}

/* A node's 256 entries as runs: run j covers entries start[j] ..
 * start[j + 1] - 1 (start[n] = 256) and holds leaf[j]. */
struct lpm_runs {
	unsigned n;
	uint16_t start[257];
	uint32_t leaf[256];
};

/* The runs of the node behind e, or of a plain leaf e seen as a node full
 * of it. */
static void runs_load(const struct lpm *t, uint32_t e, struct lpm_runs *r)
{
	const struct lpm_hdr *h;
	const uint32_t *leaf;
	unsigned n = 0;

	if (!(e & LPM_EXT)) {
		r->n = 1;
		r->start[0] = 0;
		r->leaf[0] = e;
		r->start[1] = 256;
		return;
	}
	h = hdr_at(t, e);
	leaf = &t->leaf[h->base + 1];
	for (unsigned w = 0; w < 4; w++)
		for (uint64_t v = h->vec[w]; v; v &= v - 1) {
			r->start[n] = (uint16_t)(w * 64 +
						 (unsigned)__builtin_ctzll(v));
			r->leaf[n] = leaf[n];
			n++;
		}
	r->n = n;
	r->start[n] = 256;
}

/* Append entries from start on holding leaf (merged into the last run when
 * equal; two EXT words are never equal). */
static void runs_push(struct lpm_runs *r, unsigned start, uint32_t leaf)
{
	if (r->n && r->leaf[r->n - 1] == leaf)
		return;
	r->start[r->n] = (uint16_t)start;
	r->leaf[r->n++] = leaf;
}

/* Phase-1 result for a node (old: its EXT word and header h, or a plain
 * leaf and NULL) whose entries are now the runs r: a collapsed leaf, the
 * same word with in-place leaf stores queued, or a fresh node. */
static int node_store(struct lpm *t, uint32_t old, const struct lpm_hdr *h,
		      const struct lpm_runs *r, uint32_t *out)
{
	struct lpm_ctl *c = t->ctl;
	struct lpm_hdr *nh;
	uint64_t vec[4] = { 0 };
	uint32_t hi, *leaf;
	unsigned cum = 0;

	if (r->n == 1 && !(r->leaf[0] & LPM_EXT)) {
		*out = r->leaf[0];
		return h ? u32v_push(&c->retire, old & ~LPM_EXT) : 0;
	}
	for (unsigned j = 0; j < r->n; j++)
		vec[r->start[j] >> 6] |= 1ull << (r->start[j] & 63);
	if (h && memcmp(h->vec, vec, sizeof(vec)) == 0) {
		leaf = &t->leaf[h->base + 1];
		for (unsigned j = 0; j < r->n; j++)
			if (leaf[j] != r->leaf[j] &&
			    act_push(c, &leaf[j], r->leaf[j]) != 0)
				return -ENOMEM;
		*out = old;
		return 0;
	}
	if (u32v_reserve(&c->fresh, 1) != 0 ||
	    (h && u32v_reserve(&c->retire, 1) != 0))
		return -ENOMEM;
	hi = node_alloc(t, r->n);
	if (hi == LPM_NONE)
		return -ENOMEM;
	nh = &t->hdr[hi];
	memcpy(nh->vec, vec, sizeof(vec));
	for (unsigned w = 0; w < 4; w++) {
		nh->cum[w] = (uint8_t)cum;
		cum += (unsigned)__builtin_popcountll(vec[w]);
	}
	memcpy(&t->leaf[nh->base + 1], r->leaf, r->n * sizeof(r->leaf[0]));
	u32v_push(&c->fresh, hi);
	if (h)
		u32v_push(&c->retire, old & ~LPM_EXT);
	*out = LPM_EXT | hi;
	return 0;
}

static int apply_word(struct lpm *t, uint32_t e, unsigned b, bool whole,
		      const struct lpm_op *op, uint32_t *out);

/* The node behind e (or plain leaf e) with entries lo..hi rewritten: set
 * to *set when given, else each through op as a whole entry at byte b + 1
 * (its own subtree, if any, rewritten too). */
static int node_rewrite(struct lpm *t, uint32_t e, unsigned b, unsigned lo,
			unsigned hi, const uint32_t *set,
			const struct lpm_op *op, uint32_t *out)
{
	struct lpm_runs old, nr;
	uint32_t w;
	int rc;

	runs_load(t, e, &old);
	nr.n = 0;
	for (unsigned j = 0; j < old.n; j++) {
		unsigned s = old.start[j], end = old.start[j + 1] - 1;
		uint32_t l = old.leaf[j];

		if (end < lo || s > hi) {
			runs_push(&nr, s, l);
			continue;
		}
		if (s < lo)
			runs_push(&nr, s, l);
		if (set) {
			w = *set;
		} else {
			/* An EXT run is one entry: its child is rewritten. */
			rc = apply_word(t, l, b + 1, true, op, &w);
			if (rc)
				return rc;
		}
		runs_push(&nr, s > lo ? s : lo, w);
		if (end > hi)
			runs_push(&nr, hi + 1, l);
	}
	nr.start[nr.n] = 256;
	return node_store(t, e, e & LPM_EXT ? hdr_at(t, e) : NULL, &nr, out);
}

/* Descend into one entry of a node (or of a plain leaf to be split) for a
 * prefix longer than this node's byte. */
static int node_descend(struct lpm *t, uint32_t e, unsigned b,
			const struct lpm_op *op, uint32_t *out)
{
	uint32_t *slot = NULL, old = e, nw;
	unsigned idx = op->key[b];
	int rc;

	if (e & LPM_EXT) {
		slot = (uint32_t *)(uintptr_t)lpm_node_slot(t, hdr_at(t, e),
							     idx);
		old = *slot;
	}
	rc = apply_word(t, old, b + 1, false, op, &nw);
	if (rc)
		return rc;
	if (slot && nw == old) {
		*out = e;
		return 0;
	}
	if (slot && (old & LPM_EXT) && (nw & LPM_EXT)) {
		/* A child replaced: its run is its own, store in place. */
		*out = e;
		return act_push(t->ctl, slot, nw);
	}
	return node_rewrite(t, e, b, idx, idx, &nw, op, out);
}

/* Apply op to the node behind e (or a plain leaf e seen as a node full of
 * it) at key byte b. */
static int node_apply(struct lpm *t, uint32_t e, unsigned b, bool whole,
		      const struct lpm_op *op, uint32_t *out)
{
	unsigned rem, lo;

	if (whole)
		return node_rewrite(t, e, b, 0, 255, NULL, op, out);
	rem = op->len - 8 * b;
	if (rem > 8)
		return node_descend(t, e, b, op, out);
	lo = op->key[b];
	return node_rewrite(t, e, b, lo, lo + (1u << (8 - rem)) - 1, NULL, op,
			    out);
}

/* The new word for e, an entry covering depth 8 * b bits (whole: all of it
 * inside the prefix; else the prefix is longer and continues in byte b). */
static int apply_word(struct lpm *t, uint32_t e, unsigned b, bool whole,
		      const struct lpm_op *op, uint32_t *out)
{
	if (!(e & LPM_EXT)) {
		if (whole) {
			*out = leaf_hit(op, e) ? op->leaf : e;
			return 0;
		}
		if (op->del) {   /* nothing of the prefix below a leaf */
			*out = e;
			return 0;
		}
	}
	return node_apply(t, e, b, whole, op, out);
}

static int apply_dir(struct lpm *t, const struct lpm_op *op)
{
	unsigned idx = (unsigned)op->key[0] << 8 | op->key[1];
	unsigned cnt = op->len <= LPM_DIR_BITS ?
		       1u << (LPM_DIR_BITS - op->len) : 1;
	bool whole = op->len <= LPM_DIR_BITS;
	uint32_t nw;
	int rc;

	for (unsigned i = idx; i < idx + cnt; i++) {
		rc = apply_word(t, t->dir[i], 2, whole, op, &nw);
		if (rc == 0 && nw != t->dir[i])
			rc = act_push(t->ctl, &t->dir[i], nw);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- phase 2 ---- */

static void update_begin(struct lpm_ctl *c)
{
	c->nact = 0;
	c->fresh.n = 0;
	c->retire.n = 0;
}

static void update_rollback(struct lpm *t)
{
	struct lpm_ctl *c = t->ctl;

	for (size_t i = 0; i < c->fresh.n; i++) {
		node_uncount(t, c->fresh.v[i]);
		node_free(t, c->fresh.v[i]);
	}
	update_begin(c);
}

/* Publish the computed update; cannot fail (limbo room reserved first). */
static void update_commit(struct lpm *t)
{
	struct lpm_ctl *c = t->ctl;

	for (size_t i = 0; i < c->nact; i++)
		__atomic_store_n(c->act[i].slot, c->act[i].word,
				 __ATOMIC_RELEASE);
	for (size_t i = 0; i < c->retire.n; i++) {
		node_uncount(t, c->retire.v[i]);
		c->limbo.v[c->limbo.n++] = c->retire.v[i];
	}
	update_begin(c);
	if (c->limbo.n > LPM_LIMBO_MIN && c->limbo.n > c->nodes / 8)
		lpm_reclaim(t);
}

static int update_run(struct lpm *t, const struct lpm_op *op)
{
	struct lpm_ctl *c = t->ctl;

	update_begin(c);
	if (apply_dir(t, op) != 0 ||
	    u32v_reserve(&c->limbo, c->retire.n) != 0) {
		update_rollback(t);
		return -ENOMEM;
	}
	update_commit(t);
	return 0;
}

/* ---- API ---- */

int lpm_init(struct lpm *t, unsigned key_bytes)
{
	struct lpm_ctl *c;

	memset(t, 0, sizeof(*t));
	if (key_bytes != 4 && key_bytes != 16)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	t->dir = aligned_alloc(64, LPM_DIR_SIZE * sizeof(*t->dir));
	t->ctl = c;
	if (!c || !t->dir ||
	    pool_init(&c->hpool, sizeof(struct lpm_hdr), LPM_HDR_MAX) != 0 ||
	    pool_init(&c->lpool, sizeof(uint32_t), LPM_LEAF_MAX) != 0) {
		lpm_fini(t);
		return -ENOMEM;
	}
	memset(t->dir, 0, LPM_DIR_SIZE * sizeof(*t->dir));
	t->hdr = (struct lpm_hdr *)(void *)c->hpool.base;
	t->leaf = (uint32_t *)(void *)c->lpool.base;
	c->lpool.used = 1;   /* leaf 0 unused: a base never wraps */
	c->rules.kw = key_bytes / 4;
	c->free_hdr = LPM_NONE;
	memset(c->free_leaf, 0xff, sizeof(c->free_leaf));
	t->key_bytes = key_bytes;
	return 0;
}

void lpm_fini(struct lpm *t)
{
	struct lpm_ctl *c = t->ctl;

	if (c) {
		pool_fini(&c->hpool);
		pool_fini(&c->lpool);
		free(c->limbo.v);
		free(c->fresh.v);
		free(c->retire.v);
		free(c->act);
		free(c->rules.slot);
		free(c);
	}
	free(t->dir);
	memset(t, 0, sizeof(*t));
}

static int check_args(const struct lpm *t, unsigned len)
{
	return len > 8 * t->key_bytes ? -EINVAL : 0;
}

bool lpm_get(const struct lpm *t, const uint8_t *prefix, unsigned len,
	     uint32_t *value)
{
	const struct lpm_rules *r = &t->ctl->rules;
	uint8_t k[16];
	uint32_t w[4];
	size_t i;

	if (check_args(t, len))
		return false;
	key_mask(prefix, t->key_bytes, len, k);
	key_load(k, t->key_bytes, w);
	i = rules_find(r, w, len);
	if (i == SIZE_MAX)
		return false;
	*value = rules_value(r, i);
	return true;
}

int lpm_add(struct lpm *t, const uint8_t *prefix, unsigned len,
	    uint32_t value)
{
	struct lpm_rules *r = &t->ctl->rules;
	struct lpm_op op = { .len = len, .leaf = leaf_make(value, len) };
	uint8_t k[16];
	uint32_t w[4];
	size_t i;
	int rc;

	if (check_args(t, len) || value == 0 || value > LPM_VALUE_MAX)
		return -EINVAL;
	key_mask(prefix, t->key_bytes, len, k);
	key_load(k, t->key_bytes, w);
	op.key = k;
	i = rules_find(r, w, len);
	if (i != SIZE_MAX && rules_value(r, i) == value)
		return 0;
	if (i == SIZE_MAX && rules_reserve(r) != 0)
		return -ENOMEM;
	rc = update_run(t, &op);
	if (rc)
		return rc;
	if (i != SIZE_MAX)
		rules_at(r, i)[r->kw] = 1u << 31 | leaf_make(value, len);
	else
		rules_put(r, w, len, value);
	return 0;
}

/* The full leaf (value and depth) the dataplane holds for address a. */
static uint32_t leaf_at(const struct lpm *t, const uint8_t *a)
{
	uint32_t e = t->dir[(unsigned)a[0] << 8 | a[1]];

	for (unsigned i = 2; e & LPM_EXT; i++)
		e = *lpm_node_slot(t, hdr_at(t, e), a[i]);
	return e;
}

/* Leaf of the longest stored prefix shorter than len covering k (len
 * bits, rest zero), or 0. First from the dataplane: P's sibling S (last
 * bit flipped) shares every shorter covering prefix with P, so a leaf in S
 * with depth < len is exactly the answer. When S is all covered by
 * prefixes of length >= len, ask the rules, longest first. */
static uint32_t parent_leaf(const struct lpm *t, const uint8_t *k,
			    unsigned len)
{
	const struct lpm_rules *r = &t->ctl->rules;
	uint8_t pk[16];
	uint32_t w[4], e;
	size_t i;

	if (len == 0)
		return 0;
	memcpy(pk, k, t->key_bytes);
	pk[(len - 1) / 8] ^= (uint8_t)(0x80u >> ((len - 1) % 8));
	e = leaf_at(t, pk);
	if (leaf_depth(e) < len)
		return e;
	for (unsigned d = len; d-- > 0;) {
		if (!r->per_len[d])
			continue;
		key_mask(k, t->key_bytes, d, pk);
		key_load(pk, t->key_bytes, w);
		i = rules_find(r, w, d);
		if (i != SIZE_MAX)
			return leaf_make(rules_value(r, i), d);
	}
	return 0;
}

int lpm_del(struct lpm *t, const uint8_t *prefix, unsigned len)
{
	struct lpm_rules *r = &t->ctl->rules;
	struct lpm_op op = { .len = len, .del = true };
	uint8_t k[16];
	uint32_t w[4];
	size_t i;
	int rc;

	if (check_args(t, len))
		return -EINVAL;
	key_mask(prefix, t->key_bytes, len, k);
	key_load(k, t->key_bytes, w);
	i = rules_find(r, w, len);
	if (i == SIZE_MAX)
		return -ENOENT;
	op.key = k;
	op.leaf = parent_leaf(t, k, len);
	rc = update_run(t, &op);
	if (rc)
		return rc;
	rules_remove(r, i);
	return 0;
}

void lpm_stats(const struct lpm *t, struct lpm_stats *st)
{
	const struct lpm_ctl *c = t->ctl;

	st->prefixes = c->rules.n;
	st->nodes = c->nodes;
	st->leaves = c->leaves;
	st->dir_bytes = LPM_DIR_SIZE * sizeof(*t->dir);
	st->node_bytes = c->nodes * sizeof(struct lpm_hdr) +
			 c->leaves * sizeof(uint32_t);
	st->pool_bytes = c->hpool.used * c->hpool.unit +
			 c->lpool.used * c->lpool.unit;
	st->rules_bytes = c->rules.cap * rules_stride(&c->rules) *
			  sizeof(uint32_t);
}

/* ---- batched lookup ---- */

#define LPM_BATCH 64u

/* One group of at most LPM_BATCH keys: every key steps down one level per
 * pass, all keys of a pass in flight together. */
static void lookup_group(const struct lpm *t, const uint8_t *key,
			 size_t stride, unsigned n, uint32_t *value)
{
	uint32_t e[LPM_BATCH];
	const uint32_t *slot[LPM_BATCH];
	uint8_t act[LPM_BATCH];
	unsigned na = 0, nn, level = 2;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *k = key + i * stride;

		__builtin_prefetch(&t->dir[(unsigned)k[0] << 8 | k[1]]);
	}
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *k = key + i * stride;

		e[i] = lpm_load(&t->dir[(unsigned)k[0] << 8 | k[1]]);
		value[i] = e[i] & LPM_VALUE_MAX;
		if (e[i] & LPM_EXT) {
			__builtin_prefetch(lpm_node(t, e[i]));
			act[na++] = (uint8_t)i;
		}
	}
	while (na) {
		for (unsigned j = 0; j < na; j++) {
			unsigned i = act[j];

			slot[i] = lpm_node_slot(t, lpm_node(t, e[i]),
						key[i * stride + level]);
			__builtin_prefetch(slot[i]);
		}
		nn = 0;
		for (unsigned j = 0; j < na; j++) {
			unsigned i = act[j];

			e[i] = lpm_load(slot[i]);
			value[i] = e[i] & LPM_VALUE_MAX;
			if (e[i] & LPM_EXT) {
				__builtin_prefetch(lpm_node(t, e[i]));
				act[nn++] = (uint8_t)i;
			}
		}
		na = nn;
		level++;
	}
}

void lpm_lookup_batch(const struct lpm *t, const uint8_t *key, size_t stride,
		      unsigned n, uint32_t *value)
{
	for (unsigned i = 0; i < n; i += LPM_BATCH) {
		unsigned m = n - i < LPM_BATCH ? n - i : LPM_BATCH;

		lookup_group(t, key + i * stride, stride, m, value + i);
	}
}
