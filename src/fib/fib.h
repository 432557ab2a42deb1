/* FIB: routing tables by id, IPv4 and IPv6, with the Linux route types, and
 * policy rules that pick the table. This API stays when the structure behind
 * it changes (see issue "FIB at Internet scale").
 *
 * Threads: lookups (fib_lookup*, fib_rules_lookup) are called by workers
 * inside an RCU read side (QSBR: workers are registered readers) and never
 * lock. Changes (add/del/replace, rules) are made by the control thread only;
 * old data is freed after a grace period. The control thread may also call
 * lookups. */
#ifndef USNET_FIB_FIB_H
#define USNET_FIB_FIB_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pkt.h"

struct ctl_out;

#define FIB_TABLE_UNSPEC 0u
#define FIB_TABLE_DEFAULT 253u
#define FIB_TABLE_MAIN 254u
#define FIB_TABLE_LOCAL 255u
#define FIB_NH_MAX 32u

enum fib_type {
	FIB_UNICAST = 1,
	FIB_LOCAL,        /* one of our own addresses */
	FIB_BROADCAST,    /* subnet broadcast of a connected IPv4 prefix */
	FIB_BLACKHOLE,    /* silently dropped */
	FIB_UNREACHABLE,  /* ICMP host unreachable / no route */
	FIB_PROHIBIT,     /* ICMP administratively prohibited */
};

enum fib_proto {
	FIB_PROTO_KERNEL = 2,  /* connected routes from addresses */
	FIB_PROTO_STATIC = 4,  /* configured */
};

enum fib_scope {
	FIB_SCOPE_UNIVERSE = 0,
	FIB_SCOPE_LINK = 253,
	FIB_SCOPE_HOST = 254,
};

struct fib_nh {
	union pkt_addr gw;   /* valid when has_gw */
	bool has_gw;
	uint32_t ifindex;    /* 0 = resolve through gw */
	uint32_t weight;     /* >= 1 */
};

struct fib_route {
	uint8_t family;      /* AF_INET / AF_INET6 */
	uint8_t plen;
	uint8_t type;        /* enum fib_type */
	uint8_t proto;       /* enum fib_proto */
	uint8_t scope;       /* enum fib_scope */
	uint32_t table;
	uint32_t metric;
	union pkt_addr prefix;  /* host bits zero */
	union pkt_addr prefsrc; /* has_prefsrc */
	bool has_prefsrc;
	uint32_t mtu;        /* 0 = device MTU */
	uint16_t nnh;
	struct fib_nh nh[FIB_NH_MAX];
};

struct fib_fwd;

/* A lookup result; pointers stay valid until the reader's next quiescent
 * state (workers) or the next FIB change (control thread). */
struct fib_result {
	/* The matched route is read with fib_result_route(). A table hit
	 * names it by the prefix's lookup id (the lookup itself never reads
	 * the per-prefix route record); results that are no table's route
	 * (policy-rule verdicts, a blackhole nexthop object) set fixed_route
	 * and id 0. */
	const struct fib_route *fixed_route;
	uint32_t id;
	const struct fib_nh *nh;     /* chosen nexthop (unicast/local) */
	uint32_t table;
	/* The route's forwarding data (fib_fwd.h: type, mtu, prefsrc,
	 * nexthops; nh points into it), shared between routes and hot in
	 * cache: the datapath reads this, not the route. Set by fib_lookup,
	 * fib_table_lookup and the batched lookups; by fib_rules_lookup*()
	 * for table hits only. */
	const struct fib_fwd *fwd;
};

/* The route res stands for: for a table hit, the first route of the
 * matched prefix (as of the lookup, or a later one if the prefix's routes
 * changed since; the route and res->fwd may then differ); else the fixed
 * route; NULL when res is from no lookup. Call it in the read-side section
 * of the lookup (before the reader's next quiescent state). RCU reader. */
const struct fib_route *fib_result_route(const struct fib_result *res);

/* What a policy lookup looks at (like struct flowi). */
struct fib_flow {
	uint8_t family;
	union pkt_addr dst, src;
	uint32_t iif, oif;
	uint8_t proto;
	uint16_t sport, dport;   /* host order */
	uint8_t dscp;
	uint32_t mark;
	uint32_t hash;           /* flow hash for multipath */
	uint32_t l3mdev_table;   /* the flow's VRF table, 0 = in no VRF; its
				  * iif (received) or oif (generated) is then
				  * the VRF device (see vrf_flow_update) */
};

/* Flags for fib_route_add, with Linux's meaning. */
enum {
	FIB_F_EXCL = 1u << 0,     /* `route add`: fail if it exists */
	FIB_F_REPLACE = 1u << 1,  /* `route replace`: replace or create */
	FIB_F_APPEND = 1u << 2,   /* `route append` */
};

int fib_init(void);
void fib_fini(void);  /* frees everything (shutdown, workers stopped) */

/* Add/replace/append a route (copied). 0 or -errno with a message in err
 * (size 256): EEXIST, ENOENT, EINVAL. Control thread. */
int fib_route_add(const struct fib_route *r, unsigned flags, char *err);
/* Delete the first route matching family/prefix/plen/table and, when set
 * in r, type, metric (non-zero) and nexthop gateway/device. */
int fib_route_del(const struct fib_route *r, char *err);
/* Remove all routes whose nexthop uses ifindex (device removed). */
void fib_flush_dev(uint32_t ifindex);

/* Longest-prefix match in one table. false when nothing matches (or the
 * table does not exist). RCU reader. */
bool fib_table_lookup(uint32_t table, int family, const union pkt_addr *dst,
		      uint32_t hash, struct fib_result *res);

/* Policy lookup: rules in priority order (default: local, main, default)
 * then table lookups; res->table tells which table matched. */
bool fib_lookup(const struct fib_flow *fl, struct fib_result *res);

/* Enumerate routes of a table (all tables when table == 0) and family
 * (0 = both), in prefix order. Control thread. */
void fib_walk(uint32_t table, int family,
	      void (*fn)(const struct fib_route *r, void *arg), void *arg);

/* Prefix helpers. */
void fib_prefix_mask(int family, union pkt_addr *a, unsigned plen);
bool fib_prefix_match(int family, const union pkt_addr *prefix,
		      unsigned plen, const union pkt_addr *a);

const char *fib_type_name(uint8_t type);

#endif
