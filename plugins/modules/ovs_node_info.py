#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ovs_node_info
short_description: Open vSwitch state of one host (versions, bridges, interfaces, bonds, ovn-controller)
description:
  - Reads the local Open_vSwitch database (its C(Open_vSwitch), C(Bridge), C(Port) and
    C(Interface) tables), asks ovs-vswitchd for its version and every bridge for its flow count,
    and asks ovn-controller whether it is connected to the Southbound database.
  - What it returns is what an C(OVSNode) status reports (design reference section 2.8); the
    playbook C(ovs_node.yml) publishes it.
  - Read-only. A daemon that does not answer is reported (C(vswitchd.running) false,
    C(ovn_controller.running) false), not a failure; the module fails only when the database
    cannot be read.
version_added: 0.1.0
author:
  - CobaltCore for Ansible contributors (@c5c3)
options:
  db:
    description:
      - The Open_vSwitch database, usually C(unix:RUNDIR/db.sock).
    type: str
    default: unix:/var/run/openvswitch/db.sock
  rundir:
    description:
      - OVS run directory (OVS_RUNDIR) - where ovs-vswitchd keeps its pidfile, control socket
        and the bridges' C(BRIDGE.mgmt) OpenFlow sockets.
    type: path
    default: /var/run/openvswitch
  ovn_rundir:
    description:
      - OVN run directory (OVN_RUNDIR) with C(ovn-controller.pid) and its control socket.
      - Defaults to O(rundir).
    type: path
  timeout:
    description: Seconds to wait for the database and for each daemon's answer.
    type: int
    default: 10
requirements:
  - ovsdbapp (with the C(ovs) Python library), C(ovs-appctl) and C(ovs-ofctl) on the host
"""

EXAMPLES = r"""
- name: Read what Open vSwitch does on this hypervisor
  c5c3.cobaltcore.ovs_node_info:
    db: unix:/var/run/openvswitch/db.sock
    rundir: /var/run/openvswitch
    ovn_rundir: /var/run/ovn
  register: ovs

- name: Fail when ovn-controller lost the Southbound database
  ansible.builtin.assert:
    that: ovs.ovn_controller.connected
"""

RETURN = r"""
ovs_version:
  description: Open vSwitch version (C(ovs_version) column, else ovs-vswitchd's own answer).
  returned: always
  type: str
  sample: 3.1.0
dpdk:
  description: Whether DPDK is initialised, and its version.
  returned: always
  type: dict
  sample: {enabled: false, version: ""}
external_ids:
  description: C(external_ids) of the Open_vSwitch row (system-id, ovn-remote, ovn-encap-*, ...).
  returned: always
  type: dict
vswitchd:
  description: Whether ovs-vswitchd answers on its control socket, and the answer to C(version).
  returned: always
  type: dict
  sample: {running: true, version: "ovs-vswitchd (Open vSwitch) 3.1.0"}
bridges:
  description:
    - One entry per bridge, sorted by name. C(flows) is null when the bridge's OpenFlow socket
      does not answer (ovs-vswitchd down); C(status) is C(ok), C(no-flows) or C(unreachable).
  returned: always
  type: list
  elements: dict
  sample: [{name: br-int, ports: 3, flows: 120, datapath_type: netdev, status: ok}]
physical_interfaces:
  description: Interfaces of type system or dpdk (NICs), with MAC, MTU, link state and speed.
  returned: always
  type: list
  elements: dict
  sample: [{name: eth1, mac: "52:54:00:12:34:56", mtu: 1500, link_state: up, speed_mbps: 10000}]
bonds:
  description: Ports with more than one interface.
  returned: always
  type: list
  elements: dict
  sample: [{name: bond0, mode: active-backup, status: up, members: [eth1, eth2], active_members: [eth1]}]
ovn_controller:
  description:
    - ovn-controller's state. C(connected) is its answer to C(connection-status);
      C(sb_connection) and C(chassis_id) come from the database (C(ovn-remote), C(system-id)).
  returned: always
  type: dict
  sample: {running: true, connected: true, sb_connection: "tcp:10.0.0.11:6642", chassis_id: hv1}
ovsnode_status:
  description:
    - The same, shaped like the status of an C(OVSNode) object (C(ovsVersion), C(dpdkEnabled),
      C(dpdkVersion), C(bridges), C(interfaces), C(ovnController)); unknown values are left out.
  returned: always
  type: dict
"""

import glob
import os
import re

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.ovn import (
    OVSDBAPP_IMPORT_ERROR, OvnDb,
)

TABLES = {
    "Open_vSwitch": ["ovs_version", "external_ids", "dpdk_initialized", "dpdk_version", "bridges"],
    "Bridge": ["name", "datapath_type", "ports"],
    "Port": ["name", "interfaces", "bond_mode"],
    "Interface": ["name", "type", "mac_in_use", "mtu", "link_state", "link_speed"],
}
PHYSICAL_TYPES = ("", "system", "dpdk")


def _one(value, default=None):
    """An optional (0..1) column as a plain value."""
    if isinstance(value, list):
        return value[0] if value else default
    return value if value is not None else default


def collect(tables):
    root = next(iter(tables.rows("Open_vSwitch")), None)
    info = dict(
        ovs_version=_one(getattr(root, "ovs_version", None), "") if root is not None else "",
        external_ids=dict(root.external_ids) if root is not None else {},
        dpdk=dict(enabled=bool(root is not None and root.dpdk_initialized),
                  # OVS writes "none" when it was built without DPDK
                  version=(_one(root.dpdk_version, "") if root is not None else "").replace("none", "")),
        bridges=[], physical_interfaces=[], bonds=[],
    )
    for bridge in sorted(tables.rows("Bridge"), key=lambda b: b.name):
        info["bridges"].append(dict(name=bridge.name, ports=len(bridge.ports),
                                    datapath_type=bridge.datapath_type or "system"))
    for port in sorted(tables.rows("Port"), key=lambda p: p.name):
        if len(port.interfaces) > 1:
            members = sorted(port.interfaces, key=lambda i: i.name)
            active = [i.name for i in members if _one(i.link_state) == "up"]
            info["bonds"].append(dict(
                name=port.name, mode=_one(port.bond_mode, "active-backup"),
                status="up" if active else "down",
                members=[i.name for i in members], active_members=active))
    for iface in sorted(tables.rows("Interface"), key=lambda i: i.name):
        if iface.type not in PHYSICAL_TYPES:
            continue
        speed = _one(iface.link_speed)
        info["physical_interfaces"].append(dict(
            name=iface.name, mac=_one(iface.mac_in_use, ""), mtu=_one(iface.mtu),
            link_state=_one(iface.link_state, "unknown"),
            speed_mbps=int(speed) // 1000000 if speed else None))
    return info


def _present(**fields):
    return dict((k, v) for k, v in fields.items() if v is not None)


def ovsnode_status(info):
    """``info`` in the shape of the OVSNode CRD's status (camelCase, no nulls)."""
    return dict(
        ovsVersion=info["ovs_version"],
        dpdkEnabled=info["dpdk"]["enabled"],
        dpdkVersion=info["dpdk"]["version"],
        bridges=[_present(name=b["name"], ports=b["ports"], flows=b["flows"],
                          datapathType=b["datapath_type"] if b["datapath_type"] in ("system", "netdev") else None,
                          status=b["status"]) for b in info["bridges"]],
        interfaces=dict(
            physical=[_present(name=i["name"], mac=i["mac"] or None, mtu=i["mtu"],
                               linkState=i["link_state"] if i["link_state"] in ("up", "down") else "unknown",
                               speedMbps=i["speed_mbps"]) for i in info["physical_interfaces"]],
            bonds=[_present(name=b["name"],
                            mode=b["mode"] if b["mode"] in ("active-backup", "balance-slb", "balance-tcp") else None,
                            status=b["status"], members=b["members"], activeMembers=b["active_members"])
                   for b in info["bonds"]]),
        ovnController=dict(connected=info["ovn_controller"]["connected"],
                           sbConnection=info["ovn_controller"]["sb_connection"],
                           chassisId=info["ovn_controller"]["chassis_id"]),
    )


class OvsNodeInfo(CobaltCoreModule):
    argument_spec = dict(
        db=dict(type="str", default="unix:/var/run/openvswitch/db.sock"),
        rundir=dict(type="path", default="/var/run/openvswitch"),
        ovn_rundir=dict(type="path"),
        timeout=dict(type="int", default=10),
    )
    required_libraries = (("ovsdbapp", OVSDBAPP_IMPORT_ERROR),)

    def run(self):
        timeout = self.params["timeout"]
        with OvnDb(remotes=[self.params["db"]], schema="Open_vSwitch", tables=TABLES, timeout=timeout,
                   retries=0, leader_only=False) as db:
            info = db.read(lambda tables, writer: collect(tables))
        rundir = self.params["rundir"]
        appctl = self.module.get_bin_path("ovs-appctl", required=True)
        ofctl = self.module.get_bin_path("ovs-ofctl", required=True)

        answer = self._appctl(appctl, self._ctl(rundir, "ovs-vswitchd"), "version")
        info["vswitchd"] = dict(running=answer is not None, version=(answer or "").strip())
        if not info["ovs_version"] and answer:
            match = re.search(r"\(Open vSwitch\) (\S+)", answer)
            info["ovs_version"] = match.group(1) if match else ""

        for bridge in info["bridges"]:
            bridge["flows"] = None
            bridge["status"] = "unreachable"
            if not info["vswitchd"]["running"]:
                continue
            rc, out, _err = self.module.run_command(
                [ofctl, "--timeout=%d" % timeout, "dump-aggregate",
                 "unix:%s" % os.path.join(rundir, "%s.mgmt" % bridge["name"])])
            match = re.search(r"flow_count=(\d+)", out) if rc == 0 else None
            if match:
                bridge["flows"] = int(match.group(1))
                bridge["status"] = "ok" if bridge["flows"] else "no-flows"

        ovn_rundir = self.params["ovn_rundir"] or rundir
        ids = info["external_ids"]
        status = self._appctl(appctl, self._ctl(ovn_rundir, "ovn-controller"), "connection-status")
        info["ovn_controller"] = dict(
            running=status is not None,
            connected=(status or "").strip() == "connected",
            sb_connection=ids.get("ovn-remote", ""),
            chassis_id=ids.get("system-id", ""),
        )
        info["ovsnode_status"] = ovsnode_status(info)
        self.results.update(info)

    def _ctl(self, rundir, daemon):
        """The daemon's control socket: DAEMON.ctl (an explicit --unixctl) or DAEMON.PID.ctl."""
        fixed = os.path.join(rundir, "%s.ctl" % daemon)
        if os.path.exists(fixed):
            return fixed
        try:
            with open(os.path.join(rundir, "%s.pid" % daemon)) as pidfile:
                return os.path.join(rundir, "%s.%s.ctl" % (daemon, pidfile.read().strip()))
        except (IOError, OSError):
            pass
        # The pidfile lives elsewhere: the socket of a daemon that is still alive.
        for ctl in sorted(glob.glob(os.path.join(rundir, "%s.*.ctl" % daemon))):
            pid = ctl.rsplit(".", 2)[-2]
            if pid.isdigit() and os.path.exists("/proc/%s" % pid):
                return ctl
        return None

    def _appctl(self, appctl, ctl, command):
        if ctl is None or not os.path.exists(ctl):
            return None
        rc, out, _err = self.module.run_command(
            [appctl, "-t", ctl, "--timeout=%d" % self.params["timeout"], command])
        return out if rc == 0 else None


def main():
    OvsNodeInfo()()


if __name__ == "__main__":
    main()
