#!/usr/bin/env bash
# Run every userspace test binary and print one summary line:
# "N passed, M failed".  Exits non-zero if anything failed.
#   run-tests.sh BUILD_DIR
set -uo pipefail

out=${1:?usage: $0 BUILD_DIR}
passed=0
failed=0

run() {
	local name=$1
	shift
	local log="$out/$name.log"
	echo "== $name"
	"$@" >"$log" 2>&1
	local rc=$?
	grep -E '^(not )?ok |^# ' "$log" | sed 's/^/   /'
	local line p f
	# "N passed, M failed", or TAP's "# NAME: N passed, M failed"
	line=$(grep -E '^(# [^:]*: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [[ -z $line ]]; then
		echo "   (no summary line; rc=$rc; see $log)"
		tail -n 20 "$log" | sed 's/^/   | /'
		failed=$((failed + 1))
		return
	fi
	p=${line%% passed*}
	p=${p##* }
	f=${line#*, }
	f=${f%% failed*}
	passed=$((passed + p))
	failed=$((failed + f))
	if ((rc != 0 && f == 0)); then
		echo "   exit status $rc with no failed test (sanitizer or valgrind error?)"
		tail -n 20 "$log" | sed 's/^/   | /'
		failed=$((failed + 1))
	fi
}

run core-asan-ubsan "$out/test_core-san"
# valgrind runs threads one at a time (--fair-sched=yes takes them in
# turn, or the shrinker thread may never run): a fifth of the operations
ZMM_TEST_OPS=20000 run core-valgrind valgrind -q --fair-sched=yes --error-exitcode=99 \
	--leak-check=full --errors-for-leak-kinds=definite "$out/test_core"
[[ -x $out/corpus_selftest ]] && run corpus-selftest "$out/corpus_selftest"
# the kernel's lib/xarray.c on the shim, which the core's index uses
[[ -x $out/xarray_test-san ]] && run xarray-asan-ubsan "$out/xarray_test-san"

echo "$passed passed, $failed failed"
((failed == 0))
