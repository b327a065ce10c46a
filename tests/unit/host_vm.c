// SPDX-License-Identifier: GPL-2.0-only
/* VMs with a registered MMU notifier, for the unit tests (see host_vm.h). */
#include <stdlib.h>

#include "host_vm.h"

struct test_host_vm {
	struct kvm_memslot_host_vm host;
	struct mm_struct mm;
	struct tvm_baseline base;
};

static struct test_host_vm *to_thvm(struct kvm_memslot_host_vm *vm)
{
	return container_of(vm, struct test_host_vm, host);
}

struct kvm_memslot_host_vm *thvm_create(const struct kvm_memslot_ops *ops,
					void *arch)
{
	struct tvm_baseline base;
	struct test_host_vm *t;

	tvm_baseline_take(&base);
	t = calloc(1, sizeof(*t));
	assert_non_null(t);
	t->base = base;
	assert_int_equal(kvm_memslot_vm_init(&t->host.core, ops, arch), 0);
	harness_mm_init(&t->mm);
	t->host.mm = &t->mm;
	assert_int_equal(kvm_memslot_mmu_notifier_register(&t->host), 0);
	return &t->host;
}

struct mm_struct *thvm_mm(struct kvm_memslot_host_vm *vm)
{
	return &to_thvm(vm)->mm;
}

void thvm_destroy(struct kvm_memslot_host_vm *vm)
{
	struct test_host_vm *t = to_thvm(vm);

	harness_rcu_reset_reader();
	kvm_memslot_mmu_notifier_unregister(vm);
	kvm_memslot_vm_destroy(&vm->core);
	tvm_baseline_check(&t->base, "kvm_memslot_vm_destroy");
	harness_quiesce();
	free(t);
}
