/* Unit tests for the command grammar (src/ctl/cmd.c) with real devices
 * (null driver), addresses, routes and neighbors: valid commands change
 * state and print the iproute2-like layouts; invalid ones name the bad word
 * and change nothing; JSON output is one well-formed document. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl/cmd.h"
#include "ctl/out.h"
#include "ctl/sysctl.h"
#include "dev/dev.h"
#include "fib/fib.h"
#include "l2/neigh.h"
#include "l3/icmp.h"
#include "json_check.h"

/* Run a line that must succeed; returns its output (caller frees). */
static char *run_mode(const char *line, bool json)
{
	struct ctl_out o;
	char err[256] = "";
	char *s;
	int rc;

	out_init(&o, json);
	rc = ctl_exec_line(line, &o, err);
	if (rc != 0)
		fail_msg("'%s' failed: %s", line, err);
	assert_false(o.oom);
	s = strdup(o.buf ? o.buf : "");
	out_fini(&o);
	return s;
}

static char *run(const char *line)
{
	return run_mode(line, false);
}

static char *run_json(const char *line)
{
	char *s = run_mode(line, true);

	if (s[0] && !json_valid(s))
		fail_msg("'%s' printed invalid JSON: %s", line, s);
	return s;
}

static void ok(const char *line)
{
	free(run(line));
}

/* Everything a command could change, as one string. */
static char *snapshot(void)
{
	static const char *const cmds[] = {
		"link show", "addr show", "route show table all",
		"neigh show", "sysctl -a", "nexthop show", "rule show all",
	};
	size_t len = 0;
	char *all = calloc(1, 1);

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *s = run_json(cmds[i]);
		all = realloc(all, len + strlen(s) + 2);
		strcpy(all + len, s);
		len += strlen(s);
		all[len++] = '\n';
		all[len] = '\0';
		free(s);
	}
	return all;
}

/* A line that must fail with `want` in its error, output untouched and
 * nothing changed. */
static void bad(const char *line, const char *want)
{
	struct ctl_out o;
	char err[256] = "";
	char *before = snapshot(), *after;
	int rc;

	out_init(&o, false);
	out_text(&o, "kept");
	rc = ctl_exec_line(line, &o, err);
	if (rc != -1)
		fail_msg("'%s' should have failed", line);
	if (!strstr(err, want))
		fail_msg("'%s': error '%s' does not contain '%s'", line, err, want);
	assert_string_equal(o.buf, "kept");
	out_fini(&o);
	after = snapshot();
	if (strcmp(before, after) != 0)
		fail_msg("'%s' failed but changed state:\n%s\n---\n%s", line,
			 before, after);
	free(before);
	free(after);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not found in:\n%s", needle, hay);
}

static void assert_lacks(const char *hay, const char *needle)
{
	if (strstr(hay, needle))
		fail_msg("'%s' unexpectedly found in:\n%s", needle, hay);
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(fib_init(), 0);
	assert_int_equal(neigh_init(), 0);
	return 0;
}

static int teardown(void **state)
{
	struct dev *d;

	(void)state;
	while ((d = dev_next(NULL))) {
		char line[64];
		snprintf(line, sizeof(line), "link del %s", d->name);
		ok(line);
	}
	neigh_fini();
	fib_fini();
	return 0;
}

/* Null ports n0 (10.1.0.1/24) and n1 (10.2.0.1/24), up when `up`. */
static void two_ports(bool up)
{
	ok("link add n0 type null");
	ok("link add n1 type null");
	if (up) {
		ok("link set n0 up");
		ok("link set n1 up");
	}
	ok("addr add 10.1.0.1/24 dev n0");
	ok("addr add 10.2.0.1/24 dev n1");
}

/* ------------------------------------------------------------------ */

static void test_dispatch_and_words(void **state)
{
	char *s;

	(void)state;
	bad("rout show", "unknown command 'rout'");
	bad("link frob", "'frob'");
	ok("");
	ok("   # only a comment");
	ok("\t\r\n");
	bad("link add \"n0 type null", "unterminated quote");
	ok("link add \"n0\" type null # trailing comment");
	s = run("link show n0");
	assert_contains(s, "n0:");
	free(s);
	bad("link add n0#x type null", "already exists"); /* '#' ends the word */
	s = run("help");
	assert_contains(s, "route [-4|-6] add");
	assert_contains(s, "null");
	free(s);
	free(run_json("help"));
}

static void test_link(void **state)
{
	struct dev *d;
	char *s;

	(void)state;
	ok("link add n0 type null");
	d = dev_by_name("n0");
	assert_non_null(d);
	assert_false(d->admin_up);
	bad("link add n0 type null", "link: device 'n0' already exists");
	bad("link add n1 type nosuchkind", "'nosuchkind'");
	bad("link add n1 type null bogus", "'bogus'");
	bad("link add n1", "type");
	bad("link add n1 type", "missing value after 'type'");
	bad("link add abcdefghijklmnop type null", "'abcdefghijklmnop'");
	bad("link add a/b type null", "'a/b'");
	ok("link add abcdefghijklmno type null"); /* 15 characters fit */
	assert_null(dev_by_name("n1"));

	ok("link set n0 mtu 1400 up");
	assert_int_equal(d->mtu, 1400);
	assert_true(d->admin_up);
	bad("link set n0 down mtu 9000 mtu 70000", "'70000'");
	assert_int_equal(d->mtu, 1400);
	assert_true(d->admin_up);
	bad("link set n0 mtu 9000 bogus", "unknown argument 'bogus'");
	bad("link set n0 mtu", "missing value after 'mtu'");
	bad("link set n0 address 02:00:00:00:00:1", "'02:00:00:00:00:1'");
	bad("link set n0 address 02:00:00:00:00:0g", "'02:00:00:00:00:0g'");
	bad("link set n0 address 02-00-00-00-00-01", "'02-00-00-00-00-01'");
	bad("link set n0 address 03:00:00:00:00:01", "multicast");
	bad("link set n0 worker 99", "'99'");
	bad("link set p9 up", "link: unknown device 'p9'");
	ok("link set n0 address 02:00:00:aa:bb:01 down mtu 9000");
	assert_memory_equal(d->mac, ((uint8_t[]){ 2, 0, 0, 0xaa, 0xbb, 1 }), 6);
	assert_false(d->admin_up);
	assert_int_equal(d->mtu, 9000);

	s = run("link show n0");
	assert_contains(s, ": n0: <BROADCAST,MULTICAST> mtu 9000 state DOWN kind null worker 0\n");
	assert_contains(s, "    link/ether 02:00:00:aa:bb:01 features sg csum tso4 tso6 uso fraglist\n");
	assert_lacks(s, "abcdefghijklmno");
	free(s);
	ok("link set n0 up");
	s = run("link show");
	assert_contains(s, "<BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9000 state UP");
	assert_contains(s, "abcdefghijklmno");
	free(s);
	bad("link show p9", "'p9'");

	s = run_json("link show n0");
	assert_contains(s, "\"ifname\":\"n0\"");
	assert_contains(s, "\"kind\":\"null\"");
	assert_contains(s, "\"operstate\":\"UP\"");
	assert_contains(s, "\"mtu\":9000");
	assert_contains(s, "\"address\":\"02:00:00:aa:bb:01\"");
	assert_contains(s, "\"features\":[\"sg\",\"csum\",");
	assert_contains(s, "\"worker\":0");
	assert_true(s[0] == '[');
	free(s);

	bad("link del p9", "'p9'");
	bad("link del n0 extra", "'extra'");
	ok("link del abcdefghijklmno");
	assert_null(dev_by_name("abcdefghijklmno"));
}

static void test_addr(void **state)
{
	char *s;

	(void)state;
	ok("link add n0 type null");
	ok("addr add 10.1.0.1/24 dev n0");
	ok("addr add 2001:db8:1::1/64 dev n0");
	bad("addr add 10.1.0.2/33 dev n0", "'10.1.0.2/33'");
	bad("addr add 10.1.0.300/24 dev n0", "'10.1.0.300/24'");
	bad("addr add 10.1.0.2/24 dev p9", "'p9'");
	bad("addr add 10.1.0.2/24", "dev");
	bad("addr add dev n0", "missing address");
	bad("addr add 10.1.0.2/24 dev n0 bogus", "'bogus'");
	bad("addr add 10.1.0.2/24 dev n0 dev n0", "'dev' given twice");
	bad("addr frob", "'frob'");
	s = run("addr show dev n0");
	assert_contains(s, "10.1.0.1/24");
	assert_contains(s, "2001:db8:1::1/64");
	free(s);
	s = run_json("addr show");
	assert_contains(s, "\"local\":\"10.1.0.1\"");
	free(s);
	s = run("route show table all");
	assert_contains(s, "10.1.0.1");
	free(s);
	ok("addr del 10.1.0.1/24 dev n0");
	s = run("addr show n0");
	assert_lacks(s, "10.1.0.1/24");
	free(s);
}

static void test_route_add_show(void **state)
{
	char *s;

	(void)state;
	ok("link add n0 type null");
	ok("link add n1 type null");
	ok("addr add 10.1.0.1/24 dev n0");
	ok("addr add 2001:db8:1::1/64 dev n0");
	ok("route add 10.9.0.0/16 via 10.1.0.2 dev n0");
	ok("route add 10.8.0.0/16 via 10.1.0.3 dev n0 metric 20 mtu 1400");
	ok("route add blackhole 10.66.0.0/16");
	ok("route add unreachable 10.67.0.0/16 table 100");
	ok("route add prohibit 10.68.0.0/16 metric 5");
	ok("route add default via 10.1.0.254");
	ok("route add 10.7.0.0/16 dev n1");
	ok("route add 2001:db8:9::/48 via 2001:db8:1::2 dev n0");
	ok("route -6 add default via fe80::1 dev n0");
	ok("route add 10.5.0.0/16 via 10.1.0.2 src 10.1.0.1 table 7 proto kernel");

	s = run("route show");
	assert_contains(s, "\n10.9.0.0/16 via 10.1.0.2 dev n0 metric 0\n");
	assert_contains(s, "10.8.0.0/16 via 10.1.0.3 dev n0 metric 20 mtu 1400\n");
	assert_contains(s, "blackhole 10.66.0.0/16\n");
	assert_contains(s, "prohibit 10.68.0.0/16 metric 5\n");
	assert_contains(s, "default via 10.1.0.254 dev n0 metric 0\n"); /* dev resolved */
	assert_contains(s, "10.7.0.0/16 dev n1 scope link metric 0\n");
	assert_contains(s, "2001:db8:9::/48 via 2001:db8:1::2 dev n0 metric 0\n");
	assert_contains(s, "default via fe80::1 dev n0 metric 0\n");
	assert_lacks(s, "10.67.0.0");   /* table 100 */
	assert_lacks(s, "table local"); /* main only by default */
	free(s);

	s = run("route show table 100");
	assert_contains(s, "unreachable 10.67.0.0/16 table 100\n");
	free(s);
	s = run("route show table 7");
	assert_contains(s, "10.5.0.0/16 via 10.1.0.2 dev n0 table 7 proto kernel src 10.1.0.1 metric 0\n");
	free(s);
	s = run("route show table all");
	assert_contains(s, "local 10.1.0.1 dev n0 table local");
	assert_contains(s, "10.67.0.0/16");
	free(s);
	s = run("route -4 show");
	assert_lacks(s, "2001:db8");
	assert_contains(s, "10.9.0.0/16");
	free(s);
	s = run("route show -6");
	assert_lacks(s, "10.9.0.0");
	assert_contains(s, "2001:db8:9::/48");
	free(s);
	s = run("route show 10.9.0.0/16");
	assert_string_equal(s, "10.9.0.0/16 via 10.1.0.2 dev n0 metric 0\n");
	free(s);
	s = run("route show dev n1");
	assert_string_equal(s, "10.7.0.0/16 dev n1 scope link metric 0\n");
	free(s);

	s = run_json("route show");
	assert_true(s[0] == '[');
	assert_contains(s, "{\"type\":\"unicast\",\"dst\":\"10.9.0.0/16\",\"family\":\"inet\","
			   "\"gateway\":\"10.1.0.2\",\"dev\":\"n0\",\"table\":254,"
			   "\"protocol\":\"static\",\"scope\":\"global\",\"metric\":0,"
			   "\"nexthops\":[{\"gateway\":\"10.1.0.2\",\"dev\":\"n0\",\"weight\":1}]}");
	assert_contains(s, "\"type\":\"blackhole\",\"dst\":\"10.66.0.0/16\"");
	assert_contains(s, "\"dst\":\"default\"");
	free(s);
	free(run_json("route show table all"));
	s = run_json("route show table 12345");
	assert_string_equal(s, "[]");
	free(s);
}

static void test_route_errors(void **state)
{
	(void)state;
	ok("link add n0 type null");
	ok("addr add 10.1.0.1/24 dev n0");
	ok("route add 10.9.0.0/16 via 10.1.0.2 dev n0");

	bad("route add 10.0.0.0/33 via 10.1.0.2", "route: invalid prefix '10.0.0.0/33'");
	bad("route add 10.0.0.1/8 via 10.1.0.2", "'10.0.0.1/8'");
	bad("route add 10.0.0.0/-8 via 10.1.0.2", "'10.0.0.0/-8'");
	bad("route add 10.0.0.0/ via 10.1.0.2", "'10.0.0.0/'");
	bad("route add 10.0.0.0/0x8 via 10.1.0.2", "'10.0.0.0/0x8'");
	bad("route add 10.0.0/8 via 10.1.0.2", "'10.0.0/8'");
	bad("route add 2001:db8::/129 via 2001:db8::1", "'2001:db8::/129'");
	bad("route add 10.3.0.0/16 via 10.1.0.256", "invalid gateway '10.1.0.256'");
	bad("route add 10.3.0.0/16 via 2001:db8::1", "'2001:db8::1'");
	bad("route add 10.3.0.0/16 via 10.1.0.2 dev p9", "route: unknown device 'p9'");
	bad("route add 10.3.0.0/16 via 10.1.0.2 metric x1", "'x1'");
	bad("route add 10.3.0.0/16 via 10.1.0.2 metric 4294967296", "'4294967296'");
	bad("route add 10.3.0.0/16 via 10.1.0.2 metric", "missing value after 'metric'");
	bad("route add 10.3.0.0/16 via 10.1.0.2 table 0", "invalid table '0'");
	bad("route add 10.3.0.0/16 via 10.1.0.2 table all", "'all'");
	bad("route add 10.3.0.0/16 via 10.1.0.2 mtu 67", "'67'");
	bad("route add 2001:db8:3::/48 dev n0 mtu 1000", "1000");
	bad("route add 10.3.0.0/16 via 10.1.0.2 proto boot", "'boot'");
	bad("route add 10.3.0.0/16 via 10.1.0.2 src 10.1.0.99", "'10.1.0.99'");
	bad("route add 10.3.0.0/16 via 10.1.0.2 src 2001:db8::1", "'2001:db8::1'");
	bad("route add 10.3.0.0/16 via 10.1.0.2 via 10.1.0.3", "'via' given twice");
	bad("route add 10.3.0.0/16 via 10.1.0.2 bogus", "unknown argument 'bogus'");
	bad("route add 10.3.0.0/16", "need 'via GW'");
	bad("route add via 10.1.0.2", "missing prefix");
	bad("route add blackhole 10.3.0.0/16 via 10.1.0.2", "blackhole");
	bad("route add blackhole 10.3.0.0/16 dev n0", "blackhole");
	bad("route add 10.9.0.0/16 via 10.1.0.2 dev n0", "route: add 10.9.0.0/16");
	bad("route add 10.3.0.0/16 nexthop", "empty nexthop");
	bad("route add 10.3.0.0/16 nexthop via 10.1.0.2 weight 0", "'0'");
	bad("route add 10.3.0.0/16 nexthop via 10.1.0.2 weight 257", "'257'");
	bad("route add 10.3.0.0/16 via 10.1.0.2 nexthop via 10.1.0.3", "'nexthop'");
	bad("route add 10.3.0.0/16 nexthop via 10.1.0.3 via 10.1.0.4", "'via'");
	bad("route add 10.3.0.0/16 nexthop via 10.1.0.3 dev p9", "'p9'");
	bad("route add 10.3.0.0/16 nexthop via 10.1.0.2 nexthop via 2001:db8::1",
	    "'2001:db8::1'");
	bad("route -6 add 10.3.0.0/16 via 10.1.0.2", "'10.3.0.0/16'");
	bad("route add 10.3.0.0/16 via 10.200.0.1", "gateway '10.200.0.1' is not on a connected network");
	bad("route add 10.3.0.0/16 nexthop via 10.1.0.2 nexthop via 10.201.0.1",
	    "'10.201.0.1'");
	bad("route -6 add default via fe80::1", "'fe80::1'");
	bad("route frob", "unknown verb 'frob'");
	bad("route del 10.4.0.0/16", "route: del 10.4.0.0/16");
	bad("route del 10.9.0.0/16 via 10.1.0.77", "10.9.0.0/16");
	bad("route show table bogus", "'bogus'");
	bad("route show 10.0.0.0/99", "'10.0.0.0/99'");
	bad("route show dev p9", "'p9'");
	bad("route get 10.0.0.999", "'10.0.0.999'");
	bad("route get", "missing address");
	bad("route get 10.9.0.1 iif p9", "'p9'");
	bad("route get 10.9.0.1 from 2001:db8::1", "'2001:db8::1'");

	/* 33 nexthops: one too many */
	{
		char line[2048] = "route add 10.3.0.0/16";
		for (int i = 0; i < 33; i++)
			snprintf(line + strlen(line), sizeof(line) - strlen(line),
				 " nexthop via 10.1.0.%d", i + 2);
		bad(line, "too many nexthops");
	}
}

static void test_route_change_verbs(void **state)
{
	char *s;

	(void)state;
	two_ports(false);
	ok("route add 10.9.0.0/16 via 10.1.0.2");
	ok("route replace 10.9.0.0/16 via 10.2.0.2 dev n1");
	s = run("route show 10.9.0.0/16");
	assert_string_equal(s, "10.9.0.0/16 via 10.2.0.2 dev n1 metric 0\n");
	free(s);
	ok("route replace 10.10.0.0/16 via 10.2.0.2"); /* creates */
	ok("route append 10.9.0.0/16 via 10.1.0.2 dev n0");
	s = run("route show 10.9.0.0/16");
	assert_contains(s, "via 10.2.0.2 dev n1");
	assert_contains(s, "via 10.1.0.2 dev n0");
	free(s);
	ok("route del 10.9.0.0/16 via 10.1.0.2 dev n0");
	s = run("route show 10.9.0.0/16");
	assert_string_equal(s, "10.9.0.0/16 via 10.2.0.2 dev n1 metric 0\n");
	free(s);
	ok("route delete 10.9.0.0/16");
	s = run("route show 10.9.0.0/16");
	assert_string_equal(s, "");
	free(s);
	ok("route add blackhole 10.66.0.0/16");
	ok("route del blackhole 10.66.0.0/16");
	ok("route add unreachable 10.67.0.0/16 table 9");
	bad("route del 10.67.0.0/16", "10.67.0.0/16");
	ok("route del 10.67.0.0/16 table 9");

	/* deleting a device flushes its routes */
	ok("route add 10.11.0.0/16 via 10.2.0.9 dev n1");
	ok("link del n1");
	s = run("route show table all");
	assert_lacks(s, "10.11.0.0");
	assert_lacks(s, "n1");
	free(s);
}

static void test_route_multipath(void **state)
{
	char *s;

	(void)state;
	two_ports(false);
	ok("route add 10.9.0.0/16 nexthop via 10.1.0.2 dev n0 weight 2 "
	   "nexthop via 10.2.0.2 dev n1 metric 7");
	s = run("route show 10.9.0.0/16");
	assert_string_equal(s, "10.9.0.0/16 metric 7\n"
			       "\tnexthop via 10.1.0.2 dev n0 weight 2\n"
			       "\tnexthop via 10.2.0.2 dev n1 weight 1\n");
	free(s);
	s = run_json("route show 10.9.0.0/16");
	assert_contains(s, "\"nexthops\":[{\"gateway\":\"10.1.0.2\",\"dev\":\"n0\",\"weight\":2},"
			   "{\"gateway\":\"10.2.0.2\",\"dev\":\"n1\",\"weight\":1}]");
	assert_lacks(s, "\"gateway\":\"10.1.0.2\",\"dev\":\"n0\",\"table\"");
	free(s);
	/* every flow lands on one of the two */
	for (int i = 0; i < 16; i++) {
		char line[64];
		snprintf(line, sizeof(line), "route get 10.9.%d.1", i);
		s = run(line);
		assert_true(strstr(s, "via 10.1.0.2 dev n0") || strstr(s, "via 10.2.0.2 dev n1"));
		free(s);
	}
}

static void test_route_get(void **state)
{
	char *s;

	(void)state;
	two_ports(false);
	ok("addr add 2001:db8:1::1/64 dev n0");
	ok("route add 10.9.0.0/16 via 10.2.0.2 dev n1");
	ok("route add blackhole 10.66.0.0/16");
	ok("route add unreachable 10.67.0.0/16");
	ok("route add 10.5.0.0/16 via 10.1.0.2 src 10.1.0.1 mtu 1300");

	s = run("route get 10.9.3.4");
	assert_string_equal(s, "10.9.3.4 via 10.2.0.2 dev n1 table main src 10.2.0.1 rule 32766\n");
	free(s);
	s = run("route get 10.1.0.77");
	assert_string_equal(s, "10.1.0.77 dev n0 table main src 10.1.0.1 rule 32766\n");
	free(s);
	s = run("route get 10.1.0.1");
	assert_contains(s, "local 10.1.0.1 dev n0 table local");
	assert_contains(s, " rule 0\n");
	free(s);
	s = run("route get 10.66.1.1");
	assert_string_equal(s, "blackhole 10.66.1.1 table main rule 32766\n");
	free(s);
	s = run("route get 10.67.1.1");
	assert_string_equal(s, "unreachable 10.67.1.1 table main rule 32766\n");
	free(s);
	s = run("route get 10.5.0.9 from 10.1.0.1 iif n0 mark 0x10");
	assert_string_equal(s, "10.5.0.9 from 10.1.0.1 via 10.1.0.2 dev n0 table main src 10.1.0.1 mtu 1300 iif n0 rule 32766\n");
	free(s);
	s = run("route get 2001:db8:1::77");
	assert_contains(s, "2001:db8:1::77 dev n0 table main src 2001:db8:1::1");
	free(s);
	s = run_json("route get 10.9.3.4");
	assert_string_equal(s, "[{\"type\":\"unicast\",\"dst\":\"10.9.3.4\",\"gateway\":\"10.2.0.2\","
			       "\"dev\":\"n1\",\"table\":254,\"prefsrc\":\"10.2.0.1\","
			       "\"rule\":32766,\"rule_action\":\"lookup\"}]");
	free(s);
	bad("route get 192.0.2.1", "Network is unreachable");
	bad("route -6 get 2001:db8:77::1", "Network is unreachable");
	bad("route -6 get 10.9.3.4", "'10.9.3.4'");
}

/* Nexthop objects through the grammar: add/replace/del/show, routes with
 * nhid follow replaces, deletion semantics, errors change nothing. */
static void test_nexthop(void **state)
{
	char *s;

	(void)state;
	two_ports(true);
	ok("addr add 2001:db8:1::1/64 dev n0");
	ok("nexthop add id 1 via 10.1.0.2 dev n0");
	ok("nexthop add id 2 via 10.2.0.2");           /* dev from the connected route */
	ok("nexthop add id 3 blackhole");
	ok("nexthop add id 10 group 1,2/2");
	ok("nexthop add dev n1");                      /* lowest free id: 4 */
	ok("nexthop -6 add id 6 via 2001:db8:1::2 dev n0");
	s = run("nexthop show");
	assert_string_equal(s, "id 1 via 10.1.0.2 dev n0 scope global\n"
			       "id 2 via 10.2.0.2 dev n1 scope global\n"
			       "id 3 blackhole\n"
			       "id 4 dev n1 scope link\n"
			       "id 6 via 2001:db8:1::2 dev n0 scope global\n"
			       "id 10 group 1,2/2\n");
	free(s);
	s = run_json("nexthop show id 10");
	assert_string_equal(s, "[{\"id\":10,\"group\":[{\"id\":1,\"weight\":2},{\"id\":2}],\"flags\":[]}]");
	free(s);
	s = run_json("nexthop get id 3");
	assert_string_equal(s, "[{\"id\":3,\"blackhole\":true,\"flags\":[]}]");
	free(s);
	s = run("nexthop show dev n1");
	assert_string_equal(s, "id 2 via 10.2.0.2 dev n1 scope global\nid 4 dev n1 scope link\n");
	free(s);
	s = run("nexthop show groups");
	assert_string_equal(s, "id 10 group 1,2/2\n");
	free(s);

	ok("route add 10.9.0.0/16 nhid 10");
	ok("route add 10.8.0.0/16 nhid 1 metric 5");
	ok("route add 10.7.0.0/16 nhid 3");
	ok("route -6 add 2001:db8:9::/48 nhid 6");
	s = run("route show 10.9.0.0/16");
	assert_string_equal(s, "10.9.0.0/16 nhid 10 metric 0\n"
			       "\tnexthop via 10.1.0.2 dev n0 weight 2\n"
			       "\tnexthop via 10.2.0.2 dev n1 weight 1\n");
	free(s);
	s = run("route show nhid 1");
	assert_string_equal(s, "10.8.0.0/16 nhid 1 via 10.1.0.2 dev n0 metric 5\n");
	free(s);
	s = run("route show 10.7.0.0/16");
	assert_string_equal(s, "10.7.0.0/16 nhid 3 blackhole metric 0\n");
	free(s);
	s = run_json("route show 10.8.0.0/16");
	assert_contains(s, "\"nhid\":1,\"gateway\":\"10.1.0.2\",\"dev\":\"n0\"");
	free(s);
	s = run("route get 10.7.0.1");
	assert_string_equal(s, "blackhole 10.7.0.1 table main rule 32766\n");
	free(s);

	/* replacing an object changes every route using it, directly or
	 * through a group */
	ok("nexthop replace id 1 via 10.1.0.3 dev n0");
	s = run("route show 10.8.0.0/16");
	assert_string_equal(s, "10.8.0.0/16 nhid 1 via 10.1.0.3 dev n0 metric 5\n");
	free(s);
	s = run("route show 10.9.0.0/16");
	assert_contains(s, "\tnexthop via 10.1.0.3 dev n0 weight 2\n");
	free(s);
	s = run("route get 10.8.1.1");
	assert_string_equal(s, "10.8.1.1 nhid 1 via 10.1.0.3 dev n0 table main src 10.1.0.1 rule 32766\n");
	free(s);
	ok("nexthop replace id 3 via 10.2.0.9 dev n1");   /* blackhole -> real */
	s = run("route get 10.7.0.1");
	assert_string_equal(s, "10.7.0.1 nhid 3 via 10.2.0.9 dev n1 table main src 10.2.0.1 rule 32766\n");
	free(s);
	ok("nexthop replace id 3 blackhole");
	s = run("route get 10.7.0.1");
	assert_contains(s, "blackhole 10.7.0.1");
	free(s);
	ok("nexthop replace id 10 group 2");
	s = run("route show 10.9.0.0/16");
	assert_string_equal(s, "10.9.0.0/16 nhid 10 via 10.2.0.2 dev n1 metric 0\n");
	free(s);
	ok("nexthop replace id 10 group 1,2/2");

	bad("nexthop add id 1 via 10.1.0.5 dev n0", "nexthop id 1 exists");
	bad("nexthop add id 11 group 1/99", "no nexthop id 99");
	bad("nexthop add id 11 group 1/10", "nested groups");
	bad("nexthop add id 11 group 1/1", "given twice");
	bad("nexthop add id 11 group 1,300", "'1,300'");
	bad("nexthop add id 11 group 1,0", "'1,0'");
	bad("nexthop add id 11 group 1/", "ends with '/'");
	bad("nexthop add id 11 group x", "'x'");
	bad("nexthop add id 11 group 3/1", "blackhole nexthop 3 can only be the sole member");
	bad("nexthop add id 11 group 1/6", "cannot mix IPv4 and IPv6");
	bad("nexthop add id 11 via 10.1.0.2 dev n0 blackhole", "a blackhole takes no 'via'");
	bad("nexthop add id 11", "need 'via GW");
	bad("nexthop add id 11 via 10.200.0.1", "'10.200.0.1' is not on a connected network");
	bad("nexthop add id 11 via 10.1.0.2 dev p9", "unknown device 'p9'");
	bad("nexthop add id 11 group 1 type resilient", "'resilient' is not supported");
	bad("nexthop add id 0 dev n0", "'0'");
	bad("nexthop add id 11 dev n0 bogus", "unknown argument 'bogus'");
	bad("nexthop -6 add id 11 via 10.1.0.2 dev n0", "is not IPv6");
	bad("nexthop replace id 10 via 10.1.0.2 dev n0", "cannot replace nexthop group 10 with a nexthop");
	bad("nexthop replace id 1 group 2", "cannot replace nexthop 1 with a nexthop group");
	bad("nexthop replace id 1 blackhole", "in group 10 with other members");
	bad("nexthop replace id 1 via 2001:db8:1::5 dev n0", "cannot mix IPv4 and IPv6");
	ok("nexthop add id 7 via 10.1.0.7 dev n0");
	ok("route add 10.3.0.0/16 nhid 7");
	bad("nexthop replace id 7 via 2001:db8:1::7 dev n0", "nexthop 7 is used by IPv4 routes");
	bad("nexthop replace via 10.1.0.2 dev n0", "replace needs 'id N'");
	bad("nexthop del id 99", "no nexthop with id 99");
	bad("nexthop del", "needs 'id N'");
	bad("nexthop get id 99", "no nexthop with id 99");
	bad("nexthop frob", "unknown verb 'frob'");
	bad("route add 10.6.0.0/16 nhid 99", "no nexthop with id 99");
	bad("route add 10.6.0.0/16 nhid 1 via 10.1.0.2", "'nhid' cannot be mixed");
	bad("route add blackhole 10.6.0.0/16 nhid 1", "takes no");
	bad("route -6 add 2001:db8:6::/48 nhid 1", "IPv4 gateway");
	bad("route add 10.9.0.0/16 nhid 10", "already exists");
	bad("route del 10.9.0.0/16 nhid 1", "no such route");

	/* a dev-only nexthop serves both families; giving it a gateway of
	 * one family is refused while routes of the other use it */
	ok("route -6 add 2001:db8:4::/48 nhid 4");
	bad("nexthop replace id 4 via 10.2.0.7 dev n1", "used by IPv6 routes");
	ok("route -6 del 2001:db8:4::/48 nhid 4");
	ok("nexthop replace id 4 via 10.2.0.7 dev n1");

	/* deleting a member removes it from its groups; a group left empty
	 * goes, and routes using a deleted object go with it */
	ok("nexthop del id 2");
	s = run("nexthop show id 10");
	assert_string_equal(s, "id 10 group 1,2\n");
	free(s);
	s = run("route show 10.9.0.0/16");
	assert_string_equal(s, "10.9.0.0/16 nhid 10 via 10.1.0.3 dev n0 metric 0\n");
	free(s);
	ok("nexthop del id 1");
	s = run("nexthop show");
	assert_lacks(s, "id 10 ");
	assert_lacks(s, "id 1 ");
	free(s);
	s = run("route show");
	assert_lacks(s, "10.9.0.0/16");
	assert_lacks(s, "10.8.0.0/16");
	assert_contains(s, "10.7.0.0/16 nhid 3 blackhole");
	free(s);
	/* deleting a device deletes its nexthops (and their routes) */
	ok("route add 10.4.0.0/16 nhid 4");
	ok("link del n1");
	s = run("nexthop show");
	assert_lacks(s, "id 4 ");
	free(s);
	s = run("route show");
	assert_lacks(s, "10.4.0.0/16");
	free(s);
	ok("nexthop flush");
	s = run("nexthop show");
	assert_string_equal(s, "");
	free(s);
	s = run("route show table all");
	assert_lacks(s, "nhid");
	free(s);
}

/* `rule` commands: selectors, actions, show layout, errors, devices that
 * come and go. */
static void test_rule(void **state)
{
	char *s;

	(void)state;
	ok("link add n0 type null");
	ok("rule add from 10.1.0.0/24 lookup 100 priority 100");
	ok("rule add iif n0 ipproto udp dport 5000-5100 table 200 pref 200");
	ok("rule add not to 10.9.0.0/16 sport 1000 dscp 10 fwmark 0x10/0xff prohibit priority 300");
	ok("rule add iif p7 goto 500 priority 400");   /* no p7 yet: detached */
	ok("rule add from 2001:db8::/32 lookup 300");
	ok("rule add priority 450 goto 460");
	ok("rule add to 192.0.2.0/24 blackhole");  /* auto: below the first after 0 */
	s = run("rule show");
	assert_string_equal(s,
		"0:\tfrom all lookup local\n"
		"99:\tfrom all to 192.0.2.0/24 blackhole\n"
		"100:\tfrom 10.1.0.0/24 lookup 100\n"
		"200:\tfrom all iif n0 ipproto udp dport 5000-5100 lookup 200\n"
		"300:\tnot from all to 10.9.0.0/16 fwmark 0x10/0xff sport 1000 dscp 10 prohibit\n"
		"400:\tfrom all iif p7 [detached] goto 500 [unresolved]\n"
		"450:\tfrom all goto 460 [unresolved]\n"
		"32766:\tfrom all lookup main\n"
		"32767:\tfrom all lookup default\n");
	free(s);
	s = run("rule -6 show");
	assert_contains(s, "32765:\tfrom 2001:db8::/32 lookup 300\n");
	assert_lacks(s, "10.1.0.0");
	free(s);
	s = run("rule show all");
	assert_contains(s, "from 2001:db8::/32");
	assert_contains(s, "from 10.1.0.0/24");
	free(s);
	s = run_json("rule show");
	assert_contains(s, "{\"priority\":200,\"src\":\"all\",\"iif\":\"n0\",\"ipproto\":\"udp\","
			   "\"dport_start\":5000,\"dport_end\":5100,\"table\":\"200\"}");
	assert_contains(s, "\"iif\":\"p7\",\"iif_detached\":true,\"action\":\"goto\",\"target\":500,"
			   "\"unresolved\":true");
	free(s);

	bad("rule add goto 100 priority 200", "must jump forward");
	bad("rule add from 10.1.0.1/24 lookup 5", "'10.1.0.1/24'");
	bad("rule add from 10.1.0.0/24 to 2001:db8::/32", "is IPv6 but");
	bad("rule -6 add from 10.1.0.0/24", "is IPv4 but");
	bad("rule add lookup 5 blackhole", "more than one action");
	bad("rule add dport 10-5", "'10-5'");
	bad("rule add dport 0", "'0'");
	bad("rule add dscp 64", "'64'");
	bad("rule add ipproto bogus", "'bogus'");
	bad("rule add fwmark 0x10/0", "'0x10/0'");
	bad("rule add lookup 0", "invalid table '0'");
	bad("rule add from 10.1.0.0/24 lookup 100 priority 100", "exists");
	bad("rule add iif n0 iif n0", "given twice");
	bad("rule add iif bad/name", "invalid device name");
	bad("rule del priority 999", "no such rule");
	bad("rule del", "needs a priority");
	bad("rule frob", "unknown verb 'frob'");

	/* devices: a rule follows its device name, not the ifindex */
	ok("link add p7 type null");
	s = run("rule show");
	assert_contains(s, "400:\tfrom all iif p7 goto 500 [unresolved]\n");
	free(s);
	ok("link del p7");
	ok("link del n0");
	ok("link add x0 type null");     /* may reuse an old ifindex */
	s = run("rule show");
	assert_contains(s, "iif p7 [detached]");
	assert_contains(s, "iif n0 [detached]");
	assert_lacks(s, "x0");
	free(s);

	ok("rule del priority 300");
	ok("rule del iif p7");
	ok("rule del goto 460");
	ok("rule -6 del from 2001:db8::/32");
	ok("rule del to 192.0.2.0/24 blackhole");
	s = run("rule show all");
	assert_lacks(s, "300:");
	assert_lacks(s, "400:");
	assert_lacks(s, "450:");
	assert_lacks(s, "2001:db8::/32");
	assert_lacks(s, "192.0.2.0");
	free(s);
}

/* `route get` names the rule and table that decided, for flows given by
 * source, input device, protocol and ports; goto skips rules. */
static void test_route_get_rules(void **state)
{
	char *s;

	(void)state;
	two_ports(true);
	ok("route add 10.9.0.0/16 via 10.1.0.2 dev n0");
	ok("route add 10.9.0.0/16 via 10.2.0.2 dev n1 table 100");
	ok("route add 10.9.0.0/16 via 10.2.0.3 dev n1 table 150");
	ok("route add 10.9.0.0/16 via 10.2.0.4 dev n1 table 200");
	ok("rule add from 10.1.0.128/25 lookup 100 priority 100");
	ok("rule add iif n1 lookup 100 priority 110");
	ok("rule add ipproto udp dport 5000-5099 lookup 200 priority 120");
	ok("rule add from 10.3.0.0/16 goto 150 priority 50");
	ok("rule add from 10.3.0.0/16 lookup 200 priority 60");
	ok("rule add from 10.3.0.0/16 lookup 150 priority 150");
	ok("rule add ipproto tcp dscp 46 prohibit priority 130");

	s = run("route get 10.9.0.1 from 10.1.0.2");
	assert_string_equal(s, "10.9.0.1 from 10.1.0.2 via 10.1.0.2 dev n0 table main src 10.1.0.1 rule 32766\n");
	free(s);
	s = run("route get 10.9.0.1 from 10.1.0.200");
	assert_string_equal(s, "10.9.0.1 from 10.1.0.200 via 10.2.0.2 dev n1 table 100 src 10.2.0.1 rule 100\n");
	free(s);
	s = run("route get 10.9.0.1 iif n1");
	assert_contains(s, "via 10.2.0.2 dev n1 table 100");
	assert_contains(s, " rule 110\n");
	free(s);
	s = run("route get 10.9.0.1 ipproto udp dport 5050");
	assert_contains(s, "via 10.2.0.4 dev n1 table 200");
	assert_contains(s, " rule 120\n");
	free(s);
	s = run("route get 10.9.0.1 ipproto udp dport 5100");
	assert_contains(s, "table main");
	free(s);
	s = run("route get 10.9.0.1 ipproto tcp dport 5050");
	assert_contains(s, "table main");
	free(s);
	s = run("route get 10.9.0.1 from 10.3.0.1");   /* goto 150 skips 60 */
	assert_contains(s, "via 10.2.0.3 dev n1 table 150");
	assert_contains(s, " rule 150\n");
	free(s);
	s = run("route get 10.9.0.1 ipproto tcp dscp 46");
	assert_string_equal(s, "prohibit 10.9.0.1 rule 130\n");
	free(s);
	s = run_json("route get 10.9.0.1 ipproto tcp dscp 46");
	assert_string_equal(s, "[{\"type\":\"prohibit\",\"dst\":\"10.9.0.1\",\"rule\":130,"
			       "\"rule_action\":\"prohibit\"}]");
	free(s);
	bad("route get 10.9.0.1 dport 80", "need 'ipproto tcp'");
	bad("route get 10.9.0.1 ipproto udp dport 70000", "'70000'");
	bad("route get 10.9.0.1 ipproto udp ipproto tcp", "given twice");
	bad("route get 10.9.0.1 dscp 64", "'64'");
}

/* VRF flows walk the rules: the l3mdev rule comes with the first VRF,
 * `route get` names the rule that decided (1000 or a user rule steering
 * the VRF's traffic by iif/oif red), `l3mdev` can be deleted and added. */
static void test_rule_vrf(void **state)
{
	char *s;

	(void)state;
	two_ports(true);
	s = run("rule show all");
	assert_lacks(s, "l3mdev");
	free(s);
	ok("link add red type vrf table 10");
	ok("link set n0 master red");
	ok("link set red up");
	s = run("rule show");
	assert_string_equal(s, "0:\tfrom all lookup local\n"
			       "1000:\tfrom all lookup [l3mdev-table]\n"
			       "32766:\tfrom all lookup main\n"
			       "32767:\tfrom all lookup default\n");
	free(s);
	s = run("rule -6 show");
	assert_contains(s, "1000:\tfrom all lookup [l3mdev-table]\n");
	free(s);
	s = run_json("rule show");
	assert_contains(s, "{\"priority\":1000,\"src\":\"all\",\"l3mdev\":true}");
	free(s);
	ok("route add 10.9.0.0/16 via 10.1.0.2 dev n0 table 10");
	ok("route add 10.8.0.0/16 via 10.2.0.2 dev n1");   /* main only */

	s = run("route get 10.9.0.1 vrf red");
	assert_string_equal(s, "10.9.0.1 via 10.1.0.2 dev n0 table 10 src 10.1.0.1 rule 1000\n");
	free(s);
	s = run("route get 10.9.0.1 iif n0");
	assert_string_equal(s, "10.9.0.1 via 10.1.0.2 dev n0 table 10 src 10.1.0.1 iif n0 rule 1000\n");
	free(s);
	s = run_json("route get 10.9.0.1 iif n0");
	assert_contains(s, "\"rule\":1000,\"rule_action\":\"l3mdev\"");
	free(s);
	s = run("route get 10.8.0.1");                     /* not a VRF flow */
	assert_contains(s, "table main");
	assert_contains(s, " rule 32766\n");
	free(s);
	bad("route get 10.8.0.1 vrf red", "no route to 10.8.0.1 in vrf red");
	bad("route get 10.8.0.1 iif n0", "no route to 10.8.0.1 in vrf red");
	bad("route get 10.9.0.1 vrf red iif n1", "iif n1 is not in vrf red");
	bad("route get 10.9.0.1 vrf red oif n1", "oif n1 is not in vrf red");

	/* user rules before 1000 see the VRF device as iif / oif */
	ok("rule add pref 500 iif red ipproto tcp dport 5201 lookup main");
	s = run("route get 10.8.0.1 iif n0 ipproto tcp dport 5201");
	assert_string_equal(s, "10.8.0.1 via 10.2.0.2 dev n1 table main src 10.2.0.1 iif n0 rule 500\n");
	free(s);
	bad("route get 10.8.0.1 iif n0 ipproto tcp dport 80", "in vrf red");
	bad("route get 10.8.0.1 vrf red ipproto tcp dport 5201", "in vrf red");
	ok("rule add pref 600 oif red to 10.8.0.0/16 lookup main");
	s = run("route get 10.8.0.1 vrf red");
	assert_contains(s, "table main");
	assert_contains(s, " rule 600\n");
	free(s);
	s = run("route get 10.8.0.1 oif n0");              /* oif in red */
	assert_contains(s, " rule 600\n");
	free(s);

	/* the l3mdev rule: bad lines change nothing; deleted, VRF flows go
	 * on to main; a second VRF does not bring it back */
	bad("rule add l3mdev lookup 10", "more than one action");
	bad("rule add l3mdev table 10", "more than one action");
	bad("rule add pref 1000 l3mdev", "exists");
	bad("rule del pref 1001 l3mdev", "no such rule");
	ok("rule del pref 1000 l3mdev");
	ok("rule -6 del l3mdev");
	s = run("route get 10.8.0.1 iif n0");
	assert_contains(s, "table main");
	assert_contains(s, " rule 32766\n");
	free(s);
	bad("route get 10.9.0.1 iif n0", "in vrf red");   /* table 10 unused */
	ok("link add blue type vrf table 20");
	s = run("rule show all");
	assert_lacks(s, "l3mdev");
	free(s);
	ok("rule add pref 1000 l3mdev");
	s = run("route get 10.9.0.1 iif n0");
	assert_contains(s, "table 10");
	assert_contains(s, " rule 1000\n");
	free(s);
	s = run("rule show");
	assert_contains(s, "600:\tfrom all to 10.8.0.0/16 oif red lookup main\n"
			   "1000:\tfrom all lookup [l3mdev-table]\n");
	free(s);
}

/* The multipath hash policy sysctls and what `route get` picks with them:
 * L3 keeps every port of a source/destination pair on one nexthop, L4
 * spreads them; weights count. */
static void test_multipath_policy(void **state)
{
	char *s, line[128];
	int n0 = 0, n1 = 0;

	(void)state;
	two_ports(true);
	ok("route add 10.9.0.0/16 nexthop via 10.1.0.2 dev n0 weight 3 nexthop via 10.2.0.2 dev n1");
	s = run("sysctl -a");
	assert_contains(s, "net.ipv4.fib_multipath_hash_policy = 0\n");
	assert_contains(s, "net.ipv6.fib_multipath_hash_policy = 0\n");
	free(s);
	for (int p = 1000; p < 1400; p++) {
		snprintf(line, sizeof(line), "route get 10.9.0.1 from 10.1.0.2 ipproto udp sport %d dport 53", p);
		s = run(line);
		n0 += strstr(s, "dev n0") != NULL;
		n1 += strstr(s, "dev n1") != NULL;
		free(s);
	}
	assert_true(n0 == 400 || n1 == 400);   /* L3: one path for all */
	ok("sysctl net.ipv4.fib_multipath_hash_policy=1");
	s = run("sysctl net/ipv4/fib_multipath_hash_policy");
	assert_string_equal(s, "net.ipv4.fib_multipath_hash_policy = 1\n");
	free(s);
	n0 = n1 = 0;
	for (int p = 1000; p < 1400; p++) {
		snprintf(line, sizeof(line), "route get 10.9.0.1 from 10.1.0.2 ipproto udp sport %d dport 53", p);
		s = run(line);
		n0 += strstr(s, "dev n0") != NULL;
		n1 += strstr(s, "dev n1") != NULL;
		free(s);
	}
	assert_int_equal(n0 + n1, 400);
	assert_in_range(n0, 255, 345);   /* 3:1 = 300:100, +-15% */
	/* a device going down moves only its flows: all on n0 now */
	ok("link set n1 down");
	for (int p = 1000; p < 1100; p++) {
		snprintf(line, sizeof(line), "route get 10.9.0.1 from 10.1.0.2 ipproto udp sport %d dport 53", p);
		s = run(line);
		assert_contains(s, "dev n0");
		free(s);
	}
	ok("link set n1 up");
	bad("sysctl net.ipv4.fib_multipath_hash_policy=2", "out of range");
	bad("sysctl net.ipv6.fib_multipath_hash_policy=x", "'x'");
	ok("sysctl net.ipv4.fib_multipath_hash_policy=0");
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* `route load FILE`: all lines or nothing. */
static void test_route_load(void **state)
{
	char path[] = "/tmp/usnet_route_load_XXXXXX", line[128], want[256];
	int fd;
	char *s, *before;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	ok("link add n0 type null");
	ok("addr add 10.1.0.1/24 dev n0");
	ok("route add 10.50.0.0/16 via 10.1.0.2");
	ok("route add 10.51.0.0/16 via 10.1.0.2");
	assert_int_equal(write_file(path, "# bulk\n"
				    "route add 10.60.0.0/16 via 10.1.0.2\r\n"
				    "\n"
				    "route -6 add 2001:db8:60::/48 dev n0\n"
				    "route replace 10.50.0.0/16 via 10.1.0.3 dev n0\n"
				    "route del 10.51.0.0/16\n"
				    "route append 10.60.0.0/16 via 10.1.0.4 dev n0 # tail\n"), 0);
	snprintf(line, sizeof(line), "route load %s", path);
	ok(line);
	s = run("route show table all");
	assert_contains(s, "10.60.0.0/16 via 10.1.0.2 dev n0");
	assert_contains(s, "10.60.0.0/16 via 10.1.0.4 dev n0");
	assert_contains(s, "2001:db8:60::/48 dev n0");
	assert_contains(s, "10.50.0.0/16 via 10.1.0.3 dev n0");
	assert_lacks(s, "10.51.0.0");
	free(s);

	/* a bad word on line 3: nothing from lines 1-2 gets in */
	assert_int_equal(write_file(path, "route add 10.61.0.0/16 via 10.1.0.2\n"
				    "route del 10.50.0.0/16\n"
				    "route add 10.62.0.0/33 via 10.1.0.2\n"), 0);
	snprintf(want, sizeof(want), "route: load: %s:3: route: invalid prefix '10.62.0.0/33'", path);
	bad(line, want);
	/* the last line cannot be applied (exists): the batch is undone,
	 * replaced, deleted and appended routes included */
	before = run("route show table all");
	assert_int_equal(write_file(path, "route add 10.61.0.0/16 via 10.1.0.2\n"
				    "route replace 10.50.0.0/16 via 10.1.0.9 dev n0\n"
				    "route del 10.60.0.0/16 via 10.1.0.2\n"
				    "route append 10.60.0.0/16 via 10.1.0.7 dev n0\n"
				    "route add 10.63.0.0/16 via 10.1.0.2\n"
				    "route add 10.61.0.0/16 via 10.1.0.5\n"), 0);
	snprintf(want, sizeof(want), "route: load: %s:6: route: add 10.61.0.0/16", path);
	bad(line, want);
	s = run("route show table all");
	assert_string_equal(s, before);
	free(s);
	free(before);
	assert_int_equal(write_file(path, "link add n9 type null\n"), 0);
	bad(line, "'link' is not a route command");
	assert_int_equal(write_file(path, "route show\n"), 0);
	bad(line, "want route add, append, replace or del");
	unlink(path);
	bad(line, "cannot open");
	bad("route load", "missing value after 'load'");
}

static void test_neigh(void **state)
{
	struct dev *d;
	enum neigh_state st;
	uint8_t mac[6];
	union pkt_addr a = { 0 };
	char *s;

	(void)state;
	ok("link add n0 type null");
	d = dev_by_name("n0");
	ok("neigh add 10.1.0.2 lladdr 02:00:00:00:00:02 dev n0");
	ok("neigh add 2001:db8::2 lladdr 02:00:00:00:00:03 dev n0 nud permanent");
	inet_pton(AF_INET, "10.1.0.2", &a.v4);
	assert_true(neigh_lookup(d, AF_INET, &a, &st, mac));
	assert_int_equal(st, NEIGH_PERMANENT);
	assert_memory_equal(mac, ((uint8_t[]){ 2, 0, 0, 0, 0, 2 }), 6);
	bad("neigh add 10.1.0.3 lladdr 02:00:00:00:00:2 dev n0", "'02:00:00:00:00:2'");
	bad("neigh add 10.1.0.3 lladdr 02:00:00:00:00:02", "dev");
	bad("neigh add 10.1.0.3 dev n0", "lladdr");
	bad("neigh add 10.1.0.333 lladdr 02:00:00:00:00:02 dev n0", "'10.1.0.333'");
	bad("neigh add 10.1.0.3 lladdr 02:00:00:00:00:02 dev p9", "'p9'");
	bad("neigh add 10.1.0.3 lladdr 02:00:00:00:00:02 dev n0 nud stale", "'stale'");
	bad("neigh del 10.1.0.99 dev n0", "10.1.0.99");
	bad("neigh show dev p9", "'p9'");
	s = run("neigh show");
	assert_contains(s, "10.1.0.2 dev n0 lladdr 02:00:00:00:00:02 PERMANENT");
	assert_contains(s, "2001:db8::2 dev n0 lladdr 02:00:00:00:00:03");
	free(s);
	s = run_json("neigh show dev n0");
	assert_contains(s, "\"dst\":\"10.1.0.2\"");
	assert_true(s[0] == '[');
	free(s);
	bad("neigh del 10.1.0.2 lladdr 02:00:00:00:00:2 dev n0", "'02:00:00:00:00:2'");
	ok("neigh del 10.1.0.2 lladdr 02:00:00:00:00:02 dev n0"); /* lladdr ignored */
	assert_false(neigh_lookup(d, AF_INET, &a, &st, mac));
}

static void test_stats(void **state)
{
	struct dev *d;
	char *s;

	(void)state;
	ok("link add n0 type null");
	ok("link add n1 type null");
	d = dev_by_name("n0");
	/* a consistent picture: 10 in, 6 forwarded, 1 delivered, 3 dropped */
	dev_stats_here(d)->rx_packets = 10;
	dev_stats_here(d)->rx_bytes = 1000;
	dev_stats_here(d)->forwarded = 6;
	dev_stats_here(d)->delivered = 1;
	dev_stats_here(d)->rx_drops[DROP_IP4_NO_ROUTE] = 2;
	dev_stats_here(d)->rx_drops[DROP_ETH_OTHERHOST] = 1;
	dev_stats_here(dev_by_name("n1"))->fwd_in = 6;
	dev_stats_here(dev_by_name("n1"))->tx_packets = 5;
	dev_stats_here(dev_by_name("n1"))->tx_drops[DROP_TX_RING_FULL] = 1;

	s = run("stats");
	assert_contains(s, "n0\n    rx_packets 10 rx_bytes 1000 forwarded 6 delivered 1 rx_drops 3\n");
	assert_contains(s, "    rx drops: eth_otherhost 1 ip4_no_route 2\n");
	assert_contains(s, "tx_packets 5 tx_bytes 0 fwd_in 6 originated 0 split_extra 0 tx_drops 1\n");
	assert_contains(s, "    tx drops: tx_ring_full 1\n");
	assert_lacks(s, "MISMATCH");
	assert_contains(s, "total:\n");
	assert_contains(s, "neigh_queued 0 orphan_drops 0\n");
	free(s);
	s = run_json("stats dev n0");
	assert_contains(s, "\"ifname\":\"n0\"");
	assert_lacks(s, "\"ifname\":\"n1\"");
	assert_contains(s, "\"rx_drops\":{\"eth_otherhost\":1,\"ip4_no_route\":2}");
	assert_contains(s, "\"rx_balance_ok\":true,\"tx_balance_ok\":true");
	assert_contains(s, "\"total\":{");
	assert_contains(s, "\"neigh_queued\":0");
	free(s);

	/* break the rx identity: reported per device and in the total */
	dev_stats_here(d)->rx_packets = 11;
	s = run("stats dev n0");
	assert_contains(s, "conservation: MISMATCH (rx_packets 11 != forwarded + delivered + to_upper + rx_drops 10)");
	free(s);
	s = run_json("stats");
	assert_contains(s, "\"rx_balance_ok\":false");
	free(s);
	/* and the tx identity */
	dev_stats_here(d)->rx_packets = 10;
	dev_stats_here(dev_by_name("n1"))->tx_packets = 7;
	s = run("stats dev n1");
	assert_contains(s, "MISMATCH (fwd_in + originated + split_extra 6 != tx_packets + tx_drops 8");
	free(s);
	bad("stats dev p9", "'p9'");
	bad("stats bogus", "'bogus'");
}

static void test_sysctl(void **state)
{
	uint32_t old = icmp_params.ratelimit_ms, oldq = neigh_params.queue_len;
	char *s;

	(void)state;
	ok("sysctl net.ipv4.icmp_ratelimit=250");
	assert_int_equal(icmp_params.ratelimit_ms, 250);
	ok("sysctl -w net/neigh/unres_qlen=7 net.ipv4.icmp_echo_ignore_all=1");
	assert_int_equal(neigh_params.queue_len, 7);
	assert_int_equal(icmp_params.echo_ignore_all, 1);
	s = run("sysctl net.ipv4.icmp_ratelimit");
	assert_string_equal(s, "net.ipv4.icmp_ratelimit = 250\n");
	free(s);
	s = run_json("sysctl net.neigh.unres_qlen");
	assert_string_equal(s, "{\"net.neigh.unres_qlen\":7}");
	free(s);
	s = run("sysctl -a");
	assert_contains(s, "net.ipv6.icmp.ratelimit = ");
	assert_contains(s, "net.neigh.base_reachable_time_ms = ");
	assert_contains(s, "net.neigh.gc_stale_time_ms = ");
	free(s);
	free(run_json("sysctl -a"));
	bad("sysctl net.ipv4.icmp_echo_ignore_all=2", "out of range");
	bad("sysctl net.ipv4.icmp_ratelimit=-1", "'-1'");
	bad("sysctl net.ipv4.icmp_ratelimit=12x", "'12x'");
	bad("sysctl net.ipv4.icmp_ratelimit=", "''");
	bad("sysctl net.ipv4.icmp_ratelimit=99999999999999999999", "'99999999999999999999'");
	bad("sysctl net.ipv4.nosuch=1", "unknown variable 'net.ipv4.nosuch'");
	/* all-or-nothing: the good first assignment is not applied */
	bad("sysctl net.ipv4.icmp_ratelimit=5 net.neigh.ucast_solicit=256", "'256'");
	assert_int_equal(icmp_params.ratelimit_ms, 250);
	bad("sysctl", "missing");
	bad("sysctl -a net.ipv4.icmp_ratelimit", "-a");
	icmp_params.ratelimit_ms = old;
	neigh_params.queue_len = oldq;
	icmp_params.echo_ignore_all = 0;
}

static void test_load_file(void **state)
{
	char path[] = "/tmp/usnet_ctl_test_XXXXXX", err[300];
	const char *good = "# setup\n"
			   "link add n0 type null\r\n"
			   "\n"
			   "addr add 10.1.0.1/24 dev n0\n"
			   "route add 10.9.0.0/16 via 10.1.0.2   # comment\n"
			   "link set n0 up";
	const char *badf = "link add n5 type null\n"
			   "addr add 10.5.0.1/24 dev n5\n"
			   "route add 10.0.0.0/33 via 10.5.0.2\n"
			   "link add n6 type null\n";
	int fd;
	char *s;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, good, strlen(good)), (ssize_t)strlen(good));
	close(fd);
	assert_int_equal(ctl_load_file(path, err, sizeof(err)), 0);
	assert_non_null(dev_by_name("n0"));
	assert_true(dev_by_name("n0")->admin_up);
	s = run("route show 10.9.0.0/16");
	assert_contains(s, "via 10.1.0.2");
	free(s);

	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, badf, strlen(badf)), (ssize_t)strlen(badf));
	close(fd);
	assert_int_equal(ctl_load_file(path, err, sizeof(err)), -1);
	{
		char want[200];
		snprintf(want, sizeof(want), "%s:3: route: invalid prefix '10.0.0.0/33'", path);
		assert_string_equal(err, want);
	}
	assert_null(dev_by_name("n6")); /* stopped at the first bad line */
	unlink(path);
	assert_int_equal(ctl_load_file(path, err, sizeof(err)), -1);
	assert_contains(err, path);
	assert_contains(err, "No such file");
}

static void test_many_words(void **state)
{
	char *line = malloc(300 * 3 + 16), *p;
	int i;

	(void)state;
	p = line + sprintf(line, "sysctl");
	for (i = 0; i < 300; i++)
		p += sprintf(p, " -w");
	bad(line, "too many words");
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dispatch_and_words, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_addr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_add_show, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_change_verbs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_multipath, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nexthop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_get_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule_vrf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multipath_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_route_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_neigh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysctl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_words, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
