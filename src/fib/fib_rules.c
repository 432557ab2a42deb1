/* Policy routing rules: per-family ordered lists evaluated by fib_lookup().
 *
 * Design note. Each family's rules are one immutable array sorted by
 * priority (equal priorities keep insertion order, as in Linux). A change
 * copies the array, edits the copy, publishes it with rcu_assign_pointer()
 * and frees the old one after a grace period; readers walk whatever array
 * they loaded, without locks. Rules are few, so copying is cheap. */
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

struct fib_rule_set {
	uint32_t n;
	struct fib_rule r[];
};

static struct fib_rule_set *rule_sets[2];   /* [0] IPv4, [1] IPv6 */

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

static void set_publish(int family, struct fib_rule_set *s)
{
	struct fib_rule_set *old = rule_sets[family_idx(family)];

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

/* Check r and build the stored form (normalized) in out. */
static int rule_prepare(const struct fib_rule *r, struct fib_rule *out,
			char *err)
{
	int rc;

	if (!family_ok(r->family)) {
		rule_err(err, "unsupported address family %d", r->family);
		return -EINVAL;
	}
	if (r->action < FIB_RULE_LOOKUP || r->action > FIB_RULE_PROHIBIT) {
		rule_err(err, "unknown rule action %u", r->action);
		return -EINVAL;
	}
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
	       a->mark_mask == b->mark_mask &&
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
	    (w->iif && w->iif != h->iif) || (w->oif && w->oif != h->oif))
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

/* ---- lookup ---- */

static bool rule_match(const struct fib_rule *r, const struct fib_flow *fl)
{
	bool m = (!r->iif || r->iif == fl->iif) &&
		 (!r->oif || r->oif == fl->oif) &&
		 ((fl->mark ^ r->mark) & r->mark_mask) == 0 &&
		 (!r->src_len ||
		  fib_prefix_match(fl->family, &r->src, r->src_len, &fl->src)) &&
		 (!r->dst_len ||
		  fib_prefix_match(fl->family, &r->dst, r->dst_len, &fl->dst));

	return m != r->invert;
}

bool fib_rules_lookup(const struct fib_flow *fl, struct fib_result *res)
{
	const struct fib_rule_set *s;
	const struct fib_rule *r;

	if (!family_ok(fl->family))
		return false;
	s = rcu_dereference(rule_sets[family_idx(fl->family)]);
	for (uint32_t i = 0; s && i < s->n; i++) {
		r = &s->r[i];
		if (!rule_match(r, fl))
			continue;
		if (r->action == FIB_RULE_LOOKUP) {
			if (fib_table_lookup(r->table, fl->family, &fl->dst,
					     fl->hash, res))
				return true;
			continue;
		}
		res->route = &rule_routes[family_idx(fl->family)]
					 [r->action - FIB_RULE_BLACKHOLE];
		res->nh = NULL;
		res->table = FIB_TABLE_UNSPEC;
		return true;
	}
	return false;
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

static void show_rule(const struct fib_rule *r, void *arg)
{
	struct ctl_out *out = arg;
	char buf[32], num[16];
	const char *name;

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
	if (r->iif) {
		name = dev_name_of(r->iif, buf, sizeof(buf));
		out_str(out, "iif", name);
		out_text(out, " iif %s", name);
	}
	if (r->oif) {
		name = dev_name_of(r->oif, buf, sizeof(buf));
		out_str(out, "oif", name);
		out_text(out, " oif %s", name);
	}
	if (r->action == FIB_RULE_LOOKUP) {
		name = table_name(r->table, buf, sizeof(buf));
		out_str(out, "table", name);
		out_text(out, " lookup %s", name);
	} else {
		out_str(out, "action", fib_rule_action_name(r->action));
		out_text(out, " %s", fib_rule_action_name(r->action));
	}
	out_text(out, "\n");
	out_obj_end(out);
}

void fib_rules_show(struct ctl_out *out, int family)
{
	out_arr_begin(out, NULL);
	fib_rules_walk(family, show_rule, out);
	out_arr_end(out);
}
