from tests.integration.ceph.conftest import ceph  # noqa: F401
from tests.integration.openstack_service.services import host_keystone, service_credentials  # noqa: F401
