#!/usr/bin/env bash
# The VLAN checks of test_vlan.sh over the tap driver (the tags travel
# inside the frames usnet reads and writes on the TAP).
DRIVER=tap exec "$(dirname "$0")/test_vlan.sh"
