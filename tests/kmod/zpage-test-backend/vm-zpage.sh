#!/bin/sh
# shellcheck shell=dash
# Guest test of the zpage hooks with zpage_test_backend.ko (see run-vm.sh).
#
# Needs: swap active, ext4 on /data, zpage_test_backend.ko loaded.
# Kernel command line (or environment ZPT_ZSWAP, ZPT_PARTS): zpt.zswap=1
# also enables zswap (the backend is asked first, its rejects go to zswap);
# zpt.parts=anon,file,unload selects the parts; zpt.max_pages=N caps the
# backend (its module parameter).
set -eu

cmdline_get() { for w in $(cat /proc/cmdline); do case $w in "$1="*) echo "${w#*=}"; return ;; esac; done; echo "$2"; }
parts=${ZPT_PARTS:-$(cmdline_get zpt.parts "anon,file,unload" | tr , ' ')}
zswap=${ZPT_ZSWAP:-$(cmdline_get zpt.zswap 0)}
cg=/sys/fs/cgroup/zpt
p=/sys/module/zpage_test_backend/parameters

fail() { echo "zpage: FAIL: $*"; exit 1; }
vm() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }' /proc/vmstat; }
mstat() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "missing" }' "$cg/memory.stat"; }
show() {
	echo "-- $1: $(grep -E '^(nr_anon_zpages|nr_file_zpages|zpage_|pswp|zswp)' /proc/vmstat | tr '\n' ' ')"
}
incg() { sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "$@"; }
md5() { md5sum "$1" | cut -d' ' -f1; }
remount() { sync; umount /data; mount -t ext4 "$datadev" /data; }

[ -d "$p" ] || fail "zpage_test_backend not loaded"
max=$(cmdline_get zpt.max_pages '')
[ -z "$max" ] || echo "$max" >"$p/max_pages"
echo "max_pages=$(cat $p/max_pages)"
for k in nr_anon_zpages nr_file_zpages zpage_store zpage_load zpage_reject zpage_writeback zpage_drop; do
	[ "$(vm $k)" != missing ] || fail "$k missing from /proc/vmstat"
done
grep -q ' /data ext4 ' /proc/mounts || fail "no ext4 on /data (run with --data)"
datadev=$(awk '$2 == "/data" { print $1 }' /proc/mounts)
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$cg"
for k in anon_zpages file_zpages zpage_store zpage_load; do
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
	s0=$(vm zpage_store); l0=$(vm zpage_load); z0=$(vm zswpout)
	rc=0
	incg stress-ng --vm 2 --vm-bytes 192M --vm-method all --verify -t 30s \
		--metrics-brief --temp-path /tmp || rc=$?
	show "after stress-ng"
	[ "$rc" = 0 ] || fail "stress-ng exited with $rc (2 = verification errors)"
	[ "$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")" = 0 ] || fail "OOM kill"
	[ $(($(vm zpage_store) - s0)) -gt 0 ] || fail "no zpage_store"
	[ $(($(vm zpage_load) - l0)) -gt 0 ] || fail "no zpage_load"
	if [ "$zswap" = 1 ]; then
		[ $(($(vm zswpout) - z0)) -gt 0 ] || fail "zswap got no rejected page"
	fi
	# the workers are gone: every slot was freed, every copy invalidated
	[ "$(vm nr_anon_zpages)" = 0 ] || fail "nr_anon_zpages=$(vm nr_anon_zpages) after exit"
	[ "$(mstat anon_zpages)" = 0 ] || fail "memory.stat anon_zpages=$(mstat anon_zpages)"
	grep -E '^(anon_zpages|zpage_)' "$cg/memory.stat" | tr '\n' ' '; echo
	echo max >"$cg/memory.max"
	;;
esac

case " $parts " in *" file "*)
	echo "== file: clean page cache through the backend, memory.max=24M"
	f=/data/f
	# 64 MiB of distinct lines, so that any misplaced page shows
	seq -w 1 9000000 | head -c 67108864 >"$f"
	remount
	ref=$(md5 "$f")
	echo 24M >"$cg/memory.max"
	s0=$(vm zpage_store); l0=$(vm zpage_load)
	for i in 1 2 3; do
		[ "$(incg md5sum "$f" | cut -d' ' -f1)" = "$ref" ] || fail "read $i: checksum"
	done
	show "after reads"
	[ $(($(vm zpage_store) - s0)) -gt 0 ] || fail "no file page put"
	[ $(($(vm zpage_load) - l0)) -gt 0 ] || fail "no file page got back"
	[ "$(vm nr_file_zpages)" -gt 0 ] || fail "nr_file_zpages is 0"
	echo "memory.stat: $(grep -E '^(file_zpages|zpage_)' "$cg/memory.stat" | tr '\n' ' ')"

	echo "-- buffered overwrite of pages the backend holds"
	incg dd if=/dev/zero of="$f" bs=4k seek=1000 count=3000 conv=notrunc 2>/dev/null
	incg dd if=/dev/urandom of="$f" bs=1000 seek=7777 count=500 conv=notrunc 2>/dev/null
	got=$(incg md5sum "$f" | cut -d' ' -f1)
	remount
	[ "$got" = "$(md5 "$f")" ] || fail "stale data after buffered overwrite"
	incg md5sum "$f" >/dev/null

	echo "-- direct I/O overwrite"
	incg dd if=/dev/urandom of="$f" bs=64k seek=100 count=64 oflag=direct conv=notrunc 2>/dev/null
	got=$(incg md5sum "$f" | cut -d' ' -f1)
	remount
	[ "$got" = "$(md5 "$f")" ] || fail "stale data after direct I/O write"
	incg md5sum "$f" >/dev/null

	echo "-- truncate and extend"
	truncate -s 10000000 "$f"
	truncate -s 67108864 "$f"
	got=$(incg md5sum "$f" | cut -d' ' -f1)
	tail=$(dd if="$f" bs=1000000 skip=10 2>/dev/null | md5sum | cut -d' ' -f1)
	zero=$(dd if=/dev/zero bs=1000000 count=58 2>/dev/null | head -c 57108864 | md5sum | cut -d' ' -f1)
	[ "$tail" = "$zero" ] || fail "old data beyond a truncation came back"
	remount
	[ "$got" = "$(md5 "$f")" ] || fail "stale data after truncate"

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

case " $parts " in *" unload "*)
	echo "== unload"
	g=/data/g
	seq -w 1 3000000 | head -c 16777216 >"$g"
	remount
	ref=$(md5 "$g")
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
echo "zpage: PASS"
