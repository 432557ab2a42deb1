/* gen device: an in-memory traffic generator for benchmarks.
 *
 *   link add g0 type gen src ADDR dst ADDR [dst-mac MAC] [src-mac MAC]
 *                        [size BYTES] [flows N] [count N] [proto udp]
 *
 * open() builds one Ethernet/IPv4-or-IPv6/UDP frame of `size` bytes
 * (Ethernet header included) addressed to dst-mac (default: the device's
 * own MAC at open time, so usnet takes the frames as sent to it). Each
 * rx_burst returns fresh copies of it whose UDP source port walks over
 * `flows` values; the UDP checksum is kept right incrementally from a sum
 * taken once. After `count` packets rx_done() turns true. Transmit is a
 * counting sink. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"
#include "ctl/out.h"
#include "dev/drivers.h"
#include "offload/csum.h"

#define GEN_ETH_HLEN 14u
#define GEN_IP4_HLEN 20u
#define GEN_IP6_HLEN 40u
#define GEN_UDP_HLEN 8u
#define GEN_MIN_SIZE 60u
#define GEN_MAX_SIZE (GEN_ETH_HLEN + 65535u)
#define GEN_DEFAULT_SIZE 64u
#define GEN_SPORT_BASE 1024u
#define GEN_DPORT 9u /* discard */

struct gen_cfg {
	int family;
	union pkt_addr src, dst;
	uint8_t src_mac[6], dst_mac[6];
	bool has_dst_mac;
	uint32_t size;
	uint32_t flows;
	uint64_t count;         /* 0 = unlimited */
};

struct gen_priv {
	struct gen_cfg cfg;     /* from create() */

	/* built by open() */
	uint32_t l4_off;        /* UDP header in tmpl */
	uint32_t udp_sum;       /* UDP sum with source port and checksum 0 */
	uint32_t next_flow;
	uint64_t sent;
	uint8_t tmpl[GEN_MAX_SIZE];
};

/* Writes the IPv4 or IPv6 header at l3; returns the UDP pseudo-header sum. */
static uint32_t gen_build_ip(const struct gen_cfg *c, uint8_t *l3,
			     uint32_t l4_len)
{
	if (c->family == AF_INET) {
		l3[0] = 0x45;
		put_be16(l3 + 2, (uint16_t)(GEN_IP4_HLEN + l4_len));
		put_be16(l3 + 6, 0x4000); /* DF */
		l3[8] = 64;
		l3[9] = IPPROTO_UDP;
		memcpy(l3 + 12, &c->src.v4, 4);
		memcpy(l3 + 16, &c->dst.v4, 4);
		put_be16(l3 + 10, csum_ip4_header(l3, GEN_IP4_HLEN));
		return csum_pseudo4(c->src.v4, c->dst.v4, IPPROTO_UDP, l4_len);
	}
	put_be32(l3, 0x60000000u);
	put_be16(l3 + 4, (uint16_t)l4_len);
	l3[6] = IPPROTO_UDP;
	l3[7] = 64;
	memcpy(l3 + 8, c->src.v6, 16);
	memcpy(l3 + 24, c->dst.v6, 16);
	return csum_pseudo6(c->src.v6, c->dst.v6, IPPROTO_UDP, l4_len);
}

static void gen_build_template(struct dev *d, struct gen_priv *g)
{
	const struct gen_cfg *c = &g->cfg;
	uint32_t l3_len = c->family == AF_INET ? GEN_IP4_HLEN : GEN_IP6_HLEN;
	uint32_t l4_len = c->size - GEN_ETH_HLEN - l3_len;
	uint8_t *t = g->tmpl, *udp;
	uint32_t pseudo;

	memset(t, 0, c->size);
	memcpy(t, c->has_dst_mac ? c->dst_mac : d->mac, 6);
	memcpy(t + 6, c->src_mac, 6);
	put_be16(t + 12, c->family == AF_INET ? 0x0800 : 0x86dd);
	pseudo = gen_build_ip(c, t + GEN_ETH_HLEN, l4_len);

	g->l4_off = GEN_ETH_HLEN + l3_len;
	udp = t + g->l4_off;
	put_be16(udp + 2, GEN_DPORT);
	put_be16(udp + 4, (uint16_t)l4_len);
	for (uint32_t i = GEN_UDP_HLEN; i < l4_len; i++)
		udp[i] = (uint8_t)i;
	/* Source port and checksum are zero here; added per packet. */
	g->udp_sum = csum_partial(udp, l4_len, pseudo);
}

static int gen_open(struct dev *d, char *err)
{
	struct gen_priv *g = d->priv;

	gen_build_template(d, g);
	g->next_flow = 0;
	g->sent = 0;
	return 0;
}

/* Put the next flow's source port and the matching checksum into frame. */
static void gen_stamp_flow(struct gen_priv *g, uint8_t *frame)
{
	uint16_t sport = (uint16_t)(GEN_SPORT_BASE + g->next_flow);
	uint16_t c = csum_finish(csum_fold(g->udp_sum + sport));

	put_be16(frame + g->l4_off, sport);
	put_be16(frame + g->l4_off + 6, c ? c : 0xffff);
	if (++g->next_flow == g->cfg.flows)
		g->next_flow = 0;
}

static uint16_t gen_rx_burst(struct dev *d, struct pkt **pkts, uint16_t n)
{
	struct gen_priv *g = d->priv;
	uint16_t k = 0;

	if (g->cfg.count && g->cfg.count - g->sent < n)
		n = (uint16_t)(g->cfg.count - g->sent);
	for (; k < n; k++) {
		struct pkt *p = pkt_alloc(g->cfg.size);
		if (!p)
			break; /* nothing was read: not a drop, try next time */
		memcpy(pkt_put(p, g->cfg.size), g->tmpl, g->cfg.size);
		gen_stamp_flow(g, p->data);
		p->in_ifindex = d->ifindex;
		drv_rx_count(d, g->cfg.size);
		pkts[k] = p;
	}
	g->sent += k;
	return k;
}

static bool gen_rx_done(struct dev *d)
{
	const struct gen_priv *g = d->priv;
	return g->cfg.count && g->sent >= g->cfg.count;
}


static void gen_describe(struct dev *d, struct ctl_out *out)
{
	const struct gen_priv *g = d->priv;
	const struct gen_cfg *c = &g->cfg;
	char s[INET6_ADDRSTRLEN], t[INET6_ADDRSTRLEN];

	out_addr(c->family, &c->src, s);
	out_addr(c->family, &c->dst, t);
	out_text(out, " src %s dst %s size %u flows %u", s, t, c->size,
		 c->flows);
	out_str(out, "src", s);
	out_str(out, "dst", t);
	out_u64(out, "size", c->size);
	out_u64(out, "flows", c->flows);
	out_u64(out, "count", c->count);
	out_u64(out, "sent", g->sent);
}

static const struct dev_ops gen_ops = {
	.kind = "gen",
	.open = gen_open,
	.close = drv_close_nothing,
	.rx_burst = gen_rx_burst,
	.tx_burst = drv_tx_sink,
	.rx_fd = drv_no_fd,
	.set_mtu = drv_set_mtu_any,
	.set_mac = drv_set_mac_any,
	.destroy = drv_destroy_nothing,
	.describe = gen_describe,
	.rx_done = gen_rx_done,
};

static int gen_parse_addr(const char *key, const char *s, int *family,
			  union pkt_addr *a, char *err)
{
	if (inet_pton(AF_INET, s, &a->v4) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->v6) == 1) {
		*family = AF_INET6;
		return 0;
	}
	snprintf(err, DRV_ERR_SIZE, "gen: invalid %s address '%s'", key, s);
	return -1;
}

struct gen_args {
	const char *src, *dst;
	int src_family, dst_family;
	bool has_size;
};

/* One keyword and its value. */
static int gen_parse_one(struct gen_cfg *c, struct gen_args *a,
			 const char *key, const char *v, char *err)
{
	if (strcmp(key, "src") == 0) {
		a->src = v;
		return gen_parse_addr("src", v, &a->src_family, &c->src, err);
	}
	if (strcmp(key, "dst") == 0) {
		a->dst = v;
		return gen_parse_addr("dst", v, &a->dst_family, &c->dst, err);
	}
	if (strcmp(key, "dst-mac") == 0) {
		c->has_dst_mac = true;
		return drv_parse_mac("gen", key, v, c->dst_mac, err);
	}
	if (strcmp(key, "src-mac") == 0)
		return drv_parse_mac("gen", key, v, c->src_mac, err);
	if (strcmp(key, "size") == 0) {
		a->has_size = true;
		return drv_parse_u32("gen", key, v, GEN_MIN_SIZE, GEN_MAX_SIZE,
				     &c->size, err);
	}
	if (strcmp(key, "flows") == 0)
		return drv_parse_u32("gen", key, v, 1, 65536 - GEN_SPORT_BASE,
				     &c->flows, err);
	if (strcmp(key, "count") == 0)
		return drv_parse_u64("gen", key, v, 1, UINT64_MAX, &c->count,
				     err);
	if (strcmp(key, "proto") == 0) {
		if (strcmp(v, "udp") == 0)
			return 0;
		snprintf(err, DRV_ERR_SIZE,
			 "gen: invalid proto '%s' (only udp)", v);
		return -1;
	}
	return drv_err_unknown("gen", key, err);
}

static const char *const gen_keys[] = {
	"src", "dst", "dst-mac", "src-mac", "size", "flows", "count", "proto",
};

static bool gen_is_key(const char *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(gen_keys); i++)
		if (strcmp(w, gen_keys[i]) == 0)
			return true;
	return false;
}

/* Cross-argument checks once all words are read. */
static int gen_check(struct gen_cfg *c, const struct gen_args *a, char *err)
{
	uint32_t min;

	if (!a->src || !a->dst) {
		snprintf(err, DRV_ERR_SIZE, "gen: missing '%s ADDR'",
			 a->src ? "dst" : "src");
		return -1;
	}
	if (a->src_family != a->dst_family) {
		snprintf(err, DRV_ERR_SIZE,
			 "gen: src %s and dst %s are not of the same family",
			 a->src, a->dst);
		return -1;
	}
	c->family = a->src_family;
	min = GEN_ETH_HLEN + GEN_UDP_HLEN +
	      (c->family == AF_INET ? GEN_IP4_HLEN : GEN_IP6_HLEN);
	min = MAX(min, GEN_MIN_SIZE);
	if (!a->has_size)
		c->size = MAX(GEN_DEFAULT_SIZE, min);
	if (c->size < min) {
		snprintf(err, DRV_ERR_SIZE,
			 "gen: size %u is below the minimum %u for this family",
			 c->size, min);
		return -1;
	}
	return 0;
}

static int gen_parse(struct gen_cfg *c, int argc, char **argv, char *err)
{
	struct gen_args a = { 0 };

	c->flows = 1;
	c->src_mac[0] = 0x02;
	memcpy(c->src_mac + 1, "\x67\x65\x6e\x00\x01", 5);
	for (int i = 0; i < argc; i++) {
		const char *key = argv[i], *v;
		if (!gen_is_key(key))
			return drv_err_unknown("gen", key, err);
		if (drv_arg_value("gen", argc, argv, &i, &v, err) < 0 ||
		    gen_parse_one(c, &a, key, v, err) < 0)
			return -1;
	}
	return gen_check(c, &a, err);
}

static struct dev *gen_create(const char *name, int argc, char **argv,
			      char *err)
{
	struct gen_cfg c = { 0 };
	struct gen_priv *g;
	struct dev *d;

	if (gen_parse(&c, argc, argv, err) < 0)
		return NULL;
	d = drv_alloc("gen", name, &gen_ops, sizeof(*g), err);
	if (!d)
		return NULL;
	g = d->priv;
	g->cfg = c;
	d->features = 0;
	return d;
}

const struct dev_driver gen_driver = {
	.kind = "gen",
	.usage = "src ADDR dst ADDR [dst-mac MAC] [src-mac MAC] [size BYTES] "
		 "[flows N] [count N] [proto udp]",
	.create = gen_create,
};
