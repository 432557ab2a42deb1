#!/usr/bin/env bash
# test_pmtu.sh with usnet on TAP devices instead of AF_PACKET ports.
DRIVER=tap exec "$(dirname "$0")/test_pmtu.sh"
