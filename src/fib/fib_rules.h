/* Policy routing rules (like `ip rule`): an ordered list per family that
 * picks the table(s) a lookup searches, or ends it with a verdict.
 *
 * VRF flows (fib_flow.l3mdev_table set: received on a VRF member, or
 * generated in a VRF) walk the same rules, with the VRF device as their
 * iif/oif, so `iif red` / `oif red` rules select a VRF's traffic. The
 * l3mdev rule (`rule add pref 1000 l3mdev`, installed for both families
 * when the first VRF is created, as Linux does) matches VRF flows only and
 * searches the flow's VRF table. Two differences from Linux keep VRFs
 * isolated:
 *  - a miss in the VRF table at the l3mdev rule ENDS the walk with "no
 *    route": nothing falls back to main unless an earlier rule or a leaked
 *    route says so (Linux users get this by adding `unreachable default
 *    metric 4278198272` to each VRF table);
 *  - lookup rules of table local are skipped for VRF flows: a VRF's local
 *    routes live in the VRF's table (Linux users move the local rule after
 *    the l3mdev rule for this effect).
 * Non-VRF flows never match the l3mdev rule. When it has been deleted, VRF
 * flows go on to the later rules (main, default), as in Linux.
 *
 * Threads: fib_rules_lookup() is an RCU reader (QSBR), lock-free, any
 * thread. Everything else is for the control thread. The rule list is
 * copied on change and the old copy freed after a grace period. */
#ifndef USNET_FIB_FIB_RULES_H
#define USNET_FIB_FIB_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pkt.h"
#include "fib/fib.h"

struct ctl_out;

#define FIB_RULE_PRIO_LOCAL 0u
#define FIB_RULE_PRIO_MAIN 32766u
#define FIB_RULE_PRIO_DEFAULT 32767u
#define FIB_RULES_MAX 4096u     /* per family */
#define FIB_RULES_PLAIN_MAX 8u  /* see fib_rules_plain_tables */

#define FIB_RULE_IFNAME 16u      /* = DEV_NAME_MAX */
#define FIB_RULE_DETACHED UINT32_MAX  /* iif/oif of a rule whose device is gone */

enum fib_rule_action {
	FIB_RULE_LOOKUP = 1,    /* search `table`; a miss goes on to the next rule */
	FIB_RULE_BLACKHOLE,     /* end: drop silently */
	FIB_RULE_UNREACHABLE,   /* end: no route (ICMP unreachable) */
	FIB_RULE_PROHIBIT,      /* end: administratively prohibited */
	FIB_RULE_GOTO,          /* go on at the first rule of priority `target`
				 * (> own); none there ("unresolved"): ignored */
	FIB_RULE_L3MDEV,        /* VRF flows only: search the flow's VRF table;
				 * a miss ends the walk (no route) */
};

/* The priority of the l3mdev rule installed with the first VRF (Linux's). */
#define FIB_RULE_PRIO_L3MDEV 1000u

/* One rule. Selectors left at zero match everything. */
struct fib_rule {
	uint32_t prio;
	bool has_prio;          /* add: false = pick one as Linux does (one
				 * below the first rule after priority 0);
				 * del: false = any priority */
	uint8_t family;         /* AF_INET / AF_INET6 */
	uint8_t action;         /* enum fib_rule_action */
	bool invert;            /* `not`: act when the selectors do NOT match */
	uint32_t table;         /* FIB_RULE_LOOKUP; 0 = main on add, any on del
				 * (an l3mdev rule has none: the flow's VRF's) */
	union pkt_addr src, dst;
	uint8_t src_len, dst_len;   /* 0 = any address (host bits must be 0) */
	uint32_t iif, oif;      /* 0 = any device; FIB_RULE_DETACHED: the
				 * named device does not exist (never equal) */
	char iif_name[FIB_RULE_IFNAME], oif_name[FIB_RULE_IFNAME];
				/* device names ("" = by ifindex only): a
				 * rule follows the name as Linux's do */
	uint32_t mark, mark_mask;   /* (flow mark ^ mark) & mask == 0; mask 0 = any */
	uint8_t ipproto;        /* 0 = any */
	uint16_t sport_lo, sport_hi;  /* inclusive range; hi 0 = any port */
	uint16_t dport_lo, dport_hi;
	bool has_dscp;          /* match dscp (0..63) */
	uint8_t dscp;
	uint32_t target;        /* FIB_RULE_GOTO: priority to go on at */
};

/* Install the default rules of both families (0: lookup local, 32766:
 * lookup main, 32767: lookup default). 0 or -ENOMEM. Called by fib_init. */
int fib_rules_init(void);
/* Free all rules (shutdown, no reader inside). Called by fib_fini. */
void fib_rules_fini(void);

/* Add the l3mdev rule (priority 1000, both families) the first time it is
 * called after fib_rules_init; later calls do nothing, so a deleted l3mdev
 * rule stays deleted (Linux adds it with the first VRF device only). An
 * identical rule already there is kept. 0 or -ENOMEM (nothing added).
 * Control thread; called when a VRF device is created. */
int fib_rules_l3mdev_install(void);

/* Add a rule (copied), after the rules of the same priority. 0 or -errno
 * with err (size 256) filled: EINVAL (bad field: prefix, action, table
 * with a non-lookup action (l3mdev included), port range, dscp > 63, goto
 * target not after the rule's priority), EEXIST (identical rule), ENOSPC
 * (FIB_RULES_MAX reached), ENOMEM. Control thread. */
int fib_rule_add(const struct fib_rule *r, char *err);
/* Delete the first rule of r->family matching every field set in r:
 * priority when has_prio, action, table, goto target, selectors when
 * non-zero (addresses, devices by index or name, mark, ipproto, port
 * ranges, dscp when has_dscp), invert when true. 0 or -ENOENT / -EINVAL
 * with err filled. Control thread. */
int fib_rule_del(const struct fib_rule *r, char *err);

/* Visit the rules of a family (0 = IPv4 then IPv6) in evaluation order.
 * fn must not change the rules. Control thread. */
void fib_rules_walk(int family, void (*fn)(const struct fib_rule *r, void *arg),
		    void *arg);
/* `rule show` in iproute2's layout, text or JSON (an array of objects in
 * JSON mode). family 0 = both. Control thread. */
void fib_rules_show(struct ctl_out *out, int family);

/* Evaluate the rules of fl->family in priority order. Lookup rules search
 * their table; a miss goes on, a hit ends the walk (also when the route is
 * blackhole/unreachable/prohibit). A blackhole/unreachable/prohibit rule
 * ends the walk with a static route of that type (res->nh NULL, res->table
 * FIB_TABLE_UNSPEC). VRF flows: see the top of this file (the l3mdev rule
 * searches fl->l3mdev_table and a miss there is final; local lookup rules
 * are skipped). false when nothing matched. RCU reader, any thread.
 *
 * Cost: when every rule before the l3mdev rule is a local lookup and the
 * l3mdev rule has no selector (the default), a VRF flow does one table
 * lookup and no rule walk; this is decided when the rules change. */
bool fib_rules_lookup(const struct fib_flow *fl, struct fib_result *res);
/* For batched lookups of flows in no VRF (fl->l3mdev_table 0): when every
 * rule of family is a lookup without selectors (the l3mdev rule aside,
 * which such flows never meet), copy the tables they name, in order, into
 * tables[0..max) and return their count (at most FIB_RULES_PLAIN_MAX); a
 * flow's result is then the first of these tables that has a route. 0 when
 * the rules must be walked (fib_rules_lookup), or more than max tables.
 * Decided when the rules change; O(tables) here. RCU reader, any thread. */
unsigned fib_rules_plain_tables(int family, uint32_t *tables, unsigned max);
/* For batched lookups of VRF flows: true when a VRF flow's rule walk is one
 * lookup in its VRF table, a miss final (the "Cost" case of
 * fib_rules_lookup: only local lookup rules before a selector-less l3mdev
 * rule). Decided when the rules change. RCU reader, any thread. */
bool fib_rules_l3mdev_direct(int family);

/* fib_rules_lookup that also copies the rule that decided into *rule (the
 * lookup or l3mdev rule whose table matched, or the blackhole/unreachable/
 * prohibit rule). For `route get`. RCU reader, any thread. */
bool fib_rules_lookup_trace(const struct fib_flow *fl, struct fib_result *res,
			    struct fib_rule *rule);

/* Device events, for rules naming devices: a device named `name` now has
 * `ifindex` (rules detached from that name attach to it), or device
 * ifindex named `name` is going away (its rules detach and keep the name).
 * Never fails: out of memory leaves the rules as they were (logged).
 * Control thread. */
void fib_rules_dev_added(uint32_t ifindex, const char *name);
void fib_rules_dev_removed(uint32_t ifindex, const char *name);

/* Name of an action ("lookup", "blackhole", "l3mdev", ...); never NULL. */
const char *fib_rule_action_name(uint8_t action);
/* Name of an IP protocol as `rule show` prints it ("tcp", "udp", ... or
 * the number written into buf). */
const char *fib_rule_proto_name(uint8_t proto, char *buf, size_t len);

#endif
