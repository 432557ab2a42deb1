/* The FIB's dataplane lookup structure for one table and family: the LPM
 * (lpm4 / lpm6) maps each prefix holding routes to a small stable id, and
 * an id table maps the id to the first route of the prefix's current route
 * list (the one a lookup answers with) and that route's shared forwarding
 * object (fib_fwd.h), side by side in one 16-byte slot: a lookup reads the
 * slot and the (hot) object, not the per-prefix route record. fib.c keeps it in step with its
 * trie (which stays the control-plane store) and asks it, not the trie, on
 * every lookup. Only src/fib/ uses this header.
 *
 * Ids: a prefix keeps its id while it holds routes, so changing its route
 * list is one pointer store and the LPM is not touched. A removed prefix's
 * id is reused only after a grace period, so a reader that found the id
 * just before the removal still reads the prefix's (old) route.
 *
 * Threads: fib_lpm_lookup*() are RCU readers (QSBR) and never lock; the
 * rest is for the control thread. */
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

/* What an id leads to. The two pointers are published one after the
 * other: a reader racing a change may see the new route with the old
 * object or the reverse; both stay valid for a grace period, and the
 * datapath decides by the object alone. */
struct fib_lpm_slot {
	const struct fib_route *route;
	const struct fib_fwd *fwd;
};

struct fib_lpm_ids {
	uint32_t *v;
	size_t n;
};

struct fib_lpm {
	int family;
	struct lpm4 *v4;   /* AF_INET */
	struct lpm6 *v6;   /* AF_INET6 */
	/* id -> first route in chunks that never move: chunk pointers and
	 * slots are RCU-published. */
	struct fib_lpm_slot *chunk[FIB_LPM_CHUNKS];
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

/* The slot of id (copied). */
static inline struct fib_lpm_slot fib_lpm_slot_of(const struct fib_lpm *l,
						  uint32_t id)
{
	struct fib_lpm_slot *c = rcu_dereference(l->chunk[id >> FIB_LPM_CHUNK_BITS]);
	struct fib_lpm_slot *s = &c[id & (FIB_LPM_CHUNK - 1)];

	return (struct fib_lpm_slot){ rcu_dereference(s->route),
				      rcu_dereference(s->fwd) };
}

/* First route (and its object) of the longest prefix covering dst; false
 * when none. RCU reader. */
static inline bool fib_lpm_lookup(const struct fib_lpm *l,
				  const union pkt_addr *dst,
				  struct fib_lpm_slot *out)
{
	uint32_t id = l->family == AF_INET ? lpm4_lookup(l->v4, dst->v4)
					   : lpm6_lookup(l->v6, dst->v6);

	if (!id)
		return false;
	*out = fib_lpm_slot_of(l, id);
	return true;
}

/* n lookups at once (memory accesses overlapped): out[i] as from
 * fib_lpm_lookup() (route NULL when none), the forwarding objects
 * prefetched. RCU reader. */
void fib_lpm_lookup_batch(const struct fib_lpm *l, const union pkt_addr *dst,
			  unsigned n, struct fib_lpm_slot *out);

/* Memory held: the LPM's figures plus the id table in id_bytes. */
void fib_lpm_stats(const struct fib_lpm *l, struct lpm_stats *st,
		   size_t *id_bytes);

#endif
