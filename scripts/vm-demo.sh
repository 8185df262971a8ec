#!/usr/bin/env bash
# make demo: boot the zmm test kernel in QEMU and show zmm at work under
# memory pressure, live (compressed pages, pool pageframes, ratio, swap
# I/O every 2 s), then the same workload with zswap as 6.12 sets it up
# (shrinker off) and with zswap's shrinker on, then a table of all three.
# Guest side: tests/vm/demo.sh.  About 5-6 minutes with a cached kernel.
# KDIR=... (and BZIMAGE=...) in the environment: use that kernel instead of
# the one of scripts/kernel-build.sh (see scripts/lib/kernel.sh).
set -uo pipefail
{

prog=vm-demo.sh
top=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
out=${ZMM_VM_OUT:-$top/build/vm}
mkdir -p "$out"
die() { echo "$prog: error: $*" >&2; exit 2; }

echo "== building (or reusing) the test kernel, zmm.ko and the initramfs"
# shellcheck source=scripts/lib/kernel.sh
. "$top/scripts/lib/kernel.sh"
kernel_lookup || die "no test kernel"
"$top/scripts/vm-kmod.sh" "$kdir" "$out/kmod-normal" >/dev/null || die "module build failed"
zmm_ko=$out/kmod-normal/zmm.ko
"$top/scripts/initramfs.sh" "$out/initramfs.cpio.gz" >/dev/null || die "initramfs failed"

# live view of the DEMO-SAMPLE lines
fmt='%-14s %-10s %5s %11s %11s %8s %11s %6s %5s %8s %8s\n'
live() {
	awk -v fmt="$fmt" '
	/^DEMO-SAMPLE: / {
		for (i = 4; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
		if (!hdr++) printf fmt, "backend", "phase", "t", "anon_zpages", "file_zpages", "zpages", "pageframes", "ratio", "fill", "pswpout", "pswpin"
		printf fmt, $2, $3, v["t"] "s", v["anon_zpages"], v["file_zpages"], v["zpages"], v["pageframes"], v["ratio"], v["fill"], v["pswpout"], v["pswpin"]
		fflush()
		next
	}
	/^DEMO-RESULT: |^(not )?ok |^stress-ng: (metrc|fail)|vm-run.sh: (PASS|FAIL)/ { print; fflush() }'
}

rc=0
for run in zmm zswap zswap-shrinker; do
	echo
	case $run in
	zmm)
		echo "== zmm: nr_anon_zpages / nr_file_zpages are pageframes (vmstat), zpages the pages stored,"
		echo "   ratio = zpages / pageframes, fill = compressed bytes stored / bytes of the pageframes;"
		echo "   anon: stress-ng --vm in 64M, file: 48 MiB read twice in 32M"
		args=(-M "$zmm_ko" -a ZMM_BACKEND=zmm) ;;
	zswap)
		echo "== zswap (lz4, zsmalloc, shrinker off: the 6.12 default), the same workload:"
		echo "   zpages = stored_pages, pageframes = pool_total_size / 4096"
		args=(-a ZMM_BACKEND=zswap -a ZMM_ZSWAP_SHRINKER=N) ;;
	zswap-shrinker)
		echo "== zswap with its shrinker on (shrinker_enabled=Y: writes cold entries back under pressure)"
		args=(-a ZMM_BACKEND=zswap -a ZMM_ZSWAP_SHRINKER=Y) ;;
	esac
	"$top/scripts/vm-run.sh" -k "$bzimage" --initrd "$out/initramfs.cpio.gz" "${args[@]}" \
		-m 256M --swap 1G --data 512M -t demo -T 900 \
		-l "$out/demo-$run.log" 2>&1 </dev/null | tr -d '\r' | live
	r=${PIPESTATUS[0]}
	[ "$r" = 0 ] || rc=$r
done

echo
echo "== summary (peak = the sample with the most pageframes in use)"
: >"$out/demo.txt"
for run in zmm zswap zswap-shrinker; do
	tr -d '\r' <"$out/demo-$run.log" >>"$out/demo.txt" 2>/dev/null
done
awk '
function kv(i, a) { delete v; for (i = 4; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] } }
function r(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "n/a" }
/^DEMO-RESULT: / && $3 == "anon" { kv(); anon[$2] = sprintf("%-14s %12s %14s %10s %13s %11s %6s %11s", $2, v["pswpout"], v["pswpin"], v["peak_zpages"], v["peak_pageframes"], r(v["peak_zpages"], v["peak_pageframes"]), v["verify_rc"] == 0 ? "ok" : "FAIL", v["ops_per_s"]) }
/^DEMO-RESULT: / && $3 == "file" { kv(); file[$2] = sprintf("%-14s %12s %14s %10s %13s %11s %6s %11s", $2, v["read2_loads"], v["read2_disk_kb"], v["peak_zpages"], v["peak_pageframes"], r(v["peak_zpages"], v["peak_pageframes"]), v["checksums_match"] == "yes" ? "ok" : "FAIL", v["read2_s"]) }
END {
	order[1] = "zmm"; order[2] = "zswap"; order[3] = "zswap+shrinker"
	printf "%-14s %12s %14s %10s %13s %11s %6s %11s\n", "anon", "to disk", "from disk", "held", "pageframes", "ratio", "verify", "bogo-ops/s"
	printf "%-14s %12s %14s %10s %13s %11s %6s %11s\n", "backend", "(pswpout)", "(pswpin)", "compressed", "used", "", "", ""
	for (i = 1; i <= 3; i++) if (order[i] in anon) print anon[order[i]]
	printf "\n%-14s %12s %14s %10s %13s %11s %6s %11s\n", "file", "2nd read:", "2nd read:", "held", "pageframes", "ratio", "md5", "2nd read"
	printf "%-14s %12s %14s %10s %13s %11s %6s %11s\n", "backend", "zmm loads", "disk KiB", "compressed", "used", "", "", "seconds"
	for (i = 1; i <= 3; i++) if (order[i] in file) print file[order[i]]
}' "$out/demo.txt"
echo "(logs: $out/demo-zmm.log, $out/demo-zswap.log, $out/demo-zswap-shrinker.log)"
exit "$rc"
}
