/* Policy routing rules: per-family ordered lists evaluated by fib_lookup().
 *
 * Design note. Each family's rules are one immutable array sorted by
 * priority (equal priorities keep insertion order, as in Linux). A change
 * copies the array, edits the copy, publishes it with rcu_assign_pointer()
 * and frees the old one after a grace period; readers walk whatever array
 * they loaded, without locks. Rules are few, so copying is cheap. A `goto`
 * is resolved while walking: it can only jump forward (to a higher
 * priority), so it finds its target by scanning on from where it stands,
 * and a walk always ends. Rules name their devices: when a device goes
 * away its rules detach (match no packet) and attach again to a new device
 * of that name, so an ifindex reused by another device never inherits
 * them. Each array also records, when it is built, what readers may skip:
 * VRF flows the walk when nothing but local lookups precede a
 * selector-less l3mdev rule (one table lookup then), flows in no VRF the
 * rules themselves when all are selector-less lookups (the table list for
 * batched lookups, fib_rules_plain_tables). */
#include "fib/fib_rules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <urcu-qsbr.h>

#include "core/util.h"
#include "ctl/out.h"
#include "dev/dev.h"
#include "fib/fib_trie.h"

#define FIB_ERR_SIZE 256

_Static_assert(FIB_RULE_IFNAME == DEV_NAME_MAX, "rule device names are device names");

struct fib_rule_set {
	uint32_t n;
	uint32_t l3mdev_fast;   /* index of the l3mdev rule that decides every
				 * VRF flow, or UINT32_MAX: walk the rules */
	uint32_t nplain;        /* flows in no VRF: the tables they search in
				 * plain[] when no rule has a selector; 0 =
				 * walk the rules */
	uint32_t plain[FIB_RULES_PLAIN_MAX];
	struct fib_rule r[];
};

static struct fib_rule_set *rule_sets[2];   /* [0] IPv4, [1] IPv6 */
static bool l3mdev_installed;   /* fib_rules_l3mdev_install() has run */

/* The results of blackhole/unreachable/prohibit rules. */
#define RULE_ROUTE(fam, t) \
	{ .family = (fam), .type = (t), .proto = FIB_PROTO_STATIC, \
	  .scope = FIB_SCOPE_UNIVERSE }
static const struct fib_route rule_routes[2][3] = {
	{ RULE_ROUTE(AF_INET, FIB_BLACKHOLE),
	  RULE_ROUTE(AF_INET, FIB_UNREACHABLE),
	  RULE_ROUTE(AF_INET, FIB_PROHIBIT) },
	{ RULE_ROUTE(AF_INET6, FIB_BLACKHOLE),
	  RULE_ROUTE(AF_INET6, FIB_UNREACHABLE),
	  RULE_ROUTE(AF_INET6, FIB_PROHIBIT) },
};
#undef RULE_ROUTE

static void rule_err(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rule_err(char *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err, FIB_ERR_SIZE, fmt, ap);
	va_end(ap);
}

static bool family_ok(int family)
{
	return family == AF_INET || family == AF_INET6;
}

static unsigned family_idx(int family)
{
	return family == AF_INET ? 0 : 1;
}

const char *fib_rule_action_name(uint8_t action)
{
	switch (action) {
	case FIB_RULE_LOOKUP:
		return "lookup";
	case FIB_RULE_BLACKHOLE:
		return "blackhole";
	case FIB_RULE_UNREACHABLE:
		return "unreachable";
	case FIB_RULE_PROHIBIT:
		return "prohibit";
	case FIB_RULE_GOTO:
		return "goto";
	case FIB_RULE_L3MDEV:
		return "l3mdev";
	default:
		return "unknown";
	}
}

/* ---- rule sets ---- */

static struct fib_rule_set *set_alloc(uint32_t n)
{
	struct fib_rule_set *s = calloc(1, sizeof(*s) + n * sizeof(s->r[0]));

	if (s)
		s->n = n;
	return s;
}

static bool rule_has_selector(const struct fib_rule *r)
{
	return r->invert || r->src_len || r->dst_len || r->iif || r->oif ||
	       r->mark_mask || r->ipproto || r->sport_hi || r->dport_hi ||
	       r->has_dscp;
}

/* Is the l3mdev rule the first rule a VRF flow can meet, and does it take
 * every VRF flow? Local lookups before it are skipped for VRF flows. */
static uint32_t set_l3mdev_fast(const struct fib_rule_set *s)
{
	for (uint32_t i = 0; i < s->n; i++) {
		const struct fib_rule *r = &s->r[i];

		if (r->action == FIB_RULE_L3MDEV)
			return rule_has_selector(r) ? UINT32_MAX : i;
		if (r->action != FIB_RULE_LOOKUP || r->table != FIB_TABLE_LOCAL)
			return UINT32_MAX;
	}
	return UINT32_MAX;
}

/* The tables of a list of selector-less lookup rules, for flows in no VRF
 * (which never meet the l3mdev rule). */
static void set_plain(struct fib_rule_set *s)
{
	s->nplain = 0;
	for (uint32_t i = 0; i < s->n; i++) {
		const struct fib_rule *r = &s->r[i];

		if (r->action == FIB_RULE_L3MDEV)
			continue;
		if (r->action != FIB_RULE_LOOKUP || rule_has_selector(r) ||
		    s->nplain == FIB_RULES_PLAIN_MAX) {
			s->nplain = 0;
			return;
		}
		s->plain[s->nplain++] = r->table;
	}
}

/* What readers learn from a list without walking it. */
static void set_finish(struct fib_rule_set *s)
{
	s->l3mdev_fast = set_l3mdev_fast(s);
	set_plain(s);
}

static void set_publish(int family, struct fib_rule_set *s)
{
	struct fib_rule_set *old = rule_sets[family_idx(family)];

	set_finish(s);
	rcu_assign_pointer(rule_sets[family_idx(family)], s);
	synchronize_rcu();
	free(old);
}

static struct fib_rule_set *default_set(int family)
{
	static const uint32_t prio[] = { FIB_RULE_PRIO_LOCAL,
					 FIB_RULE_PRIO_MAIN,
					 FIB_RULE_PRIO_DEFAULT };
	static const uint32_t table[] = { FIB_TABLE_LOCAL, FIB_TABLE_MAIN,
					  FIB_TABLE_DEFAULT };
	struct fib_rule_set *s = set_alloc(ARRAY_SIZE(prio));

	if (!s)
		return NULL;
	for (unsigned i = 0; i < s->n; i++) {
		s->r[i].prio = prio[i];
		s->r[i].has_prio = true;
		s->r[i].family = (uint8_t)family;
		s->r[i].action = FIB_RULE_LOOKUP;
		s->r[i].table = table[i];
	}
	return s;
}

int fib_rules_init(void)
{
	static const int fams[] = { AF_INET, AF_INET6 };

	for (unsigned i = 0; i < ARRAY_SIZE(fams); i++) {
		struct fib_rule_set *s;

		if (rule_sets[i])
			continue;
		s = default_set(fams[i]);
		if (!s)
			return -ENOMEM;
		set_finish(s);
		rcu_assign_pointer(rule_sets[i], s);
	}
	return 0;
}

void fib_rules_fini(void)
{
	for (unsigned i = 0; i < ARRAY_SIZE(rule_sets); i++) {
		free(rule_sets[i]);
		rule_sets[i] = NULL;
	}
	l3mdev_installed = false;
}

/* ---- validation ---- */

static union pkt_addr addr_norm(int family, const union pkt_addr *a)
{
	union pkt_addr n;

	memset(&n, 0, sizeof(n));
	if (family == AF_INET)
		n.v4 = a->v4;
	else
		memcpy(n.v6, a->v6, sizeof(n.v6));
	return n;
}

static int check_selector(int family, const char *what,
			  const union pkt_addr *a, unsigned plen, char *err)
{
	unsigned bits = fib_family_bits(family);
	union pkt_addr m = addr_norm(family, a);
	char buf[INET6_ADDRSTRLEN];

	if (plen > bits) {
		rule_err(err, "invalid %s prefix length %u (max %u)", what,
			 plen, bits);
		return -EINVAL;
	}
	fib_prefix_mask(family, &m, plen);
	if (!fib_prefix_match(family, &m, bits, a)) {
		inet_ntop(family, a, buf, sizeof(buf));
		rule_err(err, "invalid %s prefix for given prefix length: "
			 "%s/%u has host bits set", what, buf, plen);
		return -EINVAL;
	}
	return 0;
}

static int check_range(const char *what, uint16_t lo, uint16_t hi,
		       char *err)
{
	if ((hi == 0 && lo != 0) || lo > hi) {
		rule_err(err, "invalid %s range %u-%u", what, lo, hi);
		return -EINVAL;
	}
	return 0;
}

static int check_dev(const char *what, uint32_t ifindex, const char *name,
		     char *err)
{
	if (ifindex == FIB_RULE_DETACHED && !name[0]) {
		rule_err(err, "a detached %s needs a device name", what);
		return -EINVAL;
	}
	if (strnlen(name, FIB_RULE_IFNAME) == FIB_RULE_IFNAME) {
		rule_err(err, "%s device name is too long", what);
		return -EINVAL;
	}
	return 0;
}

/* The selectors and action fields that are not addresses. */
static int check_fields(const struct fib_rule *r, char *err)
{
	int rc;

	if (r->action < FIB_RULE_LOOKUP || r->action > FIB_RULE_L3MDEV) {
		rule_err(err, "unknown rule action %u", r->action);
		return -EINVAL;
	}
	if (r->action == FIB_RULE_GOTO && !r->target) {
		rule_err(err, "a goto rule needs a target priority");
		return -EINVAL;
	}
	if (r->action != FIB_RULE_GOTO && r->target) {
		rule_err(err, "only a goto rule takes a target");
		return -EINVAL;
	}
	if (r->has_dscp && r->dscp > 63) {
		rule_err(err, "invalid dscp %u (0..63)", r->dscp);
		return -EINVAL;
	}
	rc = check_range("source port", r->sport_lo, r->sport_hi, err);
	if (!rc)
		rc = check_range("destination port", r->dport_lo, r->dport_hi,
				 err);
	if (!rc)
		rc = check_dev("iif", r->iif, r->iif_name, err);
	if (!rc)
		rc = check_dev("oif", r->oif, r->oif_name, err);
	return rc;
}

/* Check r and build the stored form (normalized) in out. */
static int rule_prepare(const struct fib_rule *r, struct fib_rule *out,
			char *err)
{
	int rc;

	if (!family_ok(r->family)) {
		rule_err(err, "unsupported address family %d", r->family);
		return -EINVAL;
	}
	rc = check_fields(r, err);
	if (rc)
		return rc;
	if (r->action != FIB_RULE_LOOKUP && r->table) {
		rule_err(err, "a %s rule takes no table",
			 fib_rule_action_name(r->action));
		return -EINVAL;
	}
	rc = check_selector(r->family, "source", &r->src, r->src_len, err);
	if (!rc)
		rc = check_selector(r->family, "destination", &r->dst,
				    r->dst_len, err);
	if (rc)
		return rc;
	*out = *r;
	if (!r->has_dscp)
		out->dscp = 0;
	out->has_prio = true;
	out->src = addr_norm(r->family, &r->src);
	out->dst = addr_norm(r->family, &r->dst);
	if (r->action == FIB_RULE_LOOKUP && !r->table)
		out->table = FIB_TABLE_MAIN;
	if (r->mark && !r->mark_mask)
		out->mark_mask = 0xffffffffu;   /* `fwmark N` means N/0xffffffff */
	out->mark &= out->mark_mask;
	return 0;
}

static bool rule_equal(const struct fib_rule *a, const struct fib_rule *b)
{
	unsigned bits = fib_family_bits(a->family);

	return a->prio == b->prio && a->family == b->family &&
	       a->action == b->action && a->invert == b->invert &&
	       a->table == b->table && a->src_len == b->src_len &&
	       a->dst_len == b->dst_len && a->iif == b->iif &&
	       a->oif == b->oif && a->mark == b->mark &&
	       a->mark_mask == b->mark_mask && a->ipproto == b->ipproto &&
	       a->sport_lo == b->sport_lo && a->sport_hi == b->sport_hi &&
	       a->dport_lo == b->dport_lo && a->dport_hi == b->dport_hi &&
	       a->has_dscp == b->has_dscp && a->dscp == b->dscp &&
	       a->target == b->target &&
	       strcmp(a->iif_name, b->iif_name) == 0 &&
	       strcmp(a->oif_name, b->oif_name) == 0 &&
	       fib_prefix_match(a->family, &a->src, bits, &b->src) &&
	       fib_prefix_match(a->family, &a->dst, bits, &b->dst);
}

/* Linux's default priority: one below the first rule after priority 0. */
static uint32_t auto_prio(const struct fib_rule_set *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->r[i].prio > 0)
			return s->r[i].prio - 1;
	return 0;
}

/* ---- add / del ---- */

int fib_rule_add(const struct fib_rule *r, char *err)
{
	struct fib_rule nr;
	struct fib_rule_set *old, *s;
	uint32_t pos;
	int rc;

	rc = rule_prepare(r, &nr, err);
	if (rc)
		return rc;
	old = rule_sets[family_idx(nr.family)];
	if (!old) {
		rule_err(err, "rules are not initialized");
		return -EINVAL;
	}
	if (!r->has_prio)
		nr.prio = auto_prio(old);
	if (nr.action == FIB_RULE_GOTO && nr.target <= nr.prio) {
		rule_err(err, "goto %u from priority %u: a goto must jump "
			 "forward (to a higher priority)", nr.target, nr.prio);
		return -EINVAL;
	}
	if (old->n >= FIB_RULES_MAX) {
		rule_err(err, "too many rules (max %u)", FIB_RULES_MAX);
		return -ENOSPC;
	}
	for (pos = 0; pos < old->n && old->r[pos].prio <= nr.prio; pos++)
		if (rule_equal(&old->r[pos], &nr)) {
			rule_err(err, "rule %u exists", nr.prio);
			return -EEXIST;
		}
	s = set_alloc(old->n + 1);
	if (!s) {
		rule_err(err, "out of memory");
		return -ENOMEM;
	}
	memcpy(s->r, old->r, pos * sizeof(s->r[0]));
	s->r[pos] = nr;
	memcpy(s->r + pos + 1, old->r + pos, (old->n - pos) * sizeof(s->r[0]));
	set_publish(nr.family, s);
	return 0;
}

/* Does stored rule h match the fields set in the request w? */
static bool del_matches(const struct fib_rule *w, const struct fib_rule *h)
{
	unsigned bits = fib_family_bits(h->family);

	if ((w->has_prio && w->prio != h->prio) ||
	    (w->action && w->action != h->action) ||
	    (w->table && w->table != h->table) ||
	    (w->invert && !h->invert) ||
	    (w->iif && w->iif != h->iif) || (w->oif && w->oif != h->oif) ||
	    (w->iif_name[0] && strcmp(w->iif_name, h->iif_name)) ||
	    (w->oif_name[0] && strcmp(w->oif_name, h->oif_name)) ||
	    (w->ipproto && w->ipproto != h->ipproto) ||
	    (w->has_dscp && (!h->has_dscp || w->dscp != h->dscp)) ||
	    (w->target && w->target != h->target) ||
	    (w->sport_hi && (w->sport_lo != h->sport_lo ||
			     w->sport_hi != h->sport_hi)) ||
	    (w->dport_hi && (w->dport_lo != h->dport_lo ||
			     w->dport_hi != h->dport_hi)))
		return false;
	if ((w->mark || w->mark_mask) &&
	    (w->mark != h->mark ||
	     (w->mark_mask ? w->mark_mask : 0xffffffffu) != h->mark_mask))
		return false;
	if (w->src_len && (w->src_len != h->src_len ||
			   !fib_prefix_match(h->family, &w->src, bits, &h->src)))
		return false;
	return !w->dst_len ||
	       (w->dst_len == h->dst_len &&
		fib_prefix_match(h->family, &w->dst, bits, &h->dst));
}

int fib_rule_del(const struct fib_rule *r, char *err)
{
	struct fib_rule_set *old, *s;

	if (!family_ok(r->family)) {
		rule_err(err, "unsupported address family %d", r->family);
		return -EINVAL;
	}
	old = rule_sets[family_idx(r->family)];
	for (uint32_t i = 0; old && i < old->n; i++) {
		if (!del_matches(r, &old->r[i]))
			continue;
		s = set_alloc(old->n - 1);
		if (!s) {
			rule_err(err, "out of memory");
			return -ENOMEM;
		}
		memcpy(s->r, old->r, i * sizeof(s->r[0]));
		memcpy(s->r + i, old->r + i + 1,
		       (old->n - i - 1) * sizeof(s->r[0]));
		set_publish(r->family, s);
		return 0;
	}
	rule_err(err, "no such rule");
	return -ENOENT;
}

int fib_rules_l3mdev_install(void)
{
	struct fib_rule r = { .prio = FIB_RULE_PRIO_L3MDEV, .has_prio = true,
			      .family = AF_INET, .action = FIB_RULE_L3MDEV };
	int rc4, rc6;

	if (l3mdev_installed)
		return 0;
	rc4 = fib_rule_add(&r, NULL);
	if (rc4 && rc4 != -EEXIST)
		return rc4;
	r.family = AF_INET6;
	rc6 = fib_rule_add(&r, NULL);
	if (rc6 && rc6 != -EEXIST) {
		r.family = AF_INET;
		if (!rc4 && fib_rule_del(&r, NULL))
			log_msg(LOG_ERR, "rules: cannot take back the IPv4 "
				"l3mdev rule");
		return rc6;
	}
	l3mdev_installed = true;
	return 0;
}

/* ---- lookup ---- */

static bool port_in(uint16_t lo, uint16_t hi, uint16_t port)
{
	return !hi || (port >= lo && port <= hi);
}

static bool rule_match(const struct fib_rule *r, const struct fib_flow *fl)
{
	bool m = (!r->iif || r->iif == fl->iif) &&
		 (!r->oif || r->oif == fl->oif) &&
		 ((fl->mark ^ r->mark) & r->mark_mask) == 0 &&
		 (!r->ipproto || r->ipproto == fl->proto) &&
		 port_in(r->sport_lo, r->sport_hi, fl->sport) &&
		 port_in(r->dport_lo, r->dport_hi, fl->dport) &&
		 (!r->has_dscp || r->dscp == fl->dscp) &&
		 (!r->src_len ||
		  fib_prefix_match(fl->family, &r->src, r->src_len, &fl->src)) &&
		 (!r->dst_len ||
		  fib_prefix_match(fl->family, &r->dst, r->dst_len, &fl->dst));

	return m != r->invert;
}

/* Index of the first rule of priority prio after index i, or s->n. */
static uint32_t goto_index(const struct fib_rule_set *s, uint32_t i,
			   uint32_t prio)
{
	while (i < s->n && s->r[i].prio < prio)
		i++;
	return i < s->n && s->r[i].prio == prio ? i : s->n;
}

/* Rules a flow never meets: the l3mdev rule for a flow in no VRF, the
 * local lookups for a VRF flow (its local routes are in its table). */
static bool rule_skips(const struct fib_rule *r, const struct fib_flow *fl)
{
	if (fl->l3mdev_table)
		return r->action == FIB_RULE_LOOKUP &&
		       r->table == FIB_TABLE_LOCAL;
	return r->action == FIB_RULE_L3MDEV;
}

/* The l3mdev rule r for VRF flow fl: r on a hit in the VRF's table; NULL
 * on a miss, which ends the walk (the VRF stays isolated). */
static const struct fib_rule *l3mdev_lookup(const struct fib_rule *r,
					    const struct fib_flow *fl,
					    struct fib_result *res)
{
	return fib_table_lookup(fl->l3mdev_table, fl->family, &fl->dst,
				fl->hash, res) ? r : NULL;
}

/* The rule that decides fl, with the result in res; NULL when none. */
static const struct fib_rule *rules_eval(const struct fib_flow *fl,
					 struct fib_result *res)
{
	const struct fib_rule_set *s;
	const struct fib_rule *r;
	uint32_t j;

	if (!family_ok(fl->family))
		return NULL;
	s = rcu_dereference(rule_sets[family_idx(fl->family)]);
	if (!s)
		return NULL;
	if (fl->l3mdev_table && s->l3mdev_fast < s->n)
		return l3mdev_lookup(&s->r[s->l3mdev_fast], fl, res);
	for (uint32_t i = 0; i < s->n; i++) {
		r = &s->r[i];
		if (rule_skips(r, fl) || !rule_match(r, fl))
			continue;
		switch (r->action) {
		case FIB_RULE_LOOKUP:
			if (fib_table_lookup(r->table, fl->family, &fl->dst,
					     fl->hash, res))
				return r;
			continue;
		case FIB_RULE_L3MDEV:
			return l3mdev_lookup(r, fl, res);
		case FIB_RULE_GOTO:
			j = goto_index(s, i + 1, r->target);
			if (j < s->n)
				i = j - 1;   /* the loop steps to j */
			continue;
		default:
			break;
		}
		res->fixed_route = &rule_routes[family_idx(fl->family)]
					       [r->action - FIB_RULE_BLACKHOLE];
		res->id = 0;
		res->nh = NULL;
		res->table = FIB_TABLE_UNSPEC;
		return r;
	}
	return NULL;
}

unsigned fib_rules_plain_tables(int family, uint32_t *tables, unsigned max)
{
	const struct fib_rule_set *s;

	if (!family_ok(family))
		return 0;
	s = rcu_dereference(rule_sets[family_idx(family)]);
	if (!s || !s->nplain || s->nplain > max)
		return 0;
	memcpy(tables, s->plain, s->nplain * sizeof(*tables));
	return s->nplain;
}

bool fib_rules_l3mdev_direct(int family)
{
	const struct fib_rule_set *s;

	if (!family_ok(family))
		return false;
	s = rcu_dereference(rule_sets[family_idx(family)]);
	return s && s->l3mdev_fast < s->n;
}

bool fib_rules_lookup(const struct fib_flow *fl, struct fib_result *res)
{
	return rules_eval(fl, res) != NULL;
}

bool fib_rules_lookup_trace(const struct fib_flow *fl, struct fib_result *res,
			    struct fib_rule *rule)
{
	const struct fib_rule *r = rules_eval(fl, res);

	if (r)
		*rule = *r;
	return r != NULL;
}

/* ---- device events ---- */

/* Does a rule's device (ifindex cur, name cur_name) move from `from`? A
 * detached device moves only to a device of its name. */
static bool rebinds(uint32_t cur, const char *cur_name, uint32_t from,
		    const char *name)
{
	return cur == from &&
	       (from != FIB_RULE_DETACHED || strcmp(cur_name, name) == 0);
}

/* A copy of family f's rules with every iif/oif that rebinds() from `from`
 * set to `to` (and named `name`); NULL when nothing changes, or when out of
 * memory (*oom set). */
static struct fib_rule_set *set_rebind(unsigned f, uint32_t from, uint32_t to,
				       const char *name, bool *oom)
{
	const struct fib_rule_set *old = rule_sets[f];
	struct fib_rule_set *s;
	bool any = false;

	*oom = false;
	for (uint32_t i = 0; old && i < old->n; i++)
		any |= rebinds(old->r[i].iif, old->r[i].iif_name, from, name) ||
		       rebinds(old->r[i].oif, old->r[i].oif_name, from, name);
	if (!any)
		return NULL;
	s = set_alloc(old->n);
	if (!s) {
		*oom = true;
		return NULL;
	}
	memcpy(s->r, old->r, old->n * sizeof(s->r[0]));
	for (uint32_t i = 0; i < s->n; i++) {
		struct fib_rule *r = &s->r[i];

		if (rebinds(r->iif, r->iif_name, from, name)) {
			r->iif = to;
			snprintf(r->iif_name, sizeof(r->iif_name), "%s", name);
		}
		if (rebinds(r->oif, r->oif_name, from, name)) {
			r->oif = to;
			snprintf(r->oif_name, sizeof(r->oif_name), "%s", name);
		}
	}
	return s;
}

static void rules_rebind(uint32_t from, uint32_t to, const char *name)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	struct fib_rule_set *s;
	bool oom;

	for (unsigned f = 0; f < ARRAY_SIZE(fams); f++) {
		s = set_rebind(f, from, to, name, &oom);
		if (s)
			set_publish(fams[f], s);
		else if (oom)
			log_msg(LOG_ERR, "rules: out of memory following "
				"device %s; its rules are unchanged", name);
	}
}

void fib_rules_dev_added(uint32_t ifindex, const char *name)
{
	if (ifindex && name && name[0])
		rules_rebind(FIB_RULE_DETACHED, ifindex, name);
}

void fib_rules_dev_removed(uint32_t ifindex, const char *name)
{
	if (ifindex && name && name[0])
		rules_rebind(ifindex, FIB_RULE_DETACHED, name);
}

/* ---- walk / show ---- */

void fib_rules_walk(int family, void (*fn)(const struct fib_rule *r, void *arg),
		    void *arg)
{
	if (family && !family_ok(family))
		return;
	for (unsigned f = 0; f < ARRAY_SIZE(rule_sets); f++) {
		const struct fib_rule_set *s = rule_sets[f];

		if (family && (unsigned)family_idx(family) != f)
			continue;
		for (uint32_t i = 0; s && i < s->n; i++)
			fn(&s->r[i], arg);
	}
}

static const char *table_name(uint32_t id, char *buf, size_t len)
{
	switch (id) {
	case FIB_TABLE_LOCAL:
		return "local";
	case FIB_TABLE_MAIN:
		return "main";
	case FIB_TABLE_DEFAULT:
		return "default";
	default:
		snprintf(buf, len, "%u", id);
		return buf;
	}
}

static const char *dev_name_of(uint32_t ifindex, char *buf, size_t len)
{
	struct dev *d = dev_get(ifindex);

	if (d)
		return d->name;
	snprintf(buf, len, "if%u", ifindex);
	return buf;
}

/* One address selector: JSON key/keylen, text "word ADDR[/LEN]" or
 * "word all" (text starts with sep). */
static void show_sel(struct ctl_out *out, int family, const char *sep,
		     const char *word, const char *key,
		     const union pkt_addr *a, unsigned plen)
{
	char buf[INET6_ADDRSTRLEN], lkey[16];

	if (!plen) {
		out_str(out, key, "all");
		out_text(out, "%s%s all", sep, word);
		return;
	}
	out_addr(family, a, buf);
	out_str(out, key, buf);
	snprintf(lkey, sizeof(lkey), "%slen", key);
	out_u64(out, lkey, plen);
	if (plen == fib_family_bits(family))
		out_text(out, "%s%s %s", sep, word, buf);
	else
		out_text(out, "%s%s %s/%u", sep, word, buf, plen);
}

/* `iif NAME` / `oif NAME`, "[detached]" when the device is gone. */
static void show_dev(struct ctl_out *out, const char *word, uint32_t ifindex,
		     const char *rname)
{
	char buf[32], key[24];
	const char *name = rname[0] ? rname : dev_name_of(ifindex, buf,
							   sizeof(buf));

	out_str(out, word, name);
	out_text(out, " %s %s", word, name);
	if (ifindex == FIB_RULE_DETACHED) {
		snprintf(key, sizeof(key), "%s_detached", word);
		out_bool(out, key, true);
		out_text(out, " [detached]");
	}
}

static void show_ports(struct ctl_out *out, const char *word, uint16_t lo,
		       uint16_t hi)
{
	char key[24];

	if (!hi)
		return;
	if (lo == hi) {
		out_u64(out, word, lo);
		out_text(out, " %s %u", word, lo);
		return;
	}
	snprintf(key, sizeof(key), "%s_start", word);
	out_u64(out, key, lo);
	snprintf(key, sizeof(key), "%s_end", word);
	out_u64(out, key, hi);
	out_text(out, " %s %u-%u", word, lo, hi);
}

const char *fib_rule_proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "ipv6-icmp";
	case IPPROTO_SCTP:
		return "sctp";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static void show_action(struct ctl_out *out, const struct fib_rule_set *s,
			uint32_t i)
{
	const struct fib_rule *r = &s->r[i];
	char buf[32];
	const char *name;

	switch (r->action) {
	case FIB_RULE_LOOKUP:
		name = table_name(r->table, buf, sizeof(buf));
		out_str(out, "table", name);
		out_text(out, " lookup %s", name);
		break;
	case FIB_RULE_GOTO:
		out_str(out, "action", "goto");
		out_u64(out, "target", r->target);
		out_text(out, " goto %u", r->target);
		if (goto_index(s, i + 1, r->target) == s->n) {
			out_bool(out, "unresolved", true);
			out_text(out, " [unresolved]");
		}
		break;
	case FIB_RULE_L3MDEV:   /* iproute2's words */
		out_bool(out, "l3mdev", true);
		out_text(out, " lookup [l3mdev-table]");
		break;
	default:
		out_str(out, "action", fib_rule_action_name(r->action));
		out_text(out, " %s", fib_rule_action_name(r->action));
		break;
	}
}

static void show_rule(struct ctl_out *out, const struct fib_rule_set *s,
		      uint32_t i)
{
	const struct fib_rule *r = &s->r[i];
	char num[16];

	out_obj_begin(out, NULL);
	out_u64(out, "priority", r->prio);
	out_text(out, "%u:\t", r->prio);
	if (r->invert) {
		out_bool(out, "not", true);
		out_text(out, "not ");
	}
	show_sel(out, r->family, "", "from", "src", &r->src, r->src_len);
	if (r->dst_len)
		show_sel(out, r->family, " ", "to", "dst", &r->dst, r->dst_len);
	if (r->mark_mask) {
		snprintf(num, sizeof(num), "0x%x", r->mark);
		out_str(out, "fwmark", num);
		out_text(out, " fwmark %s", num);
		snprintf(num, sizeof(num), "0x%x", r->mark_mask);
		if (r->mark_mask != 0xffffffffu) {
			out_str(out, "fwmask", num);
			out_text(out, "/%s", num);
		}
	}
	if (r->iif)
		show_dev(out, "iif", r->iif, r->iif_name);
	if (r->oif)
		show_dev(out, "oif", r->oif, r->oif_name);
	if (r->ipproto) {
		const char *pn = fib_rule_proto_name(r->ipproto, num,
						     sizeof(num));
		out_str(out, "ipproto", pn);
		out_text(out, " ipproto %s", pn);
	}
	show_ports(out, "sport", r->sport_lo, r->sport_hi);
	show_ports(out, "dport", r->dport_lo, r->dport_hi);
	if (r->has_dscp) {
		out_u64(out, "dscp", r->dscp);
		out_text(out, " dscp %u", r->dscp);
	}
	show_action(out, s, i);
	out_text(out, "\n");
	out_obj_end(out);
}

void fib_rules_show(struct ctl_out *out, int family)
{
	out_arr_begin(out, NULL);
	for (unsigned f = 0; f < ARRAY_SIZE(rule_sets); f++) {
		const struct fib_rule_set *s = rule_sets[f];

		if (family && (!family_ok(family) ||
			       (unsigned)family_idx(family) != f))
			continue;
		for (uint32_t i = 0; s && i < s->n; i++)
			show_rule(out, s, i);
	}
	out_arr_end(out);
}
