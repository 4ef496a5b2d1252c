# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The options that address one custom resource (module_utils.kube.CUSTOM_OBJECT_ARGS)."""

    DOCUMENTATION = r"""
options:
  api_version:
    description:
      - C(group/version) of the custom resource, for example C(keystone.openstack.c5c3.io/v1alpha1).
    type: str
    required: true
  kind:
    description:
      - Kind of the custom resource; its plural is discovered from the API server.
    type: str
    required: true
  name:
    description:
      - Name of the object.
    type: str
    required: true
  namespace:
    description:
      - Namespace of the object; omit for cluster-scoped kinds.
    type: str
  kubeconfig:
    description:
      - Kubeconfig file. Without it the in-cluster service account is used when running in a pod,
        else the default kubeconfig (E(KUBECONFIG) or C(~/.kube/config)).
    type: path
requirements:
  - kubernetes (Python client)
"""
