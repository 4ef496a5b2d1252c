"""Where the benchmarks put their figures: printed, and written to bench/results/<name>.json
(git-ignored)."""
from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def publish(name: str, figures: dict) -> None:
    text = json.dumps(figures, indent=2)
    print(text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(text)
