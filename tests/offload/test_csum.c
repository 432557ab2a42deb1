/* Unit tests of the Internet checksum (src/offload/csum.c) against a
 * byte-pair reference written from RFC 1071: the RFC's example, odd lengths
 * and alignments, sums across odd-length chain segments, RFC 1624
 * incremental updates, pseudo-headers, and the software completion of
 * PARTIAL checksums for TCP/UDP over IPv4 and IPv6. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "core/pkt.h"
#include "core/util.h"
#include "offload/csum.h"

/* ---- reference (RFC 1071 4.1, the straightforward loop) ------------------ */

static uint64_t ref_sum(const uint8_t *d, size_t len, uint64_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)d[i] << 8 | d[i + 1];
	if (len & 1)
		sum += (uint32_t)d[len - 1] << 8;
	return sum;
}

static uint16_t ref_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint64_t rng_state = 0x1234567887654321ull;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void fill_random(uint8_t *d, size_t len)
{
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)rnd();
}

/* ---- plain sums ---------------------------------------------------------- */

/* RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
static void test_rfc1071_example(void **state)
{
	static const uint8_t d[] = { 0x00, 0x01, 0xf2, 0x03,
				     0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(csum_fold(csum_partial(d, sizeof(d), 0)), 0xddf2);
	assert_int_equal(csum_finish(csum_partial(d, sizeof(d), 0)), 0x220d);
	/* split in two at an even boundary and added */
	assert_int_equal(csum_fold(csum_partial(d + 4, 4, csum_partial(d, 4, 0))),
			 0xddf2);
}

static void test_small_and_odd(void **state)
{
	static const uint8_t one[] = { 0xab };
	static const uint8_t three[] = { 0x12, 0x34, 0x56 };
	static const uint8_t ff[] = { 0xff, 0xff, 0xff, 0xff };

	(void)state;
	assert_int_equal(csum_fold(csum_partial(one, 0, 0)), 0);
	/* an odd last byte is the high byte of a word padded with zero */
	assert_int_equal(csum_fold(csum_partial(one, 1, 0)), 0xab00);
	assert_int_equal(csum_fold(csum_partial(three, 3, 0)), 0x1234 + 0x5600);
	/* end-around carry */
	assert_int_equal(csum_fold(csum_partial(ff, 4, 0)), 0xffff);
	assert_int_equal(csum_fold(csum_partial(three, 2, 0xffff)), 0x1234);
}

/* Every length 0..300 at every alignment 0..7, with and without an
 * initial sum, equals the reference. */
static void test_random_lengths_alignments(void **state)
{
	uint8_t buf[320];

	(void)state;
	for (int round = 0; round < 20; round++) {
		fill_random(buf, sizeof(buf));
		for (size_t align = 0; align < 8; align++) {
			for (size_t len = 0; len <= 300; len++) {
				uint32_t init = round & 1 ? rnd() & 0xffff : 0;
				uint16_t got = csum_fold(csum_partial(buf + align, len, init));
				uint16_t want = ref_fold(ref_sum(buf + align, len, init));
				if (got != want)
					fail_msg("len %zu align %zu init %x: got %04x want %04x",
						 len, align, init, got, want);
			}
		}
	}
}

static void test_large_buffer(void **state)
{
	size_t len = 65535;
	uint8_t *buf = malloc(len);

	(void)state;
	assert_non_null(buf);
	memset(buf, 0xff, len);
	assert_int_equal(csum_fold(csum_partial(buf, len, 0)),
			 ref_fold(ref_sum(buf, len, 0)));
	fill_random(buf, len);
	assert_int_equal(csum_fold(csum_partial(buf, len, 0)),
			 ref_fold(ref_sum(buf, len, 0)));
	free(buf);
}

static void test_ip4_header(void **state)
{
	/* a real header (Wikipedia's example): checksum b861 */
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
			  0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01,
			  0xc0, 0xa8, 0x00, 0xc7 };

	(void)state;
	assert_int_equal(csum_ip4_header(h, 20), 0); /* valid, included */
	h[10] = h[11] = 0;
	assert_int_equal(csum_ip4_header(h, 20), 0xb861);
	h[8] = 0x3f; /* a changed TTL no longer verifies */
	h[10] = 0xb8;
	h[11] = 0x61;
	assert_int_not_equal(csum_ip4_header(h, 20), 0);
}

/* ---- chains -------------------------------------------------------------- */

static struct pkt *mk_seg(const uint8_t *d, uint32_t len)
{
	struct pkt *p = pkt_alloc(len);
	assert_non_null(p);
	memcpy(pkt_put(p, len), d, len);
	return p;
}

/* Cut `d` into a chain at the given lengths (the rest in the last). */
static struct pkt *mk_chain(const uint8_t *d, uint32_t total,
			    const uint32_t *lens, unsigned n)
{
	struct pkt *head = NULL, *tail = NULL;
	uint32_t off = 0;

	for (unsigned i = 0; i <= n && off < total; i++) {
		uint32_t l = i < n ? MIN(lens[i], total - off) : total - off;
		struct pkt *s = mk_seg(d + off, l);
		if (!head)
			head = s;
		else
			tail->next_seg = s;
		tail = s;
		off += l;
	}
	head->total_len = total;
	return head;
}

static void test_chain_odd_segments(void **state)
{
	uint8_t buf[3000];
	uint64_t before = pkt_pool_outstanding();

	(void)state;
	for (int round = 0; round < 200; round++) {
		uint32_t lens[6];
		uint32_t total = 1 + rnd() % sizeof(buf);
		struct pkt *p;

		for (unsigned i = 0; i < 6; i++)
			lens[i] = 1 + rnd() % 700;
		if (round < 100)
			for (unsigned i = 0; i < 6; i++)
				lens[i] |= 1; /* all odd */
		fill_random(buf, total);
		p = mk_chain(buf, total, lens, 6);
		for (int k = 0; k < 20; k++) {
			uint32_t off = rnd() % total;
			uint32_t len = rnd() % (total - off + 1);
			uint16_t got = csum_fold(csum_pkt(p, off, len, 0));
			uint16_t want = csum_fold(csum_partial(buf + off, len, 0));
			if (got != want)
				fail_msg("round %d off %u len %u: chain %04x linear %04x",
					 round, off, len, got, want);
		}
		assert_int_equal(csum_fold(csum_pkt(p, 0, total, 0x1234)),
				 ref_fold(ref_sum(buf, total, 0x1234)));
		pkt_free(p);
	}
	assert_int_equal(pkt_pool_outstanding(), before);
}

/* ---- incremental update (RFC 1624) --------------------------------------- */

static void test_replace2_equals_recompute(void **state)
{
	uint8_t h[20];

	(void)state;
	for (int round = 0; round < 20000; round++) {
		unsigned word;
		uint16_t old, neww;

		fill_random(h, sizeof(h));
		h[0] = 0x45;
		if (h[8] == 0)
			h[8] = 1;
		h[10] = h[11] = 0;
		put_be16(h + 10, csum_ip4_header(h, 20));
		/* any word but the checksum; every 4th round a TTL decrement */
		if (round % 4 == 0) {
			word = 8;
			old = get_be16(h + 8);
			neww = (uint16_t)(old - 0x100);
		} else {
			do
				word = 2 * (rnd() % 10);
			while (word == 10);
			old = get_be16(h + word);
			neww = (uint16_t)rnd();
		}
		put_be16(h + word, neww);
		csum_replace2(h + 10, old, neww);
		if (csum_ip4_header(h, 20) != 0) {
			uint16_t inc = get_be16(h + 10);
			put_be16(h + 10, 0);
			fail_msg("round %d word %u %04x->%04x: incremental %04x, recomputed %04x",
				 round, word, old, neww, inc,
				 csum_ip4_header(h, 20));
		}
		{
			uint16_t inc = get_be16(h + 10);
			put_be16(h + 10, 0);
			assert_int_equal(inc, csum_ip4_header(h, 20));
		}
	}
}

static void test_replace4_address(void **state)
{
	uint8_t h[20];

	(void)state;
	for (int round = 0; round < 5000; round++) {
		uint32_t old, neww;
		fill_random(h, sizeof(h));
		h[0] = 0x45;
		h[10] = h[11] = 0;
		put_be16(h + 10, csum_ip4_header(h, 20));
		old = get_be32(h + 12);
		neww = rnd() ^ (rnd() << 16);
		put_be32(h + 12, neww);
		csum_replace4(h + 10, old, neww);
		assert_int_equal(csum_ip4_header(h, 20), 0);
	}
}

/* ---- pseudo-headers ------------------------------------------------------ */

static void test_pseudo_headers(void **state)
{
	uint8_t ph[40];
	uint8_t s6[16], d6[16];
	uint32_t s4, d4;

	(void)state;
	for (int round = 0; round < 1000; round++) {
		uint32_t len = rnd() % 70000;
		uint8_t proto = round & 1 ? IPPROTO_TCP : IPPROTO_UDP;

		fill_random(ph, 12);
		memcpy(&s4, ph, 4);
		memcpy(&d4, ph + 4, 4);
		ph[8] = 0;
		ph[9] = proto;
		put_be16(ph + 10, (uint16_t)len);
		/* RFC 793/768: 16-bit length; longer lengths only for v6 */
		if (len <= 0xffff)
			assert_int_equal(csum_fold(csum_pseudo4(s4, d4, proto, len)),
					 ref_fold(ref_sum(ph, 12, 0)));

		fill_random(s6, 16);
		fill_random(d6, 16);
		memcpy(ph, s6, 16);
		memcpy(ph + 16, d6, 16);
		put_be32(ph + 32, len); /* RFC 8200 8.1: 32-bit length */
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = proto;
		assert_int_equal(csum_fold(csum_pseudo6(s6, d6, proto, len)),
				 ref_fold(ref_sum(ph, 40, 0)));
	}
}

/* ---- PARTIAL completion -------------------------------------------------- */

/* From-scratch L4 checksum of [l4, l4 + l4_len) in a frame with the field
 * taken as zero, over the family's pseudo-header; UDP's 0 becomes ffff. */
static uint16_t ref_l4_csum(const uint8_t *frame, uint32_t l3, uint32_t l4,
			    uint32_t l4_len, bool v6, uint8_t proto,
			    unsigned field)
{
	uint8_t ph[40];
	uint8_t *seg = malloc(l4_len);
	uint64_t sum;
	uint16_t c;

	assert_non_null(seg);
	memcpy(seg, frame + l4, l4_len);
	seg[field] = seg[field + 1] = 0;
	if (v6) {
		memcpy(ph, frame + l3 + 8, 32);
		put_be32(ph + 32, l4_len);
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = proto;
		sum = ref_sum(ph, 40, 0);
	} else {
		memcpy(ph, frame + l3 + 12, 8);
		ph[8] = 0;
		ph[9] = proto;
		put_be16(ph + 10, (uint16_t)l4_len);
		sum = ref_sum(ph, 12, 0);
	}
	c = (uint16_t)~ref_fold(ref_sum(seg, l4_len, sum));
	free(seg);
	if (c == 0 && proto == IPPROTO_UDP)
		c = 0xffff;
	return c;
}

/* Build Ethernet + IP + L4 (+payload) in a linear packet (or a chain cut at
 * `cut` when non-zero); field holds the pseudo-header sum, state PARTIAL. */
static struct pkt *mk_partial(bool v6, uint8_t proto, uint32_t payload,
			      uint32_t cut, uint8_t *frame_out,
			      uint32_t *frame_len)
{
	uint32_t l3 = 14, l3len = v6 ? 40 : 20, l4 = l3 + l3len;
	uint32_t l4hdr = proto == IPPROTO_TCP ? 20 : 8;
	uint32_t l4_len = l4hdr + payload, total = l4 + l4_len;
	unsigned field = proto == IPPROTO_TCP ? 16 : 6;
	uint8_t *f = frame_out;
	uint32_t sum;
	struct pkt *p;

	fill_random(f, total);
	put_be16(f + 12, v6 ? 0x86dd : 0x0800);
	if (v6) {
		f[l3] = 0x60;
		put_be16(f + l3 + 4, (uint16_t)l4_len);
		f[l3 + 6] = proto;
		sum = csum_pseudo6(f + l3 + 8, f + l3 + 24, proto, l4_len);
	} else {
		uint32_t sa, da;
		f[l3] = 0x45;
		put_be16(f + l3 + 2, (uint16_t)(20 + l4_len));
		f[l3 + 9] = proto;
		memcpy(&sa, f + l3 + 12, 4);
		memcpy(&da, f + l3 + 16, 4);
		sum = csum_pseudo4(sa, da, proto, l4_len);
	}
	if (proto == IPPROTO_TCP)
		f[l4 + 12] = 5 << 4;
	else
		put_be16(f + l4 + 4, (uint16_t)l4_len);
	put_be16(f + l4 + field, csum_fold(sum));
	if (cut) {
		uint32_t lens[3] = { cut, 333, 1 };
		p = mk_chain(f, total, lens, 3);
	} else {
		p = mk_seg(f, total);
	}
	p->l3_off = pkt_off(p, p->data + l3);
	p->l4_off = pkt_off(p, p->data + l4);
	p->l3_family = v6 ? AF_INET6 : AF_INET;
	p->l4_proto = proto;
	pkt_set_partial(p, p->data + l4, (uint16_t)field);
	*frame_len = total;
	return p;
}

static void check_complete(bool v6, uint8_t proto, uint32_t payload,
			   uint32_t cut)
{
	static uint8_t frame[70000];
	uint32_t len;
	uint32_t l4 = 14 + (v6 ? 40u : 20u);
	unsigned field = proto == IPPROTO_TCP ? 16 : 6;
	struct pkt *p = mk_partial(v6, proto, payload, cut, frame, &len);
	uint16_t want = ref_l4_csum(frame, 14, l4, len - l4, v6, proto, field);
	uint8_t got[2];

	assert_int_equal(csum_complete_partial(p), 0);
	assert_int_equal(p->csum, PKT_CSUM_NONE);
	assert_int_equal(pkt_copy_bits(p, l4 + field, got, 2), 0);
	if (get_be16(got) != want)
		fail_msg("%s %s payload %u cut %u: got %04x want %04x",
			 v6 ? "v6" : "v4", proto == IPPROTO_TCP ? "tcp" : "udp",
			 payload, cut, get_be16(got), want);
	/* and the receiver's check agrees */
	p->csum = PKT_CSUM_NONE;
	assert_true(csum_l4_ok(p));
	pkt_free(p);
}

static void test_complete_partial(void **state)
{
	static const uint32_t payloads[] = { 0, 1, 2, 3, 17, 1000, 1459, 8999 };

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(payloads); i++) {
		for (int v6 = 0; v6 < 2; v6++) {
			check_complete(v6, IPPROTO_TCP, payloads[i], 0);
			check_complete(v6, IPPROTO_UDP, payloads[i], 0);
		}
	}
}

/* PARTIAL completion over a chain whose first segment holds the headers
 * and odd-length segments follow. */
static void test_complete_partial_chain(void **state)
{
	(void)state;
	for (int v6 = 0; v6 < 2; v6++) {
		uint32_t hdr = 14 + (v6 ? 40u : 20u) + 20u;
		check_complete(v6, IPPROTO_TCP, 3000, hdr);
		check_complete(v6, IPPROTO_TCP, 3000, hdr + 1);
		check_complete(v6, IPPROTO_UDP, 2999, hdr - 12 + 1);
	}
}

/* A UDP datagram whose checksum computes to 0 is sent as ffff (RFC 768);
 * the payload is tuned so that the sum is exactly ffff. */
static void test_complete_partial_udp_zero(void **state)
{
	static uint8_t frame[200];
	uint32_t len, l4 = 34;
	struct pkt *p = mk_partial(false, IPPROTO_UDP, 100, 0, frame, &len);
	uint16_t c = ref_l4_csum(frame, 14, l4, len - l4, false, IPPROTO_UDP, 6);
	uint8_t *word = p->data + l4 + 8; /* first payload word */
	uint32_t s;

	(void)state;
	/* adding c to a payload word makes the ones-complement sum ffff */
	s = get_be16(word) + (uint32_t)c;
	put_be16(word, ref_fold(s));
	memcpy(frame + l4 + 8, word, 2);
	assert_int_equal(ref_l4_csum(frame, 14, l4, len - l4, false,
				     IPPROTO_UDP, 6),
			 0xffff);
	assert_int_equal(csum_complete_partial(p), 0);
	assert_int_equal(get_be16(p->data + l4 + 6), 0xffff);
	pkt_free(p);
}

static void test_complete_partial_out_of_range(void **state)
{
	static uint8_t frame[200];
	uint32_t len;
	struct pkt *p = mk_partial(false, IPPROTO_TCP, 10, 0, frame, &len);

	(void)state;
	p->csum_offset = (uint16_t)(len); /* field beyond the end */
	assert_int_equal(csum_complete_partial(p), -1);
	p->csum_offset = 16;
	p->csum_start = (uint16_t)(pkt_headroom(p) - 2); /* before the data */
	assert_int_equal(csum_complete_partial(p), -1);
	p->csum_start = (uint16_t)(pkt_headroom(p) + len + 10);
	p->csum_offset = 0;
	assert_int_equal(csum_complete_partial(p), -1);
	/* nothing was written */
	assert_memory_equal(p->data, frame, len);
	pkt_free(p);
}

/* csum_l4_ok rejects a corrupted segment and accepts UNNECESSARY. */
static void test_l4_ok(void **state)
{
	static uint8_t frame[3000];
	uint32_t len;
	struct pkt *p = mk_partial(true, IPPROTO_UDP, 1000, 0, frame, &len);

	(void)state;
	assert_int_equal(csum_complete_partial(p), 0);
	assert_true(csum_l4_ok(p));
	p->data[len - 1] ^= 0x01;
	assert_false(csum_l4_ok(p));
	p->csum = PKT_CSUM_UNNECESSARY;
	assert_true(csum_l4_ok(p));
	pkt_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1071_example),
		cmocka_unit_test(test_small_and_odd),
		cmocka_unit_test(test_random_lengths_alignments),
		cmocka_unit_test(test_large_buffer),
		cmocka_unit_test(test_ip4_header),
		cmocka_unit_test(test_chain_odd_segments),
		cmocka_unit_test(test_replace2_equals_recompute),
		cmocka_unit_test(test_replace4_address),
		cmocka_unit_test(test_pseudo_headers),
		cmocka_unit_test(test_complete_partial),
		cmocka_unit_test(test_complete_partial_chain),
		cmocka_unit_test(test_complete_partial_udp_zero),
		cmocka_unit_test(test_complete_partial_out_of_range),
		cmocka_unit_test(test_l4_ok),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	pkt_pool_thread_release();
	return rc;
}
