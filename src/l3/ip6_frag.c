/* IPv6 fragmentation of packets usnet itself sends (RFC 8200 4.5): routers
 * never fragment what they forward, but a source must fragment its own
 * packets larger than the path MTU. Our packets have no extension headers,
 * so the unfragmentable part is the IPv6 header alone. */
#include "l3/ip.h"

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "l2/neigh.h"

#define IP6_FRAG_HLEN 8u
#define NH_FRAGMENT 44u

static uint32_t ip6_frag_id(void)
{
	static uint32_t next; /* atomic */
	uint32_t id = __atomic_add_fetch(&next, 1, __ATOMIC_RELAXED);
	return (id * 0x9e3779b1u) ^ (uint32_t)time_ns();
}

static struct pkt *ip6_make_frag(const struct pkt *p, uint32_t off, uint32_t n,
				 bool more, uint32_t id)
{
	struct pkt *f = pkt_alloc(IP6_HLEN + IP6_FRAG_HLEN + n);
	uint8_t *ip, *fh;

	if (!f)
		return NULL;
	ip = pkt_put(f, IP6_HLEN + IP6_FRAG_HLEN + n);
	fh = ip + IP6_HLEN;
	if (pkt_copy_bits(p, 0, ip, IP6_HLEN) < 0 ||
	    pkt_copy_bits(p, IP6_HLEN + off, fh + IP6_FRAG_HLEN, n) < 0) {
		pkt_free(f);
		return NULL;
	}
	fh[0] = ip[6];
	fh[1] = 0;
	put_be16(fh + 2, (uint16_t)(off | (more ? 1u : 0u)));
	put_be32(fh + 4, id);
	ip[6] = NH_FRAGMENT;
	put_be16(ip + 4, (uint16_t)(IP6_FRAG_HLEN + n));
	f->flags = p->flags;
	f->table_id = p->table_id;
	f->out_ifindex = p->out_ifindex;
	f->l3_family = AF_INET6;
	f->l4_proto = NH_FRAGMENT;
	f->l3_off = pkt_off(f, ip);
	f->l4_off = pkt_off(f, fh);
	return f;
}

void ip6_fragment(struct worker *w, struct dev *out, const union pkt_addr *nh,
		  struct pkt *p, uint32_t mtu)
{
	uint32_t payload = p->total_len - IP6_HLEN;
	uint32_t chunk = (mtu - IP6_HLEN - IP6_FRAG_HLEN) & ~7u;
	uint32_t id = ip6_frag_id();

	dev_count_egress(out, p); /* once; further pieces are split_extra */
	if (mtu < IPV6_MIN_MTU || p->gso_size || p->csum == PKT_CSUM_PARTIAL) {
		dev_tx_drop(out, p, DROP_IP6_FRAG_FAILED);
		return;
	}
	for (uint32_t off = 0; off < payload; off += chunk) {
		uint32_t n = MIN(chunk, payload - off);
		struct pkt *f = ip6_make_frag(p, off, n, off + n < payload, id);
		if (off)
			dev_stats_here(out)->split_extra++;
		if (!f) {
			dev_tx_drop(out, p, DROP_IP6_FRAG_FAILED);
			return;
		}
		neigh_output_counted(w, out, AF_INET6, nh, f);
	}
	pkt_free(p);
}
