/* Unit tests for dev/vnet_hdr.c: virtio-net header <-> packet checksum/GSO
 * state, both directions, malformed headers, and the CSUMNOTREADY parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/pkt.h"
#include "dev/vnet_hdr.h"

#define ETH 14u

/* A linear packet of len bytes: Ethernet/IPv4/TCP headers (doff 8 = 32
 * bytes) when len allows, then a byte pattern. */
static struct pkt *mk_frame(uint32_t len, uint16_t etype, uint8_t proto)
{
	struct pkt *p = pkt_alloc(len);
	uint8_t *d;

	assert_non_null(p);
	d = pkt_put(p, len);
	assert_non_null(d);
	for (uint32_t i = 0; i < len; i++)
		d[i] = (uint8_t)(i * 7);
	if (len >= ETH + 20 + 20) {
		d[12] = (uint8_t)(etype >> 8);
		d[13] = (uint8_t)etype;
		d[ETH] = 0x45;
		d[ETH + 6] = 0x40; /* DF, no fragment */
		d[ETH + 7] = 0;
		d[ETH + 9] = proto;
		d[ETH + 20 + 12] = 8 << 4; /* TCP data offset: 32 bytes */
	}
	return p;
}

static uint32_t frame_off(const struct pkt *p, uint16_t head_off)
{
	return (uint32_t)head_off - pkt_headroom(p);
}

static void test_rx_needs_csum(void **state)
{
	struct pkt *p = mk_frame(100, 0x0800, 6);
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .csum_start = 34, .csum_offset = 16 };

	assert_int_equal(vnet_hdr_to_pkt(&h, p), DROP_NONE);
	assert_int_equal(p->csum, PKT_CSUM_PARTIAL);
	assert_int_equal(frame_off(p, p->csum_start), 34);
	assert_int_equal(p->csum_offset, 16);
	assert_int_equal(p->gso_size, 0);
	assert_int_equal(p->gso_type, 0);
	pkt_free(p);
}

static void test_rx_csum_at_frame_end(void **state)
{
	/* The checksum field ends exactly at the end of the frame: valid. */
	struct pkt *p = mk_frame(52, 0x0800, 6);
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .csum_start = 34, .csum_offset = 16 };

	assert_int_equal(vnet_hdr_to_pkt(&h, p), DROP_NONE);
	assert_int_equal(p->csum, PKT_CSUM_PARTIAL);
	pkt_free(p);
}

static void test_rx_data_valid(void **state)
{
	struct pkt *p = mk_frame(80, 0x0800, 17);
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_DATA_VALID };

	assert_int_equal(vnet_hdr_to_pkt(&h, p), DROP_NONE);
	assert_int_equal(p->csum, PKT_CSUM_UNNECESSARY);
	pkt_free(p);
}

static void test_rx_no_info(void **state)
{
	struct pkt *p = mk_frame(80, 0x0800, 17);
	struct virtio_net_hdr h = { 0 };

	assert_int_equal(vnet_hdr_to_pkt(&h, p), DROP_NONE);
	assert_int_equal(p->csum, PKT_CSUM_NONE);
	assert_int_equal(p->gso_size, 0);
	pkt_free(p);
}

static void test_rx_needs_csum_wins_over_data_valid(void **state)
{
	struct pkt *p = mk_frame(100, 0x0800, 6);
	struct virtio_net_hdr h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM |
			 VIRTIO_NET_HDR_F_DATA_VALID,
		.csum_start = 34, .csum_offset = 16,
	};

	assert_int_equal(vnet_hdr_to_pkt(&h, p), DROP_NONE);
	assert_int_equal(p->csum, PKT_CSUM_PARTIAL);
	pkt_free(p);
}

static void check_rx_gso(uint8_t vtype, uint16_t want_type, uint16_t off)
{
	struct pkt *p = mk_frame(3000, 0x0800, 6);
	struct virtio_net_hdr h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = vtype, .gso_size = 1448, .hdr_len = 66,
		.csum_start = 34, .csum_offset = off,
	};

	assert_int_equal(vnet_hdr_to_pkt(&h, p), DROP_NONE);
	assert_int_equal(p->gso_type, want_type);
	assert_int_equal(p->gso_size, 1448);
	assert_int_equal(p->gso_segs, 0);
	assert_int_equal(p->csum, PKT_CSUM_PARTIAL);
	pkt_free(p);
}

static void test_rx_gso_types(void **state)
{
	check_rx_gso(VIRTIO_NET_HDR_GSO_TCPV4, PKT_GSO_TCPV4, 16);
	check_rx_gso(VIRTIO_NET_HDR_GSO_TCPV6, PKT_GSO_TCPV6, 16);
	check_rx_gso(VIRTIO_NET_HDR_GSO_UDP_L4, PKT_GSO_UDP_L4, 6);
	check_rx_gso(VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN,
		     PKT_GSO_TCPV4 | PKT_GSO_TCP_ECN, 16);
	check_rx_gso(VIRTIO_NET_HDR_GSO_TCPV6 | VIRTIO_NET_HDR_GSO_ECN,
		     PKT_GSO_TCPV6 | PKT_GSO_TCP_ECN, 16);
}

/* A malformed header is refused and leaves the packet untouched. */
static void check_rx_bad(uint32_t len, struct virtio_net_hdr h)
{
	struct pkt *p = mk_frame(len, 0x0800, 6);

	assert_int_equal(vnet_hdr_to_pkt(&h, p), DROP_RX_BAD_VNET_HDR);
	assert_int_equal(p->csum, PKT_CSUM_NONE);
	assert_int_equal(p->gso_size, 0);
	assert_int_equal(p->gso_type, 0);
	pkt_free(p);
}

static void test_rx_malformed(void **state)
{
	const uint8_t nc = VIRTIO_NET_HDR_F_NEEDS_CSUM;

	/* checksum field one byte past the end */
	check_rx_bad(51, (struct virtio_net_hdr){ .flags = nc,
		.csum_start = 34, .csum_offset = 16 });
	/* start beyond the frame */
	check_rx_bad(100, (struct virtio_net_hdr){ .flags = nc,
		.csum_start = 200, .csum_offset = 0 });
	/* offset that would wrap a 16-bit sum */
	check_rx_bad(100, (struct virtio_net_hdr){ .flags = nc,
		.csum_start = 34, .csum_offset = 0xffff });
	check_rx_bad(100, (struct virtio_net_hdr){ .flags = nc,
		.csum_start = 0xffff, .csum_offset = 0xffff });
	/* GSO without a size */
	check_rx_bad(3000, (struct virtio_net_hdr){ .flags = nc,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 0,
		.csum_start = 34, .csum_offset = 16 });
	/* GSO without NEEDS_CSUM */
	check_rx_bad(3000, (struct virtio_net_hdr){
		.flags = VIRTIO_NET_HDR_F_DATA_VALID,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1448 });
	/* unknown GSO types, UFO included */
	check_rx_bad(3000, (struct virtio_net_hdr){ .flags = nc,
		.gso_type = VIRTIO_NET_HDR_GSO_UDP, .gso_size = 1448,
		.csum_start = 34, .csum_offset = 6 });
	check_rx_bad(3000, (struct virtio_net_hdr){ .flags = nc,
		.gso_type = 2, .gso_size = 1448,
		.csum_start = 34, .csum_offset = 16 });
	check_rx_bad(3000, (struct virtio_net_hdr){ .flags = nc,
		.gso_type = 0x7f, .gso_size = 1448,
		.csum_start = 34, .csum_offset = 16 });
	/* ECN on UDP, ECN without GSO */
	check_rx_bad(3000, (struct virtio_net_hdr){ .flags = nc,
		.gso_type = VIRTIO_NET_HDR_GSO_UDP_L4 | VIRTIO_NET_HDR_GSO_ECN,
		.gso_size = 1448, .csum_start = 34, .csum_offset = 6 });
	check_rx_bad(100, (struct virtio_net_hdr){
		.gso_type = VIRTIO_NET_HDR_GSO_ECN });
}

static void test_tx_none_and_unnecessary(void **state)
{
	struct pkt *p = mk_frame(100, 0x0800, 6);
	struct virtio_net_hdr h, zero = { 0 };

	memset(&h, 0xaa, sizeof(h));
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_NONE);
	assert_memory_equal(&h, &zero, sizeof(h));
	p->csum = PKT_CSUM_UNNECESSARY;
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_NONE);
	assert_memory_equal(&h, &zero, sizeof(h));
	pkt_free(p);
}

static void test_tx_partial_frame_relative(void **state)
{
	struct pkt *p = mk_frame(100, 0x0800, 6);
	struct virtio_net_hdr h;

	pkt_set_partial(p, p->data + 34, 16);
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_NONE);
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.csum_start, 34);
	assert_int_equal(h.csum_offset, 16);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);

	/* A VLAN tag pushed in front moves the frame start, not the field. */
	assert_non_null(pkt_push(p, 4));
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_NONE);
	assert_int_equal(h.csum_start, 38);
	pkt_free(p);
}

static void test_tx_partial_out_of_packet(void **state)
{
	struct pkt *p = mk_frame(100, 0x0800, 6);
	struct virtio_net_hdr h;

	pkt_set_partial(p, p->data + 90, 16); /* field at 106..107 */
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_TX_CSUM_FAILED);
	p->csum_start = 0; /* before the data */
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_TX_CSUM_FAILED);
	pkt_free(p);
}

static void test_tx_gso(void **state)
{
	struct pkt *p = mk_frame(3000, 0x0800, 6);
	struct virtio_net_hdr h;

	pkt_set_partial(p, p->data + 34, 16);
	p->gso_size = 1400;
	p->gso_type = PKT_GSO_TCPV4 | PKT_GSO_TCP_ECN;
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_NONE);
	assert_int_equal(h.gso_type,
			 VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN);
	assert_int_equal(h.gso_size, 1400);
	assert_int_equal(h.hdr_len, 34 + 32); /* TCP data offset 8 */

	p->gso_type = PKT_GSO_TCPV6;
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_NONE);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV6);

	p->gso_type = PKT_GSO_UDP_L4;
	p->csum_offset = 6;
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_NONE);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
	assert_int_equal(h.hdr_len, 34 + 8);
	pkt_free(p);
}

static void test_tx_gso_inexpressible(void **state)
{
	struct pkt *p = mk_frame(3000, 0x0800, 6);
	struct virtio_net_hdr h;

	p->gso_size = 1400;
	p->gso_type = PKT_GSO_TCPV4;
	/* not PARTIAL */
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_GSO_FAILED);
	pkt_set_partial(p, p->data + 34, 16);
	/* UDP tunnel GSO has no virtio code */
	p->gso_type = PKT_GSO_UDP_L4 | PKT_GSO_UDP_TUNNEL;
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_GSO_FAILED);
	p->gso_type = PKT_GSO_UDP_L4 | PKT_GSO_TCP_ECN;
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_GSO_FAILED);
	p->gso_type = 0;
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_GSO_FAILED);
	/* TCP data offset below 5 words */
	p->gso_type = PKT_GSO_TCPV4;
	p->data[34 + 12] = 4 << 4;
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_GSO_FAILED);
	pkt_free(p);
}

static void test_tx_gso_chain(void **state)
{
	/* Headers in the first segment, TCP data offset byte in the second. */
	struct pkt *p = mk_frame(40, 0x0800, 6);
	struct pkt *s = pkt_alloc(2000);
	struct virtio_net_hdr h;
	uint8_t *d;

	assert_non_null(s);
	d = pkt_put(s, 2000);
	memset(d, 0, 2000);
	d[34 + 12 - 40] = 5 << 4; /* doff 5 = 20 bytes */
	p->next_seg = s;
	p->total_len = 2040;
	pkt_set_partial(p, p->data + 34, 16);
	p->gso_size = 1000;
	p->gso_type = PKT_GSO_TCPV4;
	assert_int_equal(vnet_hdr_from_pkt(p, &h), DROP_NONE);
	assert_int_equal(h.hdr_len, 54);
	assert_int_equal(h.csum_start, 34);
	pkt_free(p);
}

static void test_roundtrip(void **state)
{
	struct pkt *p = mk_frame(5000, 0x0800, 6);
	struct virtio_net_hdr in = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1448,
		.hdr_len = 66, .csum_start = 34, .csum_offset = 16,
	}, out;

	assert_int_equal(vnet_hdr_to_pkt(&in, p), DROP_NONE);
	assert_int_equal(vnet_hdr_from_pkt(p, &out), DROP_NONE);
	assert_memory_equal(&in, &out, sizeof(in));
	pkt_free(p);
}

static void test_guess_partial(void **state)
{
	struct pkt *p = mk_frame(100, 0x0800, 6);

	assert_int_equal(vnet_guess_partial(p), 0);
	assert_int_equal(p->csum, PKT_CSUM_PARTIAL);
	assert_int_equal(frame_off(p, p->csum_start), 34);
	assert_int_equal(p->csum_offset, 16);
	pkt_free(p);

	p = mk_frame(100, 0x0800, 17);
	assert_int_equal(vnet_guess_partial(p), 0);
	assert_int_equal(p->csum_offset, 6);
	pkt_free(p);
}

static void test_guess_partial_vlan_ip6(void **state)
{
	struct pkt *p = pkt_alloc(200);
	uint8_t *d = pkt_put(p, 200);

	memset(d, 0, 200);
	d[12] = 0x81; /* 802.1Q */
	d[16] = 0x86;
	d[17] = 0xdd;
	d[18] = 0x60;
	d[18 + 6] = 17; /* UDP */
	assert_int_equal(vnet_guess_partial(p), 0);
	assert_int_equal(frame_off(p, p->csum_start), 18 + 40);
	assert_int_equal(p->csum_offset, 6);
	pkt_free(p);
}

static void test_guess_partial_refuses(void **state)
{
	struct pkt *p = mk_frame(100, 0x0800, 6);

	p->data[ETH + 7] = 1; /* fragment offset 8: not the first fragment */
	assert_int_equal(vnet_guess_partial(p), -1);
	assert_int_equal(p->csum, PKT_CSUM_NONE);
	p->data[ETH + 7] = 0;
	p->data[ETH + 9] = 1; /* ICMP */
	assert_int_equal(vnet_guess_partial(p), -1);
	p->data[ETH + 9] = 6;
	p->data[ETH] = 0x44; /* IHL 4 */
	assert_int_equal(vnet_guess_partial(p), -1);
	p->data[ETH] = 0x45;
	p->data[12] = 0x08;
	p->data[13] = 0x06; /* ARP */
	assert_int_equal(vnet_guess_partial(p), -1);
	pkt_free(p);

	p = mk_frame(100, 0x0800, 6);
	pkt_trim(p, 49); /* TCP checksum field cut off */
	assert_int_equal(vnet_guess_partial(p), -1);
	pkt_trim(p, 10);
	assert_int_equal(vnet_guess_partial(p), -1);
	assert_int_equal(p->csum, PKT_CSUM_NONE);
	pkt_free(p);
}

/* Leak check relative to the start of each test, so that a failed test
 * (which leaks what it held) does not fail the ones after it. */
static uint64_t pkts_at_start;

static int setup(void **state)
{
	pkts_at_start = pkt_pool_outstanding();
	return 0;
}

static int teardown(void **state)
{
	assert_int_equal(pkt_pool_outstanding(), pkts_at_start);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rx_needs_csum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_csum_at_frame_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_data_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_no_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_needs_csum_wins_over_data_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_gso_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_none_and_unnecessary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_partial_frame_relative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_partial_out_of_packet, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_gso, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_gso_inexpressible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_gso_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guess_partial, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guess_partial_vlan_ip6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guess_partial_refuses, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
