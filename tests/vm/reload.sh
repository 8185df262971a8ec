#!/bin/sh
# shellcheck shell=dash
# Guest diagnostic, not part of make check (about 40 s a round): the
# reload part of tests/vm/writeback.sh, ZMM_RELOAD_ROUNDS times (default
# 8) in a row.  64 MiB of tmpfs in a memcg with memory.max=32M, then per
# round: disable zmm and wait for the pool to empty, rmmod, insmod, and
# stress-ng --vm 2 --vm-bytes 64M --vm-method flip --verify for 10 s in
# the memcg.  Counts the rounds with an OOM kill: right after a reload
# the pool fills the memcg fastest, and reclaim must ask it for zpages
# at once (Documentation/mm/zmm.rst, "Shrink on direction").
#   scripts/vm-run.sh -m 384M --swap 1G -M zmm.ko -t reload -T 1500 \
#       [-a ZMM_RELOAD_ROUNDS=N]
set -u
# shellcheck source=lib.sh
. /tests/lib.sh

rounds=${ZMM_RELOAD_ROUNDS:-8}
case $rounds in '' | *[!0-9]* | 0) bail "ZMM_RELOAD_ROUNDS=$rounds" ;; esac

zmm_unpin
zmm_loaded || bail "zmm.ko not loaded"
[ -f /lib/modules-zmm/zmm.ko ] || bail "no /lib/modules-zmm/zmm.ko to reload"
[ "$(wc -l </proc/swaps)" -ge 2 ] || bail "no swap"
cg=$(cg_make zmm-reload 32M) || bail "cannot create a memory cgroup"
tmpfs_in_memcg "$cg" /mnt/reload 64 ||
	bail "cannot mount a tmpfs on /mnt/reload"
sum1=$(md5sum /mnt/reload/data | cut -d' ' -f1)

r=0
kills=0
while [ "$r" -lt "$rounds" ]; do
	r=$((r + 1))
	echo 0 >"$P/enabled"
	i=0
	while [ "$(zs nr_zpages)" != 0 ] && [ "$i" -lt 240 ]; do
		sleep 1
		i=$((i + 1))
	done
	# the module refuses to go until its pool is empty
	j=0
	until rmmod zmm 2>/dev/null; do
		j=$((j + 1))
		[ "$j" -lt 60 ] || break
		sleep 2
	done
	if [ -d /sys/module/zmm ]; then
		not_ok "round $r: rmmod ($(zs nr_zpages) zpages left after ${i}s)"
		break
	fi
	insmod /lib/modules-zmm/zmm.ko || { not_ok "round $r: insmod"; break; }
	k0=$(dmesg | grep -c "Killed process")
	echo $$ >"$cg/cgroup.procs"
	stress-ng --vm 2 --vm-bytes 64M --vm-method flip --verify -t 10s \
		>/tmp/reload-stress.log 2>&1
	rc=$?
	echo $$ >/sys/fs/cgroup/cgroup.procs
	k1=$(dmesg | grep -c "Killed process")
	[ "$k1" -gt "$k0" ] && kills=$((kills + 1))
	echo "# round $r: emptied in ${i}s, stress-ng rc $rc, OOM kills $((k1 - k0)), zpage_scan_memcg $(memstat "$cg" zpage_scan_memcg), zpage_steal_memcg $(memstat "$cg" zpage_steal_memcg)"
	check "round $r: stress-ng --verify (rc $rc)" test "$rc" = 0
done
check "no OOM kill in $r rounds ($kills with a kill)" test "$kills" = 0
sum2=$(md5sum /mnt/reload/data | cut -d' ' -f1)
check "tmpfs data intact" test "$sum1" = "$sum2"
tap_end
