# SPDX-License-Identifier: GPL-2.0-only
#
# tap-compare.awk: compare the selftest results of two runs, the oracle's
# (in-tree KVM of a foreign architecture, first file) and the module's
# (second file), each a log with xarch-run.sh's markers around each test's
# TAP.  Shared by the cross-architecture lanes (tests/xarch/*.sh).
#
#   awk -f tap-compare.awk [-v list=FILE] ORACLE_LOG MODULE_LOG
#
# Results, per test: its plan ("1..N"), each numbered result's status
# (ok, not ok), the exit status, and each probe row ("| call | args |
# result |", keyed by call and args, its result compared verbatim).  A
# result whose description has "[cmp]", and a result that fails on both
# sides (its description says what it got), must also have the same
# description.  A test that skips as a whole on either side, a result that
# skips on either side, and a probe row marked "[info]" (recorded for the
# reader, such as the system fd's answers, which the module's device gives
# for all its VM types alike) are not compared.  A result present on one side only differs.  Every compared
# result goes to FILE (one line each, "=" or "!" first, in the oracle's
# order); the differences (the first 40) and the summary go to stdout.
# Exit status: 0 if nothing differs and something was compared, 1 if not.
function strip(s) { sub(/\r$/, "", s); return s }
function key(t, k) {
	if (!((t, k) in known)) {
		known[t, k] = 1
		keyorder[t, ++nkeys[t]] = k
	}
}
FNR == 1 { side++ }
/^@@@XARCH BEGIN test=/ {
	t = $0; sub(/^@@@XARCH BEGIN test=/, "", t); sub(/@@@.*/, "", t)
	cur = t
	if (!(t in seen)) { seen[t] = 1; order[++ntests] = t }
	ran[side, t] = 1
	next
}
/^@@@XARCH END test=/ {
	rc = $0; sub(/.* rc=/, "", rc); sub(/@@@.*/, "", rc)
	if (cur != "") { key(cur, "exit"); res[side, cur, "exit"] = "exit " rc }
	cur = ""
	next
}
cur == "" { next }
{ line = strip($0) }
line ~ /^1\.\.0 # SKIP/ { wholeskip[side, cur] = 1; next }
line ~ /^1\.\.[0-9]+/ { key(cur, "plan"); res[side, cur, "plan"] = line; next }
line ~ /^(not )?ok [0-9]+/ {
	st = line ~ /^ok/ ? "ok" : "not ok"
	n = line; sub(/^(not )?ok /, "", n); sub(/[^0-9].*/, "", n)
	d = line; sub(/^(not )?ok [0-9]+ *-? */, "", d)
	if (d ~ /^# SKIP/) st = "skip"
	key(cur, "#" n); res[side, cur, "#" n] = st; desc[side, cur, "#" n] = d
	next
}
line ~ /^\| / && line !~ /^\| call \|/ && line !~ /^\|---/ {
	# "| call | args | result |": the key is call and args, numbered if
	# the same call is made again
	k = line; sub(/ \| [^|]* \|$/, " |", k)
	r = line; sub(/.* \| /, "", r); sub(/ \|$/, "", r)
	k = k " #" (++occ[side, cur, k])
	key(cur, k)
	res[side, cur, k] = r
	if (k ~ /\[info\]/) info[cur, k] = 1
	next
}
function show(t, k, a) {
	if (k !~ /^#/) return k
	return k " " (desc[1, t, k] != "" ? desc[1, t, k] : desc[2, t, k])
}
END {
	compared = differ = notcmp = 0
	for (i = 1; i <= ntests; i++) {
		t = order[i]
		if (!ran[1, t] || !ran[2, t]) {
			printf "DIFF %s: ran only on the %s side\n", t, ran[1, t] ? "oracle" : "module"
			differ++
			continue
		}
		if (wholeskip[1, t] || wholeskip[2, t]) {
			printf "not compared: %s skips as a whole on the %s side\n", t,
			       wholeskip[1, t] ? "oracle" : "module"
			notcmp++
			continue
		}
		for (j = 1; j <= nkeys[t]; j++) {
			k = keyorder[t, j]
			a = res[1, t, k]; b = res[2, t, k]
			if (a == "skip" || b == "skip" || ((t, k) in info)) { notcmp++; continue }
			compared++
			same = a == b
			if (same && (a == "not ok" || desc[1, t, k] ~ /\[cmp\]/ ||
				     desc[2, t, k] ~ /\[cmp\]/))
				same = desc[1, t, k] == desc[2, t, k]
			if (a == "") a = "(missing)"
			if (b == "") b = "(missing)"
			if (list != "")
				printf "%s %s %s | oracle: %s | module: %s\n", same ? "=" : "!",
				       t, show(t, k), a, b > list
			if (same)
				continue
			if (++differ <= 40)
				printf "DIFF %s %s\n    oracle: %s%s\n    module: %s%s\n", t, show(t, k),
				       a, desc[1, t, k] != "" ? " - " desc[1, t, k] : "",
				       b, desc[2, t, k] != "" ? " - " desc[2, t, k] : ""
		}
	}
	if (differ > 40)
		printf "... and %d more differences\n", differ - 40
	printf "xarch: %d results compared, %d differ, %d not compared (skipped on a side)\n",
	       compared, differ, notcmp
	exit (differ || !compared) ? 1 : 0
}
