#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: libvirt_domain
short_description: Define, start, stop and undefine libvirt domains from XML
version_added: "0.1.0"
description:
  - Manages a persistent libvirt domain from its XML definition, for smoke-test guests and labs.
    Production instances belong to Nova.
  - The XML is parsed and checked before connecting and libvirt validates it against its schema
    before defining, so a bad definition fails without changing anything.
  - The module stores a digest of O(xml) in the domain's C(<metadata>), so a re-run with the same
    XML is unchanged although libvirt rewrites the definition. A domain defined elsewhere is
    unchanged when every element, attribute and value of O(xml) is already in its definition.
    Otherwise the domain is redefined (keeping its UUID), which takes effect at the next start.
author:
  - CobaltCore for Ansible maintainers (@c5c3)
extends_documentation_fragment:
  - c5c3.cobaltcore.libvirt
options:
  name:
    description:
      - Name of the domain. Required unless O(xml) gives it; must match the XML's C(<name>).
    type: str
  xml:
    description:
      - Domain XML. Required to create a domain; optional for O(state=running), O(state=shutoff) and
        O(state=absent) of an existing one.
    type: str
  state:
    description:
      - V(present) defines the domain and leaves it as it is (running or not).
      - V(running) defines it if needed and starts it.
      - V(shutoff) stops it (see O(shutdown_mode)), keeping the definition.
      - V(absent) stops it if running and removes the definition.
    type: str
    choices: [present, running, shutoff, absent]
    default: present
  shutdown_mode:
    description:
      - V(graceful) asks the guest to shut down (ACPI) and waits O(shutdown_timeout) seconds, then
        fails; V(graceful_then_force) pulls the plug after the timeout; V(force) pulls it at once.
    type: str
    choices: [graceful, graceful_then_force, force]
    default: graceful_then_force
  shutdown_timeout:
    description:
      - Seconds to wait for a graceful shutdown.
    type: int
    default: 60
attributes:
  check_mode:
    description: Reports whether the domain would be defined, started, stopped or removed; changes nothing.
    support: full
  diff_mode:
    description: Shows the domain's name and state before and after.
    support: full
"""

EXAMPLES = r"""
- name: Boot a smoke-test guest
  c5c3.cobaltcore.libvirt_domain:
    uri: qemu:///system
    xml: "{{ lookup('ansible.builtin.template', 'smoke-guest.xml.j2') }}"
    state: running

- name: Remove it again
  c5c3.cobaltcore.libvirt_domain:
    uri: qemu:///system
    name: smoke-compute-1
    state: absent
"""

RETURN = r"""
domain:
  description: The domain after the task (UUID as id, name, active, state, size); empty when absent.
  returned: always
  type: dict
  sample: {id: 7d3c..., name: smoke-compute-1, active: true, state: running, memoryMb: 32, vcpus: 1}
"""

import time
import xml.etree.ElementTree as ET

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.libvirt_utils import (
    CONNECTION_ARGS, LIBVIRT_IMPORT_ERROR, connect, definition_digest, domain_state, domain_summary,
    error_text, libvirt, lookup_domain, parse_domain_xml, stamp_definition, stamped_digest, xml_subset)


class LibvirtDomain(CobaltCoreModule):
    argument_spec = dict(
        CONNECTION_ARGS,
        name=dict(type="str"),
        xml=dict(type="str"),
        state=dict(type="str", choices=["present", "running", "shutoff", "absent"], default="present"),
        shutdown_mode=dict(type="str", choices=["graceful", "graceful_then_force", "force"],
                           default="graceful_then_force"),
        shutdown_timeout=dict(type="int", default=60),
    )
    module_kwargs = dict(required_one_of=[("name", "xml")])
    required_libraries = (("libvirt-python", LIBVIRT_IMPORT_ERROR),)

    def run(self):
        p = self.params
        wanted = None
        name = p["name"]
        if p["xml"]:
            wanted = parse_domain_xml(p["xml"])
            xml_name = wanted.find("name").text
            if name and name != xml_name:
                self.fail("name %r does not match the XML's <name>%s</name>" % (name, xml_name))
            name = xml_name
        if p["shutdown_timeout"] < 0:
            self.fail("shutdown_timeout must not be negative")
        conn = connect(p["uri"])
        try:
            self.manage(conn, name, wanted)
        finally:
            conn.close()

    def manage(self, conn, name, wanted):
        state = self.params["state"]
        dom = lookup_domain(conn, name)
        self.diff["before"] = {"name": name, "state": domain_state(dom) if dom else "absent"}
        if state == "absent":
            if dom is not None:
                self.changed = True
                if not self.check_mode:
                    if dom.isActive():
                        self._call(dom.destroy, "stop")
                    flags = 0
                    for flag in ("VIR_DOMAIN_UNDEFINE_MANAGED_SAVE", "VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA",
                                 "VIR_DOMAIN_UNDEFINE_NVRAM"):
                        flags |= getattr(libvirt, flag, 0)
                    self._call(lambda: dom.undefineFlags(flags), "undefine")
            self.diff["after"] = {"name": name, "state": "absent"}
            self.results["domain"] = {}
            return

        if dom is None and wanted is None:
            self.fail("domain %s is not defined and no xml was given to define it" % name)
        if wanted is not None:
            dom = self._define(conn, dom, wanted)
        if state == "running" and (dom is None or not dom.isActive()):
            self.changed = True
            if not self.check_mode:
                self._call(dom.create, "start")
        elif state == "shutoff" and dom is not None and dom.isActive():
            self.changed = True
            if not self.check_mode:
                self._shutdown(dom)
        if dom is None:  # check mode, not defined yet
            after = {"name": name, "state": "running" if state == "running" else "shutoff"}
            self.results["domain"] = after
        else:
            self.results["domain"] = domain_summary(dom) if not self.check_mode else dict(
                domain_summary(dom), state=self._predicted_state(dom, state))
            after = {"name": name, "state": self.results["domain"]["state"]}
        self.diff["after"] = after

    @staticmethod
    def _predicted_state(dom, state):
        if state == "running":
            return "running"
        if state == "shutoff":
            return "shutoff"
        return domain_state(dom)

    def _define(self, conn, dom, wanted):
        before = None
        if dom is not None:
            before = dom.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
            current = ET.fromstring(before)
            digest = stamped_digest(current)
            if digest == definition_digest(wanted) or (digest is None and xml_subset(wanted, current)):
                return dom
        self.changed = True
        if self.check_mode:
            return dom
        xml, _digest = stamp_definition(wanted, dom.UUIDString() if dom is not None else None)
        flags = getattr(libvirt, "VIR_DOMAIN_DEFINE_VALIDATE", 0)
        try:
            new = conn.defineXMLFlags(xml, flags)
        except libvirt.libvirtError as exc:
            self.fail("libvirt refused the domain definition of %s: %s"
                      % (wanted.find("name").text, error_text(exc)))
        if before is not None and new.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE) == before:
            self.changed = False
        return new

    def _shutdown(self, dom):
        mode = self.params["shutdown_mode"]
        if mode != "force":
            self._call(dom.shutdown, "shut down")
            deadline = time.time() + self.params["shutdown_timeout"]
            while dom.isActive() and time.time() < deadline:
                time.sleep(0.5)
            if not dom.isActive():
                return
            if mode == "graceful":
                self.fail("domain %s did not shut down within %ss"
                          % (dom.name(), self.params["shutdown_timeout"]))
        self._call(dom.destroy, "stop")

    def _call(self, action, what):
        try:
            action()
        except libvirt.libvirtError as exc:
            self.fail("cannot %s domain: %s" % (what, error_text(exc)))


def main():
    LibvirtDomain()()


if __name__ == "__main__":
    main()
