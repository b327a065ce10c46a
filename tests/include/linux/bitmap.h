/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _SHIM_LINUX_BITMAP_H
#define _SHIM_LINUX_BITMAP_H
#include <string.h>
#include <linux/types.h>
#include <linux/bitops.h>
#include <linux/slab.h>

#define DECLARE_BITMAP(name, bits)	unsigned long name[BITS_TO_LONGS(bits)]
static inline void bitmap_zero(unsigned long *d, unsigned int n)
{
	memset(d, 0, BITS_TO_LONGS(n) * sizeof(long));
}
static inline void bitmap_fill(unsigned long *d, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		__set_bit(i, d);
}
static inline void bitmap_set(unsigned long *d, unsigned int start, unsigned int n)
{
	while (n--)
		__set_bit(start++, d);
}
static inline void bitmap_clear(unsigned long *d, unsigned int start, unsigned int n)
{
	while (n--)
		__clear_bit(start++, d);
}
static inline bool bitmap_empty(const unsigned long *s, unsigned int n)
{
	return find_first_bit(s, n) >= n;
}
static inline unsigned int bitmap_weight(const unsigned long *s, unsigned int n)
{
	unsigned int i, w = 0;

	for (i = 0; i < n; i++)
		w += test_bit(i, s);
	return w;
}
static inline void bitmap_copy(unsigned long *d, const unsigned long *s, unsigned int n)
{
	memcpy(d, s, BITS_TO_LONGS(n) * sizeof(long));
}
static inline unsigned long *bitmap_zalloc(unsigned int n, gfp_t f)
{
	return kcalloc(BITS_TO_LONGS(n), sizeof(long), f);
}
static inline void bitmap_free(const unsigned long *b) { kfree(b); }
#endif
