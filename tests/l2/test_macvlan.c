/* macvlan devices: dispatch by destination MAC through the lower's single
 * rx_handler, broadcast copies to each macvlan and to the lower, bridge /
 * private / vepa / passthru rules between siblings, down devices, address
 * conflicts, the port's lifecycle, macvlan on a VLAN, a full local queue,
 * and packet conservation on every device. Frames go in through
 * worker_input on the capture devices of the L3 harness (p0, p1). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>

#include "../l3/l3_harness.h"
#include "dev/drivers.h"
#include "l2/macvlan.h"
#include "l2/vlan.h"

static const uint8_t M0[6] = { 0x02, 0, 0, 0, 0xaa, 0x01 };
static const uint8_t M1[6] = { 0x02, 0, 0, 0, 0xaa, 0x02 };
static const uint8_t M2[6] = { 0x02, 0, 0, 0, 0xaa, 0x03 };
static const uint8_t OTHER[6] = { 0x02, 0, 0, 0, 0xbb, 0x01 };

/* ------------------------------------------------------------ helpers */

static unsigned t_drain(struct dev *d);

/* mv0 (M0, 10.10.0.1/24) and mv1 (M1, 10.20.0.1/24) on p0 in `mode`, with
 * the p0 peer as static neighbor 10.10.0.2 / 10.20.0.2. */
static void t_pair(const char *mode, struct dev **mv0, struct dev **mv1)
{
	char args[64];

	snprintf(args, sizeof(args), "link p0 mode %s", mode);
	*mv0 = h_dev_up(&macvlan_driver, "mv0", args, M0);
	*mv1 = h_dev_up(&macvlan_driver, "mv1", args, M1);
	h_addr(*mv0, AF_INET, "10.10.0.1", 24);
	h_addr(*mv1, AF_INET, "10.20.0.1", 24);
	h_neigh(*mv0, AF_INET, "10.10.0.2", PEER0_MAC);
	h_neigh(*mv1, AF_INET, "10.20.0.2", PEER0_MAC);
	worker_tx_flush(worker_ctl());
	/* the gratuitous ARPs went out and (mode bridge) to the sibling */
	t_drain(*mv0);
	t_drain(*mv1);
	h_cap_clear(p0);
}

/* Receive what is queued on macvlan d, as its worker would. */
static unsigned t_drain(struct dev *d)
{
	struct pkt_vec v;
	unsigned n;

	v.n = d->ops->rx_burst(d, v.p, PKT_MAX_BURST);
	n = v.n;
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(v.p[i]->in_ifindex, d->ifindex);
	if (v.n)
		worker_input(&tw, &v);
	worker_tx_flush(&tw);
	return n;
}

/* An ICMP echo request src -> dst between the given MACs. */
static void t_echo(struct hframe *f, const uint8_t dmac[6],
		   const uint8_t smac[6], const char *src, const char *dst)
{
	struct ip4_spec s = { .src = src, .dst = dst, .proto = IPPROTO_ICMP,
			      .ttl = 64, .id = 7, .l4_len = 16 };
	uint32_t l3;

	h_eth(f, dmac, smac, ETH_P_IP4);
	l3 = h_ip4(f, &s);
	f->b[l3 + 20] = 8;
	h_l4_csum(f, l3);
}

/* Is captured frame p an echo reply from smac to dmac? */
static void t_expect_echo_reply(const struct pkt *p, const uint8_t dmac[6],
				const uint8_t smac[6], const char *src)
{
	union pkt_addr a = A4(src);

	h_assert_eth(p, dmac, smac, ETH_P_IP4);
	assert_memory_equal(p->data + 14 + 12, &a.v4, 4);
	assert_int_equal(p->data[14 + 20], 0);
}

/* Transmit frame f on d as usnet would (counted as originated). */
static void t_xmit(struct dev *d, const struct hframe *f)
{
	struct pkt *p = pkt_alloc(f->len);

	assert_non_null(p);
	memcpy(pkt_put(p, f->len), f->b, f->len);
	p->flags |= PKT_F_LOCAL_ORIGIN;
	dev_count_egress(d, p);
	dev_xmit(d, &p, 1);
}

/* ------------------------------------------------------------- tests */

static void test_dispatch_by_mac(void **state)
{
	struct dev *mv0, *mv1, *all[4];
	struct hframe f;

	uint64_t rx0, rx1;

	t_pair("bridge", &mv0, &mv1);
	rx0 = h_stats(mv0).rx_packets;
	rx1 = h_stats(mv1).rx_packets;
	t_echo(&f, M0, PEER0_MAC, "10.10.0.2", "10.10.0.1");
	h_input(p0, &f);
	t_echo(&f, M1, PEER0_MAC, "10.20.0.2", "10.20.0.1");
	h_input(p0, &f);
	/* the lower's own MAC stays with the lower */
	t_echo(&f, P0_MAC, PEER0_MAC, "10.1.0.2", "10.1.0.1");
	h_input(p0, &f);
	/* nobody's MAC: otherhost on the lower */
	t_echo(&f, OTHER, PEER0_MAC, "10.1.0.2", "10.1.0.1");
	h_input(p0, &f);

	assert_int_equal(h_n(p0), 3);
	t_expect_echo_reply(h_frame(p0, 0), PEER0_MAC, M0, "10.10.0.1");
	t_expect_echo_reply(h_frame(p0, 1), PEER0_MAC, M1, "10.20.0.1");
	t_expect_echo_reply(h_frame(p0, 2), PEER0_MAC, P0_MAC, "10.1.0.1");
	assert_int_equal(h_stats(p0).to_upper, 2);
	assert_int_equal(h_stats(mv0).rx_packets, rx0 + 1);
	assert_int_equal(h_stats(mv1).rx_packets, rx1 + 1);
	assert_int_equal(h_rx_drops(p0, DROP_ETH_OTHERHOST), 1);
	assert_int_equal(macvlan_queued(mv0) + macvlan_queued(mv1), 0);
	all[0] = p0, all[1] = p1, all[2] = mv0, all[3] = mv1;
	h_balance(all, 4);
	h_dev_del(mv0);
	h_dev_del(mv1);
}

/* A broadcast ARP request reaches the lower and a copy each macvlan; the
 * owner of the address answers with its own MAC. */
static void test_broadcast_to_each(void **state)
{
	struct dev *mv0, *mv1, *all[4];
	struct hframe f;
	struct pkt *r;
	uint64_t rx0, rx1, drop0;

	t_pair("bridge", &mv0, &mv1);
	rx0 = h_stats(mv0).rx_packets;
	rx1 = h_stats(mv1).rx_packets;
	drop0 = h_rx_drops(mv0, DROP_ARP_NOT_FOR_US);
	h_arp_req(&f, PEER0_MAC, "10.20.0.2", "10.20.0.1");
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 0);
	assert_int_equal(macvlan_queued(mv0), 1);
	assert_int_equal(macvlan_queued(mv1), 1);
	assert_int_equal(h_rx_drops(p0, DROP_ARP_NOT_FOR_US), 1);
	assert_int_equal(t_drain(mv0), 1);
	assert_int_equal(t_drain(mv1), 1);
	assert_int_equal(h_rx_drops(mv0, DROP_ARP_NOT_FOR_US), drop0 + 1);
	assert_int_equal(h_n(p0), 1);
	r = h_frame(p0, 0);
	h_assert_eth(r, PEER0_MAC, M1, ETH_P_ARP);
	assert_int_equal(get_be16(r->data + 14 + 6), 2);
	assert_memory_equal(r->data + 14 + 8, M1, 6);
	/* copies are counted on the macvlans only */
	assert_int_equal(h_stats(p0).rx_packets, 1);
	assert_int_equal(h_stats(p0).to_upper, 0);
	assert_int_equal(h_stats(mv0).rx_packets, rx0 + 1);
	assert_int_equal(h_stats(mv1).rx_packets, rx1 + 1);
	all[0] = p0, all[1] = p1, all[2] = mv0, all[3] = mv1;
	h_balance(all, 4);
	h_dev_del(mv0);
	h_dev_del(mv1);
}

/* Mode bridge: a frame for a sibling never touches the wire; the reply to
 * the outside does. Broadcast goes to the siblings and out. */
static void test_bridge_mode_siblings_talk(void **state)
{
	struct dev *mv0, *mv1, *all[4];
	struct hframe f;
	uint64_t drops;

	t_pair("bridge", &mv0, &mv1);
	t_echo(&f, M1, M0, "10.10.0.2", "10.20.0.1");
	t_xmit(mv0, &f);
	assert_int_equal(h_n(p0), 0);
	assert_int_equal(macvlan_queued(mv1), 1);
	assert_int_equal(h_stats(mv0).tx_packets, 2); /* + gratuitous ARP */
	assert_int_equal(h_stats(p0).fwd_in, 2);      /* the ARPs */
	assert_int_equal(t_drain(mv1), 1);
	/* mv1 answered 10.10.0.2, on mv0's subnet: out of mv0 to the peer */
	assert_int_equal(h_n(p0), 1);
	t_expect_echo_reply(h_frame(p0, 0), PEER0_MAC, M0, "10.20.0.1");
	h_cap_clear(p0);

	drops = h_rx_drops(mv1, DROP_ARP_NOT_FOR_US);
	h_arp_req(&f, M0, "10.10.0.1", "10.10.0.9");
	t_xmit(mv0, &f);
	assert_int_equal(h_n(p0), 1);
	assert_int_equal(macvlan_queued(mv1), 1);
	assert_int_equal(macvlan_queued(mv0), 0);
	assert_int_equal(t_drain(mv1), 1);
	assert_int_equal(h_rx_drops(mv1, DROP_ARP_NOT_FOR_US), drops + 1);
	all[0] = p0, all[1] = p1, all[2] = mv0, all[3] = mv1;
	h_balance(all, 4);
	h_dev_del(mv0);
	h_dev_del(mv1);
}

/* Mode private: siblings never talk, not even by broadcast or through a
 * reflecting switch. */
static void test_private_mode_isolates(void **state)
{
	struct dev *mv0, *mv1, *all[4];
	struct hframe f;

	t_pair("private", &mv0, &mv1);
	t_echo(&f, M1, M0, "10.10.0.2", "10.20.0.1");
	t_xmit(mv0, &f);
	assert_int_equal(h_n(p0), 1); /* out on the wire */
	h_assert_eth(h_frame(p0, 0), M1, M0, ETH_P_IP4);
	assert_int_equal(macvlan_queued(mv1), 0);

	h_arp_req(&f, M0, "10.10.0.1", "10.20.0.1");
	t_xmit(mv0, &f);
	assert_int_equal(h_n(p0), 2);
	assert_int_equal(macvlan_queued(mv1), 0);
	/* the switch reflects mv0's broadcast: no sibling gets it */
	h_input(p0, &f);
	assert_int_equal(macvlan_queued(mv0) + macvlan_queued(mv1), 0);
	assert_int_equal(h_stats(p0).fwd_in, 4); /* + 2 gratuitous ARPs */
	all[0] = p0, all[1] = p1, all[2] = mv0, all[3] = mv1;
	h_balance(all, 4);
	h_dev_del(mv0);
	h_dev_del(mv1);
}

/* Mode vepa: everything goes out; what the switch reflects comes back by
 * MAC, and a reflected broadcast reaches the others but not its sender. */
static void test_vepa_mode(void **state)
{
	struct dev *mv0, *mv1, *all[4];
	struct hframe f;

	t_pair("vepa", &mv0, &mv1);
	t_echo(&f, M1, M0, "10.10.0.2", "10.20.0.1");
	t_xmit(mv0, &f);
	assert_int_equal(h_n(p0), 1);
	assert_int_equal(macvlan_queued(mv1), 0);
	h_input(p0, &f); /* hairpin */
	assert_int_equal(h_stats(mv1).rx_packets, 1);
	assert_int_equal(h_n(p0), 2); /* mv1's echo reply */
	h_arp_req(&f, M0, "10.10.0.1", "10.10.0.9");
	h_input(p0, &f);
	assert_int_equal(macvlan_queued(mv0), 0);
	assert_int_equal(macvlan_queued(mv1), 1);
	assert_int_equal(t_drain(mv1), 1);
	all[0] = p0, all[1] = p1, all[2] = mv0, all[3] = mv1;
	h_balance(all, 4);
	h_dev_del(mv0);
	h_dev_del(mv1);
}

/* A macvlan that is down is out of the table: its MAC is otherhost on the
 * lower and it gets no broadcast; queued frames are dropped and counted. */
static void test_down_macvlan(void **state)
{
	struct dev *mv0, *mv1, *all[4];
	char err[256];
	struct hframe f, arp;

	t_pair("bridge", &mv0, &mv1);
	h_arp_req(&arp, PEER0_MAC, "10.20.0.2", "10.20.0.1");
	h_input(p0, &arp);
	assert_int_equal(macvlan_queued(mv1), 1);
	assert_int_equal(dev_set_up(mv1, false, err), 0);
	assert_int_equal(macvlan_queued(mv1), 0);
	assert_int_equal(h_stats(mv1).rx_drops[DROP_DEV_DOWN], 1);
	t_echo(&f, M1, PEER0_MAC, "10.20.0.2", "10.20.0.1");
	h_input(p0, &f);
	assert_int_equal(h_rx_drops(p0, DROP_ETH_OTHERHOST), 1);
	h_input(p0, &arp);
	assert_int_equal(macvlan_queued(mv1), 0);
	assert_int_equal(macvlan_queued(mv0), 2);
	assert_int_equal(t_drain(mv0), 2);
	/* up again: reachable again */
	assert_int_equal(dev_set_up(mv1, true, err), 0);
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	t_expect_echo_reply(h_frame(p0, 0), PEER0_MAC, M1, "10.20.0.1");
	all[0] = p0, all[1] = p1, all[2] = mv0, all[3] = mv1;
	h_balance(all, 4);
	h_dev_del(mv0);
	h_dev_del(mv1);
}

static void test_address_conflicts_and_change(void **state)
{
	struct dev *mv0, *mv1;
	char err[256];
	struct hframe f;

	t_pair("bridge", &mv0, &mv1);
	assert_int_equal(dev_set_mac(mv1, M0, err), -EADDRINUSE);
	assert_int_equal(dev_set_mac(mv1, P0_MAC, err), -EADDRINUSE);
	assert_memory_equal(mv1->mac, M1, 6);
	assert_int_equal(dev_set_mac(mv1, M2, err), 0);
	t_echo(&f, M2, PEER0_MAC, "10.20.0.2", "10.20.0.1");
	h_input(p0, &f);
	assert_int_equal(h_n(p0), 1);
	t_expect_echo_reply(h_frame(p0, 0), PEER0_MAC, M2, "10.20.0.1");
	t_echo(&f, M1, PEER0_MAC, "10.20.0.2", "10.20.0.1");
	h_input(p0, &f);
	assert_int_equal(h_rx_drops(p0, DROP_ETH_OTHERHOST), 1);
	/* a down macvlan may take a busy MAC but cannot come up with it */
	assert_int_equal(dev_set_up(mv1, false, err), 0);
	assert_int_equal(dev_set_mac(mv1, M0, err), 0);
	assert_int_equal(dev_set_up(mv1, true, err), -EADDRINUSE);
	assert_non_null(strstr(err, "is used by mv0"));
	h_dev_del(mv0);
	h_dev_del(mv1);
}

/* passthru: alone on its lower, with the lower's MAC, takes all unicast. */
static void test_passthru(void **state)
{
	char err[DRV_ERR_SIZE];
	struct dev *pt, *mv0, *all[3];
	struct hframe f;

	pt = h_dev_up(&macvlan_driver, "pt", "link p1 mode passthru", NULL);
	assert_memory_equal(pt->mac, P1_MAC, 6);
	assert_null(h_dev_create(&macvlan_driver, "mvx", "link p1", err));
	assert_non_null(strstr(err, "already has a passthru macvlan (pt)"));
	h_addr(pt, AF_INET, "10.40.0.1", 24);
	h_neigh(pt, AF_INET, "10.40.0.2", PEER1_MAC);
	worker_tx_flush(worker_ctl());
	h_cap_clear(p1);
	t_echo(&f, P1_MAC, PEER1_MAC, "10.40.0.2", "10.40.0.1");
	h_input(p1, &f);
	assert_int_equal(h_n(p1), 1);
	t_expect_echo_reply(h_frame(p1, 0), PEER1_MAC, P1_MAC, "10.40.0.1");
	assert_int_equal(h_stats(p1).to_upper, 1);

	mv0 = h_dev_up(&macvlan_driver, "mv0", "link p0", M0);
	assert_null(h_dev_create(&macvlan_driver, "pt2", "link p0 mode passthru", err));
	assert_non_null(strstr(err, "passthru needs p0 to have no other macvlan"));
	all[0] = p0, all[1] = p1, all[2] = pt;
	h_balance(all, 3);
	h_dev_del(pt);
	h_dev_del(mv0);
}

static enum rx_handler_result t_foreign_handler(struct worker *w,
						struct dev *d, struct pkt *p)
{
	return RX_HANDLER_PASS;
}

/* One rx_handler per lower, gone with the last macvlan; a lower whose
 * handler belongs to something else is refused; a macvlan on a macvlan
 * joins the same lower. */
static void test_port_lifecycle(void **state)
{
	char err[DRV_ERR_SIZE];
	struct dev *mv0, *mv1;
	dev_rx_handler_fn h;

	assert_null(p0->rx_handler);
	mv0 = h_dev_up(&macvlan_driver, "mv0", "link p0", M0);
	h = p0->rx_handler;
	assert_non_null(h);
	mv1 = h_dev_up(&macvlan_driver, "mv1", "link mv0 mode private", M1);
	assert_ptr_equal(macvlan_lower(mv1), p0);
	assert_ptr_equal(p0->rx_handler, h);
	assert_true(macvlan_is_macvlan(mv1));
	assert_false(macvlan_is_macvlan(p0));
	h_dev_del(mv0);
	assert_ptr_equal(p0->rx_handler, h);
	h_dev_del(mv1);
	assert_null(p0->rx_handler);
	assert_null(p0->rx_handler_data);

	/* p1 is taken by another kind of upper device */
	p1->rx_handler = t_foreign_handler;
	assert_null(h_dev_create(&macvlan_driver, "mvx", "link p1", err));
	assert_non_null(strstr(err, "p1 already has an upper device of another kind"));
	p1->rx_handler = NULL;
}

/* A macvlan on a VLAN device: tagged frames to its MAC reach it, its
 * replies leave tagged. */
static void test_macvlan_on_vlan(void **state)
{
	struct dev *v10 = h_dev_up(&vlan_driver, "v10", "link p0 id 10", NULL);
	struct dev *mv = h_dev_up(&macvlan_driver, "mvv", "link v10", M2), *all[4];
	struct hframe f;
	struct pkt *p;
	uint16_t tpid, tci;

	h_addr(mv, AF_INET, "10.50.0.1", 24);
	h_neigh(mv, AF_INET, "10.50.0.2", PEER0_MAC);
	worker_tx_flush(worker_ctl());
	h_cap_clear(p0);
	t_echo(&f, M2, PEER0_MAC, "10.50.0.2", "10.50.0.1");
	p = pkt_alloc(f.len);
	memcpy(pkt_put(p, f.len), f.b, f.len);
	assert_int_equal(vlan_tag_push(&p, ETH_P_8021Q, 10), 0);
	p->in_ifindex = p0->ifindex;
	dev_stats_here(p0)->rx_packets++;
	{
		struct pkt_vec v = { .n = 1 };
		v.p[0] = p;
		worker_input(&tw, &v);
		worker_tx_flush(&tw);
	}
	assert_int_equal(h_n(p0), 1);
	p = h_frame(p0, 0);
	assert_int_equal(vlan_tag_pop(p, &tpid, &tci), 0);
	assert_int_equal(tci, 10);
	t_expect_echo_reply(p, PEER0_MAC, M2, "10.50.0.1");
	assert_int_equal(h_stats(v10).to_upper, 1);
	all[0] = p0, all[1] = v10, all[2] = mv, all[3] = p1;
	h_balance(all, 4);
	h_dev_del(mv);
	h_dev_del(v10);
}

/* Lower deleted before its macvlan: the macvlan drops what it would send
 * (dev_down) and is later deleted cleanly (its port is freed with it). */
static void test_lower_deleted_first(void **state)
{
	struct dev *low = h_dev("low", OTHER), *mv;
	char err[DRV_ERR_SIZE];
	struct hframe f;

	assert_int_equal(dev_set_up(low, true, err), 0);
	mv = h_dev_up(&macvlan_driver, "mvl", "link low", M0);
	assert_ptr_equal(macvlan_lower(mv), low);
	h_dev_del(low);
	assert_null(macvlan_lower(mv));
	t_echo(&f, PEER0_MAC, M0, "10.10.0.1", "10.10.0.2");
	t_xmit(mv, &f);
	assert_int_equal(h_stats(mv).tx_drops[DROP_DEV_DOWN], 1);
	h_dev_del(mv);
}

/* More broadcast than the local queue holds: the rest is a counted drop. */
static void test_queue_full_is_counted(void **state)
{
	struct dev *mv0 = h_dev_up(&macvlan_driver, "mv0", "link p0", M0), *all[3];
	struct hframe f;
	unsigned got = 0, n;

	h_arp_req(&f, PEER0_MAC, "10.1.0.2", "10.1.0.77");
	for (int i = 0; i < 600; i++)
		h_input(p0, &f);
	assert_int_equal(macvlan_queued(mv0), 512);
	assert_int_equal(h_stats(mv0).rx_drops[DROP_RX_RING_FULL], 88);
	while ((n = t_drain(mv0)) > 0)
		got += n;
	assert_int_equal(got, 512);
	all[0] = p0, all[1] = p1, all[2] = mv0;
	h_balance(all, 3);
	h_dev_del(mv0);
}

static void t_expect_error(const char *args, const char *msg)
{
	h_expect_create_error(&macvlan_driver, "mx", args, msg);
}

static void test_argument_errors(void **state)
{
	t_expect_error("mode bridge", "needs a lower device");
	t_expect_error("link nosuch", "no device 'nosuch'");
	t_expect_error("link p0 mode", "'mode' needs a value");
	t_expect_error("link p0 mode source", "invalid mode 'source'");
	t_expect_error("link p0 flags 3", "unknown argument 'flags'");
	assert_null(p0->rx_handler); /* nothing changed */
}

/* Delete what a failed test left behind, then the harness's teardown. */
static int t_teardown(void **state)
{
	struct dev *d = dev_next(NULL);

	while (d) {
		struct dev *next = dev_next(d);
		if (macvlan_is_macvlan(d) || vlan_is_vlan(d)) {
			h_dev_del(d);
			next = dev_next(NULL);
		}
		d = next;
	}
	return h_teardown(state);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, h_setup, t_teardown)
	const struct CMUnitTest tests[] = {
		T(test_dispatch_by_mac),
		T(test_broadcast_to_each),
		T(test_bridge_mode_siblings_talk),
		T(test_private_mode_isolates),
		T(test_vepa_mode),
		T(test_down_macvlan),
		T(test_address_conflicts_and_change),
		T(test_passthru),
		T(test_port_lifecycle),
		T(test_macvlan_on_vlan),
		T(test_lower_deleted_first),
		T(test_queue_full_is_counted),
		T(test_argument_errors),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
