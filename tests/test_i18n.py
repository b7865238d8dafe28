"""Every UI string goes through Babel; Chinese (zh_Hans_CN) and English are complete and the
catalogues are up to date with the code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "portal" / "translations"


def _ids(path: Path) -> set[str]:
    with path.open("rb") as fh:
        return {m.id for m in read_po(fh) if m.id}


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
def test_catalogue_is_complete(lang):
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)

    def translated(m):
        return all(m.string) if isinstance(m.string, tuple) else bool(m.string)

    untranslated = [m.id for m in catalog if m.id and not translated(m)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_catalogues_match_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(pot),
            str(ROOT / "portal"),
        ],
        check=True,
        capture_output=True,
    )
    in_code = _ids(pot)
    for lang in ("zh_Hans_CN", "en"):
        shipped = _ids(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po")
        assert in_code - shipped == set(), f"{lang}: run `make extract-messages` and translate"
