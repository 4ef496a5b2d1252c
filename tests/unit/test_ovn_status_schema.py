"""The status the OVN playbooks publish is declared in the CRDs they publish it to.

The apiserver silently prunes status fields a CRD does not declare: a field the playbook writes
but the schema lacks would simply never appear (and cr_status would rewrite it on every run).
operator/tools/sync_status_schema.py keeps the operator's own fields in sync; this keeps ours.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.c5c3.cobaltcore.plugins.modules.ovs_node_info import ovsnode_status

REPO = Path(__file__).resolve().parents[2]
CRDS = REPO / "operator" / "deploy" / "crds"
WRITERS = [
    ("playbooks/tasks/ovn_cluster_status.yml", "ovn.c5c3.io_ovnclusters.yaml"),
    ("playbooks/tasks/ovn_chassis_status.yml", "ovn.c5c3.io_ovnchassis.yaml"),
    ("playbooks/tasks/ovs_node_status.yml", "ovs.c5c3.io_ovsnodes.yaml"),
]


def status_schema(crd_file: str) -> dict:
    crd = next(d for d in yaml.safe_load_all((CRDS / crd_file).read_text()) if d)
    return crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]


def cr_status_tasks(path: str) -> list[dict]:
    tasks = yaml.safe_load((REPO / path).read_text())
    return [t["c5c3.cobaltcore.cr_status"] for t in tasks if "c5c3.cobaltcore.cr_status" in t]


def undeclared(value, schema: dict, where: str) -> list[str]:
    """Paths in ``value`` (a literal, or a dict/list of them) that ``schema`` would prune."""
    if isinstance(value, str) and "{{" in value:
        return []  # a template: its shape is checked by the integration tests reading it back
    if isinstance(value, dict):
        if schema.get("x-kubernetes-preserve-unknown-fields"):
            return []
        props = schema.get("properties", {})
        out = [f"{where}.{k}" for k in value if k not in props]
        for k, v in value.items():
            if k in props:
                out += undeclared(v, props[k], f"{where}.{k}")
        return out
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in undeclared(v, schema.get("items", {}), f"{where}[{i}]")]
    return []


@pytest.mark.parametrize("writer,crd", WRITERS, ids=[w[0].rsplit("/", 1)[1] for w in WRITERS])
def test_published_fields_and_conditions_are_declared(writer, crd):
    schema = status_schema(crd)
    tasks = cr_status_tasks(writer)
    assert tasks, f"{writer} publishes nothing"
    for args in tasks:
        assert undeclared(args["status"], schema, "status") == []
        described = schema["properties"]["conditions"]["description"]
        for condition in args.get("conditions", []):
            assert condition["type"] in described, f"{condition['type']} not in the CRD's condition list"


def test_ovs_node_info_fits_the_ovsnode_status():
    info = {
        "ovs_version": "3.1.0", "dpdk": {"enabled": True, "version": "22.11"},
        "bridges": [{"name": "br-int", "ports": 3, "flows": 12, "datapath_type": "system", "status": "ok"},
                    {"name": "br-x", "ports": 1, "flows": None, "datapath_type": "weird", "status": "unreachable"}],
        "physical_interfaces": [{"name": "eth1", "mac": "52:54:00:00:00:01", "mtu": 1500, "link_state": "up",
                                 "speed_mbps": 10000},
                                {"name": "eth2", "mac": "", "mtu": None, "link_state": "odd", "speed_mbps": None}],
        "bonds": [{"name": "bond0", "mode": "balance-slb", "status": "up", "members": ["eth1", "eth2"],
                   "active_members": ["eth1"]}],
        "ovn_controller": {"running": True, "connected": True, "sb_connection": "tcp:10.0.0.1:6642",
                           "chassis_id": "hv1"},
    }
    status = ovsnode_status(info)
    assert undeclared(status, status_schema("ovs.c5c3.io_ovsnodes.yaml"), "status") == []
    # unknown values are left out rather than written as null or outside the enums
    assert "flows" not in status["bridges"][1] and "datapathType" not in status["bridges"][1]
    assert status["interfaces"]["physical"][1] == {"name": "eth2", "linkState": "unknown"}
