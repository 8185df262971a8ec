#!/bin/sh
# shellcheck shell=dash
# Guest test of the zpage hooks with zpage_test_backend.ko (see run-vm.sh).
#
# Needs: swap active, ext4 on /data, zpage_test_backend.ko loaded.
# Kernel command line (or environment ZPT_ZSWAP, ZPT_PARTS): zpt.zswap=1
# also enables zswap (the backend is asked first, its rejects go to zswap);
# zpt.parts=anon,file,mix,unload selects the parts (default: all);
# zpt.max_pages=N caps the backend (its module parameter); zpt.break=1
# makes it ignore range invalidations, and the file part must then fail.
set -eu

cmdline_get() { # cmdline_get KEY DEFAULT
	read -r cmdline </proc/cmdline
	for w in $cmdline; do
		case $w in "$1="*) echo "${w#*=}"; return ;; esac
	done
	echo "$2"
}
parts=${ZPT_PARTS:-$(cmdline_get zpt.parts "anon,file,mix,unload" | tr , ' ')}
zswap=${ZPT_ZSWAP:-$(cmdline_get zpt.zswap 0)}
cg=/sys/fs/cgroup/zpt
p=/sys/module/zpage_test_backend/parameters

fail() { echo "zpage: FAIL: $*"; exit 1; }
# Fold the per-CPU counter deltas first (/proc/vmstat may lag by a few
# pages per CPU); vmstat_refresh also warns about any negative counter.
vm() {
	echo 1 >/proc/sys/vm/stat_refresh
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }' /proc/vmstat
}
mstat() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }' "$cg/memory.stat"; }
show() {
	echo 1 >/proc/sys/vm/stat_refresh
	echo "-- $1: $(grep -E '^(nr_anon_zpages|nr_file_zpages|zpage_|pswp|zswp)' /proc/vmstat | tr '\n' ' ')"
	[ ! -f "$cg/memory.stat" ] ||
		echo "   memcg: $(grep -E '^(anon_zpages|file_zpages|zpage_|zswp|pswp)' "$cg/memory.stat" | tr '\n' ' ')"
}
incg() { sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@"; }
md5() { md5sum "$1" | cut -d' ' -f1; }
remount() { sync; umount /data; mount -t ext4 "$datadev" /data; }
# Checksum of $1 as on disk: remount (evicts the inode, and with it the
# backend's copies), read, and drop that page cache again so that reads
# in the cgroup are misses charged to it.
truth() { remount; md5 "$1"; sync; echo 3 >/proc/sys/vm/drop_caches; }

[ -d "$p" ] || fail "zpage_test_backend not loaded"
max=$(cmdline_get zpt.max_pages '')
[ -z "$max" ] || echo "$max" >"$p/max_pages"
# zpt.break=1: the backend ignores range invalidations; the file part
# must then FAIL (checks that the stale-data checks have teeth)
[ "$(cmdline_get zpt.break 0)" = 0 ] || echo 1 >"$p/break_invalidate"
echo "max_pages=$(cat $p/max_pages)"
for k in nr_anon_zpages nr_file_zpages; do
	[ "$(vm $k)" != missing ] || fail "$k missing from /proc/vmstat"
done
# events are in /proc/vmstat only with CONFIG_VM_EVENT_COUNTERS
if [ "$(vm pgfault)" != missing ]; then
	for k in zpage_store zpage_load zpage_reject zpage_writeback zpage_drop; do
		[ "$(vm $k)" != missing ] || fail "$k missing from /proc/vmstat"
	done
else
	echo "no CONFIG_VM_EVENT_COUNTERS: events checked in memory.stat only"
fi
grep -q ' /data ext4 ' /proc/mounts || fail "no ext4 on /data (run with --data)"
datadev=$(awk '$2 == "/data" { print $1 }' /proc/mounts)
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$cg"
for k in anon_zpages file_zpages zpage_store zpage_load zpage_reject zpage_writeback zpage_drop; do
	[ "$(mstat $k)" != missing ] || fail "$k missing from memory.stat"
done

if [ "$zswap" = 1 ]; then
	z=/sys/module/zswap/parameters
	echo lz4 >"$z/compressor"
	echo zsmalloc >"$z/zpool"
	echo 1 >"$z/enabled"
	echo "zswap enabled=$(cat $z/enabled) compressor=$(cat $z/compressor)"
fi
show start

case " $parts " in *" anon "*)
	echo "== anon: stress-ng --vm --verify in memory.max=64M"
	echo 64M >"$cg/memory.max"
	s0=$(mstat zpage_store); l0=$(mstat zpage_load); z0=$(mstat zswpout)
	rc=0
	incg stress-ng --vm 2 --vm-bytes 192M --vm-method all --verify -t 30s \
		--metrics-brief --temp-path /tmp || rc=$?
	show "after stress-ng"
	[ "$rc" = 0 ] || fail "stress-ng exited with $rc (2 = verification errors)"
	[ "$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")" = 0 ] || fail "OOM kill"
	[ $(($(mstat zpage_store) - s0)) -gt 0 ] || fail "no zpage_store"
	[ $(($(mstat zpage_load) - l0)) -gt 0 ] || fail "no zpage_load"
	if [ "$zswap" = 1 ]; then
		[ $(($(mstat zswpout) - z0)) -gt 0 ] || fail "zswap got no rejected page"
	fi
	# The workers are gone and their slots freed, which invalidates the
	# copies; up to 64 freed slots per CPU may still sit in the swap
	# slots cache (swapoff below drains it and must leave 0).
	# Exiting workers may still be tearing down their memory: give it time.
	i=0
	while [ "$(vm nr_anon_zpages)" -gt 128 ] && [ $i -lt 30 ]; do
		sleep 1; i=$((i + 1))
	done
	[ "$(vm nr_anon_zpages)" -le 128 ] || fail "nr_anon_zpages=$(vm nr_anon_zpages) after exit"
	[ "$(mstat anon_zpages)" -le $((128 * 4096)) ] || fail "memory.stat anon_zpages=$(mstat anon_zpages)"
	grep -E '^(anon_zpages|zpage_)' "$cg/memory.stat" | tr '\n' ' '; echo
	echo max >"$cg/memory.max"
	;;
esac

case " $parts " in *" file "*)
	echo "== file: clean page cache through the backend, memory.max=24M"
	f=/data/f
	# 64 MiB of distinct lines, so that any misplaced page shows
	seq -w 1 9000000 | head -c 67108864 >"$f"
	ref=$(truth "$f")
	echo 24M >"$cg/memory.max"
	s0=$(mstat zpage_store); l0=$(mstat zpage_load)
	for i in 1 2 3; do
		[ "$(incg md5sum "$f" | cut -d' ' -f1)" = "$ref" ] || fail "read $i: checksum"
	done
	show "after reads"
	[ $(($(mstat zpage_store) - s0)) -gt 0 ] || fail "no file page put"
	[ $(($(mstat zpage_load) - l0)) -gt 0 ] || fail "no file page got back"
	[ "$(vm nr_file_zpages)" -gt 0 ] || fail "nr_file_zpages is 0"
	echo "memory.stat: $(grep -E '^(file_zpages|zpage_)' "$cg/memory.stat" | tr '\n' ' ')"

	echo "-- buffered overwrite of pages the backend holds"
	incg dd if=/dev/zero of="$f" bs=4k seek=1000 count=3000 conv=notrunc 2>/dev/null
	incg dd if=/dev/urandom of="$f" bs=1000 seek=7777 count=500 conv=notrunc 2>/dev/null
	got=$(incg md5sum "$f" | cut -d' ' -f1)
	[ "$got" = "$(truth "$f")" ] || fail "stale data after buffered overwrite"
	incg md5sum "$f" >/dev/null

	echo "-- direct I/O overwrite"
	incg dd if=/dev/urandom of="$f" bs=64k seek=100 count=64 oflag=direct conv=notrunc 2>/dev/null
	got=$(incg md5sum "$f" | cut -d' ' -f1)
	[ "$got" = "$(truth "$f")" ] || fail "stale data after direct I/O write"
	incg md5sum "$f" >/dev/null

	echo "-- truncate and extend"
	truncate -s 10000000 "$f"
	truncate -s 67108864 "$f"
	got=$(incg md5sum "$f" | cut -d' ' -f1)
	tail=$(dd if="$f" bs=1000000 skip=10 2>/dev/null | md5sum | cut -d' ' -f1)
	zero=$(dd if=/dev/zero bs=1000000 count=58 2>/dev/null | head -c 57108864 | md5sum | cut -d' ' -f1)
	[ "$tail" = "$zero" ] || fail "old data beyond a truncation came back"
	[ "$got" = "$(truth "$f")" ] || fail "stale data after truncate"

	echo "-- inode eviction"
	incg md5sum "$f" >/dev/null
	n=$(vm nr_file_zpages)
	rm "$f"
	sync
	show "after rm (had $n)"
	[ "$(vm nr_file_zpages)" = 0 ] || fail "nr_file_zpages=$(vm nr_file_zpages) after rm"
	echo max >"$cg/memory.max"
	;;
esac

case " $parts " in *" mix "*)
	echo "== mix: file and anon stressors with --verify on /data, memory.max=48M"
	echo 48M >"$cg/memory.max"
	s0=$(mstat zpage_store); l0=$(mstat zpage_load)
	rc=0
	incg stress-ng --hdd 2 --hdd-bytes 24M --hdd-opts wr-rnd,rd-rnd \
		--mmap 1 --mmap-bytes 24M --mmap-file --seek 1 --seek-size 24M \
		--vm 1 --vm-bytes 48M --verify -t 40s --temp-path /data \
		--metrics-brief || rc=$?
	show "after mix"
	[ "$rc" = 0 ] || fail "stress-ng exited with $rc (2 = verification errors)"
	[ $(($(mstat zpage_store) - s0)) -gt 0 ] || fail "no zpage_store"
	[ $(($(mstat zpage_load) - l0)) -gt 0 ] || fail "no zpage_load"
	echo max >"$cg/memory.max"
	;;
esac

case " $parts " in *" unload "*)
	echo "== unload"
	g=/data/g
	seq -w 1 3000000 | head -c 16777216 >"$g"
	ref=$(truth "$g")
	echo 8M >"$cg/memory.max"
	incg md5sum "$g" >/dev/null
	echo max >"$cg/memory.max"
	swapoff -a
	show "after swapoff"
	[ "$(vm nr_anon_zpages)" = 0 ] || fail "anon zpages left after swapoff"
	rmmod zpage_test_backend || fail "rmmod"
	show "after rmmod"
	[ "$(vm nr_file_zpages)" = 0 ] || fail "file zpages left after rmmod"
	# the mapping is still flagged: the hooks run without a backend
	echo 8M >"$cg/memory.max"
	[ "$(incg md5sum "$g" | cut -d' ' -f1)" = "$ref" ] || fail "read after rmmod"
	truncate -s 4096 "$g"
	rm "$g"
	echo max >"$cg/memory.max"
	;;
esac
rmdir "$cg"
dmesg | grep -i zpage || true
! dmesg | grep -E 'vmstat_refresh: .*zpages' || fail "negative zpage counter"
echo "zpage: PASS"
