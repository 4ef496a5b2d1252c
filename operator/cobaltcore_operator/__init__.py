"""CobaltCore operator: custom resources → playbook runs through ansible-runner.

Public surface: :class:`Settings` and its parts, :func:`load_mappings`, :func:`operate`
(the coroutine that runs the operator until stopped) and ``RECONCILE_REQUEST`` (the annotation
that asks for a run). Everything prefixed ``_`` is private.
"""
from cobaltcore_operator._collection import ensure_importable as _ensure_importable

_ensure_importable()

from cobaltcore_operator.mappings import MappingError, load_mappings  # noqa: E402
from cobaltcore_operator.settings import (  # noqa: E402
    ArtifactSettings, KindMapping, ProbeSettings, RunSettings, Settings)
from cobaltcore_operator._operator import operate  # noqa: E402
from cobaltcore_operator._reconciler import RECONCILE_REQUEST  # noqa: E402

__all__ = ["RECONCILE_REQUEST", "ArtifactSettings", "KindMapping", "MappingError", "ProbeSettings",
           "RunSettings", "Settings", "load_mappings", "operate"]
