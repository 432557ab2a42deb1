/* The commands subsystems add to the grammar (one line each). */
#include "ctl/cmd.h"

#include "core/util.h"
#include "ctl/capture.h"
#include "l2/bridge.h"

const struct ctl_ext ctl_exts[] = {
	{ "capture", cap_cmd, "capture dev NAME [-c N] [-w FILE] [--timeout S] [-s SNAPLEN] (usnetctl only)" },
	{ "fdb", bridge_cmd_fdb, BRIDGE_FDB_HELP },
	{ "bridge", bridge_cmd, BRIDGE_HELP },
	{ NULL, NULL, NULL }, /* placeholder: the table is never empty */
};

const unsigned ctl_nexts = ARRAY_SIZE(ctl_exts) - 1;
