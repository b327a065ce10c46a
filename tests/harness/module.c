// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the module does when it loads and unloads (virt/kvm/memslot_main.c),
 * done around main() for every test and benchmark: the core allocates its
 * tree nodes from caches that kvm_memslot_tree_init() creates.
 */
#include <stdio.h>
#include <stdlib.h>

#include <linux/kvm_memslot.h>

static void __attribute__((constructor)) harness_module_load(void)
{
	if (kvm_memslot_tree_init()) {
		fprintf(stderr, "harness: kvm_memslot_tree_init() failed\n");
		abort();
	}
}

static void __attribute__((destructor)) harness_module_unload(void)
{
	kvm_memslot_tree_exit();
}
