"""Generated lab credentials, kept under ``<lab>/secrets`` with mode 0600 and never printed."""
from __future__ import annotations

import secrets
from pathlib import Path


def lab_secret(lab_dir: Path, name: str, nbytes: int = 24) -> str:
    d = lab_dir / "secrets"
    d.mkdir(parents=True, exist_ok=True)
    d.chmod(0o700)
    path = d / name
    if not path.exists():
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()
