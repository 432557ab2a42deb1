/* IPv6 Neighbor Discovery (RFC 4861) on Ethernet: neighbor solicitation and
 * advertisement for address resolution and unreachability detection. Works
 * on the neighbor table (l2/neigh.h). */
#ifndef USNET_L2_ND_H
#define USNET_L2_ND_H

#include <stdint.h>

struct worker;
struct dev;
struct pkt;

/* Process a received ND message (ICMPv6 types 133..137): p->data at the
 * IPv6 header, l3_off/l4_off set, ICMPv6 checksum already verified by the
 * caller. Takes ownership. Messages failing RFC 4861 validation (hop limit
 * 255, code 0, lengths, options, addresses) are counted rx drops
 * (DROP_ND_MALFORMED); valid ones are counted delivered on d. A NS for one
 * of d's addresses (or its link-local) is answered with a NA; a NA updates
 * the neighbor table. RS, RA and redirects are accepted and ignored.
 * Worker thread (w is its context). */
void nd_input(struct worker *w, struct dev *d, struct pkt *p);

/* Send a neighbor solicitation for `target` on d: to its solicited-node
 * multicast group when dst_mac is NULL (resolution), else unicast to
 * dst_mac (unreachability probe). Source: d's link-local for a link-local
 * target, else dev_pick_src (falling back to the link-local); does nothing
 * when d has no IPv6 address at all. Includes the source link-layer
 * address option. Counted as originated on d. Silently gives up when no
 * packet can be allocated. Any thread with its own worker context w. */
void nd_solicit(struct worker *w, struct dev *d, const uint8_t target[16],
		const uint8_t *dst_mac);

#endif
