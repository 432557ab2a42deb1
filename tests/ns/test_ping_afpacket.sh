#!/usr/bin/env bash
# Ping across usnet and to usnet itself, v4 and v6, af_packet driver
# (body: ping_suite in lib.sh).
DRIVER=af_packet
. "$(dirname "$0")/lib.sh"
ping_suite
