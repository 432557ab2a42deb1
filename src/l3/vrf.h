/* VRF devices (l3mdev): a VRF owns a routing table; devices enslaved to it
 * route in that table on receive (Rx hook), and packets usnet generates for
 * them do the real lookup in that table and then pass through the VRF
 * device's transmit path (Tx hook), so capture on the VRF device sees both
 * directions — symmetric, as Linux since the "vrf tx hook" series. */
#ifndef USNET_L3_VRF_H
#define USNET_L3_VRF_H

#include <stdbool.h>

#include "core/pkt.h"

/* The priority Linux gives its l3mdev rule; `route get` reports it for
 * lookups the VRF Rx hook made. */
#define VRF_L3MDEV_RULE_PRIO 1000u

struct dev;
struct fib_flow;
struct fib_result;

/* The VRF device d belongs to (d itself if it is one), or NULL. RCU reader
 * or control thread. */
struct dev *vrf_of(const struct dev *d);

/* Rx hook: route a received flow in the table of in's VRF, or by the policy
 * rules when in is in no VRF. A miss in a VRF table ends the lookup: nothing
 * falls back to the main table unless a route leaks it. */
bool vrf_route_input(const struct dev *in, const struct fib_flow *fl,
		     struct fib_result *res);

/* Rx side for capture: p (data at L3, its Ethernet header still in front)
 * arrived on a member of a VRF. */
void vrf_rx_capture(const struct dev *in, struct pkt *p);

/* Tx hook for a locally generated packet (data at L3) leaving through out:
 * when out is in a VRF, count and capture it on the VRF device first. */
void vrf_tx_hook(const struct dev *out, struct pkt *p, uint16_t ethertype);

#endif
