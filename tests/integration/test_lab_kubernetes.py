"""The lab's Kubernetes API is the real thing: schema + CEL validation, RBAC, server-side apply."""
from __future__ import annotations

import json
import textwrap

import pytest

from tests.helpers.ansible import run_playbook
from tests.helpers.kube import token_kubeconfig

CRD = textwrap.dedent("""
    apiVersion: apiextensions.k8s.io/v1
    kind: CustomResourceDefinition
    metadata:
      name: widgets.foundation.test.c5c3.io
    spec:
      group: foundation.test.c5c3.io
      scope: Namespaced
      names: {plural: widgets, singular: widget, kind: Widget}
      versions:
        - name: v1
          served: true
          storage: true
          schema:
            openAPIV3Schema:
              type: object
              properties:
                spec:
                  type: object
                  required: [size]
                  properties:
                    size: {type: integer, minimum: 1}
                    min: {type: integer}
                    max: {type: integer}
                  x-kubernetes-validations:
                    - rule: "!has(self.min) || !has(self.max) || self.min <= self.max"
                      message: "min must not exceed max"
""")


def widget(name: str, spec: dict) -> str:
    return json.dumps({"apiVersion": "foundation.test.c5c3.io/v1", "kind": "Widget",
                       "metadata": {"name": name}, "spec": spec})


@pytest.fixture(scope="module")
def widget_crd(kube):
    kube.kubectl("apply", "--server-side", "-f", "-", input=CRD)
    kube.kubectl("wait", "--for=condition=Established", "--timeout=60s",
                 "crd/widgets.foundation.test.c5c3.io")
    yield
    kube.kubectl("delete", "crd", "widgets.foundation.test.c5c3.io", "--wait=false", check=False)


def test_cel_rule_rejects_invalid_object_with_apiserver_message(kube, widget_crd, namespace):
    bad = kube.kubectl("-n", namespace, "apply", "-f", "-", input=widget("bad", {"size": 1, "min": 5, "max": 2}),
                       check=False)
    assert bad.returncode != 0
    assert "min must not exceed max" in bad.stderr
    assert "spec" in bad.stderr


def test_openapi_schema_rejects_invalid_object(kube, widget_crd, namespace):
    bad = kube.kubectl("-n", namespace, "apply", "-f", "-", input=widget("zero", {"size": 0}), check=False)
    assert bad.returncode != 0
    assert "spec.size" in bad.stderr and "should be greater than or equal to 1" in bad.stderr


def test_valid_object_is_accepted(kube, widget_crd, namespace):
    kube.kubectl("-n", namespace, "apply", "-f", "-", input=widget("good", {"size": 3, "min": 1, "max": 2}))
    got = json.loads(kube.kubectl("-n", namespace, "get", "widget", "good", "-o", "json").stdout)
    assert got["spec"] == {"size": 3, "min": 1, "max": 2}


def test_server_side_apply_playbook_is_idempotent(kube, namespace):
    extravars = {"test_namespace": namespace, "test_secret_value": "canary-7f3a9"}
    first = run_playbook("tests/integration/playbooks/k8s_apply.yml", extravars=extravars)
    assert first.rc == 0, first.stdout[-3000:] + first.stderr[-2000:]
    items = first.task_results("Apply the objects")[0]["results"]
    # Loop order: Namespace (already there), Secret, Deployment. no_log hides the Secret's item.
    assert [r["changed"] for r in items] == [False, True, True]
    deployment = json.loads(kube.kubectl("-n", namespace, "get", "deployment", "demo", "-o", "json",
                                       "--show-managed-fields").stdout)
    managers = {m["manager"] for m in deployment["metadata"]["managedFields"]}
    assert "c5c3-cobaltcore" in managers
    assert "canary-7f3a9" not in first.stdout  # the Secret task is no_log

    second = run_playbook("tests/integration/playbooks/k8s_apply.yml", extravars=extravars)
    assert second.rc == 0, second.stdout[-3000:]
    assert second.changed == 0
    assert not any(r["changed"] for r in second.task_results("Apply the objects")[0]["results"])


def test_service_account_without_rbac_is_refused(kube, namespace, tmp_path):
    kube.kubectl("-n", namespace, "create", "serviceaccount", "nobody")
    token = kube.kubectl("-n", namespace, "create", "token", "nobody", "--duration=10m").stdout.strip()
    as_nobody = token_kubeconfig(kube, token, tmp_path / "nobody.kubeconfig", "nobody")
    denied = kube.kubectl("--kubeconfig", str(as_nobody), "-n", namespace, "get", "secrets", check=False)
    assert denied.returncode != 0
    assert "Forbidden" in denied.stderr
    assert f"system:serviceaccount:{namespace}:nobody" in denied.stderr

    # The same token works once RBAC grants it: the refusal above was authorization, not a bad token.
    kube.kubectl("-n", namespace, "create", "role", "secret-reader", "--verb=list", "--resource=secrets")
    kube.kubectl("-n", namespace, "create", "rolebinding", "nobody-reads", "--role=secret-reader",
                 f"--serviceaccount={namespace}:nobody")
    allowed = kube.kubectl("--kubeconfig", str(as_nobody), "-n", namespace, "get", "secrets", check=False)
    assert allowed.returncode == 0, allowed.stderr


def test_controller_manager_garbage_collects_owned_objects(kube, namespace):
    import time

    kube.kubectl("-n", namespace, "create", "configmap", "owner")
    owner_uid = kube.kubectl("-n", namespace, "get", "configmap", "owner", "-o",
                             "jsonpath={.metadata.uid}").stdout
    owned = {"apiVersion": "v1", "kind": "ConfigMap",
             "metadata": {"name": "owned", "ownerReferences": [
                 {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner_uid}]}}
    kube.kubectl("-n", namespace, "apply", "-f", "-", input=json.dumps(owned))
    kube.kubectl("-n", namespace, "delete", "configmap", "owner")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if kube.kubectl("-n", namespace, "get", "configmap", "owned", check=False).returncode != 0:
            return
        time.sleep(0.5)
    pytest.fail("the owned ConfigMap was not garbage-collected")


GADGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.reader.test.c5c3.io"},
    "spec": {"group": "reader.test.c5c3.io", "scope": "Namespaced",
             "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "shortNames": ["gdg"]},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}]}}


# Same group, served only at v1alpha1 while the group's preferred version is v1 (as
# hypervisor.c5c3.io's Migration beside its v1 Hypervisor and Eviction).
DOOHICKEY_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "doohickeys.reader.test.c5c3.io"},
    "spec": {"group": "reader.test.c5c3.io", "scope": "Cluster",
             "names": {"plural": "doohickeys", "singular": "doohickey", "kind": "Doohickey"},
             "versions": [{"name": "v1alpha1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}]}}


def test_in_process_reads_name_types_as_kubectl_does(kube, namespace):
    """kube.get, which tests poll with instead of a kubectl process per poll, returns what
    `kubectl get -o json` returns, for every name kubectl accepts, and learns CRDs installed after
    its first read."""
    kube.kubectl("-n", namespace, "create", "configmap", "probe", "--from-literal=k=v")
    expected = json.loads(kube.kubectl("-n", namespace, "get", "configmap", "probe", "-o", "json").stdout)
    for resource in ("configmaps", "configmap", "cm", "ConfigMap"):
        assert kube.get(namespace, resource, "probe") == expected, resource
    assert kube.get(namespace, "configmap", "absent") is None
    assert kube.get(None, "namespace", namespace)["metadata"]["name"] == namespace

    kube.kubectl("apply", "--server-side", "-f", "-", input=json.dumps(GADGET_CRD))
    kube.kubectl("apply", "--server-side", "-f", "-", input=json.dumps(DOOHICKEY_CRD))
    try:
        kube.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/gadgets.reader.test.c5c3.io",
                     "crd/doohickeys.reader.test.c5c3.io")
        doohickey = f"d-{namespace}"
        kube.kubectl("create", "-f", "-", input=json.dumps(
            {"apiVersion": "reader.test.c5c3.io/v1alpha1", "kind": "Doohickey", "metadata": {"name": doohickey}}))
        assert kube.get(None, "doohickey.reader.test.c5c3.io", doohickey)["kind"] == "Doohickey"
        kube.kubectl("-n", namespace, "create", "-f", "-", input=json.dumps(
            {"apiVersion": "reader.test.c5c3.io/v1", "kind": "Gadget", "metadata": {"name": "g1"}, "size": 3}))
        for resource in ("gadgets", "gadget", "gdg", "gadgets.reader.test.c5c3.io"):
            assert kube.get(namespace, resource, "g1")["size"] == 3, resource
        with pytest.raises(LookupError, match="no resource type 'nosuchthings'"):
            kube.get(namespace, "nosuchthings", "x")
    finally:
        kube.kubectl("delete", "crd", "gadgets.reader.test.c5c3.io", "doohickeys.reader.test.c5c3.io",
                     "--wait=false", check=False)
