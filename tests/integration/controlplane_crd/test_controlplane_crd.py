"""The ControlPlane CRD on the real lab apiserver: the example is accepted with its defaults, every
invalid spec or forbidden update is refused at admission with a message that names the field, and
the release may only move forward one step at a time."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers.kube import DELETE, existing, set_path as _set
from tests.helpers.operator_status import operator_status_sample

REPO = Path(__file__).resolve().parents[3]
CRD_FILE = REPO / "operator/deploy/crds/c5c3.io_controlplanes.yaml"
EXAMPLE_FILE = REPO / "examples/controlplane.yaml"
CRD_NAME = "controlplanes.c5c3.io"
NAME = "cobaltcore"


@pytest.fixture(scope="module")
def controlplane_crd(kube):
    kube.install_crds(CRD_FILE)


def example() -> dict:
    return yaml.safe_load(EXAMPLE_FILE.read_text())


def apply(kube, namespace, body, check=False):
    return kube.apply(namespace, body, check=check)


def get(kube, namespace) -> dict:
    return existing(kube, namespace, "cp", NAME)




BROWNFIELD_DB = {"endpoints": ["db.example.com:3306"], "secretRef": {"name": "db-admin"}}
S = ("spec", "services")
INFRA = ("spec", "infrastructure")

# (id, [(path, value), ...], field path the apiserver must name, words of the message)
INVALID = [
    ("release-third-half", [(("spec", "openStackRelease"), "2025.3")],
     "spec.openStackRelease", "should match"),
    ("release-missing", [(("spec", "openStackRelease"), DELETE)],
     "spec.openStackRelease", "Required value"),
    ("db-both-modes", [(INFRA + ("database", "brownfield"), BROWNFIELD_DB)],
     "spec.infrastructure.database", "exactly one of database.managed or database.brownfield"),
    ("db-no-mode", [(INFRA + ("database",), {})],
     "spec.infrastructure.database", "exactly one of database.managed or database.brownfield"),
    ("db-even-replicas", [(INFRA + ("database", "managed", "replicas"), 2)],
     "spec.infrastructure.database.managed.replicas", "replicas must be odd"),
    ("db-brownfield-no-secret", [(INFRA + ("database",), {"brownfield": {"endpoints": ["db:3306"]}})],
     "spec.infrastructure.database.brownfield.secretRef", "Required value"),
    ("db-brownfield-two-endpoints",
     [(INFRA + ("database",), {"brownfield": dict(BROWNFIELD_DB, endpoints=["a:3306", "b:3306"])})],
     "spec.infrastructure.database.brownfield.endpoints", "exactly one endpoint"),
    ("db-storage-size", [(INFRA + ("database", "managed", "storage", "size"), "10GB")],
     "spec.infrastructure.database.managed.storage.size", "should match"),
    ("messaging-both-modes", [(INFRA + ("messaging", "brownfield"),
                               {"endpoints": ["mq:5672"], "secretRef": {"name": "mq-admin"}})],
     "spec.infrastructure.messaging", "exactly one of messaging.managed or messaging.brownfield"),
    ("cache-endpoint-no-port", [(INFRA + ("cache",), {"brownfield": {"endpoints": ["memcached"]}})],
     "spec.infrastructure.cache.brownfield.endpoints[0]", "should match"),
    ("cache-missing", [(INFRA + ("cache",), DELETE)],
     "spec.infrastructure.cache", "Required value"),
    ("glance-without-keystone", [(S + ("keystone", "enabled"), False)],
     "spec.services.glance", "glance requires keystone to be enabled"),
    ("placement-without-keystone", [(S + ("keystone",), DELETE), (S + ("glance",), DELETE)],
     "spec.services.placement", "placement requires keystone to be enabled"),
    ("nova-without-neutron", [(S + ("nova", "enabled"), True)],
     "spec.services.nova", "nova requires placement, glance and neutron"),
    ("neutron-without-messaging", [(S + ("neutron", "enabled"), True), (INFRA + ("messaging",), DELETE)],
     "spec.infrastructure", "infrastructure.messaging is required when nova, neutron or cinder"),
    ("keystone-replicas-zero", [(S + ("keystone", "replicas"), 0)],
     "spec.services.keystone.replicas", "greater than or equal to 1"),
    ("fernet-max-keys-2", [(S + ("keystone", "fernet", "maxActiveKeys"), 2)],
     "spec.services.keystone.fernet.maxActiveKeys", "greater than or equal to 3"),
    ("fernet-interval-5h", [(S + ("keystone", "fernet", "rotationInterval"), "5h")],
     "spec.services.keystone.fernet.rotationInterval", "divisor of 24 hours"),
    ("policy-empty-rule", [(S + ("placement", "policyOverrides", "rules"), {"placement:x": ""})],
     "spec.services.placement.policyOverrides.rules", "must not be empty"),
    ("global-policy-no-source", [(("spec", "global", "policyOverrides"), {})],
     "spec.global.policyOverrides", "needs rules or configMapRef"),
    ("extra-config-multiline", [(("spec", "global", "extraConfig", "DEFAULT"),
                                 {"debug": "true\n[database]\nconnection = sqlite://"})],
     "spec.global.extraConfig[DEFAULT]", "values must be single-line"),
    ("project-unknown-domain", [(("spec", "catalog", "projects"), [{"name": "p", "domain": "nowhere"}])],
     "spec.catalog.projects", "must be Default or listed in catalog.domains"),
    ("domain-duplicate", [(("spec", "catalog", "domains"), [{"name": "a"}, {"name": "a"}])],
     "spec.catalog.domains", 'duplicate entries for key [name="a"]'),
]


@pytest.mark.parametrize("case_id, changes, field, words", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_controlplane_is_rejected_naming_the_field(kube, controlplane_crd, namespace,
                                                           case_id, changes, field, words):
    body = example()
    for path, value in changes:
        _set(body, path, value)
    result = apply(kube, namespace, body)
    assert result.returncode != 0, f"{case_id} was accepted"
    assert field + ":" in result.stderr, result.stderr
    assert words in result.stderr, result.stderr
    assert kube.kubectl("-n", namespace, "get", "controlplanes", "-o", "name").stdout.strip() == ""


def test_example_file_as_shipped_is_accepted(kube, controlplane_crd, namespace):
    kube.kubectl("-n", namespace, "apply", "--server-side", "-f", str(EXAMPLE_FILE))
    got = get(kube, namespace)
    assert got["spec"]["catalog"] == {
        "domains": [{"name": "customers", "description": "Customer projects", "enabled": True}],
        "projects": [{"name": "service", "domain": "Default", "enabled": True,
                      "description": "Service users of the OpenStack services"},
                     {"name": "acme", "domain": "customers", "enabled": True}]}


def test_minimal_controlplane_gets_defaults(kube, controlplane_crd, namespace):
    body = {"apiVersion": "c5c3.io/v1alpha1", "kind": "ControlPlane", "metadata": {"name": NAME},
            "spec": {"openStackRelease": "2025.2",
                     "infrastructure": {"database": {"managed": {}}, "cache": {"managed": {}}},
                     "services": {"keystone": {}, "nova": {"enabled": False}}}}
    apply(kube, namespace, body, check=True)
    spec = get(kube, namespace)["spec"]
    assert spec["region"] == "RegionOne"
    assert spec["infrastructure"]["database"]["managed"] == {"replicas": 3, "storage": {"size": "10Gi"}}
    assert spec["infrastructure"]["cache"]["managed"] == {"replicas": 3, "maxMemoryMB": 1024}
    assert spec["services"]["keystone"] == {
        "enabled": True, "replicas": 3, "fernet": {"maxActiveKeys": 3, "rotationInterval": "168h"}}
    assert spec["services"]["nova"] == {"enabled": False, "replicas": {"api": 3, "scheduler": 3, "conductor": 3}}


def _update_release(kube, namespace, release):
    body = example()
    body["spec"]["openStackRelease"] = release
    return apply(kube, namespace, body)


# (from, to, accepted, words of the refusal)
RELEASE_CHANGES = [
    ("2025.2", "2026.1", True, None),
    ("2025.1", "2025.2", True, None),
    ("2025.2", "2025.2", True, None),
    ("2025.2", "2026.2", False, "may advance only one release at a time"),
    ("2025.1", "2026.1", False, "skip-level upgrades are not supported"),
    ("2025.2", "2025.1", False, "cannot go backwards"),
    ("2026.1", "2025.2", False, "downgrades are not supported"),
]


@pytest.mark.parametrize("old, new, accepted, words", RELEASE_CHANGES,
                         ids=[f"{c[0]}-to-{c[1]}" for c in RELEASE_CHANGES])
def test_release_moves_forward_one_step_at_a_time(kube, controlplane_crd, namespace, old, new, accepted, words):
    body = example()
    body["spec"]["openStackRelease"] = old
    apply(kube, namespace, body, check=True)
    result = _update_release(kube, namespace, new)
    stored = get(kube, namespace)["spec"]["openStackRelease"]
    if accepted:
        assert result.returncode == 0, result.stderr
        assert stored == new
    else:
        assert result.returncode != 0, f"{old} -> {new} was accepted"
        assert "spec.openStackRelease:" in result.stderr and words in result.stderr, result.stderr
        assert stored == old


IMMUTABLE = [
    ("region", [(("spec", "region"), "RegionTwo")], "spec.region", "region is immutable"),
    ("database-mode", [(INFRA + ("database",), {"brownfield": BROWNFIELD_DB})],
     "spec.infrastructure.database", "database mode is immutable"),
    ("messaging-mode", [(INFRA + ("messaging",),
                         {"brownfield": {"endpoints": ["mq:5672"], "secretRef": {"name": "mq"}}})],
     "spec.infrastructure.messaging", "messaging mode is immutable"),
]


@pytest.mark.parametrize("case_id, changes, field, words", IMMUTABLE, ids=[c[0] for c in IMMUTABLE])
def test_immutable_fields_refuse_updates(kube, controlplane_crd, namespace, case_id, changes, field, words):
    apply(kube, namespace, example(), check=True)
    before = get(kube, namespace)["spec"]
    body = example()
    for path, value in changes:
        _set(body, path, value)
    result = apply(kube, namespace, body)
    assert result.returncode != 0, f"{case_id} update was accepted"
    assert field + ":" in result.stderr and words in result.stderr, result.stderr
    assert get(kube, namespace)["spec"] == before


def test_disabling_a_service_and_scaling_are_allowed(kube, controlplane_crd, namespace):
    apply(kube, namespace, example(), check=True)
    body = example()
    body["spec"]["services"]["glance"]["enabled"] = False
    body["spec"]["services"]["placement"]["replicas"] = 5
    body["spec"]["infrastructure"]["database"]["managed"]["replicas"] = 5
    apply(kube, namespace, body, check=True)
    spec = get(kube, namespace)["spec"]
    assert spec["services"]["glance"]["enabled"] is False
    assert spec["services"]["placement"]["replicas"] == 5
    assert spec["infrastructure"]["database"]["managed"]["replicas"] == 5


def test_status_subresource_and_printer_columns(kube, controlplane_crd, namespace):
    apply(kube, namespace, example(), check=True)
    status = {"status": {
        "updatePhase": "Complete", "installedRelease": "2025.2",
        **operator_status_sample(1),
        "services": {"keystone": {"ready": True, "version": "2025.2", "message": "AllReady"},
                     "glance": {"ready": False, "version": "2025.2", "message": "waiting for keystone"}},
        "conditions": [{"type": t, "status": "True", "reason": "AllReady", "message": "",
                        "lastTransitionTime": "2025-01-01T00:01:00Z", "observedGeneration": 1}
                       for t in ("InfrastructureReady", "KeystoneReady", "CatalogReady", "ServicesReady",
                                 "Ready")]}}
    kube.kubectl("-n", namespace, "patch", "cp", NAME, "--subresource=status", "--type=merge",
                 "-p", json.dumps(status))
    assert get(kube, namespace)["status"] == status["status"]  # nothing pruned
    table = kube.kubectl("-n", namespace, "get", "cp").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "PHASE", "RELEASE", "AGE"]
    assert table[1].split()[:4] == [NAME, "True", "Complete", "2025.2"]
    bad = kube.kubectl("-n", namespace, "patch", "cp", NAME, "--subresource=status", "--type=merge",
                       "-p", json.dumps({"status": {"updatePhase": "Upgrading"}}), check=False)
    assert bad.returncode != 0 and "status.updatePhase" in bad.stderr, bad.stderr
