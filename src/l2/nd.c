/* IPv6 Neighbor Discovery (RFC 4861) for a router on Ethernet: validation
 * of received ND messages (section 6.1.x / 7.1.x), answers to neighbor
 * solicitations for our addresses, neighbor table updates from
 * advertisements, and solicitations for address resolution and
 * unreachability detection.
 *
 * usnet is a statically configured router: it does not autoconfigure from
 * router advertisements, does not send them (so it ignores router
 * solicitations), and as a router it must not act on redirects (RFC 4861
 * 8.1). Those messages are validated, counted as delivered and freed. */
#include "l2/nd.h"

#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"
#include "dev/dev.h"
#include "l2/eth.h"
#include "l2/neigh.h"
#include "offload/csum.h"

#define IP6_HLEN 40u
#define IPPROTO_ICMP6 58u
#define ND_HOP_LIMIT 255u
#define ND_NSNA_LEN 24u     /* NS/NA without options */
#define ND_LLA_OPT_LEN 8u   /* Ethernet link-layer address option */

enum {
	ND_RS = 133,
	ND_RA = 134,
	ND_NS = 135,
	ND_NA = 136,
	ND_REDIRECT = 137,
};

enum { ND_OPT_SLLA = 1, ND_OPT_TLLA = 2 };

enum {
	ND_NA_ROUTER = 0x80,
	ND_NA_SOLICITED = 0x40,
	ND_NA_OVERRIDE = 0x20,
};

/* A received ND message; pointers into the (linear) packet. */
struct nd_msg {
	const uint8_t *ip6;   /* IPv6 header */
	const uint8_t *icmp;  /* ICMPv6 header */
	uint32_t len;         /* ICMPv6 message length */
	uint8_t type;
	const uint8_t *lla;   /* SLLA (NS/RS/RA) or TLLA (NA/redirect), or NULL */
};

static const uint8_t ip6_all_nodes[16] = { 0xff, 0x02, [15] = 0x01 };

static bool ip6_is_mcast(const uint8_t *a)
{
	return a[0] == 0xff;
}

static bool ip6_is_unspec(const uint8_t *a)
{
	static const uint8_t z[16];
	return memcmp(a, z, 16) == 0;
}

static bool ip6_is_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* ff02::1:ffXX:XXXX */
static bool ip6_is_solicited_node(const uint8_t *a)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };
	return memcmp(a, pfx, 13) == 0;
}

static void ip6_solicited_node(const uint8_t target[16], uint8_t out[16])
{
	static const uint8_t pfx[13] = { 0xff, 0x02, [11] = 0x01, [12] = 0xff };
	memcpy(out, pfx, 13);
	memcpy(out + 13, target + 13, 3);
}

/* Fixed part (where options start) of each ND message type. */
static uint32_t nd_fixed_len(uint8_t type)
{
	switch (type) {
	case ND_RS:
		return 8;
	case ND_RA:
		return 16;
	case ND_NS:
	case ND_NA:
		return ND_NSNA_LEN;
	default: /* ND_REDIRECT */
		return 40;
	}
}

/* Walk the options: every option needs a non-zero length and must fit.
 * Remembers the first link-layer address option of type `want` that has
 * the Ethernet size (others are ignored, as Linux does). */
static bool nd_parse_opts(struct nd_msg *m, uint8_t want)
{
	uint32_t off = nd_fixed_len(m->type);

	while (off < m->len) {
		uint32_t olen;
		if (m->len - off < 2)
			return false;
		olen = m->icmp[off + 1] * 8u;
		if (olen == 0 || olen > m->len - off)
			return false;
		if (m->icmp[off] == want && olen == ND_LLA_OPT_LEN && !m->lla)
			m->lla = m->icmp + off + 2;
		off += olen;
	}
	return true;
}

/* Locate the headers and check lengths (offsets from the IPv6 header). */
static bool nd_locate(const struct pkt *p, struct nd_msg *m)
{
	uint32_t l3 = p->l3_off, l4 = p->l4_off, avail, end;

	if (l3 == PKT_OFF_UNSET || l4 == PKT_OFF_UNSET ||
	    l3 < pkt_headroom(p) || l4 < l3 + IP6_HLEN)
		return false;
	avail = pkt_headroom(p) + p->len - l3; /* bytes from the IPv6 header */
	if (avail < IP6_HLEN)
		return false;
	m->ip6 = pkt_l3(p);
	end = IP6_HLEN + get_be16(m->ip6 + 4); /* end of the payload */
	if (end > avail || end < l4 - l3 + 4)
		return false;
	m->icmp = pkt_l4(p);
	m->len = end - (l4 - l3);
	m->type = m->icmp[0];
	m->lla = NULL;
	return true;
}

/* Type-specific checks of RFC 4861 6.1.1, 6.1.2, 7.1.1, 7.1.2, 8.1. */
static bool nd_check_type(const struct nd_msg *m)
{
	const uint8_t *src = m->ip6 + 8, *dst = m->ip6 + 24;

	if (ip6_is_mcast(src))
		return false;
	switch (m->type) {
	case ND_RS:
		return !(ip6_is_unspec(src) && m->lla);
	case ND_RA:
	case ND_REDIRECT:
		return ip6_is_linklocal(src);
	case ND_NS:
		if (ip6_is_mcast(m->icmp + 8))
			return false;
		return !ip6_is_unspec(src) ||
		       (ip6_is_solicited_node(dst) && !m->lla);
	default: /* ND_NA */
		if (ip6_is_mcast(m->icmp + 8))
			return false;
		return !(ip6_is_mcast(dst) && (m->icmp[4] & ND_NA_SOLICITED));
	}
}

static bool nd_validate(struct nd_msg *m)
{
	uint8_t want = m->type == ND_NA || m->type == ND_REDIRECT ? ND_OPT_TLLA
								   : ND_OPT_SLLA;

	if (m->ip6[7] != ND_HOP_LIMIT || m->icmp[1] != 0)
		return false;
	if (m->len < nd_fixed_len(m->type))
		return false;
	if (!nd_parse_opts(m, want))
		return false;
	return nd_check_type(m);
}

/* Build an IPv6 + ICMPv6 NS or NA (same layout: 4 bytes of flags, the
 * target, one link-layer address option carrying d's MAC). */
static struct pkt *nd_build(const struct dev *d, const uint8_t src[16],
			    const uint8_t dst[16], uint8_t type, uint8_t flags,
			    const uint8_t target[16], uint8_t opt)
{
	const uint32_t icmp_len = ND_NSNA_LEN + ND_LLA_OPT_LEN;
	struct pkt *p = pkt_alloc(IP6_HLEN + icmp_len);
	uint8_t *h = p ? pkt_put(p, IP6_HLEN + icmp_len) : NULL;
	uint8_t *icmp;

	if (!h) {
		pkt_free(p);
		return NULL;
	}
	memset(h, 0, IP6_HLEN + icmp_len);
	h[0] = 0x60;
	put_be16(h + 4, (uint16_t)icmp_len);
	h[6] = IPPROTO_ICMP6;
	h[7] = ND_HOP_LIMIT;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
	icmp = h + IP6_HLEN;
	icmp[0] = type;
	icmp[4] = flags;
	memcpy(icmp + 8, target, 16);
	icmp[24] = opt;
	icmp[25] = ND_LLA_OPT_LEN / 8;
	memcpy(icmp + 26, d->mac, 6);
	put_be16(icmp + 2, csum_finish(csum_partial(
				   icmp, icmp_len,
				   csum_pseudo6(src, dst, IPPROTO_ICMP6, icmp_len))));
	p->flags |= PKT_F_LOCAL_ORIGIN;
	p->l3_off = pkt_off(p, h);
	p->l4_off = pkt_off(p, icmp);
	p->l3_family = AF_INET6;
	p->l4_proto = IPPROTO_ICMP6;
	p->out_ifindex = d->ifindex;
	return p;
}

static bool nd_is_ours(const struct dev *d, const union pkt_addr *a)
{
	return dev_has_addr(d, AF_INET6, a) ||
	       (!ip6_is_unspec(d->ll6.v6) && memcmp(a->v6, d->ll6.v6, 16) == 0);
}

/* Answer a NS for our address `target`: to the soliciting node (resolved
 * through the neighbor table), or to all nodes when it is doing DAD. */
static void nd_send_na(struct worker *w, struct dev *d,
		       const union pkt_addr *target, const union pkt_addr *to)
{
	uint8_t flags = ND_NA_ROUTER | ND_NA_OVERRIDE;
	const uint8_t *dst = to ? to->v6 : ip6_all_nodes;
	uint8_t mac[6];
	struct pkt *p;

	if (to)
		flags |= ND_NA_SOLICITED; /* RFC 4861 7.2.4: not for DAD */
	p = nd_build(d, target->v6, dst, ND_NA, flags, target->v6, ND_OPT_TLLA);
	if (!p) {
		log_msg(LOG_DEBUG, "nd: %s: no memory for a NA", d->name);
		return;
	}
	if (ip6_is_mcast(dst)) {
		eth_mcast_from_ip6(dst, mac);
		eth_output(w, d, mac, ETH_P_IP6, p);
		return;
	}
	neigh_output(w, d, AF_INET6, to, p);
}

static void nd_rx_ns(struct worker *w, struct dev *d, const struct nd_msg *m)
{
	union pkt_addr target, src;

	memcpy(target.v6, m->icmp + 8, 16);
	memcpy(src.v6, m->ip6 + 8, 16);
	if (!nd_is_ours(d, &target))
		return; /* RFC 4861 7.2.3: silently discarded */
	if (ip6_is_unspec(src.v6)) {
		nd_send_na(w, d, &target, NULL);
		return;
	}
	if (m->lla)
		neigh_update(w, d, AF_INET6, &src, m->lla,
			     NEIGH_UPD_CREATE | NEIGH_UPD_OVERRIDE);
	nd_send_na(w, d, &target, &src);
}

static void nd_rx_na(struct worker *w, struct dev *d, const struct nd_msg *m)
{
	union pkt_addr target;
	enum neigh_state st;
	uint8_t mac[6];
	uint8_t fl = m->icmp[4];
	unsigned flags = 0;

	memcpy(target.v6, m->icmp + 8, 16);
	if (nd_is_ours(d, &target)) {
		log_msg(LOG_DEBUG, "nd: %s: advertisement for one of our "
			"addresses (duplicate address?)", d->name);
		return;
	}
	if (m->lla) {
		memcpy(mac, m->lla, 6);
	} else if (!neigh_lookup(d, AF_INET6, &target, &st, mac) ||
		   st == NEIGH_NONE || st == NEIGH_INCOMPLETE ||
		   st == NEIGH_FAILED) {
		return; /* RFC 4861 7.2.5: nothing to learn without a TLLA */
	}
	if (fl & ND_NA_SOLICITED)
		flags |= NEIGH_UPD_SOLICITED;
	if (fl & ND_NA_OVERRIDE)
		flags |= NEIGH_UPD_OVERRIDE;
	neigh_update(w, d, AF_INET6, &target, mac, flags);
}

void nd_input(struct worker *w, struct dev *d, struct pkt *p)
{
	struct nd_msg m;

	if (!pkt_is_linear(p) && pkt_linearize(p) < 0) {
		dev_rx_drop(d, p, DROP_NOMEM);
		return;
	}
	if (!nd_locate(p, &m)) {
		dev_rx_drop(d, p, DROP_ND_MALFORMED);
		return;
	}
	if (m.type < ND_RS || m.type > ND_REDIRECT) {
		dev_rx_drop(d, p, DROP_ICMP_UNHANDLED);
		return;
	}
	if (!nd_validate(&m)) {
		dev_rx_drop(d, p, DROP_ND_MALFORMED);
		return;
	}
	if (m.type == ND_NS)
		nd_rx_ns(w, d, &m);
	else if (m.type == ND_NA)
		nd_rx_na(w, d, &m);
	dev_stats_here(d)->delivered++;
	pkt_free(p);
}

/* Source for a solicitation: the link-local for link-local targets, else
 * an address of d (falling back to the link-local). */
static bool nd_pick_src(const struct dev *d, const union pkt_addr *target,
			union pkt_addr *src)
{
	bool has_ll = !ip6_is_unspec(d->ll6.v6);

	if (has_ll && ip6_is_linklocal(target->v6)) {
		*src = d->ll6;
		return true;
	}
	if (dev_pick_src(d, AF_INET6, target, src))
		return true;
	if (has_ll)
		*src = d->ll6;
	return has_ll;
}

void nd_solicit(struct worker *w, struct dev *d, const uint8_t target[16],
		const uint8_t *dst_mac)
{
	union pkt_addr tgt, src;
	uint8_t dst[16], mac[6];
	struct pkt *p;

	memcpy(tgt.v6, target, 16);
	if (!nd_pick_src(d, &tgt, &src)) {
		log_msg(LOG_DEBUG, "nd: %s: no IPv6 address to solicit from",
			d->name);
		return;
	}
	if (dst_mac)
		memcpy(dst, target, 16);
	else
		ip6_solicited_node(target, dst);
	p = nd_build(d, src.v6, dst, ND_NS, 0, target, ND_OPT_SLLA);
	if (!p) {
		log_msg(LOG_DEBUG, "nd: %s: no memory for a NS", d->name);
		return;
	}
	if (dst_mac)
		memcpy(mac, dst_mac, 6);
	else
		eth_mcast_from_ip6(dst, mac);
	eth_output(w, d, mac, ETH_P_IP6, p);
}
