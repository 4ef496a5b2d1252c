#!/bin/sh
# venv_install.sh VENV PYTHON SYSTEM_SITE(true|false) PIP_ARG...
# Create VENV if it has no python, then pip install PIP_ARGs into it, holding an exclusive lock on
# VENV.lock: two deployments sharing a venv on one host (two instances of a service, overlapping
# jobs) must not create or install into it at the same time. The lock dies with the process.
set -eu
venv=$1 python=$2 site=$3
shift 3
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
flock --wait 1800 9
if [ ! -x "$venv/bin/python" ]; then
    if [ "$site" = true ]; then
        "$python" -m venv --system-site-packages "$venv"
    else
        "$python" -m venv "$venv"
    fi
fi
exec "$venv/bin/python" -m pip install --disable-pip-version-check --quiet "$@"
