/* Output of IPv4 packets usnet generates (ICMP errors, echo replies, TCP
 * resets): header checksum, route lookup by the rules (in the packet's VRF
 * when it has one), MTU, neighbor. */
#include "l3/ip.h"

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "fib/fib_fwd.h"
#include "l2/eth.h"
#include "l2/neigh.h"
#include "l3/vrf.h"
#include "offload/csum.h"

bool ip_route_output(const struct pkt *p, int family,
		     const union pkt_addr *src, const union pkt_addr *dst,
		     struct fib_result *res)
{
	struct fib_flow fl;

	memset(&fl, 0, sizeof(fl));
	fl.family = (uint8_t)family;
	fl.dst = *dst;
	fl.src = *src;
	fl.oif = p->out_ifindex;
	fl.proto = p->l4_proto;
	fl.mark = p->mark;
	fl.hash = ip_flow_hash(family, src->v6, dst->v6, p->l4_proto, 0, 0, 0);
	if (p->table_id && p->table_id != FIB_TABLE_MAIN)   /* in a VRF */
		vrf_flow_update(&fl, p->table_id, dev_get(p->out_ifindex), false);
	return fib_lookup(&fl, res);
}

void ip4_output(struct worker *w, struct pkt *p)
{
	uint8_t *ip = p->data;
	uint32_t ihl = (ip[0] & 0xfu) * 4;
	union pkt_addr src, dst, nh;
	struct fib_result res;
	struct dev *out;
	uint32_t mtu;

	put_be16(ip + 10, 0);
	put_be16(ip + 10, csum_ip4_header(ip, ihl));
	p->l3_family = AF_INET;
	p->l3_off = pkt_off(p, ip);
	memcpy(&src.v4, ip + 12, 4);
	memcpy(&dst.v4, ip + 16, 4);
	if (!ip_route_output(p, AF_INET, &src, &dst, &res) ||
	    res.fwd->type != FIB_UNICAST) {
		pkt_drop_orphan(p, DROP_IP4_NO_ROUTE);
		return;
	}
	out = ip_route_dev(&res);
	if (!out) {
		pkt_drop_orphan(p, DROP_DEV_DOWN);
		return;
	}
	nh = res.nh->has_gw ? res.nh->gw : dst;
	mtu = ip_path_mtu(&res, out, p->table_id, AF_INET, &dst, w->now_ms);
	p->out_ifindex = out->ifindex;
	vrf_tx_hook(out, p, ETH_P_IP4);
	if (ip_exceeds_mtu(p, get_be16(ip + 2), mtu)) {
		/* We are the source: DF only asks for path MTU discovery
		 * ("want"); past a known smaller MTU we fragment ourselves. */
		put_be16(ip + 6, (uint16_t)(get_be16(ip + 6) & ~IP4_DF));
		put_be16(ip + 10, 0);
		put_be16(ip + 10, csum_ip4_header(ip, ihl));
		ip4_fragment(w, out, &nh, p, mtu);
		return;
	}
	neigh_output(w, out, AF_INET, &nh, p);
}
