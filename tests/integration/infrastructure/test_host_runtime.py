"""Runtime `host` of the mariadb, rabbitmq and memcached roles against the lab's real MariaDB,
RabbitMQ and memcached: the created accounts work with their passwords (and only on their own
database), a second run and check mode change nothing, passwords never reach the output."""
from __future__ import annotations

import uuid

import pymysql
import pytest

from tests.helpers.ansible import run_playbook
from tests.integration.infrastructure.infra_helpers import PLAYBOOK, canaries, role_task_results


@pytest.fixture(scope="module")
def names():
    tag = uuid.uuid4().hex[:6]
    return {"db": f"t_{tag}_api", "user": f"t_{tag}", "vhost": f"t-{tag}", "mq_user": f"t-{tag}-svc"}


def host_vars(names, secrets, **extra) -> dict:
    return {
        "mariadb_runtime": "host", "rabbitmq_runtime": "host", "memcached_runtime": "host",
        "mariadb_databases": [{"name": names["db"], "user": names["user"], "password": secrets["db"]}],
        "rabbitmq_vhosts": [{"name": names["vhost"]}],
        "rabbitmq_users": [{"name": names["mq_user"], "password": secrets["mq"], "tags": ["monitoring"]}],
        "rabbitmq_permissions": [{"user": names["mq_user"], "vhost": names["vhost"], "configure": "^$"}],
        **extra,
    }


def admin_sql(mariadb, sql):
    conn = pymysql.connect(host=mariadb.settings.host, port=mariadb.settings.ports.mariadb,
                           user="lab_admin", password=mariadb.admin_password)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def converged(mariadb, rabbitmq, memcached, names):
    secrets = canaries()
    extravars = host_vars(names, secrets)
    first = run_playbook(PLAYBOOK, extravars=extravars, json_output=False, verbosity=3)
    second = run_playbook(PLAYBOOK, extravars=extravars)
    yield secrets, first, second, extravars
    admin_sql(mariadb, f"DROP DATABASE IF EXISTS `{names['db']}`")
    admin_sql(mariadb, f"DROP USER IF EXISTS '{names['user']}'@'%'")
    rabbitmq.ctl("delete_vhost", names["vhost"], check=False)
    rabbitmq.ctl("delete_user", names["mq_user"], check=False)


def test_first_run_creates_and_second_changes_nothing(converged):
    _, first, second, _ = converged
    assert first.rc == 0, first.stdout[-3000:]
    assert first.changed >= 4  # database, user, vhost, rabbitmq user
    assert second.rc == 0 and second.changed == 0, second.stdout[-3000:]


def test_database_user_logs_in_and_owns_only_its_database(converged, mariadb, names):
    secrets = converged[0]
    conn = pymysql.connect(host=mariadb.settings.host, port=mariadb.settings.ports.mariadb,
                           user=names["user"], password=secrets["db"], database=names["db"])
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE t (id INT PRIMARY KEY)")
            cur.execute("INSERT INTO t VALUES (1)")
            cur.execute("SELECT COUNT(*) FROM t")
            assert cur.fetchone() == (1,)
            with pytest.raises(pymysql.err.OperationalError, match="denied"):
                cur.execute("SELECT * FROM mysql.user")
        charset = admin_sql(mariadb, "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA "
                                     f"WHERE SCHEMA_NAME = '{names['db']}'")
        assert charset == (("utf8mb4",),)
    finally:
        conn.close()
    with pytest.raises(pymysql.err.OperationalError, match="denied"):
        pymysql.connect(host=mariadb.settings.host, port=mariadb.settings.ports.mariadb,
                        user=names["user"], password="wrong-password")


def test_rabbitmq_user_authenticates_with_its_permissions(converged, rabbitmq, names):
    secrets = converged[0]
    assert rabbitmq.ctl("authenticate_user", names["mq_user"], secrets["mq"], check=False).returncode == 0
    assert rabbitmq.ctl("authenticate_user", names["mq_user"], "wrong-password", check=False).returncode != 0
    perms = rabbitmq.ctl("list_permissions", "-p", names["vhost"], "--silent").stdout.splitlines()
    assert [line.split("\t") for line in perms if line.startswith(names["mq_user"])] == \
        [[names["mq_user"], "^$", ".*", ".*"]]
    users = rabbitmq.ctl("list_users", "--silent").stdout.splitlines()
    assert [line.split("\t")[1] for line in users if line.split("\t")[0] == names["mq_user"]] == ["[monitoring]"]


def test_memcached_servers_are_published(converged, memcached):
    first = converged[1]
    assert f"127.0.0.1:{memcached.settings.ports.memcached}" in first.stdout


def test_passwords_never_appear_in_verbose_output(converged):
    secrets, first, _, _ = converged
    for value in (secrets["db"], secrets["mq"]):
        assert value not in first.stdout and value not in first.stderr


def test_check_mode_reports_new_work_but_changes_nothing(converged, mariadb, rabbitmq, names):
    _, _, _, extravars = converged
    again = run_playbook(PLAYBOOK, extravars=extravars, check=True)
    assert again.rc == 0 and again.changed == 0, again.stdout[-3000:]
    more = dict(extravars)
    more["mariadb_databases"] = extravars["mariadb_databases"] + [
        {"name": names["db"] + "_x", "user": names["user"] + "_x", "password": "pw-not-created"}]
    more["rabbitmq_vhosts"] = extravars["rabbitmq_vhosts"] + [{"name": names["vhost"] + "-x"}]
    planned = run_playbook(PLAYBOOK, extravars=more, check=True)
    assert planned.rc == 0 and planned.changed >= 3, planned.stdout[-3000:]
    assert admin_sql(mariadb, f"SHOW DATABASES LIKE '{names['db']}_x'") == ()
    assert admin_sql(mariadb, f"SELECT User FROM mysql.user WHERE User = '{names['user']}_x'") == ()
    assert names["vhost"] + "-x" not in rabbitmq.ctl("list_vhosts", "--silent").stdout.split()


def test_unreachable_memcached_fails_with_the_server_named(converged, memcached):
    _, _, _, extravars = converged
    dead = f"127.0.0.1:{memcached.settings.ports.memcached + 1}"  # nothing listens one port above
    result = run_playbook(PLAYBOOK, extravars=dict(extravars, memcached_servers=[dead], memcached_host_timeout=2))
    assert result.rc != 0
    failed = role_task_results(result, "Connect to each memcached server")
    assert failed and failed[0]["results"][0]["failed"] and failed[0]["results"][0]["item"] == dead
