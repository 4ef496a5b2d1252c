"""One ControlPlane CR, reconciled by the shipped operator against the lab, brings up the control
plane: infrastructure (host runtime), a Keystone CR it owns (reconciled by the same operator in
parallel: a real keystone), the catalog in that keystone, and its status.

The tests share one ControlPlane and run in file order (each step builds on the previous one):
Ready from an empty namespace -> no-op re-apply -> release refusals -> a valid upgrade walking the
phases -> disabling a service. When this checkout ships the Glance and Placement CRDs and
ClusterRoles, the operator reconciles those kinds too (lab inventory: host runtime, so a real
glance-api on the lab's Ceph and a real placement-api, each on a private port the catalog points
at) and the ControlPlane waits for them; without them the service step is reported as skipped,
which the tests then assert.
"""
from __future__ import annotations

import json
import threading
import time

import openstack
import pytest

from tests.helpers.operator_lab import (CONTROLPLANE_CRD, KEYSTONE_CRD, PrivateKeystone, PrivateService, apply,
                                        conditions, drop_database, get, glance_ceph_secret, install_operator_rbac,
                                        service_kinds, start_operator, wait_for, wait_ready)

SERVICES = service_kinds()

NAME = "cp"


def spec(release="2025.2", glance=True, keystone_replicas=1):
    return {"apiVersion": "c5c3.io/v1alpha1", "kind": "ControlPlane", "metadata": {"name": NAME},
            "spec": {"openStackRelease": release,
                     "infrastructure": {"database": {"managed": {"replicas": 1}}, "cache": {"managed": {"replicas": 1}}},
                     "services": {"keystone": {"replicas": keystone_replicas, "fernet": {"rotationInterval": "24h"},
                                               "policyOverrides": {"rules": {"identity:list_projects": "role:reader"}}},
                                  "glance": {"enabled": glance}, "placement": {}},
                     "global": {"policyOverrides": {"rules": {"identity:list_projects": "role:admin",
                                                              "context_is_admin": "role:admin"}},
                                "extraConfig": {"token": {"expiration": "7200"}}},
                     "catalog": {"projects": [{"name": "acme", "description": "a customer"}]}}}


class Plane:
    def __init__(self, kube, op, ns, ks, svcs):
        self.kube, self.op, self.ns, self.ks, self.svcs = kube, op, ns, ks, svcs

    def get(self):
        return get(self.kube, self.ns, CONTROLPLANE_CRD, NAME)

    def keystone(self):
        return get(self.kube, self.ns, KEYSTONE_CRD, "keystone")

    def ready(self, timeout=900):
        return wait_ready(self.kube, self.op, self.ns, CONTROLPLANE_CRD, NAME, timeout)

    def secret(self, name):
        import base64
        data = json.loads(self.kube.kubectl("-n", self.ns, "get", "secret", name, "-o", "json").stdout)["data"]
        return {k: base64.b64decode(v).decode() for k, v in data.items()}

    def cloud(self):
        return openstack.connect(auth_url=self.ks.url, username="admin",
                                 password=self.secret("keystone-admin-credentials")["password"],
                                 project_name="admin", user_domain_id="default", project_domain_id="default")


@pytest.fixture(scope="module")
def plane(lab, kube, mariadb, memcached, ceph, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("controlplane")
    with kube.fresh_namespace("controlplane") as ns:
        install_operator_rbac(kube, services=True)
        ks = PrivateKeystone.make(lab.settings, tmp)
        # Glance and Placement on the lab inventory's host runtime, moved to private ports and
        # directories; the catalog points at them. Glance's rbd client Secret (the lab inventory's
        # controlplane_glance_storage names it) in the test's namespace.
        svcs = {svc: PrivateService.make(svc, lab.settings, tmp) for svc in ("glance", "placement")}
        if "Glance" in SERVICES:
            glance_ceph_secret(ceph, ns)
        urls = {svc: private.url for svc, private in svcs.items()}
        op = start_operator(kube, tmp, ns, {"Keystone": ks.vars,
                                            "ControlPlane": {"controlplane_database_prefix": ks.db_prefix,
                                                             "controlplane_service_urls": urls},
                                            **{kind: svcs[kind.lower()].vars for kind in SERVICES}})
        try:
            yield Plane(kube, op, ns, ks, svcs)
        finally:
            op.stop()
            ks.stop()
            for svc in svcs.values():
                svc.stop()
            for db in ("keystone", "glance", "placement"):
                drop_database(mariadb, f"{ks.db_prefix}{db}", f"{ks.db_prefix}{db}")


def test_empty_namespace_to_ready(plane):
    apply(plane.kube, plane.ns, spec())
    cp = plane.ready()
    conds = conditions(cp)
    for cond in ("ReleaseValid", "InfrastructureReady", "KeystoneReady", "CatalogReady"):
        assert conds[cond]["status"] == "True", conds[cond]
    status = cp["status"]
    if SERVICES:
        assert conds["ServicesReady"]["status"] == "True", conds["ServicesReady"]
        for svc in ("glance", "placement"):
            obj = get(plane.kube, plane.ns, f"{svc}s.{svc}.openstack.c5c3.io", svc)
            assert obj["metadata"]["ownerReferences"][0]["uid"] == cp["metadata"]["uid"]
            assert obj["spec"]["keystone"] == {"authUrl": plane.ks.url,
                                               "appCredentialRef": {"secretName": f"{svc}-application-credential"}}
            assert status["services"][svc]["ready"] is True
            # Served for real by the host runtime (lab inventory), status published like keystone's.
            assert obj["status"]["endpoint"] == plane.svcs[svc].url
            assert conditions(obj)["DeploymentReady"]["status"] == "True"
        assert get(plane.kube, plane.ns, "glances.glance.openstack.c5c3.io", "glance")["spec"]["storage"] == \
            {"backend": "rbd", "rbd": {"pool": "images", "cephSecretRef": {"name": "ceph-client-glance"}}}
    else:
        # No Glance/Placement CRDs: the step is skipped and says so, never claims Ready.
        assert conds["ServicesReady"]["status"] == "Unknown"
        assert conds["ServicesReady"]["reason"] == "ServiceCRDMissing"
        assert status["services"]["glance"]["ready"] is False
        assert "not installed" in status["services"]["glance"]["message"]
    assert status["installedRelease"] == "2025.2" and status["updatePhase"] == "Idle"
    assert status["services"]["keystone"] == {"ready": True, "version": "28.0.0",
                                              "message": f"Keystone keystone Ready at {plane.ks.url}"}

    ks = plane.keystone()
    owner = ks["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["uid"], owner["controller"]) == \
        ("ControlPlane", NAME, cp["metadata"]["uid"], True)
    assert conditions(ks)["Ready"]["status"] == "True"
    kspec = ks["spec"]
    assert kspec["image"]["tag"] == "28.0.0"
    assert kspec["fernet"]["rotationSchedule"] == "0 0 * * *"
    # global policy is the base, the per-service rule wins
    assert kspec["policyOverrides"]["rules"] == {"identity:list_projects": "role:reader", "context_is_admin": "role:admin"}
    assert kspec["extraConfig"] == {"token": {"expiration": "7200"}}
    assert kspec["database"]["clusterRef"] == {"name": "mariadb"}

    # The catalog in the real keystone.
    cloud = plane.cloud()
    services = {s.name: s.type for s in cloud.identity.services()}
    assert services["glance"] == "image" and services["placement"] == "placement"
    urls = {e.url for e in cloud.identity.endpoints()}
    assert {plane.svcs["glance"].url, plane.svcs["placement"].url} <= urls
    if SERVICES:
        # Through the catalog: the host glance and placement answer the admin's token.
        assert isinstance(list(cloud.image.images()), list)
        assert isinstance(list(cloud.placement.resource_providers()), list)
    assert {"glance", "placement"} <= {u.name for u in cloud.identity.users()}
    assert "acme" in {p.name for p in cloud.identity.projects()}
    # The application credential works on its own (what the service configs will use).
    ac = plane.secret("glance-application-credential")
    svc = openstack.connect(auth_type="v3applicationcredential", auth_url=ac["auth_url"],
                            application_credential_name=ac["application_credential_name"],
                            application_credential_secret=ac["application_credential_secret"],
                            username=ac["username"], user_domain_id=ac["user_domain_id"])
    assert svc.authorize()
    assert ac["application_credential_id"]


def test_second_apply_runs_nothing(plane):
    before = plane.get()["status"]["lastRun"]
    runs = plane.op.metric("cobaltcore_operator_runs_total")
    skipped = plane.op.metric("cobaltcore_operator_skipped_noop_events_total")
    apply(plane.kube, plane.ns, spec())
    plane.kube.kubectl("-n", plane.ns, "label", f"{CONTROLPLANE_CRD}/{NAME}", "touched=yes", "--overwrite")
    deadline = time.monotonic() + 30
    while plane.op.metric("cobaltcore_operator_skipped_noop_events_total") <= skipped \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    assert plane.op.metric("cobaltcore_operator_skipped_noop_events_total") > skipped
    time.sleep(3)
    assert plane.op.metric("cobaltcore_operator_runs_total") == runs
    assert plane.get()["status"]["lastRun"] == before


def test_skip_level_release_refused_by_the_apiserver(plane):
    out = plane.kube.kubectl("-n", plane.ns, "apply", "--server-side", "--field-manager=test", "--force-conflicts",
                             "-f", "-", input=json.dumps(spec(release="2026.2")), check=False)
    assert out.returncode != 0
    assert "skip-level" in out.stderr and "openStackRelease" in out.stderr
    assert plane.get()["spec"]["openStackRelease"] == "2025.2"


def test_skip_level_against_installed_release_refused_with_condition(plane):
    """A ControlPlane re-created on an older installation has no stored object for the CEL rule
    to compare with; the playbook compares with status.installedRelease and refuses."""
    plane.kube.kubectl("-n", plane.ns, "patch", f"{CONTROLPLANE_CRD}/{NAME}", "--subresource=status",
                       "--type=merge", "-p", '{"status": {"installedRelease": "2024.1"}}')
    apply(plane.kube, plane.ns, spec(keystone_replicas=2))  # a new desired state: one run
    gen = plane.get()["metadata"]["generation"]

    def refused():
        cp = plane.get()
        c = conditions(cp)
        return cp if c.get("Failed", {}).get("status") == "True" and cp["status"].get("lastRun", {}).get("generation") == gen else None
    deadline = time.monotonic() + 300
    while not (cp := refused()):
        assert time.monotonic() < deadline, plane.op.log()[-4000:]
        time.sleep(1)
    c = conditions(cp)
    assert c["ReleaseValid"]["status"] == "False" and c["ReleaseValid"]["reason"] == "ReleaseRefused"
    assert "2024.1 -> 2025.2 skips a release" in c["ReleaseValid"]["message"]
    assert "skips a release" in c["Failed"]["message"]
    assert c["Ready"]["status"] == "False"
    assert cp["status"]["updatePhase"] == "Validating"
    # Nothing was changed: the Keystone CR still has one replica.
    assert plane.keystone()["spec"]["replicas"] == 1
    # Put the truth back: the next spec change (the upgrade test's) reconciles from the real
    # installed release and ends Ready, so no run of its own is spent on that here.
    plane.kube.kubectl("-n", plane.ns, "patch", f"{CONTROLPLANE_CRD}/{NAME}", "--subresource=status",
                       "--type=merge", "-p", '{"status": {"installedRelease": "2025.2"}}')


def test_valid_upgrade_walks_the_phases(plane, kube):
    import kubernetes
    api = kubernetes.client.CustomObjectsApi(kube.api_client())
    phases: list[str] = []
    stop = threading.Event()
    rv = plane.get()["metadata"]["resourceVersion"]

    def watch():
        w = kubernetes.watch.Watch()
        for ev in w.stream(api.list_namespaced_custom_object, "c5c3.io", "v1alpha1", plane.ns, "controlplanes",
                           resource_version=rv, timeout_seconds=900):
            phase = (ev["object"].get("status") or {}).get("updatePhase")
            if phase and (not phases or phases[-1] != phase):
                phases.append(phase)
            if stop.is_set() or phase == "Complete":
                w.stop()
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    apply(plane.kube, plane.ns, spec(release="2026.1"))
    cp = plane.ready()
    stop.set()
    t.join(30)
    # Events before the run still show the previous phase (Idle); the walk starts at Validating.
    walked = phases[phases.index("Validating"):] if "Validating" in phases else phases
    assert walked == ["Validating", "UpdatingInfra", "UpdatingKeystone", "UpdatingServices", "Complete"], phases
    assert cp["status"]["installedRelease"] == "2026.1"
    assert conditions(cp)["ReleaseValid"]["reason"] == "UpgradeAccepted"
    assert plane.keystone()["spec"]["image"]["tag"] == "29.0.0"
    assert cp["status"]["services"]["keystone"]["version"] == "29.0.0"


def test_disabling_a_service_removes_it(plane):
    release = plane.get()["spec"]["openStackRelease"]
    apply(plane.kube, plane.ns, spec(release=release, glance=False))
    cp = plane.ready()
    assert "glance" not in cp["status"]["services"]
    assert cp["status"]["services"]["keystone"]["ready"] is True
    c = conditions(cp)
    assert c["CatalogReady"]["status"] == "True" and "removed: glance" in c["CatalogReady"]["message"]
    cloud = plane.cloud()
    assert "glance" not in {s.name for s in cloud.identity.services()}
    assert not [e for e in cloud.identity.endpoints() if "glance" in e.url]
    assert "glance" not in {u.name for u in cloud.identity.users()}
    assert "placement" in {s.name for s in cloud.identity.services()}
    if SERVICES:
        gone = plane.kube.kubectl("-n", plane.ns, "get", "glances.glance.openstack.c5c3.io", "glance", check=False)
        assert gone.returncode != 0 and "NotFound" in gone.stderr
        # Owned by the Glance CR: the garbage collector takes them (the operator may not delete Secrets).
        for name in ("glance-keystone-user", "glance-application-credential", "glance-db-credentials"):
            wait_for(lambda name=name: plane.kube.get(plane.ns, "secret", name) is None,
                     timeout=60, what=f"Secret {name} collected")
        placement = plane.kube.kubectl("-n", plane.ns, "get", "secret", "placement-application-credential",
                                       "-o", "json").stdout
        assert [o["kind"] for o in json.loads(placement)["metadata"]["ownerReferences"]] == ["Placement"]
    assert conditions(plane.keystone())["Ready"]["status"] == "True"
