/* pcap device: frames from and to capture files.
 *
 *   link add p0 type pcap [in FILE.pcap] [out FILE.pcap]
 *
 * Receive replays the input file (Ethernet link type) once, packets with
 * checksum state NONE; rx_done() is true at its end, or from the start when
 * there is no input. Transmit appends every frame to the output file
 * (link type Ethernet, snaplen 262144), flushed after each burst, closed on
 * close(); without an output file transmit is a counting sink. The device
 * has no offload features: it receives complete, linear frames. */
#include <errno.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "core/util.h"
#include "ctl/out.h"
#include "dev/drivers.h"

#define PCAP_DEV_SNAPLEN 262144

struct pcap_cfg {
	char in[PATH_MAX];      /* "" = no input */
	char out[PATH_MAX];     /* "" = no output */
};

struct pcap_priv {
	struct pcap_cfg cfg;
	pcap_t *in;
	pcap_t *dead;           /* handle the dumper writes through */
	pcap_dumper_t *dumper;
	bool eof;
	bool flush_failed;      /* reported once */
};

/* "pcap: FILE: why", whether or not libpcap's message names the file. */
static void pcap_dev_err(char *err, const char *path, const char *msg)
{
	size_t n = strlen(path);

	if (strncmp(msg, path, n) == 0 && msg[n] == ':')
		drv_errf(err, "pcap: %s", msg);
	else
		drv_errf(err, "pcap: %s: %s", path, msg);
}

static int pcap_dev_open_in(struct pcap_priv *pp, char *err)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	int dlt;

	pp->in = pcap_open_offline(pp->cfg.in, ebuf);
	if (!pp->in) {
		pcap_dev_err(err, pp->cfg.in, ebuf);
		return -EIO;
	}
	dlt = pcap_datalink(pp->in);
	if (dlt != DLT_EN10MB) {
		const char *n = pcap_datalink_val_to_name(dlt);
		drv_errf(err, "pcap: %s: link type %s is not Ethernet",
			 pp->cfg.in, n ? n : "unknown");
		return -EINVAL;
	}
	return 0;
}

static int pcap_dev_open_out(struct pcap_priv *pp, char *err)
{
	pp->dead = pcap_open_dead(DLT_EN10MB, PCAP_DEV_SNAPLEN);
	if (!pp->dead) {
		snprintf(err, DRV_ERR_SIZE, "pcap: out of memory");
		return -ENOMEM;
	}
	pp->dumper = pcap_dump_open(pp->dead, pp->cfg.out);
	if (!pp->dumper) {
		pcap_dev_err(err, pp->cfg.out, pcap_geterr(pp->dead));
		return -EIO;
	}
	return 0;
}

static void pcap_dev_close(struct dev *d)
{
	struct pcap_priv *pp = d->priv;

	if (pp->in)
		pcap_close(pp->in);
	if (pp->dumper)
		pcap_dump_close(pp->dumper); /* flushes */
	if (pp->dead)
		pcap_close(pp->dead);
	pp->in = NULL;
	pp->dumper = NULL;
	pp->dead = NULL;
}

static int pcap_dev_open(struct dev *d, char *err)
{
	struct pcap_priv *pp = d->priv;
	int rc = 0;

	pp->eof = false;
	pp->flush_failed = false;
	if (pp->cfg.in[0])
		rc = pcap_dev_open_in(pp, err);
	if (rc == 0 && pp->cfg.out[0])
		rc = pcap_dev_open_out(pp, err);
	if (rc < 0)
		pcap_dev_close(d);
	return rc;
}

/* One record from the input: a packet, or NULL when it was dropped. */
static struct pkt *pcap_dev_rx_one(struct dev *d,
				   const struct pcap_pkthdr *h,
				   const u_char *data)
{
	struct pkt *p;

	drv_rx_count(d, h->len);
	if (h->caplen < h->len || h->caplen > PKT_BUF_LARGE) {
		drv_rx_drop_nopkt(d, DROP_RX_TRUNCATED);
		return NULL;
	}
	p = pkt_alloc(h->caplen);
	if (!p) {
		drv_rx_drop_nopkt(d, DROP_NOMEM);
		return NULL;
	}
	memcpy(pkt_put(p, h->caplen), data, h->caplen);
	p->in_ifindex = d->ifindex;
	return p;
}

static uint16_t pcap_dev_rx_burst(struct dev *d, struct pkt **pkts,
				  uint16_t n)
{
	struct pcap_priv *pp = d->priv;
	uint16_t k = 0;

	if (!pp->in || pp->eof)
		return 0;
	for (uint16_t i = 0; i < n; i++) {
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc = pcap_next_ex(pp->in, &h, &data);
		struct pkt *p;

		if (rc != 1) {
			if (rc == PCAP_ERROR)
				log_msg(LOG_WARN, "%s: reading '%s': %s",
					d->name, pp->cfg.in,
					pcap_geterr(pp->in));
			pp->eof = true;
			break;
		}
		p = pcap_dev_rx_one(d, h, data);
		if (p)
			pkts[k++] = p;
	}
	return k;
}

/* Write one frame; takes ownership. */
static void pcap_dev_tx_one(struct dev *d, struct pcap_priv *pp,
			    struct pkt *p, const struct timeval *now)
{
	struct pcap_pkthdr h;

	if (pkt_linearize(p) < 0) {
		dev_tx_drop(d, p, DROP_NOMEM);
		return;
	}
	h.ts = *now;
	h.caplen = h.len = p->len;
	pcap_dump((u_char *)pp->dumper, &h, p->data);
	drv_tx_count(d, p->len);
	pkt_free(p);
}

static uint16_t pcap_dev_tx_burst(struct dev *d, struct pkt **pkts,
				  uint16_t n)
{
	struct pcap_priv *pp = d->priv;
	struct timeval now;

	if (!pp->dumper)
		return drv_tx_sink(d, pkts, n);
	gettimeofday(&now, NULL);
	pthread_spin_lock(&d->tx_lock);
	for (uint16_t i = 0; i < n; i++)
		pcap_dev_tx_one(d, pp, pkts[i], &now);
	if (pcap_dump_flush(pp->dumper) < 0 && !pp->flush_failed) {
		pp->flush_failed = true;
		log_msg(LOG_WARN, "%s: writing '%s' failed", d->name,
			pp->cfg.out);
	}
	pthread_spin_unlock(&d->tx_lock);
	return n;
}

static bool pcap_dev_rx_done(struct dev *d)
{
	const struct pcap_priv *pp = d->priv;
	return !pp->in || pp->eof;
}

static void pcap_dev_describe(struct dev *d, struct ctl_out *out)
{
	const struct pcap_priv *pp = d->priv;

	if (pp->cfg.in[0]) {
		out_text(out, " in %s", pp->cfg.in);
		out_str(out, "in", pp->cfg.in);
	}
	if (pp->cfg.out[0]) {
		out_text(out, " out %s", pp->cfg.out);
		out_str(out, "out", pp->cfg.out);
	}
}

static const struct dev_ops pcap_dev_ops = {
	.kind = "pcap",
	.open = pcap_dev_open,
	.close = pcap_dev_close,
	.rx_burst = pcap_dev_rx_burst,
	.tx_burst = pcap_dev_tx_burst,
	.rx_fd = drv_no_fd,
	.set_mtu = drv_set_mtu_any,
	.set_mac = drv_set_mac_any,
	.destroy = drv_destroy_nothing,
	.describe = pcap_dev_describe,
	.rx_done = pcap_dev_rx_done,
};

static int pcap_parse_path(const char *key, const char *v, char *dst,
			   char *err)
{
	size_t n = strlen(v);

	if (n == 0 || n >= PATH_MAX) {
		snprintf(err, DRV_ERR_SIZE, "pcap: invalid %s file name '%.64s'",
			 key, v);
		return -1;
	}
	memcpy(dst, v, n + 1);
	return 0;
}

static int pcap_parse(struct pcap_cfg *c, int argc, char **argv, char *err)
{
	for (int i = 0; i < argc; i++) {
		const char *key = argv[i], *v;
		char *dst;

		if (strcmp(key, "in") == 0)
			dst = c->in;
		else if (strcmp(key, "out") == 0)
			dst = c->out;
		else
			return drv_err_unknown("pcap", key, err);
		if (drv_arg_value("pcap", argc, argv, &i, &v, err) < 0 ||
		    pcap_parse_path(key, v, dst, err) < 0)
			return -1;
	}
	if (c->in[0] && strcmp(c->in, c->out) == 0) {
		snprintf(err, DRV_ERR_SIZE,
			 "pcap: in and out are the same file '%.64s'", c->in);
		return -1;
	}
	return 0;
}

static struct dev *pcap_dev_create(const char *name, int argc, char **argv,
			       char *err)
{
	struct pcap_cfg *c = calloc(1, sizeof(*c));
	struct dev *d = NULL;

	if (!c) {
		snprintf(err, DRV_ERR_SIZE, "pcap: out of memory");
		return NULL;
	}
	if (pcap_parse(c, argc, argv, err) == 0)
		d = drv_alloc("pcap", name, &pcap_dev_ops,
			      sizeof(struct pcap_priv), err);
	if (d) {
		struct pcap_priv *pp = d->priv;
		pp->cfg = *c;
		d->features = 0;
	}
	free(c);
	return d;
}

const struct dev_driver pcap_driver = {
	.kind = "pcap",
	.usage = "[in FILE.pcap] [out FILE.pcap]",
	.create = pcap_dev_create,
};
