#!/bin/sh
# shellcheck shell=dash
# Minimal guest test: the VM booted and userspace works.  Used to time
# boot + shutdown: scripts/vm-run.sh --test boot
set -euo pipefail
uname -a
cat /proc/cmdline
grep -c ^processor /proc/cpuinfo
