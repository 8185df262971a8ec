# shellcheck shell=bash
# scripts/lib/pkgs.sh - the one Debian package installer of the zmm scripts.
#
# Source it, then:  ensure_pkgs PKG...
#
# Installs the packages that are not installed, on Debian 12, and nothing
# else.  When all are present this costs one dpkg-query call and no apt.
#   * apt-get update runs only when it is needed: when the package lists
#     are empty (fresh container) or when an install failed (stale lists);
#   * noninteractive (DEBIAN_FRONTEND is passed through sudo as well),
#     --no-install-recommends, waits for the dpkg lock of a concurrent apt
#     run instead of failing;
#   * sudo when not root (error when neither root nor sudo).
# Messages go to stderr, prefixed with $prog when the caller sets it.
# ZMM_PKGS_QUIET=1 hides apt's output unless it fails.

[ -n "${ZMM_LIB_PKGS_SH:-}" ] && return 0
ZMM_LIB_PKGS_SH=1

# The packages among "$@" that are not installed, one per line.
missing_pkgs() {
	local have p
	have=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "$@" 2>/dev/null |
		awk '$1 == "ii" { print $2 }') || true
	for p in "$@"; do
		grep -qx -- "${p%%:*}" <<<"$have" || echo "$p"
	done
}

# Run an apt command, its output on stderr (or only on failure when quiet).
_pkgs_run() {
	local out rc=0
	if [ "${ZMM_PKGS_QUIET:-0}" = 1 ]; then
		out=$("$@" 2>&1) || rc=$?
		[ "$rc" = 0 ] || printf '%s\n' "$out" >&2
		return "$rc"
	fi
	"$@" >&2
}

ensure_pkgs() {
	local missing=() as_root=() me=${prog:-pkgs.sh}
	[ $# -gt 0 ] || return 0
	mapfile -t missing < <(missing_pkgs "$@")
	[ ${#missing[@]} -eq 0 ] && return 0

	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null ||
			{ echo "$me: error: need root or sudo to install: ${missing[*]}" >&2; return 1; }
		as_root=(sudo)
	fi
	as_root+=(env DEBIAN_FRONTEND=noninteractive)
	local apt=("${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600)
	local install=("${apt[@]}" install -y --no-install-recommends)
	echo "$me: installing missing packages: ${missing[*]}" >&2

	# A fresh container has no package lists at all: update first.
	if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
		_pkgs_run "${apt[@]}" update || return
	elif _pkgs_run "${install[@]}" "${missing[@]}"; then
		return 0
	else
		echo "$me: install failed, updating the package lists and retrying" >&2
		_pkgs_run "${apt[@]}" update || return
	fi
	_pkgs_run "${install[@]}" "${missing[@]}" || return
	mapfile -t missing < <(missing_pkgs "${missing[@]}")
	[ ${#missing[@]} -eq 0 ] ||
		{ echo "$me: error: still not installed: ${missing[*]}" >&2; return 1; }
}
