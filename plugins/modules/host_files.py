#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: host_files
short_description: Directories, rendered files and secret files of a host service in one step
version_added: "0.1.0"
description:
  - Makes a set of directories and files on the host exactly as declared, in one module run. The
    directories exist with their modes, every file has its content and mode, and files matched by
    O(absent) that are not declared are removed.
  - The whole declaration is checked before anything changes (absolute and unique paths, octal
    modes, a parent directory for every file, no directory where a file goes); a bad one fails
    with nothing written.
  - Files are written to a temporary file in their directory, synced and renamed into place, so a
    service never reads a torn file. Unchanged files are not touched.
  - Content of O(secret_files) is never returned, logged or shown in a diff; only their paths are.
author:
  - CobaltCore for Ansible maintainers (@c5c3)
options:
  directories:
    description:
      - Directories to create (with missing parents) before the files are written, in order.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      mode:
        description:
          - Mode as an octal string, enforced on an existing directory too. Without it a missing
            directory is created C(0755) and an existing one keeps its mode.
        type: str
  files:
    description:
      - Files with their whole content (text). Shown in a diff.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path; its directory must exist or be listed in O(directories).
        type: path
        required: true
      content:
        description: The whole content of the file.
        type: str
        required: true
      mode:
        description: Mode as an octal string.
        type: str
        default: "0644"
  secret_files:
    description:
      - Files whose content is secret (passwords, connection URLs). Same as O(files), but the
        content is never returned or shown in a diff.
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path; its directory must exist or be listed in O(directories).
        type: path
        required: true
      content:
        description: The whole content of the file.
        type: str
        required: true
      mode:
        description: Mode as an octal string.
        type: str
        default: "0600"
  absent:
    description:
      - Absolute paths or shell patterns (C(*), C(?), C([...])) of files this declaration owns.
        Every regular file they match that is not declared in O(files) or O(secret_files) is
        removed, for example a policy file whose overrides were all dropped.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    description: Reports what would change and changes nothing.
    support: full
  diff_mode:
    description: One diff per changed file of O(files); secret files show their path only.
    support: full
notes:
  - Owner and group are left as they are; the files belong to the user the play runs as.
"""

EXAMPLES = r"""
- name: Configuration, secret fragment and state directory of a host keystone
  c5c3.cobaltcore.host_files:
    directories:
      - {path: /etc/keystone, mode: "0755"}
      - {path: /var/lib/keystone/secrets, mode: "0700"}
    files:
      - {path: /etc/keystone/keystone.conf, content: "{{ keystone_conf }}"}
      - {path: /etc/keystone/policy.yaml, content: "{{ policy_yaml }}"}
    secret_files:
      - {path: /var/lib/keystone/secrets/keystone-secrets.conf, content: "{{ secret_fragment }}"}
    absent:
      - /etc/keystone/policy.yaml
      - /etc/keystone/domains/keystone.*.conf
  register: keystone_files
"""

RETURN = r"""
directories:
  description: Directories created or whose mode was changed.
  returned: always
  type: list
  elements: str
written:
  description: Files (secret ones included) created or whose content or mode was changed.
  returned: always
  type: list
  elements: str
removed:
  description: Files removed because O(absent) matched them and they are not declared.
  returned: always
  type: list
  elements: str
"""

import glob
import os
import stat
from collections import namedtuple

from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.files import atomic_write, fsync_dir

WantedFile = namedtuple("WantedFile", "path data mode secret")

_FILE_OPTIONS = dict(path=dict(type="path", required=True), content=dict(type="str", required=True),
                     mode=dict(type="str"))


def _mode(value, what):
    try:
        mode = int(value, 8)
    except (TypeError, ValueError):
        mode = -1
    if not 0 <= mode <= 0o7777:
        raise ValueError("%s: mode %r is not an octal mode such as 0644" % (what, value))
    return mode


def _read(path):
    with open(path, "rb") as handle:
        return handle.read()


class HostFiles(CobaltCoreModule):
    argument_spec = dict(
        directories=dict(type="list", elements="dict", default=[],
                         options=dict(path=dict(type="path", required=True), mode=dict(type="str"))),
        files=dict(type="list", elements="dict", default=[],
                   options=dict(_FILE_OPTIONS, mode=dict(type="str", default="0644"))),
        # Only the content is secret: masking paths and modes would hide every "0600" in the output.
        secret_files=dict(type="list", elements="dict", default=[], no_log=False,
                          options=dict(_FILE_OPTIONS, content=dict(type="str", required=True, no_log=True),
                                       mode=dict(type="str", default="0600"))),
        absent=dict(type="list", elements="str", default=[]),
    )

    def run(self):
        directories, files = self._validated()
        self.diff = []
        made = [d for d in directories if self._directory_change(*d)]
        writes = [f for f in files if self._file_change(f)]
        declared = set(wanted.path for wanted in files)
        removals = sorted(set(
            path for pattern in self.params["absent"] for path in glob.glob(pattern)
            if path not in declared and os.path.isfile(path) and not os.path.islink(path)))
        self.changed = bool(made or writes or removals)
        self.results.update(directories=[d[0] for d in made], written=[f.path for f in writes], removed=removals)
        if self.diff_mode:
            self.diff.extend(self._diff(f) for f in writes)
            # A removed file may have held a secret (a domain's LDAP password): its path only.
            self.diff.extend({"before": {"path": p, "state": "file"}, "after": {"path": p, "state": "absent"}}
                             for p in removals)
        if self.check_mode:
            return
        for path, mode in made:
            if not os.path.isdir(path):
                os.makedirs(path, 0o755 if mode is None else mode)
            if mode is not None:
                os.chmod(path, mode)
        touched = set()
        for wanted in writes:
            if self._content_differs(wanted.path, wanted.data):
                atomic_write(wanted.path, wanted.data, wanted.mode)
            else:
                os.chmod(wanted.path, wanted.mode)
            touched.add(os.path.dirname(wanted.path))
        for path in removals:
            os.unlink(path)
            touched.add(os.path.dirname(path))
        for directory in sorted(touched):
            fsync_dir(directory)

    def _validated(self):
        """``[(path, mode or None)]`` and ``[WantedFile]``; fails on the first problem."""
        try:
            directories = [(os.path.normpath(d["path"]), None if d["mode"] is None else _mode(d["mode"], d["path"]))
                           for d in self.params["directories"]]
            files = [WantedFile(os.path.normpath(f["path"]), to_bytes(f["content"], errors="surrogate_or_strict"),
                                _mode(f["mode"], f["path"]), secret)
                     for key, secret in (("files", False), ("secret_files", True)) for f in self.params[key]]
        except ValueError as exc:
            self.fail(str(exc))
        paths = [d[0] for d in directories] + [f.path for f in files]
        relative = [p for p in paths + list(self.params["absent"]) if not os.path.isabs(p)]
        if relative:
            self.fail("paths must be absolute: %s" % ", ".join(relative))
        duplicates = sorted(set(p for p in paths if paths.count(p) > 1))
        if duplicates:
            self.fail("paths declared more than once: %s" % ", ".join(duplicates))
        listed = set(d[0] for d in directories)
        for path in listed:
            if os.path.lexists(path) and not os.path.isdir(path):
                self.fail("%s exists and is not a directory" % path)
        for path in (wanted.path for wanted in files):
            parent = os.path.dirname(path)
            if parent not in listed and not os.path.isdir(parent):
                self.fail("the directory of %s does not exist and is not in directories" % path)
            if os.path.lexists(path) and not stat.S_ISREG(os.lstat(path).st_mode):
                self.fail("%s exists and is not a regular file" % path)
        return directories, files

    @staticmethod
    def _directory_change(path, mode):
        if not os.path.isdir(path):
            return True
        return mode is not None and stat.S_IMODE(os.stat(path).st_mode) != mode

    def _file_change(self, wanted):
        if not os.path.exists(wanted.path):
            return True
        return stat.S_IMODE(os.stat(wanted.path).st_mode) != wanted.mode or self._content_differs(wanted.path, wanted.data)

    @staticmethod
    def _content_differs(path, data):
        return not os.path.exists(path) or _read(path) != data

    @staticmethod
    def _diff(wanted):
        path, data, mode, secret = wanted
        exists = os.path.exists(path)
        before = _read(path).decode("utf-8", "replace") if exists else ""
        after = data.decode("utf-8", "replace")
        if secret:
            before, after = ("(secret)\n" if exists else ""), "(secret)\n"
        if exists:
            old_mode = "%04o" % stat.S_IMODE(os.stat(path).st_mode)
            if old_mode != "%04o" % mode:
                before, after = "mode %s\n%s" % (old_mode, before), "mode %04o\n%s" % (mode, after)
        return {"before_header": path if exists else "%s (absent)" % path, "after_header": path,
                "before": before, "after": after}


def main():
    HostFiles()()


if __name__ == "__main__":
    main()
