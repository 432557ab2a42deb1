/* Unit tests of nexthop objects and groups (src/fib/nexthop.c) and their
 * FIB glue (fib.c): routes follow a replaced object at once, deletion
 * semantics as Linux, blackhole objects, weights and flow stickiness,
 * nexthops on a device that is down, family checks, route batches (one
 * grace period, full undo) and lookups racing with object replaces. */
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
#include "dev/dev.h"
#include "fib/fib.h"
#include "fib/nexthop.h"

#define NDEV 4

static const struct dev_ops test_ops = { .kind = "test" };
static struct dev *devs[NDEV];   /* t0..t3, ifindex in devs[i]->ifindex */

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint32_t rnd32(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)(z ^ (z >> 31));
}

static union pkt_addr addr(int family, const char *s)
{
	union pkt_addr a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(inet_pton(family, s, &a), 1);
	return a;
}

static uint32_t ifx(unsigned i)
{
	return devs[i]->ifindex;
}

static int setup(void **state)
{
	char name[8], err[256];

	(void)state;
	assert_int_equal(fib_init(), 0);
	for (unsigned i = 0; i < NDEV; i++) {
		snprintf(name, sizeof(name), "t%u", i);
		devs[i] = dev_alloc(name, &test_ops, 0);
		assert_non_null(devs[i]);
		assert_int_equal(dev_register(devs[i]), 0);
		assert_int_equal(dev_set_up(devs[i], true, err), 0);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fib_fini();
	for (unsigned i = 0; i < NDEV; i++)
		dev_unregister(devs[i]);
	return 0;
}

/* nexthop add/replace of a single nexthop: gateway 10.0.<dev>.<host>. */
static int nh_single(uint32_t id, unsigned dev, unsigned host, bool replace)
{
	struct fib_nhobj_req *q = calloc(1, sizeof(*q));
	char gw[32], err[256] = "";
	int rc;

	q->id = id;
	q->kind = FIB_NHO_SINGLE;
	q->family = AF_INET;
	q->nh.has_gw = true;
	snprintf(gw, sizeof(gw), "10.0.%u.%u", dev, host);
	q->nh.gw = addr(AF_INET, gw);
	q->nh.ifindex = ifx(dev);
	rc = fib_nhobj_add(q, replace, err);
	free(q);
	return rc;
}

static int nh_blackhole(uint32_t id, bool replace)
{
	struct fib_nhobj_req *q = calloc(1, sizeof(*q));
	char err[256] = "";
	int rc;

	q->id = id;
	q->kind = FIB_NHO_BLACKHOLE;
	rc = fib_nhobj_add(q, replace, err);
	free(q);
	return rc;
}

/* Group of n members ids[i] with weights w[i]; err copied out. */
static int nh_group(uint32_t id, unsigned n, const uint32_t *ids,
		    const uint32_t *w, bool replace, char *err)
{
	struct fib_nhobj_req *q = calloc(1, sizeof(*q));
	char e[256] = "";
	int rc;

	q->id = id;
	q->kind = FIB_NHO_GROUP;
	q->ngrp = (uint16_t)n;
	for (unsigned i = 0; i < n; i++) {
		q->grp[i].id = ids[i];
		q->grp[i].weight = w ? w[i] : 1;
	}
	rc = fib_nhobj_add(q, replace, e);
	if (err)
		strcpy(err, e);
	free(q);
	return rc;
}

static struct fib_route route(const char *pfx, unsigned plen)
{
	struct fib_route r;

	memset(&r, 0, sizeof(r));
	r.family = AF_INET;
	r.prefix = addr(AF_INET, pfx);
	r.plen = (uint8_t)plen;
	r.type = FIB_UNICAST;
	r.proto = FIB_PROTO_STATIC;
	r.table = FIB_TABLE_MAIN;
	return r;
}

static int route_nh(const char *pfx, unsigned plen, uint32_t nhid)
{
	struct fib_route r = route(pfx, plen);
	char err[256] = "";

	return fib_route_add_nh(&r, nhid, FIB_F_EXCL, err);
}

static bool look(const char *dst, uint32_t hash, struct fib_result *res)
{
	union pkt_addr a = addr(AF_INET, dst);

	return fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &a, hash, res);
}

/* Host byte of the gateway of the nexthop picked for dst/hash; -1: no
 * route, 0: no nexthop. */
static int gw_host(const char *dst, uint32_t hash)
{
	struct fib_result res;

	if (!look(dst, hash, &res))
		return -1;
	if (!res.nh)
		return 0;
	return (int)(ntohl(res.nh->gw.v4) & 0xff);
}

static void count_route(const struct fib_route *r, void *arg)
{
	(void)r;
	(*(unsigned *)arg)++;
}

static unsigned nroutes(void)
{
	unsigned n = 0;

	fib_walk(0, 0, count_route, &n);
	return n;
}

/* ---- tests ---- */

static void test_replace_updates_routes(void **state)
{
	const uint32_t ids[] = { 1, 2 };
	struct fib_result res;

	(void)state;
	assert_int_equal(nh_single(1, 0, 1, false), 0);
	assert_int_equal(nh_single(2, 1, 2, false), 0);
	assert_int_equal(nh_group(10, 2, ids, NULL, false, NULL), 0);
	assert_int_equal(route_nh("10.8.0.0", 16, 1), 0);
	assert_int_equal(route_nh("10.9.0.0", 16, 10), 0);
	assert_int_equal(route_nh("10.10.0.0", 16, 1), 0);
	assert_int_equal(gw_host("10.8.1.1", 0), 1);
	assert_int_equal(gw_host("10.10.1.1", 0), 1);
	assert_int_equal(gw_host("10.9.1.1", 0), 1);            /* low hash: member 1 */
	assert_int_equal(gw_host("10.9.1.1", 0xffffffffu), 2);  /* high: member 2 */

	/* One replace moves every route on object 1, and group 10's slice. */
	assert_int_equal(nh_single(1, 2, 7, true), 0);
	assert_int_equal(gw_host("10.8.1.1", 0), 7);
	assert_int_equal(gw_host("10.10.1.1", 0), 7);
	assert_int_equal(gw_host("10.9.1.1", 0), 7);
	assert_int_equal(gw_host("10.9.1.1", 0xffffffffu), 2);
	assert_true(look("10.8.1.1", 0, &res));
	assert_int_equal(res.nh->ifindex, ifx(2));
	assert_int_equal(fib_nhobj_id(fib_route_nhobj(fib_result_route(&res))), 1);
	assert_int_equal(fib_result_route(&res)->type, FIB_UNICAST);
	assert_int_equal(nroutes(), 3);
	/* Replacing with the same content is fine too. */
	assert_int_equal(nh_single(1, 2, 7, true), 0);
	assert_int_equal(gw_host("10.8.1.1", 0), 7);
}

static void test_blackhole_object(void **state)
{
	const uint32_t one[] = { 3 };
	struct fib_result res;

	(void)state;
	assert_int_equal(nh_blackhole(3, false), 0);
	assert_int_equal(route_nh("10.7.0.0", 16, 3), 0);
	assert_true(look("10.7.0.1", 5, &res));
	assert_int_equal(fib_result_route(&res)->type, FIB_BLACKHOLE);
	assert_null(res.nh);
	assert_int_equal(res.table, FIB_TABLE_MAIN);
	assert_null(fib_route_nhobj(fib_result_route(&res)));   /* a static result */
	/* The object becomes a real nexthop: the route forwards again. */
	assert_int_equal(nh_single(3, 1, 9, true), 0);
	assert_true(look("10.7.0.1", 5, &res));
	assert_int_equal(fib_result_route(&res)->type, FIB_UNICAST);
	assert_int_equal(gw_host("10.7.0.1", 5), 9);
	/* A group holding only a blackhole is a blackhole. */
	assert_int_equal(nh_blackhole(4, false), 0);
	assert_int_equal(nh_group(20, 1, (const uint32_t[]){ 4 }, NULL, false,
				  NULL), 0);
	assert_int_equal(route_nh("10.6.0.0", 16, 20), 0);
	assert_true(look("10.6.0.1", 1, &res));
	assert_int_equal(fib_result_route(&res)->type, FIB_BLACKHOLE);
	/* The blackhole member itself becoming a nexthop: the group follows. */
	assert_int_equal(nh_single(4, 2, 11, true), 0);
	assert_true(look("10.6.0.1", 1, &res));
	assert_int_equal(fib_result_route(&res)->type, FIB_UNICAST);
	assert_int_equal(gw_host("10.6.0.1", 1), 11);
	assert_int_equal(nh_blackhole(4, true), 0);
	assert_true(look("10.6.0.1", 1, &res));
	assert_int_equal(fib_result_route(&res)->type, FIB_BLACKHOLE);
	assert_int_equal(nh_group(20, 1, one, NULL, true, NULL), 0);
	assert_true(look("10.6.0.1", 1, &res));
	assert_int_equal(fib_result_route(&res)->type, FIB_UNICAST);
	assert_int_equal(gw_host("10.6.0.1", 1), 9);
}

/* Weights split the hash space; one hash keeps one nexthop. */
static void test_group_weights(void **state)
{
	const uint32_t ids[] = { 1, 2, 3 }, w[] = { 1, 2, 5 };
	unsigned count[16] = { 0 };
	const unsigned n = 200000;
	const int want[3] = { 1, 2, 3 };

	(void)state;
	assert_int_equal(nh_single(1, 0, 1, false), 0);
	assert_int_equal(nh_single(2, 1, 2, false), 0);
	assert_int_equal(nh_single(3, 2, 3, false), 0);
	assert_int_equal(nh_group(10, 3, ids, w, false, NULL), 0);
	assert_int_equal(route_nh("0.0.0.0", 0, 10), 0);
	for (unsigned i = 0; i < n; i++) {
		uint32_t h = rnd32();
		int g = gw_host("198.51.100.1", h);

		assert_true(g >= 1 && g <= 3);
		assert_int_equal(gw_host("198.51.100.1", h), g);
		count[g]++;
	}
	for (unsigned i = 0; i < 3; i++) {
		double share = (double)count[want[i]] / n, exp = w[i] / 8.0;

		if (share < exp - 0.01 || share > exp + 0.01)
			fail_msg("member %u (weight %u) got %.3f of the flows, "
				 "want %.3f", ids[i], w[i], share, exp);
	}
}

/* A nexthop whose device is down leaves the choice; only its flows move,
 * spread by weight over the others, and come back with the device. */
static void test_linkdown(void **state)
{
	const uint32_t ids[] = { 1, 2, 3 }, w[] = { 1, 1, 2 };
	enum { N = 20000 };
	static uint8_t before[N];
	unsigned moved_to[4] = { 0 }, on2 = 0;
	char err[256];

	(void)state;
	assert_int_equal(nh_single(1, 0, 1, false), 0);
	assert_int_equal(nh_single(2, 1, 2, false), 0);
	assert_int_equal(nh_single(3, 2, 3, false), 0);
	assert_int_equal(nh_group(10, 3, ids, w, false, NULL), 0);
	assert_int_equal(route_nh("10.9.0.0", 16, 10), 0);
	for (unsigned i = 0; i < N; i++)
		before[i] = (uint8_t)gw_host("10.9.0.1", i * 214013u + 2531011u);
	assert_int_equal(dev_set_up(devs[1], false, err), 0);
	for (unsigned i = 0; i < N; i++) {
		int g = gw_host("10.9.0.1", i * 214013u + 2531011u);

		assert_int_not_equal(g, 2);
		if (before[i] != 2)
			assert_int_equal(g, before[i]);   /* did not move */
		else
			moved_to[g]++, on2++;
	}
	assert_true(on2 > N / 5);
	/* flows of nexthop 2 spread 1:2 over nexthops 1 and 3 */
	if (moved_to[1] < on2 / 3 - on2 / 20 || moved_to[1] > on2 / 3 + on2 / 20)
		fail_msg("%u of %u moved flows went to weight-1 nexthop 1",
			 moved_to[1], on2);
	assert_int_equal(dev_set_up(devs[1], true, err), 0);
	for (unsigned i = 0; i < N; i++)
		assert_int_equal(gw_host("10.9.0.1", i * 214013u + 2531011u),
				 before[i]);
}

/* The same for a classic multipath route (its own nexthops). */
static void test_linkdown_classic(void **state)
{
	struct fib_route r = route("10.9.0.0", 16);
	char err[256];

	(void)state;
	r.nnh = 2;
	for (unsigned i = 0; i < 2; i++) {
		r.nh[i].ifindex = ifx(i);
		r.nh[i].weight = 1;
		r.nh[i].has_gw = true;
		r.nh[i].gw.v4 = htonl(0x0a000001u + i);
	}
	assert_int_equal(fib_route_add(&r, FIB_F_EXCL, err), 0);
	assert_int_equal(gw_host("10.9.0.1", 0xffffffffu), 2);
	assert_int_equal(dev_set_up(devs[1], false, err), 0);
	for (uint32_t h = 0; h < 1000; h++)
		assert_int_equal(gw_host("10.9.0.1", h * 4294967u), 1);
	/* all down: the route still answers (output drops: device down) */
	assert_int_equal(dev_set_up(devs[0], false, err), 0);
	assert_true(gw_host("10.9.0.1", 7) >= 1);
	assert_int_equal(dev_set_up(devs[0], true, err), 0);
	assert_int_equal(dev_set_up(devs[1], true, err), 0);
	assert_int_equal(gw_host("10.9.0.1", 0xffffffffu), 2);
}

static void test_delete_semantics(void **state)
{
	const uint32_t ids[] = { 1, 2 };
	struct fib_nhobj_req *d = malloc(sizeof(*d));
	char err[256] = "";

	(void)state;
	assert_int_equal(nh_single(1, 0, 1, false), 0);
	assert_int_equal(nh_single(2, 1, 2, false), 0);
	assert_int_equal(nh_single(5, 2, 5, false), 0);
	assert_int_equal(nh_group(10, 2, ids, (const uint32_t[]){ 3, 1 }, false,
				  NULL), 0);
	assert_int_equal(nh_group(11, 1, ids + 1, NULL, false, NULL), 0);
	assert_int_equal(route_nh("10.9.0.0", 16, 10), 0);
	assert_int_equal(route_nh("10.11.0.0", 16, 11), 0);
	assert_int_equal(route_nh("10.2.0.0", 16, 2), 0);
	assert_int_equal(route_nh("10.5.0.0", 16, 5), 0);
	assert_int_equal(nroutes(), 4);

	/* Deleting member 2: group 10 keeps 1; group 11 is left empty and
	 * goes; routes on 2 and on 11 go; the others stay. */
	assert_int_equal(fib_nhobj_del(2, err), 0);
	assert_true(fib_nhobj_describe(10, d));
	assert_int_equal(d->ngrp, 1);
	assert_int_equal(d->grp[0].id, 1);
	assert_int_equal(d->grp[0].weight, 3);
	assert_false(fib_nhobj_describe(11, d));
	assert_null(fib_nhobj_find(2));
	assert_int_equal(nroutes(), 2);
	assert_int_equal(gw_host("10.9.0.1", 0xffffffffu), 1);
	assert_int_equal(gw_host("10.11.0.1", 0), -1);
	assert_int_equal(gw_host("10.2.0.1", 0), -1);
	assert_int_equal(gw_host("10.5.0.1", 0), 5);
	/* Deleting a group deletes its routes, not its members. */
	assert_int_equal(fib_nhobj_del(10, err), 0);
	assert_int_equal(gw_host("10.9.0.1", 0), -1);
	assert_non_null(fib_nhobj_find(1));
	assert_int_equal(fib_nhobj_del(10, err), -ENOENT);
	assert_non_null(strstr(err, "no nexthop with id 10"));
	/* A device going away deletes its nexthops. */
	fib_nh_flush_dev(ifx(2));
	assert_null(fib_nhobj_find(5));
	assert_int_equal(gw_host("10.5.0.0", 0), -1);
	assert_int_equal(nroutes(), 0);
	free(d);
}

static void test_validation(void **state)
{
	struct fib_nhobj_req *q = calloc(1, sizeof(*q));
	struct fib_route r = route("10.9.0.0", 16);
	char err[256] = "";

	(void)state;
	assert_int_equal(nh_single(1, 0, 1, false), 0);
	assert_int_equal(nh_single(2, 1, 2, false), 0);
	assert_int_equal(nh_blackhole(3, false), 0);
	assert_int_equal(nh_single(1, 0, 9, false), -EEXIST);

	q->kind = FIB_NHO_SINGLE;
	q->id = 7;
	assert_int_equal(fib_nhobj_add(q, false, err), -EINVAL);
	assert_non_null(strstr(err, "needs a device"));
	q->nh.ifindex = 200;   /* no such device */
	assert_int_equal(fib_nhobj_add(q, false, err), -EINVAL);
	assert_non_null(strstr(err, "no device"));
	q->kind = 9;
	assert_int_equal(fib_nhobj_add(q, false, err), -EINVAL);
	assert_non_null(strstr(err, "kind"));
	assert_null(fib_nhobj_find(7));

	assert_int_equal(nh_group(7, 0, NULL, NULL, false, err), -EINVAL);
	assert_non_null(strstr(err, "1..256 members"));
	assert_int_equal(nh_group(7, 2, (const uint32_t[]){ 1, 8 }, NULL, false,
				  err), -EINVAL);
	assert_non_null(strstr(err, "no nexthop id 8"));
	assert_int_equal(nh_group(7, 2, (const uint32_t[]){ 1, 3 }, NULL, false,
				  err), -EINVAL);
	assert_non_null(strstr(err, "sole member"));
	assert_int_equal(nh_group(7, 2, (const uint32_t[]){ 1, 2 },
				  (const uint32_t[]){ 1, 257 }, false, err),
			 -EINVAL);
	assert_non_null(strstr(err, "weight 257"));
	assert_int_equal(nh_group(7, 2, (const uint32_t[]){ 2, 2 }, NULL, false,
				  err), -EINVAL);
	assert_non_null(strstr(err, "given twice"));
	assert_int_equal(nh_group(7, 1, (const uint32_t[]){ 7 }, NULL, false,
				  err), -EINVAL);
	assert_int_equal(nh_group(7, 2, (const uint32_t[]){ 1, 2 }, NULL, false,
				  err), 0);
	assert_int_equal(nh_group(8, 1, (const uint32_t[]){ 7 }, NULL, false,
				  err), -EINVAL);
	assert_non_null(strstr(err, "nested"));
	assert_int_equal(nh_group(1, 1, (const uint32_t[]){ 2 }, NULL, true,
				  err), -EINVAL);
	assert_non_null(strstr(err, "with a nexthop group"));
	assert_int_equal(nh_single(7, 0, 1, true), -EINVAL);
	assert_int_equal(nh_blackhole(1, true), -EINVAL);   /* in group 7 */
	assert_int_equal(gw_host("10.9.0.1", 0), -1);

	/* routes */
	assert_int_equal(fib_route_add_nh(&r, 99, FIB_F_EXCL, err), -EINVAL);
	assert_non_null(strstr(err, "no nexthop with id 99"));
	r.type = FIB_PROHIBIT;
	assert_int_equal(fib_route_add_nh(&r, 1, FIB_F_EXCL, err), -EINVAL);
	r.type = FIB_UNICAST;
	r.nnh = 1;
	r.nh[0].ifindex = ifx(0);
	r.nh[0].weight = 1;
	assert_int_equal(fib_route_add_nh(&r, 1, FIB_F_EXCL, err), -EINVAL);
	assert_non_null(strstr(err, "no other nexthops"));
	r.nnh = 0;
	r.family = AF_INET6;
	r.prefix = addr(AF_INET6, "2001:db8::");
	r.plen = 32;
	assert_int_equal(fib_route_add_nh(&r, 1, FIB_F_EXCL, err), -EINVAL);
	assert_non_null(strstr(err, "IPv4 gateway"));
	assert_int_equal(fib_route_add_nh(&r, 3, FIB_F_EXCL, err), 0);
	/* a route with nhid 7 and one with nhid 2 at the same key: not equal */
	assert_int_equal(route_nh("10.9.0.0", 16, 7), 0);
	r = route("10.9.0.0", 16);
	assert_int_equal(fib_route_add_nh(&r, 7, FIB_F_REPLACE, err), 0);
	assert_int_equal(fib_route_add_nh(&r, 2, FIB_F_APPEND, err), 0);
	assert_int_equal(nroutes(), 3);
	assert_int_equal(fib_route_del_nh(&r, 2, err), 0);
	assert_int_equal(fib_route_del_nh(&r, 2, err), -ENOENT);
	assert_int_equal(fib_route_del_nh(&r, 99, err), -ENOENT);
	free(q);
}

/* ---- batches ---- */

static int add_dev_route(uint32_t net, unsigned dev, unsigned flags)
{
	struct fib_route r = route("0.0.0.0", 24);
	char err[256] = "";

	r.prefix.v4 = htonl(net);
	r.nnh = 1;
	r.nh[0].ifindex = ifx(dev);
	r.nh[0].weight = 1;
	return fib_route_add(&r, flags, err);
}

static void test_batch_commit_abort(void **state)
{
	struct fib_route r = route("10.1.0.0", 24);
	char err[256] = "";
	struct fib_result res;

	(void)state;
	assert_int_equal(add_dev_route(0x0a010000u, 0, FIB_F_EXCL), 0);
	assert_int_equal(add_dev_route(0x0a020000u, 0, FIB_F_EXCL), 0);
	assert_int_equal(add_dev_route(0x0a030000u, 0, FIB_F_EXCL), 0);

	assert_int_equal(fib_batch_begin(err), 0);
	assert_int_equal(fib_batch_begin(err), -EBUSY);
	for (uint32_t i = 0; i < 5000; i++)
		assert_int_equal(add_dev_route(0x0b000000u + (i << 8), 1,
					       FIB_F_EXCL), 0);
	assert_int_equal(add_dev_route(0x0a010000u, 2, FIB_F_REPLACE), 0);
	assert_int_equal(add_dev_route(0x0a020000u, 3, FIB_F_APPEND), 0);
	/* r (10.1.0.0/24, no nexthop given) deletes the replacement */
	assert_int_equal(fib_route_del(&r, err), 0);
	r.prefix = addr(AF_INET, "10.3.0.0");
	assert_int_equal(fib_route_del(&r, err), 0);
	assert_int_equal(add_dev_route(0x0a030000u, 1, FIB_F_EXCL), 0);
	assert_int_equal(nroutes(), 5000 + 3);
	fib_batch_abort();

	/* exactly the state before the batch */
	assert_int_equal(nroutes(), 3);
	assert_true(look("10.1.0.1", 0, &res));
	assert_int_equal(res.nh->ifindex, ifx(0));
	assert_true(look("10.3.0.1", 0, &res));
	assert_int_equal(res.nh->ifindex, ifx(0));
	assert_false(look("11.0.7.1", 0, &res));

	assert_int_equal(fib_batch_begin(err), 0);
	for (uint32_t i = 0; i < 5000; i++)
		assert_int_equal(add_dev_route(0x0b000000u + (i << 8), 1,
					       FIB_F_EXCL), 0);
	assert_int_equal(add_dev_route(0x0a010000u, 2, FIB_F_REPLACE), 0);
	fib_batch_commit();
	assert_int_equal(nroutes(), 5003);
	assert_true(look("11.0.7.1", 0, &res));
	assert_int_equal(res.nh->ifindex, ifx(1));
	assert_true(look("10.1.0.1", 0, &res));
	assert_int_equal(res.nh->ifindex, ifx(2));
	assert_int_equal(fib_batch_begin(err), 0);   /* closed: opens again */
	fib_batch_commit();
}

/* A reader that is slow to report quiescent states makes every grace
 * period long; replacing routes retires memory, and a batch must wait for
 * one grace period, not one per route. */
struct slow_reader {
	bool started, stop;
};

static void *slow_reader_fn(void *arg)
{
	struct slow_reader *s = arg;
	struct fib_result res;
	union pkt_addr a = addr(AF_INET, "11.0.0.1");

	rcu_register_thread();
	__atomic_store_n(&s->started, true, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		uint64_t until = time_ns() + 2000000;   /* 2 ms per "burst" */

		while (time_ns() < until)
			fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &a, 0, &res);
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

static void test_batch_one_grace_period(void **state)
{
	struct slow_reader s = { false, false };
	pthread_t th;
	uint64_t t0, single, batched;
	char err[256];

	(void)state;
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(add_dev_route(0x0b000000u + (i << 8), 1,
					       FIB_F_EXCL), 0);
	assert_int_equal(pthread_create(&th, NULL, slow_reader_fn, &s), 0);
	while (!__atomic_load_n(&s.started, __ATOMIC_ACQUIRE))
		;
	t0 = time_ns();
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(add_dev_route(0x0b000000u + (i << 8), 2,
					       FIB_F_REPLACE), 0);
	single = time_ns() - t0;
	t0 = time_ns();
	assert_int_equal(fib_batch_begin(err), 0);
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(add_dev_route(0x0b000000u + (i << 8), 3,
					       FIB_F_REPLACE), 0);
	fib_batch_commit();
	batched = time_ns() - t0;
	__atomic_store_n(&s.stop, true, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	/* 100 grace periods of ~1-2 ms against one */
	if (batched * 10 > single)
		fail_msg("100 route replaces: %.1f ms one by one, %.1f ms "
			 "batched; the batch should wait for one grace period",
			 single / 1e6, batched / 1e6);
	assert_int_equal(nroutes(), 100);
	assert_int_equal(gw_host("11.0.42.1", 0), 0);
	{
		struct fib_result res;

		assert_true(look("11.0.42.1", 0, &res));
		assert_int_equal(res.nh->ifindex, ifx(3));
	}
}

/* ---- readers racing with replaces ---- */

struct race {
	bool stop;
	unsigned started;
	unsigned long lookups, bad;
	char why[128];
};

/* Valid answers for 10.9.0.1 while the control thread flips object 1
 * between hosts 1 and 7 and group 10 between {1,2} and {2}: a unicast
 * result with a nexthop of gateway host 1, 7 or 2 on the right device. */
static bool race_ok(const struct fib_result *res)
{
	int h;

	if (!res->nh || fib_result_route(res)->type != FIB_UNICAST)
		return false;
	h = (int)(ntohl(res->nh->gw.v4) & 0xff);
	return (h == 1 && res->nh->ifindex == ifx(0)) ||
	       (h == 7 && res->nh->ifindex == ifx(2)) ||
	       (h == 2 && res->nh->ifindex == ifx(1));
}

static void *race_reader(void *arg)
{
	struct race *rc = arg;
	union pkt_addr a = addr(AF_INET, "10.9.0.1"), b = addr(AF_INET, "10.30.0.1");
	struct fib_result res;

	rcu_register_thread();
	__atomic_add_fetch(&rc->started, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&rc->stop, __ATOMIC_ACQUIRE)) {
		for (uint32_t h = 0; h < 64; h++) {
			bool ok = fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &a,
						   h * 0x04000000u, &res) &&
				  race_ok(&res);

			if (!ok && __atomic_fetch_add(&rc->bad, 1,
						      __ATOMIC_RELAXED) == 0)
				snprintf(rc->why, sizeof(rc->why),
					 "hash %u got a wrong answer", h);
			__atomic_fetch_add(&rc->lookups, 1, __ATOMIC_RELAXED);
		}
		/* 10.30/16 uses object 30, created and deleted over and over:
		 * no route, or host 30 on t3 */
		if (fib_table_lookup(FIB_TABLE_MAIN, AF_INET, &b, 0, &res) &&
		    (!res.nh || res.nh->ifindex != ifx(3) ||
		     (ntohl(res.nh->gw.v4) & 0xff) != 30) &&
		    __atomic_fetch_add(&rc->bad, 1, __ATOMIC_RELAXED) == 0)
			snprintf(rc->why, sizeof(rc->why),
				 "10.30.0.1 got a wrong answer");
		rcu_quiescent_state();
	}
	rcu_unregister_thread();
	return NULL;
}

static void test_concurrent_replace(void **state)
{
	struct race rc = { .stop = false };
	const uint32_t both[] = { 1, 2 }, one[] = { 2 };
	pthread_t th[2];

	(void)state;
	assert_int_equal(nh_single(1, 0, 1, false), 0);
	assert_int_equal(nh_single(2, 1, 2, false), 0);
	assert_int_equal(nh_group(10, 2, both, NULL, false, NULL), 0);
	assert_int_equal(route_nh("10.9.0.0", 16, 10), 0);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race_reader, &rc), 0);
	while (__atomic_load_n(&rc.started, __ATOMIC_ACQUIRE) < 2)
		;
	for (unsigned i = 0; i < 2000; i++) {
		assert_int_equal(nh_single(1, (i & 1) ? 2 : 0, (i & 1) ? 7 : 1,
					   true), 0);
		assert_int_equal(nh_group(10, (i % 3) ? 2 : 1,
					  (i % 3) ? both : one, NULL, true,
					  NULL), 0);
		if (i % 10 == 0) {   /* object and route come and go */
			char err[256];

			assert_int_equal(nh_single(30, 3, 30, false), 0);
			assert_int_equal(route_nh("10.30.0.0", 16, 30), 0);
			assert_int_equal(fib_nhobj_del(30, err), 0);
			assert_int_equal(gw_host("10.30.0.1", 0), -1);
		}
	}
	__atomic_store_n(&rc.stop, true, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	if (rc.bad)
		fail_msg("%lu of %lu lookups wrong: %s", rc.bad, rc.lookups,
			 rc.why);
	assert_true(rc.lookups > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_replace_updates_routes),
		T(test_blackhole_object),
		T(test_group_weights),
		T(test_linkdown),
		T(test_linkdown_classic),
		T(test_delete_semantics),
		T(test_validation),
		T(test_batch_commit_abort),
		T(test_batch_one_grace_period),
		T(test_concurrent_replace),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
