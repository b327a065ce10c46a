// SPDX-License-Identifier: GPL-2.0-only
/*
 * Persistent (path-copying) AVL trees of memslots.
 *
 * A slot set is three trees over the same slots: by base gfn, by id and by
 * host virtual address.  An update copies only the O(log n) nodes on the
 * paths it changes and shares everything else with the published version,
 * so an update costs O(log n) time and memory even at 32764 slots, readers
 * of the published version run undisturbed, and several changes can be
 * stacked in one private build and published with a single pointer store.
 *
 * The replaced nodes of the published version are collected on the build's
 * retired list; the caller frees them after an SRCU grace period.
 */

#include <linux/slab.h>
#include <linux/atomic.h>
#include <linux/minmax.h>

#include "memslot_tree.h"

static atomic64_t kvm_memslot_txn_ids = ATOMIC64_INIT(0);

/**
 * kvm_memslot_txn_begin() - start a private build
 * @txn:           the build
 * @track_retired: whether to collect replaced published nodes; a build whose
 *                 nodes are all discarded later (the INVALID set) passes
 *                 false, so that nodes it shares with another build are not
 *                 claimed twice
 */
void kvm_memslot_txn_begin(struct kvm_memslot_txn *txn, bool track_retired)
{
	txn->id = atomic64_inc_return(&kvm_memslot_txn_ids);
	txn->track_retired = track_retired;
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
	struct kvm_memslot_node *node, *next;

	for (node = txn->fresh; node; node = next) {
		next = node->next;
		node->next = NULL;
		if (node->removed)
			kfree(node);
	}
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
	kvm_memslot_nodes_free(txn->fresh);
	txn->fresh = NULL;
	txn->retired = NULL;
}

/**
 * kvm_memslot_nodes_free() - free a list of nodes chained through ->next
 * @list: the first node, or NULL
 */
void kvm_memslot_nodes_free(struct kvm_memslot_node *list)
{
	struct kvm_memslot_node *next;

	for (; list; list = next) {
		next = list->next;
		kfree(list);
	}
}

/**
 * kvm_memslot_tree_destroy() - free every node of a tree
 * @root: the tree; must share no node with any other live tree
 */
void kvm_memslot_tree_destroy(struct kvm_memslot_node *root)
{
	if (!root)
		return;
	kvm_memslot_tree_destroy(root->left);
	kvm_memslot_tree_destroy(root->right);
	kfree(root);
}

static unsigned long slot_hva_end(const struct kvm_memory_slot *slot)
{
	return slot->userspace_addr + (slot->npages << PAGE_SHIFT);
}

static u64 slot_key(enum kvm_memslot_tree_kind kind,
		    const struct kvm_memory_slot *slot)
{
	switch (kind) {
	case KVM_MEMSLOT_BY_GFN:
		return slot->base_gfn;
	case KVM_MEMSLOT_BY_HVA:
		return slot->userspace_addr;
	case KVM_MEMSLOT_BY_ID:
	default:
		return slot->id;
	}
}

/* Order @slot against @node in a tree of the given kind. */
static int slot_cmp(enum kvm_memslot_tree_kind kind,
		    const struct kvm_memory_slot *slot,
		    const struct kvm_memslot_node *node)
{
	u64 key = slot_key(kind, slot);

	if (key != node->key)
		return key < node->key ? -1 : 1;
	/* Slots may alias host memory: the id breaks the tie. */
	if (kind == KVM_MEMSLOT_BY_HVA && slot->id != node->slot->id)
		return slot->id < node->slot->id ? -1 : 1;
	return 0;
}

static int node_height(const struct kvm_memslot_node *node)
{
	return node ? node->height : 0;
}

static unsigned long node_max_end(const struct kvm_memslot_node *node)
{
	return node ? node->max_hva_end : 0;
}

/* Recompute what a node derives from its children; the node is private. */
static void node_update(struct kvm_memslot_node *node)
{
	node->height = 1 + max(node_height(node->left), node_height(node->right));
	node->max_hva_end = max3(slot_hva_end(node->slot),
				 node_max_end(node->left),
				 node_max_end(node->right));
}

static struct kvm_memslot_node *node_alloc(struct kvm_memslot_txn *txn)
{
	struct kvm_memslot_node *node;

	node = kzalloc(sizeof(*node), GFP_KERNEL_ACCOUNT);
	if (!node) {
		txn->err = -ENOMEM;
		return NULL;
	}
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

	copy = node_alloc(txn);
	if (!copy)
		return NULL;
	copy->left = node->left;
	copy->right = node->right;
	copy->slot = node->slot;
	copy->key = node->key;
	copy->max_hva_end = node->max_hva_end;
	copy->height = node->height;
	node_retire(txn, node);
	return copy;
}

/* Rotations take a private @node and return the private new subtree root. */
static struct kvm_memslot_node *rotate_right(struct kvm_memslot_txn *txn,
					     struct kvm_memslot_node *node)
{
	struct kvm_memslot_node *pivot = node_cow(txn, node->left);

	if (!pivot)
		return node;
	node->left = pivot->right;
	node_update(node);
	pivot->right = node;
	node_update(pivot);
	return pivot;
}

static struct kvm_memslot_node *rotate_left(struct kvm_memslot_txn *txn,
					    struct kvm_memslot_node *node)
{
	struct kvm_memslot_node *pivot = node_cow(txn, node->right);

	if (!pivot)
		return node;
	node->right = pivot->left;
	node_update(node);
	pivot->left = node;
	node_update(pivot);
	return pivot;
}

/* Restore the AVL balance of a private node whose children changed. */
static struct kvm_memslot_node *rebalance(struct kvm_memslot_txn *txn,
					  struct kvm_memslot_node *node)
{
	int balance;

	node_update(node);
	balance = node_height(node->left) - node_height(node->right);
	if (balance > 1) {
		if (node_height(node->left->left) < node_height(node->left->right)) {
			struct kvm_memslot_node *left = node_cow(txn, node->left);

			if (!left)
				return node;
			node->left = rotate_left(txn, left);
		}
		return rotate_right(txn, node);
	}
	if (balance < -1) {
		if (node_height(node->right->right) < node_height(node->right->left)) {
			struct kvm_memslot_node *right = node_cow(txn, node->right);

			if (!right)
				return node;
			node->right = rotate_right(txn, right);
		}
		return rotate_left(txn, node);
	}
	return node;
}

/*
 * The recursive helpers below return the new root of the subtree.  After a
 * failure (txn->err set) they return a subtree that may be unbalanced but
 * never modify a node the build does not own; the caller aborts the build.
 */
static struct kvm_memslot_node *insert(struct kvm_memslot_txn *txn,
				       enum kvm_memslot_tree_kind kind,
				       struct kvm_memslot_node *node,
				       struct kvm_memory_slot *slot)
{
	struct kvm_memslot_node *child, *copy;
	int cmp;

	if (!node) {
		node = node_alloc(txn);
		if (!node)
			return NULL;
		node->slot = slot;
		node->key = slot_key(kind, slot);
		node_update(node);
		return node;
	}

	cmp = slot_cmp(kind, slot, node);
	if (WARN_ON_ONCE(!cmp)) {
		txn->err = -EEXIST;
		return node;
	}
	child = insert(txn, kind, cmp < 0 ? node->left : node->right, slot);
	if (txn->err)
		return node;
	copy = node_cow(txn, node);
	if (!copy)
		return node;
	if (cmp < 0)
		copy->left = child;
	else
		copy->right = child;
	return rebalance(txn, copy);
}

/* Take the leftmost node out of a subtree, returning it in @min. */
static struct kvm_memslot_node *erase_min(struct kvm_memslot_txn *txn,
					  struct kvm_memslot_node *node,
					  struct kvm_memslot_node **min)
{
	struct kvm_memslot_node *child, *copy;

	if (!node->left) {
		*min = node;
		return node->right;
	}
	child = erase_min(txn, node->left, min);
	if (txn->err)
		return node;
	copy = node_cow(txn, node);
	if (!copy)
		return node;
	copy->left = child;
	return rebalance(txn, copy);
}

static struct kvm_memslot_node *erase(struct kvm_memslot_txn *txn,
				      enum kvm_memslot_tree_kind kind,
				      struct kvm_memslot_node *node,
				      const struct kvm_memory_slot *slot)
{
	struct kvm_memslot_node *child, *copy, *min;
	int cmp;

	if (WARN_ON_ONCE(!node)) {
		txn->err = -ENOENT;
		return NULL;
	}

	cmp = slot_cmp(kind, slot, node);
	if (!cmp) {
		if (!node->left || !node->right) {
			child = node->left ? node->left : node->right;
			node_retire(txn, node);
			return child;
		}
		/* The in-order successor takes the erased node's place. */
		child = erase_min(txn, node->right, &min);
		if (txn->err)
			return node;
		copy = node_cow(txn, node);
		if (!copy)
			return node;
		copy->slot = min->slot;
		copy->key = min->key;
		copy->right = child;
		node_retire(txn, min);
		return rebalance(txn, copy);
	}

	child = erase(txn, kind, cmp < 0 ? node->left : node->right, slot);
	if (txn->err)
		return node;
	copy = node_cow(txn, node);
	if (!copy)
		return node;
	if (cmp < 0)
		copy->left = child;
	else
		copy->right = child;
	return rebalance(txn, copy);
}

static struct kvm_memslot_node *replace(struct kvm_memslot_txn *txn,
					enum kvm_memslot_tree_kind kind,
					struct kvm_memslot_node *node,
					const struct kvm_memory_slot *old,
					struct kvm_memory_slot *new)
{
	struct kvm_memslot_node *child = NULL, *copy;
	int cmp;

	if (WARN_ON_ONCE(!node)) {
		txn->err = -ENOENT;
		return NULL;
	}

	cmp = slot_cmp(kind, old, node);
	if (cmp) {
		child = replace(txn, kind, cmp < 0 ? node->left : node->right,
				old, new);
		if (txn->err)
			return node;
	}
	copy = node_cow(txn, node);
	if (!copy)
		return node;
	if (!cmp)
		copy->slot = new;
	else if (cmp < 0)
		copy->left = child;
	else
		copy->right = child;
	node_update(copy);
	return copy;
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
	return insert(txn, kind, root, slot);
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
	return erase(txn, kind, root, slot);
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
	return replace(txn, kind, root, old, new);
}

/**
 * kvm_memslot_tree_floor() - the slot with the largest base gfn <= @gfn
 * @root: a tree ordered by gfn
 * @gfn:  guest frame number
 *
 * Return: the slot, or NULL.
 */
struct kvm_memory_slot *kvm_memslot_tree_floor(struct kvm_memslot_node *root,
					       kvm_memslot_gfn_t gfn)
{
	struct kvm_memory_slot *floor = NULL;

	/*
	 * Written so that the compiler can use conditional moves: the
	 * direction taken at each level is random for random lookups, and
	 * mispredicted branches would cost more than the loads.
	 */
	while (root) {
		bool right = gfn >= root->key;

		floor = right ? root->slot : floor;
		root = right ? root->right : root->left;
	}
	return floor;
}

/**
 * kvm_memslot_tree_ceil() - the slot with the smallest base gfn >= @gfn
 * @root: a tree ordered by gfn
 * @gfn:  guest frame number
 *
 * Return: the slot, or NULL.
 */
struct kvm_memory_slot *kvm_memslot_tree_ceil(struct kvm_memslot_node *root,
					      kvm_memslot_gfn_t gfn)
{
	struct kvm_memory_slot *ceil = NULL;

	while (root) {
		if (gfn > root->key) {
			root = root->right;
		} else {
			ceil = root->slot;
			root = root->left;
		}
	}
	return ceil;
}

/**
 * kvm_memslot_tree_find_id() - the slot with a given id
 * @root: a tree ordered by id
 * @id:   slot id
 *
 * Return: the slot, or NULL.
 */
struct kvm_memory_slot *kvm_memslot_tree_find_id(struct kvm_memslot_node *root,
						 u16 id)
{
	while (root) {
		if (id == root->key)
			return root->slot;
		root = id < root->key ? root->left : root->right;
	}
	return NULL;
}
