/* Local delivery of IPv4 packets addressed to usnet: ICMP, and answers for
 * protocols nobody listens to. Fragments are reassembled first. */
#include "l3/ip.h"

#include "core/util.h"
#include "core/worker.h"
#include "dev/dev.h"
#include "l3/icmp.h"
#include "l3/reasm.h"

void ip4_local(struct worker *w, struct dev *in, struct pkt *p)
{
	const uint8_t *ip = p->data;

	if (get_be16(ip + 6) & (IP4_MF | IP4_OFFMASK)) {
		p = reasm_input(w, in, p);
		if (!p)
			return; /* kept for reassembly, or dropped */
	}
	if (p->l4_proto == IPPROTO_ICMP) {
		icmp4_input(w, in, p);
		return;
	}
	ip_no_listener(w, in, p);
}
