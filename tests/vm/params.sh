#!/bin/sh
# shellcheck shell=dash
# Module parameters: every bad write is refused (-EINVAL, or -EBUSY for
# what cannot change under a live pool) and changes nothing; a good write
# is taken.
set -u
# shellcheck source=lib.sh
. /tests/lib.sh

zmm_loaded || bail "zmm.ko not loaded"
for kv in compressor=bogus compressor=zstd compressor= accept_pct=5 \
	  accept_pct=101 accept_pct=abc min_order=3 min_order=10 \
	  compact_slack_pct=51 compact_slack_pct=-1 zstd_level=0 \
	  zstd_level=20 max_pool_percent=0 max_pool_percent=91 \
	  memcg_max_percent=9 memcg_max_percent=101 memcg_max_percent=x \
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
old=$(cat "$P/memcg_max_percent")
echo 100 >"$P/memcg_max_percent" 2>/dev/null
expect "good write memcg_max_percent=100 taken" "$(cat "$P/memcg_max_percent")" -eq 100
echo "$old" >"$P/memcg_max_percent"
tap_end
