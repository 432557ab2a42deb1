/* null device (`link add n0 type null [features none]`): a sink for
 * benchmarks. Transmit counts and frees; receive never yields anything.
 * By default it claims every offload so that nothing is segmented or
 * checksummed on its way out unless asked with `features none`. */
#include <stdio.h>
#include <string.h>

#include "dev/drivers.h"

#define NULL_FEATURES_ALL                                                      \
	(DEV_F_SG | DEV_F_CSUM | DEV_F_TSO4 | DEV_F_TSO6 | DEV_F_USO |         \
	 DEV_F_FRAGLIST)

static const struct dev_ops null_ops = {
	.kind = "null",
	.open = drv_open_nothing,
	.close = drv_close_nothing,
	.rx_burst = drv_rx_nothing,
	.tx_burst = drv_tx_sink,
	.rx_fd = drv_no_fd,
	.set_mtu = drv_set_mtu_any,
	.set_mac = drv_set_mac_any,
	.destroy = drv_destroy_nothing,
	.rx_done = drv_rx_always_done,
};

static struct dev *null_create(const char *name, int argc, char **argv,
			       char *err)
{
	uint32_t features = NULL_FEATURES_ALL;
	struct dev *d;

	for (int i = 0; i < argc; i++) {
		const char *v;
		if (strcmp(argv[i], "features") != 0) {
			drv_err_unknown("null", argv[i], err);
			return NULL;
		}
		if (drv_arg_value("null", argc, argv, &i, &v, err) < 0)
			return NULL;
		if (strcmp(v, "none") == 0) {
			features = 0;
		} else if (strcmp(v, "all") == 0) {
			features = NULL_FEATURES_ALL;
		} else {
			snprintf(err, DRV_ERR_SIZE,
				 "null: invalid features '%s' (expected all or none)",
				 v);
			return NULL;
		}
	}
	d = drv_alloc("null", name, &null_ops, 0, err);
	if (d)
		d->features = features;
	return d;
}

const struct dev_driver null_driver = {
	.kind = "null",
	.usage = "[features all|none]",
	.create = null_create,
};
