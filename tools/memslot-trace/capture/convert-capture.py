#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""convert-capture: turn the logs that guest-capture.sh printed on the guest
console into traces (shared/traces/FORMAT.md), with memslot-record's own
conversion (read_log, write_trace, strace_sets), then complete the header
with what only the guest knows (its kernel and KVM, the wrapper, the hva
aliasing).

    convert-capture.py [--record PATH] [--out DIR] CONSOLE_LOG
"""
import argparse
import hashlib
import importlib.machinery
import importlib.util
import os
import re
import sys
import tempfile
import types

here = os.path.dirname(os.path.abspath(__file__))


def load_record(path):
    loader = importlib.machinery.SourceFileLoader("memslot_record", path)
    spec = importlib.util.spec_from_loader("memslot_record", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def parse_console(path):
    """{(name, file): text} of the @@@CAPTURE FILE blocks, md5-checked."""
    files, cur, lines, want = {}, None, [], None
    begin = re.compile(r"@@@CAPTURE FILE (\S+) (\S+) lines=(\d+) md5=([0-9a-f]+)@@@")
    with open(path, errors="replace") as f:
        for raw in f:
            raw = raw.rstrip("\n")
            m = begin.search(raw)
            if m:
                cur, lines, want = (m.group(1), m.group(2)), [], (int(m.group(3)), m.group(4))
                continue
            if cur is None:
                continue
            if raw.startswith("@@@CAPTURE END "):
                text = "".join(l + "\n" for l in lines)
                md5 = hashlib.md5(text.encode()).hexdigest()
                if len(lines) != want[0] or md5 != want[1]:
                    sys.exit("convert-capture: %s/%s garbled on the console (%d lines md5 %s, "
                             "expected %d lines md5 %s)" % (cur[0], cur[1], len(lines), md5,
                                                           want[0], want[1]))
                files[cur] = text
                cur = None
            elif raw.startswith("@@C "):
                lines.append(raw[4:])
            elif raw == "@@C":
                lines.append("")
            # anything else: a kernel message interleaved; the md5 decides
    return files


def kv(text):
    d = {}
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        d.setdefault(k, []).append(v)
    return d


def aliasing(trace_lines):
    """Pairs of simultaneously live slots whose hva ranges overlap."""
    live, pairs = {}, []
    for line in trace_lines:
        w = line.split()
        if len(w) < 9 or w[0] != "set" or w[7] != "->" or w[8] != "0":
            continue
        key = (int(w[1]), int(w[2]))
        gpa, size, hva = int(w[4], 0), int(w[5], 0), int(w[6], 0)
        if size == 0:
            live.pop(key, None)
            continue
        live.pop(key, None)
        for k2, (g2, s2, h2) in sorted(live.items()):
            if hva < h2 + s2 and h2 < hva + size:
                a = (k2, g2, s2, h2)
                b = (key, gpa, size, hva)
                if (a, b) not in pairs:
                    pairs.append((a, b))
        live[key] = (gpa, size, hva)

    def fmt(x):
        (as_, slot), gpa, size, hva = x
        return "%sslot %d gpa %#x+%#x hva %#x" % ("as %d " % as_ if as_ else "", slot, gpa, size, hva)
    return ["#   %s  <->  %s" % (fmt(a), fmt(b)) for a, b in pairs]


# ioctl numbers as strace -X raw prints them, and the logger's record kinds.
COUNTED = (("0x4020ae46", "SET", "SET_USER_MEMORY_REGION"),
           ("0x40a0ae49", "SET2", "SET_USER_MEMORY_REGION2"),
           ("0x4010ae42", "DIRTY", "GET_DIRTY_LOG"),
           ("0xc018aec0", "CLEAR", "CLEAR_DIRTY_LOG"),
           ("0xae03", "CHECK", "CHECK_EXTENSION"),
           ("0x4068aea3", "CAP", "ENABLE_CAP"))


def count_check(strace_text, log_text):
    """Every memslot ioctl strace saw must be in the logger's log too (the
    strace cross-check of memslot-record compares only the SET calls)."""
    st = {}
    for line in strace_text.splitlines():
        m = re.search(r"ioctl\(\d+, (0x[0-9a-f]+)", line)
        if m:
            st[m.group(1)] = st.get(m.group(1), 0) + 1
    lg = {}
    for line in log_text.splitlines():
        w = line.split()
        if len(w) > 1:
            lg[w[1]] = lg.get(w[1], 0) + 1
    parts, ok = [], True
    for num, kind, name in COUNTED:
        a, b = st.get(num, 0), lg.get(kind, 0)
        if a or b:
            parts.append("%s %d" % (name, a) if a == b else "%s strace %d logger %d" % (name, a, b))
            ok = ok and a == b
    return ok, ("# strace counts: " + ", ".join(parts) +
                ("; the logger has them all" if ok else "; MISMATCH"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--record", default=os.path.join(here, "..", "memslot-record"))
    ap.add_argument("--out", default=os.path.join(here, "..", "fixtures"))
    ap.add_argument("console")
    a = ap.parse_args()
    rec = load_record(a.record)
    files = parse_console(a.console)
    info = kv(files.get(("guest", "info"), ""))
    names = sorted({n for n, _ in files if n != "guest"})
    if not names:
        sys.exit("convert-capture: no capture in %s" % a.console)
    g = lambda k: (info.get(k) or ["?"])[0]
    params = ", ".join(v for v in info.get("param", []))
    bad = 0
    for name in names:
        meta = kv(files.get((name, "meta"), ""))
        if (name, "log") not in files:
            print("convert-capture: %s: no ioctl log (QEMU did not start?)" % name, file=sys.stderr)
            sys.stderr.write(files.get((name, "qemu.out"), ""))
            bad = 1
            continue
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "log")
            slog = os.path.join(tmp, "strace")
            with open(log, "w") as f:
                f.write(files[(name, "log")])
            with open(slog, "w") as f:
                f.write(files.get((name, "strace"), ""))
            notes = []
            for line in files.get((name, "notes"), "").splitlines():
                t, _, text = line.partition(" ")
                notes.append((float(t), text))
            t0 = notes[0][0]
            t1 = notes[-1][0]
            rc = int(meta["rc"][0])
            cmd = meta["cmdline"][0].split()
            outp = os.path.join(tmp, "trace")
            args = types.SimpleNamespace(name=name, desc=meta["desc"][0], output=outp)
            rec.write_trace(args, cmd, rec.read_log(log), notes, t0, t1, rc, slog)
            with open(outp) as f:
                lines = f.read().splitlines()
        body_start = lines.index("#")
        hdr, body = lines[:body_start], lines[body_start + 1:]
        new = []
        for h in hdr:
            if h.startswith("# source: "):
                h = ("# source: %s; captured by tools/memslot-trace/capture/capture-in-guest.sh: "
                     "memslot-record's LD_PRELOAD ioctl logger + %s in the guest, "
                     "converted with memslot-record's write_trace"
                     % (g("qemu"), g("strace").replace(" -- version ", " ")))
            elif h.startswith("# host: "):
                h = ("# host: %s (Debian 12 kernel) in a QEMU TCG guest (%s, %s CPUs, %s); "
                     "/dev/kvm = in-tree kvm + kvm-amd on TCG's SVM emulation (%s); results below are real"
                     % (g("uname"), g("cpu"), g("cpus"), g("address_sizes"), params))
            new.append(h)
            if h.startswith("# cmdline: "):
                new.append("# wrapper: " + meta["wrapper"][0])
            if h.startswith("# strace cross-check: "):
                cnt_ok, cnt = count_check(files.get((name, "strace"), ""), files[(name, "log")])
                new.append(cnt)
                if not cnt_ok:
                    print("convert-capture: %s: strace saw memslot ioctls the logger missed" % name,
                          file=sys.stderr)
                    bad = 1
            if h.startswith("# ops: "):
                al = aliasing(body)
                new.append("# hva aliasing: %d pair(s) of simultaneously live slots with overlapping "
                           "hva ranges" % len(al))
                new.extend(al)
        if any("cross-check: MISMATCH" in h for h in new):
            print("convert-capture: %s: strace and the logger disagree" % name, file=sys.stderr)
            bad = 1
        if rc != 0:
            print("convert-capture: %s: QEMU exit status %d" % (name, rc), file=sys.stderr)
            bad = 1
        dst = os.path.join(a.out, name + ".trace")
        with open(dst, "w") as f:
            f.write("\n".join(new + ["#"] + body) + "\n")
        ops = [h for h in new if h.startswith("# ops: ")]
        print("convert-capture: wrote %s (%s)" % (dst, ops[0][7:] if ops else "?"))
    return bad


if __name__ == "__main__":
    sys.exit(main())
