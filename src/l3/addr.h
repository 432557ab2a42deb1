/* Interface addresses: adding one installs its local route (table local) and
 * its connected route (table main), as Linux does. Control thread. */
#ifndef USNET_L3_ADDR_H
#define USNET_L3_ADDR_H

#include <stdbool.h>

#include "core/pkt.h"

struct dev;
struct ctl_out;

/* 0 or -errno with err (size 256) filled: EEXIST, EINVAL, ENOSPC. */
int addr_add(struct dev *d, int family, const union pkt_addr *a,
	     unsigned plen, char *err);
int addr_del(struct dev *d, int family, const union pkt_addr *a,
	     unsigned plen, char *err);
/* Move d's addresses and their routes into the tables of a VRF (table
 * l3mdev_table), or back to local/main (0); sets d->table_id and
 * d->l3mdev_table. 0, or the first error (logged; the rest still moved). */
int addr_move_table(struct dev *d, uint32_t l3mdev_table);

/* Install the link-local fe80::/64 EUI-64 address of d (on MAC change). */
void addr_set_ll6(struct dev *d);
void addr_show(struct ctl_out *out, struct dev *filter);

/* Is `a` (network order) the subnet broadcast address of one of our
 * connected IPv4 prefixes in routing domain `table` (a VRF's table, or
 * main/0)? RCU reader or control thread. */
bool addr_is_bcast4(uint32_t table, uint32_t a);

/* Is `a` one of our addresses on any device (table-independent)? */
bool addr_is_local(int family, const union pkt_addr *a);

#endif
