"""Periods of the indicator catalogue: a year `2024`, a quarter `2024Q1`, a month `202403`
(DHIS2's notation; `2024-03` is read too)."""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-?(0[1-9]|1[0-2])$")

PERIODS_PER_YEAR = {"year": 1, "quarter": 4, "month": 12}


def ymd(day: datetime.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


@dataclass(frozen=True)
class Period:
    kind: str  # year | quarter | month
    year: int
    number: int = 1  # quarter 1–4 or month 1–12; 1 for a year

    @classmethod
    def parse(cls, text: str) -> Period:
        text = str(text).strip()
        if m := _YEAR.match(text):
            return cls("year", int(m[1]))
        if m := _QUARTER.match(text):
            return cls("quarter", int(m[1]), int(m[2]))
        if m := _MONTH.match(text):
            return cls("month", int(m[1]), int(m[2]))
        raise ValueError(f"not a period: {text!r} (use 2024, 2024Q1 or 202403)")

    @property
    def code(self) -> str:
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "quarter":
            return f"{self.year}Q{self.number}"
        return f"{self.year}{self.number:02d}"

    def __str__(self) -> str:
        return self.code

    @property
    def key(self) -> int:
        """An integer for the engines: 2024, 20241 (Q1), 202403 (March)."""
        if self.kind == "year":
            return self.year
        if self.kind == "quarter":
            return self.year * 10 + self.number
        return self.year * 100 + self.number

    @property
    def start(self) -> datetime.date:
        month = {"year": 1, "quarter": 3 * self.number - 2, "month": self.number}[self.kind]
        return datetime.date(self.year, month, 1)

    @property
    def end(self) -> datetime.date:
        """The last day, inclusive."""
        month = {"year": 12, "quarter": 3 * self.number, "month": self.number}[self.kind]
        return datetime.date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def middle(self) -> datetime.date:
        """1 July for a year; otherwise start + ⌊(end − start) / 2⌋ days."""
        if self.kind == "year":
            return datetime.date(self.year, 7, 1)
        return self.start + (self.end - self.start) // 2

    @property
    def per_year(self) -> int:
        """Periods of this kind in a year: rates are annualised by this factor."""
        return PERIODS_PER_YEAR[self.kind]

    def shift(self, steps: int) -> Period:
        """The period `steps` periods later (earlier when negative)."""
        if self.kind == "year":
            return Period("year", self.year + steps)
        index = self.year * self.per_year + self.number - 1 + steps
        return Period(self.kind, index // self.per_year, index % self.per_year + 1)

    def previous(self) -> Period:
        return self.shift(-1)

    def last(self, count: int) -> list[Period]:
        """The `count` periods ending with this one, oldest first."""
        return [self.shift(step) for step in range(1 - count, 1)]
