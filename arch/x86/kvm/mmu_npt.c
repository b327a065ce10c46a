// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot x86 backend: the NPT entry format, which is the x86-64 page
 * table entry format (AMD APM vol. 2, "Nested Paging").
 *
 * Nested page table walks are user-mode accesses, so every entry has U/S
 * set; no-execute is left clear so the guest may execute from its RAM.
 */
#include "mmu.h"

#define NPT_PRESENT		BIT_ULL(0)
#define NPT_WRITE		BIT_ULL(1)
#define NPT_USER		BIT_ULL(2)
#define NPT_ACCESSED		BIT_ULL(5)
#define NPT_DIRTY		BIT_ULL(6)
/*
 * A physical address bit above MAXPHYADDR is reserved, and an access
 * through a present entry with a reserved bit set faults with the RSVD
 * error code before the entry is used.  Bit 51 is above MAXPHYADDR on
 * every host with fewer than 52 physical address bits; on a 52-bit host
 * in-tree KVM gives up on reserved-bit MMIO entries, and this model (which
 * is never loaded into hardware) keeps using the pattern.
 */
#define NPT_MMIO_RSVD		BIT_ULL(51)

const struct x86_mmu_fmt x86_npt_fmt = {
	.name		= "npt",
	.present	= NPT_PRESENT,
	.accessed	= NPT_ACCESSED,
	.dirty		= NPT_DIRTY,
	.leaf		= NPT_PRESENT | NPT_USER,
	.table		= NPT_PRESENT | NPT_WRITE | NPT_USER,
	.mmio_mask	= NPT_PRESENT | NPT_MMIO_RSVD,
	.mmio_value	= NPT_PRESENT | NPT_MMIO_RSVD,
};
