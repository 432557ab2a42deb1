/* IPv6 input (RFC 8200): header validation, martian and scope checks,
 * multicast groups we listen to, the route lookup for a whole vector
 * (l3/ip_route.h), then forward, local delivery or rejection. */
#include "l3/ip.h"

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "fib/fib_fwd.h"
#include "l3/icmp.h"
#include "l3/ip_route.h"
#include "l3/vrf.h"

/* Bytes past the IPv6 header the route lookup and ICMP errors look at. */
#define IP_L4_PEEK 40u

static enum drop_reason ip6_validate(struct pkt *p)
{
	const uint8_t *ip;
	uint32_t plen;

	if (p->total_len < IP6_HLEN)
		return DROP_IP6_TRUNCATED;
	if (!pkt_may_pull(p, IP6_HLEN + IP_L4_PEEK))
		return DROP_NOMEM;
	ip = p->data;
	if ((ip[0] >> 4) != 6)
		return DROP_IP6_BAD_VERSION;
	plen = get_be16(ip + 4);
	if (plen == 0 && ip[6] == 0)
		return DROP_IP6_BAD_PLEN; /* jumbograms are not supported */
	if (IP6_HLEN + plen > p->total_len)
		return DROP_IP6_BAD_PLEN;
	if (IP6_HLEN + plen < p->total_len) {
		if (pkt_linearize(p) < 0)
			return DROP_NOMEM;
		pkt_trim(p, IP6_HLEN + plen);
		ip = p->data;
	}
	if (ip6_is_mcast(ip + 8) || ip6_is_loopback(ip + 8))
		return DROP_IP6_MARTIAN_SRC;
	if (ip6_is_unspec(ip + 24) || ip6_is_loopback(ip + 24))
		return DROP_IP6_MARTIAN_DST;
	p->l3_family = AF_INET6;
	p->l3_off = pkt_off(p, ip);
	p->l4_off = (uint16_t)(p->l3_off + IP6_HLEN);
	p->l4_proto = ip[6];
	return DROP_NONE;
}

/* Multicast groups every interface joins: all-nodes, all-routers, and the
 * solicited-node groups of its addresses (RFC 4291 2.8). */
static bool ip6_mcast_joined(const struct dev *d, const uint8_t *g)
{
	static const uint8_t sn[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0,
					0, 0, 0, 0x01, 0xff };
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	static const uint8_t all_routers[16] = { 0xff, 0x02, [15] = 2 };

	if (memcmp(g, all_nodes, 16) == 0 || memcmp(g, all_routers, 16) == 0)
		return true;
	if (memcmp(g, sn, 13) != 0)
		return false;
	if (memcmp(d->ll6.v6 + 13, g + 13, 3) == 0)
		return true;
	for (uint32_t i = 0; i < d->naddr; i++)
		if (d->addr[i].family == AF_INET6 &&
		    memcmp(d->addr[i].addr.v6 + 13, g + 13, 3) == 0)
			return true;
	return false;
}

static void ip6_flow(const struct pkt *p, struct fib_flow *fl)
{
	const uint8_t *ip = p->data;
	const uint8_t *l4 = pkt_l4(p);
	bool ports = (ip[6] == IPPROTO_TCP || ip[6] == IPPROTO_UDP) &&
		     pkt_bytes_from(p, l4) >= 4;

	memset(fl, 0, sizeof(*fl));
	fl->family = AF_INET6;
	memcpy(fl->src.v6, ip + 8, 16);
	memcpy(fl->dst.v6, ip + 24, 16);
	fl->iif = p->in_ifindex;
	fl->proto = ip[6];
	fl->dscp = (uint8_t)((get_be16(ip) >> 6) & 0x3f);
	fl->mark = p->mark;
	if (ports) {
		fl->sport = get_be16(l4);
		fl->dport = get_be16(l4 + 2);
	}
	fl->hash = ip_flow_hash(AF_INET6, ip + 8, ip + 24, ip[6], fl->sport,
				fl->dport, get_be32(ip) & 0xfffffu);
}

/* Route-stage preparation (ip_route_prep_fn): multicast and link-local
 * destinations are decided here; otherwise the flow for the lookup. */
static bool ip6_route_prep(struct worker *w, struct dev *in, struct pkt *p,
			   struct fib_flow *fl)
{
	const uint8_t *dst = p->data + 24;

	if (ip6_is_mcast(dst)) {
		if (ip6_mcast_joined(in, dst))
			ip6_local(w, in, p);
		else
			dev_rx_drop(in, p, DROP_IP6_MCAST_NOT_JOINED);
		return false;
	}
	if (ip6_is_linklocal(dst)) {
		if (memcmp(dst, in->ll6.v6, 16) == 0)
			ip6_local(w, in, p);
		else
			dev_rx_drop(in, p, DROP_IP6_SCOPE);
		return false;
	}
	ip6_flow(p, fl);
	p->flow_hash = fl->hash;
	p->table_id = in->table_id; /* replies and errors route from here */
	vrf_rx_capture(in, p);
	return true;
}

/* What the route lookup decided (ip_route_done_fn). */
static void ip6_route_done(struct worker *w, struct dev *in, struct pkt *p,
			   bool found, const struct fib_result *res)
{
	if (!found) {
		ip_reject(w, in, p, AF_INET6, 0);
		return;
	}
	switch (res->fwd->type) {
	case FIB_UNICAST:
		ip6_forward(w, in, p, res);
		break;
	case FIB_LOCAL:
		ip6_local(w, in, p);
		break;
	default:
		ip_reject(w, in, p, AF_INET6, res->fwd->type);
		break;
	}
}

void ip6_input(struct worker *w, struct pkt_vec *v)
{
	struct dev *in = NULL;
	uint16_t k = 0;

	for (uint16_t i = 0; i < v->n; i++) {
		struct pkt *p = v->p[i];
		enum drop_reason r;
		if (!in || in->ifindex != p->in_ifindex)
			in = dev_get(p->in_ifindex);
		if (unlikely(!in)) {
			pkt_drop_orphan(p, DROP_DEV_DOWN);
			continue;
		}
		r = ip6_validate(p);
		if (unlikely(r != DROP_NONE)) {
			dev_rx_drop(in, p, r);
			continue;
		}
		v->p[k++] = p;
	}
	v->n = k;
	ip_route_vector(w, v, AF_INET6, ip6_route_prep, ip6_route_done);
}
