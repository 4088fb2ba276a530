"""Pure registry rules: validation, birth order, floating status. Plain values in, plain out."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from renkou.lib import idnumber

# Legal marriage ages by the law in force on the wedding day: the 1930 Civil Code (18/16),
# the 1950 Marriage Law from 1950-05-01 (20/18), the 1980 Marriage Law from 1981-01-01 and
# the Civil Code art. 1047 (22/20). Marriages are judged by the law of their day.
MARRIAGE_AGES: tuple[tuple[datetime.date, dict[str, int]], ...] = (
    (datetime.date(1981, 1, 1), {"M": 22, "F": 20}),
    (datetime.date(1950, 5, 1), {"M": 20, "F": 18}),
    (datetime.date.min, {"M": 18, "F": 16}),
)
MARRIAGE_AGE = MARRIAGE_AGES[0][1]  # today's


def marriage_age_on(day: datetime.date) -> dict[str, int]:
    return next(ages for since, ages in MARRIAGE_AGES if day >= since)


MOTHER_AGE_LIMITS = (12, 60)  # outside: rejected
MOTHER_AGE_USUAL = (15, 50)  # outside: accepted with a warning


@dataclass(frozen=True)
class Problem:
    """One finding about a record: the field, a code, both languages, and its weight."""

    field: str
    code: str
    message_zh: str
    message_en: str
    severity: str = "error"  # or "warning" (accepted, flagged)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    """Completed years (周岁) on `day`."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def check_id_number(number: str, birth_date: datetime.date, sex: str) -> list[Problem]:
    """The ID number must be valid and agree with the person's birth date and sex."""
    if not number:
        return []
    try:
        parsed = idnumber.parse(number)
    except idnumber.InvalidIdNumber as error:
        return [Problem("id_number", error.code, error.message_zh, error.message_en)]
    problems = []
    if parsed.birth_date != birth_date:
        problems.append(Problem(
            "id_number", "birth_date_mismatch",
            f"身份证号中的出生日期{parsed.birth_date:%Y-%m-%d}与出生日期{birth_date:%Y-%m-%d}不一致",
            f"the ID number's birth date {parsed.birth_date} differs from the birth date "
            f"{birth_date}",
        ))  # fmt: skip
    if parsed.sex != sex:
        problems.append(Problem(
            "id_number", "sex_mismatch",
            "身份证号中的性别与登记的性别不一致",
            "the ID number's sex digit differs from the recorded sex",
        ))  # fmt: skip
    return problems


FORMULA_STARTS = ("=", "+", "-", "@")


def check_name(name: str) -> list[Problem]:
    """A person's name never begins like a spreadsheet formula (=, +, -, @): refused, so a
    name such as ``=HYPERLINK(...)`` is not stored (exports quote such text anyway)."""
    if name.strip().startswith(FORMULA_STARTS):
        return [Problem(
            "name", "formula",
            "姓名不能以 =、+、-、@ 开头（电子表格会把它当作公式）",
            "a name cannot begin with =, +, - or @ (a spreadsheet would read it as a formula)",
        )]  # fmt: skip
    return []


def check_mother_age(mother_birth: datetime.date, birth: datetime.date) -> list[Problem]:
    age = age_on(mother_birth, birth)
    low, high = MOTHER_AGE_LIMITS
    if not low <= age <= high:
        return [Problem(
            "mother", "mother_age",
            f"母亲生育时{age}岁，超出{low}–{high}岁的范围",
            f"the mother was {age} at the birth, outside {low}–{high}",
        )]  # fmt: skip
    usual_low, usual_high = MOTHER_AGE_USUAL
    if not usual_low <= age <= usual_high:
        return [Problem(
            "mother", "mother_age_unusual",
            f"母亲生育时{age}岁，请核实",
            f"the mother was {age} at the birth; please check",
            "warning",
        )]  # fmt: skip
    return []


def check_within_life(
    day: datetime.date,
    birth_date: datetime.date,
    death_date: datetime.date | None,
    *,
    field: str = "date",
    who: tuple[str, str] = ("本人", "the person"),
) -> list[Problem]:
    """No event before the person's birth or after their death."""
    if day < birth_date:
        return [
            Problem(
                field,
                "before_birth",
                f"日期早于{who[0]}的出生日期",
                f"the date is before {who[1]}'s birth",
            )
        ]
    if death_date is not None and day > death_date:
        return [
            Problem(
                field,
                "after_death",
                f"日期晚于{who[0]}的死亡日期",
                f"the date is after {who[1]}'s death",
            )
        ]
    return []


def check_marriage_age(sex: str, birth_date: datetime.date, day: datetime.date) -> list[Problem]:
    minimum = marriage_age_on(day)[sex]
    age = age_on(birth_date, day)
    if age < minimum:
        who_zh, who_en = ("男方", "the man") if sex == "M" else ("女方", "the woman")
        return [Problem(
            "husband" if sex == "M" else "wife", "marriage_age",
            f"{who_zh}结婚时{age}岁，未达法定婚龄{minimum}岁",
            f"{who_en} was {age} at the marriage, below the legal age of {minimum}",
        )]  # fmt: skip
    return []


def check_birth_before_marriage(
    birth: datetime.date, marriage_start: datetime.date | None
) -> list[Problem]:
    """Allowed, and flagged: statistics and some local rules look at it."""
    if marriage_start is not None and birth < marriage_start:
        return [Problem(
            "date", "birth_before_marriage",
            "出生日期早于父母的结婚日期（已标记）",
            "the birth is before the parents' marriage (flagged)",
            "warning",
        )]  # fmt: skip
    return []


@dataclass(frozen=True)
class Birth:
    """A live birth as the birth-order rules see it."""

    child: int
    date: datetime.date


def birth_orders(births: Iterable[Birth]) -> dict[int, tuple[int, int]]:
    """child → (birth order 孩次, delivery order 胎次) among one mother's live births.

    Children who later died count. Babies born the same day are one delivery: they share the
    delivery order and take consecutive birth orders (twins of a first delivery are children
    1 and 2 of delivery 1).
    """
    ordered = sorted(births, key=lambda birth: (birth.date, birth.child))
    result: dict[int, tuple[int, int]] = {}
    delivery, last_date = 0, None
    for index, birth in enumerate(ordered, start=1):
        if birth.date != last_date:
            delivery += 1
            last_date = birth.date
        result[birth.child] = (index, delivery)
    return result


def floating_status(*, hukou_here: bool, lives_here: bool) -> str:
    """流入: registered elsewhere, living here; 流出: registered here, living elsewhere."""
    if lives_here and not hukou_here:
        return "inflow"
    if hukou_here and not lives_here:
        return "outflow"
    return ""


def errors(problems: Sequence[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.is_error]


def warnings(problems: Sequence[Problem]) -> list[Problem]:
    return [problem for problem in problems if not problem.is_error]
