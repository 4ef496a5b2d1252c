"""The libvirt modules against the lab's real libvirtd + QEMU: secrets, domains, migration, and
how they fail (bad XML, unknown domain, unreachable daemon) without changing anything. The
modules run as Ansible's wrapper runs them (``run_module``); libvirt_secret, whose value must
never show in what ansible-playbook prints, runs through a playbook."""
from __future__ import annotations

import base64
import json
import uuid

from tests.helpers.ansible import run_module, run_playbook
from tests.integration.hypervisor.conftest import HV1, HV2, PLAYBOOKS, PREFIX

KEY = "AQDkLbNkAAAAABAAxtHcBGVqFpVVuT2Z2xG5TQ=="  # a Ceph key's shape: base64 of 28 bytes
UNREACHABLE = "qemu+tcp://127.0.0.1:1/system"


def test_info_reports_versions_capabilities_and_instances(hypervisors):
    hypervisors.start_guest(HV1, PREFIX + "info-guest")
    result = run_module("libvirt_info", {"uri": hypervisors.uri(HV1), "minimum_libvirt_version": "8.0.0"})
    assert not result.get("failed"), result
    hv = result["hypervisor"]
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
    result = run_module("libvirt_info", {"uri": hypervisors.uri(HV1), "minimum_libvirt_version": "99.0.0"})
    assert result["failed"]
    assert "older than the required 99.0.0" in result["msg"]


def test_unreachable_libvirtd_fails_clearly(hypervisors):
    for module, extra in (("libvirt_info", {}),
                          ("libvirt_domain", {"xml": hypervisors.guest_xml(PREFIX + "never")}),
                          ("libvirt_secret", {"usage_name": PREFIX + "x", "value": KEY})):
        result = run_module(module, dict(extra, uri=UNREACHABLE))
        assert result["failed"]
        msg = result["msg"]
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
    base = dict(uri=hypervisors.uri(HV1))
    steps = [({"xml": xml, "state": "present"}, True, "shutoff"),
             ({"xml": xml, "state": "present"}, False, "shutoff"),
             ({"xml": xml, "state": "running"}, True, "running"),
             ({"name": PREFIX + "life", "state": "running"}, False, "running"),
             ({"name": PREFIX + "life", "state": "shutoff", "shutdown_mode": "force"}, True, "shutoff"),
             ({"name": PREFIX + "life", "state": "absent"}, True, None),
             ({"name": PREFIX + "life", "state": "absent"}, False, None)]
    for extra, changed, state in steps:
        result = run_module("libvirt_domain", dict(base, **extra))
        assert not result.get("failed"), result
        assert result["changed"] is changed, extra
        names = hypervisors.names(HV1)
        if state is None:
            assert names == []
        else:
            dom = hypervisors.conn(HV1).lookupByName(PREFIX + "life")
            assert bool(dom.isActive()) == (state == "running")


def test_domain_check_mode_changes_nothing(hypervisors):
    result = run_module("libvirt_domain", {"uri": hypervisors.uri(HV1), "xml": hypervisors.guest_xml(PREFIX + "chk"),
                                           "state": "running"}, check=True)
    assert not result.get("failed") and result["changed"] is True
    assert hypervisors.names(HV1) == []


def test_bad_xml_and_unknown_domain_fail_and_change_nothing(hypervisors):
    uri = hypervisors.uri(HV1)
    cases = [
        ({"xml": "<domain type='qemu'><name>broken"}, "not well-formed"),
        ({"xml": "<domain><name>typeless</name></domain>"}, "needs a type attribute"),
        ({"xml": hypervisors.guest_xml(PREFIX + "schema").replace("<vcpu>1</vcpu>", "<vcpu>lots</vcpu>")},
         "libvirt refused the domain definition of hvt-schema: XML document failed to validate"),
        ({"name": PREFIX + "no-such-domain", "state": "running"}, "no-such-domain is not defined"),
    ]
    for extra, message in cases:
        result = run_module("libvirt_domain", dict(extra, uri=uri))
        assert result["failed"], extra
        assert message in result["msg"]
        assert not result.get("changed")
    assert hypervisors.names(HV1) == []


def test_migrate_reports_telemetry_and_progress(hypervisors, tmp_path):
    hypervisors.start_guest(HV1, PREFIX + "mover")
    progress = tmp_path / "progress.jsonl"
    args = dict(uri=hypervisors.uri(HV1), destination_uri=hypervisors.uri(HV2), name=PREFIX + "mover",
                progress_file=str(progress))
    result = run_module("libvirt_migrate", args)
    assert not result.get("failed"), result
    mig = result["migration"]
    assert (mig["origin"], mig["destination"], mig["type"], mig["errMsg"]) == (HV1, HV2, "live", "")
    assert mig["memTotal"] >= 32 * 1024 * 1024 and mig["dataRemaining"] == 0 and mig["timeElapsed"] > 0
    lines = [json.loads(line) for line in progress.read_text().splitlines()]
    assert lines and lines[-1]["timeElapsed"] == mig["timeElapsed"]
    assert hypervisors.names(HV1) == [] and hypervisors.names(HV2, active_only=True) == [PREFIX + "mover"]

    again = run_module("libvirt_migrate", args)
    assert not again.get("failed") and again["changed"] is False

    unknown = run_module("libvirt_migrate", dict(args, name=PREFIX + "ghost"))
    assert unknown["failed"] and f"domain {PREFIX}ghost is not defined on lab-hv1" in unknown["msg"]


def test_unmigratable_guest_fails_and_stays(hypervisors, tmp_path):
    disk = tmp_path / "local.raw"
    disk.write_bytes(b"\0" * 1024 * 1024)
    hypervisors.start_guest(HV1, PREFIX + "stuck", disk=disk)
    res = run_module("libvirt_migrate", {"uri": hypervisors.uri(HV1), "destination_uri": hypervisors.uri(HV2),
                                         "name": PREFIX + "stuck"})
    assert res["failed"]
    assert "Unsafe migration" in res["msg"] and res["migration"]["errMsg"]
    assert hypervisors.names(HV1, active_only=True) == [PREFIX + "stuck"] and hypervisors.names(HV2) == []
