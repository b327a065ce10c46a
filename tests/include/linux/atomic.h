/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: atomic_t and friends on GCC __atomic builtins (seq_cst). */
#ifndef _SHIM_LINUX_ATOMIC_H
#define _SHIM_LINUX_ATOMIC_H
#include <stdbool.h>
#include <linux/types.h>

typedef struct { int counter; } atomic_t;
typedef struct { s64 counter; } atomic64_t;
typedef struct { long counter; } atomic_long_t;

#define ATOMIC_INIT(i)		{ (i) }
#define ATOMIC64_INIT(i)	{ (i) }
#define ATOMIC_LONG_INIT(i)	{ (i) }

#define __SHIM_ATOMIC_OPS(pfx, T, V)						\
static inline V pfx##_read(const T *v) { return __atomic_load_n(&v->counter, __ATOMIC_SEQ_CST); } \
static inline void pfx##_set(T *v, V i) { __atomic_store_n(&v->counter, i, __ATOMIC_SEQ_CST); } \
static inline void pfx##_add(V i, T *v) { __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST); } \
static inline void pfx##_sub(V i, T *v) { __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST); } \
static inline void pfx##_inc(T *v) { pfx##_add(1, v); }			\
static inline void pfx##_dec(T *v) { pfx##_sub(1, v); }			\
static inline V pfx##_add_return(V i, T *v) { return __atomic_add_fetch(&v->counter, i, __ATOMIC_SEQ_CST); } \
static inline V pfx##_sub_return(V i, T *v) { return __atomic_sub_fetch(&v->counter, i, __ATOMIC_SEQ_CST); } \
static inline V pfx##_fetch_add(V i, T *v) { return __atomic_fetch_add(&v->counter, i, __ATOMIC_SEQ_CST); } \
static inline V pfx##_fetch_sub(V i, T *v) { return __atomic_fetch_sub(&v->counter, i, __ATOMIC_SEQ_CST); } \
static inline V pfx##_inc_return(T *v) { return pfx##_add_return(1, v); } \
static inline V pfx##_dec_return(T *v) { return pfx##_sub_return(1, v); } \
static inline bool pfx##_dec_and_test(T *v) { return pfx##_sub_return(1, v) == 0; } \
static inline bool pfx##_inc_and_test(T *v) { return pfx##_add_return(1, v) == 0; } \
static inline bool pfx##_sub_and_test(V i, T *v) { return pfx##_sub_return(i, v) == 0; } \
static inline V pfx##_fetch_andnot(V i, T *v) { return __atomic_fetch_and(&v->counter, ~i, __ATOMIC_SEQ_CST); } \
static inline V pfx##_xchg(T *v, V i) { return __atomic_exchange_n(&v->counter, i, __ATOMIC_SEQ_CST); } \
static inline V pfx##_cmpxchg(T *v, V o, V n)				\
{									\
	__atomic_compare_exchange_n(&v->counter, &o, n, false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	return o;							\
}									\
static inline bool pfx##_try_cmpxchg(T *v, V *o, V n)			\
{									\
	return __atomic_compare_exchange_n(&v->counter, o, n, false,	\
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
}									\
static inline bool pfx##_add_unless(T *v, V a, V u)			\
{									\
	V c = pfx##_read(v);						\
	do {								\
		if (c == u)						\
			return false;					\
	} while (!pfx##_try_cmpxchg(v, &c, c + a));			\
	return true;							\
}									\
static inline bool pfx##_inc_not_zero(T *v) { return pfx##_add_unless(v, 1, 0); }

__SHIM_ATOMIC_OPS(atomic, atomic_t, int)
__SHIM_ATOMIC_OPS(atomic64, atomic64_t, s64)
__SHIM_ATOMIC_OPS(atomic_long, atomic_long_t, long)

#define xchg(p, v)		__atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define cmpxchg(p, o, n) ({						\
	__typeof__(*(p)) __o = (o);					\
	__atomic_compare_exchange_n((p), &__o, (n), false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); \
	__o; })
#define try_cmpxchg(p, po, n)						\
	__atomic_compare_exchange_n((p), (po), (n), false,		\
				    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)

#endif
