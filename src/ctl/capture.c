/* Packet capture on any device: the dev->capture hook, bounded per-session
 * queues, and the pcap / one-line formats streamed to usnetctl.
 *
 * Design note. A session captures one device. Sessions on the same device
 * share one published list (struct cap_pub) that dev->capture_data points
 * to; dev->capture is cap_hook while the list is non-empty and NULL
 * otherwise, so a device nobody captures pays one NULL check per frame.
 * Lists are double-buffered per device (struct cap_devrec) and every change
 * is followed by synchronize_rcu(), so the spare buffer is never seen by a
 * reader when the control thread rewrites it, and nothing is allocated on
 * the way out.
 *
 * The hook runs on worker threads (rx in eth_uppers, tx in dev_xmit) and on
 * the control thread. It never blocks: it copies up to snaplen bytes into a
 * malloc'd record and puts the pointer into the session's bounded lock-free
 * ring (Vyukov's bounded MPMC queue, here with one consumer, the control
 * thread). A byte budget bounds the memory of queued copies; a frame that
 * does not fit (budget or ring full, or no memory) is counted as dropped
 * and reported at the end, like tcpdump's "dropped by kernel".
 *
 * Deleted devices: the control thread compares each captured ifindex's
 * device pointer with the registry after every command
 * (cap_check_devices); a device that went away ends its sessions with
 * CAP_END_GONE and is never dereferenced again. */
#include "ctl/capture.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <urcu-qsbr.h>

#include "core/util.h"
#include "ctl/out.h"

#define CAP_ERR_LEN 256
#define CAP_TIMEOUT_MAX_S 31536000.0 /* a year */

struct cap_cell {
	size_t seq;              /* atomic: ring position this cell expects */
	struct cap_rec *rec;
};

struct cap_session {
	struct cap_opts o;
	char dev_name[DEV_NAME_MAX];
	char kind[16];
	uint32_t ifindex;
	uint64_t started_ms;
	bool gone;               /* device deleted */
	bool attached;           /* listed in the device's published list */

	/* producers (hook, any thread) */
	uint64_t seen, dropped;  /* atomic */
	size_t queued_bytes;     /* atomic */
	size_t enq_pos __attribute__((aligned(CACHE_LINE))); /* atomic */

	/* the consumer (control thread) */
	size_t deq_pos __attribute__((aligned(CACHE_LINE)));
	uint64_t delivered;
	struct cap_cell *cells;  /* CAP_RING_SLOTS */
};

struct cap_pub {
	unsigned n;
	struct cap_session *s[CAP_SESSIONS_MAX];
};

/* Control-thread record of a captured device. */
struct cap_devrec {
	struct dev *dev;         /* identity only once it may be gone */
	unsigned cur;            /* pub[cur] is the published one */
	struct cap_pub pub[2];
};

static struct cap_devrec *cap_devs[DEV_MAX];
static struct cap_session *sessions[CAP_SESSIONS_MAX];
static unsigned nsessions;

/* ------------------------------------------------------------ the ring */

static bool ring_put(struct cap_session *s, struct cap_rec *r)
{
	size_t pos = __atomic_load_n(&s->enq_pos, __ATOMIC_RELAXED);
	struct cap_cell *c;

	for (;;) {
		intptr_t dif;

		c = &s->cells[pos & (CAP_RING_SLOTS - 1)];
		dif = (intptr_t)__atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) -
		      (intptr_t)pos;
		if (dif == 0) {
			if (__atomic_compare_exchange_n(&s->enq_pos, &pos, pos + 1,
							true, __ATOMIC_RELAXED,
							__ATOMIC_RELAXED))
				break;
		} else if (dif < 0) {
			return false; /* full */
		} else {
			pos = __atomic_load_n(&s->enq_pos, __ATOMIC_RELAXED);
		}
	}
	c->rec = r;
	__atomic_store_n(&c->seq, pos + 1, __ATOMIC_RELEASE);
	return true;
}

static struct cap_rec *ring_get(struct cap_session *s)
{
	size_t pos = s->deq_pos;
	struct cap_cell *c = &s->cells[pos & (CAP_RING_SLOTS - 1)];
	struct cap_rec *r;

	if (__atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) != pos + 1)
		return NULL; /* empty, or the producer is still writing */
	r = c->rec;
	s->deq_pos = pos + 1;
	__atomic_store_n(&c->seq, pos + CAP_RING_SLOTS, __ATOMIC_RELEASE);
	return r;
}

/* ------------------------------------------------------------ the hook */

static size_t rec_bytes(uint32_t caplen)
{
	return sizeof(struct cap_rec) + caplen;
}

static void cap_push(struct cap_session *s, const struct pkt *p, uint8_t dir,
		     uint64_t ts_ns)
{
	uint32_t caplen = MIN(p->total_len, s->o.snaplen);
	size_t need = rec_bytes(caplen);
	struct cap_rec *r = NULL;

	__atomic_fetch_add(&s->seen, 1, __ATOMIC_RELAXED);
	if (__atomic_add_fetch(&s->queued_bytes, need, __ATOMIC_RELAXED) >
	    s->o.buf_bytes)
		goto drop;
	r = malloc(need);
	if (!r || pkt_copy_bits(p, 0, r->data, caplen) < 0)
		goto drop;
	r->ts_ns = ts_ns;
	r->orig_len = p->total_len;
	r->caplen = caplen;
	r->dir = dir;
	if (ring_put(s, r))
		return;
drop:
	free(r);
	__atomic_fetch_sub(&s->queued_bytes, need, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->dropped, 1, __ATOMIC_RELAXED);
}

void cap_hook(struct dev *d, const struct pkt *p, int dir)
{
	const struct cap_pub *pub = rcu_dereference(d->capture_data);
	struct timespec ts;
	uint64_t ts_ns;

	if (!pub)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	for (unsigned i = 0; i < pub->n; i++)
		cap_push(pub->s[i], p, (uint8_t)(dir != 0), ts_ns);
}

/* ---------------------------------------------------- sessions (control) */

/* Publish the list of attached sessions of r's device and wait until no
 * reader can still see the previous one. */
static void cap_publish(struct cap_devrec *r)
{
	struct cap_pub *next = &r->pub[r->cur ^ 1];
	struct dev *d = r->dev;

	next->n = 0;
	for (unsigned i = 0; i < nsessions; i++)
		if (sessions[i]->attached && sessions[i]->ifindex == d->ifindex)
			next->s[next->n++] = sessions[i];
	if (next->n) {
		rcu_assign_pointer(d->capture_data, next);
		rcu_assign_pointer(d->capture, cap_hook);
	} else {
		rcu_assign_pointer(d->capture, NULL);
		rcu_assign_pointer(d->capture_data, NULL);
	}
	synchronize_rcu();
	r->cur ^= 1;
}

static int fail(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, CAP_ERR_LEN, fmt, ap);
	va_end(ap);
	return -1;
}

struct cap_session *cap_start(const struct cap_opts *o, char *err)
{
	struct cap_devrec *r;
	struct cap_session *s;
	uint32_t ifx = o->dev->ifindex;

	cap_check_devices();
	if (nsessions >= CAP_SESSIONS_MAX) {
		fail(err, "capture: too many captures running (max %u)",
		     CAP_SESSIONS_MAX);
		return NULL;
	}
	s = aligned_alloc(CACHE_LINE, (sizeof(*s) + CACHE_LINE - 1) &
					      ~(size_t)(CACHE_LINE - 1));
	r = cap_devs[ifx] ? cap_devs[ifx] : calloc(1, sizeof(*r));
	if (s) {
		memset(s, 0, sizeof(*s));
		s->cells = calloc(CAP_RING_SLOTS, sizeof(*s->cells));
	}
	if (!s || !r || !s->cells) {
		if (r != cap_devs[ifx])
			free(r);
		if (s)
			free(s->cells);
		free(s);
		fail(err, "capture: out of memory");
		return NULL;
	}
	for (size_t i = 0; i < CAP_RING_SLOTS; i++)
		s->cells[i].seq = i;
	s->o = *o;
	snprintf(s->dev_name, sizeof(s->dev_name), "%s", o->dev->name);
	snprintf(s->kind, sizeof(s->kind), "%s", o->dev->ops->kind);
	s->ifindex = ifx;
	s->started_ms = time_ms();
	s->attached = true;
	r->dev = o->dev;
	cap_devs[ifx] = r;
	sessions[nsessions++] = s;
	cap_publish(r);
	return s;
}

void cap_detach(struct cap_session *s)
{
	struct cap_devrec *r;

	if (!s->attached)
		return;
	cap_check_devices(); /* never publish on a device that is gone */
	r = cap_devs[s->ifindex];
	s->attached = false;
	if (s->gone || !r)
		return;
	cap_publish(r);
	if (!r->dev->capture) {
		free(r);
		cap_devs[s->ifindex] = NULL;
	}
}

void cap_stop(struct cap_session *s)
{
	struct cap_rec *rec;
	unsigned i;

	if (!s)
		return;
	cap_detach(s);
	for (i = 0; i < nsessions && sessions[i] != s; i++)
		;
	if (i < nsessions)
		sessions[i] = sessions[--nsessions];
	while ((rec = ring_get(s)))
		cap_rec_free(s, rec);
	free(s->cells);
	free(s);
}

void cap_check_devices(void)
{
	bool any = false;

	for (uint32_t i = 1; i < DEV_MAX; i++) {
		struct cap_devrec *r = cap_devs[i];

		if (!r || dev_get(i) == r->dev)
			continue;
		for (unsigned k = 0; k < nsessions; k++) {
			if (sessions[k]->ifindex == i && !sessions[k]->gone) {
				sessions[k]->gone = true;
				sessions[k]->attached = false;
			}
		}
		cap_devs[i] = NULL;
		free(r);
		any = true;
	}
	/* The registry waited for readers before freeing the device; wait
	 * once more in case a device is ever freed lazily, so that no hook
	 * still runs for a session the caller may now free. */
	if (any)
		synchronize_rcu();
}

unsigned cap_sessions(void)
{
	return nsessions;
}

struct cap_rec *cap_pop(struct cap_session *s)
{
	return ring_get(s);
}

void cap_rec_free(struct cap_session *s, struct cap_rec *r)
{
	__atomic_fetch_sub(&s->queued_bytes, rec_bytes(r->caplen),
			   __ATOMIC_RELAXED);
	free(r);
}

void cap_delivered(struct cap_session *s)
{
	s->delivered++;
}

enum cap_end cap_done(const struct cap_session *s, uint64_t now_ms)
{
	if (s->o.count && s->delivered >= s->o.count)
		return CAP_END_COUNT;
	if (s->gone)
		return CAP_END_GONE;
	if (s->o.timeout_ms && now_ms - s->started_ms >= s->o.timeout_ms)
		return CAP_END_TIMEOUT;
	return CAP_RUNNING;
}

const struct cap_opts *cap_session_opts(const struct cap_session *s)
{
	return &s->o;
}

const char *cap_dev_name(const struct cap_session *s)
{
	return s->dev_name;
}

void cap_counts(const struct cap_session *s, struct cap_counts *c)
{
	c->seen = __atomic_load_n(&s->seen, __ATOMIC_RELAXED);
	c->dropped = __atomic_load_n(&s->dropped, __ATOMIC_RELAXED);
	c->delivered = s->delivered;
}

/* ------------------------------------------------------------- parsing */

static int parse_u64(const char *w, const char *what, uint64_t min,
		     uint64_t max, uint64_t *v, char *err)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(w, &end, 10);
	if (!*w || *end || errno || w[0] == '-' || x < min || x > max)
		return fail(err, "capture: invalid %s '%.64s' (expected %" PRIu64
			    "..%" PRIu64 ")", what, w, min, max);
	*v = x;
	return 0;
}

static int parse_seconds(const char *w, uint64_t *ms, char *err)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(w, &end);
	if (!*w || *end || errno || !(x > 0) || x > CAP_TIMEOUT_MAX_S)
		return fail(err, "capture: invalid timeout '%.64s' (seconds, > 0)", w);
	*ms = (uint64_t)(x * 1000.0 + 0.5);
	if (*ms == 0)
		*ms = 1;
	return 0;
}

static bool word_is(const char *w, const char *a, const char *b)
{
	return strcmp(w, a) == 0 || (b && strcmp(w, b) == 0);
}

/* The value of option word argv[*i]; NULL (err set) when it is missing. */
static const char *opt_value(int argc, char **argv, int *i, char *err)
{
	if (*i + 1 >= argc) {
		fail(err, "capture: missing value after '%.64s'", argv[*i]);
		return NULL;
	}
	return argv[++*i];
}

static int parse_word(int argc, char **argv, int *i, struct cap_opts *o,
		      const char **dev_w, char *err)
{
	const char *w = argv[*i], *v;
	uint64_t x;

	v = opt_value(argc, argv, i, err);
	if (!v)
		return -1;
	if (word_is(w, "dev", NULL)) {
		*dev_w = v;
		return 0;
	}
	if (word_is(w, "-c", "count"))
		return parse_u64(v, "count", 1, UINT64_MAX, &o->count, err);
	if (word_is(w, "--timeout", "timeout"))
		return parse_seconds(v, &o->timeout_ms, err);
	if (word_is(w, "-s", "snaplen")) {
		if (parse_u64(v, "snaplen", 0, CAP_SNAPLEN_MAX, &x, err) < 0)
			return -1;
		o->snaplen = x ? (uint32_t)x : CAP_SNAPLEN_MAX;
		return 0;
	}
	if (strcmp(v, "text") == 0)
		return 0;
	if (strcmp(v, "pcap") == 0) {
		o->format = CAP_FMT_PCAP;
		return 0;
	}
	return fail(err, "capture: invalid format '%.64s' (text or pcap)", v);
}

int cap_parse(int argc, char **argv, bool json, struct cap_opts *o, char *err)
{
	static const char *const words[] = { "dev", "-c", "count", "--timeout",
					     "timeout", "-s", "snaplen", "format" };
	const char *dev_w = NULL;

	memset(o, 0, sizeof(*o));
	o->snaplen = CAP_SNAPLEN_MAX;
	o->buf_bytes = CAP_BUF_BYTES;
	o->format = json ? CAP_FMT_JSON : CAP_FMT_TEXT;
	for (int i = 1; i < argc; i++) {
		unsigned k;

		for (k = 0; k < ARRAY_SIZE(words); k++)
			if (strcmp(argv[i], words[k]) == 0)
				break;
		if (k == ARRAY_SIZE(words))
			return fail(err, "capture: unknown word '%.64s' (dev NAME, -c N, --timeout S, -s SNAPLEN, format text|pcap)",
				    argv[i]);
		if (parse_word(argc, argv, &i, o, &dev_w, err) < 0)
			return -1;
	}
	if (!dev_w)
		return fail(err, "capture: missing 'dev NAME'");
	o->dev = dev_by_name(dev_w);
	if (!o->dev)
		return fail(err, "capture: no device '%.64s'", dev_w);
	return 0;
}

int cap_cmd(int argc, char **argv, struct ctl_out *out, char *err)
{
	return fail(err, "capture: streams packets to a client; run it as 'usnetctl capture dev NAME ...', not from a config file");
}

/* ---------------------------------------------------------------- pcap */

void cap_pcap_file_header(uint8_t dst[CAP_PCAP_FILE_HDR], uint32_t snaplen)
{
	const uint32_t magic = 0xa1b2c3d4u, zone = 0, sigfigs = 0, link = 1;
	const uint16_t major = 2, minor = 4;

	memcpy(dst, &magic, 4);
	memcpy(dst + 4, &major, 2);
	memcpy(dst + 6, &minor, 2);
	memcpy(dst + 8, &zone, 4);
	memcpy(dst + 12, &sigfigs, 4);
	memcpy(dst + 16, &snaplen, 4);
	memcpy(dst + 20, &link, 4); /* LINKTYPE_ETHERNET */
}

void cap_pcap_rec_header(uint8_t dst[CAP_PCAP_REC_HDR], uint64_t ts_ns,
			 uint32_t caplen, uint32_t orig_len)
{
	uint32_t sec = (uint32_t)(ts_ns / 1000000000ull);
	uint32_t usec = (uint32_t)(ts_ns % 1000000000ull / 1000u);

	memcpy(dst, &sec, 4);
	memcpy(dst + 4, &usec, 4);
	memcpy(dst + 8, &caplen, 4);
	memcpy(dst + 12, &orig_len, 4);
}

/* -------------------------------------------------------------- decode */

struct dec {
	char *buf;
	size_t n, len;
};

static void dec_put(struct dec *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void dec_put(struct dec *d, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (d->len + 1 >= d->n)
		return;
	va_start(ap, fmt);
	k = vsnprintf(d->buf + d->len, d->n - d->len, fmt, ap);
	va_end(ap);
	if (k > 0)
		d->len = MIN(d->len + (size_t)k, d->n - 1);
}

static void dec_addr(struct dec *d, int family, const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN];

	dec_put(d, "%s", inet_ntop(family, a, s, sizeof(s)) ? s : "?");
}

static const char *const icmp4_unreach[] = {
	"net unreachable", "host unreachable", "protocol unreachable",
	"port unreachable", "frag needed", "source route failed",
};
static const char *const icmp6_unreach[] = {
	"no route", "admin prohibited", "beyond scope", "address unreachable",
	"port unreachable",
};

static void dec_echo(struct dec *d, const char *what, const uint8_t *l4,
		     uint32_t len)
{
	dec_put(d, "%s", what);
	if (len >= 8)
		dec_put(d, " id %u seq %u", get_be16(l4 + 4), get_be16(l4 + 6));
}

static void dec_unreach(struct dec *d, const char *const *names, unsigned nn,
			uint8_t code)
{
	if (code < nn)
		dec_put(d, "unreachable (%s)", names[code]);
	else
		dec_put(d, "unreachable code %u", code);
}

static void dec_icmp4(struct dec *d, const uint8_t *l4, uint32_t len)
{
	dec_put(d, "ICMP ");
	if (len < 4) {
		dec_put(d, "truncated");
		return;
	}
	switch (l4[0]) {
	case 0:
		dec_echo(d, "echo reply", l4, len);
		break;
	case 8:
		dec_echo(d, "echo request", l4, len);
		break;
	case 3:
		dec_unreach(d, icmp4_unreach, ARRAY_SIZE(icmp4_unreach), l4[1]);
		if (l4[1] == 4 && len >= 8)
			dec_put(d, " mtu %u", get_be16(l4 + 6));
		break;
	case 11:
		dec_put(d, "time exceeded%s", l4[1] ? " (reassembly)" : " (ttl)");
		break;
	default:
		dec_put(d, "type %u code %u", l4[0], l4[1]);
	}
}

static void dec_nd_target(struct dec *d, const char *what, const uint8_t *l4,
			  uint32_t len)
{
	dec_put(d, "%s", what);
	if (len >= 24) {
		dec_put(d, " ");
		dec_addr(d, AF_INET6, l4 + 8);
	}
}

static void dec_icmp6(struct dec *d, const uint8_t *l4, uint32_t len)
{
	dec_put(d, "ICMPv6 ");
	if (len < 4) {
		dec_put(d, "truncated");
		return;
	}
	switch (l4[0]) {
	case 128:
		dec_echo(d, "echo request", l4, len);
		break;
	case 129:
		dec_echo(d, "echo reply", l4, len);
		break;
	case 1:
		dec_unreach(d, icmp6_unreach, ARRAY_SIZE(icmp6_unreach), l4[1]);
		break;
	case 2:
		dec_put(d, "packet too big");
		if (len >= 8)
			dec_put(d, " mtu %u", get_be32(l4 + 4));
		break;
	case 3:
		dec_put(d, "time exceeded%s", l4[1] ? " (reassembly)" : " (hop limit)");
		break;
	case 130:
		dec_put(d, "multicast listener query");
		break;
	case 131:
	case 143:
		dec_put(d, "multicast listener report%s", l4[0] == 143 ? " v2" : "");
		break;
	case 132:
		dec_put(d, "multicast listener done");
		break;
	case 133:
		dec_put(d, "router solicitation");
		break;
	case 134:
		dec_put(d, "router advertisement");
		break;
	case 135:
		dec_nd_target(d, "neighbor solicitation who-has", l4, len);
		break;
	case 136:
		dec_nd_target(d, "neighbor advertisement", l4, len);
		break;
	default:
		dec_put(d, "type %u code %u", l4[0], l4[1]);
	}
}

static void dec_tcp_flags(struct dec *d, uint8_t f)
{
	static const char letters[] = "FSRP.UEW"; /* bit 0 .. bit 7 */
	static const uint8_t order[] = { 1, 0, 3, 2, 5, 6, 7, 4 }; /* S F P R U E W . */
	char s[10];
	size_t k = 0;

	for (unsigned i = 0; i < ARRAY_SIZE(order); i++)
		if (f & (1u << order[i]))
			s[k++] = letters[order[i]];
	s[k] = '\0';
	dec_put(d, " [%s]", k ? s : "none");
}

/* Transport header of an IPv4 or IPv6 packet (proto: next header). */
static void dec_l4(struct dec *d, uint8_t proto, const uint8_t *l4,
		   uint32_t len)
{
	switch (proto) {
	case 6:
	case 17:
		dec_put(d, "%s", proto == 6 ? "TCP" : "UDP");
		if (len < 4) {
			dec_put(d, " truncated");
			return;
		}
		dec_put(d, " %u > %u", get_be16(l4), get_be16(l4 + 2));
		if (proto == 6 && len >= 14)
			dec_tcp_flags(d, l4[13]);
		if (proto == 17 && len >= 8)
			dec_put(d, " len %u", get_be16(l4 + 4));
		break;
	case 1:
		dec_icmp4(d, l4, len);
		break;
	case 58:
		dec_icmp6(d, l4, len);
		break;
	default:
		dec_put(d, "proto %u", proto);
	}
}

static void dec_ip4(struct dec *d, const uint8_t *h, uint32_t len)
{
	uint32_t ihl, tot;
	uint16_t frag;

	if (len < 20 || (h[0] >> 4) != 4 || (ihl = (h[0] & 15u) * 4u) < 20 ||
	    ihl > len) {
		dec_put(d, "IPv4 truncated or bad header (%u bytes)", len);
		return;
	}
	tot = get_be16(h + 2);
	if (tot >= ihl && tot < len)
		len = tot; /* Ethernet padding */
	dec_put(d, "IPv4 ");
	dec_addr(d, AF_INET, h + 12);
	dec_put(d, " > ");
	dec_addr(d, AF_INET, h + 16);
	dec_put(d, " ");
	frag = get_be16(h + 6);
	if (frag & 0x1fff) {
		dec_put(d, "proto %u fragment off %u%s", h[9], (frag & 0x1fffu) * 8u,
			frag & 0x2000 ? "+" : "");
		return;
	}
	dec_l4(d, h[9], h + ihl, len - ihl);
	if (frag & 0x2000)
		dec_put(d, " (first fragment)");
}

static bool ip6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 60 || nh == 51;
}

static void dec_ip6(struct dec *d, const uint8_t *h, uint32_t len)
{
	uint32_t off = 40, plen, hl;
	uint8_t nh;

	if (len < 40 || (h[0] >> 4) != 6) {
		dec_put(d, "IPv6 truncated or bad header (%u bytes)", len);
		return;
	}
	plen = get_be16(h + 4);
	if (40 + plen < len)
		len = 40 + plen; /* Ethernet padding */
	dec_put(d, "IPv6 ");
	dec_addr(d, AF_INET6, h + 8);
	dec_put(d, " > ");
	dec_addr(d, AF_INET6, h + 24);
	dec_put(d, " ");
	nh = h[6];
	for (int i = 0; i < 8; i++) {
		if (nh == 44) { /* fragment */
			if (off + 8 > len)
				break;
			if (get_be16(h + off + 2) & 0xfff8) {
				dec_put(d, "proto %u fragment off %u", h[off],
					get_be16(h + off + 2) & 0xfff8u);
				return;
			}
			nh = h[off];
			off += 8;
			continue;
		}
		if (!ip6_ext(nh) || off + 2 > len)
			break;
		hl = nh == 51 ? (h[off + 1] + 2u) * 4u : (h[off + 1] + 1u) * 8u;
		nh = h[off];
		off += hl;
	}
	if (off > len || ip6_ext(nh) || nh == 44) {
		dec_put(d, "truncated extension headers");
		return;
	}
	dec_l4(d, nh, h + off, len - off);
}

static void dec_arp(struct dec *d, const uint8_t *a, uint32_t len)
{
	char mac[18];

	if (len < 28 || get_be16(a) != 1 || get_be16(a + 2) != 0x0800 ||
	    a[4] != 6 || a[5] != 4) {
		dec_put(d, "ARP (not Ethernet/IPv4 or truncated, %u bytes)", len);
		return;
	}
	switch (get_be16(a + 6)) {
	case 1:
		dec_put(d, "ARP request who-has ");
		dec_addr(d, AF_INET, a + 24);
		dec_put(d, " tell ");
		dec_addr(d, AF_INET, a + 14);
		break;
	case 2:
		dec_put(d, "ARP reply ");
		dec_addr(d, AF_INET, a + 14);
		dec_put(d, " is-at %s", out_mac(a + 8, mac));
		break;
	default:
		dec_put(d, "ARP op %u", get_be16(a + 6));
	}
}

void cap_decode(const uint8_t *f, uint32_t caplen, char *buf, size_t n)
{
	struct dec d = { .buf = buf, .n = n };
	char m1[18], m2[18];
	uint32_t off = 12;
	uint16_t type;

	if (n == 0)
		return;
	buf[0] = '\0';
	if (caplen < 14) {
		dec_put(&d, "truncated Ethernet frame (%u bytes)", caplen);
		return;
	}
	type = get_be16(f + 12);
	for (int tags = 0; (type == 0x8100 || type == 0x88a8) && tags < 2; tags++) {
		if (caplen < off + 6) {
			dec_put(&d, "truncated VLAN tag");
			return;
		}
		dec_put(&d, "%s vlan %u, ", type == 0x8100 ? "802.1Q" : "802.1ad",
			get_be16(f + off + 2) & 0xfffu);
		off += 4;
		type = get_be16(f + off);
	}
	off += 2;
	switch (type) {
	case 0x0806:
		dec_arp(&d, f + off, caplen - off);
		break;
	case 0x0800:
		dec_ip4(&d, f + off, caplen - off);
		break;
	case 0x86dd:
		dec_ip6(&d, f + off, caplen - off);
		break;
	default:
		dec_put(&d, "%s > %s ethertype 0x%04x", out_mac(f + 6, m1),
			out_mac(f, m2), type);
	}
}

/* -------------------------------------------------------------- output */

size_t cap_rec_out_max(const struct cap_session *s, const struct cap_rec *r)
{
	return s->o.format == CAP_FMT_PCAP ? CAP_PCAP_REC_HDR + r->caplen
					   : CAP_LINE_MAX;
}

/* JSON string body of src (quotes, backslashes, control bytes escaped). */
static void json_esc(const char *src, char *dst, size_t n)
{
	size_t k = 0;

	for (; *src && k + 7 < n; src++) {
		unsigned char ch = (unsigned char)*src;

		if (ch == '"' || ch == '\\')
			k += (size_t)snprintf(dst + k, n - k, "\\%c", ch);
		else if (ch < 0x20)
			k += (size_t)snprintf(dst + k, n - k, "\\u%04x", ch);
		else
			dst[k++] = (char)ch;
	}
	dst[k] = '\0';
}

static size_t fmt_line(const struct cap_session *s, const struct cap_rec *r,
		       char *dst)
{
	time_t sec = (time_t)(r->ts_ns / 1000000000ull);
	unsigned usec = (unsigned)(r->ts_ns % 1000000000ull / 1000u);
	const char *dir = r->dir ? "tx" : "rx";
	char sum[256], name[6 * DEV_NAME_MAX + 1], esum[6 * sizeof(sum)];
	struct tm tm;
	int k;

	cap_decode(r->data, r->caplen, sum, sizeof(sum));
	if (s->o.format == CAP_FMT_JSON) {
		json_esc(s->dev_name, name, sizeof(name));
		json_esc(sum, esum, sizeof(esum));
		k = snprintf(dst, CAP_LINE_MAX,
			     "{\"time\":%lld.%06u,\"dev\":\"%s\",\"dir\":\"%s\",\"len\":%u,\"caplen\":%u,\"summary\":\"%s\"}\n",
			     (long long)sec, usec, name, dir, r->orig_len,
			     r->caplen, esum);
	} else {
		localtime_r(&sec, &tm);
		k = snprintf(dst, CAP_LINE_MAX, "%02d:%02d:%02d.%06u %s %s len %u %s\n",
			     tm.tm_hour, tm.tm_min, tm.tm_sec, usec, s->dev_name,
			     dir, r->orig_len, sum);
	}
	if (k < 0)
		k = 0;
	if ((size_t)k >= CAP_LINE_MAX) { /* cannot happen with the sizes above */
		k = CAP_LINE_MAX - 1;
		dst[k - 1] = '\n';
	}
	return (size_t)k;
}

size_t cap_rec_format(const struct cap_session *s, const struct cap_rec *r,
		      uint8_t *dst)
{
	if (s->o.format != CAP_FMT_PCAP)
		return fmt_line(s, r, (char *)dst);
	cap_pcap_rec_header(dst, r->ts_ns, r->caplen, r->orig_len);
	memcpy(dst + CAP_PCAP_REC_HDR, r->data, r->caplen);
	return CAP_PCAP_REC_HDR + r->caplen;
}

void cap_banner(const struct cap_session *s, char *buf, size_t n)
{
	snprintf(buf, n, "listening on %s (%s), link-type EN10MB (Ethernet), snapshot length %u bytes",
		 s->dev_name, s->kind, s->o.snaplen);
}

void cap_summary(const struct cap_session *s, enum cap_end why, char *buf,
		 size_t n)
{
	struct cap_counts c;
	char reason[96];

	switch (why) {
	case CAP_END_COUNT:
		snprintf(reason, sizeof(reason), "stopped after %" PRIu64 " packets",
			 s->o.count);
		break;
	case CAP_END_TIMEOUT:
		snprintf(reason, sizeof(reason), "stopped after the %.3f s timeout",
			 (double)s->o.timeout_ms / 1000.0);
		break;
	case CAP_END_GONE:
		snprintf(reason, sizeof(reason), "ended: device %s was deleted",
			 s->dev_name);
		break;
	case CAP_END_CLIENT:
		snprintf(reason, sizeof(reason), "interrupted");
		break;
	case CAP_END_SHUTDOWN:
		snprintf(reason, sizeof(reason), "ended: usnet is shutting down");
		break;
	default:
		snprintf(reason, sizeof(reason), "ended");
	}
	cap_counts(s, &c);
	snprintf(buf, n,
		 "capture on %s %s\n%" PRIu64 " packets captured\n%" PRIu64
		 " packets received by filter\n%" PRIu64
		 " packets dropped by buffer\n",
		 s->dev_name, reason, c.delivered, c.seen, c.dropped);
}
