"""The evaluator on plain values (no database): the checked-in table of couples and dates in
`cases.csv`, run through `rules.evaluate` with the regimes of the data files.

Columns: `province` (99: a province without a file, so the national layer); `husband` (N: the
father is unknown); ethnic group codes (default 01); hukou A agricultural, N non-agricultural
(default), U unified, ? unknown; only child / returned overseas Y, N (default), ?; marriage
kind first (default), remarriage, ?; children with others before (default 0, ? unknown);
married Y (default), N, ?; children as `F1982n` (sex, year born on 06-01, then `+1988` if
the child died on 1988-06-01, then d disabled / n not disabled / nothing: not recorded).
Expected: the regime code (- none), entitled and possible (- no limit recorded), the
conditions met and the conditions (or requirements) unknown.
"""

from __future__ import annotations

import csv
import datetime
import re
from pathlib import Path

import pytest

from renkou.policy import regimes, rules

CASES = Path(__file__).with_name("cases.csv")
SPECS = regimes.specs_from_files()
TRI = {"Y": True, "N": False, "?": None, "": False}
HUKOU = {
    "A": "agricultural",
    "N": "non_agricultural",
    "U": "unified",
    "?": None,
    "": "non_agricultural",
}
KIND = {"first": "first", "remarriage": "remarriage", "?": None, "": "first"}
CHILD = re.compile(r"^(?P<sex>[MF])(?P<year>\d{4})(?:\+(?P<died>\d{4}))?(?P<disabled>[dn]?)$")


def _rows() -> list[dict]:
    with CASES.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _children(text: str, day: datetime.date) -> tuple[rules.ChildFacts, ...]:
    children = []
    for token in text.split():
        match = CHILD.match(token)
        assert match, token
        died = match["died"]
        children.append(
            rules.ChildFacts(
                birth_date=datetime.date(int(match["year"]), 6, 1),
                sex=match["sex"],
                alive=not died or datetime.date(int(died), 6, 1) >= day,
                disabled={"d": True, "n": False, "": None}[match["disabled"]],
            )
        )
    return tuple(children)


def _others(text: str) -> int | None:
    return None if text == "?" else int(text or 0)


def facts_of(row: dict) -> rules.CoupleFacts:
    day = datetime.date.fromisoformat(row["date"])

    def spouse(prefix: str) -> rules.SpouseFacts:
        return rules.SpouseFacts(
            ethnic_group=row[f"{prefix}_ethnic"] or "01",
            hukou_type=HUKOU[row[f"{prefix}_hukou"]],
            is_only_child=TRI[row[f"{prefix}_only"]],
            returned_overseas=TRI[row[f"{prefix}_overseas"]],
            marriage_kind=KIND[row[f"{prefix}_kind"]],
            other_children=_others(row[f"{prefix}_others"]),
        )

    husband = rules.SpouseFacts.unknown() if row["husband"] == "N" else spouse("h")
    return rules.CoupleFacts(
        on_date=day,
        husband=husband,
        wife=spouse("w"),
        children=_children(row["children"], day),
        married=TRI[row["married"]] if row["married"] else True,
    )


def _number(text: str) -> int | None:
    return None if text == "-" else int(text)


@pytest.mark.parametrize("row", _rows(), ids=lambda row: f"{row['case']}-{row['province']}")
def test_case_table(row):
    facts = facts_of(row)
    area = rules.regimes_for_area(SPECS, row["province"])
    result = rules.evaluate(facts, area, facts.on_date)
    regime = result.regime.code if result.regime else "-"
    assert regime == row["regime"], row["note"]
    assert result.entitled == _number(row["entitled"]), (row["note"], result.summary_en)
    assert result.possible == _number(row["possible"]), (row["note"], result.summary_en)
    assert sorted(result.met) == sorted(row["met"].split()), row["note"]
    assert sorted(result.unknown) == sorted(row["unknown"].split()), row["note"]
    # every condition of the regime is reported, in both languages, with the fact it used
    if result.regime is not None:
        assert [c.code for c in result.conditions] == [c.code for c in result.regime.conditions]
        for condition in (*result.requirements, *result.conditions):
            assert condition.name_zh and condition.name_en
            assert condition.fact_zh and condition.fact_en
    assert result.summary_zh and result.summary_en
    assert result.unknown_could_raise == (
        result.possible is not None and result.entitled is not None
        and result.possible > result.entitled
    )  # fmt: skip


def test_table_covers_every_regime_condition_and_boundary():
    rows = _rows()
    assert len(rows) >= 30
    regimes_seen = {row["regime"] for row in rows}
    assert {spec.code for spec in SPECS} <= regimes_seen, "a regime without a case"
    conditions_seen = {code for row in rows for code in (row["met"] + " " + row["unknown"]).split()}
    assert set(rules.TESTS) <= conditions_seen, "a condition never met or unknown in the table"
    days = {row["date"] for row in rows}
    for before, after in [
        ("1980-09-24", "1980-09-25"), ("1983-12-31", "1984-01-01"),
        ("2011-11-24", "2011-11-25"), ("2014-01-16", "2014-01-17"),
        ("2014-01-17", "2014-01-18"), ("2014-01-22", "2014-01-23"),
        ("2014-03-19", "2014-03-20"), ("2014-05-28", "2014-05-29"),
        ("2015-12-31", "2016-01-01"), ("2021-05-30", "2021-05-31"),
        ("2023-02-14", "2023-02-15"),
    ]:  # fmt: skip
        assert before in days and after in days, (before, after)


def test_boundary_dates_of_the_files():
    """Each regime's first day and the day before it are both in the table."""
    days = {(row["province"], row["date"]) for row in _rows()}
    for spec in SPECS:
        if spec.effective_from == datetime.date(1980, 9, 25) and spec.scope != "nation":
            continue  # same first day as the national regime (c01/c02)
        area = "99" if spec.scope == "nation" else spec.scope_code
        first = spec.effective_from.isoformat()
        before = (spec.effective_from - datetime.timedelta(days=1)).isoformat()
        assert (area, first) in days, spec.code
        assert (area, before) in days, spec.code


# --- the pure pieces one by one ----------------------------------------------------------------


def _regime(**changes) -> rules.RegimeSpec:
    base = rules.RegimeSpec(
        code="t", name_zh="测试", name_en="test", scope="nation", scope_code="",
        effective_from=datetime.date(2000, 1, 1), effective_to=None, base_children=1,
    )  # fmt: skip
    return rules.RegimeSpec(**{**base.__dict__, **changes})


def test_most_specific_scope_wins_and_dates_are_inclusive():
    nation = _regime(code="n", effective_to=datetime.date(2010, 12, 31))
    province = _regime(
        code="p", scope="province", scope_code="51", effective_from=datetime.date(2005, 1, 1),
        effective_to=datetime.date(2006, 12, 31),
    )  # fmt: skip
    district = _regime(
        code="d", scope="district", scope_code="510199", effective_from=datetime.date(2006, 1, 1),
        effective_to=datetime.date(2006, 1, 31),
    )  # fmt: skip
    area = rules.regimes_for_area([nation, province, district], "51", "510199")
    pick = lambda day: rules.select_regime(area, day).code  # noqa: E731
    assert pick(datetime.date(2004, 12, 31)) == "n"
    assert pick(datetime.date(2005, 1, 1)) == "p"
    assert pick(datetime.date(2006, 1, 15)) == "d"
    assert pick(datetime.date(2006, 12, 31)) == "p"
    assert pick(datetime.date(2010, 12, 31)) == "n"
    assert rules.select_regime(area, datetime.date(2011, 1, 1)) is None
    other = rules.regimes_for_area([nation, province, district], "41", "410101")
    assert [r.code for r in other] == ["n"]


def test_plural_delivery_judged_by_its_first_baby():
    facts = rules.CoupleFacts(
        on_date=datetime.date(2001, 1, 1), husband=rules.SpouseFacts(), wife=rules.SpouseFacts(),
        married=True,
    )  # fmt: skip
    entitlement = rules.evaluate(facts, [_regime()])
    assert entitlement.entitled == 1
    first, second = (rules.classify(entitlement, order, 1) for order in (1, 2))
    assert first.status == second.status == rules.WITHIN
    assert "同胎" in second.summary_zh and "delivery" in second.summary_en
    later = rules.classify(entitlement, 3, 2)
    assert later.status == rules.OUTSIDE


def test_unknown_between_entitled_and_possible():
    condition = rules.ConditionSpec("x", "归侨", "returned", 2, "returned_overseas", {})
    regime = _regime(conditions=(condition,))
    facts = rules.CoupleFacts(
        on_date=datetime.date(2001, 1, 1), husband=rules.SpouseFacts(returned_overseas=None),
        wife=rules.SpouseFacts(returned_overseas=False), married=True,
    )  # fmt: skip
    entitlement = rules.evaluate(facts, [regime])
    assert (entitlement.entitled, entitlement.possible) == (1, 2)
    assert entitlement.unknown_could_raise
    assert rules.classify(entitlement, 2).status == rules.UNKNOWN
    assert rules.classify(entitlement, 3).status == rules.OUTSIDE
    assert rules.classify(entitlement, None).status == rules.UNKNOWN


def test_no_regime_is_not_applicable_and_extreme_dates_do_not_fail():
    for day in (datetime.date.min, datetime.date(1979, 1, 1), datetime.date.max):
        facts = rules.CoupleFacts(
            on_date=day, husband=rules.SpouseFacts(), wife=rules.SpouseFacts()
        )
        entitlement = rules.evaluate(facts, SPECS if day.year > 2000 else [])
        assert rules.window_start(day) <= day
        if entitlement.regime is None:
            assert rules.classify(entitlement, 1).status == rules.NOT_APPLICABLE
