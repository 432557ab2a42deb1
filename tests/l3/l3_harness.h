/* Test harness for the L3 unit tests (test_ip4.c, test_ip6.c, test_icmp.c):
 * two capture devices whose tx_burst records every frame, addresses,
 * routes and static neighbors configured through the real control-thread
 * APIs, frame builders, and input through eth_input (worker_input) on a
 * private worker context.
 *
 *   p0 02:00:00:00:00:01  10.1.0.1/24  2001:db8:1::1/64   peer 10.1.0.2 /
 *                                                          2001:db8:1::2 /
 *                                                          fe80::2  = PEER0_MAC
 *   p1 02:00:00:00:00:11  10.2.0.1/24  2001:db8:2::1/64   peer 10.2.0.2 /
 *                                                          2001:db8:2::2 = PEER1_MAC
 *   routes: 10.3.0.0/16 and 2001:db8:3::/48 via the p1 peer;
 *           10.4.0.0/16 and 2001:db8:4::/48 via the p1 peer, mtu 1400.
 *
 * Everything here is static inline so each test binary takes what it uses. */
#ifndef USNET_TESTS_L3_HARNESS_H
#define USNET_TESTS_L3_HARNESS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "dev/drivers.h"
#include "fib/fib.h"
#include "l2/eth.h"
#include "l2/neigh.h"
#include "l3/addr.h"
#include "l3/icmp.h"
#include "l3/ip.h"
#include "offload/csum.h"

#define CAP_MAX 256u

struct cap {
	unsigned n;
	struct pkt *f[CAP_MAX];
};

static uint16_t h_cap_tx(struct dev *d, struct pkt **pkts, uint16_t n)
{
	struct cap *c = d->priv;

	for (uint16_t i = 0; i < n; i++) {
		struct dev_stats *s = dev_stats_here(d);
		s->tx_packets++;
		s->tx_bytes += pkts[i]->total_len;
		if (c->n < CAP_MAX && pkt_linearize(pkts[i]) == 0)
			c->f[c->n++] = pkts[i];
		else
			pkt_free(pkts[i]);
	}
	return n;
}

static const struct dev_ops h_cap_ops = { .kind = "cap", .tx_burst = h_cap_tx };

static const uint8_t P0_MAC[6] = { 0x02, 0, 0, 0, 0, 0x01 };
static const uint8_t P1_MAC[6] = { 0x02, 0, 0, 0, 0, 0x11 };
static const uint8_t PEER0_MAC[6] = { 0x02, 0, 0, 0, 0x01, 0x02 };
static const uint8_t PEER1_MAC[6] = { 0x02, 0, 0, 0, 0x02, 0x02 };

static struct dev *p0, *p1;
static struct worker tw;
static uint64_t h_outstanding;
static struct icmp_params h_saved_icmp;

static inline union pkt_addr A4(const char *s)
{
	union pkt_addr a;
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, &a.v4) != 1)
		fail_msg("bad IPv4 literal %s", s);
	return a;
}

static inline union pkt_addr A6(const char *s)
{
	union pkt_addr a;
	if (inet_pton(AF_INET6, s, a.v6) != 1)
		fail_msg("bad IPv6 literal %s", s);
	return a;
}

static inline struct dev *h_dev(const char *name, const uint8_t mac[6])
{
	struct dev *d = dev_alloc(name, &h_cap_ops, sizeof(struct cap));

	assert_non_null(d);
	memcpy(d->mac, mac, 6);
	assert_int_equal(dev_register(d), 0);
	return d;
}

static inline void h_addr(struct dev *d, int family, const char *s,
			  unsigned plen)
{
	char err[256];
	union pkt_addr a = family == AF_INET ? A4(s) : A6(s);

	if (addr_add(d, family, &a, plen, err) != 0)
		fail_msg("addr_add %s: %s", s, err);
}

static inline void h_neigh(struct dev *d, int family, const char *s,
			   const uint8_t mac[6])
{
	union pkt_addr a = family == AF_INET ? A4(s) : A6(s);
	assert_int_equal(neigh_add_static(d, family, &a, mac), 0);
}

/* Add `prefix/plen via gw dev d [mtu]` to table main. */
static inline void h_route(int family, const char *prefix, unsigned plen,
			   const char *gw, struct dev *d, uint32_t mtu)
{
	struct fib_route r;
	char err[256];

	memset(&r, 0, sizeof(r));
	r.family = (uint8_t)family;
	r.plen = (uint8_t)plen;
	r.type = FIB_UNICAST;
	r.proto = FIB_PROTO_STATIC;
	r.table = FIB_TABLE_MAIN;
	r.prefix = family == AF_INET ? A4(prefix) : A6(prefix);
	r.mtu = mtu;
	r.nnh = 1;
	r.nh[0].ifindex = d->ifindex;
	r.nh[0].weight = 1;
	if (gw) {
		r.nh[0].has_gw = true;
		r.nh[0].gw = family == AF_INET ? A4(gw) : A6(gw);
	}
	if (fib_route_add(&r, FIB_F_EXCL, err) != 0)
		fail_msg("route %s/%u: %s", prefix, plen, err);
}

static inline int h_setup(void **state)
{
	char err[256];

	(void)state;
	h_outstanding = pkt_pool_outstanding();
	h_saved_icmp = icmp_params;
	assert_int_equal(fib_init(), 0);
	assert_int_equal(neigh_init(), 0);
	p0 = h_dev("p0", P0_MAC);
	p1 = h_dev("p1", P1_MAC);
	h_addr(p0, AF_INET, "10.1.0.1", 24);
	h_addr(p1, AF_INET, "10.2.0.1", 24);
	h_addr(p0, AF_INET6, "2001:db8:1::1", 64);
	h_addr(p1, AF_INET6, "2001:db8:2::1", 64);
	assert_int_equal(dev_set_up(p0, true, err), 0);
	assert_int_equal(dev_set_up(p1, true, err), 0);
	h_neigh(p0, AF_INET, "10.1.0.2", PEER0_MAC);
	h_neigh(p1, AF_INET, "10.2.0.2", PEER1_MAC);
	h_neigh(p0, AF_INET6, "2001:db8:1::2", PEER0_MAC);
	h_neigh(p0, AF_INET6, "fe80::2", PEER0_MAC);
	h_neigh(p1, AF_INET6, "2001:db8:2::2", PEER1_MAC);
	h_route(AF_INET, "10.3.0.0", 16, "10.2.0.2", p1, 0);
	h_route(AF_INET, "10.4.0.0", 16, "10.2.0.2", p1, 1400);
	h_route(AF_INET6, "2001:db8:3::", 48, "2001:db8:2::2", p1, 0);
	h_route(AF_INET6, "2001:db8:4::", 48, "2001:db8:2::2", p1, 1400);
	worker_ctx_init(&tw, WORKER_CTL_SLOT);
	tw.now_ms = 1000000;
	return 0;
}

static inline void h_cap_clear(struct dev *d)
{
	struct cap *c = d->priv;
	for (unsigned i = 0; i < c->n; i++)
		pkt_free(c->f[i]);
	c->n = 0;
}

static inline int h_teardown(void **state)
{
	(void)state;
	worker_tx_flush(&tw);
	worker_ctx_fini(&tw);
	h_cap_clear(p0);
	h_cap_clear(p1);
	neigh_fini();
	dev_unregister(p0);
	dev_unregister(p1);
	fib_fini();
	icmp_params = h_saved_icmp;
	assert_int_equal(pkt_pool_outstanding(), h_outstanding);
	return 0;
}

static inline unsigned h_n(struct dev *d)
{
	return ((struct cap *)d->priv)->n;
}

/* Captured frame i of d (data at the Ethernet header). */
static inline struct pkt *h_frame(struct dev *d, unsigned i)
{
	struct cap *c = d->priv;
	if (i >= c->n)
		fail_msg("%s: frame %u asked, %u captured", d->name, i, c->n);
	return c->f[i];
}

static inline struct dev_stats h_stats(struct dev *d)
{
	struct dev_stats s;
	dev_stats_sum(d, &s);
	return s;
}

static inline uint64_t h_rx_drops(struct dev *d, enum drop_reason r)
{
	return h_stats(d).rx_drops[r];
}

/* A device of driver drv made from `ARGS` as `link add NAME type ... ARGS`
 * would; NULL with err (DRV_ERR_SIZE) filled on failure. */
static inline struct dev *h_dev_create(const struct dev_driver *drv,
				       const char *name, const char *args,
				       char *err)
{
	char buf[256], *argv[32], *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", args);
	for (char *t = strtok_r(buf, " ", &save); t && argc < 32;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	err[0] = 0;
	return drv->create(name, argc, argv, err);
}

/* h_dev_create, registered, with MAC mac (unless NULL), up; fails the test
 * on any error. */
static inline struct dev *h_dev_up(const struct dev_driver *drv,
				   const char *name, const char *args,
				   const uint8_t *mac)
{
	char err[DRV_ERR_SIZE];
	struct dev *d = h_dev_create(drv, name, args, err);

	if (!d)
		fail_msg("%s %s: %s", name, args, err);
	assert_int_equal(dev_register(d), 0);
	if (mac && dev_set_mac(d, mac, err) != 0)
		fail_msg("address %s: %s", name, err);
	if (dev_set_up(d, true, err) != 0)
		fail_msg("up %s: %s", name, err);
	return d;
}

/* `link add NAME type ... ARGS` of driver drv must fail with an error
 * containing msg. */
static inline void h_expect_create_error(const struct dev_driver *drv,
					 const char *name, const char *args,
					 const char *msg)
{
	char err[DRV_ERR_SIZE];
	struct dev *d = h_dev_create(drv, name, args, err);

	if (d)
		fail_msg("'%s' was accepted", args);
	if (!strstr(err, msg))
		fail_msg("'%s': error '%s' lacks '%s'", args, err, msg);
}

/* What `link del` does for a device without slaves. */
static inline void h_dev_del(struct dev *d)
{
	fib_flush_dev(d->ifindex);
	neigh_flush_dev(d);
	dev_unregister(d);
}

/* Conservation on each device: rx = forwarded + delivered + to_upper +
 * drops and fwd_in + originated + split_extra = tx + drops. */
static inline void h_balance(struct dev *const *ds, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		struct dev_stats s = h_stats(ds[i]);
		uint64_t rxd = 0, txd = 0;

		for (unsigned r = 0; r < DROP_MAX; r++) {
			rxd += s.rx_drops[r];
			txd += s.tx_drops[r];
		}
		if (s.rx_packets != s.forwarded + s.delivered + s.to_upper + rxd)
			fail_msg("%s rx %llu != fwd %llu + delivered %llu + to_upper %llu + drops %llu",
				 ds[i]->name, (unsigned long long)s.rx_packets,
				 (unsigned long long)s.forwarded,
				 (unsigned long long)s.delivered,
				 (unsigned long long)s.to_upper,
				 (unsigned long long)rxd);
		if (s.fwd_in + s.originated + s.split_extra != s.tx_packets + txd)
			fail_msg("%s tx: fwd_in %llu + orig %llu + split %llu != tx %llu + drops %llu",
				 ds[i]->name, (unsigned long long)s.fwd_in,
				 (unsigned long long)s.originated,
				 (unsigned long long)s.split_extra,
				 (unsigned long long)s.tx_packets,
				 (unsigned long long)txd);
	}
}

/* Conservation on both devices (no neighbor queues in these tests). */
static inline void h_check_balance(void)
{
	struct dev *ds[2] = { p0, p1 };

	h_balance(ds, 2);
}

/* ---- frame building ------------------------------------------------------ */

/* A frame under construction: bytes plus where L3 begins. */
struct hframe {
	uint8_t b[9216];
	uint32_t len;
};

static inline void h_eth(struct hframe *f, const uint8_t dst[6],
			 const uint8_t src[6], uint16_t type)
{
	memcpy(f->b, dst, 6);
	memcpy(f->b + 6, src, 6);
	put_be16(f->b + 12, type);
	f->len = 14;
}

/* A broadcast ARP request from spa (MAC sha) for tpa (RFC 826). */
static inline void h_arp_req(struct hframe *f, const uint8_t sha[6],
			     const char *spa, const char *tpa)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	union pkt_addr s = A4(spa), t = A4(tpa);
	uint8_t *a;

	h_eth(f, bcast, sha, ETH_P_ARP);
	a = f->b + f->len;
	put_be16(a, 1);
	put_be16(a + 2, ETH_P_IP4);
	a[4] = 6;
	a[5] = 4;
	put_be16(a + 6, 1);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, &s.v4, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, &t.v4, 4);
	f->len += 28;
}

struct ip4_spec {
	const char *src, *dst;
	uint8_t proto, ttl, tos;
	uint16_t id, frag;          /* frag: flags | offset field */
	const uint8_t *opts;
	uint32_t optlen;            /* multiple of 4 */
	uint32_t l4_len;            /* bytes after the header */
};

/* Append an IPv4 header and l4_len bytes of pattern; returns the L3 offset.
 * The L4 bytes are filled by the caller afterwards if it cares; the header
 * checksum is computed over the final header (call h_ip4_csum after
 * changing it). */
static inline uint32_t h_ip4(struct hframe *f, const struct ip4_spec *s)
{
	uint32_t l3 = f->len, ihl = 20 + s->optlen;
	uint8_t *ip = f->b + l3;
	union pkt_addr sa = A4(s->src), da = A4(s->dst);

	memset(ip, 0, ihl);
	ip[0] = (uint8_t)(0x40 | ihl / 4);
	ip[1] = s->tos;
	put_be16(ip + 2, (uint16_t)(ihl + s->l4_len));
	put_be16(ip + 4, s->id);
	put_be16(ip + 6, s->frag);
	ip[8] = s->ttl;
	ip[9] = s->proto;
	memcpy(ip + 12, &sa.v4, 4);
	memcpy(ip + 16, &da.v4, 4);
	if (s->optlen)
		memcpy(ip + 20, s->opts, s->optlen);
	for (uint32_t i = 0; i < s->l4_len; i++)
		ip[ihl + i] = (uint8_t)(i * 13 + 5);
	put_be16(ip + 10, csum_ip4_header(ip, ihl));
	f->len = l3 + ihl + s->l4_len;
	return l3;
}

static inline void h_ip4_csum(struct hframe *f, uint32_t l3)
{
	uint8_t *ip = f->b + l3;
	uint32_t ihl = (ip[0] & 0xfu) * 4;
	put_be16(ip + 10, 0);
	put_be16(ip + 10, csum_ip4_header(ip, ihl));
}

struct ip6_spec {
	const char *src, *dst;
	uint8_t nh, hlim, tclass;
	uint32_t flow;
	uint32_t l4_len;
};

static inline uint32_t h_ip6(struct hframe *f, const struct ip6_spec *s)
{
	uint32_t l3 = f->len;
	uint8_t *ip = f->b + l3;
	union pkt_addr sa = A6(s->src), da = A6(s->dst);

	put_be32(ip, 0x60000000u | (uint32_t)s->tclass << 20 | (s->flow & 0xfffff));
	put_be16(ip + 4, (uint16_t)s->l4_len);
	ip[6] = s->nh;
	ip[7] = s->hlim;
	memcpy(ip + 8, sa.v6, 16);
	memcpy(ip + 24, da.v6, 16);
	for (uint32_t i = 0; i < s->l4_len; i++)
		ip[40 + i] = (uint8_t)(i * 13 + 5);
	f->len = l3 + 40 + s->l4_len;
	return l3;
}

/* Fill in a valid L4 checksum (UDP, TCP, ICMP, ICMPv6) of the packet at l3:
 * header fields beyond the checksum are the caller's. */
static inline void h_l4_csum(struct hframe *f, uint32_t l3)
{
	uint8_t *ip = f->b + l3;
	bool v6 = (ip[0] >> 4) == 6;
	uint32_t hl = v6 ? 40 : (ip[0] & 0xfu) * 4u;
	uint8_t proto = v6 ? ip[6] : ip[9];
	uint8_t *l4 = ip + hl;
	uint32_t l4_len = f->len - l3 - hl, sum = 0;
	unsigned field = proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 2;
	uint16_t c;

	if (proto == IPPROTO_UDP)
		put_be16(l4 + 4, (uint16_t)l4_len);
	put_be16(l4 + field, 0);
	if (v6) {
		sum = csum_pseudo6(ip + 8, ip + 24, proto, l4_len);
	} else if (proto != IPPROTO_ICMP) {
		uint32_t sa, da;
		memcpy(&sa, ip + 12, 4);
		memcpy(&da, ip + 16, 4);
		sum = csum_pseudo4(sa, da, proto, l4_len);
	}
	c = csum_finish(csum_partial(l4, l4_len, sum));
	if (c == 0 && proto == IPPROTO_UDP)
		c = 0xffff;
	put_be16(l4 + field, c);
}

/* Feed a frame as received on d. */
static inline void h_input(struct dev *d, const struct hframe *f)
{
	struct pkt *p = pkt_alloc(f->len);
	struct pkt_vec v;

	assert_non_null(p);
	memcpy(pkt_put(p, f->len), f->b, f->len);
	p->in_ifindex = d->ifindex;
	dev_stats_here(d)->rx_packets++;
	dev_stats_here(d)->rx_bytes += f->len;
	v.n = 1;
	v.p[0] = p;
	worker_input(&tw, &v);
	worker_tx_flush(&tw);
}

/* Common frames: IPv4 from the p0 peer to us / through us. */
static inline uint32_t h_udp4(struct hframe *f, const char *src,
			      const char *dst, uint8_t ttl, uint32_t payload)
{
	struct ip4_spec s = { .src = src, .dst = dst, .proto = IPPROTO_UDP,
			      .ttl = ttl, .id = 0x1234, .l4_len = 8 + payload };
	uint32_t l3;

	h_eth(f, P0_MAC, PEER0_MAC, ETH_P_IP4);
	l3 = h_ip4(f, &s);
	put_be16(f->b + l3 + 20, 4000);
	put_be16(f->b + l3 + 22, 5000);
	h_l4_csum(f, l3);
	return l3;
}

static inline uint32_t h_udp6(struct hframe *f, const char *src,
			      const char *dst, uint8_t hlim, uint32_t payload)
{
	struct ip6_spec s = { .src = src, .dst = dst, .nh = IPPROTO_UDP,
			      .hlim = hlim, .l4_len = 8 + payload };
	uint32_t l3;

	h_eth(f, P0_MAC, PEER0_MAC, ETH_P_IP6);
	l3 = h_ip6(f, &s);
	put_be16(f->b + l3 + 40, 4000);
	put_be16(f->b + l3 + 42, 5000);
	h_l4_csum(f, l3);
	return l3;
}

/* ---- checks on captured frames ------------------------------------------- */

static inline void h_assert_eth(const struct pkt *p, const uint8_t dst[6],
				const uint8_t src[6], uint16_t type)
{
	assert_memory_equal(p->data, dst, 6);
	assert_memory_equal(p->data + 6, src, 6);
	assert_int_equal(get_be16(p->data + 12), type);
}

/* The L4 checksum of a captured IPv4/IPv6 frame verifies. */
static inline bool h_l4_csum_ok(const struct pkt *p)
{
	const uint8_t *ip = p->data + 14;
	bool v6 = (ip[0] >> 4) == 6;
	uint32_t hl = v6 ? 40 : (ip[0] & 0xfu) * 4u;
	uint8_t proto = v6 ? ip[6] : ip[9];
	uint32_t l4_len = p->len - 14 - hl, sum = 0;

	if (v6) {
		sum = csum_pseudo6(ip + 8, ip + 24, proto, l4_len);
	} else if (proto != IPPROTO_ICMP) {
		uint32_t sa, da;
		memcpy(&sa, ip + 12, 4);
		memcpy(&da, ip + 16, 4);
		sum = csum_pseudo4(sa, da, proto, l4_len);
	}
	return csum_fold(csum_partial(ip + hl, l4_len, sum)) == 0xffff;
}

#endif
