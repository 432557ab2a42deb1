/* Local delivery of IPv6 packets addressed to usnet: extension headers
 * (RFC 8200 4), reassembly, ICMPv6, and answers for protocols nobody
 * listens to. */
#include "l3/ip.h"

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "l3/icmp.h"
#include "l3/reasm.h"

#define IP6_EXT_MAX 16

enum { NH_HOPOPTS = 0, NH_ROUTING = 43, NH_FRAGMENT = 44, NH_NONE = 59,
       NH_DSTOPTS = 60 };

/* Walk the options of a hop-by-hop or destination options header at
 * [off, off+len). Returns true to go on; false when the packet was
 * consumed (RFC 8200 4.2: the two high bits of an unknown option type say
 * what to do). */
static bool ip6_opts_ok(struct worker *w, struct dev *in, struct pkt *p,
			uint32_t off, uint32_t len)
{
	const uint8_t *o = p->data + off;
	uint32_t i = 2;

	while (i < len) {
		uint8_t type = o[i];
		if (type == 0) { /* Pad1 */
			i++;
			continue;
		}
		if (i + 2 > len || i + 2u + o[i + 1] > len)
			break;
		if (type != 1 && type != 5) { /* not PadN / router alert */
			unsigned act = type >> 6;
			if (act >= 2 && !(act == 3 && ip6_is_mcast(p->data + 24)))
				icmp6_send_error(w, p, ICMP6_PARAM_PROB, 2,
						 off + i);
			if (act != 0) {
				dev_rx_drop(in, p, DROP_IP6_BAD_EXTHDR);
				return false;
			}
		}
		i += 2u + o[i + 1];
	}
	return true;
}

static void ip6_bad_ext(struct worker *w, struct dev *in, struct pkt *p,
			uint8_t code, uint32_t ptr)
{
	icmp6_send_error(w, p, ICMP6_PARAM_PROB, code, ptr);
	dev_rx_drop(in, p, DROP_IP6_BAD_EXTHDR);
}

void ip6_local(struct worker *w, struct dev *in, struct pkt *p)
{
	uint8_t nh = p->data[6];
	uint32_t off = IP6_HLEN, nh_field = 6;

	if (pkt_linearize(p) < 0) {
		dev_rx_drop(in, p, DROP_NOMEM);
		return;
	}
	for (int n = 0; n < IP6_EXT_MAX; n++) {
		uint32_t len;
		if (nh == NH_FRAGMENT) {
			p->l4_off = (uint16_t)(p->l3_off + off);
			p = reasm_input(w, in, p);
			if (!p)
				return;
			/* reassembled: the fragment header is gone */
			off = IP6_HLEN;
			nh = p->data[6];
			nh_field = 6;
			continue;
		}
		if (nh != NH_HOPOPTS && nh != NH_ROUTING && nh != NH_DSTOPTS)
			break;
		if (nh == NH_HOPOPTS && off != IP6_HLEN) {
			ip6_bad_ext(w, in, p, 1, nh_field);
			return;
		}
		if (off + 8 > p->len) {
			dev_rx_drop(in, p, DROP_IP6_BAD_EXTHDR);
			return;
		}
		len = ((uint32_t)p->data[off + 1] + 1) * 8;
		if (off + len > p->len) {
			dev_rx_drop(in, p, DROP_IP6_BAD_EXTHDR);
			return;
		}
		if (nh == NH_ROUTING && p->data[off + 3] != 0) {
			/* segments left: no routing header type is supported */
			ip6_bad_ext(w, in, p, 0, off + 2);
			return;
		}
		if (nh != NH_ROUTING && !ip6_opts_ok(w, in, p, off, len))
			return;
		nh_field = off;
		nh = p->data[off];
		off += len;
	}
	p->l4_off = (uint16_t)(p->l3_off + off);
	p->l4_proto = nh;
	switch (nh) {
	case IPPROTO_ICMPV6:
		icmp6_input(w, in, p);
		return;
	case NH_NONE:
		dev_stats_here(in)->delivered++;
		pkt_free(p);
		return;
	case NH_HOPOPTS:
	case NH_ROUTING:
	case NH_DSTOPTS:
	case NH_FRAGMENT:
		dev_rx_drop(in, p, DROP_IP6_BAD_EXTHDR); /* chain too long */
		return;
	default:
		ip_no_listener(w, in, p);
		return;
	}
}
