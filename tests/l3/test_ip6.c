/* Unit tests of IPv6 input and forwarding (src/l3/ip6_*.c) through
 * eth_input on capture devices (tests/l3/l3_harness.h): validation drops
 * with their reasons (RFC 8200), hop limit decrement and MAC rewrite,
 * packet too big instead of fragmentation (RFC 8200 5, RFC 4443 3.2),
 * scope rules (RFC 4007), multicast groups, echo replies (RFC 4443 4.2),
 * extension header processing, and counters balancing on both devices. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "l3_harness.h"

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

/* ---- validation ---------------------------------------------------------- */

static void test_drop_truncated(void **state)
{
	struct hframe f;

	(void)state;
	h_udp6(&f, "2001:db8:1::2", "2001:db8:3::5", 64, 10);
	f.len = 14 + 39;
	expect_drop(&f, DROP_IP6_TRUNCATED);
}

static void test_drop_bad_version(void **state)
{
	struct hframe f;
	uint32_t l3 = h_udp6(&f, "2001:db8:1::2", "2001:db8:3::5", 64, 10);

	(void)state;
	f.b[l3] = 0x40 | (f.b[l3] & 0x0f);
	expect_drop(&f, DROP_IP6_BAD_VERSION);
}

static void test_drop_bad_payload_len(void **state)
{
	struct hframe f;
	uint32_t l3 = h_udp6(&f, "2001:db8:1::2", "2001:db8:3::5", 64, 10);

	(void)state;
	put_be16(f.b + l3 + 4, 19); /* one more than there is */
	expect_drop(&f, DROP_IP6_BAD_PLEN);
	/* payload length 0 with a hop-by-hop header: a jumbogram (RFC 2675),
	 * not supported */
	h_udp6(&f, "2001:db8:1::2", "2001:db8:3::5", 64, 10);
	put_be16(f.b + l3 + 4, 0);
	f.b[l3 + 6] = 0;
	expect_drop(&f, DROP_IP6_BAD_PLEN);
}

/* Payload length 0 otherwise is an empty payload; the rest is padding. */
static void test_forward_empty_payload(void **state)
{
	struct hframe f;
	uint32_t l3 = h_udp6(&f, "2001:db8:1::2", "2001:db8:3::5", 64, 10);

	(void)state;
	put_be16(f.b + l3 + 4, 0);
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 1);
	assert_int_equal(h_frame(p1, 0)->len, 14 + 40);
	assert_int_equal(h_frame(p1, 0)->data[14 + 7], 63);
	h_check_balance();
}

static void test_drop_martians(void **state)
{
	static const char *const bad_src[] = { "ff02::1", "::1", "ff0e::5" };
	static const char *const bad_dst[] = { "::", "::1" };
	struct hframe f;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(bad_src); i++) {
		h_udp6(&f, bad_src[i], "2001:db8:3::5", 64, 10);
		expect_drop(&f, DROP_IP6_MARTIAN_SRC);
	}
	for (unsigned i = 0; i < ARRAY_SIZE(bad_dst); i++) {
		h_udp6(&f, "2001:db8:1::2", bad_dst[i], 64, 10);
		expect_drop(&f, DROP_IP6_MARTIAN_DST);
	}
}

/* Multicast we have not joined is dropped, never forwarded. */
static void test_drop_mcast_not_joined(void **state)
{
	static const uint8_t mmac[6] = { 0x33, 0x33, 0, 0, 0, 0x99 };
	struct hframe f;

	(void)state;
	h_udp6(&f, "2001:db8:1::2", "ff0e::99", 64, 10);
	memcpy(f.b, mmac, 6);
	expect_drop(&f, DROP_IP6_MCAST_NOT_JOINED);
}

/* A link-local destination that is not ours is not forwarded (RFC 4007). */
static void test_drop_linklocal_dst_not_ours(void **state)
{
	struct hframe f;

	(void)state;
	h_udp6(&f, "2001:db8:1::2", "fe80::77", 64, 10);
	expect_drop(&f, DROP_IP6_SCOPE);
}

/* ---- forwarding ---------------------------------------------------------- */

static void assert_forwarded6(const struct pkt *out, const struct hframe *in)
{
	const uint8_t *ip = out->data + 14, *orig = in->b + 14;
	uint32_t l3_len = in->len - 14;

	assert_int_equal(out->len, 14 + l3_len);
	h_assert_eth(out, PEER1_MAC, P1_MAC, ETH_P_IP6);
	assert_memory_equal(ip, orig, 7);
	assert_int_equal(ip[7], orig[7] - 1);
	assert_memory_equal(ip + 8, orig + 8, l3_len - 8);
}

static void test_forward(void **state)
{
	struct hframe f;
	struct ip6_spec s = { .src = "2001:db8:1::2", .dst = "2001:db8:3::5",
			      .nh = IPPROTO_TCP, .hlim = 2, .tclass = 0xb8,
			      .flow = 0xabcde, .l4_len = 1200 };

	(void)state;
	h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP6);
	h_l4_csum(&f, h_ip6(&f, &s));
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 0);
	assert_int_equal(h_n(p1), 1);
	assert_forwarded6(h_frame(p1, 0), &f);
	assert_int_equal(h_frame(p1, 0)->data[14 + 7], 1);
	assert_int_equal(h_stats(p0).forwarded, 1);
	assert_int_equal(h_stats(p1).fwd_in, 1);
	h_check_balance();
}

static void test_forward_to_connected_host_and_padding(void **state)
{
	struct hframe f;

	(void)state;
	h_udp6(&f, "2001:db8:1::2", "2001:db8:2::2", 255, 0); /* 62 bytes */
	memset(f.b + f.len, 0, 70 - f.len);
	f.len = 70;
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 1);
	f.len = 62; /* the padding must not be forwarded */
	assert_forwarded6(h_frame(p1, 0), &f);
	h_check_balance();
}

/* Routers never fragment IPv6: packet too big with the MTU, from the
 * address of the incoming interface, quoting as much as fits in 1280. */
static void test_packet_too_big(void **state)
{
	struct hframe f;
	const struct pkt *e;
	const uint8_t *ip, *icmp;
	union pkt_addr me = A6("2001:db8:1::1"), peer = A6("2001:db8:1::2");

	(void)state;
	h_udp6(&f, "2001:db8:1::2", "2001:db8:4::5", 64, 1500 - 48);
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 0);
	assert_int_equal(h_rx_drops(p0, DROP_IP6_TOO_BIG), 1);
	assert_int_equal(h_n(p0), 1);
	e = h_frame(p0, 0);
	h_assert_eth(e, PEER0_MAC, P0_MAC, ETH_P_IP6);
	ip = e->data + 14;
	icmp = ip + 40;
	assert_int_equal(e->len, 14 + 1280);
	assert_int_equal(get_be16(ip + 4), 1240);
	assert_int_equal(ip[6], IPPROTO_ICMPV6);
	assert_memory_equal(ip + 8, me.v6, 16);
	assert_memory_equal(ip + 24, peer.v6, 16);
	assert_int_equal(icmp[0], ICMP6_PKT_TOO_BIG);
	assert_int_equal(icmp[1], 0);
	assert_int_equal(get_be32(icmp + 4), 1400);
	assert_true(h_l4_csum_ok(e));
	assert_memory_equal(icmp + 8, f.b + 14, 1280 - 48);
	h_check_balance();

	/* exactly the MTU passes */
	h_cap_clear(p0);
	h_udp6(&f, "2001:db8:1::2", "2001:db8:4::5", 64, 1400 - 48);
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 1);
	assert_int_equal(h_n(p0), 0);
}

/* RFC 4443 3.1 code 2: a link-local source cannot be forwarded; the error
 * goes back on the link from our link-local address. */
static void test_linklocal_src_beyond_scope(void **state)
{
	struct hframe f;
	const struct pkt *e;
	const uint8_t *ip;
	union pkt_addr peer = A6("fe80::2");

	(void)state;
	h_udp6(&f, "fe80::2", "2001:db8:3::5", 64, 10);
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 0);
	assert_int_equal(h_rx_drops(p0, DROP_IP6_SCOPE), 1);
	assert_int_equal(h_n(p0), 1);
	e = h_frame(p0, 0);
	h_assert_eth(e, PEER0_MAC, P0_MAC, ETH_P_IP6);
	ip = e->data + 14;
	assert_memory_equal(ip + 8, p0->ll6.v6, 16);
	assert_memory_equal(ip + 24, peer.v6, 16);
	assert_int_equal(ip[40], ICMP6_DEST_UNREACH);
	assert_int_equal(ip[41], 2);
	assert_true(h_l4_csum_ok(e));
	h_check_balance();
}

/* ---- local delivery ------------------------------------------------------ */

static uint32_t mk_echo6(struct hframe *f, const char *src, const char *dst,
			 uint32_t data)
{
	struct ip6_spec s = { .src = src, .dst = dst, .nh = IPPROTO_ICMPV6,
			      .hlim = 64, .l4_len = 8 + data };
	uint32_t l3;

	h_eth(f, P0_MAC, PEER0_MAC, ETH_P_IP6);
	l3 = h_ip6(f, &s);
	f->b[l3 + 40] = ICMP6_ECHO_REQUEST;
	f->b[l3 + 41] = 0;
	put_be16(f->b + l3 + 44, 0x4321);
	put_be16(f->b + l3 + 46, 9);
	h_l4_csum(f, l3);
	return l3;
}

static void test_echo_reply(void **state)
{
	struct hframe f;
	const struct pkt *r;
	const uint8_t *ip;
	union pkt_addr me = A6("2001:db8:1::1"), peer = A6("2001:db8:1::2");

	(void)state;
	mk_echo6(&f, "2001:db8:1::2", "2001:db8:1::1", 100);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	r = h_frame(p0, 0);
	h_assert_eth(r, PEER0_MAC, P0_MAC, ETH_P_IP6);
	ip = r->data + 14;
	assert_int_equal(r->len, 14 + 40 + 108);
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal(get_be16(ip + 4), 108);
	assert_int_equal(ip[6], IPPROTO_ICMPV6);
	assert_memory_equal(ip + 8, me.v6, 16);
	assert_memory_equal(ip + 24, peer.v6, 16);
	assert_int_equal(ip[40], ICMP6_ECHO_REPLY);
	assert_int_equal(ip[41], 0);
	assert_memory_equal(ip + 44, f.b + 14 + 44, 104);
	assert_true(h_l4_csum_ok(r));
	assert_int_equal(h_stats(p0).delivered, 1);
	h_check_balance();
}

/* To our link-local address, and to the all-nodes group (answered from a
 * unicast address of the interface, RFC 4443 4.2). */
static void test_echo_reply_linklocal_and_multicast(void **state)
{
	static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	struct hframe f;
	char ll[64];
	const uint8_t *ip;

	(void)state;
	inet_ntop(AF_INET6, p0->ll6.v6, ll, sizeof(ll));
	mk_echo6(&f, "fe80::2", ll, 8);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	ip = h_frame(p0, 0)->data + 14;
	assert_memory_equal(ip + 8, p0->ll6.v6, 16);
	assert_int_equal(ip[40], ICMP6_ECHO_REPLY);
	assert_true(h_l4_csum_ok(h_frame(p0, 0)));
	h_cap_clear(p0);

	mk_echo6(&f, "fe80::2", "ff02::1", 8);
	memcpy(f.b, all_nodes_mac, 6);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	ip = h_frame(p0, 0)->data + 14;
	assert_false(ip6_is_mcast(ip + 8));
	assert_int_equal(ip[40], ICMP6_ECHO_REPLY);
	assert_true(h_l4_csum_ok(h_frame(p0, 0)));
	h_check_balance();
}

static void test_echo_bad_csum(void **state)
{
	struct hframe f;
	uint32_t l3 = mk_echo6(&f, "2001:db8:1::2", "2001:db8:1::1", 20);

	(void)state;
	f.b[l3 + 50] ^= 1;
	expect_drop(&f, DROP_ICMP_BAD_CSUM);
}

/* Extension headers before the upper layer: a destination options header
 * with PadN is skipped and the echo is answered. */
static void test_echo_after_dstopts(void **state)
{
	struct hframe f;
	struct ip6_spec s = { .src = "2001:db8:1::2", .dst = "2001:db8:1::1",
			      .nh = 60, .hlim = 64, .l4_len = 8 + 16 };
	uint32_t l3;
	uint8_t *x;

	(void)state;
	h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP6);
	l3 = h_ip6(&f, &s);
	x = f.b + l3 + 40;
	memset(x, 0, 8);
	x[0] = IPPROTO_ICMPV6;
	x[1] = 0;
	x[2] = 1; /* PadN, 4 bytes of padding */
	x[3] = 4;
	x[8] = ICMP6_ECHO_REQUEST;
	x[9] = 0;
	{
		/* checksum over the ICMPv6 message only */
		uint8_t *ic = x + 8;
		uint32_t sum = csum_pseudo6(f.b + l3 + 8, f.b + l3 + 24,
					    IPPROTO_ICMPV6, 16);
		put_be16(ic + 2, 0);
		put_be16(ic + 2, csum_finish(csum_partial(ic, 16, sum)));
	}
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	assert_int_equal(h_frame(p0, 0)->data[14 + 40], ICMP6_ECHO_REPLY);
	assert_true(h_l4_csum_ok(h_frame(p0, 0)));
	h_check_balance();
}

/* An unknown option of type 10xxxxxx: discard and send parameter problem
 * code 2 pointing at the option (RFC 8200 4.2). */
static void test_unknown_option_param_problem(void **state)
{
	struct hframe f;
	struct ip6_spec s = { .src = "2001:db8:1::2", .dst = "2001:db8:1::1",
			      .nh = 60, .hlim = 64, .l4_len = 8 + 8 };
	const uint8_t *ip;
	uint32_t l3;
	uint8_t *x;

	(void)state;
	h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP6);
	l3 = h_ip6(&f, &s);
	x = f.b + l3 + 40;
	memset(x, 0, 8);
	x[0] = 59; /* no next header */
	x[2] = 0x87; /* unknown, action 10 */
	x[3] = 4;
	h_input(p0, &f);
	assert_int_equal(h_rx_drops(p0, DROP_IP6_BAD_EXTHDR), 1);
	assert_int_equal(h_n(p0), 1);
	ip = h_frame(p0, 0)->data + 14;
	assert_int_equal(ip[40], ICMP6_PARAM_PROB);
	assert_int_equal(ip[41], 2);
	assert_int_equal(get_be32(ip + 44), 40 + 2);
	assert_true(h_l4_csum_ok(h_frame(p0, 0)));
	h_check_balance();
}

/* UDP to us with nothing listening: port unreachable (RFC 4443 3.1 code 4). */
static void test_no_listener(void **state)
{
	struct hframe f;
	const uint8_t *ip;

	(void)state;
	h_udp6(&f, "2001:db8:1::2", "2001:db8:1::1", 64, 30);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	ip = h_frame(p0, 0)->data + 14;
	assert_int_equal(ip[40], ICMP6_DEST_UNREACH);
	assert_int_equal(ip[41], ICMP6_PORT_UNREACH);
	assert_memory_equal(ip + 48, f.b + 14, f.len - 14);
	assert_int_equal(h_rx_drops(p0, DROP_L4_NO_LISTENER), 1);
	h_check_balance();
}

/* A next header nobody handles: parameter problem code 1 pointing at the
 * next header field (RFC 8200 4, RFC 4443 3.4). There is no checksum to
 * verify for an unknown protocol. */
static void test_unknown_next_header(void **state)
{
	struct hframe f;
	const uint8_t *ip;
	struct ip6_spec s = { .src = "2001:db8:1::2", .dst = "2001:db8:1::1",
			      .nh = 253, .hlim = 64, .l4_len = 8 };

	(void)state;
	h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP6);
	h_ip6(&f, &s);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	ip = h_frame(p0, 0)->data + 14;
	assert_int_equal(ip[40], ICMP6_PARAM_PROB);
	assert_int_equal(ip[41], 1);
	assert_int_equal(get_be32(ip + 44), 6);
	assert_int_equal(h_rx_drops(p0, DROP_L4_NO_LISTENER), 1);
	h_check_balance();
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, h_setup, h_teardown)
	const struct CMUnitTest tests[] = {
		T(test_drop_truncated),
		T(test_drop_bad_version),
		T(test_drop_bad_payload_len),
		T(test_forward_empty_payload),
		T(test_drop_martians),
		T(test_drop_mcast_not_joined),
		T(test_drop_linklocal_dst_not_ours),
		T(test_forward),
		T(test_forward_to_connected_host_and_padding),
		T(test_packet_too_big),
		T(test_linklocal_src_beyond_scope),
		T(test_echo_reply),
		T(test_echo_reply_linklocal_and_multicast),
		T(test_echo_bad_csum),
		T(test_echo_after_dstopts),
		T(test_unknown_option_param_problem),
		T(test_no_listener),
		T(test_unknown_next_header),
	};
#undef T
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	pkt_pool_thread_release();
	return rc;
}
