/* Forwarding objects: what the datapath needs of a route (type, MTU,
 * preferred source, nexthops or nexthop object), deduplicated and shared by
 * every route with the same values, like VPP's load-balance DPO. The LPM's
 * id table points at them next to the route, so a lookup reads a small
 * object that is hot in cache (a full table has ~1M routes but a handful of
 * forwarding objects) instead of the per-prefix route record.
 *
 * Lifetime: each stored route holds one reference (fib_fwd_get when it is
 * made, fib_fwd_put when it is taken out). An object whose last reference
 * goes is unhashed at once and freed after a grace period through the
 * caller's fib_gc, so readers that found it keep a valid object until their
 * next quiescent state.
 *
 * Threads: objects are immutable once made and read by RCU readers (any
 * thread); get/put and the hash are for the control thread only. */
#ifndef USNET_FIB_FIB_FWD_H
#define USNET_FIB_FIB_FWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fib/fib.h"
#include "fib/fib_trie.h"

struct fib_nhobj;

struct fib_fwd {
	/* read by lookups */
	uint8_t type;              /* enum fib_type */
	uint8_t family;
	uint16_t nnh;              /* own nexthops (0 with nho) */
	uint32_t mtu;              /* 0 = device MTU */
	uint32_t wsum;             /* sum of nexthop weights */
	struct fib_nhobj *nho;     /* nexthop object, else NULL */
	const struct fib_nh *nh;   /* nnh nexthops (after this struct) */
	bool has_prefsrc;
	union pkt_addr prefsrc;
	/* control thread */
	uint32_t refs;             /* routes holding it; 0 = static */
	uint32_t hash;
	struct fib_fwd *hnext;
};

/* The object for route r's forwarding data (its type, mtu, prefsrc and
 * either nexthops r->nh[0..r->nnh) or object nho), shared with every route
 * that has the same; one more reference. NULL when out of memory. Control
 * thread. */
struct fib_fwd *fib_fwd_get(const struct fib_route *r, struct fib_nhobj *nho);
/* Drop one reference; the last one unhashes f and frees it after the next
 * grace period through gc. NULL is fine. Control thread. */
void fib_fwd_put(struct fib_fwd *f, struct fib_gc *gc);

/* The static object of a route without nexthops of type (blackhole,
 * unreachable, prohibit: results of policy rules, blackhole nexthop
 * objects); never freed. */
const struct fib_fwd *fib_fwd_static(int family, uint8_t type);

/* Objects alive now (tests, memory figures). Control thread. */
size_t fib_fwd_count(void);
/* Free the hash (shutdown, after every route has put its reference). */
void fib_fwd_fini(void);

#endif
