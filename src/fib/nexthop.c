/* Nexthop objects and groups, multipath nexthop selection and the
 * multipath hash policy.
 *
 * Design note. Every object keeps its control-plane description (gateway
 * and device, or member ids and weights) and publishes, RCU-style, one
 * immutable `nh_set`: the flat array of nexthops a lookup chooses from (a
 * single nexthop is a set of one, a group a copy of its members' nexthops
 * with the group's weights, a blackhole an empty set flagged blackhole).
 * Routes point at the object, so a change publishes new sets (the object's
 * and those of the groups holding it), each with one pointer store, and
 * every route sees it at once; old sets are freed after one grace period.
 * Groups never point at their members' memory, so deleting a member only
 * republishes the groups. Objects sit in an array sorted by id (control
 * thread only): nexthop objects are few next to routes.
 *
 * Selection is hash-threshold (as Linux's fib_select_multipath): nexthop i
 * owns a slice of the 32-bit hash space proportional to its weight. When the
 * chosen nexthop's device is down the flow is re-spread over the live
 * nexthops by their weights with a rehash, so flows already on live
 * nexthops never move, and come back when the device does. */
#include "fib/nexthop.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <urcu-qsbr.h>

#include "core/util.h"
#include "ctl/sysctl.h"
#include "dev/dev.h"
#include "fib/fib_trie.h"

#define NH_ERR_SIZE 256
#define NH_OBJS_MAX 1000000u

/* What readers choose from; immutable once published. */
struct nh_set {
	uint32_t wsum;
	uint16_t n;
	bool blackhole;
	struct fib_nh nh[];
};

struct fib_nhobj {
	uint32_t id;
	uint8_t kind;                /* enum fib_nhobj_kind */
	uint8_t family;              /* gateway family of the set, 0 = none */
	bool doomed;                 /* being deleted */
	bool mark;                   /* scratch flag of one operation */
	struct fib_nh nh;            /* SINGLE */
	uint16_t ngrp;               /* GROUP */
	struct fib_nhg_member *grp;  /* GROUP, control thread only */
	struct nh_set *set;          /* RCU-published */
};

struct fib_mp_params fib_mp_params;  /* 0/0: L3, Linux's default */

static const struct sysctl_var fib_sysctls[] = {
	{ "net.ipv4.fib_multipath_hash_policy", &fib_mp_params.hash_policy4,
	  0, 1, "IPv4 multipath hash: 0 = addresses, 1 = 5-tuple" },
	{ "net.ipv6.fib_multipath_hash_policy", &fib_mp_params.hash_policy6,
	  0, 1, "IPv6 multipath hash: 0 = addresses + flow label + next "
		"header, 1 = addresses + ports + next header" },
};

static struct fib_nhobj **objs;   /* sorted by id */
static size_t nobjs, objs_cap;

static const struct fib_route bh_routes[2] = {
	{ .family = AF_INET, .type = FIB_BLACKHOLE, .proto = FIB_PROTO_STATIC,
	  .scope = FIB_SCOPE_UNIVERSE },
	{ .family = AF_INET6, .type = FIB_BLACKHOLE, .proto = FIB_PROTO_STATIC,
	  .scope = FIB_SCOPE_UNIVERSE },
};

static int nh_err(char *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int nh_err(char *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err, NH_ERR_SIZE, fmt, ap);
		va_end(ap);
	}
	return rc;
}

const struct sysctl_var *fib_sysctl_vars(unsigned *n)
{
	*n = ARRAY_SIZE(fib_sysctls);
	return fib_sysctls;
}

const struct fib_route *fib_blackhole_route(int family)
{
	return &bh_routes[family == AF_INET ? 0 : 1];
}

/* ---- selection (readers) ---- */

static bool nh_alive(const struct fib_nh *nh)
{
	const struct dev *d;

	if (!nh->ifindex)
		return true;
	d = dev_get(nh->ifindex);
	return d && __atomic_load_n(&d->oper_up, __ATOMIC_ACQUIRE);
}

/* Index of the nexthop owning `hash` when the weights sum to wsum. */
static unsigned nh_slot(const struct fib_nh *nh, unsigned n, uint32_t wsum,
			uint32_t hash)
{
	uint64_t point = ((uint64_t)hash * wsum) >> 32;

	for (unsigned i = 0; i < n; i++) {
		if (point < nh[i].weight)
			return i;
		point -= nh[i].weight;
	}
	return n - 1;
}

/* A second, independent hash of the flow for re-spreading. */
static uint32_t nh_rehash(uint32_t h)
{
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	h *= 0x297a2d39u;
	return h ^ (h >> 15);
}

const struct fib_nh *fib_nh_select(const struct fib_nh *nh, unsigned n,
				   uint32_t wsum, uint32_t hash)
{
	unsigned i, j;
	uint32_t live = 0;
	uint64_t point;

	if (n <= 1)
		return n ? nh : NULL;
	i = nh_slot(nh, n, wsum, hash);
	if (nh_alive(&nh[i]))
		return &nh[i];
	for (j = 0; j < n; j++)
		if (nh_alive(&nh[j]))
			live += nh[j].weight;
	point = ((uint64_t)nh_rehash(hash) * live) >> 32;
	for (j = 0; j < n && live; j++) {
		if (!nh_alive(&nh[j]))
			continue;
		if (point < nh[j].weight)
			return &nh[j];
		point -= nh[j].weight;
	}
	return &nh[i];   /* all down (or changed meanwhile): output drops */
}

const struct fib_nh *fib_nhobj_select(const struct fib_nhobj *o,
				      uint32_t hash, bool *blackhole)
{
	const struct nh_set *s = rcu_dereference(o->set);

	*blackhole = s->blackhole;
	if (s->blackhole)
		return NULL;
	return fib_nh_select(s->nh, s->n, s->wsum, hash);
}

const struct fib_nh *fib_nhobj_nexthops(const struct fib_nhobj *o,
					unsigned *n, bool *blackhole)
{
	const struct nh_set *s = rcu_dereference(o->set);

	*n = s->n;
	*blackhole = s->blackhole;
	return s->nh;
}

/* ---- registry ---- */

/* Position of id in objs (or where it would go). */
static size_t obj_pos(uint32_t id, bool *found)
{
	size_t lo = 0, hi = nobjs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (objs[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < nobjs && objs[lo]->id == id;
	return lo;
}

struct fib_nhobj *fib_nhobj_find(uint32_t id)
{
	bool found;
	size_t pos = obj_pos(id, &found);

	return found ? objs[pos] : NULL;
}

uint32_t fib_nhobj_id(const struct fib_nhobj *o)
{
	return o->id;
}

int fib_nhobj_family(const struct fib_nhobj *o)
{
	return o->family;
}

static int obj_insert(struct fib_nhobj *o)
{
	bool found;
	size_t pos = obj_pos(o->id, &found);

	if (nobjs == objs_cap) {
		size_t cap = objs_cap ? objs_cap * 2 : 64;
		struct fib_nhobj **n = realloc(objs, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		objs = n;
		objs_cap = cap;
	}
	memmove(objs + pos + 1, objs + pos, (nobjs - pos) * sizeof(*objs));
	objs[pos] = o;
	nobjs++;
	return 0;
}

/* Lowest id not in use (ids start at 1). */
static uint32_t free_id(void)
{
	uint32_t id = 1;

	for (size_t i = 0; i < nobjs && objs[i]->id <= id; i++)
		if (objs[i]->id == id)
			id++;
	return id;
}

static bool group_has(const struct fib_nhobj *g, uint32_t id)
{
	for (unsigned i = 0; i < g->ngrp; i++)
		if (g->grp[i].id == id)
			return true;
	return false;
}

/* ---- sets ---- */

static struct nh_set *set_alloc(unsigned n)
{
	struct nh_set *s = calloc(1, sizeof(*s) + n * sizeof(s->nh[0]));

	if (s)
		s->n = (uint16_t)n;
	return s;
}

/* The nexthop a member contributes, with `sub` standing in for the object
 * of id sub_id (a pending replace); NULL data means blackhole. */
struct nh_override {
	uint32_t id;
	uint8_t kind;
	const struct fib_nh *nh;
};

static void member_view(uint32_t id, const struct nh_override *ov,
			uint8_t *kind, const struct fib_nh **nh)
{
	const struct fib_nhobj *m;

	if (ov && ov->id == id) {
		*kind = ov->kind;
		*nh = ov->nh;
		return;
	}
	m = fib_nhobj_find(id);
	*kind = m->kind;
	*nh = &m->nh;
}

/* The set of a group with members grp[0..n). */
static struct nh_set *group_set(const struct fib_nhg_member *grp, unsigned n,
				const struct nh_override *ov)
{
	struct nh_set *s = set_alloc(n);
	const struct fib_nh *mnh;
	uint8_t kind;

	if (!s)
		return NULL;
	for (unsigned i = 0; i < n; i++) {
		member_view(grp[i].id, ov, &kind, &mnh);
		if (kind == FIB_NHO_BLACKHOLE) {
			s->blackhole = true;   /* only ever the sole member */
			s->n = 0;
			s->wsum = 0;
			return s;
		}
		s->nh[i] = *mnh;
		s->nh[i].weight = grp[i].weight;
		s->wsum += grp[i].weight;
	}
	return s;
}

static struct nh_set *single_set(uint8_t kind, const struct fib_nh *nh)
{
	struct nh_set *s = set_alloc(kind == FIB_NHO_SINGLE ? 1 : 0);

	if (!s)
		return NULL;
	if (kind == FIB_NHO_BLACKHOLE) {
		s->blackhole = true;
		return s;
	}
	s->nh[0] = *nh;
	s->nh[0].weight = 1;
	s->wsum = 1;
	return s;
}

/* ---- validation ---- */

static int check_single(const struct fib_nhobj_req *q, char *err)
{
	if (q->kind == FIB_NHO_BLACKHOLE)
		return 0;
	if (!q->nh.ifindex)
		return nh_err(err, -EINVAL, "nexthop %u needs a device", q->id);
	if (!dev_get(q->nh.ifindex))
		return nh_err(err, -EINVAL, "nexthop %u: no device with ifindex %u",
			      q->id, q->nh.ifindex);
	if (q->nh.has_gw && q->family != AF_INET && q->family != AF_INET6)
		return nh_err(err, -EINVAL, "nexthop %u: gateway of unknown "
			      "address family %u", q->id, q->family);
	return 0;
}

/* Common gateway family of a member list (with ov standing in for one
 * member); -EINVAL with err when members mix IPv4 and IPv6 gateways. */
static int members_family(const struct fib_nhg_member *grp, unsigned n,
			  const struct nh_override *ov, uint8_t ov_family,
			  uint8_t *family, char *err)
{
	uint32_t first = 0;

	*family = 0;
	for (unsigned i = 0; i < n; i++) {
		uint8_t f = ov && ov->id == grp[i].id
				    ? ov_family
				    : fib_nhobj_find(grp[i].id)->family;

		if (!f)
			continue;
		if (*family && f != *family)
			return nh_err(err, -EINVAL, "a group cannot mix IPv4 "
				      "and IPv6 gateways (nexthops %u and %u)",
				      first, grp[i].id);
		*family = f;
		first = grp[i].id;
	}
	return 0;
}

static int check_group(const struct fib_nhobj_req *q, uint8_t *family,
		       char *err)
{
	const struct fib_nhobj *m;

	if (q->ngrp == 0 || q->ngrp > FIB_NHG_MAX)
		return nh_err(err, -EINVAL, "group %u needs 1..%u members, got %u",
			      q->id, FIB_NHG_MAX, q->ngrp);
	for (unsigned i = 0; i < q->ngrp; i++) {
		const struct fib_nhg_member *g = &q->grp[i];

		m = fib_nhobj_find(g->id);
		if (!m || m->id == q->id)
			return nh_err(err, -EINVAL, "group %u: %s nexthop id %u",
				      q->id, m ? "member is itself:" : "no",
				      g->id);
		if (m->kind == FIB_NHO_GROUP)
			return nh_err(err, -EINVAL, "group %u: nexthop %u is a "
				      "group (nested groups are not supported)",
				      q->id, g->id);
		if (m->kind == FIB_NHO_BLACKHOLE && q->ngrp > 1)
			return nh_err(err, -EINVAL, "group %u: blackhole nexthop "
				      "%u can only be the sole member of a group",
				      q->id, g->id);
		if (g->weight < 1 || g->weight > FIB_NH_WEIGHT_MAX)
			return nh_err(err, -EINVAL, "group %u: weight %u of "
				      "nexthop %u out of range 1..%u", q->id,
				      g->weight, g->id, FIB_NH_WEIGHT_MAX);
		for (unsigned j = 0; j < i; j++)
			if (q->grp[j].id == g->id)
				return nh_err(err, -EINVAL, "group %u: nexthop "
					      "%u given twice", q->id, g->id);
	}
	return members_family(q->grp, q->ngrp, NULL, 0, family, err);
}

static void marks_clear(void)
{
	for (size_t i = 0; i < nobjs; i++)
		objs[i]->mark = false;
}

/* Does a stored route of the wrong family use a marked object? */
struct family_check {
	uint32_t bad_id;
};

static void family_check_fn(const struct fib_route *r, void *arg)
{
	struct family_check *c = arg;
	const struct fib_nhobj *o = fib_route_nhobj(r);

	if (o && o->mark && !c->bad_id)
		c->bad_id = o->id;
}

/* The marked objects take gateway family `family` (non-zero): fail when a
 * route of the other family uses one of them. Clears the marks. */
static int check_routes_family(uint8_t family, char *err)
{
	struct family_check c = { 0 };
	int other = family == AF_INET ? AF_INET6 : AF_INET;

	fib_walk(0, other, family_check_fn, &c);
	marks_clear();
	if (c.bad_id)
		return nh_err(err, -EINVAL, "nexthop %u is used by %s routes: "
			      "it cannot take an %s gateway", c.bad_id,
			      other == AF_INET ? "IPv4" : "IPv6",
			      family == AF_INET ? "IPv4" : "IPv6");
	return 0;
}

/* ---- add / replace ---- */

static int obj_new(struct fib_nhobj_req *q, uint8_t family, char *err)
{
	struct fib_nhobj *o = calloc(1, sizeof(*o));
	int rc = -ENOMEM;

	if (!o)
		return nh_err(err, -ENOMEM, "out of memory");
	o->id = q->id;
	o->kind = q->kind;
	o->family = family;
	if (q->kind == FIB_NHO_GROUP) {
		o->ngrp = q->ngrp;
		o->grp = malloc(q->ngrp * sizeof(*o->grp));
		if (o->grp)
			memcpy(o->grp, q->grp, q->ngrp * sizeof(*o->grp));
		o->set = o->grp ? group_set(q->grp, q->ngrp, NULL) : NULL;
	} else {
		o->nh = q->nh;
		o->nh.weight = 1;
		o->set = single_set(q->kind, &o->nh);
	}
	if (o->set)
		rc = obj_insert(o);
	if (rc) {
		free(o->set);
		free(o->grp);
		free(o);
		return nh_err(err, rc, "out of memory");
	}
	return 0;
}

/* Replace single/blackhole object o by q: o and every group holding it get
 * new sets. */
static int replace_single(struct fib_nhobj *o, const struct fib_nhobj_req *q,
			  uint8_t family, char *err)
{
	struct nh_override ov = { o->id, q->kind, &q->nh };
	struct fib_nh nh = q->nh;
	struct nh_set **sets;
	struct fib_gc gc = { 0 };
	size_t ng = 0, k = 0;
	uint8_t gf;
	int rc;

	nh.weight = 1;
	ov.nh = &nh;
	marks_clear();
	for (size_t i = 0; i < nobjs; i++) {
		struct fib_nhobj *g = objs[i];

		if (g->kind != FIB_NHO_GROUP || !group_has(g, o->id))
			continue;
		if (q->kind == FIB_NHO_BLACKHOLE && g->ngrp > 1)
			return nh_err(err, -EINVAL, "nexthop %u is in group %u "
				      "with other members: it cannot be a "
				      "blackhole", o->id, g->id);
		rc = members_family(g->grp, g->ngrp, &ov, family, &gf, err);
		if (rc)
			return rc;
		if (gf && gf != g->family)
			g->mark = true;
		ng++;
	}
	if (family && family != o->family)
		o->mark = true;
	if (family) {   /* only a non-zero family can mark anything */
		rc = check_routes_family(family, err);
		if (rc)
			return rc;
	}
	sets = calloc(ng + 1, sizeof(*sets));
	if (!sets)
		return nh_err(err, -ENOMEM, "out of memory");
	sets[0] = single_set(q->kind, &nh);
	for (size_t i = 0; i < nobjs && sets[0]; i++) {
		struct fib_nhobj *g = objs[i];

		if (g->kind != FIB_NHO_GROUP || !group_has(g, o->id))
			continue;
		sets[++k] = group_set(g->grp, g->ngrp, &ov);
		if (!sets[k])
			break;
	}
	if (!sets[0] || k < ng) {
		for (size_t i = 0; i <= ng; i++)
			free(sets[i]);
		free(sets);
		return nh_err(err, -ENOMEM, "out of memory");
	}
	/* Commit: the object first, then the groups built from it. */
	o->kind = q->kind;
	o->family = family;
	o->nh = nh;
	fib_gc_defer(&gc, o->set);
	rcu_assign_pointer(o->set, sets[0]);
	k = 0;
	for (size_t i = 0; i < nobjs; i++) {
		struct fib_nhobj *g = objs[i];

		if (g->kind != FIB_NHO_GROUP || !group_has(g, o->id))
			continue;
		members_family(g->grp, g->ngrp, NULL, 0, &g->family, NULL);
		fib_gc_defer(&gc, g->set);
		rcu_assign_pointer(g->set, sets[++k]);
	}
	free(sets);
	fib_gc_flush(&gc);
	return 0;
}

static int replace_group(struct fib_nhobj *g, const struct fib_nhobj_req *q,
			 uint8_t family, char *err)
{
	struct fib_nhg_member *grp;
	struct nh_set *s;
	struct fib_gc gc = { 0 };
	int rc;

	if (family && family != g->family) {
		marks_clear();
		g->mark = true;
		rc = check_routes_family(family, err);
		if (rc)
			return rc;
	}
	grp = malloc(q->ngrp * sizeof(*grp));
	s = grp ? group_set(q->grp, q->ngrp, NULL) : NULL;
	if (!s) {
		free(grp);
		return nh_err(err, -ENOMEM, "out of memory");
	}
	memcpy(grp, q->grp, q->ngrp * sizeof(*grp));
	free(g->grp);
	g->grp = grp;
	g->ngrp = q->ngrp;
	g->family = family;
	fib_gc_defer(&gc, g->set);
	rcu_assign_pointer(g->set, s);
	fib_gc_flush(&gc);
	return 0;
}

int fib_nhobj_add(struct fib_nhobj_req *q, bool replace, char *err)
{
	struct fib_nhobj *o;
	uint8_t family = 0;
	int rc;

	if (q->kind < FIB_NHO_SINGLE || q->kind > FIB_NHO_GROUP)
		return nh_err(err, -EINVAL, "unknown nexthop kind %u", q->kind);
	if (!q->id) {
		if (replace)
			return nh_err(err, -EINVAL, "replace needs a nexthop id");
		if (nobjs >= NH_OBJS_MAX)
			return nh_err(err, -ENOSPC, "too many nexthops (max %u)",
				      NH_OBJS_MAX);
		q->id = free_id();
	}
	o = fib_nhobj_find(q->id);
	if (o && !replace)
		return nh_err(err, -EEXIST, "nexthop id %u exists", q->id);
	if (!o && nobjs >= NH_OBJS_MAX)
		return nh_err(err, -ENOSPC, "too many nexthops (max %u)",
			      NH_OBJS_MAX);
	if (q->kind == FIB_NHO_GROUP) {
		rc = check_group(q, &family, err);
	} else {
		rc = check_single(q, err);
		family = q->kind == FIB_NHO_SINGLE && q->nh.has_gw ? q->family : 0;
	}
	if (rc)
		return rc;
	if (!o)
		return obj_new(q, family, err);
	if ((o->kind == FIB_NHO_GROUP) != (q->kind == FIB_NHO_GROUP))
		return nh_err(err, -EINVAL, o->kind == FIB_NHO_GROUP
			      ? "cannot replace nexthop group %u with a nexthop"
			      : "cannot replace nexthop %u with a nexthop group",
			      q->id);
	if (o->kind == FIB_NHO_GROUP)
		return replace_group(o, q, family, err);
	return replace_single(o, q, family, err);
}

/* ---- delete ---- */

static bool route_doomed(const struct fib_route *r, void *arg)
{
	const struct fib_nhobj *o = fib_route_nhobj(r);

	(void)arg;
	return o && o->doomed;
}

/* Drop the doomed members of group g; mark it doomed when none is left. */
static void group_prune(struct fib_nhobj *g, struct fib_gc *gc)
{
	unsigned keep = 0;
	struct nh_set *s;

	for (unsigned i = 0; i < g->ngrp; i++)
		if (!fib_nhobj_find(g->grp[i].id)->doomed)
			g->grp[keep++] = g->grp[i];
	if (keep == g->ngrp)
		return;
	g->ngrp = (uint16_t)keep;
	if (!keep) {
		g->doomed = true;
		return;
	}
	members_family(g->grp, g->ngrp, NULL, 0, &g->family, NULL);
	s = group_set(g->grp, g->ngrp, NULL);
	if (!s) {
		/* The old set holds copies, not pointers: still safe to use. */
		log_msg(LOG_ERR, "nexthop: out of memory rebuilding group %u; "
			"it keeps its old nexthops", g->id);
		return;
	}
	fib_gc_defer(gc, g->set);
	rcu_assign_pointer(g->set, s);
}

/* Delete every object marked doomed, with its consequences. */
static void delete_doomed(void)
{
	struct fib_gc gc = { 0 };
	size_t keep = 0;

	for (size_t i = 0; i < nobjs; i++)
		if (objs[i]->kind == FIB_NHO_GROUP && !objs[i]->doomed)
			group_prune(objs[i], &gc);
	fib_route_flush_if(route_doomed, NULL);
	for (size_t i = 0; i < nobjs; i++) {
		struct fib_nhobj *o = objs[i];

		if (!o->doomed) {
			objs[keep++] = o;
			continue;
		}
		free(o->grp);
		o->grp = NULL;
		fib_gc_defer(&gc, o->set);
		fib_gc_defer(&gc, o);
	}
	nobjs = keep;
	fib_gc_flush(&gc);
}

int fib_nhobj_del(uint32_t id, char *err)
{
	struct fib_nhobj *o = fib_nhobj_find(id);

	if (!o)
		return nh_err(err, -ENOENT, "no nexthop with id %u", id);
	o->doomed = true;
	delete_doomed();
	return 0;
}

void fib_nh_flush_dev(uint32_t ifindex)
{
	bool any = false;

	for (size_t i = 0; i < nobjs && ifindex; i++) {
		struct fib_nhobj *o = objs[i];

		if (o->kind == FIB_NHO_SINGLE && o->nh.ifindex == ifindex) {
			o->doomed = true;
			any = true;
		}
	}
	if (any)
		delete_doomed();
}

void fib_nh_fini(void)
{
	for (size_t i = 0; i < nobjs; i++) {
		free(objs[i]->grp);
		free(objs[i]->set);
		free(objs[i]);
	}
	free(objs);
	objs = NULL;
	nobjs = objs_cap = 0;
}

/* ---- describe ---- */

static void describe(const struct fib_nhobj *o, struct fib_nhobj_req *d)
{
	memset(d, 0, sizeof(*d));
	d->id = o->id;
	d->kind = o->kind;
	d->family = o->family;
	if (o->kind == FIB_NHO_SINGLE)
		d->nh = o->nh;
	d->ngrp = o->ngrp;
	if (o->ngrp)
		memcpy(d->grp, o->grp, o->ngrp * sizeof(d->grp[0]));
}

bool fib_nhobj_describe(uint32_t id, struct fib_nhobj_req *out)
{
	const struct fib_nhobj *o = fib_nhobj_find(id);

	if (o)
		describe(o, out);
	return o != NULL;
}

void fib_nhobj_walk(void (*fn)(const struct fib_nhobj_req *d, void *arg),
		    void *arg)
{
	struct fib_nhobj_req *d = malloc(sizeof(*d));

	if (!d) {
		log_msg(LOG_ERR, "nexthop: out of memory listing nexthops");
		return;
	}
	for (size_t i = 0; i < nobjs; i++) {
		describe(objs[i], d);
		fn(d, arg);
	}
	free(d);
}
