#!/bin/sh
# shellcheck shell=dash
# Reclaim directs zmm (kernel patches 6-8): zpages are a subclass that
# every kind of reclaim shrinks, and memory.zpages.* bound them per memcg.
# zmm only.  Parts, each with its own cgroups:
#   siblings  two memcgs with different memory.zpages.max run verifying
#             stress-ng above their memory.max: each stays within its
#             limit plus one block, no OOM kill, all data verified
#   reclaim   memory.reclaim on a memcg full of zpages frees zpages too
#             (zpage_steal_memcg in its memory.stat rises)
#   kswapd    no memcg limit, pressure on the whole (small) guest: kswapd
#             or direct reclaim shrinks zpages (zpage_steal_kswapd/direct)
#   offline   removing a memcg that holds zpages moves them to its parent
#             (moved rises, nothing is written back, nr_*_zpages stay
#             what the pool holds); 200 memcgs that each stored zpages,
#             created and removed, leave the arena count bounded
# Tunables: ZMM_RC_TIME (stress-ng seconds, 20s), ZMM_RC_ROUNDS (200),
# ZMM_RC_A_MAX / ZMM_RC_B_MAX (the siblings' memory.zpages.max in MiB, 8
# and 24: the debug kernel's slower workloads need smaller ones to reach
# them).
set -u
# shellcheck source=lib.sh
. /tests/lib.sh

runtime=${ZMM_RC_TIME:-20s}
amax=${ZMM_RC_A_MAX:-8}
bmax=${ZMM_RC_B_MAX:-24}
rounds=${ZMM_RC_ROUNDS:-200}
block_k=2048

zmm_loaded || bail "zmm.ko not loaded"
vm_has zpage_steal_memcg || bail "the kernel has no zpage_steal_* (patch 6)"
backend_setup

zpages_k() { echo $((($(memstat "$1" anon_zpages) + $(memstat "$1" file_zpages)) / 1024)); }

# ---- siblings ---------------------------------------------------------------
a=$(cg_make "zmm-rc-a-$$" 64M) || bail "cannot create a memory cgroup"
b=$(cg_make "zmm-rc-b-$$" 64M) || bail "cannot create a memory cgroup"
echo "${amax}M" >"$a/memory.zpages.max"
echo "${bmax}M" >"$b/memory.zpages.max"
rj0=$(($(zs reject_memcg_limit) + $(zs evict_writeback) + $(zs evict_drop)))
for cg in "$a" "$b"; do
	echo max >"$cg/memory.swap.max"
	in_cg "$cg" stress-ng --vm 2 --vm-bytes 96M --vm-method flip --verify \
		-t "$runtime" >"/tmp/${cg##*/}.log" 2>&1 &
	echo $! >"/tmp/${cg##*/}.pid"
done
peak_a=0 peak_b=0
while kill -0 "$(cat "/tmp/${a##*/}.pid")" 2>/dev/null ||
      kill -0 "$(cat "/tmp/${b##*/}.pid")" 2>/dev/null; do
	za=$(($(cat "$a/memory.zpages.current") / 1024))
	zb=$(($(cat "$b/memory.zpages.current") / 1024))
	[ "$za" -gt "$peak_a" ] && peak_a=$za
	[ "$zb" -gt "$peak_b" ] && peak_b=$zb
	sleep 1
done
for cg in "$a" "$b"; do
	rc=0
	wait "$(cat "/tmp/${cg##*/}.pid")" || rc=$?
	sed 's/^/#   /' "/tmp/${cg##*/}.log" | tail -n 3
	expect "siblings ${cg##*/}: stress-ng --verify" "$rc" -eq 0
	expect "siblings ${cg##*/}: no OOM kill" \
		"$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")" -eq 0
done
note "siblings: peak memory.zpages.current a=${peak_a}K (max ${amax}M) b=${peak_b}K (max ${bmax}M)"
expect "siblings a: zpages within ${amax}M + one block" "$peak_a" -le $((amax * 1024 + block_k))
expect "siblings b: zpages within ${bmax}M + one block" "$peak_b" -le $((bmax * 1024 + block_k))
expect "siblings b: held more than a" "$peak_b" -gt "$peak_a"
expect "siblings a: reached its memory.zpages.max (to within a block)" "$peak_a" -ge $((amax * 1024 - block_k))
# at the limit a store makes room (writes back or drops the memcg's own
# coldest zpages) or is refused
expect "siblings: room made or stores refused at the limits" \
	"$(($(zs reject_memcg_limit) + $(zs evict_writeback) + $(zs evict_drop) - rj0))" -gt 0
check "pool consistent" zmm_check

# ---- memory.reclaim ---------------------------------------------------------
# b still holds its zpages (its stress-ng exited: they are freed with
# their slots); fill it again and keep the memory while reclaiming
in_cg "$b" stress-ng --vm 1 --vm-bytes 80M --vm-method flip --vm-keep \
	--verify -t 60s >/tmp/rc-reclaim.log 2>&1 &
pid=$!
i=0
while [ "$(zpages_k "$b")" -lt $((bmax * 1024 * 2 / 3)) ] && [ $i -lt 40 ]; do sleep 1; i=$((i + 1)); done
# frozen, b loads nothing more: what loads of old zpages credited against
# reclaim's asks (zmm_shrink_asked(), at most 2048 pageframes an arena)
# is all there is, and asks beyond it must free zpages.  memory.reclaim
# asks the subclass in proportion to its share of b, a little per pass,
# so ask until the asks are past the credit and the block a shrink may
# have freed beyond an earlier ask (one CI run stopped at 352 pageframes
# past that and had freed nothing yet), and until something was freed,
# at most 12 times.
echo 1 >"$b/cgroup.freeze"
show_counters "b frozen, before memory.reclaim"
before=$(zpages_k "$b")
st0=$(memstat "$b" zpage_steal_memcg)
sc0=$(memstat "$b" zpage_scan_memcg)
i=0 scan=0 steal=0
while { [ "$scan" -le $((2048 + 512)) ] || [ "$steal" -le 0 ]; } &&
	[ $i -lt 12 ]; do
	echo 16M >"$b/memory.reclaim" 2>/dev/null || true
	scan=$(($(memstat "$b" zpage_scan_memcg) - sc0))
	steal=$(($(memstat "$b" zpage_steal_memcg) - st0))
	i=$((i + 1))
done
show_counters "after memory.reclaim"
note "memory.reclaim 16M x $i: zpages ${before}K -> $(zpages_k "$b")K, zpage_scan_memcg +$scan, zpage_steal_memcg +$steal"
expect "memory.reclaim asked zpages for more than the credit (zpage_scan_memcg)" "$scan" -gt $((2048 + 512))
expect "memory.reclaim freed zpages (zpage_steal_memcg)" "$steal" -gt 0
# every block is charged to b, the ones the compaction worker allocated
# (it runs a second after the reclaim) too: b's kernel memory (blocks
# and entries) covers its zpages.  Still frozen, so that b stores
# nothing between the two reads (once it ran on, zpages read 24576K
# after kernel had read 24296K)
sleep 2
expect "b: memory.stat kernel covers its zpages (K)" \
	"$(($(memstat "$b" kernel) / 1024))" -ge "$(zpages_k "$b")"
echo 0 >"$b/cgroup.freeze"
# every task of the cgroup, stress-ng's workers too
echo 1 >"$b/cgroup.kill"
wait "$pid" 2>/dev/null
i=0
while grep -q 'populated 1' "$b/cgroup.events" && [ $i -lt 20 ]; do sleep 1; i=$((i + 1)); done

# ---- offline ----------------------------------------------------------------
rmdir "$a" "$b"
expect "the sibling memcgs are gone" "$(ls -d "$a" "$b" 2>/dev/null | wc -l)" -eq 0
expect_held_matches_vmstat "pool pageframes = nr_*_zpages after rmdir" nr_anon_zpages nr_file_zpages
# each memcg stores zpages of its own: tmpfs pages it wrote, pushed out
# by memory.reclaim, still held when the memcg goes offline
mkdir -p /mnt/rc && mount -t tmpfs -o size=64M none /mnt/rc ||
	bail "cannot mount a tmpfs"
ar0=$(zs nr_arenas)
rt0=$(zs arenas_retired)
st0=$(zs stored)
n=0
while [ $n -lt "$rounds" ]; do
	cg=$(cg_make "zmm-rc-o$n-$$" 64M) || break
	in_cg "$cg" sh -c "yes 'zmm round $n' | head -c 1048576 >/mnt/rc/f$n"
	echo 1M >"$cg/memory.reclaim" 2>/dev/null
	if [ $n = 0 ]; then
		# the memcg goes offline holding zpages: they move to the
		# parent, copied into its blocks, not written back
		vm_fold
		z0=$(($(vm nr_anon_zpages) + $(vm nr_file_zpages)))
		mine=$((($(memstat "$cg" anon_zpages) + $(memstat "$cg" file_zpages)) / 4096))
		wb0=$(zs evict_writeback)
		mv0=$(zs moved)
	fi
	rmdir "$cg" 2>/dev/null || { sleep 1; rmdir "$cg" 2>/dev/null; }
	if [ $n = 0 ]; then
		sleep 1
		vm_fold
		z1=$(($(vm nr_anon_zpages) + $(vm nr_file_zpages)))
		mv=$(($(zs moved) - mv0))
		wb=$(($(zs evict_writeback) - wb0))
		note "memcg offline holding $mine pageframes of zpages: nr_*_zpages $z0 -> $z1, moved to the parent +$mv, written back +$wb"
		expect "a memcg holding zpages went offline: they moved to its parent" \
			"$mv" -gt 0
		expect "... none written back" "$wb" -eq 0
		# the parent's blocks hold them now: within a block each way
		expect "... nr_*_zpages kept (pageframes, within a block)" \
			"$z1" -ge $((z0 - 512))
		expect_held_matches_vmstat "... pool pageframes = nr_*_zpages" nr_anon_zpages nr_file_zpages
	fi
	rm -f "/mnt/rc/f$n"
	n=$((n + 1))
done
umount /mnt/rc
note "$n memcgs created, used and removed: nr_arenas $ar0 -> $(zs nr_arenas), arenas_retired +$(($(zs arenas_retired) - rt0)), nr_arenas_retired $(zs nr_arenas_retired), stored +$(($(zs stored) - st0))"
if [ "$(zs nr_arenas_retired)" -gt 0 ]; then
	note "retired arenas kept, and every arena (debugfs arenas):"
	sed 's/^/#   /' "$D/arenas"
fi
# debugfs arenas lists every arena the gauge counts (a header line first)
expect "debugfs arenas lists nr_arenas" \
	"$(($(wc -l <"$D/arenas") - 1))" -eq "$(zs nr_arenas)"
expect "the memcgs stored zpages" "$(($(zs stored) - st0))" -ge "$n"
expect "memcgs created and removed" "$n" -eq "$rounds"
# each memcg's arenas went with it: none outlives its memcg, except one
# kept by zpages that could neither move nor be written back (counted as
# retired); the 2 are the parent's, which inherits the zpages and gets
# the pages a dying memcg stores
expect "every removed memcg's arenas retired" \
	"$(($(zs arenas_retired) - rt0))" -ge "$n"
expect "arenas freed with their memcgs ($(zs nr_arenas_retired) retired kept)" \
	"$(zs nr_arenas)" -le $((ar0 + 2 + $(zs nr_arenas_retired)))
check "pool consistent" zmm_check

# ---- kswapd -----------------------------------------------------------------
sk0=$(($(vm zpage_steal_kswapd) + $(vm zpage_steal_direct)))
total=$(($(meminfo_kb MemTotal) / 1024))
note "global pressure: stress-ng of $((total * 3 / 2))M in ${total}M, no memcg limit"
stress-ng --vm 2 --vm-bytes "$((total * 3 / 2))M" --vm-method flip --verify \
	-t "$runtime" >/tmp/rc-global.log 2>&1
rc=$?
sed 's/^/#   /' /tmp/rc-global.log | tail -n 3
steal=$(($(vm zpage_steal_kswapd) + $(vm zpage_steal_direct) - sk0))
note "global: zpage_steal_kswapd+direct +$steal, nr_anon_zpages $(vm nr_anon_zpages)"
expect "global pressure: stress-ng --verify" "$rc" -eq 0
expect "global pressure: kswapd or direct reclaim shrank zpages" "$steal" -gt 0
expect_held_matches_vmstat "pool pageframes = nr_*_zpages after global pressure" nr_anon_zpages nr_file_zpages
check "pool consistent" zmm_check
tap_end
