/* Longest-prefix-match engine shared by lpm4 (IPv4) and lpm6 (IPv6): maps
 * prefixes to small integer values and answers "longest prefix covering
 * this address" for the dataplane without locks. Only src/fib/ uses it;
 * the rest of usnet goes through lpm4.h / lpm6.h or the FIB.
 *
 * Structure (design note in lpm.c): a 2^16-entry direct array indexed by
 * the first two address bytes, then nodes of 256 entries indexed by one
 * address byte each, stored leaf-compressed: a node header (256-bit vector
 * marking where runs of equal entries start, run counts, leaf base) in a
 * compact header array, and one 32-bit leaf per run in a leaf array.
 * Every table word is a naturally aligned 32-bit "leaf":
 *
 *   bit 31 set:   EXT, bits 0..30 = index of the child node's header
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

#define LPM_VALUE_MAX ((1u << 23) - 1)   /* largest value; 0 = no match */
#define LPM_EXT (1u << 31)
#define LPM_DIR_BITS 16

struct lpm_ctl;

/* A node's header: bit i of vec set = entry i starts a run; the leaf of
 * entry i is leaf[base + cum[i / 64] + (set bits of vec at or below i in
 * word i / 64)]. Immutable once published (a reshaped node is a new one). */
struct lpm_hdr {
	uint64_t vec[4];
	uint32_t base;          /* index of the node's first leaf, minus 1 */
	uint8_t cum[4];         /* runs before each vector word */
};

/* Readers use the first three fields only. */
struct lpm {
	uint32_t *dir;          /* 2^16 leaves, by the first two key bytes */
	struct lpm_hdr *hdr;    /* node headers (address space reserved) */
	uint32_t *leaf;         /* node leaves (address space reserved) */
	unsigned key_bytes;     /* 4 (IPv4) or 16 (IPv6) */
	struct lpm_ctl *ctl;    /* control-plane state (lpm.c) */
};

/* Memory use, for benchmarks and `show`. */
struct lpm_stats {
	size_t prefixes;        /* stored prefixes */
	size_t nodes;           /* live nodes */
	size_t leaves;          /* live leaves (runs) in nodes */
	size_t dir_bytes;       /* the direct array */
	size_t node_bytes;      /* live headers and leaves */
	size_t pool_bytes;      /* header and leaf pools in use, free included */
	size_t rules_bytes;     /* the exact-prefix table (control plane) */
};

/* Make t an empty table for keys of key_bytes (4 or 16) bytes. 0, -EINVAL
 * or -ENOMEM (memory or address space for the node pool short; t is then
 * left empty and lpm_fini() is optional). Control thread. */
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

static inline const struct lpm_hdr *lpm_node(const struct lpm *t,
					     uint32_t ext)
{
	return &t->hdr[ext & ~LPM_EXT];
}

/* Address of the leaf for byte idx in node h. */
static inline const uint32_t *lpm_node_slot(const struct lpm *t,
					    const struct lpm_hdr *h,
					    unsigned idx)
{
	unsigned w = idx >> 6;
	uint32_t r = h->base + h->cum[w] +
		     (uint32_t)__builtin_popcountll(h->vec[w] << (63 - (idx & 63)));

	return &t->leaf[r];
}

/* Longest-prefix match: the value of the longest prefix covering key, or
 * 0. RCU reader. */
static inline uint32_t lpm_lookup(const struct lpm *t, const uint8_t *key)
{
	uint32_t e = lpm_load(&t->dir[(unsigned)key[0] << 8 | key[1]]);

	for (unsigned i = 2; e & LPM_EXT; i++)
		e = lpm_load(lpm_node_slot(t, lpm_node(t, e), key[i]));
	return e & LPM_VALUE_MAX;
}

/* n lookups at once (keys at key, key + stride, ...), interleaved so their
 * memory accesses overlap. RCU reader. */
void lpm_lookup_batch(const struct lpm *t, const uint8_t *key, size_t stride,
		      unsigned n, uint32_t *value);

#endif
