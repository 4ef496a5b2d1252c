"""Infrastructure services of the control plane from Debian packages: MariaDB, memcached, RabbitMQ."""
from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

from c5c3lab import process
from c5c3lab.components.base import Component, Launch
from c5c3lab.secrets import lab_secret

MARIADB_ADMIN_USER = "lab_admin"
RABBITMQ_ADMIN_USER = "lab_admin"


class MariaDB(Component):
    name = "mariadb"

    def ports(self) -> list[int]:
        return [self.settings.ports.mariadb]

    @property
    def socket(self) -> Path:
        return self.settings.run_dir / "mariadb.sock"

    @property
    def admin_password(self) -> str:
        return lab_secret(self.settings.lab_dir, "mariadb-admin-password")

    @property
    def config(self) -> Path:
        return self.data_dir.parent / "mariadb.cnf"

    def prepare(self) -> None:
        datadir = self.data_dir
        self.config.write_text(
            "[mysqld]\n"
            f"datadir = {datadir}\n"
            f"socket = {self.socket}\n"
            f"pid-file = {self.settings.run_dir / 'mariadbd.pid'}\n"
            f"bind-address = {self.settings.host}\n"
            f"port = {self.settings.ports.mariadb}\n"
            "user = root\n"
            "skip-name-resolve\n"
            "innodb_buffer_pool_size = 128M\n"
            "innodb_flush_log_at_trx_commit = 2\n"
            "max_connections = 500\n"
            "character-set-server = utf8mb4\n"
            "collation-server = utf8mb4_general_ci\n"
        )
        if not (datadir / "mysql").exists():
            process.run(["mariadb-install-db", "--no-defaults", f"--datadir={datadir}", "--user=root",
                         "--auth-root-authentication-method=socket", "--skip-test-db"], timeout=300)

    def command(self) -> Launch:
        return Launch(["mariadbd", f"--defaults-file={self.config}"])

    def _ping(self) -> bool:
        return process.run(["mariadb-admin", f"--socket={self.socket}", "-uroot", "ping"],
                           check=False, timeout=5).returncode == 0

    def ready(self) -> bool:
        return self._ping() and process.tcp_open(self.settings.host, self.settings.ports.mariadb)

    def start(self) -> bool:
        started = super().start()
        self._ensure_admin()
        return started

    def _ensure_admin(self) -> None:
        # An admin that authenticates over TCP with a password, as a real deployment's DB would.
        pw = self.admin_password
        sql = "".join(
            f"CREATE USER IF NOT EXISTS '{MARIADB_ADMIN_USER}'@'{h}' IDENTIFIED BY '{pw}';"
            f"ALTER USER '{MARIADB_ADMIN_USER}'@'{h}' IDENTIFIED BY '{pw}';"
            f"GRANT ALL PRIVILEGES ON *.* TO '{MARIADB_ADMIN_USER}'@'{h}' WITH GRANT OPTION;"
            for h in ("127.0.0.1", "localhost")
        )
        process.run(["mariadb", f"--socket={self.socket}", "-uroot"], input=sql)

    def connection_info(self) -> dict[str, str]:
        return {
            "MARIADB_HOST": self.settings.host,
            "MARIADB_PORT": str(self.settings.ports.mariadb),
            "MARIADB_SOCKET": str(self.socket),
            "MARIADB_ADMIN_USER": MARIADB_ADMIN_USER,
            "MARIADB_ADMIN_PASSWORD_FILE": str(self.settings.lab_dir / "secrets" / "mariadb-admin-password"),
        }


def memcached_answers(host: str, port: int) -> bool:
    """A memcached listens at host:port and answers its protocol (``version``)."""
    try:
        with socket.create_connection((host, port), timeout=1) as conn:
            conn.sendall(b"version\r\n")
            return conn.recv(64).startswith(b"VERSION")
    except OSError:
        return False


class Memcached(Component):
    name = "memcached"

    def ports(self) -> list[int]:
        return [self.settings.ports.memcached]

    def command(self) -> Launch:
        return Launch(["memcached", "-u", "root", "-l", self.settings.host,
                       "-p", str(self.settings.ports.memcached), "-U", "0", "-m", "64", "-c", "1024"])

    def ready(self) -> bool:
        return memcached_answers(self.settings.host, self.settings.ports.memcached)

    def connection_info(self) -> dict[str, str]:
        return {"MEMCACHED_SERVERS": f"{self.settings.host}:{self.settings.ports.memcached}"}


class RabbitMQ(Component):
    name = "rabbitmq"
    ready_timeout = 90.0
    bin_dir = Path("/usr/lib/rabbitmq/bin")  # not /usr/sbin: that wrapper su's to 'rabbitmq'

    def ports(self) -> list[int]:
        p = self.settings.ports
        return [p.rabbitmq_amqp, p.rabbitmq_dist, p.rabbitmq_epmd]

    @property
    def nodename(self) -> str:
        # Unique per port block, so a second lab on this machine gets its own node.
        return f"c5c3lab{self.settings.ports.base}@localhost"

    @property
    def admin_password(self) -> str:
        return lab_secret(self.settings.lab_dir, "rabbitmq-admin-password")

    def env(self) -> dict[str, str]:
        d, p = self.data_dir, self.settings.ports
        dist_args = "-kernel inet_dist_use_interface {127,0,0,1}"
        return {
            "HOME": str(d / "home"),
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_CONFIG_FILE": str(d / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(d / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(d / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.settings.log_dir / "rabbitmq"),
            "RABBITMQ_PID_FILE": str(d / "rabbit.pid"),
            "RABBITMQ_DIST_PORT": str(p.rabbitmq_dist),
            "ERL_EPMD_ADDRESS": self.settings.host,
            "ERL_EPMD_PORT": str(p.rabbitmq_epmd),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": dist_args,
            "RABBITMQ_CTL_ERL_ARGS": dist_args,
        }

    def prepare(self) -> None:
        d = self.data_dir
        for sub in ("home", "mnesia"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        (self.settings.log_dir / "rabbitmq").mkdir(parents=True, exist_ok=True)
        (d / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = {self.settings.host}:{self.settings.ports.rabbitmq_amqp}\n"
            "loopback_users.guest = true\nlog.console = false\n"
        )
        (d / "enabled_plugins").write_text("[].\n")
        # The Erlang cookie must be private to the lab user or the node refuses to start.
        cookie = d / "home" / ".erlang.cookie"
        if not cookie.exists():
            cookie.write_text(lab_secret(self.settings.lab_dir, "rabbitmq-erlang-cookie"))
        cookie.chmod(0o400)

    def command(self) -> Launch:
        return Launch([str(self.bin_dir / "rabbitmq-server")], env=self.env())

    def ctl(self, *args: str, check: bool = True, timeout: float = 60):
        return process.run([str(self.bin_dir / "rabbitmqctl"), *args], env=self.env(),
                           check=check, timeout=timeout)

    def ready(self) -> bool:
        if not process.tcp_open(self.settings.host, self.settings.ports.rabbitmq_amqp):
            return False
        return self.ctl("--timeout", "10", "await_startup", check=False, timeout=20).returncode == 0

    def start(self) -> bool:
        started = super().start()
        users = self.ctl("list_users", "--silent").stdout
        if not any(line.split("\t")[0] == RABBITMQ_ADMIN_USER for line in users.splitlines()):
            self.ctl("add_user", RABBITMQ_ADMIN_USER, self.admin_password)
        self.ctl("set_user_tags", RABBITMQ_ADMIN_USER, "administrator")
        self.ctl("set_permissions", "-p", "/", RABBITMQ_ADMIN_USER, ".*", ".*", ".*")
        return started

    def after_stop(self) -> None:
        # epmd outlives the node and is not in its process group.
        epmd = shutil.which("epmd") or "/usr/lib/erlang/bin/epmd"
        if os.path.exists(epmd):
            process.run([epmd, "-kill"], env={"ERL_EPMD_PORT": str(self.settings.ports.rabbitmq_epmd)},
                        check=False, timeout=10)

    def connection_info(self) -> dict[str, str]:
        return {
            "RABBITMQ_URL_HOST": f"{self.settings.host}:{self.settings.ports.rabbitmq_amqp}",
            "RABBITMQ_ADMIN_USER": RABBITMQ_ADMIN_USER,
            "RABBITMQ_ADMIN_PASSWORD_FILE": str(self.settings.lab_dir / "secrets" / "rabbitmq-admin-password"),
        }
