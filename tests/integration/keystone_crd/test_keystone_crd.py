"""The Keystone CRD on the real lab apiserver: the example is accepted, and every invalid spec or
forbidden update is refused at admission with a message that names the offending field."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.helpers.kube import DELETE, set_path as _set
from tests.helpers.operator_status import operator_status_sample

REPO = Path(__file__).resolve().parents[3]
CRD_FILE = REPO / "operator/deploy/crds/keystone.openstack.c5c3.io_keystones.yaml"
EXAMPLE_FILE = REPO / "examples/keystone.yaml"
CRD_NAME = "keystones.keystone.openstack.c5c3.io"


@pytest.fixture(scope="module")
def keystone_crd(kube):
    # The CRD stays for other tests to use.
    kube.install_crds(CRD_FILE)


def example() -> dict:
    return yaml.safe_load(EXAMPLE_FILE.read_text())


def apply(kube, namespace, body, check=False):
    return kube.apply(namespace, body, check=check)



# (id, [(path, value), ...], field path the apiserver must name, words of the message)
INVALID = [
    ("db-both-modes", [(("spec", "database", "host"), "db.example.com")],
     "spec.database", "exactly one of database.clusterRef"),
    ("db-no-mode", [(("spec", "database", "clusterRef"), DELETE)],
     "spec.database", "exactly one of database.clusterRef"),
    ("db-name-pattern", [(("spec", "database", "database"), "key-stone")],
     "spec.database.database", "should match"),
    ("db-name-too-long", [(("spec", "database", "database"), "k" * 65)],
     "spec.database.database", "should match"),
    ("db-port-range", [(("spec", "database", "port"), 70000)],
     "spec.database.port", "less than or equal to 65535"),
    ("replicas-zero", [(("spec", "replicas"), 0)],
     "spec.replicas", "greater than or equal to 1"),
    ("image-tag-and-digest", [(("spec", "image", "digest"), "sha256:" + "a" * 64)],
     "spec.image", "exactly one of image.tag or image.digest"),
    ("image-no-repository", [(("spec", "image", "repository"), DELETE)],
     "spec.image.repository", "Required value"),
    ("fernet-max-keys-2", [(("spec", "fernet", "maxActiveKeys"), 2)],
     "spec.fernet.maxActiveKeys", "greater than or equal to 3"),
    ("credential-max-keys-1", [(("spec", "credentialKeys", "maxActiveKeys"), 1)],
     "spec.credentialKeys.maxActiveKeys", "greater than or equal to 3"),
    ("fernet-cron-4-fields", [(("spec", "fernet", "rotationSchedule"), "0 0 * *")],
     "spec.fernet.rotationSchedule", "cron schedule of 5"),
    ("credential-cron-garbage", [(("spec", "credentialKeys", "rotationSchedule"), "every sunday")],
     "spec.credentialKeys.rotationSchedule", "cron schedule of 5"),
    ("cache-both-modes", [(("spec", "cache", "servers"), ["127.0.0.1:11211"])],
     "spec.cache", "exactly one of cache.clusterRef or cache.servers"),
    ("bootstrap-no-password-ref", [(("spec", "bootstrap", "adminPasswordSecretRef"), DELETE)],
     "spec.bootstrap.adminPasswordSecretRef", "Required value"),
    ("bootstrap-endpoint-scheme", [(("spec", "bootstrap", "publicEndpoint"), "ftp://identity")],
     "spec.bootstrap.publicEndpoint", "should match"),
    ("plugin-duplicate-section", [(("spec", "plugins"), [
        {"name": "a", "configSection": "keycloak"}, {"name": "b", "configSection": "keycloak"}])],
     "spec.plugins", 'duplicate entries for key [configSection="keycloak"]'),
    ("middleware-both-positions", [(("spec", "middleware", 0, "position"),
                                    {"after": "request_id", "before": "cors"})],
     "spec.middleware[0].position", "exactly one of position.after or position.before"),
    ("middleware-no-position", [(("spec", "middleware", 0, "position"), {})],
     "spec.middleware[0].position", "exactly one of position.after or position.before"),
    ("middleware-bad-factory", [(("spec", "middleware", 0, "filterFactory"), "not a factory")],
     "spec.middleware[0].filterFactory", "should match"),
    ("policy-empty-rule", [(("spec", "policyOverrides", "rules"), {"identity:list_users": ""})],
     "spec.policyOverrides.rules", "must not be empty"),
    ("policy-no-source", [(("spec", "policyOverrides"), {})],
     "spec.policyOverrides", "needs rules or configMapRef"),
    ("extra-config-multiline", [(("spec", "extraConfig", "token"),
                                 {"expiration": "7200\n[database]\nconnection = sqlite://"})],
     "spec.extraConfig[token]", "values must be single-line"),
    ("extra-config-bad-section", [(("spec", "extraConfig"), {"bad section]": {"a": "b"}})],
     "spec.extraConfig", "section names must match"),
]


@pytest.mark.parametrize("case_id, changes, field, words", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_keystone_is_rejected_naming_the_field(kube, keystone_crd, namespace,
                                                       case_id, changes, field, words):
    body = example()
    for path, value in changes:
        _set(body, path, value)
    result = apply(kube, namespace, body)
    assert result.returncode != 0, f"{case_id} was accepted"
    assert field + ":" in result.stderr, result.stderr
    assert words in result.stderr, result.stderr
    got = kube.kubectl("-n", namespace, "get", "keystones", "-o", "name").stdout
    assert got.strip() == ""


def test_example_is_accepted_with_defaults(kube, keystone_crd, namespace):
    body = example()
    del body["spec"]["fernet"]
    del body["spec"]["replicas"]
    del body["spec"]["cache"]["clusterRef"]
    body["spec"]["cache"]["servers"] = ["127.0.0.1:11211"]
    apply(kube, namespace, body, check=True)
    got = json.loads(kube.kubectl("-n", namespace, "get", "ks", "keystone", "-o", "json").stdout)
    spec = got["spec"]
    assert spec["replicas"] == 3
    assert spec["fernet"] == {"rotationSchedule": "0 0 * * 0", "maxActiveKeys": 3, "suspend": False}
    assert spec["cache"]["backend"] == "dogpile.cache.pymemcache"
    assert spec["database"]["port"] == 3306


def test_example_file_as_shipped_is_accepted(kube, keystone_crd, namespace):
    kube.kubectl("-n", namespace, "apply", "--server-side", "-f", str(EXAMPLE_FILE))
    got = json.loads(kube.kubectl("-n", namespace, "get", "ks", "keystone", "-o", "json").stdout)
    assert got["spec"]["image"] == example()["spec"]["image"]
    assert got["spec"]["plugins"] == example()["spec"]["plugins"]


IMMUTABLE = [
    ("database-name", (("spec", "database", "database"), "keystone2"),
     "spec.database.database", "database.database is immutable"),
    ("database-mode", (("spec", "database"),
                       {"host": "db.example.com", "database": "keystone", "secretRef": {"name": "db"}}),
     "spec.database.clusterRef", "database mode is immutable"),
    ("admin-user", (("spec", "bootstrap", "adminUser"), "root"),
     "spec.bootstrap.adminUser", "bootstrap.adminUser is immutable"),
    ("region", (("spec", "bootstrap", "region"), "RegionTwo"),
     "spec.bootstrap.region", "bootstrap.region is immutable"),
]


@pytest.mark.parametrize("case_id, change, field, words", IMMUTABLE, ids=[c[0] for c in IMMUTABLE])
def test_immutable_fields_refuse_updates(kube, keystone_crd, namespace, case_id, change, field, words):
    apply(kube, namespace, example(), check=True)
    before = kube.kubectl("-n", namespace, "get", "ks", "keystone", "-o", "json").stdout
    body = example()
    _set(body, *change)
    result = apply(kube, namespace, body)
    assert result.returncode != 0, f"{case_id} update was accepted"
    assert field + ":" in result.stderr, result.stderr
    assert words in result.stderr, result.stderr
    after = kube.kubectl("-n", namespace, "get", "ks", "keystone", "-o", "json").stdout
    assert json.loads(after)["spec"] == json.loads(before)["spec"]


def test_mutable_fields_still_update(kube, keystone_crd, namespace):
    apply(kube, namespace, example(), check=True)
    body = example()
    body["spec"]["replicas"] = 1
    body["spec"]["image"]["tag"] = "28.0.1"
    body["spec"]["fernet"]["maxActiveKeys"] = 5
    apply(kube, namespace, body, check=True)
    got = json.loads(kube.kubectl("-n", namespace, "get", "ks", "keystone", "-o", "json").stdout)
    assert (got["spec"]["replicas"], got["spec"]["image"]["tag"], got["spec"]["fernet"]["maxActiveKeys"]) \
        == (1, "28.0.1", 5)


def test_status_subresource_and_printer_columns(kube, keystone_crd, namespace):
    apply(kube, namespace, example(), check=True)
    status = {"status": {
        "endpoint": "http://keystone.%s.svc:5000/v3" % namespace,
        **operator_status_sample(1),
        "conditions": [{"type": "Ready", "status": "True", "reason": "AllReady", "message": "",
                        "lastTransitionTime": "2025-01-01T00:01:00Z", "observedGeneration": 1}]}}
    kube.kubectl("-n", namespace, "patch", "ks", "keystone", "--subresource=status", "--type=merge",
                 "-p", json.dumps(status))
    got = json.loads(kube.kubectl("-n", namespace, "get", "ks", "keystone", "-o", "json").stdout)
    assert got["status"] == status["status"]  # nothing pruned: every operator field is in the schema
    table = kube.kubectl("-n", namespace, "get", "ks").stdout.splitlines()
    assert table[0].split() == ["NAME", "READY", "ENDPOINT", "AGE"]
    assert table[1].split()[:3] == ["keystone", "True", status["status"]["endpoint"]]
    # The spec is not writable through the status subresource, nor status through the main resource.
    bad = kube.kubectl("-n", namespace, "patch", "ks", "keystone", "--subresource=status", "--type=merge",
                       "-p", json.dumps({"status": {"conditions": [{"type": "Ready", "status": "Maybe"}]}}),
                       check=False)
    assert bad.returncode != 0 and "status.conditions[0].status" in bad.stderr
