/* Tunables exposed by `sysctl` under their Linux names. Each is a uint32_t
 * owned by some subsystem (icmp_params, neigh_params) with a valid range.
 * Workers read the values without locks; the control thread writes them
 * with single atomic stores. Control thread. */
#ifndef USNET_CTL_SYSCTL_H
#define USNET_CTL_SYSCTL_H

#include <stdint.h>

struct sysctl_var {
	const char *name;       /* e.g. "net.ipv4.icmp_ratelimit" */
	uint32_t *val;
	uint32_t min, max;      /* inclusive */
	const char *help;
};

/* The table; *n receives its length. Never fails. */
const struct sysctl_var *sysctl_vars(unsigned *n);

/* Find by name ('/' accepted in place of '.'); NULL when unknown. */
const struct sysctl_var *sysctl_find(const char *name);

/* Parse `value` for v (decimal, within [min, max]). 0, or -1 with err
 * (size 256) naming the variable and the bad value. Changes nothing. */
int sysctl_parse(const struct sysctl_var *v, const char *value,
		 uint32_t *out, char *err);

uint32_t sysctl_get(const struct sysctl_var *v);
void sysctl_set(const struct sysctl_var *v, uint32_t val);

#endif
