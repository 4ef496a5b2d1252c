#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: fernet_keys
short_description: Create, validate, rotate and promote Keystone fernet and credential key repositories
version_added: "0.1.0"
description:
  - Manages a Keystone key repository with keystone's own semantics (C(keystone-manage fernet_setup)
    and C(fernet_rotate)) either in a directory or in a Kubernetes Secret.
  - Key C(0) is the staged key, the highest index is the primary key that encrypts, the others are
    secondary keys that still decrypt. A rotation turns the staged key into the new primary with
    index C(max + 1), creates a new staged key C(0) and removes the oldest secondary keys so that
    O(max_active_keys) keys remain.
  - A directory keeps keystone's layout (one file per key, named by its index), so keystone reads it
    as it is. Every file is written to a temporary file, synced and renamed into place; the new
    primary lands before key C(0) is replaced and old keys are removed last.
  - A Secret holds one data key per key index (C("0"), C("1"), ...). Updates carry the
    resourceVersion that was read, so a concurrent writer makes this module fail instead of losing
    keys.
  - Existing repositories are validated first. Malformed keys, non-numeric names, a missing key C(0)
    or an unwritable target make the module fail before anything is changed.
  - Key material is never returned, logged or shown in a diff; only key indices are.
author:
  - CobaltCore for Ansible maintainers (@c5c3)
options:
  key_type:
    description:
      - Which repository this is; only used in messages (fernet token keys or credential keys share
        the format and the rotation rules).
    type: str
    choices: [fernet, credential]
    default: fernet
  state:
    description:
      - V(present) creates the initial repository (keys C(0) and C(1)) when there is none and
        otherwise validates it without changing keys.
      - V(rotated) performs one rotation. With O(staging_path) or O(staging_secret_name) the rotated
        repository is written to the staging location instead and production is left alone.
      - V(promoted) validates the staging repository given by O(staging_path) or
        O(staging_secret_name) and replaces the production repository with it. Staging must be a
        rotation of production (its primary is production's staged key and production's primary is
        still present); an empty staging repository promotes nothing.
      - V(absent) removes the repository.
    type: str
    choices: [present, rotated, promoted, absent]
    default: present
  path:
    description:
      - Directory of the production repository, for example C(/etc/keystone/fernet-keys).
      - Its parent directory must exist. Mutually exclusive with O(secret_name).
    type: path
  secret_name:
    description:
      - Name of the Kubernetes Secret holding the production repository. Mutually exclusive with
        O(path).
    type: str
  secret_namespace:
    description:
      - Namespace of O(secret_name) and O(staging_secret_name). Required when either is set.
    type: str
  kubeconfig:
    description:
      - Kubeconfig file for the Kubernetes API. Without it the in-cluster service account is used
        when available, else the default kubeconfig (E(KUBECONFIG) or C(~/.kube/config)).
    type: path
  staging_path:
    description:
      - Directory of the staging repository, for O(state=promoted) (source) and O(state=rotated)
        (destination). Mutually exclusive with O(staging_secret_name).
    type: path
  staging_secret_name:
    description:
      - Secret (in O(secret_namespace)) of the staging repository, for O(state=promoted) (source)
        and O(state=rotated) (destination).
    type: str
  max_active_keys:
    description:
      - Keys kept after a rotation, the staged key included, as keystone's
        C([fernet_tokens] max_active_keys). Values below 3 are refused.
    type: int
    default: 3
  owner:
    description:
      - Owner of the directory and key files (name or uid), usually the keystone user.
      - Directory back-end only; by default the owner is left as it is.
    type: str
  group:
    description:
      - Group of the directory and key files (name or gid). Directory back-end only.
    type: str
  mode:
    description:
      - Mode of the key files as an octal string. The directory gets the same bits plus the search
        bit wherever read is granted (C(0600) gives C(0700)). Directory back-end only.
    type: str
    default: "0600"
  labels:
    description:
      - Labels the Secret must carry (other labels are kept). Secret back-end only.
    type: dict
    default: {}
  annotations:
    description:
      - Annotations the Secret must carry (others are kept). Secret back-end only.
    type: dict
    default: {}
requirements:
  - kubernetes (Python client), for the Secret back-end only
notes:
  - The module writes the production repository from one place only; a rotation job should write
    a staging repository which this module validates and promotes (O(state=promoted)).
  - O(state=rotated) always changes the repository, like C(keystone-manage fernet_rotate).
attributes:
  check_mode:
    description: Reports what would change; writes no key, no directory, no Secret.
    support: full
  diff_mode:
    description: Shows key indices and the primary index before and after, never key material.
    support: full
"""

EXAMPLES = r"""
- name: Create the fernet key repository of a host keystone
  c5c3.cobaltcore.fernet_keys:
    path: /etc/keystone/fernet-keys
    owner: keystone
    group: keystone

- name: Create the credential keys Secret of a Keystone CR
  c5c3.cobaltcore.fernet_keys:
    key_type: credential
    secret_name: keystone-credential-keys
    secret_namespace: openstack
    max_active_keys: 3
    labels:
      app.kubernetes.io/name: keystone

- name: Promote what the rotation CronJob staged
  c5c3.cobaltcore.fernet_keys:
    secret_name: keystone-fernet-keys
    staging_secret_name: keystone-fernet-keys-rotation
    secret_namespace: openstack
    state: promoted

- name: Rotate the fernet keys of a host keystone
  c5c3.cobaltcore.fernet_keys:
    path: /etc/keystone/fernet-keys
    owner: keystone
    group: keystone
    state: rotated
"""

RETURN = r"""
keys:
  description: Key indices of the production repository after the task (empty when absent).
  returned: always
  type: list
  elements: int
  sample: [0, 1, 2]
primary:
  description: Index of the primary key (the highest index), or null when there is no repository.
  returned: always
  type: int
  sample: 2
staged:
  description: Index of the staged key (always 0), or null when there is no repository.
  returned: always
  type: int
  sample: 0
staging_keys:
  description: Key indices of the staging repository, for O(state=promoted) and a staged O(state=rotated).
  returned: when a staging repository is used
  type: list
  elements: int
  sample: [0, 2, 3]
"""

import base64
import grp
import os
import pwd
import stat
import tempfile

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.files import atomic_write, fsync_dir
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.kube import kube_api_client
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.fernet import (
    KeyRepositoryError, check_max_active_keys, check_promotion, initial_repository,
    parse_repository, rotate, summary, write_plan)

try:
    import kubernetes
    from kubernetes.client.rest import ApiException
    KUBERNETES_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - only without the client
    kubernetes = None
    ApiException = Exception
    KUBERNETES_IMPORT_ERROR = exc

_TEMP_PREFIX = ".fernet_keys-"


class DirectoryRepository(object):
    """Keystone's on-disk layout: ``<path>/<index>`` files holding one key each."""

    def __init__(self, path, owner=None, group=None, mode=0o600):
        self.path = path
        self.uid = _resolve(owner, pwd.getpwnam, "pw_uid", "user")
        self.gid = _resolve(group, grp.getgrnam, "gr_gid", "group")
        self.file_mode = mode
        self.dir_mode = mode | ((mode & 0o444) >> 2)
        self.label = "directory %s" % path

    def read(self):
        """Raw ``{name: bytes}`` or None when there is no repository (missing or empty dir)."""
        if not os.path.lexists(self.path):
            return None
        if not os.path.isdir(self.path):
            raise KeyRepositoryError("%s exists and is not a directory" % self.path)
        entries = {}
        for name in os.listdir(self.path):
            full = os.path.join(self.path, name)
            if not stat.S_ISREG(os.lstat(full).st_mode):
                raise KeyRepositoryError("%s: %r is not a regular file" % (self.label, name))
            with open(full, "rb") as handle:
                entries[name] = handle.read()
        return entries or None

    def check_writable(self):
        """Prove we can create, sync and remove a file where keys go, before touching any key."""
        where = self.path if os.path.isdir(self.path) else os.path.dirname(self.path.rstrip("/"))
        if not os.path.isdir(where):
            raise KeyRepositoryError("cannot create %s: parent directory %s does not exist"
                                     % (self.path, where))
        try:
            fd, probe = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=where)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise KeyRepositoryError("%s is not writable: %s" % (where, exc.strerror or exc))

    def metadata_drift(self, keys):
        """True when the directory or a key file has the wrong owner, group or mode."""
        paths = [(self.path, self.dir_mode)] + [(self._file(i), self.file_mode) for i in keys]
        for path, mode in paths:
            if not os.path.exists(path):
                return True
            st = os.stat(path)
            if stat.S_IMODE(st.st_mode) != mode or (self.uid is not None and st.st_uid != self.uid) \
                    or (self.gid is not None and st.st_gid != self.gid):
                return True
        return False

    def write(self, current, target):
        if not os.path.isdir(self.path):
            os.mkdir(self.path, self.dir_mode)
        self._fix(self.path, self.dir_mode)
        writes, deletes = write_plan(current, target)
        for index in writes:
            self._write_key(index, target[index])
        # Also sweeps keys this task did not validate (a staging directory is overwritten wholesale).
        deletes = sorted(set(deletes) | set(
            int(name) for name in os.listdir(self.path) if name.isdigit() and int(name) not in target))
        for index in deletes:
            os.unlink(self._file(index))
        for index in target:
            self._fix(self._file(index), self.file_mode)
        fsync_dir(self.path)

    def delete(self):
        if not os.path.isdir(self.path):
            return
        names = os.listdir(self.path)
        foreign = sorted(n for n in names if not n.isdigit())
        if foreign:
            raise KeyRepositoryError("%s holds files that are not keys (%s); refusing to remove it"
                                     % (self.label, ", ".join(foreign)))
        for name in sorted(names, key=int):
            os.unlink(os.path.join(self.path, name))
        os.rmdir(self.path)

    def _file(self, index):
        return os.path.join(self.path, str(index))

    def _fix(self, path, mode):
        os.chmod(path, mode)
        if self.uid is not None or self.gid is not None:
            os.chown(path, -1 if self.uid is None else self.uid, -1 if self.gid is None else self.gid)

    def _write_key(self, index, key):
        # keystone writes the bare key, without a newline; so do we.
        atomic_write(self._file(index), key.encode("ascii"), self.file_mode, self.uid, self.gid, _TEMP_PREFIX)


class SecretRepository(object):
    """A Secret with data keys "0", "1", ...; writes are conditional on the resourceVersion read."""

    def __init__(self, api, name, namespace, labels=None, annotations=None):
        self.api = api
        self.name = name
        self.namespace = namespace
        self.labels = labels or {}
        self.annotations = annotations or {}
        self.label = "Secret %s/%s" % (namespace, name)
        self.secret = None

    def read(self):
        try:
            self.secret = self.api.read_namespaced_secret(self.name, self.namespace)
        except ApiException as exc:
            if exc.status == 404:
                self.secret = None
                return None
            raise KeyRepositoryError("cannot read %s: %s" % (self.label, _api_reason(exc)))
        data = self.secret.data or {}
        return dict((name, base64.b64decode(value)) for name, value in data.items()) or None

    def check_writable(self):
        # A Secret is written in one request, so a refused write changes nothing; no probe needed.
        return None

    def metadata_drift(self, keys):
        meta = self.secret.metadata if self.secret is not None else None
        labels = (meta.labels if meta else None) or {}
        annotations = (meta.annotations if meta else None) or {}
        return any(labels.get(k) != v for k, v in self.labels.items()) or \
            any(annotations.get(k) != v for k, v in self.annotations.items())

    def write(self, current, target):
        data = dict((str(i), base64.b64encode(k.encode("ascii")).decode("ascii")) for i, k in target.items())
        try:
            if self.secret is None:
                body = kubernetes.client.V1Secret(
                    metadata=kubernetes.client.V1ObjectMeta(
                        name=self.name, namespace=self.namespace,
                        labels=self.labels or None, annotations=self.annotations or None),
                    type="Opaque", data=data)
                self.secret = self.api.create_namespaced_secret(self.namespace, body)
            else:
                body = self.secret
                body.data = data
                body.metadata.labels = dict(body.metadata.labels or {}, **self.labels) or None
                body.metadata.annotations = dict(body.metadata.annotations or {}, **self.annotations) or None
                # replace (PUT) with the resourceVersion we read: 409 if anyone wrote in between.
                self.secret = self.api.replace_namespaced_secret(self.name, self.namespace, body)
        except ApiException as exc:
            raise KeyRepositoryError(_conflict_message(self.label, exc))

    def delete(self):
        options = kubernetes.client.V1DeleteOptions(preconditions=kubernetes.client.V1Preconditions(
            resource_version=self.secret.metadata.resource_version, uid=self.secret.metadata.uid))
        try:
            self.api.delete_namespaced_secret(self.name, self.namespace, body=options)
        except ApiException as exc:
            if exc.status != 404:
                raise KeyRepositoryError(_conflict_message(self.label, exc))


def _conflict_message(label, exc):
    if exc.status == 409:
        return ("%s was changed or created by another writer while this task ran; nothing was "
                "written, run again to act on the current keys" % label)
    return "cannot write %s: %s" % (label, _api_reason(exc))


def _api_reason(exc):
    return "HTTP %s %s" % (exc.status, exc.reason)


def _resolve(value, lookup, attr, what):
    if value is None:
        return None
    if str(value).isdigit():
        return int(value)
    try:
        return getattr(lookup(value), attr)
    except KeyError:
        raise KeyRepositoryError("unknown %s %r" % (what, value))


class FernetKeys(CobaltCoreModule):
    argument_spec = dict(
        key_type=dict(type="str", choices=["fernet", "credential"], default="fernet"),
        state=dict(type="str", choices=["present", "rotated", "promoted", "absent"], default="present"),
        path=dict(type="path"),
        secret_name=dict(type="str"),
        secret_namespace=dict(type="str", no_log=False),
        kubeconfig=dict(type="path"),
        staging_path=dict(type="path"),
        staging_secret_name=dict(type="str"),
        max_active_keys=dict(type="int", default=3, no_log=False),
        owner=dict(type="str"),
        group=dict(type="str"),
        mode=dict(type="str", default="0600"),
        labels=dict(type="dict", default={}),
        annotations=dict(type="dict", default={}),
    )
    module_kwargs = dict(
        mutually_exclusive=[("path", "secret_name"), ("staging_path", "staging_secret_name")],
        required_one_of=[("path", "secret_name")],
        required_if=[("state", "promoted", ("staging_path", "staging_secret_name"), True)],
        required_by={"secret_name": "secret_namespace", "staging_secret_name": "secret_namespace"},
    )

    def run(self):
        try:
            self._run()
        except KeyRepositoryError as exc:
            self.fail(str(exc))

    def _run(self):
        p = self.params
        check_max_active_keys(p["max_active_keys"])
        production = self._repository(p["path"], p["secret_name"], p["labels"], p["annotations"])
        staging = None
        if p["staging_path"] or p["staging_secret_name"]:
            if p["state"] not in ("rotated", "promoted"):
                self.fail("staging_path/staging_secret_name only apply to state=rotated or promoted")
            staging = self._repository(p["staging_path"], p["staging_secret_name"], {}, {})

        state = p["state"]
        if state == "absent":
            return self._absent(production)
        current = self._load(production, "%s keys in %s" % (p["key_type"], production.label))

        if state == "present":
            target = current if current is not None else initial_repository()
            return self._commit(production, current, target)

        if state == "rotated":
            if current is None:
                self.fail("%s has no %s keys to rotate; create them with state=present first"
                          % (production.label, p["key_type"]))
            target = rotate(current, p["max_active_keys"])
            if staging is None:
                return self._commit(production, current, target)
            # Stage only: the promotion validates and writes production. Whatever staging held
            # before is replaced wholesale, so it is read (for its resourceVersion) but not judged.
            before = staging.read()
            self._commit(staging, None, target, report=False)
            self.results["staging_keys"] = summary(target)["keys"]
            self.results.update(summary(current))
            self.diff["before"] = {"staging_keys": sorted(before or {})}
            self.diff["after"] = {"staging_keys": summary(target)["keys"]}
            return None

        # promoted
        source = self._load(staging, "staging %s keys in %s" % (p["key_type"], staging.label))
        self.results["staging_keys"] = summary(source)["keys"]
        if source is None:
            return self._report(current, current)
        check_promotion(current, source, p["max_active_keys"])
        return self._commit(production, current, source)

    def _repository(self, path, secret_name, labels, annotations):
        if path:
            mode = self.params["mode"]
            try:
                mode = int(mode, 8)
            except ValueError:
                self.fail("mode must be an octal string such as 0600, got %r" % mode)
            if mode & ~0o777 or not mode & 0o400:
                self.fail("mode must be at most 0777 and let the owner read, got %s" % self.params["mode"])
            return DirectoryRepository(path, self.params["owner"], self.params["group"], mode)
        return SecretRepository(self._core_api(), secret_name, self.params["secret_namespace"],
                                labels, annotations)

    def _core_api(self):
        if not hasattr(self, "_api"):
            if KUBERNETES_IMPORT_ERROR is not None:
                self.fail("the kubernetes Python client is required for the Secret back-end: %s"
                          % KUBERNETES_IMPORT_ERROR)
            self._api = kubernetes.client.CoreV1Api(kube_api_client(self.params["kubeconfig"]))
        return self._api

    def _load(self, repository, where):
        entries = repository.read()
        if entries is None:
            return None
        keys = parse_repository(entries, where)
        # Belt and braces: should material ever reach a result or an error, Ansible masks it.
        self.module.no_log_values.update(keys.values())
        return keys

    def _commit(self, repository, current, target, report=True):
        self.module.no_log_values.update(target.values())
        needs_keys = current != target
        if needs_keys or repository.metadata_drift(target):
            self.changed = True
            if not self.check_mode:
                repository.check_writable()
                repository.write(current, target)
        if report:
            self._report(current, target)

    def _report(self, before, after):
        self.results.update(summary(after))
        self.diff["before"] = _diff_view(before)
        self.diff["after"] = _diff_view(after)

    def _absent(self, repository):
        entries = repository.read()
        foreign = sorted(n for n in entries or {} if not n.isdigit())
        if foreign and isinstance(repository, DirectoryRepository):
            self.fail("%s holds files that are not keys (%s); refusing to remove it"
                      % (repository.label, ", ".join(foreign)))
        exists = entries is not None or getattr(repository, "secret", None) is not None or \
            (isinstance(repository, DirectoryRepository) and os.path.isdir(repository.path))
        if exists:
            self.changed = True
            if not self.check_mode:
                repository.delete()
        before = dict((int(n), None) for n in entries or {} if n.isdigit())
        self.results.update(summary(None))
        self.diff["before"] = _diff_view(before or None)
        self.diff["after"] = _diff_view(None)


def _diff_view(keys):
    view = summary(keys)
    return {"keys": view["keys"], "primary": view["primary"]}


def main():
    FernetKeys()()


if __name__ == "__main__":
    main()
