#!/usr/bin/env bash
# Build the kernel's own selftests that the zmm VM runs (cgroup/test_memcontrol,
# cgroup/test_zswap, cgroup/test_kmem and mm/khugepaged) from the source tree
# of the cached test kernel, and cache the binaries outside the work tree.
#
# See Documentation/dev/vm-harness.rst ("Kernel selftests").  Summary:
#   * source: the patched linux-source-6.12 tree of scripts/kernel-build.sh
#     (KDIR=<entry>/linux/build, the tree is <entry>/linux), or $KDIR;
#   * UAPI headers: "make headers" with O= in our own directory; nothing is
#     written into the kernel cache entry;
#   * cache: ${ZMM_CACHE:-/var/cache/zmm}/selftests-<key>/ with <key> from
#     the kernel key, the SHA-256 of this script and the gcc/glibc versions;
#     a warm run only prints the paths.
set -euo pipefail
# The whole script is one compound command, read before it runs.
{

prog=selftests-build.sh
script=$(readlink -f "${BASH_SOURCE[0]}")
top=$(cd "$(dirname "$script")/.." && pwd)
cache=${ZMM_CACHE:-/var/cache/zmm}
keep=${ZMM_SELFTESTS_KEEP:-3}
deps=(gcc make libc6-dev)
# name in the output, selftests subdirectory, binary
tests=("TEST_MEMCONTROL cgroup test_memcontrol" "KHUGEPAGED mm khugepaged"
	"TEST_ZSWAP cgroup test_zswap" "TEST_KMEM cgroup test_kmem")

usage() {
	cat <<EOF
Usage: scripts/$prog [--debug] [--print-env]

Build (or reuse from the cache) the kernel selftests run in the zmm VM and
print
  SELFTESTS_DIR=<cache entry>
  TEST_MEMCONTROL=<path>   (tools/testing/selftests/cgroup)
  KHUGEPAGED=<path>        (tools/testing/selftests/mm)
  TEST_ZSWAP=<path>        (tools/testing/selftests/cgroup)
  TEST_KMEM=<path>         (tools/testing/selftests/cgroup)
  KERNEL_KEY=<key of the kernel cache entry they were built from>

The kernel tree is the one of scripts/kernel-build.sh (built if needed),
or the one above \$KDIR when KDIR is set (KDIR=<tree>/build or any O= dir
inside the tree).

  --debug       use the debug kernel's tree (same sources, other key)
  --print-env   print the paths without building; exit 1 if not built
  -h, --help    this text

Environment: ZMM_CACHE (default /var/cache/zmm), KDIR, ZMM_SELFTESTS_KEEP
(entries kept, default 3), ZMM_VERBOSE=1 (show the build output).
EOF
}

die() { echo "$prog: error: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }

kargs=()
mode=build
while [ $# -gt 0 ]; do
	case $1 in
	--debug) kargs+=(--debug) ;;
	--print-env) mode=print ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

# shellcheck source=scripts/lib/pkgs.sh
. "$top/scripts/lib/pkgs.sh"
# step (run a build step into $log), evict_entries
# shellcheck source=scripts/lib/cache.sh
. "$top/scripts/lib/cache.sh"
[ "$mode" = print ] || ensure_pkgs "${deps[@]}"

# The kernel tree: $KDIR's, or the cached build's (scripts/lib/kernel.sh).
# shellcheck source=scripts/lib/kernel.sh
. "$top/scripts/lib/kernel.sh"
if [ "$mode" = print ]; then
	kernel_lookup --no-build "${kargs[@]}" ||
		die "the kernel is not built yet (scripts/kernel-build.sh)"
else
	kernel_lookup "${kargs[@]}" || die "no test kernel"
fi
kdir=$(cd "$kdir" && pwd -P)
# the source tree: the nearest directory above KDIR (or KDIR) with a Makefile
# and tools/testing/selftests
src=$kdir
while [ "$src" != / ] && ! { [ -f "$src/Makefile" ] && [ -d "$src/tools/testing/selftests" ]; }; do
	src=$(dirname "$src")
done
[ "$src" != / ] || die "no kernel source tree above $kdir"
# The kernel key: from kernel.env of a kernel-build.sh entry, else a hash
# of the tree's path and its Makefile (an ad-hoc tree).
kkey=
[ -f "$src/../kernel.env" ] && kkey=$(sed -n 's/^ZMM_KERNEL_KEY=//p' "$src/../kernel.env")
[ -n "$kkey" ] || kkey=tree-$( { echo "$src"; sha256sum "$src/Makefile"; } | sha256sum | cut -c1-16)

manifest() {
	echo "zmm-selftests-cache-v1"
	echo "kernel $kkey"
	echo "cc $(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion)"
	echo "libc $(dpkg-query -W -f='${Version}' libc6 2>/dev/null || echo unknown)"
	echo "script $(sha256sum "$script" | cut -d' ' -f1)"
}
man=$(manifest)
key=$(sha256sum <<<"$man" | cut -c1-16)
entry=$cache/selftests-$key
stamp=$entry/stamp

print_env() {
	local t name sub bin
	echo "SELFTESTS_DIR=$entry"
	for t in "${tests[@]}"; do
		read -r name sub bin <<<"$t"
		echo "$name=$entry/bin/$bin"
	done
	echo "KERNEL_KEY=$kkey"
}

if [ -f "$stamp" ]; then
	touch "$stamp" 2>/dev/null || true
	print_env
	exit 0
fi
if [ "$mode" = print ]; then
	print_env
	note "not built yet: run scripts/$prog"
	exit 1
fi

mkdir -p "$cache"
exec 9>"$cache/.lock-selftests-$key"
flock 9
if [ -f "$stamp" ]; then
	print_env
	exit 0
fi
tmp=$cache/.tmp-selftests-$key
rm -rf "$entry" "$tmp"
mkdir -p "$tmp/bin"
log=$tmp/build.log
printf '%s\n' "$man" >"$tmp/manifest"
echo "source $src" >>"$tmp/manifest"
: >"$log"

# make without what a calling make passed down (O=, -j jobserver, ...)
# shellcheck disable=SC2317 # called through step
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u MAKEOVERRIDES nice -n 10 make "$@"; }

# cc_mm BIN: tools/testing/selftests/mm/BIN.c, compiled here with the flags
# of mm/Makefile and lib.mk (6.12).  Not through mm/Makefile: it runs
# check_config.sh, which writes local_config.{h,mk} into the source tree.
# -include kselftest.h: khugepaged.c uses KSFT_SKIP without including it.
# shellcheck disable=SC2317 # called through step
cc_mm() {
	local sel=$src/tools/testing/selftests
	nice -n 10 gcc -Wall -O2 -U_FORTIFY_SOURCE -D_GNU_SOURCE= -no-pie \
		-I "$src" -isystem "$tmp/hdr/usr/include" \
		-isystem "$src/tools/include/uapi" -include "$sel/kselftest.h" \
		-o "$tmp/obj/mm/$1" "$sel/mm/$1.c" "$sel/mm/vm_util.c" \
		"$sel/mm/thp_settings.c" -lrt -lpthread -lm
}
t0=$(date +%s)

note "building selftests-$key from $src (log: $log)"
# UAPI headers of this tree, built outside it (O=): the selftests include
# them with KHDR_INCLUDES instead of <tree>/usr/include.
step "make headers" mk -C "$src" O="$tmp/hdr" ARCH=x86_64 -j"$(nproc)" headers
for t in "${tests[@]}"; do
	read -r name sub bin <<<"$t"
	mkdir -p "$tmp/obj/$sub"
	case $sub in
	mm) step "build $sub/$bin" cc_mm "$bin" ;;
	*)
		# lib.mk builds $(OUTPUT)/<test> from <test>.c; OUTPUT keeps
		# the objects out of the source tree.
		step "build $sub/$bin" mk -C "$src/tools/testing/selftests/$sub" \
			OUTPUT="$tmp/obj/$sub" KHDR_INCLUDES="-isystem $tmp/hdr/usr/include" \
			"$tmp/obj/$sub/$bin"
		;;
	esac
	install -m 0755 "$tmp/obj/$sub/$bin" "$tmp/bin/$bin"
done
rm -rf "$tmp/hdr" "$tmp/obj"
mv -T "$tmp" "$entry"
date -u +%FT%TZ >"$stamp"
note "done: $entry"

# keep the $keep most recently used selftests-* entries
evict_entries "$cache" selftests "$keep"
print_env
exit
}
