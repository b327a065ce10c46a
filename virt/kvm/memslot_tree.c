// SPDX-License-Identifier: GPL-2.0-only
/*
 * Persistent (path-copying) B+trees of memslots.
 *
 * A slot set is two trees over the same slots: by base gfn and by host
 * virtual address.  An update copies only the nodes on the root-to-leaf
 * paths it changes (and, when a node under- or overflows, one sibling or
 * one new node per level) and shares everything else with the published
 * version, so an update costs O(log n) time and memory even at 32764 slots,
 * readers of the published version run undisturbed, and several changes
 * can be stacked in one private build and published with a single pointer
 * store.
 *
 * Nodes are wide (KVM_MEMSLOT_FANOUT entries) for two reasons: a lookup
 * touches a few cache lines per level and the tree has few levels, and an
 * update copies few nodes, which matters more than their size when every
 * allocation is tracked (KASAN, kmemleak).
 *
 * The replaced nodes of the published version are collected on the build's
 * retired list; the caller frees them after an SRCU grace period.
 */

#include <linux/slab.h>
#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/minmax.h>
#include <linux/string.h>

#include "memslot_tree.h"

static atomic64_t kvm_memslot_txn_ids = ATOMIC64_INIT(0);

/*
 * Nodes of the hva tree carry the interval augmentation, and leaves of the
 * gfn tree the ends of their slots: each larger type has a cache of its
 * own, indexed by enum node_type.
 */
enum node_type {
	NODE_PLAIN,
	NODE_HVA,
	NODE_GFN_LEAF,
};

static struct kmem_cache *kvm_memslot_node_caches[KVM_MEMSLOT_NR_NODE_TYPES];

/*
 * Move @n elements of a node array, overlapping or not, four elements per
 * step.  The arrays are short (KVM_MEMSLOT_FANOUT elements at most), and
 * a plain loop is as fast as memmove() on hardware; but x86's memmove()
 * and memset() are "rep movsb" and "rep stosb" on CPUs with ERMS, which
 * an emulator such as QEMU's TCG runs one byte per iteration, and there
 * the node copies of an update cost more than everything else it does
 * (Documentation/virt/kvm/memslots.rst, "The third change").  The barrier
 * keeps the compiler from turning the loops back into those calls; each
 * iteration is a dispatch of its own under TCG, so it moves four.
 */
#define node_array_move(dst, src, n)					\
do {									\
	typeof(dst) __dst = (dst);					\
	typeof(src) __src = (src);					\
	unsigned int __i, __n = (n);					\
									\
	if ((const void *)__dst <= (const void *)__src) {		\
		for (__i = 0; __i + 4 <= __n; __i += 4) {		\
			__dst[__i] = __src[__i];			\
			__dst[__i + 1] = __src[__i + 1];		\
			__dst[__i + 2] = __src[__i + 2];		\
			__dst[__i + 3] = __src[__i + 3];		\
			barrier();					\
		}							\
		for (; __i < __n; __i++) {				\
			__dst[__i] = __src[__i];			\
			barrier();					\
		}							\
	} else {							\
		for (__i = __n; __i >= 4; __i -= 4) {			\
			__dst[__i - 1] = __src[__i - 1];		\
			__dst[__i - 2] = __src[__i - 2];		\
			__dst[__i - 3] = __src[__i - 3];		\
			__dst[__i - 4] = __src[__i - 4];		\
			barrier();					\
		}							\
		while (__i--) {						\
			__dst[__i] = __src[__i];			\
			barrier();					\
		}							\
	}								\
} while (0)

/* Set @n keys to @val; see node_array_move(). */
static void node_keys_fill(u64 *keys, u64 val, unsigned int n)
{
	unsigned int i;

	for (i = 0; i + 4 <= n; i += 4) {
		keys[i] = val;
		keys[i + 1] = val;
		keys[i + 2] = val;
		keys[i + 3] = val;
		barrier();
	}
	for (; i < n; i++) {
		keys[i] = val;
		barrier();
	}
}

/**
 * kvm_memslot_tree_init() - create the caches tree nodes come from
 *
 * Context: module load, before any VM exists.
 * Return: 0 or -ENOMEM.
 */
int kvm_memslot_tree_init(void)
{
	/* A merge must fit in one node, and only a root may empty. */
	BUILD_BUG_ON(KVM_MEMSLOT_MIN_FILL < 2 ||
		     2 * KVM_MEMSLOT_MIN_FILL - 1 > KVM_MEMSLOT_FANOUT);
	BUILD_BUG_ON(KVM_MEMSLOT_FANOUT > U8_MAX);

	BUILD_BUG_ON(NODE_GFN_LEAF >= KVM_MEMSLOT_NR_NODE_TYPES);

	kvm_memslot_node_caches[NODE_PLAIN] =
		kmem_cache_create("kvm_memslot_node",
				  sizeof(struct kvm_memslot_node), 0,
				  SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT, NULL);
	kvm_memslot_node_caches[NODE_HVA] =
		kmem_cache_create("kvm_memslot_hva_node",
				  sizeof(struct kvm_memslot_hva_node), 0,
				  SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT, NULL);
	kvm_memslot_node_caches[NODE_GFN_LEAF] =
		kmem_cache_create("kvm_memslot_gfn_leaf",
				  sizeof(struct kvm_memslot_gfn_leaf), 0,
				  SLAB_HWCACHE_ALIGN | SLAB_ACCOUNT, NULL);
	if (!kvm_memslot_node_caches[NODE_PLAIN] ||
	    !kvm_memslot_node_caches[NODE_HVA] ||
	    !kvm_memslot_node_caches[NODE_GFN_LEAF]) {
		kvm_memslot_tree_exit();
		return -ENOMEM;
	}
	return 0;
}

/**
 * kvm_memslot_tree_exit() - destroy the node caches
 *
 * Called at module unload, when no VM is left and every deferred reclaim
 * has run: a node still allocated then is a leak, which the slab allocator
 * reports.
 */
void kvm_memslot_tree_exit(void)
{
	int type;

	for (type = 0; type < KVM_MEMSLOT_NR_NODE_TYPES; type++) {
		kmem_cache_destroy(kvm_memslot_node_caches[type]);
		kvm_memslot_node_caches[type] = NULL;
	}
}

static bool node_is_hva(const struct kvm_memslot_node *node)
{
	return node->kind == KVM_MEMSLOT_BY_HVA;
}

/* A node keeps its kind and height for life, so its type never changes. */
static bool node_is_gfn_leaf(const struct kvm_memslot_node *node)
{
	return node->kind == KVM_MEMSLOT_BY_GFN && !node->height;
}

/*
 * The type of a node of @kind at @height.  Every node type starts with its
 * struct kvm_memslot_node, so the node and the object its cache hands out
 * are the same pointer.
 */
static enum node_type node_type(enum kvm_memslot_tree_kind kind,
				unsigned int height)
{
	BUILD_BUG_ON(offsetof(struct kvm_memslot_hva_node, node));
	BUILD_BUG_ON(offsetof(struct kvm_memslot_gfn_leaf, node));

	if (kind == KVM_MEMSLOT_BY_HVA)
		return NODE_HVA;
	if (kind == KVM_MEMSLOT_BY_GFN && !height)
		return NODE_GFN_LEAF;
	return NODE_PLAIN;
}

static void node_free(struct kvm_memslot_node *node)
{
	kmem_cache_free(kvm_memslot_node_caches[node_type(node->kind, node->height)],
			node);
}

/**
 * kvm_memslot_node_pool_init() - set up an empty pool of nodes
 * @pool: the pool
 */
void kvm_memslot_node_pool_init(struct kvm_memslot_node_pool *pool)
{
	spin_lock_init(&pool->lock);
	memset(pool->free, 0, sizeof(pool->free));
	memset(pool->nr, 0, sizeof(pool->nr));
}

/**
 * kvm_memslot_node_pool_drain() - free every node of a pool
 * @pool: the pool; nothing may allocate from it or recycle into it any more
 */
void kvm_memslot_node_pool_drain(struct kvm_memslot_node_pool *pool)
{
	int type;

	for (type = 0; type < KVM_MEMSLOT_NR_NODE_TYPES; type++) {
		kvm_memslot_nodes_free(pool->free[type]);
		pool->free[type] = NULL;
		pool->nr[type] = 0;
	}
}

/* A node of @type from @pool, or NULL if it has none. */
static struct kvm_memslot_node *node_pool_get(struct kvm_memslot_node_pool *pool,
					      enum node_type type)
{
	struct kvm_memslot_node *node;

	spin_lock(&pool->lock);
	node = pool->free[type];
	if (node) {
		pool->free[type] = node->next;
		pool->nr[type]--;
	}
	spin_unlock(&pool->lock);
	return node;
}

/**
 * kvm_memslot_nodes_pool_fill() - put nodes in a pool, as many as it takes
 * @pool: the pool
 * @list: nodes chained through ->next, or NULL; no reader may reach them
 *        any more (retired ones after a grace period, or never published)
 *
 * Return: the nodes the pool had no room for, chained through ->next.
 */
struct kvm_memslot_node *kvm_memslot_nodes_pool_fill(struct kvm_memslot_node_pool *pool,
						     struct kvm_memslot_node *list)
{
	struct kvm_memslot_node *next, *rest = NULL;
	enum node_type type;

	spin_lock(&pool->lock);
	for (; list; list = next) {
		next = list->next;
		type = node_type(list->kind, list->height);
		if (pool->nr[type] < KVM_MEMSLOT_NODE_POOL_MAX) {
			list->next = pool->free[type];
			pool->free[type] = list;
			pool->nr[type]++;
		} else {
			list->next = rest;
			rest = list;
		}
	}
	spin_unlock(&pool->lock);
	return rest;
}

/**
 * kvm_memslot_nodes_recycle() - give nodes back, to a pool or to the caches
 * @pool: the pool, or NULL to free every node
 * @list: nodes chained through ->next, or NULL; no reader may reach them
 *        any more (retired ones after a grace period, or never published)
 *
 * The pool takes up to KVM_MEMSLOT_NODE_POOL_MAX nodes of each type; the
 * rest are freed.
 */
void kvm_memslot_nodes_recycle(struct kvm_memslot_node_pool *pool,
			       struct kvm_memslot_node *list)
{
	struct kvm_memslot_node *next;
	enum node_type type;

	if (pool)
		list = kvm_memslot_nodes_pool_fill(pool, list);
	for (; list; list = next) {
		next = list->next;
		type = node_type(list->kind, list->height);
		kmem_cache_free(kvm_memslot_node_caches[type], list);
	}
}

/**
 * kvm_memslot_txn_begin() - start a private build
 * @txn:           the build
 * @track_retired: whether to collect replaced published nodes; a build whose
 *                 nodes are all discarded later (the INVALID set) passes
 *                 false, so that nodes it shares with another build are not
 *                 claimed twice
 * @pool:          where to take nodes from first, and to give back the
 *                 nodes it frees itself; NULL for the slab caches only
 */
void kvm_memslot_txn_begin(struct kvm_memslot_txn *txn, bool track_retired,
			   struct kvm_memslot_node_pool *pool)
{
	txn->id = atomic64_inc_return(&kvm_memslot_txn_ids);
	txn->track_retired = track_retired;
	txn->pool = pool;
	txn->err = 0;
	txn->fresh = NULL;
	txn->retired = NULL;
}

/**
 * kvm_memslot_txn_seal() - end a build whose trees are about to be published
 * @txn: the build
 *
 * Frees the nodes the build allocated and then removed itself, and makes the
 * remaining ones immutable (no later build has @txn's id).  The retired list
 * stays with @txn for the caller to free after a grace period.
 */
void kvm_memslot_txn_seal(struct kvm_memslot_txn *txn)
{
	struct kvm_memslot_node *node, *next, *removed = NULL;

	for (node = txn->fresh; node; node = next) {
		next = node->next;
		node->next = NULL;
		if (node->removed) {
			node->next = removed;
			removed = node;
		}
	}
	kvm_memslot_nodes_recycle(txn->pool, removed);
	txn->fresh = NULL;
}

/**
 * kvm_memslot_txn_abort() - discard a build that was never published
 * @txn: the build
 *
 * Every node the build allocated is freed; the published trees it started
 * from were never modified, so its retired list is simply forgotten.
 */
void kvm_memslot_txn_abort(struct kvm_memslot_txn *txn)
{
	kvm_memslot_nodes_recycle(txn->pool, txn->fresh);
	txn->fresh = NULL;
	txn->retired = NULL;
}

/**
 * kvm_memslot_nodes_free() - free a list of nodes chained through ->next
 * @list: the first node, or NULL
 */
void kvm_memslot_nodes_free(struct kvm_memslot_node *list)
{
	kvm_memslot_nodes_recycle(NULL, list);
}

/**
 * kvm_memslot_tree_destroy() - free every node of a tree
 * @root: the tree; must share no node with any other live tree
 */
void kvm_memslot_tree_destroy(struct kvm_memslot_node *root)
{
	unsigned int i;

	if (!root)
		return;
	if (root->height)
		for (i = 0; i < root->nr; i++)
			kvm_memslot_tree_destroy(root->children[i]);
	node_free(root);
}

static u64 slot_key(enum kvm_memslot_tree_kind kind,
		    const struct kvm_memory_slot *slot)
{
	return kind == KVM_MEMSLOT_BY_HVA ? slot->userspace_addr : slot->base_gfn;
}

/*
 * The number of entries of @node ordered before or at (@key, @id); the id
 * counts only in the hva tree, whose keys may repeat.  Entries with equal
 * keys (slots aliasing one host address) are in id order, so only they
 * are compared by id: a search costs two ranks and the aliases it passes,
 * not a compare per entry of every node on its path.
 */
static unsigned int node_rank_exact(const struct kvm_memslot_node *node,
				    u64 key, u16 id)
{
	unsigned int rank, le = kvm_memslot_rank(node->keys, key);
	const u16 *ids;

	if (!node_is_hva(node))
		return le;
	rank = key ? kvm_memslot_rank(node->keys, key - 1) : 0;
	ids = kvm_memslot_hva_node(node)->ids;
	while (rank < le && ids[rank] <= id)
		rank++;
	return rank;
}

static bool entry_matches(const struct kvm_memslot_node *node, unsigned int i,
			  u64 key, u16 id)
{
	return node->keys[i] == key &&
	       (!node_is_hva(node) || kvm_memslot_hva_node(node)->ids[i] == id);
}

/*
 * Recompute the prefix maxima of a private hva node whose entries changed.
 * Every node a build changes passes through here before the build is
 * published: as a child in entry_set_child(), or as the root.
 */
static void node_fix_prefix(const struct kvm_memslot_txn *txn,
			    struct kvm_memslot_node *node)
{
	struct kvm_memslot_hva_node *hnode;
	u64 end = 0;
	unsigned int i;

	if (!node_is_hva(node) || node->txn != txn->id)
		return;
	hnode = kvm_memslot_hva_node(node);
	for (i = 0; i < node->nr; i++) {
		end = max(end, hnode->max_end[i]);
		hnode->prefix_end[i] = end;
	}
	node_keys_fill(&hnode->prefix_end[i], KVM_MEMSLOT_KEY_NONE,
		       KVM_MEMSLOT_FANOUT - i);
}

/* Move @n entries; source and destination may be the same node. */
static void entries_move(struct kvm_memslot_node *dst, unsigned int d,
			 const struct kvm_memslot_node *src, unsigned int s,
			 unsigned int n)
{
	struct kvm_memslot_hva_node *hdst;
	const struct kvm_memslot_hva_node *hsrc;
	u64 *ends;

	if (!n)
		return;
	node_array_move(&dst->keys[d], &src->keys[s], n);
	node_array_move(&dst->children[d], &src->children[s], n);
	if (node_is_gfn_leaf(dst)) {
		ends = kvm_memslot_gfn_leaf(dst)->ends;
		node_array_move(&ends[d], &kvm_memslot_gfn_leaf(src)->ends[s], n);
		return;
	}
	if (!node_is_hva(dst))
		return;
	hdst = kvm_memslot_hva_node(dst);
	hsrc = kvm_memslot_hva_node(src);
	node_array_move(&hdst->max_end[d], &hsrc->max_end[s], n);
	node_array_move(&hdst->ids[d], &hsrc->ids[s], n);
}

/* Shrink or grow the used entries, keeping the unused keys KEY_NONE. */
static void node_set_nr(struct kvm_memslot_node *node, unsigned int nr)
{
	if (nr < node->nr)
		node_keys_fill(&node->keys[nr], KVM_MEMSLOT_KEY_NONE,
			       node->nr - nr);
	node->nr = nr;
}

static void entry_set_slot(struct kvm_memslot_node *node, unsigned int i,
			   struct kvm_memory_slot *slot)
{
	struct kvm_memslot_hva_node *hnode;

	node->keys[i] = slot_key(node->kind, slot);
	node->slots[i] = slot;
	if (node_is_gfn_leaf(node))
		kvm_memslot_gfn_leaf(node)->ends[i] = kvm_memslot_end(slot);
	if (!node_is_hva(node))
		return;
	hnode = kvm_memslot_hva_node(node);
	hnode->max_end[i] = kvm_memslot_hva_end(slot);
	hnode->ids[i] = slot->id;
}

/*
 * Point entry @i of a private internal node at @child, and summarize the
 * child there; a private child is done changing.
 */
static void entry_set_child(const struct kvm_memslot_txn *txn,
			    struct kvm_memslot_node *node, unsigned int i,
			    struct kvm_memslot_node *child)
{
	struct kvm_memslot_hva_node *hnode, *hchild;

	node->keys[i] = child->keys[0];
	node->children[i] = child;
	if (!node_is_hva(node))
		return;
	node_fix_prefix(txn, child);
	hnode = kvm_memslot_hva_node(node);
	hchild = kvm_memslot_hva_node(child);
	hnode->max_end[i] = hchild->prefix_end[child->nr - 1];
	hnode->ids[i] = hchild->ids[0];
}

/*
 * A node for @nr entries, which the caller writes before anything reads
 * them: only the keys past them are filled, as a copied node would
 * otherwise have most of its keys written twice.
 */
static struct kvm_memslot_node *node_alloc(struct kvm_memslot_txn *txn,
					   enum kvm_memslot_tree_kind kind,
					   unsigned int height, unsigned int nr)
{
	enum node_type type = node_type(kind, height);
	struct kvm_memslot_node *node = NULL;

	if (txn->pool)
		node = node_pool_get(txn->pool, type);
	if (!node)
		node = kmem_cache_alloc(kvm_memslot_node_caches[type], GFP_KERNEL);
	if (!node) {
		txn->err = -ENOMEM;
		return NULL;
	}
	/*
	 * The prefix maxima of an hva node are left as they are: no build
	 * reads them before node_fix_prefix() has written all of them.
	 */
	node_keys_fill(&node->keys[nr], KVM_MEMSLOT_KEY_NONE,
		       KVM_MEMSLOT_FANOUT - nr);
	node->nr = nr;
	node->height = height;
	node->kind = kind;
	node->removed = false;
	node->txn = txn->id;
	node->next = txn->fresh;
	txn->fresh = node;
	return node;
}

/*
 * @node leaves the trees being built: free it with the build if the build
 * allocated it, else claim it for freeing once the build is published.
 */
static void node_retire(struct kvm_memslot_txn *txn,
			struct kvm_memslot_node *node)
{
	if (node->txn == txn->id) {
		node->removed = true;
		return;
	}
	if (txn->track_retired) {
		node->next = txn->retired;
		txn->retired = node;
	}
}

/*
 * Return a version of @node that this build may modify: @node itself if the
 * build allocated it, else a private copy, the original being retired.
 * Returns NULL (and sets txn->err) if the copy cannot be allocated.
 */
static struct kvm_memslot_node *node_cow(struct kvm_memslot_txn *txn,
					 struct kvm_memslot_node *node)
{
	struct kvm_memslot_node *copy;

	if (node->txn == txn->id)
		return node;

	copy = node_alloc(txn, node->kind, node->height, node->nr);
	if (!copy)
		return NULL;
	entries_move(copy, 0, node, 0, node->nr);
	node_retire(txn, node);
	return copy;
}

/*
 * How many of the FANOUT + 1 entries of an overflowing node stay in the left
 * half when the new entry goes to @pos.  An append (ascending creates) or
 * a prepend (descending ones) leaves the side that will not grow further
 * nearly full instead of half empty.
 */
static unsigned int split_point(unsigned int pos)
{
	if (pos == KVM_MEMSLOT_FANOUT)
		return KVM_MEMSLOT_FANOUT + 1 - KVM_MEMSLOT_MIN_FILL;
	if (pos == 0)
		return KVM_MEMSLOT_MIN_FILL;
	return (KVM_MEMSLOT_FANOUT + 1) / 2;
}

/*
 * Open a free entry at @pos of a private node.  A full node is split: it
 * keeps the left part and a new node, returned in @right, takes the rest.
 * Returns the node holding the free entry and its index in @idx, or NULL
 * if the new node cannot be allocated.
 */
static struct kvm_memslot_node *node_open(struct kvm_memslot_txn *txn,
					  struct kvm_memslot_node *node,
					  unsigned int pos, unsigned int *idx,
					  struct kvm_memslot_node **right)
{
	const unsigned int full = KVM_MEMSLOT_FANOUT;
	struct kvm_memslot_node *split;
	unsigned int left;

	if (node->nr < full) {
		entries_move(node, pos + 1, node, pos, node->nr - pos);
		node->nr++;
		*idx = pos;
		return node;
	}

	left = split_point(pos);
	split = node_alloc(txn, node->kind, node->height, full + 1 - left);
	if (!split)
		return NULL;
	*right = split;
	if (pos < left) {
		entries_move(split, 0, node, left - 1, full + 1 - left);
		entries_move(node, pos + 1, node, pos, left - 1 - pos);
		node_set_nr(node, left);
		*idx = pos;
		return node;
	}
	entries_move(split, 0, node, left, pos - left);
	entries_move(split, pos - left + 1, node, pos, full - pos);
	node_set_nr(node, left);
	*idx = pos - left;
	return split;
}

/*
 * The recursive helpers below return the new (private) version of the
 * subtree.  After a failure (txn->err set) they return @node: they never
 * modify a node the build does not own, and the caller aborts the build.
 */
static struct kvm_memslot_node *insert(struct kvm_memslot_txn *txn,
				       struct kvm_memslot_node *node,
				       struct kvm_memory_slot *slot,
				       u64 key, struct kvm_memslot_node **split)
{
	struct kvm_memslot_node *copy, *child, *sibling = NULL, *at;
	unsigned int rank, c, idx;

	rank = node_rank_exact(node, key, slot->id);
	if (!node->height) {
		if (WARN_ON_ONCE(rank && entry_matches(node, rank - 1, key,
						       slot->id))) {
			txn->err = -EEXIST;
			return node;
		}
		copy = node_cow(txn, node);
		if (!copy)
			return node;
		at = node_open(txn, copy, rank, &idx, split);
		if (!at)
			return node;
		entry_set_slot(at, idx, slot);
		return copy;
	}

	/* A key below the whole subtree goes to the first child. */
	c = rank ? rank - 1 : 0;
	child = insert(txn, node->children[c], slot, key, &sibling);
	if (txn->err)
		return node;
	copy = node_cow(txn, node);
	if (!copy)
		return node;
	entry_set_child(txn, copy, c, child);
	if (!sibling)
		return copy;
	at = node_open(txn, copy, c + 1, &idx, split);
	if (!at)
		return node;
	entry_set_child(txn, at, idx, sibling);
	return copy;
}

/*
 * Share the entries of two adjacent private nodes evenly: each ends up
 * with at least half of them, so neither is underfull and the next few
 * deletions need no rebalancing.
 */
static void nodes_balance(struct kvm_memslot_node *left,
			  struct kvm_memslot_node *right)
{
	unsigned int want = (left->nr + right->nr + 1) / 2, n;

	if (left->nr < want) {
		n = want - left->nr;
		entries_move(left, left->nr, right, 0, n);
		left->nr = want;
		entries_move(right, 0, right, n, right->nr - n);
		node_set_nr(right, right->nr - n);
	} else if (left->nr > want) {
		n = left->nr - want;
		entries_move(right, n, right, 0, right->nr);
		entries_move(right, 0, left, want, n);
		right->nr += n;
		node_set_nr(left, want);
	}
}

/*
 * Child @c of a private internal node has fewer than MIN_FILL entries:
 * take entries from a sibling that can spare them, or else merge the
 * sibling into the child, which is private already, so that a merge
 * allocates nothing.  Does nothing if the sibling cannot be copied
 * (txn->err is then set).
 */
static void rebalance(struct kvm_memslot_txn *txn,
		      struct kvm_memslot_node *parent, unsigned int c)
{
	struct kvm_memslot_node *child = parent->children[c], *sibling;
	unsigned int s = c + 1 < parent->nr ? c + 1 : c - 1;

	sibling = parent->children[s];
	if (sibling->nr > KVM_MEMSLOT_MIN_FILL) {
		sibling = node_cow(txn, sibling);
		if (!sibling)
			return;
		if (s > c)
			nodes_balance(child, sibling);
		else
			nodes_balance(sibling, child);
		entry_set_child(txn, parent, c, child);
		entry_set_child(txn, parent, s, sibling);
		return;
	}

	if (s > c) {
		entries_move(child, child->nr, sibling, 0, sibling->nr);
	} else {
		entries_move(child, sibling->nr, child, 0, child->nr);
		entries_move(child, 0, sibling, 0, sibling->nr);
	}
	child->nr += sibling->nr;
	node_retire(txn, sibling);
	entries_move(parent, s, parent, s + 1, parent->nr - s - 1);
	node_set_nr(parent, parent->nr - 1);
	entry_set_child(txn, parent, min(c, s), child);
}

/*
 * Returns NULL when the subtree becomes empty, which only a root leaf can:
 * any other node has at least MIN_FILL (> 1) entries.
 */
static struct kvm_memslot_node *erase(struct kvm_memslot_txn *txn,
				      struct kvm_memslot_node *node,
				      u64 key, u16 id)
{
	struct kvm_memslot_node *copy, *child;
	unsigned int rank, c;

	rank = node_rank_exact(node, key, id);
	if (WARN_ON_ONCE(!rank ||
			 (!node->height && !entry_matches(node, rank - 1, key, id)))) {
		txn->err = -ENOENT;
		return node;
	}
	c = rank - 1;

	if (!node->height) {
		if (node->nr == 1) {
			node_retire(txn, node);
			return NULL;
		}
		copy = node_cow(txn, node);
		if (!copy)
			return node;
		entries_move(copy, c, copy, c + 1, copy->nr - c - 1);
		node_set_nr(copy, copy->nr - 1);
		return copy;
	}

	child = erase(txn, node->children[c], key, id);
	if (txn->err)
		return node;
	copy = node_cow(txn, node);
	if (!copy)
		return node;
	entry_set_child(txn, copy, c, child);
	if (child->nr < KVM_MEMSLOT_MIN_FILL && copy->nr > 1)
		rebalance(txn, copy, c);
	return copy;
}

static struct kvm_memslot_node *replace(struct kvm_memslot_txn *txn,
					struct kvm_memslot_node *node,
					u64 key, const struct kvm_memory_slot *old,
					struct kvm_memory_slot *new)
{
	struct kvm_memslot_node *copy, *child = NULL;
	unsigned int rank;

	rank = node_rank_exact(node, key, old->id);
	if (WARN_ON_ONCE(!rank ||
			 (!node->height &&
			  !entry_matches(node, rank - 1, key, old->id)))) {
		txn->err = -ENOENT;
		return node;
	}

	if (node->height) {
		child = replace(txn, node->children[rank - 1], key, old, new);
		if (txn->err)
			return node;
	}
	copy = node_cow(txn, node);
	if (!copy)
		return node;
	if (child)
		entry_set_child(txn, copy, rank - 1, child);
	else
		entry_set_slot(copy, rank - 1, new);
	return copy;
}

/* What an update of a whole tree returns: the new root, or on failure the old. */
static struct kvm_memslot_node *tree_result(const struct kvm_memslot_txn *txn,
					    struct kvm_memslot_node *old_root,
					    struct kvm_memslot_node *new_root)
{
	if (txn->err)
		return old_root;
	if (new_root)
		node_fix_prefix(txn, new_root);
	return new_root;
}

/**
 * kvm_memslot_tree_insert() - add a slot to a tree
 * @txn:  the build; nodes it does not own are copied, never modified
 * @kind: the tree's order
 * @root: the tree
 * @slot: the slot; its key must not be in the tree
 *
 * Return: the new root.  On failure txn->err is set and the build must be
 * aborted.
 */
struct kvm_memslot_node *kvm_memslot_tree_insert(struct kvm_memslot_txn *txn,
						 enum kvm_memslot_tree_kind kind,
						 struct kvm_memslot_node *root,
						 struct kvm_memory_slot *slot)
{
	struct kvm_memslot_node *new, *split = NULL, *top;

	if (txn->err)
		return root;
	if (!root) {
		new = node_alloc(txn, kind, 0, 1);
		if (new)
			entry_set_slot(new, 0, slot);
		return tree_result(txn, root, new);
	}

	new = insert(txn, root, slot, slot_key(kind, slot), &split);
	if (txn->err || !split)
		return tree_result(txn, root, new);

	/* The root split: the tree grows by one level, at the top. */
	top = node_alloc(txn, kind, root->height + 1, 2);
	if (top) {
		entry_set_child(txn, top, 0, new);
		entry_set_child(txn, top, 1, split);
	}
	return tree_result(txn, root, top);
}

/**
 * kvm_memslot_tree_erase() - remove a slot from a tree
 * @txn:  the build
 * @kind: the tree's order
 * @root: the tree
 * @slot: a slot with the key to remove (the node's own slot may differ)
 *
 * Return: the new root.  On failure txn->err is set.
 */
struct kvm_memslot_node *kvm_memslot_tree_erase(struct kvm_memslot_txn *txn,
						enum kvm_memslot_tree_kind kind,
						struct kvm_memslot_node *root,
						const struct kvm_memory_slot *slot)
{
	struct kvm_memslot_node *new, *child;

	if (txn->err)
		return root;
	if (WARN_ON_ONCE(!root)) {
		txn->err = -ENOENT;
		return NULL;
	}

	new = erase(txn, root, slot_key(kind, slot), slot->id);

	/* A root left with one child gives the tree up to it. */
	if (!txn->err && new && new->height && new->nr == 1) {
		child = new->children[0];
		node_retire(txn, new);
		new = child;
	}
	return tree_result(txn, root, new);
}

/**
 * kvm_memslot_tree_replace() - swap a slot for another with the same key
 * @txn:  the build
 * @kind: the tree's order
 * @root: the tree
 * @old:  the slot whose key to look for
 * @new:  the slot to put there; same key as @old in this tree's order
 *
 * Return: the new root.  On failure txn->err is set.
 */
struct kvm_memslot_node *kvm_memslot_tree_replace(struct kvm_memslot_txn *txn,
						  enum kvm_memslot_tree_kind kind,
						  struct kvm_memslot_node *root,
						  const struct kvm_memory_slot *old,
						  struct kvm_memory_slot *new)
{
	struct kvm_memslot_node *copy;

	if (txn->err)
		return root;
	if (WARN_ON_ONCE(!root)) {
		txn->err = -ENOENT;
		return NULL;
	}

	copy = replace(txn, root, slot_key(kind, old), old, new);
	return tree_result(txn, root, copy);
}

/*
 * The leaf holding the entry with the largest key <= @key, which is stored
 * in *@idx; NULL if there is none.
 */
static __always_inline const struct kvm_memslot_node *
tree_floor_leaf(const struct kvm_memslot_node *node, u64 key, unsigned int *idx)
{
	unsigned int height, rank;

	if (!node)
		return NULL;
	/* kvm_memslot_rank() needs a key below KVM_MEMSLOT_KEY_NONE. */
	key = min_t(u64, key, KVM_MEMSLOT_KEY_NONE - 1);
	for (height = node->height; ; height--) {
		rank = kvm_memslot_rank(node->keys, key);
		/* Only at the root: every child holds its own smallest key. */
		if (unlikely(!rank))
			return NULL;
		if (!height)
			break;
		node = node->children[rank - 1];
	}
	*idx = rank - 1;
	return node;
}

/* The leaf entry with the largest key <= @key (equal if @exact), or NULL. */
static __always_inline struct kvm_memory_slot *
tree_floor(const struct kvm_memslot_node *node, u64 key, bool exact)
{
	unsigned int i;

	node = tree_floor_leaf(node, key, &i);
	if (!node || (exact && node->keys[i] != key))
		return NULL;
	return node->slots[i];
}

/**
 * kvm_memslot_tree_floor() - the slot with the largest base gfn <= @gfn
 * @root: a tree ordered by gfn
 * @gfn:  guest frame number
 *
 * Return: the slot, or NULL.
 */
struct kvm_memory_slot *kvm_memslot_tree_floor(const struct kvm_memslot_node *root,
					       kvm_memslot_gfn_t gfn)
{
	return tree_floor(root, gfn, false);
}

/**
 * kvm_memslot_tree_find_gfn() - the slot that contains a gfn
 * @root: a tree ordered by gfn, whose slots do not overlap
 * @gfn:  guest frame number
 *
 * Only the floor can contain @gfn; its end is read from the leaf, so that
 * a lookup touches nothing but tree nodes, and the slot itself only if the
 * caller uses it.
 *
 * Return: the slot, or NULL.
 */
struct kvm_memory_slot *kvm_memslot_tree_find_gfn(const struct kvm_memslot_node *root,
						  kvm_memslot_gfn_t gfn)
{
	const struct kvm_memslot_node *leaf;
	unsigned int i;

	leaf = tree_floor_leaf(root, gfn, &i);
	if (!leaf || gfn >= kvm_memslot_gfn_leaf(leaf)->ends[i])
		return NULL;
	return leaf->slots[i];
}

/**
 * kvm_memslot_tree_ceil() - the slot with the smallest base gfn >= @gfn
 * @root: a tree ordered by gfn
 * @gfn:  guest frame number
 *
 * Return: the slot, or NULL.
 */
struct kvm_memory_slot *kvm_memslot_tree_ceil(const struct kvm_memslot_node *root,
					      kvm_memslot_gfn_t gfn)
{
	const struct kvm_memslot_node *node = root, *next = NULL;
	unsigned int rank, c;

	if (!node)
		return NULL;
	gfn = min_t(u64, gfn, KVM_MEMSLOT_KEY_NONE - 1);
	for (;;) {
		rank = kvm_memslot_rank(node->keys, gfn);
		if (!node->height)
			break;
		/*
		 * The answer is in the child that could hold @gfn, or else
		 * it is the smallest key of the closest subtree to its right.
		 */
		c = rank ? rank - 1 : 0;
		if (c + 1 < node->nr)
			next = node->children[c + 1];
		node = node->children[c];
	}
	/* Entry rank - 1 is the floor: the ceiling if equal, else the next. */
	if (rank && node->keys[rank - 1] == gfn)
		return node->slots[rank - 1];
	if (rank < node->nr)
		return node->slots[rank];
	if (!next)
		return NULL;
	while (next->height)
		next = next->children[0];
	return next->slots[0];
}
