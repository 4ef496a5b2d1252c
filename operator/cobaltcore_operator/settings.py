"""Operator settings as dataclasses grouped by concern, and the kind mapping they drive.

Everything the operator does is decided here or in ``mappings.yaml``; the code knows nothing
about what the playbooks deploy.
"""
from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclasses.dataclass(frozen=True)
class KindMapping:
    """One custom resource kind and the playbook (or role) that reconciles it."""

    group: str
    version: str
    kind: str
    plural: str
    playbook: str | None = None
    role: str | None = None
    vars: dict[str, Any] = dataclasses.field(default_factory=dict)
    concurrency: int = 2
    finalizer_playbook: str | None = None
    finalizer_vars: dict[str, Any] = dataclasses.field(default_factory=dict)
    drift_check_seconds: float = 0.0
    secrets: tuple[str, ...] = ()
    timeout_seconds: float | None = None

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def id(self) -> str:
        return f"{self.plural}.{self.group}"


@dataclasses.dataclass(frozen=True)
class RunSettings:
    """How playbook runs are scheduled."""

    concurrency: int = 4              # global cap on simultaneous ansible runs
    timeout_seconds: float = 1800.0   # per run, unless the mapping says otherwise
    backoff_seconds: float = 5.0      # first retry delay after a failed run, doubled each time
    backoff_max_seconds: float = 300.0
    progress_interval_seconds: float = 1.0  # at most one progress patch per object this often
    verbosity: int = 0


@dataclasses.dataclass(frozen=True)
class ArtifactSettings:
    """Where ansible-runner may write, and how much of it survives a run."""

    work_dir: Path = dataclasses.field(
        default_factory=lambda: Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir())
        / "cobaltcore-operator")
    keep_per_object: int = 0          # 0: an artifact directory is purged right after its run
    max_bytes: int = 64 * 1024 * 1024  # all kept artifacts together; oldest go first


@dataclasses.dataclass(frozen=True)
class ProbeSettings:
    """The one HTTP endpoint for /healthz, /readyz and /metrics (port 0 = disabled)."""

    host: str = "0.0.0.0"
    port: int = 8080


@dataclasses.dataclass(frozen=True)
class Settings:
    mappings: tuple[KindMapping, ...]
    kubeconfig: Path | None = None    # None: in-cluster service account
    namespaces: tuple[str, ...] = ()  # empty: cluster-wide
    project_dir: Path = REPO_ROOT     # playbook paths in the mapping are relative to this
    inventory: Path | None = None     # None: localhost with this Python
    python: str = sys.executable
    finalizer: str = "cobaltcore.c5c3.io/playbook"
    field_manager: str = "cobaltcore-operator"
    runs: RunSettings = dataclasses.field(default_factory=RunSettings)
    artifacts: ArtifactSettings = dataclasses.field(default_factory=ArtifactSettings)
    probes: ProbeSettings = dataclasses.field(default_factory=ProbeSettings)
