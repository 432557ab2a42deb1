/* Ethernet input (validation, classification by destination MAC, rx_handler
 * hook for upper devices, dispatch by ethertype in vectors) and output. */
#include "l2/eth.h"

#include <string.h>

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "l2/arp.h"
#include "l3/ip.h"

/* Classify the destination MAC; false when the frame is not for us. */
static bool eth_accept(const struct dev *d, struct pkt *p, const uint8_t *eh)
{
	if (memcmp(eh, d->mac, 6) == 0) {
		p->flags |= PKT_F_L2_HOST;
		return true;
	}
	if (eth_is_bcast(eh)) {
		p->flags |= PKT_F_L2_BCAST;
		return true;
	}
	if (eth_is_mcast(eh)) {
		p->flags |= PKT_F_L2_MCAST;
		return true;
	}
	return false;
}

/* One frame: validate and hand on. Returns the ethertype of a frame to be
 * batched into an L3 vector, or 0 when the frame was consumed here. */
static uint16_t eth_input_one(struct worker *w, struct dev *d, struct pkt *p)
{
	const uint8_t *eh = p->data;
	uint16_t type;

	if (unlikely(p->len < ETH_HLEN)) {
		dev_rx_drop(d, p, DROP_ETH_TRUNCATED);
		return 0;
	}
	if (d->rx_handler && d->rx_handler(w, d->rx_upper, p))
		return 0;
	if (unlikely(eth_is_mcast(eh + 6))) {
		dev_rx_drop(d, p, DROP_ETH_BAD_SRC);
		return 0;
	}
	if (!eth_accept(d, p, eh)) {
		dev_rx_drop(d, p, DROP_ETH_OTHERHOST);
		return 0;
	}
	type = get_be16(eh + 12);
	p->l2_off = pkt_off(p, p->data);
	pkt_pull(p, ETH_HLEN);
	switch (type) {
	case ETH_P_IP4:
	case ETH_P_IP6:
		return type;
	case ETH_P_ARP:
		arp_input(w, d, p);
		return 0;
	case ETH_P_8021Q:
	case ETH_P_8021AD:
		dev_rx_drop(d, p, DROP_ETH_VLAN_NO_DEV);
		return 0;
	default:
		dev_rx_drop(d, p, DROP_ETH_UNKNOWN_PROTO);
		return 0;
	}
}

void eth_input(struct worker *w, struct pkt_vec *v)
{
	struct pkt_vec v4, v6;
	struct dev *d = NULL;

	v4.n = v6.n = 0;
	for (uint16_t i = 0; i < v->n; i++) {
		struct pkt *p = v->p[i];
		if (!d || d->ifindex != p->in_ifindex)
			d = dev_get(p->in_ifindex);
		if (unlikely(!d)) {
			pkt_drop_orphan(p, DROP_DEV_DOWN);
			continue;
		}
		switch (eth_input_one(w, d, p)) {
		case ETH_P_IP4:
			v4.p[v4.n++] = p;
			break;
		case ETH_P_IP6:
			v6.p[v6.n++] = p;
			break;
		default:
			break;
		}
	}
	v->n = 0;
	if (v4.n)
		ip4_input(w, &v4);
	if (v6.n)
		ip6_input(w, &v6);
}

/* Make room for a private Ethernet header in front of p; NULL on no memory
 * (p is then freed). */
static struct pkt *eth_make_room(struct pkt *p)
{
	struct pkt *c;

	if (!pkt_is_shared(p) && pkt_headroom(p) >= ETH_HLEN)
		return p;
	c = pkt_copy(p, ETH_HLEN);
	pkt_free(p);
	return c;
}

void eth_output_counted(struct worker *w, struct dev *d, const uint8_t dst[6],
			uint16_t ethertype, struct pkt *p)
{
	uint8_t *eh;

	p = eth_make_room(p);
	if (unlikely(!p)) {
		dev_stats_here(d)->tx_drops[DROP_NOMEM]++;
		return;
	}
	eh = pkt_push(p, ETH_HLEN);
	if (unlikely(!eh)) {
		dev_tx_drop(d, p, DROP_NOMEM);
		return;
	}
	memcpy(eh, dst, 6);
	memcpy(eh + 6, d->mac, 6);
	put_be16(eh + 12, ethertype);
	p->l2_off = pkt_off(p, eh);
	p->out_ifindex = d->ifindex;
	worker_tx(w, d, p);
}

void eth_output(struct worker *w, struct dev *d, const uint8_t dst[6],
		uint16_t ethertype, struct pkt *p)
{
	dev_count_egress(d, p);
	eth_output_counted(w, d, dst, ethertype, p);
}
