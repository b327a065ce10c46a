/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace helpers for the kvm-memslot VM extension ioctls: the slot
 * layout and the statistics file.  Header-only, shared by memslot-demo and
 * the selftests.
 */
#ifndef MEMSLOT_EXT_H
#define MEMSLOT_EXT_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>
#include "../../include/uapi/linux/kvm_memslot.h"

#define MEMSLOT_EXT_MAX_STATS	32

struct memslot_ext_stats {
	unsigned int nr;
	char name[MEMSLOT_EXT_MAX_STATS][KVM_MEMSLOT_STATS_NAME_SIZE];
	uint64_t value[MEMSLOT_EXT_MAX_STATS];
};

/* Read every statistic of a KVM_MEMSLOT_GET_STATS_FD fd; -1 on error. */
static inline int memslot_ext_read_stats(int fd, struct memslot_ext_stats *st)
{
	struct kvm_stats_header h;
	size_t dsize;
	char *descs;
	unsigned int i;

	if (pread(fd, &h, sizeof(h), 0) != sizeof(h))
		return -1;
	if (h.num_desc > MEMSLOT_EXT_MAX_STATS ||
	    h.name_size != KVM_MEMSLOT_STATS_NAME_SIZE)
		return -1;
	dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = malloc(dsize * h.num_desc);
	if (!descs)
		return -1;
	if (pread(fd, descs, dsize * h.num_desc, h.desc_offset) !=
	    (ssize_t)(dsize * h.num_desc)) {
		free(descs);
		return -1;
	}
	st->nr = h.num_desc;
	for (i = 0; i < h.num_desc; i++) {
		struct kvm_stats_desc *d = (void *)(descs + i * dsize);

		memcpy(st->name[i], d->name, h.name_size);
		st->name[i][h.name_size - 1] = 0;
		if (d->size != 1 ||
		    pread(fd, &st->value[i], sizeof(uint64_t),
			  h.data_offset + d->offset) != sizeof(uint64_t)) {
			free(descs);
			return -1;
		}
	}
	free(descs);
	return 0;
}

/* The value of the named statistic, or UINT64_MAX if there is none. */
static inline uint64_t memslot_ext_stat(const struct memslot_ext_stats *st,
					const char *name)
{
	unsigned int i;

	for (i = 0; i < st->nr; i++)
		if (!strcmp(st->name[i], name))
			return st->value[i];
	return UINT64_MAX;
}

/*
 * Read the layout of an address space into *out (malloc'ed, caller frees);
 * returns the number of slots, or -errno.
 */
static inline int memslot_ext_get_slots(int vm_fd, unsigned int as_id,
					struct kvm_memslot_slot_info **out,
					uint64_t *generation)
{
	struct kvm_memslot_layout l = { .as_id = as_id };
	struct kvm_memslot_slot_info *info = NULL;

	for (;;) {
		l.slots = (uintptr_t)info;
		if (!ioctl(vm_fd, KVM_MEMSLOT_GET_SLOTS, &l))
			break;
		if (errno != E2BIG) {
			free(info);
			return -errno;
		}
		free(info);
		info = calloc(l.nr ? l.nr : 1, sizeof(*info));
		if (!info)
			return -ENOMEM;
	}
	*out = info;
	if (generation)
		*generation = l.generation;
	return l.nr;
}

/*
 * The KVM_CREATE_VM types of the backends the module knows
 * (<linux/kvm_memslot.h>), with a name for messages.  A backend added to
 * the module adds its type here, and every program that loops over
 * memslot_ext_vm_types() (the demo, the selftests' run_tests) picks it up.
 */
struct memslot_ext_vm_type {
	unsigned long type;
	const char *name;
};

static const struct memslot_ext_vm_type memslot_ext_known_vm_types[] = {
	{ KVM_MEMSLOT_VM_X86_EPT, "x86-ept" },
	{ KVM_MEMSLOT_VM_X86_NPT, "x86-npt" },
	{ KVM_MEMSLOT_VM_ARM64, "arm64" },
	{ KVM_MEMSLOT_VM_PPC_BOOK3S_HV, "ppc-book3s-hv" },
};

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#define MEMSLOT_EXT_NR_KNOWN_VM_TYPES ARRAY_SIZE(memslot_ext_known_vm_types)

/* The name of a VM type, or "type N". */
static inline const char *memslot_ext_vm_type_name(unsigned long type)
{
	static char buf[32];
	unsigned int i;

	for (i = 0; i < MEMSLOT_EXT_NR_KNOWN_VM_TYPES; i++)
		if (memslot_ext_known_vm_types[i].type == type)
			return memslot_ext_known_vm_types[i].name;
	snprintf(buf, sizeof(buf), "type %lu", type);
	return buf;
}

/*
 * Fill @types with the known VM types that the device open as @devfd
 * creates VMs of (at most @max); returns how many.  In-tree x86 KVM
 * offers type 0 only.
 */
static inline int memslot_ext_vm_types(int devfd, unsigned long *types,
				       int max)
{
	unsigned int i;
	int n = 0;

	for (i = 0; i < MEMSLOT_EXT_NR_KNOWN_VM_TYPES && n < max; i++) {
		int vm = ioctl(devfd, KVM_CREATE_VM,
			       memslot_ext_known_vm_types[i].type);

		if (vm < 0)
			continue;
		close(vm);
		types[n++] = memslot_ext_known_vm_types[i].type;
	}
	return n;
}

#endif /* MEMSLOT_EXT_H */
