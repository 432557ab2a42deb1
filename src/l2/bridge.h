/* Bridge device (`link add br0 type bridge`): a learning Ethernet switch over
 * any Ethernet devices (its ports), with FDB aging, flooding, static FDB
 * entries and optional 802.1Q VLAN filtering; the bridge itself is also an
 * L3 interface (addresses on br0). See bridge.c for the design note. */
#ifndef USNET_L2_BRIDGE_H
#define USNET_L2_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>

struct ctl_out;
struct dev;
struct dev_driver;

/* The driver (registered in dev/driver.c):
 *   link add NAME type bridge [ageing_time SECONDS] [vlan_filtering 0|1]
 *                             [default_pvid 0..4094]
 * Ports join with `link set PORT master NAME` (dev_set_master). */
extern const struct dev_driver bridge_driver;

#define BRIDGE_DEFAULT_AGEING_S 300u
#define BRIDGE_MAX_AGEING_S 1000000u
#define BRIDGE_FDB_MAX 16384u   /* entries per bridge (learning stops there) */
#define BRIDGE_PORTS_MAX 64u

/* Age out learned FDB entries not seen for the bridge's ageing time, on
 * every bridge. Call it periodically (every 100 ms is fine) with the
 * monotonic time in milliseconds (time_ms(), or a fake clock in tests: the
 * same clock as the workers' w->now_ms, which stamps learned entries).
 * Control thread; may wait for an RCU grace period when it removes entries. */
void bridge_timer(uint64_t now_ms);

/* Subsystem commands (ctl_ext_fn contract, ctl/cmd.h): argv[0] is "fdb" or
 * "bridge". 0, or -1 with a one-line reason in err (size 256) naming the bad
 * word, and nothing changed. Control thread.
 *   fdb add|replace MAC dev NAME [vlan N] [master] [static|dynamic]
 *   fdb del MAC dev NAME [vlan N] [master]
 *   fdb flush [br NAME] [dev NAME]          (learned entries)
 *   fdb show [br NAME] [dev NAME] [vlan N]
 *   bridge fdb ...                          (same as fdb)
 *   bridge vlan add dev NAME vid N[-M] [pvid] [untagged] [self] [master]
 *   bridge vlan del dev NAME vid N[-M] [self] [master]
 *   bridge vlan show [dev NAME]
 *   bridge set dev NAME [ageing_time S] [vlan_filtering 0|1]
 *                       [default_pvid N]
 * NAME in `fdb add dev NAME` may be the bridge itself: frames to MAC are
 * then delivered to the bridge (a local entry, shown as "permanent").
 * User entries are static (never age, never move) unless `dynamic`; `fdb
 * add` without `vlan` on a VLAN-filtering bridge adds VID 0 and every VLAN
 * of the port, as Linux does. In `bridge vlan`, dev NAME may be the bridge
 * itself (its own membership, as Linux's `self`). default_pvid (default 1,
 * 0 = none) is the untagged PVID given to the bridge at creation and to
 * ports when they are enslaved; changing it leaves existing ports alone.
 * Turning vlan_filtering on or off forgets the learnt entries. */
int bridge_cmd_fdb(int argc, char **argv, struct ctl_out *out, char *err);
int bridge_cmd(int argc, char **argv, struct ctl_out *out, char *err);

#define BRIDGE_FDB_HELP                                                        \
	"fdb add|replace|del MAC dev NAME [vlan N] [master] [static|dynamic]; "  \
	"fdb flush [br NAME] [dev NAME]; fdb show [br NAME] [dev NAME] [vlan N]"
#define BRIDGE_HELP                                                            \
	"bridge vlan add|del dev NAME vid N[-M] [pvid] [untagged] [self]; "    \
	"bridge vlan show [dev NAME]; bridge fdb ...; "                         \
	"bridge set dev NAME [ageing_time S] [vlan_filtering 0|1] [default_pvid N]"

/* Queries for tests and benchmarks. Control thread. */
bool bridge_is_bridge(const struct dev *d);
/* ifindex of the port the FDB of bridge br maps (mac, vid) to (the bridge's
 * own ifindex for a local entry), or 0 when there is no entry. */
uint32_t bridge_fdb_port(const struct dev *br, const uint8_t mac[6],
			 uint16_t vid);
/* Number of FDB entries of br (learned and static). */
unsigned bridge_fdb_count(const struct dev *br);

#endif
