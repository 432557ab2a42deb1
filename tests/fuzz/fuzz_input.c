/* libFuzzer target over the receive path: each input is a sequence of
 * Ethernet frames arriving on one of two null devices and run through
 * worker_input (eth_input -> ARP / IPv4 / IPv6 -> forward, local, ICMP,
 * fragmentation, reassembly, neighbor queueing) on the control worker.
 * After every input it checks that no packet leaked (pkt_pool_outstanding()
 * is back to its value before the input once reassembly and neighbor
 * queues are emptied) and that every device's counters balance:
 *   rx_packets == forwarded + delivered + rx_drops
 *   fwd_in + originated + split_extra == tx_packets + tx_drops
 *
 * Input format, repeated until the data ends:
 *   byte  flags: bit0 device (p0/p1); bit1 replace the destination MAC by
 *         the device's own; bit2 deliver the frame as a two-segment chain
 *         cut at its middle
 *   2 bytes big-endian frame length (clipped to what is left)
 *   frame bytes
 *
 * Configuration (fixed, set up once):
 *   p0 02:00:00:00:00:01 10.1.0.1/24 2001:db8:1::1/64  no offloads
 *   p1 02:00:00:00:00:11 10.2.0.1/24 2001:db8:2::1/64  all offloads, mtu 1400
 *   10.3.0.0/16, 2001:db8:3::/48 via the p1 peer; 10.4.0.0/16 mtu 576;
 *   blackhole/unreachable/prohibit routes 10.5-7.0.0/16 and 2001:db8:5-7::/48;
 *   static neighbors for 10.1.0.2, 10.2.0.2, 2001:db8:1::2, 2001:db8:2::2,
 *   fe80::2. ICMP rate limiting is off so that runs are reproducible.
 *
 * FUZZ_LINEAR_ONLY=1 in the environment ignores bit2 (no chains), to look
 * for other findings while a chain-related one is open. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "dev/drivers.h"
#include "fib/fib.h"
#include "l2/neigh.h"
#include "l3/addr.h"
#include "l3/icmp.h"
#include "l3/reasm.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_F_DEV1 0x01u
#define FUZZ_F_OUR_MAC 0x02u
#define FUZZ_F_CHAIN 0x04u

static struct dev *fz_dev[2];
static bool fz_linear_only;
static const uint8_t fz_peer_mac[6] = { 0x02, 0, 0, 0, 0x09, 0x09 };

static void fz_die(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_input: %s: %s\n", what, detail);
	abort();
}

static union pkt_addr fz_addr(int family, const char *s)
{
	union pkt_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(family, s, family == AF_INET ? (void *)&a.v4 : a.v6) != 1)
		fz_die("bad address literal", s);
	return a;
}

static struct dev *fz_make_dev(const char *name, const char *features,
			       uint8_t last_mac_byte)
{
	char err[256] = "";
	char kw[] = "features", val[16];
	char *args[2] = { kw, val };
	uint8_t mac[6] = { 0x02, 0, 0, 0, 0, last_mac_byte };
	struct dev *d;

	snprintf(val, sizeof(val), "%s", features);
	d = null_driver.create(name, 2, args, err);
	if (!d)
		fz_die("null device", err);
	if (dev_register(d) < 0)
		fz_die("register", name);
	if (dev_set_mac(d, mac, err) < 0)
		fz_die("mac", err);
	return d;
}

static void fz_addr_add(struct dev *d, int family, const char *s,
			unsigned plen)
{
	char err[256];
	union pkt_addr a = fz_addr(family, s);

	if (addr_add(d, family, &a, plen, err) < 0)
		fz_die("addr", err);
}

static void fz_route(int family, const char *prefix, unsigned plen,
		     uint8_t type, const char *gw, uint32_t mtu)
{
	struct fib_route r;
	char err[256];

	memset(&r, 0, sizeof(r));
	r.family = (uint8_t)family;
	r.plen = (uint8_t)plen;
	r.type = type;
	r.proto = FIB_PROTO_STATIC;
	r.table = FIB_TABLE_MAIN;
	r.prefix = fz_addr(family, prefix);
	r.mtu = mtu;
	if (gw) {
		r.nnh = 1;
		r.nh[0].has_gw = true;
		r.nh[0].gw = fz_addr(family, gw);
		r.nh[0].ifindex = fz_dev[1]->ifindex;
		r.nh[0].weight = 1;
	}
	if (fib_route_add(&r, FIB_F_EXCL, err) < 0)
		fz_die("route", err);
}

static void fz_static_neighbors(void)
{
	static const struct {
		unsigned dev;
		int family;
		const char *ip;
	} n[] = {
		{ 0, AF_INET, "10.1.0.2" },      { 1, AF_INET, "10.2.0.2" },
		{ 0, AF_INET6, "2001:db8:1::2" }, { 1, AF_INET6, "2001:db8:2::2" },
		{ 0, AF_INET6, "fe80::2" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(n); i++) {
		union pkt_addr a = fz_addr(n[i].family, n[i].ip);
		if (neigh_add_static(fz_dev[n[i].dev], n[i].family, &a,
				     fz_peer_mac) < 0)
			fz_die("static neighbor", n[i].ip);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[256];

	(void)argc;
	(void)argv;
	if (fib_init() < 0 || neigh_init() < 0)
		fz_die("init", "fib/neigh");
	fz_dev[0] = fz_make_dev("p0", "none", 0x01);
	fz_dev[1] = fz_make_dev("p1", "all", 0x11);
	if (dev_set_mtu(fz_dev[1], 1400, err) < 0)
		fz_die("mtu", err);
	fz_addr_add(fz_dev[0], AF_INET, "10.1.0.1", 24);
	fz_addr_add(fz_dev[1], AF_INET, "10.2.0.1", 24);
	fz_addr_add(fz_dev[0], AF_INET6, "2001:db8:1::1", 64);
	fz_addr_add(fz_dev[1], AF_INET6, "2001:db8:2::1", 64);
	for (int i = 0; i < 2; i++)
		if (dev_set_up(fz_dev[i], true, err) < 0)
			fz_die("up", err);
	fz_route(AF_INET, "10.3.0.0", 16, FIB_UNICAST, "10.2.0.2", 0);
	fz_route(AF_INET, "10.4.0.0", 16, FIB_UNICAST, "10.2.0.2", 576);
	fz_route(AF_INET, "10.5.0.0", 16, FIB_BLACKHOLE, NULL, 0);
	fz_route(AF_INET, "10.6.0.0", 16, FIB_UNREACHABLE, NULL, 0);
	fz_route(AF_INET, "10.7.0.0", 16, FIB_PROHIBIT, NULL, 0);
	fz_route(AF_INET6, "2001:db8:3::", 48, FIB_UNICAST, "2001:db8:2::2", 0);
	fz_route(AF_INET6, "2001:db8:5::", 48, FIB_BLACKHOLE, NULL, 0);
	fz_route(AF_INET6, "2001:db8:6::", 48, FIB_UNREACHABLE, NULL, 0);
	fz_route(AF_INET6, "2001:db8:7::", 48, FIB_PROHIBIT, NULL, 0);
	fz_static_neighbors();
	fz_linear_only = getenv("FUZZ_LINEAR_ONLY") != NULL;
	icmp_params.ratelimit_ms = 0;
	icmp_params.ratelimit6_ms = 0;
	icmp_params.msgs_per_sec = 0;
	worker_ctl()->now_ms = 1000000;
	return 0;
}

/* A received packet holding frame bytes [0, len), split into two segments
 * when `chain`. NULL on no memory. */
static struct pkt *fz_packet(const uint8_t *frame, uint32_t len, bool chain)
{
	uint32_t cut = chain && len >= 2 ? len / 2 : len;
	struct pkt *p = pkt_alloc(cut);

	if (!p)
		return NULL;
	memcpy(pkt_put(p, cut), frame, cut);
	if (cut < len) {
		struct pkt *s = pkt_alloc(len - cut);
		if (!s) {
			pkt_free(p);
			return NULL;
		}
		memcpy(pkt_put(s, len - cut), frame + cut, len - cut);
		p->next_seg = s;
		p->total_len = len;
	}
	return p;
}

/* Feed one frame as its device's driver would. */
static void fz_receive(struct worker *w, uint8_t flags, const uint8_t *frame,
		       uint32_t len)
{
	static uint8_t buf[PKT_BUF_LARGE];
	struct dev *d = fz_dev[flags & FUZZ_F_DEV1];
	struct pkt_vec v;
	struct pkt *p;

	memcpy(buf, frame, len);
	if ((flags & FUZZ_F_OUR_MAC) && len >= 6)
		memcpy(buf, d->mac, 6);
	drv_rx_count(d, len);
	p = fz_packet(buf, len, (flags & FUZZ_F_CHAIN) && !fz_linear_only);
	if (!p) {
		drv_rx_drop_nopkt(d, DROP_NOMEM);
		return;
	}
	p->in_ifindex = d->ifindex;
	v.n = 1;
	v.p[0] = p;
	w->now_ms++;
	worker_input(w, &v);
}

/* Every non-zero counter of d, for the report of a mismatch. */
static void fz_dump_stats(const struct dev *d, const struct dev_stats *s)
{
	fprintf(stderr, "%s: rx %llu fwd %llu delivered %llu fwd_in %llu originated %llu split %llu tx %llu\n",
		d->name, (unsigned long long)s->rx_packets,
		(unsigned long long)s->forwarded,
		(unsigned long long)s->delivered, (unsigned long long)s->fwd_in,
		(unsigned long long)s->originated,
		(unsigned long long)s->split_extra,
		(unsigned long long)s->tx_packets);
	for (unsigned r = 0; r < DROP_MAX; r++) {
		if (s->rx_drops[r])
			fprintf(stderr, "  rx drop %s %llu\n", drop_name(r),
				(unsigned long long)s->rx_drops[r]);
		if (s->tx_drops[r])
			fprintf(stderr, "  tx drop %s %llu\n", drop_name(r),
				(unsigned long long)s->tx_drops[r]);
	}
}

static void fz_check_balance(struct dev *d)
{
	struct dev_stats s;
	uint64_t rxd = 0, txd = 0;
	char msg[512];

	dev_stats_sum(d, &s);
	for (unsigned r = 0; r < DROP_MAX; r++) {
		rxd += s.rx_drops[r];
		txd += s.tx_drops[r];
	}
	if (s.rx_packets != s.forwarded + s.delivered + rxd ||
	    s.fwd_in + s.originated + s.split_extra != s.tx_packets + txd)
		fz_dump_stats(d, &s);
	if (s.rx_packets != s.forwarded + s.delivered + rxd) {
		snprintf(msg, sizeof(msg),
			 "%s: rx_packets %llu != forwarded %llu + delivered %llu + rx_drops %llu",
			 d->name, (unsigned long long)s.rx_packets,
			 (unsigned long long)s.forwarded,
			 (unsigned long long)s.delivered, (unsigned long long)rxd);
		fz_die("rx conservation", msg);
	}
	if (s.fwd_in + s.originated + s.split_extra != s.tx_packets + txd) {
		snprintf(msg, sizeof(msg),
			 "%s: fwd_in %llu + originated %llu + split_extra %llu != tx_packets %llu + tx_drops %llu",
			 d->name, (unsigned long long)s.fwd_in,
			 (unsigned long long)s.originated,
			 (unsigned long long)s.split_extra,
			 (unsigned long long)s.tx_packets,
			 (unsigned long long)txd);
		fz_die("tx conservation", msg);
	}
}

/* Forget state an input left behind (pending reassembly, queued and
 * learned neighbors): each is counted as a drop where it belongs. */
static void fz_reset_state(struct worker *w)
{
	reasm_free(w->reasm);
	w->reasm = NULL;
	neigh_fini();
	fz_static_neighbors();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct worker *w = worker_ctl();
	uint64_t before = pkt_pool_outstanding();
	size_t i = 0;

	while (i + 3 <= size) {
		uint8_t flags = data[i];
		size_t len = (size_t)data[i + 1] << 8 | data[i + 2];
		i += 3;
		if (len > size - i)
			len = size - i;
		fz_receive(w, flags, data + i, (uint32_t)len);
		i += len;
	}
	worker_tx_flush(w);
	fz_reset_state(w);
	worker_tx_flush(w);
	if (pkt_pool_outstanding() != before) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%llu packets before the input, %llu after",
			 (unsigned long long)before,
			 (unsigned long long)pkt_pool_outstanding());
		fz_die("packet leak", msg);
	}
	fz_check_balance(fz_dev[0]);
	fz_check_balance(fz_dev[1]);
	return 0;
}
