/* FIB: routing tables by id, route add/del/replace/append with Linux's
 * semantics, table lookups with ECMP nexthop selection, and walks.
 *
 * Design note. A table holds one trie per family (fib_trie.c); each prefix
 * in a trie holds an immutable list of routes ordered like Linux's aliases:
 * metric ascending, and within one metric in the order add/append/prepend
 * put them. A lookup takes the first route of the longest matching prefix.
 * Every change builds a new list, publishes it with one pointer store and
 * frees the old list (and any route it dropped) after a grace period, so
 * readers never lock and never see a half-made change.
 *
 * Lookups do not walk the trie: each table and family also has a dataplane
 * LPM structure (fib_lpm.c over lpm4.c / lpm6.c) that maps a prefix to a
 * stable id and the id to the first route of the prefix's current list
 * and that route's forwarding object (fib_fwd.c: type, MTU, nexthops,
 * deduplicated and shared by routes), which is all a lookup reads besides
 * the LPM: the per-prefix route record stays cold. table_set() keeps it in
 * step whenever a prefix gains, changes or loses its list. Every stored
 * route holds a reference on its object, dropped when the route is taken
 * out for good (entry_defer).
 *
 * Tables are created on first use and live until fib_fini(); they hang in a
 * small RCU-published hash (readers) and in an id-sorted list (walks). Table
 * id 0 (FIB_TABLE_UNSPEC) means main for add, del and lookup, as in Linux.
 *
 * Multipath: a route's nexthops split the 32-bit flow hash space into
 * contiguous ranges proportional to their weights (hash-threshold, like
 * Linux's fib_select_multipath), so one flow always takes one nexthop. */
#include "fib/fib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <urcu-qsbr.h>

#include "core/util.h"
#include "fib/fib_batch.h"
#include "fib/fib_fwd.h"
#include "fib/fib_lpm.h"
#include "fib/fib_rules.h"
#include "fib/fib_trie.h"
#include "fib/nexthop.h"

#define FIB_ERR_SIZE 256
#define FIB_WEIGHT_MAX 256u     /* Linux: rtnh_hops + 1 */
#define FIB_TABLE_HASH 64u

/* A stored route: the public part is the allocation (a route pointer is
 * the entry pointer, freed with free()), but it is allocated with only the
 * nexthops it has (at least one slot: 1 instead of FIB_NH_MAX for nearly
 * every route of a full table), followed by struct fib_entry_ext. So a
 * stored route must never be copied by value, nor r->nh[] read past nnh. */
struct fib_entry {
	struct fib_route r;
};

/* What the FIB keeps with a stored route, after its last nexthop slot. */
struct fib_entry_ext {
	struct fib_nhobj *nho;      /* nexthop object (`nhid`), else NULL */
	struct fib_fwd *fwd;        /* its forwarding object (one reference) */
};

static size_t entry_ext_off(unsigned nnh)
{
	size_t a = _Alignof(struct fib_entry_ext);
	size_t off = offsetof(struct fib_route, nh) +
		     (nnh ? nnh : 1) * sizeof(struct fib_nh);

	return (off + a - 1) / a * a;
}

static struct fib_entry_ext *entry_ext(const struct fib_route *r)
{
	return (struct fib_entry_ext *)(void *)
	       ((char *)(uintptr_t)r + entry_ext_off(r->nnh));
}

/* Take stored route r (NULL: none) out for good: it and, with its last
 * route, its forwarding object are freed after a grace period (gc). */
static void entry_defer(struct fib_gc *gc, struct fib_route *r)
{
	if (!r)
		return;
	fib_fwd_put(entry_ext(r)->fwd, gc);
	fib_gc_defer(gc, r);
}

/* Free a route that was never published (its object may be shared). */
static void entry_drop(struct fib_route *r)
{
	struct fib_gc gc = { 0 };

	entry_defer(&gc, r);
	fib_gc_flush(&gc);
}

/* An open route batch (fib_batch_begin): one undo record per change. */
struct batch_op {
	struct fib_table *t;
	unsigned fi;
	struct fib_route *added;    /* published by the change, or NULL */
	struct fib_route *removed;  /* taken out by it (kept until the end) */
	uint32_t pos;               /* where `removed` was, when nothing added */
};

struct fib_batch {
	struct fib_gc gc;           /* garbage whatever the outcome */
	struct batch_op *ops;
	size_t n, cap;
};

static struct fib_batch *fib_batch;   /* control thread */

struct fib_table {
	uint32_t id;
	struct fib_table *hnext;    /* hash chain, RCU-published */
	struct fib_table *next;     /* all tables by id; control thread */
	struct fib_trie trie[2];    /* [0] IPv4, [1] IPv6 */
	struct fib_lpm *lpm[2];     /* lookup structures, same index */
};

static struct fib_table *fib_hash[FIB_TABLE_HASH];
static struct fib_table *fib_tables;

static void fib_err(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fib_err(char *err, const char *fmt, ...)
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

static uint32_t table_norm(uint32_t id)
{
	return id == FIB_TABLE_UNSPEC ? FIB_TABLE_MAIN : id;
}

/* ---- prefix helpers ---- */

void fib_prefix_mask(int family, union pkt_addr *a, unsigned plen)
{
	unsigned bits = fib_family_bits(family);

	fib_key_to(family, fib_key_mask(fib_key_from(family, a),
					 plen < bits ? plen : bits), a);
}

bool fib_prefix_match(int family, const union pkt_addr *prefix,
		      unsigned plen, const union pkt_addr *a)
{
	unsigned bits = fib_family_bits(family);

	return fib_key_match(fib_key_from(family, prefix),
			     fib_key_from(family, a), plen < bits ? plen : bits);
}

const char *fib_type_name(uint8_t type)
{
	static const char *const names[] = {
		[FIB_UNICAST] = "unicast",
		[FIB_LOCAL] = "local",
		[FIB_BROADCAST] = "broadcast",
		[FIB_BLACKHOLE] = "blackhole",
		[FIB_UNREACHABLE] = "unreachable",
		[FIB_PROHIBIT] = "prohibit",
	};

	if (type < ARRAY_SIZE(names) && names[type])
		return names[type];
	return "unknown";
}

/* Copy of a with the bytes the family does not use cleared. */
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

static bool addr_eq(int family, const union pkt_addr *a,
		    const union pkt_addr *b)
{
	return family == AF_INET ? a->v4 == b->v4
				 : memcmp(a->v6, b->v6, sizeof(a->v6)) == 0;
}

static const char *addr_str(int family, const union pkt_addr *a, char *buf)
{
	if (!inet_ntop(family, a, buf, INET6_ADDRSTRLEN))
		snprintf(buf, INET6_ADDRSTRLEN, "?");
	return buf;
}

/* ---- tables ---- */

static struct fib_table *table_find(uint32_t id)
{
	struct fib_table *t;

	t = rcu_dereference(fib_hash[id % FIB_TABLE_HASH]);
	for (; t; t = rcu_dereference(t->hnext))
		if (t->id == id)
			return t;
	return NULL;
}

static struct fib_table *table_get_or_create(uint32_t id)
{
	struct fib_table *t = table_find(id), **pp;

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (t) {
		t->lpm[0] = fib_lpm_new(AF_INET);
		t->lpm[1] = fib_lpm_new(AF_INET6);
	}
	if (!t || !t->lpm[0] || !t->lpm[1]) {
		if (t) {
			fib_lpm_free(t->lpm[0]);
			fib_lpm_free(t->lpm[1]);
		}
		free(t);
		return NULL;
	}
	t->id = id;
	fib_trie_init(&t->trie[0], AF_INET);
	fib_trie_init(&t->trie[1], AF_INET6);
	t->hnext = fib_hash[id % FIB_TABLE_HASH];
	rcu_assign_pointer(fib_hash[id % FIB_TABLE_HASH], t);
	for (pp = &fib_tables; *pp && (*pp)->id < id; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	return t;
}

/* Shutdown: routes go at once, their objects with fib_fwd_fini(). */
static void rlist_free_all(struct fib_rlist *rl)
{
	for (uint32_t i = 0; i < rl->n; i++)
		free(rl->r[i]);
	free(rl);
}

int fib_init(void)
{
	if (!table_get_or_create(FIB_TABLE_LOCAL) ||
	    !table_get_or_create(FIB_TABLE_MAIN) ||
	    fib_rules_init() != 0) {
		fib_fini();
		return -ENOMEM;
	}
	return 0;
}

void fib_fini(void)
{
	struct fib_table *t, *next;

	if (fib_batch)
		fib_batch_commit();
	fib_rules_fini();
	for (t = fib_tables; t; t = next) {
		next = t->next;
		fib_trie_destroy(&t->trie[0], rlist_free_all);
		fib_trie_destroy(&t->trie[1], rlist_free_all);
		fib_lpm_free(t->lpm[0]);
		fib_lpm_free(t->lpm[1]);
		free(t);
	}
	fib_tables = NULL;
	memset(fib_hash, 0, sizeof(fib_hash));
	fib_fwd_fini();
	fib_nh_fini();   /* no route refers to an object any more */
}

/* ---- validation ---- */

static int check_prefix(int family, const union pkt_addr *prefix,
			unsigned plen, char *err)
{
	unsigned bits;
	union pkt_addr m;
	char buf[INET6_ADDRSTRLEN], mbuf[INET6_ADDRSTRLEN];

	if (!family_ok(family)) {
		fib_err(err, "unsupported address family %d", family);
		return -EINVAL;
	}
	bits = fib_family_bits(family);
	if (plen > bits) {
		fib_err(err, "invalid prefix length %u (max %u)", plen, bits);
		return -EINVAL;
	}
	m = *prefix;
	fib_prefix_mask(family, &m, plen);
	if (!addr_eq(family, &m, prefix)) {
		fib_err(err, "invalid prefix for given prefix length: %s/%u "
			"has host bits set (network is %s/%u)",
			addr_str(family, prefix, buf), plen,
			addr_str(family, &m, mbuf), plen);
		return -EINVAL;
	}
	return 0;
}

static bool type_has_nexthops(uint8_t type)
{
	return type == FIB_UNICAST || type == FIB_LOCAL ||
	       type == FIB_BROADCAST;
}

static int check_nexthops(const struct fib_route *r, char *err)
{
	const char *tn = fib_type_name(r->type);

	if (!type_has_nexthops(r->type)) {
		if (r->nnh == 0)
			return 0;
		for (unsigned i = 0; i < r->nnh && i < FIB_NH_MAX; i++)
			if (r->nh[i].has_gw || r->nh[i].ifindex) {
				fib_err(err, "a %s route takes no gateway or "
					"device", tn);
				return -EINVAL;
			}
		return 0;
	}
	if (r->nnh == 0 || r->nnh > FIB_NH_MAX) {
		fib_err(err, "a %s route needs 1..%u nexthops, got %u", tn,
			FIB_NH_MAX, r->nnh);
		return -EINVAL;
	}
	if (r->type != FIB_UNICAST && r->nnh > 1) {
		fib_err(err, "multipath is only for unicast routes, not %s", tn);
		return -EINVAL;
	}
	for (unsigned i = 0; i < r->nnh; i++) {
		const struct fib_nh *nh = &r->nh[i];

		if (!nh->has_gw && !nh->ifindex) {
			fib_err(err, "nexthop %u needs a gateway or a device",
				i + 1);
			return -EINVAL;
		}
		if (r->type != FIB_UNICAST && !nh->ifindex) {
			fib_err(err, "a %s route needs a device", tn);
			return -EINVAL;
		}
		if (nh->weight < 1 || nh->weight > FIB_WEIGHT_MAX) {
			fib_err(err, "nexthop %u: weight %u out of range 1..%u",
				i + 1, nh->weight, FIB_WEIGHT_MAX);
			return -EINVAL;
		}
	}
	return 0;
}

static int check_route(const struct fib_route *r, char *err)
{
	int rc = check_prefix(r->family, &r->prefix, r->plen, err);

	if (rc)
		return rc;
	if (r->type < FIB_UNICAST || r->type > FIB_PROHIBIT) {
		fib_err(err, "unknown route type %u", r->type);
		return -EINVAL;
	}
	return check_nexthops(r, err);
}

/* ---- route entries and lists ---- */

static struct fib_entry *entry_new(const struct fib_route *r, uint32_t table,
				   struct fib_nhobj *nho)
{
	unsigned nnh = type_has_nexthops(r->type) ? r->nnh : 0;
	struct fib_entry *e = calloc(1, entry_ext_off(nnh) +
					sizeof(struct fib_entry_ext));
	struct fib_entry_ext *x;

	if (!e)
		return NULL;
	x = (struct fib_entry_ext *)(void *)((char *)e + entry_ext_off(nnh));
	x->nho = nho;
	e->r.family = r->family;
	e->r.plen = r->plen;
	e->r.type = r->type;
	e->r.proto = r->proto;
	e->r.scope = r->scope;
	e->r.table = table;
	e->r.metric = r->metric;
	e->r.prefix = addr_norm(r->family, &r->prefix);
	e->r.has_prefsrc = r->has_prefsrc;
	if (r->has_prefsrc)
		e->r.prefsrc = addr_norm(r->family, &r->prefsrc);
	e->r.mtu = r->mtu;
	e->r.nnh = (uint16_t)nnh;
	for (unsigned i = 0; i < e->r.nnh; i++) {
		struct fib_nh *nh = &e->r.nh[i];

		nh->has_gw = r->nh[i].has_gw;
		if (nh->has_gw)
			nh->gw = addr_norm(r->family, &r->nh[i].gw);
		nh->ifindex = r->nh[i].ifindex;
		nh->weight = r->nh[i].weight;
	}
	return e;
}

static bool nh_equal(int family, const struct fib_nh *a, const struct fib_nh *b)
{
	return a->has_gw == b->has_gw && a->ifindex == b->ifindex &&
	       a->weight == b->weight &&
	       (!a->has_gw || addr_eq(family, &a->gw, &b->gw));
}

/* Same type and route information (Linux's "same fib_info"): such a route
 * at the same key is a duplicate. Key fields are compared by the caller. */
static bool route_same(const struct fib_route *a, const struct fib_route *b)
{
	if (entry_ext(a)->nho != entry_ext(b)->nho)
		return false;
	if (a->type != b->type || a->proto != b->proto ||
	    a->scope != b->scope || a->mtu != b->mtu || a->nnh != b->nnh ||
	    a->has_prefsrc != b->has_prefsrc)
		return false;
	if (a->has_prefsrc && !addr_eq(a->family, &a->prefsrc, &b->prefsrc))
		return false;
	for (unsigned i = 0; i < a->nnh; i++)
		if (!nh_equal(a->family, &a->nh[i], &b->nh[i]))
			return false;
	return true;
}

static struct fib_rlist *rlist_alloc(uint32_t n)
{
	struct fib_rlist *rl = malloc(sizeof(*rl) + n * sizeof(rl->r[0]));

	if (rl)
		rl->n = n;
	return rl;
}

/* old (may be NULL) with e inserted at pos. */
static struct fib_rlist *rlist_insert(const struct fib_rlist *old,
				      uint32_t pos, struct fib_route *e)
{
	uint32_t n = old ? old->n : 0;
	struct fib_rlist *rl = rlist_alloc(n + 1);

	if (!rl)
		return NULL;
	for (uint32_t i = 0, j = 0; i <= n; i++)
		rl->r[i] = i == pos ? e : old->r[j++];
	return rl;
}

/* old without the route at pos; NULL with *empty set when nothing is left. */
static struct fib_rlist *rlist_remove(const struct fib_rlist *old,
				      uint32_t pos, bool *empty)
{
	struct fib_rlist *rl;

	*empty = old->n == 1;
	if (*empty)
		return NULL;
	rl = rlist_alloc(old->n - 1);
	if (!rl)
		return NULL;
	for (uint32_t i = 0, j = 0; i < old->n; i++)
		if (i != pos)
			rl->r[j++] = old->r[i];
	return rl;
}

/* Make rl (NULL: none) the route list of key's prefix in table t, family
 * index fi: in the trie and in the lookup structure. 0, or -ENOMEM/-ENOSPC
 * with nothing changed and rl taken (freed now or after a grace period
 * through gc). Removing never fails in the trie, adding a new prefix can
 * fail in both: the order below keeps the two in step either way. */
static int table_set(struct fib_table *t, unsigned fi,
		     const struct fib_route *key, struct fib_rlist *rl,
		     struct fib_gc *gc)
{
	struct fib_trie *trie = &t->trie[fi];
	int rc;

	if (!rl) {
		rc = fib_lpm_set(t->lpm[fi], &key->prefix, key->plen, NULL,
				 NULL);
		if (rc == 0)
			fib_trie_set(trie, &key->prefix, key->plen, NULL, gc);
		return rc;
	}
	if (fib_trie_set(trie, &key->prefix, key->plen, rl, gc) != 0) {
		free(rl);
		return -ENOMEM;
	}
	rc = fib_lpm_set(t->lpm[fi], &key->prefix, key->plen, rl->r[0],
			 entry_ext(rl->r[0])->fwd);
	if (rc)   /* only a new prefix fails: take it out again (rl -> gc) */
		fib_trie_set(trie, &key->prefix, key->plen, NULL, gc);
	return rc;
}

/* Publish rl for the key of `key` in table t; defer the old list and the
 * routes in `gone`. On failure rl is freed and nothing changes. */
static int publish(struct fib_table *t, unsigned fi,
		   const struct fib_route *key, struct fib_rlist *rl,
		   struct fib_route *gone, char *err)
{
	struct fib_gc gc = { 0 };
	int rc = table_set(t, fi, key, rl, fib_batch ? &fib_batch->gc : &gc);

	if (rc) {
		fib_gc_flush(&gc);
		fib_err(err, rc == -ENOSPC ? "no room for another prefix in "
			"table %u" : "out of memory", t->id);
		return rc;
	}
	if (fib_batch)   /* `gone` waits in the undo record */
		return 0;
	entry_defer(&gc, gone);
	fib_gc_flush(&gc);
	return 0;
}

/* ---- batches ---- */

/* Room for one more undo record, taken before a change is made. */
static int batch_reserve(char *err)
{
	struct batch_op *ops;
	size_t cap;

	if (!fib_batch || fib_batch->n < fib_batch->cap)
		return 0;
	cap = fib_batch->cap ? fib_batch->cap * 2 : 1024;
	ops = realloc(fib_batch->ops, cap * sizeof(*ops));
	if (!ops) {
		fib_err(err, "out of memory");
		return -ENOMEM;
	}
	fib_batch->ops = ops;
	fib_batch->cap = cap;
	return 0;
}

static void batch_log(struct fib_table *t, unsigned fi,
		      struct fib_route *added, struct fib_route *removed,
		      uint32_t pos)
{
	if (fib_batch)
		fib_batch->ops[fib_batch->n++] =
			(struct batch_op){ t, fi, added, removed, pos };
}

int fib_batch_begin(char *err)
{
	if (fib_batch) {
		fib_err(err, "a route batch is already open");
		return -EBUSY;
	}
	fib_batch = calloc(1, sizeof(*fib_batch));
	if (!fib_batch) {
		fib_err(err, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void batch_end(void)
{
	fib_gc_flush(&fib_batch->gc);
	free(fib_batch->ops);
	free(fib_batch);
	fib_batch = NULL;
}

void fib_batch_commit(void)
{
	if (!fib_batch)
		return;
	for (size_t i = 0; i < fib_batch->n; i++)
		entry_defer(&fib_batch->gc, fib_batch->ops[i].removed);
	batch_end();
}

static uint32_t rlist_find(const struct fib_rlist *rl,
			   const struct fib_route *r)
{
	uint32_t i = 0;

	while (i < rl->n && rl->r[i] != r)
		i++;
	return i;
}

/* Undo one change; the table is as the change left it. */
static void batch_undo(const struct batch_op *op, struct fib_gc *gc)
{
	const struct fib_route *key = op->added ? op->added : op->removed;
	struct fib_rlist *cur = fib_trie_get(&op->t->trie[op->fi],
					     &key->prefix, key->plen);
	struct fib_rlist *rl = NULL;
	uint32_t i = op->added && cur ? rlist_find(cur, op->added) : 0;
	bool empty = false;

	if (op->added && (!cur || i == cur->n)) {
		log_msg(LOG_ERR, "fib: batch undo lost track of a route");
		return;
	}
	if (op->added && op->removed) {
		rl = rlist_alloc(cur->n);
		if (rl) {
			memcpy(rl->r, cur->r, cur->n * sizeof(cur->r[0]));
			rl->r[i] = op->removed;
		}
	} else if (op->added) {
		rl = rlist_remove(cur, i, &empty);
	} else {
		rl = rlist_insert(cur, op->pos, op->removed);
	}
	if ((!rl && !empty) || table_set(op->t, op->fi, key, rl, gc) != 0) {
		log_msg(LOG_ERR, "fib: out of memory undoing a route batch; "
			"a route stays changed");
		return;
	}
	entry_defer(gc, op->added);
}

void fib_batch_abort(void)
{
	if (!fib_batch)
		return;
	for (size_t i = fib_batch->n; i-- > 0;)
		batch_undo(&fib_batch->ops[i], &fib_batch->gc);
	batch_end();
}

/* ---- add / del ---- */

/* Where a new route goes in old (Linux fib_table_insert): sets *pos and
 * *replace (the route at *pos is to be replaced rather than pushed back).
 * Returns 0, 1 when an identical route is being replaced (no change), or
 * -errno with err filled. */
static int place_route(const struct fib_rlist *old, const struct fib_route *e,
		       unsigned flags, uint32_t *pos, bool *replace, char *err)
{
	uint32_t n = old ? old->n : 0, first = 0, same = 0;
	int match = -1;
	char buf[INET6_ADDRSTRLEN];

	*replace = false;
	while (first < n && old->r[first]->metric < e->metric)
		first++;
	while (first + same < n && old->r[first + same]->metric == e->metric) {
		if (match < 0 && route_same(old->r[first + same], e))
			match = (int)(first + same);
		same++;
	}
	*pos = first;
	if (same == 0)
		return 0;
	if (flags & FIB_F_EXCL) {
		fib_err(err, "route %s/%u metric %u already exists in table %u",
			addr_str(e->family, &e->prefix, buf), e->plen,
			e->metric, e->table);
		return -EEXIST;
	}
	if (flags & FIB_F_REPLACE) {
		if (match == (int)first)
			return 1;   /* identical: nothing to do */
		*replace = true;
	} else if (flags & FIB_F_APPEND) {
		*pos = first + same;
	}
	if (match >= 0) {
		fib_err(err, "an identical route %s/%u metric %u exists in "
			"table %u", addr_str(e->family, &e->prefix, buf),
			e->plen, e->metric, e->table);
		return -EEXIST;
	}
	return 0;
}

/* A route using nexthop object nhid: found, and fit for r. */
static int check_nhobj(const struct fib_route *r, uint32_t nhid,
		       struct fib_nhobj **o, char *err)
{
	int rc = check_prefix(r->family, &r->prefix, r->plen, err);
	int f;

	if (rc)
		return rc;
	if (r->type != FIB_UNICAST) {
		fib_err(err, "a %s route cannot use a nexthop object (nhid %u)",
			fib_type_name(r->type), nhid);
		return -EINVAL;
	}
	if (r->nnh) {
		fib_err(err, "a route with nhid %u takes no other nexthops",
			nhid);
		return -EINVAL;
	}
	*o = fib_nhobj_find(nhid);
	if (!*o) {
		fib_err(err, "no nexthop with id %u", nhid);
		return -EINVAL;
	}
	f = fib_nhobj_family(*o);
	if (f && f != r->family) {
		fib_err(err, "nexthop %u has an %s gateway: it cannot serve "
			"an %s route", nhid, f == AF_INET ? "IPv4" : "IPv6",
			r->family == AF_INET ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	return 0;
}

int fib_route_add(const struct fib_route *r, unsigned flags, char *err)
{
	return fib_route_add_nh(r, 0, flags, err);
}

int fib_route_add_nh(const struct fib_route *r, uint32_t nhid, unsigned flags,
		     char *err)
{
	uint32_t table = table_norm(r->table), pos;
	const unsigned known = FIB_F_EXCL | FIB_F_REPLACE | FIB_F_APPEND;
	struct fib_nhobj *nho = NULL;
	struct fib_entry_ext *x;
	struct fib_route *gone;
	struct fib_entry *e;
	struct fib_table *t;
	struct fib_trie *trie;
	struct fib_rlist *old, *rl;
	bool replace;
	int rc;

	if (flags & ~known) {
		fib_err(err, "unknown route flags 0x%x", flags & ~known);
		return -EINVAL;
	}
	rc = nhid ? check_nhobj(r, nhid, &nho, err) : check_route(r, err);
	if (!rc)
		rc = batch_reserve(err);
	if (rc)
		return rc;
	e = entry_new(r, table, nho);
	t = e ? table_get_or_create(table) : NULL;
	if (!t) {
		free(e);
		fib_err(err, "out of memory");
		return -ENOMEM;
	}
	trie = &t->trie[family_idx(r->family)];
	old = fib_trie_get(trie, &e->r.prefix, e->r.plen);
	rc = place_route(old, &e->r, flags, &pos, &replace, err);
	if (rc != 0) {
		free(e);
		return rc < 0 ? rc : 0;
	}
	x = entry_ext(&e->r);
	x->fwd = fib_fwd_get(&e->r, nho);
	if (!x->fwd) {
		free(e);
		fib_err(err, "out of memory");
		return -ENOMEM;
	}
	if (replace) {
		rl = rlist_alloc(old->n);
		if (rl) {
			memcpy(rl->r, old->r, old->n * sizeof(old->r[0]));
			rl->r[pos] = &e->r;
		}
	} else {
		rl = rlist_insert(old, pos, &e->r);
	}
	if (!rl) {
		entry_drop(&e->r);
		fib_err(err, "out of memory");
		return -ENOMEM;
	}
	gone = replace ? old->r[pos] : NULL;
	rc = publish(t, family_idx(r->family), &e->r, rl, gone, err);
	if (rc)
		entry_drop(&e->r);
	else
		batch_log(t, family_idx(r->family), &e->r, gone, pos);
	return rc;
}

/* Does a stored nexthop match a request's nexthop on the fields it sets? */
static bool nh_matches(int family, const struct fib_nh *want,
		       const struct fib_nh *have)
{
	if (want->ifindex && want->ifindex != have->ifindex)
		return false;
	if (want->has_gw &&
	    (!have->has_gw || !addr_eq(family, &want->gw, &have->gw)))
		return false;
	return !want->weight || want->weight == have->weight;
}

static bool nh_unset(const struct fib_nh *nh)
{
	return !nh->has_gw && !nh->ifindex;
}

static bool del_matches(const struct fib_route *want,
			const struct fib_nhobj *want_nho,
			const struct fib_route *have)
{
	if (want_nho && want_nho != entry_ext(have)->nho)
		return false;
	if (want->type && want->type != have->type)
		return false;
	if (want->metric && want->metric != have->metric)
		return false;
	if (want->nnh == 0 || (want->nnh == 1 && nh_unset(&want->nh[0])))
		return true;
	if (want->nnh == 1)   /* Linux compares with the first nexthop */
		return have->nnh >= 1 &&
		       nh_matches(want->family, &want->nh[0], &have->nh[0]);
	if (want->nnh != have->nnh)
		return false;
	for (unsigned i = 0; i < want->nnh; i++)
		if (!nh_matches(want->family, &want->nh[i], &have->nh[i]))
			return false;
	return true;
}

int fib_route_del(const struct fib_route *r, char *err)
{
	return fib_route_del_nh(r, 0, err);
}

int fib_route_del_nh(const struct fib_route *r, uint32_t nhid, char *err)
{
	uint32_t table = table_norm(r->table);
	struct fib_nhobj *nho = NULL;
	struct fib_table *t;
	struct fib_trie *trie;
	struct fib_rlist *old, *rl;
	struct fib_route *gone;
	char buf[INET6_ADDRSTRLEN];
	bool empty;
	int rc;

	rc = check_prefix(r->family, &r->prefix, r->plen, err);
	if (rc)
		return rc;
	if (r->nnh > FIB_NH_MAX) {
		fib_err(err, "too many nexthops: %u (max %u)", r->nnh,
			FIB_NH_MAX);
		return -EINVAL;
	}
	if (nhid && !(nho = fib_nhobj_find(nhid))) {
		fib_err(err, "no nexthop with id %u", nhid);
		return -ENOENT;
	}
	rc = batch_reserve(err);
	if (rc)
		return rc;
	t = table_find(table);
	trie = t ? &t->trie[family_idx(r->family)] : NULL;
	old = trie ? fib_trie_get(trie, &r->prefix, r->plen) : NULL;
	for (uint32_t i = 0; old && i < old->n; i++) {
		if (!del_matches(r, nho, old->r[i]))
			continue;
		gone = old->r[i];
		rl = rlist_remove(old, i, &empty);
		if (!rl && !empty) {
			fib_err(err, "out of memory");
			return -ENOMEM;
		}
		rc = publish(t, family_idx(r->family), gone, rl, gone, err);
		if (!rc)
			batch_log(t, family_idx(r->family), NULL, gone, i);
		return rc;
	}
	fib_err(err, "no such route %s/%u in table %u",
		addr_str(r->family, &r->prefix, buf), r->plen, table);
	return -ENOENT;
}

/* ---- device flush ---- */

static bool route_uses_dev(const struct fib_route *r, void *arg)
{
	uint32_t ifindex = *(const uint32_t *)arg;

	for (unsigned i = 0; i < r->nnh; i++)
		if (r->nh[i].ifindex == ifindex)
			return true;
	return false;
}

struct flush_ctx {
	bool (*pred)(const struct fib_route *r, void *arg);  /* route goes */
	void *arg;
	struct fib_route **keys;    /* one route per prefix to change */
	size_t n, cap;
	bool oom;
};

static void flush_collect(struct fib_rlist *rl, void *arg)
{
	struct flush_ctx *c = arg;
	struct fib_route **nk;
	size_t cap;
	bool hit = false;

	for (uint32_t i = 0; i < rl->n && !hit; i++)
		hit = c->pred(rl->r[i], c->arg);
	if (!hit || c->oom)
		return;
	if (c->n == c->cap) {
		cap = c->cap ? c->cap * 2 : 64;
		nk = realloc(c->keys, cap * sizeof(*nk));
		if (!nk) {
			c->oom = true;
			return;
		}
		c->keys = nk;
		c->cap = cap;
	}
	c->keys[c->n++] = rl->r[0];
}

/* Drop the routes of one prefix that c->pred picks; false on OOM. */
static bool flush_prefix(struct fib_table *t, unsigned fi,
			 const struct fib_route *key,
			 const struct flush_ctx *c, struct fib_gc *gc)
{
	struct fib_rlist *old = fib_trie_get(&t->trie[fi], &key->prefix,
					     key->plen);
	struct fib_rlist *rl;
	uint32_t keep = 0;

	for (uint32_t i = 0; i < old->n; i++)
		keep += !c->pred(old->r[i], c->arg);
	rl = keep ? rlist_alloc(keep) : NULL;
	if (keep && !rl)
		return false;
	for (uint32_t i = 0, j = 0; i < old->n; i++)
		if (!c->pred(old->r[i], c->arg))
			rl->r[j++] = old->r[i];
	if (table_set(t, fi, key, rl, gc) != 0)
		return false;
	for (uint32_t i = 0; i < old->n; i++)
		if (c->pred(old->r[i], c->arg))
			entry_defer(gc, old->r[i]);
	return true;
}

static void flush_trie(struct fib_table *t, unsigned fi,
		       bool (*pred)(const struct fib_route *r, void *arg),
		       void *arg, struct fib_gc *gc)
{
	struct flush_ctx c = { .pred = pred, .arg = arg };
	size_t done = 0;

	fib_trie_walk(&t->trie[fi], flush_collect, &c);
	for (; done < c.n; done++)
		if (!flush_prefix(t, fi, c.keys[done], &c, gc))
			break;
	if (c.oom || done < c.n)
		log_msg(LOG_ERR, "fib: out of memory flushing routes of table "
			"%u; some remain", t->id);
	free(c.keys);
}

void fib_route_flush_if(bool (*pred)(const struct fib_route *r, void *arg),
			void *arg)
{
	struct fib_gc gc = { 0 };

	for (struct fib_table *t = fib_tables; t; t = t->next) {
		flush_trie(t, 0, pred, arg, &gc);
		flush_trie(t, 1, pred, arg, &gc);
	}
	fib_gc_flush(&gc);
}

void fib_flush_dev(uint32_t ifindex)
{
	if (ifindex)
		fib_route_flush_if(route_uses_dev, &ifindex);
}

const struct fib_nhobj *fib_route_nhobj(const struct fib_route *r)
{
	if (r->table == FIB_TABLE_UNSPEC)   /* a static result, not stored */
		return NULL;
	return entry_ext(r)->nho;
}

/* ---- lookup ---- */

/* The result of prefix id with forwarding object f found in table for a
 * flow hash: f's own nexthops or its nexthop object's (fib_nh_select,
 * hash-threshold); an object that is a blackhole turns the result into a
 * blackhole route. Reads f, not the route. */
static void entry_result(uint32_t id, const struct fib_fwd *f, uint32_t hash,
			 uint32_t table, struct fib_result *res)
{
	bool blackhole = false;

	res->fixed_route = NULL;
	res->id = id;
	res->fwd = f;
	res->table = table;
	if (!f->nho) {
		res->nh = fib_nh_select(f->nh, f->nnh, f->wsum, hash);
		return;
	}
	res->nh = fib_nhobj_select(f->nho, hash, &blackhole);
	if (blackhole) {
		res->fixed_route = fib_blackhole_route(f->family);
		res->id = 0;
		res->fwd = fib_fwd_static(f->family, FIB_BLACKHOLE);
	}
}

bool fib_table_lookup(uint32_t table, int family, const union pkt_addr *dst,
		      uint32_t hash, struct fib_result *res)
{
	const struct fib_table *t;
	const struct fib_lpm *l;
	uint32_t id;

	if (!family_ok(family))
		return false;
	table = table_norm(table);
	t = table_find(table);
	if (!t)
		return false;
	l = t->lpm[family_idx(family)];
	id = fib_lpm_lookup(l, dst);
	if (!id)
		return false;
	entry_result(id, fib_lpm_fwd(l, id), hash, table, res);
	return true;
}

#define FIB_BATCH 64u

void fib_table_lookup_batch(uint32_t table, int family,
			    const union pkt_addr *dst, const uint32_t *hash,
			    unsigned n, struct fib_result *res, bool *found)
{
	const struct fib_fwd *fwd[FIB_BATCH];
	uint32_t id[FIB_BATCH];
	const struct fib_table *t = NULL;

	table = table_norm(table);
	if (family_ok(family))
		t = table_find(table);
	for (unsigned i = 0; i < n; i += FIB_BATCH) {
		unsigned m = n - i < FIB_BATCH ? n - i : FIB_BATCH;

		if (!t) {
			memset(&found[i], 0, m * sizeof(*found));
			continue;
		}
		fib_lpm_lookup_batch(t->lpm[family_idx(family)], &dst[i], m,
				     id, fwd);
		for (unsigned j = 0; j < m; j++) {
			found[i + j] = fwd[j] != NULL;
			if (fwd[j])
				entry_result(id[j], fwd[j],
					     hash ? hash[i + j] : 0, table,
					     &res[i + j]);
		}
	}
}

const struct fib_route *fib_result_route(const struct fib_result *res)
{
	const struct fib_table *t;

	if (res->fixed_route || !res->id)
		return res->fixed_route;
	t = table_find(res->table);
	return t ? fib_lpm_route(t->lpm[family_idx(res->fwd->family)], res->id)
		 : NULL;
}

bool fib_lookup(const struct fib_flow *fl, struct fib_result *res)
{
	res->fwd = NULL;   /* set by table hits, not by rule verdicts */
	if (!fib_rules_lookup(fl, res))
		return false;
	if (!res->fwd)
		res->fwd = fib_fwd_static(res->fixed_route->family,
					  res->fixed_route->type);
	return true;
}

/* ---- batched policy lookups ---- */

/* Look the flows idx[0..m) of v up in table; returns the misses, left in
 * idx[0..return). */
static unsigned vec_table(struct fib_vec *v, uint32_t table, unsigned *idx,
			  unsigned m)
{
	union pkt_addr dst[FIB_VEC_MAX];
	uint32_t hash[FIB_VEC_MAX];
	struct fib_result res[FIB_VEC_MAX];
	bool found[FIB_VEC_MAX];
	unsigned k = 0;

	if (!m || m > FIB_VEC_MAX)
		return m;
	for (unsigned j = 0; j < m; j++) {
		dst[j] = v->fl[idx[j]].dst;
		hash[j] = v->fl[idx[j]].hash;
	}
	fib_table_lookup_batch(table, v->family, dst, hash, m, res, found);
	for (unsigned j = 0; j < m; j++) {
		if (!found[j]) {
			idx[k++] = idx[j];
			continue;
		}
		v->res[idx[j]] = res[j];
		v->found[idx[j]] = true;
	}
	return k;
}

/* When the flows' rule walk is the same as searching a fixed list of tables
 * in order: fib_rules_plain_tables for flows in no VRF, the VRF's table
 * alone for VRF flows when fib_rules_l3mdev_direct. */
bool fib_lookup_vec(struct fib_vec *v)
{
	uint32_t tables[FIB_RULES_PLAIN_MAX];
	unsigned idx[FIB_VEC_MAX], m = v->n, nt;

	if (v->l3mdev_table) {
		tables[0] = v->l3mdev_table;
		nt = fib_rules_l3mdev_direct(v->family) ? 1 : 0;
	} else {
		nt = fib_rules_plain_tables(v->family, tables,
					    FIB_RULES_PLAIN_MAX);
	}
	if (!nt || v->n > FIB_VEC_MAX) {
		for (unsigned i = 0; i < v->n; i++)
			v->found[i] = fib_lookup(&v->fl[i], &v->res[i]);
		return false;
	}
	for (unsigned i = 0; i < m; i++) {
		idx[i] = i;
		v->found[i] = false;
	}
	for (unsigned t = 0; t < nt && m; t++)
		m = vec_table(v, tables[t], idx, m);
	return true;
}

/* ---- walk ---- */

struct walk_ctx {
	void (*fn)(const struct fib_route *r, void *arg);
	void *arg;
};

static void walk_list(struct fib_rlist *rl, void *arg)
{
	struct walk_ctx *c = arg;

	for (uint32_t i = 0; i < rl->n; i++)
		c->fn(rl->r[i], c->arg);
}

void fib_walk(uint32_t table, int family,
	      void (*fn)(const struct fib_route *r, void *arg), void *arg)
{
	struct walk_ctx c = { fn, arg };

	if (family && !family_ok(family))
		return;
	for (struct fib_table *t = fib_tables; t; t = t->next) {
		if (table && t->id != table)
			continue;
		if (family != AF_INET6)
			fib_trie_walk(&t->trie[0], walk_list, &c);
		if (family != AF_INET)
			fib_trie_walk(&t->trie[1], walk_list, &c);
	}
}
