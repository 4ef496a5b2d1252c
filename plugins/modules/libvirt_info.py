#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: libvirt_info
short_description: Read versions, capabilities and instances of a libvirt hypervisor
version_added: "0.1.0"
description:
  - Connects to a libvirt daemon (domain capabilities need a read-write connection) and returns what the Hypervisor custom resource's status
    holds, in its field names (C(libVirtVersion), C(capabilities), C(domainCapabilities),
    C(instances), C(numInstances)), plus the host name and hypervisor version.
  - O(minimum_libvirt_version) turns the version check of onboarding into a clear failure.
author:
  - CobaltCore for Ansible maintainers (@c5c3)
extends_documentation_fragment:
  - c5c3.cobaltcore.libvirt
options:
  minimum_libvirt_version:
    description:
      - Fail when the daemon's libvirt is older than this (V(major.minor.release)).
    type: str
attributes:
  check_mode:
    description: Read-only module; runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
"""

EXAMPLES = r"""
- name: Read the facts of the local hypervisor
  c5c3.cobaltcore.libvirt_info:
    uri: qemu:///system
    minimum_libvirt_version: "8.0.0"
  register: hv

- name: Show how many guests run there
  ansible.builtin.debug:
    msg: "{{ hv.hypervisor.numInstances }} instances on {{ hv.hypervisor.hostname }}"
"""

RETURN = r"""
hypervisor:
  description: Facts read from libvirt, shaped like the Hypervisor custom resource's status.
  returned: always
  type: dict
  contains:
    hostname:
      description: Host name the daemon reports.
      type: str
      sample: compute-1
    uri:
      description: Canonical URI of the connection.
      type: str
      sample: qemu:///system
    libVirtVersion:
      description: libvirt version of the daemon.
      type: str
      sample: 9.0.0
    hypervisorDriver:
      description: libvirt driver name.
      type: str
      sample: QEMU
    hypervisorVersion:
      description: Version of the hypervisor (QEMU).
      type: str
      sample: 7.2.22
    capabilities:
      description: Host CPU architecture and model, CPU count, memory and guest types.
      type: dict
      sample: {cpuArch: x86_64, cpus: 2, memory: 24105Mi, memoryMb: 24105}
    domainCapabilities:
      description: Domain capabilities for KVM, or QEMU/TCG when the host has no KVM.
      type: dict
      sample: {hypervisorType: kvm, arch: x86_64, maxVcpus: 255}
    instances:
      description: Every domain with its UUID (id), name, whether it is active, state and size.
      type: list
      elements: dict
    numInstances:
      description: Number of domains.
      type: int
      sample: 3
    allocation:
      description: Memory (MiB) and vCPUs the running instances take.
      type: dict
      sample: {memoryMb: 96, cpus: 3}
    freeMemoryMb:
      description: Host memory (MiB) not taken by running instances.
      type: int
      sample: 10746
"""

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.libvirt_utils import (
    CONNECTION_ARGS, LIBVIRT_IMPORT_ERROR, connect, hypervisor_facts)


def _version_tuple(text):
    try:
        return tuple(int(p) for p in text.split("."))
    except ValueError:
        return None


class LibvirtInfo(CobaltCoreModule):
    argument_spec = dict(
        CONNECTION_ARGS,
        minimum_libvirt_version=dict(type="str"),
    )
    required_libraries = (("libvirt-python", LIBVIRT_IMPORT_ERROR),)

    def run(self):
        wanted = self.params["minimum_libvirt_version"]
        if wanted and _version_tuple(wanted) is None:
            self.fail("minimum_libvirt_version must look like 8.0.0, got %r" % wanted)
        conn = connect(self.params["uri"])
        try:
            facts = hypervisor_facts(conn)
        finally:
            conn.close()
        self.results["hypervisor"] = facts
        if wanted and _version_tuple(facts["libVirtVersion"]) < _version_tuple(wanted):
            self.fail("libvirt %s on %s is older than the required %s"
                      % (facts["libVirtVersion"], facts["hostname"], wanted), hypervisor=facts)


def main():
    LibvirtInfo()()


if __name__ == "__main__":
    main()
