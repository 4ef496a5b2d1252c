"""Fixtures of the infrastructure role tests."""
from __future__ import annotations

import pytest

from tests.integration.infrastructure.infra_helpers import CRDS


@pytest.fixture(scope="session")
def infra_crds(lab, kube):
    """The operators' real CRDs (external-crds) plus our own Memcached CRD."""
    lab.ensure("external-crds")
    for crd in CRDS:
        kube.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(crd))
    kube.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/memcacheds.memcached.c5c3.io")
