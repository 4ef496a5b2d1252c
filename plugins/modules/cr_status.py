#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: cr_status
short_description: Publish conditions and status fields of a custom resource
version_added: "0.1.0"
description:
  - Lets a role report its own state on the custom resource it reconciles, for example a
    C(DatabaseReady) condition or the endpoint it deployed, next to the conditions the CobaltCore
    operator maintains (C(Ready), C(Progressing), C(Failed)).
  - Conditions are merged by C(type); conditions of other types are left untouched, so roles and
    the operator never overwrite each other. C(lastTransitionTime) only changes when a condition's
    C(status) changes.
  - Writes go to the C(status) subresource with the object's resourceVersion as precondition and
    are retried on conflict, so concurrent writers lose nothing.
  - A second run with the same input changes nothing.
author:
  - CobaltCore for Ansible maintainers (@c5c3)
options:
  conditions:
    description:
      - Conditions to set, each a mapping with the keys C(type) (required, for example
        C(DatabaseReady)), C(status) (required, V(True), V(False) or V(Unknown)), C(reason) (a
        CamelCase reason, defaults to the type), C(message) (human-readable, never secret;
        defaults to an empty string) and C(observed_generation) (the generation it describes).
      - Other keys, or a missing type or status, fail the task before anything is changed.
    type: list
    elements: dict
    default: []
  status:
    description:
      - Further top-level status fields to merge (a value of V(null) removes the field; in an
        object given as a value, a key set to V(null) removes that key).
      - C(conditions) and the fields owned by the operator (C(appliedHash), C(observedGeneration),
        C(lastRun), C(lastHandledReconcileAt), C(progress)) are rejected.
    type: dict
    default: {}
  field_manager:
    description:
      - Field manager recorded for the status update.
    type: str
    default: c5c3-cobaltcore
extends_documentation_fragment:
  - c5c3.cobaltcore.custom_object
notes:
  - The custom resource definition must enable the C(status) subresource.
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Report that the Keystone database is ready
  c5c3.cobaltcore.cr_status:
    api_version: "{{ cobaltcore_cr.api_version }}"
    kind: "{{ cobaltcore_cr.kind }}"
    name: "{{ cobaltcore_cr.name }}"
    namespace: "{{ cobaltcore_cr.namespace }}"
    kubeconfig: "{{ cobaltcore_kubeconfig }}"
    conditions:
      - type: DatabaseReady
        status: "True"
        reason: Synced
        message: db_sync finished
        observed_generation: "{{ cobaltcore_cr.generation }}"
    status:
      endpoint: http://keystone.openstack.svc:5000/v3
"""

RETURN = r"""
conditions:
  description: All conditions of the object after the update (or as they would be, in check mode).
  returned: success
  type: list
  elements: dict
status:
  description: The status fields this task manages, after the update.
  returned: success
  type: dict
"""

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.k8s_status import (
    merge_conditions, normalize_condition, now_rfc3339)
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.kube import (
    CUSTOM_OBJECT_ARGS, CustomObject, CustomObjectError)

try:
    import kubernetes  # noqa: F401 pylint: disable=unused-import
    from kubernetes.client.rest import ApiException
    KUBERNETES_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover
    KUBERNETES_IMPORT_ERROR = exc

CONDITION_KEYS = ("type", "status", "reason", "message", "observed_generation")
OPERATOR_FIELDS = ("conditions", "appliedHash", "observedGeneration", "lastRun", "lastHandledReconcileAt",
                   "progress")
CONFLICT_RETRIES = 8


def _without_nulls(value):
    """``value`` as the API server stores it after a merge patch: keys whose value is null are gone."""
    if isinstance(value, dict):
        return dict((k, _without_nulls(v)) for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


class CrStatus(CobaltCoreModule):
    argument_spec = dict(
        CUSTOM_OBJECT_ARGS,
        conditions=dict(type="list", elements="dict", default=[]),
        status=dict(type="dict", default={}),
        field_manager=dict(type="str", default="c5c3-cobaltcore"),
    )
    required_libraries = (("kubernetes", KUBERNETES_IMPORT_ERROR),)

    def run(self):
        reserved = sorted(set(self.params["status"]) & set(OPERATOR_FIELDS))
        if reserved:
            self.fail("status fields %s are managed elsewhere; use 'conditions' for conditions"
                      % ", ".join(reserved))
        for condition in self.params["conditions"]:
            unknown = sorted(set(condition) - set(CONDITION_KEYS))
            if unknown:
                self.fail("unknown condition keys %s (allowed: %s)"
                          % (", ".join(unknown), ", ".join(CONDITION_KEYS)))
        try:
            updates = [normalize_condition(c) for c in self.params["conditions"]]
        except ValueError as exc:
            self.fail(str(exc))
        try:
            target = CustomObject(self.params).resolve()
        except CustomObjectError as exc:
            self.fail(str(exc))
        for dummy in range(CONFLICT_RETRIES):
            live = target.get()
            if live is None:
                self.fail("%s not found" % target)
            before = self._managed(live.get("status") or {})
            conditions, cond_changed = merge_conditions(before["conditions"], updates, now_rfc3339())
            # A null anywhere removes that field (merge patch): compare what would be stored.
            fields = dict((k, v) for k, v in self.params["status"].items()
                          if (live.get("status") or {}).get(k) != _without_nulls(v))
            after = dict(before, conditions=conditions)
            after.update(self.params["status"])
            after = dict((k, _without_nulls(v)) for k, v in after.items() if v is not None)
            self.changed = cond_changed or bool(fields)
            self.diff = {"before": before, "after": after}
            self.results = {"conditions": conditions, "status": after}
            if not self.changed or self.check_mode:
                return
            patch = {"metadata": {"resourceVersion": live["metadata"]["resourceVersion"]},
                     "status": dict(fields, conditions=conditions)}
            try:
                target.patch_status(patch, self.params["field_manager"])
                return
            except ApiException as exc:
                if exc.status != 409:
                    raise
        self.fail("gave up after %d conflicting status updates" % CONFLICT_RETRIES)

    def _managed(self, status):
        managed = dict((k, status.get(k)) for k in self.params["status"] if k in status)
        managed["conditions"] = list(status.get("conditions") or [])
        return managed


def main():
    CrStatus()()


if __name__ == "__main__":
    main()
