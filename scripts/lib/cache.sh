# shellcheck shell=bash
# scripts/lib/cache.sh - helpers of the cached builds in $ZMM_CACHE
# (kernel-build.sh, selftests-build.sh).  The caller defines note() and
# die(), and sets $log (the build log) and $t0 (start, date +%s) before
# calling step.

[ -n "${ZMM_LIB_CACHE_SH:-}" ] && return 0
ZMM_LIB_CACHE_SH=1

# step [--no-die] WHAT CMD...: run CMD with its output in $log (and on the
# terminal with ZMM_VERBOSE=1); on failure show the end of the log and die,
# or with --no-die return 1 (the caller then dies with a better message).
# shellcheck disable=SC2154 # $log and $t0 are the caller's
step() {
	local what fatal=1
	[ "$1" = --no-die ] && { fatal=0; shift; }
	what=$1
	shift
	note "[$(($(date +%s) - t0))s] $what"
	echo "+ $*" >>"$log"
	if [ "${ZMM_VERBOSE:-0}" = 1 ]; then
		"$@" 2>&1 | tee -a "$log" && return 0
	else
		"$@" >>"$log" 2>&1 && return 0
	fi
	tail -n 40 "$log" >&2
	[ "$fatal" = 1 ] || return 1
	die "$what failed (full log: $log)"
}

# evict_entries CACHE PREFIX KEEP: keep the KEEP most recently used
# complete entries CACHE/PREFIX-*/ (their stamp is touched on use), remove
# the others and their lock files.
evict_entries() {
	local cache=$1 prefix=$2 keep=$3 old
	# shellcheck disable=SC2012 # names are ours: <prefix>-<hex>
	ls -1dt "$cache/$prefix"-*/stamp 2>/dev/null | tail -n +"$((keep + 1))" |
		while read -r old; do
			old=${old%/stamp}
			note "evicting $old"
			rm -rf "$old" "$cache/.lock-${old##*/}"
		done
}
