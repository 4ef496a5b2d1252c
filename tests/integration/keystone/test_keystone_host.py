"""The role's host runtime against the real lab: a real keystone 30 served by gunicorn from the
rendered files, fernet and credential rotation, secrets kept out of logs, idempotence, check mode."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

import requests

from tests.helpers.ansible import run_playbook

REPO = Path(__file__).resolve().parents[3]


def _openstack(host_keystone, tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OS_CLIENT_CONFIG_FILE=str(host_keystone.clouds_yaml(tmp_path)), OS_CLOUD="itest",
               PYTHONWARNINGS="ignore")
    for key in [k for k in env if k.startswith("OS_") and k not in ("OS_CLIENT_CONFIG_FILE", "OS_CLOUD")]:
        env.pop(key)
    return subprocess.run(["openstack", *args, "-f", "json"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


def _tree_digest(root: Path) -> dict[str, str]:
    # Configuration, keys, secrets and markers; logs grow with every keystone-manage call.
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for sub in ("etc", "state") for p in sorted((root / sub).rglob("*")) if p.is_file()}


def test_keystone_serves_v3_from_the_rendered_config(host_keystone):
    resp = requests.get(host_keystone.url, timeout=10)
    assert resp.status_code == 200
    assert resp.json()["version"]["id"] == "v3.14"
    conf = (host_keystone.root / "etc" / "keystone.conf").read_text()
    # keystone_token_caching: false turns off both ways a token enters the validation cache.
    assert "[token]\ncache_on_issue = false\ncaching = false\n" in conf
    assert f"[cache]\nbackend = dogpile.cache.pymemcache\nenabled = true\nmemcache_servers = 127.0.0.1:" in conf
    assert f"key_repository = {host_keystone.root}/state/fernet-keys" in conf
    # The database URL reaches keystone only through the 0600 secret fragment.
    assert "connection = mysql" not in conf
    fragment = host_keystone.root / "state" / "secrets" / "keystone-secrets.conf"
    assert oct(fragment.stat().st_mode & 0o777) == "0o600"
    assert host_keystone.db_password in fragment.read_text()
    # pip installs the venv under this copy of the role's constraints: byte for byte.
    assert (host_keystone.root / "state" / "keystone-constraints.txt").read_bytes() == \
        (REPO / "roles" / "keystone" / "files" / "keystone-constraints.txt").read_bytes()


def test_openstack_cli_token_issue_and_catalog_list(host_keystone, tmp_path):
    token = _openstack(host_keystone, tmp_path, "token", "issue")
    assert token.returncode == 0, token.stderr
    assert json.loads(token.stdout)["id"]
    catalog = _openstack(host_keystone, tmp_path, "catalog", "list")
    assert catalog.returncode == 0, catalog.stderr
    entries = json.loads(catalog.stdout)
    identity = [e for e in entries if e["Type"] == "identity"]
    assert identity and host_keystone.url in json.dumps(identity)


def test_middleware_from_api_paste_wraps_keystone(host_keystone):
    # Paste's gzip filter, inserted before cors in api-paste.ini: keystone itself never compresses.
    resp = requests.get(host_keystone.url, headers={"Accept-Encoding": "gzip"}, timeout=10)
    assert resp.status_code == 200
    assert resp.headers.get("Content-Encoding") == "gzip"
    assert resp.json()["version"]["id"] == "v3.14"  # requests decompressed it
    plain = requests.get(host_keystone.url, headers={"Accept-Encoding": "identity"}, timeout=10)
    assert "Content-Encoding" not in plain.headers
    paste = (host_keystone.root / "etc" / "api-paste.ini").read_text()
    assert "pipeline = gzip cors sizelimit" in paste
    assert "[filter:gzip]\ncompress_level = 6\nuse = egg:Paste#gzip\n" in paste


def test_policy_override_is_enforced(host_keystone):
    headers = {"X-Auth-Token": host_keystone.token()}
    assert requests.get(f"{host_keystone.url}/regions", headers=headers, timeout=10).status_code == 200
    # identity:list_credentials is overridden to "!" (never allowed), even for the admin.
    assert requests.get(f"{host_keystone.url}/credentials", headers=headers, timeout=10).status_code == 403
    conf = (host_keystone.root / "etc" / "keystone.conf").read_text()
    assert f"policy_file = {host_keystone.root}/etc/policy.yaml" in conf
    assert (host_keystone.root / "etc" / "domains" / "keystone.itestdomain.conf").read_text() == \
        "[identity]\ndriver = sql\n"


def test_second_run_changes_nothing_and_shows_no_secret_at_v(host_keystone):
    # One run serves both: idempotence, and the task results and facts a -v JSON run returns.
    result = run_playbook("playbooks/keystone.yml", extravars=host_keystone.extravars, verbosity=1)
    assert result.rc == 0, result.stdout[-3000:]
    assert result.changed == 0, [t["task"]["name"] for p in result.plays for t in p["tasks"]
                                 if any(h.get("changed") for h in t["hosts"].values())]
    for secret in (host_keystone.admin_password, host_keystone.db_password):
        assert secret not in result.stdout
        assert secret not in result.stderr


def test_check_mode_with_a_config_change_changes_nothing(host_keystone):
    before = _tree_digest(host_keystone.root)
    pid = (host_keystone.root / "state" / "gunicorn.pid").read_text()
    result = run_playbook("playbooks/keystone.yml", check=True, extravars={
        **host_keystone.extravars, "keystone_extra_config": {"DEFAULT": {"max_param_size": 128}}})
    assert result.rc == 0, result.stdout[-3000:]
    assert result.changed > 0  # it would change keystone.conf ...
    assert _tree_digest(host_keystone.root) == before  # ... but changed nothing
    assert (host_keystone.root / "state" / "gunicorn.pid").read_text() == pid


def test_no_secret_in_first_run_verbose_output_or_rendered_files(host_keystone):
    secrets = [host_keystone.admin_password, host_keystone.db_password]
    output = host_keystone.first_run_verbose_output
    assert "TASK [" in output and "changed:" in output  # the -v run really ran
    for secret in secrets:
        assert secret not in output
    for path in (host_keystone.root / "etc").rglob("*"):
        if path.is_file():
            for secret in secrets:
                assert secret not in path.read_text(), path


def test_fernet_rotation_keeps_then_drops_old_tokens(host_keystone):
    keys_before = host_keystone.key_indices("fernet")
    old = host_keystone.token()
    assert host_keystone.validate(old) == 200

    first = host_keystone.rotate(keystone_rotate_key_types=["fernet"])
    assert first.rc == 0, first.stdout[-3000:]
    keys_after_one = host_keystone.key_indices("fernet")
    assert max(keys_after_one) == max(keys_before) + 1 and 0 in keys_after_one
    # One rotation: the key that signed `old` is now secondary; keystone reads keys from disk.
    assert host_keystone.validate(old) == 200
    fresh = host_keystone.token()

    second = host_keystone.rotate(keystone_rotate_key_types=["fernet"])
    assert second.rc == 0
    assert len(host_keystone.key_indices("fernet")) == 3
    assert max(keys_before) not in host_keystone.key_indices("fernet")
    # Its key is gone and token caching is off: rejected. The newer token still validates.
    assert host_keystone.validate(old) == 404
    assert host_keystone.validate(fresh) == 200


def test_credentials_survive_credential_key_rotation(host_keystone):
    token = host_keystone.token()
    headers = {"X-Auth-Token": token}
    me = requests.get(f"{host_keystone.url}/auth/tokens", timeout=10,
                      headers={**headers, "X-Subject-Token": token}).json()["token"]["user"]["id"]
    blob = json.dumps({"access": "itest-access", "secret": "itest-secret"})
    created = requests.post(f"{host_keystone.url}/credentials", headers=headers, timeout=10,
                            json={"credential": {"type": "cert", "user_id": me, "blob": blob}})
    assert created.status_code == 201, created.text
    cred_id = created.json()["credential"]["id"]
    try:
        for _ in range(3):  # more rotations than max_active_keys: only credential_migrate saves it
            result = host_keystone.rotate(keystone_rotate_key_types=["credential"])
            assert result.rc == 0, result.stdout[-3000:]
        got = requests.get(f"{host_keystone.url}/credentials/{cred_id}", headers=headers, timeout=10)
        assert got.status_code == 200, got.text
        assert json.loads(got.json()["credential"]["blob"]) == json.loads(blob)
    finally:
        requests.delete(f"{host_keystone.url}/credentials/{cred_id}", headers=headers, timeout=10)
