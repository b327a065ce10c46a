// SPDX-License-Identifier: GPL-2.0-only
/*
 * The vCPU access and fault path (../virt/kvm/memslot_access.c), with the
 * real guest mode and remote TLB flush (memslot_guest_mode.c), the real
 * dirty log (memslot_dirty_log.c), the real MMU-notifier glue
 * (mmu_notifier.c) and the x86 backend's tables (../arch/x86/kvm), over
 * slots backed by the fake host mm of host_mm.c:
 *
 * - reads and writes reach the host bytes the slot maps, across pages;
 * - an access where no slot is exits as MMIO, also once the miss is
 *   cached, and a slot created there afterwards is found;
 * - a host address that maps nothing exits as a memory fault;
 * - a write to a READONLY slot exits as MMIO and changes nothing;
 * - a write to a dirty-logged slot sets its bit in the next
 *   KVM_GET_DIRTY_LOG, and after the harvest the next write is logged
 *   again;
 * - an MMU-notifier invalidation removes the translation, and the next
 *   access faults the new host page in;
 * - an access that meets its gfn in transition (a slot being moved there)
 *   waits for the update and then reads the slot, rather than exiting.
 *
 * Every test ends by checking that each page reference the fault path
 * took was dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "host_mm.h"
#include "host_vm.h"

#include <linux/highmem.h>
#include <linux/mm.h>
#include <uapi/linux/kvm_memslot.h>

#include "../../arch/x86/kvm/memslot_x86.h"

/* Slot 0: 16 pages at gfn 0x100, from host page 0. */
#define RAM_GFN		0x100
#define RAM_HVA		TEST_HVA(0)
/* Slot 1: READONLY, 4 pages at gfn 0x200, from host page 16. */
#define ROM_GFN		0x200
#define ROM_HVA		TEST_HVA(16 * PG)
/* Slot 2: dirty-logged, 8 pages at gfn 0x300, from host page 20. */
#define LOG_GFN		0x300
#define LOG_HVA		TEST_HVA(20 * PG)
/* Slot 3: 4 pages at gfn 0x400, from host page 32 (the move test's). */
#define MOV_GFN		0x400
#define MOV_HVA		TEST_HVA(32 * PG)
/* Nothing here until a test puts a slot there (host page 40). */
#define HOLE_GFN	0x5000
#define HOLE_HVA	TEST_HVA(40 * PG)

/* The x86 backend, with a hook in flush_memslot (see park_in_flush()). */
static struct kvm_memslot_ops access_ops;
static void (*on_flush)(void);

static unsigned long hooked_flush(struct kvm_memslot_vm *vm,
				  const struct kvm_memory_slot *old)
{
	unsigned long removed = kvm_memslot_x86_ept_ops.flush_memslot(vm, old);

	if (on_flush)
		on_flush();
	return removed;
}

static struct kvm_memslot_host_vm *hvm;
static struct kvm_memslot_vm *vm;
static struct kvm_memslot_vcpu *vcpu;
/* The VM's vCPUs as memslot_guest_mode.c walks them (see xarray.h). */
static void *vcpu_list[2];

static int setup(void **state)
{
	fake_mm_reset();
	on_flush = NULL;
	hvm = thvm_create(&access_ops, NULL);
	vm = &hvm->core;
	vcpu = calloc(1, sizeof(*vcpu));
	assert_non_null(vcpu);
	vcpu->vm = hvm;
	vcpu->bounce = calloc(1, PAGE_SIZE);
	assert_non_null(vcpu->bounce);
	vcpu_list[0] = vcpu;
	vcpu_list[1] = NULL;
	hvm->vcpus.head = vcpu_list;

	assert_int_equal(tvm_set(vm, SLOT(0, 0), 0, GPA(RAM_GFN), 16 * PG, RAM_HVA), 0);
	assert_int_equal(tvm_set(vm, SLOT(0, 1), KVM_MEM_READONLY, GPA(ROM_GFN),
				 4 * PG, ROM_HVA), 0);
	assert_int_equal(tvm_set(vm, SLOT(0, 2), KVM_MEM_LOG_DIRTY_PAGES,
				 GPA(LOG_GFN), 8 * PG, LOG_HVA), 0);
	assert_int_equal(tvm_set(vm, SLOT(0, 3), 0, GPA(MOV_GFN), 4 * PG, MOV_HVA), 0);
	return 0;
}

static int teardown(void **state)
{
	hvm->vcpus.head = NULL;
	kvm_memslot_mmu_cache_free(&vcpu->mmu_cache);
	free(vcpu->bounce);
	free(vcpu);
	thvm_destroy(hvm);
	/* The fault path keeps no page: the notifier keeps it coherent. */
	assert_int_equal(fake_total_refs(), 0);
	return 0;
}

/* The host's bytes at @hva, through the frame the fake mm maps there. */
static unsigned char *host_bytes(unsigned long hva)
{
	unsigned long pfn = fake_pfn(hva & PAGE_MASK);

	assert_true(pfn != 0);
	return (unsigned char *)kmap_local_pfn(pfn) + offset_in_page(hva);
}

static void fill(unsigned char *p, size_t len, unsigned char seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (unsigned char)(seed + i * 7);
}

/* KVM_MEMSLOT_VCPU_ACCESS of [@gpa, @gpa + @len) in address space 0. */
static long vaccess(u64 gpa, void *buf, u64 len, bool write,
		    struct kvm_memslot_access *acc)
{
	memset(acc, 0, sizeof(*acc));
	acc->gpa = gpa;
	acc->len = len;
	acc->buf = (u64)(uintptr_t)buf;
	acc->flags = write ? KVM_MEMSLOT_ACCESS_WRITE : 0;
	return kvm_memslot_vcpu_access(vcpu, acc);
}

/* Whether the backend holds a translation for @gpa now. */
static bool translated(u64 gpa, bool write)
{
	enum kvm_memslot_walk_result res;
	unsigned long pfn;
	int idx;

	idx = srcu_read_lock(&vm->srcu);
	res = vm->ops->translate(vm, 0, gpa, write,
				 kvm_memslots_get(vm, 0)->generation, &pfn);
	srcu_read_unlock(&vm->srcu, idx);
	return res == KVM_MEMSLOT_WALK_HIT;
}

static void read_write_reach_host_bytes(void **state)
{
	struct kvm_memslot_access acc;
	unsigned char want[64], got[64];

	/* A read sees what the host wrote. */
	fill(host_bytes(RAM_HVA + 3 * PG + 0x10), 32, 0x11);
	assert_false(translated(GPA(RAM_GFN + 3), false));
	assert_int_equal(vaccess(GPA(RAM_GFN + 3) + 0x10, got, 32, false, &acc), 0);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_NONE);
	assert_int_equal(acc.done, 32);
	fill(want, 32, 0x11);
	assert_memory_equal(got, want, 32);
	/* The fault installed a translation, which the next access uses. */
	assert_true(translated(GPA(RAM_GFN + 3), false));

	/* A write across two pages lands in both host pages. */
	fill(want, 64, 0x5a);
	assert_int_equal(vaccess(GPA(RAM_GFN + 5) + PG - 24, want, 64, true, &acc), 0);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_NONE);
	assert_int_equal(acc.done, 64);
	assert_memory_equal(host_bytes(RAM_HVA + 6 * PG - 24), want, 24);
	assert_memory_equal(host_bytes(RAM_HVA + 6 * PG), want + 24, 40);
	/* Its neighbours are untouched. */
	assert_int_equal(*host_bytes(RAM_HVA + 6 * PG - 25), 0);
	assert_int_equal(*host_bytes(RAM_HVA + 6 * PG + 40), 0);
	/* And reading it back gives the same bytes. */
	memset(got, 0, sizeof(got));
	assert_int_equal(vaccess(GPA(RAM_GFN + 5) + PG - 24, got, 64, false, &acc), 0);
	assert_memory_equal(got, want, 64);
	assert_int_equal(tvm_audit(vm), 0);
}

static void no_slot_exits_mmio(void **state)
{
	struct kvm_memslot_access acc;
	unsigned char buf[8] = { 0 };
	int i;

	/* Twice: a fault, then (the miss cached) the walk itself. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(vaccess(GPA(HOLE_GFN) + 8, buf, 8, i, &acc), 0);
		assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_MMIO);
		assert_int_equal(acc.exit_gpa, GPA(HOLE_GFN) + 8);
		assert_int_equal(acc.exit_len, 8);
		assert_int_equal(acc.exit_write, i);
		assert_int_equal(acc.done, 0);
	}
	/* An access that runs into the hole stops there. */
	assert_int_equal(vaccess(GPA(RAM_GFN + 16) - 4, buf, 8, false, &acc), 0);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_MMIO);
	assert_int_equal(acc.exit_gpa, GPA(RAM_GFN + 16));
	assert_int_equal(acc.done, 4);

	/* The cached miss does not hide a slot created there. */
	assert_int_equal(tvm_set(vm, SLOT(0, 4), 0, GPA(HOLE_GFN), PG, HOLE_HVA), 0);
	fill(host_bytes(HOLE_HVA + 8), 8, 0x33);
	assert_int_equal(vaccess(GPA(HOLE_GFN) + 8, buf, 8, false, &acc), 0);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_NONE);
	assert_memory_equal(buf, host_bytes(HOLE_HVA + 8), 8);
}

static void unbacked_slot_exits_memory_fault(void **state)
{
	struct kvm_memslot_access acc;
	unsigned char buf[8];

	fake_pte(RAM_HVA + 2 * PG)->pfn = 0;
	assert_int_equal(vaccess(GPA(RAM_GFN + 2), buf, 8, false, &acc), 0);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_MEMORY_FAULT);
	assert_int_equal(acc.exit_gpa, GPA(RAM_GFN + 2));
	assert_int_equal(acc.done, 0);
}

static void readonly_write_exits(void **state)
{
	struct kvm_memslot_access acc;
	unsigned char buf[16], want[16];

	fill(host_bytes(ROM_HVA + PG + 0x40), 16, 0x77);
	fill(want, 16, 0x77);
	assert_int_equal(vaccess(GPA(ROM_GFN + 1) + 0x40, buf, 16, false, &acc), 0);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_NONE);
	assert_memory_equal(buf, want, 16);

	/* Twice: the read's translation must not let the write through. */
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(vaccess(GPA(ROM_GFN + 1) + 0x40, buf, 16, true, &acc), 0);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_MMIO);
	assert_int_equal(acc.exit_gpa, GPA(ROM_GFN + 1) + 0x40);
	assert_int_equal(acc.exit_write, 1);
	assert_int_equal(acc.done, 0);
	assert_int_equal(vaccess(GPA(ROM_GFN + 1) + 0x40, buf, 16, true, &acc), 0);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_MMIO);
	assert_memory_equal(host_bytes(ROM_HVA + PG + 0x40), want, 16);
}

/* KVM_GET_DIRTY_LOG of slot 2: its 8 bits. */
static unsigned long get_dirty(void)
{
	unsigned long bitmap = ~0UL;
	struct kvm_dirty_log log = { .slot = 2, .dirty_bitmap = &bitmap };

	assert_int_equal(kvm_memslot_get_dirty_log(vm, &log), 0);
	return bitmap & 0xff;
}

static void dirty_log_records_writes(void **state)
{
	struct kvm_memslot_access acc;
	unsigned char buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	assert_int_equal(get_dirty(), 0);
	/* A read logs nothing. */
	assert_int_equal(vaccess(GPA(LOG_GFN + 5), buf, 8, false, &acc), 0);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_NONE);
	assert_int_equal(vaccess(GPA(LOG_GFN + 3) + 100, buf, 8, true, &acc), 0);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_NONE);
	assert_memory_equal(host_bytes(LOG_HVA + 3 * PG + 100), buf, 8);
	/* Even a write to a page the read mapped (read-only) is logged. */
	assert_int_equal(vaccess(GPA(LOG_GFN + 5), buf, 8, true, &acc), 0);
	assert_int_equal(get_dirty(), BIT(3) | BIT(5));
	/* Harvested: nothing is dirty... */
	assert_int_equal(get_dirty(), 0);
	/* ...until the next write, which the harvest made fault again. */
	assert_int_equal(vaccess(GPA(LOG_GFN + 3), buf, 8, true, &acc), 0);
	assert_int_equal(get_dirty(), BIT(3));
	assert_int_equal(tvm_audit(vm), 0);
}

static void invalidation_refaults_new_page(void **state)
{
	struct kvm_memslot_access acc;
	struct mmu_notifier_range range;
	unsigned long hva = RAM_HVA + 4 * PG, old_pfn;
	unsigned char buf[16], want[16];

	fill(host_bytes(hva), 16, 0x01);
	assert_int_equal(vaccess(GPA(RAM_GFN + 4), buf, 16, false, &acc), 0);
	assert_memory_equal(buf, host_bytes(hva), 16);
	assert_true(translated(GPA(RAM_GFN + 4), false));
	old_pfn = fake_pfn(hva);

	/* The host replaces the page, as migration or reclaim would. */
	assert_int_equal(harness_mm_invalidate_start(&range, thvm_mm(hvm), hva,
						     hva + PG, true), 0);
	assert_false(translated(GPA(RAM_GFN + 4), false));
	/* Its neighbour keeps its translation. */
	assert_int_equal(vaccess(GPA(RAM_GFN + 3), buf, 16, false, &acc), 0);
	assert_true(translated(GPA(RAM_GFN + 3), false));
	fake_pte(hva)->pfn = fake_new_pfn();
	fill(host_bytes(hva), 16, 0x99);
	harness_mm_invalidate_end(&range);

	assert_int_equal(vaccess(GPA(RAM_GFN + 4), buf, 16, false, &acc), 0);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_NONE);
	fill(want, 16, 0x99);
	assert_memory_equal(buf, want, 16);
	assert_true(fake_pfn(hva) != old_pfn);
	assert_int_equal(fake_ref(old_pfn), 0);
	assert_int_equal(tvm_audit(vm), 0);
}

/* An access run by another thread while slot 3 moves. */
static struct {
	pthread_t thread;
	u64 gpa;
	unsigned char buf[16];
	struct kvm_memslot_access acc;
	long ret;
	int done;
	int started;
	int returned_early;	/* done while the update was mid-way */
} parked;

static void *parked_fn(void *arg)
{
	parked.ret = vaccess(parked.gpa, parked.buf, sizeof(parked.buf), false,
			     &parked.acc);
	__atomic_store_n(&parked.done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/*
 * Runs in the update, the slot invalid: start the access and let it run
 * until it either returns or waits for the update (the fault lookup counts
 * the wait before it sleeps).  Only a bug ends it with the access
 * returned: the update cannot end while this hook runs.
 */
static void park_in_flush(void)
{
	u64 waits0 = atomic64_read(&vm->transit_waits);
	int i;

	if (parked.started++)
		return;
	if (harness_thread_start(&parked.thread, parked_fn, NULL))
		abort();
	/* Bounded only so that a hang fails rather than stalls the run. */
	for (i = 0; i < 20000; i++) {
		if (__atomic_load_n(&parked.done, __ATOMIC_SEQ_CST) ||
		    atomic64_read(&vm->transit_waits) != waits0)
			break;
		harness_sleep_ms(1);
	}
	if (__atomic_load_n(&parked.done, __ATOMIC_SEQ_CST))
		parked.returned_early++;
}

static void fault_waits_during_move(void **state)
{
	const u64 dst = 0x800;
	u64 waits0 = atomic64_read(&vm->transit_waits);
	struct kvm_memslot_access acc;
	unsigned char want[16];

	/* Mapped at the old place first, so the move has something to zap. */
	assert_int_equal(vaccess(GPA(MOV_GFN + 1), want, 16, false, &acc), 0);
	fill(host_bytes(MOV_HVA + PG + 0x20), 16, 0x42);
	fill(want, 16, 0x42);

	memset(&parked, 0, sizeof(parked));
	parked.gpa = GPA(dst + 1) + 0x20;	/* the destination */
	on_flush = park_in_flush;
	assert_int_equal(tvm_set(vm, SLOT(0, 3), 0, GPA(dst), 4 * PG, MOV_HVA), 0);
	on_flush = NULL;
	pthread_join(parked.thread, NULL);

	assert_int_equal(parked.started, 1);
	if (parked.returned_early)
		fail_msg("an access returned while its gfn was in transition (exit %u)",
			 parked.acc.exit_reason);
	assert_true(atomic64_read(&vm->transit_waits) > waits0);
	assert_int_equal(parked.ret, 0);
	assert_int_equal(parked.acc.exit_reason, KVM_MEMSLOT_EXIT_NONE);
	assert_int_equal(parked.acc.done, 16);
	assert_memory_equal(parked.buf, want, 16);
	/* The old place is a hole now. */
	assert_int_equal(vaccess(GPA(MOV_GFN + 1), want, 16, false, &acc), 0);
	assert_int_equal(acc.exit_reason, KVM_MEMSLOT_EXIT_MMIO);
	assert_int_equal(tvm_audit(vm), 0);
}

#define T(fn)	cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(read_write_reach_host_bytes),
		T(no_slot_exits_mmio),
		T(unbacked_slot_exits_memory_fault),
		T(readonly_write_exits),
		T(dirty_log_records_writes),
		T(invalidation_refaults_new_page),
		T(fault_waits_during_move),
	};
	int failed;

	assert_int_equal(kvm_memslot_x86_backend_init(), 0);
	access_ops = kvm_memslot_x86_ept_ops;
	access_ops.flush_memslot = hooked_flush;
	failed = cmocka_run_group_tests_name("access", tests, NULL, NULL);
	kvm_memslot_x86_backend_exit();
	return failed ? 1 : 0;
}
