// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot arm64 backend: the shape of the stage-2 tables.
 *
 * With a 4 KiB granule each level resolves 9 bits of the IPA above the 12
 * of the page offset, and the start level may concatenate up to 16 tables,
 * resolving 4 more bits there.  VTCR_EL2 is set (T0SZ, SL0) so that the
 * walk has as few levels as that allows: fewer levels make each walk and
 * each TLB miss cheaper, at the price of a larger, physically contiguous
 * first table.  This is what arm64 KVM programs for the same IPA size.
 */
#include <linux/errno.h>
#include <linux/kernel.h>

#include "stage2.h"

/**
 * arm64_s2_geom() - start level and concatenation for an IPA size
 * @ipa_bits: guest physical address bits, S2_MIN_IPA_BITS..S2_MAX_IPA_BITS
 * @geom:     filled in
 *
 * Return: 0, or -EINVAL for an IPA size the host does not offer.
 */
int arm64_s2_geom(unsigned int ipa_bits, struct arm64_s2_geom *geom)
{
	unsigned int levels, covered;

	if (ipa_bits < S2_MIN_IPA_BITS || ipa_bits > S2_MAX_IPA_BITS)
		return -EINVAL;

	/*
	 * The fewest levels whose start level, with 16 tables concatenated,
	 * reaches the IPA's top bit: 12 + 9 * levels + 4 >= ipa_bits.
	 */
	levels = DIV_ROUND_UP(ipa_bits - S2_PAGE_SHIFT - 4, S2_LEVEL_BITS);
	/* Bits one start-level table resolves, the page offset included. */
	covered = S2_PAGE_SHIFT + levels * S2_LEVEL_BITS;

	geom->ipa_bits = ipa_bits;
	geom->start_level = S2_LEVELS - levels;
	geom->nr_concat = ipa_bits > covered ? 1U << (ipa_bits - covered) : 1;
	return 0;
}
