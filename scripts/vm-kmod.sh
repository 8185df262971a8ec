#!/usr/bin/env bash
# Build zmm.ko and zmm_kunit.ko against a kernel build dir, from a private
# copy of the sources, so that builds for two kernels (normal, debug) and
# the tree's own "make module" never share object files.
#   scripts/vm-kmod.sh KDIR DIR    -> DIR/zmm.ko, DIR/tests/kunit/zmm_kunit.ko
# Prints ZMM_KO=... and KUNIT_KO=...; the build log is DIR/build.log.
set -euo pipefail
top=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
kdir=${1:?usage: $0 KDIR DIR}
dir=${2:?usage: $0 KDIR DIR}
[ -f "$kdir/Module.symvers" ] || { echo "vm-kmod.sh: $kdir is not a kernel build dir" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# the copy keeps the sources' mtimes: unchanged files are not rebuilt
(cd "$top" && tar -cf - --exclude='*.o' --exclude='.*.cmd' --exclude='*.ko' \
	--exclude='*.mod' --exclude='*.mod.c' --exclude='.*.o.d' \
	Kbuild zmm include user/zmm_core.c tests/kunit/Kbuild \
	tests/kunit/zmm_kunit.c) | tar -C "$dir" -xf -
# a different kernel than last time: start clean
if [ "$(cat "$dir/.kdir" 2>/dev/null)" != "$kdir" ]; then
	find "$dir" \( -name '*.o' -o -name '*.ko' -o -name '.*.cmd' -o -name '*.mod*' \
		-o -name Module.symvers -o -name modules.order \) -delete
	echo "$kdir" >"$dir/.kdir"
fi
if ! { make -C "$kdir" M="$dir" modules &&
       make -C "$kdir" M="$dir/tests/kunit" modules
     } >"$dir/build.log" 2>&1; then
	tail -n 30 "$dir/build.log" >&2
	echo "vm-kmod.sh: module build against $kdir failed (log: $dir/build.log)" >&2
	exit 1
fi
echo "ZMM_KO=$dir/zmm.ko"
echo "KUNIT_KO=$dir/tests/kunit/zmm_kunit.ko"
