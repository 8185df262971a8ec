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
#
# Results are TAP lines, as every VM test prints them (tests/vm/lib.sh,
# /tests/lib.sh in the guest); a missing precondition is one "not ok" line
# and the end of the test.  Counters are read with lib.sh's vm and memstat
# after vm_fold where the exact value matters (/proc/vmstat may lag by a
# few pages per CPU; the fold also warns about any negative counter).
set -eu
# shellcheck source=tests/vm/lib.sh
. /tests/lib.sh

parts=${ZPT_PARTS:-$(cmdline_get zpt.parts "anon,file,mix,unload" | tr , ' ')}
zswap=${ZPT_ZSWAP:-$(cmdline_get zpt.zswap 0)}
cg=/sys/fs/cgroup/zpt
p=/sys/module/zpage_test_backend/parameters

# vmf NAME: a /proc/vmstat item, folded first; mstat NAME: the test cgroup's
vmf() { vm_fold; vm "$1"; }
mstat() { memstat "$cg" "$1"; }
show() {
	vm_fold
	show_counters "$1"
	[ ! -f "$cg/memory.stat" ] ||
		echo "#   memcg: $(grep -E '^(anon_zpages|file_zpages|zpage_|zswp|pswp)' "$cg/memory.stat" | tr '\n' ' ')"
}
incg() { in_cg "$cg" "$@"; }
md5() { md5sum "$1" | cut -d' ' -f1; }
remount() { sync; umount /data; mount -t ext4 "$datadev" /data; }
# Checksum of $1 as on disk: remount (evicts the inode, and with it the
# backend's copies), read, and drop that page cache again so that reads
# in the cgroup are misses charged to it.
truth() { remount; md5 "$1"; sync; echo 3 >/proc/sys/vm/drop_caches; }

[ -d "$p" ] || bail "zpage_test_backend not loaded"
max=$(cmdline_get zpt.max_pages '')
[ -z "$max" ] || echo "$max" >"$p/max_pages"
# zpt.break=1: the backend ignores range invalidations; the file part
# must then have "not ok" lines (the stale-data checks have teeth)
[ "$(cmdline_get zpt.break 0)" = 0 ] || echo 1 >"$p/break_invalidate"
echo "max_pages=$(cat $p/max_pages)"
for k in nr_anon_zpages nr_file_zpages; do
	check "$k in /proc/vmstat" vm_has "$k"
done
# events are in /proc/vmstat only with CONFIG_VM_EVENT_COUNTERS
if vm_has pgfault; then
	for k in zpage_store zpage_load zpage_reject zpage_writeback zpage_drop; do
		check "$k in /proc/vmstat" vm_has "$k"
	done
else
	note "no CONFIG_VM_EVENT_COUNTERS: events checked in memory.stat only"
fi
grep -q ' /data ext4 ' /proc/mounts || bail "no ext4 on /data (run with --data)"
datadev=$(awk '$2 == "/data" { print $1 }' /proc/mounts)
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$cg"
for k in anon_zpages file_zpages zpage_store zpage_load zpage_reject zpage_writeback zpage_drop; do
	check "$k in memory.stat" stat_has "$cg/memory.stat" "$k"
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
	expect "anon: stress-ng --verify exit status (2 = verification errors)" "$rc" -eq 0
	expect "anon: OOM kills" "$(stat_get "$cg/memory.events" oom_kill)" -eq 0
	expect "anon: memcg zpage_store rose" $(($(mstat zpage_store) - s0)) -gt 0
	expect "anon: memcg zpage_load rose" $(($(mstat zpage_load) - l0)) -gt 0
	if [ "$zswap" = 1 ]; then
		expect "anon: zswap got rejected pages (memcg zswpout)" $(($(mstat zswpout) - z0)) -gt 0
	fi
	# The workers are gone and their slots freed, which invalidates the
	# copies; up to 64 freed slots per CPU may still sit in the swap
	# slots cache (swapoff below drains it and must leave 0).
	# Exiting workers may still be tearing down their memory: give it time.
	i=0
	while [ "$(vmf nr_anon_zpages)" -gt 128 ] && [ $i -lt 30 ]; do
		sleep 1; i=$((i + 1))
	done
	expect "anon: nr_anon_zpages after exit" "$(vmf nr_anon_zpages)" -le 128
	expect "anon: memcg anon_zpages (bytes) after exit" "$(mstat anon_zpages)" -le $((128 * 4096))
	echo "# $(grep -E '^(anon_zpages|zpage_)' "$cg/memory.stat" | tr '\n' ' ')"
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
		check "file: read $i checksum" [ "$(incg md5sum "$f" | cut -d' ' -f1)" = "$ref" ]
	done
	show "after reads"
	expect "file: pages put (memcg zpage_store)" $(($(mstat zpage_store) - s0)) -gt 0
	expect "file: pages got back (memcg zpage_load)" $(($(mstat zpage_load) - l0)) -gt 0
	expect "file: nr_file_zpages" "$(vmf nr_file_zpages)" -gt 0
	echo "# memory.stat: $(grep -E '^(file_zpages|zpage_)' "$cg/memory.stat" | tr '\n' ' ')"

	echo "-- buffered overwrite of pages the backend holds"
	incg dd if=/dev/zero of="$f" bs=4k seek=1000 count=3000 conv=notrunc 2>/dev/null
	incg dd if=/dev/urandom of="$f" bs=1000 seek=7777 count=500 conv=notrunc 2>/dev/null
	got=$(incg md5sum "$f" | cut -d' ' -f1)
	check "file: no stale data after buffered overwrite" [ "$got" = "$(truth "$f")" ]
	incg md5sum "$f" >/dev/null

	echo "-- direct I/O overwrite"
	incg dd if=/dev/urandom of="$f" bs=64k seek=100 count=64 oflag=direct conv=notrunc 2>/dev/null
	got=$(incg md5sum "$f" | cut -d' ' -f1)
	check "file: no stale data after direct I/O write" [ "$got" = "$(truth "$f")" ]
	incg md5sum "$f" >/dev/null

	echo "-- truncate and extend"
	truncate -s 10000000 "$f"
	truncate -s 67108864 "$f"
	got=$(incg md5sum "$f" | cut -d' ' -f1)
	tail=$(dd if="$f" bs=1000000 skip=10 2>/dev/null | md5sum | cut -d' ' -f1)
	zero=$(dd if=/dev/zero bs=1000000 count=58 2>/dev/null | head -c 57108864 | md5sum | cut -d' ' -f1)
	check "file: no old data beyond a truncation" [ "$tail" = "$zero" ]
	check "file: no stale data after truncate" [ "$got" = "$(truth "$f")" ]

	echo "-- inode eviction"
	incg md5sum "$f" >/dev/null
	n=$(vmf nr_file_zpages)
	rm "$f"
	sync
	show "after rm (had $n)"
	expect "file: nr_file_zpages after rm" "$(vmf nr_file_zpages)" -eq 0
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
	expect "mix: stress-ng --verify exit status (2 = verification errors)" "$rc" -eq 0
	expect "mix: memcg zpage_store rose" $(($(mstat zpage_store) - s0)) -gt 0
	expect "mix: memcg zpage_load rose" $(($(mstat zpage_load) - l0)) -gt 0
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
	expect "unload: nr_anon_zpages after swapoff" "$(vmf nr_anon_zpages)" -eq 0
	check "unload: rmmod zpage_test_backend" rmmod zpage_test_backend
	show "after rmmod"
	expect "unload: nr_file_zpages after rmmod" "$(vmf nr_file_zpages)" -eq 0
	# the mapping is still flagged: the hooks run without a backend
	echo 8M >"$cg/memory.max"
	check "unload: read after rmmod" [ "$(incg md5sum "$g" | cut -d' ' -f1)" = "$ref" ]
	truncate -s 4096 "$g"
	rm "$g"
	echo max >"$cg/memory.max"
	;;
esac
rmdir "$cg"
dmesg | grep -i zpage | sed 's/^/# /' || true
expect "no negative zpage counter (vmstat_refresh warnings)" \
	"$(dmesg | grep -Ec 'vmstat_refresh: .*zpages' || true)" -eq 0
tap_end
