#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: libvirt_secret
short_description: Define libvirt secrets and set their values, e.g. the Ceph key Nova uses for RBD
version_added: "0.1.0"
description:
  - Defines a libvirt secret (by UUID and usage), sets its value and removes it.
  - The value is compared with the stored one inside the module; it is never returned, logged or
    shown in a diff, only whether it changed. A re-run with the same value reports no change.
  - A secret defined V(private) cannot be read back through the API, so its value can only be
    compared when it is not private; for a private secret the value is written when the secret is
    created or when O(update_private_value) is set.
author:
  - CobaltCore for Ansible maintainers (@c5c3)
extends_documentation_fragment:
  - c5c3.cobaltcore.libvirt
options:
  uuid:
    description:
      - UUID of the secret. Nova's C([libvirt] rbd_secret_uuid) must be this UUID.
      - Without it, the secret is found by O(usage_type) and O(usage_name) (and gets a random UUID
        when created).
    type: str
  usage_type:
    description:
      - What the secret is for.
    type: str
    choices: [ceph, volume, iscsi, tls, vtpm]
    default: ceph
  usage_name:
    description:
      - The usage's name (for V(ceph) a free text such as C(client.nova secret); for V(volume) the
        volume path; for V(iscsi) the target). Required to create a secret.
    type: str
  description:
    description:
      - Human-readable description stored with the secret.
    type: str
  value:
    description:
      - The secret value. Required for O(state=present).
    type: str
  value_encoding:
    description:
      - V(base64) when O(value) is base64 of the bytes to store (a Ceph key as C(ceph auth get-key)
        prints it, like C(virsh secret-set-value)); V(raw) to store the text itself.
    type: str
    choices: [base64, raw]
    default: base64
  private:
    description:
      - Whether libvirt refuses to reveal the value to clients.
    type: bool
    default: false
  update_private_value:
    description:
      - For a private secret that already exists, write O(value) anyway (always reports a change).
    type: bool
    default: false
  state:
    description:
      - V(present) defines the secret and sets its value; V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    description: Reports whether the secret would be defined, get a new value or be removed; changes nothing.
    support: full
  diff_mode:
    description: Shows the secret's identity before and after and whether the value changes, never the value.
    support: full
"""

EXAMPLES = r"""
- name: The Ceph key Nova's libvirt uses for RBD volumes
  c5c3.cobaltcore.libvirt_secret:
    uri: qemu:///system
    uuid: 5a1ff2c4-5b64-4d39-9a8b-2c1bb8a4a0f1
    usage_type: ceph
    usage_name: client.nova secret
    value: "{{ ceph_nova_key }}"
  no_log: true

- name: Remove it
  c5c3.cobaltcore.libvirt_secret:
    uuid: 5a1ff2c4-5b64-4d39-9a8b-2c1bb8a4a0f1
    state: absent
"""

RETURN = r"""
secret:
  description: The secret's identity after the task (never its value); empty when absent.
  returned: always
  type: dict
  sample: {uuid: 5a1ff2c4-5b64-4d39-9a8b-2c1bb8a4a0f1, usage_type: ceph, usage_name: client.nova secret}
value_changed:
  description: Whether the value was (or in check mode would be) written.
  returned: always
  type: bool
"""

import base64
import binascii
import uuid as uuidlib
import xml.etree.ElementTree as ET

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.libvirt_utils import (
    CONNECTION_ARGS, LIBVIRT_IMPORT_ERROR, connect, error_text, libvirt)

_USAGE_ELEMENT = {"ceph": "name", "volume": "volume", "iscsi": "target", "tls": "name", "vtpm": "name"}


def secret_xml(secret_uuid, usage_type, usage_name, description, private):
    root = ET.Element("secret", {"ephemeral": "no", "private": "yes" if private else "no"})
    if secret_uuid:
        ET.SubElement(root, "uuid").text = secret_uuid
    if description:
        ET.SubElement(root, "description").text = description
    usage = ET.SubElement(root, "usage", {"type": usage_type})
    ET.SubElement(usage, _USAGE_ELEMENT[usage_type]).text = usage_name
    return ET.tostring(root).decode("utf-8")


class LibvirtSecret(CobaltCoreModule):
    argument_spec = dict(
        CONNECTION_ARGS,
        uuid=dict(type="str"),
        usage_type=dict(type="str", choices=list(_USAGE_ELEMENT), default="ceph"),
        usage_name=dict(type="str"),
        description=dict(type="str"),
        value=dict(type="str", no_log=True),
        value_encoding=dict(type="str", choices=["base64", "raw"], default="base64"),
        private=dict(type="bool", default=False),
        update_private_value=dict(type="bool", default=False),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module_kwargs = dict(
        required_one_of=[("uuid", "usage_name")],
        required_if=[("state", "present", ("value",))],
    )
    required_libraries = (("libvirt-python", LIBVIRT_IMPORT_ERROR),)

    def run(self):
        p = self.params
        if p["uuid"]:
            try:
                p["uuid"] = str(uuidlib.UUID(p["uuid"]))
            except ValueError:
                self.fail("uuid %r is not a UUID" % p["uuid"])
        value = None
        if p["state"] == "present":
            value = self._decode(p["value"])
        conn = connect(p["uri"])
        try:
            secret = self._lookup(conn)
            if p["state"] == "absent":
                self._absent(secret)
            else:
                self._present(conn, secret, value)
        finally:
            conn.close()

    def _decode(self, text):
        if self.params["value_encoding"] == "raw":
            return text.encode("utf-8")
        try:
            return base64.b64decode(text.strip(), validate=True)
        except (binascii.Error, ValueError):
            # The message must not echo the value.
            self.fail("value is not valid base64 (set value_encoding=raw to store it as text)")

    def _lookup(self, conn):
        p = self.params
        try:
            if p["uuid"]:
                return conn.secretLookupByUUIDString(p["uuid"])
            usage = getattr(libvirt, "VIR_SECRET_USAGE_TYPE_%s" % p["usage_type"].upper())
            return conn.secretLookupByUsage(usage, p["usage_name"])
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_SECRET:
                return None
            self.fail("cannot look up the secret: %s" % error_text(exc))

    @staticmethod
    def _identity(secret):
        root = ET.fromstring(secret.XMLDesc(0))
        usage = root.find("usage")
        return {
            "uuid": secret.UUIDString(),
            "usage_type": usage.get("type") if usage is not None else None,
            "usage_name": secret.usageID(),
            "private": root.get("private") == "yes",
            "description": (root.findtext("description") or None),
        }

    def _absent(self, secret):
        self.results["value_changed"] = False
        self.results["secret"] = {}
        if secret is None:
            return
        self.diff["before"] = self._identity(secret)
        self.diff["after"] = {}
        self.changed = True
        if not self.check_mode:
            try:
                secret.undefine()
            except libvirt.libvirtError as exc:
                self.fail("cannot remove secret %s: %s" % (secret.UUIDString(), error_text(exc)))

    def _present(self, conn, secret, value):
        p = self.params
        wanted = {"uuid": p["uuid"], "usage_type": p["usage_type"], "usage_name": p["usage_name"],
                  "private": p["private"], "description": p["description"]}
        created = secret is None
        if created:
            if not p["usage_name"]:
                self.fail("usage_name is required to create a secret")
            before = {}
        else:
            before = self._identity(secret)
            if before["usage_type"] != p["usage_type"]:
                self.fail("secret %s exists with usage type %s, not %s"
                          % (before["uuid"], before["usage_type"], p["usage_type"]))
            for key in ("usage_name", "description"):
                if wanted[key] is None:
                    wanted[key] = before[key]
            wanted["uuid"] = before["uuid"]
        compared = ("usage_name", "private", "description")
        definition_changed = created or any(before[k] != wanted[k] for k in compared)
        if definition_changed and not self.check_mode:
            xml = secret_xml(wanted["uuid"], p["usage_type"], wanted["usage_name"], wanted["description"],
                             p["private"])
            try:
                secret = conn.secretDefineXML(xml, 0)
            except libvirt.libvirtError as exc:
                self.fail("libvirt refused the secret definition: %s" % error_text(exc))
        value_changed = self._value_differs(secret, created, before)
        if value_changed and not self.check_mode:
            try:
                secret.setValue(value, 0)
            except libvirt.libvirtError as exc:
                self.fail("cannot set the value of secret %s: %s" % (secret.UUIDString(), error_text(exc)))
        self.changed = definition_changed or value_changed
        after = dict(wanted)
        if secret is not None:
            after = self._identity(secret) if not self.check_mode else dict(wanted, uuid=before.get("uuid"))
        self.results["secret"] = after
        self.results["value_changed"] = value_changed
        self.diff["before"] = dict(before, value="(unchanged)" if before and not value_changed else
                                   ("(previous value)" if before else "(none)"))
        self.diff["after"] = dict(after, value="(new value)" if value_changed else "(unchanged)")

    def _value_differs(self, secret, created, before):
        if created or secret is None:
            return True
        if before.get("private"):
            return bool(self.params["update_private_value"])
        try:
            current = secret.value(0)
        except libvirt.libvirtError as exc:
            if exc.get_error_code() == libvirt.VIR_ERR_NO_SECRET:
                return True  # defined without a value yet
            self.fail("cannot read the value of secret %s to compare it: %s"
                      % (secret.UUIDString(), error_text(exc)))
        wanted = self._decode(self.params["value"])
        return current != wanted


def main():
    LibvirtSecret()()


if __name__ == "__main__":
    main()
