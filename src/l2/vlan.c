/* VLAN subinterfaces: `link add v10 link p0 type vlan id 10 [proto 802.1Q|
 * 802.1ad]` on any device (port, bond, bridge, macvlan, another VLAN for
 * QinQ), and the tag push/pop helpers.
 *
 * Design note. Receive needs no code here: Ethernet input (l2/eth.c) looks
 * the VID up in the lower device's vlan_q / vlan_ad table (VID -> ifindex),
 * pops the tag and goes on as if the frame was received on the VLAN device.
 * This file fills that table: the lower's table is allocated on first use
 * (published with a release store; the lower frees it when it goes), the
 * entry is stored atomically when the VLAN device comes up and cleared when
 * it is destroyed. Destruction runs after dev_unregister's grace period
 * (synchronize_rcu), by which time no reader can map the ifindex to the
 * device any more, so the cleared entry is never followed to freed memory.
 * Transmit pushes the tag after the MAC addresses and hands the frames to
 * the lower device with dev_xmit_lower; the lower's transmit step does the
 * checksum/GSO work its own features ask for, so a VLAN device advertises
 * every feature. The lower is held by ifindex and looked up per burst: a
 * VLAN device whose lower is gone drops (dev_down) instead of touching
 * freed memory. The MAC defaults to the lower's and follows it (at open and
 * on lower_state) until the user sets one, as Linux's vlan driver does.
 */
#include "l2/vlan.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"
#include "ctl/out.h"
#include "dev/drivers.h"
#include "l2/eth.h"
#include "l3/addr.h"

#define VLAN_FEATURES                                                          \
	(DEV_F_SG | DEV_F_CSUM | DEV_F_TSO4 | DEV_F_TSO6 | DEV_F_USO |         \
	 DEV_F_FRAGLIST)

struct vlan_priv {
	uint32_t lower_ifindex;
	uint16_t vid;
	uint16_t tpid;          /* ETH_P_8021Q or ETH_P_8021AD */
	bool inherit_mac;       /* MAC follows the lower's until set */
};

static const struct dev_ops vlan_ops;

/* ------------------------------------------------------- tag push / pop */

/* Make p's head private with VLAN_HLEN bytes of headroom; may replace *pp
 * by a copy. 0 or -ENOMEM (then *pp is unchanged). */
static int vlan_make_room(struct pkt **pp)
{
	struct pkt *c;

	if (!pkt_is_shared(*pp) && pkt_headroom(*pp) >= VLAN_HLEN)
		return 0;
	c = pkt_copy(*pp, VLAN_HLEN);
	if (!c)
		return -ENOMEM;
	pkt_free(*pp);
	*pp = c;
	return 0;
}

int vlan_tag_push(struct pkt **pp, uint16_t tpid, uint16_t tci)
{
	uint8_t *eh;
	struct pkt *p;

	if ((*pp)->len < ETH_HLEN)
		return -EINVAL;
	if (vlan_make_room(pp) < 0)
		return -ENOMEM;
	p = *pp;
	eh = pkt_push(p, VLAN_HLEN);
	if (unlikely(!eh))
		return -ENOMEM; /* not reached: vlan_make_room made room */
	memmove(eh, eh + VLAN_HLEN, 12);
	put_be16(eh + 12, tpid);
	put_be16(eh + 14, tci);
	if (p->l2_off != PKT_OFF_UNSET)
		p->l2_off = (uint16_t)(p->l2_off - VLAN_HLEN);
	return 0;
}

static bool vlan_tpid_ok(uint16_t tpid)
{
	return tpid == ETH_P_8021Q || tpid == ETH_P_8021AD;
}

int vlan_tag_pop(struct pkt *p, uint16_t *tpid, uint16_t *tci)
{
	uint16_t t;

	if (p->len < ETH_HLEN + VLAN_HLEN)
		return -EINVAL;
	t = get_be16(p->data + 12);
	if (!vlan_tpid_ok(t))
		return -EINVAL;
	if (pkt_is_shared(p) && pkt_make_writable(p) < 0)
		return -ENOMEM;
	*tpid = t;
	*tci = get_be16(p->data + 14);
	memmove(p->data + VLAN_HLEN, p->data, 12);
	pkt_pull(p, VLAN_HLEN);
	if (p->l2_off != PKT_OFF_UNSET)
		p->l2_off = (uint16_t)(p->l2_off + VLAN_HLEN);
	return 0;
}

/* --------------------------------------------------------------- device */

bool vlan_is_vlan(const struct dev *d)
{
	return d->ops == &vlan_ops;
}

struct dev *vlan_lower(const struct dev *d)
{
	const struct vlan_priv *v = d->priv;

	return vlan_is_vlan(d) ? dev_get(v->lower_ifindex) : NULL;
}

static const char *vlan_proto_name(uint16_t tpid)
{
	return tpid == ETH_P_8021AD ? "802.1ad" : "802.1Q";
}

/* The lower's table slot for our protocol. */
static uint32_t **vlan_table_slot(struct dev *lower, uint16_t tpid)
{
	return tpid == ETH_P_8021Q ? &lower->vlan_q : &lower->vlan_ad;
}

/* Copy the lower's MAC while it is inherited. Control thread. */
static void vlan_sync_mac(struct dev *d, const struct dev *lower)
{
	struct vlan_priv *v = d->priv;

	if (!v->inherit_mac || memcmp(d->mac, lower->mac, 6) == 0)
		return;
	memcpy(d->mac, lower->mac, 6);
	addr_set_ll6(d);
}

/* Publish d in its lower's table (allocated on first use). The entry stays
 * while d is down (close has nothing to do): Ethernet input skips VLAN
 * devices that are not oper_up. */
static int vlan_open(struct dev *d, char *err)
{
	struct vlan_priv *v = d->priv;
	struct dev *lower = dev_get(v->lower_ifindex), *other;
	uint32_t **slot, *tbl;

	if (!lower) {
		drv_errf(err, "vlan: %s: its lower device is gone", d->name);
		return -ENODEV;
	}
	slot = vlan_table_slot(lower, v->tpid);
	tbl = *slot;
	if (!tbl) {
		tbl = calloc(VLAN_N_VID, sizeof(*tbl));
		if (!tbl) {
			drv_errf(err, "vlan: out of memory for %s's VLAN table",
				 lower->name);
			return -ENOMEM;
		}
		__atomic_store_n(slot, tbl, __ATOMIC_RELEASE);
	}
	other = tbl[v->vid] != d->ifindex ? dev_get(tbl[v->vid]) : NULL;
	if (other) {
		drv_errf(err, "vlan: %s already has %s VLAN %u (%s)",
			 lower->name, vlan_proto_name(v->tpid), v->vid,
			 other->name);
		return -EEXIST;
	}
	vlan_sync_mac(d, lower);
	__atomic_store_n(&tbl[v->vid], d->ifindex, __ATOMIC_RELEASE);
	return 0;
}

/* After dev_unregister's grace period (or for a never registered device). */
static void vlan_destroy(struct dev *d)
{
	struct vlan_priv *v = d->priv;
	struct dev *lower = dev_get(v->lower_ifindex);
	uint32_t *tbl;

	if (!lower || !d->ifindex)
		return;
	tbl = *vlan_table_slot(lower, v->tpid);
	if (tbl && tbl[v->vid] == d->ifindex)
		__atomic_store_n(&tbl[v->vid], 0, __ATOMIC_RELEASE);
}

static enum drop_reason vlan_push_drop_reason(int rc)
{
	return rc == -ENOMEM ? DROP_NOMEM
	       : rc == -EINVAL ? DROP_ETH_TRUNCATED : DROP_DEV_DOWN;
}

/* Push the tag on every frame and send the burst down. */
static uint16_t vlan_tx(struct dev *d, struct pkt **pkts, uint16_t n)
{
	const struct vlan_priv *v = d->priv;
	struct dev *lower = dev_get(v->lower_ifindex);
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct pkt *p = pkts[i];
		int rc = lower ? vlan_tag_push(&p, v->tpid, v->vid) : -ENODEV;

		if (rc < 0) {
			dev_tx_drop(d, p, vlan_push_drop_reason(rc));
			continue;
		}
		pkts[k++] = p;
	}
	if (k)
		dev_xmit_lower(d, lower, pkts, k);
	return k;
}

static int vlan_set_mtu(struct dev *d, uint32_t mtu)
{
	const struct dev *lower = vlan_lower(d);

	if (lower && mtu > lower->mtu)
		return -ERANGE; /* as Linux: not above the lower's MTU */
	return drv_set_mtu_any(d, mtu);
}

static int vlan_set_mac(struct dev *d, const uint8_t mac[6])
{
	struct vlan_priv *v = d->priv;

	v->inherit_mac = false;
	return 0;
}

static void vlan_lower_state(struct dev *d, struct dev *lower)
{
	if (lower == vlan_lower(d))
		vlan_sync_mac(d, lower);
}

static void vlan_describe(struct dev *d, struct ctl_out *out)
{
	const struct vlan_priv *v = d->priv;
	const struct dev *lower = dev_get(v->lower_ifindex);
	const char *lname = lower ? lower->name : "(gone)";

	out_text(out, " vlan protocol %s id %u link %s",
		 vlan_proto_name(v->tpid), v->vid, lname);
	out_str(out, "protocol", vlan_proto_name(v->tpid));
	out_u64(out, "id", v->vid);
	out_str(out, "link", lname);
}

static const struct dev_ops vlan_ops = {
	.kind = "vlan",
	.open = vlan_open,
	.close = drv_close_nothing,
	.rx_burst = drv_rx_nothing,
	.tx_burst = vlan_tx,
	.rx_fd = drv_no_fd,
	.set_mtu = vlan_set_mtu,
	.set_mac = vlan_set_mac,
	.destroy = vlan_destroy,
	.describe = vlan_describe,
	.rx_done = drv_rx_always_done,
	.lower_state = vlan_lower_state,
	.get_lower = vlan_lower,
};

/* ------------------------------------------------------------- create */

struct vlan_args {
	struct dev *lower;
	uint32_t vid;
	uint16_t tpid;
};

static int vlan_parse_proto(const char *s, uint16_t *tpid, char *err)
{
	if (strcasecmp(s, "802.1Q") == 0) {
		*tpid = ETH_P_8021Q;
		return 0;
	}
	if (strcasecmp(s, "802.1ad") == 0) {
		*tpid = ETH_P_8021AD;
		return 0;
	}
	drv_errf(err, "vlan: invalid protocol '%s' (expected 802.1Q or 802.1ad)",
		 s);
	return -1;
}

static int vlan_parse(int argc, char **argv, struct vlan_args *a, char *err)
{
	bool have_id = false;
	const char *val;

	a->tpid = ETH_P_8021Q;
	if (argc < 2 || strcmp(argv[0], "link") != 0) {
		drv_errf(err, "vlan: needs a lower device: link add NAME link LOWER type vlan id VID");
		return -1;
	}
	a->lower = dev_by_name(argv[1]);
	if (!a->lower) {
		drv_errf(err, "vlan: no device '%s'", argv[1]);
		return -1;
	}
	for (int i = 2; i < argc; i++) {
		const char *k = argv[i];
		bool is_id = strcmp(k, "id") == 0;

		if (!is_id && strcmp(k, "proto") && strcmp(k, "protocol"))
			return drv_err_unknown("vlan", k, err);
		if (drv_arg_value("vlan", argc, argv, &i, &val, err) < 0)
			return -1;
		if (is_id) {
			/* VID 0 marks priority-tagged frames, which Ethernet
			 * input treats as untagged: no device can have it. */
			if (drv_parse_u32("vlan", "id", val, 1, VLAN_VID_MAX,
					  &a->vid, err) < 0)
				return -1;
			have_id = true;
		} else if (vlan_parse_proto(val, &a->tpid, err) < 0) {
			return -1;
		}
	}
	if (!have_id) {
		drv_errf(err, "vlan: missing 'id VID' (1..%u)", VLAN_VID_MAX);
		return -1;
	}
	return 0;
}

/* A VLAN device already using (lower, protocol, VID), or NULL. */
static struct dev *vlan_find(const struct vlan_args *a)
{
	for (struct dev *x = dev_next(NULL); x; x = dev_next(x)) {
		const struct vlan_priv *v = x->priv;
		if (vlan_is_vlan(x) && v->lower_ifindex == a->lower->ifindex &&
		    v->tpid == a->tpid && v->vid == a->vid)
			return x;
	}
	return NULL;
}

static struct dev *vlan_create(const char *name, int argc, char **argv,
			       char *err)
{
	struct vlan_args a;
	struct vlan_priv *v;
	struct dev *d, *dup;

	if (vlan_parse(argc, argv, &a, err) < 0)
		return NULL;
	dup = vlan_find(&a);
	if (dup) {
		drv_errf(err, "vlan: %s already has %s VLAN %u (%s)",
			 a.lower->name, vlan_proto_name(a.tpid), a.vid,
			 dup->name);
		return NULL;
	}
	d = drv_alloc("vlan", name, &vlan_ops, sizeof(*v), err);
	if (!d)
		return NULL;
	v = d->priv;
	v->lower_ifindex = a.lower->ifindex;
	v->vid = (uint16_t)a.vid;
	v->tpid = a.tpid;
	v->inherit_mac = true;
	memcpy(d->mac, a.lower->mac, 6);
	d->mtu = a.lower->mtu;
	d->features = VLAN_FEATURES;
	return d;
}

const struct dev_driver vlan_driver = {
	.kind = "vlan",
	.usage = "(after link LOWER) id VID [proto 802.1Q|802.1ad]",
	.create = vlan_create,
};
