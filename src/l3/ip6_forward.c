/* IPv6 forwarding (RFC 8200 3, RFC 4443): hop limit, scope, packet too big
 * (routers never fragment), next hop. */
#include "l3/ip.h"

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "l2/neigh.h"
#include "l3/icmp.h"

void ip6_forward(struct worker *w, struct dev *in, struct pkt *p,
		 const struct fib_result *res)
{
	uint8_t *ip = p->data;
	union pkt_addr nh;
	struct dev *out;
	uint32_t mtu;

	if (unlikely(!(p->flags & PKT_F_L2_HOST))) {
		dev_rx_drop(in, p, DROP_FWD_L2_NOT_HOST);
		return;
	}
	if (unlikely(ip6_is_linklocal(ip + 8) || ip6_is_unspec(ip + 8))) {
		/* RFC 4443 3.1 code 2: beyond scope of source address */
		if (!ip6_is_unspec(ip + 8))
			icmp6_send_error(w, p, ICMP6_DEST_UNREACH, 2, 0);
		dev_rx_drop(in, p, DROP_IP6_SCOPE);
		return;
	}
	if (unlikely(ip[7] <= 1)) {
		icmp6_send_error(w, p, ICMP6_TIME_EXCEEDED, 0, 0);
		dev_rx_drop(in, p, DROP_IP6_HOPLIMIT_EXPIRED);
		return;
	}
	out = ip_route_dev(res);
	if (unlikely(!out)) {
		icmp6_send_error(w, p, ICMP6_DEST_UNREACH, ICMP6_ADDR_UNREACH, 0);
		dev_rx_drop(in, p, DROP_IP6_NO_ROUTE);
		return;
	}
	memcpy(nh.v6, ip + 24, 16); /* destination, for exceptions */
	mtu = ip_path_mtu(res, out, p->table_id, AF_INET6, &nh, w->now_ms);
	if (unlikely(ip_exceeds_mtu(p, IP6_HLEN + get_be16(ip + 4), mtu))) {
		icmp6_send_error(w, p, ICMP6_PKT_TOO_BIG, 0, mtu);
		dev_rx_drop(in, p, DROP_IP6_TOO_BIG);
		return;
	}
	if (unlikely(pkt_is_shared(p))) {
		if (pkt_make_writable(p) < 0) {
			dev_rx_drop(in, p, DROP_NOMEM);
			return;
		}
		ip = p->data;
	}
	ip[7]--;
	if (res->nh->has_gw)
		nh = res->nh->gw;
	else
		memcpy(nh.v6, ip + 24, 16);
	dev_stats_here(in)->forwarded++;
	p->out_ifindex = out->ifindex;
	neigh_output(w, out, AF_INET6, &nh, p);
}
