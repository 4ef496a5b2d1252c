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


def split_api_version(api_version):
    """(group, version) of a custom resource's ``group/version``."""
    group, version = (api_version.split("/", 1) + [""])[:2]
    if not group or not version:
        raise CustomObjectError("api_version must be group/version of a custom resource, got %s" % api_version)
    return group, version


def custom_object_plural(api, group, version, kind):
    """The plural of ``kind``, discovered from the API server (``api``: a CustomObjectsApi)."""
    from kubernetes.client.rest import ApiException  # pylint: disable=import-error

    try:
        resources = api.get_api_resources(group, version).resources
    except ApiException as exc:
        raise CustomObjectError("cannot discover %s/%s: HTTP %s" % (group, version, exc.status))
    for resource in resources:
        if resource.kind == kind and "/" not in resource.name:
            return resource.name
    raise CustomObjectError("%s/%s has no kind %s" % (group, version, kind))


def get_custom_object(api, group, version, plural, name, namespace=None):
    """The object as stored, or None if there is none."""
    from kubernetes.client.rest import ApiException  # pylint: disable=import-error

    try:
        if namespace:
            return api.get_namespaced_custom_object(group, version, namespace, plural, name)
        return api.get_cluster_custom_object(group, version, plural, name)
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
