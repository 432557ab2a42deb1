/* ICMPv6: when an error may be sent (RFC 4443 2.4(e)), and local input
 * (echo replies, neighbor discovery hand-off). */
#include "l3/icmp.h"

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "l2/nd.h"
#include "l3/icmp_err.h"
#include "l3/ip.h"
#include "offload/csum.h"

/* Offset (from data) of the upper-layer header after extension headers,
 * and its protocol; false if it cannot be found within the packet. */
static bool ip6_upper(const struct pkt *orig, uint32_t *off, uint8_t *proto)
{
	uint32_t l3 = orig->l3_off - pkt_headroom(orig);
	uint8_t b[2];
	uint8_t nh;
	uint32_t o = l3 + IP6_HLEN;

	if (pkt_copy_bits(orig, l3 + 6, &nh, 1) < 0)
		return false;
	for (int i = 0; i < 8; i++) {
		if (nh != 0 && nh != 43 && nh != 60 && nh != 44)
			break;
		if (pkt_copy_bits(orig, o, b, 2) < 0)
			return false;
		if (nh == 44) {
			uint8_t fo[2];
			if (pkt_copy_bits(orig, o + 2, fo, 2) < 0 ||
			    (get_be16(fo) & 0xfff8))
				return false; /* not the first fragment */
			o += 8;
		} else {
			o += ((uint32_t)b[1] + 1) * 8;
		}
		nh = b[0];
	}
	*off = o;
	*proto = nh;
	return true;
}

static bool icmp6_may_reply(const struct pkt *orig, uint8_t type,
			    uint8_t code, union pkt_addr *to)
{
	const uint8_t *ip = pkt_l3(orig);
	bool exempt = type == ICMP6_PKT_TOO_BIG ||
		      (type == ICMP6_PARAM_PROB && code == 2);
	uint32_t upper;
	uint8_t proto, itype;

	memcpy(to->v6, ip + 8, 16);
	if (ip6_is_unspec(to->v6) || ip6_is_mcast(to->v6) ||
	    ip6_is_loopback(to->v6))
		return false;
	if (!exempt && ((orig->flags & (PKT_F_L2_BCAST | PKT_F_L2_MCAST)) ||
			ip6_is_mcast(ip + 24)))
		return false;
	if (ip6_upper(orig, &upper, &proto) && proto == IPPROTO_ICMPV6 &&
	    pkt_copy_bits(orig, upper, &itype, 1) == 0 && itype < 128)
		return false; /* never about an ICMPv6 error */
	return true;
}

/* An ICMPv6 error quotes as much of the offending packet as fits: at least
 * a whole IPv6 header, version 6 (RFC 4443 2.4(c), 3). */
static bool icmp6_quote_ok(const struct pkt *p, uint32_t l4)
{
	uint8_t q[1];

	return pkt_copy_bits(p, l4 + 8, q, 1) == 0 && (q[0] >> 4) == 6 &&
	       p->total_len >= l4 + 8 + IP6_HLEN;
}

void icmp6_send_error(struct worker *w, const struct pkt *orig, uint8_t type,
		      uint8_t code, uint32_t info)
{
	union pkt_addr to;

	if (!icmp6_may_reply(orig, type, code, &to))
		return;
	icmp_err_send(w, orig, AF_INET6, type, code, info, &to,
		      type != ICMP6_PKT_TOO_BIG);
}

/* Echo reply (RFC 4443 4.2) rebuilt in place without extension headers;
 * to a multicast request it answers from an address of the interface. */
static void icmp6_echo_reply(struct worker *w, struct dev *in, struct pkt *p)
{
	uint8_t src[16], dst[16];
	uint8_t *ip, *icmp;
	uint32_t icmp_len = p->total_len - (p->l4_off - pkt_headroom(p));
	union pkt_addr me;

	if (pkt_make_writable(p) < 0) {
		dev_rx_drop(in, p, DROP_NOMEM);
		return;
	}
	ip = pkt_l3(p);
	memcpy(src, ip + 8, 16);
	memcpy(dst, ip + 24, 16);
	if (ip6_is_mcast(dst)) {
		union pkt_addr peer;
		memcpy(peer.v6, src, 16);
		if (ip6_is_linklocal(src) || !dev_pick_src(in, AF_INET6, &peer, &me))
			me = in->ll6;
		memcpy(dst, me.v6, 16);
	}
	icmp = pkt_l4(p);
	pkt_pull(p, (uint32_t)(icmp - p->data) - IP6_HLEN);
	ip = p->data;
	put_be32(ip, 0x60000000u);
	put_be16(ip + 4, (uint16_t)icmp_len);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = IP_DEFAULT_TTL;
	memcpy(ip + 8, dst, 16);
	memcpy(ip + 24, src, 16);
	icmp[0] = ICMP6_ECHO_REPLY;
	p->l3_off = pkt_off(p, ip);
	p->gso_size = p->gso_type = 0;
	p->flags = PKT_F_LOCAL_ORIGIN;
	p->out_ifindex = in->ifindex;
	ip_finish_l4_csum(p);
	dev_stats_here(in)->delivered++;
	ip6_output(w, p);
}

void icmp6_input(struct worker *w, struct dev *in, struct pkt *p)
{
	uint32_t l4 = p->l4_off - pkt_headroom(p);
	uint8_t type;

	if (p->total_len < l4 + 4 || pkt_copy_bits(p, l4, &type, 1) < 0) {
		dev_rx_drop(in, p, DROP_ICMP_MALFORMED);
		return;
	}
	if (!csum_l4_ok(p)) {
		dev_rx_drop(in, p, DROP_ICMP_BAD_CSUM);
		return;
	}
	if (type < 128 && !icmp6_quote_ok(p, l4)) {
		dev_rx_drop(in, p, DROP_ICMP_MALFORMED);
		return;
	}
	if (type >= 133 && type <= 137) {
		nd_input(w, in, p);
		return;
	}
	if (type == ICMP6_ECHO_REQUEST && !icmp_params.echo_ignore_all) {
		icmp6_echo_reply(w, in, p);
		return;
	}
	if (type == ICMP6_PKT_TOO_BIG && p->total_len >= l4 + 8 + IP6_HLEN &&
	    pkt_linearize(p) == 0) {
		const uint8_t *icmp = pkt_l4(p);
		ip_pmtu_learn(w, p, AF_INET6, icmp + 8, p->total_len - l4 - 8,
			      get_be32(icmp + 4));
	}
	dev_stats_here(in)->delivered++;
	pkt_free(p);
}
