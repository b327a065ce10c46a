// SPDX-License-Identifier: GPL-2.0-only
/*
 * The x86 backend's translation tables (arch/x86/kvm/mmu_*.c), driven
 * through its hooks the way the generic side drives them, on both entry
 * formats: map and walk at 4 KiB and 2 MiB, permissions and A/D bits, MMIO
 * generations, per-slot zapping through the tables, dirty logging, MMU
 * notifier hooks, the audit, and teardown without leaks.
 *
 * The generic side's remote TLB flush and host page-table peek are faked
 * here: flushes are counted, and the "host" maps hva h at pfn
 * (h >> PAGE_SHIFT) + HOST_PFN_BIAS, which keeps 2 MiB congruence.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"

#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/kvm_memslot_host.h>
#include "../../arch/x86/kvm/memslot_x86.h"
#include "../../arch/x86/kvm/mmu.h"
#include <trace/events/kvm_memslot.h>

#define HOST_PFN_BIAS	0x40000UL
#define MB		(1024UL * 1024)
#define LARGE		X86_MMU_LARGE_PAGES

/* ---- the generic side, faked ---- */

static unsigned long flushes;
static bool host_readonly;
static unsigned long host_unmapped_hva;	/* 0: everything is mapped */

void kvm_memslot_flush_remote_tlbs(struct kvm_memslot_vm *vm)
{
	flushes++;
}

static unsigned long host_pfn(unsigned long hva)
{
	return (hva >> PAGE_SHIFT) + HOST_PFN_BIAS;
}

int kvm_memslot_hva_to_pfn_peek(struct kvm_memslot_vm *vm, unsigned long hva,
				unsigned long *pfn)
{
	if (host_unmapped_hva && (hva & PAGE_MASK) == host_unmapped_hva)
		return -EFAULT;
	*pfn = host_pfn(hva);
	return 0;
}

int kvm_memslot_hva_to_pfn_peek_write(struct kvm_memslot_vm *vm,
				      unsigned long hva, unsigned long *pfn)
{
	if (host_readonly)
		return -EFAULT;
	return kvm_memslot_hva_to_pfn_peek(vm, hva, pfn);
}

/* ---- helpers ---- */

static struct kvm_memslot_vm *vm;
/* The table pages of map(), filled as the fault path fills a vCPU's. */
static struct kvm_memslot_mmu_cache cache;

static int setup(void **state)
{
	vm = tvm_create(*state, NULL);
	flushes = 0;
	host_readonly = false;
	host_unmapped_hva = 0;
	return 0;
}

static int teardown(void **state)
{
	/* A failed test_trace_events() leaves its recorder behind. */
	harness_trace_hook = NULL;
	kvm_memslot_mmu_cache_free(&cache);
	tvm_destroy(vm);
	vm = NULL;
	return 0;
}

static struct x86_mmu *mmu(void)
{
	return vm->arch;
}

static const struct kvm_memory_slot *slot(int as_id, u16 id)
{
	const struct kvm_memory_slot *s = tvm_find_id(vm, as_id, id);

	assert_non_null(s);
	return s;
}

static unsigned long slot_pfn(const struct kvm_memory_slot *s, u64 gfn)
{
	return host_pfn(kvm_memslot_gfn_to_hva(s, gfn));
}

/* ops->map() takes the size of the mapping: level 1 is 4 KiB, 2 is 2 MiB. */
#define LEVEL_SHIFT(level)	(PAGE_SHIFT + ((level) - 1) * 9)

static int map_pfn(const struct kvm_memory_slot *s, u64 gfn, unsigned long pfn,
		   bool writable, int level)
{
	int r;

	r = kvm_memslot_mmu_cache_topup(&cache, vm->ops->map_cache_pages);
	if (r)
		return r;
	spin_lock(&vm->mmu_lock);
	r = vm->ops->map(vm, s, gfn, pfn, writable, LEVEL_SHIFT(level), &cache);
	spin_unlock(&vm->mmu_lock);
	return r;
}

/* Map @gfn to the page the host maps at its address, as a fault would. */
static void map(const struct kvm_memory_slot *s, u64 gfn, bool writable,
		int level)
{
	assert_int_equal(map_pfn(s, gfn, slot_pfn(s, gfn), writable, level), 0);
}

static enum kvm_memslot_walk_result walk_gen(int as_id, u64 gfn, bool write,
					     u64 generation, unsigned long *pfn)
{
	return vm->ops->translate(vm, as_id, GPA(gfn) + 0x123, write, generation, pfn);
}

static enum kvm_memslot_walk_result walk(int as_id, u64 gfn, bool write,
					 unsigned long *pfn)
{
	return walk_gen(as_id, gfn, write, tvm_generation(vm, as_id), pfn);
}

/* Assert a walk hits and finds the host page of @gfn in slot @s. */
static void assert_hit(const struct kvm_memory_slot *s, u64 gfn, bool write)
{
	unsigned long pfn = 0;

	assert_int_equal(walk(s->as_id, gfn, write, &pfn), KVM_MEMSLOT_WALK_HIT);
	assert_int_equal(pfn, slot_pfn(s, gfn));
}

static void assert_miss(int as_id, u64 gfn, bool write)
{
	unsigned long pfn;

	assert_int_equal(walk(as_id, gfn, write, &pfn), KVM_MEMSLOT_WALK_MISS);
}

static int map_mmio(int as_id, u64 gfn, u64 generation)
{
	int r;

	spin_lock(&vm->mmu_lock);
	r = vm->ops->map_mmio(vm, as_id, gfn, generation);
	spin_unlock(&vm->mmu_lock);
	return r;
}

/* The raw entry for @gfn at @level, or NULL. */
static u64 *pte(int as_id, u64 gfn, int level)
{
	return mmu() ? x86_mmu_lookup(mmu(), as_id, gfn, level) : NULL;
}

static u64 pte_val(int as_id, u64 gfn, int level)
{
	u64 *p = pte(as_id, gfn, level);

	return p ? *p : 0;
}

struct leaf_count {
	int level;
	unsigned long n;
};

static int count_visit(const struct x86_walk_ctx *ctx)
{
	struct leaf_count *c = ctx->arg;

	if (ctx->level == c->level && x86_pte_present(ctx->mmu->fmt, ctx->old))
		c->n++;
	return 0;
}

/* Leaves at @level in the gfn range of slot @s: its translations. */
static unsigned long nr_leaves(const struct kvm_memory_slot *s, int level)
{
	struct leaf_count c = { .level = level };
	struct x86_walker w = {
		.cb = count_visit, .arg = &c, .flags = X86_WALK_LEAF,
	};

	if (mmu())
		x86_mmu_walk_range(mmu(), s->as_id, s->base_gfn, kvm_memslot_end(s), &w);
	return c.n;
}

static bool range_op(bool (*hook)(struct kvm_memslot_vm *,
				  const struct kvm_memslot_gfn_range *),
		     const struct kvm_memory_slot *s, u64 start, u64 end)
{
	struct kvm_memslot_gfn_range range = {
		.slot = s, .start = start, .end = end,
	};
	bool r;

	spin_lock(&vm->mmu_lock);
	r = hook(vm, &range);
	spin_unlock(&vm->mmu_lock);
	return r;
}

/* The unmap hook, which counts the translations it removed. */
static unsigned long unmap_op(const struct kvm_memory_slot *s, u64 start, u64 end)
{
	struct kvm_memslot_gfn_range range = {
		.slot = s, .start = start, .end = end,
	};
	unsigned long r;

	spin_lock(&vm->mmu_lock);
	r = vm->ops->unmap_gfn_range(vm, &range);
	spin_unlock(&vm->mmu_lock);
	return r;
}

static bool protect(const struct kvm_memory_slot *s, u64 offset,
		    unsigned long mask)
{
	bool r;

	spin_lock(&vm->mmu_lock);
	r = vm->ops->protect_dirty_gfns(vm, s, offset, mask);
	spin_unlock(&vm->mmu_lock);
	return r;
}

static bool is_ept(void)
{
	return vm->ops == &kvm_memslot_x86_ept_ops;
}

/* ---- tests ---- */

static void test_map_walk_4k(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 0x100, e;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(base), 16 * PG, TEST_HVA(0)), 0);
	s = slot(0, 0);
	assert_miss(0, base + 3, false);

	map(s, base + 3, true, 1);
	assert_hit(s, base + 3, false);
	assert_hit(s, base + 3, true);
	assert_miss(0, base + 4, false);
	/* Another address space has its own tables. */
	assert_miss(1, base + 3, false);

	e = pte_val(0, base + 3, 1);
	assert_int_equal(e & X86_PTE_PFN_MASK, (u64)slot_pfn(s, base + 3) << PAGE_SHIFT);
	assert_true(e & X86_PTE_WRITABLE);
	assert_false(e & X86_PTE_LARGE);
	/* Real formats: EPT R|X, WB, ignore-PAT; NPT P|U/S. */
	if (is_ept())
		assert_int_equal(e & 0x7f, 0x77);
	else
		assert_int_equal(e & 0x7, 0x7);
	assert_int_equal(nr_leaves(s, 1), 1);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_write_permission_and_ad_bits(void **state)
{
	const struct x86_mmu_fmt *fmt;
	const struct kvm_memory_slot *s;
	u64 gfn = 0x200;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(gfn), 4 * PG, TEST_HVA(0)), 0);
	s = slot(0, 0);
	map(s, gfn, false, 1);
	fmt = mmu()->fmt;
	assert_ptr_equal(fmt, is_ept() ? &x86_ept_fmt : &x86_npt_fmt);

	assert_false(pte_val(0, gfn, 1) & (fmt->accessed | fmt->dirty));
	assert_miss(0, gfn, true);
	assert_false(pte_val(0, gfn, 1) & fmt->accessed);
	assert_hit(s, gfn, false);
	assert_true(pte_val(0, gfn, 1) & fmt->accessed);
	assert_false(pte_val(0, gfn, 1) & fmt->dirty);

	/* The write fault maps it writable; the write sets D. */
	map(s, gfn, true, 1);
	assert_hit(s, gfn, true);
	assert_true(pte_val(0, gfn, 1) & fmt->dirty);
	assert_int_equal(nr_leaves(s, 1), 1);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_readonly_slot(void **state)
{
	const struct kvm_memory_slot *s;
	u64 gfn = 0x300;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), KVM_MEM_READONLY, GPA(gfn), 4 * PG,
				 TEST_HVA(0)), 0);
	s = slot(0, 0);
	/* Asked for writable by mistake: still read-only. */
	map(s, gfn, true, 1);
	assert_false(pte_val(0, gfn, 1) & X86_PTE_WRITABLE);
	assert_hit(s, gfn, false);
	assert_miss(0, gfn, true);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_map_2m(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 2 * MB / PG, e;
	unsigned long pfn;

	/* 4 MiB at gpa 2 MiB, hva 2 MiB aligned: two whole frames. */
	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(base), 4 * MB, TEST_HVA(0)), 0);
	s = slot(0, 0);
	map(s, base + 5, true, 2);
	e = pte_val(0, base, 2);
	assert_true(e & X86_PTE_LARGE);
	assert_int_equal(x86_pte_pfn(e), slot_pfn(s, base));
	assert_null(pte(0, base + 5, 1));
	assert_int_equal(nr_leaves(s, 2), 1);
	assert_int_equal(nr_leaves(s, 1), 0);

	/* Every page of the frame hits, at its own offset. */
	assert_hit(s, base, false);
	assert_hit(s, base + 300, true);
	assert_hit(s, base + LARGE - 1, false);
	assert_miss(0, base + LARGE, false);

	/* Not congruent: falls back to 4 KiB. */
	assert_int_equal(map_pfn(s, base + LARGE + 1, slot_pfn(s, base + LARGE + 1) + 1,
				 true, 2), 0);
	assert_false(pte_val(0, base + LARGE, 2) & X86_PTE_LARGE);
	assert_int_equal(walk(0, base + LARGE + 1, false, &pfn), KVM_MEMSLOT_WALK_HIT);
	assert_int_equal(pfn, slot_pfn(s, base + LARGE + 1) + 1);
	assert_int_equal(nr_leaves(s, 1), 1);
	/* (The audit rightly objects to that pfn: the host maps another.) */
	assert_int_equal(tvm_audit(vm), 1);
}

static void test_2m_needs_whole_frame(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 2 * MB / PG;

	/* A slot one page short of a frame never gets a 2 MiB leaf. */
	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(base), 2 * MB - PG, TEST_HVA(0)), 0);
	s = slot(0, 0);
	map(s, base + 7, true, 2);
	assert_false(pte_val(0, base, 2) & X86_PTE_LARGE);
	assert_hit(s, base + 7, true);
	assert_miss(0, base + 8, false);
	assert_int_equal(nr_leaves(s, 2), 0);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_replace_4k_and_2m(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 4 * MB / PG;
	unsigned long tables, f;

	assert_int_equal(tvm_set(vm, SLOT(0, 1), 0, GPA(base), 2 * MB, TEST_HVA(2 * MB)), 0);
	s = slot(0, 1);
	map(s, base + 1, true, 1);
	map(s, base + 2, false, 1);
	tables = mmu()->nr_tables;

	/*
	 * 2 MiB over a table of 4 KiB entries: the table is freed after a
	 * flush, before map() returns.
	 */
	f = flushes;
	map(s, base + 3, true, 2);
	assert_true(flushes > f);
	assert_int_equal(mmu()->nr_tables, tables - 1);
	assert_int_equal(nr_leaves(s, 1), 0);
	assert_int_equal(nr_leaves(s, 2), 1);
	assert_hit(s, base + 2, true);
	assert_int_equal(tvm_audit(vm), 0);

	/* And back: 4 KiB where the 2 MiB leaf is. */
	map(s, base + 9, true, 1);
	assert_int_equal(nr_leaves(s, 2), 0);
	assert_int_equal(nr_leaves(s, 1), 1);
	assert_hit(s, base + 9, true);
	assert_miss(0, base + 2, false);
	assert_int_equal(tvm_audit(vm), 0);
	assert_int_equal(mmu()->nr_tables, tables);
}

/*
 * A 4 KiB fault inside a 2 MiB leaf splits it: the leaf goes, and with it
 * every other page of the frame.  A vCPU may still be using the leaf, and
 * a later invalidation of another page of the frame finds nothing to zap
 * (and so does not flush), so the split itself must flush before the host
 * can free any page of the frame.
 */
static void test_split_2m_flushes(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 2 * MB / PG;
	unsigned long f;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(base), 2 * MB, TEST_HVA(0)), 0);
	s = slot(0, 0);
	map(s, base, true, 2);
	assert_hit(s, base + 100, true);

	f = flushes;
	map(s, base + 9, true, 1);
	assert_true(flushes > f);
	assert_false(pte_val(0, base, 2) & X86_PTE_LARGE);
	assert_hit(s, base + 9, true);
	assert_miss(0, base + 100, false);

	/* Nothing was mapped there: no flush for the page of the split... */
	f = flushes;
	assert_int_equal(unmap_op(s, base + 100, base + 101), 0);
	assert_int_equal(flushes, f);
	/* ...and none for a map that removes nothing. */
	map(s, base + 10, true, 1);
	assert_int_equal(flushes, f);
	assert_int_equal(tvm_audit(vm), 0);
}

/*
 * MMIO entries go only into last-level tables that exist: give @as_id one
 * for the 2 MiB region of @gfn, through a one-page slot at its end.
 */
static void make_table(int as_id, u16 id, u64 gfn)
{
	u64 last = ALIGN_DOWN(gfn, LARGE) + LARGE - 1;

	assert_int_equal(tvm_set(vm, SLOT(as_id, id), 0, GPA(last), PG,
				 TEST_HVA(64 * MB + id * PG)), 0);
	map(slot(as_id, id), last, true, 1);
}

static void test_mmio_generation(void **state)
{
	const u64 gfn = 0x5000;
	u64 gen, e;
	unsigned long pfn;

	make_table(0, 2, gfn);
	gen = tvm_generation(vm, 0);
	assert_int_equal(map_mmio(0, gfn, gen), 0);
	e = pte_val(0, gfn, 1);
	/* EPT: write without read, a misconfiguration; NPT: reserved bit 51. */
	if (is_ept())
		assert_int_equal(e & 7, 2);
	else
		assert_int_equal(e & (BIT_ULL(0) | BIT_ULL(51)), BIT_ULL(0) | BIT_ULL(51));
	assert_int_equal(walk(0, gfn, false, &pfn), KVM_MEMSLOT_WALK_MMIO);
	assert_int_equal(walk(0, gfn, true, &pfn), KVM_MEMSLOT_WALK_MMIO);
	assert_int_equal(walk(1, gfn, false, &pfn), KVM_MEMSLOT_WALK_MISS);
	/* Another generation, or one in update, makes it stale. */
	assert_int_equal(walk_gen(0, gfn, false, gen + 2, &pfn), KVM_MEMSLOT_WALK_MISS);
	assert_int_equal(walk_gen(0, gfn, false, gen + 1, &pfn), KVM_MEMSLOT_WALK_MISS);
	/* Same stored bits, another epoch. */
	assert_int_equal(walk_gen(0, gfn, false, gen + (2ULL << X86_MMIO_GEN_BITS), &pfn),
			 KVM_MEMSLOT_WALK_MISS);

	/* A slot update elsewhere makes it stale without touching it. */
	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(0x10), PG, TEST_HVA(0)), 0);
	assert_int_not_equal(tvm_generation(vm, 0), gen);
	assert_int_equal(walk(0, gfn, false, &pfn), KVM_MEMSLOT_WALK_MISS);
	assert_int_equal(pte_val(0, gfn, 1), e);
	assert_int_equal(tvm_audit(vm), 0);

	/* Refreshed in the new generation. */
	gen = tvm_generation(vm, 0);
	assert_int_equal(map_mmio(0, gfn, gen), 0);
	assert_int_equal(walk(0, gfn, false, &pfn), KVM_MEMSLOT_WALK_MMIO);

	/* Odd generation: nothing is cached. */
	assert_int_equal(map_mmio(0, gfn + 1, gen + 1), 0);
	assert_int_equal(pte_val(0, gfn + 1, 1), 0);

	/* A map replaces an MMIO entry. */
	assert_int_equal(tvm_set(vm, SLOT(0, 1), 0, GPA(gfn), PG, TEST_HVA(PG)), 0);
	map(slot(0, 1), gfn, true, 1);
	assert_hit(slot(0, 1), gfn, true);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_mmio_epoch_wrap(void **state)
{
	const u64 gen = 4, next = gen + (2ULL << X86_MMIO_GEN_BITS);
	unsigned long pfn;

	make_table(0, 2, 0x7000);
	make_table(1, 2, 0x7000);
	make_table(0, 3, 0x9000);
	assert_int_equal(map_mmio(0, 0x9000, gen), 0);
	assert_int_equal(map_mmio(0, 0x7000, gen), 0);
	assert_int_equal(map_mmio(1, 0x7000, gen), 0);
	assert_int_equal(walk_gen(0, 0x7000, false, gen, &pfn), KVM_MEMSLOT_WALK_MMIO);
	/*
	 * The first entry of a new epoch in a table clears the old ones of
	 * that table, and only those: an epoch change does not walk the
	 * tables.  Elsewhere the old entries stay, and no walk honours them.
	 */
	assert_int_equal(map_mmio(0, 0x7001, next), 0);
	assert_int_equal(pte_val(0, 0x7000, 1), 0);
	assert_int_not_equal(pte_val(1, 0x7000, 1), 0);
	assert_int_not_equal(pte_val(0, 0x9000, 1), 0);
	assert_int_equal(walk_gen(0, 0x9000, false, next, &pfn), KVM_MEMSLOT_WALK_MISS);
	assert_int_equal(walk_gen(0, 0x9000, false, next + 2, &pfn), KVM_MEMSLOT_WALK_MISS);
	assert_int_equal(tvm_audit(vm), 0);
	assert_int_equal(walk_gen(0, 0x7001, false, next, &pfn), KVM_MEMSLOT_WALK_MMIO);
	assert_int_equal(walk_gen(0, 0x7001, false, gen, &pfn), KVM_MEMSLOT_WALK_MISS);
	/* A late caller of the old epoch caches nothing. */
	assert_int_equal(map_mmio(0, 0x7002, gen), 0);
	assert_int_equal(pte_val(0, 0x7002, 1), 0);
}

/*
 * Accesses where no slot is must not make the tables grow: with nowhere
 * to cache them, MMIO entries are not cached, and every such access
 * exits through a fault, as it would with the entry stale.
 */
static void test_mmio_allocates_nothing(void **state)
{
	unsigned long tables, pfn;
	u64 i, gfn;

	make_table(0, 2, 0);
	tables = mmu()->nr_tables;
	for (i = 1; i < 1024; i++) {
		gfn = i * (1ULL << 18) + i * LARGE;	/* 1 GiB apart */
		assert_int_equal(map_mmio(0, gfn, tvm_generation(vm, 0)), 0);
		assert_int_equal(walk(0, gfn, false, &pfn), KVM_MEMSLOT_WALK_MISS);
	}
	assert_int_equal(mmu()->nr_tables, tables);
	/* Where the last-level table exists, the entry is cached. */
	assert_int_equal(map_mmio(0, 7, tvm_generation(vm, 0)), 0);
	assert_int_equal(walk(0, 7, false, &pfn), KVM_MEMSLOT_WALK_MMIO);
	assert_int_equal(mmu()->nr_tables, tables);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_delete_zaps_only_that_slot(void **state)
{
	const struct kvm_memory_slot *a, *b, *c;
	u64 abase = 0x1000, bbase = 0x1010, cbase = 2 * MB / PG;
	unsigned long f;
	u64 g;

	/* a and b share a last-level table; c has a 2 MiB leaf. */
	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(abase), 16 * PG, TEST_HVA(0)), 0);
	assert_int_equal(tvm_set(vm, SLOT(0, 1), 0, GPA(bbase), 16 * PG, TEST_HVA(16 * PG)), 0);
	assert_int_equal(tvm_set(vm, SLOT(0, 2), 0, GPA(cbase), 2 * MB, TEST_HVA(2 * MB)), 0);
	assert_int_equal(tvm_set(vm, SLOT(1, 0), 0, GPA(abase), 16 * PG, TEST_HVA(0)), 0);
	a = slot(0, 0);
	b = slot(0, 1);
	c = slot(0, 2);
	for (g = 0; g < 16; g++) {
		map(a, abase + g, true, 1);
		map(b, bbase + g, g & 1, 1);
	}
	map(c, cbase, true, 2);
	map(slot(1, 0), abase, true, 1);

	f = flushes;
	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(abase), 0, TEST_HVA(0)), 0);
	assert_true(flushes > f);
	for (g = 0; g < 16; g++) {
		assert_miss(0, abase + g, false);
		assert_null(tvm_find_id(vm, 0, 0));
		assert_hit(b, bbase + g, false);
	}
	assert_hit(c, cbase + 77, true);
	assert_hit(slot(1, 0), abase, true);
	assert_int_equal(tvm_audit(vm), 0);

	/* Deleting c zaps its 2 MiB leaf. */
	assert_int_equal(tvm_set(vm, SLOT(0, 2), 0, GPA(cbase), 0, TEST_HVA(0)), 0);
	assert_miss(0, cbase + 77, false);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_delete_unmapped_slot_no_flush(void **state)
{
	unsigned long f;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, 0, 1024 * MB, TEST_HVA(0)), 0);
	map(slot(0, 0), 12345, true, 1);
	assert_int_equal(tvm_set(vm, SLOT(0, 1), 0, 2048 * MB, 16 * PG, TEST_HVA(2048 * MB)), 0);
	f = flushes;
	/* Nothing mapped: nothing to zap, no flush. */
	assert_int_equal(tvm_set(vm, SLOT(0, 1), 0, 2048 * MB, 0, 0), 0);
	assert_int_equal(flushes, f);
	/* A large slot with one mapping: one zap, through the list. */
	assert_int_equal(nr_leaves(slot(0, 0), 1), 1);
	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, 0, 0, 0), 0);
	assert_int_equal(flushes, f + 1);
	assert_miss(0, 12345, false);
	assert_int_equal(tvm_audit(vm), 0);
}

/*
 * Deleting a slot zaps what its gfn range maps in bounded batches, each
 * ended by a flush before mmu_lock is dropped, and frees the tables that
 * served only that slot; a slot of 1 TiB costs nothing until it is used.
 */
static void test_delete_in_batches_frees_tables(void **state)
{
	const struct kvm_memory_slot *s;
	unsigned long f, roots;
	u64 g, npages = 64 * MB / PG;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, 0, 64 * MB, TEST_HVA(0)), 0);
	s = slot(0, 0);
	roots = mmu()->nr_tables;
	for (g = 0; g < npages; g++)
		map(s, g, true, 1);
	/* The L3 and L2 tables, and one L1 table per 2 MiB. */
	assert_int_equal(mmu()->nr_tables, roots + 2 + npages / LARGE);
	assert_int_equal(nr_leaves(s, 1), npages);

	f = flushes;
	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, 0, 0, 0), 0);
	/* 16384 entries to read: more than one hold of the lock. */
	assert_true(flushes - f >= npages / 4096);
	/* The L1 tables held only that slot; the L3 and L2 tables may serve others. */
	assert_int_equal(mmu()->nr_tables, roots + 2);
	assert_miss(0, 5, false);
	assert_int_equal(tvm_audit(vm), 0);

	/* 1 TiB: three pages mapped, then deleted. */
	assert_int_equal(tvm_set(vm, SLOT(0, 1), 0, 0, 1ULL << 40, TEST_HVA(0)), 0);
	s = slot(0, 1);
	npages = s->npages;
	map(s, 0, true, 1);
	map(s, npages / 2, true, 1);
	map(s, npages - 1, true, 1);
	assert_hit(s, npages - 1, true);
	assert_int_equal(nr_leaves(s, 1), 3);
	assert_int_equal(tvm_audit(vm), 0);
	/* The hook reports what it removed: the three leaves, then nothing. */
	assert_int_equal(vm->ops->flush_memslot(vm, s), 3);
	assert_int_equal(vm->ops->flush_memslot(vm, s), 0);
	assert_int_equal(tvm_set(vm, SLOT(0, 1), 0, 0, 0, 0), 0);
	assert_miss(0, npages / 2, false);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_move(void **state)
{
	const struct kvm_memory_slot *s;
	/* In one 2 MiB region, so that the MMIO entry at @to is cached. */
	u64 from = 0x2000, to = 0x2100;

	assert_int_equal(tvm_set(vm, SLOT(0, 3), 0, GPA(from), 8 * PG, TEST_HVA(0)), 0);
	map(slot(0, 3), from + 2, true, 1);
	assert_int_equal(map_mmio(0, to + 2, tvm_generation(vm, 0)), 0);
	assert_int_equal(walk(0, to + 2, false, &(unsigned long){ 0 }), KVM_MEMSLOT_WALK_MMIO);
	assert_int_equal(tvm_set(vm, SLOT(0, 3), 0, GPA(to), 8 * PG, TEST_HVA(0)), 0);
	s = slot(0, 3);
	assert_miss(0, from + 2, false);
	/* The stale MMIO entry at the destination is not honoured. */
	assert_miss(0, to + 2, false);
	assert_int_equal(nr_leaves(s, 1), 0);
	map(s, to + 2, true, 1);
	assert_hit(s, to + 2, true);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_dirty_log(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 2 * MB / PG, g;
	unsigned long f;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(base), 4 * MB, TEST_HVA(0)), 0);
	s = slot(0, 0);
	map(s, base, true, 2);				/* first frame: 2 MiB */
	for (g = LARGE; g < LARGE + 8; g++)
		map(s, base + g, true, 1);		/* second: 4 KiB */
	assert_hit(s, base + 5, true);
	assert_hit(s, base + LARGE + 3, true);

	/* Logging on: everything write-protected, 2 MiB leaves gone. */
	f = flushes;
	assert_int_equal(tvm_set(vm, SLOT(0, 0), KVM_MEM_LOG_DIRTY_PAGES, GPA(base), 4 * MB,
				 TEST_HVA(0)), 0);
	s = slot(0, 0);
	assert_non_null(s->dirty_bitmap);
	assert_true(flushes > f);
	assert_miss(0, base + 5, false);
	assert_int_equal(nr_leaves(s, 2), 0);
	assert_hit(s, base + LARGE + 3, false);
	assert_miss(0, base + LARGE + 3, true);
	assert_int_equal(tvm_audit(vm), 0);

	/* No 2 MiB mapping while logging. */
	map(s, base + 5, false, 2);
	assert_false(pte_val(0, base, 2) & X86_PTE_LARGE);

	/* A write fault: log, then map writable. */
	set_bit(LARGE + 3, s->dirty_bitmap);
	map(s, base + LARGE + 3, true, 1);
	assert_hit(s, base + LARGE + 3, true);
	assert_int_equal(tvm_audit(vm), 0);

	/* Writable with the bit clear: the audit sees a write that would be lost. */
	map(s, base + LARGE + 4, true, 1);
	assert_int_equal(tvm_audit(vm), 1);

	/* Harvest: take the bits, protect their pages. */
	clear_bit(LARGE + 3, s->dirty_bitmap);
	assert_true(protect(s, LARGE, BIT(3) | BIT(4) | BIT(6)));
	assert_miss(0, base + LARGE + 3, true);
	assert_miss(0, base + LARGE + 4, true);
	assert_hit(s, base + LARGE + 3, false);
	assert_int_equal(tvm_audit(vm), 0);
	/* Nothing writable left there: no flush needed. */
	assert_false(protect(s, LARGE, BIT(3) | BIT(4)));
	/* Bits past the slot's end are ignored. */
	assert_false(protect(s, s->npages - 1, ~0UL));

	/* Logging off: nothing to do, faults map writable again. */
	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(base), 4 * MB, TEST_HVA(0)), 0);
	s = slot(0, 0);
	map(s, base + LARGE + 3, true, 1);
	assert_hit(s, base + LARGE + 3, true);
	assert_int_equal(tvm_audit(vm), 0);
}

/* ---- the tracepoints an update fires, with the backend's counts ---- */

#define MAX_EVENTS	16

static struct trace_rec {
	const char *name;
	union {
		struct trace_event_raw_kvm_memslot_publish publish;
		struct trace_event_raw_kvm_memslot_grace_period gp;
		struct trace_event_raw_kvm_memslot_flush_memslot flush;
		char raw[64];
	};
} events[MAX_EVENTS];
static unsigned int nr_events;

static void record_event(const char *name, const void *entry, size_t size)
{
	struct trace_rec *e;

	assert_true(nr_events < MAX_EVENTS);
	e = &events[nr_events++];
	e->name = name;
	assert_true(size <= sizeof(e->raw));
	memcpy(e->raw, entry, size);
}

static const struct trace_rec *event(unsigned int i, const char *name)
{
	assert_true(i < nr_events);
	assert_string_equal(events[i].name, name);
	return &events[i];
}

static void assert_publish(unsigned int i, u64 gen, unsigned int kind,
			   unsigned int phase)
{
	const struct trace_rec *e = event(i, "kvm_memslot_publish");

	assert_int_equal(e->publish.as_id, 0);
	assert_int_equal(e->publish.generation, gen);
	assert_int_equal(e->publish.kind, kind);
	assert_int_equal(e->publish.phase, phase);
}

static void assert_flush(unsigned int i, u16 id, u64 base, unsigned long npages,
			 unsigned long removed)
{
	const struct trace_rec *e = event(i, "kvm_memslot_flush_memslot");

	assert_int_equal(e->flush.as_id, 0);
	assert_int_equal(e->flush.id, id);
	assert_int_equal(e->flush.base_gfn, base);
	assert_int_equal(e->flush.npages, npages);
	assert_int_equal(e->flush.removed, removed);
}

/*
 * A create publishes once; a delete or move publishes an INVALID set,
 * waits, flushes (reporting what the tables held: a 2 MiB leaf counts
 * once), publishes again; enabling dirty logging waits after publishing.
 */
static void test_trace_events(void **state)
{
	u64 base = 2 * MB / PG, gen = tvm_generation(vm, 0);
	u64 g;

	nr_events = 0;
	harness_trace_hook = record_event;
	assert_int_equal(tvm_set(vm, SLOT(0, 1), 0, GPA(base), 4 * MB, TEST_HVA(0)), 0);
	assert_int_equal(nr_events, 1);
	assert_publish(0, gen + 2, KVM_MEMSLOT_CREATE, KVM_MEMSLOT_TRACE_FINAL);

	map(slot(0, 1), base, true, 2);
	for (g = LARGE; g < LARGE + 5; g++)
		map(slot(0, 1), base + g, true, 1);
	nr_events = 0;
	assert_int_equal(tvm_set(vm, SLOT(0, 1), 0, GPA(base + 2 * LARGE), 4 * MB,
				 TEST_HVA(0)), 0);
	assert_int_equal(nr_events, 4);
	assert_publish(0, gen + 3, KVM_MEMSLOT_MOVE, KVM_MEMSLOT_TRACE_INVALID);
	assert_int_equal(event(1, "kvm_memslot_grace_period")->gp.why,
			 KVM_MEMSLOT_TRACE_WAIT_TRANSITION);
	assert_int_equal(event(1, "kvm_memslot_grace_period")->gp.generation, gen + 3);
	assert_flush(2, 1, base, 2 * LARGE, 6);
	assert_publish(3, gen + 4, KVM_MEMSLOT_MOVE, KVM_MEMSLOT_TRACE_FINAL);

	nr_events = 0;
	assert_int_equal(tvm_set(vm, SLOT(0, 1), KVM_MEM_LOG_DIRTY_PAGES,
				 GPA(base + 2 * LARGE), 4 * MB, TEST_HVA(0)), 0);
	assert_int_equal(nr_events, 2);
	assert_publish(0, gen + 6, KVM_MEMSLOT_FLAGS_ONLY, KVM_MEMSLOT_TRACE_FINAL);
	assert_int_equal(event(1, "kvm_memslot_grace_period")->gp.why,
			 KVM_MEMSLOT_TRACE_WAIT_DIRTY_LOG);

	map(slot(0, 1), base + 2 * LARGE + 7, true, 1);
	nr_events = 0;
	assert_int_equal(tvm_set(vm, SLOT(0, 1), 0, 0, 0, 0), 0);
	harness_trace_hook = NULL;
	assert_int_equal(nr_events, 4);
	assert_publish(0, gen + 7, KVM_MEMSLOT_DELETE, KVM_MEMSLOT_TRACE_INVALID);
	event(1, "kvm_memslot_grace_period");
	assert_flush(2, 1, base + 2 * LARGE, 2 * LARGE, 1);
	assert_publish(3, gen + 8, KVM_MEMSLOT_DELETE, KVM_MEMSLOT_TRACE_FINAL);
}

static void test_unmap_gfn_range(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 2 * MB / PG, g;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(base), 4 * MB, TEST_HVA(0)), 0);
	s = slot(0, 0);
	for (g = 0; g < 32; g++)
		map(s, base + g, true, 1);
	map(s, base + LARGE, true, 2);

	assert_int_equal(unmap_op(s, base + 4, base + 8), 4);
	for (g = 0; g < 32; g++) {
		if (g >= 4 && g < 8)
			assert_miss(0, base + g, false);
		else
			assert_hit(s, base + g, false);
	}
	assert_int_equal(unmap_op(s, base + 4, base + 8), 0);
	assert_int_equal(unmap_op(s, base + 100, base + 200), 0);
	/* Large range, few mappings: found through the list. */
	assert_int_equal(unmap_op(s, base, base + 31), 27);
	assert_hit(s, base + 31, false);
	assert_int_equal(nr_leaves(s, 1), 1);

	/* One page of a 2 MiB leaf takes the whole leaf. */
	assert_int_equal(unmap_op(s, base + LARGE + 9, base + LARGE + 10), 1);
	assert_miss(0, base + LARGE + 100, false);
	assert_int_equal(nr_leaves(s, 2), 0);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_aging(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 2 * MB / PG;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(base), 4 * MB, TEST_HVA(0)), 0);
	s = slot(0, 0);
	map(s, base + 1, true, 1);
	map(s, base + LARGE, true, 2);

	/* Nothing accessed yet. */
	assert_false(range_op(vm->ops->test_age_gfn_range, s, base, base + 2 * LARGE));
	assert_false(range_op(vm->ops->age_gfn_range, s, base, base + 2 * LARGE));

	assert_hit(s, base + 1, false);
	assert_true(range_op(vm->ops->test_age_gfn_range, s, base, base + 2));
	assert_false(range_op(vm->ops->test_age_gfn_range, s, base + 2, base + 10));
	assert_true(range_op(vm->ops->test_age_gfn_range, s, base + 1, base + 2));
	assert_true(range_op(vm->ops->age_gfn_range, s, base, base + 2));
	assert_false(range_op(vm->ops->test_age_gfn_range, s, base, base + 2));
	assert_false(pte_val(0, base + 1, 1) & mmu()->fmt->accessed);
	/* Aging keeps the translation. */
	assert_hit(s, base + 1, true);

	assert_hit(s, base + LARGE + 7, false);
	assert_true(range_op(vm->ops->test_age_gfn_range, s, base + LARGE + 300,
			     base + LARGE + 301));
	assert_true(range_op(vm->ops->age_gfn_range, s, base + LARGE, base + 2 * LARGE));
	assert_false(range_op(vm->ops->test_age_gfn_range, s, base + LARGE, base + 2 * LARGE));
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_audit_catches_corruption(void **state)
{
	const struct kvm_memory_slot *s, *ro;
	u64 base = 0x100, rbase = 0x200, saved;
	u64 *p;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(base), 16 * PG, TEST_HVA(0)), 0);
	assert_int_equal(tvm_set(vm, SLOT(0, 1), KVM_MEM_READONLY, GPA(rbase), 16 * PG,
				 TEST_HVA(16 * PG)), 0);
	s = slot(0, 0);
	ro = slot(0, 1);
	map(s, base, true, 1);
	map(s, base + 1, false, 1);
	map(ro, rbase, false, 1);
	assert_int_equal(map_mmio(0, 0x1f0, tvm_generation(vm, 0)), 0);
	assert_int_equal(tvm_audit(vm), 0);

	/* Another pfn than the host maps. */
	p = pte(0, base, 1);
	saved = *p;
	*p += 1ULL << PAGE_SHIFT;
	assert_int_equal(tvm_audit(vm), 1);
	*p = saved;

	/* Host no longer maps the page writable (a missed invalidation). */
	host_readonly = true;
	assert_int_equal(tvm_audit(vm), 1);
	host_readonly = false;
	host_unmapped_hva = kvm_memslot_gfn_to_hva(s, base + 1);
	assert_int_equal(tvm_audit(vm), 1);
	host_unmapped_hva = 0;

	/* Writable on a read-only slot. */
	p = pte(0, rbase, 1);
	*p |= X86_PTE_WRITABLE;
	assert_int_equal(tvm_audit(vm), 1);
	*p &= ~X86_PTE_WRITABLE;

	/* A leaf for a gfn no slot backs. */
	p = pte(0, 0x1f0, 1);
	saved = *p;
	*p = *pte(0, base, 1);
	assert_true(tvm_audit(vm) >= 1);

	/* A current MMIO entry for a gfn a slot backs. */
	*pte(0, base + 2, 1) = saved;
	*p = 0;
	assert_int_equal(tvm_audit(vm), 1);
	*pte(0, base + 2, 1) = 0;
	assert_int_equal(tvm_audit(vm), 0);

	/* An MMIO entry above the last level. */
	p = pte(0, base, 2);
	saved = *p;
	*p = mmu()->fmt->mmio_value;
	assert_int_equal(tvm_audit(vm), 1);
	*p = saved;
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_smm_address_space(void **state)
{
	const struct kvm_memory_slot *s0, *s1;
	u64 gfn = 0xa0;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(gfn), PG, TEST_HVA(0)), 0);
	assert_int_equal(tvm_set(vm, SLOT(1, 0), 0, GPA(gfn), PG, TEST_HVA(PG)), 0);
	s0 = slot(0, 0);
	s1 = slot(1, 0);
	map(s0, gfn, true, 1);
	assert_miss(1, gfn, false);
	map(s1, gfn, true, 1);
	assert_hit(s0, gfn, true);
	assert_hit(s1, gfn, true);
	assert_int_not_equal(slot_pfn(s0, gfn), slot_pfn(s1, gfn));
	assert_int_equal(tvm_set(vm, SLOT(1, 0), 0, GPA(gfn), 0, 0), 0);
	assert_hit(s0, gfn, true);
	assert_miss(1, gfn, false);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_map_errors(void **state)
{
	const struct kvm_memory_slot *s;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(0x10), 4 * PG, TEST_HVA(0)), 0);
	s = slot(0, 0);
	assert_int_equal(map_pfn(s, 0x10 + 4, 1, true, 1), -EINVAL);
	assert_int_equal(map_pfn(s, 0xf, 1, true, 1), -EINVAL);
	assert_int_equal(map_pfn(s, 0x10, 1, true, 3), -EINVAL);
	/*
	 * Out of memory for a table: the cache cannot be filled, which the
	 * fault returns as -ENOMEM; nothing half done.
	 */
	kvm_memslot_mmu_cache_free(&cache);
	harness_alloc_fail_nth = 1;
	assert_int_equal(map_pfn(s, 0x10, slot_pfn(s, 0x10), true, 1), -ENOMEM);
	harness_alloc_fail_nth = 3;
	assert_int_equal(map_pfn(s, 0x10, slot_pfn(s, 0x10), true, 1), -ENOMEM);
	harness_alloc_fail_nth = 0;
	/* A cache too small for the tables needed: -ENOMEM under the lock. */
	kvm_memslot_mmu_cache_free(&cache);
	assert_int_equal(kvm_memslot_mmu_cache_topup(&cache, 1), 0);
	spin_lock(&vm->mmu_lock);
	assert_int_equal(vm->ops->map(vm, s, 0x10, slot_pfn(s, 0x10), true, PAGE_SHIFT, &cache),
			 -ENOMEM);
	spin_unlock(&vm->mmu_lock);
	assert_int_equal(cache.nr, 0);
	assert_int_equal(nr_leaves(s, 1), 0);
	assert_miss(0, 0x10, false);
	assert_int_equal(tvm_audit(vm), 0);
	map(s, 0x10, true, 1);
	assert_hit(s, 0x10, true);
}

static void test_flush_all(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 2 * MB / PG, g;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(base), 8 * MB, TEST_HVA(0)), 0);
	s = slot(0, 0);
	for (g = 0; g < 4 * LARGE; g += 7)
		map(s, base + g, g & 1, g < 2 * LARGE ? 1 : 2);
	assert_int_equal(map_mmio(0, 0x9999, tvm_generation(vm, 0)), 0);
	assert_int_equal(tvm_audit(vm), 0);

	/* As at mm release: everything goes, the VM lives on. */
	vm->ops->flush_all(vm);
	assert_null(vm->arch);
	assert_int_equal(nr_leaves(s, 1), 0);
	assert_int_equal(nr_leaves(s, 2), 0);
	assert_miss(0, base, false);
	assert_int_equal(tvm_audit(vm), 0);

	/*
	 * No tables, no translation (the mm is gone: no fault comes); the
	 * next slot prepared brings them back; destroy frees them (no leak).
	 */
	assert_int_equal(map_pfn(s, base + 1, slot_pfn(s, base + 1), true, 1), -ENOMEM);
	assert_int_equal(tvm_set(vm, SLOT(0, 1), 0, GPA(base + 4 * LARGE), PG,
				 TEST_HVA(64 * MB)), 0);
	map(s, base + 1, true, 1);
	assert_hit(s, base + 1, true);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_many_slots_teardown(void **state)
{
	u64 id, g;

	for (id = 0; id < 64; id++) {
		u64 base = id * 2 * LARGE;

		assert_int_equal(tvm_set(vm, SLOT(id & 1, id), 0, GPA(base), 4 * MB,
					 TEST_HVA(id * 4 * MB)), 0);
		for (g = 0; g < 2 * LARGE; g += 97)
			map(slot(id & 1, id), base + g, true, (g & 1) + 1);
	}
	assert_int_equal(tvm_audit(vm), 0);
	for (id = 0; id < 64; id += 3)
		assert_int_equal(tvm_set(vm, SLOT(id & 1, id), 0, 0, 0, 0), 0);
	assert_int_equal(tvm_audit(vm), 0);
}

/* ---- the walker's contract (mmu.h), on which every operation rests ---- */

struct visit_log {
	unsigned int n;
	unsigned int stop_at;	/* 1-based visit that ends the walk; 0: none */
	struct {
		unsigned int visit;
		int level;
		u64 gfn;
		u64 old;
	} v[32];
};

static int log_visit(const struct x86_walk_ctx *ctx)
{
	struct visit_log *log = ctx->arg;

	assert_true(log->n < ARRAY_SIZE(log->v));
	/* Nothing changed the entry since the walker read it. */
	assert_int_equal(*ctx->sptep, ctx->old);
	log->v[log->n].visit = ctx->visit;
	log->v[log->n].level = ctx->level;
	log->v[log->n].gfn = ctx->gfn;
	log->v[log->n].old = ctx->old;
	log->n++;
	return log->n == log->stop_at ? 7 : 0;
}

static int walk_log(int as_id, u64 start, u64 end, unsigned int flags,
		    int level, struct visit_log *log)
{
	struct x86_walker w = {
		.cb = log_visit, .arg = log, .flags = flags, .level = level,
	};

	log->n = 0;
	return x86_mmu_walk_range(mmu(), as_id, start, end, &w);
}

static void assert_visit(const struct visit_log *log, unsigned int i,
			 unsigned int visit, int level, u64 gfn)
{
	assert_true(i < log->n);
	assert_int_equal(log->v[i].visit, visit);
	assert_int_equal(log->v[i].level, level);
	assert_int_equal(log->v[i].gfn, gfn);
}

/*
 * Visits come in gfn order, a table's entry before (PRE) and after (POST)
 * the walk of its table, zero entries skipped unless X86_WALK_EMPTY asks
 * for them; a non-zero return ends the walk with that value.
 */
static void test_walker_order_and_flags(void **state)
{
	const unsigned int all = X86_WALK_LEAF | X86_WALK_TABLE_PRE |
				 X86_WALK_TABLE_POST;
	const struct kvm_memory_slot *s;
	u64 base = 2 * MB / PG, far = 1ULL << 27;
	struct visit_log log = {};

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(base), 4 * MB, TEST_HVA(0)), 0);
	s = slot(0, 0);
	map(s, base, true, 2);
	map(s, base + LARGE + 3, true, 1);
	map(s, base + LARGE + 7, false, 1);

	assert_int_equal(walk_log(0, base, base + 2 * LARGE, all, 0, &log), 0);
	assert_int_equal(log.n, 9);
	assert_visit(&log, 0, X86_WALK_TABLE_PRE, 4, 0);
	assert_visit(&log, 1, X86_WALK_TABLE_PRE, 3, 0);
	assert_visit(&log, 2, X86_WALK_LEAF, 2, base);
	assert_true(log.v[2].old & X86_PTE_LARGE);
	assert_visit(&log, 3, X86_WALK_TABLE_PRE, 2, base + LARGE);
	assert_visit(&log, 4, X86_WALK_LEAF, 1, base + LARGE + 3);
	assert_visit(&log, 5, X86_WALK_LEAF, 1, base + LARGE + 7);
	assert_visit(&log, 6, X86_WALK_TABLE_POST, 2, base + LARGE);
	assert_int_equal(log.v[6].old, log.v[3].old);
	assert_visit(&log, 7, X86_WALK_TABLE_POST, 3, 0);
	assert_visit(&log, 8, X86_WALK_TABLE_POST, 4, 0);

	/* Leaves only; the range cuts entries, not the 2 MiB leaf. */
	assert_int_equal(walk_log(0, base + 5, base + LARGE + 4, X86_WALK_LEAF, 0, &log), 0);
	assert_int_equal(log.n, 2);
	assert_visit(&log, 0, X86_WALK_LEAF, 2, base);
	assert_visit(&log, 1, X86_WALK_LEAF, 1, base + LARGE + 3);
	assert_int_equal(walk_log(0, base + LARGE + 4, base + LARGE + 7,
				  X86_WALK_LEAF, 0, &log), 0);
	assert_int_equal(log.n, 0);

	/* EMPTY: the zero entry where the walk of one gfn ends. */
	assert_int_equal(walk_log(0, base + LARGE + 4, base + LARGE + 5,
				  X86_WALK_LEAF | X86_WALK_EMPTY, 0, &log), 0);
	assert_int_equal(log.n, 1);
	assert_visit(&log, 0, X86_WALK_LEAF, 1, base + LARGE + 4);
	assert_int_equal(log.v[0].old, 0);
	assert_int_equal(walk_log(0, far, far + 1, X86_WALK_LEAF | X86_WALK_EMPTY, 0, &log), 0);
	assert_int_equal(log.n, 1);
	assert_visit(&log, 0, X86_WALK_LEAF, 4, far);

	/* A visitor ends the walk with what it returns. */
	log.stop_at = 2;
	assert_int_equal(walk_log(0, base, base + 2 * LARGE, all, 0, &log), 7);
	assert_int_equal(log.n, 2);
	log.stop_at = 0;

	/* Past the 48 bits of the tables there is nothing to visit. */
	assert_int_equal(walk_log(0, 1ULL << X86_MMU_GFN_BITS, ~0ULL, all, 0, &log), 0);
	assert_int_equal(log.n, 0);
}

/* The lowest level: an entry there is a leaf to the walk, table or not. */
static void test_walker_lowest_level(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 2 * MB / PG;
	struct visit_log log = {};

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(base), 4 * MB, TEST_HVA(0)), 0);
	s = slot(0, 0);
	map(s, base, true, 2);
	map(s, base + LARGE + 3, true, 1);

	assert_int_equal(walk_log(0, base, base + 2 * LARGE, X86_WALK_LEAF, 2, &log), 0);
	assert_int_equal(log.n, 2);
	assert_visit(&log, 0, X86_WALK_LEAF, 2, base);
	assert_visit(&log, 1, X86_WALK_LEAF, 2, base + LARGE);
	assert_true(x86_pte_is_table(mmu()->fmt, log.v[1].old, 2));
	/* Nor is it walked for a TABLE_POST visit. */
	assert_int_equal(walk_log(0, base + LARGE, base + LARGE + 1,
				  X86_WALK_LEAF | X86_WALK_TABLE_POST, 2, &log), 0);
	assert_int_equal(log.n, 3);
	assert_visit(&log, 0, X86_WALK_LEAF, 2, base + LARGE);
	assert_visit(&log, 1, X86_WALK_TABLE_POST, 3, 0);
	assert_visit(&log, 2, X86_WALK_TABLE_POST, 4, 0);

	/* x86_mmu_lookup() is such a walk. */
	assert_ptr_equal(pte(0, base + LARGE + 3, 2), pte(0, base + LARGE, 2));
	assert_null(pte(0, base + 3, 1));		/* under a 2 MiB leaf */
	assert_null(pte(0, 1ULL << 27, 1));		/* no table */
	assert_non_null(pte(0, base + LARGE + 4, 1));	/* a zero entry */
	assert_int_equal(pte_val(0, base + LARGE + 4, 1), 0);
}

/* A walk with a budget resumes where it stopped and visits each entry once. */
static void test_walker_budget_resumes(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 2 * MB / PG, g, next;
	struct visit_log log = {};
	struct x86_walker w = {
		.cb = log_visit, .arg = &log, .flags = X86_WALK_LEAF,
		.budget = X86_MMU_LEVELS + 1,
	};
	unsigned int rounds = 0;
	int r;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(base), 4 * MB, TEST_HVA(0)), 0);
	s = slot(0, 0);
	map(s, base, true, 2);
	for (g = 0; g < 16; g += 3)
		map(s, base + LARGE + g, true, 1);

	next = base;
	do {
		w.visited = 0;
		r = x86_mmu_walk_range(mmu(), 0, next, base + 2 * LARGE, &w);
		next = w.next;
		assert_true(++rounds < 1000);
	} while (r == -EAGAIN);
	assert_int_equal(r, 0);
	assert_true(rounds > 1);
	assert_int_equal(log.n, 1 + 6);
	assert_visit(&log, 0, X86_WALK_LEAF, 2, base);
	for (g = 0; g < 6; g++)
		assert_visit(&log, 1 + g, X86_WALK_LEAF, 1, base + LARGE + 3 * g);
}

/* Harvesting write-protects the pages of the mask's set bits, no others. */
static void test_protect_gfns_mask(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 0x1000, g;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), KVM_MEM_LOG_DIRTY_PAGES, GPA(base),
				 128 * PG, TEST_HVA(0)), 0);
	s = slot(0, 0);
	for (g = 60; g < 128; g++) {
		set_bit(g, s->dirty_bitmap);
		map(s, base + g, true, 1);
	}
	/* Bits 1, 5 and 63 of a mask at offset 64: pages 65, 69 and 127. */
	assert_true(protect(s, 64, BIT(1) | BIT(5) | BIT(63)));
	for (g = 60; g < 128; g++) {
		bool wp = g == 65 || g == 69 || g == 127;

		assert_int_equal(!(pte_val(0, base + g, 1) & X86_PTE_WRITABLE), wp);
	}
	/* Past the slot's end: nothing. */
	assert_false(protect(s, 100, ~0UL << 28));
	assert_false(protect(s, 128, ~0UL));
	assert_false(protect(s, 64, 0));
	assert_int_equal(tvm_audit(vm), 0);
}

#define X86_TEST(fn) \
	cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, (void *)ops)

static int run(const struct kvm_memslot_ops *ops)
{
	const struct CMUnitTest tests[] = {
		X86_TEST(test_map_walk_4k),
		X86_TEST(test_write_permission_and_ad_bits),
		X86_TEST(test_readonly_slot),
		X86_TEST(test_map_2m),
		X86_TEST(test_2m_needs_whole_frame),
		X86_TEST(test_replace_4k_and_2m),
		X86_TEST(test_split_2m_flushes),
		X86_TEST(test_mmio_generation),
		X86_TEST(test_mmio_epoch_wrap),
		X86_TEST(test_mmio_allocates_nothing),
		X86_TEST(test_delete_zaps_only_that_slot),
		X86_TEST(test_delete_unmapped_slot_no_flush),
		X86_TEST(test_delete_in_batches_frees_tables),
		X86_TEST(test_move),
		X86_TEST(test_dirty_log),
		X86_TEST(test_unmap_gfn_range),
		X86_TEST(test_trace_events),
		X86_TEST(test_aging),
		X86_TEST(test_audit_catches_corruption),
		X86_TEST(test_smm_address_space),
		X86_TEST(test_map_errors),
		X86_TEST(test_flush_all),
		X86_TEST(test_many_slots_teardown),
		X86_TEST(test_walker_order_and_flags),
		X86_TEST(test_walker_lowest_level),
		X86_TEST(test_walker_budget_resumes),
		X86_TEST(test_protect_gfns_mask),
	};

	return _cmocka_run_group_tests(ops->name, tests, ARRAY_SIZE(tests), NULL, NULL);
}

int main(void)
{
	int failed;

	assert_int_equal(kvm_memslot_x86_backend_init(), 0);
	failed = run(&kvm_memslot_x86_ept_ops);
	failed += run(&kvm_memslot_x86_npt_ops);
	return failed ? 1 : 0;
}
