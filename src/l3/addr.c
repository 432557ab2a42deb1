/* Interface addresses and the routes they imply: a local route in table
 * local and a connected route in table main, as Linux installs them. */
#include "l3/addr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"
#include "core/worker.h"
#include "ctl/out.h"
#include "dev/dev.h"
#include "fib/fib.h"
#include "fib/fib_fwd.h"
#include "l3/ip.h"
#include "l2/arp.h"

static void addr_route(struct fib_route *r, struct dev *d, int family,
		       const union pkt_addr *a, unsigned plen, bool local)
{
	memset(r, 0, sizeof(*r));
	r->family = (uint8_t)family;
	r->plen = (uint8_t)(local ? (family == AF_INET ? 32 : 128) : plen);
	r->prefix = *a;
	fib_prefix_mask(family, &r->prefix, r->plen);
	r->type = local ? FIB_LOCAL : FIB_UNICAST;
	r->proto = FIB_PROTO_KERNEL;
	r->scope = local ? FIB_SCOPE_HOST : FIB_SCOPE_LINK;
	/* In a VRF, local routes live in the VRF's table (as Linux). */
	r->table = local ? (d->l3mdev_table ? d->l3mdev_table : FIB_TABLE_LOCAL)
			 : d->table_id;
	r->prefsrc = *a;
	r->has_prefsrc = true;
	r->metric = family == AF_INET6 && !local ? 256 : 0;
	r->nnh = 1;
	r->nh[0].ifindex = d->ifindex;
	r->nh[0].weight = 1;
}

/* Subnet broadcast route (table local) of an IPv4 prefix shorter than /31,
 * as Linux installs it; false when the prefix has none. */
static bool addr_bcast_route(struct fib_route *r, struct dev *d,
			     const union pkt_addr *a, unsigned plen)
{
	union pkt_addr b = *a;

	if (plen >= 31)
		return false;
	b.v4 |= htonl(~0u >> plen);
	addr_route(r, d, AF_INET, &b, 32, true);
	r->type = FIB_BROADCAST;
	r->scope = FIB_SCOPE_LINK;
	r->prefsrc = *a;
	return true;
}

static int addr_find(const struct dev *d, int family, const union pkt_addr *a)
{
	for (uint32_t i = 0; i < d->naddr; i++) {
		const struct dev_addr *x = &d->addr[i];
		if (x->family == family &&
		    memcmp(&x->addr, a, family == AF_INET ? 4 : 16) == 0)
			return (int)i;
	}
	return -1;
}

/* Another address of any device still covers this connected prefix? */
static bool prefix_in_use(const struct dev *d, int family,
			  const union pkt_addr *a, unsigned plen)
{
	for (uint32_t i = 0; i < d->naddr; i++) {
		const struct dev_addr *x = &d->addr[i];
		if (x->family == family && x->plen == plen &&
		    fib_prefix_match(family, a, plen, &x->addr))
			return true;
	}
	return false;
}

/* Install the routes an address implies: local, connected (unless /32 or
 * /128), subnet broadcast. Idempotent (replace). 0 or -errno; on failure
 * nothing stays installed. */
static int addr_install(struct dev *d, int family, const union pkt_addr *a,
			unsigned plen, char *err)
{
	struct fib_route local, conn, bcast;
	char ignore[256];
	int rc;

	addr_route(&local, d, family, a, plen, true);
	rc = fib_route_add(&local, FIB_F_REPLACE, err);
	if (rc < 0)
		return rc;
	if (plen < (family == AF_INET ? 32u : 128u)) {
		addr_route(&conn, d, family, a, plen, false);
		rc = fib_route_add(&conn, FIB_F_REPLACE, err);
		if (rc < 0) {
			fib_route_del(&local, ignore);
			return rc;
		}
	}
	if (family == AF_INET && addr_bcast_route(&bcast, d, a, plen))
		fib_route_add(&bcast, FIB_F_REPLACE, ignore);
	return 0;
}

/* Remove an address's local and broadcast routes, and its connected route
 * unless another address of d still covers the prefix. */
static void addr_uninstall(struct dev *d, int family, const union pkt_addr *a,
			   unsigned plen, bool keep_connected)
{
	struct fib_route r;
	char ignore[256];

	addr_route(&r, d, family, a, plen, true);
	fib_route_del(&r, ignore);
	if (keep_connected)
		return;
	addr_route(&r, d, family, a, plen, false);
	fib_route_del(&r, ignore);
	if (family == AF_INET && addr_bcast_route(&r, d, a, plen))
		fib_route_del(&r, ignore);
}

int addr_move_table(struct dev *d, uint32_t l3mdev_table)
{
	char err[256];
	int rc = 0;

	for (uint32_t i = 0; i < d->naddr; i++)
		addr_uninstall(d, d->addr[i].family, &d->addr[i].addr,
			       d->addr[i].plen, false);
	d->l3mdev_table = l3mdev_table;
	d->table_id = l3mdev_table ? l3mdev_table : FIB_TABLE_MAIN;
	for (uint32_t i = 0; i < d->naddr; i++) {
		int r = addr_install(d, d->addr[i].family, &d->addr[i].addr,
				     d->addr[i].plen, err);
		if (r < 0 && rc == 0) {
			log_msg(LOG_WARN, "%s: %s", d->name, err);
			rc = r;
		}
	}
	return rc;
}

int addr_add(struct dev *d, int family, const union pkt_addr *a,
	     unsigned plen, char *err)
{
	char buf[64];
	int rc;

	if (plen > (family == AF_INET ? 32u : 128u)) {
		snprintf(err, 256, "addr: prefix length %u out of range", plen);
		return -EINVAL;
	}
	if (family == AF_INET ? ip4_is_martian_src(a->v4) || ip4_is_lbcast(a->v4)
			      : ip6_is_mcast(a->v6) || ip6_is_unspec(a->v6) ||
					ip6_is_loopback(a->v6)) {
		snprintf(err, 256, "addr: %s is not a unicast host address",
			 out_addr(family, a, buf));
		return -EINVAL;
	}
	if (addr_find(d, family, a) >= 0) {
		snprintf(err, 256, "addr: %s already on %s",
			 out_addr(family, a, buf), d->name);
		return -EEXIST;
	}
	if (d->naddr == DEV_ADDR_MAX) {
		snprintf(err, 256, "addr: %s has the maximum of %u addresses",
			 d->name, DEV_ADDR_MAX);
		return -ENOSPC;
	}
	rc = addr_install(d, family, a, plen, err);
	if (rc < 0)
		return rc;
	d->addr[d->naddr] = (struct dev_addr){ .family = (uint8_t)family,
					       .plen = (uint8_t)plen, .addr = *a };
	__atomic_store_n(&d->naddr, d->naddr + 1, __ATOMIC_RELEASE);
	if (family == AF_INET && d->oper_up) {
		struct worker *w = worker_ctl();
		arp_announce(w, d, a->v4);
		worker_tx_flush(w);
	}
	return 0;
}

int addr_del(struct dev *d, int family, const union pkt_addr *a,
	     unsigned plen, char *err)
{
	char buf[64];
	int i = addr_find(d, family, a);

	if (i < 0 || d->addr[i].plen != plen) {
		snprintf(err, 256, "addr: %s/%u not on %s",
			 out_addr(family, a, buf), plen, d->name);
		return -ENOENT;
	}
	d->addr[i] = d->addr[d->naddr - 1];
	__atomic_store_n(&d->naddr, d->naddr - 1, __ATOMIC_RELEASE);
	addr_uninstall(d, family, a, plen, prefix_in_use(d, family, a, plen));
	return 0;
}

void addr_set_ll6(struct dev *d)
{
	uint8_t *a = d->ll6.v6;

	memset(a, 0, 16);
	a[0] = 0xfe;
	a[1] = 0x80;
	a[8] = d->mac[0] ^ 0x02;
	a[9] = d->mac[1];
	a[10] = d->mac[2];
	a[11] = 0xff;
	a[12] = 0xfe;
	a[13] = d->mac[3];
	a[14] = d->mac[4];
	a[15] = d->mac[5];
}

bool addr_is_bcast4(uint32_t table, uint32_t a)
{
	union pkt_addr x = { .v4 = a };
	struct fib_result res;

	if (!table || table == FIB_TABLE_MAIN)
		table = FIB_TABLE_LOCAL; /* where non-VRF broadcast routes live */
	return fib_table_lookup(table, AF_INET, &x, 0, &res) &&
	       res.fwd->type == FIB_BROADCAST &&
	       fib_result_route(&res)->plen == 32;
}

bool addr_is_local(int family, const union pkt_addr *a)
{
	for (struct dev *d = dev_next(NULL); d; d = dev_next(d))
		if (dev_has_addr(d, family, a))
			return true;
	return false;
}

static void addr_show_one(struct ctl_out *o, struct dev *d)
{
	char buf[64], ll[64];

	out_obj_begin(o, NULL);
	out_u64(o, "ifindex", d->ifindex);
	out_str(o, "ifname", d->name);
	out_arr_begin(o, "addr_info");
	out_text(o, "%u: %s\n", d->ifindex, d->name);
	for (uint32_t i = 0; i < d->naddr; i++) {
		const struct dev_addr *x = &d->addr[i];
		out_addr(x->family, &x->addr, buf);
		out_obj_begin(o, NULL);
		out_str(o, "family", x->family == AF_INET ? "inet" : "inet6");
		out_str(o, "local", buf);
		out_u64(o, "prefixlen", x->plen);
		out_str(o, "scope", "global");
		out_obj_end(o);
		out_text(o, "    %s %s/%u scope global\n",
			 x->family == AF_INET ? "inet" : "inet6", buf, x->plen);
	}
	out_addr(AF_INET6, &d->ll6, ll);
	out_obj_begin(o, NULL);
	out_str(o, "family", "inet6");
	out_str(o, "local", ll);
	out_u64(o, "prefixlen", 64);
	out_str(o, "scope", "link");
	out_obj_end(o);
	out_text(o, "    inet6 %s/64 scope link\n", ll);
	out_arr_end(o);
	out_obj_end(o);
}

void addr_show(struct ctl_out *out, struct dev *filter)
{
	out_arr_begin(out, NULL);
	for (struct dev *d = dev_next(NULL); d; d = dev_next(d))
		if (!filter || filter == d)
			addr_show_one(out, d);
	out_arr_end(out);
}
