#!/bin/sh
# shellcheck shell=dash
# Guest driver of scripts/vm-suite.sh: runs the scenarios named in
# ZMM_SCENARIOS (comma separated, each /tests/<name>.sh) one after the
# other in this boot, then prints the boot's TAP totals:
#   ZMM-TAP-SUMMARY: passed=P failed=F todo=T
# (todo: baseline expectations that did not hold, "not ok ... # TODO"
# lines, not failures)
# A scenario that exits non-zero without a failed test (it died) counts as
# one more failure.  ZMM_BACKEND=zmm|zswap is passed on to the scenarios.
#   scripts/vm-run.sh -M zmm.ko --swap 1G --data 1G \
#       -a ZMM_SCENARIOS=kunit,params -t group
set -u
SCN=group
# shellcheck source=lib.sh
. /tests/lib.sh
rm -f /tmp/zmm-tap.*

scenarios=${ZMM_SCENARIOS:-}
[ -n "$scenarios" ] || bail "ZMM_SCENARIOS is empty"
echo "# group: backend=$BACKEND scenarios=$scenarios kernel=$(uname -r) mem=$(meminfo_kb MemTotal)kB lru_gen=$(cat "$LG" 2>/dev/null) ZMM_LRU_GEN=${ZMM_LRU_GEN:-} ZMM_ZSWAP_SHRINKER=${ZMM_ZSWAP_SHRINKER:-}"
for s in $(echo "$scenarios" | tr ',' ' '); do
	echo "# ==== scenario $s ($BACKEND)"
	f0=$(grep -c fail /tmp/zmm-tap.res 2>/dev/null || true)
	t0=$(cut -d. -f1 /proc/uptime)
	rc=0
	if [ -f "/tests/$s.sh" ]; then
		(cd /tmp && SCN=$s exec sh "/tests/$s.sh") || rc=$?
	else
		rc=127
	fi
	f1=$(grep -c fail /tmp/zmm-tap.res 2>/dev/null || true)
	echo "# ==== scenario $s: rc=$rc, $(($(cut -d. -f1 /proc/uptime) - t0))s"
	if [ "$rc" != 0 ] && [ "${f1:-0}" = "${f0:-0}" ]; then
		SCN=$s not_ok "scenario exited with rc=$rc and no failed test"
	fi
done
passed=$(grep -c pass /tmp/zmm-tap.res 2>/dev/null || true)
failed=$(grep -c fail /tmp/zmm-tap.res 2>/dev/null || true)
todos=$(grep -c todo /tmp/zmm-tap.res 2>/dev/null || true)
echo "ZMM-TAP-SUMMARY: passed=${passed:-0} failed=${failed:-0} todo=${todos:-0}"
[ "${failed:-0}" = 0 ]
