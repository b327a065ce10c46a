// SPDX-License-Identifier: GPL-2.0-only
/*
 * The arm64 backend's stage-2 tables (arch/arm64/kvm/stage2_*.c), driven
 * through its hooks the way the generic side drives them: descriptor
 * encoding, start level and concatenation for every IPA size, block or
 * page, the faults of a walk, break-before-make checked by a recording TLB
 * model, unmap of a range and of a slot, write protection and block
 * splitting for dirty logging, aging, the audit, and teardown without
 * leaks.
 *
 * The generic side's remote TLB flush (the DSB that completes TLBIs) and
 * host page-table peek are faked: the "host" maps hva h at pfn
 * (h >> PAGE_SHIFT) + HOST_PFN_BIAS, which keeps 2 MiB congruence.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"

#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/kvm_memslot_host.h>
#include <uapi/linux/kvm_memslot.h>
#include "../../arch/arm64/kvm/memslot_arm64.h"
#include "../../arch/arm64/kvm/stage2.h"

#define HOST_PFN_BIAS	0x40000UL
#define MB		(1024UL * 1024)
#define BLOCK		512UL		/* pages of a 2 MiB block */
#define SHIFT_4K	12
#define SHIFT_2M	21

/* ---- the recording TLB model ---- */

#define MAX_EVENTS	4096
#define EV_DSB		100	/* after the S2_EV_* the backend reports */

struct event {
	int ev;
	u64 *ptep;
	u64 old;	/* stores: the value replaced */
	u64 val;
	u64 ipa;
	int level;
};

static struct event events[MAX_EVENTS];
static unsigned int nr_events;
static bool recording;
static unsigned long flushes;
static bool host_readonly;

static void record(int ev, u64 *ptep, u64 val, u64 ipa, int level)
{
	if (!recording)
		return;
	assert_true(nr_events < MAX_EVENTS);
	events[nr_events++] = (struct event){ ev, ptep, ptep ? *ptep : 0, val,
					      ipa, level };
}

static void start_recording(void)
{
	nr_events = 0;
	recording = true;
}

static void observe(void *arg, enum arm64_s2_event ev, u64 *ptep, u64 val,
		    u64 ipa, int level)
{
	record(ev, ptep, val, ipa, level);
}

static const struct arm64_s2_observer observer = { .fn = observe };

/* The DSB ISH that completes the TLBIs issued before it. */
void kvm_memslot_flush_remote_tlbs(struct kvm_memslot_vm *vm)
{
	flushes++;
	record(EV_DSB, NULL, 0, 0, 0);
}

static unsigned long host_pfn(unsigned long hva)
{
	return (hva >> PAGE_SHIFT) + HOST_PFN_BIAS;
}

int kvm_memslot_hva_to_pfn_peek(struct kvm_memslot_vm *vm, unsigned long hva,
				unsigned long *pfn)
{
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

/*
 * Replays the recorded events against a shadow of the descriptors and
 * counts the breaks of break-before-make: a store that replaces a valid
 * descriptor by a valid one of another output address or kind, and a
 * store of a valid descriptor where a descriptor was invalidated and has
 * not yet had a TLBI covering it and a DSB after that TLBI.  *@bbm gets
 * how many stores completed a break-before-make.
 */
static unsigned int bbm_violations(unsigned int *bbm)
{
	struct shadow {
		u64 *ptep;
		u64 val;
		int state;	/* 0 clean, 1 invalidated, 2 TLBI'd */
		bool broken;	/* a valid descriptor was removed here */
		u64 ipa;
	} *sh = calloc(MAX_EVENTS, sizeof(*sh));
	unsigned int i, j, n = 0, bad = 0;

	assert_non_null(sh);
	*bbm = 0;
	for (i = 0; i < nr_events; i++) {
		struct event *e = &events[i];
		struct shadow *s = NULL;

		if (e->ev == S2_EV_TLBI_IPA || e->ev == S2_EV_TLBI_VMID) {
			for (j = 0; j < n; j++)
				if (sh[j].state == 1 &&
				    (e->ev == S2_EV_TLBI_VMID || sh[j].ipa == e->ipa))
					sh[j].state = 2;
			continue;
		}
		if (e->ev == EV_DSB) {
			for (j = 0; j < n; j++)
				if (sh[j].state == 2)
					sh[j].state = 0;
			continue;
		}
		for (j = 0; j < n; j++)
			if (sh[j].ptep == e->ptep)
				s = &sh[j];
		if (!s) {
			s = &sh[n++];
			s->ptep = e->ptep;
			s->val = e->old;
		}
		if (!s2_pte_valid(e->val)) {
			if (s2_pte_valid(s->val)) {
				s->state = 1;
				s->broken = true;
				/* The IPA it mapped: that of the next TLBI. */
				for (j = i + 1; j < nr_events; j++)
					if (events[j].ev == S2_EV_TLBI_IPA ||
					    events[j].ev == S2_EV_TLBI_VMID) {
						s->ipa = events[j].ipa;
						break;
					}
			}
		} else {
			for (j = 0; j < n; j++)
				if (sh[j].state)
					bad++;	/* a BBM is still in progress */
			if (s2_pte_valid(s->val) &&
			    (s->val & ~S2_DESC_PERM_BITS) != (e->val & ~S2_DESC_PERM_BITS))
				bad++;	/* valid to valid: only permissions/AF */
			if (s->broken) {
				(*bbm)++;
				s->broken = false;
			}
		}
		s->val = e->val;
	}
	free(sh);
	return bad;
}

/* Assert the recorded events keep BBM; return how many BBMs they made. */
static unsigned int check_bbm(void)
{
	unsigned int bbm;

	assert_int_equal(bbm_violations(&bbm), 0);
	return bbm;
}

/* ---- helpers ---- */

static struct kvm_memslot_vm *vm;
static struct kvm_memslot_mmu_cache cache;

static struct kvm_memslot_vm *create(unsigned long type)
{
	struct kvm_memslot_vm *v = tvm_create(&kvm_memslot_arm64_ops, NULL);

	assert_int_equal(v->ops->init_vm(v, type), 0);
	((struct arm64_s2 *)v->arch)->observer = &observer;
	return v;
}

static void destroy(struct kvm_memslot_vm *v)
{
	/* The stage-2 tables are freed by destroy_vm, after flush_all. */
	v->ops->flush_all(v);
	assert_int_equal(((struct arm64_s2 *)v->arch)->nr_tables, 0);
	v->ops->destroy_vm(v);
	tvm_destroy(v);
}

static int setup(void **state)
{
	vm = create(KVM_MEMSLOT_VM_ARM64);
	flushes = 0;
	nr_events = 0;
	recording = false;
	host_readonly = false;
	return 0;
}

static int teardown(void **state)
{
	kvm_memslot_mmu_cache_free(&cache);
	destroy(vm);
	vm = NULL;
	return 0;
}

static struct arm64_s2 *s2(void)
{
	return vm->arch;
}

static const struct kvm_memory_slot *slot(u16 id)
{
	const struct kvm_memory_slot *s = tvm_find_id(vm, 0, id);

	assert_non_null(s);
	return s;
}

static unsigned long slot_pfn(const struct kvm_memory_slot *s, u64 gfn)
{
	return host_pfn(kvm_memslot_gfn_to_hva(s, gfn));
}

static int map_pfn(const struct kvm_memory_slot *s, u64 gfn, unsigned long pfn,
		   bool writable, unsigned int shift)
{
	int r;

	r = kvm_memslot_mmu_cache_topup(&cache, vm->ops->map_cache_pages);
	if (r)
		return r;
	spin_lock(&vm->mmu_lock);
	r = vm->ops->map(vm, s, gfn, pfn, writable, shift, &cache);
	spin_unlock(&vm->mmu_lock);
	return r;
}

/* Map @gfn to the page the host maps at its address, as a fault would. */
static void map(const struct kvm_memory_slot *s, u64 gfn, bool writable,
		unsigned int shift)
{
	assert_int_equal(map_pfn(s, gfn, slot_pfn(s, gfn), writable, shift), 0);
}

static int fault_of(u64 gfn, bool write, unsigned long *pfn)
{
	return arm64_s2_walk_access(s2(), GPA(gfn) + 0x123, write, pfn);
}

static void assert_hit(const struct kvm_memory_slot *s, u64 gfn, bool write)
{
	unsigned long pfn = 0;

	assert_int_equal(fault_of(gfn, write, &pfn), S2_FAULT_NONE);
	assert_int_equal(pfn, slot_pfn(s, gfn));
	assert_int_equal(vm->ops->translate(vm, 0, GPA(gfn), write, 0, &pfn),
			 KVM_MEMSLOT_WALK_HIT);
}

static void assert_fault(u64 gfn, bool write, int fault)
{
	unsigned long pfn;

	assert_int_equal(fault_of(gfn, write, &pfn), fault);
	assert_int_equal(vm->ops->translate(vm, 0, GPA(gfn), write, 0, &pfn),
			 KVM_MEMSLOT_WALK_MISS);
}

static u64 pte_val(u64 gfn, int level)
{
	u64 *p = arm64_s2_lookup(s2(), gfn, level);

	return p ? *p : 0;
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

/* The unmap hook over [@start, @end) of @s: the leaves it removed. */
static unsigned long unmap_op(const struct kvm_memory_slot *s, u64 start,
			      u64 end)
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

/* ---- tests ---- */

static void test_descriptor_encoding(void **state)
{
	u64 pa = 0x123456000ULL, p;

	p = s2_make_leaf(pa, 3, true, true);
	assert_int_equal(p & 3, 3);			/* valid page */
	assert_int_equal((p >> 2) & 0xf, 0xf);		/* MemAttr normal WB */
	assert_int_equal((p >> 6) & 3, 3);		/* S2AP RW */
	assert_int_equal((p >> 8) & 3, 3);		/* inner shareable */
	assert_true(p & BIT_ULL(10));			/* AF */
	assert_int_equal((p >> 53) & 3, 2);		/* XN */
	assert_int_equal(s2_pte_pa(p), pa);
	assert_int_equal(s2_pte_pfn(p), pa >> 12);
	assert_true(s2_pte_is_leaf(p, 3));
	assert_false(s2_pte_is_table(p, 3));

	p = s2_make_leaf(0x40000000ULL, 2, false, false);
	assert_int_equal(p & 3, 1);			/* valid block */
	assert_int_equal((p >> 6) & 3, 1);		/* S2AP read only */
	assert_false(p & S2_DESC_AF);
	assert_true(s2_pte_is_leaf(p, 2));
	assert_true(s2_pte_is_leaf(p, 1));
	/* A block descriptor at level 0 and a level 3 one are reserved. */
	assert_false(s2_pte_is_leaf(p, 0));
	assert_false(s2_pte_is_leaf(p, 3));
	assert_false(s2_pte_is_table(p, 2));

	p = s2_make_table(0x7000);
	assert_int_equal(p, 0x7003);
	assert_true(s2_pte_is_table(p, 0));
	assert_true(s2_pte_is_table(p, 2));
	assert_false(s2_pte_is_table(p, 3));
	assert_false(s2_pte_is_leaf(p, 2));
	/* Level 3: the same bits are a page. */
	assert_true(s2_pte_is_leaf(p, 3));
	assert_false(s2_pte_is_leaf(0, 3));
	assert_false(s2_pte_valid(p & ~S2_DESC_VALID));
}

/*
 * VTCR_EL2 for a 4 KiB granule (Arm ARM D8.2, "Translation table walk
 * starting levels"): the start level and the number of concatenated
 * tables for each IPA size arm64 KVM 6.1 accepts.
 */
static const struct { u8 ipa, start, concat; } geometry[] = {
	{ 32, 2, 4 }, { 33, 2, 8 }, { 34, 2, 16 }, { 35, 1, 1 },
	{ 36, 1, 1 }, { 37, 1, 1 }, { 38, 1, 1 }, { 39, 1, 1 },
	{ 40, 1, 2 }, { 41, 1, 4 }, { 42, 1, 8 }, { 43, 1, 16 },
	{ 44, 0, 1 }, { 45, 0, 1 }, { 46, 0, 1 }, { 47, 0, 1 },
	{ 48, 0, 1 },
};

static void test_geometry_every_ipa_size(void **state)
{
	struct arm64_s2_geom g;
	unsigned int i, type;

	for (i = 0; i < ARRAY_SIZE(geometry); i++) {
		assert_int_equal(arm64_s2_geom(geometry[i].ipa, &g), 0);
		assert_int_equal(g.ipa_bits, geometry[i].ipa);
		assert_int_equal(g.start_level, geometry[i].start);
		assert_int_equal(g.nr_concat, geometry[i].concat);
	}
	assert_int_equal(arm64_s2_geom(31, &g), -EINVAL);
	assert_int_equal(arm64_s2_geom(49, &g), -EINVAL);

	/* The VM type: 0 is 40 bits, 32..48 accepted, the rest EINVAL. */
	assert_int_equal(s2()->geom.ipa_bits, 40);
	for (type = 1; type < 256; type++) {
		struct kvm_memslot_vm *v = tvm_create(&kvm_memslot_arm64_ops, NULL);
		int r = v->ops->init_vm(v, KVM_MEMSLOT_VM_ARM64_IPA_SIZE(type));

		assert_int_equal(r, type >= 32 && type <= 48 ? 0 : -EINVAL);
		if (!r) {
			assert_int_equal(((struct arm64_s2 *)v->arch)->geom.ipa_bits, type);
			v->ops->destroy_vm(v);
		}
		tvm_destroy(v);
	}
	/* Bits 8-15 select no backend at all. */
	assert_null(kvm_memslot_backend(KVM_MEMSLOT_VM_ARM64 | 0x100));
	assert_ptr_equal(kvm_memslot_backend(KVM_MEMSLOT_VM_ARM64 | 48),
			 &kvm_memslot_arm64_ops);
}

/*
 * The first and the last page of every IPA size map and translate, through
 * the entry of the concatenated start level that the IPA's top bits pick.
 */
static void test_walk_edges_every_ipa_size(void **state)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(geometry); i++) {
		unsigned int ipa = geometry[i].ipa, start = geometry[i].start;
		struct kvm_memslot_vm *saved = vm;
		u64 last = (1ULL << (ipa - 12)) - 1, root_entries;
		const struct kvm_memory_slot *s;

		vm = create(KVM_MEMSLOT_VM_ARM64_IPA_SIZE(ipa));
		assert_int_equal(tvm_set(vm, 0, 0, 0, 16 * PG, TEST_HVA(0)), 0);
		assert_int_equal(tvm_set(vm, 1, 0, GPA(last - 15), 16 * PG,
					 TEST_HVA(64 * MB)), 0);
		/* One page more would cross the IPA limit: EFAULT, as arm64. */
		assert_int_equal(tvm_set(vm, 2, 0, GPA(last + 1), PG,
					 TEST_HVA(128 * MB)), -EFAULT);
		assert_int_equal(tvm_set(vm, 2, 0, GPA(last - 31), 32 * PG,
					 TEST_HVA(128 * MB)), -EEXIST);
		s = slot(0);
		map(s, 0, true, SHIFT_4K);
		assert_hit(s, 0, true);
		s = slot(1);
		map(s, last, true, SHIFT_4K);
		assert_hit(s, last, true);
		assert_fault(last - 1, false, S2_FAULT_TRANSLATION);
		/* Beyond the IPA size: a translation fault, never a wrap. */
		assert_fault(last + 1, false, S2_FAULT_TRANSLATION);

		/* The last entry of the start level that the IPA size uses. */
		root_entries = (last >> (9 * (3 - start))) + 1;
		assert_true(root_entries <= geometry[i].concat * 512);
		assert_true(s2_pte_is_table(s2()->pgd[0], start));
		assert_true(s2_pte_is_table(s2()->pgd[root_entries - 1], start));
		/* Three levels below level 0, fewer below a later start. */
		assert_int_equal(s2()->nr_tables, 2 * (3 - start));
		assert_int_equal(tvm_audit(vm), 0);
		/* Its table pages are counted as this VM's. */
		kvm_memslot_mmu_cache_free(&cache);
		destroy(vm);
		vm = saved;
	}
}

static void test_block_or_page(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 2 * MB / PG, e;
	unsigned long pfn;

	/* 4 MiB at gpa 2 MiB, hva 2 MiB aligned: two whole blocks. */
	assert_int_equal(tvm_set(vm, 0, 0, GPA(base), 4 * MB, TEST_HVA(0)), 0);
	/* 2 MiB + 4 KiB at hva offset 4 KiB: gfn and pfn not congruent. */
	assert_int_equal(tvm_set(vm, 1, 0, GPA(8 * BLOCK), 2 * MB + PG,
				 TEST_HVA(16 * MB + PG)), 0);
	s = slot(0);
	map(s, base, true, SHIFT_2M);
	e = pte_val(base, 2);
	assert_true(s2_pte_is_leaf(e, 2));
	assert_int_equal(s2_pte_pfn(e), slot_pfn(s, base));
	assert_hit(s, base + 300, true);
	assert_hit(s, base + BLOCK - 1, false);
	assert_fault(base + BLOCK, false, S2_FAULT_TRANSLATION);

	/* Not congruent: a page, even though a block was asked for. */
	s = slot(1);
	pfn = slot_pfn(s, 8 * BLOCK);
	assert_int_equal(map_pfn(s, 8 * BLOCK, pfn, true, SHIFT_2M), 0);
	assert_true(s2_pte_is_table(pte_val(8 * BLOCK, 2), 2));
	assert_true(s2_pte_is_leaf(pte_val(8 * BLOCK, 3), 3));
	assert_fault(8 * BLOCK + 1, false, S2_FAULT_TRANSLATION);

	/* A page, then a block over it: the table goes, by BBM. */
	s = slot(0);
	map(s, base + BLOCK + 7, true, SHIFT_4K);
	assert_true(s2_pte_is_table(pte_val(base + BLOCK, 2), 2));
	start_recording();
	map(s, base + BLOCK, true, SHIFT_2M);
	recording = false;
	assert_true(s2_pte_is_leaf(pte_val(base + BLOCK, 2), 2));
	assert_int_equal(check_bbm(), 1);
	assert_int_equal(events[1].ev, S2_EV_TLBI_VMID);
	assert_hit(s, base + BLOCK + 7, true);
	assert_int_equal(tvm_audit(vm), 0);

	/* Errors: unaligned block, size with no level, outside the slot. */
	assert_int_equal(map_pfn(s, base + 1, slot_pfn(s, base), true, SHIFT_2M), -EINVAL);
	assert_int_equal(map_pfn(s, base, slot_pfn(s, base), true, 30), -EINVAL);
	assert_int_equal(map_pfn(s, base + 2 * BLOCK, 1, true, SHIFT_4K), -EINVAL);
}

static void test_faults(void **state)
{
	const struct kvm_memory_slot *s;
	u64 gfn = 0x300;

	assert_int_equal(tvm_set(vm, 0, 0, GPA(gfn), 4 * PG, TEST_HVA(0)), 0);
	assert_int_equal(tvm_set(vm, 1, KVM_MEM_READONLY, GPA(0x400), 4 * PG,
				 TEST_HVA(MB)), 0);
	s = slot(0);
	assert_fault(gfn, false, S2_FAULT_TRANSLATION);
	map(s, gfn, false, SHIFT_4K);
	assert_hit(s, gfn, false);
	assert_fault(gfn, true, S2_FAULT_PERMISSION);
	/* The write fault grants write permission in place, no BBM. */
	start_recording();
	map(s, gfn, true, SHIFT_4K);
	recording = false;
	assert_int_equal(nr_events, 1);
	assert_int_equal(events[0].ev, S2_EV_STORE);
	assert_hit(s, gfn, true);

	/* Aging clears AF: the next access takes an access flag fault. */
	assert_true(range_op(vm->ops->test_age_gfn_range, s, gfn, gfn + 1));
	assert_true(range_op(vm->ops->age_gfn_range, s, gfn, gfn + 4));
	assert_false(range_op(vm->ops->test_age_gfn_range, s, gfn, gfn + 4));
	assert_false(range_op(vm->ops->age_gfn_range, s, gfn, gfn + 4));
	assert_fault(gfn, false, S2_FAULT_ACCESS_FLAG);
	/* The fault sets AF again, keeping write permission. */
	map(s, gfn, false, SHIFT_4K);
	assert_hit(s, gfn, true);

	/* READONLY: writable is refused whatever the caller asks. */
	s = slot(1);
	map(s, 0x400, true, SHIFT_4K);
	assert_hit(s, 0x400, false);
	assert_fault(0x400, true, S2_FAULT_PERMISSION);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_bbm_on_remap(void **state)
{
	const struct kvm_memory_slot *s;
	u64 gfn = 0x200;
	unsigned long pfn;

	assert_int_equal(tvm_set(vm, 0, 0, GPA(gfn), 4 * PG, TEST_HVA(0)), 0);
	s = slot(0);
	map(s, gfn, true, SHIFT_4K);
	start_recording();
	/* The host moved the page (an invalidation raced): a new address. */
	assert_int_equal(map_pfn(s, gfn, slot_pfn(s, gfn) + 1000, true, SHIFT_4K), 0);
	recording = false;
	assert_int_equal(check_bbm(), 1);
	/* Exactly: invalid, TLBI by IPA at level 3, DSB, new descriptor. */
	assert_int_equal(nr_events, 4);
	assert_int_equal(events[0].ev, S2_EV_STORE);
	assert_int_equal(events[0].val, 0);
	assert_int_equal(events[1].ev, S2_EV_TLBI_IPA);
	assert_int_equal(events[1].ipa, GPA(gfn));
	assert_int_equal(events[1].level, 3);
	assert_int_equal(events[2].ev, EV_DSB);
	assert_int_equal(events[3].ev, S2_EV_STORE);
	assert_ptr_equal(events[3].ptep, events[0].ptep);
	assert_int_equal(fault_of(gfn, true, &pfn), S2_FAULT_NONE);
	assert_int_equal(pfn, slot_pfn(s, gfn) + 1000);
}

/* The recording model itself catches a store that skips the BBM. */
static void test_bbm_model_catches_skip(void **state)
{
	static u64 fake_pte;
	unsigned int bbm;

	nr_events = 0;
	start_recording();
	record(S2_EV_STORE, &fake_pte, s2_make_leaf(0x1000, 3, true, true), 0, 0);
	/* invalidated, TLBI'd, but no DSB before the new store */
	record(S2_EV_STORE, &fake_pte, 0, 0, 0);
	record(S2_EV_TLBI_IPA, NULL, 0, 0x5000, 3);
	record(S2_EV_STORE, &fake_pte, s2_make_leaf(0x2000, 3, true, true), 0, 0);
	recording = false;
	assert_int_equal(bbm_violations(&bbm), 1);
	nr_events = 0;
	start_recording();
	record(S2_EV_STORE, &fake_pte, s2_make_leaf(0x1000, 3, true, true), 0, 0);
	/* valid to valid with another address */
	record(S2_EV_STORE, &fake_pte, s2_make_leaf(0x2000, 3, true, true), 0, 0);
	recording = false;
	assert_int_equal(bbm_violations(&bbm), 1);
	nr_events = 0;
}

static unsigned long nr_leaves(u64 start, u64 end)
{
	unsigned long n = 0;
	u64 gfn;

	for (gfn = start; gfn < end; gfn++) {
		unsigned long pfn;

		if (arm64_s2_walk_access(s2(), GPA(gfn), false, &pfn) != S2_FAULT_TRANSLATION)
			n++;
	}
	return n;
}

static void test_unmap_range_and_slot(void **state)
{
	const struct kvm_memory_slot *s0, *s1;
	u64 base = 4 * BLOCK, i;
	unsigned long tlbis;

	/* Slot 0: 4 MiB (a block and pages); slot 1 right after it. */
	assert_int_equal(tvm_set(vm, 0, 0, GPA(base), 4 * MB, TEST_HVA(0)), 0);
	assert_int_equal(tvm_set(vm, 1, 0, GPA(base + 2 * BLOCK), 16 * PG,
				 TEST_HVA(8 * MB)), 0);
	s0 = slot(0);
	s1 = slot(1);
	map(s0, base, true, SHIFT_2M);
	for (i = 0; i < 16; i++)
		map(s0, base + BLOCK + i, true, SHIFT_4K);
	for (i = 0; i < 16; i++)
		map(s1, base + 2 * BLOCK + i, true, SHIFT_4K);
	assert_int_equal(nr_leaves(base, base + 3 * BLOCK), BLOCK + 32);

	/* Unmap pages 4..8 of the second 2 MiB of slot 0. */
	start_recording();
	assert_int_equal(unmap_op(s0, base + BLOCK + 4, base + BLOCK + 8), 4);
	recording = false;
	assert_int_equal(nr_leaves(base + BLOCK, base + BLOCK + 16), 12);
	assert_int_equal(check_bbm(), 0);
	/* One TLBI by IPA per leaf removed; the caller completes them. */
	for (i = 0; i < 4; i++) {
		assert_int_equal(events[2 * i].val, 0);
		assert_int_equal(events[2 * i + 1].ev, S2_EV_TLBI_IPA);
		assert_int_equal(events[2 * i + 1].ipa, GPA(base + BLOCK + 4 + i));
	}
	/* A range touching the block removes the block whole. */
	assert_int_equal(unmap_op(s0, base + 5, base + 6), 1);
	assert_int_equal(nr_leaves(base, base + BLOCK), 0);
	assert_int_equal(unmap_op(s0, base, base + BLOCK), 0);
	assert_int_equal(tvm_audit(vm), 0);

	/*
	 * Delete slot 0: its leaves go, and the level-3 table that mapped only
	 * it; slot 1's stay, with their table.
	 */
	tlbis = s2()->tlbis;
	flushes = 0;
	assert_int_equal(tvm_set(vm, 0, 0, 0, 0, 0), 0);
	assert_int_equal(s2()->tlbis - tlbis, 12 + 1);
	assert_true(flushes >= 1);
	assert_int_equal(nr_leaves(base, base + 2 * BLOCK), 0);
	assert_int_equal(nr_leaves(base + 2 * BLOCK, base + 3 * BLOCK), 16);
	assert_int_equal(tvm_audit(vm), 0);
	/* The level-2 table, and slot 1's level-3 table. */
	assert_int_equal(s2()->nr_tables, 2);
}

/* A slot with more mapped than one batch: the unmap resumes, frees all. */
static void test_unmap_slot_in_batches(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 0x100000, i;

	assert_int_equal(tvm_set(vm, 0, 0, GPA(base), 8 * MB, TEST_HVA(0)), 0);
	assert_int_equal(tvm_set(vm, 1, 0, GPA(base + 8 * BLOCK), 4 * PG,
				 TEST_HVA(16 * MB)), 0);
	s = slot(0);
	for (i = 0; i < 4 * BLOCK; i++)
		map(s, base + i, i & 1, SHIFT_4K);
	map(slot(1), base + 8 * BLOCK, true, SHIFT_4K);
	/* A level-2 table, four level-3 ones for slot 0, one for slot 1. */
	assert_int_equal(s2()->nr_tables, 1 + 4 + 1);
	assert_int_equal(tvm_audit(vm), 0);
	assert_int_equal(tvm_set(vm, 0, 0, 0, 0, 0), 0);
	assert_int_equal(nr_leaves(base, base + 4 * BLOCK), 0);
	assert_int_equal(s2()->nr_tables, 1 + 1);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_dirty_log_wp_and_split(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 2 * BLOCK, i;
	unsigned long pfn;

	assert_int_equal(tvm_set(vm, 0, 0, GPA(base), 2 * MB, TEST_HVA(0)), 0);
	s = slot(0);
	map(s, base, true, SHIFT_2M);
	assert_hit(s, base + 9, true);

	/* Logging on: the block stays, read-only. */
	start_recording();
	assert_int_equal(tvm_set(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, GPA(base),
				 2 * MB, TEST_HVA(0)), 0);
	recording = false;
	s = slot(0);
	assert_true(s2_pte_is_leaf(pte_val(base, 2), 2));
	assert_false(pte_val(base, 2) & S2_DESC_S2AP_W);
	assert_int_equal(check_bbm(), 0);
	assert_hit(s, base + 9, false);
	assert_fault(base + 9, true, S2_FAULT_PERMISSION);
	assert_int_equal(tvm_audit(vm), 0);

	/*
	 * The write fault logs page 9 and maps it writable: the block is
	 * split by BBM into 512 read-only pages, then page 9 gains write.
	 */
	set_bit_le(9, s->dirty_bitmap);
	start_recording();
	map(s, base + 9, true, SHIFT_4K);
	recording = false;
	assert_int_equal(check_bbm(), 1);
	assert_int_equal(events[0].val, 0);
	assert_int_equal(events[1].ev, S2_EV_TLBI_IPA);
	assert_int_equal(events[1].level, 2);
	assert_int_equal(events[2].ev, EV_DSB);
	assert_true(s2_pte_is_table(events[3].val, 2));
	assert_true(s2_pte_is_table(pte_val(base, 2), 2));
	assert_hit(s, base + 9, true);
	for (i = 0; i < BLOCK; i++) {
		if (i == 9)
			continue;
		assert_int_equal(fault_of(base + i, false, &pfn), S2_FAULT_NONE);
		assert_int_equal(pfn, slot_pfn(s, base + i));
		assert_int_equal(fault_of(base + i, true, &pfn), S2_FAULT_PERMISSION);
	}
	assert_int_equal(tvm_audit(vm), 0);

	/* A block is never made while logging. */
	assert_int_equal(map_pfn(s, base, slot_pfn(s, base), true, SHIFT_2M), 0);
	assert_true(s2_pte_is_table(pte_val(base, 2), 2));

	/* Harvest: the pages whose bits are taken are protected again. */
	set_bit_le(0, s->dirty_bitmap);
	assert_true(protect(s, 0, BIT(9) | BIT(0)));
	assert_fault(base + 9, true, S2_FAULT_PERMISSION);
	assert_fault(base, true, S2_FAULT_PERMISSION);
	assert_false(protect(s, 0, BIT(9)));
	assert_int_equal(tvm_audit(vm), 0);

	/* The audit sees a writable page whose dirty bit is clear. */
	clear_bit(0, s->dirty_bitmap);
	clear_bit(9, s->dirty_bitmap);
	*arm64_s2_lookup(s2(), base + 9, 3) |= S2_DESC_S2AP_W;
	assert_int_equal(tvm_audit(vm), 1);
	*arm64_s2_lookup(s2(), base + 9, 3) &= ~S2_DESC_S2AP_W;
}

/* With all bits initially set, logging protects nothing up front. */
static void test_dirty_log_initially_set(void **state)
{
	const struct kvm_memory_slot *s;
	u64 base = 2 * BLOCK;

	vm->manual_dirty_log_protect = KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
				       KVM_DIRTY_LOG_INITIALLY_SET;
	assert_int_equal(tvm_set(vm, 0, 0, GPA(base), 2 * MB, TEST_HVA(0)), 0);
	s = slot(0);
	map(s, base, true, SHIFT_2M);
	assert_int_equal(tvm_set(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, GPA(base),
				 2 * MB, TEST_HVA(0)), 0);
	s = slot(0);
	assert_hit(s, base + 3, true);
	assert_int_equal(tvm_audit(vm), 0);
	/* Clearing one page's bit protects the block it is in. */
	clear_bit(3, s->dirty_bitmap);
	assert_true(protect(s, 0, BIT(3)));
	assert_fault(base + 3, true, S2_FAULT_PERMISSION);
	assert_true(s2_pte_is_leaf(pte_val(base, 2), 2));
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_audit_catches_corruption(void **state)
{
	const struct kvm_memory_slot *s;
	u64 gfn = 0x500, *p, saved;

	assert_int_equal(tvm_set(vm, 0, KVM_MEM_READONLY, GPA(gfn), 4 * PG,
				 TEST_HVA(0)), 0);
	s = slot(0);
	map(s, gfn, false, SHIFT_4K);
	map(s, gfn + 1, false, SHIFT_4K);
	assert_int_equal(tvm_audit(vm), 0);
	p = arm64_s2_lookup(s2(), gfn, 3);
	saved = *p;

	*p = saved | S2_DESC_S2AP_W;		/* writable on READONLY */
	assert_int_equal(tvm_audit(vm), 1);
	*p = saved & ~S2_DESC_VALID;		/* half-made by a BBM */
	assert_int_equal(tvm_audit(vm), 1);
	*p = saved & ~S2_DESC_XN;		/* wrong attributes */
	assert_int_equal(tvm_audit(vm), 1);
	*p = saved + PAGE_SIZE;			/* not the host's page */
	assert_int_equal(tvm_audit(vm), 1);
	*p = saved & ~S2_DESC_PAGE;		/* reserved at level 3 */
	assert_int_equal(tvm_audit(vm), 1);
	*p = saved;
	/* A leaf for a gfn no slot backs. */
	p = arm64_s2_lookup(s2(), gfn + 8, 3);
	*p = saved;
	assert_int_equal(tvm_audit(vm), 1);
	*p = 0;
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_caps_and_limits(void **state)
{
	const struct kvm_memslot_ops *ops = &kvm_memslot_arm64_ops;

	assert_int_equal(ops->nr_address_spaces, 1);
	assert_int_equal(ops->nr_user_slots, 32767);
	assert_true(ops->readonly_mem);
	assert_int_equal(ops->check_extension(ops, 165), 48);
	assert_int_equal(ops->check_extension(ops, 0x7fff), 0);
	assert_int_equal(ops->max_vcpus, 512);
	assert_int_equal(ops->max_vcpu_ids, 512);
	assert_int_equal(ops->vcpu_mmap_pages, 2);
	assert_int_equal(ops->unknown_vm_ioctl, -EINVAL);
	/* The default 40 bits: a slot ending at 1 TiB fits, one past fails. */
	assert_int_equal(tvm_set(vm, 0, 0, (1ULL << 40) - MB, MB, TEST_HVA(0)), 0);
	assert_int_equal(tvm_set(vm, 1, 0, (1ULL << 40) - MB / 2, MB, TEST_HVA(MB)),
			 -EEXIST);
	assert_int_equal(tvm_set(vm, 1, 0, 1ULL << 40, MB, TEST_HVA(MB)), -EFAULT);
	/* Moving a slot beyond the limit fails the same way. */
	assert_int_equal(tvm_set(vm, 0, 0, 1ULL << 41, MB, TEST_HVA(0)), -EFAULT);
	assert_int_equal(tvm_audit(vm), 0);
}

#define S2_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		S2_TEST(test_descriptor_encoding),
		S2_TEST(test_geometry_every_ipa_size),
		S2_TEST(test_walk_edges_every_ipa_size),
		S2_TEST(test_block_or_page),
		S2_TEST(test_faults),
		S2_TEST(test_bbm_on_remap),
		S2_TEST(test_bbm_model_catches_skip),
		S2_TEST(test_unmap_range_and_slot),
		S2_TEST(test_unmap_slot_in_batches),
		S2_TEST(test_dirty_log_wp_and_split),
		S2_TEST(test_dirty_log_initially_set),
		S2_TEST(test_audit_catches_corruption),
		S2_TEST(test_caps_and_limits),
	};

	assert_int_equal(kvm_memslot_arm64_backend_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
