"""The unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters: registration authority (1), entity type (1), administrative division (6),
organisation code (9), check character (1). The alphabet is digits and capital letters
without I, O, Z, S, V; the check character is computed modulo 31 with fixed weights.
Individual businesses (个体工商户) registered before the code existed may have none, so the
registry allows an empty code but never a wrong one.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise(raw: str) -> str:
    """Upper-case the code and drop spaces, as people type it from a licence."""
    return "".join(raw.split()).upper()


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid(code: str) -> bool:
    """True when `code` (already normalised) has 18 characters of the alphabet and its
    check character matches."""
    if len(code) != 18 or any(ch not in ALPHABET for ch in code):
        return False
    if not code[2:8].isdigit():  # administrative division code
        return False
    return check_character(code[:17]) == code[17]
