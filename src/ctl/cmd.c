/* The command grammar (iproute2-shaped) shared by the config file and the
 * control socket: link, addr, route, neigh, stats, sysctl, help.
 *
 * Design note. Every command parses and validates all of its words into a
 * request structure first and only then calls into the subsystems, so a
 * command with a bad word changes nothing. Where an apply step itself can
 * fail after an earlier one succeeded (`link set p0 mtu 9000 up` whose open()
 * fails), the earlier steps are rolled back. Error messages start with the
 * command and quote the offending word: "route: invalid prefix
 * '10.0.0.0/33'". Output goes through the out_* API only: text lines in the
 * iproute2 layouts, or one JSON document (arrays for show commands, an
 * object for stats and sysctl, nothing for commands that change state).
 * Control thread only. */
#include "ctl/cmd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core/util.h"
#include "core/worker.h"
#include "ctl/out.h"
#include "ctl/sysctl.h"
#include "dev/dev.h"
#include "dev/driver.h"
#include "fib/fib.h"
#include "fib/fib_exc.h"
#include "fib/fib_fwd.h"
#include "fib/fib_rules.h"
#include "fib/nexthop.h"
#include "l2/neigh.h"
#include "l3/addr.h"
#include "l3/vrf.h"
#include "l3/ip.h"

#define CTL_ERR_LEN 256
#define CTL_WORDS_MAX 256
#define CTL_LINE_MAX 65536
#define ADDR_STR 46
#define MAC_STR 18

/* ---------------------------------------------------------------- helpers */

static int fail(char *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(char *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, CTL_ERR_LEN, fmt, ap);
	va_end(ap);
	return -1;
}

static int split_words(const char *line, char *buf, char **argv, int *argc,
		       char *err);

/* Word cursor over a command's arguments. */
struct words {
	int argc;
	char **argv;
	int i;
	const char *cmd;        /* "route", "link" ...: prefixes errors */
	char *err;
};

static const char *w_peek(const struct words *w)
{
	return w->i < w->argc ? w->argv[w->i] : NULL;
}

static const char *w_next(struct words *w)
{
	return w->i < w->argc ? w->argv[w->i++] : NULL;
}

/* Value after keyword `key`; NULL with err set when missing. */
static const char *w_value(struct words *w, const char *key)
{
	const char *v = w_next(w);

	if (!v)
		fail(w->err, "%s: missing value after '%s'", w->cmd, key);
	return v;
}

static int w_unknown(struct words *w, const char *word)
{
	return fail(w->err, "%s: unknown argument '%.64s'", w->cmd, word);
}

static int w_dup(struct words *w, const char *key)
{
	return fail(w->err, "%s: '%s' given twice", w->cmd, key);
}

static bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* Decimal (or 0x hex) unsigned number within [min, max]. */
static bool parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	unsigned long long n;
	char *end;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!((s[0] >= '0' && s[0] <= '9') ||
	      (base == 16 && strchr("abcdefABCDEF", s[0]) && s[0])))
		return false;
	errno = 0;
	n = strtoull(s, &end, base);
	if (*end || errno || n < min || n > max)
		return false;
	*v = (uint32_t)n;
	return true;
}

static int num_arg(struct words *w, const char *key, uint32_t min,
		   uint32_t max, uint32_t *v)
{
	const char *s = w_value(w, key);

	if (!s)
		return -1;
	if (!parse_u32(s, min, max, v))
		return fail(w->err, "%s: invalid %s '%.64s' (%u..%u)", w->cmd,
			    key, s, min, max);
	return 0;
}

static unsigned family_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

static const char *family_name(int family)
{
	return family == AF_INET ? "IPv4" : "IPv6";
}

/* An IPv4 or IPv6 address (by syntax); family 0 accepts both. */
static bool parse_addr(const char *s, int want, int *family,
		       union pkt_addr *a)
{
	memset(a, 0, sizeof(*a));
	if ((want == 0 || want == AF_INET) && inet_pton(AF_INET, s, &a->v4) == 1) {
		*family = AF_INET;
		return true;
	}
	if ((want == 0 || want == AF_INET6) && inet_pton(AF_INET6, s, a->v6) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

static void prefix_mask(int family, union pkt_addr *a, unsigned plen)
{
	uint8_t *b = family == AF_INET ? (uint8_t *)&a->v4 : a->v6;
	unsigned nbytes = family_bits(family) / 8, i;

	for (i = 0; i < nbytes; i++) {
		if (plen >= 8 * (i + 1))
			continue;
		if (plen <= 8 * i)
			b[i] = 0;
		else
			b[i] &= (uint8_t)(0xff00u >> (plen - 8 * i));
	}
}

enum { PFX_OK, PFX_SYNTAX, PFX_HOSTBITS };

/* Prefix length: 1 to 3 decimal digits, at most `max`. */
static bool parse_plen(const char *s, unsigned max, uint32_t *n)
{
	size_t len = strlen(s), i;

	if (len == 0 || len > 3)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	*n = (uint32_t)atoi(s);
	return *n <= max;
}

/* "A/PLEN", "A" (host prefix) or "default" (family `want`, else IPv4).
 * Unless keep_host, bits beyond PLEN must be zero (PFX_HOSTBITS). */
static int parse_prefix(const char *s, int want, bool keep_host, int *family,
			union pkt_addr *a, uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	union pkt_addr m;
	uint32_t n;

	if (streq(s, "default")) {
		*family = want ? want : AF_INET;
		memset(a, 0, sizeof(*a));
		*plen = 0;
		return PFX_OK;
	}
	if (alen == 0 || alen >= sizeof(buf))
		return PFX_SYNTAX;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (!parse_addr(buf, want, family, a))
		return PFX_SYNTAX;
	n = family_bits(*family);
	if (slash && !parse_plen(slash + 1, n, &n))
		return PFX_SYNTAX;
	*plen = (uint8_t)n;
	if (keep_host)
		return PFX_OK;
	m = *a;
	prefix_mask(*family, &m, n);
	if (memcmp(&m, a, sizeof(m)) != 0)
		return PFX_HOSTBITS;
	return PFX_OK;
}

static int prefix_arg(struct words *w, const char *s, int want, bool keep_host,
		      int *family, union pkt_addr *a, uint8_t *plen)
{
	switch (parse_prefix(s, want, keep_host, family, a, plen)) {
	case PFX_OK:
		return 0;
	case PFX_HOSTBITS:
		return fail(w->err,
			    "%s: invalid prefix '%.64s' (host bits set beyond the prefix length)",
			    w->cmd, s);
	default:
		return fail(w->err, "%s: invalid prefix '%.64s'", w->cmd, s);
	}
}

static bool hexval(char c, uint8_t *v)
{
	if (c >= '0' && c <= '9')
		*v = (uint8_t)(c - '0');
	else if (c >= 'a' && c <= 'f')
		*v = (uint8_t)(c - 'a' + 10);
	else if (c >= 'A' && c <= 'F')
		*v = (uint8_t)(c - 'A' + 10);
	else
		return false;
	return true;
}

/* Strict xx:xx:xx:xx:xx:xx. */
static bool parse_mac(const char *s, uint8_t mac[6])
{
	unsigned i;
	uint8_t hi, lo;

	if (strlen(s) != 17)
		return false;
	for (i = 0; i < 6; i++) {
		if (!hexval(s[3 * i], &hi) || !hexval(s[3 * i + 1], &lo))
			return false;
		if (i < 5 && s[3 * i + 2] != ':')
			return false;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static struct dev *dev_arg(struct words *w, const char *name)
{
	struct dev *d = dev_by_name(name);

	if (!d)
		fail(w->err, "%s: unknown device '%.64s'", w->cmd, name);
	return d;
}

static const char *dev_name_or(uint32_t ifindex, char *buf, size_t len)
{
	struct dev *d = ifindex ? dev_get(ifindex) : NULL;

	if (d)
		return d->name;
	snprintf(buf, len, "if%u", ifindex);
	return buf;
}

static int parse_table(const char *s, bool allow_all, uint32_t *t)
{
	if (streq(s, "main"))
		*t = FIB_TABLE_MAIN;
	else if (streq(s, "local"))
		*t = FIB_TABLE_LOCAL;
	else if (streq(s, "default"))
		*t = FIB_TABLE_DEFAULT;
	else if (allow_all && streq(s, "all"))
		*t = FIB_TABLE_UNSPEC;
	else if (!parse_u32(s, 1, UINT32_MAX, t))
		return -1;
	return 0;
}

static const char *table_name(uint32_t t, char *buf, size_t len)
{
	switch (t) {
	case FIB_TABLE_MAIN:
		return "main";
	case FIB_TABLE_LOCAL:
		return "local";
	case FIB_TABLE_DEFAULT:
		return "default";
	default:
		snprintf(buf, len, "%u", t);
		return buf;
	}
}

/* ------------------------------------------------------------------- link */

static const char *const feature_names[] = {
	"sg", "csum", "tso4", "tso6", "uso", "fraglist", "rxcsum",
};

static bool dev_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= DEV_NAME_MAX || streq(name, ".") || streq(name, ".."))
		return false;
	for (; *name; name++) {
		unsigned char c = (unsigned char)*name;
		if (c <= ' ' || c == '/' || c == ':' || c >= 0x7f)
			return false;
	}
	return true;
}

/* Free a device that was created but never registered: what dev.c's
 * dev_free() does (dev.h has no public call for it). */
static void dev_discard(struct dev *d)
{
	if (d->ops && d->ops->destroy)
		d->ops->destroy(d);
	pthread_spin_destroy(&d->tx_lock);
	free(d->priv);
	free(d);
}

/* Drivers of upper devices (vlan, macvlan) find their lower device as the
 * words "link LOWER" in front of their own arguments. */
#define CTL_ARGS_MAX 256

static struct dev *link_create(const struct dev_driver *drv, const char *name,
			       const char *lower, struct words *w, char *derr)
{
	int argc = w->argc - w->i;
	char *argv[CTL_ARGS_MAX + 2];

	if (!lower)
		return drv->create(name, argc, w->argv + w->i, derr);
	if (argc > CTL_ARGS_MAX) {
		snprintf(derr, CTL_ERR_LEN, "too many arguments");
		return NULL;
	}
	argv[0] = (char *)"link";
	argv[1] = (char *)lower;
	memcpy(argv + 2, w->argv + w->i, sizeof(argv[0]) * (size_t)argc);
	return drv->create(name, argc + 2, argv, derr);
}

static int link_add(struct words *w)
{
	const char *name = w_next(w), *kw, *kind, *lower = NULL;
	const struct dev_driver *drv;
	char derr[CTL_ERR_LEN] = "";
	struct dev *d;
	int rc;

	if (!name)
		return fail(w->err, "link: missing device name after 'add'");
	if (!dev_name_valid(name))
		return fail(w->err,
			    "link: invalid device name '%.64s' (1..%u characters, no spaces, '/' or ':')",
			    name, DEV_NAME_MAX - 1);
	if (dev_by_name(name))
		return fail(w->err, "link: device '%s' already exists", name);
	kw = w_next(w);
	if (kw && streq(kw, "link")) { /* link add NAME link LOWER type KIND */
		lower = w_value(w, "link");
		if (!lower || !dev_arg(w, lower))
			return -1;
		kw = w_next(w);
	}
	if (!kw || !streq(kw, "type"))
		return fail(w->err, "link: expected 'type KIND' after '%s'", name);
	kind = w_value(w, "type");
	if (!kind)
		return -1;
	drv = dev_driver_find(kind);
	if (!drv)
		return fail(w->err, "link: unknown type '%.64s'", kind);
	d = link_create(drv, name, lower, w, derr);
	if (!d)
		return fail(w->err, "link: %s", derr[0] ? derr : "cannot create device");
	rc = dev_register(d);
	if (rc < 0) {
		dev_discard(d);
		return fail(w->err, "link: cannot register '%s': %s", name,
			    strerror(-rc));
	}
	rc = worker_attach_dev(d, -1);
	if (rc < 0) {
		dev_unregister(d);
		return fail(w->err, "link: cannot attach '%s' to a worker: %s",
			    name, strerror(-rc));
	}
	fib_rules_dev_added(d->ifindex, d->name);
	return 0;
}

static void link_remove(struct dev *d)
{
	char err[CTL_ERR_LEN];
	struct dev *x;

	/* as Linux: uppers stacked on d go first, slaves are released */
	while ((x = dev_upper_of(d)))
		link_remove(x);
	for (x = dev_next(NULL); x; x = dev_next(x))
		if (x->master == d)
			dev_set_master(x, NULL, err);
	if (d->master)
		dev_set_master(d, NULL, err);
	worker_detach_dev(d);
	fib_nh_flush_dev(d->ifindex);
	fib_flush_dev(d->ifindex);
	fib_rules_dev_removed(d->ifindex, d->name);
	neigh_flush_dev(d);
	dev_unregister(d);
}

static int link_del(struct words *w)
{
	const char *name = w_next(w), *extra;
	struct dev *d;

	if (name && streq(name, "dev"))
		name = w_next(w);
	if (!name)
		return fail(w->err, "link: missing device name after 'del'");
	extra = w_next(w);
	if (extra)
		return w_unknown(w, extra);
	d = dev_arg(w, name);
	if (!d)
		return -1;
	link_remove(d);
	return 0;
}

struct link_req {
	int up;                 /* -1 unchanged, 0 down, 1 up */
	bool set_mtu, set_mac, set_worker, set_master;
	uint32_t mtu;
	uint8_t mac[6];
	int worker;
	struct dev *master;     /* with set_master: NULL = nomaster */
};

static int link_set_parse(struct words *w, struct link_req *q)
{
	/* Before the workers start, devices wait on worker 0's list. */
	uint32_t nworkers = worker_count() ? worker_count() : 1;
	const char *k, *v;
	uint32_t n;

	while ((k = w_next(w))) {
		if (streq(k, "up") || streq(k, "down")) {
			q->up = streq(k, "up");
		} else if (streq(k, "mtu")) {
			if (num_arg(w, "mtu", 68, 65535, &q->mtu) < 0)
				return -1;
			q->set_mtu = true;
		} else if (streq(k, "address")) {
			v = w_value(w, k);
			if (!v)
				return -1;
			if (!parse_mac(v, q->mac))
				return fail(w->err, "link: invalid MAC address '%.64s' (want xx:xx:xx:xx:xx:xx)", v);
			if (q->mac[0] & 1)
				return fail(w->err, "link: MAC address '%s' is multicast", v);
			q->set_mac = true;
		} else if (streq(k, "worker")) {
			v = w_value(w, k);
			if (!v)
				return -1;
			if (streq(v, "auto")) {
				q->worker = -1;
			} else if (parse_u32(v, 0, nworkers - 1, &n)) {
				q->worker = (int)n;
			} else {
				return fail(w->err, "link: invalid worker '%.64s' (0..%u or auto)",
					    v, nworkers - 1);
			}
			q->set_worker = true;
		} else if (streq(k, "master")) {
			v = w_value(w, k);
			if (!v || !(q->master = dev_arg(w, v)))
				return -1;
			q->set_master = true;
		} else if (streq(k, "nomaster")) {
			q->master = NULL;
			q->set_master = true;
		} else {
			return w_unknown(w, k);
		}
	}
	return 0;
}

/* Apply q to d; on a failing step undo the earlier ones. */
static int link_set_apply(struct words *w, struct dev *d,
			  const struct link_req *q)
{
	char derr[CTL_ERR_LEN] = "";
	uint32_t old_mtu = d->mtu;
	uint8_t old_mac[6];
	int old_worker = d->worker_id, rc = 0, step = 0;
	bool old_up = d->admin_up;

	memcpy(old_mac, d->mac, 6);
	if (q->up == 0 && d->admin_up)
		dev_set_up(d, false, derr);
	if (q->set_mtu && q->mtu != d->mtu) {
		rc = dev_set_mtu(d, q->mtu, derr);
		if (rc < 0)
			goto undo;
	}
	step = 1;
	if (q->set_mac && memcmp(q->mac, d->mac, 6)) {
		rc = dev_set_mac(d, q->mac, derr); /* also renews the IPv6 LL */
		if (rc < 0)
			goto undo;
	}
	step = 2;
	if (q->set_worker && q->worker != d->worker_id) {
		worker_detach_dev(d);
		rc = worker_attach_dev(d, q->worker);
		if (rc < 0) {
			snprintf(derr, sizeof(derr), "cannot move to worker %d: %s",
				 q->worker, strerror(-rc));
			goto undo;
		}
	}
	step = 3;
	if (q->set_master && q->master != d->master) {
		struct dev *old_master = d->master;
		if (old_master && q->master)
			dev_set_master(d, NULL, derr);
		rc = dev_set_master(d, q->master, derr);
		if (rc < 0) {
			if (old_master && !d->master)
				dev_set_master(d, old_master, derr);
			goto undo;
		}
	}
	step = 4;
	if (q->up == 1 && !d->admin_up) {
		rc = dev_set_up(d, true, derr);
		if (rc < 0)
			goto undo;
	}
	return 0;
undo:
	if (step >= 3 && q->set_worker && d->worker_id != old_worker) {
		worker_detach_dev(d);
		worker_attach_dev(d, old_worker);
	}
	if (step >= 2 && memcmp(old_mac, d->mac, 6)) {
		char e2[CTL_ERR_LEN];
		dev_set_mac(d, old_mac, e2);
	}
	if (step >= 1 && old_mtu != d->mtu) {
		char e2[CTL_ERR_LEN];
		dev_set_mtu(d, old_mtu, e2);
	}
	if (old_up && !d->admin_up) {
		char e2[CTL_ERR_LEN];
		dev_set_up(d, true, e2);
	}
	return fail(w->err, "link: %s: %s", d->name,
		    derr[0] ? derr : strerror(rc < 0 ? -rc : EINVAL));
}

static int link_set(struct words *w)
{
	struct link_req q = { .up = -1 };
	const char *name = w_next(w);
	struct dev *d;

	if (name && streq(name, "dev"))
		name = w_next(w);
	if (!name)
		return fail(w->err, "link: missing device name after 'set'");
	d = dev_arg(w, name);
	if (!d)
		return -1;
	if (link_set_parse(w, &q) < 0)
		return -1;
	return link_set_apply(w, d, &q);
}

static void link_show_one(struct ctl_out *o, struct dev *d)
{
	char mac[MAC_STR];
	unsigned i;
	const char *kind = d->ops && d->ops->kind ? d->ops->kind : "?";
	const char *state = d->oper_up ? "UP" : "DOWN";

	out_mac(d->mac, mac);
	out_text(o, "%u: %s: <BROADCAST,MULTICAST%s%s> mtu %u", d->ifindex,
		 d->name, d->admin_up ? ",UP" : "",
		 d->oper_up ? ",LOWER_UP" : "", d->mtu);
	if (d->master)
		out_text(o, " master %s", d->master->name);
	out_text(o, " state %s kind %s", state, kind);
	if (d->worker_id >= 0)
		out_text(o, " worker %d\n", d->worker_id);
	else
		out_text(o, " worker none\n");
	out_text(o, "    link/ether %s features", mac);
	for (i = 0; i < ARRAY_SIZE(feature_names); i++)
		if (d->features & (1u << i))
			out_text(o, " %s", feature_names[i]);
	out_text(o, "%s\n", d->features ? "" : " none");

	out_obj_begin(o, NULL);
	out_u64(o, "ifindex", d->ifindex);
	out_str(o, "ifname", d->name);
	out_str(o, "kind", kind);
	out_arr_begin(o, "flags");
	out_str(o, NULL, "BROADCAST");
	out_str(o, NULL, "MULTICAST");
	if (d->admin_up)
		out_str(o, NULL, "UP");
	if (d->oper_up)
		out_str(o, NULL, "LOWER_UP");
	out_arr_end(o);
	out_str(o, "operstate", state);
	out_u64(o, "mtu", d->mtu);
	out_str(o, "address", mac);
	out_arr_begin(o, "features");
	for (i = 0; i < ARRAY_SIZE(feature_names); i++)
		if (d->features & (1u << i))
			out_str(o, NULL, feature_names[i]);
	out_arr_end(o);
	out_i64(o, "worker", d->worker_id);
	if (d->master)
		out_str(o, "master", d->master->name);
	if (d->ops && d->ops->describe) {
		out_text(o, "   ");
		d->ops->describe(d, o);
		out_text(o, "\n");
	}
	out_obj_end(o);
}

static int link_show(struct words *w, struct ctl_out *o)
{
	const char *name = w_next(w), *extra;
	struct dev *d, *only = NULL;

	if (name && streq(name, "dev"))
		name = w_next(w);
	if (name) {
		extra = w_next(w);
		if (extra)
			return w_unknown(w, extra);
		only = dev_arg(w, name);
		if (!only)
			return -1;
	}
	out_arr_begin(o, NULL);
	for (d = dev_next(NULL); d; d = dev_next(d))
		if (!only || d == only)
			link_show_one(o, d);
	out_arr_end(o);
	return 0;
}

static int cmd_link(struct words *w, struct ctl_out *o)
{
	const char *verb = w_next(w);

	if (!verb || streq(verb, "show") || streq(verb, "list") || streq(verb, "ls"))
		return link_show(w, o);
	if (streq(verb, "add"))
		return link_add(w);
	if (streq(verb, "del") || streq(verb, "delete"))
		return link_del(w);
	if (streq(verb, "set"))
		return link_set(w);
	return fail(w->err, "link: unknown verb '%.64s' (add, del, set, show)", verb);
}

/* ------------------------------------------------------------------- addr */

static int addr_change(struct words *w, bool add)
{
	const char *k, *v, *aw = NULL;
	struct dev *d = NULL;
	union pkt_addr a;
	uint8_t plen;
	int family;
	char aerr[CTL_ERR_LEN] = "";

	while ((k = w_next(w))) {
		if (streq(k, "dev")) {
			if (d)
				return w_dup(w, k);
			v = w_value(w, k);
			if (!v || !(d = dev_arg(w, v)))
				return -1;
		} else if (!aw) {
			aw = streq(k, "local") ? w_value(w, k) : k;
			if (!aw)
				return -1;
			if (streq(aw, "default") ||
			    prefix_arg(w, aw, 0, true, &family, &a, &plen) < 0)
				return fail(w->err, "addr: invalid address '%.64s'", aw);
		} else {
			return w_unknown(w, k);
		}
	}
	if (!aw)
		return fail(w->err, "addr: missing address");
	if (!d)
		return fail(w->err, "addr: missing 'dev NAME'");
	if ((add ? addr_add : addr_del)(d, family, &a, plen, aerr) < 0)
		return fail(w->err, "addr: %s", aerr[0] ? aerr : "failed");
	return 0;
}

static int addr_show_cmd(struct words *w, struct ctl_out *o)
{
	const char *k = w_next(w), *extra;
	struct dev *d = NULL;

	if (k && streq(k, "dev")) {
		k = w_value(w, "dev");
		if (!k)
			return -1;
	}
	if (k) {
		extra = w_next(w);
		if (extra)
			return w_unknown(w, extra);
		d = dev_arg(w, k);
		if (!d)
			return -1;
	}
	addr_show(o, d); /* writes its own JSON array */
	return 0;
}

static int cmd_addr(struct words *w, struct ctl_out *o)
{
	const char *verb = w_next(w);

	if (!verb || streq(verb, "show") || streq(verb, "list") || streq(verb, "ls"))
		return addr_show_cmd(w, o);
	if (streq(verb, "add"))
		return addr_change(w, true);
	if (streq(verb, "del") || streq(verb, "delete"))
		return addr_change(w, false);
	return fail(w->err, "addr: unknown verb '%.64s' (add, del, show)", verb);
}

/* ------------------------------------------------------------------ route */

/* Parsed `route add|del|...` words. Addresses are kept with their words so
 * family mismatches can be reported once the prefix family is known. */
struct route_req {
	struct fib_route r;
	const char *prefix_w;
	bool have_type, have_metric, have_table, have_proto, have_mtu;
	bool have_dev, have_via, multipath, have_nhid;
	uint32_t nhid;                /* nexthop object, 0 = none */
	const char *gw_w[FIB_NH_MAX];
	const char *src_w;
	int gw_family[FIB_NH_MAX];
	int src_family;
};

static int route_type_word(const char *s)
{
	if (streq(s, "unicast"))
		return FIB_UNICAST;
	if (streq(s, "blackhole"))
		return FIB_BLACKHOLE;
	if (streq(s, "unreachable"))
		return FIB_UNREACHABLE;
	if (streq(s, "prohibit"))
		return FIB_PROHIBIT;
	return 0;
}

static int route_gw(struct words *w, struct route_req *q, unsigned idx)
{
	const char *v = w_value(w, "via");

	if (!v)
		return -1;
	if (!parse_addr(v, 0, &q->gw_family[idx], &q->r.nh[idx].gw))
		return fail(w->err, "route: invalid gateway '%.64s'", v);
	q->gw_w[idx] = v;
	q->r.nh[idx].has_gw = true;
	return 0;
}

static int route_nh_dev(struct words *w, struct fib_nh *nh, const char *key)
{
	const char *v = w_value(w, key);
	struct dev *d;

	if (!v || !(d = dev_arg(w, v)))
		return -1;
	nh->ifindex = d->ifindex;
	return 0;
}

/* `nexthop via GW [dev NAME] [weight N]`; stops at the next other word. */
static int route_nexthop(struct words *w, struct route_req *q)
{
	unsigned idx = q->r.nnh;
	struct fib_nh *nh = &q->r.nh[idx];
	bool via = false, dev = false, weight = false;
	const char *k;

	if (q->have_via || q->have_dev)
		return fail(w->err, "route: 'nexthop' cannot be mixed with a top-level 'via'/'dev'");
	if (idx >= FIB_NH_MAX)
		return fail(w->err, "route: too many nexthops (max %u)", FIB_NH_MAX);
	q->multipath = true;
	nh->weight = 1;
	while ((k = w_peek(w))) {
		if (streq(k, "via")) {
			if (via)
				return w_dup(w, k);
			w->i++;
			if (route_gw(w, q, idx) < 0)
				return -1;
			via = true;
		} else if (streq(k, "dev")) {
			if (dev)
				return w_dup(w, k);
			w->i++;
			if (route_nh_dev(w, nh, k) < 0)
				return -1;
			dev = true;
		} else if (streq(k, "weight")) {
			if (weight)
				return w_dup(w, k);
			w->i++;
			if (num_arg(w, "weight", 1, 256, &nh->weight) < 0)
				return -1;
			weight = true;
		} else {
			break;
		}
	}
	if (!via && !dev)
		return fail(w->err, "route: empty nexthop (want 'nexthop via GW [dev NAME] [weight N]')");
	q->r.nnh++;
	return 0;
}

/* One keyword (and its value) of a route request. */
static int route_word(struct words *w, struct route_req *q, const char *k)
{
	const char *v;
	int t;

	if (streq(k, "via")) {
		if (q->have_via)
			return w_dup(w, k);
		if (q->multipath)
			return fail(w->err, "route: 'via' cannot be mixed with 'nexthop'");
		q->have_via = true;
		return route_gw(w, q, 0);
	}
	if (streq(k, "dev") || streq(k, "oif")) {
		if (q->have_dev)
			return w_dup(w, k);
		if (q->multipath)
			return fail(w->err, "route: 'dev' cannot be mixed with 'nexthop'");
		q->have_dev = true;
		return route_nh_dev(w, &q->r.nh[0], k);
	}
	if (streq(k, "nexthop"))
		return route_nexthop(w, q);
	if (streq(k, "nhid")) {
		if (q->have_nhid)
			return w_dup(w, k);
		q->have_nhid = true;
		return num_arg(w, "nhid", 1, UINT32_MAX, &q->nhid);
	}
	if (streq(k, "metric") || streq(k, "priority") || streq(k, "preference")) {
		if (q->have_metric)
			return w_dup(w, k);
		q->have_metric = true;
		return num_arg(w, "metric", 0, UINT32_MAX, &q->r.metric);
	}
	if (streq(k, "table")) {
		if (q->have_table)
			return w_dup(w, k);
		q->have_table = true;
		v = w_value(w, k);
		if (!v)
			return -1;
		if (parse_table(v, false, &q->r.table) < 0)
			return fail(w->err, "route: invalid table '%.64s'", v);
		return 0;
	}
	if (streq(k, "src")) {
		if (q->src_w)
			return w_dup(w, k);
		v = w_value(w, k);
		if (!v)
			return -1;
		if (!parse_addr(v, 0, &q->src_family, &q->r.prefsrc))
			return fail(w->err, "route: invalid src '%.64s'", v);
		q->src_w = v;
		q->r.has_prefsrc = true;
		return 0;
	}
	if (streq(k, "mtu")) {
		if (q->have_mtu)
			return w_dup(w, k);
		q->have_mtu = true;
		return num_arg(w, "mtu", 68, 65535, &q->r.mtu);
	}
	if (streq(k, "proto")) {
		if (q->have_proto)
			return w_dup(w, k);
		q->have_proto = true;
		v = w_value(w, k);
		if (!v)
			return -1;
		if (streq(v, "static"))
			q->r.proto = FIB_PROTO_STATIC;
		else if (streq(v, "kernel"))
			q->r.proto = FIB_PROTO_KERNEL;
		else
			return fail(w->err, "route: invalid proto '%.64s' (static, kernel)", v);
		return 0;
	}
	t = route_type_word(k);
	if (t && !q->prefix_w && !q->have_type) {
		q->have_type = true;
		q->r.type = (uint8_t)t;
		return 0;
	}
	if (!q->prefix_w) {
		int fam;
		if (prefix_arg(w, k, q->r.family, false, &fam, &q->r.prefix,
			       &q->r.plen) < 0)
			return -1;
		q->r.family = (uint8_t)fam;
		q->prefix_w = k;
		return 0;
	}
	return w_unknown(w, k);
}

/* Checks that need the whole request. */
static int route_check(struct words *w, struct route_req *q, bool del)
{
	unsigned i;
	int fam = q->r.family;

	if (!q->prefix_w)
		return fail(w->err, "route: missing prefix");
	for (i = 0; i < FIB_NH_MAX; i++)
		if (q->gw_w[i] && q->gw_family[i] != fam)
			return fail(w->err, "route: gateway '%.64s' is not %s like prefix '%.64s'",
				    q->gw_w[i], family_name(fam), q->prefix_w);
	if (q->src_w && q->src_family != fam)
		return fail(w->err, "route: src '%.64s' is not %s like prefix '%.64s'",
			    q->src_w, family_name(fam), q->prefix_w);
	if (q->src_w && !del && !addr_is_local(fam, &q->r.prefsrc))
		return fail(w->err, "route: src '%.64s' is not a local address", q->src_w);
	if (q->have_mtu && fam == AF_INET6 && q->r.mtu < 1280)
		return fail(w->err, "route: invalid mtu '%u' for IPv6 (1280..65535)", q->r.mtu);
	if (q->r.type != FIB_UNICAST && q->r.type != 0 &&
	    (q->have_via || q->have_dev || q->multipath || q->have_nhid))
		return fail(w->err, "route: %s route takes no 'via', 'dev', 'nexthop' or 'nhid'",
			    fib_type_name(q->r.type));
	if (q->have_nhid && (q->have_via || q->have_dev || q->multipath))
		return fail(w->err, "route: 'nhid' cannot be mixed with 'via', 'dev' or 'nexthop'");
	if (!del && q->r.type == FIB_UNICAST && !q->have_via && !q->have_dev &&
	    !q->multipath && !q->have_nhid)
		return fail(w->err, "route: need 'via GW', 'dev NAME', 'nexthop' or 'nhid N' for '%.64s'",
			    q->prefix_w);
	return 0;
}

static int route_parse(struct words *w, struct route_req *q, int family,
		       bool del)
{
	const char *k;

	memset(q, 0, sizeof(*q));
	q->r.family = (uint8_t)family;
	q->r.table = FIB_TABLE_MAIN;
	q->r.proto = FIB_PROTO_STATIC;
	while ((k = w_next(w)))
		if (route_word(w, q, k) < 0)
			return -1;
	if (!q->have_type && !del)
		q->r.type = FIB_UNICAST;
	if (route_check(w, q, del) < 0)
		return -1;
	if (q->have_via || q->have_dev) {
		q->r.nnh = 1;
		q->r.nh[0].weight = 1;
	}
	q->r.scope = FIB_SCOPE_UNIVERSE;
	if (q->r.type == FIB_UNICAST && q->r.nnh == 1 && !q->r.nh[0].has_gw)
		q->r.scope = FIB_SCOPE_LINK;
	return 0;
}

/* The device of the connected route covering gw in `table`. */
static bool gw_lookup(uint32_t table, int family, const union pkt_addr *gw,
		      uint32_t *ifindex)
{
	struct fib_result res;

	if (!fib_table_lookup(table, family, gw, 0, &res) ||
	    res.fwd->type != FIB_UNICAST || !res.nh || res.nh->has_gw ||
	    !res.nh->ifindex)
		return false;
	*ifindex = res.nh->ifindex;
	return true;
}

/* As Linux does, `via GW` without `dev` takes the device of the connected
 * route that covers GW (in the route's table, else main): the datapath
 * needs a device on every nexthop. */
static int route_resolve_gws(struct words *w, struct route_req *q)
{
	for (unsigned i = 0; i < q->r.nnh; i++) {
		struct fib_nh *nh = &q->r.nh[i];

		if (!nh->has_gw || nh->ifindex)
			continue;
		if (!gw_lookup(q->r.table, q->r.family, &nh->gw, &nh->ifindex) &&
		    !gw_lookup(FIB_TABLE_MAIN, q->r.family, &nh->gw, &nh->ifindex))
			return fail(w->err,
				    "route: gateway '%.64s' is not on a connected network (give 'dev NAME')",
				    q->gw_w[i]);
	}
	return 0;
}

static bool route_verb_del(const char *verb)
{
	return streq(verb, "del") || streq(verb, "delete");
}

/* Parse the words after `route VERB` into q and apply them. */
static int route_apply(struct words *w, struct route_req *q, int family,
		       const char *verb)
{
	char ferr[CTL_ERR_LEN] = "";
	bool del = route_verb_del(verb);
	unsigned flags = FIB_F_EXCL;
	int rc;

	rc = route_parse(w, q, family, del);
	if (rc == 0 && !del)
		rc = route_resolve_gws(w, q);
	if (rc < 0)
		return -1;
	if (streq(verb, "replace"))
		flags = FIB_F_REPLACE;
	else if (streq(verb, "append"))
		flags = FIB_F_APPEND;
	rc = del ? fib_route_del_nh(&q->r, q->nhid, ferr)
		 : fib_route_add_nh(&q->r, q->nhid, flags, ferr);
	if (rc < 0)
		return fail(w->err, "route: %s %s: %s", verb, q->prefix_w,
			    ferr[0] ? ferr : strerror(-rc));
	return 0;
}

static int route_change(struct words *w, int family, const char *verb)
{
	struct route_req *q = malloc(sizeof(*q));
	int rc;

	if (!q)
		return fail(w->err, "route: out of memory");
	rc = route_apply(w, q, family, verb);
	free(q);
	return rc;
}

/* `route show` filter and output state. */
struct route_walk {
	struct ctl_out *o;
	const union pkt_addr *prefix; /* exact prefix filter, or NULL */
	int family;
	uint8_t plen;
	uint32_t ifindex;             /* device filter, or 0 */
	uint32_t nhid;                /* nexthop object filter, or 0 */
};

/* The nexthops a route uses now: its own, or its nexthop object's. */
static const struct fib_nh *route_nexthops(const struct fib_route *r,
					   unsigned *n, bool *blackhole)
{
	const struct fib_nhobj *nho = fib_route_nhobj(r);

	*blackhole = false;
	*n = r->nnh;
	return nho ? fib_nhobj_nexthops(nho, n, blackhole) : r->nh;
}

static const char *route_dst(const struct fib_route *r, char *buf)
{
	char a[ADDR_STR];

	if (r->plen == 0 && (r->type == FIB_UNICAST || r->type == FIB_BLACKHOLE ||
			     r->type == FIB_UNREACHABLE || r->type == FIB_PROHIBIT))
		return strcpy(buf, "default");
	out_addr(r->family, &r->prefix, a);
	if (r->plen == family_bits(r->family))
		snprintf(buf, ADDR_STR + 4, "%s", a);
	else
		snprintf(buf, ADDR_STR + 4, "%s/%u", a, r->plen);
	return buf;
}

static const char *proto_name(uint8_t p)
{
	return p == FIB_PROTO_KERNEL ? "kernel" : p == FIB_PROTO_STATIC ? "static" : "unspec";
}

static const char *scope_name(uint8_t s)
{
	return s == FIB_SCOPE_LINK ? "link" : s == FIB_SCOPE_HOST ? "host" : "global";
}

static void route_nh_text(struct ctl_out *o, int family, const struct fib_nh *nh)
{
	char a[ADDR_STR], dn[16];

	if (nh->has_gw)
		out_text(o, " via %s", out_addr(family, &nh->gw, a));
	if (nh->ifindex)
		out_text(o, " dev %s", dev_name_or(nh->ifindex, dn, sizeof(dn)));
}

static void route_nh_json(struct ctl_out *o, int family, const struct fib_nh *nh)
{
	char a[ADDR_STR], dn[16];

	if (nh->has_gw)
		out_str(o, "gateway", out_addr(family, &nh->gw, a));
	if (nh->ifindex)
		out_str(o, "dev", dev_name_or(nh->ifindex, dn, sizeof(dn)));
}

static void route_text(struct ctl_out *o, const struct fib_route *r)
{
	char dst[ADDR_STR + 4], a[ADDR_STR], tb[12];
	const struct fib_nhobj *nho = fib_route_nhobj(r);
	const struct fib_nh *nh;
	unsigned i, nnh;
	bool bh;

	nh = route_nexthops(r, &nnh, &bh);
	if (r->type != FIB_UNICAST)
		out_text(o, "%s ", fib_type_name(r->type));
	out_text(o, "%s", route_dst(r, dst));
	if (nho)
		out_text(o, " nhid %u%s", fib_nhobj_id(nho), bh ? " blackhole" : "");
	if (nnh == 1)
		route_nh_text(o, r->family, &nh[0]);
	if (r->table != FIB_TABLE_MAIN)
		out_text(o, " table %s", table_name(r->table, tb, sizeof(tb)));
	if (r->proto == FIB_PROTO_KERNEL)
		out_text(o, " proto kernel");
	if (r->scope != FIB_SCOPE_UNIVERSE)
		out_text(o, " scope %s", scope_name(r->scope));
	if (r->has_prefsrc)
		out_text(o, " src %s", out_addr(r->family, &r->prefsrc, a));
	if (r->type == FIB_UNICAST || r->metric)
		out_text(o, " metric %u", r->metric);
	if (r->mtu)
		out_text(o, " mtu %u", r->mtu);
	out_text(o, "\n");
	for (i = 0; nnh > 1 && i < nnh; i++) {
		out_text(o, "\tnexthop");
		route_nh_text(o, r->family, &nh[i]);
		out_text(o, " weight %u\n", nh[i].weight);
	}
}

static void route_json(struct ctl_out *o, const struct fib_route *r)
{
	char dst[ADDR_STR + 4], a[ADDR_STR];
	const struct fib_nhobj *nho = fib_route_nhobj(r);
	const struct fib_nh *nh;
	unsigned i, nnh;
	bool bh;

	nh = route_nexthops(r, &nnh, &bh);
	out_obj_begin(o, NULL);
	out_str(o, "type", fib_type_name(r->type));
	out_str(o, "dst", route_dst(r, dst));
	out_str(o, "family", r->family == AF_INET ? "inet" : "inet6");
	if (nho)
		out_u64(o, "nhid", fib_nhobj_id(nho));
	if (bh)
		out_bool(o, "blackhole", true);
	if (nnh == 1)
		route_nh_json(o, r->family, &nh[0]);
	out_u64(o, "table", r->table);
	out_str(o, "protocol", proto_name(r->proto));
	out_str(o, "scope", scope_name(r->scope));
	if (r->has_prefsrc)
		out_str(o, "prefsrc", out_addr(r->family, &r->prefsrc, a));
	out_u64(o, "metric", r->metric);
	if (r->mtu)
		out_u64(o, "mtu", r->mtu);
	out_arr_begin(o, "nexthops");
	for (i = 0; i < nnh; i++) {
		out_obj_begin(o, NULL);
		route_nh_json(o, r->family, &nh[i]);
		out_u64(o, "weight", nh[i].weight);
		out_obj_end(o);
	}
	out_arr_end(o);
	out_obj_end(o);
}

static bool route_uses_dev(const struct fib_route *r, uint32_t ifindex)
{
	unsigned i, n;
	bool bh;
	const struct fib_nh *nh = route_nexthops(r, &n, &bh);

	for (i = 0; i < n; i++)
		if (nh[i].ifindex == ifindex)
			return true;
	return false;
}

static void route_walk_fn(const struct fib_route *r, void *arg)
{
	struct route_walk *rw = arg;

	if (rw->prefix && (r->family != rw->family || r->plen != rw->plen ||
			   memcmp(&r->prefix, rw->prefix, sizeof(r->prefix))))
		return;
	if (rw->ifindex && !route_uses_dev(r, rw->ifindex))
		return;
	if (rw->nhid && (!fib_route_nhobj(r) ||
			 fib_nhobj_id(fib_route_nhobj(r)) != rw->nhid))
		return;
	route_text(rw->o, r);
	route_json(rw->o, r);
}

static int route_show(struct words *w, struct ctl_out *o, int family)
{
	struct route_walk rw = { .o = o, .family = family };
	uint32_t table = FIB_TABLE_MAIN;
	union pkt_addr pfx;
	bool have_table = false;
	const char *k, *v;
	struct dev *d;
	int fam;

	while ((k = w_next(w))) {
		if (streq(k, "-4") || streq(k, "-6")) {
			rw.family = streq(k, "-4") ? AF_INET : AF_INET6;
		} else if (streq(k, "table")) {
			if (have_table)
				return w_dup(w, k);
			v = w_value(w, k);
			if (!v)
				return -1;
			if (parse_table(v, true, &table) < 0)
				return fail(w->err, "route: invalid table '%.64s'", v);
			have_table = true;
		} else if (streq(k, "dev")) {
			if (rw.ifindex)
				return w_dup(w, k);
			v = w_value(w, k);
			if (!v || !(d = dev_arg(w, v)))
				return -1;
			rw.ifindex = d->ifindex;
		} else if (streq(k, "nhid")) {
			if (rw.nhid)
				return w_dup(w, k);
			if (num_arg(w, "nhid", 1, UINT32_MAX, &rw.nhid) < 0)
				return -1;
		} else if (!rw.prefix) {
			if (prefix_arg(w, k, rw.family, false, &fam, &pfx, &rw.plen) < 0)
				return -1;
			rw.family = fam;
			rw.prefix = &pfx;
		} else {
			return w_unknown(w, k);
		}
	}
	if (rw.prefix && family && rw.family != family)
		return fail(w->err, "route: prefix is not %s", family_name(family));
	out_arr_begin(o, NULL);
	fib_walk(table, rw.family, route_walk_fn, &rw);
	out_arr_end(o);
	return 0;
}

/* An IP protocol by name or number (1..255). */
static bool parse_ipproto(const char *s, uint8_t *proto)
{
	static const struct { const char *name; uint8_t num; } names[] = {
		{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP },
		{ "icmp", IPPROTO_ICMP }, { "ipv6-icmp", IPPROTO_ICMPV6 },
		{ "icmpv6", IPPROTO_ICMPV6 }, { "sctp", IPPROTO_SCTP },
		{ "gre", IPPROTO_GRE },
	};
	uint32_t n;

	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		if (streq(s, names[i].name)) {
			*proto = names[i].num;
			return true;
		}
	if (!parse_u32(s, 1, 255, &n))
		return false;
	*proto = (uint8_t)n;
	return true;
}

static int ipproto_arg(struct words *w, const char *key, uint8_t *proto)
{
	const char *v = w_value(w, key);

	if (!v)
		return -1;
	if (!parse_ipproto(v, proto))
		return fail(w->err, "%s: invalid %s '%.64s' (tcp, udp, icmp, ipv6-icmp, sctp, gre or 1..255)",
			    w->cmd, key, v);
	return 0;
}

/* `N` or `N-M` (allow_range) port numbers, 0..65535, N <= M. */
static int port_arg(struct words *w, const char *key, bool allow_range,
		    uint16_t *lo, uint16_t *hi)
{
	const char *v = w_value(w, key), *dash;
	char a[8];
	uint32_t x, y;

	if (!v)
		return -1;
	dash = allow_range ? strchr(v, '-') : NULL;
	if (dash && (size_t)(dash - v) < sizeof(a)) {
		snprintf(a, sizeof(a), "%.*s", (int)(dash - v), v);
		if (parse_u32(a, 1, 65535, &x) && parse_u32(dash + 1, 1, 65535, &y) &&
		    x <= y) {
			*lo = (uint16_t)x;
			*hi = (uint16_t)y;
			return 0;
		}
	} else if (!dash && parse_u32(v, allow_range ? 1 : 0, 65535, &x)) {
		*lo = *hi = (uint16_t)x;
		return 0;
	}
	return fail(w->err, "%s: invalid %s '%.64s' (%s)", w->cmd, key, v,
		    allow_range ? "1..65535 or N-M" : "0..65535");
}

struct route_get_req {
	struct fib_flow fl;
	const char *dst_w, *from_w;
	struct dev *iif, *oif, *vrf;
	bool have_proto, have_sport, have_dport, have_dscp, have_mark;
};

/* One `route get` option after the address; 0, 1 (not an option), -1. */
static int route_get_opt(struct words *w, struct route_get_req *q,
			 const char *k)
{
	uint32_t n;
	uint16_t hi;
	int fam;
	const char *v;

	if (streq(k, "from")) {
		if (q->from_w)
			return w_dup(w, k);
		v = w_value(w, k);
		if (!v)
			return -1;
		if (!parse_addr(v, 0, &fam, &q->fl.src))
			return fail(w->err, "route: invalid address '%.64s'", v);
		q->from_w = v;
	} else if (streq(k, "vrf")) {
		if (q->vrf)
			return w_dup(w, k);
		v = w_value(w, k);
		if (!v || !(q->vrf = dev_arg(w, v)))
			return -1;
		if (!q->vrf->l3mdev_table || vrf_of(q->vrf) != q->vrf)
			return fail(w->err, "route: '%s' is not a VRF", v);
	} else if (streq(k, "iif") || streq(k, "oif")) {
		struct dev **dp = streq(k, "iif") ? &q->iif : &q->oif;
		if (*dp)
			return w_dup(w, k);
		v = w_value(w, k);
		if (!v || !(*dp = dev_arg(w, v)))
			return -1;
	} else if (streq(k, "mark") || streq(k, "fwmark")) {
		if (q->have_mark)
			return w_dup(w, k);
		q->have_mark = true;
		return num_arg(w, k, 0, UINT32_MAX, &q->fl.mark);
	} else if (streq(k, "ipproto")) {
		if (q->have_proto)
			return w_dup(w, k);
		q->have_proto = true;
		return ipproto_arg(w, k, &q->fl.proto);
	} else if (streq(k, "sport") || streq(k, "dport")) {
		bool sp = streq(k, "sport");
		if (sp ? q->have_sport : q->have_dport)
			return w_dup(w, k);
		*(sp ? &q->have_sport : &q->have_dport) = true;
		return port_arg(w, k, false, sp ? &q->fl.sport : &q->fl.dport, &hi);
	} else if (streq(k, "dscp")) {
		if (q->have_dscp)
			return w_dup(w, k);
		q->have_dscp = true;
		if (num_arg(w, k, 0, 63, &n) < 0)
			return -1;
		q->fl.dscp = (uint8_t)n;
	} else {
		return 1;
	}
	return 0;
}

/* Make q a VRF flow as the datapath would (Linux's l3mdev_update_flow):
 * received when iif is in a VRF, else generated in `vrf NAME` or in the VRF
 * of oif. q->vrf is then that VRF. 0, or -1 with err set when iif/oif is
 * not in the VRF named. */
static int route_get_vrf(struct words *w, struct route_get_req *q)
{
	struct dev *in = q->iif ? vrf_of(q->iif) : NULL;
	struct dev *out = q->oif ? vrf_of(q->oif) : NULL;
	struct dev *vrf = in ? in : q->vrf ? q->vrf : out;

	if (!vrf)
		return 0;
	if (q->vrf && q->iif && in != q->vrf)
		return fail(w->err, "route: iif %s is not in vrf %s",
			    q->iif->name, q->vrf->name);
	if (q->vrf && !q->iif && q->oif && out != q->vrf)
		return fail(w->err, "route: oif %s is not in vrf %s",
			    q->oif->name, q->vrf->name);
	q->vrf = vrf;
	if (in)
		vrf_flow_update(&q->fl, vrf->l3mdev_table, q->iif, true);
	else
		vrf_flow_update(&q->fl, vrf->l3mdev_table, vrf, false);
	return 0;
}

static int route_get_parse(struct words *w, struct route_get_req *q, int family)
{
	const char *k;
	int fam, rc;

	while ((k = w_next(w))) {
		rc = route_get_opt(w, q, k);
		if (rc < 0)
			return -1;
		if (rc == 0)
			continue;
		if (q->dst_w)
			return w_unknown(w, k);
		if (!parse_addr(k, family, &fam, &q->fl.dst))
			return fail(w->err, "route: invalid address '%.64s'", k);
		q->fl.family = (uint8_t)fam;
		q->dst_w = k;
	}
	if (!q->dst_w)
		return fail(w->err, "route: missing address after 'get'");
	if (q->from_w && !parse_addr(q->from_w, q->fl.family, &fam, &q->fl.src))
		return fail(w->err, "route: from '%.64s' is not %s like '%.64s'",
			    q->from_w, family_name(q->fl.family), q->dst_w);
	if ((q->have_sport || q->have_dport) && q->fl.proto != IPPROTO_TCP &&
	    q->fl.proto != IPPROTO_UDP && q->fl.proto != IPPROTO_SCTP)
		return fail(w->err, "route: 'sport'/'dport' need 'ipproto tcp', 'udp' or 'sctp'");
	q->fl.iif = q->iif ? q->iif->ifindex : 0;
	q->fl.oif = q->oif ? q->oif->ifindex : 0;
	if (route_get_vrf(w, q) < 0)
		return -1;
	/* The hash the datapath computes for this flow (same policy). */
	q->fl.hash = ip_flow_hash(q->fl.family, (const uint8_t *)&q->fl.src,
				  (const uint8_t *)&q->fl.dst, q->fl.proto,
				  q->fl.sport, q->fl.dport, 0);
	return 0;
}

static void route_get_text(struct ctl_out *o, const struct route_get_req *q,
			   const struct fib_result *res,
			   const struct fib_rule *rule, const char *src)
{
	const struct fib_route *r = fib_result_route(res);
	const struct fib_nhobj *nho = fib_route_nhobj(r);
	char a[ADDR_STR], gw[ADDR_STR], tb[12], dn[16];
	int fam = q->fl.family;

	out_addr(fam, &q->fl.dst, a);
	out_text(o, "%s%s%s", r->type == FIB_UNICAST ? "" : fib_type_name(r->type),
		 r->type == FIB_UNICAST ? "" : " ", a);
	if (q->from_w)
		out_text(o, " from %s", q->from_w);
	if (nho)
		out_text(o, " nhid %u", fib_nhobj_id(nho));
	if (res->nh && res->nh->has_gw)
		out_text(o, " via %s", out_addr(fam, &res->nh->gw, gw));
	if (res->nh && res->nh->ifindex)
		out_text(o, " dev %s", dev_name_or(res->nh->ifindex, dn, sizeof(dn)));
	if (res->table)
		out_text(o, " table %s", table_name(res->table, tb, sizeof(tb)));
	if (src)
		out_text(o, " src %s", src);
	if (r->mtu)
		out_text(o, " mtu %u", r->mtu);
	if (q->iif)
		out_text(o, " iif %s", q->iif->name);
	out_text(o, " rule %u\n", rule->prio);
}

static void route_get_json(struct ctl_out *o, const struct route_get_req *q,
			   const struct fib_result *res,
			   const struct fib_rule *rule, const char *src)
{
	const struct fib_route *r = fib_result_route(res);
	const struct fib_nhobj *nho = fib_route_nhobj(r);
	char a[ADDR_STR];

	out_arr_begin(o, NULL);
	out_obj_begin(o, NULL);
	out_str(o, "type", fib_type_name(r->type));
	out_str(o, "dst", out_addr(q->fl.family, &q->fl.dst, a));
	if (q->from_w)
		out_str(o, "from", q->from_w);
	if (nho)
		out_u64(o, "nhid", fib_nhobj_id(nho));
	if (res->nh)
		route_nh_json(o, q->fl.family, res->nh);
	if (res->table)
		out_u64(o, "table", res->table);
	if (src)
		out_str(o, "prefsrc", src);
	if (r->mtu)
		out_u64(o, "mtu", r->mtu);
	if (q->iif)
		out_str(o, "iif", q->iif->name);
	out_u64(o, "rule", rule->prio);
	out_str(o, "rule_action", fib_rule_action_name(rule->action));
	out_obj_end(o);
	out_arr_end(o);
}

/* A path MTU exception toward the destination in the table that routed it,
 * shown like Linux's "cache expires 598sec mtu 1300" (text: its own line;
 * JSON: an object of its own after the route). */
static void route_get_exc(struct ctl_out *o, const struct route_get_req *q,
			  const struct fib_result *res)
{
	uint64_t now = time_ms(), expires = 0;
	uint32_t mtu = fib_exc_mtu(res->table, q->fl.family, &q->fl.dst, now,
				   &expires);

	if (!mtu)
		return;
	out_text(o, "    cache expires %llusec mtu %u\n",
		 (unsigned long long)((expires - now + 999) / 1000), mtu);
	if (o->json) {
		out_obj_begin(o, NULL);
		out_str(o, "cache", "exception");
		out_u64(o, "table", res->table);
		out_u64(o, "mtu", mtu);
		out_u64(o, "expires_ms", expires - now);
		out_obj_end(o);
	}
}

/* `route get`: the decision for one flow, the table and the rule that
 * made it (like `ip route get`, plus the rule priority). */
static int route_get(struct words *w, struct ctl_out *o, int family)
{
	struct route_get_req q;
	struct fib_result res;
	struct fib_rule rule;
	const struct fib_route *r;
	char src[ADDR_STR];
	union pkt_addr sa;
	struct dev *nd = NULL;
	bool have_src = false;
	int fam;

	memset(&q, 0, sizeof(q));
	memset(&res, 0, sizeof(res));
	if (route_get_parse(w, &q, family) < 0)
		return -1;
	fam = q.fl.family;
	if (!fib_rules_lookup_trace(&q.fl, &res, &rule) ||
	    !(r = fib_result_route(&res))) {
		if (q.vrf)
			return fail(w->err, "route: Network is unreachable (no route to %s in vrf %s)",
				    q.dst_w, q.vrf->name);
		return fail(w->err, "route: Network is unreachable (no route to %s)", q.dst_w);
	}
	if (res.nh && res.nh->ifindex)
		nd = dev_get(res.nh->ifindex);
	if (r->has_prefsrc) {
		sa = r->prefsrc;
		have_src = true;
	} else if (nd && (r->type == FIB_UNICAST || r->type == FIB_LOCAL)) {
		have_src = dev_pick_src(nd, fam, &q.fl.dst, &sa);
	}
	if (have_src)
		out_addr(fam, &sa, src);
	route_get_text(o, &q, &res, &rule, have_src ? src : NULL);
	route_get_exc(o, &q, &res);
	route_get_json(o, &q, &res, &rule, have_src ? src : NULL);
	return 0;
}

/* ------------------------------------------------------------- route load */

/* Reads FILE line by line: words split as for the control socket. */
struct load_file {
	const char *path;
	FILE *f;
	char *line, *buf;
	size_t cap, bufcap;
	char **argv;
	int argc;
	unsigned lineno;
};

static int load_open(struct load_file *lf, const char *path, char *err)
{
	memset(lf, 0, sizeof(*lf));
	lf->path = path;
	lf->argv = calloc(CTL_WORDS_MAX, sizeof(*lf->argv));
	if (!lf->argv)
		return fail(err, "route: load: out of memory");
	lf->f = fopen(path, "r");
	if (!lf->f) {
		free(lf->argv);
		return fail(err, "route: load: cannot open '%.128s': %s", path,
			    strerror(errno));
	}
	return 0;
}

static void load_close(struct load_file *lf)
{
	if (lf->f)
		fclose(lf->f);
	free(lf->line);
	free(lf->buf);
	free(lf->argv);
}

/* The next line with words: 1, 0 at the end, -1 on error (err set). */
static int load_next(struct load_file *lf, char *err)
{
	char lerr[CTL_ERR_LEN];
	ssize_t len;

	for (;;) {
		len = getline(&lf->line, &lf->cap, lf->f);
		if (len < 0)
			return ferror(lf->f) ? fail(err, "route: load: %.128s: read error: %s",
						    lf->path, strerror(errno)) : 0;
		lf->lineno++;
		if (len > CTL_LINE_MAX)
			return fail(err, "route: load: %.128s:%u: line too long",
				    lf->path, lf->lineno);
		if (lf->bufcap < (size_t)len + 1) {
			char *nb = realloc(lf->buf, (size_t)len + 1);
			if (!nb)
				return fail(err, "route: load: out of memory");
			lf->buf = nb;
			lf->bufcap = (size_t)len + 1;
		}
		if (split_words(lf->line, lf->buf, lf->argv, &lf->argc, lerr) < 0)
			return fail(err, "route: load: %.128s:%u: %s", lf->path,
				    lf->lineno, lerr);
		if (lf->argc > 0)
			return 1;
	}
}

/* Parse (apply: and apply) the current line, a `route [-4|-6] VERB ...`. */
static int load_line(struct load_file *lf, struct route_req *q, bool apply,
		     char *err)
{
	char lerr[CTL_ERR_LEN] = "";
	struct words lw = { .argc = lf->argc, .argv = lf->argv, .i = 1,
			    .cmd = "route", .err = lerr };
	const char *verb;
	int family = 0, rc;

	if (!streq(lf->argv[0], "route"))
		return fail(err, "route: load: %.128s:%u: '%.64s' is not a route command",
			    lf->path, lf->lineno, lf->argv[0]);
	while ((verb = w_peek(&lw)) && (streq(verb, "-4") || streq(verb, "-6"))) {
		family = streq(verb, "-4") ? AF_INET : AF_INET6;
		lw.i++;
	}
	verb = w_next(&lw);
	if (!verb || !(streq(verb, "add") || streq(verb, "append") ||
		       streq(verb, "replace") || route_verb_del(verb)))
		return fail(err, "route: load: %.128s:%u: want route add, append, replace or del",
			    lf->path, lf->lineno);
	if (apply)
		rc = route_apply(&lw, q, family, verb);
	else
		rc = route_parse(&lw, q, family, route_verb_del(verb));
	if (rc < 0)
		return fail(err, "route: load: %.128s:%u: %s", lf->path,
			    lf->lineno, lerr);
	return 0;
}

/* One pass over the file: check every line, or apply every line. */
static int load_pass(const char *path, struct route_req *q, bool apply,
		     char *err)
{
	struct load_file lf;
	int rc;

	if (load_open(&lf, path, err) < 0)
		return -1;
	while ((rc = load_next(&lf, err)) > 0)
		if (load_line(&lf, q, apply, err) < 0) {
			rc = -1;
			break;
		}
	load_close(&lf);
	return rc;
}

/* `route load FILE`: lines of `route add|append|replace|del ...`. Every
 * line is checked first; then all are applied as one FIB batch (one grace
 * period in all), undone entirely when a line fails to apply: either the
 * whole file is in, or nothing changed. */
static int route_load(struct words *w)
{
	const char *path = w_value(w, "load"), *extra;
	struct route_req *q;
	char berr[CTL_ERR_LEN];
	int rc;

	if (!path)
		return -1;
	extra = w_next(w);
	if (extra)
		return w_unknown(w, extra);
	q = malloc(sizeof(*q));
	if (!q)
		return fail(w->err, "route: out of memory");
	rc = load_pass(path, q, false, w->err);
	if (rc == 0 && fib_batch_begin(berr) < 0)
		rc = fail(w->err, "route: load: %s", berr);
	else if (rc == 0) {
		rc = load_pass(path, q, true, w->err);
		if (rc < 0)
			fib_batch_abort();
		else
			fib_batch_commit();
	}
	free(q);
	return rc < 0 ? -1 : 0;
}

static int cmd_route(struct words *w, struct ctl_out *o)
{
	const char *verb;
	int family = 0;

	while ((verb = w_peek(w)) && (streq(verb, "-4") || streq(verb, "-6"))) {
		family = streq(verb, "-4") ? AF_INET : AF_INET6;
		w->i++;
	}
	verb = w_next(w);
	if (!verb || streq(verb, "show") || streq(verb, "list") || streq(verb, "ls"))
		return route_show(w, o, family);
	if (streq(verb, "add") || streq(verb, "del") || streq(verb, "delete") ||
	    streq(verb, "replace") || streq(verb, "append"))
		return route_change(w, family, verb);
	if (streq(verb, "get"))
		return route_get(w, o, family);
	if (streq(verb, "load"))
		return route_load(w);
	return fail(w->err, "route: unknown verb '%.64s' (add, del, replace, append, show, get, load)",
		    verb);
}

/* ---------------------------------------------------------------- nexthop */

/* `group ID[,WEIGHT][/ID[,WEIGHT]]...` */
static int nh_group_arg(struct words *w, struct fib_nhobj_req *q)
{
	const char *v = w_value(w, "group"), *p;
	char item[32];
	uint32_t id, weight;

	if (!v)
		return -1;
	q->kind = FIB_NHO_GROUP;
	for (p = v; *p;) {
		size_t len = strcspn(p, "/");
		char *comma;

		if (q->ngrp >= FIB_NHG_MAX)
			return fail(w->err, "nexthop: too many group members (max %u)",
				    FIB_NHG_MAX);
		if (len == 0 || len >= sizeof(item))
			return fail(w->err, "nexthop: invalid group '%.64s' (want ID[,WEIGHT][/ID[,WEIGHT]]...)", v);
		memcpy(item, p, len);
		item[len] = '\0';
		comma = strchr(item, ',');
		weight = 1;
		if (comma)
			*comma = '\0';
		if (!parse_u32(item, 1, UINT32_MAX, &id) ||
		    (comma && !parse_u32(comma + 1, 1, FIB_NH_WEIGHT_MAX, &weight)))
			return fail(w->err, "nexthop: invalid group member '%.*s' in '%.64s' (ID 1..%u, weight 1..%u)",
				    (int)len, p, v, UINT32_MAX, FIB_NH_WEIGHT_MAX);
		q->grp[q->ngrp].id = id;
		q->grp[q->ngrp].weight = weight;
		q->ngrp++;
		p += len;
		if (*p == '/' && !*++p)
			return fail(w->err, "nexthop: invalid group '%.64s' (ends with '/')", v);
	}
	return 0;
}

struct nh_words {
	bool have_id, have_via, have_dev, have_kind;
	const char *gw_w;
	int gw_family;
};

/* One word of `nexthop add|replace`. */
static int nh_word(struct words *w, struct fib_nhobj_req *q,
		   struct nh_words *nw, const char *k)
{
	const char *v;

	if (streq(k, "id")) {
		if (nw->have_id)
			return w_dup(w, k);
		nw->have_id = true;
		return num_arg(w, "id", 1, UINT32_MAX, &q->id);
	}
	if (streq(k, "via")) {
		if (nw->have_via)
			return w_dup(w, k);
		nw->have_via = true;
		v = w_value(w, k);
		if (!v)
			return -1;
		if (!parse_addr(v, 0, &nw->gw_family, &q->nh.gw))
			return fail(w->err, "nexthop: invalid gateway '%.64s'", v);
		nw->gw_w = v;
		q->nh.has_gw = true;
		return 0;
	}
	if (streq(k, "dev")) {
		if (nw->have_dev)
			return w_dup(w, k);
		nw->have_dev = true;
		return route_nh_dev(w, &q->nh, k);
	}
	if (streq(k, "blackhole") || streq(k, "group")) {
		if (nw->have_kind)
			return fail(w->err, "nexthop: 'blackhole' and 'group' exclude each other and come once");
		nw->have_kind = true;
		if (streq(k, "group"))
			return nh_group_arg(w, q);
		q->kind = FIB_NHO_BLACKHOLE;
		return 0;
	}
	if (streq(k, "type")) {
		v = w_value(w, k);
		if (!v)
			return -1;
		if (!streq(v, "mpath"))
			return fail(w->err, "nexthop: group type '%.64s' is not supported (mpath only)", v);
		return 0;
	}
	return w_unknown(w, k);
}

static int nh_change(struct words *w, int family, bool replace)
{
	struct fib_nhobj_req *q = calloc(1, sizeof(*q));
	struct nh_words nw = { 0 };
	char ferr[CTL_ERR_LEN] = "";
	const char *k;
	int rc = -1;

	if (!q)
		return fail(w->err, "nexthop: out of memory");
	q->kind = FIB_NHO_SINGLE;
	while ((k = w_next(w)))
		if (nh_word(w, q, &nw, k) < 0)
			goto out;
	if (replace && !nw.have_id) {
		fail(w->err, "nexthop: replace needs 'id N'");
		goto out;
	}
	if (q->kind != FIB_NHO_SINGLE && (nw.have_via || nw.have_dev)) {
		fail(w->err, "nexthop: a %s takes no 'via' or 'dev'",
		     q->kind == FIB_NHO_GROUP ? "group" : "blackhole");
		goto out;
	}
	if (q->kind == FIB_NHO_SINGLE && !nw.have_via && !nw.have_dev) {
		fail(w->err, "nexthop: need 'via GW [dev NAME]', 'dev NAME', 'blackhole' or 'group ...'");
		goto out;
	}
	if (nw.gw_w && family && nw.gw_family != family) {
		fail(w->err, "nexthop: gateway '%.64s' is not %s", nw.gw_w,
		     family_name(family));
		goto out;
	}
	if (nw.gw_w && !nw.have_dev &&
	    !gw_lookup(FIB_TABLE_MAIN, nw.gw_family, &q->nh.gw, &q->nh.ifindex)) {
		fail(w->err, "nexthop: gateway '%.64s' is not on a connected network (give 'dev NAME')",
		     nw.gw_w);
		goto out;
	}
	q->family = nw.gw_w ? (uint8_t)nw.gw_family : 0;
	q->nh.weight = 1;
	rc = fib_nhobj_add(q, replace, ferr);
	if (rc < 0)
		fail(w->err, "nexthop: %s: %s", replace ? "replace" : "add",
		     ferr[0] ? ferr : strerror(-rc));
out:
	free(q);
	return rc < 0 ? -1 : 0;
}

static int nh_del(struct words *w)
{
	char ferr[CTL_ERR_LEN] = "";
	const char *k;
	uint32_t id = 0;

	while ((k = w_next(w))) {
		if (!streq(k, "id"))
			return w_unknown(w, k);
		if (id)
			return w_dup(w, k);
		if (num_arg(w, "id", 1, UINT32_MAX, &id) < 0)
			return -1;
	}
	if (!id)
		return fail(w->err, "nexthop: del needs 'id N'");
	if (fib_nhobj_del(id, ferr) < 0)
		return fail(w->err, "nexthop: del: %s", ferr);
	return 0;
}

struct nh_show {
	struct ctl_out *o;
	uint32_t id, ifindex;
	bool groups;
};

static bool nh_dev_down(uint32_t ifindex)
{
	struct dev *d = dev_get(ifindex);

	return !d || !d->oper_up;
}

static void nh_show_one(const struct fib_nhobj_req *d, void *arg)
{
	struct nh_show *ns = arg;
	struct ctl_out *o = ns->o;
	char a[ADDR_STR], dn[16];
	bool down = d->kind == FIB_NHO_SINGLE && nh_dev_down(d->nh.ifindex);

	if ((ns->id && d->id != ns->id) || (ns->groups && d->kind != FIB_NHO_GROUP) ||
	    (ns->ifindex && (d->kind != FIB_NHO_SINGLE || d->nh.ifindex != ns->ifindex)))
		return;
	out_obj_begin(o, NULL);
	out_u64(o, "id", d->id);
	out_text(o, "id %u", d->id);
	if (d->kind == FIB_NHO_BLACKHOLE) {
		out_bool(o, "blackhole", true);
		out_text(o, " blackhole");
	} else if (d->kind == FIB_NHO_GROUP) {
		out_text(o, " group ");
		out_arr_begin(o, "group");
		for (unsigned i = 0; i < d->ngrp; i++) {
			out_obj_begin(o, NULL);
			out_u64(o, "id", d->grp[i].id);
			out_text(o, "%s%u", i ? "/" : "", d->grp[i].id);
			if (d->grp[i].weight > 1) {
				out_u64(o, "weight", d->grp[i].weight);
				out_text(o, ",%u", d->grp[i].weight);
			}
			out_obj_end(o);
		}
		out_arr_end(o);
	} else {
		if (d->nh.has_gw) {
			out_addr(d->family, &d->nh.gw, a);
			out_str(o, "gateway", a);
			out_text(o, " via %s", a);
		}
		out_str(o, "dev", dev_name_or(d->nh.ifindex, dn, sizeof(dn)));
		out_text(o, " dev %s", dev_name_or(d->nh.ifindex, dn, sizeof(dn)));
		out_str(o, "scope", d->nh.has_gw ? "global" : "link");
		out_text(o, " scope %s", d->nh.has_gw ? "global" : "link");
	}
	out_arr_begin(o, "flags");
	if (down) {
		out_str(o, NULL, "linkdown");
		out_text(o, " linkdown");
	}
	out_arr_end(o);
	out_text(o, "\n");
	out_obj_end(o);
}

static int nh_show(struct words *w, struct ctl_out *o, bool get)
{
	struct nh_show ns = { .o = o };
	const char *k, *v;
	struct dev *d;

	while ((k = w_next(w))) {
		if (streq(k, "id")) {
			if (ns.id)
				return w_dup(w, k);
			if (num_arg(w, "id", 1, UINT32_MAX, &ns.id) < 0)
				return -1;
		} else if (streq(k, "dev") && !get) {
			v = w_value(w, k);
			if (!v || !(d = dev_arg(w, v)))
				return -1;
			ns.ifindex = d->ifindex;
		} else if (streq(k, "groups") && !get) {
			ns.groups = true;
		} else {
			return w_unknown(w, k);
		}
	}
	if (get && !ns.id)
		return fail(w->err, "nexthop: get needs 'id N'");
	if (ns.id && !fib_nhobj_find(ns.id) && get)
		return fail(w->err, "nexthop: no nexthop with id %u", ns.id);
	out_arr_begin(o, NULL);
	fib_nhobj_walk(nh_show_one, &ns);
	out_arr_end(o);
	return 0;
}

static void nh_count(const struct fib_nhobj_req *d, void *arg)
{
	(void)d;
	(*(size_t *)arg)++;
}

static void nh_collect(const struct fib_nhobj_req *d, void *arg)
{
	uint32_t **p = arg;

	*(*p)++ = d->id;
}

/* `nexthop flush`: delete every nexthop object (and the routes on them). */
static int nh_flush(struct words *w)
{
	const char *k = w_next(w);
	uint32_t *ids, *p;
	size_t n = 0;
	char ferr[CTL_ERR_LEN];

	if (k)
		return w_unknown(w, k);
	fib_nhobj_walk(nh_count, &n);
	ids = malloc((n ? n : 1) * sizeof(*ids));
	if (!ids)
		return fail(w->err, "nexthop: out of memory");
	p = ids;
	fib_nhobj_walk(nh_collect, &p);
	/* a group whose last member went is gone already: skip it */
	for (size_t i = 0; i < n; i++)
		if (fib_nhobj_find(ids[i]))
			fib_nhobj_del(ids[i], ferr);
	free(ids);
	return 0;
}

static int cmd_nexthop(struct words *w, struct ctl_out *o)
{
	const char *verb;
	int family = 0;

	while ((verb = w_peek(w)) && (streq(verb, "-4") || streq(verb, "-6"))) {
		family = streq(verb, "-4") ? AF_INET : AF_INET6;
		w->i++;
	}
	verb = w_next(w);
	if (!verb || streq(verb, "show") || streq(verb, "list") || streq(verb, "ls"))
		return nh_show(w, o, false);
	if (streq(verb, "get"))
		return nh_show(w, o, true);
	if (streq(verb, "add") || streq(verb, "replace"))
		return nh_change(w, family, streq(verb, "replace"));
	if (streq(verb, "del") || streq(verb, "delete"))
		return nh_del(w);
	if (streq(verb, "flush"))
		return nh_flush(w);
	return fail(w->err, "nexthop: unknown verb '%.64s' (add, replace, del, show, get, flush)",
		    verb);
}

/* ------------------------------------------------------------------- rule */

struct rule_words {
	int family;               /* from -4/-6 or an address, 0 = not yet */
	const char *fam_w;        /* the word that fixed the family */
	bool have_action, have_prio;
	const char *src_w, *dst_w;
};

static int rule_family(struct words *w, struct rule_words *rw, int fam,
		       const char *word)
{
	if (rw->family && rw->family != fam)
		return fail(w->err, "rule: '%.64s' is %s but '%.64s' is %s", word,
			    family_name(fam), rw->fam_w, family_name(rw->family));
	rw->family = fam;
	rw->fam_w = word;
	return 0;
}

static int rule_prefix(struct words *w, struct rule_words *rw, const char *key,
		       union pkt_addr *a, uint8_t *plen)
{
	const char *v = w_value(w, key);
	int fam;

	if (!v)
		return -1;
	if (streq(v, "all") || streq(v, "any")) {
		*plen = 0;
		return 0;
	}
	if (prefix_arg(w, v, 0, false, &fam, a, plen) < 0)
		return -1;
	return rule_family(w, rw, fam, v);
}

static int rule_dev(struct words *w, const char *key, uint32_t *ifindex,
		    char *name)
{
	const char *v = w_value(w, key);
	struct dev *d;

	if (!v)
		return -1;
	if (!dev_name_valid(v))
		return fail(w->err, "rule: invalid device name '%.64s'", v);
	d = dev_by_name(v);
	*ifindex = d ? d->ifindex : FIB_RULE_DETACHED;  /* Linux: detached */
	snprintf(name, FIB_RULE_IFNAME, "%s", v);
	return 0;
}

static int rule_action(struct words *w, struct fib_rule *r,
		       struct rule_words *rw, const char *k)
{
	const char *v;

	if (rw->have_action)
		return fail(w->err, "rule: more than one action ('%.64s')", k);
	rw->have_action = true;
	if (streq(k, "lookup") || streq(k, "table")) {
		r->action = FIB_RULE_LOOKUP;
		v = w_value(w, k);
		if (!v)
			return -1;
		if (parse_table(v, false, &r->table) < 0)
			return fail(w->err, "rule: invalid table '%.64s'", v);
		return 0;
	}
	if (streq(k, "goto")) {
		r->action = FIB_RULE_GOTO;
		return num_arg(w, k, 1, UINT32_MAX, &r->target);
	}
	if (streq(k, "l3mdev")) {   /* lookup in the flow's VRF table */
		r->action = FIB_RULE_L3MDEV;
		return 0;
	}
	r->action = streq(k, "blackhole") ? FIB_RULE_BLACKHOLE
		    : streq(k, "unreachable") ? FIB_RULE_UNREACHABLE
					       : FIB_RULE_PROHIBIT;
	return 0;
}

/* One word of `rule add|del`. */
static int rule_word(struct words *w, struct fib_rule *r, struct rule_words *rw,
		     const char *k)
{
	uint32_t n;
	char *slash;
	const char *v;

	if (streq(k, "not")) {
		r->invert = true;
	} else if (streq(k, "from")) {
		if (rw->src_w)
			return w_dup(w, k);
		rw->src_w = k;
		return rule_prefix(w, rw, k, &r->src, &r->src_len);
	} else if (streq(k, "to")) {
		if (rw->dst_w)
			return w_dup(w, k);
		rw->dst_w = k;
		return rule_prefix(w, rw, k, &r->dst, &r->dst_len);
	} else if (streq(k, "iif") || streq(k, "oif")) {
		bool in = streq(k, "iif");
		if (in ? r->iif_name[0] : r->oif_name[0])
			return w_dup(w, k);
		return rule_dev(w, k, in ? &r->iif : &r->oif,
				in ? r->iif_name : r->oif_name);
	} else if (streq(k, "ipproto")) {
		if (r->ipproto)
			return w_dup(w, k);
		return ipproto_arg(w, k, &r->ipproto);
	} else if (streq(k, "sport") || streq(k, "dport")) {
		bool sp = streq(k, "sport");
		if (sp ? r->sport_hi : r->dport_hi)
			return w_dup(w, k);
		return port_arg(w, k, true, sp ? &r->sport_lo : &r->dport_lo,
				sp ? &r->sport_hi : &r->dport_hi);
	} else if (streq(k, "dscp")) {
		if (r->has_dscp)
			return w_dup(w, k);
		r->has_dscp = true;
		if (num_arg(w, k, 0, 63, &n) < 0)
			return -1;
		r->dscp = (uint8_t)n;
	} else if (streq(k, "fwmark")) {
		char buf[32];
		if (r->mark_mask)
			return w_dup(w, k);
		v = w_value(w, k);
		if (!v)
			return -1;
		snprintf(buf, sizeof(buf), "%s", v);
		slash = strchr(buf, '/');
		if (slash)
			*slash = '\0';
		if (strlen(v) >= sizeof(buf) || !parse_u32(buf, 0, UINT32_MAX, &r->mark) ||
		    (slash && !parse_u32(slash + 1, 1, UINT32_MAX, &r->mark_mask)))
			return fail(w->err, "rule: invalid fwmark '%.64s' (N or N/MASK)", v);
		if (!slash)
			r->mark_mask = 0xffffffffu;
	} else if (streq(k, "priority") || streq(k, "pref") ||
		   streq(k, "preference") || streq(k, "order")) {
		if (rw->have_prio)
			return w_dup(w, k);
		rw->have_prio = r->has_prio = true;
		return num_arg(w, "priority", 0, UINT32_MAX, &r->prio);
	} else if (streq(k, "lookup") || streq(k, "table") || streq(k, "goto") ||
		   streq(k, "blackhole") || streq(k, "unreachable") ||
		   streq(k, "prohibit") || streq(k, "l3mdev")) {
		return rule_action(w, r, rw, k);
	} else {
		return w_unknown(w, k);
	}
	return 0;
}

static int rule_change(struct words *w, int family, bool add)
{
	struct rule_words rw = { .family = family, .fam_w = family ? "-4/-6" : NULL };
	struct fib_rule r;
	char ferr[CTL_ERR_LEN] = "";
	const char *k;
	int rc;

	memset(&r, 0, sizeof(r));
	while ((k = w_next(w)))
		if (rule_word(w, &r, &rw, k) < 0)
			return -1;
	if (!add && !rw.have_action && !rw.have_prio && !r.src_len && !r.dst_len &&
	    !r.iif_name[0] && !r.oif_name[0] && !r.mark_mask && !r.ipproto &&
	    !r.sport_hi && !r.dport_hi && !r.has_dscp)
		return fail(w->err, "rule: del needs a priority, a selector or an action");
	if (add && !rw.have_action)
		r.action = FIB_RULE_LOOKUP;   /* iproute2: lookup main */
	r.family = (uint8_t)(rw.family ? rw.family : AF_INET);
	rc = add ? fib_rule_add(&r, ferr) : fib_rule_del(&r, ferr);
	if (rc < 0)
		return fail(w->err, "rule: %s: %s", add ? "add" : "del",
			    ferr[0] ? ferr : strerror(-rc));
	return 0;
}

static int cmd_rule(struct words *w, struct ctl_out *o)
{
	const char *verb, *k;
	int family = 0;

	while ((verb = w_peek(w)) && (streq(verb, "-4") || streq(verb, "-6"))) {
		family = streq(verb, "-4") ? AF_INET : AF_INET6;
		w->i++;
	}
	verb = w_next(w);
	if (!verb || streq(verb, "show") || streq(verb, "list") || streq(verb, "ls")) {
		k = w_next(w);
		if (k && !streq(k, "all"))
			return w_unknown(w, k);
		/* like `ip rule`: IPv4 unless -6; `all` shows both */
		fib_rules_show(o, k ? family : family ? family : AF_INET);
		return 0;
	}
	if (streq(verb, "add") || streq(verb, "del") || streq(verb, "delete"))
		return rule_change(w, family, streq(verb, "add"));
	return fail(w->err, "rule: unknown verb '%.64s' (add, del, show)", verb);
}

/* ------------------------------------------------------------------ neigh */

static int neigh_change(struct words *w, bool add)
{
	const char *k, *v, *aw = NULL, *macw = NULL;
	struct dev *d = NULL;
	union pkt_addr a;
	uint8_t mac[6];
	int family = 0, rc;
	char as[ADDR_STR];

	while ((k = w_next(w))) {
		if (streq(k, "dev")) {
			if (d)
				return w_dup(w, k);
			v = w_value(w, k);
			if (!v || !(d = dev_arg(w, v)))
				return -1;
		} else if (streq(k, "lladdr")) {
			if (macw)
				return w_dup(w, k);
			macw = w_value(w, k);
			if (!macw)
				return -1;
			if (!parse_mac(macw, mac))
				return fail(w->err, "neigh: invalid MAC address '%.64s' (want xx:xx:xx:xx:xx:xx)",
					    macw);
		} else if (streq(k, "nud")) {
			v = w_value(w, k);
			if (!v)
				return -1;
			if (!streq(v, "permanent"))
				return fail(w->err, "neigh: unsupported nud state '%.64s' (permanent)", v);
		} else if (!aw) {
			if (!parse_addr(k, 0, &family, &a))
				return fail(w->err, "neigh: invalid address '%.64s'", k);
			aw = k;
		} else {
			return w_unknown(w, k);
		}
	}
	if (!aw)
		return fail(w->err, "neigh: missing address");
	if (!d)
		return fail(w->err, "neigh: missing 'dev NAME'");
	if (add && !macw)
		return fail(w->err, "neigh: missing 'lladdr MAC'");
	rc = add ? neigh_add_static(d, family, &a, mac) : neigh_del(d, family, &a);
	if (rc < 0) {
		out_addr(family, &a, as);
		if (!add && rc == -ENOENT)
			return fail(w->err, "neigh: no entry for %s on %s", as, d->name);
		return fail(w->err, "neigh: cannot %s %s on %s: %s", add ? "add" : "delete",
			    as, d->name, strerror(-rc));
	}
	return 0;
}

static int neigh_show_cmd(struct words *w, struct ctl_out *o)
{
	const char *k, *v;
	struct dev *d = NULL;

	while ((k = w_next(w))) {
		if (!streq(k, "dev"))
			return w_unknown(w, k);
		if (d)
			return w_dup(w, k);
		v = w_value(w, k);
		if (!v || !(d = dev_arg(w, v)))
			return -1;
	}
	out_arr_begin(o, NULL);
	neigh_show(o, d);
	out_arr_end(o);
	return 0;
}

static int cmd_neigh(struct words *w, struct ctl_out *o)
{
	const char *verb = w_next(w);

	if (!verb || streq(verb, "show") || streq(verb, "list") || streq(verb, "ls"))
		return neigh_show_cmd(w, o);
	if (streq(verb, "add") || streq(verb, "replace"))
		return neigh_change(w, true);
	if (streq(verb, "del") || streq(verb, "delete"))
		return neigh_change(w, false);
	return fail(w->err, "neigh: unknown verb '%.64s' (add, del, show)", verb);
}

/* ------------------------------------------------------------------ stats */

struct stats_tot {
	struct dev_stats s;
	uint64_t rx_drops, tx_drops;
};

static void stats_accumulate(struct stats_tot *t, const struct dev_stats *s)
{
	unsigned r;

	t->s.rx_packets += s->rx_packets;
	t->s.rx_bytes += s->rx_bytes;
	t->s.tx_packets += s->tx_packets;
	t->s.tx_bytes += s->tx_bytes;
	t->s.forwarded += s->forwarded;
	t->s.delivered += s->delivered;
	t->s.originated += s->originated;
	t->s.fwd_in += s->fwd_in;
	t->s.split_extra += s->split_extra;
	t->s.to_upper += s->to_upper;
	for (r = 0; r < DROP_MAX; r++) {
		t->s.rx_drops[r] += s->rx_drops[r];
		t->s.tx_drops[r] += s->tx_drops[r];
		t->rx_drops += s->rx_drops[r];
		t->tx_drops += s->tx_drops[r];
	}
}

/* Conservation check. `queued` is how many packets may legitimately sit
 * in the neighbor queues: exact for the total, an upper bound per device. */
struct balance {
	bool rx_ok, tx_ok;
	uint64_t rx_out, tx_in, tx_out;
};

static struct balance stats_balance(const struct stats_tot *t, uint64_t queued,
				    bool exact)
{
	struct balance b;

	b.rx_out = t->s.forwarded + t->s.delivered + t->s.to_upper + t->rx_drops;
	b.tx_in = t->s.fwd_in + t->s.originated + t->s.split_extra;
	b.tx_out = t->s.tx_packets + t->tx_drops;
	b.rx_ok = t->s.rx_packets == b.rx_out;
	if (exact)
		b.tx_ok = b.tx_in == b.tx_out + queued;
	else
		b.tx_ok = b.tx_in >= b.tx_out && b.tx_in - b.tx_out <= queued;
	return b;
}

static void stats_drops_text(struct ctl_out *o, const char *label,
			     const uint64_t *drops)
{
	unsigned r;
	bool any = false;

	for (r = 0; r < DROP_MAX; r++) {
		if (!drops[r])
			continue;
		out_text(o, "%s %s %llu", any ? "" : label, drop_name(r),
			 (unsigned long long)drops[r]);
		any = true;
	}
	if (any)
		out_text(o, "\n");
}

static void stats_drops_json(struct ctl_out *o, const char *key,
			     const uint64_t *drops)
{
	unsigned r;

	out_obj_begin(o, key);
	for (r = 0; r < DROP_MAX; r++)
		if (drops[r])
			out_u64(o, drop_name(r), drops[r]);
	out_obj_end(o);
}

static void stats_counters(struct ctl_out *o, const struct stats_tot *t,
			   const struct balance *b, uint64_t queued)
{
	const struct dev_stats *s = &t->s;

	if (s->to_upper)
		out_text(o, "    to_upper %llu\n", (unsigned long long)s->to_upper);
	out_text(o, "    rx_packets %llu rx_bytes %llu forwarded %llu delivered %llu rx_drops %llu\n",
		 (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
		 (unsigned long long)s->forwarded, (unsigned long long)s->delivered,
		 (unsigned long long)t->rx_drops);
	out_text(o, "    tx_packets %llu tx_bytes %llu fwd_in %llu originated %llu split_extra %llu tx_drops %llu\n",
		 (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
		 (unsigned long long)s->fwd_in, (unsigned long long)s->originated,
		 (unsigned long long)s->split_extra, (unsigned long long)t->tx_drops);
	stats_drops_text(o, "    rx drops:", s->rx_drops);
	stats_drops_text(o, "    tx drops:", s->tx_drops);
	if (b->rx_ok && b->tx_ok) {
		out_text(o, "    conservation: ok\n");
	} else {
		out_text(o, "    conservation: MISMATCH (");
		if (!b->rx_ok)
			out_text(o, "rx_packets %llu != forwarded + delivered + to_upper + rx_drops %llu%s",
				 (unsigned long long)s->rx_packets,
				 (unsigned long long)b->rx_out, b->tx_ok ? "" : "; ");
		if (!b->tx_ok)
			out_text(o, "fwd_in + originated + split_extra %llu != tx_packets + tx_drops %llu + queued (<= %llu)",
				 (unsigned long long)b->tx_in,
				 (unsigned long long)b->tx_out,
				 (unsigned long long)queued);
		out_text(o, ")\n");
	}

	out_u64(o, "rx_packets", s->rx_packets);
	out_u64(o, "rx_bytes", s->rx_bytes);
	out_u64(o, "tx_packets", s->tx_packets);
	out_u64(o, "tx_bytes", s->tx_bytes);
	out_u64(o, "forwarded", s->forwarded);
	out_u64(o, "to_upper", s->to_upper);
	out_u64(o, "delivered", s->delivered);
	out_u64(o, "originated", s->originated);
	out_u64(o, "fwd_in", s->fwd_in);
	out_u64(o, "split_extra", s->split_extra);
	out_u64(o, "rx_dropped", t->rx_drops);
	out_u64(o, "tx_dropped", t->tx_drops);
	stats_drops_json(o, "rx_drops", s->rx_drops);
	stats_drops_json(o, "tx_drops", s->tx_drops);
	out_bool(o, "rx_balance_ok", b->rx_ok);
	out_bool(o, "tx_balance_ok", b->tx_ok);
}

static void stats_total(struct ctl_out *o, const struct stats_tot *all,
			uint64_t queued)
{
	uint64_t orphans[DROP_MAX], norphan = 0;
	struct balance b = stats_balance(all, queued, true);
	unsigned r;

	for (r = 0; r < DROP_MAX; r++) {
		orphans[r] = dev_orphan_drops(r);
		norphan += orphans[r];
	}
	out_text(o, "total:\n");
	out_obj_begin(o, "total");
	stats_counters(o, all, &b, queued);
	out_text(o, "    neigh_queued %llu orphan_drops %llu\n",
		 (unsigned long long)queued, (unsigned long long)norphan);
	stats_drops_text(o, "    orphan drops:", orphans);
	out_u64(o, "neigh_queued", queued);
	out_u64(o, "orphan_dropped", norphan);
	stats_drops_json(o, "orphan_drops", orphans);
	out_obj_end(o);
}

static int cmd_stats(struct words *w, struct ctl_out *o)
{
	struct stats_tot all, t;
	struct dev_stats raw;
	struct balance b;
	struct dev *d, *only = NULL;
	uint64_t queued = neigh_queued_total();
	const char *k, *v;

	while ((k = w_next(w))) {
		if (!streq(k, "dev"))
			return w_unknown(w, k);
		if (only)
			return w_dup(w, k);
		v = w_value(w, k);
		if (!v || !(only = dev_arg(w, v)))
			return -1;
	}
	memset(&all, 0, sizeof(all));
	out_obj_begin(o, NULL);
	out_arr_begin(o, "devices");
	for (d = dev_next(NULL); d; d = dev_next(d)) {
		memset(&t, 0, sizeof(t));
		dev_stats_sum(d, &raw);
		stats_accumulate(&t, &raw);
		stats_accumulate(&all, &raw);
		if (only && d != only)
			continue;
		b = stats_balance(&t, queued, false);
		out_text(o, "%u: %s\n", d->ifindex, d->name);
		out_obj_begin(o, NULL);
		out_u64(o, "ifindex", d->ifindex);
		out_str(o, "ifname", d->name);
		stats_counters(o, &t, &b, queued);
		out_obj_end(o);
	}
	out_arr_end(o);
	stats_total(o, &all, queued);
	out_obj_end(o);
	return 0;
}

/* ----------------------------------------------------------------- sysctl */

static void sysctl_print(struct ctl_out *o, const struct sysctl_var *v)
{
	uint32_t val = sysctl_get(v);

	out_text(o, "%s = %u\n", v->name, val);
	out_u64(o, v->name, val);
}

/* A variable of sysctl.c's table or of the FIB's (fib_sysctl_vars). */
static const struct sysctl_var *sysctl_lookup(const char *name)
{
	const struct sysctl_var *v = sysctl_find(name), *fv;
	unsigned n;
	size_t j, len = strlen(name);

	if (v)
		return v;
	fv = fib_sysctl_vars(&n);
	for (unsigned i = 0; i < n; i++) {
		if (strlen(fv[i].name) != len)
			continue;
		for (j = 0; j < len; j++)
			if ((name[j] == '/' ? '.' : name[j]) != fv[i].name[j])
				break;
		if (j == len)
			return &fv[i];
	}
	return NULL;
}

static int cmd_sysctl(struct words *w, struct ctl_out *o)
{
	const struct sysctl_var *vars[CTL_WORDS_MAX];
	uint32_t vals[CTL_WORDS_MAX];
	bool sets[CTL_WORDS_MAX];
	unsigned n = 0, i, nall;
	const struct sysctl_var *all;
	char name[128];
	const char *k, *eq;

	if (w->i >= w->argc)
		return fail(w->err, "sysctl: missing NAME, NAME=VALUE or -a");
	while ((k = w_next(w))) {
		if (streq(k, "-a")) {
			if (n || w->i < w->argc)
				return fail(w->err, "sysctl: '-a' takes no other arguments");
			out_obj_begin(o, NULL);
			all = sysctl_vars(&nall);
			for (i = 0; i < nall; i++)
				sysctl_print(o, &all[i]);
			all = fib_sysctl_vars(&nall);
			for (i = 0; i < nall; i++)
				sysctl_print(o, &all[i]);
			out_obj_end(o);
			return 0;
		}
		if (streq(k, "-w"))
			continue;
		if (n >= CTL_WORDS_MAX)
			return fail(w->err, "sysctl: too many arguments");
		eq = strchr(k, '=');
		if (eq && (size_t)(eq - k) >= sizeof(name))
			return fail(w->err, "sysctl: unknown variable '%.64s'", k);
		snprintf(name, sizeof(name), "%.*s", eq ? (int)(eq - k) : 127, k);
		vars[n] = sysctl_lookup(name);
		if (!vars[n])
			return fail(w->err, "sysctl: unknown variable '%.64s'", name);
		sets[n] = eq != NULL;
		if (eq && sysctl_parse(vars[n], eq + 1, &vals[n], w->err) < 0)
			return -1;
		n++;
	}
	if (n == 0)
		return fail(w->err, "sysctl: missing NAME=VALUE");
	out_obj_begin(o, NULL);
	for (i = 0; i < n; i++) {
		if (sets[i])
			sysctl_set(vars[i], vals[i]);
		sysctl_print(o, vars[i]);
	}
	out_obj_end(o);
	return 0;
}

/* ------------------------------------------------------------------- help */

static const char help_text[] =
	"link add NAME type KIND ARGS...\n"
	"link del NAME\n"
	"link set NAME [up|down] [mtu N] [address MAC] [worker N|auto]\n"
	"link show [NAME]\n"
	"addr add|del ADDR/PLEN dev NAME\n"
	"addr show [dev NAME]\n"
	"route [-4|-6] add|del|replace|append [TYPE] PREFIX [via GW] [dev NAME]\n"
	"      [metric N] [table N] [src ADDR] [mtu N] [proto static|kernel]\n"
	"      [nexthop via GW [dev NAME] [weight N]]... | [nhid ID]\n"
	"  TYPE := unicast|blackhole|unreachable|prohibit   PREFIX := A/PLEN|A|default\n"
	"  TABLE := N|main|local|default\n"
	"route [-4|-6] show [table TABLE|all] [dev NAME] [nhid ID] [PREFIX]\n"
	"route get ADDR [from ADDR] [iif NAME] [oif NAME] [mark N] [dscp N]\n"
	"      [ipproto tcp|udp|N [sport N] [dport N]]\n"
	"route load FILE      (lines of route add|append|replace|del, all or nothing;\n"
	"                      FILE is opened by the daemon: give an absolute path)\n"
	"nexthop [-4|-6] add|replace [id ID] [via GW] [dev NAME] | blackhole |\n"
	"      group ID[,WEIGHT][/ID[,WEIGHT]]... [type mpath]\n"
	"nexthop del id ID | show [id ID] [dev NAME] [groups] | get id ID | flush\n"
	"rule [-4|-6] add|del [not] [from PREFIX] [to PREFIX] [iif NAME] [oif NAME]\n"
	"      [ipproto P] [sport N[-M]] [dport N[-M]] [dscp N] [fwmark N[/M]]\n"
	"      [priority N] [lookup TABLE | blackhole | unreachable | prohibit | goto N |\n"
	"      l3mdev]\n"
	"rule [-4|-6] show [all]\n"
	"neigh add|replace ADDR lladdr MAC dev NAME\n"
	"neigh del ADDR dev NAME\n"
	"neigh show [dev NAME]\n"
	"stats [dev NAME]\n"
	"sysctl NAME | NAME=VALUE... | -a\n"
	"help\n";

static int cmd_help(struct words *w, struct ctl_out *o)
{
	const struct dev_driver *const *drv = dev_driver_list();

	out_text(o, "%s", help_text);
	out_text(o, "link kinds:");
	for (; drv && *drv; drv++)
		out_text(o, "\n  %s %s", (*drv)->kind, (*drv)->usage ? (*drv)->usage : "");
	out_text(o, "\n");
	for (unsigned i = 0; i < ctl_nexts; i++)
		out_text(o, "%s\n", ctl_exts[i].help ? ctl_exts[i].help
						     : ctl_exts[i].name);
	out_obj_begin(o, NULL);
	out_str(o, "help", help_text);
	out_obj_end(o);
	return 0;
}

/* --------------------------------------------------------------- dispatch */

struct ctl_cmd {
	const char *name;
	const char *canon;      /* name used in error messages */
	int (*fn)(struct words *w, struct ctl_out *o);
};

static const struct ctl_cmd ctl_cmds[] = {
	{ "link", "link", cmd_link },
	{ "addr", "addr", cmd_addr },
	{ "address", "addr", cmd_addr },
	{ "route", "route", cmd_route },
	{ "nexthop", "nexthop", cmd_nexthop },
	{ "rule", "rule", cmd_rule },
	{ "neigh", "neigh", cmd_neigh },
	{ "neighbor", "neigh", cmd_neigh },
	{ "neighbour", "neigh", cmd_neigh },
	{ "stats", "stats", cmd_stats },
	{ "sysctl", "sysctl", cmd_sysctl },
	{ "help", "help", cmd_help },
};

int ctl_exec(int argc, char **argv, struct ctl_out *out, char *err)
{
	struct words w = { .argc = argc, .argv = argv, .i = 1, .err = err };
	size_t len0 = out->len;
	int depth0 = out->depth;
	bool first0 = out->first[depth0];
	unsigned i;
	int rc = -1;

	err[0] = '\0';
	if (argc < 1)
		return fail(err, "empty command");
	for (i = 0; i < ARRAY_SIZE(ctl_cmds); i++) {
		if (streq(argv[0], ctl_cmds[i].name)) {
			w.cmd = ctl_cmds[i].canon;
			rc = ctl_cmds[i].fn(&w, out);
			break;
		}
	}
	if (i == ARRAY_SIZE(ctl_cmds)) {
		for (i = 0; i < ctl_nexts; i++)
			if (streq(argv[0], ctl_exts[i].name))
				break;
		if (i < ctl_nexts)
			rc = ctl_exts[i].fn(argc, argv, out, err);
		else
			fail(err, "unknown command '%.64s' (try 'help')", argv[0]);
	}
	if (rc == 0 && out->oom)
		rc = fail(err, "%s: output failed (out of memory)", argv[0]);
	if (rc < 0) {
		if (!err[0])
			fail(err, "%s: failed", argv[0]);
		out->oom = false;
		out->len = len0;
		if (out->buf)
			out->buf[len0] = '\0';
		out->depth = depth0;
		out->first[depth0] = first0;
		return -1;
	}
	return 0;
}

/* Split a line into words in a buffer of its own: whitespace separates,
 * '#' outside quotes starts a comment, "..." groups (\" and \\ inside). */
static int split_words(const char *line, char *buf, char **argv, int *argc,
		       char *err)
{
	const char *s = line;
	char *d = buf;
	int n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (!*s || *s == '#')
			break;
		if (n >= CTL_WORDS_MAX)
			return fail(err, "too many words (max %d)", CTL_WORDS_MAX);
		argv[n++] = d;
		while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
			if (*s == '"') {
				s++;
				while (*s && *s != '"') {
					if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
						s++;
					*d++ = *s++;
				}
				if (*s != '"')
					return fail(err, "unterminated quote");
				s++;
			} else if (*s == '#') {
				break;
			} else {
				*d++ = *s++;
			}
		}
		*d++ = '\0';
		if (*s == '#')
			break;
	}
	*argc = n;
	return 0;
}

int ctl_exec_line(const char *line, struct ctl_out *out, char *err)
{
	size_t len = strlen(line);
	char **argv;
	char *buf;
	int argc = 0, rc;

	err[0] = '\0';
	if (len > CTL_LINE_MAX)
		return fail(err, "line too long (max %d bytes)", CTL_LINE_MAX);
	buf = malloc(len + 1);
	argv = calloc(CTL_WORDS_MAX, sizeof(*argv));
	if (!buf || !argv) {
		free(buf);
		free(argv);
		return fail(err, "out of memory");
	}
	rc = split_words(line, buf, argv, &argc, err);
	if (rc == 0 && argc > 0)
		rc = ctl_exec(argc, argv, out, err);
	free(buf);
	free(argv);
	return rc;
}

int ctl_load_file(const char *path, char *err, unsigned errlen)
{
	char cerr[CTL_ERR_LEN];
	struct ctl_out out;
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	int rc = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	out_init(&out, false);
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		if (strlen(line) > CTL_LINE_MAX) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			rc = -1;
			break;
		}
		if (ctl_exec_line(line, &out, cerr) < 0) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, cerr);
			rc = -1;
			break;
		}
		out_reset(&out);
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
		rc = -1;
	}
	free(line);
	out_fini(&out);
	fclose(f);
	return rc;
}
