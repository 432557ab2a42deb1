/* LACP (IEEE 802.1AX Link Aggregation Control Protocol) for 802.3ad bonds:
 * the LACPDU wire format and the per-port state machines (receive, periodic
 * transmission, selection of one aggregator, mux with coupled
 * collecting/distributing). Pure protocol: no devices, no packets, no
 * clock of its own; the bond (l2/bond.c) feeds PDUs and the time, and sends
 * what lacp_tx_due asks for. Everything here runs on one thread (the
 * bond's control thread) except lacp_pdu_parse, which any thread may call. */
#ifndef USNET_L2_LACP_H
#define USNET_L2_LACP_H

#include <stdbool.h>
#include <stdint.h>

#define ETH_P_SLOW 0x8809u        /* Slow Protocols ethertype */
#define LACP_SUBTYPE 1u
#define LACP_PDU_LEN 110u         /* subtype .. terminator + reserved */
#define LACP_FAST_PERIOD_MS 1000u
#define LACP_SLOW_PERIOD_MS 30000u
#define LACP_SHORT_TIMEOUT_MS 3000u   /* 3 x fast period */
#define LACP_LONG_TIMEOUT_MS 90000u   /* 3 x slow period */
#define LACP_AGG_WAIT_MS 2000u
#define LACP_MAX_TX_PER_SEC 3u

/* Slow Protocols multicast address, the LACPDU destination. */
static const uint8_t lacp_dst_mac[6] = { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x02 };

/* Port state bits (actor and partner). */
enum {
	LACP_ST_ACTIVITY = 1u << 0,     /* active LACP */
	LACP_ST_TIMEOUT = 1u << 1,      /* short timeout (fast rate) */
	LACP_ST_AGGREGATION = 1u << 2,  /* aggregatable */
	LACP_ST_SYNC = 1u << 3,
	LACP_ST_COLLECTING = 1u << 4,
	LACP_ST_DISTRIBUTING = 1u << 5,
	LACP_ST_DEFAULTED = 1u << 6,
	LACP_ST_EXPIRED = 1u << 7,
};

/* One side's information as carried in an actor or partner TLV. */
struct lacp_info {
	uint16_t sys_prio;
	uint8_t sys[6];
	uint16_t key;
	uint16_t port_prio;
	uint16_t port;
	uint8_t state;
};

struct lacp_pdu {
	struct lacp_info actor, partner;
	uint16_t collector_max_delay;
};

/* Parse a Slow Protocols payload (b at the subtype byte, len bytes) as an
 * LACPDU: 0, or -1 when it is not a well-formed LACPDU (short, subtype or
 * version 0, TLV types/lengths other than actor 1/20, partner 2/20,
 * collector 3/16, terminator 0/0). Any thread; never reads past len. */
int lacp_pdu_parse(const uint8_t *b, uint32_t len, struct lacp_pdu *out);

/* Write pdu as LACP_PDU_LEN bytes (version 1, reserved bytes zero). */
void lacp_pdu_build(const struct lacp_pdu *pdu, uint8_t out[LACP_PDU_LEN]);

/* What a bond configures for all its ports. */
struct lacp_cfg {
	uint16_t sys_prio;
	uint8_t sys[6];
	uint16_t key;
	bool fast;                  /* lacp_rate fast: ask for 1 s LACPDUs */
};

enum lacp_rx_state { LACP_RX_DISABLED, LACP_RX_EXPIRED, LACP_RX_DEFAULTED,
		     LACP_RX_CURRENT };
enum lacp_mux_state { LACP_MUX_DETACHED, LACP_MUX_WAITING, LACP_MUX_ATTACHED,
		      LACP_MUX_COLL_DIST };

/* The one aggregator of a bond: the partner system and key its ports face
 * (chosen by the first port selected). */
struct lacp_agg {
	bool in_use;
	uint16_t sys_prio;
	uint8_t sys[6];
	uint16_t key;
};

struct lacp_port {
	struct lacp_info actor;     /* operational values */
	struct lacp_info partner;
	enum lacp_rx_state rx;
	enum lacp_mux_state mux;
	bool enabled;               /* link up and the bond up */
	bool selected;
	bool hold_unselected;       /* partner changed: stay out one round */
	bool ntt;                   /* need to transmit */
	uint64_t current_while;     /* deadlines, ms */
	uint64_t wait_while;
	uint64_t next_periodic;
	uint64_t tx_hist[LACP_MAX_TX_PER_SEC];
	uint64_t rx_pdus, tx_pdus;
};

/* A port that starts detached, disabled and defaulted. port_no must be
 * unique in the bond and non-zero. */
void lacp_port_init(struct lacp_port *p, uint16_t port_no,
		    const struct lacp_cfg *cfg);

/* Apply the bond's configuration to the actor (a change means NTT). */
void lacp_port_config(struct lacp_port *p, const struct lacp_cfg *cfg);

/* Receive machine: link state now, plus the PDU received since the last
 * call (NULL for none). */
void lacp_rx_machine(struct lacp_port *p, bool enabled,
		     const struct lacp_pdu *pdu, uint64_t now);

/* Selection over all n ports of one bond: ports that are enabled, CURRENT
 * and aggregatable on both sides join agg when their partner system and
 * key match it; the first such port picks agg when it is free. */
void lacp_select(struct lacp_port *const *ports, unsigned n,
		 struct lacp_agg *agg);

/* Mux machine; true when collecting/distributing changed. */
bool lacp_mux_machine(struct lacp_port *p, uint64_t now);

/* Periodic machine and NTT: true when a LACPDU is to be sent now (at most
 * LACP_MAX_TX_PER_SEC a second); the caller then sends lacp_port_pdu's. */
bool lacp_tx_due(struct lacp_port *p, uint64_t now);

/* The LACPDU this port sends now. */
void lacp_port_pdu(const struct lacp_port *p, struct lacp_pdu *out);

static inline bool lacp_port_distributing(const struct lacp_port *p)
{
	return p->mux == LACP_MUX_COLL_DIST;
}

/* Names for `link show`. */
const char *lacp_rx_state_name(enum lacp_rx_state s);
const char *lacp_mux_state_name(enum lacp_mux_state s);
/* State bits as "activity,timeout,..." into buf (>= 96 bytes). */
const char *lacp_state_str(uint8_t st, char *buf);

#endif
