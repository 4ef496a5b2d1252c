"""Load and validate the declarative kind → playbook mapping (operator/mappings.yaml)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cobaltcore_operator.settings import KindMapping

_KEYS = {"apiVersion", "kind", "plural", "playbook", "role", "vars", "concurrency", "timeoutSeconds",
         "finalizer", "driftCheckSeconds", "secrets"}


class MappingError(ValueError):
    pass


def load_mappings(path: Path, project_dir: Path) -> tuple[KindMapping, ...]:
    doc = yaml.safe_load(Path(path).read_text()) or {}
    entries = doc.get("kinds") or []
    if not isinstance(entries, list):
        raise MappingError(f"{path}: 'kinds' must be a list")
    mappings = tuple(_entry(i, e, project_dir) for i, e in enumerate(entries))
    seen: set[str] = set()
    for m in mappings:
        if m.id in seen:
            raise MappingError(f"{path}: {m.kind} ({m.id}) is mapped twice")
        seen.add(m.id)
    return mappings


def _entry(index: int, entry: Any, project_dir: Path) -> KindMapping:
    where = f"kinds[{index}]"
    if not isinstance(entry, dict):
        raise MappingError(f"{where}: must be a mapping")
    unknown = set(entry) - _KEYS
    if unknown:
        raise MappingError(f"{where}: unknown keys {sorted(unknown)}")
    for key in ("apiVersion", "kind", "plural"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise MappingError(f"{where}: '{key}' is required")
    group, _, version = entry["apiVersion"].rpartition("/")
    if bool(entry.get("playbook")) == bool(entry.get("role")):
        raise MappingError(f"{where} ({entry['kind']}): give exactly one of 'playbook' or 'role'")
    finalizer = entry.get("finalizer") or {}
    if not isinstance(finalizer, dict) or (finalizer and not finalizer.get("playbook")):
        raise MappingError(f"{where}: 'finalizer' must be a mapping with a 'playbook'")
    playbooks = [p for p in (entry.get("playbook"), finalizer.get("playbook")) if p]
    for playbook in playbooks:
        if not (project_dir / playbook).is_file():
            raise MappingError(f"{where}: playbook {playbook} not found under {project_dir}")
    for key in ("vars",):
        if not isinstance(entry.get(key) or {}, dict):
            raise MappingError(f"{where}: '{key}' must be a mapping")
    secrets = entry.get("secrets") or []
    if not isinstance(secrets, list) or not all(isinstance(s, str) and s for s in secrets):
        raise MappingError(f"{where}: 'secrets' must be a list of names or spec paths")
    concurrency = int(entry.get("concurrency", 2))
    if concurrency < 1:
        raise MappingError(f"{where}: 'concurrency' must be at least 1")
    timeout = entry.get("timeoutSeconds")
    return KindMapping(
        group=group, version=version, kind=entry["kind"], plural=entry["plural"],
        playbook=entry.get("playbook"), role=entry.get("role"), vars=dict(entry.get("vars") or {}),
        concurrency=concurrency, finalizer_playbook=finalizer.get("playbook"),
        finalizer_vars=dict(finalizer.get("vars") or {}),
        drift_check_seconds=float(entry.get("driftCheckSeconds") or 0),
        secrets=tuple(secrets), timeout_seconds=float(timeout) if timeout else None,
    )


def secret_names(mapping: KindMapping, body: dict[str, Any]) -> list[str]:
    """Names of the Secrets (in the object's namespace) that enter the desired-state hash.

    An entry starting with ``spec.`` is a dotted path into the object whose value is the name;
    anything else is a name in which ``{name}`` stands for the object's name.
    """
    names = []
    for entry in mapping.secrets:
        if entry.startswith("spec."):
            value: Any = body
            for part in entry.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if isinstance(value, str) and value:
                names.append(value)
        else:
            names.append(entry.replace("{name}", body["metadata"]["name"]))
    return sorted(set(names))
