#!/bin/sh
# shellcheck shell=dash
# Guest test: the kernel's own selftests (6.12: tools/testing/selftests/
# cgroup/test_memcontrol, cgroup/test_kmem, cgroup/test_zswap and
# mm/khugepaged), with zmm or with zswap storing the swapped pages.
#
#   scripts/vm-selftests.sh --mode zmm|zswap|both     (host side)
#
# Environment (plain VAR=value kernel arguments, see vm-run.sh -a):
#   ZMM_SELFTESTS_MODE     zmm (zmm.ko must be loaded) or zswap (lz4 +
#                          zsmalloc, shrinker off, are enabled here)  [zmm]
#   ZMM_SELFTESTS_BIN      directory of the binaries  [/opt/selftests]
#   ZMM_SELFTESTS_KHUGEPAGED_ARGS  arguments of khugepaged ("" = its
#                          default: khugepaged and madvise contexts, anon)
#   ZMM_SELFTESTS_ONLY     run only this suite (test_memcontrol, test_kmem,
#                          test_zswap or khugepaged)
#   ZMM_SELFTESTS_TIMEOUT  seconds per suite                   [1200]
#   ZMM_SELFTESTS_MEMCG_RUNS  runs of a cgroup binary at most: it runs
#                          again while a case fails that nothing explains,
#                          and a case passes if it passed in one run
#                          (noted "flaky")                          [2]
# Needs swap (vm-run.sh --swap) and the ext4 disk on /data (--data):
# test_memcontrol and test_zswap run in /data/selftests (the page cache
# tests use O_TMPFILE files in the current directory, which must not be
# tmpfs), test_kmem chrooted into /data/kmem-root (test_kmem_basic counts
# negative dentries of "/", which the initramfs root does not cache).
# test_zswap runs in zswap mode only; test_kmem and test_zswap are
# optional (reported missing when the host did not build them).
#
# Output: one line per case "SELFTEST-CASE: PASS|FAIL|SKIP <suite> <case>",
# the store counters of the khugepaged run, then "N skipped" and, last,
# "N passed, N failed".  Exit status 0 only when nothing failed.  A suite
# that dies before its last case has its missing cases reported as FAIL
# ("not run").  A failure that the kernel config or the VM explains
# (ksft_explained) is reported as SKIP with the reason.  In zmm mode the
# khugepaged run must have stored pages in zmm and loaded them back
# (debugfs stats and zpage_* vmstat events), in zswap mode zswpout/zswpin
# must move: otherwise the swap-in cases did not exercise the store and
# the run fails.  In zmm mode zmm's stored/loaded deltas must also equal
# the kernel's zpage_store/zpage_load deltas.
set -eu
# vm, zs: the counter readers (a missing counter reads as 0)
# shellcheck source=lib.sh
. /tests/lib.sh

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
case $only in
''|test_memcontrol|test_kmem|test_zswap|khugepaged) ;;
*) fail "ZMM_SELFTESTS_ONLY: no suite '$only'" ;;
esac
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
	# 6.12's default, said explicitly
	[ -w "$zp/shrinker_enabled" ] && echo N >"$zp/shrinker_enabled"
	echo 1 >"$zp/enabled"
	[ "$(cat "$zp/enabled")" = Y ] || fail "zswap did not enable"
	[ "$(cat "$zp/compressor")" = lz4 ] || fail "zswap compressor is not lz4"
	[ "$(cat "$zp/zpool")" = zsmalloc ] || fail "zswap zpool is not zsmalloc"
	echo "zswap: enabled, lz4, zsmalloc, shrinker_enabled=$(cat "$zp/shrinker_enabled" 2>/dev/null)"
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

# THP: "always" by default in this config once the guest has 512 MiB or
# more (off below that), "madvise" here for every suite in both modes.  With
# "always", the cgroup tests' malloc()ed buffers come as 2 MiB folios, which
# zswap does not take (they go to disk whole): test_zswap's
# writeback_disabled (its memory.reclaim fails when writeback is off) and
# no_kmem_bypass (too few pages stored) then fail for that reason alone.
thp=/sys/kernel/mm/transparent_hugepage/enabled
echo madvise >"$thp"
echo "THP: $(cat "$thp")"

# store_counters LABEL: the store counters of this mode
store_counters() {
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
	# Through a pipe, not straight into the file: the binaries fork into
	# test cgroups, and a child flushing its stdio into a tmpfs file
	# charges that page to its cgroup, which then stays dying after
	# rmdir (test_kmem_dead_cgroups fails).  Pipe buffers are uncharged
	# as soon as cat reads them.
	{
		_rc=0
		timeout "$tmo" "$@" </dev/null 2>&1 || _rc=$?
		echo "$_rc" >"$log.rc"
	} | cat >"$log"
	rc=$(cat "$log.rc")
	# colours out, kept readable on the console
	tr -d '\033' <"$log" | sed 's/\[[0-9;]*m//g' >"$log.txt"
	sed 's/^/   | /' "$log.txt"
	echo "== $name: exit status $rc after $(($(date +%s) - t0))s"
	return 0
}

# --- cgroup ksft binaries: "ok N name", "ok N # SKIP name", "not ok N name"
# ksft_cases SUITE: the cases of a binary, in its order (6.12)
ksft_cases() {
	case $1 in
	test_memcontrol) echo "test_memcg_subtree_control test_memcg_current_peak
		test_memcg_min test_memcg_low test_memcg_high test_memcg_high_sync
		test_memcg_max test_memcg_reclaim test_memcg_oom_events
		test_memcg_swap_max_peak test_memcg_sock
		test_memcg_oom_group_leaf_events test_memcg_oom_group_parent_events
		test_memcg_oom_group_score_events" ;;
	test_kmem) echo "test_kmem_basic test_kmem_memcg_deletion
		test_kmem_proc_kpagecgroup test_kmem_kernel_stacks
		test_kmem_dead_cgroups test_percpu_basic" ;;
	test_zswap) echo "test_zswap_usage test_swapin_nozswap test_zswapin
		test_zswap_writeback_enabled test_zswap_writeback_disabled
		test_no_kmem_bypass test_no_invasive_cgroup_shrink" ;;
	esac
}
# ksft_explained SUITE CASE: why a failure of CASE is expected on this
# kernel and VM, or nothing when it is not.  An explained failure is
# reported as SKIP with the reason, in both modes alike: it stays visible
# but is not a failure of the store under test (and a case that passes
# with zswap and not with zmm is a regression whatever the reason).
ksft_explained() {
	_m=
	case $1:$2 in
	test_memcontrol:test_memcg_high_sync) # waits on memory.events
		_m=$(config_missing CONFIG_INOTIFY_USER) ;;
	test_memcontrol:test_memcg_sock) # TCP to localhost
		_m=$(config_missing CONFIG_NET CONFIG_INET CONFIG_IPV6) ;;
	esac
	if [ -n "$_m" ]; then
		echo "kernel lacks ${_m% }"
		return
	fi
	case $1:$2 in
	test_kmem:test_percpu_basic)
		# memory.current of the parent of 1000 new memcgs must be
		# within 64 pages per CPU of its "percpu": on 6.12 the slab of
		# each new memcg (about 3 KiB) is charged there too.  Explained
		# when the gap is no more than 4 KiB per memcg.
		awk -v ncpu="$(grep -c ^processor /proc/cpuinfo)" '
			$1 == "memory.current" { cur = $2 } $1 == "percpu" { pc = $2 }
			END {
				gap = cur - pc
				if (pc > 0 && gap > 0 && gap <= 1000 * 4096 + 64 * 4096 * ncpu)
					printf "memory.current exceeds percpu by %d KiB: the slab of the 1000 new memcgs is charged too (the test allows %d KiB)\n", gap / 1024, 64 * 4 * ncpu
			}' "$out/test_kmem.$ksft_run.log.txt" ;;
	test_kmem:test_kmem_basic)
		# 100000 negative dentries must be cached and charged: not on
		# the initramfs (ramfs/tmpfs keep no negative dentries)
		[ -n "$kmem_root" ] ||
			echo "needs a root file system that caches negative dentries (no chroot to /data)" ;;
	esac
}
# ksft_result SUITE CASE: "RESULT NOTE" of a case over the runs so far
# ($out/SUITE.runs: "RUN RESULT CASE" lines, the first line of a case in
# a run counts).  A case passes if it passed in any run, and its note then
# counts the runs it failed in; a case missing from a run failed in it
# (the binary died first; $rc is the exit status of the last run).
ksft_result() {
	awk -v c="$2" -v runs="$ksft_run" -v rc="$rc" '
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
		}' "$out/$1.runs"
}
# ksft_suite SUITE RUNS [ROOT]: run /opt/selftests/SUITE in
# /data/selftests (or chrooted into ROOT), again while a case fails that
# ksft_explained does not explain, at most RUNS runs in all; then one
# case line per case.
ksft_suite() {
	suite=$1 runs=$2 root=${3:-}
	: >"$out/$suite.runs"
	ksft_run=0
	while [ "$ksft_run" -lt "$runs" ]; do
		ksft_run=$((ksft_run + 1))
		if [ -n "$root" ]; then
			run_suite "$suite run $ksft_run (chroot $root)" \
				"$out/$suite.$ksft_run.log" chroot "$root" "$bin/$suite"
		else
			mkdir -p /data/selftests
			cd /data/selftests
			run_suite "$suite run $ksft_run" "$out/$suite.$ksft_run.log" "$bin/$suite"
			cd /tmp
		fi
		awk -v run="$ksft_run" '
			/^ok [0-9]+ # SKIP / { print run, "SKIP", $5; next }
			/^ok [0-9]+ /        { print run, "PASS", $3; next }
			/^not ok [0-9]+ /    { print run, "FAIL", $4; next }
		' "$out/$suite.$ksft_run.log.txt" >>"$out/$suite.runs"
		# another run only for failures that nothing explains
		again=
		for c in $(ksft_cases "$suite"); do
			res=$(ksft_result "$suite" "$c")
			if [ "${res%% *}" = FAIL ] && [ -z "$(ksft_explained "$suite" "$c")" ]; then
				again="$again $c"
			fi
		done
		[ -n "$again" ] || break
		[ "$ksft_run" -lt "$runs" ] &&
			echo "== $suite: failed:$again; running it again"
	done
	for c in $(ksft_cases "$suite"); do
		res=$(ksft_result "$suite" "$c")
		r=${res%% *} note=${res#* }
		[ "$note" != "$res" ] || note=
		why=$(ksft_explained "$suite" "$c")
		if [ "$r" = FAIL ] && [ -n "$why" ]; then
			case_line SKIP "$suite" "$c" "failed; ${why}${note:+; $note}"
		else
			case_line "$r" "$suite" "$c" "$note"
		fi
	done
	# cases of this binary we do not know about
	awk '{ print $3 }' "$out/$suite.runs" | sort -u | while read -r c; do
		case " $(ksft_cases "$suite" | tr '\n\t' '  ') " in
		*" $c "*) ;;
		*) res=$(ksft_result "$suite" "$c")
		   case_line "${res%% *}" "$suite" "$c" ;;
		esac
	done
}
want() { [ -z "$only" ] || [ "$only" = "$1" ]; }
kmem_root=

if want test_memcontrol; then
	ksft_suite test_memcontrol "$memcg_runs"
fi

# test_kmem: chrooted into a copy of the initramfs' programs on the ext4
# disk, so that "/" caches negative dentries (test_kmem_basic); proc,
# sysfs and cgroup2 mounted there again.
if want test_kmem && [ -x "$bin/test_kmem" ]; then
	r=/data/kmem-root
	mkdir -p "$r/proc" "$r/sys" "$r/dev" "$r/tmp" "$r$bin"
	if cp -a /bin /sbin /lib /lib64 /usr /etc "$r/" 2>/dev/null &&
	   cp "$bin/test_kmem" "$r$bin/" &&
	   mount -t proc proc "$r/proc" && mount -t sysfs sysfs "$r/sys" &&
	   mount -t cgroup2 cgroup2 "$r/sys/fs/cgroup" && mount -t devtmpfs devtmpfs "$r/dev"; then
		kmem_root=$r
		# The blocks of the chroot's "/" read now, charged to the root
		# cgroup: a test cgroup that read them first would own page
		# cache and stay dying after rmdir (test_kmem_dead_cgroups).
		chroot "$r" /bin/ls -la / >/dev/null
		chroot "$r" /bin/stat /zmm-no-such-file >/dev/null 2>&1 || true
	else
		echo "== test_kmem: cannot prepare the chroot $r: running it on the initramfs root"
	fi
	ksft_suite test_kmem "$memcg_runs" "$kmem_root"
	if [ -n "$kmem_root" ]; then
		for m in dev sys/fs/cgroup sys proc; do
			umount "$r/$m" 2>/dev/null || umount -l "$r/$m" 2>/dev/null ||
				echo "== test_kmem: cannot unmount $r/$m"
		done
	fi
elif want test_kmem; then
	echo "== test_kmem: $bin/test_kmem missing (not built), not run"
fi

# test_zswap: zswap mode only (it tests zswap itself)
if [ "$mode" = zswap ] && want test_zswap; then
	if [ -x "$bin/test_zswap" ]; then
		ksft_suite test_zswap "$memcg_runs"
	else
		echo "== test_zswap: $bin/test_zswap missing (not built), not run"
	fi
fi

# --- mm/khugepaged: "Run test: NAME (CONTEXT:MEM)" blocks, each with steps
# ending in OK, Fail..., Timeout or Skip.  A block passes when it has no
# failed step (and at least one step), is skipped when it has a Skip and
# no failure.  The binary exits on errors (e.g. "Bad memory" when a page
# came back with the wrong contents): the block it was in fails and the
# blocks not reached are reported as not run.
if want khugepaged; then
	# khugepaged skips every case when THP is "never" (the kernel's
	# default in guests under 512 MiB); it pushes its own settings
	# (madvise for the PMD size) once it runs.
	case $(cat "$thp") in *"[never]"*) echo madvise >"$thp" ;; esac
	echo "THP: $(cat "$thp")"
	store_counters "before khugepaged"
	s0=0 l0=0 vs0=0 vl0=0
	if [ "$mode" = zmm ]; then
		s0=$(zs stored) l0=$(zs loaded)
		vs0=$(vm zpage_store) vl0=$(vm zpage_load)
	else
		vs0=$(vm zswpout) vl0=$(vm zswpin)
	fi
	mkdir -p /data/selftests
	cd /data/selftests
	# shellcheck disable=SC2086 # word splitting of the arguments wanted
	run_suite khugepaged "$out/khugepaged.log" "$bin/khugepaged" $kh_args
	kh_rc=$rc
	cd /tmp
	store_counters "after khugepaged"
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
		ds=$(($(zs stored) - s0)) dl=$(($(zs loaded) - l0))
		dvs=$(($(vm zpage_store) - vs0)) dvl=$(($(vm zpage_load) - vl0))
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
		dvs=$(($(vm zswpout) - vs0)) dvl=$(($(vm zswpin) - vl0))
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
