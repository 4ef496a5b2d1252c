"""Small helpers for tests that talk to the lab's Kubernetes API (beyond the `kube` fixture)."""
from __future__ import annotations

import json
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
