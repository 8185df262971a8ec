#!/usr/bin/env bash
# Run the kernel's own selftests (6.12: cgroup/test_memcontrol, cgroup/
# test_kmem, mm/khugepaged; cgroup/test_zswap in zswap mode) in the zmm VM,
# with zmm.ko or with zswap storing the swapped pages, and compare the two.  See Documentation/dev/vm-harness.rst ("Kernel
# selftests").
#
# Exit status: 0 when the run(s) passed (--mode both: when every case that
# passes with zswap also passes with zmm), 1 when cases failed, otherwise
# the failing scripts/vm-run.sh status (124 timeout, 125 crash, 126 splat)
# or 2 for setup errors.  The last line of the output is "N passed, M failed".
set -euo pipefail
# The whole script is one compound command, read before it runs.
{

prog=vm-selftests.sh
script=$(readlink -f "${BASH_SOURCE[0]}")
top=$(cd "$(dirname "$script")/.." && pwd)

usage() {
	cat <<EOF
Usage: scripts/$prog [options] [-- vm-run.sh options]

  --mode zmm|zswap|both  zmm: zmm.ko loaded, zswap off; zswap: zswap on
                         (lz4, zsmalloc), no zmm; both: zswap, then zmm,
                         then a case-by-case comparison (default: both)
  -M, --module FILE.ko   zmm.ko to load (default: \$ZMM_KO, else build it
                         with "make -C $top module KDIR=...")
  -d, --debug            debug kernel (scripts/kernel-build.sh --debug)
  -m, --mem SIZE         guest memory (default 1536M: khugepaged's
                         collapse_compound_extreme keeps up to 512 THPs)
  -T, --timeout SECS     limit for each VM run (default 2400)
  --khugepaged-args ARGS arguments of khugepaged, no spaces inside one
                         argument (default none: khugepaged and madvise
                         contexts, anonymous memory)
  --only SUITE           test_memcontrol, test_kmem, test_zswap or khugepaged
  -B, --bin-dir DIR      take the binaries from DIR (test_memcontrol,
                         khugepaged, and test_kmem, test_zswap when there)
                         instead of scripts/selftests-build.sh
  -o, --out DIR          logs and results (default: $top/build/vm)
  -h, --help             this text

The kernel is the one of scripts/kernel-build.sh (built if needed), or
\$BZIMAGE (default \$KDIR/arch/x86/boot/bzImage) when KDIR is set.
Each case is printed as a TAP line ("ok N - selftests-<mode>: suite case",
"# SKIP" for skips, "not ok" for failures).  Files in DIR:
selftests-<mode>.log (serial console), selftests-<mode>.cases (one
"PASS|FAIL|SKIP suite case" line each) and, for both, selftests-compare.txt.
EOF
}

die() { echo "$prog: error: $*" >&2; exit 2; }
note() { echo "$prog: $*" >&2; }

mode=both
module=${ZMM_KO:-}
debug=0
mem=1536M
timeout_s=2400
kh_args=
only=
bin_dir=${ZMM_SELFTESTS_BIN_DIR:-}
outdir=$top/build/vm
vm_extra=()
need() { [ $# -ge 2 ] || die "$1 needs an argument"; }
while [ $# -gt 0 ]; do
	case $1 in
	--mode) need "$@"; mode=$2; shift ;;
	-M|--module) need "$@"; module=$2; shift ;;
	-d|--debug) debug=1 ;;
	-m|--mem) need "$@"; mem=$2; shift ;;
	-T|--timeout) need "$@"; timeout_s=$2; shift ;;
	--khugepaged-args) need "$@"; kh_args=$2; shift ;;
	--only) need "$@"; only=$2; shift ;;
	-B|--bin-dir) need "$@"; bin_dir=$2; shift ;;
	-o|--out) need "$@"; outdir=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; vm_extra=("$@"); break ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done
case $mode in zmm|zswap|both) ;; *) die "--mode wants zmm, zswap or both" ;; esac
case $only in ''|test_memcontrol|test_kmem|test_zswap|khugepaged) ;;
*) die "--only wants test_memcontrol, test_kmem, test_zswap or khugepaged" ;; esac
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

# shellcheck source=scripts/lib/pkgs.sh
. "$top/scripts/lib/pkgs.sh"
ensure_pkgs kmod coreutils || die "cannot install kmod"

# --- kernel, selftests, module ---------------------------------------------
kargs=()
[ "$debug" = 1 ] && kargs+=(--debug)
# shellcheck source=scripts/lib/kernel.sh
. "$top/scripts/lib/kernel.sh"
kernel_lookup "${kargs[@]}" || die "no test kernel"
# selftests-build.sh below takes the same kernel
export KDIR=$kdir
release=$(cat "$KDIR/include/config/kernel.release" 2>/dev/null || echo unknown)

if [ -n "$bin_dir" ]; then
	senv=$(for b in test_memcontrol khugepaged test_kmem test_zswap; do
		if [ -f "$bin_dir/$b" ]; then echo "${b^^}=$(cd "$bin_dir" && pwd)/$b"; fi
	done; echo "KERNEL_KEY=bin-dir")
else
	senv=$("$top/scripts/selftests-build.sh" "${kargs[@]}") || die "selftests build failed"
fi
memcontrol=$(sed -n 's/^TEST_MEMCONTROL=//p' <<<"$senv")
khugepaged=$(sed -n 's/^KHUGEPAGED=//p' <<<"$senv")
# optional: older builds of selftests-build.sh do not print them
kmem=$(sed -n 's/^TEST_KMEM=//p' <<<"$senv")
zswap_test=$(sed -n 's/^TEST_ZSWAP=//p' <<<"$senv")
kkey=$(sed -n 's/^KERNEL_KEY=//p' <<<"$senv")
[ -f "$memcontrol" ] || die "no test_memcontrol ($memcontrol)"
[ -f "$khugepaged" ] || die "no khugepaged ($khugepaged)"
[ -n "$kmem" ] || note "no TEST_KMEM from the selftests build: test_kmem is not run"
[ -n "$zswap_test" ] || note "no TEST_ZSWAP from the selftests build: test_zswap is not run"

if [ "$mode" != zswap ]; then
	if [ -z "$module" ]; then
		note "building zmm.ko against $KDIR"
		env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$top" module KDIR="$KDIR" >&2 ||
			die "make module failed"
		module=$top/zmm.ko
	fi
	[ -f "$module" ] || die "no module $module"
	vermagic=$(modinfo -F vermagic "$module" 2>/dev/null || true)
	[ "${vermagic%% *}" = "$release" ] ||
		die "$module is built for '${vermagic%% *}', the kernel is $release"
fi

# Files for the guest: the test, the binaries and the libraries they need
# (the base initramfs has glibc already for stress-ng; same host, same files).
files=(-f "$top/tests/vm/selftests.sh:/tests/selftests.sh"
	-f "$memcontrol:/opt/selftests/test_memcontrol"
	-f "$khugepaged:/opt/selftests/khugepaged")
bins=("$memcontrol" "$khugepaged")
[ -n "$kmem" ] && files+=(-f "$kmem:/opt/selftests/test_kmem") && bins+=("$kmem")
[ -n "$zswap_test" ] && files+=(-f "$zswap_test:/opt/selftests/test_zswap") && bins+=("$zswap_test")
while read -r lib; do
	files+=(-f "$lib:$lib")
done < <(ldd "${bins[@]}" | awk '
	$2 == "=>" && $3 ~ /^\// { print $3; next }
	$1 ~ /^\// { print $1 }' | sort -u)

# run_mode MODE: one VM run; sets run_status, writes <out>/selftests-MODE.*
run_mode() {
	local m=$1 log=$outdir/selftests-$1.log cases=$outdir/selftests-$1.cases
	local args=("${files[@]}" -k "$bzimage" --swap 1G --data 1G -m "$mem"
		-T "$timeout_s" -t selftests --log "$log" -a "ZMM_SELFTESTS_MODE=$m")
	[ "$m" = zmm ] && args+=(-M "$module")
	[ -n "$kh_args" ] && args+=(-a "ZMM_SELFTESTS_KHUGEPAGED_ARGS=$kh_args")
	[ -n "$only" ] && args+=(-a "ZMM_SELFTESTS_ONLY=$only")
	note "mode $m: kernel $kkey ($release), log $log"
	local t0=$SECONDS
	run_status=0
	"$top/scripts/vm-run.sh" "${args[@]}" "${vm_extra[@]}" >/dev/null || run_status=$?
	# "RESULT SUITE CASE [(NOTE)]", e.g. "(flaky: failed in 1 of 2 runs)"
	tr -d '\r' <"$log" | sed -n 's/.*SELFTEST-CASE: \(PASS\|FAIL\|SKIP\) \([^ ]*\) \([^ ]*\)\( (.*)\)\{0,1\}$/\1 \2 \3\4/p' >"$cases"
	awk -v m="$m" '{
		note = $0; sub(/^[^ ]+ [^ ]+ [^ ]+ ?/, "", note)
		printf "%s %d - selftests-%s: %s %s%s%s\n", $1 == "FAIL" ? "not ok" : "ok", NR, m,
			$2, $3, note != "" && $1 != "SKIP" ? " " note : "",
			$1 == "SKIP" ? " # SKIP" (note != "" ? " " note : "") : ""
	}' "$cases"
	summary=$(tr -d '\r' <"$log" | grep -aoE '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1 || true)
	skipped=$(tr -d '\r' <"$log" | grep -aoE '^[0-9]+ skipped$' | tail -n 1 || true)
	note "mode $m: ${summary:-no summary}${skipped:+, $skipped}; vm-run.sh status $run_status after $((SECONDS - t0))s"
}

if [ "$mode" != both ]; then
	run_mode "$mode"
	echo "${summary:-0 passed, 1 failed}"
	exit "$run_status"
fi

run_mode zswap
zswap_status=$run_status zswap_summary=$summary
run_mode zmm
zmm_status=$run_status zmm_summary=$summary

# Case by case: a case that passes with zswap must pass with zmm.  The
# suites that test zswap itself (test_zswap) run in zswap mode only: their
# cases count as they are (the zpage hooks sit in zswap's paths too, so a
# failure there is a failure of the series).
cmp=$outdir/selftests-compare.txt
awk -v key="$kkey" -v rel="$release" -v zswap_only="test_zswap" '
	FNR == NR { z[$2 " " $3] = $1; zf[$2 " " $3] = /flaky/; order[++n] = $2 " " $3; next }
	{ m[$2 " " $3] = $1; mf[$2 " " $3] = /flaky/; if (!(($2 " " $3) in z)) order[++n] = $2 " " $3 }
	END {
		printf "kernel %s (%s)\n%-62s %-6s %-6s\n", key, rel, "case", "zswap", "zmm"
		for (i = 1; i <= n; i++) {
			c = order[i]; a = (c in z) ? z[c] : "-"; b = (c in m) ? m[c] : "-"
			flag = ""
			split(c, sc, " ")
			if (index(" " zswap_only " ", " " sc[1] " ")) {
				b = "n/a"; flag = "  (zswap only)"
				if (a == "PASS") good++
				else if (a == "FAIL") { bad++; flag = "  (zswap only) <-- FAILED" }
			}
			else if (a == "PASS" && b != "PASS") { flag = "  <-- REGRESSION"; bad++ }
			else if (a == "PASS") good++
			if (zf[c] || mf[c]) { flaky++; if (zf[c]) a = a "*"; if (mf[c]) b = b "*" }
			printf "%-62s %-6s %-6s%s\n", c, a, b, flag
		}
		if (flaky)
			printf "* passed on a second run only (flaky), see the TAP lines\n"
		printf "%d passed, %d failed\n", good, bad
	}' "$outdir/selftests-zswap.cases" "$outdir/selftests-zmm.cases" >"$cmp"
sed '$d' "$cmp"
note "zswap: ${zswap_summary:-no summary} (vm-run.sh $zswap_status); zmm: ${zmm_summary:-no summary} (vm-run.sh $zmm_status)"
note "comparison: cases passing with zswap that pass (passed) or not (failed) with zmm ($cmp)"
status=0
for s in $zswap_status $zmm_status; do
	case $s in 0|1) ;; *) [ "$status" != 0 ] || status=$s ;; esac
done
regress=$(tail -n 1 "$cmp" | sed 's/.*passed, \([0-9]*\) failed/\1/')
[ "$status" = 0 ] && [ "$regress" != 0 ] && status=1
tail -n 1 "$cmp"
exit "$status"
}
