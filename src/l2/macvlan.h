/* macvlan: virtual Ethernet devices with their own MAC addresses on top of
 * one lower device (`link add mv0 link p0 type macvlan [mode bridge|private|
 * vepa|passthru]`). The device kind is macvlan_driver, declared in
 * dev/drivers.h; this header has what other code may ask about one. */
#ifndef USNET_L2_MACVLAN_H
#define USNET_L2_MACVLAN_H

#include <stdbool.h>

struct dev;

/* Is d a macvlan device? The lower device it sends through, or NULL when d
 * is not a macvlan or its lower is gone. RCU reader or control thread. (For
 * `link del` of a lower: its macvlans go first.) */
bool macvlan_is_macvlan(const struct dev *d);
struct dev *macvlan_lower(const struct dev *d);

/* Packets waiting in d's local-delivery queue (frames from sibling macvlans
 * and broadcast copies, drained by d's rx_burst); 0 when d is not a macvlan.
 * Any thread (a snapshot). */
unsigned macvlan_queued(const struct dev *d);

#endif
