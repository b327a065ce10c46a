// SPDX-License-Identifier: GPL-2.0-only
/*
 * vm_types [device]: the KVM_CREATE_VM types (backends) the device offers,
 * one "<type> <name>" line each, for run_tests.sh to run every test once
 * per type.  The known types are memslot_ext.h's list, which a new backend
 * extends.  Prints nothing if the device cannot be opened.
 */
#include "../../../memslot-trace/memslot_ext.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : "/dev/kvm-memslot";
	unsigned long types[16];
	int fd = open(dev, O_RDWR | O_CLOEXEC);
	int i, n;

	if (fd < 0)
		return 0;
	n = memslot_ext_vm_types(fd, types, 16);
	for (i = 0; i < n; i++)
		printf("%lu %s\n", types[i], memslot_ext_vm_type_name(types[i]));
	close(fd);
	return 0;
}
