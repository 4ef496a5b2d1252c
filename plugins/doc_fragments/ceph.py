# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options shared by the c5c3.cobaltcore.ceph_* modules (CEPH_CONNECTION_ARGS).
    DOCUMENTATION = r"""
options:
  cluster_conf:
    description:
      - Path of the cluster's C(ceph.conf) on the host that runs the module; it names the
        monitors (C(mon host)) and the cluster's fsid.
    type: path
    default: /etc/ceph/ceph.conf
  keyring:
    description:
      - Keyring file holding the key of O(client_name). Without it Ceph's default search applies
        (the C(keyring) setting of O(cluster_conf), then C(/etc/ceph/ceph.<name>.keyring)).
    type: path
  client_name:
    description:
      - cephx entity the module authenticates as, for example C(client.admin). It needs the caps
        of what the module does (C(allow *) on mon for pools and keys, C(profile rbd) for images).
    type: str
    default: client.admin
  timeout:
    description:
      - Seconds to wait for the monitors and for each operation before failing.
    type: int
    default: 30
requirements:
  - the C(ceph) and C(rbd) command-line tools (Debian/Ubuntu package C(ceph-common)) on the host
    that runs the module
"""
