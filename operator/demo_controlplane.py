"""`make demo`, Keystone part: a Keystone custom resource reaches Ready through the operator and a
real keystone answers.

The operator runs locally against the lab as its own ServiceAccount (shipped RBAC, TokenRequest
token) with the shipped operator/mappings.yaml and the lab inventory, where Keystone CRs use the
host runtime (inventories/lab/group_vars/all/operator.yml): keystone under gunicorn on the lab's
keystone port, from the same rendered files a pod would mount. The demo applies
examples/keystone_lab.yaml, waits for Ready, then shows `kubectl get keystone`,
`openstack token issue` and `openstack catalog list` against that keystone.

Idempotent: the Secrets hold the lab's generated passwords, so a second demo finds the CR's
desired state already applied and the operator starts no playbook.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "lab"), str(REPO / "operator")]

from c5c3lab.components.kubernetes import kubectl as lab_kubectl  # noqa: E402
from c5c3lab.settings import load_settings  # noqa: E402
from cobaltcore_operator.testing import (  # noqa: E402
    OperatorProcess, install_rbac, service_account_kubeconfig, wait_for)

NAMESPACE = "openstack"
DEPLOY = REPO / "operator" / "deploy"
EXAMPLE = REPO / "examples" / "keystone_lab.yaml"


def secret(name: str, data: dict[str, str]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                       "metadata": {"name": name, "namespace": NAMESPACE}, "stringData": data})


def ready_object(kubectl, plural: str, name: str):
    """The object once its Ready condition is True for its current generation, else None."""
    got = json.loads(kubectl("-n", NAMESPACE, "get", plural, name, "-o", "json").stdout)
    status = got.get("status") or {}
    conds = {c["type"]: c for c in status.get("conditions") or []}
    failed = conds.get("Failed", {})
    if failed.get("status") == "True":
        print(f"  (retrying) {failed.get('reason')}: {failed.get('message')}")
    if conds.get("Ready", {}).get("status") == "True" \
            and status.get("observedGeneration") == got["metadata"]["generation"]:
        return got
    return None


def main() -> int:
    settings = load_settings()

    def kubectl(*args, input=None, check=True):
        return lab_kubectl(settings, *args, input=input, check=check)

    server = json.loads(kubectl("config", "view", "--minify", "-o", "json").stdout)["clusters"][0]["cluster"]["server"]
    kubectl("apply", "--server-side", "-f", str(DEPLOY / "crds" / "keystone.openstack.c5c3.io_keystones.yaml"))
    install_rbac(kubectl, DEPLOY / "rbac-keystone.yaml",
                 probe=("patch", "keystones.keystone.openstack.c5c3.io", "--subresource=status", "-A"))
    kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/keystones.keystone.openstack.c5c3.io")
    kubectl("apply", "--server-side", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}))
    secrets = settings.lab_dir / "secrets"
    # The lab's generated passwords (the inventory-driven keystone uses the same), so both ways of
    # deploying the lab keystone agree and neither re-bootstraps the other.
    # Generated on first use by the inventory's password lookups (0600, never printed).
    subprocess.run([str(Path(sys.executable).parent / "ansible"), "lab-controller", "-m", "ansible.builtin.assert",
                    "-a", "that='keystone_admin_password | length > 0 and keystone_database_password | length > 0'"
                    " quiet=true"], cwd=REPO, check=True, capture_output=True)
    admin = (secrets / "keystone-admin-password").read_text().strip()
    db = (secrets / "keystone-db-password").read_text().strip()
    kubectl("apply", "--server-side", "--field-manager=demo", "-f", "-",
            input=secret("keystone-admin-credentials", {"password": admin}))
    kubectl("apply", "--server-side", "--field-manager=demo", "-f", "-",
            input=secret("keystone-db-credentials", {"username": "keystone", "password": db}))

    with tempfile.TemporaryDirectory(prefix="c5c3-keystone-demo-") as tmp:
        tmp_path = Path(tmp)
        kubeconfig = service_account_kubeconfig(kubectl, server, settings.lab_dir / "pki" / "ca.crt",
                                                tmp_path / "kubeconfig")
        op = OperatorProcess(kubeconfig, REPO / "operator" / "mappings.yaml", NAMESPACE, tmp_path / "work",
                             tmp_path / "operator.log", ["--inventory", str(REPO / "inventories" / "lab")])
        print(f"operator: running as system:serviceaccount:cobaltcore-system:cobaltcore-operator on {server}")
        op.start()
        try:
            kubectl("-n", NAMESPACE, "apply", "--server-side", "--field-manager=demo", "-f", str(EXAMPLE))
            print(f"applied {EXAMPLE.relative_to(REPO)}; waiting for Keystone {NAMESPACE}/keystone to be Ready")
            got = wait_for(lambda: ready_object(kubectl, "keystones.keystone.openstack.c5c3.io", "keystone"),
                           timeout=900, interval=2, what="Keystone/keystone Ready")
            last = got["status"].get("lastRun") or {}
            print(f"Keystone ready: endpoint {got['status'].get('endpoint')}; last playbook run "
                  f"{last.get('start')} .. {last.get('end')} {last.get('result')} (changed={last.get('changed')})")
        except Exception:
            print(op.log()[-4000:], file=sys.stderr)
            raise
        finally:
            op.stop()
        print(f"$ kubectl -n {NAMESPACE} get keystone")
        print(kubectl("-n", NAMESPACE, "get", "keystone").stdout, end="")
        clouds = tmp_path / "clouds.yaml"
        clouds.write_text(yaml.safe_dump({"clouds": {"lab": {
            "auth": {"auth_url": got["status"]["endpoint"], "username": "admin", "password": admin,
                     "project_name": "admin", "user_domain_id": "default", "project_domain_id": "default"},
            "region_name": "RegionOne", "identity_api_version": 3}}}))
        clouds.chmod(0o600)
        env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds), "OS_CLOUD": "lab"}
        openstack = str(Path(sys.executable).parent / "openstack")
        for args in (["token", "issue", "-c", "expires", "-c", "project_id", "-c", "user_id"], ["catalog", "list"]):
            print(f"$ openstack {' '.join(args)}")
            out = subprocess.run([openstack, *args], env=env, check=True, capture_output=True, text=True)
            print(out.stdout, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
