"""Shared fixtures of the OpenStack API service tests (glance, placement, openstack_service):
service users and application credentials in a real keystone (the keystone tests' host_keystone),
created through the catalog role, and host-runtime deployments of glance and placement."""
from __future__ import annotations

import dataclasses
import os
import uuid
from pathlib import Path

import requests

from tests.helpers.processes import stop_gunicorn
from tests.helpers.ansible import PlaybookResult, run_playbook
from tests.integration.keystone.conftest import _admin_sql


@dataclasses.dataclass
class AppCredential:
    user: str
    name: str
    id: str
    secret: str
    user_password: str


def _ac_id(keystone_url: str, user: str, name: str, secret: str) -> str:
    body = {"auth": {"identity": {"methods": ["application_credential"], "application_credential": {
        "name": name, "secret": secret, "user": {"name": user, "domain": {"id": "default"}}}}}}
    resp = requests.post(f"{keystone_url}/auth/tokens", json=body, timeout=30)
    resp.raise_for_status()
    return resp.json()["token"]["application_credential"]["id"]


def itest_port(settings, service: str) -> int:
    """Port of the glance/placement these tests deploy by hand: next to the lab's own one (the port
    block's glance/placement port, which the lab's CR-driven service of make demo holds)."""
    return getattr(settings.ports, service) + 1


# Each test directory's conftest imports the fixtures, so pytest may run them once per directory in
# one session against the same keystone (same directory and database): the credentials are made once.
_CREDENTIALS: dict[str, dict[str, AppCredential]] = {}


def make_service_credentials(lab, host_keystone) -> dict[str, AppCredential]:
    """Users glance and placement (project service, roles service + admin), one application
    credential each and their catalog entries (the host runtime's ports), made by the catalog role;
    secrets are canaries."""
    if str(host_keystone.root) in _CREDENTIALS:
        return _CREDENTIALS[str(host_keystone.root)]
    creds = {svc: AppCredential(svc, f"{svc}-runtime", "", f"canary-ac-{svc}-{uuid.uuid4().hex}",
                                f"canary-user-{svc}-{uuid.uuid4().hex}") for svc in ("glance", "placement")}
    extravars = {
        "catalog_auth": {"auth_url": host_keystone.url, "username": "admin",
                         "password": host_keystone.admin_password, "project_name": "admin",
                         "user_domain_id": "default", "project_domain_id": "default"},
        "catalog_services": [
            {"name": "glance", "type": "image", "endpoints": [
                {"interface": i, "url": f"http://127.0.0.1:{itest_port(lab.settings, 'glance')}",
                 "region": "RegionOne"}
                for i in ("public", "internal")]},
            {"name": "placement", "type": "placement", "endpoints": [
                {"interface": i, "url": f"http://127.0.0.1:{itest_port(lab.settings, 'placement')}",
                 "region": "RegionOne"}
                for i in ("public", "internal")]}],
        "catalog_users": [{"name": c.user, "password": c.user_password, "default_project": "service",
                           "roles": [{"role": "service", "project": "service"},
                                     {"role": "admin", "project": "service"}]} for c in creds.values()],
        "catalog_application_credentials": [{"name": c.name, "user": c.user, "user_password": c.user_password,
                                             "project": "service", "secret": c.secret,
                                             "roles": ["service", "admin"]} for c in creds.values()],
    }
    result = run_playbook("playbooks/catalog.yml", extravars=extravars)
    assert result.rc == 0, result.stdout[-4000:]
    for c in creds.values():
        c.id = _ac_id(host_keystone.url, c.user, c.name, c.secret)
    _CREDENTIALS[str(host_keystone.root)] = creds
    return creds


@dataclasses.dataclass
class HostService:
    name: str
    url: str
    root: Path
    db_password: str
    extravars: dict
    first_run: PlaybookResult
    first_output: str

    def deploy(self, **overrides) -> PlaybookResult:
        return run_playbook(f"playbooks/{self.name}.yml", extravars={**self.extravars, **overrides})


def deploy_host_service(lab, mariadb, name: str, port: int, extravars: dict) -> HostService:
    """Deploy `name` with the host runtime under .lab/<name>-itest at -v; returns the handle."""
    settings = lab.settings
    root = settings.lab_dir / f"{name}-itest"
    db = f"{name}_itest"
    stop_gunicorn(root / "state" / "gunicorn.pid")
    _admin_sql(mariadb, f"DROP DATABASE IF EXISTS {db}")
    db_password = f"canary-db-{name}-{uuid.uuid4().hex}"
    info = mariadb.connection_info()
    base = {
        f"{name}_runtime": "host",
        f"{name}_venv_dir": str(settings.service_venv(name)),
        f"{name}_config_dir": str(root / "etc"),
        f"{name}_state_dir": str(root / "state"),
        f"{name}_log_dir": str(root / "log"),
        f"{name}_bind_port": port,
        f"{name}_database_port": int(info["MARIADB_PORT"]),
        f"{name}_database_name": db,
        f"{name}_database_user": db,
        f"{name}_database_password": db_password,
        f"{name}_database_login_user": info["MARIADB_ADMIN_USER"],
        f"{name}_database_login_password": Path(info["MARIADB_ADMIN_PASSWORD_FILE"]).read_text().strip(),
    }
    allvars = {**base, **extravars}
    first = run_playbook(f"playbooks/{name}.yml", extravars=allvars, verbosity=1, json_output=False)
    assert first.rc == 0, first.stdout[-6000:] + first.stderr[-2000:]
    return HostService(name, f"http://127.0.0.1:{port}", root, db_password, allvars, first,
                       first.stdout + first.stderr)


def teardown_host_service(mariadb, svc: HostService) -> None:
    if os.environ.get("C5C3_SERVICE_ITEST_KEEP"):
        return
    stop_gunicorn(svc.root / "state" / "gunicorn.pid")
    _admin_sql(mariadb, f"DROP DATABASE IF EXISTS {svc.extravars[svc.name + '_database_name']}")


def clouds_yaml(tmp_path: Path, keystone) -> dict:
    """Environment for the openstack CLI as the keystone admin."""
    path = keystone.clouds_yaml(tmp_path)
    return dict(os.environ, OS_CLIENT_CONFIG_FILE=str(path), OS_CLOUD="itest")
