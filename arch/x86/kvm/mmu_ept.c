// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot x86 backend: the EPT entry format (Intel SDM vol. 3,
 * "EPT Translation Mechanism").
 *
 * Leaves are mapped write-back with "ignore PAT" set, as KVM maps ordinary
 * guest RAM, so that the memory type of a translation never depends on
 * guest state this model does not have.  Accessed and dirty flags are
 * enabled (bits 8 and 9), which is what lets aging and the walk's A/D
 * updates behave as on hardware with EPTP bit 6 set.
 */
#include "mmu.h"

#define EPT_READ		BIT_ULL(0)
#define EPT_WRITE		BIT_ULL(1)
#define EPT_EXEC		BIT_ULL(2)
#define EPT_MEMTYPE_SHIFT	3
#define EPT_MEMTYPE_WB		6ULL
#define EPT_IGNORE_PAT		BIT_ULL(6)
#define EPT_ACCESSED		BIT_ULL(8)
#define EPT_DIRTY		BIT_ULL(9)
#define EPT_RWX			(EPT_READ | EPT_WRITE | EPT_EXEC)

/*
 * MMIO entries are "write without read" (bits 2:0 = 010b): an EPT
 * misconfiguration on every processor, whatever its execute-only support,
 * where 110b would also do but 100b would not.  A misconfiguration exits
 * before anything else in the entry is used, so the generation can live in
 * the ignored bits.
 */
const struct x86_mmu_fmt x86_ept_fmt = {
	.name		= "ept",
	.present	= EPT_READ,
	.accessed	= EPT_ACCESSED,
	.dirty		= EPT_DIRTY,
	.leaf		= EPT_READ | EPT_EXEC | EPT_IGNORE_PAT |
			  (EPT_MEMTYPE_WB << EPT_MEMTYPE_SHIFT),
	.table		= EPT_RWX,
	.mmio_mask	= EPT_RWX,
	.mmio_value	= EPT_WRITE,
};
