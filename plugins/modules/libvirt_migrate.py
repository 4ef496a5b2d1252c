#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, CobaltCore for Ansible contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: libvirt_migrate
short_description: Live-migrate a libvirt domain to another hypervisor and report its telemetry
version_added: "0.1.0"
description:
  - Peer-to-peer live migration of a running domain from the daemon at O(uri) to the one at
    O(destination_uri); the source daemon connects to the destination itself.
  - While the migration runs, the job statistics are sampled every O(poll_interval) seconds;
    with O(progress_file) each sample is appended there as one JSON line as it is taken, so a
    watcher can mirror progress into a Migration custom resource. The final telemetry is returned
    in the Migration status' field names.
  - A domain that is already running on the destination and gone from the source is reported
    unchanged, so a re-run after a completed migration is a no-op.
  - When the migration exceeds O(timeout) it is aborted and the task fails; the guest keeps
    running on the source.
author:
  - CobaltCore for Ansible maintainers (@c5c3)
extends_documentation_fragment:
  - c5c3.cobaltcore.libvirt
options:
  name:
    description:
      - Name of the domain to migrate.
    type: str
    required: true
  destination_uri:
    description:
      - libvirt URI of the destination daemon as the B(source daemon) reaches it, for example
        V(qemu+tls://compute-2/system).
    type: str
    required: true
  migrate_uri:
    description:
      - Where the migration data stream goes (V(tcp://10.0.0.2)). By default the destination's
        host name (or its C(migration_host) in qemu.conf).
    type: str
  persist:
    description:
      - Make the domain persistent on the destination and remove its definition from the source.
    type: bool
    default: true
  bandwidth:
    description:
      - Limit in MiB/s; 0 is unlimited.
    type: int
    default: 0
  unsafe:
    description:
      - Migrate even when libvirt considers it unsafe (disks with caching on storage it does not
        recognise as shared). Leave off unless the storage is known to be shared.
    type: bool
    default: false
  timeout:
    description:
      - Seconds after which the migration job is aborted.
    type: int
    default: 600
  poll_interval:
    description:
      - Seconds between job statistics samples.
    type: float
    default: 0.5
  progress_file:
    description:
      - File to append one JSON object per progress sample to (created if missing).
    type: path
attributes:
  check_mode:
    description: Checks both daemons and the domain, reports that a migration would happen, does not migrate.
    support: full
  diff_mode:
    description: Shows the host the domain is on before and after.
    support: full
"""

EXAMPLES = r"""
- name: Move a guest off compute-1
  c5c3.cobaltcore.libvirt_migrate:
    uri: qemu+tls://compute-1/system
    destination_uri: qemu+tls://compute-2/system
    name: instance-0000002a
    timeout: 300
  register: moved

- name: Show the downtime
  ansible.builtin.debug:
    msg: "{{ moved.migration.downtime }} ms downtime"
"""

RETURN = r"""
migration:
  description:
    - Migration telemetry in the Migration custom resource's status field names; counters are
      bytes and times milliseconds. Empty when nothing was migrated.
  returned: always
  type: dict
  sample:
    origin: lab-hv1
    destination: lab-hv2
    type: live
    operation: migration_out
    started: "2026-11-21T07:30:00Z"
    timeElapsed: 627
    downtime: 25
    dataTotal: 33947648
    dataProcessed: 516882
    dataRemaining: 0
    memTotal: 33947648
    memDirtyRate: 0
    errMsg: ""
progress:
  description: The samples taken while the migration ran (same fields as O(progress_file) lines).
  returned: when migrated
  type: list
  elements: dict
domain:
  description: The domain on the destination after the migration.
  returned: when migrated or already there
  type: dict
"""

import datetime
import json
import threading
import time

from ansible_collections.c5c3.cobaltcore.plugins.module_utils.base import CobaltCoreModule
from ansible_collections.c5c3.cobaltcore.plugins.module_utils.libvirt_utils import (
    CONNECTION_ARGS, LIBVIRT_IMPORT_ERROR, connect, domain_summary, error_text, job_telemetry,
    libvirt, lookup_domain)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class LibvirtMigrate(CobaltCoreModule):
    argument_spec = dict(
        CONNECTION_ARGS,
        name=dict(type="str", required=True),
        destination_uri=dict(type="str", required=True),
        migrate_uri=dict(type="str"),
        persist=dict(type="bool", default=True),
        bandwidth=dict(type="int", default=0),
        unsafe=dict(type="bool", default=False),
        timeout=dict(type="int", default=600),
        poll_interval=dict(type="float", default=0.5),
        progress_file=dict(type="path"),
    )
    required_libraries = (("libvirt-python", LIBVIRT_IMPORT_ERROR),)

    def run(self):
        p = self.params
        if p["timeout"] <= 0 or p["poll_interval"] <= 0 or p["bandwidth"] < 0:
            self.fail("timeout and poll_interval must be positive and bandwidth not negative")
        self.results["migration"] = {}
        source = connect(p["uri"])
        try:
            destination = connect(p["destination_uri"])
            try:
                self.migrate(source, destination)
            finally:
                destination.close()
        finally:
            source.close()

    def migrate(self, source, destination):
        p = self.params
        name = p["name"]
        origin, target = source.getHostname(), destination.getHostname()
        dom = lookup_domain(source, name)
        there = lookup_domain(destination, name)
        if dom is None:
            if there is not None and there.isActive():
                self.results["domain"] = domain_summary(there)
                return
            self.fail("domain %s is not defined on %s (%s)" % (name, origin, p["uri"]))
        if not dom.isActive():
            self.fail("domain %s on %s is not running; only running domains are live-migrated"
                      % (name, origin))
        if origin == target:
            self.fail("source and destination are the same host (%s)" % origin)
        self.diff = {"before": {"name": name, "host": origin}, "after": {"name": name, "host": target}}
        self.changed = True
        if self.check_mode:
            return

        started = _now()
        base = {"origin": origin, "destination": target, "type": "live", "started": started}
        samples = []
        outcome = {}

        def worker():
            try:
                dom.migrateToURI3(p["destination_uri"], self._params(), self._flags())
            except libvirt.libvirtError as exc:
                outcome["error"] = error_text(exc)
            except Exception as exc:  # pylint: disable=broad-except
                outcome["error"] = "%s: %s" % (type(exc).__name__, exc)

        thread = threading.Thread(target=worker, name="migrate-%s" % name)
        thread.daemon = True
        thread.start()
        deadline = time.time() + p["timeout"]
        aborted = False
        while thread.is_alive():
            thread.join(p["poll_interval"])
            sample = self._sample(dom, base)
            if sample is not None:
                samples.append(sample)
                self._record(sample)
            if not aborted and time.time() > deadline:
                aborted = True
                try:
                    dom.abortJob()
                except libvirt.libvirtError:
                    pass  # the job may have finished in the meantime
        thread.join()

        self.results["progress"] = samples
        if "error" in outcome or aborted:
            message = outcome.get("error") or "completed after the timeout"
            if aborted:
                message = "aborted after %ss: %s" % (p["timeout"], message)
            failed = dict(base, operation="migration_out", errMsg=message)
            self._record(failed)
            self.results["migration"] = failed
            self.changed = False
            self.fail("live migration of %s from %s to %s failed: %s" % (name, origin, target, message),
                      migration=failed, progress=samples)

        moved = lookup_domain(destination, name)
        final = dict(base, operation="migration_out", errMsg="")
        try:
            final.update(job_telemetry(moved.jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED)))
        except libvirt.libvirtError:
            pass  # statistics are best effort; the migration itself succeeded
        final["type"] = "live"
        final["operation"] = "migration_out"
        self._record(final)
        self.results["migration"] = final
        self.results["domain"] = domain_summary(moved)

    def _flags(self):
        p = self.params
        flags = libvirt.VIR_MIGRATE_LIVE | libvirt.VIR_MIGRATE_PEER2PEER
        if p["persist"]:
            flags |= libvirt.VIR_MIGRATE_PERSIST_DEST | libvirt.VIR_MIGRATE_UNDEFINE_SOURCE
        if p["unsafe"]:
            flags |= libvirt.VIR_MIGRATE_UNSAFE
        return flags

    def _params(self):
        p = self.params
        params = {}
        if p["migrate_uri"]:
            params[libvirt.VIR_MIGRATE_PARAM_URI] = p["migrate_uri"]
        if p["bandwidth"]:
            params[libvirt.VIR_MIGRATE_PARAM_BANDWIDTH] = p["bandwidth"]
        return params

    @staticmethod
    def _sample(dom, base):
        try:
            stats = dom.jobStats(0)
        except libvirt.libvirtError:
            return None  # the domain left the source between two samples
        if not stats or stats.get("type", 0) == 0:
            return None
        return dict(base, **job_telemetry(stats))

    def _record(self, sample):
        path = self.params["progress_file"]
        if not path:
            return
        with open(path, "a") as handle:
            handle.write(json.dumps(sample, sort_keys=True) + "\n")


def main():
    LibvirtMigrate()()


if __name__ == "__main__":
    main()
