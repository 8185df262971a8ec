#!/bin/sh
# shellcheck shell=dash
# Guest test of zmm.ko: parameters, anon and file pressure, statistics,
# unload.  Needs zmm.ko loaded, swap active, ext4 on /data.
set -eu

p=/sys/module/zmm/parameters
d=/sys/kernel/debug/zmm
cg=/sys/fs/cgroup/zmm-test

fail() { echo "zmm: FAIL: $*"; exit 1; }
ok() { echo "zmm: ok: $*"; }
vm() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
zs() { awk -v k="$1" '$1 == k { print $2 }' "$d/stats"; }
show() {
	echo "-- $1: $(grep -E '^(nr_anon_zpages|nr_file_zpages|zpage_|pswp)' /proc/vmstat | tr '\n' ' ')"
	echo "   zmm: $(grep -E '^(stored|loaded|same_filled|reject|pages_held|bytes_used|nr_zpages|evict|blocks_order9)' "$d/stats" | tr '\n' ' ')"
}

[ -d "$p" ] || fail "zmm not loaded"
grep -q " /sys/kernel/debug debugfs" /proc/mounts ||
	mount -t debugfs none /sys/kernel/debug

# --- KUnit: zmm_kunit.ko ran its suite when it was loaded ---------------
if [ -d /sys/module/zmm_kunit ]; then
	dmesg | grep -E '^\[ *[0-9.]+\] +(not )?ok [0-9]+ ' | sed 's/^/   kunit: /'
	dmesg | grep -Eq '(^|\] )ok [0-9]+ (- )?zmm$' || fail "KUnit suite zmm did not pass"
	if dmesg | grep -Eq 'not ok [0-9]+ '; then
		fail "a KUnit case failed"
	fi
	ok "KUnit suite zmm passed"
	rmmod zmm_kunit
fi

# --- bad parameter writes are refused and change nothing ---------------
for kv in compressor=bogus compressor=zstd accept_pct=5 accept_pct=101 \
	  min_order=3 min_order=10 compact_slack_pct=51 zstd_level=0 \
	  max_pool_percent=0 max_pool_percent=91 enabled=maybe; do
	k=${kv%%=*}
	v=${kv#*=}
	before=$(cat "$p/$k")
	if echo "$v" >"$p/$k" 2>/dev/null; then
		fail "$k=$v accepted"
	fi
	[ "$(cat "$p/$k")" = "$before" ] || fail "$k changed by a refused write"
done
ok "bad parameter writes refused"
echo 5 >"$p/compact_slack_pct"
[ "$(cat $p/compact_slack_pct)" = 5 ] || fail "good write not taken"
echo 3 >"$p/compact_slack_pct"

# --- anonymous pressure in a memory-limited cgroup ----------------------
grep -q ' /sys/fs/cgroup cgroup2' /proc/mounts || fail "no cgroup2"
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$cg"
echo 128M >"$cg/memory.max"
show before
sh -c "echo \$\$ >$cg/cgroup.procs && exec stress-ng --vm 4 --vm-bytes 176M \
	--vm-method flip --verify -t 30s --metrics-brief" >/tmp/stress.log 2>&1 &
pid=$!
peak=0
for _ in 1 2 3 4 5 6 7 8 9 10; do
	sleep 2
	n=$(vm nr_anon_zpages)
	[ "$n" -gt "$peak" ] && peak=$n
done
wait $pid || { cat /tmp/stress.log; fail "stress-ng failed: data corruption?"; }
cat /tmp/stress.log
# a run that did no work verified nothing
ops=$(awk '$4 == "vm" { print $5 }' /tmp/stress.log)
[ "${ops:-0}" -gt 0 ] || fail "stress-ng did no vm bogo op"
show "after stress-ng"
[ "$peak" -gt 0 ] || fail "nr_anon_zpages never rose"
[ "$(zs stored)" -gt 0 ] || fail "nothing stored"
[ "$(zs loaded)" -gt 0 ] || fail "nothing loaded"
ok "anon pressure: peak nr_anon_zpages $peak, stress-ng verified"
[ "$(cat $d/check)" = 0 ] || fail "pool inconsistent"
held=$(zs pages_held)
sum=$(( $(vm nr_anon_zpages) + $(vm nr_file_zpages) ))
[ "$held" = "$sum" ] || fail "zmm holds $held pageframes, vmstat $sum"
ok "zmm pageframes = vmstat nr_*_zpages ($held)"
# The workload is gone: its slots are freed, and its zpages with them,
# except slots still held by clean swap-cache pages, which reclaim frees
# later (zswap behaves the same): every zpage left must be one of those.
sleep 2
left=$(zs nr_zpages)
cached=$(awk '$1 == "SwapCached:" { print $2 / 4 }' /proc/meminfo)
echo "   zpages left $left, swap-cache pages $cached"
[ "$left" -le $((cached + 64)) ] || fail "$left zpages left, $cached swap-cached"
ok "zpages left after the workload ($left) are swap-cache held ($cached)"

# --- file pressure: read a data set larger than memory, twice ------------
grep -q ' /data ext4 ' /proc/mounts || fail "no ext4 on /data"
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
[ "$sum1" = "$sum2" ] || fail "file checksum changed"
show "after two reads"
ok "file read twice, checksums match; zmm loads +$(( $(zs loaded) - loads ))"
# truncate and overwrite: never the old data
echo new >/data/big
[ "$(cat /data/big)" = new ] || fail "stale data after overwrite"
rm /data/big
[ "$(cat $d/check)" = 0 ] || fail "pool inconsistent after file part"

# --- unload: refused while enabled or holding zpages -------------------
if rmmod zmm 2>/dev/null; then
	fail "rmmod succeeded while enabled"
fi
echo 0 >"$p/enabled"
swapoff -a
sleep 3
show "disabled, swapoff"
rmmod zmm || fail "rmmod failed after disable and swapoff"
ok "unloaded"
