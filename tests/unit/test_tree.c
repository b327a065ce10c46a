// SPDX-License-Identifier: GPL-2.0-only
/*
 * The persistent B+trees of virt/kvm/memslot_tree.c, driven directly: random
 * sequences of inserts, erases and replaces (the three trees of a set,
 * changed together as the update code does) checked after every step
 * against a reference (a plain array of the slots present):
 *
 *  - structure: keys sorted, every leaf at the same depth, fill bounds
 *    (the root excepted), unused keys KEY_NONE, separator keys and the hva
 *    augmentation (max_end, prefix_end, ids) equal to what the subtree
 *    holds, the slot ends of gfn leaves equal to their slots' ends, no node
 *    reachable twice or from two trees;
 *  - queries: floor, ceil, find_gfn, find_id, hva overlap walks (exact set,
 *    address order) and visit_all, against brute force;
 *  - persistence: the bytes of every node of the previous version are
 *    unchanged after a new version was built on top of it;
 *  - transactions: after a seal, the retired list is exactly the published
 *    nodes the new version no longer reaches, and every fresh node is
 *    either reachable or was removed by its own build; an abort frees
 *    exactly the build's fresh nodes (the allocation count returns to
 *    where it was, and ASan sees no leak);
 *  - allocation failure injected at every allocation of an insert, erase
 *    or replace, alone or after other changes in the same build: -ENOMEM,
 *    sticky, and the published version intact.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "../../virt/kvm/memslot_tree.h"

#define NR_IDS		6000
#define GFN_WINDOW	128		/* slot i lives in [i * 128, i * 128 + 128) */
#define ARENA_SLOTS	400000

static const enum kvm_memslot_tree_kind kinds[] = {
	KVM_MEMSLOT_BY_GFN, KVM_MEMSLOT_BY_HVA,
};

/* Slots are never modified nor freed while a test runs: versions share them. */
struct arena {
	struct kvm_memory_slot *slots;
	unsigned int used;
};

struct version {
	struct kvm_memslot_node *roots[KVM_MEMSLOT_NR_TREES];
};

struct tfix {
	struct arena arena;
	struct kvm_memory_slot *cur[NR_IDS];	/* the reference */
	unsigned int nr_ids;			/* ids in use: 0 .. nr_ids - 1 */
	struct version v;			/* the published version */
	unsigned long seed;
	long live_base;
};

static struct kvm_memory_slot *slot_new(struct tfix *f, u16 id, u64 gfn,
					unsigned long npages, unsigned long hva)
{
	struct kvm_memory_slot *s;

	assert_true(f->arena.used < ARENA_SLOTS);
	s = &f->arena.slots[f->arena.used++];
	memset(s, 0, sizeof(*s));
	s->id = id;
	s->base_gfn = gfn;
	s->npages = npages;
	s->page_shift = PAGE_SHIFT;
	s->userspace_addr = hva;
	return s;
}

static struct kvm_memory_slot *slot_random(struct tfix *f, u16 id)
{
	unsigned long npages = 1 + harness_rand(&f->seed) % 64;
	u64 gfn = (u64)id * GFN_WINDOW + harness_rand(&f->seed) % (GFN_WINDOW - npages + 1);
	unsigned long hva;

	/* A quarter of the slots alias a small host window. */
	if (harness_rand(&f->seed) % 4 == 0)
		hva = TEST_HVA((harness_rand(&f->seed) % 64) * PG);
	else
		hva = TEST_HVA((harness_rand(&f->seed) % (1UL << 20)) * PG);
	return slot_new(f, id, gfn, npages, hva);
}

static u64 key_of(enum kvm_memslot_tree_kind kind, const struct kvm_memory_slot *s)
{
	return kind == KVM_MEMSLOT_BY_HVA ? s->userspace_addr : s->base_gfn;
}

static unsigned long hva_end(const struct kvm_memory_slot *s)
{
	return s->userspace_addr + (s->npages << PAGE_SHIFT);
}

/* ---- node sets ---- */

struct nodeset {
	const struct kvm_memslot_node **v;
	size_t nr, cap;
};

static void set_add(struct nodeset *s, const struct kvm_memslot_node *n)
{
	if (s->nr == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		assert_non_null(s->v);
	}
	s->v[s->nr++] = n;
}

static int ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const void *const *)a;
	uintptr_t y = (uintptr_t)*(const void *const *)b;

	return x < y ? -1 : x > y;
}

static void set_sort(struct nodeset *s)
{
	if (s->nr)
		qsort(s->v, s->nr, sizeof(*s->v), ptr_cmp);
}

static bool set_has(const struct nodeset *s, const struct kvm_memslot_node *n)
{
	return s->nr && bsearch(&n, s->v, s->nr, sizeof(*s->v), ptr_cmp);
}

static void set_free(struct nodeset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static void collect(const struct kvm_memslot_node *n, struct nodeset *s)
{
	unsigned int i;

	if (!n)
		return;
	set_add(s, n);
	if (n->height)
		for (i = 0; i < n->nr; i++)
			collect(n->children[i], s);
}

static void collect_version(const struct version *v, struct nodeset *s)
{
	unsigned int k;

	for (k = 0; k < KVM_MEMSLOT_NR_TREES; k++)
		collect(v->roots[k], s);
	set_sort(s);
}

static size_t node_bytes(const struct kvm_memslot_node *n)
{
	if (n->kind == KVM_MEMSLOT_BY_HVA)
		return sizeof(struct kvm_memslot_hva_node);
	if (n->kind == KVM_MEMSLOT_BY_GFN && !n->height)
		return sizeof(struct kvm_memslot_gfn_leaf);
	return sizeof(struct kvm_memslot_node);
}

/*
 * A copy of the bytes of every node of a version, to prove later that none
 * changed.  ->next is left out: it chains a node on a transaction's lists
 * once it is retired, which readers never look at.
 */
struct node_snapshot {
	struct nodeset nodes;
	unsigned char *bytes;
};

static void node_snapshot_take(const struct version *v, struct node_snapshot *snap)
{
	size_t i, off = 0, size = 0;

	memset(snap, 0, sizeof(*snap));
	collect_version(v, &snap->nodes);
	for (i = 0; i < snap->nodes.nr; i++)
		size += node_bytes(snap->nodes.v[i]);
	snap->bytes = malloc(size ? size : 1);
	assert_non_null(snap->bytes);
	for (i = 0; i < snap->nodes.nr; i++) {
		memcpy(snap->bytes + off, snap->nodes.v[i], node_bytes(snap->nodes.v[i]));
		off += node_bytes(snap->nodes.v[i]);
	}
}

static void node_snapshot_check(const struct version *v, struct node_snapshot *snap)
{
	const size_t next = offsetof(struct kvm_memslot_node, next);
	const size_t after = next + sizeof(((struct kvm_memslot_node *)0)->next);
	struct nodeset now = { 0 };
	size_t i, off = 0;

	/* Same nodes, in the same places... */
	collect_version(v, &now);
	assert_int_equal(now.nr, snap->nodes.nr);
	for (i = 0; i < now.nr; i++)
		assert_ptr_equal(now.v[i], snap->nodes.v[i]);
	/* ...holding the same bytes. */
	for (i = 0; i < now.nr; i++) {
		const unsigned char *p = (const unsigned char *)now.v[i];
		size_t len = node_bytes(now.v[i]);

		assert_memory_equal(p, snap->bytes + off, next);
		assert_memory_equal(p + after, snap->bytes + off + after, len - after);
		off += len;
	}
	set_free(&now);
	set_free(&snap->nodes);
	free(snap->bytes);
}

/* ---- structural invariants ---- */

/* (key, id) order of the hva tree; plain key order elsewhere. */
static int entry_cmp(enum kvm_memslot_tree_kind kind, u64 ka, u16 ia, u64 kb, u16 ib)
{
	if (ka != kb)
		return ka < kb ? -1 : 1;
	if (kind != KVM_MEMSLOT_BY_HVA || ia == ib)
		return 0;
	return ia < ib ? -1 : 1;
}

struct subtree {
	u64 min_key;
	u16 min_id;
	u64 max_end;
	unsigned int count;
};

static struct subtree check_node(const struct kvm_memslot_node *n,
				 enum kvm_memslot_tree_kind kind,
				 unsigned int height, bool root)
{
	const struct kvm_memslot_hva_node *h = kvm_memslot_hva_node(n);
	struct subtree st = { 0 }, c;
	u64 prefix = 0;
	unsigned int i;

	assert_int_equal(n->kind, kind);
	assert_int_equal(n->height, height);
	assert_false(n->removed);
	assert_true(n->nr <= KVM_MEMSLOT_FANOUT);
	if (!root)
		assert_true(n->nr >= KVM_MEMSLOT_MIN_FILL);
	else
		assert_true(n->nr >= (height ? 2 : 1));
	for (i = n->nr; i < KVM_MEMSLOT_FANOUT; i++) {
		assert_true(n->keys[i] == KVM_MEMSLOT_KEY_NONE);
		if (kind == KVM_MEMSLOT_BY_HVA)
			assert_true(h->prefix_end[i] == KVM_MEMSLOT_KEY_NONE);
	}

	for (i = 0; i < n->nr; i++) {
		u16 id;

		if (height) {
			c = check_node(n->children[i], kind, height - 1, false);
			assert_true(n->keys[i] == c.min_key);
			id = c.min_id;
			st.count += c.count;
		} else {
			const struct kvm_memory_slot *s = n->slots[i];

			c.min_key = key_of(kind, s);
			c.min_id = s->id;
			c.max_end = hva_end(s);
			assert_true(n->keys[i] == c.min_key);
			id = s->id;
			st.count++;
			if (kind == KVM_MEMSLOT_BY_GFN)
				assert_true(kvm_memslot_gfn_leaf(n)->ends[i] ==
					    s->base_gfn + s->npages);
		}
		if (kind == KVM_MEMSLOT_BY_HVA) {
			assert_int_equal(h->ids[i], id);
			assert_true(h->max_end[i] == c.max_end);
			prefix = prefix > c.max_end ? prefix : c.max_end;
			assert_true(h->prefix_end[i] == prefix);
		}
		if (i)
			assert_true(entry_cmp(kind, n->keys[i - 1],
					      kind == KVM_MEMSLOT_BY_HVA ? h->ids[i - 1] : 0,
					      n->keys[i], id) < 0);
		if (!i) {
			st.min_key = n->keys[0];
			st.min_id = id;
		}
		if (c.max_end > st.max_end)
			st.max_end = c.max_end;
	}
	return st;
}

static unsigned int nr_present(const struct tfix *f)
{
	unsigned int i, n = 0;

	for (i = 0; i < f->nr_ids; i++)
		n += !!f->cur[i];
	return n;
}

/*
 * The tallest a tree of @n slots may be: every node but the root holds at
 * least MIN_FILL entries and an internal root at least two, so a tree of
 * height h >= 1 holds at least 2 * MIN_FILL^h slots.
 */
static unsigned int max_height(unsigned int n)
{
	unsigned long least = 2 * KVM_MEMSLOT_MIN_FILL;
	unsigned int h = 0;

	while (least <= n) {
		h++;
		least *= KVM_MEMSLOT_MIN_FILL;
	}
	return h;
}

/*
 * The tallest ascending inserts make a tree of @n slots: an append split
 * leaves FANOUT + 1 - MIN_FILL entries on the left.
 */
static unsigned int ascending_height(unsigned int n)
{
	unsigned long fill = KVM_MEMSLOT_FANOUT + 1 - KVM_MEMSLOT_MIN_FILL, cap = fill;
	unsigned int h = 0;

	while (cap < n) {
		h++;
		cap *= fill;
	}
	return h;
}

static void check_structure(const struct tfix *f, const struct version *v)
{
	struct nodeset all = { 0 };
	unsigned int k, n = nr_present(f);
	size_t i;

	for (k = 0; k < KVM_MEMSLOT_NR_TREES; k++) {
		struct kvm_memslot_node *root = v->roots[k];

		if (!n) {
			assert_null(root);
			continue;
		}
		assert_non_null(root);
		assert_int_equal(check_node(root, kinds[k], root->height, true).count, n);
		/* Logarithmic in the slots present now, however many there were. */
		assert_true(root->height <= max_height(n));
	}
	/* No node is reachable twice, from one tree or from two. */
	collect_version(v, &all);
	for (i = 1; i < all.nr; i++)
		assert_ptr_not_equal(all.v[i - 1], all.v[i]);
	set_free(&all);
}

/* ---- queries against the reference ---- */

/* The present slots in gfn order, for floor and ceil by binary search. */
struct by_gfn {
	struct kvm_memory_slot **v;
	unsigned int nr;
};

static int gfn_order(const void *a, const void *b)
{
	const struct kvm_memory_slot *x = *(struct kvm_memory_slot *const *)a;
	const struct kvm_memory_slot *y = *(struct kvm_memory_slot *const *)b;

	return x->base_gfn < y->base_gfn ? -1 : x->base_gfn > y->base_gfn;
}

static void by_gfn_build(const struct tfix *f, struct by_gfn *r)
{
	unsigned int i;

	r->v = calloc(NR_IDS, sizeof(*r->v));
	r->nr = 0;
	for (i = 0; i < f->nr_ids; i++)
		if (f->cur[i])
			r->v[r->nr++] = f->cur[i];
	qsort(r->v, r->nr, sizeof(*r->v), gfn_order);
}

/* Number of slots with base_gfn <= gfn. */
static unsigned int by_gfn_rank(const struct by_gfn *r, u64 gfn)
{
	unsigned int lo = 0, hi = r->nr;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (r->v[mid]->base_gfn <= gfn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct kvm_memory_slot *ref_floor(const struct by_gfn *r, u64 gfn)
{
	unsigned int rank = by_gfn_rank(r, gfn);

	return rank ? r->v[rank - 1] : NULL;
}

/* The slot containing @gfn: slots of a version never overlap. */
static struct kvm_memory_slot *ref_find(const struct by_gfn *r, u64 gfn)
{
	struct kvm_memory_slot *s = ref_floor(r, gfn);

	return s && gfn < s->base_gfn + s->npages ? s : NULL;
}

static struct kvm_memory_slot *ref_ceil(const struct by_gfn *r, u64 gfn)
{
	unsigned int rank = by_gfn_rank(r, gfn);

	if (rank && r->v[rank - 1]->base_gfn == gfn)
		return r->v[rank - 1];
	return rank < r->nr ? r->v[rank] : NULL;
}

struct walk {
	struct kvm_memory_slot **seen;
	unsigned int nr, cap;
};

static int walk_cb(struct kvm_memory_slot *s, void *data)
{
	struct walk *w = data;

	if (w->nr < w->cap)
		w->seen[w->nr] = s;
	w->nr++;
	return 0;
}

static int hva_order(const void *a, const void *b)
{
	const struct kvm_memory_slot *x = *(struct kvm_memory_slot *const *)a;
	const struct kvm_memory_slot *y = *(struct kvm_memory_slot *const *)b;

	return entry_cmp(KVM_MEMSLOT_BY_HVA, x->userspace_addr, x->id,
			 y->userspace_addr, y->id);
}

static void check_hva_range(const struct tfix *f, struct kvm_memslots *set,
			    unsigned long start, unsigned long end)
{
	struct kvm_memory_slot **want = calloc(NR_IDS, sizeof(*want));
	struct walk w = { .seen = calloc(NR_IDS, sizeof(*w.seen)), .cap = NR_IDS };
	unsigned int i, nr = 0;

	for (i = 0; i < f->nr_ids; i++) {
		struct kvm_memory_slot *s = f->cur[i];

		if (s && start < end && s->userspace_addr < end && hva_end(s) > start)
			want[nr++] = s;
	}
	qsort(want, nr, sizeof(*want), hva_order);
	assert_int_equal(kvm_memslot_visit_hva(set, start, end, walk_cb, &w), 0);
	assert_int_equal(w.nr, nr);
	for (i = 0; i < nr; i++)
		assert_ptr_equal(w.seen[i], want[i]);
	free(want);
	free(w.seen);
}

static void check_queries(struct tfix *f, unsigned int nr_probes)
{
	struct kvm_memslots set = { 0 };
	struct walk w = { .seen = calloc(NR_IDS, sizeof(*w.seen)), .cap = NR_IDS };
	u64 gfn_limit = (u64)f->nr_ids * GFN_WINDOW + 2 * GFN_WINDOW;
	struct kvm_memslot_node *gfn_root = f->v.roots[KVM_MEMSLOT_BY_GFN];
	struct by_gfn ref;
	unsigned int i;

	by_gfn_build(f, &ref);
	memcpy(set.roots, f->v.roots, sizeof(set.roots));
	for (i = 0; i < nr_probes; i++) {
		u64 gfn = harness_rand(&f->seed) % gfn_limit;
		unsigned long start, len;

		assert_ptr_equal(kvm_memslot_tree_floor(f->v.roots[KVM_MEMSLOT_BY_GFN], gfn),
				 ref_floor(&ref, gfn));
		assert_ptr_equal(kvm_memslot_tree_ceil(f->v.roots[KVM_MEMSLOT_BY_GFN], gfn),
				 ref_ceil(&ref, gfn));
		assert_ptr_equal(kvm_memslot_find_gfn(&set, gfn), ref_find(&ref, gfn));

		start = TEST_HVA((harness_rand(&f->seed) % ((1UL << 20) + 64)) * PG);
		len = harness_rand(&f->seed) % 2 ? 1 + harness_rand(&f->seed) % PG :
						   (1 + harness_rand(&f->seed) % 256) * PG;
		check_hva_range(f, &set, start, start + len);
		/* the aliased window */
		start = TEST_HVA((harness_rand(&f->seed) % 64) * PG);
		check_hva_range(f, &set, start, start + PG);
	}
	/* both ends of every slot, and just outside: a leaf's last entry */
	for (i = 0; i < f->nr_ids; i++) {
		const struct kvm_memory_slot *s = f->cur[i];
		u64 probes[4], gfn;
		unsigned int p;

		if (!s)
			continue;
		probes[0] = s->base_gfn;
		probes[1] = s->base_gfn ? s->base_gfn - 1 : 0;
		probes[2] = s->base_gfn + s->npages - 1;
		probes[3] = s->base_gfn + s->npages;
		for (p = 0; p < 4; p++) {
			gfn = probes[p];
			assert_ptr_equal(kvm_memslot_tree_floor(gfn_root, gfn),
					 ref_floor(&ref, gfn));
			assert_ptr_equal(kvm_memslot_tree_ceil(gfn_root, gfn),
					 ref_ceil(&ref, gfn));
			assert_ptr_equal(kvm_memslot_tree_find_gfn(gfn_root, gfn),
					 ref_find(&ref, gfn));
		}
	}
	/* the extremes of the key space */
	assert_ptr_equal(kvm_memslot_tree_floor(f->v.roots[KVM_MEMSLOT_BY_GFN], ~0ULL),
			 ref_floor(&ref, ~0ULL));
	assert_ptr_equal(kvm_memslot_tree_ceil(f->v.roots[KVM_MEMSLOT_BY_GFN], 0),
			 ref_ceil(&ref, 0));
	assert_ptr_equal(kvm_memslot_tree_find_gfn(gfn_root, ~0ULL), NULL);
	assert_ptr_equal(kvm_memslot_tree_find_gfn(gfn_root, 0), ref_find(&ref, 0));
	check_hva_range(f, &set, 0, ~0UL);

	assert_int_equal(kvm_memslot_visit_all(&set, walk_cb, &w), 0);
	assert_int_equal(w.nr, ref.nr);
	for (i = 0; i < ref.nr; i++)
		assert_ptr_equal(w.seen[i], ref.v[i]);
	free(ref.v);
	free(w.seen);
}

/* ---- changes ---- */

enum op_kind { OP_INSERT, OP_ERASE, OP_REPLACE, OP_MOVE };

struct op {
	enum op_kind kind;
	struct kvm_memory_slot *old, *new;
};

/* Apply one change to all three trees of @v, as memslot_update.c does. */
static void apply(struct kvm_memslot_txn *txn, struct version *v, const struct op *op)
{
	struct kvm_memslot_node **r = v->roots;
	unsigned int k;

	switch (op->kind) {
	case OP_INSERT:
		for (k = 0; k < KVM_MEMSLOT_NR_TREES; k++)
			r[k] = kvm_memslot_tree_insert(txn, kinds[k], r[k], op->new);
		break;
	case OP_ERASE:
		for (k = 0; k < KVM_MEMSLOT_NR_TREES; k++)
			r[k] = kvm_memslot_tree_erase(txn, kinds[k], r[k], op->old);
		break;
	case OP_REPLACE:
		for (k = 0; k < KVM_MEMSLOT_NR_TREES; k++)
			r[k] = kvm_memslot_tree_replace(txn, kinds[k], r[k], op->old, op->new);
		break;
	case OP_MOVE:
		r[KVM_MEMSLOT_BY_GFN] = kvm_memslot_tree_erase(txn, KVM_MEMSLOT_BY_GFN,
							       r[KVM_MEMSLOT_BY_GFN], op->old);
		r[KVM_MEMSLOT_BY_GFN] = kvm_memslot_tree_insert(txn, KVM_MEMSLOT_BY_GFN,
								r[KVM_MEMSLOT_BY_GFN], op->new);
		r[KVM_MEMSLOT_BY_HVA] = kvm_memslot_tree_replace(txn, KVM_MEMSLOT_BY_HVA,
								 r[KVM_MEMSLOT_BY_HVA],
								 op->old, op->new);
		break;
	}
}

/* A random change of the reference; @grow_bias in percent favours inserts. */
static struct op random_op(struct tfix *f, unsigned int grow_bias)
{
	u16 id = harness_rand(&f->seed) % f->nr_ids;
	struct kvm_memory_slot *old;
	struct op op;
	unsigned int tries;

	/* Shrinking: look for a present slot a few times before inserting. */
	for (tries = 0; grow_bias < 50 && !f->cur[id] && tries < 64; tries++)
		id = harness_rand(&f->seed) % f->nr_ids;
	old = f->cur[id];
	op.old = old;
	op.new = NULL;

	if (!old) {
		op.kind = OP_INSERT;
		op.new = slot_random(f, id);
	} else if (harness_rand(&f->seed) % 100 >= grow_bias) {
		op.kind = OP_ERASE;
	} else if (harness_rand(&f->seed) % 2) {
		op.kind = OP_REPLACE;
		op.new = slot_new(f, id, old->base_gfn, old->npages, old->userspace_addr);
		op.new->flags = old->flags ^ KVM_MEM_LOG_DIRTY_PAGES;
	} else {
		u64 gfn = (u64)id * GFN_WINDOW +
			  harness_rand(&f->seed) % (GFN_WINDOW - old->npages + 1);

		if (gfn == old->base_gfn)
			gfn = gfn ? gfn - 1 : gfn + 1;
		op.kind = OP_MOVE;
		op.new = slot_new(f, id, gfn, old->npages, old->userspace_addr);
	}
	return op;
}

static void ref_apply(struct tfix *f, const struct op *op)
{
	u16 id = op->new ? op->new->id : op->old->id;

	f->cur[id] = op->kind == OP_ERASE ? NULL : op->new;
}

/* Apply one change as a build of its own, and retire what it replaced. */
static void commit_one(struct tfix *f, const struct op *op)
{
	struct kvm_memslot_txn txn;

	kvm_memslot_txn_begin(&txn, true, NULL);
	apply(&txn, &f->v, op);
	assert_int_equal(txn.err, 0);
	kvm_memslot_txn_seal(&txn);
	kvm_memslot_nodes_free(txn.retired);
	ref_apply(f, op);
}

/*
 * Build the next version with @nr changes, check the build's bookkeeping,
 * seal it, check that the previous version is byte for byte what it was,
 * and retire (free) what the new version no longer reaches.
 */
static void step(struct tfix *f, unsigned int nr, unsigned int grow_bias)
{
	struct nodeset old_nodes = { 0 }, new_nodes = { 0 }, retired = { 0 };
	struct kvm_memslot_node *n;
	struct version prev = f->v, next = f->v;
	struct kvm_memslot_txn txn;
	struct node_snapshot snap;
	unsigned int i;
	size_t j;

	node_snapshot_take(&prev, &snap);

	kvm_memslot_txn_begin(&txn, true, NULL);
	for (i = 0; i < nr; i++) {
		struct op op = random_op(f, grow_bias);

		/* a change of a slot this build already changed is fine too */
		apply(&txn, &next, &op);
		assert_int_equal(txn.err, 0);
		ref_apply(f, &op);
	}

	collect_version(&prev, &old_nodes);
	collect_version(&next, &new_nodes);
	/* Fresh: reachable and new, or removed again by the build itself. */
	for (n = txn.fresh; n; n = n->next) {
		assert_int_equal(n->txn, txn.id);
		assert_false(set_has(&old_nodes, n));
		assert_true(set_has(&new_nodes, n) != n->removed);
	}
	/* Retired: exactly the old nodes the new version no longer reaches. */
	for (n = txn.retired; n; n = n->next) {
		set_add(&retired, n);
		assert_true(set_has(&old_nodes, n));
		assert_false(set_has(&new_nodes, n));
	}
	set_sort(&retired);
	for (j = 1; j < retired.nr; j++)
		assert_ptr_not_equal(retired.v[j - 1], retired.v[j]);
	for (j = 0; j < old_nodes.nr; j++)
		assert_true(set_has(&new_nodes, old_nodes.v[j]) !=
			    set_has(&retired, old_nodes.v[j]));

	kvm_memslot_txn_seal(&txn);
	assert_null(txn.fresh);
	/* Readers of the previous version were not disturbed. */
	node_snapshot_check(&prev, &snap);

	kvm_memslot_nodes_free(txn.retired);
	f->v = next;
	set_free(&old_nodes);
	set_free(&new_nodes);
	set_free(&retired);
	check_structure(f, &f->v);
}

/* ---- fixture ---- */

static int setup(void **state)
{
	struct tfix *f = calloc(1, sizeof(*f));

	harness_rcu_register_thread();
	harness_quiesce();
	f->arena.slots = calloc(ARENA_SLOTS, sizeof(*f->arena.slots));
	assert_non_null(f->arena.slots);
	f->seed = 0x5eed;
	f->nr_ids = NR_IDS;
	f->live_base = __atomic_load_n(&harness_alloc_live, __ATOMIC_SEQ_CST);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct tfix *f = *state;
	unsigned int k;
	long live;

	for (k = 0; k < KVM_MEMSLOT_NR_TREES; k++)
		kvm_memslot_tree_destroy(f->v.roots[k]);
	live = __atomic_load_n(&harness_alloc_live, __ATOMIC_SEQ_CST);
	if (live != f->live_base)
		fail_msg("leak: %ld node(s) still allocated", live - f->live_base);
	free(f->arena.slots);
	free(f);
	return 0;
}

#define F(state) ((struct tfix *)*(state))

/* ---- tests ---- */

/* Few slots: the root changes between leaf, internal and empty often. */
static void small_sets_random_changes(void **state)
{
	struct tfix *f = F(state);
	unsigned int i;

	f->nr_ids = 3 * KVM_MEMSLOT_FANOUT;
	for (i = 0; i < 3000; i++) {
		step(f, 1 + harness_rand(&f->seed) % 3, i % 600 < 300 ? 70 : 30);
		if (i % 50 == 0)
			check_queries(f, 50);
	}
	check_queries(f, 200);
}

/* Ascending creates, random churn at three levels, then everything deleted. */
static void large_set_grow_churn_shrink(void **state)
{
	struct tfix *f = F(state);
	unsigned int i, id;

	for (id = 0; id < NR_IDS; id++) {
		struct op op = { .kind = OP_INSERT, .new = slot_random(f, id) };

		commit_one(f, &op);
	}
	check_structure(f, &f->v);
	/* ascending creates leave the nodes nearly full, not half full */
	assert_true(f->v.roots[KVM_MEMSLOT_BY_GFN]->height <= ascending_height(NR_IDS));
	check_queries(f, 300);

	for (i = 0; i < 600; i++)
		step(f, 1 + harness_rand(&f->seed) % 4, 50);
	check_queries(f, 300);

	/* Mostly deletes: nodes merge and borrow, the height shrinks. */
	while (nr_present(f) > 40)
		step(f, 1 + harness_rand(&f->seed) % 8, 3);
	check_queries(f, 300);
	for (id = 0; id < NR_IDS; id++) {
		if (f->cur[id]) {
			struct op op = { .kind = OP_ERASE, .old = f->cur[id] };

			commit_one(f, &op);
			check_structure(f, &f->v);
		}
	}
	for (i = 0; i < KVM_MEMSLOT_NR_TREES; i++)
		assert_null(f->v.roots[i]);
}

/*
 * The height after deletions depends on how many slots are left, not on
 * how many there were: shrinking 6000 slots to a few dozen must give a
 * tree no taller than one built with those few.
 */
static void height_follows_current_size(void **state)
{
	struct tfix *f = F(state);
	unsigned int id, k;

	/* all ids, in random order */
	while (nr_present(f) < NR_IDS)
		step(f, 64, 100);
	check_structure(f, &f->v);
	/* delete all but every 100th slot, in random order */
	while (nr_present(f) > NR_IDS / 100) {
		id = harness_rand(&f->seed) % NR_IDS;
		if (f->cur[id] && id % 100) {
			struct op op = { .kind = OP_ERASE, .old = f->cur[id] };

			commit_one(f, &op);
		}
	}
	check_structure(f, &f->v);
	check_queries(f, 100);
	for (k = 0; k < KVM_MEMSLOT_NR_TREES; k++)
		assert_true(f->v.roots[k]->height <= max_height(NR_IDS / 100));
}

/* Build a version, then throw the build away: nothing leaks, nothing changed. */
static void abort_frees_exactly_the_fresh_nodes(void **state)
{
	struct tfix *f = F(state);
	unsigned int i, r;

	f->nr_ids = 2000;
	for (i = 0; i < 300; i++)
		step(f, 8, 90);

	for (r = 0; r < 200; r++) {
		struct kvm_memory_slot *saved[2000];
		struct version next = f->v;
		struct kvm_memslot_txn txn;
		struct node_snapshot snap;
		long live;
		unsigned long fresh = 0;
		struct kvm_memslot_node *n;

		node_snapshot_take(&f->v, &snap);
		live = __atomic_load_n(&harness_alloc_live, __ATOMIC_SEQ_CST);
		memcpy(saved, f->cur, sizeof(saved));
		kvm_memslot_txn_begin(&txn, true, NULL);
		for (i = 0; i < 1 + r % 10; i++) {
			struct op op = random_op(f, 60);

			apply(&txn, &next, &op);
			ref_apply(f, &op);
		}
		assert_int_equal(txn.err, 0);
		for (n = txn.fresh; n; n = n->next)
			fresh++;
		assert_int_equal(__atomic_load_n(&harness_alloc_live, __ATOMIC_SEQ_CST),
				 live + fresh);
		kvm_memslot_txn_abort(&txn);
		assert_int_equal(__atomic_load_n(&harness_alloc_live, __ATOMIC_SEQ_CST), live);
		node_snapshot_check(&f->v, &snap);
		memcpy(f->cur, saved, sizeof(saved));
		check_structure(f, &f->v);
	}
	check_queries(f, 100);
}

/*
 * Fail each allocation of @op in turn, after the @pre changes @pre_ops in
 * the same build: the build reports -ENOMEM and keeps reporting it, an
 * abort frees everything it allocated, and the published version is
 * intact.  Then publish the changes for real.
 */
static unsigned long count_allocations(struct tfix *f, const struct op *pre_ops,
				       unsigned int pre, const struct op *op)
{
	struct kvm_memslot_txn txn;
	struct version next = f->v;
	unsigned long before, needed;
	unsigned int i;

	kvm_memslot_txn_begin(&txn, true, NULL);
	for (i = 0; i < pre; i++)
		apply(&txn, &next, &pre_ops[i]);
	before = harness_alloc_total;
	apply(&txn, &next, op);
	needed = harness_alloc_total - before;
	assert_int_equal(txn.err, 0);
	kvm_memslot_txn_abort(&txn);
	return needed;
}

static void fail_each_allocation_of(struct tfix *f, const struct op *pre_ops,
				    unsigned int pre, const struct op *op,
				    unsigned long needed)
{
	struct kvm_memslot_txn txn;
	struct version next;
	struct node_snapshot snap;
	unsigned long before, nth;
	unsigned int i;
	long live;

	for (nth = 1; nth <= needed; nth++) {
		struct kvm_memslot_node *root;

		node_snapshot_take(&f->v, &snap);
		live = __atomic_load_n(&harness_alloc_live, __ATOMIC_SEQ_CST);
		next = f->v;
		kvm_memslot_txn_begin(&txn, true, NULL);
		for (i = 0; i < pre; i++)
			apply(&txn, &next, &pre_ops[i]);
		assert_int_equal(txn.err, 0);
		harness_fail_alloc(nth);
		apply(&txn, &next, op);
		harness_fail_alloc(0);
		assert_int_equal(txn.err, -ENOMEM);
		/* sticky: nothing more happens in a failed build */
		root = next.roots[KVM_MEMSLOT_BY_GFN];
		before = harness_alloc_total;
		assert_ptr_equal(kvm_memslot_tree_insert(&txn, KVM_MEMSLOT_BY_GFN, root,
							 slot_random(f, 0)), root);
		assert_ptr_equal(kvm_memslot_tree_erase(&txn, KVM_MEMSLOT_BY_GFN, root,
							op->old ? op->old : op->new), root);
		assert_int_equal(harness_alloc_total, before);
		assert_int_equal(txn.err, -ENOMEM);
		kvm_memslot_txn_abort(&txn);
		assert_int_equal(__atomic_load_n(&harness_alloc_live, __ATOMIC_SEQ_CST), live);
		node_snapshot_check(&f->v, &snap);
	}

	next = f->v;
	kvm_memslot_txn_begin(&txn, true, NULL);
	for (i = 0; i < pre; i++)
		apply(&txn, &next, &pre_ops[i]);
	apply(&txn, &next, op);
	assert_int_equal(txn.err, 0);
	kvm_memslot_txn_seal(&txn);
	kvm_memslot_nodes_free(txn.retired);
	f->v = next;
	for (i = 0; i < pre; i++)
		ref_apply(f, &pre_ops[i]);
	ref_apply(f, op);
	check_structure(f, &f->v);
}

/* The same for random changes, each after @pre random others. */
static void fail_every_allocation(struct tfix *f, unsigned int pre)
{
	struct kvm_memory_slot **saved = malloc(sizeof(f->cur));
	unsigned int r, i;

	for (r = 0; r < 120; r++) {
		struct op pre_ops[4], op;

		memcpy(saved, f->cur, sizeof(f->cur));
		for (i = 0; i < pre; i++) {
			pre_ops[i] = random_op(f, 50);
			ref_apply(f, &pre_ops[i]);
		}
		op = random_op(f, 50);
		memcpy(f->cur, saved, sizeof(f->cur));
		fail_each_allocation_of(f, pre_ops, pre, &op,
					count_allocations(f, pre_ops, pre, &op));
	}
	free(saved);
	check_queries(f, 100);
}

static void populate(struct tfix *f, unsigned int nr_ids, unsigned int steps)
{
	unsigned int i;

	f->nr_ids = nr_ids;
	for (i = 0; i < steps; i++)
		step(f, 16, 90);
	check_structure(f, &f->v);
}

static void allocation_failure_alone(void **state)
{
	struct tfix *f = F(state);

	populate(f, 4000, 250);
	fail_every_allocation(f, 0);
}

static void allocation_failure_after_other_changes(void **state)
{
	struct tfix *f = F(state);

	populate(f, 4000, 250);
	fail_every_allocation(f, 3);
}

static void allocation_failure_small(void **state)
{
	struct tfix *f = F(state);

	populate(f, 2 * KVM_MEMSLOT_FANOUT, 10);
	fail_every_allocation(f, 0);
	fail_every_allocation(f, 2);
}

/* Nodes a change copies if it splits, borrows or merges nothing. */
static unsigned long path_length(const struct tfix *f)
{
	unsigned long n = 0;
	unsigned int k;

	for (k = 0; k < KVM_MEMSLOT_NR_TREES; k++)
		n += f->v.roots[k] ? f->v.roots[k]->height + 1 : 0;
	return n;
}

/*
 * Ascending inserts until the root of an internal level split, then
 * ascending erases of everything: leaf and internal splits, borrows and
 * merges at every level and the root growing and collapsing.  Every change
 * that allocates more than its path copies is failed at each allocation,
 * and one in eight of the others.
 */
static void allocation_failure_at_splits_and_merges(void **state)
{
	struct tfix *f = F(state);
	unsigned int id, k, n = KVM_MEMSLOT_FANOUT * KVM_MEMSLOT_FANOUT;

	f->nr_ids = n;
	for (id = 0; id < n; id++) {
		struct op op = { .kind = OP_INSERT, .new = slot_random(f, id) };
		unsigned long needed = count_allocations(f, NULL, 0, &op);

		fail_each_allocation_of(f, NULL, 0, &op,
					needed > path_length(f) || id % 8 == 0 ? needed : 0);
	}
	/* an internal root split too */
	assert_true(f->v.roots[KVM_MEMSLOT_BY_GFN]->height >= 2);
	assert_true(f->v.roots[KVM_MEMSLOT_BY_GFN]->height <= ascending_height(n));
	check_queries(f, 100);
	for (id = 0; id < n; id++) {
		struct op op = { .kind = OP_ERASE, .old = f->cur[id] };
		unsigned long needed = count_allocations(f, NULL, 0, &op);

		fail_each_allocation_of(f, NULL, 0, &op,
					needed != path_length(f) || id % 8 == 0 ? needed : 0);
	}
	for (k = 0; k < KVM_MEMSLOT_NR_TREES; k++)
		assert_null(f->v.roots[k]);
}

#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(small_sets_random_changes),
		T(large_set_grow_churn_shrink),
		T(height_follows_current_size),
		T(abort_frees_exactly_the_fresh_nodes),
		T(allocation_failure_alone),
		T(allocation_failure_after_other_changes),
		T(allocation_failure_small),
		T(allocation_failure_at_splits_and_merges),
	};

	return cmocka_run_group_tests_name("tree", tests, NULL, NULL);
}
