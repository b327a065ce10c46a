// SPDX-License-Identifier: GPL-2.0-only
/*
 * The gfn_to_pfn cache (../virt/kvm/pfncache.c) against a fake host mm.
 *
 * The fake mm maps each host page of the test range to a fake pfn, maybe
 * read-only, maybe not at all, and counts the references the cache holds
 * on each pfn.  Invalidations go through the VM's real MMU notifier
 * (../virt/kvm/mmu_notifier.c), registered on the harness's fake
 * mm, which calls it as Linux 6.1's mm does: one struct
 * mmu_notifier_range passed to start and then to end.
 *
 * Covered: activate/check/refresh/deactivate; the page-boundary refusal;
 * invalidation by any slot-set generation change (create, delete, move,
 * flags) and the refresh errors that follow (no slot, read-only slot);
 * MMU-notifier invalidation by range, edges included; write caches on
 * read-only host pages; a refresh whose page resolution an invalidation
 * overlaps (in progress, or begun and ended), which must wait and retry;
 * a refresh while invalidations of other pages are in flight, which must
 * neither wait nor fail; a host that keeps changing the page, which only
 * a fatal signal ends; a refresh during a slot update, which must wait for
 * the final layout; and threads using caches while the fake mm keeps
 * replacing pages.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "host_mm.h"
#include "host_vm.h"

#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/kvm_memslot_pfncache.h>
#include <linux/sched.h>

#define SLOT_GPA	0x100000UL

/* Remote TLB flushes the notifier asks for: there are no vCPUs here. */
void kvm_memslot_flush_remote_tlbs(struct kvm_memslot_vm *vm)
{
}

/* ---- invalidations, through the VM's MMU notifier ---- */

static struct mm_struct *test_mm;

static void inv_start(struct mmu_notifier_range *range, unsigned long start,
		      unsigned long end)
{
	assert_int_equal(harness_mm_invalidate_start(range, test_mm, start, end,
						     true), 0);
}

static void inv_end(struct mmu_notifier_range *range)
{
	harness_mm_invalidate_end(range);
}

/* Replace the page at @hva, as munmap+mmap or a COW break would. */
static void host_replace(unsigned long hva)
{
	struct mmu_notifier_range range;

	inv_start(&range, hva, hva + PAGE_SIZE);
	__atomic_store_n(&fake_pte(hva)->pfn, fake_new_pfn(), __ATOMIC_SEQ_CST);
	inv_end(&range);
}

/* ---- helpers ---- */

static bool check(struct kvm_memslot_gpc *gpc)
{
	bool hit;

	read_lock(&gpc->lock);
	hit = kvm_memslot_gpc_check(gpc);
	read_unlock(&gpc->lock);
	return hit;
}

/* A refresh in another thread, for refreshes that must wait. */
struct bg_refresh {
	struct kvm_memslot_gpc *gpc;
	pthread_t thread;
	int done;
	int r;
};

static void *bg_refresh_fn(void *arg)
{
	struct bg_refresh *b = arg;

	b->r = kvm_memslot_gpc_refresh(b->gpc);
	__atomic_store_n(&b->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void bg_refresh_start(struct bg_refresh *b, struct kvm_memslot_gpc *gpc)
{
	memset(b, 0, sizeof(*b));
	b->gpc = gpc;
	assert_int_equal(harness_thread_start(&b->thread, bg_refresh_fn, b), 0);
}

static bool bg_refresh_done(struct bg_refresh *b)
{
	return __atomic_load_n(&b->done, __ATOMIC_SEQ_CST);
}

static int bg_refresh_join(struct bg_refresh *b)
{
	pthread_join(b->thread, NULL);
	return b->r;
}

struct fixture {
	struct kvm_memslot_host_vm *hvm;
	struct kvm_memslot_vm *vm;
	/* The VM's list of active caches, which its notifier walks. */
	struct hlist_head *caches;
	struct kvm_memslot_gpc gpc;
};

/* A VM with slot 0: 16 pages at SLOT_GPA, backed by the fake mm's start. */
static struct fixture *fx_create(bool write)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fake_mm_reset();
	f->hvm = thvm_create(&test_ops_x86, NULL);
	f->vm = &f->hvm->core;
	f->caches = &f->vm->gpcs;
	test_mm = thvm_mm(f->hvm);
	assert_int_equal(tvm_set(f->vm, 0, 0, SLOT_GPA, 16 * PG, TEST_HVA(0)), 0);
	kvm_memslot_gpc_init(&f->gpc, f->vm, 0, write);
	return f;
}

static void fx_destroy(struct fixture *f)
{
	kvm_memslot_gpc_deactivate(&f->gpc);
	mutex_destroy(&f->gpc.refresh_lock);
	assert_true(hlist_empty(f->caches));
	/* Invariant 5: no page reference outlives the cache. */
	assert_int_equal(fake_total_refs(), 0);
	assert_int_equal(f->vm->mmu_invalidate_in_progress, 0);
	assert_int_equal(f->vm->mn_inflight[0] + f->vm->mn_inflight[1], 0);
	thvm_destroy(f->hvm);
	free(f);
}

/* ---- tests ---- */

static void test_lifecycle(void **state)
{
	struct fixture *f = fx_create(false);
	struct kvm_memslot_gpc *gpc = &f->gpc;
	unsigned long hva = TEST_HVA(3 * PG);

	assert_int_equal(kvm_memslot_gpc_activate(gpc, SLOT_GPA + 3 * PG + 0x10, 8), 0);
	assert_true(gpc->active);
	assert_false(hlist_empty(f->caches));
	/* Activation resolves nothing: the first check misses. */
	assert_false(check(gpc));
	assert_int_equal(pins, 0);

	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	assert_true(check(gpc));
	assert_int_equal(gpc->pfn, fake_pfn(hva));
	assert_int_equal(gpc->hva, hva);
	assert_int_equal(gpc->fills, 1);
	assert_int_equal(fake_ref(gpc->pfn), 1);

	/* A refresh of a valid cache resolves again, and keeps one ref. */
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	assert_true(check(gpc));
	assert_int_equal(gpc->fills, 2);
	assert_int_equal(fake_total_refs(), 1);

	/* Re-activation moves the range and drops the page. */
	assert_int_equal(kvm_memslot_gpc_activate(gpc, SLOT_GPA + 5 * PG, PG), 0);
	assert_false(check(gpc));
	assert_int_equal(fake_total_refs(), 0);
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	assert_int_equal(gpc->pfn, fake_pfn(TEST_HVA(5 * PG)));

	kvm_memslot_gpc_deactivate(gpc);
	assert_false(gpc->active);
	assert_false(check(gpc));
	assert_true(hlist_empty(f->caches));
	assert_int_equal(fake_total_refs(), 0);
	/* Inactive: refresh refuses, deactivate again is harmless. */
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), -EINVAL);
	kvm_memslot_gpc_deactivate(gpc);
	fx_destroy(f);
}

static void test_page_boundary(void **state)
{
	struct fixture *f = fx_create(true);
	struct kvm_memslot_gpc *gpc = &f->gpc;

	assert_int_equal(kvm_memslot_gpc_activate(gpc, SLOT_GPA + 0xff8, 16), -EINVAL);
	assert_int_equal(kvm_memslot_gpc_activate(gpc, SLOT_GPA + 0xfff, 2), -EINVAL);
	assert_int_equal(kvm_memslot_gpc_activate(gpc, SLOT_GPA, PG + 1), -EINVAL);
	assert_int_equal(kvm_memslot_gpc_activate(gpc, SLOT_GPA, 0), -EINVAL);
	assert_int_equal(kvm_memslot_gpc_activate(gpc, ~0ULL, 2), -EINVAL);
	assert_false(gpc->active);
	assert_true(hlist_empty(f->caches));

	/* Up to the last byte of a page is fine, and so is a whole page. */
	assert_int_equal(kvm_memslot_gpc_activate(gpc, SLOT_GPA + 0xff8, 8), 0);
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	assert_int_equal(kvm_memslot_gpc_activate(gpc, SLOT_GPA + PG, PG), 0);
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	assert_int_equal(gpc->pfn, fake_pfn(TEST_HVA(PG)));
	fx_destroy(f);
}

static void test_generation(void **state)
{
	struct fixture *f = fx_create(true);
	struct kvm_memslot_gpc *gpc = &f->gpc;
	struct kvm_memslot_vm *vm = f->vm;
	u64 gpa = SLOT_GPA + 2 * PG;

	assert_int_equal(kvm_memslot_gpc_activate(gpc, gpa, 64), 0);
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	assert_true(check(gpc));
	assert_int_equal(gpc->generation, vm->generation);

	/* Any publish, even of an unrelated slot, makes the check miss. */
	assert_int_equal(tvm_set(vm, 1, 0, 0x10000000, PG, TEST_HVA(40 * PG)), 0);
	assert_false(check(gpc));
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	assert_true(check(gpc));

	/* Flags: dirty logging on. */
	assert_int_equal(tvm_set(vm, 0, KVM_MEM_LOG_DIRTY_PAGES, SLOT_GPA,
				 16 * PG, TEST_HVA(0)), 0);
	assert_false(check(gpc));
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	assert_true(check(gpc));
	/* A write through the cache is logged. */
	{
		int idx = srcu_read_lock(&vm->srcu);

		read_lock(&gpc->lock);
		assert_true(kvm_memslot_gpc_check(gpc));
		kvm_memslot_gpc_mark_dirty(gpc);
		assert_true(test_bit(2, gpc->slot->dirty_bitmap));
		read_unlock(&gpc->lock);
		srcu_read_unlock(&vm->srcu, idx);
	}

	/* Move: the gpa is no longer backed; the page ref is dropped. */
	assert_int_equal(tvm_set(vm, 0, 0, 0x200000, 16 * PG, TEST_HVA(0)), 0);
	assert_false(check(gpc));
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), -ENOENT);
	assert_int_equal(gpc->last_error, -ENOENT);
	assert_false(check(gpc));
	assert_int_equal(fake_total_refs(), 0);

	/* Following the move: the same host page at the new gpa. */
	assert_int_equal(kvm_memslot_gpc_activate(gpc, 0x200000 + 2 * PG, 64), 0);
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	assert_int_equal(gpc->pfn, fake_pfn(TEST_HVA(2 * PG)));

	/* Delete. */
	assert_int_equal(tvm_set(vm, 0, 0, 0x200000, 0, TEST_HVA(0)), 0);
	assert_false(check(gpc));
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), -ENOENT);

	/* A write cache refuses a read-only slot; a read cache takes it. */
	assert_int_equal(tvm_set(vm, 2, KVM_MEM_READONLY, 0x200000, 16 * PG,
				 TEST_HVA(16 * PG)), 0);
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), -EROFS);
	{
		struct kvm_memslot_gpc rd = {};

		kvm_memslot_gpc_init(&rd, vm, 0, false);
		assert_int_equal(kvm_memslot_gpc_activate(&rd, 0x200000 + 2 * PG, 64), 0);
		assert_int_equal(kvm_memslot_gpc_refresh(&rd), 0);
		assert_true(check(&rd));
		assert_int_equal(rd.pfn, fake_pfn(TEST_HVA(18 * PG)));
		kvm_memslot_gpc_deactivate(&rd);
		mutex_destroy(&rd.refresh_lock);
	}

	/* The other address space is another layout. */
	{
		struct kvm_memslot_gpc smm = {};

		kvm_memslot_gpc_init(&smm, vm, 1, false);
		assert_int_equal(kvm_memslot_gpc_activate(&smm, 0x200000, 8), 0);
		assert_int_equal(kvm_memslot_gpc_refresh(&smm), -ENOENT);
		assert_int_equal(tvm_set(vm, SLOT(1, 0), 0, 0x200000, PG,
					 TEST_HVA(50 * PG)), 0);
		assert_int_equal(kvm_memslot_gpc_refresh(&smm), 0);
		assert_int_equal(smm.pfn, fake_pfn(TEST_HVA(50 * PG)));
		kvm_memslot_gpc_deactivate(&smm);
		mutex_destroy(&smm.refresh_lock);
	}
	fx_destroy(f);
}

static void test_mmu_invalidation(void **state)
{
	struct fixture *f = fx_create(true);
	struct kvm_memslot_gpc *gpc = &f->gpc;
	struct kvm_memslot_vm *vm = f->vm;
	unsigned long hva = TEST_HVA(4 * PG);
	struct mmu_notifier_range r;
	struct bg_refresh bg;
	unsigned long old;

	assert_int_equal(kvm_memslot_gpc_activate(gpc, SLOT_GPA + 4 * PG + 8, 8), 0);
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);

	/* Ranges that end at the page or start after it leave it alone. */
	inv_start(&r, TEST_HVA(0), hva);
	inv_end(&r);
	inv_start(&r, hva + PG, hva + 2 * PG);
	inv_end(&r);
	assert_true(check(gpc));
	assert_int_equal(gpc->invalidations, 0);

	/* One byte of overlap is enough; the ref goes at once. */
	old = gpc->pfn;
	inv_start(&r, hva + PG - 1, hva + PG);
	assert_false(check(gpc));
	assert_int_equal(fake_ref(old), 0);
	assert_int_equal(gpc->invalidations, 1);
	/*
	 * Nothing is resolved, let alone installed, while the invalidation
	 * is in flight: the refresh waits for it...
	 */
	page_pins[4] = 0;
	bg_refresh_start(&bg, gpc);
	harness_sleep_ms(50);
	assert_false(bg_refresh_done(&bg));
	assert_int_equal(__atomic_load_n(&page_pins[4], __ATOMIC_SEQ_CST), 0);
	assert_false(check(gpc));
	assert_int_equal(fake_total_refs(), 0);
	__atomic_store_n(&fake_pte(hva)->pfn, fake_new_pfn(), __ATOMIC_SEQ_CST);
	inv_end(&r);
	/* ...and then maps what the host maps now. */
	assert_int_equal(bg_refresh_join(&bg), 0);
	assert_true(check(gpc));
	assert_int_equal(gpc->pfn, fake_pfn(hva));
	assert_true(gpc->pfn != old);
	assert_int_equal(page_pins[4], 1);

	/* A protection downgrade: the write cache cannot come back... */
	inv_start(&r, hva, hva + PG);
	__atomic_store_n(&fake_pte(hva)->writable, false, __ATOMIC_SEQ_CST);
	inv_end(&r);
	assert_false(check(gpc));
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), -EFAULT);
	assert_false(check(gpc));
	/* ...while a read cache of the same page can. */
	{
		struct kvm_memslot_gpc rd = {};

		kvm_memslot_gpc_init(&rd, vm, 0, false);
		assert_int_equal(kvm_memslot_gpc_activate(&rd, SLOT_GPA + 4 * PG, 8), 0);
		assert_int_equal(kvm_memslot_gpc_refresh(&rd), 0);
		assert_true(check(&rd));
		assert_int_equal(rd.pfn, fake_pfn(hva));
		/* Unmapped: nothing to read either. */
		inv_start(&r, hva, hva + PG);
		__atomic_store_n(&fake_pte(hva)->pfn, 0, __ATOMIC_SEQ_CST);
		inv_end(&r);
		assert_false(check(&rd));
		assert_int_equal(kvm_memslot_gpc_refresh(&rd), -EFAULT);
		kvm_memslot_gpc_deactivate(&rd);
		mutex_destroy(&rd.refresh_lock);
	}
	fx_destroy(f);
}

/*
 * An invalidation of the cache's page starts while the refresh resolves
 * it, replaces the page and ends a while later: the refresh must not
 * install the page it resolved first, must wait, and must then install
 * the new one.
 */
static struct {
	unsigned long hva;
	int armed;
	struct mmu_notifier_range range;
	pthread_t thread;
} overlap;

static void *overlap_end_fn(void *arg)
{
	harness_sleep_ms(30);
	__atomic_store_n(&fake_pte(overlap.hva)->pfn, fake_new_pfn(),
			 __ATOMIC_SEQ_CST);
	inv_end(&overlap.range);
	return NULL;
}

static void overlap_in_progress_hook(unsigned long hva)
{
	if (!__atomic_exchange_n(&overlap.armed, 0, __ATOMIC_SEQ_CST))
		return;
	inv_start(&overlap.range, hva, hva + PG);
	assert_int_equal(harness_thread_start(&overlap.thread, overlap_end_fn,
					      NULL), 0);
}

/* An invalidation that begins and ends while the page is resolved. */
static void overlap_ended_hook(unsigned long hva)
{
	if (!__atomic_exchange_n(&overlap.armed, 0, __ATOMIC_SEQ_CST))
		return;
	host_replace(hva);
}

static void test_refresh_retry(void **state)
{
	struct fixture *f = fx_create(true);
	struct kvm_memslot_gpc *gpc = &f->gpc;
	unsigned long hva = TEST_HVA(6 * PG);
	struct mmu_notifier_range r;
	unsigned long first;

	overlap.hva = hva;
	assert_int_equal(kvm_memslot_gpc_activate(gpc, SLOT_GPA + 6 * PG, 16), 0);

	/* In progress while resolving: wait for the end, then retry. */
	first = fake_pfn(hva);
	overlap.armed = 1;
	pin_hook = overlap_in_progress_hook;
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	pthread_join(overlap.thread, NULL);
	pin_hook = NULL;
	assert_true(check(gpc));
	assert_true(gpc->pfn != first);
	assert_int_equal(gpc->pfn, fake_pfn(hva));
	assert_true(gpc->retries >= 1);
	assert_int_equal(fake_total_refs(), 1);
	assert_int_equal(fake_ref(first), 0);

	/* Begun and ended while resolving: resolved once more. */
	gpc->retries = 0;
	overlap.armed = 1;
	pin_hook = overlap_ended_hook;
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	pin_hook = NULL;
	assert_int_equal(gpc->retries, 1);
	assert_int_equal(gpc->pfn, fake_pfn(hva));
	assert_int_equal(fake_total_refs(), 1);

	/* An unrelated invalidation in progress does not hold a refresh up. */
	gpc->retries = 0;
	inv_start(&r, TEST_HVA(20 * PG), TEST_HVA(21 * PG));
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	assert_int_equal(gpc->retries, 0);
	inv_end(&r);

	fx_destroy(f);
}

/*
 * Invalidations of pages 0 and 12 are in flight together.  A refresh of
 * page 4, which neither touches, maps it at once; a refresh of page 12
 * waits for that invalidation alone, resolving nothing meanwhile, then
 * maps the page the host maps after it.  (The union of the ranges in
 * flight covers page 4, which made the refresh give up with -EAGAIN.)
 */
static void test_refresh_other_pages_in_flight(void **state)
{
	struct fixture *f = fx_create(true);
	struct kvm_memslot_gpc *gpc = &f->gpc, g12 = {};
	struct mmu_notifier_range r0, r12, r_late;
	unsigned long old12 = fake_pfn(TEST_HVA(12 * PG));
	struct bg_refresh bg;

	kvm_memslot_gpc_init(&g12, f->vm, 0, true);
	assert_int_equal(kvm_memslot_gpc_activate(gpc, SLOT_GPA + 4 * PG, 8), 0);
	assert_int_equal(kvm_memslot_gpc_activate(&g12, SLOT_GPA + 12 * PG, 8), 0);

	inv_start(&r0, TEST_HVA(0), TEST_HVA(PG));
	inv_start(&r12, TEST_HVA(12 * PG), TEST_HVA(13 * PG));

	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	assert_true(check(gpc));
	assert_int_equal(gpc->pfn, fake_pfn(TEST_HVA(4 * PG)));
	assert_int_equal(gpc->retries, 0);
	assert_int_equal(page_pins[4], 1);

	bg_refresh_start(&bg, &g12);
	harness_sleep_ms(50);
	/* Waiting, and not resolving the page being torn down. */
	assert_false(bg_refresh_done(&bg));
	assert_int_equal(__atomic_load_n(&page_pins[12], __ATOMIC_SEQ_CST), 0);
	/* An invalidation of yet another page ending does not wake it up. */
	inv_start(&r_late, TEST_HVA(8 * PG), TEST_HVA(9 * PG));
	inv_end(&r_late);
	harness_sleep_ms(20);
	assert_false(bg_refresh_done(&bg));
	assert_int_equal(__atomic_load_n(&page_pins[12], __ATOMIC_SEQ_CST), 0);

	__atomic_store_n(&fake_pte(TEST_HVA(12 * PG))->pfn, fake_new_pfn(),
			 __ATOMIC_SEQ_CST);
	inv_end(&r12);
	assert_int_equal(bg_refresh_join(&bg), 0);
	assert_true(check(&g12));
	assert_int_equal(g12.pfn, fake_pfn(TEST_HVA(12 * PG)));
	assert_true(g12.pfn != old12);
	assert_int_equal(g12.retries, 0);
	assert_int_equal(page_pins[12], 1);
	/* The cache of page 4 outlived all of this. */
	assert_true(check(gpc));
	inv_end(&r0);
	assert_true(check(gpc));

	kvm_memslot_gpc_deactivate(&g12);
	mutex_destroy(&g12.refresh_lock);
	fx_destroy(f);
}

/*
 * The host replaces the page on each of the first STORM_PINS resolutions:
 * the refresh resolves it again each time (there is no limit to give up
 * at), and maps the page once the host settles.  A host that never
 * settles keeps it going until a fatal signal, which it reports.
 */
#define STORM_PINS	20

static unsigned long storm_left;
static bool storm_kill;

static void storm_hook(unsigned long hva)
{
	if (!storm_left)
		return;
	storm_left--;
	/* Settled. */
	if (!storm_left && !storm_kill)
		return;
	if (!storm_left)
		harness_fatal_signal = 1;
	host_replace(hva);
}

static void test_refresh_storm(void **state)
{
	struct fixture *f = fx_create(false);
	struct kvm_memslot_gpc *gpc = &f->gpc;

	assert_int_equal(kvm_memslot_gpc_activate(gpc, SLOT_GPA, 8), 0);
	storm_left = STORM_PINS + 1;
	storm_kill = false;
	pin_hook = storm_hook;
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	assert_int_equal(pins, STORM_PINS + 1);
	assert_int_equal(gpc->retries, STORM_PINS);
	assert_true(check(gpc));
	assert_int_equal(gpc->pfn, fake_pfn(TEST_HVA(0)));
	assert_int_equal(fake_total_refs(), 1);

	/* Never settling: only the fatal signal ends it. */
	pins = 0;
	storm_left = 1000;
	storm_kill = true;
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), -EINTR);
	harness_fatal_signal = 0;
	pin_hook = NULL;
	assert_int_equal(pins, 1000);
	assert_int_equal(gpc->last_error, -EINTR);
	assert_false(check(gpc));
	assert_int_equal(fake_total_refs(), 0);
	/* Once the host settles, it works. */
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	assert_true(check(gpc));
	fx_destroy(f);
}

/*
 * A refresh that starts while a delete+create batch is between its two
 * publishes must neither report "no slot" nor map the old slot's page: it
 * waits for the final layout.
 */
static struct {
	struct fixture *f;
	pthread_t thread;
	int started;
	int r;
	unsigned long pfn;
	u64 generation;
} midupdate;

static void *midupdate_refresh_fn(void *arg)
{
	struct kvm_memslot_gpc *gpc = &midupdate.f->gpc;

	__atomic_store_n(&midupdate.started, 1, __ATOMIC_SEQ_CST);
	midupdate.r = kvm_memslot_gpc_refresh(gpc);
	midupdate.pfn = gpc->pfn;
	midupdate.generation = gpc->generation;
	return NULL;
}

static void midupdate_hook(struct srcu_struct *ssp)
{
	struct kvm_memslot_vm *vm = midupdate.f->vm;

	/* Only the first grace period: the one after the INVALID publish. */
	harness_synchronize_hook = NULL;
	assert_true(vm->generation & 1);
	assert_int_equal(harness_thread_start(&midupdate.thread,
					      midupdate_refresh_fn, NULL), 0);
	while (!__atomic_load_n(&midupdate.started, __ATOMIC_SEQ_CST))
		harness_sleep_ms(1);
	harness_sleep_ms(20);
}

static void test_refresh_during_update(void **state)
{
	struct fixture *f = fx_create(false);
	struct kvm_memslot_gpc *gpc = &f->gpc;
	struct kvm_userspace_memory_region batch[2] = {
		region(0, 0, SLOT_GPA, 0, TEST_HVA(0)),
		region(1, 0, SLOT_GPA, 16 * PG, TEST_HVA(32 * PG)),
	};
	unsigned int failed = 0;

	memset(&midupdate, 0, sizeof(midupdate));
	midupdate.f = f;
	assert_int_equal(kvm_memslot_gpc_activate(gpc, SLOT_GPA + PG, 8), 0);
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	assert_int_equal(gpc->pfn, fake_pfn(TEST_HVA(PG)));

	harness_synchronize_hook = midupdate_hook;
	assert_int_equal(kvm_memslot_set_regions(f->vm, batch, 2, &failed), 0);
	harness_synchronize_hook = NULL;
	pthread_join(midupdate.thread, NULL);

	assert_int_equal(midupdate.r, 0);
	assert_int_equal(midupdate.pfn, fake_pfn(TEST_HVA(33 * PG)));
	assert_false(midupdate.generation & 1);
	assert_true(check(gpc));
	fx_destroy(f);
}

/*
 * Threads check and refresh caches while another replaces their pages and
 * flips protections, and another changes the slot layout.  Whenever a
 * check hits, the page must be the one the fake mm maps (writable, for a
 * write cache) for as long as the read lock is held.
 */
#define STRESS_READERS	4

struct stress {
	struct fixture *f;
	struct kvm_memslot_gpc gpcs[STRESS_READERS];
	int stop;
	unsigned long hits, refreshes, stale;
};

struct stress_reader {
	struct stress *s;
	int i;
	pthread_t thread;
};

static void *stress_reader_fn(void *arg)
{
	struct stress_reader *r = arg;
	struct stress *s = r->s;
	struct kvm_memslot_gpc *gpc = &s->gpcs[r->i];
	struct kvm_memslot_vm *vm = s->f->vm;

	while (!__atomic_load_n(&s->stop, __ATOMIC_SEQ_CST)) {
		int idx = srcu_read_lock(&vm->srcu);
		bool hit;

		read_lock(&gpc->lock);
		hit = kvm_memslot_gpc_check(gpc);
		if (hit) {
			struct fake_pte *pte = fake_pte(gpc->hva);

			/* The page the host maps now, writable if need be. */
			if (__atomic_load_n(&pte->pfn, __ATOMIC_SEQ_CST) != gpc->pfn ||
			    (gpc->write &&
			     !__atomic_load_n(&pte->writable, __ATOMIC_SEQ_CST)))
				__atomic_add_fetch(&s->stale, 1, __ATOMIC_SEQ_CST);
			__atomic_add_fetch(&s->hits, 1, __ATOMIC_SEQ_CST);
		}
		read_unlock(&gpc->lock);
		srcu_read_unlock(&vm->srcu, idx);
		if (!hit) {
			int err = kvm_memslot_gpc_refresh(gpc);

			/* No -EAGAIN: a refresh waits, it does not give up. */
			if (err && err != -EFAULT && err != -ENOENT)
				__atomic_add_fetch(&s->stale, 1000, __ATOMIC_SEQ_CST);
			__atomic_add_fetch(&s->refreshes, 1, __ATOMIC_SEQ_CST);
		}
	}
	return NULL;
}

static void test_stress(void **state)
{
	struct fixture *f = fx_create(false);
	struct stress_reader readers[STRESS_READERS];
	struct stress *s = calloc(1, sizeof(*s));
	struct mmu_notifier_range r;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int i, step, steps = 3000;
	const char *env = getenv("STRESS_STEPS");

	if (env)
		steps = atoi(env);
	assert_non_null(s);
	s->f = f;
	for (i = 0; i < STRESS_READERS; i++) {
		kvm_memslot_gpc_init(&s->gpcs[i], f->vm, 0, i & 1);
		assert_int_equal(kvm_memslot_gpc_activate(&s->gpcs[i],
							  SLOT_GPA + i * PG, 8), 0);
		readers[i].s = s;
		readers[i].i = i;
		assert_int_equal(harness_thread_start(&readers[i].thread,
						      stress_reader_fn,
						      &readers[i]), 0);
	}

	for (step = 0; step < steps; step++) {
		u64 rnd = harness_rand(&seed);
		unsigned long hva = TEST_HVA((rnd >> 8) % STRESS_READERS * PG);
		struct fake_pte *pte = fake_pte(hva);

		switch (rnd % 8) {
		case 0: case 1: case 2:
			host_replace(hva);
			break;
		case 3:
			/* mprotect to read-only, then back. */
			inv_start(&r, hva, hva + PG);
			__atomic_store_n(&pte->writable, false, __ATOMIC_SEQ_CST);
			inv_end(&r);
			break;
		case 4:
			/* Upgrades need no invalidation. */
			__atomic_store_n(&pte->writable, true, __ATOMIC_SEQ_CST);
			break;
		case 5:
			/* Move the slot's host memory (a slot delete + create). */
			assert_int_equal(tvm_set(f->vm, 0, 0, SLOT_GPA, 0, 0), 0);
			assert_int_equal(tvm_set(f->vm, 0, 0, SLOT_GPA, 16 * PG,
						 TEST_HVA((rnd >> 16) % 2 * 32 * PG)), 0);
			break;
		default:
			/* A wide invalidation, like munmap of everything. */
			inv_start(&r, TEST_HVA(0), TEST_HVA(NR_HOST_PAGES * PG));
			inv_end(&r);
			break;
		}
	}
	__atomic_store_n(&s->stop, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < STRESS_READERS; i++)
		pthread_join(readers[i].thread, NULL);
	print_message("pfncache stress: %d steps, %lu hits, %lu refreshes\n",
		      steps, s->hits, s->refreshes);
	assert_int_equal(s->stale, 0);
	assert_true(s->refreshes > 0);
	for (i = 0; i < STRESS_READERS; i++) {
		kvm_memslot_gpc_deactivate(&s->gpcs[i]);
		mutex_destroy(&s->gpcs[i].refresh_lock);
	}
	free(s);
	fx_destroy(f);
}

/*
 * Figures only: the cost of a hit and of a refresh in this build.  A hit
 * is timed with the read lock around it, as a user pays it, and is the
 * fastest of BENCH_ROUNDS rounds (the machine may be shared).  The lock
 * alone is timed the same way: here it is a pthread rwlock, which costs
 * more than the kernel's rwlock_t, and most of a hit.
 */
#define BENCH_ROUNDS	5

static void test_bench(void **state)
{
	struct fixture *f = fx_create(true);
	struct kvm_memslot_gpc *gpc = &f->gpc;
	unsigned long i, n = 200000, hits = 0;
	double hit_ns = 0, lock_ns = 0, ns;
	unsigned int round;
	u64 t0, t1, t2;

	assert_int_equal(kvm_memslot_gpc_activate(gpc, SLOT_GPA, 8), 0);
	assert_int_equal(kvm_memslot_gpc_refresh(gpc), 0);
	for (round = 0; round < BENCH_ROUNDS; round++) {
		t0 = harness_now_ns();
		for (i = 0; i < n; i++)
			hits += check(gpc);
		ns = (double)(harness_now_ns() - t0) / n;
		if (!round || ns < hit_ns)
			hit_ns = ns;
		t0 = harness_now_ns();
		for (i = 0; i < n; i++) {
			read_lock(&gpc->lock);
			read_unlock(&gpc->lock);
		}
		ns = (double)(harness_now_ns() - t0) / n;
		if (!round || ns < lock_ns)
			lock_ns = ns;
	}
	t1 = harness_now_ns();
	for (i = 0; i < n / 10; i++)
		kvm_memslot_gpc_refresh(gpc);
	t2 = harness_now_ns();
	assert_int_equal(hits, BENCH_ROUNDS * n);
	print_message("pfncache bench (harness): check hit %.1f ns (lock %.1f), refresh %.1f ns\n",
		      hit_ns, lock_ns, (double)(t2 - t1) / (n / 10));
	fx_destroy(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_page_boundary),
		cmocka_unit_test(test_generation),
		cmocka_unit_test(test_mmu_invalidation),
		cmocka_unit_test(test_refresh_retry),
		cmocka_unit_test(test_refresh_other_pages_in_flight),
		cmocka_unit_test(test_refresh_storm),
		cmocka_unit_test(test_refresh_during_update),
		cmocka_unit_test(test_stress),
		cmocka_unit_test(test_bench),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
