"""`make demo`, operator part: the operator runs locally against the lab as its own
ServiceAccount (shipped RBAC, TokenRequest token) and turns a custom resource into a playbook
run; the object reaches Ready and a second apply of the same spec runs nothing.

The demo kind is the operator tests' trivial kind (operator/tests/fixtures/crd.yaml) mapped to a
one-task playbook, so the demo shows the operator itself, whatever else the lab runs.
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "lab"), str(REPO / "operator")]

from c5c3lab.components.kubernetes import kubectl as lab_kubectl  # noqa: E402
from c5c3lab.settings import load_settings  # noqa: E402
from cobaltcore_operator.testing import (  # noqa: E402
    OperatorProcess, install_rbac, service_account_kubeconfig, wait_for)
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.k8s_status import true_for_generation  # noqa: E402

NAMESPACE = "cobaltcore-demo"
GROUP, PLURAL = "operator-test.c5c3.io", "trivials"


def main() -> int:
    settings = load_settings()

    def kubectl(*args, input=None, check=True):
        return lab_kubectl(settings, *args, input=input, check=check)

    server = json.loads(kubectl("config", "view", "--minify", "-o", "json").stdout)["clusters"][0]["cluster"]["server"]
    crd = REPO / "operator" / "tests" / "fixtures" / "crd.yaml"
    install_rbac(kubectl, crd, probe=("patch", f"{PLURAL}.{GROUP}", "--subresource=status", "-A"))
    kubectl("wait", "--for=condition=Established", "--timeout=60s", f"crd/{PLURAL}.{GROUP}")
    kubectl("apply", "--server-side", "-f", "-", input=json.dumps(
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}))
    with tempfile.TemporaryDirectory(prefix="c5c3-operator-demo-") as tmp:
        tmp_path = Path(tmp)
        kubeconfig = service_account_kubeconfig(kubectl, server, settings.lab_dir / "pki" / "ca.crt",
                                                tmp_path / "kubeconfig")
        mappings = tmp_path / "mappings.yaml"
        mappings.write_text(yaml.safe_dump({"kinds": [{
            "apiVersion": f"{GROUP}/v1", "kind": "Trivial", "plural": PLURAL,
            "playbook": "operator/tests/playbooks/trivial.yml"}]}))
        op = OperatorProcess(kubeconfig, mappings, NAMESPACE, tmp_path / "work", tmp_path / "operator.log", [])
        print(f"operator: running as system:serviceaccount:cobaltcore-system:cobaltcore-operator on {server}")
        op.start()
        try:
            # A new desired state on every demo, so each one shows a run.
            obj = {"apiVersion": f"{GROUP}/v1", "kind": "Trivial",
                   "metadata": {"name": "hello", "namespace": NAMESPACE}, "spec": {"size": int(time.time())}}
            kubectl("apply", "--server-side", "--field-manager=demo", "-f", "-", input=json.dumps(obj))

            def ready():
                got = json.loads(kubectl("-n", NAMESPACE, "get", f"{PLURAL}.{GROUP}", "hello", "-o", "json").stdout)
                return got if true_for_generation(got) else None
            got = wait_for(ready, timeout=300, what="Trivial/hello Ready")
            kubectl("apply", "--server-side", "--field-manager=demo", "-f", "-", input=json.dumps(obj))
            wait_for(lambda: op.metric("cobaltcore_operator_skipped_noop_events_total") >= 2,
                     what="the re-apply to be recognised as a no-op")
            status = got["status"]
            print(f"Trivial {NAMESPACE}/hello: generation {got['metadata']['generation']}")
            for cond in status["conditions"]:
                print(f"  {cond['type']:<12} {cond['status']:<6} {cond['reason']}: {cond['message']}")
            print(f"  lastRun: {status['lastRun']}")
            print(f"  runs: {op.metric('cobaltcore_operator_runs_total'):.0f}, skipped no-op events: "
                  f"{op.metric('cobaltcore_operator_skipped_noop_events_total'):.0f}")
        finally:
            op.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
