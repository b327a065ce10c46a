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
 * An unknown type fails with EINVAL, as in-tree x86 KVM does; so do the
 * reserved types below until their backends exist.
 *
 * Bits 16-23 of a type select the backend family
 * (KVM_MEMSLOT_VM_FAMILY_MASK); the bits below them are the family's own:
 * the x86 family uses exactly 0 and 1, the arm64 family carries the IPA
 * size in bits 0-7 as in-tree arm64 KVM's type does
 * (KVM_VM_TYPE_ARM_IPA_SIZE_MASK).  Bits 24-63 must be zero.
 */
#define KVM_MEMSLOT_VM_FAMILY_SHIFT	16
#define KVM_MEMSLOT_VM_FAMILY_MASK	(0xffUL << KVM_MEMSLOT_VM_FAMILY_SHIFT)

/*
 *
 * KVM_MEMSLOT_VM_X86_EPT: x86 with two-dimensional paging in EPT format;
 * 2 address spaces (the second is SMM), 32764 user slots, read-only
 * slots, and no slot may end above the host's MAXPHYADDR.  It is 0 so
 * that a client written for /dev/kvm gets it by default.
 */
#define KVM_MEMSLOT_VM_X86_EPT		0

/*
 * KVM_MEMSLOT_VM_X86_NPT: the same x86 VM with AMD nested paging, i.e.
 * translations kept in x86-64 page table format rather than EPT format;
 * everything a client can observe through the ABI is as for
 * KVM_MEMSLOT_VM_X86_EPT.
 */
#define KVM_MEMSLOT_VM_X86_NPT		1

/*
 * KVM_MEMSLOT_VM_ARM64: arm64 with a stage-2 translation (VMSAv8-64
 * tables, 4 KiB granule); 1 address space, 32767 user slots, read-only
 * slots, 4 KiB pages.  Bits 0-7 give the IPA size in bits as
 * KVM_VM_TYPE_ARM_IPA_SIZE(bits) does for in-tree arm64 KVM: 0 is the
 * default 40 bits, 32 to 48 are accepted, anything else fails
 * KVM_CREATE_VM with EINVAL, as do bits 8-15.
 * KVM_CHECK_EXTENSION(KVM_CAP_ARM_VM_IPA_SIZE) reports the largest, 48
 * (what arm64 KVM 6.1 reports with 4 KiB pages on a CPU with 52-bit
 * PARange), and a slot that ends beyond the VM's IPA size fails with
 * EFAULT, as on arm64.
 */
#define KVM_MEMSLOT_VM_ARM64		(1UL << KVM_MEMSLOT_VM_FAMILY_SHIFT)
#define KVM_MEMSLOT_VM_ARM64_IPA_SIZE_MASK	0xffUL
#define KVM_MEMSLOT_VM_ARM64_IPA_SIZE(bits)	\
	(KVM_MEMSLOT_VM_ARM64 | ((bits) & KVM_MEMSLOT_VM_ARM64_IPA_SIZE_MASK))

/*
 * KVM_MEMSLOT_VM_PPC_BOOK3S_HV: PowerPC Book3S HV with a hashed page table
 * (HPT), on a 64 KiB-page host, as every ppc64el distribution kernel is; 1
 * address space, 32767 user slots, no read-only slots, no
 * KVM_CLEAR_DIRTY_LOG, and 64 KiB pages: a gfn, the alignment of a slot
 * and a bit of the dirty log are all 64 KiB.  The VM fd takes KVM's
 * KVM_PPC_ALLOCATE_HTAB (KVM_CAP_PPC_ALLOC_HTAB); the guest's hypercalls
 * on the HPT are KVM_MEMSLOT_PPC_HCALL on a vCPU fd.
 */
#define KVM_MEMSLOT_VM_PPC_BOOK3S_HV	(2UL << KVM_MEMSLOT_VM_FAMILY_SHIFT)

/*
 * Magic of the extension ioctls.  It is not KVM's (0xAE), and Linux 6.1's
 * ioctl-number registry does not list it.
 */
#define KVM_MEMSLOT_IO			0xBE

/*
 * Device and VM fd extension ioctl: the capability query (number 0x00).
 */

/*
 * KVM_MEMSLOT_CHECK_EXTENSION: whether an extension is offered, asked
 * without trying its ioctl.  The argument is a KVM_MEMSLOT_CAP_* number;
 * as KVM_CHECK_EXTENSION, the ioctl returns a value >= 0: 0 if the
 * extension is not offered (or the number is unknown), else a positive
 * value, 1 unless the capability below gives it a meaning.
 *
 * On /dev/kvm-memslot it answers for the module: a capability is offered
 * if a VM of one of the types KVM_CREATE_VM accepts has it, with the
 * largest value any of those types has (the union of them, for the two
 * capabilities whose value is a set of bits).  On a VM fd it answers for
 * that VM, whose type decides what it has.  In-tree KVM does not know the
 * ioctl: /dev/kvm fails it with EINVAL, an x86 KVM VM fd with ENOTTY.
 */
#define KVM_MEMSLOT_CHECK_EXTENSION	_IO(KVM_MEMSLOT_IO, 0x00)

/*
 * KVM_MEMSLOT_CAP_SET_REGIONS: the VM fd takes KVM_MEMSLOT_SET_REGIONS.
 * The value is the most regions a batch may have, KVM_MEMSLOT_MAX_BATCH.
 */
#define KVM_MEMSLOT_CAP_SET_REGIONS	1

/* KVM_MEMSLOT_CAP_GET_SLOTS: the VM fd takes KVM_MEMSLOT_GET_SLOTS. */
#define KVM_MEMSLOT_CAP_GET_SLOTS	2

/*
 * KVM_MEMSLOT_CAP_VCPU_ACCESS: vCPU fds take KVM_MEMSLOT_VCPU_ACCESS.  The
 * value is the set of KVM_MEMSLOT_ACCESS_* flags the access accepts
 * (KVM_MEMSLOT_ACCESS_WRITE always; KVM_MEMSLOT_ACCESS_PPC_VIRT on a
 * PowerPC VM); any other flag fails the access with EINVAL.
 */
#define KVM_MEMSLOT_CAP_VCPU_ACCESS	3

/*
 * KVM_MEMSLOT_CAP_GPC: the VM fd takes KVM_MEMSLOT_CREATE_GPC, and its
 * cache fds KVM_MEMSLOT_GPC_GET_STATE, _REFRESH and _BENCH.
 */
#define KVM_MEMSLOT_CAP_GPC		4

/*
 * KVM_MEMSLOT_CAP_AUDIT: the VM fd takes KVM_MEMSLOT_AUDIT.  The audit
 * counts violations only for a backend that keeps translations; every
 * backend of this module does.
 */
#define KVM_MEMSLOT_CAP_AUDIT		5

/*
 * KVM_MEMSLOT_CAP_NOTICE_FD: the VM fd takes KVM_MEMSLOT_CREATE_NOTICE_FD
 * and KVM_MEMSLOT_SET_NOTICE_TIMEOUT.  The value is the most notice fds a
 * VM may have at once, KVM_MEMSLOT_MAX_NOTICE_FDS.
 */
#define KVM_MEMSLOT_CAP_NOTICE_FD	6

/*
 * KVM_MEMSLOT_CAP_STATS_FD: the VM fd takes KVM_MEMSLOT_GET_STATS_FD (KVM's
 * own KVM_GET_STATS_FD is KVM_CAP_BINARY_STATS_FD).
 */
#define KVM_MEMSLOT_CAP_STATS_FD	7

/*
 * KVM_MEMSLOT_CAP_PPC_HCALL: vCPU fds take KVM_MEMSLOT_PPC_HCALL: a
 * KVM_MEMSLOT_VM_PPC_BOOK3S_HV VM.  (Its KVM_PPC_ALLOCATE_HTAB is KVM's
 * own ioctl, reported by KVM_CHECK_EXTENSION(KVM_CAP_PPC_ALLOC_HTAB) on
 * the VM fd.)
 */
#define KVM_MEMSLOT_CAP_PPC_HCALL	8

/*
 * KVM_MEMSLOT_CAP_VM_TYPES: a set of KVM_MEMSLOT_VM_TYPE_BIT_* bits, one
 * per VM type.  On /dev/kvm-memslot: the types KVM_CREATE_VM accepts,
 * which are those of the backends the module was built with.  On a VM fd:
 * the bit of the VM's own type.  KVM_MEMSLOT_VM_ARM64 has one bit for all
 * of its IPA sizes.
 */
#define KVM_MEMSLOT_CAP_VM_TYPES	9

#define KVM_MEMSLOT_VM_TYPE_BIT_X86_EPT		(1U << 0)
#define KVM_MEMSLOT_VM_TYPE_BIT_X86_NPT		(1U << 1)
#define KVM_MEMSLOT_VM_TYPE_BIT_ARM64		(1U << 2)
#define KVM_MEMSLOT_VM_TYPE_BIT_PPC_BOOK3S_HV	(1U << 3)

/*
 * VM fd extension ioctls for the slot layout and the update protocol
 * (numbers 0x01-0x0f).
 */

/*
 * KVM_MEMSLOT_GET_STATS_FD: the same fd as KVM_GET_STATS_FD on the VM fd
 * (which the module also implements, on VM and vCPU fds, with KVM's
 * layout: struct kvm_stats_header, struct kvm_stats_desc and u64 values):
 * what the update protocol did (publishes, grace periods waited for,
 * prepare / flush / commit hook calls, ...), remote TLB flushes, the
 * gfn_to_pfn caches, and the current layout's size and generation.  Kept
 * for clients written before KVM_GET_STATS_FD was there.
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

/**
 * struct kvm_memslot_notice - a change of guest RAM, as a notice fd reads it
 * @generation: the generation of the slot set in which the change is seen:
 *              for a delete or a move the first set without the old RAM,
 *              what an acknowledgment names
 * @gpa:        guest physical address of the slot before the change (a
 *              create: after it)
 * @size:       bytes of the slot
 * @new_gpa:    a move: the new guest physical address; else @gpa
 * @userspace_addr: host virtual address of the slot's RAM
 * @kind:       KVM_MEMSLOT_NOTICE_*
 * @as_id:      address space
 * @slot:       slot id
 * @old_flags:  KVM_MEM_* flags before the change (0 for a create)
 * @new_flags:  KVM_MEM_* flags after it (0 for a delete)
 */
struct kvm_memslot_notice {
	__u64 generation;
	__u64 gpa;
	__u64 size;
	__u64 new_gpa;
	__u64 userspace_addr;
	__u32 kind;
	__u16 as_id;
	__u16 slot;
	__u32 old_flags;
	__u32 new_flags;
};

#define KVM_MEMSLOT_NOTICE_CREATE	1
#define KVM_MEMSLOT_NOTICE_DELETE	2
#define KVM_MEMSLOT_NOTICE_MOVE		3
#define KVM_MEMSLOT_NOTICE_FLAGS	4

/* Deletes and moves wait until this reader has acknowledged them. */
#define KVM_MEMSLOT_NOTICE_F_ACK	(1U << 0)

/*
 * KVM_MEMSLOT_CREATE_NOTICE_FD: a read-only (or, with
 * KVM_MEMSLOT_NOTICE_F_ACK, read-write) fd for a process that maps guest
 * RAM on its own, e.g. a vhost-user backend or a device-model process
 * that received the VM's memory fds.  read() returns whole struct
 * kvm_memslot_notice records, one per change of every later update that
 * deletes, moves, creates or changes the flags of a slot (blocking unless
 * O_NONBLOCK; EOVERFLOW once if the reader fell so far behind that
 * records were dropped: it should read the layout again); poll() says
 * when there are some.  With KVM_MEMSLOT_NOTICE_F_ACK, a delete or move
 * does not return to its caller before the reader has written (a __u64)
 * a generation at least that of the update's records, meaning "I no
 * longer use the old RAM": it waits at most the VM's notice timeout
 * (KVM_MEMSLOT_SET_NOTICE_TIMEOUT, 1 s unless set), killably; on timeout
 * it fails with ETIMEDOUT (EINTR if killed) and the old layout is
 * published again, as if it had not been tried.  Closing the fd (or the
 * reader dying) withdraws it.  At most KVM_MEMSLOT_MAX_NOTICE_FDS per VM
 * (ENOSPC).  Argument: the KVM_MEMSLOT_NOTICE_F_* flags (EINVAL for
 * others).
 */
#define KVM_MEMSLOT_CREATE_NOTICE_FD	_IO(KVM_MEMSLOT_IO, 0x04)
#define KVM_MEMSLOT_MAX_NOTICE_FDS	16

/*
 * KVM_MEMSLOT_SET_NOTICE_TIMEOUT: how long, in milliseconds, a delete or
 * move waits for the acknowledgments of its notice fds (1 to 600000;
 * EINVAL otherwise).
 */
#define KVM_MEMSLOT_SET_NOTICE_TIMEOUT	_IO(KVM_MEMSLOT_IO, 0x05)

/*
 * vCPU fd extension ioctls: simulated guest accesses (number 0x10).
 */

/**
 * struct kvm_memslot_access - argument of KVM_MEMSLOT_VCPU_ACCESS
 * @gpa:         first guest physical address to access
 * @len:         bytes to access
 * @buf:         user pointer: the bytes to write, or room for the bytes read
 * @flags:       KVM_MEMSLOT_ACCESS_*
 * @as_id:       address space of @gpa (0 unless the VM has several, as
 *               x86's second, SMM, space)
 * @exit_reason: out: KVM_MEMSLOT_EXIT_*; why the access stopped early
 * @exit_gpa:    out: the guest physical address the exit is about
 * @exit_len:    out: bytes of that access, up to the end of its page
 * @exit_write:  out: 1 if that access was a write
 * @done:        out: bytes accessed before the exit (all of @len if none)
 *
 * The vCPU reads or writes guest physical memory as hardware would: through
 * the backend's translation structures, faulting translations in from the
 * slots of address space @as_id.  An access that no slot backs,
 * or a write to a read-only slot, stops with KVM_MEMSLOT_EXIT_MMIO, as a
 * real vCPU exits to userspace for MMIO; one whose slot's host address has
 * no page allowing it (unmapped, or mapped read-only for a write) stops
 * with KVM_MEMSLOT_EXIT_MEMORY_FAULT.  With a dirty ring enabled
 * (KVM_CAP_DIRTY_LOG_RING), an access does not start a page while the
 * vCPU's ring is soft-full, as KVM_RUN does not enter the guest, and stops
 * with KVM_MEMSLOT_EXIT_DIRTY_RING_FULL until KVM_RESET_DIRTY_RINGS has
 * made room.  Either way the ioctl returns 0 and @done says how far it
 * went.
 */
struct kvm_memslot_access {
	__u64 gpa;
	__u64 len;
	__u64 buf;
	__u16 flags;
	__u16 as_id;
	__u32 exit_reason;
	__u64 exit_gpa;
	__u32 exit_len;
	__u32 exit_write;
	__u64 done;
};

#define KVM_MEMSLOT_ACCESS_WRITE	(1U << 0)

#define KVM_MEMSLOT_EXIT_NONE		0
#define KVM_MEMSLOT_EXIT_MMIO		1
#define KVM_MEMSLOT_EXIT_MEMORY_FAULT	2
#define KVM_MEMSLOT_EXIT_DIRTY_RING_FULL	3
/* PowerPC, KVM_MEMSLOT_ACCESS_PPC_VIRT only: no HPTE translates the address. */
#define KVM_MEMSLOT_EXIT_GUEST_FAULT	4

#define KVM_MEMSLOT_VCPU_ACCESS		_IOWR(KVM_MEMSLOT_IO, 0x10, struct kvm_memslot_access)

/*
 * vCPU fd extension ioctl of KVM_MEMSLOT_VM_PPC_BOOK3S_HV VMs: the PAPR
 * hypercalls that manage the hashed page table (number 0x30).
 */

/**
 * struct kvm_memslot_ppc_hcall - argument of KVM_MEMSLOT_PPC_HCALL
 * @nr:        the hypercall: KVM_MEMSLOT_PPC_H_ENTER, _H_REMOVE, _H_READ,
 *             _H_PROTECT or _H_BULK_REMOVE (PAPR's numbers)
 * @flags:     its flags argument, as the guest passes it in r4 (H_EXACT,
 *             H_READ_4, H_AVPN, H_ANDCOND, the protection bits of
 *             H_PROTECT); unused by H_BULK_REMOVE
 * @pte_index: its HPTE index argument (r5); unused by H_BULK_REMOVE
 * @args:      the other arguments in register order: H_ENTER: [0] pteh,
 *             [1] ptel (r6, r7); H_REMOVE and H_PROTECT: [0] avpn (r6);
 *             H_BULK_REMOVE: [0]-[7] four (tsh, tsl) translation
 *             specifier pairs (r4-r11)
 * @ret:       out: the return code (r3): H_SUCCESS, H_PARAMETER,
 *             H_NOT_FOUND, H_PTEG_FULL or H_FUNCTION
 * @rets:      out: what the hypercall returns in r4 onwards: H_ENTER: [0]
 *             the HPTE index used; H_REMOVE: [0], [1] the removed HPTE;
 *             H_READ: [0], [1] the HPTE, or [0]-[7] four with H_READ_4;
 *             H_BULK_REMOVE: [0]-[7] the specifiers with their response
 *             code and R/C bits filled in; the rest is zero
 * @reserved:  must be zero
 *
 * The hypercall runs as Book3S HV KVM runs it for a guest in HPT mode,
 * with PAPR's semantics and return codes; HPTEs are in the pre-ISA-3.0
 * format the guest uses (H_READ returns the guest's view: the guest real
 * address it entered, and the R and C bits).  The HPT is allocated by
 * KVM_PPC_ALLOCATE_HTAB, or with KVM's default order by the first
 * hypercall or access.  One difference: where KVM enters an HPTE for a
 * page whose slot is being deleted or moved as emulated MMIO, this waits
 * for the change to finish and then enters it against the new layout.
 * Returns 0 when the hypercall ran (whatever @ret says), EINVAL for a
 * non-zero @reserved or on another VM type, EINTR if a signal came while
 * waiting, ENOMEM, EFAULT.  An unknown @nr gives @ret H_FUNCTION.
 */
struct kvm_memslot_ppc_hcall {
	__u64 nr;
	__u64 flags;
	__u64 pte_index;
	__u64 args[8];
	__s64 ret;
	__u64 rets[8];
	__u64 reserved[4];
};

#define KVM_MEMSLOT_PPC_H_REMOVE	0x04
#define KVM_MEMSLOT_PPC_H_ENTER		0x08
#define KVM_MEMSLOT_PPC_H_READ		0x0c
#define KVM_MEMSLOT_PPC_H_PROTECT	0x18
#define KVM_MEMSLOT_PPC_H_BULK_REMOVE	0x124

#define KVM_MEMSLOT_PPC_HCALL		_IOWR(KVM_MEMSLOT_IO, 0x30, struct kvm_memslot_ppc_hcall)

/*
 * KVM_MEMSLOT_ACCESS_PPC_VIRT (struct kvm_memslot_access flags, PPC VMs):
 * @gpa is a guest virtual address, VA = (VSID << 28) | (ea & 0x0fffffff)
 * for 256 MiB segments; the access translates it through the guest's
 * HPTEs as the MMU would (primary then secondary group).  No HPTE: exit
 * KVM_MEMSLOT_EXIT_GUEST_FAULT (a DSI the guest handles).  Without this
 * flag the access is in real mode through the VRMA, which the host maps.
 */
#define KVM_MEMSLOT_ACCESS_PPC_VIRT	(1U << 1)

/*
 * VM fd extension ioctl: invariant audit (number 0x11).
 */

/**
 * struct kvm_memslot_audit - argument of KVM_MEMSLOT_AUDIT
 * @violations: out: translations that break an invariant (each is logged
 *              to the kernel log); 0 if the backend keeps none or has no
 *              audit
 * @reserved:   out: zero
 */
struct kvm_memslot_audit {
	__u64 violations;
	__u64 reserved[7];
};

#define KVM_MEMSLOT_AUDIT		_IOR(KVM_MEMSLOT_IO, 0x11, struct kvm_memslot_audit)

/*
 * VM fd extension ioctl and gfn_to_pfn cache fd ioctls (numbers 0x20-0x2f).
 */

/**
 * struct kvm_memslot_gpc_create - argument of KVM_MEMSLOT_CREATE_GPC
 * @gpa:      first guest physical address to cache
 * @len:      bytes to cache; [@gpa, @gpa + @len) must not cross a page
 *            boundary
 * @flags:    KVM_MEMSLOT_GPC_*
 * @as_id:    address space of @gpa (0 unless the VM has several)
 * @pad:      must be zero
 * @reserved: must be zero
 *
 * KVM_MEMSLOT_CREATE_GPC returns a new file descriptor for a gfn_to_pfn
 * cache of the range, the object in-kernel users of guest memory keep (a
 * shared info page, a clock): resolved once, then used without a lookup
 * until the host mm or the slot layout changes under it.  read() and
 * pread() (and, for a KVM_MEMSLOT_GPC_WRITE cache, write() and pwrite())
 * access the range, the file offset counting from @gpa, the way such a
 * user does: through the cache if it is valid, after refreshing it if
 * not.  They fail with ENOENT if no slot backs @gpa, EROFS when writing to
 * a read-only slot, EFAULT if the host maps no page allowing the access
 * at the slot's address, EAGAIN if it kept changing while the cache was
 * refreshed, and EIO from a process other than the VM's.  A read cache's
 * fd is read-only.  It keeps the VM alive.
 */
struct kvm_memslot_gpc_create {
	__u64 gpa;
	__u32 len;
	__u32 flags;
	__u16 as_id;
	__u16 pad;
	__u32 reserved[3];
};

/* Writes go through the cache; it maps only pages the host maps writable. */
#define KVM_MEMSLOT_GPC_WRITE		(1U << 0)

#define KVM_MEMSLOT_CREATE_GPC		_IOW(KVM_MEMSLOT_IO, 0x20, struct kvm_memslot_gpc_create)

/**
 * struct kvm_memslot_gpc_state - argument of KVM_MEMSLOT_GPC_GET_STATE
 * @gpa:            the cached range, as created
 * @len:            its length
 * @flags:          KVM_MEMSLOT_GPC_* as created
 * @as_id:          address space, as created
 * @pad:            zero
 * @reserved32:     zero
 * @valid:          1 if a check made now would hit: the cache maps a page
 *                  and neither the host mm nor the slot layout changed
 *                  since
 * @last_error:     0 if the last refresh succeeded (or none ran yet), else
 *                  its negative errno
 * @generation:     slot-set generation the cache was last filled under
 * @pfn_generation: successful refreshes so far: each maps the page anew
 * @invalidations:  times an MMU-notifier invalidation cleared the cache
 * @retries:        refresh attempts thrown away because an invalidation
 *                  or a slot update overlapped them
 * @reserved:       zero
 */
struct kvm_memslot_gpc_state {
	__u64 gpa;
	__u32 len;
	__u32 flags;
	__u32 valid;
	__s32 last_error;
	__u64 generation;
	__u64 pfn_generation;
	__u64 invalidations;
	__u64 retries;
	__u16 as_id;
	__u16 pad;
	__u32 reserved32;
	__u64 reserved[3];
};

#define KVM_MEMSLOT_GPC_GET_STATE	_IOR(KVM_MEMSLOT_IO, 0x21, struct kvm_memslot_gpc_state)

/*
 * Refresh the cache now, whether or not it is valid: 0, or the errno the
 * refresh failed with (as for read() and write() above).
 */
#define KVM_MEMSLOT_GPC_REFRESH		_IO(KVM_MEMSLOT_IO, 0x22)

/**
 * struct kvm_memslot_gpc_bench - argument of KVM_MEMSLOT_GPC_BENCH
 * @iterations: in: checks and refreshes to time, at most
 *              KVM_MEMSLOT_GPC_BENCH_MAX
 * @hits:       out: checks that hit
 * @check_ns:   out: nanoseconds the checks took in all, each with the read
 *              lock taken and released as a user does
 * @refresh_ns: out: nanoseconds the refreshes took in all
 * @reserved:   zero
 *
 * Times the cache's fast path and its slow path in the kernel, without the
 * cost of a system call per operation.  The figures are for printing.
 */
struct kvm_memslot_gpc_bench {
	__u32 iterations;
	__u32 hits;
	__u64 check_ns;
	__u64 refresh_ns;
	__u64 reserved[4];
};

#define KVM_MEMSLOT_GPC_BENCH_MAX	1000000
#define KVM_MEMSLOT_GPC_BENCH		_IOWR(KVM_MEMSLOT_IO, 0x23, struct kvm_memslot_gpc_bench)

#endif /* _UAPI_LINUX_KVM_MEMSLOT_H */
