/* Transmit fix-up: make a packet acceptable to its egress device's
 * features, in software, only where the device lacks them. */
#ifndef USNET_OFFLOAD_TX_FIXUP_H
#define USNET_OFFLOAD_TX_FIXUP_H

#include "core/pkt.h"

struct dev;

/* Returns a list of packets (linked through qnext) ready for d's tx_burst:
 * superpackets d cannot take are segmented (GSO), PARTIAL checksums d cannot
 * complete are completed, chains d cannot take are linearized. Takes
 * ownership of p; on failure returns NULL after counting a tx drop on d.
 * Extra packets made are counted in d's split_extra. Any thread. */
struct pkt *tx_fixup(struct dev *d, struct pkt *p);

/* Does d take p's GSO type as is? */
bool tx_gso_supported(const struct dev *d, const struct pkt *p);

#endif
