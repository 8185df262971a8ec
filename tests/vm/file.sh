#!/bin/sh
# shellcheck shell=dash
# File pressure, ZMM_BACKEND=zmm (default) or zswap (the baseline, which
# keeps no file pages): a data set larger than guest memory on the ext4
# disk (/data), read twice with checksums.  With zmm the second pass is
# partly served by it (loads counted).  Then stale-data checks on a small
# file pushed out of a small cgroup: after an overwrite, a hole punch and
# a truncate + extend, reads return the new data (the new bytes, zeros in
# the hole and past the truncation), never a stored older copy; removing
# the files leaves no file zpage behind.
# Tunables: ZMM_FILE_MB (size; default 5/4 of MemTotal), ZMM_SAMPLE (2).
set -u
# shellcheck source=lib.sh
. /tests/lib.sh

every=${ZMM_SAMPLE:-2}
mem_mb=$(($(meminfo_kb MemTotal) / 1024))
mb=${ZMM_FILE_MB:-$((mem_mb * 5 / 4))}
mb=$(((mb + 3) / 4 * 4))	# whole 4 MiB seeds
nseed=$((mb / 4))
big=/data/zmm-big

backend_setup
grep -q ' /data ext4 ' /proc/mounts || bail "no ext4 on /data (scripts/vm-run.sh --data SIZE)"

# Compressible (lz4 about 4:1), not same-filled: numbered lines of text,
# a 4 MiB seed repeated.  A sequential scan of a file larger than the
# page cache plus what zmm holds finds nothing in either (any LRU cache
# evicts the file's start first), so the data set must fit in page cache
# + zpages while being larger than memory: that takes a good ratio.
awk 'BEGIN { for (i = 0; i < 60000; i++)
	printf "zmm file page test, line %08d: the quick brown fox jumps over the lazy dog\n", i }' |
	head -c 4194304 >/tmp/seed
gen() { # gen N: N seeds
	_i=0
	while [ "$_i" -lt "$1" ]; do cat /tmp/seed; _i=$((_i + 1)); done
}
note "data set ${mb} MiB, guest memory ${mem_mb} MiB"
T0=$(cut -d. -f1 /proc/uptime)
gen "$nseed" >"$big"
sync
note "written in $(($(cut -d. -f1 /proc/uptime) - T0))s"
sum0=$(gen "$nseed" | md5sum | cut -d' ' -f1)
show_counters written

peak_reset
maj0=$(vm pgmajfault)
st0=$(zs stored)
out0=$(vm pswpout); in0=$(vm pswpin)
md5sum "$big" >/tmp/sum1 &
sample_while $! "$every"
sum1=$(cut -d' ' -f1 /tmp/sum1)
sample_pool
ld1=$(zs loaded)
t1=$(cut -d. -f1 /proc/uptime)
pgin1=$(vm pgpgin)
md5sum "$big" >/tmp/sum2 &
sample_while $! "$every"
sum2=$(cut -d' ' -f1 /tmp/sum2)
sample_pool
read2_s=$(($(cut -d. -f1 /proc/uptime) - t1))
read2_kb=$(($(vm pgpgin) - pgin1))
show_counters "after two reads"

check "first read: checksum of what was written" [ "$sum1" = "$sum0" ]
check "second read: same checksum" [ "$sum2" = "$sum0" ]
if [ "$BACKEND" = zmm ]; then
	loads2=$(($(zs loaded) - ld1))
	expect "nr_file_zpages rose (peak)" "$(peak_get file)" -gt 0
	expect "zmm stored file pages" "$(($(zs stored) - st0))" -gt 0
	expect "second read served partly by zmm (loads)" "$loads2" -gt 0
	check "pool consistent (debugfs check = 0)" zmm_check
	expect_held_matches_vmstat "zmm pages_held = vmstat nr_anon_zpages + nr_file_zpages"
	extra="loads_2nd_read=$loads2 stored=$(($(zs stored) - st0)) dropped=$(zs evict_drop)"
else
	extra="loads_2nd_read=0"
fi
stat_line "read2_s=$read2_s read2_disk_kb=$read2_kb pgmajfault=$(($(vm pgmajfault) - maj0)) pswpout=$(($(vm pswpout) - out0)) pswpin=$(($(vm pswpin) - in0)) $extra"

rm -f "$big"
sync

# Stale data: a 32 MiB file read from a cgroup with memory.max=16M, so
# that about half of it is evicted, i.e. stored by zmm while its pool has
# room.  Overwrite the first half, truncate + extend: reads must return
# the new bytes and zeros past the cut, never a stored older copy.
small=/data/zmm-small
cg=$(cg_make zmm-file-$$ 16M) || bail "cannot create a memory cgroup"
gen 8 >"$small"
sync
echo 3 >/proc/sys/vm/drop_caches
f0=$(vm nr_file_zpages); st0=$(zs stored)
in_cg "$cg" md5sum "$small" >/tmp/sum3
want=$(gen 8 | md5sum | cut -d' ' -f1)
if [ "$(cut -d' ' -f1 /tmp/sum3)" = "$want" ]; then
	ok "small file read in 16M: checksum"
else
	not_ok "small file read in 16M: checksum $(cut -d' ' -f1 /tmp/sum3), written $want"
	# where, and is it the disk or the way back through memory?
	echo 3 >/proc/sys/vm/drop_caches
	note "after drop_caches, read outside the cgroup: $(gen 8 | cmp - "$small" 2>&1 && echo same)"
fi
# Page cache is reclaimable, so reading a file never OOMs a cgroup; pool
# pageframes charged to it (memory.stat kernel, file_zpages) must not
# make it.
oom=$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")
if [ "$oom" = 0 ]; then
	ok "small file read in 16M: no OOM kill"
else
	not_ok "small file read in 16M: $oom OOM kill(s); memory.stat: $(grep -E '^(file|kernel|file_zpages|anon_zpages) ' "$cg/memory.stat" | tr '\n' ' ')"
fi
if [ "$BACKEND" = zmm ]; then
	expect "small file: zmm stored pages of it" "$(($(zs stored) - st0))" -gt 0
	note "small file: nr_file_zpages $f0 -> $(vm nr_file_zpages)"
	# memory.zpages.max of 1.6 MiB, below what the cgroup's file zpages
	# hold: its stores first drop its own cold file zpages (zpage_drop
	# for the cgroup as well as system-wide), and are refused when that
	# is not enough.
	d0=$(vm zpage_drop)
	md0=$(memstat "$cg" zpage_drop)
	echo 1600K >"$cg/memory.zpages.max"
	in_cg "$cg" cat "$small" >/dev/null
	in_cg "$cg" cat "$small" >/dev/null
	sleep 1
	zpc=$(cat "$cg/memory.zpages.current")
	echo max >"$cg/memory.zpages.max"
	md=$(($(memstat "$cg" zpage_drop) - md0))
	expect "memory.zpages.max 1600K: the cgroup's memory.stat zpage_drop rose" "$md" -gt 0
	expect "memory.zpages.max 1600K: vmstat zpage_drop rose at least as much" \
		"$(($(vm zpage_drop) - d0))" -ge "$md"
	expect "memory.zpages.max 1600K: memory.zpages.current within it + one block" \
		"$zpc" -le $((1600 * 1024 + 2 * 1048576))
fi
yes 'zmm new data after an overwrite' | head -c 16777216 >/tmp/new
dd if=/tmp/new of="$small" bs=1M conv=notrunc 2>/dev/null
sync
echo 3 >/proc/sys/vm/drop_caches
ld0=$(zs loaded)
in_cg "$cg" cat "$small" >/dev/null	# evicts again: zmm may serve the next read
check "overwritten half reads the new data" \
	[ "$(in_cg "$cg" head -c 16777216 "$small" | md5sum)" = "$(md5sum </tmp/new)" ]
check "the other half reads the old data" \
	[ "$(in_cg "$cg" tail -c 16777216 "$small" | md5sum)" = "$(gen 4 | md5sum)" ]
if [ "$BACKEND" = zmm ]; then
	expect "small file: re-reads served partly by zmm (loads)" "$(($(zs loaded) - ld0))" -gt 0
fi
# A hole punched in the overwritten half (10..12 MiB) reads zeros, the
# bytes around it stay (zmmtool: fallocate PUNCH_HOLE, which busybox lacks).
in_cg "$cg" cat "$small" >/dev/null	# evicts again: zmm holds part of it
inv0=$(zs invalidated)
check "hole punch (fallocate)" zmmtool punch "$small" 10485760 2097152
check "after a hole punch: zeros in the hole" \
	[ "$(in_cg "$cg" dd if="$small" bs=1M skip=10 count=2 2>/dev/null | tr -d '\000' | wc -c)" = 0 ]
# shellcheck disable=SC2317 # called through check
around_hole() {
	[ "$(in_cg "$cg" head -c 10485760 "$small" | md5sum)" = \
	  "$(head -c 10485760 /tmp/new | md5sum)" ] &&
	[ "$(in_cg "$cg" dd if="$small" bs=1M skip=12 count=4 2>/dev/null | md5sum)" = \
	  "$(dd if=/tmp/new bs=1M skip=12 2>/dev/null | md5sum)" ]
}
check "after a hole punch: the data around it" around_hole
if [ "$BACKEND" = zmm ]; then
	note "hole punch: zmm invalidated $(($(zs invalidated) - inv0)) zpages"
fi
truncate -s 8388608 "$small" && truncate -s 33554432 "$small"
rsf0=$(zs reject_same_file)
check "after truncate + extend: zeros past the cut" \
	[ "$(in_cg "$cg" tail -c +8388609 "$small" | tr -d '\000' | wc -c)" = 0 ]
if [ "$BACKEND" = zmm ]; then
	# 24 MiB of hole read in 16M: zero pages evicted, none kept (an
	# entry with no pageframe, which reclaim could never take back)
	expect "zeros past the cut: same-filled file pages refused (reject_same_file)" \
		"$(($(zs reject_same_file) - rsf0))" -gt 0
fi
check "after truncate + extend: data before the cut" \
	[ "$(head -c 8388608 "$small" | md5sum)" = "$(head -c 8388608 /tmp/new | md5sum)" ]
echo "short" >"$small"
echo 3 >/proc/sys/vm/drop_caches
check "rewritten file reads its new content" [ "$(cat "$small")" = short ]
rm -f "$small"
rmdir "$cg" 2>/dev/null
sync
sleep 1
show_counters "file removed"
if [ "$BACKEND" = zmm ]; then
	expect "nr_file_zpages after the file is gone" "$(vm nr_file_zpages)" -eq 0
	check "pool consistent at the end" zmm_check
fi
tap_end
