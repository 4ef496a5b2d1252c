#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovn_logical_switch
short_description: Declare OVN logical switches and their ports in one NB transaction
description:
  - Creates, updates and removes logical switches and logical switch ports in the OVN
    Northbound database. Everything in one call is planned against the database as it is and
    committed as B(one) transaction, so thousands of ports cost one round trip.
  - Only the columns you give are managed; a column left out keeps its current value.
  - Parameters are validated (MAC and IP syntax, duplicates, the switch of every port) before
    anything is written; a failure writes nothing.
version_added: 0.1.0
author:
  - CobaltCore for Ansible contributors (@c5c3)
extends_documentation_fragment:
  - c5c3.cobaltcore.ovn
options:
  state:
    description:
      - Default O(switches[].state) and O(ports[].state) for items that do not set their own.
    type: str
    choices: [present, absent]
    default: present
  switches:
    description:
      - Logical switches. An absent switch is removed with all its ports.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the switch (the C(name) column).
        type: str
        required: true
      state:
        description: Whether the switch exists; defaults to O(state).
        type: str
        choices: [present, absent]
      other_config:
        description: The C(other_config) column (replaced as a whole when given).
        type: dict
      external_ids:
        description: The C(external_ids) column (replaced as a whole when given).
        type: dict
      purge_ports:
        description: Remove every port of this switch that O(ports) does not declare present.
        type: bool
        default: false
  ports:
    description:
      - Logical switch ports. Port names are unique in the Northbound database.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the port; C(external_ids:iface-id) of the OVS interface that binds it.
        type: str
        required: true
      switch:
        description:
          - Switch the port belongs to. Required for a present port; it must exist or be declared
            present in O(switches). A port declared on another switch than its current one moves.
        type: str
      state:
        description: Whether the port exists; defaults to O(state).
        type: str
        choices: [present, absent]
      addresses:
        description:
          - The C(addresses) column; entries C(MAC [IP...]), C(MAC dynamic), C(dynamic),
            C(unknown) or C(router).
        type: list
        elements: str
      port_security:
        description: The C(port_security) column; entries C(MAC [IP[/PREFIX]...]).
        type: list
        elements: str
      type:
        description: Port type (C(""), C(router), C(localnet), C(localport), C(external), ...).
        type: str
      options:
        description: The C(options) column, e.g. C(router-port) for a C(router) port.
        type: dict
      external_ids:
        description: The C(external_ids) column.
        type: dict
      enabled:
        description: Administrative state.
        type: bool
      parent_name:
        description: Parent port for a container (VLAN) port.
        type: str
      tag_request:
        description: VLAN tag requested for a container port.
        type: int
"""

EXAMPLES = r"""
- name: A tenant network with two VM ports
  c5c3.cobaltcore.ovn_logical_switch:
    db: [tcp:10.0.0.11:6641, tcp:10.0.0.12:6641, tcp:10.0.0.13:6641]
    switches:
      - name: net-a
        other_config:
          subnet: 10.1.0.0/24
    ports:
      - name: vm1-eth0
        switch: net-a
        addresses: ["fa:16:3e:00:00:01 10.1.0.11"]
        port_security: ["fa:16:3e:00:00:01 10.1.0.11"]
      - name: vm2-eth0
        switch: net-a
        addresses: ["fa:16:3e:00:00:02 10.1.0.12"]

- name: Remove two ports (their switch stays)
  c5c3.cobaltcore.ovn_logical_switch:
    db: unix:/run/ovn/ovnnb_db.sock
    state: absent
    ports:
      - name: vm1-eth0
      - name: vm2-eth0
"""

RETURN = r"""
switches:
  description: Names of the switches created, updated and deleted.
  returned: always
  type: dict
  sample: {created: [net-a], updated: [], deleted: []}
ports:
  description: Names of the ports created, updated (including moved) and deleted.
  returned: always
  type: dict
  sample: {created: [vm1-eth0], updated: [], deleted: []}
"""

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule, ModuleFailure
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.ovn import (
    OVN_CONNECTION_ARGS, OVSDBAPP_IMPORT_ERROR, OvnDb, check_address_set, check_unique,
    column_changes, connection_kwargs, optional, str_map, sync_named_children,
)

STATE = dict(type="str", choices=["present", "absent"])
TABLES = {
    "Logical_Switch": ("name", "ports", "other_config", "external_ids"),
    "Logical_Switch_Port": ("name", "addresses", "port_security", "type", "options", "external_ids", "enabled",
                            "parent_name", "tag_request"),
}
LSP_KEYWORDS = ("unknown", "router", "dynamic")


class OvnLogicalSwitch(CobaltCoreModule):
    argument_spec = dict(
        OVN_CONNECTION_ARGS,
        state=dict(type="str", choices=["present", "absent"], default="present"),
        switches=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            state=STATE,
            other_config=dict(type="dict"),
            external_ids=dict(type="dict"),
            purge_ports=dict(type="bool", default=False),
        )),
        ports=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            switch=dict(type="str"),
            state=STATE,
            addresses=dict(type="list", elements="str"),
            port_security=dict(type="list", elements="str"),
            type=dict(type="str"),
            options=dict(type="dict"),
            external_ids=dict(type="dict"),
            enabled=dict(type="bool"),
            parent_name=dict(type="str"),
            tag_request=dict(type="int"),
        )),
    )
    required_libraries = (("ovsdbapp", OVSDBAPP_IMPORT_ERROR),)

    def validate(self):
        default = self.params["state"]
        switches = [dict(s, state=s["state"] or default) for s in self.params["switches"]]
        ports = [dict(p, state=p["state"] or default) for p in self.params["ports"]]
        check_unique(switches, lambda s: s["name"], "switch")
        check_unique(ports, lambda p: p["name"], "port")
        errors = []
        for port in ports:
            where = "port %s" % port["name"]
            if port["state"] == "present" and not port["switch"]:
                errors.append("%s: switch is required for a present port" % where)
            for entry in port["addresses"] or ():
                errors.append(check_address_set(where + " addresses", entry, False, LSP_KEYWORDS))
            for entry in port["port_security"] or ():
                errors.append(check_address_set(where + " port_security", entry, True))
            if port["tag_request"] is not None and not 0 <= port["tag_request"] <= 4095:
                errors.append("%s: tag_request must be 0..4095" % where)
        errors = [e for e in errors if e]
        if errors:
            self.fail("invalid parameters: " + "; ".join(errors[:20]), errors=errors)
        return switches, ports

    def run(self):
        switches, ports = self.validate()
        diff = dict(before={}, after={}) if self.diff_mode else None

        def reconcile(tables, writer):
            return plan(tables, writer, switches, ports, diff)

        with OvnDb(schema="OVN_Northbound", tables=TABLES, **connection_kwargs(self.params)) as db:
            if self.check_mode:
                result, changes = db.read(reconcile)
            else:
                result, changes = db.write(reconcile)
        self.changed = changes > 0
        self.results.update(result)
        if diff is not None:
            self.diff = diff


def port_columns(port):
    cols = {}
    for name in ("addresses", "port_security"):
        if port[name] is not None:
            cols[name] = list(port[name])
    if port["type"] is not None:
        cols["type"] = port["type"]
    for name in ("options", "external_ids"):
        if port[name] is not None:
            cols[name] = str_map(port[name])
    if port["enabled"] is not None:
        cols["enabled"] = optional(port["enabled"])
    if port["parent_name"] is not None:
        cols["parent_name"] = optional(port["parent_name"])
    if port["tag_request"] is not None:
        cols["tag_request"] = optional(port["tag_request"])
    return cols


def plan(tables, writer, switches, ports, diff):
    """Plan (and, with a live writer, apply) the declared state; returns (result, change count)."""
    if diff is not None:
        diff["before"].clear()
        diff["after"].clear()
    sdiff = dict(before={}, after={}) if diff is not None else None
    pdiff = dict(before={}, after={}) if diff is not None else None
    existing = tables.by_name("Logical_Switch")
    result = dict(switches=dict(created=[], updated=[], deleted=[]),
                  ports=dict(created=[], updated=[], deleted=[]))
    new_switches = {}
    for sw in switches:
        row = existing.get(sw["name"])
        if sw["state"] == "absent":
            if row is not None:
                writer.delete(row)
                result["switches"]["deleted"].append(sw["name"])
                if sdiff is not None:
                    sdiff["before"][sw["name"]] = {"ports": len(row.ports)}
            continue
        cols = dict((k, str_map(sw[k])) for k in ("other_config", "external_ids") if sw[k] is not None)
        if row is None:
            new_switches[sw["name"]] = writer.insert("Logical_Switch", dict(cols, name=sw["name"]))
            result["switches"]["created"].append(sw["name"])
            if sdiff is not None:
                sdiff["after"][sw["name"]] = cols
            continue
        changes = column_changes(row, cols)
        if changes:
            writer.update(row, changes)
            result["switches"]["updated"].append(sw["name"])
            if sdiff is not None:
                sdiff["before"][sw["name"]] = dict((c, dict(getattr(row, c))) for c in changes)
                sdiff["after"][sw["name"]] = changes

    deleted_switches = set(result["switches"]["deleted"])
    for port in ports:
        if port["state"] == "present" and port["switch"] in deleted_switches:
            raise ModuleFailure("port %s: switch %s is declared absent" % (port["name"], port["switch"]))

    # Ports of switches that go away go with them (they are not root rows); purge the rest.
    purge = []
    declared = set(p["name"] for p in ports if p["state"] == "present")
    for sw in switches:
        row = existing.get(sw["name"])
        if sw["state"] == "present" and sw["purge_ports"] and row is not None:
            purge.extend(dict(name=p.name, state="absent") for p in row.ports if p.name not in declared)
    created, updated, deleted = sync_named_children(
        writer, tables, child_table="Logical_Switch_Port", parent_table="Logical_Switch",
        parent_column="ports", parent_key="switch", items=ports + purge, build=port_columns,
        extra_parents=new_switches, diff=pdiff)
    result["ports"] = dict(created=created, updated=updated, deleted=deleted)
    if diff is not None:
        for side in ("before", "after"):
            diff[side]["switches"] = sdiff[side]
            diff[side]["ports"] = pdiff[side]
    return result, writer.changes


def main():
    OvnLogicalSwitch()()


if __name__ == "__main__":
    main()
