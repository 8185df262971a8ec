#!/usr/bin/env bash
# Build zpage_test_backend.ko against the zmm test kernel and run
# vm-zpage.sh in QEMU with it loaded (scripts/vm-run.sh does the rest).
#
#   tests/kmod/zpage-test-backend/run-vm.sh [--zswap] [vm-run.sh options]
#
# The kernel is scripts/kernel-build.sh's; set KDIR (and BZIMAGE) to test
# another build of the patched kernel (scripts/lib/kernel.sh).  --zswap also enables zswap in the
# guest, so that the backend's rejects go to zswap.
set -euo pipefail
here=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
top=$(cd "$here/../../.." && pwd)

append=()
if [ "${1:-}" = --zswap ]; then
	append=(--append "zpt.zswap=1")
	shift
fi
# shellcheck source=scripts/lib/kernel.sh
. "$top/scripts/lib/kernel.sh"
prog=run-vm.sh
kernel_lookup || exit 1
make -C "$kdir" M="$here" W=1 modules >&2
exec "$top/scripts/vm-run.sh" -k "$bzimage" -M "$here/zpage_test_backend.ko" \
	-f "$here/vm-zpage.sh:/tests/zpage.sh" --swap 1G --data 512M \
	"${append[@]}" -t zpage "$@"
