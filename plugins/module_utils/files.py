# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Crash-safe file writes shared by the modules that own files on a host (key repositories,
rendered configuration): a reader sees the old content or the new one, never a torn file."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile


def atomic_write(path, data, mode, uid=None, gid=None, prefix=".c5c3-"):
    """Write ``data`` (bytes) to ``path``: a temporary file in the same directory, with its mode
    (and owner) set before the data goes in, synced, then renamed over ``path``."""
    directory = os.path.dirname(path) or "."
    fd, temp = tempfile.mkstemp(prefix=prefix, dir=directory)
    try:
        os.fchmod(fd, mode)
        if uid is not None or gid is not None:
            os.fchown(fd, -1 if uid is None else uid, -1 if gid is None else gid)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
        os.close(fd)
        fd = None
        os.rename(temp, path)
    finally:
        if fd is not None:
            os.close(fd)
        if os.path.exists(temp):
            os.unlink(temp)


def fsync_dir(path):
    """Make renames and unlinks in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
