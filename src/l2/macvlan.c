/* macvlan devices: `link add mv0 link p0 type macvlan [mode bridge|private|
 * vepa|passthru]` (default bridge, as Linux), each with its own MAC (random
 * unless `link set mv0 address`), on any device (port, bond, bridge, VLAN).
 *
 * Design note. All macvlans of one lower device share a port, installed as
 * the lower's single rx_handler. The port keeps an RCU-published,
 * copy-on-write table of the macvlans that are up: an open-addressing hash
 * from MAC to (ifindex, mode) for unicast dispatch, and the same entries as a
 * list for flooding. The control thread rebuilds it on every change (up,
 * down, MAC change), publishes it with rcu_assign_pointer and frees the old
 * one after synchronize_rcu.
 *
 * Receive (rx_handler on the lower): a unicast frame to a macvlan's MAC goes
 * up to it (dev_rx_to_upper, RX_HANDLER_ANOTHER); other unicast passes to the
 * lower (its own MAC, or otherhost). Broadcast/multicast: a copy (pkt_clone)
 * to each macvlan the Linux mode rules allow, and the original passes to the
 * lower. Passthru: the port's single macvlan takes every unicast frame.
 *
 * Transmit: in mode bridge a frame for a sibling bridge-mode macvlan goes
 * straight to it without touching the wire, and broadcast/multicast is
 * copied to the bridge-mode siblings before it goes out; private siblings
 * never talk; everything else leaves through dev_xmit_lower.
 *
 * Local delivery (sibling frames and broadcast copies) goes through the
 * receiving macvlan's own queue, drained by its rx_burst on its worker (an
 * eventfd wakes that worker), as Linux hands such frames to netif_rx:
 * tx_burst runs without a worker context, and the frames then take the
 * normal receive path as received on that macvlan.
 *
 * Counting: a copy is an extra packet. It counts as received on the macvlan
 * only (rx_packets when dequeued, or rx drop if the queue is full), never on
 * the lower, whose own copy is the original; so on every device rx =
 * forwarded + delivered + to_upper + drops, and tx in = tx + drops.
 */
#include "l2/macvlan.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "core/util.h"
#include "ctl/out.h"
#include "dev/drivers.h"
#include "l2/eth.h"
#include "l3/addr.h"

#define MV_FEATURES                                                            \
	(DEV_F_SG | DEV_F_CSUM | DEV_F_TSO4 | DEV_F_TSO6 | DEV_F_USO |         \
	 DEV_F_FRAGLIST)
#define MV_QLEN 512u            /* local-delivery queue, power of two */
#define MV_KEY_USED (1ull << 63)

/* Modes, as Linux's MACVLAN_MODE_* bits (masks select flood targets). */
enum {
	MV_PRIVATE = 1u,
	MV_VEPA = 2u,
	MV_BRIDGE = 4u,
	MV_PASSTHRU = 8u,
	MV_ALL = MV_PRIVATE | MV_VEPA | MV_BRIDGE | MV_PASSTHRU,
};

static const struct {
	const char *name;
	uint8_t mode;
} mv_modes[] = {
	{ "bridge", MV_BRIDGE },
	{ "private", MV_PRIVATE },
	{ "vepa", MV_VEPA },
	{ "passthru", MV_PASSTHRU },
};

/* One table entry: a macvlan that is up. */
struct mv_entry {
	uint64_t key;           /* mv_key(MAC); 0 = free hash slot */
	uint32_t ifindex;
	uint8_t mode;
};

/* Immutable once published; replaced whole. */
struct mv_table {
	uint32_t mask;          /* hash slots - 1 */
	uint32_t n;             /* entries in list[] */
	bool passthru;
	struct mv_entry *hash;  /* mask + 1 slots, after list[] */
	struct mv_entry list[];
};

/* Shared by the macvlans of one lower; the lower's rx_handler_data. */
struct mv_port {
	uint32_t lower_ifindex;
	unsigned nmembers;      /* control thread */
	struct dev *members[DEV_MAX];
	struct mv_table *tbl;   /* RCU */
};

/* Local-delivery queue: many producers (any thread), one consumer. */
struct mv_queue {
	pthread_spinlock_t lock;
	uint32_t head, tail;    /* tail - head = packets queued */
	bool signaled;          /* atomic: efd written since the last drain */
	int efd;                /* eventfd, -1 until the first open */
	struct pkt *ring[MV_QLEN];
};

struct mv_priv {
	struct mv_port *port;
	uint32_t lower_ifindex;
	uint8_t mode;
	bool active;            /* up: in the port's table */
	struct mv_queue q;
};

static const struct dev_ops mv_ops;

static enum rx_handler_result mv_handle_frame(struct worker *w,
					      struct dev *lower, struct pkt *p);

/* -------------------------------------------------------------- table */

static inline uint64_t mv_key(const uint8_t *mac)
{
	uint64_t k = 0;

	memcpy(&k, mac, 6);
	return k | MV_KEY_USED;
}

static inline uint32_t mv_hash(uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32);
}

static inline const struct mv_entry *mv_lookup(const struct mv_table *t,
					       const uint8_t *mac)
{
	uint64_t key = mv_key(mac);

	for (uint32_t i = mv_hash(key) & t->mask;; i = (i + 1) & t->mask) {
		const struct mv_entry *e = &t->hash[i];
		if (e->key == key)
			return e;
		if (!e->key)
			return NULL;
	}
}

/* The MAC of member m as the next table will hold it. */
static const uint8_t *mv_mac_of(const struct dev *m, const struct dev *changing,
				const uint8_t *newmac)
{
	return m == changing && newmac ? newmac : m->mac;
}

static struct mv_table *mv_table_build(const struct mv_port *port,
				       const struct dev *changing,
				       const uint8_t *newmac)
{
	uint32_t n = 0, slots = 4, k = 0;
	struct mv_table *t;

	for (unsigned i = 0; i < port->nmembers; i++)
		n += ((struct mv_priv *)port->members[i]->priv)->active;
	while (slots < 2 * n)
		slots *= 2;
	t = calloc(1, sizeof(*t) + (n + slots) * sizeof(struct mv_entry));
	if (!t)
		return NULL;
	t->mask = slots - 1;
	t->hash = t->list + n;
	for (unsigned i = 0; i < port->nmembers; i++) {
		const struct dev *m = port->members[i];
		const struct mv_priv *mp = m->priv;
		uint64_t key = mv_key(mv_mac_of(m, changing, newmac));
		uint32_t h = mv_hash(key) & t->mask;

		if (!mp->active)
			continue;
		t->list[k++] = (struct mv_entry){ key, m->ifindex, mp->mode };
		t->passthru |= mp->mode == MV_PASSTHRU;
		while (t->hash[h].key)
			h = (h + 1) & t->mask;
		t->hash[h] = t->list[k - 1];
	}
	t->n = k;
	return t;
}

/* Publish a new table; the old one is freed after a grace period. 0 or
 * -ENOMEM (the old table stays). Control thread. */
static int mv_table_update(struct mv_port *port, const struct dev *changing,
			   const uint8_t *newmac)
{
	struct mv_table *t = mv_table_build(port, changing, newmac), *old;

	if (!t)
		return -ENOMEM;
	old = port->tbl;
	rcu_assign_pointer(port->tbl, t);
	synchronize_rcu();
	free(old);
	return 0;
}

/* -------------------------------------------------- local-delivery queue */

static void mv_count_rx_drop(struct dev *d, const struct pkt *p,
			     enum drop_reason r)
{
	struct dev_stats *s = dev_stats_here(d);

	s->rx_packets++;
	s->rx_bytes += p->total_len;
	s->rx_drops[r]++;
}

/* Wake the worker polling the queue's eventfd (once per drain). */
static void mv_kick(struct mv_queue *q)
{
	uint64_t one = 1;
	ssize_t rc;

	if (q->efd < 0 || __atomic_exchange_n(&q->signaled, true, __ATOMIC_ACQ_REL))
		return;
	rc = write(q->efd, &one, sizeof(one));
	(void)rc; /* fails only when the counter is full: readable anyway */
}

/* Clear the eventfd before draining (a later enqueue sets it again). */
static void mv_unkick(struct mv_queue *q)
{
	uint64_t x;
	ssize_t rc;

	if (!__atomic_load_n(&q->signaled, __ATOMIC_ACQUIRE) ||
	    !__atomic_exchange_n(&q->signaled, false, __ATOMIC_ACQ_REL))
		return;
	rc = read(q->efd, &x, sizeof(x));
	(void)rc; /* EAGAIN: already clear */
}

/* Queue p to be received on macvlan d; takes ownership. Any thread. */
static void mv_enqueue(struct dev *d, struct pkt *p)
{
	struct mv_queue *q = &((struct mv_priv *)d->priv)->q;
	bool full;

	pthread_spin_lock(&q->lock);
	full = q->tail - q->head == MV_QLEN;
	if (!full) {
		q->ring[q->tail % MV_QLEN] = p;
		__atomic_store_n(&q->tail, q->tail + 1, __ATOMIC_RELEASE);
	}
	pthread_spin_unlock(&q->lock);
	if (full) {
		mv_count_rx_drop(d, p, DROP_RX_RING_FULL);
		pkt_free(p);
		return;
	}
	mv_kick(q);
}

/* Take up to n queued packets (oldest first). The consumer only. */
static uint16_t mv_dequeue(struct mv_queue *q, struct pkt **pkts, uint16_t n)
{
	uint32_t head = q->head;
	uint16_t k = 0;

	if (__atomic_load_n(&q->tail, __ATOMIC_ACQUIRE) == head)
		return 0;
	pthread_spin_lock(&q->lock);
	while (k < n && head != q->tail)
		pkts[k++] = q->ring[head++ % MV_QLEN];
	__atomic_store_n(&q->head, head, __ATOMIC_RELEASE);
	pthread_spin_unlock(&q->lock);
	return k;
}

/* Drop everything queued on d (it went down or goes away). */
static void mv_queue_drain(struct dev *d)
{
	struct mv_queue *q = &((struct mv_priv *)d->priv)->q;
	struct pkt *pkts[64];
	uint16_t n;

	while ((n = mv_dequeue(q, pkts, 64)) > 0)
		for (uint16_t i = 0; i < n; i++) {
			mv_count_rx_drop(d, pkts[i], DROP_DEV_DOWN);
			pkt_free(pkts[i]);
		}
}

/* Metadata of a frame about to be received on d: what a driver would set,
 * keeping the checksum/GSO state of the data (as Linux's dev_forward_skb). */
static void mv_rx_meta(struct pkt *p, const struct dev *d)
{
	p->flags = 0;
	p->in_ifindex = d->ifindex;
	p->out_ifindex = 0;
	p->table_id = 0;
	p->mark = 0;
	p->path_mtu = 0;
	p->l2_off = PKT_OFF_UNSET;
	memset(&p->nh, 0, sizeof(p->nh));
}

static uint16_t mv_rx(struct dev *d, struct pkt **pkts, uint16_t n)
{
	struct mv_queue *q = &((struct mv_priv *)d->priv)->q;
	uint16_t k;

	mv_unkick(q);
	k = mv_dequeue(q, pkts, n);
	for (uint16_t i = 0; i < k; i++) {
		mv_rx_meta(pkts[i], d);
		drv_rx_count(d, pkts[i]->total_len);
	}
	return k;
}

static int mv_rx_fd(struct dev *d)
{
	return ((struct mv_priv *)d->priv)->q.efd;
}

static bool mv_rx_done(struct dev *d)
{
	return macvlan_queued(d) == 0;
}

unsigned macvlan_queued(const struct dev *d)
{
	const struct mv_queue *q;

	if (!macvlan_is_macvlan(d))
		return 0;
	q = &((const struct mv_priv *)d->priv)->q;
	return __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------------ datapath */

static inline struct dev *mv_dev_up(uint32_t ifindex)
{
	struct dev *d = dev_get(ifindex);

	return d && __atomic_load_n(&d->oper_up, __ATOMIC_ACQUIRE) ? d : NULL;
}

/* A copy of p to each macvlan of t whose mode is in `modes`, except the
 * one with ifindex `skip`. p stays the caller's. */
static void mv_flood(const struct mv_table *t, const struct pkt *p,
		     unsigned modes, uint32_t skip)
{
	for (uint32_t i = 0; i < t->n; i++) {
		const struct mv_entry *e = &t->list[i];
		struct dev *up;
		struct pkt *c;

		if (!(e->mode & modes) || e->ifindex == skip ||
		    !(up = mv_dev_up(e->ifindex)))
			continue;
		c = pkt_clone(p);
		if (!c) {
			mv_count_rx_drop(up, p, DROP_NOMEM);
			continue;
		}
		mv_enqueue(up, c);
	}
}

/* Broadcast/multicast from the wire, by the source's mode (as Linux's
 * macvlan_handle_frame): from outside to every macvlan; a frame a VEPA
 * macvlan sent (reflected by the switch) to the VEPA and bridge ones; one a
 * bridge macvlan sent to the VEPA ones (bridge ones saw it on the way out);
 * never back to the sender, and never anything a private one sent. */
static void mv_rx_flood(const struct mv_table *t, const struct pkt *p)
{
	const struct mv_entry *src = mv_lookup(t, p->data + 6);

	if (!src)
		mv_flood(t, p, MV_ALL, 0);
	else if (src->mode == MV_VEPA)
		mv_flood(t, p, MV_VEPA | MV_BRIDGE, src->ifindex);
	else if (src->mode == MV_BRIDGE)
		mv_flood(t, p, MV_VEPA, src->ifindex);
}

static enum rx_handler_result mv_handle_frame(struct worker *w,
					      struct dev *lower, struct pkt *p)
{
	struct mv_port *port = rcu_dereference(lower->rx_handler_data);
	const struct mv_table *t = port ? rcu_dereference(port->tbl) : NULL;
	const struct mv_entry *e;
	struct dev *up;

	if (unlikely(!t || !t->n))
		return RX_HANDLER_PASS;
	if (eth_is_mcast(p->data)) {
		mv_rx_flood(t, p);
		return RX_HANDLER_PASS; /* the lower's own copy */
	}
	e = t->passthru ? &t->list[0] : mv_lookup(t, p->data);
	if (!e || !(up = mv_dev_up(e->ifindex)))
		return RX_HANDLER_PASS;
	dev_rx_to_upper(lower, up, p);
	return RX_HANDLER_ANOTHER;
}

/* Mode bridge: deliver p locally when it is for a sibling bridge-mode
 * macvlan (returns true: p consumed, counted as sent on d); copy broadcast
 * and multicast to the bridge-mode siblings (returns false: p still goes
 * out). */
static bool mv_tx_local(struct dev *d, const struct mv_table *t, struct pkt *p)
{
	const struct mv_entry *e;
	struct dev_stats *s;
	struct dev *sib;

	if (unlikely(p->len < ETH_HLEN))
		return false;
	if (eth_is_mcast(p->data)) {
		mv_flood(t, p, MV_BRIDGE, d->ifindex);
		return false;
	}
	e = mv_lookup(t, p->data);
	if (!e || e->mode != MV_BRIDGE || e->ifindex == d->ifindex ||
	    !(sib = mv_dev_up(e->ifindex)))
		return false;
	s = dev_stats_here(d);
	s->tx_packets++;
	s->tx_bytes += p->total_len;
	mv_enqueue(sib, p);
	return true;
}

static uint16_t mv_tx(struct dev *d, struct pkt **pkts, uint16_t n)
{
	const struct mv_priv *m = d->priv;
	const struct mv_table *t =
		m->mode == MV_BRIDGE ? rcu_dereference(m->port->tbl) : NULL;
	struct dev *lower = dev_get(m->lower_ifindex);
	uint16_t k = 0, local = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (t && t->n > 1 && mv_tx_local(d, t, pkts[i])) {
			local++;
			continue;
		}
		if (!lower) {
			dev_tx_drop(d, pkts[i], DROP_DEV_DOWN);
			continue;
		}
		pkts[k++] = pkts[i];
	}
	if (k)
		dev_xmit_lower(d, lower, pkts, k);
	return (uint16_t)(local + k);
}

/* ------------------------------------------------------- control path */

bool macvlan_is_macvlan(const struct dev *d)
{
	return d->ops == &mv_ops;
}

struct dev *macvlan_lower(const struct dev *d)
{
	const struct mv_priv *m = d->priv;

	return macvlan_is_macvlan(d) ? dev_get(m->lower_ifindex) : NULL;
}

static const char *mv_mode_name(uint8_t mode)
{
	for (size_t i = 0; i < ARRAY_SIZE(mv_modes); i++)
		if (mv_modes[i].mode == mode)
			return mv_modes[i].name;
	return "?";
}

/* The port of lower, or NULL when it has none. */
static struct mv_port *mv_port_of(const struct dev *lower)
{
	return lower->rx_handler == mv_handle_frame ? lower->rx_handler_data
						    : NULL;
}

/* Is mac taken on d's port (the lower's MAC, or another macvlan that is
 * up)? Names the holder in err. */
static bool mv_addr_busy(const struct dev *d, const uint8_t *mac, char *err)
{
	const struct mv_priv *m = d->priv;
	const struct dev *lower = dev_get(m->lower_ifindex);
	char buf[18];

	if (m->mode == MV_PASSTHRU)
		return false;
	if (lower && memcmp(lower->mac, mac, 6) == 0) {
		drv_errf(err, "macvlan: %s: address %s is %s's own",
			 d->name, out_mac(mac, buf), lower->name);
		return true;
	}
	for (unsigned i = 0; i < m->port->nmembers; i++) {
		const struct dev *o = m->port->members[i];
		if (o != d && ((struct mv_priv *)o->priv)->active &&
		    memcmp(o->mac, mac, 6) == 0) {
			drv_errf(err, "macvlan: %s: address %s is used by %s",
				 d->name, out_mac(mac, buf), o->name);
			return true;
		}
	}
	return false;
}

static int mv_open(struct dev *d, char *err)
{
	struct mv_priv *m = d->priv;
	struct dev *lower = dev_get(m->lower_ifindex);
	int rc;

	if (!lower) {
		drv_errf(err, "macvlan: %s: its lower device is gone", d->name);
		return -ENODEV;
	}
	if (m->mode == MV_PASSTHRU && memcmp(d->mac, lower->mac, 6) != 0) {
		memcpy(d->mac, lower->mac, 6); /* passthru takes the lower's MAC */
		addr_set_ll6(d);
	}
	if (mv_addr_busy(d, d->mac, err))
		return -EADDRINUSE;
	if (m->q.efd < 0) {
		m->q.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (m->q.efd < 0) {
			rc = -errno;
			drv_errf(err, "macvlan: %s: eventfd: %s", d->name,
				 strerror(errno));
			return rc;
		}
	}
	m->active = true;
	rc = mv_table_update(m->port, NULL, NULL);
	if (rc < 0) {
		m->active = false;
		drv_errf(err, "macvlan: %s: out of memory", d->name);
	}
	return rc;
}

/* Down: out of the table (frames to its MAC then pass to the lower), and
 * what was queued for it is dropped. */
static void mv_close(struct dev *d)
{
	struct mv_priv *m = d->priv;

	m->active = false;
	if (mv_table_update(m->port, NULL, NULL) < 0)
		log_msg(LOG_WARN, "macvlan: %s: out of memory rebuilding the table; "
			"frames for it are dropped while it is down", d->name);
	mv_queue_drain(d);
}

static int mv_set_mac(struct dev *d, const uint8_t mac[6])
{
	struct mv_priv *m = d->priv;
	char err[DRV_ERR_SIZE];

	if (!m->active)
		return 0;
	if (mv_addr_busy(d, mac, err))
		return -EADDRINUSE;
	return mv_table_update(m->port, d, mac);
}

static int mv_set_mtu(struct dev *d, uint32_t mtu)
{
	const struct dev *lower = macvlan_lower(d);

	if (lower && mtu > lower->mtu)
		return -ERANGE; /* as Linux: not above the lower's MTU */
	return drv_set_mtu_any(d, mtu);
}

/* Unhook the port from its lower and free it (last macvlan gone). */
static void mv_port_free(struct mv_port *port)
{
	struct dev *lower = dev_get(port->lower_ifindex);

	if (lower && lower->rx_handler_data == port) {
		rcu_assign_pointer(lower->rx_handler, NULL);
		synchronize_rcu();
		rcu_assign_pointer(lower->rx_handler_data, NULL);
	}
	free(port->tbl);
	free(port);
}

static void mv_port_remove(struct mv_port *port, struct dev *d)
{
	for (unsigned i = 0; i < port->nmembers; i++) {
		if (port->members[i] != d)
			continue;
		port->members[i] = port->members[--port->nmembers];
		break;
	}
}

/* After dev_unregister's grace period, or for a never registered device. */
static void mv_destroy(struct dev *d)
{
	struct mv_priv *m = d->priv;
	bool was_active = m->active;

	m->active = false;
	mv_port_remove(m->port, d);
	if (m->port->nmembers == 0)
		mv_port_free(m->port);
	else if (was_active && mv_table_update(m->port, NULL, NULL) < 0)
		log_msg(LOG_WARN, "macvlan: %s: out of memory rebuilding the table",
			d->name);
	mv_queue_drain(d);
	if (m->q.efd >= 0)
		close(m->q.efd);
	pthread_spin_destroy(&m->q.lock);
}

static void mv_lower_state(struct dev *d, struct dev *lower)
{
	const struct mv_priv *m = d->priv;

	if (m->mode == MV_PASSTHRU && lower == macvlan_lower(d) &&
	    memcmp(d->mac, lower->mac, 6) != 0) {
		memcpy(d->mac, lower->mac, 6);
		addr_set_ll6(d);
	}
}

static void mv_describe(struct dev *d, struct ctl_out *out)
{
	const struct mv_priv *m = d->priv;
	const struct dev *lower = dev_get(m->lower_ifindex);
	const char *lname = lower ? lower->name : "(gone)";

	out_text(out, " macvlan mode %s link %s", mv_mode_name(m->mode), lname);
	if (macvlan_queued(d))
		out_text(out, " queued %u", macvlan_queued(d));
	out_str(out, "mode", mv_mode_name(m->mode));
	out_str(out, "link", lname);
	out_u64(out, "queued", macvlan_queued(d));
}

static const struct dev_ops mv_ops = {
	.kind = "macvlan",
	.open = mv_open,
	.close = mv_close,
	.rx_burst = mv_rx,
	.tx_burst = mv_tx,
	.rx_fd = mv_rx_fd,
	.set_mtu = mv_set_mtu,
	.set_mac = mv_set_mac,
	.destroy = mv_destroy,
	.describe = mv_describe,
	.rx_done = mv_rx_done,
	.lower_state = mv_lower_state,
	.get_lower = macvlan_lower,
};

/* ------------------------------------------------------------- create */

struct mv_args {
	struct dev *lower;
	uint8_t mode;
};

static int mv_parse_mode(const char *s, uint8_t *mode, char *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(mv_modes); i++) {
		if (strcmp(s, mv_modes[i].name) == 0) {
			*mode = mv_modes[i].mode;
			return 0;
		}
	}
	drv_errf(err, "macvlan: invalid mode '%s' (expected bridge, private, vepa or passthru)",
		 s);
	return -1;
}

static int mv_parse(int argc, char **argv, struct mv_args *a, char *err)
{
	const char *val;

	a->mode = MV_BRIDGE;
	if (argc < 2 || strcmp(argv[0], "link") != 0) {
		drv_errf(err, "macvlan: needs a lower device: link add NAME link LOWER type macvlan [mode MODE]");
		return -1;
	}
	a->lower = dev_by_name(argv[1]);
	if (!a->lower) {
		drv_errf(err, "macvlan: no device '%s'", argv[1]);
		return -1;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "mode") != 0)
			return drv_err_unknown("macvlan", argv[i], err);
		if (drv_arg_value("macvlan", argc, argv, &i, &val, err) < 0 ||
		    mv_parse_mode(val, &a->mode, err) < 0)
			return -1;
	}
	/* On a macvlan: the new one sits on the same lower (as Linux). */
	if (macvlan_is_macvlan(a->lower)) {
		struct dev *l = macvlan_lower(a->lower);
		if (!l) {
			drv_errf(err, "macvlan: the lower device of %s is gone",
				 argv[1]);
			return -1;
		}
		a->lower = l;
	}
	return 0;
}

/* Can a macvlan of mode `mode` join lower? */
static int mv_check_lower(const struct mv_args *a, char *err)
{
	const struct mv_port *port = mv_port_of(a->lower);

	if (!port && a->lower->rx_handler) {
		drv_errf(err, "macvlan: %s already has an upper device of another kind (bridge port, bond slave)",
			 a->lower->name);
		return -1;
	}
	if (!port || port->nmembers == 0)
		return 0;
	if (a->mode == MV_PASSTHRU) {
		drv_errf(err, "macvlan: mode passthru needs %s to have no other macvlan (it has %s)",
			 a->lower->name, port->members[0]->name);
		return -1;
	}
	for (unsigned i = 0; i < port->nmembers; i++) {
		const struct dev *o = port->members[i];
		if (((struct mv_priv *)o->priv)->mode == MV_PASSTHRU) {
			drv_errf(err, "macvlan: %s already has a passthru macvlan (%s)",
				 a->lower->name, o->name);
			return -1;
		}
	}
	if (port->nmembers == DEV_MAX) {
		drv_errf(err, "macvlan: too many macvlans on %s", a->lower->name);
		return -1;
	}
	return 0;
}

/* The lower's port, made and hooked on first use. NULL on no memory. */
static struct mv_port *mv_port_get(struct dev *lower)
{
	struct mv_port *port = mv_port_of(lower);

	if (port)
		return port;
	port = calloc(1, sizeof(*port));
	if (!port)
		return NULL;
	port->lower_ifindex = lower->ifindex;
	port->tbl = mv_table_build(port, NULL, NULL);
	if (!port->tbl) {
		free(port);
		return NULL;
	}
	rcu_assign_pointer(lower->rx_handler_data, port);
	rcu_assign_pointer(lower->rx_handler, mv_handle_frame);
	return port;
}

static struct dev *mv_create(const char *name, int argc, char **argv,
			     char *err)
{
	struct mv_args a;
	struct mv_priv *m;
	struct mv_port *port;
	struct dev *d;

	if (mv_parse(argc, argv, &a, err) < 0 || mv_check_lower(&a, err) < 0)
		return NULL;
	port = mv_port_get(a.lower);
	if (!port) {
		drv_errf(err, "macvlan: out of memory");
		return NULL;
	}
	d = drv_alloc("macvlan", name, &mv_ops, sizeof(*m), err);
	if (!d) {
		if (port->nmembers == 0)
			mv_port_free(port);
		return NULL;
	}
	m = d->priv;
	m->port = port;
	m->lower_ifindex = a.lower->ifindex;
	m->mode = a.mode;
	m->q.efd = -1;
	pthread_spin_init(&m->q.lock, PTHREAD_PROCESS_PRIVATE);
	port->members[port->nmembers++] = d;
	d->mtu = a.lower->mtu;
	d->features = MV_FEATURES;
	if (a.mode == MV_PASSTHRU)
		memcpy(d->mac, a.lower->mac, 6);
	return d;
}

const struct dev_driver macvlan_driver = {
	.kind = "macvlan",
	.usage = "(after link LOWER) [mode bridge|private|vepa|passthru]",
	.create = mv_create,
};
