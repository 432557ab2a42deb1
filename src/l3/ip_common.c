/* L3 pieces shared by IPv4 and IPv6: MTU judgement, reject routes, replies
 * for closed ports (ICMP unreachable or TCP RST), packet construction and
 * flow hashing. */
#include "l3/ip.h"

#include <string.h>

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "fib/fib_fwd.h"
#include "l3/icmp.h"
#include "fib/fib_exc.h"
#include "fib/nexthop.h"
#include "l3/addr.h"
#include "offload/csum.h"

bool ip_exceeds_mtu(const struct pkt *p, uint32_t l3_len, uint32_t mtu)
{
	if (l3_len <= mtu)
		return false;
	if (p->gso_size && p->l4_off != PKT_OFF_UNSET) {
		const uint8_t *l4 = pkt_l4(p);
		uint32_t hdr = p->l4_off - p->l3_off;
		hdr += (p->gso_type & (PKT_GSO_TCPV4 | PKT_GSO_TCPV6))
			       ? (uint32_t)(l4[12] >> 4) * 4
			       : 8;
		return hdr + p->gso_size > mtu;
	}
	return true;
}

uint32_t ip_path_mtu(const struct fib_result *res, const struct dev *out,
		     uint32_t table, int family, const union pkt_addr *dst,
		     uint64_t now_ms)
{
	uint32_t mtu = out->mtu, exc;

	if (res->fwd->mtu)   /* the shared copy: *route stays cold */
		mtu = MIN(mtu, res->fwd->mtu);
	exc = fib_exc_mtu(table ? table : res->table, family, dst, now_ms, NULL);
	return exc ? MIN(mtu, exc) : mtu;
}

void ip_pmtu_learn(struct worker *w, const struct pkt *icmp_pkt, int family,
		   const uint8_t *inner, uint32_t inner_len, uint32_t mtu)
{
	union pkt_addr src, dst;
	uint32_t table = icmp_pkt->table_id ? icmp_pkt->table_id : FIB_TABLE_MAIN;

	if (inner_len < (family == AF_INET ? IP4_HLEN : IP6_HLEN) ||
	    (inner[0] >> 4) != (family == AF_INET ? 4 : 6))
		return;
	memset(&src, 0, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	if (family == AF_INET) {
		memcpy(&src.v4, inner + 12, 4);
		memcpy(&dst.v4, inner + 16, 4);
		if (mtu >= get_be16(inner + 2))
			return; /* the quoted packet would have fit */
	} else {
		memcpy(src.v6, inner + 8, 16);
		memcpy(dst.v6, inner + 24, 16);
	}
	/* Only packets we sent ourselves teach us anything (RFC 1191). */
	if (!addr_is_local(family, &src))
		return;
	fib_exc_learn(table, family, &dst, mtu, w->now_ms);
}

struct reject_action {
	enum drop_reason reason;
	uint8_t icmp4_type, icmp4_code, icmp6_type, icmp6_code;
};

static const struct reject_action reject_actions[] = {
	[0] = { DROP_IP4_NO_ROUTE, ICMP4_DEST_UNREACH, ICMP4_NET_UNREACH,
		ICMP6_DEST_UNREACH, ICMP6_NO_ROUTE },
	[FIB_UNREACHABLE] = { DROP_ROUTE_UNREACHABLE, ICMP4_DEST_UNREACH,
			      ICMP4_HOST_UNREACH, ICMP6_DEST_UNREACH,
			      ICMP6_NO_ROUTE },
	[FIB_PROHIBIT] = { DROP_ROUTE_PROHIBIT, ICMP4_DEST_UNREACH,
			   ICMP4_PKT_FILTERED, ICMP6_DEST_UNREACH,
			   ICMP6_ADM_PROHIBITED },
	[FIB_BLACKHOLE] = { DROP_ROUTE_BLACKHOLE, 0, 0, 0, 0 },
};

void ip_reject(struct worker *w, struct dev *in, struct pkt *p, int family,
	       uint8_t type)
{
	const struct reject_action *a;

	if (type >= ARRAY_SIZE(reject_actions) ||
	    !reject_actions[type].reason)
		type = 0;
	a = &reject_actions[type];
	if (family == AF_INET && a->icmp4_type)
		icmp4_send_error(w, p, a->icmp4_type, a->icmp4_code, 0);
	else if (family == AF_INET6 && a->icmp6_type)
		icmp6_send_error(w, p, a->icmp6_type, a->icmp6_code, 0);
	dev_rx_drop(in, p, type == 0 && family == AF_INET6 ? DROP_IP6_NO_ROUTE
							   : a->reason);
}

static void ip_addrs(const struct pkt *p, union pkt_addr *src,
		     union pkt_addr *dst)
{
	const uint8_t *ip = pkt_l3(p);

	if (p->l3_family == AF_INET) {
		memcpy(&src->v4, ip + 12, 4);
		memcpy(&dst->v4, ip + 16, 4);
	} else {
		memcpy(src->v6, ip + 8, 16);
		memcpy(dst->v6, ip + 24, 16);
	}
}

struct pkt *ip_new_packet(int family, const union pkt_addr *src,
			  const union pkt_addr *dst, uint8_t proto,
			  uint32_t l4_len, uint8_t tos)
{
	uint32_t hlen = family == AF_INET ? IP4_HLEN : IP6_HLEN;
	struct pkt *p = pkt_alloc(hlen + l4_len);
	uint8_t *ip;

	if (!p)
		return NULL;
	ip = pkt_put(p, hlen + l4_len);
	memset(ip, 0, hlen + l4_len);
	if (family == AF_INET) {
		ip[0] = 0x45;
		ip[1] = tos;
		put_be16(ip + 2, (uint16_t)(hlen + l4_len));
		ip[8] = IP_DEFAULT_TTL;
		ip[9] = proto;
		memcpy(ip + 12, &src->v4, 4);
		memcpy(ip + 16, &dst->v4, 4);
	} else {
		put_be32(ip, 0x60000000u | ((uint32_t)tos << 20));
		put_be16(ip + 4, (uint16_t)l4_len);
		ip[6] = proto;
		ip[7] = IP_DEFAULT_TTL;
		memcpy(ip + 8, src->v6, 16);
		memcpy(ip + 24, dst->v6, 16);
	}
	p->l3_family = (uint8_t)family;
	p->l4_proto = proto;
	p->l3_off = pkt_off(p, ip);
	p->l4_off = pkt_off(p, ip + hlen);
	p->flags = PKT_F_LOCAL_ORIGIN;
	return p;
}

void ip_finish_l4_csum(struct pkt *p)
{
	uint8_t *ip = pkt_l3(p), *l4 = pkt_l4(p);
	uint32_t len = p->total_len - (p->l4_off - pkt_headroom(p));
	uint32_t sum = 0;
	unsigned field;
	uint16_t c;

	switch (p->l4_proto) {
	case IPPROTO_TCP:
		field = 16;
		break;
	case IPPROTO_UDP:
		field = 6;
		break;
	default: /* ICMP, ICMPv6 */
		field = 2;
		break;
	}
	put_be16(l4 + field, 0);
	if (p->l3_family == AF_INET6) {
		sum = csum_pseudo6(ip + 8, ip + 24, p->l4_proto, len);
	} else if (p->l4_proto != IPPROTO_ICMP) {
		uint32_t sa, da;
		memcpy(&sa, ip + 12, 4);
		memcpy(&da, ip + 16, 4);
		sum = csum_pseudo4(sa, da, p->l4_proto, len);
	}
	c = csum_finish(csum_partial(l4, len, sum));
	if (c == 0 && p->l4_proto == IPPROTO_UDP)
		c = 0xffff;
	put_be16(l4 + field, c);
	p->csum = PKT_CSUM_NONE;
}

void ip_output(struct worker *w, int family, struct pkt *p)
{
	if (family == AF_INET)
		ip4_output(w, p);
	else
		ip6_output(w, p);
}

/* RST for a segment to a closed port (RFC 9293 3.10.7.1). */
static void ip_send_tcp_rst(struct worker *w, struct dev *in,
			    const struct pkt *orig)
{
	const uint8_t *th = pkt_l4(orig);
	uint32_t l4_len = orig->total_len - (orig->l4_off - pkt_headroom(orig));
	union pkt_addr src, dst;
	struct pkt *r;
	uint8_t *rt;

	if (l4_len < 20 || (th[13] & 0x04)) /* short, or itself a RST */
		return;
	ip_addrs(orig, &dst, &src);
	r = ip_new_packet(orig->l3_family, &src, &dst, IPPROTO_TCP, 20, 0);
	if (!r)
		return;
	rt = pkt_l4(r);
	memcpy(rt, th + 2, 2);
	memcpy(rt + 2, th, 2);
	rt[12] = 5 << 4;
	if (th[13] & 0x10) { /* ACK: seq = SEG.ACK */
		memcpy(rt + 4, th + 8, 4);
		rt[13] = 0x04;
	} else {
		uint32_t seg_len = l4_len - (uint32_t)(th[12] >> 4) * 4;
		seg_len += (th[13] & 0x02) ? 1 : 0; /* SYN */
		seg_len += (th[13] & 0x01) ? 1 : 0; /* FIN */
		put_be32(rt + 8, get_be32(th + 4) + seg_len);
		rt[13] = 0x14; /* RST|ACK */
	}
	r->table_id = orig->table_id;
	r->out_ifindex = in->ifindex;
	ip_finish_l4_csum(r);
	ip_output(w, orig->l3_family, r);
}

void ip_no_listener(struct worker *w, struct dev *in, struct pkt *p)
{
	bool v4 = p->l3_family == AF_INET;

	if (p->flags & (PKT_F_L2_BCAST | PKT_F_L2_MCAST)) {
		dev_rx_drop(in, p, DROP_L3_NOT_HANDLED);
		return;
	}
	if ((p->l4_proto == IPPROTO_TCP || p->l4_proto == IPPROTO_UDP) &&
	    !csum_l4_ok(p)) {
		dev_rx_drop(in, p, DROP_L4_BAD_CSUM);
		return;
	}
	switch (p->l4_proto) {
	case IPPROTO_TCP:
		ip_send_tcp_rst(w, in, p);
		break;
	case IPPROTO_UDP:
		if (v4)
			icmp4_send_error(w, p, ICMP4_DEST_UNREACH,
					 ICMP4_PORT_UNREACH, 0);
		else
			icmp6_send_error(w, p, ICMP6_DEST_UNREACH,
					 ICMP6_PORT_UNREACH, 0);
		break;
	default:
		if (v4)
			icmp4_send_error(w, p, ICMP4_DEST_UNREACH,
					 ICMP4_PROT_UNREACH, 0);
		else /* parameter problem, unrecognized next header (code 1) */
			icmp6_send_error(w, p, ICMP6_PARAM_PROB, 1, 6);
		break;
	}
	dev_rx_drop(in, p, DROP_L4_NO_LISTENER);
}

static inline uint32_t hash_mix(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = (k << 15) | (k >> 17);
	k *= 0x1b873593u;
	h ^= k;
	h = (h << 13) | (h >> 19);
	return h * 5 + 0xe6546b64u;
}

uint32_t ip_flow_hash(int family, const uint8_t *saddr, const uint8_t *daddr,
		      uint8_t proto, uint16_t sport, uint16_t dport,
		      uint32_t flowlabel)
{
	unsigned words = family == AF_INET ? 1 : 4;
	uint32_t h = 0x9747b28cu, k;
	uint32_t policy = __atomic_load_n(family == AF_INET
					  ? &fib_mp_params.hash_policy4
					  : &fib_mp_params.hash_policy6,
					  __ATOMIC_RELAXED);

	/* fib_multipath_hash_policy as Linux: 0 = L3 (IPv6 adds the flow
	 * label and next header), 1 = L3+L4 (no flow label). */
	if (policy == 1) {
		flowlabel = 0;
	} else {
		sport = dport = 0;
		if (family == AF_INET)
			proto = 0;
	}

	for (unsigned i = 0; i < words; i++) {
		memcpy(&k, saddr + 4 * i, 4);
		h = hash_mix(h, k);
		memcpy(&k, daddr + 4 * i, 4);
		h = hash_mix(h, k);
	}
	h = hash_mix(h, ((uint32_t)sport << 16) | dport);
	h = hash_mix(h, proto ^ (flowlabel << 8));
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}
