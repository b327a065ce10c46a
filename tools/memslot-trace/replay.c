// SPDX-License-Identifier: GPL-2.0-only
/*
 * Replay engine for memslot call traces; the semantics are those of
 * shared/traces/FORMAT.md:
 *  - one VM per file (KVM_CREATE_VM with the chosen type, no vCPU);
 *  - translated hvas of set/set2 lines (0 < size <= 1 TiB) are merged into
 *    intervals, each backed by one anonymous MAP_NORESERVE mapping whose base
 *    is congruent to the interval start modulo 2 MiB;
 *  - ops run in file order and their results are compared with the file's.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <linux/kvm.h>

#include "replay.h"

/* ioctls and structs that appeared after the 6.1 uapi headers */
struct rp_region2 {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t guest_memfd_offset;
	uint32_t guest_memfd;
	uint32_t pad1;
	uint64_t pad2[14];
};

struct rp_create_gmem {
	uint64_t size;
	uint64_t flags;
	uint64_t reserved[6];
};

#define RP_SET_USER_MEMORY_REGION2 _IOW(KVMIO, 0x49, struct rp_region2)
#define RP_CREATE_GUEST_MEMFD _IOWR(KVMIO, 0xd4, struct rp_create_gmem)

#define TIB 0x10000000000ULL
#define HUGE_ALIGN (2ULL << 20)
#define MAX_GMEM 64

/* ---------------------------------------------------------------- errno */

/*
 * Errno names are glibc's (strerrorname_np), plus the kernel's own
 * ENOTSUPP, which never reaches userspace from a syscall that works as
 * documented but may from one that does not.
 */
#define RP_ENOTSUPP 524
#define RP_MAX_ERRNO 255

int replay_errno_from_name(const char *name)
{
	if (!strcmp(name, "ENOTSUPP"))
		return RP_ENOTSUPP;
	for (int e = 1; e <= RP_MAX_ERRNO; e++) {
		const char *n = strerrorname_np(e);

		if (n && !strcmp(n, name))
			return e;
	}
	return -1;
}

const char *replay_errno_name(int e)
{
	if (e == RP_ENOTSUPP)
		return "ENOTSUPP";
	return e > 0 ? strerrorname_np(e) : NULL;
}

static void fmt_result(char *out, size_t n, long r)
{
	const char *name = r < 0 ? replay_errno_name((int)-r) : NULL;

	if (name)
		snprintf(out, n, "-%s", name);
	else
		snprintf(out, n, "%ld", r);
}

/* ----------------------------------------------------------------- ops */

enum op_kind { OP_CHECK_SYS, OP_CHECK_VM, OP_CAP, OP_SET, OP_SET2, OP_DIRTY,
	       OP_CLEAR, OP_GMEM, OP_NEWVM };

struct op {
	enum op_kind kind;
	int line;
	char *text;		/* tokens before "->", single-spaced */
	uint64_t a[8];		/* numeric fields in file order */
	int hva_literal;	/* set/set2: hva written as =0x... */
	int gmem_mode;		/* set2: 0 '-', 1 gN, 2 =N */
	uint64_t gmem_val;
	int has_expect;
	long expect;
	int has_pop;
	long pop;
	/* record mode: byte offsets of the result (and pop) in the raw line */
	char *raw;
	int res_start, res_end, pop_start, pop_end;
};

struct region {
	uint64_t start, end;	/* trace addresses */
	uint64_t base;		/* replay address of start */
	void *map;
	size_t maplen;
};

struct slotinfo {
	uint32_t key;		/* (as << 16) | id */
	uint64_t npages;
};

struct state {
	const char *name;
	const struct replay_opts *o;
	struct op *ops;
	int nops, capops;
	struct region *regs;
	int nregs;
	struct slotinfo *slots;
	int nslots, capslots;
	int devfd, vmfd;
	int gmem[MAX_GMEM];
};

/* The stream and prefix of messages: the caller's, else stderr and none. */
static FILE *msg_file(const struct replay_opts *o)
{
	return o->msg ? o->msg : stderr;
}

static const char *msg_prefix(const struct replay_opts *o)
{
	return o->msg_prefix ? o->msg_prefix : "";
}

/*
 * One message line; a macro so that the compiler checks the format, and a
 * statement expression so that @s is evaluated once.
 */
#define msg(s, fmt, ...) ({						\
	const struct replay_opts *__o = (s)->o;				\
	fprintf(msg_file(__o), "%s" fmt "\n", msg_prefix(__o),		\
		##__VA_ARGS__);						\
})

static int is_memslot_cap(uint64_t cap)
{
	switch (cap) {
	case 3: case 10: case 16: case 81: case 118: case 168:
	case 192: case 231: case 234:
		return 1;
	}
	return 0;
}

static int parse_num(const char *tok, uint64_t *v)
{
	char *end;

	if (!*tok)
		return -1;
	errno = 0;
	*v = strtoull(tok, &end, 0);
	return (*end || errno) ? -1 : 0;
}

static int parse_result(const char *tok, long *v)
{
	uint64_t u;

	if (tok[0] == '-' && isalpha((unsigned char)tok[1])) {
		int e = replay_errno_from_name(tok + 1);

		if (e < 0)
			return -1;
		*v = -e;
		return 0;
	}
	if (tok[0] == '-') {
		if (parse_num(tok + 1, &u))
			return -1;
		*v = -(long)u;
		return 0;
	}
	if (parse_num(tok, &u))
		return -1;
	*v = (long)u;
	return 0;
}

#define MAXTOK 16

/* Parse one line (NUL-terminated copy).  Returns 0 ok/empty, -1 error. */
static int parse_line(struct state *s, char *raw, int lineno)
{
	char *line = strdup(raw), *hash, *tok[MAXTOK], *p;
	int ntok = 0, arrow = -1, nargs;
	struct op op;
	char text[512];

	if (!line)
		return -1;
	hash = strchr(line, '#');
	if (hash)
		*hash = 0;
	for (p = strtok(line, " \t\r"); p; p = strtok(NULL, " \t\r")) {
		if (ntok == MAXTOK)
			goto bad;
		if (!strcmp(p, "->") && arrow < 0)
			arrow = ntok;
		tok[ntok++] = p;
	}
	if (!ntok) {
		free(line);
		return 0;
	}
	memset(&op, 0, sizeof(op));
	op.line = lineno;
	nargs = arrow < 0 ? ntok : arrow;

	text[0] = 0;
	for (int i = 0; i < nargs; i++) {
		if (i)
			strncat(text, " ", sizeof(text) - strlen(text) - 1);
		strncat(text, tok[i], sizeof(text) - strlen(text) - 1);
	}

	if (!strcmp(tok[0], "newvm")) {
		if (ntok != 1)
			goto bad;
		op.kind = OP_NEWVM;
	} else {
		int want;

		if (arrow < 0 || arrow + 1 >= ntok)
			goto bad;
		if (!strcmp(tok[0], "check")) {
			if (!strcmp(tok[1], "sys"))
				op.kind = OP_CHECK_SYS;
			else if (!strcmp(tok[1], "vm"))
				op.kind = OP_CHECK_VM;
			else
				goto bad;
			if (nargs != 3 || parse_num(tok[2], &op.a[0]))
				goto bad;
		} else {
			if (!strcmp(tok[0], "cap")) {
				op.kind = OP_CAP; want = 7;
			} else if (!strcmp(tok[0], "set")) {
				op.kind = OP_SET; want = 7;
			} else if (!strcmp(tok[0], "set2")) {
				op.kind = OP_SET2; want = 9;
			} else if (!strcmp(tok[0], "dirty")) {
				op.kind = OP_DIRTY; want = 3;
			} else if (!strcmp(tok[0], "clear")) {
				op.kind = OP_CLEAR; want = 5;
			} else if (!strcmp(tok[0], "gmem")) {
				op.kind = OP_GMEM; want = 4;
			} else {
				goto bad;
			}
			if (nargs != want)
				goto bad;
			for (int i = 1; i < nargs; i++) {
				const char *t = tok[i];

				if ((op.kind == OP_SET || op.kind == OP_SET2) && i == 6 &&
				    t[0] == '=') {
					op.hva_literal = 1;
					t++;
				}
				if (op.kind == OP_SET2 && i == 8) {
					if (!strcmp(t, "-")) {
						op.gmem_mode = 0;
						continue;
					}
					if (t[0] == 'g') {
						op.gmem_mode = 1;
						t++;
					} else if (t[0] == '=') {
						op.gmem_mode = 2;
						t++;
					} else {
						goto bad;
					}
					if (parse_num(t, &op.gmem_val))
						goto bad;
					continue;
				}
				if (parse_num(t, &op.a[i - 1]))
					goto bad;
			}
			if ((op.kind == OP_SET || op.kind == OP_SET2 ||
			     op.kind == OP_DIRTY || op.kind == OP_CLEAR) &&
			    (op.a[0] > 0xffff || op.a[1] > 0xffff))
				goto bad;
		}
		if (parse_result(tok[arrow + 1], &op.expect))
			goto bad;
		op.has_expect = 1;
		for (int i = arrow + 2; i < ntok; i++) {
			uint64_t v;

			if (strncmp(tok[i], "pop=", 4) || op.kind != OP_DIRTY ||
			    parse_num(tok[i] + 4, &v))
				goto bad;
			op.has_pop = 1;
			op.pop = (long)v;
		}
		/* positions in the raw line, for --record */
		{
			char *r = raw, *h = strchr(raw, '#');
			char *a = strstr(r, "->");

			if (a && (!h || a < h)) {
				char *q = a + 2;

				while (*q == ' ' || *q == '\t')
					q++;
				op.res_start = (int)(q - raw);
				while (*q && *q != ' ' && *q != '\t' && *q != '#' && *q != '\r')
					q++;
				op.res_end = (int)(q - raw);
				if (op.has_pop) {
					char *pp = strstr(q, "pop=");

					op.pop_start = (int)(pp - raw);
					q = pp;
					while (*q && !strchr(" \t#\r", *q))
						q++;
					op.pop_end = (int)(q - raw);
				}
			}
		}
	}
	op.text = strdup(text);
	op.raw = raw;
	if (s->nops == s->capops) {
		s->capops = s->capops ? 2 * s->capops : 64;
		s->ops = realloc(s->ops, s->capops * sizeof(*s->ops));
		if (!s->ops)
			goto bad;
	}
	s->ops[s->nops++] = op;
	free(line);
	return 0;
bad:
	msg(s, "%s:%d: cannot parse: %s", s->name, lineno, raw);
	free(line);
	return -1;
}

/* ------------------------------------------------------------- regions */

static int cmp_region(const void *a, const void *b)
{
	const struct region *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int build_regions(struct state *s)
{
	int n = 0, m = 0;

	s->regs = calloc(s->nops + 1, sizeof(*s->regs));
	if (!s->regs)
		return -1;
	for (int i = 0; i < s->nops; i++) {
		struct op *op = &s->ops[i];
		uint64_t size = op->a[4], hva = op->a[5];

		if ((op->kind != OP_SET && op->kind != OP_SET2) || op->hva_literal)
			continue;
		if (!size || size > TIB || hva + size < hva)
			continue;
		s->regs[n].start = hva;
		s->regs[n].end = hva + size;
		n++;
	}
	qsort(s->regs, n, sizeof(*s->regs), cmp_region);
	for (int i = 0; i < n; i++) {
		if (m && s->regs[i].start <= s->regs[m - 1].end) {
			if (s->regs[i].end > s->regs[m - 1].end)
				s->regs[m - 1].end = s->regs[i].end;
		} else {
			s->regs[m++] = s->regs[i];
		}
	}
	s->nregs = m;
	for (int i = 0; i < m; i++) {
		struct region *r = &s->regs[i];
		size_t len = r->end - r->start;
		uint64_t base;

		r->maplen = len + 2 * HUGE_ALIGN;
		r->map = mmap(NULL, r->maplen, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (r->map == MAP_FAILED) {
			r->map = NULL;
			msg(s, "%s: mmap of %zu bytes failed: %s", s->name,
			    r->maplen, strerror(errno));
			return -1;
		}
		base = ((uint64_t)r->map + HUGE_ALIGN - 1) & ~(HUGE_ALIGN - 1);
		base += r->start & (HUGE_ALIGN - 1);
		r->base = base;
	}
	return 0;
}

static uint64_t translate(const struct state *s, uint64_t hva)
{
	for (int i = 0; i < s->nregs; i++)
		if (hva >= s->regs[i].start && hva < s->regs[i].end)
			return s->regs[i].base + (hva - s->regs[i].start);
	return hva;
}

/* --------------------------------------------------------------- slots */

static struct slotinfo *find_slot(struct state *s, uint32_t key)
{
	for (int i = 0; i < s->nslots; i++)
		if (s->slots[i].key == key)
			return &s->slots[i];
	return NULL;
}

static void track_set(struct state *s, uint32_t key, uint64_t size)
{
	struct slotinfo *si = find_slot(s, key);

	if (!size) {
		if (si)
			*si = s->slots[--s->nslots];
		return;
	}
	if (!si) {
		if (s->nslots == s->capslots) {
			s->capslots = s->capslots ? 2 * s->capslots : 32;
			s->slots = realloc(s->slots, s->capslots * sizeof(*s->slots));
			if (!s->slots)
				abort();
		}
		si = &s->slots[s->nslots++];
		si->key = key;
	}
	si->npages = size >> 12;
}

/* ----------------------------------------------------------------- run */

static long xioctl(int fd, unsigned long req, void *arg)
{
	long r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

static void close_vm(struct state *s)
{
	for (int i = 0; i < MAX_GMEM; i++) {
		if (s->gmem[i] >= 0)
			close(s->gmem[i]);
		s->gmem[i] = -1;
	}
	if (s->vmfd >= 0)
		close(s->vmfd);
	s->vmfd = -1;
	s->nslots = 0;
}

static int open_vm(struct state *s)
{
	long r = ioctl(s->devfd, KVM_CREATE_VM, s->o->vm_type);

	if (r < 0) {
		msg(s, "%s: KVM_CREATE_VM(%lu) on %s failed: %s", s->name,
		    s->o->vm_type, s->o->dev, strerror(errno));
		return -1;
	}
	s->vmfd = (int)r;
	return 0;
}

static uint64_t fnv(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static long run_op(struct state *s, struct op *op, long *pop)
{
	*pop = -1;
	switch (op->kind) {
	case OP_CHECK_SYS:
		/*
		 * The device answers for the VM type KVM_CREATE_VM(0) makes.
		 * Replayed on another type, the recording's system fd stands
		 * for that type's architecture, whose VMs answer as its
		 * system fd does (arm64: the VM fd's answers are the system
		 * fd's): ask the VM.
		 */
		if (s->o->vm_type && s->vmfd >= 0)
			return xioctl(s->vmfd, KVM_CHECK_EXTENSION,
				      (void *)(unsigned long)op->a[0]);
		return xioctl(s->devfd, KVM_CHECK_EXTENSION, (void *)(unsigned long)op->a[0]);
	case OP_CHECK_VM:
		return xioctl(s->vmfd, KVM_CHECK_EXTENSION, (void *)(unsigned long)op->a[0]);
	case OP_CAP: {
		struct kvm_enable_cap c;

		memset(&c, 0, sizeof(c));
		c.cap = (uint32_t)op->a[0];
		c.flags = (uint32_t)op->a[1];
		for (int i = 0; i < 4; i++)
			c.args[i] = op->a[2 + i];
		return xioctl(s->vmfd, KVM_ENABLE_CAP, &c);
	}
	case OP_SET: {
		struct kvm_userspace_memory_region m;
		long r;

		memset(&m, 0, sizeof(m));
		m.slot = (uint32_t)((op->a[0] << 16) | op->a[1]);
		m.flags = (uint32_t)op->a[2];
		m.guest_phys_addr = op->a[3];
		m.memory_size = op->a[4];
		m.userspace_addr = op->hva_literal ? op->a[5] : translate(s, op->a[5]);
		r = xioctl(s->vmfd, KVM_SET_USER_MEMORY_REGION, &m);
		if (r == 0)
			track_set(s, m.slot, m.memory_size);
		return r;
	}
	case OP_SET2: {
		struct rp_region2 m;
		long r;

		memset(&m, 0, sizeof(m));
		m.slot = (uint32_t)((op->a[0] << 16) | op->a[1]);
		m.flags = (uint32_t)op->a[2];
		m.guest_phys_addr = op->a[3];
		m.memory_size = op->a[4];
		m.userspace_addr = op->hva_literal ? op->a[5] : translate(s, op->a[5]);
		m.guest_memfd_offset = op->a[6];
		if (op->gmem_mode == 0)
			m.guest_memfd = (uint32_t)-1;
		else if (op->gmem_mode == 2)
			m.guest_memfd = (uint32_t)op->gmem_val;
		else
			m.guest_memfd = op->gmem_val < MAX_GMEM ?
				(uint32_t)s->gmem[op->gmem_val] : (uint32_t)-1;
		r = xioctl(s->vmfd, RP_SET_USER_MEMORY_REGION2, &m);
		if (r == 0)
			track_set(s, m.slot, m.memory_size);
		return r;
	}
	case OP_DIRTY: {
		struct kvm_dirty_log log;
		struct slotinfo *si;
		uint64_t npages, bytes;
		unsigned char *bm;
		long r, n = 0;

		si = find_slot(s, (uint32_t)((op->a[0] << 16) | op->a[1]));
		npages = si ? si->npages : 0;
		bytes = ((npages + 63) / 64) * 8;
		bm = calloc(1, bytes ? bytes : 8);
		if (!bm)
			return -ENOMEM;
		memset(&log, 0, sizeof(log));
		log.slot = (uint32_t)((op->a[0] << 16) | op->a[1]);
		log.dirty_bitmap = bm;
		r = xioctl(s->vmfd, KVM_GET_DIRTY_LOG, &log);
		for (uint64_t i = 0; i < npages; i++)
			n += (bm[i / 8] >> (i % 8)) & 1;
		*pop = n;
		free(bm);
		return r;
	}
	case OP_CLEAR: {
		struct kvm_clear_dirty_log log;
		uint64_t bytes = ((op->a[3] + 63) / 64) * 8;
		unsigned char *bm = malloc(bytes ? bytes : 8);
		long r;

		if (!bm)
			return -ENOMEM;
		memset(bm, 0xff, bytes ? bytes : 8);
		memset(&log, 0, sizeof(log));
		log.slot = (uint32_t)((op->a[0] << 16) | op->a[1]);
		log.first_page = op->a[2];
		log.num_pages = (uint32_t)op->a[3];
		log.dirty_bitmap = bm;
		r = xioctl(s->vmfd, KVM_CLEAR_DIRTY_LOG, &log);
		free(bm);
		return r;
	}
	case OP_GMEM: {
		struct rp_create_gmem g;
		long r;

		memset(&g, 0, sizeof(g));
		g.size = op->a[1];
		g.flags = op->a[2];
		r = xioctl(s->vmfd, RP_CREATE_GUEST_MEMFD, &g);
		if (r >= 0) {
			if (op->a[0] < MAX_GMEM) {
				if (s->gmem[op->a[0]] >= 0)
					close(s->gmem[op->a[0]]);
				s->gmem[op->a[0]] = (int)r;
			} else {
				close((int)r);
			}
			r = 0;
		}
		return r;
	}
	case OP_NEWVM:
		close_vm(s);
		return open_vm(s) ? -1000 : 0;
	}
	return -EINVAL;
}

static void report_op(const struct replay_opts *o, const struct op *op,
		      long r, const struct timespec *t0,
		      const struct timespec *t1)
{
	struct replay_op_info info = {
		.is_set = op->kind == OP_SET || op->kind == OP_SET2,
		.is_newvm = op->kind == OP_NEWVM,
		.result = r,
		.ns = (uint64_t)(t1->tv_sec - t0->tv_sec) * 1000000000ULL +
		      t1->tv_nsec - t0->tv_nsec,
	};

	if (info.is_set) {
		info.slot = (uint32_t)((op->a[0] << 16) | op->a[1]);
		info.flags = (uint32_t)op->a[2];
		info.gpa = op->a[3];
		info.size = op->a[4];
	}
	o->op_done(o->step_ctx, &info);
}

static void record_line(struct state *s, const char *raw, const struct op *op,
			long r, long pop, int replayed)
{
	char res[32];

	if (!op || !op->has_expect || !replayed || !op->res_end) {
		fprintf(s->o->record, "%s\n", raw);
		return;
	}
	fmt_result(res, sizeof(res), r);
	fprintf(s->o->record, "%.*s%s", op->res_start, raw, res);
	if (op->has_pop && pop >= 0) {
		fprintf(s->o->record, "%.*s", op->pop_start - op->res_end,
			raw + op->res_end);
		fprintf(s->o->record, "pop=%ld%s\n", pop, raw + op->pop_end);
	} else {
		fprintf(s->o->record, "%s\n", raw + op->res_end);
	}
}

int replay_text(const char *name, const char *text, size_t len,
		const struct replay_opts *o, struct replay_stats *st)
{
	struct state s;
	char **lines = NULL;
	int nlines = 0, cap = 0, ret = -1;
	size_t pos = 0;

	memset(&s, 0, sizeof(s));
	memset(st, 0, sizeof(*st));
	st->hash = 0xcbf29ce484222325ULL;
	s.name = name;
	s.o = o;
	s.devfd = -1;
	s.vmfd = -1;
	for (int i = 0; i < MAX_GMEM; i++)
		s.gmem[i] = -1;

	/* split into lines */
	while (pos < len) {
		size_t e = pos;

		while (e < len && text[e] != '\n')
			e++;
		if (nlines == cap) {
			cap = cap ? 2 * cap : 256;
			lines = realloc(lines, cap * sizeof(*lines));
			if (!lines)
				return -1;
		}
		lines[nlines] = strndup(text + pos, e - pos);
		if (!lines[nlines])
			goto out;
		if (e > pos && lines[nlines][e - pos - 1] == '\r')
			lines[nlines][e - pos - 1] = 0;
		nlines++;
		pos = e + 1;
	}
	for (int i = 0; i < nlines; i++)
		if (parse_line(&s, lines[i], i + 1))
			goto out;
	if (build_regions(&s))
		goto out;

	s.devfd = open(o->dev, O_RDWR | O_CLOEXEC);
	if (s.devfd < 0) {
		msg(&s, "%s: cannot open %s: %s", name, o->dev, strerror(errno));
		goto out;
	}
	if (open_vm(&s))
		goto out;

	{
		int oi = 0;

		for (int i = 0; i < nlines; i++) {
			struct op *op = (oi < s.nops && s.ops[oi].line == i + 1) ?
					&s.ops[oi++] : NULL;
			long r = 0, pop = -1;
			int replayed = 0;
			struct timespec t0, t1;

			if (!op) {
				if (o->record)
					record_line(&s, lines[i], NULL, 0, -1, 0);
				if (o->step && !strncmp(lines[i], "# [t=", 5))
					o->step(o->step_ctx, s.vmfd, lines[i]);
				continue;
			}
			if (o->memslot_caps_only &&
			    (op->kind == OP_CHECK_SYS || op->kind == OP_CHECK_VM ||
			     op->kind == OP_CAP) && !is_memslot_cap(op->a[0])) {
				st->skipped++;
				if (o->record)
					record_line(&s, lines[i], op, 0, -1, 0);
				continue;
			}
			clock_gettime(CLOCK_MONOTONIC, &t0);
			r = run_op(&s, op, &pop);
			clock_gettime(CLOCK_MONOTONIC, &t1);
			replayed = 1;
			if (o->op_done)
				report_op(o, op, r, &t0, &t1);
			if (op->kind == OP_NEWVM && r == -1000)
				goto out;
			if (o->record)
				record_line(&s, lines[i], op, r, pop, replayed);
			st->hash = fnv(st->hash, (uint64_t)op->line);
			st->hash = fnv(st->hash, (uint64_t)op->kind);
			st->hash = fnv(st->hash, (uint64_t)r);
			if (op->kind == OP_DIRTY)
				st->hash = fnv(st->hash, (uint64_t)pop);
			if (!op->has_expect)
				continue;
			if (r != op->expect) {
				char e[32], g[32];

				fmt_result(e, sizeof(e), op->expect);
				fmt_result(g, sizeof(g), r);
				msg(&s, "MISMATCH %s:%d: %s : expected %s got %s",
				    name, op->line, op->text, e, g);
				st->failed++;
			} else if (op->has_pop && r == 0 && pop != op->pop) {
				msg(&s, "MISMATCH %s:%d: %s : expected pop=%ld got pop=%ld",
				    name, op->line, op->text, op->pop, pop);
				st->failed++;
			} else {
				st->passed++;
			}
		}
	}
	if (o->step)
		o->step(o->step_ctx, s.vmfd, NULL);
	ret = 0;
out:
	close_vm(&s);
	if (s.devfd >= 0)
		close(s.devfd);
	for (int i = 0; i < s.nregs; i++)
		if (s.regs[i].map)
			munmap(s.regs[i].map, s.regs[i].maplen);
	free(s.regs);
	for (int i = 0; i < s.nops; i++)
		free(s.ops[i].text);
	free(s.ops);
	free(s.slots);
	for (int i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	return ret;
}
