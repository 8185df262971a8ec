#!/usr/bin/env bash
# make check: every test of zmm, on a fresh Debian 12 machine too (each
# step installs what it needs).  Runs all steps even when one fails, and
# ends with one line over all of them: "N passed, M failed".
#
#   1. userspace: make check-user (core under ASan+UBSan and valgrind,
#      corpus self-test)
#   2. the test kernel (scripts/lib/kernel.sh: scripts/kernel-build.sh,
#      cached, or $KDIR's) and zmm.ko +
#      zmm_kunit.ko against it (make module, W=1): one test each
#   3. the VM scenarios: scripts/vm-suite.sh (make vm-test)
#   4. with ZMM_CHECK_DEBUG=1 (make check-all): the debug kernel run
#      (scripts/vm-suite.sh --debug; a cold debug kernel build is ~20 min)
set -uo pipefail
{

prog=check.sh
top=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
out=${OUT:-$top/build}
mkdir -p "$out"
passed=0
failed=0
steps=()
t_all=$(date +%s)

# add STEP P F SECONDS
add() {
	passed=$((passed + $2))
	failed=$((failed + $3))
	steps+=("$(printf '%-22s %4d passed %4d failed %6ss' "$1" "$2" "$3" "$4")")
}
# counts STEP LOG RC SECONDS: take the step's last "N passed, M failed"
counts() {
	local line p f
	line=$(tr -d '\r' <"$2" | grep -aE '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	if [ -z "$line" ]; then
		add "$1" 0 1 "$4"
		echo "$prog: $1: no summary line (exit status $3)"
		return
	fi
	p=${line%% passed*}
	f=${line#*, }
	f=${f%% failed*}
	[ "$3" != 0 ] && [ "$f" = 0 ] && f=1
	add "$1" "$p" "$f" "$4"
}
# step NAME CMD...: run, output to the terminal and to build/check-NAME.log
step() {
	local name=$1 t0 rc
	shift
	echo "==== $name: $*"
	t0=$(date +%s)
	"$@" 2>&1 | tee "$out/check-$name.log"
	rc=${PIPESTATUS[0]}
	echo "==== $name: exit status $rc, $(($(date +%s) - t0))s"
	return "$rc"
}

t0=$(date +%s)
step user make -C "$top" --no-print-directory check-user
counts userspace "$out/check-user.log" $? $(($(date +%s) - t0))

vm_ok=1
t0=$(date +%s)
# shellcheck source=scripts/lib/kernel.sh
. "$top/scripts/lib/kernel.sh"
# the build, logged and counted; then its paths (a lookup, no build)
if step kernel "$top/scripts/lib/kernel.sh" && kernel_lookup --no-build; then
	add "kernel build" 1 0 $(($(date +%s) - t0))
	t0=$(date +%s)
	if step module make -C "$top" --no-print-directory module KDIR="$kdir"; then
		add "module build" 1 0 $(($(date +%s) - t0))
	else
		add "module build" 0 1 $(($(date +%s) - t0))
		vm_ok=0
	fi
else
	add "kernel build" 0 1 $(($(date +%s) - t0))
	vm_ok=0
fi

if [ "$vm_ok" = 1 ]; then
	t0=$(date +%s)
	step vm "$top/scripts/vm-suite.sh" --ko-dir "$top"
	counts "VM suite" "$out/check-vm.log" $? $(($(date +%s) - t0))
	if [ "${ZMM_CHECK_DEBUG:-0}" = 1 ]; then
		t0=$(date +%s)
		step vm-debug "$top/scripts/vm-suite.sh" --debug
		counts "VM suite (debug)" "$out/check-vm-debug.log" $? $(($(date +%s) - t0))
	fi
else
	echo "$prog: kernel or module build failed: VM scenarios not run"
fi

echo
echo "==== make check ($(($(date +%s) - t_all))s, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%s\n' "${steps[@]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
exit
}
