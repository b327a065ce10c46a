#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest side of capture-in-guest.sh (run by tests/vm/init as the VMTEST_DEMO
# script, in /payload, under busybox sh): run real QEMU with -accel kvm on
# this guest's in-tree /dev/kvm for every /payload/*.scenario, under the
# same logging memslot-record uses (its LD_PRELOAD ioctl logger, built on
# the host from `memslot-record --print-shim`, and
# `strace -f -qq -X raw -e trace=ioctl`), drive QEMU through QMP, and print
# the raw logs on the console between markers; the host turns them into
# traces with memslot-record's own conversion (convert-capture.py).
#
# There is no python3 in the guest, so the QMP part of memslot-record is
# done here, over a pipe chardev, with the same kind of notes.
#
# Scenario file (one "key: value" per line, '#' lines ignored):
#   name: <trace name>
#   desc: <one line>
#   args: <QEMU arguments>         (a QMP monitor is added)
#   step: <pause> qmp <command> [<json arguments>]
#   step: <pause> hmp <command line>     (human-monitor-command)
#   step: <pause> waitmig <timeout>      (poll query-migrate until it ends)
# <pause> is in seconds, counted from the previous step's reply (from the
# QMP greeting for the first step): TCG makes absolute times meaningless.
#
# Console protocol (parsed by convert-capture.py):
#   @@@CAPTURE FILE <name> <file> lines=<n> md5=<md5 of the file>@@@
#   @@C <line>            one per line of the file
#   @@@CAPTURE END <name> <file>@@@

P=/payload
OUT=/tmp/capture
GREETING_TIMEOUT=${CAPTURE_GREETING_TIMEOUT:-600}
REPLY_TIMEOUT=${CAPTURE_REPLY_TIMEOUT:-300}
EXIT_TIMEOUT=${CAPTURE_EXIT_TIMEOUT:-120}

# CLOCK_MONOTONIC, like the logger's timestamps ("now at" of timer_list is
# ktime_get()); /proc/uptime (boot time, 10 ms) if timer_list is missing.
mono() {
	if [ -r /proc/timer_list ]; then
		awk '/^now at/ { printf "%.6f\n", $3 / 1e9; exit }' /proc/timer_list
	else
		awk '{ print $1 }' /proc/uptime
	fi
}

# QEMU finds its firmware relative to its own path (/usr/bin/../share/...).
mkdir -p "$OUT" /usr/bin /usr/share/qemu /usr/share/seabios
cp "$P/qemu-system-x86_64" /usr/bin/qemu-system-x86_64
cp "$P/strace" /usr/bin/strace
for f in bios-256k.bin; do [ -f "$P/$f" ] && ln -sf "$P/$f" /usr/share/seabios/$f; done
for f in kvmvapic.bin linuxboot_dma.bin; do [ -f "$P/$f" ] && ln -sf "$P/$f" /usr/share/qemu/$f; done
export PATH=/usr/bin:$PATH

emit() {	# emit <name> <file>: (without carriage returns: the console drops them)
	[ -f "$OUT/$1/$2" ] || return 0
	tr -d '\r' <"$OUT/$1/$2" >/tmp/emit.txt
	echo "@@@CAPTURE FILE $1 $2 lines=$(wc -l </tmp/emit.txt) md5=$(md5sum </tmp/emit.txt | cut -d' ' -f1)@@@"
	sed 's/^/@@C /' /tmp/emit.txt
	echo "@@@CAPTURE END $1 $2@@@"
}

note() {	# note <text>: a capture step, with its time
	echo "$(mono) $*" >>"$d/notes"
}

# qmp_send <json>: send one command, wait for its reply (events are skipped);
# the reply is left in $reply.  Returns 1 if QEMU does not answer.
qmp_send() {
	echo "$1" >&3
	echo ">> $1" >>"$d/qmp"
	while :; do
		if ! read -t "$REPLY_TIMEOUT" -r reply <&4; then
			echo "!! no reply within ${REPLY_TIMEOUT}s" >>"$d/qmp"
			return 1
		fi
		echo "<< $reply" >>"$d/qmp"
		case $reply in *'"return"'* | *'"error"'*) return 0 ;; esac
	done
}

run_step() {	# run_step <pause> <kind> <rest>
	sleep "$1"
	case $2 in
	qmp)
		cmd=${3%% *}
		args=
		[ "$cmd" = "$3" ] || args=${3#* }
		note "qmp $cmd${args:+ $args}"
		if [ -n "$args" ]; then
			qmp_send "{\"execute\": \"$cmd\", \"arguments\": $args}"
		else
			qmp_send "{\"execute\": \"$cmd\"}"
		fi
		;;
	hmp)
		note "hmp $3"
		qmp_send "{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"$3\"}}"
		;;
	waitmig)
		i=0
		while [ "$i" -lt "$3" ]; do
			qmp_send '{"execute": "query-migrate"}' || return 1
			case $reply in
			*'"completed"'*) note "migration status completed"; return 0 ;;
			*'"failed"'* | *'"cancelled"'*) note "migration status failed"; return 1 ;;
			esac
			sleep 1
			i=$((i + 1))
		done
		note "migration did not end within $3s"
		return 1
		;;
	*)
		echo "unknown step kind $2" >>"$d/qmp"
		return 1
		;;
	esac
}

run_scenario() {	# run_scenario <file>
	name= desc= args=
	while read -r key rest; do
		case $key in
		name:) name=$rest ;;
		desc:) desc=$rest ;;
		args:) args=$rest ;;
		esac
	done <"$1"
	[ -n "$name" ] && [ -n "$args" ] || { echo "capture: $1: no name: or args:"; return 1; }
	d=$OUT/$name
	rm -rf "$d"
	mkdir -p "$d"
	mkfifo "$d/qmp.in" "$d/qmp.out"
	# Both ends O_RDWR: opening does not block, and a dead QEMU shows up
	# as a read timeout.
	exec 3<>"$d/qmp.in" 4<>"$d/qmp.out"
	qemu_args="$args -chardev pipe,id=qmp,path=$d/qmp -mon chardev=qmp,mode=control"
	wrapper="strace -f -qq -X raw -e trace=ioctl -o $d/strace -E LD_PRELOAD=$P/memslot_shim.so -E MEMSLOT_RECORD_LOG=$d/log"
	{
		echo "name $name"
		echo "desc $desc"
		echo "cmdline qemu-system-x86_64 $qemu_args"
		echo "wrapper $wrapper"
	} >"$d/meta"
	echo "capture: $name: qemu-system-x86_64 $qemu_args"
	note "qemu start"
	# shellcheck disable=SC2086
	$wrapper qemu-system-x86_64 $qemu_args </dev/null >"$d/qemu.out" 2>&1 &
	spid=$!
	ok=1
	if read -t "$GREETING_TIMEOUT" -r greeting <&4; then
		echo "<< $greeting" >>"$d/qmp"
		qmp_send '{"execute": "qmp_capabilities"}' || ok=0
		while [ $ok = 1 ] && read -r key p kind rest; do
			[ "$key" = step: ] || continue
			run_step "$p" "$kind" "$rest" <&- || ok=0
		done <"$1"
	else
		echo "!! no QMP greeting within ${GREETING_TIMEOUT}s" >>"$d/qmp"
		ok=0
	fi
	i=0
	while kill -0 "$spid" 2>/dev/null && [ $i -lt "$EXIT_TIMEOUT" ]; do
		sleep 1
		i=$((i + 1))
	done
	if kill -0 "$spid" 2>/dev/null; then
		note "qemu did not exit: SIGTERM"
		kill -TERM "$spid"
		sleep 10
		kill -0 "$spid" 2>/dev/null && kill -KILL "$spid"
		ok=0
	fi
	wait "$spid"
	rc=$?
	note "qemu exit rc=$rc"
	echo "rc $rc" >>"$d/meta"
	exec 3>&- 4>&-
	rm -f "$d/qmp.in" "$d/qmp.out"
	echo "capture: $name: qemu exit status $rc, $(grep -c ' SET ' "$d/log" 2>/dev/null || echo 0) SET ioctls logged"
	for f in meta notes log strace qmp qemu.out; do emit "$name" "$f"; done
	[ $ok = 1 ] && [ $rc = 0 ]
}

# What the results come from.
{
	echo "uname $(uname -r)"
	echo "cpu $(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //')"
	echo "address_sizes $(grep -m1 '^address sizes' /proc/cpuinfo | sed 's/.*: //')"
	echo "cpus $(grep -c ^processor /proc/cpuinfo)"
	for p in /sys/module/kvm/parameters/tdp_mmu /sys/module/kvm_amd/parameters/npt \
		 /sys/module/kvm_amd/parameters/nested /sys/module/kvm_amd/parameters/avic; do
		[ -r "$p" ] && echo "param ${p#/sys/module/} $(cat "$p")"
	done
	echo "qemu $(qemu-system-x86_64 --version | head -n1)"
	echo "strace $(strace -V | head -n1)"
} >"$OUT/guest-info"
mkdir -p "$OUT/guest"
cp "$OUT/guest-info" "$OUT/guest/info"
cat "$OUT/guest-info"
emit guest info

rc=0
for s in "$P"/*.scenario; do
	[ -f "$s" ] || continue
	run_scenario "$s" || rc=1
done
exit $rc
