/* Unit tests of the LACP protocol code (src/l2/lacp.c): the LACPDU wire
 * layout against bytes written by hand from IEEE 802.1AX, malformed PDUs
 * rejected, and the state machines on simulated time: two ports
 * negotiating back to back, a silent partner (EXPIRED then DEFAULTED, never
 * distributing), a partner that stops answering (3 x its period), a partner
 * that does not see us in sync, selection of one aggregator, the periodic
 * rate and the 3-per-second transmit limit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "l2/lacp.h"

#define T0 1000000ull

static const struct lacp_cfg CFG_A = {
	.sys_prio = 65535, .sys = { 0x02, 0xaa, 0, 0, 0, 1 }, .key = 9,
	.fast = true,
};
static const struct lacp_cfg CFG_B = {
	.sys_prio = 100, .sys = { 0x02, 0xbb, 0, 0, 0, 1 }, .key = 17,
	.fast = true,
};

/* An LACPDU written byte by byte (802.1AX-2008 figure 5-8). */
static const uint8_t RAW[LACP_PDU_LEN] = {
	0x01, 0x01,                                     /* subtype, version */
	0x01, 0x14, 0x80, 0x00,                         /* actor TLV, prio */
	0x02, 0x11, 0x22, 0x33, 0x44, 0x55,             /* actor system */
	0x00, 0x2a, 0x00, 0xff, 0x00, 0x07,             /* key, port prio, port */
	0x3d, 0, 0, 0,                                  /* state, reserved */
	0x02, 0x14, 0xff, 0xff,                         /* partner TLV, prio */
	0x02, 0x66, 0x77, 0x88, 0x99, 0xaa,
	0x01, 0x00, 0x00, 0x80, 0x00, 0x03,
	0x0f, 0, 0, 0,
	0x03, 0x10, 0x00, 0x05,                         /* collector, max delay */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x00, 0x00,                                     /* terminator */
	/* 50 reserved bytes: zero */
};

static void test_pdu_wire(void **state)
{
	struct lacp_pdu u;
	uint8_t out[LACP_PDU_LEN];
	const uint8_t asys[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	const uint8_t psys[6] = { 0x02, 0x66, 0x77, 0x88, 0x99, 0xaa };

	(void)state;
	assert_int_equal(lacp_pdu_parse(RAW, sizeof(RAW), &u), 0);
	assert_int_equal(u.actor.sys_prio, 0x8000);
	assert_memory_equal(u.actor.sys, asys, 6);
	assert_int_equal(u.actor.key, 42);
	assert_int_equal(u.actor.port_prio, 255);
	assert_int_equal(u.actor.port, 7);
	assert_int_equal(u.actor.state, 0x3d);
	assert_int_equal(u.partner.sys_prio, 0xffff);
	assert_memory_equal(u.partner.sys, psys, 6);
	assert_int_equal(u.partner.key, 256);
	assert_int_equal(u.partner.port_prio, 128);
	assert_int_equal(u.partner.port, 3);
	assert_int_equal(u.partner.state, 0x0f);
	assert_int_equal(u.collector_max_delay, 5);
	/* the builder writes exactly those bytes back */
	memset(out, 0xee, sizeof(out));
	lacp_pdu_build(&u, out);
	assert_memory_equal(out, RAW, LACP_PDU_LEN);
	/* trailing bytes (Ethernet padding, later versions) are ignored */
	{
		uint8_t longer[200] = { 0 };
		memcpy(longer, RAW, sizeof(RAW));
		longer[1] = 2; /* version 2 */
		assert_int_equal(lacp_pdu_parse(longer, sizeof(longer), &u), 0);
	}
}

/* RAW with byte i set to v must be rejected. */
static void assert_bad_byte(unsigned i, uint8_t v)
{
	uint8_t b[LACP_PDU_LEN];
	struct lacp_pdu u;

	memcpy(b, RAW, sizeof(b));
	b[i] = v;
	if (lacp_pdu_parse(b, sizeof(b), &u) != -1)
		fail_msg("byte %u = 0x%02x accepted", i, v);
}

static void test_pdu_malformed(void **state)
{
	struct lacp_pdu u;

	(void)state;
	assert_int_equal(lacp_pdu_parse(RAW, 0, &u), -1);
	assert_int_equal(lacp_pdu_parse(RAW, 1, &u), -1);
	assert_int_equal(lacp_pdu_parse(RAW, LACP_PDU_LEN - 1, &u), -1);
	assert_int_equal(lacp_pdu_parse(RAW, 60, &u), -1);
	assert_bad_byte(0, 2);       /* Marker subtype */
	assert_bad_byte(1, 0);       /* version 0 */
	assert_bad_byte(2, 2);       /* actor TLV type */
	assert_bad_byte(3, 19);      /* actor length */
	assert_bad_byte(3, 0);
	assert_bad_byte(22, 1);      /* partner TLV type */
	assert_bad_byte(23, 0xff);   /* partner length */
	assert_bad_byte(42, 0);      /* collector type */
	assert_bad_byte(43, 15);     /* collector length */
	assert_bad_byte(58, 3);      /* terminator type */
	assert_bad_byte(59, 1);      /* terminator length */
}

/* ---- simulated ports ----------------------------------------------------- */

struct side {
	struct lacp_port port;
	struct lacp_agg agg;
	const struct lacp_cfg *cfg;
	bool have;              /* pdu waiting for this side */
	struct lacp_pdu pdu;
	unsigned sent;
};

/* One 100 ms round of one side's machines with its link state; what it
 * sends goes to *peer (when peer is not NULL: the link delivers). */
static void side_round(struct side *s, struct side *peer, bool link,
		       uint64_t now)
{
	struct lacp_port *pp = &s->port;

	lacp_port_config(&s->port, s->cfg);
	lacp_rx_machine(&s->port, link, s->have ? &s->pdu : NULL, now);
	s->have = false;
	lacp_select(&pp, 1, &s->agg);
	lacp_mux_machine(&s->port, now);
	if (lacp_tx_due(&s->port, now)) {
		s->sent++;
		if (peer && link) {
			uint8_t wire[LACP_PDU_LEN];
			struct lacp_pdu u;
			lacp_port_pdu(&s->port, &u);
			lacp_pdu_build(&u, wire);
			assert_int_equal(lacp_pdu_parse(wire, sizeof(wire),
							 &peer->pdu), 0);
			peer->have = true;
		}
	}
}

static void sides_init(struct side *a, struct side *b)
{
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	a->cfg = &CFG_A;
	b->cfg = &CFG_B;
	lacp_port_init(&a->port, 1, a->cfg);
	lacp_port_init(&b->port, 5, b->cfg);
}

/* Run both sides over one link for ms; returns the time after. */
static uint64_t run_link(struct side *a, struct side *b, bool link,
			 uint64_t now, uint64_t ms)
{
	for (uint64_t t = 0; t < ms; t += 100) {
		side_round(a, b, link, now + t);
		side_round(b, a, link, now + t);
	}
	return now + ms;
}

/* b sends now and a records it now: a's partner timer restarts at now. */
static void deliver_now(struct side *a, struct side *b, uint64_t now)
{
	b->port.ntt = true;
	side_round(b, a, true, now);
	assert_true(a->have);
	side_round(a, b, true, now);
}

static void assert_distributing(const struct side *s)
{
	const uint8_t want = LACP_ST_ACTIVITY | LACP_ST_AGGREGATION |
			     LACP_ST_SYNC | LACP_ST_COLLECTING |
			     LACP_ST_DISTRIBUTING;

	assert_int_equal(s->port.rx, LACP_RX_CURRENT);
	assert_int_equal(s->port.mux, LACP_MUX_COLL_DIST);
	assert_true(lacp_port_distributing(&s->port));
	assert_int_equal(s->port.actor.state & ~LACP_ST_TIMEOUT, want);
	assert_true(s->port.selected);
}

static void test_negotiate(void **state)
{
	struct side a, b;
	uint64_t now;

	(void)state;
	sides_init(&a, &b);
	/* not distributing before the 2 s aggregate wait */
	now = run_link(&a, &b, true, T0, 1000);
	assert_false(lacp_port_distributing(&a.port));
	now = run_link(&a, &b, true, now, 3000);
	assert_distributing(&a);
	assert_distributing(&b);
	/* each side records the other as partner */
	assert_memory_equal(a.port.partner.sys, CFG_B.sys, 6);
	assert_int_equal(a.port.partner.key, 17);
	assert_int_equal(a.port.partner.port, 5);
	assert_int_equal(a.port.partner.sys_prio, 100);
	assert_memory_equal(b.port.partner.sys, CFG_A.sys, 6);
	assert_int_equal(b.port.partner.key, 9);
	assert_true(a.port.partner.state & LACP_ST_DISTRIBUTING);
	assert_memory_equal(a.agg.sys, CFG_B.sys, 6);
	/* steady state: fast rate asked by both: about 1 PDU a second each */
	a.sent = b.sent = 0;
	now = run_link(&a, &b, true, now, 10000);
	assert_in_range(a.sent, 9, 11);
	assert_in_range(b.sent, 9, 11);
	assert_distributing(&a);
	assert_int_equal(a.port.rx_pdus, b.port.tx_pdus);
}

static void test_silent_partner(void **state)
{
	struct side a, b;
	uint64_t now = T0;

	(void)state;
	sides_init(&a, &b);
	side_round(&a, NULL, true, now);
	assert_int_equal(a.port.rx, LACP_RX_EXPIRED);
	assert_true(a.port.actor.state & LACP_ST_EXPIRED);
	for (now = T0 + 100; now < T0 + 2900; now += 100)
		side_round(&a, NULL, true, now);
	assert_int_equal(a.port.rx, LACP_RX_EXPIRED);
	for (; now < T0 + 3100; now += 100)
		side_round(&a, NULL, true, now);
	assert_int_equal(a.port.rx, LACP_RX_DEFAULTED);
	assert_true(a.port.actor.state & LACP_ST_DEFAULTED);
	assert_false(a.port.actor.state & LACP_ST_EXPIRED);
	/* 3 s fast while expired: 3 or 4 PDUs */
	assert_in_range(a.sent, 3, 4);
	/* defaulted: never selected, never distributing, slow period */
	a.sent = 0;
	for (; now < T0 + 63100; now += 100) {
		side_round(&a, NULL, true, now);
		assert_false(a.port.selected);
		assert_false(lacp_port_distributing(&a.port));
	}
	assert_in_range(a.sent, 2, 3);
	assert_false(a.agg.in_use);
	/* the partner wakes up: negotiated */
	now = run_link(&a, &b, true, now, 4000);
	assert_distributing(&a);
	assert_false(a.port.actor.state & LACP_ST_DEFAULTED);
}

static void test_partner_timeout(void **state)
{
	struct side a, b;
	uint64_t now;

	(void)state;
	sides_init(&a, &b);
	now = run_link(&a, &b, true, T0, 4000);
	assert_distributing(&a);
	/* b's LACPDUs stop reaching a after one at now (a's still reach b) */
	deliver_now(&a, &b, now);
	for (uint64_t t = 100; t < 3000; t += 100) {
		side_round(&a, &b, true, now + t);
		b.have = false;
		side_round(&b, NULL, true, now + t);
	}
	assert_distributing(&a); /* until 3 x 1 s */
	side_round(&a, NULL, true, now + 3000);
	now += 3100;
	assert_int_equal(a.port.rx, LACP_RX_EXPIRED);
	assert_false(lacp_port_distributing(&a.port));
	assert_false(a.port.selected);
	for (uint64_t t = 0; t < 3000; t += 100)
		side_round(&a, NULL, true, now + t);
	now += 3000;
	assert_int_equal(a.port.rx, LACP_RX_DEFAULTED);
	/* link down and up again: back through EXPIRED to CURRENT */
	side_round(&a, NULL, false, now);
	assert_int_equal(a.port.rx, LACP_RX_DISABLED);
	now = run_link(&a, &b, true, now + 100, 4000);
	assert_distributing(&a);
	assert_distributing(&b);
}

static void test_slow_rate(void **state)
{
	static const struct lacp_cfg slow_a = {
		.sys_prio = 1, .sys = { 0x02, 0xaa, 0, 0, 0, 1 }, .key = 9,
	};
	static const struct lacp_cfg slow_b = {
		.sys_prio = 1, .sys = { 0x02, 0xbb, 0, 0, 0, 1 }, .key = 9,
	};
	struct side a, b;
	uint64_t now;

	(void)state;
	sides_init(&a, &b);
	a.cfg = &slow_a;
	b.cfg = &slow_b;
	now = run_link(&a, &b, true, T0, 4000);
	assert_distributing(&a);
	assert_false(a.port.actor.state & LACP_ST_TIMEOUT);
	a.sent = 0;
	now = run_link(&a, &b, true, now, 60000);
	assert_in_range(a.sent, 2, 3); /* every 30 s */
	/* silent after one at now: current for 90 s (3 x 30 s) */
	deliver_now(&a, &b, now);
	for (uint64_t t = 100; t < 90000; t += 100)
		side_round(&a, NULL, true, now + t);
	assert_distributing(&a);
	side_round(&a, NULL, true, now + 90000);
	assert_int_equal(a.port.rx, LACP_RX_EXPIRED);
}

/* b answers without recognising a (wrong partner key in its PDUs): a never
 * sees its partner in sync, so it attaches but never distributes. */
static void test_partner_not_in_sync(void **state)
{
	struct side a, b;
	uint64_t now = T0;

	(void)state;
	sides_init(&a, &b);
	for (int i = 0; i < 50; i++, now += 100) {
		side_round(&a, &b, true, now);
		side_round(&b, NULL, true, now);
		lacp_port_pdu(&b.port, &a.pdu);
		a.pdu.actor.state |= LACP_ST_SYNC;
		a.pdu.partner.key = 1234; /* not a's key */
		a.have = true;
	}
	assert_int_equal(a.port.rx, LACP_RX_CURRENT);
	assert_true(a.port.selected);
	assert_int_equal(a.port.mux, LACP_MUX_ATTACHED);
	assert_false(a.port.partner.state & LACP_ST_SYNC);
	assert_false(lacp_port_distributing(&a.port));
}

/* Three ports of one bond: two face system X, one faces system Y. */
static void test_selection(void **state)
{
	struct lacp_port p[3], *pp[3] = { &p[0], &p[1], &p[2] };
	struct lacp_agg agg = { 0 };
	struct lacp_pdu u;
	const uint8_t X[6] = { 2, 0xcc, 0, 0, 0, 1 }, Y[6] = { 2, 0xdd, 0, 0, 0, 1 };
	uint64_t now = T0;

	(void)state;
	for (unsigned i = 0; i < 3; i++)
		lacp_port_init(&p[i], (uint16_t)(i + 1), &CFG_A);
	for (int round = 0; round < 40; round++, now += 100) {
		for (unsigned i = 0; i < 3; i++) {
			memset(&u, 0, sizeof(u));
			u.actor.sys_prio = 1;
			memcpy(u.actor.sys, i == 2 ? Y : X, 6);
			u.actor.key = 5;
			u.actor.port = (uint16_t)(10 + i);
			u.actor.state = LACP_ST_ACTIVITY | LACP_ST_AGGREGATION |
					LACP_ST_SYNC | LACP_ST_TIMEOUT;
			u.partner = p[i].actor;
			/* port 0 goes down at round 30 */
			lacp_rx_machine(&p[i], !(i == 0 && round >= 30), &u, now);
		}
		lacp_select(pp, 3, &agg);
		for (unsigned i = 0; i < 3; i++)
			lacp_mux_machine(&p[i], now);
		if (round == 29) {
			assert_true(lacp_port_distributing(&p[0]));
			assert_true(lacp_port_distributing(&p[1]));
			assert_false(p[2].selected);
			assert_int_equal(p[2].mux, LACP_MUX_DETACHED);
			assert_memory_equal(agg.sys, X, 6);
		}
	}
	/* port 1 still holds the aggregator for X; Y stays out */
	assert_false(lacp_port_distributing(&p[0]));
	assert_true(lacp_port_distributing(&p[1]));
	assert_false(p[2].selected);
	/* port 1 leaves too: the aggregator is free and Y's port takes it */
	for (int round = 0; round < 30; round++, now += 100) {
		for (unsigned i = 0; i < 3; i++)
			lacp_rx_machine(&p[i], i == 2, NULL, now);
		memset(&u, 0, sizeof(u));
		memcpy(u.actor.sys, Y, 6);
		u.actor.sys_prio = 1;
		u.actor.key = 5;
		u.actor.port = 12;
		u.actor.state = LACP_ST_ACTIVITY | LACP_ST_AGGREGATION |
				LACP_ST_SYNC | LACP_ST_TIMEOUT;
		u.partner = p[2].actor;
		lacp_rx_machine(&p[2], true, &u, now);
		lacp_select(pp, 3, &agg);
		for (unsigned i = 0; i < 3; i++)
			lacp_mux_machine(&p[i], now);
	}
	assert_true(lacp_port_distributing(&p[2]));
	assert_memory_equal(agg.sys, Y, 6);
}

static void test_tx_limit(void **state)
{
	struct lacp_port p;
	unsigned sent = 0;

	(void)state;
	lacp_port_init(&p, 1, &CFG_A);
	lacp_rx_machine(&p, true, NULL, T0);
	/* something to say every 100 ms for 2 s: 3 a second at most */
	for (uint64_t t = 0; t < 2000; t += 100) {
		p.ntt = true;
		sent += lacp_tx_due(&p, T0 + t);
	}
	assert_int_equal(sent, 6);
	/* a disabled port sends nothing */
	lacp_rx_machine(&p, false, NULL, T0 + 5000);
	p.ntt = true;
	assert_false(lacp_tx_due(&p, T0 + 5000));
}

static void test_names(void **state)
{
	char buf[96];

	(void)state;
	assert_string_equal(lacp_state_str(0x3d, buf),
			    "activity,aggregation,synchronization,collecting,distributing");
	assert_string_equal(lacp_state_str(0xff, buf),
			    "activity,timeout,aggregation,synchronization,collecting,"
			    "distributing,defaulted,expired");
	assert_string_equal(lacp_state_str(0, buf), "");
	assert_string_equal(lacp_rx_state_name(LACP_RX_DEFAULTED), "defaulted");
	assert_string_equal(lacp_mux_state_name(LACP_MUX_COLL_DIST),
			    "collecting_distributing");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pdu_wire),
		cmocka_unit_test(test_pdu_malformed),
		cmocka_unit_test(test_negotiate),
		cmocka_unit_test(test_silent_partner),
		cmocka_unit_test(test_partner_timeout),
		cmocka_unit_test(test_slow_rate),
		cmocka_unit_test(test_partner_not_in_sync),
		cmocka_unit_test(test_selection),
		cmocka_unit_test(test_tx_limit),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
