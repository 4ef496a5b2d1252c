# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One base class for the collection's modules.

A module is a thin declaration of its arguments plus a ``run()``; the base class builds the
AnsibleModule, turns :class:`ModuleFailure` into a clean ``fail_json`` (nothing changed, no
traceback), and collects ``changed``, ``diff`` and return values in one place.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib


class ModuleFailure(Exception):
    """A failure the user can act on; ``details`` are returned alongside the message."""

    def __init__(self, msg, **details):
        super(ModuleFailure, self).__init__(msg)
        self.msg = msg
        self.details = details


class CobaltCoreModule(object):
    """Subclasses set ``argument_spec`` (and optionally ``module_kwargs``) and implement ``run``."""

    argument_spec = {}
    module_kwargs = {}
    supports_check_mode = True
    # (library name, import error or None) pairs checked before run()
    required_libraries = ()

    def __init__(self):
        self.module = AnsibleModule(
            argument_spec=self.argument_spec,
            supports_check_mode=self.supports_check_mode,
            **self.module_kwargs
        )
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self.diff_mode = self.module._diff
        self.changed = False
        self.results = {}
        self.diff = {"before": {}, "after": {}}

    def run(self):
        raise NotImplementedError

    def fail(self, msg, **details):
        raise ModuleFailure(msg, **details)

    def __call__(self):
        for name, error in self.required_libraries:
            if error is not None:
                self.module.fail_json(msg=missing_required_lib(name), exception=error)
        try:
            self.run()
        except ModuleFailure as failure:
            self.module.fail_json(msg=failure.msg, changed=False, **failure.details)
        except Exception as exc:  # pylint: disable=broad-except
            self.module.fail_json(msg="%s: %s" % (type(exc).__name__, exc), changed=False,
                                  exception=traceback.format_exc())
        result = dict(self.results, changed=self.changed)
        # One before/after pair, or a list of them (one per file) from a module that changes several.
        if self.diff_mode and (self.diff if isinstance(self.diff, list) else (self.diff["before"] or self.diff["after"])):
            result["diff"] = self.diff
        self.module.exit_json(**result)
