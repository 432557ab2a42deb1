/* Unit tests for the driver registry (dev/driver.c), the gen and null
 * drivers, and the argument checking of every driver's create(). Nothing
 * here needs privileges or changes the system. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "core/pkt.h"
#include "core/util.h"
#include "ctl/out.h"
#include "dev/dev.h"
#include "dev/drivers.h"
#include "offload/csum.h"

/* Leak check relative to the start of each test, so that a failed test
 * (which leaks what it held) does not fail the ones after it. */
static uint64_t pkts_at_start;

static int mark_pkts(void **state)
{
	pkts_at_start = pkt_pool_outstanding();
	return 0;
}

static int check_no_leak(void **state)
{
	assert_int_equal(pkt_pool_outstanding(), pkts_at_start);
	return 0;
}

static void test_registry(void **state)
{
	const char *kinds[] = { "af_packet", "tap", "pcap", "gen", "null" };
	const struct dev_driver *const *l = dev_driver_list();
	unsigned n = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(kinds); i++) {
		const struct dev_driver *d = dev_driver_find(kinds[i]);
		assert_non_null(d);
		assert_string_equal(d->kind, kinds[i]);
		assert_non_null(d->usage);
		assert_non_null(d->create);
	}
	assert_null(dev_driver_find("nope"));
	assert_null(dev_driver_find(""));
	/* every listed driver is complete, found by its kind, and unique */
	for (; l[n]; n++) {
		assert_non_null(l[n]->usage);
		assert_non_null(l[n]->create);
		assert_ptr_equal(dev_driver_find(l[n]->kind), l[n]);
		for (unsigned k = 0; k < n; k++)
			assert_string_not_equal(l[k]->kind, l[n]->kind);
	}
	assert_true(n >= ARRAY_SIZE(kinds));
}

static struct dev *create_ok(const char *kind, const char *name, int argc,
			     char **argv)
{
	char err[256] = "";
	struct dev *d = dev_driver_find(kind)->create(name, argc, argv, err);

	if (!d)
		fail_msg("%s create failed: %s", kind, err);
	assert_int_equal(dev_register(d), 0);
	return d;
}

static void create_fails(const char *kind, int argc, char **argv,
			 const char *want)
{
	char err[256] = "";
	struct dev *d = dev_driver_find(kind)->create("x0", argc, argv, err);

	assert_null(d);
	if (strcmp(err, want) != 0)
		fail_msg("error '%s', expected '%s'", err, want);
}

static void open_ok(struct dev *d)
{
	char err[256] = "";

	if (dev_set_up(d, true, err) < 0)
		fail_msg("open failed: %s", err);
}

static void check_describe(struct dev *d, const char *want)
{
	struct ctl_out o;

	out_init(&o, false);
	d->ops->describe(d, &o);
	assert_non_null(o.buf);
	assert_string_equal(o.buf, want);
	out_fini(&o);
}

/* UDP checksum of a frame verifies (sums to zero with the pseudo-header). */
static void check_udp_csum(const uint8_t *f, uint32_t len)
{
	uint32_t sum;

	if (get_be16(f + 12) == 0x0800) {
		const uint8_t *ip = f + 14;
		uint32_t s, d;
		memcpy(&s, ip + 12, 4);
		memcpy(&d, ip + 16, 4);
		assert_int_equal(csum_ip4_header(ip, 20), 0);
		assert_int_equal(get_be16(ip + 2), len - 14);
		sum = csum_pseudo4(s, d, 17, len - 34);
		sum = csum_partial(ip + 20, len - 34, sum);
	} else {
		const uint8_t *ip = f + 14;
		assert_int_equal(get_be16(ip + 4), len - 54);
		sum = csum_pseudo6(ip + 8, ip + 24, 17, len - 54);
		sum = csum_partial(ip + 40, len - 54, sum);
	}
	assert_int_equal(csum_finish(sum), 0);
}

static void test_gen_ip4(void **state)
{
	char *args[] = { "src", "10.1.0.2", "dst", "10.2.0.2", "size", "100",
			 "flows", "3", "count", "5", "proto", "udp" };
	struct dev *d = create_ok("gen", "g0", ARRAY_SIZE(args), args);
	struct pkt *pk[8];
	struct dev_stats st;

	open_ok(d);
	assert_int_equal(d->ops->rx_fd(d), -1);
	assert_false(d->ops->rx_done(d));
	assert_int_equal(d->ops->rx_burst(d, pk, 4), 4);
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *f = pk[i]->data;
		assert_int_equal(pk[i]->len, 100);
		assert_int_equal(pk[i]->in_ifindex, d->ifindex);
		assert_memory_equal(f, d->mac, 6); /* to us by default */
		assert_int_equal(get_be16(f + 12), 0x0800);
		assert_int_equal(get_be16(f + 34), 1024 + i % 3);
		check_udp_csum(f, 100);
		pkt_free(pk[i]);
	}
	assert_false(d->ops->rx_done(d));
	assert_int_equal(d->ops->rx_burst(d, pk, 8), 1); /* count 5 */
	pkt_free(pk[0]);
	assert_true(d->ops->rx_done(d));
	assert_int_equal(d->ops->rx_burst(d, pk, 8), 0);
	dev_stats_sum(d, &st);
	assert_int_equal(st.rx_packets, 5);
	assert_int_equal(st.rx_bytes, 500);
	dev_unregister(d);
}

static void test_gen_ip6_and_dst_mac(void **state)
{
	char *args[] = { "src", "2001:db8:1::2", "dst", "2001:db8:2::2",
			 "dst-mac", "02:00:00:00:00:aa", "flows", "1000" };
	const uint8_t want_mac[6] = { 2, 0, 0, 0, 0, 0xaa };
	struct dev *d = create_ok("gen", "g6", ARRAY_SIZE(args), args);
	struct pkt *pk[256];

	open_ok(d);
	assert_int_equal(d->ops->rx_burst(d, pk, 256), 256);
	for (unsigned i = 0; i < 256; i++) {
		const uint8_t *f = pk[i]->data;
		assert_int_equal(pk[i]->len, 64); /* default size */
		assert_memory_equal(f, want_mac, 6);
		assert_int_equal(get_be16(f + 12), 0x86dd);
		assert_int_equal(get_be16(f + 54), 1024 + i);
		check_udp_csum(f, 64);
		pkt_free(pk[i]);
	}
	assert_false(d->ops->rx_done(d)); /* no count: endless */
	dev_unregister(d);
}

static void test_gen_large_frame(void **state)
{
	char *args[] = { "src", "10.1.0.2", "dst", "10.2.0.2", "size",
			 "9014" };
	struct dev *d = create_ok("gen", "gj", ARRAY_SIZE(args), args);
	struct pkt *p;

	open_ok(d);
	assert_int_equal(d->ops->rx_burst(d, &p, 1), 1);
	assert_int_equal(p->len, 9014);
	check_udp_csum(p->data, 9014);
	pkt_free(p);
	dev_unregister(d);
}

static void test_gen_errors(void **state)
{
	char *a1[] = { "src", "10.1.0.2" };
	char *a2[] = { "src", "10.1.0.2", "dst", "2001:db8::1" };
	char *a3[] = { "src", "10.1.0.2", "dst", "10.2.0.2", "size", "40" };
	char *a4[] = { "src", "::1", "dst", "::2", "size", "60" };
	char *a5[] = { "src", "10.1.0.2", "dst", "10.2.0.2", "proto", "tcp" };
	char *a6[] = { "src", "10.1.0.300" };
	char *a7[] = { "src", "10.1.0.2", "dst", "10.2.0.2", "flows", "0" };
	char *a8[] = { "src", "10.1.0.2", "dst", "10.2.0.2", "bogus", "1" };
	char *a9[] = { "src", "10.1.0.2", "dst", "10.2.0.2", "dst-mac", "02:00" };
	char *a10[] = { "src", "10.1.0.2", "dst" };

	create_fails("gen", 2, a1, "gen: missing 'dst ADDR'");
	create_fails("gen", 0, NULL, "gen: missing 'src ADDR'");
	create_fails("gen", 4, a2,
		     "gen: src 10.1.0.2 and dst 2001:db8::1 are not of the same family");
	create_fails("gen", 6, a3,
		     "gen: invalid size '40' (expected 60..65549)");
	create_fails("gen", 6, a4,
		     "gen: size 60 is below the minimum 62 for this family");
	create_fails("gen", 6, a5, "gen: invalid proto 'tcp' (only udp)");
	create_fails("gen", 2, a6, "gen: invalid src address '10.1.0.300'");
	create_fails("gen", 6, a7, "gen: invalid flows '0' (expected 1..64512)");
	create_fails("gen", 6, a8, "gen: unknown argument 'bogus'");
	create_fails("gen", 6, a9,
		     "gen: invalid dst-mac '02:00' (expected aa:bb:cc:dd:ee:ff)");
	create_fails("gen", 3, a10, "gen: 'dst' needs a value");
}

static void test_null(void **state)
{
	char *none[] = { "features", "none" };
	char *bad[] = { "features", "some" };
	char *unk[] = { "foo" };
	struct dev *d = create_ok("null", "n0", 0, NULL);
	struct dev *z = create_ok("null", "n1", 2, none);
	struct pkt *pk[2] = { pkt_alloc(100), pkt_alloc(3000) };
	struct dev_stats st;

	assert_true(d->features & DEV_F_TSO4);
	assert_true(d->features & DEV_F_SG);
	assert_int_equal(z->features, 0);
	open_ok(d);
	pkt_put(pk[0], 100);
	pkt_put(pk[1], 3000);
	assert_int_equal(d->ops->tx_burst(d, pk, 2), 2);
	assert_int_equal(d->ops->rx_burst(d, pk, 2), 0);
	assert_true(d->ops->rx_done(d));
	dev_stats_sum(d, &st);
	assert_int_equal(st.tx_packets, 2);
	assert_int_equal(st.tx_bytes, 3100);
	create_fails("null", 2, bad,
		     "null: invalid features 'some' (expected all or none)");
	create_fails("null", 1, unk, "null: unknown argument 'foo'");
	dev_unregister(d);
	dev_unregister(z);
}

static void test_af_packet_args(void **state)
{
	char *ok[] = { "dev", "veth-nope9", "rx-frames", "16" };
	char *a1[] = { "foo" };
	char *a2[] = { "dev", "an-interface-name-too-long" };
	char *a3[] = { "dev", "va", "rx-frames", "0" };
	char *a4[] = { "dev", "a/b" };
	char *a5[] = { "rx-frames", "64" };
	char err[256] = "";
	struct dev *d;

	create_fails("af_packet", 0, NULL, "af_packet: missing 'dev IFNAME'");
	create_fails("af_packet", 1, a1, "af_packet: unknown argument 'foo'");
	create_fails("af_packet", 2, a2,
		     "af_packet: invalid dev 'an-interface-name-too-long' (1..15 characters, no '/', ':' or spaces)");
	create_fails("af_packet", 4, a3,
		     "af_packet: invalid rx-frames '0' (expected 1..4096)");
	create_fails("af_packet", 2, a4,
		     "af_packet: invalid dev 'a/b' (1..15 characters, no '/', ':' or spaces)");
	create_fails("af_packet", 2, a5, "af_packet: missing 'dev IFNAME'");

	d = create_ok("af_packet", "p0", 4, ok);
	/* TSO/USO only once open() has seen what the interface offloads */
	assert_int_equal(d->features, DEV_F_SG | DEV_F_CSUM | DEV_F_RXCSUM);
	/* open fails cleanly, whether for privileges or the missing device */
	assert_true(dev_set_up(d, true, err) < 0);
	assert_memory_equal(err, "af_packet: veth-nope9: ", 23);
	assert_false(d->admin_up);
	assert_int_equal(d->ops->rx_fd(d), -1);
	check_describe(d, " dev veth-nope9 rx-frames 30 tx-frames 75");
	dev_unregister(d);
}

static void test_tap_args(void **state)
{
	char *a1[] = { "name" };
	char *a2[] = { "name", "tap-name-too-long-x" };
	char *a3[] = { "nam", "t" };
	char *ok[] = { "name", "tapX" };
	struct dev *d;

	create_fails("tap", 1, a1, "tap: 'name' needs a value");
	create_fails("tap", 2, a2,
		     "tap: invalid name 'tap-name-too-long-x' (1..15 characters, no '/', ':' or spaces)");
	create_fails("tap", 2, a3, "tap: unknown argument 'nam'");
	d = create_ok("tap", "t0", 2, ok);
	assert_true(d->features & DEV_F_TSO4);
	assert_false(d->mac[0] & 1);
	assert_true(d->mac[0] & 2); /* locally administered, random */
	assert_int_equal(d->mtu, 1500);
	check_describe(d, " name tapX");
	dev_unregister(d);
	/* the kernel-side name defaults to the device name */
	d = create_ok("tap", "t1", 0, NULL);
	check_describe(d, " name t1");
	dev_unregister(d);
}

static void test_mac_parser(void **state)
{
	uint8_t m[6];
	char err[256];

	assert_int_equal(drv_parse_mac("k", "mac", "0A:bc:De:01:23:45", m, err),
			 0);
	assert_int_equal(m[0], 0x0a);
	assert_int_equal(m[5], 0x45);
	assert_int_equal(drv_parse_mac("k", "mac", "0a:bc:de:01:23:45:", m, err),
			 -1);
	assert_int_equal(drv_parse_mac("k", "mac", "0a:bc:de:01:23:4", m, err),
			 -1);
	assert_int_equal(drv_parse_mac("k", "mac", "0a-bc-de-01-23-45", m, err),
			 -1);
	assert_int_equal(drv_parse_mac("k", "mac", "", m, err), -1);
	assert_int_equal(drv_parse_mac("k", "mac", "g0:bc:de:01:23:45", m, err),
			 -1);
}

static void test_number_parser(void **state)
{
	uint64_t v;
	char err[256];

	assert_int_equal(drv_parse_u64("k", "n", "18446744073709551615", 0,
				       UINT64_MAX, &v, err),
			 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(drv_parse_u64("k", "n", "18446744073709551616", 0,
				       UINT64_MAX, &v, err),
			 -1);
	assert_int_equal(drv_parse_u64("k", "n", "-1", 0, 10, &v, err), -1);
	assert_int_equal(drv_parse_u64("k", "n", " 1", 0, 10, &v, err), -1);
	assert_int_equal(drv_parse_u64("k", "n", "1x", 0, 10, &v, err), -1);
	assert_int_equal(drv_parse_u64("k", "n", "11", 0, 10, &v, err), -1);
	assert_string_equal(err, "k: invalid n '11' (expected 0..10)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test_setup_teardown(test_gen_ip4, mark_pkts, check_no_leak),
		cmocka_unit_test_setup_teardown(test_gen_ip6_and_dst_mac, mark_pkts, check_no_leak),
		cmocka_unit_test_setup_teardown(test_gen_large_frame, mark_pkts, check_no_leak),
		cmocka_unit_test(test_gen_errors),
		cmocka_unit_test_setup_teardown(test_null, mark_pkts, check_no_leak),
		cmocka_unit_test(test_af_packet_args),
		cmocka_unit_test(test_tap_args),
		cmocka_unit_test(test_mac_parser),
		cmocka_unit_test(test_number_parser),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
