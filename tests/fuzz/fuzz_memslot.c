// SPDX-License-Identifier: GPL-2.0-only
/*
 * Coverage-guided fuzzer (libFuzzer) of the memslot core and the x86
 * backend, through the entry points the VM and vCPU ioctls call.
 *
 * An input is decoded into a sequence of operations on one x86 VM (EPT or
 * NPT): slot changes of every kind with any arguments, valid or not;
 * atomic batches of them; GET/CLEAR_DIRTY_LOG with manual protection on
 * or off; simulated vCPU accesses through the backend's tables with a
 * software TLB; gfn_to_pfn cache operations; and MMU-notifier events
 * (invalidation start and end, nested and interleaved, and aging) made by
 * a fake host mm.  The fuzzer keeps a reference model of the slots, the
 * host mm and the caches, and after every operation checks what the
 * harness can see of DESIGN.md's invariants:
 *
 * - every call returns what in-tree KVM 6.1 returns for it, and a failed
 *   call changes nothing;
 * - the published layout, read back, is the model's, and every lookup
 *   (by gfn, by id) agrees with it;
 * - the backend audit finds nothing (every translation maps what the host
 *   maps at the slot's address, and nothing maps a page an invalidation
 *   in progress removed);
 * - no TLB entry survives a flush the protocol owes (after a delete, a
 *   move, an invalidation start, a dirty-log harvest);
 * - a cache that would hit maps the page the host maps now;
 * - no write to a dirty-logged slot is missing from the next harvest;
 * - no WARN, no leaked allocation or page reference at VM destroy.
 *
 * A violation prints what was found and aborts.  See tests/README.md for
 * how to run it and how to replay a crash file.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bitops.h>
#include <linux/kernel.h>
#include <linux/kvm_memslot.h>
#include <linux/kvm_memslot_host.h>
#include <linux/kvm_memslot_pfncache.h>
#include <linux/uaccess.h>
#include <asm/processor.h>

#include "harness.h"
#include "../../virt/kvm/memslot_fd.h"
#include "../../arch/x86/kvm/memslot_x86.h"
#include "../../arch/x86/kvm/mmu.h"

/* ---- limits of the model ---- */

#define NR_AS		2		/* x86: normal and SMM */
#define NR_USER_SLOTS	32764		/* x86's KVM_USER_MEM_SLOTS in 6.1 */
#define MAX_SLOTS	32		/* model slots (ids are few) */
#define MAX_BATCH	6
#define MAX_OPS		256
#define MAX_OPEN_INV	4
#define NR_GPC		4
#define TLB_SIZE	32

/* The fake host mm: HOST_PAGES pages from HVA_BASE, in 2 MiB frames. */
#define HVA_BASE	0x100000000000UL
#define HOST_PAGES	4096UL
#define HOST_SIZE	(HOST_PAGES << PAGE_SHIFT)
#define FRAME_PAGES	X86_MMU_LARGE_PAGES
#define NR_FRAMES	(HOST_PAGES / FRAME_PAGES)

/* Largest gfn the harness's x86 host translates (46 physical bits). */
#define MODEL_MAX_GFN	((1ULL << (46 - PAGE_SHIFT)) - 1)

/* ---- failure reporting ---- */

static unsigned int op_index;
static const char *op_name = "setup";

static void __noreturn __printf(1, 2) violation(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz_memslot: invariant violated at op %u (%s): ",
		op_index, op_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define CHECK(cond, ...) do { if (!(cond)) violation(__VA_ARGS__); } while (0)

/* FUZZ_MEMSLOT_TRACE=1 in the environment: say what each operation did. */
static bool trace;
#define TRACE(...) do { if (trace) fprintf(stderr, __VA_ARGS__); } while (0)

/* ---- input decoding ---- */

struct input {
	const u8 *p;
	size_t left;
};

static u8 in8(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static u16 in16(struct input *in)
{
	return in8(in) | (u16)in8(in) << 8;
}

/* ---- the fake host mm ---- */

struct host_page {
	unsigned long pfn;	/* 0: not populated */
	bool writable;
	int in_flux;		/* open invalidations covering this page */
};

static struct host_page host[HOST_PAGES];
static bool frame_huge[NR_FRAMES];
static unsigned long next_pfn;

/* Page references held by the caches (the fault path drops its own). */
static unsigned long pinned[64];
static unsigned int nr_pinned;

static struct host_page *host_page(unsigned long hva)
{
	if (hva < HVA_BASE || hva - HVA_BASE >= HOST_SIZE)
		return NULL;
	return &host[(hva - HVA_BASE) >> PAGE_SHIFT];
}

static unsigned long host_index(unsigned long hva)
{
	return (hva - HVA_BASE) >> PAGE_SHIFT;
}

static unsigned long new_pfn(void)
{
	return next_pfn++;
}

/* A 2 MiB aligned run of pfns: a transparent huge page. */
static void host_make_huge(unsigned long frame)
{
	unsigned long i, base;

	next_pfn = ALIGN(next_pfn, FRAME_PAGES);
	base = next_pfn;
	next_pfn += FRAME_PAGES;
	for (i = 0; i < FRAME_PAGES; i++) {
		host[frame * FRAME_PAGES + i].pfn = base + i;
		host[frame * FRAME_PAGES + i].writable = true;
	}
	frame_huge[frame] = true;
}

static void host_reset(void)
{
	unsigned long f;

	memset(host, 0, sizeof(host));
	next_pfn = 0x100000;
	nr_pinned = 0;
	/* Odd frames start as THPs, even ones as 4 KiB pages. */
	for (f = 0; f < NR_FRAMES; f++) {
		if (f & 1) {
			host_make_huge(f);
		} else {
			unsigned long i;

			frame_huge[f] = false;
			for (i = 0; i < FRAME_PAGES; i++) {
				host[f * FRAME_PAGES + i].pfn = new_pfn();
				host[f * FRAME_PAGES + i].writable = true;
			}
		}
	}
}

/*
 * get_user_pages() of one page: populates a page that is not there; a
 * write needs a writable mapping (no VMA allows it otherwise here).
 */
static int host_gup(unsigned long hva, bool write, unsigned long *pfn)
{
	struct host_page *hp = host_page(hva);

	if (!hp)
		return -EFAULT;
	if (write && !hp->writable)
		return -EFAULT;
	if (!hp->pfn) {
		hp->pfn = new_pfn();
		frame_huge[host_index(hva) / FRAME_PAGES] = false;
	}
	*pfn = hp->pfn;
	return 0;
}

/* The backend's audit asks what the host maps now. */
int kvm_memslot_hva_to_pfn_peek(struct kvm_memslot_vm *vm, unsigned long hva,
				unsigned long *pfn)
{
	struct host_page *hp = host_page(hva);

	/* A page under an invalidation in progress is on its way out. */
	if (!hp || !hp->pfn || hp->in_flux)
		return -EFAULT;
	*pfn = hp->pfn;
	return 0;
}

int kvm_memslot_hva_to_pfn_peek_write(struct kvm_memslot_vm *vm,
				      unsigned long hva, unsigned long *pfn)
{
	struct host_page *hp = host_page(hva);

	if (hp && !hp->writable)
		return -EFAULT;
	return kvm_memslot_hva_to_pfn_peek(vm, hva, pfn);
}

int kvm_memslot_gpc_pin(struct kvm_memslot_vm *vm, unsigned long hva,
			bool write, unsigned long *pfn)
{
	int r = host_gup(hva, write, pfn);

	if (r)
		return r;
	CHECK(nr_pinned < ARRAY_SIZE(pinned), "too many page references held");
	pinned[nr_pinned++] = *pfn;
	return 0;
}

void kvm_memslot_gpc_unpin(struct kvm_memslot_vm *vm, unsigned long pfn)
{
	unsigned int i;

	for (i = 0; i < nr_pinned; i++) {
		if (pinned[i] == pfn) {
			pinned[i] = pinned[--nr_pinned];
			return;
		}
	}
	violation("pfn %#lx released but not held", pfn);
}

/* ---- the simulated vCPU's TLB ---- */

struct tlb_entry {
	bool used;
	int as_id;
	u64 gfn;		/* first gfn covered */
	unsigned long npages;	/* 1 or FRAME_PAGES */
	unsigned long pfn;	/* pfn of @gfn */
	unsigned long hva;	/* host address of @gfn */
	bool writable;
};

static struct tlb_entry tlb[TLB_SIZE];
static unsigned int tlb_next;
static unsigned long nr_flushes;

/* The remote TLB flush of the hook contract: every TLB is emptied. */
void kvm_memslot_flush_remote_tlbs(struct kvm_memslot_vm *vm)
{
	memset(tlb, 0, sizeof(tlb));
	nr_flushes++;
}

static struct tlb_entry *tlb_find(int as_id, u64 gfn)
{
	unsigned int i;

	for (i = 0; i < TLB_SIZE; i++)
		if (tlb[i].used && tlb[i].as_id == as_id &&
		    gfn >= tlb[i].gfn && gfn < tlb[i].gfn + tlb[i].npages)
			return &tlb[i];
	return NULL;
}

static void tlb_fill(const struct tlb_entry *e)
{
	struct tlb_entry *old = tlb_find(e->as_id, e->gfn);

	/* Hardware may evict any entry: replace a match, else round robin. */
	if (!old) {
		old = &tlb[tlb_next];
		tlb_next = (tlb_next + 1) % TLB_SIZE;
	}
	*old = *e;
	old->used = true;
}

/* ---- the reference model ---- */

struct mslot {
	bool used;
	u16 as_id;
	u16 id;
	u64 gfn;
	u64 npages;
	u64 hva;
	u32 flags;
	bool batch_new;		/* changed earlier in the batch being checked */
	unsigned long *written;	/* pages written since their last harvest */
};

struct model {
	struct mslot s[MAX_SLOTS];
	unsigned long nr_pages;
};

static struct model model;
static struct kvm_memslot_vm vm;
static const struct kvm_memslot_ops *ops;
static u64 manual_protect;

static struct mslot *model_find_id(struct model *m, u16 as_id, u16 id)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (m->s[i].used && m->s[i].as_id == as_id && m->s[i].id == id)
			return &m->s[i];
	return NULL;
}

static struct mslot *model_find_gfn(struct model *m, u16 as_id, u64 gfn)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++)
		if (m->s[i].used && m->s[i].as_id == as_id &&
		    gfn >= m->s[i].gfn && gfn - m->s[i].gfn < m->s[i].npages)
			return &m->s[i];
	return NULL;
}

static bool model_overlaps(struct model *m, u16 as_id, u16 id, u64 gfn,
			   u64 npages)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++) {
		struct mslot *s = &m->s[i];

		if (!s->used || s->as_id != as_id || s->id == id)
			continue;
		if (gfn < s->gfn + s->npages && s->gfn < gfn + npages)
			return true;
	}
	return false;
}

static unsigned long *bitmap_new(u64 npages)
{
	unsigned long *b = calloc(BITS_TO_LONGS(npages) + 1, sizeof(long));

	if (!b)
		abort();
	return b;
}

static void model_free(struct model *m)
{
	int i;

	for (i = 0; i < MAX_SLOTS; i++)
		free(m->s[i].written);
	memset(m, 0, sizeof(*m));
}

static void model_copy(struct model *dst, const struct model *src)
{
	int i;

	*dst = *src;
	for (i = 0; i < MAX_SLOTS; i++) {
		if (!src->s[i].written)
			continue;
		dst->s[i].written = bitmap_new(src->s[i].npages);
		memcpy(dst->s[i].written, src->s[i].written,
		       BITS_TO_LONGS(src->s[i].npages) * sizeof(long));
	}
}

/*
 * Linux 6.1's kvm_vm_ioctl_set_memory_region() and
 * __kvm_set_memory_region() on x86 (TDP), in their order, against the
 * layout @m, which is updated on success.  In a batch, a slot created,
 * moved or changed by an earlier entry may not be changed again.
 * Return: the errno, with *@prepare_err set for a failure that only the
 * backend's prepare reports (after every entry of a batch was checked).
 */
static int model_check(struct model *m, const struct kvm_userspace_memory_region *r,
		       int *prepare_err)
{
	u16 as_id = r->slot >> 16, id = (u16)r->slot;
	u32 valid_flags = KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY;
	u64 size = r->memory_size, gpa = r->guest_phys_addr;
	u64 hva = r->userspace_addr, gfn, npages;
	struct mslot *old, *s;
	bool move = false;
	int i;

	if (id >= NR_USER_SLOTS)
		return -EINVAL;
	if (r->flags & ~valid_flags)
		return -EINVAL;
	if (size & (PAGE_SIZE - 1))
		return -EINVAL;
	if (gpa & (PAGE_SIZE - 1))
		return -EINVAL;
	if ((hva & (PAGE_SIZE - 1)) || hva + size < hva ||
	    hva + size > TASK_SIZE_MAX)
		return -EINVAL;
	if (as_id >= NR_AS)
		return -EINVAL;
	if (gpa + size < gpa)
		return -EINVAL;
	if ((size >> PAGE_SHIFT) > KVM_MEMSLOT_MAX_NR_PAGES)
		return -EINVAL;

	old = model_find_id(m, as_id, id);
	if (old && old->batch_new)
		return -EINVAL;
	if (!size) {
		if (!old)
			return -EINVAL;
		m->nr_pages -= old->npages;
		free(old->written);
		memset(old, 0, sizeof(*old));
		return 0;
	}
	gfn = gpa >> PAGE_SHIFT;
	npages = size >> PAGE_SHIFT;
	if (old) {
		if (hva != old->hva || npages != old->npages ||
		    ((r->flags ^ old->flags) & KVM_MEM_READONLY))
			return -EINVAL;
		if (gfn == old->gfn && r->flags == old->flags)
			return 0;
		move = gfn != old->gfn;
	}
	if ((!old || move) && model_overlaps(m, as_id, id, gfn, npages))
		return -EEXIST;
	if ((!old || move) && gfn + npages - 1 > MODEL_MAX_GFN && !*prepare_err)
		*prepare_err = -EINVAL;

	if (old) {
		s = old;
	} else {
		for (i = 0; i < MAX_SLOTS && m->s[i].used; i++)
			;
		if (i == MAX_SLOTS)
			abort();	/* the decoder keeps ids few */
		s = &m->s[i];
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->as_id = as_id;
		s->id = id;
		s->npages = npages;
		s->hva = hva;
		m->nr_pages += npages;
	}
	/* A new bitmap (all clean) whenever the slot's bitmap is new. */
	if ((r->flags & KVM_MEM_LOG_DIRTY_PAGES) &&
	    (!old || move || !(old->flags & KVM_MEM_LOG_DIRTY_PAGES))) {
		free(s->written);
		s->written = bitmap_new(npages);
	} else if (!(r->flags & KVM_MEM_LOG_DIRTY_PAGES)) {
		free(s->written);
		s->written = NULL;
	}
	s->gfn = gfn;
	s->flags = r->flags;
	s->batch_new = true;
	return 0;
}

/* ---- reading the published layout back ---- */

struct seen {
	const struct kvm_memory_slot *slot[MAX_SLOTS + 1];
	unsigned int nr;
};

static int seen_one(struct kvm_memory_slot *slot, void *data)
{
	struct seen *w = data;

	CHECK(w->nr <= MAX_SLOTS, "more slots published than the model has");
	w->slot[w->nr++] = slot;
	return 0;
}

static void check_lookup(struct kvm_memslots *set, int as_id, u64 gfn)
{
	struct kvm_memory_slot *slot = kvm_memslot_find_gfn(set, gfn);
	struct mslot *s = model_find_gfn(&model, as_id, gfn);

	if (!s) {
		CHECK(!slot, "as %d gfn %#llx: slot %u found, model has none",
		      as_id, (unsigned long long)gfn, slot ? slot->id : 0);
		return;
	}
	CHECK(slot && slot->id == s->id,
	      "as %d gfn %#llx: lookup found %d, model has slot %u", as_id,
	      (unsigned long long)gfn, slot ? (int)slot->id : -1, s->id);
}

/* Ids pick_id() chooses besides 0 to 7: the edges of the valid range. */
static const u16 odd_ids[] = { 32763, 32764, 32766, 32767, 0xffff };

/* The index by id holds the model's slots of @as_id, and no others. */
static void check_ids(int as_id)
{
	unsigned int i;
	u16 id;

	for (i = 0; i < 8 + ARRAY_SIZE(odd_ids); i++) {
		id = i < 8 ? i : odd_ids[i - 8];
		CHECK(!kvm_memslot_find_id(&vm, as_id, id) ==
		      !model_find_id(&model, as_id, id),
		      "as %d: index by id %s slot %u, the model %s", as_id,
		      kvm_memslot_find_id(&vm, as_id, id) ? "has" : "lacks", id,
		      model_find_id(&model, as_id, id) ? "has it" : "does not");
	}
}

/* The layout of both address spaces is the model's, lookups agree. */
static void check_layout(void)
{
	int as_id, idx, i;
	unsigned long nr_pages = 0;

	/* Single-threaded: taking slots_lock for the index by id never waits. */
	mutex_lock(&vm.slots_lock);
	idx = srcu_read_lock(&vm.srcu);
	for (as_id = 0; as_id < NR_AS; as_id++) {
		struct kvm_memslots *set = kvm_memslots_get(&vm, as_id);
		unsigned int nr_model = 0;
		struct seen w = { .nr = 0 };
		unsigned int j;

		CHECK(!kvm_memslots_in_update(set), "as %d left mid-update", as_id);
		kvm_memslot_visit_all(set, seen_one, &w);
		CHECK(set->nr_slots == w.nr, "as %d: nr_slots %u, walk %u",
		      as_id, set->nr_slots, w.nr);
		for (i = 0; i < MAX_SLOTS; i++)
			if (model.s[i].used && model.s[i].as_id == as_id)
				nr_model++;
		CHECK(w.nr == nr_model, "as %d: %u slots published, model has %u",
		      as_id, w.nr, nr_model);
		check_ids(as_id);
		for (j = 0; j < w.nr; j++) {
			const struct kvm_memory_slot *p = w.slot[j];
			struct mslot *s = model_find_id(&model, as_id, p->id);

			CHECK(s, "as %d: slot %u published, not in the model",
			      as_id, p->id);
			CHECK(p->as_id == as_id && p->base_gfn == s->gfn &&
			      p->npages == s->npages && p->userspace_addr == s->hva &&
			      p->flags == s->flags,
			      "as %d slot %u: published gfn %#llx npages %lu hva %#lx flags %#x, model gfn %#llx npages %llu hva %#llx flags %#x",
			      as_id, p->id, (unsigned long long)p->base_gfn,
			      p->npages, p->userspace_addr, p->flags,
			      (unsigned long long)s->gfn,
			      (unsigned long long)s->npages,
			      (unsigned long long)s->hva, s->flags);
			CHECK(!!p->dirty_bitmap == !!(p->flags & KVM_MEM_LOG_DIRTY_PAGES),
			      "as %d slot %u: dirty bitmap does not follow the flag",
			      as_id, p->id);
			CHECK(j == 0 || kvm_memslot_end(w.slot[j - 1]) <= p->base_gfn,
			      "as %d: walk out of gfn order or overlapping", as_id);
			CHECK(kvm_memslot_find_id(&vm, as_id, p->id) == p,
			      "as %d: find_id(%u) disagrees with the walk", as_id, p->id);
			nr_pages += p->npages;
			/* Edges of the slot and just outside them. */
			check_lookup(set, as_id, s->gfn);
			check_lookup(set, as_id, s->gfn + s->npages - 1);
			check_lookup(set, as_id, s->gfn + s->npages);
			if (s->gfn)
				check_lookup(set, as_id, s->gfn - 1);
			check_lookup(set, as_id, s->gfn + s->npages / 2);
		}
		check_lookup(set, as_id, 0);
	}
	CHECK(vm.nr_memslot_pages == nr_pages && nr_pages == model.nr_pages,
	      "nr_memslot_pages %lu, slots hold %lu, model %lu",
	      vm.nr_memslot_pages, nr_pages, model.nr_pages);
	CHECK(!(vm.generation & 1), "VM generation %llu odd after an update",
	      (unsigned long long)vm.generation);
	srcu_read_unlock(&vm.srcu, idx);
	mutex_unlock(&vm.slots_lock);
}

/* ---- the backend audit and the TLB ---- */

static void check_audit(void)
{
	unsigned long n;
	int idx;

	mutex_lock(&vm.slots_lock);
	idx = srcu_read_lock(&vm.srcu);
	spin_lock(&vm.mmu_lock);
	n = vm.ops->audit(&vm);
	spin_unlock(&vm.mmu_lock);
	srcu_read_unlock(&vm.srcu, idx);
	mutex_unlock(&vm.slots_lock);
	CHECK(n == 0, "backend audit found %lu bad translation(s)", n);
}

/*
 * Every TLB entry still maps what the host maps at the address of a slot
 * that backs its gfns now: the protocol flushed everything that stopped
 * being true.  A writable entry of a dirty-logged slot has its pages'
 * bits set (they were logged when it was faulted in, and a harvest that
 * takes a bit protects and flushes).
 */
static void check_tlb(void)
{
	unsigned int i;
	unsigned long k;
	int idx;

	mutex_lock(&vm.slots_lock);
	idx = srcu_read_lock(&vm.srcu);
	for (i = 0; i < TLB_SIZE; i++) {
		struct tlb_entry *e = &tlb[i];
		struct mslot *s;
		const struct kvm_memory_slot *slot;

		if (!e->used)
			continue;
		s = model_find_gfn(&model, e->as_id, e->gfn);
		CHECK(s && e->gfn + e->npages <= s->gfn + s->npages &&
		      e->hva == s->hva + ((e->gfn - s->gfn) << PAGE_SHIFT),
		      "TLB: as %d gfn %#llx (+%lu) still cached, no slot maps it there",
		      e->as_id, (unsigned long long)e->gfn, e->npages);
		CHECK(!e->writable || !(s->flags & KVM_MEM_READONLY),
		      "TLB: writable entry for read-only slot %u", s->id);
		for (k = 0; k < e->npages; k++) {
			struct host_page *hp = host_page(e->hva + (k << PAGE_SHIFT));

			CHECK(hp && hp->pfn == e->pfn + k && !hp->in_flux &&
			      (!e->writable || hp->writable),
			      "TLB: as %d gfn %#llx -> pfn %#lx%s, host has pfn %#lx%s%s",
			      e->as_id, (unsigned long long)(e->gfn + k),
			      e->pfn + k, e->writable ? " (W)" : "",
			      hp ? hp->pfn : 0,
			      hp && hp->in_flux ? " being invalidated" : "",
			      hp && !hp->writable ? " read-only" : "");
		}
		if (!e->writable || !(s->flags & KVM_MEM_LOG_DIRTY_PAGES))
			continue;
		slot = kvm_memslot_find_id(&vm, e->as_id, s->id);
		for (k = 0; k < e->npages; k++)
			CHECK(test_bit(e->gfn + k - s->gfn, slot->dirty_bitmap),
			      "TLB: writable entry for gfn %#llx of dirty-logged slot %u, bit clear: a write would be lost",
			      (unsigned long long)(e->gfn + k), s->id);
	}
	srcu_read_unlock(&vm.srcu, idx);
	mutex_unlock(&vm.slots_lock);
}

/* ---- MMU-notifier events, as mmu_notifier.c makes them ---- */

/*
 * An open invalidation.  @key stands for its struct mmu_notifier_range:
 * the core tells invalidations apart by that pointer, and entries of
 * open_inv[] move when another one ends, so the key cannot be their
 * address.
 */
struct inv_range {
	unsigned long start, end;
	const void *key;
};

static struct inv_range open_inv[MAX_OPEN_INV];
static unsigned int nr_open_inv;
static struct kvm_memslot_mmu_cache mmu_cache;

typedef bool (*mn_hook_t)(struct kvm_memslot_vm *vm,
			  const struct kvm_memslot_gfn_range *range);

struct mn_walk {
	mn_hook_t hook;
	unsigned long start, end;
	bool ret;
};

static int mn_visit(struct kvm_memory_slot *slot, void *data)
{
	struct mn_walk *w = data;
	unsigned long slot_end = slot->userspace_addr + (slot->npages << PAGE_SHIFT);
	unsigned long start = max(w->start, slot->userspace_addr);
	unsigned long end = min(w->end, slot_end);
	struct kvm_memslot_gfn_range range = {
		.slot = slot,
		.start = slot->base_gfn + ((start - slot->userspace_addr) >> PAGE_SHIFT),
		.end = slot->base_gfn +
		       ((end - slot->userspace_addr + PAGE_SIZE - 1) >> PAGE_SHIFT),
	};

	w->ret |= w->hook(&vm, &range);
	return 0;
}

/* The unmap hook counts what it removed: non-zero asks for a flush. */
static bool mn_unmap(struct kvm_memslot_vm *v,
		     const struct kvm_memslot_gfn_range *range)
{
	return v->ops->unmap_gfn_range(v, range) != 0;
}

/* With SRCU and mmu_lock held. */
static bool mn_handle_range(unsigned long start, unsigned long end, mn_hook_t hook)
{
	struct mn_walk w = { .hook = hook, .start = start, .end = end };
	int as_id;

	for (as_id = 0; as_id < NR_AS; as_id++)
		kvm_memslot_visit_hva(kvm_memslots_get(&vm, as_id), start, end,
				      mn_visit, &w);
	return w.ret;
}

enum inv_kind {
	INV_UNMAP,	/* munmap, MADV_DONTNEED: pages gone */
	INV_REPLACE,	/* migration, COW break: new pages */
	INV_PROTECT,	/* mprotect(PROT_READ), fork's write protection */
	INV_COLLAPSE,	/* khugepaged: the frames become THPs */
	INV_NONE,	/* an event that changes nothing (clean, soft-dirty) */
	NR_INV_KINDS,
};

static void inv_start(unsigned long start, unsigned long end, enum inv_kind kind)
{
	unsigned long hva, f;
	unsigned int i;
	int idx;

	static unsigned long next_key;
	const void *key = (const void *)++next_key;

	TRACE("  [%#lx, %#lx) kind %d\n", start, end, kind);
	kvm_memslot_invalidate_begin(&vm, key, start, end);
	idx = srcu_read_lock(&vm.srcu);
	spin_lock(&vm.mmu_lock);
	if (!vm.mmu_invalidate_in_progress++) {
		vm.mmu_invalidate_start = start;
		vm.mmu_invalidate_end = end;
	} else {
		vm.mmu_invalidate_start = min(vm.mmu_invalidate_start, start);
		vm.mmu_invalidate_end = max(vm.mmu_invalidate_end, end);
	}
	if (mn_handle_range(start, end, mn_unmap))
		kvm_memslot_flush_remote_tlbs(&vm);
	kvm_memslot_gpc_invalidate(&vm, start, end);
	spin_unlock(&vm.mmu_lock);
	srcu_read_unlock(&vm.srcu, idx);

	/* Invariant 2: nothing maps the range once start returned. */
	for (i = 0; i < TLB_SIZE; i++)
		CHECK(!tlb[i].used || tlb[i].hva >= end ||
		      tlb[i].hva + (tlb[i].npages << PAGE_SHIFT) <= start,
		      "TLB entry for hva %#lx survives invalidation [%#lx, %#lx)",
		      tlb[i].hva, start, end);

	/* Now the mm changes the pages. */
	for (hva = start; hva < end; hva += PAGE_SIZE) {
		struct host_page *hp = host_page(hva);

		if (!hp)
			continue;
		hp->in_flux++;
		switch (kind) {
		case INV_UNMAP:
			hp->pfn = 0;
			break;
		case INV_REPLACE:
			if (hp->pfn)
				hp->pfn = new_pfn();
			break;
		case INV_PROTECT:
			hp->writable = false;
			break;
		default:
			break;
		}
	}
	for (f = 0; f < NR_FRAMES; f++) {
		unsigned long fs = HVA_BASE + f * FRAME_PAGES * PAGE_SIZE;
		unsigned long fe = fs + FRAME_PAGES * PAGE_SIZE;

		if (fe <= start || fs >= end || kind == INV_NONE)
			continue;
		if (kind == INV_COLLAPSE && start <= fs && end >= fe)
			host_make_huge(f);
		else if (kind != INV_PROTECT || start > fs || end < fe)
			frame_huge[f] = false;	/* a partial change splits it */
	}
	open_inv[nr_open_inv].start = start;
	open_inv[nr_open_inv].end = end;
	open_inv[nr_open_inv].key = key;
	nr_open_inv++;
}

static void inv_end(unsigned int i)
{
	unsigned long hva;

	spin_lock(&vm.mmu_lock);
	vm.mmu_invalidate_seq++;
	vm.mmu_invalidate_in_progress--;
	spin_unlock(&vm.mmu_lock);
	kvm_memslot_invalidate_end(&vm, open_inv[i].key);

	for (hva = open_inv[i].start; hva < open_inv[i].end; hva += PAGE_SIZE) {
		struct host_page *hp = host_page(hva);

		if (hp)
			hp->in_flux--;
	}
	open_inv[i] = open_inv[--nr_open_inv];
}

/* The other tasks finish their invalidations (an update waits for them). */
static void inv_end_all(void)
{
	while (nr_open_inv)
		inv_end(nr_open_inv - 1);
}

static bool mn_age(unsigned long start, unsigned long end, mn_hook_t hook,
		   bool flush)
{
	bool young;
	int idx;

	idx = srcu_read_lock(&vm.srcu);
	spin_lock(&vm.mmu_lock);
	young = mn_handle_range(start, end, hook);
	if (young && flush)
		kvm_memslot_flush_remote_tlbs(&vm);
	spin_unlock(&vm.mmu_lock);
	srcu_read_unlock(&vm.srcu, idx);
	return young;
}

/*
 * mprotect(PROT_READ | PROT_WRITE): an upgrade notifies nobody, but a
 * THP only partly covered is split first, and the split notifies.
 */
static void host_mprotect_rw(unsigned long start, unsigned long end)
{
	unsigned long f, hva;

	for (f = 0; f < NR_FRAMES; f++) {
		unsigned long fs = HVA_BASE + f * FRAME_PAGES * PAGE_SIZE;
		unsigned long fe = fs + FRAME_PAGES * PAGE_SIZE;

		if (!frame_huge[f] || fe <= start || fs >= end ||
		    (start <= fs && end >= fe))
			continue;
		if (nr_open_inv == MAX_OPEN_INV)
			return;
		inv_start(fs, fe, INV_NONE);
		frame_huge[f] = false;
		inv_end(nr_open_inv - 1);
	}
	for (hva = start; hva < end; hva += PAGE_SIZE)
		if (host_page(hva))
			host_page(hva)->writable = true;
}

/* ---- argument choices ---- */

static u16 pick_id(struct input *in)
{
	u8 b = in8(in);

	if ((b & 0xf0) == 0xf0)
		return odd_ids[b % ARRAY_SIZE(odd_ids)];
	return b & 7;
}

static u16 pick_as(struct input *in)
{
	u8 b = in8(in);

	if (b >= 0xf8)
		return b == 0xff ? 0xffff : 2;
	return b & 1;
}

static u32 pick_flags(struct input *in)
{
	u8 b = in8(in);

	switch (b >> 5) {
	case 6:
		return BIT(2) | (b & 3);	/* KVM_MEM_GUEST_MEMFD's bit */
	case 7:
		return BIT(16 + (b & 15));	/* internal and unknown bits */
	default:
		return b & (KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY);
	}
}

static u64 pick_gpa(struct input *in)
{
	u8 m = in8(in), b = in8(in);

	switch (m & 7) {
	case 0: case 1: case 2:
		return (u64)b * FRAME_PAGES * PAGE_SIZE / 4;	/* 512 KiB steps */
	case 3: case 4:
		return (u64)b << PAGE_SHIFT;
	case 5:
		return ((u64)b << PAGE_SHIFT) | (m & 0xff8);	/* unaligned */
	case 6:
		return ((MODEL_MAX_GFN + 1) << PAGE_SHIFT) - ((u64)(b & 7) << PAGE_SHIFT);
	default:
		return ~0ULL - ((u64)b << PAGE_SHIFT) + 1;	/* wraps */
	}
}

static u64 pick_size(struct input *in)
{
	u8 m = in8(in), b = in8(in);

	switch (m & 7) {
	case 0: case 1: case 2:
		return (u64)((b & 63) + 1) << PAGE_SHIFT;
	case 3: case 4:
		return (u64)((b & 3) + 1) * FRAME_PAGES * PAGE_SIZE;
	case 5:
		return 0;
	case 6:
		return ((u64)b << PAGE_SHIFT) + 1 + (m >> 3);	/* unaligned */
	default:
		/* More pages than a slot may have, or than a task can map. */
		return (b & 1) ? ((u64)KVM_MEMSLOT_MAX_NR_PAGES + 1) << PAGE_SHIFT :
				 1ULL << 48;
	}
}

static u64 pick_hva(struct input *in)
{
	u8 m = in8(in), b = in8(in);

	switch (m & 7) {
	case 0: case 1: case 2:
		return HVA_BASE + ((u64)b << PAGE_SHIFT) * 16 % HOST_SIZE;
	case 3:
		return HVA_BASE + (u64)(b & 7) * FRAME_PAGES * PAGE_SIZE;
	case 4:
		return HVA_BASE + ((u64)b << PAGE_SHIFT) % HOST_SIZE;
	case 5:
		return HVA_BASE + HOST_SIZE + ((u64)b << PAGE_SHIFT);	/* unbacked */
	case 6:
		return HVA_BASE + ((u64)b << 4);			/* unaligned */
	default:
		return TASK_SIZE_MAX - ((u64)b << PAGE_SHIFT);	/* near the top */
	}
}

/* A model slot to aim at, or NULL. */
static struct mslot *pick_model_slot(struct input *in)
{
	u8 b = in8(in);
	int i, n = 0;

	for (i = 0; i < MAX_SLOTS; i++)
		if (model.s[i].used)
			n++;
	if (!n)
		return NULL;
	n = b % n;
	for (i = 0; i < MAX_SLOTS; i++)
		if (model.s[i].used && !n--)
			return &model.s[i];
	return NULL;
}

/* A guest address in some slot most of the time, anywhere otherwise. */
static void pick_gfn(struct input *in, int *as_id, u64 *gfn)
{
	u8 m = in8(in);
	u16 off = in16(in);
	struct mslot *s = (m & 3) ? pick_model_slot(in) : NULL;

	if (s) {
		*as_id = s->as_id;
		*gfn = s->gfn + off % s->npages;
		if ((m & 0x1c) == 0x1c)
			*gfn = s->gfn + s->npages;	/* just past the end */
	} else {
		*as_id = m >> 7;
		*gfn = off;
	}
}

/* A host range, page-aligned, within or across the fake mm. */
static void pick_hva_range(struct input *in, unsigned long *start,
			   unsigned long *end)
{
	u8 m = in8(in);
	u16 first = in16(in) % HOST_PAGES;
	unsigned long n;

	switch (m & 3) {
	case 0:
		n = 1;
		break;
	case 1:
		n = (m >> 2) + 1;
		break;
	case 2:	/* whole 2 MiB frames */
		first = ALIGN_DOWN(first, FRAME_PAGES);
		n = FRAME_PAGES * ((m >> 2 & 3) + 1);
		break;
	default:
		n = (u64)(m >> 2) * 37 + 1;
		break;
	}
	*start = HVA_BASE + ((unsigned long)first << PAGE_SHIFT);
	*end = *start + (n << PAGE_SHIFT);
	if (*end > HVA_BASE + HOST_SIZE + FRAME_PAGES * PAGE_SIZE)
		*end = HVA_BASE + HOST_SIZE + FRAME_PAGES * PAGE_SIZE;
}

/* ---- slot changes and batches ---- */

static void region_decode(struct input *in, struct kvm_userspace_memory_region *r)
{
	struct mslot *s;
	u8 how = in8(in);
	u16 as_id, id;

	memset(r, 0, sizeof(*r));
	s = (how & 3) ? pick_model_slot(in) : NULL;
	if (s && (how & 3) != 3) {
		/* Aim at an existing slot: delete, move or flags. */
		r->slot = (u32)s->as_id << 16 | s->id;
		r->guest_phys_addr = s->gfn << PAGE_SHIFT;
		r->memory_size = s->npages << PAGE_SHIFT;
		r->userspace_addr = s->hva;
		r->flags = s->flags;
		switch ((how >> 2) & 7) {
		case 0: case 1:
			r->memory_size = 0;				/* delete */
			break;
		case 2: case 3:
			r->guest_phys_addr = pick_gpa(in);		/* move */
			break;
		case 4:
			r->flags ^= KVM_MEM_LOG_DIRTY_PAGES;		/* flags */
			break;
		case 5:
			r->flags = pick_flags(in);
			break;
		case 6:
			r->userspace_addr = pick_hva(in);		/* refused */
			break;
		default:
			r->memory_size = pick_size(in);
			break;
		}
		return;
	}
	as_id = pick_as(in);
	id = pick_id(in);
	r->slot = (u32)as_id << 16 | id;
	r->flags = pick_flags(in);
	r->guest_phys_addr = pick_gpa(in);
	r->memory_size = pick_size(in);
	r->userspace_addr = pick_hva(in);
}

static unsigned int nr_model_slots(const struct model *m)
{
	unsigned int i, n = 0;

	for (i = 0; i < MAX_SLOTS; i++)
		n += m->s[i].used;
	return n;
}

/*
 * Apply @nr changes (one: KVM_SET_USER_MEMORY_REGION; more: the batch),
 * with allocation failure armed at @fail_nth if non-zero.
 */
static void op_regions(const struct kvm_userspace_memory_region *r,
		       unsigned int nr, long fail_nth)
{
	struct model next;
	int expect = 0, prepare_err = 0, ret;
	unsigned int i, failed = ~0u, expect_failed = 0;

	model_copy(&next, &model);
	for (i = 0; i < nr; i++) {
		expect = model_check(&next, &r[i], &prepare_err);
		if (expect) {
			expect_failed = i;
			break;
		}
		if (nr_model_slots(&next) >= MAX_SLOTS - MAX_BATCH) {
			/* Keep the model small: leave this one out. */
			model_free(&next);
			return;
		}
	}
	if (!expect)
		expect = prepare_err;
	for (i = 0; i < MAX_SLOTS; i++)
		next.s[i].batch_new = false;

	/* The update waits for invalidations in flight: let them end. */
	inv_end_all();
	harness_alloc_fail_nth = fail_nth;
	if (nr == 1)
		ret = kvm_memslot_set_user_region(&vm, r);
	else
		ret = kvm_memslot_set_regions(&vm, r, nr, &failed);
	harness_alloc_fail_nth = 0;
	TRACE("  %u region(s), slot %#x flags %#x gpa %#llx size %#llx hva %#llx: %d (6.1: %d)\n",
	      nr, r[0].slot, r[0].flags, (unsigned long long)r[0].guest_phys_addr,
	      (unsigned long long)r[0].memory_size,
	      (unsigned long long)r[0].userspace_addr, ret, expect);

	/*
	 * Out of memory may win over an error only prepare reports, and in
	 * a batch over every error (its change array comes first).
	 */
	if (ret == -ENOMEM && fail_nth &&
	    (expect == 0 || expect == prepare_err || nr > 1)) {
		/* Out of memory: nothing changed. */
		model_free(&next);
	} else {
		CHECK(ret == expect,
		      "slot change (%u region(s), first slot %#x flags %#x gpa %#llx size %#llx hva %#llx) returned %d, 6.1 gives %d",
		      nr, r[0].slot, r[0].flags,
		      (unsigned long long)r[0].guest_phys_addr,
		      (unsigned long long)r[0].memory_size,
		      (unsigned long long)r[0].userspace_addr, ret, expect);
		if (nr > 1 && ret && !prepare_err)
			CHECK(failed == expect_failed,
			      "batch failed at index %u, expected %u", failed,
			      expect_failed);
		if (ret) {
			model_free(&next);
		} else {
			model_free(&model);
			model = next;
		}
	}
	check_layout();
}

/* ---- dirty log ---- */

static void op_get_dirty_log(struct input *in)
{
	struct mslot *s = pick_model_slot(in);
	u8 b = in8(in);
	u32 slot = s ? (u32)s->as_id << 16 | s->id : 0;
	unsigned long *buf;
	struct kvm_dirty_log log = { 0 };
	int ret, expect;
	u64 i;

	if (!s || (b & 7) == 7)
		slot = (u32)pick_as(in) << 16 | pick_id(in);
	s = model_find_id(&model, slot >> 16, (u16)slot);
	buf = calloc(s ? BITS_TO_LONGS(s->npages) : 1, sizeof(long));
	if (!buf)
		abort();
	log.slot = slot;
	log.dirty_bitmap = buf;

	if ((slot >> 16) >= NR_AS || (u16)slot >= NR_USER_SLOTS)
		expect = -EINVAL;
	else if (!s || !(s->flags & KVM_MEM_LOG_DIRTY_PAGES))
		expect = -ENOENT;
	else
		expect = 0;

	ret = kvm_memslot_get_dirty_log(&vm, &log);
	TRACE("  slot %#x: %d, first word %#lx\n", slot, ret, buf[0]);
	CHECK(ret == expect, "GET_DIRTY_LOG slot %#x returned %d, 6.1 gives %d",
	      slot, ret, expect);
	if (!ret) {
		/* Invariant 4: every write since the last harvest is there. */
		for (i = 0; i < s->npages; i++)
			CHECK(!test_bit(i, s->written) || test_bit(i, buf),
			      "GET_DIRTY_LOG slot %#x lost the write to page %llu",
			      slot, (unsigned long long)i);
		if (!(manual_protect & KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE))
			memset(s->written, 0, BITS_TO_LONGS(s->npages) * sizeof(long));
	}
	free(buf);
}

static void op_clear_dirty_log(struct input *in)
{
	struct mslot *s = pick_model_slot(in);
	u8 b = in8(in);
	u32 slot = s ? (u32)s->as_id << 16 | s->id : 0;
	struct kvm_clear_dirty_log log = { 0 };
	unsigned long mask[8];
	u64 first, num, i, npages;
	int ret, expect;

	if (!s || (b & 7) == 7)
		slot = (u32)pick_as(in) << 16 | pick_id(in);
	s = model_find_id(&model, slot >> 16, (u16)slot);
	npages = s ? s->npages : 64;

	switch ((b >> 3) & 3) {
	case 0:		/* the whole slot */
		first = 0;
		num = npages;
		break;
	case 1:		/* 64-page aligned pieces */
		first = (u64)(in8(in) & 7) * 64;
		num = (u64)(in8(in) & 7) * 64;
		break;
	case 2:		/* to the end */
		first = (u64)(in8(in) & 7) * 64;
		num = npages > first ? npages - first : 0;
		break;
	default:	/* anything */
		first = in8(in);
		num = in8(in);
		break;
	}
	for (i = 0; i < ARRAY_SIZE(mask); i++) {
		unsigned long hi, lo;

		if (b & 0x20) {
			mask[i] = ~0UL;
			continue;
		}
		/* Spread 32 input bits over the word. */
		hi = in16(in);
		lo = in16(in);
		mask[i] = (hi << 32 | lo) * 0x9e3779b97f4a7c15UL;
	}
	log.slot = slot;
	log.first_page = first;
	log.num_pages = num;
	log.dirty_bitmap = mask;

	if ((slot >> 16) >= NR_AS || (u16)slot >= NR_USER_SLOTS)
		expect = -EINVAL;
	else if (first & 63)
		expect = -EINVAL;
	else if (!s || !(s->flags & KVM_MEM_LOG_DIRTY_PAGES))
		expect = -ENOENT;
	else if (first > s->npages || num > s->npages - first ||
		 (num < s->npages - first && (num & 63)))
		expect = -EINVAL;
	else
		expect = 0;
	/* The mask buffer holds 512 bits: stay inside it. */
	if (!expect && num > 64 * ARRAY_SIZE(mask))
		return;

	ret = kvm_memslot_clear_dirty_log(&vm, &log);
	TRACE("  slot %#x first %llu num %llu: %d\n", slot,
	      (unsigned long long)first, (unsigned long long)num, ret);
	CHECK(ret == expect,
	      "CLEAR_DIRTY_LOG slot %#x first %llu num %llu returned %d, 6.1 gives %d",
	      slot, (unsigned long long)first, (unsigned long long)num, ret, expect);
	if (!ret)
		for (i = 0; i < num; i++)
			if (test_bit(i, mask))
				clear_bit(first + i, s->written);
}

/* ---- the simulated vCPU ---- */

static struct kvm_memslot_hint hint;

/* What a write to @gfn of slot @s means for the dirty log. */
static void model_written(struct mslot *s, u64 gfn)
{
	if (s && s->written)
		set_bit(gfn - s->gfn, s->written);
}

/*
 * A walk missed: the fault of memslot_access.c (access_fault and
 * fault_map), with the fake host mm's get_user_pages.
 * Return: true to walk again, false if the access exits.
 */
static bool vcpu_fault(int as_id, u64 gfn, bool write)
{
	struct kvm_memory_slot *slot;
	struct mslot *s = model_find_gfn(&model, as_id, gfn);
	unsigned long mmu_seq, hva, pfn, map_pfn, fs;
	u64 generation, map_gfn;
	bool logging, writable = write, retry;
	int idx, level = 1, r;

	idx = srcu_read_lock(&vm.srcu);
	generation = kvm_memslots_get(&vm, as_id)->generation;
	srcu_read_unlock(&vm.srcu, idx);
	mmu_seq = READ_ONCE(vm.mmu_invalidate_seq);

	slot = kvm_memslot_fault_lookup(&vm, as_id, gfn, &hint, &idx);
	if (!slot) {
		CHECK(!s, "fault: as %d gfn %#llx has no slot, model has slot %u",
		      as_id, (unsigned long long)gfn, s ? s->id : 0);
		if (!(generation & 1)) {
			spin_lock(&vm.mmu_lock);
			vm.ops->map_mmio(&vm, as_id, gfn, generation);
			spin_unlock(&vm.mmu_lock);
		}
		srcu_read_unlock(&vm.srcu, idx);
		return false;
	}
	CHECK(s && s->id == slot->id && !kvm_memslot_is_invalid(slot),
	      "fault: as %d gfn %#llx found slot %u, model has %d", as_id,
	      (unsigned long long)gfn, slot->id, s ? (int)s->id : -1);
	if (write && (slot->flags & KVM_MEM_READONLY)) {
		srcu_read_unlock(&vm.srcu, idx);
		return false;
	}
	hva = kvm_memslot_gfn_to_hva(slot, gfn);
	logging = slot->dirty_bitmap;
	if (!write && !logging && !(slot->flags & KVM_MEM_READONLY) &&
	    host_page(hva) && host_page(hva)->pfn && host_page(hva)->writable) {
		writable = true;
		r = host_gup(hva, true, &pfn);
	} else {
		r = host_gup(hva, write, &pfn);
	}
	if (r) {
		srcu_read_unlock(&vm.srcu, idx);
		return false;
	}
	map_gfn = gfn;
	map_pfn = pfn;

	/* Table pages come from the vCPU's cache, filled before the lock. */
	r = kvm_memslot_mmu_cache_topup(&mmu_cache, vm.ops->map_cache_pages);
	if (r) {
		srcu_read_unlock(&vm.srcu, idx);
		return false;
	}

	spin_lock(&vm.mmu_lock);
	retry = vm.mmu_invalidate_in_progress &&
		hva < vm.mmu_invalidate_end && hva + PAGE_SIZE > vm.mmu_invalidate_start;
	retry |= vm.mmu_invalidate_seq != mmu_seq;
	if (retry) {
		r = 0;
		goto out;
	}
	fs = hva & ~(FRAME_PAGES * PAGE_SIZE - 1);
	if (!logging && ALIGN_DOWN(gfn, FRAME_PAGES) >= slot->base_gfn &&
	    ALIGN_DOWN(gfn, FRAME_PAGES) + FRAME_PAGES <= kvm_memslot_end(slot) &&
	    !((gfn ^ (hva >> PAGE_SHIFT)) & (FRAME_PAGES - 1)) &&
	    !(vm.mmu_invalidate_in_progress && fs < vm.mmu_invalidate_end &&
	      fs + FRAME_PAGES * PAGE_SIZE > vm.mmu_invalidate_start) &&
	    host_page(fs) && host_page(fs + FRAME_PAGES * PAGE_SIZE - 1) &&
	    frame_huge[host_index(fs) / FRAME_PAGES]) {
		level = 2;
		map_gfn = ALIGN_DOWN(gfn, FRAME_PAGES);
		map_pfn = pfn - (gfn - map_gfn);
	}
	if (write && logging)
		set_bit_le(gfn - slot->base_gfn, slot->dirty_bitmap);
	r = vm.ops->map(&vm, slot, map_gfn, map_pfn, writable,
			level == 2 ? PAGE_SHIFT + 9 : PAGE_SHIFT, &mmu_cache);
out:
	spin_unlock(&vm.mmu_lock);
	srcu_read_unlock(&vm.srcu, idx);
	CHECK(!r || r == -EAGAIN, "backend map returned %d", r);
	return true;
}

static void op_vcpu_access(struct input *in)
{
	u8 b = in8(in);
	bool write = b & 1;
	struct tlb_entry *e;
	struct mslot *s;
	int as_id, tries;
	u64 gfn;

	pick_gfn(in, &as_id, &gfn);
	s = model_find_gfn(&model, as_id, gfn);

	/* The TLB first, as hardware does; check_tlb() vouches for it. */
	e = tlb_find(as_id, gfn);
	if (e && (!write || e->writable)) {
		TRACE("  %s as %d gfn %#llx: TLB hit\n", write ? "write" : "read",
		      as_id, (unsigned long long)gfn);
		if (write)
			model_written(s, gfn);
		return;
	}

	for (tries = 0; tries < 4; tries++) {
		enum kvm_memslot_walk_result res;
		unsigned long pfn = 0;
		u64 generation, *pte;
		int idx;

		idx = srcu_read_lock(&vm.srcu);
		generation = kvm_memslots_get(&vm, as_id)->generation;
		res = vm.ops->translate(&vm, as_id, (gfn << PAGE_SHIFT) | (b & 0xff0),
				   write, generation, &pfn);
		if (res == KVM_MEMSLOT_WALK_HIT) {
			struct host_page *hp;
			struct tlb_entry n = { .as_id = as_id };

			CHECK(s, "access: as %d gfn %#llx hit pfn %#lx, no slot there",
			      as_id, (unsigned long long)gfn, pfn);
			hp = host_page(s->hva + ((gfn - s->gfn) << PAGE_SHIFT));
			CHECK(hp && hp->pfn == pfn && !hp->in_flux,
			      "access: as %d gfn %#llx (slot %u) reached pfn %#lx, host maps %#lx%s",
			      as_id, (unsigned long long)gfn, s->id, pfn,
			      hp ? hp->pfn : 0, hp && hp->in_flux ? " (being invalidated)" : "");
			CHECK(!write || !(s->flags & KVM_MEM_READONLY),
			      "access: write hit read-only slot %u", s->id);
			if (write)
				model_written(s, gfn);
			pte = x86_mmu_lookup(vm.arch, as_id, gfn, 2);
			if (pte && (*pte & X86_PTE_LARGE)) {
				n.gfn = ALIGN_DOWN(gfn, FRAME_PAGES);
				n.npages = FRAME_PAGES;
			} else {
				n.gfn = gfn;
				n.npages = 1;
				pte = x86_mmu_lookup(vm.arch, as_id, gfn, 1);
			}
			n.pfn = pfn - (gfn - n.gfn);
			n.hva = s->hva + ((n.gfn - s->gfn) << PAGE_SHIFT);
			n.writable = pte && (*pte & X86_PTE_WRITABLE);
			tlb_fill(&n);
		}
		srcu_read_unlock(&vm.srcu, idx);
		TRACE("  %s as %d gfn %#llx: %s\n", write ? "write" : "read", as_id,
		      (unsigned long long)gfn, res == KVM_MEMSLOT_WALK_HIT ? "hit" :
		      res == KVM_MEMSLOT_WALK_MMIO ? "mmio exit" : "miss, fault");
		if (res == KVM_MEMSLOT_WALK_HIT)
			return;
		if (res == KVM_MEMSLOT_WALK_MMIO) {
			CHECK(!s, "access: as %d gfn %#llx exits as MMIO, slot %u backs it",
			      as_id, (unsigned long long)gfn, s ? s->id : 0);
			return;
		}
		if (!vcpu_fault(as_id, gfn, write))
			return;
	}
}

/* ---- gfn_to_pfn caches ---- */

static struct kvm_memslot_gpc gpcs[NR_GPC];

/* A cache that would hit maps what the host maps at a slot's address. */
static void check_gpcs(void)
{
	unsigned int i, valid = 0;

	for (i = 0; i < NR_GPC; i++) {
		struct kvm_memslot_gpc *gpc = &gpcs[i];
		struct host_page *hp;
		struct mslot *s;
		bool hit;

		read_lock(&gpc->lock);
		hit = kvm_memslot_gpc_check(gpc);
		valid += gpc->valid;
		if (!hit) {
			read_unlock(&gpc->lock);
			continue;
		}
		s = model_find_gfn(&model, gpc->as_id, gpc->gpa >> PAGE_SHIFT);
		hp = host_page(gpc->hva);
		CHECK(gpc->active && s &&
		      gpc->hva == s->hva + (((gpc->gpa >> PAGE_SHIFT) - s->gfn) << PAGE_SHIFT),
		      "gpc %u hits for gpa %#llx, hva %#lx: no slot maps it there",
		      i, (unsigned long long)gpc->gpa, gpc->hva);
		CHECK(!gpc->write || !(s->flags & KVM_MEM_READONLY),
		      "write gpc %u hits on read-only slot %u", i, s->id);
		CHECK(hp && hp->pfn == gpc->pfn && !hp->in_flux &&
		      (!gpc->write || hp->writable),
		      "gpc %u hits with pfn %#lx, host maps %#lx%s%s", i, gpc->pfn,
		      hp ? hp->pfn : 0, hp && hp->in_flux ? " (being invalidated)" : "",
		      hp && !hp->writable ? " read-only" : "");
		read_unlock(&gpc->lock);
	}
	CHECK(nr_pinned == valid, "%u page references held by %u filled caches",
	      nr_pinned, valid);
}

static void op_gpc(struct input *in)
{
	u8 b = in8(in);
	struct kvm_memslot_gpc *gpc = &gpcs[b & 3];
	int ret, expect;

	switch ((b >> 2) & 3) {
	case 0: {	/* activate */
		int as_id;
		u64 gfn, gpa;
		unsigned int len;
		u8 l = in8(in);

		pick_gfn(in, &as_id, &gfn);
		gpa = (gfn << PAGE_SHIFT) + (u64)in8(in) * 16;
		len = (l & 0x80) ? PAGE_SIZE + 1 - (l & 1) : (l & 0x7f);
		expect = (!len || len > PAGE_SIZE - (gpa & (PAGE_SIZE - 1))) ? -EINVAL : 0;
		ret = kvm_memslot_gpc_activate(gpc, gpa, len);
		CHECK(ret == expect, "gpc activate gpa %#llx len %u returned %d, expected %d",
		      (unsigned long long)gpa, len, ret, expect);
		break;
	}
	case 1: {	/* refresh */
		u64 gfn = gpc->gpa >> PAGE_SHIFT;
		struct host_page *hp = NULL;
		unsigned long hva = 0;
		struct mslot *s;
		unsigned int i;

		s = model_find_gfn(&model, gpc->as_id, gfn);
		if (s) {
			hva = s->hva + ((gfn - s->gfn) << PAGE_SHIFT);
			hp = host_page(hva);
		}
		/*
		 * A refresh waits for the invalidations in flight that
		 * overlap its page: let them end, as their tasks would.
		 * Those that do not overlap it must not delay it (issue 9,
		 * defect 2), so they stay open.
		 */
		for (i = 0; s && i < nr_open_inv; i++) {
			if (open_inv[i].start < hva + PAGE_SIZE &&
			    open_inv[i].end > hva) {
				inv_end_all();
				break;
			}
		}
		if (!gpc->active)
			expect = -EINVAL;
		else if (!s)
			expect = -ENOENT;
		else if (gpc->write && (s->flags & KVM_MEM_READONLY))
			expect = -EROFS;
		else if (!hp || (gpc->write && !hp->writable))
			expect = -EFAULT;
		else
			expect = 0;
		ret = kvm_memslot_gpc_refresh(gpc);
		TRACE("  gpc %ld refresh gpa %#llx: %d\n", (long)(gpc - gpcs),
		      (unsigned long long)gpc->gpa, ret);
		CHECK(ret == expect, "gpc refresh (%s, as %u, gpa %#llx) returned %d, expected %d",
		      gpc->write ? "write" : "read", gpc->as_id,
		      (unsigned long long)gpc->gpa, ret, expect);
		break;
	}
	case 2: {	/* a user: check, and write through it */
		int idx = srcu_read_lock(&vm.srcu);

		read_lock(&gpc->lock);
		TRACE("  gpc %ld check: %d\n", (long)(gpc - gpcs),
		      kvm_memslot_gpc_check(gpc));
		if (kvm_memslot_gpc_check(gpc) && gpc->write) {
			kvm_memslot_gpc_mark_dirty(gpc);
			model_written(model_find_gfn(&model, gpc->as_id, gpc->gpa >> PAGE_SHIFT),
				      gpc->gpa >> PAGE_SHIFT);
		}
		read_unlock(&gpc->lock);
		srcu_read_unlock(&vm.srcu, idx);
		break;
	}
	default:
		kvm_memslot_gpc_deactivate(gpc);
		break;
	}
}

/* ---- one input ---- */

enum op {
	OP_SET_REGION,
	OP_BATCH,
	OP_SET_REGION_NOMEM,
	OP_GET_DIRTY_LOG,
	OP_CLEAR_DIRTY_LOG,
	OP_MANUAL_PROTECT,
	OP_VCPU_ACCESS,
	OP_GPC,
	OP_INV_START,
	OP_INV_END,
	OP_AGE,
	OP_HOST_MPROTECT_RW,
	NR_OPS,
};

static const char *const op_names[NR_OPS] = {
	"set_region", "batch", "set_region (allocation fails)",
	"get_dirty_log", "clear_dirty_log", "manual_protect", "vcpu_access",
	"gpc", "invalidate_start", "invalidate_end", "age", "host_mprotect_rw",
};

static void run_op(struct input *in, enum op op)
{
	struct kvm_userspace_memory_region r[MAX_BATCH];
	unsigned long start, end;
	unsigned int nr, i;
	u8 b;

	switch (op) {
	case OP_SET_REGION:
		region_decode(in, &r[0]);
		op_regions(r, 1, 0);
		break;
	case OP_BATCH:
		nr = in8(in) % MAX_BATCH + 1;
		for (i = 0; i < nr; i++)
			region_decode(in, &r[i]);
		op_regions(r, nr, 0);
		break;
	case OP_SET_REGION_NOMEM:
		b = in8(in);
		nr = b & 1 ? 2 : 1;
		for (i = 0; i < nr; i++)
			region_decode(in, &r[i]);
		op_regions(r, nr, (b >> 1) % 12 + 1);
		break;
	case OP_GET_DIRTY_LOG:
		op_get_dirty_log(in);
		break;
	case OP_CLEAR_DIRTY_LOG:
		op_clear_dirty_log(in);
		break;
	case OP_MANUAL_PROTECT:
		b = in8(in) % 3;
		manual_protect = b == 0 ? 0 : b == 1 ? KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE :
				 KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET;
		mutex_lock(&vm.slots_lock);
		vm.manual_dirty_log_protect = manual_protect;
		mutex_unlock(&vm.slots_lock);
		break;
	case OP_VCPU_ACCESS:
		op_vcpu_access(in);
		break;
	case OP_GPC:
		op_gpc(in);
		break;
	case OP_INV_START:
		b = in8(in);
		pick_hva_range(in, &start, &end);
		if (nr_open_inv < MAX_OPEN_INV)
			inv_start(start, end, b % NR_INV_KINDS);
		break;
	case OP_INV_END:
		b = in8(in);
		if (nr_open_inv)
			inv_end(b % nr_open_inv);
		break;
	case OP_AGE:
		b = in8(in);
		pick_hva_range(in, &start, &end);
		if (b % 3 == 0)
			mn_age(start, end, vm.ops->age_gfn_range, true);
		else if (b % 3 == 1)
			mn_age(start, end, vm.ops->age_gfn_range, false);
		else
			mn_age(start, start + 1, vm.ops->test_age_gfn_range, false);
		break;
	case OP_HOST_MPROTECT_RW:
		pick_hva_range(in, &start, &end);
		host_mprotect_rw(start, end);
		break;
	default:
		break;
	}
}

static void check_all(void)
{
	CHECK(harness_warn_count == 0, "a WARN fired (%lu)", harness_warn_count);
	check_layout();
	check_audit();
	check_tlb();
	check_gpcs();
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static bool registered;
	struct input in = { .p = data, .left = size };
	unsigned int i;
	long live;

	if (!registered) {
		harness_rcu_register_thread();
		kvm_memslot_x86_backend_init();
		registered = true;
		trace = getenv("FUZZ_MEMSLOT_TRACE");
	}
	harness_quiesce();
	harness_warn_count = 0;
	live = __atomic_load_n(&harness_alloc_live, __ATOMIC_SEQ_CST);

	op_index = 0;
	op_name = "setup";
	host_reset();
	memset(&model, 0, sizeof(model));
	memset(tlb, 0, sizeof(tlb));
	memset(&hint, 0, sizeof(hint));
	nr_open_inv = 0;
	manual_protect = 0;
	ops = (in8(&in) & 1) ? &kvm_memslot_x86_npt_ops : &kvm_memslot_x86_ept_ops;
	memset(&vm, 0, sizeof(vm));
	CHECK(kvm_memslot_vm_init(&vm, ops, NULL) == 0, "VM init failed");
	memset(gpcs, 0, sizeof(gpcs));
	for (i = 0; i < NR_GPC; i++)
		kvm_memslot_gpc_init(&gpcs[i], &vm, i == 2, i & 1);

	for (op_index = 1; in.left && op_index <= MAX_OPS; op_index++) {
		enum op op = in8(&in) % NR_OPS;

		op_name = op_names[op];
		TRACE("op %u: %s\n", op_index, op_name);
		run_op(&in, op);
		check_all();
	}

	op_name = "teardown";
	inv_end_all();
	for (i = 0; i < NR_GPC; i++) {
		kvm_memslot_gpc_deactivate(&gpcs[i]);
		mutex_destroy(&gpcs[i].refresh_lock);
	}
	CHECK(nr_pinned == 0, "%u page reference(s) leaked by the caches", nr_pinned);
	check_all();
	kvm_memslot_vm_destroy(&vm);
	kvm_memslot_mmu_cache_free(&mmu_cache);
	CHECK(__atomic_load_n(&harness_alloc_live, __ATOMIC_SEQ_CST) == live,
	      "%ld allocation(s) leaked after VM destroy",
	      __atomic_load_n(&harness_alloc_live, __ATOMIC_SEQ_CST) - live);
	CHECK(harness_warn_count == 0, "a WARN fired (%lu)", harness_warn_count);
	model_free(&model);
	return 0;
}
