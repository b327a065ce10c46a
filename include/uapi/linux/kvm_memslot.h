/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * kvm-memslot extension ABI.
 *
 * /dev/kvm-memslot speaks KVM's own ABI (<linux/kvm.h>) for everything
 * KVM has: the device, VM and vCPU ioctls keep KVM's numbers, structures
 * and errnos.  This header only adds what KVM does not have: the VM types
 * that select a backend, and extension ioctls.  Extension ioctls use their
 * own magic so that they can never be mistaken for a KVM ioctl, whichever
 * KVM version the caller was built against.
 */
#ifndef _UAPI_LINUX_KVM_MEMSLOT_H
#define _UAPI_LINUX_KVM_MEMSLOT_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * KVM_CREATE_VM types.  Each picks an architecture backend, and the VM
 * then reports and accepts what that architecture's in-tree KVM does
 * (address spaces, slot count, read-only slots, guest physical limit).
 * An unknown type fails with EINVAL, as in-tree x86 KVM does.
 *
 * KVM_MEMSLOT_VM_X86_EPT: x86 with two-dimensional paging in EPT format;
 * 2 address spaces (the second is SMM), 32764 user slots, read-only
 * slots, and no slot may end above the host's MAXPHYADDR.  It is 0 so
 * that a client written for /dev/kvm gets it by default.
 */
#define KVM_MEMSLOT_VM_X86_EPT		0

/*
 * Magic of the extension ioctls.  It is not KVM's (0xAE), and Linux 6.1's
 * ioctl-number registry does not list it.
 */
#define KVM_MEMSLOT_IO			0xBE

/*
 * VM fd extension ioctls for the slot layout and the update protocol
 * (numbers 0x01-0x0f).
 */

/*
 * KVM_MEMSLOT_GET_STATS_FD: returns a read-only fd with the VM's memslot
 * statistics in the layout of KVM's binary statistics
 * (struct kvm_stats_header, struct kvm_stats_desc and u64 values, see
 * KVM_GET_STATS_FD in <linux/kvm.h>): what the update protocol did
 * (publishes, grace periods waited for, prepare / flush / commit hook
 * calls, ...) and the current layout's size and generation.
 */
#define KVM_MEMSLOT_GET_STATS_FD	_IO(KVM_MEMSLOT_IO, 0x01)
/* Bytes of the id string and of each statistic's name, as KVM's. */
#define KVM_MEMSLOT_STATS_NAME_SIZE	48

/**
 * struct kvm_memslot_slot_info - one slot of a layout
 * @slot:            (address space << 16) | slot id, as in
 *                   struct kvm_userspace_memory_region
 * @flags:           KVM_MEM_* flags
 * @guest_phys_addr: first guest physical address
 * @memory_size:     size in bytes
 * @userspace_addr:  host virtual address of the first byte
 */
struct kvm_memslot_slot_info {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
};

/**
 * struct kvm_memslot_layout - argument of KVM_MEMSLOT_GET_SLOTS
 * @as_id:      address space to read
 * @nr:         in: room in @slots; out: slots in the layout
 * @generation: out: generation of the slot set read
 * @slots:      user pointer to an array of struct kvm_memslot_slot_info,
 *              filled in guest physical order
 *
 * Fails with E2BIG, @nr set, if the array is too small.
 */
struct kvm_memslot_layout {
	__u32 as_id;
	__u32 nr;
	__u64 generation;
	__u64 slots;
};

#define KVM_MEMSLOT_GET_SLOTS		_IOWR(KVM_MEMSLOT_IO, 0x02, struct kvm_memslot_layout)

/**
 * struct kvm_memslot_regions - argument of KVM_MEMSLOT_SET_REGIONS
 * @nr:      number of regions, at most KVM_MEMSLOT_MAX_BATCH
 * @failed:  out: on failure, index of the region that failed
 * @regions: user pointer to an array of struct kvm_userspace_memory_region
 *
 * Applies the regions as one atomic change: each is validated as
 * KVM_SET_USER_MEMORY_REGION would validate it after the ones before it,
 * and guest accesses see the whole old layout or the whole new one, never
 * a mix (accesses to gfns whose mapping changes wait for the change).  A
 * batch may change each slot once, except that a delete may be followed
 * by a create of the same slot.  On failure nothing changed.
 */
struct kvm_memslot_regions {
	__u32 nr;
	__u32 failed;
	__u64 regions;
};

#define KVM_MEMSLOT_MAX_BATCH		65534
#define KVM_MEMSLOT_SET_REGIONS		_IOWR(KVM_MEMSLOT_IO, 0x03, struct kvm_memslot_regions)

#endif /* _UAPI_LINUX_KVM_MEMSLOT_H */
