# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keystone key repositories (fernet tokens and credentials) as plain data.

A repository is a ``{index: key}`` dict, the same for a directory and for a Kubernetes Secret, so
both back-ends share one implementation of keystone's rules (keystone/common/fernet_utils.py):

* key ``0`` is *staged*: every node can already decrypt with it, none encrypts with it yet;
* the highest index is the *primary*: it encrypts; all keys decrypt;
* a rotation renames the staged key to ``max + 1`` (the new primary), creates a new staged key
  ``0`` and drops the oldest secondaries until ``max_active_keys`` keys remain in total.

A key is ``Fernet.generate_key()``: 32 random bytes, url-safe base64 (44 characters). Nothing here
ever puts key material into an error message; errors name indices only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import os
import re

MIN_ACTIVE_KEYS = 3
STAGED = 0
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{43}=$")
_INDEX_RE = re.compile(r"^(0|[1-9][0-9]{0,8})$")


class KeyRepositoryError(Exception):
    """The repository (or a request about it) is not acceptable; nothing was changed."""


def generate_key():
    """A new key exactly as cryptography's ``Fernet.generate_key()`` makes it."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def check_max_active_keys(max_active_keys):
    # Fewer than 3 leaves no secondary key: every rotation would invalidate all tokens at once.
    if max_active_keys < MIN_ACTIVE_KEYS:
        raise KeyRepositoryError(
            "max_active_keys must be at least %d (staged + primary + one secondary), got %d"
            % (MIN_ACTIVE_KEYS, max_active_keys))


def is_valid_key(key):
    if not isinstance(key, str) or not _KEY_RE.match(key):
        return False
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (binascii.Error, ValueError):
        return False


def parse_repository(entries, where="repository"):
    """Validate raw entries ``{name: bytes|str}`` and return ``{index: key}``.

    A key may end in one newline (``echo`` writes one and keystone tolerates it); anything else that
    is not a well-formed key, a non-numeric name, duplicate material, a missing staged key 0 or a
    missing primary is refused, with every problem listed.
    """
    problems = []
    keys = {}
    for name in sorted(entries):
        raw = entries[name]
        if not _INDEX_RE.match(name):
            problems.append("%r is not a key index (keys are named 0, 1, 2, ...)" % (name,))
            continue
        if isinstance(raw, bytes):
            try:
                raw = raw.decode("ascii")
            except UnicodeDecodeError:
                problems.append("key %s is not ASCII" % name)
                continue
        key = raw[:-1] if raw.endswith("\n") else raw
        if not is_valid_key(key):
            problems.append("key %s is not 32 bytes of url-safe base64" % name)
            continue
        keys[int(name)] = key
    if not problems:
        seen = {}
        for index in sorted(keys):
            if keys[index] in seen:
                problems.append("key %d duplicates key %d" % (index, seen[keys[index]]))
            seen.setdefault(keys[index], index)
        if STAGED not in keys:
            problems.append("staged key 0 is missing")
        elif len(keys) < 2:
            problems.append("there is no primary key (only the staged key 0)")
    if problems:
        raise KeyRepositoryError("%s is malformed: %s" % (where, "; ".join(problems)))
    return keys


def initial_repository():
    """What ``keystone-manage fernet_setup`` creates: staged key 0 and primary key 1."""
    return {STAGED: generate_key(), 1: generate_key()}


def primary_index(keys):
    return max(keys) if keys else None


def rotate(keys, max_active_keys):
    """One rotation with keystone's semantics; ``keys`` is not modified."""
    check_max_active_keys(max_active_keys)
    rotated = dict(keys)
    rotated[max(keys) + 1] = rotated.pop(STAGED)
    rotated[STAGED] = generate_key()
    # keystone keeps max_active_keys - 1 non-staged keys and purges the oldest (lowest) first.
    active = sorted(index for index in rotated if index != STAGED)
    while len(active) > max_active_keys - 1:
        del rotated[active.pop(0)]
    return rotated


def check_promotion(production, staging, max_active_keys):
    """Refuse a staging repository whose promotion would break live tokens.

    With a production repository present, staging must be exactly a rotation of it: staging's
    primary is production's staged key (pods that still read the old repository decrypt tokens the
    new primary encrypts) and production's primary is still in staging (tokens issued now keep
    validating). Staging equal to production is an already-completed promotion.
    """
    check_max_active_keys(max_active_keys)
    if len(staging) > max_active_keys:
        raise KeyRepositoryError("staging holds %d keys, more than max_active_keys=%d"
                                 % (len(staging), max_active_keys))
    if not production or staging == production:
        return
    problems = []
    if staging[primary_index(staging)] != production[STAGED]:
        problems.append("its primary key %d is not the production staged key 0"
                        % primary_index(staging))
    if production[primary_index(production)] not in staging.values():
        problems.append("it drops the production primary key %d" % primary_index(production))
    if problems:
        raise KeyRepositoryError("staging is not a rotation of the production repository: %s"
                                 % "; ".join(problems))


def summary(keys):
    """What callers may see about a repository: indices only, never material."""
    if not keys:
        return {"keys": [], "primary": None, "staged": None}
    return {"keys": sorted(keys), "primary": primary_index(keys), "staged": STAGED}


def write_plan(current, target):
    """Order of writes that keeps every intermediate state usable by keystone.

    Returns ``(writes, deletes)``: new/changed indices highest first (the new primary lands before
    key 0 is replaced, so a reader never lacks the key that encrypts), then removals oldest first.
    """
    current = current or {}
    writes = sorted((i for i in target if current.get(i) != target[i]), reverse=True)
    deletes = sorted(i for i in current if i not in target)
    return writes, deletes
