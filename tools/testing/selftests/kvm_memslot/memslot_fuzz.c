// SPDX-License-Identifier: GPL-2.0-only
/*
 * memslot_fuzz: a fixed-seed pseudo-random sequence of valid and invalid
 * KVM_SET_USER_MEMORY_REGION calls (creates, deletes, moves, flag changes,
 * repeated parameters, and every kind of bad argument), identical on every
 * run and device.  What is compared is the sequence of results: each chunk
 * of 100 calls prints one TAP line "ok N - chunk ... [cmp] results-hash=0x..."
 * whose description must be equal on /dev/kvm-memslot and /dev/kvm (the
 * guest lane compares descriptions of lines tagged "[cmp]").
 *
 * Usage: memslot_fuzz [-v] [-s SEED] [device [expected-hashes-file]]
 *   -v        print every call and its result as a TAP comment
 *   -s SEED   another seed (the default one is printed)
 *   expected-hashes-file: lines "<chunk> 0x<hash>"; a chunk whose hash
 *             differs is then reported "not ok".
 *
 * Guest physical addresses stay far below any x86 MAXPHYADDR, and no valid
 * slot is larger than 256 pages, so the results do not depend on the host.
 */
#include "tap.h"

#define NCALLS 3000
#define CHUNK 100
#define NCHUNKS (NCALLS / CHUNK)
#define NTESTS (1 + NCHUNKS + 1)
#define DEFAULT_SEED 0x6b766d2d6d656d73ULL	/* "kvm-mems" */

#define NIDS 16
#define RW_SIZE (8UL << 20)
#define RO_SIZE 0x100000UL
#define UNMAPPED 0x100000000000UL

struct slot_model {
	int live;
	uint32_t flags;
	uint64_t gpa, size, hva;
};

static struct slot_model model[2][NIDS];
static uint64_t rng_state;
static uint64_t rw_base, ro_base;
static int verbose;
static uint32_t nr_slots;	/* KVM_CAP_NR_MEMSLOTS of the VM */

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rndn(uint64_t n)
{
	return rnd() % n;
}

static uint64_t fnv(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* hva printed relative to its region, so -v output is comparable too */
static void hva_str(uint64_t hva, char *out, size_t n)
{
	if (hva >= rw_base && hva < rw_base + RW_SIZE + 0x100000)
		snprintf(out, n, "rw+0x%llx", (unsigned long long)(hva - rw_base));
	else if (hva >= ro_base && hva < ro_base + RO_SIZE + 0x100000)
		snprintf(out, n, "ro+0x%llx", (unsigned long long)(hva - ro_base));
	else
		snprintf(out, n, "=0x%llx", (unsigned long long)hva);
}

static uint64_t rand_gpa(void)
{
	/* a 16 MiB window with 1 GiB-spaced mirrors: lots of overlaps */
	return rndn(4) * (1UL << 30) + rndn(4096) * PAGE_SZ;
}

static uint64_t rand_size(void)
{
	static const uint64_t pages[] = { 1, 1, 2, 3, 4, 8, 16, 31, 64, 100, 256 };

	return pages[rndn(ARRAY_SIZE(pages))] * PAGE_SZ;
}

static uint64_t rand_hva(uint64_t size)
{
	switch (rndn(10)) {
	case 0:
		return ro_base + rndn((RO_SIZE - size) / PAGE_SZ + 1) * PAGE_SZ;
	case 1:
		return UNMAPPED + rndn(1 << 20) * PAGE_SZ;
	default:
		return rw_base + rndn((RW_SIZE - size) / PAGE_SZ + 1) * PAGE_SZ;
	}
}

static uint32_t rand_flags(void)
{
	static const uint32_t f[] = { 0, 0, 0, 1, 1, 2, 3 };

	return f[rndn(ARRAY_SIZE(f))];
}

struct call {
	uint32_t as, id, flags;
	uint64_t gpa, size, hva;
	const char *kind;
};

/* Corrupt a call with one (sometimes two) kinds of bad argument. */
static void corrupt(struct call *c)
{
	switch (rndn(16)) {
	case 0:
		c->size += 1 + rndn(PAGE_SZ - 1);
		c->kind = "bad-size";
		break;
	case 1:
		c->gpa += 1 + rndn(PAGE_SZ - 1);
		c->kind = "bad-gpa";
		break;
	case 2:
		c->hva += 1 + rndn(PAGE_SZ - 1);
		c->kind = "bad-hva";
		break;
	case 3:
		c->flags |= 1U << (2 + rndn(30));
		c->kind = "bad-flags";
		break;
	case 4:
		c->id = nr_slots + rndn(65536 - nr_slots);
		c->kind = "bad-id";
		break;
	case 5:
		c->as = 2 + rndn(65534);
		c->kind = "bad-as";
		break;
	case 6:
		c->hva = 0xffff800000000000UL + rndn(1UL << 30) * PAGE_SZ;
		c->kind = "kernel-hva";
		break;
	case 7:
		c->hva = 0xfffffffffffff000UL - rndn(4) * PAGE_SZ;
		c->size = (5 + rndn(4)) * PAGE_SZ;
		c->kind = "wrap-hva";
		break;
	case 8:
		c->gpa = 0xfffffffffffff000UL - rndn(4) * PAGE_SZ;
		c->size = (5 + rndn(4)) * PAGE_SZ;
		c->kind = "wrap-gpa";
		break;
	case 9:
		c->size = (MEM_MAX_NR_PAGES + 1 + rndn(1000)) * PAGE_SZ;
		c->hva = UNMAPPED;
		c->kind = "too-many-pages";
		break;
	case 10:
		c->size += PAGE_SZ * (1 + rndn(8));
		c->kind = "resize";
		break;
	case 11:
		c->hva += PAGE_SZ * (1 + rndn(8));
		c->kind = "new-hva";
		break;
	case 12:
		c->flags ^= KVM_MEM_READONLY;
		c->kind = "toggle-ro";
		break;
	case 13:
		c->size = 0;
		c->gpa |= 0x800;
		c->kind = "delete-bad-gpa";
		break;
	case 14:
		c->size = 0;
		c->flags = 8;
		c->kind = "delete-bad-flags";
		break;
	default:
		c->id = nr_slots;
		c->flags = 0x10;
		c->size += 1;
		c->kind = "many-bad";
		break;
	}
}

static void gen(struct call *c)
{
	uint32_t as = rndn(10) < 7 ? 0 : 1;
	uint32_t id = rndn(NIDS);
	struct slot_model *m = &model[as][id];
	unsigned int k = rndn(100);

	memset(c, 0, sizeof(*c));
	c->as = as;
	c->id = id;
	if (m->live && k < 50) {
		c->flags = m->flags;
		c->gpa = m->gpa;
		c->size = m->size;
		c->hva = m->hva;
		if (k < 12) {
			c->size = 0;
			if (rndn(2)) {
				c->gpa = rand_gpa();
				c->hva = rw_base;
			}
			c->kind = "delete";
		} else if (k < 27) {
			c->gpa = rndn(3) ? rand_gpa() : m->gpa + (rndn(5) - 2) * PAGE_SZ;
			if (rndn(4) == 0)
				c->flags ^= KVM_MEM_LOG_DIRTY_PAGES;
			c->kind = "move";
		} else if (k < 37) {
			c->flags ^= KVM_MEM_LOG_DIRTY_PAGES;
			c->kind = "flags";
		} else if (k < 42) {
			c->kind = "same";
		} else {
			corrupt(c);
		}
		return;
	}
	c->flags = rand_flags();
	c->gpa = rand_gpa();
	c->size = rand_size();
	c->hva = rand_hva(c->size);
	c->kind = "create";
	if (k < 8) {
		c->size = 0;
		c->kind = "delete-absent";
	} else if (k >= 75) {
		corrupt(c);
	}
}

static int load_expected(const char *path, uint64_t *exp, int *have)
{
	FILE *f = fopen(path, "r");
	char line[256];

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned int k;
		unsigned long long h;

		if (sscanf(line, "%u %llx", &k, &h) == 2 && k >= 1 && k <= NCHUNKS) {
			exp[k - 1] = h;
			have[k - 1] = 1;
		}
	}
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dev = DEFAULT_DEVICE, *expfile = NULL;
	uint64_t seed = DEFAULT_SEED, total = 0xcbf29ce484222325ULL;
	uint64_t exp[NCHUNKS];
	int have[NCHUNKS] = { 0 };
	int devfd, vmfd, npos = 0;
	void *rw, *ro;

	for (int i = 1; i < argc; i++) {
		if (tap_option(argv[i]))
			continue;
		if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (npos++ == 0)
			dev = argv[i];
		else
			expfile = argv[i];
	}

	devfd = tap_open_dev(dev);
	if (devfd < 0)
		return tap_skip_all("device not available");
	tap_plan(NTESTS);
	tap_diag("device %s", dev);
	tap_diag("seed 0x%llx, %d calls, chunks of %d", (unsigned long long)seed,
		 NCALLS, CHUNK);
	if (expfile && load_expected(expfile, exp, have))
		tap_diag("cannot read %s, comparing nothing", expfile);

	vmfd = tap_create_vm(devfd);
	rw = tap_map(RW_SIZE);
	ro = mmap(NULL, RO_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!tap_expect(vmfd >= 0 && rw && ro != MAP_FAILED, 1, "VM and backing memory")) {
		tap_bail_rest("no VM");
		return tap_finish();
	}
	rw_base = (uint64_t)rw;
	ro_base = (uint64_t)ro;
	nr_slots = tap_nr_slots(vmfd);
	rng_state = seed;

	for (int chunk = 0; chunk < NCHUNKS; chunk++) {
		uint64_t h = 0xcbf29ce484222325ULL;
		int n_ok = 0, n_inval = 0, n_exist = 0, n_other = 0;

		for (int i = 0; i < CHUNK; i++) {
			struct call c;
			long r;

			gen(&c);
			r = tap_set(vmfd, c.as, c.id, c.flags, c.gpa, c.size, c.hva);
			if (r == 0)
				n_ok++;
			else if (r == -EINVAL)
				n_inval++;
			else if (r == -EEXIST)
				n_exist++;
			else
				n_other++;
			h = fnv(h, (uint64_t)r);
			total = fnv(total, (uint64_t)r);
			if (verbose) {
				char hs[64];

				hva_str(c.hva, hs, sizeof(hs));
				tap_diag("call %d %s: set %u %u 0x%x 0x%llx 0x%llx %s -> %s",
					 chunk * CHUNK + i, c.kind, c.as, c.id, c.flags,
					 (unsigned long long)c.gpa,
					 (unsigned long long)c.size, hs,
					 r == 0 ? "0" : tap_errname((int)-r));
			}
			if (r == 0 && c.as < 2 && c.id < NIDS) {
				struct slot_model *m = &model[c.as][c.id];

				if (c.size == 0) {
					m->live = 0;
				} else {
					m->live = 1;
					m->flags = c.flags;
					m->gpa = c.gpa;
					m->size = c.size;
					m->hva = c.hva;
				}
			}
		}
		tap_result(!have[chunk] || exp[chunk] == h,
			   "chunk %d calls %d..%d [cmp] results-hash=0x%016llx ok=%d einval=%d eexist=%d other=%d",
			   chunk + 1, chunk * CHUNK, chunk * CHUNK + CHUNK - 1,
			   (unsigned long long)h, n_ok, n_inval, n_exist, n_other);
	}
	tap_result(1, "all %d calls [cmp] results-hash=0x%016llx", NCALLS,
		   (unsigned long long)total);
	close(vmfd);
	close(devfd);
	return tap_finish();
}
