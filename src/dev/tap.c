/* tap device: a Linux TAP interface whose kernel side is the peer.
 *
 *   link add t0 type tap [name TAPNAME]     (default TAPNAME = t0)
 *
 * open() creates the TAP (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR) and enables
 * the kernel's offloads towards us (TUNSETOFFLOAD: partial checksums, TSO,
 * and USO when the kernel knows it) so that the kernel side hands over
 * 64 KiB superpackets and takes them back; the virtio-net header in front of
 * each frame carries the checksum/GSO state (vnet_hdr.c). The kernel side
 * is brought up; it may then be moved to another network namespace, the
 * file descriptor keeps working. The port's MAC is a random one of its own:
 * the kernel side has another.
 *
 * Receive reads frames into a small packet buffer directly and only copies
 * into a large one when the frame did not fit (readv with an overflow
 * area). Transmit writes the header and the packet's segments with one
 * writev per frame; a tun write is atomic, so transmitters need no lock. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/util.h"
#include "ctl/out.h"
#include "dev/drivers.h"
#include "dev/vnet_hdr.h"

/* Newer than some installed kernel headers (Linux 6.2 uapi). */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif

#define TAP_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)
#define TAP_FEATURES                                                           \
	(DEV_F_SG | DEV_F_CSUM | DEV_F_TSO4 | DEV_F_TSO6 | DEV_F_RXCSUM)
#define TAP_MAX_FRAME PKT_BUF_LARGE
#define TAP_IOV_MAX 64u

struct tap_priv {
	char ifname[IFNAMSIZ];  /* kernel-side name */
	int fd;
	bool rx_error_logged;
	/* Overflow area for frames larger than a small packet buffer. */
	uint8_t rx_spill[TAP_MAX_FRAME];
};

/* "tap: NAME: WHAT: strerror"; returns -errno. */
static int tap_ioctl_err(const struct tap_priv *tp, const char *what,
			 char *err)
{
	int e = errno;

	drv_errf(err, "tap: %s: %s: %s", tp->ifname, what, strerror(e));
	return -e;
}

/* TUNSETOFFLOAD with USO when the kernel takes it; adjusts d->features. */
static int tap_set_offload(struct dev *d, int fd, char *err)
{
	struct tap_priv *tp = d->priv;

	if (ioctl(fd, TUNSETOFFLOAD, TAP_OFFLOADS | TUN_F_USO4 | TUN_F_USO6) == 0) {
		d->features = TAP_FEATURES | DEV_F_USO;
		return 0;
	}
	if (ioctl(fd, TUNSETOFFLOAD, TAP_OFFLOADS) == 0) {
		d->features = TAP_FEATURES;
		return 0;
	}
	return tap_ioctl_err(tp, "TUNSETOFFLOAD", err);
}

static int tap_setup_fd(struct dev *d, int fd, char *err)
{
	struct tap_priv *tp = d->priv;
	struct ifreq ifr;
	int hdr_sz = (int)VNET_HDR_LEN, rc;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, tp->ifname, strlen(tp->ifname) + 1);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		return tap_ioctl_err(tp, "TUNSETIFF", err);
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_sz) < 0)
		return tap_ioctl_err(tp, "TUNSETVNETHDRSZ", err);
	rc = tap_set_offload(d, fd, err);
	/* The kernel side is still in our namespace now. */
	return rc < 0 ? rc : drv_kernel_if_up("tap", tp->ifname, err);
}

static int tap_open(struct dev *d, char *err)
{
	struct tap_priv *tp = d->priv;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	int rc;

	if (fd < 0) {
		rc = -errno;
		drv_errf(err, "tap: /dev/net/tun: %s", strerror(errno));
		return rc;
	}
	rc = tap_setup_fd(d, fd, err);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	tp->fd = fd;
	tp->rx_error_logged = false;
	return 0;
}

static void tap_close(struct dev *d)
{
	struct tap_priv *tp = d->priv;

	if (tp->fd >= 0)
		close(tp->fd);
	tp->fd = -1;
}

/* A frame of len bytes was read: the first part into p's buffer, the rest
 * into the spill area. Returns the packet holding all of it, or NULL
 * (counted as a drop). */
static struct pkt *tap_rx_collect(struct dev *d, struct pkt *p, uint32_t len)
{
	struct tap_priv *tp = d->priv;
	uint32_t first = pkt_tailroom(p);
	struct pkt *big;

	if (len <= first) {
		pkt_put(p, len);
		return p;
	}
	if (len > PKT_BUF_LARGE) { /* the read cut it short */
		dev_rx_drop(d, p, DROP_RX_TRUNCATED);
		return NULL;
	}
	big = pkt_alloc(len);
	if (!big) {
		dev_rx_drop(d, p, DROP_NOMEM);
		return NULL;
	}
	memcpy(pkt_put(big, first), p->data, first);
	memcpy(pkt_put(big, len - first), tp->rx_spill, len - first);
	pkt_free(p);
	return big;
}

/* Read one frame. Returns 1 with *out set (or NULL when it was dropped),
 * 0 when there is nothing to read. */
static int tap_rx_one(struct dev *d, struct pkt **out)
{
	struct tap_priv *tp = d->priv;
	struct virtio_net_hdr vh;
	struct pkt *p = pkt_alloc(PKT_BUF_SMALL);
	struct iovec iov[3];
	enum drop_reason r;
	ssize_t n;

	*out = NULL;
	if (!p)
		return 0; /* nothing read yet: try again next time */
	iov[0] = (struct iovec){ &vh, VNET_HDR_LEN };
	iov[1] = (struct iovec){ p->data, pkt_tailroom(p) };
	iov[2] = (struct iovec){ tp->rx_spill, sizeof(tp->rx_spill) };
	n = readv(tp->fd, iov, 3);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR && !tp->rx_error_logged) {
			tp->rx_error_logged = true;
			log_msg(LOG_WARN, "%s: read from %s: %s", d->name,
				tp->ifname, strerror(errno));
		}
		pkt_free(p);
		return 0;
	}
	drv_rx_count(d, n > (ssize_t)VNET_HDR_LEN ? (uint32_t)n - VNET_HDR_LEN : 0);
	if (n < (ssize_t)VNET_HDR_LEN) {
		dev_rx_drop(d, p, DROP_RX_BAD_VNET_HDR);
		return 1;
	}
	p = tap_rx_collect(d, p, (uint32_t)n - VNET_HDR_LEN);
	if (!p)
		return 1;
	r = vnet_hdr_to_pkt(&vh, p);
	if (r != DROP_NONE) {
		dev_rx_drop(d, p, r);
		return 1;
	}
	p->in_ifindex = d->ifindex;
	*out = p;
	return 1;
}

static uint16_t tap_rx_burst(struct dev *d, struct pkt **pkts, uint16_t n)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct pkt *p;
		if (!tap_rx_one(d, &p))
			break;
		if (p)
			pkts[k++] = p;
	}
	return k;
}

static enum drop_reason tap_tx_errno_reason(int e)
{
	switch (e) {
	case EAGAIN:
	case ENOBUFS:
		return DROP_TX_RING_FULL;
	case EIO:
		return DROP_DEV_DOWN;
	default:
		return DROP_TX_ERROR;
	}
}

/* iovec list [vnet header, segments...] for p; linearizes p when it has
 * more segments than fit. Returns the count, or 0 on no memory. */
static int tap_tx_iov(struct pkt *p, struct virtio_net_hdr *vh,
		      struct iovec *iov)
{
	unsigned k = 1, nseg = 0;

	for (struct pkt *s = p; s; s = s->next_seg)
		nseg++;
	if (nseg >= TAP_IOV_MAX && pkt_linearize(p) < 0)
		return 0;
	iov[0] = (struct iovec){ vh, VNET_HDR_LEN };
	for (struct pkt *s = p; s; s = s->next_seg)
		iov[k++] = (struct iovec){ s->data, s->len };
	return (int)k;
}

/* Write one frame; takes ownership. Returns true when it was sent. */
static bool tap_tx_one(struct dev *d, struct tap_priv *tp, struct pkt *p)
{
	struct virtio_net_hdr vh;
	struct iovec iov[TAP_IOV_MAX];
	enum drop_reason r = vnet_hdr_from_pkt(p, &vh);
	int cnt;

	if (r == DROP_NONE && p->total_len > TAP_MAX_FRAME)
		r = DROP_TX_TOO_BIG;
	if (r == DROP_NONE) {
		cnt = tap_tx_iov(p, &vh, iov);
		if (cnt == 0)
			r = DROP_NOMEM;
		else if (writev(tp->fd, iov, cnt) < 0)
			r = tap_tx_errno_reason(errno);
	}
	if (r != DROP_NONE) {
		dev_tx_drop(d, p, r);
		return false;
	}
	drv_tx_count(d, p->total_len);
	pkt_free(p);
	return true;
}

static uint16_t tap_tx_burst(struct dev *d, struct pkt **pkts, uint16_t n)
{
	struct tap_priv *tp = d->priv;
	uint16_t sent = 0;

	for (uint16_t i = 0; i < n; i++)
		sent += tap_tx_one(d, tp, pkts[i]);
	return sent;
}

static int tap_rx_fd(struct dev *d)
{
	const struct tap_priv *tp = d->priv;
	return tp->fd;
}

static void tap_describe(struct dev *d, struct ctl_out *out)
{
	const struct tap_priv *tp = d->priv;

	out_text(out, " name %s", tp->ifname);
	out_str(out, "name", tp->ifname);
}

static const struct dev_ops tap_ops = {
	.kind = "tap",
	.open = tap_open,
	.close = tap_close,
	.rx_burst = tap_rx_burst,
	.tx_burst = tap_tx_burst,
	.rx_fd = tap_rx_fd,
	.set_mtu = drv_set_mtu_any,
	.set_mac = drv_set_mac_any,
	.destroy = drv_destroy_nothing,
	.describe = tap_describe,
	.rx_done = drv_rx_never_done,
};

static int tap_parse(const char *name, int argc, char **argv, char *ifname,
		     char *err)
{
	bool named = false;

	for (int i = 0; i < argc; i++) {
		const char *v;
		if (strcmp(argv[i], "name") != 0)
			return drv_err_unknown("tap", argv[i], err);
		if (drv_arg_value("tap", argc, argv, &i, &v, err) < 0 ||
		    drv_parse_ifname("tap", "name", v, ifname, err) < 0)
			return -1;
		named = true;
	}
	if (!named)
		return drv_parse_ifname("tap", "name", name, ifname, err);
	return 0;
}

static struct dev *tap_create(const char *name, int argc, char **argv,
			      char *err)
{
	char ifname[IFNAMSIZ] = "";
	struct tap_priv *tp;
	struct dev *d;

	if (tap_parse(name, argc, argv, ifname, err) < 0)
		return NULL;
	d = drv_alloc("tap", name, &tap_ops, sizeof(*tp), err);
	if (!d)
		return NULL;
	tp = d->priv;
	memcpy(tp->ifname, ifname, sizeof(ifname));
	tp->fd = -1;
	d->features = TAP_FEATURES; /* open() adds USO when the kernel has it */
	return d;
}

const struct dev_driver tap_driver = {
	.kind = "tap",
	.usage = "[name TAPNAME]",
	.create = tap_create,
};
