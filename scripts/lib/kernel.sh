#!/usr/bin/env bash
# shellcheck shell=bash
# scripts/lib/kernel.sh - the one lookup of the zmm test kernel.
#
# Sourced:  kernel_lookup [--debug] [--no-build] [--cache]
#   sets kdir (the O= build dir: make -C "$kdir" M=... modules), bzimage
#   and kernel_name ("kernel-<key>", or "KDIR=<dir>"), and returns 0 when
#   both are there.  Which kernel:
#   * KDIR in the environment (without --cache): that build; BZIMAGE
#     defaults to $KDIR/arch/x86/boot/bzImage, and --debug changes nothing;
#   * otherwise the cache entry of scripts/kernel-build.sh [--debug]
#     (${ZMM_CACHE:-/var/cache/zmm}/kernel-<key>/), built when missing
#     (its progress on stderr); with --no-build only looked up
#     (kernel-build.sh --print-env: builds and installs nothing), and a
#     missing entry returns 1 with the paths it would have set.
#   Messages go to stderr, prefixed with $prog when the caller sets it.
#
# Run:  scripts/lib/kernel.sh [--debug] [--no-build] [--cache]
#   prints KDIR=, BZIMAGE= and KERNEL_NAME= lines, and exits 1 when the
#   kernel is not there; mk/kernel.mk uses it (with --cache: make's own
#   override is "make KDIR=...").
#
# The cache key is computed by kernel-build.sh alone; nothing here changes it.

[ -n "${ZMM_LIB_KERNEL_SH:-}" ] && return 0
ZMM_LIB_KERNEL_SH=1

_kernel_lib_top=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)

kernel_lookup() {
	local build=() use_env=1 out rc=0 me=${prog:-kernel.sh}
	while [ $# -gt 0 ]; do
		case $1 in
		--debug) build+=(--debug) ;;
		--no-build) build+=(--print-env) ;;
		--cache) use_env=0 ;;
		*) echo "$me: kernel_lookup: unknown option $1" >&2; return 2 ;;
		esac
		shift
	done
	if [ "$use_env" = 1 ] && [ -n "${KDIR:-}" ]; then
		kdir=$KDIR
		bzimage=${BZIMAGE:-$KDIR/arch/x86/boot/bzImage}
		kernel_name="KDIR=$KDIR"
	else
		out=$("$_kernel_lib_top/scripts/kernel-build.sh" "${build[@]}") || rc=$?
		# last lines: ZMM_VERBOSE=1 streams the build to stdout as well
		kdir=$(sed -n 's/^KDIR=//p' <<<"$out" | tail -n 1)
		bzimage=$(sed -n 's/^BZIMAGE=//p' <<<"$out" | tail -n 1)
		kernel_name=$(basename "$(dirname "$(dirname "$kdir")")")
		[ "$rc" = 0 ] || return "$rc"
	fi
	[ -d "$kdir" ] || { echo "$me: error: kernel build dir $kdir not found" >&2; return 1; }
	[ -f "$bzimage" ] || { echo "$me: error: kernel image $bzimage not found" >&2; return 1; }
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -uo pipefail
	prog=kernel.sh
	rc=0
	kernel_lookup "$@" || rc=$?
	[ -z "${kdir:-}" ] || printf 'KDIR=%s\nBZIMAGE=%s\nKERNEL_NAME=%s\n' "$kdir" "$bzimage" "$kernel_name"
	exit "$rc"
fi
