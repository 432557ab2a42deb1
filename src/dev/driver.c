/* Driver registry: the table of device kinds that `link add NAME type KIND`
 * knows, and the small argument-parsing helpers the drivers share. */
#include "dev/driver.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dev/drivers.h"

static const struct dev_driver *const drivers[] = {
	&af_packet_driver,
	&tap_driver,
	&pcap_driver,
	&gen_driver,
	&null_driver,
	&bond_driver,
	&vrf_driver,
	&vlan_driver,
	&macvlan_driver,
	&bridge_driver,
	NULL,
};

const struct dev_driver *dev_driver_find(const char *kind)
{
	for (const struct dev_driver *const *d = drivers; *d; d++)
		if (strcmp((*d)->kind, kind) == 0)
			return *d;
	return NULL;
}

const struct dev_driver *const *dev_driver_list(void)
{
	return drivers;
}

void drv_errf(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, DRV_ERR_SIZE, fmt, ap);
	va_end(ap);
}

struct dev *drv_alloc(const char *kind, const char *name,
		      const struct dev_ops *ops, size_t priv_size, char *err)
{
	struct dev *d;

	if (strlen(name) >= DEV_NAME_MAX) {
		snprintf(err, DRV_ERR_SIZE,
			 "%s: device name '%s' is too long (max %u characters)",
			 kind, name, DEV_NAME_MAX - 1);
		return NULL;
	}
	d = dev_alloc(name, ops, priv_size);
	if (!d)
		snprintf(err, DRV_ERR_SIZE, "%s: out of memory", kind);
	return d;
}

int drv_arg_value(const char *kind, int argc, char **argv, int *i,
		  const char **val, char *err)
{
	if (*i + 1 >= argc) {
		snprintf(err, DRV_ERR_SIZE, "%s: '%s' needs a value", kind,
			 argv[*i]);
		return -1;
	}
	*i += 1;
	*val = argv[*i];
	return 0;
}

int drv_parse_u64(const char *kind, const char *key, const char *s,
		  uint64_t min, uint64_t max, uint64_t *out, char *err)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!isdigit((unsigned char)s[0]))
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	snprintf(err, DRV_ERR_SIZE,
		 "%s: invalid %s '%s' (expected %" PRIu64 "..%" PRIu64 ")",
		 kind, key, s, min, max);
	return -1;
}

int drv_parse_u32(const char *kind, const char *key, const char *s,
		  uint32_t min, uint32_t max, uint32_t *out, char *err)
{
	uint64_t v;

	if (drv_parse_u64(kind, key, s, min, max, &v, err) < 0)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int drv_parse_mac(const char *kind, const char *key, const char *s,
		  uint8_t mac[6], char *err)
{
	uint8_t m[6];

	for (int i = 0; i < 6; i++) {
		const char *b = s + 3 * i;
		int hi = hex_digit(b[0]);
		int lo = hi < 0 ? -1 : hex_digit(b[1]);
		char sep = lo < 0 ? 'x' : b[2];
		if (lo < 0 || sep != (i == 5 ? '\0' : ':')) {
			snprintf(err, DRV_ERR_SIZE,
				 "%s: invalid %s '%s' (expected aa:bb:cc:dd:ee:ff)",
				 kind, key, s);
			return -1;
		}
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, 6);
	return 0;
}

int drv_parse_ifname(const char *kind, const char *key, const char *s,
		     char *out, char *err)
{
	size_t n = strlen(s);
	bool ok = n > 0 && n < IFNAMSIZ && strcmp(s, ".") && strcmp(s, "..");

	for (size_t i = 0; ok && i < n; i++)
		if (s[i] == '/' || s[i] == ':' || isspace((unsigned char)s[i]))
			ok = false;
	if (!ok) {
		snprintf(err, DRV_ERR_SIZE,
			 "%s: invalid %s '%s' (1..%d characters, no '/', ':' or spaces)",
			 kind, key, s, IFNAMSIZ - 1);
		return -1;
	}
	memcpy(out, s, n + 1);
	return 0;
}

int drv_err_unknown(const char *kind, const char *word, char *err)
{
	snprintf(err, DRV_ERR_SIZE, "%s: unknown argument '%s'", kind, word);
	return -1;
}

int drv_kernel_if_up(const char *kind, const char *ifname, char *err)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = 0;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		rc = -errno;
	if (rc == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			rc = -errno;
	}
	if (rc < 0)
		drv_errf(err, "%s: %s: cannot bring the interface up: %s", kind,
			 ifname, strerror(-rc));
	if (s >= 0)
		close(s);
	return rc;
}

int drv_set_mtu_any(struct dev *d, uint32_t mtu)
{
	return mtu < DRV_MIN_MTU || mtu > DRV_MAX_MTU ? -EINVAL : 0;
}

int drv_set_mac_any(struct dev *d, const uint8_t mac[6])
{
	return 0;
}

bool drv_rx_never_done(struct dev *d)
{
	return false;
}

bool drv_rx_always_done(struct dev *d)
{
	return true;
}

int drv_no_fd(struct dev *d)
{
	return -1;
}

uint16_t drv_rx_nothing(struct dev *d, struct pkt **pkts, uint16_t n)
{
	return 0;
}

uint16_t drv_tx_sink(struct dev *d, struct pkt **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		drv_tx_count(d, pkts[i]->total_len);
		pkt_free(pkts[i]);
	}
	return n;
}

int drv_open_nothing(struct dev *d, char *err)
{
	return 0;
}

void drv_close_nothing(struct dev *d)
{
}

void drv_destroy_nothing(struct dev *d)
{
}
