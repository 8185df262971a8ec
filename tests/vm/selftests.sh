#!/bin/sh
# shellcheck shell=dash
# Guest test: the kernel's own selftests cgroup/test_memcontrol and
# vm/khugepaged, with zmm or with zswap storing the swapped pages.
#
#   scripts/vm-selftests.sh --mode zmm|zswap|both     (host side)
#
# Environment (plain VAR=value kernel arguments, see vm-run.sh -a):
#   ZMM_SELFTESTS_MODE     zmm (zmm.ko must be loaded) or zswap (lz4 +
#                          zsmalloc are enabled here)          [zmm]
#   ZMM_SELFTESTS_BIN      directory of the binaries  [/opt/selftests]
#   ZMM_SELFTESTS_KHUGEPAGED_ARGS  arguments of khugepaged ("" = its
#                          default: khugepaged and madvise contexts, anon)
#   ZMM_SELFTESTS_ONLY     run only this suite (test_memcontrol|khugepaged)
#   ZMM_SELFTESTS_TIMEOUT  seconds per suite                   [1200]
#   ZMM_SELFTESTS_MEMCG_RUNS  runs of test_memcontrol at most: it runs
#                          again while a case fails, and a case passes
#                          if it passed in one run (noted "flaky")  [2]
# Needs swap (vm-run.sh --swap) and the ext4 disk on /data (--data):
# test_memcontrol runs in /data/selftests (its page cache tests use
# O_TMPFILE files in the current directory, which must not be tmpfs).
#
# Output: one line per case "SELFTEST-CASE: PASS|FAIL|SKIP <suite> <case>",
# the store counters of the khugepaged run, then "N skipped" and, last,
# "N passed, N failed".  Exit status 0 only when nothing failed.  A suite
# that dies before its last case has its missing cases reported as FAIL
# ("not run").  In zmm mode the khugepaged run must have stored pages in
# zmm and loaded them back (debugfs stats and zpage_* vmstat events), in
# zswap mode zswpout/zswpin must move: otherwise the swap-in cases did not
# exercise the store and the run fails.  In zmm mode zmm's stored/loaded
# deltas must also equal the kernel's zpage_store/zpage_load deltas.
set -eu

mode=${ZMM_SELFTESTS_MODE:-zmm}
bin=${ZMM_SELFTESTS_BIN:-/opt/selftests}
kh_args=${ZMM_SELFTESTS_KHUGEPAGED_ARGS:-}
only=${ZMM_SELFTESTS_ONLY:-}
tmo=${ZMM_SELFTESTS_TIMEOUT:-1200}
memcg_runs=${ZMM_SELFTESTS_MEMCG_RUNS:-2}
out=/tmp/selftests
results=$out/results
zstats=/sys/kernel/debug/zmm/stats

fail() { echo "selftests: FAIL: $*"; exit 1; }
vmstat_get() { awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' /proc/vmstat; }
zmm_get() { awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$zstats"; }
# config_missing OPTION...: print the options that are not =y/=m in the
# running kernel (nothing when /proc/config.gz cannot tell)
config_missing() {
	[ -r /proc/config.gz ] || return 0
	for o in "$@"; do
		zcat /proc/config.gz | grep -Eq "^$o=(y|m)$" || printf '%s ' "$o"
	done
}
case_line() { # case_line PASS|FAIL|SKIP SUITE CASE [NOTE]
	echo "$1 $2 $3" >>"$results"
	echo "SELFTEST-CASE: $1 $2 $3${4:+ ($4)}"
}

mkdir -p "$out"
: >"$results"

echo "== selftests: mode=$mode kernel=$(uname -r)"
[ -x "$bin/test_memcontrol" ] || fail "$bin/test_memcontrol missing"
[ -x "$bin/khugepaged" ] || fail "$bin/khugepaged missing"
grep -q '^cgroup2 /sys/fs/cgroup ' /proc/mounts || fail "cgroup2 not mounted"
[ "$(wc -l </proc/swaps)" -ge 2 ] || fail "no swap active (vm-run.sh --swap SIZE)"
grep -q ' /data ext4 ' /proc/mounts || fail "/data is not an ext4 mount (vm-run.sh --data SIZE)"
cat /proc/swaps

# test_memcg_sock talks TCP to "localhost": with CONFIG_NET, bring up lo
# and give glibc an /etc/hosts (without CONFIG_NET the case fails anyway).
if [ -d /sys/class/net/lo ]; then
	ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up || true
	grep -qs localhost /etc/hosts || printf '127.0.0.1 localhost\n::1 localhost\n' >>/etc/hosts
fi

zp=/sys/module/zswap/parameters
case $mode in
zswap)
	[ -d "$zp" ] || fail "zswap not built in"
	[ ! -d /sys/module/zmm ] || fail "zmm.ko is loaded in zswap mode"
	echo lz4 >"$zp/compressor"
	echo zsmalloc >"$zp/zpool"
	echo 1 >"$zp/enabled"
	[ "$(cat "$zp/enabled")" = Y ] || fail "zswap did not enable"
	[ "$(cat "$zp/compressor")" = lz4 ] || fail "zswap compressor is not lz4"
	[ "$(cat "$zp/zpool")" = zsmalloc ] || fail "zswap zpool is not zsmalloc"
	echo "zswap: enabled, lz4, zsmalloc"
	;;
zmm)
	[ -d /sys/module/zmm ] || fail "zmm.ko is not loaded (vm-run.sh -M zmm.ko)"
	[ -r "$zstats" ] || fail "$zstats missing"
	if [ -d "$zp" ] && [ "$(cat "$zp/enabled")" = Y ]; then
		fail "zswap is enabled in zmm mode"
	fi
	[ "$(cat /sys/module/zmm/parameters/enabled)" = Y ] || fail "zmm is not enabled"
	echo "zmm: enabled, compressor $(cat /sys/module/zmm/parameters/compressor)"
	;;
*) fail "ZMM_SELFTESTS_MODE must be zmm or zswap, not '$mode'" ;;
esac

# show_counters LABEL: the store counters of this mode
show_counters() {
	if [ "$mode" = zmm ]; then
		echo "-- $1: zmm $(grep -E '^(stored|loaded|reject|same_filled|nr_zpages|pages_held) ' "$zstats" | tr '\n' ' ')"
		echo "   vmstat $(grep -E '^(zpage_|nr_anon_zpages|nr_file_zpages|pswp)' /proc/vmstat | tr '\n' ' ')"
	else
		echo "-- $1: vmstat $(grep -E '^(zswp|pswp)' /proc/vmstat | tr '\n' ' ')"
		echo "   zswap $(cd /sys/kernel/debug/zswap 2>/dev/null && grep -H . stored_pages written_back_pages reject_* 2>/dev/null | tr '\n' ' ')"
	fi
}

# run_suite NAME LOG CMD...: run with a timeout, print the log, keep rc
run_suite() {
	name=$1 log=$2
	shift 2
	echo "== $name: $*  (in $(pwd), timeout ${tmo}s)"
	t0=$(date +%s)
	rc=0
	timeout "$tmo" "$@" >"$log" 2>&1 </dev/null || rc=$?
	# colours out, kept readable on the console
	tr -d '\033' <"$log" | sed 's/\[[0-9;]*m//g' >"$log.txt"
	sed 's/^/   | /' "$log.txt"
	echo "== $name: exit status $rc after $(($(date +%s) - t0))s"
	return 0
}

# --- cgroup/test_memcontrol: ksft "ok N name", "ok N # SKIP name", "not ok"
memcontrol_cases="test_memcg_subtree_control test_memcg_current test_memcg_min
test_memcg_low test_memcg_high test_memcg_high_sync test_memcg_max
test_memcg_reclaim test_memcg_oom_events test_memcg_swap_max test_memcg_sock
test_memcg_oom_group_leaf_events test_memcg_oom_group_parent_events
test_memcg_oom_group_score_events"
# Cases that cannot pass without these options: a failure is reported as
# SKIP naming the missing options, so that it stays visible but does not
# count as a failure of the store under test.
memcontrol_needs() {
	case $1 in
	test_memcg_high_sync) echo CONFIG_INOTIFY_USER ;; # waits on memory.events
	test_memcg_sock) echo CONFIG_NET CONFIG_INET CONFIG_IPV6 ;;
	esac
}
# memcontrol_result CASE: "RESULT NOTE" of a case over the runs so far
# (memcontrol.runs: "RUN RESULT CASE" lines, the first line of a case in
# a run counts).  A case passes if it passed in any run, and its note
# then counts the runs it failed in; a case missing from a run failed in
# it (the binary died first; $rc is the exit status of the last run).
memcontrol_result() {
	awk -v c="$1" -v runs="$memcg_run" -v rc="$rc" '
		$3 == c && !seen[$1]++ { r[$1] = $2 }
		END {
			for (i = 1; i <= runs; i++) {
				x = (i in r) ? r[i] : "FAIL"
				n[x]++
			}
			if (n["PASS"]) {
				res = "PASS"
				if (n["FAIL"]) note = "flaky: failed in " n["FAIL"] " of " runs " runs"
			} else if (n["SKIP"]) res = "SKIP"
			else res = "FAIL"
			if (res == "FAIL" && !(runs in r)) note = "not run, exit status " rc
			print res, note
		}' "$out/memcontrol.runs"
}
if [ -z "$only" ] || [ "$only" = test_memcontrol ]; then
	mkdir -p /data/selftests
	: >"$out/memcontrol.runs"
	memcg_run=0
	while [ "$memcg_run" -lt "$memcg_runs" ]; do
		memcg_run=$((memcg_run + 1))
		cd /data/selftests
		run_suite "test_memcontrol run $memcg_run" \
			"$out/memcontrol.$memcg_run.log" "$bin/test_memcontrol"
		cd /tmp
		awk -v run="$memcg_run" '
			/^ok [0-9]+ # SKIP / { print run, "SKIP", $5; next }
			/^ok [0-9]+ /        { print run, "PASS", $3; next }
			/^not ok [0-9]+ /    { print run, "FAIL", $4; next }
		' "$out/memcontrol.$memcg_run.log.txt" >>"$out/memcontrol.runs"
		# another run only for failures that the config does not explain
		again=
		for c in $memcontrol_cases; do
			res=$(memcontrol_result "$c")
			# shellcheck disable=SC2046 # one word per option
			if [ "${res%% *}" = FAIL ] &&
			   [ -z "$(config_missing $(memcontrol_needs "$c"))" ]; then
				again="$again $c"
			fi
		done
		[ -n "$again" ] || break
		[ "$memcg_run" -lt "$memcg_runs" ] &&
			echo "== test_memcontrol: failed:$again; running it again"
	done
	for c in $memcontrol_cases; do
		res=$(memcontrol_result "$c")
		r=${res%% *} note=${res#* }
		[ "$note" != "$res" ] || note=
		# shellcheck disable=SC2046 # one word per option
		miss=$(config_missing $(memcontrol_needs "$c"))
		if [ "$r" = FAIL ] && [ -n "$miss" ]; then
			case_line SKIP test_memcontrol "$c" "failed; kernel lacks ${miss% }"
		else
			case_line "$r" test_memcontrol "$c" "$note"
		fi
	done
	# cases of this binary we do not know about
	awk '{ print $3 }' "$out/memcontrol.runs" | sort -u | while read -r c; do
		case " $(echo "$memcontrol_cases" | tr '\n' ' ') " in
		*" $c "*) ;;
		*) res=$(memcontrol_result "$c")
		   case_line "${res%% *}" test_memcontrol "$c" ;;
		esac
	done
fi

# --- vm/khugepaged: "Run test: NAME (CONTEXT:MEM)" blocks, each with steps
# ending in OK, Fail..., Timeout or Skip.  A block passes when it has no
# failed step (and at least one step), is skipped when it has a Skip and
# no failure.  The binary exits on errors (e.g. "Bad memory" when a page
# came back with the wrong contents): the block it was in fails and the
# blocks not reached are reported as not run.
if [ -z "$only" ] || [ "$only" = khugepaged ]; then
	show_counters "before khugepaged"
	s0=0 l0=0 vs0=0 vl0=0
	if [ "$mode" = zmm ]; then
		s0=$(zmm_get stored) l0=$(zmm_get loaded)
		vs0=$(vmstat_get zpage_store) vl0=$(vmstat_get zpage_load)
	else
		vs0=$(vmstat_get zswpout) vl0=$(vmstat_get zswpin)
	fi
	mkdir -p /data/selftests
	cd /data/selftests
	# shellcheck disable=SC2086 # word splitting of the arguments wanted
	run_suite khugepaged "$out/khugepaged.log" "$bin/khugepaged" $kh_args
	kh_rc=$rc
	cd /tmp
	show_counters "after khugepaged"
	awk -v rc="$kh_rc" '
		function flush() {
			if (name == "") return
			if (bad) r = "FAIL"; else if (sk) r = "SKIP"; else if (ok) r = "PASS"
			else r = "FAIL"
			print r, name, note
			name = ""
		}
		/^Run test: / {
			flush()
			n = $3; ctx = $4; gsub(/[()]/, "", ctx)
			name = n ":" ctx; ok = bad = sk = 0; note = ""
			next
		}
		name != "" && / (OK|Fail[^ ]*|Fail: .*|Timeout|Skip)$/ {
			if ($0 ~ / OK$/) ok++
			else if ($0 ~ / Skip$/) sk++
			else { bad++; if (note == "") note = $0 }
			next
		}
		name != "" && /Bad memory|Unexpected huge page|^[a-z_]+\(.*\): / {
			bad++; if (note == "") note = $0
		}
		END {
			if (name != "" && rc != 0 && !bad) { bad++; note = "exited with " rc }
			flush()
		}
	' "$out/khugepaged.log.txt" >"$out/khugepaged.cases"
	while read -r r c n; do
		case_line "$r" khugepaged "$c" "$n"
	done <"$out/khugepaged.cases"
	# the default run's cases, in main()'s order: report those not reached
	if [ -z "$kh_args" ]; then
		for c in collapse_full collapse_empty collapse_single_pte_entry \
			collapse_max_ptes_none collapse_single_pte_entry_compound \
			collapse_full_of_compound collapse_compound_extreme \
			collapse_swapin_single_pte collapse_max_ptes_swap collapse_fork \
			collapse_fork_compound collapse_max_ptes_shared; do
			for ctx in khugepaged:anon madvise:anon; do
				awk -v c="$c:$ctx" '$2 == c { f = 1 } END { exit !f }' "$out/khugepaged.cases" ||
					case_line FAIL khugepaged "$c:$ctx" "not run, exit status $kh_rc"
			done
		done
		awk '$2 == "madvise_collapse_existing_thps:madvise:anon" { f = 1 } END { exit !f }' \
			"$out/khugepaged.cases" ||
			case_line FAIL khugepaged madvise_collapse_existing_thps:madvise:anon \
				"not run, exit status $kh_rc"
	fi
	[ -s "$out/khugepaged.cases" ] || case_line FAIL khugepaged run "no case ran, exit status $kh_rc"

	# The swap-in cases must have gone through the store.
	if [ "$mode" = zmm ]; then
		ds=$(($(zmm_get stored) - s0)) dl=$(($(zmm_get loaded) - l0))
		dvs=$(($(vmstat_get zpage_store) - vs0)) dvl=$(($(vmstat_get zpage_load) - vl0))
		echo "khugepaged through zmm: stored +$ds loaded +$dl, vmstat zpage_store +$dvs zpage_load +$dvl"
		if [ "$ds" -gt 0 ] && [ "$dl" -gt 0 ] && [ "$dvs" -gt 0 ] && [ "$dvl" -gt 0 ]; then
			case_line PASS store stored-and-loaded
		else
			case_line FAIL store stored-and-loaded "zmm did not store and load pages during khugepaged"
		fi
		# zmm's own counts and the kernel's zpage_* events must agree
		if [ "$ds" = "$dvs" ] && [ "$dl" = "$dvl" ]; then
			case_line PASS store zmm-stats-match-vmstat
		else
			case_line FAIL store zmm-stats-match-vmstat \
				"zmm stored/loaded +$ds/+$dl but zpage_store/zpage_load +$dvs/+$dvl"
		fi
		[ "$(cat /sys/kernel/debug/zmm/check 2>/dev/null || echo 0)" = 0 ] ||
			case_line FAIL store zmm-pool-check "debugfs zmm/check reports an inconsistent pool"
	else
		dvs=$(($(vmstat_get zswpout) - vs0)) dvl=$(($(vmstat_get zswpin) - vl0))
		echo "khugepaged through zswap: zswpout +$dvs zswpin +$dvl"
		if [ "$dvs" -gt 0 ] && [ "$dvl" -gt 0 ]; then
			case_line PASS store stored-and-loaded
		else
			case_line FAIL store stored-and-loaded "zswap did not store and load pages during khugepaged"
		fi
	fi
fi

np=$(grep -c '^PASS ' "$results" || true)
nf=$(grep -c '^FAIL ' "$results" || true)
ns=$(grep -c '^SKIP ' "$results" || true)
echo "== selftests ($mode): $np passed, $nf failed, $ns skipped"
echo "$ns skipped"
echo "$np passed, $nf failed"
[ "$nf" -eq 0 ]
