/* The transmit step's software fallbacks, chosen by the egress device's
 * feature bits (as Linux's validate_xmit_skb): segment, checksum, linearize. */
#include "offload/tx_fixup.h"

#include "dev/dev.h"
#include "offload/csum.h"
#include "offload/gso.h"

bool tx_gso_supported(const struct dev *d, const struct pkt *p)
{
	uint32_t need = 0;

	if (p->gso_type & PKT_GSO_TCPV4)
		need |= DEV_F_TSO4;
	if (p->gso_type & PKT_GSO_TCPV6)
		need |= DEV_F_TSO6;
	if (p->gso_type & PKT_GSO_UDP_L4)
		need |= DEV_F_USO;
	if (p->gso_type & (PKT_GSO_UDP_TUNNEL | PKT_GSO_UDP_TUNNEL_CSUM))
		return false;
	return need && (d->features & need) == need &&
	       (d->features & DEV_F_CSUM);
}

static struct pkt *tx_segment(struct dev *d, struct pkt *p)
{
	unsigned n;
	struct pkt *segs = gso_segment(p, (d->features & DEV_F_CSUM) != 0, &n);

	if (!segs) {
		dev_tx_drop(d, p, DROP_GSO_FAILED);
		return NULL;
	}
	dev_stats_here(d)->split_extra += n - 1;
	pkt_free(p);
	return segs;
}

struct pkt *tx_fixup(struct dev *d, struct pkt *p)
{
	p->qnext = NULL;
	if (p->gso_size) {
		if (!tx_gso_supported(d, p))
			return tx_segment(d, p);
	}
	if (!pkt_is_linear(p) && !(d->features & (DEV_F_SG | DEV_F_FRAGLIST))) {
		if (pkt_linearize(p) < 0) {
			dev_tx_drop(d, p, DROP_NOMEM);
			return NULL;
		}
	}
	if (p->csum == PKT_CSUM_PARTIAL && !(d->features & DEV_F_CSUM)) {
		if (pkt_make_writable(p) < 0) {
			dev_tx_drop(d, p, DROP_NOMEM);
			return NULL;
		}
		if (csum_complete_partial(p) < 0) {
			dev_tx_drop(d, p, DROP_TX_CSUM_FAILED);
			return NULL;
		}
	}
	return p;
}
