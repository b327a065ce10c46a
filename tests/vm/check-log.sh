#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# check-log.sh [--mode test|demo] [--no-module] [--label NAME]
#              [--require-kmemleak] [--require-failslab] CONSOLE_LOG
#
# Checks the console log of a guest boot (see run.sh and init).  Fails when:
#  - the guest did not reach the DONE marker, or a load step (insmod/rmmod)
#    failed, or /dev/kvm (or /dev/kvm-memslot, when the module was loaded)
#    did not appear;
#  - (test mode) a TAP "not ok" line appears (a "# SKIP" or "# TODO"
#    directive makes it skipped instead), a test binary's output lacks a plan
#    or has fewer/more results than planned, or it exited with a status other
#    than 0 or 4 (kselftest's "skip");
#  - a test outlived its time limit and /init's watchdog reported it (HANG
#    BEGIN/END: the test's output so far, the kernel stacks of its tasks,
#    the blocked tasks and the CPUs' backtraces, quoted in the summary);
#  - the guest was still running a minute before its timeout, and the NMI
#    that run.sh then sends made it panic (quoted: every CPU's backtrace);
#  - (test mode) the same test binary and test number gave different results
#    on /dev/kvm-memslot and /dev/kvm.  A result skipped on either device is
#    not compared (extension tests skip on /dev/kvm by design); a result
#    whose description has "[cmp]" must also have the same description;
#  - the kernel log (anything outside the test-output sections) has a splat:
#    WARNING:, BUG:, Oops, general protection, lockdep, possible circular
#    locking, KASAN, UBSAN, kernel BUG, Call Trace, kmemleak, refcount_t,
#    or the kmemleak report is non-empty.  Boot banners of debug kernels
#    that merely announce a checker (e.g. "kmemleak: Kernel memory leak
#    detector initialized") are not splats, and neither are the notices of
#    injected faults ("FAULT_INJECTION: forcing a failure.").
#  - kmemleak: any leak reported after the tests, after the fault-injection
#    pass or after the module unload (leaks of the boot itself, reported
#    before anything was loaded, are only counted).  --require-kmemleak
#    fails when the kernel has no kmemleak.
#  - fault injection (FSBEGIN/FSEND sections, debug kernel): a run with
#    strict=0 (a selftest with random slab failures) fails only on a hang,
#    a crash (killed by a signal) or a kernel splat, not on its TAP
#    results; a run with strict=1 (the fail-nth sweep) is judged like a
#    normal run.  --require-failslab fails when the kernel has no failslab
#    or no fault was injected at all.
set -euo pipefail

mode="test"
no_module=0
label=
req_leak=0
req_fs=0
usage="usage: $0 [--mode test|demo] [--no-module] [--label NAME] [--require-kmemleak] [--require-failslab] LOG"
while [ $# -gt 1 ]; do
	case "$1" in
	--mode) mode=$2; shift 2 ;;
	--no-module) no_module=1; shift ;;
	--label) label=$2; shift 2 ;;
	--require-kmemleak) req_leak=1; shift ;;
	--require-failslab) req_fs=1; shift ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
[ $# -eq 1 ] && [ -f "$1" ] || { echo "$usage" >&2; exit 2; }

tr -d '\r' <"$1" | awk -v mode="$mode" -v no_module="$no_module" -v label="$label" \
	-v req_leak="$req_leak" -v req_fs="$req_fs" '
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
	if (l ~ /kasan: KernelAddressSanitizer initialized|RCU lockdep checking is enabled/)
		return 0
	return l ~ /WARNING:|BUG:|Oops|general protection|lockdep|possible circular locking|KASAN|UBSAN|kernel BUG|Call Trace|kmemleak|refcount_t/
}
function end_run(rc,   key, planned, n) {
	key = cur_test SUBSEP cur_dev
	if (fs_run) { end_fs_run(rc, key); return }
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

# End of a fault-injection run: strict ones are judged like normal runs;
# the others only for hangs and crashes.
function end_fs_run(rc, key,   n, name) {
	fs_runs++
	n = nres[key] + 0
	name = sprintf("%s on %s (fault injection)", fs_test, cur_dev)
	if (fs_strict) {
		if (plan[key] == "")
			fail(name ": no TAP plan line (output incomplete?)")
		else if (!(key in whole_skip) && n != plan[key] + 0)
			fail(sprintf("%s: %d results for plan 1..%d", name, n, plan[key]))
		if (rc != 0 && rc != 4)
			fail(sprintf("%s: exited with status %s", name, rc))
	} else if ((rc += 0) == 124 || rc == 143)
		fail(name ": timed out (hang?)")
	else if (rc == 125 || rc > 128)
		fail(sprintf("%s: died with status %s%s", name, rc,
			     rc > 128 ? sprintf(" (signal %d)", rc - 128) : " (failslab-run error)"))
	else if (rc == 126 || rc == 127)
		fs_nostart++	# the loader itself hit an injected failure
	in_run = 0
	fs_run = 0
}

BEGIN { in_run = 0; in_hang = 0; in_dmesg = 0; in_leak = 0; in_demo = 0; done = 0; nfail = 0; quoting = "" }

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
	if (m ~ /^FSBEGIN /) {
		if (in_run) { fail(sprintf("%s on %s: output cut off", cur_test, cur_dev)); in_run = 0 }
		fs_test = field(m, "test"); cur_dev = field(m, "dev"); fs_strict = field(m, "strict") + 0
		# A key of its own: fault-injection results are never compared.
		cur_test = "failslab:" fs_test
		in_run = 1; fs_run = 1
		next
	}
	if (m ~ /^FSEND /) {
		if (in_run) {
			fs_injected += field(m, "injected")
			fs_inj[fs_strict] += field(m, "injected")
			end_run(field(m, "rc"))
		}
		next
	}
	# The report of the /init watchdog on a test that outlived its time limit.
	if (m ~ /^HANG BEGIN /) { in_hang = 1; hang_text = ""; hang_lines = 0; next }
	if (m ~ /^HANG END /) {
		in_hang = 0
		# Listed last, where the tail of a cut CI log still shows it.
		hang_fail[++nhang] = sprintf("%s on %s: hung past its time limit; watchdog report:%s%s", field(m, "test"),
			     field(m, "dev"), hang_text, hang_lines > 300 ? sprintf("\n    (%d more lines)", hang_lines - 300) : "")
		next
	}
	if (m ~ /^HANG UNKILLABLE /) {
		fail(sprintf("%s on %s: could not be killed; the watchdog powered the guest off",
			     field(m, "test"), field(m, "dev")))
		next
	}
	if (m == "FAILSLAB present") { fs_present = 1; next }
	if (m == "FAILSLAB absent") { fs_absent = 1; next }
	if (m == "KMEMLEAK present") { leak_present = 1; next }
	if (m == "KMEMLEAK absent") { leak_absent = 1; next }
	if (m ~ /^KMEMLEAK BASELINE /) { leak_baseline = m; sub(/^KMEMLEAK BASELINE /, "", leak_baseline); leak_present = 1; next }
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
	if (m == "KVMHOLD no") { fail("kvm-hold could not create the VM it keeps on /dev/kvm"); next }
	if (m == "DEVKVM no") { fail("/dev/kvm did not appear after loading in-tree KVM"); next }
	if (m == "DEVMEMSLOT no") { fail("/dev/kvm-memslot did not appear after insmod kvm_memslot"); next }
	if (m == "DEMO BEGIN") { in_demo = 1; next }
	if (m ~ /^DEMO END/) { in_demo = 0; demo_rc = m; sub(/.*rc=/, "", demo_rc); demo_done = 1; next }
	if (m == "DMESG BEGIN") { in_dmesg = 1; seen_dmesg = 1; next }
	if (m == "DMESG END") { in_dmesg = 0; next }
	if (m ~ /^KMEMLEAK BEGIN/) {
		in_leak = 1; leak_present = 1
		leak_phase = field(m, "phase"); if (leak_phase == "") leak_phase = "end"
		leak_phases[++nleak_phases] = leak_phase
		next
	}
	if (m ~ /^KMEMLEAK END/) { in_leak = 0; next }
	if (m == "DONE") { done = 1; next }
	next
}

# run.sh sends an NMI to a guest that is about to time out: the panic it
# causes prints the backtraces of every CPU.
/Uhhuh\. NMI received for unknown reason/ { nmi_seen = 1 }
nmi_seen { if (++nmi_lines <= 300) nmi_text = nmi_text "\n    " $0 }

in_hang {
	if (++hang_lines <= 300) hang_text = hang_text "\n    " $0
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
			if (!fs_run) wholeskips[devname(cur_dev)]++
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
		if (fs_run) {
			fscount[devname(cur_dev), st]++
			if (st == "fail" && fs_strict) fail(sprintf("%s on %s (fault injection): %s", fs_test, cur_dev, line))
			next
		}
		count[devname(cur_dev), st]++
		if (st == "fail") fail(sprintf("%s on %s: %s", cur_test, cur_dev, line))
		next
	}
	next
}

in_leak {
	if ($0 ~ /[^ \t]/) { leak[++nleak] = $0 }
	if ($0 ~ /^unreferenced object/) leaks_in[leak_phase]++
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
	if (src == "d" && line ~ /FAULT_INJECTION: forcing a failure/) injected_notices++
	# The backtraces the watchdog asked for are in its report already.
	if (line ~ /vmtest: watchdog report begin/) { wd_window[src] = 1; next }
	if (line ~ /vmtest: watchdog report end/) { wd_window[src] = 0; next }
	if (wd_window[src]) next
	# Between these kmsg lines (from /init) failures are injected on purpose:
	# allocation-failure reports (warn_alloc) and kmemleak notices that
	# only say an allocation failed are expected there, not splats.
	if (line ~ /vmtest: fault injection on/) { fs_window[src] = 1; prev[src, NR] = line; next }
	if (line ~ /vmtest: fault injection off/) { fs_window[src] = 0; prev[src, NR] = line; next }
	if (allocfail == src) {
		if (line ~ /<\/TASK>/) allocfail = ""
		prev[src, NR] = line
		next
	}
	if (quoting != src && fs_window[src] && line ~ /(vmalloc error: |page allocation failure: )/) {
		allocfail = src; allocfails[src]++
		prev[src, NR] = line
		next
	}
	if (quoting != src && fs_window[src] && line ~ /kmemleak: Cannot allocate a scan area/) {
		allocfails[src]++
		prev[src, NR] = line
		next
	}
	if (quoting == src) {
		sp[src, ns[src]] = sp[src, ns[src]] "\n    " line
		quoted_lines++
		# A warning or oops ends with "---[ end trace"; a KASAN report with
		# its line of "="; a lockdep report, a might_sleep or a bare
		# backtrace (dump_stack) with its "</TASK>".
		if (kind == "kasan" ? line ~ /(^|\] )=+$/ : \
		    (line ~ /---\[ end trace/ || (bare && line ~ /<\/TASK>/)) || quoted_lines >= 400)
			quoting = ""
	} else if (is_splat(line)) {
		# Quote from up to 3 preceding lines ("cut here", CPU:, Hardware name:).
		ns[src]++
		q = ""
		for (k = 3; k >= 1; k--)
			if ((src, NR - k) in prev) q = q "    " prev[src, NR - k] "\n"
		sp[src, ns[src]] = q "    " line
		quoting = src; quoted_lines = 0
		kind = (line ~ /KASAN/) ? "kasan" : "other"
		bare = (line ~ /Call Trace|WARNING: (possible|suspicious|inconsistent)|BUG: (sleeping function|scheduling while|using smp_processor_id|held lock freed|workqueue leaked)|INFO: /)
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
				} else if (desc[km, n] ~ /\[cmp\]/ || desc[kk, n] ~ /\[cmp\]/) {
					# A "[cmp]" result carries its value (a hash of a
					# sequence of results) in the description.
					if (desc[km, n] != desc[kk, n]) {
						mismatched++
						fail(sprintf("%s test %d differs:\n    /dev/kvm-memslot: %s\n    /dev/kvm:         %s",
							     t, n, desc[km, n], desc[kk, n]))
					}
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
	if (req_leak && !leak_present)
		fail("kmemleak is required but this kernel has none (CONFIG_DEBUG_KMEMLEAK, debugfs)")
	if (req_leak && leak_present && done && nleak_phases == 0)
		fail("kmemleak never scanned")
	if (req_fs && fs_absent)
		fail("slab fault injection is required but this kernel has no /sys/kernel/debug/failslab")
	if (req_fs && fs_present && fs_injected + 0 == 0)
		fail("the fault-injection pass injected no fault at all")

	print "======================== vmtest summary ========================"
	if (label != "") printf "kernel: %s\n", label
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
	if (fs_present || fs_runs) {
		printf "fault injection: %d runs, %d faults injected (%d random, %d fail-nth sweep); log: %d injection notices (rate-limited), %d allocation-failure reports%s\n",
		       fs_runs, fs_injected, fs_inj[0], fs_inj[1], injected_notices, allocfails[src] + 0,
		       fs_nostart ? sprintf("; %d runs could not start (loader hit a fault)", fs_nostart) : ""
		for (d = 1; d <= 2; d++) {
			dn = (d == 1) ? "memslot" : "kvm"
			path = (d == 1) ? "/dev/kvm-memslot" : "/dev/kvm"
			if (fscount[dn, "pass"] + fscount[dn, "fail"] + fscount[dn, "skip"])
				printf "  %-17s passed %d, failed %d (expected with random failures), skipped %d\n", path,
				       fscount[dn, "pass"], fscount[dn, "fail"], fscount[dn, "skip"]
		}
	} else if (fs_absent)
		print "fault injection: not available in this kernel"
	if (leak_present) {
		s = ""
		for (i = 1; i <= nleak_phases; i++)
			s = s sprintf("%s %s: %d", i > 1 ? "," : "", leak_phases[i], leaks_in[leak_phases[i]])
		printf "kmemleak: %s (leaks)%s\n", nleak_phases ? substr(s, 2) : "no scan",
		       leak_baseline != "" ? sprintf("; %s reported at boot, before any module (not counted)", leak_baseline) : ""
	} else
		print "kmemleak: not available in this kernel"
	for (i = 1; i <= nhang; i++) fail(hang_fail[i])
	if (nmi_seen)
		fail(sprintf("the guest was stuck; what its CPUs ran when the NMI came:%s%s", nmi_text,
			     nmi_lines > 300 ? sprintf("\n    (%d more lines)", nmi_lines - 300) : ""))
	if (nfail) {
		printf "FAILED (%d problems):\n", nfail
		for (i = 1; i <= nfail; i++) printf "  - %s\n", failures[i]
		exit 1
	}
	print "PASSED"
}
'
