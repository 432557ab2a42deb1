/* Nexthop objects and groups (Linux's `ip nexthop`), the multipath choice
 * shared by classic multipath routes and groups, the multipath hash policy
 * (net.ipv{4,6}.fib_multipath_hash_policy), and the FIB calls that tie
 * routes to nexthop objects or batch route changes (those are implemented in
 * fib.c, next to the route entries they touch).
 *
 * Semantics follow Linux: a route added with `nhid N` references object N
 * rather than copying it, so replacing N (or a member of group N) changes
 * every such route at once. Deleting a nexthop removes it from the groups
 * holding it; a group left empty is deleted too; routes using a deleted
 * object are deleted. A group may hold a blackhole nexthop only as its sole
 * member. Unlike Linux, a device going down does not delete the nexthops on
 * it: multipath selection skips them until the device is up again (only
 * flows that were on them move); deleting the device deletes them.
 *
 * Threads: fib_nh_select() and fib_nhobj_select() are RCU readers (QSBR)
 * for any thread and never lock. Everything else is for the control thread;
 * changes publish new immutable nexthop sets and free old ones after a
 * grace period. */
#ifndef USNET_FIB_NEXTHOP_H
#define USNET_FIB_NEXTHOP_H

#include <stdbool.h>
#include <stdint.h>

#include "fib/fib.h"

struct sysctl_var;

#define FIB_NHG_MAX 256u        /* members of one group */
#define FIB_NH_WEIGHT_MAX 256u  /* as Linux (rtnh_hops + 1) */

enum fib_nhobj_kind {
	FIB_NHO_SINGLE = 1,     /* [via GW] dev NAME */
	FIB_NHO_BLACKHOLE,      /* drops silently */
	FIB_NHO_GROUP,          /* weighted multipath over single nexthops */
};

struct fib_nhg_member {
	uint32_t id;
	uint32_t weight;        /* 1..FIB_NH_WEIGHT_MAX */
};

/* A nexthop object as requested (add/replace) or described (show). */
struct fib_nhobj_req {
	uint32_t id;            /* add: 0 = pick the lowest free id */
	uint8_t kind;           /* enum fib_nhobj_kind */
	uint8_t family;         /* SINGLE with a gateway: its family; else 0 */
	struct fib_nh nh;       /* SINGLE: gw (has_gw), ifindex (required) */
	uint16_t ngrp;          /* GROUP: members, in order */
	struct fib_nhg_member grp[FIB_NHG_MAX];
};

struct fib_nhobj;  /* opaque; lives until deleted (then freed after a grace period) */

/* The multipath hash policy, as Linux's sysctls: IPv4 0 = L3 (addresses),
 * 1 = L3+L4 (5-tuple); IPv6 0 = L3 (addresses, flow label, next header),
 * 1 = L3+L4 (addresses, ports, next header). Read by ip_flow_hash() on
 * workers (relaxed loads), written by `sysctl`. */
struct fib_mp_params {
	uint32_t hash_policy4;
	uint32_t hash_policy6;
};
extern struct fib_mp_params fib_mp_params;

/* The FIB's sysctl variables (the table sysctl.c does not hold); *n gets
 * the length. Never fails. */
const struct sysctl_var *fib_sysctl_vars(unsigned *n);

/* ---- nexthop objects (nexthop.c); control thread ---- */

/* Add (replace false) or replace-or-create (replace true) object q->id. On
 * add with q->id 0 the id picked is stored in q->id. Replacing changes
 * every route and group using the object at once. 0 or -errno with err
 * (size 256) filled: EEXIST (add of an existing id), EINVAL (bad request:
 * no device, unknown/duplicate/nested member, weight out of range, a
 * blackhole beside other members, mixed gateway families, group <-> single
 * replace, a family the routes or groups using it cannot take), ENOSPC,
 * ENOMEM. On failure nothing changed. */
int fib_nhobj_add(struct fib_nhobj_req *q, bool replace, char *err);
/* Delete object id (see the semantics above). 0, -ENOENT (err filled). */
int fib_nhobj_del(uint32_t id, char *err);
/* Describe object id into out; false when there is none. */
bool fib_nhobj_describe(uint32_t id, struct fib_nhobj_req *out);
/* Visit every object in id order; fn must not change nexthops or routes. */
void fib_nhobj_walk(void (*fn)(const struct fib_nhobj_req *d, void *arg),
		    void *arg);
/* Delete every single nexthop on device ifindex (device removed), with
 * the group and route consequences of fib_nhobj_del. */
void fib_nh_flush_dev(uint32_t ifindex);
/* Delete all objects (shutdown, after the routes are gone, no reader left). */
void fib_nh_fini(void);

/* The object with this id, NULL when none. */
struct fib_nhobj *fib_nhobj_find(uint32_t id);
uint32_t fib_nhobj_id(const struct fib_nhobj *o);
/* The gateway family of the object (0: no gateway, usable by both). */
int fib_nhobj_family(const struct fib_nhobj *o);

/* ---- selection (nexthop.c); RCU readers, any thread ---- */

/* Hash-threshold choice among n nexthops whose weights sum to wsum: each
 * owns a slice of the hash space sized by its weight, so a flow (one hash)
 * keeps one nexthop. A chosen nexthop whose device is down is replaced by a
 * choice among the live ones (flows on live nexthops do not move). NULL
 * when n == 0. */
const struct fib_nh *fib_nh_select(const struct fib_nh *nh, unsigned n,
				   uint32_t wsum, uint32_t hash);
/* The nexthop of object o for hash; NULL with *blackhole set when the
 * object is (a group of) a blackhole. */
const struct fib_nh *fib_nhobj_select(const struct fib_nhobj *o,
				      uint32_t hash, bool *blackhole);
/* The object's current nexthops (control thread, or an RCU reader: valid
 * until its next quiescent state); *n gets the count, 0 for a blackhole. */
const struct fib_nh *fib_nhobj_nexthops(const struct fib_nhobj *o,
					unsigned *n, bool *blackhole);
/* A static blackhole route of the family (table FIB_TABLE_UNSPEC): the
 * lookup result of routes whose nexthop object is a blackhole. */
const struct fib_route *fib_blackhole_route(int family);

/* ---- routes using nexthop objects, batches (implemented in fib.c) ---- */

/* fib_route_add / fib_route_del for a route whose nexthop is object nhid
 * (r->nnh must be 0, r->type unicast). nhid 0 = r's own nexthops (same as
 * fib_route_add/del). Delete: nhid != 0 matches only routes using it. */
int fib_route_add_nh(const struct fib_route *r, uint32_t nhid, unsigned flags,
		     char *err);
int fib_route_del_nh(const struct fib_route *r, uint32_t nhid, char *err);
/* The object a stored route uses, NULL when it has its own nexthops (or
 * r is not a stored route: r->table == FIB_TABLE_UNSPEC). */
const struct fib_nhobj *fib_route_nhobj(const struct fib_route *r);
/* Delete every stored route for which pred is true (one grace period). */
void fib_route_flush_if(bool (*pred)(const struct fib_route *r, void *arg),
			void *arg);

/* Route batches: between fib_batch_begin() and fib_batch_commit() or
 * fib_batch_abort(), fib_route_add*()/fib_route_del*() keep what they
 * replace or remove until the end, so the whole batch costs one grace
 * period instead of one per route, and fib_batch_abort() puts every route
 * back as it was before the batch. Nothing else may change the FIB during
 * a batch (flushes, nexthop changes). fib_batch_begin: 0, or -EBUSY when a
 * batch is open (err filled). */
int fib_batch_begin(char *err);
void fib_batch_commit(void);
void fib_batch_abort(void);

#endif
