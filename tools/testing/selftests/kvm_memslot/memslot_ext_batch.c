// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_ext_batch: the kvm-memslot VM extension ioctls for the slot
 * layout and the update protocol.
 *
 * - KVM_MEMSLOT_GET_STATS_FD: KVM's binary statistics layout, and counters
 *   that show the protocol of Documentation/virt/kvm/memslots.rst: no grace
 *   period for a create or for switching dirty logging off, one for a
 *   delete, a move or switching it on, two publishes for a delete or move;
 * - KVM_MEMSLOT_GET_SLOTS: the layout, E2BIG with the size needed;
 * - KVM_MEMSLOT_SET_REGIONS: a batch applied in one step (one INVALID
 *   publish, one grace period, one final publish), a slot split into three
 *   and merged back, and failures that change nothing.
 *
 * Extension ioctls do not exist on /dev/kvm: there the program skips.
 *
 * Usage: memslot_ext_batch [device]
 */
#include "tap.h"
#include "../../../memslot-trace/memslot_ext.h"

#define NTESTS	45
#define GB	0x40000000ULL

static int vmfd, stats_fd;
static struct memslot_ext_stats before;

static void snap(void)
{
	if (memslot_ext_read_stats(stats_fd, &before))
		tap_diag("cannot read statistics: %s", strerror(errno));
}

static long delta(const char *name)
{
	struct memslot_ext_stats now;

	if (memslot_ext_read_stats(stats_fd, &now))
		return -1;
	return (long)(memslot_ext_stat(&now, name) - memslot_ext_stat(&before, name));
}

/* One update's protocol counters against what the design promises. */
static void expect_protocol(const char *what, long publishes, long grace,
			    long prepares, long flushes, long commits)
{
	long p = delta("publishes"), g = delta("grace_periods");
	long pr = delta("prepare_calls"), f = delta("flush_memslot_calls");
	long c = delta("commit_calls");

	tap_result(p == publishes && g == grace && pr == prepares &&
		   f == flushes && c == commits,
		   "%s: %ld publish(es), %ld grace period(s), %ld prepare, %ld flush_memslot, %ld commit%s",
		   what, publishes, grace, prepares, flushes, commits,
		   (p == publishes && g == grace && pr == prepares &&
		    f == flushes && c == commits) ? "" : " (counters differ)");
	if (p != publishes || g != grace || pr != prepares || f != flushes ||
	    c != commits)
		tap_diag("got %ld publish, %ld grace, %ld prepare, %ld flush, %ld commit",
			 p, g, pr, f, c);
}

static struct kvm_userspace_memory_region region(uint32_t id, uint32_t flags,
						 uint64_t gpa, uint64_t size,
						 uint64_t hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = id, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = hva,
	};
	return r;
}

static long batch(struct kvm_userspace_memory_region *r, uint32_t nr,
		  uint32_t *failed)
{
	struct kvm_memslot_regions b = { .nr = nr, .failed = ~0u,
					 .regions = (uintptr_t)r };
	long ret = tap_ioctl(vmfd, KVM_MEMSLOT_SET_REGIONS, (unsigned long)&b);

	if (failed)
		*failed = b.failed;
	return ret;
}

/* The layout of address space 0 as "id:gpa:size:flags" words. */
static void layout(char *out, size_t n, uint64_t *gen)
{
	struct kvm_memslot_slot_info *info = NULL;
	int i, nr = memslot_ext_get_slots(vmfd, 0, &info, gen);
	size_t used = 0;

	out[0] = 0;
	if (nr < 0) {
		snprintf(out, n, "error %d", nr);
		return;
	}
	for (i = 0; i < nr && used < n; i++)
		used += snprintf(out + used, n - used, "%s%u:%llx:%llx:%x",
				 i ? " " : "", info[i].slot,
				 (unsigned long long)info[i].guest_phys_addr,
				 (unsigned long long)info[i].memory_size,
				 info[i].flags);
	free(info);
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	struct kvm_userspace_memory_region r[4];
	struct kvm_memslot_slot_info small[1];
	struct kvm_memslot_layout l;
	char lay[512], lay2[512];
	uint64_t gen, gen2, hva;
	uint32_t failed;
	int devfd;
	char *mem;

	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("device not available");
	vmfd = tap_create_vm(devfd);
	if (vmfd < 0)
		return tap_skip_all("KVM_CREATE_VM failed");
	stats_fd = ioctl(vmfd, KVM_MEMSLOT_GET_STATS_FD, 0);
	if (stats_fd < 0)
		return tap_skip_all("no kvm-memslot extension ioctls on this device");

	tap_plan(NTESTS);
	mem = tap_map(64 * PAGE_SZ);
	hva = (uint64_t)(uintptr_t)mem;

	/* Statistics file */
	{
		struct kvm_stats_header h;

		tap_expect(pread(stats_fd, &h, sizeof(h), 0), sizeof(h),
			   "statistics header can be read");
		tap_result(h.name_size == KVM_MEMSLOT_STATS_NAME_SIZE &&
			   h.num_desc >= 10 && h.id_offset == sizeof(h) &&
			   h.desc_offset > h.id_offset && h.data_offset > h.desc_offset,
			   "header has KVM's binary statistics layout");
		snap();
		tap_result(memslot_ext_stat(&before, "publishes") != UINT64_MAX &&
			   memslot_ext_stat(&before, "grace_periods") != UINT64_MAX &&
			   memslot_ext_stat(&before, "flush_memslot_calls") != UINT64_MAX,
			   "statistics name the protocol counters");
		tap_expect(memslot_ext_stat(&before, "updates"), 0,
			   "a new VM has made no update");
		tap_expect(write(stats_fd, "x", 1), -1, "statistics fd is read-only");
	}

	/* Single changes */
	snap();
	tap_expect(tap_set(vmfd, 0, 1, 0, 0, 16 * PAGE_SZ, hva), 0, "create slot 1");
	expect_protocol("create", 1, 0, 1, 0, 1);
	tap_expect(delta("memslot_pages"), 16, "memslot_pages counts the new slot");

	snap();
	tap_expect(tap_set(vmfd, 0, 1, 0, GB, 16 * PAGE_SZ, hva), 0, "move slot 1");
	expect_protocol("move", 2, 1, 1, 1, 1);

	snap();
	tap_expect(tap_set(vmfd, 0, 1, KVM_MEM_LOG_DIRTY_PAGES, GB, 16 * PAGE_SZ, hva),
		   0, "dirty logging on");
	expect_protocol("dirty logging on", 1, 1, 1, 0, 1);

	snap();
	tap_expect(tap_set(vmfd, 0, 1, 0, GB, 16 * PAGE_SZ, hva), 0,
		   "dirty logging off");
	expect_protocol("dirty logging off", 1, 0, 1, 0, 1);

	snap();
	tap_expect(tap_set(vmfd, 0, 1, 0, GB, 0, hva), 0, "delete slot 1");
	expect_protocol("delete", 2, 1, 1, 1, 1);

	snap();
	tap_expect(tap_set(vmfd, 0, 1, 0, GB, 0, hva), -EINVAL,
		   "delete it again fails EINVAL");
	expect_protocol("failed delete", 0, 0, 0, 0, 0);

	/* Layout read-out */
	tap_expect(tap_set(vmfd, 0, 5, 0, 2 * GB, 4 * PAGE_SZ, hva), 0, "create slot 5");
	tap_expect(tap_set(vmfd, 0, 3, KVM_MEM_READONLY, GB, 4 * PAGE_SZ, hva), 0,
		   "create read-only slot 3 below it");
	layout(lay, sizeof(lay), &gen);
	tap_result(!strcmp(lay, "3:40000000:4000:2 5:80000000:4000:0"),
		   "layout lists both slots in guest physical order [%s]", lay);
	l = (struct kvm_memslot_layout){ .as_id = 0, .nr = 1,
					 .slots = (uintptr_t)small };
	tap_expect(tap_ioctl(vmfd, KVM_MEMSLOT_GET_SLOTS, (unsigned long)&l), -E2BIG,
		   "layout into a 1-entry array fails E2BIG");
	tap_expect(l.nr, 2, "and reports the 2 entries needed");
	l = (struct kvm_memslot_layout){ .as_id = 2 };
	tap_expect(tap_ioctl(vmfd, KVM_MEMSLOT_GET_SLOTS, (unsigned long)&l), -EINVAL,
		   "layout of address space 2 fails EINVAL");
	l = (struct kvm_memslot_layout){ .as_id = 1 };
	tap_expect(tap_ioctl(vmfd, KVM_MEMSLOT_GET_SLOTS, (unsigned long)&l),
		   tap_nr_address_spaces(vmfd) > 1 ? 0 : -EINVAL,
		   "address space 1 is empty");
	tap_expect(tap_set(vmfd, 0, 3, 0, GB, 0, hva), 0, "delete slot 3");

	/* Batches: split slot 5 into three, in one step */
	r[0] = region(5, 0, 2 * GB, 0, hva);
	r[1] = region(6, 0, 2 * GB, PAGE_SZ, hva);
	r[2] = region(7, 0, 2 * GB + PAGE_SZ, 2 * PAGE_SZ, hva + PAGE_SZ);
	r[3] = region(8, 0, 2 * GB + 3 * PAGE_SZ, PAGE_SZ, hva + 3 * PAGE_SZ);
	snap();
	tap_expect(batch(r, 4, NULL), 0, "batch: split slot 5 into slots 6, 7, 8");
	expect_protocol("split batch", 2, 1, 4, 1, 4);
	layout(lay, sizeof(lay), NULL);
	tap_result(!strcmp(lay, "6:80000000:1000:0 7:80001000:2000:0 8:80003000:1000:0"),
		   "the three slots replace slot 5 [%s]", lay);

	/* A failing batch changes nothing */
	layout(lay, sizeof(lay), &gen);
	r[0] = region(6, 0, 2 * GB, 0, hva);
	r[1] = region(9, 0, 3 * GB, PAGE_SZ, hva);
	r[2] = region(10, 0, 2 * GB + 2 * PAGE_SZ, PAGE_SZ, hva);
	snap();
	tap_expect(batch(r, 3, &failed), -EEXIST,
		   "batch whose third change overlaps slot 7 fails EEXIST");
	tap_expect(failed, 2, "and names the third change");
	layout(lay2, sizeof(lay2), &gen2);
	tap_result(!strcmp(lay, lay2) && gen == gen2,
		   "layout and generation unchanged after the failed batch");
	expect_protocol("failed batch", 0, 0, 0, 0, 0);

	r[0] = region(9, 0, 3 * GB, PAGE_SZ, hva);
	r[1] = region(9, KVM_MEM_LOG_DIRTY_PAGES, 3 * GB, PAGE_SZ, hva);
	tap_expect(batch(r, 2, &failed), -EINVAL,
		   "batch changing the same slot twice fails EINVAL");
	tap_expect(failed, 1, "and names the second change");

	r[0] = region(tap_nr_slots(vmfd), 0, 3 * GB, PAGE_SZ, hva);
	tap_expect(batch(r, 1, &failed), -EINVAL,
		   "batch with a slot id past the limit fails EINVAL, as the ioctl");

	/* Merge them back into one, in one step */
	r[0] = region(6, 0, 2 * GB, 0, hva);
	r[1] = region(7, 0, 2 * GB + PAGE_SZ, 0, hva + PAGE_SZ);
	r[2] = region(8, 0, 2 * GB + 3 * PAGE_SZ, 0, hva + 3 * PAGE_SZ);
	r[3] = region(5, 0, 2 * GB, 4 * PAGE_SZ, hva);
	snap();
	tap_expect(batch(r, 4, NULL), 0, "batch: merge slots 6, 7, 8 back into slot 5");
	expect_protocol("merge batch", 2, 1, 4, 3, 4);
	layout(lay, sizeof(lay), NULL);
	tap_result(!strcmp(lay, "5:80000000:4000:0"), "slot 5 alone again [%s]", lay);

	/* A batch of creates only needs no grace period */
	r[0] = region(20, 0, 4 * GB, PAGE_SZ, hva);
	r[1] = region(21, 0, 4 * GB + PAGE_SZ, PAGE_SZ, hva);
	snap();
	tap_expect(batch(r, 2, NULL), 0, "batch of two creates");
	expect_protocol("create batch", 1, 0, 2, 0, 2);

	/* Argument errors */
	{
		struct kvm_memslot_regions b = { .nr = KVM_MEMSLOT_MAX_BATCH + 1 };

		tap_expect(tap_ioctl(vmfd, KVM_MEMSLOT_SET_REGIONS, (unsigned long)&b),
			   -E2BIG, "batch larger than KVM_MEMSLOT_MAX_BATCH fails E2BIG");
		b = (struct kvm_memslot_regions){ .nr = 0 };
		tap_expect(tap_ioctl(vmfd, KVM_MEMSLOT_SET_REGIONS, (unsigned long)&b),
			   0, "empty batch succeeds");
		b = (struct kvm_memslot_regions){ .nr = 2, .regions = 8 };
		tap_expect(tap_ioctl(vmfd, KVM_MEMSLOT_SET_REGIONS, (unsigned long)&b),
			   -EFAULT, "batch with a bad pointer fails EFAULT");
		tap_expect(tap_ioctl(vmfd, KVM_MEMSLOT_SET_REGIONS, 8), -EFAULT,
			   "batch argument at a bad address fails EFAULT");
	}

	close(stats_fd);
	close(vmfd);
	close(devfd);
	return tap_finish();
}
