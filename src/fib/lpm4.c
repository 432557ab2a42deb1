/* IPv4 front end of the LPM engine (lpm.c): 4-byte keys, and a batched
 * lookup specialised for IPv4's at most two node levels. */
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

#define LPM4_BATCH 64u

static uint32_t addr_at(const void *addr, size_t stride, unsigned i)
{
	uint32_t a;

	memcpy(&a, (const uint8_t *)addr + i * stride, sizeof(a));
	return be32toh(a);
}

/* One level for the lookups in act[0..na): read the leaf of byte
 * (a >> shift) in each one's node, prefetching first; keeps those that
 * point further down. Returns how many remain. */
static unsigned level_step(const struct lpm *c, const uint32_t *a,
			   uint32_t *e, uint8_t *act, unsigned na,
			   unsigned shift)
{
	const uint32_t *slot[LPM4_BATCH];
	unsigned nn = 0;

	for (unsigned j = 0; j < na; j++) {
		unsigned i = act[j];

		slot[j] = lpm_node_slot(c, lpm_node(c, e[i]),
					(a[i] >> shift) & 0xff);
		__builtin_prefetch(slot[j]);
	}
	for (unsigned j = 0; j < na; j++) {
		unsigned i = act[j];

		e[i] = lpm_load(slot[j]);
		if (e[i] & LPM_EXT) {
			__builtin_prefetch(lpm_node(c, e[i]));
			act[nn++] = (uint8_t)i;
		}
	}
	return nn;
}

static void lookup_group(const struct lpm *c, const void *addr, size_t stride,
			 unsigned n, uint32_t *value)
{
	uint32_t a[LPM4_BATCH], e[LPM4_BATCH];
	uint8_t act[LPM4_BATCH];
	unsigned na = 0;

	for (unsigned i = 0; i < n; i++) {
		a[i] = addr_at(addr, stride, i);
		__builtin_prefetch(&c->dir[a[i] >> 16]);
	}
	for (unsigned i = 0; i < n; i++) {
		e[i] = lpm_load(&c->dir[a[i] >> 16]);
		if (e[i] & LPM_EXT) {
			__builtin_prefetch(lpm_node(c, e[i]));
			act[na++] = (uint8_t)i;
		}
	}
	if (na)
		na = level_step(c, a, e, act, na, 8);
	if (na)
		level_step(c, a, e, act, na, 0);
	for (unsigned i = 0; i < n; i++)
		value[i] = e[i] & LPM_VALUE_MAX;
}

void lpm4_lookup_batch(const struct lpm4 *t, const void *addr, size_t stride,
		       unsigned n, uint32_t *value)
{
	for (unsigned i = 0; i < n; i += LPM4_BATCH) {
		unsigned m = n - i < LPM4_BATCH ? n - i : LPM4_BATCH;

		lookup_group(&t->core, (const uint8_t *)addr + i * stride,
			     stride, m, value + i);
	}
}
