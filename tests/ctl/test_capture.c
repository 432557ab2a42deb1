/* Unit tests for packet capture (src/ctl/capture.c and the streaming reply
 * of src/ctl/server.c): the hook on and off on rx and tx, several sessions
 * on one device, the bounded queue's drop counting (byte budget, ring
 * slots, concurrent producers), snaplen and chained packets, pcap bytes
 * (and libpcap reading them back), the one-line decoder on well-formed and
 * truncated frames, option parsing, deleted devices, and the stream
 * protocol end to end over the control socket (count, client stop, client
 * gone, device deleted, errors). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/util.h"
#include "core/worker.h"
#include "ctl/capture.h"
#include "ctl/cmd.h"
#include "ctl/out.h"
#include "ctl/server.h"
#include "dev/dev.h"
#include "fib/fib.h"
#include "l2/neigh.h"
#include "json_check.h"

/* ---- a test device whose transmit counts and frees ------------------ */

static uint64_t t_sent;

static uint16_t t_tx(struct dev *d, struct pkt **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		pkt_free(pkts[i]);
	t_sent += n;
	return n;
}

static const struct dev_ops t_ops = { .kind = "test", .tx_burst = t_tx };

static struct dev *t_dev(const char *name)
{
	struct dev *d = dev_alloc(name, &t_ops, 0);
	char err[256];

	assert_non_null(d);
	assert_int_equal(dev_register(d), 0);
	assert_int_equal(dev_set_up(d, true, err), 0);
	return d;
}

/* ---- frames ----------------------------------------------------------- */

static const uint8_t mac_a[6] = { 0x02, 0xaa, 0, 0, 0, 1 };
static const uint8_t mac_b[6] = { 0x02, 0xbb, 0, 0, 0, 2 };

/* An Ethernet + IPv4 + ICMP echo request frame (len >= 42), to mac_b. */
static size_t frame_icmp(uint8_t *f, size_t len, uint16_t seq)
{
	memset(f, 0, len);
	memcpy(f, mac_b, 6);
	memcpy(f + 6, mac_a, 6);
	put_be16(f + 12, 0x0800);
	f[14] = 0x45;
	put_be16(f + 16, (uint16_t)(len - 14));
	f[22] = 64;
	f[23] = 1;
	memcpy(f + 26, (uint8_t[]){ 10, 1, 0, 2 }, 4);
	memcpy(f + 30, (uint8_t[]){ 10, 2, 0, 2 }, 4);
	f[34] = 8;
	put_be16(f + 38, 0x1234);
	put_be16(f + 40, seq);
	for (size_t i = 42; i < len; i++)
		f[i] = (uint8_t)i;
	return len;
}

static struct pkt *mk_pkt(const uint8_t *f, size_t len)
{
	struct pkt *p = pkt_alloc((uint32_t)len);

	assert_non_null(p);
	memcpy(pkt_put(p, (uint32_t)len), f, len);
	return p;
}

static struct cap_session *start(struct dev *d, size_t buf_bytes,
				 uint32_t snaplen, enum cap_format fmt)
{
	struct cap_opts o = { .dev = d, .snaplen = snaplen,
			      .buf_bytes = buf_bytes, .format = fmt };
	struct cap_session *s;
	char err[256] = "";

	s = cap_start(&o, err);
	if (!s)
		fail_msg("cap_start: %s", err);
	return s;
}

static unsigned drain_count(struct cap_session *s)
{
	struct cap_rec *r;
	unsigned n = 0;

	while ((r = cap_pop(s))) {
		cap_rec_free(s, r);
		n++;
	}
	return n;
}

/* ---- hook on / off ---------------------------------------------------- */

static void test_hook_on_off(void **state)
{
	struct dev *d = t_dev("t0");
	struct worker w;
	struct pkt_vec v;
	struct cap_session *s;
	struct cap_rec *r;
	uint8_t f[98];
	struct pkt *p;

	(void)state;
	worker_ctx_init(&w, 0);
	assert_null(d->capture);
	assert_null(d->capture_data);
	s = start(d, CAP_BUF_BYTES, CAP_SNAPLEN_MAX, CAP_FMT_PCAP);
	assert_ptr_equal(d->capture, cap_hook);
	assert_non_null(d->capture_data);
	assert_int_equal(cap_sessions(), 1);

	/* tx: dev_xmit calls the hook after the fix-up */
	frame_icmp(f, sizeof(f), 1);
	p = mk_pkt(f, sizeof(f));
	dev_xmit(d, &p, 1);
	r = cap_pop(s);
	assert_non_null(r);
	assert_int_equal(r->dir, 1);
	assert_int_equal(r->orig_len, sizeof(f));
	assert_int_equal(r->caplen, sizeof(f));
	assert_memory_equal(r->data, f, sizeof(f));
	assert_true(r->ts_ns > 1500000000ull * 1000000000ull);
	cap_rec_free(s, r);

	/* rx: Ethernet input calls it first (the frame is then dropped as
	 * not for us, and still captured, like tcpdump) */
	frame_icmp(f, sizeof(f), 2);
	p = mk_pkt(f, sizeof(f));
	p->in_ifindex = d->ifindex;
	v.n = 1;
	v.p[0] = p;
	worker_input(&w, &v);
	r = cap_pop(s);
	assert_non_null(r);
	assert_int_equal(r->dir, 0);
	assert_memory_equal(r->data, f, sizeof(f));
	cap_rec_free(s, r);
	assert_null(cap_pop(s));

	cap_stop(s);
	assert_null(d->capture);
	assert_null(d->capture_data);
	assert_int_equal(cap_sessions(), 0);
	/* off: frames still flow, nothing is kept anywhere */
	p = mk_pkt(f, sizeof(f));
	t_sent = 0;
	dev_xmit(d, &p, 1);
	assert_int_equal(t_sent, 1);
	worker_ctx_fini(&w);
	dev_unregister(d);
}

static void test_two_sessions_one_device(void **state)
{
	struct dev *d = t_dev("t0");
	struct cap_session *a, *b;
	uint8_t f[60];
	struct pkt *p;

	(void)state;
	frame_icmp(f, sizeof(f), 1);
	a = start(d, CAP_BUF_BYTES, CAP_SNAPLEN_MAX, CAP_FMT_TEXT);
	b = start(d, CAP_BUF_BYTES, 20, CAP_FMT_PCAP);
	p = mk_pkt(f, sizeof(f));
	dev_xmit(d, &p, 1);
	assert_int_equal(drain_count(a), 1);
	assert_int_equal(drain_count(b), 1);
	cap_stop(a);
	assert_ptr_equal(d->capture, cap_hook); /* b still captures */
	p = mk_pkt(f, sizeof(f));
	dev_xmit(d, &p, 1);
	assert_int_equal(drain_count(b), 1);
	cap_stop(b);
	assert_null(d->capture);
	dev_unregister(d);
}

/* ---- bounded queue ---------------------------------------------------- */

static void push_n(struct dev *d, unsigned n, size_t len)
{
	uint8_t f[1600];
	struct pkt *p;

	frame_icmp(f, len, 0);
	p = mk_pkt(f, len);
	for (unsigned i = 0; i < n; i++)
		cap_hook(d, p, 1);
	pkt_free(p);
}

static void test_byte_budget_drops(void **state)
{
	struct dev *d = t_dev("t0");
	size_t rec = sizeof(struct cap_rec) + 100;
	struct cap_session *s = start(d, 3 * rec, CAP_SNAPLEN_MAX, CAP_FMT_PCAP);
	struct cap_counts c;

	(void)state;
	push_n(d, 10, 100);
	cap_counts(s, &c);
	assert_int_equal(c.seen, 10);
	assert_int_equal(c.dropped, 7);
	assert_int_equal(drain_count(s), 3);
	/* popped copies give their bytes back */
	push_n(d, 2, 100);
	assert_int_equal(drain_count(s), 2);
	cap_counts(s, &c);
	assert_int_equal(c.seen, 12);
	assert_int_equal(c.dropped, 7);
	cap_stop(s);
	dev_unregister(d);
}

static void test_ring_slots_drops(void **state)
{
	struct dev *d = t_dev("t0");
	struct cap_session *s = start(d, 1u << 30, CAP_SNAPLEN_MAX, CAP_FMT_PCAP);
	struct cap_counts c;

	(void)state;
	push_n(d, CAP_RING_SLOTS + 100, 60);
	cap_counts(s, &c);
	assert_int_equal(c.seen, CAP_RING_SLOTS + 100);
	assert_int_equal(c.dropped, 100);
	assert_int_equal(drain_count(s), CAP_RING_SLOTS);
	cap_stop(s);
	dev_unregister(d);
}

/* Producers on several threads while the consumer drains: every frame is
 * either delivered once or counted as dropped, in order per producer. */
#define PROD_N 4
#define PROD_FRAMES 30000u

static int prod_done;

struct prod {
	struct dev *d;
	uint8_t id;
};

static void *producer(void *arg)
{
	struct prod *pr = arg;
	uint8_t f[64];
	struct pkt *p;

	frame_icmp(f, sizeof(f), 0);
	p = mk_pkt(f, sizeof(f));
	for (uint32_t i = 0; i < PROD_FRAMES; i++) {
		p->data[50] = pr->id;
		put_be32(p->data + 52, i);
		cap_hook(pr->d, p, 0);
	}
	pkt_free(p);
	pkt_pool_thread_release();
	__atomic_add_fetch(&prod_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void test_concurrent_producers(void **state)
{
	struct dev *d = t_dev("t0");
	struct cap_session *s = start(d, 64 * 1024, 64, CAP_FMT_PCAP);
	pthread_t th[PROD_N];
	struct prod pr[PROD_N];
	int64_t last[PROD_N];
	uint64_t got = 0;
	struct cap_counts c;
	int running = PROD_N;

	(void)state;
	prod_done = 0;
	for (int i = 0; i < PROD_N; i++) {
		last[i] = -1;
		pr[i] = (struct prod){ .d = d, .id = (uint8_t)i };
		assert_int_equal(pthread_create(&th[i], NULL, producer, &pr[i]), 0);
	}
	while (running) {
		struct cap_rec *r;

		while ((r = cap_pop(s))) {
			unsigned id = r->data[50];
			int64_t seq = get_be32(r->data + 52);

			assert_true(id < PROD_N);
			if (seq <= last[id])
				fail_msg("producer %u: seq %lld after %lld", id,
					 (long long)seq, (long long)last[id]);
			last[id] = seq;
			got++;
			cap_rec_free(s, r);
		}
		if (__atomic_load_n(&prod_done, __ATOMIC_ACQUIRE) == PROD_N) {
			for (int i = 0; i < PROD_N; i++)
				pthread_join(th[i], NULL);
			running = 0;
		}
	}
	got += drain_count(s);
	cap_counts(s, &c);
	assert_int_equal(c.seen, PROD_N * PROD_FRAMES);
	assert_int_equal(got + c.dropped, PROD_N * PROD_FRAMES);
	assert_true(got > 0);
	cap_stop(s);
	dev_unregister(d);
}

/* ---- what is copied --------------------------------------------------- */

static void test_snaplen_and_chains(void **state)
{
	struct dev *d = t_dev("t0");
	struct cap_session *s = start(d, CAP_BUF_BYTES, 100, CAP_FMT_PCAP);
	struct cap_session *full = start(d, CAP_BUF_BYTES, CAP_SNAPLEN_MAX,
					 CAP_FMT_PCAP);
	uint8_t f[300];
	struct pkt *h, *t;
	struct cap_rec *r;

	(void)state;
	frame_icmp(f, sizeof(f), 7);
	h = mk_pkt(f, 120); /* 120 + 180 bytes in two segments */
	t = mk_pkt(f + 120, 180);
	h->next_seg = t;
	h->total_len = 300;
	cap_hook(d, h, 1);
	pkt_free(h);
	r = cap_pop(s);
	assert_non_null(r);
	assert_int_equal(r->caplen, 100);
	assert_int_equal(r->orig_len, 300);
	assert_memory_equal(r->data, f, 100);
	cap_rec_free(s, r);
	r = cap_pop(full);
	assert_non_null(r);
	assert_int_equal(r->caplen, 300);
	assert_memory_equal(r->data, f, 300);
	cap_rec_free(full, r);
	cap_stop(s);
	cap_stop(full);
	dev_unregister(d);
}

/* ---- pcap bytes ------------------------------------------------------- */

static void test_pcap_bytes(void **state)
{
	static const uint8_t want_file[24] = {
		0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x00, 0x00, 0x04, 0x00, 1, 0, 0, 0,
	};
	static const uint8_t want_rec[16] = {
		0x00, 0x5e, 0xd0, 0xb2, 0x40, 0xe2, 0x01, 0x00, /* 3e9 s, 123456 us */
		0x62, 0, 0, 0, 0xdc, 0x05, 0, 0,                /* 98, 1500 */
	};
	uint8_t b[24];

	(void)state;
	cap_pcap_file_header(b, 262144);
	assert_memory_equal(b, want_file, 24);
	cap_pcap_rec_header(b, 3000000000ull * 1000000000ull + 123456789ull, 98, 1500);
	assert_memory_equal(b, want_rec, 16);
}

/* A pcap written from records reads back with libpcap: link type,
 * snaplen, timestamps, lengths, bytes. */
static void test_pcap_libpcap_reads(void **state)
{
	struct dev *d = t_dev("t0");
	struct cap_session *s = start(d, CAP_BUF_BYTES, 80, CAP_FMT_PCAP);
	char path[64], errbuf[PCAP_ERRBUF_SIZE];
	uint8_t hdr[CAP_PCAP_FILE_HDR], f[3][120];
	const size_t lens[3] = { 60, 98, 120 };
	struct pcap_pkthdr *ph;
	const u_char *data;
	struct cap_rec *r;
	uint64_t ts[3];
	pcap_t *pc;
	FILE *fp;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/usnet_test_cap_%d.pcap", getpid());
	fp = fopen(path, "wb");
	assert_non_null(fp);
	cap_pcap_file_header(hdr, 80);
	fwrite(hdr, 1, sizeof(hdr), fp);
	for (int i = 0; i < 3; i++) {
		struct pkt *p;

		frame_icmp(f[i], lens[i], (uint16_t)i);
		p = mk_pkt(f[i], lens[i]);
		cap_hook(d, p, i & 1);
		pkt_free(p);
	}
	for (int i = 0; i < 3; i++) {
		uint8_t *out;
		size_t n;

		r = cap_pop(s);
		assert_non_null(r);
		ts[i] = r->ts_ns;
		out = malloc(cap_rec_out_max(s, r));
		n = cap_rec_format(s, r, out);
		assert_int_equal(n, CAP_PCAP_REC_HDR + MIN(lens[i], 80));
		fwrite(out, 1, n, fp);
		free(out);
		cap_rec_free(s, r);
	}
	fclose(fp);

	pc = pcap_open_offline(path, errbuf);
	if (!pc)
		fail_msg("libpcap: %s", errbuf);
	assert_int_equal(pcap_datalink(pc), DLT_EN10MB);
	assert_int_equal(pcap_snapshot(pc), 80);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pcap_next_ex(pc, &ph, &data), 1);
		assert_int_equal(ph->len, lens[i]);
		assert_int_equal(ph->caplen, MIN(lens[i], 80));
		assert_int_equal((uint64_t)ph->ts.tv_sec, ts[i] / 1000000000ull);
		assert_int_equal((uint64_t)ph->ts.tv_usec, ts[i] % 1000000000ull / 1000);
		assert_memory_equal(data, f[i], ph->caplen);
	}
	assert_int_equal(pcap_next_ex(pc, &ph, &data), PCAP_ERROR_BREAK);
	pcap_close(pc);
	unlink(path);
	cap_stop(s);
	dev_unregister(d);
}

/* ---- decode ------------------------------------------------------------ */

struct dcase {
	const char *hex;        /* the frame */
	const char *want;       /* cap_decode output */
};

/* Frames written as hex (dst MAC, src MAC, type, payload). */
static const struct dcase dcases[] = {
	/* ARP request and reply */
	{ "ffffffffffff02aa00000001" "0806" "0001080006040001" "02aa00000001" "0a010002"
	  "000000000000" "0a010001",
	  "ARP request who-has 10.1.0.1 tell 10.1.0.2" },
	{ "02aa0000000102bb00000002" "0806" "0001080006040002" "02bb00000002" "0a010001"
	  "02aa00000001" "0a010002",
	  "ARP reply 10.1.0.1 is-at 02:bb:00:00:00:02" },
	/* IPv4 ICMP echo request id 0x1234 seq 7 */
	{ "02bb0000000202aa00000001" "0800" "4500001c00000000400100000a0100020a020002"
	  "0800000012340007",
	  "IPv4 10.1.0.2 > 10.2.0.2 ICMP echo request id 4660 seq 7" },
	/* IPv4 ICMP frag needed mtu 1400 */
	{ "02bb0000000202aa00000001" "0800" "4500001c00000000400100000a0100010a010002"
	  "0304000000000578",
	  "IPv4 10.1.0.1 > 10.1.0.2 ICMP unreachable (frag needed) mtu 1400" },
	/* IPv4 TCP SYN-ACK 80 > 40000 */
	{ "02bb0000000202aa00000001" "0800" "4500002800000000400600000a0200020a010002"
	  "00509c40000000000000000050120000" "00000000",
	  "IPv4 10.2.0.2 > 10.1.0.2 TCP 80 > 40000 [S.]" },
	/* IPv4 UDP 5353 > 53 len 8, with Ethernet padding after the packet */
	{ "02bb0000000202aa00000001" "0800" "4500001c00000000401100000a0100020a020002"
	  "14e900350008000000000000000000000000",
	  "IPv4 10.1.0.2 > 10.2.0.2 UDP 5353 > 53 len 8" },
	/* IPv4 non-first fragment */
	{ "02bb0000000202aa00000001" "0800" "4500001c000000b9401100000a0100020a020002"
	  "0000000000000000",
	  "IPv4 10.1.0.2 > 10.2.0.2 proto 17 fragment off 1480" },
	/* IPv6 ICMPv6 echo reply */
	{ "02bb0000000202aa00000001" "86dd" "6000000000083a40"
	  "20010db8000200000000000000000002" "20010db8000100000000000000000002"
	  "8100000000050001",
	  "IPv6 2001:db8:2::2 > 2001:db8:1::2 ICMPv6 echo reply id 5 seq 1" },
	/* IPv6 neighbor solicitation */
	{ "3333ff00000102aa00000001" "86dd" "6000000000183aff"
	  "fe800000000000000000000000000002" "ff0200000000000000000001ff000001"
	  "870000000000000020010db8000100000000000000000001",
	  "IPv6 fe80::2 > ff02::1:ff00:1 ICMPv6 neighbor solicitation who-has 2001:db8:1::1" },
	/* IPv6 hop-by-hop then UDP */
	{ "02bb0000000202aa00000001" "86dd" "6000000000100040"
	  "20010db8000100000000000000000002" "20010db8000200000000000000000002"
	  "1100000000000000" "04d2162e00080000",
	  "IPv6 2001:db8:1::2 > 2001:db8:2::2 UDP 1234 > 5678 len 8" },
	/* 802.1Q VLAN 10 carrying IPv4 ICMP */
	{ "02bb0000000202aa00000001" "8100000a" "0800" "4500001c00000000400100000a0100020a020002"
	  "0000000012340001",
	  "802.1Q vlan 10, IPv4 10.1.0.2 > 10.2.0.2 ICMP echo reply id 4660 seq 1" },
	/* LLDP */
	{ "0180c200000e02aa00000001" "88cc" "0000",
	  "02:aa:00:00:00:01 > 01:80:c2:00:00:0e ethertype 0x88cc" },
	/* truncated */
	{ "02bb00000002", "truncated Ethernet frame (6 bytes)" },
	{ "02bb0000000202aa00000001" "0800" "45000014",
	  "IPv4 truncated or bad header (4 bytes)" },
};

static size_t unhex(const char *h, uint8_t **out)
{
	size_t n = strlen(h) / 2;
	uint8_t *b = malloc(n ? n : 1);

	for (size_t i = 0; i < n; i++) {
		unsigned x;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &x), 1);
		b[i] = (uint8_t)x;
	}
	*out = b;
	return n;
}

static void test_decode(void **state)
{
	char buf[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(dcases); i++) {
		uint8_t *f;
		size_t n = unhex(dcases[i].hex, &f);

		cap_decode(f, (uint32_t)n, buf, sizeof(buf));
		if (strcmp(buf, dcases[i].want) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, buf,
				 dcases[i].want);
		free(f);
	}
}

/* Every prefix of every case, in a buffer of exactly that size (ASan sees
 * any read beyond it), into output buffers that are too small, too. */
static void test_decode_truncated(void **state)
{
	char buf[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(dcases); i++) {
		uint8_t *f;
		size_t n = unhex(dcases[i].hex, &f);

		for (size_t k = 0; k <= n; k++) {
			uint8_t *g = malloc(k ? k : 1);

			memcpy(g, f, k);
			cap_decode(g, (uint32_t)k, buf, sizeof(buf));
			assert_true(strlen(buf) > 0);
			cap_decode(g, (uint32_t)k, buf, 8);
			assert_true(strlen(buf) < 8);
			free(g);
		}
		free(f);
	}
}

static void test_text_and_json_lines(void **state)
{
	struct dev *d = t_dev("t\"0");
	struct cap_session *t = start(d, CAP_BUF_BYTES, CAP_SNAPLEN_MAX, CAP_FMT_TEXT);
	struct cap_session *j = start(d, CAP_BUF_BYTES, CAP_SNAPLEN_MAX, CAP_FMT_JSON);
	char line[CAP_LINE_MAX + 1];
	uint8_t f[98];
	struct cap_rec *r;
	struct pkt *p;
	size_t n;

	(void)state;
	frame_icmp(f, sizeof(f), 3);
	p = mk_pkt(f, sizeof(f));
	cap_hook(d, p, 0);
	pkt_free(p);
	r = cap_pop(t);
	assert_non_null(r);
	assert_true(cap_rec_out_max(t, r) <= CAP_LINE_MAX);
	n = cap_rec_format(t, r, (uint8_t *)line);
	line[n] = '\0';
	cap_rec_free(t, r);
	/* HH:MM:SS.uuuuuu dev dir len N decode */
	assert_int_equal(line[2], ':');
	assert_int_equal(line[8], '.');
	assert_string_equal(line + 15,
			    " t\"0 rx len 98 IPv4 10.1.0.2 > 10.2.0.2 ICMP echo request id 4660 seq 3\n");
	r = cap_pop(j);
	assert_non_null(r);
	n = cap_rec_format(j, r, (uint8_t *)line);
	line[n] = '\0';
	cap_rec_free(j, r);
	assert_int_equal(line[n - 1], '\n');
	assert_true(json_valid(line));
	assert_non_null(strstr(line, "\"dev\":\"t\\\"0\",\"dir\":\"rx\",\"len\":98,\"caplen\":98,"
				     "\"summary\":\"IPv4 10.1.0.2 > 10.2.0.2 ICMP echo request id 4660 seq 3\"}"));
	cap_stop(t);
	cap_stop(j);
	dev_unregister(d);
}

/* ---- options ----------------------------------------------------------- */

static void test_parse(void **state)
{
	static const struct {
		const char *words;
		const char *err;        /* NULL: accepted */
	} cases[] = {
		{ "capture dev t0", NULL },
		{ "capture dev t0 -c 5 --timeout 1.5 -s 96 format pcap", NULL },
		{ "capture dev t0 count 5 timeout 2 snaplen 0", NULL },
		{ "capture", "missing 'dev NAME'" },
		{ "capture dev", "missing value after 'dev'" },
		{ "capture dev nosuch", "no device 'nosuch'" },
		{ "capture dev t0 -c 0", "invalid count '0'" },
		{ "capture dev t0 -c -3", "invalid count '-3'" },
		{ "capture dev t0 -c 12x", "invalid count '12x'" },
		{ "capture dev t0 --timeout 0", "invalid timeout '0'" },
		{ "capture dev t0 --timeout nan", "invalid timeout 'nan'" },
		{ "capture dev t0 -s 262145", "invalid snaplen '262145'" },
		{ "capture dev t0 format json", "invalid format 'json'" },
		{ "capture dev t0 -w x.pcap", "unknown word '-w'" },
	};
	struct dev *d = t_dev("t0");

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char buf[128], *argv[16], err[256] = "", *save;
		struct cap_opts o;
		int argc = 0, rc;

		snprintf(buf, sizeof(buf), "%s", cases[i].words);
		for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
			argv[argc++] = w;
		rc = cap_parse(argc, argv, false, &o, err);
		if (!cases[i].err) {
			if (rc != 0)
				fail_msg("'%s' refused: %s", cases[i].words, err);
			assert_ptr_equal(o.dev, d);
		} else if (rc == 0 || !strstr(err, cases[i].err)) {
			fail_msg("'%s': rc %d, err '%s', want '%s'", cases[i].words,
				 rc, err, cases[i].err);
		}
	}
	{
		char *argv[] = { "capture", "dev", "t0", "-c", "5", "--timeout",
				 "1.5", "-s", "0", "format", "pcap" };
		struct cap_opts o;
		char err[256];

		assert_int_equal(cap_parse(ARRAY_SIZE(argv), argv, true, &o, err), 0);
		assert_int_equal(o.count, 5);
		assert_int_equal(o.timeout_ms, 1500);
		assert_int_equal(o.snaplen, CAP_SNAPLEN_MAX);
		assert_int_equal(o.format, CAP_FMT_PCAP);
		argv[10] = "text";
		assert_int_equal(cap_parse(ARRAY_SIZE(argv), argv, true, &o, err), 0);
		assert_int_equal(o.format, CAP_FMT_JSON);
	}
	dev_unregister(d);
}

static void test_too_many_sessions(void **state)
{
	struct dev *d = t_dev("t0");
	struct cap_session *s[CAP_SESSIONS_MAX];
	struct cap_opts o = { .dev = d, .snaplen = 64, .buf_bytes = 4096 };
	char err[256];

	(void)state;
	for (unsigned i = 0; i < CAP_SESSIONS_MAX; i++)
		s[i] = start(d, 4096, 64, CAP_FMT_TEXT);
	assert_null(cap_start(&o, err));
	assert_non_null(strstr(err, "too many captures running (max 16)"));
	push_n(d, 1, 60);
	for (unsigned i = 0; i < CAP_SESSIONS_MAX; i++) {
		assert_int_equal(drain_count(s[i]), 1);
		cap_stop(s[i]);
	}
	assert_null(d->capture);
	dev_unregister(d);
}

/* ---- deleted devices --------------------------------------------------- */

static void test_device_deleted(void **state)
{
	struct dev *d = t_dev("t0"), *other = t_dev("t1");
	struct cap_session *s = start(d, CAP_BUF_BYTES, CAP_SNAPLEN_MAX, CAP_FMT_TEXT);
	struct cap_session *o = start(other, CAP_BUF_BYTES, CAP_SNAPLEN_MAX, CAP_FMT_TEXT);
	char sum[512];

	(void)state;
	push_n(d, 2, 60);
	dev_unregister(d); /* freed: the session must never touch it again */
	cap_check_devices();
	assert_int_equal(cap_done(s, time_ms()), CAP_END_GONE);
	assert_int_equal(cap_done(o, time_ms()), CAP_RUNNING);
	assert_string_equal(cap_dev_name(s), "t0");
	assert_int_equal(drain_count(s), 2); /* what was queued is still there */
	cap_summary(s, CAP_END_GONE, sum, sizeof(sum));
	assert_non_null(strstr(sum, "capture on t0 ended: device t0 was deleted\n"));
	assert_non_null(strstr(sum, "\n2 packets received by filter\n"));
	cap_detach(s);
	cap_stop(s);
	assert_ptr_equal(other->capture, cap_hook);
	cap_stop(o);
	assert_null(other->capture);
	dev_unregister(other);
}

static void test_cmd_outside_socket(void **state)
{
	struct ctl_out out;
	char err[256];

	(void)state;
	out_init(&out, false);
	assert_int_equal(ctl_exec(3, (char *[]){ "capture", "dev", "x" }, &out, err), -1);
	assert_non_null(strstr(err, "usnetctl capture"));
	out_fini(&out);
}

/* ---- the stream over the control socket -------------------------------- */

static char sock_path[108];

struct bytes {
	uint8_t *p;
	size_t n, r;
};

static void put(struct bytes *b, const void *src, size_t n)
{
	b->p = realloc(b->p, b->n + n + 1);
	memcpy(b->p + b->n, src, n);
	b->n += n;
}

static int cl_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	strcpy(sa.sun_path, sock_path);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void cl_send(int fd, bool json, int argc, const char *const *argv)
{
	struct bytes b = { 0 };
	uint8_t flags = json;
	uint32_t n = htonl((uint32_t)argc);

	put(&b, &flags, 1);
	put(&b, &n, 4);
	for (int i = 0; i < argc; i++) {
		n = htonl((uint32_t)strlen(argv[i]));
		put(&b, &n, 4);
		put(&b, argv[i], strlen(argv[i]));
	}
	assert_int_equal(send(fd, b.p, b.n, 0), (ssize_t)b.n);
	free(b.p);
}

/* Turn the server's crank until a whole record (5-byte header + body) is
 * in b; returns its type and sets *body and *len, or -1 on EOF. */
static int cl_record(int fd, struct bytes *b, const uint8_t **body, uint32_t *len)
{
	for (int i = 0; i < 5000; i++) {
		uint8_t buf[65536];
		ssize_t n;

		if (b->n - b->r >= 5) {
			memcpy(len, b->p + b->r + 1, 4);
			*len = ntohl(*len);
			if (b->n - b->r >= 5 + (size_t)*len) {
				int type = b->p[b->r];

				*body = b->p + b->r + 5;
				b->r += 5 + *len;
				return type;
			}
		}
		ctl_server_handle();
		n = recv(fd, buf, sizeof(buf), 0);
		if (n > 0) {
			put(b, buf, (size_t)n);
			continue;
		}
		if (n == 0)
			return -1;
		poll(&(struct pollfd){ .fd = ctl_server_fd(), .events = POLLIN }, 1, 2);
	}
	fail_msg("no record from the server");
	return -1;
}

static bool has(const uint8_t *body, size_t len, const char *s)
{
	return memmem(body, len, s, strlen(s)) != NULL;
}

/* The server closes the connection (after the stream ended). */
static void cl_expect_eof(int fd, struct bytes *b)
{
	const uint8_t *body;
	uint32_t len;

	assert_int_equal(cl_record(fd, b, &body, &len), -1);
}

static int cmd(const char *line)
{
	struct ctl_out out;
	char err[256];
	int rc;

	out_init(&out, false);
	rc = ctl_exec_line(line, &out, err);
	out_fini(&out);
	return rc;
}

static void xmit_frames(const char *dev, unsigned n)
{
	struct dev *d = dev_by_name(dev);
	uint8_t f[98];

	assert_non_null(d);
	for (unsigned i = 0; i < n; i++) {
		struct pkt *p;

		frame_icmp(f, sizeof(f), (uint16_t)(i + 1));
		p = mk_pkt(f, sizeof(f));
		dev_xmit(d, &p, 1);
	}
}

#define ARGV(...) (int)(sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(char *)), \
		  ((const char *const[]){ __VA_ARGS__ })

static void test_stream_count(void **state)
{
	struct bytes b = { 0 };
	const uint8_t *body;
	uint32_t len;
	int fd;

	(void)state;
	assert_int_equal(cmd("link add n0 type null"), 0);
	assert_int_equal(cmd("link set n0 up"), 0);
	fd = cl_connect();
	cl_send(fd, false, ARGV("capture", "dev", "n0", "-c", "2", "format", "pcap"));
	assert_int_equal(cl_record(fd, &b, &body, &len), 0x10);
	assert_true(len > 0 && !memcmp(body, "listening on n0 (null)", 22));
	assert_int_equal(cl_record(fd, &b, &body, &len), 0x11);
	assert_int_equal(len, CAP_PCAP_FILE_HDR);
	xmit_frames("n0", 3);
	for (int i = 0; i < 2; i++) {
		uint32_t caplen;

		assert_int_equal(cl_record(fd, &b, &body, &len), 0x11);
		assert_int_equal(len, CAP_PCAP_REC_HDR + 98);
		memcpy(&caplen, body + 8, 4);
		assert_int_equal(caplen, 98);
		assert_int_equal(get_be16(body + CAP_PCAP_REC_HDR + 40), i + 1); /* seq */
	}
	assert_int_equal(cl_record(fd, &b, &body, &len), 0x12);
	assert_int_equal(body[0], 0);
	assert_true(has(body, len, "capture on n0 stopped after 2 packets\n2 packets captured\n"
				   "3 packets received by filter\n0 packets dropped by buffer\n"));
	cl_expect_eof(fd, &b);
	close(fd);
	free(b.p);
	assert_int_equal(cap_sessions(), 0);
	assert_null(dev_by_name("n0")->capture);
	assert_int_equal(cmd("link del n0"), 0);
}

static void test_stream_client_stops(void **state)
{
	struct bytes b = { 0 };
	const uint8_t *body;
	uint32_t len;
	int fd;

	(void)state;
	assert_int_equal(cmd("link add n0 type null"), 0);
	assert_int_equal(cmd("link set n0 up"), 0);
	fd = cl_connect();
	cl_send(fd, true, ARGV("capture", "dev", "n0"));
	assert_int_equal(cl_record(fd, &b, &body, &len), 0x10);
	xmit_frames("n0", 1);
	assert_int_equal(cl_record(fd, &b, &body, &len), 0x11);
	{
		char *l = strndup((const char *)body, len);
		assert_true(json_valid(l));
		assert_non_null(strstr(l, "\"dev\":\"n0\",\"dir\":\"tx\""));
		free(l);
	}
	shutdown(fd, SHUT_WR); /* Ctrl-C in usnetctl */
	assert_int_equal(cl_record(fd, &b, &body, &len), 0x12);
	assert_int_equal(body[0], 0);
	assert_true(has(body, len, "capture on n0 interrupted\n1 packets captured\n"));
	cl_expect_eof(fd, &b);
	close(fd);
	free(b.p);
	assert_int_equal(cap_sessions(), 0);

	/* a client that just goes away stops its capture too, also with
	 * output it never read (the server then sees ECONNRESET) */
	for (int unread = 0; unread < 2; unread++) {
		memset(&b, 0, sizeof(b));
		fd = cl_connect();
		cl_send(fd, false, ARGV("capture", "dev", "n0"));
		assert_int_equal(cl_record(fd, &b, &body, &len), 0x10);
		assert_int_equal(cap_sessions(), 1);
		if (unread) {
			xmit_frames("n0", 3);
			for (int i = 0; i < 50; i++) {
				ctl_server_handle();
				usleep(1000);
			}
		}
		close(fd);
		free(b.p);
		for (int i = 0; i < 1000 && cap_sessions(); i++) {
			ctl_server_handle();
			usleep(1000);
		}
		assert_int_equal(cap_sessions(), 0);
	}
	assert_null(dev_by_name("n0")->capture);
	assert_int_equal(cmd("link del n0"), 0);
}

static void test_stream_device_deleted(void **state)
{
	struct bytes b1 = { 0 }, b2 = { 0 }, b3 = { 0 };
	const uint8_t *body;
	uint32_t len;
	int fd1, fd2, fd3;

	(void)state;
	assert_int_equal(cmd("link add n0 type null"), 0);
	assert_int_equal(cmd("link add n1 type null"), 0);
	assert_int_equal(cmd("link set n0 up"), 0);
	assert_int_equal(cmd("link set n1 up"), 0);
	fd1 = cl_connect();
	cl_send(fd1, false, ARGV("capture", "dev", "n0"));
	assert_int_equal(cl_record(fd1, &b1, &body, &len), 0x10);
	fd2 = cl_connect();
	cl_send(fd2, false, ARGV("capture", "dev", "n0", "format", "pcap"));
	assert_int_equal(cl_record(fd2, &b2, &body, &len), 0x10);
	fd3 = cl_connect();
	cl_send(fd3, false, ARGV("capture", "dev", "n1"));
	assert_int_equal(cl_record(fd3, &b3, &body, &len), 0x10);
	xmit_frames("n0", 1);

	/* delete n0 through the socket, as `usnetctl link del n0` does */
	{
		struct bytes r = { 0 };
		int fd = cl_connect();

		cl_send(fd, false, ARGV("link", "del", "n0"));
		assert_int_equal(cl_record(fd, &r, &body, &len), 0);
		assert_int_equal(len, 0);
		close(fd);
		free(r.p);
	}
	/* the text capture: its queued packet, then END code 1 */
	assert_int_equal(cl_record(fd1, &b1, &body, &len), 0x11);
	assert_true(has(body, len, " n0 tx len 98 IPv4 10.1.0.2 > 10.2.0.2 ICMP echo request id 4660 seq 1\n"));
	assert_int_equal(cl_record(fd1, &b1, &body, &len), 0x12);
	assert_int_equal(body[0], 1);
	assert_true(has(body, len, "capture on n0 ended: device n0 was deleted\n"));
	cl_expect_eof(fd1, &b1);
	assert_int_equal(cl_record(fd2, &b2, &body, &len), 0x11); /* file header */
	assert_int_equal(cl_record(fd2, &b2, &body, &len), 0x11); /* the packet */
	assert_int_equal(cl_record(fd2, &b2, &body, &len), 0x12);
	assert_int_equal(body[0], 1);
	cl_expect_eof(fd2, &b2);
	/* the capture on n1 goes on */
	assert_int_equal(cap_sessions(), 1);
	xmit_frames("n1", 1);
	assert_int_equal(cl_record(fd3, &b3, &body, &len), 0x11);
	close(fd1);
	close(fd2);
	close(fd3);
	free(b1.p);
	free(b2.p);
	free(b3.p);
	for (int i = 0; i < 1000 && cap_sessions(); i++) {
		ctl_server_handle();
		usleep(1000);
	}
	assert_int_equal(cap_sessions(), 0);
	assert_int_equal(cmd("link del n1"), 0);
}

static void test_stream_errors(void **state)
{
	struct bytes b = { 0 };
	const uint8_t *body;
	uint32_t len;
	int fd;

	(void)state;
	fd = cl_connect();
	cl_send(fd, false, ARGV("capture", "dev", "nosuch"));
	/* the ordinary error response: status 1, length, message */
	assert_int_equal(cl_record(fd, &b, &body, &len), 1);
	assert_int_equal(len, strlen("capture: no device 'nosuch'"));
	assert_memory_equal(body, "capture: no device 'nosuch'", len);
	cl_expect_eof(fd, &b);
	close(fd);
	free(b.p);
	assert_int_equal(cap_sessions(), 0);
}

/* The daemon stopping ends running captures with a message. */
static void test_stream_shutdown(void **state)
{
	struct bytes b = { 0 };
	const uint8_t *body;
	uint32_t len;
	char err[256];
	int fd;

	(void)state;
	assert_int_equal(cmd("link add n0 type null"), 0);
	assert_int_equal(cmd("link set n0 up"), 0);
	fd = cl_connect();
	cl_send(fd, false, ARGV("capture", "dev", "n0"));
	assert_int_equal(cl_record(fd, &b, &body, &len), 0x10);
	ctl_server_stop();
	assert_int_equal(cap_sessions(), 0);
	assert_null(dev_by_name("n0")->capture);
	for (;;) { /* what the server managed to send before closing */
		uint8_t buf[4096];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		put(&b, buf, (size_t)n);
	}
	assert_true(b.n - b.r >= 6);
	assert_int_equal(b.p[b.r], 0x12);
	assert_int_equal(b.p[b.r + 5], 1);
	assert_true(has(b.p + b.r, b.n - b.r, "capture on n0 ended: usnet is shutting down\n"));
	close(fd);
	free(b.p);
	if (ctl_server_start(sock_path, err) != 0)
		fail_msg("restart: %s", err);
	assert_int_equal(cmd("link del n0"), 0);
}

static int setup(void **state)
{
	char err[256];

	(void)state;
	snprintf(sock_path, sizeof(sock_path), "/tmp/usnet_test_cap_%d.sock", getpid());
	assert_int_equal(fib_init(), 0);
	assert_int_equal(neigh_init(), 0);
	if (ctl_server_start(sock_path, err) != 0)
		fail_msg("start: %s", err);
	return 0;
}

static int teardown(void **state)
{
	struct dev *d;

	(void)state;
	ctl_server_stop();
	while ((d = dev_next(NULL))) {
		worker_detach_dev(d);
		fib_flush_dev(d->ifindex);
		neigh_flush_dev(d);
		dev_unregister(d);
	}
	neigh_fini();
	fib_fini();
	worker_ctx_fini(worker_ctl());
	pkt_pool_thread_release();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hook_on_off),
		cmocka_unit_test(test_two_sessions_one_device),
		cmocka_unit_test(test_byte_budget_drops),
		cmocka_unit_test(test_ring_slots_drops),
		cmocka_unit_test(test_concurrent_producers),
		cmocka_unit_test(test_snaplen_and_chains),
		cmocka_unit_test(test_pcap_bytes),
		cmocka_unit_test(test_pcap_libpcap_reads),
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_decode_truncated),
		cmocka_unit_test(test_text_and_json_lines),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_too_many_sessions),
		cmocka_unit_test(test_device_deleted),
		cmocka_unit_test(test_cmd_outside_socket),
		cmocka_unit_test(test_stream_count),
		cmocka_unit_test(test_stream_client_stops),
		cmocka_unit_test(test_stream_device_deleted),
		cmocka_unit_test(test_stream_errors),
		cmocka_unit_test(test_stream_shutdown),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
