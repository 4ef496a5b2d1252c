from tests.integration.ceph.conftest import ceph  # noqa: F401
