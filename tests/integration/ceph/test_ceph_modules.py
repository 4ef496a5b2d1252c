"""ceph_pool, ceph_client_key, ceph_rbd_image and ceph_info against the lab's real Ceph cluster."""
from __future__ import annotations

import json
import uuid

import pytest

from tests.helpers.ansible import run_module
from tests.integration.ceph.conftest import run_in_playbook


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def pool(ceph):
    name = unique("t-pool")
    yield name
    ceph.cli("osd", "pool", "delete", name, name, "--yes-i-really-really-mean-it", check=False)


def test_info_reports_the_cluster(ceph):
    r = run_module("ceph_info", ceph.conn)
    assert not r.get("failed"), r
    assert r["fsid"] == ceph.json("fsid")["fsid"]
    assert r["health"]["status"] == "HEALTH_OK"
    assert r["mon_host"] == ceph.mon_host
    assert [m["name"] for m in r["mons"]] == ["a"] and r["quorum_names"] == ["a"]
    assert r["osd"]["num_up_osds"] == 1


def test_info_fails_clearly_when_the_cluster_is_unreachable(ceph, tmp_path):
    conf = tmp_path / "ceph.conf"
    conf.write_text("[global]\nmon host = 127.0.0.1:9\n")
    r = run_module("ceph_info", dict(ceph.conn, cluster_conf=str(conf), timeout=2))
    assert r["failed"] and not r.get("changed")
    assert "ceph_info" in r["msg"]


def test_pool_lifecycle_check_mode_diff_idempotence(ceph, pool):
    args = dict(ceph.conn, name=pool, pg_num=8, size=1, application="rbd", quota_max_objects=100)
    r = run_module("ceph_pool", args, check=True, diff=True)
    assert r["changed"] and r["diff"]["before"] == {} and r["diff"]["after"]["pg_num"] == 8
    assert pool not in ceph.pools(), "check mode must not create the pool"

    r = run_module("ceph_pool", args)
    assert r["changed"] and not r.get("failed"), r
    detail = {p["pool_name"]: p for p in ceph.json("osd", "pool", "ls", "detail")}[pool]
    assert detail["pg_num"] == 8 and detail["size"] == 1 and detail["quota_max_objects"] == 100
    assert "rbd" in detail["application_metadata"]

    assert run_module("ceph_pool", args)["changed"] is False

    r = run_module("ceph_pool", dict(args, quota_max_objects=0, quota_max_bytes=1 << 30), diff=True)
    assert r["changed"]
    assert r["diff"]["before"]["quota_max_objects"] == 100 and r["diff"]["after"]["quota_max_objects"] == 0
    detail = {p["pool_name"]: p for p in ceph.json("osd", "pool", "ls", "detail")}[pool]
    assert detail["quota_max_objects"] == 0 and detail["quota_max_bytes"] == 1 << 30


def test_pool_delete_needs_the_confirmation(ceph, pool):
    assert run_module("ceph_pool", dict(ceph.conn, name=pool, pg_num=8, size=1))["changed"]

    r = run_module("ceph_pool", dict(ceph.conn, name=pool, state="absent"))
    assert r["failed"] and not r["changed"]
    assert f"confirm_delete: {pool}" in r["msg"]
    assert pool in ceph.pools(), "a refused delete must delete nothing"

    r = run_module("ceph_pool", dict(ceph.conn, name=pool, state="absent", confirm_delete="images"))
    assert r["failed"] and pool in ceph.pools()

    r = run_module("ceph_pool", dict(ceph.conn, name=pool, state="absent", confirm_delete=pool), check=True)
    assert r["changed"] and pool in ceph.pools()
    r = run_module("ceph_pool", dict(ceph.conn, name=pool, state="absent", confirm_delete=pool))
    assert r["changed"] and pool not in ceph.pools()
    assert run_module("ceph_pool", dict(ceph.conn, name=pool, state="absent", confirm_delete=pool))["changed"] is False


def test_pool_rejects_invalid_settings_before_touching_the_cluster(ceph, pool):
    r = run_module("ceph_pool", dict(ceph.conn, name=pool, pg_num=8, pgp_num=16))
    assert r["failed"] and "pgp_num" in r["msg"]
    r = run_module("ceph_pool", dict(ceph.conn, name=pool, size=1, min_size=2))
    assert r["failed"] and "min_size" in r["msg"]
    assert pool not in ceph.pools()


@pytest.fixture
def client(ceph):
    name = "client." + unique("t")
    yield name
    ceph.cli("auth", "del", name, check=False)


def test_client_key_get_or_create_caps_update_absent(ceph, client):
    caps = {"mon": "profile rbd", "osd": "profile rbd pool=images"}
    r = run_module("ceph_client_key", dict(ceph.conn, name=client, caps=caps), check=True, diff=True)
    assert r["changed"] and r["diff"]["after"]["caps"] == caps
    assert ceph.cli("auth", "get", client, check=False).returncode != 0

    r = run_in_playbook("ceph_client_key", dict(ceph.conn, name=client, caps=caps), diff=True)
    assert r["changed"] and r["caps"] == caps
    key = ceph.get_key(client)
    assert key not in r["_stdout"], "the key must not be in the output"
    assert "key" not in r

    assert run_module("ceph_client_key", dict(ceph.conn, name=client, caps=caps))["changed"] is False

    new_caps = dict(caps, osd="profile rbd pool=images, profile rbd pool=volumes")
    r = run_module("ceph_client_key", dict(ceph.conn, name=client, caps=new_caps), diff=True)
    assert r["changed"] and r["diff"]["before"]["caps"] == caps and r["diff"]["after"]["caps"] == new_caps
    assert ceph.json("auth", "get", client)[0]["caps"] == new_caps
    assert ceph.get_key(client) == key, "a caps change keeps the key"

    r = run_module("ceph_client_key", dict(ceph.conn, name=client, state="absent"))
    assert r["changed"] and ceph.cli("auth", "get", client, check=False).returncode != 0


def test_client_key_return_key_needs_no_log_and_returns_a_keyring(ceph, client, tmp_path):
    caps = {"mon": "profile rbd"}
    r = run_module("ceph_client_key", dict(ceph.conn, name=client, caps=caps, return_key=True))
    assert r["failed"] and "no_log" in r["msg"]
    assert ceph.cli("auth", "get", client, check=False).returncode != 0, "refused before creating anything"

    saved = tmp_path / "result.json"
    r = run_in_playbook("ceph_client_key", dict(ceph.conn, name=client, caps=caps, return_key=True),
                        no_log=True, save_to=saved)
    key = ceph.get_key(client)
    assert key not in r["_stdout"]
    result = json.loads(saved.read_text())
    assert result["key"] == key
    assert result["keyring"] == f"[{client}]\n\tkey = {key}\n"


def test_client_key_imports_a_given_key_and_replaces_it(ceph, client):
    key1 = ceph.cli("auth", "get-or-create-key", "client.keygen-probe").stdout.strip()
    ceph.cli("auth", "del", "client.keygen-probe")
    r = run_in_playbook("ceph_client_key", dict(ceph.conn, name=client, key=key1, caps={"mon": "profile rbd"}))
    assert r["changed"] and ceph.get_key(client) == key1
    assert key1 not in r["_stdout"]
    assert run_module("ceph_client_key", dict(ceph.conn, name=client, key=key1))["changed"] is False

    r = run_module("ceph_client_key", dict(ceph.conn, name=client, key="not-a-key"))
    assert r["failed"] and "base64" in r["msg"]


def test_rbd_image_create_resize_delete(ceph, pool):
    assert not run_module("ceph_pool", dict(ceph.conn, name=pool, pg_num=8, size=1, application="rbd")).get("failed")
    args = dict(ceph.conn, pool=pool, name="disk", size="64M")
    r = run_module("ceph_rbd_image", args, check=True)
    assert r["changed"] and ceph.cli("info", f"{pool}/disk", tool="rbd", check=False).returncode != 0

    r = run_module("ceph_rbd_image", args)
    assert r["changed"] and r["image"]["size"] == 64 << 20
    assert run_module("ceph_rbd_image", args)["changed"] is False

    r = run_module("ceph_rbd_image", dict(args, size="128M"), diff=True)
    assert r["changed"] and r["diff"]["after"]["size"] == 128 << 20

    r = run_module("ceph_rbd_image", dict(args, size="32M"))
    assert r["failed"] and "allow_shrink" in r["msg"]
    assert json.loads(ceph.cli("info", f"{pool}/disk", "--format", "json", tool="rbd").stdout)["size"] == 128 << 20

    assert run_module("ceph_rbd_image", dict(args, size="32M", allow_shrink=True))["image"]["size"] == 32 << 20
    r = run_module("ceph_rbd_image", dict(args, state="absent"))
    assert r["changed"] and ceph.cli("info", f"{pool}/disk", tool="rbd", check=False).returncode != 0
