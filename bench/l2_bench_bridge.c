/* l2_bench_bridge: in-memory Mpps of bridging 64-byte frames between two
 * ports against plain port-to-port L3 forwarding measured in the same run,
 * on one core.
 *
 * Design note. The real product is set up in-process through the command
 * grammar, as the config file would (ctl_exec_line: gen and null devices,
 * bridges, enslaving, static FDB entries, bridge VLANs, addresses, a route,
 * a static neighbor), and packets go generator -> worker_input ->
 * worker_tx_flush -> null sink, as in bench/fwd_bench.c. Scenarios
 * (IPv4/UDP, 256 flows, 64-byte frames):
 *   l3 fwd       g0 -> Ethernet/IPv4 input -> route -> neighbor -> n0
 *   bridge       g1 and n1 are ports of br1; frames to a MAC with a static
 *                FDB entry on n1 (source MAC learnt on every frame)
 *   bridge+vlan  br2 filters VLANs: g2 untagged with PVID 10, n2 member of
 *                10 tagged: the bridge pushes an 802.1Q tag on every frame
 * Per burst size, every scenario runs RUNS times for SECONDS each after a
 * warm-up, the scenarios interleaved so that other load on the machine
 * disturbs them alike; the figure is the fastest run (other load only ever
 * adds time), the median is printed beside it. "alloc" runs only the
 * generator and frees its packets; fwd = total - alloc is the cost of the
 * path. After the runs each sink must have counted exactly the generated
 * packets, every device's counters must balance and no packet may be left
 * allocated; otherwise the row says FAIL and the exit status is 1.
 *
 * Build and run (from the top directory, after make):
 *   gcc -std=gnu11 -O2 -march=x86-64-v2 -D_GNU_SOURCE -Isrc -pthread \
 *       -o build/l2_bench_bridge bench/l2_bench_bridge.c build/libusnet.a \
 *       -lurcu-qsbr -lurcu-cds -lpcap
 *   taskset -c 1 build/l2_bench_bridge [--seconds S] [--runs N] [--bursts L]
 */
#include <getopt.h>

#include "bench_harness.h"

struct bench_opts {
	double seconds;
	unsigned runs;
	unsigned nbursts;
	unsigned bursts[BENCH_MAX_BURSTS];
};

struct scenario {
	const char *name;
	const char *gen, *sink;         /* device names */
	struct dev *g, *n;
};

static const char *const setup_lines[] = {
	"link add n0 type null",
	"link add g0 type gen src 10.1.0.2 dst 198.18.0.2 size 64 flows 256",
	"addr add 10.1.0.1/24 dev g0",
	"addr add 10.2.0.1/24 dev n0",
	"route add 198.18.0.0/15 via 10.2.0.2 dev n0",
	"neigh add 10.2.0.2 lladdr 02:00:00:00:00:02 dev n0",

	"link add n1 type null",
	"link add g1 type gen src 10.9.0.1 dst 10.9.0.2 size 64 flows 256 "
	"src-mac 02:00:00:00:01:01 dst-mac 02:00:00:00:01:02",
	"link add br1 type bridge",
	"link set g1 master br1",
	"link set n1 master br1",
	"fdb add 02:00:00:00:01:02 dev n1 static",

	"link add n2 type null",
	"link add g2 type gen src 10.9.0.1 dst 10.9.0.2 size 64 flows 256 "
	"src-mac 02:00:00:00:02:01 dst-mac 02:00:00:00:02:02",
	"link add br2 type bridge vlan_filtering 1",
	"link set g2 master br2",
	"link set n2 master br2",
	"bridge vlan del dev g2 vid 1",
	"bridge vlan add dev g2 vid 10 pvid untagged",
	"bridge vlan del dev n2 vid 1",
	"bridge vlan add dev n2 vid 10",
	"fdb add 02:00:00:00:02:02 dev n2 vlan 10 static",
};

static const char *const up_devs[] = { "n0", "g0", "n1", "g1", "br1",
				       "n2", "g2", "br2" };

static struct scenario scenarios[] = {
	{ "l3 fwd", "g0", "n0", NULL, NULL },
	{ "bridge", "g1", "n1", NULL, NULL },
	{ "bridge+vlan", "g2", "n2", NULL, NULL },
};

static struct worker wk;

static void setup(void)
{
	bench_setup_begin();
	for (size_t i = 0; i < ARRAY_SIZE(setup_lines); i++)
		bench_cmd("%s", setup_lines[i]);
	for (size_t i = 0; i < ARRAY_SIZE(up_devs); i++)
		bench_cmd("link set %s up", up_devs[i]);
	for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++) {
		scenarios[i].g = bench_dev(scenarios[i].gen);
		scenarios[i].n = bench_dev(scenarios[i].sink);
	}
	bench_setup_end(&wk);
}

enum mode { MODE_ALLOC, MODE_FWD };

/* ns per packet of one run; *pkts gets the packet count. */
static double run_once(struct dev *g, enum mode m, unsigned burst,
		       double seconds, uint64_t *pkts)
{
	uint64_t t0 = time_ns(), t, n = 0;
	uint64_t deadline = t0 + (uint64_t)(seconds * 1e9);

	do {
		for (unsigned i = 0; i < 64; i++)
			n += bench_burst_once(&wk, g, burst, m == MODE_FWD);
		t = time_ns();
		wk.now_ms = t / 1000000ull;
	} while (t < deadline);
	*pkts += n;
	return (double)(t - t0) / (double)n;
}

#define NSCEN ARRAY_SIZE(scenarios)

/* One burst size: every scenario's runs, interleaved so that other load on
 * the machine disturbs all scenarios alike. */
struct row {
	double alloc_ns[BENCH_MAX_RUNS], fwd_ns[BENCH_MAX_RUNS];
	uint64_t generated, arrived;
};

static void bench_burst(unsigned burst, const struct bench_opts *o,
			struct row *rows)
{
	uint64_t before[NSCEN], n;
	double warm = o->seconds < 0.5 ? o->seconds : 0.5;

	for (size_t s = 0; s < NSCEN; s++) {
		n = 0;
		run_once(scenarios[s].g, MODE_ALLOC, burst, warm, &n);
		run_once(scenarios[s].g, MODE_FWD, burst, warm, &n);
		rows[s].generated = 0;
		before[s] = bench_tx_of(scenarios[s].n);
	}
	for (unsigned r = 0; r < o->runs; r++) {
		for (size_t s = 0; s < NSCEN; s++) {
			n = 0;
			rows[s].alloc_ns[r] = run_once(scenarios[s].g, MODE_ALLOC,
						       burst, o->seconds, &n);
			rows[s].fwd_ns[r] = run_once(scenarios[s].g, MODE_FWD,
						     burst, o->seconds,
						     &rows[s].generated);
		}
	}
	for (size_t s = 0; s < NSCEN; s++)
		rows[s].arrived = bench_tx_of(scenarios[s].n) - before[s];
}

static double best(const double *ns, unsigned n)
{
	double b = ns[0];

	for (unsigned i = 1; i < n; i++)
		b = ns[i] < b ? ns[i] : b;
	return b;
}

static double median(const double *ns, unsigned n)
{
	double v[BENCH_MAX_RUNS];

	memcpy(v, ns, n * sizeof(v[0]));
	return bench_median(v, n);
}

static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "bursts", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct bench_opts){ .seconds = 1.0, .runs = 5, .nbursts = 2,
				  .bursts = { 32, 256 } };
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->seconds = strtod(optarg, NULL);
			if (o->seconds <= 0 || o->seconds > 600)
				return -1;
			break;
		case 'r':
			o->runs = (unsigned)strtoul(optarg, NULL, 10);
			if (o->runs < 1 || o->runs > BENCH_MAX_RUNS)
				return -1;
			break;
		case 'b':
			if (bench_parse_bursts(optarg, o->bursts, &o->nbursts) < 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bench_opts o;
	uint64_t live;
	bool ok = true;

	bench_name = "l2_bench_bridge";
	if (parse_opts(argc, argv, &o) < 0) {
		fprintf(stderr, "usage: l2_bench_bridge [--seconds S] [--runs 1..%d] [--bursts 32,256]\n",
			BENCH_MAX_RUNS);
		return 2;
	}
	setup();
	live = pkt_pool_outstanding();
	printf("l2_bench_bridge: one core, in-memory gen -> worker_input -> null sink, 64-byte frames\n");
	printf("%u runs x %.1f s per scenario, scenarios interleaved; best = fastest run\n"
	       "(least disturbed by other load), median beside it; alloc = generator alone,\n"
	       "fwd = total - alloc (best runs); vs l3 = best Mpps / best l3 fwd Mpps\n\n",
	       o.runs, o.seconds);
	printf("%-12s %5s | %8s | %8s %7s %9s | %7s | %6s | %s\n", "scenario",
	       "burst", "alloc ns", "total ns", "Mpps", "median ns", "fwd ns",
	       "vs l3", "arrived/generated");
	for (unsigned k = 0; k < o.nbursts; k++) {
		struct row rows[NSCEN];
		double l3 = 0;
		bench_burst(o.bursts[k], &o, rows);
		for (size_t s = 0; s < NSCEN; s++) {
			struct row *r = &rows[s];
			double tot = best(r->fwd_ns, o.runs);
			bool row_ok = r->arrived == r->generated;
			char rel[16] = "-";
			if (s == 0)
				l3 = tot;
			else
				snprintf(rel, sizeof(rel), "%.2fx", l3 / tot);
			printf("%-12s %5u | %8.1f | %8.1f %7.2f %9.1f | %7.1f | %6s | %llu/%llu%s\n",
			       scenarios[s].name, o.bursts[k], best(r->alloc_ns, o.runs),
			       tot, 1e3 / tot, median(r->fwd_ns, o.runs),
			       tot - best(r->alloc_ns, o.runs), rel,
			       (unsigned long long)r->arrived,
			       (unsigned long long)r->generated, row_ok ? "" : "  FAIL");
			ok &= row_ok;
		}
		fflush(stdout);
	}
	if (pkt_pool_outstanding() != live) {
		printf("LEAK: %llu packets allocated before the runs, %llu after\n",
		       (unsigned long long)live,
		       (unsigned long long)pkt_pool_outstanding());
		ok = false;
	}
	return bench_finish(&wk, ok, true);
}
