"""The scheduler of tests/conftest.py on a small tree of its own, run by pytest-xdist for real:
every test runs once, a group never spreads over two workers, and the longest groups start first."""
from __future__ import annotations

import collections
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

TEST_BODY = textwrap.dedent("""
    import os

    def _record(name):
        with open(os.environ["RECORD"], "a") as f:
            f.write(f"{os.environ['PYTEST_XDIST_WORKER']} {os.path.relpath(__file__)} {name}\\n")
    """)


def _module(count: int) -> str:
    return TEST_BODY + "".join(f"\ndef test_{i}():\n    _record('test_{i}')\n" for i in range(count))


def test_groups_stay_on_one_worker_and_the_longest_start_first(tmp_path):
    # Collected in this order (by path); the longest group comes last.
    tree = {
        **{f"tests/a_unit/test_u{n}.py": 5 for n in range(6)},  # six groups of 5 quick tests
        "tests/integration/beta/test_b.py": 2,  # group beta: 2 integration tests
        "tests/integration/zeta/test_z1.py": 3,  # group zeta: 6 integration tests, the longest
        "tests/integration/zeta/test_z2.py": 3,
    }
    for path, count in tree.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(_module(count))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "conftest.py").write_text(textwrap.dedent(f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("c5c3_tests_conftest", {str(REPO / "tests" / "conftest.py")!r})
        module = importlib.util.module_from_spec(spec)
        sys.modules["c5c3_tests_conftest"] = module
        spec.loader.exec_module(module)
        pytest_xdist_make_scheduler = module.pytest_xdist_make_scheduler
        """))
    record = tmp_path / "record.txt"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup",
                           "-p", "no:cacheprovider", "tests"],
                          cwd=tmp_path, env={**os.environ, "RECORD": str(record)},
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    runs = [line.split() for line in record.read_text().splitlines()]
    assert len(runs) == sum(tree.values())
    assert len({(module, name) for _, module, name in runs}) == len(runs), "a test ran twice"

    def group(module: str) -> str:
        return module.split("/")[2] if module.startswith("tests/integration/") else module

    workers_of = collections.defaultdict(set)
    for worker, module, _ in runs:
        workers_of[group(module)].add(worker)
    assert all(len(workers) == 1 for workers in workers_of.values()), dict(workers_of)

    first = {}
    for worker, module, _ in runs:
        first.setdefault(worker, group(module))
    assert sorted(first.values()) == ["beta", "zeta"], runs
