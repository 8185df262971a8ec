#!/usr/bin/env bash
# Install what a zmm target needs, on Debian 12, only when missing.
#   deps.sh user     compilers, liblz4/libzstd headers, valgrind
set -euo pipefail

need=()
want() {
	local pkg
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
			grep -q 'install ok installed' || need+=("$pkg")
	done
}

case "${1:-user}" in
user)
	want gcc make libc6-dev liblz4-dev libzstd-dev valgrind python3
	;;
*)
	echo "usage: $0 user" >&2
	exit 2
	;;
esac

if ((${#need[@]})); then
	echo "deps: installing ${need[*]}"
	sudo=
	[[ $(id -u) -eq 0 ]] || sudo=sudo
	# update the lists only when an install is needed
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
		--no-install-recommends "${need[@]}" >/dev/null
fi
