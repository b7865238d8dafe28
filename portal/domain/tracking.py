"""Reading a case number and a mobile number as people type them (issue 17 item 2).

A number read out on the phone or copied from a text message arrives with or without its
hyphens, with spaces, in full-width digits; a mobile number with spaces, dashes or the
country code (+86, 0086). Both are reduced to one form before they are compared, so the
answer never depends on how the user typed them.
"""

from __future__ import annotations

import re
import unicodedata

from portal.domain.numbering import CASE_NUMBER_PATTERN

_SEPARATORS = re.compile(r"[\s\-_./()（）—–－·]+")
_CASE_NUMBER = re.compile(rf"^{CASE_NUMBER_PATTERN}$")
_YEAR = re.compile(r"^(19|20)\d\d$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


def _compact(text: str) -> str:
    """NFKC (full-width digits and letters to ASCII), upper case, no separators."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or "")).upper()


def case_number_candidates(text: str) -> list[str]:
    """The case numbers `text` may stand for, in the stored form (445100-2026-00012).

    Typed with its hyphens it is that number; typed without them (4451002026 00012) the
    division code, the year and the sequence are told apart by where a plausible year fits:
    every such split is a candidate (rarely more than one), and the mobile number decides.
    """
    typed = unicodedata.normalize("NFKC", text or "").strip().upper()
    typed = re.sub(r"\s*[-－—–]\s*", "-", typed)
    if _CASE_NUMBER.match(typed):
        return [typed]
    compact = _compact(text)
    candidates = []
    for length in range(2, 13):
        code, year, seq = compact[:length], compact[length : length + 4], compact[length + 4 :]
        if (
            code.isalnum()
            and code.isascii()
            and _YEAR.match(year)
            and len(seq) >= 5
            and seq.isdigit()
            and seq.isascii()
        ):
            candidates.append(f"{code}-{year}-{seq}")
    return candidates


def normalise_phone(text: str) -> str:
    """A phone number as digits only, a mainland mobile without its country code:
    "+86 138-0000-0001", "0086 13800000001" and "138 0000 0001" all give "13800000001";
    a landline keeps its area code ("0768-1234567" gives "07681234567")."""
    compact = _compact(text).lstrip("+")
    for prefix in ("0086", "86"):
        if compact.startswith(prefix) and _MOBILE.match(compact[len(prefix) :]):
            return compact[len(prefix) :]
    return compact


def same_phone(a: str | None, b: str | None) -> bool:
    """Whether two phone numbers, however written, are the same number."""
    left, right = normalise_phone(a or ""), normalise_phone(b or "")
    return bool(left) and left == right
