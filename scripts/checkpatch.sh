#!/usr/bin/env bash
# checkpatch.pl --strict from Debian's linux-source-6.12, on files or patches.
#   checkpatch.sh FILE...            (source files: -f)
#   checkpatch.sh --patch PATCH...   (patches)
set -euo pipefail

# one directory per source: an older checkpatch.pl is not reused
cache=${ZMM_CACHE:-/var/cache/zmm}/checkpatch-6.12
tarball=/usr/src/linux-source-6.12.tar.xz
if [[ ! -x $cache/scripts/checkpatch.pl ]]; then
	if [[ ! -f $tarball ]]; then
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends linux-source-6.12 >/dev/null
	fi
	mkdir -p "$cache"
	top=linux-source-6.12
	tar -xJf "$tarball" -C "$cache" --strip-components=1 \
		"$top/scripts/checkpatch.pl" "$top/scripts/spelling.txt" \
		"$top/scripts/const_structs.checkpatch"
fi
mode=(-f)
if [[ ${1:-} == --patch ]]; then
	mode=()
	shift
fi
# Absolute paths: checkpatch.pl misreads a patch whose relative path
# starts with "kernel/" (it then flags the blank context lines of the
# diff as trailing whitespace).
args=()
for f in "$@"; do
	args+=("$(readlink -f -- "$f")")
done
set -- "${args[@]}"
# No git tree to look at.  CAMELCASE: the kernel's zstd API has
# zstd_parameters.cParams, which zmm cannot rename.
exec perl "$cache/scripts/checkpatch.pl" --strict --no-tree --terse \
	--show-types --ignore FILE_PATH_CHANGES,CAMELCASE \
	"${mode[@]}" "$@"
