/* Unit tests for the bridge (src/l2/bridge.c): frames in on capture ports
 * whose tx_burst records what leaves, through the real Ethernet input and
 * the real command grammar. Learning, flooding, no hairpin, aging with a
 * fake clock, static entries, VLAN ingress/egress rules, br0 as an L3
 * interface (ARP, ping), checksum/GSO state kept across the bridge, port
 * release, and packet conservation on every device after every test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../ctl/json_check.h"
#include "core/util.h"
#include "core/worker.h"
#include "ctl/cmd.h"
#include "ctl/out.h"
#include "dev/dev.h"
#include "fib/fib.h"
#include "l2/bridge.h"
#include "l2/eth.h"
#include "l2/neigh.h"
#include "offload/csum.h"

#define CAP_MAX 64u
#define T0 1000000ull           /* fake clock start, ms */
#define ETH_P_TEST 0x88b5u      /* local experimental ethertype */

struct cap {
	unsigned n;
	struct pkt *f[CAP_MAX];
};

static uint16_t cap_tx(struct dev *d, struct pkt **pkts, uint16_t n)
{
	struct cap *c = d->priv;

	for (uint16_t i = 0; i < n; i++) {
		struct dev_stats *s = dev_stats_here(d);
		s->tx_packets++;
		s->tx_bytes += pkts[i]->total_len;
		if (c->n < CAP_MAX)
			c->f[c->n++] = pkts[i];
		else
			pkt_free(pkts[i]);
	}
	return n;
}

static const struct dev_ops cap_ops = { .kind = "cap", .tx_burst = cap_tx };

#define ALL_FEATURES                                                           \
	(DEV_F_SG | DEV_F_CSUM | DEV_F_TSO4 | DEV_F_TSO6 | DEV_F_USO |         \
	 DEV_F_FRAGLIST)

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static const uint8_t MAC_C[6] = { 0x02, 0, 0, 0, 0, 0x0c };
static const uint8_t BR_MAC[6] = { 0x02, 0, 0, 0, 0xbb, 0x01 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct dev *p1, *p2, *p3, *br;
static struct worker tw;
static uint64_t outstanding;

/* ---- helpers ------------------------------------------------------------ */

static int run_rc(const char *line, char *err)
{
	struct ctl_out o;
	int rc;

	out_init(&o, false);
	rc = ctl_exec_line(line, &o, err);
	out_fini(&o);
	return rc;
}

static void ok(const char *line)
{
	char err[256] = "";

	if (run_rc(line, err) != 0)
		fail_msg("'%s' failed: %s", line, err);
}

/* A command that must fail with an error containing `want`. */
static void bad(const char *line, const char *want)
{
	char err[256] = "";

	if (run_rc(line, err) == 0)
		fail_msg("'%s' succeeded", line);
	if (!strstr(err, want))
		fail_msg("'%s': error '%s' lacks '%s'", line, err, want);
}

/* Output of a command (caller frees); JSON is checked for validity. */
static char *out_of(const char *line, bool json)
{
	struct ctl_out o;
	char err[256] = "";
	char *s;

	out_init(&o, json);
	if (ctl_exec_line(line, &o, err) != 0)
		fail_msg("'%s' failed: %s", line, err);
	s = strdup(o.buf ? o.buf : "");
	out_fini(&o);
	if (json && s[0] && !json_valid(s))
		fail_msg("'%s' printed invalid JSON: %s", line, s);
	return s;
}

static struct dev *cap_dev(const char *name, uint32_t features)
{
	struct dev *d = dev_alloc(name, &cap_ops, sizeof(struct cap));
	char err[256];

	assert_non_null(d);
	d->features = features;
	assert_int_equal(dev_register(d), 0);
	assert_int_equal(dev_set_up(d, true, err), 0);
	return d;
}

static unsigned ncap(struct dev *d)
{
	return ((struct cap *)d->priv)->n;
}

static struct pkt *capf(struct dev *d, unsigned i)
{
	struct cap *c = d->priv;

	if (i >= c->n)
		fail_msg("%s: frame %u asked, %u captured", d->name, i, c->n);
	return c->f[i];
}

static void cap_clear(struct dev *d)
{
	struct cap *c = d->priv;

	for (unsigned i = 0; i < c->n; i++)
		pkt_free(c->f[i]);
	c->n = 0;
}

static void cap_clear_all(void)
{
	cap_clear(p1);
	cap_clear(p2);
	cap_clear(p3);
}

/* A frame dst <- src, 802.1Q-tagged with vid unless vid < 0. */
static struct pkt *frame(const uint8_t dst[6], const uint8_t src[6], int vid,
			 uint16_t type, uint32_t plen)
{
	uint32_t hl = ETH_HLEN + (vid >= 0 ? 4 : 0);
	struct pkt *p = pkt_alloc(hl + plen);
	uint8_t *b;

	assert_non_null(p);
	b = pkt_put(p, hl + plen);
	assert_non_null(b);
	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	if (vid >= 0) {
		put_be16(b + 12, ETH_P_8021Q);
		put_be16(b + 14, (uint16_t)vid);
	}
	put_be16(b + hl - 2, type);
	for (uint32_t i = 0; i < plen; i++)
		b[hl + i] = (uint8_t)(i * 7 + 1);
	return p;
}

/* Receive p on port as its driver would (counted), run the pipeline and
 * flush what it staged. */
static void rx(struct dev *port, struct pkt *p)
{
	struct pkt_vec v;
	struct dev_stats *s = dev_stats_here(port);

	s->rx_packets++;
	s->rx_bytes += p->total_len;
	p->in_ifindex = port->ifindex;
	v.n = 1;
	v.p[0] = p;
	worker_input(&tw, &v);
	worker_tx_flush(&tw);
}

static void rx_test(struct dev *port, const uint8_t dst[6],
		    const uint8_t src[6], int vid)
{
	rx(port, frame(dst, src, vid, ETH_P_TEST, 46));
}

static struct dev_stats stats(struct dev *d)
{
	struct dev_stats s;

	dev_stats_sum(d, &s);
	return s;
}

static uint64_t rx_drops(struct dev *d, enum drop_reason r)
{
	return stats(d).rx_drops[r];
}

/* Tag of a captured frame: its VID, or -1 when untagged. */
static int tag_of(const struct pkt *p)
{
	if (get_be16(p->data + 12) != ETH_P_8021Q)
		return -1;
	return get_be16(p->data + 14) & 0xfff;
}

/* rx = forwarded + delivered + to_upper + drops; fwd_in + originated +
 * split_extra = tx + drops, on every device. */
static void check_conservation(void)
{
	for (struct dev *d = dev_next(NULL); d; d = dev_next(d)) {
		struct dev_stats s = stats(d);
		uint64_t rxd = 0, txd = 0;
		for (unsigned r = 0; r < DROP_MAX; r++) {
			rxd += s.rx_drops[r];
			txd += s.tx_drops[r];
		}
		if (s.rx_packets != s.forwarded + s.delivered + s.to_upper + rxd)
			fail_msg("%s rx: %llu != fwd %llu + delivered %llu + to_upper %llu + drops %llu",
				 d->name, (unsigned long long)s.rx_packets,
				 (unsigned long long)s.forwarded,
				 (unsigned long long)s.delivered,
				 (unsigned long long)s.to_upper,
				 (unsigned long long)rxd);
		if (s.fwd_in + s.originated + s.split_extra != s.tx_packets + txd)
			fail_msg("%s tx: fwd_in %llu + orig %llu + split %llu != tx %llu + drops %llu",
				 d->name, (unsigned long long)s.fwd_in,
				 (unsigned long long)s.originated,
				 (unsigned long long)s.split_extra,
				 (unsigned long long)s.tx_packets,
				 (unsigned long long)txd);
	}
}

static uint32_t fdb_port(const uint8_t mac[6], uint16_t vid)
{
	return bridge_fdb_port(br, mac, vid);
}

/* ---- fixture ------------------------------------------------------------- */

static int setup_with(const char *br_args)
{
	char line[256], err[256];

	outstanding = pkt_pool_outstanding();
	assert_int_equal(fib_init(), 0);
	assert_int_equal(neigh_init(), 0);
	p1 = cap_dev("p1", ALL_FEATURES);
	p2 = cap_dev("p2", ALL_FEATURES);
	p3 = cap_dev("p3", ALL_FEATURES);
	snprintf(line, sizeof(line), "link add br0 type bridge %s", br_args);
	ok(line);
	br = dev_by_name("br0");
	assert_non_null(br);
	assert_int_equal(dev_set_mac(br, BR_MAC, err), 0);
	ok("link set p1 master br0");
	ok("link set p2 master br0");
	ok("link set p3 master br0");
	ok("link set br0 up");
	worker_ctx_init(&tw, WORKER_CTL_SLOT);
	tw.now_ms = T0;
	worker_tx_flush(worker_ctl());
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_with("");
}

static int setup_vlan(void **state)
{
	(void)state;
	return setup_with("vlan_filtering 1");
}

static int teardown(void **state)
{
	(void)state;
	check_conservation();
	worker_tx_flush(&tw);
	worker_tx_flush(worker_ctl());
	worker_ctx_fini(&tw);
	cap_clear_all();
	if (dev_by_name("br0"))
		ok("link del br0");
	assert_null(p1->rx_handler);
	assert_null(p1->master);
	neigh_fini();
	dev_unregister(p1);
	dev_unregister(p2);
	dev_unregister(p3);
	fib_fini();
	worker_ctx_fini(worker_ctl());
	assert_int_equal(pkt_pool_outstanding(), outstanding);
	return 0;
}

/* ---- tests ---------------------------------------------------------------- */

/* Unknown unicast floods to the other ports and teaches the source; the
 * answer then goes to exactly one port, and so does the next frame. */
static void test_learn_and_forward(void **state)
{
	(void)state;
	rx_test(p1, MAC_B, MAC_A, -1);
	assert_int_equal(ncap(p1), 0);
	assert_int_equal(ncap(p2), 1);
	assert_int_equal(ncap(p3), 1);
	assert_int_equal(fdb_port(MAC_A, 0), p1->ifindex);
	assert_int_equal(memcmp(capf(p2, 0)->data, MAC_B, 6), 0);
	assert_int_equal(capf(p2, 0)->total_len, ETH_HLEN + 46);
	cap_clear_all();

	rx_test(p2, MAC_A, MAC_B, -1);
	assert_int_equal(ncap(p1), 1);
	assert_int_equal(ncap(p2), 0);
	assert_int_equal(ncap(p3), 0);
	assert_int_equal(fdb_port(MAC_B, 0), p2->ifindex);
	cap_clear_all();

	rx_test(p1, MAC_B, MAC_A, -1);
	assert_int_equal(ncap(p2), 1);
	assert_int_equal(ncap(p3), 0);
	assert_int_equal(bridge_fdb_count(br), 2);
	/* one forwarded per received frame on the ingress ports */
	assert_int_equal(stats(p1).forwarded, 2);
	assert_int_equal(stats(p2).forwarded, 1);
	assert_int_equal(stats(p3).fwd_in, 1);

	/* a station that moves is learnt on its new port */
	rx_test(p3, MAC_C, MAC_A, -1);
	assert_int_equal(fdb_port(MAC_A, 0), p3->ifindex);
}

/* Broadcast goes to every other port and up to br0, never back. */
static void test_flood_broadcast(void **state)
{
	uint64_t br_rx = stats(br).rx_packets;

	(void)state;
	rx_test(p2, BCAST, MAC_B, -1);
	assert_int_equal(ncap(p1), 1);
	assert_int_equal(ncap(p2), 0);
	assert_int_equal(ncap(p3), 1);
	assert_int_equal(stats(br).rx_packets, br_rx + 1);
	assert_int_equal(stats(p2).to_upper, 1);
	assert_int_equal(stats(p2).forwarded, 0);
	/* br0 dropped it (unknown ethertype), counted there */
	assert_int_equal(rx_drops(br, DROP_ETH_UNKNOWN_PROTO), 1);

	/* the copies are the frame, byte for byte */
	assert_int_equal(capf(p1, 0)->total_len, ETH_HLEN + 46);
	assert_int_equal(memcmp(capf(p1, 0)->data, capf(p3, 0)->data,
				ETH_HLEN + 46), 0);

	/* bridge group addresses (STP) are not forwarded */
	{
		static const uint8_t stp[6] = { 0x01, 0x80, 0xc2, 0, 0, 0 };
		cap_clear_all();
		rx_test(p1, stp, MAC_A, -1);
		assert_int_equal(ncap(p2) + ncap(p3), 0);
		assert_int_equal(stats(br).rx_packets, br_rx + 2);
	}

	/* a multicast source is invalid */
	rx_test(p1, MAC_B, BCAST, -1);
	assert_int_equal(rx_drops(p1, DROP_ETH_BAD_SRC), 1);
}

/* No hairpin: a frame for a station behind its own ingress port goes
 * nowhere; with a single port, a flood has nowhere to go. */
static void test_no_hairpin(void **state)
{
	(void)state;
	rx_test(p1, MAC_B, MAC_A, -1);   /* learn A on p1 */
	cap_clear_all();
	rx_test(p1, MAC_A, MAC_C, -1);   /* C -> A, both behind p1 */
	assert_int_equal(ncap(p1) + ncap(p2) + ncap(p3), 0);
	assert_int_equal(rx_drops(p1, DROP_BR_SAME_PORT), 1);

	ok("link set p2 nomaster");
	ok("link set p3 nomaster");
	rx_test(p1, MAC_B, MAC_A, -1);
	assert_int_equal(ncap(p1) + ncap(p2) + ncap(p3), 0);
	assert_int_equal(rx_drops(p1, DROP_BR_NO_PORT), 1);
	/* released ports are plain devices again */
	assert_null(p2->rx_handler);
	assert_null(p2->master);
}

/* Learned entries age out after ageing_time (fake clock); static ones stay;
 * traffic refreshes an entry. */
static void test_aging(void **state)
{
	(void)state;
	ok("bridge set dev br0 ageing_time 10");
	ok("fdb add 02:00:00:00:00:0c dev p3 static");
	rx_test(p1, MAC_B, MAC_A, -1);
	tw.now_ms = T0 + 5000;
	rx_test(p2, MAC_A, MAC_B, -1);
	assert_int_equal(bridge_fdb_count(br), 3);

	bridge_timer(T0 + 9900);
	assert_int_equal(fdb_port(MAC_A, 0), p1->ifindex);
	bridge_timer(T0 + 10000);
	assert_int_equal(fdb_port(MAC_A, 0), 0);
	assert_int_equal(fdb_port(MAC_B, 0), p2->ifindex);
	assert_int_equal(fdb_port(MAC_C, 0), p3->ifindex);

	/* B keeps talking: refreshed, so it outlives its first deadline */
	tw.now_ms = T0 + 14000;
	rx_test(p2, MAC_C, MAC_B, -1);
	bridge_timer(T0 + 16000);
	assert_int_equal(fdb_port(MAC_B, 0), p2->ifindex);
	bridge_timer(T0 + 24000);
	assert_int_equal(fdb_port(MAC_B, 0), 0);
	bridge_timer(T0 + 10000000);
	assert_int_equal(fdb_port(MAC_C, 0), p3->ifindex);
	assert_int_equal(bridge_fdb_count(br), 1);

	bad("bridge set dev br0 ageing_time 0", "ageing_time '0'");
	bad("bridge set dev p1 ageing_time 5", "not a bridge");
}

/* Static entries: forward without learning, never move, fdb del/replace,
 * show (text and JSON), and bad commands change nothing. */
static void test_static_entries(void **state)
{
	char *s;

	(void)state;
	ok("fdb add 02:00:00:00:00:0b dev p2 master static");
	rx_test(p1, MAC_B, MAC_A, -1);
	assert_int_equal(ncap(p2), 1);
	assert_int_equal(ncap(p3), 0);

	/* B shows up on p3: a static entry does not move */
	rx_test(p3, MAC_A, MAC_B, -1);
	assert_int_equal(fdb_port(MAC_B, 0), p2->ifindex);

	s = out_of("fdb show br br0", false);
	assert_non_null(strstr(s, "02:00:00:00:00:0b dev p2 master br0 static"));
	assert_non_null(strstr(s, "02:00:00:00:00:0a dev p1 master br0\n"));
	assert_non_null(strstr(s, "02:00:00:00:bb:01 dev br0 master br0 permanent"));
	free(s);
	s = out_of("fdb show dev p2", true);
	assert_non_null(strstr(s, "\"mac\":\"02:00:00:00:00:0b\""));
	assert_non_null(strstr(s, "\"state\":\"static\""));
	assert_null(strstr(s, "02:00:00:00:00:0a"));
	free(s);

	bad("fdb add 02:00:00:00:00:0b dev p3", "already exists");
	bad("fdb add 01:00:5e:00:00:01 dev p3", "not a unicast");
	bad("fdb add 02:00:00:00:00:0z dev p3", "invalid MAC address '02:00:00:00:00:0z'");
	bad("fdb add 02:00:00:00:00:0d dev nosuch", "unknown device 'nosuch'");
	bad("fdb add 02:00:00:00:00:0d dev p3 vlan 4095", "invalid vlan '4095'");
	bad("fdb add 02:00:00:00:00:0d dev p3 bogus", "unknown argument 'bogus'");
	bad("fdb add 02:00:00:00:00:0d", "missing 'dev NAME'");
	bad("fdb del 02:00:00:00:00:0d dev p3", "no entry");
	bad("fdb frob", "unknown verb 'frob'");
	assert_int_equal(bridge_fdb_count(br), 2);
	assert_int_equal(fdb_port(MAC_B, 0), p2->ifindex);

	ok("fdb replace 02:00:00:00:00:0b dev p3");
	assert_int_equal(fdb_port(MAC_B, 0), p3->ifindex);
	/* a learned entry becomes static when added */
	ok("fdb add 02:00:00:00:00:0a dev p2");
	assert_int_equal(fdb_port(MAC_A, 0), p2->ifindex);
	rx_test(p1, MAC_C, MAC_A, -1);
	assert_int_equal(fdb_port(MAC_A, 0), p2->ifindex);

	ok("fdb del 02:00:00:00:00:0b dev p3");
	assert_int_equal(fdb_port(MAC_B, 0), 0);
	/* a local entry: frames to that MAC go up to br0 */
	ok("fdb add 02:00:00:00:00:0d dev br0");
	{
		static const uint8_t d[6] = { 0x02, 0, 0, 0, 0, 0x0d };
		uint64_t up = stats(br).rx_packets;
		cap_clear_all();
		rx_test(p1, d, MAC_C, -1);
		assert_int_equal(ncap(p2) + ncap(p3), 0);
		assert_int_equal(stats(br).rx_packets, up + 1);
	}
	/* flush removes learned entries only */
	ok("fdb flush br br0");
	assert_int_equal(fdb_port(MAC_C, 0), 0);
	assert_int_equal(fdb_port(MAC_A, 0), p2->ifindex);
	bad("fdb flush br p1", "not a bridge");
}

/* VLAN filtering: PVID for untagged ingress, membership for tagged ingress,
 * tag/untag on egress per port, and delivery to br0 by its own VLANs. */
static void test_vlan_rules(void **state)
{
	char *s;

	(void)state;
	/* p1: 10 pvid untagged; p2: 10 and 20 tagged; p3: 20 pvid untagged */
	ok("bridge vlan del dev p1 vid 1");
	ok("bridge vlan del dev p2 vid 1");
	ok("bridge vlan del dev p3 vid 1");
	ok("bridge vlan add dev p1 vid 10 pvid untagged");
	ok("bridge vlan add dev p2 vid 10");
	ok("bridge vlan add dev p2 vid 20");
	ok("bridge vlan add dev p3 vid 20 pvid untagged");

	/* untagged from p1 = VLAN 10: to p2 tagged 10, not to p3 */
	rx_test(p1, BCAST, MAC_A, -1);
	assert_int_equal(ncap(p2), 1);
	assert_int_equal(ncap(p3), 0);
	assert_int_equal(tag_of(capf(p2, 0)), 10);
	assert_int_equal(capf(p2, 0)->total_len, ETH_HLEN + 4 + 46);
	assert_int_equal(get_be16(capf(p2, 0)->data + 16), ETH_P_TEST);
	assert_int_equal(fdb_port(MAC_A, 10), p1->ifindex);
	assert_int_equal(fdb_port(MAC_A, 0), 0);
	cap_clear_all();

	/* tagged 10 from p2 to A: leaves p1 untagged */
	rx_test(p2, MAC_A, MAC_B, 10);
	assert_int_equal(ncap(p1), 1);
	assert_int_equal(tag_of(capf(p1, 0)), -1);
	assert_int_equal(capf(p1, 0)->total_len, ETH_HLEN + 46);
	assert_int_equal(memcmp(capf(p1, 0)->data + 6, MAC_B, 6), 0);
	assert_int_equal(get_be16(capf(p1, 0)->data + 12), ETH_P_TEST);
	cap_clear_all();

	/* tagged 20 from p2: only p3, untagged */
	rx_test(p2, BCAST, MAC_B, 20);
	assert_int_equal(ncap(p1), 0);
	assert_int_equal(ncap(p3), 1);
	assert_int_equal(tag_of(capf(p3, 0)), -1);
	cap_clear_all();

	/* not a member: tagged 30 on p2, tagged 20 on p1 */
	rx_test(p2, BCAST, MAC_B, 30);
	rx_test(p1, BCAST, MAC_A, 20);
	assert_int_equal(ncap(p1) + ncap(p2) + ncap(p3), 0);
	assert_int_equal(rx_drops(p2, DROP_BR_VLAN_FILTERED), 1);
	assert_int_equal(rx_drops(p1, DROP_BR_VLAN_FILTERED), 1);

	/* untagged on a port without PVID */
	rx_test(p2, BCAST, MAC_B, -1);
	assert_int_equal(rx_drops(p2, DROP_BR_VLAN_FILTERED), 2);

	/* priority-tagged (VID 0) counts as untagged: PVID 10 */
	rx_test(p1, BCAST, MAC_A, 0);
	assert_int_equal(ncap(p2), 1);
	assert_int_equal(tag_of(capf(p2, 0)), 10);
	assert_int_equal(capf(p2, 0)->total_len, ETH_HLEN + 4 + 46);
	cap_clear_all();

	/* same MAC in two VLANs: two entries */
	rx_test(p2, BCAST, MAC_C, 10);
	rx_test(p3, BCAST, MAC_C, -1);
	assert_int_equal(fdb_port(MAC_C, 10), p2->ifindex);
	assert_int_equal(fdb_port(MAC_C, 20), p3->ifindex);
	cap_clear_all();

	/* known unicast into a VLAN the target port lacks */
	ok("fdb add 02:00:00:00:00:0b dev p3 vlan 20");
	rx_test(p1, MAC_B, MAC_A, -1); /* VLAN 10: no entry for B -> flood */
	assert_int_equal(ncap(p3), 0);
	assert_int_equal(ncap(p2), 1);
	cap_clear_all();

	s = out_of("bridge vlan show", false);
	assert_non_null(strstr(s, "p1               10 PVID Egress Untagged"));
	assert_non_null(strstr(s, "p2               10\n                 20\n"));
	free(s);
	s = out_of("bridge vlan show dev p3", true);
	assert_non_null(strstr(s, "\"ifname\":\"p3\""));
	assert_non_null(strstr(s, "{\"vlan\":20,\"flags\":[\"PVID\",\"Egress Untagged\"]}"));
	free(s);

	bad("bridge vlan add dev p1 vid 4095", "invalid vid '4095'");
	bad("bridge vlan add dev p1 vid 5-3", "end below start");
	bad("bridge vlan add dev p1 vid 5-7 pvid", "single vid");
	bad("bridge vlan del dev p1 vid 11", "vlan 11 is not configured on p1");
	bad("bridge vlan add vid 5", "missing 'dev NAME'");
	bad("bridge vlan add dev p1", "missing 'vid N'");
	bad("fdb add 02:00:00:00:00:0d dev p1 vlan 20", "vlan 20 is not configured on p1");
	bad("bridge frob", "unknown object 'frob'");

	/* ranges */
	ok("bridge vlan add dev p1 vid 100-103");
	s = out_of("bridge vlan show dev p1", false);
	assert_non_null(strstr(s, "100\n                 101\n                 102\n                 103\n"));
	free(s);
	ok("bridge vlan del dev p1 vid 100-103");

	/* removing a VLAN forgets what was learnt in it */
	ok("bridge vlan del dev p2 vid 10");
	assert_int_equal(fdb_port(MAC_C, 10), 0);
}

/* br0 in VLAN 10 only: broadcast of VLAN 10 reaches it tagged or untagged
 * according to its own membership; VLAN 20 does not. */
static void test_vlan_self(void **state)
{
	uint64_t up;

	(void)state;
	ok("bridge vlan del dev br0 vid 1 self");
	ok("bridge vlan add dev br0 vid 10 pvid untagged self");
	ok("bridge vlan add dev p1 vid 10");
	ok("bridge vlan add dev p1 vid 20");

	up = stats(br).rx_packets;
	rx_test(p1, BCAST, MAC_A, 20);
	assert_int_equal(stats(br).rx_packets, up);
	rx_test(p1, BR_MAC, MAC_A, 20);
	assert_int_equal(stats(br).rx_packets, up);
	assert_int_equal(rx_drops(p1, DROP_BR_VLAN_FILTERED), 1);
	rx_test(p1, BR_MAC, MAC_A, 10);
	assert_int_equal(stats(br).rx_packets, up + 1);
	/* reached br0 without its tag: dropped there for its ethertype */
	assert_int_equal(rx_drops(br, DROP_ETH_UNKNOWN_PROTO), 1);

	/* tagged on br0 (10 not untagged): arrives with its tag, and br0 has
	 * no VLAN device for it */
	ok("bridge vlan add dev br0 vid 10 self");
	rx_test(p1, BR_MAC, MAC_A, 10);
	assert_int_equal(rx_drops(br, DROP_ETH_VLAN_NO_DEV), 1);
}

/* ARP and ping to an address on br0: replies leave through the learnt
 * port only; br0's own broadcast (ARP request) floods. */
static void test_l3_on_bridge(void **state)
{
	uint8_t *b, icmp_sum_bytes[2];
	struct pkt *p;
	uint32_t sum;

	(void)state;
	ok("addr add 10.0.0.1/24 dev br0");
	/* its gratuitous ARP floods to every port */
	worker_tx_flush(worker_ctl());
	assert_true(ncap(p1) == ncap(p2) && ncap(p2) == ncap(p3));
	cap_clear_all();

	/* ARP who-has 10.0.0.1 tell 10.0.0.2 (A on p1) */
	p = frame(BCAST, MAC_A, -1, ETH_P_ARP, 28);
	b = p->data + ETH_HLEN;
	memcpy(b, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	memcpy(b + 8, MAC_A, 6);
	memcpy(b + 14, "\x0a\x00\x00\x02", 4);
	memset(b + 18, 0, 6);
	memcpy(b + 24, "\x0a\x00\x00\x01", 4);
	rx(p1, p);
	/* request flooded to p2, p3; reply on p1 only */
	assert_int_equal(ncap(p2), 1);
	assert_int_equal(ncap(p3), 1);
	assert_int_equal(ncap(p1), 1);
	p = capf(p1, 0);
	assert_int_equal(memcmp(p->data, MAC_A, 6), 0);
	assert_int_equal(memcmp(p->data + 6, BR_MAC, 6), 0);
	assert_int_equal(get_be16(p->data + 12), ETH_P_ARP);
	assert_int_equal(get_be16(p->data + ETH_HLEN + 6), 2);
	cap_clear_all();

	/* echo request 10.0.0.2 -> 10.0.0.1 */
	p = frame(BR_MAC, MAC_A, -1, ETH_P_IP4, 20 + 16);
	b = p->data + ETH_HLEN;
	memset(b, 0, 36);
	b[0] = 0x45;
	put_be16(b + 2, 36);
	b[8] = 64;
	b[9] = IPPROTO_ICMP;
	memcpy(b + 12, "\x0a\x00\x00\x02\x0a\x00\x00\x01", 8);
	put_be16(b + 10, csum_ip4_header(b, 20));
	b[20] = 8; /* echo request */
	put_be16(b + 24, 0x1234);
	put_be16(b + 26, 1);
	sum = csum_partial(b + 20, 16, 0);
	put_be16(icmp_sum_bytes, csum_finish(sum));
	memcpy(b + 22, icmp_sum_bytes, 2);
	rx(p1, p);
	assert_int_equal(ncap(p1), 1);
	assert_int_equal(ncap(p2) + ncap(p3), 0);
	p = capf(p1, 0);
	assert_int_equal(memcmp(p->data, MAC_A, 6), 0);
	assert_int_equal(p->data[ETH_HLEN + 20], 0); /* echo reply */
	assert_true(stats(br).delivered >= 2);
	assert_true(stats(br).originated >= 2);
	cap_clear_all();

	/* br0 resolves an unknown neighbor: its ARP request floods */
	{
		struct pkt_vec v;
		p = frame(BR_MAC, MAC_A, -1, ETH_P_IP4, 20 + 16);
		b = p->data + ETH_HLEN;
		memset(b, 0, 36);
		b[0] = 0x45;
		put_be16(b + 2, 36);
		b[8] = 64;
		b[9] = IPPROTO_ICMP;
		memcpy(b + 12, "\x0a\x00\x00\x02\x0a\x00\x00\x09", 8);
		put_be16(b + 10, csum_ip4_header(b, 20));
		v.n = 1;
		v.p[0] = p;
		dev_stats_here(p1)->rx_packets++;
		p->in_ifindex = p1->ifindex;
		worker_input(&tw, &v);
		worker_tx_flush(&tw);
	}
	assert_int_equal(ncap(p1), 1);
	assert_int_equal(ncap(p2), 1);
	assert_int_equal(ncap(p3), 1);
	assert_int_equal(memcmp(capf(p3, 0)->data, BCAST, 6), 0);
	assert_int_equal(get_be16(capf(p3, 0)->data + 12), ETH_P_ARP);
	ok("neigh del 10.0.0.9 dev br0");
}

/* A TCP superpacket with a PARTIAL checksum crosses the bridge unchanged
 * to a port with TSO; a port without offloads gets valid segments. */
static struct pkt *tcp_superpacket(uint32_t payload, uint16_t mss)
{
	struct pkt *p = frame(MAC_B, MAC_A, -1, ETH_P_IP4, 20 + 20 + payload);
	uint8_t *ip = p->data + ETH_HLEN, *tcp = ip + 20;
	uint32_t sa = htonl(0x0a000002), da = htonl(0x0a000003);

	memset(ip, 0, 40);
	ip[0] = 0x45;
	put_be16(ip + 2, (uint16_t)(40 + payload));
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &sa, 4);
	memcpy(ip + 16, &da, 4);
	put_be16(ip + 10, csum_ip4_header(ip, 20));
	put_be16(tcp, 1000);
	put_be16(tcp + 2, 2000);
	put_be32(tcp + 4, 1);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18;
	put_be16(tcp + 14, 65535);
	put_be16(tcp + 16, csum_fold(csum_pseudo4(sa, da, IPPROTO_TCP,
						  20 + payload)));
	pkt_set_partial(p, tcp, 16);
	p->gso_size = mss;
	p->gso_type = PKT_GSO_TCPV4;
	return p;
}

static bool tcp_csum_ok(const struct pkt *s)
{
	const uint8_t *ip = s->data + ETH_HLEN;
	uint32_t sa, da, len = s->total_len - ETH_HLEN - 20;

	memcpy(&sa, ip + 12, 4);
	memcpy(&da, ip + 16, 4);
	return csum_fold(csum_pkt(s, ETH_HLEN + 20, len,
				  csum_pseudo4(sa, da, IPPROTO_TCP, len))) == 0xffff;
}

static void test_offload_state_kept(void **state)
{
	struct pkt *p, *q;
	uint32_t start;

	(void)state;
	p3->features = 0;
	rx_test(p2, MAC_A, MAC_B, -1); /* learn B on p2 */
	rx_test(p3, MAC_A, MAC_C, -1); /* learn C on p3 */
	cap_clear_all();

	p = tcp_superpacket(3000, 1000);
	start = p->csum_start - pkt_headroom(p);
	rx(p1, p);
	assert_int_equal(ncap(p2), 1);
	q = capf(p2, 0);
	assert_int_equal(q->total_len, ETH_HLEN + 40 + 3000);
	assert_int_equal(q->csum, PKT_CSUM_PARTIAL);
	assert_int_equal(q->csum_start - pkt_headroom(q), start);
	assert_int_equal(q->csum_offset, 16);
	assert_int_equal(q->gso_size, 1000);
	assert_int_equal(q->gso_type, PKT_GSO_TCPV4);
	assert_int_equal(stats(p2).split_extra, 0);

	/* to C on p3 (no offloads): three checksummed segments */
	p = tcp_superpacket(3000, 1000);
	memcpy(p->data, MAC_C, 6);
	rx(p1, p);
	assert_int_equal(ncap(p3), 3);
	assert_int_equal(stats(p3).split_extra, 2);
	for (unsigned i = 0; i < 3; i++) {
		q = capf(p3, i);
		assert_int_equal(q->total_len, ETH_HLEN + 40 + 1000);
		assert_int_equal(q->gso_size, 0);
		assert_true(tcp_csum_ok(q));
	}
	cap_clear_all();

	/* flooded (unknown destination): each port gets its own form */
	p = tcp_superpacket(2000, 1000);
	memcpy(p->data, (const uint8_t[]){ 0x02, 0, 0, 0, 0, 0x0e }, 6);
	rx(p1, p);
	assert_int_equal(ncap(p2), 1);
	assert_int_equal(capf(p2, 0)->gso_size, 1000);
	assert_int_equal(ncap(p3), 2);
	assert_true(tcp_csum_ok(capf(p3, 0)));
	assert_true(tcp_csum_ok(capf(p3, 1)));
}

/* The same across a VLAN boundary: tag pushed in front of a superpacket,
 * offsets still right for segmentation. */
static void test_offload_vlan(void **state)
{
	struct pkt *p, *q;

	(void)state;
	ok("bridge vlan add dev p3 vid 1"); /* p3: VLAN 1 tagged */
	p3->features = 0;
	rx_test(p3, MAC_A, MAC_C, 1);
	rx_test(p2, MAC_A, MAC_B, -1);
	cap_clear_all();

	p = tcp_superpacket(2000, 1000);
	memcpy(p->data, MAC_C, 6);
	rx(p1, p);
	assert_int_equal(ncap(p3), 2);
	for (unsigned i = 0; i < 2; i++) {
		q = capf(p3, i);
		assert_int_equal(tag_of(q), 1);
		assert_int_equal(q->total_len, ETH_HLEN + 4 + 40 + 1000);
		/* checksum over the segment behind the tag */
		{
			const uint8_t *ip = q->data + ETH_HLEN + 4;
			uint32_t sa, da, len = 20 + 1000;
			memcpy(&sa, ip + 12, 4);
			memcpy(&da, ip + 16, 4);
			assert_int_equal(csum_fold(csum_pkt(q, ETH_HLEN + 4 + 20, len,
							    csum_pseudo4(sa, da, IPPROTO_TCP, len))),
					 0xffff);
		}
	}
}

/* Releasing ports and deleting the bridge: handlers gone, entries gone,
 * frames handled by the port itself again. */
static void test_release(void **state)
{
	(void)state;
	rx_test(p1, MAC_B, MAC_A, -1);
	rx_test(p2, MAC_A, MAC_B, -1);
	assert_int_equal(bridge_fdb_count(br), 2);
	ok("link set p1 nomaster");
	assert_null(p1->rx_handler);
	assert_null(p1->rx_handler_data);
	assert_int_equal(fdb_port(MAC_A, 0), 0);
	assert_int_equal(bridge_fdb_count(br), 1);
	cap_clear_all();
	/* p1 is not a port any more: its frames stay on p1 (not for us) */
	rx_test(p1, MAC_B, MAC_A, -1);
	assert_int_equal(ncap(p2), 0);
	assert_int_equal(rx_drops(p1, DROP_ETH_OTHERHOST), 1);
	/* re-enslave; a bridge cannot be a port */
	ok("link set p1 master br0");
	ok("link add br1 type bridge");
	bad("link set br1 master br0", "is a bridge");
	/* moving a port to another bridge; deleting that bridge frees it */
	ok("link set p1 master br1");
	assert_true(p1->master == dev_by_name("br1"));
	rx_test(p1, MAC_B, MAC_A, -1); /* br1 is down: dropped */
	assert_int_equal(rx_drops(p1, DROP_DEV_DOWN), 1);
	ok("link set br1 up");
	rx_test(p1, MAC_B, MAC_A, -1);
	assert_int_equal(bridge_fdb_port(dev_by_name("br1"), MAC_A, 0), p1->ifindex);
	assert_int_equal(fdb_port(MAC_A, 0), 0);
	ok("link del br1");
	assert_null(p1->master);
	assert_null(p1->rx_handler);
	bad("link add br2 type bridge ageing_time", "needs a value");
	bad("link add br2 type bridge vlan_filtering 2", "invalid vlan_filtering '2'");
	bad("link add br2 type bridge frob 1", "unknown argument 'frob'");
	assert_null(dev_by_name("br2"));
	/* deleting a port device releases it and forgets its stations */
	ok("link add p4 type null");
	ok("link set p4 up");
	ok("link set p4 master br0");
	rx_test(dev_by_name("p4"), MAC_B, MAC_C, -1);
	assert_int_equal(fdb_port(MAC_C, 0), dev_by_name("p4")->ifindex);
	ok("link del p4");
	assert_int_equal(fdb_port(MAC_C, 0), 0);
	cap_clear_all();
	rx_test(p2, MAC_C, MAC_B, -1); /* C unknown again: flooded */
	assert_int_equal(ncap(p3), 1); /* (p1 left with br1) */
	/* deleting br0 releases every port */
	ok("link del br0");
	assert_null(p2->rx_handler);
	assert_null(p3->master);
}

/* A full FDB stops learning, not forwarding; fdb add says it is full. */
static void test_fdb_full(void **state)
{
	uint8_t src[6] = { 0x02, 0x10, 0, 0, 0, 0 };

	(void)state;
	for (uint32_t i = 0; i < BRIDGE_FDB_MAX + 10; i++) {
		put_be32(src + 2, i);
		rx_test(p1, MAC_B, src, -1);
		cap_clear(p2);
		cap_clear(p3);
	}
	assert_int_equal(bridge_fdb_count(br), BRIDGE_FDB_MAX);
	assert_int_equal(stats(p1).forwarded, BRIDGE_FDB_MAX + 10);
	assert_int_equal(stats(p2).tx_packets, BRIDGE_FDB_MAX + 10);
	bad("fdb add 02:00:00:00:00:0b dev p2", "full");
	ok("fdb flush dev p1");
	assert_int_equal(bridge_fdb_count(br), 0);
	ok("fdb add 02:00:00:00:00:0b dev p2");
}

/* link show describes the bridge. */
static void test_describe(void **state)
{
	char *s;

	(void)state;
	s = out_of("link show br0", false);
	assert_non_null(strstr(s, "kind bridge"));
	assert_non_null(strstr(s, "bridge ageing_time 300 vlan_filtering 0 default_pvid 1 ports 3"));
	free(s);
	s = out_of("link show br0", true);
	assert_non_null(strstr(s, "\"ports\":[\"p1\",\"p2\",\"p3\"]"));
	free(s);
	s = out_of("link show p1", false);
	assert_non_null(strstr(s, "master br0"));
	free(s);

	/* creation arguments; new ports take the default PVID */
	ok("link add br3 type bridge ageing_time 20 vlan_filtering 1 default_pvid 5");
	ok("link add n9 type null");
	ok("link set n9 master br3");
	s = out_of("link show br3", false);
	assert_non_null(strstr(s, "bridge ageing_time 20 vlan_filtering 1 default_pvid 5 ports 1"));
	free(s);
	s = out_of("bridge vlan show dev n9", false);
	assert_non_null(strstr(s, "n9               5 PVID Egress Untagged"));
	free(s);
	ok("bridge set dev br3 vlan_filtering 0 default_pvid 0 ageing_time 30");
	s = out_of("link show br3", false);
	assert_non_null(strstr(s, "bridge ageing_time 30 vlan_filtering 0 default_pvid 0 ports 1"));
	free(s);
	bad("bridge set dev br3 default_pvid 4095", "invalid default_pvid '4095'");
	bad("bridge set br3", "expected 'dev NAME'");
	ok("link del n9");
	ok("link del br3");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_learn_and_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_broadcast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_hairpin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_static_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vlan_rules, setup_vlan, teardown),
		cmocka_unit_test_setup_teardown(test_vlan_self, setup_vlan, teardown),
		cmocka_unit_test_setup_teardown(test_l3_on_bridge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offload_state_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offload_vlan, setup_vlan, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fdb_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
