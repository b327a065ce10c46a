// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_caps: KVM_MEMSLOT_CHECK_EXTENSION, the capability query of the
 * extension ABI, on the device and on a VM fd of every VM type.
 *
 * - The device: each KVM_MEMSLOT_CAP_* has the value the uapi header
 *   gives it, an unknown number is 0, and KVM_MEMSLOT_CAP_VM_TYPES has
 *   the bit of a VM type exactly when KVM_CREATE_VM of that type works.
 * - A VM fd of each type the device offers: each capability has the value
 *   of that type, within what the device reports; an unknown number is 0.
 *   Then each capability is held to the ioctls it stands for: one
 *   reported offered must work (SET_REGIONS up to the batch size it
 *   reports, VCPU_ACCESS with the flags it reports, NOTICE_FD up to the
 *   number of fds it reports, ...), one reported 0 must fail with ENOTTY
 *   or EINVAL as an unknown ioctl does.  KVM's own
 *   KVM_CAP_PPC_ALLOC_HTAB is held to KVM_PPC_ALLOCATE_HTAB the same way.
 *
 * The query is an extension ioctl: on /dev/kvm, where KVM_MEMSLOT_GET_STATS_FD
 * (which every kvm-memslot VM fd has had since before the query) fails,
 * the program skips.  --vm-type=N only makes it skip if the device does
 * not offer type N: every run checks every type.
 *
 * Usage: memslot_caps [device] [--vm-type=N]
 */
#include "access_util.h"

/* What the device must report for each type, and the type's VM page. */
struct caps_vm_type {
	unsigned long type;
	unsigned long bit;
	const char *name;
	unsigned long page_size;
	int ppc;
};

static const struct caps_vm_type vm_types[] = {
	{ KVM_MEMSLOT_VM_X86_EPT, KVM_MEMSLOT_VM_TYPE_BIT_X86_EPT, "x86-ept", 4096, 0 },
	{ KVM_MEMSLOT_VM_X86_NPT, KVM_MEMSLOT_VM_TYPE_BIT_X86_NPT, "x86-npt", 4096, 0 },
	{ KVM_MEMSLOT_VM_ARM64, KVM_MEMSLOT_VM_TYPE_BIT_ARM64, "arm64", 4096, 0 },
	{ KVM_MEMSLOT_VM_PPC_BOOK3S_HV, KVM_MEMSLOT_VM_TYPE_BIT_PPC_BOOK3S_HV,
	  "ppc-book3s-hv", 65536, 1 },
};

#define ALL_TYPE_BITS	(KVM_MEMSLOT_VM_TYPE_BIT_X86_EPT | \
			 KVM_MEMSLOT_VM_TYPE_BIT_X86_NPT | \
			 KVM_MEMSLOT_VM_TYPE_BIT_ARM64 | \
			 KVM_MEMSLOT_VM_TYPE_BIT_PPC_BOOK3S_HV)
#define ALL_ACCESS_FLAGS (KVM_MEMSLOT_ACCESS_WRITE | KVM_MEMSLOT_ACCESS_PPC_VIRT)

/* The capabilities, 1 to NR_CAPS, by number. */
#define NR_CAPS		KVM_MEMSLOT_CAP_VM_TYPES
static const char *const cap_names[NR_CAPS + 1] = {
	[KVM_MEMSLOT_CAP_SET_REGIONS] = "SET_REGIONS",
	[KVM_MEMSLOT_CAP_GET_SLOTS] = "GET_SLOTS",
	[KVM_MEMSLOT_CAP_VCPU_ACCESS] = "VCPU_ACCESS",
	[KVM_MEMSLOT_CAP_GPC] = "GPC",
	[KVM_MEMSLOT_CAP_AUDIT] = "AUDIT",
	[KVM_MEMSLOT_CAP_NOTICE_FD] = "NOTICE_FD",
	[KVM_MEMSLOT_CAP_STATS_FD] = "STATS_FD",
	[KVM_MEMSLOT_CAP_PPC_HCALL] = "PPC_HCALL",
	[KVM_MEMSLOT_CAP_VM_TYPES] = "VM_TYPES",
};

/* The two capabilities whose value is a set of bits. */
static int cap_is_mask(unsigned long cap)
{
	return cap == KVM_MEMSLOT_CAP_VCPU_ACCESS ||
	       cap == KVM_MEMSLOT_CAP_VM_TYPES;
}

/* Numbers no capability has, as the ioctl's argument. */
static const unsigned long unknown_caps[] = { 0, 10, 64, ~0UL };
#define NR_UNKNOWN	ARRAY_SIZE(unknown_caps)

#define DEV_TESTS	(NR_CAPS + NR_UNKNOWN + ARRAY_SIZE(vm_types) + 1)
#define VM_TESTS	(NR_CAPS + 2 + 13)
#define NTESTS		(DEV_TESTS + ARRAY_SIZE(vm_types) * VM_TESTS)

/* The value the uapi header gives a capability on a VM of type @t. */
static long want_vm(const struct caps_vm_type *t, unsigned long cap)
{
	switch (cap) {
	case KVM_MEMSLOT_CAP_SET_REGIONS:
		return KVM_MEMSLOT_MAX_BATCH;
	case KVM_MEMSLOT_CAP_VCPU_ACCESS:
		return KVM_MEMSLOT_ACCESS_WRITE |
		       (t->ppc ? KVM_MEMSLOT_ACCESS_PPC_VIRT : 0);
	case KVM_MEMSLOT_CAP_NOTICE_FD:
		return KVM_MEMSLOT_MAX_NOTICE_FDS;
	case KVM_MEMSLOT_CAP_PPC_HCALL:
		return t->ppc;
	case KVM_MEMSLOT_CAP_VM_TYPES:
		return t->bit;
	default:
		return 1;
	}
}

static long check_ext(int fd, unsigned long cap)
{
	return tap_ioctl(fd, KVM_MEMSLOT_CHECK_EXTENSION, cap);
}

/*
 * An ioctl of a capability that a VM of type @t reports as @offered: if
 * it is, @works says whether the ioctl did what it should; if not, its
 * result @r must be that of an ioctl the fd does not know.
 */
static void expect_offered(const struct caps_vm_type *t, const char *what,
			   long offered, long r, int works)
{
	int ok = offered ? works : r == -ENOTTY || r == -EINVAL;

	tap_result(ok, "%s VM: %s: %s", t->name, what,
		   offered ? "offered, and works" :
			     "not offered, and fails ENOTTY/EINVAL");
	if (!ok)
		tap_diag("%s: got %s", what, acc_name(r));
}

static long set_regions(int vmfd, struct kvm_userspace_memory_region *r,
			uint32_t nr)
{
	struct kvm_memslot_regions b = { .nr = nr, .regions = (uintptr_t)r };

	return tap_ioctl(vmfd, KVM_MEMSLOT_SET_REGIONS, (unsigned long)&b);
}

/*
 * KVM_MEMSLOT_VCPU_ACCESS of one byte at gpa 0 with each single flag of
 * @flags (bits 0-15): 0 if each one failed with EINVAL (@want_einval) or
 * did not fail (!@want_einval), else the first result that differed.
 */
static long flag_errors(int vcpu, long flags, int want_einval)
{
	uint8_t byte = 0;
	unsigned int i;
	long r;

	for (i = 0; i < 16; i++) {
		struct kvm_memslot_access a = {
			.len = 1, .buf = (uintptr_t)&byte,
			.flags = (uint16_t)(1U << i),
		};

		if (!(flags & (1L << i)))
			continue;
		r = tap_ioctl(vcpu, KVM_MEMSLOT_VCPU_ACCESS, (unsigned long)&a);
		if (want_einval ? r != -EINVAL : r < 0)
			return r ? r : -ERANGE;
	}
	return 0;
}

/* Every check of one VM type's VM fd: VM_TESTS results. */
static void check_vm(int devfd, const struct caps_vm_type *t, void *mem,
		     long *dev_val)
{
	long val[NR_CAPS + 1], r, within = 1, unknown = 0;
	struct kvm_userspace_memory_region region = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = t->page_size,
		.userspace_addr = (uintptr_t)mem,
	};
	int vmfd, vcpu, fds[KVM_MEMSLOT_MAX_NOTICE_FDS + 1];
	struct kvm_memslot_ppc_hcall hc = { .nr = 0x1234 };
	struct kvm_memslot_slot_info info[2];
	struct kvm_memslot_layout layout = {
		.nr = 2, .slots = (uintptr_t)info,
	};
	struct kvm_memslot_gpc_create gpc = { .gpa = 8, .len = 8 };
	struct kvm_memslot_audit audit;
	uint64_t word = 0x5a5a0123456789a5ULL, back = 0;
	int nfds, n, gfd, sfd;
	uint32_t order = 18;
	long nr, flags;
	unsigned long cap;
	unsigned int i;
	long htab;

	vmfd = (int)tap_ioctl(devfd, KVM_CREATE_VM, t->type);
	if (vmfd < 0) {
		tap_skip_n(VM_TESTS, "the device does not offer this VM type");
		return;
	}
	tap_diag("VM type %s", t->name);

	for (cap = 1; cap <= NR_CAPS; cap++) {
		val[cap] = check_ext(vmfd, cap);
		tap_expect(val[cap], want_vm(t, cap), "%s VM: %s = %ld",
			   t->name, cap_names[cap], want_vm(t, cap));
		if (cap_is_mask(cap))
			within &= val[cap] >= 0 && !(val[cap] & ~dev_val[cap]);
		else
			within &= val[cap] >= 0 && val[cap] <= dev_val[cap];
		/* An error is no offer: the checks below want ENOTTY then. */
		if (val[cap] < 0)
			val[cap] = 0;
	}
	tap_result(within, "%s VM: every value within the device's", t->name);
	for (i = 0; i < NR_UNKNOWN; i++)
		unknown |= check_ext(vmfd, unknown_caps[i]);
	tap_expect(unknown, 0, "%s VM: unknown capabilities are 0", t->name);

	/* SET_REGIONS: the batch size it reports is the limit. */
	nr = val[KVM_MEMSLOT_CAP_SET_REGIONS];
	r = set_regions(vmfd, &region, 1);
	expect_offered(t, "SET_REGIONS, a batch of one create", nr, r, r == 0);
	r = set_regions(vmfd, NULL, nr > 0 ? (uint32_t)nr : 1);
	expect_offered(t, "SET_REGIONS, as many as reported, from NULL", nr,
		       r, r == -EFAULT);
	r = set_regions(vmfd, NULL, (uint32_t)nr + 1);
	expect_offered(t, "SET_REGIONS, one more than reported", nr, r,
		       r == -E2BIG);
	if (nr <= 0)
		tap_ioctl(vmfd, KVM_SET_USER_MEMORY_REGION,
			  (unsigned long)&region);

	/* GET_SLOTS: the slot just made. */
	r = tap_ioctl(vmfd, KVM_MEMSLOT_GET_SLOTS, (unsigned long)&layout);
	expect_offered(t, "GET_SLOTS", val[KVM_MEMSLOT_CAP_GET_SLOTS], r,
		       r == 0 && layout.nr == 1 &&
		       info[0].memory_size == t->page_size);

	/* VCPU_ACCESS: a write read back, and the flags it reports. */
	vcpu = (int)tap_ioctl(vmfd, KVM_CREATE_VCPU, 0);
	tap_require(vcpu >= 0, "KVM_CREATE_VCPU");
	flags = val[KVM_MEMSLOT_CAP_VCPU_ACCESS];
	r = acc_write(vcpu, 8, &word, sizeof(word));
	if (!r)
		r = acc_read(vcpu, 8, &back, sizeof(back));
	expect_offered(t, "VCPU_ACCESS, a write read back", flags, r,
		       !r && back == word && !memcmp((char *)mem + 8, &word,
						     sizeof(word)));
	r = flag_errors(vcpu, flags > 0 ? ~flags : ~0L, 1);
	tap_result(!r, "%s VM: VCPU_ACCESS fails EINVAL for each flag not reported",
		   t->name);
	if (r)
		tap_diag("got %s", acc_name(r));
	r = flag_errors(vcpu, flags > 0 ? flags : 0, 0);
	tap_result(!r, "%s VM: VCPU_ACCESS takes each flag reported", t->name);
	if (r)
		tap_diag("got %s", acc_name(r));

	/* GPC: a cache of the word written. */
	back = 0;
	gfd = (int)tap_ioctl(vmfd, KVM_MEMSLOT_CREATE_GPC, (unsigned long)&gpc);
	r = gfd >= 0 ? pread(gfd, &back, sizeof(back), 0) : gfd;
	expect_offered(t, "CREATE_GPC, read through", val[KVM_MEMSLOT_CAP_GPC],
		       r, r == sizeof(back) && back == word);
	if (gfd >= 0)
		close(gfd);

	/* AUDIT */
	memset(&audit, 0xff, sizeof(audit));
	r = tap_ioctl(vmfd, KVM_MEMSLOT_AUDIT, (unsigned long)&audit);
	expect_offered(t, "AUDIT", val[KVM_MEMSLOT_CAP_AUDIT], r,
		       !r && !audit.violations);

	/* NOTICE_FD: as many fds as it reports, and not one more. */
	nr = val[KVM_MEMSLOT_CAP_NOTICE_FD];
	nfds = nr > 0 && nr <= KVM_MEMSLOT_MAX_NOTICE_FDS ? (int)nr : 0;
	for (n = 0, r = 0; n <= nfds && r >= 0; n++) {
		fds[n] = (int)tap_ioctl(vmfd, KVM_MEMSLOT_CREATE_NOTICE_FD, 0);
		r = fds[n];
	}
	expect_offered(t, "CREATE_NOTICE_FD, as many as reported", nr, r,
		       n == nfds + 1 && r == -ENOSPC);
	while (n--)
		if (fds[n] >= 0)
			close(fds[n]);

	/* STATS_FD */
	sfd = (int)tap_ioctl(vmfd, KVM_MEMSLOT_GET_STATS_FD, 0);
	expect_offered(t, "GET_STATS_FD", val[KVM_MEMSLOT_CAP_STATS_FD], sfd,
		       sfd >= 0);
	if (sfd >= 0)
		close(sfd);

	/* PPC_HCALL: an unknown hypercall runs and says H_FUNCTION (-2). */
	r = tap_ioctl(vcpu, KVM_MEMSLOT_PPC_HCALL, (unsigned long)&hc);
	expect_offered(t, "PPC_HCALL", val[KVM_MEMSLOT_CAP_PPC_HCALL], r,
		       !r && hc.ret == -2);

	/* KVM's own capability of the architecture's VM ioctl, alike. */
	htab = tap_ioctl(vmfd, KVM_CHECK_EXTENSION, KVM_CAP_PPC_ALLOC_HTAB);
	r = tap_ioctl(vmfd, KVM_PPC_ALLOCATE_HTAB, (unsigned long)&order);
	expect_offered(t, "KVM_PPC_ALLOCATE_HTAB", htab > 0, r, !r);

	close(vcpu);
	close(vmfd);
}

int main(int argc, char **argv)
{
	const char *dev = tap_device(argc, argv);
	long dev_val[NR_CAPS + 1], types, r;
	int devfd, vmfd, sfd;
	unsigned long cap;
	unsigned int i;
	void *mem;

	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("device not available");
	vmfd = tap_create_vm(devfd);
	if (vmfd < 0)
		return tap_skip_all("KVM_CREATE_VM failed");
	sfd = (int)tap_ioctl(vmfd, KVM_MEMSLOT_GET_STATS_FD, 0);
	close(vmfd);
	if (sfd < 0)
		return tap_skip_all("no kvm-memslot extension ioctls on this device");
	close(sfd);

	/* One VM page of every type: 64 KiB, aligned to it. */
	mem = acc_map_aligned(PAGE_SZ_MAX, PAGE_SZ_MAX);
	tap_require(!!mem, "mmap");

	tap_plan(NTESTS);
	tap_diag("device %s", dev);

	/* The device: the module's values. */
	for (cap = 1; cap <= NR_CAPS; cap++)
		dev_val[cap] = check_ext(devfd, cap);
	types = dev_val[KVM_MEMSLOT_CAP_VM_TYPES];
	for (cap = 1; cap <= NR_CAPS; cap++) {
		long want;

		r = dev_val[cap];
		switch (cap) {
		case KVM_MEMSLOT_CAP_VCPU_ACCESS:
			tap_result(r > 0 && (r & KVM_MEMSLOT_ACCESS_WRITE) &&
				   !(r & ~ALL_ACCESS_FLAGS),
				   "device: VCPU_ACCESS has WRITE, and known flags only");
			break;
		case KVM_MEMSLOT_CAP_VM_TYPES:
			tap_result(r > 0 && !(r & ~ALL_TYPE_BITS),
				   "device: VM_TYPES has documented bits only");
			break;
		case KVM_MEMSLOT_CAP_PPC_HCALL:
			want = types > 0 &&
			       (types & KVM_MEMSLOT_VM_TYPE_BIT_PPC_BOOK3S_HV);
			tap_expect(r, want,
				   "device: PPC_HCALL exactly if VM_TYPES has ppc-book3s-hv");
			break;
		default:
			want = want_vm(&vm_types[0], cap);
			tap_expect(r, want, "device: %s = %ld", cap_names[cap],
				   want);
			break;
		}
		if (r < 0)
			tap_diag("%s: got %s", cap_names[cap], acc_name(r));
	}
	for (i = 0; i < NR_UNKNOWN; i++)
		tap_expect(check_ext(devfd, unknown_caps[i]), 0,
			   "device: unknown capability %#lx is 0", unknown_caps[i]);

	/* VM_TYPES: a bit exactly for each type KVM_CREATE_VM accepts. */
	for (i = 0; i < ARRAY_SIZE(vm_types); i++) {
		int fd = (int)tap_ioctl(devfd, KVM_CREATE_VM, vm_types[i].type);
		int bit = types > 0 && (types & vm_types[i].bit);
		int created = fd >= 0;

		tap_result(bit == created,
			   "device: VM_TYPES has %s exactly if KVM_CREATE_VM takes it",
			   vm_types[i].name);
		if (bit != created)
			tap_diag("bit %d, KVM_CREATE_VM %s", bit,
				 acc_name(created ? 0 : fd));
		if (created)
			close(fd);
	}
	/* Every IPA size of arm64 is the one type. */
	vmfd = (int)tap_ioctl(devfd, KVM_CREATE_VM, KVM_MEMSLOT_VM_ARM64_IPA_SIZE(36));
	tap_result((types > 0 && (types & KVM_MEMSLOT_VM_TYPE_BIT_ARM64)) ==
		   (vmfd >= 0),
		   "device: VM_TYPES has arm64 exactly if KVM_CREATE_VM takes a 36-bit IPA");
	if (vmfd >= 0)
		close(vmfd);

	for (i = 0; i < ARRAY_SIZE(vm_types); i++) {
		memset(mem, 0, PAGE_SZ_MAX);
		check_vm(devfd, &vm_types[i], mem, dev_val);
	}

	close(devfd);
	return tap_finish();
}
