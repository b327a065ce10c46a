# SPDX-License-Identifier: GPL-2.0-only
# Sphinx configuration of kvm-memslot's documentation: `make docs`.
import os
import sys

sys.dont_write_bytecode = True

sys.path.insert(0, os.path.join(os.path.abspath(os.path.dirname(__file__)),
                                'sphinx'))

project = 'kvm-memslot'
copyright = 'The kvm-memslot authors'
extensions = ['kdoc']
kerneldoc_srctree = os.path.abspath(os.path.join(os.path.dirname(__file__),
                                                 '..'))
master_doc = 'index'
exclude_patterns = ['output']
primary_domain = 'c'
highlight_language = 'none'
# Kernel annotations the C domain must accept in declarations.
c_id_attributes = ['__user', '__rcu', '__must_check', '__always_inline']
html_theme = 'alabaster'
