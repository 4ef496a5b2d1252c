"""Write tests/group_seconds.json (the scheduler's group weights, tests/conftest.py) from the JUnit
report of a full run:  pytest --junitxml=/tmp/run.xml && python tests/record_group_seconds.py /tmp/run.xml
Only the order of groups depends on it: a stale file makes a run slower, never wrong."""
from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import GROUP_SECONDS_FILE, REPO, xdist_group_of  # noqa: E402


def _module_of(classname: str) -> str:
    """tests.integration.ovn.test_ovn_role[.TestClass] -> tests/integration/ovn/test_ovn_role.py"""
    parts = classname.split(".")
    while parts and not (REPO / Path(*parts).with_suffix(".py")).exists():
        parts.pop()
    return str(Path(*parts).with_suffix(".py")) if parts else classname


def group_seconds(junit_xml: str) -> dict[str, float]:
    seconds: dict[str, float] = defaultdict(float)
    for case in ET.parse(junit_xml).getroot().iter("testcase"):
        seconds[xdist_group_of(_module_of(case.get("classname", "")))] += float(case.get("time", 0))
    return {group: round(total, 1) for group, total in sorted(seconds.items())}


if __name__ == "__main__":
    GROUP_SECONDS_FILE.write_text(json.dumps(group_seconds(sys.argv[1]), indent=1) + "\n")
    print(f"wrote {GROUP_SECONDS_FILE}")
