/* Hook called for each packet dropped because its neighbor failed to
 * resolve, so that the IPv4/IPv6 layer can send "host unreachable" /
 * "address unreachable" errors (RFC 1812 4.3.3.1, RFC 4861 7.2.2). */
#ifndef USNET_L2_NEIGH_HOOK_H
#define USNET_L2_NEIGH_HOOK_H

struct worker;
struct pkt;

/* NULL (the default) or a function the L3 layer installs once at start-up
 * (control thread, before workers run). Called on the control thread from
 * neigh_timer, outside the neighbor table lock, once per queued packet of
 * an entry that went FAILED, just before the packet is dropped and counted
 * (DROP_NEIGH_FAILED). p's data is at its L3 header (family AF_INET or
 * AF_INET6), in_ifindex is the device it came in on, out_ifindex the device
 * it was meant to leave by. The hook does NOT take ownership of p (copy what
 * it needs); it may send packets through w, including via neigh_output. */
extern void (*neigh_unreachable_hook)(struct worker *w, struct pkt *p,
				      int family);

#endif
