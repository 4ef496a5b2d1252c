"""Role glance, host runtime: a real keystone (application credential auth), the lab MariaDB and
the lab Ceph (pool images, client.glance from role ceph_client). An image created with the
openstack CLI lands in the RBD pool; a second run changes nothing; secrets stay out of the output
and of the rendered, non-secret files."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.helpers.operator_lab import wire_glance_to_ceph
from tests.integration.openstack_service.services import (clouds_yaml, deploy_host_service, itest_port,
                                                          teardown_host_service)


@pytest.fixture(scope="module")
def glance(lab, mariadb, ceph, host_keystone, service_credentials):
    root = lab.settings.lab_dir / "glance-itest"
    ceph_dir = root / "etc-ceph"
    wire_glance_to_ceph(ceph, ceph_client_k8s_secrets=False, ceph_client_host_targets=["lab-controller"],
                        ceph_client_config_dir=str(ceph_dir))
    cred = service_credentials["glance"]
    svc = deploy_host_service(lab, mariadb, "glance", itest_port(lab.settings, "glance"), {
        "glance_keystone_auth_url": host_keystone.url,
        "glance_app_credential_id": cred.id,
        "glance_app_credential_secret": cred.secret,
        "glance_storage_backend": "rbd",
        "glance_ceph_fsid": ceph.json("fsid")["fsid"],
        "glance_ceph_monitors": ceph.mon_host,
        "glance_rbd_keyring": str(ceph_dir / "ceph.client.glance.keyring"),
    })
    yield svc
    teardown_host_service(mariadb, svc)


def test_image_create_lands_in_the_rbd_pool(glance, ceph, host_keystone, tmp_path):
    env = clouds_yaml(tmp_path, host_keystone)
    data = tmp_path / "tiny.img"
    data.write_bytes(b"c5c3-tiny-image\n" * 4096)
    proc = subprocess.run(["openstack", "image", "create", "--disk-format", "raw", "--container-format", "bare",
                           "--file", str(data), "itest-tiny", "-f", "json"],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    image = json.loads(proc.stdout)
    assert image["status"] == "active"
    assert image["id"] in ceph.cli("ls", "images", tool="rbd").stdout.split()
    saved = tmp_path / "saved.img"
    subprocess.run(["openstack", "image", "save", "--file", str(saved), image["id"]],
                   env=env, capture_output=True, text=True, timeout=300, check=True)
    assert saved.read_bytes() == data.read_bytes()
    subprocess.run(["openstack", "image", "delete", image["id"]], env=env, capture_output=True, timeout=300,
                   check=True)
    assert image["id"] not in ceph.cli("ls", "images", tool="rbd").stdout.split()


def test_second_run_changes_nothing(glance):
    again = glance.deploy()
    assert again.rc == 0, again.stdout[-3000:]
    assert again.changed == 0, [t["task"]["name"] for p in again.plays for t in p["tasks"]
                                if any(h.get("changed") for h in t["hosts"].values())]


def test_secrets_stay_out_of_output_and_config(glance, service_credentials, ceph):
    cred = service_credentials["glance"]
    ceph_key = ceph.get_key("client.glance")
    for secret in (cred.secret, glance.db_password, cred.user_password, ceph_key):
        assert secret not in glance.first_output
    etc = glance.root / "etc"
    for path in etc.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert cred.secret not in text and glance.db_password not in text and ceph_key not in text, path
    conf = (etc / "glance-api.conf").read_text()
    assert "auth_type = v3applicationcredential" in conf
    assert "enabled_backends = rbd:rbd" in conf and "rbd_store_pool = images" in conf
