/* Generic segmentation offload in software: cut a TCP or UDP superpacket
 * into gso_size payloads, each with its own copy of the headers. */
#ifndef USNET_OFFLOAD_GSO_H
#define USNET_OFFLOAD_GSO_H

#include <stdbool.h>

#include "core/pkt.h"

/* Segment p (not consumed: the caller frees it). Returns a qnext-linked list
 * of new linear packets, or NULL on malformed headers / no memory. When
 * `csum_offload` the segments keep PARTIAL checksums (pseudo-header sum in
 * the field), else each gets its complete checksum. *nsegs receives the
 * count. */
struct pkt *gso_segment(const struct pkt *p, bool csum_offload,
			unsigned *nsegs);

/* Offset (from p->data) of the L3 header, found from l3_off or by walking
 * the Ethernet/VLAN headers; -1 if there is none. */
int gso_l3_start(const struct pkt *p);

#endif
