/* Unit tests of ICMP error generation (src/l3/icmp4.c, icmp6.c,
 * icmp_err.c, icmp_rl.c) through eth_input on capture devices
 * (tests/l3/l3_harness.h): the exact contents of time exceeded and
 * destination unreachable messages (RFC 792, RFC 1812 4.3.2.3-4.3.2.5,
 * RFC 4443 2.4), the rules for when no error may be sent (RFC 1812
 * 4.3.2.7, RFC 4443 2.4(e)) and rate limiting by net.ipv4.icmp_ratelimit /
 * net.ipv6.icmp.ratelimit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctl/sysctl.h"
#include "l3_harness.h"

/* The ICMPv4 error at frame i of p0: every field of RFC 792 / RFC 1812. */
static void assert_icmp4_error(unsigned i, uint8_t type, uint8_t code,
			       const struct hframe *orig, uint32_t quote)
{
	const struct pkt *e = h_frame(p0, i);
	const uint8_t *ip = e->data + 14, *icmp = ip + 20;
	union pkt_addr me = A4("10.1.0.1");

	h_assert_eth(e, PEER0_MAC, P0_MAC, ETH_P_IP4);
	assert_int_equal(e->len, 14 + 20 + 8 + quote);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(ip[1], 0xc0);          /* precedence 6 (4.3.2.5) */
	assert_int_equal(get_be16(ip + 2), 28 + quote);
	assert_int_equal(get_be16(ip + 6) & 0xbfff, 0); /* not a fragment */
	assert_int_equal(ip[8], 64);
	assert_int_equal(ip[9], IPPROTO_ICMP);
	assert_int_equal(csum_ip4_header(ip, 20), 0);
	assert_memory_equal(ip + 12, &me.v4, 4);
	assert_memory_equal(ip + 16, orig->b + 14 + 12, 4); /* to the source */
	assert_int_equal(icmp[0], type);
	assert_int_equal(icmp[1], code);
	assert_true(h_l4_csum_ok(e));
	if (!(type == ICMP4_DEST_UNREACH && code == ICMP4_FRAG_NEEDED))
		assert_int_equal(get_be32(icmp + 4), 0); /* unused */
	/* the packet as it was received, TTL included */
	assert_memory_equal(icmp + 8, orig->b + 14, quote);
}

static void assert_icmp6_error(unsigned i, uint8_t type, uint8_t code,
			       uint32_t info, const struct hframe *orig,
			       uint32_t quote)
{
	const struct pkt *e = h_frame(p0, i);
	const uint8_t *ip = e->data + 14, *icmp = ip + 40;
	union pkt_addr me = A6("2001:db8:1::1");

	h_assert_eth(e, PEER0_MAC, P0_MAC, ETH_P_IP6);
	assert_int_equal(e->len, 14 + 40 + 8 + quote);
	assert_int_equal(get_be32(ip), 0x60000000u);
	assert_int_equal(get_be16(ip + 4), 8 + quote);
	assert_int_equal(ip[6], IPPROTO_ICMPV6);
	assert_int_equal(ip[7], 64);
	assert_memory_equal(ip + 8, me.v6, 16);
	assert_memory_equal(ip + 24, orig->b + 14 + 8, 16);
	assert_int_equal(icmp[0], type);
	assert_int_equal(icmp[1], code);
	assert_int_equal(get_be32(icmp + 4), info);
	assert_true(h_l4_csum_ok(e));
	assert_memory_equal(icmp + 8, orig->b + 14, quote);
}

/* ---- contents ------------------------------------------------------------ */

static void test_time_exceeded_v4(void **state)
{
	struct hframe f;

	(void)state;
	h_udp4(&f, "10.1.0.2", "10.3.0.5", 1, 72); /* 100 bytes of IP */
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 0);
	assert_int_equal(h_n(p0), 1);
	assert_icmp4_error(0, ICMP4_TIME_EXCEEDED, 0, &f, 100);
	assert_int_equal(h_rx_drops(p0, DROP_IP4_TTL_EXPIRED), 1);
	assert_int_equal(h_stats(p0).originated, 1);
	h_check_balance();
}

static void test_time_exceeded_ttl0(void **state)
{
	struct hframe f;

	(void)state;
	h_udp4(&f, "10.1.0.2", "10.3.0.5", 0, 10);
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 0);
	assert_int_equal(h_n(p0), 1);
	assert_icmp4_error(0, ICMP4_TIME_EXCEEDED, 0, &f, 38);
}

/* RFC 1812 4.3.2.3: as much of the original as fits in 576 bytes. */
static void test_error_quote_limit_v4(void **state)
{
	struct hframe f;

	(void)state;
	h_udp4(&f, "10.1.0.2", "10.3.0.5", 1, 1400);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	assert_icmp4_error(0, ICMP4_TIME_EXCEEDED, 0, &f, 576 - 28);
}

/* The quote includes IP options as received. */
static void test_error_quotes_options(void **state)
{
	static const uint8_t opts[8] = { 0x94, 0x04, 0, 0, 0x01, 0x01, 0x01, 0x00 };
	struct hframe f;
	struct ip4_spec s = { .src = "10.1.0.2", .dst = "10.3.0.5",
			      .proto = IPPROTO_UDP, .ttl = 1, .opts = opts,
			      .optlen = 8, .l4_len = 40 };

	(void)state;
	h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP4);
	h_ip4(&f, &s);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	assert_icmp4_error(0, ICMP4_TIME_EXCEEDED, 0, &f, 68);
}

static void test_net_unreachable_v4(void **state)
{
	struct hframe f;

	(void)state;
	h_udp4(&f, "10.1.0.2", "192.0.2.1", 64, 50);
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 0);
	assert_int_equal(h_n(p0), 1);
	assert_icmp4_error(0, ICMP4_DEST_UNREACH, ICMP4_NET_UNREACH, &f, 78);
	assert_int_equal(h_rx_drops(p0, DROP_IP4_NO_ROUTE), 1);
	h_check_balance();
}

static void test_time_exceeded_v6(void **state)
{
	struct hframe f;

	(void)state;
	h_udp6(&f, "2001:db8:1::2", "2001:db8:3::5", 1, 52);
	h_input(p0, &f);
	assert_int_equal(h_n(p1), 0);
	assert_int_equal(h_n(p0), 1);
	assert_icmp6_error(0, ICMP6_TIME_EXCEEDED, 0, 0, &f, 100);
	assert_int_equal(h_rx_drops(p0, DROP_IP6_HOPLIMIT_EXPIRED), 1);
	h_check_balance();
}

/* RFC 4443 2.4(c): the error must not exceed the minimum MTU 1280. */
static void test_error_quote_limit_v6(void **state)
{
	struct hframe f;

	(void)state;
	h_udp6(&f, "2001:db8:1::2", "2001:db8:3::5", 1, 1400);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	assert_icmp6_error(0, ICMP6_TIME_EXCEEDED, 0, 0, &f, 1280 - 48);
}

static void test_no_route_v6(void **state)
{
	struct hframe f;

	(void)state;
	h_udp6(&f, "2001:db8:1::2", "2001:db8:99::1", 64, 20);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	assert_icmp6_error(0, ICMP6_DEST_UNREACH, ICMP6_NO_ROUTE, 0, &f, 68);
	assert_int_equal(h_rx_drops(p0, DROP_IP6_NO_ROUTE), 1);
	h_check_balance();
}

/* ---- no-error rules, IPv4 (RFC 1812 4.3.2.7) ------------------------------ */

/* Input f and expect it dropped with reason r and no error sent. */
static void expect_silent_drop(const struct hframe *f, enum drop_reason r)
{
	uint64_t before = h_rx_drops(p0, r);

	h_input(p0, f);
	if (h_rx_drops(p0, r) != before + 1)
		fail_msg("expected a drop '%s'", drop_name(r));
	if (h_n(p0) || h_n(p1))
		fail_msg("expected no packet out, got %u on p0 (type %u), %u on p1",
			 h_n(p0), h_n(p0) ? h_frame(p0, 0)->data[14 + 20] : 0,
			 h_n(p1));
	h_check_balance();
}

static uint32_t mk_icmp4(struct hframe *f, uint8_t ttl, uint8_t type,
			 uint8_t code)
{
	struct ip4_spec s = { .src = "10.1.0.2", .dst = "10.3.0.5",
			      .proto = IPPROTO_ICMP, .ttl = ttl, .l4_len = 36 };
	uint32_t l3;

	h_eth(f, P0_MAC, PEER0_MAC, ETH_P_IP4);
	l3 = h_ip4(f, &s);
	f->b[l3 + 20] = type;
	f->b[l3 + 21] = code;
	h_l4_csum(f, l3);
	return l3;
}

/* No error about an ICMP error message (any of the error types)... */
static void test_no_error_about_icmp_error(void **state)
{
	static const uint8_t err_types[] = { ICMP4_DEST_UNREACH, 4, 5,
					     ICMP4_TIME_EXCEEDED,
					     ICMP4_PARAM_PROBLEM };
	struct hframe f;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(err_types); i++) {
		mk_icmp4(&f, 1, err_types[i], 0);
		expect_silent_drop(&f, DROP_IP4_TTL_EXPIRED);
	}
}

/* ...but an echo request is not an error: it gets time exceeded. */
static void test_error_about_icmp_echo(void **state)
{
	struct hframe f;

	(void)state;
	mk_icmp4(&f, 1, ICMP4_ECHO_REQUEST, 0);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	assert_icmp4_error(0, ICMP4_TIME_EXCEEDED, 0, &f, 56);
}

static void test_no_error_non_first_fragment(void **state)
{
	struct hframe f;
	struct ip4_spec s = { .src = "10.1.0.2", .dst = "10.3.0.5",
			      .proto = IPPROTO_UDP, .ttl = 1, .id = 3,
			      .frag = IP4_MF | 185, .l4_len = 100 };

	(void)state;
	h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP4);
	h_ip4(&f, &s);
	expect_silent_drop(&f, DROP_IP4_TTL_EXPIRED);
	/* the first fragment does get one */
	s.frag = IP4_MF;
	h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP4);
	h_ip4(&f, &s);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	assert_icmp4_error(0, ICMP4_TIME_EXCEEDED, 0, &f, 120);
}

/* Link-layer broadcast / multicast: no route, yet no error. */
static void test_no_error_l2_broadcast_multicast(void **state)
{
	static const uint8_t mc[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x05 };
	struct hframe f;

	(void)state;
	h_udp4(&f, "10.1.0.2", "192.0.2.1", 64, 20);
	memcpy(f.b, eth_bcast, 6);
	expect_silent_drop(&f, DROP_IP4_NO_ROUTE);
	h_udp4(&f, "10.1.0.2", "192.0.2.1", 64, 20);
	memcpy(f.b, mc, 6);
	expect_silent_drop(&f, DROP_IP4_NO_ROUTE);
}

/* IP broadcast and multicast destinations: no port unreachable. */
static void test_no_error_ip_broadcast_multicast(void **state)
{
	struct hframe f;

	(void)state;
	h_udp4(&f, "10.1.0.2", "255.255.255.255", 64, 20);
	expect_silent_drop(&f, DROP_L4_NO_LISTENER);
	h_udp4(&f, "10.1.0.2", "224.0.0.9", 64, 20);
	expect_silent_drop(&f, DROP_L4_NO_LISTENER);
}

/* A datagram whose source is a subnet broadcast address does not name a
 * single host: never an error about it (RFC 1812 4.3.2.7; RFC 1812 5.3.7
 * also says it should not be forwarded at all). */
static void test_no_error_broadcast_source(void **state)
{
	struct hframe f;

	(void)state;
	h_udp4(&f, "10.1.0.255", "10.3.0.5", 1, 20);
	h_input(p0, &f);
	if (h_n(p0))
		fail_msg("ICMP type %u sent to the broadcast source 10.1.0.255",
			 h_frame(p0, 0)->data[14 + 20]);
	assert_int_equal(h_n(p1), 0);
	h_check_balance();
}

/* A datagram to a directed broadcast address (10.2.0.255 on p1's subnet)
 * with TTL 1: no time exceeded (RFC 1812 4.3.2.7: destination is an IP
 * broadcast address). */
static void test_no_error_directed_broadcast_dst(void **state)
{
	struct hframe f;

	(void)state;
	h_udp4(&f, "10.1.0.2", "10.2.0.255", 1, 20);
	h_input(p0, &f);
	if (h_n(p0))
		fail_msg("ICMP type %u sent about a packet to 10.2.0.255",
			 h_frame(p0, 0)->data[14 + 20]);
	h_check_balance();
}

/* ---- no-error rules, IPv6 (RFC 4443 2.4(e)) ------------------------------- */

static uint32_t mk_icmp6(struct hframe *f, const char *dst, uint8_t hlim,
			 uint8_t type)
{
	struct ip6_spec s = { .src = "2001:db8:1::2", .dst = dst,
			      .nh = IPPROTO_ICMPV6, .hlim = hlim, .l4_len = 48 };
	uint32_t l3;

	h_eth(f, P0_MAC, PEER0_MAC, ETH_P_IP6);
	l3 = h_ip6(f, &s);
	f->b[l3 + 40] = type;
	f->b[l3 + 41] = 0;
	h_l4_csum(f, l3);
	return l3;
}

static void test_no_error_about_icmp6_error(void **state)
{
	static const uint8_t err_types[] = { ICMP6_DEST_UNREACH,
					     ICMP6_PKT_TOO_BIG,
					     ICMP6_TIME_EXCEEDED,
					     ICMP6_PARAM_PROB, 100 };
	struct hframe f;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(err_types); i++) {
		mk_icmp6(&f, "2001:db8:3::5", 1, err_types[i]);
		expect_silent_drop(&f, DROP_IP6_HOPLIMIT_EXPIRED);
	}
	/* an informational message does get one */
	mk_icmp6(&f, "2001:db8:3::5", 1, ICMP6_ECHO_REQUEST);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	assert_icmp6_error(0, ICMP6_TIME_EXCEEDED, 0, 0, &f, 88);
}

/* Multicast destination (group joined, nothing listening): no port
 * unreachable (RFC 4443 2.4(e.3)). */
static void test_no_error_v6_multicast(void **state)
{
	static const uint8_t mmac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	struct hframe f;

	(void)state;
	h_udp6(&f, "2001:db8:1::2", "ff02::1", 64, 20);
	memcpy(f.b, mmac, 6);
	expect_silent_drop(&f, DROP_L3_NOT_HANDLED);
}

/* ---- rate limiting ------------------------------------------------------- */

static unsigned send_expired4(unsigned n, const char *src)
{
	struct hframe f;
	unsigned before = h_n(p0);

	for (unsigned i = 0; i < n; i++) {
		h_udp4(&f, src, "10.3.0.5", 1, 20);
		h_input(p0, &f);
	}
	return h_n(p0) - before;
}

static void set_sysctl(const char *name, uint32_t v)
{
	const struct sysctl_var *s = sysctl_find(name);
	if (!s)
		fail_msg("no sysctl %s", name);
	sysctl_set(s, v);
}

/* Per destination: a burst, then one per net.ipv4.icmp_ratelimit ms. */
static void test_ratelimit_v4(void **state)
{
	unsigned burst;

	(void)state;
	set_sysctl("net.ipv4.icmp_ratelimit", 1000);
	h_neigh(p0, AF_INET, "10.1.0.3", PEER0_MAC);
	burst = send_expired4(20, "10.1.0.2");
	assert_true(burst >= 1);
	assert_true(burst < 20);
	/* nothing more at the same instant */
	assert_int_equal(send_expired4(5, "10.1.0.2"), 0);
	/* another destination has its own budget */
	assert_int_equal(send_expired4(1, "10.1.0.3"), 1);
	/* one interval later: exactly one more */
	tw.now_ms += 1000;
	assert_int_equal(send_expired4(5, "10.1.0.2"), 1);
	/* half an interval: none */
	tw.now_ms += 500;
	assert_int_equal(send_expired4(5, "10.1.0.2"), 0);
	/* the drops are counted whether or not an error was sent */
	assert_int_equal(h_rx_drops(p0, DROP_IP4_TTL_EXPIRED), 36);
	h_check_balance();
}

static void test_ratelimit_off(void **state)
{
	(void)state;
	set_sysctl("net.ipv4.icmp_ratelimit", 0);
	assert_int_equal(send_expired4(30, "10.1.0.2"), 30);
}

/* Frag needed is never rate limited (path MTU discovery). */
static void test_ratelimit_exempts_frag_needed(void **state)
{
	struct hframe f;
	struct ip4_spec s = { .src = "10.1.0.2", .dst = "10.4.0.5",
			      .proto = IPPROTO_UDP, .ttl = 64,
			      .frag = IP4_DF, .l4_len = 1430 };

	(void)state;
	set_sysctl("net.ipv4.icmp_ratelimit", 1000);
	for (unsigned i = 0; i < 20; i++) {
		h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP4);
		h_ip4(&f, &s);
		h_input(p0, &f);
	}
	assert_int_equal(h_n(p0), 20);
}

static void test_ratelimit_v6(void **state)
{
	struct hframe f;
	unsigned burst;

	(void)state;
	set_sysctl("net.ipv6.icmp.ratelimit", 1000);
	for (unsigned i = 0; i < 20; i++) {
		h_udp6(&f, "2001:db8:1::2", "2001:db8:3::5", 1, 20);
		h_input(p0, &f);
	}
	burst = h_n(p0);
	assert_true(burst >= 1);
	assert_true(burst < 20);
	tw.now_ms += 1000;
	h_input(p0, &f);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), burst + 1);
	/* packet too big is exempt */
	for (unsigned i = 0; i < 10; i++) {
		h_udp6(&f, "2001:db8:1::2", "2001:db8:4::5", 64, 1500);
		h_input(p0, &f);
	}
	assert_int_equal(h_n(p0), burst + 11);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, h_setup, h_teardown)
	const struct CMUnitTest tests[] = {
		T(test_time_exceeded_v4),
		T(test_time_exceeded_ttl0),
		T(test_error_quote_limit_v4),
		T(test_error_quotes_options),
		T(test_net_unreachable_v4),
		T(test_time_exceeded_v6),
		T(test_error_quote_limit_v6),
		T(test_no_route_v6),
		T(test_no_error_about_icmp_error),
		T(test_error_about_icmp_echo),
		T(test_no_error_non_first_fragment),
		T(test_no_error_l2_broadcast_multicast),
		T(test_no_error_ip_broadcast_multicast),
		T(test_no_error_broadcast_source),
		T(test_no_error_directed_broadcast_dst),
		T(test_no_error_about_icmp6_error),
		T(test_no_error_v6_multicast),
		T(test_ratelimit_v4),
		T(test_ratelimit_off),
		T(test_ratelimit_exempts_frag_needed),
		T(test_ratelimit_v6),
	};
#undef T
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	pkt_pool_thread_release();
	return rc;
}
