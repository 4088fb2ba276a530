"""The candidate count of tests.lib.candidates on known cases (issue 13, docs/privacy.md)."""

from __future__ import annotations

import datetime

from renkou.lib import idnumber
from tests.lib.candidates import candidate_dates, candidates_in, count_candidates, masks_of

NUMBER = "11010519491231002X"
BORN = datetime.date(1949, 12, 31)
TODAY = datetime.date(2026, 12, 7)


def test_the_old_mask_next_to_the_birth_date_gives_the_number_away():
    text = f"王五 1949-12-31 {NUMBER[:6]}********{NUMBER[-4:]}"
    assert candidates_in(text, NUMBER, BORN, TODAY) == 1


def test_region_date_and_sex_leave_500_even_with_the_number_hidden():
    assert count_candidates(NUMBER, masks=[], dates=[BORN]) == 500
    assert candidates_in(f"1949-12-31 {'*' * 18}", NUMBER, BORN, TODAY) == 500


def test_the_last_four_next_to_a_date_leave_about_ten():
    mask = NUMBER[:6] + "*" * 8 + NUMBER[-4:]
    dates = candidate_dates(BORN, "month", TODAY)
    assert count_candidates(NUMBER, masks=[mask], dates=dates) < 31


def test_the_new_mask_and_a_birth_month_leave_thousands():
    text = f"王五 1949-12 {idnumber.mask(NUMBER)}"
    assert masks_of(NUMBER, text) == [NUMBER[:6] + "*" * 12]
    assert candidates_in(text, NUMBER, BORN, TODAY) == 31 * 500
