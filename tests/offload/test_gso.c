/* Unit tests of software GSO (src/offload/gso.c) and the transmit fix-up
 * (src/offload/tx_fixup.c): TCPv4/TCPv6 superpackets of ~64 KB and UDP
 * (USO) superpackets are cut into the right segments (lengths, IPv4 ids,
 * sequence numbers, FIN/PSH/CWR placement, checksums with and without
 * checksum offload), malformed superpackets are refused, and tx_fixup
 * segments / completes / linearizes only what the device lacks. Every
 * checksum is checked with an independent byte-pair sum. */
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
#include "dev/dev.h"
#include "offload/csum.h"
#include "offload/gso.h"
#include "offload/tx_fixup.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

#define MSS 1448u
#define SEQ0 0xfffff000u /* wraps during the superpacket */
#define ID0 0xfff0u      /* wraps too */

static uint64_t base_outstanding;

/* ---- independent checksum reference -------------------------------------- */

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

/* Sum of the pseudo-header for the L4 segment at l4 of a frame (L3 at 14). */
static uint64_t ref_pseudo(const uint8_t *f, bool v6, uint8_t proto,
			   uint32_t l4_len)
{
	uint8_t ph[40];

	if (v6) {
		memcpy(ph, f + 14 + 8, 32);
		put_be32(ph + 32, l4_len);
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = proto;
		return ref_sum(ph, 40, 0);
	}
	memcpy(ph, f + 14 + 12, 8);
	ph[8] = 0;
	ph[9] = proto;
	put_be16(ph + 10, (uint16_t)l4_len);
	return ref_sum(ph, 12, 0);
}

/* ---- superpacket construction -------------------------------------------- */

struct sp_spec {
	bool v6, udp;
	uint32_t payload;
	uint16_t gso_size;
	uint8_t tcp_flags;
	uint32_t tcp_opts;   /* bytes of TCP options (multiple of 4) */
	uint32_t chain_cut;  /* 0: linear; else cut the frame into a chain */
};

static uint32_t l4_off_of(const struct sp_spec *s)
{
	return 14 + (s->v6 ? 40u : 20u);
}

static uint32_t hdr_len_of(const struct sp_spec *s)
{
	return l4_off_of(s) + (s->udp ? 8u : 20u + s->tcp_opts);
}

static uint8_t payload_byte(uint32_t i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

/* The frame bytes of a superpacket (caller frees). */
static uint8_t *sp_frame(const struct sp_spec *s, uint32_t *len)
{
	uint32_t l4 = l4_off_of(s), hdr = hdr_len_of(s);
	uint32_t total = hdr + s->payload;
	uint8_t *f = calloc(1, total);
	uint8_t *ip = f + 14, *th = f + l4;
	uint8_t proto = s->udp ? IPPROTO_UDP : IPPROTO_TCP;

	assert_non_null(f);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	put_be16(f + 12, s->v6 ? 0x86dd : 0x0800);
	if (s->v6) {
		put_be32(ip, 0x60012345u);
		put_be16(ip + 4, (uint16_t)(total - 14 - 40));
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, "\x20\x01\x0d\xb8\x00\x01\0\0\0\0\0\0\0\0\0\x02", 16);
		memcpy(ip + 24, "\x20\x01\x0d\xb8\x00\x02\0\0\0\0\0\0\0\0\0\x02", 16);
	} else {
		ip[0] = 0x45;
		ip[1] = 0x10;
		put_be16(ip + 2, (uint16_t)(total - 14 > 0xffff ? 0 : total - 14));
		put_be16(ip + 4, ID0);
		put_be16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, "\x0a\x01\x00\x02", 4);
		memcpy(ip + 16, "\x0a\x02\x00\x02", 4);
		put_be16(ip + 10, csum_ip4_header(ip, 20));
	}
	put_be16(th, 40000);
	put_be16(th + 2, 5001);
	if (s->udp) {
		put_be16(th + 4, (uint16_t)(total - l4));
	} else {
		put_be32(th + 4, SEQ0);
		put_be32(th + 8, 0x01020304);
		th[12] = (uint8_t)((20 + s->tcp_opts) / 4 << 4);
		th[13] = s->tcp_flags;
		put_be16(th + 14, 65000);
		for (uint32_t i = 0; i < s->tcp_opts; i++)
			th[20 + i] = 1; /* NOP */
	}
	for (uint32_t i = 0; i < s->payload; i++)
		f[hdr + i] = payload_byte(i);
	*len = total;
	return f;
}

static struct pkt *seg_of(const uint8_t *d, uint32_t len)
{
	struct pkt *p = pkt_alloc(len);
	assert_non_null(p);
	memcpy(pkt_put(p, len), d, len);
	return p;
}

/* A superpacket as the input path leaves it: offsets set, PARTIAL checksum
 * with the pseudo-header sum in the field (as virtio-net delivers it). */
static struct pkt *sp_make(const struct sp_spec *s)
{
	uint32_t len, l4 = l4_off_of(s);
	uint8_t *f = sp_frame(s, &len);
	uint8_t proto = s->udp ? IPPROTO_UDP : IPPROTO_TCP;
	uint16_t field = s->udp ? 6 : 16;
	struct pkt *p;

	put_be16(f + l4 + field, ref_fold(ref_pseudo(f, s->v6, proto, len - l4)));
	if (s->chain_cut) {
		struct pkt *tail;
		uint32_t off = s->chain_cut;
		p = seg_of(f, s->chain_cut);
		tail = p;
		while (off < len) {
			uint32_t n = MIN(len - off, 4093u); /* odd pieces */
			tail->next_seg = seg_of(f + off, n);
			tail = tail->next_seg;
			off += n;
		}
		p->total_len = len;
	} else {
		p = seg_of(f, len);
	}
	free(f);
	p->l2_off = pkt_off(p, p->data);
	p->l3_off = pkt_off(p, p->data + 14);
	p->l4_off = pkt_off(p, p->data + l4);
	p->l3_family = s->v6 ? AF_INET6 : AF_INET;
	p->l4_proto = proto;
	pkt_set_partial(p, p->data + l4, field);
	p->gso_size = s->gso_size;
	p->gso_type = s->udp ? PKT_GSO_UDP_L4
			     : (s->v6 ? PKT_GSO_TCPV6 : PKT_GSO_TCPV4);
	p->mark = 42;
	p->in_ifindex = 7;
	return p;
}

static void free_list(struct pkt *l)
{
	while (l) {
		struct pkt *n = l->qnext;
		pkt_free(l);
		l = n;
	}
}

static unsigned list_len(const struct pkt *l)
{
	unsigned n = 0;
	for (; l; l = l->qnext)
		n++;
	return n;
}

/* ---- segment checks ------------------------------------------------------ */

/* The checksum of segment s verifies from scratch: completing a PARTIAL
 * one first when `offload` (the field must then hold the pseudo sum). */
static void check_l4_csum(struct pkt *s, const struct sp_spec *spec,
			  bool offload, unsigned idx)
{
	uint32_t l4 = l4_off_of(spec), l4_len = s->len - l4;
	uint8_t proto = spec->udp ? IPPROTO_UDP : IPPROTO_TCP;
	uint16_t field = spec->udp ? 6 : 16;
	uint64_t ph = ref_pseudo(s->data, spec->v6, proto, l4_len);

	if (offload) {
		assert_int_equal(s->csum, PKT_CSUM_PARTIAL);
		assert_ptr_equal(pkt_head(s) + s->csum_start, s->data + l4);
		assert_int_equal(s->csum_offset, field);
		if (get_be16(s->data + l4 + field) != ref_fold(ph))
			fail_msg("segment %u: PARTIAL field %04x, pseudo sum %04x",
				 idx, get_be16(s->data + l4 + field),
				 ref_fold(ph));
		assert_int_equal(csum_complete_partial(s), 0);
	} else {
		assert_int_not_equal(s->csum, PKT_CSUM_PARTIAL);
	}
	if (ref_fold(ref_sum(s->data + l4, l4_len, ph)) != 0xffff)
		fail_msg("segment %u: L4 checksum %04x does not verify", idx,
			 get_be16(s->data + l4 + field));
}

/* All segments of a superpacket built from spec. */
static void check_segments(struct pkt *segs, const struct sp_spec *spec,
			   bool offload)
{
	uint32_t hdr = hdr_len_of(spec), l4 = l4_off_of(spec);
	unsigned want = (spec->payload + spec->gso_size - 1) / spec->gso_size;
	uint32_t off = 0;
	unsigned i = 0;
	uint32_t flen;
	uint8_t *orig = sp_frame(spec, &flen);

	assert_int_equal(list_len(segs), want);
	for (struct pkt *s = segs; s; s = s->qnext, i++) {
		uint32_t n = MIN(spec->gso_size, spec->payload - off);
		const uint8_t *ip = s->data + 14, *th = s->data + l4;
		bool last = i == want - 1;

		assert_true(pkt_is_linear(s));
		assert_int_equal(s->len, hdr + n);
		assert_int_equal(s->total_len, hdr + n);
		assert_int_equal(s->gso_size, 0);
		assert_int_equal(s->mark, 42);
		assert_int_equal(s->in_ifindex, 7);
		assert_ptr_equal(pkt_l3(s), s->data + 14);
		assert_ptr_equal(pkt_l4(s), s->data + l4);
		/* Ethernet header copied, payload bytes in order */
		assert_memory_equal(s->data, orig, 14);
		for (uint32_t k = 0; k < n; k++)
			if (s->data[hdr + k] != payload_byte(off + k))
				fail_msg("segment %u byte %u wrong", i, k);
		if (spec->v6) {
			assert_int_equal(get_be16(ip + 4), s->len - 14 - 40);
			assert_memory_equal(ip + 6, orig + 14 + 6, 34);
			assert_int_equal(get_be32(ip), 0x60012345u);
		} else {
			assert_int_equal(get_be16(ip + 2), s->len - 14);
			assert_int_equal(get_be16(ip + 4), (uint16_t)(ID0 + i));
			assert_int_equal(get_be16(ip + 6), 0x4000);
			assert_int_equal(ip[8], 64);
			assert_int_equal(csum_ip4_header(ip, 20), 0);
		}
		if (spec->udp) {
			assert_int_equal(get_be16(th + 4), 8 + n);
			assert_int_equal(get_be16(th), 40000);
		} else {
			uint8_t flags = spec->tcp_flags;
			if (!last)
				flags &= (uint8_t)~(TCP_FIN | TCP_PSH);
			if (i != 0)
				flags &= (uint8_t)~TCP_CWR;
			assert_int_equal(get_be32(th + 4), (uint32_t)(SEQ0 + off));
			assert_int_equal(get_be32(th + 8), 0x01020304);
			if (th[13] != flags)
				fail_msg("segment %u: TCP flags %02x, expected %02x",
					 i, th[13], flags);
			assert_memory_equal(th + 20, orig + l4 + 20, spec->tcp_opts);
		}
		check_l4_csum(s, spec, offload, i);
		off += n;
	}
	assert_int_equal(off, spec->payload);
	free(orig);
}

static void run_gso(const struct sp_spec *spec, bool offload)
{
	struct pkt *p = sp_make(spec), *segs;
	unsigned n = 12345;

	segs = gso_segment(p, offload, &n);
	assert_non_null(segs);
	assert_int_equal(n, list_len(segs));
	check_segments(segs, spec, offload);
	free_list(segs);
	pkt_free(p); /* not consumed by gso_segment */
}

static int setup(void **state)
{
	(void)state;
	base_outstanding = pkt_pool_outstanding();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(pkt_pool_outstanding(), base_outstanding);
	return 0;
}

/* ---- gso_segment --------------------------------------------------------- */

static const struct sp_spec tcp4_64k = {
	.payload = 65000 - 54, .gso_size = MSS,
	.tcp_flags = TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR,
};

static void test_tcp4_superpacket(void **state)
{
	(void)state;
	assert_int_equal((tcp4_64k.payload + MSS - 1) / MSS, 45);
	run_gso(&tcp4_64k, false);
	run_gso(&tcp4_64k, true);
}

static void test_tcp6_superpacket(void **state)
{
	struct sp_spec s = tcp4_64k;

	(void)state;
	s.v6 = true;
	s.payload = 65000 - 74;
	run_gso(&s, false);
	run_gso(&s, true);
}

static void test_tcp_options_and_exact_multiple(void **state)
{
	struct sp_spec s = {
		.payload = 20 * 1436, .gso_size = 1436, .tcp_opts = 12,
		.tcp_flags = TCP_ACK | TCP_PSH,
	};

	(void)state;
	run_gso(&s, false);
	s.v6 = true;
	run_gso(&s, true);
	/* one segment's worth: a single segment keeps PSH */
	s.payload = 1000;
	run_gso(&s, false);
}

static void test_tcp_chained_superpacket(void **state)
{
	struct sp_spec s = tcp4_64k;

	(void)state;
	s.chain_cut = 54 + 1; /* headers in the head, data in odd pieces */
	run_gso(&s, false);
	run_gso(&s, true);
	s.v6 = true;
	s.payload = 30001;
	s.chain_cut = 74 + 100;
	run_gso(&s, false);
}

static void test_udp_uso(void **state)
{
	struct sp_spec s = { .udp = true, .payload = 10000, .gso_size = 1400 };

	(void)state;
	run_gso(&s, false);
	run_gso(&s, true);
	s.v6 = true;
	run_gso(&s, false);
	run_gso(&s, true);
	s.payload = 64000;
	s.gso_size = 1472;
	s.chain_cut = 42 + 9;
	run_gso(&s, false);
}

/* Malformed superpackets: NULL, nothing allocated, count 0. */
static void expect_refused(struct pkt *p, const char *what)
{
	unsigned n = 99;
	struct pkt *segs = gso_segment(p, false, &n);

	if (segs) {
		unsigned k = list_len(segs);
		free_list(segs);
		pkt_free(p);
		fail_msg("%s: segmented into %u packets instead of refused", what, k);
	}
	assert_int_equal(n, 0);
	pkt_free(p);
}

static void test_malformed_refused(void **state)
{
	struct sp_spec s = { .payload = 5000, .gso_size = MSS,
			     .tcp_flags = TCP_ACK };
	struct pkt *p;

	(void)state;
	p = sp_make(&s);
	p->gso_size = 0;
	expect_refused(p, "gso_size 0");

	/* headers only, no payload */
	s.payload = 0;
	p = sp_make(&s);
	p->gso_size = MSS;
	expect_refused(p, "no payload");
	s.payload = 5000;

	/* truncated inside the TCP header */
	p = sp_make(&s);
	pkt_trim(p, 14 + 20 + 10);
	expect_refused(p, "truncated TCP header");

	/* TCP data offset beyond the packet */
	p = sp_make(&s);
	p->data[14 + 20 + 12] = 0xf0;
	pkt_trim(p, 14 + 20 + 40);
	expect_refused(p, "data offset beyond the end");

	/* no L4 offset known */
	p = sp_make(&s);
	p->csum = PKT_CSUM_NONE;
	p->l4_off = PKT_OFF_UNSET;
	expect_refused(p, "no L4 offset");

	/* L4 before L3 */
	p = sp_make(&s);
	p->csum = PKT_CSUM_NONE;
	p->l4_off = pkt_off(p, p->data + 10);
	p->l3_off = pkt_off(p, p->data + 14);
	expect_refused(p, "L4 before L3");

	/* UDP superpacket shorter than its header */
	s.udp = true;
	p = sp_make(&s);
	pkt_trim(p, 14 + 20 + 4);
	expect_refused(p, "truncated UDP header");
}

/* TCP data offset below the minimum header (RFC 9293 3.1: at least 5
 * words): the "header" would end inside the fixed TCP header. */
static void test_malformed_tcp_doff_small(void **state)
{
	struct sp_spec s = { .payload = 5000, .gso_size = MSS,
			     .tcp_flags = TCP_ACK };
	struct pkt *p;

	(void)state;
	p = sp_make(&s);
	p->data[14 + 20 + 12] = 0x00;
	expect_refused(p, "TCP data offset 0");
	p = sp_make(&s);
	p->data[14 + 20 + 12] = 0x40;
	expect_refused(p, "TCP data offset 4");
}

/* What sits at L3 is neither IPv4 nor IPv6. */
static void test_malformed_ip_version(void **state)
{
	struct sp_spec s = { .payload = 5000, .gso_size = MSS,
			     .tcp_flags = TCP_ACK };
	struct pkt *p;

	(void)state;
	p = sp_make(&s);
	p->data[14] = 0x55;
	expect_refused(p, "IP version 5");
}

/* ---- tx_fixup ------------------------------------------------------------ */

static struct dev *mkdev(uint32_t features)
{
	static const struct dev_ops ops = { .kind = "test" };
	struct dev *d = dev_alloc("t0", &ops, 0);

	assert_non_null(d);
	d->features = features;
	return d;
}

static void rmdev(struct dev *d)
{
	free(d->priv);
	pthread_spin_destroy(&d->tx_lock);
	free(d);
}

static struct dev_stats stats_of(struct dev *d)
{
	struct dev_stats s;
	dev_stats_sum(d, &s);
	return s;
}

static void test_fixup_tso_passthrough(void **state)
{
	struct dev *d = mkdev(DEV_F_SG | DEV_F_CSUM | DEV_F_TSO4 | DEV_F_TSO6);
	struct pkt *p = sp_make(&tcp4_64k), *out;

	(void)state;
	out = tx_fixup(d, p);
	assert_ptr_equal(out, p);
	assert_null(out->qnext);
	assert_int_equal(out->gso_size, MSS);
	assert_int_equal(out->csum, PKT_CSUM_PARTIAL);
	assert_int_equal(stats_of(d).split_extra, 0);
	pkt_free(out);
	rmdev(d);
}

static void test_fixup_no_features_segments(void **state)
{
	struct dev *d = mkdev(0);
	struct pkt *out;
	struct dev_stats st;

	(void)state;
	out = tx_fixup(d, sp_make(&tcp4_64k));
	assert_non_null(out);
	check_segments(out, &tcp4_64k, false);
	st = stats_of(d);
	assert_int_equal(st.split_extra, 44);
	free_list(out);
	rmdev(d);
}

/* CSUM without TSO: segments keep PARTIAL checksums for the device. */
static void test_fixup_csum_only(void **state)
{
	struct dev *d = mkdev(DEV_F_CSUM | DEV_F_SG);
	struct sp_spec s = tcp4_64k;
	struct pkt *out;

	(void)state;
	s.v6 = true;
	s.payload = 20000;
	out = tx_fixup(d, sp_make(&s));
	assert_non_null(out);
	check_segments(out, &s, true);
	assert_int_equal(stats_of(d).split_extra, list_len(out) - 1);
	free_list(out);
	rmdev(d);
}

/* TSO without CSUM cannot take the superpacket (TSO needs checksum). */
static void test_fixup_tso_without_csum(void **state)
{
	struct dev *d = mkdev(DEV_F_TSO4 | DEV_F_SG);
	struct pkt *out;

	(void)state;
	out = tx_fixup(d, sp_make(&tcp4_64k));
	assert_non_null(out);
	check_segments(out, &tcp4_64k, false);
	free_list(out);
	rmdev(d);
}

/* TSO4 does not cover a TCPv6 superpacket; USO covers UDP. */
static void test_fixup_gso_type_matching(void **state)
{
	struct dev *d = mkdev(DEV_F_SG | DEV_F_CSUM | DEV_F_TSO4 | DEV_F_USO);
	struct sp_spec s6 = tcp4_64k, u = { .udp = true, .payload = 9000,
					      .gso_size = 1400 };
	struct pkt *out, *p;

	(void)state;
	s6.v6 = true;
	s6.payload = 10000;
	out = tx_fixup(d, sp_make(&s6));
	assert_non_null(out);
	check_segments(out, &s6, true);
	free_list(out);

	p = sp_make(&u);
	out = tx_fixup(d, p);
	assert_ptr_equal(out, p);
	assert_int_equal(out->gso_size, 1400);
	pkt_free(out);
	rmdev(d);
}

static void test_fixup_malformed_counts_drop(void **state)
{
	struct dev *d = mkdev(0);
	struct sp_spec s = { .payload = 5000, .gso_size = MSS,
			     .tcp_flags = TCP_ACK };
	struct pkt *p = sp_make(&s);

	(void)state;
	pkt_trim(p, 14 + 20 + 10);
	assert_null(tx_fixup(d, p));
	assert_int_equal(stats_of(d).tx_drops[DROP_GSO_FAILED], 1);
	rmdev(d);
}

/* A PARTIAL (non-GSO) packet: completed without CSUM, untouched with it;
 * completion never writes into data shared with a clone. */
static void test_fixup_partial_csum(void **state)
{
	struct sp_spec s = { .payload = 999, .gso_size = 0,
			     .tcp_flags = TCP_ACK };
	struct dev *plain = mkdev(0), *csum = mkdev(DEV_F_CSUM);
	struct pkt *p, *c, *out;
	uint16_t field_before;

	(void)state;
	p = sp_make(&s);
	p->gso_type = 0;
	out = tx_fixup(csum, p);
	assert_ptr_equal(out, p);
	assert_int_equal(out->csum, PKT_CSUM_PARTIAL);
	pkt_free(out);

	p = sp_make(&s);
	p->gso_type = 0;
	c = pkt_clone(p);
	assert_non_null(c);
	field_before = get_be16(p->data + 34 + 16);
	out = tx_fixup(plain, p);
	assert_non_null(out);
	assert_null(out->qnext);
	assert_int_not_equal(out->csum, PKT_CSUM_PARTIAL);
	check_l4_csum(out, &s, false, 0);
	/* the clone still holds the untouched pseudo sum */
	assert_int_equal(get_be16(c->data + 34 + 16), field_before);
	assert_int_equal(c->csum, PKT_CSUM_PARTIAL);
	pkt_free(out);
	pkt_free(c);
	rmdev(plain);
	rmdev(csum);
}

/* Chains are linearized only for devices without SG/FRAGLIST. */
static void test_fixup_chain_linearize(void **state)
{
	struct sp_spec s = { .udp = true, .payload = 1400, .chain_cut = 60 };
	struct dev *sg = mkdev(DEV_F_SG | DEV_F_CSUM), *plain = mkdev(0);
	struct pkt *p, *out;

	(void)state;
	p = sp_make(&s);
	p->gso_type = 0;
	out = tx_fixup(sg, p);
	assert_ptr_equal(out, p);
	assert_false(pkt_is_linear(out));
	pkt_free(out);

	p = sp_make(&s);
	p->gso_type = 0;
	out = tx_fixup(plain, p);
	assert_non_null(out);
	assert_true(pkt_is_linear(out));
	assert_int_equal(out->len, hdr_len_of(&s) + 1400);
	check_l4_csum(out, &s, false, 0);
	pkt_free(out);
	rmdev(sg);
	rmdev(plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_tcp4_superpacket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp6_superpacket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_options_and_exact_multiple, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp_chained_superpacket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_udp_uso, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_tcp_doff_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_ip_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixup_tso_passthrough, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixup_no_features_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixup_csum_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixup_tso_without_csum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixup_gso_type_matching, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixup_malformed_counts_drop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixup_partial_csum, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixup_chain_linearize, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	pkt_pool_thread_release();
	return rc;
}
