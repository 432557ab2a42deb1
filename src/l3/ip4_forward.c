/* IPv4 forwarding (RFC 1812 5.2.1, 5.3.1): TTL, MTU and fragmentation, TTL
 * decrement with an incremental checksum update (RFC 1624), next hop. */
#include "l3/ip.h"

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "l2/neigh.h"
#include "l3/icmp.h"
#include "offload/csum.h"

struct dev *ip_route_dev(const struct fib_result *res)
{
	struct dev *out = res->nh ? dev_get(res->nh->ifindex) : NULL;

	if (!out || !__atomic_load_n(&out->oper_up, __ATOMIC_ACQUIRE))
		return NULL;
	return out;
}

static void ip4_dec_ttl(uint8_t *ip)
{
	uint16_t old = get_be16(ip + 8);

	ip[8]--;
	csum_replace2(ip + 10, old, get_be16(ip + 8));
}

void ip4_forward(struct worker *w, struct dev *in, struct pkt *p,
		 const struct fib_result *res)
{
	uint8_t *ip = p->data;
	union pkt_addr nh;
	struct dev *out;
	uint32_t mtu;
	bool frag = false;

	if (unlikely(!(p->flags & PKT_F_L2_HOST))) {
		dev_rx_drop(in, p, DROP_FWD_L2_NOT_HOST);
		return;
	}
	if (unlikely(ip[8] <= 1)) {
		icmp4_send_error(w, p, ICMP4_TIME_EXCEEDED, 0, 0);
		dev_rx_drop(in, p, DROP_IP4_TTL_EXPIRED);
		return;
	}
	out = ip_route_dev(res);
	if (unlikely(!out)) {
		icmp4_send_error(w, p, ICMP4_DEST_UNREACH, ICMP4_HOST_UNREACH, 0);
		dev_rx_drop(in, p, DROP_IP4_NO_ROUTE);
		return;
	}
	memcpy(&nh.v4, ip + 16, 4); /* destination, for exceptions */
	mtu = ip_path_mtu(res, out, p->table_id, AF_INET, &nh, w->now_ms);
	if (unlikely(ip_exceeds_mtu(p, get_be16(ip + 2), mtu))) {
		if (get_be16(ip + 6) & IP4_DF) {
			icmp4_send_error(w, p, ICMP4_DEST_UNREACH,
					 ICMP4_FRAG_NEEDED, mtu);
			dev_rx_drop(in, p, DROP_IP4_FRAG_NEEDED);
			return;
		}
		frag = true;
	}
	if (unlikely(pkt_is_shared(p))) {
		if (pkt_make_writable(p) < 0) {
			dev_rx_drop(in, p, DROP_NOMEM);
			return;
		}
		ip = p->data;
	}
	ip4_dec_ttl(ip);
	if (res->nh->has_gw)
		nh = res->nh->gw;
	else
		memcpy(&nh.v4, ip + 16, 4);
	dev_stats_here(in)->forwarded++;
	p->out_ifindex = out->ifindex;
	if (frag)
		ip4_fragment(w, out, &nh, p, mtu);
	else
		neigh_output(w, out, AF_INET, &nh, p);
}
