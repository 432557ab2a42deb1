/* The input route stage of a vector, shared by IPv4 and IPv6 input: runs
 * of packets received in the same VRF (or none) are gathered and looked up
 * together by the policy rules (fib_lookup_vec: batched LPM lookups when
 * the rules allow). The VRF Rx hook: a member's packets are flows of its
 * VRF (vrf_flow_update), which with the default rules means the VRF table
 * only, a miss final: nothing falls back to the main table unless a rule
 * or a leaked route says so. Only ip4_input.c/ip6_input.c include this
 * header.
 *
 * Packets leave in vector order, except that a packet prep handles itself
 * (multicast, broadcast) does not wait for the gathered ones before it;
 * packets of one flow arrive on one device with one destination, so they
 * keep their order. Worker thread, RCU reader. */
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

	rv.fv.family = family;
	rv.fv.l3mdev_table = 0;
	rv.fv.n = 0;
	for (uint16_t i = 0; i < v->n; i++) {
		struct pkt *p = v->p[i];
		unsigned k;

		if (!in || in->ifindex != p->in_ifindex)
			in = dev_get(p->in_ifindex);
		if (in->l3mdev_table != rv.fv.l3mdev_table) {
			if (rv.fv.n)
				ip_route_vec_flush(w, &rv, done);
			rv.fv.l3mdev_table = in->l3mdev_table;
		}
		k = rv.fv.n;
		if (!prep(w, in, p, &rv.fv.fl[k]))
			continue;
		if (in->l3mdev_table)
			vrf_flow_update(&rv.fv.fl[k], in->l3mdev_table, in, true);
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
