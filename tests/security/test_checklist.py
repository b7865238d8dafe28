"""SECURITY.md's checklist maps one to one onto tests (issue 9, "Done when"): every one of
its 39 checks has tests in tests/security/ named after it (test_cNN_…), and docs/security.md's
table names exactly those tests, so a reader can go from the checklist to the tests and back.
`tools/security_table.py` writes the table."""

from __future__ import annotations

import re
from pathlib import Path

from tools import security_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"
ROW = re.compile(r"^\| (\d+) \| (.+?) \| (.*) \|$")


def documented() -> dict[int, set[str]]:
    table = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            table[int(m.group(1))] = set(re.findall(r"`([^`]+)`", m.group(3)))
    return table


def test_every_check_has_tests_named_after_it():
    found = security_table.tests_by_check()
    assert sorted(n for n in range(1, 40) if not found.get(n)) == []
    assert set(found) <= set(range(1, 40))


def test_the_table_names_exactly_the_tests():
    found = {n: set(tests) for n, tests in security_table.tests_by_check().items()}
    table = documented()
    assert sorted(table) == list(range(1, 40))
    assert {n: table[n] for n in found} == found
