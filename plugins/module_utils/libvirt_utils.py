# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt connections and host/domain facts shared by the ``libvirt_*`` modules.

Every module connects through :func:`connect`, which checks the URI before dialling and turns
libvirt's errors into one :class:`ModuleFailure` that names the URI and what to check. The fact
helpers return the shapes the Hypervisor and Migration custom resources use, so a playbook can
put a module's result into a status without reshaping it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import xml.etree.ElementTree as ET

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import ModuleFailure

try:
    import libvirt
    LIBVIRT_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - depends on the host
    libvirt = None
    LIBVIRT_IMPORT_ERROR = exc

# The connection options every libvirt module takes.
CONNECTION_ARGS = dict(
    uri=dict(type="str", default="qemu:///system"),
)

DOMAIN_STATES = {
    0: "nostate", 1: "running", 2: "blocked", 3: "paused", 4: "shutdown", 5: "shutoff",
    6: "crashed", 7: "pmsuspended",
}

_URI = re.compile(
    r"^(?P<driver>qemu|test|ch)(\+(?P<transport>unix|tcp|tls|ssh|libssh|libssh2))?"
    r"://(?P<host>[^/?]*)(?P<path>/[^?]*)(\?(?P<query>.*))?$"
)
_PATHS = {"qemu": ("/system", "/session"), "ch": ("/system", "/session"), "test": ("/default",)}


def check_uri(uri):
    """Raise ModuleFailure for a URI libvirt would reject or misread; return its parts."""
    match = _URI.match(uri or "")
    if not match:
        raise ModuleFailure(
            "invalid libvirt URI %r: expected driver[+transport]://[host[:port]]/path[?params], "
            "e.g. qemu:///system, qemu+tcp://host:16509/system, qemu+tls://host/system, "
            "qemu+unix:///system?socket=/path/libvirt-sock or test:///default" % (uri,))
    parts = match.groupdict()
    if parts["path"] not in _PATHS[parts["driver"]] and not (
            parts["driver"] == "test" and parts["path"].endswith(".xml")):
        raise ModuleFailure("invalid libvirt URI %r: path must be one of %s for the %s driver"
                            % (uri, ", ".join(_PATHS[parts["driver"]]), parts["driver"]))
    transport = parts["transport"]
    if transport in ("tcp", "tls", "ssh", "libssh", "libssh2") and not parts["host"]:
        raise ModuleFailure("invalid libvirt URI %r: the %s transport needs a host" % (uri, transport))
    if transport == "unix" and parts["host"]:
        raise ModuleFailure("invalid libvirt URI %r: a unix socket URI has no host" % (uri,))
    return parts


def _silence_default_handler():
    # libvirt prints every error to stderr by default; the modules report them in their result.
    libvirt.registerErrorHandler(lambda _ctx, _err: None, None)


def error_text(exc):
    """libvirt's own message without the 'libvirt: ... error :' prefix."""
    if libvirt is not None and isinstance(exc, libvirt.libvirtError):
        return exc.get_error_message() or str(exc)
    return str(exc)


def connect(uri, readonly=False):
    """Open a libvirt connection or raise ModuleFailure saying why and what to check."""
    check_uri(uri)
    _silence_default_handler()
    try:
        conn = libvirt.openReadOnly(uri) if readonly else libvirt.open(uri)
    except libvirt.libvirtError as exc:
        message = error_text(exc)
        hint = ""
        if "Connection refused" in message or "No such file or directory" in message:
            hint = " (is libvirtd running and listening there?)"
        elif "authentication" in message.lower() or "Permission denied" in message:
            hint = " (check the credentials, socket permissions or TLS certificates)"
        raise ModuleFailure("cannot connect to libvirt at %s: %s%s" % (uri, message, hint),
                            uri=uri)
    if conn is None:
        raise ModuleFailure("cannot connect to libvirt at %s" % uri, uri=uri)
    return conn


def lookup_domain(conn, name):
    """The domain called ``name`` or None."""
    try:
        return conn.lookupByName(name)
    except libvirt.libvirtError as exc:
        if exc.get_error_code() == libvirt.VIR_ERR_NO_DOMAIN:
            return None
        raise ModuleFailure("cannot look up domain %s: %s" % (name, error_text(exc)))


def domain_state(dom):
    state, _reason = dom.state()
    return DOMAIN_STATES.get(state, "unknown")


def domain_summary(dom):
    """What the Hypervisor status lists per instance, plus state and size."""
    info = dom.info()
    return {
        "id": dom.UUIDString(),
        "name": dom.name(),
        "active": bool(dom.isActive()),
        "state": DOMAIN_STATES.get(info[0], "unknown"),
        "domainId": dom.ID() if dom.isActive() else -1,
        "persistent": bool(dom.isPersistent()),
        "memoryMb": info[1] // 1024,
        "vcpus": info[3],
    }


def instances(conn):
    return sorted((domain_summary(d) for d in conn.listAllDomains()), key=lambda i: i["name"])


def version_string(number):
    """libvirt encodes versions as major * 1,000,000 + minor * 1,000 + release."""
    return "%d.%d.%d" % (number // 1000000, (number // 1000) % 1000, number % 1000)


def _text(root, path, default=None):
    node = root.find(path)
    return node.text if node is not None and node.text is not None else default


def host_capabilities(conn):
    """Host CPU and memory from the capabilities XML and the node info."""
    caps = ET.fromstring(conn.getCapabilities())
    node = conn.getInfo()  # [model, memory MiB, cpus, mhz, nodes, sockets, cores, threads]
    guests = sorted(set(
        "%s/%s" % (_text(g, "os_type", ""), a.get("name"))
        for g in caps.findall("guest") for a in g.findall("arch")
    ))
    return {
        "cpuArch": _text(caps, "host/cpu/arch", node[0]),
        "cpuModel": _text(caps, "host/cpu/model", ""),
        "cpus": node[2],
        "memory": "%dMi" % node[1],
        "memoryMb": node[1],
        "numaCells": node[4],
        "guestTypes": guests,
    }


def domain_capabilities(conn, virt_type=None):
    """Domain capabilities for ``virt_type`` (kvm if the host offers it, else qemu/TCG)."""
    attempts = [virt_type] if virt_type else ["kvm", "qemu"]
    last_error = None
    for vt in attempts:
        try:
            root = ET.fromstring(conn.getDomainCapabilities(None, None, None, vt, 0))
        except libvirt.libvirtError as exc:
            last_error = exc
            continue
        cpu_modes = [m.get("name") for m in root.findall("cpu/mode") if m.get("supported") == "yes"]
        return {
            "hypervisorType": _text(root, "domain", vt),
            "arch": _text(root, "arch", ""),
            "machine": _text(root, "machine", ""),
            "emulator": _text(root, "path", ""),
            "maxVcpus": int(root.find("vcpu").get("max")) if root.find("vcpu") is not None else 0,
            "supportedCpuModes": cpu_modes,
        }
    raise ModuleFailure("libvirt reports no domain capabilities for %s: %s"
                        % ("/".join(attempts), error_text(last_error)))


def hypervisor_facts(conn):
    """The facts the Hypervisor custom resource's status holds, read from libvirt."""
    driver = conn.getType()
    facts = {
        "hostname": conn.getHostname(),
        "uri": conn.getURI(),
        "libVirtVersion": version_string(conn.getLibVersion()),
        "hypervisorDriver": driver,
        "hypervisorVersion": version_string(conn.getVersion()),
        "capabilities": host_capabilities(conn),
    }
    if driver == "QEMU":
        facts["domainCapabilities"] = domain_capabilities(conn)
    else:
        facts["domainCapabilities"] = {"hypervisorType": driver.lower()}
    facts["instances"] = instances(conn)
    facts["numInstances"] = len(facts["instances"])
    # What the running instances take and what is left for more (no overcommit).
    used = sum(i["memoryMb"] for i in facts["instances"] if i["active"])
    facts["allocation"] = {"memoryMb": used, "cpus": sum(i["vcpus"] for i in facts["instances"] if i["active"])}
    facts["freeMemoryMb"] = max(facts["capabilities"]["memoryMb"] - used, 0)
    return facts


# --- domain XML ----------------------------------------------------------------------------------

_UNITS = {"b": 1, "bytes": 1, "kb": 1000, "k": 1024, "kib": 1024, "mb": 1000 ** 2, "m": 1024 ** 2,
          "mib": 1024 ** 2, "gb": 1000 ** 3, "g": 1024 ** 3, "gib": 1024 ** 3, "tb": 1000 ** 4,
          "t": 1024 ** 4, "tib": 1024 ** 4}


def parse_domain_xml(xml):
    """Parse and sanity-check a domain definition before anything is changed."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise ModuleFailure("the domain XML is not well-formed: %s" % exc)
    if root.tag != "domain":
        raise ModuleFailure("the domain XML must have <domain> as its root element, not <%s>" % root.tag)
    if not root.get("type"):
        raise ModuleFailure("the domain XML needs a type attribute (kvm, qemu, test, ...)")
    name = _text(root, "name")
    if not name:
        raise ModuleFailure("the domain XML needs a <name>")
    return root


METADATA_NS = "https://c5c3.io/cobaltcore/libvirt"


def definition_digest(root):
    """sha256 of a domain definition as the user wrote it (canonical XML, whitespace ignored)."""
    import hashlib

    text = ET.canonicalize(ET.tostring(root, encoding="unicode"), strip_text=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stamp_definition(root, existing_uuid=None):
    """The XML to define: the user's definition plus its digest in <metadata> (so a re-run can tell
    it is unchanged although libvirt rewrites the XML) and the existing domain's UUID."""
    import copy

    digest = definition_digest(root)
    stamped = copy.deepcopy(root)
    if existing_uuid and stamped.find("uuid") is None:
        uuid_elem = ET.Element("uuid")
        uuid_elem.text = existing_uuid
        stamped.insert(1, uuid_elem)
    metadata = stamped.find("metadata")
    if metadata is None:
        metadata = ET.SubElement(stamped, "metadata")
    for old in metadata.findall("{%s}definition" % METADATA_NS):
        metadata.remove(old)
    ET.SubElement(metadata, "{%s}definition" % METADATA_NS, {"sha256": digest})
    ET.register_namespace("c5c3", METADATA_NS)
    return ET.tostring(stamped, encoding="unicode"), digest


def stamped_digest(root):
    """The digest stored by :func:`stamp_definition` in a domain's XML, or None."""
    node = root.find("metadata/{%s}definition" % METADATA_NS)
    return node.get("sha256") if node is not None else None


def _kib(elem):
    unit = (elem.get("unit") or "KiB").lower()
    return int(elem.text.strip()) * _UNITS.get(unit, 1024) // 1024


def xml_subset(wanted, actual):
    """True if every element, attribute and text of ``wanted`` is present in ``actual``.

    libvirt fills in defaults (addresses, controllers, ...) and rewrites sizes in KiB, so a
    definition is unchanged when what the user wrote is contained in what libvirt keeps.
    """
    if wanted.tag != actual.tag:
        return False
    sized = wanted.get("unit") is not None and (wanted.text or "").strip().isdigit()
    if sized:
        try:
            if _kib(wanted) != _kib(actual):
                return False
        except (ValueError, AttributeError):
            return False
    else:
        for key, value in wanted.attrib.items():
            if actual.get(key) != value:
                return False
        if (wanted.text or "").strip() and (wanted.text or "").strip() != (actual.text or "").strip():
            return False
    used = set()
    for child in wanted:
        match = None
        for index, candidate in enumerate(actual):
            if index not in used and xml_subset(child, candidate):
                match = index
                break
        if match is None:
            return False
        used.add(match)
    return True


# --- migration telemetry ------------------------------------------------------------------------

_JOB_TYPES = {0: "none", 1: "bounded", 2: "unbounded", 3: "completed", 4: "failed", 5: "cancelled"}
_JOB_OPERATIONS = {0: "unknown", 1: "start", 2: "save", 3: "restore", 4: "migration_in",
                   5: "migration_out", 6: "snapshot", 7: "snapshot_revert", 8: "dump", 9: "backup"}
# libvirt job stats key -> Migration status field
_JOB_FIELDS = {
    "time_elapsed": "timeElapsed", "time_remaining": "timeRemaining", "downtime": "downtime",
    "setup_time": "setupTime",
    "data_total": "dataTotal", "data_processed": "dataProcessed", "data_remaining": "dataRemaining",
    "memory_total": "memTotal", "memory_processed": "memProcessed",
    "memory_remaining": "memRemaining", "memory_bps": "memBps", "memory_dirty_rate": "memDirtyRate",
    "memory_iteration": "memIteration",
    "disk_total": "diskTotal", "disk_processed": "diskProcessed", "disk_remaining": "diskRemaining",
    "disk_bps": "diskBps",
}


def job_telemetry(stats):
    """libvirt job statistics in the Migration custom resource's field names."""
    out = {"type": _JOB_TYPES.get(stats.get("type"), "unknown")}
    if "operation" in stats:
        out["operation"] = _JOB_OPERATIONS.get(stats["operation"], "unknown")
    for key, field in _JOB_FIELDS.items():
        if key in stats:
            out[field] = int(stats[key])
    return out
