/* l2_bench_vlan: in-memory Mpps of VLAN pop + route + push and of macvlan
 * dispatch, against plain port-to-port forwarding measured in the same run,
 * on one core.
 *
 * Design note. The real product is set up in-process as the control thread
 * would (drivers gen and null, vlan and macvlan devices made by their
 * drivers, addresses, gateway routes, static neighbors), and packets go
 * generator -> worker_input -> worker_tx_flush -> null sink, as in
 * bench/fwd_bench.c. Scenarios (IPv4/UDP, 256 flows, 64-byte frames on the
 * wire):
 *   plain      g0 -> route -> n0
 *   vlan       g1 frames tagged VID 10 (the tag is pushed right after the
 *              generator, as the af_packet driver re-inserts it) -> pop on
 *              v10 -> route -> v20 pushes VID 20 -> n1
 *   macvlan    g2 frames to mv0's MAC -> rx_handler dispatch to mv0 ->
 *              route -> n2
 *   macvlan2   the same, out through macvlan mv2 (mode bridge, with a
 *              sibling mv3: sibling lookup, then down to its lower n3)
 * Each figure is the median of RUNS runs of SECONDS each after a warm-up;
 * the runs of the scenarios are interleaved so that load changes on the
 * machine touch them alike.
 * "alloc" runs only the generator (and the tag push) and frees the packets;
 * fwd = total - alloc is the forwarding cost. After the forwarding runs the
 * sink must have counted exactly the generated packets, every device's
 * counters must balance and no packet may be left allocated; otherwise the
 * row says FAIL and the exit status is 1.
 *
 * Build and run (from the top directory, after make):
 *   gcc -std=gnu11 -O2 -march=x86-64-v2 -D_GNU_SOURCE -Isrc -pthread \
 *       -o build/l2_bench_vlan bench/l2_bench_vlan.c build/libusnet.a \
 *       -lurcu-qsbr -lurcu-cds -lpcap
 *   taskset -c 1 build/l2_bench_vlan [--seconds S] [--runs N] [--bursts L]
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <urcu-qsbr.h>
#include <x86intrin.h>

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "dev/drivers.h"
#include "fib/fib.h"
#include "l2/eth.h"
#include "l2/neigh.h"
#include "l2/vlan.h"
#include "l3/addr.h"

#define B_ERR 256
#define B_MAX_RUNS 15
#define B_MAX_BURSTS 8

static const uint8_t NH_MAC[6] = { 0x02, 0, 0, 0, 0, 0x02 };

struct opts {
	double seconds;
	unsigned runs, nbursts, bursts[B_MAX_BURSTS];
};

/* One scenario: a generator feeding a sink through some stacking. */
struct scen {
	const char *name;
	uint16_t tag;           /* VID pushed on generated frames, 0 = none */
	struct dev *gen, *sink;
};

enum { S_PLAIN, S_VLAN, S_MACVLAN, S_MACVLAN2, S_N };
static struct scen scens[S_N] = {
	{ "plain", 0, NULL, NULL },
	{ "vlan", 10, NULL, NULL },
	{ "macvlan", 0, NULL, NULL },
	{ "macvlan2", 0, NULL, NULL },
};
static struct worker wk;

/* ------------------------------------------------------------------ setup */

static void die(const char *what, const char *err)
{
	fprintf(stderr, "l2_bench_vlan: %s: %s\n", what, err);
	exit(2);
}

/* `link add NAME type KIND ARGS`, registered and up (mac set first if given). */
static struct dev *mk(const struct dev_driver *drv, const char *name,
		      const char *args, const char *mac)
{
	char buf[256], err[B_ERR] = "", *argv[32], *save = NULL;
	uint8_t m[6];
	struct dev *d;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", args);
	for (char *t = strtok_r(buf, " ", &save); t && argc < 32;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	d = drv->create(name, argc, argv, err);
	if (!d)
		die(name, err);
	if (dev_register(d) < 0)
		die(name, "cannot register");
	if (mac && (drv_parse_mac("bench", "mac", mac, m, err) < 0 ||
		    dev_set_mac(d, m, err) < 0))
		die(name, err);
	if (dev_set_up(d, true, err) < 0)
		die(name, err);
	return d;
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

static void setup(void)
{
	struct dev *v10, *v20, *mv0, *mv1, *mv2;
	struct scen *s;

	if (fib_init() < 0 || neigh_init() < 0)
		die("init", "fib_init/neigh_init failed");
	worker_ctl();

	s = &scens[S_PLAIN];
	s->gen = mk(&gen_driver, "g0", "src 10.1.0.2 dst 198.18.0.2 size 64 flows 256", NULL);
	s->sink = mk(&null_driver, "n0", "", NULL);
	addr(s->gen, "10.1.0.1", 24);
	addr(s->sink, "10.2.0.1", 24);
	route("198.18.0.0", "10.2.0.2", s->sink);

	s = &scens[S_VLAN]; /* 60 bytes + the tag = 64 on the wire */
	s->gen = mk(&gen_driver, "g1", "src 10.10.0.2 dst 198.19.0.2 size 60 flows 256", NULL);
	s->sink = mk(&null_driver, "n1", "", NULL);
	v10 = mk(&vlan_driver, "v10", "link g1 id 10", NULL);
	v20 = mk(&vlan_driver, "v20", "link n1 id 20", NULL);
	addr(v10, "10.10.0.1", 24);
	addr(v20, "10.20.0.1", 24);
	route("198.19.0.0", "10.20.0.2", v20);

	s = &scens[S_MACVLAN];
	s->gen = mk(&gen_driver, "g2",
		    "src 10.30.0.2 dst 198.20.0.2 size 64 flows 256 dst-mac 02:00:00:00:aa:01",
		    NULL);
	s->sink = mk(&null_driver, "n2", "", NULL);
	mv0 = mk(&macvlan_driver, "mv0", "link g2", "02:00:00:00:aa:01");
	addr(mv0, "10.30.0.1", 24);
	addr(s->sink, "10.40.0.1", 24);
	route("198.20.0.0", "10.40.0.2", s->sink);

	s = &scens[S_MACVLAN2];
	s->gen = mk(&gen_driver, "g3",
		    "src 10.50.0.2 dst 198.21.0.2 size 64 flows 256 dst-mac 02:00:00:00:aa:02",
		    NULL);
	s->sink = mk(&null_driver, "n3", "", NULL);
	mv1 = mk(&macvlan_driver, "mv1", "link g3", "02:00:00:00:aa:02");
	mv2 = mk(&macvlan_driver, "mv2", "link n3", "02:00:00:00:aa:03");
	/* a sibling, so that mv2's transmit does its bridge-mode lookup */
	mk(&macvlan_driver, "mv3", "link n3", "02:00:00:00:aa:04");
	addr(mv1, "10.50.0.1", 24);
	addr(mv2, "10.60.0.1", 24);
	route("198.21.0.0", "10.60.0.2", mv2);

	/* Send (and drop the count of) what setup produced: gratuitous ARP. */
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

static double tsc_per_ns(void)
{
	uint64_t t0 = time_ns(), c0 = __rdtsc(), t1;

	do
		t1 = time_ns();
	while (t1 - t0 < 200000000ull);
	return (double)(__rdtsc() - c0) / (double)(t1 - t0);
}

enum mode { M_ALLOC, M_FWD };

static unsigned one_burst(const struct scen *s, enum mode m, unsigned burst)
{
	struct pkt_vec v;
	uint16_t k = 0;

	v.n = s->gen->ops->rx_burst(s->gen, v.p, (uint16_t)burst);
	for (uint16_t i = 0; i < v.n; i++) {
		struct pkt *p = v.p[i];
		if (s->tag && vlan_tag_push(&p, ETH_P_8021Q, s->tag) < 0) {
			dev_rx_drop(s->gen, p, DROP_NOMEM);
			continue;
		}
		v.p[k++] = p;
	}
	v.n = k;
	if (m == M_ALLOC) {
		for (uint16_t i = 0; i < k; i++)
			pkt_free(v.p[i]);
	} else {
		worker_input(&wk, &v);
		worker_tx_flush(&wk);
	}
	rcu_quiescent_state();
	return k;
}

struct sample {
	uint64_t pkts, ns, cycles;
};

static struct sample run_once(const struct scen *s, enum mode m,
			      unsigned burst, double seconds)
{
	unsigned per_check = burst >= 256 ? 1 : 256 / burst;
	struct sample r = { 0 };
	uint64_t t0 = time_ns(), c0 = __rdtsc(), t;
	uint64_t deadline = t0 + (uint64_t)(seconds * 1e9);

	do {
		for (unsigned i = 0; i < per_check; i++)
			r.pkts += one_burst(s, m, burst);
		t = time_ns();
		wk.now_ms = t / 1000000ull;
	} while (t < deadline);
	r.cycles = __rdtsc() - c0;
	r.ns = t - t0;
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

struct figure {
	double ns, cyc, mpps, ns_min, ns_max;
};

/* Median and spread of n samples. */
static struct figure summarize(const struct sample *x, unsigned n)
{
	double ns[B_MAX_RUNS], cyc[B_MAX_RUNS];
	struct figure f;

	for (unsigned i = 0; i < n; i++) {
		ns[i] = (double)x[i].ns / (double)x[i].pkts;
		cyc[i] = (double)x[i].cycles / (double)x[i].pkts;
	}
	qsort(ns, n, sizeof(double), cmp_double);
	qsort(cyc, n, sizeof(double), cmp_double);
	f.ns = ns[n / 2];
	f.cyc = cyc[n / 2];
	f.mpps = 1e3 / f.ns;
	f.ns_min = ns[0];
	f.ns_max = ns[n - 1];
	return f;
}

/* ------------------------------------------------------------- accounting */

static uint64_t sink_tx(const struct dev *d)
{
	struct dev_stats st;

	dev_stats_sum(d, &st);
	return st.tx_packets;
}

static bool is_gen(const struct dev *d)
{
	for (unsigned i = 0; i < S_N; i++)
		if (scens[i].gen == d)
			return true;
	return false;
}

/* Every device balances (neighbor queues are empty: static neighbors),
 * except the generators' receive side: alloc runs free what they make
 * without counting it. Prints the devices that do not, and all drops. */
static bool all_balanced(void)
{
	bool ok = true;

	for (struct dev *d = dev_next(NULL); d; d = dev_next(d)) {
		struct dev_stats s;
		uint64_t rxd = 0, txd = 0;
		bool rx_ok;

		dev_stats_sum(d, &s);
		for (unsigned r = 0; r < DROP_MAX; r++) {
			rxd += s.rx_drops[r];
			txd += s.tx_drops[r];
			if (s.rx_drops[r] || s.tx_drops[r])
				printf("    %s drops %s: rx %llu tx %llu\n", d->name,
				       drop_name(r), (unsigned long long)s.rx_drops[r],
				       (unsigned long long)s.tx_drops[r]);
		}
		rx_ok = is_gen(d) ||
			s.rx_packets == s.forwarded + s.delivered + s.to_upper + rxd;
		if (!rx_ok ||
		    s.fwd_in + s.originated + s.split_extra != s.tx_packets + txd) {
			printf("    %s: counters do not balance\n", d->name);
			ok = false;
		}
	}
	return ok;
}

struct row {
	struct figure alloc, fwd;
	uint64_t generated, arrived;
	bool ok;
};

/* All scenarios at one burst size. Runs are interleaved (run i of every
 * scenario, then run i + 1 ...) so that a change of load on the machine
 * touches all of them alike; one warm-up run each first. */
static void bench_burst(unsigned burst, const struct opts *o, struct row *rows)
{
	static struct sample al[S_N][B_MAX_RUNS], fw[S_N][B_MAX_RUNS];
	uint64_t live = pkt_pool_outstanding(), before[S_N];
	double warm = o->seconds < 0.5 ? o->seconds : 0.5;

	for (unsigned i = 0; i < S_N; i++) {
		run_once(&scens[i], M_ALLOC, burst, warm);
		rows[i].generated = run_once(&scens[i], M_FWD, burst, warm).pkts;
		before[i] = sink_tx(scens[i].sink) - rows[i].generated;
	}
	for (unsigned r = 0; r < o->runs; r++) {
		for (unsigned i = 0; i < S_N; i++) {
			al[i][r] = run_once(&scens[i], M_ALLOC, burst, o->seconds);
			fw[i][r] = run_once(&scens[i], M_FWD, burst, o->seconds);
			rows[i].generated += fw[i][r].pkts;
		}
	}
	for (unsigned i = 0; i < S_N; i++) {
		struct row *w = &rows[i];

		w->alloc = summarize(al[i], o->runs);
		w->fwd = summarize(fw[i], o->runs);
		w->arrived = sink_tx(scens[i].sink) - before[i];
		w->ok = w->arrived == w->generated;
		if (!w->ok)
			printf("  %s: generated %llu, arrived %llu\n", scens[i].name,
			       (unsigned long long)w->generated,
			       (unsigned long long)w->arrived);
	}
	if (pkt_pool_outstanding() != live) {
		printf("  burst %u: packets allocated %llu before, %llu after\n",
		       burst, (unsigned long long)live,
		       (unsigned long long)pkt_pool_outstanding());
		rows[0].ok = false;
	}
}

static double load_avg(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double l = -1;

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}

static void print_header(const struct opts *o, double tpn)
{
	double load = load_avg();

	printf("l2_bench_vlan: one core, in-memory gen -> worker_input -> route -> null sink\n");
	printf("TSC %.3f GHz; median of %u runs x %.1f s; load average %.2f%s\n",
	       tpn, o->runs, o->seconds, load,
	       load > 0.7 ? " (WARNING: busy machine, figures disturbed)" : "");
	printf("plain: port -> port; vlan: pop VID 10 on v10, route, push VID 20 on v20;\n"
	       "macvlan: dispatch to mv0 by MAC, route to a port; macvlan2: the same out\n"
	       "through macvlan mv2. alloc = generator alone; fwd = total - alloc.\n\n");
	printf("%-9s %5s | %7s | %7s %7s %6s %11s | %7s %7s | %8s %8s | %s\n",
	       "scenario", "burst", "alloc", "total", "total", "total", "total ns",
	       "fwd", "fwd", "Mpps vs", "fwd ns", "arrived/");
	printf("%-9s %5s | %7s | %7s %7s %6s %11s | %7s %7s | %8s %8s | %s\n",
	       "", "", "ns/pkt", "ns/pkt", "cyc/pkt", "Mpps", "min..max",
	       "ns/pkt", "cyc/pkt", "plain", "vs plain", "generated");
}

static void print_row(const struct scen *s, unsigned burst, const struct row *r,
		      const struct row *plain)
{
	char spread[32];

	snprintf(spread, sizeof(spread), "%.1f..%.1f", r->fwd.ns_min, r->fwd.ns_max);
	printf("%-9s %5u | %7.1f | %7.1f %7.1f %6.2f %11s | %7.1f %7.1f | %7.1f%% %+8.1f | %llu/%llu%s\n",
	       s->name, burst, r->alloc.ns, r->fwd.ns, r->fwd.cyc, r->fwd.mpps,
	       spread, r->fwd.ns - r->alloc.ns, r->fwd.cyc - r->alloc.cyc,
	       100.0 * r->fwd.mpps / plain->fwd.mpps,
	       (r->fwd.ns - r->alloc.ns) - (plain->fwd.ns - plain->alloc.ns),
	       (unsigned long long)r->arrived, (unsigned long long)r->generated,
	       r->ok ? "" : "  FAIL");
}

static int parse_bursts(const char *arg, struct opts *o)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	o->nbursts = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		long b = strtol(t, NULL, 10);
		if (b < 1 || b > (long)PKT_MAX_BURST || o->nbursts == B_MAX_BURSTS)
			return -1;
		o->bursts[o->nbursts++] = (unsigned)b;
	}
	return o->nbursts ? 0 : -1;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "bursts", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .seconds = 1.0, .runs = 5, .nbursts = 2,
			    .bursts = { 32, 256 } };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (c == 's' && (o->seconds = strtod(optarg, NULL)) > 0 &&
		    o->seconds <= 600)
			continue;
		if (c == 'r' && (o->runs = (unsigned)strtoul(optarg, NULL, 10)) >= 1 &&
		    o->runs <= B_MAX_RUNS)
			continue;
		if (c == 'b' && parse_bursts(optarg, o) == 0)
			continue;
		fprintf(stderr,
			"usage: l2_bench_vlan [--seconds S (0..600]] [--runs N (1..%d)] [--bursts 32,256]\n",
			B_MAX_RUNS);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	double tpn;
	bool ok = true;
	uint64_t left;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	setup();
	tpn = tsc_per_ns();
	print_header(&o, tpn);
	for (unsigned k = 0; k < o.nbursts; k++) {
		struct row rows[S_N];

		bench_burst(o.bursts[k], &o, rows);
		for (unsigned i = 0; i < S_N; i++) {
			print_row(&scens[i], o.bursts[k], &rows[i], &rows[S_PLAIN]);
			ok &= rows[i].ok;
		}
		fflush(stdout);
	}
	if (!all_balanced())
		ok = false;
	left = teardown();
	if (left) {
		printf("LEAK: %llu packets still allocated at exit\n",
		       (unsigned long long)left);
		ok = false;
	}
	printf("%s\n", ok ? "l2_bench_vlan: every generated packet arrived, counters balance, no leaks"
			  : "l2_bench_vlan: FAILED (see above)");
	return ok ? 0 : 1;
}
