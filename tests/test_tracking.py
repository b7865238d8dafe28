"""Reading case numbers and mobile numbers as people type them (issue 17 item 2)."""

from __future__ import annotations

import pytest

from portal.domain.tracking import case_number_candidates, normalise_phone, same_phone


@pytest.mark.parametrize(
    "typed",
    ["445100-2026-00012", "445100 2026 00012", "445100202600012", " 445100－2026－00012 "],
)
def test_a_case_number_with_or_without_hyphens_and_spaces(typed):
    assert "445100-2026-00012" in case_number_candidates(typed)


def test_a_number_with_hyphens_is_taken_as_written():
    assert case_number_candidates("ab-2026-00012") == ["AB-2026-00012"]


def test_a_number_without_a_plausible_year_gives_no_candidate():
    assert case_number_candidates("12345") == []
    assert case_number_candidates("4451003026123") == []  # 3026 is no year, 00123 too short


@pytest.mark.parametrize(
    "typed",
    ["13800000001", "138 0000 0001", "138-0000-0001", "+86 138 0000 0001", "0086138000000 01"],
)
def test_a_mobile_with_spaces_dashes_or_the_country_code(typed):
    assert normalise_phone(typed) == "13800000001"


def test_a_landline_keeps_its_area_code_and_nothing_matches_empty():
    assert normalise_phone("0768-1234567") == "07681234567"
    assert not same_phone("", "")
    assert not same_phone("13800000001", "13800000002")
    assert same_phone("+8613800000001", "138 0000 0001")
