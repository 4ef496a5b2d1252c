# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connections to OVN databases (NB, SB, the local Open_vSwitch DB) on ovsdbapp.

One transaction per module call: the module hands :meth:`OvnDb.write` a *reconcile function*
``fn(tables, writer)`` that reads the in-memory IDL replica (never the wire) and calls the writer for
every change. The same function runs with a dry writer for check mode, so check mode and the real
run cannot disagree. Because the function is re-run on every attempt (ovsdbapp re-runs commands on
TRY_AGAIN, and we re-run after a reconnect), a transaction whose outcome was unknown when the
leader died is re-planned against what the new leader holds: it is never applied twice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import socket
import ssl
import time
import traceback

try:
    from ovs import stream as ovs_stream
    from ovsdbapp import exceptions as ovsdbapp_exceptions
    from ovsdbapp.backend.ovs_idl import connection as ovsdbapp_connection
    from ovsdbapp.backend.ovs_idl import idlutils
    from ovsdbapp.backend.ovs_idl import transaction as ovsdbapp_transaction
    OVSDBAPP_IMPORT_ERROR = None
except ImportError:
    OVSDBAPP_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import ModuleFailure

# The PyPI `ovs` package ships without python-ovs' C JSON parser, so every row of a big table is
# parsed in pure Python (most of the time of a 10,000-port call). The distribution's
# python3-openvswitch has it; use it when it is there and built for this Python.
_DISTRO_OVS = "/usr/lib/python3/dist-packages/ovs"
if OVSDBAPP_IMPORT_ERROR is None:
    try:
        import ovs as _ovs_pkg
        import ovs.json as _ovs_json
        if _ovs_json.PARSER != _ovs_json.PARSER_C and os.path.isdir(_DISTRO_OVS):
            _ovs_pkg.__path__.append(_DISTRO_OVS)
            try:
                import ovs._json  # noqa: F401  pylint: disable=unused-import
                # ovs/json.py reaches the parser as the global `ovs._json`, bound only by its
                # own (failed) import
                _ovs_json.ovs = _ovs_pkg
                _ovs_json.PARSER = _ovs_json.PARSER_C
            except ImportError:
                pass
            finally:
                _ovs_pkg.__path__.remove(_DISTRO_OVS)
    except ImportError:
        pass

# Arguments every OVN module shares (documented once in the c5c3.cobaltcore.ovn doc fragment).
OVN_CONNECTION_ARGS = dict(
    db=dict(type="list", elements="str", required=True),
    timeout=dict(type="float", default=30.0),
    retries=dict(type="int", default=3),
    leader_only=dict(type="bool", default=True),
    ssl_private_key=dict(type="path"),
    ssl_certificate=dict(type="path"),
    ssl_ca_cert=dict(type="path"),
)

_RETRYABLE_MESSAGES = ("timed out", "connection", "not connected")


class OvnError(ModuleFailure):
    """A database could not be reached or a transaction could not be committed."""


def connection_kwargs(params):
    """The OvnDb keyword arguments from a module's parameters (OVN_CONNECTION_ARGS)."""
    return dict(
        remotes=params["db"], timeout=params["timeout"], retries=params["retries"],
        leader_only=params["leader_only"], ssl_private_key=params.get("ssl_private_key"),
        ssl_certificate=params.get("ssl_certificate"), ssl_ca_cert=params.get("ssl_ca_cert"),
    )


def ssl_context(private_key, certificate, ca_cert):
    """The client TLS context python-ovs builds for ``ssl:`` remotes (TLS 1.2+, the server's
    certificate must chain to ``ca_cert``, no host name check - as OVS' own clients), built here
    first so that a missing or mismatched file fails clearly before any connection is made."""
    missing = [what for what, value in (("ssl_private_key", private_key), ("ssl_certificate", certificate),
                                        ("ssl_ca_cert", ca_cert)) if not value]
    if missing:
        raise OvnError("ssl: remotes need ssl_private_key, ssl_certificate and ssl_ca_cert (missing: %s)"
                       % ", ".join(missing))
    for what, path in (("ssl_private_key", private_key), ("ssl_certificate", certificate),
                       ("ssl_ca_cert", ca_cert)):
        if not os.path.isfile(path):
            raise OvnError("%s %s: no such file" % (what, path))
        if not os.access(path, os.R_OK):
            raise OvnError("%s %s: not readable" % (what, path))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = False
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_verify_locations(ca_cert)
    except (ssl.SSLError, OSError) as exc:
        raise OvnError("ssl_ca_cert %s holds no usable CA certificate: %s" % (ca_cert, _ssl_reason(exc)))
    try:
        ctx.load_cert_chain(certificate, private_key)
    except (ssl.SSLError, OSError) as exc:
        raise OvnError("ssl_certificate %s with ssl_private_key %s cannot be used: %s (the key must be "
                       "the certificate's, unencrypted, both PEM)" % (certificate, private_key, _ssl_reason(exc)))
    return ctx


def _ssl_reason(exc):
    return getattr(exc, "verify_message", None) or getattr(exc, "reason", None) or str(exc)


def _explain_tls_failure(exc):
    """What a failed TLS handshake with an OVSDB server most likely means."""
    text = str(exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ("TLS handshake failed: the server's certificate is not trusted (%s); is ssl_ca_cert the "
                "CA that signed the server's certificate?" % _ssl_reason(exc))
    if "unknown ca" in text or "bad certificate" in text or "certificate required" in text \
            or "decrypt error" in text:
        return ("TLS handshake failed: the server does not accept our certificate (%s); is ssl_certificate "
                "signed by the CA the server trusts (its --ca-cert)?" % _ssl_reason(exc))
    if isinstance(exc, (ssl.SSLEOFError, ConnectionResetError, BrokenPipeError)) or "EOF" in text \
            or "wrong version number" in text or "record layer failure" in text or "packet length" in text:
        return ("TLS handshake failed (%s): the server does not speak TLS there; does it listen with "
                "pssl: rather than ptcp:?" % _ssl_reason(exc))
    return "TLS handshake failed: %s" % (_ssl_reason(exc) or text or exc.__class__.__name__)


def probe_remote(remote, timeout, ssl_ctx=None):
    """Return None if ``remote`` (unix:/tcp:/ssl:) accepts a connection, else why not.

    A stream open in python-ovs blocks without a deadline; probing first turns an unreachable
    database into a prompt, clear failure. For ``ssl:`` remotes (given ``ssl_ctx``) the probe
    completes the TLS handshake, so a wrong CA or certificate is reported as such, and closes
    with a TLS close_notify (a bare close makes ovsdb-server log an SSL error per probe)."""
    kind, rest = remote.partition(":")[::2]
    try:
        if kind == "unix":
            if not os.path.exists(rest):
                return "no such socket"
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            try:
                sock.connect(rest)
            finally:
                sock.close()
            return None
        if kind in ("tcp", "ssl"):
            host, port = rest.rpartition(":")[::2]
            host = host.strip("[]")
            sock = socket.create_connection((host, int(port)), timeout=timeout)
            if kind == "tcp" or ssl_ctx is None:
                sock.close()
                return None
            try:
                tls = ssl_ctx.wrap_socket(sock)
            except (ssl.SSLError, ConnectionResetError, BrokenPipeError) as exc:
                sock.close()
                return _explain_tls_failure(exc)
            try:
                # With TLS 1.3 the server judges our certificate after our side of the handshake
                # is done: only an answer to a request shows that it accepted us.
                tls.sendall(b'{"id":"c5c3-probe","method":"echo","params":[]}')
                answer = tls.recv(4096)
            except (ssl.SSLEOFError, ConnectionResetError, BrokenPipeError):
                answer = b""
            except ssl.SSLError as exc:
                tls.close()
                return _explain_tls_failure(exc)
            if not answer:
                tls.close()
                return ("the server closed the connection right after the TLS handshake: it does not "
                        "accept our certificate; is ssl_certificate signed by the CA the server trusts "
                        "(its --ca-cert)?")
            try:
                tls.unwrap()
            except (ssl.SSLError, OSError):
                pass
            tls.close()
            return None
    except socket.timeout:
        return "timed out after %ss" % timeout
    except (OSError, ValueError) as exc:
        return str(exc)
    return "unsupported remote (use unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT)"


def _open_stream(remote, timeout, ssl_ctx=None):
    """A connected blocking socket to ``remote`` (unix:/tcp:/ssl:), TLS-wrapped for ssl:."""
    kind, rest = remote.partition(":")[::2]
    if kind == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(rest)
        except OSError:
            sock.close()
            raise
        return sock
    if kind not in ("tcp", "ssl"):
        raise ValueError("unsupported remote (use unix:PATH, tcp:HOST:PORT or ssl:HOST:PORT)")
    host, port = rest.rpartition(":")[::2]
    sock = socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    if kind == "ssl":
        if ssl_ctx is None:
            sock.close()
            raise ValueError("ssl: remotes need ssl_private_key, ssl_certificate and ssl_ca_cert")
        try:
            sock = ssl_ctx.wrap_socket(sock)
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            raise OSError(_explain_tls_failure(exc))
    return sock


def _uuid(value):
    return value[1] if isinstance(value, list) and len(value) == 2 and value[0] == "uuid" else None


def _optional_value(value):
    if isinstance(value, list) and value and value[0] == "set":
        return value[1][0] if value[1] else None
    return value


def server_status(remote, database, timeout=5.0, ssl_ctx=None):
    """What one ovsdb-server says about ``database`` in its ``_Server`` database: model
    (clustered/standalone/relay), whether it is connected to its cluster and is the leader, its
    server and cluster ids and its raft log index. Read with one JSON-RPC ``transact`` over a
    plain socket, so it works for every member (not only the leader) and needs no IDL.
    Returns ``{"reachable": False, "error": ...}`` when the server cannot be asked."""
    request = {"id": "c5c3-server-status", "method": "transact",
               "params": ["_Server", {"op": "select", "table": "Database",
                                      "where": [["name", "==", database]]}]}
    try:
        sock = _open_stream(remote, timeout, ssl_ctx)
    except socket.timeout:
        return dict(reachable=False, error="timed out after %ss" % timeout)
    except (OSError, ValueError) as exc:
        return dict(reachable=False, error=str(exc))
    decoder = json.JSONDecoder()
    buf = ""
    try:
        sock.sendall(json.dumps(request).encode())
        deadline = time.time() + timeout
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return dict(reachable=False, error="the server closed the connection")
            buf += chunk.decode("utf-8", "replace")
            try:
                reply, _end = decoder.raw_decode(buf.lstrip())
            except ValueError:
                if time.time() > deadline:
                    return dict(reachable=False, error="no complete answer within %ss" % timeout)
                continue
            if reply.get("id") == request["id"]:
                break
            buf = ""  # a notification or echo; wait for our reply
    except socket.timeout:
        return dict(reachable=False, error="timed out after %ss" % timeout)
    except (OSError, ssl.SSLError) as exc:
        return dict(reachable=False, error=str(exc))
    finally:
        try:
            if isinstance(sock, ssl.SSLSocket):
                sock.unwrap()
        except (OSError, ssl.SSLError, ValueError):
            pass
        sock.close()
    if reply.get("error"):
        return dict(reachable=False, error=str(reply["error"]))
    result = (reply.get("result") or [{}])[0]
    if result.get("error"):
        return dict(reachable=False, error="%s: %s" % (result["error"], result.get("details", "")))
    rows = result.get("rows") or []
    if not rows:
        return dict(reachable=True, error="the server does not serve %s" % database, model=None)
    row = rows[0]
    sid, cid = _uuid(row.get("sid")), _uuid(_optional_value(row.get("cid")))
    index = _optional_value(row.get("index"))
    return dict(reachable=True, model=row.get("model"), connected=bool(row.get("connected")),
                leader=bool(row.get("leader")), server_id=sid[:4] if sid else None,
                cluster_id=cid[:4] if cid else None, index=index)


class Tables(object):
    """Read access to the IDL replica, with name indexes built once per plan."""

    def __init__(self, idl):
        self.idl = idl
        self._by_name = {}

    def rows(self, table):
        return self.idl.tables[table].rows.values()

    def by_name(self, table):
        """name -> row. Tables without a unique name index (Logical_Switch, Logical_Router) can
        hold duplicates; planning against an ambiguous name would pick one at random, so fail."""
        if table not in self._by_name:
            index = {}
            dups = set()
            for row in self.rows(table):
                if row.name in index:
                    dups.add(row.name)
                index[row.name] = row
            if dups:
                raise ModuleFailure("%s has several rows named %s; remove the duplicates first"
                                    % (table, ", ".join(sorted(dups))))
            self._by_name[table] = index
        return self._by_name[table]


class Pending(object):
    """Stands in for a row a dry run would insert."""

    def __init__(self, table, columns):
        self.table = table
        self.columns = columns
        self.uuid = None


class Writer(object):
    """Applies changes to an IDL transaction, or only counts them (``txn=None``: check mode)."""

    def __init__(self, idl, txn):
        self.idl = idl
        self.txn = txn
        self.changes = 0

    def insert(self, table, columns):
        self.changes += 1
        if self.txn is None:
            return Pending(table, columns)
        row = self.txn.insert(self.idl.tables[table])
        for column, value in columns.items():
            setattr(row, column, value)
        return row

    def update(self, row, columns):
        if not columns:
            return
        self.changes += 1
        if self.txn is not None:
            for column, value in columns.items():
                setattr(row, column, value)

    def delete(self, row):
        self.changes += 1
        if self.txn is not None:
            row.delete()

    def add_ref(self, parent, column, child):
        if self.txn is not None:
            parent.addvalue(column, child)

    def del_ref(self, parent, column, child):
        if self.txn is not None:
            parent.delvalue(column, child)


class _ReconcileCommand(object):
    """An ovsdbapp command that plans and writes in one go, inside the transaction."""

    def __init__(self, db, fn):
        self.db = db
        self.fn = fn
        self.result = None

    def run_idl(self, txn):
        self.result = self.fn(Tables(self.db.idl), Writer(self.db.idl, txn))

    def post_commit(self, txn):
        pass

    def __str__(self):
        return "reconcile(%s)" % getattr(self.fn, "__name__", "fn")


if OVSDBAPP_IMPORT_ERROR is None and hasattr(ovs_stream, "SSLStream"):
    class _SSLStream(ovs_stream.SSLStream):
        """python-ovs closes a TLS stream with a bare TCP shutdown, and ovsdb-server logs an SSL
        error ("unexpected eof") for every connection a module closes. Send the TLS close_notify
        first, as OVS' own clients do (non-blocking: it goes out, the peer's reply is not awaited)."""

        def close(self):
            if self.socket is not None:
                try:
                    self.socket.unwrap()
                except (ssl.SSLError, OSError, ValueError):
                    pass
            return super(_SSLStream, self).close()

    ovs_stream.Stream.register_method("ssl", _SSLStream)


if OVSDBAPP_IMPORT_ERROR is None:
    class _Idl(ovsdbapp_connection.OvsdbIdl):
        """ovsdbapp sleeps after every row update to let other threads run; a module has no other
        threads to share with, and on a 10,000-row table those sleeps are a third of the load."""

        def cooperative_yield(self):
            pass


class OvnDb(object):
    """A connection to one OVSDB database: a single server or the members of a raft cluster."""

    def __init__(self, remotes, schema, tables=None, timeout=30.0, retries=3, leader_only=True,
                 ssl_private_key=None, ssl_certificate=None, ssl_ca_cert=None):
        if OVSDBAPP_IMPORT_ERROR is not None:
            raise OvnError("ovsdbapp is required on the host that runs this module",
                           exception=OVSDBAPP_IMPORT_ERROR)
        if isinstance(remotes, str):
            remotes = remotes.split(",")
        self.remotes = [r.strip() for r in remotes if r.strip()]
        if not self.remotes:
            raise OvnError("no database remote given")
        self.schema = schema
        self.tables = tables
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.leader_only = leader_only
        self.ssl = (ssl_private_key, ssl_certificate, ssl_ca_cert)
        self.conn = None
        self.idl = None

    # --- connection ----------------------------------------------------------------------------
    def connect(self):
        if self.conn is not None:
            return self
        ctx = None
        if any(r.startswith("ssl:") for r in self.remotes):
            key, cert, ca = self.ssl
            ctx = ssl_context(key, cert, ca)
            ovs_stream.Stream.ssl_set_private_key_file(key)
            ovs_stream.Stream.ssl_set_certificate_file(cert)
            ovs_stream.Stream.ssl_set_ca_cert_file(ca)
        problems = dict((r, probe_remote(r, min(self.timeout, 5.0), ctx)) for r in self.remotes)
        reachable = [r for r in self.remotes if problems[r] is None]
        if not reachable:
            raise OvnError("cannot reach the %s database at %s" % (self.schema, ", ".join(
                "%s (%s)" % (r, problems[r]) for r in self.remotes)), unreachable=problems)
        # Every member stays in the list: the IDL must be able to follow the leader to a member
        # that is down right now but comes back.
        remote = ",".join(self.remotes)
        try:
            helper = idlutils.get_schema_helper(",".join(reachable), self.schema)
        except Exception as exc:  # pylint: disable=broad-except
            raise OvnError("cannot read the %s schema from %s: %s" % (self.schema, remote, exc))
        if isinstance(self.tables, dict):
            # Only the columns a module reads: less to load and to parse on every update.
            for table, columns in self.tables.items():
                if columns:
                    helper.register_columns(table, list(columns))
                else:
                    helper.register_table(table)
        elif self.tables:
            for table in self.tables:
                helper.register_table(table)
        else:
            helper.register_all()
        self.idl = _Idl(remote, helper, leader_only=self.leader_only)
        conn = ovsdbapp_connection.Connection(self.idl, timeout=self.timeout)
        try:
            conn.start()
        except Exception as exc:  # pylint: disable=broad-except
            self.idl.close()
            self.idl = None
            raise OvnError("no usable %s server at %s within %ss (for a raft cluster: is there a "
                           "leader?): %s" % (self.schema, remote, self.timeout, exc))
        self.conn = conn
        return self

    def close(self):
        if self.conn is not None:
            self.conn.stop(timeout=self.timeout)
        self.conn = None
        self.idl = None

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc):
        self.close()

    # --- reading and writing --------------------------------------------------------------------
    def read(self, fn):
        """Run ``fn(tables, writer)`` against the replica with a dry writer (nothing is sent)."""
        self.connect()
        with self.conn.lock:
            return fn(Tables(self.idl), Writer(self.idl, None))

    def write(self, fn):
        """Run ``fn(tables, writer)`` in one transaction and commit it, retrying across leader
        changes and reconnects; returns what ``fn`` returned on the attempt that committed."""
        last = None
        for attempt in range(self.retries + 1):
            try:
                self.connect()
                command = _ReconcileCommand(self, fn)
                txn = ovsdbapp_transaction.Transaction(self, self.conn, timeout=self.timeout,
                                                       check_error=True, log_errors=False)
                txn.add(command)
                txn.commit()
                return command.result
            except ModuleFailure:
                raise
            except Exception as exc:  # pylint: disable=broad-except
                if not _retryable(exc):
                    raise OvnError("%s transaction failed: %s" % (self.schema, exc))
                last = exc
                # Drop the connection: the next attempt re-reads the database from whichever
                # member leads now and re-plans, so a commit that did land is not repeated.
                self.close()
                time.sleep(min(0.5 * (2 ** attempt), 5.0))
        raise OvnError("%s transaction did not commit after %d attempts: %s"
                       % (self.schema, self.retries + 1, last))


def _retryable(exc):
    if OVSDBAPP_IMPORT_ERROR is None and isinstance(exc, ovsdbapp_exceptions.TimeoutException):
        return True
    if isinstance(exc, (OSError, socket.error)):
        return True
    if isinstance(exc, OvnError):
        return True
    text = str(exc).lower()
    return any(m in text for m in _RETRYABLE_MESSAGES)


# --- value helpers shared by the modules -------------------------------------------------------
def optional(value):
    """An optional (0..1) OVSDB column as python-ovs wants it."""
    return [] if value is None else [value]


def str_map(value):
    return dict((str(k), str(v)) for k, v in (value or {}).items())


def column_changes(row, desired, current=None):
    """The subset of ``desired`` (column -> value, already normalised) that differs from ``row``;
    ``current(row, column)`` reads a column in the same normal form (default: plain getattr)."""
    out = {}
    for column, value in desired.items():
        have = current(row, column) if current else getattr(row, column)
        if normal(have) != normal(value):
            out[column] = value
    return out


def normal(value):
    """Comparable form: sets as sorted lists, rows as uuids."""
    if isinstance(value, dict):
        return sorted((normal(k), normal(v)) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return sorted((normal(v) for v in value), key=repr)
    if hasattr(value, "uuid") and not isinstance(value, (str, bytes)):
        return str(value.uuid)
    return value


def row_summary(row, columns):
    """A plain dict of some columns of a row (for diff and return values)."""
    out = {}
    for column in columns:
        value = getattr(row, column)
        if isinstance(value, list):
            value = [str(v.uuid) if hasattr(v, "uuid") else v for v in value]
        out[column] = value
    return out


def sync_named_children(writer, tables, *, child_table, parent_table, parent_column, parent_key,
                        items, build, extra_parents=None, diff=None, kind="port"):
    """Declare named child rows (switch ports, router ports) that live in a parent's set column.

    ``items`` are dicts with ``name``, ``state`` and ``parent_key`` (the parent's name); ``build(item)``
    returns the managed columns for a present item. Children move when their parent changes. Returns
    (created, updated, deleted) name lists; ``diff`` (a dict with before/after) is filled in.
    """
    parents = dict(tables.by_name(parent_table))
    parents.update(extra_parents or {})
    children = tables.by_name(child_table)
    owner = {}
    for parent in tables.rows(parent_table):
        # Rows inserted earlier in this transaction have no columns to read yet.
        for child in getattr(parent, parent_column, None) or ():
            owner[child.uuid] = parent
    created, updated, deleted = [], [], []
    for item in items:
        name = item["name"]
        row = children.get(name)
        if item["state"] == "absent":
            if row is not None:
                parent = owner.get(row.uuid)
                if parent is not None:
                    writer.del_ref(parent, parent_column, row)
                writer.delete(row)
                deleted.append(name)
                if diff is not None:
                    diff["before"][name] = {parent_key: parent.name if parent is not None else None}
            continue
        parent = parents.get(item[parent_key])
        if parent is None:
            raise ModuleFailure("%s %s: %s %s does not exist" % (kind, name, parent_key, item[parent_key]))
        columns = build(item)
        if row is None:
            columns = dict(columns, name=name)
            row = writer.insert(child_table, columns)
            writer.add_ref(parent, parent_column, row)
            created.append(name)
            if diff is not None:
                diff["after"][name] = dict(_plain(columns), **{parent_key: item[parent_key]})
            continue
        changes = column_changes(row, columns)
        old_parent = owner.get(row.uuid)
        moved = old_parent is None or old_parent is not parent
        if moved:
            if old_parent is not None:
                writer.del_ref(old_parent, parent_column, row)
            writer.add_ref(parent, parent_column, row)
            writer.changes += 1
        if changes:
            writer.update(row, changes)
        if changes or moved:
            updated.append(name)
            if diff is not None:
                before = dict((c, _plain(getattr(row, c))) for c in changes)
                after = _plain(changes)
                if moved:
                    before[parent_key] = old_parent.name if old_parent is not None else None
                    after[parent_key] = item[parent_key]
                diff["before"][name] = before
                diff["after"][name] = after
    return created, updated, deleted


def identity(columns, key_columns):
    """The identity of an unnamed row (route, NAT rule, ACL): its key columns in normal form.
    ``columns`` is a desired-column dict or a row."""
    get = columns.get if isinstance(columns, dict) else (lambda c: getattr(columns, c))
    return tuple(repr(normal(get(c))) for c in key_columns)


def sync_keyed_children(writer, parent, *, column, table, desired, key_columns, purge, diff=None,
                        label=""):
    """Declare unnamed child rows (routes, NAT rules, ACLs) of one parent.

    ``desired`` maps identity(columns, key_columns) -> (state, columns, readable name). With
    ``purge`` every child not declared present goes.
    Returns (created, updated, deleted) counts; ``diff`` lists are extended with readable keys."""
    existing = {}
    for child in getattr(parent, column, None) or ():
        existing.setdefault(identity(child, key_columns), []).append(child)
    created = updated = deleted = 0
    for ident, (state, columns, readable) in desired.items():
        rows = existing.pop(ident, [])
        if state == "absent":
            for row in rows:
                writer.del_ref(parent, column, row)
                writer.delete(row)
                deleted += 1
                _diff_add(diff, "before", label, readable)
            continue
        if not rows:
            row = writer.insert(table, columns)
            writer.add_ref(parent, column, row)
            created += 1
            _diff_add(diff, "after", label, readable)
            continue
        # Duplicates of a declared rule are removed: the declaration says "exactly one".
        for extra in rows[1:]:
            writer.del_ref(parent, column, extra)
            writer.delete(extra)
            deleted += 1
        changes = column_changes(rows[0], columns)
        if changes:
            writer.update(rows[0], changes)
            updated += 1
            _diff_add(diff, "before", label, readable)
            _diff_add(diff, "after", label, readable)
    if purge:
        for ident, rows in existing.items():
            for row in rows:
                # Read before deleting: a deleted row's columns cannot be read any more.
                _diff_add(diff, "before", label, " ".join(str(getattr(row, c)) for c in key_columns))
                writer.del_ref(parent, column, row)
                writer.delete(row)
                deleted += 1
    return created, updated, deleted


def _diff_add(diff, side, label, ident):
    if diff is not None:
        diff[side].setdefault(label, []).append(ident)


def _plain(value):
    if isinstance(value, dict):
        return dict((k, _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "uuid") and not isinstance(value, (str, bytes)):
        return getattr(value, "name", str(value.uuid))
    return value


# --- validation (runs before any connection is opened) -----------------------------------------
def valid_mac(text):
    parts = text.split(":")
    return len(parts) == 6 and all(len(p) == 2 and all(c in "0123456789abcdefABCDEF" for c in p)
                                   for p in parts)


def valid_ip(text, network=False):
    import ipaddress
    if "/" in text and not network:
        return False
    try:
        if network:
            ipaddress.ip_interface(text)
        else:
            ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def check_address_set(where, entry, allow_networks, keywords=()):
    """``MAC [IP...]`` as OVN uses for LSP addresses / port_security; returns an error or None."""
    tokens = entry.split()
    if not tokens:
        return "%s: empty address entry" % where
    if tokens[0] in keywords:
        return None if len(tokens) == 1 else "%s: %r takes no further tokens" % (where, tokens[0])
    if not valid_mac(tokens[0]):
        return "%s: %r is not a MAC address (in %r)" % (where, tokens[0], entry)
    for tok in tokens[1:]:
        if tok == "dynamic" and "dynamic" in keywords:
            continue
        if not valid_ip(tok, network=allow_networks):
            return "%s: %r is not an IP address (in %r)" % (where, tok, entry)
    return None


def check_unique(items, key, what):
    seen = set()
    for item in items:
        ident = key(item)
        if ident in seen:
            raise ModuleFailure("%s %s is declared twice" % (what, ident))
        seen.add(ident)


# --- raft cluster status -------------------------------------------------------------------------
def parse_cluster_status(text):
    """``ovs-appctl cluster/status DB`` output as a dict (ids are the 4-hex-digit short forms)."""
    import re
    info = {"servers": []}
    in_servers = False
    for line in text.splitlines():
        if in_servers:
            m = re.match(r"^\s+([0-9a-f]+) \(([0-9a-f]+) at ([^)]+)\)( \(self\))?", line)
            if m:
                info["servers"].append({"id": m.group(1), "address": m.group(3), "self": bool(m.group(4))})
                continue
            in_servers = False
        if line.startswith("Servers:"):
            in_servers = True
            continue
        m = re.match(r"^([A-Za-z][A-Za-z ]*): (.*)$", line)
        if not m:
            continue
        key, value = m.group(1).strip().lower().replace(" ", "_"), m.group(2).strip()
        info[key] = value
    for key in ("cluster_id", "server_id"):
        if key in info:
            info[key] = info[key].split(" ")[0]
    if "term" in info:
        info["term"] = int(info["term"])
    if "election_timer" in info:
        # "1000", or "1000 (changing to 2000)" while a change is being committed
        timer = re.match(r"(\d+)(?: \(changing to (\d+)\))?", info["election_timer"])
        info["election_timer"] = int(timer.group(1))
        if timer.group(2):
            info["election_timer_changing_to"] = int(timer.group(2))
    log = re.match(r"\[(\d+), (\d+)\]", info.get("log", ""))
    if log:
        # "Log: [first, next)" - the last entry's index is next - 1.
        info["log"] = [int(log.group(1)), int(log.group(2))]
        info["index"] = int(log.group(2)) - 1
    if info.get("leader") == "self":
        info["leader"] = info.get("server_id")
    return info
