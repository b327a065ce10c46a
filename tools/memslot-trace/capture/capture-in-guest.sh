#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Record memslot traces of real QEMU on a real /dev/kvm without a KVM host:
# boot the guest lane's TCG guest (tests/vm/run.sh, demo mode), whose
# in-tree KVM (kvm-amd on TCG's SVM emulation) gives a working /dev/kvm, run
# this host's QEMU there with -accel kvm for every scenario under
# memslot-record's ioctl logger and strace (guest-capture.sh), and convert
# the logs with memslot-record's own conversion (convert-capture.py) into
# tools/memslot-trace/fixtures/<name>.trace.
#
#   tools/memslot-trace/capture/capture-in-guest.sh [scenario...]
#   make -C tools/memslot-trace capture
#
# Default scenarios: capture/scenarios/*.scenario.  Environment:
#   CAPTURE_OUT     where the traces go (default tools/memslot-trace/fixtures)
#   CAPTURE_WORK    scratch directory: payload, guest build, console log
#                   (default /tmp/memslot-capture)
#   CAPTURE_CONSOLE convert this console log instead of booting the guest
#   VMTEST_*        passed on to tests/vm/run.sh (e.g. VMTEST_TIMEOUT)
# Needs: qemu-system-x86 (and seabios), strace, busybox-static, cc, python3,
# and what tests/vm/run.sh needs (linux-image-amd64 with kvm-amd.ko).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
rec=$root/tools/memslot-trace/memslot-record
out=${CAPTURE_OUT:-$root/tools/memslot-trace/fixtures}
work=${CAPTURE_WORK:-/tmp/memslot-capture}

die() { echo "capture: error: $*" >&2; exit 1; }

if [ $# -gt 0 ]; then
	scenarios=("$@")
else
	scenarios=("$here"/scenarios/*.scenario)
fi
for s in "${scenarios[@]}"; do [ -f "$s" ] || die "no scenario $s"; done

console=${CAPTURE_CONSOLE:-}
if [ -z "$console" ]; then
	qemu=$(command -v qemu-system-x86_64) || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
	strace=$(command -v strace) || die "strace not found (apt-get install strace)"
	rm -rf "$work"
	mkdir -p "$work/files"
	# The logger exactly as memslot-record builds it for its own runs.
	python3 - "$rec" "$work/files" <<'EOF'
import importlib.machinery, importlib.util, sys
loader = importlib.machinery.SourceFileLoader("memslot_record", sys.argv[1])
spec = importlib.util.spec_from_loader("memslot_record", loader)
rec = importlib.util.module_from_spec(spec)
loader.exec_module(rec)
rec.build_shim(sys.argv[2])	# writes memslot_shim.so there
EOF
	files=("$work/files/memslot_shim.so" "$here/guest-capture.sh" "$qemu" "$strace")
	for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin \
		 /usr/share/qemu/linuxboot_dma.bin; do
		[ -f "$f" ] || die "missing firmware $f"
		files+=("$f")
	done
	files+=("${scenarios[@]}")
	# run.sh copies VMTEST_FILES into /payload (flat) and the ldd libraries
	# of every executable there (QEMU's and strace's) at their paths.
	# No kvm_memslot.ko: this records in-tree KVM only.
	set +e
	VMTEST_DEMO=$here/guest-capture.sh \
	VMTEST_FILES="${files[*]}" \
	VMTEST_BUILD_DIR=$work/vm \
	VMTEST_MODULE=$work/no-module.ko \
	VMTEST_ALLOW_NO_MODULE=1 \
	VMTEST_TIMEOUT=${VMTEST_TIMEOUT:-2400} \
		"$root/tests/vm/run.sh"
	vmrc=$?
	set -e
	echo "capture: guest lane exit status $vmrc" >&2
	console=$work/vm/console.log
fi
[ -f "$console" ] || die "no console log $console"
mkdir -p "$out"
python3 "$here/convert-capture.py" --record "$rec" --out "$out" "$console"
