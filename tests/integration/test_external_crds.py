"""Other operators' CRDs come from their Go modules and behave as published."""
from __future__ import annotations

import json

import pytest


@pytest.mark.parametrize("crd", [
    "databases.k8s.mariadb.com", "users.k8s.mariadb.com", "grants.k8s.mariadb.com",
    "mariadbs.k8s.mariadb.com", "rabbitmqclusters.rabbitmq.com", "vhosts.rabbitmq.com",
    "permissions.rabbitmq.com", "cephblockpools.ceph.rook.io", "cephclients.ceph.rook.io",
    "externalsecrets.external-secrets.io", "pushsecrets.external-secrets.io",
    "applicationcredentials.openstack.k-orc.cloud", "services.openstack.k-orc.cloud",
])
def test_crd_is_established(kube, external_crds, crd):
    got = json.loads(kube.kubectl("get", "crd", crd, "-o", "json").stdout)
    conditions = {c["type"]: c["status"] for c in got["status"]["conditions"]}
    assert conditions.get("Established") == "True"


def test_mariadb_database_cr_is_validated_by_its_own_schema(kube, external_crds, namespace):
    good = {"apiVersion": "k8s.mariadb.com/v1alpha1", "kind": "Database",
            "metadata": {"name": "keystone", "namespace": namespace},
            "spec": {"mariaDbRef": {"name": "mariadb"}, "characterSet": "utf8mb4"}}
    kube.kubectl("apply", "-f", "-", input=json.dumps(good))
    bad = dict(good, metadata={"name": "broken", "namespace": namespace},
               spec={"mariaDbRef": {"name": "mariadb"}, "requeueInterval": 12})
    rejected = kube.kubectl("apply", "-f", "-", input=json.dumps(bad), check=False)
    assert rejected.returncode != 0
    assert "requeueInterval" in rejected.stderr


def test_second_install_is_a_no_op(lab, external_crds):
    assert external_crds.start() is False
