"""The ssl: path of module_utils/ovn.py against a real ovsdb-server with TLS.

A stand-alone NB ovsdb-server (/usr/share/ovn/ovn-nb.ovsschema) listens on
pssl:<free port>:127.0.0.1 with a server certificate from the lab's PKI helper and requires client
certificates from the same CA. ovn_logical_switch writes through ssl:127.0.0.1:<port>; a wrong CA,
a client certificate the server does not trust, a key that does not match its certificate and a
plain-TCP server behind an ssl: remote fail clearly and write nothing. The server must not log an
SSL error for the connections a module opens and closes (probe, schema fetch, IDL).
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers.ansible import run_module
from tests.integration.ovn.conftest import REPO

sys.path.insert(0, str(REPO / "lab"))
from c5c3lab import pki  # noqa: E402

NB_SCHEMA = "/usr/share/ovn/ovn-nb.ovsschema"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def issue(directory: Path, ca_cn: str) -> Path:
    """A CA with a server certificate for 127.0.0.1 and a client certificate."""
    directory.mkdir(parents=True)
    pki.ensure_ca(directory, cn=ca_cn)
    pki.ensure_cert(directory, "server", cn="ovn-nb", server=True, sans=("127.0.0.1", "localhost"))
    pki.ensure_cert(directory, "client", cn="ovn-client")
    return directory


@dataclass
class SslNb:
    root: Path
    port: int
    plain_port: int
    pki: Path
    other_pki: Path
    log: Path

    @property
    def remote(self) -> str:
        return f"ssl:127.0.0.1:{self.port}"

    def creds(self, pki_dir: Path | None = None, ca_dir: Path | None = None) -> dict:
        pki_dir = pki_dir or self.pki
        return {"ssl_private_key": str(pki_dir / "client.key"), "ssl_certificate": str(pki_dir / "client.crt"),
                "ssl_ca_cert": str((ca_dir or self.pki) / "ca.crt")}

    def nbctl(self, *args: str) -> str:
        return subprocess.run(["ovn-nbctl", f"--db={self.remote}", "--timeout=20",
                               f"--private-key={self.pki / 'client.key'}",
                               f"--certificate={self.pki / 'client.crt'}", f"--ca-cert={self.pki / 'ca.crt'}",
                               *args], capture_output=True, text=True, check=True).stdout

    def log_lines(self) -> list[str]:
        return self.log.read_text().splitlines()


@pytest.fixture(scope="module")
def ssl_nb():
    """A TLS-only NB ovsdb-server on a free port (plus a plain-TCP listener for the mismatch test),
    started for this module and stopped after it."""
    root = Path(tempfile.mkdtemp(prefix="c5c3ssl-", dir="/tmp"))  # unix sockets need short paths
    port, plain_port = free_port(), free_port()
    good, other = issue(root / "pki", "c5c3-ovn-test-ca"), issue(root / "other", "c5c3-other-ca")
    subprocess.run(["ovsdb-tool", "create", str(root / "nb.db"), NB_SCHEMA], check=True)
    log = root / "nb.log"
    proc = subprocess.Popen(
        ["ovsdb-server", str(root / "nb.db"), f"--remote=pssl:{port}:127.0.0.1",
         f"--remote=ptcp:{plain_port}:127.0.0.1", f"--private-key={good / 'server.key'}",
         f"--certificate={good / 'server.crt'}", f"--ca-cert={good / 'ca.crt'}",
         f"--unixctl={root / 'nb.ctl'}", f"--log-file={log}", "--no-chdir"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    server = SslNb(root, port, plain_port, good, other, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                server.nbctl("--no-leader-only", "ls-list")
                break
            except subprocess.CalledProcessError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"ovsdb-server with TLS did not come up:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        shutil.rmtree(root, ignore_errors=True)


def test_logical_switch_written_through_ssl(ssl_nb):
    sw = f"tls-{uuid.uuid4().hex[:6]}"
    args = {"db": [ssl_nb.remote], "timeout": 20, **ssl_nb.creds(), "switches": [{"name": sw}],
            "ports": [{"name": f"{sw}-p1", "switch": sw, "addresses": ["fa:16:3e:00:00:01 10.0.0.11"]},
                      {"name": f"{sw}-p2", "switch": sw, "addresses": ["fa:16:3e:00:00:02 10.0.0.12"]}]}
    log_before = len(ssl_nb.log_lines())

    check = run_module("ovn_logical_switch", args, check=True, diff=True)
    assert check["changed"] is True and not check.get("failed"), check
    assert sw not in ssl_nb.nbctl("ls-list")

    first = run_module("ovn_logical_switch", args)
    assert not first.get("failed"), first.get("msg")
    assert first["ports"]["created"] == [f"{sw}-p1", f"{sw}-p2"]
    assert ssl_nb.nbctl("--bare", "--columns=addresses", "list", "Logical_Switch_Port", f"{sw}-p1").strip() \
        == "fa:16:3e:00:00:01 10.0.0.11"
    assert run_module("ovn_logical_switch", args)["changed"] is False

    gone = run_module("ovn_logical_switch", {"db": [ssl_nb.remote], **ssl_nb.creds(), "state": "absent",
                                             "switches": [{"name": sw}]})
    assert gone["changed"] is True and sw not in ssl_nb.nbctl("ls-list")
    # Every connection a module made was closed with a TLS close_notify: the server saw no EOF.
    new = ssl_nb.log_lines()[log_before:]
    assert not [line for line in new if "stream_ssl" in line or "connection dropped" in line], new


def test_wrong_ca_fails_clearly_and_writes_nothing(ssl_nb):
    sw = f"tls-{uuid.uuid4().hex[:6]}"
    started = time.monotonic()
    result = run_module("ovn_logical_switch", {
        "db": [ssl_nb.remote], "timeout": 20, **ssl_nb.creds(ca_dir=ssl_nb.other_pki),
        "switches": [{"name": sw}]})
    assert result.get("failed") and result["changed"] is False
    assert "server's certificate is not trusted" in result["msg"], result["msg"]
    # ovsdb-server sends its CA along, so OpenSSL's reason is about that CA not being ours
    assert "self-signed certificate in certificate chain" in result["msg"], result["msg"]
    assert "is ssl_ca_cert the CA that signed the server's certificate?" in result["msg"]
    assert ssl_nb.remote in result["unreachable"]
    assert time.monotonic() - started < 15  # the probe fails it; no 20 s connection timeout
    assert sw not in ssl_nb.nbctl("ls-list")


def test_client_certificate_the_server_does_not_trust_is_reported(ssl_nb):
    creds = dict(ssl_nb.creds(pki_dir=ssl_nb.other_pki), ssl_ca_cert=str(ssl_nb.pki / "ca.crt"))
    result = run_module("ovn_logical_switch", {"db": [ssl_nb.remote], "timeout": 20, **creds,
                                               "switches": [{"name": "never"}]})
    assert result.get("failed"), result
    # TLS 1.3: the refusal comes as an alert or as a plain close, depending on timing
    assert "does not accept our certificate" in result["msg"], result["msg"]
    assert "is ssl_certificate signed by the CA the server trusts" in result["msg"]
    assert "never" not in ssl_nb.nbctl("ls-list")


def test_bad_files_fail_before_any_connection(ssl_nb, tmp_path):
    log_before = len(ssl_nb.log_lines())
    mismatched = dict(ssl_nb.creds(), ssl_private_key=str(ssl_nb.other_pki / "client.key"))
    result = run_module("ovn_logical_switch", {"db": [ssl_nb.remote], **mismatched, "switches": [{"name": "x"}]})
    assert result.get("failed") and "cannot be used" in result["msg"] and "KEY_VALUES_MISMATCH" in result["msg"].upper(), \
        result["msg"]

    missing = dict(ssl_nb.creds(), ssl_ca_cert=str(tmp_path / "none.crt"))
    result = run_module("ovn_logical_switch", {"db": [ssl_nb.remote], **missing, "switches": [{"name": "x"}]})
    assert result.get("failed") and result["msg"] == f"ssl_ca_cert {tmp_path / 'none.crt'}: no such file"

    not_pem = tmp_path / "ca.crt"
    not_pem.write_text("not a certificate\n")
    result = run_module("ovn_logical_switch", {"db": [ssl_nb.remote], **dict(ssl_nb.creds(), ssl_ca_cert=str(not_pem)),
                                               "switches": [{"name": "x"}]})
    assert result.get("failed") and "holds no usable CA certificate" in result["msg"], result["msg"]

    result = run_module("ovn_logical_switch", {"db": [ssl_nb.remote], "ssl_certificate": str(ssl_nb.pki / "client.crt"),
                                               "switches": [{"name": "x"}]})
    assert result.get("failed") and "missing: ssl_private_key, ssl_ca_cert" in result["msg"], result["msg"]
    # None of them reached the server.
    assert ssl_nb.log_lines()[log_before:] == []


def test_ssl_remote_pointing_at_a_plain_tcp_listener(ssl_nb):
    result = run_module("ovn_logical_switch", {"db": [f"ssl:127.0.0.1:{ssl_nb.plain_port}"], "timeout": 10,
                                               **ssl_nb.creds(), "switches": [{"name": "x"}]})
    assert result.get("failed"), result
    assert "TLS handshake failed" in result["msg"], result["msg"]
    assert "does it listen with pssl: rather than ptcp:?" in result["msg"], result["msg"]
