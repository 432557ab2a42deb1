/* Bond devices (Linux bonding driver semantics) for active-backup,
 * balance-xor and 802.3ad (LACP, with the protocol in l2/lacp.c).
 *
 * Design note. A bond is an upper device over up to BOND_SLAVES_MAX Ethernet
 * slaves. Receive: each slave carries the bond's rx_handler; frames from a
 * slave that may receive (the active slave in active-backup, every slave
 * with link in balance-xor) go up to the bond (dev_rx_to_upper +
 * RX_HANDLER_ANOTHER), the others are dropped on the slave and counted
 * (bond_inactive_slave), as are frames carrying the bond's own source MAC
 * that the network looped back (bond_own_src). Transmit: the bond's
 * tx_burst receives complete frames (source = the bond's MAC) and hands
 * them to a slave with dev_xmit_lower: the active slave, or in balance-xor
 * the slave picked by the transmit hash (layer2, layer2+3 or layer3+4, as
 * Linux's xmit_hash_policy) over the slaves whose link is up.
 *
 * What the data path reads is one immutable `struct bond_map` (transmit
 * slaves + a bitmap of slaves allowed to receive), RCU-published; the
 * control thread builds a new map whenever the slave set or a link state
 * changes and frees the old one after a grace period. Link state is polled
 * by bond_timer every miimon ms: a slave is up when it is admin up, oper up
 * in usnet and, for af_packet slaves, its kernel interface is IFF_RUNNING
 * (carrier). On a change of active slave the bond sends a gratuitous ARP
 * for each IPv4 address (and one neighbor solicitation from its IPv6
 * link-local address) through the new slave so that switches relearn
 * where the bond's MAC is; the MAC itself does not change (fail_over_mac
 * none: the bond keeps the MAC of its first slave, the slaves receive it
 * because usnet's ports are promiscuous).
 *
 * 802.3ad. Each slave has a `struct bond_port`: its LACP machines (control
 * thread) and a mailbox. Workers parse the LACPDUs a slave receives
 * (Slow Protocols, subtype 1; malformed ones are counted drops) and leave
 * the last one in the slave's mailbox (a spinlock held for a copy); the
 * map lists the mailboxes so that workers never read the control thread's
 * slave array. bond_timer runs the machines every call (100 ms): mailbox ->
 * receive machine, selection (one aggregator), mux, periodic transmission
 * (LACPDUs sent from the control thread, source = the slave's MAC). The map
 * holds the slaves in COLLECTING_DISTRIBUTING: they alone receive (the
 * others drop with bond_not_collecting) and the balance-xor hash spreads
 * transmission over them alone.
 *
 * Not implemented: balance-rr, broadcast, tlb/alb modes, ARP monitoring,
 * updelay/downdelay, the LACP Marker protocol (counted drops,
 * slow_proto_unhandled). */
#include "l2/bond.h"

#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <urcu-qsbr.h>

#include "core/util.h"
#include "core/worker.h"
#include "ctl/out.h"
#include "dev/drivers.h"
#include "l2/arp.h"
#include "l2/eth.h"
#include "l2/lacp.h"
#include "l2/nd.h"

#define BOND_SLAVES_MAX 16u
#define BOND_MIIMON_DEFAULT 100u
#define BOND_MIIMON_MAX 60000u
#define BOND_RX_WORDS (DEV_MAX / 64u)

enum bond_mode { BOND_ACTIVE_BACKUP, BOND_BALANCE_XOR, BOND_8023AD };
enum bond_hash { BOND_HASH_L2, BOND_HASH_L23, BOND_HASH_L34 };

static const char *const bond_mode_names[] = {
	[BOND_ACTIVE_BACKUP] = "active-backup",
	[BOND_BALANCE_XOR] = "balance-xor",
	[BOND_8023AD] = "802.3ad",
};
static const char *const bond_hash_names[] = {
	[BOND_HASH_L2] = "layer2",
	[BOND_HASH_L23] = "layer2+3",
	[BOND_HASH_L34] = "layer3+4",
};

/* 802.3ad: one slave's LACP state and the mailbox workers fill. */
struct bond_port {
	struct lacp_port lacp;      /* control thread only */
	pthread_spinlock_t lock;    /* guards fresh and pdu */
	bool fresh;                 /* pdu not yet seen by the machines */
	struct lacp_pdu pdu;        /* last LACPDU received */
};

/* What workers read: immutable once published. */
struct bond_map {
	uint32_t n_tx;                      /* slaves to transmit on */
	struct dev *tx[BOND_SLAVES_MAX];
	uint64_t rx_ok[BOND_RX_WORDS];      /* by slave ifindex */
	bool lacp;                          /* 802.3ad */
	uint32_t n_port;                    /* 802.3ad: every slave's mailbox */
	uint32_t port_ifindex[BOND_SLAVES_MAX];
	struct bond_port *port[BOND_SLAVES_MAX];
};

/* Control-thread view of one slave. */
struct bond_slave {
	struct dev *dev;
	uint32_t ifindex;       /* to check the slave still exists at destroy */
	bool link_up;
	uint64_t link_failures;
	struct bond_port *port; /* 802.3ad only; freed after the slave's release */
};

struct bond {
	enum bond_mode mode;
	enum bond_hash hash;
	uint32_t miimon;        /* ms, 0 = kernel carrier not polled */
	char primary[DEV_NAME_MAX];
	bool user_mac;          /* MAC set by the user: never inherited */
	bool setting_mac;       /* our own dev_set_mac() is running */
	bool announce_pending;  /* active slave changed, not yet announced */
	uint64_t next_poll_ms;
	uint64_t failovers;     /* active slave changed from one to another */
	struct lacp_cfg lacp;   /* 802.3ad: sys (when set) prio, rate */
	bool lacp_sys_set;      /* ad_actor_system given, else the bond's MAC */
	bool lacp_args;         /* some LACP argument was given */
	struct lacp_agg agg;

	unsigned nslaves;
	struct bond_slave slaves[BOND_SLAVES_MAX];
	struct dev *active;     /* active-backup: current active slave */
	struct bond_map *map;   /* RCU-published */
};

static const struct dev_ops bond_ops;

bool bond_is_bond(const struct dev *d)
{
	return d && d->ops == &bond_ops;
}

/* ---- data path ---------------------------------------------------------- */

static bool bond_map_rx_ok(const struct bond_map *m, uint32_t ifindex)
{
	return ifindex < DEV_MAX &&
	       (m->rx_ok[ifindex / 64] >> (ifindex % 64) & 1);
}

static struct bond_port *bond_map_port(const struct bond_map *m,
				       uint32_t ifindex)
{
	for (uint32_t i = 0; i < m->n_port; i++)
		if (m->port_ifindex[i] == ifindex)
			return m->port[i];
	return NULL;
}

/* A Slow Protocols frame on an 802.3ad slave: a well-formed LACPDU goes to
 * the slave's mailbox (delivered), anything else is a counted drop. */
static void bond_lacp_input(struct dev *slave, const struct bond_map *m,
			    struct pkt *p)
{
	struct bond_port *bp = bond_map_port(m, slave->ifindex);
	const uint8_t *pl = p->data + ETH_HLEN;
	uint32_t len = p->len - ETH_HLEN;
	struct lacp_pdu u;

	if (len > 0 && pl[0] != LACP_SUBTYPE) {
		dev_rx_drop(slave, p, DROP_SLOW_PROTO_UNHANDLED);
		return;
	}
	if (lacp_pdu_parse(pl, len, &u) < 0) {
		dev_rx_drop(slave, p, DROP_LACP_MALFORMED);
		return;
	}
	if (!bp) { /* a slave being released */
		dev_rx_drop(slave, p, DROP_BOND_NOT_COLLECTING);
		return;
	}
	pthread_spin_lock(&bp->lock);
	bp->pdu = u;
	bp->fresh = true;
	pthread_spin_unlock(&bp->lock);
	dev_stats_here(slave)->delivered++;
	pkt_free(p);
}

static enum rx_handler_result bond_rx(struct worker *w, struct dev *slave,
				      struct pkt *p)
{
	struct dev *bd = slave->rx_handler_data;
	struct bond *b = bd->priv;
	const struct bond_map *m = rcu_dereference(b->map);

	if (!__atomic_load_n(&bd->oper_up, __ATOMIC_ACQUIRE)) {
		dev_rx_drop(slave, p, DROP_DEV_DOWN);
		return RX_HANDLER_CONSUMED;
	}
	if (m && m->lacp && p->len >= ETH_HLEN &&
	    get_be16(p->data + 12) == ETH_P_SLOW) {
		bond_lacp_input(slave, m, p);
		return RX_HANDLER_CONSUMED;
	}
	if (!m || !bond_map_rx_ok(m, slave->ifindex)) {
		dev_rx_drop(slave, p, m && m->lacp ? DROP_BOND_NOT_COLLECTING
						   : DROP_BOND_INACTIVE_SLAVE);
		return RX_HANDLER_CONSUMED;
	}
	if (unlikely(memcmp(p->data + 6, bd->mac, 6) == 0)) {
		dev_rx_drop(slave, p, DROP_BOND_OWN_SRC);
		return RX_HANDLER_CONSUMED;
	}
	dev_rx_to_upper(slave, bd, p);
	return RX_HANDLER_ANOTHER;
}

/* Linux's layer2 hash: last bytes of both MACs and the ethertype. */
static uint32_t bond_hash_l2(const uint8_t *eh)
{
	return (uint32_t)(eh[5] ^ eh[11]) ^ get_be16(eh + 12);
}

static uint32_t bond_fold6(const uint8_t *a)
{
	uint32_t w[4];

	memcpy(w, a, 16);
	return w[0] ^ w[1] ^ w[2] ^ w[3];
}

static bool bond_has_ports(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132 || proto == 136;
}

/* Fold the IPv4/IPv6 addresses (and, with ports, the first 4 bytes of TCP,
 * UDP, SCTP or UDP-Lite headers of unfragmented packets) of the frame into
 * *h. False when the frame carries no IP packet the head segment holds. */
static bool bond_hash_l3(const struct pkt *p, bool ports, uint32_t *h)
{
	const uint8_t *eh = p->data;
	uint32_t off = ETH_HLEN, l4, pw = 0, addrs;
	uint16_t type = get_be16(eh + 12);
	const uint8_t *ip;
	uint8_t proto;
	bool frag;

	if ((type == ETH_P_8021Q || type == ETH_P_8021AD) && p->len >= 18) {
		type = get_be16(eh + 16);
		off = 18;
	}
	ip = eh + off;
	if (type == ETH_P_IP4 && p->len >= off + 20 && (ip[0] & 15) >= 5) {
		uint32_t s, d;
		memcpy(&s, ip + 12, 4);
		memcpy(&d, ip + 16, 4);
		addrs = s ^ d;
		proto = ip[9];
		frag = (get_be16(ip + 6) & 0x3fff) != 0;
		l4 = off + (uint32_t)(ip[0] & 15) * 4;
	} else if (type == ETH_P_IP6 && p->len >= off + 40) {
		addrs = bond_fold6(ip + 8) ^ bond_fold6(ip + 24);
		proto = ip[6];
		frag = proto == 44;
		l4 = off + 40;
	} else {
		return false;
	}
	if (ports && !frag && bond_has_ports(proto) && p->len >= l4 + 4)
		memcpy(&pw, eh + l4, 4);
	*h = pw ^ addrs;
	return true;
}

static uint32_t bond_xmit_hash(enum bond_hash policy, const struct pkt *p)
{
	uint32_t h;

	if (unlikely(p->len < ETH_HLEN))
		return 0;
	h = policy == BOND_HASH_L34 ? 0 : bond_hash_l2(p->data);
	if (policy == BOND_HASH_L2)
		return h;
	if (!bond_hash_l3(p, policy == BOND_HASH_L34, &h))
		return bond_hash_l2(p->data);
	h ^= h >> 16;
	h ^= h >> 8;
	/* layer3+4: drop the lowest bit (even source ports are common) */
	return policy == BOND_HASH_L34 ? h >> 1 : h;
}

/* Frames that reach here all hold at least an Ethernet header (built by
 * eth_output or a forwarding upper device). */
static uint16_t bond_tx(struct dev *bd, struct pkt **pkts, uint16_t n)
{
	struct bond *b = bd->priv;
	const struct bond_map *m = rcu_dereference(b->map);
	struct pkt *sub[PKT_MAX_BURST];
	uint8_t slot[PKT_MAX_BURST];
	uint32_t used = 0;

	if (!m || m->n_tx == 0) {
		for (uint16_t i = 0; i < n; i++)
			dev_tx_drop(bd, pkts[i], DROP_BOND_NO_SLAVE);
		return 0;
	}
	if (m->n_tx == 1) {
		dev_xmit_lower(bd, m->tx[0], pkts, n);
		return n;
	}
	for (uint16_t i = 0; i < n; i++) {
		slot[i] = (uint8_t)(bond_xmit_hash(b->hash, pkts[i]) % m->n_tx);
		used |= 1u << slot[i];
	}
	for (uint32_t s = 0; s < m->n_tx; s++) {
		uint16_t k = 0;
		if (!(used >> s & 1))
			continue;
		for (uint16_t i = 0; i < n; i++)
			if (slot[i] == s)
				sub[k++] = pkts[i];
		dev_xmit_lower(bd, m->tx[s], sub, k);
	}
	return n;
}

/* ---- link state and slave selection (control thread) --------------------- */

/* A slave has link when usnet has it up and, with miimon, its driver
 * reports carrier (or cannot tell). */
static bool bond_slave_link(const struct bond *b, const struct bond_slave *s)
{
	struct dev *d = s->dev;

	if (!d->admin_up || !__atomic_load_n(&d->oper_up, __ATOMIC_ACQUIRE))
		return false;
	if (b->miimon == 0 || !d->ops->carrier)
		return true;
	return d->ops->carrier(d) != 0;
}

/* Re-read every slave's link; count up -> down transitions. */
static void bond_refresh_links(struct dev *bd)
{
	struct bond *b = bd->priv;

	for (unsigned i = 0; i < b->nslaves; i++) {
		struct bond_slave *s = &b->slaves[i];
		bool up = bond_slave_link(b, s);
		if (s->link_up && !up) {
			s->link_failures++;
			log_msg(LOG_INFO, "%s: slave %s link down", bd->name,
				s->dev->name);
		} else if (!s->link_up && up) {
			log_msg(LOG_INFO, "%s: slave %s link up", bd->name,
				s->dev->name);
		}
		s->link_up = up;
	}
}

static struct bond_slave *bond_find(struct bond *b, const struct dev *d)
{
	for (unsigned i = 0; i < b->nslaves; i++)
		if (b->slaves[i].dev == d)
			return &b->slaves[i];
	return NULL;
}

/* Active-backup: the primary when its link is up, else the current active
 * slave while its link is up, else the first slave with link. */
static struct dev *bond_pick_active(struct bond *b)
{
	struct bond_slave *cur = b->active ? bond_find(b, b->active) : NULL;

	for (unsigned i = 0; b->primary[0] && i < b->nslaves; i++)
		if (b->slaves[i].link_up &&
		    strcmp(b->slaves[i].dev->name, b->primary) == 0)
			return b->slaves[i].dev;
	if (cur && cur->link_up)
		return cur->dev;
	for (unsigned i = 0; i < b->nslaves; i++)
		if (b->slaves[i].link_up)
			return b->slaves[i].dev;
	return NULL;
}

static void bond_map_add(struct bond_map *m, struct dev *d)
{
	m->tx[m->n_tx++] = d;
	m->rx_ok[d->ifindex / 64] |= 1ull << (d->ifindex % 64);
}

/* 802.3ad: every slave's mailbox; the distributing slaves carry traffic. */
static void bond_build_lacp_map(struct bond *b, struct bond_map *m)
{
	m->lacp = true;
	for (unsigned i = 0; i < b->nslaves; i++) {
		struct bond_slave *s = &b->slaves[i];
		m->port_ifindex[m->n_port] = s->ifindex;
		m->port[m->n_port++] = s->port;
		if (lacp_port_distributing(&s->port->lacp))
			bond_map_add(m, s->dev);
	}
}

static void bond_build_map(struct bond *b, struct bond_map *m)
{
	memset(m, 0, sizeof(*m));
	if (b->mode == BOND_8023AD) {
		bond_build_lacp_map(b, m);
		return;
	}
	if (b->mode == BOND_ACTIVE_BACKUP) {
		if (b->active)
			bond_map_add(m, b->active);
		return;
	}
	for (unsigned i = 0; i < b->nslaves; i++)
		if (b->slaves[i].link_up)
			bond_map_add(m, b->slaves[i].dev);
}

/* Publish m (taken over) when it differs from the current map. */
static void bond_publish(struct bond *b, struct bond_map *m)
{
	struct bond_map *old = b->map;

	if (old && memcmp(old, m, sizeof(*m)) == 0) {
		free(m);
		return;
	}
	rcu_assign_pointer(b->map, m);
	synchronize_rcu();
	free(old);
}

/* Tell the network where the bond's MAC now is: a gratuitous ARP per IPv4
 * address and a neighbor solicitation from the link-local address, sent
 * through the bond (so on the new active slave). */
static void bond_announce(struct dev *bd)
{
	struct bond *b = bd->priv;
	struct worker *w;

	if (!b->announce_pending || !b->active ||
	    !__atomic_load_n(&bd->oper_up, __ATOMIC_ACQUIRE))
		return;
	b->announce_pending = false;
	w = worker_ctl();
	for (uint32_t i = 0; i < bd->naddr; i++)
		if (bd->addr[i].family == AF_INET)
			arp_announce(w, bd, bd->addr[i].addr.v4);
	nd_solicit(w, bd, bd->ll6.v6, NULL);
	worker_tx_flush(w);
}

/* Recompute link states, the active slave and the map; announce a new
 * active slave. */
static void bond_update(struct dev *bd)
{
	struct bond *b = bd->priv;
	struct bond_map *m = malloc(sizeof(*m));
	struct dev *old = b->active;

	bond_refresh_links(bd);
	if (b->mode == BOND_ACTIVE_BACKUP)
		b->active = bond_pick_active(b);
	if (b->active != old) {
		log_msg(LOG_INFO, "%s: active slave %s -> %s", bd->name,
			old ? old->name : "none",
			b->active ? b->active->name : "none");
		if (old && b->active)
			b->failovers++;
		b->announce_pending = b->active != NULL;
	}
	if (!m) {
		log_msg(LOG_ERR, "%s: out of memory: slave map not updated",
			bd->name);
		return;
	}
	bond_build_map(b, m);
	bond_publish(b, m);
	bond_announce(bd);
}

void bond_check_links(struct dev *d)
{
	if (bond_is_bond(d))
		bond_update(d);
}

/* ---- 802.3ad (control thread) --------------------------------------------- */

/* Send the port's LACPDU on slave (staged on the control thread's worker). */
static void bond_lacp_send(struct dev *slave, const struct lacp_port *lp)
{
	struct pkt *p = pkt_alloc(LACP_PDU_LEN);
	uint8_t *b = p ? pkt_put(p, LACP_PDU_LEN) : NULL;
	struct lacp_pdu u;

	if (!b) {
		pkt_free(p);
		log_msg(LOG_DEBUG, "bond: %s: no memory for a LACPDU",
			slave->name);
		return;
	}
	lacp_port_pdu(lp, &u);
	lacp_pdu_build(&u, b);
	p->flags |= PKT_F_LOCAL_ORIGIN;
	p->out_ifindex = slave->ifindex;
	eth_output(worker_ctl(), slave, lacp_dst_mac, ETH_P_SLOW, p);
}

/* The LACPDU a worker left for s since the last call, if any. */
static bool bond_lacp_take(struct bond_slave *s, struct lacp_pdu *u)
{
	struct bond_port *bp = s->port;
	bool got;

	pthread_spin_lock(&bp->lock);
	got = bp->fresh;
	*u = bp->pdu;
	bp->fresh = false;
	pthread_spin_unlock(&bp->lock);
	return got;
}

/* One round of every slave's LACP machines; republish the map when a slave
 * starts or stops distributing. */
static void bond_lacp_run(struct dev *bd, uint64_t now)
{
	struct bond *b = bd->priv;
	struct lacp_port *ports[BOND_SLAVES_MAX];
	struct lacp_cfg cfg = b->lacp;
	bool up = __atomic_load_n(&bd->oper_up, __ATOMIC_ACQUIRE);
	bool changed = false;
	struct lacp_pdu u;

	if (!b->lacp_sys_set)
		memcpy(cfg.sys, bd->mac, 6);
	cfg.key = (uint16_t)bd->ifindex;
	for (unsigned i = 0; i < b->nslaves; i++) {
		struct bond_slave *s = &b->slaves[i];
		bool got = bond_lacp_take(s, &u);
		ports[i] = &s->port->lacp;
		lacp_port_config(ports[i], &cfg);
		lacp_rx_machine(ports[i], up && s->link_up, got ? &u : NULL,
				now);
	}
	lacp_select(ports, b->nslaves, &b->agg);
	for (unsigned i = 0; i < b->nslaves; i++) {
		if (!lacp_mux_machine(ports[i], now))
			continue;
		changed = true;
		log_msg(LOG_INFO, "%s: slave %s %s", bd->name,
			b->slaves[i].dev->name,
			lacp_port_distributing(ports[i])
				? "collecting and distributing"
				: "no longer collecting and distributing");
	}
	for (unsigned i = 0; i < b->nslaves; i++)
		if (lacp_tx_due(ports[i], now))
			bond_lacp_send(b->slaves[i].dev, ports[i]);
	worker_tx_flush(worker_ctl());
	if (changed)
		bond_update(bd);
}

void bond_timer(uint64_t now_ms)
{
	for (struct dev *d = dev_next(NULL); d; d = dev_next(d)) {
		struct bond *b;
		if (!bond_is_bond(d))
			continue;
		b = d->priv;
		if (b->mode == BOND_8023AD)
			bond_lacp_run(d, now_ms);
		if (now_ms < b->next_poll_ms)
			continue;
		b->next_poll_ms = now_ms +
				  (b->miimon ? b->miimon : BOND_MIIMON_DEFAULT);
		bond_update(d);
	}
}

struct dev *bond_active_slave(const struct dev *d)
{
	const struct bond *b;

	if (!bond_is_bond(d))
		return NULL;
	b = d->priv;
	return b->mode == BOND_ACTIVE_BACKUP ? b->active : NULL;
}

/* ---- enslave / release ---------------------------------------------------- */

/* Set the bond's MAC without marking it as chosen by the user. */
static void bond_take_mac(struct dev *bd, const uint8_t mac[6])
{
	struct bond *b = bd->priv;
	char err[DRV_ERR_SIZE];

	b->setting_mac = true;
	if (dev_set_mac(bd, mac, err) < 0)
		log_msg(LOG_WARN, "%s", err);
	b->setting_mac = false;
}

static int bond_check_slave(struct dev *bd, struct dev *slave, char *err)
{
	struct bond *b = bd->priv;

	if (b->nslaves == BOND_SLAVES_MAX) {
		drv_errf(err, "bond: %s already has the maximum of %u slaves",
			 bd->name, BOND_SLAVES_MAX);
		return -ENOSPC;
	}
	if (bond_is_bond(slave)) {
		drv_errf(err, "bond: %s is a bond: bonds of bonds are not supported",
			 slave->name);
		return -EINVAL;
	}
	if (!slave->has_l2) {
		drv_errf(err, "bond: %s has no Ethernet framing", slave->name);
		return -EINVAL;
	}
	if (slave->rx_handler) {
		drv_errf(err, "bond: %s already belongs to another upper device",
			 slave->name);
		return -EBUSY;
	}
	return 0;
}

/* Give the slave the bond's MTU and bring it up (as Linux's enslave);
 * undone on failure. */
static int bond_prepare_slave(struct dev *bd, struct dev *slave, char *err)
{
	uint32_t old_mtu = slave->mtu;
	char e2[DRV_ERR_SIZE], why[DRV_ERR_SIZE];
	int rc;

	if (slave->mtu != bd->mtu) {
		rc = dev_set_mtu(slave, bd->mtu, why);
		if (rc < 0) {
			drv_errf(err, "bond: cannot enslave %s: %s", slave->name,
				 why);
			return rc;
		}
	}
	if (!slave->admin_up) {
		rc = dev_set_up(slave, true, why);
		if (rc < 0) {
			drv_errf(err, "bond: cannot enslave %s: %s", slave->name,
				 why);
			if (old_mtu != slave->mtu)
				dev_set_mtu(slave, old_mtu, e2);
			return rc;
		}
	}
	return 0;
}

/* 802.3ad: a detached, defaulted port numbered by the slave's ifindex. */
static struct bond_port *bond_port_new(struct bond *b, struct dev *slave,
				       char *err)
{
	struct bond_port *bp = calloc(1, sizeof(*bp));

	if (!bp || pthread_spin_init(&bp->lock, PTHREAD_PROCESS_PRIVATE)) {
		free(bp);
		drv_errf(err, "bond: out of memory enslaving %s", slave->name);
		return NULL;
	}
	lacp_port_init(&bp->lacp, (uint16_t)slave->ifindex, &b->lacp);
	return bp;
}

static void bond_port_free(struct bond_port *bp)
{
	if (!bp)
		return;
	pthread_spin_destroy(&bp->lock);
	free(bp);
}

static int bond_add_slave(struct dev *bd, struct dev *slave, char *err)
{
	struct bond *b = bd->priv;
	struct bond_port *bp = NULL;
	struct bond_slave *s;
	int rc = bond_check_slave(bd, slave, err);

	if (rc == 0 && b->mode == BOND_8023AD) {
		bp = bond_port_new(b, slave, err);
		rc = bp ? 0 : -ENOMEM;
	}
	if (rc == 0)
		rc = bond_prepare_slave(bd, slave, err);
	if (rc < 0) {
		bond_port_free(bp);
		return rc;
	}
	if (b->nslaves == 0 && !b->user_mac)
		bond_take_mac(bd, slave->mac);
	s = &b->slaves[b->nslaves++];
	memset(s, 0, sizeof(*s));
	s->dev = slave;
	s->ifindex = slave->ifindex;
	s->port = bp;
	slave->rx_handler_data = bd;
	rcu_assign_pointer(slave->rx_handler, bond_rx);
	bond_update(bd);
	return 0;
}

/* Take the rx_handler off a slave; workers are done with it on return. */
static void bond_unhook(struct dev *slave)
{
	rcu_assign_pointer(slave->rx_handler, NULL);
	synchronize_rcu();
	slave->rx_handler_data = NULL;
}

static void bond_del_slave(struct dev *bd, struct dev *slave)
{
	struct bond *b = bd->priv;
	struct bond_slave *s = bond_find(b, slave);
	struct bond_port *bp;
	unsigned i;

	if (!s)
		return;
	bp = s->port;
	i = (unsigned)(s - b->slaves);
	memmove(s, s + 1, (b->nslaves - i - 1) * sizeof(*s));
	b->nslaves--;
	bond_update(bd); /* the slave is out of the map before... */
	bond_unhook(slave); /* ...its handler goes */
	bond_port_free(bp); /* no worker can reach the mailbox now */
	if (b->nslaves == 0 && !b->user_mac) {
		uint8_t mac[6];
		dev_random_mac(mac);
		bond_take_mac(bd, mac);
	}
}

/* ---- device ops ----------------------------------------------------------- */

static void bond_lower_state(struct dev *bd, struct dev *slave)
{
	bond_update(bd);
}

static int bond_open(struct dev *bd, char *err)
{
	struct bond *b = bd->priv;

	b->announce_pending = b->active != NULL; /* sent at the next poll */
	b->next_poll_ms = 0;
	return 0;
}

static int bond_set_mac(struct dev *bd, const uint8_t mac[6])
{
	struct bond *b = bd->priv;

	if (!b->setting_mac)
		b->user_mac = true;
	return 0;
}

/* Slaves follow the bond's MTU (all or none). */
static int bond_set_mtu(struct dev *bd, uint32_t mtu)
{
	struct bond *b = bd->priv;
	char err[DRV_ERR_SIZE];
	unsigned i;
	int rc = 0;

	for (i = 0; i < b->nslaves && rc == 0; i++)
		rc = dev_set_mtu(b->slaves[i].dev, mtu, err);
	if (rc == 0)
		return 0;
	log_msg(LOG_WARN, "%s: %s", bd->name, err);
	for (unsigned k = 0; k + 1 < i; k++)
		dev_set_mtu(b->slaves[k].dev, bd->mtu, err);
	return rc;
}

/* Release every slave still registered (at shutdown some may already be
 * gone), then free the map. */
static void bond_destroy(struct dev *bd)
{
	struct bond *b = bd->priv;

	for (unsigned i = 0; i < b->nslaves; i++) {
		struct bond_slave *s = &b->slaves[i];
		if (dev_get(s->ifindex) != s->dev)
			continue;
		rcu_assign_pointer(s->dev->rx_handler, NULL);
		if (s->dev->master == bd)
			s->dev->master = NULL;
	}
	synchronize_rcu();
	for (unsigned i = 0; i < b->nslaves; i++) {
		if (dev_get(b->slaves[i].ifindex) == b->slaves[i].dev)
			b->slaves[i].dev->rx_handler_data = NULL;
		bond_port_free(b->slaves[i].port);
	}
	b->nslaves = 0;
	free(b->map);
	b->map = NULL;
}

/* The actor system a bond's LACPDUs carry. */
static const uint8_t *bond_lacp_sys(const struct dev *bd)
{
	const struct bond *b = bd->priv;

	return b->lacp_sys_set ? b->lacp.sys : bd->mac;
}

/* Aggregator id shown for a port: 1 (the bond's one aggregator) while
 * selected, 0 when detached. */
static unsigned bond_lacp_agg_id(const struct lacp_port *lp)
{
	return lp->selected ? 1 : 0;
}

static void bond_describe_lacp_text(const struct bond_slave *s,
				    struct ctl_out *o)
{
	const struct lacp_port *lp = &s->port->lacp;
	char a[96], pa[96], mac[18];

	out_text(o, " lacp rx %s mux %s actor_state %s partner_state %s "
		    "partner_system %s partner_key %u aggregator %u%s%s",
		 lacp_rx_state_name(lp->rx), lacp_mux_state_name(lp->mux),
		 lp->actor.state ? lacp_state_str(lp->actor.state, a) : "none",
		 lp->partner.state ? lacp_state_str(lp->partner.state, pa) : "none",
		 out_mac(lp->partner.sys, mac), lp->partner.key,
		 bond_lacp_agg_id(lp),
		 lp->actor.state & LACP_ST_COLLECTING ? " collecting" : "",
		 lp->actor.state & LACP_ST_DISTRIBUTING ? " distributing" : "");
}

static void bond_describe_lacp_json(const struct bond_slave *s,
				    struct ctl_out *o)
{
	const struct lacp_port *lp = &s->port->lacp;
	char a[96], mac[18];

	out_obj_begin(o, "lacp");
	out_str(o, "rx_state", lacp_rx_state_name(lp->rx));
	out_str(o, "mux_state", lacp_mux_state_name(lp->mux));
	out_u64(o, "actor_port", lp->actor.port);
	out_u64(o, "actor_key", lp->actor.key);
	out_u64(o, "actor_state", lp->actor.state);
	out_str(o, "actor_state_flags", lacp_state_str(lp->actor.state, a));
	out_u64(o, "partner_state", lp->partner.state);
	out_str(o, "partner_state_flags", lacp_state_str(lp->partner.state, a));
	out_str(o, "partner_system", out_mac(lp->partner.sys, mac));
	out_u64(o, "partner_sys_prio", lp->partner.sys_prio);
	out_u64(o, "partner_key", lp->partner.key);
	out_u64(o, "partner_port", lp->partner.port);
	out_u64(o, "aggregator_id", bond_lacp_agg_id(lp));
	out_bool(o, "collecting", lp->actor.state & LACP_ST_COLLECTING);
	out_bool(o, "distributing", lp->actor.state & LACP_ST_DISTRIBUTING);
	out_u64(o, "lacpdu_rx", lp->rx_pdus);
	out_u64(o, "lacpdu_tx", lp->tx_pdus);
	out_obj_end(o);
}

static void bond_describe(struct dev *bd, struct ctl_out *o)
{
	struct bond *b = bd->priv;
	const char *active = b->active ? b->active->name : "none";
	bool ad = b->mode == BOND_8023AD;
	char mac[18];

	out_text(o, " bond mode %s", bond_mode_names[b->mode]);
	if (b->mode != BOND_ACTIVE_BACKUP)
		out_text(o, " xmit_hash_policy %s", bond_hash_names[b->hash]);
	if (ad)
		out_text(o, " lacp_rate %s ad_actor_system %s ad_actor_sys_prio %u",
			 b->lacp.fast ? "fast" : "slow",
			 out_mac(bond_lacp_sys(bd), mac), b->lacp.sys_prio);
	out_text(o, " miimon %u", b->miimon);
	if (b->primary[0])
		out_text(o, " primary %s", b->primary);
	if (b->mode == BOND_ACTIVE_BACKUP)
		out_text(o, " active_slave %s failovers %llu", active,
			 (unsigned long long)b->failovers);
	for (unsigned i = 0; i < b->nslaves; i++) {
		out_text(o, " slave %s %s failures %llu", b->slaves[i].dev->name,
			 b->slaves[i].link_up ? "up" : "down",
			 (unsigned long long)b->slaves[i].link_failures);
		if (ad)
			bond_describe_lacp_text(&b->slaves[i], o);
	}
	if (ad) {
		out_str(o, "lacp_rate", b->lacp.fast ? "fast" : "slow");
		out_str(o, "ad_actor_system", out_mac(bond_lacp_sys(bd), mac));
		out_u64(o, "ad_actor_sys_prio", b->lacp.sys_prio);
	}

	out_str(o, "mode", bond_mode_names[b->mode]);
	out_str(o, "xmit_hash_policy", bond_hash_names[b->hash]);
	out_u64(o, "miimon", b->miimon);
	out_str(o, "primary", b->primary);
	out_str(o, "active_slave", b->mode == BOND_ACTIVE_BACKUP ? active : "");
	out_u64(o, "failovers", b->failovers);
	out_arr_begin(o, "slaves");
	for (unsigned i = 0; i < b->nslaves; i++) {
		const struct bond_slave *s = &b->slaves[i];
		out_obj_begin(o, NULL);
		out_str(o, "ifname", s->dev->name);
		out_str(o, "link", s->link_up ? "up" : "down");
		out_u64(o, "link_failures", s->link_failures);
		if (ad)
			bond_describe_lacp_json(s, o);
		out_obj_end(o);
	}
	out_arr_end(o);
}

static const struct dev_ops bond_ops = {
	.kind = "bond",
	.open = bond_open,
	.close = drv_close_nothing,
	.rx_burst = drv_rx_nothing,
	.tx_burst = bond_tx,
	.rx_fd = drv_no_fd,
	.set_mtu = bond_set_mtu,
	.set_mac = bond_set_mac,
	.destroy = bond_destroy,
	.describe = bond_describe,
	.rx_done = drv_rx_always_done,
	.add_slave = bond_add_slave,
	.del_slave = bond_del_slave,
	.lower_state = bond_lower_state,
};

/* ---- create ------------------------------------------------------------- */

/* Index of val in names[n], or -1 with err naming the bad word. */
static int bond_parse_word(const char *key, const char *val,
			   const char *const *names, unsigned n, char *err)
{
	for (unsigned i = 0; i < n; i++)
		if (strcmp(val, names[i]) == 0)
			return (int)i;
	if (strcmp(key, "mode") == 0)
		drv_errf(err, "bond: unknown mode '%s' (active-backup, "
			      "balance-xor or 802.3ad)", val);
	else if (strcmp(key, "lacp_rate") == 0)
		drv_errf(err, "bond: unknown lacp_rate '%s' (slow or fast)", val);
	else
		drv_errf(err, "bond: unknown %s '%s' (layer2, layer2+3 or layer3+4)",
			 key, val);
	return -1;
}

/* ad_actor_system: a unicast, non-zero MAC (as Linux). */
static int bond_parse_actor_sys(struct bond *b, const char *v, char *err)
{
	static const uint8_t zero[6];
	uint8_t mac[6];

	if (drv_parse_mac("bond", "ad_actor_system", v, mac, err) < 0)
		return -1;
	if ((mac[0] & 1) || memcmp(mac, zero, 6) == 0) {
		drv_errf(err, "bond: invalid ad_actor_system '%s' (a unicast, "
			      "non-zero MAC)", v);
		return -1;
	}
	memcpy(b->lacp.sys, mac, 6);
	b->lacp_sys_set = true;
	return 0;
}

/* The 802.3ad arguments; -2 when k is none of them. */
static int bond_parse_lacp_arg(struct bond *b, const char *k, const char *v,
			       char *err)
{
	static const char *const rates[] = { "slow", "fast" };
	uint32_t prio;
	int x;

	if (strcmp(k, "lacp_rate") == 0) {
		x = bond_parse_word(k, v, rates, ARRAY_SIZE(rates), err);
		b->lacp.fast = x == 1;
	} else if (strcmp(k, "ad_actor_system") == 0) {
		x = bond_parse_actor_sys(b, v, err);
	} else if (strcmp(k, "ad_actor_sys_prio") == 0) {
		x = drv_parse_u32("bond", "ad_actor_sys_prio", v, 1, 65535,
				  &prio, err);
		b->lacp.sys_prio = (uint16_t)prio;
	} else {
		return -2;
	}
	b->lacp_args = true;
	return x < 0 ? -1 : 0;
}

static int bond_parse_arg(struct bond *b, const char *k, const char *v,
			  char *err)
{
	int x = bond_parse_lacp_arg(b, k, v, err);

	if (x != -2)
		return x;
	if (strcmp(k, "mode") == 0) {
		x = bond_parse_word(k, v, bond_mode_names,
				    ARRAY_SIZE(bond_mode_names), err);
		if (x >= 0)
			b->mode = (enum bond_mode)x;
	} else if (strcmp(k, "xmit_hash_policy") == 0) {
		x = bond_parse_word(k, v, bond_hash_names,
				    ARRAY_SIZE(bond_hash_names), err);
		if (x >= 0)
			b->hash = (enum bond_hash)x;
	} else if (strcmp(k, "miimon") == 0) {
		x = drv_parse_u32("bond", "miimon", v, 0, BOND_MIIMON_MAX,
				  &b->miimon, err);
	} else {
		x = drv_parse_ifname("bond", "primary", v, b->primary, err);
	}
	return x < 0 ? -1 : 0;
}

static int bond_parse(struct bond *b, int argc, char **argv, char *err)
{
	for (int i = 0; i < argc; i++) {
		const char *k = argv[i], *v;
		if (strcmp(k, "mode") && strcmp(k, "xmit_hash_policy") &&
		    strcmp(k, "miimon") && strcmp(k, "primary") &&
		    strcmp(k, "lacp_rate") && strcmp(k, "ad_actor_system") &&
		    strcmp(k, "ad_actor_sys_prio"))
			return drv_err_unknown("bond", k, err);
		if (drv_arg_value("bond", argc, argv, &i, &v, err) < 0 ||
		    bond_parse_arg(b, k, v, err) < 0)
			return -1;
	}
	if (b->lacp_args && b->mode != BOND_8023AD) {
		drv_errf(err, "bond: lacp_rate, ad_actor_system and "
			      "ad_actor_sys_prio apply to mode 802.3ad only");
		return -1;
	}
	return 0;
}

static struct dev *bond_create(const char *name, int argc, char **argv,
			       char *err)
{
	struct bond cfg = { .mode = BOND_ACTIVE_BACKUP, .hash = BOND_HASH_L2,
			    .miimon = BOND_MIIMON_DEFAULT,
			    .lacp = { .sys_prio = 65535 } };
	struct dev *d;

	if (bond_parse(&cfg, argc, argv, err) < 0)
		return NULL;
	d = drv_alloc("bond", name, &bond_ops, sizeof(struct bond), err);
	if (!d)
		return NULL;
	memcpy(d->priv, &cfg, sizeof(cfg));
	d->features = DEV_F_SG | DEV_F_CSUM | DEV_F_TSO4 | DEV_F_TSO6 |
		      DEV_F_USO | DEV_F_FRAGLIST;
	return d;
}

const struct dev_driver bond_driver = {
	.kind = "bond",
	.usage = "[mode active-backup|balance-xor|802.3ad] "
		 "[xmit_hash_policy layer2|layer2+3|layer3+4] [miimon MS] "
		 "[primary NAME] [lacp_rate slow|fast] [ad_actor_system MAC] "
		 "[ad_actor_sys_prio N]",
	.create = bond_create,
};
