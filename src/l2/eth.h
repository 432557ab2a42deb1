/* Ethernet: input dispatch by ethertype and destination MAC, and output
 * framing. */
#ifndef USNET_L2_ETH_H
#define USNET_L2_ETH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/pkt.h"

struct dev;
struct worker;

#define ETH_HLEN 14u
#define ETH_P_IP4 0x0800u
#define ETH_P_ARP 0x0806u
#define ETH_P_IP6 0x86ddu
#define ETH_P_8021Q 0x8100u
#define ETH_P_8021AD 0x88a8u

static const uint8_t eth_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static inline bool eth_is_mcast(const uint8_t *mac)
{
	return mac[0] & 1;
}

static inline bool eth_is_bcast(const uint8_t *mac)
{
	return memcmp(mac, eth_bcast, 6) == 0;
}

static inline bool eth_is_zero(const uint8_t *mac)
{
	static const uint8_t z[6];
	return memcmp(mac, z, 6) == 0;
}

/* 33:33 + low 32 bits of an IPv6 multicast address (RFC 2464). */
static inline void eth_mcast_from_ip6(const uint8_t ip6[16], uint8_t mac[6])
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, ip6 + 12, 4);
}

/* Process a received vector (data at the Ethernet header, in_ifindex set):
 * validates, classifies by destination MAC and hands each packet to ARP,
 * IPv4 or IPv6 input. Takes ownership of all packets. Worker thread. */
void eth_input(struct worker *w, struct pkt_vec *v);

/* Prepend an Ethernet header (src = d's MAC) and stage p for transmit on d.
 * Counts p on d's egress side (originated if PKT_F_LOCAL_ORIGIN, else
 * fwd_in). Takes ownership. */
void eth_output(struct worker *w, struct dev *d, const uint8_t dst[6],
		uint16_t ethertype, struct pkt *p);

/* As eth_output, for packets already counted on d's egress side (the
 * neighbor layer's queued packets). */
void eth_output_counted(struct worker *w, struct dev *d, const uint8_t dst[6],
			uint16_t ethertype, struct pkt *p);

#endif
