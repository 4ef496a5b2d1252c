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
