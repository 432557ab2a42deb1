/* af_packet device: a kernel network interface (veth, physical NIC) driven
 * through a packet socket with memory-mapped rings.
 *
 *   link add p0 type af_packet dev IFNAME [rx-frames N] [tx-frames N]
 *
 * Design note. open() makes an AF_PACKET socket with TPACKET_V2 rings and
 * PACKET_VNET_HDR, so every received frame comes with the kernel's
 * checksum/GSO state (a virtio-net header just before the frame) and every
 * transmitted frame carries ours: 64 KiB superpackets and partial checksums
 * cross the boundary whole and the kernel (or the NIC) finishes them.
 * Ring frames are therefore 17 pages (a 64 KiB superpacket plus headers);
 * 15 of them share a 1 MiB block. The port uses the kernel interface's MAC
 * and MTU (what the peer sends to), unless the user set its own; the
 * interface is put in promiscuous mode (PACKET_MR_PROMISC) and brought up.
 * PACKET_IGNORE_OUTGOING hides what is sent on the interface, ours
 * included; PACKET_QDISC_BYPASS sends straight to the driver, which is why
 * TSO/USO are advertised only as far as the interface itself does them
 * (the kernel drops, rather than segments, what bypasses the qdisc).
 *
 * Receive walks the RX ring and copies each frame into a packet (the ring
 * frame goes back to the kernel at once), re-inserting the VLAN tag that
 * the kernel reports out of band. Transmit copies frames (chains included)
 * with their header into the TX ring under d->tx_lock and kicks the kernel
 * once per burst. */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "core/util.h"
#include "ctl/out.h"
#include "dev/drivers.h"
#include "dev/vnet_hdr.h"
#include "l3/addr.h"

#define AFP_FRAME_SIZE (17u * 4096u)
#define AFP_BLOCK_SIZE (1u << 20)
#define AFP_FRAMES_PER_BLOCK (AFP_BLOCK_SIZE / AFP_FRAME_SIZE)
#define AFP_DEFAULT_RX_FRAMES 255u /* 17 blocks; small frames need depth */
#define AFP_DEFAULT_TX_FRAMES 64u
#define AFP_MAX_FRAMES 4096u
/* Where a TX frame's data starts (without PACKET_TX_HAS_OFF). */
#define AFP_TX_DATA_OFF (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))
#define AFP_TX_MAX_LEN (AFP_FRAME_SIZE - AFP_TX_DATA_OFF - VNET_HDR_LEN)
#define AFP_VLAN_HLEN 4u

/* Always: the kernel completes partial checksums in place if the interface
 * cannot. TSO/USO only when the interface does them (afp_kernel_gso). */
#define AFP_FEATURES (DEV_F_SG | DEV_F_CSUM | DEV_F_RXCSUM)
#define AFP_NFEAT_MAX 1024u /* sanity bound on netdev feature names */

struct afp_ring {
	uint8_t *base;
	uint32_t frames;        /* a multiple of AFP_FRAMES_PER_BLOCK */
	uint32_t head;          /* next frame to look at */
};

struct afp_priv {
	char ifname[IFNAMSIZ];
	uint32_t rx_frames, tx_frames;
	bool user_mac, user_mtu; /* set by the user: keep at open() */

	int fd;
	int kifindex;
	uint8_t *map;
	size_t map_len;
	struct afp_ring rx, tx;
	bool tx_error_logged;
	/* Frames the kernel dropped because the RX ring was full, read
	 * from PACKET_STATISTICS (which resets on read) by the polling worker
	 * when a frame says TP_STATUS_LOSING, and at close. Also counted as
	 * received and dropped (rx_ring_full) so that conservation holds. */
	uint64_t kernel_drops;
};

static struct tpacket2_hdr *afp_frame(const struct afp_ring *r, uint32_t i)
{
	size_t off = (size_t)(i / AFP_FRAMES_PER_BLOCK) * AFP_BLOCK_SIZE +
		     (size_t)(i % AFP_FRAMES_PER_BLOCK) * AFP_FRAME_SIZE;
	return (struct tpacket2_hdr *)(r->base + off);
}

static uint32_t afp_status(const struct tpacket2_hdr *h)
{
	return __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
}

static void afp_set_status(struct tpacket2_hdr *h, uint32_t status)
{
	__atomic_store_n(&h->tp_status, status, __ATOMIC_RELEASE);
}

/* ---- open / close ---- */

/* "af_packet: IFNAME: WHAT: strerror(errno)"; returns -errno. */
static int afp_err(const struct afp_priv *ap, const char *what, char *err)
{
	int e = errno;

	drv_errf(err, "af_packet: %s: %s: %s", ap->ifname, what, strerror(e));
	return -e;
}

static int afp_setopt(struct afp_priv *ap, int level, int opt, int val,
		      const char *name, char *err)
{
	if (setsockopt(ap->fd, level, opt, &val, sizeof(val)) < 0)
		return afp_err(ap, name, err);
	return 0;
}

/* Socket options, set before the rings (some must be). */
static const struct {
	int opt, val;
	const char *name;
} afp_options[] = {
	{ PACKET_VERSION, TPACKET_V2, "PACKET_VERSION" },
	{ PACKET_VNET_HDR, 1, "PACKET_VNET_HDR" },
	/* A frame the kernel rejects is skipped, not left blocking the ring. */
	{ PACKET_LOSS, 1, "PACKET_LOSS" },
	{ PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS" },
	{ PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING" },
};

static int afp_set_options(struct afp_priv *ap, char *err)
{
	for (size_t i = 0; i < ARRAY_SIZE(afp_options); i++) {
		int rc = afp_setopt(ap, SOL_PACKET, afp_options[i].opt,
				    afp_options[i].val, afp_options[i].name,
				    err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int afp_set_ring(struct afp_priv *ap, int opt, uint32_t frames,
			const char *name, char *err)
{
	struct tpacket_req req = {
		.tp_block_size = AFP_BLOCK_SIZE,
		.tp_block_nr = frames / AFP_FRAMES_PER_BLOCK,
		.tp_frame_size = AFP_FRAME_SIZE,
		.tp_frame_nr = frames,
	};

	if (setsockopt(ap->fd, SOL_PACKET, opt, &req, sizeof(req)) < 0)
		return afp_err(ap, name, err);
	return 0;
}

static int afp_map_rings(struct afp_priv *ap, char *err)
{
	size_t rx_len = (size_t)ap->rx_frames / AFP_FRAMES_PER_BLOCK *
			AFP_BLOCK_SIZE;
	size_t tx_len = (size_t)ap->tx_frames / AFP_FRAMES_PER_BLOCK *
			AFP_BLOCK_SIZE;
	void *m;
	int rc = afp_set_ring(ap, PACKET_RX_RING, ap->rx_frames,
			      "PACKET_RX_RING", err);

	if (rc == 0)
		rc = afp_set_ring(ap, PACKET_TX_RING, ap->tx_frames,
				  "PACKET_TX_RING", err);
	if (rc < 0)
		return rc;
	m = mmap(NULL, rx_len + tx_len, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_POPULATE, ap->fd, 0);
	if (m == MAP_FAILED)
		return afp_err(ap, "mmap rings", err);
	ap->map = m;
	ap->map_len = rx_len + tx_len;
	ap->rx = (struct afp_ring){ ap->map, ap->rx_frames, 0 };
	ap->tx = (struct afp_ring){ ap->map + rx_len, ap->tx_frames, 0 };
	return 0;
}

/* USO through packet sockets (VIRTIO_NET_HDR_GSO_UDP_L4) came in Linux 6.2. */
static bool afp_kernel_has_uso(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major > 6 || (major == 6 && minor >= 2);
}

/* Active netdev feature names of an interface, via ethtool ioctls. */
struct afp_ethtool {
	uint32_t n;
	struct ethtool_gstrings *names;
	struct ethtool_gfeatures *feat;
};

static int afp_ethtool(int fd, const char *ifname, void *cmd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ifname, strlen(ifname) + 1);
	ifr.ifr_data = cmd;
	return ioctl(fd, SIOCETHTOOL, &ifr);
}

static bool afp_feature_on(const struct afp_ethtool *e, const char *name)
{
	for (uint32_t i = 0; i < e->n; i++) {
		const char *s = (const char *)e->names->data + i * ETH_GSTRING_LEN;
		if (strncmp(s, name, ETH_GSTRING_LEN) == 0)
			return e->feat->features[i / 32].active & (1u << (i % 32));
	}
	return false;
}

static int afp_ethtool_load(int fd, const char *ifname, struct afp_ethtool *e)
{
	uint64_t ss_buf[3] = { 0 }; /* header + one set size */
	struct ethtool_sset_info *ss = (void *)ss_buf;
	uint32_t blocks;

	ss->cmd = ETHTOOL_GSSET_INFO;
	ss->sset_mask = 1ull << ETH_SS_FEATURES;
	if (afp_ethtool(fd, ifname, ss) < 0 || !ss->sset_mask)
		return -1;
	/* GSTRINGS writes all the kernel has: size the buffer for that. */
	e->n = ss->data[0];
	if (e->n == 0 || e->n > AFP_NFEAT_MAX)
		return -1;
	blocks = (e->n + 31) / 32;
	e->names = calloc(1, sizeof(*e->names) + (size_t)e->n * ETH_GSTRING_LEN);
	e->feat = calloc(1, sizeof(*e->feat) +
				   blocks * sizeof(e->feat->features[0]));
	if (!e->names || !e->feat)
		return -1;
	e->names->cmd = ETHTOOL_GSTRINGS;
	e->names->string_set = ETH_SS_FEATURES;
	e->names->len = e->n;
	e->feat->cmd = ETHTOOL_GFEATURES;
	e->feat->size = blocks;
	if (afp_ethtool(fd, ifname, e->names) < 0 ||
	    afp_ethtool(fd, ifname, e->feat) < 0)
		return -1;
	e->n = MIN(e->n, e->names->len);
	return 0;
}

/* DEV_F_TSO4/TSO6/USO the interface takes as they are. With
 * PACKET_QDISC_BYPASS the kernel drops, rather than segments, a
 * superpacket the interface cannot send, so only these are advertised and
 * usnet segments the rest itself. TSO also needs ECN segmentation: a
 * superpacket may carry CWR. 0 when the features cannot be read. */
static uint32_t afp_kernel_gso(int fd, const char *ifname)
{
	struct afp_ethtool e = { 0 };
	uint32_t f = 0;

	if (afp_ethtool_load(fd, ifname, &e) == 0) {
		bool any = afp_feature_on(&e, "tx-checksum-ip-generic");
		bool c4 = any || afp_feature_on(&e, "tx-checksum-ipv4");
		bool c6 = any || afp_feature_on(&e, "tx-checksum-ipv6");
		bool ecn = afp_feature_on(&e, "tx-tcp-ecn-segmentation");

		if (c4 && ecn && afp_feature_on(&e, "tx-tcp-segmentation"))
			f |= DEV_F_TSO4;
		if (c6 && ecn && afp_feature_on(&e, "tx-tcp6-segmentation"))
			f |= DEV_F_TSO6;
		if (c4 && c6 && afp_feature_on(&e, "tx-udp-segmentation") &&
		    afp_kernel_has_uso())
			f |= DEV_F_USO;
	}
	free(e.names);
	free(e.feat);
	return f;
}

/* Look the interface up: ifindex, Ethernet MAC, MTU. */
static int afp_query_if(struct dev *d, struct afp_priv *ap, char *err)
{
	struct ifreq ifr;

	ap->kifindex = (int)if_nametoindex(ap->ifname);
	if (ap->kifindex == 0) {
		drv_errf(err, "af_packet: %s: No such device", ap->ifname);
		return -ENODEV;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, ap->ifname, sizeof(ifr.ifr_name));
	if (ioctl(ap->fd, SIOCGIFHWADDR, &ifr) < 0)
		return afp_err(ap, "SIOCGIFHWADDR", err);
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		drv_errf(err, "af_packet: %s: not an Ethernet interface",
			 ap->ifname);
		return -EINVAL;
	}
	if (!ap->user_mac && memcmp(d->mac, ifr.ifr_hwaddr.sa_data, 6)) {
		memcpy(d->mac, ifr.ifr_hwaddr.sa_data, 6);
		addr_set_ll6(d);
	}
	if (ioctl(ap->fd, SIOCGIFMTU, &ifr) < 0)
		return afp_err(ap, "SIOCGIFMTU", err);
	if (!ap->user_mtu)
		d->mtu = (uint32_t)ifr.ifr_mtu;
	d->features = AFP_FEATURES | afp_kernel_gso(ap->fd, ap->ifname);
	return 0;
}

static int afp_bind(struct afp_priv *ap, char *err)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ap->kifindex,
	};
	struct packet_mreq mr = {
		.mr_ifindex = ap->kifindex,
		.mr_type = PACKET_MR_PROMISC,
	};

	if (bind(ap->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return afp_err(ap, "bind", err);
	if (setsockopt(ap->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr,
		       sizeof(mr)) < 0)
		return afp_err(ap, "PACKET_MR_PROMISC", err);
	return 0;
}

/* Count the kernel's ring-full drops since the last read on d. */
static void afp_read_kernel_stats(struct dev *d, struct afp_priv *ap)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);
	struct dev_stats *s;

	if (ap->fd < 0 ||
	    getsockopt(ap->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) != 0 ||
	    st.tp_drops == 0)
		return;
	s = dev_stats_here(d);
	s->rx_packets += st.tp_drops;
	s->rx_drops[DROP_RX_RING_FULL] += st.tp_drops;
	__atomic_fetch_add(&ap->kernel_drops, st.tp_drops, __ATOMIC_RELAXED);
}

static void afp_close(struct dev *d)
{
	struct afp_priv *ap = d->priv;

	afp_read_kernel_stats(d, ap);
	if (ap->map)
		munmap(ap->map, ap->map_len);
	if (ap->fd >= 0)
		close(ap->fd); /* also drops the promiscuous membership */
	ap->map = NULL;
	ap->map_len = 0;
	ap->fd = -1;
}

static int afp_open(struct dev *d, char *err)
{
	struct afp_priv *ap = d->priv;
	int rc;

	/* Protocol 0: nothing is queued before bind() picks the interface. */
	ap->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ap->fd < 0)
		return afp_err(ap, "socket", err);
	rc = afp_query_if(d, ap, err);
	/* Up before bind(): binding to a down interface leaves a stale
	 * ENETDOWN error on the socket. */
	if (rc == 0)
		rc = drv_kernel_if_up("af_packet", ap->ifname, err);
	if (rc == 0)
		rc = afp_set_options(ap, err);
	if (rc == 0)
		rc = afp_map_rings(ap, err);
	if (rc == 0)
		rc = afp_bind(ap, err);
	if (rc < 0) {
		afp_close(d);
		return rc;
	}
	ap->tx_error_logged = false;
	return 0;
}

/* ---- receive ---- */

/* Put back the VLAN tag the kernel took out of the frame. Offsets from the
 * buffer head (csum_start) stay right: only the MAC addresses move. */
static int afp_insert_vlan(struct pkt *p, const struct tpacket2_hdr *h)
{
	uint16_t tpid = h->tp_status & TP_STATUS_VLAN_TPID_VALID
				? h->tp_vlan_tpid
				: ETH_P_8021Q;
	uint8_t *d;

	if (p->len < 2 * ETH_ALEN || !pkt_push(p, AFP_VLAN_HLEN))
		return -1;
	d = p->data;
	memmove(d, d + AFP_VLAN_HLEN, 2 * ETH_ALEN);
	put_be16(d + 2 * ETH_ALEN, tpid);
	put_be16(d + 2 * ETH_ALEN + 2, h->tp_vlan_tci);
	return 0;
}

/* Checksum state from the frame status, for frames the vnet header said
 * nothing about. */
static void afp_status_csum(struct pkt *p, uint32_t status)
{
	if (status & TP_STATUS_CSUM_VALID)
		p->csum = PKT_CSUM_UNNECESSARY;
	else if (status & TP_STATUS_CSUMNOTREADY)
		vnet_guess_partial(p); /* stays NONE when it cannot tell */
}

/* One ring frame into a packet, or NULL when it was dropped (counted). */
static struct pkt *afp_rx_frame(struct dev *d, const struct tpacket2_hdr *h)
{
	uint32_t status = h->tp_status, snap = h->tp_snaplen;
	bool vlan = status & TP_STATUS_VLAN_VALID;
	const uint8_t *frame = (const uint8_t *)h + h->tp_mac;
	struct virtio_net_hdr vh;
	enum drop_reason r;
	struct pkt *p;

	drv_rx_count(d, h->tp_len + (vlan ? AFP_VLAN_HLEN : 0));
	if (snap < h->tp_len || h->tp_mac < VNET_HDR_LEN ||
	    h->tp_mac + snap > AFP_FRAME_SIZE) {
		drv_rx_drop_nopkt(d, DROP_RX_TRUNCATED);
		return NULL;
	}
	p = pkt_alloc(snap);
	if (!p) {
		drv_rx_drop_nopkt(d, DROP_NOMEM);
		return NULL;
	}
	memcpy(pkt_put(p, snap), frame, snap);
	memcpy(&vh, frame - VNET_HDR_LEN, sizeof(vh));
	r = vnet_hdr_to_pkt(&vh, p);
	if (r == DROP_NONE && p->csum == PKT_CSUM_NONE)
		afp_status_csum(p, status);
	if (r == DROP_NONE && vlan && afp_insert_vlan(p, h) < 0)
		r = DROP_ETH_TRUNCATED;
	if (r != DROP_NONE) {
		dev_rx_drop(d, p, r);
		return NULL;
	}
	p->in_ifindex = d->ifindex;
	return p;
}

static uint16_t afp_rx_burst(struct dev *d, struct pkt **pkts, uint16_t n)
{
	struct afp_priv *ap = d->priv;
	struct afp_ring *rx = &ap->rx;
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct tpacket2_hdr *h = afp_frame(rx, rx->head);
		struct pkt *p;

		uint32_t status = afp_status(h);

		if (!(status & TP_STATUS_USER))
			break;
		if (unlikely(status & TP_STATUS_LOSING))
			afp_read_kernel_stats(d, ap);
		p = afp_rx_frame(d, h);
		afp_set_status(h, TP_STATUS_KERNEL);
		if (++rx->head == rx->frames)
			rx->head = 0;
		if (p)
			pkts[k++] = p;
	}
	return k;
}

/* ---- transmit ---- */

/* Ask the kernel to send what is in the TX ring. Frames it cannot send now
 * stay queued for the next kick. */
static void afp_tx_kick(struct dev *d, struct afp_priv *ap)
{
	if (sendto(ap->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0)
		return;
	if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
		return;
	if (!ap->tx_error_logged) {
		ap->tx_error_logged = true;
		log_msg(LOG_WARN, "%s: send on %s: %s", d->name, ap->ifname,
			strerror(errno));
	}
}

/* The next TX frame if the kernel is done with it, else NULL (after one
 * kick to make room). */
static struct tpacket2_hdr *afp_tx_slot(struct dev *d, struct afp_priv *ap)
{
	struct tpacket2_hdr *h = afp_frame(&ap->tx, ap->tx.head);
	uint32_t st = afp_status(h);

	if (st == TP_STATUS_AVAILABLE || st == TP_STATUS_WRONG_FORMAT)
		return h;
	if (st == TP_STATUS_SEND_REQUEST)
		afp_tx_kick(d, ap);
	st = afp_status(h);
	return st == TP_STATUS_AVAILABLE || st == TP_STATUS_WRONG_FORMAT ? h
									 : NULL;
}

/* Queue one frame in the TX ring; takes ownership. Returns true if queued. */
static bool afp_tx_one(struct dev *d, struct afp_priv *ap, struct pkt *p)
{
	struct virtio_net_hdr vh;
	enum drop_reason r = vnet_hdr_from_pkt(p, &vh);
	struct tpacket2_hdr *h = NULL;
	uint8_t *data;

	if (r == DROP_NONE && p->total_len > AFP_TX_MAX_LEN)
		r = DROP_TX_TOO_BIG;
	if (r == DROP_NONE && !(h = afp_tx_slot(d, ap)))
		r = DROP_TX_RING_FULL;
	if (r != DROP_NONE) {
		dev_tx_drop(d, p, r);
		return false;
	}
	data = (uint8_t *)h + AFP_TX_DATA_OFF;
	memcpy(data, &vh, VNET_HDR_LEN);
	pkt_copy_bits(p, 0, data + VNET_HDR_LEN, p->total_len);
	h->tp_len = VNET_HDR_LEN + p->total_len;
	afp_set_status(h, TP_STATUS_SEND_REQUEST);
	if (++ap->tx.head == ap->tx.frames)
		ap->tx.head = 0;
	drv_tx_count(d, p->total_len);
	pkt_free(p);
	return true;
}

static uint16_t afp_tx_burst(struct dev *d, struct pkt **pkts, uint16_t n)
{
	struct afp_priv *ap = d->priv;
	uint16_t queued = 0;

	pthread_spin_lock(&d->tx_lock);
	for (uint16_t i = 0; i < n; i++)
		queued += afp_tx_one(d, ap, pkts[i]);
	if (queued)
		afp_tx_kick(d, ap);
	pthread_spin_unlock(&d->tx_lock);
	return queued;
}

/* ---- the rest of the ops ---- */

static int afp_rx_fd(struct dev *d)
{
	const struct afp_priv *ap = d->priv;
	return ap->fd;
}

static int afp_set_mtu(struct dev *d, uint32_t mtu)
{
	struct afp_priv *ap = d->priv;
	int rc = drv_set_mtu_any(d, mtu);

	if (rc == 0)
		ap->user_mtu = true;
	return rc;
}

static int afp_set_mac(struct dev *d, const uint8_t mac[6])
{
	struct afp_priv *ap = d->priv;

	ap->user_mac = true;
	return 0;
}

/* Carrier of the kernel interface: IFF_UP and IFF_RUNNING. */
static int afp_carrier(struct dev *d)
{
	const struct afp_priv *ap = d->priv;
	struct ifreq ifr;

	if (ap->fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ap->ifname);
	if (ioctl(ap->fd, SIOCGIFFLAGS, &ifr) < 0)
		return 0; /* the interface is gone */
	return (ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
}

static void afp_describe(struct dev *d, struct ctl_out *out)
{
	struct afp_priv *ap = d->priv;

	afp_read_kernel_stats(d, ap);
	out_text(out, " dev %s rx-frames %u tx-frames %u", ap->ifname,
		 ap->rx_frames, ap->tx_frames);
	if (ap->kernel_drops)
		out_text(out, " kernel-ring-drops %llu",
			 (unsigned long long)ap->kernel_drops);
	out_str(out, "dev", ap->ifname);
	out_u64(out, "rx_frames", ap->rx_frames);
	out_u64(out, "tx_frames", ap->tx_frames);
	out_u64(out, "kernel_ring_drops", ap->kernel_drops);
}

static const struct dev_ops afp_ops = {
	.kind = "af_packet",
	.open = afp_open,
	.close = afp_close,
	.rx_burst = afp_rx_burst,
	.tx_burst = afp_tx_burst,
	.rx_fd = afp_rx_fd,
	.set_mtu = afp_set_mtu,
	.set_mac = afp_set_mac,
	.destroy = drv_destroy_nothing,
	.describe = afp_describe,
	.carrier = afp_carrier,
	.rx_done = drv_rx_never_done,
};

/* ---- create ---- */

static uint32_t afp_round_frames(uint32_t n)
{
	return (n + AFP_FRAMES_PER_BLOCK - 1) / AFP_FRAMES_PER_BLOCK *
	       AFP_FRAMES_PER_BLOCK;
}

static int afp_parse(struct afp_priv *cfg, int argc, char **argv, char *err)
{
	cfg->rx_frames = AFP_DEFAULT_RX_FRAMES;
	cfg->tx_frames = AFP_DEFAULT_TX_FRAMES;
	for (int i = 0; i < argc; i++) {
		const char *key = argv[i], *v;
		int rc;

		if (strcmp(key, "dev") && strcmp(key, "rx-frames") &&
		    strcmp(key, "tx-frames"))
			return drv_err_unknown("af_packet", key, err);
		if (drv_arg_value("af_packet", argc, argv, &i, &v, err) < 0)
			return -1;
		if (strcmp(key, "dev") == 0)
			rc = drv_parse_ifname("af_packet", key, v, cfg->ifname,
					      err);
		else
			rc = drv_parse_u32("af_packet", key, v, 1,
					   AFP_MAX_FRAMES,
					   key[0] == 'r' ? &cfg->rx_frames
							 : &cfg->tx_frames,
					   err);
		if (rc < 0)
			return -1;
	}
	if (!cfg->ifname[0]) {
		drv_errf(err, "af_packet: missing 'dev IFNAME'");
		return -1;
	}
	cfg->rx_frames = afp_round_frames(cfg->rx_frames);
	cfg->tx_frames = afp_round_frames(cfg->tx_frames);
	return 0;
}

/* The interface's MAC from sysfs, so that the port shows it (and derives
 * its IPv6 link-local address from it) before open(). Best effort: open()
 * reads it again. Touches nothing. */
static void afp_peek_mac(const char *ifname, uint8_t mac[6])
{
	char path[64], buf[32];
	uint8_t m[6];
	char err[DRV_ERR_SIZE];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = '\0';
		if (drv_parse_mac("af_packet", "address", buf, m, err) == 0 &&
		    !(m[0] & 1))
			memcpy(mac, m, 6);
	}
	fclose(f);
}

static struct dev *afp_create(const char *name, int argc, char **argv,
			      char *err)
{
	struct afp_priv cfg = { .fd = -1 };
	struct dev *d;

	if (afp_parse(&cfg, argc, argv, err) < 0)
		return NULL;
	d = drv_alloc("af_packet", name, &afp_ops, sizeof(cfg), err);
	if (!d)
		return NULL;
	memcpy(d->priv, &cfg, sizeof(cfg));
	afp_peek_mac(cfg.ifname, d->mac);
	d->features = AFP_FEATURES; /* open() adds what the interface offloads */
	return d;
}

const struct dev_driver af_packet_driver = {
	.kind = "af_packet",
	.usage = "dev IFNAME [rx-frames N] [tx-frames N]",
	.create = afp_create,
};
