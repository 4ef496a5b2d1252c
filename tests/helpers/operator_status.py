"""The status fields the operator writes, as it writes them (cobaltcore_operator._reconciler),
for CRD tests that prove the apiserver keeps them (nothing pruned, nothing rejected)."""
from __future__ import annotations


def operator_status_sample(generation: int = 1) -> dict:
    return {
        "observedGeneration": generation,
        "appliedHash": "9c1f" * 16,
        "lastHandledReconcileAt": "2025-01-01T00:00:30Z",
        "progress": {"play": "Keystone", "task": "keystone : Render keystone.conf", "generation": generation},
        "lastRun": {"start": "2025-01-01T00:00:00Z", "end": "2025-01-01T00:01:00Z",
                    "result": "Succeeded", "changed": 4, "action": "apply", "generation": generation},
    }
