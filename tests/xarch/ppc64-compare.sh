#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# ppc64-compare.sh [--label L] [--except TEXT]... ORACLE_LOG MODULE_LOG TEST...:
# compare the TAP output of
# each TEST between the ppc64 guest's /dev/kvm run (ORACLE_LOG) and the x86
# guest's /dev/kvm-memslot run with the ppc VM type (MODULE_LOG), both
# between "@@@XARCH BEGIN test=T@@@" and "@@@XARCH END test=T rc=N@@@".
# Compared, per test: the plan, every result line ("ok N - ..." or
# "not ok N - ...", description included, errnos of failures included)
# and the exit status.  Not compared: a test that skips as a whole on
# /dev/kvm (extension-only: "1..0 # SKIP"), and a result skipped on
# /dev/kvm.  A result whose description (on /dev/kvm) contains an
# --except TEXT is a known, deliberate difference: shown, not counted.
# Prints every difference, then one summary line ("xarch-ppc64: L:
# compared N results of T tests, D differ"); exit status 1 on any
# difference.
set -euo pipefail
label=results
excepts=()
while [ $# -gt 0 ]; do
	case "$1" in
	--label) label=$2; shift 2 ;;
	--except) excepts+=("$2"); shift 2 ;;
	*) break ;;
	esac
done
[ $# -ge 3 ] || { echo "usage: $0 [--label L] [--except TEXT]... ORACLE_LOG MODULE_LOG TEST..." >&2; exit 2; }
olog=$1
mlog=$2
shift 2

section() {	# section <log> <test>: the test's TAP lines and "rc=N"
	awk -v t="$2" '
		$0 == "@@@XARCH BEGIN test=" t "@@@" { on = 1; next }
		on && index($0, "@@@XARCH END test=" t " rc=") == 1 {
			s = $0; sub(/.* rc=/, "", s); sub(/@@@.*/, "", s)
			print "rc=" s; on = 0; next
		}
		on && /^(ok|not ok) [0-9]+|^1\.\.[0-9]+/ { print }' "$1"
}

compared=0
differ=0
notcmp=
for t in "$@"; do
	o=$(section "$olog" "$t")
	m=$(section "$mlog" "$t")
	if [ -z "$o" ]; then
		echo "DIFF $t: no result on /dev/kvm (ppc64 guest)"
		differ=$((differ + 1))
		continue
	fi
	if echo "$o" | grep -q '^1\.\.0 # SKIP'; then
		notcmp="$notcmp $t"
		continue
	fi
	# One line per item: "plan", "rc", or the test number.
	key() { awk 'NF == 0 { next }
		     /^1\.\./ { print "plan\t" $0; next }
		     /^rc=/ { print "rc\t" $0; next }
		     { n = ($1 == "not") ? $3 : $2; print n "\t" $0 }'; }
	declare -A want=() got=()
	while IFS=$'\t' read -r k v; do want[$k]=$v; done < <(echo "$o" | key)
	while IFS=$'\t' read -r k v; do got[$k]=$v; done < <(echo "$m" | key)
	for k in $(printf '%s\n' "${!want[@]}" | sort -V); do
		case "${want[$k]}" in *'# SKIP'*) continue ;; esac
		compared=$((compared + 1))
		deliberate=0
		for e in ${excepts[@]+"${excepts[@]}"}; do
			case "${want[$k]}" in *"$e"*) deliberate=1 ;; esac
		done
		if [ "${got[$k]-<missing>}" != "${want[$k]}" ] && [ $deliberate = 1 ]; then
			echo "KNOWN $t $k (the module waits where KVM-HV emulates): /dev/kvm: ${want[$k]}"
			echo "      $t $k: module:   ${got[$k]-<missing>}"
		elif [ "${got[$k]-<missing>}" != "${want[$k]}" ]; then
			differ=$((differ + 1))
			echo "DIFF $t $k: /dev/kvm: ${want[$k]}"
			echo "     $t $k: module:   ${got[$k]-<missing>}"
		fi
	done
	for k in "${!got[@]}"; do
		[ -n "${want[$k]+x}" ] && continue
		compared=$((compared + 1))
		differ=$((differ + 1))
		echo "DIFF $t $k: /dev/kvm: <missing>"
		echo "     $t $k: module:   ${got[$k]}"
	done
	unset want got
done
[ -z "$notcmp" ] || echo "not compared (skip as a whole on /dev/kvm: extension-only):$notcmp"
echo "xarch-ppc64: $label: compared $compared results of $# tests, $differ differ"
[ "$differ" = 0 ]
