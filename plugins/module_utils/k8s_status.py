# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes-style status conditions, shared by the ``cr_status`` and ``cr_wait`` modules and
the operator.

One merge rule for every writer: conditions are keyed by ``type``; a writer only touches the
types it names, so roles and the operator never clobber each other's conditions; and
``lastTransitionTime`` moves only when ``status`` changes, as API conventions require.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import datetime

CONDITION_STATUSES = ("True", "False", "Unknown")
RFC3339_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime(RFC3339_FORMAT)


def parse_rfc3339(text):
    """A time written by :func:`now_rfc3339` (UTC), or None for anything else."""
    try:
        return datetime.datetime.strptime(text, RFC3339_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def normalize_condition(condition):
    """A condition with the API's field names and a string status; raises ValueError if invalid."""
    if not isinstance(condition, dict):
        raise ValueError("a condition must be a mapping, got %r" % (condition,))
    ctype = condition.get("type")
    if not ctype or not isinstance(ctype, str):
        raise ValueError("every condition needs a non-empty string 'type'")
    status = condition.get("status")
    if isinstance(status, bool):
        status = "True" if status else "False"
    if status not in CONDITION_STATUSES:
        raise ValueError("condition %s: status must be one of %s, got %r"
                         % (ctype, ", ".join(CONDITION_STATUSES), status))
    out = {"type": ctype, "status": status,
           "reason": str(condition.get("reason") or ctype),
           "message": str(condition.get("message") or "")}
    generation = condition.get("observedGeneration", condition.get("observed_generation"))
    if generation is not None:
        out["observedGeneration"] = int(generation)
    return out


def merge_conditions(existing, updates, now=None):
    """Merge ``updates`` into ``existing`` by type.

    Returns ``(merged, changed)``. Types not named in ``updates`` are kept untouched; an update
    equal to the present condition (ignoring timestamps) changes nothing.
    """
    now = now or now_rfc3339()
    merged = [copy.deepcopy(c) for c in (existing or []) if isinstance(c, dict)]
    index = dict((c.get("type"), i) for i, c in enumerate(merged))
    changed = False
    for update in updates:
        cond = normalize_condition(update)
        position = index.get(cond["type"])
        if position is None:
            cond["lastTransitionTime"] = now
            index[cond["type"]] = len(merged)
            merged.append(cond)
            changed = True
            continue
        current = merged[position]
        if current.get("status") == cond["status"]:
            cond["lastTransitionTime"] = current.get("lastTransitionTime") or now
        else:
            cond["lastTransitionTime"] = now
        comparable = dict((k, v) for k, v in current.items() if k != "lastTransitionTime")
        if comparable != dict((k, v) for k, v in cond.items() if k != "lastTransitionTime") \
                or "lastTransitionTime" not in current:
            merged[position] = cond
            changed = True
    return merged, changed


def find_condition(conditions, ctype):
    for cond in conditions or []:
        if isinstance(cond, dict) and cond.get("type") == ctype:
            return cond
    return None


def true_for_generation(obj, ctype="Ready"):
    """Whether ``obj`` reports condition ``ctype`` True for the generation it has now (a True
    left over from an older generation does not count)."""
    if not obj:
        return False
    status = obj.get("status") or {}
    cond = find_condition(status.get("conditions"), ctype) or {}
    return status.get("observedGeneration") == obj["metadata"].get("generation") and cond.get("status") == "True"
