/* Bridge device: a learning Ethernet switch (802.1D) with optional 802.1Q
 * VLAN filtering over any Ethernet devices, which is also an L3 interface.
 *
 *   link add br0 type bridge [ageing_time S] [vlan_filtering 0|1]
 *                            [default_pvid N]
 *   link set p1 master br0 | nomaster
 *   fdb ... / bridge vlan ... / bridge set ...   (commands: bridge.h)
 *
 * Design note.
 * Ports. Enslaving p1 publishes a struct br_port as p1's rx_handler_data and
 *   br_rx as its rx_handler, so Ethernet input hands every frame received on
 *   p1 to the bridge (after p1's own VLAN devices took theirs). The port list
 *   is an RCU-published array replaced on change; a released port is
 *   unhooked and marked dead first, its FDB entries removed after a grace
 *   period, and it is freed after a second one.
 * Forwarding (br_rx, on p1's worker). Drop bad source MACs; classify the
 *   VLAN (filtering on: the tag, or p1's PVID; off: VID 0 and frames pass
 *   exactly as they came); learn (source MAC, VID) -> p1; then by
 *   destination:
 *     br0's own MAC or a local FDB entry  up to br0 (dev_rx_to_upper, ANOTHER)
 *     known unicast                       the entry's port, never the ingress
 *                                         port (no hairpin)
 *     broadcast / multicast               every other member port + up to br0
 *     01:80:c2:00:00:0X (STP, LACP ...)   only up to br0
 *     unknown unicast                     every other member port
 *   Flood copies are clones (shared data); a copy that needs a tag pushed or
 *   popped gets a private head first (pkt_make_writable when shared). The
 *   checksum state and GSO fields are never touched, and no L3 metadata is
 *   built: the egress port's dev_xmit fixes up only what that port lacks.
 *   Forwarded frames are staged with worker_tx, so they leave in bursts.
 * The bridge's own transmit (br_tx_burst: frames usnet's L3 sends on br0)
 *   runs the same selection with br0 as the ingress port ("self"): no
 *   learning, nothing delivered back up, multicast flooded to all ports.
 * FDB. A fixed array of hash chains read under RCU without locks. Workers
 *   insert newly learned entries under a spinlock (a new MAC is rare) and
 *   refresh existing ones with atomic stores (port; last-seen time written
 *   at most every BR_TOUCH_MS). Only the control thread removes entries
 *   (aging sweep, fdb del/flush, VLAN or port removal) and frees them after
 *   a grace period. Static entries never age and never move.
 * VLANs. Each port and br0 itself ("self") has an RCU-published membership
 *   (member and untagged bitmaps, PVID), replaced as a whole on change.
 *   Ingress: an untagged or priority-tagged frame takes the PVID (dropped
 *   without one), a tagged frame must be a member. Egress: the port must be
 *   a member of the VID; the frame leaves untagged where the VID is
 *   untagged, tagged elsewhere. The same rules decide delivery up to br0.
 * Counters (conservation on every device). The ingress port counts
 *   `forwarded` once for a frame sent to one or more ports, `to_upper`
 *   instead when the frame (also) goes up to br0, or an rx drop when it goes
 *   nowhere. Each egress port counts `fwd_in` for its copy. br0 counts rx for
 *   frames handed up, and one tx (or one tx drop) per frame it transmits,
 *   however many ports it floods to. */
#include "l2/bridge.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include "core/util.h"
#include "core/worker.h"
#include "ctl/out.h"
#include "dev/drivers.h"
#include "l2/eth.h"

#define BR_FDB_BITS 12u
#define BR_FDB_BUCKETS (1u << BR_FDB_BITS)
#define BR_TOUCH_MS 100u
#define BR_VID_WORDS (VLAN_N_VID / 64u)
#define BR_VID_MAX 4094u
#define BR_FEATURES                                                            \
	(DEV_F_SG | DEV_F_CSUM | DEV_F_TSO4 | DEV_F_TSO6 | DEV_F_USO |         \
	 DEV_F_FRAGLIST)
#define BR_ERR 256u
#define BR_MAC_STR 18u

enum {
	BR_FDB_STATIC = 1u << 0, /* user entry: never ages, never moves */
};

/* VLAN membership of a port; the two bits of a VID share a cache line. */
struct br_vlan {
	uint16_t pvid;                  /* 0 = none */
	struct {
		uint64_t member, untagged;
	} w[BR_VID_WORDS];
};

struct bridge;

struct br_port {
	struct dev *dev;
	uint32_t ifindex;       /* of dev, to notice a port freed before us */
	struct bridge *br;
	struct br_vlan *vlan;   /* RCU */
	bool dead;              /* atomic: released; entries here are stale */
};

struct br_portlist {
	unsigned n;
	struct br_port *p[];
};

struct br_fdb {
	struct br_fdb *next;    /* RCU hash chain */
	struct br_fdb *gone;    /* control thread: removed, awaiting free */
	uint64_t key;           /* MAC << 16 | VID */
	struct br_port *port;   /* atomic; &bridge.self for a local entry */
	uint64_t seen_ms;       /* atomic */
	uint8_t flags;          /* atomic; BR_FDB_* */
};

struct bridge {
	struct dev *dev;
	struct br_port self;            /* br0 as a port of its own */
	struct br_portlist *ports;      /* RCU */
	struct br_fdb **fdb;            /* BR_FDB_BUCKETS RCU chains */
	pthread_spinlock_t fdb_lock;    /* serializes chain writers */
	uint32_t fdb_count;             /* written under fdb_lock */
	uint64_t ageing_ms;             /* atomic */
	bool vlan_filtering;            /* atomic */
	uint16_t default_pvid;          /* control thread */
};

/* How one frame is classified while it crosses the bridge. */
struct br_frame {
	uint16_t vid;
	bool tagged;            /* carries its 802.1Q tag now */
	bool filter;            /* VLAN filtering was on when it arrived */
};

static const struct dev_ops br_ops;

/* ------------------------------------------------------------- helpers */

static inline uint64_t br_key(const uint8_t *mac, uint16_t vid)
{
	return (uint64_t)get_be32(mac) << 32 |
	       (uint64_t)get_be16(mac + 4) << 16 | vid;
}

static inline void br_key_mac(uint64_t key, uint8_t mac[6])
{
	put_be32(mac, (uint32_t)(key >> 32));
	put_be16(mac + 4, (uint16_t)(key >> 16));
}

static inline uint16_t br_key_vid(uint64_t key)
{
	return (uint16_t)key;
}

static inline uint32_t br_hash(uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> (64 - BR_FDB_BITS));
}

static inline bool br_vlan_member(const struct br_vlan *v, uint16_t vid)
{
	return (v->w[vid >> 6].member >> (vid & 63)) & 1;
}

static inline bool br_vlan_untagged(const struct br_vlan *v, uint16_t vid)
{
	return (v->w[vid >> 6].untagged >> (vid & 63)) & 1;
}

static inline void br_vlan_put(struct br_vlan *v, uint16_t vid, bool member,
			       bool untagged)
{
	uint64_t bit = 1ull << (vid & 63);

	v->w[vid >> 6].member = (v->w[vid >> 6].member & ~bit) | (member ? bit : 0);
	v->w[vid >> 6].untagged =
		(v->w[vid >> 6].untagged & ~bit) | (untagged ? bit : 0);
}

static inline bool br_up(const struct dev *d)
{
	return __atomic_load_n(&d->oper_up, __ATOMIC_ACQUIRE);
}

/* 01:80:c2:00:00:00..0f: bridge group addresses, never forwarded. */
static inline bool br_link_local(const uint8_t *dst)
{
	static const uint8_t grp[5] = { 0x01, 0x80, 0xc2, 0x00, 0x00 };
	return memcmp(dst, grp, 5) == 0 && (dst[5] & 0xf0) == 0;
}

/* ----------------------------------------------------------------- FDB */

static struct br_fdb *br_fdb_find(const struct bridge *br, uint64_t key)
{
	struct br_fdb *e = rcu_dereference(br->fdb[br_hash(key)]);

	while (e && e->key != key)
		e = rcu_dereference(e->next);
	return e;
}

/* The entry for key, inserted with (port, flags, now) when absent. NULL
 * when the table is full or memory ran out. Any thread. */
static struct br_fdb *br_fdb_get(struct bridge *br, uint64_t key,
				 struct br_port *port, uint8_t flags,
				 uint64_t now)
{
	uint32_t h = br_hash(key);
	struct br_fdb *e, *n;

	if (__atomic_load_n(&br->fdb_count, __ATOMIC_RELAXED) >= BRIDGE_FDB_MAX)
		return br_fdb_find(br, key); /* full: no allocation per frame */
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->key = key;
	n->port = port;
	n->flags = flags;
	n->seen_ms = now;
	pthread_spin_lock(&br->fdb_lock);
	for (e = br->fdb[h]; e && e->key != key; e = e->next)
		;
	if (!e && br->fdb_count < BRIDGE_FDB_MAX) {
		n->next = br->fdb[h];
		rcu_assign_pointer(br->fdb[h], n);
		__atomic_store_n(&br->fdb_count, br->fdb_count + 1, __ATOMIC_RELAXED);
		e = n;
		n = NULL;
	}
	pthread_spin_unlock(&br->fdb_lock);
	free(n);
	return e;
}

/* Learn that (src, vid) is behind port `in`. Worker threads. */
static void br_learn(struct bridge *br, struct br_port *in, const uint8_t *src,
		     uint16_t vid, uint64_t now)
{
	uint64_t key = br_key(src, vid);
	struct br_fdb *e = br_fdb_find(br, key);

	if (unlikely(!e)) {
		br_fdb_get(br, key, in, 0, now);
		return;
	}
	if (__atomic_load_n(&e->flags, __ATOMIC_RELAXED))
		return;
	if (__atomic_load_n(&e->port, __ATOMIC_RELAXED) != in)
		__atomic_store_n(&e->port, in, __ATOMIC_RELAXED);
	if (now > __atomic_load_n(&e->seen_ms, __ATOMIC_RELAXED) + BR_TOUCH_MS)
		__atomic_store_n(&e->seen_ms, now, __ATOMIC_RELAXED);
}

typedef bool (*br_fdb_match_fn)(const struct br_fdb *e, const void *arg);

/* Unlink every entry that matches; returns them as a `gone` list. Control
 * thread. */
static struct br_fdb *br_fdb_unlink(struct bridge *br, br_fdb_match_fn match,
				    const void *arg)
{
	struct br_fdb *gone = NULL;

	pthread_spin_lock(&br->fdb_lock);
	for (uint32_t h = 0; h < BR_FDB_BUCKETS; h++) {
		struct br_fdb **pp = &br->fdb[h], *e;
		while ((e = *pp)) {
			if (!match(e, arg)) {
				pp = &e->next;
				continue;
			}
			rcu_assign_pointer(*pp, e->next);
			e->gone = gone;
			gone = e;
			__atomic_store_n(&br->fdb_count, br->fdb_count - 1, __ATOMIC_RELAXED);
		}
	}
	pthread_spin_unlock(&br->fdb_lock);
	return gone;
}

/* Free unlinked entries once no reader can hold them. Control thread. */
static unsigned br_fdb_free(struct br_fdb *gone)
{
	unsigned n = 0;

	if (!gone)
		return 0;
	synchronize_rcu();
	while (gone) {
		struct br_fdb *next = gone->gone;
		free(gone);
		gone = next;
		n++;
	}
	return n;
}

static unsigned br_fdb_remove(struct bridge *br, br_fdb_match_fn match,
			      const void *arg)
{
	return br_fdb_free(br_fdb_unlink(br, match, arg));
}

static bool br_match_port(const struct br_fdb *e, const void *arg)
{
	return e->port == arg;
}

static bool br_match_port_dynamic(const struct br_fdb *e, const void *arg)
{
	return e->port == arg && !e->flags;
}

static bool br_match_dynamic(const struct br_fdb *e, const void *arg)
{
	return !e->flags;
}

struct br_age {
	uint64_t now, ageing;
};

static bool br_fdb_expired(const struct br_fdb *e, const struct br_age *a)
{
	uint64_t seen = __atomic_load_n(&e->seen_ms, __ATOMIC_RELAXED);
	return !__atomic_load_n(&e->flags, __ATOMIC_RELAXED) && a->now > seen &&
	       a->now - seen >= a->ageing;
}

static bool br_match_expired(const struct br_fdb *e, const void *arg)
{
	return br_fdb_expired(e, arg);
}

/* Remove expired entries; the table is only locked when there are some. */
static void br_age_out(struct bridge *br, uint64_t now)
{
	struct br_age a = {
		now, __atomic_load_n(&br->ageing_ms, __ATOMIC_RELAXED)
	};
	bool any = false;

	for (uint32_t h = 0; h < BR_FDB_BUCKETS && !any; h++)
		for (struct br_fdb *e = rcu_dereference(br->fdb[h]); e && !any;
		     e = rcu_dereference(e->next))
			any = br_fdb_expired(e, &a);
	if (any)
		br_fdb_remove(br, br_match_expired, &a);
}

void bridge_timer(uint64_t now_ms)
{
	for (struct dev *d = dev_next(NULL); d; d = dev_next(d))
		if (d->ops == &br_ops)
			br_age_out(d->priv, now_ms);
}

/* --------------------------------------------------------------- VLANs */

/* Make p's head private with `room` bytes of headroom, in place. */
static int br_private_head(struct pkt *p, uint32_t room)
{
	uint32_t need = room ? 12 : ETH_HLEN + 4; /* MACs, or MACs + tag */

	if (pkt_is_shared(p) && pkt_make_writable(p) < 0)
		return -1;
	return pkt_headroom(p) >= room && p->len >= need ? 0 : -1;
}

static void br_l2_moved(struct pkt *p)
{
	if (p->l2_off != PKT_OFF_UNSET)
		p->l2_off = pkt_off(p, p->data);
}

static void br_tag_push(struct pkt *p, uint16_t vid)
{
	uint8_t *eh = pkt_push(p, 4);

	if (!eh) /* br_private_head() made room: cannot happen */
		return;
	memmove(eh, eh + 4, 12);
	put_be16(eh + 12, ETH_P_8021Q);
	put_be16(eh + 14, vid);
	br_l2_moved(p);
}

static void br_tag_pop(struct pkt *p)
{
	memmove(p->data + 4, p->data, 12);
	pkt_pull(p, 4);
	br_l2_moved(p);
}

/* Give p the form an egress wants (tagged with f->vid or untagged), in
 * place. 0, or -1 when memory ran out (p unchanged). */
static int br_vlan_out(struct pkt *p, const struct br_frame *f, bool tag)
{
	if (tag == f->tagged)
		return 0;
	if (br_private_head(p, tag ? 4 : 0) < 0)
		return -1;
	if (tag)
		br_tag_push(p, f->vid);
	else
		br_tag_pop(p);
	return 0;
}

/* Ingress classification on `port` (a port, or self for br0's transmit).
 * DROP_NONE, or why the frame may not enter. */
static enum drop_reason br_vlan_in(const struct bridge *br,
				   const struct br_port *port, struct pkt *p,
				   struct br_frame *f)
{
	const struct br_vlan *v;
	uint16_t vid;

	f->vid = 0;
	f->tagged = false;
	f->filter = __atomic_load_n(&br->vlan_filtering, __ATOMIC_RELAXED);
	if (!f->filter)
		return DROP_NONE;
	v = rcu_dereference(port->vlan);
	if (get_be16(p->data + 12) == ETH_P_8021Q) {
		if (p->len < ETH_HLEN + 4)
			return DROP_ETH_TRUNCATED;
		vid = get_be16(p->data + 14) & 0xfff;
		if (vid) {
			if (!br_vlan_member(v, vid))
				return DROP_BR_VLAN_FILTERED;
			f->vid = vid;
			f->tagged = true;
			return DROP_NONE;
		}
		/* priority-tagged: as untagged */
		if (br_private_head(p, 0) < 0)
			return DROP_NOMEM;
		br_tag_pop(p);
	}
	if (!v->pvid)
		return DROP_BR_VLAN_FILTERED;
	f->vid = v->pvid;
	return DROP_NONE;
}

/* May a frame of f's VLAN leave through q, and tagged or not? */
static bool br_allowed_out(const struct br_port *q, const struct br_frame *f,
			   bool *tag)
{
	const struct br_vlan *v;

	*tag = false;
	if (!f->filter)
		return true;
	v = rcu_dereference(q->vlan);
	if (!br_vlan_member(v, f->vid))
		return false;
	*tag = !br_vlan_untagged(v, f->vid);
	return true;
}

/* ------------------------------------------------------------ delivery */

/* Frames for one device, sent together (the bridge's own transmit path,
 * which has no worker context to stage on). */
struct br_run {
	struct dev *dev;
	uint16_t n;
	struct pkt *p[PKT_MAX_BURST];
};

/* Where copies go: staged on the worker (w) or in a run. */
struct br_out {
	struct worker *w;
	struct br_run *run;
};

static void br_run_flush(struct br_run *r)
{
	if (r->n)
		dev_xmit(r->dev, r->p, r->n);
	r->n = 0;
}

static void br_run_add(struct br_run *r, struct dev *d, struct pkt *p)
{
	if (r->n && (r->dev != d || r->n == PKT_MAX_BURST))
		br_run_flush(r);
	r->dev = d;
	r->p[r->n++] = p;
}

/* Hand p to egress port q, counted there as fwd_in. Takes ownership. */
static void br_emit(const struct br_out *o, struct br_port *q, struct pkt *p,
		    const struct br_frame *f, bool tag)
{
	struct dev *qd = q->dev;

	dev_stats_here(qd)->fwd_in++;
	if (unlikely(br_vlan_out(p, f, tag) < 0)) {
		dev_tx_drop(qd, p, DROP_NOMEM);
		return;
	}
	if (o->w)
		worker_tx(o->w, qd, p);
	else
		br_run_add(o->run, qd, p);
}

static void br_emit_clone(const struct br_out *o, struct br_port *q,
			  const struct pkt *p, const struct br_frame *f,
			  bool tag)
{
	struct pkt *c = pkt_clone(p);

	if (unlikely(!c)) {
		struct dev_stats *s = dev_stats_here(q->dev);
		s->fwd_in++;
		s->tx_drops[DROP_NOMEM]++;
		return;
	}
	br_emit(o, q, c, f, tag);
}

/* Send p to every port but `in` that is up and may carry f's VLAN: clones,
 * and p itself to the last one unless `keep`. Returns how many ports it
 * went to; with 0, p is untouched and still the caller's. */
static unsigned br_flood(const struct br_out *o, struct bridge *br,
			 const struct br_port *in, struct pkt *p,
			 const struct br_frame *f, bool keep)
{
	const struct br_portlist *pl = rcu_dereference(br->ports);
	struct br_port *prev = NULL;
	bool prev_tag = false, tag;
	unsigned n = 0;

	for (unsigned i = 0; i < pl->n; i++) {
		struct br_port *q = pl->p[i];
		if (q == in || !br_up(q->dev) || !br_allowed_out(q, f, &tag))
			continue;
		if (prev) {
			br_emit_clone(o, prev, p, f, prev_tag);
			n++;
		}
		prev = q;
		prev_tag = tag;
	}
	if (!prev)
		return 0;
	if (keep)
		br_emit_clone(o, prev, p, f, prev_tag);
	else
		br_emit(o, prev, p, f, prev_tag);
	return n + 1;
}

enum br_dest {
	BR_TO_PORT,             /* known unicast: target.port */
	BR_FLOOD,               /* unknown unicast */
	BR_FLOOD_LOCAL,         /* broadcast / multicast: ports and br0 */
	BR_LOCAL,               /* for br0 only */
	BR_DROP,                /* target.why */
};

struct br_target {
	enum br_dest kind;
	struct br_port *port;
	enum drop_reason why;
};

/* Where a frame entering through `in` goes, by destination MAC. */
static void br_lookup(struct bridge *br, const struct br_port *in,
		      const struct pkt *p, const struct br_frame *f,
		      struct br_target *t)
{
	const uint8_t *dst = p->data;
	struct br_fdb *e;
	struct br_port *q;

	if (eth_is_mcast(dst)) {
		t->kind = br_link_local(dst) ? BR_LOCAL : BR_FLOOD_LOCAL;
		return;
	}
	if (memcmp(dst, br->dev->mac, 6) == 0) {
		t->kind = BR_LOCAL;
		return;
	}
	e = br_fdb_find(br, br_key(dst, f->vid));
	if (!e) {
		t->kind = BR_FLOOD;
		return;
	}
	q = __atomic_load_n(&e->port, __ATOMIC_RELAXED);
	if (q == in) {
		t->kind = BR_DROP;
		t->why = DROP_BR_SAME_PORT;
	} else if (q == &br->self) {
		t->kind = BR_LOCAL;
	} else if (__atomic_load_n(&q->dead, __ATOMIC_RELAXED)) {
		t->kind = BR_FLOOD;
	} else {
		t->kind = BR_TO_PORT;
		t->port = q;
	}
}

/* Send p up to br0 in the form br0's own VLAN membership wants. */
static enum rx_handler_result br_deliver_up(struct bridge *br,
					    struct br_port *in, struct pkt *p,
					    const struct br_frame *f, bool tag)
{
	if (unlikely(br_vlan_out(p, f, tag) < 0)) {
		dev_rx_drop(in->dev, p, DROP_NOMEM);
		return RX_HANDLER_CONSUMED;
	}
	dev_rx_to_upper(in->dev, br->dev, p);
	return RX_HANDLER_ANOTHER;
}

static enum rx_handler_result br_input(struct worker *w, struct bridge *br,
				       struct br_port *in, struct pkt *p,
				       const struct br_frame *f)
{
	struct br_out o = { .w = w };
	struct dev *d = in->dev;
	struct br_target t;
	bool tag, up_tag = false;

	br_lookup(br, in, p, f, &t);
	if ((t.kind == BR_LOCAL || t.kind == BR_FLOOD_LOCAL) &&
	    !br_allowed_out(&br->self, f, &up_tag)) {
		t.kind = t.kind == BR_LOCAL ? BR_DROP : BR_FLOOD;
		t.why = DROP_BR_VLAN_FILTERED;
	}
	switch (t.kind) {
	case BR_TO_PORT:
		if (!br_allowed_out(t.port, f, &tag)) {
			dev_rx_drop(d, p, DROP_BR_VLAN_FILTERED);
			break;
		}
		dev_stats_here(d)->forwarded++;
		br_emit(&o, t.port, p, f, tag);
		break;
	case BR_FLOOD:
		if (br_flood(&o, br, in, p, f, false))
			dev_stats_here(d)->forwarded++;
		else
			dev_rx_drop(d, p, DROP_BR_NO_PORT);
		break;
	case BR_FLOOD_LOCAL:
		br_flood(&o, br, in, p, f, true);
		return br_deliver_up(br, in, p, f, up_tag);
	case BR_LOCAL:
		return br_deliver_up(br, in, p, f, up_tag);
	case BR_DROP:
		dev_rx_drop(d, p, t.why);
		break;
	}
	return RX_HANDLER_CONSUMED;
}

/* The rx_handler of every port. */
static enum rx_handler_result br_rx(struct worker *w, struct dev *d,
				    struct pkt *p)
{
	struct br_port *in = __atomic_load_n(&d->rx_handler_data,
					     __ATOMIC_ACQUIRE);
	const uint8_t *src;
	struct bridge *br;
	struct br_frame f;
	enum drop_reason r;

	if (unlikely(!in))
		return RX_HANDLER_PASS;
	br = in->br;
	if (unlikely(!br_up(br->dev))) {
		dev_rx_drop(d, p, DROP_DEV_DOWN);
		return RX_HANDLER_CONSUMED;
	}
	src = p->data + 6;
	if (unlikely(eth_is_mcast(src) || eth_is_zero(src))) {
		dev_rx_drop(d, p, DROP_ETH_BAD_SRC);
		return RX_HANDLER_CONSUMED;
	}
	r = br_vlan_in(br, in, p, &f);
	if (unlikely(r != DROP_NONE)) {
		dev_rx_drop(d, p, r);
		return RX_HANDLER_CONSUMED;
	}
	src = p->data + 6; /* a priority tag may have been removed */
	if (likely(memcmp(src, br->dev->mac, 6) != 0))
		br_learn(br, in, src, f.vid, w->now_ms);
	return br_input(w, br, in, p, &f);
}

/* One frame of br0's own transmit. Counts it on br0 (tx or tx drop). */
static void br_xmit_one(struct bridge *br, struct br_run *run, struct pkt *p)
{
	struct br_out o = { .run = run };
	struct dev *bd = br->dev;
	uint32_t len = p->total_len;
	struct br_target t;
	struct br_frame f;
	enum drop_reason r;
	bool tag;

	if (unlikely(p->len < ETH_HLEN)) {
		dev_tx_drop(bd, p, DROP_ETH_TRUNCATED);
		return;
	}
	r = br_vlan_in(br, &br->self, p, &f);
	if (unlikely(r != DROP_NONE)) {
		dev_tx_drop(bd, p, r);
		return;
	}
	if (eth_is_mcast(p->data))
		t.kind = BR_FLOOD;
	else
		br_lookup(br, &br->self, p, &f, &t);
	switch (t.kind) {
	case BR_TO_PORT:
		if (!br_allowed_out(t.port, &f, &tag)) {
			dev_tx_drop(bd, p, DROP_BR_VLAN_FILTERED);
			return;
		}
		br_emit(&o, t.port, p, &f, tag);
		break;
	case BR_FLOOD:
		if (!br_flood(&o, br, &br->self, p, &f, false)) {
			dev_tx_drop(bd, p, DROP_BR_NO_PORT);
			return;
		}
		break;
	default: /* to br0 itself */
		dev_tx_drop(bd, p, DROP_BR_SAME_PORT);
		return;
	}
	drv_tx_count(bd, len);
}

static uint16_t br_tx_burst(struct dev *d, struct pkt **pkts, uint16_t n)
{
	struct bridge *br = d->priv;
	struct br_run run;

	run.n = 0;
	for (uint16_t i = 0; i < n; i++)
		br_xmit_one(br, &run, pkts[i]);
	br_run_flush(&run);
	return n;
}

/* --------------------------------------------------------------- ports */

static struct br_vlan *br_vlan_default(uint16_t pvid)
{
	struct br_vlan *v = calloc(1, sizeof(*v));

	if (v && pvid) {
		v->pvid = pvid;
		br_vlan_put(v, pvid, true, true);
	}
	return v;
}

static struct br_portlist *br_portlist_alloc(unsigned n)
{
	struct br_portlist *pl = calloc(1, sizeof(*pl) + n * sizeof(pl->p[0]));

	if (pl)
		pl->n = n;
	return pl;
}

static struct br_port *br_port_of(const struct bridge *br, const struct dev *d)
{
	const struct br_portlist *pl = br->ports;

	if (d == br->dev)
		return (struct br_port *)&br->self;
	for (unsigned i = 0; i < pl->n; i++)
		if (pl->p[i]->dev == d)
			return pl->p[i];
	return NULL;
}

static int br_add_slave(struct dev *bd, struct dev *slave, char *err)
{
	struct bridge *br = bd->priv;
	struct br_portlist *old = br->ports, *pl;
	struct br_port *port;

	if (slave->ops == &br_ops) {
		drv_errf(err, "bridge: %s is a bridge and cannot be a port of %s",
			 slave->name, bd->name);
		return -ELOOP;
	}
	if (!slave->has_l2) {
		drv_errf(err, "bridge: %s is not an Ethernet device", slave->name);
		return -EINVAL;
	}
	if (slave->rx_handler) {
		drv_errf(err, "bridge: %s already has an upper device (macvlan, bond ...)",
			 slave->name);
		return -EBUSY;
	}
	if (old->n >= BRIDGE_PORTS_MAX) {
		drv_errf(err, "bridge: %s already has %u ports", bd->name,
			 BRIDGE_PORTS_MAX);
		return -ENOSPC;
	}
	port = calloc(1, sizeof(*port));
	pl = br_portlist_alloc(old->n + 1);
	if (port)
		port->vlan = br_vlan_default(br->default_pvid);
	if (!port || !pl || !port->vlan) {
		if (port)
			free(port->vlan);
		free(port);
		free(pl);
		drv_errf(err, "bridge: out of memory");
		return -ENOMEM;
	}
	port->dev = slave;
	port->ifindex = slave->ifindex;
	port->br = br;
	memcpy(pl->p, old->p, old->n * sizeof(old->p[0]));
	pl->p[old->n] = port;
	rcu_assign_pointer(br->ports, pl);
	__atomic_store_n(&slave->rx_handler_data, port, __ATOMIC_RELEASE);
	rcu_assign_pointer(slave->rx_handler, br_rx);
	if (slave->mtu < bd->mtu)
		__atomic_store_n(&bd->mtu, slave->mtu, __ATOMIC_RELAXED);
	synchronize_rcu();
	free(old);
	return 0;
}

static void br_port_free(struct br_port *port)
{
	free(port->vlan);
	free(port);
}

static void br_del_slave(struct dev *bd, struct dev *slave)
{
	struct bridge *br = bd->priv;
	struct br_portlist *old = br->ports, *pl;
	struct br_port *port = br_port_of(br, slave);
	unsigned k = 0;

	if (!port || port == &br->self)
		return;
	pl = br_portlist_alloc(old->n - 1);
	if (pl) {
		for (unsigned i = 0; i < old->n; i++)
			if (old->p[i] != port)
				pl->p[k++] = old->p[i];
	} else {
		/* No memory: remove in place; a flood running meanwhile may
		 * miss or repeat one port once. */
		pl = old;
		old = NULL;
		for (unsigned i = 0; i < pl->n; i++) {
			if (pl->p[i] != port)
				continue;
			__atomic_store_n(&pl->p[i], pl->p[pl->n - 1], __ATOMIC_RELEASE);
			__atomic_store_n(&pl->n, pl->n - 1, __ATOMIC_RELEASE);
			break;
		}
	}
	__atomic_store_n(&port->dead, true, __ATOMIC_RELEASE);
	rcu_assign_pointer(slave->rx_handler, NULL);
	rcu_assign_pointer(br->ports, pl);
	synchronize_rcu();
	slave->rx_handler_data = NULL;
	free(old);
	/* Nobody learns on the port any more: its entries can go. */
	br_fdb_remove(br, br_match_port, port);
	br_port_free(port);
}

/* ------------------------------------------------------------- driver */

static bool br_match_all(const struct br_fdb *e, const void *arg)
{
	return true;
}

static void br_destroy(struct dev *bd)
{
	struct bridge *br = bd->priv;
	struct br_portlist *pl = br->ports;

	/* Unhook the ports still registered (at shutdown a port may have been
	 * freed before the bridge: leave it alone then). */
	for (unsigned i = 0; i < pl->n; i++) {
		struct br_port *port = pl->p[i];
		if (dev_get(port->ifindex) != port->dev)
			continue;
		rcu_assign_pointer(port->dev->rx_handler, NULL);
		if (port->dev->master == bd)
			port->dev->master = NULL;
	}
	synchronize_rcu();
	for (unsigned i = 0; i < pl->n; i++) {
		struct br_port *port = pl->p[i];
		if (dev_get(port->ifindex) == port->dev)
			port->dev->rx_handler_data = NULL;
	}
	br_fdb_remove(br, br_match_all, NULL);
	for (unsigned i = 0; i < pl->n; i++)
		br_port_free(pl->p[i]);
	free(pl);
	free(br->self.vlan);
	free(br->fdb);
	pthread_spin_destroy(&br->fdb_lock);
}

static void br_describe(struct dev *bd, struct ctl_out *o)
{
	struct bridge *br = bd->priv;
	const struct br_portlist *pl = br->ports;
	unsigned ageing_s = (unsigned)(br->ageing_ms / 1000);

	out_text(o, " bridge ageing_time %u vlan_filtering %d default_pvid %u ports %u fdb %u",
		 ageing_s, br->vlan_filtering, br->default_pvid, pl->n,
		 br->fdb_count);
	out_u64(o, "ageing_time", ageing_s);
	out_u64(o, "vlan_filtering", br->vlan_filtering);
	out_u64(o, "default_pvid", br->default_pvid);
	out_u64(o, "fdb_entries", br->fdb_count);
	out_arr_begin(o, "ports");
	for (unsigned i = 0; i < pl->n; i++)
		out_str(o, NULL, pl->p[i]->dev->name);
	out_arr_end(o);
}

static const struct dev_ops br_ops = {
	.kind = "bridge",
	.open = drv_open_nothing,
	.close = drv_close_nothing,
	.rx_burst = drv_rx_nothing,
	.tx_burst = br_tx_burst,
	.rx_fd = drv_no_fd,
	.set_mtu = drv_set_mtu_any,
	.set_mac = drv_set_mac_any,
	.destroy = br_destroy,
	.describe = br_describe,
	.rx_done = drv_rx_always_done,
	.add_slave = br_add_slave,
	.del_slave = br_del_slave,
};

struct br_cfg {
	uint32_t ageing_s;
	uint32_t vlan_filtering;
	uint32_t default_pvid;
};

/* Parse `[ageing_time S] [vlan_filtering 0|1] [default_pvid N]` from
 * argv[start..]: fields not given keep their value in c. */
static int br_parse_opts(const char *kind, int argc, char **argv, int start,
			 struct br_cfg *c, char *err)
{
	for (int i = start; i < argc; i++) {
		const char *k = argv[i], *v;
		uint32_t *field, max;
		uint32_t min = 0;

		if (!strcmp(k, "ageing_time")) {
			field = &c->ageing_s;
			min = 1;
			max = BRIDGE_MAX_AGEING_S;
		} else if (!strcmp(k, "vlan_filtering")) {
			field = &c->vlan_filtering;
			max = 1;
		} else if (!strcmp(k, "default_pvid")) {
			field = &c->default_pvid;
			max = BR_VID_MAX;
		} else {
			return drv_err_unknown(kind, k, err);
		}
		if (drv_arg_value(kind, argc, argv, &i, &v, err) < 0 ||
		    drv_parse_u32(kind, k, v, min, max, field, err) < 0)
			return -1;
	}
	return 0;
}

static struct dev *br_create(const char *name, int argc, char **argv,
			     char *err)
{
	struct br_cfg c = { BRIDGE_DEFAULT_AGEING_S, 0, 1 };
	struct br_fdb **fdb;
	struct br_portlist *pl;
	struct br_vlan *self_vlan;
	struct bridge *br;
	struct dev *d;

	if (br_parse_opts("bridge", argc, argv, 0, &c, err) < 0)
		return NULL;
	fdb = calloc(BR_FDB_BUCKETS, sizeof(*fdb));
	pl = br_portlist_alloc(0);
	self_vlan = br_vlan_default((uint16_t)c.default_pvid);
	d = fdb && pl && self_vlan
		    ? drv_alloc("bridge", name, &br_ops, sizeof(*br), err)
		    : NULL;
	if (!d) {
		if (!fdb || !pl || !self_vlan)
			drv_errf(err, "bridge: out of memory");
		free(fdb);
		free(pl);
		free(self_vlan);
		return NULL;
	}
	br = d->priv;
	br->dev = d;
	br->fdb = fdb;
	br->ports = pl;
	br->self.dev = d;
	br->self.br = br;
	br->self.vlan = self_vlan;
	pthread_spin_init(&br->fdb_lock, PTHREAD_PROCESS_PRIVATE);
	br->ageing_ms = (uint64_t)c.ageing_s * 1000;
	br->vlan_filtering = c.vlan_filtering;
	br->default_pvid = (uint16_t)c.default_pvid;
	d->features = BR_FEATURES;
	return d;
}

const struct dev_driver bridge_driver = {
	.kind = "bridge",
	.usage = "[ageing_time SECONDS] [vlan_filtering 0|1] [default_pvid 0..4094]",
	.create = br_create,
};

/* ------------------------------------------------------------ queries */

bool bridge_is_bridge(const struct dev *d)
{
	return d && d->ops == &br_ops;
}

uint32_t bridge_fdb_port(const struct dev *bd, const uint8_t mac[6],
			 uint16_t vid)
{
	const struct br_fdb *e;

	if (!bridge_is_bridge(bd))
		return 0;
	e = br_fdb_find(bd->priv, br_key(mac, vid));
	return e ? e->port->dev->ifindex : 0;
}

unsigned bridge_fdb_count(const struct dev *bd)
{
	return bridge_is_bridge(bd) ? ((struct bridge *)bd->priv)->fdb_count : 0;
}

/* ------------------------------------------------------------ commands */

struct br_words {
	int argc;
	char **argv;
	int i;
	const char *cmd;        /* "fdb" or "bridge": prefixes errors */
	char *err;
};

static int br_fail(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int br_fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, BR_ERR, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *bw_next(struct br_words *w)
{
	return w->i < w->argc ? w->argv[w->i++] : NULL;
}

static const char *bw_value(struct br_words *w, const char *key)
{
	const char *v = bw_next(w);

	if (!v)
		br_fail(w->err, "%s: missing value after '%s'", w->cmd, key);
	return v;
}

static int bw_unknown(struct br_words *w, const char *word)
{
	return br_fail(w->err, "%s: unknown argument '%.64s'", w->cmd, word);
}

/* `KEY NAME`: a device given once. */
static int bw_dev(struct br_words *w, const char *key, struct dev **d)
{
	const char *name;

	if (*d)
		return br_fail(w->err, "%s: '%s' given twice", w->cmd, key);
	name = bw_value(w, key);
	if (!name)
		return -1;
	*d = dev_by_name(name);
	if (!*d)
		return br_fail(w->err, "%s: unknown device '%.64s'", w->cmd,
			       name);
	return 0;
}

static int bw_u32(struct br_words *w, const char *key, uint32_t min,
		  uint32_t max, uint32_t *v)
{
	const char *s = bw_value(w, key);

	if (!s)
		return -1;
	return drv_parse_u32(w->cmd, key, s, min, max, v, w->err);
}

/* The bridge and port of d: a port of a bridge, or (self_ok) a bridge. */
static int br_resolve(struct br_words *w, struct dev *d, bool self_ok,
		      struct bridge **brp, struct br_port **portp)
{
	struct dev *m = bridge_is_bridge(d) ? d : d->master;

	if (!m || !bridge_is_bridge(m))
		return br_fail(w->err, "%s: %s is not a bridge port", w->cmd,
			       d->name);
	if (m == d && !self_ok)
		return br_fail(w->err, "%s: %s is a bridge, not a bridge port",
			       w->cmd, d->name);
	*brp = m->priv;
	*portp = br_port_of(*brp, d);
	return *portp ? 0 : br_fail(w->err, "%s: %s is not a port of %s",
				    w->cmd, d->name, m->name);
}

/* Bridges to walk: `only` (a bridge) or every bridge. */
static struct dev *br_next_bridge(struct dev *prev, const struct dev *only)
{
	if (only)
		return prev ? NULL : (struct dev *)only;
	for (struct dev *d = dev_next(prev); d; d = dev_next(d))
		if (bridge_is_bridge(d))
			return d;
	return NULL;
}

/* ------------------------------------------------------------ fdb */

struct fdb_req {
	uint8_t mac[6];
	struct dev *dev, *br_dev;
	bool has_vlan, dynamic, replace;
	uint32_t vid;
	struct bridge *br;
	struct br_port *port;
};

static int fdb_parse_mac(struct br_words *w, struct fdb_req *q)
{
	const char *s = bw_next(w);

	if (!s)
		return br_fail(w->err, "fdb: missing MAC address");
	if (drv_parse_mac("fdb", "MAC address", s, q->mac, w->err) < 0)
		return -1;
	if (eth_is_mcast(q->mac) || eth_is_zero(q->mac))
		return br_fail(w->err,
			       "fdb: MAC address '%s' is not a unicast address",
			       s);
	return 0;
}

/* `fdb add|replace|del MAC dev NAME [vlan N] [master] [static|dynamic]` */
static int fdb_parse_change(struct br_words *w, bool del, struct fdb_req *q)
{
	const char *k;

	if (fdb_parse_mac(w, q) < 0)
		return -1;
	while ((k = bw_next(w))) {
		if (!strcmp(k, "dev")) {
			if (bw_dev(w, k, &q->dev) < 0)
				return -1;
		} else if (!strcmp(k, "vlan")) {
			if (q->has_vlan)
				return br_fail(w->err, "fdb: 'vlan' given twice");
			if (bw_u32(w, k, 1, BR_VID_MAX, &q->vid) < 0)
				return -1;
			q->has_vlan = true;
		} else if (!strcmp(k, "master")) {
			continue;
		} else if (!del && !strcmp(k, "static")) {
			q->dynamic = false;
		} else if (!del && !strcmp(k, "dynamic")) {
			q->dynamic = true;
		} else {
			return bw_unknown(w, k);
		}
	}
	if (!q->dev)
		return br_fail(w->err, "fdb: missing 'dev NAME'");
	if (br_resolve(w, q->dev, true, &q->br, &q->port) < 0)
		return -1;
	if (q->has_vlan && q->br->vlan_filtering &&
	    !br_vlan_member(q->port->vlan, (uint16_t)q->vid))
		return br_fail(w->err, "fdb: vlan %u is not configured on %s",
			       q->vid, q->dev->name);
	return 0;
}

/* The VIDs an entry without `vlan` stands for: 0, plus every VLAN of the
 * port when the bridge filters (as Linux does). Returns the count. */
static unsigned fdb_vids(const struct fdb_req *q, uint16_t *vids)
{
	unsigned n = 0;

	if (q->has_vlan) {
		vids[n++] = (uint16_t)q->vid;
		return n;
	}
	vids[n++] = 0;
	if (q->br->vlan_filtering)
		for (uint16_t v = 1; v <= BR_VID_MAX; v++)
			if (br_vlan_member(q->port->vlan, v))
				vids[n++] = v;
	return n;
}

static void fdb_mac_str(const uint8_t mac[6], char *buf)
{
	snprintf(buf, BR_MAC_STR, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static int fdb_add(struct br_words *w, struct fdb_req *q)
{
	uint8_t flags = q->dynamic ? 0 : BR_FDB_STATIC;
	uint64_t now = time_ms();
	uint16_t vids[VLAN_N_VID];
	unsigned n = fdb_vids(q, vids), fresh = 0;
	bool moved = false;
	char mac[BR_MAC_STR];

	fdb_mac_str(q->mac, mac);
	for (unsigned i = 0; i < n; i++) {
		struct br_fdb *e = br_fdb_find(q->br, br_key(q->mac, vids[i]));
		if (!e)
			fresh++;
		else if (e->flags && !q->replace)
			return br_fail(w->err,
				       "fdb: %s vlan %u already exists on %s (use 'fdb replace')",
				       mac, vids[i], e->port->dev->name);
	}
	if (q->br->fdb_count + fresh > BRIDGE_FDB_MAX)
		return br_fail(w->err, "fdb: the FDB of %s is full (%u entries)",
			       q->br->dev->name, BRIDGE_FDB_MAX);
	/* Existing entries: flags first, so that no learner moves them once
	 * their new port is stored after the grace period. */
	for (unsigned i = 0; i < n; i++) {
		struct br_fdb *e = br_fdb_find(q->br, br_key(q->mac, vids[i]));
		if (!e)
			continue;
		moved |= !e->flags;
		__atomic_store_n(&e->flags, flags, __ATOMIC_RELAXED);
	}
	if (moved)
		synchronize_rcu();
	for (unsigned i = 0; i < n; i++) {
		struct br_fdb *e = br_fdb_get(q->br, br_key(q->mac, vids[i]),
					      q->port, flags, now);
		if (!e)
			return br_fail(w->err, "fdb: out of memory");
		__atomic_store_n(&e->port, q->port, __ATOMIC_RELAXED);
		__atomic_store_n(&e->seen_ms, now, __ATOMIC_RELAXED);
	}
	return 0;
}

struct fdb_sel {
	uint64_t mac_key;       /* br_key(mac, 0) */
	const struct br_port *port;
	bool has_vlan;
	uint16_t vid;
};

static bool fdb_match_sel(const struct br_fdb *e, const void *arg)
{
	const struct fdb_sel *s = arg;

	return (e->key & ~0xffffull) == s->mac_key && e->port == s->port &&
	       (!s->has_vlan || br_key_vid(e->key) == s->vid);
}

static int fdb_del(struct br_words *w, struct fdb_req *q)
{
	struct fdb_sel s = { br_key(q->mac, 0), q->port, q->has_vlan,
			     (uint16_t)q->vid };
	char mac[BR_MAC_STR];

	if (br_fdb_remove(q->br, fdb_match_sel, &s))
		return 0;
	fdb_mac_str(q->mac, mac);
	if (q->has_vlan)
		return br_fail(w->err, "fdb: no entry for %s vlan %u on %s", mac,
			       q->vid, q->dev->name);
	return br_fail(w->err, "fdb: no entry for %s on %s", mac, q->dev->name);
}

/* `fdb flush [br NAME] [dev NAME]`: learned entries. */
static int fdb_flush(struct br_words *w)
{
	struct dev *only_br = NULL, *dev = NULL, *bd = NULL;
	struct bridge *br;
	struct br_port *port = NULL;
	const char *k;

	while ((k = bw_next(w))) {
		if (!strcmp(k, "br")) {
			if (bw_dev(w, k, &only_br) < 0)
				return -1;
			if (!bridge_is_bridge(only_br))
				return br_fail(w->err, "fdb: %s is not a bridge",
					       only_br->name);
		} else if (!strcmp(k, "dev")) {
			if (bw_dev(w, k, &dev) < 0)
				return -1;
		} else {
			return bw_unknown(w, k);
		}
	}
	if (dev) {
		if (br_resolve(w, dev, true, &br, &port) < 0)
			return -1;
		if (only_br && only_br != br->dev)
			return br_fail(w->err, "fdb: %s is not a port of %s",
				       dev->name, only_br->name);
		br_fdb_remove(br, br_match_port_dynamic, port);
		return 0;
	}
	while ((bd = br_next_bridge(bd, only_br)))
		br_fdb_remove(bd->priv, br_match_dynamic, NULL);
	return 0;
}

static void fdb_show_line(struct ctl_out *o, const char *mac, const char *dev,
			  uint16_t vid, const char *br, const char *state,
			  int64_t age_s)
{
	out_text(o, "%s dev %s", mac, dev);
	if (vid)
		out_text(o, " vlan %u", vid);
	out_text(o, " master %s%s%s\n", br, state[0] ? " " : "", state);
	out_obj_begin(o, NULL);
	out_str(o, "mac", mac);
	out_str(o, "ifname", dev);
	if (vid)
		out_u64(o, "vlan", vid);
	out_arr_begin(o, "flags");
	out_arr_end(o);
	out_str(o, "master", br);
	out_str(o, "state", state);
	if (age_s >= 0)
		out_i64(o, "updated", age_s);
	out_obj_end(o);
}

struct fdb_filter {
	const struct dev *dev;
	bool has_vlan;
	uint16_t vid;
};

static void fdb_show_bridge(struct ctl_out *o, struct bridge *br,
			    const struct fdb_filter *f, uint64_t now)
{
	char mac[BR_MAC_STR];
	uint8_t m[6];

	if ((!f->dev || f->dev == br->dev) && !f->has_vlan) {
		fdb_mac_str(br->dev->mac, mac);
		fdb_show_line(o, mac, br->dev->name, 0, br->dev->name,
			      "permanent", -1);
	}
	for (uint32_t h = 0; h < BR_FDB_BUCKETS; h++) {
		for (const struct br_fdb *e = br->fdb[h]; e; e = e->next) {
			const struct br_port *p = e->port;
			uint16_t vid = br_key_vid(e->key);
			uint64_t seen = e->seen_ms;
			const char *state = p == &br->self ? "permanent"
					    : e->flags      ? "static"
							    : "";
			if ((f->dev && f->dev != p->dev) ||
			    (f->has_vlan && f->vid != vid))
				continue;
			br_key_mac(e->key, m);
			fdb_mac_str(m, mac);
			fdb_show_line(o, mac, p->dev->name, vid, br->dev->name,
				      state,
				      e->flags ? -1
					       : (int64_t)((now > seen ? now - seen : 0) / 1000));
		}
	}
}

/* `fdb show [br NAME] [dev NAME] [vlan N]` */
static int fdb_show(struct br_words *w, struct ctl_out *o)
{
	struct dev *only_br = NULL, *bd = NULL;
	struct fdb_filter f = { 0 };
	uint64_t now = time_ms();
	struct dev *dev = NULL;
	uint32_t vid;
	const char *k;

	while ((k = bw_next(w))) {
		if (!strcmp(k, "br")) {
			if (bw_dev(w, k, &only_br) < 0)
				return -1;
			if (!bridge_is_bridge(only_br))
				return br_fail(w->err, "fdb: %s is not a bridge",
					       only_br->name);
		} else if (!strcmp(k, "dev")) {
			if (bw_dev(w, k, &dev) < 0)
				return -1;
		} else if (!strcmp(k, "vlan")) {
			if (f.has_vlan)
				return br_fail(w->err, "fdb: 'vlan' given twice");
			if (bw_u32(w, k, 0, BR_VID_MAX, &vid) < 0)
				return -1;
			f.has_vlan = true;
			f.vid = (uint16_t)vid;
		} else {
			return bw_unknown(w, k);
		}
	}
	f.dev = dev;
	out_arr_begin(o, NULL);
	while ((bd = br_next_bridge(bd, only_br)))
		fdb_show_bridge(o, bd->priv, &f, now);
	out_arr_end(o);
	return 0;
}

int bridge_cmd_fdb(int argc, char **argv, struct ctl_out *out, char *err)
{
	struct br_words w = { argc, argv, 1, "fdb", err };
	const char *verb = bw_next(&w);
	struct fdb_req q;

	memset(&q, 0, sizeof(q));
	if (!verb || !strcmp(verb, "show") || !strcmp(verb, "list"))
		return fdb_show(&w, out);
	if (!strcmp(verb, "flush"))
		return fdb_flush(&w);
	if (!strcmp(verb, "add") || !strcmp(verb, "replace")) {
		q.replace = !strcmp(verb, "replace");
		if (fdb_parse_change(&w, false, &q) < 0)
			return -1;
		return fdb_add(&w, &q);
	}
	if (!strcmp(verb, "del") || !strcmp(verb, "delete")) {
		if (fdb_parse_change(&w, true, &q) < 0)
			return -1;
		return fdb_del(&w, &q);
	}
	return br_fail(err, "fdb: unknown verb '%.64s' (add, replace, del, flush, show)",
		       verb);
}

/* ----------------------------------------------------------- bridge vlan */

struct vlan_req {
	struct dev *dev;
	uint32_t lo, hi;
	bool has_vid, pvid, untagged;
	struct bridge *br;
	struct br_port *port;
};

/* "N" or "N-M" within 1..4094. */
static int vlan_parse_vids(struct br_words *w, struct vlan_req *q)
{
	const char *s = bw_value(w, "vid");
	char lo[8], *dash;

	if (!s)
		return -1;
	if (q->has_vid)
		return br_fail(w->err, "bridge: 'vid' given twice");
	dash = strchr(s, '-');
	if (!dash)
		return drv_parse_u32("bridge", "vid", s, 1, BR_VID_MAX, &q->lo,
				     w->err) < 0
			       ? -1
			       : (q->hi = q->lo, q->has_vid = true, 0);
	if ((size_t)(dash - s) >= sizeof(lo) || dash == s)
		return br_fail(w->err, "bridge: invalid vid range '%.64s' (expected N-M within 1..%u)",
			       s, BR_VID_MAX);
	memcpy(lo, s, (size_t)(dash - s));
	lo[dash - s] = '\0';
	if (drv_parse_u32("bridge", "vid", lo, 1, BR_VID_MAX, &q->lo, w->err) < 0 ||
	    drv_parse_u32("bridge", "vid", dash + 1, 1, BR_VID_MAX, &q->hi,
			  w->err) < 0)
		return -1;
	if (q->hi < q->lo)
		return br_fail(w->err, "bridge: invalid vid range '%.64s' (end below start)",
			       s);
	q->has_vid = true;
	return 0;
}

static int vlan_parse(struct br_words *w, bool del, struct vlan_req *q)
{
	const char *k;

	while ((k = bw_next(w))) {
		if (!strcmp(k, "dev")) {
			if (bw_dev(w, k, &q->dev) < 0)
				return -1;
		} else if (!strcmp(k, "vid")) {
			if (vlan_parse_vids(w, q) < 0)
				return -1;
		} else if (!del && !strcmp(k, "pvid")) {
			q->pvid = true;
		} else if (!del && !strcmp(k, "untagged")) {
			q->untagged = true;
		} else if (!strcmp(k, "self") || !strcmp(k, "master")) {
			continue;
		} else {
			return bw_unknown(w, k);
		}
	}
	if (!q->dev)
		return br_fail(w->err, "bridge: missing 'dev NAME'");
	if (!q->has_vid)
		return br_fail(w->err, "bridge: missing 'vid N'");
	if (q->pvid && q->hi != q->lo)
		return br_fail(w->err, "bridge: 'pvid' needs a single vid, not the range %u-%u",
			       q->lo, q->hi);
	return br_resolve(w, q->dev, true, &q->br, &q->port);
}

/* Publish a new membership for port and free the old one. */
static void vlan_publish(struct br_port *port, struct br_vlan *v)
{
	struct br_vlan *old = port->vlan;

	rcu_assign_pointer(port->vlan, v);
	synchronize_rcu();
	free(old);
}

struct vid_range {
	const struct br_port *port;
	uint16_t lo, hi;
};

static bool br_match_port_vids_dynamic(const struct br_fdb *e, const void *arg)
{
	const struct vid_range *r = arg;
	uint16_t vid = br_key_vid(e->key);

	return e->port == r->port && vid >= r->lo && vid <= r->hi && !e->flags;
}

static int vlan_change(struct br_words *w, bool del)
{
	struct vlan_req q;
	struct br_vlan *v;

	memset(&q, 0, sizeof(q));
	if (vlan_parse(w, del, &q) < 0)
		return -1;
	for (uint32_t vid = q.lo; del && vid <= q.hi; vid++)
		if (!br_vlan_member(q.port->vlan, (uint16_t)vid))
			return br_fail(w->err, "bridge: vlan %u is not configured on %s",
				       vid, q.dev->name);
	v = malloc(sizeof(*v));
	if (!v)
		return br_fail(w->err, "bridge: out of memory");
	*v = *q.port->vlan;
	for (uint32_t vid = q.lo; vid <= q.hi; vid++) {
		br_vlan_put(v, (uint16_t)vid, !del, !del && q.untagged);
		if (!del && q.pvid)
			v->pvid = (uint16_t)vid;
		else if (v->pvid == vid)
			v->pvid = 0;
	}
	vlan_publish(q.port, v);
	if (del) {
		struct vid_range r = { q.port, (uint16_t)q.lo, (uint16_t)q.hi };
		br_fdb_remove(q.br, br_match_port_vids_dynamic, &r);
	}
	return 0;
}

static void vlan_show_port(struct ctl_out *o, const struct br_port *port)
{
	const struct br_vlan *v = port->vlan;
	bool first = true;

	out_obj_begin(o, NULL);
	out_str(o, "ifname", port->dev->name);
	out_arr_begin(o, "vlans");
	for (uint16_t vid = 1; vid <= BR_VID_MAX; vid++) {
		bool pvid = v->pvid == vid, untagged;
		if (!br_vlan_member(v, vid))
			continue;
		untagged = br_vlan_untagged(v, vid);
		out_text(o, "%-16s %u%s%s\n", first ? port->dev->name : "", vid,
			 pvid ? " PVID" : "", untagged ? " Egress Untagged" : "");
		first = false;
		out_obj_begin(o, NULL);
		out_u64(o, "vlan", vid);
		out_arr_begin(o, "flags");
		if (pvid)
			out_str(o, NULL, "PVID");
		if (untagged)
			out_str(o, NULL, "Egress Untagged");
		out_arr_end(o);
		out_obj_end(o);
	}
	if (first)
		out_text(o, "%-16s none\n", port->dev->name);
	out_arr_end(o);
	out_obj_end(o);
}

/* `bridge vlan show [dev NAME]` */
static int vlan_show(struct br_words *w, struct ctl_out *o)
{
	struct dev *dev = NULL, *bd = NULL;
	struct bridge *br = NULL;
	struct br_port *only = NULL;
	const char *k;

	while ((k = bw_next(w))) {
		if (strcmp(k, "dev"))
			return bw_unknown(w, k);
		if (bw_dev(w, k, &dev) < 0)
			return -1;
	}
	if (dev && br_resolve(w, dev, true, &br, &only) < 0)
		return -1;
	out_text(o, "%-16s %s\n", "port", "vlan-id");
	out_arr_begin(o, NULL);
	while ((bd = br_next_bridge(bd, br ? br->dev : NULL))) {
		const struct bridge *b = bd->priv;
		if (!only || only == &b->self)
			vlan_show_port(o, &b->self);
		for (unsigned i = 0; i < b->ports->n; i++)
			if (!only || only == b->ports->p[i])
				vlan_show_port(o, b->ports->p[i]);
	}
	out_arr_end(o);
	return 0;
}

static int bridge_vlan(struct br_words *w, struct ctl_out *o)
{
	const char *verb = bw_next(w);

	if (!verb || !strcmp(verb, "show") || !strcmp(verb, "list"))
		return vlan_show(w, o);
	if (!strcmp(verb, "add"))
		return vlan_change(w, false);
	if (!strcmp(verb, "del") || !strcmp(verb, "delete"))
		return vlan_change(w, true);
	return br_fail(w->err, "bridge: unknown vlan verb '%.64s' (add, del, show)",
		       verb);
}

/* `bridge set dev NAME [ageing_time S] [vlan_filtering 0|1] [default_pvid N]` */
static int bridge_set(struct br_words *w)
{
	struct dev *bd = NULL;
	struct bridge *br;
	struct br_cfg c;
	const char *k = bw_next(w);

	if (!k || strcmp(k, "dev"))
		return br_fail(w->err, "bridge: expected 'dev NAME' after 'set'");
	if (bw_dev(w, k, &bd) < 0)
		return -1;
	if (!bridge_is_bridge(bd))
		return br_fail(w->err, "bridge: %s is not a bridge", bd->name);
	br = bd->priv;
	c.ageing_s = (uint32_t)(br->ageing_ms / 1000);
	c.vlan_filtering = br->vlan_filtering;
	c.default_pvid = br->default_pvid;
	if (br_parse_opts("bridge", w->argc, w->argv, w->i, &c, w->err) < 0)
		return -1;
	__atomic_store_n(&br->ageing_ms, (uint64_t)c.ageing_s * 1000,
			 __ATOMIC_RELAXED);
	br->default_pvid = (uint16_t)c.default_pvid;
	if (c.vlan_filtering != br->vlan_filtering) {
		/* Learned VIDs mean something else now: forget them. */
		__atomic_store_n(&br->vlan_filtering, c.vlan_filtering != 0,
				 __ATOMIC_RELEASE);
		synchronize_rcu();
		br_fdb_remove(br, br_match_dynamic, NULL);
	}
	return 0;
}

int bridge_cmd(int argc, char **argv, struct ctl_out *out, char *err)
{
	struct br_words w = { argc, argv, 1, "bridge", err };
	const char *obj = bw_next(&w);

	if (obj && !strcmp(obj, "fdb"))
		return bridge_cmd_fdb(argc - 1, argv + 1, out, err);
	if (obj && !strcmp(obj, "vlan"))
		return bridge_vlan(&w, out);
	if (obj && !strcmp(obj, "set"))
		return bridge_set(&w);
	if (!obj)
		return br_fail(err, "bridge: missing object (fdb, vlan, set)");
	return br_fail(err, "bridge: unknown object '%.64s' (fdb, vlan, set)",
		       obj);
}
