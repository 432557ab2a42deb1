/* VRF devices (l3mdev): a VRF owns a routing table; devices enslaved to it
 * route in that table on receive (Rx hook), and packets usnet generates for
 * them do the real lookup in that table and then pass through the VRF
 * device's transmit path (Tx hook), so capture on the VRF device sees both
 * directions — symmetric, as Linux since the "vrf tx hook" series.
 *
 * Lookups of VRF flows go through the policy rules (fib_rules.h): the
 * l3mdev rule, added with the first VRF, searches the VRF's table, and rules
 * before it (`iif red`, `oif red`, ...) can steer a VRF's traffic elsewhere. */
#ifndef USNET_L3_VRF_H
#define USNET_L3_VRF_H

#include <stdbool.h>

#include "core/pkt.h"

struct dev;
struct fib_flow;
struct fib_result;

/* The VRF device d belongs to (d itself if it is one), or NULL. RCU reader
 * or control thread. */
struct dev *vrf_of(const struct dev *d);

/* Make fl a flow of the VRF whose table is `table` (Linux's
 * l3mdev_update_flow; the VRF Rx hook of the input route stage,
 * l3/ip_route.h, and the Tx side of ip_route_output): set fl->l3mdev_table and, when d (a member or the
 * VRF itself; may be NULL) is in a VRF, fl->iif (rx: received) or fl->oif
 * (!rx: generated) to that VRF device's ifindex, so rules naming the VRF
 * device match. Never fails. RCU reader or control thread. */
void vrf_flow_update(struct fib_flow *fl, uint32_t table, const struct dev *d,
		     bool rx);

/* Rx side for capture: p (data at L3, its Ethernet header still in front)
 * arrived on a member of a VRF. */
void vrf_rx_capture(const struct dev *in, struct pkt *p);

/* Tx hook for a locally generated packet (data at L3) leaving through out:
 * when out is in a VRF, count and capture it on the VRF device first. */
void vrf_tx_hook(const struct dev *out, struct pkt *p, uint16_t ethertype);

#endif
