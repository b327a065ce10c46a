#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The guest side of 'make bench' (run by tests/vm/init in demo mode, see
# bench.sh): the benchmark, or with BENCH_MODE=profile the function_graph
# profiles (lists are comma-separated: VMTEST_GUEST_ENV splits on blanks),
# each between markers that bench.sh cuts out of the console log.
cd /payload || exit 1
mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
rc=0
if [ "${BENCH_MODE:-bench}" = profile ]; then
	for op in $(echo "${BENCH_PROFILE_OPS:-create,delete,move,dirty-on,dirty-off}" | tr , " "); do
		for n in $(echo "${BENCH_PROFILE_SLOTS:-1,32764}" | tr , " "); do
			echo "@@@BENCH PROFILE BEGIN op=$op slots=$n@@@"
			./memslot-bench --profile "$op" --profile-slots "$n" \
				--profile-ops "${BENCH_PROFILE_N:-20}" \
				--profile-depth "${BENCH_PROFILE_DEPTH:-6}" \
				${BENCH_PROFILE_FUNCTIONS:+--profile-functions "$BENCH_PROFILE_FUNCTIONS"} \
				${BENCH_PROFILE_EVENTS:+--profile-events "$BENCH_PROFILE_EVENTS"} || rc=1
			echo "@@@BENCH PROFILE END@@@"
		done
	done
	exit $rc
fi
echo "@@@BENCH TABLE BEGIN@@@"
./memslot-bench --json /tmp/bench.json --samples "${BENCH_SAMPLES:-200}" \
	--budget "${BENCH_BUDGET:-25}" \
	${BENCH_PARTS:+--parts "$BENCH_PARTS"} || rc=1
echo "@@@BENCH TABLE END@@@"
echo "@@@BENCH JSON BEGIN@@@"
cat /tmp/bench.json
echo "@@@BENCH JSON END@@@"
exit $rc
