#!/bin/sh
# shellcheck shell=dash
# Module parameters: every bad write is refused (-EINVAL, or -EBUSY for
# what cannot change under a live pool) and changes nothing; a good write
# is taken.
set -u
# shellcheck source=lib.sh
. /tests/lib.sh

zmm_loaded || bail "zmm.ko not loaded"
for kv in compressor=bogus compressor=zstd compressor= recompress=bogus \
	  recompress=lz4 recompress=zstd recompress= accept_pct=5 \
	  accept_pct=101 accept_pct=abc min_order=3 min_order=10 \
	  compact_slack_pct=51 compact_slack_pct=-1 zstd_level=0 \
	  zstd_level=20 max_pool_percent=0 max_pool_percent=91 \
	  enabled=maybe; do
	expect_refused "${kv%%=*}" "${kv#*=}"
done
old=$(cat "$P/compact_slack_pct")
new=$((old == 5 ? 6 : 5))
echo "$new" >"$P/compact_slack_pct" 2>/dev/null
expect "good write compact_slack_pct=$new taken" "$(cat "$P/compact_slack_pct")" -eq "$new"
echo "$old" >"$P/compact_slack_pct"
old=$(cat "$P/max_pool_percent")
echo 25 >"$P/max_pool_percent" 2>/dev/null
expect "good write max_pool_percent=25 taken" "$(cat "$P/max_pool_percent")" -eq 25
echo "$old" >"$P/max_pool_percent"
# memory.zpages.*: the kernel's files in every non-root memcg
cg=$(cg_make "zmm-params-$$" max) || bail "cannot create a memory cgroup"
expect "memory.zpages.max defaults to max" "$(cat "$cg/memory.zpages.max")" = max
expect "memory.zpages.writeback defaults to 1" "$(cat "$cg/memory.zpages.writeback")" -eq 1
expect "memory.zpages.current starts at 0" "$(cat "$cg/memory.zpages.current")" -eq 0
for v in -1 abc 2x; do
	check "memory.zpages.max='$v' refused" sh -c "! echo '$v' >'$cg/memory.zpages.max'" 2>/dev/null
done
check "memory.zpages.writeback=2 refused" sh -c "! echo 2 >'$cg/memory.zpages.writeback'" 2>/dev/null
echo 8M >"$cg/memory.zpages.max"
expect "memory.zpages.max=8M taken" "$(cat "$cg/memory.zpages.max")" -eq 8388608
rmdir "$cg"
tap_end
