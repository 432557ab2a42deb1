/* ARP (RFC 826) for IPv4 over Ethernet: input (answer, learn), resolution
 * requests and gratuitous announcements. Works on the neighbor table
 * (l2/neigh.h). */
#ifndef USNET_L2_ARP_H
#define USNET_L2_ARP_H

#include <stdint.h>

struct worker;
struct dev;
struct pkt;

/* Process a received ARP packet: p->data at the ARP header (Ethernet header
 * already pulled, l2_off set). Takes ownership. Malformed packets are
 * counted rx drops (DROP_ARP_MALFORMED); requests/replies for one of d's
 * IPv4 addresses are learned (neigh_update), requests answered, and the
 * packet counted as delivered on d; others only refresh an existing entry
 * (a gratuitous ARP overrides its MAC) and are counted as
 * DROP_ARP_NOT_FOR_US. Worker thread (w is its context). */
void arp_input(struct worker *w, struct dev *d, struct pkt *p);

/* Send an ARP request for target_be (network order) on d, to dst_mac
 * (unicast probe) or broadcast when dst_mac is NULL. The sender IP is
 * dev_pick_src(d, target), or 0.0.0.0 when d has no IPv4 address. Counted
 * as originated on d. Silently gives up when no packet can be allocated.
 * Any thread with its own worker context w. */
void arp_solicit(struct worker *w, struct dev *d, uint32_t target_be,
		 const uint8_t *dst_mac);

/* Broadcast a gratuitous ARP request (sender = target = ip_be) announcing
 * d's MAC for one of its addresses (address added, MAC changed). Same
 * threads and failure behaviour as arp_solicit. */
void arp_announce(struct worker *w, struct dev *d, uint32_t ip_be);

#endif
