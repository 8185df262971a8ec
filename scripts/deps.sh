#!/usr/bin/env bash
# Install what a zmm target needs, on Debian 12, only when missing.
#   deps.sh user     compilers, liblz4/libzstd headers, valgrind
#   deps.sh kernel-src  the linux-source-6.12 tarball (mk/xarray.mk)
# The installer itself is scripts/lib/pkgs.sh (ensure_pkgs), shared with
# kernel-build.sh, initramfs.sh, vm-run.sh and selftests-build.sh.
set -euo pipefail

prog=deps.sh
top=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
# shellcheck source=scripts/lib/pkgs.sh
. "$top/scripts/lib/pkgs.sh"

# apt's output only when it fails (make check stays readable)
: "${ZMM_PKGS_QUIET:=1}"

case "${1:-user}" in
user)
	ensure_pkgs gcc make libc6-dev liblz4-dev libzstd-dev valgrind python3
	;;
kernel-src)
	ensure_pkgs linux-source-6.12 xz-utils
	;;
*)
	echo "usage: $0 user|kernel-src" >&2
	exit 2
	;;
esac
