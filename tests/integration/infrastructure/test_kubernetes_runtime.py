"""Runtime `kubernetes` of the mariadb, rabbitmq and memcached roles on the real lab apiserver.

No operator runs in the lab, so the tests prove what the roles own: the objects are accepted by the
operators' real CRDs with the intended content, a second run changes nothing, check mode creates
nothing, passwords never reach the output, and the wait path finishes once the objects report Ready
(status written by tests/helpers/readiness.py in the operators' place) and fails clearly otherwise.
"""
from __future__ import annotations

import base64

import pytest

from tests.helpers.ansible import run_playbook
from tests.helpers.kube import existing
from tests.helpers.readiness import ReadyMarker

from tests.integration.infrastructure.infra_helpers import PLAYBOOK, canaries, role_task_results

NO_WAIT = {"mariadb_wait": False, "rabbitmq_wait": False, "memcached_wait": False}


def kube_vars(namespace: str, secrets: dict[str, str], **extra) -> dict:
    return {
        "mariadb_runtime": "kubernetes", "rabbitmq_runtime": "kubernetes", "memcached_runtime": "kubernetes",
        "cobaltcore_namespace": namespace,
        "mariadb_root_password": secrets["root"],
        "mariadb_databases": [{"name": "nova_api", "user": "nova", "password": secrets["db"]},
                              {"name": "keystone", "password_secret": "keystone-db-from-eso"}],
        "rabbitmq_vhosts": [{"name": "nova"}],
        "rabbitmq_users": [{"name": "nova", "password": secrets["mq"]}],
        "rabbitmq_permissions": [{"user": "nova", "vhost": "nova", "read": "^nova.*"}],
        "memcached_replicas": 3,
        **extra,
    }


def get(kube, namespace, resource, name) -> dict:
    return existing(kube, namespace, resource, name)


def names(kube, namespace, resource) -> list[str]:
    out = kube.kubectl("-n", namespace, "get", resource, "-o", "name").stdout.split()
    return sorted(n.split("/", 1)[1] for n in out)


def precreate_eso_secret(kube, namespace):
    # An entry without a password uses a Secret someone else (ESO) already wrote.
    kube.kubectl("-n", namespace, "create", "secret", "generic", "keystone-db-from-eso",
                 "--from-literal=username=keystone", "--from-literal=password=from-eso")


@pytest.fixture
def converged(kube, infra_crds, namespace):
    """First run at -vvv with the default callback (what a user sees), then a second run."""
    secrets = canaries()
    precreate_eso_secret(kube, namespace)
    extravars = kube_vars(namespace, secrets, **NO_WAIT)
    first = run_playbook(PLAYBOOK, extravars=extravars, json_output=False, verbosity=3)
    second = run_playbook(PLAYBOOK, extravars=extravars)
    return namespace, secrets, first, second


def test_objects_match_the_operator_crds_and_rerun_changes_nothing(kube, converged):
    namespace, secrets, first, second = converged
    assert first.rc == 0, first.stdout[-3000:]
    assert first.changed > 0
    assert second.rc == 0 and second.changed == 0, second.stdout[-3000:]

    assert names(kube, namespace, "mariadbs.k8s.mariadb.com") == ["mariadb"]
    assert names(kube, namespace, "databases.k8s.mariadb.com") == ["mariadb-keystone", "mariadb-nova-api"]
    assert names(kube, namespace, "users.k8s.mariadb.com") == ["mariadb-keystone", "mariadb-nova"]
    assert names(kube, namespace, "grants.k8s.mariadb.com") == ["mariadb-keystone-keystone", "mariadb-nova-nova-api"]
    cluster = get(kube, namespace, "mariadbs.k8s.mariadb.com", "mariadb")["spec"]
    assert cluster["replicas"] == 3 and cluster["galera"]["enabled"] is True
    assert cluster["rootPasswordSecretKeyRef"] == {"name": "mariadb-root", "key": "password", "generate": False}
    database = get(kube, namespace, "databases.k8s.mariadb.com", "mariadb-nova-api")["spec"]
    assert database["name"] == "nova_api" and database["mariaDbRef"]["name"] == "mariadb"
    user = get(kube, namespace, "users.k8s.mariadb.com", "mariadb-nova")["spec"]
    assert (user["name"], user["host"], user["passwordSecretKeyRef"]) == \
        ("nova", "%", {"name": "nova-db-credentials", "key": "password"})
    grant = get(kube, namespace, "grants.k8s.mariadb.com", "mariadb-nova-nova-api")["spec"]
    assert (grant["database"], grant["username"], grant["privileges"]) == ("nova_api", "nova", ["ALL PRIVILEGES"])
    eso_user = get(kube, namespace, "users.k8s.mariadb.com", "mariadb-keystone")["spec"]
    assert eso_user["passwordSecretKeyRef"]["name"] == "keystone-db-from-eso"

    secret = get(kube, namespace, "secret", "nova-db-credentials")["data"]
    assert base64.b64decode(secret["password"]).decode() == secrets["db"]
    assert base64.b64decode(secret["username"]).decode() == "nova"
    eso = get(kube, namespace, "secret", "keystone-db-from-eso")["data"]
    assert base64.b64decode(eso["password"]).decode() == "from-eso"  # not overwritten

    rmq = get(kube, namespace, "rabbitmqclusters.rabbitmq.com", "rabbitmq")["spec"]
    assert rmq["replicas"] == 3 and rmq["persistence"]["storage"] == "10Gi"
    vhost = get(kube, namespace, "vhosts.rabbitmq.com", "rabbitmq-nova")["spec"]
    assert (vhost["name"], vhost["rabbitmqClusterReference"]["name"]) == ("nova", "rabbitmq")
    mq_user = get(kube, namespace, "users.rabbitmq.com", "rabbitmq-nova")["spec"]
    assert mq_user["importCredentialsSecret"]["name"] == "nova-rabbitmq-credentials"
    mq_secret = get(kube, namespace, "secret", "nova-rabbitmq-credentials")["data"]
    assert base64.b64decode(mq_secret["password"]).decode() == secrets["mq"]
    perm = get(kube, namespace, "permissions.rabbitmq.com", "rabbitmq-nova-nova")["spec"]
    assert (perm["user"], perm["vhost"], perm["permissions"]) == \
        ("nova", "nova", {"configure": ".*", "write": ".*", "read": "^nova.*"})

    memcached = get(kube, namespace, "memcacheds.memcached.c5c3.io", "memcached")["spec"]
    assert memcached["replicas"] == 3
    assert memcached["memcached"] == {"maxMemoryMB": 1024, "maxConnections": 4096, "threads": 4, "maxItemSize": "1m"}
    assert memcached["highAvailability"]["podDisruptionBudget"] == {"enabled": True, "minAvailable": 2}


def test_passwords_never_appear_in_verbose_output(converged):
    _, secrets, first, _ = converged
    assert first.rc == 0
    for value in secrets.values():
        assert value not in first.stdout and value not in first.stderr


def test_check_mode_creates_nothing(kube, infra_crds, namespace):
    precreate_eso_secret(kube, namespace)
    result = run_playbook(PLAYBOOK, extravars=kube_vars(namespace, canaries(), **NO_WAIT), check=True)
    assert result.rc == 0, result.stdout[-3000:]
    assert result.changed > 0  # it reports what it would do ...
    for resource in ("mariadbs.k8s.mariadb.com", "databases.k8s.mariadb.com", "users.k8s.mariadb.com",
                     "grants.k8s.mariadb.com", "rabbitmqclusters.rabbitmq.com", "vhosts.rabbitmq.com",
                     "users.rabbitmq.com", "permissions.rabbitmq.com", "memcacheds.memcached.c5c3.io"):
        assert names(kube, namespace, resource) == [], resource  # ... and does none of it
    assert names(kube, namespace, "secrets") == ["keystone-db-from-eso"]


def test_missing_credentials_secret_fails_before_any_change(kube, infra_crds, namespace):
    result = run_playbook(PLAYBOOK, extravars=kube_vars(namespace, canaries(), **NO_WAIT))
    assert result.rc != 0
    assert "keystone-db-from-eso" in result.stdout and "missing" in result.stdout
    assert names(kube, namespace, "mariadbs.k8s.mariadb.com") == []
    assert names(kube, namespace, "secrets") == []


def _all_objects():
    ready = "Ready"
    return [
        ("mariadbs.k8s.mariadb.com", "mariadb", ready, None),
        ("databases.k8s.mariadb.com", "mariadb-nova-api", ready, None),
        ("databases.k8s.mariadb.com", "mariadb-keystone", ready, None),
        ("users.k8s.mariadb.com", "mariadb-nova", ready, None),
        ("users.k8s.mariadb.com", "mariadb-keystone", ready, None),
        ("grants.k8s.mariadb.com", "mariadb-nova-nova-api", ready, None),
        ("grants.k8s.mariadb.com", "mariadb-keystone-keystone", ready, None),
        ("rabbitmqclusters.rabbitmq.com", "rabbitmq", "ClusterAvailable", None),
        ("vhosts.rabbitmq.com", "rabbitmq-nova", ready, None),
        ("users.rabbitmq.com", "rabbitmq-nova", ready, {"username": "nova"}),  # status.username is required
        ("permissions.rabbitmq.com", "rabbitmq-nova-nova", ready, None),
        ("memcacheds.memcached.c5c3.io", "memcached", ready,
         {"readyReplicas": 3, "serverList": ["memcached-0.memcached.ns:11211", "memcached-1.memcached.ns:11211"]}),
    ]


def test_wait_finishes_when_the_operator_reports_ready(kube, infra_crds, namespace):
    precreate_eso_secret(kube, namespace)
    marker = ReadyMarker(kube, namespace, _all_objects())
    marker.start()
    try:
        extravars = kube_vars(namespace, canaries(), mariadb_wait_timeout=120, rabbitmq_wait_timeout=120,
                              memcached_wait_timeout=120)
        result = run_playbook(PLAYBOOK, extravars=extravars)
    finally:
        marker.stop()
    assert result.rc == 0, result.stdout[-3000:]
    assert marker.pending == []
    published = role_task_results(result, "Publish the server list the operator reports")
    assert published[0]["ansible_facts"]["memcached_server_list"] == \
        ["memcached-0.memcached.ns:11211", "memcached-1.memcached.ns:11211"]


def test_wait_fails_naming_what_is_not_ready(kube, infra_crds, namespace):
    precreate_eso_secret(kube, namespace)
    # Only the MariaDB side becomes Ready; the first RabbitMQ object never does.
    marker = ReadyMarker(kube, namespace, [o for o in _all_objects() if "mariadb.com" in o[0]])
    marker.start()
    try:
        extravars = kube_vars(namespace, canaries(), mariadb_wait_timeout=300, rabbitmq_wait_timeout=2)
        result = run_playbook(PLAYBOOK, extravars=extravars)
    finally:
        marker.stop()
    assert result.rc != 0
    assert "did not report ready within 2s for: RabbitmqCluster/rabbitmq, Vhost/rabbitmq-nova" in result.stdout
    # The memcached role never ran: nothing after the failure was declared.
    assert names(kube, namespace, "memcacheds.memcached.c5c3.io") == []
