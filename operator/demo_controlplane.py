"""`make demo`, control-plane part: one ControlPlane custom resource reaches Ready through the
operator, with a real keystone, glance and placement answering.

The operator runs locally against the lab as its own ServiceAccount (shipped RBAC, TokenRequest
token) with the shipped operator/mappings.yaml and the lab inventory. The demo applies
examples/controlplane_lab.yaml; the operator runs playbooks/controlplane.yml (infrastructure on the
lab's host services, a Keystone CR owned by the ControlPlane, the catalog, Glance and Placement CRs
it owns) and, in parallel, playbooks/keystone_cr.yml, glance.yml and placement.yml for those CRs,
whose lab runtime is `host` (inventories/lab/group_vars/all/operator.yml): keystone, glance-api and
placement-api under gunicorn on the lab's ports, from the same rendered files a pod would mount;
glance stores images in the lab's Ceph pool `images`. Then: `kubectl get` of the four kinds,
`openstack token issue`, `catalog list`, `image create` (1 KiB of zeros, replacing the demo's image
of an earlier run), `image list` and `resource provider list`, all through the catalog.

Idempotent: the Secrets hold the lab's generated passwords (the inventory-driven lab keystone uses
the same), so a second demo finds every desired state applied and the operator starts no playbook;
the demo checks that whenever the ControlPlane was already Ready for its spec. Except where a
service does not answer although its object is Ready: `make lab-down` stops the host runtime's
gunicorns, as a node's restart would a pod's, and nothing in the objects changed. The demo then asks
the operator for one run of exactly those objects (the reconcile-requested-at annotation,
docs/operator.md) and waits until it handled the request. Its operator runs without drift checks,
so that a repeat demo runs nothing it did not ask for.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "lab"), str(REPO / "operator")]

from c5c3lab import Lab  # noqa: E402
from c5c3lab.components.kubernetes import kubectl as lab_kubectl  # noqa: E402
from c5c3lab.settings import load_settings  # noqa: E402
from cobaltcore_operator import RECONCILE_REQUEST  # noqa: E402
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.k8s_status import (  # noqa: E402
    now_rfc3339, true_for_generation)
from cobaltcore_operator.testing import (  # noqa: E402
    OperatorProcess, install_rbac, mapping_subset, service_account_kubeconfig, wait_for)

NAMESPACE = "openstack"
DEPLOY = REPO / "operator" / "deploy"
EXAMPLE = REPO / "examples" / "controlplane_lab.yaml"
KEYSTONE = "keystones.keystone.openstack.c5c3.io"
CONTROLPLANE = "controlplanes.c5c3.io"
GLANCE = "glances.glance.openstack.c5c3.io"
PLACEMENT = "placements.placement.openstack.c5c3.io"
# kind -> (CRD file, aggregated ClusterRole file): everything the operator reconciles here.
KINDS = {"Keystone": ("keystone.openstack.c5c3.io_keystones.yaml", "rbac-keystone.yaml"),
         "ControlPlane": ("c5c3.io_controlplanes.yaml", "rbac-controlplane.yaml"),
         "Glance": ("glance.openstack.c5c3.io_glances.yaml", "rbac-glance.yaml"),
         "Placement": ("placement.openstack.c5c3.io_placements.yaml", "rbac-placement.yaml")}
IMAGE = "cobaltcore-demo"


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
    return got if true_for_generation(got) else None


def current(kubectl, plural: str, name: str) -> dict | None:
    out = kubectl("-n", NAMESPACE, "get", plural, name, "-o", "json", check=False)
    return json.loads(out.stdout) if out.returncode == 0 else None


def answers(url: str) -> bool:
    """Whether anything speaks HTTP at ``url`` (an error status is an answer too)."""
    try:
        urllib.request.urlopen(url, timeout=5).close()
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False
    return True


def rerun_silent_services(kubectl, op, controlplane: dict) -> int:
    """Ask the operator for one run of each service the ControlPlane owns whose endpoint does not
    answer although the object is Ready, and wait until each request is handled. Returns how many."""
    silent = []
    for plural in (KEYSTONE, GLANCE, PLACEMENT):
        for obj in json.loads(kubectl("-n", NAMESPACE, "get", plural, "-o", "json").stdout)["items"]:
            owned = any(ref.get("uid") == controlplane["metadata"]["uid"]
                        for ref in obj["metadata"].get("ownerReferences") or [])
            endpoint = (obj.get("status") or {}).get("endpoint")
            if owned and endpoint and not answers(endpoint):
                silent.append((plural, obj["metadata"]["name"], endpoint))
    request = now_rfc3339()
    for plural, name, endpoint in silent:
        print(f"  {plural.split('.')[0]}/{name} is Ready but {endpoint} does not answer (its process is gone,"
              " e.g. after make lab-down): asking the operator to reconcile it again")
        kubectl("-n", NAMESPACE, "annotate", "--overwrite", plural, name, f"{RECONCILE_REQUEST}={request}")
    for plural, name, endpoint in silent:
        def handled(plural=plural, name=name):
            op.ensure_running()
            got = ready_object(kubectl, plural, name)
            return got if got and got["status"].get("lastHandledReconcileAt") == request else None
        wait_for(handled, timeout=900, interval=2, what=f"{plural}/{name} reconciled again")
        if not answers(endpoint):
            raise SystemExit(f"{plural}/{name}: reconciled again, yet {endpoint} still does not answer")
        print(f"  {plural.split('.')[0]}/{name} reconciled again; {endpoint} answers")
    return len(silent)


def check_repeat(op, before: dict | None, got: dict, requested: int) -> None:
    """A ControlPlane that was already Ready for the same spec: the operator must start no playbook
    but the ``requested`` re-runs (every watched object's desired state is already applied). Waits
    until the operator has seen the four objects, then compares the run counter."""
    status = (before or {}).get("status") or {}
    ready = any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions") or [])
    same = before is not None and ready and status.get("observedGeneration") == before["metadata"]["generation"] \
        and got["metadata"]["generation"] == before["metadata"]["generation"]
    if not same:
        print(f"  playbook runs by this operator: {op.metric('cobaltcore_operator_runs_total'):.0f}")
        return
    wait_for(lambda: op.metric("cobaltcore_operator_skipped_noop_events_total") >= len(KINDS)
             or op.metric("cobaltcore_operator_runs_total") > requested, timeout=120,
             what="the operator to see every object")
    time.sleep(3)  # a run, had one been queued, would have started by now
    runs = op.metric("cobaltcore_operator_runs_total") - requested
    skipped = op.metric("cobaltcore_operator_skipped_noop_events_total")
    if runs:
        raise SystemExit(f"repeat demo: nothing changed, yet the operator started {runs:.0f} playbook(s)"
                         + (f" beside the {requested} re-run(s) the demo asked for" if requested else ""))
    print(f"  repeat demo: nothing changed, the operator started no playbook"
          + (f" but the {requested} re-run(s) the demo asked for" if requested else "")
          + f" ({skipped:.0f} no-op events)")


def main() -> int:
    settings = load_settings()

    def kubectl(*args, input=None, check=True):
        return lab_kubectl(settings, *args, input=input, check=check)

    server = json.loads(kubectl("config", "view", "--minify", "-o", "json").stdout)["clusters"][0]["cluster"]["server"]
    for crd, _ in KINDS.values():
        kubectl("apply", "--server-side", "-f", str(DEPLOY / "crds" / crd))
    who = install_rbac(kubectl, *[DEPLOY / rbac for _, rbac in KINDS.values()],
                       probe=("patch", CONTROLPLANE, "--subresource=status", "-A"))
    for plural in (KEYSTONE, GLANCE, PLACEMENT):
        wait_for(lambda plural=plural: kubectl("auth", "can-i", "patch", plural, "--subresource=status", "-A",
                                               "--as", who, check=False).stdout.strip() == "yes",
                 what=f"the ClusterRole of {plural}")
    for crd in (KEYSTONE, CONTROLPLANE, GLANCE, PLACEMENT):
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
        # The shipped entries of the kinds whose RBAC the demo installed, without drift checks.
        mappings = mapping_subset(tmp_path / "mappings.yaml", {kind: {} for kind in KINDS},
                                  fields={"driftCheckSeconds": 0})
        op = OperatorProcess(kubeconfig, mappings, NAMESPACE, tmp_path / "work",
                             tmp_path / "operator.log", ["--inventory", str(REPO / "inventories" / "lab")])
        print(f"operator: running as system:serviceaccount:cobaltcore-system:cobaltcore-operator on {server}")
        op.start()
        try:
            name = yaml.safe_load(EXAMPLE.read_text())["metadata"]["name"]
            before = current(kubectl, CONTROLPLANE, name)
            kubectl("-n", NAMESPACE, "apply", "--server-side", "--field-manager=demo", "-f", str(EXAMPLE))
            print(f"applied {EXAMPLE.relative_to(REPO)}; waiting for ControlPlane {NAMESPACE}/{name} to be Ready "
                  "(first time: a few minutes)")

            def ready():
                op.ensure_running()
                return ready_object(kubectl, CONTROLPLANE, name)
            got = wait_for(ready, timeout=1800, interval=2, what=f"ControlPlane/{name} Ready")
            last = got["status"].get("lastRun") or {}
            print(f"ControlPlane ready; last playbook run {last.get('start')} .. {last.get('end')} "
                  f"{last.get('result')} (changed={last.get('changed')})")
            for cond in got["status"]["conditions"]:
                print(f"  {cond['type']:<20} {cond['status']:<8} {cond.get('reason', '')}: {cond.get('message', '')}")
            requested = rerun_silent_services(kubectl, op, got)
            check_repeat(op, before, got, requested)
            keystone = json.loads(kubectl("-n", NAMESPACE, "get", KEYSTONE, "keystone", "-o", "json").stdout)
            glance = json.loads(kubectl("-n", NAMESPACE, "get", GLANCE, "glance", "-o", "json").stdout)
        except Exception:
            print(op.log()[-4000:], file=sys.stderr)
            raise
        finally:
            op.stop()
        for kind in ("controlplane", "keystone", "glance", "placement"):
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

        def run(*args, show=True):
            if show:
                print(f"$ openstack {' '.join(args)}")
            out = subprocess.run([openstack, *args], env=env, check=False, capture_output=True, text=True)
            if out.returncode != 0:
                raise SystemExit(f"openstack {' '.join(args)} failed (rc={out.returncode}):\n{out.stderr}")
            if show:
                print(out.stdout, end="")
            return out.stdout

        run("token", "issue", "-c", "expires", "-c", "project_id", "-c", "user_id")
        run("catalog", "list")
        # Through the catalog to the host glance. A repeat demo replaces its image of the last run.
        for old in json.loads(run("image", "list", "--name", IMAGE, "-f", "json", show=False)):
            run("image", "delete", old["ID"], show=False)
            print(f"(deleted {IMAGE} {old['ID']} of an earlier demo)")
        zeros = tmp_path / "zeros.raw"
        zeros.write_bytes(b"\0" * 1024)
        created = json.loads(run("image", "create", "--disk-format", "raw", "--container-format", "bare",
                                 "--file", str(zeros), IMAGE, "-f", "json", show=False))
        print(f"$ openstack image create --disk-format raw --container-format bare --file zeros.raw {IMAGE}")
        for field in ("id", "name", "status", "size", "disk_format", "checksum"):
            print(f"  {field:<12} {created.get(field)}")
        run("image", "list")
        if (glance["spec"].get("storage") or {}).get("backend") == "rbd":
            ceph = Lab(settings).component("ceph")
            pool = glance["spec"]["storage"]["rbd"].get("pool", "images")
            listed = subprocess.run(["rbd", "--conf", str(ceph.conf), "--keyring", str(ceph.admin_keyring),
                                     "-p", pool, "ls"], check=True, capture_output=True, text=True,
                                    env={**os.environ, "CEPH_ARGS": ""}).stdout.split()
            where = "is" if created["id"] in listed else "is NOT"
            print(f"$ rbd -p {pool} ls   # image {created['id']} {where} in Ceph pool {pool}")
            if created["id"] not in listed:
                raise SystemExit(f"image {created['id']} not found in Ceph pool {pool}")
        print("$ openstack resource provider list")
        providers = run("resource", "provider", "list", show=False)
        if providers.strip():
            print(providers, end="")
        else:
            print("(none yet: nova-compute registers its hypervisors once Nova is deployed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
