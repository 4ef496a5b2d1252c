#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovn_logical_router
short_description: Declare OVN logical routers, router ports, static routes and NAT in one transaction
description:
  - Creates, updates and removes logical routers, their ports, static routes and NAT rules in the
    OVN Northbound database, all in B(one) transaction planned against the current database.
  - Static routes are identified by router, C(ip_prefix), C(nexthop), C(policy) and
    C(route_table); NAT rules by router, C(type), C(external_ip) and C(logical_ip).
  - Everything is validated (MAC, networks, addresses, routers that must exist) before a write.
version_added: 0.1.0
author:
  - CobaltCore for Ansible contributors (@c5c3)
extends_documentation_fragment:
  - c5c3.cobaltcore.ovn
options:
  state:
    description: Default C(state) of every item that does not set its own.
    type: str
    choices: [present, absent]
    default: present
  routers:
    description: Logical routers. An absent router goes with its ports, routes and NAT rules.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Router name.
        type: str
        required: true
      state:
        description: Defaults to O(state).
        type: str
        choices: [present, absent]
      enabled:
        description: Administrative state.
        type: bool
      options:
        description: The C(options) column (e.g. C(chassis) for a gateway router).
        type: dict
      external_ids:
        description: The C(external_ids) column.
        type: dict
      purge_ports:
        description: Remove ports of this router that O(ports) does not declare present.
        type: bool
        default: false
      purge_static_routes:
        description: Remove static routes of this router that O(static_routes) does not declare present.
        type: bool
        default: false
      purge_nat:
        description: Remove NAT rules of this router that O(nat) does not declare present.
        type: bool
        default: false
  ports:
    description: Logical router ports.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Port name (unique in the database).
        type: str
        required: true
      router:
        description: Router of the port; required for a present port.
        type: str
      state:
        description: Defaults to O(state).
        type: str
        choices: [present, absent]
      mac:
        description: Ethernet address; required for a new port.
        type: str
      networks:
        description: Addresses with prefix length (C(10.0.0.1/24)); required for a new port.
        type: list
        elements: str
      peer:
        description: Peer router port (router-to-router links).
        type: str
      options:
        description: The C(options) column.
        type: dict
      external_ids:
        description: The C(external_ids) column.
        type: dict
      enabled:
        description: Administrative state.
        type: bool
  static_routes:
    description: Static routes.
    type: list
    elements: dict
    default: []
    suboptions:
      router:
        description: Router of the route.
        type: str
        required: true
      ip_prefix:
        description: Destination (or source, with O(static_routes[].policy=src-ip)) prefix.
        type: str
        required: true
      nexthop:
        description: Next hop address, or C(discard).
        type: str
        required: true
      state:
        description: Defaults to O(state).
        type: str
        choices: [present, absent]
      policy:
        description: Match on destination (default) or source.
        type: str
        choices: [dst-ip, src-ip]
      output_port:
        description: Router port to send through.
        type: str
      route_table:
        description: Route table name (C("") is the global table).
        type: str
        default: ""
  nat:
    description: NAT rules.
    type: list
    elements: dict
    default: []
    suboptions:
      router:
        description: Router of the rule.
        type: str
        required: true
      type:
        description: NAT type.
        type: str
        required: true
        choices: [snat, dnat, dnat_and_snat]
      external_ip:
        description: External address.
        type: str
        required: true
      logical_ip:
        description: Logical address (a network is allowed for C(snat)).
        type: str
        required: true
      state:
        description: Defaults to O(state).
        type: str
        choices: [present, absent]
      logical_port:
        description: Logical switch port of a distributed C(dnat_and_snat) (floating IP).
        type: str
      external_mac:
        description: MAC of a distributed C(dnat_and_snat).
        type: str
"""

EXAMPLES = r"""
- name: A router between a tenant network and a provider network, with SNAT and a default route
  c5c3.cobaltcore.ovn_logical_router:
    db: [tcp:10.0.0.11:6641, tcp:10.0.0.12:6641, tcp:10.0.0.13:6641]
    routers:
      - name: r1
    ports:
      - name: r1-net-a
        router: r1
        mac: "fa:16:3e:10:00:01"
        networks: [10.1.0.1/24]
      - name: r1-ext
        router: r1
        mac: "fa:16:3e:10:00:02"
        networks: [192.0.2.10/24]
    static_routes:
      - router: r1
        ip_prefix: 0.0.0.0/0
        nexthop: 192.0.2.1
    nat:
      - router: r1
        type: snat
        external_ip: 192.0.2.10
        logical_ip: 10.1.0.0/24
"""

RETURN = r"""
routers:
  description: Router names created, updated and deleted.
  returned: always
  type: dict
  sample: {created: [r1], updated: [], deleted: []}
ports:
  description: Router port names created, updated and deleted.
  returned: always
  type: dict
  sample: {created: [r1-net-a], updated: [], deleted: []}
static_routes:
  description: Counts of static routes created, updated and deleted.
  returned: always
  type: dict
  sample: {created: 1, updated: 0, deleted: 0}
nat:
  description: Counts of NAT rules created, updated and deleted.
  returned: always
  type: dict
  sample: {created: 1, updated: 0, deleted: 0}
"""

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule, ModuleFailure
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.ovn import (
    OVN_CONNECTION_ARGS, OVSDBAPP_IMPORT_ERROR, OvnDb, check_unique, column_changes,
    connection_kwargs, identity, optional, str_map, sync_keyed_children, sync_named_children,
    valid_ip, valid_mac,
)

STATE = dict(type="str", choices=["present", "absent"])
ROUTE_KEY = ("ip_prefix", "nexthop", "policy", "route_table")
NAT_KEY = ("type", "external_ip", "logical_ip")


class OvnLogicalRouter(CobaltCoreModule):
    argument_spec = dict(
        OVN_CONNECTION_ARGS,
        state=dict(type="str", choices=["present", "absent"], default="present"),
        routers=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            state=STATE,
            enabled=dict(type="bool"),
            options=dict(type="dict"),
            external_ids=dict(type="dict"),
            purge_ports=dict(type="bool", default=False),
            purge_static_routes=dict(type="bool", default=False),
            purge_nat=dict(type="bool", default=False),
        )),
        ports=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            router=dict(type="str"),
            state=STATE,
            mac=dict(type="str"),
            networks=dict(type="list", elements="str"),
            peer=dict(type="str"),
            options=dict(type="dict"),
            external_ids=dict(type="dict"),
            enabled=dict(type="bool"),
        )),
        static_routes=dict(type="list", elements="dict", default=[], options=dict(
            router=dict(type="str", required=True),
            ip_prefix=dict(type="str", required=True),
            nexthop=dict(type="str", required=True),
            state=STATE,
            policy=dict(type="str", choices=["dst-ip", "src-ip"]),
            output_port=dict(type="str"),
            route_table=dict(type="str", default=""),
        )),
        nat=dict(type="list", elements="dict", default=[], options=dict(
            router=dict(type="str", required=True),
            type=dict(type="str", required=True, choices=["snat", "dnat", "dnat_and_snat"]),
            external_ip=dict(type="str", required=True),
            logical_ip=dict(type="str", required=True),
            state=STATE,
            logical_port=dict(type="str"),
            external_mac=dict(type="str"),
        )),
    )
    required_libraries = (("ovsdbapp", OVSDBAPP_IMPORT_ERROR),)

    def validate(self):
        default = self.params["state"]
        items = dict((k, [dict(i, state=i["state"] or default) for i in self.params[k]])
                     for k in ("routers", "ports", "static_routes", "nat"))
        check_unique(items["routers"], lambda r: r["name"], "router")
        check_unique(items["ports"], lambda p: p["name"], "router port")
        check_unique(items["static_routes"], lambda r: (r["router"],) + identity(route_columns(r), ROUTE_KEY),
                     "static route")
        check_unique(items["nat"], lambda n: (n["router"], n["type"], n["external_ip"], n["logical_ip"]),
                     "NAT rule")
        errors = []
        for p in items["ports"]:
            if p["state"] != "present":
                continue
            if not p["router"]:
                errors.append("router port %s: router is required" % p["name"])
            if p["mac"] is not None and not valid_mac(p["mac"]):
                errors.append("router port %s: %r is not a MAC address" % (p["name"], p["mac"]))
            for net in p["networks"] or ():
                if "/" not in net or not valid_ip(net, network=True):
                    errors.append("router port %s: %r is not ADDRESS/PREFIX" % (p["name"], net))
        for r in items["static_routes"]:
            if not valid_ip(r["ip_prefix"], network=True):
                errors.append("static route on %s: %r is not a prefix" % (r["router"], r["ip_prefix"]))
            if r["nexthop"] != "discard" and not valid_ip(r["nexthop"]):
                errors.append("static route on %s: nexthop %r is not an address" % (r["router"], r["nexthop"]))
        for n in items["nat"]:
            if not valid_ip(n["external_ip"]):
                errors.append("NAT on %s: external_ip %r is not an address" % (n["router"], n["external_ip"]))
            if not valid_ip(n["logical_ip"], network=n["type"] == "snat"):
                errors.append("NAT on %s: logical_ip %r is not valid" % (n["router"], n["logical_ip"]))
            if n["external_mac"] is not None and not valid_mac(n["external_mac"]):
                errors.append("NAT on %s: %r is not a MAC address" % (n["router"], n["external_mac"]))
        if errors:
            self.fail("invalid parameters: " + "; ".join(errors[:20]), errors=errors)
        return items

    def run(self):
        items = self.validate()
        diff = dict(before={}, after={}) if self.diff_mode else None

        def reconcile(tables, writer):
            return plan(tables, writer, items, diff)

        with OvnDb(schema="OVN_Northbound",
                   tables=("NB_Global", "Logical_Router", "Logical_Router_Port",
                           "Logical_Router_Static_Route", "NAT"),
                   **connection_kwargs(self.params)) as db:
            result, changes = db.read(reconcile) if self.check_mode else db.write(reconcile)
        self.changed = changes > 0
        self.results.update(result)
        if diff is not None:
            self.diff = diff


def router_columns(r):
    cols = dict((k, str_map(r[k])) for k in ("options", "external_ids") if r[k] is not None)
    if r["enabled"] is not None:
        cols["enabled"] = optional(r["enabled"])
    return cols


def port_columns(p):
    cols = {}
    if p["mac"] is not None:
        cols["mac"] = p["mac"]
    if p["networks"] is not None:
        cols["networks"] = list(p["networks"])
    if p["peer"] is not None:
        cols["peer"] = optional(p["peer"])
    for k in ("options", "external_ids"):
        if p[k] is not None:
            cols[k] = str_map(p[k])
    if p["enabled"] is not None:
        cols["enabled"] = optional(p["enabled"])
    return cols


def route_columns(r):
    cols = dict(ip_prefix=r["ip_prefix"], nexthop=r["nexthop"], policy=optional(r["policy"]),
                route_table=r["route_table"] or "")
    if r["output_port"] is not None:
        cols["output_port"] = optional(r["output_port"])
    return cols


def nat_columns(n):
    cols = dict(type=n["type"], external_ip=n["external_ip"], logical_ip=n["logical_ip"])
    if n["logical_port"] is not None:
        cols["logical_port"] = optional(n["logical_port"])
    if n["external_mac"] is not None:
        cols["external_mac"] = optional(n["external_mac"])
    return cols


def plan(tables, writer, items, diff):
    if diff is not None:
        for side in ("before", "after"):
            diff[side].clear()
            diff[side].update(routers={}, ports={})
    existing = tables.by_name("Logical_Router")
    result = dict(routers=dict(created=[], updated=[], deleted=[]))
    live = dict(existing)
    for r in items["routers"]:
        row = existing.get(r["name"])
        if r["state"] == "absent":
            if row is not None:
                writer.delete(row)
                live.pop(r["name"])
                result["routers"]["deleted"].append(r["name"])
                if diff is not None:
                    diff["before"]["routers"][r["name"]] = {}
            continue
        cols = router_columns(r)
        if row is None:
            live[r["name"]] = writer.insert("Logical_Router", dict(cols, name=r["name"]))
            result["routers"]["created"].append(r["name"])
            if diff is not None:
                diff["after"]["routers"][r["name"]] = cols
            continue
        changes = column_changes(row, cols)
        if changes:
            writer.update(row, changes)
            result["routers"]["updated"].append(r["name"])
            if diff is not None:
                diff["before"]["routers"][r["name"]] = dict((c, getattr(row, c)) for c in changes)
                diff["after"]["routers"][r["name"]] = changes

    def router(name, what):
        if name not in live:
            raise ModuleFailure("%s: router %s does not exist" % (what, name))
        return live[name]

    declared = set(p["name"] for p in items["ports"] if p["state"] == "present")
    purge = []
    for r in items["routers"]:
        row = existing.get(r["name"])
        if r["state"] == "present" and r["purge_ports"] and row is not None:
            purge.extend(dict(name=p.name, state="absent") for p in row.ports if p.name not in declared)
    for p in items["ports"]:
        if p["state"] == "present":
            router(p["router"], "router port %s" % p["name"])
    created, updated, deleted = sync_named_children(
        writer, tables, child_table="Logical_Router_Port", parent_table="Logical_Router",
        parent_column="ports", parent_key="router", items=items["ports"] + purge, build=port_columns,
        extra_parents=dict((k, v) for k, v in live.items() if k not in existing),
        diff=dict(before=diff["before"]["ports"], after=diff["after"]["ports"]) if diff is not None else None,
        kind="router port")
    result["ports"] = dict(created=created, updated=updated, deleted=deleted)

    purge_flags = dict((r["name"], r) for r in items["routers"] if r["state"] == "present")
    for kind, column, table, key, build, flag in (
            ("static_routes", "static_routes", "Logical_Router_Static_Route", ROUTE_KEY, route_columns,
             "purge_static_routes"),
            ("nat", "nat", "NAT", NAT_KEY, nat_columns, "purge_nat")):
        per_router = {}
        for item in items[kind]:
            cols = build(item)
            per_router.setdefault(item["router"], {})[identity(cols, key)] = (
                item["state"], cols, "%s %s" % (item["router"], " ".join(str(cols[c]) for c in key)))
        for name, r in purge_flags.items():
            if r[flag]:
                per_router.setdefault(name, {})
        totals = [0, 0, 0]
        for name, desired in sorted(per_router.items()):
            if name not in live and all(state == "absent" for state, _c, _r in desired.values()):
                continue
            parent = router(name, kind.replace("_", " "))
            counts = sync_keyed_children(writer, parent, column=column, table=table, desired=desired,
                                         key_columns=key, purge=bool(purge_flags.get(name, {}).get(flag)),
                                         diff=diff, label=kind)
            totals = [a + b for a, b in zip(totals, counts)]
        result[kind] = dict(created=totals[0], updated=totals[1], deleted=totals[2])
    return result, writer.changes


def main():
    OvnLogicalRouter()()


if __name__ == "__main__":
    main()
