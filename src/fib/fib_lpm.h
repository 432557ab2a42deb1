/* The FIB's dataplane lookup structure for one table and family: the LPM
 * (lpm4 / lpm6) maps each prefix holding routes to a small stable id, and
 * two id tables map the id to the shared forwarding object (fib_fwd.h) of
 * the prefix's current first route (the one a lookup answers with) and to
 * that route. A lookup reads the LPM, the id's 8-byte object pointer and
 * the (hot) object; the per-prefix route record is read only when a caller
 * asks for it (fib_lpm_route: the control plane, slow paths). fib.c keeps
 * this in step with its trie (which stays the control-plane store) and
 * asks it, not the trie, on every lookup. Only src/fib/ uses this header.
 *
 * Ids: a prefix keeps its id while it holds routes, so changing its route
 * list is two pointer stores and the LPM is not touched. A removed
 * prefix's id is reused only after a grace period, so a reader that found
 * the id just before the removal still reads the prefix's (old) route and
 * object.
 *
 * Threads: fib_lpm_lookup*(), fib_lpm_fwd() and fib_lpm_route() are RCU
 * readers (QSBR) and never lock; the rest is for the control thread. */
#ifndef USNET_FIB_FIB_LPM_H
#define USNET_FIB_FIB_LPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <urcu-qsbr.h>

#include "core/pkt.h"
#include "fib/fib_trie.h"
#include "fib/lpm4.h"
#include "fib/lpm6.h"

#define FIB_LPM_CHUNK_BITS 12u
#define FIB_LPM_CHUNK (1u << FIB_LPM_CHUNK_BITS)
#define FIB_LPM_CHUNKS ((LPM_VALUE_MAX >> FIB_LPM_CHUNK_BITS) + 1)

struct fib_fwd;

struct fib_lpm_ids {
	uint32_t *v;
	size_t n;
};

struct fib_lpm {
	int family;
	struct lpm4 *v4;   /* AF_INET */
	struct lpm6 *v6;   /* AF_INET6 */
	/* id -> object and id -> route, in chunks that never move: chunk
	 * pointers and entries are RCU-published. The two are published one
	 * after the other: a reader racing a change may see the new route
	 * with the old object or the reverse; both stay valid for a grace
	 * period, and the datapath decides by the object alone. */
	const struct fib_fwd **fwd[FIB_LPM_CHUNKS];
	const struct fib_route **route[FIB_LPM_CHUNKS];
	/* Control thread: ids never handed out start at next_id; both stacks
	 * have room for every id handed out, so releasing cannot fail. */
	uint32_t next_id;
	size_t ids_cap;
	struct fib_lpm_ids free_ids;   /* reusable now */
	struct fib_lpm_ids pend_ids;   /* released, wait for a grace period */
};

/* A new empty structure for AF_INET or AF_INET6, NULL when out of memory.
 * fib_lpm_free(): no reader may be inside any more; NULL is fine. Neither
 * frees route lists (the trie owns them). Control thread. */
struct fib_lpm *fib_lpm_new(int family);
void fib_lpm_free(struct fib_lpm *l);

/* prefix/plen (host bits zero) now answers with route `first` and its
 * forwarding object fwd (first NULL: no routes any more). The route and
 * object it stops answering with must stay valid for a grace period (the
 * caller's fib_gc does that). 0, or -ENOMEM / -ENOSPC (out of ids) with
 * nothing changed; only adding a new prefix or removing one can fail.
 * Control thread. */
int fib_lpm_set(struct fib_lpm *l, const union pkt_addr *prefix,
		unsigned plen, const struct fib_route *first,
		const struct fib_fwd *fwd);

/* The object of id (a live or recently released id). RCU reader. */
static inline const struct fib_fwd *fib_lpm_fwd(const struct fib_lpm *l,
					       uint32_t id)
{
	const struct fib_fwd **c = rcu_dereference(l->fwd[id >> FIB_LPM_CHUNK_BITS]);

	return rcu_dereference(c[id & (FIB_LPM_CHUNK - 1)]);
}

/* The route of id: the first route of its prefix (a live or recently
 * released id). RCU reader. */
static inline const struct fib_route *fib_lpm_route(const struct fib_lpm *l,
						    uint32_t id)
{
	const struct fib_route **c =
		rcu_dereference(l->route[id >> FIB_LPM_CHUNK_BITS]);

	return rcu_dereference(c[id & (FIB_LPM_CHUNK - 1)]);
}

/* The id of the longest prefix covering dst, 0 when none. RCU reader. */
static inline uint32_t fib_lpm_lookup(const struct fib_lpm *l,
				      const union pkt_addr *dst)
{
	return l->family == AF_INET ? lpm4_lookup(l->v4, dst->v4)
				    : lpm6_lookup(l->v6, dst->v6);
}

/* n lookups at once (memory accesses overlapped): id[i] as from
 * fib_lpm_lookup() and fwd[i] its object (NULL when id[i] is 0), the
 * objects prefetched. RCU reader. */
void fib_lpm_lookup_batch(const struct fib_lpm *l, const union pkt_addr *dst,
			  unsigned n, uint32_t *id, const struct fib_fwd **fwd);

/* Memory held: the LPM's figures plus the id table in id_bytes. */
void fib_lpm_stats(const struct fib_lpm *l, struct lpm_stats *st,
		   size_t *id_bytes);

#endif
