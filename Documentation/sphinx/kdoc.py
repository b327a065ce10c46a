# SPDX-License-Identifier: GPL-2.0-only
"""Sphinx directive ``kernel-doc``: the kernel-doc comments of a source file.

    .. kernel-doc:: include/uapi/linux/kvm_memslot.h
       :nosymbol: name1 name2

runs the kernel's ``scripts/kernel-doc -rst`` on the file (a path from the
top of the tree) and parses what it prints in place; ``:nosymbol:`` leaves
the named declarations out, ``:identifiers:`` keeps only them.  The script
is not part of this tree: the one Debian ships in linux-kbuild-<version>
(or in a linux-headers package) is used, or the one named by $KERNELDOC.
Every warning the script prints becomes a Sphinx warning, so
``sphinx-build -W`` fails on an undocumented member as the kernel's
documentation build would report it.
"""

import glob
import os
import re
import subprocess

import sphinx
from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import ViewList
from sphinx.util import logging
from sphinx.util.nodes import nested_parse_with_titles

logger = logging.getLogger(__name__)

LINENO = re.compile(r'^\.\. LINENO (\d+)$')


def version_key(path):
    return [int(n) if n.isdigit() else n for n in re.split(r'(\d+)', path)]


def find_kernel_doc():
    env = os.environ.get('KERNELDOC')
    if env:
        return env
    candidates = sorted(glob.glob('/usr/lib/linux-kbuild-*/scripts/kernel-doc'),
                        key=version_key)
    candidates += sorted(glob.glob('/usr/src/linux-headers-*/scripts/kernel-doc'),
                         key=version_key)
    return candidates[-1] if candidates else None


TAG = re.compile(r'^\.\. c:(?:struct|union|enum):: (\w+)')
FUNCTION = re.compile(r'^\.\. c:function:: .*?(\w+)\s*\(')
DECLARATION = re.compile(r'^\.\. c:\w+::')


def separate_tags(lines):
    """Put functions named like a struct, union or enum in a scope.

    C keeps tags and ordinary identifiers apart (struct kvm_memslot_host_vm
    and the function kvm_memslot_host_vm() may both exist); Sphinx's C
    domain has one name space and calls the second a duplicate.  Such a
    function is declared in the scope "function" instead.
    """
    tags = {m.group(1) for m in map(TAG.match, lines) if m}
    out = []
    scoped = False
    for line in lines:
        if scoped and DECLARATION.match(line):
            out += ['.. c:namespace-pop::', '']
            scoped = False
        match = FUNCTION.match(line)
        if match and match.group(1) in tags:
            out += ['.. c:namespace-push:: function', '']
            scoped = True
        out.append(line)
    if scoped:
        out += ['', '.. c:namespace-pop::', '']
    return out


class KernelDoc(Directive):
    required_arguments = 1
    optional_arguments = 0
    option_spec = {
        'nosymbol': directives.unchanged,
        'identifiers': directives.unchanged,
    }
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        script = find_kernel_doc()
        if not script:
            raise self.error('kernel-doc: no scripts/kernel-doc found '
                             '(install linux-kbuild-6.1, or set KERNELDOC)')
        path = os.path.join(env.config.kerneldoc_srctree, self.arguments[0])
        env.note_dependency(os.path.abspath(path))
        cmd = ['perl', script, '-rst', '-enable-lineno',
               '-sphinx-version', sphinx.__version__]
        for sym in self.options.get('nosymbol', '').split():
            cmd += ['-nosymbol', sym]
        # Only the named declarations, as the kernel's own directive does:
        # kernel-doc's -function selects structs, unions and enums too, and
        # the file's DOC: sections are left out.
        identifiers = self.options.get('identifiers', '').split()
        if identifiers:
            cmd.append('-no-doc-sections')
        for sym in identifiers:
            cmd += ['-function', sym]
        cmd.append(path)
        proc = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True,
                              check=False)
        for line in proc.stderr.splitlines():
            logger.warning('kernel-doc: %s', line,
                           location=(env.docname, self.lineno))
        if proc.returncode and not proc.stderr:
            logger.warning('kernel-doc: %s exited with status %d', script,
                           proc.returncode, location=(env.docname, self.lineno))

        result = ViewList()
        lineno = 0
        for line in separate_tags(proc.stdout.splitlines()):
            match = LINENO.match(line)
            if match:
                lineno = int(match.group(1)) - 1
                continue
            result.append(line, self.arguments[0], lineno)
        node = nodes.section()
        nested_parse_with_titles(self.state, result, node)
        return node.children


def setup(app):
    app.add_config_value('kerneldoc_srctree', '..', 'env')
    app.add_directive('kernel-doc', KernelDoc)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
