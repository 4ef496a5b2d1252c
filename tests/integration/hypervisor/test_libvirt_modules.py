"""The libvirt modules against the lab's real libvirtd + QEMU: secrets, domains, migration, and
how they fail (bad XML, unknown domain, unreachable daemon) without changing anything."""
from __future__ import annotations

import base64
import json
import uuid

from tests.helpers.ansible import run_playbook
from tests.integration.hypervisor.conftest import HV1, HV2, PLAYBOOKS, PREFIX

KEY = "AQDkLbNkAAAAABAAxtHcBGVqFpVVuT2Z2xG5TQ=="  # a Ceph key's shape: base64 of 28 bytes
UNREACHABLE = "qemu+tcp://127.0.0.1:1/system"


def test_info_reports_versions_capabilities_and_instances(hypervisors):
    hypervisors.start_guest(HV1, PREFIX + "info-guest")
    result = hypervisors.play("libvirt_info.yml", lv_uri=hypervisors.uri(HV1), lv_minimum_libvirt_version="8.0.0")
    assert result.rc == 0, result.stdout
    hv = result.task_results("Run libvirt_info")[0]["hypervisor"]
    conn = hypervisors.conn(HV1)
    assert hv["hostname"] == HV1
    assert hv["libVirtVersion"] == "%d.%d.%d" % (conn.getLibVersion() // 1000000, conn.getLibVersion() // 1000 % 1000,
                                                 conn.getLibVersion() % 1000)
    assert hv["capabilities"]["cpus"] == conn.getInfo()[2]
    assert hv["domainCapabilities"]["hypervisorType"] in ("kvm", "qemu")
    mine = [i for i in hv["instances"] if i["name"].startswith(PREFIX)]
    assert [i["name"] for i in mine] == [PREFIX + "info-guest"] and hv["numInstances"] == len(hv["instances"])
    assert mine[0]["active"] is True and mine[0]["memoryMb"] == 32 and hv["allocation"]["memoryMb"] >= 32


def test_info_refuses_a_too_old_libvirt(hypervisors):
    result = hypervisors.play("libvirt_info.yml", lv_uri=hypervisors.uri(HV1), lv_minimum_libvirt_version="99.0.0")
    assert result.rc != 0
    assert "older than the required 99.0.0" in result.task_results("Run libvirt_info")[0]["msg"]


def test_unreachable_libvirtd_fails_clearly(hypervisors):
    for playbook, extra in (("libvirt_info.yml", {}),
                            ("libvirt_domain.yml", {"lv_xml": hypervisors.guest_xml(PREFIX + "never")}),
                            ("libvirt_secret.yml", {"lv_usage_name": PREFIX + "x", "lv_value": KEY})):
        result = hypervisors.play(playbook, lv_uri=UNREACHABLE, **extra)
        assert result.rc != 0
        msg = result.plays[0]["tasks"][0]["hosts"]["lab-controller"]["msg"]
        assert msg.startswith(f"cannot connect to libvirt at {UNREACHABLE}") and "Connection refused" in msg
    assert hypervisors.names(HV1) == [] and hypervisors.names(HV2) == []


def test_secret_value_never_shown_and_rerun_unchanged(hypervisors):
    sid = str(uuid.uuid4())
    args = dict(lv_uri=hypervisors.uri(HV1), lv_uuid=sid, lv_usage_name=PREFIX + "client.nova secret", lv_value=KEY)
    raw = base64.b64decode(KEY)

    first = hypervisors.play("libvirt_secret.yml", **args)
    assert first.rc == 0, first.stdout
    assert first.changed == 1
    res = first.task_results("Run libvirt_secret")[0]
    assert res["secret"]["uuid"] == sid and res["value_changed"] is True
    conn = hypervisors.conn(HV1)
    assert conn.secretLookupByUUIDString(sid).value() == raw

    again = hypervisors.play("libvirt_secret.yml", **args)
    assert again.rc == 0 and again.changed == 0
    assert again.task_results("Run libvirt_secret")[0]["value_changed"] is False

    other = base64.b64encode(b"another-key-of-28-bytes-long").decode()
    rotated = hypervisors.play("libvirt_secret.yml", **dict(args, lv_value=other))
    assert rotated.changed == 1 and conn.secretLookupByUUIDString(sid).value() == b"another-key-of-28-bytes-long"

    for result in (first, again, rotated):
        text = result.stdout + result.stderr
        for secret in (KEY, other, raw.hex()):
            assert secret not in text
    gone = hypervisors.play("libvirt_secret.yml", lv_uri=hypervisors.uri(HV1), lv_uuid=sid, lv_state="absent")
    assert gone.changed == 1 and sid not in conn.listSecrets()


def test_secret_check_mode_and_bad_value_change_nothing(hypervisors):
    args = dict(lv_uri=hypervisors.uri(HV1), lv_usage_name=PREFIX + "client.cinder secret")
    checked = run_playbook(PLAYBOOKS / "libvirt_secret.yml", check=True, extravars=dict(args, lv_value=KEY))
    assert checked.rc == 0 and checked.changed == 1
    bad = hypervisors.play("libvirt_secret.yml", **dict(args, lv_value="not base64 !!"))
    assert bad.rc != 0
    assert "not valid base64" in bad.task_results("Run libvirt_secret")[0]["msg"]
    assert "not base64 !!" not in bad.stdout
    assert not [s for s in hypervisors.conn(HV1).listAllSecrets() if s.usageID() == PREFIX + "client.cinder secret"]


def test_ceph_secret_hook_of_the_role(hypervisors):
    sid = str(uuid.uuid4())
    extra = dict(hypervisor_action="ceph_secret", hypervisor_libvirt_uri=hypervisors.uri(HV2),
                 hypervisor_ceph_secret_uuid=sid, hypervisor_ceph_secret_key=KEY,
                 hypervisor_ceph_secret_usage_name=PREFIX + "client.nova secret")
    first = hypervisors.play("role.yml", **extra)
    assert first.rc == 0, first.stdout
    again = hypervisors.play("role.yml", **extra)
    assert again.rc == 0 and again.changed == 0
    assert KEY not in first.stdout + again.stdout
    secret = hypervisors.conn(HV2).secretLookupByUUIDString(sid)
    assert secret.usageID() == PREFIX + "client.nova secret" and secret.value() == base64.b64decode(KEY)


def test_domain_lifecycle_is_idempotent(hypervisors):
    xml = hypervisors.guest_xml(PREFIX + "life")
    base = dict(lv_uri=hypervisors.uri(HV1))
    steps = [({"lv_xml": xml, "lv_state": "present"}, 1, "shutoff"),
             ({"lv_xml": xml, "lv_state": "present"}, 0, "shutoff"),
             ({"lv_xml": xml, "lv_state": "running"}, 1, "running"),
             ({"lv_name": PREFIX + "life", "lv_state": "running"}, 0, "running"),
             ({"lv_name": PREFIX + "life", "lv_state": "shutoff", "lv_shutdown_mode": "force"}, 1, "shutoff"),
             ({"lv_name": PREFIX + "life", "lv_state": "absent"}, 1, None),
             ({"lv_name": PREFIX + "life", "lv_state": "absent"}, 0, None)]
    for extra, changed, state in steps:
        result = hypervisors.play("libvirt_domain.yml", **base, **extra)
        assert result.rc == 0, result.stdout
        assert result.changed == changed, extra
        names = hypervisors.names(HV1)
        if state is None:
            assert names == []
        else:
            dom = hypervisors.conn(HV1).lookupByName(PREFIX + "life")
            assert bool(dom.isActive()) == (state == "running")


def test_domain_check_mode_changes_nothing(hypervisors):
    result = run_playbook(PLAYBOOKS / "libvirt_domain.yml", check=True,
                          extravars={"lv_uri": hypervisors.uri(HV1), "lv_xml": hypervisors.guest_xml(PREFIX + "chk"),
                                     "lv_state": "running"})
    assert result.rc == 0 and result.changed == 1
    assert hypervisors.names(HV1) == []


def test_bad_xml_and_unknown_domain_fail_and_change_nothing(hypervisors):
    uri = hypervisors.uri(HV1)
    cases = [
        ({"lv_xml": "<domain type='qemu'><name>broken"}, "not well-formed"),
        ({"lv_xml": "<domain><name>typeless</name></domain>"}, "needs a type attribute"),
        ({"lv_xml": hypervisors.guest_xml(PREFIX + "schema").replace("<vcpu>1</vcpu>", "<vcpu>lots</vcpu>")},
         "libvirt refused the domain definition of hvt-schema: XML document failed to validate"),
        ({"lv_name": PREFIX + "no-such-domain", "lv_state": "running"}, "no-such-domain is not defined"),
    ]
    for extra, message in cases:
        result = hypervisors.play("libvirt_domain.yml", lv_uri=uri, **extra)
        assert result.rc != 0, extra
        assert message in result.plays[0]["tasks"][0]["hosts"]["lab-controller"]["msg"]
        assert result.changed == 0
    assert hypervisors.names(HV1) == []


def test_migrate_reports_telemetry_and_progress(hypervisors, tmp_path):
    hypervisors.start_guest(HV1, PREFIX + "mover")
    progress = tmp_path / "progress.jsonl"
    args = dict(lv_uri=hypervisors.uri(HV1), lv_destination_uri=hypervisors.uri(HV2), lv_name=PREFIX + "mover",
                lv_progress_file=str(progress))
    result = hypervisors.play("libvirt_migrate.yml", **args)
    assert result.rc == 0, result.stdout
    res = result.task_results("Run libvirt_migrate")[0]
    mig = res["migration"]
    assert (mig["origin"], mig["destination"], mig["type"], mig["errMsg"]) == (HV1, HV2, "live", "")
    assert mig["memTotal"] >= 32 * 1024 * 1024 and mig["dataRemaining"] == 0 and mig["timeElapsed"] > 0
    lines = [json.loads(line) for line in progress.read_text().splitlines()]
    assert lines and lines[-1]["timeElapsed"] == mig["timeElapsed"]
    assert hypervisors.names(HV1) == [] and hypervisors.names(HV2, active_only=True) == [PREFIX + "mover"]

    again = hypervisors.play("libvirt_migrate.yml", **args)
    assert again.rc == 0 and again.changed == 0

    unknown = hypervisors.play("libvirt_migrate.yml", **dict(args, lv_name=PREFIX + "ghost"))
    assert unknown.rc != 0 and f"domain {PREFIX}ghost is not defined on lab-hv1" in \
        unknown.task_results("Run libvirt_migrate")[0]["msg"]


def test_unmigratable_guest_fails_and_stays(hypervisors, tmp_path):
    disk = tmp_path / "local.raw"
    disk.write_bytes(b"\0" * 1024 * 1024)
    hypervisors.start_guest(HV1, PREFIX + "stuck", disk=disk)
    result = hypervisors.play("libvirt_migrate.yml", lv_uri=hypervisors.uri(HV1),
                              lv_destination_uri=hypervisors.uri(HV2), lv_name=PREFIX + "stuck")
    assert result.rc != 0
    res = result.task_results("Run libvirt_migrate")[0]
    assert "Unsafe migration" in res["msg"] and res["migration"]["errMsg"]
    assert hypervisors.names(HV1, active_only=True) == [PREFIX + "stuck"] and hypervisors.names(HV2) == []
