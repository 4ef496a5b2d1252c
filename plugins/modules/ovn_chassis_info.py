#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovn_chassis_info
short_description: Chassis registered in the OVN Southbound database, their encaps and port bindings
description:
  - Lists the C(Chassis) rows of the Southbound database with their tunnel encapsulations and the
    logical ports bound to them (C(Port_Binding) rows whose C(chassis) is that chassis).
version_added: 0.1.0
author:
  - CobaltCore for Ansible contributors (@c5c3)
extends_documentation_fragment:
  - c5c3.cobaltcore.ovn
options:
  name:
    description: Only this chassis (its C(name), the OVS C(system-id)).
    type: str
"""

EXAMPLES = r"""
- name: Chassis of the hypervisor hv1
  c5c3.cobaltcore.ovn_chassis_info:
    db: [tcp:10.0.0.11:6642, tcp:10.0.0.12:6642, tcp:10.0.0.13:6642]
    name: hv1
  register: sb
"""

RETURN = r"""
chassis:
  description: One entry per chassis, sorted by name.
  returned: always
  type: list
  elements: dict
  sample:
    - name: hv1
      hostname: hv1.example.com
      encaps: [{type: geneve, ip: 10.0.1.21, options: {csum: "true"}}]
      external_ids: {}
      other_config: {ovn-bridge-mappings: "physnet1:br-provider"}
      port_bindings: [{logical_port: vm1-eth0, up: true, type: ""}]
"""

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.ovn import (
    OVN_CONNECTION_ARGS, OVSDBAPP_IMPORT_ERROR, OvnDb, connection_kwargs,
)


def collect(tables, name):
    bindings = {}
    for pb in tables.rows("Port_Binding"):
        for ch in pb.chassis:
            bindings.setdefault(ch.uuid, []).append(dict(
                logical_port=pb.logical_port, type=pb.type, up=bool(pb.up and pb.up[0])))
    out = []
    for ch in tables.rows("Chassis"):
        if name is not None and ch.name != name:
            continue
        out.append(dict(
            name=ch.name, hostname=ch.hostname,
            encaps=sorted((dict(type=e.type, ip=e.ip, options=dict(e.options)) for e in ch.encaps),
                          key=lambda e: (e["type"], e["ip"])),
            external_ids=dict(ch.external_ids), other_config=dict(ch.other_config),
            port_bindings=sorted(bindings.get(ch.uuid, []), key=lambda b: b["logical_port"]),
        ))
    return sorted(out, key=lambda c: c["name"])


class OvnChassisInfo(CobaltCoreModule):
    argument_spec = dict(OVN_CONNECTION_ARGS, name=dict(type="str"))
    required_libraries = (("ovsdbapp", OVSDBAPP_IMPORT_ERROR),)

    def run(self):
        with OvnDb(schema="OVN_Southbound", tables=("Chassis", "Encap", "Port_Binding"),
                   **connection_kwargs(self.params)) as db:
            self.results["chassis"] = db.read(lambda tables, writer: collect(tables, self.params["name"]))


def main():
    OvnChassisInfo()()


if __name__ == "__main__":
    main()
