// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_stats_fd: KVM's binary statistics (KVM_GET_STATS_FD) on the VM
 * and the vCPU fd, read as Documentation/virt/kvm/api.rst tells a reader
 * to: the header first, then the id string, the descriptors and the
 * values at the offsets it gives.  Every descriptor must be well-formed
 * (a known type, unit and base, a name, values inside the data block and
 * not overlapping another's), the id must be KVM's ("kvm-<pid>" and
 * "kvm-<pid>/vcpu-<id>"), a sequential read must return the same bytes as
 * the positioned reads, and cumulative and peak values must never go down
 * across memslot updates and guest accesses.  The same checks pass on
 * /dev/kvm and on /dev/kvm-memslot.
 *
 * Usage: memslot_stats_fd [device] [--vm-type=N]
 */
#include "access_util.h"

/* Checks made on each statistics fd by check_stats_fd() */
#define FD_CHECKS	9
/* Checks made by check_monotonic() */
#define MONO_CHECKS	1
/* kvm-memslot only (skipped on /dev/kvm): what the counters count */
#define EXT_CHECKS	4
#define NTESTS		(2 + 2 * FD_CHECKS + 2 * MONO_CHECKS + 1 + EXT_CHECKS)
#define NR_UPDATES	16

/* One statistics file as read once: its parts at the header's offsets. */
struct stats_snapshot {
	struct kvm_stats_header header;
	char *id;
	char *descs;		/* num_desc entries of desc_size bytes */
	size_t desc_size;
	uint64_t *data;
	size_t data_words;
};

static struct kvm_stats_desc *snap_desc(const struct stats_snapshot *s,
					unsigned int i)
{
	return (void *)(s->descs + i * s->desc_size);
}

static void snap_free(struct stats_snapshot *s)
{
	free(s->id);
	free(s->descs);
	free(s->data);
	memset(s, 0, sizeof(*s));
}

/* The first value of the statistic called @name, or UINT64_MAX. */
static uint64_t snap_value(const struct stats_snapshot *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->header.num_desc; i++) {
		struct kvm_stats_desc *d = snap_desc(s, i);

		if (!strncmp(d->name, name, s->header.name_size))
			return s->data[d->offset / sizeof(uint64_t)];
	}
	return UINT64_MAX;
}

static uint64_t delta(const struct stats_snapshot *before,
		      const struct stats_snapshot *after, const char *name)
{
	return snap_value(after, name) - snap_value(before, name);
}

/* Read the whole file with pread() at the header's offsets: 0 or -errno. */
static int snap_read(int fd, struct stats_snapshot *s)
{
	struct kvm_stats_header *h = &s->header;
	size_t descs_len, i;

	memset(s, 0, sizeof(*s));
	if (pread(fd, h, sizeof(*h), 0) != sizeof(*h))
		return -EIO;
	if (!h->name_size || h->name_size > 4096 || h->num_desc > 65536)
		return -ERANGE;
	s->desc_size = sizeof(struct kvm_stats_desc) + h->name_size;
	descs_len = h->num_desc * s->desc_size;
	s->id = calloc(1, h->name_size + 1);
	s->descs = calloc(1, descs_len + 1);
	if (!s->id || !s->descs)
		return -ENOMEM;
	if (pread(fd, s->id, h->name_size, h->id_offset) != h->name_size ||
	    pread(fd, s->descs, descs_len, h->desc_offset) != (ssize_t)descs_len)
		return -EIO;
	for (i = 0; i < h->num_desc; i++) {
		struct kvm_stats_desc *d = snap_desc(s, i);
		size_t end = d->offset / sizeof(uint64_t) + d->size;

		if (end > s->data_words)
			s->data_words = end;
	}
	s->data = calloc(s->data_words + 1, sizeof(uint64_t));
	if (!s->data)
		return -ENOMEM;
	if (pread(fd, s->data, s->data_words * sizeof(uint64_t),
		  h->data_offset) != (ssize_t)(s->data_words * sizeof(uint64_t)))
		return -EIO;
	return 0;
}

/* The parts lie in order and do not overlap; the file has no flags. */
static int header_ok(const struct kvm_stats_header *h)
{
	uint64_t descs_end = h->desc_offset +
		(uint64_t)h->num_desc * (sizeof(struct kvm_stats_desc) + h->name_size);

	if (h->flags || !h->num_desc || h->name_size < 8)
		return 0;
	if (h->id_offset < sizeof(*h))
		return 0;
	return h->id_offset + h->name_size <= h->desc_offset &&
	       descs_end <= h->data_offset;
}

static int desc_ok(const struct stats_snapshot *s, unsigned int i)
{
	struct kvm_stats_desc *d = snap_desc(s, i);
	uint32_t type = d->flags & KVM_STATS_TYPE_MASK;
	uint32_t unit = d->flags & KVM_STATS_UNIT_MASK;
	uint32_t base = d->flags & KVM_STATS_BASE_MASK;
	size_t len = strnlen(d->name, s->header.name_size);
	int linear;

	if (d->flags & ~(KVM_STATS_TYPE_MASK | KVM_STATS_UNIT_MASK |
			 KVM_STATS_BASE_MASK))
		return 0;
	if (type > KVM_STATS_TYPE_MAX || unit > KVM_STATS_UNIT_MAX ||
	    base > KVM_STATS_BASE_MAX)
		return 0;
	/* A name, NUL-terminated within name_size. */
	if (!len || len == s->header.name_size)
		return 0;
	if (!d->size || d->offset % sizeof(uint64_t))
		return 0;
	/* Only a linear histogram has buckets of a size. */
	linear = type == KVM_STATS_TYPE_LINEAR_HIST;
	if (linear != !!d->bucket_size)
		return 0;
	/* A boolean is one value, 0 or 1, in no base but 10. */
	if (unit == KVM_STATS_UNIT_BOOLEAN && (d->size != 1 || d->exponent))
		return 0;
	/* Only time, bytes and cycles scale. */
	if (unit == KVM_STATS_UNIT_NONE && d->exponent)
		return 0;
	return 1;
}

/* Names unique, value ranges disjoint (n^2 is fine for a few hundred). */
static int descs_disjoint(const struct stats_snapshot *s)
{
	unsigned int i, j;

	for (i = 0; i < s->header.num_desc; i++) {
		struct kvm_stats_desc *a = snap_desc(s, i);

		for (j = i + 1; j < s->header.num_desc; j++) {
			struct kvm_stats_desc *b = snap_desc(s, j);
			uint64_t a_end = a->offset + a->size * sizeof(uint64_t);
			uint64_t b_end = b->offset + b->size * sizeof(uint64_t);

			if (!strncmp(a->name, b->name, s->header.name_size))
				return 0;
			if (a->offset < b_end && b->offset < a_end)
				return 0;
		}
	}
	return 1;
}

/* A sequential read from 0 returns the bytes the positioned reads did. */
static int sequential_read_matches(int fd, const struct stats_snapshot *s)
{
	const struct kvm_stats_header *h = &s->header;
	size_t len = h->desc_offset + h->num_desc * s->desc_size;
	char *buf = calloc(1, len);
	ssize_t got = 0, r;
	int ok;

	/* pread() left the position of the new fd at 0. */
	if (!buf)
		return 0;
	while (got < (ssize_t)len) {
		r = read(fd, buf + got, len - got);
		if (r <= 0)
			break;
		got += r;
	}
	ok = got == (ssize_t)len &&
	     !memcmp(buf, h, sizeof(*h)) &&
	     !memcmp(buf + h->id_offset, s->id, h->name_size) &&
	     !memcmp(buf + h->desc_offset, s->descs, h->num_desc * s->desc_size);
	free(buf);
	return ok;
}

/*
 * Validate one statistics fd (a new one: its file position is 0) as a
 * KVM reader would; FD_CHECKS results.  The snapshot is kept for later
 * comparison.
 */
static void check_stats_fd(int fd, const char *what, const char *want_id,
			   struct stats_snapshot *s)
{
	unsigned int i, bad = 0;
	int r;
	char c;

	r = fd < 0 ? -EBADF : snap_read(fd, s);
	tap_result(r == 0, "%s: header, id, descriptors and data can be read%s",
		   what, r ? " (failed)" : "");
	if (r) {
		for (i = 1; i < FD_CHECKS; i++)
			tap_result(0, "%s: not read", what);
		return;
	}
	tap_result(header_ok(&s->header),
		   "%s: header parts in order, no flags", what);
	tap_result(!strcmp(s->id, want_id), "%s: id is KVM's%s%s", what,
		   strcmp(s->id, want_id) ? ": got " : "",
		   strcmp(s->id, want_id) ? s->id : "");
	for (i = 0; i < s->header.num_desc; i++) {
		if (!desc_ok(s, i)) {
			tap_diag("bad descriptor %u: %.48s flags %#x size %u",
				 i, snap_desc(s, i)->name, snap_desc(s, i)->flags,
				 snap_desc(s, i)->size);
			bad++;
		}
	}
	tap_result(!bad, "%s: every descriptor well-formed", what);
	tap_result(descs_disjoint(s),
		   "%s: names unique, value ranges disjoint", what);
	tap_result(sequential_read_matches(fd, s),
		   "%s: read() from 0 gives the same bytes as pread()", what);
	tap_result(pread(fd, &c, 1, s->header.data_offset +
			 s->data_words * sizeof(uint64_t)) == 0,
		   "%s: nothing past the data", what);
	errno = 0;
	tap_result(write(fd, "x", 1) == -1 && errno == EBADF,
		   "%s: the fd is read-only (EBADF)", what);
	r = ioctl(fd, KVM_GET_STATS_FD, 0);
	tap_result(r == -1 && errno == ENOTTY,
		   "%s: the fd takes no ioctl (ENOTTY)", what);
}

/* Cumulative and peak values never decrease: MONO_CHECKS result. */
static void check_monotonic(int fd, const char *what,
			    const struct stats_snapshot *before)
{
	struct stats_snapshot after;
	unsigned int i, j, bad = 0;

	if (!before->data || snap_read(fd, &after) ||
	    after.header.num_desc != before->header.num_desc) {
		tap_result(0, "%s: cumulative values never decrease (not read)",
			   what);
		return;
	}
	for (i = 0; i < before->header.num_desc; i++) {
		struct kvm_stats_desc *d = snap_desc(before, i);
		uint32_t type = d->flags & KVM_STATS_TYPE_MASK;

		if (type != KVM_STATS_TYPE_CUMULATIVE &&
		    type != KVM_STATS_TYPE_PEAK)
			continue;
		for (j = 0; j < d->size; j++) {
			size_t w = d->offset / sizeof(uint64_t) + j;

			if (after.data[w] < before->data[w]) {
				tap_diag("%.48s[%u] went from %llu to %llu",
					 d->name, j,
					 (unsigned long long)before->data[w],
					 (unsigned long long)after.data[w]);
				bad++;
			}
		}
	}
	tap_result(!bad, "%s: cumulative values never decrease", what);
	snap_free(&after);
}

/*
 * kvm-memslot's own counters count what they say: EXT_CHECKS results,
 * skipped where the extension ioctls are missing (/dev/kvm).  @vm_before
 * was read before NR_UPDATES updates.
 */
static void check_counters(int vmfd, int vcpufd, char *mem, int vm_stats,
			   int vcpu_stats, const struct stats_snapshot *vm_before)
{
	struct stats_snapshot legacy, vm_after, vcpu_before, vcpu_after;
	long r1, r2, mmio;
	int fd, i;
	char buf[8] = "stats";

	fd = ioctl(vmfd, KVM_MEMSLOT_GET_STATS_FD, 0);
	if (fd < 0) {
		for (i = 0; i < EXT_CHECKS; i++)
			tap_skip("no kvm-memslot extension ioctls");
		return;
	}
	tap_result(!snap_read(fd, &legacy) &&
		   legacy.header.num_desc == vm_before->header.num_desc &&
		   !memcmp(legacy.descs, vm_before->descs,
			   legacy.header.num_desc * legacy.desc_size),
		   "KVM_MEMSLOT_GET_STATS_FD is the VM's KVM_GET_STATS_FD");
	snap_free(&legacy);
	close(fd);

	snap_read(vm_stats, &vm_after);
	tap_expect(delta(vm_before, &vm_after, "updates"), NR_UPDATES,
		   "updates counts every update");
	snap_free(&vm_after);

	/* One access to a slot, one where no slot is. */
	tap_set(vmfd, 0, 1, 0, 0x100000, 64 * PAGE_SZ,
		(uint64_t)(uintptr_t)mem);
	snap_read(vcpu_stats, &vcpu_before);
	r1 = acc_write(vcpufd, 0x100000, buf, sizeof(buf));
	r2 = acc_read(vcpufd, 0x40000000, buf, sizeof(buf));
	mmio = (r1 == ACC_MMIO) + (r2 == ACC_MMIO);
	snap_read(vcpu_stats, &vcpu_after);
	tap_expect(delta(&vcpu_before, &vcpu_after, "access_calls"),
		   (r1 >= 0) + (r2 >= 0), "access_calls counts every access");
	tap_expect(delta(&vcpu_before, &vcpu_after, "mmio_exits"), mmio,
		   "mmio_exits counts the accesses that exited to MMIO");
	snap_free(&vcpu_before);
	snap_free(&vcpu_after);
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	struct stats_snapshot vm_snap, vcpu_snap;
	char vm_id[64], vcpu_id[64];
	int devfd, vmfd, vcpufd, vm_stats, vcpu_stats, i;
	char *mem;

	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("device not available");
	vmfd = tap_create_vm(devfd);
	if (vmfd < 0)
		return tap_skip_all("KVM_CREATE_VM failed");

	tap_plan(NTESTS);
	tap_result(tap_cap(devfd, KVM_CAP_BINARY_STATS_FD) == 1,
		   "KVM_CAP_BINARY_STATS_FD is 1");

	snprintf(vm_id, sizeof(vm_id), "kvm-%d", getpid());
	vm_stats = ioctl(vmfd, KVM_GET_STATS_FD, 0);
	check_stats_fd(vm_stats, "VM", vm_id, &vm_snap);

	vcpufd = ioctl(vmfd, KVM_CREATE_VCPU, 0);
	tap_result(vcpufd >= 0, "KVM_CREATE_VCPU 0");
	snprintf(vcpu_id, sizeof(vcpu_id), "kvm-%d/vcpu-0", getpid());
	vcpu_stats = vcpufd < 0 ? -1 : ioctl(vcpufd, KVM_GET_STATS_FD, 0);
	check_stats_fd(vcpu_stats, "vCPU", vcpu_id, &vcpu_snap);

	/* Updates of every kind, so that the counters move. */
	mem = tap_map(64 * PAGE_SZ);
	for (i = 0; i < NR_UPDATES / 4; i++) {
		tap_set(vmfd, 0, 1, 0, 0x100000, 64 * PAGE_SZ,
			(uint64_t)(uintptr_t)mem);
		tap_set(vmfd, 0, 1, KVM_MEM_LOG_DIRTY_PAGES, 0x100000,
			64 * PAGE_SZ, (uint64_t)(uintptr_t)mem);
		tap_set(vmfd, 0, 1, 0, 0x200000, 64 * PAGE_SZ,
			(uint64_t)(uintptr_t)mem);
		tap_set(vmfd, 0, 1, 0, 0x200000, 0, (uint64_t)(uintptr_t)mem);
	}
	check_monotonic(vm_stats, "VM", &vm_snap);
	check_monotonic(vcpu_stats, "vCPU", &vcpu_snap);
	check_counters(vmfd, vcpufd, mem, vm_stats, vcpu_stats, &vm_snap);

	/* The statistics fd keeps the VM alive; reading it still works. */
	close(vcpufd);
	close(vmfd);
	{
		struct stats_snapshot late;

		tap_result(snap_read(vm_stats, &late) == 0 &&
			   late.header.num_desc == vm_snap.header.num_desc,
			   "VM statistics readable after the VM fd is closed");
		snap_free(&late);
	}
	snap_free(&vm_snap);
	snap_free(&vcpu_snap);
	close(vm_stats);
	close(vcpu_stats);
	return tap_finish();
}
