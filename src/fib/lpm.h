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

/* Readers use the first three fields only. Pool line 0 is never a node:
 * it holds the "none" header, which maps every byte to the line's last
 * word, always 0. */
struct lpm {
	uint32_t *dir;          /* 2^24 leaves, by the first three key bytes */
	struct lpm_line *line;  /* the pool as node lines */
	uint32_t *word;         /* the same pool as 32-bit words (leaves) */
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

/* The header of e's node, or the none header (line 0) when e is a plain
 * leaf: batched lookups step every key through the same reads, without
 * branching on whether it still goes down (that is data, and mispredicting
 * it costs more than the lookup). Computed with a mask, not a condition
 * the compiler could turn into a branch. */
static inline const struct lpm_hdr *lpm_node_or_none(const struct lpm *t,
						     uint32_t e)
{
	return &t->line[e & ~LPM_EXT & (0u - (e >> 31))].h;
}

/* Longest-prefix match: the value of the longest prefix covering key, or
 * 0. RCU reader. */
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
