"""Fixtures of the infrastructure role tests."""
from __future__ import annotations

import pytest

from tests.integration.infrastructure.infra_helpers import CRDS


@pytest.fixture(scope="session")
def infra_crds(lab, kube):
    """The operators' real CRDs (external-crds) plus our own Memcached CRD."""
    lab.ensure("external-crds")
    kube.install_crds(*CRDS)
