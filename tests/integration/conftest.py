"""Session fixtures several integration suites share. Registered here, once: a fixture imported
into several conftests is several fixtures, and each would deploy its own keystone."""
from __future__ import annotations

import pytest

from tests.integration.keystone.conftest import deploy_host_keystone
from tests.integration.openstack_service.services import make_service_credentials


@pytest.fixture(scope="session")
def host_keystone(lab, mariadb, memcached):
    yield from deploy_host_keystone(lab, mariadb, memcached)


@pytest.fixture(scope="session")
def service_credentials(lab, host_keystone):
    return make_service_credentials(lab, host_keystone)


@pytest.fixture(scope="session")
def external_crds(lab, kube):
    """The other operators' CRDs (mariadb-operator, RabbitMQ, Rook, external-secrets, K-ORC) as
    published: what the kubernetes runtime's Database, User and Grant objects are checked against.
    A suite that applies them asks for this; another suite having installed them first is luck."""
    lab.ensure("external-crds")
    return lab.component("external-crds")
