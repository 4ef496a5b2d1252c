#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ceph_pool
short_description: Create, tune and delete replicated Ceph pools
version_added: "0.1.0"
description:
  - Ensures a replicated RADOS pool exists with the given replica counts, placement-group
    settings, application tag and quotas, or deletes it.
  - Only the settings that are given are managed; everything else is left as the cluster has it.
  - Deleting a pool destroys its data, so O(state=absent) also needs O(confirm_delete) set to the
    pool's name. Without it the module fails before it contacts the cluster.
author:
  - CobaltCore for Ansible contributors (@c5c3)
extends_documentation_fragment:
  - c5c3.cobaltcore.ceph
options:
  name:
    description: Name of the pool.
    type: str
    required: true
  state:
    description: Whether the pool should exist.
    type: str
    choices: [present, absent]
    default: present
  pg_num:
    description:
      - Placement groups of the pool. Given at creation, and applied to an existing pool when it
        differs (Ceph then splits or merges placement groups gradually; the target is compared).
      - Leave it unset when the PG autoscaler manages the pool.
    type: int
  pgp_num:
    description: Placement groups used for placement; at most O(pg_num). Defaults to O(pg_num) on creation.
    type: int
  pg_autoscale_mode:
    description: PG autoscaler mode of the pool.
    type: str
    choices: ["on", "off", "warn"]
  size:
    description:
      - Number of replicas. C(1) (no redundancy, for labs) is passed to Ceph with its
        C(--yes-i-really-mean-it) confirmation, since asking for it here is explicit.
    type: int
  min_size:
    description: Replicas that must be available for I/O; at most O(size).
    type: int
  application:
    description:
      - Application tag to enable on the pool, for example C(rbd), C(rgw) or C(cephfs).
      - Other applications already enabled on the pool are left enabled.
    type: str
  quota_max_bytes:
    description: Byte quota of the pool; C(0) removes the quota.
    type: int
  quota_max_objects:
    description: Object quota of the pool; C(0) removes the quota.
    type: int
  confirm_delete:
    description:
      - Must equal O(name) for O(state=absent), as a guard against deleting the wrong pool or
        deleting by accident. The cluster must also allow pool deletion (C(mon_allow_pool_delete)).
    type: str
notes:
  - Only replicated pools are managed; erasure-coded pools are out of scope.
attributes:
  check_mode:
    support: full
    description: Reports what would change without changing it.
  diff_mode:
    support: full
    description: Shows what changes (never secret material).
"""

EXAMPLES = r"""
- name: Pool for Glance images
  c5c3.cobaltcore.ceph_pool:
    name: images
    pg_num: 32
    size: 3
    min_size: 2
    application: rbd
    quota_max_bytes: 1099511627776

- name: Delete a scratch pool (needs the name twice, on purpose)
  c5c3.cobaltcore.ceph_pool:
    name: scratch
    state: absent
    confirm_delete: scratch
"""

RETURN = r"""
pool:
  description: The pool after the task (what it would be in check mode); empty when absent.
  returned: always
  type: dict
  sample:
    name: images
    id: 2
    size: 3
    min_size: 2
    pg_num: 32
    pgp_num: 32
    pg_autoscale_mode: "off"
    applications: [rbd]
    quota_max_bytes: 0
    quota_max_objects: 0
"""

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.ceph import (
    CephModule,
    CEPH_CONNECTION_ARGS,
    POOL_RE,
    CephError,
    pools,
)

# Settings applied with `ceph osd pool set`, in the order that keeps each step valid
# (replicas before min_size, pg_num before pgp_num).
POOL_SETTINGS = ("size", "min_size", "pg_num", "pgp_num", "pg_autoscale_mode")
QUOTAS = ("quota_max_bytes", "quota_max_objects")


class CephPool(CephModule):
    argument_spec = dict(
        CEPH_CONNECTION_ARGS,
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        pg_num=dict(type="int"),
        pgp_num=dict(type="int"),
        pg_autoscale_mode=dict(type="str", choices=["on", "off", "warn"]),
        size=dict(type="int"),
        min_size=dict(type="int"),
        application=dict(type="str"),
        quota_max_bytes=dict(type="int"),
        quota_max_objects=dict(type="int"),
        confirm_delete=dict(type="str"),
    )

    def validate(self):
        p = self.params
        if not POOL_RE.match(p["name"]):
            self.fail("pool name %r may only contain letters, digits, '.', '_' and '-'" % p["name"])
        if p["state"] == "absent":
            if p["confirm_delete"] != p["name"]:
                self.fail("refusing to delete pool %s: deleting a pool destroys its data; set "
                          "confirm_delete: %s to confirm" % (p["name"], p["name"]))
            return
        for opt in ("pg_num", "pgp_num", "size", "min_size"):
            if p[opt] is not None and p[opt] < 1:
                self.fail("%s must be at least 1" % opt)
        for opt in QUOTAS:
            if p[opt] is not None and p[opt] < 0:
                self.fail("%s must not be negative" % opt)
        if p["pg_num"] is not None and p["pgp_num"] is not None and p["pgp_num"] > p["pg_num"]:
            self.fail("pgp_num (%d) must not exceed pg_num (%d)" % (p["pgp_num"], p["pg_num"]))
        if p["size"] is not None and p["min_size"] is not None and p["min_size"] > p["size"]:
            self.fail("min_size (%d) must not exceed size (%d)" % (p["min_size"], p["size"]))

    def run(self):
        self.validate()
        p = self.params
        cli = self.connect()
        try:
            before = pools(cli).get(p["name"])
            if p["state"] == "absent":
                after = self.absent(cli, before)
            else:
                after = self.present(cli, before)
        except CephError as exc:
            self.ceph_failed("ceph_pool %s" % p["name"], exc)
        self.results["pool"] = after or {}
        self.diff["before"] = before or {}
        self.diff["after"] = after or {}

    def absent(self, cli, before):
        if before is None:
            return None
        self.changed = True
        if not self.check_mode:
            try:
                cli.ceph("osd", "pool", "delete", before["name"], before["name"], "--yes-i-really-really-mean-it")
            except CephError as exc:
                if exc.rc == 1:  # EPERM: the monitors forbid deleting pools
                    self.fail("the cluster refuses to delete pool %s (mon_allow_pool_delete is false): %s"
                              % (before["name"], exc.stderr), rc=exc.rc)
                raise
        return None

    def present(self, cli, before):
        p = self.params
        name = p["name"]
        current = before
        if before is None:
            self.changed = True
            if self.check_mode:
                return self.predicted(None)
            create = ["osd", "pool", "create", name]
            if p["pg_num"] is not None:
                create += [str(p["pg_num"]), str(p["pgp_num"] or p["pg_num"])]
            cli.ceph(*(create + ["replicated"]))
            # Compare the rest with what the cluster's defaults gave the new pool.
            current = pools(cli)[name]
        steps = self.steps(current)
        if not steps:
            return current
        self.changed = True
        if self.check_mode:
            return self.predicted(before)
        for step in steps:
            cli.ceph(*step)
        return pools(cli).get(name)

    def steps(self, current):
        p = self.params
        name = p["name"]
        steps = []
        for opt in POOL_SETTINGS:
            if p[opt] is not None and current.get(opt) != p[opt]:
                step = ["osd", "pool", "set", name, opt, str(p[opt])]
                if opt == "size" and p[opt] == 1:
                    # Ceph asks for confirmation of a single replica; size: 1 is that confirmation.
                    step.append("--yes-i-really-mean-it")
                steps.append(step)
        for opt in QUOTAS:
            if p[opt] is not None and current.get(opt, 0) != p[opt]:
                steps.append(["osd", "pool", "set-quota", name, opt[len("quota_"):], str(p[opt])])
        if p["application"] and p["application"] not in current.get("applications", []):
            steps.append(["osd", "pool", "application", "enable", name, p["application"]])
        return steps

    def predicted(self, before):
        p = self.params
        after = dict(before or {"name": p["name"], "applications": [], "quota_max_bytes": 0,
                                "quota_max_objects": 0})
        for opt in POOL_SETTINGS + QUOTAS:
            if p[opt] is not None:
                after[opt] = p[opt]
        if before is None and p["pg_num"] is not None and p["pgp_num"] is None:
            after["pgp_num"] = p["pg_num"]
        if p["application"] and p["application"] not in after["applications"]:
            after["applications"] = sorted(after["applications"] + [p["application"]])
        return after


def main():
    CephPool()()


if __name__ == "__main__":
    main()
