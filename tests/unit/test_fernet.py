"""Key repository rules (plugins/module_utils/fernet.py) against keystone's documented behaviour and
against cryptography's Fernet/MultiFernet, which keystone uses to encrypt tokens and credentials."""
from __future__ import annotations

import base64

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.fernet import (
    KeyRepositoryError,
    check_max_active_keys,
    check_promotion,
    generate_key,
    initial_repository,
    is_valid_key,
    parse_repository,
    primary_index,
    rotate,
    summary,
    write_plan,
)


def keystone_crypto(keys):
    """keystone's fernet_utils.load_keys order: primary first, then the others by descending index."""
    return MultiFernet([Fernet(keys[i]) for i in sorted(keys, reverse=True)])


def test_generated_keys_are_fernet_keys():
    key = generate_key()
    assert len(key) == 44 and is_valid_key(key)
    assert len(base64.urlsafe_b64decode(key)) == 32
    Fernet(key)  # cryptography accepts it
    assert generate_key() != key
    assert is_valid_key(Fernet.generate_key().decode())


def test_initial_repository_is_staged_plus_primary():
    keys = initial_repository()
    assert sorted(keys) == [0, 1]
    assert keys[0] != keys[1]
    assert summary(keys) == {"keys": [0, 1], "primary": 1, "staged": 0}


def test_rotation_step_by_step_like_keystone_manage():
    keys = initial_repository()
    history = [dict(keys)]
    # keystone's documented sequence with max_active_keys=3: [0,1] -> [0,1,2] -> [0,2,3] -> [0,3,4]
    expected = [[0, 1, 2], [0, 2, 3], [0, 3, 4], [0, 4, 5]]
    for want in expected:
        previous = keys
        keys = rotate(keys, 3)
        assert sorted(keys) == want
        new_primary = primary_index(keys)
        assert new_primary == primary_index(previous) + 1
        assert keys[new_primary] == previous[0], "the staged key becomes the new primary"
        assert keys[0] not in previous.values(), "a fresh staged key is created"
        history.append(dict(keys))
    assert rotate(history[0], 3) is not history[0] and sorted(history[0]) == [0, 1]  # input untouched


def test_rotation_keeps_max_active_keys_total():
    keys = initial_repository()
    for _ in range(10):
        keys = rotate(keys, 5)
    assert sorted(keys) == [0, 8, 9, 10, 11]


def test_rotation_prunes_an_oversized_repository_to_max_active_keys():
    keys = {i: generate_key() for i in [0, 3, 4, 5, 6, 7]}
    assert sorted(rotate(keys, 3)) == [0, 7, 8]


@pytest.mark.parametrize("bad", [0, 1, 2, -1])
def test_max_active_keys_below_three_is_refused(bad):
    with pytest.raises(KeyRepositoryError, match="at least 3"):
        check_max_active_keys(bad)
    with pytest.raises(KeyRepositoryError, match="at least 3"):
        rotate(initial_repository(), bad)


def test_parse_accepts_keystone_files_and_a_trailing_newline():
    keys = initial_repository()
    entries = {"0": keys[0].encode(), "1": (keys[1] + "\n").encode()}
    assert parse_repository(entries) == keys


@pytest.mark.parametrize("entries, words", [
    ({"0": "A" * 44, "1": None}, "key 0 is not 32 bytes"),
    ({"0": None, "1": "short"}, "key 1 is not 32 bytes"),
    ({"0": None, "1": None, "tmp": None}, "'tmp' is not a key index"),
    ({"0": None, "1": None, "01": None}, "'01' is not a key index"),
    ({"1": None, "2": None}, "staged key 0 is missing"),
    ({"0": None}, "no primary key"),
    ({"0": None, "1": None, "2": "DUP"}, "key 2 duplicates key 1"),
    ({"0": None, "1": b"\xff" * 44}, "key 1 is not ASCII"),
    ({"0": None, "1": base64.urlsafe_b64encode(b"x" * 31).decode()}, "key 1 is not 32 bytes"),
    ({"0": None, "1": base64.b64encode(b"\xfb" * 32).decode()}, "key 1 is not 32 bytes"),  # '+' '/'
])
def test_malformed_repositories_are_refused_without_material_in_the_message(entries, words):
    material = {}
    for name, value in list(entries.items()):
        if value is None:
            entries[name] = material[name] = generate_key()
    if entries.get("2") == "DUP":
        entries["2"] = entries["1"]
    with pytest.raises(KeyRepositoryError) as err:
        parse_repository(entries, "fernet keys in test")
    assert words in str(err.value)
    assert str(err.value).startswith("fernet keys in test is malformed")
    for value in list(material.values()) + [v for v in entries.values() if isinstance(v, str)]:
        assert value not in str(err.value)


def test_promotion_accepts_a_real_rotation_and_a_repeat():
    production = initial_repository()
    staging = rotate(production, 3)
    check_promotion(production, staging, 3)
    check_promotion(staging, staging, 3)  # already promoted
    check_promotion(None, staging, 3)  # nothing in production yet


@pytest.mark.parametrize("mangle, words", [
    (lambda prod, stg: {0: generate_key(), 1: prod[1], 2: generate_key()}, "not the production staged key 0"),
    # key 5: a valid key that differs from prod[0] in its last significant character (that
    # character takes 16 values, so a fixed replacement would equal the original 1 time in 16)
    (lambda prod, stg: {0: generate_key(), 2: prod[0],
                        5: prod[0][:-2] + ("E=" if prod[0][-2] == "A" else "A=")}, "not the production staged key"),
    (lambda prod, stg: {0: generate_key(), 2: prod[0]}, "drops the production primary key 1"),
    (lambda prod, stg: initial_repository(), "not a rotation"),
])
def test_promotion_refuses_staging_that_would_break_live_tokens(mangle, words):
    production = initial_repository()
    staging = mangle(production, rotate(production, 3))
    with pytest.raises(KeyRepositoryError, match=words):
        check_promotion(production, staging, 3)


def test_promotion_refuses_more_keys_than_allowed():
    production = initial_repository()
    staging = rotate(rotate(production, 5), 5)
    with pytest.raises(KeyRepositoryError, match="more than max_active_keys=3"):
        check_promotion(production, {i: staging[i] for i in staging} | {9: generate_key()}, 3)


def test_write_plan_lands_the_new_primary_before_replacing_key_0_and_deletes_last():
    current = {i: generate_key() for i in [0, 1, 2]}
    target = rotate(current, 3)
    writes, deletes = write_plan(current, target)
    assert writes == [3, 0]
    assert deletes == [1]
    assert write_plan(target, target) == ([], [])
    assert write_plan(None, target) == (sorted(target, reverse=True), [])


def test_multifernet_in_keystone_order_primary_encrypts_all_decrypt():
    keys = rotate(initial_repository(), 3)  # [0, 1, 2]
    token = keystone_crypto(keys).encrypt(b"token payload")
    assert Fernet(keys[2]).decrypt(token) == b"token payload"  # primary encrypted it
    for index in (0, 1):
        with pytest.raises(InvalidToken):
            Fernet(keys[index]).decrypt(token)
    # Tokens made with the secondary or staged key still decrypt.
    for index in (0, 1):
        assert keystone_crypto(keys).decrypt(Fernet(keys[index]).encrypt(b"x")) == b"x"


def test_token_survives_max_active_keys_minus_two_rotations_then_fails():
    max_active = 3
    keys = initial_repository()
    token = keystone_crypto(keys).encrypt(b"issued before rotation")
    keys = rotate(keys, max_active)
    assert keystone_crypto(keys).decrypt(token) == b"issued before rotation"
    keys = rotate(keys, max_active)
    with pytest.raises(InvalidToken):
        keystone_crypto(keys).decrypt(token)


def test_staged_key_lets_old_nodes_read_tokens_from_rotated_nodes():
    old = rotate(initial_repository(), 3)
    new = rotate(old, 3)
    token = keystone_crypto(new).encrypt(b"from a rotated node")
    assert keystone_crypto(old).decrypt(token) == b"from a rotated node"
