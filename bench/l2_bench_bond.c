/* l2_bench_bond: in-memory Mpps of routing through bond devices against
 * plain port-to-port forwarding measured in the same run, on one core.
 *
 * Design note. The real product is set up in-process as the control thread
 * would (drivers gen and null, bonds made by their driver, slaves enslaved
 * with dev_set_master, addresses, gateway routes, static neighbors), and
 * packets go generator -> worker_input -> worker_tx_flush -> null sinks, as
 * in bench/fwd_bench.c. Scenarios (IPv4/UDP, 256 flows, 64-byte frames):
 *   plain    g0 -> route -> n0
 *   ab       g1 is the slave of active-backup bond bi1 (rx_handler up to the
 *            bond) -> route -> active-backup bond bo1 over n1a + n1b
 *   xor      g2 under balance-xor bond bi2 -> route -> balance-xor bond bo2
 *            (xmit_hash_policy layer3+4) over n2a + n2b
 * Each figure is the median of RUNS runs of SECONDS each after a warm-up;
 * the runs of the three scenarios interleave.
 * Afterwards the sinks must have counted exactly the generated packets
 * (xor: both sinks a share), every device's counters must balance and no
 * packet may be left allocated; otherwise the row says FAIL and the exit
 * status is 1.
 *
 * Build and run (from the top directory, after make):
 *   gcc -std=gnu11 -O2 -march=x86-64-v2 -D_GNU_SOURCE -Isrc -pthread \
 *       -o build/l2_bench_bond bench/l2_bench_bond.c build/libusnet.a \
 *       -lurcu-qsbr -lurcu-cds -lpcap
 *   taskset -c 1 build/l2_bench_bond [--seconds S] [--runs N] [--burst B]
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <urcu-qsbr.h>

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "dev/drivers.h"
#include "fib/fib.h"
#include "l2/eth.h"
#include "l2/neigh.h"
#include "l3/addr.h"

#define B_ERR 256
#define B_MAX_RUNS 15

static const uint8_t NH_MAC[6] = { 0x02, 0, 0, 0, 0, 0x02 };

struct opts {
	double seconds;
	unsigned runs, burst;
};

struct scen {
	const char *name;
	struct dev *gen, *sink[2];
};

enum { S_PLAIN, S_AB, S_XOR, S_N };
static struct scen scens[S_N] = {
	{ .name = "plain" }, { .name = "ab" }, { .name = "xor" },
};
static struct worker wk;

/* ------------------------------------------------------------------ setup */

static void die(const char *what, const char *err)
{
	fprintf(stderr, "l2_bench_bond: %s: %s\n", what, err);
	exit(2);
}

/* `link add NAME type KIND ARGS`, registered; up unless it is a bond
 * that gets its slaves first. */
static struct dev *mk(const char *kind, const char *name, const char *args,
		      bool up)
{
	const struct dev_driver *drv = dev_driver_find(kind);
	char buf[256], err[B_ERR] = "", *argv[32], *save = NULL;
	struct dev *d;
	int argc = 0;

	if (!drv)
		die(kind, "no such driver");
	snprintf(buf, sizeof(buf), "%s", args);
	for (char *t = strtok_r(buf, " ", &save); t && argc < 32;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	d = drv->create(name, argc, argv, err);
	if (!d)
		die(name, err);
	if (dev_register(d) < 0)
		die(name, "cannot register");
	if (up && dev_set_up(d, true, err) < 0)
		die(name, err);
	return d;
}

static void enslave(struct dev *slave, struct dev *bond)
{
	char err[B_ERR];

	if (dev_set_master(slave, bond, err) < 0)
		die(slave->name, err);
}

static void bond_on(struct dev *bond)
{
	char err[B_ERR];

	if (dev_set_up(bond, true, err) < 0)
		die(bond->name, err);
}

static union pkt_addr a4(const char *s)
{
	union pkt_addr a;

	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, s, &a.v4) != 1)
		die(s, "bad IPv4 address");
	return a;
}

static void addr(struct dev *d, const char *s, unsigned plen)
{
	char err[B_ERR];
	union pkt_addr a = a4(s);

	if (addr_add(d, AF_INET, &a, plen, err) < 0)
		die(s, err);
}

/* PREFIX/16 via GW dev D, with GW's MAC as a static neighbor. */
static void route(const char *prefix, const char *gw, struct dev *d)
{
	struct fib_route r = { 0 };
	char err[B_ERR];
	union pkt_addr g = a4(gw);

	r.family = AF_INET;
	r.prefix = a4(prefix);
	r.plen = 16;
	r.type = FIB_UNICAST;
	r.proto = FIB_PROTO_STATIC;
	r.scope = FIB_SCOPE_UNIVERSE;
	r.table = FIB_TABLE_MAIN;
	r.nnh = 1;
	r.nh[0].gw = g;
	r.nh[0].has_gw = true;
	r.nh[0].ifindex = d->ifindex;
	r.nh[0].weight = 1;
	if (fib_route_add(&r, FIB_F_EXCL, err) < 0)
		die(prefix, err);
	if (neigh_add_static(d, AF_INET, &g, NH_MAC) < 0)
		die(gw, "neigh_add_static failed");
}

/* gen GEN (frames to its own MAC, which its bond inherits) -> bond BI ->
 * route -> bond BO over two sinks. */
static void bond_scen(struct scen *s, const char *mode, const char *tag,
		      const char *gen_args, const char *in_net,
		      const char *out_net, const char *prefix, const char *gw)
{
	char name[4][16];
	struct dev *bi, *bo;

	snprintf(name[0], 16, "g%s", tag);
	snprintf(name[1], 16, "bi%s", tag);
	snprintf(name[2], 16, "bo%s", tag);
	s->gen = mk("gen", name[0], gen_args, true);
	bi = mk("bond", name[1], mode, false);
	bo = mk("bond", name[2], mode, false);
	for (int i = 0; i < 2; i++) {
		snprintf(name[3], 16, "n%s%c", tag, 'a' + i);
		s->sink[i] = mk("null", name[3], "", true);
		enslave(s->sink[i], bo);
	}
	enslave(s->gen, bi);
	bond_on(bi);
	bond_on(bo);
	addr(bi, in_net, 24);
	addr(bo, out_net, 24);
	route(prefix, gw, bo);
}

static void setup(void)
{
	struct scen *s = &scens[S_PLAIN];

	if (fib_init() < 0 || neigh_init() < 0)
		die("init", "fib_init/neigh_init failed");
	worker_ctl();
	s->gen = mk("gen", "g0", "src 10.1.0.2 dst 198.18.0.2 size 64 flows 256", true);
	s->sink[0] = mk("null", "n0", "", true);
	addr(s->gen, "10.1.0.1", 24);
	addr(s->sink[0], "10.2.0.1", 24);
	route("198.18.0.0", "10.2.0.2", s->sink[0]);

	bond_scen(&scens[S_AB], "mode active-backup", "1",
		  "src 10.10.0.2 dst 198.19.0.2 size 64 flows 256",
		  "10.10.0.1", "10.20.0.1", "198.19.0.0", "10.20.0.2");
	bond_scen(&scens[S_XOR], "mode balance-xor xmit_hash_policy layer3+4", "2",
		  "src 10.30.0.2 dst 198.20.0.2 size 64 flows 256",
		  "10.30.0.1", "10.40.0.1", "198.20.0.0", "10.40.0.2");

	/* Send what setup produced (gratuitous ARP), then count from zero. */
	worker_tx_flush(worker_ctl());
	worker_ctx_init(&wk, 0);
	dev_stat_slot = 0;
	rcu_register_thread();
}

static uint64_t teardown(void)
{
	rcu_unregister_thread();
	worker_ctx_fini(&wk);
	neigh_fini();
	fib_fini();
	dev_destroy_all();
	worker_ctx_fini(worker_ctl());
	pkt_pool_thread_release();
	return pkt_pool_outstanding();
}

/* ------------------------------------------------------------ measurement */

static unsigned one_burst(const struct scen *s, unsigned burst)
{
	struct pkt_vec v;
	unsigned n;

	v.n = s->gen->ops->rx_burst(s->gen, v.p, (uint16_t)burst);
	n = v.n; /* worker_input empties v */
	worker_input(&wk, &v);
	worker_tx_flush(&wk);
	rcu_quiescent_state();
	return n;
}

/* ns per packet of one run. */
static double run_once(const struct scen *s, unsigned burst, double seconds,
		       uint64_t *pkts)
{
	unsigned per_check = burst >= 256 ? 1 : 256 / burst;
	uint64_t t0 = time_ns(), t, n = 0;
	uint64_t deadline = t0 + (uint64_t)(seconds * 1e9);

	do {
		for (unsigned i = 0; i < per_check; i++)
			n += one_burst(s, burst);
		t = time_ns();
		wk.now_ms = t / 1000000ull;
	} while (t < deadline);
	*pkts += n;
	return (double)(t - t0) / (double)n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static uint64_t tx_of(const struct dev *d)
{
	struct dev_stats st;

	if (!d)
		return 0;
	dev_stats_sum(d, &st);
	return st.tx_packets;
}

struct row {
	double ns[B_MAX_RUNS];
	double med, lo, hi;
	uint64_t generated, arrived[2];
	bool ok;
};

/* Runs interleave the scenarios (plain, ab, xor, plain, ...) so that a
 * change of machine load hits all of them alike. */
static void bench_all(struct row *rows, const struct opts *o)
{
	uint64_t live = pkt_pool_outstanding(), before[S_N][2];

	for (unsigned i = 0; i < S_N; i++) {
		rows[i] = (struct row){ 0 };
		before[i][0] = tx_of(scens[i].sink[0]);
		before[i][1] = tx_of(scens[i].sink[1]);
		run_once(&scens[i], o->burst, o->seconds < 0.5 ? o->seconds : 0.5,
			 &rows[i].generated);
	}
	for (unsigned k = 0; k < o->runs; k++)
		for (unsigned i = 0; i < S_N; i++)
			rows[i].ns[k] = run_once(&scens[i], o->burst, o->seconds,
						 &rows[i].generated);
	for (unsigned i = 0; i < S_N; i++) {
		struct row *r = &rows[i];
		qsort(r->ns, o->runs, sizeof(double), cmp_double);
		r->med = r->ns[o->runs / 2];
		r->lo = r->ns[0];
		r->hi = r->ns[o->runs - 1];
		r->arrived[0] = tx_of(scens[i].sink[0]) - before[i][0];
		r->arrived[1] = tx_of(scens[i].sink[1]) - before[i][1];
		r->ok = r->arrived[0] + r->arrived[1] == r->generated &&
			pkt_pool_outstanding() == live;
		if (i == S_XOR)
			r->ok = r->ok && r->arrived[0] > r->generated / 4 &&
				r->arrived[1] > r->generated / 4;
	}
}

/* Every device balances (static neighbors: nothing queued). */
static bool all_balanced(void)
{
	bool ok = true;

	for (struct dev *d = dev_next(NULL); d; d = dev_next(d)) {
		struct dev_stats s;
		uint64_t rxd = 0, txd = 0;

		dev_stats_sum(d, &s);
		for (unsigned r = 0; r < DROP_MAX; r++) {
			rxd += s.rx_drops[r];
			txd += s.tx_drops[r];
			if (s.rx_drops[r] || s.tx_drops[r])
				printf("    %s drops %s: rx %llu tx %llu\n", d->name,
				       drop_name(r), (unsigned long long)s.rx_drops[r],
				       (unsigned long long)s.tx_drops[r]);
		}
		if (s.rx_packets != s.forwarded + s.delivered + s.to_upper + rxd ||
		    s.fwd_in + s.originated + s.split_extra != s.tx_packets + txd) {
			printf("    %s: counters do not balance\n", d->name);
			ok = false;
		}
	}
	return ok;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "burst", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .seconds = 1.0, .runs = 5, .burst = 256 };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 's' && (o->seconds = strtod(optarg, NULL)) > 0 &&
		    o->seconds <= 600)
			continue;
		if (c == 'r' && (o->runs = (unsigned)strtoul(optarg, NULL, 10)) >= 1 &&
		    o->runs <= B_MAX_RUNS)
			continue;
		if (c == 'b' && (o->burst = (unsigned)strtoul(optarg, NULL, 10)) >= 1 &&
		    o->burst <= PKT_MAX_BURST)
			continue;
		fprintf(stderr,
			"usage: l2_bench_bond [--seconds S (0..600]] [--runs N (1..%d)] [--burst 1..%u]\n",
			B_MAX_RUNS, PKT_MAX_BURST);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct row rows[S_N];
	struct opts o;
	bool ok = true;
	uint64_t left;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	setup();
	printf("l2_bench_bond: one core, in-memory gen -> worker_input -> route -> null sink(s)\n"
	       "burst %u, median of %u runs x %.1f s\n"
	       "plain: port -> port; ab: active-backup bond in and out;\n"
	       "xor: balance-xor (layer3+4) bond in and out, two sinks\n\n",
	       o.burst, o.runs, o.seconds);
	printf("%-6s | %7s %6s %13s | %8s | %s\n", "", "ns/pkt", "Mpps",
	       "ns min..max", "vs plain", "arrived (sink a + b) / generated");
	bench_all(rows, &o);
	for (unsigned i = 0; i < S_N; i++) {
		struct row *r = &rows[i];
		char spread[32];

		snprintf(spread, sizeof(spread), "%.1f..%.1f", r->lo, r->hi);
		printf("%-6s | %7.1f %6.2f %13s | %7.1f%% | %llu + %llu / %llu%s\n",
		       scens[i].name, r->med, 1e3 / r->med, spread,
		       100.0 * rows[S_PLAIN].med / r->med,
		       (unsigned long long)r->arrived[0],
		       (unsigned long long)r->arrived[1],
		       (unsigned long long)r->generated, r->ok ? "" : "  FAIL");
		ok &= r->ok;
	}
	if (!all_balanced())
		ok = false;
	left = teardown();
	if (left) {
		printf("LEAK: %llu packets still allocated at exit\n",
		       (unsigned long long)left);
		ok = false;
	}
	printf("%s\n", ok ? "l2_bench_bond: every generated packet arrived, counters balance, no leaks"
			  : "l2_bench_bond: FAILED (see above)");
	return ok ? 0 : 1;
}
