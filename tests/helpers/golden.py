"""Golden-file comparison shared by the rendering tests: byte for byte, same file set.

With C5C3_UPDATE_GOLDEN=1 the expected directory is rewritten from what was rendered (review the
diff before committing it)."""
from __future__ import annotations

import os
from pathlib import Path


def assert_matches_golden(rendered: dict[str, str], expected_dir: Path) -> None:
    if os.environ.get("C5C3_UPDATE_GOLDEN"):
        expected_dir.mkdir(exist_ok=True)
        for old in expected_dir.iterdir():
            old.unlink()
        for name, text in rendered.items():
            (expected_dir / name).write_text(text)
    expected = {p.name: p.read_text() for p in sorted(expected_dir.iterdir())}
    assert sorted(rendered) == sorted(expected)
    for name in expected:
        assert rendered[name] == expected[name], name
