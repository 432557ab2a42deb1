/* l2_bench_vlan: in-memory Mpps of VLAN pop + route + push and of macvlan
 * dispatch, against plain port-to-port forwarding measured in the same run,
 * on one core.
 *
 * Design note. The real product is set up in-process through the command
 * grammar, as the config file would (gen and null devices, vlan and macvlan
 * devices, addresses, gateway routes, static neighbors:
 * bench/bench_harness.h), and packets go
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

#include "bench_harness.h"
#include "l2/eth.h"
#include "l2/vlan.h"

#define B_MAX_RUNS BENCH_MAX_RUNS
#define B_MAX_BURSTS BENCH_MAX_BURSTS

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

/* `link add NAME type KIND ARGS [address MAC]`, up; returns the device. */
static struct dev *mk(const char *kind, const char *name, const char *args,
		      const char *mac)
{
	bench_cmd("link add %s type %s %s", name, kind, args);
	if (mac)
		bench_cmd("link set %s address %s", name, mac);
	bench_cmd("link set %s up", name);
	return bench_dev(name);
}

/* PREFIX/16 via GW dev D, with a static neighbor for GW. */
static void route(const char *prefix, const char *gw, struct dev *d)
{
	bench_cmd("route add %s/16 via %s dev %s", prefix, gw, d->name);
	bench_cmd("neigh add %s lladdr 02:00:00:00:00:02 dev %s", gw, d->name);
}

static void addr(struct dev *d, const char *a, unsigned plen)
{
	bench_cmd("addr add %s/%u dev %s", a, plen, d->name);
}

static void setup(void)
{
	struct dev *v10, *v20, *mv0, *mv1, *mv2;
	struct scen *s;

	bench_setup_begin();

	s = &scens[S_PLAIN];
	s->gen = mk("gen", "g0", "src 10.1.0.2 dst 198.18.0.2 size 64 flows 256", NULL);
	s->sink = mk("null", "n0", "", NULL);
	addr(s->gen, "10.1.0.1", 24);
	addr(s->sink, "10.2.0.1", 24);
	route("198.18.0.0", "10.2.0.2", s->sink);

	s = &scens[S_VLAN]; /* 60 bytes + the tag = 64 on the wire */
	s->gen = mk("gen", "g1", "src 10.10.0.2 dst 198.19.0.2 size 60 flows 256", NULL);
	s->sink = mk("null", "n1", "", NULL);
	v10 = mk("vlan", "v10", "link g1 id 10", NULL);
	v20 = mk("vlan", "v20", "link n1 id 20", NULL);
	addr(v10, "10.10.0.1", 24);
	addr(v20, "10.20.0.1", 24);
	route("198.19.0.0", "10.20.0.2", v20);

	s = &scens[S_MACVLAN];
	s->gen = mk("gen", "g2",
		    "src 10.30.0.2 dst 198.20.0.2 size 64 flows 256 dst-mac 02:00:00:00:aa:01",
		    NULL);
	s->sink = mk("null", "n2", "", NULL);
	mv0 = mk("macvlan", "mv0", "link g2", "02:00:00:00:aa:01");
	addr(mv0, "10.30.0.1", 24);
	addr(s->sink, "10.40.0.1", 24);
	route("198.20.0.0", "10.40.0.2", s->sink);

	s = &scens[S_MACVLAN2];
	s->gen = mk("gen", "g3",
		    "src 10.50.0.2 dst 198.21.0.2 size 64 flows 256 dst-mac 02:00:00:00:aa:02",
		    NULL);
	s->sink = mk("null", "n3", "", NULL);
	mv1 = mk("macvlan", "mv1", "link g3", "02:00:00:00:aa:02");
	mv2 = mk("macvlan", "mv2", "link n3", "02:00:00:00:aa:03");
	/* a sibling, so that mv2's transmit does its bridge-mode lookup */
	mk("macvlan", "mv3", "link n3", "02:00:00:00:aa:04");
	addr(mv1, "10.50.0.1", 24);
	addr(mv2, "10.60.0.1", 24);
	route("198.21.0.0", "10.60.0.2", mv2);

	bench_setup_end(&wk);
}

/* ------------------------------------------------------------ measurement */

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
	qsort(ns, n, sizeof(double), bench_cmp_double);
	qsort(cyc, n, sizeof(double), bench_cmp_double);
	f.ns = ns[n / 2];
	f.cyc = cyc[n / 2];
	f.mpps = 1e3 / f.ns;
	f.ns_min = ns[0];
	f.ns_max = ns[n - 1];
	return f;
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
		before[i] = bench_tx_of(scens[i].sink) - rows[i].generated;
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
		w->arrived = bench_tx_of(scens[i].sink) - before[i];
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

static void print_header(const struct opts *o, double tpn)
{
	double load = bench_load_avg();

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
		if (c == 'b' && bench_parse_bursts(optarg, o->bursts, &o->nbursts) == 0)
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

	bench_name = "l2_bench_vlan";
	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	setup();
	tpn = bench_tsc_per_ns();
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
	return bench_finish(&wk, ok, true);
}
