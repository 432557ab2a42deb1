/* Unit tests of policy rules (src/fib/fib_rules.c): the ipproto, port
 * range and dscp selectors, goto (forward only, unresolved targets
 * ignored), validation, the rule reported by fib_rules_lookup_trace(),
 * rules following device names, VRF flows and the l3mdev rule, and lookups
 * racing with rule changes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <urcu-qsbr.h>

#include "ctl/out.h"
#include "fib/fib.h"
#include "fib/fib_rules.h"

static union pkt_addr addr(int family, const char *s)
{
	union pkt_addr a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(inet_pton(family, s, &a), 1);
	return a;
}

/* A route to prefix/plen in `table` out of ifindex == table. */
static void table_route(uint32_t table, const char *prefix, uint8_t plen)
{
	struct fib_route r;
	char err[256] = "";

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.type = FIB_UNICAST;
	r.proto = FIB_PROTO_STATIC;
	r.table = table;
	r.plen = plen;
	r.prefix = addr(AF_INET, prefix);
	r.nnh = 1;
	r.nh[0].ifindex = table;
	r.nh[0].weight = 1;
	assert_int_equal(fib_route_add(&r, FIB_F_EXCL, err), 0);
}

/* A default route in `table` out of ifindex == table: the nexthop device
 * of a lookup result names the table it came from. */
static void table_default(uint32_t table)
{
	table_route(table, "0.0.0.0", 0);
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(fib_init(), 0);
	table_default(FIB_TABLE_MAIN);
	table_default(100);
	table_default(200);
	table_default(300);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fib_fini();
	return 0;
}

static struct fib_rule rule_lookup(uint32_t prio, uint32_t table)
{
	struct fib_rule r;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.has_prio = true;
	r.prio = prio;
	r.action = FIB_RULE_LOOKUP;
	r.table = table;
	return r;
}

static int radd(const struct fib_rule *r)
{
	char err[256] = "";

	return fib_rule_add(r, err);
}

static struct fib_flow flow(const char *src, uint8_t proto, uint16_t sport,
			    uint16_t dport, uint8_t dscp)
{
	struct fib_flow fl;

	memset(&fl, 0, sizeof(fl));
	fl.family = AF_INET;
	fl.src = addr(AF_INET, src);
	fl.dst = addr(AF_INET, "198.51.100.1");
	fl.proto = proto;
	fl.sport = sport;
	fl.dport = dport;
	fl.dscp = dscp;
	return fl;
}

/* Table the flow is routed by (the nexthop device), 0 for a verdict
 * without nexthop, -1 for no decision; *prio gets the deciding rule. */
static int decide(const struct fib_flow *fl, uint32_t *prio)
{
	struct fib_result res;
	struct fib_rule r;

	if (!fib_rules_lookup_trace(fl, &res, &r))
		return -1;
	if (prio)
		*prio = r.prio;
	return res.nh ? (int)res.nh->ifindex : 0;
}

static void test_l4_selectors(void **state)
{
	struct fib_rule r = rule_lookup(100, 100);
	struct fib_flow fl;
	uint32_t prio;

	(void)state;
	r.ipproto = IPPROTO_UDP;
	r.dport_lo = 5000;
	r.dport_hi = 5099;
	assert_int_equal(radd(&r), 0);
	r = rule_lookup(200, 200);
	r.sport_lo = r.sport_hi = 1234;
	assert_int_equal(radd(&r), 0);
	r = rule_lookup(300, 300);
	r.has_dscp = true;
	r.dscp = 0;            /* dscp 0 is a real selector */
	r.ipproto = IPPROTO_TCP;
	assert_int_equal(radd(&r), 0);

	fl = flow("10.0.0.1", IPPROTO_UDP, 40000, 5000, 0);
	assert_int_equal(decide(&fl, &prio), 100);
	assert_int_equal(prio, 100);
	fl.dport = 5099;
	assert_int_equal(decide(&fl, NULL), 100);
	fl.dport = 4999;
	assert_int_equal(decide(&fl, NULL), FIB_TABLE_MAIN);
	fl.dport = 5100;
	assert_int_equal(decide(&fl, NULL), FIB_TABLE_MAIN);
	fl = flow("10.0.0.1", IPPROTO_TCP, 40000, 5000, 8);   /* not udp */
	assert_int_equal(decide(&fl, &prio), FIB_TABLE_MAIN);
	assert_int_equal(prio, FIB_RULE_PRIO_MAIN);
	fl.sport = 1234;
	assert_int_equal(decide(&fl, &prio), 200);
	assert_int_equal(prio, 200);
	fl.sport = 1235;
	fl.dscp = 0;
	assert_int_equal(decide(&fl, NULL), 300);
	fl.proto = IPPROTO_UDP;   /* dscp 0 but not tcp, port outside 100's */
	fl.dport = 6000;
	assert_int_equal(decide(&fl, NULL), FIB_TABLE_MAIN);

	/* identical rules are refused; another port range is another rule */
	r = rule_lookup(100, 100);
	r.ipproto = IPPROTO_UDP;
	r.dport_lo = 5000;
	r.dport_hi = 5099;
	assert_int_equal(radd(&r), -EEXIST);
	r.dport_hi = 5098;
	assert_int_equal(radd(&r), 0);
	/* delete by port range only */
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.dport_lo = 5000;
	r.dport_hi = 5098;
	assert_int_equal(fib_rule_del(&r, NULL), 0);
	r.dport_hi = 5099;
	assert_int_equal(fib_rule_del(&r, NULL), 0);
	assert_int_equal(fib_rule_del(&r, NULL), -ENOENT);
	fl = flow("10.0.0.1", IPPROTO_UDP, 40000, 5000, 0);
	assert_int_equal(decide(&fl, NULL), FIB_TABLE_MAIN);
}

static void test_invert_l4(void **state)
{
	struct fib_rule r;
	struct fib_flow fl;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.has_prio = true;
	r.prio = 10;
	r.invert = true;
	r.action = FIB_RULE_PROHIBIT;
	r.ipproto = IPPROTO_TCP;
	r.dport_lo = r.dport_hi = 22;
	assert_int_equal(radd(&r), 0);
	/* only tcp/22 passes; everything else is prohibited */
	fl = flow("10.0.0.1", IPPROTO_TCP, 40000, 22, 0);
	assert_int_equal(decide(&fl, NULL), FIB_TABLE_MAIN);
	fl.dport = 23;
	assert_int_equal(decide(&fl, NULL), 0);
	{
		struct fib_result res;

		assert_true(fib_lookup(&fl, &res));
		assert_int_equal(fib_result_route(&res)->type, FIB_PROHIBIT);
		assert_int_equal(res.table, FIB_TABLE_UNSPEC);
	}
}

static void test_goto(void **state)
{
	struct fib_rule r;
	struct fib_flow fl = flow("10.3.0.1", IPPROTO_UDP, 1, 2, 0);
	uint32_t prio;
	char err[256] = "";

	(void)state;
	/* 50: from 10.3/16 goto 150; 60: from 10.3/16 lookup 100;
	 * 150: lookup 200 (first of two at 150); 150: lookup 300 */
	r = rule_lookup(50, 0);
	r.action = FIB_RULE_GOTO;
	r.target = 150;
	r.src = addr(AF_INET, "10.3.0.0");
	r.src_len = 16;
	assert_int_equal(radd(&r), 0);
	r = rule_lookup(60, 100);
	r.src = addr(AF_INET, "10.3.0.0");
	r.src_len = 16;
	assert_int_equal(radd(&r), 0);
	r = rule_lookup(150, 200);
	r.src = addr(AF_INET, "10.3.0.0");
	r.src_len = 16;
	assert_int_equal(radd(&r), 0);
	r = rule_lookup(150, 300);
	assert_int_equal(radd(&r), 0);

	assert_int_equal(decide(&fl, &prio), 200);   /* skipped 60 */
	assert_int_equal(prio, 150);
	fl.src = addr(AF_INET, "10.4.0.1");           /* goto does not match */
	assert_int_equal(decide(&fl, &prio), 300);
	assert_int_equal(prio, 150);
	fl.src = addr(AF_INET, "10.3.0.1");

	/* target gone: the goto is unresolved and ignored (60 decides) */
	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.has_prio = true;
	r.prio = 150;
	assert_int_equal(fib_rule_del(&r, err), 0);
	assert_int_equal(fib_rule_del(&r, err), 0);
	assert_int_equal(decide(&fl, &prio), 100);
	assert_int_equal(prio, 60);
	/* a new rule at 150 resolves it again */
	r = rule_lookup(150, 300);
	assert_int_equal(radd(&r), 0);
	assert_int_equal(decide(&fl, &prio), 300);
	assert_int_equal(prio, 150);

	/* goto only jumps forward; target only with goto */
	r = rule_lookup(200, 0);
	r.action = FIB_RULE_GOTO;
	r.target = 200;
	assert_int_equal(fib_rule_add(&r, err), -EINVAL);
	assert_non_null(strstr(err, "forward"));
	r.target = 100;
	assert_int_equal(fib_rule_add(&r, err), -EINVAL);
	r.target = 0;
	assert_int_equal(fib_rule_add(&r, err), -EINVAL);
	assert_non_null(strstr(err, "needs a target"));
	r.action = FIB_RULE_LOOKUP;
	r.target = 300;
	assert_int_equal(fib_rule_add(&r, err), -EINVAL);
	assert_non_null(strstr(err, "only a goto"));
	/* auto priority: the goto must still point past it */
	r = rule_lookup(0, 0);
	r.has_prio = false;
	r.action = FIB_RULE_GOTO;
	r.target = 40;                 /* auto priority is 49 */
	assert_int_equal(fib_rule_add(&r, err), -EINVAL);
	r.target = 55;
	assert_int_equal(fib_rule_add(&r, err), 0);
}

static void test_validation(void **state)
{
	struct fib_rule r = rule_lookup(10, 100);
	char err[256] = "";

	(void)state;
	r.sport_lo = 10;
	r.sport_hi = 5;
	assert_int_equal(fib_rule_add(&r, err), -EINVAL);
	assert_non_null(strstr(err, "source port range 10-5"));
	r.sport_hi = 0;
	assert_int_equal(fib_rule_add(&r, err), -EINVAL);
	r.sport_lo = 0;
	r.has_dscp = true;
	r.dscp = 64;
	assert_int_equal(fib_rule_add(&r, err), -EINVAL);
	assert_non_null(strstr(err, "dscp 64"));
	r.has_dscp = false;
	r.iif = FIB_RULE_DETACHED;
	assert_int_equal(fib_rule_add(&r, err), -EINVAL);
	assert_non_null(strstr(err, "device name"));
	r.iif = 0;
	r.action = 77;
	assert_int_equal(fib_rule_add(&r, err), -EINVAL);
	/* nothing got in */
	{
		struct ctl_out o;

		out_init(&o, false);
		fib_rules_show(&o, AF_INET);
		assert_string_equal(o.buf, "0:\tfrom all lookup local\n"
					   "32766:\tfrom all lookup main\n"
					   "32767:\tfrom all lookup default\n");
		out_fini(&o);
	}
}

/* Rules name devices: gone -> detached (never match), back -> attached. */
static void test_dev_events(void **state)
{
	struct fib_rule r = rule_lookup(10, 100);
	struct fib_flow fl = flow("10.0.0.1", IPPROTO_UDP, 1, 2, 0);
	struct ctl_out o;

	(void)state;
	r.iif = 7;
	snprintf(r.iif_name, sizeof(r.iif_name), "p7");
	assert_int_equal(radd(&r), 0);
	r = rule_lookup(20, 200);
	r.invert = true;
	r.iif = 7;
	snprintf(r.iif_name, sizeof(r.iif_name), "p7");
	assert_int_equal(radd(&r), 0);
	fl.iif = 7;
	assert_int_equal(decide(&fl, NULL), 100);
	fl.iif = 8;
	assert_int_equal(decide(&fl, NULL), 200);   /* the inverted one */

	fib_rules_dev_removed(7, "p7");
	fl.iif = 7;   /* the index may be reused by another device */
	assert_int_equal(decide(&fl, NULL), 200);    /* detached: no match,
						      * inverted: match (Linux) */
	out_init(&o, false);
	fib_rules_show(&o, AF_INET);
	assert_non_null(strstr(o.buf, "10:\tfrom all iif p7 [detached] lookup 100\n"));
	out_fini(&o);
	fib_rules_dev_added(9, "q9");                 /* another name: no change */
	fl.iif = 9;
	assert_int_equal(decide(&fl, NULL), 200);
	fib_rules_dev_added(9, "p7");                 /* p7 is back as index 9 */
	assert_int_equal(decide(&fl, NULL), 100);
	fl.iif = 7;
	assert_int_equal(decide(&fl, NULL), 200);
	out_init(&o, false);
	fib_rules_show(&o, AF_INET);
	assert_non_null(strstr(o.buf, "10:\tfrom all iif p7 lookup 100\n"));
	assert_null(strstr(o.buf, "detached"));
	out_fini(&o);
	/* a rule added for a device that does not exist yet */
	r = rule_lookup(5, 300);
	r.oif = FIB_RULE_DETACHED;
	snprintf(r.oif_name, sizeof(r.oif_name), "later");
	assert_int_equal(radd(&r), 0);
	fl.oif = 4;
	assert_int_equal(decide(&fl, NULL), 200);
	fib_rules_dev_added(4, "later");
	assert_int_equal(decide(&fl, NULL), 300);
}

/* ---- VRF flows and the l3mdev rule ---- */

#define VRF_TABLE 10u
#define VRF_IFINDEX 50u   /* the VRF device */

/* The VRF table knows 10.10.0.0/16 only; the l3mdev rule is installed. */
static int setup_vrf(void **state)
{
	setup(state);
	table_route(VRF_TABLE, "10.10.0.0", 16);
	assert_int_equal(fib_rules_l3mdev_install(), 0);
	return 0;
}

/* A flow to dst received in the VRF (iif = the VRF device, as
 * vrf_flow_update makes it), or generated in it (oif) when !rx. */
static struct fib_flow vrf_flow(const char *dst, bool rx)
{
	struct fib_flow fl = flow("10.1.0.2", IPPROTO_TCP, 40000, 5201, 0);

	fl.dst = addr(AF_INET, dst);
	fl.l3mdev_table = VRF_TABLE;
	*(rx ? &fl.iif : &fl.oif) = VRF_IFINDEX;
	return fl;
}

static struct fib_rule rule_l3mdev(int family)
{
	struct fib_rule r = rule_lookup(FIB_RULE_PRIO_L3MDEV, 0);

	r.family = (uint8_t)family;
	r.action = FIB_RULE_L3MDEV;
	return r;
}

static char *show(int family, bool json)
{
	struct ctl_out o;
	char *s;

	out_init(&o, json);
	fib_rules_show(&o, family);
	s = strdup(o.buf);
	out_fini(&o);
	assert_non_null(s);
	return s;
}

/* VRF flows: a hit in the VRF table at rule 1000, a miss there is final
 * (main has a default route, never reached); other flows never match the
 * l3mdev rule. The same with rules before it (no fast path). */
static void test_l3mdev_match(void **state)
{
	struct fib_flow in = vrf_flow("10.10.1.1", true);
	struct fib_flow miss = vrf_flow("198.51.100.1", true);
	struct fib_flow out = vrf_flow("10.10.1.1", false);
	struct fib_flow plain = flow("10.1.0.2", IPPROTO_TCP, 1, 2, 0);
	struct fib_rule other = rule_lookup(500, 100);
	uint32_t prio = 0;

	(void)state;
	plain.dst = addr(AF_INET, "10.10.1.1");
	for (int pass = 0; pass < 2; pass++) {
		prio = 0;
		assert_int_equal(decide(&in, &prio), VRF_TABLE);
		assert_int_equal(prio, FIB_RULE_PRIO_L3MDEV);
		assert_int_equal(decide(&out, &prio), VRF_TABLE);
		assert_int_equal(decide(&miss, NULL), -1);
		assert_int_equal(decide(&plain, &prio), FIB_TABLE_MAIN);
		assert_int_equal(prio, FIB_RULE_PRIO_MAIN);
		/* second pass: a rule before the l3mdev one that these flows
		 * do not match */
		other.iif = 99;
		assert_int_equal(radd(&other), pass == 0 ? 0 : -EEXIST);
	}
	/* an l3mdev rule with a selector: other VRF flows go on to main */
	{
		struct fib_rule r = rule_l3mdev(AF_INET);
		struct fib_flow from = vrf_flow("10.10.1.1", true);
		char err[256] = "";

		assert_int_equal(fib_rule_del(&r, err), 0);
		r.src = addr(AF_INET, "10.9.0.0");
		r.src_len = 16;
		assert_int_equal(radd(&r), 0);
		from.src = addr(AF_INET, "10.9.0.7");
		assert_int_equal(decide(&from, &prio), VRF_TABLE);
		assert_int_equal(prio, FIB_RULE_PRIO_L3MDEV);
		assert_int_equal(decide(&in, &prio), FIB_TABLE_MAIN);
		assert_int_equal(prio, FIB_RULE_PRIO_MAIN);
	}
}

/* Local lookup rules are skipped for VRF flows (their local routes are in
 * their table), for the default local rule and for a user one. */
static void test_l3mdev_local_skip(void **state)
{
	struct fib_flow vrf = vrf_flow("10.10.1.1", true);
	struct fib_flow plain = flow("10.1.0.2", IPPROTO_TCP, 1, 2, 0);
	struct fib_rule r = rule_lookup(500, FIB_TABLE_LOCAL);
	uint32_t prio = 0;

	(void)state;
	table_route(FIB_TABLE_LOCAL, "10.10.1.0", 24);
	plain.dst = vrf.dst;
	assert_int_equal(decide(&plain, &prio), FIB_TABLE_LOCAL);
	assert_int_equal(prio, FIB_RULE_PRIO_LOCAL);
	assert_int_equal(decide(&vrf, &prio), VRF_TABLE);
	assert_int_equal(prio, FIB_RULE_PRIO_L3MDEV);
	r.iif = VRF_IFINDEX;
	assert_int_equal(radd(&r), 0);
	assert_int_equal(decide(&vrf, &prio), VRF_TABLE);
	assert_int_equal(prio, FIB_RULE_PRIO_L3MDEV);
	/* without the l3mdev rule the walk reaches main, still not local */
	r = rule_l3mdev(AF_INET);
	{
		char err[256] = "";

		assert_int_equal(fib_rule_del(&r, err), 0);
	}
	assert_int_equal(decide(&vrf, &prio), FIB_TABLE_MAIN);
	assert_int_equal(prio, FIB_RULE_PRIO_MAIN);
}

/* Deleting the l3mdev rule: VRF flows go on to main (Linux); installing
 * again does not bring it back; `rule add pref 1000 l3mdev` does. */
static void test_l3mdev_deleted(void **state)
{
	struct fib_flow vrf = vrf_flow("10.10.1.1", true);
	struct fib_flow miss = vrf_flow("198.51.100.1", false);
	struct fib_rule r = rule_l3mdev(AF_INET);
	char err[256] = "";
	char *txt;
	uint32_t prio = 0;

	(void)state;
	assert_int_equal(fib_rules_l3mdev_install(), 0);   /* only once */
	txt = show(0, false);
	assert_string_equal(txt, "0:\tfrom all lookup local\n"
				 "1000:\tfrom all lookup [l3mdev-table]\n"
				 "32766:\tfrom all lookup main\n"
				 "32767:\tfrom all lookup default\n"
				 "0:\tfrom all lookup local\n"
				 "1000:\tfrom all lookup [l3mdev-table]\n"
				 "32766:\tfrom all lookup main\n"
				 "32767:\tfrom all lookup default\n");
	free(txt);
	r.has_prio = false;   /* `rule del l3mdev` */
	assert_int_equal(fib_rule_del(&r, err), 0);
	assert_int_equal(fib_rule_del(&r, err), -ENOENT);
	assert_int_equal(decide(&vrf, &prio), FIB_TABLE_MAIN);
	assert_int_equal(prio, FIB_RULE_PRIO_MAIN);
	assert_int_equal(decide(&miss, &prio), FIB_TABLE_MAIN);
	assert_int_equal(fib_rules_l3mdev_install(), 0);
	assert_int_equal(decide(&vrf, &prio), FIB_TABLE_MAIN);
	txt = show(AF_INET, false);
	assert_null(strstr(txt, "l3mdev"));
	free(txt);
	r = rule_l3mdev(AF_INET);
	assert_int_equal(radd(&r), 0);
	assert_int_equal(radd(&r), -EEXIST);
	assert_int_equal(decide(&vrf, &prio), VRF_TABLE);
	assert_int_equal(prio, FIB_RULE_PRIO_L3MDEV);
	assert_int_equal(decide(&miss, NULL), -1);
	/* the IPv6 one was never touched */
	txt = show(AF_INET6, false);
	assert_non_null(strstr(txt, "1000:\tfrom all lookup [l3mdev-table]\n"));
	free(txt);
}

/* Rules before the l3mdev one see the VRF device as iif (received) or oif
 * (generated): steering a service to another table, leaking to main. */
static void test_l3mdev_iif_oif(void **state)
{
	struct fib_rule r = rule_lookup(500, 200);
	struct fib_flow in = vrf_flow("10.10.1.1", true);
	struct fib_flow gen = vrf_flow("10.10.1.1", false);
	struct fib_flow leak = vrf_flow("198.51.100.1", true);
	uint32_t prio = 0;

	(void)state;
	r.iif = VRF_IFINDEX;
	r.src = addr(AF_INET, "10.1.0.0");
	r.src_len = 24;
	r.ipproto = IPPROTO_TCP;
	r.dport_lo = r.dport_hi = 5201;
	assert_int_equal(radd(&r), 0);
	assert_int_equal(decide(&in, &prio), 200);
	assert_int_equal(prio, 500);
	assert_int_equal(decide(&gen, &prio), VRF_TABLE);   /* iif 0 */
	in.dport = 80;
	assert_int_equal(decide(&in, &prio), VRF_TABLE);
	assert_int_equal(prio, FIB_RULE_PRIO_L3MDEV);

	r = rule_lookup(600, 300);
	r.oif = VRF_IFINDEX;
	assert_int_equal(radd(&r), 0);
	assert_int_equal(decide(&gen, &prio), 300);
	assert_int_equal(prio, 600);
	assert_int_equal(decide(&in, NULL), VRF_TABLE);

	/* leak to main: only the destinations main has, only for this VRF */
	leak.dport = 53;               /* not the service of rule 500 */
	assert_int_equal(decide(&leak, NULL), -1);
	r = rule_lookup(0, FIB_TABLE_MAIN);
	r.has_prio = false;            /* Linux: one below the first rule
					* after 0, here 500 */
	r.iif = VRF_IFINDEX;
	r.dst = addr(AF_INET, "198.51.100.0");
	r.dst_len = 24;
	assert_int_equal(radd(&r), 0);
	assert_int_equal(decide(&leak, &prio), FIB_TABLE_MAIN);
	assert_int_equal(prio, 499);
	leak.iif = VRF_IFINDEX + 1;    /* another VRF */
	assert_int_equal(decide(&leak, NULL), -1);
}

/* `l3mdev` takes no table; show in text and JSON. */
static void test_l3mdev_show(void **state)
{
	struct fib_rule r = rule_l3mdev(AF_INET);
	char err[256] = "";
	char *txt;

	(void)state;
	r.table = 100;
	r.prio = 1500;
	assert_int_equal(fib_rule_add(&r, err), -EINVAL);
	assert_non_null(strstr(err, "l3mdev rule takes no table"));
	txt = show(AF_INET, false);
	assert_null(strstr(txt, "1500"));
	free(txt);
	r.table = 0;
	r.iif = VRF_IFINDEX;
	snprintf(r.iif_name, sizeof(r.iif_name), "red");
	assert_int_equal(radd(&r), 0);
	txt = show(AF_INET, false);
	assert_non_null(strstr(txt, "1000:\tfrom all lookup [l3mdev-table]\n"
				    "1500:\tfrom all iif red lookup [l3mdev-table]\n"));
	free(txt);
	txt = show(AF_INET, true);
	assert_non_null(strstr(txt, "{\"priority\":1000,\"src\":\"all\",\"l3mdev\":true}"));
	assert_non_null(strstr(txt, "\"priority\":1500"));
	assert_null(strstr(txt, "\"table\":\"10\""));
	free(txt);
}

/* The tables flows in no VRF search, for batched lookups: the default
 * ones, unchanged by the l3mdev rule, none once a rule has a selector. */
static void test_plain_tables(void **state)
{
	uint32_t t[FIB_RULES_PLAIN_MAX];
	struct fib_rule r = rule_lookup(100, 100);
	char err[256] = "";

	(void)state;
	assert_int_equal(fib_rules_plain_tables(AF_INET, t, 8), 3);
	assert_int_equal(t[0], FIB_TABLE_LOCAL);
	assert_int_equal(t[1], FIB_TABLE_MAIN);
	assert_int_equal(t[2], FIB_TABLE_DEFAULT);
	assert_int_equal(fib_rules_plain_tables(AF_INET, t, 2), 0);  /* max */
	assert_int_equal(fib_rules_plain_tables(AF_UNIX, t, 8), 0);
	assert_int_equal(fib_rules_l3mdev_install(), 0);
	assert_int_equal(fib_rules_plain_tables(AF_INET6, t, 8), 3);
	assert_int_equal(radd(&r), 0);
	assert_int_equal(fib_rules_plain_tables(AF_INET, t, 8), 4);
	assert_int_equal(t[1], 100);
	assert_int_equal(t[2], FIB_TABLE_MAIN);
	r = rule_lookup(200, 200);
	r.ipproto = IPPROTO_UDP;
	assert_int_equal(radd(&r), 0);
	assert_int_equal(fib_rules_plain_tables(AF_INET, t, 8), 0);
	assert_int_equal(fib_rule_del(&r, err), 0);
	assert_int_equal(fib_rules_plain_tables(AF_INET, t, 8), 4);
	r = rule_lookup(300, 0);
	r.action = FIB_RULE_BLACKHOLE;
	assert_int_equal(radd(&r), 0);
	assert_int_equal(fib_rules_plain_tables(AF_INET, t, 8), 0);
	assert_int_equal(fib_rules_plain_tables(AF_INET6, t, 8), 3);
}

/* ---- readers while rules change ---- */

struct race {
	bool stop;
	unsigned started;
	unsigned long lookups, bad;
};

static void *race_reader(void *arg)
{
	struct race *rc = arg;
	struct fib_flow fl = flow("10.3.0.1", IPPROTO_UDP, 1, 5050, 0);
	struct fib_result res;

	rcu_register_thread();
	__atomic_add_fetch(&rc->started, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&rc->stop, __ATOMIC_ACQUIRE)) {
		for (int i = 0; i < 64; i++) {
			/* valid: table 100 (rule 100 present) or main */
			bool ok = fib_lookup(&fl, &res) && res.nh &&
				  (res.nh->ifindex == 100 ||
				   res.nh->ifindex == FIB_TABLE_MAIN);

			if (!ok)
				__atomic_fetch_add(&rc->bad, 1, __ATOMIC_RELAXED);
			__atomic_fetch_add(&rc->lookups, 1, __ATOMIC_RELAXED);
		}
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

static void test_concurrent(void **state)
{
	struct race rc = { 0 };
	struct fib_rule g = rule_lookup(50, 0), r = rule_lookup(100, 100);
	pthread_t th;
	char err[256];

	(void)state;
	g.action = FIB_RULE_GOTO;
	g.target = 100;
	g.table = 0;
	r.dport_lo = 5000;
	r.dport_hi = 5099;
	assert_int_equal(pthread_create(&th, NULL, race_reader, &rc), 0);
	while (!__atomic_load_n(&rc.started, __ATOMIC_ACQUIRE))
		;
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(fib_rule_add(&r, err), 0);
		assert_int_equal(fib_rule_add(&g, err), 0);
		assert_int_equal(fib_rule_del(&r, err), 0);
		assert_int_equal(fib_rule_del(&g, err), 0);
	}
	__atomic_store_n(&rc.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	assert_true(rc.lookups > 0);
	if (rc.bad)
		fail_msg("%lu of %lu lookups wrong", rc.bad, rc.lookups);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_l4_selectors),
		T(test_invert_l4),
		T(test_goto),
		T(test_validation),
		T(test_dev_events),
		T(test_concurrent),
#undef T
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_vrf, teardown)
		T(test_l3mdev_match),
		T(test_l3mdev_local_skip),
		T(test_l3mdev_deleted),
		T(test_l3mdev_iif_oif),
		T(test_l3mdev_show),
		T(test_plain_tables),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
