/* Unit tests of ARP (src/l2/arp.c) and IPv6 neighbor discovery
 * (src/l2/nd.c) on a real device whose test driver captures transmitted
 * frames: replies and their fields, learning and re-learning, counted drops
 * of malformed or foreign messages, solicitations, and ICMPv6 checksums
 * (checked with an independent RFC 1071 implementation). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/worker.h"
#include "dev/dev.h"
#include "l2/arp.h"
#include "l2/eth.h"
#include "l2/nd.h"
#include "l2/neigh.h"

#define CAP_MAX 64u
#define T0 1000000ull

/* ---- capture device ---------------------------------------------------- */

struct cap {
	unsigned n;
	struct pkt *f[CAP_MAX];
};

static uint16_t cap_tx(struct dev *d, struct pkt **pkts, uint16_t n)
{
	struct cap *c = d->priv;

	for (uint16_t i = 0; i < n; i++) {
		if (c->n < CAP_MAX)
			c->f[c->n++] = pkts[i];
		else
			pkt_free(pkts[i]);
	}
	return n;
}

static const struct dev_ops cap_ops = { .kind = "cap", .tx_burst = cap_tx };

static const uint8_t our_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t mac_a[6] = { 0x02, 0xaa, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t mac_b[6] = { 0x02, 0xbb, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t zero_mac[6];

static struct dev *dev0;
static struct worker tw;

static struct cap *cap(void)
{
	return dev0->priv;
}

static const uint8_t *frame(unsigned i)
{
	assert_true(i < cap()->n);
	return cap()->f[i]->data;
}

static union pkt_addr ip4(const char *s)
{
	union pkt_addr a;
	memset(&a, 0, sizeof(a));
	assert_int_equal(inet_pton(AF_INET, s, &a.v4), 1);
	return a;
}

static union pkt_addr ip6(const char *s)
{
	union pkt_addr a;
	assert_int_equal(inet_pton(AF_INET6, s, a.v6), 1);
	return a;
}

static void dev_add_addr(struct dev *d, int family, const char *s, uint8_t plen)
{
	struct dev_addr *a = &d->addr[d->naddr++];
	a->family = (uint8_t)family;
	a->plen = plen;
	a->addr = family == AF_INET ? ip4(s) : ip6(s);
}

static int setup(void **state)
{
	char err[256];

	assert_int_equal(neigh_init(), 0);
	dev0 = dev_alloc("p0", &cap_ops, sizeof(struct cap));
	assert_non_null(dev0);
	memcpy(dev0->mac, our_mac, 6);
	assert_int_equal(dev_register(dev0), 0);
	assert_int_equal(dev_set_up(dev0, true, err), 0);
	dev_add_addr(dev0, AF_INET, "10.1.0.1", 24);
	dev_add_addr(dev0, AF_INET6, "2001:db8::1", 64);
	dev0->ll6 = ip6("fe80::1");
	worker_ctx_init(&tw, 0);
	tw.now_ms = T0;
	return 0;
}

static int teardown(void **state)
{
	neigh_fini();
	worker_tx_flush(&tw);
	worker_ctx_fini(&tw);
	for (unsigned i = 0; i < cap()->n; i++)
		pkt_free(cap()->f[i]);
	dev_unregister(dev0);
	dev0 = NULL;
	return 0;
}

static struct dev_stats stats(void)
{
	struct dev_stats s;
	dev_stats_sum(dev0, &s);
	return s;
}

static enum neigh_state state_of(int family, const char *s, uint8_t mac[6])
{
	union pkt_addr a = family == AF_INET ? ip4(s) : ip6(s);
	enum neigh_state st;
	uint8_t m[6];

	if (!neigh_lookup(dev0, family, &a, &st, mac ? mac : m))
		return NEIGH_NONE;
	return st;
}

/* ---- ARP helpers ------------------------------------------------------- */

/* A received ARP packet as eth_input hands it on: Ethernet header pulled,
 * l2_off set. `len` < 28 truncates it. */
static struct pkt *mk_arp_len(uint16_t op, const uint8_t sha[6],
			      const char *spa, const uint8_t tha[6],
			      const char *tpa, uint32_t len)
{
	struct pkt *p = pkt_alloc(64);
	uint8_t *f = pkt_put(p, ETH_HLEN + 28);
	union pkt_addr s = ip4(spa), t = ip4(tpa);

	if (!f)
		abort(); /* cannot happen: tells the compiler f is valid */
	memcpy(f, eth_bcast, 6);
	memcpy(f + 6, sha, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	uint8_t *a = f + ETH_HLEN;
	a[0] = 0, a[1] = 1, a[2] = 0x08, a[3] = 0, a[4] = 6, a[5] = 4;
	a[6] = (uint8_t)(op >> 8), a[7] = (uint8_t)op;
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, &s.v4, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, &t.v4, 4);
	p->in_ifindex = dev0->ifindex;
	p->l2_off = pkt_off(p, f);
	pkt_pull(p, ETH_HLEN);
	pkt_trim(p, len);
	return p;
}

static struct pkt *mk_arp(uint16_t op, const uint8_t sha[6], const char *spa,
			  const uint8_t tha[6], const char *tpa)
{
	return mk_arp_len(op, sha, spa, tha, tpa, 28);
}

static void arp_rx(struct pkt *p)
{
	arp_input(&tw, dev0, p);
	worker_tx_flush(&tw);
}

/* Frame i is an ARP message with these fields. */
static void assert_arp(unsigned i, const uint8_t eth_dst[6], uint16_t op,
		       const char *spa, const uint8_t tha[6], const char *tpa)
{
	const uint8_t *f = frame(i), *a = f + ETH_HLEN;
	union pkt_addr s = ip4(spa), t = ip4(tpa);

	assert_true(cap()->f[i]->len >= ETH_HLEN + 28);
	assert_memory_equal(f, eth_dst, 6);
	assert_memory_equal(f + 6, our_mac, 6);
	assert_int_equal(f[12] << 8 | f[13], ETH_P_ARP);
	assert_int_equal(a[0] << 8 | a[1], 1);
	assert_int_equal(a[2] << 8 | a[3], ETH_P_IP4);
	assert_int_equal(a[4], 6);
	assert_int_equal(a[5], 4);
	assert_int_equal(a[6] << 8 | a[7], op);
	assert_memory_equal(a + 8, our_mac, 6);
	assert_memory_equal(a + 14, &s.v4, 4);
	assert_memory_equal(a + 18, tha, 6);
	assert_memory_equal(a + 24, &t.v4, 4);
}

/* ---- ND helpers -------------------------------------------------------- */

/* Independent RFC 1071 sum over the IPv6 pseudo-header and the ICMPv6
 * message of an IPv6 packet: 0 when its checksum field is right. */
static uint16_t ref_icmp6_csum(const uint8_t *ip)
{
	uint32_t plen = (uint32_t)(ip[4] << 8 | ip[5]), sum = 0;
	const uint8_t *m = ip + 40;

	for (unsigned i = 8; i < 40; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	sum += plen + 58;
	for (uint32_t i = 0; i < plen; i += 2)
		sum += (uint32_t)(m[i] << 8 | (i + 1 < plen ? m[i + 1] : 0));
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* NS/NA body (24 bytes, +8 with a link-layer option when opt != 0). */
static uint32_t nd_body(uint8_t *b, uint8_t type, uint8_t flags,
			const char *target, uint8_t opt, const uint8_t *mac)
{
	union pkt_addr t = ip6(target);

	memset(b, 0, 32);
	b[0] = type;
	b[4] = flags;
	memcpy(b + 8, t.v6, 16);
	if (!opt)
		return 24;
	b[24] = opt;
	b[25] = 1;
	memcpy(b + 26, mac, 6);
	return 32;
}

/* A received IPv6 packet carrying `icmp` as icmp6_input hands it on: data at
 * the IPv6 header, l3/l4 offsets set, a correct checksum. */
static struct pkt *mk_ip6(const char *src, const char *dst, uint8_t hop,
			  const uint8_t *icmp, uint32_t icmp_len)
{
	union pkt_addr s = ip6(src), d = ip6(dst);
	struct pkt *p = pkt_alloc(40 + icmp_len);
	uint8_t *h = pkt_put(p, 40 + icmp_len);
	uint16_t c;

	if (!h)
		abort(); /* cannot happen: tells the compiler h is valid */
	memset(h, 0, 40);
	h[0] = 0x60;
	h[4] = (uint8_t)(icmp_len >> 8);
	h[5] = (uint8_t)icmp_len;
	h[6] = 58;
	h[7] = hop;
	memcpy(h + 8, s.v6, 16);
	memcpy(h + 24, d.v6, 16);
	memcpy(h + 40, icmp, icmp_len);
	h[42] = h[43] = 0;
	c = ref_icmp6_csum(h);
	h[42] = (uint8_t)(c >> 8);
	h[43] = (uint8_t)c;
	p->in_ifindex = dev0->ifindex;
	p->l3_off = pkt_off(p, h);
	p->l4_off = (uint16_t)(p->l3_off + 40);
	p->l3_family = AF_INET6;
	p->l4_proto = 58;
	return p;
}

static void nd_rx(struct pkt *p)
{
	nd_input(&tw, dev0, p);
	worker_tx_flush(&tw);
}

static void rx_ns(const char *src, const char *dst, const char *target,
		  const uint8_t *slla)
{
	uint8_t b[32];
	uint32_t n = nd_body(b, 135, 0, target, slla ? 1 : 0, slla);
	nd_rx(mk_ip6(src, dst, 255, b, n));
}

static void rx_na(const char *src, const char *dst, uint8_t flags,
		  const char *target, const uint8_t *tlla)
{
	uint8_t b[32];
	uint32_t n = nd_body(b, 136, flags, target, tlla ? 2 : 0, tlla);
	nd_rx(mk_ip6(src, dst, 255, b, n));
}

/* Frame i is an IPv6 ND message (NS 135 / NA 136) with these fields, a
 * link-layer option carrying our MAC, and a correct checksum. */
static void assert_nd(unsigned i, const uint8_t eth_dst[6], const char *src,
		      const char *dst, uint8_t type, uint8_t flags,
		      const char *target)
{
	const uint8_t *f = frame(i), *ip = f + ETH_HLEN, *m = ip + 40;
	union pkt_addr s = ip6(src), d = ip6(dst), t = ip6(target);

	assert_int_equal(cap()->f[i]->len, ETH_HLEN + 40 + 32);
	assert_memory_equal(f, eth_dst, 6);
	assert_memory_equal(f + 6, our_mac, 6);
	assert_int_equal(f[12] << 8 | f[13], ETH_P_IP6);
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal(ip[4] << 8 | ip[5], 32);
	assert_int_equal(ip[6], 58);
	assert_int_equal(ip[7], 255);
	assert_memory_equal(ip + 8, s.v6, 16);
	assert_memory_equal(ip + 24, d.v6, 16);
	assert_int_equal(m[0], type);
	assert_int_equal(m[1], 0);
	assert_int_equal(m[4], flags);
	assert_memory_equal(m + 8, t.v6, 16);
	assert_int_equal(m[24], type == 135 ? 1 : 2);
	assert_int_equal(m[25], 1);
	assert_memory_equal(m + 26, our_mac, 6);
	assert_int_equal(ref_icmp6_csum(ip), 0);
}

/* ---- ARP tests --------------------------------------------------------- */

static void test_arp_request_for_us(void **state)
{
	uint8_t mac[6];

	arp_rx(mk_arp(1, mac_a, "10.1.0.2", zero_mac, "10.1.0.1"));
	assert_int_equal(cap()->n, 1);
	assert_arp(0, mac_a, 2, "10.1.0.1", mac_a, "10.1.0.2");
	assert_int_equal(stats().delivered, 1);
	assert_int_equal(stats().originated, 1);
	assert_int_equal(state_of(AF_INET, "10.1.0.2", mac), NEIGH_STALE);
	assert_memory_equal(mac, mac_a, 6);
}

static void test_arp_request_not_for_us(void **state)
{
	arp_rx(mk_arp(1, mac_a, "10.1.0.2", zero_mac, "10.1.0.77"));
	assert_int_equal(cap()->n, 0);
	assert_int_equal(stats().rx_drops[DROP_ARP_NOT_FOR_US], 1);
	assert_int_equal(stats().delivered, 0);
	assert_int_equal(state_of(AF_INET, "10.1.0.2", NULL), NEIGH_NONE);
}

static void test_arp_reply_resolves_queue(void **state)
{
	union pkt_addr nh = ip4("10.1.0.2");
	struct pkt *p = pkt_alloc(20);
	uint8_t mac[6];

	memset(pkt_put(p, 20), 0x45, 20);
	neigh_output(&tw, dev0, AF_INET, &nh, p);
	worker_tx_flush(&tw);
	assert_int_equal(cap()->n, 1);
	assert_arp(0, eth_bcast, 1, "10.1.0.1", zero_mac, "10.1.0.2");

	arp_rx(mk_arp(2, mac_a, "10.1.0.2", our_mac, "10.1.0.1"));
	assert_int_equal(cap()->n, 2); /* the queued packet, no answer */
	assert_memory_equal(frame(1), mac_a, 6);
	assert_int_equal(frame(1)[12] << 8 | frame(1)[13], ETH_P_IP4);
	assert_int_equal(state_of(AF_INET, "10.1.0.2", mac), NEIGH_REACHABLE);
	assert_memory_equal(mac, mac_a, 6);
	assert_int_equal(stats().delivered, 1);
}

static void test_arp_reply_rules(void **state)
{
	union pkt_addr nh = ip4("10.1.0.2");
	struct pkt *p;

	/* An unsolicited reply creates nothing (Linux, arp_accept off). */
	arp_rx(mk_arp(2, mac_a, "10.1.0.2", our_mac, "10.1.0.1"));
	assert_int_equal(state_of(AF_INET, "10.1.0.2", NULL), NEIGH_NONE);
	assert_int_equal(stats().delivered, 1);
	/* A broadcast reply updates a known entry but does not confirm it. */
	neigh_update(&tw, dev0, AF_INET, &nh, mac_b, NEIGH_UPD_CREATE);
	p = mk_arp(2, mac_a, "10.1.0.2", our_mac, "10.1.0.1");
	p->flags |= PKT_F_L2_BCAST;
	arp_rx(p);
	assert_int_equal(state_of(AF_INET, "10.1.0.2", NULL), NEIGH_STALE);
	arp_rx(mk_arp(2, mac_a, "10.1.0.2", our_mac, "10.1.0.1"));
	assert_int_equal(state_of(AF_INET, "10.1.0.2", NULL), NEIGH_REACHABLE);
	assert_int_equal(cap()->n, 0);
}

static void test_gratuitous_arp_relearns_mac(void **state)
{
	union pkt_addr nh = ip4("10.1.0.2");
	uint8_t mac[6];

	neigh_update(&tw, dev0, AF_INET, &nh, mac_a,
		     NEIGH_UPD_CREATE | NEIGH_UPD_SOLICITED);
	/* An ordinary request of someone else's with another MAC: kept. */
	arp_rx(mk_arp(1, mac_b, "10.1.0.2", zero_mac, "10.1.0.99"));
	assert_int_equal(state_of(AF_INET, "10.1.0.2", mac), NEIGH_REACHABLE);
	assert_memory_equal(mac, mac_a, 6);
	/* Gratuitous ARP (sender == target): the new MAC wins. */
	arp_rx(mk_arp(1, mac_b, "10.1.0.2", zero_mac, "10.1.0.2"));
	assert_int_equal(state_of(AF_INET, "10.1.0.2", mac), NEIGH_STALE);
	assert_memory_equal(mac, mac_b, 6);
	/* ... but never creates entries. */
	arp_rx(mk_arp(1, mac_b, "10.1.0.50", zero_mac, "10.1.0.50"));
	assert_int_equal(state_of(AF_INET, "10.1.0.50", NULL), NEIGH_NONE);
	assert_int_equal(stats().rx_drops[DROP_ARP_NOT_FOR_US], 3);
	assert_int_equal(cap()->n, 0);
}

static void test_arp_malformed(void **state)
{
	struct pkt *p;

	arp_rx(mk_arp_len(1, mac_a, "10.1.0.2", zero_mac, "10.1.0.1", 20));
	p = mk_arp(1, mac_a, "10.1.0.2", zero_mac, "10.1.0.1");
	p->data[1] = 6; /* htype */
	arp_rx(p);
	p = mk_arp(1, mac_a, "10.1.0.2", zero_mac, "10.1.0.1");
	p->data[2] = 0x86, p->data[3] = 0xdd; /* ptype */
	arp_rx(p);
	p = mk_arp(1, mac_a, "10.1.0.2", zero_mac, "10.1.0.1");
	p->data[4] = 8; /* hlen */
	arp_rx(p);
	arp_rx(mk_arp(3, mac_a, "10.1.0.2", zero_mac, "10.1.0.1"));
	arp_rx(mk_arp(1, eth_bcast, "10.1.0.2", zero_mac, "10.1.0.1"));
	assert_int_equal(stats().rx_drops[DROP_ARP_MALFORMED], 6);
	assert_int_equal(stats().delivered, 0);
	assert_int_equal(cap()->n, 0);
	assert_int_equal(state_of(AF_INET, "10.1.0.2", NULL), NEIGH_NONE);
}

static void test_arp_probe_from_zero(void **state)
{
	/* RFC 5227 probe: answered, nothing learned for 0.0.0.0. */
	arp_rx(mk_arp(1, mac_a, "0.0.0.0", zero_mac, "10.1.0.1"));
	assert_int_equal(cap()->n, 1);
	assert_arp(0, mac_a, 2, "10.1.0.1", mac_a, "0.0.0.0");
	assert_int_equal(state_of(AF_INET, "0.0.0.0", NULL), NEIGH_NONE);
	assert_int_equal(stats().delivered, 1);
}

static void test_arp_claiming_our_address(void **state)
{
	arp_rx(mk_arp(1, mac_a, "10.1.0.1", zero_mac, "10.1.0.1"));
	assert_int_equal(cap()->n, 0);
	assert_int_equal(state_of(AF_INET, "10.1.0.1", NULL), NEIGH_NONE);
	assert_int_equal(stats().delivered, 1);
}

static void test_arp_announce_and_unicast_solicit(void **state)
{
	union pkt_addr a = ip4("10.1.0.1"), t = ip4("10.1.0.9");

	arp_announce(&tw, dev0, a.v4);
	arp_solicit(&tw, dev0, t.v4, mac_b);
	worker_tx_flush(&tw);
	assert_int_equal(cap()->n, 2);
	assert_arp(0, eth_bcast, 1, "10.1.0.1", zero_mac, "10.1.0.1");
	assert_arp(1, mac_b, 1, "10.1.0.1", zero_mac, "10.1.0.9");
	assert_int_equal(stats().originated, 2);
}

/* ---- ND tests ---------------------------------------------------------- */

static void test_ns_for_us_answered(void **state)
{
	uint8_t mac[6];

	rx_ns("2001:db8::2", "ff02::1:ff00:1", "2001:db8::1", mac_a);
	assert_int_equal(cap()->n, 1);
	/* Router, Solicited, Override; to the solicitor, from the target. */
	assert_nd(0, mac_a, "2001:db8::1", "2001:db8::2", 136, 0xe0,
		  "2001:db8::1");
	assert_int_not_equal(state_of(AF_INET6, "2001:db8::2", mac), NEIGH_NONE);
	assert_memory_equal(mac, mac_a, 6);
	assert_int_equal(stats().delivered, 1);
	assert_int_equal(stats().originated, 1);
}

static void test_ns_dad_answered_to_all_nodes(void **state)
{
	static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };

	rx_ns("::", "ff02::1:ff00:1", "2001:db8::1", NULL);
	assert_int_equal(cap()->n, 1);
	/* Router and Override, not Solicited (RFC 4861 7.2.4). */
	assert_nd(0, all_nodes_mac, "2001:db8::1", "ff02::1", 136, 0xa0,
		  "2001:db8::1");
	assert_int_equal(state_of(AF_INET6, "::", NULL), NEIGH_NONE);
}

static void test_ns_for_link_local(void **state)
{
	rx_ns("fe80::2", "ff02::1:ff00:1", "fe80::1", mac_a);
	assert_int_equal(cap()->n, 1);
	assert_nd(0, mac_a, "fe80::1", "fe80::2", 136, 0xe0, "fe80::1");
}

static void test_ns_not_for_us(void **state)
{
	rx_ns("2001:db8::2", "ff02::1:ff00:99", "2001:db8::99", mac_a);
	assert_int_equal(cap()->n, 0);
	assert_int_equal(state_of(AF_INET6, "2001:db8::2", NULL), NEIGH_NONE);
	assert_int_equal(stats().delivered, 1);
}

static void test_ns_without_slla_resolves_first(void **state)
{
	static const uint8_t sn_mac[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x03 };
	uint8_t mac[6];

	/* No SLLA: the NA waits while we resolve the solicitor. */
	rx_ns("2001:db8::3", "2001:db8::1", "2001:db8::1", NULL);
	assert_int_equal(cap()->n, 1);
	assert_nd(0, sn_mac, "2001:db8::1", "ff02::1:ff00:3", 135, 0,
		  "2001:db8::3");
	assert_int_equal(state_of(AF_INET6, "2001:db8::3", NULL),
			 NEIGH_INCOMPLETE);
	rx_na("2001:db8::3", "2001:db8::1", 0x60, "2001:db8::3", mac_b);
	assert_int_equal(cap()->n, 2);
	assert_nd(1, mac_b, "2001:db8::1", "2001:db8::3", 136, 0xe0,
		  "2001:db8::1");
	assert_int_equal(state_of(AF_INET6, "2001:db8::3", mac), NEIGH_REACHABLE);
	assert_memory_equal(mac, mac_b, 6);
}

static void test_na_updates(void **state)
{
	union pkt_addr t = ip6("2001:db8::4");
	uint8_t mac[6];

	/* Unknown target: an NA creates nothing. */
	rx_na("2001:db8::4", "ff02::1", 0x20, "2001:db8::4", mac_a);
	assert_int_equal(state_of(AF_INET6, "2001:db8::4", NULL), NEIGH_NONE);

	neigh_update(&tw, dev0, AF_INET6, &t, mac_a, NEIGH_UPD_CREATE);
	rx_na("2001:db8::4", "2001:db8::1", 0x40, "2001:db8::4", mac_a);
	assert_int_equal(state_of(AF_INET6, "2001:db8::4", mac), NEIGH_REACHABLE);
	/* Without O, another MAC is not taken. */
	rx_na("2001:db8::4", "ff02::1", 0x00, "2001:db8::4", mac_b);
	assert_int_equal(state_of(AF_INET6, "2001:db8::4", mac), NEIGH_REACHABLE);
	assert_memory_equal(mac, mac_a, 6);
	/* Unsolicited with O: replaced, STALE. */
	rx_na("2001:db8::4", "ff02::1", 0x20, "2001:db8::4", mac_b);
	assert_int_equal(state_of(AF_INET6, "2001:db8::4", mac), NEIGH_STALE);
	assert_memory_equal(mac, mac_b, 6);
	/* Solicited without TLLA confirms the known MAC. */
	rx_na("2001:db8::4", "2001:db8::1", 0x40, "2001:db8::4", NULL);
	assert_int_equal(state_of(AF_INET6, "2001:db8::4", mac), NEIGH_REACHABLE);
	assert_memory_equal(mac, mac_b, 6);
	assert_int_equal(stats().delivered, 5);
	assert_int_equal(cap()->n, 0);
}

static void test_nd_malformed(void **state)
{
	uint8_t b[48];
	uint32_t n;

	n = nd_body(b, 135, 0, "2001:db8::1", 1, mac_a);
	nd_rx(mk_ip6("2001:db8::2", "ff02::1:ff00:1", 254, b, n)); /* hop */
	nd_rx(mk_ip6("2001:db8::2", "ff02::1:ff00:1", 255, b, 20)); /* short */
	b[25] = 0; /* option length 0 */
	nd_rx(mk_ip6("2001:db8::2", "ff02::1:ff00:1", 255, b, n));
	b[25] = 2; /* option overruns the message */
	nd_rx(mk_ip6("2001:db8::2", "ff02::1:ff00:1", 255, b, n));
	n = nd_body(b, 135, 0, "ff02::1", 0, NULL); /* multicast target */
	nd_rx(mk_ip6("2001:db8::2", "ff02::1:ff00:1", 255, b, n));
	n = nd_body(b, 135, 0, "2001:db8::1", 1, mac_a); /* DAD with SLLA */
	nd_rx(mk_ip6("::", "ff02::1:ff00:1", 255, b, n));
	n = nd_body(b, 135, 0, "2001:db8::1", 0, NULL); /* DAD not to SN */
	nd_rx(mk_ip6("::", "2001:db8::1", 255, b, n));
	n = nd_body(b, 136, 0x40, "2001:db8::2", 2, mac_a); /* S to mcast */
	nd_rx(mk_ip6("2001:db8::2", "ff02::1", 255, b, n));
	n = nd_body(b, 135, 0, "2001:db8::1", 1, mac_a);
	b[1] = 1; /* code */
	nd_rx(mk_ip6("2001:db8::2", "ff02::1:ff00:1", 255, b, n));
	memset(b, 0, sizeof(b));
	b[0] = 134; /* RA from a global source */
	nd_rx(mk_ip6("2001:db8::2", "ff02::1", 255, b, 16));
	n = nd_body(b, 135, 0, "2001:db8::1", 0, NULL); /* multicast source */
	nd_rx(mk_ip6("ff02::2", "ff02::1:ff00:1", 255, b, n));

	assert_int_equal(stats().rx_drops[DROP_ND_MALFORMED], 11);
	assert_int_equal(stats().delivered, 0);
	assert_int_equal(cap()->n, 0);
	assert_int_equal(state_of(AF_INET6, "2001:db8::2", NULL), NEIGH_NONE);
}

static void test_nd_bad_lengths_and_offsets(void **state)
{
	uint8_t b[32];
	uint32_t n = nd_body(b, 135, 0, "2001:db8::1", 1, mac_a);
	struct pkt *p;

	p = mk_ip6("2001:db8::2", "ff02::1:ff00:1", 255, b, n);
	p->data[5] = 200; /* payload length beyond the packet */
	nd_rx(p);
	p = mk_ip6("2001:db8::2", "ff02::1:ff00:1", 255, b, n);
	p->l4_off = PKT_OFF_UNSET;
	nd_rx(p);
	p = mk_ip6("2001:db8::2", "ff02::1:ff00:1", 255, b, n);
	p->l4_off = (uint16_t)(p->l3_off + 200); /* beyond the end */
	nd_rx(p);
	assert_int_equal(stats().rx_drops[DROP_ND_MALFORMED], 3);
	assert_int_equal(cap()->n, 0);
}

static void test_rs_ra_redirect_ignored(void **state)
{
	uint8_t b[40];

	memset(b, 0, sizeof(b));
	b[0] = 133;
	nd_rx(mk_ip6("fe80::2", "ff02::2", 255, b, 8));
	b[0] = 134;
	nd_rx(mk_ip6("fe80::2", "ff02::1", 255, b, 16));
	b[0] = 137;
	nd_rx(mk_ip6("fe80::2", "2001:db8::1", 255, b, 40));
	b[0] = 128; /* not ND at all */
	nd_rx(mk_ip6("fe80::2", "2001:db8::1", 255, b, 8));
	assert_int_equal(stats().delivered, 3);
	assert_int_equal(stats().rx_drops[DROP_ICMP_UNHANDLED], 1);
	assert_int_equal(cap()->n, 0);
}

static void test_nd_solicit(void **state)
{
	union pkt_addr g = ip6("2001:db8::5"), ll = ip6("fe80::5");
	static const uint8_t sn_mac[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x05 };

	nd_solicit(&tw, dev0, g.v6, NULL);
	nd_solicit(&tw, dev0, g.v6, mac_a);
	nd_solicit(&tw, dev0, ll.v6, mac_a);
	worker_tx_flush(&tw);
	assert_int_equal(cap()->n, 3);
	assert_nd(0, sn_mac, "2001:db8::1", "ff02::1:ff00:5", 135, 0,
		  "2001:db8::5");
	assert_nd(1, mac_a, "2001:db8::1", "2001:db8::5", 135, 0,
		  "2001:db8::5");
	assert_nd(2, mac_a, "fe80::1", "fe80::5", 135, 0, "fe80::5");
	assert_int_equal(stats().originated, 3);
}

/* The same exchanges entering as Ethernet frames through the pipeline
 * (eth_input -> arp_input; ip6 input -> icmp6 -> nd_input). */
static struct pkt *eth_frame(const uint8_t dst[6], const uint8_t src[6],
			     uint16_t type, struct pkt *payload)
{
	uint8_t *eh = pkt_push(payload, ETH_HLEN);

	assert_non_null(eh);
	memcpy(eh, dst, 6);
	memcpy(eh + 6, src, 6);
	eh[12] = (uint8_t)(type >> 8);
	eh[13] = (uint8_t)type;
	payload->l2_off = payload->l3_off = payload->l4_off = PKT_OFF_UNSET;
	payload->l3_family = 0;
	payload->in_ifindex = dev0->ifindex;
	return payload;
}

static void test_through_eth_input(void **state)
{
	static const uint8_t sn_mac[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x01 };
	struct pkt_vec v;
	uint8_t b[32];
	uint32_t n = nd_body(b, 135, 0, "2001:db8::1", 1, mac_a);

	v.n = 0;
	v.p[v.n++] = eth_frame(eth_bcast, mac_a, ETH_P_ARP,
			       mk_arp(1, mac_a, "10.1.0.2", zero_mac,
				      "10.1.0.1"));
	v.p[v.n++] = eth_frame(sn_mac, mac_a, ETH_P_IP6,
			       mk_ip6("2001:db8::2", "ff02::1:ff00:1", 255, b, n));
	worker_input(&tw, &v);
	worker_tx_flush(&tw);
	assert_int_equal(cap()->n, 2);
	assert_arp(0, mac_a, 2, "10.1.0.1", mac_a, "10.1.0.2");
	assert_nd(1, mac_a, "2001:db8::1", "2001:db8::2", 136, 0xe0,
		  "2001:db8::1");
	assert_int_equal(stats().delivered, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_arp_request_for_us),
		T(test_arp_request_not_for_us),
		T(test_arp_reply_resolves_queue),
		T(test_arp_reply_rules),
		T(test_gratuitous_arp_relearns_mac),
		T(test_arp_malformed),
		T(test_arp_probe_from_zero),
		T(test_arp_claiming_our_address),
		T(test_arp_announce_and_unicast_solicit),
		T(test_ns_for_us_answered),
		T(test_ns_dad_answered_to_all_nodes),
		T(test_ns_for_link_local),
		T(test_ns_not_for_us),
		T(test_ns_without_slla_resolves_first),
		T(test_na_updates),
		T(test_nd_malformed),
		T(test_nd_bad_lengths_and_offsets),
		T(test_rs_ra_redirect_ignored),
		T(test_nd_solicit),
		T(test_through_eth_input),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
