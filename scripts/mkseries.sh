#!/usr/bin/env bash
# Export (or re-import) zmm's kernel patch series.
#
# The series lives in kernel/patches/ as git format-patch files plus a
# quilt-style `series` file (read by scripts/kernel-build.sh).  It is
# developed as commits on top of a pristine import of Debian's
# linux-source-6.12 in a separate kernel git tree, never in this repo.
#
#   mkseries.sh export <kernel-tree> [<base>]
#       Write <base>..HEAD of <kernel-tree> (base: the tag "base") to
#       kernel/patches/: 0000-cover-letter.patch, NNNN-*.patch and series.
#       The cover letter's subject and text come from the description of
#       the tree's current branch (git branch --edit-description: first
#       paragraph = subject, the rest = body), or from --cover FILE.
#   mkseries.sh import <dir>
#       Extract /usr/src/linux-source-6.12.tar.xz into <dir>, commit it as
#       the base (tag "base"), set the branch description from the cover
#       letter and apply kernel/patches/ with git am (--3way): ready to edit
#       and export again.  When a patch does not apply (a new Debian
#       version of the source), git am stops there: fix it in <dir>, run
#       git am --continue for the rest of the series, then export.
#
# Options: --cover FILE (export), --out DIR (default: kernel/patches).
set -euo pipefail

prog=mkseries.sh
top=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
out=$top/kernel/patches
tarball=/usr/src/linux-source-6.12.tar.xz
src_pkg=linux-source-6.12
cover=
tmp=

die() { echo "$prog: error: $*" >&2; exit 1; }
# The subject, a blank line and the body of cover letter $1: the text
# after the headers, up to the shortlog ("Name (N):").
cover_text() {
	printf '%s\n\n' "$(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$1")"
	sed '1,/^$/d' "$1" | sed '/^[^ ].* ([0-9]\{1,\}):$/,$d'
}
note() { echo "$prog: $*" >&2; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

args=()
while [ $# -gt 0 ]; do
	case $1 in
	--cover) [ $# -ge 2 ] || die "--cover needs a file"; cover=$(readlink -f "$2"); shift ;;
	--out) [ $# -ge 2 ] || die "--out needs a directory"; out=$(readlink -f "$2"); shift ;;
	-h|--help) usage; exit 0 ;;
	-*) usage >&2; exit 2 ;;
	*) args+=("$1") ;;
	esac
	shift
done
[ ${#args[@]} -ge 2 ] || { usage >&2; exit 2; }
cmd=${args[0]}
tree=$(readlink -f "${args[1]}")

# "6.12.117" from a Makefile on stdin
kver() {
	awk -F' *= *' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { s = $2 } END { print v "." p "." s }'
}

# Debian package version of the installed linux-source-6.12, if any
pkgver() {
	dpkg-query -W -f='${db:Status-Abbrev}${Version}' "$src_pkg" 2>/dev/null |
		sed -n 's/^ii *//p'
}

do_export() {
	local base=${args[2]:-base} g kv pv tsum n subject body f
	g=(git -C "$tree")
	"${g[@]}" rev-parse -q --verify "$base^{commit}" >/dev/null ||
		die "$tree has no commit or tag '$base'"
	n=$("${g[@]}" rev-list --count "$base..HEAD")
	[ "$n" -gt 0 ] || die "no commits in $base..HEAD"
	[ -z "$("${g[@]}" status --porcelain --untracked-files=no)" ] ||
		die "$tree has uncommitted changes"

	# Where the series applies: Debian's source package, not a git commit.
	kv=$("${g[@]}" show "$base:Makefile" | kver)
	pv=$(pkgver)
	case $pv in
	"$kv"-*) ;;
	*) pv="unknown (installed: ${pv:-none})" ;;
	esac
	tsum=unknown
	[ -f "$tarball" ] && tsum=$(sha256sum "$tarball" | cut -d' ' -f1)

	if [ -n "$cover" ]; then
		subject=$(sed -n '1p' "$cover")
		body=$(sed '1,/^$/d' "$cover")
	else
		local branch desc
		branch=$("${g[@]}" symbolic-ref --short -q HEAD) ||
			die "detached HEAD: use --cover FILE"
		desc=$("${g[@]}" config "branch.$branch.description" || true)
		if [ -z "$desc" ] && [ -f "$out/0000-cover-letter.patch" ]; then
			# keep the cover letter there is
			note "no description for branch $branch: keeping the text of $out/0000-cover-letter.patch"
			desc=$(cover_text "$out/0000-cover-letter.patch")
		fi
		[ -n "$desc" ] || die "no description for branch $branch: run" \
			"'git branch --edit-description' in $tree or use --cover FILE"
		subject=$(printf '%s\n' "$desc" | sed -n '1,/^$/p' | sed '/^$/d' | tr '\n' ' ' | sed 's/ $//')
		body=$(printf '%s\n' "$desc" | sed '1,/^$/d')
	fi

	tmp=$(mktemp -d)
	trap 'rm -rf "${tmp:-}"' EXIT
	# Reproducible output: fixed abbreviation, no commit ids, and the
	# cover letter dated like the last patch.
	"${g[@]}" -c core.abbrev=12 format-patch -q --cover-letter \
		--cover-from-description=none --zero-commit --no-signature \
		--subject-prefix=PATCH -o "$tmp" "$base..HEAD" >/dev/null

	# Fill in the cover letter and note the base.
	SUBJECT=$subject BODY=$body BASE="$src_pkg $pv (Linux $kv)" \
	TSUM="$tsum" DATE="$("${g[@]}" log -1 --format=%aD)" \
	python3 - "$tmp/0000-cover-letter.patch" <<'EOF'
import os, re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r"(?m)^Date: .*$", lambda m: "Date: " + os.environ["DATE"], s, count=1)
s = s.replace("*** SUBJECT HERE ***", os.environ["SUBJECT"], 1)
s = s.replace("*** BLURB HERE ***", os.environ["BODY"].rstrip("\n"), 1)
s = s.rstrip("\n") + "\n\nbase-source: %s\nbase-tarball-sha256: %s\n" % (
    os.environ["BASE"], os.environ["TSUM"])
open(p, "w").write(s)
EOF

	mkdir -p "$out"
	rm -f "$out"/[0-9][0-9][0-9][0-9]-*.patch
	cp "$tmp"/*.patch "$out"/
	{
		echo "# zmm kernel series: apply in order with patch -p1 (or git am)."
		echo "# base-source: $src_pkg $pv (Linux $kv)"
		echo "# base-tarball-sha256: $tsum"
		for f in "$tmp"/[0-9][0-9][0-9][0-9]-*.patch; do
			f=${f##*/}
			[ "$f" = 0000-cover-letter.patch ] || echo "$f"
		done
	} >"$out/series"
	note "wrote $n patches, cover letter and series to $out"
	note "base: $src_pkg $pv (Linux $kv)"
}

do_import() {
	local g f name ver subject body n patches
	[ -e "$tree" ] && die "$tree exists"
	[ -f "$tarball" ] || die "$tarball missing: apt-get install $src_pkg"
	[ -f "$out/series" ] || die "$out/series missing"
	mkdir -p "$tree"
	note "extracting $tarball"
	tar -xJf "$tarball" -C "$tree" --strip-components=1
	g=(git -C "$tree")
	"${g[@]}" init -q
	ver=$(kver <"$tree/Makefile")
	# Debian's tarball ignores everything at the top level (.gitignore):
	# force-add the pristine tree.
	"${g[@]}" add -A -f >/dev/null
	"${g[@]}" -c user.name=import -c user.email=import@localhost \
		commit -q -m "Linux $ver ($src_pkg $(pkgver))"
	"${g[@]}" tag base
	# The description first: it is there too when git am stops below.
	if [ -f "$out/0000-cover-letter.patch" ]; then
		"${g[@]}" config "branch.$("${g[@]}" symbolic-ref --short HEAD).description" \
			"$(cover_text "$out/0000-cover-letter.patch")"
	fi
	# One git am for the whole series: after a stop, git am --continue
	# applies the rest.
	patches=()
	while read -r name _; do
		case $name in ''|'#'*) continue ;; esac
		f=$out/$name
		[ -f "$f" ] || die "series lists missing $name"
		patches+=("$f")
	done <"$out/series"
	if [ ${#patches[@]} -gt 0 ] &&
		! "${g[@]}" am -q --keep-cr --3way "${patches[@]}"; then
		n=$("${g[@]}" rev-list --count base..HEAD)
		name=${patches[n]##*/}
		die "$(printf '%s\n' "git am stopped at $name: it does not apply to $src_pkg $(pkgver)." \
			"  The series was made on: $(sed -n 's/^# *base-source: *//p' "$out/series" | head -n 1)." \
			"  Port it in $tree (git am --show-current-patch=diff shows it: apply" \
			"  it by hand, git add the files), run git am --continue for the rest" \
			"  of the series, then scripts/$prog export $tree.")"
	fi
	note "$tree: base + $("${g[@]}" rev-list --count base..HEAD) patches"
}

case $cmd in
export) do_export ;;
import) do_import ;;
*) usage >&2; exit 2 ;;
esac
