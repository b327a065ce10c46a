#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make bench: /dev/kvm-memslot against in-tree KVM's /dev/kvm, measured by
# one program (memslot-bench) in one guest boot, once per guest CPU count.
#
#   tools/memslot-bench/bench.sh              the benchmark: table, JSON, plot
#   tools/memslot-bench/bench.sh --profile    function_graph profiles instead
#
# Environment:
#   BENCH_SMP="1 2"        guest CPU counts, one boot each
#   BENCH_SAMPLES=200      samples per op and slot count and device
#   BENCH_BUDGET=25        seconds per op and slot count (both devices); past
#                          it a point stops at >= 20 samples (the JSON has n)
#   BENCH_OUT              output directory (default tests/vm/build/bench)
#   BENCH_PARTS            parts to run, comma-separated (all: streams,
#                          relayout,latency,huge,flush)
#   BENCH_PROFILE_OPS      --profile: ops, comma-separated (all five)
#   BENCH_PROFILE_SLOTS    --profile: slot counts, comma-separated (1,32764)
#   BENCH_PROFILE_N        --profile: traced ops per device (20)
#   BENCH_PROFILE_DEPTH    --profile: function_graph depth (6)
#   BENCH_PROFILE_FUNCTIONS --profile: trace only these functions (comma-
#                          separated) under the ioctl, to time them with
#                          little inflation
#   BENCH_PROFILE_EVENTS   --profile: also record these tracefs events
#                          (comma-separated), trace the functions in every
#                          task, and print the raw trace with timestamps
#
# Outputs in BENCH_OUT: smp<N>.json (the figures), smp<N>.txt (the table),
# smp<N>/console.log (the whole boot), latency.png (p50 against slot count),
# host-load.txt, and with --profile profile-smp<N>.txt.  Nothing here
# asserts anything about time; it fails only if no figures came out.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${BENCH_OUT:-$root/tests/vm/build/bench}
mode=bench
[ "${1:-}" = --profile ] && mode=profile
smps=${BENCH_SMP:-1 2}
[ "$mode" = profile ] && smps=${BENCH_SMP:-1}

make -s -C "$here"
mkdir -p "$out"

load() { echo "$(date -u +%FT%TZ) host load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"; }
load >"$out/host-load.txt"

cut_section() {	# cut_section <begin regex> <end regex> <file>
	sed -n "/$1/,/$2/p" "$3" | sed '1d;$d'
}

got=0
for smp in $smps; do
	dir=$out/smp$smp
	mkdir -p "$dir"
	env="BENCH_MODE=$mode BENCH_SAMPLES=${BENCH_SAMPLES:-200} BENCH_BUDGET=${BENCH_BUDGET:-25}"
	for k in BENCH_PARTS BENCH_PROFILE_OPS BENCH_PROFILE_SLOTS BENCH_PROFILE_N BENCH_PROFILE_DEPTH BENCH_PROFILE_FUNCTIONS BENCH_PROFILE_EVENTS; do
		[ -n "${!k:-}" ] && env+=" $k=${!k}"
	done
	echo "bench: booting with $smp guest CPU(s), $(load)"
	set +e
	VMTEST_SMP=$smp VMTEST_BUILD_DIR=$dir VMTEST_DEMO=$here/guest.sh \
	VMTEST_FILES="$here/build/memslot-bench" VMTEST_GUEST_ENV="$env" \
	VMTEST_TIMEOUT=${VMTEST_TIMEOUT:-1200} "$root/tests/vm/run.sh"
	rc=$?
	set -e
	# a splat or a failed step is reported, but the figures are still kept
	[ $rc = 0 ] || echo "bench: the guest lane reported a failure (status $rc): see $dir/summary.txt"
	load >>"$out/host-load.txt"
	log=$dir/console.log
	if [ "$mode" = profile ]; then
		grep -v '^@@@VMTEST' "$log" | sed -n '/@@@BENCH PROFILE BEGIN/,/@@@BENCH PROFILE END/p' \
			>"$out/profile-smp$smp.txt"
		[ -s "$out/profile-smp$smp.txt" ] && got=1
		echo "bench: profiles in $out/profile-smp$smp.txt"
		continue
	fi
	cut_section '@@@BENCH TABLE BEGIN@@@' '@@@BENCH TABLE END@@@' "$log" |
		grep -v -e '^memslot-bench: [^,]*$' -e '^\[ *[0-9.]*\] ' >"$out/smp$smp.txt" || true
	cut_section '@@@BENCH JSON BEGIN@@@' '@@@BENCH JSON END@@@' "$log" >"$out/smp$smp.json"
	if grep -q '"ops"' "$out/smp$smp.json"; then
		got=1
	else
		echo "bench: no figures from the boot with $smp guest CPU(s)"
		rm -f "$out/smp$smp.json"
	fi
done
[ $got = 1 ] || { echo "bench: no figures at all" >&2; exit 1; }
[ "$mode" = profile ] && exit 0

# p50 against slot count: one data block per op, columns
#   slots kvm-smp1 memslot-smp1 kvm-smp2 memslot-smp2 ...
dat=$out/latency.dat
: >"$dat"
for op in create delete move dirty-on dirty-off; do
	echo "# $op" >>"$dat"
	for n in 1 64 512 4096 32764; do
		line=$n
		for smp in $smps; do
			for dev in kvm memslot; do
				v=$(grep -s "\"op\": \"$op\", \"slots\": $n," "$out/smp$smp.json" |
					sed -n "s/.*\"$dev\": {[^}]*\"p50_us\": \([0-9.]*\).*/\1/p")
				line+=" ${v:-NaN}"
			done
		done
		echo "$line" >>"$dat"
	done
	printf '\n\n' >>"$dat"
done

# Without the latency part (BENCH_PARTS) there is nothing to plot.
if ! grep -q '[0-9] [0-9.]' "$dat"; then
	echo "bench: no latency figures, no plot"
	exit 0
fi
if ! command -v gnuplot >/dev/null; then
	echo "bench: installing gnuplot-nox for the plot"
	if [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q gnuplot-nox >/dev/null || true
	fi
fi
if command -v gnuplot >/dev/null; then
	plot=
	col=2
	for smp in $smps; do
		for dev in kvm memslot; do
			plot+="${plot:+, }dat index i using 1:$col with linespoints title '$dev, $smp CPU'"
			col=$((col + 1))
		done
	done
	gnuplot <<GP
set terminal pngcairo size 1500,900 font ',10'
set output '$out/latency.png'
dat = '$dat'
set multiplot layout 2,3 title 'kvm-memslot vs in-tree KVM: p50 latency of one slot update (TCG guest, $(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/') host load)'
set logscale x
set xrange [0.7:50000]
set xlabel 'slots in the VM'
set ylabel 'p50 latency (us)'
set key top left
set grid
ops = 'create delete move dirty-on dirty-off'
do for [i=0:4] {
	set title word(ops, i + 1)
	plot $plot
}
unset multiplot
GP
	echo "bench: plot in $out/latency.png"
else
	echo "bench: gnuplot not available (apt-get install gnuplot-nox): no plot"
fi
for smp in $smps; do
	[ -f "$out/smp$smp.txt" ] || continue
	echo
	echo "==== $smp guest CPU(s) ===="
	cat "$out/smp$smp.txt"
done
echo
echo "bench: figures in $out/smp*.json, tables in $out/smp*.txt, host load in $out/host-load.txt"
