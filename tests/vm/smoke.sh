#!/bin/sh
# shellcheck shell=dash
# Smoke test: memcg-limited stress-ng --vm workload that must swap.
#
#   scripts/vm-run.sh --swap 1G --test smoke
#
# ZMM_SMOKE_ZSWAP=1 (see smoke-zswap.sh) enables zswap (lz4, zsmalloc)
# first and checks that pages went through it.  Tunables (environment):
#   ZMM_SMOKE_LIMIT  memory.max of the test cgroup      (default 32M)
#   ZMM_SMOKE_BYTES  stress-ng --vm-bytes, total of all workers (64M)
#   ZMM_SMOKE_TIME   stress-ng run time                  (20s)
#   ZMM_SMOKE_ROUNDTRIP_MB  tmpfs data checksummed through swap (48)
# Set them from the host with: scripts/vm-run.sh -a "ZMM_SMOKE_TIME=60s"
# (plain VAR=value kernel arguments end up in /init's environment).
#
# Sizes are small because TCG is slow: swap runs at ~3 MB/s here, and in
# 20s stress-ng completes no full method pass (0 bogo ops), so its
# --verify covers partial passes.  So the test also writes random data
# larger than memory.max to tmpfs inside the cgroup and compares its
# checksum after reading it back, and requires pages to have been swapped
# (or zswapped) out AND back in.
#
# Results are TAP lines (tests/vm/lib.sh); a missing precondition is one
# "not ok" line and the end of the test.
set -euo pipefail
# shellcheck source=lib.sh
. /tests/lib.sh

zswap=${ZMM_SMOKE_ZSWAP:-0}
limit=${ZMM_SMOKE_LIMIT:-32M}
bytes=${ZMM_SMOKE_BYTES:-64M}
runtime=${ZMM_SMOKE_TIME:-20s}
rt_mb=${ZMM_SMOKE_ROUNDTRIP_MB:-48}
cg=/sys/fs/cgroup/zmm-smoke


echo "== uname";  uname -a
echo "== free";   free -m
echo "== cmdline"; cat /proc/cmdline

echo "== cgroup2"
grep -q '^cgroup2 /sys/fs/cgroup cgroup2 ' /proc/mounts || bail "cgroup2 not mounted on /sys/fs/cgroup"
grep -qw memory /sys/fs/cgroup/cgroup.controllers || bail "memory controller not available"
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
grep -qw memory /sys/fs/cgroup/cgroup.subtree_control || bail "cannot enable +memory"

echo "== swap"
# /init has it on with zmm.swap=1; else the swap disk, if there is one
swap_on || bail "no swap active and no swap disk (run with scripts/vm-run.sh --swap SIZE)"
cat /proc/swaps

if [ "$zswap" = 1 ]; then
	echo "== zswap"
	p=/sys/module/zswap/parameters
	[ -d "$p" ] || bail "zswap not built in"
	echo lz4 >"$p/compressor"
	echo zsmalloc >"$p/zpool"
	echo 1 >"$p/enabled"
	for f in enabled compressor zpool max_pool_percent accept_threshold_percent shrinker_enabled; do
		echo "$f=$(cat "$p/$f" 2>/dev/null)"
	done
	[ "$(cat "$p/enabled")" = Y ] || bail "zswap did not enable"
	[ "$(cat "$p/compressor")" = lz4 ] || bail "zswap compressor is not lz4"
	[ "$(cat "$p/zpool")" = zsmalloc ] || bail "zswap zpool is not zsmalloc"
fi

mkdir "$cg"
echo "$limit" >"$cg/memory.max"
echo max >"$cg/memory.swap.max"
echo "memory.max=$(cat "$cg/memory.max") memory.swap.max=$(cat "$cg/memory.swap.max")"

pswpout0=$(vm pswpout)
pswpin0=$(vm pswpin)
zswpout0=$(vm zswpout)
zswpin0=$(vm zswpin)

echo "== stress-ng --vm 2 --vm-bytes $bytes --vm-keep --vm-method all --verify -t $runtime (memory.max=$limit)"
rc=0
sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" \
	stress-ng --vm 2 --vm-bytes "$bytes" --vm-keep --vm-method all --verify -t "$runtime" \
	--metrics-brief --temp-path /tmp || rc=$?
echo "stress-ng exited with $rc"

# Deterministic round trip: tmpfs data larger than memory.max must go out
# to (z)swap and come back intact.
echo "== tmpfs round trip (${rt_mb}M through a ${limit} cgroup)"
roundtrip() (
	read -r self _ </proc/self/stat
	echo "$self" >"$cg/cgroup.procs"
	sum1=$(dd if=/dev/urandom bs=1M count="$rt_mb" 2>/dev/null | tee /tmp/zmm-rt | md5sum)
	sum2=$(md5sum </tmp/zmm-rt)
	rm -f /tmp/zmm-rt
	echo "written: $sum1 read back: $sum2"
	[ "$sum1" = "$sum2" ]
)
rt_rc=0
roundtrip || rt_rc=$?

echo "== /proc/vmstat (swap)"
grep -E '^(pswp|zswp|swap_ra|pgmajfault|oom_kill|thp_swpout)' /proc/vmstat || true
echo "== memory.stat (swap)"
grep -E 'swap|zswp|pswp|workingset' "$cg/memory.stat" || true
echo "== memory.events"
cat "$cg/memory.events"
echo "memory.peak=$(cat "$cg/memory.peak" 2>/dev/null || echo n/a) memory.swap.current=$(cat "$cg/memory.swap.current")"
if [ "$zswap" = 1 ]; then
	echo "== /sys/kernel/debug/zswap"
	for f in /sys/kernel/debug/zswap/*; do
		echo "${f##*/}=$(cat "$f")"
	done
fi

pswpout=$(( $(vm pswpout) - pswpout0 ))
pswpin=$(( $(vm pswpin) - pswpin0 ))
zswpout=$(( $(vm zswpout) - zswpout0 ))
zswpin=$(( $(vm zswpin) - zswpin0 ))
echo "during the run: pswpout=$pswpout pswpin=$pswpin zswpout=$zswpout zswpin=$zswpin"
ooms=$(stat_get "$cg/memory.events" oom_kill)
check "test cgroup removed" rmdir "$cg"

expect "stress-ng --verify exit status (2 = verification errors)" "$rc" -eq 0
check "tmpfs data intact through swap" [ "$rt_rc" = 0 ]
expect "OOM kills in the test cgroup" "$ooms" -eq 0
if [ "$zswap" = 1 ]; then
	expect "pages went to zswap (zswpout)" "$zswpout" -gt 0
	expect "pages came back from zswap (zswpin)" "$zswpin" -gt 0
else
	expect "pages swapped out (pswpout)" "$pswpout" -gt 0
	expect "pages swapped in (pswpin)" "$pswpin" -gt 0
fi
tap_end
