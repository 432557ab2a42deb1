/* ICMPv4: when a router may send an error (RFC 1812 4.3.2.7), and the local
 * ICMP input (echo replies, RFC 792). */
#include "l3/icmp.h"

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "l3/addr.h"
#include "l3/icmp_err.h"
#include "l3/ip.h"
#include "offload/csum.h"

static bool icmp4_is_error_type(uint8_t type)
{
	return type == ICMP4_DEST_UNREACH || type == 4 /* source quench */ ||
	       type == 5 /* redirect */ || type == ICMP4_TIME_EXCEEDED ||
	       type == ICMP4_PARAM_PROBLEM;
}

/* RFC 1812 4.3.2.7: no error about an ICMP error, a non-first fragment, a
 * link-layer or IP broadcast/multicast, or a packet whose source does not
 * name a single host. */
static bool icmp4_may_reply(const struct pkt *orig, uint32_t *saddr)
{
	const uint8_t *ip = pkt_l3(orig);
	uint32_t l3 = orig->l3_off - pkt_headroom(orig);
	uint32_t daddr;
	uint8_t type;

	if (orig->flags & (PKT_F_L2_BCAST | PKT_F_L2_MCAST))
		return false;
	if (get_be16(ip + 6) & IP4_OFFMASK)
		return false;
	memcpy(saddr, ip + 12, 4);
	memcpy(&daddr, ip + 16, 4);
	if (ip4_is_martian_src(*saddr) || ip4_is_lbcast(*saddr) ||
	    ip4_is_mcast(daddr) || ip4_is_lbcast(daddr) ||
	    addr_is_bcast4(orig->table_id, *saddr) ||
	    addr_is_bcast4(orig->table_id, daddr))
		return false;
	if (ip[9] == IPPROTO_ICMP) {
		uint32_t ihl = (ip[0] & 0xfu) * 4;
		if (pkt_copy_bits(orig, l3 + ihl, &type, 1) < 0 ||
		    icmp4_is_error_type(type))
			return false;
	}
	return true;
}

/* An ICMP error must quote an IPv4 header (RFC 792): version 4, IHL >= 5,
 * and the header plus 8 bytes present (RFC 1812 4.3.2.3 asks for them). */
static bool icmp4_quote_ok(const struct pkt *p, uint32_t l4)
{
	uint8_t q[1];
	uint32_t ihl;

	if (pkt_copy_bits(p, l4 + 8, q, 1) < 0 || (q[0] >> 4) != 4)
		return false;
	ihl = (q[0] & 0xfu) * 4;
	return ihl >= IP4_HLEN && p->total_len >= l4 + 8 + ihl + 8;
}

void icmp4_send_error(struct worker *w, const struct pkt *orig, uint8_t type,
		      uint8_t code, uint32_t info)
{
	union pkt_addr to;
	/* Path MTU discovery must not be starved (as Linux's ratemask). */
	bool limited = !(type == ICMP4_DEST_UNREACH && code == ICMP4_FRAG_NEEDED);

	if (!icmp4_may_reply(orig, &to.v4))
		return;
	icmp_err_send(w, orig, AF_INET, type, code, info, &to, limited);
}

/* Turn an echo request into its reply in place; options are dropped. */
static void icmp4_echo_reply(struct worker *w, struct dev *in, struct pkt *p)
{
	uint8_t *icmp, *ip;
	uint8_t saddr[4], daddr[4];
	uint32_t l4 = p->l4_off - pkt_headroom(p);
	uint32_t icmp_len = p->total_len - l4;

	if (pkt_make_writable(p) < 0) {
		dev_rx_drop(in, p, DROP_NOMEM);
		return;
	}
	ip = pkt_l3(p);
	memcpy(saddr, ip + 12, 4);
	memcpy(daddr, ip + 16, 4);
	icmp = pkt_l4(p);
	/* the fixed header moves next to the ICMP header: options are gone */
	memmove(icmp - IP4_HLEN, ip, IP4_HLEN);
	pkt_pull(p, (uint32_t)(icmp - p->data) - IP4_HLEN);
	ip = p->data;
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(IP4_HLEN + icmp_len));
	put_be16(ip + 6, IP4_DF); /* path MTU discovery; see ip4_output */
	ip[8] = IP_DEFAULT_TTL;
	ip[9] = IPPROTO_ICMP;
	memcpy(ip + 12, daddr, 4);
	memcpy(ip + 16, saddr, 4);
	csum_replace2(icmp + 2, (uint16_t)(ICMP4_ECHO_REQUEST << 8 | icmp[1]),
		      (uint16_t)(ICMP4_ECHO_REPLY << 8 | icmp[1]));
	icmp[0] = ICMP4_ECHO_REPLY;
	p->l3_off = pkt_off(p, ip);
	p->csum = PKT_CSUM_NONE;
	p->gso_size = p->gso_type = 0;
	p->flags = PKT_F_LOCAL_ORIGIN;
	p->out_ifindex = in->ifindex;
	dev_stats_here(in)->delivered++;
	ip4_output(w, p);
}

void icmp4_input(struct worker *w, struct dev *in, struct pkt *p)
{
	uint32_t l4 = p->l4_off - pkt_headroom(p);
	uint8_t type;

	if (p->total_len < l4 + 8 || pkt_copy_bits(p, l4, &type, 1) < 0) {
		dev_rx_drop(in, p, DROP_ICMP_MALFORMED);
		return;
	}
	if (!csum_l4_ok(p)) {
		dev_rx_drop(in, p, DROP_ICMP_BAD_CSUM);
		return;
	}
	if (type == ICMP4_ECHO_REQUEST) {
		if (p->flags & (PKT_F_L2_BCAST | PKT_F_L2_MCAST)) {
			dev_rx_drop(in, p, DROP_L3_NOT_HANDLED);
			return;
		}
		if (!icmp_params.echo_ignore_all) {
			icmp4_echo_reply(w, in, p);
			return;
		}
	}
	if (type == ICMP4_DEST_UNREACH && p->total_len >= l4 + 8 + IP4_HLEN &&
	    pkt_linearize(p) == 0) {
		const uint8_t *icmp = pkt_l4(p);
		if (icmp[1] == ICMP4_FRAG_NEEDED && get_be16(icmp + 6))
			ip_pmtu_learn(w, p, AF_INET, icmp + 8,
				      p->total_len - l4 - 8, get_be16(icmp + 6));
	}
	if (icmp4_is_error_type(type) && !icmp4_quote_ok(p, l4)) {
		dev_rx_drop(in, p, DROP_ICMP_MALFORMED);
		return;
	}
	/* Errors and replies addressed to us end here. */
	dev_stats_here(in)->delivered++;
	pkt_free(p);
}
