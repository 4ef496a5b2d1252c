"""A real keystone deployed by the role's host runtime for these tests, beside the lab's own one.

The instance gets its own free port in the keystone block, database, directories and canary
passwords, with token caching off so a rotated-out key is observable. It shares the lab's keystone
venv (created on first use). Teardown stops its gunicorn by pidfile and drops its database.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import uuid
from pathlib import Path

import pymysql
import requests

from tests.helpers.operator_lab import free_port
from tests.helpers.processes import PrivateMemcached, stop_gunicorn
from tests.helpers.ansible import PlaybookResult, run_playbook

PLAYBOOK = "playbooks/keystone.yml"
ROTATE = "playbooks/keystone_rotate.yml"


@dataclasses.dataclass
class HostKeystone:
    url: str
    root: Path
    admin_password: str
    db_password: str
    extravars: dict
    first_run: PlaybookResult
    first_run_verbose_output: str

    def rotate(self, **overrides) -> PlaybookResult:
        return run_playbook(ROTATE, extravars={**self.extravars, **overrides})

    def token(self, user="admin", password=None, project="admin") -> str:
        body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": user, "password": password or self.admin_password, "domain": {"id": "default"}}}},
            "scope": {"project": {"name": project, "domain": {"id": "default"}}}}}
        resp = requests.post(f"{self.url}/auth/tokens", json=body, timeout=30)
        resp.raise_for_status()
        return resp.headers["X-Subject-Token"]

    def validate(self, subject: str) -> int:
        admin = self.token()
        return requests.get(f"{self.url}/auth/tokens", timeout=30,
                            headers={"X-Auth-Token": admin, "X-Subject-Token": subject}).status_code

    def key_indices(self, kind: str) -> list[int]:
        return sorted(int(p.name) for p in (self.root / "state" / f"{kind}-keys").iterdir())

    def clouds_yaml(self, tmp_path: Path) -> Path:
        path = tmp_path / "clouds.yaml"
        path.write_text(
            "clouds:\n  itest:\n    auth:\n"
            f"      auth_url: {self.url}\n      username: admin\n      password: {self.admin_password}\n"
            "      project_name: admin\n      user_domain_id: default\n      project_domain_id: default\n"
            "    region_name: RegionOne\n    identity_api_version: 3\n")
        path.chmod(0o600)
        return path


def _admin_sql(mariadb, sql: str) -> None:
    info = mariadb.connection_info()
    password = Path(info["MARIADB_ADMIN_PASSWORD_FILE"]).read_text().strip()
    conn = pymysql.connect(host=info["MARIADB_HOST"], port=int(info["MARIADB_PORT"]),
                           user=info["MARIADB_ADMIN_USER"], password=password)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
        conn.commit()
    finally:
        conn.close()


def deploy_host_keystone(lab, mariadb, memcached):
    """The session's host-runtime keystone; registered once as the `host_keystone` fixture in
    tests/integration/conftest.py so every suite shares one instance."""
    settings = lab.settings
    # Per pytest session (other suites reuse this fixture, possibly at the same time): own
    # directory, database and a free port in the keystone block (+2 is the molecule scenario's).
    session = str(os.getpid())
    port = _free_port([settings.ports.keystone + n for n in range(1, 20) if n != 2])
    root = settings.lab_dir / f"keystone-itest-{session}"
    db_name = f"keystone_itest_{session}"
    # Canary secrets: unique strings that must never appear in logs, ConfigMaps or facts.
    admin_password = f"canary-admin-{uuid.uuid4().hex}"
    db_password = f"canary-db-{uuid.uuid4().hex}"
    cache = PrivateMemcached.start(root / "memcached", free_port())
    extravars = {
        "keystone_runtime": "host",
        "keystone_venv_dir": str(settings.service_venv("keystone")),
        "keystone_config_dir": str(root / "etc"),
        "keystone_state_dir": str(root / "state"),
        "keystone_log_dir": str(root / "log"),
        "keystone_bind_port": port,
        "keystone_database_name": db_name,
        "keystone_database_user": db_name,
        "keystone_database_password": db_password,
        "keystone_admin_password": admin_password,
        # Token validations uncached: the rotation tests see a dropped key take effect at once.
        "keystone_token_caching": False,
        "keystone_cache_servers": cache.servers,
        "keystone_middleware": [{"name": "gzip", "filterFactory": "egg:Paste#gzip",
                                 "position": {"before": "cors"}, "config": {"compress_level": 6}}],
        "keystone_policy_overrides": {"identity:list_credentials": "!"},
        "keystone_domains": {"itestdomain": {"identity": {"driver": "sql"}}},
    }
    # The first deployment runs at -v: its whole output is kept for the canary test.
    verbose = run_playbook(PLAYBOOK, extravars=extravars, verbosity=1, json_output=False)
    if verbose.rc != 0:
        cache.stop()
    assert verbose.rc == 0, verbose.stdout[-4000:] + verbose.stderr[-2000:]
    handle = HostKeystone(f"http://127.0.0.1:{port}/v3", root, admin_password, db_password, extravars,
                          verbose, verbose.stdout + verbose.stderr)
    yield handle
    if not os.environ.get("C5C3_KEYSTONE_ITEST_KEEP"):
        stop_gunicorn(root / "state" / "gunicorn.pid")
        cache.stop()
        _admin_sql(mariadb, f"DROP DATABASE IF EXISTS {db_name}")
        _admin_sql(mariadb, f"DROP USER IF EXISTS '{db_name}'@'%'")
        shutil.rmtree(root, ignore_errors=True)


def _free_port(candidates: list[int]) -> int:
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free keystone test port in {candidates[0]}..{candidates[-1]}")
