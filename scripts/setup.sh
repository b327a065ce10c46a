#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# setup.sh: install the Debian 12 packages listed in scripts/debian-packages
# that are missing, then fetch the foreign-architecture kernels of the
# cross-architecture lanes (tests/xarch/fetch-foreign.sh: downloaded and
# unpacked into tests/xarch/cache, never installed).  `make demo`, `make
# test` and the xarch lanes run it before anything else; it only asks dpkg
# and stats the caches (about a second) when everything is there.  As root
# it runs apt-get; as another user it prints the command to run and fails.
#
#   scripts/setup.sh [--check]    --check: only report, never install
set -eu

list=$(dirname "$0")/debian-packages
[ -r "$list" ] || { echo "setup: cannot read $list" >&2; exit 2; }

wanted=$(sed -e 's/#.*//' "$list" | tr -s ' \t' '\n\n' | sed '/^$/d')
# dpkg-query prints nothing (and complains) for packages it never heard of.
installed=$(dpkg-query -W -f '${Package} ${db:Status-Abbrev}\n' $wanted 2>/dev/null |
	    awk '$2 == "ii" { print $1 }')
missing=
for p in $wanted; do
	case " $(echo $installed) " in
	*" $p "*) ;;
	*) missing="$missing $p" ;;
	esac
done
missing=${missing# }
xarch=$(dirname "$0")/../tests/xarch
# One line per cross-architecture lane: its foreign kernel and busybox,
# downloaded and unpacked into a cache, never installed.
fetch_foreign() {
	"$xarch/fetch-foreign.sh" ${1:+"$1"} arm64 arm64 busybox-static
	"$xarch/ppc64-fetch.sh" ${1:+"$1"}
}
[ -n "$missing" ] || { fetch_foreign "$@"; exit; }

cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $missing"
if [ "${1:-}" = --check ]; then
	echo "setup: missing Debian packages: $missing" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "setup: missing Debian packages: $missing" >&2
	echo "setup: install them as root, then run make again:" >&2
	echo >&2
	echo "    sudo sh -c '$cmd'" >&2
	echo >&2
	exit 1
fi
echo "setup: installing $missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update >&2
apt-get install -y $missing >&2
fetch_foreign "$@"
