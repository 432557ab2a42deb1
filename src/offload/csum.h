/* Internet checksum (RFC 1071) and incremental update (RFC 1624). */
#ifndef USNET_OFFLOAD_CSUM_H
#define USNET_OFFLOAD_CSUM_H

#include <stddef.h>
#include <stdint.h>

#include "core/pkt.h"

/* 32-bit partial ones-complement sum of len bytes, added to `sum`.
 * Bytes are summed in network order pairs. */
uint32_t csum_partial(const void *data, size_t len, uint32_t sum);

/* Fold a 32-bit partial sum into 16 bits (not complemented). */
static inline uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Final checksum value (complemented) in host order. */
static inline uint16_t csum_finish(uint32_t sum)
{
	return (uint16_t)~csum_fold(sum);
}

/* IPv4 header checksum over ihl*4 bytes (field must be zero or is
 * included: returns 0 for a valid header when it is included). */
uint16_t csum_ip4_header(const void *iph, unsigned ihl_bytes);

/* Pseudo-header partial sums (not folded). Addresses in network order. */
uint32_t csum_pseudo4(uint32_t saddr, uint32_t daddr, uint8_t proto,
		      uint32_t len);
uint32_t csum_pseudo6(const uint8_t saddr[16], const uint8_t daddr[16],
		      uint8_t proto, uint32_t len);

/* Ones-complement sum of packet bytes [off, off+len) across segments. */
uint32_t csum_pkt(const struct pkt *p, uint32_t off, uint32_t len,
		  uint32_t sum);

/* RFC 1624 eqn. 3: update a stored checksum field (network order bytes at
 * `field`) when a 16-bit word changes from old to new (host order). */
void csum_replace2(uint8_t *field, uint16_t old_word, uint16_t new_word);
void csum_replace4(uint8_t *field, uint32_t old_word, uint32_t new_word);

/* Complete the PARTIAL checksum of p in software (as skb_checksum_help):
 * sums from csum_start to the end and stores the result at csum_offset.
 * Returns 0, or -1 when the offsets are out of the packet. The packet must
 * be writable (the caller ensures it). Sets csum to NONE. */
int csum_complete_partial(struct pkt *p);

/* Verify an L4 checksum of a packet whose L3/L4 offsets are set. Returns
 * true if valid or not verifiable-needed (UNNECESSARY/PARTIAL state). */
bool csum_l4_ok(const struct pkt *p);

#endif
