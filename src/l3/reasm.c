/* Fragment reassembly for local delivery, one table per worker thread (the
 * fragments of a datagram arrive on one port, hence one worker). Fragments
 * of a datagram are kept sorted by offset; any overlap discards the whole
 * datagram; a datagram not complete within REASM_TIMEOUT_MS is discarded
 * (with ICMP time exceeded, code 1, when its first fragment arrived). */
#include "l3/reasm.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "l3/icmp.h"
#include "l3/ip.h"
#include "offload/csum.h"

struct reasm_frag {
	struct pkt *p;
	uint32_t off, len;     /* payload offset and bytes */
};

struct reasm_dgram {
	bool used;
	uint8_t family, proto;
	uint32_t id;
	union pkt_addr src, dst;
	uint64_t deadline_ms;
	uint32_t total;        /* payload length, known once the last arrived */
	bool have_last;
	uint32_t nfrags;
	struct reasm_frag frag[REASM_MAX_FRAGS];
};

struct reasm_table {
	struct reasm_dgram d[REASM_MAX_DATAGRAMS];
};

/* What a fragment says about itself. */
struct frag_info {
	uint8_t family, proto;
	uint32_t id, off, len, hdr_len; /* hdr_len: bytes before the payload */
	bool more;
	union pkt_addr src, dst;
};

static bool frag_parse(const struct pkt *p, struct frag_info *fi)
{
	const uint8_t *ip = p->data;

	memset(fi, 0, sizeof(*fi));
	fi->family = p->l3_family;
	if (fi->family == AF_INET) {
		uint16_t f = get_be16(ip + 6);
		fi->hdr_len = (ip[0] & 0xfu) * 4;
		fi->proto = ip[9];
		fi->id = get_be16(ip + 4);
		fi->off = (f & IP4_OFFMASK) * 8u;
		fi->more = (f & IP4_MF) != 0;
		memcpy(&fi->src.v4, ip + 12, 4);
		memcpy(&fi->dst.v4, ip + 16, 4);
	} else {
		uint32_t fh = p->l4_off - p->l3_off;
		if (fh + 8 > p->len)
			return false;
		fi->hdr_len = fh + 8;
		fi->proto = ip[fh];
		fi->id = get_be32(ip + fh + 4);
		fi->off = get_be16(ip + fh + 2) & 0xfff8u;
		fi->more = (ip[fh + 3] & 1) != 0;
		memcpy(fi->src.v6, ip + 8, 16);
		memcpy(fi->dst.v6, ip + 24, 16);
	}
	if (fi->hdr_len > p->len)
		return false;
	fi->len = p->len - fi->hdr_len;
	/* All but the last fragment carry multiples of 8 bytes. */
	if ((fi->more && (fi->len == 0 || (fi->len & 7))) ||
	    fi->off + fi->len > 65535)
		return false;
	return true;
}

static bool dgram_match(const struct reasm_dgram *g,
			const struct frag_info *fi)
{
	size_t alen = fi->family == AF_INET ? 4 : 16;
	return g->used && g->family == fi->family && g->id == fi->id &&
	       g->proto == fi->proto && memcmp(&g->src, &fi->src, alen) == 0 &&
	       memcmp(&g->dst, &fi->dst, alen) == 0;
}

static void dgram_drop(struct reasm_dgram *g, enum drop_reason r)
{
	for (uint32_t i = 0; i < g->nfrags; i++) {
		struct pkt *f = g->frag[i].p;
		struct dev *in = dev_get(f->in_ifindex);
		if (in)
			dev_rx_drop(in, f, r);
		else
			pkt_drop_orphan(f, r);
	}
	g->used = false;
	g->nfrags = 0;
}

static void dgram_expire(struct worker *w, struct reasm_dgram *g)
{
	if (g->nfrags && g->frag[0].off == 0) {
		const struct pkt *first = g->frag[0].p;
		if (g->family == AF_INET)
			icmp4_send_error(w, first, ICMP4_TIME_EXCEEDED, 1, 0);
		else
			icmp6_send_error(w, first, ICMP6_TIME_EXCEEDED, 1, 0);
	}
	dgram_drop(g, DROP_REASM_TIMEOUT);
}

/* Find the datagram of fi, creating it (evicting expired ones). */
static struct reasm_dgram *dgram_get(struct worker *w, struct reasm_table *t,
				     const struct frag_info *fi)
{
	struct reasm_dgram *free_slot = NULL;

	for (unsigned i = 0; i < REASM_MAX_DATAGRAMS; i++) {
		struct reasm_dgram *g = &t->d[i];
		if (g->used && g->deadline_ms <= w->now_ms)
			dgram_expire(w, g);
		if (dgram_match(g, fi))
			return g;
		if (!g->used && !free_slot)
			free_slot = g;
	}
	if (!free_slot)
		return NULL;
	memset(free_slot, 0, offsetof(struct reasm_dgram, frag));
	free_slot->used = true;
	free_slot->family = fi->family;
	free_slot->proto = fi->proto;
	free_slot->id = fi->id;
	free_slot->src = fi->src;
	free_slot->dst = fi->dst;
	free_slot->deadline_ms = w->now_ms + REASM_TIMEOUT_MS;
	return free_slot;
}

/* Insert sorted by offset; false on overlap or a full datagram. */
static bool dgram_insert(struct reasm_dgram *g, struct pkt *p,
			 const struct frag_info *fi)
{
	uint32_t i = 0;

	if (g->nfrags == REASM_MAX_FRAGS)
		return false;
	while (i < g->nfrags && g->frag[i].off < fi->off)
		i++;
	if (i > 0 && g->frag[i - 1].off + g->frag[i - 1].len > fi->off)
		return false;
	if (i < g->nfrags && fi->off + fi->len > g->frag[i].off)
		return false;
	if (!fi->more) {
		if (g->have_last || (g->nfrags && g->frag[g->nfrags - 1].off +
					  g->frag[g->nfrags - 1].len > fi->off + fi->len))
			return false;
		g->have_last = true;
		g->total = fi->off + fi->len;
	} else if (g->have_last && fi->off + fi->len > g->total) {
		return false;
	}
	memmove(&g->frag[i + 1], &g->frag[i], (g->nfrags - i) * sizeof(g->frag[0]));
	g->frag[i] = (struct reasm_frag){ .p = p, .off = fi->off, .len = fi->len };
	g->nfrags++;
	return true;
}

static bool dgram_complete(const struct reasm_dgram *g)
{
	uint32_t next = 0;

	if (!g->have_last)
		return false;
	for (uint32_t i = 0; i < g->nfrags; i++) {
		if (g->frag[i].off != next)
			return false;
		next += g->frag[i].len;
	}
	return next == g->total;
}

/* Build the datagram from its fragments: the first fragment's header
 * (IPv6: without the fragment header) followed by all payloads. */
static struct pkt *dgram_build(struct reasm_dgram *g)
{
	struct pkt *first = g->frag[0].p;
	struct frag_info fi;
	uint32_t unfrag;
	struct pkt *r;
	uint8_t *ip;

	frag_parse(first, &fi);
	unfrag = g->family == AF_INET ? fi.hdr_len : fi.hdr_len - 8;
	r = pkt_alloc(unfrag + g->total);
	if (!r)
		return NULL;
	ip = pkt_put(r, unfrag + g->total);
	memcpy(ip, first->data, unfrag);
	for (uint32_t i = 0; i < g->nfrags; i++)
		memcpy(ip + unfrag + g->frag[i].off,
		       g->frag[i].p->data + (g->frag[i].p->len - g->frag[i].len),
		       g->frag[i].len);
	r->flags = first->flags;
	r->in_ifindex = first->in_ifindex;
	r->table_id = first->table_id;
	r->l3_family = g->family;
	r->l4_proto = g->proto;
	r->l3_off = pkt_off(r, ip);
	r->l4_off = (uint16_t)(r->l3_off + unfrag);
	if (g->family == AF_INET) {
		put_be16(ip + 2, (uint16_t)(unfrag + g->total));
		put_be16(ip + 6, 0);
		put_be16(ip + 10, 0);
		put_be16(ip + 10, csum_ip4_header(ip, unfrag));
	} else {
		uint32_t fh = first->l4_off - first->l3_off;
		/* the header before the fragment header now names its proto */
		uint32_t prev = fh == IP6_HLEN ? 6 : 0;
		if (!prev) { /* find the header whose next header is 44 */
			uint32_t o = IP6_HLEN;
			prev = 6;
			while (o < fh) {
				prev = o;
				o += ((uint32_t)ip[o + 1] + 1) * 8;
			}
		}
		ip[prev] = g->proto;
		put_be16(ip + 4, (uint16_t)(unfrag - IP6_HLEN + g->total));
		r->l4_off = (uint16_t)(r->l3_off + IP6_HLEN);
	}
	return r;
}

struct pkt *reasm_input(struct worker *w, struct dev *in, struct pkt *p)
{
	struct frag_info fi;
	struct reasm_dgram *g;
	struct pkt *r;

	if (!w->reasm && !(w->reasm = calloc(1, sizeof(*w->reasm)))) {
		dev_rx_drop(in, p, DROP_NOMEM);
		return NULL;
	}
	if (pkt_linearize(p) < 0 || !frag_parse(p, &fi)) {
		dev_rx_drop(in, p, DROP_REASM_FAILED);
		return NULL;
	}
	g = dgram_get(w, w->reasm, &fi);
	if (!g) {
		dev_rx_drop(in, p, DROP_REASM_FAILED);
		return NULL;
	}
	if (!dgram_insert(g, p, &fi)) {
		dev_rx_drop(in, p, DROP_REASM_OVERLAP);
		dgram_drop(g, DROP_REASM_OVERLAP);
		return NULL;
	}
	if (!dgram_complete(g))
		return NULL;
	r = dgram_build(g);
	if (!r) {
		dgram_drop(g, DROP_NOMEM);
		return NULL;
	}
	/* The datagram goes on in place of the fragment that completed it;
	 * the others were consumed, each on the device it came in on. */
	r->in_ifindex = in->ifindex;
	for (uint32_t i = 0; i < g->nfrags; i++) {
		struct pkt *f = g->frag[i].p;
		struct dev *fd = dev_get(f->in_ifindex);
		if (f != p && fd)
			dev_stats_here(fd)->delivered++;
		pkt_free(f);
	}
	g->used = false;
	g->nfrags = 0;
	return r;
}

void reasm_free(struct reasm_table *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < REASM_MAX_DATAGRAMS; i++)
		if (t->d[i].used)
			dgram_drop(&t->d[i], DROP_REASM_TIMEOUT);
	free(t);
}
