/* SPDX-License-Identifier: GPL-2.0-only */
/* Userspace shim: lock-less singly linked list (a CAS stack). */
#ifndef _SHIM_LINUX_LLIST_H
#define _SHIM_LINUX_LLIST_H
#include <stddef.h>
#include <linux/types.h>
#include <linux/container_of.h>

struct llist_node {
	struct llist_node *next;
};
struct llist_head {
	struct llist_node *first;
};

#define LLIST_HEAD_INIT(name)	{ NULL }
#define LLIST_HEAD(name)	struct llist_head name = LLIST_HEAD_INIT(name)
static inline void init_llist_head(struct llist_head *h) { h->first = NULL; }
static inline void init_llist_node(struct llist_node *n) { n->next = n; }
static inline bool llist_empty(const struct llist_head *h)
{
	return __atomic_load_n(&h->first, __ATOMIC_SEQ_CST) == NULL;
}
/* Returns true if the list was empty before. */
static inline bool llist_add_batch(struct llist_node *first, struct llist_node *last,
				   struct llist_head *h)
{
	struct llist_node *old = __atomic_load_n(&h->first, __ATOMIC_RELAXED);

	do {
		last->next = old;
	} while (!__atomic_compare_exchange_n(&h->first, &old, first, true,
					      __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
	return old == NULL;
}
static inline bool llist_add(struct llist_node *n, struct llist_head *h)
{
	return llist_add_batch(n, n, h);
}
static inline struct llist_node *llist_del_all(struct llist_head *h)
{
	return __atomic_exchange_n(&h->first, NULL, __ATOMIC_SEQ_CST);
}
/* Single consumer only, as in the kernel. */
static inline struct llist_node *llist_del_first(struct llist_head *h)
{
	struct llist_node *e = __atomic_load_n(&h->first, __ATOMIC_SEQ_CST);

	while (e && !__atomic_compare_exchange_n(&h->first, &e, e->next, true,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	return e;
}
static inline struct llist_node *llist_reverse_order(struct llist_node *head)
{
	struct llist_node *r = NULL;

	while (head) {
		struct llist_node *t = head;

		head = head->next;
		t->next = r;
		r = t;
	}
	return r;
}
#define llist_entry(ptr, type, member)	container_of(ptr, type, member)
#define llist_for_each(pos, node)	for ((pos) = (node); (pos); (pos) = (pos)->next)
#define llist_for_each_safe(pos, n, node)				\
	for ((pos) = (node); (pos) && ((n) = (pos)->next, 1); (pos) = (n))
#define llist_for_each_entry(pos, node, member)				\
	for ((pos) = (node) ? llist_entry((node), __typeof__(*(pos)), member) : NULL; \
	     (pos);							\
	     (pos) = (pos)->member.next ?				\
		llist_entry((pos)->member.next, __typeof__(*(pos)), member) : NULL)
#define llist_for_each_entry_safe(pos, n, node, member)			\
	for ((pos) = (node) ? llist_entry((node), __typeof__(*(pos)), member) : NULL; \
	     (pos) && ((n) = (pos)->member.next ?			\
		llist_entry((pos)->member.next, __typeof__(*(pos)), member) : NULL, 1); \
	     (pos) = (n))
#endif
