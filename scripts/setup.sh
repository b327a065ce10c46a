#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# setup.sh: install the Debian 12 packages listed in scripts/debian-packages
# that are missing.  `make demo` and `make test` run it before anything
# else; it only asks dpkg (about a second) when everything is there.  As
# root it runs apt-get; as another user it prints the command to run and
# fails.
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

# The ppc64 oracle lane's foreign kernel and busybox: fetched and unpacked
# into a cache, never installed (one stamp file is read when present).
"$(dirname "$0")/../tests/xarch/ppc64-fetch.sh" ${1:+"$1"}

[ -n "$missing" ] || exit 0

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
