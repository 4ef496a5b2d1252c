# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja filters over plugins/module_utils/oslo_config.py, the collection's single config renderer."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: oslo
short_description: Render OpenStack configuration from structured data
version_added: 0.1.0
description:
  - C(oslo_merge) merges C(section -> option -> value) layers, later layers winning, C(null) deleting.
  - C(oslo_ini) renders such a mapping as oslo.config INI text, deterministically sorted.
  - C(paste_ini) renders an api-paste.ini model with middleware inserted into pipelines by position.
  - C(paste_pipeline) returns one pipeline after middleware insertion.
  - C(policy_yaml) merges policy rule layers into policy.yaml text.
  - C(content_hash) returns a short, stable SHA-256 prefix of a string or of JSON-able data.
  - See docs/keystone.md for the value rules (lists, dicts, multi-valued options, quoting, C($)).
author: CobaltCore for Ansible contributors
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.oslo_config import (
    OsloConfigError,
    content_hash,
    insert_middleware,
    merge,
    render_ini,
    render_paste,
    render_policy,
)


def _wrap(func):
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except OsloConfigError as exc:
            raise AnsibleFilterError(str(exc))
    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def oslo_merge(base, *layers):
    """``base | oslo_merge(layer1, layer2, ...)``; also accepts a list as the input."""
    if isinstance(base, list):
        return merge(*(list(base) + list(layers)))
    return merge(base, *layers)


def oslo_ini(config, literal=False, header=None):
    return render_ini(config, literal=literal, header=header)


def paste_ini(base, middleware=None):
    return render_paste(base, middleware)


def paste_pipeline(pipeline, middleware=None, name="main"):
    return insert_middleware(pipeline, middleware, name)


def policy_yaml(base, *layers):
    if isinstance(base, list):
        return render_policy(*(list(base) + list(layers)))
    return render_policy(base, *layers)


def oslo_content_hash(data, length=8):
    return content_hash(data, length)


class FilterModule(object):
    def filters(self):
        return {
            "oslo_merge": _wrap(oslo_merge),
            "oslo_ini": _wrap(oslo_ini),
            "paste_ini": _wrap(paste_ini),
            "paste_pipeline": _wrap(paste_pipeline),
            "policy_yaml": _wrap(policy_yaml),
            "content_hash": _wrap(oslo_content_hash),
        }
