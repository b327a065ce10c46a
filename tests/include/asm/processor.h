/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Userspace shim: what backends read about the CPU.  The harness models a
 * host with 46 physical address bits (a common Intel server value), so
 * tests do not depend on the machine they run on.
 */
#ifndef _SHIM_ASM_PROCESSOR_H
#define _SHIM_ASM_PROCESSOR_H

struct cpuinfo_x86 {
	unsigned int extended_cpuid_level;
	unsigned char x86_phys_bits;
};

static const struct cpuinfo_x86 boot_cpu_data = {
	.extended_cpuid_level	= 0x80000008,
	.x86_phys_bits		= 46,
};

static inline unsigned int cpuid_eax(unsigned int op)
{
	return op == 0x80000008 ? 46 : 0;
}

#define cpu_relax()	__builtin_ia32_pause()

#endif
