/* Driver registry: `link add NAME type KIND ARGS...` finds the kind here and
 * lets the driver parse its own arguments. Control thread. */
#ifndef USNET_DEV_DRIVER_H
#define USNET_DEV_DRIVER_H

struct dev;

struct dev_driver {
	const char *kind;
	const char *usage;      /* e.g. "dev IFNAME" */
	/* Validate args and allocate an unregistered, down device. Returns NULL
	 * with a message in err (size 256) naming the bad argument. Must not
	 * touch the system (no sockets) until ops->open(). */
	struct dev *(*create)(const char *name, int argc, char **argv,
			      char *err);
};

const struct dev_driver *dev_driver_find(const char *kind);
/* For help texts: NULL-terminated list. */
const struct dev_driver *const *dev_driver_list(void);

#endif
