"""fernet_keys on a real directory, as keystone reads it (one file per key, named by index)."""
from __future__ import annotations

import os
import stat

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from tests.integration.fernet.fernet_helpers import dir_keys, dir_snapshot, material_leaks


def keystone_crypto(keys):
    # keystone's fernet_utils.load_keys order: primary (highest index) first.
    return MultiFernet([Fernet(keys[i]) for i in sorted(keys, reverse=True)])


def test_create_then_idempotent(run_fernet_keys, tmp_path):
    repo = tmp_path / "fernet-keys"
    first = run_fernet_keys(path=str(repo), owner="65534", group="65534")
    assert not first.failed, first.msg
    assert first.result["changed"] is True
    assert (first.result["keys"], first.result["primary"], first.result["staged"]) == ([0, 1], 1, 0)
    assert sorted(os.listdir(repo)) == ["0", "1"]
    assert stat.S_IMODE(repo.stat().st_mode) == 0o700
    for entry in repo.iterdir():
        st = entry.stat()
        assert (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid) == (0o600, 65534, 65534)
        Fernet(entry.read_bytes())  # keystone hands the file content to Fernet as it is
        assert len(entry.read_bytes()) == 44  # no newline, like keystone-manage writes
    before = dir_snapshot(repo)
    second = run_fernet_keys(path=str(repo), owner="65534", group="65534")
    assert not second.failed and second.result["changed"] is False
    assert dir_snapshot(repo) == before


def test_present_repairs_permissions_without_touching_keys(run_fernet_keys, tmp_path):
    repo = tmp_path / "keys"
    run_fernet_keys(path=str(repo))
    keys = dir_keys(repo)
    (repo / "1").chmod(0o644)
    fixed = run_fernet_keys(path=str(repo))
    assert fixed.result["changed"] is True
    assert stat.S_IMODE((repo / "1").stat().st_mode) == 0o600
    assert dir_keys(repo) == keys


def test_rotation_follows_keystone_step_by_step(run_fernet_keys, tmp_path):
    repo = tmp_path / "keys"
    run_fernet_keys(path=str(repo))
    # keystone docs, max_active_keys=3: [0,1] -> [0,1,2] -> [0,2,3] -> [0,3,4]
    for expected in ([0, 1, 2], [0, 2, 3], [0, 3, 4]):
        before = dir_keys(repo)
        run = run_fernet_keys(path=str(repo), state="rotated", max_active_keys=3)
        assert not run.failed, run.msg
        after = dir_keys(repo)
        assert run.result["changed"] is True
        assert sorted(after) == expected == run.result["keys"]
        assert run.result["primary"] == max(before) + 1
        assert after[max(after)] == before[0], "staged key 0 was promoted to primary"
        assert after[0] not in before.values(), "a new staged key 0 was created"
        for index in set(after) & set(before) - {0}:
            assert after[index] == before[index], "surviving secondaries are unchanged"
        assert sorted(p.name for p in repo.iterdir()) == sorted(str(i) for i in expected)  # no temp files


def test_token_and_credential_survive_one_rotation_and_die_after_enough(run_fernet_keys, tmp_path):
    for key_type in ("fernet", "credential"):
        repo = tmp_path / key_type
        run_fernet_keys(path=str(repo), key_type=key_type)
        token = keystone_crypto(dir_keys(repo)).encrypt(b"secret payload of " + key_type.encode())
        run_fernet_keys(path=str(repo), key_type=key_type, state="rotated")
        keys = dir_keys(repo)
        assert keystone_crypto(keys).decrypt(token).startswith(b"secret payload")
        newer = keystone_crypto(keys).encrypt(b"newer")
        assert Fernet(keys[max(keys)]).decrypt(newer) == b"newer"  # primary encrypts
        run_fernet_keys(path=str(repo), key_type=key_type, state="rotated")
        with pytest.raises(InvalidToken):
            keystone_crypto(dir_keys(repo)).decrypt(token)
        assert keystone_crypto(dir_keys(repo)).decrypt(newer) == b"newer"


@pytest.mark.parametrize("state", ["present", "rotated"])
def test_max_active_keys_2_refused(run_fernet_keys, tmp_path, state):
    repo = tmp_path / "keys"
    run_fernet_keys(path=str(repo))
    before = dir_snapshot(repo)
    run = run_fernet_keys(path=str(repo), state=state, max_active_keys=2)
    assert run.failed and run.result["changed"] is False
    assert "max_active_keys must be at least 3" in run.msg
    assert dir_snapshot(repo) == before
    fresh = tmp_path / "fresh"
    assert run_fernet_keys(path=str(fresh), max_active_keys=2).failed
    assert not fresh.exists()


@pytest.mark.parametrize("corruption, words", [
    (lambda r: (r / "1").write_bytes(b"not-a-key"), "key 1 is not 32 bytes"),
    (lambda r: (r / "1").write_bytes((r / "1").read_bytes()[:-4] + b"!!!="), "key 1 is not 32 bytes"),
    (lambda r: (r / "0").unlink(), "staged key 0 is missing"),
    (lambda r: (r / "backup").write_bytes((r / "1").read_bytes()), "'backup' is not a key index"),
    (lambda r: (r / "2").write_bytes((r / "1").read_bytes()), "key 2 duplicates key 1"),
])
@pytest.mark.parametrize("state", ["present", "rotated"])
def test_malformed_repository_refused_and_untouched(run_fernet_keys, tmp_path, corruption, words, state):
    repo = tmp_path / "keys"
    run_fernet_keys(path=str(repo))
    corruption(repo)
    before = dir_snapshot(repo)
    run = run_fernet_keys(path=str(repo), state=state)
    assert run.failed and run.result["changed"] is False
    assert words in run.msg and "is malformed" in run.msg
    assert dir_snapshot(repo) == before


def test_unwritable_directory_refused_and_untouched(run_fernet_keys, tmp_path, immutable_dir):
    repo = tmp_path / "keys"
    run_fernet_keys(path=str(repo))
    immutable_dir(repo)
    before = dir_snapshot(repo)
    run = run_fernet_keys(path=str(repo), state="rotated")
    assert run.failed and run.result["changed"] is False
    assert "is not writable" in run.msg and str(repo) in run.msg
    assert dir_snapshot(repo) == before
    # An unwritable parent: nothing gets created.
    parent = tmp_path / "ro-parent"
    parent.mkdir()
    fresh = immutable_dir(parent) / "keys"
    run = run_fernet_keys(path=str(fresh))
    assert run.failed and "is not writable" in run.msg
    assert not fresh.exists()


def test_missing_parent_refused(run_fernet_keys, tmp_path):
    run = run_fernet_keys(path=str(tmp_path / "no" / "such" / "keys"))
    assert run.failed and "parent directory" in run.msg
    assert not (tmp_path / "no").exists()


def test_check_mode_changes_nothing(run_fernet_keys, tmp_path):
    repo = tmp_path / "keys"
    created = run_fernet_keys(path=str(repo), check=True)
    assert created.result["changed"] is True and created.result["keys"] == [0, 1]
    assert not repo.exists()
    run_fernet_keys(path=str(repo))
    before = dir_snapshot(repo)
    for params in ({"state": "rotated"}, {"state": "absent"}, {"mode": "0640"}):
        run = run_fernet_keys(path=str(repo), check=True, **params)
        assert not run.failed and run.result["changed"] is True, params
        assert dir_snapshot(repo) == before, params


def test_promote_from_staging_directory(run_fernet_keys, tmp_path):
    prod, staging = tmp_path / "keys", tmp_path / "staging"
    run_fernet_keys(path=str(prod))
    original = dir_keys(prod)
    staged = run_fernet_keys(path=str(prod), staging_path=str(staging), state="rotated")
    assert not staged.failed, staged.msg
    assert staged.result["staging_keys"] == [0, 1, 2] and staged.result["keys"] == [0, 1]
    assert dir_keys(prod) == original, "staging a rotation leaves production alone"
    promoted = run_fernet_keys(path=str(prod), staging_path=str(staging), state="promoted")
    assert not promoted.failed, promoted.msg
    assert promoted.result["changed"] is True and promoted.result["keys"] == [0, 1, 2]
    assert dir_keys(prod) == dir_keys(staging)
    again = run_fernet_keys(path=str(prod), staging_path=str(staging), state="promoted")
    assert not again.failed and again.result["changed"] is False


def corrupt_a_key(staging):
    (staging / "2").write_bytes(b"garbage")


def replace_with_unrelated_keys(staging):
    # Well-formed, but promoting it would invalidate every token issued so far.
    for name in ("0", "1", "2"):
        (staging / name).unlink()
    for name in ("0", "1"):
        (staging / name).write_bytes(Fernet.generate_key())


@pytest.mark.parametrize("spoil, words", [
    (corrupt_a_key, "staging fernet keys in directory"),
    (replace_with_unrelated_keys, "not a rotation"),
])
def test_promote_refuses_bad_staging_and_keeps_production(run_fernet_keys, tmp_path, spoil, words):
    prod, staging = tmp_path / "keys", tmp_path / "staging"
    run_fernet_keys(path=str(prod))
    run_fernet_keys(path=str(prod), staging_path=str(staging), state="rotated")
    spoil(staging)
    before = dir_snapshot(prod)
    run = run_fernet_keys(path=str(prod), staging_path=str(staging), state="promoted")
    assert run.failed and run.result["changed"] is False
    assert words in run.msg
    assert dir_snapshot(prod) == before


def test_empty_staging_promotes_nothing(run_fernet_keys, tmp_path):
    prod, staging = tmp_path / "keys", tmp_path / "staging"
    staging.mkdir()
    run_fernet_keys(path=str(prod))
    before = dir_snapshot(prod)
    run = run_fernet_keys(path=str(prod), staging_path=str(staging), state="promoted")
    assert not run.failed and run.result["changed"] is False and run.result["staging_keys"] == []
    assert dir_snapshot(prod) == before


def test_absent_removes_the_repository(run_fernet_keys, tmp_path):
    repo = tmp_path / "keys"
    run_fernet_keys(path=str(repo))
    gone = run_fernet_keys(path=str(repo), state="absent")
    assert gone.result["changed"] is True and not repo.exists()
    assert run_fernet_keys(path=str(repo), state="absent").result["changed"] is False


def test_diff_and_verbose_output_carry_no_key_material(run_fernet_keys, tmp_path):
    repo, staging = tmp_path / "keys", tmp_path / "staging"
    seen = set()
    outputs = []
    steps = [{}, {"state": "rotated"}, {"state": "rotated", "staging_path": str(staging)},
             {"state": "promoted", "staging_path": str(staging)}, {"state": "rotated"}]
    for params in steps:
        run = run_fernet_keys(path=str(repo), diff=True, verbosity=4, json_output=False, **params)
        assert run.playbook.rc == 0, run.playbook.stdout[-2000:]
        outputs.append(run.playbook.stdout + run.playbook.stderr)
        seen |= set(dir_keys(repo).values())
        if staging.exists():
            seen |= set(dir_keys(staging).values())
    assert len(seen) >= 5
    text = "\n".join(outputs)
    assert "keys:" in text or '"keys"' in text  # the diff/result really is in the output
    assert material_leaks(text, seen) == []
