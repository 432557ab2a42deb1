/* Shared harness of the in-memory device benchmarks (bench/l2_bench_*.c):
 * set-up through the product's own command path, the generator -> worker
 * -> sink loop's bookkeeping, counter balance checks and option parsing.
 * Header-only (static inline) so that each benchmark stays one translation
 * unit built by bench/run.sh. Single-threaded: the benchmark's main thread
 * is both the control thread and the one worker. */
#ifndef USNET_BENCH_HARNESS_H
#define USNET_BENCH_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>
#include <x86intrin.h>

#include "core/util.h"
#include "core/worker.h"
#include "ctl/cmd.h"
#include "ctl/out.h"
#include "dev/dev.h"
#include "fib/fib.h"
#include "l2/neigh.h"

#define BENCH_MAX_RUNS 15
#define BENCH_MAX_BURSTS 8

/* Set by the benchmark before anything else: its name in messages. */
static const char *bench_name = "bench";

static inline void bench_die(const char *what, const char *err)
{
	fprintf(stderr, "%s: %s: %s\n", bench_name, what, err);
	exit(2);
}

/* Run one control command (the config-file grammar); exits on error. */
static inline __attribute__((format(printf, 1, 2))) void
bench_cmd(const char *fmt, ...)
{
	char line[512], err[256] = "";
	struct ctl_out o;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	out_init(&o, false);
	if (ctl_exec_line(line, &o, err) < 0)
		bench_die(line, err);
	out_fini(&o);
}

static inline struct dev *bench_dev(const char *name)
{
	struct dev *d = dev_by_name(name);

	if (!d)
		bench_die(name, "no such device");
	return d;
}

/* Before the set-up commands. */
static inline void bench_setup_begin(void)
{
	if (fib_init() < 0 || neigh_init() < 0)
		bench_die("init", "fib_init/neigh_init failed");
	worker_ctl();
}

/* After them: send what set-up produced (gratuitous ARP, ...), then make
 * the main thread the worker wk, counting from zero. */
static inline void bench_setup_end(struct worker *wk)
{
	worker_tx_flush(worker_ctl());
	worker_ctx_init(wk, 0);
	dev_stat_slot = 0;
	rcu_register_thread();
}

/* Tear everything down; returns the packets still allocated (leaks). */
static inline uint64_t bench_teardown(struct worker *wk)
{
	rcu_unregister_thread();
	worker_ctx_fini(wk);
	neigh_fini();
	fib_fini();
	dev_destroy_all();
	worker_ctx_fini(worker_ctl());
	pkt_pool_thread_release();
	return pkt_pool_outstanding();
}

/* One generator burst through the worker (fwd) or straight back to the
 * pool (alloc: the cost of making the packets). Returns packets made. */
static inline unsigned bench_burst_once(struct worker *wk, struct dev *gen,
					unsigned burst, bool fwd)
{
	struct pkt_vec v;
	unsigned n;

	v.n = gen->ops->rx_burst(gen, v.p, (uint16_t)burst);
	n = v.n; /* worker_input empties v */
	if (fwd) {
		worker_input(wk, &v);
		worker_tx_flush(wk);
	} else {
		for (unsigned i = 0; i < n; i++)
			pkt_free(v.p[i]);
	}
	rcu_quiescent_state();
	return n;
}

static inline uint64_t bench_tx_of(const struct dev *d)
{
	struct dev_stats s;

	if (!d)
		return 0;
	dev_stats_sum(d, &s);
	return s.tx_packets;
}

/* Every device balances: rx = forwarded + delivered + to_upper + drops and
 * fwd_in + originated + split_extra = tx + drops; the generators' receive
 * side is exempt when alloc runs freed their packets uncounted. Prints the
 * drops and the devices that do not balance. */
static inline bool bench_all_balanced(bool gen_rx_exempt)
{
	bool ok = true;

	for (struct dev *d = dev_next(NULL); d; d = dev_next(d)) {
		struct dev_stats s;
		uint64_t rxd = 0, txd = 0;
		bool rx_exempt = gen_rx_exempt && !strcmp(d->ops->kind, "gen");

		dev_stats_sum(d, &s);
		for (unsigned r = 0; r < DROP_MAX; r++) {
			rxd += s.rx_drops[r];
			txd += s.tx_drops[r];
			if (s.rx_drops[r] || s.tx_drops[r])
				printf("    %s drops %s: rx %llu tx %llu\n", d->name,
				       drop_name(r), (unsigned long long)s.rx_drops[r],
				       (unsigned long long)s.tx_drops[r]);
		}
		if ((!rx_exempt &&
		     s.rx_packets != s.forwarded + s.delivered + s.to_upper + rxd) ||
		    s.fwd_in + s.originated + s.split_extra != s.tx_packets + txd) {
			printf("    %s: counters do not balance\n", d->name);
			ok = false;
		}
	}
	return ok;
}

/* The closing checks of a benchmark: counters balance (bench_all_balanced
 * with gen_rx_exempt), nothing leaks after bench_teardown; prints the
 * verdict and returns the exit status (0 or 1). ok: the runs' own checks. */
static inline int bench_finish(struct worker *wk, bool ok, bool gen_rx_exempt)
{
	uint64_t left;

	ok &= bench_all_balanced(gen_rx_exempt);
	left = bench_teardown(wk);
	if (left) {
		printf("LEAK: %llu packets still allocated at exit\n",
		       (unsigned long long)left);
		ok = false;
	}
	printf("%s: %s\n", bench_name,
	       ok ? "every generated packet arrived, counters balance, no leaks"
		  : "FAILED (see above)");
	return ok ? 0 : 1;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sorts v (n <= BENCH_MAX_RUNS) in place; returns the median. */
static inline double bench_median(double *v, unsigned n)
{
	qsort(v, n, sizeof(v[0]), bench_cmp_double);
	return v[n / 2];
}

/* "32,256" -> bursts[]; -1 on a bad list. */
static inline int bench_parse_bursts(const char *arg, unsigned *bursts,
				     unsigned *nbursts)
{
	char buf[128], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	*nbursts = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		long b = strtol(t, NULL, 10);
		if (b < 1 || b > (long)PKT_MAX_BURST || *nbursts == BENCH_MAX_BURSTS)
			return -1;
		bursts[(*nbursts)++] = (unsigned)b;
	}
	return *nbursts ? 0 : -1;
}

/* TSC ticks per nanosecond, measured against CLOCK_MONOTONIC (200 ms). */
static inline double bench_tsc_per_ns(void)
{
	uint64_t t0 = time_ns(), c0 = __rdtsc(), t1;

	do
		t1 = time_ns();
	while (t1 - t0 < 200000000ull);
	return (double)(__rdtsc() - c0) / (double)(t1 - t0);
}

/* The 1-minute load average, -1 when unknown. */
static inline double bench_load_avg(void)
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

#endif
