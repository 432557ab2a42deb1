/* ICMP and ICMPv6 errors (RFC 1812 4.3, RFC 4443) with rate limiting, and
 * echo replies for our own addresses. */
#ifndef USNET_L3_ICMP_H
#define USNET_L3_ICMP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pkt.h"

struct worker;
struct dev;

/* Tunables (exposed by `sysctl`, Linux names in comments). */
struct icmp_params {
	uint32_t ratelimit_ms;      /* net.ipv4.icmp_ratelimit: per-destination
				       token interval, 0 = off (1000) */
	uint32_t ratelimit6_ms;     /* net.ipv6.icmp.ratelimit (1000) */
	uint32_t msgs_per_sec;      /* net.ipv4.icmp_msgs_per_sec (1000) */
	uint32_t msgs_burst;        /* net.ipv4.icmp_msgs_burst (50) */
	uint32_t echo_ignore_all;   /* net.ipv4.icmp_echo_ignore_all (0) */
};
extern struct icmp_params icmp_params;

/* ICMPv4 types/codes used by the router. */
enum {
	ICMP4_ECHO_REPLY = 0,
	ICMP4_DEST_UNREACH = 3,
	ICMP4_ECHO_REQUEST = 8,
	ICMP4_TIME_EXCEEDED = 11,
	ICMP4_PARAM_PROBLEM = 12,
	ICMP4_NET_UNREACH = 0,
	ICMP4_HOST_UNREACH = 1,
	ICMP4_PROT_UNREACH = 2,
	ICMP4_PORT_UNREACH = 3,
	ICMP4_FRAG_NEEDED = 4,
	ICMP4_PKT_FILTERED = 13,
};

enum {
	ICMP6_DEST_UNREACH = 1,
	ICMP6_PKT_TOO_BIG = 2,
	ICMP6_TIME_EXCEEDED = 3,
	ICMP6_PARAM_PROB = 4,
	ICMP6_ECHO_REQUEST = 128,
	ICMP6_ECHO_REPLY = 129,
	ICMP6_NO_ROUTE = 0,
	ICMP6_ADM_PROHIBITED = 1,
	ICMP6_ADDR_UNREACH = 3,
	ICMP6_PORT_UNREACH = 4,
};

/* Send an ICMP error about `orig` (data at its L3 header, l3_off set, in
 * device in_ifindex) unless RFC 1812 / RFC 4443 forbid it (error about an
 * error, non-first fragment, broadcast/multicast, invalid source) or the
 * rate limiter says no. Does not take ownership of orig. `info` is the
 * next-hop MTU (frag needed, packet too big) or pointer (param problem). */
void icmp4_send_error(struct worker *w, const struct pkt *orig, uint8_t type,
		      uint8_t code, uint32_t info);
void icmp6_send_error(struct worker *w, const struct pkt *orig, uint8_t type,
		      uint8_t code, uint32_t info);

/* Local ICMP/ICMPv6 input for packets addressed to us (l3/l4 offsets set).
 * Takes ownership. */
void icmp4_input(struct worker *w, struct dev *in, struct pkt *p);
void icmp6_input(struct worker *w, struct dev *in, struct pkt *p);

/* Token-bucket rate limiter state, one per thread. */
struct icmp_rl_state *icmp_rl_new(void);
void icmp_rl_free(struct icmp_rl_state *s);
/* true when an error to dst may be sent now. */
bool icmp_rl_allow(struct icmp_rl_state *s, int family,
		   const union pkt_addr *dst, uint64_t now_ms);

#endif
