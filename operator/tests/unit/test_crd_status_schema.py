"""Every kind the operator maps declares the status fields the operator writes, exactly."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cobaltcore_operator import load_mappings
from cobaltcore_operator.status_schema import status_problems

REPO = Path(__file__).resolve().parents[3]
CRD_DIR = REPO / "operator" / "deploy" / "crds"


def shipped_crds() -> dict[str, dict]:
    crds = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("kind") == "CustomResourceDefinition":
                crds[doc["metadata"]["name"]] = doc
    return crds


MAPPINGS = load_mappings(REPO / "operator" / "mappings.yaml", REPO)


@pytest.mark.parametrize("mapping", MAPPINGS, ids=[m.id for m in MAPPINGS])
def test_mapped_crd_declares_the_operator_status(mapping):
    crd = shipped_crds().get(mapping.id)
    assert crd is not None, f"{mapping.id} is mapped but no CRD for it is shipped in {CRD_DIR}"
    assert status_problems(crd) == []


def test_the_check_catches_a_string_progress_and_missing_fields():
    crd = shipped_crds()[MAPPINGS[0].id]
    broken = yaml.safe_load(yaml.safe_dump(crd))
    props = broken["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]["properties"]
    props["progress"] = {"type": "string"}
    del props["appliedHash"]
    problems = status_problems(broken)
    assert any("status.progress" in p for p in problems)
    assert any("status.appliedHash" in p for p in problems)


def test_roles_may_not_write_any_operator_field():
    # cr_status (a module: it cannot import the operator) keeps its own list of reserved fields.
    from ansible_collections.c5c3.cobaltcore.plugins.modules.cr_status import OPERATOR_FIELDS
    from cobaltcore_operator.status_schema import OPERATOR_STATUS_PROPERTIES
    assert set(OPERATOR_STATUS_PROPERTIES) <= set(OPERATOR_FIELDS)
