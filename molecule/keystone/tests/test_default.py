"""testinfra checks of the converged host runtime: files, modes, keys, the serving process, /v3."""
import json
import os

LAB = os.environ.get("C5C3_LAB_DIR") or os.path.join(os.environ["MOLECULE_PROJECT_DIRECTORY"], ".lab")
ROOT = os.path.join(LAB, "keystone-molecule")
PORT = int(os.environ.get("C5C3_LAB_PORT_BASE") or 16000) + 502


def test_rendered_files_and_modes(host):
    conf = host.file(f"{ROOT}/etc/keystone.conf")
    assert conf.exists and conf.mode == 0o644
    assert conf.contains("provider = fernet")
    assert not conf.contains("mysql")
    assert host.file(f"{ROOT}/etc/policy.yaml").content_string == '"identity:list_credentials": "!"\n'
    secret = host.file(f"{ROOT}/state/secrets/keystone-secrets.conf")
    assert secret.mode == 0o600 and secret.contains("connection = mysql+pymysql://keystone_molecule:")


def test_key_repositories(host):
    for kind in ("fernet", "credential"):
        keys = host.file(f"{ROOT}/state/{kind}-keys")
        assert keys.is_directory and keys.mode == 0o700
        assert sorted(keys.listdir()) == ["0", "1"]


def test_gunicorn_serves_v3(host):
    pid = host.file(f"{ROOT}/state/gunicorn.pid").content_string.strip()
    assert "gunicorn" in host.file(f"/proc/{pid}/cmdline").content_string
    assert host.socket(f"tcp://127.0.0.1:{PORT}").is_listening
    out = host.run(f"curl -sf http://127.0.0.1:{PORT}/v3")
    assert out.rc == 0 and json.loads(out.stdout)["version"]["status"] == "stable"
