/* Construction of ICMP and ICMPv6 error messages (RFC 1812 4.3.2.3,
 * RFC 4443 2.4), shared by both families once each family has decided that
 * an error may be sent: source address choice, the quoted packet, the
 * checksum and the rate limit. */
#include "l3/icmp_err.h"

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "l3/icmp.h"
#include "l3/ip.h"

#define ICMP4_ERR_MAX 576u   /* RFC 1812 4.3.2.3 */
#define ICMP6_ERR_MAX 1280u  /* RFC 4443 2.4(c): minimum IPv6 MTU */

/* Source for an error about orig: an address of the interface the offending
 * packet came in on (it faces the sender), link-local for link-local
 * senders; else any address of ours. */
static bool icmp_err_src(const struct pkt *orig, int family,
			 const union pkt_addr *to, union pkt_addr *src)
{
	struct dev *in = dev_get(orig->in_ifindex);

	if (family == AF_INET6 && in && ip6_is_linklocal(to->v6)) {
		*src = in->ll6;
		return !ip6_is_unspec(src->v6);
	}
	if (in && dev_pick_src(in, family, to, src))
		return true;
	if (family == AF_INET6 && in && !ip6_is_unspec(in->ll6.v6)) {
		*src = in->ll6;
		return true;
	}
	for (struct dev *d = dev_next(NULL); d; d = dev_next(d))
		if (dev_pick_src(d, family, to, src))
			return true;
	return false;
}

void icmp_err_send(struct worker *w, const struct pkt *orig, int family,
		   uint8_t type, uint8_t code, uint32_t info,
		   const union pkt_addr *to, bool rate_limited)
{
	uint32_t hlen = family == AF_INET ? IP4_HLEN : IP6_HLEN;
	uint32_t max = family == AF_INET ? ICMP4_ERR_MAX : ICMP6_ERR_MAX;
	uint32_t l3 = orig->l3_off - pkt_headroom(orig);
	uint32_t quote = MIN(orig->total_len - l3, max - hlen - 8);
	union pkt_addr src;
	struct pkt *e;
	uint8_t *icmp;

	if (rate_limited && !icmp_rl_allow(w->icmp_rl, family, to, w->now_ms))
		return;
	if (!icmp_err_src(orig, family, to, &src))
		return;
	e = ip_new_packet(family, &src, to,
			  family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6,
			  8 + quote, family == AF_INET ? 0xc0 : 0);
	if (!e)
		return;
	icmp = pkt_l4(e);
	icmp[0] = type;
	icmp[1] = code;
	if (family == AF_INET && type == ICMP4_DEST_UNREACH)
		put_be16(icmp + 6, (uint16_t)info);      /* next-hop MTU */
	else if (family == AF_INET && type == ICMP4_PARAM_PROBLEM)
		icmp[4] = (uint8_t)info;                 /* pointer */
	else if (family == AF_INET6)
		put_be32(icmp + 4, info);                /* MTU or pointer */
	if (pkt_copy_bits(orig, l3, icmp + 8, quote) < 0) {
		pkt_free(e);
		return;
	}
	e->table_id = orig->table_id;
	e->out_ifindex = orig->in_ifindex;
	ip_finish_l4_csum(e);
	ip_output(w, family, e);
}
