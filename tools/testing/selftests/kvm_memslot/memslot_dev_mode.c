// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_dev_mode: the device node is not open to every user.
 *
 * Distributions give /dev/kvm to root and the kvm group (mode 0660, set by
 * udev); where no udev runs (devtmpfs alone, as in the guest lane) the
 * node gets the mode its driver asks for, 0600 for /dev/kvm.  The module
 * must not ask for more: who may create VMs is the administrator's choice,
 * expressed by the udev rule the tree installs (udev/65-kvm-memslot.rules).
 *
 * Usage: memslot_dev_mode [device]
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "tap.h"

#define NTESTS 3

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	struct stat st;

	if (stat(dev, &st)) {
		printf("# cannot stat %s: %s\n", dev, strerror(errno));
		return tap_skip_all("device not available");
	}
	tap_plan(NTESTS);
	tap_diag("device %s: mode %04o, uid %u, gid %u", dev,
		 (unsigned int)(st.st_mode & 07777), (unsigned int)st.st_uid,
		 (unsigned int)st.st_gid);
	tap_expect(S_ISCHR(st.st_mode), 1, "the device node is a character device");
	tap_expect(!(st.st_mode & 0002), 1, "the device node is not world-writable");
	tap_expect(!(st.st_mode & 0005), 1,
		   "the device node gives other users no access");
	return tap_finish();
}
