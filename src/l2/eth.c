/* Ethernet input (validation, classification by destination MAC, rx_handler
 * hook for upper devices, dispatch by ethertype in vectors) and output. */
#include "l2/eth.h"

#include <string.h>
#include <urcu-qsbr.h>

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

/* Remove the 4-byte tag after the MAC addresses of p. false on no memory. */
static bool eth_pop_tag(struct pkt *p)
{
	/* only the head segment's first bytes change */
	if (pkt_is_shared(p) && pkt_make_writable(p) < 0)
		return false;
	memmove(p->data + 4, p->data, 12); /* MAC addresses over the tag */
	pkt_pull(p, 4);
	return true;
}

/* Frames tagged for a VLAN device on d go up to it, tag removed; priority
 * tagged frames (VID 0, 802.1Q or 802.1ad) stay on d untagged, as Linux
 * treats them. Returns
 * the device that now has the frame, or NULL when the tag is not ours. */
static struct dev *eth_vlan_demux(struct dev *d, struct pkt *p, uint16_t type)
{
	const uint32_t *tbl = type == ETH_P_8021Q ? d->vlan_q : d->vlan_ad;
	struct dev *up;
	uint16_t vid;

	if (p->len < ETH_HLEN + 4)
		return NULL;
	vid = get_be16(p->data + ETH_HLEN) & 0xfff;
	if (vid == 0)
		return eth_pop_tag(p) ? d : NULL;
	if (!tbl)
		return NULL;
	up = dev_get(__atomic_load_n(&tbl[vid], __ATOMIC_ACQUIRE));
	if (!up || !__atomic_load_n(&up->oper_up, __ATOMIC_ACQUIRE))
		return NULL;
	if (!eth_pop_tag(p))
		return NULL;
	dev_rx_to_upper(d, up, p);
	return up;
}

/* Walk the upper devices a frame belongs to: VLAN tags, then the device's
 * rx_handler (bridge, bond, macvlan). Returns the device that processes the
 * frame as its own, or NULL when the frame was consumed. */
static struct dev *eth_uppers(struct worker *w, struct dev *d, struct pkt *p)
{
	const struct dev *captured = NULL;

	for (int depth = 0; depth < 8; depth++) {
		dev_capture_fn cap = rcu_dereference(d->capture);
		uint16_t type = get_be16(p->data + 12);
		dev_rx_handler_fn h;
		struct dev *up;

		if (unlikely(cap) && captured != d) {
			cap(d, p, 0);
			captured = d;
		}
		if ((type == ETH_P_8021Q || type == ETH_P_8021AD) &&
		    (up = eth_vlan_demux(d, p, type))) {
			d = up;
			continue;
		}
		h = rcu_dereference(d->rx_handler);
		if (!h)
			return d;
		switch (h(w, d, p)) {
		case RX_HANDLER_CONSUMED:
			return NULL;
		case RX_HANDLER_PASS:
			return d;
		case RX_HANDLER_ANOTHER:
			d = dev_get(p->in_ifindex);
			if (!d) {
				pkt_drop_orphan(p, DROP_DEV_DOWN);
				return NULL;
			}
			break;
		}
	}
	dev_rx_drop(d, p, DROP_ETH_UNKNOWN_PROTO); /* stacking loop */
	return NULL;
}

/* One frame: validate and hand on. Returns the ethertype of a frame to be
 * batched into an L3 vector, or 0 when the frame was consumed here. */
static uint16_t eth_input_one(struct worker *w, struct dev *d, struct pkt *p)
{
	const uint8_t *eh;
	uint16_t type;

	if (unlikely(p->len < ETH_HLEN)) {
		dev_rx_drop(d, p, DROP_ETH_TRUNCATED);
		return 0;
	}
	d = eth_uppers(w, d, p);
	if (!d)
		return 0;
	eh = p->data;
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
