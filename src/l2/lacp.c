/* LACP (IEEE 802.1AX) wire format and per-port state machines; see lacp.h.
 *
 * Design note. The machines follow 802.1AX-2008 section 5.4 in a reduced
 * form, as Linux's bond_3ad does: receive (DISABLED, EXPIRED, DEFAULTED,
 * CURRENT with recordPDU / update_Selected / update_NTT), periodic
 * transmission (fast 1 s when the partner asks for short timeouts, else
 * slow 30 s), one aggregator per bond chosen by the first port whose
 * partner answers, and the mux machine with coupled control (DETACHED ->
 * WAITING (2 s) -> ATTACHED -> COLLECTING_DISTRIBUTING once the partner
 * reports in sync). Administrative partner defaults are all zero (a
 * defaulted port never joins the aggregator). Not implemented: the Marker
 * protocol, individual (non-aggregatable) links, standby ports, several
 * aggregators per bond. */
#include "l2/lacp.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

#define LACP_TLV_ACTOR 1u
#define LACP_TLV_PARTNER 2u
#define LACP_TLV_COLLECTOR 3u
#define LACP_INFO_LEN 20u
#define LACP_COLLECTOR_LEN 16u

/* ---- wire format ---------------------------------------------------------- */

static void lacp_info_read(const uint8_t *t, struct lacp_info *i)
{
	i->sys_prio = get_be16(t + 2);
	memcpy(i->sys, t + 4, 6);
	i->key = get_be16(t + 10);
	i->port_prio = get_be16(t + 12);
	i->port = get_be16(t + 14);
	i->state = t[16];
}

static void lacp_info_write(uint8_t *t, uint8_t type, const struct lacp_info *i)
{
	t[0] = type;
	t[1] = LACP_INFO_LEN;
	put_be16(t + 2, i->sys_prio);
	memcpy(t + 4, i->sys, 6);
	put_be16(t + 10, i->key);
	put_be16(t + 12, i->port_prio);
	put_be16(t + 14, i->port);
	t[16] = i->state;
}

int lacp_pdu_parse(const uint8_t *b, uint32_t len, struct lacp_pdu *out)
{
	if (len < LACP_PDU_LEN || b[0] != LACP_SUBTYPE || b[1] == 0)
		return -1;
	if (b[2] != LACP_TLV_ACTOR || b[3] != LACP_INFO_LEN ||
	    b[22] != LACP_TLV_PARTNER || b[23] != LACP_INFO_LEN ||
	    b[42] != LACP_TLV_COLLECTOR || b[43] != LACP_COLLECTOR_LEN ||
	    b[58] != 0 || b[59] != 0)
		return -1;
	lacp_info_read(b + 2, &out->actor);
	lacp_info_read(b + 22, &out->partner);
	out->collector_max_delay = get_be16(b + 44);
	return 0;
}

void lacp_pdu_build(const struct lacp_pdu *pdu, uint8_t out[LACP_PDU_LEN])
{
	memset(out, 0, LACP_PDU_LEN);
	out[0] = LACP_SUBTYPE;
	out[1] = 1; /* version */
	lacp_info_write(out + 2, LACP_TLV_ACTOR, &pdu->actor);
	lacp_info_write(out + 22, LACP_TLV_PARTNER, &pdu->partner);
	out[42] = LACP_TLV_COLLECTOR;
	out[43] = LACP_COLLECTOR_LEN;
	put_be16(out + 44, pdu->collector_max_delay);
	/* out[58..59]: terminator TLV (0, 0); then 50 reserved bytes */
}

/* ---- port set-up ---------------------------------------------------------- */

void lacp_port_config(struct lacp_port *p, const struct lacp_cfg *cfg)
{
	struct lacp_info a = p->actor;

	a.sys_prio = cfg->sys_prio;
	memcpy(a.sys, cfg->sys, 6);
	a.key = cfg->key;
	a.state = (uint8_t)((a.state & ~LACP_ST_TIMEOUT) |
			    (cfg->fast ? LACP_ST_TIMEOUT : 0));
	if (memcmp(&a, &p->actor, sizeof(a)) != 0)
		p->ntt = true;
	p->actor = a;
}

void lacp_port_init(struct lacp_port *p, uint16_t port_no,
		    const struct lacp_cfg *cfg)
{
	memset(p, 0, sizeof(*p));
	p->actor.port = port_no;
	p->actor.port_prio = 255;
	p->actor.state = LACP_ST_ACTIVITY | LACP_ST_AGGREGATION |
			 LACP_ST_DEFAULTED;
	p->rx = LACP_RX_DISABLED;
	p->mux = LACP_MUX_DETACHED;
	lacp_port_config(p, cfg);
}

/* ---- receive machine ------------------------------------------------------- */

/* Same partner identity (what update_Selected compares). */
static bool lacp_same_partner(const struct lacp_info *a,
			      const struct lacp_info *b)
{
	return a->port == b->port && a->port_prio == b->port_prio &&
	       a->sys_prio == b->sys_prio && memcmp(a->sys, b->sys, 6) == 0 &&
	       a->key == b->key &&
	       ((a->state ^ b->state) & LACP_ST_AGGREGATION) == 0;
}

static void lacp_set_partner(struct lacp_port *p, const struct lacp_info *n)
{
	if (!lacp_same_partner(&p->partner, n)) {
		p->selected = false;
		p->hold_unselected = true;
	}
	p->partner = *n;
}

static void lacp_enter_expired(struct lacp_port *p, uint64_t now)
{
	p->rx = LACP_RX_EXPIRED;
	p->partner.state &= (uint8_t)~LACP_ST_SYNC;
	p->partner.state |= LACP_ST_TIMEOUT; /* ask fast while expired */
	p->actor.state |= LACP_ST_EXPIRED;
	p->current_while = now + LACP_SHORT_TIMEOUT_MS;
	p->ntt = true;
}

static void lacp_enter_defaulted(struct lacp_port *p)
{
	static const struct lacp_info none;

	p->rx = LACP_RX_DEFAULTED;
	lacp_set_partner(p, &none);
	p->actor.state |= LACP_ST_DEFAULTED;
	p->actor.state &= (uint8_t)~LACP_ST_EXPIRED;
	p->ntt = true;
}

/* recordPDU, update_Selected and update_NTT of 802.1AX 5.4.9. */
static void lacp_record_pdu(struct lacp_port *p, const struct lacp_pdu *u,
			    uint64_t now)
{
	const uint8_t ours = LACP_ST_ACTIVITY | LACP_ST_TIMEOUT |
			     LACP_ST_AGGREGATION | LACP_ST_SYNC;
	struct lacp_info n = u->actor;
	bool matched, sync, active;

	matched = u->partner.port == p->actor.port &&
		  u->partner.port_prio == p->actor.port_prio &&
		  u->partner.sys_prio == p->actor.sys_prio &&
		  memcmp(u->partner.sys, p->actor.sys, 6) == 0 &&
		  u->partner.key == p->actor.key &&
		  ((u->partner.state ^ p->actor.state) & LACP_ST_AGGREGATION) == 0;
	sync = (u->actor.state & LACP_ST_SYNC) &&
	       (matched || !(u->actor.state & LACP_ST_AGGREGATION));
	active = (u->actor.state & LACP_ST_ACTIVITY) ||
		 ((p->actor.state & LACP_ST_ACTIVITY) &&
		  (u->partner.state & LACP_ST_ACTIVITY));
	n.state = (uint8_t)(sync && active ? n.state | LACP_ST_SYNC
					   : n.state & ~LACP_ST_SYNC);
	if (!matched || ((u->partner.state ^ p->actor.state) & ours))
		p->ntt = true;
	lacp_set_partner(p, &n);
	p->actor.state &= (uint8_t)~(LACP_ST_DEFAULTED | LACP_ST_EXPIRED);
	p->rx = LACP_RX_CURRENT;
	p->current_while = now + ((p->actor.state & LACP_ST_TIMEOUT)
					  ? LACP_SHORT_TIMEOUT_MS
					  : LACP_LONG_TIMEOUT_MS);
}

void lacp_rx_machine(struct lacp_port *p, bool enabled,
		     const struct lacp_pdu *pdu, uint64_t now)
{
	p->enabled = enabled;
	if (!enabled) {
		p->rx = LACP_RX_DISABLED;
		p->partner.state &= (uint8_t)~LACP_ST_SYNC;
		return;
	}
	if (p->rx == LACP_RX_DISABLED)
		lacp_enter_expired(p, now);
	if (pdu) {
		p->rx_pdus++;
		lacp_record_pdu(p, pdu, now);
	} else if (now >= p->current_while) {
		if (p->rx == LACP_RX_CURRENT)
			lacp_enter_expired(p, now);
		else if (p->rx == LACP_RX_EXPIRED)
			lacp_enter_defaulted(p);
	}
}

/* ---- selection -------------------------------------------------------------- */

static bool lacp_eligible(const struct lacp_port *p)
{
	return p->enabled && p->rx == LACP_RX_CURRENT && !p->hold_unselected &&
	       (p->actor.state & LACP_ST_AGGREGATION) &&
	       (p->partner.state & LACP_ST_AGGREGATION);
}

static bool lacp_agg_match(const struct lacp_agg *a, const struct lacp_port *p)
{
	return a->in_use && a->sys_prio == p->partner.sys_prio &&
	       a->key == p->partner.key && memcmp(a->sys, p->partner.sys, 6) == 0;
}

void lacp_select(struct lacp_port *const *ports, unsigned n,
		 struct lacp_agg *agg)
{
	bool used = false;

	for (unsigned i = 0; i < n; i++)
		if (ports[i]->selected && lacp_eligible(ports[i]) &&
		    lacp_agg_match(agg, ports[i]))
			used = true;
	agg->in_use = used;
	for (unsigned i = 0; i < n; i++) {
		struct lacp_port *p = ports[i];
		bool ok = lacp_eligible(p);
		if (ok && !agg->in_use) {
			agg->in_use = true;
			agg->sys_prio = p->partner.sys_prio;
			memcpy(agg->sys, p->partner.sys, 6);
			agg->key = p->partner.key;
		}
		p->selected = ok && lacp_agg_match(agg, p);
		p->hold_unselected = false;
	}
}

/* ---- mux machine ------------------------------------------------------------ */

static void lacp_mux_enter(struct lacp_port *p, enum lacp_mux_state s,
			   uint64_t now)
{
	const uint8_t cd = LACP_ST_COLLECTING | LACP_ST_DISTRIBUTING;

	p->mux = s;
	p->ntt = p->ntt || s != LACP_MUX_WAITING;
	switch (s) {
	case LACP_MUX_DETACHED:
		p->actor.state &= (uint8_t)~(cd | LACP_ST_SYNC);
		break;
	case LACP_MUX_WAITING:
		p->wait_while = now + LACP_AGG_WAIT_MS;
		break;
	case LACP_MUX_ATTACHED:
		p->actor.state |= LACP_ST_SYNC;
		p->actor.state &= (uint8_t)~cd;
		break;
	case LACP_MUX_COLL_DIST:
		p->actor.state |= cd;
		break;
	}
}

/* The state the mux machine moves to from its current one, or the same. */
static enum lacp_mux_state lacp_mux_next(const struct lacp_port *p,
					 uint64_t now)
{
	bool psync = p->partner.state & LACP_ST_SYNC;

	switch (p->mux) {
	case LACP_MUX_DETACHED:
		return p->selected ? LACP_MUX_WAITING : LACP_MUX_DETACHED;
	case LACP_MUX_WAITING:
		if (!p->selected)
			return LACP_MUX_DETACHED;
		return now >= p->wait_while ? LACP_MUX_ATTACHED : LACP_MUX_WAITING;
	case LACP_MUX_ATTACHED:
		if (!p->selected)
			return LACP_MUX_DETACHED;
		return psync ? LACP_MUX_COLL_DIST : LACP_MUX_ATTACHED;
	case LACP_MUX_COLL_DIST:
		if (!p->selected)
			return LACP_MUX_DETACHED;
		return psync ? LACP_MUX_COLL_DIST : LACP_MUX_ATTACHED;
	}
	return LACP_MUX_DETACHED;
}

bool lacp_mux_machine(struct lacp_port *p, uint64_t now)
{
	bool was = lacp_port_distributing(p);

	for (int i = 0; i < 4; i++) {
		enum lacp_mux_state s = lacp_mux_next(p, now);
		if (s == p->mux)
			break;
		lacp_mux_enter(p, s, now);
	}
	return was != lacp_port_distributing(p);
}

/* ---- transmit ----------------------------------------------------------------- */

bool lacp_tx_due(struct lacp_port *p, uint64_t now)
{
	uint64_t period = (p->partner.state & LACP_ST_TIMEOUT)
				  ? LACP_FAST_PERIOD_MS
				  : LACP_SLOW_PERIOD_MS;
	uint64_t *oldest = &p->tx_hist[0];

	if (!p->enabled || (!(p->actor.state & LACP_ST_ACTIVITY) &&
			    !(p->partner.state & LACP_ST_ACTIVITY)))
		return false;
	if (p->next_periodic > now + period)
		p->next_periodic = now + period; /* the partner asked for fast */
	if (now >= p->next_periodic) {
		p->ntt = true;
		p->next_periodic = now + period;
	}
	for (unsigned i = 1; i < LACP_MAX_TX_PER_SEC; i++)
		if (p->tx_hist[i] < *oldest)
			oldest = &p->tx_hist[i];
	if (!p->ntt || (*oldest && now < *oldest + 1000))
		return false;
	*oldest = now;
	p->ntt = false;
	p->tx_pdus++;
	return true;
}

void lacp_port_pdu(const struct lacp_port *p, struct lacp_pdu *out)
{
	memset(out, 0, sizeof(*out));
	out->actor = p->actor;
	out->partner = p->partner;
}

/* ---- names -------------------------------------------------------------------- */

const char *lacp_rx_state_name(enum lacp_rx_state s)
{
	static const char *const n[] = {
		[LACP_RX_DISABLED] = "disabled",
		[LACP_RX_EXPIRED] = "expired",
		[LACP_RX_DEFAULTED] = "defaulted",
		[LACP_RX_CURRENT] = "current",
	};
	return (unsigned)s < ARRAY_SIZE(n) ? n[s] : "?";
}

const char *lacp_mux_state_name(enum lacp_mux_state s)
{
	static const char *const n[] = {
		[LACP_MUX_DETACHED] = "detached",
		[LACP_MUX_WAITING] = "waiting",
		[LACP_MUX_ATTACHED] = "attached",
		[LACP_MUX_COLL_DIST] = "collecting_distributing",
	};
	return (unsigned)s < ARRAY_SIZE(n) ? n[s] : "?";
}

const char *lacp_state_str(uint8_t st, char *buf)
{
	static const char *const bit[8] = {
		"activity", "timeout", "aggregation", "synchronization",
		"collecting", "distributing", "defaulted", "expired",
	};
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < 8; i++)
		if (st >> i & 1)
			o += (size_t)snprintf(buf + o, 96 - o, "%s%s",
					      o ? "," : "", bit[i]);
	return buf;
}
