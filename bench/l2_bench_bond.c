/* l2_bench_bond: in-memory Mpps of routing through bond devices against
 * plain port-to-port forwarding measured in the same run, on one core.
 *
 * Design note. The real product is set up in-process through the command
 * grammar, as the config file would (gen and null devices, bonds, slaves,
 * addresses, gateway routes, static neighbors: bench/bench_harness.h), and
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

#include "bench_harness.h"

#define B_MAX_RUNS BENCH_MAX_RUNS

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

/* gen GEN (frames to its own MAC, which its bond inherits) -> bond BI ->
 * route -> bond BO over two sinks. */
static void bond_scen(struct scen *s, const char *mode, const char *tag,
		      const char *gen_args, const char *in_net,
		      const char *out_net, const char *prefix, const char *gw)
{
	char name[16];

	bench_cmd("link add g%s type gen %s", tag, gen_args);
	bench_cmd("link set g%s up", tag);
	bench_cmd("link add bi%s type bond %s", tag, mode);
	bench_cmd("link add bo%s type bond %s", tag, mode);
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "n%s%c", tag, 'a' + i);
		bench_cmd("link add %s type null", name);
		bench_cmd("link set %s up", name);
		bench_cmd("link set %s master bo%s", name, tag);
		s->sink[i] = bench_dev(name);
	}
	bench_cmd("link set g%s master bi%s", tag, tag);
	bench_cmd("link set bi%s up", tag);
	bench_cmd("link set bo%s up", tag);
	bench_cmd("addr add %s/24 dev bi%s", in_net, tag);
	bench_cmd("addr add %s/24 dev bo%s", out_net, tag);
	bench_cmd("route add %s/16 via %s dev bo%s", prefix, gw, tag);
	bench_cmd("neigh add %s lladdr 02:00:00:00:00:02 dev bo%s", gw, tag);
	snprintf(name, sizeof(name), "g%s", tag);
	s->gen = bench_dev(name);
}

static void setup(void)
{
	struct scen *s = &scens[S_PLAIN];

	bench_setup_begin();
	bench_cmd("link add g0 type gen src 10.1.0.2 dst 198.18.0.2 size 64 flows 256");
	bench_cmd("link add n0 type null");
	bench_cmd("link set g0 up");
	bench_cmd("link set n0 up");
	bench_cmd("addr add 10.1.0.1/24 dev g0");
	bench_cmd("addr add 10.2.0.1/24 dev n0");
	bench_cmd("route add 198.18.0.0/16 via 10.2.0.2 dev n0");
	bench_cmd("neigh add 10.2.0.2 lladdr 02:00:00:00:00:02 dev n0");
	s->gen = bench_dev("g0");
	s->sink[0] = bench_dev("n0");

	bond_scen(&scens[S_AB], "mode active-backup", "1",
		  "src 10.10.0.2 dst 198.19.0.2 size 64 flows 256",
		  "10.10.0.1", "10.20.0.1", "198.19.0.0", "10.20.0.2");
	bond_scen(&scens[S_XOR], "mode balance-xor xmit_hash_policy layer3+4", "2",
		  "src 10.30.0.2 dst 198.20.0.2 size 64 flows 256",
		  "10.30.0.1", "10.40.0.1", "198.20.0.0", "10.40.0.2");
	bench_setup_end(&wk);
}

/* ------------------------------------------------------------ measurement */

/* ns per packet of one run. */
static double run_once(const struct scen *s, unsigned burst, double seconds,
		       uint64_t *pkts)
{
	unsigned per_check = burst >= 256 ? 1 : 256 / burst;
	uint64_t t0 = time_ns(), t, n = 0;
	uint64_t deadline = t0 + (uint64_t)(seconds * 1e9);

	do {
		for (unsigned i = 0; i < per_check; i++)
			n += bench_burst_once(&wk, s->gen, burst, true);
		t = time_ns();
		wk.now_ms = t / 1000000ull;
	} while (t < deadline);
	*pkts += n;
	return (double)(t - t0) / (double)n;
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
		before[i][0] = bench_tx_of(scens[i].sink[0]);
		before[i][1] = bench_tx_of(scens[i].sink[1]);
		run_once(&scens[i], o->burst, o->seconds < 0.5 ? o->seconds : 0.5,
			 &rows[i].generated);
	}
	for (unsigned k = 0; k < o->runs; k++)
		for (unsigned i = 0; i < S_N; i++)
			rows[i].ns[k] = run_once(&scens[i], o->burst, o->seconds,
						 &rows[i].generated);
	for (unsigned i = 0; i < S_N; i++) {
		struct row *r = &rows[i];
		qsort(r->ns, o->runs, sizeof(double), bench_cmp_double);
		r->med = r->ns[o->runs / 2];
		r->lo = r->ns[0];
		r->hi = r->ns[o->runs - 1];
		r->arrived[0] = bench_tx_of(scens[i].sink[0]) - before[i][0];
		r->arrived[1] = bench_tx_of(scens[i].sink[1]) - before[i][1];
		r->ok = r->arrived[0] + r->arrived[1] == r->generated &&
			pkt_pool_outstanding() == live;
		if (i == S_XOR)
			r->ok = r->ok && r->arrived[0] > r->generated / 4 &&
				r->arrived[1] > r->generated / 4;
	}
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

	bench_name = "l2_bench_bond";
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
	return bench_finish(&wk, ok, false);
}
