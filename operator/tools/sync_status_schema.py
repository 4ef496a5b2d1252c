"""Write the operator's status fields (cobaltcore_operator.status_schema) into CRD files.

    python operator/tools/sync_status_schema.py operator/deploy/crds/<file>.yaml ...

Edits the text in place so comments and layout survive: under each version's
``status.properties`` the operator's fields are replaced or added; everything else is untouched.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cobaltcore_operator.status_schema import OPERATOR_STATUS_PROPERTIES  # noqa: E402


class _IndentedDumper(yaml.SafeDumper):
    """Indents sequences under their key, as yamllint (and the rest of the CRDs) expect."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def _block(indent: int) -> list[str]:
    text = yaml.dump(OPERATOR_STATUS_PROPERTIES, Dumper=_IndentedDumper, sort_keys=False, width=100)
    return [" " * indent + line for line in text.splitlines()]


def sync(text: str) -> str:
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        m = re.match(r"^(\s*)status:\s*$", line)
        # the status schema: followed (after type/description lines) by its properties:
        if m and i + 1 < len(lines) and "openAPIV3Schema" in "\n".join(lines[max(0, i - 400):i]):
            base = len(m.group(1))
            j = i + 1
            while j < len(lines) and not re.match(rf"^\s{{{base + 2}}}properties:\s*$", lines[j]):
                if lines[j].strip() and len(lines[j]) - len(lines[j].lstrip()) <= base:
                    break
                out.append(lines[j])
                j += 1
            if j < len(lines) and re.match(rf"^\s{{{base + 2}}}properties:\s*$", lines[j]):
                out.append(lines[j])
                prop_indent = base + 4
                out.extend(_block(prop_indent))
                k = j + 1
                while k < len(lines):
                    cur = lines[k]
                    ind = len(cur) - len(cur.lstrip())
                    if cur.strip() and ind < prop_indent:
                        break
                    key = re.match(rf"^\s{{{prop_indent}}}([A-Za-z]+):", cur)
                    if key and key.group(1) in OPERATOR_STATUS_PROPERTIES:
                        k += 1  # drop the old definition of an operator field
                        while k < len(lines) and (not lines[k].strip() or
                                                  len(lines[k]) - len(lines[k].lstrip()) > prop_indent):
                            k += 1
                        continue
                    out.append(cur)
                    k += 1
                i = k
                continue
            i = j
            continue
        i += 1
    return "\n".join(out) + "\n"


def main(paths: list[str]) -> int:
    for path in map(Path, paths):
        new = sync(path.read_text())
        list(yaml.safe_load_all(new))  # still valid YAML
        if new != path.read_text():
            path.write_text(new)
            print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
