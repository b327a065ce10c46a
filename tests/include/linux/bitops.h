/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: bit operations; the non-__ ones are atomic. */
#ifndef _SHIM_LINUX_BITOPS_H
#define _SHIM_LINUX_BITOPS_H
#include <linux/types.h>
#include <linux/bits.h>

static inline void set_bit(unsigned long nr, volatile unsigned long *a)
{
	__atomic_fetch_or(&a[BIT_WORD(nr)], BIT_MASK(nr), __ATOMIC_SEQ_CST);
}
static inline void clear_bit(unsigned long nr, volatile unsigned long *a)
{
	__atomic_fetch_and(&a[BIT_WORD(nr)], ~BIT_MASK(nr), __ATOMIC_SEQ_CST);
}
static inline bool test_and_set_bit(unsigned long nr, volatile unsigned long *a)
{
	return __atomic_fetch_or(&a[BIT_WORD(nr)], BIT_MASK(nr), __ATOMIC_SEQ_CST) & BIT_MASK(nr);
}
static inline bool test_and_clear_bit(unsigned long nr, volatile unsigned long *a)
{
	return __atomic_fetch_and(&a[BIT_WORD(nr)], ~BIT_MASK(nr), __ATOMIC_SEQ_CST) & BIT_MASK(nr);
}
static inline void __set_bit(unsigned long nr, volatile unsigned long *a) { a[BIT_WORD(nr)] |= BIT_MASK(nr); }
static inline void __clear_bit(unsigned long nr, volatile unsigned long *a) { a[BIT_WORD(nr)] &= ~BIT_MASK(nr); }
static inline bool test_bit(unsigned long nr, const volatile unsigned long *a)
{
	return (__atomic_load_n(&a[BIT_WORD(nr)], __ATOMIC_RELAXED) >> (nr % BITS_PER_LONG)) & 1;
}
/* Acquire on success, as the kernel's; clear_bit_unlock releases. */
static inline bool test_and_set_bit_lock(unsigned long nr, volatile unsigned long *a)
{
	return __atomic_fetch_or(&a[BIT_WORD(nr)], BIT_MASK(nr), __ATOMIC_ACQUIRE) & BIT_MASK(nr);
}
#define set_bit_le	set_bit
#define test_bit_le	test_bit
static inline unsigned long __ffs(unsigned long w) { return __builtin_ctzl(w); }
static inline int fls(unsigned int x) { return x ? 32 - __builtin_clz(x) : 0; }
static inline int fls64(u64 x) { return x ? 64 - __builtin_clzll(x) : 0; }
static inline int __fls(unsigned long x) { return 63 - __builtin_clzl(x); }
static inline unsigned int hweight_long(unsigned long w) { return __builtin_popcountl(w); }
static inline unsigned int hweight64(u64 w) { return __builtin_popcountll(w); }

static inline unsigned long find_next_bit(const unsigned long *a, unsigned long size,
					  unsigned long off)
{
	for (; off < size; off++)
		if (test_bit(off, a))
			return off;
	return size;
}
static inline unsigned long find_next_zero_bit(const unsigned long *a, unsigned long size,
					       unsigned long off)
{
	for (; off < size; off++)
		if (!test_bit(off, a))
			return off;
	return size;
}
#define find_first_bit(a, size)		find_next_bit((a), (size), 0)
#define find_first_zero_bit(a, size)	find_next_zero_bit((a), (size), 0)
#define for_each_set_bit(bit, addr, size)				\
	for ((bit) = find_first_bit((addr), (size)); (bit) < (size);	\
	     (bit) = find_next_bit((addr), (size), (bit) + 1))
#endif
