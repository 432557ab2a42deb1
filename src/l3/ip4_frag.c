/* IPv4 fragmentation (RFC 791, RFC 1812 5.2.6) for packets with DF clear:
 * fragments carry multiples of 8 bytes; options not marked "copy" are
 * replaced by NOPs in non-first fragments (as Linux's ip_options_fragment). */
#include "l3/ip.h"

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "l2/neigh.h"
#include "offload/csum.h"
#include "offload/gso.h"

static void ip4_opts_for_later_frags(uint8_t *ip, uint32_t ihl)
{
	uint32_t i = IP4_HLEN;

	while (i < ihl) {
		uint8_t type = ip[i];
		uint32_t len;
		if (type == 0) /* end of options */
			break;
		if (type == 1) { /* NOP */
			i++;
			continue;
		}
		len = i + 1 < ihl ? ip[i + 1] : 0;
		if (len < 2 || i + len > ihl)
			break; /* malformed: leave the rest as is */
		if (!(type & 0x80))
			memset(ip + i, 1, len);
		i += len;
	}
}

static struct pkt *ip4_make_frag(const struct pkt *p, const uint8_t *hdr,
				 uint32_t ihl, uint32_t off, uint32_t n,
				 uint16_t frag_field)
{
	struct pkt *f = pkt_alloc(ihl + n);
	uint8_t *ip;

	if (!f)
		return NULL;
	ip = pkt_put(f, ihl + n);
	memcpy(ip, hdr, ihl);
	if (pkt_copy_bits(p, ihl + off, ip + ihl, n) < 0) {
		pkt_free(f);
		return NULL;
	}
	put_be16(ip + 2, (uint16_t)(ihl + n));
	put_be16(ip + 6, frag_field);
	put_be16(ip + 10, 0);
	put_be16(ip + 10, csum_ip4_header(ip, ihl));
	f->flags = p->flags;
	f->in_ifindex = p->in_ifindex;
	f->out_ifindex = p->out_ifindex;
	f->table_id = p->table_id;
	f->flow_hash = p->flow_hash;
	f->mark = p->mark;
	f->l3_family = AF_INET;
	f->l4_proto = p->l4_proto;
	f->l3_off = pkt_off(f, ip);
	f->l4_off = (uint16_t)(f->l3_off + ihl);
	return f;
}

/* Pieces of one packet already counted on out's egress side: the first
 * piece stands for it, every further piece is an extra (split_extra). */
static void frag_emit(struct worker *w, struct dev *out,
		      const union pkt_addr *nh, struct pkt *f, bool *first)
{
	if (!*first)
		dev_stats_here(out)->split_extra++;
	*first = false;
	neigh_output_counted(w, out, AF_INET, nh, f);
}

/* A piece could not be made: the packet's remainder is a counted drop. */
static void frag_fail(struct dev *out, struct pkt *p, bool first,
		      enum drop_reason r)
{
	if (!first)
		dev_stats_here(out)->split_extra++;
	dev_tx_drop(out, p, r);
}

static void ip4_fragment_linear(struct worker *w, struct dev *out,
				const union pkt_addr *nh, struct pkt *p,
				uint32_t mtu, bool *first)
{
	uint8_t hdr[60];
	const uint8_t *ip = p->data;
	uint32_t ihl = (ip[0] & 0xfu) * 4;
	uint32_t payload = get_be16(ip + 2) - ihl;
	uint16_t orig = get_be16(ip + 6);
	uint32_t base = (orig & IP4_OFFMASK) * 8u;
	uint32_t chunk = (mtu - ihl) & ~7u;

	if (mtu <= ihl + 8 || chunk == 0) {
		frag_fail(out, p, *first, DROP_IP4_FRAG_FAILED);
		return;
	}
	memcpy(hdr, ip, ihl);
	for (uint32_t off = 0; off < payload; off += chunk) {
		uint32_t n = MIN(chunk, payload - off);
		bool more = off + n < payload || (orig & IP4_MF);
		uint16_t field = (uint16_t)(((base + off) >> 3) | (more ? IP4_MF : 0));
		struct pkt *f = ip4_make_frag(p, hdr, ihl, off, n, field);
		if (!f) {
			frag_fail(out, p, *first, DROP_IP4_FRAG_FAILED);
			return;
		}
		if (off == 0)
			ip4_opts_for_later_frags(hdr, ihl);
		frag_emit(w, out, nh, f, first);
	}
	pkt_free(p);
}

/* Superpackets are segmented first, then each segment is fragmented. */
static void ip4_fragment_gso(struct worker *w, struct dev *out,
			     const union pkt_addr *nh, struct pkt *p,
			     uint32_t mtu, bool *first)
{
	unsigned n;
	struct pkt *segs = gso_segment(p, false, &n);

	if (!segs) {
		frag_fail(out, p, *first, DROP_GSO_FAILED);
		return;
	}
	pkt_free(p);
	while (segs) {
		struct pkt *s = segs;
		segs = s->qnext;
		s->qnext = NULL;
		pkt_pull(s, s->l3_off - pkt_headroom(s));
		if (ip_exceeds_mtu(s, s->total_len, mtu))
			ip4_fragment_linear(w, out, nh, s, mtu, first);
		else
			frag_emit(w, out, nh, s, first);
	}
}

void ip4_fragment(struct worker *w, struct dev *out,
		  const union pkt_addr *nh, struct pkt *p, uint32_t mtu)
{
	bool first = true;

	dev_count_egress(out, p);
	if (p->gso_size) {
		ip4_fragment_gso(w, out, nh, p, mtu, &first);
		return;
	}
	if (p->csum == PKT_CSUM_PARTIAL &&
	    (pkt_make_writable(p) < 0 || csum_complete_partial(p) < 0)) {
		frag_fail(out, p, first, DROP_IP4_FRAG_FAILED);
		return;
	}
	ip4_fragment_linear(w, out, nh, p, mtu, &first);
}
