/* IPv4 and IPv6 input, forwarding and output: the router's L3 stages, and
 * the helpers both families share. */
#ifndef USNET_L3_IP_H
#define USNET_L3_IP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/pkt.h"
#include "fib/fib.h"

struct worker;
struct dev;

#define IP4_HLEN 20u
#define IP6_HLEN 40u
#define IP4_DF 0x4000u
#define IP4_MF 0x2000u
#define IP4_OFFMASK 0x1fffu
#define IP_DEFAULT_TTL 64u

/* Input stages: packets with data at the L3 header (Ethernet pulled),
 * in_ifindex set. Validate, route, and forward / deliver locally / reject.
 * Take ownership of every packet. Worker threads. */
void ip4_input(struct worker *w, struct pkt_vec *v);
void ip6_input(struct worker *w, struct pkt_vec *v);

/* Forward one routed packet (res from fib_lookup) received on `in`: TTL /
 * hop limit, MTU (ICMP errors, IPv4 fragmentation with DF clear), next hop.
 * Takes ownership. */
void ip4_forward(struct worker *w, struct dev *in, struct pkt *p,
		 const struct fib_result *res);
void ip6_forward(struct worker *w, struct dev *in, struct pkt *p,
		 const struct fib_result *res);

/* Send a packet usnet generated: data at a complete IP header (the IPv4
 * header checksum is computed here), PKT_F_LOCAL_ORIGIN set, table_id the
 * table to route in (0 = policy rules). For link-local IPv6 destinations
 * out_ifindex names the link. Takes ownership. */
void ip4_output(struct worker *w, struct pkt *p);
void ip6_output(struct worker *w, struct pkt *p);

/* Local delivery of packets for our addresses (l3/l4 offsets set). */
void ip4_local(struct worker *w, struct dev *in, struct pkt *p);
void ip6_local(struct worker *w, struct dev *in, struct pkt *p);

/* Fragment p (IPv4, DF clear) for mtu and pass each fragment to the
 * neighbor layer on out toward nh. Takes ownership. */
void ip4_fragment(struct worker *w, struct dev *out,
		  const union pkt_addr *nh, struct pkt *p, uint32_t mtu);

/* Fragment a packet usnet generated (IPv6 header + payload, no extension
 * headers, complete checksum) for mtu and pass each fragment to the
 * neighbor layer. Takes ownership. */
void ip6_fragment(struct worker *w, struct dev *out,
		  const union pkt_addr *nh, struct pkt *p, uint32_t mtu);

#define IPV6_MIN_MTU 1280u

/* Family-independent helpers (l3/ip_common.c, ip4_forward.c, ip4_output.c). */

/* The egress device of a unicast result, or NULL when it is gone/down. */
struct dev *ip_route_dev(const struct fib_result *res);

/* MTU toward dst through res on out: the device MTU, lowered by the route's
 * mtu metric and by a path MTU exception learned in `table`. */
uint32_t ip_path_mtu(const struct fib_result *res, const struct dev *out,
		     uint32_t table, int family, const union pkt_addr *dst,
		     uint64_t now_ms);

/* Learn a path MTU from an ICMP error about a packet we sent: `inner` is the
 * quoted IP header (at least 20/40 bytes available, family given). */
void ip_pmtu_learn(struct worker *w, const struct pkt *icmp_pkt, int family,
		   const uint8_t *inner, uint32_t inner_len, uint32_t mtu);

/* Route a locally generated packet by the rules, as a flow of the VRF of
 * its table_id when that is not 0/main (vrf_flow_update); out_ifindex,
 * mark and protocol feed the rules. */
bool ip_route_output(const struct pkt *p, int family,
		     const union pkt_addr *src, const union pkt_addr *dst,
		     struct fib_result *res);

/* Packet bigger than the MTU at L3? Superpackets are judged by the size of
 * the segments they will be cut into (as skb_gso_validate_network_len). */
bool ip_exceeds_mtu(const struct pkt *p, uint32_t l3_len, uint32_t mtu);

/* Answer a reject route (blackhole/unreachable/prohibit) or a missing route
 * for a packet received on `in`: ICMP error as the route type says, then a
 * counted drop. type 0 = no route. Takes ownership. */
void ip_reject(struct worker *w, struct dev *in, struct pkt *p, int family,
	       uint8_t type);

/* UDP/TCP/other protocol for one of our addresses with nothing listening:
 * ICMP port/protocol unreachable or TCP RST as Linux would, then a counted
 * drop. Takes ownership. */
void ip_no_listener(struct worker *w, struct dev *in, struct pkt *p);

/* A new locally originated packet with a complete IP header (src -> dst,
 * protocol, TTL/hop limit 64, TOS/traffic class `tos`) followed by l4_len
 * zeroed bytes; data at the IP header, l3/l4 offsets set. NULL on no
 * memory. Any thread. */
struct pkt *ip_new_packet(int family, const union pkt_addr *src,
			  const union pkt_addr *dst, uint8_t proto,
			  uint32_t l4_len, uint8_t tos);

/* ip4_output or ip6_output by family. Takes ownership. */
void ip_output(struct worker *w, int family, struct pkt *p);

/* L4 checksum of a packet built by ip_new_packet (TCP/UDP/ICMPv6 with the
 * pseudo-header, ICMPv4 without), written at the protocol's field. */
void ip_finish_l4_csum(struct pkt *p);

/* Flow hash over addresses, protocol and ports (L3+L4 policy). */
uint32_t ip_flow_hash(int family, const uint8_t *saddr, const uint8_t *daddr,
		      uint8_t proto, uint16_t sport, uint16_t dport,
		      uint32_t flowlabel);

/* Address classification. */
static inline bool ip4_is_mcast(uint32_t a_be)
{
	return (ntohl(a_be) >> 28) == 0xe;
}

static inline bool ip4_is_lbcast(uint32_t a_be)
{
	return a_be == 0xffffffffu;
}

static inline bool ip4_is_martian_src(uint32_t a_be)
{
	uint32_t a = ntohl(a_be);
	return (a >> 24) == 127 || (a >> 24) == 0 || (a >> 28) >= 0xe;
}

static inline bool ip6_is_mcast(const uint8_t *a)
{
	return a[0] == 0xff;
}

static inline bool ip6_is_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

static inline bool ip6_is_unspec(const uint8_t *a)
{
	static const uint8_t z[16];
	return memcmp(a, z, 16) == 0;
}

static inline bool ip6_is_loopback(const uint8_t *a)
{
	static const uint8_t lo[16] = { [15] = 1 };
	return memcmp(a, lo, 16) == 0;
}

#endif
