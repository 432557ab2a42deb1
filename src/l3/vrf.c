/* VRF device kind (`link add red type vrf table 10`) and its Rx/Tx hooks.
 * The first VRF created adds the l3mdev rule (priority 1000), as Linux.
 *
 * Enslaving a device (`link set p1 master red`) moves its addresses' local,
 * connected and broadcast routes into the VRF table and makes it route
 * there; releasing moves them back. The VRF device itself may carry
 * addresses (VRF-local loopback): their local routes are in the VRF table
 * too, so members reach them. */
#include "l3/vrf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <urcu-qsbr.h>

#include "core/util.h"
#include "dev/dev.h"
#include "dev/drivers.h"
#include "fib/fib.h"
#include "fib/fib_exc.h"
#include "fib/fib_rules.h"
#include "l2/eth.h"
#include "l2/neigh.h"
#include "ctl/out.h"
#include "l3/addr.h"

struct vrf_priv {
	uint32_t table;
};

static const struct dev_ops vrf_ops;

struct dev *vrf_of(const struct dev *d)
{
	if (d->ops == &vrf_ops)
		return (struct dev *)d;
	if (d->l3mdev_table && d->master) {
		struct dev *m = d->master;
		return m->ops == &vrf_ops ? m : vrf_of(m);
	}
	return NULL;
}

void vrf_flow_update(struct fib_flow *fl, uint32_t table, const struct dev *d,
		     bool rx)
{
	const struct dev *vrf = d ? vrf_of(d) : NULL;

	fl->l3mdev_table = table;
	if (vrf)
		*(rx ? &fl->iif : &fl->oif) = vrf->ifindex;
}

static void vrf_capture(struct dev *vrf, struct pkt *p, const uint8_t *eh,
			int dir)
{
	dev_capture_fn cap = rcu_dereference(vrf->capture);
	uint8_t *h;

	if (likely(!cap))
		return;
	h = pkt_push(p, ETH_HLEN);
	if (!h)
		return;
	if (eh != h)
		memcpy(h, eh, ETH_HLEN);
	cap(vrf, p, dir);
	pkt_pull(p, ETH_HLEN);
}

void vrf_rx_capture(const struct dev *in, struct pkt *p)
{
	struct dev *vrf = in->l3mdev_table ? vrf_of(in) : NULL;

	if (vrf && vrf != in && p->l2_off != PKT_OFF_UNSET &&
	    pkt_head(p) + p->l2_off + ETH_HLEN == p->data)
		vrf_capture(vrf, p, p->data - ETH_HLEN, 0);
}

void vrf_tx_hook(const struct dev *out, struct pkt *p, uint16_t ethertype)
{
	struct dev *vrf = out->l3mdev_table ? vrf_of(out) : NULL;
	struct dev_stats *s;
	uint8_t eh[ETH_HLEN] = { 0 };

	if (!vrf || vrf == out)
		return;
	s = dev_stats_here(vrf);
	s->originated++;
	s->tx_packets++;
	s->tx_bytes += p->total_len;
	if (pkt_headroom(p) >= ETH_HLEN && !pkt_is_shared(p)) {
		put_be16(eh + 12, ethertype);
		vrf_capture(vrf, p, eh, 1);
	}
}

static int vrf_add_slave(struct dev *vrf, struct dev *slave, char *err)
{
	const struct vrf_priv *vp = vrf->priv;

	if (slave->ops == &vrf_ops) {
		snprintf(err, 256, "a VRF cannot be enslaved to a VRF");
		return -EINVAL;
	}
	neigh_flush_dev(slave);
	addr_move_table(slave, vp->table);
	return 0;
}

static void vrf_del_slave(struct dev *vrf, struct dev *slave)
{
	neigh_flush_dev(slave);
	addr_move_table(slave, 0);
}

static int vrf_open(struct dev *d, char *err)
{
	return 0;
}

/* Frames sent on the VRF device itself have no wire: routes pointing at
 * the VRF device are for local addresses, delivered before this point. */
static uint16_t vrf_tx_burst(struct dev *d, struct pkt **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		dev_tx_drop(d, pkts[i], DROP_TX_ERROR);
	return 0;
}

static uint16_t vrf_rx_burst(struct dev *d, struct pkt **pkts, uint16_t n)
{
	return 0;
}

static void vrf_destroy(struct dev *d)
{
	const struct vrf_priv *vp = d->priv;

	fib_exc_flush(vp->table);
}

static void vrf_describe(struct dev *d, struct ctl_out *out)
{
	const struct vrf_priv *vp = d->priv;

	out_text(out, " table %u", vp->table);
	out_u64(out, "table", vp->table);
}

static const struct dev_ops vrf_ops = {
	.kind = "vrf",
	.open = vrf_open,
	.rx_burst = vrf_rx_burst,
	.tx_burst = vrf_tx_burst,
	.destroy = vrf_destroy,
	.describe = vrf_describe,
	.add_slave = vrf_add_slave,
	.del_slave = vrf_del_slave,
};

static struct dev *vrf_create(const char *name, int argc, char **argv,
			      char *err)
{
	struct vrf_priv *vp;
	unsigned long table = 0;
	struct dev *d;
	char *end;

	if (argc != 2 || strcmp(argv[0], "table") != 0) {
		snprintf(err, 256, "vrf: expected 'table ID'");
		return NULL;
	}
	table = strtoul(argv[1], &end, 10);
	if (*end || end == argv[1] || table == 0 || table > 0xffffffffu ||
	    table == FIB_TABLE_MAIN || table == FIB_TABLE_LOCAL ||
	    table == FIB_TABLE_DEFAULT) {
		snprintf(err, 256,
			 "vrf: invalid table '%.32s' (1..4294967295, not 253/254/255)",
			 argv[1]);
		return NULL;
	}
	for (struct dev *o = dev_next(NULL); o; o = dev_next(o)) {
		if (o->ops == &vrf_ops &&
		    ((struct vrf_priv *)o->priv)->table == table) {
			snprintf(err, 256, "vrf: table %lu already belongs to %s",
				 table, o->name);
			return NULL;
		}
	}
	if (fib_rules_l3mdev_install() < 0) {   /* Linux: with the first VRF */
		snprintf(err, 256, "vrf: out of memory adding the l3mdev rule");
		return NULL;
	}
	d = dev_alloc(name, &vrf_ops, sizeof(*vp));
	if (!d) {
		snprintf(err, 256, "vrf: out of memory");
		return NULL;
	}
	vp = d->priv;
	vp->table = (uint32_t)table;
	d->l3mdev_table = (uint32_t)table;
	d->table_id = (uint32_t)table;
	d->mtu = 65535;
	d->features = DEV_F_SG | DEV_F_CSUM | DEV_F_TSO4 | DEV_F_TSO6 |
		      DEV_F_USO | DEV_F_FRAGLIST;
	return d;
}

const struct dev_driver vrf_driver = {
	.kind = "vrf",
	.usage = "table ID",
	.create = vrf_create,
};
