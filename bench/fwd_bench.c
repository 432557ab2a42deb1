/* fwd_bench: in-memory forwarding benchmark on one core. The real product is
 * set up in-process (gen and null drivers, addresses, a gateway route, a
 * static neighbor) and packets go generator -> worker_input (Ethernet, IPv4
 * or IPv6 input, FIB lookup, neighbor, L2 rewrite) -> worker_tx_flush ->
 * null sink, for several burst sizes.
 *
 * Design note. Each measurement is the median of RUNS runs of a fixed
 * duration. Two modes per scenario and burst: "alloc" takes packets from the
 * generator and frees them (the cost of making a packet: pool allocation,
 * 64-byte copy, checksum stamp, free) and "fwd" sends them through the
 * pipeline; fwd - alloc is the forwarding cost. Time comes from
 * CLOCK_MONOTONIC and cycles from the TSC, whose frequency is measured
 * against the clock, not assumed. After every forwarding run the packets
 * counted at the sink must equal the packets generated; otherwise the drop
 * reasons of every device are printed and the exit status is 1.
 *
 * Full-table rows ("ipv4 10rt" / "ipv4 full", and IPv6): the same traffic,
 * first with ~10 routes, then with the real Internet table (--prefixes,
 * default ../shared/data/prefixes.txt.gz) loaded into main through the FIB
 * batch path `route load` uses (fib_batch_begin, fib_route_add per line,
 * fib_batch_commit). Each table prefix goes via one of TABLE_GWS gateways
 * on the sink's subnet (all with static neighbors). The traffic has
 * TABLE_SAMPLE distinct destinations, each a random prefix of the table
 * with random host bits (as bench/fib_bench.c's "in-table" sample), written
 * into the generated packets (IPv4 header checksum recomputed; the UDP
 * checksum is left stale, forwarding does not read it); the writing is
 * part of "alloc" too, so fwd = total - alloc stays the forwarding cost. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <urcu-qsbr.h>
#include <x86intrin.h>

#include "bench_harness.h"
#include "prefix_file.h"
#include "fib/fib_fwd.h"
#include "fib/nexthop.h"
#include "l2/neigh.h"
#include "l3/addr.h"
#include "offload/csum.h"

#define BENCH_ERR 256
#define YARDSTICK_CYCLES 200.0  /* full IPv4 path, best userspace routers */
#define YARDSTICK_MPPS 12.0     /* ~200 cycles at 2.4 GHz */
#define TABLE_GWS 8u             /* gateways of the full-table routes */
#define TABLE_SAMPLE (1u << 20)  /* distinct destinations per family */
#define TABLE_FILE "../shared/data/prefixes.txt.gz"

#define NH_MAC "02:00:00:00:00:02"

struct bench_opts {
	double seconds;         /* per run */
	unsigned runs;
	unsigned nbursts;
	unsigned bursts[BENCH_MAX_BURSTS];
	const char *prefixes;   /* full-table file; NULL: no full-table rows */
	bool table_only;        /* only the full-table rows (profiling) */
	unsigned ntbursts;      /* bursts of the full-table rows */
	unsigned tbursts[BENCH_MAX_BURSTS];
	unsigned vrf_pairs;     /* plain/VRF run pairs per burst; 0 = none */
};

#define VRF_PAIRS_MAX 31u

/* One scenario: a generator port feeding the shared sink. */
struct scenario {
	const char *name;
	int family;
	const char *gen_args;   /* words for `link add NAME type gen ...` */
	const char *port_addr;  /* ADDR/PLEN on the generator port */
	const char *sink_addr;  /* ADDR/PLEN on the sink */
	const char *route;      /* PREFIX/PLEN routed via gw */
	const char *gw;         /* next hop on the sink's subnet */
	uint32_t vrf_table;     /* 0, or: ports enslaved to a VRF with this table */
	struct dev *gen;
	struct dev *sink;       /* the shared sink, or the VRF's own */
	/* full-table traffic: destinations written into every packet */
	const union pkt_addr *dst;
	size_t ndst, next_dst;
};

static struct scenario scenarios[] = {
	{ "ipv4 64B", AF_INET,
	  "src 10.1.0.2 dst 198.18.0.2 size 64 flows 256",
	  "10.1.0.1/24", "10.2.0.1/24", "198.18.0.0/15", "10.2.0.2", 0, NULL,
	  NULL, NULL, 0, 0 },
	{ "ipv6 64B", AF_INET6,
	  "src 2001:db8:1::2 dst 2001:db8:ff::2 size 64 flows 256",
	  "2001:db8:1::1/64", "2001:db8:2::1/64", "2001:db8:ff::/48",
	  "2001:db8:2::2", 0, NULL, NULL, NULL, 0, 0 },
	/* the same IPv4 path with both ports in VRF red: the l3mdev cost */
	{ "ipv4 vrf", AF_INET,
	  "src 10.1.0.2 dst 198.18.0.2 size 64 flows 256",
	  "10.1.0.1/24", "10.2.0.1/24", "198.18.0.0/15", "10.2.0.2", 10,
	  NULL, NULL, NULL, 0, 0 },
};

static struct dev *sink;
static struct worker wk;

/* One run's result. */
struct sample {
	uint64_t pkts, ns, cycles;
};

/* Median (by ns per packet) of n samples. */
struct figure {
	double ns_pp, cyc_pp, mpps;
	double ns_min, ns_max;  /* spread over the runs, ns per packet */
};

/* ------------------------------------------------------------------ setup */

static void parse_prefix(int family, const char *s, union pkt_addr *a,
			 unsigned *plen)
{
	char buf[64], *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	*plen = family == AF_INET ? 32 : 128;
	if (slash) {
		*slash = 0;
		*plen = (unsigned)atoi(slash + 1);
	}
	memset(a, 0, sizeof(*a));
	if (inet_pton(family, buf, a) != 1)
		bench_die(s, "bad address");
}

/* Scenario i through the command grammar: generator g<i> (and, for a VRF
 * scenario, VRF vrf<i> with its own sink n<i>, both ports its members),
 * addresses, the route and the gateway's static neighbor. */
static void scenario_setup(struct scenario *sc, size_t i)
{
	char sink_name[16] = "n0", gen_name[16];
	unsigned table = sc->vrf_table ? sc->vrf_table : FIB_TABLE_MAIN;

	bench_cmd("link add g%zu type gen %s", i, sc->gen_args);
	bench_cmd("link set g%zu up", i);
	if (sc->vrf_table) {
		snprintf(sink_name, sizeof(sink_name), "n%zu", i);
		bench_cmd("link add vrf%zu type vrf table %u", i, sc->vrf_table);
		bench_cmd("link set vrf%zu up", i);
		bench_cmd("link add %s type null", sink_name);
		bench_cmd("link set %s up", sink_name);
		bench_cmd("link set g%zu master vrf%zu", i, i);
		bench_cmd("link set %s master vrf%zu", sink_name, i);
	}
	bench_cmd("addr add %s dev g%zu", sc->port_addr, i);
	bench_cmd("addr add %s dev %s", sc->sink_addr, sink_name);
	bench_cmd("route add %s via %s dev %s table %u", sc->route, sc->gw,
		  sink_name, table);
	bench_cmd("neigh add %s lladdr " NH_MAC " dev %s", sc->gw, sink_name);
	snprintf(gen_name, sizeof(gen_name), "g%zu", i);
	sc->gen = bench_dev(gen_name);
	sc->sink = bench_dev(sink_name);
}

static void setup(void)
{
	bench_setup_begin();
	bench_cmd("link add n0 type null");
	bench_cmd("link set n0 up");
	sink = bench_dev("n0");
	for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
		scenario_setup(&scenarios[i], i);
	/* the measuring thread behaves as worker 0 */
	bench_setup_end(&wk);
}

/* ------------------------------------------------------------ measurement */

enum mode { MODE_ALLOC, MODE_FWD };

/* Write the scenario's next destinations into the n packets (full-table
 * traffic); frames start at the Ethernet header, as the generator makes
 * them. */
static void stamp_dst(struct scenario *sc, struct pkt **p, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		const union pkt_addr *d = &sc->dst[sc->next_dst];
		uint8_t *ip = p[i]->data + 14;

		if (++sc->next_dst == sc->ndst)
			sc->next_dst = 0;
		if (sc->family == AF_INET6) {
			memcpy(ip + 24, d->v6, 16);
			continue;
		}
		memcpy(ip + 16, &d->v4, 4);
		put_be16(ip + 10, 0);
		put_be16(ip + 10, csum_ip4_header(ip, 20));
	}
}

/* One burst: generate up to `burst` packets and consume them. */
static uint16_t one_burst(struct scenario *sc, enum mode m, unsigned burst)
{
	struct dev *g = sc->gen;
	struct pkt_vec v;

	v.n = g->ops->rx_burst(g, v.p, (uint16_t)burst);
	if (sc->dst)
		stamp_dst(sc, v.p, v.n);
	if (m == MODE_ALLOC) {
		for (uint16_t i = 0; i < v.n; i++)
			pkt_free(v.p[i]);
	} else {
		uint16_t n = v.n;
		worker_input(&wk, &v);
		worker_tx_flush(&wk);
		v.n = n;
	}
	rcu_quiescent_state();
	return v.n;
}

static struct sample run_once(struct scenario *sc, enum mode m, unsigned burst,
			      double seconds)
{
	unsigned per_check = burst >= 256 ? 1 : 256 / burst;
	struct sample s = { 0 };
	uint64_t t0, c0, t, deadline;

	t0 = time_ns();
	c0 = __rdtsc();
	deadline = t0 + (uint64_t)(seconds * 1e9);
	do {
		for (unsigned i = 0; i < per_check; i++)
			s.pkts += one_burst(sc, m, burst);
		t = time_ns();
		wk.now_ms = t / 1000000ull;
	} while (t < deadline);
	s.cycles = __rdtsc() - c0;
	s.ns = t - t0;
	return s;
}

static struct figure summarize(const struct sample *s, unsigned n)
{
	double ns[BENCH_MAX_RUNS], cyc[BENCH_MAX_RUNS];
	struct figure f;

	for (unsigned i = 0; i < n; i++) {
		ns[i] = (double)s[i].ns / (double)s[i].pkts;
		cyc[i] = (double)s[i].cycles / (double)s[i].pkts;
	}
	qsort(ns, n, sizeof(ns[0]), bench_cmp_double);
	qsort(cyc, n, sizeof(cyc[0]), bench_cmp_double);
	f.ns_pp = ns[n / 2];
	f.cyc_pp = cyc[n / 2];
	f.mpps = 1e3 / f.ns_pp;
	f.ns_min = ns[0];
	f.ns_max = ns[n - 1];
	return f;
}

/* ------------------------------------------------------------- accounting */

/* Counters of every device, to compare before and after a run. */
struct snapshot {
	struct dev_stats st[DEV_MAX];
	uint64_t orphan[DROP_MAX];
	uint64_t queued;
};

static void snap(struct snapshot *s)
{
	memset(s->st, 0, sizeof(s->st));
	for (struct dev *d = dev_next(NULL); d; d = dev_next(d))
		dev_stats_sum(d, &s->st[d->ifindex]);
	for (unsigned r = 0; r < DROP_MAX; r++)
		s->orphan[r] = dev_orphan_drops(r);
	s->queued = neigh_queued_total();
}

static void print_drops(const struct snapshot *a, const struct snapshot *b)
{
	for (struct dev *d = dev_next(NULL); d; d = dev_next(d)) {
		const struct dev_stats *x = &a->st[d->ifindex];
		const struct dev_stats *y = &b->st[d->ifindex];
		for (unsigned r = 0; r < DROP_MAX; r++) {
			uint64_t rx = y->rx_drops[r] - x->rx_drops[r];
			uint64_t tx = y->tx_drops[r] - x->tx_drops[r];
			if (rx)
				printf("    %s rx drop %s: %llu\n", d->name,
				       drop_name(r), (unsigned long long)rx);
			if (tx)
				printf("    %s tx drop %s: %llu\n", d->name,
				       drop_name(r), (unsigned long long)tx);
		}
	}
	for (unsigned r = 0; r < DROP_MAX; r++)
		if (b->orphan[r] != a->orphan[r])
			printf("    orphan drop %s: %llu\n", drop_name(r),
			       (unsigned long long)(b->orphan[r] - a->orphan[r]));
	if (b->queued != a->queued)
		printf("    waiting in neighbor queues: %llu\n",
		       (unsigned long long)(b->queued - a->queued));
}

/* Generated vs arrived over one scenario's forwarding runs. */
struct tally {
	uint64_t generated, arrived;
};

/* Check conservation between two snapshots around forwarding runs on g. */
static bool check_tally(const struct scenario *sc, const struct snapshot *a,
			const struct snapshot *b, uint64_t generated,
			struct tally *t)
{
	uint32_t g = sc->gen->ifindex, k = sc->sink->ifindex;
	uint64_t gen_rx = b->st[g].rx_packets - a->st[g].rx_packets;
	uint64_t arrived = b->st[k].tx_packets - a->st[k].tx_packets;

	t->generated = generated;
	t->arrived = arrived;
	if (gen_rx == generated && arrived == generated)
		return true;
	printf("  ACCOUNTING: generated %llu (device rx counter %llu), arrived %llu\n",
	       (unsigned long long)generated, (unsigned long long)gen_rx,
	       (unsigned long long)arrived);
	print_drops(a, b);
	return false;
}

/* ------------------------------------------------------------------ main */

struct row {
	struct figure alloc, fwd;
	struct tally tally;
	bool ok;
};

static struct figure measure(struct scenario *sc, enum mode m, unsigned burst,
			     const struct bench_opts *o, uint64_t *pkts)
{
	struct sample s[BENCH_MAX_RUNS];

	/* Warm caches and pools; not counted in the figure. */
	*pkts = run_once(sc, m, burst, o->seconds < 0.5 ? o->seconds : 0.5).pkts;
	for (unsigned i = 0; i < o->runs; i++) {
		s[i] = run_once(sc, m, burst, o->seconds);
		*pkts += s[i].pkts;
	}
	return summarize(s, o->runs);
}

/* Packets allocated now compared with `before`; prints and returns false on
 * a difference. */
static bool check_leak(const char *what, uint64_t before)
{
	uint64_t now = pkt_pool_outstanding();

	if (now == before)
		return true;
	printf("  LEAK (%s): %llu packets allocated before, %llu after\n", what,
	       (unsigned long long)before, (unsigned long long)now);
	return false;
}

/* alloc: the generator-alone figure when already measured for this traffic
 * and burst, NULL to measure it here. */
static struct row bench_row(struct scenario *sc, unsigned burst,
			    const struct bench_opts *o,
			    const struct figure *alloc)
{
	static struct snapshot a, b;
	uint64_t live = pkt_pool_outstanding(), n;
	bool alloc_ok = true;
	struct row r;

	if (alloc) {
		r.alloc = *alloc;
	} else {
		r.alloc = measure(sc, MODE_ALLOC, burst, o, &n);
		alloc_ok = check_leak("generator alone", live);
	}
	live = pkt_pool_outstanding();
	snap(&a);
	r.fwd = measure(sc, MODE_FWD, burst, o, &n);
	snap(&b);
	r.ok = check_tally(sc, &a, &b, n, &r.tally);
	r.ok &= check_leak("forwarding", live) && alloc_ok;
	return r;
}

static void print_header(const struct bench_opts *o, double tpn)
{
	double load = bench_load_avg();

	printf("fwd_bench: one core, in-memory gen -> worker_input -> forward -> null sink\n");
	printf("TSC %.3f GHz (measured against CLOCK_MONOTONIC); median of %u runs x %.1f s\n",
	       tpn, o->runs, o->seconds);
	printf("load average %.2f at start%s\n", load,
	       load > 0.7 ? " (WARNING: the machine is busy; figures are disturbed)"
			  : "");
	printf("alloc = generator alone (alloc+copy+free); total = generator + forwarding + sink;\n"
	       "fwd = total - alloc; cycles are TSC ticks per packet\n\n");
	printf("%-9s %5s | %8s %8s | %8s %8s %7s %13s | %8s %8s | %s\n",
	       "scenario", "burst", "alloc", "alloc", "total", "total",
	       "total", "total ns", "fwd", "fwd", "arrived/generated");
	printf("%-9s %5s | %8s %8s | %8s %8s %7s %13s | %8s %8s |\n", "", "",
	       "ns/pkt", "cyc/pkt", "ns/pkt", "cyc/pkt", "Mpps", "min..max",
	       "ns/pkt", "cyc/pkt");
}

static void print_row(const struct scenario *sc, unsigned burst,
		      const struct row *r)
{
	char spread[32];

	snprintf(spread, sizeof(spread), "%.1f..%.1f", r->fwd.ns_min,
		 r->fwd.ns_max);
	printf("%-9s %5u | %8.1f %8.1f | %8.1f %8.1f %7.2f %13s | %8.1f %8.1f | %llu/%llu%s\n",
	       sc->name, burst, r->alloc.ns_pp, r->alloc.cyc_pp, r->fwd.ns_pp,
	       r->fwd.cyc_pp, r->fwd.mpps, spread,
	       r->fwd.ns_pp - r->alloc.ns_pp, r->fwd.cyc_pp - r->alloc.cyc_pp,
	       (unsigned long long)r->tally.arrived,
	       (unsigned long long)r->tally.generated, r->ok ? "" : "  FAIL");
}

/* -------------------------------------------------------- full-table rows */

/* A prefix of the table file. */
struct tpfx {
	union pkt_addr a;
	uint8_t len;
};

struct table_set {
	struct tpfx *p;
	size_t n, cap;
};


static void table_push(struct table_set *t, const struct tpfx *x)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 65536;
		t->p = realloc(t->p, t->cap * sizeof(*t->p));
		if (!t->p)
			bench_die("table", "out of memory");
	}
	t->p[t->n++] = *x;
}

struct table_pair {
	struct table_set *t4, *t6;
};

static void table_add(int family, const uint8_t a[16], unsigned len, void *arg)
{
	struct table_pair *tp = arg;
	struct tpfx x;

	memset(&x, 0, sizeof(x));
	memcpy(&x.a, a, 16);
	x.len = (uint8_t)len;
	fib_prefix_mask(family, &x.a, x.len);
	table_push(family == AF_INET6 ? tp->t6 : tp->t4, &x);
}

/* Read the table file; false when it cannot be read (the full-table rows
 * are then skipped). */
static bool table_read(const char *file, struct table_set *t4,
		       struct table_set *t6)
{
	struct table_pair tp = { t4, t6 };

	return bench_prefix_file_read(file, table_add, &tp) && t4->n && t6->n;
}

/* Gateway i of the full-table routes, on the sink's subnet. */
static union pkt_addr table_gw(int family, unsigned i)
{
	union pkt_addr a;
	char buf[64];
	unsigned plen;

	snprintf(buf, sizeof(buf), family == AF_INET ? "10.2.0.%u" :
		 "2001:db8:2::%x", 0x10 + i);
	parse_prefix(family, buf, &a, &plen);
	return a;
}

static unsigned table_gw_of(const struct tpfx *x)
{
	uint64_t h = x->len;

	for (unsigned i = 0; i < 16; i++)
		h = (h ^ x->a.v6[i]) * 0x100000001b3ull;
	return (unsigned)((h >> 32) % TABLE_GWS);
}

/* prefix/len via gateway gw on the sink, added with flags; the error
 * (-errno) is returned, not fatal. */
static int table_route(int family, const struct tpfx *x, unsigned gw,
		       unsigned flags)
{
	struct fib_route r = { 0 };
	char err[BENCH_ERR];

	r.family = (uint8_t)family;
	r.prefix = x->a;
	r.plen = x->len;
	r.type = FIB_UNICAST;
	r.proto = FIB_PROTO_STATIC;
	r.scope = FIB_SCOPE_UNIVERSE;
	r.table = FIB_TABLE_MAIN;
	r.nnh = 1;
	r.nh[0].gw = table_gw(family, gw);
	r.nh[0].has_gw = true;
	r.nh[0].ifindex = sink->ifindex;
	r.nh[0].weight = 1;
	return fib_route_add(&r, flags, err);
}

/* Can traffic to a random address of x be forwarded to the sink? Unicast,
 * covered by the ~10 routes, not in our own subnets. */
static bool table_sampleable(int family, const struct tpfx *x)
{
	const uint8_t *b = family == AF_INET ? (const uint8_t *)&x->a.v4
					     : x->a.v6;

	if (x->len < 8)
		return false;
	if (family == AF_INET)
		return b[0] != 0 && b[0] != 10 && b[0] != 127 && b[0] < 224;
	return (b[0] & 0xe0) == 0x20 && x->len >= 32 &&
	       !(b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8);
}

/* TABLE_SAMPLE destinations: a random sampleable prefix of t, random host
 * bits. */
static union pkt_addr *table_sample(int family, const struct table_set *t)
{
	unsigned bytes = family == AF_INET ? 4 : 16;
	union pkt_addr *d = calloc(TABLE_SAMPLE, sizeof(*d));
	size_t *ok = malloc(t->n * sizeof(*ok)), nok = 0;

	if (!d || !ok)
		bench_die("table", "out of memory");
	for (size_t i = 0; i < t->n; i++)
		if (table_sampleable(family, &t->p[i]))
			ok[nok++] = i;
	if (!nok)
		bench_die("table", "no usable prefix to sample from");
	for (size_t i = 0; i < TABLE_SAMPLE; i++) {
		const struct tpfx *x = &t->p[ok[bench_rnd() % nok]];
		const uint8_t *pa = family == AF_INET ? (const uint8_t *)&x->a.v4
						      : x->a.v6;
		uint8_t *a = family == AF_INET ? (uint8_t *)&d[i].v4 : d[i].v6;

		for (unsigned b = 0; b < bytes; b++) {
			unsigned keep = x->len >= 8 * b + 8 ? 8 :
					x->len > 8 * b ? x->len - 8 * b : 0;
			uint8_t m = (uint8_t)(0xff00u >> keep);

			a[b] = (uint8_t)((pa[b] & m) | ((uint8_t)bench_rnd() & ~m));
		}
	}
	free(ok);
	return d;
}

/* The ~10 routes: 8 routes of 1/8 of the unicast space (v4: the /3s; v6:
 * the /6s of 2000::/3), one per gateway, next to the connected ones. */
static void table_small_routes(int family)
{
	for (unsigned i = 0; i < TABLE_GWS; i++) {
		struct tpfx x;

		memset(&x, 0, sizeof(x));
		if (family == AF_INET) {
			x.a.v4 = htonl((uint32_t)i << 29);
			x.len = 3;
		} else {
			x.a.v6[0] = (uint8_t)(0x20 | (i << 2));
			x.len = 6;
		}
		if (table_route(family, &x, i, FIB_F_EXCL) < 0)
			bench_die("table", "cannot add the small routes");
	}
}

/* Resident memory of the process, bytes (0 when unknown). */
static size_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long pages = 0, res = 0;

	if (f) {
		if (fscanf(f, "%lu %lu", &pages, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

/* Load the whole table into main as `route load` does: one FIB batch.
 * Prefixes already there (duplicates) are counted, not fatal. */
static void table_load(int family, const struct table_set *t)
{
	char err[BENCH_ERR];
	size_t dup = 0, rss0 = rss_bytes();
	uint64_t t0 = time_ns();

	if (fib_batch_begin(err) < 0)
		bench_die("fib_batch_begin", err);
	for (size_t i = 0; i < t->n; i++) {
		int rc = table_route(family, &t->p[i], table_gw_of(&t->p[i]),
				     FIB_F_EXCL);

		if (rc == -EEXIST)
			dup++;
		else if (rc < 0)
			bench_die("table", "fib_route_add failed");
	}
	fib_batch_commit();
	printf("  loaded %zu %s routes into main in %.2f s (one FIB batch, as "
	       "`route load`; %zu duplicates skipped); RSS +%.0f MiB (%.0f "
	       "B/route); %zu forwarding objects\n", t->n - dup,
	       family == AF_INET ? "IPv4" : "IPv6",
	       (double)(time_ns() - t0) / 1e9, dup,
	       (double)(rss_bytes() - rss0) / 1048576.0,
	       (double)(rss_bytes() - rss0) / (double)(t->n - dup),
	       fib_fwd_count());
}

/* A generator port with the small routes and the gateways' neighbors. */
static void table_setup(struct scenario *sc, const char *gen_name)
{
	char gw[INET6_ADDRSTRLEN];

	bench_cmd("link add %s type gen %s", gen_name, sc->gen_args);
	bench_cmd("link set %s up", gen_name);
	bench_cmd("addr add %s dev %s", sc->port_addr, gen_name);
	sc->gen = bench_dev(gen_name);
	sc->sink = sink;
	for (unsigned i = 0; i < TABLE_GWS; i++) {
		union pkt_addr a = table_gw(sc->family, i);

		inet_ntop(sc->family, &a, gw, sizeof(gw));
		bench_cmd("neigh add %s lladdr " NH_MAC " dev n0", gw);
	}
	table_small_routes(sc->family);
}

static struct scenario table_scen[] = {
	{ "ipv4 10rt", AF_INET,
	  "src 10.3.0.2 dst 198.18.0.2 size 64 flows 256", "10.3.0.1/24",
	  NULL, NULL, NULL, 0, NULL, NULL, NULL, 0, 0 },
	{ "ipv6 10rt", AF_INET6,
	  "src 2001:db8:3::2 dst 2001:db8:ff::2 size 64 flows 256",
	  "2001:db8:3::1/64", NULL, NULL, NULL, 0, NULL, NULL, NULL, 0, 0 },
};

/* One family: the traffic with ~10 routes, then with the full table; rows
 * for each burst and the ratio. false when a row failed. */
static bool table_family(struct scenario *sc, const struct table_set *t,
			 const struct bench_opts *o)
{
	struct row small[BENCH_MAX_BURSTS], full[BENCH_MAX_BURSTS];
	struct figure alloc[BENCH_MAX_BURSTS];
	uint64_t n;
	bool ok = true;
	const char *fam = sc->family == AF_INET ? "ipv4" : "ipv6";
	static char name[2][16];

	snprintf(name[0], sizeof(name[0]), "%s full", fam);
	snprintf(name[1], sizeof(name[1]), "%s 10rt", fam);
	sc->dst = table_sample(sc->family, t);
	sc->ndst = TABLE_SAMPLE;
	for (unsigned k = 0; k < o->ntbursts; k++) {
		alloc[k] = measure(sc, MODE_ALLOC, o->tbursts[k], o, &n);
		sc->name = name[1];
		small[k] = bench_row(sc, o->tbursts[k], o, &alloc[k]);
		print_row(sc, o->tbursts[k], &small[k]);
		fflush(stdout);
		ok &= small[k].ok;
	}
	rcu_thread_offline();
	table_load(sc->family, t);
	rcu_thread_online();
	sc->name = name[0];
	for (unsigned k = 0; k < o->ntbursts; k++) {
		full[k] = bench_row(sc, o->tbursts[k], o, &alloc[k]);
		print_row(sc, o->tbursts[k], &full[k]);
		fflush(stdout);
		ok &= full[k].ok;
	}
	for (unsigned k = 0; k < o->ntbursts; k++)
		printf("  %s burst %u: full table / 10 routes: total %.1f / %.1f "
		       "cyc/pkt = %.2fx (%.2f vs %.2f Mpps); fwd %.1f / %.1f "
		       "cyc/pkt = %.2fx\n", fam, o->tbursts[k],
		       full[k].fwd.cyc_pp, small[k].fwd.cyc_pp,
		       full[k].fwd.cyc_pp / small[k].fwd.cyc_pp,
		       full[k].fwd.mpps, small[k].fwd.mpps,
		       full[k].fwd.cyc_pp - full[k].alloc.cyc_pp,
		       small[k].fwd.cyc_pp - small[k].alloc.cyc_pp,
		       (full[k].fwd.cyc_pp - full[k].alloc.cyc_pp) /
		       (small[k].fwd.cyc_pp - small[k].alloc.cyc_pp));
	free((void *)sc->dst);
	sc->dst = NULL;
	return ok;
}

/* The full-table rows of both families; true when skipped or all good. */
static bool table_rows(const struct bench_opts *o)
{
	struct table_set t4 = { 0 }, t6 = { 0 };
	bool ok = true;

	if (!o->prefixes || !o->ntbursts)
		return true;
	if (!table_read(o->prefixes, &t4, &t6)) {
		printf("\nfull-table rows skipped: cannot read %s (--prefixes)\n",
		       o->prefixes);
		free(t4.p);
		free(t6.p);
		return true;
	}
	printf("\nfull table (%s: %zu IPv4, %zu IPv6 prefixes) vs ~10 routes, "
	       "same traffic: %u destinations sampled from the table\n",
	       o->prefixes, t4.n, t6.n, TABLE_SAMPLE);
	rcu_thread_offline();
	table_setup(&table_scen[0], "g8");
	table_setup(&table_scen[1], "g9");
	worker_tx_flush(worker_ctl());
	rcu_thread_online();
	ok &= table_family(&table_scen[0], &t4, o);
	ok &= table_family(&table_scen[1], &t6, o);
	free(t4.p);
	free(t6.p);
	return ok;
}

/* User-space instructions retired by this thread (a hardware counter
 * through perf_event_open); -1 when the machine does not offer it. */
static int insn_counter_open(void)
{
	struct perf_event_attr pa;

	memset(&pa, 0, sizeof(pa));
	pa.size = sizeof(pa);
	pa.type = PERF_TYPE_HARDWARE;
	pa.config = PERF_COUNT_HW_INSTRUCTIONS;
	pa.exclude_kernel = 1;
	pa.exclude_hv = 1;
	return (int)syscall(SYS_perf_event_open, &pa, 0, -1, -1, 0);
}

static uint64_t insn_read(int fd)
{
	uint64_t v = 0;

	if (fd < 0 || read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return 0;
	return v;
}

/* One forwarding run of sc: ns and instructions per packet. */
static void vrf_cost_run(struct scenario *sc, unsigned burst, double seconds,
			 int fd, double *ns, double *insn)
{
	uint64_t i0 = insn_read(fd);
	struct sample x = run_once(sc, MODE_FWD, burst, seconds);

	*ns = (double)x.ns / (double)x.pkts;
	*insn = (double)(insn_read(fd) - i0) / (double)x.pkts;
}

/* The VRF's cost, measured as trustworthily as this machine allows: runs
 * of "ipv4 64B" and "ipv4 vrf" (the same traffic, ports in the main table
 * or in a VRF) alternate in pairs, each order half the time, so that
 * drift in machine load hits both alike; the time cost is the median of
 * the pairs' ns/packet ratios, with their inter-quartile range as the
 * noise. Instructions per packet (user space, a hardware counter) do not
 * depend on the machine's load: their ratio is the extra work itself. */
static bool vrf_cost_rows(const struct bench_opts *o)
{
	struct scenario *plain = &scenarios[0], *vrf = &scenarios[2];
	double cell = o->seconds / 2, r[VRF_PAIRS_MAX];
	double ip[VRF_PAIRS_MAX], iv[VRF_PAIRS_MAX];
	uint64_t live = pkt_pool_outstanding();
	int fd;

	if (!o->vrf_pairs)
		return true;
	fd = insn_counter_open();
	printf("\nVRF cost: %u alternating pairs of %.2f s runs per burst, total per packet%s\n",
	       o->vrf_pairs, cell, fd < 0 ? " (no instruction counter here)" : "");
	for (unsigned k = 0; k < o->nbursts; k++) {
		unsigned b = o->bursts[k];

		run_once(plain, MODE_FWD, b, cell);   /* warm-up */
		run_once(vrf, MODE_FWD, b, cell);
		for (unsigned i = 0; i < o->vrf_pairs; i++) {
			double np, nv;

			if (i % 2) {
				vrf_cost_run(vrf, b, cell, fd, &nv, &iv[i]);
				vrf_cost_run(plain, b, cell, fd, &np, &ip[i]);
			} else {
				vrf_cost_run(plain, b, cell, fd, &np, &ip[i]);
				vrf_cost_run(vrf, b, cell, fd, &nv, &iv[i]);
			}
			r[i] = nv / np;
		}
		bench_median(r, o->vrf_pairs);
		printf("  burst %3u: time %+.2f%% (median pair ratio %.4f, IQR %.4f..%.4f)",
		       b, (r[o->vrf_pairs / 2] - 1) * 100, r[o->vrf_pairs / 2],
		       r[o->vrf_pairs / 4], r[(3 * o->vrf_pairs) / 4]);
		if (fd >= 0) {
			double mp = bench_median(ip, o->vrf_pairs);
			double mv = bench_median(iv, o->vrf_pairs);

			printf("; instructions %.1f vs %.1f = %+.2f%%", mv, mp,
			       (mv / mp - 1) * 100);
		}
		printf("\n");
		fflush(stdout);
	}
	if (fd >= 0)
		close(fd);
	return check_leak("VRF cost runs", live);
}

static void print_yardstick(double best_cyc, double best_mpps, double tpn)
{
	printf("\nyardstick: ~%.0f cycles/packet for a full IPv4 forwarding path in the best\n"
	       "userspace routers (~%.0f Mpps at 2.4 GHz). usnet best IPv4 total: %.0f cycles/packet\n"
	       "(%.2fx the yardstick), %.2f Mpps at %.2f GHz TSC.\n",
	       YARDSTICK_CYCLES, YARDSTICK_MPPS, best_cyc,
	       best_cyc / YARDSTICK_CYCLES, best_mpps, tpn);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fwd_bench [--seconds S] [--runs N] [--bursts 1,32,256]\n"
		"                 [--table-bursts 32] [--prefixes FILE] [--no-table]\n"
		"                 [--table-only] [--vrf-pairs N]\n"
		"  --seconds S   duration of one run (default 2)\n"
		"  --runs N      runs per figure, median reported (default 5, max %d)\n"
		"  --bursts L    comma-separated burst sizes 1..%u\n"
		"  --table-bursts L  burst sizes of the full-table rows (default 32)\n"
		"  --prefixes F  the full table (default %s)\n"
		"  --no-table    no full-table rows\n"
		"  --table-only  only the full-table rows\n"
		"  --vrf-pairs N plain/VRF run pairs per burst for the VRF cost\n"
		"                (default 11, 0 = none, max %u)\n",
		BENCH_MAX_RUNS, PKT_MAX_BURST, TABLE_FILE, VRF_PAIRS_MAX);
}

static int parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "bursts", required_argument, NULL, 'b' },
		{ "table-bursts", required_argument, NULL, 't' },
		{ "prefixes", required_argument, NULL, 'p' },
		{ "no-table", no_argument, NULL, 'n' },
		{ "table-only", no_argument, NULL, 'T' },
		{ "vrf-pairs", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct bench_opts){ .seconds = 2.0, .runs = 5, .nbursts = 3,
				  .bursts = { 1, 32, 256 }, .prefixes = TABLE_FILE,
				  .ntbursts = 1, .tbursts = { 32 }, .vrf_pairs = 11 };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->seconds = strtod(optarg, NULL);
			if (o->seconds <= 0 || o->seconds > 600) {
				fprintf(stderr, "fwd_bench: --seconds: expected 0..600, got '%s'\n", optarg);
				return -1;
			}
			break;
		case 'r':
			o->runs = (unsigned)strtoul(optarg, NULL, 10);
			if (o->runs < 1 || o->runs > BENCH_MAX_RUNS) {
				fprintf(stderr, "fwd_bench: --runs: expected 1..%d, got '%s'\n",
					BENCH_MAX_RUNS, optarg);
				return -1;
			}
			break;
		case 'b':
			if (bench_parse_bursts(optarg, o->bursts, &o->nbursts) < 0) {
				fprintf(stderr, "fwd_bench: --bursts: expected a list of 1..%u, got '%s'\n",
					PKT_MAX_BURST, optarg);
				return -1;
			}
			break;
		case 't':
			if (bench_parse_bursts(optarg, o->tbursts, &o->ntbursts) < 0) {
				fprintf(stderr, "fwd_bench: --table-bursts: expected a list of 1..%u, got '%s'\n",
					PKT_MAX_BURST, optarg);
				return -1;
			}
			break;
		case 'p':
			o->prefixes = optarg;
			break;
		case 'n':
			o->prefixes = NULL;
			break;
		case 'T':
			o->table_only = true;
			break;
		case 'v':
			o->vrf_pairs = (unsigned)strtoul(optarg, NULL, 10);
			if (o->vrf_pairs > VRF_PAIRS_MAX) {
				fprintf(stderr, "fwd_bench: --vrf-pairs: expected 0..%u, got '%s'\n",
					VRF_PAIRS_MAX, optarg);
				return -1;
			}
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	double tpn, best_cyc = 0, best_mpps = 0;
	struct bench_opts o;
	uint64_t left;
	bool ok = true;

	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	setup();
	tpn = bench_tsc_per_ns();
	print_header(&o, tpn);
	for (size_t i = 0; i < ARRAY_SIZE(scenarios) && !o.table_only; i++) {
		for (unsigned k = 0; k < o.nbursts; k++) {
			struct row r = bench_row(&scenarios[i], o.bursts[k], &o,
						 NULL);
			print_row(&scenarios[i], o.bursts[k], &r);
			fflush(stdout);
			ok &= r.ok;
			if (scenarios[i].family == AF_INET &&
			    (best_cyc == 0 || r.fwd.cyc_pp < best_cyc)) {
				best_cyc = r.fwd.cyc_pp;
				best_mpps = r.fwd.mpps;
			}
		}
	}
	if (!o.table_only) {
		print_yardstick(best_cyc, best_mpps, tpn);
		ok &= vrf_cost_rows(&o);
	}
	ok &= table_rows(&o);
	left = bench_teardown(&wk);
	if (left) {
		printf("LEAK: %llu packets still allocated at exit\n",
		       (unsigned long long)left);
		ok = false;
	}
	printf("%s\n", ok ? "fwd_bench: all generated packets arrived, no leaks"
			  : "fwd_bench: FAILED (see above)");
	return ok ? 0 : 1;
}
