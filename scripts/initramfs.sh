#!/usr/bin/env bash
# Build the zmm test initramfs: busybox (static) + stress-ng with its shared
# libraries, /init from scripts/vm/init, guest tests from scripts/vm/tests/
# (tests/vm/), and each tests/vm/tools/NAME.c built static as /bin/NAME
# (zmmtool, mthp).
#
# The base archive is cached in ${ZMM_CACHE:-/var/cache/zmm}/initramfs-<key>/
# (key: hashes of the busybox and stress-ng binaries and libraries, /init,
# the tests, the tools' sources, gcc's version and this script).  Extra files are
# packed into a second cpio archive appended to a copy of the base (the
# kernel unpacks both).
set -euo pipefail
# The whole script is one compound command, read before it runs: editing
# the file while it runs (e.g. during a long build) cannot break it.
{

prog=initramfs.sh
script=$(readlink -f "${BASH_SOURCE[0]}")
top=$(cd "$(dirname "$script")/.." && pwd)
cache=${ZMM_CACHE:-/var/cache/zmm}
vm_dir=$top/scripts/vm
# gcc and libc6-dev build tests/vm/tools/*.c (static)
deps=(busybox-static stress-ng cpio gzip gcc libc6-dev)
tool_srcs=("$vm_dir"/tests/tools/*.c)

usage() {
	cat <<EOF
Usage: scripts/$prog [--overlay-only] OUT.cpio.gz [FILE[:DEST]...]

Write a gzip'ed cpio initramfs to OUT.cpio.gz.  Each extra FILE is added
at DEST inside the image; without DEST:
  *.ko  -> /lib/modules-zmm/   (load with zmm.modules=a.ko,b.ko)
  *.sh  -> /tests/             (run with zmm.test=NAME)
  other -> /extra/
A DEST ending in '/' is a directory.

  --overlay-only  write only the archive of the extra files (to be appended
                  to an existing initramfs: cat base.cpio.gz OUT >new)
  -h, --help      this text

Environment: ZMM_CACHE (default /var/cache/zmm).
EOF
}

die() { echo "$prog: error: $*" >&2; exit 1; }
note() { echo "$prog: $*" >&2; }

# ensure_pkgs: install missing Debian packages (one dpkg-query when present)
# shellcheck source=scripts/lib/pkgs.sh
. "$top/scripts/lib/pkgs.sh"

overlay_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--overlay-only) overlay_only=1 ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 1 ] || { usage >&2; exit 2; }
out=$1
shift

ensure_pkgs "${deps[@]}"
busybox=/bin/busybox
stressng=/usr/bin/stress-ng
for f in "$busybox" "$stressng"; do
	[ -x "$f" ] || die "$f missing"
done

# Shared objects of a dynamic binary, including the loader, as ldd names them.
libs_of() {
	ldd "$1" | awk '
		$2 == "=>" && $3 ~ /^\// { print $3; next }
		$1 ~ /^\// { print $1 }'
}

# cpio_of DIR OUT: reproducible newc archive of DIR, gzip'ed.
cpio_of() {
	(
		cd "$1"
		find . -mindepth 1 -exec touch -h -d @0 {} +
		find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort |
			cpio -o -H newc -R 0:0 --quiet --reproducible
	) | gzip -9n >"$2"
}

build_base() {
	local stage=$1 a lib src
	mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,root,proc,sys,dev,tmp,run,data,tests,extra,lib/modules-zmm}
	cp "$busybox" "$stage/bin/busybox"
	for a in $("$busybox" --list-full); do
		[ -e "$stage/$a" ] || ln -s /bin/busybox "$stage/$a"
	done
	cp "$stressng" "$stage/usr/bin/stress-ng"
	while read -r lib; do
		mkdir -p "$stage$(dirname "$lib")"
		cp -L "$lib" "$stage$lib"
	done < <(libs_of "$stressng")
	install -m 0755 "$vm_dir/init" "$stage/init"
	install -m 0755 "$vm_dir"/tests/*.sh "$stage/tests/"
	for src in "${tool_srcs[@]}"; do
		a=$(basename "$src" .c)
		gcc -static -O2 -Wall -Wextra -Werror -o "$stage/bin/$a" "$src" ||
			die "building $src failed"
	done
	echo 'root:x:0:0:root:/root:/bin/sh' >"$stage/etc/passwd"
	echo 'root:x:0:' >"$stage/etc/group"
	: >"$stage/etc/fstab"
	# /dev/console must exist before /init mounts devtmpfs, or the kernel
	# starts /init without stdio.  Creating it needs root; /init copes.
	if [ "$(id -u)" -eq 0 ]; then
		mknod -m 600 "$stage/dev/console" c 5 1
	fi
	chmod 1777 "$stage/tmp"
}

add_extras() {
	local stage=$1 spec src dest
	shift
	for spec in "$@"; do
		src=${spec%%:*}
		dest=
		[ "$src" != "$spec" ] && dest=${spec#*:}
		[ -f "$src" ] || die "no such file: $src"
		if [ -z "$dest" ]; then
			case $src in
			*.ko) dest=/lib/modules-zmm/ ;;
			*.sh) dest=/tests/ ;;
			*) dest=/extra/ ;;
			esac
		fi
		case $dest in */) dest=$dest${src##*/} ;; esac
		dest=/${dest#/}
		mkdir -p "$stage$(dirname "$dest")"
		cp -L "$src" "$stage$dest"
	done
}

work=$(mktemp -d "${TMPDIR:-/tmp}/zmm-initramfs.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$out")"

if [ $# -gt 0 ]; then
	mkdir "$work/overlay"
	add_extras "$work/overlay" "$@"
	cpio_of "$work/overlay" "$work/overlay.cpio.gz"
fi
if [ "$overlay_only" = 1 ]; then
	[ $# -gt 0 ] || die "--overlay-only needs at least one FILE"
	mv "$work/overlay.cpio.gz" "$out"
	exit 0
fi

mapfile -t libs < <(libs_of "$stressng")
key=$( {
	echo "zmm-initramfs-v1"
	sha256sum "$busybox" "$stressng" "${libs[@]}" "$vm_dir/init" \
		"$vm_dir"/tests/*.sh "${tool_srcs[@]}" "$vm_dir"/tests/tools/*.h \
		"$script" | awk '{ print $1 }'
	gcc -dumpfullversion 2>/dev/null || gcc -dumpversion
	(cd "$vm_dir/tests" && ls -1 ./*.sh tools/*.c)
} | sha256sum | cut -c1-16)
entry=$cache/initramfs-$key
base=$entry/base.cpio.gz
if [ ! -f "$base" ]; then
	mkdir -p "$cache"
	tmp=$(mktemp -d "$cache/.tmp-initramfs-$key.XXXXXX")
	chmod 755 "$tmp"
	build_base "$work/stage"
	cpio_of "$work/stage" "$tmp/base.cpio.gz"
	if ! mv -T "$tmp" "$entry" 2>/dev/null; then
		rm -rf "$tmp" # somebody else won the race
	fi
	[ -f "$base" ] || die "failed to create $base"
	note "built $base ($(du -h "$base" | cut -f1))"
	# keep the 3 newest initramfs entries
	# shellcheck disable=SC2012 # names are ours
	ls -1t "$cache"/initramfs-*/base.cpio.gz | tail -n +4 |
		while read -r old; do rm -rf "${old%/base.cpio.gz}"; done
fi
touch "$base"

if [ $# -gt 0 ]; then
	cat "$base" "$work/overlay.cpio.gz" >"$out.tmp"
else
	cp "$base" "$out.tmp"
fi
mv -f "$out.tmp" "$out"
echo "INITRD=$out"
exit
}
