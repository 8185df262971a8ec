#!/usr/bin/env bash
# Boot the zmm test kernel in QEMU (TCG), run one guest test, judge the run.
#
# Exit status: the guest test's rc (from the "ZMM-VM-RESULT: rc=N" line);
# 124 when the hard timeout fired, 125 when the marker is missing, 126 when
# the test passed but the kernel log has a splat (BUG/WARNING/KASAN/lockdep/
# Oops/panic...).  See Documentation/dev/vm-harness.rst.
#
# scripts/vm-run.sh --splats LOG prints the splat lines of a serial log
# (exit 0 when there are none): the one definition of a splat (splat_re
# below), which scripts/vm-suite.sh uses too.
set -euo pipefail
# The whole script is one compound command, read before it runs: editing
# the file while it runs (e.g. during a long build) cannot break it.
{

prog=vm-run.sh
script=$(readlink -f "${BASH_SOURCE[0]}")
top=$(cd "$(dirname "$script")/.." && pwd)
cache=${ZMM_CACHE:-/var/cache/zmm}
deps=(qemu-system-x86 e2fsprogs coreutils)

usage() {
	cat <<EOF
Usage: scripts/$prog [options] [-- extra kernel command line]

  -t, --test NAME        run /tests/NAME[.sh] in the guest (scripts/vm/tests/);
                         without a test an interactive shell is started
  -k, --kernel BZIMAGE   kernel (default: \$KDIR's when KDIR is set, else
                         scripts/kernel-build.sh's, built if needed; see
                         scripts/lib/kernel.sh)
  -d, --debug            use the debug kernel (scripts/kernel-build.sh --debug)
  -i, --initrd FILE      initramfs (default: scripts/initramfs.sh, cached)
  -M, --module FILE.ko   add a module to the initramfs and insmod it at boot
                         (repeatable, loaded in the given order)
  -f, --file SRC[:DEST]  add a file to the initramfs (see scripts/initramfs.sh)
  -m, --mem SIZE         guest memory (default 512M)
  -c, --smp N            virtual CPUs (default 2)
  -s, --swap SIZE        attach a sparse raw swap disk (virtio serial zmm-swap,
                         usually /dev/vda) and boot with zmm.swap=1; the guest
                         marks it non-rotational before swapon
      --swap-rotational  leave the swap disk rotational (zmm.swap_rotational=1):
                         6.12 then splits large folios before swapping them
  -D, --data SIZE        attach an ext4 data disk (serial zmm-data, usually
                         /dev/vdb), mounted on /data in the guest
  -a, --append ARGS      extra kernel command line arguments
  -T, --timeout SECS     hard limit for the whole VM run (default 600)
  -l, --log FILE         serial log (default: \$ZMM_CACHE/logs/<test>-<time>.log)
      --no-splat-check   do not fail on kernel splats in the log
      --splats LOG       only print the kernel splat lines of a serial log
  -h, --help             this text

Example: scripts/$prog --swap 1G --test smoke
EOF
}

die() { echo "$prog: error: $*" >&2; exit 2; }
note() { echo "$prog: $*" >&2; }

# Kernel splats: the kernel's own formats, never a bare word that a test's
# output may contain too (LTP prints "TINFO: WARNING: ...", selftests
# "WARNING: ...").  A message the kernel starts with a printk timestamp
# (CONFIG_PRINTK_TIME; anywhere in the line, as userspace output on the
# same console may precede it) followed by one of the usual headers; or,
# without the timestamp, a header only the kernel prints.
ts='\[ *[0-9]+\.[0-9]+\] '
splat_re="$ts(WARNING: |BUG: |Oops|Kernel panic|kernel BUG at |KASAN: |UBSAN: |general protection fault|Unable to handle kernel|INFO: task .* blocked for more than|INFO: possible |INFO: rcu|rcu: INFO: |watchdog: BUG: |DEBUG_LOCKS_WARN_ON|turning off the locking correctness validator|kmemleak: [0-9]+ new suspected)"
splat_re="$splat_re|WARNING: CPU: [0-9]+ PID: [0-9]+|kernel BUG at [^ ]+:[0-9]+|BUG: KASAN: |Kernel panic - not syncing|possible circular locking dependency detected|possible recursive locking detected|blocked for more than [0-9]+ seconds|UBSAN: [a-z-]+ in "
unset ts
# splats_of LOG: its splat lines; lines echoing the command line are ignored
splats_of() {
	grep -aE "$splat_re" "$1" | grep -avE 'Command line:|command line:|zmm-init: kernel .*cmdline:' || true
}

# ensure_pkgs: install missing Debian packages (one dpkg-query when present)
# shellcheck source=scripts/lib/pkgs.sh
. "$top/scripts/lib/pkgs.sh"

test_name=
kernel=
debug=0
initrd=
modules=()
files=()
mem=512M
smp=2
swap_size=
data_size=
append=
timeout_s=600
log=
splat_check=1
swap_rot=0
need() { [ $# -ge 2 ] || die "$1 needs an argument"; }
while [ $# -gt 0 ]; do
	case $1 in
	-t|--test) need "$@"; test_name=$2; shift ;;
	-k|--kernel) need "$@"; kernel=$2; shift ;;
	-d|--debug) debug=1 ;;
	-i|--initrd) need "$@"; initrd=$2; shift ;;
	-M|--module) need "$@"; modules+=("$2"); shift ;;
	-f|--file) need "$@"; files+=("$2"); shift ;;
	-m|--mem) need "$@"; mem=$2; shift ;;
	-c|--smp) need "$@"; smp=$2; shift ;;
	-s|--swap) need "$@"; swap_size=$2; shift ;;
	-D|--data) need "$@"; data_size=$2; shift ;;
	-a|--append) need "$@"; append="$append $2"; shift ;;
	-T|--timeout) need "$@"; timeout_s=$2; shift ;;
	-l|--log) need "$@"; log=$2; shift ;;
	--no-splat-check) splat_check=0 ;;
	--swap-rotational) swap_rot=1 ;;
	--splats) need "$@"; tr -d '\r' <"$2" >"${TMPDIR:-/tmp}/zmm-splats.$$" || exit 2
		splats_of "${TMPDIR:-/tmp}/zmm-splats.$$"
		rm -f "${TMPDIR:-/tmp}/zmm-splats.$$"
		exit 0 ;;
	-h|--help) usage; exit 0 ;;
	--) shift; append="$append $*"; break ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done
case $timeout_s in '' | *[!0-9]*) die "--timeout wants seconds" ;; esac

ensure_pkgs "${deps[@]}" || die "cannot install: ${deps[*]}"

if [ -z "$kernel" ]; then
	kargs=()
	[ "$debug" = 1 ] && kargs+=(--debug)
	# shellcheck source=scripts/lib/kernel.sh
	. "$top/scripts/lib/kernel.sh"
	kernel_lookup "${kargs[@]}" || die "no test kernel"
	kernel=$bzimage
fi
[ -f "$kernel" ] || die "kernel image not found: $kernel"

work=$(mktemp -d "${TMPDIR:-/tmp}/zmm-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Initramfs: base (given or cached) plus an overlay with modules and files.
extra=()
modnames=()
for m in "${modules[@]}"; do
	[ -f "$m" ] || die "module not found: $m"
	extra+=("$m:/lib/modules-zmm/")
	modnames+=("${m##*/}")
done
extra+=("${files[@]}")
if [ -z "$initrd" ]; then
	"$top/scripts/initramfs.sh" "$work/initrd.cpio.gz" "${extra[@]}" >/dev/null
	initrd=$work/initrd.cpio.gz
elif [ ${#extra[@]} -gt 0 ]; then
	[ -f "$initrd" ] || die "initramfs not found: $initrd"
	"$top/scripts/initramfs.sh" --overlay-only "$work/overlay.cpio.gz" "${extra[@]}" >/dev/null
	cat "$initrd" "$work/overlay.cpio.gz" >"$work/initrd.cpio.gz"
	initrd=$work/initrd.cpio.gz
fi
[ -f "$initrd" ] || die "initramfs not found: $initrd"

cmdline="console=ttyS0,115200 earlyprintk=serial,ttyS0,115200 panic=-1 oops=panic"
[ -n "$test_name" ] && cmdline="$cmdline zmm.test=$test_name"
if [ ${#modnames[@]} -gt 0 ]; then
	cmdline="$cmdline zmm.modules=$(IFS=,; echo "${modnames[*]}")"
fi

disks=()
if [ -n "$swap_size" ]; then
	truncate -s "$swap_size" "$work/swap.img"
	disks+=(-drive "file=$work/swap.img,format=raw,if=none,id=swap,cache=unsafe"
		-device "virtio-blk-pci,drive=swap,serial=zmm-swap")
	cmdline="$cmdline zmm.swap=1"
	[ "$swap_rot" = 1 ] && cmdline="$cmdline zmm.swap_rotational=1"
fi
if [ -n "$data_size" ]; then
	truncate -s "$data_size" "$work/data.img"
	mkfs.ext4 -F -q "$work/data.img"
	disks+=(-drive "file=$work/data.img,format=raw,if=none,id=data,cache=unsafe"
		-device "virtio-blk-pci,drive=data,serial=zmm-data")
fi
read -r -a words <<<"$append" || true
[ ${#words[@]} -eq 0 ] || cmdline="$cmdline ${words[*]}"

if [ -z "$log" ]; then
	mkdir -p "$cache/logs"
	log=$cache/logs/${test_name:-shell}-$(date +%Y%m%d-%H%M%S)-$$.log
	# shellcheck disable=SC2012 # names are ours
	{ ls -1t "$cache"/logs/*.log 2>/dev/null || true; } | tail -n +51 | xargs -r rm -f
fi
mkdir -p "$(dirname "$log")"

qemu=(qemu-system-x86_64 -accel "tcg,thread=multi" -cpu max -m "$mem" -smp "$smp"
	-nographic -no-reboot -vga none -nic none
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" "${disks[@]}")
note "kernel: $kernel"
note "cmdline: $cmdline"
note "log: $log (timeout ${timeout_s}s)"

t0=$(date +%s)
qrc=0
if [ -z "$test_name" ] && [ -t 0 ]; then
	# interactive shell: keep the terminal (Ctrl-A X quits qemu)
	timeout --foreground -k 10 "$timeout_s" "${qemu[@]}" | tee "$log" || qrc=$?
else
	timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null | tee "$log" || qrc=${PIPESTATUS[0]}
fi
elapsed=$(($(date +%s) - t0))

clean=$work/log.txt
tr -d '\r' <"$log" >"$clean"

splats=$(splats_of "$clean")

rc=$(grep -aoE 'ZMM-VM-RESULT: rc=[0-9]+' "$clean" | tail -n 1 | sed 's/.*rc=//' || true)
reason=
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	reason="timeout after ${timeout_s}s"
	status=124
elif [ -z "$rc" ]; then
	reason="no ZMM-VM-RESULT line (qemu exit status $qrc)"
	status=125
else
	status=$rc
	[ "$rc" = 0 ] || reason="guest test failed with rc=$rc"
fi
if [ -n "$splats" ]; then
	echo "$prog: kernel splats found in the log:" >&2
	printf '%s\n' "$splats" | head -n 20 | sed 's/^/  /' >&2
	if [ "$splat_check" = 1 ]; then
		reason="${reason:+$reason; }kernel splat in the log"
		[ "$status" = 0 ] && status=126
	fi
fi
if [ "$status" = 0 ]; then
	note "PASS ${test_name:-shell} in ${elapsed}s (log: $log)"
else
	note "FAIL ${test_name:-shell} in ${elapsed}s: $reason (exit $status, log: $log)"
fi
exit "$status"
}
