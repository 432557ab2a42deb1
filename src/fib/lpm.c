/* LPM engine shared by lpm4 and lpm6: a DIR-24 array over leaf-compressed
 * 8-bit nodes, with incremental, RCU-published updates.
 *
 * Design note.
 *
 * Layout. The first three key bytes index a direct array of 2^24 leaves
 * (64 MiB of address space with transparent huge pages; only the 2 MiB
 * pages written are backed, so an IPv6 table commits a few). A leaf with
 * LPM_EXT names a node for the next key byte. A node stands for 256
 * entries but stores one leaf per run of equal entries: a 64-byte line
 * holds its header (256-bit run-start vector, run counts per 64-bit word,
 * pool word of its first leaf) and, when it has at most six runs, the
 * leaves too, so a lookup step usually reads one line; bigger nodes keep
 * their leaves in a contiguous block. A /24 or shorter IPv4 prefix is one
 * read, a /32 at most three; an IPv6 /48 is the array and three nodes.
 *
 * Leaves carry the depth (prefix length) that set them, so an update needs
 * no other structure than the exact-prefix hash ("rules", for values and
 * for the next shorter prefix on delete): adding P/len turns every entry in
 * P's range with depth <= len into (value, len); deleting turns those with
 * depth == len into the next shorter covering prefix's leaf. Only P's range
 * is touched; nodes whose 256 entries become equal collapse into their
 * parent's entry. Nodes are handled as run lists, so the cost of an update
 * follows the runs of the nodes it touches, not their 256 entries.
 *
 * Publishing. An update runs in two phases. Phase 1 computes the new state
 * without touching anything readers see: a node whose run layout changes
 * is rebuilt into a fresh node; a node whose layout stays keeps its line
 * and gets a list of single-word stores; the plain direct-array leaves of
 * a short prefix's range are rewritten by rule in phase 2 (a /8 covers
 * 65536 of them). Allocation failures end phase 1 with nothing changed.
 * Phase 2 performs the stores (32-bit, release order; a fresh node is
 * complete before the word pointing to it) and retires replaced nodes.
 * Every address's answer therefore goes from old to new in one store.
 * Retired nodes wait in limbo for a grace period (synchronize_rcu,
 * batched) before their memory is reused.
 *
 * Memory. Node lines and leaf blocks live in one pool reserved as address
 * space at creation (it never moves, so readers need no reload) and
 * committed 2 MiB at a time with transparent huge pages; leaves are
 * addressed as 32-bit words of the pool, so inline and block leaves look
 * the same to a lookup. Free lines and free blocks (by length) sit in
 * intrusive lists. Line 0 is never handed out: it holds the none header
 * (mapping every byte to the line's last word, which stays 0), through
 * which batched lookups step ended keys without branching.
 *
 * The /48 cache (IPv6). Lookups under a stored /48 with nothing longer
 * inside ("terminal") are answered by an exact-match hash (struct
 * lpm_cache in lpm.h) after the direct array, instead of three node
 * levels. It holds no node references, only values, and the trie stays
 * the truth: an update of a prefix of length >= 48 first removes its /48
 * from the cache (readers then walk the trie, which still gives the old
 * answer), runs, and then sets the entry again from what the trie now
 * holds (the word for the /48 is a plain leaf of depth 48). Shorter
 * prefixes never change a terminal /48's answer. The cache grows by
 * building a bigger one from the rules and publishing it. */
#include "fib/lpm.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <urcu-qsbr.h>

#define LPM_DIR_SIZE (1u << LPM_DIR_BITS)
#define LPM_HUGE (2u << 20)              /* commit unit, THP size */
#define LPM_DIR_CHUNK (LPM_HUGE / 4)     /* direct entries per 2 MiB */
#define LPM_LINES_MAX (1u << 22)         /* 256 MiB of node lines */
#define LPM_WORDS_MAX (1u << 26)         /* 256 MiB of leaf blocks */
#define LPM_LINE_WORDS 16u
#define LPM_HDR_WORDS 10u                /* inline leaves start here */
#define LPM_BLOCK0 (LPM_LINES_MAX * LPM_LINE_WORDS)  /* first block word */
#define LPM_LIMBO_MIN (1u << 12)         /* retired nodes before a sync */
#define LPM_DEPTH_SHIFT 23
#define LPM_NONE UINT32_MAX
#define LPM_MAX_BITS 128u
#define LPM_CACHE_BITS_MIN 8u            /* buckets: 2^8 .. 2^22 */
#define LPM_CACHE_BITS_MAX 22u

struct lpm_u32v {
	uint32_t *v;
	size_t n, cap;
};

struct lpm_act {
	uint32_t *slot;
	uint32_t word;
};

/* A bump-allocated part of the pool: units of unit bytes from byte off,
 * committed 2 MiB at a time. */
struct lpm_area {
	size_t off, unit, max;
	size_t used;             /* units handed out */
	size_t committed;        /* bytes usable */
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

struct lpm_op;

struct lpm_ctl {
	uint8_t *map, *dmap;             /* pool and direct-array mappings */
	uint8_t *pool;                   /* map aligned to 2 MiB */
	size_t map_len, dmap_len;
	uint32_t dir_written;            /* bit per 2 MiB of the array */
	struct lpm_area lines, words;
	size_t nodes, leaves, block_words;   /* live */
	uint32_t free_line;              /* intrusive list of lines */
	uint32_t free_block[257];        /* intrusive, by block length */
	struct lpm_u32v limbo;           /* retired nodes, before a grace period */
	struct lpm_rules rules;
	/* The update in progress (phase 1 output). */
	struct lpm_act *act;
	size_t nact, capact;
	struct lpm_u32v fresh, retire;
	const struct lpm_op *range_op;   /* direct leaves rewritten by rule */
	uint32_t range_lo, range_n;
	size_t cached;                   /* entries in t->cache */
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
	return &t->line[ext & ~LPM_EXT].h;
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

/* ---- pool ---- */

/* n units of area a (index from the area's start), or LPM_NONE. */
static uint32_t area_take(struct lpm *t, struct lpm_area *a, size_t n)
{
	uint8_t *at;
	uint32_t idx;

	if (a->used + n > a->max)
		return LPM_NONE;
	while ((a->used + n) * a->unit > a->committed) {
		at = t->ctl->pool + a->off + a->committed;
		if (mprotect(at, LPM_HUGE, PROT_READ | PROT_WRITE) != 0)
			return LPM_NONE;
		madvise(at, LPM_HUGE, MADV_HUGEPAGE);
		a->committed += LPM_HUGE;
	}
	idx = (uint32_t)a->used;
	a->used += n;
	return idx;
}

/* Pop an intrusive list whose links are the first word of each member. */
static uint32_t list_pop(uint32_t *head, const uint32_t *first_word)
{
	uint32_t i = *head;

	*head = *first_word;
	return i;
}

/* A node of n runs: its line, with h->base set; LPM_NONE when out of
 * memory. Up to LPM_INLINE leaves live in the line itself. */
static uint32_t node_alloc(struct lpm *t, unsigned n)
{
	struct lpm_ctl *c = t->ctl;
	uint32_t hi, first;

	if (c->free_line != LPM_NONE)
		hi = list_pop(&c->free_line, &t->word[c->free_line *
						      LPM_LINE_WORDS]);
	else if ((hi = area_take(t, &c->lines, 1)) == LPM_NONE)
		return LPM_NONE;
	if (n <= LPM_INLINE) {
		first = hi * LPM_LINE_WORDS + LPM_HDR_WORDS;
	} else {
		if (c->free_block[n] != LPM_NONE)
			first = LPM_BLOCK0 + list_pop(&c->free_block[n],
					&t->word[LPM_BLOCK0 + c->free_block[n]]);
		else if ((first = area_take(t, &c->words, n)) != LPM_NONE)
			first += LPM_BLOCK0;
		if (first == LPM_NONE) {
			t->word[hi * LPM_LINE_WORDS] = c->free_line;
			c->free_line = hi;
			return LPM_NONE;
		}
		c->block_words += n;
	}
	t->line[hi].h.base = first - 1;
	c->nodes++;
	c->leaves += n;
	return hi;
}

/* Free a node no reader can reach any more (no longer counted live). */
static void node_free(struct lpm *t, uint32_t hi)
{
	struct lpm_ctl *c = t->ctl;
	unsigned n = hdr_runs(&t->line[hi].h);
	uint32_t first = t->line[hi].h.base + 1;

	if (n > LPM_INLINE) {
		t->word[first] = c->free_block[n];
		c->free_block[n] = first - LPM_BLOCK0;
	}
	t->word[hi * LPM_LINE_WORDS] = c->free_line;
	c->free_line = hi;
}

/* A live node leaves the count (retired or rolled back). */
static void node_uncount(struct lpm *t, uint32_t hi)
{
	struct lpm_ctl *c = t->ctl;
	unsigned n = hdr_runs(&t->line[hi].h);

	c->nodes--;
	c->leaves -= n;
	if (n > LPM_INLINE)
		c->block_words -= n;
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
	leaf = &t->word[h->base + 1];
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
		leaf = &t->word[h->base + 1];
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
	nh = &t->line[hi].h;
	memcpy(nh->vec, vec, sizeof(vec));
	for (unsigned w = 0; w < 4; w++) {
		nh->cum[w] = (uint8_t)cum;
		cum += (unsigned)__builtin_popcountll(vec[w]);
	}
	memcpy(&t->word[nh->base + 1], r->leaf, r->n * sizeof(r->leaf[0]));
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

/* The direct array: a prefix longer than it descends into one entry; a
 * shorter one covers a range, whose nodes are rewritten now and whose
 * plain leaves are rewritten by rule in phase 2. */
static int apply_dir(struct lpm *t, const struct lpm_op *op)
{
	struct lpm_ctl *c = t->ctl;
	uint32_t idx = lpm_dir_index(op->key), e, nw;
	int rc;

	if (op->len > LPM_DIR_BITS) {
		e = t->dir[idx];
		rc = apply_word(t, e, 3, false, op, &nw);
		return rc == 0 && nw != e ? act_push(c, &t->dir[idx], nw) : rc;
	}
	c->range_op = op;
	c->range_lo = idx;
	c->range_n = 1u << (LPM_DIR_BITS - op->len);
	for (uint32_t i = idx; i < idx + c->range_n; i++) {
		e = t->dir[i];
		if (!(e & LPM_EXT))
			continue;
		rc = apply_word(t, e, 3, true, op, &nw);
		if (rc == 0 && nw != e)
			rc = act_push(c, &t->dir[i], nw);
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
	c->range_op = NULL;
	c->range_n = 0;
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

static void store(uint32_t *slot, uint32_t word)
{
	__atomic_store_n(slot, word, __ATOMIC_RELEASE);
}

/* Note which 2 MiB pages of the direct array hold written entries. */
static void dir_mark(struct lpm *t, const uint32_t *slot)
{
	size_t i = (size_t)(slot - t->dir);

	if (i < LPM_DIR_SIZE)
		t->ctl->dir_written |= 1u << (i / LPM_DIR_CHUNK);
}

/* Publish the computed update; cannot fail (limbo room reserved first). */
static void update_commit(struct lpm *t)
{
	struct lpm_ctl *c = t->ctl;
	const struct lpm_op *op = c->range_op;

	for (uint32_t i = c->range_lo; op && i < c->range_lo + c->range_n;
	     i++) {
		uint32_t e = t->dir[i];

		if (!(e & LPM_EXT) && leaf_hit(op, e) && e != op->leaf) {
			store(&t->dir[i], op->leaf);
			dir_mark(t, &t->dir[i]);
		}
	}
	for (size_t i = 0; i < c->nact; i++) {
		store(c->act[i].slot, c->act[i].word);
		dir_mark(t, c->act[i].slot);
	}
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

/* ---- the /48 cache ---- */

static size_t cache_slots(const struct lpm_cache *c)
{
	return (size_t)LPM_CACHE_WAYS << (LPM_CACHE_LEN - c->shift);
}

static void cache_free(struct lpm_cache *c)
{
	if (c) {
		free(c->slot);
		free(c);
	}
}

/* An empty cache of 2^bits buckets, or NULL. */
static struct lpm_cache *cache_new(unsigned bits)
{
	struct lpm_cache *c = calloc(1, sizeof(*c));
	size_t bytes = ((size_t)LPM_CACHE_WAYS << bits) * sizeof(uint64_t);

	if (!c)
		return NULL;
	c->shift = LPM_CACHE_LEN - bits;
	c->slot = aligned_alloc(64, bytes);
	if (!c->slot) {
		free(c);
		return NULL;
	}
	memset(c->slot, 0, bytes);
	return c;
}

/* The word the dataplane holds for key's first nbytes bytes: the full
 * leaf (value and depth) when nbytes is the key length, or when a leaf
 * covers those bytes; else the node below them. */
static uint32_t leaf_after(const struct lpm *t, const uint8_t *key,
			   unsigned nbytes)
{
	uint32_t e = t->dir[lpm_dir_index(key)];

	for (unsigned i = 3; i < nbytes && (e & LPM_EXT); i++)
		e = *lpm_node_slot(t, hdr_at(t, e), key[i]);
	return e;
}

/* The slot holding key's /48 in c, or NULL; *tag gets its tag and *empty
 * a free slot of its bucket (NULL when full). */
static uint64_t *cache_find(struct lpm_cache *c, const uint8_t *key,
			    uint64_t *tag, uint64_t **empty)
{
	uint64_t h = lpm_cache_hash(key);
	uint64_t *b = &c->slot[lpm_cache_first(c, h)], *mine = NULL;

	*tag = lpm_cache_tag(c, h);
	*empty = NULL;
	for (unsigned s = 0; s < LPM_CACHE_WAYS; s++) {
		if ((b[s] ^ *tag) <= LPM_VALUE_MAX)
			mine = &b[s];
		else if (!b[s] && !*empty)
			*empty = &b[s];
	}
	return mine;
}

/* Set key's /48 to value in c (0: clear it); *n counts c's entries. A /48
 * whose bucket is full is left out. */
static void cache_put(struct lpm_cache *c, const uint8_t *key,
		      uint32_t value, size_t *n)
{
	uint64_t tag, *empty, *mine = cache_find(c, key, &tag, &empty);

	if (value && (mine || empty)) {
		*n += !mine;
		__atomic_store_n(mine ? mine : empty, tag | value,
				 __ATOMIC_RELEASE);
	} else if (mine) {
		*n -= 1;
		__atomic_store_n(mine, 0, __ATOMIC_RELEASE);
	}
}

/* Make c's entry for key's /48 match the trie: its value when that /48 is
 * a stored, terminal prefix (its word is a plain leaf of depth 48), else
 * none. */
static void cache_sync(const struct lpm *t, struct lpm_cache *c,
		       const uint8_t *key, size_t *n)
{
	uint32_t e = leaf_after(t, key, LPM_CACHE_LEN / 8);
	bool terminal = !(e & LPM_EXT) && leaf_depth(e) == LPM_CACHE_LEN;

	cache_put(c, key, terminal ? e & LPM_VALUE_MAX : 0, n);
}

/* Set key's entry from the trie, after an update. */
static void cache_set(struct lpm *t, const uint8_t *key)
{
	if (t->cache)
		cache_sync(t, t->cache, key, &t->ctl->cached);
}

/* Readers stop using key's entry (before an update that may change its
 * answer: they walk the trie meanwhile). */
static void cache_drop(struct lpm *t, const uint8_t *key)
{
	if (t->cache)
		cache_put(t->cache, key, 0, &t->ctl->cached);
}

/* Room for n48 stored /48s at half load: a bigger cache built from the
 * rules, published, and the old one freed after a grace period. Out of
 * memory keeps the old cache (or none): lookups stay correct, only
 * slower. */
static void cache_fit(struct lpm *t, size_t n48)
{
	const struct lpm_rules *r = &t->ctl->rules;
	struct lpm_cache *old = t->cache, *c;
	unsigned bits = LPM_CACHE_BITS_MIN;
	size_t cached = 0;
	uint8_t k[16];

	if (old && (n48 * 2 <= cache_slots(old) ||
		    cache_slots(old) >= (size_t)LPM_CACHE_WAYS <<
					LPM_CACHE_BITS_MAX))
		return;
	while (bits < LPM_CACHE_BITS_MAX &&
	       ((size_t)LPM_CACHE_WAYS << bits) < n48 * 2)
		bits++;
	c = cache_new(bits);
	if (!c)
		return;
	for (size_t i = 0; i < r->cap; i++) {
		const uint32_t *s = rules_at(r, i);

		if (!s[r->kw] || meta_len(s[r->kw]) != LPM_CACHE_LEN)
			continue;
		for (unsigned w = 0; w < r->kw; w++) {
			uint32_t be = htobe32(s[w]);

			memcpy(k + 4 * w, &be, sizeof(be));
		}
		cache_sync(t, c, k, &cached);
	}
	__atomic_store_n(&t->cache, c, __ATOMIC_RELEASE);
	t->ctl->cached = cached;
	if (old) {
		synchronize_rcu();
		cache_free(old);
	}
}

/* Does an update of a len-bit prefix concern the cache? */
static bool cache_touched(const struct lpm *t, unsigned len)
{
	return t->key_bytes == 16 && len >= LPM_CACHE_LEN;
}

/* ---- API ---- */

/* Reserve len bytes of address space aligned to 2 MiB (for huge pages);
 * (map, map_len) get what to unmap. NULL when the space is not there. */
static uint8_t *reserve(size_t len, int prot, uint8_t **map, size_t *map_len)
{
	uintptr_t a;

	*map_len = len + LPM_HUGE;
	*map = mmap(NULL, *map_len, prot,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (*map == MAP_FAILED) {
		*map = NULL;
		return NULL;
	}
	a = ((uintptr_t)*map + LPM_HUGE - 1) & ~(uintptr_t)(LPM_HUGE - 1);
	return (uint8_t *)a;
}

int lpm_init(struct lpm *t, unsigned key_bytes)
{
	struct lpm_ctl *c;
	uint8_t *pool;

	memset(t, 0, sizeof(*t));
	if (key_bytes != 4 && key_bytes != 16)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	t->ctl = c;
	t->dir = (uint32_t *)(void *)reserve((size_t)LPM_DIR_SIZE * 4,
					     PROT_READ | PROT_WRITE, &c->dmap,
					     &c->dmap_len);
	pool = reserve((size_t)LPM_BLOCK0 * 4 + (size_t)LPM_WORDS_MAX * 4,
		       PROT_NONE, &c->map, &c->map_len);
	if (!t->dir || !pool) {
		lpm_fini(t);
		return -ENOMEM;
	}
	madvise(t->dir, (size_t)LPM_DIR_SIZE * 4, MADV_HUGEPAGE);
	c->pool = pool;
	c->lines = (struct lpm_area){ .off = 0, .unit = 64,
				      .max = LPM_LINES_MAX };
	c->words = (struct lpm_area){ .off = (size_t)LPM_BLOCK0 * 4, .unit = 4,
				      .max = LPM_WORDS_MAX };
	t->line = (struct lpm_line *)(void *)pool;
	t->word = (uint32_t *)(void *)pool;
	/* Line 0 is never a node: the none header. Every byte is in its
	 * first run, whose leaf is word base + 1 = the last inline one. */
	if (area_take(t, &c->lines, 1) != 0) {
		lpm_fini(t);
		return -ENOMEM;
	}
	t->line[0].h.vec[0] = 1;
	t->line[0].h.base = LPM_LINE_WORDS - 2;
	t->line[0].h.cum[1] = t->line[0].h.cum[2] = t->line[0].h.cum[3] = 1;
	c->rules.kw = key_bytes / 4;
	c->free_line = LPM_NONE;
	memset(c->free_block, 0xff, sizeof(c->free_block));
	t->key_bytes = key_bytes;
	return 0;
}

void lpm_fini(struct lpm *t)
{
	struct lpm_ctl *c = t->ctl;

	if (c) {
		if (c->dmap)
			munmap(c->dmap, c->dmap_len);
		if (c->map)
			munmap(c->map, c->map_len);
		free(c->limbo.v);
		free(c->fresh.v);
		free(c->retire.v);
		free(c->act);
		free(c->rules.slot);
		free(c);
	}
	cache_free(t->cache);
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
	if (cache_touched(t, len)) {
		if (len == LPM_CACHE_LEN && i == SIZE_MAX)
			cache_fit(t, r->per_len[len] + 1);
		cache_drop(t, k);
	}
	rc = update_run(t, &op);
	if (cache_touched(t, len))
		cache_set(t, k);
	if (rc)
		return rc;
	if (i != SIZE_MAX)
		rules_at(r, i)[r->kw] = 1u << 31 | leaf_make(value, len);
	else
		rules_put(r, w, len, value);
	return 0;
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
	e = leaf_after(t, pk, t->key_bytes);
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
	if (cache_touched(t, len))
		cache_drop(t, k);
	rc = update_run(t, &op);
	if (cache_touched(t, len))
		cache_set(t, k);
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
	st->dir_bytes = (size_t)__builtin_popcount(c->dir_written) * LPM_HUGE;
	st->node_bytes = c->nodes * sizeof(struct lpm_line) +
			 c->block_words * sizeof(uint32_t);
	st->pool_bytes = c->lines.used * c->lines.unit +
			 c->words.used * c->words.unit;
	st->rules_bytes = c->rules.cap * rules_stride(&c->rules) *
			  sizeof(uint32_t);
	st->cache_bytes = t->cache ? cache_slots(t->cache) * sizeof(uint64_t)
				   : 0;
	st->cached = c->cached;
}

/* ---- batched lookup ---- */

#define LPM_BATCH 64u     /* keys walked down together */
#define LPM_CHUNK 256u    /* keys per direct-array pass */

/* Keys of one chunk on their way down: the line of the node each has
 * reached (pool line number times the line size, as a byte offset: the
 * walk adds it to the pool base as it is), its key, and its index in the
 * caller's value array. */
struct lpm_walk {
	uint32_t node[LPM_CHUNK];
	const uint8_t *key[LPM_CHUNK];
	uint16_t id[LPM_CHUNK];
};

_Static_assert((uint64_t)LPM_LINES_MAX * sizeof(struct lpm_line) <= UINT32_MAX,
	       "a line's byte offset fits walk->node[]");

/* The byte offset walk->node[] holds for word e: its node's line, or line
 * 0 (the none header, mapping every byte to a 0 word) when e is a plain
 * leaf. Batched lookups step every key through the same reads, without
 * branching on whether it still goes down (that is data, and mispredicting
 * it costs more than the lookup); computed with a mask, not a condition
 * the compiler could turn into a branch. */
static inline uint32_t walk_node_of(uint32_t e)
{
	return (e & ~LPM_EXT & (0u - (e >> 31))) *
	       (uint32_t)sizeof(struct lpm_line);
}

static inline const struct lpm_hdr *walk_hdr(const struct lpm *t,
					     uint32_t node)
{
	return (const struct lpm_hdr *)((const char *)t->line + node);
}

/* Make (node, key, id) entry n of w (compaction in place: the caller has
 * read entry n already when n < its current entry). */
static void walk_keep(struct lpm_walk *w, unsigned n, uint32_t node,
		      const uint8_t *key, uint16_t id)
{
	w->node[n] = node;
	w->key[n] = key;
	w->id[n] = id;
}

/* Walk keys first .. first + n - 1 of w (n <= LPM_BATCH, all at a node)
 * down to their leaves, level by level. A pass computes and prefetches the
 * leaf slot of every key still going down, the next one reads them all,
 * stores each answer in value[] and keeps, compacted, the keys that reached
 * another node (prefetching its header). The compaction count depends on
 * the words read, but only the stores wait for it; the reads stay
 * independent. Nothing branches on the data (whether a key stops is data,
 * and mispredicting it costs more than a level). */
static void walk_group(const struct lpm *t, struct lpm_walk *w,
		       unsigned first, unsigned n, uint32_t *value)
{
	uint32_t *node = w->node + first;
	const uint8_t **key = w->key + first;
	uint16_t *id = w->id + first;
	const uint32_t *slot[LPM_BATCH];

	for (unsigned level = 3; n; level++) {
		unsigned down = 0;

		for (unsigned j = 0; j < n; j++) {
			slot[j] = lpm_node_slot(t, walk_hdr(t, node[j]),
						key[j][level]);
			__builtin_prefetch(slot[j]);
		}
		for (unsigned j = 0; j < n; j++) {
			uint32_t x = lpm_load(slot[j]);
			uint32_t next = walk_node_of(x);
			uint16_t i = id[j];

			value[i] = x & LPM_VALUE_MAX;
			walk_keep(w, first + down, next, key[j], i);
			__builtin_prefetch(walk_hdr(t, next));
			down += x >> 31;
		}
		n = down;
	}
}

/* Up to LPM_CHUNK keys: the direct array in one lean pass, then the keys
 * that go on into nodes: first the /48 cache when there is one (hits are
 * answered, misses kept), then the trie, in groups. The first pass
 * branches on "goes on": keys of one batch nearly all do (addresses inside
 * routed IPv6 space, where prefixes are longer than /24) or nearly all do
 * not, so the branch predicts well and the reads stay independent. (No
 * prefetching of direct entries: those an IPv6 table writes are few and
 * stay cached.) The cache's shape is copied once: the stores to value[]
 * could alias it as far as the compiler knows, so it would be reloaded
 * for every key. */
static void lookup_chunk(const struct lpm *t, const uint8_t *key,
			 size_t stride, unsigned n, uint32_t *value)
{
	const struct lpm_cache *c = lpm_cache_of(t);
	const struct lpm_cache cache = c ? *c : (struct lpm_cache){ 0 };
	const uint64_t *bucket[LPM_CHUNK];
	uint64_t tag[LPM_CHUNK];
	struct lpm_walk w;
	unsigned na = 0, down = 0;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *k = key + i * stride;
		uint32_t d = lpm_load(&t->dir[lpm_dir_index(k)]);

		value[i] = d & LPM_VALUE_MAX;
		if (!(d & LPM_EXT))
			continue;
		if (c) {
			uint64_t h = lpm_cache_hash(k);

			bucket[na] = lpm_cache_bucket(&cache, h);
			tag[na] = lpm_cache_tag(&cache, h);
			__builtin_prefetch(bucket[na]);
		}
		w.node[na] = walk_node_of(d);
		w.key[na] = k;
		w.id[na++] = (uint16_t)i;
	}
	if (!c)
		down = na;
	for (unsigned j = 0; c && j < na; j++) {
		uint32_t v = lpm_cache_match(bucket[j], tag[j]);
		uint16_t i = w.id[j];

		value[i] = v;
		walk_keep(&w, down, w.node[j], w.key[j], i);
		down += v == 0;
	}
	for (unsigned j = 0; j < down; j++)
		__builtin_prefetch(walk_hdr(t, w.node[j]));
	for (unsigned g = 0; g < down; g += LPM_BATCH)
		walk_group(t, &w, g, down - g < LPM_BATCH ? down - g : LPM_BATCH,
			   value);
}

void lpm_lookup_batch(const struct lpm *t, const uint8_t *key, size_t stride,
		      unsigned n, uint32_t *value)
{
	for (unsigned i = 0; i < n; i += LPM_CHUNK) {
		unsigned m = n - i < LPM_CHUNK ? n - i : LPM_CHUNK;

		lookup_chunk(t, key + i * stride, stride, m, value + i);
	}
}
