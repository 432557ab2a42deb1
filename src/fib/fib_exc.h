/* Next-hop exceptions: path MTUs learned from ICMP "fragmentation needed"
 * and ICMPv6 "packet too big" about packets usnet itself sent, kept per
 * (table, destination) with an expiry, as Linux's fib_nh_exception /
 * rt6_exception. The table is the one that routed the packet, so VRFs get
 * their own (the bug seed 000 fixes in Linux).
 *
 * Threads: lookups on any thread inside an RCU read side, lock-free;
 * updates from workers (ICMP input) and the control thread (expiry, route
 * get) are serialized by the hash table itself (liburcu rculfhash). */
#ifndef USNET_FIB_FIB_EXC_H
#define USNET_FIB_FIB_EXC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pkt.h"

struct fib_exc_params {
	uint32_t mtu_expires_s;  /* net.ipv4.route.mtu_expires (600) */
	uint32_t min_pmtu4;      /* net.ipv4.route.min_pmtu (552) */
};
extern struct fib_exc_params fib_exc_params;

int fib_exc_init(void);
void fib_exc_fini(void);   /* workers stopped */

/* Learn a path MTU toward dst in table (clamped to the family minimum;
 * ignored when not smaller than the current one). Any registered thread. */
void fib_exc_learn(uint32_t table, int family, const union pkt_addr *dst,
		   uint32_t mtu, uint64_t now_ms);

/* The exception MTU toward dst in table, or 0 when none (or expired).
 * *expires_ms (optional) receives its expiry time. RCU reader. */
uint32_t fib_exc_mtu(uint32_t table, int family, const union pkt_addr *dst,
		     uint64_t now_ms, uint64_t *expires_ms);

/* Remove expired exceptions. Control thread (timer). */
void fib_exc_expire(uint64_t now_ms);

/* Forget every exception of a table (route changes) or all (table 0). */
void fib_exc_flush(uint32_t table);

uint64_t fib_exc_count(void);

#endif
