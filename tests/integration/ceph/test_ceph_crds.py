"""RemoteCluster and RemoteArbiter CRDs: the lab apiserver accepts the example and rejects invalid objects."""
from __future__ import annotations

import copy
import json

import pytest
import yaml

from tests.helpers.ansible import REPO

CRDS = ["ceph.c5c3.io_remoteclusters.yaml", "ceph.c5c3.io_remotearbiters.yaml"]


@pytest.fixture(scope="module")
def crds(kube):
    kube.install_crds(*(REPO / "operator" / "deploy" / "crds" / f for f in CRDS))


def examples() -> dict:
    out = {}
    for name in ("ceph_remotecluster.yaml", "ceph_remotearbiter.yaml"):
        d = yaml.safe_load((REPO / "examples" / name).read_text())
        d["metadata"].pop("namespace", None)
        out[d["kind"]] = d
    return out


def apply(kube, namespace, obj, check=False):
    return kube.kubectl("-n", namespace, "apply", "-f", "-", input=json.dumps(obj), check=check)


def test_examples_are_accepted_with_defaults(crds, kube, namespace):
    ex = examples()
    apply(kube, namespace, ex["RemoteCluster"], check=True)
    arbiter = copy.deepcopy(ex["RemoteArbiter"])
    del arbiter["spec"]["checkInterval"]
    apply(kube, namespace, arbiter, check=True)
    got = json.loads(kube.kubectl("-n", namespace, "get", "remotearbiter", "rook-ceph-arbiter", "-o", "json").stdout)
    assert got["spec"]["checkInterval"] == "1m" and got["spec"]["monIdPrefix"] == "ext-"


@pytest.mark.parametrize("kind,patch,message", [
    ("RemoteCluster", {"timeout": "2m"}, "timeout must be shorter than checkInterval"),
    ("RemoteCluster", {"checkInterval": "soon"}, "spec.checkInterval"),
    ("RemoteCluster", {"accesskeyRef": {"name": "x"}}, "spec.accesskeyRef.key"),
    ("RemoteArbiter", {"service": {"type": "NodePort"}}, "service.nodeIp is required"),
    ("RemoteArbiter", {"service": {"type": "ClusterIP", "nodeIp": "not-an-ip"}}, "must be an IP address"),
    ("RemoteArbiter", {"service": {"type": "Route"}}, "spec.service.type"),
    ("RemoteArbiter", {"cephCluster": {"name": "x"}}, "spec.cephCluster.namespace"),
])
def test_invalid_objects_are_rejected(crds, kube, namespace, kind, patch, message):
    obj = examples()[kind]
    obj["spec"].update(patch)
    out = apply(kube, namespace, obj)
    assert out.returncode != 0 and message in out.stderr, out.stderr


def test_arbiter_cannot_move_to_another_ceph_cluster(crds, kube, namespace):
    arbiter = examples()["RemoteArbiter"]
    apply(kube, namespace, arbiter, check=True)
    arbiter["spec"]["cephCluster"] = {"name": "other", "namespace": "rook-ceph"}
    out = apply(kube, namespace, arbiter)
    assert out.returncode != 0 and "cephCluster is immutable" in out.stderr


def test_status_state_is_an_enum(crds, kube, namespace):
    apply(kube, namespace, examples()["RemoteCluster"], check=True)
    bad = kube.kubectl("-n", namespace, "patch", "remotecluster", "arbiter-site", "--subresource=status",
                       "--type=merge", "-p", json.dumps({"status": {"state": "Happy"}}), check=False)
    assert bad.returncode != 0 and "status.state" in bad.stderr
    kube.kubectl("-n", namespace, "patch", "remotecluster", "arbiter-site", "--subresource=status",
                 "--type=merge", "-p", json.dumps({"status": {"state": "Ready", "conditions": [
                     {"type": "ClusterReachable", "status": "True", "reason": "Reached",
                      "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}))
