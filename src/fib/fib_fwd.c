/* Forwarding objects (see fib_fwd.h): a chained hash of the live objects
 * keyed by their whole content, grown by doubling; objects are allocated
 * with their nexthops right after them. */
#include "fib/fib_fwd.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"

#define FWD_HASH_MIN 64u

static struct fib_fwd **fwd_hash;
static size_t fwd_buckets, fwd_count;

#define FWD_STATIC(fam, t) { .type = (t), .family = (fam) }
static const struct fib_fwd fwd_statics[2][3] = {
	{ FWD_STATIC(AF_INET, FIB_BLACKHOLE), FWD_STATIC(AF_INET, FIB_UNREACHABLE),
	  FWD_STATIC(AF_INET, FIB_PROHIBIT) },
	{ FWD_STATIC(AF_INET6, FIB_BLACKHOLE), FWD_STATIC(AF_INET6, FIB_UNREACHABLE),
	  FWD_STATIC(AF_INET6, FIB_PROHIBIT) },
};
#undef FWD_STATIC

const struct fib_fwd *fib_fwd_static(int family, uint8_t type)
{
	unsigned t = type >= FIB_BLACKHOLE && type <= FIB_PROHIBIT
		     ? type - FIB_BLACKHOLE : 0;

	return &fwd_statics[family == AF_INET ? 0 : 1][t];
}

static uint32_t mix(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static unsigned addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* The key of a route: everything fib_fwd holds (addresses by their used
 * bytes, stored routes have the rest zero anyway). */
static uint32_t route_hash(const struct fib_route *r, const struct fib_nhobj *nho)
{
	unsigned al = addr_len(r->family);
	uint32_t h = 2166136261u;

	h = mix(h, &r->type, 1);
	h = mix(h, &r->family, 1);
	h = mix(h, &r->mtu, sizeof(r->mtu));
	h = mix(h, &nho, sizeof(nho));
	h = mix(h, &r->has_prefsrc, 1);
	if (r->has_prefsrc)
		h = mix(h, &r->prefsrc, al);
	for (unsigned i = 0; !nho && i < r->nnh; i++) {
		const struct fib_nh *nh = &r->nh[i];

		h = mix(h, &nh->has_gw, 1);
		if (nh->has_gw)
			h = mix(h, &nh->gw, al);
		h = mix(h, &nh->ifindex, sizeof(nh->ifindex));
		h = mix(h, &nh->weight, sizeof(nh->weight));
	}
	return h;
}

static bool nh_same(int family, const struct fib_nh *a, const struct fib_nh *b)
{
	return a->has_gw == b->has_gw && a->ifindex == b->ifindex &&
	       a->weight == b->weight &&
	       (!a->has_gw || memcmp(&a->gw, &b->gw, addr_len(family)) == 0);
}

static bool fwd_matches(const struct fib_fwd *f, const struct fib_route *r,
			const struct fib_nhobj *nho, uint32_t h)
{
	unsigned nnh = nho ? 0 : r->nnh;

	if (f->hash != h || f->type != r->type || f->family != r->family ||
	    f->mtu != r->mtu || f->nho != nho || f->nnh != nnh ||
	    f->has_prefsrc != r->has_prefsrc)
		return false;
	if (f->has_prefsrc &&
	    memcmp(&f->prefsrc, &r->prefsrc, addr_len(r->family)) != 0)
		return false;
	for (unsigned i = 0; i < nnh; i++)
		if (!nh_same(r->family, &f->nh[i], &r->nh[i]))
			return false;
	return true;
}

/* Double the buckets (or make the first ones); false when out of memory
 * (the hash then just gets longer chains). */
static bool fwd_grow(void)
{
	size_t nb = fwd_buckets ? fwd_buckets * 2 : FWD_HASH_MIN;
	struct fib_fwd **h = calloc(nb, sizeof(*h)), *f, *next;

	if (!h)
		return false;
	for (size_t i = 0; i < fwd_buckets; i++)
		for (f = fwd_hash[i]; f; f = next) {
			next = f->hnext;
			f->hnext = h[f->hash & (nb - 1)];
			h[f->hash & (nb - 1)] = f;
		}
	free(fwd_hash);
	fwd_hash = h;
	fwd_buckets = nb;
	return true;
}

static struct fib_fwd *fwd_new(const struct fib_route *r,
			       struct fib_nhobj *nho, uint32_t h)
{
	unsigned nnh = nho ? 0 : r->nnh;
	struct fib_fwd *f = calloc(1, sizeof(*f) + nnh * sizeof(struct fib_nh));
	struct fib_nh *nh;

	if (!f)
		return NULL;
	nh = (struct fib_nh *)(void *)(f + 1);
	f->type = r->type;
	f->family = r->family;
	f->nnh = (uint16_t)nnh;
	f->mtu = r->mtu;
	f->nho = nho;
	f->has_prefsrc = r->has_prefsrc;
	if (r->has_prefsrc)
		f->prefsrc = r->prefsrc;
	for (unsigned i = 0; i < nnh; i++) {
		nh[i] = r->nh[i];
		f->wsum += nh[i].weight;
	}
	f->nh = nnh ? nh : NULL;
	f->hash = h;
	return f;
}

struct fib_fwd *fib_fwd_get(const struct fib_route *r, struct fib_nhobj *nho)
{
	uint32_t h = route_hash(r, nho);
	struct fib_fwd *f;

	if (!fwd_buckets && !fwd_grow())
		return NULL;
	for (f = fwd_hash[h & (fwd_buckets - 1)]; f; f = f->hnext)
		if (fwd_matches(f, r, nho, h)) {
			f->refs++;
			return f;
		}
	f = fwd_new(r, nho, h);
	if (!f)
		return NULL;
	if (fwd_count >= fwd_buckets)
		(void)fwd_grow();
	f->refs = 1;
	f->hnext = fwd_hash[h & (fwd_buckets - 1)];
	fwd_hash[h & (fwd_buckets - 1)] = f;
	fwd_count++;
	return f;
}

void fib_fwd_put(struct fib_fwd *f, struct fib_gc *gc)
{
	struct fib_fwd **pp;

	if (!f || --f->refs)
		return;
	for (pp = &fwd_hash[f->hash & (fwd_buckets - 1)]; *pp != f;
	     pp = &(*pp)->hnext)
		;
	*pp = f->hnext;
	fwd_count--;
	fib_gc_defer(gc, f);
}

size_t fib_fwd_count(void)
{
	return fwd_count;
}

void fib_fwd_fini(void)
{
	struct fib_fwd *f, *next;

	for (size_t i = 0; i < fwd_buckets; i++)
		for (f = fwd_hash[i]; f; f = next) {   /* leaked references */
			next = f->hnext;
			free(f);
		}
	free(fwd_hash);
	fwd_hash = NULL;
	fwd_buckets = fwd_count = 0;
}
