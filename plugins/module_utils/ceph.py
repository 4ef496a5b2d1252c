# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talking to a Ceph cluster for the c5c3.cobaltcore.ceph_* modules.

The modules drive the ``ceph`` and ``rbd`` command-line tools with JSON output rather than the
``rados``/``rbd`` Python bindings: the bindings are only packaged for the distribution's own
Python (no wheels on PyPI) while Ansible runs modules with whatever interpreter the host has; the
CLI needs only ``ceph-common``, which the bindings need too (librados). The JSON the tools print is
what ``mon_command`` returns, so nothing is scraped from human-readable text.

Secrets never travel on a command line (visible to every local user in ``/proc``): keys are
handed to the tools on stdin.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import json
import re
import struct

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule

# Options every ceph_* module takes (documented in doc_fragments/ceph.py).
CEPH_CONNECTION_ARGS = dict(
    cluster_conf=dict(type="path", default="/etc/ceph/ceph.conf"),
    keyring=dict(type="path"),
    client_name=dict(type="str", default="client.admin"),
    timeout=dict(type="int", default=30),
)

CAP_TYPES = ("mon", "osd", "mgr", "mds")
ENTITY_RE = re.compile(r"^client\.[A-Za-z0-9_.\-]+$")
POOL_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
ENOENT = 2


class CephError(Exception):
    """A ``ceph``/``rbd`` call that failed; ``rc`` is the errno the tool exits with."""

    def __init__(self, argv, rc, stderr):
        self.rc = rc
        self.stderr = (stderr or "").strip()
        super(CephError, self).__init__("%s exited %d: %s" % (" ".join(argv[:1] + argv[-6:]), rc, self.stderr))


class CephCli(object):
    """The ``ceph`` and ``rbd`` tools bound to one cluster, one identity and one timeout."""

    def __init__(self, module):
        self.module = module
        p = module.params
        if not p["client_name"] or "." not in p["client_name"]:
            raise ValueError("client_name must be a full entity name such as client.admin")
        if p["timeout"] < 1:
            raise ValueError("timeout must be at least 1 second")
        self.common = ["--conf", p["cluster_conf"], "--name", p["client_name"]]
        if p["keyring"]:
            self.common += ["--keyring", p["keyring"]]
        t = str(p["timeout"])
        # Every wait inside librados is bounded, so an unreachable cluster fails in ~timeout.
        self.common += ["--client-mount-timeout", t, "--rados-mon-op-timeout", t, "--rados-osd-op-timeout", t]
        self.timeout = t
        self._bins = {}

    def _bin(self, tool):
        if tool not in self._bins:
            self._bins[tool] = self.module.get_bin_path(tool, required=True)
        return self._bins[tool]

    def _run(self, argv, data=None, ok_rcs=()):
        rc, out, err = self.module.run_command(argv, data=data, check_rc=False, environ_update={"CEPH_ARGS": ""})
        if rc in ok_rcs:
            return rc, None
        if rc != 0:
            raise CephError(argv, rc, err or out)
        out = out.strip()
        return rc, json.loads(out) if out else None

    def ceph(self, *args, **kwargs):
        """``ceph ARGS --format json``; returns the parsed output, or None when rc is in ``ok_rcs``."""
        argv = [self._bin("ceph")] + self.common + ["--connect-timeout", self.timeout] + list(args) + \
            ["--format", "json"]
        return self._run(argv, kwargs.get("data"), kwargs.get("ok_rcs", ()))[1]

    def rbd(self, *args, **kwargs):
        argv = [self._bin("rbd")] + self.common + list(args) + ["--format", "json"]
        return self._run(argv, kwargs.get("data"), kwargs.get("ok_rcs", ()))[1]

    def rbd_plain(self, *args):
        """rbd commands that print nothing useful (create, resize, rm) take no --format."""
        argv = [self._bin("rbd")] + self.common + list(args) + ["--no-progress"]
        self._run(argv)


# --- pools -------------------------------------------------------------------------------------
class CephModule(CobaltCoreModule):
    """Base of the Ceph modules: the CLI built from the shared connection options, and Ceph's
    errors turned into failures that say which object failed and how."""

    def connect(self):
        try:
            return CephCli(self.module)
        except ValueError as exc:
            self.fail(str(exc))

    def ceph_failed(self, what, exc):
        self.fail("%s: %s" % (what, exc.stderr or exc), rc=exc.rc)


def pools(cli):
    """Every pool as a plain dict keyed by name, in the shape the modules return."""
    result = {}
    for raw in cli.ceph("osd", "pool", "ls", "detail") or []:
        result[raw["pool_name"]] = pool_view(raw)
    return result


def pool_view(raw):
    # The *_target values are what was asked for; pg_num itself converges in steps (Nautilus+).
    return {
        "name": raw["pool_name"],
        "id": raw.get("pool_id", raw.get("pool")),
        "size": raw.get("size"),
        "min_size": raw.get("min_size"),
        "pg_num": raw.get("pg_num_target", raw.get("pg_num")),
        "pgp_num": raw.get("pg_placement_num_target", raw.get("pg_placement_num")),
        "pg_autoscale_mode": raw.get("pg_autoscale_mode"),
        "applications": sorted((raw.get("application_metadata") or {}).keys()),
        "quota_max_bytes": raw.get("quota_max_bytes", 0),
        "quota_max_objects": raw.get("quota_max_objects", 0),
    }


# --- cephx -------------------------------------------------------------------------------------
def auth_get(cli, entity):
    """The entity's ``{"entity", "key", "caps"}`` or None. The key stays in memory only."""
    out = cli.ceph("auth", "get", entity, ok_rcs=(ENOENT,))
    if not out:
        return None
    item = out[0] if isinstance(out, list) else out
    return {"entity": item["entity"], "key": item["key"], "caps": dict(item.get("caps") or {})}


def caps_args(caps):
    """``{"mon": "profile rbd", ...}`` as the ``TYPE CAPS`` pairs ``ceph auth`` takes, stable order."""
    args = []
    for cap_type in sorted(caps):
        args += [cap_type, caps[cap_type]]
    return args


def validate_caps(caps):
    unknown = sorted(set(caps) - set(CAP_TYPES))
    if unknown:
        raise ValueError("unknown cap type(s) %s; use %s" % (", ".join(unknown), ", ".join(CAP_TYPES)))
    for cap_type, value in caps.items():
        if not isinstance(value, str) or not value.strip():
            raise ValueError("caps.%s must be a non-empty string" % cap_type)


def validate_key(key):
    """A cephx secret: base64 of a 12-byte header (type 1 = AES) plus a 16-byte AES key."""
    try:
        raw = base64.b64decode(key.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ValueError("key is not valid base64")
    if len(raw) != 28 or struct.unpack("<H", raw[:2])[0] != 1 or struct.unpack("<H", raw[10:12])[0] != 16:
        raise ValueError("key is not a cephx AES secret (as printed by ceph-authtool --gen-print-key)")


def keyring_text(entity, key, caps=None):
    """A keyring file's content for one entity, as ``ceph auth get`` writes it."""
    lines = ["[%s]" % entity, "\tkey = %s" % key]
    for cap_type in sorted(caps or {}):
        lines.append('\tcaps %s = "%s"' % (cap_type, caps[cap_type].replace('"', '\\"')))
    return "\n".join(lines) + "\n"


# --- monitors ------------------------------------------------------------------------------------
def monitors(cli):
    """Monitors of the cluster and the two strings clients are configured with.

    ``mon_host`` is ceph.conf's ``mon host`` (one ``[v2:...,v1:...]`` vector per monitor);
    ``mon_addrs`` is the ``ip:port`` list (msgr1) that Rook/CSI style consumers take."""
    dump = cli.ceph("mon", "dump")
    mons, vectors, v1 = [], [], []
    for mon in dump.get("mons", []):
        addrs = (mon.get("public_addrs") or {}).get("addrvec") or []
        vec = ["%s:%s" % (a["type"], a["addr"]) for a in addrs]
        mons.append({"name": mon["name"], "rank": mon.get("rank"), "addrs": vec})
        vectors.append("[%s]" % ",".join(vec) if vec else mon.get("public_addr", "").split("/")[0])
        legacy = [a["addr"] for a in addrs if a["type"] == "v1"]
        v1.append(legacy[0] if legacy else mon.get("addr", "").split("/")[0])
    return {
        "fsid": dump.get("fsid"),
        "mons": mons,
        "mon_host": ",".join(vectors),
        "mon_addrs": ",".join(a for a in v1 if a),
        "quorum": dump.get("quorum", []),
    }
