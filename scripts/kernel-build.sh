#!/usr/bin/env bash
# Reproducible, cached build of the zmm test kernel (Linux 6.12, x86_64).
#
# See Documentation/dev/vm-harness.rst.  Summary:
#   * source: Debian's linux-source-6.12 tarball, patched with
#     kernel/patches/series (quilt style; its "# base-source:" header names
#     the package version it was made on), configured with
#     tinyconfig + kernel/config/zmm.config (+ debug.config for --debug);
#   * cache: ${ZMM_CACHE:-/var/cache/zmm}/kernel-<key>/ where <key> hashes
#     everything that goes into the build (see manifest() below), including
#     the recipe functions of this script but not its comments, usage text,
#     option parsing, package installation, locking or cache eviction;
#   * a warm run only hashes the inputs, prints KDIR=/BZIMAGE= and exits.
set -euo pipefail
# shellcheck disable=SC2317 # build steps are called indirectly through step()
# The whole script is one compound command, read before it runs: editing
# the file while it runs (e.g. during a long build) cannot break it.
{

prog=kernel-build.sh
script=$(readlink -f "${BASH_SOURCE[0]}")
top=$(cd "$(dirname "$script")/.." && pwd)

cache=${ZMM_CACHE:-/var/cache/zmm}
keep=${ZMM_KERNEL_KEEP:-3}
src_pkg=linux-source-6.12
tarball=/usr/src/linux-source-6.12.tar.xz
patch_dir=$top/kernel/patches
series=$patch_dir/series
arch=x86_64
deps=(linux-source-6.12 build-essential flex bison bc libelf-dev libssl-dev
      cpio xz-utils kmod patch)

usage() {
	cat <<EOF
Usage: scripts/$prog [--debug] [--print-env] [-j N]

Build (or reuse from the cache) the zmm test kernel and print
  KDIR=<O= build dir, usable as: make -C \$KDIR M=\$PWD modules>
  BZIMAGE=<path to bzImage>
The same lines are stored in <cache entry>/kernel.env.

  --debug       also merge kernel/config/debug.config (KASAN, lockdep, ...)
  --print-env   print the paths the build would have, build nothing;
                exits 1 if that entry is not built yet
  -j N          parallel jobs (default: nproc)
  -h, --help    this text

Environment:
  ZMM_CACHE        cache root (default /var/cache/zmm)
  ZMM_KERNEL_KEEP  kernel-* entries kept in the cache (default 3)
  ZMM_VERBOSE=1    stream the build output instead of logging it only
EOF
}

die() { echo "$prog: error: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }

variant=normal
mode=build
jobs=$(nproc)
while [ $# -gt 0 ]; do
	case $1 in
	--debug) variant=debug ;;
	--print-env) mode=print ;;
	-j) [ $# -ge 2 ] || die "-j needs an argument"; jobs=$2; shift ;;
	-j[0-9]*) jobs=${1#-j} ;;
	-h|--help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

# ensure_pkgs: install missing Debian packages (one dpkg-query when present)
# shellcheck source=scripts/lib/pkgs.sh
. "$top/scripts/lib/pkgs.sh"
# step (run a build step into $log), evict_entries
# shellcheck source=scripts/lib/cache.sh
. "$top/scripts/lib/cache.sh"

# Patches from the quilt-style series file: "name [-pN]", '#' comments.
# Prints "name<TAB>strip" lines.
series_entries() {
	[ -f "$series" ] || return 0
	local line name opt
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%%#*}
		read -r name opt _ <<<"$line" || true
		[ -n "${name:-}" ] || continue
		case ${opt:-} in
		'') opt=-p1 ;;
		-p[0-9]) ;;
		*) die "series: unsupported option '$opt' for $name" ;;
		esac
		[ -f "$patch_dir/$name" ] || die "series lists $name but $patch_dir/$name does not exist"
		printf '%s\t%s\n' "$name" "$opt"
	done <"$series"
}

fragments=("$top/kernel/config/zmm.config")
[ "$variant" = debug ] && fragments+=("$top/kernel/config/debug.config")

if [ "$mode" = print ]; then
	# never install anything from here (used by make variable expansion)
	dpkg-query -W -f='${db:Status-Abbrev}' "$src_pkg" 2>/dev/null | grep -q '^ii' ||
		die "$src_pkg is not installed (run scripts/$prog once)"
else
	ensure_pkgs "${deps[@]}"
fi
[ -f "$tarball" ] || die "$tarball missing although $src_pkg is installed"

sha() { sha256sum "$1" | cut -d' ' -f1; }

# The functions that determine the build output (the "recipe").  Their text
# as bash prints it (declare -f: no comments, normalised layout) is hashed
# into the key; the rest of this script (usage, option parsing, packages,
# locking, eviction) is not.  Bump the cache-v<N> tag in manifest() when a
# change outside these functions changes the output.
recipe_fns=(series_entries manifest sha extract apply_patches verify_config mk
	build_tree write_env print_env)

# Everything that determines the build output.  The cache key is its hash.
manifest() {
	local name opt f
	echo "zmm-kernel-cache-v3 arch=$arch variant=$variant"
	echo "pkg $src_pkg $(dpkg-query -W -f='${Version}' "$src_pkg")"
	echo "cc $(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion)"
	while IFS=$'\t' read -r name opt; do
		echo "patch $name $opt $(sha "$patch_dir/$name")"
	done < <(series_entries)
	for f in "${fragments[@]}"; do
		echo "fragment ${f#"$top"/} $(sha "$f")"
	done
	echo "recipe $(declare -f "${recipe_fns[@]}" | sha256sum | cut -d' ' -f1)"
}

extract() {
	mkdir -p "$tmp/x"
	xz -T0 -dc "$tarball" | tar -C "$tmp/x" -x
	mv "$tmp/x/linux-source-6.12" "$tmp/linux"
	rmdir "$tmp/x"
}

# The name of a patch that does not apply goes to $tmp/rejected.
apply_patches() {
	local name opt n=0
	while IFS=$'\t' read -r name opt; do
		echo "applying $name ($opt)"
		patch -d "$tmp/linux" "$opt" --batch --forward --no-backup-if-mismatch \
			-i "$patch_dir/$name" || {
			echo "patch $name does not apply"
			echo "$name" >"$tmp/rejected"
			return 1
		}
		n=$((n + 1))
	done < <(series_entries)
	echo "$n patch(es) applied"
}

# Every assignment in the fragments must be in the final .config.
# "# CONFIG_X is not set" means: not =y/=m/=value.  Later fragments win.
verify_config() {
	awk '
	FNR == NR {
		if ($0 ~ /^CONFIG_[A-Za-z0-9_]+=/) {
			n = index($0, "="); want[substr($0, 1, n - 1)] = substr($0, n + 1)
		} else if ($0 ~ /^# CONFIG_[A-Za-z0-9_]+ is not set/) {
			want[$2] = "n"
		}
		next
	}
	/^CONFIG_/ { n = index($0, "="); have[substr($0, 1, n - 1)] = substr($0, n + 1) }
	END {
		for (k in want) {
			h = (k in have) ? have[k] : "n"
			if (h != want[k]) { printf "  %s: requested %s, got %s\n", k, want[k], h; bad++ }
		}
		exit bad > 0
	}' <(cat "${fragments[@]}") "$kbuild/.config"
}

# O= directly inside the tree: kbuild then uses srctree=.. (relative), so
# the whole entry can be renamed into place after the build.
mk() { make -C "$tmp/linux" O="$kbuild" ARCH="$arch" "$@"; }

# The build proper, in $tmp (the -j level does not change the output).
build_tree() {
	local bad
	step "extract $tarball" extract
	step --no-die "apply kernel/patches/series" apply_patches ||
		series_mismatch "$(cat "$tmp/rejected" 2>/dev/null || echo '?')"
	step "make tinyconfig" mk tinyconfig
	step "merge ${fragments[*]#"$top"/}" \
		"$tmp/linux/scripts/kconfig/merge_config.sh" -m -O "$kbuild" "$kbuild/.config" "${fragments[@]}"
	step "make olddefconfig" mk olddefconfig
	if ! bad=$(verify_config); then
		echo "$bad" >&2
		die "the options above from ${fragments[*]#"$top"/} did not stick in .config (missing dependency or unknown symbol?)"
	fi
	step "make -j$jobs bzImage modules" mk -j"$jobs" all
	step "make modules_prepare" mk modules_prepare
	[ -f "$kbuild/arch/x86/boot/bzImage" ] || die "no bzImage produced"
}

print_env() {
	echo "KDIR=$kdir"
	echo "BZIMAGE=$bzimage"
}

# kernel.env of the finished entry $1.
write_env() {
	print_env
	echo "KERNELRELEASE=$(cat "$1/linux/build/include/config/kernel.release")"
	echo "ZMM_KERNEL_KEY=$key"
	echo "ZMM_KERNEL_VARIANT=$variant"
}

# The base the series was exported on: "# base-source: PKG VERSION (Linux X)"
# in kernel/patches/series (scripts/mkseries.sh export writes it).
series_base() {
	[ -f "$series" ] || return 0
	sed -n 's/^# *base-source: *//p' "$series" | head -n 1
}

installed_version() { dpkg-query -W -f='${Version}' "$src_pkg"; }

# Patch $1 of the series does not apply to the installed source: say which
# source the series was made on, and what to do.
series_mismatch() {
	local base have bpkg bver fix
	base=$(series_base)
	have="$src_pkg $(installed_version)"
	read -r bpkg bver _ <<<"$base" || true
	fix="port the series to the installed source"
	if [ -z "$base" ]; then
		base="(unknown: no base-source line in kernel/patches/series)"
	elif [ "$bpkg $bver" = "$have" ]; then
		base="$base, the installed version"
		fix="the patch itself is broken: fix the series"
	elif [ "$bpkg" = "$src_pkg" ]; then
		fix="apt-get install $src_pkg=$bver, or $fix"
	fi
	die "$(printf '%s\n' "kernel/patches/$1 does not apply to the installed $have." \
		"  The series was made on: $base." \
		"  To go on: $fix." \
		"  Porting: scripts/mkseries.sh import DIR (git am stops at the failing" \
		"  patch: fix it, git am --continue), then scripts/mkseries.sh export DIR." \
		"  Build log: $log")"
}

series_entries >/dev/null # validate here: die() in $(...) would not stop us
man=$(manifest)
key=$(sha256sum <<<"$man" | cut -c1-16)
entry=$cache/kernel-$key
kdir=$entry/linux/build
bzimage=$kdir/arch/x86/boot/bzImage
stamp=$entry/stamp

if [ -f "$stamp" ]; then
	touch "$stamp" 2>/dev/null || true # LRU for the eviction below
	print_env
	exit 0
fi
if [ "$mode" = print ]; then
	print_env
	hint=
	[ "$variant" = debug ] && hint=" --debug"
	note "not built yet: run scripts/$prog$hint"
	exit 1
fi

mkdir -p "$cache"
exec 9>"$cache/.lock-kernel-$key"
if ! flock -n 9; then
	note "another build of kernel-$key is running, waiting for it"
	flock 9
fi
if [ -f "$stamp" ]; then
	print_env
	exit 0
fi

# Interrupted earlier attempts of this key: we hold its lock, remove them.
rm -rf "$entry" "$cache/.tmp-kernel-$key"
tmp=$cache/.tmp-kernel-$key
mkdir -p "$tmp"
log=$tmp/build.log
printf '%s\n' "$man" >"$tmp/manifest"
: >"$log"

t0=$(date +%s)

note "building kernel-$key ($variant), log: $log (moved to $entry/ when done)"
base=$(series_base)
case $base in
''|"$src_pkg $(installed_version) "*) ;;
*) note "warning: kernel/patches/series was made on $base, the installed" \
	"source is $src_pkg $(installed_version)" ;;
esac
kbuild=$tmp/linux/build
build_tree
mv "$tmp" "$entry"
write_env "$entry" >"$entry/kernel.env"
date -u +%FT%TZ >"$stamp"
note "[$(($(date +%s) - t0))s] done: $entry"

# Bound the cache: keep the $keep most recently used kernel-* entries.
evict_entries "$cache" kernel "$keep"
# Stale temp dirs of other keys (builds killed more than a day ago).
find "$cache" -maxdepth 1 -name '.tmp-kernel-*' -mtime +0 -exec rm -rf {} + 2>/dev/null || true

print_env
exit
}
