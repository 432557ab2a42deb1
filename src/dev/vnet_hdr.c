/* virtio-net header <-> packet checksum/GSO state, shared by the af_packet
 * and tap drivers. The header uses the legacy layout in host byte order,
 * which is what both packet sockets and TAP (without TUNSETVNETLE/BE) use. */
#include "dev/vnet_hdr.h"

#include <string.h>

#include "core/util.h"

#define ETH_HLEN_ 14u
#define VLAN_HLEN_ 4u

/* virtio gso_type byte -> PKT_GSO_* bits; -1 when unknown or inconsistent. */
static int vnet_gso_to_pkt(uint8_t vtype, uint16_t *out)
{
	bool ecn = vtype & VIRTIO_NET_HDR_GSO_ECN;
	uint16_t t;

	switch (vtype & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		t = 0;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		t = PKT_GSO_TCPV4;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		t = PKT_GSO_TCPV6;
		break;
	case VIRTIO_NET_HDR_GSO_UDP_L4:
		t = PKT_GSO_UDP_L4;
		break;
	default:
		return -1;
	}
	if (ecn && !(t & (PKT_GSO_TCPV4 | PKT_GSO_TCPV6)))
		return -1;
	*out = (uint16_t)(t | (ecn ? PKT_GSO_TCP_ECN : 0));
	return 0;
}

/* PKT_GSO_* bits -> virtio gso_type byte; -1 for what virtio cannot say. */
static int vnet_gso_from_pkt(uint16_t ptype, uint8_t *out)
{
	uint8_t ecn = ptype & PKT_GSO_TCP_ECN ? VIRTIO_NET_HDR_GSO_ECN : 0;

	switch (ptype & ~PKT_GSO_TCP_ECN) {
	case PKT_GSO_TCPV4:
		*out = VIRTIO_NET_HDR_GSO_TCPV4 | ecn;
		return 0;
	case PKT_GSO_TCPV6:
		*out = VIRTIO_NET_HDR_GSO_TCPV6 | ecn;
		return 0;
	case PKT_GSO_UDP_L4:
		if (ecn)
			return -1;
		*out = VIRTIO_NET_HDR_GSO_UDP_L4;
		return 0;
	default:
		return -1;
	}
}

enum drop_reason vnet_hdr_to_pkt(const struct virtio_net_hdr *h,
				 struct pkt *p)
{
	uint16_t gso_type;
	uint32_t start = 0, off = 0;
	bool partial = h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;

	if (vnet_gso_to_pkt(h->gso_type, &gso_type) < 0)
		return DROP_RX_BAD_VNET_HDR;
	if (gso_type && (h->gso_size == 0 || !partial))
		return DROP_RX_BAD_VNET_HDR;
	if (partial) {
		start = pkt_headroom(p) + h->csum_start;
		off = h->csum_offset;
		if ((uint32_t)h->csum_start + off + 2 > p->total_len ||
		    start > UINT16_MAX)
			return DROP_RX_BAD_VNET_HDR;
		p->csum = PKT_CSUM_PARTIAL;
		p->csum_start = (uint16_t)start;
		p->csum_offset = (uint16_t)off;
	} else if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		p->csum = PKT_CSUM_UNNECESSARY;
	}
	p->gso_type = gso_type;
	p->gso_size = gso_type ? h->gso_size : 0;
	p->gso_segs = 0;
	return DROP_NONE;
}

/* End of the L4 header (frame-relative) of a GSO packet whose L4 header
 * starts at `start`; -1 when it is not in the packet. */
static int64_t vnet_l4_end(const struct pkt *p, uint32_t start)
{
	uint32_t hlen = 8; /* UDP */
	uint8_t doff;

	if (p->gso_type & (PKT_GSO_TCPV4 | PKT_GSO_TCPV6)) {
		if (pkt_copy_bits(p, start + 12, &doff, 1) < 0)
			return -1;
		hlen = (doff >> 4) * 4u;
		if (hlen < 20)
			return -1;
	}
	if (start + hlen > p->total_len)
		return -1;
	return start + hlen;
}

enum drop_reason vnet_hdr_from_pkt(const struct pkt *p,
				   struct virtio_net_hdr *h)
{
	uint32_t hr = pkt_headroom(p), start;
	int64_t hdr_len;
	uint8_t vtype;

	memset(h, 0, sizeof(*h));
	if (p->csum != PKT_CSUM_PARTIAL)
		return p->gso_size ? DROP_GSO_FAILED : DROP_NONE;
	if (p->csum_start < hr)
		return DROP_TX_CSUM_FAILED;
	start = p->csum_start - hr;
	if (start + p->csum_offset + 2u > p->total_len)
		return DROP_TX_CSUM_FAILED;
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = (uint16_t)start;
	h->csum_offset = p->csum_offset;
	if (!p->gso_size)
		return DROP_NONE;
	if (vnet_gso_from_pkt(p->gso_type, &vtype) < 0)
		return DROP_GSO_FAILED;
	hdr_len = vnet_l4_end(p, start);
	if (hdr_len < 0 || hdr_len > UINT16_MAX)
		return DROP_GSO_FAILED;
	h->gso_type = vtype;
	h->gso_size = p->gso_size;
	h->hdr_len = (uint16_t)hdr_len;
	return DROP_NONE;
}

/* Offset of the L4 checksum field within a TCP/UDP header, or -1. */
static int l4_csum_offset(uint8_t proto)
{
	switch (proto) {
	case 6: /* TCP */
		return 16;
	case 17: /* UDP */
		return 6;
	default:
		return -1;
	}
}

int vnet_guess_partial(struct pkt *p)
{
	const uint8_t *d = p->data;
	uint32_t len = p->len, l3 = ETH_HLEN_, l4;
	uint16_t etype;
	uint8_t proto;
	int coff;

	if (len < ETH_HLEN_)
		return -1;
	etype = get_be16(d + 12);
	if (etype == 0x8100 || etype == 0x88a8) {
		if (len < ETH_HLEN_ + VLAN_HLEN_)
			return -1;
		etype = get_be16(d + 16);
		l3 += VLAN_HLEN_;
	}
	if (etype == 0x0800) {
		if (len < l3 + 20 || d[l3] >> 4 != 4 || (d[l3] & 0xf) < 5)
			return -1;
		if (get_be16(d + l3 + 6) & 0x3fff) /* MF or fragment offset */
			return -1;
		proto = d[l3 + 9];
		l4 = l3 + (d[l3] & 0xfu) * 4;
	} else if (etype == 0x86dd) {
		if (len < l3 + 40 || d[l3] >> 4 != 6)
			return -1;
		proto = d[l3 + 6];
		l4 = l3 + 40;
	} else {
		return -1;
	}
	coff = l4_csum_offset(proto);
	if (coff < 0 || l4 + (uint32_t)coff + 2 > len)
		return -1;
	pkt_set_partial(p, d + l4, (uint16_t)coff);
	return 0;
}
