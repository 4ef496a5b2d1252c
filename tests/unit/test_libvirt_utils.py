"""libvirt helpers (plugins/module_utils/libvirt_utils.py): URI checks, definition comparison,
telemetry names, and facts read through libvirt's own in-process test driver (test:///default)."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import ModuleFailure
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.libvirt_utils import (
    check_uri, connect, definition_digest, hypervisor_facts, job_telemetry, parse_domain_xml,
    stamp_definition, stamped_digest, version_string, xml_subset)


@pytest.mark.parametrize("uri", [
    "qemu:///system", "qemu:///session", "qemu+tcp://compute-1:16509/system", "qemu+tls://compute-1/system",
    "qemu+unix:///system?socket=/run/lab/libvirt-sock", "qemu+ssh://root@compute-1/system",
    "test:///default", "ch:///system",
])
def test_accepted_uris(uri):
    assert check_uri(uri)["driver"] in ("qemu", "test", "ch")


@pytest.mark.parametrize("uri, message", [
    ("", "invalid libvirt URI"),
    ("http://compute-1/system", "invalid libvirt URI"),
    ("qemu://system", "invalid libvirt URI"),
    ("qemu:///default", "path must be one of"),
    ("qemu+tcp:///system", "needs a host"),
    ("qemu+unix://host/system?socket=/x", "has no host"),
    ("test:///system", "path must be one of"),
])
def test_rejected_uris(uri, message):
    with pytest.raises(ModuleFailure, match=message):
        check_uri(uri)


def test_refused_connection_names_the_uri():
    with pytest.raises(ModuleFailure) as err:
        connect("qemu+unix:///system?socket=/nonexistent/libvirt-sock")
    assert err.value.msg.startswith("cannot connect to libvirt at qemu+unix:///system?socket=/nonexistent")
    assert "is libvirtd running" in err.value.msg


def test_facts_from_the_test_driver():
    conn = connect("test:///default")
    try:
        facts = hypervisor_facts(conn)
    finally:
        conn.close()
    assert facts["hypervisorDriver"] == "TEST"
    assert facts["numInstances"] == len(facts["instances"]) == 1
    guest = facts["instances"][0]
    assert guest["name"] == "test" and guest["active"] is True and guest["memoryMb"] == 8192
    assert facts["allocation"]["memoryMb"] == 8192
    assert facts["freeMemoryMb"] == max(facts["capabilities"]["memoryMb"] - 8192, 0)
    assert facts["libVirtVersion"].count(".") == 2


def test_version_string():
    assert version_string(9000000) == "9.0.0"
    assert version_string(7002022) == "7.2.22"


@pytest.mark.parametrize("bad, message", [
    ("<domain", "not well-formed"),
    ("<network><name>x</name></network>", "root element"),
    ("<domain><name>x</name></domain>", "type attribute"),
    ("<domain type='kvm'/>", "needs a <name>"),
])
def test_domain_xml_is_checked_before_anything_happens(bad, message):
    with pytest.raises(ModuleFailure, match=message):
        parse_domain_xml(bad)


def test_subset_ignores_libvirt_defaults_and_units():
    wanted = ET.fromstring("<domain type='kvm'><name>a</name><memory unit='MiB'>64</memory>"
                           "<devices><serial type='pty'/></devices></domain>")
    actual = ET.fromstring("<domain type='kvm' id='3'><name>a</name><uuid>u</uuid>"
                           "<memory unit='KiB'>65536</memory><devices><controller type='usb'/>"
                           "<serial type='pty'><target port='0'/></serial></devices></domain>")
    assert xml_subset(wanted, actual)
    bigger = ET.fromstring("<domain type='kvm'><name>a</name><memory unit='MiB'>128</memory></domain>")
    assert not xml_subset(bigger, actual)
    assert not xml_subset(ET.fromstring("<domain type='qemu'><name>a</name></domain>"), actual)


def test_definition_digest_ignores_formatting_and_is_stamped():
    one = parse_domain_xml("<domain type='kvm'><name>a</name><vcpu>1</vcpu></domain>")
    two = parse_domain_xml("<domain type=\"kvm\">\n  <name>a</name>\n  <vcpu>1</vcpu>\n</domain>")
    assert definition_digest(one) == definition_digest(two)
    assert definition_digest(one) != definition_digest(parse_domain_xml(
        "<domain type='kvm'><name>a</name><vcpu>2</vcpu></domain>"))
    xml, digest = stamp_definition(one, existing_uuid="6695eb01-f6a4-8304-79aa-97f2502e193f")
    stamped = ET.fromstring(xml)
    assert stamped.find("uuid").text == "6695eb01-f6a4-8304-79aa-97f2502e193f"
    assert stamped_digest(stamped) == digest == definition_digest(one)
    assert one.find("metadata") is None  # the caller's tree is left alone


def test_job_statistics_use_the_migration_field_names():
    stats = {"type": 3, "operation": 5, "time_elapsed": 627, "downtime": 25, "data_total": 10,
             "data_processed": 10, "data_remaining": 0, "memory_total": 10, "memory_dirty_rate": 0,
             "disk_total": 0, "unknown_key": 1}
    out = job_telemetry(stats)
    assert out == {"type": "completed", "operation": "migration_out", "timeElapsed": 627, "downtime": 25,
                   "dataTotal": 10, "dataProcessed": 10, "dataRemaining": 0, "memTotal": 10,
                   "memDirtyRate": 0, "diskTotal": 0}
