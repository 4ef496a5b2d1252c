"""Module host_files: directories, files and secret files of a host service in one run, checked
before anything changes, idempotent, check and diff mode, secret content never shown."""
from __future__ import annotations

import json
import os
import stat

import yaml

from tests.helpers.ansible import run_module, run_playbook

SECRET = "canary-secret-4f1c0d"


def _mode(path) -> str:
    return "%04o" % stat.S_IMODE(os.stat(path).st_mode)


def _declaration(root):
    return {
        "directories": [{"path": f"{root}/etc", "mode": "0755"}, {"path": f"{root}/etc/domains", "mode": "0750"},
                        {"path": f"{root}/state/secrets", "mode": "0700"}],
        "files": [{"path": f"{root}/etc/app.conf", "content": "[DEFAULT]\ndebug = false\n"},
                  {"path": f"{root}/etc/domains/app.a.conf", "content": "[identity]\n", "mode": "0640"}],
        "secret_files": [{"path": f"{root}/state/secrets/app-secrets.conf", "content": f"password = {SECRET}\n"}],
        "absent": [f"{root}/etc/policy.yaml", f"{root}/etc/domains/app.*.conf"],
    }


def test_creates_everything_then_changes_nothing(tmp_path):
    args = _declaration(tmp_path)
    first = run_module("host_files", args)
    assert first["changed"] is True, first
    assert sorted(first["directories"]) == sorted(d["path"] for d in args["directories"])
    assert len(first["written"]) == 3 and first["removed"] == []
    assert (tmp_path / "etc/app.conf").read_text() == "[DEFAULT]\ndebug = false\n"
    assert _mode(tmp_path / "etc/app.conf") == "0644"
    assert _mode(tmp_path / "etc/domains/app.a.conf") == "0640"
    assert _mode(tmp_path / "etc/domains") == "0750"
    assert _mode(tmp_path / "state/secrets") == "0700"
    assert _mode(tmp_path / "state/secrets/app-secrets.conf") == "0600"
    assert SECRET not in json.dumps(first)

    again = run_module("host_files", args)
    assert again["changed"] is False and again["written"] == [] and again["directories"] == []


def test_absent_removes_undeclared_matches_only(tmp_path):
    args = _declaration(tmp_path)
    run_module("host_files", args)
    (tmp_path / "etc/policy.yaml").write_text("old: rule\n")
    (tmp_path / "etc/domains/app.b.conf").write_text(f"password = {SECRET}\n")
    (tmp_path / "etc/unrelated.txt").write_text("kept\n")
    result = run_module("host_files", args, diff=True)
    assert result["changed"] is True
    assert sorted(result["removed"]) == [f"{tmp_path}/etc/domains/app.b.conf", f"{tmp_path}/etc/policy.yaml"]
    assert not (tmp_path / "etc/policy.yaml").exists()
    assert (tmp_path / "etc/domains/app.a.conf").exists() and (tmp_path / "etc/unrelated.txt").exists()
    # A removed file may have held a secret: the diff names it, never shows its content.
    assert {"path": f"{tmp_path}/etc/policy.yaml", "state": "absent"} in [d["after"] for d in result["diff"]]
    assert SECRET not in json.dumps(result)


def test_check_mode_reports_and_writes_nothing_with_a_diff_per_file(tmp_path):
    args = _declaration(tmp_path)
    run_module("host_files", args)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    changed = json.loads(json.dumps(args))
    changed["files"][0]["content"] = "[DEFAULT]\ndebug = true\n"
    changed["secret_files"][0]["content"] = "password = other-secret\n"
    result = run_module("host_files", changed, check=True, diff=True)
    assert result["changed"] is True
    assert sorted(result["written"]) == sorted([changed["files"][0]["path"], changed["secret_files"][0]["path"]])
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    diffs = {d["after_header"]: d for d in result["diff"]}
    conf = diffs[changed["files"][0]["path"]]
    assert conf["before"] == "[DEFAULT]\ndebug = false\n" and conf["after"] == "[DEFAULT]\ndebug = true\n"
    secret = diffs[changed["secret_files"][0]["path"]]
    assert secret["before"] == secret["after"] == "(secret)\n"
    assert SECRET not in json.dumps(result) and "other-secret" not in json.dumps(result)


def test_a_mode_change_keeps_the_file(tmp_path):
    args = _declaration(tmp_path)
    run_module("host_files", args)
    conf = tmp_path / "etc/app.conf"
    inode = conf.stat().st_ino
    args["files"][0]["mode"] = "0600"
    result = run_module("host_files", args, diff=True)
    assert result["written"] == [str(conf)]
    assert _mode(conf) == "0600" and conf.stat().st_ino == inode  # chmod, not a rewrite
    assert result["diff"][0]["before"].startswith("mode 0644\n")


def test_bad_declarations_fail_before_anything_changes(tmp_path):
    (tmp_path / "file").write_text("x")
    good = {"path": f"{tmp_path}/new.conf", "content": "new\n"}
    cases = {
        "relative": ({"files": [good, {"path": "etc/app.conf", "content": ""}]}, "must be absolute"),
        "mode": ({"files": [good, {"path": f"{tmp_path}/b", "content": "", "mode": "rw-r--r--"}]}, "octal mode"),
        "parent": ({"files": [good, {"path": f"{tmp_path}/missing/b", "content": ""}]}, "does not exist"),
        "duplicate": ({"files": [good, dict(good, content="other\n")]}, "more than once"),
        "dir is a file": ({"directories": [{"path": f"{tmp_path}/file"}], "files": [good]}, "not a directory"),
        "file is a dir": ({"files": [good, {"path": str(tmp_path), "content": ""}]}, "not a regular file"),
    }
    for name, (args, message) in cases.items():
        result = run_module("host_files", args)
        assert result.get("failed") and message in result["msg"], (name, result)
        assert result["changed"] is False
        assert not (tmp_path / "new.conf").exists(), name


def test_secret_content_stays_out_of_verbose_diff_output(tmp_path):
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "files", "c5c3.cobaltcore.host_files": _declaration(tmp_path / "out")}]}]))
    (tmp_path / "out").mkdir()
    result = run_playbook(playbook, inventory="localhost,", diff=True, verbosity=3, json_output=False,
                          extravars={"ansible_connection": "local", "ansible_python_interpreter": os.sys.executable})
    assert result.rc == 0, result.stdout[-3000:]
    assert "debug = false" in result.stdout  # the diff of the plain file is shown
    assert SECRET not in result.stdout and SECRET not in result.stderr
