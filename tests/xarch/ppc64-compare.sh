#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# ppc64-compare.sh [--label L] [--wait TEXT]... [--device TEXT]...
#                  [--leak TEXT]... ORACLE_LOG MODULE_LOG TEST...
#
# Compares the TAP output of each TEST between the ppc64 guest's /dev/kvm
# run (ORACLE_LOG) and the x86 guest's /dev/kvm-memslot run with the ppc VM
# type (MODULE_LOG), both between "@@@XARCH BEGIN test=T@@@" and
# "@@@XARCH END test=T rc=N@@@".  Compared, per test: the plan, every
# result line ("ok N - ..." or "not ok N - ...", description included,
# errnos of failures included) and the exit status.  Not compared: a test
# that skips as a whole on /dev/kvm ("1..0 # SKIP", e.g. an extension-only
# one; its reason is printed), and a result skipped on /dev/kvm.
#
# Known differences, shown but not counted, named by a TEXT that the
# result's description on /dev/kvm contains:
#   --wait TEXT    where the module deliberately waits for a slot update
#                  instead of emulating, as KVM-HV does, during a transition;
#   --device TEXT  a question to the device itself (the system fd), not to
#                  a VM: an x86 host's /dev/kvm-memslot answers for x86;
#   --leak TEXT    what KVM-HV keeps of a call that failed (the vcore of a
#                  vCPU whose fd could not be made keeps its id taken);
#                  the module leaves nothing behind.
# A difference in a test's exit status is known when all its differing
# results are.  Prints every difference, then one summary line
# ("xarch-ppc64: L: compared N results of T tests, D differ, K known");
# exit status 1 on any unknown difference.
set -euo pipefail
label=results
waits=()
devq=()
leaks=()
while [ $# -gt 0 ]; do
	case "$1" in
	--label) label=$2; shift 2 ;;
	--wait) waits+=("$2"); shift 2 ;;
	--device) devq+=("$2"); shift 2 ;;
	--leak) leaks+=("$2"); shift 2 ;;
	*) break ;;
	esac
done
[ $# -ge 3 ] || { echo "usage: $0 [--label L] [--wait TEXT]... [--device TEXT]... [--leak TEXT]... ORACLE_LOG MODULE_LOG TEST..." >&2; exit 2; }

known_reason() {	# known_reason <result line on /dev/kvm>: why, or nothing
	local e
	for e in ${waits[@]+"${waits[@]}"}; do
		case "$1" in *"$e"*) echo "the module waits where KVM-HV emulates"; return ;; esac
	done
	for e in ${devq[@]+"${devq[@]}"}; do
		case "$1" in *"$e"*) echo "a question to the device, not to a VM"; return ;; esac
	done
	for e in ${leaks[@]+"${leaks[@]}"}; do
		case "$1" in *"$e"*) echo "KVM-HV keeps what a failed call made, the module does not"; return ;; esac
	done
}
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
known=0
notcmp=
for t in "$@"; do
	o=$(section "$olog" "$t")
	m=$(section "$mlog" "$t")
	if [ -z "$o" ]; then
		echo "DIFF $t: no result on /dev/kvm (ppc64 guest)"
		differ=$((differ + 1))
		continue
	fi
	if grep -q '^1\.\.0 # SKIP' <<<"$o"; then
		echo "not compared: $t skips on /dev/kvm: $(echo "$o" | sed -n 's/^1\.\.0 # SKIP *//p')"
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
	tdiff=0
	tknown=0
	for k in $(printf '%s\n' "${!want[@]}" | sort -V); do
		case "${want[$k]}" in *'# SKIP'*) continue ;; esac
		[ "$k" = rc ] && continue
		compared=$((compared + 1))
		[ "${got[$k]-<missing>}" = "${want[$k]}" ] && continue
		why=$(known_reason "${want[$k]}")
		if [ -n "$why" ]; then
			known=$((known + 1))
			tknown=$((tknown + 1))
			echo "KNOWN $t $k ($why): /dev/kvm: ${want[$k]}"
			echo "      $t $k: module:   ${got[$k]-<missing>}"
		else
			differ=$((differ + 1))
			tdiff=$((tdiff + 1))
			echo "DIFF $t $k: /dev/kvm: ${want[$k]}"
			echo "     $t $k: module:   ${got[$k]-<missing>}"
		fi
	done
	# The exit status follows from the results: it differs on its own
	# only when no unknown result difference explains it.
	compared=$((compared + 1))
	if [ "${got[rc]-<missing>}" != "${want[rc]}" ]; then
		if [ $tdiff = 0 ] && [ $tknown -gt 0 ] && [ -n "${got[rc]+x}" ]; then
			known=$((known + 1))
			echo "KNOWN $t rc (follows the known differences): /dev/kvm: ${want[rc]}, module: ${got[rc]}"
		else
			differ=$((differ + 1))
			echo "DIFF $t rc: /dev/kvm: ${want[rc]}, module: ${got[rc]-<missing>}"
		fi
	fi
	for k in "${!got[@]}"; do
		[ -n "${want[$k]+x}" ] && continue
		compared=$((compared + 1))
		differ=$((differ + 1))
		echo "DIFF $t $k: /dev/kvm: <missing>"
		echo "     $t $k: module:   ${got[$k]}"
	done
	unset want got
done
echo "xarch-ppc64: $label: compared $compared results of $(($# - $(echo $notcmp | wc -w))) tests, $differ differ, $known known${notcmp:+ (not compared, skipped on /dev/kvm:$notcmp)}"
[ "$differ" = 0 ]
