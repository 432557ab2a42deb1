/* IPv6 longest-prefix match for the FIB dataplane: prefix -> small integer
 * (a route-list id), lock-free lookups one at a time or in batches, and
 * incremental updates published RCU-style. Built on the shared engine in
 * lpm.h (DIR-24 array + leaf-compressed 8-bit nodes, mostly one line each;
 * a /48 is three nodes down, and the batched lookup walks many addresses
 * in lock step so those reads overlap). Batched lookups first try the /48
 * cache: a stored /48 with nothing longer inside (half of a real table)
 * is answered by one hash line instead of three nodes.
 *
 * Addresses and prefixes are 16 bytes in network byte order. Values are
 * 1..LPM_VALUE_MAX; 0 means no match.
 *
 * Threads: lpm6_lookup*() are RCU readers (liburcu QSBR) on any thread and
 * never lock; they return, for each address, the answer before or after
 * any concurrent update, never a mix. Everything else: control thread. */
#ifndef USNET_FIB_LPM6_H
#define USNET_FIB_LPM6_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fib/lpm.h"

struct lpm6 {
	struct lpm core;
};

/* A new empty table, NULL when out of memory. lpm6_free(): no reader may
 * be inside any more; NULL is fine. Control thread. */
struct lpm6 *lpm6_new(void);
void lpm6_free(struct lpm6 *t);

/* Add prefix/len -> value, or change its value. Bits past len are ignored.
 * 0, -EINVAL (len > 128, value 0 or > LPM_VALUE_MAX), -ENOMEM (nothing
 * changed). May wait for a grace period. Control thread. */
int lpm6_add(struct lpm6 *t, const uint8_t *prefix, unsigned len,
	     uint32_t value);
/* Remove prefix/len. 0, -ENOENT, -EINVAL, -ENOMEM (nothing changed). May
 * wait for a grace period. Control thread. */
int lpm6_del(struct lpm6 *t, const uint8_t *prefix, unsigned len);
/* Value stored for exactly prefix/len. Control thread. */
bool lpm6_get(const struct lpm6 *t, const uint8_t *prefix, unsigned len,
	      uint32_t *value);
/* Recycle retired memory now (waits for a grace period). Control thread. */
void lpm6_reclaim(struct lpm6 *t);
void lpm6_stats(const struct lpm6 *t, struct lpm_stats *st);

/* Value of the longest prefix covering addr (16 bytes), 0 when none. RCU
 * reader. */
static inline uint32_t lpm6_lookup(const struct lpm6 *t, const uint8_t *addr)
{
	return lpm_lookup(&t->core, addr);
}

/* n lookups with their memory accesses overlapped: address i is the 16
 * bytes at (const uint8_t *)addr + i * stride. RCU reader. */
void lpm6_lookup_batch(const struct lpm6 *t, const void *addr, size_t stride,
		       unsigned n, uint32_t *value);

#endif
