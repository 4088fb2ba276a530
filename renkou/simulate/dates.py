"""Calendar arithmetic on day numbers (days since 1970-01-01), vectorised with numpy.

Ages are completed years counted as the registry counts them (``registry.rules.age_on``):
a person reaches age *k* on the *k*-th anniversary of the birth date, and someone born on
29 February reaches it on 1 March in common years.  Marriages are generated on or after the
day both spouses reach the legal age of the law in force on the wedding day
(``registry.rules.MARRIAGE_AGES``), so the loader accepts every one of them.
"""

from __future__ import annotations

import numpy as np

from renkou.registry.rules import MARRIAGE_AGES
from renkou.simulate.state import FEMALE, MALE, day_of

# (first day in force, minimum age of men, of women), newest first, as in the registry rules
_LAWS = [(day_of(s.year, s.month, s.day) if s.year > 1 else -(10**9), a["M"], a["F"])
         for s, a in MARRIAGE_AGES]  # fmt: skip


def anniversary(days: np.ndarray, years: np.ndarray | int) -> np.ndarray:
    """Day number of the ``years``-th birthday of persons born on ``days``.

    29 February births have their birthday on 1 March in common years (the day ``age_on``
    first counts the new year of age).
    """
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    year = d.astype("datetime64[Y]")
    day_in_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    month_in_year = (month - year.astype("datetime64[M]")).astype(np.int64)
    target_year = year + np.asarray(years, dtype=np.int64)
    target = target_year.astype("datetime64[M]") + month_in_year
    return (target.astype("datetime64[D]") + day_in_month).astype(np.int64)


def legal_marriage_age(day: np.ndarray, sex: np.ndarray | int) -> np.ndarray:
    """Minimum marriage age by the law in force on each day, for each sex (``MALE``/``FEMALE``)."""
    day = np.asarray(day, dtype=np.int64)
    male = np.asarray(sex) == MALE
    age = np.zeros(np.broadcast(day, male).shape, dtype=np.int64)
    for since, men, women in reversed(_LAWS):
        age = np.where(day >= since, np.where(male, men, women), age)
    return age


def earliest_lawful_marriage(birth: np.ndarray, sex: np.ndarray | int, not_before: np.ndarray):
    """The first day on or after ``not_before`` on which each person may marry by the law of
    that day (the law's ages only ever rose, so a few steps reach the fixed point)."""
    day = np.asarray(not_before, dtype=np.int64)
    for _ in range(len(_LAWS) + 1):
        day = np.maximum(day, anniversary(birth, legal_marriage_age(day, sex)))
    return day


def lawful_wedding(h_birth: np.ndarray, w_birth: np.ndarray, start: np.ndarray) -> np.ndarray:
    """The first day on or after ``start`` on which husband and wife both may marry."""
    day = np.asarray(start, dtype=np.int64)
    for _ in range(len(_LAWS) + 1):
        day = earliest_lawful_marriage(h_birth, MALE, day)
        day = earliest_lawful_marriage(w_birth, FEMALE, day)
    return day


def may_marry(birth: np.ndarray, sex: np.ndarray | int, day: np.ndarray) -> np.ndarray:
    """True where a person born on ``birth`` is of legal marriage age on ``day``."""
    day = np.asarray(day, dtype=np.int64)
    return anniversary(birth, legal_marriage_age(day, sex)) <= day
