"""A lab directory keeps the port block it was set up on (lab/c5c3lab/lab.py claim_port_base):
Ceph's mon map and OVN's raft databases store addresses, so another block must be refused before
anything starts."""
from __future__ import annotations

import pytest

from c5c3lab import cli
from c5c3lab.lab import Lab
from c5c3lab.process import LabError
from c5c3lab.settings import LabSettings, Ports


def _lab(tmp_path, base: int) -> Lab:
    return Lab(LabSettings(lab_dir=tmp_path / "lab", cache_dir=tmp_path / "cache", ports=Ports(base)))


def test_first_start_records_the_block_and_the_same_block_is_accepted_again(tmp_path):
    _lab(tmp_path, 22000).claim_port_base()
    assert (tmp_path / "lab" / "port-base").read_text().strip() == "22000"
    _lab(tmp_path, 22000).claim_port_base()


def test_another_block_is_refused_naming_both_and_the_record_stays(tmp_path):
    _lab(tmp_path, 22000).claim_port_base()
    with pytest.raises(LabError, match=r"C5C3_LAB_PORT_BASE=22000, not 23000"):
        _lab(tmp_path, 23000).up(["memcached"])
    assert (tmp_path / "lab" / "port-base").read_text().strip() == "22000"


def test_labctl_up_on_another_block_fails_before_starting_anything(tmp_path, monkeypatch, capsys):
    _lab(tmp_path, 22000).claim_port_base()
    monkeypatch.setenv("C5C3_LAB_DIR", str(tmp_path / "lab"))
    monkeypatch.setenv("C5C3_LAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("C5C3_LAB_PORT_BASE", "23000")
    assert cli.main(["up", "memcached"]) == 1
    assert "set up on C5C3_LAB_PORT_BASE=22000" in capsys.readouterr().err
    assert not (tmp_path / "lab" / "run").exists()
