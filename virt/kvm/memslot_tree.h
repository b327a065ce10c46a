/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Persistent AVL trees of memslots: the private interface of the core.
 */
#ifndef __KVM_MEMSLOT_TREE_H
#define __KVM_MEMSLOT_TREE_H

#include <linux/kvm_memslot.h>

/**
 * struct kvm_memslot_node - a tree node
 * @left:        smaller keys
 * @right:       larger keys
 * @slot:        the slot this node orders
 * @key:         the slot's base gfn, id or host address, by the tree's order,
 *               kept here so that a lookup touches one cache line per level
 * @max_hva_end: largest userspace end address in this subtree (the
 *               augmentation that makes the hva tree an interval tree)
 * @txn:         id of the transaction that allocated the node; only that
 *               transaction may modify it, and only before it is published
 * @height:      AVL height
 * @removed:     a private node that its own transaction took out again
 * @next:        chains the node on its transaction's fresh or retired list
 */
struct kvm_memslot_node {
	struct kvm_memslot_node *left;
	struct kvm_memslot_node *right;
	struct kvm_memory_slot *slot;
	u64 key;
	unsigned long max_hva_end;
	u64 txn;
	int height;
	bool removed;
	struct kvm_memslot_node *next;
};

/**
 * struct kvm_memslot_txn - one private build of new tree versions
 * @id:            unique among all transactions ever started
 * @track_retired: collect the published nodes this build replaces
 * @err:           sticky error (-ENOMEM); the build must then be aborted
 * @fresh:         nodes allocated by this build
 * @retired:       published nodes that the built trees no longer contain
 *
 * Nodes of older versions are never modified, so readers of a published
 * tree are never disturbed and an aborted build leaves no trace.
 */
struct kvm_memslot_txn {
	u64 id;
	bool track_retired;
	int err;
	struct kvm_memslot_node *fresh;
	struct kvm_memslot_node *retired;
};

void kvm_memslot_txn_begin(struct kvm_memslot_txn *txn, bool track_retired);
void kvm_memslot_txn_seal(struct kvm_memslot_txn *txn);
void kvm_memslot_txn_abort(struct kvm_memslot_txn *txn);

struct kvm_memslot_node *kvm_memslot_tree_insert(struct kvm_memslot_txn *txn,
						 enum kvm_memslot_tree_kind kind,
						 struct kvm_memslot_node *root,
						 struct kvm_memory_slot *slot);
struct kvm_memslot_node *kvm_memslot_tree_erase(struct kvm_memslot_txn *txn,
						enum kvm_memslot_tree_kind kind,
						struct kvm_memslot_node *root,
						const struct kvm_memory_slot *slot);
struct kvm_memslot_node *kvm_memslot_tree_replace(struct kvm_memslot_txn *txn,
						  enum kvm_memslot_tree_kind kind,
						  struct kvm_memslot_node *root,
						  const struct kvm_memory_slot *old,
						  struct kvm_memory_slot *new);

struct kvm_memory_slot *kvm_memslot_tree_floor(struct kvm_memslot_node *root,
					       kvm_memslot_gfn_t gfn);
struct kvm_memory_slot *kvm_memslot_tree_ceil(struct kvm_memslot_node *root,
					      kvm_memslot_gfn_t gfn);
struct kvm_memory_slot *kvm_memslot_tree_find_id(struct kvm_memslot_node *root,
						 u16 id);

void kvm_memslot_nodes_free(struct kvm_memslot_node *list);
void kvm_memslot_tree_destroy(struct kvm_memslot_node *root);

#endif /* __KVM_MEMSLOT_TREE_H */
