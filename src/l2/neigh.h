/* Neighbor table shared by ARP (IPv4) and ND (IPv6): one state machine
 * (RFC 4861 section 7.3, as Linux's neighbour.c) for both families.
 *
 * States: INCOMPLETE -> REACHABLE -> STALE -> DELAY -> PROBE -> FAILED, plus
 * PERMANENT for static entries. Packets to an unresolved neighbor wait in a
 * bounded per-entry queue; overflow and resolution failure are counted drops.
 *
 * Threads: lookups on workers are lock-free (RCU, QSBR); creation, updates
 * and queue operations take the table lock; timers run on the control
 * thread (neigh_timer). */
#ifndef USNET_L2_NEIGH_H
#define USNET_L2_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pkt.h"

struct dev;
struct worker;
struct ctl_out;

enum neigh_state {
	NEIGH_NONE = 0,
	NEIGH_INCOMPLETE,
	NEIGH_REACHABLE,
	NEIGH_STALE,
	NEIGH_DELAY,
	NEIGH_PROBE,
	NEIGH_FAILED,
	NEIGH_PERMANENT,
};

/* Flags for neigh_update (as Linux's NEIGH_UPDATE_F_*). */
enum {
	NEIGH_UPD_CREATE = 1u << 0,     /* create the entry if missing */
	NEIGH_UPD_SOLICITED = 1u << 1,  /* a reply to our solicitation: REACHABLE */
	NEIGH_UPD_OVERRIDE = 1u << 2,   /* a changed MAC replaces the known one */
	NEIGH_UPD_ADMIN = 1u << 3,      /* static entry from configuration */
};

struct neigh_params {
	uint32_t base_reachable_ms;  /* 30000 */
	uint32_t retrans_ms;         /* 1000 */
	uint32_t delay_probe_ms;     /* 5000 */
	uint32_t ucast_probes;       /* 3 */
	uint32_t mcast_probes;       /* 3 */
	uint32_t gc_stale_ms;        /* 60000 */
	uint32_t queue_len;          /* 64 packets per entry */
};

extern struct neigh_params neigh_params;

int neigh_init(void);
void neigh_fini(void);                 /* frees entries and queued packets */

/* Send p (data at the L3 header, out device d) to the neighbor `nh` of
 * family AF_INET/AF_INET6: prepends the Ethernet header and stages it on w
 * when the MAC is known; otherwise queues it and solicits. Takes ownership;
 * drops are counted on d as tx drops (queue full, failed). */
void neigh_output(struct worker *w, struct dev *d, int family,
		  const union pkt_addr *nh, struct pkt *p);

/* As neigh_output, for packets already counted on d's egress side (the
 * fragments of one counted packet: the caller counts the extra ones in
 * split_extra). */
void neigh_output_counted(struct worker *w, struct dev *d, int family,
			  const union pkt_addr *nh, struct pkt *p);

/* Learn or refresh a binding from ARP / NS / NA input. Flushes queued
 * packets when the entry becomes resolved. Returns true when an entry
 * exists afterwards. */
bool neigh_update(struct worker *w, struct dev *d, int family,
		  const union pkt_addr *ip, const uint8_t mac[6],
		  unsigned flags);

/* Static entries (`neigh add|del ADDR lladdr MAC dev D`). 0 or -errno. */
int neigh_add_static(struct dev *d, int family, const union pkt_addr *ip,
		     const uint8_t mac[6]);
int neigh_del(struct dev *d, int family, const union pkt_addr *ip);
/* Forget every entry of a device (down, address change, unregister). */
void neigh_flush_dev(struct dev *d);

/* Lookup for display and tests: state and MAC; false if absent. */
bool neigh_lookup(struct dev *d, int family, const union pkt_addr *ip,
		  enum neigh_state *state, uint8_t mac[6]);

/* Timers: retransmissions, state aging, garbage collection. Control thread
 * (w = worker_ctl()), called every ~100 ms. */
void neigh_timer(struct worker *w, uint64_t now_ms);

/* `neigh show`: one line / JSON object per entry. Control thread. */
void neigh_show(struct ctl_out *out, struct dev *filter);

/* Packets waiting for resolution in all queues (for conservation). */
uint64_t neigh_queued_total(void);

const char *neigh_state_name(enum neigh_state s);

#endif
