/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The fake host mm of host_mm.c, which replaces
 * ../../virt/kvm/memslot_host_mm.c in the harness: what the tests see of
 * it and change in it.
 */
#ifndef _TEST_HOST_MM_H
#define _TEST_HOST_MM_H

#include <stdbool.h>

#define NR_HOST_PAGES	64
#define PFN_BASE	0x10000UL

/* A page of the fake mm. */
struct fake_pte {
	unsigned long pfn;	/* 0: nothing mapped */
	bool writable;
};

/* Pins taken, over all pages. */
extern unsigned long pins;
/* Pins per host page. */
extern unsigned long page_pins[NR_HOST_PAGES];
/* Called at the start of every pin, to change things under a refresh. */
extern void (*pin_hook)(unsigned long hva);

/* The page of the fake mm at @hva (asserts it is one). */
struct fake_pte *fake_pte(unsigned long hva);
/* A frame never handed out before. */
unsigned long fake_new_pfn(void);
/* Map every page of the fake mm, writable, to a new frame; no pins. */
void fake_mm_reset(void);
/* The frame the fake mm maps at @hva, 0 if none. */
unsigned long fake_pfn(unsigned long hva);
/* References held on @pfn. */
int fake_ref(unsigned long pfn);
/* References held on every frame. */
int fake_total_refs(void);

#endif
