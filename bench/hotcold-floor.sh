#!/bin/sh
# Usage: bench/hotcold-floor.sh LOG...
#
# The least a pool can write to swap in a hotcold run (tests/vm/hotcold.sh)
# and still keep the whole hot set resident, worked out from the run's
# own log (a zmm round of bench/vm-compare.sh -w hotcold).  From the
# sample in the middle of the run (the hot phase, where the pool holds
# still), it takes:
#   B  compressed bytes per zpage (stored_bytes / zpages)
#   P  pool pageframes per zpage (pool_pageframes / zpages: B plus the
#      blocks' slack)
#   S  memcg slab pageframes per zpage (zmm's entries and index are
#      charged to the memcg; zswap's entries are not)
#   F  the rest of the memcg: memory.current less the hot set, the pool
#      and the slab (page tables, the program, other kernel memory)
# Then room = memory.max - hot pages - F, the zpages that fit are
# room / (B/4096 + S) with perfect packing, room / (P + S) with the
# pool's packing as measured, and the floor is the cold pages less
# those.  Prints one line per log with the pages written before the
# final read (out_fill + out_work) and in all (pswpout) for comparison.
set -eu

[ $# -gt 0 ] || { sed -n '2,/^set -eu/{/^set -eu/d;s/^# \{0,1\}//;p}' "$0"; exit 2; }

for log in "$@"; do
	awk -v lf="$log" '
	function kv(line, k,    n, i, a, b) {
		n = split(line, a, " ")
		for (i = 1; i <= n; i++) {
			split(a[i], b, "=")
			if (b[1] == k)
				return b[2]
		}
		return ""
	}
	function pages(s,    n, u) {
		n = s + 0
		u = toupper(substr(s, length(s)))
		if (u == "M") return n * 256
		if (u == "G") return n * 262144
		if (u == "K") return n / 4
		return n / 4096
	}
	{ sub(/\r$/, "") }	# CR of the serial console
	/^# hotcold: hotcold -c / {
		for (i = 1; i <= NF; i++)
			if ($i ~ /^memory\.max=/) { sub(/^memory\.max=/, "", $i); limit = pages($i) }
	}
	/^# sample t=/ { pool[++np] = $0 }
	/^# sample   memcg / { memcg[++nm] = $0 }
	/HOTCOLD: fill cold_pages=/ { cold = kv($0, "cold_pages"); hot = kv($0, "hot_pages") }
	/^ZMM-STAT: hotcold / {
		wrote = kv($0, "pswpout")
		before = kv($0, "out_fill") + kv($0, "out_work")
	}
	END {
		if (!np || np != nm || !limit || !cold) {
			printf "%s: no hotcold samples with memcg lines (zmm round of tests/vm/hotcold.sh?)\n", lf
			exit 1
		}
		m = int((np + 1) / 2)
		z = kv(pool[m], "zpages"); bytes = kv(pool[m], "stored_bytes")
		held = kv(pool[m], "pool_pageframes")
		cur = kv(memcg[m], "current"); slab = kv(memcg[m], "slab")
		if (!z) {
			printf "%s: the middle sample holds no zpages\n", lf
			exit 1
		}
		B = bytes / z; P = held / z; S = slab / z
		F = cur - hot - held - slab
		room = limit - hot - F
		perfect = cold - room / (B / 4096 + S)
		packed = cold - room / (P + S)
		printf "%s: t=%s limit=%d hot=%d cold=%d B=%.0f P=%.3f S=%.4f F=%d floor_perfect=%.0f floor_packed=%.0f wrote_before_read=%d wrote=%d\n",
			lf, kv(pool[m], "t"), limit, hot, cold, B, P, S, F,
			perfect < 0 ? 0 : perfect, packed < 0 ? 0 : packed, before, wrote
	}' "$log"
done
