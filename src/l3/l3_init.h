/* L3 start-up. */
#ifndef USNET_L3_L3_INIT_H
#define USNET_L3_L3_INIT_H

/* Install the L3 layer's hooks (neighbor failure -> ICMP unreachable).
 * Control thread, before workers start. */
void l3_init(void);

#endif
