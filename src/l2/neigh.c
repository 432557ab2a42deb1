/* Neighbor table for ARP and IPv6 ND: one state machine for both families
 * (RFC 4861 section 7.3, as Linux's net/core/neighbour.c).
 *
 * Design note. Entries sit in a fixed array of hash buckets keyed by
 * (ifindex, family, address). Bucket chains are RCU-published singly linked
 * lists, so workers find an entry and read its state and MAC without any
 * lock; the MAC is kept in one 64-bit word so that a reader never sees half
 * of an update. Everything that writes (creating entries, state changes,
 * the per-entry packet queue) holds one table mutex. Entries are unlinked
 * and freed only on the control thread (neigh_timer, neigh_del,
 * neigh_flush_dev, neigh_fini), after a grace period; a worker therefore
 * never keeps an entry pointer across the lock: it looks the entry up again
 * once it holds the mutex.
 *
 * Work that may re-enter the output path (sending solicitations, flushing a
 * resolved queue, dropping a failed queue through neigh_unreachable_hook)
 * runs after the mutex is released.
 *
 * Time: entries keep millisecond timestamps. Workers use w->now_ms (or the
 * monotonic clock when it is 0), neigh_timer the now_ms it is given.
 *
 * Queue overflow drops the OLDEST queued packet (as Linux does), so that
 * the most recent packets go out once the neighbor answers. */
#include "l2/neigh.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <urcu-qsbr.h>

#include "core/util.h"
#include "core/worker.h"
#include "ctl/out.h"
#include "dev/dev.h"
#include "l2/arp.h"
#include "l2/eth.h"
#include "l2/nd.h"
#include "l2/neigh_hook.h"

#define NEIGH_BUCKETS 16384u     /* power of two */
#define NEIGH_MAX_ENTRIES 65536u /* creation fails beyond (DROP_NEIGH_NO_ENTRY) */
#define NEIGH_BATCH 32u          /* solicitations sent per lock release */

struct neigh_params neigh_params = {
	.base_reachable_ms = 30000,
	.retrans_ms = 1000,
	.delay_probe_ms = 5000,
	.ucast_probes = 3,
	.mcast_probes = 3,
	.gc_stale_ms = 60000,
	.queue_len = 64,
};

void (*neigh_unreachable_hook)(struct worker *w, struct pkt *p, int family);

struct neigh_key {
	uint32_t ifindex;
	uint32_t family;
	union pkt_addr ip; /* bytes beyond the family's address are zero */
};

struct neigh {
	struct neigh *next;      /* bucket chain, RCU-published */
	struct neigh *dead_next; /* control thread's list of unlinked entries */
	struct neigh_key key;
	uint64_t mac;            /* 6 bytes (memcpy layout); atomic */
	uint8_t state;           /* enum neigh_state; atomic */
	uint64_t used_ms;        /* last use by neigh_output; atomic */
	/* Under neigh_lock: */
	uint64_t confirmed_ms;   /* last reachability confirmation */
	uint64_t deadline_ms;    /* next timer step (INCOMPLETE/DELAY/PROBE) */
	uint32_t reach_ms;       /* this confirmation's reachable time */
	uint32_t probes;         /* solicitations sent in this state */
	uint32_t qlen;
	struct pkt *qhead, *qtail; /* waiting packets, linked by qnext */
};

/* Solicitation to send once the lock is released. */
struct neigh_solicit_req {
	uint32_t ifindex;
	uint32_t family;
	union pkt_addr ip;
	bool unicast;
	uint8_t mac[6];
};

/* Deferred work collected by neigh_timer under the lock. */
struct neigh_batch {
	unsigned nsol;
	struct neigh_solicit_req sol[NEIGH_BATCH];
	struct pkt *failed;     /* packets of FAILED entries, by qnext */
	struct pkt **failed_tail;
	struct neigh *dead;     /* unlinked entries, by dead_next */
};

static struct neigh *neigh_buckets[NEIGH_BUCKETS];
static pthread_mutex_t neigh_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t neigh_count;      /* under neigh_lock */
static uint64_t neigh_queued;     /* atomic: packets in all queues */
static uint64_t neigh_seed = 0x9e3779b97f4a7c15ull;
static uint64_t neigh_rng = 0x2545f4914f6cdd1dull; /* under neigh_lock */

/* ---- small helpers ---------------------------------------------------- */

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h;
}

static void neigh_key_make(struct neigh_key *k, uint32_t ifindex, int family,
			   const union pkt_addr *ip)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = ifindex;
	k->family = (uint32_t)family;
	if (family == AF_INET)
		k->ip.v4 = ip->v4;
	else
		memcpy(k->ip.v6, ip->v6, 16);
}

static bool neigh_key_eq(const struct neigh_key *a, const struct neigh_key *b)
{
	return a->ifindex == b->ifindex && a->family == b->family &&
	       a->ip.v6q[0] == b->ip.v6q[0] && a->ip.v6q[1] == b->ip.v6q[1];
}

static struct neigh **neigh_bucket(const struct neigh_key *k)
{
	uint64_t h = neigh_seed ^ ((uint64_t)k->ifindex << 8) ^ k->family;

	h = mix64(h ^ k->ip.v6q[0]);
	h = mix64(h ^ k->ip.v6q[1]);
	return &neigh_buckets[h & (NEIGH_BUCKETS - 1)];
}

/* RCU reader (workers) or holder of neigh_lock. */
static struct neigh *neigh_find(const struct neigh_key *k)
{
	struct neigh *e = rcu_dereference(*neigh_bucket(k));

	for (; e; e = rcu_dereference(e->next))
		if (neigh_key_eq(&e->key, k))
			return e;
	return NULL;
}

static uint64_t mac_pack(const uint8_t mac[6])
{
	uint64_t v = 0;
	memcpy(&v, mac, 6);
	return v;
}

static void mac_unpack(uint64_t v, uint8_t mac[6])
{
	memcpy(mac, &v, 6);
}

static uint64_t neigh_mac_load(const struct neigh *e)
{
	return __atomic_load_n(&e->mac, __ATOMIC_RELAXED);
}

static enum neigh_state neigh_state_load(const struct neigh *e)
{
	return (enum neigh_state)__atomic_load_n(&e->state, __ATOMIC_ACQUIRE);
}

/* States in which the MAC is known and packets go out directly. */
static bool neigh_state_valid(enum neigh_state s)
{
	return s == NEIGH_REACHABLE || s == NEIGH_STALE || s == NEIGH_DELAY ||
	       s == NEIGH_PROBE || s == NEIGH_PERMANENT;
}

static void neigh_set_state(struct neigh *e, enum neigh_state s)
{
	__atomic_store_n(&e->state, (uint8_t)s, __ATOMIC_RELEASE);
}

static bool time_due(uint64_t now, uint64_t when)
{
	return (int64_t)(now - when) >= 0;
}

static uint64_t neigh_now(const struct worker *w)
{
	return w && w->now_ms ? w->now_ms : time_ms();
}

static uint16_t neigh_ethertype(uint32_t family)
{
	return family == AF_INET ? ETH_P_IP4 : ETH_P_IP6;
}

/* base_reachable_ms * uniform(0.5, 1.5), as Linux's neigh_rand_reach_time.
 * Under neigh_lock. */
static uint32_t neigh_rand_reach(void)
{
	uint32_t base = neigh_params.base_reachable_ms;

	neigh_rng ^= neigh_rng << 13;
	neigh_rng ^= neigh_rng >> 7;
	neigh_rng ^= neigh_rng << 17;
	return base ? base / 2 + (uint32_t)(neigh_rng % base) : 0;
}

/* Destination MACs that need no resolution: IPv4 limited broadcast and
 * multicast (RFC 1112 6.4), IPv6 multicast (RFC 2464 7). */
static bool neigh_map_mcast(uint32_t family, const union pkt_addr *ip,
			    uint8_t mac[6])
{
	if (family == AF_INET6) {
		if (ip->v6[0] != 0xff)
			return false;
		eth_mcast_from_ip6(ip->v6, mac);
		return true;
	}
	if (ip->v4 == 0xffffffffu) {
		memcpy(mac, eth_bcast, 6);
		return true;
	}
	uint32_t a = ntohl(ip->v4);
	if ((a & 0xf0000000u) != 0xe0000000u)
		return false;
	mac[0] = 0x01;
	mac[1] = 0x00;
	mac[2] = 0x5e;
	mac[3] = (uint8_t)((a >> 16) & 0x7f);
	mac[4] = (uint8_t)(a >> 8);
	mac[5] = (uint8_t)a;
	return true;
}

/* Is ip_be the directed broadcast of one of d's IPv4 subnets? */
static bool neigh_is_subnet_bcast(const struct dev *d, uint32_t ip_be)
{
	for (uint32_t i = 0; i < d->naddr; i++) {
		const struct dev_addr *a = &d->addr[i];
		if (a->family != AF_INET || a->plen == 0 || a->plen > 30)
			continue;
		uint32_t mask = htonl(~0u << (32 - a->plen));
		if ((a->addr.v4 | ~mask) == ip_be)
			return true;
	}
	return false;
}

/* Addresses that are never resolved (multicast, broadcast): no entries. */
static bool neigh_addr_unresolved(const struct dev *d, uint32_t family,
				  const union pkt_addr *ip)
{
	uint8_t mac[6];

	return neigh_map_mcast(family, ip, mac) ||
	       (family == AF_INET && neigh_is_subnet_bcast(d, ip->v4));
}

/* ---- entries and queues (under neigh_lock) ---------------------------- */

static struct neigh *neigh_create_locked(const struct neigh_key *k,
					 uint64_t now)
{
	struct neigh **head = neigh_bucket(k);
	struct neigh *e;

	if (neigh_count >= NEIGH_MAX_ENTRIES)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->key = *k;
	e->state = NEIGH_NONE;
	e->used_ms = now;
	e->next = *head;
	rcu_assign_pointer(*head, e);
	neigh_count++;
	return e;
}

/* Append p; returns the packet pushed out by overflow (the oldest), or
 * NULL. */
static struct pkt *neigh_enqueue_locked(struct neigh *e, struct dev *d,
					struct pkt *p)
{
	struct pkt *old = NULL;

	p->qnext = NULL;
	p->out_ifindex = d->ifindex;
	p->l3_family = (uint8_t)e->key.family;
	if (e->qtail)
		e->qtail->qnext = p;
	else
		e->qhead = p;
	e->qtail = p;
	e->qlen++;
	__atomic_fetch_add(&neigh_queued, 1, __ATOMIC_RELAXED);
	if (e->qlen > neigh_params.queue_len) {
		old = e->qhead;
		e->qhead = old->qnext;
		if (!e->qhead)
			e->qtail = NULL;
		old->qnext = NULL;
		e->qlen--;
		__atomic_fetch_sub(&neigh_queued, 1, __ATOMIC_RELAXED);
	}
	return old;
}

/* Detach and return the whole queue (linked by qnext). */
static struct pkt *neigh_dequeue_all_locked(struct neigh *e)
{
	struct pkt *q = e->qhead;

	__atomic_fetch_sub(&neigh_queued, e->qlen, __ATOMIC_RELAXED);
	e->qhead = e->qtail = NULL;
	e->qlen = 0;
	return q;
}

static void neigh_solicit_req_fill(struct neigh_solicit_req *r,
				   const struct neigh *e, bool unicast)
{
	r->ifindex = e->key.ifindex;
	r->family = e->key.family;
	r->ip = e->key.ip;
	r->unicast = unicast;
	mac_unpack(neigh_mac_load(e), r->mac);
}

/* Start resolving: INCOMPLETE with the first solicitation (filled into r). */
static void neigh_start_resolve_locked(struct neigh *e, uint64_t now,
				       struct neigh_solicit_req *r)
{
	neigh_set_state(e, NEIGH_INCOMPLETE);
	e->probes = 1;
	e->deadline_ms = now + neigh_params.retrans_ms;
	neigh_solicit_req_fill(r, e, false);
}

static void neigh_stale_to_delay_locked(struct neigh *e, uint64_t now)
{
	neigh_set_state(e, NEIGH_DELAY);
	e->deadline_ms = now + neigh_params.delay_probe_ms;
}

/* ---- deferred work (no lock held) ------------------------------------- */

static void neigh_send_solicit(struct worker *w, struct dev *d,
			       const struct neigh_solicit_req *r)
{
	const uint8_t *dst = r->unicast ? r->mac : NULL;

	if (r->family == AF_INET)
		arp_solicit(w, d, r->ip.v4, dst);
	else
		nd_solicit(w, d, r->ip.v6, dst);
}

/* Send a resolved entry's queue (already counted on d's egress side). */
static void neigh_flush_queue(struct worker *w, struct dev *d,
			      uint32_t family, const uint8_t mac[6],
			      struct pkt *q)
{
	while (q) {
		struct pkt *next = q->qnext;
		q->qnext = NULL;
		eth_output_counted(w, d, mac, neigh_ethertype(family), q);
		q = next;
	}
}

/* Drop packets whose neighbor failed, offering each to the hook first. */
static void neigh_drop_failed(struct worker *w, struct pkt *q)
{
	while (q) {
		struct pkt *next = q->qnext;
		struct dev *d = dev_get(q->out_ifindex);

		q->qnext = NULL;
		if (neigh_unreachable_hook)
			neigh_unreachable_hook(w, q, q->l3_family);
		if (d)
			dev_tx_drop(d, q, DROP_NEIGH_FAILED);
		else
			pkt_drop_orphan(q, DROP_NEIGH_FAILED);
		q = next;
	}
}

/* Free unlinked entries after a grace period; queued packets are counted
 * as tx drops of `reason` on their device. Control thread. */
static void neigh_free_dead(struct neigh *dead, enum drop_reason reason)
{
	if (!dead)
		return;
	synchronize_rcu();
	while (dead) {
		struct neigh *next = dead->dead_next;
		struct pkt *q = dead->qhead;

		__atomic_fetch_sub(&neigh_queued, dead->qlen, __ATOMIC_RELAXED);
		while (q) {
			struct pkt *qn = q->qnext;
			struct dev *d = dev_get(q->out_ifindex);
			q->qnext = NULL;
			if (d)
				dev_tx_drop(d, q, reason);
			else
				pkt_drop_orphan(q, reason);
			q = qn;
		}
		free(dead);
		dead = next;
	}
}

/* ---- init / fini ------------------------------------------------------ */

int neigh_init(void)
{
	pthread_mutex_lock(&neigh_lock);
	if (neigh_count == 0) { /* the seed places entries: only when empty */
		neigh_seed = mix64(time_ns() ^ (uint64_t)(uintptr_t)&neigh_seed);
		neigh_rng = mix64(neigh_seed + 1) | 1;
	}
	pthread_mutex_unlock(&neigh_lock);
	return 0;
}

/* Unlink every entry matching (ifindex, or all when 0) into a dead list.
 * Under neigh_lock. */
static struct neigh *neigh_unlink_dev_locked(uint32_t ifindex)
{
	struct neigh *dead = NULL;

	for (uint32_t b = 0; b < NEIGH_BUCKETS; b++) {
		struct neigh **pp = &neigh_buckets[b];
		struct neigh *e;
		while ((e = *pp)) {
			if (ifindex && e->key.ifindex != ifindex) {
				pp = &e->next;
				continue;
			}
			rcu_assign_pointer(*pp, e->next);
			e->dead_next = dead;
			dead = e;
			neigh_count--;
		}
	}
	return dead;
}

void neigh_fini(void)
{
	struct neigh *dead;

	pthread_mutex_lock(&neigh_lock);
	dead = neigh_unlink_dev_locked(0);
	pthread_mutex_unlock(&neigh_lock);
	neigh_free_dead(dead, DROP_DEV_DOWN);
}

/* ---- output ----------------------------------------------------------- */

static void neigh_touch(struct neigh *e, uint64_t now)
{
	if (__atomic_load_n(&e->used_ms, __ATOMIC_RELAXED) != now)
		__atomic_store_n(&e->used_ms, now, __ATOMIC_RELAXED);
}

/* Locked path: entry missing, unresolved or STALE. */
static void neigh_output_slow(struct worker *w, struct dev *d,
			      const struct neigh_key *k, struct pkt *p)
{
	struct neigh_solicit_req req;
	bool solicit = false, send = false;
	struct pkt *overflow = NULL;
	uint8_t mac[6];
	uint64_t now = neigh_now(w);
	struct neigh *e;

	if (k->family == AF_INET && neigh_is_subnet_bcast(d, k->ip.v4)) {
		eth_output_counted(w, d, eth_bcast, ETH_P_IP4, p);
		return;
	}
	pthread_mutex_lock(&neigh_lock);
	e = neigh_find(k);
	if (!e)
		e = neigh_create_locked(k, now);
	if (!e) {
		pthread_mutex_unlock(&neigh_lock);
		dev_tx_drop(d, p, DROP_NEIGH_NO_ENTRY);
		return;
	}
	__atomic_store_n(&e->used_ms, now, __ATOMIC_RELAXED);
	if (neigh_state_valid(e->state)) {
		if (e->state == NEIGH_STALE)
			neigh_stale_to_delay_locked(e, now);
		mac_unpack(e->mac, mac);
		send = true;
	} else {
		overflow = neigh_enqueue_locked(e, d, p);
		if (e->state != NEIGH_INCOMPLETE) {
			neigh_start_resolve_locked(e, now, &req);
			solicit = true;
		}
	}
	pthread_mutex_unlock(&neigh_lock);

	if (send)
		eth_output_counted(w, d, mac, neigh_ethertype(k->family), p);
	if (overflow)
		dev_tx_drop(d, overflow, DROP_NEIGH_QUEUE_FULL);
	if (solicit)
		neigh_send_solicit(w, d, &req);
}

void neigh_output(struct worker *w, struct dev *d, int family,
		  const union pkt_addr *nh, struct pkt *p)
{
	dev_count_egress(d, p);
	neigh_output_counted(w, d, family, nh, p);
}

void neigh_output_counted(struct worker *w, struct dev *d, int family,
			  const union pkt_addr *nh, struct pkt *p)
{
	struct neigh_key k;
	struct neigh *e;
	enum neigh_state st;
	uint8_t mac[6];

	if (neigh_map_mcast((uint32_t)family, nh, mac)) {
		eth_output_counted(w, d, mac, neigh_ethertype((uint32_t)family), p);
		return;
	}
	neigh_key_make(&k, d->ifindex, family, nh);
	e = neigh_find(&k);
	if (e) {
		st = neigh_state_load(e);
		if (neigh_state_valid(st) && st != NEIGH_STALE) {
			mac_unpack(neigh_mac_load(e), mac);
			neigh_touch(e, neigh_now(w));
			eth_output_counted(w, d, mac, neigh_ethertype(k.family), p);
			return;
		}
	}
	neigh_output_slow(w, d, &k, p);
}

/* ---- updates ---------------------------------------------------------- */

/* Apply an update (Linux __neigh_update rules). Returns the queue to flush
 * when the entry just became valid, else NULL; *mac_out gets the MAC. */
static struct pkt *neigh_update_locked(struct neigh *e, const uint8_t mac[6],
				       unsigned flags, uint64_t now,
				       uint8_t mac_out[6])
{
	enum neigh_state old = e->state, new;
	uint64_t m = mac_pack(mac);
	bool old_valid = neigh_state_valid(old);
	bool same = old_valid && e->mac == m;

	if (flags & NEIGH_UPD_ADMIN)
		new = NEIGH_PERMANENT;
	else if (flags & NEIGH_UPD_SOLICITED)
		new = NEIGH_REACHABLE;
	else
		new = NEIGH_STALE;
	mac_unpack(e->mac, mac_out);
	if (old == NEIGH_PERMANENT && !(flags & NEIGH_UPD_ADMIN))
		return NULL;
	if (old_valid && !same &&
	    !(flags & (NEIGH_UPD_OVERRIDE | NEIGH_UPD_ADMIN)))
		return NULL; /* a different MAC needs an override */
	if (same && new == NEIGH_STALE)
		new = old; /* nothing new learned: keep the state */
	if (new == NEIGH_REACHABLE) {
		e->confirmed_ms = now;
		e->reach_ms = neigh_rand_reach();
	}
	if (!same)
		__atomic_store_n(&e->mac, m, __ATOMIC_RELAXED);
	mac_unpack(m, mac_out);
	if (new != old) {
		e->probes = 0;
		neigh_set_state(e, new);
	}
	return old_valid ? NULL : neigh_dequeue_all_locked(e);
}

bool neigh_update(struct worker *w, struct dev *d, int family,
		  const union pkt_addr *ip, const uint8_t mac[6],
		  unsigned flags)
{
	struct neigh_key k;
	struct neigh *e;
	struct pkt *q;
	uint8_t cur[6];
	uint64_t now = neigh_now(w);

	if (family != AF_INET && family != AF_INET6)
		return false;
	if (neigh_addr_unresolved(d, (uint32_t)family, ip))
		return false;
	neigh_key_make(&k, d->ifindex, family, ip);
	pthread_mutex_lock(&neigh_lock);
	e = neigh_find(&k);
	if (!e && (flags & NEIGH_UPD_CREATE))
		e = neigh_create_locked(&k, now);
	if (!e) {
		pthread_mutex_unlock(&neigh_lock);
		return false;
	}
	q = neigh_update_locked(e, mac, flags, now, cur);
	pthread_mutex_unlock(&neigh_lock);
	if (q)
		neigh_flush_queue(w ? w : worker_ctl(), d, k.family, cur, q);
	return true;
}

int neigh_add_static(struct dev *d, int family, const union pkt_addr *ip,
		     const uint8_t mac[6])
{
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (neigh_addr_unresolved(d, (uint32_t)family, ip))
		return -EINVAL;
	if (!neigh_update(NULL, d, family, ip, mac,
			  NEIGH_UPD_CREATE | NEIGH_UPD_ADMIN))
		return -ENOMEM;
	return 0;
}

int neigh_del(struct dev *d, int family, const union pkt_addr *ip)
{
	struct neigh_key k;
	struct neigh **pp, *e;

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	neigh_key_make(&k, d->ifindex, family, ip);
	pthread_mutex_lock(&neigh_lock);
	for (pp = neigh_bucket(&k); (e = *pp); pp = &e->next)
		if (neigh_key_eq(&e->key, &k))
			break;
	if (!e) {
		pthread_mutex_unlock(&neigh_lock);
		return -ENOENT;
	}
	rcu_assign_pointer(*pp, e->next);
	e->dead_next = NULL;
	neigh_count--;
	pthread_mutex_unlock(&neigh_lock);
	neigh_free_dead(e, DROP_NEIGH_FAILED);
	return 0;
}

void neigh_flush_dev(struct dev *d)
{
	struct neigh *dead;

	pthread_mutex_lock(&neigh_lock);
	dead = neigh_unlink_dev_locked(d->ifindex);
	pthread_mutex_unlock(&neigh_lock);
	neigh_free_dead(dead, DROP_NEIGH_FAILED);
}

bool neigh_lookup(struct dev *d, int family, const union pkt_addr *ip,
		  enum neigh_state *state, uint8_t mac[6])
{
	struct neigh_key k;
	struct neigh *e;

	if (family != AF_INET && family != AF_INET6)
		return false;
	neigh_key_make(&k, d->ifindex, family, ip);
	pthread_mutex_lock(&neigh_lock);
	e = neigh_find(&k);
	if (e) {
		if (state)
			*state = (enum neigh_state)e->state;
		if (mac)
			mac_unpack(e->mac, mac);
	}
	pthread_mutex_unlock(&neigh_lock);
	return e != NULL;
}

/* ---- timers ----------------------------------------------------------- */

static void neigh_fail_locked(struct neigh *e, struct neigh_batch *b)
{
	struct pkt *q = neigh_dequeue_all_locked(e);

	neigh_set_state(e, NEIGH_FAILED);
	e->probes = 0;
	if (!q)
		return;
	*b->failed_tail = q;
	while (q->qnext)
		q = q->qnext;
	b->failed_tail = &q->qnext;
}

static void neigh_probe_step_locked(struct neigh *e, uint64_t now,
				    uint32_t max_probes, bool unicast,
				    struct neigh_batch *b)
{
	if (e->probes >= max_probes) {
		neigh_fail_locked(e, b);
		return;
	}
	e->probes++;
	e->deadline_ms = now + neigh_params.retrans_ms;
	neigh_solicit_req_fill(&b->sol[b->nsol++], e, unicast);
}

/* One entry's timer step. Adds at most one solicitation to b. */
static void neigh_tick_locked(struct neigh *e, uint64_t now,
			      struct neigh_batch *b)
{
	switch ((enum neigh_state)e->state) {
	case NEIGH_INCOMPLETE:
		if (time_due(now, e->deadline_ms))
			neigh_probe_step_locked(e, now, neigh_params.mcast_probes,
						false, b);
		break;
	case NEIGH_REACHABLE:
		if (time_due(now, e->confirmed_ms + e->reach_ms))
			neigh_set_state(e, NEIGH_STALE);
		break;
	case NEIGH_DELAY:
		if (time_due(now, e->deadline_ms)) {
			neigh_set_state(e, NEIGH_PROBE);
			e->probes = 0;
			neigh_probe_step_locked(e, now, neigh_params.ucast_probes,
						true, b);
		}
		break;
	case NEIGH_PROBE:
		if (time_due(now, e->deadline_ms))
			neigh_probe_step_locked(e, now, neigh_params.ucast_probes,
						true, b);
		break;
	default:
		break;
	}
}

static bool neigh_gc_due(const struct neigh *e, uint64_t now)
{
	uint64_t used = __atomic_load_n(&e->used_ms, __ATOMIC_RELAXED);

	return (e->state == NEIGH_STALE || e->state == NEIGH_FAILED) &&
	       time_due(now, used + neigh_params.gc_stale_ms);
}

/* Send collected solicitations and drop failed queues. No lock held. */
static void neigh_batch_run(struct worker *w, struct neigh_batch *b)
{
	for (unsigned i = 0; i < b->nsol; i++) {
		struct dev *d = dev_get(b->sol[i].ifindex);
		if (d)
			neigh_send_solicit(w, d, &b->sol[i]);
	}
	b->nsol = 0;
	neigh_drop_failed(w, b->failed);
	b->failed = NULL;
	b->failed_tail = &b->failed;
}

void neigh_timer(struct worker *w, uint64_t now_ms)
{
	struct neigh_batch b = { .nsol = 0 };

	b.failed_tail = &b.failed;
	w->now_ms = now_ms; /* keeps the control context's clock fresh */
	pthread_mutex_lock(&neigh_lock);
	for (uint32_t i = 0; i < NEIGH_BUCKETS; i++) {
		/* pp stays valid across a lock release: only this thread
		 * unlinks entries, and others insert at bucket heads only. */
		struct neigh **pp = &neigh_buckets[i];
		struct neigh *e;
		while ((e = *pp)) {
			if (neigh_gc_due(e, now_ms)) {
				rcu_assign_pointer(*pp, e->next);
				e->dead_next = b.dead;
				b.dead = e;
				neigh_count--;
				continue;
			}
			if (b.nsol == NEIGH_BATCH) {
				pthread_mutex_unlock(&neigh_lock);
				neigh_batch_run(w, &b);
				pthread_mutex_lock(&neigh_lock);
			}
			neigh_tick_locked(e, now_ms, &b);
			pp = &e->next;
		}
	}
	pthread_mutex_unlock(&neigh_lock);
	neigh_batch_run(w, &b);
	neigh_free_dead(b.dead, DROP_NEIGH_FAILED);
	worker_tx_flush(w);
}

/* ---- display ---------------------------------------------------------- */

static const char *const neigh_state_names[] = {
	[NEIGH_NONE] = "NONE",
	[NEIGH_INCOMPLETE] = "INCOMPLETE",
	[NEIGH_REACHABLE] = "REACHABLE",
	[NEIGH_STALE] = "STALE",
	[NEIGH_DELAY] = "DELAY",
	[NEIGH_PROBE] = "PROBE",
	[NEIGH_FAILED] = "FAILED",
	[NEIGH_PERMANENT] = "PERMANENT",
};

const char *neigh_state_name(enum neigh_state s)
{
	if ((unsigned)s >= ARRAY_SIZE(neigh_state_names))
		return "UNKNOWN";
	return neigh_state_names[s];
}

static void neigh_show_one(struct ctl_out *out, const struct neigh *e,
			   const struct dev *d)
{
	char ip[64], mac[24];
	uint8_t m[6];
	enum neigh_state st = (enum neigh_state)e->state;
	bool has_mac = neigh_state_valid(st);

	out_addr((int)e->key.family, e->key.family == AF_INET
				    ? (const void *)&e->key.ip.v4
				    : (const void *)e->key.ip.v6, ip);
	mac_unpack(e->mac, m);
	out_mac(m, mac);
	if (has_mac)
		out_text(out, "%s dev %s lladdr %s %s\n", ip, d->name, mac,
			 neigh_state_name(st));
	else
		out_text(out, "%s dev %s %s\n", ip, d->name,
			 neigh_state_name(st));
	out_obj_begin(out, NULL);
	out_str(out, "dst", ip);
	out_str(out, "dev", d->name);
	if (has_mac)
		out_str(out, "lladdr", mac);
	out_str(out, "state", neigh_state_name(st));
	out_obj_end(out);
}

void neigh_show(struct ctl_out *out, struct dev *filter)
{
	pthread_mutex_lock(&neigh_lock);
	for (uint32_t i = 0; i < NEIGH_BUCKETS; i++) {
		for (struct neigh *e = neigh_buckets[i]; e; e = e->next) {
			struct dev *d = dev_get(e->key.ifindex);
			if (!d || (filter && filter != d))
				continue;
			neigh_show_one(out, e, d);
		}
	}
	pthread_mutex_unlock(&neigh_lock);
}

uint64_t neigh_queued_total(void)
{
	return __atomic_load_n(&neigh_queued, __ATOMIC_RELAXED);
}
