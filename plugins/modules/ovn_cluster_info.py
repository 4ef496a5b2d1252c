#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovn_cluster_info
short_description: Raft state of a clustered OVN database (role, leader, members, term, index)
description:
  - Asks each member of a clustered NB or SB database for its raft state and summarises the
    cluster, either through the members' control sockets (O(ctl_sockets),
    C(ovs-appctl -t CTL cluster/status DB)) on the members' host, or over the network through
    their OVSDB remotes (O(db)), from each server's C(_Server) database - what a controller
    outside the members' hosts (the operator, for pods) can do.
  - Over O(db) the raft term and the full membership list are not available (C(_Server) does not
    publish them); C(term) is then null and C(servers) lists the members that answered.
  - Members that do not answer are reported as unreachable instead of failing, so the module can
    watch a failover; it fails only if no member answers.
version_added: 0.1.0
author:
  - CobaltCore for Ansible contributors (@c5c3)
options:
  ctl_sockets:
    description:
      - Absolute paths of the members' unixctl sockets (ovsdb-server C(--unixctl)).
      - Exactly one of O(ctl_sockets) and O(db) is required.
    type: list
    elements: path
  db:
    description:
      - OVSDB remotes of every member, C(tcp:HOST:PORT), C(ssl:HOST:PORT) or C(unix:PATH) - one
        per member (not a load-balanced Service, as each answer is about the server that gives it).
    type: list
    elements: str
  ssl_private_key:
    description: Private key (PEM, unencrypted) for C(ssl:) remotes in O(db).
    type: path
  ssl_certificate:
    description: Client certificate for C(ssl:) remotes in O(db).
    type: path
  ssl_ca_cert:
    description: CA certificate that signed the servers' certificates, for C(ssl:) remotes in O(db).
    type: path
  database:
    description: Database name.
    type: str
    choices: [OVN_Northbound, OVN_Southbound]
    default: OVN_Northbound
  timeout:
    description: Seconds to wait for each member's answer.
    type: int
    default: 5
notes:
  - With O(ctl_sockets) it runs on the host of the members (the sockets are local) and needs
    C(ovs-appctl); with O(db) it only needs to reach the remotes.
"""

EXAMPLES = r"""
- name: Show who leads the NB cluster
  c5c3.cobaltcore.ovn_cluster_info:
    ctl_sockets: [/var/run/ovn/nb1.ctl, /var/run/ovn/nb2.ctl, /var/run/ovn/nb3.ctl]
    database: OVN_Northbound
  register: nb
- name: Fail unless there is a leader and three members
  ansible.builtin.assert:
    that: [nb.leader is not none, nb.servers | length == 3]

- name: The same from anywhere, over the members' OVSDB remotes (no term)
  c5c3.cobaltcore.ovn_cluster_info:
    db: [tcp:10.0.0.11:6641, tcp:10.0.0.12:6641, tcp:10.0.0.13:6641]
    database: OVN_Northbound
  register: nb
"""

RETURN = r"""
cluster_id:
  description: Short cluster id.
  returned: when a member answered
  type: str
  sample: "3195"
leader:
  description: Short server id of the leader (null while an election runs).
  returned: always
  type: str
  sample: 2a40
leader_address:
  description: Raft address of the leader (with O(db), its remote as given).
  returned: always
  type: str
  sample: tcp:10.0.0.11:6643
term:
  description: Highest raft term reported by a member (null with O(db)).
  returned: always
  type: int
  sample: 3
index:
  description: Index of the last raft log entry on the leader (or the highest one seen).
  returned: always
  type: int
  sample: 158
servers:
  description: Cluster membership as the members report it.
  returned: always
  type: list
  elements: dict
  sample: [{id: 2a40, address: "tcp:10.0.0.11:6643"}]
members:
  description:
    - Per queried socket (C(ctl)) or remote (C(remote)); C(reachable) false when it did not answer.
    - With O(db), C(connected) tells whether the member is connected to its cluster (it has a
      leader); C(role) is C(leader), C(follower) or C(disconnected).
  returned: always
  type: list
  elements: dict
  sample: [{ctl: /var/run/ovn/nb1.ctl, reachable: true, role: leader, status: cluster member,
            server_id: 2a40, term: 3, leader: 2a40, index: 158, log: [2, 159]}]
"""

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.ovn import (
    parse_cluster_status, server_status, ssl_context,
)


class OvnClusterInfo(CobaltCoreModule):
    argument_spec = dict(
        ctl_sockets=dict(type="list", elements="path"),
        db=dict(type="list", elements="str"),
        ssl_private_key=dict(type="path"),
        ssl_certificate=dict(type="path"),
        ssl_ca_cert=dict(type="path"),
        database=dict(type="str", choices=["OVN_Northbound", "OVN_Southbound"], default="OVN_Northbound"),
        timeout=dict(type="int", default=5),
    )
    module_kwargs = dict(mutually_exclusive=[("ctl_sockets", "db")],
                         required_one_of=[("ctl_sockets", "db")])

    def run(self):
        if self.params["db"] is not None:
            return self.run_remotes()
        appctl = self.module.get_bin_path("ovs-appctl", required=True)
        members = []
        for ctl in self.params["ctl_sockets"]:
            rc, out, err = self.module.run_command(
                [appctl, "-t", ctl, "--timeout=%d" % self.params["timeout"], "cluster/status",
                 self.params["database"]])
            if rc != 0:
                members.append(dict(ctl=ctl, reachable=False, error=(err or out).strip()))
                continue
            info = parse_cluster_status(out)
            members.append(dict(info, ctl=ctl, reachable=True))
        answered = [m for m in members if m["reachable"]]
        if not answered:
            self.fail("no member of the %s cluster answered" % self.params["database"], members=members)
        leaders = [m for m in answered if m.get("role") == "leader"]
        source = leaders[0] if leaders else answered[0]
        leader = source.get("leader") if source.get("leader") not in (None, "unknown") else None
        servers = [dict(id=s["id"], address=s["address"]) for s in source.get("servers", [])]
        self.results.update(
            cluster_id=source.get("cluster_id"),
            leader=leader,
            leader_address=next((s["address"] for s in servers if s["id"] == leader), None),
            term=max(m.get("term", 0) for m in answered),
            index=source.get("index") if leaders else max(m.get("index", 0) for m in answered),
            servers=servers,
            members=members,
        )

    def run_remotes(self):
        remotes = [r.strip() for item in self.params["db"] for r in item.split(",") if r.strip()]
        if not remotes:
            self.fail("db: no remote given")
        ctx = None
        if any(r.startswith("ssl:") for r in remotes):
            ctx = ssl_context(self.params["ssl_private_key"], self.params["ssl_certificate"],
                              self.params["ssl_ca_cert"])
        members = []
        for remote in remotes:
            info = server_status(remote, self.params["database"], float(self.params["timeout"]), ctx)
            member = dict(info, remote=remote)
            # "leader" is the leader's id in the ctl_sockets form; here: is this member the leader
            member["is_leader"] = member.pop("leader", False)
            if info.get("reachable") and info.get("model") is not None:
                member["role"] = ("leader" if member["is_leader"] else "follower") if info["connected"] else "disconnected"
                member["status"] = "cluster member" if info["connected"] else "disconnected"
            elif info.get("reachable"):
                member["reachable"] = False  # it answers, but does not serve this database
            members.append(member)
        answered = [m for m in members if m["reachable"]]
        if not answered:
            self.fail("no member of the %s cluster answered: %s" % (self.params["database"], "; ".join(
                "%s (%s)" % (m["remote"], m.get("error")) for m in members)), members=members)
        leaders = [m for m in answered if m.get("role") == "leader"]
        source = leaders[0] if leaders else answered[0]
        self.results.update(
            cluster_id=source.get("cluster_id"),
            leader=source["server_id"] if leaders else None,
            leader_address=source["remote"] if leaders else None,
            term=None,
            index=source.get("index") if leaders else max(m.get("index") or 0 for m in answered),
            servers=[dict(id=m["server_id"], address=m["remote"]) for m in answered if m.get("connected")],
            members=members,
        )


def main():
    OvnClusterInfo()()


if __name__ == "__main__":
    main()
