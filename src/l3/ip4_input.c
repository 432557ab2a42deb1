/* IPv4 input (RFC 1812 5.2.2, 5.3.7): header validation, martian filtering,
 * the policy route lookup for a whole vector (l3/ip_route.h), then forward,
 * local delivery or rejection. */
#include "l3/ip.h"

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "fib/fib_fwd.h"
#include "l3/icmp.h"
#include "l3/ip_route.h"
#include "l3/vrf.h"
#include "offload/csum.h"

/* Validate the header of p (data at L3). Returns DROP_NONE or the reason. */
/* Bytes of L4 header the route lookup and ICMP errors look at. */
#define IP_L4_PEEK 40u

static enum drop_reason ip4_validate(struct pkt *p)
{
	const uint8_t *ip;
	uint32_t ihl, tot;
	uint32_t saddr, daddr;

	if (p->total_len < IP4_HLEN)
		return DROP_IP4_TRUNCATED;
	if (!pkt_may_pull(p, IP4_HLEN))
		return DROP_NOMEM;
	ip = p->data;
	if ((ip[0] >> 4) != 4)
		return DROP_IP4_BAD_VERSION;
	ihl = (ip[0] & 0xfu) * 4;
	if (ihl < IP4_HLEN)
		return DROP_IP4_BAD_IHL;
	if (ihl > p->total_len)
		return DROP_IP4_TRUNCATED;
	if (!pkt_may_pull(p, ihl + IP_L4_PEEK))
		return DROP_NOMEM;
	ip = p->data;
	if (!(p->flags & PKT_F_CSUM_L3_OK) && csum_ip4_header(ip, ihl) != 0)
		return DROP_IP4_BAD_CSUM;
	tot = get_be16(ip + 2);
	if (tot < ihl || tot > p->total_len)
		return DROP_IP4_BAD_LEN;
	if (tot < p->total_len) { /* Ethernet padding */
		if (pkt_linearize(p) < 0)
			return DROP_NOMEM;
		pkt_trim(p, tot);
		ip = p->data;
	}
	memcpy(&saddr, ip + 12, 4);
	memcpy(&daddr, ip + 16, 4);
	if (ip4_is_martian_src(saddr))
		return DROP_IP4_MARTIAN_SRC;
	if ((ntohl(daddr) >> 24) == 127 || daddr == 0)
		return DROP_IP4_MARTIAN_DST;
	p->l3_family = AF_INET;
	p->l3_off = pkt_off(p, ip);
	p->l4_off = (uint16_t)(p->l3_off + ihl);
	p->l4_proto = ip[9];
	p->flags |= PKT_F_CSUM_L3_OK;
	return DROP_NONE;
}

static void ip4_flow(const struct pkt *p, struct fib_flow *fl)
{
	const uint8_t *ip = p->data;
	const uint8_t *l4 = pkt_l4(p);
	bool first_frag = (get_be16(ip + 6) & IP4_OFFMASK) == 0;
	bool ports = first_frag && pkt_bytes_from(p, l4) >= 4 &&
		     (ip[9] == IPPROTO_TCP || ip[9] == IPPROTO_UDP);

	memset(fl, 0, sizeof(*fl));
	fl->family = AF_INET;
	memcpy(&fl->src.v4, ip + 12, 4);
	memcpy(&fl->dst.v4, ip + 16, 4);
	fl->iif = p->in_ifindex;
	fl->proto = ip[9];
	fl->dscp = ip[1] >> 2;
	fl->mark = p->mark;
	if (ports) {
		fl->sport = get_be16(l4);
		fl->dport = get_be16(l4 + 2);
	}
	fl->hash = ip_flow_hash(AF_INET, ip + 12, ip + 16, ip[9], fl->sport,
				fl->dport, 0);
}

/* Route-stage preparation (ip_route_prep_fn): broadcast and multicast go
 * to local input here; otherwise the flow for the lookup. */
static bool ip4_route_prep(struct worker *w, struct dev *in, struct pkt *p,
			   struct fib_flow *fl)
{
	uint32_t daddr;

	memcpy(&daddr, p->data + 16, 4);
	if (ip4_is_lbcast(daddr) || ip4_is_mcast(daddr)) {
		ip4_local(w, in, p); /* no multicast routing */
		return false;
	}
	ip4_flow(p, fl);
	p->flow_hash = fl->hash;
	p->table_id = in->table_id; /* replies and errors route from here */
	vrf_rx_capture(in, p);
	return true;
}

/* What the route lookup decided (ip_route_done_fn). */
static void ip4_route_done(struct worker *w, struct dev *in, struct pkt *p,
			   bool found, const struct fib_result *res)
{
	if (!found) {
		ip_reject(w, in, p, AF_INET, 0);
		return;
	}
	switch (res->fwd->type) {
	case FIB_UNICAST:
		ip4_forward(w, in, p, res);
		break;
	case FIB_LOCAL:
	case FIB_BROADCAST:
		if (res->fwd->type == FIB_BROADCAST)
			p->flags |= PKT_F_L2_BCAST;
		ip4_local(w, in, p);
		break;
	default:
		ip_reject(w, in, p, AF_INET, res->fwd->type);
		break;
	}
}

void ip4_input(struct worker *w, struct pkt_vec *v)
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
		r = ip4_validate(p);
		if (unlikely(r != DROP_NONE)) {
			dev_rx_drop(in, p, r);
			continue;
		}
		v->p[k++] = p;
	}
	v->n = k;
	ip_route_vector(w, v, AF_INET, ip4_route_prep, ip4_route_done);
}
