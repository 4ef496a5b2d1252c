"""Make the collection's module_utils importable: the operator and the ``cr_status`` module
share one condition-merge implementation."""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

_NAME = "ansible_collections.c5c3.cobaltcore.plugins.module_utils.k8s_status"


def ensure_importable() -> None:
    if _found():
        return
    repo = Path(__file__).resolve().parents[2]
    candidates = [p for p in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep) if p]
    candidates += [str(repo / ".collections"), str(Path.home() / ".ansible" / "collections"),
                   "/usr/share/ansible/collections"]
    for candidate in candidates:
        if (Path(candidate) / "ansible_collections" / "c5c3" / "cobaltcore").is_dir():
            sys.path.append(candidate)
            importlib.invalidate_caches()
            if _found():
                return
    raise ImportError("collection c5c3.cobaltcore not found; set ANSIBLE_COLLECTIONS_PATH")


def _found() -> bool:
    try:
        return importlib.util.find_spec(_NAME) is not None
    except ModuleNotFoundError:
        return False
