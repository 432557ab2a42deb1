/* ARP (RFC 826) for IPv4 over Ethernet: validates received requests and
 * replies, learns sender bindings into the neighbor table (as Linux's
 * arp_process), answers requests for our addresses, and builds requests
 * and gratuitous announcements. */
#include "l2/arp.h"

#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"
#include "dev/dev.h"
#include "l2/eth.h"
#include "l2/neigh.h"

#define ARP_LEN 28u      /* Ethernet/IPv4 ARP message */
#define ARP_HTYPE_ETHER 1u

enum { ARP_OP_REQUEST = 1, ARP_OP_REPLY = 2 };

/* A parsed Ethernet/IPv4 ARP message; addresses in network order. */
struct arp_msg {
	uint16_t op;
	uint8_t sha[6], tha[6];
	uint32_t spa, tpa;
};

static bool arp_parse(const struct pkt *p, struct arp_msg *m)
{
	uint8_t h[ARP_LEN];

	if (pkt_copy_bits(p, 0, h, ARP_LEN) < 0)
		return false;
	if (get_be16(h) != ARP_HTYPE_ETHER || get_be16(h + 2) != ETH_P_IP4 ||
	    h[4] != 6 || h[5] != 4)
		return false;
	m->op = get_be16(h + 6);
	if (m->op != ARP_OP_REQUEST && m->op != ARP_OP_REPLY)
		return false;
	memcpy(m->sha, h + 8, 6);
	memcpy(&m->spa, h + 14, 4);
	memcpy(m->tha, h + 18, 6);
	memcpy(&m->tpa, h + 24, 4);
	/* A sender hardware address must be a station's. */
	return !eth_is_mcast(m->sha) && !eth_is_zero(m->sha);
}

/* May a binding for this sender IP be learned? Not for 0.0.0.0 (probes),
 * multicast/broadcast, loopback, or one of d's own addresses (a conflict,
 * not a neighbor). */
static bool arp_sender_learnable(const struct dev *d, uint32_t spa)
{
	uint32_t a = ntohl(spa);
	union pkt_addr ip = { .v4 = spa };

	if (a == 0 || a >= 0xe0000000u || (a >> 24) == 127)
		return false;
	return !dev_has_addr(d, AF_INET, &ip);
}

static void arp_send(struct worker *w, struct dev *d, uint16_t op,
		     uint32_t spa, const uint8_t *tha, uint32_t tpa,
		     const uint8_t eth_dst[6])
{
	static const uint8_t zero[6];
	struct pkt *p = pkt_alloc(ARP_LEN);
	uint8_t *h = p ? pkt_put(p, ARP_LEN) : NULL;

	if (!h) {
		pkt_free(p);
		log_msg(LOG_DEBUG, "arp: %s: no memory for an ARP packet",
			d->name);
		return;
	}
	put_be16(h, ARP_HTYPE_ETHER);
	put_be16(h + 2, ETH_P_IP4);
	h[4] = 6;
	h[5] = 4;
	put_be16(h + 6, op);
	memcpy(h + 8, d->mac, 6);
	memcpy(h + 14, &spa, 4);
	memcpy(h + 18, tha ? tha : zero, 6);
	memcpy(h + 24, &tpa, 4);
	p->flags |= PKT_F_LOCAL_ORIGIN;
	p->out_ifindex = d->ifindex;
	eth_output(w, d, eth_dst, ETH_P_ARP, p);
}

/* Request or reply whose target is one of d's addresses. As Linux (with
 * arp_accept off): a request creates a STALE entry for its sender; a reply
 * only updates an entry we have (we asked), and makes it REACHABLE when it
 * came unicast to us. */
static void arp_rx_for_us(struct worker *w, struct dev *d,
			  const struct arp_msg *m, const struct pkt *p)
{
	union pkt_addr sip = { .v4 = m->spa };
	unsigned flags = NEIGH_UPD_OVERRIDE;

	if (m->op == ARP_OP_REQUEST)
		flags |= NEIGH_UPD_CREATE;
	else if (!(p->flags & (PKT_F_L2_BCAST | PKT_F_L2_MCAST)))
		flags |= NEIGH_UPD_SOLICITED;
	if (arp_sender_learnable(d, m->spa))
		neigh_update(w, d, AF_INET, &sip, m->sha, flags);
	if (m->op != ARP_OP_REQUEST)
		return;
	if (dev_has_addr(d, AF_INET, &sip)) {
		/* Someone claims our own address: do not answer it. */
		log_msg(LOG_DEBUG, "arp: %s: request from a station using our "
			"address", d->name);
		return;
	}
	/* Answers probes from 0.0.0.0 too (RFC 5227 2.1.1). */
	arp_send(w, d, ARP_OP_REPLY, m->tpa, m->sha, m->spa, m->sha);
}

/* Not for us: refresh an existing entry only; a gratuitous ARP (sender ==
 * target) may change its MAC. */
static void arp_rx_snoop(struct worker *w, struct dev *d,
			 const struct arp_msg *m)
{
	union pkt_addr sip = { .v4 = m->spa };

	if (!arp_sender_learnable(d, m->spa))
		return;
	neigh_update(w, d, AF_INET, &sip, m->sha,
		     m->spa == m->tpa ? NEIGH_UPD_OVERRIDE : 0);
}

void arp_input(struct worker *w, struct dev *d, struct pkt *p)
{
	struct arp_msg m;
	union pkt_addr tip;

	if (!arp_parse(p, &m)) {
		dev_rx_drop(d, p, DROP_ARP_MALFORMED);
		return;
	}
	tip.v4 = m.tpa;
	if (dev_has_addr(d, AF_INET, &tip)) {
		arp_rx_for_us(w, d, &m, p);
		dev_stats_here(d)->delivered++;
		pkt_free(p);
		return;
	}
	arp_rx_snoop(w, d, &m);
	dev_rx_drop(d, p, DROP_ARP_NOT_FOR_US);
}

void arp_solicit(struct worker *w, struct dev *d, uint32_t target_be,
		 const uint8_t *dst_mac)
{
	union pkt_addr dst = { .v4 = target_be }, src = { .v4 = 0 };

	if (!dev_pick_src(d, AF_INET, &dst, &src))
		src.v4 = 0;
	arp_send(w, d, ARP_OP_REQUEST, src.v4, NULL, target_be,
		 dst_mac ? dst_mac : eth_bcast);
}

void arp_announce(struct worker *w, struct dev *d, uint32_t ip_be)
{
	arp_send(w, d, ARP_OP_REQUEST, ip_be, NULL, ip_be, eth_bcast);
}
