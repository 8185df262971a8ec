#!/bin/sh
# shellcheck shell=dash
# Load, stress, unload, reload.  zmm.ko was loaded at boot.  Random data in
# tmpfs, written from a small memory cgroup, goes out to zmm; rmmod must be
# refused (-EBUSY) while zmm is enabled and while it holds zpages, and the
# data must read back intact while zmm is disabled, after swapoff, and
# after the module is gone.  Then insmod again, and prove the new instance
# works: it stores and loads, the round trip is intact, its pool is sound,
# and it unloads cleanly again.
# Tunables: ZMM_LC_LIMIT (memory.max, 24M), ZMM_LC_MB (tmpfs data, 40).
set -u
# shellcheck source=lib.sh
. /tests/lib.sh

limit=${ZMM_LC_LIMIT:-24M}
mb=${ZMM_LC_MB:-40}
ko=/lib/modules-zmm/zmm.ko

zmm_loaded || bail "zmm.ko not loaded"
swap_on || bail "no swap"
cg=$(cg_make zmm-lc "$limit") || bail "cannot create a memory cgroup"

# write_data FILE: $mb MiB from the cgroup, checksum on stdout.  A 2 MiB
# seed of numbers as text from a random start, repeated: compressible
# (random bytes would be refused as poorly compressible), never the same
# twice.
write_data() {
	_start=$(($(od -An -N3 -tu4 /dev/urandom) + 100000000))
	seq "$_start" 999999999 | head -c 2097152 >/tmp/lc-seed
	in_cg "$cg" sh -c "i=0; while [ \$i -lt $((mb / 2)) ]; do cat /tmp/lc-seed; i=\$((i + 1)); done | tee $1 | md5sum" |
		cut -d' ' -f1
}
sum_of() { md5sum <"$1" | cut -d' ' -f1; }

for round in 1 2; do
	note "round $round"
	st0=$(zs stored); ld0=$(zs loaded)
	sum=$(write_data /tmp/lc-data)
	expect "round $round: zmm stored pages of the tmpfs data" "$(($(zs stored) - st0))" -gt 0
	expect "round $round: zpages held" "$(zs nr_zpages)" -gt 0
	in_cg "$cg" stress-ng --vm 2 --vm-bytes "$((${limit%M} * 2))M" --vm-method flip \
		--verify -t 10s --metrics-brief >/tmp/stress.log 2>&1
	expect "round $round: stress-ng --verify" "$?" -eq 0
	check "round $round: data intact, zmm enabled" [ "$(in_cg "$cg" md5sum </tmp/lc-data | cut -d' ' -f1)" = "$sum" ]
	expect "round $round: zmm loaded pages back" "$(($(zs loaded) - ld0))" -gt 0
	check "round $round: pool consistent" zmm_check
	show_counters "round $round loaded"

	if rmmod zmm 2>/tmp/rmmod.err; then
		not_ok "round $round: rmmod refused while enabled (it succeeded)"
		break
	fi
	ok "round $round: rmmod refused while enabled ($(cat /tmp/rmmod.err))"
	echo 0 >"$P/enabled"
	# push the data out again, with zmm disabled it goes to the disk
	in_cg "$cg" stress-ng --vm 1 --vm-bytes "$((${limit%M} * 2))M" --vm-method flip \
		-t 5s >/dev/null 2>&1
	held=$(zs nr_zpages)
	if [ "$held" -gt 0 ]; then
		if rmmod zmm 2>/tmp/rmmod.err; then
			not_ok "round $round: rmmod refused while $held zpages are held (it succeeded)"
			break
		fi
		ok "round $round: rmmod refused while $held zpages are held"
	fi
	check "round $round: data intact, zmm disabled" [ "$(sum_of /tmp/lc-data)" = "$sum" ]
	swapoff -a
	sleep 1
	expect "round $round: zpages after swapoff" "$(zs nr_zpages)" -eq 0
	expect "round $round: nr_anon_zpages after swapoff" "$(vm nr_anon_zpages)" -eq 0
	check "round $round: rmmod after disable + swapoff" rmmod zmm
	check "round $round: module gone" [ ! -d /sys/module/zmm ]
	expect "round $round: vmstat nr_anon_zpages + nr_file_zpages after unload" \
		"$(($(vm nr_anon_zpages) + $(vm nr_file_zpages)))" -eq 0
	check "round $round: data intact after unload" [ "$(sum_of /tmp/lc-data)" = "$sum" ]
	rm -f /tmp/lc-data
	swap_on || bail "swapon failed"
	[ "$round" = 2 ] && break
	check "reload: insmod zmm.ko" insmod "$ko"
	zmm_loaded || bail "zmm not loaded after insmod"
	check "reload: enabled by default" [ "$(cat "$P/enabled")" = Y ]
	expect "reload: a fresh pool (pages_held)" "$(zs pages_held)" -eq 0
done
rmdir "$cg" 2>/dev/null || true
tap_end
