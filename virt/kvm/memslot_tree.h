/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Persistent B+trees of memslots: the private interface of the core.
 */
#ifndef __KVM_MEMSLOT_TREE_H
#define __KVM_MEMSLOT_TREE_H

#include <linux/kvm_memslot.h>
#include <linux/container_of.h>
#include <linux/build_bug.h>
#include <linux/cache.h>
#include <linux/limits.h>

/*
 * Entries per node.  48 keeps a set of the ABI's maximum of 32764 slots at
 * three levels, whether it was created in ascending order (37 entries per
 * node, see split_point()) or at random (about two thirds full); 16 would
 * take four or five.  The keys of a node are six cache lines, searched in
 * two steps of a few compares each (kvm_memslot_rank(), written out for
 * this fanout), so a wider node costs little more per level than a narrow
 * one.  The measurements behind the choice are in
 * Documentation/virt/kvm/memslots.rst.
 */
#define KVM_MEMSLOT_FANOUT	48

/*
 * Keys per 64-byte cache line: the second step of kvm_memslot_rank()
 * counts one line, and is written out for that many keys.
 */
#define KVM_MEMSLOT_LINE_KEYS	8

/*
 * Fewest entries of a node other than the root.  A quarter rather than
 * half of the fanout lets a split made by an append (slots are usually
 * created in ascending order of gfn and host address) leave the left
 * node nearly full, while a deletion still merges or redistributes as soon
 * as a node gets this sparse, so the height stays logarithmic in the
 * number of slots the set holds now.
 */
#define KVM_MEMSLOT_MIN_FILL	(KVM_MEMSLOT_FANOUT / 4)

/*
 * Key of an unused entry.  Real keys are below it (a gfn has at most 52
 * bits, a host address is below TASK_SIZE), so a lookup may count the
 * keys not above its target over the whole array without looking at how
 * many entries are used.
 */
#define KVM_MEMSLOT_KEY_NONE	U64_MAX

/*
 * Nodes of each type a VM's pool keeps.  Retired nodes come back when the
 * reclaim work runs, some 10 ms after an update, or sooner when a later
 * update waits for a grace period; until then every update takes its
 * nodes from the pool, up to four of a type per change at 32764 slots (a
 * path of three, and a sibling where a node splits or merges).  With 64, a stream of flags changes at 32764 slots took half
 * of its nodes from the slab caches, at three times the cost of a pooled
 * one ("The fifth change" in Documentation/virt/kvm/memslots.rst); 256
 * cover it.  A full pool holds about 950 KiB, which a VM keeps after a
 * burst of updates until it is destroyed; the trees of a VM with 32764
 * slots take about 3 MiB.
 */
#define KVM_MEMSLOT_NODE_POOL_MAX	256

/**
 * struct kvm_memslot_node - a node of a persistent B+tree
 * @keys:     sorted keys of the used entries, then KVM_MEMSLOT_KEY_NONE; in
 *            a leaf the key of each slot (base gfn or host address, by
 *            the tree's order), in an internal node the smallest key of
 *            each child's subtree
 * @slots:    a leaf's slots
 * @children: an internal node's children
 * @next:     chains the node on its transaction's fresh or retired list
 * @txn:      id of the transaction that allocated the node; only that
 *            transaction may modify it, and only before it is published
 * @nr:       entries used
 * @height:   0 for a leaf; every leaf of a tree has the same depth
 * @kind:     the tree's order (enum kvm_memslot_tree_kind)
 * @removed:  a private node that its own transaction took out again
 *
 * The keys come first, cache-line aligned, so that a lookup reads the
 * lines its search compares with and one line of pointers per level.
 */
struct kvm_memslot_node {
	u64 keys[KVM_MEMSLOT_FANOUT] __aligned(SMP_CACHE_BYTES);
	union {
		struct kvm_memory_slot *slots[KVM_MEMSLOT_FANOUT];
		struct kvm_memslot_node *children[KVM_MEMSLOT_FANOUT];
	};
	struct kvm_memslot_node *next;
	u64 txn;
	u8 nr;
	u8 height;
	u8 kind;
	bool removed;
};

/**
 * struct kvm_memslot_hva_node - a node of the tree by host address
 * @node:       the common part; its keys are userspace addresses
 * @max_end:    for each entry, the largest userspace end address of its
 *              slot (leaf) or of its subtree (internal node): the
 *              augmentation that makes the tree an interval tree
 * @prefix_end: for each entry, the largest @max_end of it and the entries
 *              before it, then KVM_MEMSLOT_KEY_NONE: sorted, so a range
 *              walk finds the first entry that ends after the range starts
 *              with kvm_memslot_rank() instead of testing them in turn
 * @ids:        for each entry, the id of the slot its key comes from; slots
 *              may alias host memory, so entries are ordered by address,
 *              then id
 */
struct kvm_memslot_hva_node {
	struct kvm_memslot_node node;
	u64 prefix_end[KVM_MEMSLOT_FANOUT] __aligned(SMP_CACHE_BYTES);
	u64 max_end[KVM_MEMSLOT_FANOUT];
	u16 ids[KVM_MEMSLOT_FANOUT];
};

static inline struct kvm_memslot_hva_node *
kvm_memslot_hva_node(const struct kvm_memslot_node *node)
{
	return container_of((struct kvm_memslot_node *)node,
			    struct kvm_memslot_hva_node, node);
}

/**
 * struct kvm_memslot_gfn_leaf - a leaf of the tree by gfn
 * @node: the common part; its keys are base gfns
 * @ends: for each entry, the gfn just past its slot
 *
 * Only the floor entry can hold a gfn, and whether it does depends on its
 * end: keeping the end next to the key lets a lookup answer from the tree
 * alone, instead of taking a cache miss on a random slot to learn that the
 * gfn lies in a hole.  Internal nodes of the tree have no use for ends and
 * are plain nodes.
 */
struct kvm_memslot_gfn_leaf {
	struct kvm_memslot_node node;
	u64 ends[KVM_MEMSLOT_FANOUT] __aligned(SMP_CACHE_BYTES);
};

static inline struct kvm_memslot_gfn_leaf *
kvm_memslot_gfn_leaf(const struct kvm_memslot_node *node)
{
	return container_of((struct kvm_memslot_node *)node,
			    struct kvm_memslot_gfn_leaf, node);
}

/**
 * kvm_memslot_rank() - how many keys of a node are not above a value
 * @keys: KVM_MEMSLOT_FANOUT sorted keys, unused ones KVM_MEMSLOT_KEY_NONE
 * @key:  the value; below KVM_MEMSLOT_KEY_NONE
 *
 * The last key of each cache line but the last tells which line holds the
 * answer, and that line is then counted in full: 5 + 8 compares, none of
 * them a branch.  Lookups at random keys would mispredict a branch on each
 * key, or on each step of a binary search, about once per level.  Both
 * steps are written out (a loop costs a tenth of a lookup), for six lines
 * of eight keys.
 *
 * Return: the rank, from 0 to KVM_MEMSLOT_FANOUT.
 */
static __always_inline unsigned int kvm_memslot_rank(const u64 *keys, u64 key)
{
	const unsigned int w = KVM_MEMSLOT_LINE_KEYS;
	unsigned int line;

	BUILD_BUG_ON(KVM_MEMSLOT_FANOUT != 6 * KVM_MEMSLOT_LINE_KEYS);
	line = (keys[w - 1] <= key) + (keys[2 * w - 1] <= key) +
	       (keys[3 * w - 1] <= key) + (keys[4 * w - 1] <= key) +
	       (keys[5 * w - 1] <= key);
	keys += w * line;
	return w * line + (keys[0] <= key) + (keys[1] <= key) +
	       (keys[2] <= key) + (keys[3] <= key) + (keys[4] <= key) +
	       (keys[5] <= key) + (keys[6] <= key) + (keys[7] <= key);
}

/**
 * struct kvm_memslot_txn - one private build of new tree versions
 * @id:            unique among all transactions ever started
 * @track_retired: collect the published nodes this build replaces
 * @err:           sticky error (-ENOMEM); the build must then be aborted
 * @fresh:         nodes allocated by this build
 * @retired:       published nodes that the built trees no longer contain
 * @pool:          nodes to allocate from before the slab caches, or NULL
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
	struct kvm_memslot_node_pool *pool;
};

void kvm_memslot_txn_begin(struct kvm_memslot_txn *txn, bool track_retired,
			   struct kvm_memslot_node_pool *pool);
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

struct kvm_memory_slot *kvm_memslot_tree_floor(const struct kvm_memslot_node *root,
					       kvm_memslot_gfn_t gfn);
struct kvm_memory_slot *kvm_memslot_tree_find_gfn(const struct kvm_memslot_node *root,
						  kvm_memslot_gfn_t gfn);
struct kvm_memory_slot *kvm_memslot_tree_ceil(const struct kvm_memslot_node *root,
					      kvm_memslot_gfn_t gfn);

void kvm_memslot_nodes_free(struct kvm_memslot_node *list);
struct kvm_memslot_node *kvm_memslot_nodes_pool_fill(struct kvm_memslot_node_pool *pool,
						     struct kvm_memslot_node *list);
void kvm_memslot_nodes_recycle(struct kvm_memslot_node_pool *pool,
			       struct kvm_memslot_node *list);
void kvm_memslot_node_pool_init(struct kvm_memslot_node_pool *pool);
void kvm_memslot_node_pool_drain(struct kvm_memslot_node_pool *pool);
void kvm_memslot_tree_destroy(struct kvm_memslot_node *root);

#endif /* __KVM_MEMSLOT_TREE_H */
