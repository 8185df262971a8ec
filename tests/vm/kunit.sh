#!/bin/sh
# shellcheck shell=dash
# KUnit: load zmm_kunit.ko (the core and its tests) unless /init already did, and
# turn each case of its KTAP report into one TAP line.  The report is read
# from /sys/kernel/debug/kunit/zmm/results (CONFIG_KUNIT_DEBUGFS), or from
# the kernel log when that is missing.
set -u
# shellcheck source=lib.sh
. /tests/lib.sh

zmm_loaded || bail "zmm.ko not loaded"
if [ ! -d /sys/module/zmm_kunit ]; then
	insmod /lib/modules-zmm/zmm_kunit.ko ||
		bail "insmod zmm_kunit.ko failed"
fi
ktap=/tmp/kunit.ktap
if [ -r /sys/kernel/debug/kunit/zmm/results ]; then
	cat /sys/kernel/debug/kunit/zmm/results >"$ktap"
else
	dmesg | sed 's/^\[[ 0-9.]*\] //' >"$ktap"
fi
sed 's/^/#   /' "$ktap"

# Cases are the "ok N name" lines one level below "# Subtest: zmm"
# (deeper levels: parameters of a case, summed up by the case's line).
awk '
	function indent(s) { match(s, /^ */); return RLENGTH }
	/# Subtest: zmm$/ { lvl = indent($0); in_suite = 1; next }
	in_suite && /^ *(not )?ok [0-9]+ / {
		if (indent($0) == lvl) { print "CASE " $0; next }
		if (indent($0) < lvl) { print "SUITE " $0; in_suite = 0 }
	}
	in_suite && /^ *1\.\.[0-9]+$/ && indent($0) == lvl { sub(/^ *1\.\./, ""); print "PLAN " $0 }
' "$ktap" >/tmp/kunit.cases

plan=$(awk '$1 == "PLAN" { print $2; exit }' /tmp/kunit.cases)
ncase=0
while read -r kind rest; do
	[ "$kind" = CASE ] || continue
	ncase=$((ncase + 1))
	# rest: "ok 1 name" / "ok 1 - name" / "not ok 2 name" / "ok 3 name # SKIP why"
	verdict=ok
	case $rest in "not ok "*) verdict=fail; rest=${rest#not } ;; esac
	name=$(echo "$rest" | sed -E 's/^ok [0-9]+ (- )?//')
	if [ "$verdict" = ok ]; then ok "zmm.$name"; else not_ok "zmm.$name"; fi
done </tmp/kunit.cases
[ "$ncase" -gt 0 ] || not_ok "no KUnit case of suite zmm reported"
if [ -n "$plan" ]; then
	expect "every planned case reported" "$ncase" -eq "$plan"
fi
grep -q '^SUITE ok ' /tmp/kunit.cases || not_ok "suite zmm: no final ok line"

rmmod zmm_kunit 2>/dev/null || true
tap_end
