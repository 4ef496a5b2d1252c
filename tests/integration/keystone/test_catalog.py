"""Role catalog against the real keystone of the host runtime: regions, services, endpoints, service
users, roles and application credentials; idempotent; secrets stay out of the output."""
from __future__ import annotations

import uuid

import requests

from tests.helpers.ansible import run_playbook


def test_catalog_role_creates_usable_service_accounts_idempotently(host_keystone):
    # Names of its own: the keystone is shared with the glance/placement suites' service accounts.
    user_password = f"canary-user-{uuid.uuid4().hex}"
    ac_secret = f"canary-ac-{uuid.uuid4().hex}"
    extravars = {
        "catalog_auth": {"auth_url": host_keystone.url, "username": "admin",
                         "password": host_keystone.admin_password, "project_name": "admin",
                         "user_domain_id": "default", "project_domain_id": "default"},
        "catalog_regions": [{"name": "RegionTwo", "description": "second region"}],
        "catalog_services": [{"name": "catalog-test", "type": "catalog-test", "description": "Test service", "endpoints": [
            {"interface": "public", "url": "http://glance.example:9292", "region": "RegionOne"},
            {"interface": "internal", "url": "http://glance.internal:9292", "region": "RegionTwo"}]}],
        "catalog_users": [{"name": "catalog-test", "password": user_password, "default_project": "service",
                           "roles": [{"role": "service", "project": "service"},
                                     {"role": "admin", "project": "service"}]}],
        "catalog_application_credentials": [{"name": "catalog-test-runtime", "user": "catalog-test",
                                             "user_password": user_password, "project": "service",
                                             "secret": ac_secret, "roles": ["service"]}],
    }
    first = run_playbook("playbooks/catalog.yml", extravars=extravars, verbosity=1)
    assert first.rc == 0, first.stdout[-4000:]
    assert first.changed > 0
    for secret in (user_password, ac_secret, host_keystone.admin_password):
        assert secret not in first.stdout and secret not in first.stderr

    second = run_playbook("playbooks/catalog.yml", extravars=extravars)
    assert second.rc == 0, second.stdout[-3000:]
    assert second.changed == 0, [t["task"]["name"] for p in second.plays for t in p["tasks"]
                                 if any(h.get("changed") for h in t["hosts"].values())]

    # The application credential authenticates and its token carries the catalog and the role.
    body = {"auth": {"identity": {"methods": ["application_credential"], "application_credential": {
        "name": "catalog-test-runtime", "secret": ac_secret, "user": {"name": "catalog-test", "domain": {"id": "default"}}}}}}
    resp = requests.post(f"{host_keystone.url}/auth/tokens", json=body, timeout=30)
    assert resp.status_code == 201, resp.text
    token = resp.json()["token"]
    assert [r["name"] for r in token["roles"]] == ["service"]
    assert token["project"]["name"] == "service"
    image = [s for s in token["catalog"] if s["type"] == "catalog-test"][0]
    assert {(e["interface"], e["region"], e["url"]) for e in image["endpoints"]} == {
        ("public", "RegionOne", "http://glance.example:9292"),
        ("internal", "RegionTwo", "http://glance.internal:9292")}
    headers = {"X-Auth-Token": host_keystone.token()}
    regions = requests.get(f"{host_keystone.url}/regions", headers=headers, timeout=10).json()["regions"]
    assert {"id": "RegionTwo", "description": "second region"}.items() <= \
        [r for r in regions if r["id"] == "RegionTwo"][0].items()

    # A new secret for the same credential (rotation, or a Secret re-created): the stale
    # credential is replaced, the old secret stops working, and the run after is a no-op again.
    rotated = f"canary-ac-{uuid.uuid4().hex}"
    extravars["catalog_application_credentials"][0]["secret"] = rotated
    third = run_playbook("playbooks/catalog.yml", extravars=extravars)
    assert third.rc == 0, third.stdout[-3000:]
    assert third.changed == 1
    old = requests.post(f"{host_keystone.url}/auth/tokens", json=body, timeout=30)
    assert old.status_code == 401, old.text
    body["auth"]["identity"]["application_credential"]["secret"] = rotated
    assert requests.post(f"{host_keystone.url}/auth/tokens", json=body, timeout=30).status_code == 201
    assert run_playbook("playbooks/catalog.yml", extravars=extravars).changed == 0
