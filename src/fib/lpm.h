/* Longest-prefix-match engine shared by lpm4 (IPv4) and lpm6 (IPv6): maps
 * prefixes to small integer values and answers "longest prefix covering
 * this address" for the dataplane without locks. Only src/fib/ uses it;
 * the rest of usnet goes through lpm4.h / lpm6.h or the FIB.
 *
 * Structure (design note in lpm.c): a direct array of 2^24 leaves indexed
 * by the first three address bytes (DIR-24), then nodes of 256 entries
 * indexed by one address byte each, stored leaf-compressed: a 64-byte node
 * line holds the header (256-bit vector marking where runs of equal
 * entries start, run counts, leaf base) and, for nodes of up to six runs,
 * the run leaves themselves; bigger nodes keep their leaves in a block
 * elsewhere in the same pool. Every table word is a naturally aligned
 * 32-bit "leaf":
 *
 *   bit 31 set:   EXT, bits 0..30 = the child node's line
 *   bit 31 clear: bits 23..30 = depth (prefix length that set it),
 *                 bits 0..22 = value (0 = no route)
 *
 * IPv6 tables add the /48 cache (struct lpm_cache): the stored /48s with
 * nothing longer inside, by exact match, so that a batched lookup under
 * one of them stops after the direct array and one hash line.
 *
 * Threads: lpm_lookup*() are RCU readers (liburcu QSBR; any thread, never
 * lock). Everything else is for one control thread at a time. */
#ifndef USNET_FIB_LPM_H
#define USNET_FIB_LPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <endian.h>

#define LPM_VALUE_MAX ((1u << 23) - 1)   /* largest value; 0 = no match */
#define LPM_EXT (1u << 31)
#define LPM_DIR_BITS 24
#define LPM_INLINE 6u                    /* runs kept in the node's line */
#define LPM_CACHE_LEN 48u                /* IPv6 prefix length cached */
#define LPM_CACHE_WAYS 4u                /* slots per bucket: 32 bytes */
#define LPM_CACHE_KEY ((1ull << LPM_CACHE_LEN) - 1)
#define LPM_CACHE_MUL 0x9e3779b97f4bull  /* odd: a bijection mod 2^48 */

struct lpm_ctl;

/* A node's header: bit i of vec set = entry i starts a run; the leaf of
 * entry i is word base + cum[i / 64] + (set bits of vec at or below i in
 * word i / 64) of the pool. Immutable once published (a reshaped node is
 * a new one; leaves change in place). */
struct lpm_hdr {
	uint64_t vec[4];
	uint32_t base;          /* pool word of the node's first leaf, - 1 */
	uint8_t cum[4];         /* runs before each vector word */
};

/* A node: one 64-byte line, its first LPM_INLINE leaves right after the
 * header when it has no more runs than that. */
struct lpm_line {
	struct lpm_hdr h;
	uint32_t leaf[LPM_INLINE];
};

/* The /48 cache: an exact-match hash of the stored /48s that hold no
 * longer prefix (so every address under one has its value for answer).
 * Half of a real IPv6 table is /48s, the longest length the global table
 * carries. A missing entry is never wrong (the lookup walks the trie), so
 * a full bucket just leaves a /48 out. Key: the address's first 48 bits
 * times LPM_CACHE_MUL mod 2^48 (a bijection); its top bits pick the
 * bucket, and the other shift bits, under a marker bit, are the tag. A
 * slot is one 64-bit word, tag << 23 | value (0 = empty), written with one
 * store, so readers never see half an entry. The shape is fixed once
 * published (a bigger cache is a new one). */
struct lpm_cache {
	uint64_t *slot;         /* 2^(48 - shift) buckets of LPM_CACHE_WAYS */
	unsigned shift;         /* tag bits below the marker */
};

/* Readers use dir, line, word and cache. Pool line 0 is never a node: it
 * holds the "none" header, which maps every byte to the line's last word,
 * always 0. */
struct lpm {
	uint32_t *dir;          /* 2^24 leaves, by the first three key bytes */
	struct lpm_line *line;  /* the pool as node lines */
	uint32_t *word;         /* the same pool as 32-bit words (leaves) */
	struct lpm_cache *cache;    /* IPv6 with /48s only; RCU-published */
	unsigned key_bytes;     /* 4 (IPv4) or 16 (IPv6) */
	struct lpm_ctl *ctl;    /* control-plane state (lpm.c) */
};

/* Memory use, for benchmarks and `show`. */
struct lpm_stats {
	size_t prefixes;        /* stored prefixes */
	size_t nodes;           /* live nodes */
	size_t leaves;          /* live leaves (runs) in nodes */
	size_t dir_bytes;       /* the direct array: 2 MiB pages written */
	size_t node_bytes;      /* live node lines and leaf blocks */
	size_t pool_bytes;      /* node pool in use, free lines included */
	size_t rules_bytes;     /* the exact-prefix table (control plane) */
	size_t cache_bytes;     /* the /48 cache */
	size_t cached;          /* /48s in it */
};

/* Make t an empty table for keys of key_bytes (4 or 16) bytes. 0, -EINVAL
 * or -ENOMEM (memory or address space short; t is then left empty and
 * lpm_fini() is optional). Control thread. */
int lpm_init(struct lpm *t, unsigned key_bytes);
/* Free everything t holds; no reader may be inside any more. A zeroed or
 * already finished t is fine. */
void lpm_fini(struct lpm *t);

/* Map prefix/len (key bytes in network order; bits past len are ignored)
 * to value, adding it or changing its value. 0, -EINVAL (len > key bits,
 * value 0 or > LPM_VALUE_MAX) or -ENOMEM; on error nothing changed.
 * Readers see each address's answer change from the old to the new value
 * in one step. May wait for a grace period (synchronize_rcu) to recycle
 * memory. Control thread. */
int lpm_add(struct lpm *t, const uint8_t *prefix, unsigned len,
	    uint32_t value);
/* Remove prefix/len: its addresses fall back to the next shorter prefix.
 * 0, -ENOENT, -EINVAL or -ENOMEM (a node had to be rebuilt and memory
 * ran out; nothing changed). May wait for a grace period. Control thread. */
int lpm_del(struct lpm *t, const uint8_t *prefix, unsigned len);
/* The value stored for exactly prefix/len. Control thread. */
bool lpm_get(const struct lpm *t, const uint8_t *prefix, unsigned len,
	     uint32_t *value);
/* Wait for a grace period and recycle every retired node now. Control
 * thread (does nothing when nothing is retired). */
void lpm_reclaim(struct lpm *t);
void lpm_stats(const struct lpm *t, struct lpm_stats *st);

static inline uint32_t lpm_load(const uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* The first three key bytes as a number: one 32-bit load (keys are at
 * least 4 bytes), byte-swapped. */
static inline uint32_t lpm_dir_index(const uint8_t *key)
{
	uint32_t w;

	memcpy(&w, key, sizeof(w));
	return be32toh(w) >> 8;
}

static inline const struct lpm_hdr *lpm_node(const struct lpm *t,
					     uint32_t ext)
{
	return &t->line[ext & ~LPM_EXT].h;
}

/* Address of the leaf for byte idx in node h. */
static inline const uint32_t *lpm_node_slot(const struct lpm *t,
					    const struct lpm_hdr *h,
					    unsigned idx)
{
	unsigned w = idx >> 6;
	uint32_t r = h->base + h->cum[w] +
		     (uint32_t)__builtin_popcountll(h->vec[w] << (63 - (idx & 63)));

	return &t->word[r];
}

/* The cache, or NULL. RCU reader (the pointer is published with release
 * order once the cache is filled). */
static inline const struct lpm_cache *lpm_cache_of(const struct lpm *t)
{
	return __atomic_load_n(&t->cache, __ATOMIC_ACQUIRE);
}

/* key's /48 hashed (16-byte keys only). */
static inline uint64_t lpm_cache_hash(const uint8_t *key)
{
	uint64_t w;

	memcpy(&w, key, sizeof(w));
	return ((be64toh(w) >> 16) * LPM_CACHE_MUL) & LPM_CACHE_KEY;
}

/* Index of the first slot of hash h's bucket. */
static inline size_t lpm_cache_first(const struct lpm_cache *c, uint64_t h)
{
	return (size_t)(h >> c->shift) * LPM_CACHE_WAYS;
}

static inline const uint64_t *lpm_cache_bucket(const struct lpm_cache *c,
					       uint64_t h)
{
	return &c->slot[lpm_cache_first(c, h)];
}

/* What a slot for hash h holds above its value. */
static inline uint64_t lpm_cache_tag(const struct lpm_cache *c, uint64_t h)
{
	uint64_t marker = 1ull << c->shift;

	return ((h & (marker - 1)) | marker) << 23;
}

/* The value bucket b holds for tag, or 0. No branch on the data, no loop
 * left (unrolled). A select, not an OR of the ways: the writer moves a
 * tag only by clearing its slot before setting another, but a reader's
 * four loads are not one snapshot and may see both; it must then answer
 * one of the two values, each valid at some moment, not a mix. */
static inline uint32_t lpm_cache_match(const uint64_t *b, uint64_t tag)
{
	uint32_t v = 0;

#pragma GCC unroll 4
	for (unsigned s = 0; s < LPM_CACHE_WAYS; s++) {
		uint64_t x = __atomic_load_n(&b[s], __ATOMIC_RELAXED) ^ tag;

		v = x <= LPM_VALUE_MAX ? (uint32_t)x : v;
	}
	return v;
}

/* Longest-prefix match: the value of the longest prefix covering key, or
 * 0. RCU reader. (The /48 cache is for batches: here, one lookup at a
 * time, "hit or not" is a branch on data, and its mispredictions cost
 * more than the levels a hit saves.) */
static inline uint32_t lpm_lookup(const struct lpm *t, const uint8_t *key)
{
	uint32_t e = lpm_load(&t->dir[lpm_dir_index(key)]);

	for (unsigned i = 3; e & LPM_EXT; i++)
		e = lpm_load(lpm_node_slot(t, lpm_node(t, e), key[i]));
	return e & LPM_VALUE_MAX;
}

/* n lookups at once (keys at key, key + stride, ...), interleaved so their
 * memory accesses overlap. RCU reader. */
void lpm_lookup_batch(const struct lpm *t, const uint8_t *key, size_t stride,
		      unsigned n, uint32_t *value);

#endif
