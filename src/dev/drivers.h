/* The device drivers known to the registry (driver.c) and the argument
 * helpers they share. Each driver lives in its own file (af_packet.c, tap.c,
 * pcap.c, gen.c, null.c) and exports one `struct dev_driver`.
 *
 * Threads: everything here is for the control thread (create() and argument
 * parsing), except drv_rx_count/drv_rx_drop_nopkt which a driver's rx_burst
 * calls on its worker. */
#ifndef USNET_DEV_DRIVERS_H
#define USNET_DEV_DRIVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/drop.h"
#include "dev/dev.h"
#include "dev/driver.h"

extern const struct dev_driver af_packet_driver;
extern const struct dev_driver tap_driver;
extern const struct dev_driver pcap_driver;
extern const struct dev_driver gen_driver;
extern const struct dev_driver null_driver;
extern const struct dev_driver bond_driver;
extern const struct dev_driver vrf_driver;
extern const struct dev_driver vlan_driver;
extern const struct dev_driver macvlan_driver;
extern const struct dev_driver bridge_driver;

#define DRV_ERR_SIZE 256u

/* Default MTU of the drivers that have no kernel interface to ask. */
#define DRV_DEFAULT_MTU 1500u
/* Largest MTU a driver accepts (an IPv4/IPv6 packet of 64 KiB). */
#define DRV_MAX_MTU 65535u
#define DRV_MIN_MTU 68u

/* dev_alloc() with an error message: "KIND: device name 'NAME' is too
 * long" or "KIND: out of memory". The device has dev_alloc's defaults
 * (MTU 1500, random MAC, Ethernet framing). */
struct dev *drv_alloc(const char *kind, const char *name,
		      const struct dev_ops *ops, size_t priv_size, char *err);

/* snprintf into err (DRV_ERR_SIZE bytes), truncating long names. */
void drv_errf(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Argument parsing. Every helper returns 0, or -1 with a message in err
 * (size DRV_ERR_SIZE) that starts with "KIND: " and names the bad word. */

/* The value after the keyword argv[*i]; on success *i is advanced to it.
 * Fails with "KIND: 'KEY' needs a value" at the end of argv. */
int drv_arg_value(const char *kind, int argc, char **argv, int *i,
		  const char **val, char *err);
/* Decimal integer in [min, max]. */
int drv_parse_u64(const char *kind, const char *key, const char *s,
		  uint64_t min, uint64_t max, uint64_t *out, char *err);
int drv_parse_u32(const char *kind, const char *key, const char *s,
		  uint32_t min, uint32_t max, uint32_t *out, char *err);
/* MAC address aa:bb:cc:dd:ee:ff (unicast or not; the caller decides). */
int drv_parse_mac(const char *kind, const char *key, const char *s,
		  uint8_t mac[6], char *err);
/* Kernel interface name: 1..IFNAMSIZ-1 bytes, no '/', ':' or whitespace,
 * not "." or "..". Copies it into out (IFNAMSIZ bytes). */
int drv_parse_ifname(const char *kind, const char *key, const char *s,
		     char *out, char *err);
/* "KIND: unknown argument 'WORD'". Always returns -1. */
int drv_err_unknown(const char *kind, const char *word, char *err);

/* Set IFF_UP on the kernel interface ifname of the current network
 * namespace if it is down. 0, or -errno with "KIND: IFNAME: cannot bring
 * the interface up: why" in err. Control thread. */
int drv_kernel_if_up(const char *kind, const char *ifname, char *err);

/* Optional ops most drivers share: accept any MTU in
 * [DRV_MIN_MTU, DRV_MAX_MTU] (-EINVAL otherwise); accept any MAC. */
int drv_set_mtu_any(struct dev *d, uint32_t mtu);
int drv_set_mac_any(struct dev *d, const uint8_t mac[6]);
/* rx_done for live devices (never done) and for devices without input. */
bool drv_rx_never_done(struct dev *d);
bool drv_rx_always_done(struct dev *d);
/* rx_fd for devices without a file descriptor. */
int drv_no_fd(struct dev *d);
/* rx_burst of a device without input: returns 0. */
uint16_t drv_rx_nothing(struct dev *d, struct pkt **pkts, uint16_t n);
/* tx_burst of a sink: counts every packet as sent and frees it. */
uint16_t drv_tx_sink(struct dev *d, struct pkt **pkts, uint16_t n);
/* open/close for drivers with nothing to open. */
int drv_open_nothing(struct dev *d, char *err);
void drv_close_nothing(struct dev *d);
/* destroy for drivers whose state is all inside the dev allocation. */
void drv_destroy_nothing(struct dev *d);

/* Count one frame read from the outside on d (rx_packets, rx_bytes).
 * Every frame a driver reads is counted here, dropped or not, so that
 * received = passed on + dropped. The device's worker only. */
static inline void drv_rx_count(struct dev *d, uint32_t bytes)
{
	struct dev_stats *s = dev_stats_here(d);
	s->rx_packets++;
	s->rx_bytes += bytes;
}

/* Count a receive drop for a frame that never became a packet (truncated
 * frame, no memory). Frames that are packets go to dev_rx_drop(). */
static inline void drv_rx_drop_nopkt(struct dev *d, enum drop_reason r)
{
	dev_stats_here(d)->rx_drops[r]++;
}

/* Count one frame handed to the outside on d (tx_packets, tx_bytes). */
static inline void drv_tx_count(struct dev *d, uint32_t bytes)
{
	struct dev_stats *s = dev_stats_here(d);
	s->tx_packets++;
	s->tx_bytes += bytes;
}

#endif
