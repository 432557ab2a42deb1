/* FIB internals: the longest-prefix-match trie of one table and family, the
 * address key shared by IPv4 and IPv6, and deferred freeing after an RCU
 * grace period. Only src/fib/ uses this header.
 *
 * Threads: fib_trie_lookup() is an RCU reader (QSBR) and never locks; every
 * other function is for the control thread only. */
#ifndef USNET_FIB_FIB_TRIE_H
#define USNET_FIB_FIB_TRIE_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "core/pkt.h"
#include "fib/fib.h"

/* An address as a 128-bit host-order number, most significant bit first:
 * IPv4 sits in the top 32 bits of hi. One key type lets one trie and one
 * set of prefix helpers serve both families. */
struct fib_key {
	uint64_t hi, lo;
};

static inline unsigned fib_family_bits(int family)
{
	return family == AF_INET ? 32u : 128u;
}

static inline struct fib_key fib_key_from(int family, const union pkt_addr *a)
{
	struct fib_key k;

	if (family == AF_INET) {
		k.hi = (uint64_t)be32toh(a->v4) << 32;
		k.lo = 0;
	} else {
		k.hi = be64toh(a->v6q[0]);
		k.lo = be64toh(a->v6q[1]);
	}
	return k;
}

static inline void fib_key_to(int family, struct fib_key k, union pkt_addr *a)
{
	if (family == AF_INET) {
		a->v4 = htobe32((uint32_t)(k.hi >> 32));
	} else {
		a->v6q[0] = htobe64(k.hi);
		a->v6q[1] = htobe64(k.lo);
	}
}

/* Mask of the first n bits of a 64-bit word, n in [0, 64]. */
static inline uint64_t fib_mask64(unsigned n)
{
	return n == 0 ? 0 : ~0ull << (64 - n);
}

/* k with every bit from position plen on cleared (plen <= 128). */
static inline struct fib_key fib_key_mask(struct fib_key k, unsigned plen)
{
	k.hi &= fib_mask64(plen < 64 ? plen : 64);
	k.lo &= fib_mask64(plen > 64 ? plen - 64 : 0);
	return k;
}

/* Bit i (0 = most significant), i < 128. */
static inline unsigned fib_key_bit(struct fib_key k, unsigned i)
{
	return i < 64 ? (unsigned)(k.hi >> (63 - i)) & 1u
		      : (unsigned)(k.lo >> (127 - i)) & 1u;
}

/* Number of leading bits a and b have in common (0..128). */
static inline unsigned fib_key_common(struct fib_key a, struct fib_key b)
{
	if (a.hi != b.hi)
		return (unsigned)__builtin_clzll(a.hi ^ b.hi);
	if (a.lo != b.lo)
		return 64u + (unsigned)__builtin_clzll(a.lo ^ b.lo);
	return 128u;
}

/* Do a and b agree on their first plen bits? */
static inline bool fib_key_match(struct fib_key a, struct fib_key b,
				 unsigned plen)
{
	return fib_key_common(a, b) >= plen;
}

/* Routes sharing one prefix, in lookup order (metric ascending, then
 * insertion order as Linux orders its aliases). Immutable once published:
 * a change builds a new list and retires the old one. */
struct fib_rlist {
	uint32_t n;
	struct fib_route *r[];
};

/* Pointers waiting for a grace period before free(). Control thread. */
struct fib_gc {
	void **ptr;
	size_t n, cap;
};

/* Free p (may be NULL) after the next grace period. Never fails: when the
 * pending list cannot grow it waits for a grace period on the spot. */
void fib_gc_defer(struct fib_gc *gc, void *p);
/* Wait for a grace period (only when something is pending) and free all. */
void fib_gc_flush(struct fib_gc *gc);

struct fib_trie_node;

struct fib_trie {
	struct fib_trie_node *root;  /* RCU-published */
	uint8_t family;
	size_t nprefixes;            /* prefixes that hold routes */
};

void fib_trie_init(struct fib_trie *t, int family);
/* Free every node and hand every route list to free_list (shutdown: no
 * reader may still be inside). */
void fib_trie_destroy(struct fib_trie *t,
		      void (*free_list)(struct fib_rlist *rl));

/* Longest-prefix match: the route list of the longest prefix covering dst,
 * or NULL. RCU reader, any thread; the list stays valid until the caller's
 * next quiescent state. */
const struct fib_rlist *fib_trie_lookup(const struct fib_trie *t,
					const union pkt_addr *dst);

/* The route list stored for exactly prefix/plen, or NULL. Control thread. */
struct fib_rlist *fib_trie_get(const struct fib_trie *t,
			       const union pkt_addr *prefix, unsigned plen);

/* Publish rl as the route list of prefix/plen (host bits must be zero),
 * replacing the present one; rl == NULL removes the prefix. The replaced
 * list and any node taken out of the trie go to gc (the routes inside the
 * old list do not: the caller knows which of them are gone). 0, or -ENOMEM
 * with nothing changed. Control thread. */
int fib_trie_set(struct fib_trie *t, const union pkt_addr *prefix,
		 unsigned plen, struct fib_rlist *rl, struct fib_gc *gc);

/* Visit every prefix that holds routes in prefix order (address ascending,
 * shorter prefix first when two start at the same address). fn must not
 * change the trie. Control thread. */
void fib_trie_walk(const struct fib_trie *t,
		   void (*fn)(struct fib_rlist *rl, void *arg), void *arg);

#endif
