"""`make demo`, control-plane part: one ControlPlane custom resource reaches Ready through the
operator, with a real keystone answering.

The operator runs locally against the lab as its own ServiceAccount (shipped RBAC, TokenRequest
token) with the shipped operator/mappings.yaml and the lab inventory. The demo applies
examples/controlplane_lab.yaml; the operator runs playbooks/controlplane.yml (infrastructure on the
lab's host services, a Keystone CR owned by the ControlPlane, the catalog) and, in parallel,
playbooks/keystone_cr.yml for that Keystone CR, whose lab runtime is `host`
(inventories/lab/group_vars/all/operator.yml): keystone under gunicorn on the lab's keystone port,
from the same rendered files a pod would mount. Then: `kubectl get controlplane,keystone`,
`openstack token issue` and `openstack catalog list` against that keystone.

Idempotent: the Secrets hold the lab's generated passwords (the inventory-driven lab keystone uses
the same), so a second demo finds every desired state applied and the operator starts no playbook.
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
    OperatorProcess, install_rbac, mapping_subset, service_account_kubeconfig, wait_for)

NAMESPACE = "openstack"
DEPLOY = REPO / "operator" / "deploy"
EXAMPLE = REPO / "examples" / "controlplane_lab.yaml"
KEYSTONE = "keystones.keystone.openstack.c5c3.io"
CONTROLPLANE = "controlplanes.c5c3.io"


def secret(name: str, data: dict[str, str]) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                       "metadata": {"name": name, "namespace": NAMESPACE}, "stringData": data})


_SAID: dict[str, tuple] = {}


def ready_object(kubectl, plural: str, name: str):
    """The object once its Ready condition is True for its current generation, else None."""
    got = json.loads(kubectl("-n", NAMESPACE, "get", plural, name, "-o", "json").stdout)
    status = got.get("status") or {}
    conds = {c["type"]: c for c in status.get("conditions") or []}
    failed = conds.get("Failed", {})
    said = (failed.get("message"), (status.get("lastRun") or {}).get("end"))
    if failed.get("status") == "True" and (status.get("lastRun") or {}).get("result") == "Failed" \
            and said != _SAID.get(name):
        _SAID[name] = said
        print(f"  (will retry) {failed.get('reason')}: {failed.get('message')}")
    if conds.get("Ready", {}).get("status") == "True" \
            and status.get("observedGeneration") == got["metadata"]["generation"]:
        return got
    return None


def main() -> int:
    settings = load_settings()

    def kubectl(*args, input=None, check=True):
        return lab_kubectl(settings, *args, input=input, check=check)

    server = json.loads(kubectl("config", "view", "--minify", "-o", "json").stdout)["clusters"][0]["cluster"]["server"]
    for crd in ("keystone.openstack.c5c3.io_keystones.yaml", "c5c3.io_controlplanes.yaml"):
        kubectl("apply", "--server-side", "-f", str(DEPLOY / "crds" / crd))
    who = install_rbac(kubectl, DEPLOY / "rbac-keystone.yaml", DEPLOY / "rbac-controlplane.yaml",
                       probe=("patch", CONTROLPLANE, "--subresource=status", "-A"))
    wait_for(lambda: kubectl("auth", "can-i", "patch", KEYSTONE, "--subresource=status", "-A", "--as", who,
                             check=False).stdout.strip() == "yes", what="the Keystone ClusterRole")
    for crd in (KEYSTONE, CONTROLPLANE):
        kubectl("wait", "--for=condition=Established", "--timeout=60s", f"crd/{crd}")
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

    with tempfile.TemporaryDirectory(prefix="c5c3-controlplane-demo-") as tmp:
        tmp_path = Path(tmp)
        kubeconfig = service_account_kubeconfig(kubectl, server, settings.lab_dir / "pki" / "ca.crt",
                                                tmp_path / "kubeconfig")
        # The shipped entries of the two kinds whose RBAC the demo installed.
        mappings = mapping_subset(tmp_path / "mappings.yaml", {"Keystone": {}, "ControlPlane": {}})
        op = OperatorProcess(kubeconfig, mappings, NAMESPACE, tmp_path / "work",
                             tmp_path / "operator.log", ["--inventory", str(REPO / "inventories" / "lab")])
        print(f"operator: running as system:serviceaccount:cobaltcore-system:cobaltcore-operator on {server}")
        op.start()
        try:
            kubectl("-n", NAMESPACE, "apply", "--server-side", "--field-manager=demo", "-f", str(EXAMPLE))
            name = yaml.safe_load(EXAMPLE.read_text())["metadata"]["name"]
            print(f"applied {EXAMPLE.relative_to(REPO)}; waiting for ControlPlane {NAMESPACE}/{name} to be Ready "
                  "(first time: a few minutes)")

            def ready():
                if op.proc.poll() is not None:
                    raise RuntimeError(f"the operator exited (rc={op.proc.returncode})")
                return ready_object(kubectl, CONTROLPLANE, name)
            got = wait_for(ready, timeout=1800, interval=2, what=f"ControlPlane/{name} Ready")
            last = got["status"].get("lastRun") or {}
            print(f"ControlPlane ready; last playbook run {last.get('start')} .. {last.get('end')} "
                  f"{last.get('result')} (changed={last.get('changed')})")
            for cond in got["status"]["conditions"]:
                print(f"  {cond['type']:<20} {cond['status']:<8} {cond.get('reason', '')}: {cond.get('message', '')}")
            keystone = json.loads(kubectl("-n", NAMESPACE, "get", KEYSTONE, "keystone", "-o", "json").stdout)
        except Exception:
            print(op.log()[-4000:], file=sys.stderr)
            raise
        finally:
            op.stop()
        for kind in ("controlplane", "keystone"):
            print(f"$ kubectl -n {NAMESPACE} get {kind}")
            print(kubectl("-n", NAMESPACE, "get", kind).stdout, end="")
        clouds = tmp_path / "clouds.yaml"
        clouds.write_text(yaml.safe_dump({"clouds": {"lab": {
            "auth": {"auth_url": keystone["status"]["endpoint"], "username": "admin", "password": admin,
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
