"""Glance and Placement CRs reconciled by the shipped operator (its own ServiceAccount, shipped RBAC
and mapping, lab inventory: glance_cr_runtime / placement_cr_runtime host) make a real glance-api
and placement-api answer: Ready with every step condition and the endpoint in status; an image
uploaded through glance lands in the lab's Ceph pool; the placement service's own application
credential lists resource providers; a second run of either playbook changes nothing; no secret
in status, Events or the operator log.

Each service runs on a private port and directories (mapping vars), with a database of its own in
the lab's MariaDB, against the session's host keystone and its service users.
"""
from __future__ import annotations

import json
import uuid

import openstack
import pytest
import requests

from tests.helpers.ansible import run_playbook
from tests.helpers.operator_lab import (PrivateService, apply, conditions, drop_database, get, glance_ceph_secret,
                                        install_operator_rbac, secret, start_operator, wait_ready)

GLANCE_CRD = "glances.glance.openstack.c5c3.io"
PLACEMENT_CRD = "placements.placement.openstack.c5c3.io"
STEPS = ["SecretsReady", "DatabaseReady", "ConfigReady", "DeploymentReady"]


class Services:
    def __init__(self, kube, op, ns, private, crs, canaries):
        self.kube, self.op, self.ns, self.private, self.crs, self.canaries = kube, op, ns, private, crs, canaries

    def operator_vars(self, svc: str) -> dict:
        """The extra vars of the operator's run for ``svc`` (as the operator passes them)."""
        cr = self.crs[svc]
        return {**self.private[svc].vars, "cobaltcore_kubeconfig": str(self.kube.kubeconfig),
                "cobaltcore_cr": {"api_version": cr["apiVersion"], "kind": cr["kind"], "plural": f"{svc}s",
                                  "name": svc, "namespace": self.ns, "spec": cr["spec"], "action": "apply"}}


def service_cr(svc: str, prefix: str, keystone_url: str) -> dict:
    tag = {"glance": "31.0.0", "placement": "14.0.0"}[svc]
    spec = {"replicas": 1, "image": {"repository": f"ghcr.io/c5c3/{svc}", "tag": tag},
            "database": {"clusterRef": {"name": "mariadb"}, "database": f"{prefix}{svc}",
                         "secretRef": {"name": f"{svc}-db-credentials"}},
            "keystone": {"authUrl": keystone_url, "appCredentialRef": {"secretName": f"{svc}-application-credential"}},
            "cache": {"clusterRef": {"name": "memcached"}}}
    if svc == "glance":
        spec["storage"] = {"backend": "rbd", "rbd": {"pool": "images", "cephSecretRef": {"name": "ceph-client-glance"}}}
    return {"apiVersion": f"{svc}.openstack.c5c3.io/v1alpha1", "kind": svc.capitalize(),
            "metadata": {"name": svc}, "spec": spec}


@pytest.fixture(scope="module")
def services(lab, kube, mariadb, memcached, ceph, host_keystone, service_credentials, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("svc-operator")
    with kube.fresh_namespace("svc-operator") as ns:
        install_operator_rbac(kube, services=True)
        glance_ceph_secret(ceph, ns)
        prefix = f"op{uuid.uuid4().hex[:6]}_"
        private = {svc: PrivateService.make(svc, lab.settings, tmp) for svc in ("glance", "placement")}
        op = start_operator(kube, tmp, ns, {"Glance": private["glance"].vars, "Placement": private["placement"].vars})
        canaries, crs = {}, {}
        try:
            for svc in ("glance", "placement"):
                cred = service_credentials[svc]
                canaries[svc] = [f"canary-db-{svc}-{uuid.uuid4().hex}", cred.secret]
                apply(kube, ns, secret(f"{svc}-db-credentials",
                                       {"username": f"{prefix}{svc}", "password": canaries[svc][0]}))
                apply(kube, ns, secret(f"{svc}-application-credential", {
                    "application_credential_id": cred.id, "application_credential_secret": cred.secret}))
                crs[svc] = service_cr(svc, prefix, host_keystone.url)
                apply(kube, ns, crs[svc])
            yield Services(kube, op, ns, private, crs, canaries)
        finally:
            op.stop()
            for svc, handle in private.items():
                handle.stop()
                drop_database(mariadb, f"{prefix}{svc}", f"{prefix}{svc}")


def assert_ready_and_secret_free(services, plural: str, svc: str) -> dict:
    obj = wait_ready(services.kube, services.op, services.ns, plural, svc)
    conds = conditions(obj)
    for step in STEPS:
        assert conds[step]["status"] == "True", conds[step]
    assert obj["status"]["endpoint"] == services.private[svc].url
    events = services.kube.kubectl("-n", services.ns, "get", "events", "-o", "yaml").stdout
    for text in (json.dumps(obj["status"]), events, services.op.log()):
        for canary in services.canaries[svc]:
            assert canary not in text
    return obj


def test_glance_cr_serves_images_from_ceph(services, ceph, host_keystone):
    assert_ready_and_secret_free(services, GLANCE_CRD, "glance")
    glance = services.private["glance"]
    conf = (glance.root / "etc" / "glance-api.conf").read_text()
    assert "enabled_backends = rbd:rbd" in conf and "auth_type = v3applicationcredential" in conf
    keyring = glance.root / "state" / "secrets" / "ceph.client.glance.keyring"
    assert oct(keyring.stat().st_mode & 0o777) == "0o600"
    assert f"keyring = {keyring}" in (glance.root / "etc" / "ceph.conf").read_text()

    cloud = openstack.connect(auth_url=host_keystone.url, username="admin", password=host_keystone.admin_password,
                              project_name="admin", user_domain_id="default", project_domain_id="default",
                              image_endpoint_override=glance.url)
    data = b"\0" * 1024
    image = cloud.image.create_image(name=f"itest-op-{uuid.uuid4().hex[:6]}", disk_format="raw",
                                     container_format="bare", data=data)
    try:
        image = cloud.image.wait_for_status(cloud.image.get_image(image), "active", wait=120)
        assert image.size == 1024
        assert image.id in ceph.cli("ls", "images", tool="rbd").stdout.split()
        got = cloud.image.download_image(image)
        assert (got if isinstance(got, bytes) else got.content) == data
    finally:
        cloud.image.delete_image(image)
    assert image.id not in ceph.cli("ls", "images", tool="rbd").stdout.split()


def test_placement_cr_answers_its_application_credential(services, service_credentials, host_keystone):
    assert_ready_and_secret_free(services, PLACEMENT_CRD, "placement")
    placement = services.private["placement"]
    assert requests.get(f"{placement.url}/resource_providers", timeout=30).status_code == 401
    cred = service_credentials["placement"]
    cloud = openstack.connect(auth_type="v3applicationcredential", auth_url=host_keystone.url,
                              application_credential_name=cred.name, application_credential_secret=cred.secret,
                              username=cred.user, user_domain_id="default", placement_endpoint_override=placement.url)
    name = f"itest-op-rp-{uuid.uuid4().hex[:6]}"
    created = cloud.placement.create_resource_provider(name=name)
    try:
        assert name in {rp.name for rp in cloud.placement.resource_providers()}
    finally:
        cloud.placement.delete_resource_provider(created)


@pytest.mark.parametrize("svc", ["glance", "placement"])
def test_second_run_changes_nothing(services, svc):
    """The operator's run again, by hand, with what the operator passes: changed=0."""
    # After the operator's own run (alone, this test would race it: two schema syncs at once).
    wait_ready(services.kube, services.op, services.ns, {"glance": GLANCE_CRD, "placement": PLACEMENT_CRD}[svc], svc)
    again = run_playbook(f"playbooks/{svc}.yml", extravars=services.operator_vars(svc))
    assert again.rc == 0, again.stdout[-3000:]
    assert again.changed == 0, [t["task"]["name"] for p in again.plays for t in p["tasks"]
                                if any(h.get("changed") for h in t["hosts"].values())]
