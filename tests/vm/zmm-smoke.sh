#!/bin/sh
# shellcheck shell=dash
# Guest test of zmm.ko: parameters, anon and file pressure, statistics,
# unload.  Needs zmm.ko loaded, swap active, ext4 on /data.  Results are
# TAP lines (tests/vm/lib.sh).  make vm-zmm runs it.
set -eu
# shellcheck source=lib.sh
. /tests/lib.sh

zmm_loaded || bail "zmm not loaded"

# --- KUnit: zmm_kunit.ko ran its suite when it was loaded ---------------
if [ -d /sys/module/zmm_kunit ]; then
	dmesg >/tmp/dmesg.log
	grep -E '^\[ *[0-9.]+\] +(not )?ok [0-9]+ ' /tmp/dmesg.log | sed 's/^/#   kunit: /'
	check "KUnit suite zmm passed" grep -Eq '(^|\] )ok [0-9]+ (- )?zmm$' /tmp/dmesg.log
	expect "KUnit cases failed" "$(grep -Ec 'not ok [0-9]+ ' /tmp/dmesg.log || true)" -eq 0
	rmmod zmm_kunit
fi

# --- bad parameter writes are refused and change nothing ---------------
for kv in compressor=bogus compressor=zstd accept_pct=5 accept_pct=101 \
	  min_order=3 min_order=10 compact_slack_pct=51 zstd_level=0 \
	  max_pool_percent=0 max_pool_percent=91 enabled=maybe; do
	expect_refused "${kv%%=*}" "${kv#*=}"
done
echo 5 >"$P/compact_slack_pct"
check "good write compact_slack_pct=5 taken" [ "$(cat "$P/compact_slack_pct")" = 5 ]
echo 3 >"$P/compact_slack_pct"

# --- anonymous pressure in a memory-limited cgroup ----------------------
cg=$(cg_make zmm-test 128M) || bail "no memory cgroup (cgroup2)"
show_counters before
in_cg "$cg" stress-ng --vm 4 --vm-bytes 176M --vm-method flip --verify -t 30s \
	--metrics-brief >/tmp/stress.log 2>&1 &
pid=$!
peak=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
	sleep 2
	n=$(vm nr_anon_zpages)
	[ "$n" -gt "$peak" ] && peak=$n
done
rc=0
wait $pid || rc=$?
sed 's/^/# /' /tmp/stress.log
expect "stress-ng --verify exit status (data corruption?)" "$rc" -eq 0
# a run that did no work verified nothing
expect "stress-ng vm bogo ops" "$(stress_ops /tmp/stress.log)" -gt 0
show_counters "after stress-ng"
expect "peak nr_anon_zpages" "$peak" -gt 0
expect "zmm stored" "$(zs stored)" -gt 0
expect "zmm loaded" "$(zs loaded)" -gt 0
check "pool consistent" zmm_check
expect_held_matches_vmstat "zmm pageframes = vmstat nr_*_zpages"
# The workload is gone: its slots are freed, and its zpages with them,
# except slots still held by clean swap-cache pages, which reclaim frees
# later (zswap behaves the same): every zpage left must be one of those.
sleep 2
left=$(zs nr_zpages)
cached=$(($(meminfo_kb SwapCached) / 4))
expect "zpages left after the workload, at most swap-cache pages + 64" "$left" -le $((cached + 64))

# --- file pressure: read a data set larger than memory, twice ------------
grep -q ' /data ext4 ' /proc/mounts || bail "no ext4 on /data"
# compressible, not same-filled: numbers as text, 4 MiB, repeated
seq 1 800000 | head -c 4194304 >/data/seed
i=0
while [ $i -lt 112 ]; do
	cat /data/seed
	i=$((i + 1))
done >/data/big
rm /data/seed
sync
sum1=$(md5sum /data/big | cut -d' ' -f1)
loads=$(zs loaded)
sum2=$(md5sum /data/big | cut -d' ' -f1)
show_counters "after two reads"
check "file read twice, checksums match; zmm loads +$(( $(zs loaded) - loads ))" [ "$sum1" = "$sum2" ]
# truncate and overwrite: never the old data
echo new >/data/big
check "no stale data after overwrite" [ "$(cat /data/big)" = new ]
rm /data/big
check "pool consistent after the file part" zmm_check

# --- unload: refused while enabled or holding zpages -------------------
if rmmod zmm 2>/dev/null; then
	not_ok "rmmod refused while enabled (it succeeded)"
else
	ok "rmmod refused while enabled"
fi
echo 0 >"$P/enabled"
swapoff -a
sleep 3
show_counters "disabled, swapoff"
check "rmmod after disable and swapoff" rmmod zmm
tap_end
