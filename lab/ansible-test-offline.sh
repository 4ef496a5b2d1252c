#!/usr/bin/env bash
# ansible-test downloads a get-pip bootstrap script from the internet when it creates its sanity
# venvs. Give it an offline stand-in backed by the pip 24.2 wheel from PyPI (idempotent).
set -euo pipefail
bin=$1
cache=$HOME/.ansible/test/cache
mkdir -p "$cache"
ls "$cache"/pip-24.2-*.whl >/dev/null 2>&1 || "$bin/pip" download -q --no-deps -d "$cache" pip==24.2
cat > "$cache/get_pip_24_2.py" <<'PY'
"""Offline stand-in for get-pip.py: install pip from the cached wheel next to this file."""
import glob
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
wheel = sorted(glob.glob(os.path.join(here, "pip-24.2-*.whl")))[-1]
sys.path.insert(0, wheel)
from pip._internal.cli.main import main  # noqa: E402

flags = ("--no-setuptools", "--no-wheel")
args = [a for a in sys.argv[1:] if a not in flags]
# Like get-pip.py: setuptools and wheel come along unless explicitly refused.
extras = [name for flag, name in zip(flags, ("setuptools", "wheel")) if flag not in sys.argv[1:]]
sys.exit(main(["install", "--upgrade", "--force-reinstall", *args, wheel, *extras]))
PY
