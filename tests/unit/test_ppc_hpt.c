// SPDX-License-Identifier: GPL-2.0-only
/*
 * The PowerPC Book3S HV backend (arch/powerpc/kvm, compiled unchanged),
 * driven through its hooks and hypercalls the way the module drives them:
 * HPTE encoding and decoding, the hash and its secondary group, H_ENTER
 * filling a group, the rmap chains, the unmap of a slot, R and C harvest
 * into the dirty log, the hypercalls' return codes, and 64 KiB gfns in the
 * core (validation, gfn arithmetic, dirty bits).
 *
 * The host side is faked: the "host" maps hva h at pfn (h >> PAGE_SHIFT) +
 * HOST_PFN_BIAS, and kmap_local_pfn() gives each such frame a page of
 * host_mem.
 */
#include <stdlib.h>
#include <string.h>

#define TEST_PAGE_SIZE_FOLLOWS_VM
#include "common.h"

#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/kvm_memslot_host.h>
#include "../../arch/powerpc/kvm/memslot_ppc.h"
#include "../../virt/kvm/memslot_fd.h"

#define HOST_PFN_BIAS	0x40000UL
#define HOST_PAGES	(64 * PPC_HOST_PAGES)
#define H_SUCCESS	0
#define H_PARAMETER	-4
#define H_PTEG_FULL	-6
#define H_NOT_FOUND	-7
#define H_EXACT		(1ULL << (63 - 24))
#define H_READ_4	(1ULL << (63 - 26))
#define H_AVPN		(1ULL << (63 - 32))
#define H_ANDCOND	(1ULL << (63 - 33))

/* ---- the host side, faked ---- */

static u8 host_mem[HOST_PAGES][PAGE_SIZE];
static long host_refs;
static bool host_readonly;

void kvm_memslot_flush_remote_tlbs(struct kvm_memslot_vm *vm)
{
}

static unsigned long host_pfn(unsigned long hva)
{
	return (hva >> PAGE_SHIFT) + HOST_PFN_BIAS;
}

void *kmap_local_pfn(unsigned long pfn)
{
	unsigned long i = pfn - HOST_PFN_BIAS - (TEST_HVA_BASE >> PAGE_SHIFT);

	assert_true(i < HOST_PAGES);
	return host_mem[i];
}

int kvm_memslot_resolve_vm_page(const struct kvm_memory_slot *slot,
				kvm_memslot_gfn_t gfn, bool write,
				unsigned long *pfns, bool *writable)
{
	unsigned long hva = kvm_memslot_gfn_to_hva(slot, gfn), i;

	if (write && host_readonly)
		return -EFAULT;
	for (i = 0; i < PPC_HOST_PAGES; i++)
		pfns[i] = host_pfn(hva + i * PAGE_SIZE);
	*writable = !host_readonly;
	host_refs += PPC_HOST_PAGES;
	return 0;
}

void kvm_memslot_release_vm_page(const struct kvm_memory_slot *slot,
				 unsigned long *pfns, bool dirty)
{
	host_refs -= PPC_HOST_PAGES;
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

/* ---- helpers ---- */

static struct kvm_memslot_vm *vm;
static struct kvm_memslot_hint hint;

static int setup(void **state)
{
	vm = tvm_create(&kvm_memslot_ppc_ops, NULL);
	assert_int_equal(kvm_memslot_ppc_ops.init_vm(vm, KVM_MEMSLOT_VM_PPC_BOOK3S_HV), 0);
	memset(&hint, 0, sizeof(hint));
	memset(host_mem, 0, sizeof(host_mem));
	host_refs = 0;
	host_readonly = false;
	return 0;
}

/* tvm_destroy(), with the backend's per-VM data freed after the slots. */
static int teardown(void **state)
{
	struct test_vm *t = container_of(vm, struct test_vm, vm);

	harness_rcu_reset_reader();
	kvm_memslot_vm_destroy(vm);
	kvm_memslot_ppc_ops.destroy_vm(vm);
	tvm_baseline_check(&t->base, "ppc VM destroy");
	harness_quiesce();
	free(t);
	vm = NULL;
	assert_int_equal(host_refs, 0);
	return 0;
}

static struct ppc_hpt *hpt(void)
{
	return &ppc_vm(vm)->hpt;
}

static void alloc_htab(u32 order)
{
	assert_int_equal(kvm_memslot_ppc_ops.vm_ioctl(vm, KVM_PPC_ALLOCATE_HTAB,
						      (unsigned long)&order), 0);
}

static long hcall(u64 nr, u64 flags, u64 pte_index, u64 a0, u64 a1,
		  struct kvm_memslot_ppc_hcall *out)
{
	struct kvm_memslot_ppc_hcall hc = {
		.nr = nr, .flags = flags, .pte_index = pte_index,
		.args = { a0, a1 },
	};

	assert_int_equal(kvm_memslot_ppc_ops.vcpu_ioctl(vm, &hint,
							KVM_MEMSLOT_PPC_HCALL,
							(unsigned long)&hc), 0);
	if (out)
		*out = hc;
	return hc.ret;
}

/* The V and R a guest enters for @va -> @gpa with a page of 1 << @shift. */
static u64 pteh_of(u64 va, unsigned int shift, bool secondary)
{
	return ppc_hpte_avpn(va, shift, 0) | PPC_HPTE_V_VALID |
	       (shift > 12 ? PPC_HPTE_V_LARGE : 0) |
	       (secondary ? PPC_HPTE_V_SECONDARY : 0);
}

static u64 ptel_of(u64 gpa, unsigned int shift)
{
	return gpa | (shift == 16 ? 0x1000 : 0) | PPC_HPTE_R_M | 0x2;
}

/* H_ENTER of @va -> @gpa in @va's primary group; returns the index. */
static long enter(u64 va, u64 gpa, unsigned int shift)
{
	struct kvm_memslot_ppc_hcall hc;
	u64 hash = ppc_hpt_hash(va, shift, 0);

	if (hcall(KVM_MEMSLOT_PPC_H_ENTER, 0, ppc_hpt_group(hpt(), hash, false),
		  pteh_of(va, shift, false), ptel_of(gpa, shift), &hc))
		return -1;
	return hc.rets[0];
}

static int guest_access(u64 addr, void *buf, u32 len, bool write, bool virt,
			struct kvm_memslot_access *acc)
{
	u16 flags = (write ? KVM_MEMSLOT_ACCESS_WRITE : 0) |
		    (virt ? KVM_MEMSLOT_ACCESS_PPC_VIRT : 0);

	memset(acc, 0, sizeof(*acc));
	return kvm_memslot_ppc_ops.access(vm, &hint, addr, len, flags, buf, acc);
}

static u64 *rmap_of(u32 id, u64 gfn)
{
	const struct kvm_memory_slot *s = tvm_find_id(vm, 0, id);

	return ppc_rmap_word(s->arch, gfn - s->base_gfn);
}

/* A virtual address in segment VSID 0x123. */
#define VA(off)		((0x123ULL << 28) | (off))

/* ---- tests ---- */

static void test_hpte_format(void **state)
{
	u64 va = VA(0x45000);

	/* L = 0: 4 KiB; L with LP 0001: 64 KiB; L with LP 0: 16 MiB. */
	assert_int_equal(ppc_hpte_page_shift(0, 0), 12);
	assert_int_equal(ppc_hpte_page_shift(PPC_HPTE_V_LARGE, 0x1000), 16);
	assert_int_equal(ppc_hpte_page_shift(PPC_HPTE_V_LARGE, 0), 24);
	assert_int_equal(ppc_hpte_page_shift(PPC_HPTE_V_LARGE, 0x3000), 0);
	assert_int_equal(ppc_hpte_page_shift(PPC_HPTE_V_LARGE, 0x10000), 0);

	/* The AVPN is va >> 23 at bit 7, B at bit 62. */
	assert_true(ppc_hpte_avpn(va, 12, 0) == (va >> 23) << 7);
	assert_true(ppc_hpte_avpn(va, 12, 1) == (((va >> 23) << 7) | PPC_HPTE_V_1TB_SEG));
	/* A 16 MiB page does not compare va bit 23. */
	assert_true(ppc_hpte_avpn(va | (1ULL << 23), 24, 0) == ppc_hpte_avpn(va, 24, 0));
	assert_true(ppc_hpte_avpn(va | (1ULL << 23), 16, 0) != ppc_hpte_avpn(va, 16, 0));

	/* PP: 11 and 110 are read-only; making read-only keeps reads. */
	assert_true(ppc_hpte_writable(0x2));
	assert_false(ppc_hpte_writable(0x3));
	assert_false(ppc_hpte_writable(PPC_HPTE_R_PP0 | 0x2));
	assert_false(ppc_hpte_writable(ppc_hpte_make_readonly(0x2)));
	assert_true(ppc_hpte_make_readonly(0x3) == 0x3);
}

static void test_hash(void **state)
{
	struct ppc_hpt *h;
	u64 va = VA(0x45000), hash;

	alloc_htab(18);
	h = hpt();
	assert_int_equal(h->npte, 1UL << 14);
	/* 256 MiB segment: VSID xor the page index within the segment. */
	hash = ppc_hpt_hash(va, 12, 0);
	assert_true(hash == (0x123 ^ 0x45));
	assert_true(ppc_hpt_hash(va, 16, 0) == (0x123 ^ 0x4));
	/* The secondary group is the complement's, within the table. */
	assert_int_equal(ppc_hpt_group(h, hash, false), (hash & 2047) * 8);
	assert_int_equal(ppc_hpt_group(h, hash, true), (~hash & 2047) * 8);
	/* 1 TiB segment: VSID ^ VSID << 25 ^ page index. */
	assert_true(ppc_hpt_hash((5ULL << 40) | 0x30000, 16, 1) ==
		    (5 ^ (5ULL << 25) ^ 3));
}

static void test_htab_orders(void **state)
{
	u32 order = 17;

	assert_int_equal(kvm_memslot_ppc_ops.vm_ioctl(vm, KVM_PPC_ALLOCATE_HTAB,
						      (unsigned long)&order), -EINVAL);
	order = 47;
	assert_int_equal(kvm_memslot_ppc_ops.vm_ioctl(vm, KVM_PPC_ALLOCATE_HTAB,
						      (unsigned long)&order), -EINVAL);
	assert_int_equal(kvm_memslot_ppc_ops.vm_ioctl(vm, KVM_PPC_ALLOCATE_HTAB, 0),
			 -EFAULT);
	alloc_htab(18);
	assert_int_equal(hpt()->order, 18);
	/* The same order again empties the table. */
	assert_int_equal(tvm_set(vm, 0, 0, 0, 16 * PG, TEST_HVA(0)), 0);
	assert_true(enter(VA(0), 0, 16) >= 0);
	alloc_htab(18);
	assert_null(rmap_of(0, 0) && (*rmap_of(0, 0) & PPC_RMAP_PRESENT) ? (void *)1 : NULL);
	assert_int_equal(tvm_audit(vm), 0);
	assert_int_equal(kvm_memslot_ppc_ops.check_extension(&kvm_memslot_ppc_ops,
							     KVM_CAP_PPC_ALLOC_HTAB), 1);
}

static void test_secondary_overflow(void **state)
{
	struct kvm_memslot_ppc_hcall hc;
	struct kvm_memslot_access acc;
	u64 va = VA(0x70000), hash;
	unsigned long prim, sec;
	u8 b = 0;
	int i;

	alloc_htab(18);
	assert_int_equal(tvm_set(vm, 0, 0, 0, 64 * PG, TEST_HVA(0)), 0);
	hash = ppc_hpt_hash(va, 16, 0);
	prim = ppc_hpt_group(hpt(), hash, false);
	sec = ppc_hpt_group(hpt(), hash, true);

	/* Eight other pages that hash to the same group fill it. */
	for (i = 0; i < 8; i++) {
		u64 other = VA(0x70000) ^ ((u64)(i + 1) << 28) ^ ((u64)(i + 1) << 16);

		assert_true(ppc_hpt_group(hpt(), ppc_hpt_hash(other, 16, 0), false) == prim);
		assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_ENTER, 0, prim,
				       pteh_of(other, 16, false),
				       ptel_of((u64)i * PG, 16), &hc), H_SUCCESS);
		assert_int_equal(hc.rets[0], prim + i);
	}
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_ENTER, 0, prim, pteh_of(va, 16, false),
			       ptel_of(9 * PG, 16), NULL), H_PTEG_FULL);
	/* No entry: a storage interrupt for the guest. */
	assert_int_equal(guest_access(va, &b, 1, false, true, &acc), KVM_MEMSLOT_ACCESS_STOPPED);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_GUEST_FAULT);
	/* A VMM must not read it as any other exit, a full dirty ring above all. */
	assert_int_not_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_DIRTY_RING_FULL);
	assert_int_not_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_MEMORY_FAULT);
	assert_int_not_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_MMIO);

	/* In the secondary group, with H, the MMU's second search finds it. */
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_ENTER, 0, sec, pteh_of(va, 16, true),
			       ptel_of(9 * PG, 16), &hc), H_SUCCESS);
	assert_int_equal(hc.rets[0], sec);
	host_mem[9 * PPC_HOST_PAGES][0] = 0x77;
	assert_int_equal(guest_access(va, &b, 1, false, true, &acc), 0);
	assert_int_equal(b, 0x77);
	/* H_EXACT on a used entry. */
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_ENTER, H_EXACT, sec, pteh_of(va, 16, true),
			       ptel_of(9 * PG, 16), NULL), H_PTEG_FULL);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_rmap_link_unlink(void **state)
{
	struct ppc_hpt *h;
	struct ppc_slot *ps;
	unsigned long a, b, c, frames[PPC_HOST_PAGES] = { 1 };
	u64 *rmap;

	alloc_htab(18);
	h = hpt();
	ps = ppc_slot_alloc(32);
	assert_non_null(ps);
	ps->leaves[0] = kzalloc(sizeof(*ps->leaves[0]), GFP_KERNEL);
	rmap = ppc_rmap_word(ps, 3);
	assert_null(ppc_rmap_word(ps, 16));
	a = 10;
	b = 20;
	c = 30;
	ppc_rmap_link(h, ps, 3, a);
	assert_true((*rmap & PPC_RMAP_PRESENT) && (*rmap & PPC_RMAP_INDEX) == a);
	memcpy(ppc_rmap_frames(ps, 3), frames, sizeof(frames));
	*rmap |= PPC_RMAP_FRAMES | PPC_RMAP_C;
	ppc_rmap_link(h, ps, 3, b);
	ppc_rmap_link(h, ps, 3, c);
	/* Head a, then b, c, circular both ways. */
	assert_int_equal(h->rev[a].next, b);
	assert_int_equal(h->rev[b].next, c);
	assert_int_equal(h->rev[c].next, a);
	assert_int_equal(h->rev[a].prev, c);
	/* Unlink the middle, then the head: the head moves on. */
	ppc_rmap_unlink(h, b);
	assert_int_equal(h->rev[a].next, c);
	assert_int_equal(h->rev[c].prev, a);
	assert_null(h->rev[b].slot);
	ppc_rmap_unlink(h, a);
	assert_int_equal(*rmap & PPC_RMAP_INDEX, c);
	assert_true(*rmap & PPC_RMAP_FRAMES);
	/* The last one empties the chain and forgets the frames, not C. */
	ppc_rmap_unlink(h, c);
	assert_false(*rmap & (PPC_RMAP_PRESENT | PPC_RMAP_FRAMES));
	assert_true(*rmap & PPC_RMAP_C);
	ppc_slot_free(ps);
}

static void test_slot_unmap(void **state)
{
	struct kvm_memslot_ppc_hcall hc, before[4];
	struct kvm_memslot_access acc;
	long idx[4];
	u8 b;
	int i;

	alloc_htab(18);
	assert_int_equal(tvm_set(vm, 1, 0, 16 * PG, 16 * PG, TEST_HVA(0)), 0);
	for (i = 0; i < 4; i++) {
		idx[i] = enter(VA((u64)i << 16), (16 + i) * PG, 16);
		assert_true(idx[i] >= 0);
		/* H_ENTER resolved the page: VALID, on the page's chain. */
		assert_true(ppc_hpte(hpt(), idx[i])[0] & PPC_HPTE_V_VALID);
		hcall(KVM_MEMSLOT_PPC_H_READ, 0, idx[i], 0, 0, &before[i]);
	}
	/* A second HPTE for page 16, a 4 KiB one at its third host page. */
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_ENTER, 0,
			       ppc_hpt_group(hpt(), ppc_hpt_hash(VA(0x200000), 12, 0), false),
			       pteh_of(VA(0x200000), 12, false),
			       ptel_of(16 * PG + 2 * PAGE_SIZE, 12), &hc), H_SUCCESS);
	assert_int_equal(hpt()->rev[hc.rets[0]].next, idx[0]);
	host_mem[2][5] = 0x42;
	assert_int_equal(guest_access(VA(0x200005), &b, 1, false, true, &acc), 0);
	assert_int_equal(b, 0x42);
	assert_int_equal(tvm_audit(vm), 0);

	/* Delete: every HPTE into the slot ABSENT, the guest's view kept. */
	assert_int_equal(tvm_set(vm, 1, 0, 16 * PG, 0, TEST_HVA(0)), 0);
	for (i = 0; i < 4; i++) {
		u64 v = ppc_hpte(hpt(), idx[i])[0];

		assert_false(v & PPC_HPTE_V_VALID);
		assert_true(v & PPC_HPTE_V_ABSENT);
		assert_null(hpt()->rev[idx[i]].slot);
		hcall(KVM_MEMSLOT_PPC_H_READ, 0, idx[i], 0, 0, &hc);
		assert_true(hc.rets[0] == before[i].rets[0]);
		assert_true((hc.rets[1] & ~PPC_HPTE_R_RC) == (before[i].rets[1] & ~PPC_HPTE_R_RC));
	}
	assert_int_equal(tvm_audit(vm), 0);
	/* The guest's next access faults into the host: no slot, MMIO. */
	assert_int_equal(guest_access(VA(0x10000), &b, 1, false, true, &acc),
			 KVM_MEMSLOT_ACCESS_STOPPED);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_MMIO);
	assert_true(acc.exit_gpa == 17 * PG);
	/* A slot there again: the same HPTE is resolved anew. */
	assert_int_equal(tvm_set(vm, 2, 0, 16 * PG, 16 * PG, TEST_HVA(32 * PG)), 0);
	host_mem[(32 + 1) * PPC_HOST_PAGES][0] = 0x99;
	assert_int_equal(guest_access(VA(0x10000), &b, 1, false, true, &acc), 0);
	assert_int_equal(b, 0x99);
	assert_true(ppc_hpte(hpt(), idx[1])[0] & PPC_HPTE_V_VALID);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_rc_harvest(void **state)
{
	const struct kvm_memory_slot *s;
	struct kvm_memslot_ppc_hcall hc;
	struct kvm_memslot_access acc;
	struct kvm_dirty_log log;
	unsigned long bitmap[1];
	u8 b = 1;
	long idx;

	alloc_htab(18);
	assert_int_equal(tvm_set(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 8 * PG, TEST_HVA(0)), 0);
	idx = enter(VA(0x30000), 3 * PG, 16);
	assert_true(idx >= 0);
	assert_int_equal(guest_access(VA(0x30010), &b, 1, true, true, &acc), 0);
	assert_true(host_mem[3 * PPC_HOST_PAGES][0x10] == 1);
	assert_true(ppc_hpte(hpt(), idx)[1] & PPC_HPTE_R_C);

	/* GET_DIRTY_LOG harvests C: one 64 KiB page, bit 3. */
	log.slot = 0;
	log.dirty_bitmap = bitmap;
	bitmap[0] = 0;
	assert_int_equal(kvm_memslot_get_dirty_log(vm, &log), 0);
	assert_int_equal(bitmap[0], 1UL << 3);
	assert_false(ppc_hpte(hpt(), idx)[1] & PPC_HPTE_R_C);
	/* The guest still sees C. */
	hcall(KVM_MEMSLOT_PPC_H_READ, 0, idx, 0, 0, &hc);
	assert_true(hc.rets[1] & PPC_HPTE_R_C);
	bitmap[0] = 0;
	assert_int_equal(kvm_memslot_get_dirty_log(vm, &log), 0);
	assert_int_equal(bitmap[0], 0);

	/* A write, then H_REMOVE: C goes through the rmap word. */
	assert_int_equal(guest_access(VA(0x30020), &b, 1, true, true, &acc), 0);
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_REMOVE, 0, idx, 0, 0, &hc), H_SUCCESS);
	assert_true(hc.rets[1] & PPC_HPTE_R_C);
	assert_true(*rmap_of(0, 3) & PPC_RMAP_C);
	assert_int_equal(kvm_memslot_get_dirty_log(vm, &log), 0);
	assert_int_equal(bitmap[0], 1UL << 3);
	assert_false(*rmap_of(0, 3) & PPC_RMAP_C);

	/* Real mode: through the host's VRMA entry, dirty bit 5. */
	assert_int_equal(guest_access(5 * PG + 7, &b, 1, true, false, &acc), 0);
	bitmap[0] = 0;
	assert_int_equal(kvm_memslot_get_dirty_log(vm, &log), 0);
	assert_int_equal(bitmap[0], 1UL << 5);
	s = tvm_find_id(vm, 0, 0);
	assert_non_null(s->dirty_bitmap);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_enable_logging(void **state)
{
	struct kvm_memslot_access acc;
	struct kvm_dirty_log log;
	unsigned long bitmap[1];
	u8 b = 1;
	long idx;

	alloc_htab(18);
	assert_int_equal(tvm_set(vm, 0, 0, 0, 8 * PG, TEST_HVA(0)), 0);
	idx = enter(VA(0x20000), 2 * PG, 16);
	assert_true(idx >= 0);
	/* Writes before logging: C set in the HPTE and, taken down, the rmap. */
	assert_int_equal(guest_access(VA(0x20000), &b, 1, true, true, &acc), 0);
	assert_int_equal(guest_access(6 * PG, &b, 1, true, false, &acc), 0);
	spin_lock(&vm->mmu_lock);
	ppc_unmap_page(hpt(), tvm_find_id(vm, 0, 0)->arch, 6, NULL);
	spin_unlock(&vm->mmu_lock);
	assert_true(*rmap_of(0, 6) & PPC_RMAP_C);

	/* Logging on: the first harvest has only what is written since. */
	assert_int_equal(tvm_set(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, 0, 8 * PG, TEST_HVA(0)), 0);
	log.slot = 0;
	log.dirty_bitmap = bitmap;
	bitmap[0] = 0;
	assert_int_equal(kvm_memslot_get_dirty_log(vm, &log), 0);
	assert_int_equal(bitmap[0], 0);
	assert_int_equal(guest_access(VA(0x20001), &b, 1, true, true, &acc), 0);
	assert_int_equal(kvm_memslot_get_dirty_log(vm, &log), 0);
	assert_int_equal(bitmap[0], 1UL << 2);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_hcall_codes(void **state)
{
	struct kvm_memslot_ppc_hcall hc = {};
	u64 va = VA(0x50000), v;
	long idx;

	alloc_htab(18);
	assert_int_equal(tvm_set(vm, 0, 0, 0, 16 * PG, TEST_HVA(0)), 0);
	/* B = 0b1x, a bad page size, an index out of the table. */
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_ENTER, 0, 0, 2ULL << 62 | 1, 0, NULL),
			 H_PARAMETER);
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_ENTER, 0, 0, PPC_HPTE_V_LARGE | 1, 0x3000, NULL),
			 H_PARAMETER);
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_ENTER, 0, 1UL << 14, pteh_of(va, 16, false),
			       ptel_of(0, 16), NULL), H_PARAMETER);
	/* 16 MiB from a slot: larger than the host's 64 KiB page. */
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_ENTER, 0, 0, pteh_of(va, 24, false),
			       ptel_of(0, 24), NULL), H_PARAMETER);
	/* No slot: emulated MMIO, entered ABSENT with key 31 for the host. */
	idx = enter(va, 64 * PG, 16);
	assert_true(idx >= 0);
	assert_true(ppc_hpte(hpt(), idx)[0] & PPC_HPTE_V_ABSENT);
	assert_true((ppc_hpte(hpt(), idx)[1] & PPC_HPTE_R_KEY) == PPC_HPTE_R_KEY);
	hcall(KVM_MEMSLOT_PPC_H_READ, 0, idx, 0, 0, &hc);
	v = hc.rets[0];
	assert_true(v & PPC_HPTE_V_VALID);
	assert_false(v & PPC_HPTE_V_ABSENT);
	assert_true(hc.rets[1] == ptel_of(64 * PG, 16));
	/* AVPN and ANDCOND. */
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_REMOVE, H_AVPN, idx,
			       (v & ~0x7fULL) ^ 0x80, 0, NULL), H_NOT_FOUND);
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_REMOVE, H_ANDCOND, idx, PPC_HPTE_V_LARGE, 0, NULL),
			 H_NOT_FOUND);
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_PROTECT, H_AVPN, idx, v & ~0x7fULL, 0, NULL),
			 H_SUCCESS);
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_REMOVE, H_AVPN, idx, v & ~0x7fULL, 0, &hc),
			 H_SUCCESS);
	assert_true(hc.rets[0] == v);
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_REMOVE, 0, idx, 0, 0, NULL), H_NOT_FOUND);
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_PROTECT, 0, idx, 0, 0, NULL), H_NOT_FOUND);
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_READ, 0, 1UL << 14, 0, 0, NULL), H_PARAMETER);
	assert_int_equal(hcall(0x1234, 0, 0, 0, 0, NULL), -2);

	/* H_PROTECT to read-only: a guest write is a storage interrupt. */
	idx = enter(va, 2 * PG, 16);
	assert_int_equal(hcall(KVM_MEMSLOT_PPC_H_PROTECT, 3, idx, 0, 0, NULL), H_SUCCESS);
	{
		struct kvm_memslot_access acc;
		u8 b = 0;

		assert_int_equal(guest_access(va, &b, 1, true, true, &acc),
				 KVM_MEMSLOT_ACCESS_STOPPED);
		assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_GUEST_FAULT);
		assert_int_equal(guest_access(va, &b, 1, false, true, &acc), 0);
	}
	/* H_READ_4 reads the aligned four. */
	hcall(KVM_MEMSLOT_PPC_H_READ, H_READ_4, idx | 3, 0, 0, &hc);
	assert_true(hc.rets[2 * (idx & 3)] & PPC_HPTE_V_VALID);

	/* H_BULK_REMOVE: one found (with R), one not, then the end. */
	memset(&hc, 0, sizeof(hc));
	hc.nr = KVM_MEMSLOT_PPC_H_BULK_REMOVE;
	hc.args[0] = (1ULL << 62) | idx;
	hc.args[2] = (1ULL << 62) | (idx + 1);
	hc.args[4] = 3ULL << 62;
	assert_int_equal(kvm_memslot_ppc_ops.vcpu_ioctl(vm, &hint, KVM_MEMSLOT_PPC_HCALL,
							(unsigned long)&hc), 0);
	assert_int_equal(hc.ret, H_SUCCESS);
	assert_true((hc.rets[0] >> 56) == 0x84 || (hc.rets[0] >> 56) == 0x80 ||
		    (hc.rets[0] >> 56) == 0x88 || (hc.rets[0] >> 56) == 0x8c);
	assert_true((hc.rets[0] & ((1ULL << 56) - 1)) == (u64)idx);
	assert_true((hc.rets[2] >> 56) == 0x90);
	assert_false(ppc_hpte(hpt(), idx)[0] & (PPC_HPTE_V_VALID | PPC_HPTE_V_ABSENT));
	/* A bad request type. */
	hc.args[0] = (2ULL << 62) | idx;
	assert_int_equal(kvm_memslot_ppc_ops.vcpu_ioctl(vm, &hint, KVM_MEMSLOT_PPC_HCALL,
							(unsigned long)&hc), 0);
	assert_int_equal(hc.ret, H_PARAMETER);
	assert_true((hc.rets[0] >> 56) == 0xa0);
	/* Reserved fields must be zero. */
	hc.reserved[1] = 1;
	assert_int_equal(kvm_memslot_ppc_ops.vcpu_ioctl(vm, &hint, KVM_MEMSLOT_PPC_HCALL,
							(unsigned long)&hc), -EINVAL);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_64k_gfns_core(void **state)
{
	const struct kvm_memory_slot *s;
	struct kvm_memslot_access acc;
	u8 b = 0x31;

	/* Sizes, gpas and hvas are in whole 64 KiB pages. */
	assert_int_equal(tvm_set(vm, 0, 0, 0, PAGE_SIZE, TEST_HVA(0)), -EINVAL);
	assert_int_equal(tvm_set(vm, 0, 0, 0, 17 * PAGE_SIZE, TEST_HVA(0)), -EINVAL);
	assert_int_equal(tvm_set(vm, 0, 0, PAGE_SIZE, PG, TEST_HVA(0)), -EINVAL);
	assert_int_equal(tvm_set(vm, 0, 0, 0, PG, TEST_HVA(PAGE_SIZE)), -EINVAL);
	assert_int_equal(tvm_set(vm, 0, KVM_MEM_READONLY, 0, PG, TEST_HVA(0)), -EINVAL);
	assert_int_equal(tvm_set(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, 3 * PG, 4 * PG, TEST_HVA(0)), 0);
	s = tvm_find_id(vm, 0, 0);
	assert_int_equal(s->base_gfn, 3);
	assert_int_equal(s->npages, 4);
	assert_true(kvm_memslot_gfn_to_hva(s, 4) == TEST_HVA(PG));
	assert_ptr_equal(tvm_find_gfn(vm, 0, 6), s);
	assert_null(tvm_find_gfn(vm, 0, 7));
	/* A real-mode write to the second host page of gfn 4. */
	assert_int_equal(guest_access(4 * PG + PAGE_SIZE + 9, &b, 1, true, false, &acc), 0);
	assert_int_equal(host_mem[PPC_HOST_PAGES + 1][9], 0x31);
	/* Beyond the slot: MMIO at the guest real address. */
	assert_int_equal(guest_access(7 * PG, &b, 1, false, false, &acc),
			 KVM_MEMSLOT_ACCESS_STOPPED);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_MMIO);
	assert_true(acc.exit_gpa == 7 * PG);
	assert_int_equal(tvm_audit(vm), 0);
}

static void test_move_unmaps(void **state)
{
	struct kvm_memslot_access acc;
	long idx;
	u8 b;

	alloc_htab(18);
	assert_int_equal(tvm_set(vm, 0, 0, 0, 8 * PG, TEST_HVA(0)), 0);
	idx = enter(VA(0x10000), 1 * PG, 16);
	assert_true(ppc_hpte(hpt(), idx)[0] & PPC_HPTE_V_VALID);
	/* Move the slot: the entry's gpa now has no slot. */
	assert_int_equal(tvm_set(vm, 0, 0, 32 * PG, 8 * PG, TEST_HVA(0)), 0);
	assert_true(ppc_hpte(hpt(), idx)[0] & PPC_HPTE_V_ABSENT);
	assert_null(hpt()->rev[idx].slot);
	assert_int_equal(tvm_audit(vm), 0);
	assert_int_equal(guest_access(VA(0x10000), &b, 1, false, true, &acc),
			 KVM_MEMSLOT_ACCESS_STOPPED);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_MMIO);
	/* The MMU notifier path: unmapping the host range takes it down too. */
	idx = enter(VA(0x20000), 33 * PG, 16);
	assert_true(ppc_hpte(hpt(), idx)[0] & PPC_HPTE_V_VALID);
	spin_lock(&vm->mmu_lock);
	{
		struct kvm_memslot_gfn_range r = {
			.slot = tvm_find_id(vm, 0, 0), .start = 33, .end = 34,
		};

		kvm_memslot_ppc_ops.unmap_gfn_range(vm, &r);
	}
	spin_unlock(&vm->mmu_lock);
	assert_true(ppc_hpte(hpt(), idx)[0] & PPC_HPTE_V_ABSENT);
	assert_int_equal(tvm_audit(vm), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hpte_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_htab_orders, setup, teardown),
		cmocka_unit_test_setup_teardown(test_secondary_overflow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rmap_link_unlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slot_unmap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rc_harvest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enable_logging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hcall_codes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_64k_gfns_core, setup, teardown),
		cmocka_unit_test_setup_teardown(test_move_unmaps, setup, teardown),
	};

	return cmocka_run_group_tests_name("ppc book3s hv backend", tests, NULL, NULL);
}
