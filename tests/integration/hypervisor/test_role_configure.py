"""The hypervisor role's configure action and prechecks (the lab's daemons are configured by the
same action, see lab/c5c3lab/components/libvirt.py), and its argument specs."""
from __future__ import annotations

import yaml

from tests.helpers.ansible import REPO, run_playbook
from tests.integration.hypervisor.conftest import PLAYBOOKS

ROLE = REPO / "roles" / "hypervisor"


def test_argument_specs_cover_every_default():
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())
    assert set(specs["argument_specs"]["main"]["options"]) == set(defaults)


def _configure(tmp_path, check=False, **extra):
    # The lab inventory relaxes the role (lab mode, TCG, no security driver): a production host's
    # settings are the role defaults, restored here.
    production = {"hypervisor_lab_mode": False, "hypervisor_allow_tcg": False,
                  "hypervisor_qemu_security_driver": "apparmor"}
    return run_playbook(PLAYBOOKS / "role.yml", check=check, diff=check, extravars={
        "hypervisor_action": "configure", "hypervisor_name": "compute-1", "hypervisor_libvirt_service": "",
        "hypervisor_libvirt_config_dir": str(tmp_path / "libvirt"), **production, **extra})


def test_production_defaults_use_tls_and_refuse_open_tcp(tmp_path):
    checked = _configure(tmp_path, check=True)
    assert checked.rc == 0 and checked.changed >= 1
    assert not (tmp_path / "libvirt" / "libvirtd.conf").exists()

    first = _configure(tmp_path)
    assert first.rc == 0, first.stdout
    conf = (tmp_path / "libvirt" / "libvirtd.conf").read_text()
    assert 'listen_tls = 1' in conf and 'listen_tcp = 0' in conf and 'auth_tcp = "sasl"' in conf
    qemu = (tmp_path / "libvirt" / "qemu.conf").read_text()
    assert 'security_driver = "apparmor"' in qemu and 'user = "libvirt-qemu"' in qemu
    assert _configure(tmp_path).changed == 0

    refused = _configure(tmp_path / "open", hypervisor_libvirt_listen_tcp=True, hypervisor_libvirt_auth_tcp="none")
    assert refused.rc != 0 and "only allowed with hypervisor_lab_mode" in refused.stdout
    assert not (tmp_path / "open").exists()


def test_missing_kvm_is_refused_unless_tcg_is_allowed(tmp_path):
    no_kvm = _configure(tmp_path, hypervisor_kvm_device=str(tmp_path / "no-kvm"))
    assert no_kvm.rc != 0 and "no-kvm is missing" in no_kvm.stdout
    tcg = _configure(tmp_path, hypervisor_kvm_device=str(tmp_path / "no-kvm"), hypervisor_allow_tcg=True)
    assert tcg.rc == 0
