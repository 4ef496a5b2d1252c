#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ceph_info
short_description: Health, identity, monitors and pools of a Ceph cluster
version_added: "0.1.0"
description:
  - Reads the cluster's health, fsid, monitors (with the C(mon host) string clients need), OSD
    counts, pools and version. Changes nothing.
author:
  - CobaltCore for Ansible contributors (@c5c3)
extends_documentation_fragment:
  - c5c3.cobaltcore.ceph
attributes:
  check_mode:
    support: full
    description: Read-only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is no diff.
"""

EXAMPLES = r"""
- name: Read the cluster
  c5c3.cobaltcore.ceph_info:
    cluster_conf: /etc/ceph/ceph.conf
  register: ceph

- name: Require a healthy cluster
  ansible.builtin.assert:
    that: ceph.health.status == 'HEALTH_OK'
"""

RETURN = r"""
fsid:
  description: Cluster id.
  returned: always
  type: str
health:
  description: Overall status and the active health checks (name to summary message).
  returned: always
  type: dict
  sample: {status: HEALTH_WARN, checks: {POOL_APP_NOT_ENABLED: 1 pool(s) do not have an application enabled}}
mons:
  description: Monitors with their addresses.
  returned: always
  type: list
  elements: dict
  sample: [{name: a, rank: 0, addrs: ["v2:10.0.0.1:3300", "v1:10.0.0.1:6789"]}]
mon_host:
  description: Value for C(mon host) in a client's ceph.conf.
  returned: always
  type: str
  sample: "[v2:10.0.0.1:3300,v1:10.0.0.1:6789]"
mon_addrs:
  description: Comma-separated C(ip:port) (msgr1) of the monitors, the form CSI-style consumers take.
  returned: always
  type: str
  sample: "10.0.0.1:6789"
quorum_names:
  description: Monitors in quorum.
  returned: always
  type: list
  elements: str
osd:
  description: OSD counts.
  returned: always
  type: dict
  sample: {num_osds: 3, num_up_osds: 3, num_in_osds: 3}
pools:
  description: Names of the pools.
  returned: always
  type: list
  elements: str
version:
  description: Version string of the C(ceph) tool's cluster (the monitors' release).
  returned: always
  type: str
"""

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.ceph import (
    CephModule,
    CEPH_CONNECTION_ARGS,
    CephError,
    monitors,
)


class CephInfo(CephModule):
    argument_spec = dict(CEPH_CONNECTION_ARGS)

    def run(self):
        cli = self.connect()
        try:
            status = cli.ceph("status")
            mons = monitors(cli)
            pool_names = [p["poolname"] for p in cli.ceph("osd", "lspools") or []]
            versions = cli.ceph("versions") or {}
        except CephError as exc:
            self.ceph_failed("ceph_info", exc)
        health = status.get("health", {})
        osdmap = status.get("osdmap", {})
        osdmap = osdmap.get("osdmap", osdmap)  # nested before Pacific
        self.results.update(
            fsid=status.get("fsid") or mons["fsid"],
            health={
                "status": health.get("status"),
                "checks": dict((name, (check.get("summary") or {}).get("message", ""))
                               for name, check in (health.get("checks") or {}).items()),
            },
            mons=mons["mons"],
            mon_host=mons["mon_host"],
            mon_addrs=mons["mon_addrs"],
            quorum_names=status.get("quorum_names", []),
            osd=dict((k, osdmap.get(k, 0)) for k in ("num_osds", "num_up_osds", "num_in_osds")),
            pools=pool_names,
            version=" ".join(sorted((versions.get("mon") or {}).keys())),
        )


def main():
    CephInfo()()


if __name__ == "__main__":
    main()
