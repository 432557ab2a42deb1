/* Bond devices (Linux bonding): several Ethernet ports act as one device.
 * `link add bond0 type bond mode active-backup|balance-xor|802.3ad
 *  [xmit_hash_policy layer2|layer2+3|layer3+4] [miimon MS] [primary NAME]
 *  [lacp_rate slow|fast] [ad_actor_system MAC] [ad_actor_sys_prio N]`,
 * then `link set p1 master bond0`. The driver itself (bond_driver) is
 * registered in dev/drivers.h; this header holds what the rest of usnet
 * calls. */
#ifndef USNET_L2_BOND_H
#define USNET_L2_BOND_H

#include <stdbool.h>
#include <stdint.h>

struct dev;

/* Link monitoring: every miimon ms (at the resolution of the caller's
 * timer) re-read each slave's link state (usnet admin/oper state and, for
 * af_packet slaves, the kernel interface's carrier) and fail over; for
 * 802.3ad bonds, also run the LACP machines at every call (LACPDUs in,
 * timers, selection, mux, LACPDUs out). Call it periodically (the daemon's
 * 100 ms timer). Control thread. Never fails. */
void bond_timer(uint64_t now_ms);

/* Is d a bond device? Any thread. */
bool bond_is_bond(const struct dev *d);

/* The slave a bond transmits on in active-backup mode, NULL when none is
 * usable or the bond is in another mode or d is no bond. Control thread. */
struct dev *bond_active_slave(const struct dev *d);

/* Re-read the slaves' link state now and fail over if needed (the work
 * bond_timer does when miimon is due). d must be a bond. Control thread. */
void bond_check_links(struct dev *d);

#endif
