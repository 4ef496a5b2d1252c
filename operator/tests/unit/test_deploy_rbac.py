"""The shipped RBAC lets the operator watch, patch and update the status of every kind it maps.

Without it kopf's watch is forbidden and the operator exits after its retries: the shipped
mappings and the shipped ClusterRoles must move together."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cobaltcore_operator import load_mappings

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "operator" / "deploy"
AGGREGATE = "cobaltcore.c5c3.io/aggregate-to-operator"


def aggregated_rules() -> list[dict]:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    rules = []
    for resource in kustomization["resources"]:
        for doc in yaml.safe_load_all((DEPLOY / resource).read_text()):
            if doc and doc.get("kind") == "ClusterRole" and \
                    (doc["metadata"].get("labels") or {}).get(AGGREGATE) == "true":
                rules += doc.get("rules") or []
    return rules


def allowed(rules, group, resource, verb) -> bool:
    return any(group in r.get("apiGroups", []) and resource in r.get("resources", [])
               and (verb in r.get("verbs", []) or "*" in r.get("verbs", [])) for r in rules)


MAPPINGS = load_mappings(REPO / "operator" / "mappings.yaml", REPO)


@pytest.mark.parametrize("mapping", MAPPINGS, ids=[m.id for m in MAPPINGS])
def test_operator_may_reconcile_every_mapped_kind(mapping):
    rules = aggregated_rules()
    for verb in ("get", "list", "watch", "patch"):
        assert allowed(rules, mapping.group, mapping.plural, verb), f"{verb} {mapping.id}"
    assert allowed(rules, mapping.group, f"{mapping.plural}/status", "patch"), f"patch {mapping.id}/status"


@pytest.mark.parametrize("resource", ["secrets", "clusterrolebindings", "clusterroles"])
def test_operator_may_not_delete_what_would_make_it_cluster_admin_or_lose_credentials(resource):
    """The operator runs cluster-wide, so a rule here holds in every namespace: Secrets of services
    turned off are garbage-collected with their CR instead of deleted by the operator."""
    rules = aggregated_rules()
    for group in ("", "rbac.authorization.k8s.io"):
        assert not allowed(rules, group, resource, "delete")
        assert not allowed(rules, group, resource, "deletecollection")
