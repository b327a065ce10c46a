// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvm-memslot: the architecture backends, and which KVM_CREATE_VM type
 * picks which.
 *
 * The module links every backend the Kbuild file lists.  Kbuild hands the
 * list to this file as KVM_MEMSLOT_BACKENDS(X), which expands X(name) once
 * per backend; each backend provides name_backend_init(), which registers
 * the VM types it implements with kvm_memslot_register_backend(), and
 * name_backend_exit(), which unregisters them; <linux/kvm_memslot.h>
 * declares both from the same list.  Adding a backend is one word in
 * Kbuild; no file of the core names one.
 *
 * Why not a registration call from each backend's own module_init, as
 * in-tree KVM's vendor modules do: the backends are objects of this one
 * module, which has a single module_init.  Why not a linker section: a
 * module gets no __start_/__stop_ symbols for its own sections.
 *
 * Registrations happen at module load, before /dev/kvm-memslot exists, and
 * are undone at unload, after it is gone, so lookups take no lock.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/kvm_memslot.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/printk.h>

/* Backend VM types registered at once, over every backend. */
#define KVM_MEMSLOT_MAX_BACKENDS	8

static const struct kvm_memslot_ops *kvm_memslot_backends[KVM_MEMSLOT_MAX_BACKENDS];

struct kvm_memslot_backend_entry {
	int (*init)(void);
	void (*exit)(void);
};

#define KVM_MEMSLOT_BACKEND_ENTRY(name)			\
	{ name##_backend_init, name##_backend_exit },
static const struct kvm_memslot_backend_entry kvm_memslot_backend_list[] = {
	KVM_MEMSLOT_BACKENDS(KVM_MEMSLOT_BACKEND_ENTRY)
	{ NULL, NULL }
};

/* What the core relies on, whatever the backend. */
static bool kvm_memslot_ops_valid(const struct kvm_memslot_ops *ops)
{
	if (!ops->prepare_memory_region || !ops->nr_address_spaces ||
	    ops->nr_address_spaces > KVM_MEMSLOT_MAX_ADDRESS_SPACES ||
	    ops->nr_user_slots > KVM_MEMSLOT_MAX_SLOT_ID ||
	    (ops->vm_type & ~ops->vm_type_mask) ||
	    !is_power_of_2(ops->vm_type_bit))
		return false;
	/* A VM page is made of whole host pages. */
	if (ops->page_shift < PAGE_SHIFT || ops->page_shift >= BITS_PER_LONG)
		return false;
	if (ops->map_cache_pages > KVM_MEMSLOT_MMU_CACHE_PAGES)
		return false;
	if (ops->map && !(ops->map_sizes & BIT(ops->page_shift)))
		return false;
	if (!ops->vcpu_mmap_pages ||
	    ops->vcpu_mmap_pages > KVM_MEMSLOT_VCPU_MAX_MMAP_PAGES)
		return false;
	return !ops->clear_dirty_log || ops->manual_dirty_log_protect;
}

/**
 * kvm_memslot_register_backend() - make a VM type available
 * @ops: the backend of the VM types (type & @ops->vm_type_mask) ==
 *       @ops->vm_type; must stay valid until unregistered
 *
 * Called from a backend's init function, at module load.
 *
 * Return: 0, -EINVAL if @ops breaks the contract of struct kvm_memslot_ops,
 * -EEXIST if another backend already has one of its types or its
 * @ops->vm_type_bit, -ENOSPC if KVM_MEMSLOT_MAX_BACKENDS are registered.
 */
int kvm_memslot_register_backend(const struct kvm_memslot_ops *ops)
{
	const struct kvm_memslot_ops *other;
	unsigned long common;
	int i, free = -1;

	if (WARN_ON(!kvm_memslot_ops_valid(ops)))
		return -EINVAL;
	for (i = 0; i < KVM_MEMSLOT_MAX_BACKENDS; i++) {
		other = kvm_memslot_backends[i];
		if (!other) {
			if (free < 0)
				free = i;
			continue;
		}
		/* Two sets of types meet if they agree on the common bits. */
		common = ops->vm_type_mask & other->vm_type_mask;
		if (!((ops->vm_type ^ other->vm_type) & common) ||
		    ops->vm_type_bit == other->vm_type_bit)
			return -EEXIST;
	}
	if (free < 0)
		return -ENOSPC;
	kvm_memslot_backends[free] = ops;
	return 0;
}

/**
 * kvm_memslot_unregister_backend() - withdraw a VM type
 * @ops: a registered backend; no VM of its types may be left
 */
void kvm_memslot_unregister_backend(const struct kvm_memslot_ops *ops)
{
	int i;

	for (i = 0; i < KVM_MEMSLOT_MAX_BACKENDS; i++)
		if (kvm_memslot_backends[i] == ops)
			kvm_memslot_backends[i] = NULL;
}

/**
 * kvm_memslot_backend() - the backend a KVM_CREATE_VM type selects
 * @type: the type passed to KVM_CREATE_VM
 *
 * Return: the backend's ops, or NULL if no backend implements @type.
 */
const struct kvm_memslot_ops *kvm_memslot_backend(unsigned long type)
{
	const struct kvm_memslot_ops *ops;
	int i;

	for (i = 0; i < KVM_MEMSLOT_MAX_BACKENDS; i++) {
		ops = kvm_memslot_backends[i];
		if (ops && (type & ops->vm_type_mask) == ops->vm_type)
			return ops;
	}
	return NULL;
}

/**
 * kvm_memslot_backend_at() - walk the registered backends
 * @i: 0 for the first one, then 1, ...
 *
 * Return: the @i-th registered backend, NULL if fewer are registered.
 */
const struct kvm_memslot_ops *kvm_memslot_backend_at(unsigned int i)
{
	int j;

	for (j = 0; j < KVM_MEMSLOT_MAX_BACKENDS; j++)
		if (kvm_memslot_backends[j] && !i--)
			return kvm_memslot_backends[j];
	return NULL;
}

/**
 * kvm_memslot_backends_init() - initialize every backend the module links
 *
 * Return: 0, or the first backend's error, every backend undone.
 */
int kvm_memslot_backends_init(void)
{
	int i, r;

	for (i = 0; kvm_memslot_backend_list[i].init; i++) {
		r = kvm_memslot_backend_list[i].init();
		if (r) {
			while (i--)
				kvm_memslot_backend_list[i].exit();
			return r;
		}
	}
	return 0;
}

/**
 * kvm_memslot_backends_exit() - undo kvm_memslot_backends_init()
 */
void kvm_memslot_backends_exit(void)
{
	int i;

	for (i = ARRAY_SIZE(kvm_memslot_backend_list) - 1; i-- > 0;)
		kvm_memslot_backend_list[i].exit();
}
