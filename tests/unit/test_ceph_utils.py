"""Pure helpers of module_utils/ceph.py: key validation, keyring text, caps, pool view."""
from __future__ import annotations

import base64
import os
import struct

import pytest

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.ceph import (
    caps_args, keyring_text, pool_view, validate_caps, validate_key)


def cephx_key(secret: bytes = b"\x01" * 16) -> str:
    # type 1 (AES), created (sec, nsec), length, secret -- the layout ceph-authtool prints
    return base64.b64encode(struct.pack("<HIIH", 1, 0, 0, len(secret)) + secret).decode()


def test_validate_key_accepts_a_cephx_secret():
    validate_key(cephx_key(os.urandom(16)))


@pytest.mark.parametrize("key", ["not base64!", base64.b64encode(b"short").decode(),
                                 base64.b64encode(struct.pack("<HIIH", 2, 0, 0, 16) + b"x" * 16).decode()])
def test_validate_key_rejects_other_strings(key):
    with pytest.raises(ValueError):
        validate_key(key)


def test_keyring_text_matches_ceph_layout():
    key = cephx_key()
    assert keyring_text("client.glance", key) == f"[client.glance]\n\tkey = {key}\n"
    assert keyring_text("client.x", key, {"osd": "profile rbd", "mon": "profile rbd"}).splitlines()[2:] == [
        '\tcaps mon = "profile rbd"', '\tcaps osd = "profile rbd"']


def test_caps_args_are_stable_and_validated():
    assert caps_args({"osd": "b", "mon": "a"}) == ["mon", "a", "osd", "b"]
    with pytest.raises(ValueError, match="unknown cap type"):
        validate_caps({"rgw": "allow *"})
    with pytest.raises(ValueError, match="non-empty"):
        validate_caps({"mon": " "})


def test_pool_view_compares_pg_targets():
    raw = {"pool_name": "images", "pool_id": 3, "size": 3, "min_size": 2, "pg_num": 16, "pg_num_target": 32,
           "pg_placement_num": 16, "pg_placement_num_target": 32, "pg_autoscale_mode": "off",
           "application_metadata": {"rbd": {}}, "quota_max_bytes": 0, "quota_max_objects": 5}
    view = pool_view(raw)
    assert view["pg_num"] == 32 and view["pgp_num"] == 32 and view["id"] == 3
    assert view["applications"] == ["rbd"] and view["quota_max_objects"] == 5
