/* The FIB's dataplane lookup structure for one table and family: prefix
 * -> stable id in the LPM, id -> forwarding object and id -> first route
 * in chunked tables (see fib_lpm.h for the id rules). */
#include "fib/fib_lpm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define FIB_LPM_PEND_MAX 1024u   /* released ids before a grace period */
#define FIB_LPM_BATCH 64u

struct fib_lpm *fib_lpm_new(int family)
{
	struct fib_lpm *l;

	if (family != AF_INET && family != AF_INET6)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->family = family;
	l->next_id = 1;   /* 0 is the LPM's "no match" */
	if (family == AF_INET)
		l->v4 = lpm4_new();
	else
		l->v6 = lpm6_new();
	if (!l->v4 && !l->v6) {
		free(l);
		return NULL;
	}
	return l;
}

void fib_lpm_free(struct fib_lpm *l)
{
	if (!l)
		return;
	lpm4_free(l->v4);
	lpm6_free(l->v6);
	for (size_t i = 0; i < FIB_LPM_CHUNKS; i++) {
		free(l->fwd[i]);
		free(l->route[i]);
	}
	free(l->free_ids.v);
	free(l->pend_ids.v);
	free(l);
}

/* Make the free and pending stacks able to hold every id up to next_id. */
static int ids_room(struct fib_lpm *l)
{
	size_t cap = l->ids_cap ? l->ids_cap * 2 : 1024;
	uint32_t *f, *p;

	if (l->next_id < l->ids_cap)
		return 0;
	f = realloc(l->free_ids.v, cap * sizeof(*f));
	if (f)
		l->free_ids.v = f;
	p = f ? realloc(l->pend_ids.v, cap * sizeof(*p)) : NULL;
	if (p)
		l->pend_ids.v = p;
	if (!f || !p)
		return -ENOMEM;
	l->ids_cap = cap;
	return 0;
}

/* Wait for a grace period: the pending ids become reusable. */
static void ids_recycle(struct fib_lpm *l)
{
	if (!l->pend_ids.n)
		return;
	synchronize_rcu();
	memcpy(l->free_ids.v + l->free_ids.n, l->pend_ids.v,
	       l->pend_ids.n * sizeof(*l->pend_ids.v));
	l->free_ids.n += l->pend_ids.n;
	l->pend_ids.n = 0;
}

static int id_alloc(struct fib_lpm *l, uint32_t *id)
{
	const struct fib_fwd **f;
	const struct fib_route **r;
	uint32_t next = l->next_id;

	if (!l->free_ids.n && (l->pend_ids.n >= FIB_LPM_PEND_MAX ||
			       next > LPM_VALUE_MAX))
		ids_recycle(l);
	if (l->free_ids.n) {
		*id = l->free_ids.v[--l->free_ids.n];
		return 0;
	}
	if (next > LPM_VALUE_MAX)
		return -ENOSPC;
	if (ids_room(l) != 0)
		return -ENOMEM;
	if (!l->fwd[next >> FIB_LPM_CHUNK_BITS]) {
		f = calloc(FIB_LPM_CHUNK, sizeof(*f));
		r = calloc(FIB_LPM_CHUNK, sizeof(*r));
		if (!f || !r) {
			free(f);
			free(r);
			return -ENOMEM;
		}
		rcu_assign_pointer(l->route[next >> FIB_LPM_CHUNK_BITS], r);
		rcu_assign_pointer(l->fwd[next >> FIB_LPM_CHUNK_BITS], f);
	}
	*id = l->next_id++;
	return 0;
}

static int lpm_put(struct fib_lpm *l, const union pkt_addr *p, unsigned plen,
		   uint32_t id)
{
	return l->family == AF_INET ? lpm4_add(l->v4, p->v4, plen, id)
				    : lpm6_add(l->v6, p->v6, plen, id);
}

static int lpm_remove(struct fib_lpm *l, const union pkt_addr *p,
		      unsigned plen)
{
	return l->family == AF_INET ? lpm4_del(l->v4, p->v4, plen)
				    : lpm6_del(l->v6, p->v6, plen);
}

static bool lpm_find(const struct fib_lpm *l, const union pkt_addr *p,
		     unsigned plen, uint32_t *id)
{
	return l->family == AF_INET ? lpm4_get(l->v4, p->v4, plen, id)
				    : lpm6_get(l->v6, p->v6, plen, id);
}

/* Point id at route r and object f (readers may see either first). */
static void id_store(struct fib_lpm *l, uint32_t id, const struct fib_route *r,
		     const struct fib_fwd *f)
{
	unsigned c = id >> FIB_LPM_CHUNK_BITS, k = id & (FIB_LPM_CHUNK - 1);

	rcu_assign_pointer(l->fwd[c][k], f);
	rcu_assign_pointer(l->route[c][k], r);
}

int fib_lpm_set(struct fib_lpm *l, const union pkt_addr *prefix,
		unsigned plen, const struct fib_route *first,
		const struct fib_fwd *fwd)
{
	uint32_t id;
	bool have = lpm_find(l, prefix, plen, &id);
	int rc;

	if (first && have) {
		id_store(l, id, first, fwd);
		return 0;
	}
	if (!first) {
		if (!have)
			return 0;
		rc = lpm_remove(l, prefix, plen);
		if (rc)
			return rc;
		/* The id keeps the old route and object for readers that found
		 * it before the removal; it waits for a grace period. */
		l->pend_ids.v[l->pend_ids.n++] = id;
		return 0;
	}
	rc = id_alloc(l, &id);
	if (rc)
		return rc;
	id_store(l, id, first, fwd);
	rc = lpm_put(l, prefix, plen, id);
	if (rc)   /* never published: reusable at once */
		l->free_ids.v[l->free_ids.n++] = id;
	return rc;
}

void fib_lpm_lookup_batch(const struct fib_lpm *l, const union pkt_addr *dst,
			  unsigned n, uint32_t *id, const struct fib_fwd **fwd)
{
	for (unsigned i = 0; i < n; i += FIB_LPM_BATCH) {
		unsigned m = n - i < FIB_LPM_BATCH ? n - i : FIB_LPM_BATCH;

		if (l->family == AF_INET)
			lpm4_lookup_batch(l->v4, &dst[i], sizeof(*dst), m,
					  &id[i]);
		else
			lpm6_lookup_batch(l->v6, &dst[i], sizeof(*dst), m,
					  &id[i]);
		for (unsigned j = i; j < i + m; j++) {
			const struct fib_fwd **c = rcu_dereference(
				l->fwd[id[j] >> FIB_LPM_CHUNK_BITS]);

			/* Chunk 0 exists once any id does. */
			__builtin_prefetch(c ? &c[id[j] & (FIB_LPM_CHUNK - 1)]
					     : (const void *)l);
		}
		for (unsigned j = i; j < i + m; j++) {
			fwd[j] = id[j] ? fib_lpm_fwd(l, id[j]) : NULL;
			__builtin_prefetch(fwd[j]);
		}
	}
}

void fib_lpm_stats(const struct fib_lpm *l, struct lpm_stats *st,
		   size_t *id_bytes)
{
	size_t chunks = 0;

	if (l->family == AF_INET)
		lpm4_stats(l->v4, st);
	else
		lpm6_stats(l->v6, st);
	for (size_t i = 0; i < FIB_LPM_CHUNKS; i++)
		chunks += l->fwd[i] != NULL;
	*id_bytes = sizeof(*l) +
		    chunks * FIB_LPM_CHUNK * (sizeof(*l->fwd[0]) +
					      sizeof(*l->route[0])) +
		    l->ids_cap * 2 * sizeof(uint32_t);
}
