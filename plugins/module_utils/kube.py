# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes API access shared by the collection's modules."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os


def kube_api_client(kubeconfig=None):
    """An ApiClient from ``kubeconfig``, else in-cluster when running in a pod, else the default
    kubeconfig (KUBECONFIG or ~/.kube/config)."""
    import kubernetes  # pylint: disable=import-error

    if kubeconfig:
        return kubernetes.config.new_client_from_config(config_file=kubeconfig)
    if os.environ.get("KUBERNETES_SERVICE_HOST"):
        configuration = kubernetes.client.Configuration()
        kubernetes.config.load_incluster_config(client_configuration=configuration)
        return kubernetes.client.ApiClient(configuration)
    return kubernetes.config.new_client_from_config()


# The options that address one custom resource (documented by doc fragment c5c3.cobaltcore.custom_object).
CUSTOM_OBJECT_ARGS = dict(
    api_version=dict(type="str", required=True),
    kind=dict(type="str", required=True),
    name=dict(type="str", required=True),
    namespace=dict(type="str"),
    kubeconfig=dict(type="path"),
)


class CustomObjectError(Exception):
    """A custom resource that cannot be addressed: unknown group/version or kind."""


# Answers a later request may not get: throttling, an apiserver restarting or overloaded.
TRANSIENT_HTTP_STATUSES = frozenset((408, 429, 500, 502, 503, 504))


def is_transient_api_error(exc):
    """Whether a request that raised ``exc`` may succeed if repeated: a transient HTTP status, or
    no answer at all (connection refused or reset, timeout). Forbidden, Unauthorized and the like
    are not: repeating them only hides the cause."""
    from kubernetes.client.rest import ApiException  # pylint: disable=import-error
    from urllib3.exceptions import HTTPError  # pylint: disable=import-error

    if isinstance(exc, ApiException):
        return exc.status in TRANSIENT_HTTP_STATUSES
    return isinstance(exc, (HTTPError, OSError))


def api_error_text(exc):
    """A short account of a failed request, without the response body (it may be large)."""
    from kubernetes.client.rest import ApiException  # pylint: disable=import-error

    if isinstance(exc, ApiException):
        return "HTTP %s %s" % (exc.status, exc.reason)
    return "%s: %s" % (type(exc).__name__, exc)


def split_api_version(api_version):
    """(group, version) of a custom resource's ``group/version``."""
    group, version = (api_version.split("/", 1) + [""])[:2]
    if not group or not version:
        raise CustomObjectError("api_version must be group/version of a custom resource, got %s" % api_version)
    return group, version


def read_custom_object(api, group, version, plural, name, namespace=None):
    """The custom object as stored, or None if there is none (``api``: a CustomObjectsApi).
    Shared by the modules and the operator."""
    from kubernetes.client.rest import ApiException  # pylint: disable=import-error

    try:
        if namespace:
            return api.get_namespaced_custom_object(group, version, namespace, plural, name)
        return api.get_cluster_custom_object(group, version, plural, name)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


class CustomObject(object):
    """One custom resource, addressed by the CUSTOM_OBJECT_ARGS parameters of a module. The
    constructor parses ``api_version``; the first read or write discovers the kind's plural. An
    address that cannot be right raises CustomObjectError, before anything is read or written."""

    def __init__(self, params):
        import kubernetes  # pylint: disable=import-error

        self.group, self.version = split_api_version(params["api_version"])
        self.kind, self.name, self.namespace = params["kind"], params["name"], params["namespace"]
        self.api = kubernetes.client.CustomObjectsApi(kube_api_client(params["kubeconfig"]))
        self._plural_name = None

    def resolve(self):
        """Discover the kind's plural (once) and return self. CustomObjectError for a kind the
        apiserver does not serve; a transient API error propagates, for a caller that waits to
        repeat."""
        if self._plural_name is None:
            self._plural_name = self._discover_plural()
        return self

    @property
    def plural(self):
        return self.resolve()._plural_name

    def __str__(self):
        return "%s %s" % (self.kind, "%s/%s" % (self.namespace, self.name) if self.namespace else self.name)

    def _discover_plural(self):
        from kubernetes.client.rest import ApiException  # pylint: disable=import-error

        try:
            resources = self.api.get_api_resources(self.group, self.version).resources
        except ApiException as exc:
            if is_transient_api_error(exc):
                raise
            raise CustomObjectError("cannot discover %s/%s: HTTP %s" % (self.group, self.version, exc.status))
        for resource in resources:
            if resource.kind == self.kind and "/" not in resource.name:
                return resource.name
        raise CustomObjectError("%s/%s has no kind %s" % (self.group, self.version, self.kind))

    def get(self):
        """The object as stored, or None if there is none."""
        return read_custom_object(self.api, self.group, self.version, self.plural, self.name, self.namespace)

    def patch_status(self, patch, field_manager):
        if self.namespace:
            return self.api.patch_namespaced_custom_object_status(
                self.group, self.version, self.namespace, self.plural, self.name, patch,
                field_manager=field_manager)
        return self.api.patch_cluster_custom_object_status(
            self.group, self.version, self.plural, self.name, patch, field_manager=field_manager)
