#!/usr/bin/env bash
# zmm against zswap on the same kernel, in QEMU: one workload, several
# backends, N rounds interleaved (round 1: zmm, zswap, zswap+shrinker;
# round 2: zswap, zswap+shrinker, zmm; ...: each round starts one mode
# later), so that the drift of a TCG guest on a shared host, and whatever
# the position in a round does, hit every backend alike.  Reports, per
# backend, the median with min and max over the rounds of what the
# workload's ZMM-STAT line says (tests/vm/lib.sh stat_line), and per
# round the ratio to zswap with 6.12 defaults.  See bench/README.md ("VM
# comparison").
#
# Usage: bench/vm-compare.sh [-n ROUNDS] [-w anon|mthp|hotcold|sweep] [-a K=V]
#                             [-o DIR]
#   -n ROUNDS   rounds (default 3; fewer than 3 gives no median worth a name)
#   -w NAME     the scenario of tests/vm/ (default anon)
#   -a K=V      a tunable of the scenario for the guest, e.g.
#               ZMM_HC_LIMIT=48M (repeatable)
#   -o DIR      logs and results (default build/vm-compare)
# Environment: KDIR and BZIMAGE (another kernel), ZMM_COMPARE_MODES
# (default "zmm zswap zswap-shrinker"; also "zmm-base" and "zmm-kernel";
# any mode as "MODE:NAME=VALUE[,NAME=VALUE...]" has the backend's module
# parameters set in the guest before the workload, e.g.
# zmm:compact_slack_pct=12 or zswap:max_pool_percent=40; zmm's compressor
# and zstd_level are given to insmod, zmm:compressor=zstd),
# ZMM_COMPARE_BASE
# (a git commit: mode zmm-base runs zmm.ko built from that commit's
# sources, against the same kernel, so that a change to the module can be
# told apart from the noise in one interleaved run), ZMM_COMPARE_KDIR (the
# build directory of another kernel, e.g. one with a changed patch series:
# mode zmm-kernel boots it, with zmm.ko built against it, so that a change
# to the kernel can be told apart the same way).
set -euo pipefail
# The whole script is one compound command, read before it runs.
{

prog=vm-compare.sh
top=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
rounds=3
work=anon
out=$top/build/vm-compare
extra=()
# shellcheck disable=SC2206 # a list of words
modes=(${ZMM_COMPARE_MODES:-zmm zswap zswap-shrinker})

die() { echo "$prog: error: $*" >&2; exit 2; }
note() { echo "$prog: $*" >&2; }
while [ $# -gt 0 ]; do
	case $1 in
	-n) [ $# -ge 2 ] || die "-n needs a number"; rounds=$2; shift ;;
	-w) [ $# -ge 2 ] || die "-w needs a scenario"; work=$2; shift ;;
	-o) [ $# -ge 2 ] || die "-o needs a directory"; out=$2; shift ;;
	-a) [ $# -ge 2 ] || die "-a needs KEY=VALUE"; extra+=(-a "$2"); shift ;;
	-h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1' (see --help)" ;;
	esac
	shift
done
case $rounds in '' | *[!0-9]* | 0) die "-n wants a positive number" ;; esac
[ -f "$top/tests/vm/$work.sh" ] || die "no scenario tests/vm/$work.sh"
mkdir -p "$out"

# mode -> vm-run.sh arguments: the base mode's, and ZMM_PARAMS for the
# parameters after a colon (tests/vm/lib.sh params_apply)
mode_args() {
	case ${1%%:*} in
	zmm) echo -n "-M $out/kmod/zmm.ko -a ZMM_BACKEND=zmm" ;;
	zmm-base) echo -n "-M $out/kmod-base/zmm.ko -a ZMM_BACKEND=zmm" ;;
	zmm-kernel) echo -n "-M $out/kmod-kernel/zmm.ko -a ZMM_BACKEND=zmm" ;;
	zswap) echo -n "-a ZMM_BACKEND=zswap -a ZMM_ZSWAP_SHRINKER=N" ;;
	zswap-shrinker) echo -n "-a ZMM_BACKEND=zswap -a ZMM_ZSWAP_SHRINKER=Y" ;;
	*) die "unknown mode '$1'" ;;
	esac
	case $1 in
	*:*=*)
		case ${1#*:} in *[!A-Za-z0-9_=,.-]*) die "bad mode '$1'" ;; esac
		echo -n " -a ZMM_PARAMS=${1#*:}" ;;
	*:*) die "bad mode '$1': parameters are NAME=VALUE[,NAME=VALUE...]" ;;
	esac
	echo
}
for m in "${modes[@]}"; do
	mode_args "$m" >/dev/null	# dies on an unknown mode, before any run
done
bases=" ${modes[*]%%:*} "	# the modes without their parameters

# The kernel, zmm.ko and the initramfs, as scripts/vm-suite.sh finds them.
# shellcheck source=scripts/lib/kernel.sh
. "$top/scripts/lib/kernel.sh"
kernel_lookup || die "no kernel"
"$top/scripts/vm-kmod.sh" "$kdir" "$out/kmod" >/dev/null ||
	die "module build failed ($out/kmod/build.log)"
"$top/scripts/initramfs.sh" "$out/initramfs.cpio.gz" >/dev/null ||
	die "initramfs failed"
case $bases in
*" zmm-base "*)
	base_ref=${ZMM_COMPARE_BASE:-}
	[ -n "$base_ref" ] || die "mode zmm-base needs ZMM_COMPARE_BASE=<commit>"
	base_rev=$(git -C "$top" rev-parse --verify -q "$base_ref^{commit}") ||
		die "ZMM_COMPARE_BASE: '$base_ref' is not a commit of $top"
	rm -rf "$out/base-src"
	mkdir -p "$out/base-src"
	git -C "$top" archive "$base_rev" | tar -C "$out/base-src" -xf -
	"$out/base-src/scripts/vm-kmod.sh" "$kdir" "$out/kmod-base" >/dev/null ||
		die "zmm.ko of $base_ref: build failed ($out/kmod-base/build.log)"
	note "zmm-base: zmm.ko of $base_ref ($base_rev)"
	;;
esac
bzimage_other=
case $bases in
*" zmm-kernel "*)
	kdir_other=${ZMM_COMPARE_KDIR:-}
	[ -n "$kdir_other" ] || die "mode zmm-kernel needs ZMM_COMPARE_KDIR=<kernel build dir>"
	bzimage_other=$kdir_other/arch/x86/boot/bzImage
	[ -f "$bzimage_other" ] || die "ZMM_COMPARE_KDIR: no $bzimage_other"
	"$top/scripts/vm-kmod.sh" "$kdir_other" "$out/kmod-kernel" >/dev/null ||
		die "zmm.ko for $kdir_other: build failed ($out/kmod-kernel/build.log)"
	note "zmm-kernel: $bzimage_other"
	;;
esac

vm_args=(-m 256M --swap 1G)
[ "$work" = file ] && vm_args=(-m 192M --swap 1G --data 1G)

results=$out/results.txt
: >"$results"
nmodes=${#modes[@]}
for r in $(seq 1 "$rounds"); do
	# each round starts one mode later, so that no mode always runs
	# first (or right after the same one) in its round
	for i in $(seq 0 $((nmodes - 1))); do
		m=${modes[$(((r - 1 + i) % nmodes))]}
		log=$out/$work-$m-$r.log
		note "round $r/$rounds: $m ($work), log $log"
		k=$bzimage
		[ "${m%%:*}" = zmm-kernel ] && k=$bzimage_other
		# shellcheck disable=SC2046 # words of mode_args
		"$top/scripts/vm-run.sh" -k "$k" --initrd "$out/initramfs.cpio.gz" \
			"${vm_args[@]}" $(mode_args "$m") -a ZMM_LRU_GEN=y "${extra[@]}" \
			-a "ZMM_SCENARIOS=$work" -t group -T 1200 -l "$log" \
			>/dev/null 2>&1 </dev/null || note "round $r $m: the run failed (see $log)"
		stat=$(tr -d '\r' <"$log" | grep -a '^ZMM-STAT: ' | tail -n 1 || true)
		[ -n "$stat" ] || { note "round $r $m: no ZMM-STAT line"; continue; }
		echo "round=$r mode=$m ${stat#ZMM-STAT: }" >>"$results"
	done
done

# Median, min, max of each number per mode; ratio to zswap per round.
python3 - "$results" "$work" "${modes[@]}" <<'EOF'
import statistics, sys
path, work, modes = sys.argv[1], sys.argv[2], sys.argv[3:]
runs = []
for line in open(path):
    kv = dict(w.split("=", 1) for w in line.split() if "=" in w)
    runs.append(kv)
keys = ["ops_per_s", "pswpout", "out_fill", "out_work", "out_verify",
        "pswpin", "majflt", "oom", "zpage_steal", "stored", "loaded",
        "writeback", "rejects", "peak_pageframes", "ratio"]
def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None
print(f"# {work}: median [min, max] over {len(runs) // max(len(modes), 1)} rounds, interleaved")
print("| mode | " + " | ".join(keys) + " |")
print("|---" * (len(keys) + 1) + "|")
for m in modes:
    row = []
    for k in keys:
        xs = [num(r.get(k)) for r in runs if r.get("mode") == m]
        xs = [x for x in xs if x is not None]
        row.append(f"{statistics.median(xs):g} [{min(xs):g}, {max(xs):g}]" if xs else "-")
    print(f"| {m} | " + " | ".join(row) + " |")
by = {(r.get("round"), r.get("mode")): r for r in runs}
# against zswap: every mode; against zmm-base: zmm; against zmm: zmm-kernel
only = {"zmm-base": "zmm", "zmm": "zmm-kernel"}
for base in ("zswap", "zmm-base", "zmm"):
    if base not in modes or (base == "zmm" and "zmm-kernel" not in modes):
        continue
    print(f"\n# per-round ratio to {base} (ops_per_s; pswpout)")
    for m in modes:
        if m == base or (base in only and m != only[base]):
            continue
        rs, ps = [], []
        for rnd in sorted({r.get("round") for r in runs}, key=int):
            a, b = by.get((rnd, m)), by.get((rnd, base))
            if not a or not b:
                continue
            x, y = num(a.get("ops_per_s")), num(b.get("ops_per_s"))
            if x is not None and y:
                rs.append(x / y)
            x, y = num(a.get("pswpout")), num(b.get("pswpout"))
            if x is not None and y:
                ps.append(x / y)
        fmt = lambda v: f"{statistics.median(v):.2f} [{min(v):.2f}, {max(v):.2f}]" if v else "-"
        print(f"{m}/{base}: ops_per_s {fmt(rs)}; pswpout {fmt(ps)}")
EOF
note "raw: $results"
exit 0
}
