from tests.integration.openstack_service.services import host_keystone, service_credentials  # noqa: F401
