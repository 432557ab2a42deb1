/* Workers: threads that poll their ports in bursts, run each burst to
 * completion through the pipeline stages as vectors, and sleep on the ports'
 * file descriptors when idle. The control thread has a worker context too
 * (no ports) so that packets it originates (ARP retries, replies to control
 * commands) go through the same output functions.
 *
 * Threads: each worker context belongs to exactly one thread. Functions
 * taking a `struct worker *` must be called on that worker's thread. */
#ifndef USNET_CORE_WORKER_H
#define USNET_CORE_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/pkt.h"
#include "dev/dev.h"

#define WORKER_MAX 16u
#define WORKER_CTL_SLOT WORKER_MAX /* stats slot of the control thread */
#define WORKER_PORTS_MAX 64u

struct icmp_rl_state;
struct reasm_table;

struct worker {
	unsigned id;            /* 0..WORKER_MAX-1, or WORKER_CTL_SLOT */
	pthread_t thread;
	int epfd;               /* port fds + wake eventfd */
	int wake_fd;            /* eventfd: control thread pokes */
	bool stop;              /* atomic */
	bool ports_changed;     /* atomic: re-read the port list */

	unsigned nports;
	struct dev *ports[WORKER_PORTS_MAX];

	/* Tx staging: packets per egress ifindex, flushed at burst end. */
	struct pkt_vec *txq[DEV_MAX];
	uint16_t dirty[DEV_MAX];
	unsigned ndirty;

	struct icmp_rl_state *icmp_rl; /* per-thread ICMP rate limiter */
	struct reasm_table *reasm;     /* per-thread fragment reassembly */
	uint64_t now_ms;        /* refreshed once per loop iteration */
	uint64_t busy_loops, idle_sleeps;
};

/* Start n workers (1..WORKER_MAX). 0 or -errno. Control thread. */
int worker_start_all(unsigned n);
/* Stop and join all workers; their queued packets are freed. */
void worker_stop_all(void);
unsigned worker_count(void);
struct worker *worker_ctl(void);      /* the control thread's context */

/* Assign/unassign a device's rx to a worker (the one with the fewest ports
 * when id < 0). Control thread. 0 or -errno. */
int worker_attach_dev(struct dev *d, int id);
void worker_detach_dev(struct dev *d);

/* Stage a packet for transmission on d from worker w; sent at the end of the
 * current burst (or when the stage fills). Takes ownership. */
void worker_tx(struct worker *w, struct dev *d, struct pkt *p);
/* Send everything staged on w. */
void worker_tx_flush(struct worker *w);

/* Run one burst over every port of w (offline mode and benchmarks call it
 * directly). Returns the number of packets received. */
unsigned worker_poll_once(struct worker *w);

/* Process a vector of received packets as if they arrived on their
 * in_ifindex (benchmarks, tests, offline mode). Takes ownership. */
void worker_input(struct worker *w, struct pkt_vec *v);

/* Per-thread setup for a thread that will run pipeline code. */
void worker_ctx_init(struct worker *w, unsigned id);
void worker_ctx_fini(struct worker *w);

#endif
