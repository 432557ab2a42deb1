/* The input route stage of a vector, shared by IPv4 and IPv6 input: packets
 * received outside any VRF are gathered and looked up together
 * (fib_lookup_vec: batched LPM lookups when the rules are the default
 * ones), the others one by one through the VRF Rx hook. Only
 * ip4_input.c/ip6_input.c include this header.
 *
 * Packets leave in vector order, except that a packet routed one by one
 * (multicast, broadcast, a VRF member's) does not wait for the gathered
 * ones before it; packets of one flow arrive on one device with one
 * destination, so they keep their order. Worker thread, RCU reader. */
#ifndef USNET_L3_IP_ROUTE_H
#define USNET_L3_IP_ROUTE_H

#include "core/worker.h"
#include "dev/dev.h"
#include "fib/fib_batch.h"
#include "l3/vrf.h"

/* Before the lookup: false when prep handled p itself (multicast...);
 * else fl is p's flow and p is ready for the lookup. After: found/res are
 * the lookup's answer; the function passes p on or frees it. */
typedef bool (*ip_route_prep_fn)(struct worker *w, struct dev *in,
				 struct pkt *p, struct fib_flow *fl);
typedef void (*ip_route_done_fn)(struct worker *w, struct dev *in,
				 struct pkt *p, bool found,
				 const struct fib_result *res);

struct ip_route_vec {
	struct fib_vec fv;
	struct pkt *p[FIB_VEC_MAX];
	struct dev *in[FIB_VEC_MAX];
};

static inline void ip_route_vec_flush(struct worker *w, struct ip_route_vec *rv,
				      ip_route_done_fn done)
{
	fib_lookup_vec(&rv->fv);
	for (unsigned i = 0; i < rv->fv.n; i++)
		done(w, rv->in[i], rv->p[i], rv->fv.found[i], &rv->fv.res[i]);
	rv->fv.n = 0;
}

/* Route every packet of v (validated, data at L3) and empty v. */
static inline void ip_route_vector(struct worker *w, struct pkt_vec *v,
				   int family, ip_route_prep_fn prep,
				   ip_route_done_fn done)
{
	struct ip_route_vec rv;
	struct dev *in = NULL;
	struct fib_result res;

	rv.fv.family = family;
	rv.fv.n = 0;
	for (uint16_t i = 0; i < v->n; i++) {
		struct pkt *p = v->p[i];
		unsigned k = rv.fv.n;

		if (!in || in->ifindex != p->in_ifindex)
			in = dev_get(p->in_ifindex);
		if (!prep(w, in, p, &rv.fv.fl[k]))
			continue;
		if (in->l3mdev_table) {   /* slot k is free again after this */
			done(w, in, p, vrf_route_input(in, &rv.fv.fl[k], &res),
			     &res);
			continue;
		}
		rv.p[k] = p;
		rv.in[k] = in;
		if (++rv.fv.n == FIB_VEC_MAX)
			ip_route_vec_flush(w, &rv, done);
	}
	if (rv.fv.n)
		ip_route_vec_flush(w, &rv, done);
	v->n = 0;
}

#endif
