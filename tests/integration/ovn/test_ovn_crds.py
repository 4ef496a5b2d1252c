"""OVNCluster, OVNChassis and OVSNode CRDs on the real lab apiserver: valid examples are accepted
(with defaults filled in), the mistakes the CEL rules exist for are refused with their message."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
CRDS = {
    "ovnclusters.ovn.c5c3.io": "operator/deploy/crds/ovn.c5c3.io_ovnclusters.yaml",
    "ovnchassis.ovn.c5c3.io": "operator/deploy/crds/ovn.c5c3.io_ovnchassis.yaml",
    "ovsnodes.ovs.c5c3.io": "operator/deploy/crds/ovs.c5c3.io_ovsnodes.yaml",
}

CLUSTER = {"apiVersion": "ovn.c5c3.io/v1alpha1", "kind": "OVNCluster", "metadata": {"name": "ovn"},
           "spec": {"northbound": {"replicas": 3}, "southbound": {"replicas": 3, "storage": {"size": "20Gi"}}}}
CHASSIS = {"apiVersion": "ovn.c5c3.io/v1alpha1", "kind": "OVNChassis", "metadata": {"name": "hv1"},
           "spec": {"hostname": "hv1", "systemId": "hv1", "encapsulation": {"ip": "10.0.1.21"},
                    "bridgeMappings": [{"physicalNetwork": "physnet1", "bridge": "br-provider"}]}}
OVSNODE = {"apiVersion": "ovs.c5c3.io/v1alpha1", "kind": "OVSNode", "metadata": {"name": "hv1"},
           "spec": {"nodeRef": {"name": "hv1"}}}


@pytest.fixture(scope="module")
def crds(kube):
    kube.install_crds(*(REPO / path for path in CRDS.values()))


def apply(kube, namespace, body, check=False):
    return kube.kubectl("-n", namespace, "apply", "--server-side", "--force-conflicts", "-f", "-",
                        input=json.dumps(body), check=check)


def test_valid_examples_are_accepted_with_defaults(crds, kube, namespace):
    for body in (CLUSTER, CHASSIS, OVSNODE):
        apply(kube, namespace, body, check=True)
    cluster = json.loads(kube.kubectl("-n", namespace, "get", "ovncluster", "ovn", "-o", "json").stdout)
    spec = cluster["spec"]
    assert spec["northbound"]["storage"]["size"] == "10Gi"
    assert spec["neutronIntegration"]["nbConnection"]["service"] == {"name": "ovn-nb", "port": 6641}
    assert spec["neutronIntegration"]["sbConnection"]["service"] == {"name": "ovn-sb", "port": 6642}
    assert spec["controller"]["nodeSelector"] == {"node-role.kubernetes.io/hypervisor": ""}
    assert spec["tls"]["enabled"] is False
    chassis = json.loads(kube.kubectl("-n", namespace, "get", "ovnchassis", "hv1", "-o", "json").stdout)
    assert chassis["spec"]["encapsulation"]["type"] == "geneve"
    node = json.loads(kube.kubectl("-n", namespace, "get", "ovsnode", "hv1", "-o", "json").stdout)
    assert node["spec"]["datapathType"] == "auto" and "systemId" not in node["spec"]
    # status is a subresource: a status write goes through it, not through the main resource
    kube.kubectl("-n", namespace, "patch", "ovncluster", "ovn", "--subresource=status", "--type=merge",
                 "-p", json.dumps({"status": {"chassisCount": 1, "conditions": [
                     {"type": "Ready", "status": "True", "reason": "Test",
                      "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}))
    table = kube.kubectl("-n", namespace, "get", "ovncluster", "ovn").stdout
    assert "READY" in table and "CHASSIS" in table and "True" in table


def mutate(body, path, value):
    body = copy.deepcopy(body)
    doc = body
    for key in path[:-1]:
        doc = doc.setdefault(key, {})
    doc[path[-1]] = value
    return body


INVALID = [
    ("even-replicas", CLUSTER, ("spec", "northbound", "replicas"), 4, "replicas must be odd"),
    ("too-many", CLUSTER, ("spec", "southbound", "replicas"), 9, "less than or equal to 7"),
    ("tls-without-secret", CLUSTER, ("spec", "tls"), {"enabled": True}, "needs tls.certSecretRef"),
    ("same-service", CLUSTER, ("spec", "neutronIntegration"),
     {"nbConnection": {"service": {"name": "ovn"}}, "sbConnection": {"service": {"name": "ovn"}}},
     "different names"),
    ("bad-size", CLUSTER, ("spec", "northbound", "storage"), {"size": "ten"}, "should match"),
    ("encap-not-ip", CHASSIS, ("spec", "encapsulation", "ip"), "hv1.example", "must be an IPv4 or IPv6"),
    ("encap-type", CHASSIS, ("spec", "encapsulation", "type"), "gre", "Unsupported value"),
    ("br-int-mapping", CHASSIS, ("spec", "bridgeMappings"), [{"physicalNetwork": "p", "bridge": "br-int"}],
     "br-int"),
    ("bridge-twice", CHASSIS, ("spec", "bridgeMappings"),
     [{"physicalNetwork": "a", "bridge": "br-x"}, {"physicalNetwork": "b", "bridge": "br-x"}], "only one physical"),
    ("no-system-id", CHASSIS, ("spec",), {"hostname": "hv1", "encapsulation": {"ip": "10.0.0.1"}},
     "systemId: Required"),
    ("ovsnode-br-int", OVSNODE, ("spec", "bridges"), [{"name": "br-int"}], "ovn-controller creates it"),
    ("ovsnode-br-int-mapping", OVSNODE, ("spec", "bridgeMappings"), [{"physicalNetwork": "p", "bridge": "br-int"}],
     "br-int"),
    ("ovsnode-datapath", OVSNODE, ("spec", "datapathType"), "dpdk", "Unsupported value"),
    ("ovsnode-long-bridge", OVSNODE, ("spec", "bridges"), [{"name": "br-much-too-long-name"}], "may not be more than 15"),
]


@pytest.mark.parametrize("case,body,path,value,needle", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_objects_are_refused(crds, kube, namespace, case, body, path, value, needle):
    out = apply(kube, namespace, mutate(body, path, value))
    assert out.returncode != 0, f"{case} was accepted"
    assert needle in out.stderr, out.stderr


def test_immutable_fields_and_scale_down_step(crds, kube, namespace):
    apply(kube, namespace, CHASSIS, check=True)
    out = apply(kube, namespace, mutate(CHASSIS, ("spec", "systemId"), "hv1-new"))
    assert out.returncode != 0 and "systemId is immutable" in out.stderr
    apply(kube, namespace, OVSNODE, check=True)
    out = apply(kube, namespace, mutate(OVSNODE, ("spec", "nodeRef"), {"name": "hv2"}))
    assert out.returncode != 0 and "nodeRef is immutable" in out.stderr
    apply(kube, namespace, mutate(OVSNODE, ("spec", "systemId"), "hv1"), check=True)
    out = apply(kube, namespace, mutate(OVSNODE, ("spec", "systemId"), "hv1-new"))
    assert out.returncode != 0 and "systemId is immutable" in out.stderr
    apply(kube, namespace, mutate(CLUSTER, ("spec", "northbound", "replicas"), 7), check=True)
    out = apply(kube, namespace, mutate(CLUSTER, ("spec", "northbound", "replicas"), 1))
    assert out.returncode != 0 and "at most two raft members" in out.stderr
    apply(kube, namespace, mutate(CLUSTER, ("spec", "northbound", "replicas"), 5), check=True)
