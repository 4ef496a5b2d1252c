"""Role placement, host runtime, against a real keystone (application credential auth) and the lab
MariaDB: the API serves resource providers, a second run changes nothing, secrets stay out of the
output and the rendered files."""
from __future__ import annotations

import json
import subprocess

import pytest

from tests.integration.openstack_service.services import (clouds_yaml, deploy_host_service, itest_port,
                                                          teardown_host_service)


@pytest.fixture(scope="module")
def placement(lab, mariadb, host_keystone, service_credentials):
    cred = service_credentials["placement"]
    svc = deploy_host_service(lab, mariadb, "placement", itest_port(lab.settings, "placement"), {
        "placement_keystone_auth_url": host_keystone.url,
        "placement_app_credential_id": cred.id,
        "placement_app_credential_secret": cred.secret,
    })
    yield svc
    teardown_host_service(mariadb, svc)


def test_resource_provider_list_through_keystone(placement, host_keystone, tmp_path):
    env = clouds_yaml(tmp_path, host_keystone)
    proc = subprocess.run(["openstack", "resource", "provider", "list", "-f", "json"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
    create = subprocess.run(["openstack", "resource", "provider", "create", "itest-rp", "-f", "json"],
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert create.returncode == 0, create.stderr
    listed = subprocess.run(["openstack", "resource", "provider", "list", "-f", "json"],
                            env=env, capture_output=True, text=True, timeout=120, check=True)
    assert [rp["name"] for rp in json.loads(listed.stdout)] == ["itest-rp"]


def test_unauthenticated_request_is_refused(placement):
    import requests
    assert requests.get(f"{placement.url}/resource_providers", timeout=30).status_code == 401


def test_second_run_changes_nothing(placement):
    again = placement.deploy()
    assert again.rc == 0, again.stdout[-3000:]
    assert again.changed == 0, [t["task"]["name"] for p in again.plays for t in p["tasks"]
                                if any(h.get("changed") for h in t["hosts"].values())]


def test_secrets_only_in_the_secret_fragment(placement, service_credentials):
    cred = service_credentials["placement"]
    for secret in (cred.secret, placement.db_password, cred.user_password):
        assert secret not in placement.first_output
    conf = (placement.root / "etc" / "placement.conf").read_text()
    assert "auth_type = v3applicationcredential" in conf
    assert cred.secret not in conf and placement.db_password not in conf
    secret_conf = placement.root / "state" / "secrets" / "placement-secrets.conf"
    assert oct(secret_conf.stat().st_mode & 0o777) == "0o600"
    text = secret_conf.read_text()
    assert cred.secret in text and cred.id in text and "[placement_database]" in text
