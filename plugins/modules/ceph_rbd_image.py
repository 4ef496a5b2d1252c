#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ceph_rbd_image
short_description: Create, resize and delete RBD images
version_added: "0.1.0"
description:
  - Ensures an RBD image exists in a pool with the given size, or removes it.
  - Growing an image is done in place. Shrinking cuts off data at the end of the image and is
    refused unless O(allow_shrink=true); the module fails before it changes anything.
author:
  - CobaltCore for Ansible contributors (@c5c3)
extends_documentation_fragment:
  - c5c3.cobaltcore.ceph
options:
  pool:
    description: Pool of the image.
    type: str
    required: true
  name:
    description: Name of the image.
    type: str
    required: true
  state:
    description: Whether the image should exist.
    type: str
    choices: [present, absent]
    default: present
  size:
    description:
      - Size of the image with a binary unit, for example C(512M), C(10G) or C(1T); a plain
        number is MiB, as for the C(rbd) tool. Must be a whole number of 512-byte sectors.
      - Required to create an image; when given for an existing image it is resized.
    type: str
  allow_shrink:
    description: Allow making an existing image smaller (data beyond the new size is lost).
    type: bool
    default: false
  features:
    description:
      - Image features for a new image (for example C(layering), C(exclusive-lock)); without
        it the cluster's default features apply. Not changed on existing images.
    type: list
    elements: str
attributes:
  check_mode:
    support: full
    description: Reports what would change without changing it.
  diff_mode:
    support: full
    description: Shows what changes (never secret material).
"""

EXAMPLES = r"""
- name: A 10 GiB volume image
  c5c3.cobaltcore.ceph_rbd_image:
    pool: volumes
    name: volume-0001
    size: 10G
    client_name: client.cinder
    keyring: /etc/ceph/ceph.client.cinder.keyring

- name: Remove it
  c5c3.cobaltcore.ceph_rbd_image:
    pool: volumes
    name: volume-0001
    state: absent
"""

RETURN = r"""
image:
  description: The image after the task (predicted in check mode); empty when absent.
  returned: always
  type: dict
  sample: {pool: volumes, name: volume-0001, size: 10737418240, id: 5e5e201430a5, format: 2,
           features: [layering, exclusive-lock, object-map, fast-diff, deep-flatten]}
"""

from ansible.module_utils.common.text.formatters import human_to_bytes

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.ceph import (
    CephModule,
    CEPH_CONNECTION_ARGS,
    ENOENT,
    POOL_RE,
    CephError,
)


class CephRbdImage(CephModule):
    argument_spec = dict(
        CEPH_CONNECTION_ARGS,
        pool=dict(type="str", required=True),
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        size=dict(type="str"),
        allow_shrink=dict(type="bool", default=False),
        features=dict(type="list", elements="str"),
    )

    def size_bytes(self):
        size = self.params["size"]
        if size is None:
            return None
        try:
            value = human_to_bytes(size.strip(), default_unit="M")
        except ValueError as exc:
            self.fail("size %r: %s" % (size, exc))
        if value <= 0 or value % 512:
            self.fail("size %r must be positive and a multiple of 512 bytes" % size)
        return value

    def run(self):
        p = self.params
        for opt in ("pool", "name"):
            if not POOL_RE.match(p[opt]):
                self.fail("%s %r may only contain letters, digits, '.', '_' and '-'" % (opt, p[opt]))
        size = self.size_bytes()
        spec = "%s/%s" % (p["pool"], p["name"])
        cli = self.connect()
        try:
            before = self.info(cli, spec)
            if p["state"] == "absent":
                after = None
                if before:
                    self.changed = True
                    if not self.check_mode:
                        cli.rbd_plain("rm", spec)
            else:
                after = self.present(cli, spec, before, size)
        except CephError as exc:
            self.ceph_failed("ceph_rbd_image %s" % spec, exc)
        self.results["image"] = after or {}
        self.diff["before"] = self.view(before)
        self.diff["after"] = self.view(after)

    def present(self, cli, spec, before, size):
        p = self.params
        if before is None:
            if size is None:
                self.fail("size is required to create image %s" % spec)
            self.changed = True
            if self.check_mode:
                return {"pool": p["pool"], "name": p["name"], "size": size, "features": sorted(p["features"] or [])}
            args = ["create", "--size", "%dB" % size]
            for feature in p["features"] or []:
                args += ["--image-feature", feature]
            cli.rbd_plain(*(args + [spec]))
            return self.info(cli, spec)
        if size is None or size == before["size"]:
            return before
        if size < before["size"] and not p["allow_shrink"]:
            self.fail("refusing to shrink image %s from %d to %d bytes: data past the new end is lost; "
                      "set allow_shrink: true to do it" % (spec, before["size"], size))
        self.changed = True
        if self.check_mode:
            return dict(before, size=size)
        args = ["resize", "--size", "%dB" % size] + (["--allow-shrink"] if size < before["size"] else [])
        cli.rbd_plain(*(args + [spec]))
        return self.info(cli, spec)

    def info(self, cli, spec):
        raw = cli.rbd("info", spec, ok_rcs=(ENOENT,))
        if raw is None:
            return None
        return {"pool": self.params["pool"], "name": raw["name"], "size": raw["size"], "id": raw.get("id"),
                "format": raw.get("format"), "features": sorted(raw.get("features") or [])}

    @staticmethod
    def view(image):
        return {"name": image["name"], "size": image["size"]} if image else {}


def main():
    CephRbdImage()()


if __name__ == "__main__":
    main()
