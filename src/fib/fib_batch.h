/* Batched FIB lookups for the vector pipeline: one table, one family, many
 * destinations, with the memory accesses of the lookups overlapped.
 *
 * Threads: an RCU reader (QSBR), like fib_table_lookup(); never locks. */
#ifndef USNET_FIB_FIB_BATCH_H
#define USNET_FIB_FIB_BATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pkt.h"
#include "fib/fib.h"

/* For each i < n: found[i] and res[i] exactly as
 * fib_table_lookup(table, family, &dst[i], hash ? hash[i] : 0, &res[i])
 * would give (res[i] is untouched when found[i] is false). Never fails;
 * an unknown table or family finds nothing. */
void fib_table_lookup_batch(uint32_t table, int family,
			    const union pkt_addr *dst, const uint32_t *hash,
			    unsigned n, struct fib_result *res, bool *found);

#define FIB_VEC_MAX 64u

/* Flows of one family and one VRF (or none), gathered for one policy
 * lookup of them all (the input route stage of a vector). */
struct fib_vec {
	int family;
	uint32_t l3mdev_table;               /* every fl[i].l3mdev_table */
	unsigned n;                          /* <= FIB_VEC_MAX */
	struct fib_flow fl[FIB_VEC_MAX];
	struct fib_result res[FIB_VEC_MAX];  /* out */
	bool found[FIB_VEC_MAX];             /* out */
};

/* For each i < v->n: v->found[i] and v->res[i] exactly as
 * fib_lookup(&v->fl[i], &v->res[i]) would give. When every rule of the
 * family is a lookup without selectors (the default rules: local, main,
 * default) the flows are looked up table by table with
 * fib_table_lookup_batch (memory accesses overlapped); VRF flows likewise
 * in their VRF's table when fib_rules_l3mdev_direct; otherwise one
 * fib_lookup per flow. Returns true when it took the batched path (for
 * tests and benchmarks; the answers are the same). Never fails. RCU
 * reader. */
bool fib_lookup_vec(struct fib_vec *v);

#endif
