#!/bin/sh
# shellcheck shell=dash
# A cyclic sweep larger than memory, ZMM_BACKEND=zmm or zswap:
# /bin/hotcold -c 0 -p PASSES (tests/vm/tools/hotcold.c) sweeps its data
# set in order, verifying and rewriting each page, in a memcg whose
# memory.max is below the set but above what the set compresses to.  LRU
# order is the worst policy for that pattern: the page written back is
# always the next one wanted.  The compressed set fits, so a backend that
# keeps it loads most pages from memory; one that stores every page and
# then writes it back thrashes the swap device.  Asserts: no bad page, no
# OOM kill, and with zmm that its pool loaded more pages than it wrote
# back (loaded > evict_writeback: it did not store and then write back
# nearly every page).  Prints a ZMM-STAT line with the counters for
# bench/vm-compare.sh and for the zswap run beside it.
# Tunables: ZMM_SW_LIMIT (memory.max, 48M), ZMM_SW_MIB (the set, 96),
# ZMM_SW_PASSES (3), ZMM_SAMPLE (2).
set -u
# shellcheck source=lib.sh
. /tests/lib.sh

limit=${ZMM_SW_LIMIT:-48M}
mib=${ZMM_SW_MIB:-96}
passes=${ZMM_SW_PASSES:-3}

backend_setup
cg=$(cg_make "zmm-sweep-$$" "$limit") || bail "cannot create a memory cgroup"
echo max >"$cg/memory.swap.max"

show_counters before
out0=$(vm pswpout); in0=$(vm pswpin); maj0=$(vm pgmajfault)
if [ "$BACKEND" = zmm ]; then
	st0=$(zs stored); ld0=$(zs loaded); wb0=$(zs evict_writeback)
else
	st0=$(vm zswpout); ld0=$(vm zswpin); wb0=$(vm zswpwb)
fi

note "hotcold -c 0 -w $mib -p $passes in memory.max=$limit"
peak_reset
T0=$(cut -d. -f1 /proc/uptime)
run_sampled "$cg" /tmp/sweep.log sweep hotcold -c 0 -w "$mib" -p "$passes"

done_line=$(grep '^HOTCOLD: done' /tmp/sweep.log)
field() { echo "$done_line" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
oom=$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")
pswpout=$(($(vm pswpout) - out0))
pswpin=$(($(vm pswpin) - in0))
majflt=$(($(vm pgmajfault) - maj0))
if [ "$BACKEND" = zmm ]; then
	stored=$(($(zs stored) - st0)); loaded=$(($(zs loaded) - ld0))
	wb=$(($(zs evict_writeback) - wb0))
else
	stored=$(($(vm zswpout) - st0)); loaded=$(($(vm zswpin) - ld0))
	wb=$(($(vm zswpwb) - wb0))
fi
show_counters after
note "sweep: stored $stored loaded $loaded written back $wb pswpout $pswpout pswpin $pswpin majflt $majflt"

expect "hotcold exit status (1 = bad pages)" "$rc" -eq 0
check "hotcold reported its run" [ -n "$done_line" ]
expect "no bad page" "$(field hot_bad)" -eq 0
expect "no OOM kill in the cgroup" "${oom:-0}" -eq 0
if [ "$BACKEND" = zmm ]; then
	expect "the set went to zpages (stored)" "$stored" -gt 0
	expect "zmm loaded more than it wrote back" "$loaded" -gt "$wb"
	check "pool consistent" zmm_check
else
	baseline "zswap loaded more than it wrote back" "$loaded" -gt "$wb"
fi
stat_line "ops_per_s=$(field ops_per_s) ms=$(field ms) stored=$stored loaded=$loaded writeback=$wb pswpout=$pswpout pswpin=$pswpin majflt=$majflt oom=${oom:-0}"
rmdir "$cg" 2>/dev/null || true
tap_end
