"""The status fields the operator writes, as the OpenAPI schema every mapped CRD must declare.

A CRD that lacks them does not fail loudly: the apiserver prunes unknown status fields, the
applied hash is lost, and every operator restart re-runs every object. A CRD that declares them
differently (``progress`` as a string, say) makes every status write fail. One definition here;
``operator/tools/sync_status_schema.py`` writes it into CRDs and a unit test holds them to it.
"""
from __future__ import annotations

from typing import Any

OPERATOR_STATUS_PROPERTIES: dict[str, Any] = {
    "observedGeneration": {
        "type": "integer", "format": "int64",
        "description": "Generation of the last completed run (written by the operator).",
    },
    "appliedHash": {
        "type": "string",
        "description": "Desired-state hash of the last clean run (written by the operator).",
    },
    "lastHandledReconcileAt": {
        "type": "string",
        "description": "Value of the reconcile-requested-at annotation the last clean run handled"
                       " (written by the operator).",
    },
    "progress": {
        "type": "object",
        "description": "Play and task of the run in progress (written by the operator).",
        "properties": {
            "play": {"type": "string"},
            "task": {"type": "string"},
            "generation": {"type": "integer", "format": "int64"},
        },
    },
    "lastRun": {
        "type": "object",
        "description": "The last playbook run (written by the operator).",
        "properties": {
            "start": {"type": "string"},
            "end": {"type": "string"},
            "result": {"type": "string", "enum": ["Running", "Succeeded", "Failed"]},
            "changed": {"type": "integer", "description": "Number of changed tasks."},
            "action": {"type": "string", "enum": ["apply", "finalize"]},
            "generation": {"type": "integer", "format": "int64"},
        },
    },
}

# Conditions are the role's as much as the operator's; a CRD may add constraints to them, but
# these fields must be there.
CONDITION_FIELDS = ("type", "status", "reason", "message", "lastTransitionTime")


def status_problems(crd: dict[str, Any]) -> list[str]:
    """What is missing or different in each served version's status schema."""
    problems = []
    for version in crd["spec"]["versions"]:
        where = f"{crd['metadata']['name']} {version['name']}"
        status = version["schema"]["openAPIV3Schema"].get("properties", {}).get("status")
        if status is None:
            problems.append(f"{where}: no status schema")
            continue
        if "status" not in (version.get("subresources") or {}):
            problems.append(f"{where}: no status subresource")
        if status.get("x-kubernetes-preserve-unknown-fields"):
            continue
        props = status.get("properties", {})
        for name, schema in OPERATOR_STATUS_PROPERTIES.items():
            if props.get(name) != schema:
                problems.append(f"{where}: status.{name} differs from the operator's schema")
        items = props.get("conditions", {}).get("items", {}).get("properties", {})
        missing = [f for f in CONDITION_FIELDS if f not in items]
        if missing:
            problems.append(f"{where}: status.conditions items lack {missing}")
    return problems
