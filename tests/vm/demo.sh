#!/bin/sh
# shellcheck shell=dash
# Guest side of make demo (scripts/vm-demo.sh), ZMM_BACKEND=zmm or zswap
# (ZMM_ZSWAP_SHRINKER=Y: with zswap's shrinker, off by default in 6.12):
# the same two workloads, sampled every ZMM_SAMPLE seconds ("DEMO-SAMPLE"
# lines), then one "DEMO-RESULT" line per workload for the host's table.
#   anon: stress-ng --vm (verified) in a cgroup with memory.max=64M
#   file: a 48 MiB file on ext4 read twice in a cgroup with memory.max=32M
# (1.5 times the limit: the part that does not fit can come back from zmm)
set -u
SCN=demo
# shellcheck source=lib.sh
. /tests/lib.sh

every=${ZMM_SAMPLE:-2}
backend_setup
# the name in the tables: zmm, zswap or zswap+shrinker
name=$(mode_label)
name=${name%/*}
mb=${ZMM_DEMO_FILE_MB:-48}

pool() { # pool: "zpages pageframes bytes" of the backend
	if [ "$BACKEND" = zmm ]; then
		echo "$(zs nr_zpages) $(zs pages_held) $(zs bytes_used)"
	else
		echo "$(zw stored_pages) $(($(zw pool_total_size) / 4096)) $(zw pool_total_size)"
	fi
}
demo_sample() { # demo_sample PHASE
	# shellcheck disable=SC2046 # three numbers
	set -- "$1" $(pool)
	_t=$(($(cut -d. -f1 /proc/uptime) - T0))
	echo "DEMO-SAMPLE: $name $1 t=$_t anon_zpages=$(vm nr_anon_zpages) file_zpages=$(vm nr_file_zpages) zpages=$2 pageframes=$3 bytes=$4 ratio=$(ratio "$2" "$3") fill=$(ratio "$4" $(($3 * 4096))) pswpout=$(vm pswpout) pswpin=$(vm pswpin)"
	if [ "$3" -gt "$(peak_get held)" ]; then
		echo "$3" >/tmp/zmm-peak.held
		echo "$2" >/tmp/zmm-peak.zpages
		echo "$4" >/tmp/zmm-peak.bytes
	fi
}
demo_while() { while kill -0 "$1" 2>/dev/null; do demo_sample "$2"; sleep "$every"; done; }

# ---- anon ----
cg=$(cg_make demo-anon 64M) || bail "no memory cgroup"
echo max >"$cg/memory.swap.max"
peak_reset
out0=$(vm pswpout); in0=$(vm pswpin)
T0=$(cut -d. -f1 /proc/uptime)
in_cg "$cg" stress-ng --vm 4 --vm-bytes 112M --vm-method flip --verify -t 40s \
	--metrics-brief >/tmp/stress.log 2>&1 &
pid=$!
demo_while "$pid" anon
rc=0
wait "$pid" || rc=$?
demo_sample anon
echo "DEMO-RESULT: $name anon verify_rc=$rc ops_per_s=$(stress_ops_s /tmp/stress.log) pswpout=$(($(vm pswpout) - out0)) pswpin=$(($(vm pswpin) - in0)) peak_zpages=$(peak_get zpages) peak_pageframes=$(peak_get held) peak_bytes=$(peak_get bytes)"
rmdir "$cg" 2>/dev/null
# give the swap back: every page of the workload is gone
swapoff -a && swap_on

# ---- file ----
cg=$(cg_make demo-file 32M) || bail "no memory cgroup"
seq 1 800000 | head -c 4194304 >/tmp/seed
i=0
while [ $i -lt $((mb / 4)) ]; do cat /tmp/seed; i=$((i + 1)); done >/data/demo
sync
echo 3 >/proc/sys/vm/drop_caches
peak_reset

T0=$(cut -d. -f1 /proc/uptime)
in_cg "$cg" md5sum /data/demo >/tmp/sum1 &
demo_while $! file-read1
ld1=$(zs loaded); pg1=$(vm pgpgin); t1=$(cut -d. -f1 /proc/uptime)
in_cg "$cg" md5sum /data/demo >/tmp/sum2 &
demo_while $! file-read2
demo_sample file-read2
same=no
[ "$(cut -d' ' -f1 /tmp/sum1)" = "$(cut -d' ' -f1 /tmp/sum2)" ] && same=yes
echo "DEMO-RESULT: $name file checksums_match=$same read2_s=$(($(cut -d. -f1 /proc/uptime) - t1)) read2_disk_kb=$(($(vm pgpgin) - pg1)) read2_loads=$(($(zs loaded) - ld1)) peak_zpages=$(peak_get zpages) peak_pageframes=$(peak_get held) peak_bytes=$(peak_get bytes)"
rm -f /data/demo
rmdir "$cg" 2>/dev/null
[ "$rc" = 0 ] && [ "$same" = yes ]
