# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options shared by the c5c3.cobaltcore.ovn_* modules (OVN_CONNECTION_ARGS).
    DOCUMENTATION = r"""
options:
  db:
    description:
      - OVSDB remotes of the database, C(unix:PATH), C(tcp:HOST:PORT) or C(ssl:HOST:PORT).
      - For a raft cluster list every member; writes go to the leader (see O(leader_only)) and
        the connection follows the leader when it changes.
      - A comma-separated string is accepted as well as a list.
    type: list
    elements: str
    required: true
  timeout:
    description:
      - Seconds to wait for the connection and for each transaction attempt.
    type: float
    default: 30.0
  retries:
    description:
      - How many times a transaction is re-planned and retried after a timeout or a lost
        connection (e.g. a raft leader change). Each attempt re-reads the database first, so a
        commit whose outcome was unknown is never applied twice.
    type: int
    default: 3
  leader_only:
    description:
      - Only talk to the raft leader. Keep it on for writes.
    type: bool
    default: true
  ssl_private_key:
    description: Private key (PEM, unencrypted) of O(ssl_certificate), for C(ssl:) remotes.
    type: path
  ssl_certificate:
    description: Client certificate for C(ssl:) remotes; signed by the CA the servers trust.
    type: path
  ssl_ca_cert:
    description: CA certificate that signed the servers' certificates, for C(ssl:) remotes.
    type: path
requirements:
  - ovsdbapp (with the C(ovs) Python library) on the host that runs the module
"""
