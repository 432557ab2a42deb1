/* Unit tests of IPv4 input and forwarding (src/l3/ip4_*.c) through
 * eth_input on capture devices (tests/l3/l3_harness.h): header validation
 * drops counted with the right reason (RFC 1812 5.2.2), forwarding with the
 * TTL decremented and the checksum updated (RFC 1812 5.3.1, RFC 1624), MAC
 * rewrite, Ethernet padding, fragmentation with DF clear (RFC 791, options
 * copied per their copy flag) and frag-needed with DF set (RFC 1191), echo
 * replies, and counters balancing on both devices. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "l3/reasm.h"
#include "l3_harness.h"

/* ---- validation ---------------------------------------------------------- */

/* Input f on p0 and expect it dropped with reason r and nothing sent. */
static void expect_drop(const struct hframe *f, enum drop_reason r)
{
	uint64_t before = h_rx_drops(p0, r);

	h_input(p0, f);
	if (h_rx_drops(p0, r) != before + 1)
		fail_msg("expected one drop '%s', counter went %llu -> %llu",
			 drop_name(r), (unsigned long long)before,
			 (unsigned long long)h_rx_drops(p0, r));
	assert_int_equal(h_n(p0), 0);
	assert_int_equal(h_n(p1), 0);
	h_check_balance();
}

static void test_drop_truncated(void **state)
{
	struct hframe f;

	(void)state;
	h_udp4(&f, "10.1.0.2", "10.3.0.5", 64, 20);
	f.len = 14 + 19;
	expect_drop(&f, DROP_IP4_TRUNCATED);
}

static void test_drop_bad_version(void **state)
{
	struct hframe f;
	uint32_t l3 = h_udp4(&f, "10.1.0.2", "10.3.0.5", 64, 20);

	(void)state;
	f.b[l3] = 0x65;
	h_ip4_csum(&f, l3);
	expect_drop(&f, DROP_IP4_BAD_VERSION);
}

static void test_drop_bad_ihl(void **state)
{
	struct hframe f;
	uint32_t l3 = h_udp4(&f, "10.1.0.2", "10.3.0.5", 64, 20);

	(void)state;
	f.b[l3] = 0x44;
	expect_drop(&f, DROP_IP4_BAD_IHL);
	/* IHL 15 (60 bytes) in a 48-byte packet */
	h_udp4(&f, "10.1.0.2", "10.3.0.5", 64, 0);
	f.b[l3] = 0x4f;
	f.len = 14 + 48;
	expect_drop(&f, DROP_IP4_TRUNCATED);
}

static void test_drop_bad_csum(void **state)
{
	struct hframe f;
	uint32_t l3 = h_udp4(&f, "10.1.0.2", "10.3.0.5", 64, 20);

	(void)state;
	f.b[l3 + 10] ^= 0x01;
	expect_drop(&f, DROP_IP4_BAD_CSUM);
}

static void test_drop_bad_total_len(void **state)
{
	struct hframe f;
	uint32_t l3 = h_udp4(&f, "10.1.0.2", "10.3.0.5", 64, 20);

	(void)state;
	put_be16(f.b + l3 + 2, 19); /* shorter than the header */
	h_ip4_csum(&f, l3);
	expect_drop(&f, DROP_IP4_BAD_LEN);
	h_udp4(&f, "10.1.0.2", "10.3.0.5", 64, 20);
	put_be16(f.b + l3 + 2, 49); /* longer than the frame */
	h_ip4_csum(&f, l3);
	expect_drop(&f, DROP_IP4_BAD_LEN);
}

/* RFC 1812 5.3.7: martian source and destination addresses. */
static void test_drop_martians(void **state)
{
	static const char *const bad_src[] = { "127.0.0.1", "0.0.0.0",
					       "224.0.0.5", "240.0.0.1",
					       "255.255.255.255" };
	static const char *const bad_dst[] = { "127.0.0.1", "0.0.0.0" };
	struct hframe f;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(bad_src); i++) {
		h_udp4(&f, bad_src[i], "10.3.0.5", 64, 20);
		expect_drop(&f, DROP_IP4_MARTIAN_SRC);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(bad_dst); i++) {
		h_udp4(&f, "10.1.0.2", bad_dst[i], 64, 20);
		expect_drop(&f, DROP_IP4_MARTIAN_DST);
	}
}

static void test_drop_not_our_mac(void **state)
{
	static const uint8_t other[6] = { 0x02, 9, 9, 9, 9, 9 };
	struct hframe f;

	(void)state;
	h_udp4(&f, "10.1.0.2", "10.3.0.5", 64, 20);
	memcpy(f.b, other, 6);
	expect_drop(&f, DROP_ETH_OTHERHOST);
}

/* RFC 1812 5.3.4: a unicast IP packet in a link-layer broadcast is not
 * forwarded. */
static void test_drop_l2_broadcast_forward(void **state)
{
	struct hframe f;

	(void)state;
	h_udp4(&f, "10.1.0.2", "10.3.0.5", 64, 20);
	memcpy(f.b, eth_bcast, 6);
	expect_drop(&f, DROP_FWD_L2_NOT_HOST);
}

/* ---- forwarding ---------------------------------------------------------- */

/* The forwarded frame: MACs rewritten, TTL - 1, checksum valid and equal to
 * a recomputation, every other byte unchanged. */
static void assert_forwarded(const struct pkt *out, const struct hframe *in,
			     uint32_t l3_len)
{
	const uint8_t *ip = out->data + 14;
	const uint8_t *orig = in->b + 14;
	uint8_t hdr[60];
	uint32_t ihl = (orig[0] & 0xfu) * 4;

	assert_int_equal(out->len, 14 + l3_len);
	h_assert_eth(out, PEER1_MAC, P1_MAC, ETH_P_IP4);
	assert_int_equal(ip[8], orig[8] - 1);
	assert_int_equal(csum_ip4_header(ip, ihl), 0);
	memcpy(hdr, ip, ihl);
	put_be16(hdr + 10, 0);
	assert_int_equal(get_be16(ip + 10), csum_ip4_header(hdr, ihl));
	assert_memory_equal(ip, orig, 8);
	assert_memory_equal(ip + 9, orig + 9, 1);
	assert_memory_equal(ip + 12, orig + 12, l3_len - 12);
}

static void test_forward_udp(void **state)
{
	struct hframe f;
	struct dev_stats s0, s1;

	(void)state;
	h_udp4(&f, "10.1.0.2", "10.3.0.5", 64, 100);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 0);
	assert_int_equal(h_n(p1), 1);
	assert_forwarded(h_frame(p1, 0), &f, 20 + 108);
	s0 = h_stats(p0);
	s1 = h_stats(p1);
	assert_int_equal(s0.forwarded, 1);
	assert_int_equal(s1.fwd_in, 1);
	assert_int_equal(s1.tx_packets, 1);
	h_check_balance();
}

static void test_forward_to_connected_host(void **state)
{
	struct hframe f;
	struct ip4_spec s = { .src = "10.1.0.2", .dst = "10.2.0.2",
			      .proto = IPPROTO_TCP, .ttl = 2, .tos = 0x28,
			      .id = 7, .frag = 0x4000, .l4_len = 1460 };
	uint32_t l3;

	(void)state;
	h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP4);
	l3 = h_ip4(&f, &s);
	h_l4_csum(&f, l3);
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 1);
	assert_forwarded(h_frame(p1, 0), &f, 1480);
	assert_int_equal(h_frame(p1, 0)->data[14 + 8], 1);
	h_check_balance();
}

/* The incremental checksum update equals a recomputation over many
 * headers: every TTL, TOS, id and flags. */
static void test_ttl_decrement_checksums(void **state)
{
	struct hframe f;
	unsigned n = 0;

	(void)state;
	for (unsigned ttl = 2; ttl <= 255; ttl++) {
		struct ip4_spec s = { .src = "10.1.0.2", .dst = "10.3.1.1",
				      .proto = IPPROTO_UDP, .ttl = (uint8_t)ttl,
				      .tos = (uint8_t)(ttl * 3),
				      .id = (uint16_t)(ttl * 2654435761u),
				      .frag = ttl & 1 ? 0x4000 : 0,
				      .l4_len = 8 + ttl % 7 };
		uint32_t l3;
		h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP4);
		l3 = h_ip4(&f, &s);
		h_l4_csum(&f, l3);
		h_input(p0, &f);
		assert_int_equal(h_n(p1), n + 1);
		assert_forwarded(h_frame(p1, n), &f, 20 + s.l4_len);
		n++;
		if (n == CAP_MAX) {
			h_cap_clear(p1);
			n = 0;
		}
	}
	h_check_balance();
}

/* Ethernet padding after a short IP packet is not forwarded. */
static void test_forward_trims_padding(void **state)
{
	struct hframe f;

	(void)state;
	h_udp4(&f, "10.1.0.2", "10.3.0.5", 64, 0); /* 28 bytes of IP */
	memset(f.b + f.len, 0, 60 - f.len);
	f.len = 60;
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 1);
	assert_forwarded(h_frame(p1, 0), &f, 28);
}

/* A packet of exactly the route MTU is not fragmented. */
static void test_forward_exact_mtu(void **state)
{
	struct hframe f;

	(void)state;
	h_udp4(&f, "10.1.0.2", "10.4.0.5", 64, 1400 - 28);
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 1);
	assert_forwarded(h_frame(p1, 0), &f, 1400);
}

/* ---- fragmentation ------------------------------------------------------- */

/* Fragment k of the captured frames: header fields and payload slice. */
static void assert_fragment(const struct pkt *fr, const struct hframe *in,
			    uint32_t ihl_out, uint32_t data_off,
			    uint32_t data_len, bool mf, uint32_t base_off)
{
	const uint8_t *ip = fr->data + 14, *orig = in->b + 14;
	uint32_t ihl_in = (orig[0] & 0xfu) * 4;

	h_assert_eth(fr, PEER1_MAC, P1_MAC, ETH_P_IP4);
	assert_int_equal(fr->len, 14 + ihl_out + data_len);
	assert_int_equal((ip[0] & 0xf) * 4, ihl_out);
	assert_int_equal(get_be16(ip + 2), ihl_out + data_len);
	assert_int_equal(get_be16(ip + 4), get_be16(orig + 4)); /* same id */
	assert_int_equal(get_be16(ip + 6) & IP4_DF, 0);
	assert_int_equal(!!(get_be16(ip + 6) & IP4_MF), mf);
	assert_int_equal((get_be16(ip + 6) & IP4_OFFMASK) * 8,
			 base_off + data_off);
	assert_int_equal(ip[8], orig[8] - 1);
	assert_int_equal(ip[9], orig[9]);
	assert_memory_equal(ip + 12, orig + 12, 8);
	assert_int_equal(csum_ip4_header(ip, ihl_out), 0);
	assert_memory_equal(ip + ihl_out, orig + ihl_in + data_off, data_len);
}

/* 1450 bytes, DF clear, to a 1400-MTU route: 1376 + 54 data bytes. */
static void test_fragment_two(void **state)
{
	struct hframe f;
	struct dev_stats s1;

	(void)state;
	h_udp4(&f, "10.1.0.2", "10.4.0.5", 64, 1450 - 28);
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 2);
	assert_fragment(h_frame(p1, 0), &f, 20, 0, 1376, true, 0);
	assert_fragment(h_frame(p1, 1), &f, 20, 1376, 1430 - 1376, false, 0);
	assert_int_equal(h_stats(p0).forwarded, 1);
	s1 = h_stats(p1);
	assert_int_equal(s1.tx_packets, 2);
	h_check_balance();
}

/* A fragment (MF set, offset 800) fragmented again keeps MF on its last
 * piece and offsets relative to the original datagram. */
static void test_fragment_of_fragment(void **state)
{
	struct hframe f;
	struct ip4_spec s = { .src = "10.1.0.2", .dst = "10.4.0.5",
			      .proto = IPPROTO_UDP, .ttl = 30, .id = 99,
			      .frag = IP4_MF | 100, .l4_len = 3000 };

	(void)state;
	h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP4);
	h_ip4(&f, &s);
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 3);
	assert_fragment(h_frame(p1, 0), &f, 20, 0, 1376, true, 800);
	assert_fragment(h_frame(p1, 1), &f, 20, 1376, 1376, true, 800);
	assert_fragment(h_frame(p1, 2), &f, 20, 2752, 248, true, 800);
	h_check_balance();
}

/* RFC 791: options with the copy flag go into every fragment, the others
 * only into the first (replaced by NOPs, as Linux does, keeping IHL). */
static void test_fragment_options(void **state)
{
	static const uint8_t opts[12] = {
		0x94, 0x04, 0x00, 0x00,                   /* router alert, copied */
		0x07, 0x07, 0x04, 0x00, 0x00, 0x00, 0x00, /* record route */
		0x00,                                     /* end of list */
	};
	struct hframe f;
	struct ip4_spec s = { .src = "10.1.0.2", .dst = "10.4.0.5",
			      .proto = IPPROTO_UDP, .ttl = 30, .id = 5,
			      .opts = opts, .optlen = 12, .l4_len = 2000 };
	const uint8_t *ip;

	(void)state;
	h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP4);
	h_ip4(&f, &s);
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 2);
	/* (1400 - 32) & ~7 = 1368 */
	assert_fragment(h_frame(p1, 0), &f, 32, 0, 1368, true, 0);
	assert_fragment(h_frame(p1, 1), &f, 32, 1368, 632, false, 0);
	ip = h_frame(p1, 0)->data + 14;
	assert_memory_equal(ip + 20, opts, 12);
	ip = h_frame(p1, 1)->data + 14;
	assert_memory_equal(ip + 20, opts, 4);
	assert_memory_equal(ip + 24, "\x01\x01\x01\x01\x01\x01\x01", 7);
	assert_int_equal(ip[31], 0);
	h_check_balance();
}

/* DF set: frag needed (RFC 792 type 3 code 4) with the next-hop MTU in
 * the second half of the unused field (RFC 1191), to the sender, from the
 * address of the interface the packet came in on. */
static void test_df_frag_needed(void **state)
{
	struct hframe f;
	struct ip4_spec s = { .src = "10.1.0.2", .dst = "10.4.0.5",
			      .proto = IPPROTO_UDP, .ttl = 64, .id = 0x4242,
			      .frag = IP4_DF, .l4_len = 1430 };
	const struct pkt *e;
	const uint8_t *ip, *icmp;
	union pkt_addr me = A4("10.1.0.1"), peer = A4("10.1.0.2");
	uint32_t l3;

	(void)state;
	h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP4);
	l3 = h_ip4(&f, &s);
	h_l4_csum(&f, l3);
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 0);
	assert_int_equal(h_rx_drops(p0, DROP_IP4_FRAG_NEEDED), 1);
	assert_int_equal(h_n(p0), 1);
	e = h_frame(p0, 0);
	h_assert_eth(e, PEER0_MAC, P0_MAC, ETH_P_IP4);
	ip = e->data + 14;
	icmp = ip + 20;
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(get_be16(ip + 2), 576);
	assert_int_equal(ip[9], IPPROTO_ICMP);
	assert_memory_equal(ip + 12, &me.v4, 4);
	assert_memory_equal(ip + 16, &peer.v4, 4);
	assert_int_equal(csum_ip4_header(ip, 20), 0);
	assert_int_equal(icmp[0], ICMP4_DEST_UNREACH);
	assert_int_equal(icmp[1], ICMP4_FRAG_NEEDED);
	assert_int_equal(get_be16(icmp + 4), 0);
	assert_int_equal(get_be16(icmp + 6), 1400);
	assert_true(h_l4_csum_ok(e));
	assert_memory_equal(icmp + 8, f.b + 14, 576 - 28);
	h_check_balance();
}

/* ---- local delivery ------------------------------------------------------ */

static uint32_t mk_echo4(struct hframe *f, const char *dst, uint32_t data)
{
	struct ip4_spec s = { .src = "10.1.0.2", .dst = dst,
			      .proto = IPPROTO_ICMP, .ttl = 64, .id = 77,
			      .l4_len = 8 + data };
	uint32_t l3;

	h_eth(f, P0_MAC, PEER0_MAC, ETH_P_IP4);
	l3 = h_ip4(f, &s);
	f->b[l3 + 20] = ICMP4_ECHO_REQUEST;
	f->b[l3 + 21] = 0;
	put_be16(f->b + l3 + 24, 0xbeef);
	put_be16(f->b + l3 + 26, 3);
	h_l4_csum(f, l3);
	return l3;
}

static void assert_echo_reply(const struct pkt *r, const struct hframe *req,
			      const char *from, uint32_t icmp_len)
{
	const uint8_t *ip = r->data + 14, *q = req->b + 14;
	union pkt_addr me = A4(from), peer = A4("10.1.0.2");

	h_assert_eth(r, PEER0_MAC, P0_MAC, ETH_P_IP4);
	assert_int_equal(r->len, 14 + 20 + icmp_len);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(get_be16(ip + 2), 20 + icmp_len);
	assert_int_equal(ip[9], IPPROTO_ICMP);
	assert_true(ip[8] > 1);
	assert_memory_equal(ip + 12, &me.v4, 4);
	assert_memory_equal(ip + 16, &peer.v4, 4);
	assert_int_equal(csum_ip4_header(ip, 20), 0);
	assert_int_equal(ip[20], ICMP4_ECHO_REPLY);
	assert_int_equal(ip[21], 0);
	/* identifier, sequence and data echoed (RFC 792) */
	assert_memory_equal(ip + 24, q + (q[0] & 0xf) * 4 + 4, icmp_len - 4);
	assert_true(h_l4_csum_ok(r));
}

static void test_echo_reply(void **state)
{
	struct hframe f;

	(void)state;
	mk_echo4(&f, "10.1.0.1", 56);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	assert_int_equal(h_n(p1), 0);
	assert_echo_reply(h_frame(p0, 0), &f, "10.1.0.1", 64);
	assert_int_equal(h_stats(p0).delivered, 1);
	assert_int_equal(h_stats(p0).originated, 1);
	h_check_balance();
}

/* An address of another interface answers too, from that address. */
static void test_echo_reply_other_interface_addr(void **state)
{
	struct hframe f;

	(void)state;
	mk_echo4(&f, "10.2.0.1", 1000);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	assert_echo_reply(h_frame(p0, 0), &f, "10.2.0.1", 1008);
	h_check_balance();
}

/* The reply to a request carrying IP options has a plain 20-byte header
 * with sane fields (no option bytes leaking into TOS/id/flags). */
static void test_echo_reply_request_with_options(void **state)
{
	static const uint8_t opts[4] = { 0x94, 0x04, 0x00, 0x00 };
	struct hframe f;
	struct ip4_spec s = { .src = "10.1.0.2", .dst = "10.1.0.1",
			      .proto = IPPROTO_ICMP, .ttl = 64, .id = 77,
			      .opts = opts, .optlen = 4, .l4_len = 16 };
	const uint8_t *ip;
	uint32_t l3;

	(void)state;
	h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP4);
	l3 = h_ip4(&f, &s);
	f.b[l3 + 24] = ICMP4_ECHO_REQUEST;
	f.b[l3 + 25] = 0;
	h_l4_csum(&f, l3);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	assert_echo_reply(h_frame(p0, 0), &f, "10.1.0.1", 16);
	ip = h_frame(p0, 0)->data + 14;
	assert_int_equal(ip[1], 0);                 /* TOS of the request */
	assert_int_equal(get_be16(ip + 6) & 0x3fff, 0); /* not a fragment */
}

static void test_echo_bad_icmp_csum(void **state)
{
	struct hframe f;
	uint32_t l3 = mk_echo4(&f, "10.1.0.1", 56);

	(void)state;
	f.b[l3 + 30] ^= 0x40;
	expect_drop(&f, DROP_ICMP_BAD_CSUM);
}

static void test_echo_ignore_all(void **state)
{
	struct hframe f;

	(void)state;
	icmp_params.echo_ignore_all = 1;
	mk_echo4(&f, "10.1.0.1", 56);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 0);
	assert_int_equal(h_stats(p0).delivered, 1);
	h_check_balance();
}

/* UDP to us with nothing listening: port unreachable (RFC 1122 3.2.2.1). */
static void test_udp_port_unreachable(void **state)
{
	struct hframe f;
	const uint8_t *ip;

	(void)state;
	h_udp4(&f, "10.1.0.2", "10.1.0.1", 64, 30);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	ip = h_frame(p0, 0)->data + 14;
	assert_int_equal(ip[20], ICMP4_DEST_UNREACH);
	assert_int_equal(ip[21], ICMP4_PORT_UNREACH);
	assert_memory_equal(ip + 28, f.b + 14, 20 + 38);
	assert_int_equal(h_rx_drops(p0, DROP_L4_NO_LISTENER), 1);
	h_check_balance();
}

/* A protocol nobody handles: protocol unreachable (RFC 1122 3.2.2.1); there
 * is no checksum to verify for an unknown protocol. */
static void test_protocol_unreachable(void **state)
{
	struct hframe f;
	struct ip4_spec s = { .src = "10.1.0.2", .dst = "10.1.0.1",
			      .proto = 253, .ttl = 64, .id = 1, .l4_len = 12 };
	const uint8_t *ip;

	(void)state;
	h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP4);
	h_ip4(&f, &s);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	ip = h_frame(p0, 0)->data + 14;
	assert_int_equal(ip[20], ICMP4_DEST_UNREACH);
	assert_int_equal(ip[21], ICMP4_PROT_UNREACH);
	assert_memory_equal(ip + 28, f.b + 14, 32);
	assert_int_equal(h_rx_drops(p0, DROP_L4_NO_LISTENER), 1);
	h_check_balance();
}

/* Fragment k (data bytes [off, off + n) of a 1008-byte ICMP echo request
 * from 10.1.0.2 to 10.1.0.1) as received on d. */
static void mk_echo_frag(struct hframe *f, struct dev *d, uint32_t off,
			 uint32_t n, bool more)
{
	struct hframe whole;
	struct ip4_spec s = { .src = "10.1.0.2", .dst = "10.1.0.1",
			      .proto = IPPROTO_ICMP, .ttl = 64, .id = 0x777,
			      .frag = (uint16_t)((more ? IP4_MF : 0) | off / 8),
			      .l4_len = n };
	uint32_t l3 = mk_echo4(&whole, "10.1.0.1", 1000);

	h_eth(f, d->mac, d == p0 ? PEER0_MAC : PEER1_MAC, ETH_P_IP4);
	h_ip4(f, &s);
	memcpy(f->b + 14 + 20, whole.b + l3 + 20 + off, n);
}

/* Fragments of one datagram arriving on two devices (Linux reassembles
 * them together too): every device's counters still balance. */
static void test_reasm_fragments_across_devices(void **state)
{
	struct hframe f;

	(void)state;
	mk_echo_frag(&f, p0, 0, 512, true);
	h_input(p0, &f);
	mk_echo_frag(&f, p1, 512, 496, false);
	h_input(p1, &f);
	assert_int_equal(h_n(p0), 1); /* the echo reply */
	assert_int_equal(h_frame(p0, 0)->data[14 + 20], ICMP4_ECHO_REPLY);
	h_check_balance();
}

/* A datagram left incomplete, its fragments from two devices, is dropped
 * when the reassembly table goes: each drop counted where it came in. */
static void test_reasm_incomplete_across_devices(void **state)
{
	struct hframe f;

	(void)state;
	mk_echo_frag(&f, p1, 0, 512, true);
	h_input(p1, &f);
	mk_echo_frag(&f, p0, 512, 256, true);
	h_input(p0, &f);
	reasm_free(tw.reasm);
	tw.reasm = NULL;
	assert_int_equal(h_n(p0) + h_n(p1), 0);
	h_check_balance();
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, h_setup, h_teardown)
	const struct CMUnitTest tests[] = {
		T(test_drop_truncated),
		T(test_drop_bad_version),
		T(test_drop_bad_ihl),
		T(test_drop_bad_csum),
		T(test_drop_bad_total_len),
		T(test_drop_martians),
		T(test_drop_not_our_mac),
		T(test_drop_l2_broadcast_forward),
		T(test_forward_udp),
		T(test_forward_to_connected_host),
		T(test_ttl_decrement_checksums),
		T(test_forward_trims_padding),
		T(test_forward_exact_mtu),
		T(test_fragment_two),
		T(test_fragment_of_fragment),
		T(test_fragment_options),
		T(test_df_frag_needed),
		T(test_echo_reply),
		T(test_echo_reply_other_interface_addr),
		T(test_echo_reply_request_with_options),
		T(test_echo_bad_icmp_csum),
		T(test_echo_ignore_all),
		T(test_udp_port_unreachable),
		T(test_protocol_unreachable),
		T(test_reasm_fragments_across_devices),
		T(test_reasm_incomplete_across_devices),
	};
#undef T
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	pkt_pool_thread_release();
	return rc;
}
