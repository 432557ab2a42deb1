/* Output of IPv6 packets usnet generates: link-local destinations leave by
 * the link they came from, others are routed in the packet's table; packets
 * larger than the path MTU are fragmented (we are their source). */
#include "l3/ip.h"

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "fib/fib_fwd.h"
#include "l2/eth.h"
#include "l2/neigh.h"
#include "l3/vrf.h"

void ip6_output(struct worker *w, struct pkt *p)
{
	uint8_t *ip = p->data;
	union pkt_addr src, dst, nh;
	struct fib_result res;
	struct dev *out;
	uint32_t mtu;

	p->l3_family = AF_INET6;
	p->l3_off = pkt_off(p, ip);
	memcpy(src.v6, ip + 8, 16);
	memcpy(dst.v6, ip + 24, 16);
	nh = dst;
	if (ip6_is_linklocal(dst.v6) || ip6_is_mcast(dst.v6)) {
		out = dev_get(p->out_ifindex);
		mtu = out ? out->mtu : 0;
	} else {
		if (!ip_route_output(p, AF_INET6, &src, &dst, &res) ||
		    res.fwd->type != FIB_UNICAST) {
			pkt_drop_orphan(p, DROP_IP6_NO_ROUTE);
			return;
		}
		out = ip_route_dev(&res);
		if (out && res.nh->has_gw)
			nh = res.nh->gw;
		mtu = out ? ip_path_mtu(&res, out, p->table_id, AF_INET6, &dst,
					w->now_ms)
			  : 0;
	}
	if (!out || !__atomic_load_n(&out->oper_up, __ATOMIC_ACQUIRE)) {
		pkt_drop_orphan(p, DROP_DEV_DOWN);
		return;
	}
	p->out_ifindex = out->ifindex;
	vrf_tx_hook(out, p, ETH_P_IP6);
	if (p->total_len > mtu) {
		ip6_fragment(w, out, &nh, p, mtu);
		return;
	}
	if (ip6_is_mcast(dst.v6)) {
		uint8_t mac[6];
		eth_mcast_from_ip6(dst.v6, mac);
		eth_output(w, out, mac, ETH_P_IP6, p);
		return;
	}
	neigh_output(w, out, AF_INET6, &nh, p);
}
