/* Unit tests of the packet buffer (src/core/pkt.c, src/core/pkt.h):
 * allocation classes, push/pull/put/trim bounds, clones sharing data,
 * make_writable unsharing and rebasing header offsets, chains (copy_bits
 * across segments, linearize, copy), external buffers and the pool's
 * outstanding count. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/pkt.h"

static uint64_t base_outstanding;

static int setup(void **state)
{
	(void)state;
	base_outstanding = pkt_pool_outstanding();
	return 0;
}

/* Every test must give back every packet it took. */
static int teardown(void **state)
{
	(void)state;
	assert_int_equal(pkt_pool_outstanding(), base_outstanding);
	return 0;
}

/* A linear packet of len bytes with data[i] = (seed + i) & 0xff. */
static struct pkt *mk(uint32_t len, uint8_t seed)
{
	struct pkt *p = pkt_alloc(len);
	uint8_t *d;

	assert_non_null(p);
	d = pkt_put(p, len);
	assert_non_null(d);
	for (uint32_t i = 0; i < len; i++)
		d[i] = (uint8_t)(seed + i);
	return p;
}

/* A chain of segments with the given lengths holding the bytes
 * (seed + i) & 0xff, i counted over the whole chain. */
static struct pkt *mk_chain(const uint32_t *lens, unsigned n, uint8_t seed)
{
	struct pkt *head = NULL, *tail = NULL;
	uint32_t total = 0;

	for (unsigned s = 0; s < n; s++) {
		struct pkt *p = mk(lens[s], (uint8_t)(seed + total));
		total += lens[s];
		if (!head)
			head = p;
		else
			tail->next_seg = p;
		tail = p;
	}
	head->total_len = total;
	return head;
}

static void assert_pattern(const uint8_t *d, uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		if (d[i] != (uint8_t)(seed + i))
			fail_msg("byte %u is 0x%02x, expected 0x%02x", i, d[i],
				 (uint8_t)(seed + i));
}

static void test_alloc_empty(void **state)
{
	struct pkt *p = pkt_alloc(100);

	(void)state;
	assert_non_null(p);
	assert_int_equal(p->len, 0);
	assert_int_equal(p->total_len, 0);
	assert_null(p->next_seg);
	assert_int_equal(pkt_headroom(p), PKT_HEADROOM);
	assert_true(pkt_tailroom(p) >= 100);
	assert_int_equal(p->l2_off, PKT_OFF_UNSET);
	assert_int_equal(p->l3_off, PKT_OFF_UNSET);
	assert_int_equal(p->l4_off, PKT_OFF_UNSET);
	assert_int_equal(p->csum, PKT_CSUM_NONE);
	assert_int_equal(p->gso_size, 0);
	assert_false(pkt_is_shared(p));
	assert_true(pkt_is_linear(p));
	assert_int_equal(pkt_pool_outstanding(), base_outstanding + 1);
	pkt_free(p);
	assert_int_equal(pkt_pool_outstanding(), base_outstanding);
}

static void test_alloc_classes(void **state)
{
	struct pkt *small = pkt_alloc(PKT_BUF_SMALL);
	struct pkt *large = pkt_alloc(PKT_BUF_SMALL + 1);
	struct pkt *max = pkt_alloc(PKT_BUF_LARGE);

	(void)state;
	assert_non_null(small);
	assert_non_null(large);
	assert_non_null(max);
	assert_true(pkt_tailroom(small) >= PKT_BUF_SMALL);
	assert_true(pkt_tailroom(large) >= PKT_BUF_SMALL + 1);
	assert_true(pkt_tailroom(max) >= PKT_BUF_LARGE);
	/* a 64 KiB superpacket fits */
	assert_non_null(pkt_put(max, PKT_BUF_LARGE));
	assert_null(pkt_alloc(PKT_BUF_LARGE + 1));
	pkt_free(small);
	pkt_free(large);
	pkt_free(max);
	pkt_free(NULL);
}

static void test_push_pull_bounds(void **state)
{
	struct pkt *p = mk(64, 0);
	uint8_t *d0 = p->data;

	(void)state;
	assert_ptr_equal(pkt_push(p, 14), d0 - 14);
	assert_int_equal(p->len, 78);
	assert_int_equal(p->total_len, 78);
	assert_int_equal(pkt_headroom(p), PKT_HEADROOM - 14);
	/* not more than the headroom */
	assert_null(pkt_push(p, PKT_HEADROOM - 14 + 1));
	assert_int_equal(p->len, 78);
	assert_non_null(pkt_push(p, PKT_HEADROOM - 14));
	assert_int_equal(pkt_headroom(p), 0);
	assert_null(pkt_push(p, 1));

	assert_ptr_equal(pkt_pull(p, PKT_HEADROOM), d0);
	assert_int_equal(p->len, 64);
	assert_null(pkt_pull(p, 65));
	assert_int_equal(p->len, 64);
	assert_ptr_equal(pkt_pull(p, 64), d0 + 64);
	assert_int_equal(p->len, 0);
	assert_int_equal(p->total_len, 0);
	assert_null(pkt_pull(p, 1));
	pkt_free(p);
}

static void test_put_trim_bounds(void **state)
{
	struct pkt *p = pkt_alloc(10);
	uint32_t room;

	(void)state;
	assert_non_null(p);
	room = pkt_tailroom(p);
	assert_non_null(pkt_put(p, room - 1));
	assert_null(pkt_put(p, 2));
	assert_int_equal(p->len, room - 1);
	assert_non_null(pkt_put(p, 1));
	assert_int_equal(pkt_tailroom(p), 0);
	assert_null(pkt_put(p, 1));
	assert_int_equal(pkt_append(p, "x", 1), -1);

	pkt_trim(p, 100);
	assert_int_equal(p->len, 100);
	assert_int_equal(p->total_len, 100);
	pkt_trim(p, 200); /* longer: no-op */
	assert_int_equal(p->len, 100);
	assert_int_equal(pkt_tailroom(p), room - 100);
	assert_int_equal(pkt_append(p, "abc", 3), 0);
	assert_memory_equal(p->data + 100, "abc", 3);
	assert_int_equal(p->total_len, 103);
	pkt_free(p);
}

static void test_put_on_chain_refused(void **state)
{
	static const uint32_t lens[] = { 10, 10 };
	struct pkt *p = mk_chain(lens, 2, 0);

	(void)state;
	assert_null(pkt_put(p, 1));
	pkt_trim(p, 5); /* chains are not trimmed */
	assert_int_equal(p->total_len, 20);
	assert_int_equal(p->len, 10);
	pkt_free(p);
}

static void test_clone_shares_data(void **state)
{
	struct pkt *p = mk(300, 7), *c;

	(void)state;
	p->l3_off = pkt_off(p, p->data + 14);
	p->in_ifindex = 3;
	p->csum = PKT_CSUM_UNNECESSARY;
	c = pkt_clone(p);
	assert_non_null(c);
	assert_ptr_not_equal(c, p);
	assert_ptr_equal(c->buf, p->buf);
	assert_ptr_equal(c->data, p->data);
	assert_int_equal(c->len, 300);
	assert_int_equal(c->l3_off, p->l3_off);
	assert_int_equal(c->in_ifindex, 3);
	assert_int_equal(c->csum, PKT_CSUM_UNNECESSARY);
	assert_int_equal(p->buf->refcnt, 2);
	assert_true(pkt_is_shared(p));
	assert_true(pkt_is_shared(c));
	assert_int_equal(pkt_pool_outstanding(), base_outstanding + 2);

	/* metadata is private: pulling the clone does not move the original */
	assert_non_null(pkt_pull(c, 14));
	assert_int_equal(p->len, 300);

	pkt_free(p);
	assert_int_equal(c->buf->refcnt, 1);
	assert_false(pkt_is_shared(c));
	assert_pattern(c->data, 286, 7 + 14); /* data still alive */
	pkt_free(c);
}

static void test_clone_of_chain(void **state)
{
	static const uint32_t lens[] = { 100, 37, 250 };
	struct pkt *p = mk_chain(lens, 3, 1), *c;
	uint8_t buf[387];

	(void)state;
	c = pkt_clone(p);
	assert_non_null(c);
	assert_int_equal(c->total_len, 387);
	assert_non_null(c->next_seg);
	assert_non_null(c->next_seg->next_seg);
	assert_null(c->next_seg->next_seg->next_seg);
	assert_ptr_not_equal(c->next_seg, p->next_seg);
	assert_ptr_equal(c->next_seg->buf, p->next_seg->buf);
	assert_int_equal(p->next_seg->next_seg->buf->refcnt, 2);
	assert_int_equal(pkt_copy_bits(c, 0, buf, sizeof(buf)), 0);
	assert_pattern(buf, sizeof(buf), 1);
	pkt_free(p);
	assert_int_equal(c->next_seg->buf->refcnt, 1);
	pkt_free(c);
}

static void test_make_writable_unshares(void **state)
{
	struct pkt *p = mk(200, 3), *c;
	uint8_t *old_data;

	(void)state;
	p->l2_off = pkt_off(p, p->data);
	p->l3_off = pkt_off(p, p->data + 14);
	p->l4_off = pkt_off(p, p->data + 34);
	c = pkt_clone(p);
	assert_non_null(c);
	old_data = c->data;

	assert_int_equal(pkt_make_writable(c), 0);
	assert_ptr_not_equal(c->buf, p->buf);
	assert_false(pkt_is_shared(c));
	assert_false(pkt_is_shared(p));
	assert_int_equal(c->len, 200);
	assert_int_equal(c->total_len, 200);
	assert_pattern(c->data, 200, 3);
	/* offsets still name the same bytes */
	assert_ptr_equal(pkt_head(c) + c->l2_off, c->data);
	assert_ptr_equal(pkt_l3(c), c->data + 14);
	assert_ptr_equal(pkt_l4(c), c->data + 34);
	/* a write through the private copy leaves the original alone */
	c->data[0] = 0xee;
	assert_int_equal(p->data[0], 3);
	assert_ptr_equal(p->data, old_data);
	pkt_free(c);

	/* not shared, linear: nothing to do, nothing moves */
	old_data = p->data;
	assert_int_equal(pkt_make_writable(p), 0);
	assert_ptr_equal(p->data, old_data);
	pkt_free(p);
}

/* After pushing into the headroom the copy gets the standard headroom back;
 * every offset and the PARTIAL checksum start are rebased. */
static void test_make_writable_rebases_offsets(void **state)
{
	struct pkt *p = mk(100, 9), *c;
	uint8_t *l3;

	(void)state;
	assert_non_null(pkt_push(p, 100)); /* headroom 28 */
	memset(p->data, 0xab, 100);
	l3 = p->data + 14;
	p->l2_off = pkt_off(p, p->data);
	p->l3_off = pkt_off(p, l3);
	p->l4_off = pkt_off(p, l3 + 20);
	pkt_set_partial(p, l3 + 20, 16);
	c = pkt_clone(p);
	assert_non_null(c);
	assert_int_equal(pkt_make_writable(c), 0);
	assert_true(pkt_headroom(c) >= PKT_HEADROOM);
	assert_ptr_equal(pkt_head(c) + c->l2_off, c->data);
	assert_ptr_equal(pkt_l3(c), c->data + 14);
	assert_ptr_equal(pkt_l4(c), c->data + 34);
	assert_int_equal(c->csum, PKT_CSUM_PARTIAL);
	assert_ptr_equal(pkt_head(c) + c->csum_start, c->data + 34);
	assert_int_equal(c->csum_offset, 16);
	assert_pattern(c->data + 100, 100, 9);
	/* unset offsets stay unset */
	c->l4_off = PKT_OFF_UNSET;
	{
		struct pkt *c2 = pkt_clone(c);
		assert_non_null(c2);
		assert_int_equal(pkt_make_writable(c2), 0);
		assert_int_equal(c2->l4_off, PKT_OFF_UNSET);
		pkt_free(c2);
	}
	pkt_free(c);
	pkt_free(p);
}

static void test_copy_bits_across_segments(void **state)
{
	static const uint32_t lens[] = { 1, 7, 64, 3, 1000 };
	struct pkt *p = mk_chain(lens, 5, 0x40);
	uint8_t buf[1075];

	(void)state;
	assert_int_equal(p->total_len, 1075);
	/* every (offset, length) window across the segment boundaries */
	for (uint32_t off = 0; off < 80; off++) {
		for (uint32_t len = 0; off + len <= 80; len += 3) {
			memset(buf, 0, sizeof(buf));
			assert_int_equal(pkt_copy_bits(p, off, buf, len), 0);
			assert_pattern(buf, len, (uint8_t)(0x40 + off));
		}
	}
	assert_int_equal(pkt_copy_bits(p, 0, buf, 1075), 0);
	assert_pattern(buf, 1075, 0x40);
	assert_int_equal(pkt_copy_bits(p, 1074, buf, 1), 0);
	assert_int_equal(buf[0], (uint8_t)(0x40 + 1074));
	/* beyond the end */
	assert_int_equal(pkt_copy_bits(p, 0, buf, 1076), -1);
	assert_int_equal(pkt_copy_bits(p, 1075, buf, 1), -1);
	assert_int_equal(pkt_copy_bits(p, 2000, buf, 1), -1);
	pkt_free(p);
}

static void test_linearize_chain(void **state)
{
	static const uint32_t lens[] = { 60, 1, 1500, 333 };
	struct pkt *p = mk_chain(lens, 4, 0x11);

	(void)state;
	p->l2_off = pkt_off(p, p->data);
	p->l3_off = pkt_off(p, p->data + 14);
	assert_false(pkt_is_linear(p));
	assert_int_equal(pkt_pool_outstanding(), base_outstanding + 4);
	assert_int_equal(pkt_linearize(p), 0);
	assert_true(pkt_is_linear(p));
	assert_int_equal(p->len, 1894);
	assert_int_equal(p->total_len, 1894);
	assert_pattern(p->data, 1894, 0x11);
	assert_ptr_equal(pkt_l3(p), p->data + 14);
	assert_int_equal(pkt_pool_outstanding(), base_outstanding + 1);
	/* already linear: no-op */
	assert_int_equal(pkt_linearize(p), 0);
	pkt_free(p);
}

/* A chain that cannot fit the largest buffer cannot be linearized; the
 * packet is left as it was. */
static void test_linearize_too_big(void **state)
{
	static const uint32_t lens[] = { 40000, 40000 };
	struct pkt *p = mk_chain(lens, 2, 0);

	(void)state;
	assert_int_equal(pkt_linearize(p), -1);
	assert_false(pkt_is_linear(p));
	assert_int_equal(p->total_len, 80000);
	pkt_free(p);
}

static void test_copy_deep(void **state)
{
	static const uint32_t lens[] = { 20, 30 };
	struct pkt *p = mk_chain(lens, 2, 0x70), *c;

	(void)state;
	p->l3_off = pkt_off(p, p->data + 4);
	p->mark = 77;
	c = pkt_copy(p, 64);
	assert_non_null(c);
	assert_true(pkt_is_linear(c));
	assert_false(pkt_is_shared(c));
	assert_true(pkt_headroom(c) >= PKT_HEADROOM + 64);
	assert_int_equal(c->len, 50);
	assert_int_equal(c->total_len, 50);
	assert_pattern(c->data, 50, 0x70);
	assert_ptr_equal(pkt_l3(c), c->data + 4);
	assert_int_equal(c->mark, 77);
	assert_int_equal(p->buf->refcnt, 1);
	pkt_free(p);
	pkt_free(c);
}

struct ext_state {
	unsigned calls;
	struct pkt_buf *buf;
};

static void ext_free_cb(struct pkt_buf *b, void *arg)
{
	struct ext_state *s = arg;
	s->calls++;
	s->buf = b;
}

static void test_external_buffer(void **state)
{
	static uint8_t mem[512];
	struct ext_state st = { 0, NULL };
	struct pkt_buf *ext_buf;
	struct pkt *p, *c;

	(void)state;
	memset(mem, 0x5a, sizeof(mem));
	p = pkt_alloc_ext(mem, sizeof(mem), 32, ext_free_cb, &st);
	assert_non_null(p);
	assert_ptr_equal(p->data, mem + 32);
	assert_int_equal(pkt_headroom(p), 32);
	assert_int_equal(pkt_tailroom(p), 512 - 32);
	assert_non_null(pkt_put(p, 100));
	c = pkt_clone(p);
	assert_non_null(c);
	/* unsharing copies out of the external memory */
	assert_int_equal(pkt_make_writable(c), 0);
	assert_int_equal(st.calls, 0);
	assert_true(c->data < mem || c->data >= mem + sizeof(mem));
	assert_int_equal(c->len, 100);
	assert_int_equal(c->data[99], 0x5a);
	/* the last reference to the external memory lets it go, once */
	ext_buf = p->buf;
	pkt_free(p);
	assert_int_equal(st.calls, 1);
	assert_ptr_equal(st.buf, ext_buf);
	pkt_free(c);
	assert_int_equal(st.calls, 1);
}

static void test_pool_churn(void **state)
{
	struct pkt *v[600];

	(void)state;
	for (int round = 0; round < 3; round++) {
		for (unsigned i = 0; i < 600; i++) {
			v[i] = pkt_alloc(i % 3 ? 100 : 9000);
			assert_non_null(v[i]);
		}
		assert_int_equal(pkt_pool_outstanding(), base_outstanding + 600);
		for (unsigned i = 0; i < 600; i++)
			pkt_free(v[i]);
		assert_int_equal(pkt_pool_outstanding(), base_outstanding);
	}
	/* recycled buffers come back clean */
	v[0] = pkt_alloc(100);
	assert_int_equal(v[0]->len, 0);
	assert_int_equal(v[0]->buf->refcnt, 1);
	assert_int_equal(v[0]->l3_off, PKT_OFF_UNSET);
	pkt_free(v[0]);
	pkt_pool_thread_release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_alloc_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alloc_classes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_push_pull_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_trim_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_on_chain_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone_shares_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clone_of_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_make_writable_unshares, setup, teardown),
		cmocka_unit_test_setup_teardown(test_make_writable_rebases_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_bits_across_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linearize_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linearize_too_big, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_deep, setup, teardown),
		cmocka_unit_test_setup_teardown(test_external_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pool_churn, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	pkt_pool_thread_release();
	return rc;
}
