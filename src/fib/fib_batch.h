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

#endif
