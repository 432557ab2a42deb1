/* Shared construction of ICMP/ICMPv6 error messages (internal to l3). */
#ifndef USNET_L3_ICMP_ERR_H
#define USNET_L3_ICMP_ERR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pkt.h"

struct worker;

/* Build and send an error of `type`/`code` quoting orig (from its L3
 * header) to `to` (orig's source), subject to the per-thread rate limiter
 * when rate_limited. Does not take ownership of orig. */
void icmp_err_send(struct worker *w, const struct pkt *orig, int family,
		   uint8_t type, uint8_t code, uint32_t info,
		   const union pkt_addr *to, bool rate_limited);

#endif
