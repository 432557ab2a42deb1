/* Unit tests of the FIB: route add/del/replace/append semantics and errors,
 * route types, IPv4/IPv6 longest prefix match, ECMP, policy rules, a
 * differential test against a naive linear-scan reference, and lookups
 * racing with route changes (RCU). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <urcu-qsbr.h>

#include "core/util.h"
#include "ctl/out.h"
#include "fib/fib.h"
#include "fib/fib_batch.h"
#include "fib/fib_fwd.h"
#include "fib/nexthop.h"
#include "fib/fib_rules.h"

/* ---- helpers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static union pkt_addr addr(int family, const char *s)
{
	union pkt_addr a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(inet_pton(family, s, &a), 1);
	return a;
}

/* A unicast route out of device ifindex (no gateway). */
static struct fib_route dev_route(int family, const char *pfx, unsigned plen,
				  uint32_t metric, uint32_t ifindex)
{
	struct fib_route r;

	memset(&r, 0, sizeof(r));
	r.family = (uint8_t)family;
	r.prefix = addr(family, pfx);
	r.plen = (uint8_t)plen;
	r.type = FIB_UNICAST;
	r.proto = FIB_PROTO_STATIC;
	r.table = FIB_TABLE_MAIN;
	r.metric = metric;
	r.nnh = 1;
	r.nh[0].ifindex = ifindex;
	r.nh[0].weight = 1;
	return r;
}

static struct fib_route type_route(int family, const char *pfx, unsigned plen,
				   uint8_t type)
{
	struct fib_route r = dev_route(family, pfx, plen, 0, 0);

	r.type = type;
	r.nnh = 0;
	r.nh[0].weight = 0;
	return r;
}

static int add(const struct fib_route *r, unsigned flags)
{
	char err[256] = "";

	return fib_route_add(r, flags, err);
}

static int del(const struct fib_route *r)
{
	char err[256] = "";

	return fib_route_del(r, err);
}

/* ifindex of the first nexthop the lookup picks, 0 when no nexthop,
 * -1 when no route. */
static int look(int family, const char *dst)
{
	union pkt_addr a = addr(family, dst);
	struct fib_result res;

	if (!fib_table_lookup(FIB_TABLE_MAIN, family, &a, 0, &res))
		return -1;
	return res.nh ? (int)res.nh->ifindex : 0;
}

static void count_route(const struct fib_route *r, void *arg)
{
	(void)r;
	(*(unsigned *)arg)++;
}

static unsigned count_routes(uint32_t table, int family)
{
	unsigned n = 0;

	fib_walk(table, family, count_route, &n);
	return n;
}

static int setup(void **state)
{
	(void)state;
	return fib_init();
}

static int teardown(void **state)
{
	(void)state;
	fib_fini();
	return 0;
}

/* ---- add / del / replace / append ---- */

static void test_add_excl_and_metrics(void **state)
{
	struct fib_route r = dev_route(AF_INET, "10.0.0.0", 8, 100, 1);
	char err[256] = "";

	(void)state;
	assert_int_equal(fib_route_add(&r, FIB_F_EXCL, err), 0);
	assert_int_equal(fib_route_add(&r, FIB_F_EXCL, err), -EEXIST);
	assert_non_null(strstr(err, "exists"));
	/* Same prefix, another metric: a second route; lowest metric wins. */
	r = dev_route(AF_INET, "10.0.0.0", 8, 50, 2);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	assert_int_equal(look(AF_INET, "10.1.2.3"), 2);
	r = dev_route(AF_INET, "10.0.0.0", 8, 200, 3);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	assert_int_equal(look(AF_INET, "10.1.2.3"), 2);
	assert_int_equal(count_routes(FIB_TABLE_MAIN, AF_INET), 3);
	/* Delete by metric. */
	r = dev_route(AF_INET, "10.0.0.0", 8, 50, 0);
	assert_int_equal(del(&r), 0);
	assert_int_equal(look(AF_INET, "10.1.2.3"), 1);
	assert_int_equal(del(&r), -ENOENT);
	/* Delete without filters takes the first (lowest metric). */
	r = dev_route(AF_INET, "10.0.0.0", 8, 0, 0);
	assert_int_equal(del(&r), 0);
	assert_int_equal(look(AF_INET, "10.1.2.3"), 3);
	assert_int_equal(del(&r), 0);
	assert_int_equal(look(AF_INET, "10.1.2.3"), -1);
	assert_int_equal(del(&r), -ENOENT);
	assert_int_equal(count_routes(0, 0), 0);
}

static void test_replace(void **state)
{
	struct fib_route r = dev_route(AF_INET, "192.168.0.0", 16, 0, 1);

	(void)state;
	/* Replace creates when absent. */
	assert_int_equal(add(&r, FIB_F_REPLACE), 0);
	assert_int_equal(look(AF_INET, "192.168.1.1"), 1);
	r.nh[0].ifindex = 2;
	assert_int_equal(add(&r, FIB_F_REPLACE), 0);
	assert_int_equal(look(AF_INET, "192.168.1.1"), 2);
	assert_int_equal(count_routes(FIB_TABLE_MAIN, AF_INET), 1);
	/* Replacing with an identical route is a no-op. */
	assert_int_equal(add(&r, FIB_F_REPLACE), 0);
	assert_int_equal(count_routes(FIB_TABLE_MAIN, AF_INET), 1);
	/* Another metric is another key: replace creates a second route. */
	r.metric = 10;
	r.nh[0].ifindex = 3;
	assert_int_equal(add(&r, FIB_F_REPLACE), 0);
	assert_int_equal(count_routes(FIB_TABLE_MAIN, AF_INET), 2);
	assert_int_equal(look(AF_INET, "192.168.1.1"), 2);
	/* Replace turns a unicast route into a blackhole. */
	r = type_route(AF_INET, "192.168.0.0", 16, FIB_BLACKHOLE);
	assert_int_equal(add(&r, FIB_F_REPLACE), 0);
	assert_int_equal(look(AF_INET, "192.168.1.1"), 0);
	assert_int_equal(count_routes(FIB_TABLE_MAIN, AF_INET), 2);
}

struct ifindex_list {
	uint32_t ifindex[8];
	unsigned n;
};

static void collect_ifindex(const struct fib_route *r, void *arg)
{
	struct ifindex_list *l = arg;

	if (l->n < 8)
		l->ifindex[l->n++] = r->nnh ? r->nh[0].ifindex : 0;
}

static void test_append_prepend(void **state)
{
	struct fib_route r = dev_route(AF_INET6, "2001:db8::", 32, 0, 1);
	struct ifindex_list l = { .n = 0 };

	(void)state;
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r.nh[0].ifindex = 2;
	assert_int_equal(add(&r, FIB_F_APPEND), 0);
	r.nh[0].ifindex = 3;
	assert_int_equal(add(&r, FIB_F_APPEND), 0);
	/* An identical route cannot be appended or prepended. */
	assert_int_equal(add(&r, FIB_F_APPEND), -EEXIST);
	assert_int_equal(add(&r, 0), -EEXIST);
	assert_int_equal(look(AF_INET6, "2001:db8::1"), 1);
	/* Prepend (no flag) goes in front. */
	r.nh[0].ifindex = 4;
	assert_int_equal(add(&r, 0), 0);
	assert_int_equal(look(AF_INET6, "2001:db8::1"), 4);
	fib_walk(FIB_TABLE_MAIN, AF_INET6, collect_ifindex, &l);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.ifindex[0], 4);
	assert_int_equal(l.ifindex[1], 1);
	assert_int_equal(l.ifindex[2], 2);
	assert_int_equal(l.ifindex[3], 3);
	/* Replace takes the first of the key. */
	r.nh[0].ifindex = 5;
	assert_int_equal(add(&r, FIB_F_REPLACE), 0);
	assert_int_equal(look(AF_INET6, "2001:db8::1"), 5);
	assert_int_equal(count_routes(FIB_TABLE_MAIN, AF_INET6), 4);
	/* Replace by a copy of a later route of the key: duplicate. */
	r.nh[0].ifindex = 2;
	assert_int_equal(add(&r, FIB_F_REPLACE), -EEXIST);
	/* Delete by device picks that one, not the first. */
	r = dev_route(AF_INET6, "2001:db8::", 32, 0, 2);
	assert_int_equal(del(&r), 0);
	assert_int_equal(del(&r), -ENOENT);
	assert_int_equal(look(AF_INET6, "2001:db8::1"), 5);
	r.nh[0].ifindex = 0;
	assert_int_equal(del(&r), 0);
	assert_int_equal(look(AF_INET6, "2001:db8::1"), 1);
}

static void test_del_filters(void **state)
{
	struct fib_route r = dev_route(AF_INET, "10.0.0.0", 24, 0, 1);
	struct fib_route d;

	(void)state;
	r.nh[0].has_gw = true;
	r.nh[0].gw = addr(AF_INET, "10.9.9.1");
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r.nh[0].gw = addr(AF_INET, "10.9.9.2");
	assert_int_equal(add(&r, FIB_F_APPEND), 0);

	d = dev_route(AF_INET, "10.0.0.0", 24, 0, 0);
	d.type = FIB_BLACKHOLE;             /* type mismatch */
	assert_int_equal(del(&d), -ENOENT);
	d.type = 0;
	d.nh[0].ifindex = 7;                /* device mismatch */
	assert_int_equal(del(&d), -ENOENT);
	d.nh[0].ifindex = 0;
	d.nh[0].has_gw = true;
	d.nh[0].gw = addr(AF_INET, "10.9.9.3");
	assert_int_equal(del(&d), -ENOENT);
	d.nh[0].gw = addr(AF_INET, "10.9.9.2");
	assert_int_equal(del(&d), 0);       /* the second one */
	assert_int_equal(count_routes(FIB_TABLE_MAIN, AF_INET), 1);
	d.nh[0].gw = addr(AF_INET, "10.9.9.1");
	d.table = 10;                       /* other table: not there */
	assert_int_equal(del(&d), -ENOENT);
	d.table = 0;                        /* 0 = main */
	assert_int_equal(del(&d), 0);
	assert_int_equal(count_routes(0, 0), 0);
	/* Other prefix lengths are other keys. */
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	d = dev_route(AF_INET, "10.0.0.0", 16, 0, 0);
	assert_int_equal(del(&d), -ENOENT);
}

static void expect_einval(const struct fib_route *r, unsigned flags,
			  const char *msg)
{
	char err[256] = "";

	assert_int_equal(fib_route_add(r, flags, err), -EINVAL);
	if (!strstr(err, msg))
		fail_msg("error '%s' does not mention '%s'", err, msg);
}

static void test_validation(void **state)
{
	struct fib_route r;
	char err[256] = "";

	(void)state;
	r = dev_route(AF_INET, "10.0.0.0", 8, 0, 1);
	r.plen = 33;
	expect_einval(&r, FIB_F_EXCL, "prefix length");
	r = dev_route(AF_INET6, "2001:db8::", 32, 0, 1);
	r.plen = 129;
	expect_einval(&r, FIB_F_EXCL, "prefix length");
	r = dev_route(AF_INET, "10.0.0.1", 8, 0, 1);
	expect_einval(&r, FIB_F_EXCL, "host bits set");
	r = dev_route(AF_INET6, "2001:db8::1", 64, 0, 1);
	expect_einval(&r, FIB_F_EXCL, "host bits set");
	r = dev_route(AF_INET, "0.0.0.1", 0, 0, 1);
	expect_einval(&r, FIB_F_EXCL, "host bits set");
	r = dev_route(AF_INET, "10.0.0.0", 8, 0, 0);
	expect_einval(&r, FIB_F_EXCL, "gateway or a device");
	r = dev_route(AF_INET, "10.0.0.0", 8, 0, 1);
	r.nnh = 0;
	expect_einval(&r, FIB_F_EXCL, "nexthops");
	r.nnh = FIB_NH_MAX + 1;
	expect_einval(&r, FIB_F_EXCL, "nexthops");
	r = dev_route(AF_INET, "10.0.0.0", 8, 0, 1);
	r.nh[0].weight = 0;
	expect_einval(&r, FIB_F_EXCL, "weight");
	r = type_route(AF_INET, "10.0.0.0", 8, FIB_UNREACHABLE);
	r.nnh = 1;
	r.nh[0].has_gw = true;
	r.nh[0].gw = addr(AF_INET, "1.1.1.1");
	expect_einval(&r, FIB_F_EXCL, "no gateway");
	r = dev_route(AF_INET, "10.0.0.0", 8, 0, 1);
	r.type = 0;
	expect_einval(&r, FIB_F_EXCL, "route type");
	r.type = 77;
	expect_einval(&r, FIB_F_EXCL, "route type");
	r = dev_route(AF_INET, "10.0.0.0", 8, 0, 1);
	r.family = 99;
	expect_einval(&r, FIB_F_EXCL, "family");
	r = dev_route(AF_INET, "10.0.0.0", 8, 0, 1);
	expect_einval(&r, 1u << 9, "flags");
	r.type = FIB_LOCAL;
	r.nnh = 2;
	r.nh[1] = r.nh[0];
	expect_einval(&r, FIB_F_EXCL, "multipath");
	/* Nothing of the above got in; deletes validate too. */
	assert_int_equal(count_routes(0, 0), 0);
	r = dev_route(AF_INET, "10.0.0.1", 8, 0, 1);
	assert_int_equal(fib_route_del(&r, err), -EINVAL);
	assert_non_null(strstr(err, "host bits"));
}

static void test_types(void **state)
{
	static const uint8_t types[] = { FIB_BLACKHOLE, FIB_UNREACHABLE,
					 FIB_PROHIBIT };
	static const char *const dst[] = { "10.1.0.1", "10.2.0.1",
					   "10.3.0.1" };
	static const char *const pfx[] = { "10.1.0.0", "10.2.0.0",
					   "10.3.0.0" };
	union pkt_addr a;
	struct fib_result res;
	struct fib_route r;

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		r = type_route(AF_INET, pfx[i], 16, types[i]);
		assert_int_equal(add(&r, FIB_F_EXCL), 0);
	}
	r = dev_route(AF_INET, "10.4.0.1", 32, 0, 3);
	r.type = FIB_LOCAL;
	r.table = FIB_TABLE_LOCAL;
	r.scope = FIB_SCOPE_HOST;
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r = dev_route(AF_INET, "10.4.0.255", 32, 0, 3);
	r.type = FIB_BROADCAST;
	r.table = FIB_TABLE_LOCAL;
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r = dev_route(AF_INET, "10.4.0.0", 24, 0, 3);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);

	for (unsigned i = 0; i < 3; i++) {
		a = addr(AF_INET, dst[i]);
		assert_true(fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &a, 0,
					     &res));
		assert_int_equal(fib_result_route(&res)->type, types[i]);
		assert_null(res.nh);
		assert_int_equal(res.table, FIB_TABLE_MAIN);
	}
	a = addr(AF_INET, "10.4.0.1");
	assert_true(fib_table_lookup(FIB_TABLE_LOCAL, AF_INET, &a, 0, &res));
	assert_int_equal(fib_result_route(&res)->type, FIB_LOCAL);
	assert_int_equal(fib_result_route(&res)->scope, FIB_SCOPE_HOST);
	assert_non_null(res.nh);
	assert_int_equal(res.nh->ifindex, 3);
	assert_int_equal(res.table, FIB_TABLE_LOCAL);
	a = addr(AF_INET, "10.4.0.255");
	assert_true(fib_table_lookup(FIB_TABLE_LOCAL, AF_INET, &a, 0, &res));
	assert_int_equal(fib_result_route(&res)->type, FIB_BROADCAST);
	a = addr(AF_INET, "10.4.0.7");
	assert_false(fib_table_lookup(FIB_TABLE_LOCAL, AF_INET, &a, 0, &res));
	assert_true(fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &a, 0, &res));
	assert_int_equal(fib_result_route(&res)->type, FIB_UNICAST);
	/* A table that does not exist; a bad family. */
	assert_false(fib_table_lookup(4000, AF_INET, &a, 0, &res));
	assert_false(fib_table_lookup(FIB_TABLE_MAIN, 99, &a, 0, &res));

	assert_string_equal(fib_type_name(FIB_UNICAST), "unicast");
	assert_string_equal(fib_type_name(FIB_LOCAL), "local");
	assert_string_equal(fib_type_name(FIB_BROADCAST), "broadcast");
	assert_string_equal(fib_type_name(FIB_BLACKHOLE), "blackhole");
	assert_string_equal(fib_type_name(FIB_UNREACHABLE), "unreachable");
	assert_string_equal(fib_type_name(FIB_PROHIBIT), "prohibit");
	assert_string_equal(fib_type_name(0), "unknown");
	assert_string_equal(fib_type_name(200), "unknown");
}

/* ---- longest prefix match ---- */

static void test_lpm_v4(void **state)
{
	static const struct { const char *p; unsigned len; } pfx[] = {
		{ "0.0.0.0", 0 }, { "10.0.0.0", 8 }, { "10.1.0.0", 16 },
		{ "10.1.2.0", 24 }, { "10.1.2.3", 32 }, { "10.1.2.128", 25 },
		{ "255.255.255.255", 32 }, { "128.0.0.0", 1 },
	};
	struct fib_route r;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(pfx); i++) {
		r = dev_route(AF_INET, pfx[i].p, pfx[i].len, 0, i + 1);
		assert_int_equal(add(&r, FIB_F_EXCL), 0);
	}
	assert_int_equal(look(AF_INET, "11.0.0.1"), 1);
	assert_int_equal(look(AF_INET, "0.0.0.0"), 1);
	assert_int_equal(look(AF_INET, "10.0.0.0"), 2);
	assert_int_equal(look(AF_INET, "10.255.255.255"), 2);
	assert_int_equal(look(AF_INET, "10.1.0.0"), 3);
	assert_int_equal(look(AF_INET, "10.1.3.0"), 3);
	assert_int_equal(look(AF_INET, "10.1.2.0"), 4);
	assert_int_equal(look(AF_INET, "10.1.2.2"), 4);
	assert_int_equal(look(AF_INET, "10.1.2.3"), 5);
	assert_int_equal(look(AF_INET, "10.1.2.4"), 4);
	assert_int_equal(look(AF_INET, "10.1.2.127"), 4);
	assert_int_equal(look(AF_INET, "10.1.2.128"), 6);
	assert_int_equal(look(AF_INET, "10.1.2.255"), 6);
	assert_int_equal(look(AF_INET, "255.255.255.255"), 7);
	assert_int_equal(look(AF_INET, "255.255.255.254"), 8);
	assert_int_equal(look(AF_INET, "128.0.0.0"), 8);
	assert_int_equal(look(AF_INET, "127.255.255.255"), 1);
	/* Take out the middle of the chain and the default. */
	r = dev_route(AF_INET, "10.1.2.0", 24, 0, 0);
	assert_int_equal(del(&r), 0);
	assert_int_equal(look(AF_INET, "10.1.2.2"), 3);
	assert_int_equal(look(AF_INET, "10.1.2.3"), 5);
	assert_int_equal(look(AF_INET, "10.1.2.200"), 6);
	r = dev_route(AF_INET, "0.0.0.0", 0, 0, 0);
	assert_int_equal(del(&r), 0);
	assert_int_equal(look(AF_INET, "11.0.0.1"), -1);
	assert_int_equal(look(AF_INET, "10.0.0.1"), 2);
	/* The other family's table stays empty. */
	assert_int_equal(look(AF_INET6, "::"), -1);
}

static void test_lpm_v6(void **state)
{
	static const struct { const char *p; unsigned len; } pfx[] = {
		{ "::", 0 }, { "2001:db8::", 32 }, { "2001:db8:0:1::", 64 },
		{ "2001:db8:0:1::1", 128 }, { "2001:db8:0:1:8000::", 65 },
		{ "2001:db8:0:1::", 127 }, { "8000::", 1 },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128 },
		{ "2001:db8:0:1:0:0:0:100", 120 },
	};
	struct fib_route r;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(pfx); i++) {
		r = dev_route(AF_INET6, pfx[i].p, pfx[i].len, 0, i + 1);
		assert_int_equal(add(&r, FIB_F_EXCL), 0);
	}
	assert_int_equal(look(AF_INET6, "::1"), 1);
	assert_int_equal(look(AF_INET6, "2001:db8:1::"), 2);
	assert_int_equal(look(AF_INET6, "2001:db8:0:2::1"), 2);
	assert_int_equal(look(AF_INET6, "2001:db8:0:1::2"), 3);
	assert_int_equal(look(AF_INET6, "2001:db8:0:1::1"), 4);
	assert_int_equal(look(AF_INET6, "2001:db8:0:1::"), 6);
	assert_int_equal(look(AF_INET6, "2001:db8:0:1:8000::1"), 5);
	assert_int_equal(look(AF_INET6, "2001:db8:0:1:7fff::1"), 3);
	assert_int_equal(look(AF_INET6, "2001:db8:0:1::1ff"), 9);
	assert_int_equal(look(AF_INET6, "2001:db8:0:1::200"), 3);
	assert_int_equal(look(AF_INET6,
			      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 8);
	assert_int_equal(look(AF_INET6,
			      "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"), 7);
	r = dev_route(AF_INET6, "2001:db8:0:1::", 64, 0, 0);
	assert_int_equal(del(&r), 0);
	assert_int_equal(look(AF_INET6, "2001:db8:0:1::2"), 2);
	assert_int_equal(look(AF_INET6, "2001:db8:0:1::1"), 4);
	assert_int_equal(look(AF_INET6, "2001:db8:0:1:8000::1"), 5);
	assert_int_equal(look(AF_INET, "1.2.3.4"), -1);
}

/* ---- ECMP ---- */

static void test_ecmp(void **state)
{
	struct fib_route r = dev_route(AF_INET, "0.0.0.0", 0, 0, 1);
	union pkt_addr a = addr(AF_INET, "198.51.100.7");
	struct fib_result res, res2;
	unsigned count[3] = { 0, 0, 0 };
	const unsigned n = 100000;
	double share;

	(void)state;
	r.nnh = 2;
	r.nh[0].weight = 2;
	r.nh[1].ifindex = 2;
	r.nh[1].weight = 1;
	r.nh[1].has_gw = true;
	r.nh[1].gw = addr(AF_INET, "192.0.2.1");
	assert_int_equal(add(&r, FIB_F_EXCL), 0);

	for (unsigned i = 0; i < n; i++) {
		uint32_t h = (uint32_t)rnd();

		assert_true(fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &a, h,
					     &res));
		assert_non_null(res.nh);
		assert_true(res.nh->ifindex == 1 || res.nh->ifindex == 2);
		count[res.nh->ifindex]++;
		/* Same hash, same nexthop. */
		assert_true(fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &a, h,
					     &res2));
		assert_ptr_equal(res.nh, res2.nh);
	}
	share = (double)count[1] / n;
	if (share < 0.64 || share > 0.69)
		fail_msg("weight 2 nexthop got %.3f of flows, want ~0.667",
			 share);
	/* The hash space ends map to the first and last nexthop. */
	assert_true(fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &a, 0, &res));
	assert_int_equal(res.nh->ifindex, 1);
	assert_true(fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &a, 0xffffffffu,
				     &res));
	assert_int_equal(res.nh->ifindex, 2);

	/* A flow keeps its nexthop across unrelated changes. */
	assert_true(fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &a, 0x12345678u,
				     &res));
	count[0] = res.nh->ifindex;
	r = dev_route(AF_INET, "203.0.113.0", 24, 0, 9);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	assert_true(fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &a, 0x12345678u,
				     &res));
	assert_int_equal(res.nh->ifindex, count[0]);
}

static void test_ecmp_v6_three_way(void **state)
{
	struct fib_route r = dev_route(AF_INET6, "2001:db8::", 32, 0, 1);
	union pkt_addr a = addr(AF_INET6, "2001:db8::99");
	struct fib_result res;
	unsigned count[4] = { 0, 0, 0, 0 };
	const unsigned n = 60000;

	(void)state;
	r.nnh = 3;
	for (unsigned i = 0; i < 3; i++) {
		r.nh[i].ifindex = i + 1;
		r.nh[i].weight = 1;
	}
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	for (unsigned i = 0; i < n; i++) {
		assert_true(fib_table_lookup(FIB_TABLE_MAIN, AF_INET6, &a,
					     (uint32_t)rnd(), &res));
		count[res.nh->ifindex]++;
	}
	for (unsigned i = 1; i <= 3; i++)
		if (count[i] < n / 3 - n / 30 || count[i] > n / 3 + n / 30)
			fail_msg("nexthop %u got %u of %u flows", i, count[i],
				 n);
}

/* ---- rules ---- */

static bool flow_lookup(int family, const char *src, const char *dst,
			struct fib_result *res)
{
	struct fib_flow fl;

	memset(&fl, 0, sizeof(fl));
	fl.family = (uint8_t)family;
	fl.src = addr(family, src);
	fl.dst = addr(family, dst);
	return fib_lookup(&fl, res);
}

static void test_rules_default_order(void **state)
{
	struct fib_route r;
	struct fib_result res;

	(void)state;
	r = dev_route(AF_INET, "10.0.0.1", 32, 0, 1);
	r.type = FIB_LOCAL;
	r.table = FIB_TABLE_LOCAL;
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r = dev_route(AF_INET, "10.0.0.0", 24, 0, 2);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	/* Host route in main too: local still wins (rule 0 first). */
	r = dev_route(AF_INET, "10.0.0.1", 32, 0, 3);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r = dev_route(AF_INET, "0.0.0.0", 0, 0, 4);
	r.table = FIB_TABLE_DEFAULT;
	assert_int_equal(add(&r, FIB_F_EXCL), 0);

	assert_true(flow_lookup(AF_INET, "1.1.1.1", "10.0.0.1", &res));
	assert_int_equal(fib_result_route(&res)->type, FIB_LOCAL);
	assert_int_equal(res.table, FIB_TABLE_LOCAL);
	assert_true(flow_lookup(AF_INET, "1.1.1.1", "10.0.0.2", &res));
	assert_int_equal(res.table, FIB_TABLE_MAIN);
	assert_int_equal(res.nh->ifindex, 2);
	assert_true(flow_lookup(AF_INET, "1.1.1.1", "8.8.8.8", &res));
	assert_int_equal(res.table, FIB_TABLE_DEFAULT);
	assert_int_equal(res.nh->ifindex, 4);
	/* An unreachable route in main ends the lookup (default not used). */
	r = type_route(AF_INET, "8.8.0.0", 16, FIB_UNREACHABLE);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	assert_true(flow_lookup(AF_INET, "1.1.1.1", "8.8.8.8", &res));
	assert_int_equal(fib_result_route(&res)->type, FIB_UNREACHABLE);
	assert_int_equal(res.table, FIB_TABLE_MAIN);
	/* IPv6 has its own rules and nothing here. */
	assert_false(flow_lookup(AF_INET6, "::1", "2001:db8::1", &res));
	/* Without the default table's route, a miss is a miss. */
	r = dev_route(AF_INET, "0.0.0.0", 0, 0, 0);
	r.table = FIB_TABLE_DEFAULT;
	assert_int_equal(del(&r), 0);
	assert_false(flow_lookup(AF_INET, "1.1.1.1", "9.9.9.9", &res));
}

static void test_rule_actions(void **state)
{
	struct fib_rule rule;
	struct fib_route r;
	struct fib_result res;
	char err[256] = "";

	(void)state;
	r = dev_route(AF_INET6, "::", 0, 0, 1);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r = dev_route(AF_INET6, "::", 0, 0, 5);
	r.table = 100;
	assert_int_equal(add(&r, FIB_F_EXCL), 0);

	memset(&rule, 0, sizeof(rule));
	rule.family = AF_INET6;
	rule.has_prio = true;
	rule.prio = 100;
	rule.action = FIB_RULE_BLACKHOLE;
	rule.src = addr(AF_INET6, "2001:db8:bad::");
	rule.src_len = 48;
	assert_int_equal(fib_rule_add(&rule, err), 0);
	assert_int_equal(fib_rule_add(&rule, err), -EEXIST);
	/* A lookup rule for another source prefix, into table 100. */
	rule.prio = 200;
	rule.action = FIB_RULE_LOOKUP;
	rule.table = 100;
	rule.src = addr(AF_INET6, "2001:db8:100::");
	assert_int_equal(fib_rule_add(&rule, err), 0);

	assert_true(flow_lookup(AF_INET6, "2001:db8:bad::1", "2001:db8::1",
				&res));
	assert_int_equal(fib_result_route(&res)->type, FIB_BLACKHOLE);
	assert_int_equal(fib_result_route(&res)->family, AF_INET6);
	assert_null(res.nh);
	assert_int_equal(res.table, FIB_TABLE_UNSPEC);
	assert_true(flow_lookup(AF_INET6, "2001:db8:100::1", "2001:db8::1",
				&res));
	assert_int_equal(res.table, 100);
	assert_int_equal(res.nh->ifindex, 5);
	assert_true(flow_lookup(AF_INET6, "2001:db8:200::1", "2001:db8::1",
				&res));
	assert_int_equal(res.table, FIB_TABLE_MAIN);
	assert_int_equal(res.nh->ifindex, 1);
	/* IPv4 flows do not see IPv6 rules. */
	r = dev_route(AF_INET, "0.0.0.0", 0, 0, 2);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	assert_true(flow_lookup(AF_INET, "0.0.0.1", "1.1.1.1", &res));
	assert_int_equal(res.nh->ifindex, 2);

	/* Delete the blackhole rule: that source goes to main. */
	memset(&rule, 0, sizeof(rule));
	rule.family = AF_INET6;
	rule.action = FIB_RULE_BLACKHOLE;
	assert_int_equal(fib_rule_del(&rule, err), 0);
	assert_int_equal(fib_rule_del(&rule, err), -ENOENT);
	assert_true(flow_lookup(AF_INET6, "2001:db8:bad::1", "2001:db8::1",
				&res));
	assert_int_equal(res.table, FIB_TABLE_MAIN);
}

struct prio_list {
	uint32_t prio[16];
	uint32_t table[16];
	unsigned n;
};

static void collect_rule(const struct fib_rule *x, void *arg)
{
	struct prio_list *l = arg;

	if (l->n < 16) {
		l->prio[l->n] = x->prio;
		l->table[l->n] = x->table;
		l->n++;
	}
}

static void test_rule_validation(void **state)
{
	struct fib_rule rule;
	struct prio_list l;
	char err[256] = "";

	(void)state;
	memset(&rule, 0, sizeof(rule));
	rule.family = AF_INET;
	rule.action = FIB_RULE_LOOKUP;
	rule.table = 10;
	rule.src = addr(AF_INET, "10.0.0.1");
	rule.src_len = 8;
	assert_int_equal(fib_rule_add(&rule, err), -EINVAL);
	assert_non_null(strstr(err, "host bits"));
	rule.src_len = 33;
	assert_int_equal(fib_rule_add(&rule, err), -EINVAL);
	assert_non_null(strstr(err, "prefix length"));
	rule.src_len = 32;
	rule.action = 9;
	assert_int_equal(fib_rule_add(&rule, err), -EINVAL);
	assert_non_null(strstr(err, "action"));
	rule.action = FIB_RULE_PROHIBIT;
	assert_int_equal(fib_rule_add(&rule, err), -EINVAL);
	assert_non_null(strstr(err, "takes no table"));
	rule.family = 0;
	assert_int_equal(fib_rule_add(&rule, err), -EINVAL);
	assert_non_null(strstr(err, "family"));
	assert_int_equal(fib_rule_del(&rule, err), -EINVAL);
	/* None of that got in. */
	l.n = 0;
	fib_rules_walk(0, collect_rule, &l);
	assert_int_equal(l.n, 6);
	l.n = 0;
	fib_rules_walk(AF_INET6, collect_rule, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.prio[0], FIB_RULE_PRIO_LOCAL);
	assert_int_equal(l.table[0], FIB_TABLE_LOCAL);
	assert_int_equal(l.prio[1], FIB_RULE_PRIO_MAIN);
	assert_int_equal(l.table[1], FIB_TABLE_MAIN);
	assert_int_equal(l.prio[2], FIB_RULE_PRIO_DEFAULT);
	assert_int_equal(l.table[2], FIB_TABLE_DEFAULT);
}

static void test_rule_prio_order_and_show(void **state)
{
	struct fib_rule rule;
	struct prio_list l = { .n = 0 };
	struct ctl_out out;
	char err[256] = "";

	(void)state;
	memset(&rule, 0, sizeof(rule));
	rule.family = AF_INET;
	rule.action = FIB_RULE_LOOKUP;
	rule.table = 10;
	rule.src = addr(AF_INET, "10.0.0.1");
	rule.src_len = 32;
	assert_int_equal(fib_rule_add(&rule, err), 0);     /* auto: 32765 */
	rule.src = addr(AF_INET, "10.0.0.2");
	assert_int_equal(fib_rule_add(&rule, err), 0);     /* auto: 32764 */
	rule.has_prio = true;
	rule.prio = 32766;                                  /* after main */
	rule.table = 0;                                     /* = main */
	rule.src_len = 0;
	memset(&rule.src, 0, sizeof(rule.src));
	rule.iif = 5;
	assert_int_equal(fib_rule_add(&rule, err), 0);
	memset(&rule, 0, sizeof(rule));
	rule.family = AF_INET;
	rule.has_prio = true;
	rule.prio = 50;
	rule.invert = true;
	rule.action = FIB_RULE_UNREACHABLE;
	rule.dst = addr(AF_INET, "192.0.2.0");
	rule.dst_len = 24;
	rule.mark = 1;
	rule.mark_mask = 0xff;
	assert_int_equal(fib_rule_add(&rule, err), 0);

	fib_rules_walk(AF_INET, collect_rule, &l);
	assert_int_equal(l.n, 7);
	assert_int_equal(l.prio[0], 0);
	assert_int_equal(l.prio[1], 50);
	assert_int_equal(l.prio[2], 32764);
	assert_int_equal(l.prio[3], 32765);
	assert_int_equal(l.prio[4], 32766);
	assert_int_equal(l.table[4], FIB_TABLE_MAIN);
	assert_int_equal(l.prio[5], 32766);
	assert_int_equal(l.table[5], FIB_TABLE_MAIN);
	assert_int_equal(l.prio[6], 32767);

	out_init(&out, false);
	fib_rules_show(&out, AF_INET);
	assert_false(out.oom);
	assert_string_equal(out.buf,
		"0:\tfrom all lookup local\n"
		"50:\tnot from all to 192.0.2.0/24 fwmark 0x1/0xff unreachable\n"
		"32764:\tfrom 10.0.0.2 lookup 10\n"
		"32765:\tfrom 10.0.0.1 lookup 10\n"
		"32766:\tfrom all lookup main\n"
		"32766:\tfrom all iif if5 lookup main\n"
		"32767:\tfrom all lookup default\n");
	out_fini(&out);
	out_init(&out, true);
	fib_rules_show(&out, AF_INET6);
	assert_false(out.oom);
	assert_string_equal(out.buf,
		"[{\"priority\":0,\"src\":\"all\",\"table\":\"local\"},"
		"{\"priority\":32766,\"src\":\"all\",\"table\":\"main\"},"
		"{\"priority\":32767,\"src\":\"all\",\"table\":\"default\"}]");
	out_fini(&out);

	/* Delete by priority only; then the main rule: lookups miss main. */
	memset(&rule, 0, sizeof(rule));
	rule.family = AF_INET;
	rule.has_prio = true;
	rule.prio = 32765;
	assert_int_equal(fib_rule_del(&rule, err), 0);
	assert_int_equal(fib_rule_del(&rule, err), -ENOENT);
	assert_non_null(strstr(err, "no such rule"));
}

static void test_rule_selectors(void **state)
{
	struct fib_rule rule;
	struct fib_route r;
	struct fib_result res;
	struct fib_flow fl;
	char err[256] = "";

	(void)state;
	r = dev_route(AF_INET, "0.0.0.0", 0, 0, 1);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r.table = 20;
	r.nh[0].ifindex = 2;
	assert_int_equal(add(&r, FIB_F_EXCL), 0);

	memset(&rule, 0, sizeof(rule));
	rule.family = AF_INET;
	rule.has_prio = true;
	rule.prio = 10;
	rule.action = FIB_RULE_LOOKUP;
	rule.table = 20;
	rule.iif = 7;
	rule.mark = 0x10;
	rule.mark_mask = 0xf0;
	assert_int_equal(fib_rule_add(&rule, err), 0);

	memset(&fl, 0, sizeof(fl));
	fl.family = AF_INET;
	fl.dst = addr(AF_INET, "9.9.9.9");
	fl.iif = 7;
	fl.mark = 0x1f;   /* 0x1f & 0xf0 == 0x10 */
	assert_true(fib_lookup(&fl, &res));
	assert_int_equal(res.table, 20);
	fl.mark = 0x20;
	assert_true(fib_lookup(&fl, &res));
	assert_int_equal(res.table, FIB_TABLE_MAIN);
	fl.mark = 0x10;
	fl.iif = 8;
	assert_true(fib_lookup(&fl, &res));
	assert_int_equal(res.table, FIB_TABLE_MAIN);
	/* Deleting the main rule leaves only local and default. */
	memset(&rule, 0, sizeof(rule));
	rule.family = AF_INET;
	rule.table = FIB_TABLE_MAIN;
	assert_int_equal(fib_rule_del(&rule, err), 0);
	assert_false(fib_lookup(&fl, &res));
	fl.iif = 7;
	assert_true(fib_lookup(&fl, &res));
	assert_int_equal(res.table, 20);
}

/* ---- flush / walk ---- */

static void test_flush_dev(void **state)
{
	struct fib_route r;

	(void)state;
	r = dev_route(AF_INET, "10.0.0.0", 8, 0, 1);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r.nh[0].ifindex = 2;
	assert_int_equal(add(&r, FIB_F_APPEND), 0);
	r = dev_route(AF_INET, "10.1.0.0", 16, 0, 1);
	r.table = 30;
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r = dev_route(AF_INET6, "2001:db8::", 32, 0, 3);
	r.nnh = 2;
	r.nh[1].ifindex = 1;
	r.nh[1].weight = 1;
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r = dev_route(AF_INET6, "2001:db8:1::", 48, 0, 3);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r = type_route(AF_INET, "10.2.0.0", 16, FIB_BLACKHOLE);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	assert_int_equal(count_routes(0, 0), 6);

	fib_flush_dev(1);
	assert_int_equal(count_routes(0, 0), 3);
	assert_int_equal(count_routes(30, 0), 0);
	assert_int_equal(look(AF_INET, "10.9.9.9"), 2);
	assert_int_equal(look(AF_INET6, "2001:db8::1"), -1);
	assert_int_equal(look(AF_INET6, "2001:db8:1::1"), 3);
	fib_flush_dev(3);
	fib_flush_dev(2);
	assert_int_equal(count_routes(0, 0), 1);   /* the blackhole */
	fib_flush_dev(0);
	assert_int_equal(count_routes(0, 0), 1);
}

struct walk_check {
	int family;
	union pkt_addr prev;
	unsigned prev_len;
	unsigned n;
	bool ordered;
};

static int addr_cmp(int family, const union pkt_addr *a,
		    const union pkt_addr *b)
{
	return memcmp(a, b, family == AF_INET ? 4 : 16);
}

static void check_order(const struct fib_route *r, void *arg)
{
	struct walk_check *c = arg;
	int cmp;

	if (c->n > 0) {
		cmp = addr_cmp(c->family, &c->prev, &r->prefix);
		if (cmp > 0 || (cmp == 0 && c->prev_len > r->plen))
			c->ordered = false;
	}
	c->prev = r->prefix;
	c->prev_len = r->plen;
	c->n++;
}

static void test_walk_order_and_tables(void **state)
{
	static const struct { const char *p; unsigned len; } pfx[] = {
		{ "10.1.0.0", 16 }, { "0.0.0.0", 0 }, { "10.0.0.0", 8 },
		{ "192.168.0.0", 16 }, { "10.0.0.0", 16 }, { "9.0.0.0", 8 },
	};
	struct walk_check c = { .family = AF_INET, .ordered = true };
	struct fib_route r;

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(pfx); i++) {
		r = dev_route(AF_INET, pfx[i].p, pfx[i].len, 0, 1);
		assert_int_equal(add(&r, FIB_F_EXCL), 0);
	}
	r = dev_route(AF_INET, "10.0.0.0", 8, 0, 1);
	r.table = 7;
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r.table = 0;     /* 0 means main: already there */
	assert_int_equal(add(&r, FIB_F_EXCL), -EEXIST);
	fib_walk(FIB_TABLE_MAIN, AF_INET, check_order, &c);
	assert_int_equal(c.n, ARRAY_SIZE(pfx));
	assert_true(c.ordered);
	assert_int_equal(count_routes(7, 0), 1);
	assert_int_equal(count_routes(7, AF_INET6), 0);
	assert_int_equal(count_routes(0, AF_INET), ARRAY_SIZE(pfx) + 1);
	assert_int_equal(count_routes(0, 99), 0);
}

/* ---- differential test against a linear scan ---- */

struct ref_route {
	int family;
	union pkt_addr prefix;
	unsigned plen;
	uint32_t metric;
	uint32_t id;
	bool live;
};

struct ref {
	struct ref_route *r;
	size_t n, cap;
	unsigned live;
};

static bool ref_prefix_match(int family, const union pkt_addr *p,
			     unsigned plen, const union pkt_addr *a)
{
	const uint8_t *x = family == AF_INET ? (const uint8_t *)&p->v4 : p->v6;
	const uint8_t *y = family == AF_INET ? (const uint8_t *)&a->v4 : a->v6;
	unsigned i;

	for (i = 0; i + 8 <= plen; i += 8)
		if (x[i / 8] != y[i / 8])
			return false;
	if (i == plen)
		return true;
	return ((x[i / 8] ^ y[i / 8]) & (0xff00u >> (plen - i))) == 0;
}

static void ref_mask(int family, union pkt_addr *a, unsigned plen)
{
	uint8_t *x = family == AF_INET ? (uint8_t *)&a->v4 : a->v6;
	unsigned bytes = family == AF_INET ? 4 : 16;

	for (unsigned i = 0; i < bytes; i++) {
		if (i * 8 >= plen)
			x[i] = 0;
		else if (i * 8 + 8 > plen)
			x[i] &= (uint8_t)(0xff00u >> (plen - i * 8));
	}
}

/* The route a lookup must find: longest prefix, then lowest metric. */
static const struct ref_route *ref_lookup(const struct ref *ref, int family,
					  const union pkt_addr *a)
{
	const struct ref_route *best = NULL;

	for (size_t i = 0; i < ref->n; i++) {
		const struct ref_route *x = &ref->r[i];

		if (!x->live || x->family != family ||
		    !ref_prefix_match(family, &x->prefix, x->plen, a))
			continue;
		if (!best || x->plen > best->plen ||
		    (x->plen == best->plen && x->metric < best->metric))
			best = x;
	}
	return best;
}

static struct ref_route *ref_find(struct ref *ref, int family,
				  const union pkt_addr *p, unsigned plen,
				  bool any_metric, uint32_t metric)
{
	struct ref_route *best = NULL;

	for (size_t i = 0; i < ref->n; i++) {
		struct ref_route *x = &ref->r[i];

		if (!x->live || x->family != family || x->plen != plen ||
		    memcmp(&x->prefix, p, sizeof(*p)) != 0)
			continue;
		if (!any_metric && x->metric != metric)
			continue;
		if (!best || x->metric < best->metric)
			best = x;
	}
	return best;
}

/* A random address in a small space so that prefixes nest and overlap. */
static union pkt_addr rand_addr(int family)
{
	union pkt_addr a;
	uint64_t x = rnd();

	memset(&a, 0, sizeof(a));
	if (family == AF_INET) {
		static const uint8_t first[] = { 10, 172, 192, 8 };

		a.v4 = (uint32_t)rnd();
		((uint8_t *)&a.v4)[0] = first[x & 3];
		if (x & 4)
			((uint8_t *)&a.v4)[1] = (uint8_t)(x >> 8 & 3);
	} else {
		a.v6q[0] = rnd();
		a.v6q[1] = rnd();
		a.v6[0] = 0x20;
		a.v6[1] = 0x01;
		a.v6[2] = 0x0d;
		a.v6[3] = (uint8_t)(0xb8 + (x & 1));
		if (x & 2)
			a.v6[4] = 0;
		if (x & 4)
			a.v6[8] = (uint8_t)(x >> 8 & 1);
	}
	return a;
}

static unsigned rand_plen(int family)
{
	uint64_t x = rnd();

	if (family == AF_INET)
		return x % 8 == 0 ? (unsigned)(x >> 8) % 33
				  : 8 + (unsigned)(x >> 8) % 25;
	return x % 8 == 0 ? (unsigned)(x >> 8) % 129
			  : 24 + (unsigned)(x >> 8) % 105;
}

static void ref_add_random(struct ref *ref, uint32_t id)
{
	int family = rnd() & 1 ? AF_INET : AF_INET6;
	unsigned plen = rand_plen(family);
	union pkt_addr p = rand_addr(family);
	uint32_t metric = (uint32_t)(rnd() % 3) * 10;
	struct fib_route r;
	char err[256] = "";
	int rc, want;

	ref_mask(family, &p, plen);
	memset(&r, 0, sizeof(r));
	r.family = (uint8_t)family;
	r.prefix = p;
	r.plen = (uint8_t)plen;
	r.type = FIB_UNICAST;
	r.table = FIB_TABLE_MAIN;
	r.metric = metric;
	r.nnh = 1;
	r.nh[0].ifindex = id;
	r.nh[0].weight = 1;
	want = ref_find(ref, family, &p, plen, false, metric) ? -EEXIST : 0;
	rc = fib_route_add(&r, FIB_F_EXCL, err);
	if (rc != want)
		fail_msg("add id %u: got %d want %d (%s)", id, rc, want, err);
	if (rc)
		return;
	if (ref->n == ref->cap) {
		ref->cap = ref->cap ? ref->cap * 2 : 1024;
		ref->r = realloc(ref->r, ref->cap * sizeof(*ref->r));
		assert_non_null(ref->r);
	}
	ref->r[ref->n++] = (struct ref_route){ family, p, plen, metric, id,
					       true };
	ref->live++;
}

/* Delete a random live route: by device (exact) or by prefix (first). */
static void ref_del_random(struct ref *ref)
{
	struct ref_route *x = NULL, *want;
	struct fib_route r;
	char err[256] = "";
	int rc;

	for (int tries = 0; tries < 100 && !x; tries++) {
		x = &ref->r[rnd() % ref->n];
		if (!x->live)
			x = NULL;
	}
	if (!x)
		return;
	memset(&r, 0, sizeof(r));
	r.family = (uint8_t)x->family;
	r.prefix = x->prefix;
	r.plen = (uint8_t)x->plen;
	r.table = FIB_TABLE_MAIN;
	want = x;
	if (rnd() & 1) {
		r.nnh = 1;
		r.nh[0].ifindex = x->id;
	} else {
		want = ref_find(ref, x->family, &x->prefix, x->plen, true, 0);
	}
	rc = fib_route_del(&r, err);
	if (rc != 0)
		fail_msg("del id %u: %d (%s)", want->id, rc, err);
	want->live = false;
	ref->live--;
	/* Deleting it again (by device) must fail. */
	r.nnh = 1;
	r.nh[0].ifindex = want->id;
	assert_int_equal(fib_route_del(&r, err), -ENOENT);
}

static void ref_check(const struct ref *ref, unsigned nlookups)
{
	struct fib_result res;
	union pkt_addr a;
	int family;
	bool hit;

	for (unsigned i = 0; i < nlookups; i++) {
		const struct ref_route *want;

		family = rnd() & 1 ? AF_INET : AF_INET6;
		a = rand_addr(family);
		if (rnd() & 1) {
			/* An address inside some route in the table. */
			const struct ref_route *x = &ref->r[rnd() % ref->n];
			union pkt_addr host = a, net = x->prefix;
			uint8_t *h, *n;
			unsigned bytes;

			family = x->family;
			host = rand_addr(family);
			h = family == AF_INET ? (uint8_t *)&host.v4 : host.v6;
			n = family == AF_INET ? (uint8_t *)&net.v4 : net.v6;
			bytes = family == AF_INET ? 4 : 16;
			ref_mask(family, &net, x->plen);
			for (unsigned b = 0; b < bytes; b++) {
				unsigned hb = b * 8 >= x->plen ? 0xff :
					      b * 8 + 8 <= x->plen ? 0 :
					      0xffu >> (x->plen - b * 8);
				n[b] = (uint8_t)(n[b] | (h[b] & hb));
			}
			a = net;
		}
		want = ref_lookup(ref, family, &a);
		hit = fib_table_lookup(FIB_TABLE_MAIN, family, &a, 0, &res);
		if (hit != (want != NULL))
			fail_msg("lookup %u: hit %d, reference %d", i, hit,
				 want != NULL);
		if (want && res.nh->ifindex != want->id)
			fail_msg("lookup %u: route id %u (/%u), reference %u "
				 "(/%u)", i, res.nh->ifindex, fib_result_route(&res)->plen,
				 want->id, want->plen);
	}
}

static void test_differential(void **state)
{
	struct ref ref = { 0 };
	struct walk_check c4 = { .family = AF_INET, .ordered = true };
	struct walk_check c6 = { .family = AF_INET6, .ordered = true };
	uint32_t id = 1;

	(void)state;
	rng_state = 42;
	for (unsigned i = 0; i < 4000; i++)
		ref_add_random(&ref, id++);
	assert_true(ref.live > 3000);
	assert_int_equal(count_routes(FIB_TABLE_MAIN, 0), ref.live);
	ref_check(&ref, 25000);
	for (unsigned round = 0; round < 3; round++) {
		for (unsigned i = 0; i < 3000; i++) {
			if (rnd() % 10 < 6)
				ref_del_random(&ref);
			else
				ref_add_random(&ref, id++);
		}
		assert_int_equal(count_routes(FIB_TABLE_MAIN, 0), ref.live);
		ref_check(&ref, 25000);
	}
	fib_walk(FIB_TABLE_MAIN, AF_INET, check_order, &c4);
	fib_walk(FIB_TABLE_MAIN, AF_INET6, check_order, &c6);
	assert_true(c4.ordered);
	assert_true(c6.ordered);
	assert_int_equal(c4.n + c6.n, ref.live);
	/* Empty it completely: the trie must be empty again. */
	for (size_t i = 0; i < ref.n; i++) {
		struct fib_route r;

		if (!ref.r[i].live)
			continue;
		memset(&r, 0, sizeof(r));
		r.family = (uint8_t)ref.r[i].family;
		r.prefix = ref.r[i].prefix;
		r.plen = (uint8_t)ref.r[i].plen;
		r.nnh = 1;
		r.nh[0].ifindex = ref.r[i].id;
		assert_int_equal(del(&r), 0);
	}
	assert_int_equal(count_routes(0, 0), 0);
	free(ref.r);
}

/* ---- lookups racing with changes ---- */

struct race {
	volatile bool stop;
	unsigned long lookups;
	unsigned long bad;
	char why[160];
};

/* 10.1.0.0/16 (dev 1) and 10.1.2.128/25 (dev 3) are always there;
 * 10.1.2.0/24 comes and goes (dev 2, replaced by dev 4), covering the /25,
 * and 10.1.2.64/26 (dev 5) comes and goes beside the /25, so changes
 * insert covering nodes, split and merge branch nodes on the readers'
 * paths. Each address has a known set of valid answers; the /25 one has
 * exactly one, which a half-built node would break. */
static const struct {
	const char *dst;
	uint32_t ok[4];      /* valid nexthop devices, 0-terminated */
} race_dsts[] = {
	{ "10.1.2.200", { 3 } },
	{ "10.1.2.5", { 1, 2, 4 } },
	{ "10.1.2.70", { 1, 2, 4, 5 } },
	{ "10.1.3.1", { 1 } },
};

static bool race_valid(unsigned i, const struct fib_result *res)
{
	static const uint8_t plen_of[] = { 0, 16, 24, 25, 24, 26 };
	uint32_t ifx;

	if (!res->nh || res->nh->ifindex >= ARRAY_SIZE(plen_of))
		return false;
	ifx = res->nh->ifindex;
	if (fib_result_route(res)->plen != plen_of[ifx])
		return false;
	for (unsigned k = 0; k < 4 && race_dsts[i].ok[k]; k++)
		if (race_dsts[i].ok[k] == ifx)
			return true;
	return false;
}

static void *race_reader(void *arg)
{
	struct race *rc = arg;
	union pkt_addr a[ARRAY_SIZE(race_dsts)];
	struct fib_result res;

	for (unsigned i = 0; i < ARRAY_SIZE(race_dsts); i++)
		inet_pton(AF_INET, race_dsts[i].dst, &a[i]);
	rcu_register_thread();
	while (!__atomic_load_n(&rc->stop, __ATOMIC_ACQUIRE)) {
		for (unsigned i = 0; i < ARRAY_SIZE(race_dsts); i++) {
			bool ok = fib_table_lookup(FIB_TABLE_MAIN, AF_INET,
						   &a[i], i, &res) &&
				  race_valid(i, &res);

			if (!ok && rc->bad++ == 0)
				snprintf(rc->why, sizeof(rc->why),
					 "dst %s got a wrong answer",
					 race_dsts[i].dst);
			rc->lookups++;
		}
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

static void test_concurrent_lookups(void **state)
{
	struct race rc = { .stop = false };
	struct fib_route base = dev_route(AF_INET, "10.1.0.0", 16, 0, 1);
	struct fib_route r25 = dev_route(AF_INET, "10.1.2.128", 25, 0, 3);
	struct fib_route r24 = dev_route(AF_INET, "10.1.2.0", 24, 0, 2);
	struct fib_route r26 = dev_route(AF_INET, "10.1.2.64", 26, 0, 5);
	struct fib_route far = dev_route(AF_INET, "10.9.0.0", 16, 0, 6);
	struct fib_route r;
	pthread_t th;

	(void)state;
	assert_int_equal(add(&base, FIB_F_EXCL), 0);
	assert_int_equal(add(&r25, FIB_F_EXCL), 0);
	assert_int_equal(pthread_create(&th, NULL, race_reader, &rc), 0);
	for (unsigned i = 0; i < 3000; i++) {
		bool side_first = i & 1;

		/* A change that needs no grace period first, so the reader is
		 * back in its loop (not waking us) when the next one lands. */
		assert_int_equal(add(&far, FIB_F_EXCL), 0);
		if (side_first)
			assert_int_equal(add(&r26, FIB_F_EXCL), 0);
		assert_int_equal(add(&r24, FIB_F_EXCL), 0);
		if (!side_first)
			assert_int_equal(add(&r26, FIB_F_EXCL), 0);
		r = r24;
		r.nh[0].ifindex = 4;
		assert_int_equal(add(&r, FIB_F_REPLACE), 0);
		if (i % 3 == 0)
			assert_int_equal(del(&r26), 0);
		r.nh[0].ifindex = 0;
		assert_int_equal(del(&r), 0);
		if (i % 3 != 0)
			assert_int_equal(del(&r26), 0);
		assert_int_equal(del(&far), 0);
	}
	__atomic_store_n(&rc.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	if (rc.bad)
		fail_msg("%lu of %lu lookups wrong: %s", rc.bad, rc.lookups,
			 rc.why);
	assert_true(rc.lookups > 0);
	assert_int_equal(count_routes(0, 0), 2);
}

/* ---- forwarding objects (fib_fwd.h) ---- */

/* Routes with the same forwarding share one object; objects go with their
 * last route (freed after a grace period: ASan would see a late use). */
static void test_fwd_shared(void **state)
{
	struct fib_route r;
	struct fib_result a, b;
	union pkt_addr d1 = addr(AF_INET, "10.1.0.1"), d2 = addr(AF_INET, "10.2.0.1");
	char pfx[32];
	size_t base;

	(void)state;
	base = fib_fwd_count();
	for (unsigned i = 0; i < 200; i++) {
		snprintf(pfx, sizeof(pfx), "10.%u.0.0", i);
		r = dev_route(AF_INET, pfx, 16, 0, 1 + i % 3);
		assert_int_equal(add(&r, FIB_F_EXCL), 0);
	}
	assert_int_equal(fib_fwd_count(), base + 3);
	/* Same device, same object; the route records differ. */
	assert_true(fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &d1, 0, &a));
	d2 = addr(AF_INET, "10.4.0.1");
	assert_true(fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &d2, 0, &b));
	assert_ptr_equal(a.fwd, b.fwd);
	assert_ptr_not_equal(fib_result_route(&a), fib_result_route(&b));
	assert_ptr_equal(a.nh, b.nh);
	assert_int_equal(a.nh->ifindex, 2);
	/* A different MTU is a different object; replacing drops it again. */
	r = dev_route(AF_INET, "10.1.0.0", 16, 0, 2);
	r.mtu = 1400;
	assert_int_equal(add(&r, FIB_F_REPLACE), 0);
	assert_int_equal(fib_fwd_count(), base + 4);
	assert_true(fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &d1, 0, &a));
	assert_int_equal(a.fwd->mtu, 1400);
	assert_ptr_not_equal(a.fwd, b.fwd);
	r.mtu = 0;
	assert_int_equal(add(&r, FIB_F_REPLACE), 0);
	assert_int_equal(fib_fwd_count(), base + 3);
	/* Objects go with their last route, batches included. */
	assert_int_equal(fib_batch_begin(NULL), 0);
	for (unsigned i = 0; i < 200; i += 3) {
		snprintf(pfx, sizeof(pfx), "10.%u.0.0", i);
		r = dev_route(AF_INET, pfx, 16, 0, 0);
		r.nnh = 0;
		assert_int_equal(del(&r), 0);
	}
	fib_batch_abort();   /* everything back */
	assert_int_equal(fib_fwd_count(), base + 3);
	for (unsigned i = 0; i < 200; i += 3) {
		snprintf(pfx, sizeof(pfx), "10.%u.0.0", i);
		r = dev_route(AF_INET, pfx, 16, 0, 0);
		r.nnh = 0;
		assert_int_equal(del(&r), 0);
	}
	assert_int_equal(fib_fwd_count(), base + 2);   /* device 1's is gone */
	fib_flush_dev(2);
	assert_int_equal(fib_fwd_count(), base + 1);
	assert_false(fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &d1, 0, &a));
	/* A rule verdict gets the static object of its type. */
	r = type_route(AF_INET, "10.1.0.0", 16, FIB_PROHIBIT);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	assert_true(flow_lookup(AF_INET, "1.1.1.1", "10.1.0.1", &a));
	assert_int_equal(a.fwd->type, FIB_PROHIBIT);
	assert_null(a.nh);
}

/* ---- batched policy lookups (fib_lookup_vec) ---- */

/* Fill v with n flows toward random destinations (some inside prefix
 * pfx/plen), in VRF table vrf (0 = none), and check every answer against
 * fib_lookup; returns whether the batched path was taken. */
static bool vec_check_vrf(int family, const char *pfx, unsigned plen,
			  unsigned n, uint32_t vrf)
{
	static struct fib_vec v;
	union pkt_addr base = addr(family, pfx);
	struct fib_result res;
	bool batched;

	memset(&v, 0, sizeof(v));
	v.family = family;
	v.l3mdev_table = vrf;
	v.n = n;
	for (unsigned i = 0; i < n; i++) {
		struct fib_flow *fl = &v.fl[i];
		union pkt_addr a;

		fl->family = (uint8_t)family;
		fl->l3mdev_table = vrf;
		a = rand_addr(family);
		if (i % 2)   /* half inside pfx: host bits random */
			for (unsigned b = 0; b < plen; b++) {
				uint8_t *x = (uint8_t *)&a, *y = (uint8_t *)&base;
				uint8_t m = (uint8_t)(0x80u >> (b % 8));

				x[b / 8] = (uint8_t)((x[b / 8] & ~m) | (y[b / 8] & m));
			}
		if (i % 7 == 3)   /* the local address itself */
			a = addr(family, family == AF_INET ? "10.9.0.1"
							   : "2001:db8:9::1");
		fl->dst = a;
		fl->hash = (uint32_t)rnd();
	}
	batched = fib_lookup_vec(&v);
	for (unsigned i = 0; i < n; i++) {
		memset(&res, 0, sizeof(res));
		assert_int_equal(v.found[i], fib_lookup(&v.fl[i], &res));
		if (!v.found[i])
			continue;
		assert_ptr_equal(fib_result_route(&v.res[i]), fib_result_route(&res));
		assert_ptr_equal(v.res[i].nh, res.nh);
		assert_int_equal(v.res[i].table, res.table);
	}
	return batched;
}

static bool vec_check(int family, const char *pfx, unsigned plen, unsigned n)
{
	return vec_check_vrf(family, pfx, plen, n, 0);
}

/* Routes in local, main (ECMP, unreachable) and default for family. */
static void vec_routes(int family)
{
	bool v4 = family == AF_INET;
	struct fib_route r;

	r = dev_route(family, v4 ? "10.9.0.1" : "2001:db8:9::1", v4 ? 32 : 128,
		      0, 1);
	r.type = FIB_LOCAL;
	r.table = FIB_TABLE_LOCAL;
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r = dev_route(family, v4 ? "10.0.0.0" : "2001:db8::", v4 ? 8 : 32, 0, 2);
	r.nnh = 3;
	for (unsigned i = 0; i < 3; i++)
		r.nh[i] = (struct fib_nh){ .ifindex = 2 + i, .weight = 1 + i };
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r = type_route(family, v4 ? "10.66.0.0" : "2001:db8:66::", v4 ? 16 : 48,
		       FIB_UNREACHABLE);
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	for (unsigned i = 0; i < 300; i++) {
		r = dev_route(family, v4 ? "0.0.0.0" : "::", 0, 0, 10 + i % 5);
		r.prefix = rand_addr(family);
		r.plen = (uint8_t)rand_plen(family);
		fib_prefix_mask(family, &r.prefix, r.plen);
		(void)add(&r, FIB_F_EXCL);   /* a duplicate prefix may exist */
	}
	r = dev_route(family, v4 ? "0.0.0.0" : "::", 0, 0, 7);
	r.table = FIB_TABLE_DEFAULT;
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
}

/* VRF table 10 for family: a part of the main routes' space, a host. */
static void vec_vrf_routes(int family)
{
	bool v4 = family == AF_INET;
	struct fib_route r;

	r = dev_route(family, v4 ? "10.0.0.0" : "2001:db8::", v4 ? 9 : 33, 0, 3);
	r.table = 10;
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
	r = dev_route(family, v4 ? "10.200.0.7" : "2001:db8:8000::7",
		      v4 ? 32 : 128, 0, 4);
	r.table = 10;
	assert_int_equal(add(&r, FIB_F_EXCL), 0);
}

static void test_lookup_vec(void **state)
{
	static const int fams[] = { AF_INET, AF_INET6 };
	struct fib_rule rule;
	char err[256];

	(void)state;
	for (unsigned f = 0; f < 2; f++) {
		int family = fams[f];
		const char *pfx = family == AF_INET ? "10.0.0.0" : "2001:db8::";
		unsigned plen = family == AF_INET ? 8 : 32;

		/* No route at all: every flow misses, batched. */
		assert_true(vec_check(family, pfx, plen, FIB_VEC_MAX));
		vec_routes(family);
		/* Default rules: the batched path, fib_lookup's answers. */
		for (unsigned k = 1; k <= FIB_VEC_MAX; k += 21)
			assert_true(vec_check(family, pfx, plen, k));
		assert_true(vec_check(family, pfx, plen, 0));
		/* A rule with a selector: one lookup per flow, same answers. */
		memset(&rule, 0, sizeof(rule));
		rule.family = (uint8_t)family;
		rule.has_prio = true;
		rule.prio = 100;
		rule.action = FIB_RULE_PROHIBIT;
		rule.dst = addr(family, pfx);
		rule.dst_len = (uint8_t)plen;
		assert_int_equal(fib_rule_add(&rule, err), 0);
		assert_false(vec_check(family, pfx, plen, FIB_VEC_MAX));
		assert_int_equal(fib_rule_del(&rule, err), 0);
		/* A selector-less lookup of another table is still plain. */
		memset(&rule, 0, sizeof(rule));
		rule.family = (uint8_t)family;
		rule.has_prio = true;
		rule.prio = 200;
		rule.action = FIB_RULE_LOOKUP;
		rule.table = 1000;
		assert_int_equal(fib_rule_add(&rule, err), 0);
		assert_true(vec_check(family, pfx, plen, FIB_VEC_MAX));
		assert_int_equal(fib_rule_del(&rule, err), 0);
		assert_true(vec_check(family, pfx, plen, FIB_VEC_MAX));
	}
	/* VRF flows without the l3mdev rule walk the rules one by one. */
	for (unsigned f = 0; f < 2; f++)
		vec_vrf_routes(fams[f]);
	assert_false(vec_check_vrf(AF_INET, "10.0.0.0", 8, FIB_VEC_MAX, 10));
	/* The l3mdev rule (a VRF exists) is not met by flows in no VRF. */
	assert_int_equal(fib_rules_l3mdev_install(), 0);
	assert_true(vec_check(AF_INET, "10.0.0.0", 8, FIB_VEC_MAX));
	assert_true(vec_check(AF_INET6, "2001:db8::", 32, FIB_VEC_MAX));
	/* VRF flows: batched in the VRF's table alone, misses final. */
	for (unsigned f = 0; f < 2; f++) {
		int family = fams[f];
		const char *pfx = family == AF_INET ? "10.0.0.0" : "2001:db8::";
		unsigned plen = family == AF_INET ? 8 : 32;

		assert_true(vec_check_vrf(family, pfx, plen, FIB_VEC_MAX, 10));
		assert_true(vec_check_vrf(family, pfx, plen, 5, 77)); /* no such table */
		/* a rule before the l3mdev rule: one walk per flow */
		memset(&rule, 0, sizeof(rule));
		rule.family = (uint8_t)family;
		rule.has_prio = true;
		rule.prio = 500;
		rule.action = FIB_RULE_LOOKUP;
		rule.table = FIB_TABLE_MAIN;
		rule.dst = addr(family, pfx);
		rule.dst_len = (uint8_t)plen;
		assert_int_equal(fib_rule_add(&rule, err), 0);
		assert_false(vec_check_vrf(family, pfx, plen, FIB_VEC_MAX, 10));
		assert_int_equal(fib_rule_del(&rule, err), 0);
		assert_true(vec_check_vrf(family, pfx, plen, FIB_VEC_MAX, 10));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_add_excl_and_metrics),
		T(test_lookup_vec),
		T(test_fwd_shared),
		T(test_replace),
		T(test_append_prepend),
		T(test_del_filters),
		T(test_validation),
		T(test_types),
		T(test_lpm_v4),
		T(test_lpm_v6),
		T(test_ecmp),
		T(test_ecmp_v6_three_way),
		T(test_rules_default_order),
		T(test_rule_actions),
		T(test_rule_validation),
		T(test_rule_prio_order_and_show),
		T(test_rule_selectors),
		T(test_flush_dev),
		T(test_walk_order_and_tables),
		T(test_differential),
		T(test_concurrent_lookups),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
