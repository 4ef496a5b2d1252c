"""CobaltCore operator: custom resources → playbook runs through ansible-runner.

Public surface: :class:`Settings` and its parts, :func:`load_mappings`, and :func:`operate`
(the coroutine that runs the operator until stopped). Everything prefixed ``_`` is private.
"""
from cobaltcore_operator._collection import ensure_importable as _ensure_importable

_ensure_importable()

from cobaltcore_operator.mappings import MappingError, load_mappings  # noqa: E402
from cobaltcore_operator.settings import (  # noqa: E402
    ArtifactSettings, KindMapping, ProbeSettings, RunSettings, Settings)
from cobaltcore_operator._operator import operate  # noqa: E402

__all__ = ["ArtifactSettings", "KindMapping", "MappingError", "ProbeSettings", "RunSettings",
           "Settings", "load_mappings", "operate"]
