"""The unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters: registration authority (1), entity type (1), administrative division (6),
organisation code (9), check character (1). The alphabet is digits and capital letters
without I, O, Z, S, V; the check character is computed modulo 31 with fixed weights.
Individual businesses (个体工商户) registered before the code existed may have none, so the
registry allows an empty code but never a wrong one.

The check character and the clean-up of what was typed are python-stdnum's
(`stdnum.cn.uscc`), which agrees with the former hand-written check on every test vector
(tests/test_model.py). Its `validate` is not used as it stands: it wants the first eight
characters to be digits, but GB 32100's first two (registration authority and entity type)
may be letters of the alphabet too, e.g. ``Y1`` (其他登记管理部门) or ``N2`` (农业部门,
农村集体经济组织), and such codes are real; so the format is checked here, the arithmetic
there.
"""

from __future__ import annotations

from stdnum.cn import uscc

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, Z, S, V


def normalise(raw: str) -> str:
    """Upper-case the code and drop spaces and hyphens, as people type it from a licence."""
    return uscc.compact("".join(raw.split()))


def check_character(first17: str) -> str:
    return uscc.calc_check_digit(first17)


def is_valid(code: str) -> bool:
    """True when `code` (already normalised) has 18 characters of the alphabet, six digits
    of administrative division and a matching check character."""
    if len(code) != 18 or any(ch not in ALPHABET for ch in code):
        return False
    if not code[2:8].isdigit():  # administrative division code
        return False
    return check_character(code[:17]) == code[17]
