/* IPv4 longest-prefix match for the FIB dataplane: prefix -> small integer
 * (a route-list id), lock-free lookups one at a time or in batches, and
 * incremental updates published RCU-style. Built on the shared engine in
 * lpm.h: a DIR-24 array (one read for any prefix up to /24) over
 * leaf-compressed 8-bit nodes for the longer ones (one more line).
 *
 * Addresses and prefixes are IPv4 addresses in network byte order (as in
 * union pkt_addr's v4). Values are 1..LPM_VALUE_MAX; 0 means no match.
 *
 * Threads: lpm4_lookup*() are RCU readers (liburcu QSBR) on any thread and
 * never lock; they return, for each address, the answer before or after
 * any concurrent update, never a mix. Everything else: control thread. */
#ifndef USNET_FIB_LPM4_H
#define USNET_FIB_LPM4_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fib/lpm.h"

struct lpm4 {
	struct lpm core;
};

/* A new empty table, NULL when out of memory. lpm4_free(): no reader may
 * be inside any more; NULL is fine. Control thread. */
struct lpm4 *lpm4_new(void);
void lpm4_free(struct lpm4 *t);

/* Add prefix/len -> value, or change its value. Bits past len are ignored.
 * 0, -EINVAL (len > 32, value 0 or > LPM_VALUE_MAX), -ENOMEM (nothing
 * changed). May wait for a grace period. Control thread. */
int lpm4_add(struct lpm4 *t, uint32_t prefix, unsigned len, uint32_t value);
/* Remove prefix/len. 0, -ENOENT, -EINVAL, -ENOMEM (nothing changed). May
 * wait for a grace period. Control thread. */
int lpm4_del(struct lpm4 *t, uint32_t prefix, unsigned len);
/* Value stored for exactly prefix/len. Control thread. */
bool lpm4_get(const struct lpm4 *t, uint32_t prefix, unsigned len,
	      uint32_t *value);
/* Recycle retired memory now (waits for a grace period). Control thread. */
void lpm4_reclaim(struct lpm4 *t);
void lpm4_stats(const struct lpm4 *t, struct lpm_stats *st);

/* Value of the longest prefix covering addr, 0 when none. RCU reader. */
static inline uint32_t lpm4_lookup(const struct lpm4 *t, uint32_t addr)
{
	uint32_t a = be32toh(addr);
	uint32_t e = lpm_load(&t->core.dir[a >> 8]);

	if (e & LPM_EXT)
		e = lpm_load(lpm_node_slot(&t->core, lpm_node(&t->core, e),
					   a & 0xff));
	return e & LPM_VALUE_MAX;
}

/* n lookups with their memory accesses overlapped: the address of lookup
 * i is the 32-bit word at (const uint8_t *)addr + i * stride (stride 4 for
 * a plain array, sizeof(union pkt_addr) for an array of those). RCU
 * reader. */
void lpm4_lookup_batch(const struct lpm4 *t, const void *addr, size_t stride,
		       unsigned n, uint32_t *value);

#endif
