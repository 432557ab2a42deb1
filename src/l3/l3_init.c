/* L3 start-up: hooks the L3 layer installs into lower layers. */
#include "l3/l3_init.h"

#include <sys/socket.h>

#include "core/pkt.h"
#include "l2/neigh_hook.h"
#include "l3/icmp.h"

/* RFC 1812 4.3.3.1 / RFC 4861 7.2.2: a packet whose next hop never
 * answered gets "host unreachable" / "address unreachable", unless usnet
 * generated it itself. */
static void l3_neigh_unreachable(struct worker *w, struct pkt *p, int family)
{
	if (p->flags & PKT_F_LOCAL_ORIGIN)
		return;
	if (family == AF_INET)
		icmp4_send_error(w, p, ICMP4_DEST_UNREACH, ICMP4_HOST_UNREACH, 0);
	else
		icmp6_send_error(w, p, ICMP6_DEST_UNREACH, ICMP6_ADDR_UNREACH, 0);
}

void l3_init(void)
{
	neigh_unreachable_hook = l3_neigh_unreachable;
}
