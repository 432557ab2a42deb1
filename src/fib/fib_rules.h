/* Policy routing rules (like `ip rule`): an ordered list per family that
 * picks the table(s) a lookup searches, or ends it with a verdict.
 *
 * Threads: fib_rules_lookup() is an RCU reader (QSBR), lock-free, any
 * thread. Everything else is for the control thread. The rule list is
 * copied on change and the old copy freed after a grace period. */
#ifndef USNET_FIB_FIB_RULES_H
#define USNET_FIB_FIB_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pkt.h"
#include "fib/fib.h"

struct ctl_out;

#define FIB_RULE_PRIO_LOCAL 0u
#define FIB_RULE_PRIO_MAIN 32766u
#define FIB_RULE_PRIO_DEFAULT 32767u
#define FIB_RULES_MAX 4096u     /* per family */

enum fib_rule_action {
	FIB_RULE_LOOKUP = 1,    /* search `table`; a miss goes on to the next rule */
	FIB_RULE_BLACKHOLE,     /* end: drop silently */
	FIB_RULE_UNREACHABLE,   /* end: no route (ICMP unreachable) */
	FIB_RULE_PROHIBIT,      /* end: administratively prohibited */
};

/* One rule. Selectors left at zero match everything. */
struct fib_rule {
	uint32_t prio;
	bool has_prio;          /* add: false = pick one as Linux does (one
				 * below the first rule after priority 0);
				 * del: false = any priority */
	uint8_t family;         /* AF_INET / AF_INET6 */
	uint8_t action;         /* enum fib_rule_action */
	bool invert;            /* `not`: act when the selectors do NOT match */
	uint32_t table;         /* FIB_RULE_LOOKUP; 0 = main on add, any on del */
	union pkt_addr src, dst;
	uint8_t src_len, dst_len;   /* 0 = any address (host bits must be 0) */
	uint32_t iif, oif;      /* 0 = any device */
	uint32_t mark, mark_mask;   /* (flow mark ^ mark) & mask == 0; mask 0 = any */
};

/* Install the default rules of both families (0: lookup local, 32766:
 * lookup main, 32767: lookup default). 0 or -ENOMEM. Called by fib_init. */
int fib_rules_init(void);
/* Free all rules (shutdown, no reader inside). Called by fib_fini. */
void fib_rules_fini(void);

/* Add a rule (copied), after the rules of the same priority. 0 or -errno
 * with err (size 256) filled: EINVAL (bad field), EEXIST (identical rule),
 * ENOSPC (FIB_RULES_MAX reached), ENOMEM. Control thread. */
int fib_rule_add(const struct fib_rule *r, char *err);
/* Delete the first rule of r->family matching every field set in r:
 * priority when has_prio, action, table, selectors when non-zero, invert
 * when true. 0 or -ENOENT / -EINVAL with err filled. Control thread. */
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
 * FIB_TABLE_UNSPEC). false when nothing matched. RCU reader, any thread. */
bool fib_rules_lookup(const struct fib_flow *fl, struct fib_result *res);

/* Name of an action ("lookup", "blackhole", ...); never NULL. */
const char *fib_rule_action_name(uint8_t action);

#endif
