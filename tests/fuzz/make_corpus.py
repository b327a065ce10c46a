#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Write the seed corpus of fuzz_memslot (tests/fuzz/corpus/memslot/).

Each seed is a short, meaningful operation sequence in the encoding that
fuzz_memslot.c decodes, so that the fuzzer starts from inputs that reach
every kind of operation (faults that hit, 2 MiB mappings, dirty-log
harvests, cache fills, nested invalidations) instead of finding them by
chance.  Run it from anywhere; it rewrites the directory.
"""
import os
import sys

# Operation numbers, in the order of enum op in fuzz_memslot.c.
(SET_REGION, BATCH, SET_REGION_NOMEM, GET_DIRTY_LOG, CLEAR_DIRTY_LOG,
 MANUAL_PROTECT, VCPU_ACCESS, GPC, INV_START, INV_END, AGE,
 HOST_MPROTECT_RW) = range(12)
INV_UNMAP, INV_REPLACE, INV_PROTECT, INV_COLLAPSE, INV_NONE = range(5)
LOG, RO = 1, 2


def region_new(as_id, sid, flags, gpa, size, hva):
    """A region decoded from scratch; gpa/size/hva are (mode, byte)."""
    return [0, as_id, sid, flags, *gpa, *size, *hva]


def region_at(slot_idx, kind, *extra):
    """A change of the slot_idx-th model slot: kind is the sub-operation
    (0 delete, 2 move, 4 toggle logging, 5 set flags, 6 hva, 7 size)."""
    return [1 | kind << 2, slot_idx, *extra]


# Argument encodings (see pick_gpa, pick_size, pick_hva).
def gpa_512k(n): return (0, n)          # n * 512 KiB
def gpa_pages(n): return (3, n)         # n pages
def size_pages(n): return (0, n - 1)    # 1..64 pages
def size_2m(n): return (3, n - 1)       # 1..4 x 2 MiB
def hva_16p(n): return (0, n)           # 16 * n pages into the host mm
def hva_frame(n): return (3, n)         # 2 MiB frame n (odd: a THP)


def gfn_in(slot_idx, off, past_end=False):
    m = 0x1d if past_end else 1
    return [m, off & 0xff, off >> 8, slot_idx]


def access(write, slot_idx, off):
    return [VCPU_ACCESS, 1 if write else 0, *gfn_in(slot_idx, off)]


def hva_range_pages(first, n):          # 1..64 pages
    return [1 | (n - 1) << 2, first & 0xff, first >> 8]


def hva_range_frames(first_page, n):    # whole frames
    return [2 | (n - 1) << 2, first_page & 0xff, first_page >> 8]


def inv_start(kind, rng): return [INV_START, kind, *rng]
def inv_end(i=0): return [INV_END, i]


def gpc_activate(idx, slot_idx, off, length=8):
    return [GPC, idx, length, *gfn_in(slot_idx, off), 0]


def gpc_refresh(idx): return [GPC, idx | 1 << 2]
def gpc_use(idx): return [GPC, idx | 2 << 2]
def gpc_deactivate(idx): return [GPC, idx | 3 << 2]


def get_log(slot_idx): return [GET_DIRTY_LOG, slot_idx, 0]


def clear_log_all(slot_idx):            # whole slot, every bit
    return [CLEAR_DIRTY_LOG, slot_idx, 0x20]


def seq(backend, *ops):
    out = [backend]
    for o in ops:
        out += o
    return bytes(out)


def op(code, *args): return [code, *args]


SEEDS = {
    # 2 MiB slot on a THP: 2 MiB mappings, then a partial invalidation
    # splits the host frame, faults inside and after it.
    "thp-split": seq(0,
        op(SET_REGION, *region_new(0, 0, 0, gpa_512k(4), size_2m(1), hva_frame(1))),
        access(False, 0, 5), access(True, 0, 300), access(False, 0, 511),
        inv_start(INV_REPLACE, hva_range_pages(512 + 7, 1)),
        access(True, 0, 7), access(False, 0, 8),
        inv_start(INV_UNMAP, hva_range_pages(512 + 100, 4)),
        inv_end(1), access(True, 0, 101), inv_end(0),
        access(True, 0, 7), access(False, 0, 200)),
    # The same on NPT, with a read-only host frame made writable again.
    "thp-protect": seq(1,
        op(SET_REGION, *region_new(0, 1, 0, gpa_512k(8), size_2m(2), hva_frame(3))),
        access(False, 1, 0), access(True, 1, 600),
        inv_start(INV_PROTECT, hva_range_frames(3 * 512, 1)), inv_end(),
        access(False, 1, 3), access(True, 1, 3),
        op(HOST_MPROTECT_RW, *hva_range_frames(3 * 512, 1)),
        access(True, 1, 4), access(True, 1, 700),
        inv_start(INV_COLLAPSE, hva_range_frames(4 * 512, 1)), inv_end(),
        access(False, 1, 520)),
    # Dirty logging: writes, harvest, manual protection, clear.
    "dirty-log": seq(0,
        op(SET_REGION, *region_new(0, 2, LOG, gpa_pages(64), size_pages(64), hva_16p(2))),
        access(True, 0, 1), access(True, 0, 2), access(False, 0, 3),
        get_log(0), access(True, 0, 1), access(True, 0, 40),
        op(MANUAL_PROTECT, 1), get_log(0), clear_log_all(0),
        access(True, 0, 40), get_log(0),
        op(SET_REGION, *region_at(0, 4)), access(True, 0, 5),
        op(SET_REGION, *region_at(0, 4)), access(True, 0, 6), get_log(0),
        op(MANUAL_PROTECT, 2),
        op(SET_REGION, *region_new(1, 3, LOG, gpa_pages(64), size_pages(8), hva_16p(9))),
        get_log(1), clear_log_all(1)),
    # Caches: fill, use, invalidate, refresh, lose the slot.
    "gpc": seq(0,
        op(SET_REGION, *region_new(0, 0, 0, gpa_pages(16), size_pages(16), hva_16p(1))),
        op(SET_REGION, *region_new(0, 1, RO, gpa_pages(48), size_pages(4), hva_16p(3))),
        gpc_activate(1, 0, 3), gpc_refresh(1), gpc_use(1),
        gpc_activate(0, 1, 1), gpc_refresh(0), gpc_use(0),
        gpc_activate(3, 1, 2), gpc_refresh(3),
        inv_start(INV_REPLACE, hva_range_pages(16 + 3, 1)), gpc_use(1),
        inv_end(), gpc_refresh(1), gpc_use(1),
        op(SET_REGION, *region_at(0, 2, *gpa_pages(128))), gpc_use(1),
        gpc_refresh(1), gpc_deactivate(1), gpc_deactivate(0)),
    # A refresh while invalidations of other pages are in flight (their
    # union covers the cache's page): it must neither wait nor fail.
    "gpc-nonoverlap": seq(0,
        op(SET_REGION, *region_new(0, 0, 0, gpa_pages(16), size_pages(16), hva_16p(1))),
        gpc_activate(1, 0, 4), gpc_refresh(1),
        inv_start(INV_REPLACE, hva_range_pages(16, 1)),
        inv_start(INV_REPLACE, hva_range_pages(16 + 12, 1)),
        gpc_refresh(1), gpc_use(1), access(True, 0, 4), inv_end(1),
        gpc_refresh(1), inv_end(0), gpc_use(1)),
    # Batches: a move, a delete and a create with the same id, a failure.
    "batch": seq(1,
        op(SET_REGION, *region_new(0, 0, 0, gpa_pages(0), size_pages(8), hva_16p(0))),
        op(SET_REGION, *region_new(0, 1, 0, gpa_pages(16), size_pages(8), hva_16p(1))),
        access(True, 0, 1), access(True, 1, 1),
        op(BATCH, 2, *region_at(0, 0), *region_new(0, 0, 0, gpa_pages(32), size_pages(4), hva_16p(4)),
           *region_at(1, 2, *gpa_pages(8))),
        access(False, 0, 0), access(False, 1, 0),
        op(BATCH, 1, *region_at(0, 2, *gpa_pages(64)), *region_at(0, 0)),
        access(False, 0, 2)),
    # Validation: every check of 6.1 once, and which one wins.
    "errno": seq(0,
        op(SET_REGION, *region_new(0, 0xf1, 0, gpa_pages(0), size_pages(1), hva_16p(0))),
        op(SET_REGION, *region_new(0, 0, 0xc0, gpa_pages(0), size_pages(1), hva_16p(0))),
        op(SET_REGION, *region_new(0, 0, 0xe3, gpa_pages(0), size_pages(1), hva_16p(0))),
        op(SET_REGION, *region_new(0, 0, 0, gpa_pages(0), (6, 1), hva_16p(0))),
        op(SET_REGION, *region_new(0, 0, 0, (5, 3), size_pages(1), hva_16p(0))),
        op(SET_REGION, *region_new(0, 0, 0, gpa_pages(0), size_pages(1), (6, 1))),
        op(SET_REGION, *region_new(0, 0, 0, gpa_pages(0), size_pages(1), (7, 0))),
        op(SET_REGION, *region_new(0xfa, 0, 0, gpa_pages(0), size_pages(1), hva_16p(0))),
        op(SET_REGION, *region_new(0, 0, 0, (7, 1), size_pages(2), hva_16p(0))),
        op(SET_REGION, *region_new(0, 0, 0, gpa_pages(0), (7, 1), hva_16p(0))),
        op(SET_REGION, *region_new(0, 0, 0, (6, 1), size_pages(2), hva_16p(0))),
        op(SET_REGION, *region_new(0, 0, 0, gpa_pages(0), (5, 0), hva_16p(0))),
        op(SET_REGION, *region_new(0, 0, 0, gpa_pages(4), size_pages(8), hva_16p(0))),
        op(SET_REGION, *region_new(0, 1, 0, gpa_pages(8), size_pages(8), hva_16p(1))),
        op(SET_REGION, *region_at(0, 6, *hva_16p(5))),
        op(SET_REGION, *region_at(0, 7, *size_pages(3))),
        op(SET_REGION, *region_at(0, 5, RO)),
        get_log(0), [GET_DIRTY_LOG, 0, 7, 0xfa, 0], [CLEAR_DIRTY_LOG, 0, 0x38, 3, 5]),
    # Allocation failures in creates, moves and batches.
    "nomem": seq(0,
        op(SET_REGION_NOMEM, 0, *region_new(0, 0, 0, gpa_pages(0), size_pages(8), hva_16p(0))),
        op(SET_REGION_NOMEM, 2, *region_new(0, 0, 0, gpa_pages(0), size_pages(8), hva_16p(0))),
        op(SET_REGION, *region_new(0, 1, 0, gpa_pages(32), size_pages(8), hva_16p(1))),
        access(True, 1, 0),
        op(SET_REGION_NOMEM, 6, *region_at(0, 2, *gpa_pages(64))),
        op(SET_REGION_NOMEM, 9, *region_at(0, 2, *gpa_pages(64)), *region_at(0, 4)),
        access(True, 1, 1)),
    # Aging and MMIO exits, in both address spaces.
    "age-mmio": seq(1,
        op(SET_REGION, *region_new(1, 2, 0, gpa_pages(10), size_pages(4), hva_16p(6))),
        access(False, 0, 1), access(True, 0, 2),
        [VCPU_ACCESS, 0, 0x80, 5, 0], [VCPU_ACCESS, 0, 0x80, 5, 0],
        [AGE, 0, *hva_range_pages(96, 8)], [AGE, 2, *hva_range_pages(97, 1)],
        [AGE, 1, *hva_range_pages(96, 8)], access(False, 0, 1),
        op(SET_REGION, *region_new(1, 3, 0, gpa_pages(5), size_pages(1), hva_16p(7))),
        [VCPU_ACCESS, 0, 0x80, 5, 0]),
}


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "corpus", "memslot")
    os.makedirs(out, exist_ok=True)
    for f in os.listdir(out):
        if f.startswith("seed-"):
            os.unlink(os.path.join(out, f))
    for name, data in SEEDS.items():
        with open(os.path.join(out, "seed-" + name), "wb") as f:
            f.write(data)
        print(f"seed-{name}: {len(data)} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
