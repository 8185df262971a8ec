#!/bin/sh
# shellcheck shell=dash
# smoke.sh with zswap enabled (lz4 + zsmalloc); prints the zswap debugfs
# counters.  scripts/vm-run.sh --swap 1G --test smoke-zswap
set -euo pipefail
SCN=smoke-zswap ZMM_SMOKE_ZSWAP=1 exec sh /tests/smoke.sh
