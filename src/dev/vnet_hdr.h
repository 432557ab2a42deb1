/* Conversion between the virtio-net header that Linux packet sockets and TAP
 * devices put in front of each frame (struct virtio_net_hdr, legacy layout,
 * fields in host byte order) and a packet's checksum/GSO state.
 *
 * Offsets in the header are relative to the start of the frame (the Ethernet
 * header); in struct pkt they are relative to the buffer head, so the
 * conversion goes through the packet's headroom. Pure functions: any thread. */
#ifndef USNET_DEV_VNET_HDR_H
#define USNET_DEV_VNET_HDR_H

#include <linux/virtio_net.h>

#include "core/drop.h"
#include "core/pkt.h"

/* Newer than some installed kernel headers (Linux 6.2 uapi). */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

#define VNET_HDR_LEN ((uint32_t)sizeof(struct virtio_net_hdr))

/* Receive side: apply h to p, whose data starts at the Ethernet header and
 * holds the whole frame (linear). Sets csum (PARTIAL with csum_start/offset,
 * UNNECESSARY, or leaves NONE) and gso_size/gso_type (gso_segs = 0).
 * Returns DROP_NONE, or DROP_RX_BAD_VNET_HDR without changing p when h is
 * malformed: checksum field (start + offset + 2) beyond the frame, GSO type
 * unknown (UFO included) or with ECN on UDP, GSO without a size or without
 * NEEDS_CSUM. The caller drops p then. */
enum drop_reason vnet_hdr_to_pkt(const struct virtio_net_hdr *h,
				 struct pkt *p);

/* Transmit side: describe p's state in h (zeroed first): PARTIAL becomes
 * NEEDS_CSUM with frame-relative csum_start, GSO becomes gso_type/gso_size
 * with hdr_len = end of the L4 header. Other checksum states need no
 * header (the checksum in the packet is what goes out). Returns DROP_NONE,
 * or the reason to drop p when its state cannot be expressed:
 * DROP_TX_CSUM_FAILED for PARTIAL offsets outside the packet,
 * DROP_GSO_FAILED for GSO of a type the header has no code for (UDP
 * tunnels), GSO without a PARTIAL checksum or without a full L4 header. */
enum drop_reason vnet_hdr_from_pkt(const struct pkt *p,
				   struct virtio_net_hdr *h);

/* For frames whose L4 checksum the kernel left to complete but gave no
 * offsets for (TP_STATUS_CSUMNOTREADY without a vnet header): find the
 * TCP/UDP header of an Ethernet (+ one VLAN tag) IPv4/IPv6 frame and mark p
 * PARTIAL there. Returns 0, or -1 (p unchanged) when it is not such a frame
 * (fragments and IPv6 extension headers included). */
int vnet_guess_partial(struct pkt *p);

#endif
