#!/usr/bin/env bash
# The macvlan checks of test_macvlan.sh over the tap driver.
DRIVER=tap exec "$(dirname "$0")/test_macvlan.sh"
