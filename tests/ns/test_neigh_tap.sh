#!/usr/bin/env bash
# test_neigh.sh with usnet on TAP devices instead of AF_PACKET ports.
DRIVER=tap exec "$(dirname "$0")/test_neigh.sh"
