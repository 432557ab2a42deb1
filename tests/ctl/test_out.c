/* Unit tests for the command output buffer (src/ctl/out.c): text mode,
 * JSON nesting, escaping and well-formedness, failure handling. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "ctl/out.h"
#include "json_check.h"

static void test_text_mode(void **state)
{
	struct ctl_out o;

	(void)state;
	out_init(&o, false);
	out_text(&o, "%u: %s\n", 1u, "p0");
	out_obj_begin(&o, NULL);   /* JSON calls are ignored in text mode */
	out_str(&o, "k", "v");
	out_u64(&o, "n", 5);
	out_obj_end(&o);
	out_text(&o, "x=%d", -3);
	assert_string_equal(o.buf, "1: p0\nx=-3");
	assert_int_equal(o.len, strlen("1: p0\nx=-3"));
	assert_false(o.oom);
	out_fini(&o);
}

static void test_json_nesting(void **state)
{
	struct ctl_out o;

	(void)state;
	out_init(&o, true);
	out_text(&o, "ignored %d\n", 1);
	out_arr_begin(&o, NULL);
	out_obj_begin(&o, NULL);
	out_u64(&o, "ifindex", 1);
	out_str(&o, "ifname", "p0");
	out_arr_begin(&o, "features");
	out_str(&o, NULL, "sg");
	out_str(&o, NULL, "csum");
	out_arr_end(&o);
	out_i64(&o, "worker", -1);
	out_bool(&o, "up", true);
	out_bool(&o, "down", false);
	out_obj_begin(&o, "empty");
	out_obj_end(&o);
	out_obj_end(&o);
	out_obj_begin(&o, NULL);
	out_u64(&o, "big", UINT64_MAX);
	out_i64(&o, "min", INT64_MIN);
	out_obj_end(&o);
	out_arr_end(&o);
	assert_false(o.oom);
	assert_int_equal(o.depth, 0);
	assert_string_equal(o.buf,
		"[{\"ifindex\":1,\"ifname\":\"p0\",\"features\":[\"sg\",\"csum\"],"
		"\"worker\":-1,\"up\":true,\"down\":false,\"empty\":{}},"
		"{\"big\":18446744073709551615,\"min\":-9223372036854775808}]");
	assert_true(json_valid(o.buf));
	out_fini(&o);
}

static void test_json_escaping(void **state)
{
	struct ctl_out o;

	(void)state;
	out_init(&o, true);
	out_obj_begin(&o, NULL);
	out_str(&o, "q\"k", "a\"b\\c\nd\te\r\x01\x1f\x7f");
	out_str(&o, "utf8", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	out_str(&o, "bad", "x\xff" "y\xc3" "z\xed\xa0\x80" "w\xc0\xaf");
	out_str(&o, "null", NULL);
	out_obj_end(&o);
	assert_false(o.oom);
	assert_string_equal(o.buf,
		"{\"q\\\"k\":\"a\\\"b\\\\c\\nd\\te\\r\\u0001\\u001f\\u007f\","
		"\"utf8\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\","
		"\"bad\":\"x\\ufffdy\\ufffdz\\ufffd\\ufffd\\ufffdw\\ufffd\\ufffd\","
		"\"null\":\"\"}");
	assert_true(json_valid(o.buf));
	out_fini(&o);
}

static void test_json_every_byte(void **state)
{
	struct ctl_out o;
	char s[2] = "";
	unsigned c;

	(void)state;
	out_init(&o, true);
	out_arr_begin(&o, NULL);
	for (c = 1; c < 256; c++) {
		s[0] = (char)c;
		out_str(&o, NULL, s);
	}
	out_arr_end(&o);
	assert_false(o.oom);
	assert_true(json_valid(o.buf));
	out_fini(&o);
}

static void test_json_errors(void **state)
{
	struct ctl_out o;
	int i;

	(void)state;
	/* two top-level documents are refused */
	out_init(&o, true);
	out_obj_begin(&o, NULL);
	out_obj_end(&o);
	assert_false(o.oom);
	out_obj_begin(&o, NULL);
	assert_true(o.oom);
	out_fini(&o);

	/* too deep */
	out_init(&o, true);
	for (i = 0; i < OUT_DEPTH_MAX + 2; i++)
		out_arr_begin(&o, NULL);
	assert_true(o.oom);
	out_fini(&o);

	/* end without begin */
	out_init(&o, true);
	out_arr_end(&o);
	assert_true(o.oom);

	/* reset clears the failure and the content, keeps the mode */
	out_reset(&o);
	assert_false(o.oom);
	assert_true(o.json);
	assert_int_equal(o.len, 0);
	out_arr_begin(&o, NULL);
	out_u64(&o, NULL, 7);
	out_arr_end(&o);
	assert_string_equal(o.buf, "[7]");
	out_fini(&o);
}

static void test_top_level_key_ignored(void **state)
{
	struct ctl_out o;

	(void)state;
	out_init(&o, true);
	out_obj_begin(&o, "ignored");
	out_u64(&o, "a", 1);
	out_obj_end(&o);
	assert_string_equal(o.buf, "{\"a\":1}");
	out_fini(&o);
}

static void test_growth(void **state)
{
	struct ctl_out o;
	char name[32];
	int i;

	(void)state;
	out_init(&o, true);
	out_arr_begin(&o, NULL);
	for (i = 0; i < 100000; i++) {
		snprintf(name, sizeof(name), "dev%d", i);
		out_obj_begin(&o, NULL);
		out_str(&o, "ifname", name);
		out_u64(&o, "i", (uint64_t)i);
		out_obj_end(&o);
	}
	out_arr_end(&o);
	assert_false(o.oom);
	assert_true(o.len > 100000 * 20);
	assert_int_equal(strlen(o.buf), o.len);
	assert_true(json_valid(o.buf));
	assert_non_null(strstr(o.buf, "{\"ifname\":\"dev99999\",\"i\":99999}]"));
	out_fini(&o);

	out_init(&o, false);
	for (i = 0; i < 50000; i++)
		out_text(&o, "line %d\n", i);
	assert_int_equal(strlen(o.buf), o.len);
	assert_non_null(strstr(o.buf, "line 49999\n"));
	out_fini(&o);
}

static void test_addr_mac(void **state)
{
	char buf[46], mb[18];
	uint8_t a4[4] = { 10, 1, 0, 1 }, a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint8_t mac[6] = { 0x02, 0xab, 0x00, 0x0f, 0xff, 0x10 };

	(void)state;
	assert_string_equal(out_addr(AF_INET, a4, buf), "10.1.0.1");
	a6[15] = 1;
	assert_string_equal(out_addr(AF_INET6, a6, buf), "2001:db8::1");
	assert_string_equal(out_mac(mac, mb), "02:ab:00:0f:ff:10");
}

/* The validator itself must reject broken documents, or the other tests
 * prove nothing. */
static void test_validator(void **state)
{
	(void)state;
	assert_true(json_valid("[]"));
	assert_true(json_valid(" {\"a\":[1,-2.5e3,true,null,\"\\u00e9\"]} "));
	assert_false(json_valid(""));
	assert_false(json_valid("[1,]"));
	assert_false(json_valid("{\"a\" 1}"));
	assert_false(json_valid("{}{}"));
	assert_false(json_valid("[\"a\nb\"]"));
	assert_false(json_valid("[01]"));
	assert_false(json_valid("{\"a\":1"));
	assert_false(json_valid("[\"\\x\"]"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_mode),
		cmocka_unit_test(test_json_nesting),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_json_every_byte),
		cmocka_unit_test(test_json_errors),
		cmocka_unit_test(test_top_level_key_ignored),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_addr_mac),
		cmocka_unit_test(test_validator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
