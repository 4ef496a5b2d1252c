"""Role ovn, runtime kubernetes: the Open vSwitch and ovn-controller DaemonSets for hypervisor nodes
(design reference 2.7/2.8), rendered from an OVNCluster on the lab apiserver. The lab has no
kubelet, so the objects are asserted; the containers' start-up scripts are then run for real
on this host, in a private mount namespace where /run/openvswitch, /run/ovn, /var/lib/openvswitch
and /etc/hosts are the test's own: Open vSwitch comes up from the ovs DaemonSet's commands and
ovn-controller, started as its DaemonSet starts it, registers the node with the lab's SB."""
from __future__ import annotations

import os
import shlex
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.helpers.ansible import run_playbook
from tests.helpers.kube import existing
from tests.integration.ovn.conftest import REPO, sbctl


def render(kube, namespace, spec):
    extravars = {"ovn_runtime": "kubernetes", "ovn_namespace": namespace, "ovn_cluster_name": "ovn",
                 "cobaltcore_kubeconfig": str(kube.kubeconfig), "ovn_cluster_spec": spec}
    kube.install_crds(REPO / "operator/deploy/crds/ovn.c5c3.io_ovnclusters.yaml")
    return extravars, run_playbook("playbooks/ovn.yml", extravars=extravars)


def get(kube, namespace, kind, name):
    return existing(kube, namespace, kind, name)


def test_daemonsets_rendered_from_the_ovncluster(kube, namespace):
    spec = {"ovs": {"nodeSelector": {"c5c3.io/hv": "yes"}, "resources": {"requests": {"cpu": "2"}}},
            "controller": {"resources": {"limits": {"memory": "1Gi"}}},
            "neutronIntegration": {"sbConnection": {"service": {"name": "sb", "port": 16642}}}}
    extravars, first = render(kube, namespace, spec)
    assert first.rc == 0, first.stdout[-3000:]
    cr = get(kube, namespace, "ovncluster", "ovn")
    ovs, ctl = get(kube, namespace, "daemonset", "ovn-ovs"), get(kube, namespace, "daemonset", "ovn-controller")
    for ds in (ovs, ctl):
        assert ds["metadata"]["ownerReferences"][0]["uid"] == cr["metadata"]["uid"]
        pod = ds["spec"]["template"]["spec"]
        assert pod["hostNetwork"] is True and pod["tolerations"] == [{"operator": "Exists"}]
    ovs_pod, ctl_pod = ovs["spec"]["template"]["spec"], ctl["spec"]["template"]["spec"]
    assert ovs_pod["nodeSelector"] == {"c5c3.io/hv": "yes"} and ovs_pod["hostPID"] is True
    assert ctl_pod["nodeSelector"] == {"node-role.kubernetes.io/hypervisor": ""}  # the CRD default
    containers = {c["name"]: c for c in ovs_pod["containers"]}
    assert set(containers) == {"ovsdb-server", "ovs-vswitchd"}
    assert containers["ovs-vswitchd"]["securityContext"] == {"privileged": True}
    assert containers["ovsdb-server"]["resources"] == {"requests": {"cpu": "2"}}
    assert containers["ovs-vswitchd"]["image"] == cr["spec"]["ovsImage"]
    controller = ctl_pod["containers"][0]
    assert controller["image"] == cr["spec"]["ovnImage"]
    assert controller["resources"] == {"limits": {"memory": "1Gi"}}
    assert f"ovn-remote=\"tcp:sb.{namespace}.svc:16642\"" in controller["args"][0]
    assert "privileged" not in controller["securityContext"]

    again = run_playbook("playbooks/ovn.yml", extravars=extravars)
    assert again.rc == 0 and again.changed == 0, again.stdout[-3000:]


def script(container: dict) -> str:
    assert container["command"] == ["/bin/sh", "-ec"]
    return container["args"][0]


@pytest.fixture
def sandbox():
    """A directory with the host paths the DaemonSets mount, for a private mount namespace."""
    tag = uuid.uuid4().hex[:6]
    root = Path("/tmp") / f"c5ds-{tag}"  # unix sockets need short paths
    for sub in ("run-ovs", "run-ovn", "lib-ovs"):
        (root / sub).mkdir(parents=True)
    yield root, tag
    for ctl in [*root.glob("run-ovn/ovn-controller.*.ctl"), root / "run-ovs/ovs-vswitchd.ctl",
                root / "run-ovs/ovsdb-server.ctl"]:
        subprocess.run(["ovs-appctl", "-t", str(ctl), "exit"], capture_output=True, timeout=30, check=False)
    subprocess.run(["ip", "netns", "del", f"c5ds-{tag}"], capture_output=True, check=False)
    subprocess.run(["rm", "-rf", str(root)], check=False)


def test_daemonset_scripts_bring_up_ovs_and_register_the_node(kube, ovn, sb_db, namespace, sandbox):
    root, tag = sandbox
    leader = sb_db[0].rsplit(":", 1)[1]
    spec = {"neutronIntegration": {"sbConnection": {"service": {"name": "ovn-sb", "port": int(leader)}}}}
    _, rendered = render(kube, namespace, spec)
    assert rendered.rc == 0, rendered.stdout[-3000:]
    ovs = {c["name"]: c for c in get(kube, namespace, "daemonset", "ovn-ovs")["spec"]["template"]["spec"]["containers"]}
    controller = get(kube, namespace, "daemonset", "ovn-controller")["spec"]["template"]["spec"]["containers"][0]
    hosts = root / "hosts"
    hosts.write_text(f"127.0.0.1 localhost ovn-sb.{namespace}.svc\n")
    node = f"node-{tag}"
    # The pod's view: host paths at their places (a private /run, the test's directories bound
    # in), the SB Service name resolving to the lab. ovs-vswitchd runs in its own network
    # namespace, and without --mlockall (a test on a shared machine should not pin its memory).
    mounts = (f"mount -t tmpfs none /run && mkdir -p /run/openvswitch /run/ovn && "
              f"mount --bind {root}/run-ovs /run/openvswitch && mount --bind {root}/run-ovn /run/ovn && "
              f"mount --bind {root}/lib-ovs /var/lib/openvswitch && mount --bind {hosts} /etc/hosts && ")
    subprocess.run(["ip", "netns", "add", f"c5ds-{tag}"], check=True)
    env = dict(os.environ, NODE_NAME=node, NODE_IP="127.0.0.6")
    log = open(root / "pods.log", "ab")  # noqa: SIM115 - closed below
    procs = []
    try:
        for name, cmd in (("ovsdb-server", script(ovs["ovsdb-server"])),
                          ("ovs-vswitchd", script(ovs["ovs-vswitchd"]).replace(" --mlockall", "")),
                          ("ovn-controller", script(controller))):
            runner = ["unshare", "-m", "--propagation", "private", "sh", "-c", mounts + "exec sh -ec " + shlex.quote(cmd)]
            if name == "ovs-vswitchd":
                runner = ["ip", "netns", "exec", f"c5ds-{tag}"] + runner
            procs.append(subprocess.Popen(runner, env=env, stdout=log, stderr=log, start_new_session=True))
            time.sleep(1)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            rows = sbctl(ovn, "--bare", "--columns=name", "find", "Chassis", f"name={node}").split()
            if rows == [node]:
                break
            assert all(p.poll() is None for p in procs), (root / "pods.log").read_text()[-3000:]
            time.sleep(1)
        else:
            raise AssertionError(f"{node} did not register:\n{(root / 'pods.log').read_text()[-3000:]}")
        encap = sbctl(ovn, "--bare", "--columns=ip", "find", "Encap", f"chassis_name={node}").strip()
        assert encap == "127.0.0.6"
        # what the controller's readiness probe asks, as it asks it (OVN_RUNDIR=/run/ovn in the pod)
        probe = controller["readinessProbe"]["exec"]["command"]
        ready = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                                mounts + "export OVN_RUNDIR=/run/ovn; exec " + shlex.join(probe)], check=False)
        assert ready.returncode == 0
    finally:
        for ctl in root.glob("run-ovn/ovn-controller.*.ctl"):
            # exit (not a signal) makes ovn-controller remove its Chassis row
            subprocess.run(["ovs-appctl", "-t", str(ctl), "exit"], capture_output=True, timeout=30, check=False)
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, 15)
            p.wait(30)
        log.close()
        if sbctl(ovn, "--bare", "--columns=name", "find", "Chassis", f"name={node}").split():
            sbctl(ovn, "chassis-del", node)
