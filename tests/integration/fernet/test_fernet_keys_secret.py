"""fernet_keys on a real Kubernetes Secret in the lab apiserver (data keys "0", "1", ...)."""
from __future__ import annotations

import base64
import json

import kubernetes
import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.fernet import KeyRepositoryError, rotate
from ansible_collections.c5c3.cobaltcore.plugins.modules.fernet_keys import SecretRepository
from tests.helpers.kube import token_kubeconfig
from tests.integration.fernet.fernet_helpers import material_leaks, secret_get, secret_keys

SECRET = "keystone-fernet-keys"
STAGING = "keystone-fernet-keys-rotation"


def keystone_crypto(keys):
    return MultiFernet([Fernet(keys[i]) for i in sorted(keys, reverse=True)])


@pytest.fixture
def on_secret(run_fernet_keys, kube, namespace):
    def run(**params):
        params.setdefault("secret_name", SECRET)
        params.setdefault("kubeconfig", str(kube.kubeconfig))
        return run_fernet_keys(secret_namespace=namespace, **params)
    return run


def test_create_then_idempotent_with_labels(on_secret, kube, namespace):
    labels = {"app.kubernetes.io/name": "keystone"}
    first = on_secret(labels=labels, annotations={"c5c3.io/purpose": "fernet"})
    assert not first.failed, first.msg
    assert first.result["changed"] is True and first.result["keys"] == [0, 1]
    secret = secret_get(kube, namespace, SECRET)
    assert sorted(secret["data"]) == ["0", "1"] and secret["type"] == "Opaque"
    assert secret["metadata"]["labels"] == labels
    for key in secret_keys(secret).values():
        Fernet(key)
    second = on_secret(labels=labels, annotations={"c5c3.io/purpose": "fernet"})
    assert not second.failed and second.result["changed"] is False
    assert secret_get(kube, namespace, SECRET)["metadata"]["resourceVersion"] == \
        secret["metadata"]["resourceVersion"]
    relabel = on_secret(labels={"team": "identity"})
    assert relabel.result["changed"] is True
    after = secret_get(kube, namespace, SECRET)
    assert after["metadata"]["labels"] == dict(labels, team="identity")
    assert secret_keys(after) == secret_keys(secret)


def test_rotation_semantics_and_token_lifetime(on_secret, kube, namespace):
    on_secret()
    keys = secret_keys(secret_get(kube, namespace, SECRET))
    token = keystone_crypto(keys).encrypt(b"token issued before rotation")
    for expected in ([0, 1, 2], [0, 2, 3]):
        run = on_secret(state="rotated")
        assert not run.failed, run.msg
        after = secret_keys(secret_get(kube, namespace, SECRET))
        assert sorted(after) == expected == run.result["keys"]
        assert after[max(after)] == keys[0] and after[0] not in keys.values()
        if expected == [0, 1, 2]:
            assert keystone_crypto(after).decrypt(token) == b"token issued before rotation"
        keys = after
    with pytest.raises(InvalidToken):
        keystone_crypto(keys).decrypt(token)


def test_refusals_leave_the_secret_untouched(on_secret, kube, namespace):
    on_secret()
    original = secret_get(kube, namespace, SECRET)
    refused = on_secret(state="rotated", max_active_keys=2)
    assert refused.failed and "max_active_keys must be at least 3" in refused.msg
    assert secret_get(kube, namespace, SECRET)["metadata"]["resourceVersion"] == \
        original["metadata"]["resourceVersion"]
    for data, words in (({"1": base64.b64encode(b"garbage").decode()}, "key 1 is not 32 bytes"),
                        ({"backup": original["data"]["1"]}, "'backup' is not a key index"),
                        ({"0": None}, "staged key 0 is missing")):
        kube.kubectl("-n", namespace, "patch", "secret", SECRET, "--type=merge",
                     "-p", json.dumps({"data": data}))
        spoiled = secret_get(kube, namespace, SECRET)
        for state in ("present", "rotated"):
            run = on_secret(state=state)
            assert run.failed and run.result["changed"] is False
            assert words in run.msg and f"Secret {namespace}/{SECRET}" in run.msg
            assert secret_get(kube, namespace, SECRET) == spoiled
        kube.kubectl("-n", namespace, "replace", "-f", "-", input=json.dumps(
            {k: v for k, v in original.items() if k != "metadata"} |
            {"metadata": {"name": SECRET, "namespace": namespace}}))


def test_forbidden_writer_is_refused_and_changes_nothing(on_secret, kube, namespace, tmp_path):
    on_secret()
    before = secret_get(kube, namespace, SECRET)
    kube.kubectl("-n", namespace, "create", "serviceaccount", "reader")
    kube.kubectl("-n", namespace, "create", "role", "secret-reader", "--verb=get", "--resource=secrets")
    kube.kubectl("-n", namespace, "create", "rolebinding", "reader", "--role=secret-reader",
                 f"--serviceaccount={namespace}:reader")
    token = kube.kubectl("-n", namespace, "create", "token", "reader").stdout.strip()
    kubeconfig = token_kubeconfig(kube, token, tmp_path / "reader.kubeconfig", "reader")
    validated = on_secret(kubeconfig=str(kubeconfig))
    assert not validated.failed and validated.result["changed"] is False, validated.msg
    run = on_secret(kubeconfig=str(kubeconfig), state="rotated")
    assert run.failed and run.result["changed"] is False
    assert f"cannot write Secret {namespace}/{SECRET}: HTTP 403" in run.msg
    assert secret_get(kube, namespace, SECRET) == before


def test_concurrent_writer_fails_loudly_instead_of_losing_keys(on_secret, kube, namespace):
    on_secret()
    api = kubernetes.client.CoreV1Api(kube.api_client())
    slow, fast = SecretRepository(api, SECRET, namespace), SecretRepository(api, SECRET, namespace)
    from ansible_collections.c5c3.cobaltcore.plugins.module_utils.fernet import parse_repository
    slow_keys = parse_repository(slow.read())
    fast_keys = parse_repository(fast.read())
    fast.write(fast_keys, rotate(fast_keys, 3))  # another writer wins the race
    winner = secret_get(kube, namespace, SECRET)
    with pytest.raises(KeyRepositoryError, match="changed or created by another writer"):
        slow.write(slow_keys, rotate(slow_keys, 3))
    assert secret_get(kube, namespace, SECRET) == winner
    # Two creators racing for a missing Secret: the second one fails too.
    first, second = SecretRepository(api, "race", namespace), SecretRepository(api, "race", namespace)
    assert first.read() is None and second.read() is None
    first.write(None, {0: Fernet.generate_key().decode(), 1: Fernet.generate_key().decode()})
    with pytest.raises(KeyRepositoryError, match="another writer"):
        second.write(None, {0: Fernet.generate_key().decode(), 1: Fernet.generate_key().decode()})


def test_stage_validate_promote(on_secret, kube, namespace):
    on_secret()
    production = secret_keys(secret_get(kube, namespace, SECRET))
    staged = on_secret(state="rotated", staging_secret_name=STAGING)
    assert not staged.failed, staged.msg
    assert staged.result["staging_keys"] == [0, 1, 2] and staged.result["keys"] == [0, 1]
    assert secret_keys(secret_get(kube, namespace, SECRET)) == production
    staging = secret_keys(secret_get(kube, namespace, STAGING))
    promoted = on_secret(state="promoted", staging_secret_name=STAGING)
    assert not promoted.failed and promoted.result["changed"] is True
    assert secret_keys(secret_get(kube, namespace, SECRET)) == staging
    again = on_secret(state="promoted", staging_secret_name=STAGING)
    assert not again.failed and again.result["changed"] is False


def test_promote_refuses_invalid_staging(on_secret, kube, namespace):
    on_secret()
    before = secret_get(kube, namespace, SECRET)
    unrelated = {str(i): base64.b64encode(Fernet.generate_key()).decode() for i in (0, 1, 2)}
    kube.kubectl("-n", namespace, "create", "secret", "generic", STAGING)
    for data, words in ((unrelated, "not a rotation of the production repository"),
                        ({"0": unrelated["0"], "1": base64.b64encode(b"x" * 44).decode()},
                         "staging fernet keys in Secret")):
        kube.kubectl("-n", namespace, "patch", "secret", STAGING, "--type=json", "-p",
                     json.dumps([{"op": "replace" if secret_get(kube, namespace, STAGING).get("data")
                                  else "add", "path": "/data", "value": data}]))
        run = on_secret(state="promoted", staging_secret_name=STAGING)
        assert run.failed and run.result["changed"] is False and words in run.msg, run.msg
        assert secret_get(kube, namespace, SECRET) == before


def test_empty_staging_promotes_nothing(on_secret, kube, namespace):
    on_secret()
    before = secret_get(kube, namespace, SECRET)
    kube.kubectl("-n", namespace, "create", "secret", "generic", STAGING)
    run = on_secret(state="promoted", staging_secret_name=STAGING)
    assert not run.failed and run.result["changed"] is False and run.result["staging_keys"] == []
    assert secret_get(kube, namespace, SECRET) == before


def test_check_mode_changes_nothing(on_secret, kube, namespace):
    created = on_secret(check=True)
    assert created.result["changed"] is True and secret_get(kube, namespace, SECRET) is None
    on_secret()
    before = secret_get(kube, namespace, SECRET)
    for params in ({"state": "rotated"}, {"state": "absent"}, {"labels": {"new": "label"}},
                   {"state": "rotated", "staging_secret_name": STAGING}):
        run = on_secret(check=True, **params)
        assert not run.failed and run.result["changed"] is True, (params, run.msg)
        assert secret_get(kube, namespace, SECRET) == before
    assert secret_get(kube, namespace, STAGING) is None


def test_absent_deletes_the_secret(on_secret, kube, namespace):
    on_secret()
    assert on_secret(state="absent").result["changed"] is True
    assert secret_get(kube, namespace, SECRET) is None
    assert on_secret(state="absent").result["changed"] is False


def test_verbose_diff_output_carries_no_key_material(on_secret, kube, namespace):
    seen, outputs = set(), []
    for params in ({}, {"state": "rotated"}, {"state": "rotated", "staging_secret_name": STAGING},
                   {"state": "promoted", "staging_secret_name": STAGING}, {"state": "absent"}):
        for name in (SECRET, STAGING):
            secret = secret_get(kube, namespace, name)
            seen |= set(secret_keys(secret).values()) if secret else set()
        run = on_secret(diff=True, verbosity=4, json_output=False, **params)
        assert run.playbook.rc == 0, run.playbook.stdout[-2000:]
        outputs.append(run.playbook.stdout + run.playbook.stderr)
    assert len(seen) >= 4
    text = "\n".join(outputs)
    assert "primary" in text
    assert material_leaks(text, seen) == []
