# shellcheck shell=dash
# tests/vm/lib.sh - sourced by the guest scenarios of tests/vm/ (busybox ash).
#
# TAP: every assertion prints one line "ok N - scenario: name" or
# "not ok N - scenario: name".  N counts over all scenarios of one boot
# (state in /tmp/zmm-tap.*), so group.sh can run several scenarios in one
# guest and print the boot's totals:
#   ZMM-TAP-SUMMARY: passed=P failed=F
# which scripts/vm-suite.sh reads (it also counts the TAP lines itself, in
# case the summary is lost in a crash).
#
# Statistics meant for the host's comparison tables are printed as
#   ZMM-STAT: <scenario> <label> key=value ...
# where <label> is the backend and its mode (see mode_label).
#
# Modes, plain VAR=value kernel arguments (scripts/vm-run.sh -a):
#   ZMM_BACKEND=zmm|zswap   the store under test (zmm.ko, or zswap alone)
#   ZMM_LRU_GEN=y|n         multi-gen LRU on or off (/sys/kernel/mm/lru_gen/
#                           enabled) before the workload; unset: as booted
#   ZMM_ZSWAP_SHRINKER=N|Y  zswap's shrinker (shrinker_enabled, new in 6.x;
#                           off by default in 6.12); zswap only, default N
#   ZMM_SYSCTL=k=v[,k=v]    vm sysctls set before the workload
#                           (/proc/sys/vm/k), e.g. page-cluster=0

SCN=${SCN:-${0##*/}}
SCN=${SCN%.sh}
TAP=/tmp/zmm-tap
P=/sys/module/zmm/parameters
D=/sys/kernel/debug/zmm
ZD=/sys/kernel/debug/zswap
BACKEND=${ZMM_BACKEND:-zmm}
_scn_pass=0
_scn_fail=0
_scn_todo=0

grep -q " /sys/kernel/debug debugfs" /proc/mounts ||
	mount -t debugfs none /sys/kernel/debug

# text_mib N: N MiB of text to stdout (numbers from seq): compressible,
# not same-filled, different in every MiB
text_mib() {
	_i=0
	while [ "$_i" -lt "$1" ]; do
		seq "$((_i * 100000))" "$((_i * 100000 + 200000))" | head -c 1048576
		_i=$((_i + 1))
	done
}

# tmpfs_in_memcg CG DIR MIB: a tmpfs on DIR and MIB MiB of text_mib in
# DIR/data, written from inside cgroup CG (cg_make's path), so charged to
# it (shmem swaps like anon); the shell is back in the root cgroup after
tmpfs_in_memcg() {
	mkdir -p "$2" && mount -t tmpfs -o size=200M none "$2" || return 1
	echo $$ >"$1/cgroup.procs"
	text_mib "$3" >"$2/data"
	echo $$ >/sys/fs/cgroup/cgroup.procs
}

# zmm_unpin: unload the KUnit module, which uses zmm's exports and so
# would keep zmm.ko from unloading
zmm_unpin() {
	[ -d /sys/module/zmm_kunit ] && rmmod zmm_kunit
	return 0
}

_tap_next() {
	_n=$(cat "$TAP.n" 2>/dev/null || echo 0)
	_n=$((_n + 1))
	echo "$_n" >"$TAP.n"
}
ok() {
	_tap_next
	_scn_pass=$((_scn_pass + 1))
	echo "ok $_n - $SCN: $*"
	echo pass >>"$TAP.res"
}
not_ok() {
	_tap_next
	_scn_fail=$((_scn_fail + 1))
	echo "not ok $_n - $SCN: $*"
	echo fail >>"$TAP.res"
}
# todo NAME: an expectation about a baseline (zswap) that did not hold:
# "not ok N - NAME # TODO ...", reported but not counted as a failure
todo() {
	_tap_next
	_scn_todo=$((_scn_todo + 1))
	echo "not ok $_n - $SCN: $* # TODO $BACKEND baseline differs from what we expected; not counted"
	echo todo >>"$TAP.res"
}
# known NAME WHY: an expectation zmm does not meet yet, for a reason an
# open issue covers (WHY names it): "not ok N - NAME # TODO known: WHY",
# reported, not counted.  Only with the issue's number in WHY.
known() {
	_tap_next
	_scn_todo=$((_scn_todo + 1))
	echo "not ok $_n - $SCN: $1 # TODO known: $2; not counted"
	echo todo >>"$TAP.res"
}
# check NAME COMMAND...: one assertion from a command's exit status
check() {
	_name=$1
	shift
	if "$@"; then ok "$_name"; else not_ok "$_name"; fi
}
# expect NAME A OP B: numeric comparison (-eq -le -gt ...), values shown
expect() {
	if test "$2" "$3" "$4" 2>/dev/null; then
		ok "$1 ($2 $3 $4)"
	else
		not_ok "$1 (got $2, want $3 $4)"
	fi
}
# baseline NAME A OP B: like expect, for the observed behaviour of the
# zswap baseline: a miss is a TODO line (reported, not a failure)
baseline() {
	if test "$2" "$3" "$4" 2>/dev/null; then
		ok "$1 ($2 $3 $4)"
	else
		todo "$1 (got $2, expected $3 $4)"
	fi
}
note() { echo "# $SCN: $*"; }
# expect_refused PARAM VALUE: writing VALUE to zmm's module parameter
# PARAM fails and leaves it as it was
expect_refused() {
	_before=$(cat "$P/$1")
	if echo "$2" >"$P/$1" 2>/dev/null; then
		not_ok "$1='$2' accepted (now $(cat "$P/$1"))"
	elif [ "$(cat "$P/$1")" != "$_before" ]; then
		not_ok "$1='$2' refused but the value changed: $_before -> $(cat "$P/$1")"
	else
		ok "$1='$2' refused, $1 still $_before"
	fi
}
# bail REASON: a precondition failed, the scenario cannot go on
bail() {
	not_ok "$*"
	tap_end
}
# tap_end: the scenario's own counts; exit 1 when one of its tests failed
tap_end() {
	_t=
	[ "$_scn_todo" = 0 ] || _t=", $_scn_todo todo (baseline, not counted)"
	echo "# $SCN: $_scn_pass passed, $_scn_fail failed$_t"
	[ "$_scn_fail" = 0 ] || exit 1
	exit 0
}

# ---- reading counters ------------------------------------------------------
# The one reader of "name value" counter files: /proc/vmstat (vm),
# zmm's debugfs stats (zs), a cgroup's memory.stat (memstat).  A counter
# that is not there (not in this kernel or config, the file absent) reads
# as 0, the one default; where its absence is the point, ask stat_has.
# stat_get FILE NAME: the value of NAME in FILE, 0 when missing
stat_get() {
	[ -r "$1" ] || { echo 0; return 0; }
	awk -v k="$2" '$1 == k && !f { v = $2; f = 1 } END { if (f) print v; else print 0 }' "$1"
}
# stat_has FILE NAME: NAME is in FILE
stat_has() { [ -r "$1" ] && awk -v k="$2" '$1 == k { f = 1 } END { if (!f) exit 1 }' "$1"; }
# vm NAME: a /proc/vmstat item (0 when missing); vm_has NAME: it is there
vm() { stat_get /proc/vmstat "$1"; }
vm_has() { stat_has /proc/vmstat "$1"; }
# vm_fold: fold the per-CPU deltas into the /proc/vmstat totals now (they
# lag by up to a second, stat_interval); the kernel then also warns
# "vmstat_refresh: ... negative value" about a counter below zero
vm_fold() { echo 1 >/proc/sys/vm/stat_refresh; }
zs() { stat_get "$D/stats" "$1"; }
# zs_rejects: the sum of zmm's reject_* counters (every reason)
zs_rejects() {
	[ -r "$D/stats" ] || { echo 0; return; }
	awk '$1 ~ /^reject_/ { n += $2 } END { print n + 0 }' "$D/stats"
}
zw() { cat "$ZD/$1" 2>/dev/null || echo 0; }
# memstat CGROUP NAME: an item of the cgroup's memory.stat (0 when missing)
memstat() { stat_get "$1/memory.stat" "$2"; }
# meminfo_kb NAME: a /proc/meminfo item in kB (0 when missing)
meminfo_kb() { stat_get /proc/meminfo "$1:"; }
zmm_loaded() { [ -d "$P" ]; }
# zmm_check: 0 when the pool recounts sound (debugfs check)
zmm_check() { [ "$(cat "$D/check")" = 0 ]; }
# expect_held_matches_vmstat NAME [ITEM...]: zmm's pages_held equals the
# sum of the vmstat ITEMs (default nr_anon_zpages nr_file_zpages).  The
# two are read at different moments and /proc/vmstat leaves per-CPU
# deltas unfolded for up to a second (stat_interval), so up to 5 reads a
# second apart: one equal pair passes; otherwise the last pair is shown.
expect_held_matches_vmstat() {
	_name=$1
	shift
	[ $# -gt 0 ] || set -- nr_anon_zpages nr_file_zpages
	_i=0
	while :; do
		_h=$(zs pages_held)
		_v=0
		for _item in "$@"; do
			_v=$((_v + $(vm "$_item")))
		done
		if [ "$_h" = "$_v" ] || [ "$_i" -ge 4 ]; then
			break
		fi
		_i=$((_i + 1))
		sleep 1
	done
	expect "$_name (read $((_i + 1)) times)" "$_h" -eq "$_v"
}
# ratio A B: A/B with two decimals (integers in, text out)
ratio() {
	if [ "${2:-0}" -gt 0 ]; then
		awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
	else
		echo n/a
	fi
}
# near A B: |A - B| <= max(16, B/50)
near() {
	_d=$(($1 - $2))
	[ $_d -lt 0 ] && _d=$((-_d))
	_t=$(($2 / 50))
	[ $_t -lt 16 ] && _t=16
	[ $_d -le $_t ]
}

show_counters() {
	echo "# $SCN: -- $1"
	echo "#   vmstat: $(grep -E '^(nr_anon_zpages|nr_file_zpages|zpage_|pswp|zswp|pgmajfault|workingset_refault_file)' /proc/vmstat | tr '\n' ' ')"
	if zmm_loaded; then
		echo "#   zmm: $(grep -E '^(stored|same_filled|loaded|load_miss|invalidated|reject|evict|writeback_|pages_held|bytes_used|nr_zpages|pool_limit|limit_reclaims|compact_|shrink_evac|blocks_|load_credit|ask_urgent|load_churn|churn_futile|recompress)' "$D/stats" | tr '\n' ' ')"
	fi
	if [ -d "$ZD" ] && [ "$(cat /sys/module/zswap/parameters/enabled)" = Y ]; then
		echo "#   zswap: stored_pages=$(zw stored_pages) pool_total_size=$(zw pool_total_size) reject_compress_poor=$(zw reject_compress_poor) pool_limit_hit=$(zw pool_limit_hit) written_back_pages=$(zw written_back_pages)"
	fi
}

# ---- setup -----------------------------------------------------------------
# cmdline_get KEY DEFAULT: the value of KEY=... on the kernel command line
cmdline_get() {
	read -r _cmdline </proc/cmdline
	for _w in $_cmdline; do
		case $_w in "$1="*) echo "${_w#*=}"; return 0 ;; esac
	done
	echo "$2"
}
# swap_nonrot DEV: mark the disk non-rotational (a solid-state swap device
# gets swap clusters, and only then does 6.12 swap large folios out whole;
# QEMU 7.2's virtio-blk has no rotation_rate).  Booting with
# zmm.swap_rotational=1 keeps it rotational, for comparison.
swap_nonrot() {
	[ "$(cmdline_get zmm.swap_rotational 0)" = 1 ] && return 0
	echo 0 >"/sys/block/${1#/dev/}/queue/rotational"
}
swap_on() {
	[ "$(wc -l </proc/swaps)" -ge 2 ] && return 0
	for _s in /sys/block/vd*/serial; do
		if [ ! -r "$_s" ] || [ "$(cat "$_s")" != zmm-swap ]; then
			continue
		fi
		_d=${_s%/serial}
		swap_nonrot "/dev/${_d##*/}"
		mkswap "/dev/${_d##*/}" >/dev/null && swapon "/dev/${_d##*/}"
		return
	done
	return 1
}
# swap_rotational: the queue/rotational flag of the active swap disk
swap_rotational() {
	_d=$(awk 'NR == 2 { print $1 }' /proc/swaps)
	cat "/sys/block/${_d#/dev/}/queue/rotational" 2>/dev/null || echo '?'
}

LG=/sys/kernel/mm/lru_gen/enabled
# lru_gen_state: "mglru" when the multi-gen LRU is on, else "classic"
lru_gen_state() {
	case $(cat "$LG" 2>/dev/null || echo 0x0000) in
	0x0000) echo classic ;;
	*) echo mglru ;;
	esac
}
# lru_gen_setup: ZMM_LRU_GEN=y|n switches the multi-gen LRU on or off
# (one TAP line); unset leaves it as booted (on: CONFIG_LRU_GEN_ENABLED)
lru_gen_setup() {
	case ${ZMM_LRU_GEN:-} in
	'') return 0 ;;
	y|n) ;;
	*) bail "ZMM_LRU_GEN must be y or n, not '$ZMM_LRU_GEN'" ;;
	esac
	[ -w "$LG" ] || bail "ZMM_LRU_GEN=$ZMM_LRU_GEN but no $LG (CONFIG_LRU_GEN)"
	echo "$ZMM_LRU_GEN" >"$LG" 2>/dev/null
	_want=mglru
	[ "$ZMM_LRU_GEN" = n ] && _want=classic
	check "lru_gen/enabled=$ZMM_LRU_GEN took ($(cat "$LG"): $(lru_gen_state))" \
		[ "$(lru_gen_state)" = "$_want" ]
}
# mode_label: backend and mode for the ZMM-STAT lines, e.g. zmm/mglru,
# zswap+shrinker/classic
mode_label() {
	_l=$BACKEND
	[ "$BACKEND" = zswap ] &&
		[ "$(cat /sys/module/zswap/parameters/shrinker_enabled 2>/dev/null)" = Y ] &&
		_l=$_l+shrinker
	echo "$_l/$(lru_gen_state)"
}

# kv_apply VAR DIR WHAT: the "name=value[,name=value...]" list in
# variable VAR written, in that order, to DIR/name, each echoed as a
# comment as WHAT<name>=<value read back>; bails out on an item that is
# not name=value, a name that is not a file of DIR, or a refused value.
kv_apply() {
	eval "_list=\${$1:-}"
	[ -n "$_list" ] || return 0
	_old_ifs=$IFS
	IFS=,
	set -f
	for _kv in $_list; do
		IFS=$_old_ifs
		case $_kv in *=*) ;; *) bail "$1: '$_kv' is not name=value" ;; esac
		_k=${_kv%%=*}
		_v=${_kv#*=}
		case $_k in '' | */* | .*) bail "$1: bad name in '$_kv'" ;; esac
		[ -w "$2/$_k" ] || bail "$1: no $3$_k"
		echo "$_v" >"$2/$_k" 2>/dev/null || bail "$1: $3$_k refused '$_v'"
		echo "# $3$_k=$(cat "$2/$_k")"
	done
	set +f
	IFS=$_old_ifs
}
# params_apply DIR: ZMM_PARAMS written to the module parameters in DIR,
# zmm's or zswap's (bench/vm-compare.sh's "zmm:..." and "zswap:..." modes)
params_apply() { kv_apply ZMM_PARAMS "$1" "$BACKEND parameter "; }
# zmm_load_params: zmm's compressor, recompress and zstd_level are fixed once
# its pool exists, which is from insmod on; when ZMM_PARAMS names one, reload the
# (still empty) module with them as insmod arguments and leave the rest of
# ZMM_PARAMS for params_apply.
zmm_load_params() {
	_load='' _rest=''
	_old_ifs=$IFS
	IFS=,
	set -f
	for _kv in ${ZMM_PARAMS:-}; do
		case $_kv in
		compressor=* | recompress=* | zstd_level=*) _load="$_load $_kv" ;;
		*) _rest="${_rest:+$_rest,}$_kv" ;;
		esac
	done
	set +f
	IFS=$_old_ifs
	ZMM_PARAMS=$_rest
	# already loaded with them (an earlier scenario of the group): keep it
	_differs=''
	for _kv in $_load; do
		[ "$(cat "$P/${_kv%%=*}")" = "${_kv#*=}" ] || _differs=y
	done
	[ -n "$_differs" ] || return 0
	echo 0 >"$P/enabled"
	# the module refuses to go for a moment after it is turned off
	_i=0
	until rmmod zmm 2>/dev/null; do
		_i=$((_i + 1))
		[ "$_i" -lt 30 ] || bail "rmmod zmm (to load it with$_load)"
		sleep 1
	done
	# shellcheck disable=SC2086 # one argument per name=value
	insmod /lib/modules-zmm/zmm.ko $_load || bail "insmod zmm.ko$_load"
	for _kv in $_load; do
		[ "$(cat "$P/${_kv%%=*}")" = "${_kv#*=}" ] ||
			bail "zmm parameter ${_kv%%=*} is $(cat "$P/${_kv%%=*}") after insmod, not ${_kv#*=}"
		echo "# zmm parameter $_kv (at insmod)"
	done
}
# sysctl_apply: ZMM_SYSCTL written to /proc/sys/vm (page-cluster=0,
# swappiness=100, ...)
sysctl_apply() { kv_apply ZMM_SYSCTL /proc/sys/vm vm.; }

# backend_setup: zmm loaded and enabled, zswap off; or zswap on (lz4,
# zsmalloc, shrinker as ZMM_ZSWAP_SHRINKER says) and zmm absent; then the
# LRU mode (ZMM_LRU_GEN).  Bails out when that cannot be had.
backend_setup() {
	swap_on || bail "no swap (scripts/vm-run.sh --swap SIZE)"
	case $BACKEND in
	zmm)
		zmm_loaded || bail "zmm.ko not loaded"
		zmm_load_params
		[ "$(cat "$P/enabled")" = Y ] || echo 1 >"$P/enabled"
		echo 0 >/sys/module/zswap/parameters/enabled 2>/dev/null || true
		params_apply "$P"
		;;
	zswap)
		zmm_loaded && bail "zmm.ko is loaded: the zswap baseline runs without it"
		_zp=/sys/module/zswap/parameters
		[ -d "$_zp" ] || bail "zswap not built in"
		echo lz4 >"$_zp/compressor"
		echo zsmalloc >"$_zp/zpool"
		_shr=${ZMM_ZSWAP_SHRINKER:-N}
		case $_shr in Y|N) ;; *) bail "ZMM_ZSWAP_SHRINKER must be Y or N, not '$_shr'" ;; esac
		if [ -w "$_zp/shrinker_enabled" ]; then
			echo "$_shr" >"$_zp/shrinker_enabled"
			[ "$(cat "$_zp/shrinker_enabled")" = "$_shr" ] ||
				bail "zswap shrinker_enabled did not take $_shr"
		elif [ "$_shr" = Y ]; then
			bail "ZMM_ZSWAP_SHRINKER=Y but zswap has no shrinker_enabled"
		fi
		params_apply "$_zp"
		echo 1 >"$_zp/enabled"
		[ "$(cat "$_zp/enabled")" = Y ] || bail "zswap did not enable"
		note "zswap $(cat "$_zp/compressor")/$(cat "$_zp/zpool") max_pool_percent=$(cat "$_zp/max_pool_percent") accept_threshold_percent=$(cat "$_zp/accept_threshold_percent" 2>/dev/null) shrinker_enabled=$(cat "$_zp/shrinker_enabled" 2>/dev/null)"
		;;
	*) bail "unknown backend $BACKEND" ;;
	esac
	lru_gen_setup
	sysctl_apply
	note "mode $(mode_label), swap $(awk 'NR == 2 { print $1 }' /proc/swaps) rotational=$(swap_rotational)"
}

# cg_make NAME LIMIT: a memory-limited cgroup, path on stdout
cg_make() {
	grep -q ' /sys/fs/cgroup cgroup2' /proc/mounts || return 1
	echo +memory >/sys/fs/cgroup/cgroup.subtree_control || return 1
	mkdir -p "/sys/fs/cgroup/$1" || return 1
	echo "$2" >"/sys/fs/cgroup/$1/memory.max" || return 1
	echo "/sys/fs/cgroup/$1"
}
# in_cg CG CMD...: run CMD in cgroup CG
in_cg() {
	_cg=$1
	shift
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$_cg" "$@"
}

# ---- pool samples ------------------------------------------------------------
# sample_pool: one line of the live pool state (the demo prints them) and
# the peaks so far, in /tmp/zmm-peak.<key>; the "peak" row is the sample
# with the most pageframes in use.
peak_reset() { rm -f /tmp/zmm-peak.*; }
peak_get() { cat "/tmp/zmm-peak.$1" 2>/dev/null || echo 0; }
_peak() { [ "$2" -gt "$(peak_get "$1")" ] && echo "$2" >"/tmp/zmm-peak.$1"; return 0; }
# sample_memcg CGROUP: where the memcg's pageframes are, in pages:
# memory.current and the memory.stat lines that make it up
sample_memcg() {
	_l="# sample   memcg current=$(($(cat "$1/memory.current") / 4096))"
	for _k in anon active_anon inactive_anon file kernel pagetables slab percpu swapcached anon_zpages zswap; do
		stat_has "$1/memory.stat" "$_k" &&
			_l="$_l $_k=$(($(memstat "$1" "$_k") / 4096))"
	done
	echo "$_l"
}
sample_pool() { # sample_pool [CGROUP]
	_t=$(($(cut -d. -f1 /proc/uptime) - ${T0:-0}))
	_anon=$(vm nr_anon_zpages)
	_file=$(vm nr_file_zpages)
	_out=$(vm pswpout)
	_in=$(vm pswpin)
	if [ "$BACKEND" = zmm ]; then
		_held=$(zs pages_held)
		_zp=$(zs nr_zpages)
		_bytes=$(zs bytes_used)
		_cga=
		[ -n "${1:-}" ] && _cga=" cg_anon_zpages=$(memstat "$1" anon_zpages)" &&
			_peak cg_anon_zpages "$(memstat "$1" anon_zpages)"
		echo "# sample t=${_t}s nr_anon_zpages=$_anon nr_file_zpages=$_file pool_pageframes=$_held zpages=$_zp stored_bytes=$_bytes ratio=$(ratio $((_zp * 4096)) $((_held * 4096)))$_cga pswpout=$_out pswpin=$_in"
		_peak anon "$_anon"
		_peak file "$_file"
		if [ "$_held" -gt "$(peak_get held)" ]; then
			echo "$_held" >/tmp/zmm-peak.held
			echo "$_zp" >/tmp/zmm-peak.zpages
			echo "$_bytes" >/tmp/zmm-peak.bytes
		fi
	else
		_sp=$(zw stored_pages)
		_pool=$(zw pool_total_size)
		echo "# sample t=${_t}s zswap_stored_pages=$_sp zswap_pool_pageframes=$((_pool / 4096)) ratio=$(ratio $((_sp * 4096)) "$_pool") pswpout=$_out pswpin=$_in"
		if [ "$((_pool / 4096))" -gt "$(peak_get held)" ]; then
			echo "$((_pool / 4096))" >/tmp/zmm-peak.held
			echo "$_sp" >/tmp/zmm-peak.zpages
			echo "$_pool" >/tmp/zmm-peak.bytes
		fi
	fi
	if [ -n "${1:-}" ]; then
		sample_memcg "$1"
	fi
}
# sample_while PID INTERVAL [CGROUP]: sample until PID exits
sample_while() {
	while kill -0 "$1" 2>/dev/null; do
		sample_pool "${3:-}"
		sleep "$2"
	done
}
# run_sampled CGROUP LOG LABEL CMD...: run CMD in CGROUP, its output in
# LOG, sampling the pool every $every (2) seconds until it exits; then
# sample once more, show LOG and the counters.  Sets rc to its status.
run_sampled() {
	_rs_cg=$1 _rs_log=$2 _rs_label=$3
	shift 3
	in_cg "$_rs_cg" "$@" >"$_rs_log" 2>&1 &
	_rs_pid=$!
	sample_while "$_rs_pid" "${every:-2}" "$_rs_cg"
	rc=0
	wait "$_rs_pid" || rc=$?
	sample_pool "$_rs_cg"
	sed 's/^/#   /' "$_rs_log"
	show_counters "after $_rs_label"
}
# stat_line SCENARIO-EXTRA...: the comparison line for the host tables.
# pageframes/zpages/bytes at the sample with the most pageframes in use;
# for zswap "bytes" is its pool size, for zmm the compressed bytes stored.
stat_line() {
	_h=$(peak_get held)
	_z=$(peak_get zpages)
	echo "ZMM-STAT: $SCN $(mode_label) peak_pageframes=$_h peak_zpages=$_z peak_bytes=$(peak_get bytes) ratio=$(ratio "$_z" "$_h") $*"
}

# Tracepoints of the asks: mm_vmscan_zpage_shrink (kernel patch 6), each
# ask of a reclaim pass to the zpage subclass with its priority, and
# zmm:zmm_shrink_asked, zmm's answer (the arena's debt after the ask:
# positive runs a shrink).  zpage_trace_on starts them (tracefs mounted if
# it is not; false on a kernel without the first); zpage_trace_report
# prints, as notes, by phase (a trace_marker line "phase NAME" starts one,
# as hotcold writes): the asks of each type by priority, the urgent ones
# apart (how many, page frames asked and freed), and zmm's answers (how
# many ran a shrink, the page frames they and the churn freed); the 23
# trace lines before each OOM kill (oom:mark_victim), or with
# ZMM_TRACE_DUMP=1 the whole trace.
# zpage_trace_report CG also checks that the events name the memcg by its
# cgroup's inode number (memcg_ino=, what stat -c %i gives for CG): once
# reclaim asked anything, some asks of each event are CG's.
TRACEFS=/sys/kernel/tracing
ZPAGE_EV=$TRACEFS/events/vmscan/mm_vmscan_zpage_shrink
zpage_trace_on() {
	[ -d "$TRACEFS/events" ] ||
		mount -t tracefs nodev "$TRACEFS" 2>/dev/null || return 1
	[ -w "$ZPAGE_EV/enable" ] || return 1
	echo 0 >"$TRACEFS/tracing_on"
	echo 2048 >"$TRACEFS/buffer_size_kb"
	echo >"$TRACEFS/trace"
	zpage_trace_events 1
	echo 1 >"$TRACEFS/tracing_on"
}
# zpage_trace_events 1|0: the events on or off, those the kernel has:
# the two above, oom:mark_victim, and ZMM_TRACE_EVENTS=SYS/EVENT[,...] (e.g.
# vmscan/mm_vmscan_lru_shrink_inactive), for ZMM_TRACE_DUMP=1 or
# ZMM_TRACE_URGENT=N, which prints the N trace lines before each urgent
# ask of reclaim (a reclaim attempt's last pass, having got nothing)
zpage_trace_events() {
	for _ev in vmscan/mm_vmscan_zpage_shrink zmm/zmm_shrink_asked \
		oom/mark_victim $(echo "${ZMM_TRACE_EVENTS:-}" | tr , ' '); do
		[ -w "$TRACEFS/events/$_ev/enable" ] &&
			echo "$1" >"$TRACEFS/events/$_ev/enable"
	done
	return 0
}
zpage_trace_report() {
	[ -w "$ZPAGE_EV/enable" ] || return 0
	echo 0 >"$TRACEFS/tracing_on"
	zpage_trace_events 0
	if [ "${ZMM_TRACE_DUMP:-0}" = 1 ]; then
		grep -v '^#' "$TRACEFS/trace" | sed 's/^/#   trace: /'
	else
		# the last asks before each OOM kill (and each urgent ask)
		grep -v '^#' "$TRACEFS/trace" |
			awk -v u="${ZMM_TRACE_URGENT:-0}" '
			BEGIN { c = u > 23 ? u : 23 }
			{ l[NR % (c + 1)] = $0 }
			/mark_victim:/ || (u > 0 && /zpage_shrink:.* urgent=1 /) {
				for (i = NR - c; i <= NR; i++)
					if (i > 0) print "#   trace: " l[i % (c + 1)]
				print "#   trace: --"
			}'
	fi
	awk 'function key(k) { if (!(k in n)) order[++nk] = k; n[k]++ }
	function fields() {
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			f[kv[1]] = kv[2]
		}
	}
	/tracing_mark_write: phase / { ph = $NF; next }
	/mm_vmscan_zpage_shrink:/ {
		fields()
		k = (ph == "" ? "start" : ph) " " f["type"] " priority " f["priority"] (f["urgent"] == 1 ? " urgent" : "")
		key(k); asked[k] += f["nr_asked"]; freed[k] += f["nr_freed"]
	}
	/zmm_shrink_asked:/ {
		fields()
		k = (ph == "" ? "start" : ph) " " f["type"] " zmm"
		key(k); asked[k] += f["asked"]; freed[k] += f["freed"]
		churn[k] += f["churn_freed"]; if (f["debt"] > 0) shrinks[k]++
	}
	END {
		for (i = 1; i <= nk; i++) {
			k = order[i]
			if (k ~ / zmm$/)
				printf "zpage asks: %s: %d asks, %d asked, %d ran a shrink, %d freed, %d freed by churn\n", k, n[k], asked[k], shrinks[k], freed[k], churn[k]
			else
				printf "zpage asks: %s: %d asks, %d asked, %d freed\n", k, n[k], asked[k], freed[k]
		}
	}' "$TRACEFS/trace" | while read -r _l; do note "$_l"; done
	# a full ring buffer overwrote the oldest events: the sums miss them
	_ov=$(cat "$TRACEFS"/per_cpu/cpu*/stats 2>/dev/null |
		awk '$1 == "overrun:" { n += $2 } END { print n + 0 }')
	[ "$_ov" -gt 0 ] && note "zpage asks: $_ov trace events overwritten (ring buffer full): the sums above miss them"
	[ -n "${1:-}" ] && zpage_trace_check_ino "$1"
	echo >"$TRACEFS/trace"
}
zpage_trace_check_ino() {
	_ino=$(stat -c %i "$1")
	# shellcheck disable=SC2046 # four numbers
	set -- $(awk -v ino="$_ino" '
		/mm_vmscan_zpage_shrink:/ { k++; if ($0 ~ " memcg_ino=" ino " ") kc++ }
		/zmm_shrink_asked:/ { z++; if ($0 ~ " memcg_ino=" ino " ") zc++ }
		END { print k + 0, kc + 0, z + 0, zc + 0 }' "$TRACEFS/trace")
	note "zpage asks naming the cgroup's inode $_ino: $2 of $1 reclaim asks, $4 of $3 zmm answers"
	[ "$1" -gt 0 ] && expect "reclaim's zpage asks name the cgroup by its inode" "$2" -gt 0
	[ "$3" -gt 0 ] && expect "zmm's answers name the cgroup by its inode" "$4" -gt 0
	return 0
}

# stress_ops LOG: bogo ops/s (real time) of the vm stressor
stress_ops_s() { awk '$4 == "vm" { print $9 }' "$1" | tail -n 1; }
stress_ops() { awk '$4 == "vm" { print $5 }' "$1" | tail -n 1; }
