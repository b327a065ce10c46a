#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-log.sh [--mode test|demo] [--no-module] CONSOLE_LOG
#
# Checks the console log of a guest boot (see run.sh and init).  Fails when:
#  - the guest did not reach the DONE marker, or a load step (insmod/rmmod)
#    failed, or /dev/kvm (or /dev/kvm-memslot, when the module was loaded)
#    did not appear;
#  - (test mode) a TAP "not ok" line appears (a "# SKIP" or "# TODO"
#    directive makes it skipped instead), a test binary's output lacks a plan
#    or has fewer/more results than planned, or it exited with a status other
#    than 0 or 4 (kselftest's "skip");
#  - (test mode) the same test binary and test number gave different results
#    on /dev/kvm-memslot and /dev/kvm.  A result skipped on either device is
#    not compared (extension tests skip on /dev/kvm by design);
#  - the kernel log (anything outside the test-output sections) has a splat:
#    WARNING:, BUG:, Oops, general protection, lockdep, possible circular
#    locking, KASAN, UBSAN, kernel BUG, Call Trace, kmemleak, refcount_t,
#    or the kmemleak report is non-empty.  Boot banners of debug kernels
#    that merely announce a checker (e.g. "kmemleak: Kernel memory leak
#    detector initialized") are not splats.
set -euo pipefail

mode="test"
no_module=0
while [ $# -gt 1 ]; do
	case "$1" in
	--mode) mode=$2; shift 2 ;;
	--no-module) no_module=1; shift ;;
	*) echo "usage: $0 [--mode test|demo] [--no-module] LOG" >&2; exit 2 ;;
	esac
done
[ $# -eq 1 ] && [ -f "$1" ] || { echo "usage: $0 [--mode test|demo] [--no-module] LOG" >&2; exit 2; }

tr -d '\r' <"$1" | awk -v mode="$mode" -v no_module="$no_module" '
function fail(msg) { failures[++nfail] = msg }
function marker(line,   s) {
	s = line
	sub(/^.*@@@VMTEST /, "", s)
	sub(/@@@.*$/, "", s)
	return s
}
function field(s, key,   i, n, parts) {
	n = split(s, parts, " ")
	for (i = 1; i <= n; i++)
		if (index(parts[i], key "=") == 1)
			return substr(parts[i], length(key) + 2)
	return ""
}
function devname(d) { return d == "/dev/kvm" ? "kvm" : "memslot" }
# Splat patterns, matched on kernel log lines.
function is_splat(l) {
	if (l ~ /kmemleak: (Kernel memory leak detector initialized|Automatic memory scanning thread started)/)
		return 0
	if (l ~ /kasan: KernelAddressSanitizer initialized/)
		return 0
	return l ~ /WARNING:|BUG:|Oops|general protection|lockdep|possible circular locking|KASAN|UBSAN|kernel BUG|Call Trace|kmemleak|refcount_t/
}
function end_run(rc,   key, planned, n) {
	key = cur_test SUBSEP cur_dev
	runs++
	ran[key] = 1
	n = nres[key] + 0
	if (plan[key] == "")
		fail(sprintf("%s on %s: no TAP plan line (output incomplete?)", cur_test, cur_dev))
	else if (!(key in whole_skip) && n != plan[key] + 0)
		fail(sprintf("%s on %s: %d results for plan 1..%d", cur_test, cur_dev, n, plan[key]))
	if (rc != 0 && rc != 4)
		fail(sprintf("%s on %s: exited with status %s%s", cur_test, cur_dev, rc,
			     (rc == 143 || rc == 124) ? " (timeout?)" : ""))
	in_run = 0
}

BEGIN { in_run = 0; in_dmesg = 0; in_leak = 0; in_demo = 0; done = 0; nfail = 0; quoting = "" }

/@@@VMTEST / {
	m = marker($0)
	if (m ~ /^BEGIN /) {
		if (in_run) { fail(sprintf("%s on %s: output cut off", cur_test, cur_dev)); in_run = 0 }
		cur_test = field(m, "test"); cur_dev = field(m, "dev"); in_run = 1
		if (!(cur_test in seen_test)) { seen_test[cur_test] = 1; order[++ntests] = cur_test }
		next
	}
	if (m ~ /^END /) {
		if (in_run) end_run(field(m, "rc"))
		next
	}
	if (m ~ /^SKIPRUN /) {
		t = field(m, "test")
		if (!(t in seen_test)) { seen_test[t] = 1; order[++ntests] = t }
		skipruns[devname(field(m, "dev"))]++
		next
	}
	if (m ~ /^STEP /) {
		rc = m; sub(/.* rc=/, "", rc)
		name = m; sub(/^STEP /, "", name); sub(/ rc=[0-9]+$/, "", name)
		steps++
		if (rc != 0) fail(sprintf("step \"%s\" failed with status %s", name, rc))
		next
	}
	if (m == "DEVKVM yes") { devkvm = 1; next }
	if (m == "DEVKVM no") { fail("/dev/kvm did not appear after loading in-tree KVM"); next }
	if (m == "DEVMEMSLOT no") { fail("/dev/kvm-memslot did not appear after insmod kvm_memslot"); next }
	if (m == "DEMO BEGIN") { in_demo = 1; next }
	if (m ~ /^DEMO END/) { in_demo = 0; demo_rc = m; sub(/.*rc=/, "", demo_rc); demo_done = 1; next }
	if (m == "DMESG BEGIN") { in_dmesg = 1; seen_dmesg = 1; next }
	if (m == "DMESG END") { in_dmesg = 0; next }
	if (m == "KMEMLEAK BEGIN") { in_leak = 1; next }
	if (m == "KMEMLEAK END") { in_leak = 0; next }
	if (m == "DONE") { done = 1; next }
	next
}

in_run {
	key = cur_test SUBSEP cur_dev
	line = $0
	if (line ~ /^1\.\.[0-9]+/) {
		p = line; sub(/^1\.\./, "", p); sub(/[^0-9].*$/, "", p)
		plan[key] = p
		if (p == 0 && line ~ /#[ \t]*[Ss][Kk][Ii][Pp]/) {
			whole_skip[key] = 1
			wholeskips[devname(cur_dev)]++
		}
		next
	}
	if (line ~ /^(not )?ok([ \t]|$)/) {
		st = (line ~ /^not /) ? "fail" : "pass"
		rest = line; sub(/^(not )?ok[ \t]*/, "", rest)
		num = rest
		if (num ~ /^[0-9]+/) { sub(/[^0-9].*$/, "", num) } else num = nres[key] + 1
		if (line ~ /#[ \t]*([Ss][Kk][Ii][Pp]|[Tt][Oo][Dd][Oo])/) st = "skip"
		if ((key SUBSEP num) in res)
			fail(sprintf("%s on %s: test %s reported twice", cur_test, cur_dev, num))
		res[key, num] = st
		desc[key, num] = rest
		nres[key]++
		count[devname(cur_dev), st]++
		if (st == "fail") fail(sprintf("%s on %s: %s", cur_test, cur_dev, line))
		next
	}
	next
}

in_leak {
	if ($0 ~ /[^ \t]/) { leak[++nleak] = $0 }
	next
}

# Output of the demo script is not kernel log.
in_demo { next }

# Kernel log: the dmesg dump, and what the kernel printed on the console
# (used only when the guest died before dumping dmesg; otherwise it would be
# counted twice).
{
	line = $0
	src = in_dmesg ? "d" : "c"
	if (quoting == src) {
		sp[src, ns[src]] = sp[src, ns[src]] "\n    " line
		quoted_lines++
		# A warning or oops ends with "---[ end trace"; a bare backtrace
		# (dump_stack) ends with its "</TASK>".
		if (line ~ /---\[ end trace/ || (bare && line ~ /<\/TASK>/) || quoted_lines >= 100)
			quoting = ""
	} else if (is_splat(line)) {
		# Quote from up to 3 preceding lines ("cut here", CPU:, Hardware name:).
		ns[src]++
		q = ""
		for (k = 3; k >= 1; k--)
			if ((src, NR - k) in prev) q = q "    " prev[src, NR - k] "\n"
		sp[src, ns[src]] = q "    " line
		quoting = src; quoted_lines = 0
		bare = (line ~ /Call Trace/)
	}
	prev[src, NR] = line
	delete prev[src, NR - 4]
}

END {
	if (in_run) fail(sprintf("%s on %s: output cut off (guest died or hung?)", cur_test, cur_dev))
	if (!done) fail("the guest never reached the end of /init (crash, hang or timeout)")
	if (!devkvm && done) fail("/dev/kvm was not reported present")
	if (mode == "demo" && !demo_done) fail("the demo did not finish")
	if (mode == "demo" && demo_done && demo_rc != 0) fail("the demo script exited with status " demo_rc)

	compared = 0; mismatched = 0; skipped_cmp = 0
	if (mode == "test") {
		for (i = 1; i <= ntests; i++) {
			t = order[i]
			km = t SUBSEP "/dev/kvm-memslot"; kk = t SUBSEP "/dev/kvm"
			if (!(km in ran) || !(kk in ran)) continue
			maxn = plan[km] + 0; if (plan[kk] + 0 > maxn) maxn = plan[kk] + 0
			for (n = 1; n <= maxn; n++) {
				a = ((km SUBSEP n) in res) ? res[km, n] : "missing"
				b = ((kk SUBSEP n) in res) ? res[kk, n] : "missing"
				if (a == "skip" || b == "skip" || (km in whole_skip) || (kk in whole_skip)) { skipped_cmp++; continue }
				compared++
				if (a != b) {
					mismatched++
					fail(sprintf("%s test %d: /dev/kvm-memslot %s, /dev/kvm %s (%s)", t, n, a, b,
						     ((km SUBSEP n) in desc) ? desc[km, n] : desc[kk, n]))
				}
			}
		}
		if (ntests == 0) print "vmtest: no test binaries ran"
	}
	src = seen_dmesg ? "d" : "c"
	nsplat = ns[src] + 0
	for (i = 1; i <= nsplat; i++) fail("kernel log splat:\n" sp[src, i])
	if (nleak) {
		s = ""
		for (i = 1; i <= nleak; i++) s = s "\n    " leak[i]
		fail("kmemleak report:" s)
	}

	print "======================== vmtest summary ========================"
	if (mode == "test") {
		printf "test binaries: %d, runs: %d\n", ntests, runs
		for (d = 1; d <= 2; d++) {
			dn = (d == 1) ? "memslot" : "kvm"
			path = (d == 1) ? "/dev/kvm-memslot" : "/dev/kvm"
			printf "  %-17s passed %d, failed %d, skipped %d", path,
			       count[dn, "pass"], count[dn, "fail"], count[dn, "skip"]
			if (wholeskips[dn]) printf " (+%d runs skipped entirely)", wholeskips[dn]
			if (skipruns[dn]) printf " (+%d runs skipped: module not built)", skipruns[dn]
			printf "\n"
		}
		printf "parity: %d results compared between the devices, %d differ, %d not compared (skipped on a side)\n",
		       compared, mismatched, skipped_cmp
	} else
		printf "demo: %s\n", demo_done ? "finished, status " demo_rc : "did not finish"
	printf "load/unload steps: %d; /dev/kvm: %s; kernel log splats: %d\n", steps, devkvm ? "present" : "MISSING", nsplat
	if (nfail) {
		printf "FAILED (%d problems):\n", nfail
		for (i = 1; i <= nfail; i++) printf "  - %s\n", failures[i]
		exit 1
	}
	print "PASSED"
}
'
