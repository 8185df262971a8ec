#!/bin/sh
# shellcheck shell=dash
# A cold data set and a hot working set above memory.max, ZMM_BACKEND=zmm
# or zswap: /bin/hotcold (tests/vm/tools/hotcold.c) fills the cold set
# once, then rewrites random pages of the hot set for a while, verifying
# every page it reads, and at the end verifies the cold set.  Asserts: no
# bad page, no OOM kill, the cold set went to the backend; with zmm and a
# kernel that lets reclaim shrink zpages (zpage_steal_* in /proc/vmstat),
# that reclaim took zpages back once it asked for more than old loads'
# credit covers (load_credit, plus a block's slack per arena: at
# memory.max=96M it asks almost nothing, and the final read's loads cover
# it); and that the final read, which loads back what the pool holds,
# wrote back at most a quarter as many zpages as it read (evict_writeback
# against load_credit in that phase): a zpage written then is one the
# reader wants next; and that the fill's writebacks did not count as
# refaults (workingset_refault_anon: at most its loads, a quarter of its
# writebacks and 64 more).  Prints a ZMM-STAT line with throughput,
# pswpout, major faults and the pool's peak, for bench/vm-compare.sh.
# Tunables: ZMM_HC_LIMIT (memory.max, 64M), ZMM_HC_COLD (MiB, 96),
# ZMM_HC_HOT (MiB, 24), ZMM_HC_TIME (seconds of hot accesses, 30),
# ZMM_HC_WRITEBACK (the cgroup's memory.zpages.writeback, zmm only;
# unset: the default, 1), ZMM_SAMPLE (2).  With zmm's recompress= set
# (ZMM_PARAMS=recompress=zstd), asserts that cold zpages were recompressed.
set -u
# shellcheck source=lib.sh
. /tests/lib.sh

limit=${ZMM_HC_LIMIT:-64M}
cold=${ZMM_HC_COLD:-96}
hot=${ZMM_HC_HOT:-24}
secs=${ZMM_HC_TIME:-30}
every=${ZMM_SAMPLE:-2}

# the reclaim steal of zpages, all kinds of reclaim (0 on a kernel without)
zpage_steal() {
	echo $(($(vm zpage_steal_kswapd) + $(vm zpage_steal_direct) + $(vm zpage_steal_memcg)))
}
# ... and what reclaim asked
zpage_scan() {
	echo $(($(vm zpage_scan_kswapd) + $(vm zpage_scan_direct) + $(vm zpage_scan_memcg)))
}

backend_setup
cg=$(cg_make "zmm-hotcold-$$" "$limit") || bail "cannot create a memory cgroup"
echo max >"$cg/memory.swap.max"
if [ -n "${ZMM_HC_WRITEBACK:-}" ] && [ "$BACKEND" = zmm ]; then
	echo "$ZMM_HC_WRITEBACK" >"$cg/memory.zpages.writeback" ||
		bail "memory.zpages.writeback refused '$ZMM_HC_WRITEBACK'"
	note "memory.zpages.writeback=$(cat "$cg/memory.zpages.writeback")"
fi

show_counters before
out0=$(vm pswpout); maj0=$(vm pgmajfault); steal0=$(zpage_steal); scan0=$(zpage_scan)
credit0=$(zs load_credit)
recomp0=$(zs recompressed)

note "hotcold -c $cold -w $hot -t $secs in memory.max=$limit"
peak_reset
zpage_trace_on || true
T0=$(cut -d. -f1 /proc/uptime)
run_sampled "$cg" /tmp/hotcold.log hotcold hotcold -c "$cold" -w "$hot" -t "$secs"

zpage_trace_report
done_line=$(grep '^HOTCOLD: done' /tmp/hotcold.log)
field() { echo "$done_line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# counter $1 in phase $2, fill, work or verify (the final read), from
# "HOTCOLD: NAME fill=A work=B verify=C"; empty when not reported
in_phase() {
	awk -v n="$1" -v p="$2=" '$1 == "HOTCOLD:" && $2 == n {
		for (i = 3; i <= NF; i++)
			if (index($i, p) == 1)
				print substr($i, length(p) + 1)
	}' /tmp/hotcold.log
}
# pswpout by phase (fill, hot accesses, the last check of every page)
phase=$(sed -n 's/^HOTCOLD: pswpout fill=\([0-9]*\) work=\([0-9]*\) verify=\([0-9]*\)$/out_fill=\1 out_work=\2 out_verify=\3/p' /tmp/hotcold.log)
ops_s=$(field ops_per_s)
oom=$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")
pswpout=$(($(vm pswpout) - out0))
majflt=$(($(vm pgmajfault) - maj0))
steal=$(($(zpage_steal) - steal0))
scan=$(($(zpage_scan) - scan0))
credit=$(($(zs load_credit) - credit0))

expect "hotcold exit status (1 = bad pages)" "$rc" -eq 0
check "hotcold reported its run" [ -n "$done_line" ]
expect "no bad hot page" "$(field hot_bad)" -eq 0
expect "no bad cold page" "$(field cold_bad)" -eq 0
expect "no OOM kill in the cgroup" "${oom:-0}" -eq 0
if [ "$BACKEND" = zmm ]; then
	expect "the cold set went to zpages (peak nr_anon_zpages)" "$(peak_get anon)" -gt 0
	if vm_has zpage_steal_memcg; then
		# old loads' credit covers asks (load_credit), and a shrink
		# frees whole blocks, the rest credit too (4 blocks of
		# slack); beyond that reclaim must have taken zpages back
		if [ "$scan" -gt $((credit + 2048)) ]; then
			expect "reclaim asked $scan pageframes, $credit credited: it took zpages back (zpage_steal_*)" "$steal" -gt 0
		else
			note "reclaim asked $scan pageframes of zpages, took $steal: the loads' credit ($credit) covers that"
		fi
	fi
	wb_verify=$(in_phase evict_writeback verify)
	read_verify=$(in_phase load_credit verify)
	if [ -n "$wb_verify" ] && [ -n "$read_verify" ]; then
		expect "the final read wrote back $wb_verify zpages, at most a quarter of the $read_verify it read back" \
			"$((4 * wb_verify))" -le "$read_verify"
	else
		not_ok "hotcold reported evict_writeback and load_credit by phase"
	fi
	# a writeback adds a folio for the slot to the swap cache: it is
	# no refault, where loads of zpages are (kernel patch 5)
	wb_fill=$(in_phase evict_writeback fill)
	rf_fill=$(in_phase workingset_refault_anon fill)
	lc_fill=$(in_phase load_credit fill)
	lch_fill=$(in_phase load_churn fill)
	ld_fill=$((${lc_fill:-0} + ${lch_fill:-0}))
	if [ -z "$wb_fill" ] || [ -z "$rf_fill" ]; then
		not_ok "hotcold reported evict_writeback and workingset_refault_anon by phase"
	elif [ "$wb_fill" -ge 256 ]; then
		expect "the fill's $wb_fill writebacks were not counted as refaults ($rf_fill refaults, $ld_fill loads)" \
			"$rf_fill" -le $((ld_fill + wb_fill / 4 + 64))
	else
		note "the fill wrote back $wb_fill zpages: too few to tell writebacks from refaults"
	fi
	# a second compressor (recompress=): each cold zpage gets its
	# chance before any goes to swap
	recomp=$(($(zs recompressed) - recomp0))
	if [ "$(cat "$P/recompress" 2>/dev/null || echo none)" != none ]; then
		expect "cold zpages recompressed ($(zs recompress_saved_bytes) bytes saved, $(zs recompress_poor) poor)" "$recomp" -gt 0
	fi
	check "pool consistent" zmm_check
else
	expect "the cold set went to zswap (peak pool pageframes)" "$(peak_get held)" -gt 0
fi
stat_line "ops_per_s=${ops_s:-0} pswpout=$pswpout majflt=$majflt oom=${oom:-0} zpage_steal=$steal recompressed=${recomp:-0} $phase"
rmdir "$cg" 2>/dev/null || true
tap_end
