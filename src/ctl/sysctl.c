/* The sysctl table: Linux names mapped onto the uint32_t tunables of the
 * ICMP and neighbor subsystems, each with its valid range. */
#include "ctl/sysctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "fib/fib_exc.h"
#include "l2/neigh.h"
#include "l3/icmp.h"

#define HOUR_MS 3600000u
#define DAY_MS 86400000u

static const struct sysctl_var sysctl_table[] = {
	{ "net.ipv4.icmp_ratelimit", &icmp_params.ratelimit_ms, 0, HOUR_MS,
	  "minimum interval between ICMP errors to one destination (ms, 0 = off)" },
	{ "net.ipv6.icmp.ratelimit", &icmp_params.ratelimit6_ms, 0, HOUR_MS,
	  "minimum interval between ICMPv6 errors to one destination (ms, 0 = off)" },
	{ "net.ipv4.icmp_msgs_per_sec", &icmp_params.msgs_per_sec, 0, 10000000,
	  "global ICMP error rate (messages per second)" },
	{ "net.ipv4.icmp_msgs_burst", &icmp_params.msgs_burst, 0, 10000000,
	  "global ICMP error burst" },
	{ "net.ipv4.icmp_echo_ignore_all", &icmp_params.echo_ignore_all, 0, 1,
	  "do not answer echo requests (0/1)" },
	{ "net.neigh.base_reachable_time_ms", &neigh_params.base_reachable_ms,
	  100, HOUR_MS, "neighbor REACHABLE time base (ms)" },
	{ "net.neigh.retrans_time_ms", &neigh_params.retrans_ms, 10, HOUR_MS,
	  "interval between solicitations (ms)" },
	{ "net.neigh.delay_first_probe_time_ms", &neigh_params.delay_probe_ms,
	  10, HOUR_MS, "DELAY state duration before probing (ms)" },
	{ "net.neigh.ucast_solicit", &neigh_params.ucast_probes, 0, 255,
	  "unicast probes before FAILED" },
	{ "net.neigh.mcast_solicit", &neigh_params.mcast_probes, 0, 255,
	  "broadcast/multicast solicitations before FAILED" },
	{ "net.neigh.gc_stale_time_ms", &neigh_params.gc_stale_ms, 1000, DAY_MS,
	  "unused STALE entries are removed after this time (ms)" },
	{ "net.neigh.unres_qlen", &neigh_params.queue_len, 0, 65536,
	  "packets queued per unresolved neighbor" },
	{ "net.ipv4.route.mtu_expires", &fib_exc_params.mtu_expires_s, 1, 86400,
	  "lifetime of a learned path MTU (s)" },
	{ "net.ipv4.route.min_pmtu", &fib_exc_params.min_pmtu4, 68, 65535,
	  "smallest IPv4 path MTU accepted from frag-needed" },
};

const struct sysctl_var *sysctl_vars(unsigned *n)
{
	*n = ARRAY_SIZE(sysctl_table);
	return sysctl_table;
}

const struct sysctl_var *sysctl_find(const char *name)
{
	size_t i, j, len = strlen(name);

	for (i = 0; i < ARRAY_SIZE(sysctl_table); i++) {
		const char *t = sysctl_table[i].name;

		if (strlen(t) != len)
			continue;
		for (j = 0; j < len; j++) {
			char c = name[j] == '/' ? '.' : name[j];
			if (c != t[j])
				break;
		}
		if (j == len)
			return &sysctl_table[i];
	}
	return NULL;
}

int sysctl_parse(const struct sysctl_var *v, const char *value,
		 uint32_t *out, char *err)
{
	unsigned long long n;
	char *end;

	if (value[0] < '0' || value[0] > '9') {
		snprintf(err, 256, "sysctl: invalid value '%.64s' for %s",
			 value, v->name);
		return -1;
	}
	errno = 0;
	n = strtoull(value, &end, 10);
	if (*end != '\0' || errno) {
		snprintf(err, 256, "sysctl: invalid value '%.64s' for %s",
			 value, v->name);
		return -1;
	}
	if (n < v->min || n > v->max) {
		snprintf(err, 256,
			 "sysctl: value '%.64s' out of range for %s (%u..%u)",
			 value, v->name, v->min, v->max);
		return -1;
	}
	*out = (uint32_t)n;
	return 0;
}

uint32_t sysctl_get(const struct sysctl_var *v)
{
	return __atomic_load_n(v->val, __ATOMIC_RELAXED);
}

void sysctl_set(const struct sysctl_var *v, uint32_t val)
{
	__atomic_store_n(v->val, val, __ATOMIC_RELAXED);
}
