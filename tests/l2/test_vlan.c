/* VLAN devices: tag push/pop keeping offsets and checksum state, receive
 * through the lower's VID table, routing between a VLAN and an untagged
 * port, QinQ, the VID table's lifecycle, argument errors, and packet
 * conservation on every device. Frames go in through worker_input on the
 * capture devices of the L3 harness (p0, p1) and come out captured. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>

#include "../l3/l3_harness.h"
#include "dev/drivers.h"
#include "l2/vlan.h"


/* ------------------------------------------------------------ helpers */

/* `link add NAME ARGS` with ARGS starting "link LOWER", registered and up. */
static struct dev *t_vlan(const char *name, const char *args)
{
	return h_dev_up(&vlan_driver, name, args, NULL);
}

static struct pkt *t_pkt(const struct hframe *f)
{
	struct pkt *p = pkt_alloc(f->len);

	assert_non_null(p);
	memcpy(pkt_put(p, f->len), f->b, f->len);
	return p;
}

/* Feed packet p (data at the Ethernet header) as received on d. */
static void t_input_pkt(struct dev *d, struct pkt *p)
{
	struct pkt_vec v;

	p->in_ifindex = d->ifindex;
	dev_stats_here(d)->rx_packets++;
	dev_stats_here(d)->rx_bytes += p->total_len;
	v.n = 1;
	v.p[0] = p;
	worker_input(&tw, &v);
	worker_tx_flush(&tw);
}

/* Frame f with tags pushed innermost first: tags[0] is the inner one. */
static void t_input_tagged(struct dev *d, const struct hframe *f,
			   const uint16_t *tpid, const uint16_t *tci,
			   unsigned ntags)
{
	struct pkt *p = t_pkt(f);

	for (unsigned i = 0; i < ntags; i++)
		assert_int_equal(vlan_tag_push(&p, tpid[i], tci[i]), 0);
	t_input_pkt(d, p);
}

static void t_input_q(struct dev *d, const struct hframe *f, uint16_t tci)
{
	uint16_t tpid = ETH_P_8021Q;
	t_input_tagged(d, f, &tpid, &tci, 1);
}

/* A UDP frame src -> dst between the given MACs. */
static uint32_t t_udp(struct hframe *f, const uint8_t dmac[6],
		      const uint8_t smac[6], const char *src, const char *dst)
{
	uint32_t l3 = h_udp4(f, src, dst, 64, 32);

	memcpy(f->b, dmac, 6);
	memcpy(f->b + 6, smac, 6);
	return l3;
}

/* Pop the tags of captured frame p and check them (outermost first). */
static void t_expect_tags(struct pkt *p, const uint16_t *tpid,
			  const uint16_t *tci, unsigned ntags)
{
	for (unsigned i = 0; i < ntags; i++) {
		uint16_t t, c;
		assert_int_equal(vlan_tag_pop(p, &t, &c), 0);
		assert_int_equal(t, tpid[i]);
		assert_int_equal(c, tci[i]);
	}
	assert_int_not_equal(get_be16(p->data + 12), ETH_P_8021Q);
	assert_int_not_equal(get_be16(p->data + 12), ETH_P_8021AD);
}

/* --------------------------------------------------------- push / pop */

/* An Ethernet/IPv4/UDP packet with its offsets and a PARTIAL checksum. */
static struct pkt *t_udp_partial(struct hframe *f)
{
	uint32_t l3 = h_udp4(f, "10.1.0.2", "10.3.0.9", 64, 40);
	struct pkt *p = t_pkt(f);

	p->l2_off = pkt_off(p, p->data);
	p->l3_off = pkt_off(p, p->data + l3);
	p->l4_off = pkt_off(p, p->data + l3 + 20);
	pkt_set_partial(p, p->data + l3 + 20, 6);
	p->gso_size = 1000;
	p->gso_type = PKT_GSO_UDP_L4;
	return p;
}

static void t_check_tagged(const struct pkt *p, const struct hframe *f,
			   uint16_t tpid, uint16_t tci)
{
	assert_int_equal(p->len, f->len + 4);
	assert_int_equal(p->total_len, f->len + 4);
	assert_memory_equal(p->data, f->b, 12);
	assert_int_equal(get_be16(p->data + 12), tpid);
	assert_int_equal(get_be16(p->data + 14), tci);
	assert_memory_equal(p->data + 16, f->b + 12, f->len - 12);
	/* offsets still name the same bytes */
	assert_ptr_equal(pkt_head(p) + p->l2_off, p->data);
	assert_ptr_equal(pkt_l3(p), p->data + 18);
	assert_ptr_equal(pkt_l4(p), p->data + 38);
	assert_int_equal(p->csum, PKT_CSUM_PARTIAL);
	assert_ptr_equal(pkt_head(p) + p->csum_start + p->csum_offset,
			 p->data + 38 + 6);
	assert_int_equal(p->gso_size, 1000);
	assert_int_equal(p->gso_type, PKT_GSO_UDP_L4);
}

static void test_push_pop_keeps_offsets(void **state)
{
	struct hframe f;
	struct pkt *p = t_udp_partial(&f);
	uint16_t l2 = p->l2_off, l3 = p->l3_off, l4 = p->l4_off;
	uint16_t cs = p->csum_start, tpid, tci;

	assert_int_equal(vlan_tag_push(&p, ETH_P_8021Q, 5 << 13 | 10), 0);
	t_check_tagged(p, &f, ETH_P_8021Q, 5 << 13 | 10);
	assert_int_equal(p->l3_off, l3); /* the payload did not move */
	assert_int_equal(p->csum_start, cs);
	assert_int_equal(p->l2_off, l2 - 4);

	assert_int_equal(vlan_tag_pop(p, &tpid, &tci), 0);
	assert_int_equal(tpid, ETH_P_8021Q);
	assert_int_equal(tci, 5 << 13 | 10);
	assert_int_equal(p->len, f.len);
	assert_memory_equal(p->data, f.b, f.len);
	assert_int_equal(p->l2_off, l2);
	assert_int_equal(p->l3_off, l3);
	assert_int_equal(p->l4_off, l4);
	assert_int_equal(p->csum_start, cs);
	/* an untagged frame has nothing to pop */
	assert_int_equal(vlan_tag_pop(p, &tpid, &tci), -EINVAL);
	assert_memory_equal(p->data, f.b, f.len);
	pkt_free(p);
}

static void test_push_on_shared_copies(void **state)
{
	struct hframe f;
	struct pkt *p = t_udp_partial(&f), *c = pkt_clone(p), *q = p;

	assert_non_null(c);
	assert_int_equal(vlan_tag_push(&q, ETH_P_8021AD, 100), 0);
	assert_ptr_not_equal(q, p); /* p was replaced (and freed) */
	t_check_tagged(q, &f, ETH_P_8021AD, 100);
	/* the clone still sees the untouched frame */
	assert_int_equal(c->len, f.len);
	assert_memory_equal(c->data, f.b, f.len);
	pkt_free(q);
	pkt_free(c);
}

static void test_push_without_headroom_copies(void **state)
{
	struct hframe f;
	struct pkt *p, *tmp = t_udp_partial(&f);

	/* the same packet with the data at the very head of its buffer */
	p = pkt_alloc(f.len + PKT_HEADROOM);
	assert_non_null(p);
	pkt_push(p, pkt_headroom(p));
	p->len = p->total_len = 0;
	memcpy(pkt_put(p, f.len), f.b, f.len);
	assert_int_equal(pkt_headroom(p), 0);
	p->l2_off = 0;
	p->l3_off = (uint16_t)(tmp->l3_off - pkt_headroom(tmp));
	p->l4_off = (uint16_t)(tmp->l4_off - pkt_headroom(tmp));
	pkt_set_partial(p, p->data + p->l4_off, 6);
	p->gso_size = 1000;
	p->gso_type = PKT_GSO_UDP_L4;
	pkt_free(tmp);

	assert_int_equal(vlan_tag_push(&p, ETH_P_8021Q, 7), 0);
	t_check_tagged(p, &f, ETH_P_8021Q, 7);
	pkt_free(p);
}

/* A chained superpacket: only the head segment is touched. */
static void test_push_on_chain_keeps_chain(void **state)
{
	struct hframe f;
	struct pkt *p = t_udp_partial(&f), *seg = pkt_alloc(100);

	assert_non_null(seg);
	memset(pkt_put(seg, 100), 0xab, 100);
	p->next_seg = seg;
	p->total_len += 100;
	assert_int_equal(vlan_tag_push(&p, ETH_P_8021Q, 10), 0);
	assert_ptr_equal(p->next_seg, seg);
	assert_int_equal(p->total_len, f.len + 4 + 100);
	assert_int_equal(get_be16(p->data + 12), ETH_P_8021Q);
	assert_memory_equal(p->data + 16, f.b + 12, f.len - 12);
	pkt_free(p);
}

static void test_push_short_frame_fails(void **state)
{
	struct pkt *p = pkt_alloc(64);

	assert_non_null(p);
	memset(pkt_put(p, 10), 0, 10);
	assert_int_equal(vlan_tag_push(&p, ETH_P_8021Q, 1), -EINVAL);
	assert_int_equal(p->len, 10);
	pkt_free(p);
}

/* ------------------------------------------------------------ datapath */

/* v10 on p0 (10.10.0.1/24) routes to the untagged p1 and back. */
static void test_route_between_vlan_and_port(void **state)
{
	struct dev *v10 = t_vlan("v10", "link p0 id 10"), *all[3];
	struct hframe f;
	struct pkt *out;
	uint32_t l3;
	static const uint16_t q[1] = { ETH_P_8021Q }, vid10[1] = { 10 };

	h_addr(v10, AF_INET, "10.10.0.1", 24);
	h_cap_clear(p0); /* gratuitous ARP */
	h_neigh(v10, AF_INET, "10.10.0.2", PEER0_MAC);
	assert_memory_equal(v10->mac, p0->mac, 6);
	assert_int_equal(v10->mtu, p0->mtu);

	/* tagged in (priority bits set), untagged out of p1 */
	t_udp(&f, P0_MAC, PEER0_MAC, "10.10.0.2", "10.2.0.2");
	t_input_q(p0, &f, 6 << 13 | 10);
	assert_int_equal(h_n(p1), 1);
	out = h_frame(p1, 0);
	h_assert_eth(out, PEER1_MAC, P1_MAC, ETH_P_IP4);
	assert_int_equal(out->data[14 + 8], 63);
	assert_true(h_l4_csum_ok(out));

	/* untagged in on p1, tagged out of p0 */
	l3 = t_udp(&f, P1_MAC, PEER1_MAC, "10.2.0.2", "10.10.0.2");
	(void)l3;
	h_input(p1, &f);
	assert_int_equal(h_n(p0), 1);
	out = h_frame(p0, 0);
	assert_memory_equal(out->data, PEER0_MAC, 6);
	assert_memory_equal(out->data + 6, P0_MAC, 6);
	t_expect_tags(out, q, vid10, 1);
	h_assert_eth(out, PEER0_MAC, P0_MAC, ETH_P_IP4);
	assert_int_equal(out->data[14 + 8], 63);
	assert_true(h_l4_csum_ok(out));

	assert_int_equal(h_stats(p0).to_upper, 1);
	assert_int_equal(h_stats(v10).forwarded, 1);
	/* the gratuitous ARP and the forwarded frame, counted on both */
	assert_int_equal(h_stats(v10).originated, 1);
	assert_int_equal(h_stats(v10).fwd_in, 1);
	assert_int_equal(h_stats(v10).tx_packets, 2);
	assert_int_equal(h_stats(p0).fwd_in, 2);
	assert_int_equal(h_stats(p0).tx_packets, 2);
	all[0] = p0, all[1] = p1, all[2] = v10;
	h_balance(all, 3);
	h_dev_del(v10);
}

/* A UDP superpacket routed out of v10 is tagged once and segmented by the
 * lower (no USO on p0): every segment carries the tag and a valid
 * checksum, the extra segments are counted on p0. */
static void test_superpacket_through_vlan(void **state)
{
	struct dev *v10 = t_vlan("v10", "link p0 id 10"), *all[3];
	static const uint16_t q[1] = { ETH_P_8021Q }, vid10[1] = { 10 };
	struct ip4_spec s = { .src = "10.2.0.2", .dst = "10.10.0.2",
			      .proto = IPPROTO_UDP, .ttl = 64,
			      .l4_len = 8 + 3000 };
	union pkt_addr sa = A4("10.2.0.2"), da = A4("10.10.0.2");
	struct hframe f;
	struct pkt *p;
	uint32_t l3;

	h_addr(v10, AF_INET, "10.10.0.1", 24);
	h_neigh(v10, AF_INET, "10.10.0.2", PEER0_MAC);
	worker_tx_flush(worker_ctl());
	h_cap_clear(p0);
	h_eth(&f, P1_MAC, PEER1_MAC, ETH_P_IP4);
	l3 = h_ip4(&f, &s);
	put_be16(f.b + l3 + 20, 4000);
	put_be16(f.b + l3 + 22, 5000);
	put_be16(f.b + l3 + 24, 8 + 3000);
	put_be16(f.b + l3 + 26,
		 csum_fold(csum_pseudo4(sa.v4, da.v4, IPPROTO_UDP, 8 + 3000)));
	p = t_pkt(&f);
	pkt_set_partial(p, p->data + l3 + 20, 6);
	p->gso_size = 1000;
	p->gso_type = PKT_GSO_UDP_L4;
	t_input_pkt(p1, p);

	assert_int_equal(h_n(p0), 3);
	for (unsigned i = 0; i < 3; i++) {
		struct pkt *o = h_frame(p0, i);
		t_expect_tags(o, q, vid10, 1);
		h_assert_eth(o, PEER0_MAC, P0_MAC, ETH_P_IP4);
		assert_int_equal(o->len, 14 + 20 + 8 + 1000);
		assert_int_equal(o->data[14 + 8], 63);
		assert_true(h_l4_csum_ok(o));
	}
	assert_int_equal(h_stats(p0).split_extra, 2);
	assert_int_equal(h_stats(v10).fwd_in, 1);
	all[0] = p0, all[1] = p1, all[2] = v10;
	h_balance(all, 3);
	h_dev_del(v10);
}

/* QinQ: c10 (802.1Q 10) on s100 (802.1ad 100) on p0 answers ARP with both
 * tags; an inner VID without device is a counted drop on s100. */
static void test_qinq(void **state)
{
	struct dev *s100 = t_vlan("s100", "link p0 id 100 proto 802.1ad");
	struct dev *c10 = t_vlan("c10", "link s100 id 10"), *all[4];
	static const uint16_t tpids[2] = { ETH_P_8021Q, ETH_P_8021AD };
	static const uint16_t tcis[2] = { 10, 100 };
	static const uint16_t out_tpid[2] = { ETH_P_8021AD, ETH_P_8021Q };
	static const uint16_t out_tci[2] = { 100, 10 };
	static const uint16_t bad_tci[2] = { 11, 100 };
	struct hframe f;
	struct pkt *out;

	h_addr(c10, AF_INET, "10.30.0.1", 24);
	h_cap_clear(p0);
	h_arp_req(&f, PEER0_MAC, "10.30.0.2", "10.30.0.1");
	t_input_tagged(p0, &f, tpids, tcis, 2);
	assert_int_equal(h_n(p0), 1);
	out = h_frame(p0, 0);
	t_expect_tags(out, out_tpid, out_tci, 2);
	h_assert_eth(out, PEER0_MAC, P0_MAC, ETH_P_ARP);
	assert_int_equal(get_be16(out->data + 14 + 6), 2); /* reply */

	t_input_tagged(p0, &f, tpids, bad_tci, 2);
	assert_int_equal(h_rx_drops(s100, DROP_ETH_VLAN_NO_DEV), 1);
	assert_int_equal(h_n(p0), 1);
	assert_int_equal(h_stats(p0).to_upper, 2);
	assert_int_equal(h_stats(s100).to_upper, 1);
	all[0] = p0, all[1] = p1, all[2] = s100, all[3] = c10;
	h_balance(all, 4);
	h_dev_del(c10);
	h_dev_del(s100);
}

static void test_unknown_vid_is_counted_drop(void **state)
{
	struct dev *v10 = t_vlan("v10", "link p0 id 10"), *all[3];
	struct hframe f;

	t_udp(&f, P0_MAC, PEER0_MAC, "10.10.0.2", "10.2.0.2");
	t_input_q(p0, &f, 99);
	assert_int_equal(h_rx_drops(p0, DROP_ETH_VLAN_NO_DEV), 1);
	assert_int_equal(h_n(p1), 0);
	all[0] = p0, all[1] = p1, all[2] = v10;
	h_balance(all, 3);
	h_dev_del(v10);
}

/* A priority-tagged frame (VID 0) is untagged traffic of the device itself,
 * as in Linux: an echo request to p0's address gets an untagged reply. */
static void test_priority_tag_is_untagged(void **state)
{
	struct hframe f;
	struct ip4_spec s = { .src = "10.1.0.2", .dst = "10.1.0.1",
			      .proto = IPPROTO_ICMP, .ttl = 64, .l4_len = 16 };
	struct dev *all[2] = { p0, p1 };
	uint32_t l3;

	h_eth(&f, P0_MAC, PEER0_MAC, ETH_P_IP4);
	l3 = h_ip4(&f, &s);
	f.b[l3 + 20] = 8; /* echo request */
	f.b[l3 + 21] = 0;
	h_l4_csum(&f, l3);
	t_input_q(p0, &f, 5 << 13 | 0);
	assert_int_equal(h_rx_drops(p0, DROP_ETH_VLAN_NO_DEV), 0);
	assert_int_equal(h_n(p0), 1);
	h_assert_eth(h_frame(p0, 0), PEER0_MAC, P0_MAC, ETH_P_IP4);
	assert_int_equal(h_frame(p0, 0)->data[14 + 20], 0); /* echo reply */
	h_balance(all, 2);
}

/* The table entry appears when the device comes up, goes when it is
 * deleted; a down VLAN device receives and sends nothing. */
static void test_vid_table_lifecycle(void **state)
{
	char err[DRV_ERR_SIZE];
	struct dev *v10, *ad10, *all[4];
	struct hframe f;
	struct pkt *p;
	uint32_t idx;

	v10 = h_dev_create(&vlan_driver, "v10", "link p0 id 10", err);
	assert_non_null(v10);
	assert_int_equal(dev_register(v10), 0);
	assert_null(p0->vlan_q);
	assert_int_equal(dev_set_up(v10, true, err), 0);
	assert_non_null(p0->vlan_q);
	assert_int_equal(p0->vlan_q[10], v10->ifindex);
	assert_null(p0->vlan_ad);

	/* the same VID twice on one lower and protocol is refused */
	assert_null(h_dev_create(&vlan_driver, "v10b", "link p0 id 10", err));
	assert_non_null(strstr(err, "p0 already has 802.1Q VLAN 10 (v10)"));
	ad10 = t_vlan("ad10", "link p0 id 10 protocol 802.1ad");
	assert_int_equal(p0->vlan_ad[10], ad10->ifindex);

	/* down: the frame stays on p0 and is dropped there, tx is dropped */
	assert_int_equal(dev_set_up(v10, false, err), 0);
	t_udp(&f, P0_MAC, PEER0_MAC, "10.10.0.2", "10.2.0.2");
	t_input_q(p0, &f, 10);
	assert_int_equal(h_rx_drops(p0, DROP_ETH_VLAN_NO_DEV), 1);
	p = t_pkt(&f);
	p->flags |= PKT_F_LOCAL_ORIGIN;
	dev_count_egress(v10, p);
	dev_xmit(v10, &p, 1);
	assert_int_equal(h_stats(v10).tx_drops[DROP_DEV_DOWN], 1);
	assert_int_equal(h_n(p0), 0);

	/* deleted: the entry is cleared, frames are dropped on p0 */
	idx = v10->ifindex;
	h_dev_del(v10);
	assert_int_equal(p0->vlan_q[10], 0);
	t_input_q(p0, &f, 10);
	assert_int_equal(h_rx_drops(p0, DROP_ETH_VLAN_NO_DEV), 2);

	/* and the VID can be used again */
	v10 = t_vlan("v10", "link p0 id 10");
	assert_int_equal(p0->vlan_q[10], v10->ifindex);
	(void)idx;
	all[0] = p0, all[1] = p1, all[2] = v10, all[3] = ad10;
	h_balance(all, 4);
	h_dev_del(v10);
	h_dev_del(ad10);
	assert_int_equal(p0->vlan_ad[10], 0);
}

/* A VLAN device whose lower is deleted first drops instead of using it. */
static void test_lower_deleted_first(void **state)
{
	struct dev *low = h_dev("low", PEER1_MAC), *v5;
	char err[DRV_ERR_SIZE];
	struct hframe f;
	struct pkt *p;

	assert_int_equal(dev_set_up(low, true, err), 0);
	v5 = t_vlan("v5", "link low id 5");
	assert_ptr_equal(vlan_lower(v5), low);
	h_dev_del(low);
	assert_null(vlan_lower(v5));
	t_udp(&f, P0_MAC, PEER0_MAC, "10.10.0.2", "10.2.0.2");
	p = t_pkt(&f);
	p->flags |= PKT_F_LOCAL_ORIGIN;
	dev_count_egress(v5, p);
	dev_xmit(v5, &p, 1);
	assert_int_equal(h_stats(v5).tx_drops[DROP_DEV_DOWN], 1);
	h_dev_del(v5);
}

static void test_mtu_and_mac(void **state)
{
	struct dev *v10 = t_vlan("v10", "link p0 id 10");
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0x77, 0x01 };
	static const uint8_t newlow[6] = { 0x02, 0, 0, 0, 0x77, 0x02 };
	char err[256];

	assert_int_equal(v10->mtu, p0->mtu);
	assert_int_equal(dev_set_mtu(v10, p0->mtu + 1, err), -ERANGE);
	assert_int_equal(dev_set_mtu(v10, 1400, err), 0);
	assert_true(vlan_is_vlan(v10));
	assert_false(vlan_is_vlan(p0));
	assert_null(vlan_lower(p0));

	/* inherited MAC follows the lower (lower_state), until set */
	memcpy(p0->mac, newlow, 6);
	v10->ops->lower_state(v10, p0);
	assert_memory_equal(v10->mac, newlow, 6);
	assert_int_equal(dev_set_mac(v10, mac, err), 0);
	memcpy(p0->mac, P0_MAC, 6);
	v10->ops->lower_state(v10, p0);
	assert_memory_equal(v10->mac, mac, 6);
	h_dev_del(v10);
}

static void t_expect_error(const char *args, const char *msg)
{
	h_expect_create_error(&vlan_driver, "vx", args, msg);
}

static void test_argument_errors(void **state)
{
	t_expect_error("id 10", "needs a lower device");
	t_expect_error("link nosuch id 10", "no device 'nosuch'");
	t_expect_error("link p0", "missing 'id VID'");
	t_expect_error("link p0 id 4095", "invalid id '4095' (expected 1..4094)");
	t_expect_error("link p0 id 0", "invalid id '0'");
	t_expect_error("link p0 id ten", "invalid id 'ten'");
	t_expect_error("link p0 id", "'id' needs a value");
	t_expect_error("link p0 id 10 proto 802.1x", "invalid protocol '802.1x'");
	t_expect_error("link p0 id 10 vid 3", "unknown argument 'vid'");
}

/* Delete what a failed test left behind, then the harness's teardown. */
static int t_teardown(void **state)
{
	struct dev *d = dev_next(NULL);

	while (d) {
		struct dev *next = dev_next(d);
		if (vlan_is_vlan(d)) {
			h_dev_del(d);
			next = dev_next(NULL);
		}
		d = next;
	}
	return h_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_pop_keeps_offsets),
		cmocka_unit_test(test_push_on_shared_copies),
		cmocka_unit_test(test_push_without_headroom_copies),
		cmocka_unit_test(test_push_on_chain_keeps_chain),
		cmocka_unit_test(test_push_short_frame_fails),
		cmocka_unit_test_setup_teardown(test_route_between_vlan_and_port, h_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_superpacket_through_vlan, h_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_qinq, h_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_vid_is_counted_drop, h_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_priority_tag_is_untagged, h_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_vid_table_lifecycle, h_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_lower_deleted_first, h_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_mtu_and_mac, h_setup, t_teardown),
		cmocka_unit_test_setup_teardown(test_argument_errors, h_setup, t_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
