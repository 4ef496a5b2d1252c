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
