/* Software GSO for TCP (IPv4/IPv6) and UDP (USO) superpackets: headers are
 * copied per segment, then lengths, IPv4 ids, TCP sequence numbers and flags
 * and the checksums are fixed, as Linux's tcp_gso_segment / udp4_ufo do. */
#include "offload/gso.h"

#include <netinet/in.h>
#include <string.h>

#include "core/util.h"
#include "l2/eth.h"
#include "offload/csum.h"

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_CWR 0x80

int gso_l3_start(const struct pkt *p)
{
	uint32_t off = ETH_HLEN;
	uint8_t hdr[4];

	if (p->l3_off != PKT_OFF_UNSET && p->l3_off >= pkt_headroom(p))
		return (int)(p->l3_off - pkt_headroom(p));
	if (pkt_copy_bits(p, 12, hdr, 2) < 0)
		return -1;
	while (get_be16(hdr) == ETH_P_8021Q || get_be16(hdr) == ETH_P_8021AD) {
		if (pkt_copy_bits(p, off + 2, hdr, 2) < 0)
			return -1;
		off += 4;
	}
	return (int)off;
}

struct gso_layout {
	uint32_t l3, l4, hdr_len, payload;
	bool v4, tcp;
};

static bool gso_parse(const struct pkt *p, struct gso_layout *g)
{
	uint8_t b[20];
	int l3 = gso_l3_start(p);

	if (l3 < 0 || p->gso_size == 0 || pkt_copy_bits(p, (uint32_t)l3, b, 1) < 0)
		return false;
	g->l3 = (uint32_t)l3;
	g->v4 = (b[0] >> 4) == 4;
	if (!g->v4 && (b[0] >> 4) != 6)
		return false;
	if (p->csum == PKT_CSUM_PARTIAL && p->csum_start >= pkt_headroom(p))
		g->l4 = p->csum_start - pkt_headroom(p);
	else if (p->l4_off != PKT_OFF_UNSET)
		g->l4 = p->l4_off - pkt_headroom(p);
	else
		return false;
	g->tcp = (p->gso_type & (PKT_GSO_TCPV4 | PKT_GSO_TCPV6)) != 0;
	if (g->tcp) {
		if (pkt_copy_bits(p, g->l4, b, 20) < 0 || (b[12] >> 4) < 5)
			return false;
		g->hdr_len = g->l4 + (uint32_t)(b[12] >> 4) * 4;
	} else {
		g->hdr_len = g->l4 + 8;
	}
	if (g->l4 <= g->l3 || g->hdr_len >= p->total_len || g->hdr_len > 512)
		return false;
	g->payload = p->total_len - g->hdr_len;
	return true;
}

static void gso_fix_l3(uint8_t *data, const struct gso_layout *g,
		       uint32_t seg_len, unsigned i)
{
	uint8_t *ip = data + g->l3;

	if (g->v4) {
		put_be16(ip + 2, (uint16_t)(seg_len - g->l3));
		put_be16(ip + 4, (uint16_t)(get_be16(ip + 4) + i));
		put_be16(ip + 10, 0);
		put_be16(ip + 10, csum_ip4_header(ip, (ip[0] & 0xf) * 4u));
	} else {
		put_be16(ip + 4, (uint16_t)(seg_len - g->l3 - 40));
	}
}

static void gso_fix_l4(struct pkt *s, const struct gso_layout *g,
		       uint32_t seg_len, uint32_t seq_delta, bool last,
		       bool first, bool csum_offload)
{
	uint8_t *ip = s->data + g->l3, *l4 = s->data + g->l4;
	uint32_t l4_len = seg_len - g->l4, sum;
	uint8_t proto = g->tcp ? IPPROTO_TCP : IPPROTO_UDP;
	uint16_t csum_off = g->tcp ? 16 : 6;

	if (g->tcp) {
		put_be32(l4 + 4, get_be32(l4 + 4) + seq_delta);
		if (!last)
			l4[13] &= (uint8_t)~(TCP_FLAG_FIN | TCP_FLAG_PSH);
		if (!first)
			l4[13] &= (uint8_t)~TCP_FLAG_CWR;
	} else {
		put_be16(l4 + 4, (uint16_t)l4_len);
	}
	if (g->v4) {
		uint32_t sa, da;
		memcpy(&sa, ip + 12, 4);
		memcpy(&da, ip + 16, 4);
		sum = csum_pseudo4(sa, da, proto, l4_len);
	} else {
		sum = csum_pseudo6(ip + 8, ip + 24, proto, l4_len);
	}
	put_be16(l4 + csum_off, csum_fold(sum));
	pkt_set_partial(s, l4, csum_off);
	if (!csum_offload) {
		uint16_t c = csum_finish(csum_partial(l4, l4_len, 0));
		put_be16(l4 + csum_off, c ? c : 0xffff);
		s->csum = PKT_CSUM_NONE;
	}
}

static struct pkt *gso_one(const struct pkt *p, const struct gso_layout *g,
			   unsigned i, uint32_t off, uint32_t n,
			   bool csum_offload)
{
	uint32_t seg_len = g->hdr_len + n;
	struct pkt *s = pkt_alloc(seg_len);

	if (!s)
		return NULL;
	if (pkt_copy_bits(p, 0, s->data, g->hdr_len) < 0 ||
	    pkt_copy_bits(p, g->hdr_len + off, s->data + g->hdr_len, n) < 0) {
		pkt_free(s);
		return NULL;
	}
	s->len = s->total_len = seg_len;
	s->flags = p->flags;
	s->in_ifindex = p->in_ifindex;
	s->out_ifindex = p->out_ifindex;
	s->table_id = p->table_id;
	s->flow_hash = p->flow_hash;
	s->mark = p->mark;
	s->l3_family = p->l3_family;
	s->l4_proto = g->tcp ? IPPROTO_TCP : IPPROTO_UDP;
	s->l2_off = pkt_off(s, s->data);
	s->l3_off = pkt_off(s, s->data + g->l3);
	s->l4_off = pkt_off(s, s->data + g->l4);
	gso_fix_l3(s->data, g, seg_len, i);
	gso_fix_l4(s, g, seg_len, off, off + n >= g->payload, i == 0,
		   csum_offload);
	return s;
}

struct pkt *gso_segment(const struct pkt *p, bool csum_offload,
			unsigned *nsegs)
{
	struct gso_layout g;
	struct pkt *head = NULL, **tail = &head;
	unsigned i = 0;

	*nsegs = 0;
	if (!gso_parse(p, &g))
		return NULL;
	for (uint32_t off = 0; off < g.payload; off += p->gso_size, i++) {
		uint32_t n = MIN(p->gso_size, g.payload - off);
		struct pkt *s = gso_one(p, &g, i, off, n, csum_offload);
		if (!s) {
			while (head) {
				struct pkt *nx = head->qnext;
				pkt_free(head);
				head = nx;
			}
			return NULL;
		}
		*tail = s;
		tail = &s->qnext;
	}
	*nsegs = i;
	return head;
}
