/* Device registry, state changes, counters and the common transmit step. */
#include "dev/dev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <urcu-qsbr.h>

#include "core/util.h"
#include "l3/addr.h"
#include "offload/tx_fixup.h"

__thread unsigned dev_stat_slot = DEV_STAT_SLOTS - 1;

static struct dev *dev_table[DEV_MAX];
static uint64_t orphan_drops[DROP_MAX];

struct dev *dev_alloc(const char *name, const struct dev_ops *ops,
		      size_t priv_size)
{
	struct dev *d;

	if (strlen(name) >= DEV_NAME_MAX)
		return NULL;
	d = aligned_alloc(CACHE_LINE, (sizeof(*d) + CACHE_LINE - 1) &
					      ~(size_t)(CACHE_LINE - 1));
	if (!d)
		return NULL;
	memset(d, 0, sizeof(*d));
	if (priv_size) {
		d->priv = calloc(1, priv_size);
		if (!d->priv) {
			free(d);
			return NULL;
		}
	}
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->ops = ops;
	d->mtu = 1500;
	d->has_l2 = true;
	d->worker_id = -1;
	d->table_id = 254; /* main */
	dev_random_mac(d->mac);
	pthread_spin_init(&d->tx_lock, PTHREAD_PROCESS_PRIVATE);
	return d;
}

static void dev_free(struct dev *d)
{
	if (d->ops->destroy)
		d->ops->destroy(d);
	free(d->vlan_q);
	free(d->vlan_ad);
	pthread_spin_destroy(&d->tx_lock);
	free(d->priv);
	free(d);
}

int dev_register(struct dev *d)
{
	if (dev_by_name(d->name))
		return -EEXIST;
	for (uint32_t i = 1; i < DEV_MAX; i++) {
		if (!dev_table[i]) {
			d->ifindex = i;
			addr_set_ll6(d);
			rcu_assign_pointer(dev_table[i], d);
			return 0;
		}
	}
	return -ENOSPC;
}

void dev_unregister(struct dev *d)
{
	if (d->oper_up && d->ops->close)
		d->ops->close(d);
	d->oper_up = false;
	rcu_assign_pointer(dev_table[d->ifindex], NULL);
	synchronize_rcu();
	dev_free(d);
}

struct dev *dev_get(uint32_t ifindex)
{
	if (ifindex == 0 || ifindex >= DEV_MAX)
		return NULL;
	return rcu_dereference(dev_table[ifindex]);
}

struct dev *dev_by_name(const char *name)
{
	for (uint32_t i = 1; i < DEV_MAX; i++)
		if (dev_table[i] && strcmp(dev_table[i]->name, name) == 0)
			return dev_table[i];
	return NULL;
}

struct dev *dev_next(struct dev *prev)
{
	for (uint32_t i = prev ? prev->ifindex + 1 : 1; i < DEV_MAX; i++)
		if (dev_table[i])
			return dev_table[i];
	return NULL;
}

struct dev *dev_upper_of(const struct dev *lower)
{
	for (struct dev *u = dev_next(NULL); u; u = dev_next(u))
		if (u->ops->get_lower && u->ops->get_lower(u) == lower)
			return u;
	return NULL;
}

/* Tell the devices above d (its master, and vlans/macvlans on it) that d
 * went up or down or changed MAC. */
static void dev_notify_master(struct dev *d)
{
	if (d->master && d->master->ops->lower_state)
		d->master->ops->lower_state(d->master, d);
	for (struct dev *u = dev_next(NULL); u; u = dev_next(u))
		if (u->ops->get_lower && u->ops->get_lower(u) == d &&
		    u->ops->lower_state)
			u->ops->lower_state(u, d);
}

int dev_set_up(struct dev *d, bool up, char *err)
{
	if (up == d->admin_up)
		return 0;
	if (up) {
		int rc = d->ops->open ? d->ops->open(d, err) : 0;
		if (rc < 0)
			return rc;
		d->admin_up = true;
		__atomic_store_n(&d->oper_up, true, __ATOMIC_RELEASE);
		dev_notify_master(d);
		return 0;
	}
	d->admin_up = false;
	__atomic_store_n(&d->oper_up, false, __ATOMIC_RELEASE);
	dev_notify_master(d);
	/* Let workers finish with the device before its rings go away. */
	synchronize_rcu();
	if (d->ops->close)
		d->ops->close(d);
	return 0;
}

int dev_set_mtu(struct dev *d, uint32_t mtu, char *err)
{
	int rc;

	if (mtu < 68 || mtu > 65535) {
		snprintf(err, 256, "mtu %u out of range 68..65535", mtu);
		return -EINVAL;
	}
	if (d->ops->set_mtu) {
		rc = d->ops->set_mtu(d, mtu);
		if (rc < 0) {
			snprintf(err, 256, "%s: cannot set mtu %u: %s", d->name,
				 mtu, strerror(-rc));
			return rc;
		}
	}
	__atomic_store_n(&d->mtu, mtu, __ATOMIC_RELAXED);
	return 0;
}

int dev_set_mac(struct dev *d, const uint8_t mac[6], char *err)
{
	int rc;

	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5])) {
		snprintf(err, 256, "%s: address must be unicast and non-zero",
			 d->name);
		return -EINVAL;
	}
	if (d->ops->set_mac) {
		rc = d->ops->set_mac(d, mac);
		if (rc < 0) {
			snprintf(err, 256, "%s: cannot set address: %s", d->name,
				 strerror(-rc));
			return rc;
		}
	}
	memcpy(d->mac, mac, 6);
	addr_set_ll6(d);
	dev_notify_master(d);
	return 0;
}

void dev_stats_sum(const struct dev *d, struct dev_stats *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned s = 0; s < DEV_STAT_SLOTS; s++) {
		const struct dev_stats *st = &d->stats[s];
		out->rx_packets += st->rx_packets;
		out->rx_bytes += st->rx_bytes;
		out->tx_packets += st->tx_packets;
		out->tx_bytes += st->tx_bytes;
		out->forwarded += st->forwarded;
		out->delivered += st->delivered;
		out->originated += st->originated;
		out->fwd_in += st->fwd_in;
		out->split_extra += st->split_extra;
		out->to_upper += st->to_upper;
		for (unsigned r = 0; r < DROP_MAX; r++) {
			out->rx_drops[r] += st->rx_drops[r];
			out->tx_drops[r] += st->tx_drops[r];
		}
	}
}

void dev_rx_drop(struct dev *d, struct pkt *p, enum drop_reason r)
{
	dev_stats_here(d)->rx_drops[r]++;
	pkt_free(p);
}

void dev_tx_drop(struct dev *d, struct pkt *p, enum drop_reason r)
{
	dev_stats_here(d)->tx_drops[r]++;
	pkt_free(p);
}

void pkt_drop_orphan(struct pkt *p, enum drop_reason r)
{
	__atomic_fetch_add(&orphan_drops[r], 1, __ATOMIC_RELAXED);
	pkt_free(p);
}

uint64_t dev_orphan_drops(enum drop_reason r)
{
	return __atomic_load_n(&orphan_drops[r], __ATOMIC_RELAXED);
}

static void dev_tx_capture(struct dev *d, struct pkt **pkts, uint16_t n)
{
	dev_capture_fn cap = rcu_dereference(d->capture);

	if (unlikely(cap))
		for (uint16_t i = 0; i < n; i++)
			cap(d, pkts[i], 1);
}

void dev_xmit(struct dev *d, struct pkt **pkts, uint16_t n)
{
	struct pkt *out[PKT_MAX_BURST];
	uint16_t k = 0;

	if (!__atomic_load_n(&d->oper_up, __ATOMIC_ACQUIRE)) {
		for (uint16_t i = 0; i < n; i++)
			dev_tx_drop(d, pkts[i], DROP_DEV_DOWN);
		return;
	}
	for (uint16_t i = 0; i < n; i++) {
		struct pkt *q = tx_fixup(d, pkts[i]);
		while (q) {
			struct pkt *next = q->qnext;
			q->qnext = NULL;
			out[k++] = q;
			if (k == PKT_MAX_BURST) {
				dev_tx_capture(d, out, k);
				d->ops->tx_burst(d, out, k);
				k = 0;
			}
			q = next;
		}
	}
	if (k) {
		dev_tx_capture(d, out, k);
		d->ops->tx_burst(d, out, k);
	}
}

void dev_rx_to_upper(struct dev *lower, struct dev *upper, struct pkt *p)
{
	struct dev_stats *ls = dev_stats_here(lower), *us = dev_stats_here(upper);

	ls->to_upper++;
	us->rx_packets++;
	us->rx_bytes += p->total_len;
	p->in_ifindex = upper->ifindex;
}

void dev_xmit_lower(struct dev *upper, struct dev *lower, struct pkt **pkts,
		    uint16_t n)
{
	struct dev_stats *us = dev_stats_here(upper), *ls = dev_stats_here(lower);

	for (uint16_t i = 0; i < n; i++) {
		us->tx_packets++;
		us->tx_bytes += pkts[i]->total_len;
	}
	ls->fwd_in += n;
	dev_xmit(lower, pkts, n);
}

int dev_set_master(struct dev *d, struct dev *master, char *err)
{
	struct dev *old = d->master;
	int rc;

	if (master == old)
		return 0;
	if (master && (master == d || !master->ops->add_slave)) {
		snprintf(err, 256, "%s cannot be a master of %s", master->name,
			 d->name);
		return -EINVAL;
	}
	if (master && old) {
		snprintf(err, 256, "%s already has master %s", d->name,
			 old->name);
		return -EBUSY;
	}
	if (old) {
		old->ops->del_slave(old, d);
		d->master = NULL;
		return 0;
	}
	rc = master->ops->add_slave(master, d, err);
	if (rc == 0)
		d->master = master;
	return rc;
}

bool dev_has_addr(const struct dev *d, int family, const union pkt_addr *a)
{
	for (uint32_t i = 0; i < d->naddr; i++) {
		const struct dev_addr *x = &d->addr[i];
		if (x->family != family)
			continue;
		if (family == AF_INET ? x->addr.v4 == a->v4
				      : memcmp(x->addr.v6, a->v6, 16) == 0)
			return true;
	}
	return false;
}

static bool addr_same_subnet(int family, const union pkt_addr *x,
			     const union pkt_addr *y, unsigned plen)
{
	if (family == AF_INET) {
		uint32_t m = plen ? htonl(~0u << (32 - plen)) : 0;
		return ((x->v4 ^ y->v4) & m) == 0;
	}
	for (unsigned i = 0; i < 16 && plen; i++) {
		unsigned bits = plen >= 8 ? 8 : plen;
		uint8_t m = (uint8_t)(0xff << (8 - bits));
		if ((x->v6[i] ^ y->v6[i]) & m)
			return false;
		plen -= bits;
	}
	return true;
}

bool dev_pick_src(const struct dev *d, int family, const union pkt_addr *dst,
		  union pkt_addr *src)
{
	const struct dev_addr *first = NULL;

	for (uint32_t i = 0; i < d->naddr; i++) {
		const struct dev_addr *x = &d->addr[i];
		if (x->family != family)
			continue;
		if (dst && addr_same_subnet(family, &x->addr, dst, x->plen)) {
			*src = x->addr;
			return true;
		}
		if (!first)
			first = x;
	}
	if (first) {
		*src = first->addr;
		return true;
	}
	return false;
}

void dev_random_mac(uint8_t mac[6])
{
	static uint32_t seq;
	uint64_t r = time_ns() ^ ((uint64_t)__atomic_add_fetch(&seq, 1, __ATOMIC_RELAXED) << 40);

	r ^= r >> 33;
	r *= 0xff51afd7ed558ccdull;
	r ^= r >> 33;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(r >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, local */
}

/* Close, unlink and free one device (shutdown: no grace period needed). */
static void dev_destroy_now(struct dev *d)
{
	if (d->oper_up && d->ops->close)
		d->ops->close(d);
	dev_table[d->ifindex] = NULL;
	dev_free(d);
}

void dev_destroy_all(void)
{
	char err[256];
	bool progress = true;

	/* Release slaves first, then free uppers before their lowers. */
	for (struct dev *d = dev_next(NULL); d; d = dev_next(d))
		if (d->master)
			dev_set_master(d, NULL, err);
	while (progress) {
		progress = false;
		for (struct dev *d = dev_next(NULL), *n; d; d = n) {
			n = dev_next(d);
			if (!dev_upper_of(d)) {
				dev_destroy_now(d);
				progress = true;
			}
		}
	}
	for (struct dev *d = dev_next(NULL), *n; d; d = n) { /* cycles */
		n = dev_next(d);
		dev_destroy_now(d);
	}
}
