"""Small helpers for tests that talk to the lab's Kubernetes API (beyond the `kube` fixture)."""
from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

DELETE = object()  # set_path(..., DELETE) removes the key


def set_path(doc: dict, path: tuple | list, value: Any) -> None:
    """Set (or with DELETE remove) ``doc[path[0]][path[1]]…`` in place."""
    *parents, leaf = path
    for key in parents:
        doc = doc[key]
    if value is DELETE:
        del doc[leaf]
    else:
        doc[leaf] = value


def token_kubeconfig(kube, token: str, path: Path, user: str = "token-user") -> Path:
    """A kubeconfig for the lab API that authenticates with ``token`` only (no client cert)."""
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": user,
        "clusters": [{"name": "lab", "cluster": {"server": kube.server,
                                                 "certificate-authority": str(kube.ca_file)}}],
        "users": [{"name": user, "user": {"token": token}}],
        "contexts": [{"name": user, "context": {"cluster": "lab", "user": user}}]}))
    path.chmod(0o600)
    return path


def existing(kube, namespace: str | None, resource: str, name: str) -> dict:
    """The object (read in process, see ApiReader); LookupError if it does not exist."""
    obj = kube.get(namespace, resource, name)
    if obj is None:
        raise LookupError(f"{resource}/{name} does not exist" + (f" in namespace {namespace}" if namespace else ""))
    return obj


class ApiReader:
    """``kubectl get TYPE NAME -o json``, read in this process: tests poll objects, and a kubectl
    process costs about 0.09 CPU-s, so a poll every second kept a tenth of a CPU busy per waiter.

    TYPE resolves as kubectl resolves it: a plural, singular or short name or the kind, optionally
    qualified by its API group (``grants.k8s.mariadb.com``), at the group's preferred version. The
    discovery is read once and again when a TYPE is unknown (a CRD installed since)."""

    def __init__(self, api_client):
        self._api = api_client
        self._types: dict[str, tuple[str, str, bool]] = {}
        self._lock = threading.Lock()

    def get(self, namespace: str | None, resource: str, name: str) -> dict | None:
        base, plural, namespaced = self._resolve(resource)
        scope = f"/namespaces/{namespace}" if namespaced and namespace else ""
        obj = self._call(f"{base}{scope}/{plural}/{name}", absent_ok=True)
        if obj is not None:  # as kubectl shows it (without --show-managed-fields)
            obj["metadata"].pop("managedFields", None)
        return obj

    def _call(self, path: str, absent_ok: bool = False) -> dict | None:
        request = self._api.param_serialize("GET", path, auth_settings=["BearerToken"],
                                            header_params={"Accept": "application/json"})
        response = self._api.call_api(*request)
        body = response.read()
        if response.status == 404 and absent_ok:
            return None
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status}: {body[:500]!r}")
        return json.loads(body)

    def _resolve(self, resource: str) -> tuple[str, str, bool]:
        with self._lock:
            if resource.lower() not in self._types:
                self._types = self._discover()
            try:
                return self._types[resource.lower()]
            except KeyError:
                raise LookupError(f"the apiserver serves no resource type {resource!r}") from None

    def _discover(self) -> dict[str, tuple[str, str, bool]]:
        types: dict[str, tuple[str, str, bool]] = {}
        # Every served version, the group's preferred one first (it wins a name both serve): a
        # kind may be served only in another version of the group than its preferred one.
        versions = [("", "/api/v1")]
        for g in self._call("/apis")["groups"]:
            preferred = g["preferredVersion"]["version"]
            versions += [(g["name"], f"/apis/{g['name']}/{v}")
                         for v in [preferred] + [v["version"] for v in g["versions"] if v["version"] != preferred]]
        for group, base in versions:  # the core group first: it wins a shared short name
            for res in self._call(base)["resources"]:
                if "/" in res["name"]:  # a subresource
                    continue
                entry = (base, res["name"], res["namespaced"])
                for alias in {res["name"], res.get("singularName") or "", res["kind"].lower(),
                              *res.get("shortNames", [])} - {""}:
                    types.setdefault(alias, entry)
                    if group:
                        types.setdefault(f"{alias}.{group}", entry)
        return types
