/* Unit tests for the pcap device (dev/pcap.c): frames written through one
 * device's tx_burst come back byte for byte through another device's
 * rx_burst; end of input; truncated records; argument and open errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pkt.h"
#include "dev/dev.h"
#include "dev/drivers.h"

static char dir[64];
static char path_a[128], path_b[128];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/usnet-pcapdev-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path_a, sizeof(path_a), "%s/a.pcap", dir);
	snprintf(path_b, sizeof(path_b), "%s/b.pcap", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(path_a);
	unlink(path_b);
	rmdir(dir);
	return 0;
}

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

/* create + register; fails the test if create fails. */
static struct dev *mk_dev(const char *name, int argc, char **argv)
{
	char err[256] = "";
	struct dev *d = pcap_driver.create(name, argc, argv, err);

	if (!d)
		fail_msg("create failed: %s", err);
	assert_int_equal(d->features, 0);
	assert_int_equal(dev_register(d), 0);
	return d;
}

static void open_ok(struct dev *d)
{
	char err[256] = "";
	int rc = dev_set_up(d, true, err);

	if (rc < 0)
		fail_msg("open failed: %s", err);
}

static struct pkt *mk_frame(uint32_t len, uint8_t seed)
{
	struct pkt *p = pkt_alloc(len);
	uint8_t *d;

	assert_non_null(p);
	d = pkt_put(p, len);
	for (uint32_t i = 0; i < len; i++)
		d[i] = (uint8_t)(seed + i * 13);
	return p;
}

static void check_frame(const struct pkt *p, uint32_t len, uint8_t seed)
{
	assert_true(pkt_is_linear(p));
	assert_int_equal(p->len, len);
	assert_int_equal(p->total_len, len);
	for (uint32_t i = 0; i < len; i++)
		if (p->data[i] != (uint8_t)(seed + i * 13))
			fail_msg("byte %u of a %u-byte frame differs", i, len);
}

static const uint32_t sizes[] = { 60, 1514, 9000 };

static void test_roundtrip(void **state)
{
	char *wargs[] = { "out", path_a };
	char *rargs[] = { "in", path_a };
	struct dev *w = mk_dev("pw", 2, wargs), *r;
	struct pkt *pk[4];
	struct dev_stats st;

	open_ok(w);
	/* nothing to read: done from the start */
	assert_true(w->ops->rx_done(w));
	assert_int_equal(w->ops->rx_fd(w), -1);
	for (unsigned i = 0; i < 3; i++)
		pk[i] = mk_frame(sizes[i], (uint8_t)i);
	/* a chained frame is written as its linear bytes */
	pk[3] = mk_frame(100, 3);
	pk[3]->next_seg = mk_frame(50, (uint8_t)(3 + 100 * 13));
	pk[3]->total_len = 150;
	assert_int_equal(w->ops->tx_burst(w, pk, 4), 4);
	dev_stats_sum(w, &st);
	assert_int_equal(st.tx_packets, 4);
	assert_int_equal(st.tx_bytes, 60 + 1514 + 9000 + 150);
	dev_unregister(w); /* closes: flushes the file */

	r = mk_dev("pr", 2, rargs);
	open_ok(r);
	assert_false(r->ops->rx_done(r));
	assert_int_equal(r->ops->rx_burst(r, pk, 2), 2);
	check_frame(pk[0], 60, 0);
	check_frame(pk[1], 1514, 1);
	assert_int_equal(pk[0]->in_ifindex, r->ifindex);
	assert_int_equal(pk[0]->csum, PKT_CSUM_NONE);
	pkt_free(pk[0]);
	pkt_free(pk[1]);
	assert_false(r->ops->rx_done(r));
	assert_int_equal(r->ops->rx_burst(r, pk, 4), 2);
	check_frame(pk[0], 9000, 2);
	check_frame(pk[1], 150, 3);
	pkt_free(pk[0]);
	pkt_free(pk[1]);
	assert_int_equal(r->ops->rx_burst(r, pk, 4), 0);
	assert_true(r->ops->rx_done(r));
	assert_int_equal(r->ops->rx_burst(r, pk, 4), 0);
	dev_stats_sum(r, &st);
	assert_int_equal(st.rx_packets, 4);
	assert_int_equal(st.rx_bytes, 60 + 1514 + 9000 + 150);

	/* down and up again replays the file from the start */
	char err[256];
	assert_int_equal(dev_set_up(r, false, err), 0);
	open_ok(r);
	assert_false(r->ops->rx_done(r));
	assert_int_equal(r->ops->rx_burst(r, pk, 1), 1);
	check_frame(pk[0], 60, 0);
	pkt_free(pk[0]);
	dev_unregister(r);
}

/* A file with one truncated record between two whole ones. */
static void write_truncated_file(const char *path)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
	pcap_dumper_t *dp = pcap_dump_open(dead, path);
	uint8_t buf[200];
	struct pcap_pkthdr h = { .caplen = 100, .len = 100 };

	assert_non_null(dp);
	memset(buf, 0x5a, sizeof(buf));
	pcap_dump((u_char *)dp, &h, buf);
	h.len = 200; /* captured 100 of 200 bytes */
	pcap_dump((u_char *)dp, &h, buf);
	h.len = 100;
	pcap_dump((u_char *)dp, &h, buf);
	pcap_dump_close(dp);
	pcap_close(dead);
}

static void test_truncated_record_dropped(void **state)
{
	char *rargs[] = { "in", path_b };
	struct pkt *pk[4];
	struct dev_stats st;
	struct dev *r;

	write_truncated_file(path_b);
	r = mk_dev("pt", 2, rargs);
	open_ok(r);
	assert_int_equal(r->ops->rx_burst(r, pk, 4), 2);
	pkt_free(pk[0]);
	pkt_free(pk[1]);
	assert_int_equal(r->ops->rx_burst(r, pk, 4), 0);
	assert_true(r->ops->rx_done(r));
	dev_stats_sum(r, &st);
	/* read = passed on + dropped */
	assert_int_equal(st.rx_packets, 3);
	assert_int_equal(st.rx_drops[DROP_RX_TRUNCATED], 1);
	dev_unregister(r);
}

static void test_no_files_is_sink(void **state)
{
	struct dev *d = mk_dev("ps", 0, NULL);
	struct pkt *p = mk_frame(64, 9);
	struct dev_stats st;

	open_ok(d);
	assert_true(d->ops->rx_done(d));
	assert_int_equal(d->ops->rx_burst(d, &p, 1), 0);
	assert_int_equal(d->ops->tx_burst(d, &p, 1), 1);
	dev_stats_sum(d, &st);
	assert_int_equal(st.tx_packets, 1);
	dev_unregister(d);
}

static void create_fails(int argc, char **argv, const char *want)
{
	char err[256] = "";
	struct dev *d = pcap_driver.create("px", argc, argv, err);

	assert_null(d);
	if (!strstr(err, want))
		fail_msg("error '%s' does not contain '%s'", err, want);
}

static void test_create_errors(void **state)
{
	char *a1[] = { "inn", "x.pcap" };
	char *a2[] = { "in" };
	char *a3[] = { "in", "same.pcap", "out", "same.pcap" };
	char *a4[] = { "in", "" };

	create_fails(2, a1, "pcap: unknown argument 'inn'");
	create_fails(1, a2, "pcap: 'in' needs a value");
	create_fails(4, a3, "same file");
	create_fails(2, a4, "invalid in file name");
	char err[256] = "";
	assert_null(pcap_driver.create("a-name-that-is-far-too-long", 0, NULL,
				       err));
	assert_non_null(strstr(err, "too long"));
}

static void open_fails(int argc, char **argv, const char *want)
{
	char err[256] = "";
	struct dev *d = mk_dev("po", argc, argv);

	assert_true(dev_set_up(d, true, err) < 0);
	if (!strstr(err, want))
		fail_msg("error '%s' does not contain '%s'", err, want);
	assert_false(d->admin_up);
	dev_unregister(d);
}

static void test_open_errors(void **state)
{
	char missing[160];
	char *a1[] = { "in", missing };
	char *a2[] = { "out", "/nonexistent-dir/x.pcap" };
	char *a3[] = { "in", path_b };
	pcap_t *dead;
	pcap_dumper_t *dp;

	snprintf(missing, sizeof(missing), "%s/missing.pcap", dir);
	open_fails(2, a1, "missing.pcap: No such file");
	open_fails(2, a2, "/nonexistent-dir/x.pcap");

	/* a raw-IP capture is not Ethernet */
	dead = pcap_open_dead(DLT_RAW, 65535);
	dp = pcap_dump_open(dead, path_b);
	assert_non_null(dp);
	pcap_dump_close(dp);
	pcap_close(dead);
	open_fails(2, a3, "is not Ethernet");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip, mark_pkts, check_no_leak),
		cmocka_unit_test_setup_teardown(test_truncated_record_dropped, mark_pkts, check_no_leak),
		cmocka_unit_test_setup_teardown(test_no_files_is_sink, mark_pkts, check_no_leak),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
