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
  - Asks each member of a clustered NB or SB database for its raft state through its control
    socket (C(ovs-appctl -t CTL cluster/status DB)) and summarises the cluster.
  - Members whose socket does not answer are reported as unreachable instead of failing, so the
    module can watch a failover; it fails only if no member answers.
version_added: 0.1.0
author:
  - CobaltCore for Ansible contributors (@c5c3)
options:
  ctl_sockets:
    description:
      - Absolute paths of the members' unixctl sockets (ovsdb-server C(--unixctl)).
    type: list
    elements: path
    required: true
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
  - Runs on the host of the members (the sockets are local), needs C(ovs-appctl).
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
  description: Raft address of the leader.
  returned: always
  type: str
  sample: tcp:10.0.0.11:6643
term:
  description: Highest raft term reported by a member.
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
  description: Per queried socket; C(reachable) false when it did not answer.
  returned: always
  type: list
  elements: dict
  sample: [{ctl: /var/run/ovn/nb1.ctl, reachable: true, role: leader, status: cluster member,
            server_id: 2a40, term: 3, leader: 2a40, index: 158, log: [2, 159]}]
"""

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.ovn import parse_cluster_status


class OvnClusterInfo(CobaltCoreModule):
    argument_spec = dict(
        ctl_sockets=dict(type="list", elements="path", required=True),
        database=dict(type="str", choices=["OVN_Northbound", "OVN_Southbound"], default="OVN_Northbound"),
        timeout=dict(type="int", default=5),
    )

    def run(self):
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


def main():
    OvnClusterInfo()()


if __name__ == "__main__":
    main()
