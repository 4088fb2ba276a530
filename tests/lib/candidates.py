"""Count the ID numbers consistent with what a viewer can see of a person (docs/privacy.md).

The attacker of issue 13 reads a page, an export or an API answer and wants a person's full
ID number. An 18-character number is region (6) + birth date (8) + sequence (3, last digit
odd for men) + a check character fixed by the first 17, so what the viewer saw narrows the
candidates:

* every masked rendering of the number (`510199************`, `510199********0042`, …):
  each visible character must match;
* every rendering of the person's birth date found anywhere in the text (the attacker
  assumes the worst: a date string equal to the person's birth date belongs to the person);
* the sex and the registration region, which the pages show: taken as known.

`count_candidates` enumerates region × candidate dates × sequences and keeps those whose
characters match every mask seen, stopping early once `stop_at` is passed.
"""

from __future__ import annotations

import calendar
import datetime
import re
from collections.abc import Iterable

from renkou.lib.idnumber import check_character

# A rendering of an 18-character ID number with some characters hidden.
MASKED = re.compile(r"(?<![0-9A-Za-z*])[0-9*]{17}[0-9Xx*](?![0-9A-Za-z*])")
EARLIEST = datetime.date(1900, 1, 1)


def masks_of(number: str, text: str) -> list[str]:
    """The renderings in `text` that could be `number` masked (every shown char agrees)."""
    found = []
    for match in MASKED.finditer(text):
        shown = match.group(0).upper()
        if "*" not in shown and shown != number:
            continue  # another person's full number (never expected; counted elsewhere)
        if all(s in ("*", n) for s, n in zip(shown, number, strict=True)):
            found.append(shown)
    return found


def date_precision(day: datetime.date, text: str) -> str:
    """How precisely `text` shows `day`: "day", "month", "year" or "none" (worst case)."""
    exact = (
        f"{day:%Y-%m-%d}", f"{day:%Y%m%d}", f"{day:%Y/%m/%d}", f"{day:%Y.%m.%d}",
        f"{day.year}年{day.month}月{day.day}日", f"{day:%Y年%m月%d日}",
    )  # fmt: skip
    if any(form in text for form in exact):
        return "day"
    month = (f"{day:%Y-%m}", f"{day:%Y年%m月}", f"{day.year}年{day.month}月", f"{day:%Y/%m}")
    if any(form in text for form in month):
        return "month"
    if str(day.year) in text:
        return "year"
    return "none"


def candidate_dates(
    day: datetime.date, precision: str, today: datetime.date
) -> list[datetime.date]:
    if precision == "day":
        return [day]
    if precision == "month":
        last = calendar.monthrange(day.year, day.month)[1]
        return [datetime.date(day.year, day.month, n) for n in range(1, last + 1)]
    if precision == "year":
        start, end = datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31)
    else:
        start, end = EARLIEST, today
    return [start + datetime.timedelta(days=n) for n in range((end - start).days + 1)]


def count_candidates(
    number: str,
    *,
    masks: Iterable[str],
    dates: Iterable[datetime.date],
    sex_known: bool = True,
    region_known: bool = True,
    stop_at: int = 100_000,
) -> int:
    """Valid ID numbers consistent with the masks seen and the candidate birth dates, for a
    viewer who knows the person's region and sex (the pages show both). Stops counting at
    `stop_at`."""
    masks = [m.upper() for m in masks]
    regions = [number[:6]] if region_known else [f"{n:06d}" for n in range(1_000_000)]
    male = int(number[16]) % 2 == 1
    count = 0
    for region in regions:
        if not all(all(m[i] in ("*", region[i]) for i in range(6)) for m in masks):
            continue
        for day in dates:
            ymd = f"{day:%Y%m%d}"
            if not all(all(m[6 + i] in ("*", ymd[i]) for i in range(8)) for m in masks):
                continue
            for seq in range(1000):
                if sex_known and (seq % 2 == 1) != male:
                    continue
                body = f"{region}{ymd}{seq:03d}"
                if any(any(m[14 + i] not in ("*", body[14 + i]) for i in range(3)) for m in masks):
                    continue
                if any(m[17] != "*" for m in masks):
                    check = check_character(body)
                    if any(m[17] not in ("*", check) for m in masks):
                        continue
                count += 1
                if count >= stop_at:
                    return count
    return count


def candidates_in(
    text: str,
    number: str,
    birth_date: datetime.date,
    today: datetime.date | None = None,
    stop_at: int = 100_000,
) -> int:
    """Candidates for the person with `number` and `birth_date`, given everything in `text`
    (one page, or the union of all pages a viewer saw); counting stops at `stop_at`."""
    today = today or datetime.date.today()
    precision = date_precision(birth_date, text)
    return count_candidates(
        number,
        masks=masks_of(number, text),
        dates=candidate_dates(birth_date, precision, today),
        stop_at=stop_at,
    )
