#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cr_wait
short_description: Wait until a custom resource reports a condition for its current generation
version_added: "0.1.0"
description:
  - Polls one custom resource until its C(status.observedGeneration) equals its
    C(metadata.generation) and its condition O(condition) (default C(Ready)) is C(True). A
    condition left over from an earlier generation does not count, so a wait right after a spec
    change does not return before the object's controller (the CobaltCore operator, say) has
    picked the change up. An object that does not exist yet is waited for.
  - One module process polls for the whole wait. A C(kubernetes.core.k8s_info) task with
    C(until) starts a process per attempt, about a CPU-second each.
  - Fails when the timeout passes first; the message names the object's C(Failed) condition when
    it has one. The object as last read is returned either way.
  - A read the apiserver does not answer (connection refused or reset, a timeout) or answers
    with a transient status (408, 429, 500, 502, 503, 504) does not end the wait; an apiserver
    restarting during a long wait costs no run. Any other refusal (403 Forbidden, 401) fails at
    once, naming the status.
  - Reads only; changes nothing.
author:
  - CobaltCore for Ansible maintainers (@c5c3)
options:
  condition:
    description:
      - Type of the condition that must be C(True).
    type: str
    default: Ready
  timeout:
    description:
      - Seconds to wait at most. V(0) reads once.
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between two reads.
    type: float
    default: 2.0
extends_documentation_fragment:
  - c5c3.cobaltcore.custom_object
notes:
  - Supports check mode (it reads only).
"""

EXAMPLES = r"""
- name: Wait for the operator to reconcile Keystone
  c5c3.cobaltcore.cr_wait:
    api_version: keystone.openstack.c5c3.io/v1alpha1
    kind: Keystone
    namespace: openstack
    name: keystone
    timeout: 1800
    kubeconfig: "{{ cobaltcore_kubeconfig | default(omit) }}"
  register: keystone_cr

- name: Show where it serves
  ansible.builtin.debug:
    msg: "{{ keystone_cr.resources[0].status.endpoint }}"
"""

RETURN = r"""
resources:
  description: The object as last read (as C(kubernetes.core.k8s_info) returns it), or an empty
    list when it does not exist.
  returned: always
  type: list
  elements: dict
ready:
  description: Whether the condition was C(True) for the current generation.
  returned: always
  type: bool
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
"""

import time

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.k8s_status import find_condition, true_for_generation
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.kube import (
    CUSTOM_OBJECT_ARGS, CustomObject, CustomObjectError, api_error_text, is_transient_api_error)

try:
    import kubernetes  # noqa: F401 pylint: disable=unused-import
    KUBERNETES_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover
    KUBERNETES_IMPORT_ERROR = exc


def waiting_for(obj, ctype):
    """Why ``obj`` is not there yet, for the failure message."""
    if not obj:
        return "does not exist"
    conditions = (obj.get("status") or {}).get("conditions")
    failed = find_condition(conditions, "Failed") or {}
    if failed.get("status") == "True":
        return "failed: %s: %s" % (failed.get("reason"), failed.get("message"))
    observed = (obj.get("status") or {}).get("observedGeneration")
    if observed != obj["metadata"].get("generation"):
        return "generation %s not observed yet (observed: %s)" % (obj["metadata"].get("generation"), observed)
    cond = find_condition(conditions, ctype) or {}
    return "%s is %s: %s" % (ctype, cond.get("status", "missing"), cond.get("message", ""))


class CrWait(CobaltCoreModule):
    argument_spec = dict(
        CUSTOM_OBJECT_ARGS,
        condition=dict(type="str", default="Ready"),
        timeout=dict(type="int", default=600),
        poll_interval=dict(type="float", default=2.0),
    )
    required_libraries = (("kubernetes", KUBERNETES_IMPORT_ERROR),)

    def run(self):
        p = self.params
        if p["timeout"] < 0 or p["poll_interval"] <= 0 or not p["condition"]:
            self.fail("timeout must be >= 0, poll_interval > 0 and condition a condition type")
        try:
            target = CustomObject(p)
        except CustomObjectError as exc:
            self.fail(str(exc))
        started = time.monotonic()
        deadline = started + p["timeout"]
        obj, ready, last_error = None, False, None
        while True:
            try:
                obj = target.resolve().get()
                last_error = None
                ready = true_for_generation(obj, p["condition"])
            except CustomObjectError as exc:
                self.fail(str(exc))
            except Exception as exc:  # pylint: disable=broad-except
                # An apiserver restarting or throttling does not end the wait; a refusal does.
                if not is_transient_api_error(exc):
                    self.fail("reading %s failed: %s" % (target, api_error_text(exc)))
                last_error = exc
            if ready or time.monotonic() >= deadline:
                break
            time.sleep(min(p["poll_interval"], max(0.0, deadline - time.monotonic())))
        self.results = {"resources": [obj] if obj else [], "ready": ready,
                        "waited": round(time.monotonic() - started, 1)}
        if not ready:
            why = waiting_for(obj, p["condition"]) if last_error is None \
                else "the last read failed: %s" % api_error_text(last_error)
            self.fail("%s not %s within %ss: %s" % (target, p["condition"], p["timeout"], why), **self.results)


def main():
    CrWait()()


if __name__ == "__main__":
    main()
