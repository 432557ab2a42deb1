#!/usr/bin/env bash
# Ping across usnet and to usnet itself, v4 and v6, tap driver
# (body: ping_suite in lib.sh).
DRIVER=tap
. "$(dirname "$0")/lib.sh"
ping_suite
