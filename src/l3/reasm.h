/* Reassembly of IPv4 and IPv6 fragments addressed to usnet itself (RFC 791,
 * RFC 8200 4.5, RFC 5722: overlapping fragments discard the datagram). */
#ifndef USNET_L3_REASM_H
#define USNET_L3_REASM_H

#include "core/pkt.h"

struct worker;
struct dev;
struct reasm_table;

#define REASM_TIMEOUT_MS 30000u
#define REASM_MAX_DATAGRAMS 64u
#define REASM_MAX_FRAGS 64u

/* Take a fragment (data at its IP header; for IPv6 l4_off at the fragment
 * header). Returns the reassembled datagram (fragment header removed, data
 * at the IP header, l3/l4 offsets and l4_proto set) when this fragment
 * completes it, else NULL (kept or dropped with a counted reason). Takes
 * ownership. The table lives in w and is created on first use. */
struct pkt *reasm_input(struct worker *w, struct dev *in, struct pkt *p);

void reasm_free(struct reasm_table *t); /* drops what is pending */

#endif
