/* FIB lookup benchmark: usnet's LPM structures (lpm4, lpm6) and its FIB
 * lookup against DPDK's rte_fib (dir24_8) and rte_lpm for IPv4 and
 * rte_fib6 (trie) and rte_lpm6 for IPv6, on the real Internet table and
 * the same address samples: cycles and lookups/s (single and batched),
 * memory, insert/delete rates and full-table load time, side by side with
 * ratios. Built and run by bench/fib_bench.sh, the only place DPDK is
 * linked.
 *
 * Method. Every structure gets the same prefixes. usnet's LPM maps each
 * prefix to its own id (what the FIB stores: a route-list id); DPDK maps
 * it to one of 8 next hops chosen by a hash of the prefix (what a DPDK
 * application stores; 4-byte next hops). Before timing, every sample
 * address is looked up in every structure and the next hops must agree
 * (usnet's id mapped to its prefix's next hop, and the full FIB lookup's
 * device); any difference fails the run. Samples: "in-table" = a random
 * prefix of the table with random host bits, "random" = uniform over the
 * IPv4 space / over 2000::/3. Lookup timings are interleaved (one run of
 * each structure, then the next run) so machine noise hits all alike, and
 * the median of --runs runs is printed. "single" is one call per address
 * (DPDK's rte_fib/rte_fib6 have no single lookup: bulk of 1); "batch" is
 * 64 addresses per call. Cycles are TSC ticks (on this class of machine a
 * fixed 2.25 GHz reference, not core cycles).
 *
 * Memory: usnet = the DIR-24 array's 2 MiB pages actually written + nodes
 * + the exact-prefix hash (control plane); DPDK = growth of its malloc
 * heap over create + load (tables are preallocated: tbl24, tbl8 pool, RIB
 * or rules). With --huge DPDK's memory is 2 MiB hugetlbfs pages
 * (--in-memory; fib_bench.sh reserves them when it runs as root), as in
 * production, and both sides then read their tables through 2 MiB pages
 * (usnet's are transparent huge pages); without it DPDK runs with
 * --no-huge on 4 KiB pages, which costs it TLB misses. Churn: delete then
 * re-add --churn random prefixes of the full table; a DPDK table whose tbl8 pool runs out is reloaded with twice the
 * groups (the smallest power of two that loads the table is tried first).
 * rte_lpm's add scans all rules of the same length, so its full load takes
 * minutes; --no-rte-lpm skips it. First, a "memory floor" line: the cost
 * of one random load over arrays of 4..64 MiB, which bounds every
 * structure that touches a line of that much memory per lookup. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <x86intrin.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_fib.h>
#include <rte_fib6.h>
#include <rte_lpm.h>
#include <rte_lpm6.h>
#include <rte_malloc.h>
#include <rte_version.h>

#include <urcu-qsbr.h>

#include "fib/fib.h"
#include "fib/fib_batch.h"
#include "fib/lpm4.h"
#include "fib/lpm6.h"
#include "prefix_file.h"

#define NH_COUNT 8u
#define MAX_RUNS 64
#define BATCH 64u

struct pfx {
	uint8_t a[16];
	uint8_t len;
	uint8_t nh;       /* 1..NH_COUNT */
};

static struct {
	const char *file;
	unsigned runs;
	size_t n;          /* sample addresses */
	size_t churn;      /* prefixes deleted and re-added */
	bool rte_lpm;      /* include rte_lpm (its load is quadratic) */
	bool fib;          /* include the FIB (route add) rows */
	bool huge;         /* DPDK on hugetlbfs pages (else --no-huge) */
} opt = {
	.file = "../shared/data/prefixes.txt.gz",
	.runs = 7,
	.n = 1u << 20,
	.churn = 50000,
	.rte_lpm = true,
	.fib = true,
};

static double tsc_hz;
static int failed;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fib_bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void measure_tsc(void)
{
	double t0 = now_s(), t1;
	uint64_t c0 = __rdtsc(), c1;

	do
		t1 = now_s();
	while (t1 - t0 < 0.2);
	c1 = __rdtsc();
	tsc_hz = (double)(c1 - c0) / (t1 - t0);
}


static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static size_t heap_bytes(void)
{
	struct rte_malloc_socket_stats st;

	memset(&st, 0, sizeof(st));
	rte_malloc_get_socket_stats(0, &st);
	return st.heap_allocsz_bytes;
}

static size_t rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long pages = 0, rss = 0;

	if (f) {
		if (fscanf(f, "%lu %lu", &pages, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * 4096;
}

/* ---- the table ---- */

static uint8_t nh_of(const uint8_t *a, unsigned len)
{
	uint64_t h = len;

	for (unsigned i = 0; i < 16; i++)
		h = (h ^ a[i]) * 0x100000001b3ull;
	return (uint8_t)(1 + (h >> 32) % NH_COUNT);
}

struct pfx_sets {
	struct pfx *p4, *p6;
	size_t n4, n6, cap4, cap6;
};

static void pfx_add(int family, const uint8_t a[16], unsigned len, void *arg)
{
	struct pfx_sets *ps = arg;
	struct pfx x;

	memset(&x, 0, sizeof(x));
	memcpy(x.a, a, 16);
	x.len = (uint8_t)len;
	x.nh = nh_of(x.a, x.len);
	if (family == AF_INET6 && ps->n6 < ps->cap6)
		ps->p6[ps->n6++] = x;
	else if (family == AF_INET && ps->n4 < ps->cap4)
		ps->p4[ps->n4++] = x;
}

static void load_file(struct pfx **p4, size_t *n4, struct pfx **p6,
		      size_t *n6)
{
	struct pfx_sets ps = { .cap4 = 1 << 20, .cap6 = 1 << 18 };

	ps.p4 = malloc(ps.cap4 * sizeof(*ps.p4));
	ps.p6 = malloc(ps.cap6 * sizeof(*ps.p6));
	if (!ps.p4 || !ps.p6)
		die("out of memory");
	if (!bench_prefix_file_read(opt.file, pfx_add, &ps) || !ps.n4 || !ps.n6)
		die("%s: reading failed or no prefixes", opt.file);
	*p4 = ps.p4;
	*p6 = ps.p6;
	*n4 = ps.n4;
	*n6 = ps.n6;
}

/* An address inside prefix x (random host bits). */
static void addr_in(const struct pfx *x, unsigned bytes, uint8_t *a)
{
	for (unsigned b = 0; b < bytes; b++) {
		unsigned keep = x->len >= 8 * b + 8 ? 8 :
				x->len > 8 * b ? x->len - 8 * b : 0;
		uint8_t m = (uint8_t)(0xff00u >> keep);

		a[b] = (uint8_t)((x->a[b] & m) | ((uint8_t)bench_rnd() & ~m));
	}
}

/* ---- result table ---- */

struct row {
	const char *what;
	double v[6];        /* per column; < 0 = n/a */
};

static void print_ratio(double ours, double theirs, bool lower_better)
{
	if (ours <= 0 || theirs <= 0)
		printf(" %9s", "-");
	else
		printf(" %8.2fx", lower_better ? theirs / ours : ours / theirs);
}

/* usnet's memory figure: everything the table holds. */
static size_t usnet_bytes(const struct lpm_stats *st)
{
	return st->dir_bytes + st->node_bytes + st->rules_bytes +
	       st->cache_bytes;
}

/* What usnet's memory figure is made of. */
static void usnet_note(char *buf, size_t size, const struct lpm_stats *st)
{
	int n = snprintf(buf, size, "DIR-24 pages written %.0f MiB + nodes "
			 "%.1f MiB; exact-prefix hash %.1f MiB",
			 (double)st->dir_bytes / 1048576.0,
			 (double)st->node_bytes / 1048576.0,
			 (double)st->rules_bytes / 1048576.0);

	if (st->cache_bytes && n > 0 && (size_t)n < size)
		snprintf(buf + n, size - (size_t)n, "; /48 cache %.1f MiB "
			 "(%zu /48s)", (double)st->cache_bytes / 1048576.0,
			 st->cached);
}

/* ---- IPv4 ---- */

struct v4set {
	struct pfx *p;
	size_t n;
	struct lpm4 *us;
	struct rte_fib *fib;
	struct rte_lpm *lpm;
	uint32_t *addr_be[2], *addr_h[2];   /* [0] in-table, [1] random */
};

static double lpm4_load(struct v4set *s)
{
	double t0 = now_s();

	s->us = lpm4_new();
	if (!s->us)
		die("lpm4_new failed");
	for (size_t i = 0; i < s->n; i++) {
		uint32_t a;

		memcpy(&a, s->p[i].a, 4);
		if (lpm4_add(s->us, a, s->p[i].len, (uint32_t)(i + 1)) != 0)
			die("lpm4_add failed at prefix %zu", i);
	}
	return now_s() - t0;
}

static double fib4_load(struct v4set *s, size_t *mem, unsigned *tbl8)
{
	struct rte_fib_conf c;
	size_t h0 = heap_bytes(), i;
	double t0 = 0;

	for (*tbl8 = *tbl8 ? *tbl8 : 1u << 11;; *tbl8 *= 2) {
		memset(&c, 0, sizeof(c));
		c.type = RTE_FIB_DIR24_8;
		c.default_nh = 0;
		c.max_routes = (int)(s->n + s->n / 8);
		c.dir24_8.nh_sz = RTE_FIB_DIR24_8_4B;
		c.dir24_8.num_tbl8 = *tbl8;
		s->fib = rte_fib_create("bench_fib4", 0, &c);
		if (!s->fib)
			die("rte_fib_create: %s", rte_strerror(rte_errno));
		t0 = now_s();
		for (i = 0; i < s->n; i++) {
			uint32_t a;

			memcpy(&a, s->p[i].a, 4);
			if (rte_fib_add(s->fib, ntohl(a), s->p[i].len,
					s->p[i].nh) != 0)
				break;
		}
		if (i == s->n)
			break;
		rte_fib_free(s->fib);
		if (*tbl8 >= 1u << 22)
			die("rte_fib_add keeps failing at prefix %zu", i);
	}
	*mem = heap_bytes() - h0;
	return now_s() - t0;
}

static double lpm4_dpdk_load(struct v4set *s, size_t *mem, unsigned *tbl8)
{
	struct rte_lpm_config c;
	size_t h0 = heap_bytes(), i;
	double t0 = 0;

	for (*tbl8 = *tbl8 ? *tbl8 : 1u << 12;; *tbl8 *= 2) {
		memset(&c, 0, sizeof(c));
		c.max_rules = (uint32_t)(s->n + s->n / 8);
		c.number_tbl8s = *tbl8;
		s->lpm = rte_lpm_create("bench_lpm4", 0, &c);
		if (!s->lpm)
			die("rte_lpm_create: %s", rte_strerror(rte_errno));
		t0 = now_s();
		for (i = 0; i < s->n; i++) {
			uint32_t a;

			memcpy(&a, s->p[i].a, 4);
			if (rte_lpm_add(s->lpm, ntohl(a), s->p[i].len,
					s->p[i].nh) != 0)
				break;
		}
		if (i == s->n)
			break;
		rte_lpm_free(s->lpm);
		if (*tbl8 >= 1u << 22)
			die("rte_lpm_add keeps failing at prefix %zu", i);
	}
	*mem = heap_bytes() - h0;
	return now_s() - t0;
}

static double fib_load(int family, const struct pfx *p, size_t n)
{
	struct fib_route r;
	char err[256];
	double t0 = now_s();

	for (size_t i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		r.family = (uint8_t)family;
		memcpy(&r.prefix, p[i].a, family == AF_INET ? 4 : 16);
		r.plen = p[i].len;
		r.type = FIB_UNICAST;
		r.proto = FIB_PROTO_STATIC;
		r.table = FIB_TABLE_MAIN;
		r.nnh = 1;
		r.nh[0].ifindex = p[i].nh;
		r.nh[0].weight = 1;
		if (fib_route_add(&r, FIB_F_EXCL, err) != 0)
			die("fib_route_add of prefix %zu: %s", i, err);
	}
	return now_s() - t0;
}

/* ---- timed lookup loops: cycles per lookup over the sample ---- */

static volatile uint64_t sink;

static double t_us4_single(const struct v4set *s, unsigned k)
{
	const uint32_t *a = s->addr_be[k];
	uint64_t c0 = __rdtsc(), acc = 0;

	for (size_t i = 0; i < opt.n; i++)
		acc += lpm4_lookup(s->us, a[i]);
	sink = acc;
	return (double)(__rdtsc() - c0) / (double)opt.n;
}

static double t_us4_batch(const struct v4set *s, unsigned k)
{
	const uint32_t *a = s->addr_be[k];
	uint32_t v[BATCH];
	uint64_t c0 = __rdtsc(), acc = 0;

	for (size_t i = 0; i + BATCH <= opt.n; i += BATCH) {
		lpm4_lookup_batch(s->us, a + i, sizeof(*a), BATCH, v);
		acc += v[0] + v[BATCH - 1];
	}
	sink = acc;
	return (double)(__rdtsc() - c0) / (double)opt.n;
}

static double t_fib4_single(const struct v4set *s, unsigned k)
{
	uint32_t *a = s->addr_h[k];
	uint64_t c0 = __rdtsc(), acc = 0, nh;

	for (size_t i = 0; i < opt.n; i++) {
		rte_fib_lookup_bulk(s->fib, &a[i], &nh, 1);
		acc += nh;
	}
	sink = acc;
	return (double)(__rdtsc() - c0) / (double)opt.n;
}

static double t_fib4_batch(const struct v4set *s, unsigned k)
{
	uint32_t *a = s->addr_h[k];
	uint64_t nh[BATCH], c0 = __rdtsc(), acc = 0;

	for (size_t i = 0; i + BATCH <= opt.n; i += BATCH) {
		rte_fib_lookup_bulk(s->fib, a + i, nh, BATCH);
		acc += nh[0] + nh[BATCH - 1];
	}
	sink = acc;
	return (double)(__rdtsc() - c0) / (double)opt.n;
}

static double t_lpm4_single(const struct v4set *s, unsigned k)
{
	const uint32_t *a = s->addr_h[k];
	uint32_t nh = 0;
	uint64_t c0 = __rdtsc(), acc = 0;

	for (size_t i = 0; i < opt.n; i++) {
		rte_lpm_lookup(s->lpm, a[i], &nh);
		acc += nh;
	}
	sink = acc;
	return (double)(__rdtsc() - c0) / (double)opt.n;
}

static double t_lpm4_batch(const struct v4set *s, unsigned k)
{
	const uint32_t *a = s->addr_h[k];
	uint32_t nh[BATCH];
	uint64_t c0 = __rdtsc(), acc = 0;

	for (size_t i = 0; i + BATCH <= opt.n; i += BATCH) {
		rte_lpm_lookup_bulk(s->lpm, a + i, nh, BATCH);
		acc += nh[0] + nh[BATCH - 1];
	}
	sink = acc;
	return (double)(__rdtsc() - c0) / (double)opt.n;
}

/* The whole FIB lookup (table, LPM, id -> route list, ECMP choice). */
static union pkt_addr *fib_dst[2][2];   /* [family v4/v6][sample] */

static double t_fibtab_single(unsigned fam, unsigned k)
{
	const union pkt_addr *d = fib_dst[fam][k];
	struct fib_result res;
	uint64_t c0 = __rdtsc(), acc = 0;
	int family = fam ? AF_INET6 : AF_INET;

	for (size_t i = 0; i < opt.n; i++)
		if (fib_table_lookup(FIB_TABLE_MAIN, family, &d[i],
				     (uint32_t)i, &res))
			acc += res.nh->ifindex;
	sink = acc;
	return (double)(__rdtsc() - c0) / (double)opt.n;
}

static double t_fibtab_batch(unsigned fam, unsigned k)
{
	const union pkt_addr *d = fib_dst[fam][k];
	struct fib_result res[BATCH];
	bool found[BATCH];
	uint32_t hash[BATCH];
	uint64_t c0 = __rdtsc(), acc = 0;
	int family = fam ? AF_INET6 : AF_INET;

	for (unsigned j = 0; j < BATCH; j++)
		hash[j] = j * 0x9e3779b9u;
	for (size_t i = 0; i + BATCH <= opt.n; i += BATCH) {
		fib_table_lookup_batch(FIB_TABLE_MAIN, family, d + i, hash,
				       BATCH, res, found);
		acc += found[0] ? res[0].nh->ifindex : 0;
	}
	sink = acc;
	return (double)(__rdtsc() - c0) / (double)opt.n;
}

/* ---- IPv6 ---- */

struct v6set {
	struct pfx *p;
	size_t n;
	struct lpm6 *us;
	struct rte_fib6 *fib;
	struct rte_lpm6 *lpm;
	uint8_t (*addr[2])[16];
};

static double lpm6_load(struct v6set *s)
{
	double t0 = now_s();

	s->us = lpm6_new();
	if (!s->us)
		die("lpm6_new failed");
	for (size_t i = 0; i < s->n; i++)
		if (lpm6_add(s->us, s->p[i].a, s->p[i].len,
			     (uint32_t)(i + 1)) != 0)
			die("lpm6_add failed at prefix %zu", i);
	return now_s() - t0;
}

static double fib6_load(struct v6set *s, size_t *mem, unsigned *tbl8)
{
	struct rte_fib6_conf c;
	size_t h0 = heap_bytes(), i;
	double t0 = 0;

	for (*tbl8 = *tbl8 ? *tbl8 : 1u << 15;; *tbl8 *= 2) {
		memset(&c, 0, sizeof(c));
		c.type = RTE_FIB6_TRIE;
		c.default_nh = 0;
		c.max_routes = (int)(s->n + s->n / 8);
		c.trie.nh_sz = RTE_FIB6_TRIE_4B;
		c.trie.num_tbl8 = *tbl8;
		s->fib = rte_fib6_create("bench_fib6", 0, &c);
		if (!s->fib)
			die("rte_fib6_create: %s", rte_strerror(rte_errno));
		t0 = now_s();
		for (i = 0; i < s->n; i++)
			if (rte_fib6_add(s->fib, s->p[i].a, s->p[i].len,
					 s->p[i].nh) != 0)
				break;
		if (i == s->n)
			break;
		rte_fib6_free(s->fib);
		if (*tbl8 >= 1u << 22)
			die("rte_fib6_add keeps failing at prefix %zu", i);
	}
	*mem = heap_bytes() - h0;
	return now_s() - t0;
}

static double lpm6_dpdk_load(struct v6set *s, size_t *mem, unsigned *tbl8)
{
	struct rte_lpm6_config c;
	size_t h0 = heap_bytes(), i;
	double t0 = 0;

	for (*tbl8 = *tbl8 ? *tbl8 : 1u << 15;; *tbl8 *= 2) {
		memset(&c, 0, sizeof(c));
		c.max_rules = (uint32_t)(s->n + s->n / 8);
		c.number_tbl8s = *tbl8;
		s->lpm = rte_lpm6_create("bench_lpm6", 0, &c);
		if (!s->lpm)
			die("rte_lpm6_create: %s", rte_strerror(rte_errno));
		t0 = now_s();
		for (i = 0; i < s->n; i++)
			if (rte_lpm6_add(s->lpm, s->p[i].a, s->p[i].len,
					 s->p[i].nh) != 0)
				break;
		if (i == s->n)
			break;
		rte_lpm6_free(s->lpm);
		if (*tbl8 >= 1u << 22)
			die("rte_lpm6_add keeps failing at prefix %zu", i);
	}
	*mem = heap_bytes() - h0;
	return now_s() - t0;
}

static double t_us6_single(const struct v6set *s, unsigned k)
{
	uint8_t (*a)[16] = s->addr[k];
	uint64_t c0 = __rdtsc(), acc = 0;

	for (size_t i = 0; i < opt.n; i++)
		acc += lpm6_lookup(s->us, a[i]);
	sink = acc;
	return (double)(__rdtsc() - c0) / (double)opt.n;
}

static double t_us6_batch(const struct v6set *s, unsigned k)
{
	uint8_t (*a)[16] = s->addr[k];
	uint32_t v[BATCH];
	uint64_t c0 = __rdtsc(), acc = 0;

	for (size_t i = 0; i + BATCH <= opt.n; i += BATCH) {
		lpm6_lookup_batch(s->us, a + i, 16, BATCH, v);
		acc += v[0] + v[BATCH - 1];
	}
	sink = acc;
	return (double)(__rdtsc() - c0) / (double)opt.n;
}

static double t_fib6_single(const struct v6set *s, unsigned k)
{
	uint8_t (*a)[16] = s->addr[k];
	uint64_t c0 = __rdtsc(), acc = 0, nh;

	for (size_t i = 0; i < opt.n; i++) {
		rte_fib6_lookup_bulk(s->fib, &a[i], &nh, 1);
		acc += nh;
	}
	sink = acc;
	return (double)(__rdtsc() - c0) / (double)opt.n;
}

static double t_fib6_batch(const struct v6set *s, unsigned k)
{
	uint8_t (*a)[16] = s->addr[k];
	uint64_t nh[BATCH], c0 = __rdtsc(), acc = 0;

	for (size_t i = 0; i + BATCH <= opt.n; i += BATCH) {
		rte_fib6_lookup_bulk(s->fib, a + i, nh, BATCH);
		acc += nh[0] + nh[BATCH - 1];
	}
	sink = acc;
	return (double)(__rdtsc() - c0) / (double)opt.n;
}

static double t_lpm6_single(const struct v6set *s, unsigned k)
{
	uint8_t (*a)[16] = s->addr[k];
	uint32_t nh = 0;
	uint64_t c0 = __rdtsc(), acc = 0;

	for (size_t i = 0; i < opt.n; i++) {
		rte_lpm6_lookup(s->lpm, a[i], &nh);
		acc += nh;
	}
	sink = acc;
	return (double)(__rdtsc() - c0) / (double)opt.n;
}

static double t_lpm6_batch(const struct v6set *s, unsigned k)
{
	uint8_t (*a)[16] = s->addr[k];
	int32_t nh[BATCH];
	uint64_t c0 = __rdtsc(), acc = 0;

	for (size_t i = 0; i + BATCH <= opt.n; i += BATCH) {
		rte_lpm6_lookup_bulk_func(s->lpm, a + i, nh, BATCH);
		acc += (uint64_t)(nh[0] + nh[BATCH - 1]);
	}
	sink = acc;
	return (double)(__rdtsc() - c0) / (double)opt.n;
}

/* ---- measuring and printing ---- */

enum { S_US1, S_USB, S_FIB1, S_FIBB, S_LPM1, S_LPMB, S_TAB1, S_TABB, S_N };

/* The usnet row a DPDK row d is compared with: single with single, batch
 * with bulk. */
static unsigned us_row(unsigned d)
{
	return d % 2 == 0 ? S_US1 : S_USB;
}

/* Per-run speed-ups, taken before median() sorts the runs: run r of
 * every structure ran back to back, so the ratio of run r is measured
 * under one machine state. ratio[d][k] = {median, min, max} of DPDK
 * structure d's cycles over usnet's (the single or batch row matching d)
 * for sample k; < 0 = not measured. */
static void run_ratios(double cyc[S_N][2][MAX_RUNS], double ratio[S_N][2][3])
{
	for (unsigned d = S_FIB1; d <= S_LPMB; d++)
		for (unsigned k = 0; k < 2; k++) {
			unsigned us = us_row(d);
			double v[MAX_RUNS];
			unsigned n = 0;

			for (unsigned r = 0; r < opt.runs; r++)
				if (cyc[d][k][r] > 0 && cyc[us][k][r] > 0)
					v[n++] = cyc[d][k][r] / cyc[us][k][r];
			ratio[d][k][0] = ratio[d][k][1] = ratio[d][k][2] = -1;
			if (!n)
				continue;
			ratio[d][k][0] = median(v, n);
			ratio[d][k][1] = v[0];
			ratio[d][k][2] = v[n - 1];
		}
}

static const char *const s_name[S_N] = {
	"usnet lpm, single", "usnet lpm, batch 64",
	"rte_fib, single", "rte_fib, bulk 64",
	"rte_lpm, single", "rte_lpm, bulk 64",
	"usnet FIB lookup, single", "usnet FIB lookup, batch 64",
};

static const char *const s_name6[S_N] = {
	"usnet lpm6, single", "usnet lpm6, batch 64",
	"rte_fib6 trie, single", "rte_fib6 trie, bulk 64",
	"rte_lpm6, single", "rte_lpm6, bulk 64",
	"usnet FIB lookup, single", "usnet FIB lookup, batch 64",
};

/* cyc[structure][sample][run] in cycles per lookup (< 0 = not
 * measured): the medians and the per-run speed-ups, printed. Sorts the
 * runs. */
static void print_lookups(const char *title, const char *const *names,
			  double cyc[S_N][2][MAX_RUNS],
			  const char *const *samples)
{
	double med[S_N][2], ratio[S_N][2][3];

	run_ratios(cyc, ratio);
	for (unsigned x = 0; x < S_N; x++)
		for (unsigned k = 0; k < 2; k++)
			med[x][k] = median(cyc[x][k], opt.runs);
	printf("\n%s (median of %u runs, %zu addresses per run; cycles are "
	       "TSC ticks at %.2f GHz)\n", title, opt.runs, opt.n,
	       tsc_hz / 1e9);
	printf("  %-28s %14s %9s %14s %9s\n", "", samples[0], "Mlookup/s",
	       samples[1], "Mlookup/s");
	for (unsigned s = 0; s < S_N; s++) {
		printf("  %-28s", names[s]);
		for (unsigned k = 0; k < 2; k++) {
			if (med[s][k] < 0)
				printf(" %14s %9s", "-", "-");
			else
				printf(" %10.1f cyc %9.1f", med[s][k],
				       tsc_hz / med[s][k] / 1e6);
		}
		printf("\n");
	}
	printf("  usnet speed-up (DPDK cycles / usnet cycles):\n");
	for (unsigned d = S_FIB1; d <= S_LPMB; d++) {
		unsigned us = us_row(d);

		printf("    vs %-23s", names[d]);
		for (unsigned k = 0; k < 2; k++) {
			print_ratio(med[us][k], med[d][k], true);
			printf(" %15s", "");
		}
		printf("\n");
	}
	printf("  usnet speed-up per run (run r of each structure back to "
	       "back), median [min..max] of %u runs:\n", opt.runs);
	for (unsigned d = S_FIB1; d <= S_LPMB; d++) {
		printf("    vs %-23s", names[d]);
		for (unsigned k = 0; k < 2; k++) {
			if (ratio[d][k][0] < 0)
				printf(" %24s", "-");
			else
				printf("  %5.2fx [%4.2f..%4.2f]      ",
				       ratio[d][k][0], ratio[d][k][1],
				       ratio[d][k][2]);
		}
		printf("\n");
	}
}

static void print_updates(const char *title, const char *const *names,
			  const double load[3], const double del[3],
			  const double ins[3], const size_t mem[3],
			  const char *const *memnote, size_t nprefix,
			  double fib_s)
{
	printf("\n%s\n", title);
	printf("  %-16s %12s %13s %13s %13s %12s %8s\n", "", "full load",
	       "load rate", "churn del", "churn add", "memory", "B/prefix");
	for (unsigned i = 0; i < 3; i++) {
		if (load[i] < 0) {
			printf("  %-16s %12s\n", names[i], "not run");
			continue;
		}
		printf("  %-16s %10.2f s %9.0f k/s %9.0f k/s %9.0f k/s "
		       "%8.1f MiB %8.1f  %s\n", names[i], load[i],
		       (double)nprefix / load[i] / 1e3,
		       del[i] > 0 ? (double)opt.churn / del[i] / 1e3 : 0,
		       ins[i] > 0 ? (double)opt.churn / ins[i] / 1e3 : 0,
		       (double)mem[i] / 1048576.0,
		       (double)mem[i] / (double)nprefix, memnote[i]);
	}
	for (unsigned i = 1; i < 3; i++) {
		if (load[i] < 0)
			continue;
		printf("  usnet vs %-12s load", names[i]);
		print_ratio(load[0], load[i], true);
		printf("  del");
		print_ratio(del[0], del[i], true);
		printf("  add");
		print_ratio(ins[0], ins[i], true);
		printf("  memory");
		print_ratio((double)mem[0], (double)mem[i], true);
		printf("  (>1: usnet better)\n");
	}
	if (fib_s > 0)
		printf("  full FIB load through fib_route_add (trie, routes, "
		       "LPM): %.2f s, %.0f routes/s\n", fib_s,
		       (double)nprefix / fib_s);
}

/* Delete then re-add opt.churn random prefixes (times in s). */
struct churn {
	size_t *idx;
};

static void churn_pick(struct churn *c, size_t n)
{
	c->idx = malloc(opt.churn * sizeof(*c->idx));
	if (!c->idx)
		die("out of memory");
	/* Distinct: a random start and a stride coprime with n. */
	size_t start = (size_t)(bench_rnd() % n), stride;

	do
		stride = 1 + (size_t)(bench_rnd() % (n - 1));
	while (stride % 2 == 0 || n % stride == 0);
	for (size_t i = 0; i < opt.churn; i++)
		c->idx[i] = (start + i * stride) % n;
}

/* Delete then re-add the churn prefixes in structure w (0 usnet, 1 the
 * DPDK fib, 2 the DPDK lpm); times in *del and *ins. 0 or the first
 * error (the structure is then incomplete). */
static int churn4(struct v4set *s, unsigned w, const struct churn *ch,
		  double *del, double *ins)
{
	double t0 = now_s(), t1;
	int rc = 0;

	for (size_t i = 0; i < opt.churn && !rc; i++) {
		const struct pfx *x = &s->p[ch->idx[i]];
		uint32_t a;

		memcpy(&a, x->a, 4);
		rc = w == 0 ? lpm4_del(s->us, a, x->len) :
		     w == 1 ? rte_fib_delete(s->fib, ntohl(a), x->len) :
			      rte_lpm_delete(s->lpm, ntohl(a), x->len);
	}
	t1 = now_s();
	for (size_t i = 0; i < opt.churn && !rc; i++) {
		const struct pfx *x = &s->p[ch->idx[i]];
		uint32_t a;

		memcpy(&a, x->a, 4);
		rc = w == 0 ? lpm4_add(s->us, a, x->len,
				       (uint32_t)(ch->idx[i] + 1)) :
		     w == 1 ? rte_fib_add(s->fib, ntohl(a), x->len, x->nh) :
			      rte_lpm_add(s->lpm, ntohl(a), x->len, x->nh);
	}
	*del = t1 - t0;
	*ins = now_s() - t1;
	return rc;
}

static int churn6(struct v6set *s, unsigned w, const struct churn *ch,
		  double *del, double *ins)
{
	double t0 = now_s(), t1;
	int rc = 0;

	for (size_t i = 0; i < opt.churn && !rc; i++) {
		const struct pfx *x = &s->p[ch->idx[i]];

		rc = w == 0 ? lpm6_del(s->us, x->a, x->len) :
		     w == 1 ? rte_fib6_delete(s->fib, x->a, x->len) :
			      rte_lpm6_delete(s->lpm, x->a, x->len);
	}
	t1 = now_s();
	for (size_t i = 0; i < opt.churn && !rc; i++) {
		const struct pfx *x = &s->p[ch->idx[i]];

		rc = w == 0 ? lpm6_add(s->us, x->a, x->len,
				       (uint32_t)(ch->idx[i] + 1)) :
		     w == 1 ? rte_fib6_add(s->fib, x->a, x->len, x->nh) :
			      rte_lpm6_add(s->lpm, x->a, x->len, x->nh);
	}
	*del = t1 - t0;
	*ins = now_s() - t1;
	return rc;
}

static void bench_v4(struct pfx *p, size_t n)
{
	struct v4set s = { .p = p, .n = n };
	double load[3] = { -1, -1, -1 }, del[3] = { 0 }, ins[3] = { 0 };
	size_t mem[3] = { 0 }, r0;
	unsigned tbl8_fib = 0, tbl8_lpm = 0;
	static char note[3][160];
	const char *memnote[3] = { note[0], note[1], note[2] };
	static const char *const names[3] = { "usnet lpm4", "rte_fib",
					      "rte_lpm" };
	static const char *const samples[2] = { "in-table", "random" };
	double cyc[S_N][2][MAX_RUNS];
	double fib_s = 0;
	struct lpm_stats st;
	struct churn ch;
	size_t bad = 0;

	printf("\n== IPv4: %zu prefixes\n", n);
	fflush(stdout);
	load[0] = lpm4_load(&s);
	lpm4_stats(s.us, &st);
	mem[0] = usnet_bytes(&st);
	usnet_note(note[0], sizeof(note[0]), &st);
	load[1] = fib4_load(&s, &mem[1], &tbl8_fib);
	snprintf(note[1], sizeof(note[1]), "DPDK heap; 4-byte next hops, "
		 "%u tbl8 groups", tbl8_fib);
	if (opt.rte_lpm) {
		printf("  loading rte_lpm (its add scans every rule of the "
		       "same length: minutes)...\n");
		fflush(stdout);
		load[2] = lpm4_dpdk_load(&s, &mem[2], &tbl8_lpm);
		snprintf(note[2], sizeof(note[2]), "DPDK heap; %u tbl8 groups",
			 tbl8_lpm);
	}
	if (opt.fib) {
		r0 = rss_bytes();
		fib_s = fib_load(AF_INET, p, n);
		printf("  usnet FIB: %zu routes loaded in %.2f s, process RSS "
		       "+%.0f MiB (routes, trie, LPM)\n", n, fib_s,
		       (double)(rss_bytes() - r0) / 1048576.0);
	}

	/* Samples, and the cross-check. */
	for (unsigned k = 0; k < 2; k++) {
		s.addr_be[k] = malloc(opt.n * 4);
		s.addr_h[k] = malloc(opt.n * 4);
		fib_dst[0][k] = calloc(opt.n, sizeof(union pkt_addr));
		if (!s.addr_be[k] || !s.addr_h[k] || !fib_dst[0][k])
			die("out of memory");
		for (size_t i = 0; i < opt.n; i++) {
			uint8_t a[4];

			if (k == 0)
				addr_in(&p[bench_rnd() % n], 4, a);
			else
				memcpy(a, &(uint32_t){ (uint32_t)bench_rnd() }, 4);
			memcpy(&s.addr_be[k][i], a, 4);
			s.addr_h[k][i] = ntohl(s.addr_be[k][i]);
			fib_dst[0][k][i].v4 = s.addr_be[k][i];
		}
		for (size_t i = 0; i < opt.n; i++) {
			uint32_t id = lpm4_lookup(s.us, s.addr_be[k][i]);
			uint64_t want = id ? p[id - 1].nh : 0, got = 0;
			uint32_t got32 = 0;
			struct fib_result res;

			rte_fib_lookup_bulk(s.fib, &s.addr_h[k][i], &got, 1);
			bad += got != want;
			if (s.lpm) {
				if (rte_lpm_lookup(s.lpm, s.addr_h[k][i],
						   &got32) != 0)
					got32 = 0;
				bad += got32 != want;
			}
			if (opt.fib)
				bad += (fib_table_lookup(FIB_TABLE_MAIN,
							 AF_INET,
							 &fib_dst[0][k][i], 0,
							 &res) ?
					res.nh->ifindex : 0) != want;
		}
	}
	printf("  cross-check of %zu addresses: %s\n", 2 * opt.n,
	       bad ? "FAIL" : "all structures agree");
	if (bad) {
		printf("  %zu answers differ\n", bad);
		failed = 1;
	}

	for (unsigned r = 0; r < opt.runs; r++)
		for (unsigned k = 0; k < 2; k++) {
			cyc[S_US1][k][r] = t_us4_single(&s, k);
			cyc[S_USB][k][r] = t_us4_batch(&s, k);
			cyc[S_FIB1][k][r] = t_fib4_single(&s, k);
			cyc[S_FIBB][k][r] = t_fib4_batch(&s, k);
			cyc[S_LPM1][k][r] = s.lpm ? t_lpm4_single(&s, k) : -1;
			cyc[S_LPMB][k][r] = s.lpm ? t_lpm4_batch(&s, k) : -1;
			cyc[S_TAB1][k][r] = opt.fib ? t_fibtab_single(0, k) : -1;
			cyc[S_TABB][k][r] = opt.fib ? t_fibtab_batch(0, k) : -1;
		}
	print_lookups("IPv4 lookups", s_name, cyc, samples);

	/* Churn on the full table: delete K prefixes, add them back. A
	 * DPDK table whose tbl8 pool runs out (-ENOSPC) is reloaded with
	 * twice the groups (untimed) and the churn run again. */
	churn_pick(&ch, n);
	for (unsigned w = 0; w < 3; w++) {
		int rc;

		if (load[w] < 0)
			continue;
		while ((rc = churn4(&s, w, &ch, &del[w], &ins[w])) == -ENOSPC &&
		       w > 0) {
			unsigned *tb = w == 1 ? &tbl8_fib : &tbl8_lpm;

			printf("  %s: tbl8 groups ran out during churn; "
			       "reloading with %u\n", names[w], *tb * 2);
			*tb *= 2;
			if (w == 1) {
				rte_fib_free(s.fib);
				fib4_load(&s, &mem[1], tb);
			} else {
				rte_lpm_free(s.lpm);
				lpm4_dpdk_load(&s, &mem[2], tb);
			}
			snprintf(note[w], sizeof(note[w]), "DPDK heap; %u tbl8 "
				 "groups (doubled after -ENOSPC)", *tb);
		}
		if (rc)
			die("%s churn failed (%d)", names[w], rc);
	}
	free(ch.idx);
	print_updates("IPv4 updates and memory (churn: delete then re-add "
		      "random prefixes of the full table)", names, load, del,
		      ins, mem, memnote, n, fib_s);
	lpm4_free(s.us);
	rte_fib_free(s.fib);
	if (s.lpm)
		rte_lpm_free(s.lpm);
	for (unsigned k = 0; k < 2; k++) {
		free(s.addr_be[k]);
		free(s.addr_h[k]);
	}
}

static void bench_v6(struct pfx *p, size_t n)
{
	struct v6set s = { .p = p, .n = n };
	double load[3] = { -1, -1, -1 }, del[3] = { 0 }, ins[3] = { 0 };
	size_t mem[3] = { 0 }, r0;
	unsigned tbl8_fib = 0, tbl8_lpm = 0;
	static char note[3][160];
	const char *memnote[3] = { note[0], note[1], note[2] };
	static const char *const names[3] = { "usnet lpm6", "rte_fib6 trie",
					      "rte_lpm6" };
	static const char *const samples[2] = { "in-table", "random 2000::/3" };
	double cyc[S_N][2][MAX_RUNS];
	double fib_s = 0;
	struct lpm_stats st;
	struct churn ch;
	size_t bad = 0;

	printf("\n== IPv6: %zu prefixes\n", n);
	fflush(stdout);
	load[0] = lpm6_load(&s);
	lpm6_stats(s.us, &st);
	mem[0] = usnet_bytes(&st);
	usnet_note(note[0], sizeof(note[0]), &st);
	load[1] = fib6_load(&s, &mem[1], &tbl8_fib);
	snprintf(note[1], sizeof(note[1]), "DPDK heap; 4-byte next hops, "
		 "%u tbl8 groups", tbl8_fib);
	load[2] = lpm6_dpdk_load(&s, &mem[2], &tbl8_lpm);
	snprintf(note[2], sizeof(note[2]), "DPDK heap; %u tbl8 groups",
		 tbl8_lpm);
	if (opt.fib) {
		r0 = rss_bytes();
		fib_s = fib_load(AF_INET6, p, n);
		printf("  usnet FIB: %zu routes loaded in %.2f s, process RSS "
		       "+%.0f MiB (routes, trie, LPM)\n", n, fib_s,
		       (double)(rss_bytes() - r0) / 1048576.0);
	}
	for (unsigned k = 0; k < 2; k++) {
		s.addr[k] = malloc(opt.n * 16);
		fib_dst[1][k] = calloc(opt.n, sizeof(union pkt_addr));
		if (!s.addr[k] || !fib_dst[1][k])
			die("out of memory");
		for (size_t i = 0; i < opt.n; i++) {
			static const struct pfx global = { .a = { 0x20 },
							   .len = 3 };

			addr_in(k == 0 ? &p[bench_rnd() % n] : &global, 16,
				s.addr[k][i]);
			memcpy(fib_dst[1][k][i].v6, s.addr[k][i], 16);
		}
		for (size_t i = 0; i < opt.n; i++) {
			uint32_t id = lpm6_lookup(s.us, s.addr[k][i]);
			uint64_t want = id ? p[id - 1].nh : 0, got = 0;
			uint32_t got32 = 0;
			struct fib_result res;

			rte_fib6_lookup_bulk(s.fib, &s.addr[k][i], &got, 1);
			bad += got != want;
			if (rte_lpm6_lookup(s.lpm, s.addr[k][i], &got32) != 0)
				got32 = 0;
			bad += got32 != want;
			if (opt.fib)
				bad += (fib_table_lookup(FIB_TABLE_MAIN,
							 AF_INET6,
							 &fib_dst[1][k][i], 0,
							 &res) ?
					res.nh->ifindex : 0) != want;
		}
	}
	printf("  cross-check of %zu addresses: %s\n", 2 * opt.n,
	       bad ? "FAIL" : "all structures agree");
	if (bad) {
		printf("  %zu answers differ\n", bad);
		failed = 1;
	}
	for (unsigned r = 0; r < opt.runs; r++)
		for (unsigned k = 0; k < 2; k++) {
			cyc[S_US1][k][r] = t_us6_single(&s, k);
			cyc[S_USB][k][r] = t_us6_batch(&s, k);
			cyc[S_FIB1][k][r] = t_fib6_single(&s, k);
			cyc[S_FIBB][k][r] = t_fib6_batch(&s, k);
			cyc[S_LPM1][k][r] = t_lpm6_single(&s, k);
			cyc[S_LPMB][k][r] = t_lpm6_batch(&s, k);
			cyc[S_TAB1][k][r] = opt.fib ? t_fibtab_single(1, k) : -1;
			cyc[S_TABB][k][r] = opt.fib ? t_fibtab_batch(1, k) : -1;
		}
	print_lookups("IPv6 lookups", s_name6, cyc, samples);

	churn_pick(&ch, n);
	for (unsigned w = 0; w < 3; w++) {
		int rc;

		while ((rc = churn6(&s, w, &ch, &del[w], &ins[w])) == -ENOSPC &&
		       w > 0) {
			unsigned *tb = w == 1 ? &tbl8_fib : &tbl8_lpm;

			printf("  %s: tbl8 groups ran out during churn; "
			       "reloading with %u\n", names[w], *tb * 2);
			*tb *= 2;
			if (w == 1) {
				rte_fib6_free(s.fib);
				fib6_load(&s, &mem[1], tb);
			} else {
				rte_lpm6_free(s.lpm);
				lpm6_dpdk_load(&s, &mem[2], tb);
			}
			snprintf(note[w], sizeof(note[w]), "DPDK heap; %u tbl8 "
				 "groups (doubled after -ENOSPC)", *tb);
		}
		if (rc)
			die("%s churn failed (%d)", names[w], rc);
	}
	free(ch.idx);
	print_updates("IPv6 updates and memory (churn: delete then re-add "
		      "random prefixes of the full table)", names, load, del,
		      ins, mem, memnote, n, fib_s);
	lpm6_free(s.us);
	rte_fib6_free(s.fib);
	rte_lpm6_free(s.lpm);
	for (unsigned k = 0; k < 2; k++)
		free(s.addr[k]);
}

static void usage(void)
{
	fprintf(stderr, "usage: fib_bench [--prefixes FILE] [--runs N] "
		"[--addresses N] [--churn N] [--no-rte-lpm] [--no-fib] "
		"[--huge]\n");
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-rte-lpm")) {
			opt.rte_lpm = false;
		} else if (!strcmp(a, "--no-fib")) {
			opt.fib = false;
		} else if (!strcmp(a, "--huge")) {
			opt.huge = true;
		} else if (!v) {
			usage();
		} else if (!strcmp(a, "--prefixes")) {
			opt.file = v;
			i++;
		} else if (!strcmp(a, "--runs")) {
			opt.runs = (unsigned)atoi(v);
			i++;
		} else if (!strcmp(a, "--addresses")) {
			opt.n = (size_t)atol(v);
			i++;
		} else if (!strcmp(a, "--churn")) {
			opt.churn = (size_t)atol(v);
			i++;
		} else {
			usage();
		}
	}
	if (opt.runs < 1 || opt.runs > MAX_RUNS || opt.n < BATCH ||
	    opt.churn < 1)
		usage();
	opt.n -= opt.n % BATCH;
}

/* ---- memory floor ---- */

/* Ticks per load of a loop doing nothing but independent random 32-bit
 * loads over an array of mib MiB (transparent huge pages, as usnet's
 * arrays), 64 prefetched at a time as the batched lookups do: the rate
 * of random cache-line fetches that bounds any structure touching one
 * line of that much memory per lookup (a DIR-24 array is 64 MiB). Median
 * of opt.runs passes over opt.n loads. */
static double floor_ticks(size_t mib)
{
	size_t words = mib << 18, n = opt.n - opt.n % BATCH;
	uint32_t *a = aligned_alloc(2u << 20, words * 4);
	uint32_t *idx = malloc(n * sizeof(*idx));
	double t[64], res;
	unsigned runs = opt.runs < 64 ? opt.runs : 64;

	if (!a || !idx)
		die("out of memory");
	madvise(a, words * 4, MADV_HUGEPAGE);
	for (size_t i = 0; i < words; i++)
		a[i] = (uint32_t)i;
	for (size_t i = 0; i < n; i++)
		idx[i] = (uint32_t)(bench_rnd() % words);
	for (unsigned r = 0; r < runs; r++) {
		uint64_t c0 = __rdtsc(), acc = 0;

		for (size_t i = 0; i < n; i += BATCH) {
			for (unsigned j = 0; j < BATCH; j++)
				__builtin_prefetch(&a[idx[i + j]]);
			for (unsigned j = 0; j < BATCH; j++)
				acc += a[idx[i + j]];
		}
		sink = acc;
		t[r] = (double)(__rdtsc() - c0) / (double)n;
	}
	res = median(t, runs);
	free(a);
	free(idx);
	return res;
}

/* The floor for a few sizes, to read the lookup figures against. */
static void bench_floor(void)
{
	static const size_t mib[] = { 4, 8, 16, 32, 64 };

	printf("\nmemory floor: independent random loads, %u prefetched at a "
	       "time (median of %u runs)\n ", BATCH, opt.runs);
	for (size_t i = 0; i < sizeof(mib) / sizeof(mib[0]); i++)
		printf(" %zu MiB %.1f cyc;", mib[i], floor_ticks(mib[i]));
	printf("\n");
}

int main(int argc, char **argv)
{
	char *eal[8] = { "fib_bench", "--no-pci", "--no-shconf",
			 "--log-level=error" };
	int neal = 4;
	struct pfx *p4, *p6;
	size_t n4, n6;

	parse_args(argc, argv);
	if (opt.huge) {   /* the hugetlbfs pages reserved, no files */
		eal[neal++] = "--in-memory";
	} else {
		eal[neal++] = "--no-huge";
		eal[neal++] = "-m";
		eal[neal++] = "4096";
	}
	if (rte_eal_init(neal, eal) < 0)
		die("rte_eal_init: %s", rte_strerror(rte_errno));
	if (opt.fib && fib_init() != 0)
		die("fib_init failed");
	measure_tsc();
	load_file(&p4, &n4, &p6, &n6);
	if (opt.churn >= n6)
		opt.churn = n6 / 2;
	printf("fib_bench: %s: %zu IPv4 + %zu IPv6 prefixes; DPDK %s (%s); "
	       "TSC %.2f GHz\n", opt.file, n4, n6, rte_version(),
	       opt.huge ? "2 MiB hugetlbfs pages" : "no hugepages, 4 KiB pages",
	       tsc_hz / 1e9);
	bench_floor();
	bench_v4(p4, n4);
	bench_v6(p6, n6);
	if (opt.fib)
		fib_fini();
	free(p4);
	free(p6);
	rte_eal_cleanup();
	return failed;
}
