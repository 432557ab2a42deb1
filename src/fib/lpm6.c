/* IPv6 front end of the LPM engine (lpm.c): 16-byte keys. */
#include "fib/lpm6.h"

#include <stdlib.h>

struct lpm6 *lpm6_new(void)
{
	struct lpm6 *t = malloc(sizeof(*t));

	if (t && lpm_init(&t->core, 16) != 0) {
		free(t);
		return NULL;
	}
	return t;
}

void lpm6_free(struct lpm6 *t)
{
	if (!t)
		return;
	lpm_fini(&t->core);
	free(t);
}

int lpm6_add(struct lpm6 *t, const uint8_t *prefix, unsigned len,
	     uint32_t value)
{
	return lpm_add(&t->core, prefix, len, value);
}

int lpm6_del(struct lpm6 *t, const uint8_t *prefix, unsigned len)
{
	return lpm_del(&t->core, prefix, len);
}

bool lpm6_get(const struct lpm6 *t, const uint8_t *prefix, unsigned len,
	      uint32_t *value)
{
	return lpm_get(&t->core, prefix, len, value);
}

void lpm6_reclaim(struct lpm6 *t)
{
	lpm_reclaim(&t->core);
}

void lpm6_stats(const struct lpm6 *t, struct lpm_stats *st)
{
	lpm_stats(&t->core, st);
}

void lpm6_lookup_batch(const struct lpm6 *t, const void *addr, size_t stride,
		       unsigned n, uint32_t *value)
{
	lpm_lookup_batch(&t->core, addr, stride, n, value);
}
