#!/usr/bin/env bash
# Build zpage_test_backend.ko against the zmm test kernel and run
# vm-zpage.sh in QEMU with it loaded (scripts/vm-run.sh does the rest).
#
#   tests/kmod/zpage-test-backend/run-vm.sh [--zswap] [vm-run.sh options]
#
# KDIR/BZIMAGE default to scripts/kernel-build.sh's; set both to test
# another build of the patched kernel.  --zswap also enables zswap in the
# guest, so that the backend's rejects go to zswap.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
top=$(cd "$here/../../.." && pwd)

append=()
if [ "${1:-}" = --zswap ]; then
	append=(--append "zpt.zswap=1")
	shift
fi
if [ -z "${KDIR:-}" ] || [ -z "${BZIMAGE:-}" ]; then
	eval "$("$top/scripts/kernel-build.sh" | grep -E '^(KDIR|BZIMAGE)=')"
fi
make -C "$KDIR" M="$here" W=1 modules >&2
exec "$top/scripts/vm-run.sh" -k "$BZIMAGE" -M "$here/zpage_test_backend.ko" \
	-f "$here/vm-zpage.sh:/tests/zpage.sh" --swap 1G --data 512M \
	"${append[@]}" -t zpage "$@"
