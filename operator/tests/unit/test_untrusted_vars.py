"""What a custom resource says reaches playbooks as data: Jinja in a spec is never executed."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

from cobaltcore_operator._reconciler import untrusted

INJECTION = "{{ lookup('ansible.builtin.pipe', 'echo pwned') }}{{ 7 * 7 }}"


def test_untrusted_wraps_every_string_and_keeps_structure():
    value = {"name": "a", "spec": {"n": 3, "ok": True, "items": ["x", {"y": "z"}], "none": None}}
    wrapped = untrusted(value)
    assert wrapped["name"] == {"__ansible_unsafe": "a"}
    assert wrapped["spec"]["n"] == 3 and wrapped["spec"]["ok"] is True and wrapped["spec"]["none"] is None
    assert wrapped["spec"]["items"] == [{"__ansible_unsafe": "x"}, {"y": {"__ansible_unsafe": "z"}}]


def test_jinja_in_a_spec_reaches_the_playbook_literally(tmp_path):
    playbook = tmp_path / "echo.yml"
    out = tmp_path / "out.json"
    playbook.write_text(textwrap.dedent(f"""
        - hosts: localhost
          gather_facts: false
          tasks:
            - name: Write what the playbook sees
              ansible.builtin.copy:
                content: "{{{{ {{'name': cobaltcore_cr.spec.name, 'joined': cobaltcore_cr.spec.name ~ '!'}} | to_json }}}}"
                dest: {out}
                mode: "0600"
    """))
    extravars = {"cobaltcore_cr": untrusted({"spec": {"name": INJECTION}})}
    proc = subprocess.run(
        [shutil.which("ansible-playbook"), "-i", "localhost,", "-c", "local",
         "-e", f"ansible_python_interpreter={sys.executable}", "-e", json.dumps(extravars), str(playbook)],
        capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    seen = json.loads(out.read_text())
    assert seen["name"] == INJECTION
    assert seen["joined"] == INJECTION + "!"
    assert "pwned" not in proc.stdout and "49" not in out.read_text()
