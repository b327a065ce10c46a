// SPDX-License-Identifier: GPL-2.0-only
/*
 * ppc64-hcall [device]: the hypercall-level comparison of the ppc64 oracle
 * lane (tests/xarch/ppc64.sh).  One script of PAPR hypercalls on the
 * hashed page table (H_ENTER, H_READ, H_PROTECT, H_REMOVE, H_BULK_REMOVE)
 * and guest stores, with slot moves, deletes and dirty-log harvests
 * between them, runs on:
 *
 * - ppc64 (built with powerpc64le-linux-gnu-gcc -DXARCH_ENGINE_KVM_HV): a
 *   real vCPU of in-tree KVM-HV in HPT mode.  The guest is a trampoline
 *   of hand-encoded instructions at guest real address 0:
 *
 *	00: li   r3,EXIT_HCALL	exit to the host (an hcall KVM does not
 *	04: sc   1		handle); it returns with r3 = the next
 *				hypercall, r4-r12 = its arguments
 *	08: cmpdi r3,STORE_REQ	or a store request instead
 *	0c: beq  1c
 *	10: sc   1		the hypercall, handled by KVM-HV
 *	14: mr   r14,r3		keep its return code from the next exit
 *	18: b    0
 *	1c: slbmte, mtmsrd (DR on), std, mtmsrd (DR off): the store
 *	38: li   r14,0; b 0
 *
 *   and, at the interrupt vectors a store can take, "li r14,vector; b 0".
 *   So the host runs one hypercall or store per KVM_RUN and reads its
 *   results (r14, r4-r11) at the next exit, with the vCPU out of the
 *   guest between steps, where it changes slots and harvests the dirty
 *   log;
 * - x86 (built with gcc, without that define): the module's
 *   KVM_MEMSLOT_PPC_HCALL and KVM_MEMSLOT_VCPU_ACCESS (PPC_VIRT) on a vCPU
 *   of a KVM_MEMSLOT_VM_PPC_BOOK3S_HV VM of /dev/kvm-memslot.
 *
 * Each step prints one TAP line "ok N - <step> [cmp] <results>": the
 * return code, the registers the hypercall defines on success (H_ENTER:
 * the index; H_REMOVE and H_READ: the HPTE(s) as the guest sees them;
 * H_BULK_REMOVE: all eight specifier doublewords), where a store went
 * (and whether it reached the slot's host memory), the dirty bitmaps.
 * It judges nothing itself: the lane compares the lines of both runs.  A
 * setup failure, or an exit of the real vCPU that is not the expected
 * hypercall, is "Bail out!".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "../../include/uapi/linux/kvm_memslot.h"

/* PAPR hypercalls and their flags (r4) */
#define H_REMOVE	0x04
#define H_ENTER		0x08
#define H_READ		0x0c
#define H_PROTECT	0x18
#define H_BULK_REMOVE	0x124
#define H_EXACT		(1UL << (63 - 24))
#define H_READ_4	(1UL << (63 - 26))
#define H_AVPN		(1UL << (63 - 32))
#define H_ANDCOND	(1UL << (63 - 33))

/* HPTE, pre-ISA-3.0 format (what the guest passes and H_READ returns) */
#define V_VALID		0x1UL
#define V_LARGE		0x4UL
#define R_R		0x100UL
#define R_C		0x80UL
#define R_PP_RW		0x2UL
#define R_PP_RO		0x3UL
#define R_LP_64K	0x1000UL	/* LP encoding of a 64 KiB page */

#define BIT(n)		(1UL << (n))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define KIB		1024UL
#define MIB		(1024 * KIB)
#define VSID		0x123UL		/* segment 0: 4 KiB base pages */
#define VSID64		0x456UL		/* segment 1: 64 KiB base pages */
#define SEG64		BIT(28)
#define HTAB_ORDER	18		/* 2048 PTEGs, 16384 HPTEs */
#define SLOT_SIZE	(1 * MIB)
#define PAGE64K		(64 * KIB)

static int step;

static void bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}

static void out(const char *fmt, ...)
{
	va_list ap;

	printf("ok %d - ", ++step);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* first doubleword of an HPTE for effective address @ea in segment VSID */
static __u64 vsid_of(__u64 ea)
{
	return ea >= SEG64 ? VSID64 : VSID;
}

static __u64 hpte_v(__u64 ea, int large)
{
	__u64 va = (vsid_of(ea) << 28) | (ea & 0x0fffffffUL);

	return ((va >> 23) << 7) | (large ? V_LARGE : 0) | V_VALID;
}

static int devfd, vmfd, vcpufd;

struct hret {
	long ret;
	__u64 r[8];
};

#ifdef XARCH_ENGINE_KVM_HV
/* ---- engine: a real KVM-HV vCPU running the trampoline ---- */
#define EXIT_HCALL	0x6f00	/* above MAX_HCALL_OPCODE: KVM exits with it */
#define STORE_REQ	1	/* r3 at the exit: a store, not a hypercall */
#define MSR_REAL	((1UL << 63) | (1UL << 12) | 1)	/* SF, ME, LE */
#define MSR_DR		BIT(4)
static struct kvm_run *run;
static const char *engine_dev = "/dev/kvm";
static const unsigned long engine_vm_type;	/* KVM-HV's default */

static void run_to_exit(void)
{
	if (ioctl(vcpufd, KVM_RUN, 0) < 0)
		bail("KVM_RUN");
	if (run->exit_reason != KVM_EXIT_PAPR_HCALL ||
	    run->papr_hcall.nr != EXIT_HCALL) {
		printf("Bail out! unexpected exit %u (hcall nr %#llx)\n",
		       run->exit_reason, (unsigned long long)run->papr_hcall.nr);
		exit(1);
	}
}

static void engine_vcpu(char *code)
{
	static const __u32 insn[] = {
		0x38600000 | EXIT_HCALL,	/* 00: li r3,EXIT_HCALL */
		0x44000022,			/* 04: sc 1 */
		0x2c230000 | STORE_REQ,		/* 08: cmpdi r3,STORE_REQ */
		0x41820010,			/* 0c: beq 1c */
		0x44000022,			/* 10: sc 1 */
		0x7c6e1b78,			/* 14: mr r14,r3 */
		0x4bffffe8,			/* 18: b 0 */
		0x7ca02324,			/* 1c: slbmte r5,r4 */
		0x4c00012c,			/* 20: isync */
		0x7cc00164,			/* 24: mtmsrd r6 (DR on) */
		0x4c00012c,			/* 28: isync */
		0xf8e80000,			/* 2c: std r7,0(r8) */
		0x7d200164,			/* 30: mtmsrd r9 (DR off) */
		0x4c00012c,			/* 34: isync */
		0x39c00000,			/* 38: li r14,0 */
		0x4bffffc4,			/* 3c: b 0 */
	};
	/* an interrupt of the store: r14 = its vector, back to 0 */
	static const __u16 vectors[] = { 0x300, 0x380, 0x400, 0x480, 0x700 };
	struct kvm_regs regs;
	long sz;

	unsigned int i;
	__u64 lpcr;
	struct kvm_one_reg reg = {
		.id = KVM_REG_PPC_LPCR_64, .addr = (uintptr_t)&lpcr,
	};
	struct kvm_enable_cap papr = { .cap = KVM_CAP_PPC_PAPR };

	memcpy(code, insn, sizeof(insn));
	for (i = 0; i < ARRAY_SIZE(vectors); i++) {
		__u32 *v = (__u32 *)(code + vectors[i]);

		v[0] = 0x39c00000 | vectors[i];		/* li r14,vector */
		v[1] = 0x48000000 | ((0x4000000 - vectors[i] - 4) & 0x3fffffc);
	}
	vcpufd = ioctl(vmfd, KVM_CREATE_VCPU, 0);
	if (vcpufd < 0)
		bail("KVM_CREATE_VCPU");
	sz = ioctl(devfd, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpufd, 0);
	if (run == MAP_FAILED)
		bail("mmap kvm_run");
	/* KVM-HV runs PAPR guests only */
	if (ioctl(vcpufd, KVM_ENABLE_CAP, &papr))
		bail("KVM_ENABLE_CAP(PPC_PAPR)");
	/* interrupts in little-endian, as the trampoline is */
	if (ioctl(vcpufd, KVM_GET_ONE_REG, &reg))
		bail("KVM_GET_ONE_REG(LPCR)");
	lpcr |= 0x02000000UL;	/* LPCR_ILE */
	if (ioctl(vcpufd, KVM_SET_ONE_REG, &reg))
		bail("KVM_SET_ONE_REG(LPCR)");
	if (ioctl(vcpufd, KVM_GET_REGS, &regs))
		bail("KVM_GET_REGS");
	regs.pc = 0;
	regs.msr = MSR_REAL;
	if (ioctl(vcpufd, KVM_SET_REGS, &regs))
		bail("KVM_SET_REGS");
	alarm(60);	/* a guest that never exits again fails, not hangs */
	run_to_exit();
}

/* hypercall @nr with r4-r11 = @a[0]-@a[7] */
static struct hret hcall8(__u64 nr, const __u64 *a)
{
	struct kvm_regs regs;
	struct hret h;
	int i;

	memset(run->papr_hcall.args, 0, sizeof(run->papr_hcall.args));
	run->papr_hcall.ret = nr;
	for (i = 0; i < 8; i++)
		run->papr_hcall.args[i] = a[i];
	run_to_exit();
	if (ioctl(vcpufd, KVM_GET_REGS, &regs))
		bail("KVM_GET_REGS");
	h.ret = (long)regs.gpr[14];
	for (i = 0; i < 8; i++)
		h.r[i] = regs.gpr[4 + i];
	return h;
}

/*
 * The guest stores @val at @ea with data relocation on, through an SLB
 * entry for its segment (VSID with 4 KiB pages, VSID64 with 64 KiB):
 * "stored", "mmio <gpa>" (KVM-HV emulated it: the HPTE is an MMIO one)
 * or "fault <vector>" (an interrupt the guest took).
 */
static void guest_store(char *res, size_t n, __u64 ea, __u64 val)
{
	struct kvm_regs regs;
	int mmio = 0;

	run->papr_hcall.ret = STORE_REQ;
	/* RB: ESID, V, entry 0; RS: VSID, Ks=Kp=0, L|LP=01 for 64K pages */
	run->papr_hcall.args[0] = (ea & ~0x0fffffffUL) | (1UL << 27);
	run->papr_hcall.args[1] = (vsid_of(ea) << 12) |
				  (ea >= SEG64 ? 0x110 : 0);
	run->papr_hcall.args[2] = MSR_REAL | MSR_DR;
	run->papr_hcall.args[3] = val;
	run->papr_hcall.args[4] = ea;
	run->papr_hcall.args[5] = MSR_REAL;
	for (;;) {
		if (ioctl(vcpufd, KVM_RUN, 0) < 0)
			bail("KVM_RUN");
		if (run->exit_reason == KVM_EXIT_MMIO && !mmio) {
			snprintf(res, n, "mmio gpa=%#llx len=%u write=%u",
				 (unsigned long long)run->mmio.phys_addr,
				 run->mmio.len, run->mmio.is_write);
			mmio = 1;
			continue;
		}
		break;
	}
	if (run->exit_reason != KVM_EXIT_PAPR_HCALL ||
	    run->papr_hcall.nr != EXIT_HCALL) {
		printf("Bail out! unexpected exit %u in a store\n", run->exit_reason);
		exit(1);
	}
	if (ioctl(vcpufd, KVM_GET_REGS, &regs))
		bail("KVM_GET_REGS");
	if (regs.gpr[14])
		snprintf(res, n, "fault %#lx", (unsigned long)regs.gpr[14]);
	else if (!mmio)
		snprintf(res, n, "stored");
}
#else
/* ---- engine: the module's hypercall ioctl ---- */
static const char *engine_dev = "/dev/kvm-memslot";
static const unsigned long engine_vm_type = KVM_MEMSLOT_VM_PPC_BOOK3S_HV;

static void engine_vcpu(char *code)
{
	(void)code;	/* no guest code: the module runs the hypercalls */
	vcpufd = ioctl(vmfd, KVM_CREATE_VCPU, 0);
	if (vcpufd < 0)
		bail("KVM_CREATE_VCPU");
}

/* hypercall @nr with r4-r11 = @a[0]-@a[7], in the ioctl's layout */
static struct hret hcall8(__u64 nr, const __u64 *a)
{
	struct kvm_memslot_ppc_hcall c;
	struct hret h;

	memset(&c, 0, sizeof(c));
	c.nr = nr;
	if (nr == H_BULK_REMOVE) {
		memcpy(c.args, a, sizeof(c.args));
	} else {
		c.flags = a[0];
		c.pte_index = a[1];
		memcpy(c.args, a + 2, 6 * sizeof(*a));
	}
	if (ioctl(vcpufd, KVM_MEMSLOT_PPC_HCALL, &c))
		bail("KVM_MEMSLOT_PPC_HCALL");
	h.ret = c.ret;
	memcpy(h.r, c.rets, sizeof(h.r));
	return h;
}

/*
 * The same store as a guest access of the module: virtual address
 * VSID:ea (the segment's VSID), translated through the HPT.
 */
static void guest_store(char *res, size_t n, __u64 ea, __u64 val)
{
	struct kvm_memslot_access a;

	memset(&a, 0, sizeof(a));
	a.gpa = (vsid_of(ea) << 28) | (ea & 0x0fffffffUL);
	a.len = sizeof(val);
	a.buf = (uintptr_t)&val;
	a.flags = KVM_MEMSLOT_ACCESS_WRITE | KVM_MEMSLOT_ACCESS_PPC_VIRT;
	if (ioctl(vcpufd, KVM_MEMSLOT_VCPU_ACCESS, &a))
		bail("KVM_MEMSLOT_VCPU_ACCESS");
	switch (a.exit_reason) {
	case KVM_MEMSLOT_EXIT_NONE:
		snprintf(res, n, "stored");
		break;
	case KVM_MEMSLOT_EXIT_MMIO:
		snprintf(res, n, "mmio gpa=%#llx len=%u write=%u",
			 (unsigned long long)a.exit_gpa, a.exit_len, a.exit_write);
		break;
	case KVM_MEMSLOT_EXIT_GUEST_FAULT:
		snprintf(res, n, "fault 0x300");	/* a DSI in the guest */
		break;
	default:
		snprintf(res, n, "exit %u", a.exit_reason);
	}
}
#endif

/* ---- the script, the same for both ---- */
static struct hret hcall(__u64 nr, __u64 r4, __u64 r5, __u64 r6, __u64 r7)
{
	const __u64 a[8] = { r4, r5, r6, r7 };

	return hcall8(nr, a);
}

/* a translation specifier's high doubleword: request, flags, index */
#define BULK_REQ(flags, idx)	(((0x40UL | (flags)) << 56) | (idx))
#define BULK_END		(0xc0UL << 56)
#define BULK_ABSOLUTE		0
#define BULK_AVPN		2

/* H_BULK_REMOVE: the return code and all eight specifier doublewords */
static void h_bulk_remove(const char *what, const __u64 *pairs)
{
	struct hret h = hcall8(H_BULK_REMOVE, pairs);

	out("H_BULK_REMOVE %s [cmp] ret=%ld %#lx %#lx %#lx %#lx %#lx %#lx %#lx %#lx",
	    what, h.ret, (unsigned long)h.r[0], (unsigned long)h.r[1],
	    (unsigned long)h.r[2], (unsigned long)h.r[3],
	    (unsigned long)h.r[4], (unsigned long)h.r[5],
	    (unsigned long)h.r[6], (unsigned long)h.r[7]);
}

static char *mem;	/* host memory behind the slots, 2 MiB aligned */

static long set_slot(__u32 id, __u32 flags, __u64 gpa,
		     __u64 size, __u64 off)
{
	struct kvm_userspace_memory_region r = {
		.slot = id, .flags = flags, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)(mem + off),
	};

	return ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

static void host_slot(const char *what, __u32 id, __u32 flags,
		      __u64 gpa, __u64 size, __u64 off)
{
	long r = set_slot(id, flags, gpa, size, off);

	out("host: %s [cmp] %s", what, r ? strerrorname_np((int)-r) : "0");
}

static void dirty(const char *what, __u32 id)
{
	unsigned long bm[4] = { 0 };
	struct kvm_dirty_log d = { .slot = id, .dirty_bitmap = bm };
	long r = ioctl(vmfd, KVM_GET_DIRTY_LOG, &d) ? -errno : 0;

	out("host: GET_DIRTY_LOG %s [cmp] %s bitmap=%#lx", what,
	    r ? strerrorname_np((int)-r) : "0", bm[0]);
}

static void h_enter(const char *what, __u64 flags, __u64 idx,
		    __u64 v, __u64 r)
{
	struct hret h = hcall(H_ENTER, flags, idx, v, r);

	if (h.ret)
		out("H_ENTER %s [cmp] ret=%ld", what, h.ret);
	else
		out("H_ENTER %s [cmp] ret=0 index=%#lx", what,
		    (unsigned long)h.r[0]);
}

/*
 * H_READ's second doubleword is the guest's view only for a valid entry;
 * for an invalid one KVM-HV returns the raw doubleword of its HPT, a host
 * real address: not comparable, printed as "-".
 */
static void h_read(const char *what, __u64 flags, __u64 idx)
{
	struct hret h = hcall(H_READ, flags, idx, 0, 0);
	char s[400] = "";
	int i, n = (flags & H_READ_4) ? 8 : 2;

	for (i = 0; !h.ret && i < n; i += 2) {
		snprintf(s + strlen(s), sizeof(s) - strlen(s), " %#lx",
			 (unsigned long)h.r[i]);
		if (h.r[i] & V_VALID)
			snprintf(s + strlen(s), sizeof(s) - strlen(s), " %#lx",
				 (unsigned long)h.r[i + 1]);
		else
			snprintf(s + strlen(s), sizeof(s) - strlen(s), " -");
	}
	out("H_READ %s [cmp] ret=%ld%s", what, h.ret, s);
}

static void h_remove(const char *what, __u64 flags, __u64 idx,
		     __u64 avpn)
{
	struct hret h = hcall(H_REMOVE, flags, idx, avpn, 0);

	if (h.ret)
		out("H_REMOVE %s [cmp] ret=%ld", what, h.ret);
	else
		out("H_REMOVE %s [cmp] ret=0 v=%#lx r=%#lx", what,
		    (unsigned long)h.r[0], (unsigned long)h.r[1]);
}

static void h_protect(const char *what, __u64 flags, __u64 idx,
		      __u64 avpn)
{
	struct hret h = hcall(H_PROTECT, flags, idx, avpn, 0);

	out("H_PROTECT %s [cmp] ret=%ld", what, h.ret);
}

/*
 * A guest store of a value unique to @ea and the step; @host is where in the slots'
 * host memory it belongs (NOWHERE: no slot), and the line says whether
 * it is there.
 */
#define NOWHERE		(~0UL)
static void do_store(const char *what, __u64 ea, __u64 host)
{
	__u64 val = 0x0123456789abcdefUL ^ ea ^ ((__u64)(step + 1) << 48);
	__u64 seen = 0;
	char res[120];

	guest_store(res, sizeof(res), ea, val);
	if (host != NOWHERE)
		memcpy(&seen, mem + host, sizeof(seen));
	out("store %s [cmp] %s%s", what, res,
	    host == NOWHERE ? "" : seen == val ? ", in host memory" :
	    ", not in host memory");
}

#define SLOT1_GPA	(16 * MIB)
#define SLOT1_MOVED	(64 * MIB)
#define SLOT2_GPA	(32 * MIB)
#define NOSLOT_GPA	(48 * MIB)
#define AVPN(v)		((v) & ~0x7fUL)
/*
 * Effective addresses in segment 0 whose 4 KiB pages hash to distinct
 * groups (primary hash VSID ^ n), and the index of entry i of that group;
 * the HPT has 2048 groups (order 18), and KVM-HV's VRMA entry is in group
 * 0x7ff, which n = 0x6dc would hit.
 */
static __u64 EA(__u64 n)
{
	return (n << 23) | (n << 12);
}

static __u64 IDX(__u64 n, __u64 i)
{
	return (((VSID ^ n) & 0x7ff) << 3) + i;
}

/* 64 KiB pages in segment 1: hash VSID64 ^ (offset >> 16) */
static __u64 EA64(__u64 n)
{
	return SEG64 | (n << 23);
}

static __u64 IDX64(__u64 n, __u64 i)
{
	return (((VSID64 ^ (n << 7)) & 0x7ff) << 3) + i;
}

int main(int argc, char **argv)
{
	const char *dev = argc > 1 ? argv[1] : engine_dev;
	__u32 order = HTAB_ORDER;
	char *raw;

	printf("TAP version 13\n1..63\n# device %s\n", dev);
	devfd = open(dev, O_RDWR);
	if (devfd < 0)
		bail(dev);
	vmfd = ioctl(devfd, KVM_CREATE_VM, engine_vm_type);
	if (vmfd < 0)
		bail("KVM_CREATE_VM");
	if (ioctl(vmfd, KVM_PPC_ALLOCATE_HTAB, &order))
		bail("KVM_PPC_ALLOCATE_HTAB");
	raw = mmap(NULL, 8 * MIB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		bail("mmap");
	mem = (char *)(((uintptr_t)raw + 2 * MIB - 1) & ~(2 * MIB - 1));
	memset(mem, 0, 4 * MIB);
	/* slot 0: the trampoline's page at real address 0 (the VRMA) */
	if (set_slot(0, 0, 0, PAGE64K, 0))
		bail("slot 0");
	if (set_slot(1, KVM_MEM_LOG_DIRTY_PAGES, SLOT1_GPA, SLOT_SIZE, 1 * MIB))
		bail("slot 1");
	if (set_slot(2, 0, SLOT2_GPA, SLOT_SIZE, 2 * MIB))
		bail("slot 2");
	engine_vcpu(mem);

	/* an entry of a dirty-logged slot; a store through it is logged */
	h_enter("EA(0) -> slot 1 page 0, RW", H_EXACT, IDX(0, 0),
		hpte_v(EA(0), 0), SLOT1_GPA | R_PP_RW);
	h_read("EA(0)", 0, IDX(0, 0));
	do_store("EA(0)+8", EA(0) + 8, 1 * MIB + 8);
	dirty("slot 1 after the store", 1);
	dirty("slot 1 again", 1);
	h_read("EA(0) after the store and harvest", 0, IDX(0, 0));
	/* R and C as the guest passes them; a full slot; first free */
	h_enter("EA(1) -> slot 1 page 1, R|C from the guest", H_EXACT,
		IDX(1, 0), hpte_v(EA(1), 0),
		(SLOT1_GPA + PAGE64K) | R_R | R_C | R_PP_RW);
	dirty("slot 1 after an entry with C", 1);
	h_enter("EA(2) -> slot 1 page 2, first free of EA(0)'s group", 0,
		IDX(0, 0), hpte_v(EA(2), 0), (SLOT1_GPA + 2 * PAGE64K) | R_PP_RW);
	h_enter("EA(1) exact again (taken)", H_EXACT, IDX(1, 0),
		hpte_v(EA(1), 0), (SLOT1_GPA + PAGE64K) | R_PP_RW);
	/* protection */
	h_protect("EA(0) read-only", R_PP_RO, IDX(0, 0), 0);
	h_read("EA(0) read-only", 0, IDX(0, 0));
	do_store("EA(0) read-only", EA(0), 1 * MIB);
	h_protect("EA(0) with a wrong AVPN", H_AVPN | R_PP_RW, IDX(0, 0),
		  AVPN(hpte_v(EA(1), 0)));
	h_protect("EA(0) RW with its AVPN", H_AVPN | R_PP_RW, IDX(0, 0),
		  AVPN(hpte_v(EA(0), 0)));
	do_store("EA(0) RW again", EA(0), 1 * MIB);
	/* removal */
	h_remove("EA(1) with a wrong AVPN", H_AVPN, IDX(1, 0),
		 AVPN(hpte_v(EA(0), 0)));
	h_remove("EA(1) with its AVPN", H_AVPN, IDX(1, 0),
		 AVPN(hpte_v(EA(1), 0)));
	h_read("EA(1) after remove", 0, IDX(1, 0));
	h_remove("EA(1) again", 0, IDX(1, 0), 0);
	h_remove("EA(2) (ANDCOND, no bit set)", H_ANDCOND, IDX(0, 1), 0);
	dirty("slot 1 after the removals", 1);
	/* no slot: KVM-HV enters an emulated-MMIO entry */
	h_enter("EA(3) -> no slot", H_EXACT, IDX(3, 0), hpte_v(EA(3), 0),
		NOSLOT_GPA | R_PP_RW);
	h_read("EA(3) (no slot)", 0, IDX(3, 0));
	do_store("EA(3) (no slot)", EA(3) + 0x10, NOWHERE);
	/* a 64 KiB page */
	h_enter("EA64(4) -> 64K page 1 of slot 2", H_EXACT, IDX64(4, 0),
		hpte_v(EA64(4), 1), (SLOT2_GPA + PAGE64K) | R_LP_64K | R_PP_RW);
	h_read("EA64(4)", 0, IDX64(4, 0));
	h_enter("EA64(5) -> 64K page at a 4K offset", H_EXACT, IDX64(5, 0),
		hpte_v(EA64(5), 1),
		(SLOT2_GPA + PAGE64K + 0x1000) | R_LP_64K | R_PP_RW);
	do_store("EA64(4)+0x8100", EA64(4) + 0x8100,
		 2 * MIB + PAGE64K + 0x8100);
	h_enter("EA(6) -> slot 2 page 3", H_EXACT, IDX(6, 0), hpte_v(EA(6), 0),
		(SLOT2_GPA + 3 * PAGE64K) | R_PP_RW);
	do_store("EA(6)", EA(6), 2 * MIB + 3 * PAGE64K);
	/* move slot 1: its entries lose their page, the guest view stays */
	host_slot("move slot 1 to 64 MiB", 1, KVM_MEM_LOG_DIRTY_PAGES,
		  SLOT1_MOVED, SLOT_SIZE, 1 * MIB);
	h_read("EA(0) after the move", 0, IDX(0, 0));
	h_read("EA(0)'s group (H_READ_4) after the move", H_READ_4, IDX(0, 0));
	dirty("slot 1 after the move", 1);
	do_store("EA(0) after the move (old address: no slot)", EA(0), 1 * MIB);
	h_enter("EA(7) -> moved slot 1 page 3", H_EXACT, IDX(7, 0),
		hpte_v(EA(7), 0), (SLOT1_MOVED + 3 * PAGE64K) | R_PP_RW);
	do_store("EA(7)", EA(7), 1 * MIB + 3 * PAGE64K);
	dirty("slot 1 after a store at its new address", 1);
	do_store("EA(7) again, not harvested before the next move", EA(7) + 8,
		 1 * MIB + 3 * PAGE64K + 8);
	host_slot("move slot 1 back to 16 MiB", 1, KVM_MEM_LOG_DIRTY_PAGES,
		  SLOT1_GPA, SLOT_SIZE, 1 * MIB);
	dirty("slot 1 after moving back", 1);
	h_read("EA(7) after moving back", 0, IDX(7, 0));
	/* delete slot 2 under its entries, then remove them */
	host_slot("delete slot 2", 2, 0, SLOT2_GPA, 0, 2 * MIB);
	h_read("EA64(4) after the delete", 0, IDX64(4, 0));
	do_store("EA(6) after the delete", EA(6) + 8, 2 * MIB + 3 * PAGE64K + 8);
	h_remove("EA64(4) after the delete", 0, IDX64(4, 0), 0);
	h_remove("EA(6) after the delete", 0, IDX(6, 0), 0);
	host_slot("re-create slot 2", 2, 0, SLOT2_GPA, SLOT_SIZE, 2 * MIB);
	h_enter("EA64(4) again after re-create", H_EXACT, IDX64(4, 0),
		hpte_v(EA64(4), 1), (SLOT2_GPA + PAGE64K) | R_LP_64K | R_PP_RW);
	do_store("EA64(4) after re-create", EA64(4), 2 * MIB + PAGE64K);
	/* delete slot 1 (dirty-logged) and clean up */
	host_slot("delete slot 1", 1, 0, SLOT1_GPA, 0, 1 * MIB);
	h_remove("EA(0) after the delete", 0, IDX(0, 0), 0);
	h_remove("EA(7) after the delete", 0, IDX(7, 0), 0);
	h_remove("EA(3) (no slot)", 0, IDX(3, 0), 0);
	/* several at once: two entries, one already gone, then the end */
	{
		const __u64 bulk[8] = {
			BULK_REQ(BULK_ABSOLUTE, IDX(0, 1)), 0,
			BULK_REQ(BULK_AVPN, IDX64(4, 0)), AVPN(hpte_v(EA64(4), 1)),
			BULK_REQ(BULK_ABSOLUTE, IDX(1, 0)), 0,
			BULK_END, 0,
		};
		const __u64 bad[8] = {
			BULK_REQ(BULK_ABSOLUTE, IDX64(5, 0)), 0,
			BULK_REQ(BULK_ABSOLUTE, 0x4000), 0,
			BULK_END, 0, BULK_END, 0,
		};

		h_bulk_remove("EA(2), EA64(4) by AVPN, EA(1) (gone)", bulk);
		h_read("EA(2) after the bulk remove", 0, IDX(0, 1));
		h_bulk_remove("EA64(5), then index 0x4000 (past the HPT)", bad);
		h_read("EA64(5) after the bulk remove", 0, IDX64(5, 0));
	}
	/* indices outside the HPT */
	h_enter("index 0x4000 (past the HPT)", H_EXACT, 0x4000,
		hpte_v(EA(0), 0), SLOT2_GPA | R_PP_RW);
	h_read("index 0x4000", 0, 0x4000);
	h_remove("index 0x4000", 0, 0x4000, 0);
	h_protect("index 0x4000", 0, 0x4000, 0);
	if (step != 63)
		printf("# planned 63 steps, ran %d\n", step);
	return step == 63 ? 0 : 1;
}
