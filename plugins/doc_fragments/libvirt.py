# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The connection options of every c5c3.cobaltcore.libvirt_* module.
    DOCUMENTATION = r"""
options:
  uri:
    description:
      - libvirt connection URI of the hypervisor.
      - V(qemu:///system) is the local privileged daemon; V(qemu+tcp://host:16509/system) and
        V(qemu+tls://host:16514/system) reach a remote one (TLS certificates come from libvirt's
        default PKI paths or a C(?pkipath=/dir) parameter); V(qemu+unix:///system?socket=/path)
        uses a daemon on a non-default socket; V(test:///default) is libvirt's in-process test
        driver.
      - The URI is checked before connecting; an unreachable or refusing daemon fails the task
        with the URI and libvirt's reason, and nothing is changed.
    type: str
    default: qemu:///system
requirements:
  - libvirt-python
"""
