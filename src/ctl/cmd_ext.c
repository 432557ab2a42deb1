/* The commands subsystems add to the grammar (one line each). */
#include "ctl/cmd.h"

#include "core/util.h"

const struct ctl_ext ctl_exts[] = {
	{ NULL, NULL, NULL }, /* placeholder: the table is never empty */
};

const unsigned ctl_nexts = ARRAY_SIZE(ctl_exts) - 1;
