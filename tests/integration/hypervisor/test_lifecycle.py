"""The Hypervisor lifecycle playbooks against the lab's two libvirtd instances and the lab API:
onboarding (smoke guest on QEMU), eviction by live migration, maintenance."""
from __future__ import annotations

from tests.integration.hypervisor.conftest import HV1, HV2, PREFIX, condition


def test_onboarding_ends_ready_with_status_from_libvirt(hypervisors):
    hypervisors.create_hypervisor(HV1)
    result = hypervisors.play("hypervisor_onboarding.yml", hypervisor_name=HV1)
    assert result.rc == 0, result.stdout[-3000:]
    status = hypervisors.get("hypervisor", HV1)["status"]
    conn = hypervisors.conn(HV1)
    version = conn.getLibVersion()
    assert status["phase"] == "Ready"
    assert status["libVirtVersion"] == f"{version // 1000000}.{version // 1000 % 1000}.{version % 1000}"
    assert status["hostname"] == HV1
    assert status["capabilities"]["cpus"] == conn.getInfo()[2]
    assert status["domainCapabilities"]["hypervisorType"] in ("kvm", "qemu")
    assert status["smokeTest"]["booted"] is True
    assert "c5c3-smoke-guest booted:" in status["smokeTest"]["console"]
    assert f"c5c3-smoke={PREFIX}smoke" in status["smokeTest"]["console"]
    assert condition({"status": status}, "Ready")["status"] == "True"
    assert condition({"status": status}, "Onboarding")["reason"] == "Succeeded"
    assert hypervisors.names(HV1) == []  # the smoke guest is gone

    # An onboarded hypervisor only gets its status refreshed (the sandbox's memory size drifts, so
    # the refresh itself may write); it is not tested again.
    again = hypervisors.play("hypervisor_onboarding.yml", hypervisor_name=HV1)
    assert again.rc == 0 and again.task_results("Start the smoke guest") == []
    assert hypervisors.get("hypervisor", HV1)["status"]["phase"] == "Ready"


def test_smoke_guest_that_never_boots_aborts_with_reason(hypervisors, tmp_path):
    silent = tmp_path / "silent-kernel"
    silent.write_bytes(b"\0" * 65536)  # QEMU runs it, nothing ever reaches the serial port
    hypervisors.create_hypervisor(HV1)
    result = hypervisors.play("hypervisor_onboarding.yml", hypervisor_name=HV1,
                              hypervisor_smoke_guest_kernel=str(silent), hypervisor_smoke_timeout=8)
    assert result.rc != 0
    status = hypervisors.get("hypervisor", HV1)["status"]
    assert status["phase"] == "Aborted"
    assert f"smoke guest {PREFIX}smoke did not show" in status["phaseReason"]
    assert "within 8s" in status["phaseReason"]
    assert condition({"status": status}, "Ready")["reason"] == "Aborted"
    assert status["smokeTest"]["booted"] is False
    assert hypervisors.names(HV1) == []

    # Aborted stays aborted until someone resets it.
    again = hypervisors.play("hypervisor_onboarding.yml", hypervisor_name=HV1)
    assert again.rc != 0 and "onboarding was aborted" in again.stdout
    assert hypervisors.get("hypervisor", HV1)["status"]["phase"] == "Aborted"


def test_unreachable_libvirt_aborts_onboarding(hypervisors):
    hypervisors.create_hypervisor(HV1)
    hypervisors.kube.kubectl("patch", "hypervisors.hypervisor.c5c3.io", HV1, "--type=merge", "-p",
                             '{"spec":{"libvirtURI":"qemu+tcp://127.0.0.1:1/system"}}')
    result = hypervisors.play("hypervisor_onboarding.yml", hypervisor_name=HV1)
    assert result.rc != 0
    status = hypervisors.get("hypervisor", HV1)["status"]
    assert status["phase"] == "Aborted"
    assert "cannot connect to libvirt at qemu+tcp://127.0.0.1:1/system" in status["phaseReason"]


def test_skip_tests_goes_straight_to_ready(hypervisors):
    hypervisors.create_hypervisor(HV2, skipTests=True)
    result = hypervisors.play("hypervisor_onboarding.yml", hypervisor_name=HV2,
                              hypervisor_smoke_guest_kernel="")
    assert result.rc == 0, result.stdout[-3000:]
    status = hypervisors.get("hypervisor", HV2)["status"]
    assert status["phase"] == "Ready" and "smokeTest" not in status
    assert status["hostname"] == HV2


def _ready_pair(hypervisors):
    for name in (HV1, HV2):
        hypervisors.create_hypervisor(name)
        hypervisors.set_status("hypervisor", name, {"phase": "Ready"})


def _evict(hypervisors, name="evict-hv1", **extra):
    hypervisors.kube.kubectl("apply", "-f", "-", input=(
        "apiVersion: hypervisor.c5c3.io/v1\nkind: Eviction\n"
        f"metadata: {{name: {name}}}\nspec: {{hypervisor: {HV1}, reason: test}}\n"))
    return hypervisors.play("hypervisor_eviction.yml", hypervisor_eviction_name=name, **extra)


def test_eviction_moves_three_guests(hypervisors):
    _ready_pair(hypervisors)
    guests = [f"{PREFIX}g{i}" for i in range(3)]
    for guest in guests:
        hypervisors.start_guest(HV1, guest)
    result = _evict(hypervisors)
    assert result.rc == 0, result.stdout[-3000:]
    assert hypervisors.names(HV1) == []
    assert hypervisors.names(HV2, active_only=True) == guests
    evi = hypervisors.get("eviction", "evict-hv1")
    assert evi["status"]["phase"] == "Succeeded"
    assert evi["status"]["outstandingInstances"] == [] and evi["status"]["numOutstandingInstances"] == 0
    assert sorted(m["name"] for m in evi["status"]["migratedInstances"]) == guests
    assert condition(evi, "PreflightChecksSucceeded")["status"] == "True"
    assert condition(evi, "Evicting")["reason"] == "Succeeded"
    migrations = hypervisors.list("migration")
    assert sorted(m["status"]["instance"] for m in migrations) == guests
    for mig in migrations:
        assert (mig["status"]["origin"], mig["status"]["destination"], mig["status"]["errMsg"]) == (HV1, HV2, "")
        assert mig["status"]["timeElapsed"] > 0 and mig["status"]["memTotal"] > 0


def test_unmigratable_guest_is_reported_and_the_others_move(hypervisors, tmp_path):
    _ready_pair(hypervisors)
    disk = tmp_path / "local.raw"
    disk.write_bytes(b"\0" * 1024 * 1024)
    movable = [f"{PREFIX}m{i}" for i in range(3)]
    hypervisors.start_guest(HV1, f"{PREFIX}a-pinned", disk=disk)  # first in line, so the rest follows it
    for guest in movable:
        hypervisors.start_guest(HV1, guest)
    result = _evict(hypervisors)
    assert result.rc != 0
    assert hypervisors.names(HV1, active_only=True) == [f"{PREFIX}a-pinned"]
    assert hypervisors.names(HV2, active_only=True) == movable
    evi = hypervisors.get("eviction", "evict-hv1")["status"]
    assert evi["phase"] == "Failed"
    assert evi["outstandingInstances"] == [f"{PREFIX}a-pinned"]
    assert [u["name"] for u in evi["unmigratableInstances"]] == [f"{PREFIX}a-pinned"]
    assert "Unsafe migration" in evi["unmigratableInstances"][0]["reason"]
    failed = hypervisors.get("migration", f"evict-hv1-{PREFIX}a-pinned")["status"]
    assert "Unsafe migration" in failed["errMsg"]


def test_preflight_refuses_when_capacity_is_missing(hypervisors):
    _ready_pair(hypervisors)
    hypervisors.start_guest(HV1, f"{PREFIX}big")
    result = _evict(hypervisors, hypervisor_destination_reserved_memory_mb=10 ** 7)
    assert result.rc != 0
    evi = hypervisors.get("eviction", "evict-hv1")
    assert evi["status"]["phase"] == "Failed"
    assert condition(evi, "PreflightChecksSucceeded")["reason"] == "InsufficientCapacity"
    assert evi["status"]["outstandingInstances"] == [f"{PREFIX}big"]
    assert hypervisors.names(HV1, active_only=True) == [f"{PREFIX}big"] and hypervisors.names(HV2) == []


def test_maintenance_disables_evicts_and_reenables(hypervisors):
    _ready_pair(hypervisors)
    hypervisors.start_guest(HV1, f"{PREFIX}tenant")
    hypervisors.kube.kubectl("patch", "hypervisors.hypervisor.c5c3.io", HV1, "--type=merge", "-p",
                             '{"spec":{"maintenance":"manual","maintenanceReason":"firmware"}}')
    result = hypervisors.play("hypervisor_maintenance.yml", hypervisor_name=HV1)
    assert result.rc == 0, result.stdout[-3000:]
    hv = hypervisors.get("hypervisor", HV1)
    assert hv["status"]["phase"] == "Maintenance" and hv["status"]["evicted"] is True
    assert condition(hv, "HypervisorDisabled")["status"] == "True"
    assert hypervisors.get("eviction", HV1)["status"]["phase"] == "Succeeded"
    assert hypervisors.names(HV1) == [] and hypervisors.names(HV2, active_only=True) == [f"{PREFIX}tenant"]

    hypervisors.kube.kubectl("patch", "hypervisors.hypervisor.c5c3.io", HV1, "--type=merge", "-p",
                             '{"spec":{"maintenance":""}}')
    back = hypervisors.play("hypervisor_maintenance.yml", hypervisor_name=HV1)
    assert back.rc == 0, back.stdout[-3000:]
    hv = hypervisors.get("hypervisor", HV1)
    assert hv["status"]["phase"] == "Ready" and hv["status"]["evicted"] is False
    assert condition(hv, "HypervisorDisabled")["status"] == "False"
    assert hypervisors.kube.kubectl("get", "evictions.hypervisor.c5c3.io", HV1, check=False).returncode != 0
