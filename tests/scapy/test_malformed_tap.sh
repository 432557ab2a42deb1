#!/usr/bin/env bash
# The malformed-packet cases of test_malformed.sh over the tap driver.
DRIVER=tap exec "$(dirname "$0")/test_malformed.sh"
