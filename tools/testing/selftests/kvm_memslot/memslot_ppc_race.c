// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_ppc_race: the race the Book3S HV memslot fixes of 2012 were
 * about, on the PowerPC backend (KVM_MEMSLOT_VM_PPC_BOOK3S_HV).
 *
 * Two vCPU threads each loop: H_ENTER an HPTE for a page of slot 1, read
 * a byte through it (a virtual-mode access, which faults the page in),
 * H_REMOVE it (or H_BULK_REMOVE it, every other time).  Meanwhile the main thread changes slot 1 under them:
 * first only by atomic batches (delete + re-create at the same gpa over
 * the other of two host buffers), during which no gfn of the slot is ever
 * without a slot, only in transition; then by plain deletes, creates and
 * moves away and back.  Checked afterwards:
 * - the audit reports 0: no HPTE refers to a slot that is gone or
 *   INVALID, no rmap chain is corrupt, every VALID HPTE is on its chain;
 * - during the batches, no access exited as MMIO (its gfn was only in
 *   transition: in-tree KVM-HV would have emulated it);
 * - every byte read is one of the two buffers' patterns, no access
 *   reported a guest fault on an HPTE the thread had just entered, and
 *   every H_REMOVE of its own HPTE succeeded (removal through the rmap
 *   works while the slot is INVALID).
 *
 * With --flush-early (root; a test-only module parameter of kvm_memslot),
 * the core flushes before the INVALID publish instead of after it: the
 * same scenario must then make the audit fail, which shows the audit
 * sees what the protocol order prevents.
 *
 * Extension-only: skips on /dev/kvm and for another --vm-type.
 *
 * Usage: memslot_ppc_race [device] [--flush-early] [-n updates]
 * (a copy named memslot_ppc_race_flush_early implies --flush-early, for
 * runners that pass no options).
 */
#include <pthread.h>
#include <stdatomic.h>
#include "access_util.h"

#define NVCPUS		2
#define NPAGES		16
#define HTAB_ORDER	18
#define PPC_PAGE	65536ULL
#define GPA		(16 * PPC_PAGE)
#define GPA_AWAY	(256 * PPC_PAGE)
#define FLUSH_EARLY_PARAM "/sys/module/kvm_memslot/parameters/test_flush_before_invalid"

#define H_SUCCESS	0
#define H_AVPN		(1ULL << (63 - 32))
#define HPTE_V_LARGE	0x4ULL
#define HPTE_V_VALID	0x1ULL
#define HPTE_R_M	0x10ULL
#define HPTE_R_LP_64K	0x1000ULL

static int vmfd;
static uint8_t *mem[2];
static atomic_int stop;
/* Bumped around every update that may leave a gfn of slot 1 unbacked. */
static atomic_uint unbacked_epoch;

struct vcpu {
	int fd;
	int id;
	pthread_t thread;
	unsigned long accesses, mmio_in_transit, bad_data, own_faults;
	unsigned long remove_failures, enter_failures, errors;
};

static struct vcpu vcpus[NVCPUS];

static uint8_t pattern(int buf, int page, int off)
{
	return (uint8_t)(0xa0 + buf * 0x20 + page * 3 + off);
}

static void fill(int buf)
{
	for (int p = 0; p < NPAGES; p++)
		for (int off = 0; off < 8; off++)
			mem[buf][p * PPC_PAGE + off] = pattern(buf, p, off);
}

static long hcall(int fd, struct kvm_memslot_ppc_hcall *hc)
{
	return tap_ioctl(fd, KVM_MEMSLOT_PPC_HCALL, (unsigned long)hc);
}

static long set_slot(uint64_t gpa, uint64_t size, int buf)
{
	return tap_set(vmfd, 0, 1, 0, gpa, size, (uintptr_t)mem[buf]);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	uint64_t vsid = 0x100 + v->id, npteg = 1ULL << (HTAB_ORDER - 7);
	unsigned int seed = v->id;

	while (!atomic_load(&stop)) {
		int page = rand_r(&seed) % NPAGES, off = rand_r(&seed) % 8;
		uint64_t va = (vsid << 28) | ((uint64_t)page << 16);
		uint64_t hash = vsid ^ (uint64_t)page;
		struct kvm_memslot_ppc_hcall hc = {
			.nr = KVM_MEMSLOT_PPC_H_ENTER,
			.pte_index = (hash & (npteg - 1)) * 8,
			.args = { ((va >> 23) << 7) | HPTE_V_LARGE | HPTE_V_VALID,
				  (GPA + page * PPC_PAGE) | HPTE_R_LP_64K | HPTE_R_M | 2 },
		};
		struct kvm_memslot_access acc;
		unsigned int epoch;
		uint64_t avpn = hc.args[0] & ~0x7fULL;
		uint8_t b = 0;
		long r;

		if (hcall(v->fd, &hc) || hc.ret != H_SUCCESS) {
			v->enter_failures++;
			continue;
		}
		epoch = atomic_load(&unbacked_epoch);
		r = acc_access(v->fd, va + off, &b, 1, KVM_MEMSLOT_ACCESS_PPC_VIRT, &acc);
		v->accesses++;
		if (r == ACC_MMIO) {
			/* Only an update that left the gfn unbacked may explain it. */
			if (!(epoch & 1) && epoch == atomic_load(&unbacked_epoch))
				v->mmio_in_transit++;
		} else if (r == ACC_ERR_EXIT + KVM_MEMSLOT_EXIT_GUEST_FAULT) {
			v->own_faults++;
		} else if (r) {
			v->errors++;
		} else if (b != pattern(0, page, off) && b != pattern(1, page, off)) {
			v->bad_data++;
		}

		/* Every other one goes by H_BULK_REMOVE, with its AVPN. */
		if (v->accesses & 1) {
			uint64_t ptex = hc.rets[0];

			hc = (struct kvm_memslot_ppc_hcall){
				.nr = KVM_MEMSLOT_PPC_H_BULK_REMOVE,
				.args = { (1ULL << 62) | (2ULL << 56) | ptex, avpn,
					  3ULL << 62 },
			};
			if (hcall(v->fd, &hc) || hc.ret != H_SUCCESS ||
			    (hc.rets[0] >> 60) != 0x8 || ((hc.rets[0] >> 56) & 3) != 2)
				v->remove_failures++;
		} else {
			hc = (struct kvm_memslot_ppc_hcall){
				.nr = KVM_MEMSLOT_PPC_H_REMOVE, .flags = H_AVPN,
				.pte_index = hc.rets[0], .args = { avpn },
			};
			if (hcall(v->fd, &hc) || hc.ret != H_SUCCESS)
				v->remove_failures++;
		}
	}
	return NULL;
}

static void batch_replace(int buf)
{
	struct kvm_userspace_memory_region r[2] = {
		{ .slot = 1, .guest_phys_addr = GPA, .memory_size = 0,
		  .userspace_addr = (uintptr_t)mem[!buf] },
		{ .slot = 1, .guest_phys_addr = GPA,
		  .memory_size = NPAGES * PPC_PAGE,
		  .userspace_addr = (uintptr_t)mem[buf] },
	};
	struct kvm_memslot_regions b = { .nr = 2, .regions = (uintptr_t)r };

	tap_ioctl(vmfd, KVM_MEMSLOT_SET_REGIONS, (unsigned long)&b);
}

/* The updates that may leave a gfn unbacked, between epoch bumps. */
static void unbacked_updates(int i)
{
	atomic_fetch_add(&unbacked_epoch, 1);
	set_slot(GPA, 0, 0);
	set_slot(GPA, NPAGES * PPC_PAGE, i & 1);
	if (i % 4 == 3) {
		set_slot(GPA_AWAY, NPAGES * PPC_PAGE, i & 1);
		set_slot(GPA, NPAGES * PPC_PAGE, i & 1);
	}
	atomic_fetch_add(&unbacked_epoch, 1);
}

static int write_param(const char *v)
{
	FILE *f = fopen(FLUSH_EARLY_PARAM, "w");
	int ok;

	if (!f)
		return 0;
	ok = fputs(v, f) >= 0;
	return fclose(f) == 0 && ok;
}

static void start_vcpus(void)
{
	atomic_store(&stop, 0);
	for (int i = 0; i < NVCPUS; i++)
		pthread_create(&vcpus[i].thread, NULL, vcpu_thread, &vcpus[i]);
}

static void stop_vcpus(void)
{
	atomic_store(&stop, 1);
	for (int i = 0; i < NVCPUS; i++)
		pthread_join(vcpus[i].thread, NULL);
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	unsigned long acc = 0, mmio = 0, bad = 0, faults = 0, rmf = 0, enf = 0, err = 0;
	int devfd, flush_early = 0, updates = 200;
	uint32_t order = HTAB_ORDER;
	long audit;

	if (strstr(argv[0], "flush_early"))
		flush_early = 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--flush-early"))
			flush_early = 1;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			updates = atoi(argv[++i]);
	}
	if (tap_vm_type && tap_vm_type != KVM_MEMSLOT_VM_PPC_BOOK3S_HV)
		return tap_skip_all("a PowerPC Book3S HV test");
	tap_vm_type = KVM_MEMSLOT_VM_PPC_BOOK3S_HV;
	tap_option("--vm-type=0x20000");

	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("cannot open the device");
	vmfd = tap_create_vm(devfd);
	if (vmfd < 0)
		return tap_skip_all("no PowerPC Book3S HV VM type on this device");
	if (flush_early && access(FLUSH_EARLY_PARAM, W_OK))
		return tap_skip_all("--flush-early needs root and kvm_memslot's test parameter");

	tap_plan(flush_early ? 3 : 9);
	tap_diag("device %s, %d vCPUs, %d updates per phase%s", dev, NVCPUS,
		 updates, flush_early ? ", flush before the INVALID publish" : "");
	mem[0] = tap_map(NPAGES * PPC_PAGE);
	mem[1] = tap_map(NPAGES * PPC_PAGE);
	for (int i = 0; i < NVCPUS; i++) {
		vcpus[i].id = i;
		vcpus[i].fd = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, i);
	}
	tap_expect(mem[0] && mem[1] && vcpus[NVCPUS - 1].fd >= 0 &&
		   !tap_ioctl(vmfd, KVM_PPC_ALLOCATE_HTAB, (unsigned long)&order) &&
		   !set_slot(GPA, NPAGES * PPC_PAGE, 0), 1,
		   "setup: VM, HPT of order %d, slot 1 of %d 64 KiB pages", HTAB_ORDER, NPAGES);
	if (tap_failed) {
		tap_bail_rest("setup failed");
		return tap_finish();
	}
	fill(0);
	fill(1);

	if (flush_early) {
		int i;

		tap_expect(write_param("Y"), 1, "test_flush_before_invalid set");
		start_vcpus();
		audit = 0;
		for (i = 0; i < updates * 10 && audit == 0; i++) {
			unbacked_updates(i);
			audit = acc_audit(vmfd);
		}
		stop_vcpus();
		write_param("N");
		tap_diag("the audit found %ld violations after %d rounds", audit, i);
		tap_result(audit > 0,
			   "flushing before the INVALID publish leaves HPTEs the audit finds");
		return tap_finish();
	}

	start_vcpus();
	for (int i = 0; i < updates; i++)
		batch_replace(!(i & 1));
	stop_vcpus();
	for (int i = 0; i < NVCPUS; i++)
		mmio += vcpus[i].mmio_in_transit;
	tap_result(mmio == 0,
		   "atomic replaces: no access exited as MMIO while its gfn was in transition (%lu)",
		   mmio);
	tap_expect(acc_audit(vmfd), 0, "audit after the atomic replaces");

	start_vcpus();
	for (int i = 0; i < updates; i++)
		unbacked_updates(i);
	stop_vcpus();

	for (int i = 0; i < NVCPUS; i++) {
		acc += vcpus[i].accesses;
		mmio += vcpus[i].mmio_in_transit;
		bad += vcpus[i].bad_data;
		faults += vcpus[i].own_faults;
		rmf += vcpus[i].remove_failures;
		enf += vcpus[i].enter_failures;
		err += vcpus[i].errors;
	}
	tap_diag("%lu accesses, %lu H_ENTER failures, %lu errors", acc, enf, err);
	tap_result(acc > 0 && enf == 0 && err == 0, "the vCPUs ran: %lu accesses", acc);
	tap_result(mmio == 0, "no MMIO exit while the gfn was only in transition (%lu)", mmio);
	tap_result(bad == 0, "every byte read came from one of the slot's buffers (%lu bad)", bad);
	tap_result(faults == 0, "no guest fault on an HPTE just entered (%lu)", faults);
	tap_result(rmf == 0, "every H_REMOVE of an own HPTE succeeded (%lu failed)", rmf);
	tap_expect(acc_audit(vmfd), 0, "audit: no HPTE of a gone slot, every chain sound");
	close(vmfd);
	close(devfd);
	return tap_finish();
}
