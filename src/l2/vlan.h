/* VLAN subinterfaces (802.1Q, and 802.1ad outer tags for QinQ): the `vlan`
 * device kind and the tag push/pop helpers other L2 code may share. */
#ifndef USNET_L2_VLAN_H
#define USNET_L2_VLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pkt.h"

struct dev;

#define VLAN_HLEN 4u          /* TPID + TCI */
#define VLAN_VID_MASK 0x0fffu
#define VLAN_VID_MAX 4094u    /* 4095 is reserved */

/* The device kind itself is vlan_driver, declared in dev/drivers.h:
 * `link add NAME link LOWER type vlan id VID [proto 802.1Q|802.1ad]`. */

/* Insert a tag (tpid: ETH_P_8021Q or ETH_P_8021AD; tci: PCP/DEI/VID) after
 * the MAC addresses of the Ethernet frame *pp (data at the Ethernet header).
 * The MAC header moves 4 bytes toward the head; L3/L4 offsets, csum_start
 * and GSO state stay valid (they are head-relative and the payload does not
 * move), l2_off follows the header. A shared packet, or one without 4 bytes
 * of headroom, is first replaced by a private copy (*pp then changes; the
 * old packet is freed). Returns 0, -ENOMEM (no memory for the copy) or
 * -EINVAL (shorter than an Ethernet header); on failure *pp is unchanged and
 * still the caller's. Any thread. */
int vlan_tag_push(struct pkt **pp, uint16_t tpid, uint16_t tci);

/* Remove the outer tag of a tagged Ethernet frame (data at the Ethernet
 * header), storing its TPID and TCI. Makes the head private first if it is
 * shared. Offsets as for vlan_tag_push. Returns 0, -EINVAL (not tagged with
 * 802.1Q/802.1ad, or too short) or -ENOMEM; on failure p is unchanged. Any
 * thread. */
int vlan_tag_pop(struct pkt *p, uint16_t *tpid, uint16_t *tci);

/* Is d a VLAN device? The lower device a VLAN device sends through, or NULL
 * when d is not a VLAN device or its lower is gone. RCU reader or control
 * thread. (For `link del` of a lower: its VLAN devices go first.) */
bool vlan_is_vlan(const struct dev *d);
struct dev *vlan_lower(const struct dev *d);

#endif
