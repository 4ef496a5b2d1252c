#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovn_port_group
short_description: Declare OVN port groups, their member ports and their ACLs in one transaction
description:
  - Creates, updates and removes port groups in the OVN Northbound database. When O(port_groups[].ports)
    or O(port_groups[].acls) is given it is the complete list (members and ACLs not listed go).
  - ACLs are identified by C(direction), C(priority) and C(match); other columns are updated in place.
  - All port groups of one call are written in B(one) transaction; member ports must exist.
version_added: 0.1.0
author:
  - CobaltCore for Ansible contributors (@c5c3)
extends_documentation_fragment:
  - c5c3.cobaltcore.ovn
options:
  state:
    description: Default O(port_groups[].state).
    type: str
    choices: [present, absent]
    default: present
  port_groups:
    description: Port groups.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name; used as C(@name) in ACL matches, so letters, digits and C(_) only.
        type: str
        required: true
      state:
        description: Defaults to O(state). An absent group goes with its ACLs.
        type: str
        choices: [present, absent]
      ports:
        description: Names of the member logical switch ports (all of them).
        type: list
        elements: str
      external_ids:
        description: The C(external_ids) column.
        type: dict
      acls:
        description: The ACLs of the group (all of them).
        type: list
        elements: dict
        suboptions:
          direction:
            description: Direction.
            type: str
            required: true
            choices: [from-lport, to-lport]
          priority:
            description: Priority, 0..32767.
            type: int
            required: true
          match:
            description: OVN match expression.
            type: str
            required: true
          action:
            description: Verdict.
            type: str
            required: true
            choices: [allow, allow-related, allow-stateless, drop, reject, pass]
          log:
            description: Log packets that match.
            type: bool
            default: false
          name:
            description: Name shown in logs.
            type: str
          severity:
            description: Log severity.
            type: str
            choices: [alert, warning, notice, info, debug]
          external_ids:
            description: The C(external_ids) column.
            type: dict
"""

EXAMPLES = r"""
- name: A security group as a port group with two rules
  c5c3.cobaltcore.ovn_port_group:
    db: [tcp:10.0.0.11:6641, tcp:10.0.0.12:6641, tcp:10.0.0.13:6641]
    port_groups:
      - name: pg_web
        ports: [vm1-eth0, vm2-eth0]
        acls:
          - {direction: to-lport, priority: 1002, match: "outport == @pg_web && ip4 && tcp.dst == 443", action: allow-related}
          - {direction: to-lport, priority: 1001, match: "outport == @pg_web && ip", action: drop}
"""

RETURN = r"""
port_groups:
  description: Port group names created, updated and deleted.
  returned: always
  type: dict
  sample: {created: [pg_web], updated: [], deleted: []}
acls:
  description: Counts of ACLs created, updated and deleted.
  returned: always
  type: dict
  sample: {created: 2, updated: 0, deleted: 0}
"""

import re

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule, ModuleFailure
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.ovn import (
    OVN_CONNECTION_ARGS, OVSDBAPP_IMPORT_ERROR, OvnDb, check_unique, column_changes,
    connection_kwargs, identity, optional, str_map, sync_keyed_children,
)

ACL_KEY = ("direction", "priority", "match")


class OvnPortGroup(CobaltCoreModule):
    argument_spec = dict(
        OVN_CONNECTION_ARGS,
        state=dict(type="str", choices=["present", "absent"], default="present"),
        port_groups=dict(type="list", elements="dict", required=True, options=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"]),
            ports=dict(type="list", elements="str"),
            external_ids=dict(type="dict"),
            acls=dict(type="list", elements="dict", options=dict(
                direction=dict(type="str", required=True, choices=["from-lport", "to-lport"]),
                priority=dict(type="int", required=True),
                match=dict(type="str", required=True),
                action=dict(type="str", required=True,
                            choices=["allow", "allow-related", "allow-stateless", "drop", "reject", "pass"]),
                log=dict(type="bool", default=False),
                name=dict(type="str"),
                severity=dict(type="str", choices=["alert", "warning", "notice", "info", "debug"]),
                external_ids=dict(type="dict"),
            )),
        )),
    )
    required_libraries = (("ovsdbapp", OVSDBAPP_IMPORT_ERROR),)

    def validate(self):
        groups = [dict(g, state=g["state"] or self.params["state"]) for g in self.params["port_groups"]]
        check_unique(groups, lambda g: g["name"], "port group")
        errors = []
        for g in groups:
            if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", g["name"]):
                errors.append("port group %r: use letters, digits and _ (it is referenced as @name)" % g["name"])
            for acl in g["acls"] or ():
                if not 0 <= acl["priority"] <= 32767:
                    errors.append("port group %s: ACL priority %d is not in 0..32767" % (g["name"], acl["priority"]))
            if g["acls"]:
                check_unique(g["acls"], lambda a: identity(acl_columns(a), ACL_KEY), "ACL of %s" % g["name"])
        if errors:
            self.fail("invalid parameters: " + "; ".join(errors), errors=errors)
        return groups

    def run(self):
        groups = self.validate()
        diff = dict(before={}, after={}) if self.diff_mode else None

        def reconcile(tables, writer):
            return plan(tables, writer, groups, diff)

        with OvnDb(schema="OVN_Northbound", tables=("NB_Global", "Port_Group", "ACL", "Logical_Switch_Port"),
                   **connection_kwargs(self.params)) as db:
            result, changes = db.read(reconcile) if self.check_mode else db.write(reconcile)
        self.changed = changes > 0
        self.results.update(result)
        if diff is not None:
            self.diff = diff


def acl_columns(a):
    cols = dict(direction=a["direction"], priority=a["priority"], match=a["match"], action=a["action"],
                log=a["log"], name=optional(a["name"]), severity=optional(a["severity"]))
    if a["external_ids"] is not None:
        cols["external_ids"] = str_map(a["external_ids"])
    return cols


def plan(tables, writer, groups, diff):
    if diff is not None:
        for side in ("before", "after"):
            diff[side].clear()
            diff[side]["port_groups"] = {}
    existing = tables.by_name("Port_Group")
    lsps = tables.by_name("Logical_Switch_Port")
    result = dict(port_groups=dict(created=[], updated=[], deleted=[]))
    acl_totals = [0, 0, 0]
    for g in groups:
        row = existing.get(g["name"])
        if g["state"] == "absent":
            if row is not None:
                writer.delete(row)
                result["port_groups"]["deleted"].append(g["name"])
                if diff is not None:
                    diff["before"]["port_groups"][g["name"]] = {"ports": sorted(p.name for p in row.ports)}
            continue
        cols = {}
        if g["ports"] is not None:
            missing = [p for p in g["ports"] if p not in lsps]
            if missing:
                raise ModuleFailure("port group %s: logical switch port(s) %s do not exist"
                                    % (g["name"], ", ".join(sorted(missing))))
            cols["ports"] = [lsps[p] for p in sorted(set(g["ports"]))]
        if g["external_ids"] is not None:
            cols["external_ids"] = str_map(g["external_ids"])
        if row is None:
            row = writer.insert("Port_Group", dict(cols, name=g["name"]))
            result["port_groups"]["created"].append(g["name"])
            if diff is not None:
                diff["after"]["port_groups"][g["name"]] = {"ports": sorted(g["ports"] or [])}
        else:
            changes = column_changes(row, cols)
            if changes:
                writer.update(row, changes)
                result["port_groups"]["updated"].append(g["name"])
                if diff is not None and "ports" in changes:
                    diff["before"]["port_groups"][g["name"]] = {"ports": sorted(p.name for p in row.ports)}
                    diff["after"]["port_groups"][g["name"]] = {"ports": sorted(g["ports"])}
        if g["acls"] is not None:
            desired = {}
            for acl in g["acls"]:
                acl_cols = acl_columns(acl)
                readable = "%s %s %d %s -> %s" % (g["name"], acl["direction"], acl["priority"], acl["match"],
                                                  acl["action"])
                desired[identity(acl_cols, ACL_KEY)] = ("present", acl_cols, readable)
            counts = sync_keyed_children(writer, row, column="acls", table="ACL", desired=desired,
                                         key_columns=ACL_KEY, purge=True, diff=diff, label="acls")
            acl_totals = [a + b for a, b in zip(acl_totals, counts)]
    result["acls"] = dict(created=acl_totals[0], updated=acl_totals[1], deleted=acl_totals[2])
    return result, writer.changes


def main():
    OvnPortGroup()()


if __name__ == "__main__":
    main()
