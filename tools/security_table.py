"""Write docs/security.md's table: each SECURITY.md checklist item and the tests of
tests/security/ named after it (test_cNN_…), with their module (and the browser checks,
tests/browser/test_cNN_*.py, which need the browser tests' fixtures). Run after adding a check's
test; tests/security/test_checklist.py fails when the table and the tests part ways.

    .venv/bin/python tools/security_table.py > /tmp/table.md
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECURITY = ROOT.parent / "shared" / "SECURITY.md"
NAME = re.compile(r"^test_c(\d{2})_")


def checklist() -> dict[int, str]:
    """The checklist's numbered items and their titles, from SECURITY.md if it is beside the
    project, else from the table already in docs/security.md."""
    source = SECURITY if SECURITY.exists() else ROOT / "docs" / "security.md"
    items = {}
    for line in source.read_text(encoding="utf-8").splitlines():
        m = re.match(r"^(\d+)\. \*\*(.+?)[:*]", line) or re.match(r"^\| (\d+) \| (.+?) \|", line)
        if m:
            items[int(m.group(1))] = m.group(2).strip(" *:")
    return items


def tests_by_check() -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    paths = [
        *(ROOT / "tests" / "security").glob("test_*.py"),
        *(ROOT / "tests" / "browser").glob("test_c[0-9][0-9]_*.py"),
    ]
    for path in sorted(paths):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and NAME.match(node.name):
                where = (
                    path.stem
                    if path.parent.name == "security"
                    else f"{path.parent.name}/{path.stem}"
                )
                found.setdefault(int(NAME.match(node.name).group(1)), []).append(
                    f"{where}::{node.name}"
                )
    return found


def table() -> str:
    items, tests = checklist(), tests_by_check()
    rows = [
        "| check | what | tests (tests/security/; browser/…: tests/browser/) |",
        "|---|---|---|",
    ]
    for number, title in sorted(items.items()):
        names = "<br>".join(f"`{t}`" for t in sorted(tests.get(number, []))) or "—"
        rows.append(f"| {number} | {title} | {names} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    sys.stdout.write(table())
