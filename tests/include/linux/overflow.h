/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _SHIM_LINUX_OVERFLOW_H
#define _SHIM_LINUX_OVERFLOW_H
#include <stddef.h>
#include <stdint.h>
#define check_add_overflow(a, b, d)	__builtin_add_overflow(a, b, d)
#define check_sub_overflow(a, b, d)	__builtin_sub_overflow(a, b, d)
#define check_mul_overflow(a, b, d)	__builtin_mul_overflow(a, b, d)

static inline size_t __shim_size_mul_add(size_t n, size_t each, size_t base)
{
	size_t r;

	if (__builtin_mul_overflow(n, each, &r) || __builtin_add_overflow(r, base, &r))
		return SIZE_MAX;
	return r;
}
#define array_size(a, b)	__shim_size_mul_add((a), (b), 0)
#define struct_size(p, member, n)					\
	__shim_size_mul_add((n), sizeof(*(p)->member), sizeof(*(p)))
#define flex_array_size(p, member, n)					\
	__shim_size_mul_add((n), sizeof(*(p)->member), 0)
#endif
