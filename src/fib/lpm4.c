/* IPv4 front end of the LPM engine (lpm.c): 4-byte keys, and a batched
 * lookup specialised for IPv4, where the DIR-24 array answers nearly
 * every address in one read. */
#include "fib/lpm4.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct lpm4 *lpm4_new(void)
{
	struct lpm4 *t = malloc(sizeof(*t));

	if (t && lpm_init(&t->core, 4) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

void lpm4_free(struct lpm4 *t)
{
	if (!t)
		return;
	lpm_fini(&t->core);
	free(t);
}

int lpm4_add(struct lpm4 *t, uint32_t prefix, unsigned len, uint32_t value)
{
	return lpm_add(&t->core, (const uint8_t *)&prefix, len, value);
}

int lpm4_del(struct lpm4 *t, uint32_t prefix, unsigned len)
{
	return lpm_del(&t->core, (const uint8_t *)&prefix, len);
}

bool lpm4_get(const struct lpm4 *t, uint32_t prefix, unsigned len,
	      uint32_t *value)
{
	return lpm_get(&t->core, (const uint8_t *)&prefix, len, value);
}

void lpm4_reclaim(struct lpm4 *t)
{
	lpm_reclaim(&t->core);
}

void lpm4_stats(const struct lpm4 *t, struct lpm_stats *st)
{
	lpm_stats(&t->core, st);
}

#define LPM4_GROUP 64u   /* direct entries prefetched together */

static uint32_t addr_at(const void *addr, size_t stride, unsigned i)
{
	uint32_t a;

	memcpy(&a, (const uint8_t *)addr + i * stride, sizeof(a));
	return be32toh(a);
}

/* Up to LPM4_GROUP lookups: every direct entry is prefetched first, in a
 * loop of nothing else, so all the reads are in flight at once (the table
 * is 64 MiB: each read is a cache miss); then each entry is read, and the
 * rare one pointing to a node (a /25 or longer inside that /24) takes one
 * more line. Prefetching a fixed distance ahead inside the reading loop
 * instead keeps fewer misses in flight: 10.9 against 12.6-13.2 cycles per
 * in-table lookup in a same-process A/B on the full table. */
static void lookup_group(const struct lpm *c, const void *addr, size_t stride,
			 unsigned n, uint32_t *value)
{
	uint32_t a[LPM4_GROUP];

	for (unsigned i = 0; i < n; i++) {
		a[i] = addr_at(addr, stride, i);
		__builtin_prefetch(&c->dir[a[i] >> 8]);
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t e = lpm_load(&c->dir[a[i] >> 8]);

		if (__builtin_expect(e >> 31, 0))
			e = lpm_load(lpm_node_slot(c, lpm_node(c, e),
						   a[i] & 0xff));
		value[i] = e & LPM_VALUE_MAX;
	}
}

void lpm4_lookup_batch(const struct lpm4 *t, const void *addr, size_t stride,
		       unsigned n, uint32_t *value)
{
	for (unsigned i = 0; i < n; i += LPM4_GROUP)
		lookup_group(&t->core, (const uint8_t *)addr + i * stride,
			     stride, n - i < LPM4_GROUP ? n - i : LPM4_GROUP,
			     value + i);
}
