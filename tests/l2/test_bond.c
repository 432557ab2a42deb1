/* Unit tests of bond devices (src/l2/bond.c) configured through the real
 * command grammar over capture slaves whose tx_burst records frames:
 * argument checking, MAC inheritance, active-backup selection (primary,
 * failover on link down, gratuitous ARP on the new slave), receive on an
 * inactive slave dropped and counted, balance-xor hash spreading and flow
 * stickiness (layer3+4 over IPv4/IPv6, layer2), 802.3ad against a partner
 * played with crafted LACPDUs (negotiation, spreading over distributing
 * slaves only, partner timeout, a second partner system kept out,
 * malformed LACPDUs counted), MTU propagation, release (nomaster, link
 * del) and packet conservation on every device. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <urcu-qsbr.h>

#include "core/util.h"
#include "core/worker.h"
#include "ctl/cmd.h"
#include "ctl/out.h"
#include "dev/dev.h"
#include "dev/drivers.h"
#include "fib/fib.h"
#include "l2/bond.h"
#include "l2/eth.h"
#include "l2/lacp.h"
#include "l2/neigh.h"
#include "../ctl/json_check.h"

#define CAP_MAX 512u
#define T0 1000000ull
#define NSLAVES 3

struct cap {
	unsigned n;
	struct pkt *f[CAP_MAX];
};

static uint16_t cap_tx(struct dev *d, struct pkt **pkts, uint16_t n)
{
	struct cap *c = d->priv;

	for (uint16_t i = 0; i < n; i++) {
		drv_tx_count(d, pkts[i]->total_len);
		if (c->n < CAP_MAX && pkt_linearize(pkts[i]) == 0)
			c->f[c->n++] = pkts[i];
		else
			pkt_free(pkts[i]);
	}
	return n;
}

static const struct dev_ops cap_ops = { .kind = "cap", .tx_burst = cap_tx };

static const uint8_t PEER_MAC[6] = { 0x02, 0xee, 0, 0, 0, 0x02 };
static const uint8_t PEER2_MAC[6] = { 0x02, 0xee, 0, 0, 0, 0x03 };

static struct dev *s[NSLAVES];
static struct worker tw;
static uint64_t outstanding;

/* ---- helpers ------------------------------------------------------------- */

static void run(const char *line)
{
	struct ctl_out o;
	char err[256] = "";

	out_init(&o, false);
	if (ctl_exec_line(line, &o, err) != 0)
		fail_msg("'%s' failed: %s", line, err);
	out_fini(&o);
}

/* Output of a command that must succeed (caller frees). */
static char *show(const char *line, bool json)
{
	struct ctl_out o;
	char err[256] = "", *r;

	out_init(&o, json);
	if (ctl_exec_line(line, &o, err) != 0)
		fail_msg("'%s' failed: %s", line, err);
	r = strdup(o.buf ? o.buf : "");
	out_fini(&o);
	return r;
}

static void bad(const char *line, const char *want)
{
	struct ctl_out o;
	char err[256] = "";

	out_init(&o, false);
	if (ctl_exec_line(line, &o, err) != -1)
		fail_msg("'%s' should have failed", line);
	if (!strstr(err, want))
		fail_msg("'%s': error '%s' lacks '%s'", line, err, want);
	out_fini(&o);
}

static struct cap *cap(struct dev *d)
{
	return d->priv;
}

static void cap_clear(struct dev *d)
{
	for (unsigned i = 0; i < cap(d)->n; i++)
		pkt_free(cap(d)->f[i]);
	cap(d)->n = 0;
}

static void caps_clear(void)
{
	for (int i = 0; i < NSLAVES; i++)
		cap_clear(s[i]);
}

static const uint8_t *frame(struct dev *d, unsigned i)
{
	assert_true(i < cap(d)->n);
	return cap(d)->f[i]->data;
}

static struct dev *bond(const char *name)
{
	struct dev *d = dev_by_name(name);
	assert_non_null(d);
	assert_true(bond_is_bond(d));
	return d;
}

static uint64_t rx_drops(struct dev *d, enum drop_reason r)
{
	struct dev_stats st;
	dev_stats_sum(d, &st);
	return st.rx_drops[r];
}

static uint64_t tx_drops(struct dev *d, enum drop_reason r)
{
	struct dev_stats st;
	dev_stats_sum(d, &st);
	return st.tx_drops[r];
}

static uint32_t ip4(const char *a)
{
	uint32_t v;
	assert_int_equal(inet_pton(AF_INET, a, &v), 1);
	return v;
}

static struct pkt *frame_new(const uint8_t dst[6], const uint8_t src[6],
			     uint16_t type, uint32_t len)
{
	struct pkt *p = pkt_alloc(len);
	uint8_t *b;

	b = p ? pkt_put(p, len) : NULL;
	if (!b) {
		fail_msg("no packet of %u bytes", len);
		return NULL;
	}
	memset(b, 0, len);
	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	put_be16(b + 12, type);
	return p;
}

/* ARP request who-has tpa tell spa, from src. */
static struct pkt *arp_req(const uint8_t src[6], const char *spa,
			   const char *tpa)
{
	struct pkt *p = frame_new(eth_bcast, src, ETH_P_ARP, 60);
	uint8_t *a = p->data + ETH_HLEN;
	uint32_t sip = ip4(spa), tip = ip4(tpa);

	put_be16(a, 1);
	put_be16(a + 2, ETH_P_IP4);
	a[4] = 6;
	a[5] = 4;
	put_be16(a + 6, 1);
	memcpy(a + 8, src, 6);
	memcpy(a + 14, &sip, 4);
	memcpy(a + 24, &tip, 4);
	return p;
}

/* UDP over IPv4 (family AF_INET) or IPv6 between two fixed hosts. */
static struct pkt *udp_frame(int family, const uint8_t dst[6],
			     const uint8_t src[6], uint16_t sport,
			     uint16_t dport)
{
	bool v4 = family == AF_INET;
	uint32_t ihl = v4 ? 20 : 40;
	struct pkt *p = frame_new(dst, src, v4 ? ETH_P_IP4 : ETH_P_IP6,
				  ETH_HLEN + ihl + 8 + 18);
	uint8_t *ip = p->data + ETH_HLEN, *u = ip + ihl;

	if (v4) {
		uint32_t a = ip4("10.9.0.1"), b = ip4("10.8.0.2");
		ip[0] = 0x45;
		put_be16(ip + 2, (uint16_t)(ihl + 8 + 18));
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, &a, 4);
		memcpy(ip + 16, &b, 4);
	} else {
		ip[0] = 0x60;
		put_be16(ip + 4, 8 + 18);
		ip[6] = 17;
		ip[7] = 64;
		assert_int_equal(inet_pton(AF_INET6, "2001:db8:9::1", ip + 8), 1);
		assert_int_equal(inet_pton(AF_INET6, "2001:db8:8::2", ip + 24), 1);
	}
	put_be16(u, sport);
	put_be16(u + 2, dport);
	put_be16(u + 4, 8 + 18);
	return p;
}

/* A frame received on slave d from the outside (counted as the driver
 * would), run through Ethernet input; replies are flushed. */
static void rx(struct dev *d, struct pkt *p)
{
	struct pkt_vec v;

	drv_rx_count(d, p->total_len);
	p->in_ifindex = d->ifindex;
	v.n = 1;
	v.p[0] = p;
	worker_input(&tw, &v);
	worker_tx_flush(&tw);
}

/* Transmit one frame through the bond as the output path would. */
static void tx(struct dev *b, struct pkt *p)
{
	dev_count_egress(b, p);
	dev_xmit(b, &p, 1);
}

static bool is_arp_reply_from(const uint8_t *f, const uint8_t mac[6])
{
	return get_be16(f + 12) == ETH_P_ARP && get_be16(f + 20) == 2 &&
	       memcmp(f + 6, mac, 6) == 0 && memcmp(f + 22, mac, 6) == 0;
}

/* Index of a gratuitous ARP for ip sent from mac among d's frames, or -1. */
static int find_garp(struct dev *d, const uint8_t mac[6], const char *ip)
{
	uint32_t a = ip4(ip);

	for (unsigned i = 0; i < cap(d)->n; i++) {
		const uint8_t *f = frame(d, i);
		if (get_be16(f + 12) == ETH_P_ARP && eth_is_bcast(f) &&
		    memcmp(f + 6, mac, 6) == 0 && memcmp(f + 22, mac, 6) == 0 &&
		    memcmp(f + 28, &a, 4) == 0 && memcmp(f + 38, &a, 4) == 0)
			return (int)i;
	}
	return -1;
}

static uint64_t drops_sum(const uint64_t *v)
{
	uint64_t n = 0;
	for (unsigned r = 0; r < DROP_MAX; r++)
		n += v[r];
	return n;
}

/* rx = forwarded + delivered + to_upper + rx drops, and
 * fwd_in + originated + split_extra = tx + tx drops, on d. */
static void assert_conserved(struct dev *d)
{
	struct dev_stats st;
	uint64_t in, out;

	dev_stats_sum(d, &st);
	in = st.forwarded + st.delivered + st.to_upper + drops_sum(st.rx_drops);
	out = st.tx_packets + drops_sum(st.tx_drops);
	if (st.rx_packets != in)
		fail_msg("%s: rx %llu != forwarded+delivered+to_upper+drops %llu",
			 d->name, (unsigned long long)st.rx_packets,
			 (unsigned long long)in);
	if (st.fwd_in + st.originated + st.split_extra != out)
		fail_msg("%s: fwd_in+originated+split %llu != tx+drops %llu",
			 d->name,
			 (unsigned long long)(st.fwd_in + st.originated + st.split_extra),
			 (unsigned long long)out);
}

static void assert_all_conserved(void)
{
	for (struct dev *d = dev_next(NULL); d; d = dev_next(d))
		assert_conserved(d);
}

/* ---- fixtures ------------------------------------------------------------ */

static int setup(void **state)
{
	(void)state;
	log_verbosity = LOG_WARN; /* no failover chatter */
	outstanding = pkt_pool_outstanding();
	assert_int_equal(fib_init(), 0);
	assert_int_equal(neigh_init(), 0);
	for (int i = 0; i < NSLAVES; i++) {
		char name[16];
		snprintf(name, sizeof(name), "s%d", i + 1);
		s[i] = dev_alloc(name, &cap_ops, sizeof(struct cap));
		assert_non_null(s[i]);
		memcpy(s[i]->mac, (uint8_t[6]){ 0x02, 0x5a, 0, 0, 0, (uint8_t)(i + 1) }, 6);
		assert_int_equal(dev_register(s[i]), 0);
	}
	worker_ctx_init(&tw, 0);
	tw.now_ms = T0;
	return 0;
}

static int teardown(void **state)
{
	struct dev *d;

	(void)state;
	/* bonds first: they release their slaves */
	for (;;) {
		char line[64];
		for (d = dev_next(NULL); d && !bond_is_bond(d); d = dev_next(d))
			;
		if (!d)
			break;
		snprintf(line, sizeof(line), "link del %s", d->name);
		run(line);
	}
	worker_tx_flush(&tw);
	worker_ctx_fini(&tw);
	worker_tx_flush(worker_ctl());
	for (int i = 0; i < NSLAVES; i++) {
		assert_null(s[i]->rx_handler);
		assert_null(s[i]->master);
		cap_clear(s[i]);
		dev_unregister(s[i]);
		s[i] = NULL;
	}
	neigh_fini();
	fib_fini();
	assert_int_equal(pkt_pool_outstanding(), outstanding);
	return 0;
}

/* bond0 in MODE over s1 and s2, up, 10.9.0.1/24, timer run once. */
static struct dev *bond_up(const char *args)
{
	char line[200];
	struct dev *b;

	snprintf(line, sizeof(line), "link add bond0 type bond %s", args);
	run(line);
	run("link set s1 master bond0");
	run("link set s2 master bond0");
	run("addr add 10.9.0.1/24 dev bond0");
	run("link set bond0 up");
	b = bond("bond0");
	bond_timer(T0);
	caps_clear();
	return b;
}

/* ---- tests ---------------------------------------------------------------- */

/* Stands for another upper device's handler (never called here). */
static enum rx_handler_result other_upper_rx(struct worker *w, struct dev *d,
					     struct pkt *p)
{
	return RX_HANDLER_PASS;
}

static void test_create_args(void **state)
{
	(void)state;
	bad("link add b0 type bond mode balance-rr", "unknown mode 'balance-rr'");
	bad("link add b0 type bond xmit_hash_policy layer5", "'layer5'");
	bad("link add b0 type bond miimon 99999999", "invalid miimon '99999999'");
	bad("link add b0 type bond miimon -1", "invalid miimon '-1'");
	bad("link add b0 type bond primary", "'primary' needs a value");
	bad("link add b0 type bond primary a/b", "invalid primary 'a/b'");
	bad("link add b0 type bond lacp_rate fast", "apply to mode 802.3ad only");
	bad("link add b0 type bond mode 802.3ad lacp_rate medium", "unknown lacp_rate 'medium'");
	bad("link add b0 type bond mode 802.3ad ad_actor_system 01:00:5e:00:00:01",
	    "invalid ad_actor_system");
	bad("link add b0 type bond mode 802.3ad ad_actor_system 00:00:00:00:00:00",
	    "invalid ad_actor_system");
	bad("link add b0 type bond mode 802.3ad ad_actor_system zz", "ad_actor_system");
	bad("link add b0 type bond mode 802.3ad ad_actor_sys_prio 0", "ad_actor_sys_prio");
	bad("link add b0 type bond mode 802.3ad ad_actor_sys_prio 65536", "ad_actor_sys_prio");
	bad("link add b0 type bond mode balance-xor ad_actor_sys_prio 9",
	    "apply to mode 802.3ad only");
	bad("link add b0 type bond foo bar", "unknown argument 'foo'");
	bad("link add b0 link s1 type bond", "unknown argument 'link'");
	assert_null(dev_by_name("b0"));
	run("link add b0 type bond mode balance-xor xmit_hash_policy layer3+4 miimon 0 primary s2");
	assert_true(bond_is_bond(dev_by_name("b0")));
	assert_false(bond_is_bond(s[0]));
	/* upper devices take every offload; the slaves' transmit fixes up */
	assert_true(dev_by_name("b0")->features & DEV_F_TSO4);
	assert_true(dev_by_name("b0")->features & DEV_F_CSUM);
	run("link del b0");
}

static void test_describe(void **state)
{
	char *t, *j;

	(void)state;
	bond_up("mode active-backup miimon 200 primary s2");
	t = show("link show bond0", false);
	j = show("link show bond0", true);
	if (!strstr(t, "bond mode active-backup miimon 200 primary s2 active_slave s2") ||
	    !strstr(t, "slave s1 up failures 0 slave s2 up failures 0"))
		fail_msg("unexpected link show: %s", t);
	if (!json_valid(j) || !strstr(j, "\"active_slave\":\"s2\"") ||
	    !strstr(j, "\"mode\":\"active-backup\"") ||
	    !strstr(j, "{\"ifname\":\"s1\",\"link\":\"up\""))
		fail_msg("unexpected JSON: %s", j);
	free(t);
	free(j);
	t = show("link show s1", false);
	if (!strstr(t, "master bond0"))
		fail_msg("s1 not shown with its master: %s", t);
	free(t);
}

static void test_mac_inherit(void **state)
{
	struct dev *b;
	uint8_t mac[6];

	(void)state;
	run("link add bond0 type bond");
	b = bond("bond0");
	run("link set s2 master bond0");
	assert_memory_equal(b->mac, s[1]->mac, 6);
	run("link set s1 master bond0"); /* the first slave's MAC stays */
	assert_memory_equal(b->mac, s[1]->mac, 6);
	run("link set s2 nomaster");
	run("link set s1 nomaster");
	/* no slave left: a fresh random MAC, as Linux */
	assert_memory_not_equal(b->mac, s[1]->mac, 6);
	assert_memory_not_equal(b->mac, s[0]->mac, 6);
	/* a MAC set by the user is kept */
	run("link set bond0 address 02:12:34:56:78:9a");
	memcpy(mac, b->mac, 6);
	run("link set s1 master bond0");
	assert_memory_equal(b->mac, mac, 6);
	assert_int_equal(b->mac[5], 0x9a);
}

static void test_ab_rx_tx(void **state)
{
	struct dev *b;

	(void)state;
	b = bond_up("mode active-backup");
	assert_ptr_equal(bond_active_slave(b), s[0]);
	assert_ptr_equal(s[0]->master, b);

	/* request on the active slave: answered through it, from the bond */
	rx(s[0], arp_req(PEER_MAC, "10.9.0.2", "10.9.0.1"));
	assert_int_equal(cap(s[0])->n, 1);
	assert_int_equal(cap(s[1])->n, 0);
	assert_true(is_arp_reply_from(frame(s[0], 0), b->mac));
	assert_memory_equal(frame(s[0], 0), PEER_MAC, 6);

	/* the same on the backup slave: dropped on it, counted, no answer */
	rx(s[1], arp_req(PEER_MAC, "10.9.0.2", "10.9.0.1"));
	assert_int_equal(cap(s[0])->n + cap(s[1])->n, 1);
	assert_int_equal(rx_drops(s[1], DROP_BOND_INACTIVE_SLAVE), 1);
	assert_int_equal(rx_drops(s[0], DROP_BOND_INACTIVE_SLAVE), 0);

	/* our own broadcast looped back by the network */
	rx(s[0], arp_req(b->mac, "10.9.0.1", "10.9.0.7"));
	assert_int_equal(rx_drops(s[0], DROP_BOND_OWN_SRC), 1);

	/* transmit: everything on the active slave */
	for (uint16_t port = 1; port <= 20; port++)
		tx(b, udp_frame(AF_INET, PEER_MAC, b->mac, port, 53));
	assert_int_equal(cap(s[0])->n, 21);
	assert_int_equal(cap(s[1])->n, 0);
	assert_all_conserved();
}

static void test_ab_failover(void **state)
{
	struct dev *b;
	char *t;

	(void)state;
	b = bond_up("mode active-backup miimon 100");
	assert_ptr_equal(bond_active_slave(b), s[0]);

	/* link down in usnet: the bond hears of it at once (lower_state, as
	 * Linux's NETDEV_DOWN), without waiting for the next miimon poll */
	run("link set s1 down");
	assert_ptr_equal(bond_active_slave(b), s[1]);
	bond_timer(T0 + 100);
	assert_ptr_equal(bond_active_slave(b), s[1]);
	/* the new slave announces the bond's MAC; nothing on the old one */
	assert_true(find_garp(s[1], b->mac, "10.9.0.1") >= 0);
	assert_int_equal(cap(s[0])->n, 0);
	t = show("link show bond0", false);
	if (!strstr(t, "active_slave s2 failovers 1") ||
	    !strstr(t, "slave s1 down failures 1"))
		fail_msg("unexpected link show: %s", t);
	free(t);
	caps_clear();

	/* traffic now flows through s2 both ways; s1 is the backup */
	rx(s[1], arp_req(PEER_MAC, "10.9.0.2", "10.9.0.1"));
	assert_int_equal(cap(s[1])->n, 1);
	assert_true(is_arp_reply_from(frame(s[1], 0), b->mac));
	tx(b, udp_frame(AF_INET, PEER_MAC, b->mac, 7, 7));
	assert_int_equal(cap(s[1])->n, 2);

	/* s1 back: no primary, so the bond stays on s2 */
	run("link set s1 up");
	bond_timer(T0 + 200);
	assert_ptr_equal(bond_active_slave(b), s[1]);
	rx(s[0], arp_req(PEER_MAC, "10.9.0.2", "10.9.0.1"));
	assert_int_equal(rx_drops(s[0], DROP_BOND_INACTIVE_SLAVE), 1);

	/* both down: no active slave, transmit drops are counted on the bond */
	run("link set s1 down");
	run("link set s2 down");
	bond_timer(T0 + 300);
	assert_null(bond_active_slave(b));
	tx(b, udp_frame(AF_INET, PEER_MAC, b->mac, 7, 7));
	assert_int_equal(tx_drops(b, DROP_BOND_NO_SLAVE), 1);
	/* one comes back: it becomes active and announces */
	caps_clear();
	run("link set s1 up");
	bond_timer(T0 + 400);
	assert_ptr_equal(bond_active_slave(b), s[0]);
	assert_true(find_garp(s[0], b->mac, "10.9.0.1") >= 0);
	assert_all_conserved();
}

static void test_ab_primary(void **state)
{
	struct dev *b;

	(void)state;
	b = bond_up("mode active-backup primary s2 miimon 100");
	assert_ptr_equal(bond_active_slave(b), s[1]);
	run("link set s2 down");
	bond_timer(T0 + 100);
	assert_ptr_equal(bond_active_slave(b), s[0]);
	run("link set s2 up");
	bond_timer(T0 + 200);
	/* the primary takes over again as soon as its link is back */
	assert_ptr_equal(bond_active_slave(b), s[1]);
	assert_true(find_garp(s[1], b->mac, "10.9.0.1") >= 0);
	/* bond_check_links acts at once, without waiting for miimon */
	run("link set s2 down");
	bond_check_links(b);
	assert_ptr_equal(bond_active_slave(b), s[0]);
}

/* Transmit flows over a 2-slave balance-xor bond: every flow sticks to one
 * slave and both slaves carry a fair share. */
static void xor_spread(int family)
{
	enum { FLOWS = 200 };
	struct dev *b = bond("bond0");
	uint8_t where[FLOWS];
	unsigned n1, n2;

	for (int round = 0; round < 2; round++) {
		for (unsigned f = 0; f < FLOWS; f++) {
			unsigned before = cap(s[0])->n;
			tx(b, udp_frame(family, PEER_MAC, b->mac,
					(uint16_t)(10000 + f), 5001));
			uint8_t slave = cap(s[0])->n > before ? 0 : 1;
			if (round == 0)
				where[f] = slave;
			else if (where[f] != slave)
				fail_msg("flow %u moved from s%u to s%u", f,
					 where[f] + 1, slave + 1);
		}
	}
	n1 = cap(s[0])->n;
	n2 = cap(s[1])->n;
	assert_int_equal(n1 + n2, 2 * FLOWS);
	if (n1 < FLOWS / 2 || n2 < FLOWS / 2) /* each >= 25% */
		fail_msg("flows not spread: s1 %u, s2 %u frames", n1, n2);
	caps_clear();
}

static void test_xor_l34(void **state)
{
	struct dev *b;

	(void)state;
	b = bond_up("mode balance-xor xmit_hash_policy layer3+4 miimon 100");
	assert_null(bond_active_slave(b));
	xor_spread(AF_INET);
	xor_spread(AF_INET6);

	/* IPv4 fragments carry no ports: one slave for the whole packet */
	for (uint16_t port = 1; port <= 32; port++) {
		struct pkt *p = udp_frame(AF_INET, PEER_MAC, b->mac, port, 53);
		put_be16(p->data + ETH_HLEN + 6, 0x2000); /* MF, offset 0 */
		tx(b, p);
	}
	assert_true(cap(s[0])->n == 32 || cap(s[1])->n == 32);
	caps_clear();

	/* receive works on every slave */
	rx(s[0], arp_req(PEER_MAC, "10.9.0.2", "10.9.0.1"));
	rx(s[1], arp_req(PEER2_MAC, "10.9.0.3", "10.9.0.1"));
	assert_int_equal(cap(s[0])->n + cap(s[1])->n, 2);
	assert_int_equal(rx_drops(s[1], DROP_BOND_INACTIVE_SLAVE), 0);
	caps_clear();

	/* a slave down: everything on the other one */
	run("link set s2 down");
	bond_timer(T0 + 100);
	for (uint16_t port = 1; port <= 50; port++)
		tx(b, udp_frame(AF_INET, PEER_MAC, b->mac, port, 53));
	assert_int_equal(cap(s[0])->n, 50);
	assert_int_equal(cap(s[1])->n, 0);
	/* a third slave joins and takes its share */
	run("link set s3 master bond0");
	assert_int_equal(s[2]->mtu, b->mtu);
	caps_clear();
	for (uint16_t port = 1; port <= 100; port++)
		tx(b, udp_frame(AF_INET, PEER_MAC, b->mac, port, 53));
	assert_true(cap(s[2])->n > 20);
	assert_int_equal(cap(s[0])->n + cap(s[2])->n, 100);
	assert_all_conserved();
}

static void test_xor_l2(void **state)
{
	struct dev *b;
	unsigned n1;

	(void)state;
	b = bond_up("mode balance-xor xmit_hash_policy layer2");
	/* one MAC pair: one slave, whatever the ports */
	for (uint16_t port = 1; port <= 64; port++)
		tx(b, udp_frame(AF_INET, PEER_MAC, b->mac, port, 53));
	n1 = cap(s[0])->n;
	assert_true(n1 == 0 || n1 == 64);
	assert_int_equal(cap(s[0])->n + cap(s[1])->n, 64);
	/* the two peers differ in the last MAC byte by one: other slave */
	caps_clear();
	tx(b, udp_frame(AF_INET, PEER_MAC, b->mac, 1, 53));
	tx(b, udp_frame(AF_INET, PEER2_MAC, b->mac, 1, 53));
	assert_int_equal(cap(s[0])->n, 1);
	assert_int_equal(cap(s[1])->n, 1);
}

static void test_release(void **state)
{
	struct dev *b;
	struct ctl_out o;
	char err[256];

	(void)state;
	b = bond_up("mode active-backup");
	/* s1 leaves: s2 takes over, s1 handles its own frames again */
	run("link set s1 nomaster");
	assert_null(s[0]->rx_handler);
	assert_null(s[0]->master);
	assert_ptr_equal(bond_active_slave(b), s[1]);
	assert_true(find_garp(s[1], b->mac, "10.9.0.1") >= 0);
	caps_clear();
	/* s1 has no address of its own: the request is not for it */
	rx(s[0], arp_req(PEER_MAC, "10.9.0.2", "10.9.0.1"));
	assert_int_equal(rx_drops(s[0], DROP_BOND_INACTIVE_SLAVE), 0);
	assert_int_equal(rx_drops(s[0], DROP_ARP_NOT_FOR_US), 1);
	assert_int_equal(cap(s[0])->n + cap(s[1])->n, 0);

	/* a slave moved to another bond leaves the first one */
	run("link add bond1 type bond");
	run("link set s2 master bond1");
	assert_ptr_equal(s[1]->master, bond("bond1"));
	assert_null(bond_active_slave(b));
	assert_ptr_equal(bond_active_slave(bond("bond1")), s[1]);
	bad("link set bond1 master bond0", "bonds of bonds are not supported");
	/* a port that already feeds another upper device */
	rcu_assign_pointer(s[2]->rx_handler, other_upper_rx);
	out_init(&o, false);
	assert_int_equal(ctl_exec_line("link set s3 master bond1", &o, err), -1);
	out_fini(&o);
	if (!strstr(err, "s3 already belongs to another upper device"))
		fail_msg("unexpected error: %s", err);
	rcu_assign_pointer(s[2]->rx_handler, NULL);

	/* deleting a bond releases its slaves */
	run("link set s3 master bond1");
	run("link del bond0");
	run("link del bond1");
	for (int i = 0; i < NSLAVES; i++) {
		assert_null(s[i]->rx_handler);
		assert_null(s[i]->master);
	}
	/* frames on a former slave are its own: nothing is up-handed */
	rx(s[1], arp_req(PEER_MAC, "10.9.0.2", "10.9.0.1"));
	assert_int_equal(rx_drops(s[1], DROP_BOND_INACTIVE_SLAVE), 0);
	assert_all_conserved();
}

static void test_mtu(void **state)
{
	struct dev *b;

	(void)state;
	run("link add bond0 type bond");
	b = bond("bond0");
	run("link set bond0 mtu 9000");
	run("link set s1 master bond0");
	assert_int_equal(s[0]->mtu, 9000);
	run("link set bond0 mtu 1400");
	assert_int_equal(s[0]->mtu, 1400);
	assert_int_equal(b->mtu, 1400);
	assert_int_equal(s[1]->mtu, 1500); /* not a slave */
}

static void test_down_bond(void **state)
{
	struct dev *b;

	(void)state;
	b = bond_up("mode active-backup");
	run("link set bond0 down");
	rx(s[0], arp_req(PEER_MAC, "10.9.0.2", "10.9.0.1"));
	assert_int_equal(rx_drops(s[0], DROP_DEV_DOWN), 1);
	tx(b, udp_frame(AF_INET, PEER_MAC, b->mac, 1, 53));
	assert_int_equal(tx_drops(b, DROP_DEV_DOWN), 1);
	assert_int_equal(cap(s[0])->n + cap(s[1])->n, 0);
	/* up again: announced at the next poll */
	run("link set bond0 up");
	bond_timer(T0 + 1000);
	assert_true(find_garp(s[0], b->mac, "10.9.0.1") >= 0);
	assert_all_conserved();
}

/* ---- 802.3ad ----------------------------------------------------------------- */

static const uint8_t PART_SYS[6] = { 0x02, 0x77, 0, 0, 0, 0x01 };
static const uint8_t PART2_SYS[6] = { 0x02, 0x88, 0, 0, 0, 0x01 };

/* What the bond last told each slave's partner (its actor info). */
static struct lacp_info ours[NSLAVES];
static bool ours_known[NSLAVES];

/* The last LACPDU the bond sent on d (frame format checked), or false. */
static bool last_lacpdu(struct dev *d, struct lacp_pdu *u)
{
	for (unsigned i = cap(d)->n; i-- > 0;) {
		const uint8_t *f = frame(d, i);
		if (get_be16(f + 12) != ETH_P_SLOW)
			continue;
		assert_int_equal(cap(d)->f[i]->len, ETH_HLEN + LACP_PDU_LEN);
		assert_memory_equal(f, lacp_dst_mac, 6);
		assert_memory_equal(f + 6, d->mac, 6);
		assert_int_equal(lacp_pdu_parse(f + ETH_HLEN, LACP_PDU_LEN, u), 0);
		return true;
	}
	return false;
}

static struct pkt *slow_frame(const uint8_t src[6], const uint8_t *pl,
			      uint32_t len)
{
	struct pkt *p = frame_new(lacp_dst_mac, src, ETH_P_SLOW, ETH_HLEN + len);

	memcpy(p->data + ETH_HLEN, pl, len);
	return p;
}

/* The partner's LACPDU on slave i: system sys, in sync, collecting and
 * distributing, echoing what the bond last sent there. */
static struct pkt *partner_pdu(int i, const uint8_t sys[6])
{
	struct lacp_pdu u = { 0 };
	uint8_t src[6] = { 0x02, 0x77, 0, 0, 1, (uint8_t)i }, pl[LACP_PDU_LEN];

	u.actor.sys_prio = 10;
	memcpy(u.actor.sys, sys, 6);
	u.actor.key = 33;
	u.actor.port_prio = 255;
	u.actor.port = (uint16_t)(100 + i);
	u.actor.state = LACP_ST_ACTIVITY | LACP_ST_TIMEOUT | LACP_ST_AGGREGATION |
			LACP_ST_SYNC | LACP_ST_COLLECTING | LACP_ST_DISTRIBUTING;
	u.partner = ours[i];
	lacp_pdu_build(&u, pl);
	return slow_frame(src, pl, LACP_PDU_LEN);
}

/* n rounds of 100 ms from *t: the partner (system sys[i], NULL = silent)
 * answers on each slave, then the bond's timer runs. Captures are cleared
 * (LACPDUs read first). */
static void lacp_rounds(uint64_t *t, unsigned n, const uint8_t *const sys[NSLAVES])
{
	struct lacp_pdu u;

	for (unsigned k = 0; k < n; k++, *t += 100) {
		for (int i = 0; i < NSLAVES; i++) {
			if (last_lacpdu(s[i], &u)) {
				ours[i] = u.actor;
				ours_known[i] = true;
			}
			cap_clear(s[i]);
			if (sys[i] && ours_known[i])
				rx(s[i], partner_pdu(i, sys[i]));
		}
		bond_timer(*t);
	}
}

/* UDP flows 1..n through the bond; frames per slave in got[]. */
static void lacp_flows(struct dev *b, unsigned n, unsigned got[NSLAVES])
{
	caps_clear();
	for (uint16_t port = 1; port <= n; port++)
		tx(b, udp_frame(AF_INET, PEER_MAC, b->mac, port, 53));
	for (int i = 0; i < NSLAVES; i++)
		got[i] = cap(s[i])->n;
	caps_clear();
}

static void test_lacp_bond(void **state)
{
	const uint8_t *const both[NSLAVES] = { PART_SYS, PART_SYS, PART2_SYS };
	const uint8_t *const s1_only[NSLAVES] = { PART_SYS, NULL, PART2_SYS };
	const uint8_t bad_pl[3] = { 1, 1, 1 }, marker[LACP_PDU_LEN] = { 2, 1 };
	uint8_t trunc[LACP_PDU_LEN];
	struct lacp_pdu first;
	unsigned got[NSLAVES];
	uint64_t t = T0 + 100;
	struct dev *b;
	char *txt, *j;

	(void)state;
	memset(ours_known, 0, sizeof(ours_known));
	b = bond_up("mode 802.3ad lacp_rate fast xmit_hash_policy layer3+4 "
		    "ad_actor_sys_prio 300");
	run("link set s3 master bond0");
	/* nothing distributes before a partner answers */
	lacp_flows(b, 10, got);
	assert_int_equal(got[0] + got[1] + got[2], 0);
	assert_int_equal(tx_drops(b, DROP_BOND_NO_SLAVE), 10);
	/* the first LACPDUs: our system, prio, fast, aggregatable, expired */
	lacp_rounds(&t, 10, (const uint8_t *const[NSLAVES]){ NULL, NULL, NULL });
	bond_timer(t);
	assert_true(last_lacpdu(s[0], &first));
	assert_memory_equal(first.actor.sys, b->mac, 6);
	assert_int_equal(first.actor.sys_prio, 300);
	assert_int_equal(first.actor.port, s[0]->ifindex);
	assert_int_equal(first.actor.state & 0xff & ~LACP_ST_DEFAULTED,
			 LACP_ST_ACTIVITY | LACP_ST_TIMEOUT |
			 LACP_ST_AGGREGATION | LACP_ST_EXPIRED);
	/* data on a slave that does not collect: a counted drop */
	rx(s[1], arp_req(PEER_MAC, "10.9.0.2", "10.9.0.1"));
	assert_int_equal(rx_drops(s[1], DROP_BOND_NOT_COLLECTING), 1);

	/* the partner answers on all three, s3 from another system */
	lacp_rounds(&t, 40, both);
	txt = show("link show bond0", false);
	j = show("link show bond0", true);
	if (!strstr(txt, "bond mode 802.3ad xmit_hash_policy layer3+4 lacp_rate fast") ||
	    !strstr(txt, "slave s1 up failures 0 lacp rx current mux collecting_distributing") ||
	    !strstr(txt, "partner_system 02:77:00:00:00:01 partner_key 33 aggregator 1 collecting distributing") ||
	    !strstr(txt, "slave s3 up failures 0 lacp rx current mux detached"))
		fail_msg("unexpected link show: %s", txt);
	if (!json_valid(j) || !strstr(j, "\"mode\":\"802.3ad\"") ||
	    !strstr(j, "\"ad_actor_sys_prio\":300") ||
	    !strstr(j, "\"partner_system\":\"02:88:00:00:00:01\",\"partner_sys_prio\":10,"
		       "\"partner_key\":33,\"partner_port\":102,\"aggregator_id\":0,"
		       "\"collecting\":false,\"distributing\":false"))
		fail_msg("unexpected JSON: %s", j);
	free(txt);
	free(j);
	/* flows spread over s1 and s2, never on the detached s3 */
	lacp_flows(b, 100, got);
	assert_int_equal(got[0] + got[1], 100);
	assert_true(got[0] >= 20 && got[1] >= 20);
	assert_int_equal(got[2], 0);
	/* both distributing slaves receive; s3 does not */
	rx(s[1], arp_req(PEER_MAC, "10.9.0.2", "10.9.0.1"));
	assert_int_equal(cap(s[0])->n + cap(s[1])->n, 1);
	rx(s[2], arp_req(PEER_MAC, "10.9.0.2", "10.9.0.1"));
	assert_int_equal(rx_drops(s[2], DROP_BOND_NOT_COLLECTING), 1);
	caps_clear();

	/* bad Slow Protocols frames: counted, the aggregation unharmed */
	rx(s[0], slow_frame(PEER_MAC, bad_pl, sizeof(bad_pl)));
	memcpy(trunc, marker, sizeof(trunc));
	trunc[0] = 1;
	rx(s[0], slow_frame(PEER_MAC, trunc, sizeof(trunc))); /* no TLVs */
	rx(s[0], slow_frame(PEER_MAC, marker, sizeof(marker)));
	rx(s[0], slow_frame(PEER_MAC, marker, 0));
	assert_int_equal(rx_drops(s[0], DROP_LACP_MALFORMED), 3);
	assert_int_equal(rx_drops(s[0], DROP_SLOW_PROTO_UNHANDLED), 1);
	lacp_rounds(&t, 2, both);
	lacp_flows(b, 100, got);
	assert_true(got[0] >= 20 && got[1] >= 20);

	/* the partner falls silent on s2: out after 3 x 1 s, all on s1 */
	lacp_rounds(&t, 35, s1_only);
	lacp_flows(b, 100, got);
	assert_int_equal(got[0], 100);
	assert_int_equal(got[1] + got[2], 0);
	rx(s[1], arp_req(PEER_MAC, "10.9.0.2", "10.9.0.1"));
	assert_int_equal(rx_drops(s[1], DROP_BOND_NOT_COLLECTING), 2);
	j = show("link show bond0", true);
	if (!strstr(j, "{\"ifname\":\"s2\",\"link\":\"up\",\"link_failures\":0,"
		       "\"lacp\":{\"rx_state\":\"expired\""))
		fail_msg("s2 not expired: %s", j);
	free(j);
	lacp_rounds(&t, 30, s1_only); /* 3 s more: defaulted */
	j = show("link show bond0", true);
	if (!strstr(j, "{\"ifname\":\"s2\",\"link\":\"up\",\"link_failures\":0,"
		       "\"lacp\":{\"rx_state\":\"defaulted\""))
		fail_msg("s2 not defaulted: %s", j);
	free(j);
	/* and answers again: back in the aggregator */
	lacp_rounds(&t, 40, both);
	lacp_flows(b, 100, got);
	assert_true(got[0] >= 20 && got[1] >= 20);
	assert_int_equal(got[2], 0);

	/* s1's link goes down: s2 carries everything at once */
	run("link set s1 down");
	lacp_rounds(&t, 2, both);
	lacp_flows(b, 100, got);
	assert_int_equal(got[1], 100);
	run("link set s1 up");
	lacp_rounds(&t, 40, both);
	lacp_flows(b, 100, got);
	assert_true(got[0] >= 20 && got[1] >= 20);

	/* release a slave while it distributes */
	run("link set s2 nomaster");
	lacp_rounds(&t, 2, both);
	lacp_flows(b, 50, got);
	assert_int_equal(got[0], 50);
	assert_all_conserved();
}

/* ad_actor_system replaces the bond's MAC in LACPDUs; slow rate. */
static void test_lacp_actor_system(void **state)
{
	const uint8_t want[6] = { 0x02, 0x12, 0x34, 0x56, 0x78, 0x9a };
	struct lacp_pdu u;
	char *txt;

	(void)state;
	bond_up("mode 802.3ad ad_actor_system 02:12:34:56:78:9a");
	bond_timer(T0 + 100);
	bond_timer(T0 + 1100);
	assert_true(last_lacpdu(s[1], &u));
	assert_memory_equal(u.actor.sys, want, 6);
	assert_int_equal(u.actor.sys_prio, 65535);
	assert_false(u.actor.state & LACP_ST_TIMEOUT);
	txt = show("link show bond0", false);
	if (!strstr(txt, "bond mode 802.3ad xmit_hash_policy layer2 lacp_rate slow "
			 "ad_actor_system 02:12:34:56:78:9a ad_actor_sys_prio 65535"))
		fail_msg("unexpected link show: %s", txt);
	free(txt);
	assert_all_conserved();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_describe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mac_inherit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ab_rx_tx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ab_failover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ab_primary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xor_l34, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xor_l2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mtu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_down_bond, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lacp_bond, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lacp_actor_system, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
