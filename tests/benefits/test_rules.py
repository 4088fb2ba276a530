"""The eligibility table (eligibility_cases.csv, from policy-facts.md) run through the pure
evaluator with the programmes of the checked-in data files: the answer, the criterion that
decides it, and the amount."""

from __future__ import annotations

import csv
import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from renkou.benefits import programmes, rules

CASES = Path(__file__).with_name("eligibility_cases.csv")
SPECS = programmes.file_specs()


def _date(text: str) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if text else None


def _kid(index: int, text: str) -> rules.Kid:
    """`F1990-01-01+d2010-01-01@outside#g3r`: sex, birth, death, policy, disability grade
    (r: recovered)."""
    grade, recovered, policy, death = None, False, "within", None
    if "#g" in text:
        text, tail = text.split("#g")
        grade, recovered = int(tail[0]), tail.endswith("r")
    if "@" in text:
        text, policy = text.split("@")
    if "+d" in text:
        text, died = text.split("+d")
        death = _date(died)
    return rules.Kid(
        id=1000 + index, sex=text[0], birth_date=_date(text[1:]), death_date=death,
        policy=policy, disability_grade=grade, recovered=recovered,
    )  # fmt: skip


def _facts(row: dict) -> rules.Facts:
    kids = [part for part in row["children"].split(";") if part]
    spouse = bool(row["spouse_hukou"] or row["spouse_birth"])
    return rules.Facts(
        id=1,
        sex=row["sex"],
        birth_date=_date(row["birth_date"]),
        death_date=_date(row["death_date"]),
        status="deceased" if row["death_date"] else "alive",
        hukou_type=row["hukou"],
        hukou_here=row["hukou_here"] == "1",
        certificate=row["certificate"] == "1",
        children=tuple(_kid(i, text) for i, text in enumerate(kids)),
        spouse_id=2 if spouse else None,
        spouse_sex=("F" if row["sex"] == "M" else "M") if spouse else None,
        spouse_birth_date=_date(row["spouse_birth"]),
        spouse_hukou_type=row["spouse_hukou"] or None,
        complication_grade=int(row["complication"]) if row["complication"] else None,
    )


def _rows() -> list[dict]:
    with CASES.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_the_table_is_big_enough_and_covers_every_programme():
    rows = _rows()
    assert len(rows) >= 40
    assert {row["programme"] for row in rows} == set(SPECS)
    assert {row["expected"] for row in rows} == {"eligible", "not_eligible", "unknown"}
    # every block used by a programme is decisive in at least one case (the "not" side)
    used = {block["block"] for spec in SPECS.values() for block in spec.rule}
    decisive = {name for row in rows for name in row["decisive"].split("+") if name}
    assert used <= decisive, used - decisive


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row["case"])
def test_eligibility_case(row):
    spec = SPECS[row["programme"]]
    year = int(row["year"])
    ctx = rules.Context(
        year=year, reference_date=spec.reference_date(year), province=row["province"]
    )
    result = rules.evaluate(spec, _facts(row), ctx)
    assert result.outcome == row["expected"], [c.as_dict() for c in result.criteria]
    failing = {c.code.split(":", 1)[1] for c in result.criteria if c.met is not True}
    assert failing == {name for name in row["decisive"].split("+") if name}
    assert result.amount == Decimal(row["amount"])
    if result.eligible is not False:
        assert sum(result.shares.values()) == result.amount
    for criterion in result.criteria:
        assert criterion.fact_zh and criterion.fact_en and criterion.source


def test_cost_shares_and_top_up_layers():
    spec = SPECS["tefu_died"]
    facts = rules.Facts(
        id=1, sex="F", birth_date=datetime.date(1970, 1, 1),
        children=(rules.Kid(2, "M", datetime.date(1995, 1, 1), datetime.date(2015, 1, 1)),),
    )  # fmt: skip
    sichuan = rules.evaluate(spec, facts, rules.Context(2025, datetime.date(2025, 12, 31), "51"))
    assert sichuan.shares == {
        "central": Decimal("5664.00"), "provincial": Decimal("5628.00"), "local": Decimal("708.00"),
    }  # fmt: skip
    elsewhere = rules.evaluate(spec, facts, rules.Context(2025, datetime.date(2025, 12, 31), "41"))
    assert elsewhere.amount == Decimal("7080.00")


def test_months_paid_for_a_child():
    start = datetime.date(2025, 1, 1)
    born = datetime.date(2023, 12, 10)
    assert sum(rules.months_paid(born, y, 3, start) for y in range(2023, 2030)) == 24
    born = datetime.date(2025, 1, 20)
    assert sum(rules.months_paid(born, y, 3, start) for y in range(2024, 2030)) == 36


def test_exit_reasons():
    spec = SPECS["jiangfu"]
    ctx = rules.Context(2025, datetime.date(2025, 12, 31), "51", datetime.date(2024, 12, 31))
    base = dict(id=1, sex="F", birth_date=datetime.date(1955, 1, 1), hukou_type="agricultural")
    son = rules.Kid(2, "M", datetime.date(1980, 1, 1))
    dead = rules.Facts(**base, death_date=datetime.date(2025, 2, 1), children=(son,))
    assert rules.exit_reason(spec, dead, rules.evaluate(spec, dead, ctx), ctx) == "death"
    moved = rules.Facts(**base, status="moved_away", hukou_here=False, children=(son,))
    assert rules.exit_reason(spec, moved, rules.evaluate(spec, moved, ctx), ctx) == "moved_away"
    adopted = rules.Kid(
        3, "M", datetime.date(2010, 1, 1), kind="adopted", since=datetime.date(2025, 3, 1)
    )
    new = rules.Facts(**base, children=(son, adopted))
    assert rules.exit_reason(spec, new, rules.evaluate(spec, new, ctx), ctx) == "new_child"
    child_spec = SPECS["childcare"]
    child = rules.Facts(id=4, sex="F", birth_date=datetime.date(2022, 1, 1))
    ctx26 = rules.Context(2026, datetime.date(2026, 12, 31), "51")
    result = rules.evaluate(child_spec, child, ctx26)
    assert rules.exit_reason(child_spec, child, result, ctx26) == "age_limit"


def test_rule_checking_names_the_problem():
    assert rules.check_rule([{"block": "age_at_least"}]) == ["#1: age_at_least needs 'years'"]
    assert rules.check_rule([{"block": "magic"}]) == ["#1: unknown block 'magic'"]
    assert rules.check_rule([{"block": "alive"}, {"block": "sex", "sex": "F"}]) == []
    assert rules.exclusive_pairs(SPECS.values()) == {frozenset({"tefu_died", "tefu_disabled"})}


def test_every_criterion_has_a_readable_label():
    for spec in SPECS.values():
        for block in spec.rule:
            zh, en = rules.label(block)
            assert zh and en and "[" not in zh + en and "{" not in zh + en, (spec.code, block)
    assert rules.label({"block": "age_at_least", "years": 60}) == ("年满60周岁", "aged 60 or over")
    assert rules.label({"block": "children", "mode": "disabled", "max_grade": 3})[0] == (
        "现存一个子女，残疾等级3级以上"
    )
